/* graph.h - the knowledge graph: nodes and typed, directed, weighted edges
 * with JSON properties, per project, in graph_nodes and graph_edges.
 *
 * Nodes are named by the ids of nodeid.h and created when an edge first
 * needs them; a node of a record kind (memory, todo, chat, blueprint) is
 * only created when that record exists in the project. Edges connect nodes
 * of one project, are unique per (source, target, relation), and never
 * connect a node to itself. Linking an existing edge again sets its weight
 * and merges its properties (RFC 7396: a null value removes a key).
 * DEPENDS_ON edges between blueprints are blueprint dependencies
 * (dependent -> prerequisite) and may never close a cycle.
 *
 * An edge as JSON (query results, export, import):
 *   {source_id, target_id, relationship_type, weight, properties, created_at}
 * which keeps the original's keys source_id, target_id, relationship_type
 * and properties. */
#ifndef LT_GRAPH_H
#define LT_GRAPH_H

#include "../core/err.h"
#include "../store/store.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GRAPH_PROPS_MAX (64 * 1024) /* serialized bytes of one properties object */
#define GRAPH_RELATION_MAX 128
#define GRAPH_DEPENDS_ON "DEPENDS_ON"

typedef enum { GRAPH_BOTH, GRAPH_OUT, GRAPH_IN } graph_dir;

/* "both", "outgoing", "incoming" (the original's direction values). */
graph_dir graph_dir_parse(const char *s);

typedef struct {
    const char *source_id, *target_id, *relation;
    double weight;
    const json_t *properties; /* object, or NULL for {} */
    const char *created_at;   /* NULL: now */
} graph_edge_input;

/* ---- inside the caller's write transaction ---------------------------- */

/* The row id of node id, created when absent. check_record: a node of a
 * record kind needs its record in the project (import passes false, to
 * restore a graph as it was). Returns -1 with err on failure. */
int64_t graph_node_ensure(store *st, const char *project, const char *id, bool check_record, lt_err *err);

/* Creates the edge (*created true) or updates it (weight replaced,
 * properties merged, or replaced when replace_props). */
int graph_edge_put(store *st, const char *project, const graph_edge_input *in, bool check_records, bool replace_props,
                   bool *created, lt_err *err);

/* Checks a properties object: at most GRAPH_PROPS_MAX bytes serialized. */
int graph_check_properties(const char *what, const json_t *props, lt_err *err);

/* ---- whole operations, each in its own transaction ---------------------- */

/* link: fills out with relationship_created, already_existed, source_id,
 * target_id, relationship_type, weight, properties. */
int graph_link(store *st, const char *project, const graph_edge_input *in, json_t *out, lt_err *err);

/* Removes the edges from source to target (of one relation, or all when
 * relation is NULL); fails when there is none. */
int graph_unlink(store *st, const char *project, const char *source, const char *target, const char *relation,
                 json_t *out, lt_err *err);

/* Removes a node with all its edges. The node of an existing memory or
 * blueprint is refused: it goes with its record. */
int graph_delete_node(store *st, const char *project, const char *id, json_t *out, lt_err *err);

/* ---- reads ---------------------------------------------------------------- */

/* *node = the node's row id, or 0 when the project has no such node. */
int graph_node_find(store *st, const char *project, const char *id, int64_t *node, lt_err *err);

/* A page of the relationships of entity (relation NULL = any), oldest
 * first: relationships[], count, total_count, has_more, node_exists. */
int graph_relationships(store *st, const char *project, const char *entity, const char *relation, graph_dir dir,
                        int64_t limit, int64_t offset, json_t *out, lt_err *err);

/* Counts: total_nodes, total_relationships, nodes_by_kind,
 * relationships_by_type (the 50 most used), record_counts. */
int graph_stats(store *st, const char *project, json_t *out, lt_err *err);

/* Whether DEPENDS_ON edges lead from node `from` to node `to`; if so *path
 * receives the node ids along one such path (a JSON array of strings, from
 * first to last), else NULL. */
int graph_depends_path(store *st, int64_t from, int64_t to, json_t **path, lt_err *err);

#endif
