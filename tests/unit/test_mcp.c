/* Unit tests for protocol/mcp: parsing and error responses, the lifecycle
 * methods, tools/list paging, tools/call, cancellation. */
#include "testutil.h"

#include "protocol/mcp.h"
#include "version.h"

#include <pthread.h>
#include <time.h>

#define F ((tu_fixture *)*state)

/* Parses text; expects no message and returns the error reply (or NULL). */
static json_t *parse_reply(const char *text) {
    json_t *reply = (json_t *)1;
    mcp_msg *m = mcp_parse(text, strlen(text), &reply);
    if (m) fail_msg("%s parsed as a message", text);
    return reply;
}

static mcp_msg *parse_ok(const char *text) {
    json_t *reply = (json_t *)1;
    mcp_msg *m = mcp_parse(text, strlen(text), &reply);
    if (!m) {
        char *d = reply ? jx_dump(reply) : NULL;
        fail_msg("%s did not parse: %s", text, d ? d : "(no reply)");
    }
    assert_null(reply);
    return m;
}

static void assert_error(json_t *resp, int code, const char *id_json, const char *needle) {
    if (!resp) fail_msg("expected an error response, got none");
    assert_json_str(resp, "jsonrpc", "2.0");
    char *id = jx_dump(json_object_get(resp, "id"));
    assert_string_equal(id, id_json);
    free(id);
    json_t *e = json_object_get(resp, "error");
    assert_json_int(e, "code", code);
    assert_contains(jx_str(e, "message"), needle);
    assert_null(json_object_get(resp, "result"));
}

/* Parses and handles one line; returns the response (may be NULL). */
static json_t *roundtrip(mcp_session *s, store *st, const char *text) {
    json_t *reply = NULL;
    mcp_msg *m = mcp_parse(text, strlen(text), &reply);
    if (!m) return reply;
    json_t *resp = mcp_handle(s, st, m);
    mcp_msg_free(m);
    return resp;
}

/* A number past 64 bits is valid JSON that jansson cannot hold: the reply
 * still carries the request's id, so the client is not left waiting. */
static void test_parse_oversized_number_keeps_id(void **state) {
    (void)state;
    json_t *r = parse_reply("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\",\"params\":{\"name\":\"todo_action\","
                            "\"arguments\":{\"action\":\"list\",\"limit\":100000000000000000000}}}");
    assert_error(r, RPC_PARSE_ERROR, "7", "too big integer");
    json_decref(r);
    r = parse_reply("{\"jsonrpc\":\"2.0\",\"id\":\"s\",\"x\":-100000000000000000000}");
    assert_error(r, RPC_PARSE_ERROR, "\"s\"", "too big");
    json_decref(r);
    r = parse_reply("{\"jsonrpc\":\"2.0\",\"id\":1.5,\"x\":100000000000000000000}"); /* no usable id */
    assert_error(r, RPC_PARSE_ERROR, "null", "too big");
    json_decref(r);
}

