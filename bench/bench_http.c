/* bench_http - load test of `ltmc serve --http`: CLIENTS concurrent clients
 * (default 32), each with its own MCP session and keep-alive connection,
 * call a mix of memory_action store/retrieve and todo_action add/list/
 * complete for SECONDS (default 60) over loopback. Every reply must be an
 * HTTP 200 JSON-RPC result without isError; any error is counted and makes
 * the harness exit 1. Prints p50/p99 per operation and overall, and calls/s.
 * The server is stopped with SIGTERM and must exit 0.
 *
 * The memory corpus has a fixed size, so that the figures do not depend on
 * how long the run lasts or how fast the server is (a faster server would
 * otherwise store more and retrieve over more): before the clock starts each
 * of the 4 projects gets PRELOAD memories (bulk_store, untimed); during the
 * run every store is a real new memory, and a client that holds more than
 * KEEP of its own deletes its oldest. Those deletes are timed and reported on
 * their own line, outside the mix's calls/s and percentiles (they are extra
 * server work, so leaving them out only understates throughput).
 *
 * Usage: bench_http LTMC_BINARY   (env BENCH_HTTP_CLIENTS, BENCH_HTTP_SECONDS,
 *                                  BENCH_HTTP_PRELOAD (default 500),
 *                                  BENCH_HTTP_WORKERS passes http_workers) */
#include <curl/curl.h>
#include <errno.h>
#include <ftw.h>
#include <jansson.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
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

enum { OP_STORE, OP_RETRIEVE, OP_TODO_ADD, OP_TODO_LIST, OP_TODO_COMPLETE, OP_COUNT, OP_DELETE = OP_COUNT, OP_ALL };
static const char *const op_names[OP_ALL] = {"memory store", "memory retrieve", "todo add", "todo list",
                                             "todo complete", "memory delete"};
#define PROJECTS 4
#define KEEP 8 /* memories a client keeps of its own before deleting its oldest */
/* Out of every 10 calls: 2 stores, 3 retrieves, 2 adds, 2 lists, 1 complete. */
static const int mix[10] = {OP_STORE, OP_RETRIEVE, OP_TODO_ADD, OP_TODO_LIST, OP_RETRIEVE,
                            OP_STORE, OP_TODO_ADD, OP_RETRIEVE, OP_TODO_LIST, OP_TODO_COMPLETE};

static const char *const words[] = {"sqlite", "wal", "vector", "index", "memory", "thread", "worker", "session",
                                    "token", "latency", "cache", "query", "embedding", "chunk", "project", "todo",
                                    "graph", "transport", "protocol", "server", "client", "request", "response",
                                    "deadline", "shutdown", "signal", "pool", "connection", "benchmark", "decision"};
#define N_WORDS (sizeof words / sizeof *words)

static char url[128];
static double seconds = 60;
static atomic_long errors;
static char first_error[512];
static pthread_mutex_t err_lock = PTHREAD_MUTEX_INITIALIZER;

typedef struct {
    int idx;
    double *lat[OP_ALL];
    size_t n[OP_ALL], cap[OP_ALL];
} client_stats;

typedef struct {
    char *data;
    size_t len;
} buf;

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static size_t on_body(char *p, size_t size, size_t n, void *arg) {
    buf *b = arg;
    char *nb = realloc(b->data, b->len + size * n + 1);
    if (!nb) return 0;
    memcpy(nb + b->len, p, size * n);
    b->data = nb;
    b->len += size * n;
    b->data[b->len] = '\0';
    return size * n;
}

static size_t on_header(char *p, size_t size, size_t n, void *arg) {
    char *sid = arg;
    size_t len = size * n;
    if (len > 15 && strncasecmp(p, "mcp-session-id:", 15) == 0) {
        const char *v = p + 15;
        while (*v == ' ') v++;
        size_t k = 0;
        while (k < 63 && v + k < p + len && v[k] > ' ') k++;
        memcpy(sid, v, k);
        sid[k] = '\0';
    }
    return len;
}

