/* bench_graph.c - benchmarks of the knowledge graph and task blueprints
 * (graph_action, blueprint_action) over `ltmc serve`'s real stdio
 * transport.
 *
 *   build/bench_graph build/ltmc        (what `make bench` runs)
 *
 * 1. A server creates a fresh database (migrations); the harness then bulk
 *    loads a graph of 100,000 nodes and 500,000 edges into it with plain
 *    SQL (one transaction; nodes n0..n99999, five edges out of each node to
 *    pseudo-random others, relations R0..R3) and closes it. Only the loading
 *    bypasses ltmc: everything measured below goes through tools/call.
 * 2. On that graph, sequential round trips:
 *      graph_action link          (new edges between random nodes)
 *      graph_action traverse      depth 3, both directions, first page (100)
 *      graph_action traverse      depth 3, outgoing only
 *      graph_action path          max_depth 4, and 6, between random nodes
 * 3. In another project of the same database: 1,000 blueprints made with
 *    blueprint_action create and about 2,000 dependencies with
 *    add_dependency (each checked for cycles), then resolve_order of all
 *    1,000.
 *
 * Goals: traverse depth 3 p95 < 10 ms; resolve_order (1,000) p95 < 20 ms.
 * Benchmarks print numbers; the exit status is 1 only when the server
 * misbehaves (an error reply, a crash, a hang). */
#include "benchutil.h"

#include <sqlite3.h>

#define NODES 100000
#define EDGES 500000
#define RELATIONS 4
#define LINK_RUNS 1000
#define TRAVERSE_WARMUP 20
#define TRAVERSE_RUNS 500
#define PATH_RUNS 200
#define BLUEPRINTS 1000
#define DEPS_PER_BLUEPRINT 2
#define ORDER_WARMUP 5
#define ORDER_RUNS 100

typedef struct {
    uint64_t s;
} rng;

static uint64_t rng_next(rng *r) { /* splitmix64 */
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static long rng_below(rng *r, long n) { return (long)(rng_next(r) % (uint64_t)n); }

static void sql_ok(sqlite3 *db, int rc, const char *what) {
    if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) fatal("%s: %s", what, sqlite3_errmsg(db));
}

/* Loads the graph into project "bench" of the database at path (already
 * migrated by a server). Returns the edges inserted. */
static long load_graph(const char *path) {
    sqlite3 *db = NULL;
    int rc = sqlite3_open(path, &db);
    sql_ok(db, rc, "open");
    sql_ok(db, sqlite3_exec(db, "PRAGMA foreign_keys=ON; BEGIN", NULL, NULL, NULL), "begin");
    sqlite3_stmt *node, *edge;
    sql_ok(db, sqlite3_prepare_v2(db, "INSERT INTO graph_nodes(id, project, node_key, kind, created_at)"
                                      " VALUES (?, 'bench', ?, 'entity', '2026-01-01T00:00:00.000Z')", -1, &node, NULL),
           "prepare");
    for (long i = 0; i < NODES; i++) {
        char key[24];
        snprintf(key, sizeof key, "n%ld", i);
        sqlite3_bind_int64(node, 1, i + 1);
        sqlite3_bind_text(node, 2, key, -1, SQLITE_TRANSIENT);
        sql_ok(db, sqlite3_step(node), "insert node");
        sqlite3_reset(node);
    }
    sql_ok(db, sqlite3_prepare_v2(db, "INSERT OR IGNORE INTO graph_edges(project, src, dst, relation, weight, created_at)"
                                      " VALUES ('bench', ?, ?, ?, 1.0, '2026-01-01T00:00:00.000Z')", -1, &edge, NULL),
           "prepare");
    rng r = {12345};
    long inserted = 0;
    while (inserted < EDGES) {
        long src = inserted % NODES, dst = rng_below(&r, NODES);
        if (dst == src) continue;
        char rel[8];
        snprintf(rel, sizeof rel, "R%ld", rng_below(&r, RELATIONS));
        sqlite3_bind_int64(edge, 1, src + 1);
        sqlite3_bind_int64(edge, 2, dst + 1);
        sqlite3_bind_text(edge, 3, rel, -1, SQLITE_TRANSIENT);
        sql_ok(db, sqlite3_step(edge), "insert edge");
        inserted += sqlite3_changes(db);
        sqlite3_reset(edge);
    }
    sqlite3_finalize(node);
    sqlite3_finalize(edge);
    sql_ok(db, sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), "commit");
    sqlite3_close(db);
    return inserted;
}

