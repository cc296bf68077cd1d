/* bench_cache.c - the cache tiers and cache_action over `ltmc serve`'s stdio.
 *
 *   build/bench_cache build/ltmc        (what `make bench` runs)
 *
 * In a fresh data directory (glove embeddings, no Redis) it imports
 * MEMORIES memories with bulk_store, then measures:
 *
 *   1. cache_action stats round trips (goal: under 1 ms);
 *   2. memory_action retrieve of a query not seen before (L1 flushed first,
 *      untimed) against the same retrieve repeated (served from L1); the
 *      ratio of the medians is the speed-up (goal: at least 10x);
 *   3. cache_action health_check.
 *
 * Benchmarks print numbers; they do not assert (exit 1 only when the server
 * misbehaves). */
#include "benchutil.h"

#define MEMORIES 20000
#define BATCH 5000
#define STATS_RUNS 2000
#define RETRIEVE_RUNS 200
#define HEALTH_RUNS 100

static const char *const words[] = {
    "deploy",  "pipeline", "cache",    "index",   "vector",  "release", "budget",  "database", "review",
    "schema",  "latency",  "memory",   "graph",   "token",   "session", "client",  "server",   "module",
    "network", "storage",  "thread",   "config",  "monitor", "alert",   "service", "backup",   "migrate",
    "search",  "ranking",  "document", "project", "branch",  "commit",  "merge",   "test",     "bench",
    "garden",  "recipe",   "holiday",  "weather", "travel",  "music",   "football", "coffee",  "library"};
#define N_WORDS (sizeof words / sizeof words[0])

static uint64_t rng(uint64_t *s) {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static double tool_us(server *s, const char *tool, const char *args, json_t **root_out) {
    size_t cap = strlen(args) + 256;
    char *params = malloc(cap), *req = malloc(cap + 128);
    snprintf(params, cap, "{\"name\":\"%s\",\"arguments\":%s}", tool, args);
    long id = s->next_id++;
    size_t n = make_request(req, cap + 128, id, "tools/call", params);
    free(params);
    json_t *root, *result;
    uint64_t ns = round_trip(s, req, n, id, true, &result, &root);
    free(req);
    if (root_out) *root_out = root;
    else json_decref(root);
    return (double)ns / 1e3;
}

static void import(server *s) {
    uint64_t seed = 42;
    size_t cap = 8 << 20;
    char *buf = malloc(cap);
    for (long done = 0; done < MEMORIES; done += BATCH) {
        size_t n = (size_t)sprintf(buf, "{\"action\":\"bulk_store\",\"documents\":[");
        for (long i = done; i < done + BATCH; i++) {
            n += (size_t)sprintf(buf + n, "%s{\"file_name\":\"m%ld.md\",\"content\":\"", i > done ? "," : "", i);
            int len = 30 + (int)(rng(&seed) % 60);
            for (int w = 0; w < len; w++)
                n += (size_t)sprintf(buf + n, "%s%s", w ? " " : "", words[rng(&seed) % N_WORDS]);
            n += (size_t)sprintf(buf + n, " %ld.\"}", i);
        }
        n += (size_t)sprintf(buf + n, "]}");
        if (n >= cap) fatal("import buffer overflow");
        json_t *root;
        tool_us(s, "memory_action", buf, &root);
        json_decref(root);
    }
    free(buf);
}

static void summary(const char *name, double *us, size_t n, double goal_us, const char *goal_text) {
    qsort(us, n, sizeof us[0], cmp_double);
    add_row(name, "median", median(us, n), "us", 1, goal_us, goal_text);
    add_row(name, "p95", pct(us, n, 95), "us", 1, 0, NULL);
    add_row(name, "p99", pct(us, n, 99), "us", 1, 0, NULL);
    fprintf(stderr, "  %s: median %.1f us, p99 %.1f us\n", name, median(us, n), pct(us, n, 99));
}

int main(int argc, char **argv) {
    bench_prog = "bench_cache";
    if (!bench_init(argc, argv, 0, NULL)) return 2;
    static char data_dir[PATH_MAX], cfg_dir[PATH_MAX];
    bench_tmpdir("data", data_dir);
    bench_tmpdir("config", cfg_dir);
    char **env = make_child_env(data_dir, cfg_dir, NULL);
    uint64_t t_start = now_ns();
    fprintf(stderr, "bench_cache: %s, data in %s\n", bin, data_dir);
    server s = {0};
    s.in_fd = s.out_fd = -1;
    server_spawn(&s, env);
    char version[64] = "?";
    initialize(&s, version, sizeof version);
    import(&s);
    fprintf(stderr, "  imported %d memories\n", MEMORIES);

    double *us = malloc(sizeof *us * STATS_RUNS);
    for (int i = -50; i < STATS_RUNS; i++) {
        double t = tool_us(&s, "cache_action", "{\"action\":\"stats\"}", NULL);
        if (i >= 0) us[i] = t;
    }
    summary("cache_action stats (round trip)", us, STATS_RUNS, 1000, "< 1000 us");

    double *cold = malloc(sizeof *cold * RETRIEVE_RUNS), *warm = malloc(sizeof *warm * RETRIEVE_RUNS);
    uint64_t seed = 7;
    for (int i = 0; i < RETRIEVE_RUNS; i++) {
        char args[256];
        snprintf(args, sizeof args, "{\"action\":\"retrieve\",\"query\":\"%s %s %s\",\"top_k\":10}",
                 words[rng(&seed) % N_WORDS], words[rng(&seed) % N_WORDS], words[rng(&seed) % N_WORDS]);
        tool_us(&s, "cache_action", "{\"action\":\"flush\"}", NULL);
        cold[i] = tool_us(&s, "memory_action", args, NULL);
        warm[i] = tool_us(&s, "memory_action", args, NULL);
    }
    char name[64];
    snprintf(name, sizeof name, "retrieve uncached, %d memories", MEMORIES);
    summary(name, cold, RETRIEVE_RUNS, 0, NULL);
    snprintf(name, sizeof name, "retrieve repeated (L1), %d memories", MEMORIES);
    summary(name, warm, RETRIEVE_RUNS, 0, NULL);
    double ratio = median(cold, RETRIEVE_RUNS) / median(warm, RETRIEVE_RUNS);
    add_row("retrieve uncached / L1 (medians)", "speed-up", ratio, "x", 1, 0, NULL);
    rows[n_rows - 1].verdict = ratio >= 10 ? "PASS" : "MISS";
    snprintf(rows[n_rows - 1].goal, sizeof rows[n_rows - 1].goal, ">= 10x");
    fprintf(stderr, "  speed-up %.1fx\n", ratio);

    for (int i = 0; i < HEALTH_RUNS; i++) us[i] = tool_us(&s, "cache_action", "{\"action\":\"health_check\"}", NULL);
    summary("cache_action health_check", us, HEALTH_RUNS, 200000, "< 200 ms");

    add_row("server memory after the runs", "VmRSS", proc_status_mib(s.pid, "VmRSS"), "MiB", 1, 0, NULL);
    server_close(&s);
    free(s.buf);
    free(us), free(cold), free(warm);
    print_table("cache benchmarks", version, (double)(now_ns() - t_start) / 1e9);
    cleanup();
    free_child_env(env);
    return 0;
}
