/* Unit tests for todo_action: every action through tool_call on a temp store. */
#include "testutil.h"

#include <time.h>

#define F ((tu_fixture *)*state)
#define OK(args) tu_ok("todo_action", F->st, F->cfg, (args))
#define ERR(args, needle) assert_call_error("todo_action", F->st, F->cfg, (args), (needle))

static bool is_iso(const char *s) { return s && strlen(s) == 24 && s[10] == 'T' && s[23] == 'Z'; }

static int64_t add(void **state, const char *title, const char *priority, const char *project) {
    char args[512];
    snprintf(args, sizeof args, "{\"action\":\"add\",\"title\":\"%s\",\"priority\":\"%s\"%s%s%s}", title, priority,
             project ? ",\"project\":\"" : "", project ? project : "", project ? "\"" : "");
    json_t *r = OK(args);
    int64_t id = jx_int(r, "todo_id", -1);
    assert_true(id > 0);
    json_decref(r);
    return id;
}

static void nap(void) {
    struct timespec ts = {0, 2000000};
    nanosleep(&ts, NULL);
}

static void test_add_result(void **state) {
    json_t *r = OK("{\"action\":\"add\",\"title\":\"Write tests\",\"description\":\"all of them\",\"priority\":\"High\"}");
    const char *first_key = json_object_iter_key(json_object_iter(r));
    assert_string_equal(first_key, "success");
    assert_json_bool(r, "success", true);
    assert_true(jx_int(r, "todo_id", 0) > 0);
    assert_json_str(r, "title", "Write tests");
    assert_json_str(r, "description", "all of them");
    assert_json_str(r, "priority", "high");
    assert_json_str(r, "status", "pending");
    assert_true(is_iso(jx_str(r, "created_at")));
    assert_json_str(r, "project", "default");
    assert_json_str(r, "message", "Todo added");
    int64_t id1 = jx_int(r, "todo_id", 0);
    json_decref(r);
    r = OK("{\"action\":\"add\",\"title\":\"Second\"}");
    assert_json_str(r, "priority", "medium");
    assert_json_str(r, "description", "");
    assert_true(jx_int(r, "todo_id", 0) > id1);
    json_decref(r);
    /* Unicode and quotes survive the round trip. */
    r = OK("{\"action\":\"add\",\"title\":\"caf\\u00e9 \\\"quoted\\\" \\ud83d\\ude00\"}");
    int64_t id = jx_int(r, "todo_id", 0);
    json_decref(r);
    r = OK("{\"action\":\"list\",\"limit\":100}");
    json_t *todos = json_object_get(r, "todos");
    size_t i;
    json_t *t;
    bool found = false;
    json_array_foreach(todos, i, t) if (jx_int(t, "todo_id", 0) == id) {
        assert_json_str(t, "title", "caf\xc3\xa9 \"quoted\" \xf0\x9f\x98\x80");
        found = true;
    }
    assert_true(found);
    json_decref(r);
    ERR("{\"action\":\"add\"}", "Missing required parameter: title");
    ERR("{\"action\":\"add\",\"title\":\" \"}", "Parameter 'title' must not be empty");
}

