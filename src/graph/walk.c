#include "walk.h"

#include "../core/clock.h"
#include "../core/jsonx.h"
#include "nodeid.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One recursive step of a walk from the node in column `node` of `cte`:
 * along edges (out: src -> dst) or against them, while the depth is below
 * parameter ?depth_param, of relation ?5 when relation is set. A path
 * search also carries the nodes seen (to stay cycle-free) and the edges
 * taken. */
static size_t step_sql(char *buf, size_t len, const char *cte, bool out, int depth_param, bool relation, bool path) {
    const char *from = out ? "src" : "dst", *to = out ? "dst" : "src";
    char cols[256] = "", cycle[128] = "";
    if (path) {
        snprintf(cols, sizeof cols, ", %s.seen || e.%s || ',', %s.edges || e.id || ','", cte, to, cte);
        snprintf(cycle, sizeof cycle, " AND instr(%s.seen, ',' || e.%s || ',') = 0", cte, to);
    }
    return (size_t)snprintf(buf, len,
                            " UNION %sSELECT e.%s, %s.depth + 1%s FROM %s JOIN graph_edges e ON e.%s = %s.node"
                            " WHERE %s.depth < ?%d%s%s",
                            path ? "ALL " : "", to, cte, cols, cte, from, cte, cte, depth_param,
                            relation ? " AND e.relation = ?5" : "", cycle);
}

/* The recursive steps for a direction: out, in, or both. */
static void steps_sql(char *buf, size_t len, const char *cte, graph_dir dir, int depth_param, bool relation,
                      bool path) {
    size_t n = 0;
    buf[0] = '\0';
    if (dir != GRAPH_IN) n += step_sql(buf + n, len - n, cte, true, depth_param, relation, path);
    if (dir != GRAPH_OUT && n < len) step_sql(buf + n, len - n, cte, false, depth_param, relation, path);
}

static int time_limit(const walk_query *q) { return q->time_limit_ms > 0 ? q->time_limit_ms : WALK_TIME_LIMIT_MS; }

static void start_clock(store *st, const walk_query *q) {
    store_set_deadline(st, clock_mono_ns() + (uint64_t)time_limit(q) * 1000000u);
}

static int timed_out(lt_err *err, const walk_query *q, const char *what) {
    if (err && err->code == LT_ERR_TIMEOUT)
        lt_err_set(err, LT_ERR_TIMEOUT, "The %s was stopped after %d ms: use a smaller depth or a relation_type filter",
                   what, time_limit(q));
    return -1;
}

static int need_start(store *st, const char *project, const char *id, int64_t *node, lt_err *err) {
    node_ref ref;
    if (nodeid_parse(id, &ref, err) || graph_node_find(st, project, id, node, err)) return -1;
    if (!*node) return lt_err_set(err, LT_ERR_NOT_FOUND, "Node not found: %.200s", id);
    return 0;
}

/* The relationships whose both ends are among the page's nodes, in one
 * statement: each page node's edges come from the src index, whose dst
 * column is checked against the page before any row is read (the unary +
 * keeps SQLite from probing every src x dst pair instead). */
