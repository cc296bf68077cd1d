#include "graph.h"

#include "../core/clock.h"
#include "../core/jsonx.h"
#include "nodeid.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

graph_dir graph_dir_parse(const char *s) {
    if (s && strcasecmp(s, "outgoing") == 0) return GRAPH_OUT;
    if (s && strcasecmp(s, "incoming") == 0) return GRAPH_IN;
    return GRAPH_BOTH;
}

int graph_check_properties(const char *what, const json_t *props, lt_err *err) {
    if (!props) return 0;
    if (!json_is_object(props))
        return lt_err_set(err, LT_ERR_INVALID, "Invalid type for %s: expected object, got %s", what, jx_type_name(props));
    char *text = jx_dump(props);
    if (!text) return lt_err_set(err, LT_ERR_INTERNAL, "out of memory");
    size_t len = strlen(text);
    free(text);
    if (len > GRAPH_PROPS_MAX)
        return lt_err_set(err, LT_ERR_INVALID, "%s is too large: %zu bytes serialized (limit %d)", what, len,
                          GRAPH_PROPS_MAX);
    return 0;
}

/* ---- nodes ------------------------------------------------------------------ */

int graph_node_find(store *st, const char *project, const char *id, int64_t *node, lt_err *err) {
    store_stmt *s = store_prepare(st, "SELECT id FROM graph_nodes WHERE project = ? AND node_key = ?", err);
    if (!s) return -1;
    store_bind_text(s, 1, project);
    store_bind_text(s, 2, id);
    int rc = store_step(s, err);
    if (rc < 0) return -1;
    *node = rc == 1 ? store_col_int(s, 0) : 0;
    store_reset(s);
    return 0;
}

/* The label of a record node (file name, title, or the start of a chat
 * message); LT_ERR_NOT_FOUND when the project has no such record. */
static int record_label(store *st, const char *project, const node_ref *ref, const char *id, char **label,
                        lt_err *err) {
    const char *sql = NULL;
    switch (ref->kind) {
    case NODE_MEMORY: sql = "SELECT file_name FROM memories WHERE id = ?1 AND project = ?2"; break;
    case NODE_TODO: sql = "SELECT title FROM todos WHERE id = ?1 AND project = ?2"; break;
    case NODE_CHAT: sql = "SELECT substr(content, 1, 80) FROM chat_messages WHERE id = ?1 AND project = ?2"; break;
    case NODE_BLUEPRINT: sql = "SELECT title FROM blueprints WHERE id = ?3 AND project = ?2"; break;
    default: assert(!"not a record kind"); return -1;
    }
    store_stmt *s = store_prepare(st, sql, err);
    if (!s) return -1;
    store_bind_int(s, 1, ref->num);
    store_bind_text(s, 2, project);
    store_bind_text(s, 3, ref->rest);
    int rc = store_step(s, err);
    if (rc < 0) return -1;
    if (rc == 0)
        return lt_err_set(err, LT_ERR_NOT_FOUND, "Node %.100s refers to %s %.40s, which does not exist in this project",
                          id, nodeid_kind_name(ref->kind), ref->rest);
    const char *l = store_col_text(s, 0);
    *label = l ? strdup(l) : NULL;
    store_reset(s);
    return 0;
}

int64_t graph_node_ensure(store *st, const char *project, const char *id, bool check_record, lt_err *err) {
    node_ref ref;
    if (nodeid_parse(id, &ref, err)) return -1;
    int64_t node;
    if (graph_node_find(st, project, id, &node, err)) return -1;
    if (node) return node;
    char *label = NULL;
    if (nodeid_is_record(ref.kind)) {
        if (check_record && record_label(st, project, &ref, id, &label, err)) return -1;
    } else if (ref.kind != NODE_ENTITY) {
        label = strdup(ref.rest); /* a tag or pattern is labelled with its name */
    }
    char now[CLOCK_ISO_LEN];
    clock_now_iso(now, sizeof now);
    store_stmt *s = store_prepare(st,
                                  "INSERT INTO graph_nodes(project, node_key, kind, label, created_at) VALUES (?, ?, ?, ?, ?)",
                                  err);
    int rc = -1;
    if (s) {
        store_bind_text(s, 1, project);
        store_bind_text(s, 2, id);
        store_bind_text(s, 3, nodeid_kind_name(ref.kind));
        store_bind_text(s, 4, label);
        store_bind_text(s, 5, now);
        rc = store_step(s, err);
    }
    free(label);
    return rc < 0 ? -1 : store_last_insert_id(st);
}

