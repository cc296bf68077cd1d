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
 * after the clock stops. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <jansson.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

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

#define IO_TIMEOUT_MS 15000  /* one reply may take this long before we call it a hang */
#define EXIT_TIMEOUT_MS 10000 /* after stdin closes, the server must exit within this */
#define READ_CHUNK (64 * 1024)

static const char *const init_request =
    "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\","
    "\"capabilities\":{},\"clientInfo\":{\"name\":\"bench_stdio\",\"version\":\"1.0\"}}}\n";
static const char *const initialized_note = "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}\n";
static const char *const priorities[] = {"low", "medium", "high", "urgent"};

/* ---- plumbing ---------------------------------------------------------------- */

typedef struct {
    pid_t pid;
    int in_fd;  /* our end of the server's stdin */
    int out_fd; /* our end of the server's stdout */
    char *buf;  /* bytes read from out_fd: [off, len) not yet consumed */
    size_t cap, len, off, scan;
    long next_id;
} server;

#define MAX_LIVE 4
static server *live[MAX_LIVE];
static const char *bin;
static char data_dir[PATH_MAX], cfg_dir[PATH_MAX];
static char **child_env;
static volatile sig_atomic_t interrupted;

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb; (void)flag; (void)ftw;
    remove(path);
    return 0;
}

