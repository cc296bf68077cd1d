/* Unit tests for cache_action (health_check, stats, flush, reset), retrieve
 * results served from L1 and invalidated by writes (this connection's and
 * another's), query embeddings cached, and SLA violation counting. */
#include "testutil.h"

#include "cache/caches.h"
#include "core/sla.h"

#define F ((tu_fixture *)*state)
#define OK(tool, args) tu_ok((tool), F->st, F->cfg, (args))

static tu_fixture *fx;

static int setup(void **state) {
    tu_fixture_setup(state);
    fx = *state;
    caches_reset();
    metrics_reset();
    sla_reset();
    return 0;
}

static void store_mem(void **state, const char *name, const char *content) {
    json_t *a = json_pack("{s:s, s:s, s:s}", "action", "store", "file_name", name, "content", content);
    char *text = jx_dump(a);
    json_decref(a);
    json_decref(OK("memory_action", text));
    free(text);
}

static int64_t tier(const char *type, const char *key) {
    json_t *r = tu_ok("cache_action", fx->st, fx->cfg, "{\"action\":\"stats\"}");
    int64_t v = jx_int(json_object_get(json_object_get(json_object_get(r, "stats"), "l1"), type), key, -1);
    json_decref(r);
    return v;
}

static void test_retrieve_cached_and_invalidated(void **state) {
    store_mem(state, "a.md", "The deployment pipeline uses blue green releases.");
    store_mem(state, "b.md", "Lunch is served at noon in the cafeteria.");
    const char *q = "{\"action\":\"retrieve\",\"query\":\"deployment pipeline\"}";
    json_t *r1 = OK("memory_action", q);
    int64_t hits0 = tier("queries", "hits");
    json_t *r2 = OK("memory_action", q);
    assert_int_equal(tier("queries", "hits"), hits0 + 1);
    assert_true(json_equal(r1, r2)); /* a hit returns exactly what the search did */
    json_decref(r2);
    /* Different arguments are different entries. */
    json_decref(OK("memory_action", "{\"action\":\"retrieve\",\"query\":\"deployment pipeline\",\"top_k\":1}"));
    assert_int_equal(tier("queries", "hits"), hits0 + 1);
    /* A store in this process makes the cached result stale. */
    store_mem(state, "c.md", "Deployment pipeline notes: canary first.");
    json_t *r3 = OK("memory_action", q);
    assert_int_equal(tier("queries", "hits"), hits0 + 1);
    assert_int_equal(jx_int(r3, "total_found", 0), jx_int(r1, "total_found", 0) + 1);
    json_decref(r3);
    /* A write through another connection (another process) is noticed too. */
    store *other = tu_store_open(F->db);
    memory_engine *m2 = tu_memory_new();
    memory_input in = {0};
    in.project = "default";
    in.file_name = "d.md";
    in.resource_type = "document";
    in.conversation_id = "default";
    in.content = "The deployment pipeline was rewritten.";
    json_t *out = json_object();
    lt_err err;
    if (memory_store(m2, other, &in, out, &err)) fail_msg("store: %s", err.msg);
    json_decref(out);
    memory_engine_free(m2);
    store_close(other);
    json_t *r4 = OK("memory_action", q);
    assert_int_equal(jx_int(r4, "total_found", 0), jx_int(r1, "total_found", 0) + 2);
    json_decref(r4);
    /* Delete invalidates. */
    json_t *r5 = OK("memory_action", q);
    int64_t before = jx_int(r5, "total_found", 0);
    json_decref(r5);
    json_decref(OK("memory_action", "{\"action\":\"delete\",\"doc_id\":1}"));
    json_t *r6 = OK("memory_action", q);
    assert_int_equal(jx_int(r6, "total_found", 0), before - 1);
    json_decref(r6);
    json_decref(r1);
    /* Query embeddings were cached and reused. */
    assert_true(tier("embeddings", "hits") >= 1);
}