/* One tools/call; returns its latency in ms and the structuredContent in
 * *sc (owned by *root). */
static double call(server *s, const char *tool, const char *args, json_t **sc, json_t **root) {
    static char req[80000], params[79000];
    long id = s->next_id++;
    snprintf(params, sizeof params, "{\"name\":\"%s\",\"arguments\":%s}", tool, args);
    size_t n = make_request(req, sizeof req, id, "tools/call", params);
    json_t *result;
    double ms = (double)round_trip(s, req, n, id, true, &result, root) / 1e6;
    *sc = json_object_get(result, "structuredContent");
    return ms;
}

static double call_drop(server *s, const char *tool, const char *args) {
    json_t *sc, *root;
    double ms = call(s, tool, args, &sc, &root);
    json_decref(root);
    return ms;
}

typedef struct {
    double p50, p95, p99;
} pcts;

static pcts summarise(double *ms, size_t n) {
    qsort(ms, n, sizeof *ms, cmp_double);
    return (pcts){median(ms, n), pct(ms, n, 95), pct(ms, n, 99)};
}

int main(int argc, char **argv) {
    bench_prog = "bench_graph";
    if (!bench_init(argc, argv, 0, NULL)) return 2;
    io_timeout_ms = 120000;
    uint64_t t_start = now_ns();
    char cfg_dir[PATH_MAX], data_dir[PATH_MAX], db_path[PATH_MAX + 16], version[64] = "?";
    bench_tmpdir("config", cfg_dir);
    bench_tmpdir("graph", data_dir);
    snprintf(db_path, sizeof db_path, "%s/ltmc.db", data_dir);
    const char *extra[] = {"LTMC_EMBEDDING_BACKEND=hash", NULL};
    char **env = make_child_env(data_dir, cfg_dir, extra);

    /* 1. Migrate with a server, load with SQL. */
    server s = {0};
    s.in_fd = s.out_fd = -1;
    server_spawn(&s, env);
    initialize(&s, version, sizeof version);
    call_drop(&s, "graph_action", "{\"action\":\"stats\",\"project\":\"bench\"}");
    server_close(&s);
    uint64_t t0 = now_ns();
    long edges = load_graph(db_path);
    double load_s = (double)(now_ns() - t0) / 1e9;
    fprintf(stderr, "%s: loaded %d nodes and %ld edges in %.1f s\n", bench_prog, NODES, edges, load_s);

    server_spawn(&s, env);
    initialize(&s, version, sizeof version);
    json_t *sc, *root;
    call(&s, "graph_action", "{\"action\":\"stats\",\"project\":\"bench\"}", &sc, &root);
    long nodes = (long)json_integer_value(json_object_get(sc, "total_nodes"));
    long rels = (long)json_integer_value(json_object_get(sc, "total_relationships"));
    json_decref(root);
    if (nodes != NODES || rels != EDGES) fatal("stats: %ld nodes, %ld relationships", nodes, rels);

    rng r = {777};
    char args[65536];
    static double ms[LINK_RUNS > TRAVERSE_RUNS ? LINK_RUNS : TRAVERSE_RUNS];

    /* 2a. link: new relationships between random existing nodes. */
    for (int i = 0; i < LINK_RUNS; i++) {
        long a = rng_below(&r, NODES), b = rng_below(&r, NODES);
        if (a == b) b = (b + 1) % NODES;
        snprintf(args, sizeof args, "{\"action\":\"link\",\"project\":\"bench\",\"source_id\":\"n%ld\",\"target_id\":\"n%ld\","
                 "\"relation\":\"BENCH\",\"properties\":{\"run\":%d}}", a, b, i);
        ms[i] = call_drop(&s, "graph_action", args);
    }
    pcts link = summarise(ms, LINK_RUNS);

    /* 2b. traverse depth 3, both ways and outgoing. */
    long visited = 0;
    pcts trav[2];
    for (int dir = 0; dir < 2; dir++) {
        for (int i = 0; i < TRAVERSE_WARMUP + TRAVERSE_RUNS; i++) {
            snprintf(args, sizeof args, "{\"action\":\"traverse\",\"project\":\"bench\",\"start_id\":\"n%ld\",\"depth\":3%s}",
                     rng_below(&r, NODES), dir ? ",\"direction\":\"outgoing\"" : "");
            double t = call(&s, "graph_action", args, &sc, &root);
            if (dir == 0 && i >= TRAVERSE_WARMUP) visited += (long)json_integer_value(json_object_get(sc, "total_count"));
            if (json_is_true(json_object_get(sc, "truncated"))) fatal("a depth-3 traversal was truncated");
            json_decref(root);
            if (i >= TRAVERSE_WARMUP) ms[i - TRAVERSE_WARMUP] = t;
        }
        trav[dir] = summarise(ms, TRAVERSE_RUNS);
    }

    /* 2c. path between random nodes, up to 4 and up to 6 relationships. */
    int found[2] = {0, 0};
    pcts path[2];
    for (int k = 0; k < 2; k++) {
        for (int i = 0; i < PATH_RUNS; i++) {
            snprintf(args, sizeof args, "{\"action\":\"path\",\"project\":\"bench\",\"source_id\":\"n%ld\",\"target_id\":"
                     "\"n%ld\",\"max_depth\":%d}", rng_below(&r, NODES), rng_below(&r, NODES), k ? 6 : 4);
            ms[i] = call(&s, "graph_action", args, &sc, &root);
            found[k] += json_is_true(json_object_get(sc, "found"));
            json_decref(root);
        }
        path[k] = summarise(ms, PATH_RUNS);
    }

    /* 3. blueprints: create, add dependencies (a random DAG: each depends on
     * up to two earlier ones), resolve the order of all of them. */
    static char ids[BLUEPRINTS][16];
    static double create_ms[BLUEPRINTS], dep_ms[BLUEPRINTS * DEPS_PER_BLUEPRINT];
    for (int i = 0; i < BLUEPRINTS; i++) {
        snprintf(args, sizeof args, "{\"action\":\"create\",\"project\":\"plan\",\"title\":\"task %d\",\"description\":"
                 "\"work item %d\",\"priority_score\":%.2f,\"complexity_score\":%.2f}", i, i,
                 (double)rng_below(&r, 100) / 100, (double)rng_below(&r, 100) / 100);
        create_ms[i] = call(&s, "blueprint_action", args, &sc, &root);
        snprintf(ids[i], sizeof ids[i], "%s", json_string_value(json_object_get(sc, "blueprint_id")));
        json_decref(root);
    }
    size_t n_deps = 0;
    for (int i = 1; i < BLUEPRINTS; i++) {
        for (int k = 0; k < DEPS_PER_BLUEPRINT; k++) {
            int j = (int)rng_below(&r, i);
            snprintf(args, sizeof args, "{\"action\":\"add_dependency\",\"project\":\"plan\",\"dependent_blueprint_id\":\"%s\","
                     "\"prerequisite_blueprint_id\":\"%s\"}", ids[i], ids[j]);
            /* A repeated pair is refused ("already exists"); that is not timed. */
            long id = s.next_id++;
            char req[1024];
            int n = snprintf(req, sizeof req, "{\"jsonrpc\":\"2.0\",\"id\":%ld,\"method\":\"tools/call\",\"params\":{\"name\":"
                             "\"blueprint_action\",\"arguments\":%s}}\n", id, args);
            uint64_t t1 = now_ns();
            write_all(&s, req, (size_t)n);
            size_t len;
            char *line = read_line(&s, &len);
            double t = (double)(now_ns() - t1) / 1e6;
            if (!strstr(line, "already exists")) {
                json_t *res = check_reply(line, len, id, true, &root);
                (void)res;
                json_decref(root);
                dep_ms[n_deps++] = t;
            }
        }
    }
    pcts create = summarise(create_ms, BLUEPRINTS), dep = summarise(dep_ms, n_deps);
    size_t off = (size_t)snprintf(args, sizeof args, "{\"action\":\"resolve_order\",\"project\":\"plan\",\"blueprint_ids\":[");
    for (int i = 0; i < BLUEPRINTS; i++) off += (size_t)snprintf(args + off, sizeof args - off, "%s\"%s\"", i ? "," : "", ids[BLUEPRINTS - 1 - i]);
    snprintf(args + off, sizeof args - off, "]}");
    double order_ms[ORDER_RUNS];
    for (int i = 0; i < ORDER_WARMUP + ORDER_RUNS; i++) {
        double t = call(&s, "blueprint_action", args, &sc, &root);
        if (json_integer_value(json_object_get(sc, "total_blueprints")) != BLUEPRINTS ||
            json_integer_value(json_object_get(sc, "dependencies_analyzed")) != (json_int_t)n_deps)
            fatal("resolve_order did not order every blueprint and dependency");
        json_decref(root);
        if (i >= ORDER_WARMUP) order_ms[i - ORDER_WARMUP] = t;
    }
    pcts order = summarise(order_ms, ORDER_RUNS);
    double rss = proc_status_mib(s.pid, "VmRSS");
    server_close(&s);

    char name[64];
    add_row("bulk load (SQL, not timed via ltmc)", "nodes/edges", (double)edges, "edges", 0, 0, NULL);
    add_row("bulk load (SQL, not timed via ltmc)", "time", load_s, "s", 1, 0, NULL);
    snprintf(name, sizeof name, "graph link @ 100k/500k");
    add_row(name, "p50", link.p50, "ms", 2, 0, NULL);
    add_row(name, "p95", link.p95, "ms", 2, 0, NULL);
    add_row(name, "p99", link.p99, "ms", 2, 0, NULL);
    snprintf(name, sizeof name, "traverse depth 3, both ways");
    add_row(name, "p50", trav[0].p50, "ms", 2, 0, NULL);
    add_row(name, "p95", trav[0].p95, "ms", 2, 10.0, "< 10 ms");
    add_row(name, "p99", trav[0].p99, "ms", 2, 0, NULL);
    add_row(name, "nodes reached", (double)visited / TRAVERSE_RUNS, "avg", 1, 0, NULL);
    snprintf(name, sizeof name, "traverse depth 3, outgoing");
    add_row(name, "p50", trav[1].p50, "ms", 2, 0, NULL);
    add_row(name, "p95", trav[1].p95, "ms", 2, 10.0, "< 10 ms");
    for (int k = 0; k < 2; k++) {
        snprintf(name, sizeof name, "path, max_depth %d", k ? 6 : 4);
        add_row(name, "p50", path[k].p50, "ms", 2, 0, NULL);
        add_row(name, "p95", path[k].p95, "ms", 2, 0, NULL);
        add_row(name, "found", 100.0 * found[k] / PATH_RUNS, "%", 0, 0, NULL);
    }
    snprintf(name, sizeof name, "blueprint create (1,000)");
    add_row(name, "p50", create.p50, "ms", 2, 0, NULL);
    snprintf(name, sizeof name, "blueprint add_dependency (%zu)", n_deps);
    add_row(name, "p50", dep.p50, "ms", 2, 0, NULL);
    add_row(name, "p95", dep.p95, "ms", 2, 0, NULL);
    snprintf(name, sizeof name, "resolve_order, 1,000 blueprints");
    add_row(name, "p50", order.p50, "ms", 2, 0, NULL);
    add_row(name, "p95", order.p95, "ms", 2, 20.0, "< 20 ms");
    add_row("server", "VmRSS", rss, "MiB", 1, 0, NULL);
    print_table("knowledge graph and blueprint benchmarks", version, (double)(now_ns() - t_start) / 1e9);
    free_child_env(env);
    free(s.buf);
    cleanup();
    return 0;
}