static void cleanup(void) {
    for (int i = 0; i < MAX_LIVE; i++) {
        server *s = live[i];
        if (!s) continue;
        live[i] = NULL;
        if (s->pid > 0) {
            kill(s->pid, SIGKILL);
            waitpid(s->pid, NULL, 0);
        }
        if (s->in_fd >= 0) close(s->in_fd);
        if (s->out_fd >= 0) close(s->out_fd);
        free(s->buf);
    }
    if (data_dir[0]) nftw(data_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    if (cfg_dir[0]) nftw(cfg_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    data_dir[0] = cfg_dir[0] = '\0';
}

static void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void fatal(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fflush(stdout);
    fprintf(stderr, "\nbench_stdio: FAILED: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    cleanup();
    exit(1);
}

static void on_signal(int sig) {
    (void)sig;
    interrupted = 1;
}

static void check_interrupted(void) {
    if (interrupted) fatal("interrupted");
}

/* The server's environment: ours without any LTMC_* or XDG config/data
 * variables, plus the three the benchmark pins. */
static char **make_child_env(void) {
    size_t n = 0;
    for (char **e = environ; *e; e++) n++;
    char **env = calloc(n + 4, sizeof *env);
    size_t k = 0;
    for (char **e = environ; *e; e++) {
        if (strncmp(*e, "LTMC_", 5) == 0 || strncmp(*e, "XDG_CONFIG_HOME=", 16) == 0 ||
            strncmp(*e, "XDG_DATA_HOME=", 14) == 0)
            continue;
        env[k++] = *e;
    }
    char *a = malloc(PATH_MAX + 32), *b = malloc(PATH_MAX + 32);
    snprintf(a, PATH_MAX + 32, "LTMC_DATA_DIR=%s", data_dir);
    snprintf(b, PATH_MAX + 32, "XDG_CONFIG_HOME=%s", cfg_dir);
    env[k++] = a;
    env[k++] = b;
    env[k++] = "LTMC_LOG_LEVEL=error";
    env[k] = NULL;
    return env;
}

static void track(server *s) {
    for (int i = 0; i < MAX_LIVE; i++)
        if (!live[i]) { live[i] = s; return; }
    fatal("too many live servers");
}

static void untrack(server *s) {
    for (int i = 0; i < MAX_LIVE; i++)
        if (live[i] == s) live[i] = NULL;
}

/* fork + exec `ltmc serve` with pipes on stdin and stdout; stderr is ours. */
static void server_spawn(server *s) {
    int in[2], out[2];
    if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0) fatal("pipe: %s", strerror(errno));
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) fatal("fork: %s", strerror(errno));
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(126);
        if (dup2(in[0], STDIN_FILENO) < 0 || dup2(out[1], STDOUT_FILENO) < 0) _exit(126);
        char *argv[] = {(char *)bin, "serve", NULL};
        execve(bin, argv, child_env);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    s->pid = pid;
    s->in_fd = in[1];
    s->out_fd = out[0];
    if (!s->buf) {
        s->cap = READ_CHUNK * 2;
        s->buf = malloc(s->cap);
        if (!s->buf) fatal("out of memory");
    }
    s->len = s->off = s->scan = 0;
    s->next_id = 1;
    track(s);
}

static const char *describe_status(int status) {
    static char buf[64];
    if (WIFEXITED(status)) snprintf(buf, sizeof buf, "exit status %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status)) snprintf(buf, sizeof buf, "killed by signal %d (%s)", WTERMSIG(status),
                                           strsignal(WTERMSIG(status)));
    else snprintf(buf, sizeof buf, "status 0x%x", status);
    return buf;
}

/* The server stopped talking: say why, including how it ended if it did. */
static void server_died(server *s, const char *what) {
    int status;
    pid_t r = 0;
    /* stdout closes a moment before the process can be reaped: wait up to 2 s. */
    for (int i = 0; i < 2000 && r == 0; i++) {
        r = waitpid(s->pid, &status, WNOHANG);
        if (r == 0) nanosleep(&(struct timespec){0, 1000000}, NULL);
    }
    if (r == s->pid) {
        s->pid = -1;
        if (WIFEXITED(status) && WEXITSTATUS(status) == 127) fatal("%s: cannot exec %s", what, bin);
        fatal("%s: the server ended (%s)", what, describe_status(status));
    }
    fatal("%s: the server closed stdout but is still running", what);
}

static void write_all(server *s, const char *data, size_t len) {
    while (len) {
        check_interrupted();
        ssize_t w = write(s->in_fd, data, len);
        if (w < 0) {
            if (errno == EINTR) continue;
            if (errno == EPIPE) server_died(s, "writing a request");
            fatal("write to the server: %s", strerror(errno));
        }
        data += w;
        len -= (size_t)w;
    }
}

/* Returns the next complete buffered line (NUL-terminated, newline removed)
 * or NULL. The pointer stays valid until the next read from this server. */
static char *take_line(server *s, size_t *len_out) {
    char *nl = memchr(s->buf + s->scan, '\n', s->len - s->scan);
    if (!nl) {
        s->scan = s->len;
        return NULL;
    }
    char *line = s->buf + s->off;
    *nl = '\0';
    if (len_out) *len_out = (size_t)(nl - line);
    s->off = s->scan = (size_t)(nl - s->buf) + 1;
    return line;
}

/* One read() of whatever the server has written, waiting up to timeout_ms. */
static void fill(server *s, int timeout_ms) {
    if (s->off) { /* drop consumed lines */
        memmove(s->buf, s->buf + s->off, s->len - s->off);
        s->len -= s->off;
        s->scan -= s->off;
        s->off = 0;
    }
    if (s->cap - s->len < READ_CHUNK) {
        size_t ncap = s->cap * 2;
        char *nb = realloc(s->buf, ncap);
        if (!nb) fatal("out of memory");
        s->buf = nb;
        s->cap = ncap;
    }
    struct pollfd p = {s->out_fd, POLLIN, 0};
    for (;;) {
        check_interrupted();
        int r = poll(&p, 1, timeout_ms);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) fatal("poll: %s", strerror(errno));
        if (r == 0) fatal("no reply from the server within %d ms", timeout_ms);
        break;
    }
    ssize_t n;
    do n = read(s->out_fd, s->buf + s->len, s->cap - s->len);
    while (n < 0 && errno == EINTR);
    if (n < 0) fatal("read from the server: %s", strerror(errno));
    if (n == 0) server_died(s, "reading a reply");
    s->len += (size_t)n;
}

