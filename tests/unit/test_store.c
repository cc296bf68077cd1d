/* Unit tests for store/store: open, WAL, migrations, statement cache,
 * transactions (commit, rollback, retry under contention), integrity. */
#include "testutil.h"

#include <pthread.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <time.h>

typedef struct {
    char *dir;
    char *db;
} fx;

static int setup(void **state) {
    fx *f = calloc(1, sizeof *f);
    f->dir = tu_tmpdir();
    f->db = tu_path(f->dir, "test.db");
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fx *f = *state;
    tu_rmrf(f->dir);
    free(f->dir);
    free(f->db);
    free(f);
    return 0;
}

static int64_t scalar(store *st, const char *sql) {
    lt_err err;
    store_stmt *s = store_prepare(st, sql, &err);
    if (!s) fail_msg("prepare %s: %s", sql, err.msg);
    if (store_step(s, &err) != 1) fail_msg("step %s: %s", sql, err.msg);
    int64_t v = store_col_int(s, 0);
    store_reset(s);
    return v;
}

static char *scalar_text(store *st, const char *sql) {
    lt_err err;
    store_stmt *s = store_prepare(st, sql, &err);
    assert_non_null(s);
    assert_int_equal(store_step(s, &err), 1);
    char *v = strdup(store_col_text(s, 0));
    store_reset(s);
    return v;
}

static void test_open_gives_wal_and_latest_schema(void **state) {
    fx *f = *state;
    store *st = tu_store_open(f->db);
    assert_string_equal(store_path(st), f->db);
    char *jm = scalar_text(st, "PRAGMA journal_mode");
    assert_string_equal(jm, "wal");
    free(jm);
    size_t n;
    const schema_migration *ms = schema_migrations(&n);
    assert_int_equal(store_latest_schema_version(), ms[n - 1].version);
    assert_int_equal(store_schema_version(st), store_latest_schema_version());
    assert_int_equal(scalar(st, "SELECT count(*) FROM schema_migrations"), (int64_t)n);
    assert_int_equal(scalar(st, "SELECT count(*) FROM sqlite_master WHERE name IN ('todos','chat_messages')"), 2);
    /* The pragmas of the options. */
    assert_int_equal(scalar(st, "PRAGMA foreign_keys"), 1);
    assert_int_equal(scalar(st, "PRAGMA synchronous"), 1); /* NORMAL */
    assert_int_equal(scalar(st, "PRAGMA cache_size"), -4 * 1024);
    assert_int_equal(scalar(st, "PRAGMA busy_timeout"), 2000);
    json_t *info = store_info(st);
    assert_json_str(info, "journal_mode", "wal");
    assert_json_str(info, "path", f->db);
    assert_json_str(info, "sqlite_version", sqlite3_libversion());
    assert_json_int(info, "schema_version", store_latest_schema_version());
    assert_true(jx_int(info, "size_bytes", 0) > 0);
    assert_true(json_is_boolean(json_object_get(info, "fts5")));
    assert_true(json_is_integer(json_object_get(info, "free_pages")));
    json_decref(info);
    store_close(st);

    store_options full = {f->db, 100, 2, 8, true};
    lt_err err;
    st = store_open(&full, &err);
    assert_non_null(st);
    assert_int_equal(scalar(st, "PRAGMA synchronous"), 2); /* FULL */
    assert_int_equal(scalar(st, "PRAGMA cache_size"), -2 * 1024);
    store_close(st);
}

static void test_migrations_idempotent_on_reopen(void **state) {
    fx *f = *state;
    store *st = tu_store_open(f->db);
    assert_int_equal(store_exec(st, "INSERT INTO todos(project,title,created_at,updated_at) "
                                    "VALUES ('p','kept','t','t')", NULL), 0);
    char *applied = scalar_text(st, "SELECT group_concat(applied_at) FROM schema_migrations");
    store_close(st);
    for (int i = 0; i < 3; i++) {
        st = tu_store_open(f->db);
        assert_int_equal(store_schema_version(st), store_latest_schema_version());
        size_t n;
        schema_migrations(&n);
        assert_int_equal(scalar(st, "SELECT count(*) FROM schema_migrations"), (int64_t)n);
        assert_int_equal(scalar(st, "SELECT count(*) FROM todos WHERE title = 'kept'"), 1);
        char *again = scalar_text(st, "SELECT group_concat(applied_at) FROM schema_migrations");
        assert_string_equal(again, applied); /* not re-applied */
        free(again);
        store_close(st);
    }
    free(applied);
}

