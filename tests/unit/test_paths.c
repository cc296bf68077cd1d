/* Unit tests for fs/paths: every escape we can think of is refused, and
 * ordinary paths inside the roots resolve. */
#include "testutil.h"

#include "fs/paths.h"

static char *root, *outside, roots_buf[PATH_MAX * 2];

static int setup(void **state) {
    (void)state;
    root = tu_tmpdir();
    outside = tu_tmpdir();
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/sub", root), mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/sub/deeper", root), mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/a.txt", root), tu_write_file(p, "hello\n");
    snprintf(p, sizeof p, "%s/sub/b.txt", root), tu_write_file(p, "b\n");
    snprintf(p, sizeof p, "%s/secret.txt", outside), tu_write_file(p, "secret\n");
    snprintf(p, sizeof p, "%s/caf\xc3\xa9 \xe6\x97\xa5.txt", root), tu_write_file(p, "u\n");
    char t[PATH_MAX];
    snprintf(p, sizeof p, "%s/to_outside", root), symlink(outside, p);
    snprintf(t, sizeof t, "%s/secret.txt", outside), snprintf(p, sizeof p, "%s/secret_link", root), symlink(t, p);
    snprintf(p, sizeof p, "%s/to_inside", root), symlink("sub/b.txt", p);
    snprintf(p, sizeof p, "%s/loop1", root), snprintf(t, sizeof t, "%s/loop2", root), symlink(t, p);
    symlink(p, t);
    snprintf(p, sizeof p, "%s/dangling", root), symlink("/nonexistent/x", p);
    snprintf(p, sizeof p, "%s/dangling_in", root), symlink("nothere.txt", p);
    snprintf(p, sizeof p, "%s/proc_link", root), symlink("/proc/self/environ", p);
    snprintf(p, sizeof p, "%s/fifo", root), mkfifo(p, 0600);
    snprintf(roots_buf, sizeof roots_buf, "%s", root);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    tu_rmrf(root), tu_rmrf(outside);
    free(root), free(outside);
    return 0;
}

static const char *refuse(const char *path, paths_kind kind) {
    static lt_err err;
    char out[PATH_MAX];
    lt_err_clear(&err);
    if (paths_resolve(roots_buf, path, kind, out, &err) == 0) fail_msg("%s resolved to %s but must be refused", path, out);
    return err.msg;
}

static void ok(const char *path, paths_kind kind, const char *want_suffix) {
    lt_err err;
    char out[PATH_MAX];
    if (paths_resolve(roots_buf, path, kind, out, &err)) fail_msg("%s refused: %s", path, err.msg);
    char want[PATH_MAX];
    char real_root[PATH_MAX];
    assert_non_null(realpath(root, real_root));
    snprintf(want, sizeof want, "%s%s", real_root, want_suffix);
    assert_string_equal(out, want);
}

static void test_inside(void **state) {
    (void)state;
    ok(".", PATHS_DIR, "");
    ok("a.txt", PATHS_FILE, "/a.txt");
    ok("./sub/../a.txt", PATHS_FILE, "/a.txt"); /* .. that stays inside is fine */
    ok("sub//deeper/", PATHS_DIR, "/sub/deeper");
    ok("to_inside", PATHS_FILE, "/sub/b.txt");  /* a symlink to inside resolves */
    ok("caf\xc3\xa9 \xe6\x97\xa5.txt", PATHS_FILE, "/caf\xc3\xa9 \xe6\x97\xa5.txt");
    char abs[PATH_MAX];
    snprintf(abs, sizeof abs, "%s/sub/b.txt", root);
    ok(abs, PATHS_FILE, "/sub/b.txt"); /* absolute inside a root */
}