static void test_parse_errors(void **state) {
    (void)state;
    json_t *r = parse_reply("{not json");
    assert_error(r, RPC_PARSE_ERROR, "null", "Parse error");
    assert_contains(jx_str(json_object_get(r, "error"), "message"), "line 1");
    json_decref(r);
    r = parse_reply("");
    assert_error(r, RPC_PARSE_ERROR, "null", "Parse error");
    json_decref(r);
    r = parse_reply("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"} trailing");
    assert_error(r, RPC_PARSE_ERROR, "null", "Parse error");
    json_decref(r);

    r = parse_reply("[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}]");
    assert_error(r, RPC_INVALID_REQUEST, "null", "batches are not supported");
    json_decref(r);
    r = parse_reply("[]");
    assert_error(r, RPC_INVALID_REQUEST, "null", "batches");
    json_decref(r);
    r = parse_reply("42");
    assert_error(r, RPC_INVALID_REQUEST, "null", "must be a JSON object");
    json_decref(r);
    r = parse_reply("null");
    assert_error(r, RPC_INVALID_REQUEST, "null", "must be a JSON object");
    json_decref(r);

    /* Missing method: -32600, keeping a valid id. */
    r = parse_reply("{\"jsonrpc\":\"2.0\",\"id\":7}");
    assert_error(r, RPC_INVALID_REQUEST, "7", "\"method\" is missing");
    json_decref(r);
    r = parse_reply("{\"jsonrpc\":\"2.0\",\"id\":\"abc\",\"params\":{}}");
    assert_error(r, RPC_INVALID_REQUEST, "\"abc\"", "\"method\" is missing");
    json_decref(r);
    r = parse_reply("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":5}");
    assert_error(r, RPC_INVALID_REQUEST, "3", "\"method\" must be a string");
    json_decref(r);

    /* Bad jsonrpc. */
    r = parse_reply("{\"jsonrpc\":\"1.0\",\"id\":1,\"method\":\"ping\"}");
    assert_error(r, RPC_INVALID_REQUEST, "1", "\"jsonrpc\" must be \"2.0\"");
    json_decref(r);
    r = parse_reply("{\"id\":1,\"method\":\"ping\"}");
    assert_error(r, RPC_INVALID_REQUEST, "1", "\"jsonrpc\" must be \"2.0\"");
    json_decref(r);
    r = parse_reply("{\"jsonrpc\":2.0,\"id\":1,\"method\":\"ping\"}");
    assert_error(r, RPC_INVALID_REQUEST, "1", "jsonrpc");
    json_decref(r);

    /* Bad id types: the reply id is null. */
    const char *bad_ids[] = {"1.5", "true", "{}", "[1]", "null"};
    for (size_t i = 0; i < sizeof bad_ids / sizeof bad_ids[0]; i++) {
        char text[128];
        snprintf(text, sizeof text, "{\"jsonrpc\":\"2.0\",\"id\":%s,\"method\":\"ping\"}", bad_ids[i]);
        r = parse_reply(text);
        assert_error(r, RPC_INVALID_REQUEST, "null", "\"id\" must be a string or an integer");
        json_decref(r);
    }

    /* params not an object: -32602 for a request, nothing for a notification. */
    r = parse_reply("{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"tools/list\",\"params\":[1]}");
    assert_error(r, RPC_INVALID_PARAMS, "9", "\"params\" must be an object");
    json_decref(r);
    r = parse_reply("{\"jsonrpc\":\"2.0\",\"id\":\"s\",\"method\":\"ping\",\"params\":\"x\"}");
    assert_error(r, RPC_INVALID_PARAMS, "\"s\"", "params");
    json_decref(r);
    assert_null(parse_reply("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/x\",\"params\":5}"));
}

static void test_parse_responses_ignored(void **state) {
    (void)state;
    /* A response with an integer id (the only kind we issue) is a message
     * to route to a waiting call; it is never answered. */
    mcp_msg *m = parse_ok("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}");
    assert_int_equal(mcp_msg_kind_of(m), MCP_MSG_RESPONSE);
    assert_true(mcp_msg_is_control(m));
    mcp_msg_free(m);
    /* Other ids cannot be ours. */
    assert_null(parse_reply("{\"jsonrpc\":\"2.0\",\"id\":\"x\",\"error\":{\"code\":-1,\"message\":\"no\"}}"));
    /* An error response to a message the client could not parse has id null;
     * it is still a response and must not be answered. */
    assert_null(parse_reply("{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32700,\"message\":\"Parse error\"}}"));
}

static void test_parse_messages(void **state) {
    (void)state;
    mcp_msg *m = parse_ok("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"x\"}}");
    assert_int_equal(mcp_msg_kind_of(m), MCP_MSG_REQUEST);
    assert_string_equal(mcp_msg_method(m), "tools/call");
    assert_false(mcp_msg_is_control(m));
    mcp_msg_free(m);
    m = parse_ok("{\"jsonrpc\":\"2.0\",\"id\":\"p\",\"method\":\"ping\",\"params\":null}");
    assert_int_equal(mcp_msg_kind_of(m), MCP_MSG_REQUEST);
    assert_true(mcp_msg_is_control(m));
    mcp_msg_free(m);
    m = parse_ok("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"server/discover\"}");
    assert_true(mcp_msg_is_control(m));
    mcp_msg_free(m);
    m = parse_ok("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");
    assert_int_equal(mcp_msg_kind_of(m), MCP_MSG_NOTIFICATION);
    assert_true(mcp_msg_is_control(m));
    mcp_msg_free(m);
    m = parse_ok("{\"jsonrpc\":\"2.0\",\"id\":-9223372036854775807,\"method\":\"initialize\"}");
    assert_false(mcp_msg_is_control(m));
    mcp_msg_free(m);
    mcp_msg_free(NULL);
}