static void test_list_empty_and_keys(void **state) {
    json_t *r = OK("{\"action\":\"list\"}");
    assert_int_equal(json_array_size(json_object_get(r, "todos")), 0);
    assert_json_str(r, "status_filter", "all");
    assert_json_int(r, "total_found", 0);
    assert_json_int(r, "total_count", 0);
    assert_json_int(r, "limit_applied", 10);
    assert_json_int(r, "offset", 0);
    assert_json_bool(r, "has_more", false);
    assert_json_str(r, "project", "default");
    json_decref(r);

    add(state, "one", "low", NULL);
    r = OK("{\"action\":\"list\"}");
    json_t *t = json_array_get(json_object_get(r, "todos"), 0);
    const char *keys[] = {"todo_id", "title", "description", "priority", "status", "completed", "created_at",
                          "updated_at", "completed_at"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (!json_object_get(t, keys[i])) fail_msg("listed todo lacks %s", keys[i]);
    assert_int_equal(json_object_size(t), sizeof keys / sizeof keys[0]);
    assert_json_bool(t, "completed", false);
    assert_true(json_is_null(json_object_get(t, "completed_at")));
    assert_json_str(t, "status", "pending");
    assert_true(is_iso(jx_str(t, "updated_at")));
    json_decref(r);
}

static void test_list_order_priority_then_newest(void **state) {
    int64_t a = add(state, "A low", "low", NULL);
    int64_t b = add(state, "B urgent", "urgent", NULL);
    int64_t c = add(state, "C medium", "medium", NULL);
    nap();
    int64_t d = add(state, "D urgent newer", "urgent", NULL);
    int64_t e = add(state, "E high", "high", NULL);
    json_t *r = OK("{\"action\":\"list\"}");
    json_t *todos = json_object_get(r, "todos");
    int64_t want[] = {d, b, e, c, a};
    assert_int_equal(json_array_size(todos), 5);
    for (size_t i = 0; i < 5; i++) assert_int_equal(jx_int(json_array_get(todos, i), "todo_id", 0), want[i]);
    json_decref(r);
}

static void test_list_paging_and_status_filter(void **state) {
    int64_t ids[25];
    for (int i = 0; i < 25; i++) {
        char title[32];
        snprintf(title, sizeof title, "task %02d", i);
        ids[i] = add(state, title, "medium", NULL);
    }
    json_t *seen = json_object();
    int64_t offsets[] = {0, 10, 20};
    size_t sizes[] = {10, 10, 5};
    for (int p = 0; p < 3; p++) {
        char args[128];
        snprintf(args, sizeof args, "{\"action\":\"list\",\"limit\":10,\"offset\":%lld}", (long long)offsets[p]);
        json_t *r = OK(args);
        assert_json_int(r, "total_count", 25);
        assert_json_int(r, "total_found", (int64_t)sizes[p]);
        assert_json_int(r, "offset", offsets[p]);
        assert_json_int(r, "limit_applied", 10);
        assert_json_bool(r, "has_more", p < 2);
        size_t i;
        json_t *t;
        json_array_foreach(json_object_get(r, "todos"), i, t) {
            char key[32];
            snprintf(key, sizeof key, "%lld", (long long)jx_int(t, "todo_id", 0));
            assert_null(json_object_get(seen, key)); /* pages do not overlap */
            json_object_set_new(seen, key, json_true());
        }
        json_decref(r);
    }
    assert_int_equal(json_object_size(seen), 25);
    json_decref(seen);
    json_t *r = OK("{\"action\":\"list\",\"limit\":10,\"offset\":30}");
    assert_json_int(r, "total_found", 0);
    assert_json_int(r, "total_count", 25);
    assert_json_bool(r, "has_more", false);
    json_decref(r);

    /* Complete three; filter by status. */
    for (int i = 0; i < 3; i++) {
        char args[96];
        snprintf(args, sizeof args, "{\"action\":\"complete\",\"todo_id\":%lld}", (long long)ids[i]);
        json_decref(OK(args));
    }
    char args[96];
    snprintf(args, sizeof args, "{\"action\":\"update\",\"todo_id\":%lld,\"status\":\"in_progress\"}", (long long)ids[5]);
    json_decref(OK(args));
    r = OK("{\"action\":\"list\",\"status\":\"completed\"}");
    assert_json_int(r, "total_count", 3);
    assert_json_str(r, "status_filter", "completed");
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(r, "todos"), i, t) {
        assert_json_bool(t, "completed", true);
        assert_true(is_iso(jx_str(t, "completed_at")));
    }
    json_decref(r);
    r = OK("{\"action\":\"list\",\"status\":\"pending\",\"limit\":100}");
    assert_json_int(r, "total_count", 21);
    assert_json_int(r, "total_found", 21);
    json_decref(r);
    r = OK("{\"action\":\"list\",\"status\":\"IN_PROGRESS\"}");
    assert_json_int(r, "total_count", 1);
    assert_json_int(json_array_get(json_object_get(r, "todos"), 0), "todo_id", ids[5]);
    json_decref(r);
    r = OK("{\"action\":\"list\",\"status\":\"all\",\"limit\":1}");
    assert_json_int(r, "total_count", 25);
    assert_json_bool(r, "has_more", true);
    json_decref(r);
}