static int node_kind_of(store *st, int64_t node, char *kind, size_t len, lt_err *err) {
    store_stmt *s = store_prepare(st, "SELECT kind FROM graph_nodes WHERE id = ?", err);
    if (!s) return -1;
    store_bind_int(s, 1, node);
    int rc = store_step(s, err);
    if (rc < 0) return -1;
    snprintf(kind, len, "%s", rc == 1 ? store_col_text(s, 0) : "");
    store_reset(s);
    return 0;
}

/* ---- dependency paths --------------------------------------------------------- */

/* A small open-addressing map from node row id to the node it was reached
 * from, for the breadth-first search below. */
typedef struct {
    int64_t *keys, *vals;
    size_t cap;
} id_map;

static bool map_init(id_map *m, size_t n) {
    m->cap = 16;
    while (m->cap < n * 2) m->cap <<= 1;
    m->keys = calloc(m->cap, sizeof *m->keys);
    m->vals = calloc(m->cap, sizeof *m->vals);
    return m->keys && m->vals;
}

static void map_free(id_map *m) {
    free(m->keys);
    free(m->vals);
}

/* Row ids are positive, so 0 marks an empty slot. Returns the slot. */
static size_t map_slot(const id_map *m, int64_t key) {
    size_t i = (size_t)((uint64_t)key * 0x9e3779b97f4a7c15ull >> 7) & (m->cap - 1);
    while (m->keys[i] && m->keys[i] != key) i = (i + 1) & (m->cap - 1);
    return i;
}

typedef struct {
    int64_t src, dst;
} id_pair;

static int cmp_pair(const void *a, const void *b) {
    const id_pair *x = a, *y = b;
    return x->src < y->src ? -1 : x->src > y->src ? 1 : (x->dst > y->dst) - (x->dst < y->dst);
}

