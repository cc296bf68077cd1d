/* Unit tests for core/metrics: counts, ordering, percentiles, truncation. */
#include "testutil.h"

#include <pthread.h>

#define MS 1000000ull /* ns per ms */

static int reset(void **state) {
    (void)state;
    metrics_reset();
    return 0;
}

static const metrics_entry *find(const metrics_entry *e, size_t n, const char *tool, const char *action) {
    for (size_t i = 0; i < n; i++)
        if (!strcmp(e[i].tool, tool) && !strcmp(e[i].action, action)) return &e[i];
    return NULL;
}

static void test_record_counts_calls_errors_totals(void **state) {
    (void)state;
    metrics_record("todo_action", "add", 2 * MS, false);
    metrics_record("todo_action", "add", 4 * MS, true);
    metrics_record("todo_action", "add", 3 * MS, false);
    metrics_entry e[8];
    assert_int_equal(metrics_snapshot(e, 8), 1);
    assert_string_equal(e[0].tool, "todo_action");
    assert_string_equal(e[0].action, "add");
    assert_int_equal(e[0].calls, 3);
    assert_int_equal(e[0].errors, 1);
    assert_int_equal(e[0].total_ns, 9 * MS);
    assert_int_equal(e[0].max_ns, 4 * MS);
}

static void test_snapshot_sorted_by_tool_then_action(void **state) {
    (void)state;
    metrics_record("todo_action", "list", 1, false);
    metrics_record("chat_action", "log", 1, false);
    metrics_record("todo_action", "add", 1, false);
    metrics_record("config_action", "export_config", 1, false);
    metrics_record("chat_action", "get_by_tool", 1, false);
    metrics_entry e[8];
    size_t n = metrics_snapshot(e, 8);
    assert_int_equal(n, 5);
    const char *want[][2] = {{"chat_action", "get_by_tool"}, {"chat_action", "log"}, {"config_action", "export_config"},
                             {"todo_action", "add"}, {"todo_action", "list"}};
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(e[i].tool, want[i][0]);
        assert_string_equal(e[i].action, want[i][1]);
    }
    /* A smaller buffer: still the total count, and what is copied is sorted. */
    metrics_entry two[2];
    assert_int_equal(metrics_snapshot(two, 2), 5);
    assert_true(strcmp(two[0].tool, two[1].tool) < 0 ||
                (!strcmp(two[0].tool, two[1].tool) && strcmp(two[0].action, two[1].action) < 0));
    assert_int_equal(metrics_snapshot(NULL, 0), 5);
}

/* The histogram has four buckets per power of two, so a percentile is at
 * most 2^(1/4) (~19%) above the true value, and never below it. */
static void check_close(double got, double truth) {
    if (!(got >= truth * 0.999 && got <= truth * 1.19 + 1e-9))
        fail_msg("percentile %.6f ms is not within bucket error of %.6f ms", got, truth);
}

static void test_percentiles_within_bucket_error(void **state) {
    (void)state;
    /* 1..100 ms, shuffled order must not matter. */
    for (int i = 100; i >= 1; i--) metrics_record("t", "a", (uint64_t)i * MS, false);
    check_close(metrics_percentile_ms("t", "a", 0.50), 50.0);
    check_close(metrics_percentile_ms("t", "a", 0.95), 95.0);
    check_close(metrics_percentile_ms("t", "a", 0.99), 99.0);
    metrics_entry e[4];
    assert_int_equal(metrics_snapshot(e, 4), 1);
    check_close(e[0].p50_ms, 50.0);
    check_close(e[0].p95_ms, 95.0);
    check_close(e[0].p99_ms, 99.0);
    assert_true(e[0].p50_ms <= e[0].p95_ms && e[0].p95_ms <= e[0].p99_ms);
    /* Never above the real maximum. */
    assert_true(metrics_percentile_ms("t", "a", 0.999) <= 100.0);

    /* Microsecond latencies, and one outlier that only moves p99+. */
    for (int i = 0; i < 99; i++) metrics_record("t", "fast", 300000, false); /* 0.3 ms */
    metrics_record("t", "fast", 2000 * MS, false);
    check_close(metrics_percentile_ms("t", "fast", 0.5), 0.3);
    check_close(metrics_percentile_ms("t", "fast", 0.99), 0.3);
    assert_true(metrics_percentile_ms("t", "fast", 1.0) <= 2000.0);
    assert_true(metrics_percentile_ms("t", "fast", 1.0) > 1000.0);
    /* Unknown entries report 0. */
    assert_true(metrics_percentile_ms("t", "nope", 0.5) == 0.0);
    assert_true(metrics_percentile_ms("nope", "a", 0.5) == 0.0);
    /* Zero and huge durations land in the end buckets without harm. */
    metrics_record("t", "edge", 0, false);
    metrics_record("t", "edge", UINT64_MAX / 2, false);
    assert_true(metrics_percentile_ms("t", "edge", 0.5) <= 0.001 + 1e-12);
}