static int page_edges(store *st, const walk_query *q, const int64_t *ids, size_t n, json_t *out, lt_err *err) {
    json_t *id_list = json_array();
    for (size_t i = 0; i < n; i++) json_array_append_new(id_list, json_integer(ids[i]));
    char *text = jx_dump(id_list);
    json_decref(id_list);
    if (!text) return lt_err_set(err, LT_ERR_INTERNAL, "out of memory");
    const char *sql = q->relation
                          ? "SELECT s.node_key, d.node_key, e.relation, e.weight FROM graph_edges e"
                            " JOIN graph_nodes s ON s.id = e.src JOIN graph_nodes d ON d.id = e.dst"
                            " WHERE e.src IN (SELECT value FROM json_each(?1)) AND +e.dst IN (SELECT value FROM json_each(?1))"
                            " AND e.relation = ?2 ORDER BY e.id LIMIT ?3"
                          : "SELECT s.node_key, d.node_key, e.relation, e.weight FROM graph_edges e"
                            " JOIN graph_nodes s ON s.id = e.src JOIN graph_nodes d ON d.id = e.dst"
                            " WHERE e.src IN (SELECT value FROM json_each(?1)) AND +e.dst IN (SELECT value FROM json_each(?1))"
                            " ORDER BY e.id LIMIT ?3";
    store_stmt *s = store_prepare(st, sql, err);
    if (!s) { free(text); return -1; }
    store_bind_text(s, 1, text);
    if (q->relation) store_bind_text(s, 2, q->relation);
    store_bind_int(s, 3, WALK_MAX_EDGES + 1);
    free(text);
    json_t *rels = json_array();
    json_object_set_new(out, "relationships", rels);
    int rc;
    while ((rc = store_step(s, err)) == 1) {
        if (json_array_size(rels) == WALK_MAX_EDGES) { store_reset(s); break; }
        json_array_append_new(rels, json_pack("{s:s, s:s, s:s, s:f}", "source_id", store_col_text(s, 0), "target_id",
                                              store_col_text(s, 1), "relationship_type", store_col_text(s, 2), "weight",
                                              store_col_real(s, 3)));
    }
    if (rc < 0) return -1;
    jx_set_bool(out, "relationships_truncated", rc == 1);
    return 0;
}

int graph_traverse(store *st, const walk_query *q, json_t *out, lt_err *err) {
    assert(q->depth >= 1 && q->depth <= WALK_MAX_DEPTH);
    int64_t start;
    if (need_start(st, q->project, q->start, &start, err)) return -1;
    char steps[1024], sql[2048];
    steps_sql(steps, sizeof steps, "w", q->dir, 3, q->relation != NULL, false);
    /* UNION (not ALL) keeps one row per (node, depth), so a level never
     * holds more rows than the project has nodes; ORDER BY depth makes the
     * queue breadth-first, so the row limit cuts the deepest level first.
     * sum(c) counts the walk's rows, to tell when that limit was hit. */
    /* Nodes are read only for the page: the order (depth, then node row
     * id, i.e. oldest first) needs nothing but the walk itself. */
    snprintf(sql, sizeof sql,
             "WITH RECURSIVE w(node, depth) AS (SELECT ?1, 0%s ORDER BY 2 LIMIT ?6),"
             " best AS (SELECT node, min(depth) AS depth, count(*) AS c FROM w GROUP BY node),"
             " page AS (SELECT node, depth, count(*) OVER () AS total, sum(c) OVER () AS rows FROM best"
             " ORDER BY depth, node LIMIT ?4 OFFSET ?7)"
             " SELECT n.id, n.node_key, n.kind, n.label, p.depth, p.total, p.rows"
             " FROM page p JOIN graph_nodes n ON n.id = p.node ORDER BY p.depth, p.node",
             steps);
    int64_t total = -1, rows = 0, max_rows = q->max_rows > 0 ? q->max_rows : WALK_MAX_ROWS;
    json_t *nodes = json_array();
    int64_t *ids = malloc((size_t)(q->limit > 0 ? q->limit : 1) * sizeof *ids);
    int ret = -1;
    if (!ids) { lt_err_set(err, LT_ERR_INTERNAL, "out of memory"); goto done; }
    for (int pass = 0; pass < 2 && total < 0; pass++) {
        /* Past the end the page is empty and carries no totals: ask again
         * for the first row only. */
        store_stmt *s = store_prepare(st, sql, err);
        if (!s) goto done;
        store_bind_int(s, 1, start);
        store_bind_int(s, 3, q->depth);
        if (q->relation) store_bind_text(s, 5, q->relation);
        store_bind_int(s, 4, pass ? 1 : q->limit);
        store_bind_int(s, 6, max_rows);
        store_bind_int(s, 7, pass ? 0 : q->offset);
        start_clock(st, q);
        int rc;
        while ((rc = store_step(s, err)) == 1) {
            total = store_col_int(s, 5);
            rows = store_col_int(s, 6);
            if (pass) continue;
            ids[json_array_size(nodes)] = store_col_int(s, 0);
            json_t *node = json_pack("{s:s, s:s, s:s?, s:I}", "id", store_col_text(s, 1), "kind", store_col_text(s, 2),
                                     "label", store_col_text(s, 3), "depth", (json_int_t)store_col_int(s, 4));
            json_array_append_new(nodes, node);
        }
        store_set_deadline(st, 0);
        if (rc < 0) { timed_out(err, q, "traversal"); goto done; }
    }
    if (total < 0) total = 0;
    json_object_set_new(out, "nodes", json_incref(nodes));
    size_t n = json_array_size(nodes);
    if (page_edges(st, q, ids, n, out, err)) goto done;
    jx_set_str(out, "start_id", q->start);
    jx_set_int(out, "depth", q->depth);
    jx_set_int(out, "count", (int64_t)n);
    jx_set_int(out, "total_count", total);
    jx_set_int(out, "offset", q->offset);
    jx_set_bool(out, "has_more", q->offset + (int64_t)n < total);
    jx_set_bool(out, "truncated", rows >= max_rows);
    if (rows >= max_rows)
        jx_set_str(out, "message", "The walk reached its row limit: the deepest level is incomplete; use a smaller "
                                   "depth or a relation_type filter");
    ret = 0;
done:
    json_decref(nodes);
    free(ids);
    return ret;
}