static void test_newer_schema_refused(void **state) {
    fx *f = *state;
    store *st = tu_store_open(f->db);
    char sql[200];
    snprintf(sql, sizeof sql,
             "INSERT INTO schema_migrations(version, name, applied_at) VALUES (%d, 'from the future', 'now')",
             store_latest_schema_version() + 1);
    assert_int_equal(store_exec(st, sql, NULL), 0);
    store_close(st);
    store_options opt = {f->db, 100, 4, 0, false};
    lt_err err;
    lt_err_clear(&err);
    assert_null(store_open(&opt, &err));
    assert_int_equal(err.code, LT_ERR_DB);
    assert_contains(err.msg, f->db);
    assert_contains(err.msg, "newer than this ltmc knows");
    assert_contains(err.msg, "upgrade ltmc");
    char v[16];
    snprintf(v, sizeof v, "%d", store_latest_schema_version() + 1);
    assert_contains(err.msg, v);
}

static void test_open_errors(void **state) {
    (void)state;
    store_options opt = {"/nonexistent-ltmc-dir/sub/x.db", 100, 4, 0, false};
    lt_err err;
    lt_err_clear(&err);
    assert_null(store_open(&opt, &err));
    assert_true(err.code != LT_OK);
    assert_contains(err.msg, "/nonexistent-ltmc-dir/sub/x.db");

    /* A file that is not a database. */
    fx *f = *state;
    tu_write_file(f->db, "this is not an SQLite database, just some text that is long enough......"
                         "..........................................................................");
    opt.path = f->db;
    lt_err_clear(&err);
    assert_null(store_open(&opt, &err));
    assert_contains(err.msg, f->db);
}

static void test_memory_store(void **state) {
    (void)state;
    store *st = tu_store_open(":memory:");
    assert_int_equal(store_schema_version(st), store_latest_schema_version());
    assert_int_equal(store_check_integrity(st, true, NULL), 0);
    store_close(st);
}

static void test_statement_cache(void **state) {
    fx *f = *state;
    store *st = tu_store_open(f->db);
    lt_err err;
    store_stmt *a = store_prepare(st, "SELECT ?1 AS v", &err);
    assert_non_null(a);
    store_stmt *b = store_prepare(st, "SELECT 2", &err);
    assert_non_null(b);
    assert_ptr_not_equal(a, b);
    assert_ptr_equal(store_prepare(st, "SELECT ?1 AS v", &err), a);
    assert_ptr_equal(store_prepare(st, "SELECT 2", &err), b);
    /* Same text with different bytes is another statement. */
    assert_ptr_not_equal(store_prepare(st, "SELECT ?1 AS v ", &err), a);

    /* A cached statement comes back reset, with its bindings cleared. */
    store_bind_int(a, 1, 42);
    assert_int_equal(store_step(a, &err), 1);
    assert_int_equal(store_col_int(a, 0), 42);
    store_stmt *again = store_prepare(st, "SELECT ?1 AS v", &err); /* left mid-result on purpose */
    assert_ptr_equal(again, a);
    assert_int_equal(store_step(again, &err), 1);
    assert_true(store_col_is_null(again, 0));
    assert_int_equal(store_step(again, &err), 0);

    /* More distinct statements than cache slots still work. */
    for (int i = 0; i < 400; i++) {
        char sql[64];
        snprintf(sql, sizeof sql, "SELECT %d + 0", i);
        store_stmt *s = store_prepare(st, sql, &err);
        if (!s) fail_msg("prepare %d failed: %s", i, err.msg);
        assert_int_equal(store_step(s, &err), 1);
        assert_int_equal(store_col_int(s, 0), i);
        store_reset(s);
    }
    /* Earlier cached ones are still valid. */
    assert_ptr_equal(store_prepare(st, "SELECT 2", &err), b);
    assert_int_equal(store_step(b, &err), 1);
    assert_int_equal(store_col_int(b, 0), 2);
    store_reset(b);

    /* A bad statement is an error, not a cache entry. */
    lt_err_clear(&err);
    assert_null(store_prepare(st, "SELEKT nothing", &err));
    assert_int_equal(err.code, LT_ERR_DB);
    assert_contains(err.msg, "prepare");
    assert_contains(err.msg, "syntax error");
    assert_null(store_prepare(st, "SELEKT nothing", &err));
    store_close(st);
}

