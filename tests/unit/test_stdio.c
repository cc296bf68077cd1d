/* Unit tests for transport/stdio: stdio_serve on pipes, with the requests
 * written from one thread and the replies read on another. */
#include "testutil.h"

#include "protocol/mcp.h"
#include "transport/stdio.h"

#include <fcntl.h>
#include <pthread.h>
#include <time.h>

#define F ((tu_fixture *)*state)
#define MIB (1024 * 1024)

typedef struct {
    int fd;
    const char *const *chunks;
    const size_t *lens; /* NULL: strlen */
    size_t n;
    int delay_ms;       /* between chunks */
} writer_arg;

static void sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void *writer_main(void *p) {
    writer_arg *w = p;
    for (size_t i = 0; i < w->n; i++) {
        const char *c = w->chunks[i];
        size_t len = w->lens ? w->lens[i] : strlen(c), off = 0;
        while (off < len) {
            ssize_t k = write(w->fd, c + off, len - off);
            if (k < 0) {
                if (errno == EINTR) continue;
                break;
            }
            off += (size_t)k;
        }
        if (w->delay_ms && i + 1 < w->n) sleep_ms(w->delay_ms);
    }
    close(w->fd);
    return NULL;
}

typedef struct {
    const settings *cfg;
    store *st;
    int in_fd, out_fd;
    int rc;
} server_arg;

static void *server_main(void *p) {
    server_arg *s = p;
    s->rc = stdio_serve(s->cfg, s->st, tu_active_mem, s->in_fd, s->out_fd);
    close(s->out_fd); /* the reader sees EOF */
    return NULL;
}

/* Runs one stdio session over pipes; returns every reply, parsed, in the
 * order written. Each reply must be exactly one line of JSON. */
static json_t *session(const settings *cfg, store *st, const char *const *chunks, const size_t *lens, size_t n,
                       int delay_ms, int *rc) {
    int in[2], out[2];
    assert_int_equal(pipe(in), 0);
    assert_int_equal(pipe(out), 0);
    writer_arg w = {in[1], chunks, lens, n, delay_ms};
    server_arg s = {cfg, st, in[0], out[1], -2};
    pthread_t wt, stt;
    assert_int_equal(pthread_create(&stt, NULL, server_main, &s), 0);
    assert_int_equal(pthread_create(&wt, NULL, writer_main, &w), 0);
    size_t cap = 1 << 16, used = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (cap - used < 4096) buf = realloc(buf, cap *= 2);
        ssize_t k = read(out[0], buf + used, cap - used);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) break;
        used += (size_t)k;
    }
    pthread_join(wt, NULL);
    pthread_join(stt, NULL);
    close(in[0]);
    close(out[0]);
    *rc = s.rc;
    json_t *replies = json_array();
    size_t start = 0;
    for (size_t i = 0; i < used; i++) {
        if (buf[i] != '\n') continue;
        char why[200];
        json_t *v = jx_parse(buf + start, i - start, why, sizeof why);
        if (!v) fail_msg("reply line is not JSON (%s): %.*s", why, (int)(i - start), buf + start);
        json_array_append_new(replies, v);
        start = i + 1;
    }
    if (start != used) fail_msg("output ends without a newline: %.*s", (int)(used - start), buf + start);
    free(buf);
    return replies;
}

/* The reply with this integer id (NULL if none). */
static json_t *by_id(json_t *replies, json_int_t id) {
    size_t i;
    json_t *r;
    json_array_foreach(replies, i, r) {
        json_t *v = json_object_get(r, "id");
        if (json_is_integer(v) && json_integer_value(v) == id) return r;
    }
    return NULL;
}

static json_t *one(const settings *cfg, store *st, const char *text, int *rc) {
    const char *chunks[] = {text};
    return session(cfg, st, chunks, NULL, 1, 0, rc);
}

#define PING(id) "{\"jsonrpc\":\"2.0\",\"id\":" #id ",\"method\":\"ping\"}"
#define LIST(id) "{\"jsonrpc\":\"2.0\",\"id\":" #id ",\"method\":\"tools/call\",\"params\":{\"name\":\"todo_action\",\"arguments\":{\"action\":\"list\"}}}"

static void test_crlf(void **state) {
    int rc;
    json_t *r = one(F->cfg, F->st, PING(1) "\r\n" LIST(2) "\r\n", &rc);
    assert_int_equal(rc, 0);
    assert_int_equal(json_array_size(r), 2);
    assert_true(json_is_object(json_object_get(by_id(r, 1), "result")));
    json_t *res = json_object_get(by_id(r, 2), "result");
    assert_non_null(res);
    assert_json_bool(res, "isError", false);
    json_decref(r);
}