int graph_depends_path(store *st, int64_t from, int64_t to, json_t **path, lt_err *err) {
    *path = NULL;
    /* Reachability first: the recursive walk stops as soon as `to` shows up. */
    static const char *const walk =
        "WITH RECURSIVE r(node) AS (SELECT ?1 UNION SELECT e.dst FROM r JOIN graph_edges e ON e.src = r.node"
        " AND e.relation = 'DEPENDS_ON' JOIN graph_nodes n ON n.id = e.dst AND n.kind = 'blueprint') ";
    char sql[1024];
    snprintf(sql, sizeof sql, "%sSELECT 1 FROM r WHERE node = ?2 LIMIT 1", walk);
    store_stmt *s = store_prepare(st, sql, err);
    if (!s) return -1;
    store_bind_int(s, 1, from);
    store_bind_int(s, 2, to);
    int rc = store_step(s, err);
    if (rc < 0) return -1;
    store_reset(s);
    if (rc == 0) return 0;

    /* Reachable: load the edges of the reachable part and search it
     * breadth-first for one path, so the message can name it. */
    snprintf(sql, sizeof sql,
             "%sSELECT e.src, e.dst FROM r JOIN graph_edges e ON e.src = r.node AND e.relation = 'DEPENDS_ON'"
             " JOIN graph_nodes n ON n.id = e.dst AND n.kind = 'blueprint'", walk);
    s = store_prepare(st, sql, err);
    if (!s) return -1;
    store_bind_int(s, 1, from);
    id_pair *edges = NULL;
    size_t n = 0, cap = 0;
    while ((rc = store_step(s, err)) == 1) {
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            id_pair *g = realloc(edges, cap * sizeof *g);
            if (!g) { free(edges); store_reset(s); return lt_err_set(err, LT_ERR_INTERNAL, "out of memory"); }
            edges = g;
        }
        edges[n].src = store_col_int(s, 0);
        edges[n++].dst = store_col_int(s, 1);
    }
    if (rc < 0) { free(edges); return -1; }
    qsort(edges, n, sizeof *edges, cmp_pair);
    id_map parent = {NULL, NULL, 0};
    int64_t *queue = malloc((n + 2) * sizeof *queue);
    if (!queue || !map_init(&parent, n + 2)) {
        free(queue);
        free(edges);
        map_free(&parent);
        return lt_err_set(err, LT_ERR_INTERNAL, "out of memory");
    }
    size_t head = 0, tail = 0;
    size_t slot = map_slot(&parent, from);
    parent.keys[slot] = from;
    parent.vals[slot] = 0;
    queue[tail++] = from;
    bool found = from == to;
    while (head < tail && !found) {
        int64_t u = queue[head++];
        /* edges are sorted by src: find u's run */
        size_t lo = 0, hi = n;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (edges[mid].src < u) lo = mid + 1;
            else hi = mid;
        }
        for (size_t i = lo; i < n && edges[i].src == u; i++) {
            int64_t v = edges[i].dst;
            size_t sl = map_slot(&parent, v);
            if (parent.keys[sl]) continue;
            parent.keys[sl] = v;
            parent.vals[sl] = u;
            assert(tail < n + 2);
            queue[tail++] = v;
            if (v == to) { found = true; break; }
        }
    }
    free(edges);
    int ret = 0;
    if (found) {
        /* Walk back from `to`, then name the nodes from `from` onwards. */
        size_t len = 0;
        for (int64_t v = to; v; v = parent.vals[map_slot(&parent, v)]) queue[len++] = v;
        json_t *keys = json_array();
        for (size_t i = len; i-- > 0 && ret == 0;) {
            s = store_prepare(st, "SELECT node_key FROM graph_nodes WHERE id = ?", err);
            if (!s) { ret = -1; break; }
            store_bind_int(s, 1, queue[i]);
            if (store_step(s, err) != 1) { ret = -1; break; }
            json_array_append_new(keys, json_string(store_col_text(s, 0)));
            store_reset(s);
        }
        if (ret == 0) *path = keys;
        else json_decref(keys);
    }
    free(queue);
    map_free(&parent);
    return ret;
}

/* ---- edges -------------------------------------------------------------------- */

