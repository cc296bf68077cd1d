/* Unit tests for cache/l1 (TTL, LRU, entry and byte bounds, flush by
 * pattern, threads) and cache/caches (generations). */
#include "testutil.h"

#include "cache/caches.h"
#include "cache/l1.h"

#include <pthread.h>

static bool get_str(l1 *c, const char *key, const char *want) {
    void *v;
    size_t n;
    if (!l1_get(c, key, &v, &n)) return false;
    bool same = want && n == strlen(want) && memcmp(v, want, n) == 0;
    free(v);
    if (!same) fail_msg("%s: unexpected value", key);
    return true;
}

static void test_get_put_replace(void **state) {
    (void)state;
    l1 *c = l1_new(10, 1 << 20, 60000);
    assert_false(get_str(c, "a", NULL));
    l1_put(c, "a", "one", 3);
    assert_true(get_str(c, "a", "one"));
    l1_put(c, "a", "two!", 4);
    assert_true(get_str(c, "a", "two!"));
    l1_stats s = l1_get_stats(c);
    assert_int_equal(s.entries, 1);
    assert_int_equal(s.hits, 2);
    assert_int_equal(s.misses, 1);
    l1_put(c, "empty", "", 0);
    assert_true(get_str(c, "empty", ""));
    l1_free(c);
}

static void test_ttl(void **state) {
    (void)state;
    l1 *c = l1_new(10, 1 << 20, 50);
    l1_put(c, "k", "v", 1);
    assert_true(get_str(c, "k", "v"));
    usleep(80 * 1000);
    assert_false(get_str(c, "k", NULL));
    assert_int_equal(l1_get_stats(c).expirations, 1);
    assert_int_equal(l1_get_stats(c).entries, 0);
    l1_free(c);
}

static void test_lru_entries(void **state) {
    (void)state;
    l1 *c = l1_new(3, 1 << 20, 60000);
    l1_put(c, "a", "1", 1);
    l1_put(c, "b", "2", 1);
    l1_put(c, "c", "3", 1);
    assert_true(get_str(c, "a", "1")); /* a is now the most recent; b the least */
    l1_put(c, "d", "4", 1);
    assert_false(get_str(c, "b", NULL));
    assert_true(get_str(c, "a", "1"));
    assert_true(get_str(c, "c", "3"));
    assert_true(get_str(c, "d", "4"));
    assert_int_equal(l1_get_stats(c).evictions, 1);
    assert_int_equal(l1_get_stats(c).entries, 3);
    l1_configure(c, 1, 1 << 20, 60000);
    assert_int_equal(l1_get_stats(c).entries, 1);
    assert_true(get_str(c, "d", "4") || get_str(c, "c", "3") || get_str(c, "a", "1"));
    l1_configure(c, 0, 1 << 20, 60000);
    l1_put(c, "x", "y", 1);
    assert_false(get_str(c, "x", NULL)); /* a cache of 0 entries holds nothing */
    l1_free(c);
}

static void test_byte_bound(void **state) {
    (void)state;
    size_t bound = 4096;
    l1 *c = l1_new(1000, bound, 60000);
    char big[1000];
    memset(big, 'x', sizeof big);
    char key[32];
    for (int i = 0; i < 20; i++) {
        snprintf(key, sizeof key, "k%d", i);
        l1_put(c, key, big, sizeof big);
        assert_true(l1_get_stats(c).bytes <= bound);
    }
    l1_stats s = l1_get_stats(c);
    assert_true(s.entries >= 2 && s.entries <= 4);
    void *v;
    size_t n;
    assert_true(l1_get(c, "k19", &v, &n)); /* the newest stays */
    assert_int_equal(n, sizeof big);
    free(v);
    assert_false(l1_get(c, "k0", &v, &n)); /* the oldest went */
    s = l1_get_stats(c);
    char *huge = calloc(1, bound * 2);
    l1_put(c, "huge", huge, bound * 2); /* larger than the bound: not stored, nothing evicted for it */
    free(huge);
    assert_false(l1_get(c, "huge", &v, &n));
    assert_int_equal(l1_get_stats(c).entries, s.entries);
    l1_free(c);
}

static void test_flush_pattern(void **state) {
    (void)state;
    l1 *c = l1_new(100, 1 << 20, 60000);
    l1_put(c, "emb:m:hello", "1", 1);
    l1_put(c, "emb:m:world", "1", 1);
    l1_put(c, "query:1:p:x", "1", 1);
    assert_int_equal(l1_flush(c, "emb:*"), 2);
    assert_int_equal(l1_get_stats(c).entries, 1);
    assert_int_equal(l1_flush(c, "nothing*"), 0);
    assert_int_equal(l1_flush(c, NULL), 1);
    assert_int_equal(l1_get_stats(c).entries, 0);
    l1_free(c);
}