static void test_stats_keys_and_sla(void **state) {
    json_decref(OK("todo_action", "{\"action\":\"add\",\"title\":\"x\"}"));
    json_t *bad = tu_fail("todo_action", F->st, F->cfg, "{\"action\":\"complete\",\"todo_id\":999}");
    json_decref(bad);
    json_t *r = OK("cache_action", "{\"action\":\"stats\"}");
    json_t *todo = json_object_get(json_object_get(r, "tools"), "todo_action");
    assert_non_null(todo);
    assert_json_int(json_object_get(todo, "add"), "calls", 1);
    assert_json_int(json_object_get(todo, "complete"), "errors", 1);
    assert_true(jx_real(json_object_get(todo, "complete"), "error_rate") == 1.0);
    json_t *sla = json_object_get(json_object_get(r, "performance_sla"), "todo_action");
    assert_true(jx_real(sla, "target_ms") == 500);
    assert_json_str(sla, "status", "ok");
    assert_true(json_is_object(json_object_get(json_object_get(r, "stats"), "l1")));
    assert_true(jx_real(r, "response_time") < 50);
    json_decref(r);
    r = OK("cache_action", "{\"action\":\"stats\",\"cache_type\":\"embeddings\"}");
    assert_null(json_object_get(json_object_get(json_object_get(r, "stats"), "l1"), "queries"));
    json_decref(r);
    /* SLA: targets and violation counting. */
    assert_true(sla_target_ms("cache_action") == 200);
    assert_true(sla_target_ms("chat_action") == 300);
    assert_true(sla_target_ms("documentation_action") == 5000);
    assert_int_equal(sla_check("chat_action", "log", 299000000ull), 0);
    assert_int_equal(sla_check("chat_action", "log", 301000000ull), 1);
    assert_int_equal(sla_violations("chat_action"), 1);
    assert_int_equal(sla_violations("todo_action"), 0);
    metrics_record("chat_action", "log", 301000000ull, false);
    r = OK("cache_action", "{\"action\":\"stats\"}");
    sla = json_object_get(json_object_get(r, "performance_sla"), "chat_action");
    assert_json_str(sla, "status", "violated");
    assert_json_int(sla, "violations", 1);
    json_decref(r);
}

static void test_health_check(void **state) {
    json_t *r = OK("cache_action", "{\"action\":\"health_check\",\"deep\":true}");
    assert_json_str(r, "status", "healthy");
    json_t *c = json_object_get(r, "components");
    const char *names[] = {"sqlite", "embedder", "vector_index", "l1_cache", "redis", "file_watcher"};
    for (size_t i = 0; i < 6; i++) {
        json_t *x = json_object_get(c, names[i]);
        if (!x) fail_msg("health_check lacks %s", names[i]);
        assert_non_null(jx_str(x, "status"));
        assert_true(json_is_number(json_object_get(x, "latency_ms")));
    }
    assert_json_str(json_object_get(c, "sqlite"), "integrity", "ok");
    assert_json_str(json_object_get(c, "redis"), "status", "not_configured");
    assert_true(json_is_number(json_object_get(r, "response_time")));
    json_decref(r);
}

static void test_flush_and_reset(void **state) {
    store_mem(state, "a.md", "alpha beta gamma");
    json_decref(OK("memory_action", "{\"action\":\"retrieve\",\"query\":\"alpha\"}"));
    json_decref(OK("memory_action", "{\"action\":\"retrieve\",\"query\":\"beta\"}"));
    assert_int_equal(tier("queries", "entries"), 2);
    json_t *r = OK("cache_action", "{\"action\":\"flush\",\"cache_type\":\"queries\",\"pattern\":\"*alpha*\"}");
    assert_json_int(r, "total_keys_deleted", 1);
    json_decref(r);
    assert_int_equal(tier("queries", "entries"), 1);
    r = OK("cache_action", "{\"action\":\"flush\"}");
    assert_true(jx_int(r, "total_keys_deleted", 0) >= 1);
    assert_non_null(json_object_get(json_object_get(r, "breakdown"), "embeddings"));
    json_decref(r);
    assert_int_equal(tier("queries", "entries"), 0);
    assert_int_equal(tier("embeddings", "entries"), 0);
    json_decref(OK("memory_action", "{\"action\":\"retrieve\",\"query\":\"alpha\"}"));
    r = OK("cache_action", "{\"action\":\"reset\"}");
    json_decref(r);
    assert_int_equal(tier("queries", "entries"), 0);
    assert_int_equal(tier("queries", "hits"), 0);
    assert_call_error("cache_action", F->st, F->cfg, "{\"action\":\"flush\",\"cache_type\":\"redis_all\"}",
                      "Invalid value for parameter 'cache_type'");
    assert_call_error("cache_action", F->st, F->cfg, "{\"action\":\"drop\"}", "Unknown cache action: drop");
}

int main(void) {
    tu_quiet();
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, tu_fixture_teardown)
    const struct CMUnitTest tests[] = {
        T(test_retrieve_cached_and_invalidated),
        T(test_stats_keys_and_sla),
        T(test_health_check),
        T(test_flush_and_reset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