int graph_edge_put(store *st, const char *project, const graph_edge_input *in, bool check_records, bool replace_props,
                   bool *created, lt_err *err) {
    *created = false;
    if (strcmp(in->source_id, in->target_id) == 0)
        return lt_err_set(err, LT_ERR_INVALID, "A node cannot be linked to itself: source_id and target_id are both '%.100s'",
                          in->source_id);
    size_t rlen = strlen(in->relation);
    if (rlen == 0 || strspn(in->relation, " \t\r\n") == rlen)
        return lt_err_set(err, LT_ERR_INVALID, "The relation must not be empty");
    if (rlen > GRAPH_RELATION_MAX)
        return lt_err_set(err, LT_ERR_INVALID, "The relation is too long: %zu bytes (limit %d)", rlen, GRAPH_RELATION_MAX);
    if (!isfinite(in->weight)) return lt_err_set(err, LT_ERR_INVALID, "The weight must be a finite number");
    if (graph_check_properties("Parameter 'properties'", in->properties, err)) return -1;

    int64_t src = graph_node_ensure(st, project, in->source_id, check_records, err);
    if (src < 0) return -1;
    int64_t dst = graph_node_ensure(st, project, in->target_id, check_records, err);
    if (dst < 0) return -1;

    if (strcmp(in->relation, GRAPH_DEPENDS_ON) == 0) {
        char ks[32], kd[32];
        if (node_kind_of(st, src, ks, sizeof ks, err) || node_kind_of(st, dst, kd, sizeof kd, err)) return -1;
        if (strcmp(ks, "blueprint") == 0 && strcmp(kd, "blueprint") == 0) {
            json_t *path;
            if (graph_depends_path(st, dst, src, &path, err)) return -1;
            if (path) {
                char msg[400];
                size_t m = (size_t)snprintf(msg, sizeof msg, "%s", in->source_id);
                size_t i;
                json_t *k;
                json_array_foreach(path, i, k) if (m < sizeof msg) m += (size_t)snprintf(msg + m, sizeof msg - m, " -> %s",
                                                                                         json_string_value(k));
                json_decref(path);
                return lt_err_set(err, LT_ERR_CONFLICT, "This dependency would close a cycle: %s", msg);
            }
        }
    }

    char *props = in->properties ? jx_dump(in->properties) : strdup("{}");
    if (!props) return lt_err_set(err, LT_ERR_INTERNAL, "out of memory");
    int ret = -1;
    store_stmt *s = store_prepare(st, "SELECT id, json_patch(CASE WHEN ?4 THEN '{}' ELSE properties END, ?5)"
                                      " FROM graph_edges WHERE src = ?1 AND dst = ?2 AND relation = ?3", err);
    if (!s) goto done;
    store_bind_int(s, 1, src);
    store_bind_int(s, 2, dst);
    store_bind_text(s, 3, in->relation);
    store_bind_int(s, 4, replace_props);
    store_bind_text(s, 5, props);
    int rc = store_step(s, err);
    if (rc < 0) goto done;
    if (rc == 1) {
        int64_t id = store_col_int(s, 0);
        char *merged = strdup(store_col_text(s, 1));
        store_reset(s);
        if (!merged) { lt_err_set(err, LT_ERR_INTERNAL, "out of memory"); goto done; }
        if (strlen(merged) > GRAPH_PROPS_MAX) {
            lt_err_set(err, LT_ERR_INVALID, "The relationship's properties would be too large after merging: %zu bytes "
                       "(limit %d)", strlen(merged), GRAPH_PROPS_MAX);
            free(merged);
            goto done;
        }
        s = store_prepare(st, "UPDATE graph_edges SET weight = ?, properties = ? WHERE id = ?", err);
        if (s) {
            store_bind_real(s, 1, in->weight);
            store_bind_text(s, 2, merged);
            store_bind_int(s, 3, id);
            if (store_step(s, err) == 0) ret = 0;
        }
        free(merged);
        goto done;
    }
    char now[CLOCK_ISO_LEN];
    clock_now_iso(now, sizeof now);
    /* json_patch onto {} drops null members, as a merge would. */
    s = store_prepare(st, "INSERT INTO graph_edges(project, src, dst, relation, weight, properties, created_at)"
                          " VALUES (?, ?, ?, ?, ?, json_patch('{}', ?), ?)", err);
    if (!s) goto done;
    store_bind_text(s, 1, project);
    store_bind_int(s, 2, src);
    store_bind_int(s, 3, dst);
    store_bind_text(s, 4, in->relation);
    store_bind_real(s, 5, in->weight);
    store_bind_text(s, 6, props);
    store_bind_text(s, 7, in->created_at ? in->created_at : now);
    if (store_step(s, err) < 0) goto done;
    *created = true;
    ret = 0;
done:
    free(props);
    return ret;
}

#define EDGE_COLUMNS                                                                                    \
    "s.node_key AS source_id, d.node_key AS target_id, e.relation AS relationship_type, e.weight, "      \
    "e.properties, e.created_at"
#define EDGE_JOINS " JOIN graph_nodes s ON s.id = e.src JOIN graph_nodes d ON d.id = e.dst"

/* A row of EDGE_COLUMNS as the edge's JSON form (properties parsed). */
static json_t *edge_row(store_stmt *s) {
    json_t *row = store_row_json(s);
    const char *props = jx_str(row, "properties");
    json_t *p = props ? json_loads(props, 0, NULL) : NULL;
    json_object_set_new(row, "properties", p ? p : json_object());
    return row;
}

