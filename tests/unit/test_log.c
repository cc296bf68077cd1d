/* Unit tests for core/log: levels, parsing, one line per message on stderr. */
#include "testutil.h"

#include <fcntl.h>

static void test_parse_names(void **state) {
    (void)state;
    struct {
        const char *name;
        log_level level;
    } ok[] = {{"debug", LOG_DEBUG}, {"INFO", LOG_INFO},      {"Warning", LOG_WARNING}, {"warn", LOG_WARNING},
              {"error", LOG_ERROR}, {"CRITICAL", LOG_ERROR}, {"off", LOG_OFF}};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        log_level l = LOG_OFF;
        if (ok[i].level == LOG_OFF) l = LOG_DEBUG;
        assert_int_equal(log_level_parse(ok[i].name, &l), 0);
        assert_int_equal(l, ok[i].level);
    }
    log_level l = LOG_INFO;
    assert_int_equal(log_level_parse("verbose", &l), -1);
    assert_int_equal(log_level_parse("", &l), -1);
    assert_int_equal(l, LOG_INFO); /* untouched on failure */
    assert_string_equal(log_level_name(LOG_WARNING), "warning");
    assert_string_equal(log_level_name(LOG_OFF), "off");
    assert_string_equal(log_level_name((log_level)42), "unknown");
}

/* Runs fn with stderr redirected to a temp file and returns what it wrote. */
static char *capture_stderr(void (*fn)(void)) {
    char path[] = "/tmp/ltmc-unit-log-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    int saved = dup(STDERR_FILENO);
    dup2(fd, STDERR_FILENO);
    fn();
    dup2(saved, STDERR_FILENO);
    close(saved);
    off_t len = lseek(fd, 0, SEEK_END);
    char *out = calloc(1, (size_t)len + 1);
    assert_int_equal(pread(fd, out, (size_t)len, 0), len);
    close(fd);
    unlink(path);
    return out;
}

static void emit_levels(void) {
    log_set_level(LOG_WARNING);
    LOG_D("debug %d", 1);
    LOG_I("info %d", 2);
    LOG_W("warn %d", 3);
    LOG_E("error %d", 4);
    log_set_level(LOG_OFF);
    LOG_E("never");
}

static void test_level_filters_and_format(void **state) {
    (void)state;
    char *out = capture_stderr(emit_levels);
    assert_not_contains(out, "debug 1");
    assert_not_contains(out, "info 2");
    assert_not_contains(out, "never");
    assert_contains(out, " warning: warn 3\n");
    assert_contains(out, " error: error 4\n");
    char pid[32];
    snprintf(pid, sizeof pid, " ltmc[%d] ", (int)getpid());
    assert_contains(out, pid);
    /* Each line starts with an ISO timestamp. */
    assert_true(strlen(out) > 24 && out[4] == '-' && out[10] == 'T' && out[23] == 'Z');
    /* Exactly two lines. */
    int lines = 0;
    for (char *p = out; *p; p++) lines += *p == '\n';
    assert_int_equal(lines, 2);
    free(out);
    assert_int_equal(log_get_level(), LOG_OFF);
}

static void emit_long(void) {
    log_set_level(LOG_INFO);
    char big[5000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    LOG_I("%s", big);
    LOG_I("after");
}

static void test_long_message_stays_one_line(void **state) {
    (void)state;
    char *out = capture_stderr(emit_long);
    char *nl = strchr(out, '\n');
    assert_non_null(nl);
    assert_true(nl - out < 2048);
    assert_contains(nl + 1, "info: after\n");
    free(out);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_names),
        cmocka_unit_test(test_level_filters_and_format),
        cmocka_unit_test(test_long_message_stays_one_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
