/* bench_stdio.c - end-to-end benchmarks of `ltmc serve` over its real stdio
 * transport.
 *
 *   build/bench_stdio build/ltmc        (what `make bench` runs)
 *
 * Spawns the real binary with fork/exec and pipes, in a fresh temporary data
 * directory (LTMC_DATA_DIR=<tmp>, XDG_CONFIG_HOME=<empty tmp>,
 * LTMC_LOG_LEVEL=error, every other LTMC_* variable removed), and measures:
 *
 *   1. spawn -> initialize response latency (fresh process each run)
 *   2. tools/list round trips over one long-lived session (and ping, as the
 *      transport's floor)
 *   3. todo_action add: sequential round trips, and pipelined throughput
 *   4. todo_action list (limit 10 and 100) on a database of >= 10,000 todos
 *   5. the server's VmRSS / VmHWM after those 10,000 todos
 *
 * Benchmarks print numbers; they do not assert. The exit status is 0 whether
 * or not a goal is met, and 1 only when the server misbehaves (an error
 * response, a wrong reply, a crash, a hang, a non-zero exit status).
 *
 * Latency is measured with CLOCK_MONOTONIC from just before the request is
 * written until the reply's newline has been read; replies are validated
 * after the clock stops. The plumbing is shared with bench_memory.c
 * (benchutil.h). */
#include "benchutil.h"

/* Sizes of the runs. */
#define SPAWN_RUNS 40
#define LIST_TOOLS_WARMUP 50
#define LIST_TOOLS_RUNS 2000
#define ADD_WARMUP 50
#define ADD_RUNS 2000
#define PIPELINE_N 5000
#define TARGET_TODOS 10000
#define LIST10_WARMUP 20
#define LIST10_RUNS 1000
#define LIST100_WARMUP 10
#define LIST100_RUNS 500

static const char *const init_request =
    "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\","
    "\"capabilities\":{},\"clientInfo\":{\"name\":\"bench_stdio\",\"version\":\"1.0\"}}}\n";
static const char *const priorities[] = {"low", "medium", "high", "urgent"};

static char data_dir[PATH_MAX], cfg_dir[PATH_MAX];
static char **child_env;

static size_t make_add(char *buf, size_t cap, long id, long n) {
    char params[512];
    snprintf(params, sizeof params,
             "{\"name\":\"todo_action\",\"arguments\":{\"action\":\"add\",\"title\":\"bench todo %ld\","
             "\"description\":\"Benchmark task number %ld: check the pipeline, then write it down.\","
             "\"priority\":\"%s\"}}",
             n, n, priorities[n % 4]);
    return make_request(buf, cap, id, "tools/call", params);
}

/* ---- the benchmarks ---------------------------------------------------------------- */

/* 1. fork+exec, write initialize at once, time until its reply line is in. */
static void bench_spawn(char *version, size_t vlen) {
    server s = {0};
    s.in_fd = s.out_fd = -1;
    /* The first run creates the database (schema migration): shown apart. */
    uint64_t t0 = now_ns();
    server_spawn(&s, child_env);
    write_all(&s, init_request, strlen(init_request));
    size_t len;
    char *line = read_line(&s, &len);
    double cold_ms = (double)(now_ns() - t0) / 1e6;
    json_t *root;
    json_t *result = check_reply(line, len, 0, false, &root);
    const char *v = json_string_value(json_object_get(json_object_get(result, "serverInfo"), "version"));
    snprintf(version, vlen, "%s", v ? v : "?");
    json_decref(root);
    server_close(&s);

    double ms[SPAWN_RUNS];
    for (int i = 0; i < SPAWN_RUNS; i++) {
        t0 = now_ns();
        server_spawn(&s, child_env);
        write_all(&s, init_request, strlen(init_request));
        line = read_line(&s, &len);
        ms[i] = (double)(now_ns() - t0) / 1e6;
        check_reply(line, len, 0, false, &root);
        json_decref(root);
        server_close(&s);
    }
    free(s.buf);
    qsort(ms, SPAWN_RUNS, sizeof ms[0], cmp_double);
    char name[48];
    snprintf(name, sizeof name, "spawn -> initialize (%d runs)", SPAWN_RUNS);
    add_row(name, "median", median(ms, SPAWN_RUNS), "ms", 2, 10.0, "< 10 ms");
    add_row(name, "p90", pct(ms, SPAWN_RUNS, 90), "ms", 2, 0, NULL);
    add_row(name, "min", ms[0], "ms", 2, 0, NULL);
    add_row(name, "first (new db)", cold_ms, "ms", 2, 0, NULL);
    fprintf(stderr, "  spawn: median %.2f ms\n", median(ms, SPAWN_RUNS));
}

/* ping is answered by the reader thread itself: the transport's floor, for
 * comparison with the methods that go through the worker. */
