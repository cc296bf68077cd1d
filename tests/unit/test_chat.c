/* Unit tests for chat_action: every action through tool_call on a temp store. */
#include "testutil.h"

#include <time.h>

#define F ((tu_fixture *)*state)
#define OK(args) tu_ok("chat_action", F->st, F->cfg, (args))
#define ERR(args, needle) assert_call_error("chat_action", F->st, F->cfg, (args), (needle))

static void nap(void) {
    struct timespec ts = {0, 2000000};
    nanosleep(&ts, NULL);
}

/* Logs one message (a little apart in time, so orders are deterministic). */
static int64_t say(void **state, const char *conv, const char *role, const char *content, const char *extra) {
    char args[1024];
    snprintf(args, sizeof args, "{\"action\":\"log\",\"conversation_id\":\"%s\",\"role\":\"%s\",\"content\":\"%s\"%s%s}",
             conv, role, content, extra ? "," : "", extra ? extra : "");
    json_t *r = OK(args);
    int64_t id = jx_int(r, "chat_id", -1);
    assert_true(id > 0);
    json_decref(r);
    nap();
    return id;
}

static void test_log_result(void **state) {
    json_t *r = OK("{\"action\":\"log\",\"conversation_id\":\"conv-1\",\"role\":\"USER\",\"content\":\"hello\","
                   "\"agent_name\":\"claude\",\"source_tool\":\"claude-code\"}");
    assert_string_equal(json_object_iter_key(json_object_iter(r)), "success");
    assert_true(jx_int(r, "chat_id", 0) > 0);
    assert_json_str(r, "conversation_id", "conv-1");
    assert_json_str(r, "role", "user");
    const char *at = jx_str(r, "created_at");
    assert_true(at && strlen(at) == 24 && at[23] == 'Z');
    assert_json_str(r, "project", "default");
    assert_json_str(r, "message", "Chat message logged");
    json_decref(r);
    ERR("{\"action\":\"log\",\"role\":\"user\",\"content\":\"x\"}", "Missing required parameter: conversation_id");
    ERR("{\"action\":\"log\",\"conversation_id\":\"c\",\"content\":\"x\"}", "Missing required parameter: role");
    ERR("{\"action\":\"log\",\"conversation_id\":\"c\",\"role\":\"user\"}", "Missing required parameter: content");
    ERR("{\"action\":\"log\",\"conversation_id\":\"c\",\"role\":\"user\",\"content\":\"   \"}",
        "Parameter 'content' must not be empty");
    ERR("{\"action\":\"log\",\"conversation_id\":\"c\",\"role\":\"narrator\",\"content\":\"x\"}",
        "expected one of: user, assistant, system, tool");
}

static void test_metadata_round_trip(void **state) {
    const char *meta = "{\"n\":1,\"r\":2.5,\"s\":\"caf\\u00e9\",\"b\":true,\"z\":null,\"a\":[1,\"two\",{\"x\":[]}],"
                       "\"o\":{\"deep\":{\"er\":\"\\ud83d\\ude00\"}}}";
    char extra[512];
    snprintf(extra, sizeof extra, "\"metadata\":%s", meta);
    say(state, "m", "assistant", "with metadata", extra);
    say(state, "m", "user", "without metadata", NULL);
    say(state, "m", "user", "empty metadata", "\"metadata\":{}");
    json_t *r = OK("{\"action\":\"get_conversation\",\"conversation_id\":\"m\"}");
    json_t *msgs = json_object_get(r, "messages");
    assert_int_equal(json_array_size(msgs), 3);
    json_t *want = tu_parse(meta);
    json_t *got = json_object_get(json_array_get(msgs, 0), "metadata");
    if (!json_equal(got, want)) {
        char *g = jx_dump(got);
        fail_msg("metadata came back as %s", g);
    }
    json_decref(want);
    /* Absent metadata reads back as an empty object. */
    assert_true(json_is_object(json_object_get(json_array_get(msgs, 1), "metadata")));
    assert_int_equal(json_object_size(json_object_get(json_array_get(msgs, 1), "metadata")), 0);
    assert_true(json_is_object(json_object_get(json_array_get(msgs, 2), "metadata")));
    json_decref(r);
}

/* A NUL inside a metadata string is legal JSON and must survive too. */
static void test_metadata_with_nul_round_trip(void **state) {
    say(state, "nul", "user", "x", "\"metadata\":{\"k\":\"a\\u0000b\"}");
    json_t *r = OK("{\"action\":\"get_conversation\",\"conversation_id\":\"nul\"}");
    json_t *m = json_object_get(json_array_get(json_object_get(r, "messages"), 0), "metadata");
    if (!json_is_object(m)) {
        char *d = jx_dump(m);
        fail_msg("metadata with a NUL came back as %s, not an object", d);
    }
    assert_int_equal(json_string_length(json_object_get(m, "k")), 3);
    json_decref(r);
}