/* Blocks until one whole line arrives (it may come in several reads). */
static char *read_line(server *s, size_t *len_out) {
    for (;;) {
        char *line = take_line(s, len_out);
        if (line) return line;
        fill(s, IO_TIMEOUT_MS);
    }
}

/* Closes stdin and requires a clean exit (status 0) within EXIT_TIMEOUT_MS. */
static void server_close(server *s) {
    close(s->in_fd);
    s->in_fd = -1;
    /* Drain: the server owes no more replies, but must not block on a full pipe. */
    char tmp[4096];
    uint64_t deadline = now_ns() + (uint64_t)EXIT_TIMEOUT_MS * 1000000ull;
    for (;;) {
        struct pollfd p = {s->out_fd, POLLIN, 0};
        int r = poll(&p, 1, EXIT_TIMEOUT_MS);
        if (r < 0 && errno == EINTR) { check_interrupted(); continue; }
        if (r <= 0) break;
        ssize_t n = read(s->out_fd, tmp, sizeof tmp);
        if (n <= 0) break;
    }
    close(s->out_fd);
    s->out_fd = -1;
    int status = 0;
    for (;;) {
        pid_t r = waitpid(s->pid, &status, WNOHANG);
        if (r == s->pid) break;
        if (r < 0 && errno != EINTR) fatal("waitpid: %s", strerror(errno));
        if (now_ns() > deadline) fatal("the server did not exit within %d ms of stdin closing", EXIT_TIMEOUT_MS);
        check_interrupted();
        struct timespec ts = {0, 200000};
        nanosleep(&ts, NULL);
    }
    s->pid = -1;
    untrack(s);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fatal("the server ended badly after stdin closed: %s", describe_status(status));
}

/* ---- requests and replies ------------------------------------------------------ */

static size_t make_request(char *buf, size_t cap, long id, const char *method, const char *params) {
    int n = snprintf(buf, cap, "{\"jsonrpc\":\"2.0\",\"id\":%ld,\"method\":\"%s\"%s%s}\n", id, method,
                     params ? ",\"params\":" : "", params ? params : "");
    if (n < 0 || (size_t)n >= cap) fatal("request too long");
    return (size_t)n;
}

static size_t make_add(char *buf, size_t cap, long id, long n) {
    char params[512];
    snprintf(params, sizeof params,
             "{\"name\":\"todo_action\",\"arguments\":{\"action\":\"add\",\"title\":\"bench todo %ld\","
             "\"description\":\"Benchmark task number %ld: check the pipeline, then write it down.\","
             "\"priority\":\"%s\"}}",
             n, n, priorities[n % 4]);
    return make_request(buf, cap, id, "tools/call", params);
}

/* Parses a reply and requires it to be a success for request `id`. For
 * tools/call also requires isError false and structuredContent.success.
 * Returns the result object (owned by *root, which the caller frees). */
static json_t *check_reply(const char *line, size_t len, long id, bool tool_call, json_t **root) {
    json_error_t e;
    json_t *r = json_loadb(line, len, 0, &e);
    if (!r) fatal("reply to request %ld is not JSON (%s): %.300s", id, e.text, line);
    json_t *rid = json_object_get(r, "id");
    if (!json_is_integer(rid) || json_integer_value(rid) != id)
        fatal("reply for the wrong request (wanted id %ld): %.300s", id, line);
    if (json_object_get(r, "error")) fatal("error response to request %ld: %.500s", id, line);
    json_t *result = json_object_get(r, "result");
    if (!json_is_object(result)) fatal("reply to request %ld has no result: %.300s", id, line);
    if (tool_call) {
        json_t *sc = json_object_get(result, "structuredContent");
        if (!json_is_false(json_object_get(result, "isError")) || !json_is_true(json_object_get(sc, "success")))
            fatal("tool error in reply to request %ld: %.500s", id, line);
    }
    *root = r;
    return result;
}