static void bench_ping(server *s) {
    static double us[LIST_TOOLS_RUNS];
    char req[256];
    for (int i = -LIST_TOOLS_WARMUP; i < LIST_TOOLS_RUNS; i++) {
        long id = s->next_id++;
        size_t n = make_request(req, sizeof req, id, "ping", NULL);
        json_t *root, *result;
        uint64_t ns = round_trip(s, req, n, id, false, &result, &root);
        json_decref(root);
        if (i >= 0) us[i] = (double)ns / 1e3;
    }
    qsort(us, LIST_TOOLS_RUNS, sizeof us[0], cmp_double);
    char name[48];
    snprintf(name, sizeof name, "ping round trip (%d, reference)", LIST_TOOLS_RUNS);
    add_row(name, "median", median(us, LIST_TOOLS_RUNS), "us", 1, 0, NULL);
    add_row(name, "p99", pct(us, LIST_TOOLS_RUNS, 99), "us", 1, 0, NULL);
}

/* 2. tools/list round trips. */
static void bench_tools_list(server *s) {
    static double us[LIST_TOOLS_RUNS];
    char req[256];
    for (int i = -LIST_TOOLS_WARMUP; i < LIST_TOOLS_RUNS; i++) {
        long id = s->next_id++;
        size_t n = make_request(req, sizeof req, id, "tools/list", "{}");
        json_t *root, *result;
        uint64_t ns = round_trip(s, req, n, id, false, &result, &root);
        if (json_array_size(json_object_get(result, "tools")) < 1) fatal("tools/list returned no tools");
        json_decref(root);
        if (i >= 0) us[i] = (double)ns / 1e3;
    }
    qsort(us, LIST_TOOLS_RUNS, sizeof us[0], cmp_double);
    char name[48];
    snprintf(name, sizeof name, "tools/list round trip (%d)", LIST_TOOLS_RUNS);
    add_row(name, "median", median(us, LIST_TOOLS_RUNS), "us", 1, 1000.0, "< 1000 us");
    add_row(name, "p99", pct(us, LIST_TOOLS_RUNS, 99), "us", 1, 0, NULL);
    fprintf(stderr, "  tools/list: median %.1f us\n", median(us, LIST_TOOLS_RUNS));
}

/* 3a. sequential todo adds; returns how many todos were added. */
static long bench_add_sequential(server *s, long *todo_no) {
    static double us[ADD_RUNS];
    char req[1024];
    uint64_t start = 0;
    for (int i = -ADD_WARMUP; i < ADD_RUNS; i++) {
        if (i == 0) start = now_ns();
        long id = s->next_id++;
        size_t n = make_add(req, sizeof req, id, (*todo_no)++);
        json_t *root, *result;
        uint64_t ns = round_trip(s, req, n, id, true, &result, &root);
        json_decref(root);
        if (i >= 0) us[i] = (double)ns / 1e3;
    }
    double secs = (double)(now_ns() - start) / 1e9;
    qsort(us, ADD_RUNS, sizeof us[0], cmp_double);
    char name[48];
    snprintf(name, sizeof name, "todo add, sequential (%d)", ADD_RUNS);
    add_row(name, "p50", median(us, ADD_RUNS), "us", 1, 1000.0, "< 1000 us");
    add_row(name, "p95", pct(us, ADD_RUNS, 95), "us", 1, 0, NULL);
    add_row(name, "p99", pct(us, ADD_RUNS, 99), "us", 1, 0, NULL);
    add_row(name, "throughput", (double)ADD_RUNS / secs, "calls/s", 0, 0, NULL);
    fprintf(stderr, "  todo add: p50 %.1f us\n", median(us, ADD_RUNS));
    return ADD_WARMUP + ADD_RUNS;
}

/* Finds "id":<n> in a reply line without a full parse (our titles never
 * contain that text). */
static long reply_id(const char *line) {
    const char *p = strstr(line, "\"id\":");
    return p ? strtol(p + 5, NULL, 10) : -1;
}

/* 3b. writes n adds without waiting for replies, then reads all the replies
 * (draining stdout while still writing, so neither side can deadlock on a
 * full pipe). Returns calls per second. */
static double pipelined_adds(server *s, int n, long *todo_no) {
    size_t cap = (size_t)n * 400, total = 0;
    char *reqs = malloc(cap);
    unsigned char *seen = calloc((size_t)n, 1);
    if (!reqs || !seen) fatal("out of memory");
    long first_id = s->next_id;
    for (int i = 0; i < n; i++) total += make_add(reqs + total, cap - total, s->next_id++, (*todo_no)++);

    int fl = fcntl(s->in_fd, F_GETFL);
    fcntl(s->in_fd, F_SETFL, fl | O_NONBLOCK);
    size_t written = 0;
    int replies = 0;
    uint64_t t0 = now_ns();
    while (replies < n) {
        struct pollfd p[2] = {{s->out_fd, POLLIN, 0}, {s->in_fd, POLLOUT, 0}};
        int np = written < total ? 2 : 1;
        int r = poll(p, (nfds_t)np, io_timeout_ms);
        check_interrupted();
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) fatal("poll: %s", strerror(errno));
        if (r == 0) fatal("pipelined adds: no progress for %d ms (%d of %d replies)", io_timeout_ms, replies, n);
        if (np == 2 && (p[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
            ssize_t w = write(s->in_fd, reqs + written, total - written);
            if (w < 0 && errno == EPIPE) server_died(s, "pipelined writes");
            if (w < 0 && errno != EAGAIN && errno != EINTR) fatal("write: %s", strerror(errno));
            if (w > 0) written += (size_t)w;
        }
        if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            fill(s, io_timeout_ms);
            char *line;
            size_t len;
            while ((line = take_line(s, &len))) {
                long id = reply_id(line);
                if (id < first_id || id >= first_id + n || seen[id - first_id])
                    fatal("unexpected reply during pipelined adds: %.300s", line);
                if (!strstr(line, "\"isError\":false") || strstr(line, "\"error\":{"))
                    fatal("error reply during pipelined adds: %.500s", line);
                seen[id - first_id] = 1;
                replies++;
            }
        }
    }
    double secs = (double)(now_ns() - t0) / 1e9;
    fcntl(s->in_fd, F_SETFL, fl);
    free(reqs);
    free(seen);
    return (double)n / secs;
}