static void test_errors_counted(void **state) {
    (void)state;
    for (int i = 0; i < 10; i++) metrics_record("chat_action", "log", MS, i % 3 == 0);
    metrics_entry e[2];
    assert_int_equal(metrics_snapshot(e, 2), 1);
    assert_int_equal(e[0].calls, 10);
    assert_int_equal(e[0].errors, 4);
}

static void test_reset_forgets_everything(void **state) {
    (void)state;
    metrics_record("a", "b", MS, false);
    metrics_record("c", "d", MS, true);
    metrics_entry e[4];
    assert_int_equal(metrics_snapshot(e, 4), 2);
    metrics_reset();
    assert_int_equal(metrics_snapshot(e, 4), 0);
    assert_true(metrics_percentile_ms("a", "b", 0.5) == 0.0);
    /* Entries created after a reset start from zero. */
    metrics_record("a", "b", 5 * MS, false);
    assert_int_equal(metrics_snapshot(e, 4), 1);
    assert_int_equal(e[0].calls, 1);
    assert_int_equal(e[0].errors, 0);
    assert_int_equal(e[0].max_ns, 5 * MS);
    check_close(metrics_percentile_ms("a", "b", 0.5), 5.0);
}

static void test_long_names_truncated(void **state) {
    (void)state;
    char tool[200], action[200];
    memset(tool, 't', sizeof tool - 1);
    tool[sizeof tool - 1] = '\0';
    memset(action, 'a', sizeof action - 1);
    action[sizeof action - 1] = '\0';
    metrics_record(tool, action, MS, false);
    /* Same first 63 characters: the same entry. */
    tool[150] = 'X';
    metrics_record(tool, action, MS, false);
    metrics_entry e[4];
    assert_int_equal(metrics_snapshot(e, 4), 1);
    assert_int_equal(strlen(e[0].tool), METRICS_NAME_MAX - 1);
    assert_int_equal(strlen(e[0].action), METRICS_NAME_MAX - 1);
    assert_int_equal(e[0].calls, 2);
    /* A difference within the first 63 characters is another entry. */
    tool[10] = 'Y';
    metrics_record(tool, action, MS, false);
    assert_int_equal(metrics_snapshot(e, 4), 2);
}

#define THREADS 4
#define PER_THREAD 2000

static void *hammer(void *arg) {
    (void)arg;
    for (int i = 0; i < PER_THREAD; i++) metrics_record("todo_action", i % 2 ? "add" : "list", 1000, i % 10 == 0);
    return NULL;
}

static void test_thread_safe(void **state) {
    (void)state;
    pthread_t th[THREADS];
    for (int i = 0; i < THREADS; i++) assert_int_equal(pthread_create(&th[i], NULL, hammer, NULL), 0);
    for (int i = 0; i < THREADS; i++) pthread_join(th[i], NULL);
    metrics_entry e[4];
    size_t n = metrics_snapshot(e, 4);
    assert_int_equal(n, 2);
    const metrics_entry *add = find(e, n, "todo_action", "add"), *list = find(e, n, "todo_action", "list");
    assert_non_null(add);
    assert_non_null(list);
    assert_int_equal(add->calls + list->calls, THREADS * PER_THREAD);
    assert_int_equal(add->calls, THREADS * PER_THREAD / 2);
    assert_int_equal(add->errors + list->errors, THREADS * PER_THREAD / 10);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_record_counts_calls_errors_totals, reset),
        cmocka_unit_test_setup(test_snapshot_sorted_by_tool_then_action, reset),
        cmocka_unit_test_setup(test_percentiles_within_bucket_error, reset),
        cmocka_unit_test_setup(test_errors_counted, reset),
        cmocka_unit_test_setup(test_reset_forgets_everything, reset),
        cmocka_unit_test_setup(test_long_names_truncated, reset),
        cmocka_unit_test_setup(test_thread_safe, reset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