static void test_metadata_too_large(void **state) {
    size_t n = 300 * 1024;
    char *args = malloc(n + 200);
    char *p = args + sprintf(args, "{\"action\":\"log\",\"conversation_id\":\"big\",\"role\":\"user\",\"content\":\"x\","
                                   "\"metadata\":{\"blob\":\"");
    memset(p, 'x', n);
    p += n;
    strcpy(p, "\"}}");
    json_t *r = tu_fail("chat_action", F->st, F->cfg, args);
    assert_contains(jx_str(r, "error"), "Parameter 'metadata' is too large");
    assert_contains(jx_str(r, "error"), "limit 262144");
    json_decref(r);
    free(args);
    r = OK("{\"action\":\"get_conversation\",\"conversation_id\":\"big\"}");
    assert_json_int(r, "total_count", 0); /* nothing half-written */
    json_decref(r);
}

static void test_get_conversation_order_and_paging(void **state) {
    int64_t ids[7];
    for (int i = 0; i < 7; i++) {
        char content[32];
        snprintf(content, sizeof content, "message %d", i);
        ids[i] = say(state, "paged", i % 2 ? "assistant" : "user", content, NULL);
    }
    say(state, "other-conv", "user", "elsewhere", NULL);
    json_t *r = OK("{\"action\":\"get_conversation\",\"conversation_id\":\"paged\"}");
    assert_json_str(r, "conversation_id", "paged");
    assert_json_int(r, "total_found", 7);
    assert_json_int(r, "total_count", 7);
    assert_json_int(r, "limit_applied", 50);
    assert_json_int(r, "offset", 0);
    assert_json_bool(r, "has_more", false);
    json_t *msgs = json_object_get(r, "messages");
    for (int i = 0; i < 7; i++) {
        json_t *m = json_array_get(msgs, (size_t)i);
        assert_json_int(m, "chat_id", ids[i]); /* oldest first */
        char content[32];
        snprintf(content, sizeof content, "message %d", i);
        assert_json_str(m, "content", content);
        assert_json_str(m, "conversation_id", "paged");
        assert_json_str(m, "role", i % 2 ? "assistant" : "user");
        assert_true(json_is_null(json_object_get(m, "agent_name")));
        assert_true(json_is_null(json_object_get(m, "source_tool")));
        assert_non_null(jx_str(m, "created_at"));
    }
    json_decref(r);
    r = OK("{\"action\":\"get_conversation\",\"conversation_id\":\"paged\",\"limit\":3,\"offset\":3}");
    assert_json_int(r, "total_found", 3);
    assert_json_int(r, "total_count", 7);
    assert_json_bool(r, "has_more", true);
    assert_json_int(json_array_get(json_object_get(r, "messages"), 0), "chat_id", ids[3]);
    json_decref(r);
    r = OK("{\"action\":\"get_conversation\",\"conversation_id\":\"paged\",\"limit\":3,\"offset\":6}");
    assert_json_int(r, "total_found", 1);
    assert_json_bool(r, "has_more", false);
    json_decref(r);
    /* Unknown conversation: success, nothing in it. */
    r = OK("{\"action\":\"get_conversation\",\"conversation_id\":\"never\"}");
    assert_json_int(r, "total_count", 0);
    assert_int_equal(json_array_size(json_object_get(r, "messages")), 0);
    assert_json_bool(r, "has_more", false);
    json_decref(r);
}

static void test_get_by_tool(void **state) {
    int64_t a = say(state, "c1", "user", "one", "\"source_tool\":\"cursor\"");
    say(state, "c2", "user", "two", "\"source_tool\":\"claude-code\"");
    int64_t c = say(state, "c3", "assistant", "three", "\"source_tool\":\"cursor\",\"agent_name\":\"bot\"");
    say(state, "c4", "user", "other project", "\"source_tool\":\"cursor\",\"project\":\"elsewhere\"");
    json_t *r = OK("{\"action\":\"get_by_tool\",\"source_tool\":\"cursor\"}");
    assert_json_str(r, "source_tool", "cursor");
    assert_json_int(r, "total_found", 2);
    assert_json_int(r, "limit_applied", 10);
    assert_json_int(r, "offset", 0);
    json_t *chats = json_object_get(r, "chats");
    assert_json_int(json_array_get(chats, 0), "chat_id", c); /* newest first */
    assert_json_int(json_array_get(chats, 1), "chat_id", a);
    assert_json_str(json_array_get(chats, 0), "agent_name", "bot");
    assert_json_str(json_array_get(chats, 0), "source_tool", "cursor");
    json_decref(r);
    r = OK("{\"action\":\"get_by_tool\",\"source_tool\":\"cursor\",\"limit\":1,\"offset\":1}");
    assert_json_int(r, "total_found", 1);
    assert_json_int(json_array_get(json_object_get(r, "chats"), 0), "chat_id", a);
    json_decref(r);
    r = OK("{\"action\":\"get_by_tool\",\"source_tool\":\"CURSOR\"}"); /* exact match */
    assert_json_int(r, "total_found", 0);
    json_decref(r);
    r = OK("{\"action\":\"get_by_tool\",\"source_tool\":\"cursor\",\"project\":\"elsewhere\"}");
    assert_json_int(r, "total_found", 1);
    assert_json_str(json_array_get(json_object_get(r, "chats"), 0), "content", "other project");
    json_decref(r);
    ERR("{\"action\":\"get_by_tool\"}", "Missing required parameter: source_tool");
}

