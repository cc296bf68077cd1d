/* Unit tests for core/sbuf: the growable string. */
#include "testutil.h"

#include "core/sbuf.h"

static void test_empty_takes_an_empty_string(void **state) {
    (void)state;
    sbuf b = {0};
    char *s = sbuf_take(&b);
    assert_non_null(s);
    assert_string_equal(s, "");
    free(s);
    assert_null(b.s);
}

static void test_appends_grow_past_many_doublings(void **state) {
    (void)state;
    sbuf b = {0};
    for (int i = 0; i < 10000; i++) sbuf_printf(&b, "%d,", i % 10);
    sbuf_add(&b, "xyz", 2);
    sbuf_str(&b, "!");
    assert_int_equal(b.len, 20000 + 3);
    assert_int_equal(strlen(b.s), b.len);
    assert_memory_equal(b.s, "0,1,2,", 6);
    assert_string_equal(b.s + 20000, "xy!");
    char *s = sbuf_take(&b);
    assert_int_equal(b.len, 0);
    free(s);
}

static void test_printf_is_not_cut_short(void **state) {
    (void)state;
    char big[1000];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    sbuf b = {0};
    sbuf_printf(&b, "<%s>", big);
    assert_int_equal(b.len, sizeof big + 1);
    assert_int_equal(b.s[0], '<');
    assert_int_equal(b.s[b.len - 1], '>');
    sbuf_free(&b);
}

static void test_truncate_cuts_back(void **state) {
    (void)state;
    sbuf b = {0};
    sbuf_str(&b, "hello world");
    sbuf_truncate(&b, 5);
    sbuf_str(&b, "!");
    assert_string_equal(b.s, "hello!");
    sbuf_free(&b);
    assert_null(b.s);
    assert_int_equal(b.cap, 0);
}

static void test_out_of_memory_is_remembered(void **state) {
    (void)state;
    sbuf b = {0};
    sbuf_str(&b, "some");
    b.oom = true; /* as after a failed realloc */
    sbuf_str(&b, " more");
    assert_int_equal(b.len, 4);
    assert_null(sbuf_take(&b)); /* and the text is freed: ASan would see a leak */
    assert_false(b.oom);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_takes_an_empty_string),
        cmocka_unit_test(test_appends_grow_past_many_doublings),
        cmocka_unit_test(test_printf_is_not_cut_short),
        cmocka_unit_test(test_truncate_cuts_back),
        cmocka_unit_test(test_out_of_memory_is_remembered),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