static void test_complete_idempotent(void **state) {
    int64_t id = add(state, "finish me", "high", NULL);
    char args[96];
    snprintf(args, sizeof args, "{\"action\":\"complete\",\"todo_id\":%lld}", (long long)id);
    json_t *r = OK(args);
    assert_json_int(r, "todo_id", id);
    assert_json_str(r, "title", "finish me");
    assert_json_str(r, "status", "completed");
    assert_json_bool(r, "already_completed", false);
    assert_json_str(r, "message", "Todo completed");
    char first[CLOCK_ISO_LEN];
    snprintf(first, sizeof first, "%s", jx_str(r, "completed_at"));
    assert_true(is_iso(first));
    json_decref(r);
    nap();
    r = OK(args);
    assert_json_bool(r, "already_completed", true);
    assert_json_str(r, "completed_at", first); /* unchanged */
    assert_json_str(r, "message", "Todo was already completed");
    assert_json_str(r, "status", "completed");
    json_decref(r);
    r = OK("{\"action\":\"list\"}");
    json_t *t = json_array_get(json_object_get(r, "todos"), 0);
    assert_json_bool(t, "completed", true);
    assert_json_str(t, "completed_at", first);
    json_decref(r);
    ERR("{\"action\":\"complete\",\"todo_id\":424242}", "Todo with ID 424242 not found");
    ERR("{\"action\":\"complete\"}", "Missing required parameter: todo_id");
    ERR("{\"action\":\"complete\",\"todo_id\":\"1\"}", "expected integer, got string");
}

static void test_search(void **state) {
    int64_t milk = add(state, "Buy milk", "low", NULL);
    json_decref(OK("{\"action\":\"add\",\"title\":\"Call Bob\",\"description\":\"about the MILK order\",\"priority\":\"urgent\"}"));
    int64_t pct = add(state, "100% done", "medium", NULL);
    add(state, "1000 done", "medium", NULL);
    int64_t under = add(state, "snake_case", "medium", NULL);
    add(state, "snakeXcase", "medium", NULL);
    add(state, "milk elsewhere", "low", "other");

    json_t *r = OK("{\"action\":\"search\",\"query\":\"MILK\"}");
    assert_json_str(r, "search_query", "MILK");
    assert_json_int(r, "total_found", 2);
    assert_json_int(r, "total_count", 2);
    assert_true(json_is_null(json_object_get(r, "status_filter")));
    /* Ordered like list: the urgent one first. */
    assert_json_str(json_array_get(json_object_get(r, "todos"), 0), "title", "Call Bob");
    assert_json_int(json_array_get(json_object_get(r, "todos"), 1), "todo_id", milk);
    json_decref(r);

    /* % and _ match literally. */
    r = OK("{\"action\":\"search\",\"query\":\"100%\"}");
    assert_json_int(r, "total_count", 1);
    assert_json_int(json_array_get(json_object_get(r, "todos"), 0), "todo_id", pct);
    json_decref(r);
    r = OK("{\"action\":\"search\",\"query\":\"e_c\"}");
    assert_json_int(r, "total_count", 1);
    assert_json_int(json_array_get(json_object_get(r, "todos"), 0), "todo_id", under);
    json_decref(r);
    r = OK("{\"action\":\"search\",\"query\":\"back\\\\slash\"}");
    assert_json_int(r, "total_count", 0);
    json_decref(r);

    /* Status filter and paging. */
    char args[96];
    snprintf(args, sizeof args, "{\"action\":\"complete\",\"todo_id\":%lld}", (long long)milk);
    json_decref(OK(args));
    r = OK("{\"action\":\"search\",\"query\":\"milk\",\"status\":\"completed\"}");
    assert_json_int(r, "total_count", 1);
    assert_json_str(r, "status_filter", "completed");
    json_decref(r);
    r = OK("{\"action\":\"search\",\"query\":\"done\",\"limit\":1}");
    assert_json_int(r, "total_found", 1);
    assert_json_int(r, "total_count", 2);
    assert_json_bool(r, "has_more", true);
    json_decref(r);
    r = OK("{\"action\":\"search\",\"query\":\"done\",\"limit\":1,\"offset\":1}");
    assert_json_bool(r, "has_more", false);
    json_decref(r);
    r = OK("{\"action\":\"search\",\"query\":\"no such thing\"}");
    assert_json_int(r, "total_count", 0);
    assert_int_equal(json_array_size(json_object_get(r, "todos")), 0);
    json_decref(r);
    ERR("{\"action\":\"search\"}", "Missing required parameter: query");
}

static json_t *get_todo(void **state, int64_t id) {
    json_t *r = OK("{\"action\":\"list\",\"limit\":1000}");
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(r, "todos"), i, t) if (jx_int(t, "todo_id", 0) == id) {
        json_incref(t);
        json_decref(r);
        return t;
    }
    json_decref(r);
    return NULL;
}

