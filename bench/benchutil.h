/* benchutil.h - what the stdio benchmark harnesses share: spawning `ltmc
 * serve` with pipes in a temporary data directory, JSON-RPC round trips,
 * percentiles, /proc memory figures and the result table.
 *
 * Header-only (every function static): each harness is one translation
 * unit that includes it once. A harness sets bench_prog (for messages) and
 * calls bench_init() first.
 *
 * Latency is measured with CLOCK_MONOTONIC from just before the request is
 * written until the reply's newline has been read; replies are validated
 * after the clock stops. Any misbehaviour of the server (an error response,
 * a wrong reply, a crash, a hang, a non-zero exit status) ends the harness
 * with fatal(), which kills the servers, removes the temporary directories
 * and exits 1. */
#ifndef LTMC_BENCHUTIL_H
#define LTMC_BENCHUTIL_H

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
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define EXIT_TIMEOUT_MS 10000 /* after stdin closes, the server must exit within this */
#define READ_CHUNK (64 * 1024)

static const char *bench_prog = "bench";
static const char *bin;             /* the ltmc binary under test */
static int io_timeout_ms = 15000;   /* one reply may take this long before we call it a hang */
static volatile sig_atomic_t interrupted;

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
#define MAX_TMPDIRS 8
static char tmpdirs[MAX_TMPDIRS][PATH_MAX];

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

/* Removes a directory tree made by bench_tmpdir and forgets it. */
__attribute__((unused)) static void bench_rmdir(const char *dir) {
    for (int i = 0; i < MAX_TMPDIRS; i++) {
        if (tmpdirs[i][0] && strcmp(tmpdirs[i], dir) == 0) {
            nftw(tmpdirs[i], rm_entry, 16, FTW_DEPTH | FTW_PHYS);
            tmpdirs[i][0] = '\0';
            return;
        }
    }
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
    for (int i = 0; i < MAX_TMPDIRS; i++) {
        if (!tmpdirs[i][0]) continue;
        nftw(tmpdirs[i], rm_entry, 16, FTW_DEPTH | FTW_PHYS);
        tmpdirs[i][0] = '\0';
    }
}