/* One request/response round trip; returns its latency in ns and leaves the
 * validated reply in *root. */
static uint64_t round_trip(server *s, const char *req, size_t req_len, long id, bool tool_call, json_t **result,
                           json_t **root) {
    uint64_t t0 = now_ns();
    write_all(s, req, req_len);
    size_t len;
    char *line = read_line(s, &len);
    uint64_t t1 = now_ns();
    *result = check_reply(line, len, id, tool_call, root);
    return t1 - t0;
}

static void initialize(server *s, char *version, size_t vlen) {
    write_all(s, init_request, strlen(init_request));
    size_t len;
    char *line = read_line(s, &len);
    json_t *root;
    json_t *result = check_reply(line, len, 0, false, &root);
    if (version) {
        const char *v = json_string_value(json_object_get(json_object_get(result, "serverInfo"), "version"));
        snprintf(version, vlen, "%s", v ? v : "?");
    }
    json_decref(root);
    write_all(s, initialized_note, strlen(initialized_note));
}

/* ---- statistics ------------------------------------------------------------------ */

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of a sorted array. */
static double pct(const double *sorted, size_t n, double p) {
    if (n == 0) return 0;
    if (p <= 0) return sorted[0];
    size_t rank = (size_t)((p / 100.0) * (double)n + 0.999999);
    if (rank < 1) rank = 1;
    if (rank > n) rank = n;
    return sorted[rank - 1];
}

