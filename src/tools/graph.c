/* graph_action: the knowledge graph (original LTMC §4.4 and §6.8, kept in
 * ltmc's own store instead of Neo4j). The original's link, query,
 * auto_link, get_relationships and stats keep their parameters and result
 * keys; unlink, delete_node, traverse, path, export and import are new.
 * The engines are graph/graph.h (nodes, edges), graph/walk.h (traverse,
 * path), graph/autolink.h and graph/export.h; this file maps arguments to
 * them. Node ids follow graph/nodeid.h. */
#include "tool.h"

#include "../core/jsonx.h"
#include "../graph/autolink.h"
#include "../graph/export.h"
#include "../graph/graph.h"
#include "../graph/nodeid.h"
#include "../graph/walk.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int g_link(tool_ctx *ctx, const json_t *args, json_t *out, lt_err *err) {
    double weight = jx_real(args, "weight");
    if (!isfinite(weight)) return lt_err_set(err, LT_ERR_INVALID, "Parameter 'weight' must be a finite number");
    const json_t *props = json_object_get(args, "properties"), *meta = json_object_get(args, "metadata");
    json_t *merged = NULL;
    if (meta && json_object_size(meta)) {
        /* The original stored metadata beside the properties; here it is the
         * property "metadata", so it is returned and exported with them. */
        merged = props ? json_deep_copy(props) : json_object();
        json_object_set(merged, "metadata", (json_t *)meta);
    }
    graph_edge_input in = {jx_str(args, "source_id"), jx_str(args, "target_id"), jx_str(args, "relation"), weight,
                           merged ? merged : props, NULL};
    int rc = graph_link(ctx->st, ctx->project, &in, out, err);
    json_decref(merged);
    return rc;
}

static int g_unlink(tool_ctx *ctx, const json_t *args, json_t *out, lt_err *err) {
    return graph_unlink(ctx->st, ctx->project, jx_str(args, "source_id"), jx_str(args, "target_id"),
                        jx_str(args, "relation"), out, err);
}

static int g_delete_node(tool_ctx *ctx, const json_t *args, json_t *out, lt_err *err) {
    return graph_delete_node(ctx->st, ctx->project, jx_str(args, "node_id"), out, err);
}

static int relationships(tool_ctx *ctx, const json_t *args, const char *entity, json_t *out, lt_err *err) {
    const char *rel = jx_str(args, "relation_type");
    const char *dir = jx_str(args, "direction");
    if (graph_relationships(ctx->st, ctx->project, entity, rel, graph_dir_parse(dir), jx_int(args, "limit", 100),
                            jx_int(args, "offset", 0), out, err))
        return -1;
    jx_set_str(out, "entity", entity);
    jx_set_str(out, "direction", dir ? dir : "both");
    jx_set_str(out, "relation_type", rel);
    return 0;
}

static int g_query(tool_ctx *ctx, const json_t *args, json_t *out, lt_err *err) {
    return relationships(ctx, args, jx_str(args, "entity"), out, err);
}

static int g_get_relationships(tool_ctx *ctx, const json_t *args, json_t *out, lt_err *err) {
    if (relationships(ctx, args, jx_str(args, "doc_id"), out, err)) return -1;
    jx_set_str(out, "doc_id", jx_str(args, "doc_id"));
    return 0;
}

static int g_auto_link(tool_ctx *ctx, const json_t *args, json_t *out, lt_err *err) {
    const json_t *docs = json_object_get(args, "documents");
    size_t n = json_array_size(docs);
    double threshold = jx_real(args, "similarity_threshold");
    if (!(threshold >= -1 && threshold <= 1))
        return lt_err_set(err, LT_ERR_INVALID, "Invalid value for parameter 'similarity_threshold': %g (expected a "
                          "cosine from -1 to 1)", threshold);
    if (n > AUTOLINK_MAX_DOCS)
        return lt_err_set(err, LT_ERR_INVALID, "Parameter 'documents' has %zu items (limit %d per call)", n,
                          AUTOLINK_MAX_DOCS);
    autolink_doc *d = calloc(n ? n : 1, sizeof *d);
    if (!d) return lt_err_set(err, LT_ERR_INTERNAL, "out of memory");
    static const char *const fields[] = {"id", "content", "type", "created_at"};
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        const json_t *doc = json_array_get(docs, i);
        if (!json_is_object(doc)) { rc = lt_err_set(err, LT_ERR_INVALID, "documents[%zu] must be an object", i); break; }
        const char *key;
        json_t *v;
        json_object_foreach((json_t *)doc, key, v) {
            bool known = false;
            for (int f = 0; f < 4; f++) known |= strcmp(key, fields[f]) == 0;
            if (!known) {
                rc = lt_err_set(err, LT_ERR_INVALID, "documents[%zu]: unknown field '%.60s' (accepted: id, content, type, "
                                "created_at)", i, key);
                break;
            }
            if (!json_is_null(v) && (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v))) {
                rc = lt_err_set(err, LT_ERR_INVALID, "documents[%zu].%s: expected a string without NUL, got %s", i, key,
                                jx_type_name(v));
                break;
            }
        }
        if (rc) break;
        d[i] = (autolink_doc){jx_str(doc, "id"), jx_str(doc, "content"), jx_str(doc, "type"), jx_str(doc, "created_at")};
        if (!d[i].id) rc = lt_err_set(err, LT_ERR_INVALID, "documents[%zu]: missing required field id", i);
    }
    if (rc == 0)
        rc = graph_auto_link(ctx->st, memory_engine_embedder(ctx->mem), ctx->project, d, n, threshold,
                             (int)jx_int(args, "max_links_per_document", 5), out, err);
    free(d);
    if (rc == 0) {
        jx_set_real(out, "similarity_threshold", threshold);
        jx_set_int(out, "max_links_per_document", jx_int(args, "max_links_per_document", 5));
    }
    return rc;
}