static void test_get_tool_conversations_grouping(void **state) {
    /* A: three messages, one of them from the tool. */
    say(state, "A", "user", "a1", NULL);
    say(state, "A", "assistant", "a2", "\"source_tool\":\"claude-code\",\"agent_name\":\"first-agent\"");
    say(state, "A", "user", "a3", "\"agent_name\":\"later-agent\"");
    /* B: matched through agent_name containing the tool name (any case). */
    say(state, "B", "user", "b1", "\"agent_name\":\"My-Claude-Code-Helper\"");
    say(state, "B", "assistant", "b2", NULL);
    /* C: another tool only. D: the tool, but another project. */
    say(state, "C", "user", "c1", "\"source_tool\":\"cursor\"");
    say(state, "D", "user", "d1", "\"source_tool\":\"claude-code\",\"project\":\"other\"");
    /* A's last message comes after B's: A is listed first. */
    say(state, "A", "user", "a4", NULL);

    json_t *r = OK("{\"action\":\"get_tool_conversations\",\"tool_name\":\"claude-code\"}");
    assert_json_str(r, "tool_name", "claude-code");
    assert_json_int(r, "total_found", 2);
    assert_json_int(r, "limit_applied", 10);
    json_t *convs = json_object_get(r, "conversations");
    assert_int_equal(json_array_size(convs), 2);
    json_t *a = json_array_get(convs, 0), *b = json_array_get(convs, 1);
    assert_json_str(a, "conversation_id", "A");
    assert_json_int(a, "message_count", 4); /* every message of the conversation */
    assert_json_str(a, "agent_name", "later-agent"); /* the most recent agent */
    assert_json_str(a, "tool_name", "claude-code");
    assert_true(strcmp(jx_str(a, "first_message"), jx_str(a, "last_message")) < 0);
    assert_json_str(b, "conversation_id", "B");
    assert_json_int(b, "message_count", 2);
    assert_json_str(b, "agent_name", "My-Claude-Code-Helper");
    assert_true(strcmp(jx_str(a, "last_message"), jx_str(b, "last_message")) > 0);
    json_decref(r);

    r = OK("{\"action\":\"get_tool_conversations\",\"tool_name\":\"claude-code\",\"limit\":1}");
    assert_json_int(r, "total_found", 1);
    assert_json_str(json_array_get(json_object_get(r, "conversations"), 0), "conversation_id", "A");
    json_decref(r);
    r = OK("{\"action\":\"get_tool_conversations\",\"tool_name\":\"claude-code\",\"project\":\"other\"}");
    assert_json_int(r, "total_found", 1);
    assert_json_str(json_array_get(json_object_get(r, "conversations"), 0), "conversation_id", "D");
    json_decref(r);
    r = OK("{\"action\":\"get_tool_conversations\",\"tool_name\":\"nobody\"}");
    assert_json_int(r, "total_found", 0);
    json_decref(r);
    ERR("{\"action\":\"get_tool_conversations\"}", "Missing required parameter: tool_name");
    ERR("{\"action\":\"get_tool_conversations\",\"tool_name\":\"x\",\"offset\":1}", "Unknown parameter");
}

static void test_project_isolation(void **state) {
    say(state, "shared-id", "user", "in default", NULL);
    say(state, "shared-id", "user", "in secret", "\"project\":\"secret\"");
    json_t *r = OK("{\"action\":\"get_conversation\",\"conversation_id\":\"shared-id\"}");
    assert_json_int(r, "total_count", 1);
    assert_json_str(json_array_get(json_object_get(r, "messages"), 0), "content", "in default");
    json_decref(r);
    r = OK("{\"action\":\"get_conversation\",\"conversation_id\":\"shared-id\",\"project\":\"secret\"}");
    assert_json_int(r, "total_count", 1);
    assert_json_str(json_array_get(json_object_get(r, "messages"), 0), "content", "in secret");
    json_decref(r);
}

int main(void) {
    tu_quiet();
#define T(fn) cmocka_unit_test_setup_teardown(fn, tu_fixture_setup, tu_fixture_teardown)
    const struct CMUnitTest tests[] = {
        T(test_log_result),
        T(test_metadata_round_trip),
        T(test_metadata_with_nul_round_trip),
        T(test_metadata_too_large),
        T(test_get_conversation_order_and_paging),
        T(test_get_by_tool),
        T(test_get_tool_conversations_grouping),
        T(test_project_isolation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