static void record_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void record_error(const char *fmt, ...) {
    if (atomic_fetch_add(&errors, 1) == 0) {
        va_list ap;
        va_start(ap, fmt);
        pthread_mutex_lock(&err_lock);
        vsnprintf(first_error, sizeof first_error, fmt, ap);
        pthread_mutex_unlock(&err_lock);
        va_end(ap);
    }
}

/* POSTs body; returns the parsed reply (NULL on any failure, counted). */
static json_t *post(CURL *c, struct curl_slist *hdrs, const char *body, long expect_status) {
    buf b = {0};
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    CURLcode rc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    json_t *reply = NULL;
    if (rc != CURLE_OK) record_error("curl: %s", curl_easy_strerror(rc));
    else if (status != expect_status) record_error("HTTP %ld: %.300s", status, b.data ? b.data : "");
    else if (expect_status == 200 && !(reply = json_loadb(b.data ? b.data : "", b.len, 0, NULL)))
        record_error("reply is not JSON: %.300s", b.data ? b.data : "");
    free(b.data);
    return reply;
}

static json_t *tool_call(CURL *c, struct curl_slist *hdrs, long id, const char *tool, json_t *args /* stolen */) {
    json_t *req = json_pack("{s:s, s:i, s:s, s:{s:s, s:o}}", "jsonrpc", "2.0", "id", (json_int_t)id, "method",
                            "tools/call", "params", "name", tool, "arguments", args);
    char *text = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    json_t *reply = post(c, hdrs, text, 200);
    free(text);
    if (!reply) return NULL;
    json_t *result = json_object_get(reply, "result");
    if (!result || json_is_true(json_object_get(result, "isError"))) {
        char *t = json_dumps(reply, JSON_COMPACT);
        record_error("%s failed: %.300s", tool, t ? t : "?");
        free(t);
        json_decref(reply);
        return NULL;
    }
    return reply;
}

static void add_lat(client_stats *s, int op, double ms) {
    if (s->n[op] == s->cap[op]) {
        s->cap[op] = s->cap[op] ? s->cap[op] * 2 : 4096;
        s->lat[op] = realloc(s->lat[op], s->cap[op] * sizeof(double));
        if (!s->lat[op]) abort();
    }
    s->lat[op][s->n[op]++] = ms;
}

static void sentence(char *out, size_t len, unsigned *seed, int n_words) {
    size_t k = 0;
    for (int i = 0; i < n_words && k + 16 < len; i++)
        k += (size_t)snprintf(out + k, len - k, "%s%s", i ? " " : "", words[rand_r(seed) % N_WORDS]);
}

static uint64_t deadline;

