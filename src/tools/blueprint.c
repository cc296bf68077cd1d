/* blueprint_action: task blueprints with complexity, priority and
 * dependencies (original LTMC §6.6, all eight actions working). The engine
 * is graph/blueprint.h; dependencies are DEPENDS_ON edges of the knowledge
 * graph, so graph_action sees them too. */
#include "tool.h"

#include "../core/jsonx.h"
#include "../graph/blueprint.h"

#include <string.h>

#define LIST_MAX 64
#define ITEM_MAX 200

/* required_skills and tags: at most LIST_MAX non-blank items of ITEM_MAX bytes. */
static int check_list(const json_t *args, const char *name, lt_err *err) {
    const json_t *list = json_object_get(args, name);
    if (!list) return 0;
    if (json_array_size(list) > LIST_MAX)
        return lt_err_set(err, LT_ERR_INVALID, "Parameter '%s' has %zu items (limit %d)", name, json_array_size(list),
                          LIST_MAX);
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v) {
        size_t len = json_string_length(v);
        if (len == 0 || len > ITEM_MAX || strlen(json_string_value(v)) != len)
            return lt_err_set(err, LT_ERR_INVALID, "Parameter '%s': each item must be 1 to %d bytes without NUL", name,
                              ITEM_MAX);
    }
    return 0;
}

static int bp_create(tool_ctx *ctx, const json_t *args, json_t *out, lt_err *err) {
    if (check_list(args, "required_skills", err) || check_list(args, "tags", err)) return -1;
    blueprint_input in = {jx_str(args, "title"),
                          jx_str(args, "description"),
                          jx_str(args, "project_id"),
                          jx_str(args, "complexity"),
                          jx_real(args, "complexity_score"),
                          jx_real(args, "priority_score"),
                          jx_int(args, "estimated_duration_minutes", 60),
                          json_object_get(args, "required_skills"),
                          json_object_get(args, "tags")};
    return blueprint_create(ctx->st, ctx->project, &in, out, err);
}

static int bp_analyze(tool_ctx *ctx, const json_t *args, json_t *out, lt_err *err) {
    (void)ctx;
    (void)err;
    blueprint_analyze(jx_str(args, "title"), jx_str(args, "description"),
                      json_array_size(json_object_get(args, "required_skills")), out);
    return 0;
}

static int bp_list(tool_ctx *ctx, const json_t *args, json_t *out, lt_err *err) {
    if (check_list(args, "tags", err)) return -1;
    blueprint_filter f = {jx_str(args, "project_id"), jx_str(args, "min_complexity"), json_object_get(args, "tags"),
                          jx_int(args, "limit", 10), jx_int(args, "offset", 0)};
    if (blueprint_list(ctx->st, ctx->project, &f, out, err)) return -1;
    jx_set_str(out, "project", ctx->project);
    return 0;
}

static int bp_add_dependency(tool_ctx *ctx, const json_t *args, json_t *out, lt_err *err) {
    json_t *details = json_object();
    int rc = blueprint_add_dependency(ctx->st, ctx->project, jx_str(args, "dependent_blueprint_id"),
                                      jx_str(args, "prerequisite_blueprint_id"), jx_str(args, "dependency_type"),
                                      jx_bool(args, "is_critical", false), out, details, err);
    if (rc && json_object_size(details)) rc = tool_fail_with(out, err, details);
    json_decref(details);
    return rc;
}

static int bp_resolve_order(tool_ctx *ctx, const json_t *args, json_t *out, lt_err *err) {
    json_t *details = json_object();
    int rc = blueprint_resolve_order(ctx->st, ctx->project, json_object_get(args, "blueprint_ids"), out, details, err);
    if (rc && json_object_size(details)) rc = tool_fail_with(out, err, details);
    json_decref(details);
    return rc;
}

static int bp_update(tool_ctx *ctx, const json_t *args, json_t *out, lt_err *err) {
    if (check_list(args, "required_skills", err) || check_list(args, "tags", err)) return -1;
    return blueprint_update(ctx->st, ctx->project, jx_str(args, "blueprint_id"), args, out, err);
}

static int bp_get_dependencies(tool_ctx *ctx, const json_t *args, json_t *out, lt_err *err) {
    return blueprint_dependencies(ctx->st, ctx->project, jx_str(args, "blueprint_id"), out, err);
}

static int bp_delete(tool_ctx *ctx, const json_t *args, json_t *out, lt_err *err) {
    return blueprint_delete(ctx->st, ctx->project, jx_str(args, "blueprint_id"), out, err);
}

/* ---- declarations ---- */

#define TITLE_MAX 500
#define DESC_MAX (64 * 1024)
#define ID_MAX 64
#define P_BP_ID {"blueprint_id", PT_STRING, true, NULL, "Id of the blueprint (bp_ and 8 hex digits), as create returned.", \
                 NULL, 0, 0, ID_MAX}
#define P_SKILLS {"required_skills", PT_STRING_LIST, false, NULL, "Skills the work needs (a list, or one " \
                  "comma-separated string).", NULL, 0, 0, 0}