static void test_update_semantics(void **state) {
    int64_t id = add(state, "original", "low", NULL);
    json_t *before = get_todo(state, id);
    nap();
    char args[256];
    snprintf(args, sizeof args, "{\"action\":\"update\",\"todo_id\":%lld,\"title\":\"renamed\"}", (long long)id);
    json_t *r = OK(args);
    assert_json_int(r, "todo_id", id);
    assert_json_str(r, "message", "Todo updated");
    char *fields = jx_dump(json_object_get(r, "updated_fields"));
    assert_string_equal(fields, "[\"title\"]");
    free(fields);
    json_t *t = json_object_get(r, "todo");
    assert_json_str(t, "title", "renamed");
    assert_json_str(t, "priority", "low"); /* untouched */
    assert_json_str(t, "description", "");
    assert_json_str(t, "created_at", jx_str(before, "created_at"));
    assert_true(strcmp(jx_str(t, "updated_at"), jx_str(before, "updated_at")) > 0);
    json_decref(r);
    json_decref(before);

    /* Several fields at once; enum values normalised. */
    snprintf(args, sizeof args,
             "{\"action\":\"update\",\"todo_id\":%lld,\"description\":\"d\",\"priority\":\"URGENT\",\"status\":\"in_progress\"}",
             (long long)id);
    r = OK(args);
    fields = jx_dump(json_object_get(r, "updated_fields"));
    assert_string_equal(fields, "[\"description\",\"priority\",\"status\"]");
    free(fields);
    t = json_object_get(r, "todo");
    assert_json_str(t, "priority", "urgent");
    assert_json_str(t, "status", "in_progress");
    assert_true(json_is_null(json_object_get(t, "completed_at")));
    json_decref(r);

    /* Entering completed sets completed_at; staying keeps it; leaving clears it. */
    snprintf(args, sizeof args, "{\"action\":\"update\",\"todo_id\":%lld,\"status\":\"completed\"}", (long long)id);
    r = OK(args);
    t = json_object_get(r, "todo");
    assert_json_bool(t, "completed", true);
    char done_at[CLOCK_ISO_LEN];
    snprintf(done_at, sizeof done_at, "%s", jx_str(t, "completed_at"));
    assert_true(is_iso(done_at));
    json_decref(r);
    nap();
    r = OK(args);
    assert_json_str(json_object_get(r, "todo"), "completed_at", done_at);
    json_decref(r);
    snprintf(args, sizeof args, "{\"action\":\"update\",\"todo_id\":%lld,\"title\":\"still done\"}", (long long)id);
    r = OK(args);
    assert_json_str(json_object_get(r, "todo"), "completed_at", done_at);
    json_decref(r);
    snprintf(args, sizeof args, "{\"action\":\"update\",\"todo_id\":%lld,\"status\":\"pending\"}", (long long)id);
    r = OK(args);
    t = json_object_get(r, "todo");
    assert_json_bool(t, "completed", false);
    assert_true(json_is_null(json_object_get(t, "completed_at")));
    json_decref(r);
    /* complete after reopening sets a fresh completed_at. */
    snprintf(args, sizeof args, "{\"action\":\"complete\",\"todo_id\":%lld}", (long long)id);
    r = OK(args);
    assert_json_bool(r, "already_completed", false);
    assert_true(strcmp(jx_str(r, "completed_at"), done_at) > 0);
    json_decref(r);

    snprintf(args, sizeof args, "{\"action\":\"update\",\"todo_id\":%lld}", (long long)id);
    ERR(args, "Nothing to update");
    snprintf(args, sizeof args, "{\"action\":\"update\",\"todo_id\":%lld,\"title\":null}", (long long)id);
    ERR(args, "Nothing to update");
    ERR("{\"action\":\"update\",\"todo_id\":987654,\"title\":\"x\"}", "Todo with ID 987654 not found");
    /* A title may not be blanked by update any more than add may create one. */
    snprintf(args, sizeof args, "{\"action\":\"update\",\"todo_id\":%lld,\"title\":\"\"}", (long long)id);
    ERR(args, "Parameter 'title' must not be empty");
    snprintf(args, sizeof args, "{\"action\":\"update\",\"todo_id\":%lld,\"title\":\"  \\t\"}", (long long)id);
    ERR(args, "Parameter 'title' must not be empty");
    json_t *after = get_todo(state, id);
    assert_json_str(after, "title", "still done");
    json_decref(after);
}