static void test_bind_and_columns(void **state) {
    fx *f = *state;
    store *st = tu_store_open(f->db);
    lt_err err;
    store_stmt *s = store_prepare(st, "SELECT ?1, ?2, ?3, ?4, ?5", &err);
    store_bind_text(s, 1, "héllo");
    store_bind_text(s, 2, NULL);
    store_bind_int(s, 3, INT64_MIN);
    store_bind_real(s, 4, -0.25);
    store_bind_null(s, 5);
    assert_int_equal(store_step(s, &err), 1);
    assert_string_equal(store_col_text(s, 0), "héllo");
    assert_true(store_col_is_null(s, 1));
    assert_true(store_col_int(s, 2) == INT64_MIN);
    assert_true(store_col_real(s, 3) == -0.25);
    assert_true(store_col_is_null(s, 4));
    assert_false(store_col_is_null(s, 0));
    store_reset(s);
    store_close(st);
}

static void test_row_json_types(void **state) {
    fx *f = *state;
    store *st = tu_store_open(f->db);
    lt_err err;
    store_stmt *s = store_prepare(st,
                                  "SELECT 7 AS i, 2.5 AS r, 'txt' AS t, NULL AS n, 9223372036854775807 AS big,"
                                  " CAST(x'610062' AS TEXT) AS withnul, CAST(x'ff' AS TEXT) AS bad, '' AS empty",
                                  &err);
    assert_non_null(s);
    assert_int_equal(store_step(s, &err), 1);
    json_t *row = store_row_json(s);
    store_reset(s);
    char *keys = jx_dump(row);
    assert_json_int(row, "i", 7);
    assert_true(json_is_real(json_object_get(row, "r")));
    assert_true(json_real_value(json_object_get(row, "r")) == 2.5);
    assert_json_str(row, "t", "txt");
    assert_true(json_is_null(json_object_get(row, "n")));
    assert_true(json_integer_value(json_object_get(row, "big")) == INT64_MAX);
    assert_int_equal(json_string_length(json_object_get(row, "withnul")), 3);
    assert_true(json_is_null(json_object_get(row, "bad"))); /* not UTF-8 */
    assert_json_str(row, "empty", "");
    assert_int_equal(json_object_size(row), 8);
    /* Columns come in select order. */
    assert_true(strncmp(keys, "{\"i\":7,\"r\":2.5,\"t\":\"txt\"", 23) == 0);
    free(keys);
    json_decref(row);
    store_close(st);
}

static void test_exec_errors(void **state) {
    fx *f = *state;
    store *st = tu_store_open(f->db);
    lt_err err;
    assert_int_equal(store_exec(st, "CREATE TABLE t(x INTEGER); INSERT INTO t VALUES (1); INSERT INTO t VALUES (2)",
                                &err), 0);
    assert_int_equal(scalar(st, "SELECT sum(x) FROM t"), 3);
    lt_err_clear(&err);
    assert_int_equal(store_exec(st, "INSERT INTO missing VALUES (1)", &err), -1);
    assert_int_equal(err.code, LT_ERR_DB);
    assert_contains(err.msg, "no such table: missing");
    assert_int_equal(store_exec(st, "garbage", NULL), -1);
    store_close(st);
}

/* ---- store_write ---- */

typedef struct {
    int runs;
    int rows;      /* rows to insert */
    bool fail;     /* then fail */
    const char *priority;
    int64_t last_id;
    int changes;
} write_job;

