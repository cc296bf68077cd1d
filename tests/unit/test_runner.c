/* Unit tests for fs/runner: argument vectors, clean environment, stdin,
 * timeout, output caps, missing and disabled programs. */
#include "testutil.h"

#include "fs/runner.h"

static runner_opts opts(void) {
    runner_opts o = {"/usr/bin:/bin", NULL, NULL, NULL, 0, 5000, 1 << 20};
    return o;
}

static void test_argv_no_shell(void **state) {
    (void)state;
    runner_opts o = opts();
    runner_result r;
    lt_err err;
    const char *argv[] = {"echo", "$HOME; rm -rf /", "`id`", NULL};
    assert_int_equal(runner_run(&o, argv, &r, &err), 0);
    assert_string_equal(r.out, "$HOME; rm -rf / `id`\n");
    assert_int_equal(r.exit_code, 0);
    assert_false(r.timed_out);
    runner_result_free(&r);
}

static void test_clean_env_and_stdin(void **state) {
    (void)state;
    setenv("LTMC_RUNNER_SECRET", "leak", 1);
    runner_opts o = opts();
    runner_result r;
    lt_err err;
    const char *argv[] = {"env", NULL};
    assert_int_equal(runner_run(&o, argv, &r, &err), 0);
    assert_not_contains(r.out, "LTMC_RUNNER_SECRET");
    assert_contains(r.out, "PATH=/usr/bin:/bin\n");
    runner_result_free(&r);
    o.input = "line one\nline two\n";
    o.input_len = strlen(o.input);
    const char *wc[] = {"wc", "-l", NULL};
    assert_int_equal(runner_run(&o, wc, &r, &err), 0);
    assert_int_equal(atoi(r.out), 2);
    runner_result_free(&r);
    /* A large input that the child never reads does not hang us. */
    size_t big = 4 << 20;
    char *buf = malloc(big);
    memset(buf, 'x', big);
    o.input = buf;
    o.input_len = big;
    const char *tr[] = {"true", NULL};
    assert_int_equal(runner_run(&o, tr, &r, &err), 0);
    assert_int_equal(r.exit_code, 0);
    runner_result_free(&r);
    free(buf);
}

static void test_exit_status_and_stderr(void **state) {
    (void)state;
    runner_opts o = opts();
    runner_result r;
    lt_err err;
    const char *argv[] = {"ls", "/nonexistent-dir-ltmc", NULL};
    assert_int_equal(runner_run(&o, argv, &r, &err), 0);
    assert_int_not_equal(r.exit_code, 0);
    assert_contains(r.err, "nonexistent-dir-ltmc");
    runner_result_free(&r);
}

static void test_timeout_kills(void **state) {
    (void)state;
    runner_opts o = opts();
    o.timeout_ms = 200;
    runner_result r;
    lt_err err;
    const char *argv[] = {"sleep", "10", NULL};
    uint64_t t0 = clock_mono_ns();
    assert_int_equal(runner_run(&o, argv, &r, &err), 0);
    double ms = (double)(clock_mono_ns() - t0) / 1e6;
    assert_true(r.timed_out);
    assert_true(ms < 2000);
    assert_int_equal(r.exit_code, 128 + 9);
    runner_result_free(&r);
}

static void test_output_cap(void **state) {
    (void)state;
    runner_opts o = opts();
    o.output_cap = 1000;
    runner_result r;
    lt_err err;
    const char *argv[] = {"head", "-c", "5000000", "/dev/zero", NULL};
    assert_int_equal(runner_run(&o, argv, &r, &err), 0);
    assert_int_equal(r.out_len, 1000);
    assert_true(r.out_truncated);
    assert_int_equal(r.exit_code, 0); /* drained, so it finished normally */
    runner_result_free(&r);
}

static void test_missing_and_disabled(void **state) {
    (void)state;
    runner_opts o = opts();
    runner_result r;
    lt_err err;
    char p[PATH_MAX];
    const char *argv[] = {"ltmc-no-such-program", NULL};
    assert_int_equal(runner_run(&o, argv, &r, &err), -1);
    assert_contains(err.msg, "Program not available: ltmc-no-such-program");
    assert_int_equal(runner_which(&o, "ls", p), 0);
    o.disabled = "rg, ls ,tree";
    assert_int_equal(runner_which(&o, "ls", p), -1);
    assert_int_equal(runner_which(&o, "l", p), 0 - 1); /* not a program anyway */
    assert_int_equal(runner_which(&o, "cat", p), 0);
    /* Names with slashes are never looked up; the server's PATH is not used. */
    assert_int_equal(runner_which(&o, "../bin/ls", p), -1);
    o.disabled = NULL;
    o.search_path = "";
    assert_int_equal(runner_which(&o, "ls", p), -1);
    o.search_path = "relative/dir:/nonexistent";
    assert_int_equal(runner_which(&o, "ls", p), -1);
}

int main(void) {
    tu_quiet();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_argv_no_shell),      cmocka_unit_test(test_clean_env_and_stdin),
        cmocka_unit_test(test_exit_status_and_stderr), cmocka_unit_test(test_timeout_kills),
        cmocka_unit_test(test_output_cap),         cmocka_unit_test(test_missing_and_disabled),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