/* The edge with row id `id` as JSON; NULL with err if absent. */
static json_t *graph_edge_json(store *st, int64_t id, lt_err *err) {
    store_stmt *s = store_prepare(st, "SELECT " EDGE_COLUMNS " FROM graph_edges e" EDGE_JOINS " WHERE e.id = ?", err);
    if (!s) return NULL;
    store_bind_int(s, 1, id);
    int rc = store_step(s, err);
    if (rc != 1) {
        if (rc == 0) lt_err_set(err, LT_ERR_NOT_FOUND, "Relationship %lld not found", (long long)id);
        return NULL;
    }
    json_t *row = edge_row(s);
    store_reset(s);
    return row;
}

typedef struct {
    const char *project;
    const graph_edge_input *in;
    bool created;
    int64_t edge;
} link_ctx;

static int link_tx(store *st, void *vctx, lt_err *err) {
    link_ctx *c = vctx;
    if (graph_edge_put(st, c->project, c->in, true, false, &c->created, err)) return -1;
    store_stmt *s = store_prepare(st,
                                  "SELECT e.id FROM graph_edges e JOIN graph_nodes s ON s.id = e.src JOIN graph_nodes d"
                                  " ON d.id = e.dst WHERE s.project = ?1 AND s.node_key = ?2 AND d.project = ?1"
                                  " AND d.node_key = ?3 AND e.relation = ?4", err);
    if (!s) return -1;
    store_bind_text(s, 1, c->project);
    store_bind_text(s, 2, c->in->source_id);
    store_bind_text(s, 3, c->in->target_id);
    store_bind_text(s, 4, c->in->relation);
    if (store_step(s, err) != 1) return lt_err_set(err, LT_ERR_INTERNAL, "the relationship vanished after writing it");
    c->edge = store_col_int(s, 0);
    store_reset(s);
    return 0;
}

int graph_link(store *st, const char *project, const graph_edge_input *in, json_t *out, lt_err *err) {
    link_ctx c = {project, in, false, 0};
    if (store_write(st, link_tx, &c, err)) return -1;
    json_t *edge = graph_edge_json(st, c.edge, err);
    if (!edge) return -1;
    /* The relationship exists now, as in the original (which MERGEd);
     * already_existed tells an update from a creation. */
    jx_set_bool(out, "relationship_created", true);
    jx_set_bool(out, "already_existed", !c.created);
    jx_set_str(out, "source_id", in->source_id);
    jx_set_str(out, "target_id", in->target_id);
    jx_set_str(out, "relationship_type", in->relation);
    json_object_set(out, "weight", json_object_get(edge, "weight"));
    json_object_set(out, "properties", json_object_get(edge, "properties"));
    jx_set_str(out, "created_at", jx_str(edge, "created_at"));
    json_decref(edge);
    return 0;
}

typedef struct {
    const char *project, *source, *target, *relation;
    int removed;
    char kind[32];
} unlink_ctx;

static int need_node(store *st, const char *project, const char *id, int64_t *node, lt_err *err) {
    node_ref ref;
    if (nodeid_parse(id, &ref, err) || graph_node_find(st, project, id, node, err)) return -1;
    if (!*node) return lt_err_set(err, LT_ERR_NOT_FOUND, "Node not found: %.200s", id);
    return 0;
}

static int unlink_tx(store *st, void *vctx, lt_err *err) {
    unlink_ctx *c = vctx;
    int64_t src, dst;
    if (need_node(st, c->project, c->source, &src, err) || need_node(st, c->project, c->target, &dst, err)) return -1;
    store_stmt *s = store_prepare(st, "DELETE FROM graph_edges WHERE src = ?1 AND dst = ?2 AND (?3 IS NULL OR relation = ?3)",
                                  err);
    if (!s) return -1;
    store_bind_int(s, 1, src);
    store_bind_int(s, 2, dst);
    store_bind_text(s, 3, c->relation);
    if (store_step(s, err) < 0) return -1;
    c->removed = store_changes(st);
    if (c->removed == 0) {
        if (c->relation)
            return lt_err_set(err, LT_ERR_NOT_FOUND, "No %.100s relationship from %.150s to %.150s", c->relation, c->source,
                              c->target);
        return lt_err_set(err, LT_ERR_NOT_FOUND, "No relationship from %.150s to %.150s", c->source, c->target);
    }
    return 0;
}

