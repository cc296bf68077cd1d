/* Unit tests for core/clock: ISO-8601 UTC with milliseconds, sortable. */
#include "testutil.h"

#include <time.h>

static bool is_iso(const char *s) {
    /* YYYY-MM-DDTHH:MM:SS.mmmZ */
    static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddZ";
    if (strlen(s) != sizeof shape - 1) return false;
    for (size_t i = 0; shape[i]; i++) {
        if (shape[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != shape[i]) return false;
    }
    return true;
}

static void test_format_known_values(void **state) {
    (void)state;
    char buf[CLOCK_ISO_LEN];
    clock_format_iso(0, buf, sizeof buf);
    assert_string_equal(buf, "1970-01-01T00:00:00.000Z");
    clock_format_iso(1700000000123LL, buf, sizeof buf);
    assert_string_equal(buf, "2023-11-14T22:13:20.123Z");
    clock_format_iso(951782400007LL, buf, sizeof buf); /* leap day 2000 */
    assert_string_equal(buf, "2000-02-29T00:00:00.007Z");
    clock_format_iso(1735689599999LL, buf, sizeof buf);
    assert_string_equal(buf, "2024-12-31T23:59:59.999Z");
    clock_format_iso(-1, buf, sizeof buf); /* before the epoch: ms stay positive */
    assert_string_equal(buf, "1969-12-31T23:59:59.999Z");
    assert_int_equal(strlen(buf) + 1, CLOCK_ISO_LEN);
}

static void test_format_is_utc_whatever_tz(void **state) {
    (void)state;
    char a[CLOCK_ISO_LEN], b[CLOCK_ISO_LEN];
    const char *old = getenv("TZ");
    char *saved = old ? strdup(old) : NULL;
    setenv("TZ", "UTC", 1);
    tzset();
    clock_format_iso(1700000000123LL, a, sizeof a);
    setenv("TZ", "America/New_York", 1);
    tzset();
    clock_format_iso(1700000000123LL, b, sizeof b);
    setenv("TZ", "Asia/Kolkata", 1);
    tzset();
    char c[CLOCK_ISO_LEN];
    clock_format_iso(1700000000123LL, c, sizeof c);
    if (saved) setenv("TZ", saved, 1);
    else unsetenv("TZ");
    tzset();
    free(saved);
    assert_string_equal(a, "2023-11-14T22:13:20.123Z");
    assert_string_equal(b, a);
    assert_string_equal(c, a);
}

static void test_now_matches_wall_clock(void **state) {
    (void)state;
    int64_t before = clock_wall_ms();
    char now[CLOCK_ISO_LEN];
    clock_now_iso(now, sizeof now);
    int64_t after = clock_wall_ms();
    assert_true(is_iso(now));
    char lo[CLOCK_ISO_LEN], hi[CLOCK_ISO_LEN];
    clock_format_iso(before, lo, sizeof lo);
    clock_format_iso(after, hi, sizeof hi);
    assert_true(strcmp(lo, now) <= 0);
    assert_true(strcmp(now, hi) <= 0);
    /* The wall clock is in milliseconds since 1970 (after 2020, before 2200). */
    assert_true(before > 1577836800000LL);
    assert_true(before < 7258118400000LL);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    assert_true(ms - before >= 0 && ms - before < 5000);
}

static void test_text_order_is_time_order(void **state) {
    (void)state;
    const int64_t times[] = {-86400000LL, -1, 0, 1, 999, 1000, 59999, 60000, 946684799999LL, 946684800000LL,
                             1700000000000LL, 1700000000001LL, 4102444800000LL};
    size_t n = sizeof times / sizeof times[0];
    char prev[CLOCK_ISO_LEN] = "";
    for (size_t i = 0; i < n; i++) {
        char cur[CLOCK_ISO_LEN];
        clock_format_iso(times[i], cur, sizeof cur);
        assert_true(is_iso(cur));
        if (i) assert_true(strcmp(prev, cur) < 0);
        memcpy(prev, cur, sizeof cur);
    }
}

static void test_monotonic_never_goes_back(void **state) {
    (void)state;
    uint64_t last = clock_mono_ns();
    for (int i = 0; i < 10000; i++) {
        uint64_t t = clock_mono_ns();
        assert_true(t >= last);
        last = t;
    }
    struct timespec d = {0, 2000000};
    uint64_t a = clock_mono_ns();
    nanosleep(&d, NULL);
    assert_true(clock_mono_ns() - a >= 2000000);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_known_values),
        cmocka_unit_test(test_format_is_utc_whatever_tz),
        cmocka_unit_test(test_now_matches_wall_clock),
        cmocka_unit_test(test_text_order_is_time_order),
        cmocka_unit_test(test_monotonic_never_goes_back),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
