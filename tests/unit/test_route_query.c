/* Unit tests for chat_action route_query: memories and chat history searched
 * together, merged by score, filtered by source type, per project; and chat
 * messages (logged now or before the semantic-memory migration) findable. */
#include "testutil.h"

#include <sqlite3.h>

#define F ((tu_fixture *)*state)
#define CHAT(args) tu_ok("chat_action", F->st, F->cfg, (args))
#define CHAT_ERR(args, needle) assert_call_error("chat_action", F->st, F->cfg, (args), (needle))

static int64_t say(void **state, const char *conv, const char *content, const char *project) {
    json_t *a = json_pack("{s:s, s:s, s:s, s:s}", "action", "log", "conversation_id", conv, "role", "user", "content",
                          content);
    if (project) json_object_set_new(a, "project", json_string(project));
    char *text = jx_dump(a);
    json_decref(a);
    json_t *r = CHAT(text);
    free(text);
    int64_t id = jx_int(r, "chat_id", 0);
    assert_true(id > 0);
    json_decref(r);
    return id;
}

static int64_t remember(void **state, const char *name, const char *content, const char *type, const char *project) {
    json_t *a = json_pack("{s:s, s:s, s:s, s:s}", "action", "store", "file_name", name, "content", content,
                          "resource_type", type);
    if (project) json_object_set_new(a, "project", json_string(project));
    char *text = jx_dump(a);
    json_decref(a);
    json_t *r = tu_ok("memory_action", F->st, F->cfg, text);
    free(text);
    int64_t id = jx_int(r, "doc_id", 0);
    assert_true(id > 0);
    json_decref(r);
    return id;
}

static json_t *route(void **state, const char *extra) {
    char args[1024];
    snprintf(args, sizeof args, "{\"action\":\"route_query\",%s}", extra);
    return CHAT(args);
}

static json_t *chunks_of(json_t *r) { return json_object_get(r, "routed_chunks"); }

/* The routed item of source_type with id, or NULL. */
static json_t *find_item(json_t *r, const char *source_type, int64_t id) {
    size_t i;
    json_t *c;
    json_array_foreach(chunks_of(r), i, c) {
        if (strcmp(jx_str(c, "source_type"), source_type) == 0 && jx_int(c, "id", 0) == id) return c;
    }
    return NULL;
}

/* Merged best first, ranked 1..n, within top_k, each item well formed. */
static void check_merged(json_t *r, size_t top_k) {
    json_t *items = chunks_of(r);
    assert_true(json_is_array(items));
    assert_true(json_array_size(items) <= top_k);
    assert_int_equal(jx_int(r, "total_found", -1), (int64_t)json_array_size(items));
    double prev = 2;
    size_t i;
    json_t *c;
    json_array_foreach(items, i, c) {
        double s = jx_real(c, "score");
        assert_true(s >= 0 && s <= 1);
        if (s > prev + 1e-9) fail_msg("routed_chunks not sorted by score: %f after %f", s, prev);
        prev = s;
        assert_int_equal(jx_int(c, "rank", 0), (int64_t)i + 1);
        const char *type = jx_str(c, "source_type");
        assert_non_null(type);
        assert_true(strcmp(type, "memory") == 0 || strcmp(type, "chat") == 0);
        assert_true(jx_int(c, "id", 0) > 0);
        assert_non_null(jx_str(c, "content"));
        assert_non_null(jx_str(c, "created_at"));
        if (strcmp(type, "chat") == 0) assert_non_null(jx_str(c, "role"));
        else assert_non_null(jx_str(c, "resource_type"));
    }
}