int graph_unlink(store *st, const char *project, const char *source, const char *target, const char *relation,
                 json_t *out, lt_err *err) {
    unlink_ctx c = {project, source, target, relation, 0, ""};
    if (store_write(st, unlink_tx, &c, err)) return -1;
    jx_set_int(out, "relationships_removed", c.removed);
    jx_set_str(out, "source_id", source);
    jx_set_str(out, "target_id", target);
    jx_set_str(out, "relationship_type", relation);
    return 0;
}

static int delete_node_tx(store *st, void *vctx, lt_err *err) {
    unlink_ctx *c = vctx;
    int64_t node;
    if (need_node(st, c->project, c->source, &node, err)) return -1;
    node_ref ref;
    nodeid_parse(c->source, &ref, NULL);
    if (ref.kind == NODE_MEMORY || ref.kind == NODE_BLUEPRINT) {
        /* Such a node stands for its record while the record exists. */
        char *label = NULL;
        lt_err e2;
        if (record_label(st, c->project, &ref, c->source, &label, &e2) == 0) {
            free(label);
            return lt_err_set(err, LT_ERR_CONFLICT, "Node %.100s belongs to %s %.40s; it goes when that %s is deleted "
                              "(%s delete)", c->source, nodeid_kind_name(ref.kind), ref.rest, nodeid_kind_name(ref.kind),
                              ref.kind == NODE_MEMORY ? "memory_action" : "blueprint_action");
        }
        if (e2.code != LT_ERR_NOT_FOUND) { *err = e2; return -1; }
    }
    store_stmt *s = store_prepare(st, "SELECT (SELECT count(*) FROM graph_edges WHERE src = ?1) +"
                                      " (SELECT count(*) FROM graph_edges WHERE dst = ?1), kind FROM graph_nodes WHERE id = ?1",
                                  err);
    if (!s) return -1;
    store_bind_int(s, 1, node);
    if (store_step(s, err) != 1) return -1;
    c->removed = (int)store_col_int(s, 0);
    snprintf(c->kind, sizeof c->kind, "%s", store_col_text(s, 1));
    store_reset(s);
    s = store_prepare(st, "DELETE FROM graph_nodes WHERE id = ?", err); /* edges cascade */
    if (!s) return -1;
    store_bind_int(s, 1, node);
    return store_step(s, err) < 0 ? -1 : 0;
}

int graph_delete_node(store *st, const char *project, const char *id, json_t *out, lt_err *err) {
    unlink_ctx c = {project, id, NULL, NULL, 0, ""};
    if (store_write(st, delete_node_tx, &c, err)) return -1;
    jx_set_str(out, "node_id", id);
    jx_set_str(out, "kind", c.kind);
    jx_set_bool(out, "deleted", true);
    jx_set_int(out, "relationships_removed", c.removed);
    return 0;
}

/* ---- reads -------------------------------------------------------------------- */