/* 4. todo list with a given limit over the full table. */
static void bench_todo_list(server *s, int limit, int warmup, int runs, long expect_total) {
    double *us = malloc(sizeof *us * (size_t)runs);
    char req[512], params[256];
    snprintf(params, sizeof params, "{\"name\":\"todo_action\",\"arguments\":{\"action\":\"list\",\"limit\":%d}}",
             limit);
    for (int i = -warmup; i < runs; i++) {
        long id = s->next_id++;
        size_t n = make_request(req, sizeof req, id, "tools/call", params);
        json_t *root, *result;
        uint64_t ns = round_trip(s, req, n, id, true, &result, &root);
        json_t *sc = json_object_get(result, "structuredContent");
        size_t got = json_array_size(json_object_get(sc, "todos"));
        json_int_t total = json_integer_value(json_object_get(sc, "total_count"));
        if ((long)got != limit || total != expect_total)
            fatal("todo list limit %d returned %zu todos of %lld (expected %d of %ld)", limit, got,
                  (long long)total, limit, expect_total);
        json_decref(root);
        if (i >= 0) us[i] = (double)ns / 1e3;
    }
    qsort(us, (size_t)runs, sizeof us[0], cmp_double);
    char name[48];
    snprintf(name, sizeof name, "todo list limit %d, %ld todos (%d)", limit, expect_total, runs);
    add_row(name, "median", median(us, (size_t)runs), "us", 1, 0, NULL);
    add_row(name, "p99", pct(us, (size_t)runs, 99), "us", 1, 0, NULL);
    fprintf(stderr, "  todo list %d: median %.1f us\n", limit, median(us, (size_t)runs));
    free(us);
}

/* 5. memory of the server process, from /proc/<pid>/status. */
static void bench_rss(server *s, long todos) {
    static const char *const keys[] = {"VmRSS", "VmHWM", "RssAnon", "RssFile"};
    char name[48];
    snprintf(name, sizeof name, "server memory after %ld todos", todos);
    for (int i = 0; i < 4; i++)
        add_row(name, keys[i], proc_status_mib(s->pid, keys[i]), "MiB", 1, i < 2 ? 20.0 : 0, "< 20 MiB");
}

int main(int argc, char **argv) {
    bench_prog = "bench_stdio";
    if (!bench_init(argc, argv, 0, NULL)) return 2;
    bench_tmpdir("data", data_dir);
    bench_tmpdir("config", cfg_dir);
    child_env = make_child_env(data_dir, cfg_dir, NULL);

    uint64_t t_start = now_ns();
    char version[64] = "?";
    fprintf(stderr, "bench_stdio: %s, data in %s\n", bin, data_dir);

    bench_spawn(version, sizeof version);

    server s = {0};
    s.in_fd = s.out_fd = -1;
    server_spawn(&s, child_env);
    initialize(&s, NULL, 0);
    bench_ping(&s);
    bench_tools_list(&s);

    long todo_no = 0, todos = 0;
    todos += bench_add_sequential(&s, &todo_no);
    double tput = pipelined_adds(&s, PIPELINE_N, &todo_no);
    todos += PIPELINE_N;
    char name[48];
    snprintf(name, sizeof name, "todo add, pipelined (%d)", PIPELINE_N);
    add_row(name, "throughput", tput, "calls/s", 0, 0, NULL);
    fprintf(stderr, "  pipelined add: %.0f calls/s\n", tput);
    if (todos < TARGET_TODOS) {
        int more = (int)(TARGET_TODOS - todos);
        pipelined_adds(&s, more, &todo_no);
        todos += more;
    }

    bench_todo_list(&s, 10, LIST10_WARMUP, LIST10_RUNS, todos);
    bench_todo_list(&s, 100, LIST100_WARMUP, LIST100_RUNS, todos);
    bench_rss(&s, todos);
    server_close(&s);
    free(s.buf);

    print_table("stdio benchmarks", version, (double)(now_ns() - t_start) / 1e9);
    cleanup();
    free_child_env(child_env);
    return 0;
}