static void test_merges_memory_and_chat(void **state) {
    int64_t m1 = remember(state, "deploy.md", "Deploys run from the release branch every Friday.", "document", NULL);
    int64_t m2 = remember(state, "cake.md", "The birthday cake needs three eggs.", "note", NULL);
    int64_t c1 = say(state, "conv-1", "Should we deploy the release branch on Friday?", NULL);
    int64_t c2 = say(state, "conv-1", "Lunch is at noon.", NULL);
    json_t *r = route(state, "\"query\":\"release branch deploy Friday\",\"top_k\":10");
    check_merged(r, 10);
    assert_json_str(r, "routing_strategy", "general_search");
    json_t *searched = json_object_get(r, "source_types_searched");
    assert_int_equal(json_array_size(searched), 2);
    assert_string_equal(json_string_value(json_array_get(searched, 0)), "memory");
    assert_string_equal(json_string_value(json_array_get(searched, 1)), "chat");
    assert_json_str(r, "query", "release branch deploy Friday");
    /* Both the memory and the message that share the words are there, and
     * they lead; a message without the words is not (chat is found by words). */
    json_t *mi = find_item(r, "memory", m1), *ci = find_item(r, "chat", c1);
    assert_non_null(mi);
    assert_non_null(ci);
    assert_null(find_item(r, "chat", c2));
    assert_true(jx_int(mi, "rank", 99) <= 2 && jx_int(ci, "rank", 99) <= 2);
    assert_json_str(mi, "file_name", "deploy.md");
    assert_json_str(mi, "resource_type", "document");
    assert_json_str(ci, "conversation_id", "conv-1");
    assert_json_str(ci, "role", "user");
    assert_json_str(ci, "content", "Should we deploy the release branch on Friday?");
    /* The unrelated memory, if present, ranks below both. */
    json_t *m2i = find_item(r, "memory", m2);
    if (m2i) assert_true(jx_real(m2i, "score") <= jx_real(mi, "score"));
    assert_true(jx_int(r, "tokens_used", 0) > 0);
    json_decref(r);

    /* top_k bounds the merged list. */
    for (int i = 0; i < 6; i++) {
        char text[64];
        snprintf(text, sizeof text, "release note number %d", i);
        say(state, "conv-2", text, NULL);
    }
    r = route(state, "\"query\":\"release\",\"top_k\":3");
    check_merged(r, 3);
    assert_int_equal(json_array_size(chunks_of(r)), 3);
    json_decref(r);
}

static void test_source_types(void **state) {
    int64_t doc = remember(state, "guide.md", "The espresso machine needs descaling monthly.", "document", NULL);
    int64_t code = remember(state, "brew.py", "def descale_espresso_machine(): pass", "code", NULL);
    int64_t chat = say(state, "kitchen", "Who descaled the espresso machine?", NULL);

    json_t *r = route(state, "\"query\":\"espresso machine descaling\",\"source_types\":[\"chat\"]");
    check_merged(r, 5);
    assert_json_str(r, "routing_strategy", "filtered_by_type");
    assert_int_equal(json_array_size(chunks_of(r)), 1);
    assert_non_null(find_item(r, "chat", chat));
    json_decref(r);

    r = route(state, "\"query\":\"espresso machine descaling\",\"source_types\":[\"code\"]");
    check_merged(r, 5);
    assert_int_equal(json_array_size(chunks_of(r)), 1);
    assert_non_null(find_item(r, "memory", code));
    assert_json_str(json_array_get(chunks_of(r), 0), "resource_type", "code");
    json_decref(r);

    r = route(state, "\"query\":\"espresso machine descaling\",\"source_types\":[\"document\",\"chat\"],\"top_k\":10");
    check_merged(r, 10);
    assert_int_equal(json_array_size(chunks_of(r)), 2);
    assert_non_null(find_item(r, "memory", doc));
    assert_non_null(find_item(r, "chat", chat));
    assert_null(find_item(r, "memory", code));
    json_t *searched = json_object_get(r, "source_types_searched");
    assert_int_equal(json_array_size(searched), 2);
    assert_string_equal(json_string_value(json_array_get(searched, 0)), "document");
    json_decref(r);

    /* A comma-separated string works too. */
    r = route(state, "\"query\":\"espresso machine descaling\",\"source_types\":\"code, chat\",\"top_k\":10");
    assert_int_equal(json_array_size(chunks_of(r)), 2);
    assert_non_null(find_item(r, "memory", code));
    assert_non_null(find_item(r, "chat", chat));
    json_decref(r);

    /* A type nobody has: nothing. */
    r = route(state, "\"query\":\"espresso\",\"source_types\":[\"poem\"]");
    assert_int_equal(json_array_size(chunks_of(r)), 0);
    json_decref(r);

    /* Without types every memory type and the chat are searched. */
    r = route(state, "\"query\":\"espresso machine descaling\",\"top_k\":10");
    assert_non_null(find_item(r, "memory", doc));
    assert_non_null(find_item(r, "memory", code));
    assert_non_null(find_item(r, "chat", chat));
    json_decref(r);
    CHAT_ERR("{\"action\":\"route_query\"}", "Missing required parameter: query");
    CHAT_ERR("{\"action\":\"route_query\",\"query\":\"x\",\"top_k\":0}", "Invalid value for parameter 'top_k'");
}