static void test_error_response_builder(void **state) {
    (void)state;
    json_t *id = json_integer(5);
    json_t *r = mcp_error_response(id, RPC_INTERNAL_ERROR, "boom");
    assert_error(r, RPC_INTERNAL_ERROR, "5", "boom");
    json_decref(r);
    json_decref(id);
    r = mcp_error_response(NULL, RPC_PARSE_ERROR, "x");
    assert_error(r, RPC_PARSE_ERROR, "null", "x");
    json_decref(r);
    /* An invalid UTF-8 message (a cut character) still yields a response. */
    r = mcp_error_response(NULL, RPC_INVALID_PARAMS, "Unknown tool: caf\xc3");
    assert_non_null(r);
    assert_error(r, RPC_INVALID_PARAMS, "null", "Unknown tool: caf");
    json_decref(r);
}

static void test_initialize(void **state) {
    mcp_session *s = mcp_session_new(F->cfg, tu_active_mem);
    assert_null(mcp_session_version(s));
    json_t *r = roundtrip(s, NULL, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{"
                                   "\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},"
                                   "\"clientInfo\":{\"name\":\"unit\",\"version\":\"1\"}}}");
    json_t *res = json_object_get(r, "result");
    assert_non_null(res);
    assert_json_int(r, "id", 1);
    assert_json_str(res, "protocolVersion", "2025-06-18");
    assert_string_equal(mcp_session_version(s), "2025-06-18");
    json_t *info = json_object_get(res, "serverInfo");
    assert_json_str(info, "name", "ltmc");
    assert_json_str(info, "version", LTMC_VERSION);
    assert_true(json_is_object(json_object_get(json_object_get(res, "capabilities"), "tools")));
    assert_true(jx_str(res, "instructions") && strlen(jx_str(res, "instructions")) > 20);
    json_decref(r);
    const char *versions[] = {"2025-11-25", "2025-03-26", "2024-11-05"};
    for (size_t i = 0; i < 3; i++) {
        char text[256];
        snprintf(text, sizeof text, "{\"jsonrpc\":\"2.0\",\"id\":\"v\",\"method\":\"initialize\",\"params\":"
                                    "{\"protocolVersion\":\"%s\"}}", versions[i]);
        r = roundtrip(s, NULL, text);
        assert_json_str(json_object_get(r, "result"), "protocolVersion", versions[i]);
        json_decref(r);
    }
    /* An unknown version: the server answers with the latest it supports. */
    r = roundtrip(s, NULL, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"initialize\",\"params\":"
                           "{\"protocolVersion\":\"1999-01-01\"}}");
    assert_json_str(json_object_get(r, "result"), "protocolVersion", MCP_LATEST_VERSION);
    assert_string_equal(mcp_session_version(s), MCP_LATEST_VERSION);
    json_decref(r);
    r = roundtrip(s, NULL, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"initialize\",\"params\":{}}");
    assert_error(r, RPC_INVALID_PARAMS, "3", "protocolVersion is required");
    json_decref(r);
    r = roundtrip(s, NULL, "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"initialize\"}");
    assert_error(r, RPC_INVALID_PARAMS, "4", "protocolVersion");
    json_decref(r);
    r = roundtrip(s, NULL, "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"initialize\",\"params\":{\"protocolVersion\":7}}");
    assert_error(r, RPC_INVALID_PARAMS, "5", "protocolVersion");
    json_decref(r);
    mcp_session_free(s);
}

static void test_ping_notifications_unknown_method(void **state) {
    mcp_session *s = mcp_session_new(F->cfg, tu_active_mem);
    json_t *r = roundtrip(s, NULL, "{\"jsonrpc\":\"2.0\",\"id\":\"p1\",\"method\":\"ping\"}");
    assert_json_str(r, "id", "p1");
    json_t *res = json_object_get(r, "result");
    assert_true(json_is_object(res));
    assert_int_equal(json_object_size(res), 0);
    json_decref(r);
    assert_null(roundtrip(s, NULL, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}"));
    assert_null(roundtrip(s, NULL, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/whatever\",\"params\":{}}"));
    assert_null(roundtrip(s, NULL, "{\"jsonrpc\":\"2.0\",\"method\":\"tools/list\"}")); /* a notification */
    r = roundtrip(s, F->st, "{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"resources/list\"}");
    assert_error(r, RPC_METHOD_NOT_FOUND, "8", "Method not found: resources/list");
    json_decref(r);
    r = roundtrip(s, NULL, "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"server/discover\"}");
    assert_error(r, RPC_METHOD_NOT_FOUND, "9", "Method not found");
    json_decref(r);
    /* A long method name cut inside a character still gets its response. */
    char text[512];
    char *p = text + sprintf(text, "{\"jsonrpc\":\"2.0\",\"id\":10,\"method\":\"m");
    for (int i = 0; i < 80; i++) p += sprintf(p, "\xc3\xa9");
    strcpy(p, "\"}");
    r = roundtrip(s, F->st, text);
    assert_error(r, RPC_METHOD_NOT_FOUND, "10", "Method not found: m");
    json_decref(r);
    mcp_session_free(s);
}

static void check_tools(json_t *tools, size_t from, size_t count) {
    size_t n;
    const tool_def *const *all = tools_all(&n);
    assert_int_equal(json_array_size(tools), count);
    for (size_t i = 0; i < count; i++) {
        json_t *t = json_array_get(tools, i);
        assert_json_str(t, "name", all[from + i]->name);
        assert_true(json_is_object(json_object_get(t, "inputSchema")));
        assert_true(json_is_object(json_object_get(t, "annotations")));
    }
}

static void test_tools_list_paging(void **state) {
    size_t n_tools;
    tools_all(&n_tools);
    assert_true(n_tools >= 3);
    mcp_session *s = mcp_session_new(F->cfg, tu_active_mem);
    json_t *r = roundtrip(s, NULL, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}");
    json_t *res = json_object_get(r, "result");
    check_tools(json_object_get(res, "tools"), 0, n_tools);
    assert_null(json_object_get(res, "nextCursor"));
    json_decref(r);
    r = roundtrip(s, NULL, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\",\"params\":{\"cursor\":null}}");
    check_tools(json_object_get(json_object_get(r, "result"), "tools"), 0, n_tools);
    json_decref(r);
    mcp_session_free(s);

    /* One tool per page: follow nextCursor to the end. */
    const char *flags[] = {"tools-page-size=1"};
    settings *cfg = tu_settings_ex(NULL, flags, 1, NULL);
    s = mcp_session_new(cfg, tu_active_mem);
    char text[256] = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}";
    for (size_t page = 0; page < n_tools; page++) {
        r = roundtrip(s, NULL, text);
        res = json_object_get(r, "result");
        assert_non_null(res);
        check_tools(json_object_get(res, "tools"), page, 1);
        const char *next = jx_str(res, "nextCursor");
        if (page + 1 < n_tools) {
            assert_non_null(next);
            snprintf(text, sizeof text, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\",\"params\":{\"cursor\":\"%s\"}}",
                     next);
        } else {
            assert_null(json_object_get(res, "nextCursor"));
        }
        json_decref(r);
    }
    char past_end[32];
    snprintf(past_end, sizeof past_end, "\"tools:%zu\"", n_tools);
    const char *bad[] = {"\"bogus\"", "\"tools:0\"", past_end, "\"tools:99\"", "\"tools:\"", "\"tools:1x\"",
                         "\"tools:-1\"", "5", "{}", "\"\""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(text, sizeof text, "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"tools/list\",\"params\":{\"cursor\":%s}}",
                 bad[i]);
        r = roundtrip(s, NULL, text);
        assert_error(r, RPC_INVALID_PARAMS, "4", "unknown cursor");
        json_decref(r);
    }
    mcp_session_free(s);
    settings_free(cfg);
}

static json_t *call(mcp_session *s, store *st, const char *params) {
    char text[4096];
    snprintf(text, sizeof text, "{\"jsonrpc\":\"2.0\",\"id\":42,\"method\":\"tools/call\",\"params\":%s}", params);
    return roundtrip(s, st, text);
}

/* The text content is the structured content, serialised. */
static void check_call_result(json_t *r, bool is_error) {
    json_t *res = json_object_get(r, "result");
    if (!res) {
        char *d = jx_dump(r);
        fail_msg("not a result: %s", d);
    }
    assert_json_bool(res, "isError", is_error);
    json_t *sc = json_object_get(res, "structuredContent");
    assert_true(json_is_object(sc));
    assert_json_bool(sc, "success", !is_error);
    json_t *content = json_object_get(res, "content");
    assert_int_equal(json_array_size(content), 1);
    json_t *c0 = json_array_get(content, 0);
    assert_json_str(c0, "type", "text");
    json_t *parsed = tu_parse(jx_str(c0, "text"));
    assert_true(json_equal(parsed, sc));
    json_decref(parsed);
}

static void test_tools_call(void **state) {
    mcp_session *s = mcp_session_new(F->cfg, tu_active_mem);
    json_t *r = call(s, F->st, "{\"name\":\"todo_action\",\"arguments\":{\"action\":\"add\",\"title\":\"via mcp\"}}");
    check_call_result(r, false);
    assert_json_int(r, "id", 42);
    assert_json_str(json_object_get(json_object_get(r, "result"), "structuredContent"), "title", "via mcp");
    json_decref(r);

    r = call(s, F->st, "{\"name\":\"todo_action\",\"arguments\":{\"action\":\"complete\",\"todo_id\":999}}");
    check_call_result(r, true);
    assert_json_str(json_object_get(json_object_get(r, "result"), "structuredContent"), "error",
                    "Todo with ID 999 not found");
    json_decref(r);

    /* No arguments, or null: the tool sees {} and explains. */
    r = call(s, F->st, "{\"name\":\"chat_action\"}");
    check_call_result(r, true);
    assert_json_str(json_object_get(json_object_get(r, "result"), "structuredContent"), "error",
                    "Missing required parameter: action");
    json_decref(r);
    r = call(s, F->st, "{\"name\":\"chat_action\",\"arguments\":null}");
    check_call_result(r, true);
    json_decref(r);

    r = call(s, F->st, "{\"name\":\"nope_action\",\"arguments\":{}}");
    assert_error(r, RPC_INVALID_PARAMS, "42", "Unknown tool: nope_action");
    json_decref(r);
    r = call(s, F->st, "{\"arguments\":{}}");
    assert_error(r, RPC_INVALID_PARAMS, "42", "tool name is required");
    json_decref(r);
    r = call(s, F->st, "{\"name\":7}");
    assert_error(r, RPC_INVALID_PARAMS, "42", "tool name is required");
    json_decref(r);
    r = roundtrip(s, F->st, "{\"jsonrpc\":\"2.0\",\"id\":43,\"method\":\"tools/call\"}");
    assert_error(r, RPC_INVALID_PARAMS, "43", "tool name is required");
    json_decref(r);
    r = call(s, F->st, "{\"name\":\"todo_action\",\"arguments\":[\"action\",\"list\"]}");
    assert_error(r, RPC_INVALID_PARAMS, "42", "arguments must be an object");
    json_decref(r);
    r = call(s, F->st, "{\"name\":\"todo_action\",\"arguments\":\"{}\"}");
    assert_error(r, RPC_INVALID_PARAMS, "42", "arguments must be an object");
    json_decref(r);

    /* A long unknown tool name cut inside a character still gets its response. */
    char params[512];
    char *p = params + sprintf(params, "{\"name\":\"t");
    for (int i = 0; i < 80; i++) p += sprintf(p, "\xc3\xa9");
    strcpy(p, "\"}");
    r = call(s, F->st, params);
    assert_error(r, RPC_INVALID_PARAMS, "42", "Unknown tool: t");
    json_decref(r);
    mcp_session_free(s);
}

static void test_cancellation(void **state) {
    mcp_session *s = mcp_session_new(F->cfg, tu_active_mem);
    json_t *reply = NULL;
    const char *req = "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/call\",\"params\":{\"name\":\"todo_action\","
                      "\"arguments\":{\"action\":\"add\",\"title\":\"should not exist\"}}}";
    mcp_msg *m = mcp_parse(req, strlen(req), &reply);
    assert_non_null(m);
    mcp_track(s, m);
    /* Unknown ids and a string "5" do not cancel request 5. */
    assert_null(roundtrip(s, NULL, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":99}}"));
    assert_null(roundtrip(s, NULL, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":\"5\"}}"));
    assert_null(roundtrip(s, NULL, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":null}}"));
    assert_null(roundtrip(s, NULL, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\"}"));
    /* This one does. */
    assert_null(roundtrip(s, NULL, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":"
                                   "{\"requestId\":5,\"reason\":\"user gave up\"}}"));
    assert_null(mcp_handle(s, F->st, m));
    mcp_msg_free(m);
    /* It never ran. */
    bool failed;
    json_t *list = tu_call_ex("todo_action", F->st, F->cfg, "{\"action\":\"list\"}", &failed);
    assert_json_int(list, "total_count", 0);
    json_decref(list);

    /* A request whose cancel named another id still runs. */
    const char *req2 = "{\"jsonrpc\":\"2.0\",\"id\":\"5\",\"method\":\"ping\"}";
    m = mcp_parse(req2, strlen(req2), &reply);
    mcp_track(s, m);
    assert_null(roundtrip(s, NULL, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":5}}"));
    json_t *r = mcp_handle(s, NULL, m);
    assert_non_null(r);
    assert_json_str(r, "id", "5");
    json_decref(r);
    mcp_msg_free(m);

    /* Cancelling after the response went out is harmless (the message is gone). */
    assert_null(roundtrip(s, NULL, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":\"5\"}}"));

    /* initialize cannot be cancelled. */
    const char *init = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\"}}";
    m = mcp_parse(init, strlen(init), &reply);
    mcp_track(s, m);
    assert_null(roundtrip(s, NULL, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":1}}"));
    r = mcp_handle(s, NULL, m);
    assert_non_null(r);
    assert_non_null(json_object_get(r, "result"));
    json_decref(r);
    mcp_msg_free(m);

    /* Two tracked requests, one cancelled: the other still answers. */
    const char *ra = "{\"jsonrpc\":\"2.0\",\"id\":10,\"method\":\"tools/list\"}";
    const char *rb = "{\"jsonrpc\":\"2.0\",\"id\":11,\"method\":\"tools/list\"}";
    mcp_msg *a = mcp_parse(ra, strlen(ra), &reply), *b = mcp_parse(rb, strlen(rb), &reply);
    mcp_track(s, a);
    mcp_track(s, b);
    assert_null(roundtrip(s, NULL, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":10}}"));
    assert_null(mcp_handle(s, F->st, a));
    r = mcp_handle(s, F->st, b);
    assert_json_int(r, "id", 11);
    json_decref(r);
    mcp_msg_free(a);
    mcp_msg_free(b);
    mcp_session_free(s);
}

/* mcp_handle_text writes tools/call responses around one serialization of
 * the result; it must give exactly what dumping the response object gives,
 * escapes and all. */
static void test_text_matches_object(void **state) {
    mcp_session *s = mcp_session_new(F->cfg, tu_active_mem);
    json_t *r = roundtrip(s, F->st, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":"
                                    "\"todo_action\",\"arguments\":{\"action\":\"add\",\"title\":\"q\\\"uote \\\\ back\\nnew"
                                    "\\ttab \\u0001 ctrl \\u001f unit \\u00e9 \\u2713 / end\"}}}");
    assert_false(json_is_true(json_object_get(json_object_get(r, "result"), "isError")));
    json_decref(r);
    const char *calls[] = {
        "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"todo_action\",\"arguments\":"
        "{\"action\":\"list\"}}}",
        "{\"jsonrpc\":\"2.0\",\"id\":\"str\\\"id\",\"method\":\"tools/call\",\"params\":{\"name\":\"todo_action\","
        "\"arguments\":{\"action\":\"nope\"}}}",
        "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"tools/list\"}",
        "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/call\",\"params\":{\"name\":\"no_such_tool\"}}",
    };
    for (size_t i = 0; i < sizeof calls / sizeof *calls; i++) {
        json_t *reply = NULL;
        mcp_msg *a = mcp_parse(calls[i], strlen(calls[i]), &reply), *b = mcp_parse(calls[i], strlen(calls[i]), &reply);
        assert_non_null(a);
        assert_non_null(b);
        json_t *obj = mcp_handle(s, F->st, a);
        char *want = jx_dump(obj), *got = mcp_handle_text(s, F->st, b, NULL);
        assert_non_null(got);
        assert_string_equal(got, want);
        if (i == 0) assert_contains(got, "q\\\\\\\"uote \\\\\\\\ back\\\\nnew\\\\ttab \\\\u0001 ctrl");
        free(want);
        free(got);
        json_decref(obj);
        mcp_msg_free(a);
        mcp_msg_free(b);
    }
    /* A cancelled call gets no text either. */
    json_t *reply = NULL;
    mcp_msg *m = mcp_parse(calls[0], strlen(calls[0]), &reply);
    mcp_track(s, m);
    assert_null(roundtrip(s, NULL, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":2}}"));
    assert_null(mcp_handle_text(s, F->st, m, NULL));
    mcp_msg_free(m);
    mcp_session_free(s);
}

/* ---- requests to the client ------------------------------------------------------ */

/* A sink that keeps what the call sends, for another thread to wait on. */
typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    json_t *sent[8];
    size_t n;
} capture;