static int insert_rows(store *st, void *vctx, lt_err *err) {
    write_job *j = vctx;
    j->runs++;
    for (int i = 0; i < j->rows; i++) {
        store_stmt *s = store_prepare(st,
                                      "INSERT INTO todos(project, title, priority, created_at, updated_at) "
                                      "VALUES ('p', ?, ?, 'now', 'now')",
                                      err);
        if (!s) return -1;
        char title[32];
        snprintf(title, sizeof title, "row %d", i);
        store_bind_text(s, 1, title);
        store_bind_text(s, 2, j->priority ? j->priority : "low");
        if (store_step(s, err) < 0) return -1;
        j->last_id = store_last_insert_id(st);
        j->changes = store_changes(st);
    }
    if (j->fail) return lt_err_set(err, LT_ERR_NOT_FOUND, "the caller changed its mind");
    return 0;
}

static void test_write_commits(void **state) {
    fx *f = *state;
    store *st = tu_store_open(f->db);
    write_job j = {0, 3, false, NULL, 0, 0};
    lt_err err;
    assert_int_equal(store_write(st, insert_rows, &j, &err), 0);
    assert_int_equal(j.runs, 1);
    assert_int_equal(j.changes, 1);
    assert_int_equal(j.last_id, 3);
    store_close(st);
    /* Committed: visible from a new connection. */
    st = tu_store_open(f->db);
    assert_int_equal(scalar(st, "SELECT count(*) FROM todos"), 3);
    store_close(st);
}

static void test_write_rolls_back_on_failure(void **state) {
    fx *f = *state;
    store *st = tu_store_open(f->db);
    write_job ok = {0, 1, false, NULL, 0, 0};
    assert_int_equal(store_write(st, insert_rows, &ok, NULL), 0);

    write_job bad = {0, 5, true, NULL, 0, 0};
    lt_err err;
    lt_err_clear(&err);
    assert_int_equal(store_write(st, insert_rows, &bad, &err), -1);
    assert_int_equal(bad.runs, 1); /* not a lock problem: not retried */
    assert_int_equal(err.code, LT_ERR_NOT_FOUND);
    assert_string_equal(err.msg, "the caller changed its mind");
    assert_int_equal(scalar(st, "SELECT count(*) FROM todos"), 1); /* no partial write */

    /* A constraint violation in the middle: also all or nothing. */
    write_job constraint = {0, 2, false, "someday", 0, 0};
    lt_err_clear(&err);
    assert_int_equal(store_write(st, insert_rows, &constraint, &err), -1);
    assert_int_equal(err.code, LT_ERR_CONFLICT);
    assert_contains(err.msg, "CHECK constraint failed");
    assert_int_equal(scalar(st, "SELECT count(*) FROM todos"), 1);
    /* NULL err is fine. */
    assert_int_equal(store_write(st, insert_rows, &bad, NULL), -1);
    /* The connection is usable afterwards (no transaction left open). */
    assert_int_equal(store_write(st, insert_rows, &ok, NULL), 0);
    assert_int_equal(scalar(st, "SELECT count(*) FROM todos"), 2);
    store_close(st);
}

/* A second connection that holds the write lock until told to let go (or a
 * deadline), and writes a row of its own inside that transaction. */
typedef struct {
    const char *path;
    int hold_ms;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool holding, release;
    int rc;
} holder;

static void *hold_lock(void *arg) {
    holder *h = arg;
    sqlite3 *db = NULL;
    h->rc = sqlite3_open(h->path, &db);
    if (h->rc == SQLITE_OK) h->rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    if (h->rc == SQLITE_OK)
        h->rc = sqlite3_exec(db, "INSERT INTO todos(project, title, created_at, updated_at) "
                                 "VALUES ('p', 'from the other connection', 'now', 'now')", NULL, NULL, NULL);
    pthread_mutex_lock(&h->mu);
    h->holding = true;
    pthread_cond_broadcast(&h->cv);
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += h->hold_ms / 1000;
    deadline.tv_nsec += (long)(h->hold_ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) { deadline.tv_sec++; deadline.tv_nsec -= 1000000000L; }
    while (!h->release)
        if (pthread_cond_timedwait(&h->cv, &h->mu, &deadline) != 0) break;
    pthread_mutex_unlock(&h->mu);
    if (h->rc == SQLITE_OK) h->rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    sqlite3_close(db);
    return NULL;
}