int graph_relationships(store *st, const char *project, const char *entity, const char *relation, graph_dir dir,
                        int64_t limit, int64_t offset, json_t *out, lt_err *err) {
    node_ref ref;
    int64_t node;
    if (nodeid_parse(entity, &ref, err) || graph_node_find(st, project, entity, &node, err)) return -1;
    json_t *rels = json_array();
    json_object_set_new(out, "relationships", rels);
    int64_t total = 0;
    if (node) {
        /* One statement per direction keeps each side on its index. */
        const char *where = dir == GRAPH_OUT ? "e.src = ?1" : dir == GRAPH_IN ? "e.dst = ?1" : "(e.src = ?1 OR e.dst = ?1)";
        char sql[640];
        snprintf(sql, sizeof sql,
                 "SELECT " EDGE_COLUMNS " FROM graph_edges e" EDGE_JOINS
                 " WHERE %s AND (?2 IS NULL OR e.relation = ?2) ORDER BY e.id LIMIT ?3 OFFSET ?4", where);
        store_stmt *s = store_prepare(st, sql, err);
        if (!s) return -1;
        store_bind_int(s, 1, node);
        store_bind_text(s, 2, relation);
        store_bind_int(s, 3, limit);
        store_bind_int(s, 4, offset);
        int rc;
        while ((rc = store_step(s, err)) == 1) json_array_append_new(rels, edge_row(s));
        if (rc < 0) return -1;
        snprintf(sql, sizeof sql, "SELECT count(*) FROM graph_edges e WHERE %s AND (?2 IS NULL OR e.relation = ?2)", where);
        s = store_prepare(st, sql, err);
        if (!s) return -1;
        store_bind_int(s, 1, node);
        store_bind_text(s, 2, relation);
        if (store_step(s, err) != 1) return -1;
        total = store_col_int(s, 0);
        store_reset(s);
    }
    size_t n = json_array_size(rels);
    jx_set_int(out, "count", (int64_t)n);
    jx_set_int(out, "total_count", total);
    jx_set_int(out, "offset", offset);
    jx_set_bool(out, "has_more", offset + (int64_t)n < total);
    jx_set_bool(out, "node_exists", node != 0);
    return 0;
}

/* Runs a two-column (name, count) query into an object. */
static int counts_into(store *st, const char *sql, const char *project, json_t *obj, lt_err *err) {
    store_stmt *s = store_prepare(st, sql, err);
    if (!s) return -1;
    store_bind_text(s, 1, project);
    int rc;
    while ((rc = store_step(s, err)) == 1) jx_set_int(obj, store_col_text(s, 0), store_col_int(s, 1));
    return rc < 0 ? -1 : 0;
}

static int64_t count_of(store *st, const char *sql, const char *project, lt_err *err) {
    store_stmt *s = store_prepare(st, sql, err);
    if (!s) return -1;
    store_bind_text(s, 1, project);
    if (store_step(s, err) != 1) return -1;
    int64_t n = store_col_int(s, 0);
    store_reset(s);
    return n;
}

int graph_stats(store *st, const char *project, json_t *out, lt_err *err) {
    int64_t nodes = count_of(st, "SELECT count(*) FROM graph_nodes WHERE project = ?", project, err);
    int64_t edges = count_of(st, "SELECT count(*) FROM graph_edges WHERE project = ?", project, err);
    if (nodes < 0 || edges < 0) return -1;
    json_t *by_kind = json_object(), *by_type = json_object(), *records = json_object();
    json_object_set_new(out, "nodes_by_kind", by_kind);
    json_object_set_new(out, "relationships_by_type", by_type);
    json_object_set_new(out, "record_counts", records);
    jx_set_int(out, "total_nodes", nodes);
    jx_set_int(out, "total_relationships", edges);
    if (counts_into(st, "SELECT kind, count(*) FROM graph_nodes WHERE project = ? GROUP BY kind ORDER BY 2 DESC, 1",
                    project, by_kind, err) ||
        counts_into(st, "SELECT relation, count(*) FROM graph_edges WHERE project = ? GROUP BY relation"
                        " ORDER BY 2 DESC, 1 LIMIT 50", project, by_type, err))
        return -1;
    static const char *const tables[][2] = {
        {"memories", "SELECT count(*) FROM memories WHERE project = ?"},
        {"todos", "SELECT count(*) FROM todos WHERE project = ?"},
        {"chat_messages", "SELECT count(*) FROM chat_messages WHERE project = ?"},
        {"blueprints", "SELECT count(*) FROM blueprints WHERE project = ?"},
    };
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
        int64_t n = count_of(st, tables[i][1], project, err);
        if (n < 0) return -1;
        jx_set_int(records, tables[i][0], n);
    }
    return 0;
}