static void capture_send(void *arg, json_t *msg) {
    capture *c = arg;
    pthread_mutex_lock(&c->lock);
    if (c->n < 8) c->sent[c->n++] = msg;
    else json_decref(msg);
    pthread_cond_broadcast(&c->cond);
    pthread_mutex_unlock(&c->lock);
}

/* Waits (10 s at most) until the call has sent n messages; returns the nth. */
static json_t *capture_wait(capture *c, size_t n) {
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 10;
    pthread_mutex_lock(&c->lock);
    while (c->n < n)
        if (pthread_cond_timedwait(&c->cond, &c->lock, &until) != 0) break;
    json_t *m = c->n >= n ? c->sent[n - 1] : NULL;
    pthread_mutex_unlock(&c->lock);
    if (!m) fail_msg("the call sent %zu messages, expected %zu", c->n, n);
    return m;
}

static void capture_clear(capture *c) {
    for (size_t i = 0; i < c->n; i++) json_decref(c->sent[i]);
    c->n = 0;
}

typedef struct {
    mcp_session *s;
    mcp_msg *m;
    mcp_sink sink;
    json_t *resp;
    pthread_t thread;
} bg_call;

static void *bg_main(void *arg) {
    bg_call *b = arg;
    b->resp = mcp_handle_sink(b->s, NULL, b->m, &b->sink);
    return NULL;
}