static void test_token_budget(void **state) {
    char text[1200];
    memset(text, 0, sizeof text);
    for (int i = 0; i < 100; i++) strcat(text, "budget ");
    say(state, "b", text, NULL);
    say(state, "b", text + 7, NULL);
    json_t *r = route(state, "\"query\":\"budget\",\"max_tokens\":200");
    json_t *items = chunks_of(r);
    assert_int_equal(json_array_size(items), 2);
    assert_null(json_object_get(json_array_get(items, 0), "truncated"));
    assert_json_bool(json_array_get(items, 1), "truncated", true);
    assert_contains(jx_str(json_array_get(items, 1), "content"), "...[truncated]");
    assert_json_int(r, "tokens_used", 200);
    json_decref(r);
}

static void test_logged_chat_findable(void **state) {
    int64_t id = say(state, "c", "My favourite getUserName helper lives in utils.js", NULL);
    /* By a word, by identifier parts, by the whole identifier, stemmed. */
    const char *queries[] = {"favourite", "user name", "getUserName", "helpers", "UTILS"};
    for (size_t i = 0; i < 5; i++) {
        char extra[128];
        snprintf(extra, sizeof extra, "\"query\":\"%s\",\"source_types\":[\"chat\"]", queries[i]);
        json_t *r = route(state, extra);
        if (!find_item(r, "chat", id)) fail_msg("query '%s' did not find the logged message", queries[i]);
        json_decref(r);
    }
    /* Words it does not contain find nothing. */
    json_t *r = route(state, "\"query\":\"spreadsheet\",\"source_types\":[\"chat\"]");
    assert_int_equal(json_array_size(chunks_of(r)), 0);
    json_decref(r);
}

static void test_project_isolation(void **state) {
    int64_t ma = remember(state, "a", "Project A uses the zircon codename.", "document", "A");
    int64_t ca = say(state, "c", "zircon codename is confidential", "A");
    remember(state, "b", "Project B has its own plans.", "document", "B");
    json_t *r = route(state, "\"query\":\"zircon codename\",\"project\":\"B\",\"top_k\":10");
    assert_null(find_item(r, "memory", ma));
    assert_null(find_item(r, "chat", ca));
    size_t i;
    json_t *c;
    json_array_foreach(chunks_of(r), i, c) assert_not_contains(jx_str(c, "content"), "zircon");
    json_decref(r);
    r = route(state, "\"query\":\"zircon codename\",\"project\":\"A\",\"top_k\":10");
    assert_non_null(find_item(r, "memory", ma));
    assert_non_null(find_item(r, "chat", ca));
    json_decref(r);
    r = route(state, "\"query\":\"zircon codename\",\"top_k\":10"); /* the default project */
    assert_int_equal(json_array_size(chunks_of(r)), 0);
    json_decref(r);
}

