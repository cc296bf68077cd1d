/* blueprint.h - task blueprints: pieces of planned work with a complexity,
 * a priority, an estimate and dependencies on each other (original §6.6).
 *
 * A blueprint's id is bp_ and 8 random hex digits. It lives in a project
 * (the namespace every tool has) and carries a project_id label within it
 * (the original's grouping; default: the project's name). Its graph node is
 * blueprint:<id>, labelled with its title. A dependency is a DEPENDS_ON
 * edge of the knowledge graph from the dependent's node to the
 * prerequisite's, with properties dependency_type and is_critical, so graph
 * queries see dependencies and deleting a blueprint removes them. The
 * dependencies never form a cycle: adding one that would is refused, and
 * the refusal names the cycle. */
#ifndef LT_BLUEPRINT_H
#define LT_BLUEPRINT_H

#include "../core/err.h"
#include "../store/store.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define BLUEPRINT_ORDER_MAX 5000 /* blueprints per resolve_order */

/* Complexity levels, least first, and the statuses a blueprint may have. */
extern const char *const blueprint_levels[];   /* trivial .. critical, NULL-terminated */
extern const char *const blueprint_statuses[]; /* draft, pending, ..., NULL-terminated */

typedef struct {
    const char *title, *description, *project_id, *complexity;
    double complexity_score, priority_score; /* 0..1 */
    int64_t minutes;                          /* estimated_duration_minutes, >= 1 */
    const json_t *required_skills, *tags;     /* arrays of strings, or NULL */
} blueprint_input;

/* Creates a blueprint (status pending) and its graph node; fills out with
 * the original's keys: blueprint_id, title, description, project_id,
 * complexity, complexity_score, priority_score, estimated_duration_minutes,
 * created_at. */
int blueprint_create(store *st, const char *project, const blueprint_input *in, json_t *out, lt_err *err);

/* The original's complexity heuristic (no database): fills out with title,
 * complexity_score, complexity_level, estimated_duration_minutes and
 * analysis{title_complexity, description_length, technical_keywords_found,
 * required_skills_count, has_integration_aspects, keywords_matched}.
 * Keywords are matched as whole words (a plural s allowed), not inside
 * other words. */
void blueprint_analyze(const char *title, const char *description, size_t n_skills, json_t *out);

typedef struct {
    const char *project_id;     /* NULL: every blueprint of the project */
    const char *min_complexity; /* a level name, or NULL */
    const json_t *tags;         /* array: blueprints having any of them; NULL: any */
    int64_t limit, offset;
} blueprint_filter;

/* Highest priority first, then complexity, then newest: blueprints[],
 * total_found (on this page), total_count, has_more. Filters apply before
 * the limit. */
int blueprint_list(store *st, const char *project, const blueprint_filter *f, json_t *out, lt_err *err);

/* Records that dependent needs prerequisite first. On a would-be cycle,
 * fails with LT_ERR_CONFLICT and sets details.cycle to its members, from
 * the dependent round to itself. */
int blueprint_add_dependency(store *st, const char *project, const char *dependent, const char *prerequisite,
                             const char *dependency_type, bool is_critical, json_t *out, json_t *details, lt_err *err);

/* The blueprints of ids in an order where every prerequisite comes before
 * its dependents (Kahn's algorithm; among the ready ones, higher
 * priority_score, then higher complexity_score, then id). Dependencies on
 * blueprints outside ids do not constrain the order; they are listed as
 * unlisted_prerequisites. A cycle fails the call with details
 * cyclic_dependencies (members), cycles and blocked. */
int blueprint_resolve_order(store *st, const char *project, const json_t *ids, json_t *out, json_t *details,
                            lt_err *err);

/* Sets the members of fields that are present (title, description,
 * complexity, complexity_score, priority_score, estimated_duration_minutes,
 * required_skills, tags, status); updated_fields lists exactly those. */
int blueprint_update(store *st, const char *project, const char *id, const json_t *fields, json_t *out, lt_err *err);

/* The blueprint's prerequisites (critical first, then oldest) and
 * dependents. */
int blueprint_dependencies(store *st, const char *project, const char *id, json_t *out, lt_err *err);

/* Deletes the blueprint, its node and so its dependencies both ways. */
int blueprint_delete(store *st, const char *project, const char *id, json_t *out, lt_err *err);

#endif