static walk_query walk_from(tool_ctx *ctx, const json_t *args, const char *start, int depth) {
    walk_query q = {ctx->project, start, jx_str(args, "relation_type"), graph_dir_parse(jx_str(args, "direction")), depth,
                    jx_int(args, "limit", 100), jx_int(args, "offset", 0), 0, 0};
    return q;
}

static int g_traverse(tool_ctx *ctx, const json_t *args, json_t *out, lt_err *err) {
    walk_query q = walk_from(ctx, args, jx_str(args, "start_id"), (int)jx_int(args, "depth", 2));
    if (graph_traverse(ctx->st, &q, out, err)) return -1;
    jx_set_str(out, "direction", jx_str(args, "direction"));
    jx_set_str(out, "relation_type", q.relation);
    return 0;
}

static int g_path(tool_ctx *ctx, const json_t *args, json_t *out, lt_err *err) {
    walk_query q = walk_from(ctx, args, jx_str(args, "source_id"), (int)jx_int(args, "max_depth", 4));
    if (graph_path(ctx->st, &q, jx_str(args, "target_id"), out, err)) return -1;
    jx_set_str(out, "direction", jx_str(args, "direction"));
    jx_set_str(out, "relation_type", q.relation);
    return 0;
}

static int g_stats(tool_ctx *ctx, const json_t *args, json_t *out, lt_err *err) {
    (void)args;
    if (graph_stats(ctx->st, ctx->project, out, err)) return -1;
    jx_set_str(out, "project", ctx->project);
    return 0;
}

static int g_export(tool_ctx *ctx, const json_t *args, json_t *out, lt_err *err) {
    if (graph_export(ctx->st, ctx->project, export_format_parse(jx_str(args, "format")), jx_int(args, "offset", 0),
                     jx_int(args, "limit", 1000), out, err))
        return -1;
    jx_set_str(out, "project", ctx->project);
    return 0;
}

static int g_import(tool_ctx *ctx, const json_t *args, json_t *out, lt_err *err) {
    if (graph_import(ctx->st, ctx->project, json_object_get(args, "data"), out, err)) return -1;
    jx_set_str(out, "project", ctx->project);
    return 0;
}

/* ---- declarations ---- */

static const char *const directions[] = {"both", "outgoing", "incoming", NULL};
static const char *const formats[] = {"json", "cypher", "graphml", NULL};

#define NODE_DESC                                                                                              \
    " A node id: memory:<id>, todo:<id>, chat:<id>, blueprint:<bp_id> (records of this project), "             \
    "pattern:<name>, tag:<name>, or any other string for a free entity."
#define P_NODE(name, what) {name, PT_STRING, true, NULL, what NODE_DESC, NULL, 0, 0, NODEID_MAX_LEN}
#define P_RELATION_FILTER {"relation_type", PT_STRING, false, NULL, "Only relationships of this type.", NULL, 0, 0, \
                           GRAPH_RELATION_MAX}
#define P_DIRECTION {"direction", PT_STRING, false, "\"both\"", "Follow relationships out of a node (outgoing), " \
                     "into it (incoming) or either way (both).", directions, 0, 0, 0}
#define P_LIMIT(def) {"limit", PT_INTEGER, false, def, "Most items to return (a page).", NULL, 1, EXPORT_MAX_LIMIT, 0}
#define P_OFFSET {"offset", PT_INTEGER, false, "0", "Items to skip, for paging.", NULL, 0, INT64_MAX, 0}