static void test_split_writes(void **state) {
    /* One request in pieces: across the JSON, inside a UTF-8 character and
     * between \r and \n. */
    const char *chunks[] = {"{", "\"jsonrpc\":\"2.0\",\"id\":3,\"meth", "od\":\"tools/call\",\"params\":{\"name\":"
                            "\"todo_action\",\"arguments\":{\"action\":\"add\",\"title\":\"caf\xc3",
                            "\xa9\"}}}\r", "\n", PING(4), "\n"};
    int rc;
    json_t *r = session(F->cfg, F->st, chunks, NULL, 7, 5, &rc);
    assert_int_equal(rc, 0);
    assert_int_equal(json_array_size(r), 2);
    json_t *res = json_object_get(by_id(r, 3), "result");
    assert_non_null(res);
    assert_json_str(json_object_get(res, "structuredContent"), "title", "caf\xc3\xa9");
    assert_non_null(by_id(r, 4));
    json_decref(r);
}

static void test_coalesced_writes(void **state) {
    int rc;
    json_t *r = one(F->cfg, F->st, PING(1) "\n" LIST(2) "\n" PING(3) "\n" LIST(4) "\n" PING(5) "\n", &rc);
    assert_int_equal(rc, 0);
    assert_int_equal(json_array_size(r), 5);
    for (int id = 1; id <= 5; id++)
        if (!by_id(r, id)) fail_msg("no reply for id %d", id);
    json_decref(r);
}

static void test_requests_run_in_order(void **state) {
    /* Many tool calls at once: each sees the ones before it. */
    size_t n = 300;
    char **lines = calloc(n + 1, sizeof *lines);
    for (size_t i = 0; i < n; i++) {
        lines[i] = malloc(256);
        snprintf(lines[i], 256, "{\"jsonrpc\":\"2.0\",\"id\":%zu,\"method\":\"tools/call\",\"params\":{\"name\":"
                                "\"todo_action\",\"arguments\":{\"action\":\"add\",\"title\":\"t%zu\"}}}\n", i + 1, i);
    }
    lines[n] = strdup(LIST(100000) "\n");
    int rc;
    json_t *r = session(F->cfg, F->st, (const char *const *)lines, NULL, n + 1, 0, &rc);
    assert_int_equal(rc, 0);
    assert_int_equal(json_array_size(r), n + 1);
    /* Worker replies come in request order. */
    for (size_t i = 0; i < n; i++) assert_json_int(json_array_get(r, i), "id", (json_int_t)i + 1);
    json_t *sc = json_object_get(json_object_get(by_id(r, 100000), "result"), "structuredContent");
    assert_json_int(sc, "total_count", (json_int_t)n);
    json_decref(r);
    for (size_t i = 0; i <= n; i++) free(lines[i]);
    free(lines);
}

static void test_blank_lines_ignored(void **state) {
    int rc;
    json_t *r = one(F->cfg, F->st, "\n\r\n   \n\t\r\n \t \n" PING(9) "\n\n", &rc);
    assert_int_equal(rc, 0);
    assert_int_equal(json_array_size(r), 1);
    assert_non_null(by_id(r, 9));
    json_decref(r);
    r = one(F->cfg, F->st, "", &rc); /* immediate EOF */
    assert_int_equal(rc, 0);
    assert_int_equal(json_array_size(r), 0);
    json_decref(r);
}

static void test_final_line_without_newline(void **state) {
    int rc;
    json_t *r = one(F->cfg, F->st, PING(1) "\n" PING(7), &rc);
    assert_int_equal(rc, 0);
    assert_int_equal(json_array_size(r), 2);
    assert_non_null(by_id(r, 7));
    json_decref(r);
    r = one(F->cfg, F->st, LIST(8) "\r", &rc);
    assert_int_equal(json_array_size(r), 1);
    assert_non_null(json_object_get(by_id(r, 8), "result"));
    json_decref(r);
}

static void test_errors_and_keep_going(void **state) {
    int rc;
    json_t *r = one(F->cfg, F->st,
                    "{oops\n[1,2]\n{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}\n"
                    "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}\n" PING(2) "\n",
                    &rc);
    assert_int_equal(rc, 0);
    assert_int_equal(json_array_size(r), 3); /* parse error, batch error, ping */
    assert_json_int(json_object_get(json_array_get(r, 0), "error"), "code", RPC_PARSE_ERROR);
    assert_json_int(json_object_get(json_array_get(r, 1), "error"), "code", RPC_INVALID_REQUEST);
    assert_non_null(by_id(r, 2));
    json_decref(r);
}

/* A valid ping padded past the limit: answered only if the limit leaks. */
static char *big_ping(size_t pad, size_t *len) {
    const char *head = "{\"jsonrpc\":\"2.0\",\"id\":99,\"method\":\"ping\",\"params\":{\"pad\":\"";
    const char *tail = "\"}}\n";
    *len = strlen(head) + pad + strlen(tail);
    char *b = malloc(*len + 1);
    strcpy(b, head);
    memset(b + strlen(head), 'x', pad);
    strcpy(b + strlen(head) + pad, tail);
    return b;
}