static void test_escapes(void **state) {
    (void)state;
    assert_contains(refuse("/etc/passwd", PATHS_FILE), "outside the project roots: /etc/passwd");
    assert_contains(refuse("/", PATHS_DIR), "outside the project roots");
    assert_contains(refuse("..", PATHS_DIR), "outside the project roots");
    assert_contains(refuse("../", PATHS_DIR), "outside the project roots");
    assert_contains(refuse("sub/../../", PATHS_DIR), "outside the project roots");
    assert_contains(refuse("../../../../../../../../etc/passwd", PATHS_FILE), "outside");
    assert_contains(refuse("sub/../../x/../../etc/shadow", PATHS_FILE), "outside");
    assert_contains(refuse("to_outside/secret.txt", PATHS_FILE), "outside the project roots");
    assert_contains(refuse("to_outside", PATHS_DIR), "outside the project roots");
    assert_contains(refuse("secret_link", PATHS_FILE), "outside the project roots");
    assert_contains(refuse("proc_link", PATHS_FILE), "outside the project roots");
    assert_contains(refuse("/proc/self/root/etc/passwd", PATHS_FILE), "outside");
    assert_contains(refuse("/proc/self/cwd/a.txt", PATHS_FILE), "outside"); /* the test's cwd is not a root */
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/secret.txt", outside);
    assert_contains(refuse(p, PATHS_FILE), "outside the project roots");
    snprintf(p, sizeof p, "%s/../%s/secret.txt", root, strrchr(outside, '/') + 1);
    assert_contains(refuse(p, PATHS_FILE), "outside the project roots");
    /* A sibling whose name starts with the root's name is not inside it. */
    snprintf(p, sizeof p, "%s-sibling", root);
    mkdir(p, 0755);
    assert_contains(refuse(p, PATHS_DIR), "outside the project roots");
    rmdir(p);
    assert_contains(refuse("loop1", PATHS_FILE), "Too many levels of symbolic links");
    /* Dangling links: nothing read; the outside target is not revealed. */
    const char *d = refuse("dangling", PATHS_FILE);
    assert_not_contains(d, "nonexistent");
    assert_contains(refuse("dangling_in", PATHS_FILE), "not found");
    assert_contains(refuse("missing.txt", PATHS_FILE), "Path not found: missing.txt");
    assert_contains(refuse("../missing", PATHS_FILE), "outside the project roots");
    assert_contains(refuse("", PATHS_ANY), "must not be empty");
}

static void test_kinds_and_limits(void **state) {
    (void)state;
    assert_contains(refuse("sub", PATHS_FILE), "Not a regular file: sub");
    assert_contains(refuse("a.txt", PATHS_DIR), "Not a directory: a.txt");
    assert_contains(refuse("fifo", PATHS_FILE), "Not a regular file");
    assert_contains(refuse("fifo", PATHS_ANY), "Not a regular file or directory");
    char *longp = malloc(PATH_MAX + 100);
    memset(longp, 'a', PATH_MAX + 99);
    longp[PATH_MAX + 99] = '\0';
    assert_contains(refuse(longp, PATHS_ANY), "too long");
    /* Long but legal: many ./ components. */
    size_t n = 0;
    for (; n + 2 < 3000; n += 2) memcpy(longp + n, "./", 2);
    snprintf(longp + n, 100, "a.txt");
    ok(longp, PATHS_FILE, "/a.txt");
    free(longp);
}

static void test_several_roots_and_default(void **state) {
    (void)state;
    char roots[PATH_MAX * 2];
    snprintf(roots, sizeof roots, "/nonexistent-root:%s:%s", root, outside);
    lt_err err;
    char out[PATH_MAX], p[PATH_MAX];
    snprintf(p, sizeof p, "%s/secret.txt", outside);
    assert_int_equal(paths_resolve(roots, p, PATHS_FILE, out, &err), 0);
    /* Relative paths are taken from the first existing root. */
    assert_int_equal(paths_resolve(roots, "a.txt", PATHS_FILE, out, &err), 0);
    /* NULL roots: the current directory. */
    char cwd[PATH_MAX];
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(root), 0);
    assert_int_equal(paths_resolve(NULL, "a.txt", PATHS_FILE, out, &err), 0);
    assert_int_equal(paths_resolve("", "a.txt", PATHS_FILE, out, &err), 0);
    assert_int_not_equal(paths_resolve(NULL, "/etc/passwd", PATHS_FILE, out, &err), 0);
    assert_int_equal(chdir(cwd), 0);
    assert_int_not_equal(paths_resolve("/nonexistent-root", "a.txt", PATHS_FILE, out, &err), 0);
    assert_contains(err.msg, "No project root exists");
    char r[PATH_MAX];
    assert_int_equal(paths_resolve(roots, "a.txt", PATHS_FILE, out, &err), 0);
    assert_int_equal(paths_root_of(roots, out, r), 0);
    char real_root[PATH_MAX];
    assert_non_null(realpath(root, real_root));
    assert_string_equal(r, real_root);
    assert_int_equal(paths_root_of(roots, "/etc", r), -1);
}

int main(void) {
    tu_quiet();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_inside),
        cmocka_unit_test(test_escapes),
        cmocka_unit_test(test_kinds_and_limits),
        cmocka_unit_test(test_several_roots_and_default),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