/* Many keys (the table grows) and several threads at once. */
static void *hammer(void *arg) {
    l1 *c = arg;
    char key[32];
    for (int i = 0; i < 20000; i++) {
        snprintf(key, sizeof key, "key%d", i % 5000);
        void *v;
        size_t n;
        if (l1_get(c, key, &v, &n)) {
            assert_int_equal(n, strlen(key));
            free(v);
        } else {
            l1_put(c, key, key, strlen(key));
        }
    }
    return NULL;
}

static void test_threads_and_growth(void **state) {
    (void)state;
    l1 *c = l1_new(4000, 1 << 24, 60000);
    pthread_t t[4];
    for (int i = 0; i < 4; i++) pthread_create(&t[i], NULL, hammer, c);
    for (int i = 0; i < 4; i++) pthread_join(t[i], NULL);
    l1_stats s = l1_get_stats(c);
    assert_int_equal(s.entries, 4000);
    assert_true(s.hits > 0);
    l1_free(c);
}

static void test_generation_observe(void **state) {
    (void)state;
    char *dir = tu_tmpdir();
    char *db = tu_path(dir, "g.db");
    store *a = tu_store_open(db), *b = tu_store_open(db);
    uint64_t g0 = caches_observe(a);
    assert_int_equal(caches_observe(a), g0); /* nothing changed */
    store_exec(b, "CREATE TABLE t(x)", NULL);
    uint64_t g1 = caches_observe(a);
    assert_true(g1 > g0); /* another connection wrote */
    assert_int_equal(caches_observe(a), g1);
    caches_bump();
    uint64_t g2 = caches_observe(a);
    assert_true(g2 > g1);
    /* One thread taking turns with two connections (as HTTP workers borrow
     * them from a pool): no change, no new generation. */
    store *c = tu_store_open(db);
    uint64_t g3 = caches_observe(c); /* a connection not seen before */
    assert_true(g3 >= g2);
    assert_int_equal(caches_observe(a), g3);
    assert_int_equal(caches_observe(c), g3);
    assert_int_equal(caches_observe(a), g3);
    store_exec(b, "CREATE TABLE u(x)", NULL);
    assert_true(caches_observe(c) > g3); /* each connection notices the write */
    uint64_t g4 = caches_observe(a);
    assert_int_equal(caches_observe(c), g4);
    store_close(c);
    store_close(a), store_close(b);
    tu_rmrf(dir);
    free(db), free(dir);
}

/* A counted object standing in for a jansson value. */
typedef struct {
    int refs;
} counted;
static void c_retain(void *o) { ((counted *)o)->refs++; }
static void c_release(void *o) { ((counted *)o)->refs--; }
static const l1_obj_ops counted_ops = {c_retain, c_release};

static void test_objects(void **state) {
    (void)state;
    l1 *c = l1_new(2, 1000, 60000);
    counted a = {1}, b = {1}, big = {1}, d = {1};
    l1_put_obj(c, "a", &a, 100, &counted_ops);
    assert_int_equal(a.refs, 2); /* the cache holds a reference */
    assert_ptr_equal(l1_get_obj(c, "a"), &a);
    assert_int_equal(a.refs, 3); /* and the hit hands out one more */
    c_release(&a);
    assert_null(l1_get_obj(c, "missing"));
    void *v;
    size_t n;
    assert_false(l1_get(c, "a", &v, &n)); /* an object is not bytes */
    l1_put(c, "bytes", "x", 1);
    assert_null(l1_get_obj(c, "bytes")); /* nor bytes an object */
    l1_put_obj(c, "big", &big, 5000, &counted_ops); /* over the byte bound: not kept */
    assert_int_equal(big.refs, 1);
    l1_put_obj(c, "a", &b, 100, &counted_ops); /* replacing drops the old reference */
    assert_int_equal(a.refs, 1);
    assert_int_equal(b.refs, 2);
    l1_put_obj(c, "d", &d, 100, &counted_ops); /* evicts the least recent (bytes) */
    l1_put_obj(c, "d", &d, 100, &counted_ops);
    assert_int_equal(d.refs, 2);
    l1_stats s = l1_get_stats(c);
    assert_int_equal(s.entries, 2);
    assert_int_equal(s.bytes >= 200, true);
    assert_int_equal(l1_flush(c, "*"), 2);
    assert_int_equal(b.refs, 1);
    assert_int_equal(d.refs, 1);
    l1_free(c);
}

int main(void) {
    tu_quiet();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_get_put_replace), cmocka_unit_test(test_ttl),
        cmocka_unit_test(test_lru_entries),     cmocka_unit_test(test_byte_bound),
        cmocka_unit_test(test_flush_pattern),   cmocka_unit_test(test_threads_and_growth),
        cmocka_unit_test(test_generation_observe), cmocka_unit_test(test_objects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