/* Starts a fixture tools/call on its own thread, as a transport would. */
static void bg_start(bg_call *b, mcp_session *s, capture *c, const char *request) {
    json_t *reply = NULL;
    memset(b, 0, sizeof *b);
    b->s = s;
    b->m = mcp_parse(request, strlen(request), &reply);
    assert_non_null(b->m);
    b->sink = (mcp_sink){capture_send, c};
    mcp_track(s, b->m);
    assert_int_equal(pthread_create(&b->thread, NULL, bg_main, b), 0);
}

static json_t *bg_join(bg_call *b) {
    pthread_join(b->thread, NULL);
    mcp_msg_free(b->m);
    return b->resp;
}

/* The text of a tool result's first content block. */
static const char *result_text(json_t *resp) {
    return jx_str(json_array_get(json_object_get(json_object_get(resp, "result"), "content"), 0), "text");
}

static void test_client_requests(void **state) {
    tu_env_set("LTMC_CONFORMANCE_FIXTURES", "true");
    settings *cfg = tu_settings_ex(NULL, NULL, 0, NULL);
    mcp_session *s = mcp_session_new(cfg, NULL);
    capture c = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, {0}, 0};
    json_t *r = roundtrip(s, NULL, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{"
                                   "\"protocolVersion\":\"2025-11-25\",\"capabilities\":{\"sampling\":{}}}}");
    assert_non_null(json_object_get(r, "result"));
    json_decref(r);
    assert_true(mcp_client_can(s, "sampling"));
    assert_false(mcp_client_can(s, "elicitation"));

    /* Undeclared capability: a clear error, and nothing sent. */
    bg_call b;
    bg_start(&b, s, &c, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":"
                        "\"test_elicitation\",\"arguments\":{\"message\":\"hi\"}}}");
    r = bg_join(&b);
    assert_true(json_is_true(json_object_get(json_object_get(r, "result"), "isError")));
    assert_contains(result_text(r), "did not declare the elicitation capability");
    assert_int_equal(c.n, 0);
    json_decref(r);

    /* No sink (a transport that cannot send before the response). */
    r = roundtrip(s, NULL, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":{\"name\":"
                           "\"test_sampling\",\"arguments\":{\"prompt\":\"p\"}}}");
    assert_contains(result_text(r), "no stream to the client");
    json_decref(r);

    /* The request goes out; strangers' answers are ignored; ours completes the call. */
    bg_start(&b, s, &c, "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"tools/call\",\"params\":{\"name\":"
                        "\"test_sampling\",\"arguments\":{\"prompt\":\"say hi\"}}}");
    json_t *req = capture_wait(&c, 1);
    assert_json_str(req, "method", "sampling/createMessage");
    assert_json_str(json_object_get(json_array_get(json_object_get(json_object_get(req, "params"), "messages"), 0),
                                    "content"),
                    "text", "say hi");
    json_int_t id = json_integer_value(json_object_get(req, "id"));
    char answer[256];
    snprintf(answer, sizeof answer, "{\"jsonrpc\":\"2.0\",\"id\":%lld,\"result\":{\"role\":\"assistant\",\"content\":"
             "{\"type\":\"text\",\"text\":\"hi there\"},\"model\":\"m\"}}", (long long)id + 100);
    assert_null(roundtrip(s, NULL, answer));
    snprintf(answer, sizeof answer, "{\"jsonrpc\":\"2.0\",\"id\":%lld,\"result\":{\"role\":\"assistant\",\"content\":"
             "{\"type\":\"text\",\"text\":\"hi there\"},\"model\":\"m\"}}", (long long)id);
    assert_null(roundtrip(s, NULL, answer));
    r = bg_join(&b);
    assert_json_int(r, "id", 4);
    assert_string_equal(result_text(r), "LLM response: hi there");
    json_decref(r);
    capture_clear(&c);

    /* The client answers with an error. */
    bg_start(&b, s, &c, "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/call\",\"params\":{\"name\":"
                        "\"test_sampling\",\"arguments\":{\"prompt\":\"p\"}}}");
    id = json_integer_value(json_object_get(capture_wait(&c, 1), "id"));
    snprintf(answer, sizeof answer, "{\"jsonrpc\":\"2.0\",\"id\":%lld,\"error\":{\"code\":-1,\"message\":\"user said no\"}}",
             (long long)id);
    assert_null(roundtrip(s, NULL, answer));
    r = bg_join(&b);
    assert_contains(result_text(r), "the client refused sampling/createMessage: user said no");
    json_decref(r);
    capture_clear(&c);

    /* The client cancels the call while it waits: no response, and our
     * request to it is cancelled in turn. */
    bg_start(&b, s, &c, "{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"tools/call\",\"params\":{\"name\":"
                        "\"test_sampling\",\"arguments\":{\"prompt\":\"p\"}}}");
    id = json_integer_value(json_object_get(capture_wait(&c, 1), "id"));
    assert_null(roundtrip(s, NULL, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":6}}"));
    assert_null(bg_join(&b));
    json_t *note = capture_wait(&c, 2);
    assert_json_str(note, "method", "notifications/cancelled");
    assert_json_int(json_object_get(note, "params"), "requestId", id);
    capture_clear(&c);

    /* No answer in time: the call fails, our request is cancelled, and the
     * answer that comes after is ignored. */
    bg_start(&b, s, &c, "{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"tools/call\",\"params\":{\"name\":"
                        "\"test_sampling\",\"arguments\":{\"prompt\":\"p\",\"timeout_ms\":50}}}");
    r = bg_join(&b);
    assert_contains(result_text(r), "sampling/createMessage to the client: timed out waiting for its answer");
    json_decref(r);
    id = json_integer_value(json_object_get(capture_wait(&c, 1), "id"));
    note = capture_wait(&c, 2);
    assert_json_str(note, "method", "notifications/cancelled");
    assert_json_int(json_object_get(note, "params"), "requestId", id);
    snprintf(answer, sizeof answer, "{\"jsonrpc\":\"2.0\",\"id\":%lld,\"result\":{}}", (long long)id);
    assert_null(roundtrip(s, NULL, answer));
    capture_clear(&c);
    r = roundtrip(s, NULL, "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"tools/call\",\"params\":{\"name\":"
                           "\"test_sampling\",\"arguments\":{\"prompt\":\"p\",\"timeout_ms\":0}}}");
    assert_error(r, RPC_INVALID_PARAMS, "9", "timeout_ms");
    json_decref(r);

    /* The session ends while a call waits. */
    bg_start(&b, s, &c, "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\",\"params\":{\"name\":"
                        "\"test_sampling\",\"arguments\":{\"prompt\":\"p\"}}}");
    capture_wait(&c, 1);
    mcp_session_abort(s);
    r = bg_join(&b);
    assert_contains(result_text(r), "the session ended");
    json_decref(r);
    capture_clear(&c);
    mcp_session_free(s);
    settings_free(cfg);
    (void)state;
}

int main(void) {
    tu_quiet();
#define T(fn) cmocka_unit_test_setup_teardown(fn, tu_fixture_setup, tu_fixture_teardown)
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_parse_oversized_number_keeps_id),
        cmocka_unit_test(test_parse_responses_ignored),
        cmocka_unit_test(test_parse_messages),
        cmocka_unit_test(test_error_response_builder),
        T(test_initialize),
        T(test_ping_notifications_unknown_method),
        T(test_tools_list_paging),
        T(test_tools_call),
        T(test_cancellation),
        T(test_text_matches_object),
        T(test_client_requests),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