static void test_delete_then_not_found(void **state) {
    int64_t keep = add(state, "keep", "low", NULL);
    int64_t id = add(state, "remove me", "low", NULL);
    char args[96];
    snprintf(args, sizeof args, "{\"action\":\"delete\",\"todo_id\":%lld}", (long long)id);
    json_t *r = OK(args);
    assert_json_int(r, "todo_id", id);
    assert_json_str(r, "title", "remove me");
    assert_json_bool(r, "deleted", true);
    assert_json_str(r, "message", "Todo deleted");
    json_decref(r);
    char msg[64];
    snprintf(msg, sizeof msg, "Todo with ID %lld not found", (long long)id);
    ERR(args, msg);
    snprintf(args, sizeof args, "{\"action\":\"complete\",\"todo_id\":%lld}", (long long)id);
    ERR(args, msg);
    snprintf(args, sizeof args, "{\"action\":\"update\",\"todo_id\":%lld,\"title\":\"x\"}", (long long)id);
    ERR(args, msg);
    r = OK("{\"action\":\"list\"}");
    assert_json_int(r, "total_count", 1);
    assert_json_int(json_array_get(json_object_get(r, "todos"), 0), "todo_id", keep);
    json_decref(r);
}

static void test_project_isolation(void **state) {
    int64_t a = add(state, "alpha task", "low", "alpha");
    int64_t b = add(state, "beta task", "low", "beta");
    add(state, "default task", "low", NULL);
    json_t *r = OK("{\"action\":\"list\",\"project\":\"alpha\"}");
    assert_json_int(r, "total_count", 1);
    assert_json_str(r, "project", "alpha");
    assert_json_int(json_array_get(json_object_get(r, "todos"), 0), "todo_id", a);
    json_decref(r);
    r = OK("{\"action\":\"list\"}");
    assert_json_int(r, "total_count", 1);
    assert_json_str(json_array_get(json_object_get(r, "todos"), 0), "title", "default task");
    json_decref(r);
    r = OK("{\"action\":\"search\",\"query\":\"task\",\"project\":\"beta\"}");
    assert_json_int(r, "total_count", 1);
    json_decref(r);
    /* Another project's id is "not found", for every action that takes one. */
    char args[160], msg[64];
    snprintf(msg, sizeof msg, "Todo with ID %lld not found", (long long)b);
    snprintf(args, sizeof args, "{\"action\":\"complete\",\"todo_id\":%lld,\"project\":\"alpha\"}", (long long)b);
    ERR(args, msg);
    snprintf(args, sizeof args, "{\"action\":\"update\",\"todo_id\":%lld,\"title\":\"hijack\",\"project\":\"alpha\"}",
             (long long)b);
    ERR(args, msg);
    snprintf(args, sizeof args, "{\"action\":\"delete\",\"todo_id\":%lld}", (long long)b);
    ERR(args, msg);
    /* Untouched in its own project. */
    r = OK("{\"action\":\"list\",\"project\":\"beta\"}");
    json_t *t = json_array_get(json_object_get(r, "todos"), 0);
    assert_json_str(t, "title", "beta task");
    assert_json_str(t, "status", "pending");
    json_decref(r);
    /* Project names are exact (case and whitespace matter). */
    r = OK("{\"action\":\"list\",\"project\":\"Alpha\"}");
    assert_json_int(r, "total_count", 0);
    json_decref(r);
}

static void test_configured_default_project(void **state) {
    const char *flags[] = {"project=configured"};
    tu_env_set("LTMC_DATA_DIR", F->dir);
    settings *cfg = tu_settings_ex(NULL, flags, 1, NULL);
    json_t *r = tu_ok("todo_action", F->st, cfg, "{\"action\":\"add\",\"title\":\"t\"}");
    assert_json_str(r, "project", "configured");
    json_decref(r);
    r = OK("{\"action\":\"list\",\"project\":\"configured\"}");
    assert_json_int(r, "total_count", 1);
    json_decref(r);
    r = OK("{\"action\":\"list\"}");
    assert_json_int(r, "total_count", 0);
    json_decref(r);
    settings_free(cfg);
}

int main(void) {
    tu_quiet();
#define T(fn) cmocka_unit_test_setup_teardown(fn, tu_fixture_setup, tu_fixture_teardown)
    const struct CMUnitTest tests[] = {
        T(test_add_result),
        T(test_list_empty_and_keys),
        T(test_list_order_priority_then_newest),
        T(test_list_paging_and_status_filter),
        T(test_complete_idempotent),
        T(test_search),
        T(test_update_semantics),
        T(test_delete_then_not_found),
        T(test_project_isolation),
        T(test_configured_default_project),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
