/* fuzz_request.c - libFuzzer target for the request path.
 *
 * The input is read the way the stdio transport reads stdin: split into
 * lines at '\n', a trailing '\r' dropped, blank lines skipped. Each line goes
 * through mcp_parse(); control messages (ping, notifications, including
 * notifications/cancelled) are handled at once, requests are tracked and
 * queued, and the queue is then run with mcp_handle() on one store, the way
 * the worker thread does. So one input can be a whole session, with
 * cancellations of earlier requests.
 *
 * A line that is a JSON object without "jsonrpc" is taken as the arguments of
 * a tools/call: to the tool whose action table has args.action, else to the
 * tool chosen by the input's first byte. This lets the fuzzer work on tool
 * arguments directly (seeds: tests/fuzz/seeds/).
 *
 * Besides the sanitizers, the target checks what every client relies on and
 * abort()s when it does not hold:
 *   - an error reply exists for every line that is not a valid message
 *     (except responses and notifications, which are never answered),
 *   - every request gets exactly one response unless it was cancelled,
 *   - every reply is one line of JSON-RPC 2.0 with an id and exactly one of
 *     result/error, the error having an integer code and a message,
 *   - a tools/call result has a boolean isError equal to !success, error
 *     results carry a non-empty "error" string, and the text content is the
 *     structured content serialised.
 *
 * The store is in memory, opened once in LLVMFuzzerInitialize, and emptied
 * every few thousand inputs so that queries stay fast. */
#include "core/jsonx.h"
#include "core/log.h"
#include "core/settings.h"
#include "embed/embed.h"
#include "search/memory.h"
#include "protocol/mcp.h"
#include "store/store.h"
#include "tools/tool.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_LINES 32
#define RESET_EVERY 2000

static settings *cfg;
static store *st;
static mcp_session *session;
static memory_engine *mem;
static char home[PATH_MAX];
static unsigned long runs;