static void check_too_large(json_t *r, size_t expected_replies) {
    assert_int_equal(json_array_size(r), expected_replies);
    json_t *err = json_array_get(r, 0);
    assert_true(json_is_null(json_object_get(err, "id")));
    assert_json_int(json_object_get(err, "error"), "code", RPC_INVALID_REQUEST);
    assert_contains(jx_str(json_object_get(err, "error"), "message"), "message too large");
    assert_null(by_id(r, 99)); /* the over-long request itself was not run */
}

static void test_over_long_message(void **state) {
    const char *flags[] = {"max-message-mb=16"};
    tu_env_set("LTMC_DATA_DIR", F->dir);
    settings *cfg = tu_settings_ex(NULL, flags, 1, NULL);
    size_t len;
    char *big = big_ping(17 * MIB, &len);
    /* Written in 1 MiB pieces, then a normal request, then another big one. */
    size_t nbig = (len + MIB - 1) / MIB;
    const char **chunks = calloc(2 * nbig + 2, sizeof *chunks);
    size_t *lens = calloc(2 * nbig + 2, sizeof *lens);
    size_t n = 0;
    for (int rep = 0; rep < 2; rep++) {
        for (size_t off = 0; off < len; off += MIB) {
            chunks[n] = big + off;
            lens[n++] = len - off < MIB ? len - off : MIB;
        }
        chunks[n] = rep == 0 ? PING(2) "\n" : PING(3) "\n";
        lens[n] = strlen(chunks[n]);
        n++;
    }
    int rc;
    json_t *r = session(cfg, F->st, chunks, lens, n, 0, &rc);
    assert_int_equal(rc, 0);
    check_too_large(r, 4);
    assert_json_int(json_array_get(r, 1), "id", 2); /* the server kept working */
    assert_json_int(json_object_get(json_array_get(r, 2), "error"), "code", RPC_INVALID_REQUEST);
    assert_json_int(json_array_get(r, 3), "id", 3);
    json_decref(r);
    free(chunks);
    free(lens);
    free(big);
    settings_free(cfg);
}

/* stdin can be a regular file (ltmc serve < requests.jsonl): then one read
 * may return a whole over-long line with its newline. */
static void test_over_long_message_from_file(void **state) {
    const char *flags[] = {"max-message-mb=16"};
    tu_env_set("LTMC_DATA_DIR", F->dir);
    settings *cfg = tu_settings_ex(NULL, flags, 1, NULL);
    size_t len;
    char *big = big_ping(17 * MIB, &len);
    char *path = tu_path(F->dir, "requests.jsonl");
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(big, 1, len, f), len);
    fputs(PING(2) "\n", f);
    fclose(f);
    free(big);
    int in = open(path, O_RDONLY);
    assert_true(in >= 0);
    char *outpath = tu_path(F->dir, "out.jsonl");
    int out = open(outpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(out >= 0);
    assert_int_equal(stdio_serve(cfg, F->st, tu_active_mem, in, out), 0);
    close(in);
    close(out);
    f = fopen(outpath, "rb");
    json_t *r = json_array();
    char line[4096];
    while (fgets(line, sizeof line, f)) json_array_append_new(r, tu_parse(line));
    fclose(f);
    check_too_large(r, 2);
    assert_json_int(json_array_get(r, 1), "id", 2);
    json_decref(r);
    free(path);
    free(outpath);
    settings_free(cfg);
}

static void test_broken_output(void **state) {
    int out[2];
    assert_int_equal(pipe(out), 0);
    close(out[0]); /* nobody reads the replies */
    char *path = tu_path(F->dir, "in.jsonl");
    tu_write_file(path, PING(1) "\n" PING(2) "\n");
    int in = open(path, O_RDONLY);
    log_set_level(LOG_OFF); /* the failed write is logged; expected here */
    int rc = stdio_serve(F->cfg, F->st, tu_active_mem, in, out[1]);
    tu_quiet();
    assert_int_equal(rc, -1);
    close(in);
    close(out[1]);
    free(path);
}

int main(void) {
    tu_quiet();
#define T(fn) cmocka_unit_test_setup_teardown(fn, tu_fixture_setup, tu_fixture_teardown)
    const struct CMUnitTest tests[] = {
        T(test_crlf),
        T(test_split_writes),
        T(test_coalesced_writes),
        T(test_requests_run_in_order),
        T(test_blank_lines_ignored),
        T(test_final_line_without_newline),
        T(test_errors_and_keep_going),
        T(test_over_long_message),
        T(test_over_long_message_from_file),
        T(test_broken_output),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