static void *client_main(void *arg) {
    client_stats *s = arg;
    CURL *c = curl_easy_init();
    char sid[64] = "";
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, (void *)sid);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    struct curl_slist *h0 = NULL;
    h0 = curl_slist_append(h0, "Content-Type: application/json");
    h0 = curl_slist_append(h0, "Accept: application/json, text/event-stream");
    h0 = curl_slist_append(h0, "Expect:");
    json_t *init = post(c, h0, "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{\"protocolVersion\":"
                               "\"2025-11-25\",\"capabilities\":{},\"clientInfo\":{\"name\":\"bench_http\",\"version\":\"1\"}}}",
                        200);
    json_decref(init);
    char hs[128];
    snprintf(hs, sizeof hs, "Mcp-Session-Id: %s", sid);
    struct curl_slist *h = NULL;
    h = curl_slist_append(h, "Content-Type: application/json");
    h = curl_slist_append(h, "Accept: application/json, text/event-stream");
    h = curl_slist_append(h, "MCP-Protocol-Version: 2025-11-25");
    h = curl_slist_append(h, "Expect:");
    h = curl_slist_append(h, hs);
    char scratch[64];
    curl_easy_setopt(c, CURLOPT_HEADERDATA, (void *)scratch); /* no session id comes after initialize */
    json_decref(post(c, h, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}", 202));
    unsigned seed = 1234u + (unsigned)s->idx;
    json_int_t open_todos[64];
    size_t n_open = 0;
    json_int_t mine[KEEP + 1]; /* ids of the memories this client stored and still keeps, oldest first */
    size_t n_mine = 0;
    char project[32];
    snprintf(project, sizeof project, "bench%d", s->idx % PROJECTS);
    for (long i = 1; sid[0] && now_ns() < deadline; i++) {
        int op = mix[i % 10];
        if (op == OP_TODO_COMPLETE && n_open == 0) op = OP_TODO_ADD;
        char text[256];
        json_t *args;
        const char *tool = "todo_action";
        switch (op) {
        case OP_STORE:
            sentence(text, sizeof text, &seed, 14);
            args = json_pack("{s:s, s:s, s:s+, s:s}", "action", "store", "project", project, "file_name", "note-",
                             project, "content", text);
            json_object_set_new(args, "content",
                                json_sprintf("%s (client %d call %ld)", text, s->idx, i)); /* unique content */
            tool = "memory_action";
            break;
        case OP_RETRIEVE:
            sentence(text, sizeof text, &seed, 3);
            args = json_pack("{s:s, s:s, s:s, s:i}", "action", "retrieve", "project", project, "query", text, "top_k",
                             5);
            tool = "memory_action";
            break;
        case OP_TODO_ADD:
            sentence(text, sizeof text, &seed, 5);
            args = json_pack("{s:s, s:s, s:s}", "action", "add", "project", project, "title", text);
            break;
        case OP_TODO_LIST:
            args = json_pack("{s:s, s:s, s:i}", "action", "list", "project", project, "limit", 10);
            break;
        default:
            args = json_pack("{s:s, s:s, s:I}", "action", "complete", "project", project, "todo_id",
                             open_todos[--n_open]);
            break;
        }
        uint64_t t0 = now_ns();
        json_t *reply = tool_call(c, h, i, tool, args);
        double ms = (double)(now_ns() - t0) / 1e6;
        if (!reply) continue;
        add_lat(s, op, ms);
        json_t *sc = json_object_get(json_object_get(reply, "result"), "structuredContent");
        if (op == OP_TODO_ADD && n_open < 64) open_todos[n_open++] = json_integer_value(json_object_get(sc, "todo_id"));
        if (op == OP_STORE) mine[n_mine++] = json_integer_value(json_object_get(sc, "doc_id"));
        json_decref(reply);
        if (n_mine > KEEP) { /* keep the corpus at a fixed size */
            args = json_pack("{s:s, s:s, s:I}", "action", "delete", "project", project, "doc_id", mine[0]);
            memmove(mine, mine + 1, --n_mine * sizeof *mine);
            t0 = now_ns();
            reply = tool_call(c, h, -i, "memory_action", args); /* its own ids: i drives the mix */
            if (reply) add_lat(s, OP_DELETE, (double)(now_ns() - t0) / 1e6);
            json_decref(reply);
        }
    }
    if (!sid[0]) record_error("initialize gave no Mcp-Session-Id");
    curl_slist_free_all(h0);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return NULL;
}

/* Gives each project `per_project` memories in bulk_store calls of 250
 * (untimed): the fixed corpus the run retrieves from. */
