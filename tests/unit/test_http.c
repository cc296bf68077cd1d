/* Unit tests for transport/http's pure parts: listen addresses (what counts
 * as loopback decides whether a token is required) and the token compare. */
#include "testutil.h"

#include "transport/http.h"

static void test_parse_addresses(void **state) {
    (void)state;
    http_addr a;
    lt_err e;
    assert_int_equal(http_parse_addr("127.0.0.1:8765", &a, &e), 0);
    assert_string_equal(a.host, "127.0.0.1");
    assert_int_equal(a.port, 8765);
    assert_true(a.loopback);
    assert_int_equal(http_parse_addr("127.5.6.7:0", &a, &e), 0);
    assert_true(a.loopback);
    assert_int_equal(a.port, 0);
    assert_int_equal(http_parse_addr("localhost:1", &a, &e), 0);
    assert_true(a.loopback);
    assert_int_equal(http_parse_addr("[::1]:443", &a, &e), 0);
    assert_string_equal(a.host, "::1");
    assert_int_equal(a.port, 443);
    assert_true(a.loopback);
    assert_int_equal(http_parse_addr("0.0.0.0:80", &a, &e), 0);
    assert_false(a.loopback);
    assert_int_equal(http_parse_addr("[::]:80", &a, &e), 0);
    assert_false(a.loopback);
    assert_int_equal(http_parse_addr("192.168.1.2:9000", &a, &e), 0);
    assert_false(a.loopback);
    assert_int_equal(http_parse_addr("memory.example.com:9000", &a, &e), 0);
    assert_false(a.loopback); /* a name may resolve anywhere */
    assert_int_equal(http_parse_addr("128.0.0.1:1", &a, &e), 0);
    assert_false(a.loopback);
}

static void test_reject_bad_addresses(void **state) {
    (void)state;
    http_addr a;
    lt_err e;
    const char *bad[] = {"", "8765", ":8765", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:-1",
                         "127.0.0.1:80x", "[::1]80", "[::1", "127.0.0.1: 80"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        lt_err_clear(&e);
        assert_int_equal(http_parse_addr(bad[i], &a, &e), -1);
        assert_int_equal(e.code, LT_ERR_INVALID);
    }
    assert_int_equal(http_parse_addr(NULL, &a, &e), -1);
}

static void test_token_equal(void **state) {
    (void)state;
    assert_true(http_token_equal("s3cret-token", "s3cret-token"));
    assert_false(http_token_equal("s3cret-toke", "s3cret-token"));
    assert_false(http_token_equal("s3cret-tokenx", "s3cret-token"));
    assert_false(http_token_equal("S3cret-token", "s3cret-token"));
    assert_false(http_token_equal("", "s3cret-token"));
    assert_false(http_token_equal("s3cret-token", ""));
    assert_true(http_token_equal("", ""));
    /* A given token that is the expected one plus a NUL-padded tail cannot match. */
    assert_false(http_token_equal("s3cret-token\x01", "s3cret-token"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_addresses),
        cmocka_unit_test(test_reject_bad_addresses),
        cmocka_unit_test(test_token_equal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