static void start_holder(holder *h, pthread_t *th) {
    pthread_mutex_init(&h->mu, NULL);
    pthread_cond_init(&h->cv, NULL);
    assert_int_equal(pthread_create(th, NULL, hold_lock, h), 0);
    pthread_mutex_lock(&h->mu);
    while (!h->holding) pthread_cond_wait(&h->cv, &h->mu);
    pthread_mutex_unlock(&h->mu);
}

static void stop_holder(holder *h, pthread_t th) {
    pthread_mutex_lock(&h->mu);
    h->release = true;
    pthread_cond_broadcast(&h->cv);
    pthread_mutex_unlock(&h->mu);
    pthread_join(th, NULL);
    pthread_mutex_destroy(&h->mu);
    pthread_cond_destroy(&h->cv);
}

static void test_write_retries_under_contention(void **state) {
    fx *f = *state;
    store *st = tu_store_open_opts(f->db, 1); /* one attempt waits 1 ms at most */
    holder h = {.path = f->db, .hold_ms = 150};
    pthread_t th;
    start_holder(&h, &th);
    assert_int_equal(h.rc, SQLITE_OK);
    uint64_t t0 = clock_mono_ns();
    write_job j = {0, 1, false, NULL, 0, 0};
    lt_err err;
    lt_err_clear(&err);
    int rc = store_write(st, insert_rows, &j, &err);
    uint64_t waited_ms = (clock_mono_ns() - t0) / 1000000;
    stop_holder(&h, th);
    if (rc != 0) fail_msg("store_write under contention failed: %s", err.msg);
    assert_int_equal(h.rc, SQLITE_OK);
    assert_true(waited_ms >= 100); /* it really waited for the other writer */
    assert_int_equal(j.runs, 1);
    /* Neither write was lost. */
    assert_int_equal(scalar(st, "SELECT count(*) FROM todos WHERE title = 'row 0'"), 1);
    assert_int_equal(scalar(st, "SELECT count(*) FROM todos WHERE title = 'from the other connection'"), 1);
    store_close(st);
}

static void test_write_gives_up_with_busy(void **state) {
    fx *f = *state;
    store *st = tu_store_open_opts(f->db, 1);
    holder h = {.path = f->db, .hold_ms = 10000};
    pthread_t th;
    start_holder(&h, &th);
    write_job j = {0, 1, false, NULL, 0, 0};
    lt_err err;
    lt_err_clear(&err);
    int rc = store_write(st, insert_rows, &j, &err);
    stop_holder(&h, th);
    assert_int_equal(rc, -1);
    assert_int_equal(err.code, LT_ERR_BUSY);
    assert_contains(err.msg, "busy");
    assert_contains(err.msg, "attempts");
    assert_int_equal(j.runs, 0);
    assert_int_equal(scalar(st, "SELECT count(*) FROM todos WHERE title = 'row 0'"), 0);
    /* Once the lock is gone, writes work again. */
    assert_int_equal(store_write(st, insert_rows, &j, &err), 0);
    store_close(st);
}

static void test_integrity_check(void **state) {
    fx *f = *state;
    store *st = tu_store_open(f->db);
    write_job j = {0, 50, false, NULL, 0, 0};
    assert_int_equal(store_write(st, insert_rows, &j, NULL), 0);
    lt_err err;
    lt_err_clear(&err);
    assert_int_equal(store_check_integrity(st, false, &err), 0);
    assert_int_equal(store_check_integrity(st, true, &err), 0);
    assert_int_equal(err.code, LT_OK);
    store_close(st);
}

/* A deadline stops a runaway statement (here an endless recursive CTE)
 * with LT_ERR_TIMEOUT, leaves the connection usable, and once cleared no
 * longer applies; a write stopped by it rolls back. */
static int endless_write(store *st, void *vctx, lt_err *err) {
    (void)vctx;
    store_stmt *s = store_prepare(st, "INSERT INTO todos(project, title, created_at, updated_at) VALUES ('p','t','t','t')",
                                  err);
    if (!s || store_step(s, err) < 0) return -1;
    s = store_prepare(st, "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c", err);
    if (!s) return -1;
    return store_step(s, err) < 0 ? -1 : 0;
}