#define CHECK(cond, ...)                                                                                 \
    do {                                                                                                 \
        if (!(cond)) {                                                                                   \
            fprintf(stderr, "fuzz_request: invariant failed: %s: ", #cond);                             \
            fprintf(stderr, __VA_ARGS__);                                                                \
            fprintf(stderr, "\n");                                                                       \
            abort();                                                                                     \
        }                                                                                                \
    } while (0)

static const char *fake_getenv(const char *name) {
    if (strcmp(name, "HOME") == 0 || strcmp(name, "LTMC_DATA_DIR") == 0) return home;
    return NULL; /* nothing else: no config file, defaults otherwise */
}

static void cleanup(void) {
    mcp_session_free(session);
    memory_engine_free(mem);
    store_close(st);
    settings_free(cfg);
    if (home[0]) rmdir(home);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    log_set_level(LOG_OFF);
    const char *tmp = getenv("TMPDIR");
    snprintf(home, sizeof home, "%s/ltmc-fuzz-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(home)) {
        perror("mkdtemp");
        abort();
    }
    /* Two tools per page, so fuzzed cursors reach real pages. */
    static const char *const flags[] = {"tools-page-size=2", "project=fuzz"};
    settings_sources src = {NULL, fake_getenv, flags, 2};
    lt_err err;
    cfg = settings_load(&src, NULL, &err);
    if (!cfg) {
        fprintf(stderr, "settings: %s\n", err.msg);
        abort();
    }
    store_options opt = {":memory:", 1000, 8, 0, false};
    st = store_open(&opt, &err);
    if (!st) {
        fprintf(stderr, "store: %s\n", err.msg);
        abort();
    }
    embed_options eo = {0};
    eo.backend = "hash";
    eo.hash_dim = 32;
    embedder *emb = embedder_open(&eo, &err);
    memory_config mc = {200, 20, 1 << 20, 2, 0.35, 0.5, 0.95, 4000, 0.75};
    mem = emb ? memory_engine_new(emb, &mc, &err) : NULL;
    if (!mem) {
        fprintf(stderr, "memory engine: %s\n", err.msg);
        abort();
    }
    session = mcp_session_new(cfg, mem);
    atexit(cleanup);
    return 0;
}

/* ---- invariants ---- */

static void check_reply(const json_t *r, const char *line) {
    CHECK(json_is_object(r), "reply to %.200s is not an object", line);
    char *text = jx_dump(r);
    CHECK(text != NULL, "reply to %.200s cannot be serialised", line);
    CHECK(strchr(text, '\n') == NULL, "reply is not one line: %.200s", text);
    free(text);
    CHECK(json_is_string(json_object_get(r, "jsonrpc")) && !strcmp(jx_str(r, "jsonrpc"), "2.0"),
          "reply without jsonrpc 2.0 (to %.200s)", line);
    json_t *id = json_object_get(r, "id");
    CHECK(json_is_string(id) || json_is_integer(id) || json_is_null(id), "reply id missing (to %.200s)", line);
    json_t *result = json_object_get(r, "result"), *error = json_object_get(r, "error");
    CHECK((result != NULL) != (error != NULL), "reply needs exactly one of result/error (to %.200s)", line);
    if (error) {
        CHECK(json_is_integer(json_object_get(error, "code")), "error without code (to %.200s)", line);
        const char *msg = jx_str(error, "message");
        CHECK(msg && *msg, "error without message (to %.200s)", line);
    }
}

static void check_tools_call(const json_t *r, const char *line) {
    json_t *result = json_object_get(r, "result");
    if (!result) return; /* a protocol error (unknown tool, bad arguments) */
    json_t *sc = json_object_get(result, "structuredContent");
    CHECK(json_is_object(sc), "tools/call result without structuredContent (%.200s)", line);
    json_t *success = json_object_get(sc, "success");
    CHECK(json_is_boolean(success), "result without boolean success (%.200s)", line);
    json_t *is_error = json_object_get(result, "isError");
    CHECK(json_is_boolean(is_error) && json_is_true(is_error) == json_is_false(success),
          "isError disagrees with success (%.200s)", line);
    if (json_is_false(success)) {
        const char *e = jx_str(sc, "error");
        CHECK(e && *e, "error result without an error message (%.200s)", line);
    }
    json_t *content = json_object_get(result, "content");
    CHECK(json_is_array(content) && json_array_size(content) == 1, "content is not one item (%.200s)", line);
    const char *text = jx_str(json_array_get(content, 0), "text");
    CHECK(text != NULL, "content without text (%.200s)", line);
    json_t *parsed = json_loads(text, JSON_ALLOW_NUL, NULL);
    CHECK(parsed && json_equal(parsed, sc), "text content differs from structuredContent (%.200s)", line);
    json_decref(parsed);
}

/* A reply may be withheld only for responses and notifications. */
static void check_no_reply_ok(const char *line, size_t len) {
    json_t *root = jx_parse(line, len, NULL, 0);
    CHECK(root != NULL, "unparseable line got no error reply: %.200s", line);
    CHECK(json_is_object(root), "non-object got no error reply: %.200s", line);
    bool has_id = json_object_get(root, "id") != NULL;
    bool is_response = !json_object_get(root, "method") &&
                       (json_object_get(root, "result") || json_object_get(root, "error"));
    CHECK(!has_id || is_response, "request got no reply: %.200s", line);
    json_decref(root);
}

/* ---- one input ---- */

/* The JSON-RPC line to run for text: itself, or a tools/call wrapping it. */
static char *as_request(const char *text, size_t len, uint8_t selector, int seq) {
    json_t *v = jx_parse(text, len, NULL, 0);
    if (!json_is_object(v) || json_object_get(v, "jsonrpc")) {
        json_decref(v);
        return NULL;
    }
    size_t n;
    const tool_def *const *tools = tools_all(&n);
    const tool_def *tool = tools[selector % n];
    const char *action = jx_str(v, "action");
    for (size_t i = 0; action && i < n; i++)
        for (const action_def *a = tools[i]->actions; a->name; a++)
            if (!strcmp(a->name, action)) tool = tools[i];
    json_t *req = json_pack("{s:s, s:i, s:s, s:{s:s, s:o}}", "jsonrpc", "2.0", "id", 1000 + seq, "method",
                            "tools/call", "params", "name", tool->name, "arguments", v);
    char *line = jx_dump(req);
    json_decref(req);
    return line;
}

typedef struct {
    mcp_msg *msg;
    char *line;
} queued;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (++runs % RESET_EVERY == 0) store_exec(st, "DELETE FROM todos; DELETE FROM chat_messages; DELETE FROM memories; DELETE FROM graph_nodes;", NULL);
    char *buf = malloc(size + 1);
    if (!buf) return 0;
    memcpy(buf, data, size);
    buf[size] = '\0';
    uint8_t selector = size ? data[0] : 0;

    queued q[MAX_LINES];
    size_t nq = 0;
    bool saw_cancel = false;
    size_t start = 0;
    int seq = 0;
    while (start <= size && seq < MAX_LINES) {
        char *nl = memchr(buf + start, '\n', size - start);
        size_t end = nl ? (size_t)(nl - buf) : size;
        size_t len = end - start;
        char *line = buf + start;
        start = end + 1;
        if (len && line[len - 1] == '\r') len--;
        size_t i = 0;
        while (i < len && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) i++;
        if (i == len) {
            if (!nl) break;
            continue;
        }
        seq++;
        char *wrapped = as_request(line, len, selector, seq);
        const char *text = wrapped ? wrapped : line;
        size_t text_len = wrapped ? strlen(wrapped) : len;
        char *copy = strndup(text, text_len); /* for messages (may hold NULs: shown cut) */

        json_t *reply = NULL;
        mcp_msg *m = mcp_parse(text, text_len, &reply);
        free(wrapped);
        if (!m) {
            if (reply) check_reply(reply, copy);
            else check_no_reply_ok(text == line ? line : copy, text == line ? len : strlen(copy));
            json_decref(reply);
            free(copy);
        } else if (mcp_msg_is_control(m)) {
            /* Answered on the reading thread, before queued requests run. */
            if (!strcmp(mcp_msg_method(m), "notifications/cancelled")) saw_cancel = true;
            json_t *resp = mcp_handle(session, NULL, m);
            if (mcp_msg_kind_of(m) == MCP_MSG_REQUEST) {
                CHECK(resp != NULL, "control request got no response: %.200s", copy);
                check_reply(resp, copy);
            } else {
                CHECK(resp == NULL, "notification answered: %.200s", copy);
            }
            json_decref(resp);
            mcp_msg_free(m);
            free(copy);
        } else {
            mcp_track(session, m);
            q[nq].msg = m;
            q[nq].line = copy;
            nq++;
        }
        if (!nl) break;
    }
    /* The worker: queued requests in order. */
    for (size_t i = 0; i < nq; i++) {
        /* What a transport writes, read back: the text stdio writes, or the
         * response object serialised (pre-serialised parts of a result are
         * spliced in only then). */
        char *wire;
        if (i % 2) {
            wire = mcp_handle_text(session, st, q[i].msg, NULL);
        } else {
            json_t *obj = mcp_handle(session, st, q[i].msg);
            wire = obj ? jx_dump(obj) : NULL;
            json_decref(obj);
        }
        json_t *resp = wire ? json_loads(wire, JSON_ALLOW_NUL, NULL) : NULL;
        CHECK(!wire || resp, "reply is not valid JSON: %.200s", wire);
        free(wire);
        if (resp) {
            check_reply(resp, q[i].line);
            if (!strcmp(mcp_msg_method(q[i].msg), "tools/call")) check_tools_call(resp, q[i].line);
        } else {
            CHECK(saw_cancel, "request got no response: %.200s", q[i].line);
        }
        json_decref(resp);
        mcp_msg_free(q[i].msg);
        free(q[i].line);
    }
    free(buf);
    return 0;
}