static double median(const double *sorted, size_t n) {
    if (n == 0) return 0;
    return n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

/* ---- the result table -------------------------------------------------------------- */

typedef struct {
    char bench[48];
    char metric[24];
    char value[24];
    char goal[16];
    const char *verdict; /* "PASS", "MISS" or "" (no goal) */
} row;

#define MAX_ROWS 64
static row rows[MAX_ROWS];
static int n_rows;

/* Adds a row; when goal_max > 0 the value must be below it to PASS. */
static void add_row(const char *bench, const char *metric, double value, const char *unit, int decimals,
                    double goal_max, const char *goal_text) {
    if (n_rows == MAX_ROWS) return;
    row *r = &rows[n_rows++];
    snprintf(r->bench, sizeof r->bench, "%s", bench);
    snprintf(r->metric, sizeof r->metric, "%s", metric);
    snprintf(r->value, sizeof r->value, "%.*f %s", decimals, value, unit);
    snprintf(r->goal, sizeof r->goal, "%s", goal_max > 0 ? goal_text : "");
    r->verdict = goal_max > 0 ? (value < goal_max ? "PASS" : "MISS") : "";
}

static void print_table(const char *version, double total_s) {
    printf("\nltmc %s stdio benchmarks (%s, %ld CPUs, %.1f s)\n", version, bin, sysconf(_SC_NPROCESSORS_ONLN),
           total_s);
    const char *rule = "-----------------------------------------------------------------------------------------------";
    printf("%s\n", rule);
    printf("%-40s %-14s %14s  %-10s %s\n", "benchmark", "metric", "value", "goal", "result");
    printf("%s\n", rule);
    const char *last = "";
    int pass = 0, miss = 0;
    for (int i = 0; i < n_rows; i++) {
        row *r = &rows[i];
        bool same = strcmp(r->bench, last) == 0;
        if (!same && i) printf("\n");
        if (r->verdict[0])
            printf("%-40s %-14s %14s  %-10s %s\n", same ? "" : r->bench, r->metric, r->value, r->goal, r->verdict);
        else
            printf("%-40s %-14s %14s\n", same ? "" : r->bench, r->metric, r->value);
        last = r->bench;
        if (strcmp(r->verdict, "PASS") == 0) pass++;
        if (strcmp(r->verdict, "MISS") == 0) miss++;
    }
    printf("%s\n", rule);
    printf("%d goal%s met, %d missed\n", pass, pass == 1 ? "" : "s", miss);
}

/* ---- the benchmarks ---------------------------------------------------------------- */

/* 1. fork+exec, write initialize at once, time until its reply line is in. */
static void bench_spawn(char *version, size_t vlen) {
    server s = {0};
    s.in_fd = s.out_fd = -1;
    /* The first run creates the database (schema migration): shown apart. */
    uint64_t t0 = now_ns();
    server_spawn(&s);
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
        server_spawn(&s);
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
        int r = poll(p, (nfds_t)np, IO_TIMEOUT_MS);
        check_interrupted();
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) fatal("poll: %s", strerror(errno));
        if (r == 0) fatal("pipelined adds: no progress for %d ms (%d of %d replies)", IO_TIMEOUT_MS, replies, n);
        if (np == 2 && (p[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
            ssize_t w = write(s->in_fd, reqs + written, total - written);
            if (w < 0 && errno == EPIPE) server_died(s, "pipelined writes");
            if (w < 0 && errno != EAGAIN && errno != EINTR) fatal("write: %s", strerror(errno));
            if (w > 0) written += (size_t)w;
        }
        if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            fill(s, IO_TIMEOUT_MS);
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
    char path[64], text[8192];
    snprintf(path, sizeof path, "/proc/%d/status", (int)s->pid);
    FILE *f = fopen(path, "r");
    if (!f) fatal("cannot read %s: %s", path, strerror(errno));
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    static const char *const keys[] = {"VmRSS", "VmHWM", "RssAnon", "RssFile"};
    char name[48];
    snprintf(name, sizeof name, "server memory after %ld todos", todos);
    for (int i = 0; i < 4; i++) {
        char key[32];
        snprintf(key, sizeof key, "\n%s:", keys[i]);
        const char *p = strstr(text, key);
        if (!p) fatal("%s has no %s", path, keys[i]);
        double mb = (double)strtol(p + strlen(key), NULL, 10) / 1024.0;
        add_row(name, keys[i], mb, "MiB", 1, i < 2 ? 20.0 : 0, "< 20 MiB");
    }
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s PATH_TO_LTMC\n", argv[0]);
        return 2;
    }
    bin = argv[1];
    if (access(bin, X_OK) != 0) {
        fprintf(stderr, "bench_stdio: %s is not executable: %s\n", bin, strerror(errno));
        return 2;
    }
    struct sigaction sa = {0};
    sa.sa_handler = on_signal; /* no SA_RESTART: blocking calls return EINTR and we clean up */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    setvbuf(stdout, NULL, _IOLBF, 0);

    const char *tmp = getenv("TMPDIR");
    if (!tmp || !*tmp) tmp = "/tmp";
    snprintf(data_dir, sizeof data_dir, "%s/ltmc-bench-data.XXXXXX", tmp);
    snprintf(cfg_dir, sizeof cfg_dir, "%s/ltmc-bench-config.XXXXXX", tmp);
    if (!mkdtemp(data_dir)) { data_dir[0] = '\0'; fatal("mkdtemp: %s", strerror(errno)); }
    if (!mkdtemp(cfg_dir)) { cfg_dir[0] = '\0'; fatal("mkdtemp: %s", strerror(errno)); }
    child_env = make_child_env();

    uint64_t t_start = now_ns();
    char version[64] = "?";
    fprintf(stderr, "bench_stdio: %s, data in %s\n", bin, data_dir);

    bench_spawn(version, sizeof version);

    server s = {0};
    s.in_fd = s.out_fd = -1;
    server_spawn(&s);
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

    print_table(version, (double)(now_ns() - t_start) / 1e9);
    cleanup();
    for (char **e = child_env; *e; e++)
        if (strncmp(*e, "LTMC_DATA_DIR=", 14) == 0 || strncmp(*e, "XDG_CONFIG_HOME=", 16) == 0) free(*e);
    free(child_env);
    return 0;
}