static int preload(int per_project) {
    CURL *c = curl_easy_init();
    char sid[64] = "";
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, (void *)sid);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 600L);
    struct curl_slist *h = NULL;
    h = curl_slist_append(h, "Content-Type: application/json");
    h = curl_slist_append(h, "Accept: application/json, text/event-stream");
    h = curl_slist_append(h, "Expect:");
    json_decref(post(c, h, "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{\"protocolVersion\":"
                           "\"2025-11-25\",\"capabilities\":{},\"clientInfo\":{\"name\":\"bench_http\",\"version\":\"1\"}}}",
                     200));
    char hs[128];
    snprintf(hs, sizeof hs, "Mcp-Session-Id: %s", sid);
    h = curl_slist_append(h, hs);
    char scratch[64];
    curl_easy_setopt(c, CURLOPT_HEADERDATA, (void *)scratch);
    unsigned seed = 99;
    long id = 1;
    for (int p = 0; p < PROJECTS && sid[0]; p++) {
        char project[32];
        snprintf(project, sizeof project, "bench%d", p);
        for (int done = 0; done < per_project;) {
            json_t *docs = json_array();
            for (int k = 0; k < 250 && done < per_project; k++, done++) {
                char text[256];
                sentence(text, sizeof text, &seed, 14);
                json_array_append_new(docs, json_pack("{s:o, s:o}", "file_name", json_sprintf("preload-%d.md", done),
                                                      "content", json_sprintf("%s (preload %s %d)", text, project, done)));
            }
            json_t *args = json_pack("{s:s, s:s, s:o}", "action", "bulk_store", "project", project, "documents", docs);
            json_t *reply = tool_call(c, h, id++, "memory_action", args);
            json_decref(reply);
            if (!reply) break;
        }
    }
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return sid[0] && !atomic_load(&errors) ? 0 : -1;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double pct(const double *v, size_t n, double p) {
    if (!n) return 0;
    size_t k = (size_t)(p / 100.0 * (double)(n - 1) + 0.5);
    return v[k < n ? k : n - 1];
}