static const param_def link_params[] = {
    P_NODE("source_id", "Where the relationship starts."),
    P_NODE("target_id", "Where the relationship ends."),
    {"relation", PT_STRING, true, NULL, "Relationship type, e.g. DEPENDS_ON, IMPLEMENTS, MENTIONS.", NULL, 0, 0,
     GRAPH_RELATION_MAX},
    {"properties", PT_OBJECT, false, NULL, "Properties of the relationship (JSON object, up to 64 KiB). Linking again "
     "merges them (a null value removes a key).", NULL, 0, 0, 0},
    {"weight", PT_NUMBER, false, "1.0", "Weight of the relationship.", NULL, 0, 0, 0},
    {"metadata", PT_OBJECT, false, NULL, "Free-form metadata, stored as the property 'metadata'.", NULL, 0, 0, 0},
    {NULL}};
static const param_def unlink_params[] = {
    P_NODE("source_id", "Where the relationship starts."),
    P_NODE("target_id", "Where the relationship ends."),
    {"relation", PT_STRING, false, NULL, "Relationship type to remove; without it, every relationship from source_id "
     "to target_id goes.", NULL, 0, 0, GRAPH_RELATION_MAX},
    {NULL}};
static const param_def delete_node_params[] = {P_NODE("node_id", "The node to remove with all its relationships."),
                                               {NULL}};
static const param_def query_params[] = {P_NODE("entity", "The node whose relationships to list."), P_RELATION_FILTER,
                                         P_DIRECTION, P_LIMIT("100"), P_OFFSET, {NULL}};
static const param_def get_rel_params[] = {P_NODE("doc_id", "The node whose relationships to list (either way)."),
                                           P_LIMIT("100"), P_OFFSET, {NULL}};
static const param_def auto_link_params[] = {
    {"documents", PT_ARRAY, true, NULL, "Documents to link, up to 1000: objects {id, content, type?, created_at?}; id "
     "is a node id, and a memory:<id> may leave out content to use the memory's text.", NULL, 0, 0, 0},
    {"similarity_threshold", PT_NUMBER, false, "0.7", "Least cosine similarity of two documents' meanings for a "
     "SIMILAR_TO link.", NULL, 0, 0, 0},
    {"max_links_per_document", PT_INTEGER, false, "5", "Most links made for one document (the most similar first).",
     NULL, 1, 100, 0},
    {NULL}};
static const param_def traverse_params[] = {
    P_NODE("start_id", "Where the walk starts."),
    {"depth", PT_INTEGER, false, "2", "How many relationships away to go.", NULL, 1, WALK_MAX_DEPTH, 0},
    P_RELATION_FILTER, P_DIRECTION, P_LIMIT("100"), P_OFFSET, {NULL}};
static const param_def path_params[] = {
    P_NODE("source_id", "Where the path starts."),
    P_NODE("target_id", "Where the path ends."),
    {"max_depth", PT_INTEGER, false, "4", "Longest path, in relationships.", NULL, 1, WALK_MAX_DEPTH, 0},
    P_RELATION_FILTER, P_DIRECTION, {NULL}};
static const param_def export_params[] = {
    {"format", PT_STRING, false, "\"json\"", "json (lossless; what import reads), cypher (statements for Neo4j) or "
     "graphml (one XML document).", formats, 0, 0, 0},
    P_LIMIT("1000"), P_OFFSET, {NULL}};
static const param_def import_params[] = {
    {"data", PT_OBJECT, true, NULL, "A graph in export's json form: {\"nodes\": [...], \"edges\": [...]} (export's "
     "\"graph\"), up to 20000 items.", NULL, 0, 0, 0},
    {NULL}};

static const action_def graph_actions[] = {
    {"link", "create or update a typed, directed relationship (nodes are created when absent).", g_link, link_params},
    {"query", "relationships of a node, by type and direction, paged.", g_query, query_params},
    {"auto_link", "link documents whose meanings are similar (SIMILAR_TO with similarity_score).", g_auto_link,
     auto_link_params},
    {"get_relationships", "every relationship of a node, either way, paged.", g_get_relationships, get_rel_params},
    {"stats", "counts of nodes and relationships by kind and type.", g_stats, NULL},
    {"unlink", "remove relationships between two nodes.", g_unlink, unlink_params},
    {"delete_node", "remove a node and its relationships.", g_delete_node, delete_node_params},
    {"traverse", "the neighbourhood of a node up to a depth, nearest first, paged.", g_traverse, traverse_params},
    {"path", "a shortest path between two nodes.", g_path, path_params},
    {"export", "the project's graph as json, cypher or graphml, paged.", g_export, export_params},
    {"import", "load a graph in export's json form (idempotent).", g_import, import_params},
    {NULL}};

const tool_def graph_tool = {
    "graph_action", "Knowledge graph",
    "Knowledge graph of the project: typed, directed, weighted relationships between memories, todos, chat "
    "messages, blueprints, code patterns, tags and free entities. Link and unlink, query a node's relationships, "
    "traverse a neighbourhood, find a shortest path, auto-link similar documents, export as JSON, Cypher (Neo4j) or "
    "GraphML, and import JSON.",
    graph_actions, false, true, false};