/* ---- shortest path --------------------------------------------------------------- */

/* Appends the ids of "12,45," to ids (reversed when reverse). */
static size_t parse_ids(const char *list, int64_t *ids, size_t n, size_t cap, bool reverse) {
    size_t first = n;
    for (const char *p = list; *p && n < cap;) {
        char *end;
        long long v = strtoll(p, &end, 10);
        if (end == p) break;
        ids[n++] = v;
        p = *end == ',' ? end + 1 : end;
    }
    if (reverse)
        for (size_t i = first, j = n; i + 1 < j; i++, j--) {
            int64_t t = ids[i];
            ids[i] = ids[j - 1];
            ids[j - 1] = t;
        }
    return n;
}

static json_t *node_json(store *st, int64_t id, lt_err *err) {
    store_stmt *s = store_prepare(st, "SELECT node_key AS id, kind, label FROM graph_nodes WHERE id = ?", err);
    if (!s) return NULL;
    store_bind_int(s, 1, id);
    if (store_step(s, err) != 1) return NULL;
    json_t *row = store_row_json(s);
    store_reset(s);
    return row;
}

/* Fills nodes[] and relationships[] from the edge ids of a path. */
static int describe_path(store *st, int64_t start, const int64_t *edges, size_t n, json_t *out, lt_err *err) {
    json_t *nodes = json_array(), *rels = json_array();
    json_object_set_new(out, "nodes", nodes);
    json_object_set_new(out, "relationships", rels);
    json_t *first = node_json(st, start, err);
    if (!first) return -1;
    json_array_append_new(nodes, first);
    int64_t at = start;
    for (size_t i = 0; i < n; i++) {
        store_stmt *s = store_prepare(st,
                                      "SELECT e.src, e.dst, s.node_key, d.node_key, e.relation, e.weight FROM graph_edges e"
                                      " JOIN graph_nodes s ON s.id = e.src JOIN graph_nodes d ON d.id = e.dst WHERE e.id = ?",
                                      err);
        if (!s) return -1;
        store_bind_int(s, 1, edges[i]);
        if (store_step(s, err) != 1) return lt_err_set(err, LT_ERR_INTERNAL, "a path's relationship vanished");
        int64_t src = store_col_int(s, 0), dst = store_col_int(s, 1);
        json_array_append_new(rels, json_pack("{s:s, s:s, s:s, s:f}", "source_id", store_col_text(s, 2), "target_id",
                                              store_col_text(s, 3), "relationship_type", store_col_text(s, 4), "weight",
                                              store_col_real(s, 5)));
        store_reset(s);
        assert(src == at || dst == at);
        at = src == at ? dst : src;
        json_t *node = node_json(st, at, err);
        if (!node) return -1;
        json_array_append_new(nodes, node);
    }
    return 0;
}

