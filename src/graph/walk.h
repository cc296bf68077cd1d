/* walk.h - neighbourhoods and shortest paths in the knowledge graph, in SQL.
 *
 * Both are recursive CTEs over the indexed edge table, breadth-first (the
 * CTE's queue is ordered by depth), and bounded three ways: in depth
 * (WALK_MAX_DEPTH), in the rows the CTE may produce (WALK_MAX_ROWS, after
 * which the result says truncated), and in time (WALK_TIME_LIMIT_MS, after
 * which the query is stopped through store_set_deadline and the call fails
 * with LT_ERR_TIMEOUT).
 * Edges only join nodes of one project, so a walk that starts in a project
 * stays in it. */
#ifndef LT_WALK_H
#define LT_WALK_H

#include "../core/err.h"
#include "../store/store.h"
#include "graph.h"

#include <jansson.h>
#include <stdint.h>

#define WALK_MAX_DEPTH 6
#define WALK_MAX_ROWS 200000
#define WALK_TIME_LIMIT_MS 2000
#define WALK_MAX_EDGES 1000 /* relationships listed with a traverse page */

typedef struct {
    const char *project;
    const char *start;    /* node id */
    const char *relation; /* follow only this relation; NULL: any */
    graph_dir dir;        /* follow edges out of, into, or either way from a node */
    int depth;            /* 1..WALK_MAX_DEPTH */
    int64_t limit, offset;
    int64_t max_rows;     /* rows the CTE may produce; 0: WALK_MAX_ROWS */
    int time_limit_ms;    /* 0: WALK_TIME_LIMIT_MS */
} walk_query;

/* The nodes within depth of start (start itself at depth 0), nearest
 * first, then oldest, one page of them: nodes[{id, kind, label, depth}],
 * relationships[] among the nodes of the page (up to WALK_MAX_EDGES),
 * count, total_count, has_more, truncated. Fails when start is absent. */
int graph_traverse(store *st, const walk_query *q, json_t *out, lt_err *err);

/* A shortest path from q->start to target of at most q->depth edges:
 * found, length, nodes[{id, kind, label}], relationships[] in path order.
 * Not finding one is a result (found false), not an error; a missing
 * endpoint is an error. */
int graph_path(store *st, const walk_query *q, const char *target, json_t *out, lt_err *err);

#endif
