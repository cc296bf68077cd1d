/* Unit tests for code/watch: the monitor records a change within a bound,
 * re-checks it against the snapshot, follows new directories, ignores
 * hidden ones, respects its watch bound and the roots, and stops cleanly
 * (thread joined, descriptors closed: ASan and the fd count tell). */
#include "testutil.h"

#include "code/code.h"
#include "code/drift.h"
#include "code/snapshot.h"
#include "code/watch.h"

#include <dirent.h>

static char *dir, *db, real[PATH_MAX];
static store *st;
static store_options opt;

static int setup(void **state) {
    (void)state;
    dir = tu_tmpdir();
    assert_non_null(realpath(dir, real));
    db = tu_path(dir, "ltmc.db");
    st = tu_store_open(db);
    opt = (store_options){db, 2000, 4, 0, false};
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/src", real), mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/.git", real), mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/src/a.py", real), tu_write_file(p, "def f(a, b):\n    return a\n");
    return 0;
}

static int teardown(void **state) {
    (void)state;
    watch_shutdown();
    store_close(st);
    tu_rmrf(dir);
    free(dir), free(db);
    return 0;
}

/* inotify and eventfd descriptors open in this process (SQLite may keep a
 * closed connection's database fd while another connection holds locks on
 * the file, so all fds would not compare). */
static int open_fds(void) {
    int n = 0;
    DIR *d = opendir("/proc/self/fd");
    if (!d) return -1;
    struct dirent *e;
    while ((e = readdir(d))) {
        char p[PATH_MAX], t[PATH_MAX];
        snprintf(p, sizeof p, "/proc/self/fd/%s", e->d_name);
        ssize_t len = readlink(p, t, sizeof t - 1);
        if (len <= 0) continue;
        t[len] = '\0';
        if (strstr(t, "inotify") || strstr(t, "eventfd")) n++;
    }
    closedir(d);
    return n;
}

static int64_t count(const char *sql) {
    store_stmt *s = store_prepare(st, sql, NULL);
    assert_non_null(s);
    assert_int_equal(store_step(s, NULL), 1);
    int64_t v = store_col_int(s, 0);
    store_reset(s);
    return v;
}

/* Waits (up to ms) for n watch_events rows in the given status ('%' any). */
static double wait_events(int64_t n, const char *status, int ms) {
    uint64_t t0 = clock_mono_ns();
    char sql[200];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM watch_events WHERE status LIKE '%s'", status);
    while ((clock_mono_ns() - t0) / 1000000 < (uint64_t)ms) {
        if (count(sql) >= n) return (double)(clock_mono_ns() - t0) / 1e6;
        usleep(2000);
    }
    return -1;
}

