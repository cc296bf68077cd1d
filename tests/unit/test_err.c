/* Unit tests for core/err: errors as values. */
#include "testutil.h"

static void test_set_fills_code_and_message(void **state) {
    (void)state;
    lt_err e;
    lt_err_clear(&e);
    assert_int_equal(lt_err_set(&e, LT_ERR_NOT_FOUND, "Todo with ID %d not found", 7), -1);
    assert_int_equal(e.code, LT_ERR_NOT_FOUND);
    assert_string_equal(e.msg, "Todo with ID 7 not found");
}

static void test_null_err_is_allowed(void **state) {
    (void)state;
    assert_int_equal(lt_err_set(NULL, LT_ERR_INVALID, "x %s", "y"), -1);
    lt_err_prefix(NULL, "p");
    lt_err_clear(NULL);
}

static void test_prefix_and_clear(void **state) {
    (void)state;
    lt_err e;
    lt_err_set(&e, LT_ERR_DB, "disk I/O error");
    lt_err_prefix(&e, "database %s", "/tmp/x.db");
    assert_string_equal(e.msg, "database /tmp/x.db: disk I/O error");
    assert_int_equal(e.code, LT_ERR_DB);
    lt_err_clear(&e);
    assert_int_equal(e.code, LT_OK);
    assert_string_equal(e.msg, "");
}

static void test_long_message_truncated_and_terminated(void **state) {
    (void)state;
    lt_err e;
    char big[2000];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    lt_err_set(&e, LT_ERR_INVALID, "%s", big);
    assert_int_equal(strlen(e.msg), sizeof e.msg - 1);
    lt_err_prefix(&e, "prefix");
    assert_int_equal(strlen(e.msg), sizeof e.msg - 1);
    assert_memory_equal(e.msg, "prefix: aaa", 11);
}

/* Messages are always valid UTF-8, even when a "%.Ns" cut a character. */
static void test_message_is_valid_utf8(void **state) {
    (void)state;
    lt_err e;
    lt_err_set(&e, LT_ERR_INVALID, "Unknown action: %.3s", "a\xc3\xa9\xc3\xa9");
    assert_string_equal(e.msg, "Unknown action: a\xc3\xa9");
    lt_err_set(&e, LT_ERR_INVALID, "Unknown action: %.2s!", "a\xc3\xa9");
    assert_string_equal(e.msg, "Unknown action: a?!");
    json_t *v = json_string(e.msg);
    assert_non_null(v);
    json_decref(v);
    /* Truncation at the end of the 512-byte buffer. */
    char big[600];
    size_t n = 0;
    while (n + 2 < sizeof big) { big[n++] = '\xc3'; big[n++] = '\xa9'; }
    big[n] = '\0';
    lt_err_set(&e, LT_ERR_INVALID, "x%s", big);
    v = json_string(e.msg);
    assert_non_null(v);
    json_decref(v);
    lt_err_set(&e, LT_ERR_INVALID, "%s", big);
    lt_err_prefix(&e, "p");
    v = json_string(e.msg);
    assert_non_null(v);
    json_decref(v);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_set_fills_code_and_message),
        cmocka_unit_test(test_null_err_is_allowed),
        cmocka_unit_test(test_prefix_and_clear),
        cmocka_unit_test(test_long_message_truncated_and_terminated),
        cmocka_unit_test(test_message_is_valid_utf8),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