static char tmpdir[PATH_MAX];
static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s LTMC_BINARY\n", argv[0]);
        return 2;
    }
    int clients = getenv("BENCH_HTTP_CLIENTS") ? atoi(getenv("BENCH_HTTP_CLIENTS")) : 32;
    if (getenv("BENCH_HTTP_SECONDS")) seconds = atof(getenv("BENCH_HTTP_SECONDS"));
    if (clients < 1 || clients > 1024 || seconds <= 0) {
        fprintf(stderr, "bench_http: bad BENCH_HTTP_CLIENTS or BENCH_HTTP_SECONDS\n");
        return 2;
    }
    snprintf(tmpdir, sizeof tmpdir, "%s/ltmc-bench-http-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    int errpipe[2];
    if (pipe(errpipe) != 0) return 1;
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the harness */
        dup2(errpipe[1], 2);
        close(errpipe[0]);
        char data[PATH_MAX + 16], cfgdir[PATH_MAX + 16];
        snprintf(data, sizeof data, "%s/data", tmpdir);
        snprintf(cfgdir, sizeof cfgdir, "%s/config", tmpdir);
        setenv("LTMC_DATA_DIR", data, 1);
        setenv("XDG_CONFIG_HOME", cfgdir, 1);
        setenv("LTMC_LOG_LEVEL", "warning", 1);
        if (getenv("BENCH_HTTP_WORKERS")) setenv("LTMC_HTTP_WORKERS", getenv("BENCH_HTTP_WORKERS"), 1);
        execl(argv[1], argv[1], "serve", "--http", "127.0.0.1:0", (char *)NULL);
        _exit(127);
    }
    close(errpipe[1]);
    FILE *err = fdopen(errpipe[0], "r");
    char line[1024];
    while (fgets(line, sizeof line, err)) {
        fputs(line, stderr);
        char *u = strstr(line, "listening on ");
        if (u) {
            sscanf(u + 13, "%127s", url);
            break;
        }
    }
    if (!url[0]) {
        fprintf(stderr, "bench_http: the server did not start\n");
        return 1;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int per_project = getenv("BENCH_HTTP_PRELOAD") ? atoi(getenv("BENCH_HTTP_PRELOAD")) : 500;
    if (per_project > 0) {
        uint64_t p0 = now_ns();
        if (preload(per_project) != 0) {
            fprintf(stderr, "bench_http: preloading failed: %s\n", first_error);
            kill(pid, SIGTERM);
            waitpid(pid, NULL, 0);
            return 1;
        }
        printf("bench_http: preloaded %d memories in each of %d projects in %.1f s (untimed)\n", per_project, PROJECTS,
               (double)(now_ns() - p0) / 1e9);
    }
    printf("bench_http: %d clients, %.0f s, %s; corpus held at about %d memories per project\n", clients, seconds,
           url, per_project + (clients + PROJECTS - 1) / PROJECTS * KEEP);
    client_stats *st = calloc((size_t)clients, sizeof *st);
    pthread_t *th = calloc((size_t)clients, sizeof *th);
    uint64_t start = now_ns();
    deadline = start + (uint64_t)(seconds * 1e9);
    for (int i = 0; i < clients; i++) {
        st[i].idx = i;
        pthread_create(&th[i], NULL, client_main, &st[i]);
    }
    for (int i = 0; i < clients; i++) pthread_join(th[i], NULL);
    double elapsed = (double)(now_ns() - start) / 1e9;

    size_t total = 0;
    double *all = NULL;
    size_t n_all = 0;
    printf("\n%-16s %10s %10s %10s %10s\n", "operation", "calls", "p50 ms", "p99 ms", "max ms");
    for (int op = 0; op < OP_COUNT; op++) {
        size_t n = 0;
        for (int i = 0; i < clients; i++) n += st[i].n[op];
        double *v = malloc((n ? n : 1) * sizeof *v);
        size_t k = 0;
        for (int i = 0; i < clients; i++) {
            memcpy(v + k, st[i].lat[op], st[i].n[op] * sizeof *v);
            k += st[i].n[op];
        }
        qsort(v, n, sizeof *v, cmp_double);
        printf("%-16s %10zu %10.2f %10.2f %10.2f\n", op_names[op], n, pct(v, n, 50), pct(v, n, 99),
               n ? v[n - 1] : 0.0);
        all = realloc(all, (n_all + n + 1) * sizeof *all);
        memcpy(all + n_all, v, n * sizeof *v);
        n_all += n;
        total += n;
        free(v);
    }
    qsort(all, n_all, sizeof *all, cmp_double);
    double p50 = pct(all, n_all, 50), p99 = pct(all, n_all, 99), rate = (double)total / elapsed;
    printf("%-16s %10zu %10.2f %10.2f %10.2f\n", "all", total, p50, p99, n_all ? all[n_all - 1] : 0.0);
    {
        size_t n = 0;
        for (int i = 0; i < clients; i++) n += st[i].n[OP_DELETE];
        double *v = malloc((n ? n : 1) * sizeof *v);
        size_t k = 0;
        for (int i = 0; i < clients; i++) {
            memcpy(v + k, st[i].lat[OP_DELETE], st[i].n[OP_DELETE] * sizeof *v);
            k += st[i].n[OP_DELETE];
        }
        qsort(v, n, sizeof *v, cmp_double);
        printf("(%-14s %10zu %10.2f %10.2f %10.2f  housekeeping, not in the figures above)\n", op_names[OP_DELETE], n,
               pct(v, n, 50), pct(v, n, 99), n ? v[n - 1] : 0.0);
        free(v);
    }
    printf("\nthroughput: %.0f calls/s over %.1f s; errors: %ld\n", rate, elapsed, atomic_load(&errors));
    printf("goals: p99 < 50 ms %s (%.2f ms); > 2,000 calls/s %s (%.0f/s); %ld CPUs\n", p99 < 50 ? "met" : "MISSED",
           p99, rate > 2000 ? "met" : "MISSED", rate, sysconf(_SC_NPROCESSORS_ONLN));
    if (atomic_load(&errors)) printf("first error: %s\n", first_error);

    kill(pid, SIGTERM);
    int status = 0;
    waitpid(pid, &status, 0);
    while (fgets(line, sizeof line, err)) fputs(line, stderr);
    fclose(err);
    bool clean = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (!clean) printf("server did not exit cleanly on SIGTERM (status %d)\n", status);
    for (int i = 0; i < clients; i++)
        for (int op = 0; op < OP_ALL; op++) free(st[i].lat[op]);
    free(st);
    free(th);
    free(all);
    curl_global_cleanup();
    nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return atomic_load(&errors) || !clean ? 1 : 0;
}