static void test_monitor_records_and_rechecks(void **state) {
    (void)state;
    int fds_before = open_fds();
    /* A snapshot of src/a.py as it is, so the re-check can see drift. */
    char a[PATH_MAX];
    snprintf(a, sizeof a, "%s/src/a.py", real);
    code_file *f;
    lt_err err;
    const char *src = "def f(a, b):\n    return a\n";
    assert_int_equal(code_parse(src, strlen(src), CODE_LANG_PYTHON, &f, &err), 0);
    json_t *els = drift_elements(f);
    code_file_free(f);
    assert_int_equal(snapshot_save(st, "p", a, els, "2026-01-01T00:00:00.000Z", &err), 0);
    json_decref(els);

    const char *paths[] = {real};
    watch_config wc = {&opt, real, "p", paths, 1, 64};
    json_t *out = json_object();
    assert_int_equal(watch_start(&wc, out, &err), 0);
    assert_int_equal(open_fds(), fds_before + 2);
    assert_int_equal(jx_int(out, "watch_count", 0), 2); /* the root and src/, not .git */
    json_decref(out);
    json_t *s = watch_status();
    assert_true(jx_bool(s, "is_active", false));
    assert_json_str(s, "status", "running");
    json_decref(s);

    /* A change is recorded within the bound (generous: ASan, a shared machine). */
    tu_write_file(a, "def f(a):\n    return a\n");
    double ms = wait_events(1, "%", 2000);
    assert_true(ms >= 0);
    assert_true(wait_events(1, "processed", 5000) >= 0);
    store_stmt *q = store_prepare(st, "SELECT path, event, result FROM watch_events ORDER BY id LIMIT 1", NULL);
    assert_int_equal(store_step(q, NULL), 1);
    assert_string_equal(store_col_text(q, 0), a);
    assert_string_equal(store_col_text(q, 1), "modified");
    json_t *r = tu_parse(store_col_text(q, 2));
    store_reset(q);
    assert_true(jx_bool(r, "drift_detected", false));
    assert_contains(jx_str(json_array_get(json_object_get(r, "drift_items"), 0), "detail"), "'b' removed");
    json_decref(r);

    /* Hidden directories and non-source files are not events. */
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/.git/x.py", real), tu_write_file(p, "x = 1\n");
    snprintf(p, sizeof p, "%s/src/data.bin", real), tu_write_file(p, "zz");
    /* A new directory is followed. */
    snprintf(p, sizeof p, "%s/src/new", real), mkdir(p, 0755);
    usleep(100 * 1000);
    snprintf(p, sizeof p, "%s/src/new/b.go", real), tu_write_file(p, "package b\n");
    assert_true(wait_events(2, "%", 2000) >= 0);
    usleep(100 * 1000);
    assert_int_equal(count("SELECT count(*) FROM watch_events"), 2);
    assert_int_equal(count("SELECT count(*) FROM watch_events WHERE path LIKE '%/src/new/b.go'"), 1);
    /* A deletion is an event too; the re-check reports the snapshot's elements removed. */
    unlink(a);
    assert_true(wait_events(3, "processed", 5000) >= 0);
    q = store_prepare(st, "SELECT event, result FROM watch_events ORDER BY id DESC LIMIT 1", NULL);
    assert_int_equal(store_step(q, NULL), 1);
    assert_string_equal(store_col_text(q, 0), "deleted");
    assert_contains(store_col_text(q, 1), "\"removed\"");
    store_reset(q);

    s = watch_status();
    assert_int_equal(jx_int(s, "events_recorded", 0), 3);
    assert_non_null(json_object_get(s, "last_event"));
    json_decref(s);
    watch_health_info h;
    watch_health(&h);
    assert_true(h.active);
    assert_int_equal(h.events, 3);

    /* A markdown document is checked against the project's snapshot. */
    snprintf(p, sizeof p, "%s/README.md", real), tu_write_file(p, "# Use\n\nCall `f(a, c)`.\n");
    assert_true(wait_events(4, "processed", 5000) >= 0);
    q = store_prepare(st, "SELECT result FROM watch_events ORDER BY id DESC LIMIT 1", NULL);
    assert_int_equal(store_step(q, NULL), 1);
    r = tu_parse(store_col_text(q, 0));
    store_reset(q);
    assert_json_str(r, "kind", "document");
    assert_true(jx_bool(r, "drift_detected", false));
    assert_json_str(json_array_get(json_object_get(r, "drift_items"), 0), "kind", "signature_changed");
    json_decref(r);

    bool was = false;
    out = json_object();
    watch_stop(&was, out);
    assert_true(was);
    assert_json_int(out, "events_recorded", 4);
    json_decref(out);
    s = watch_status();
    assert_false(jx_bool(s, "is_active", true));
    json_decref(s);
    watch_stop(&was, NULL);
    assert_false(was);
    assert_int_equal(open_fds(), fds_before); /* inotify, eventfd and the store all closed */
}

static void test_bounds_and_roots(void **state) {
    (void)state;
    char p[PATH_MAX];
    for (int i = 0; i < 5; i++) snprintf(p, sizeof p, "%s/d%d", real, i), mkdir(p, 0755);
    const char *paths[] = {real};
    watch_config wc = {&opt, real, "p", paths, 1, 3};
    json_t *out = json_object();
    lt_err err;
    assert_int_equal(watch_start(&wc, out, &err), 0);
    assert_int_equal(jx_int(out, "watch_count", 0), 3);
    assert_true(jx_bool(out, "truncated", false));
    json_decref(out);

    /* Starting again replaces the running monitor; a single file is watched
     * through its directory, and only it counts. */
    char a[PATH_MAX];
    snprintf(a, sizeof a, "%s/d0/one.c", real);
    tu_write_file(a, "int one;\n");
    const char *file[] = {a};
    watch_config wf = {&opt, real, "p", file, 1, 8};
    out = json_object();
    assert_int_equal(watch_start(&wf, out, &err), 0);
    assert_int_equal(jx_int(out, "watch_count", 0), 1);
    json_decref(out);
    int64_t before = count("SELECT count(*) FROM watch_events");
    snprintf(p, sizeof p, "%s/d0/other.c", real), tu_write_file(p, "int other;\n");
    tu_write_file(a, "int one = 1;\n");
    assert_true(wait_events(before + 1, "%", 2000) >= 0);
    usleep(100 * 1000);
    assert_int_equal(count("SELECT count(*) FROM watch_events"), before + 1);

    /* Paths outside the roots are never watched. */
    char sub[PATH_MAX];
    snprintf(sub, sizeof sub, "%s/d1", real);
    const char *outside[] = {"/etc"};
    watch_config wo = {&opt, sub, "p", outside, 1, 8};
    out = json_object();
    assert_int_equal(watch_start(&wo, out, &err), -1);
    assert_contains(err.msg, "Nothing to watch");
    json_decref(out);
    /* the failed start left the running monitor alone */
    json_t *s = watch_status();
    assert_true(jx_bool(s, "is_active", false));
    json_decref(s);
    watch_shutdown();
    s = watch_status();
    assert_false(jx_bool(s, "is_active", true));
    json_decref(s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_monitor_records_and_rechecks),
        cmocka_unit_test(test_bounds_and_roots),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