#define P_TAGS {"tags", PT_STRING_LIST, false, NULL, "Tags (a list, or one comma-separated string).", NULL, 0, 0, 0}
#define P_SCORE(name, what, def) {name, PT_NUMBER, false, def, what " from 0 to 1.", NULL, 0, 0, 0}
#define P_MINUTES(def) {"estimated_duration_minutes", PT_INTEGER, false, def, "Estimated work, in minutes.", NULL, 1, \
                        1000000, 0}

static const param_def create_params[] = {
    {"title", PT_STRING, true, NULL, "Short title of the work.", NULL, 0, 0, TITLE_MAX},
    {"description", PT_STRING, true, NULL, "What the work is.", NULL, 0, 0, DESC_MAX},
    {"project_id", PT_STRING, false, NULL, "A grouping label inside the project (default: the project's name).", NULL,
     0, 0, 128},
    {"complexity", PT_STRING, false, "\"medium\"", "Complexity level.", blueprint_levels, 0, 0, 0},
    P_SCORE("complexity_score", "Complexity,", "0.5"),
    P_SCORE("priority_score", "Priority,", "0.5"),
    P_MINUTES("60"), P_SKILLS, P_TAGS, {NULL}};
static const param_def analyze_params[] = {
    {"title", PT_STRING, true, NULL, "Short title of the work.", NULL, 0, 0, TITLE_MAX},
    {"description", PT_STRING, true, NULL, "What the work is.", NULL, 0, 0, DESC_MAX},
    P_SKILLS, {NULL}};
static const param_def list_params[] = {
    {"project_id", PT_STRING, false, NULL, "Only blueprints with this project_id label (default: every blueprint of "
     "the project).", NULL, 0, 0, 128},
    {"limit", PT_INTEGER, false, "10", "Most blueprints to return.", NULL, 1, 1000, 0},
    {"offset", PT_INTEGER, false, "0", "Blueprints to skip, for paging.", NULL, 0, INT64_MAX, 0},
    {"min_complexity", PT_STRING, false, NULL, "Only blueprints at least this complex.", blueprint_levels, 0, 0, 0},
    {"tags", PT_STRING_LIST, false, NULL, "Only blueprints having any of these tags.", NULL, 0, 0, 0},
    {NULL}};
static const param_def add_dep_params[] = {
    {"dependent_blueprint_id", PT_STRING, true, NULL, "The blueprint that needs the other done first.", NULL, 0, 0,
     ID_MAX},
    {"prerequisite_blueprint_id", PT_STRING, true, NULL, "The blueprint to do first.", NULL, 0, 0, ID_MAX},
    {"dependency_type", PT_STRING, false, "\"blocking\"", "Kind of dependency, e.g. blocking, soft.", NULL, 0, 0, 64},
    {"is_critical", PT_BOOLEAN, false, "false", "Whether the dependency is critical.", NULL, 0, 0, 0},
    {NULL}};
static const param_def order_params[] = {
    {"blueprint_ids", PT_STRING_LIST, true, NULL, "The blueprints to order (up to 5000).", NULL, 0, 0, 0}, {NULL}};
static const param_def update_params[] = {
    P_BP_ID,
    {"title", PT_STRING, false, NULL, "New title.", NULL, 0, 0, TITLE_MAX},
    {"description", PT_STRING, false, NULL, "New description.", NULL, 0, 0, DESC_MAX},
    {"complexity", PT_STRING, false, NULL, "New complexity level.", blueprint_levels, 0, 0, 0},
    P_SCORE("complexity_score", "New complexity,", NULL),
    P_SCORE("priority_score", "New priority,", NULL),
    P_MINUTES(NULL), P_SKILLS, P_TAGS,
    {"status", PT_STRING, false, NULL, "New status.", blueprint_statuses, 0, 0, 0},
    {NULL}};
static const param_def id_params[] = {P_BP_ID, {NULL}};

static const action_def blueprint_actions[] = {
    {"create", "create a blueprint (returns blueprint_id).", bp_create, create_params},
    {"analyze_complexity", "estimate complexity and duration from a title, description and skills.", bp_analyze,
     analyze_params},
    {"list_project", "list blueprints, highest priority first, filtered by complexity and tags.", bp_list, list_params},
    {"add_dependency", "record that one blueprint needs another first (refused if it would close a cycle).",
     bp_add_dependency, add_dep_params},
    {"resolve_order", "order blueprints so prerequisites come first (ties: priority, then complexity).",
     bp_resolve_order, order_params},
    {"update_metadata", "change a blueprint's fields; reports the fields applied.", bp_update, update_params},
    {"get_dependencies", "a blueprint's prerequisites and dependents.", bp_get_dependencies, id_params},
    {"delete", "delete a blueprint with its dependencies.", bp_delete, id_params},
    {NULL}};

const tool_def blueprint_tool = {
    "blueprint_action", "Task blueprints",
    "Task blueprints: planned pieces of work with complexity, priority, estimates, skills and tags, and "
    "dependencies between them (kept in the knowledge graph). Create, analyze complexity, list, add dependencies "
    "(cycles refused), resolve an execution order, update, inspect dependencies, delete.",
    blueprint_actions, false, true, false};