static void test_deadline(void **state) {
    fx *f = *state;
    store *st = tu_store_open(f->db);
    lt_err err;
    lt_err_clear(&err);
    const char *endless = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c";
    store_stmt *s = store_prepare(st, endless, &err);
    assert_non_null(s);
    uint64_t t0 = clock_mono_ns();
    store_set_deadline(st, t0 + 50 * 1000000ull);
    assert_int_equal(store_step(s, &err), -1);
    uint64_t ms = (clock_mono_ns() - t0) / 1000000;
    assert_int_equal(err.code, LT_ERR_TIMEOUT);
    assert_contains(err.msg, "time limit");
    assert_true(ms >= 49 && ms < 2000);
    /* The connection is still usable; cleared, the deadline stops nothing. */
    store_set_deadline(st, 0);
    assert_int_equal(scalar(st, "SELECT 7"), 7);
    s = store_prepare(st, "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 200000)"
                          " SELECT count(*) FROM c", &err);
    assert_int_equal(store_step(s, &err), 1);
    assert_int_equal(store_col_int(s, 0), 200000);
    store_reset(s);
    /* A write past its deadline rolls back. */
    store_set_deadline(st, clock_mono_ns() + 30 * 1000000ull);
    assert_int_equal(store_write(st, endless_write, NULL, &err), -1);
    store_set_deadline(st, 0);
    assert_int_equal(err.code, LT_ERR_TIMEOUT);
    assert_int_equal(scalar(st, "SELECT count(*) FROM todos"), 0);
    store_close(st);
}

static int insert_page(store *st, void *ctx, lt_err *err) {
    (void)ctx;
    store_stmt *s = store_prepare(st, "INSERT INTO big(x) VALUES (randomblob(3000))", err);
    return s && store_step(s, err) == 0 ? 0 : -1;
}

/* With the checkpoint moved to a thread, commits keep going while the WAL
 * is copied back, and the WAL still stays near its threshold (4,000
 * pages): without any checkpoint, 9,000 commits of a page or two would
 * grow it past 12,000 pages. Closing stops the thread (ASan sees it joined, its connection
 * closed). */
static void test_background_checkpoint(void **state) {
    fx *f = *state;
    lt_err err;
    store *st = tu_store_open(f->db);
    assert_int_equal(store_exec(st, "CREATE TABLE big(x BLOB)", &err), 0);
    assert_int_equal(store_checkpoint_in_background(st, &err), 0);
    for (int i = 0; i < 9000; i++) {
        assert_int_equal(store_write(st, insert_page, NULL, &err), 0);
        if (i % 500 == 499) { /* give the thread its turn on a busy machine */
            struct timespec ts = {0, 20 * 1000000L};
            nanosleep(&ts, NULL);
        }
    }
    char *wal = tu_path(f->dir, "test.db-wal");
    struct stat sb;
    assert_int_equal(stat(wal, &sb), 0);
    assert_true(sb.st_size < 9000 * (4096 + 24));
    assert_true(sb.st_size > 0);
    free(wal);
    assert_int_equal(scalar(st, "SELECT count(*) FROM big"), 9000);
    store_close(st);
    st = tu_store_open(f->db);
    assert_int_equal(scalar(st, "SELECT count(*) FROM big"), 9000);
    /* Nothing to do for a database in memory. */
    store *mem = tu_store_open(":memory:");
    assert_int_equal(store_checkpoint_in_background(mem, &err), 0);
    store_close(mem);
    store_close(st);
}

int main(void) {
    tu_quiet();
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_open_gives_wal_and_latest_schema),
        T(test_migrations_idempotent_on_reopen),
        T(test_newer_schema_refused),
        T(test_open_errors),
        T(test_memory_store),
        T(test_statement_cache),
        T(test_bind_and_columns),
        T(test_row_json_types),
        T(test_exec_errors),
        T(test_write_commits),
        T(test_write_rolls_back_on_failure),
        T(test_write_retries_under_contention),
        T(test_write_gives_up_with_busy),
        T(test_integrity_check),
        T(test_deadline),
        T(test_background_checkpoint),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