int graph_path(store *st, const walk_query *q, const char *target, json_t *out, lt_err *err) {
    assert(q->depth >= 1 && q->depth <= WALK_MAX_DEPTH);
    int64_t from, to;
    if (need_start(st, q->project, q->start, &from, err) || need_start(st, q->project, target, &to, err)) return -1;
    jx_set_str(out, "source_id", q->start);
    jx_set_str(out, "target_id", target);
    jx_set_int(out, "max_depth", q->depth);
    if (from == to) {
        jx_set_bool(out, "found", true);
        jx_set_int(out, "length", 0);
        return describe_path(st, from, NULL, 0, out, err);
    }
    /* Meet in the middle: simple paths of up to ceil(depth/2) edges from the
     * source and floor(depth/2) edges back from the target, joined where
     * they end on the same node. Carrying the path keeps each half free of
     * cycles; halving the depth keeps the number of paths small. */
    graph_dir back = q->dir == GRAPH_OUT ? GRAPH_IN : q->dir == GRAPH_IN ? GRAPH_OUT : GRAPH_BOTH;
    char fsteps[1024], bsteps[1024], ctes[3072], sql[3584];
    steps_sql(fsteps, sizeof fsteps, "f", q->dir, 3, q->relation != NULL, true);
    steps_sql(bsteps, sizeof bsteps, "b", back, 4, q->relation != NULL, true);
    snprintf(ctes, sizeof ctes,
             "WITH RECURSIVE f(node, depth, seen, edges) AS (SELECT ?1, 0, ',' || ?1 || ',', ''%s ORDER BY 2 LIMIT ?6),"
             " b(node, depth, seen, edges) AS (SELECT ?2, 0, ',' || ?2 || ',', ''%s ORDER BY 2 LIMIT ?6)",
             fsteps, bsteps);
    snprintf(sql, sizeof sql,
             "%s SELECT f.edges, b.edges, f.depth + b.depth AS len FROM f JOIN b ON b.node = f.node"
             " ORDER BY len, f.edges, b.edges LIMIT 1", ctes);
    int64_t edges[2 * WALK_MAX_DEPTH + 2], max_rows = q->max_rows > 0 ? q->max_rows : WALK_MAX_ROWS;
    size_t n = 0;
    bool found = false, truncated = false;
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1) {
            if (found) break;
            /* Nothing found: say whether the row limit may be why. */
            snprintf(sql, sizeof sql, "%s SELECT (SELECT count(*) FROM f), (SELECT count(*) FROM b)", ctes);
        }
        store_stmt *s = store_prepare(st, sql, err);
        if (!s) return -1;
        store_bind_int(s, 1, from);
        store_bind_int(s, 2, to);
        store_bind_int(s, 3, (q->depth + 1) / 2);
        store_bind_int(s, 4, q->depth / 2);
        if (q->relation) store_bind_text(s, 5, q->relation);
        store_bind_int(s, 6, max_rows);
        start_clock(st, q);
        int rc = store_step(s, err);
        store_set_deadline(st, 0);
        if (rc < 0) return timed_out(err, q, "path search");
        if (rc == 1 && pass == 0) {
            found = true;
            n = parse_ids(store_col_text(s, 0), edges, 0, sizeof edges / sizeof edges[0], false);
            n = parse_ids(store_col_text(s, 1), edges, n, sizeof edges / sizeof edges[0], true);
        } else if (rc == 1) {
            truncated = store_col_int(s, 0) >= max_rows || store_col_int(s, 1) >= max_rows;
        }
        store_reset(s);
    }
    jx_set_bool(out, "found", found);
    if (!found) {
        jx_set_null(out, "length");
        json_object_set_new(out, "nodes", json_array());
        json_object_set_new(out, "relationships", json_array());
        jx_set_bool(out, "truncated", truncated);
        jx_set_str(out, "message", truncated ? "No path found before the search reached its row limit; use a relation_type "
                                               "filter or a smaller max_depth"
                                             : "No path within max_depth");
        return 0;
    }
    jx_set_int(out, "length", (int64_t)n);
    return describe_path(st, from, edges, n, out, err);
}