/* A database with chat history from before migration 2: its messages are
 * indexed by the migration and found by route_query. */
static void test_messages_from_before_migration(void **state) {
    char *path = tu_path(F->dir, "old.db");
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    size_t n;
    const schema_migration *ms = schema_migrations(&n);
    assert_true(n >= 2);
    char *msg = NULL;
    const char *setup =
        "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL);"
        "INSERT INTO schema_migrations VALUES (1, 'todos and chat messages', '2025-01-01T00:00:00.000Z');";
    if (sqlite3_exec(db, ms[0].sql, NULL, NULL, &msg) != SQLITE_OK) fail_msg("migration 1: %s", msg);
    if (sqlite3_exec(db, setup, NULL, NULL, &msg) != SQLITE_OK) fail_msg("setup: %s", msg);
    if (sqlite3_exec(db,
                     "INSERT INTO chat_messages(project, conversation_id, role, content, created_at) VALUES"
                     " ('default', 'old', 'user', 'The quarterly budget review is on Monday', '2025-01-02T00:00:00.000Z'),"
                     " ('other', 'old', 'user', 'The quarterly budget of the other project', '2025-01-02T00:00:00.000Z'),"
                     " ('default', 'old', 'assistant', 'Noted, I will prepare the slides', '2025-01-02T00:00:01.000Z')",
                     NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("insert: %s", msg);
    sqlite3_close(db);

    store *old = tu_store_open(path); /* applies migration 2 and later */
    assert_int_equal(store_schema_version(old), store_latest_schema_version());
    /* A fresh engine: the fixture's index belongs to the fixture's database. */
    memory_engine *mem = tu_memory_new();
    memory_engine *saved = tu_active_mem;
    tu_active_mem = mem;
    json_t *r = tu_ok("chat_action", old, F->cfg, "{\"action\":\"route_query\",\"query\":\"quarterly budget\"}");
    assert_int_equal(json_array_size(chunks_of(r)), 1);
    json_t *item = json_array_get(chunks_of(r), 0);
    assert_json_str(item, "source_type", "chat");
    assert_json_str(item, "content", "The quarterly budget review is on Monday");
    json_decref(r);
    r = tu_ok("chat_action", old, F->cfg,
              "{\"action\":\"route_query\",\"query\":\"slides\",\"source_types\":[\"chat\"]}");
    assert_int_equal(json_array_size(chunks_of(r)), 1);
    assert_json_str(json_array_get(chunks_of(r), 0), "role", "assistant");
    json_decref(r);
    r = tu_ok("chat_action", old, F->cfg,
              "{\"action\":\"route_query\",\"query\":\"quarterly budget\",\"project\":\"other\"}");
    assert_int_equal(json_array_size(chunks_of(r)), 1);
    assert_json_str(json_array_get(chunks_of(r), 0), "content", "The quarterly budget of the other project");
    json_decref(r);
    /* New messages in the migrated database are found beside the old ones. */
    json_decref(tu_ok("chat_action", old, F->cfg,
                      "{\"action\":\"log\",\"conversation_id\":\"new\",\"role\":\"user\",\"content\":\"budget approved\"}"));
    r = tu_ok("chat_action", old, F->cfg, "{\"action\":\"route_query\",\"query\":\"budget\"}");
    assert_int_equal(json_array_size(chunks_of(r)), 2);
    json_decref(r);
    tu_active_mem = saved;
    memory_engine_free(mem);
    store_close(old);
    free(path);
}

int main(void) {
    tu_quiet();
#define T(fn) cmocka_unit_test_setup_teardown(fn, tu_fixture_setup, tu_fixture_teardown)
    const struct CMUnitTest tests[] = {
        T(test_merges_memory_and_chat),
        T(test_source_types),
        T(test_token_budget),
        T(test_logged_chat_findable),
        T(test_project_isolation),
        T(test_messages_from_before_migration),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