static void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void fatal(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fflush(stdout);
    fprintf(stderr, "\n%s: FAILED: ", bench_prog);
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

/* Checks argv (PATH_TO_LTMC, then up to max_extra more arguments, described
 * by usage_extra), installs the signal handlers and line-buffers stdout.
 * Returns false (after a message) when the harness should exit 2. */
static bool bench_init(int argc, char **argv, int max_extra, const char *usage_extra) {
    if (argc < 2 || argc > 2 + max_extra) {
        fprintf(stderr, "usage: %s PATH_TO_LTMC%s%s\n", argv[0], usage_extra ? " " : "", usage_extra ? usage_extra : "");
        return false;
    }
    bin = argv[1];
    if (access(bin, X_OK) != 0) {
        fprintf(stderr, "%s: %s is not executable: %s\n", bench_prog, bin, strerror(errno));
        return false;
    }
    struct sigaction sa = {0};
    sa.sa_handler = on_signal; /* no SA_RESTART: blocking calls return EINTR and we clean up */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    setvbuf(stdout, NULL, _IOLBF, 0);
    return true;
}

/* Makes $TMPDIR/ltmc-bench-<tag>.XXXXXX (removed by cleanup) into out. */
static void bench_tmpdir(const char *tag, char out[PATH_MAX]) {
    const char *tmp = getenv("TMPDIR");
    if (!tmp || !*tmp) tmp = "/tmp";
    for (int i = 0; i < MAX_TMPDIRS; i++) {
        if (tmpdirs[i][0]) continue;
        snprintf(tmpdirs[i], PATH_MAX, "%s/ltmc-bench-%s.XXXXXX", tmp, tag);
        if (!mkdtemp(tmpdirs[i])) {
            tmpdirs[i][0] = '\0';
            fatal("mkdtemp: %s", strerror(errno));
        }
        snprintf(out, PATH_MAX, "%s", tmpdirs[i]);
        return;
    }
    fatal("too many temporary directories");
}

/* A server environment: ours without any LTMC_* or XDG config/data
 * variables, plus LTMC_DATA_DIR=data_dir, XDG_CONFIG_HOME=cfg_dir,
 * LTMC_LOG_LEVEL=error and the NULL-terminated extra ("NAME=value").
 * Free with free_child_env. */
static char **make_child_env(const char *data_dir, const char *cfg_dir, const char *const *extra) {
    size_t n = 0, n_extra = 0;
    for (char **e = environ; *e; e++) n++;
    while (extra && extra[n_extra]) n_extra++;
    char **env = calloc(n + n_extra + 4, sizeof *env);
    if (!env) fatal("out of memory");
    size_t k = 0;
    for (char **e = environ; *e; e++) {
        if (strncmp(*e, "LTMC_", 5) == 0 || strncmp(*e, "XDG_CONFIG_HOME=", 16) == 0 ||
            strncmp(*e, "XDG_DATA_HOME=", 14) == 0)
            continue;
        env[k++] = strdup(*e);
    }
    char *a = malloc(PATH_MAX + 32), *b = malloc(PATH_MAX + 32);
    if (!a || !b) fatal("out of memory");
    snprintf(a, PATH_MAX + 32, "LTMC_DATA_DIR=%s", data_dir);
    snprintf(b, PATH_MAX + 32, "XDG_CONFIG_HOME=%s", cfg_dir);
    env[k++] = a;
    env[k++] = b;
    env[k++] = strdup("LTMC_LOG_LEVEL=error");
    for (size_t i = 0; i < n_extra; i++) env[k++] = strdup(extra[i]);
    env[k] = NULL;
    return env;
}

static void free_child_env(char **env) {
    for (char **e = env; e && *e; e++) free(*e);
    free(env);
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
static void server_spawn(server *s, char **env) {
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
        execve(bin, argv, env);
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
        fill(s, io_timeout_ms);
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
    char req[512];
    int n = snprintf(req, sizeof req,
                     "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{\"protocolVersion\":"
                     "\"2025-06-18\",\"capabilities\":{},\"clientInfo\":{\"name\":\"%s\",\"version\":\"1.0\"}}}\n",
                     bench_prog);
    write_all(s, req, (size_t)n);
    size_t len;
    char *line = read_line(s, &len);
    json_t *root;
    json_t *result = check_reply(line, len, 0, false, &root);
    if (version) {
        const char *v = json_string_value(json_object_get(json_object_get(result, "serverInfo"), "version"));
        snprintf(version, vlen, "%s", v ? v : "?");
    }
    json_decref(root);
    static const char note[] = "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}\n";
    write_all(s, note, sizeof note - 1);
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

/* ---- server memory ------------------------------------------------------------------ */

/* A "Name:  123 kB" line of /proc/<pid>/status, in MiB. */
static double proc_status_mib(pid_t pid, const char *name) {
    char path[64], text[8192];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f) fatal("cannot read %s: %s", path, strerror(errno));
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    char key[32];
    snprintf(key, sizeof key, "\n%s:", name);
    const char *p = strstr(text, key);
    if (!p) fatal("%s has no %s", path, name);
    return (double)strtol(p + strlen(key), NULL, 10) / 1024.0;
}

/* ---- the result table -------------------------------------------------------------- */

typedef struct {
    char bench[48];
    char metric[24];
    char value[24];
    char goal[16];
    const char *verdict; /* "PASS", "MISS" or "" (no goal) */
} row;

#define MAX_ROWS 160
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

static void print_table(const char *title, const char *version, double total_s) {
    printf("\nltmc %s %s (%s, %ld CPUs, %.1f s)\n", version, title, bin, sysconf(_SC_NPROCESSORS_ONLN), total_s);
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

#endif
