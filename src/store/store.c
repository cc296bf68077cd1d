#include "store.h"

#include "../core/clock.h"
#include "../core/log.h"
#include "fts.h"
#include "schema.h"

#include <assert.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Statement cache: a fixed open-addressing table keyed by the SQL text. The
 * statements an ltmc process runs are a small fixed set, so it never fills;
 * if it does, the statement is simply not cached. */
#define STMT_CACHE_SLOTS 256
#define WRITE_ATTEMPTS 12
#define READ_ATTEMPTS 12

typedef struct {
    uint64_t hash;
    char *sql;
    sqlite3_stmt *stmt;
} cached_stmt;

struct store {
    sqlite3 *db;
    char *path;
    int busy_timeout_ms;
    cached_stmt cache[STMT_CACHE_SLOTS];
    sqlite3_stmt *uncached; /* the one uncached statement alive, if the cache is full */
    uint64_t deadline_ns;   /* store_set_deadline; 0 = none */
    int64_t seen_data_version; /* store_data_changed; -1 before the first call */
};

static uint64_t fnv1a(const char *s) {
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static int db_error(store *st, lt_err *err, const char *what) {
    int rc = sqlite3_extended_errcode(st->db);
    lt_err_code code = ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED) ? LT_ERR_BUSY : LT_ERR_DB;
    return lt_err_set(err, code, "%s: %s", what, sqlite3_errmsg(st->db));
}

/* Sleeps a little longer each attempt, with jitter so that competing
 * processes do not retry in lockstep. */
static void backoff(int attempt) {
    long us = 1000L << (attempt < 6 ? attempt : 6);
    us += rand() % (us + 1);
    struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
    nanosleep(&ts, NULL);
}

static int is_busy(int rc) { return (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED; }

int store_exec(store *st, const char *sql, lt_err *err) {
    char *msg = NULL;
    int rc = sqlite3_exec(st->db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        if ((rc & 0xff) == SQLITE_INTERRUPT)
            lt_err_set(err, LT_ERR_TIMEOUT, "the query ran past its time limit and was stopped");
        else
            lt_err_set(err, is_busy(rc) ? LT_ERR_BUSY : LT_ERR_DB, "%s", msg ? msg : sqlite3_errstr(rc));
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

static int read_version(store *st, int *version, lt_err *err) {
    store_stmt *s = store_prepare(st, "SELECT coalesce(max(version), 0) FROM schema_migrations", err);
    if (!s || store_step(s, err) != 1) return -1;
    *version = (int)store_col_int(s, 0);
    sqlite3_reset(s);
    return 0;
}

typedef struct {
    const schema_migration *m;
    bool applied;
} migrate_ctx;

static int apply_one(store *st, void *vctx, lt_err *err) {
    migrate_ctx *ctx = vctx;
    int version;
    ctx->applied = false;
    if (read_version(st, &version, err)) return -1;
    if (version >= ctx->m->version) return 0; /* another process got there first */
    if (store_exec(st, ctx->m->sql, err)) {
        lt_err_prefix(err, "migration %d (%s)", ctx->m->version, ctx->m->name);
        return -1;
    }
    store_stmt *ins = store_prepare(
        st, "INSERT INTO schema_migrations(version, name, applied_at) "
            "VALUES (?, ?, strftime('%Y-%m-%dT%H:%M:%fZ','now'))", err);
    if (!ins) return -1;
    store_bind_int(ins, 1, ctx->m->version);
    store_bind_text(ins, 2, ctx->m->name);
    if (store_step(ins, err) < 0) return -1;
    ctx->applied = true;
    return 0;
}

static int migrate(store *st, lt_err *err) {
    if (store_exec(st, "CREATE TABLE IF NOT EXISTS schema_migrations ("
                       " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)", err))
        return -1;
    size_t n;
    const schema_migration *ms = schema_migrations(&n);
    int version;
    if (read_version(st, &version, err)) return -1;
    if (version > ms[n - 1].version)
        return lt_err_set(err, LT_ERR_DB,
                          "database %s has schema version %d, newer than this ltmc knows (%d); "
                          "upgrade ltmc", st->path, version, ms[n - 1].version);
    for (size_t i = 0; i < n; i++) {
        assert(i == 0 || ms[i].version > ms[i - 1].version);
        if (ms[i].version <= version) continue;
        migrate_ctx ctx = {&ms[i], false};
        if (store_write(st, apply_one, &ctx, err)) return -1;
        if (ctx.applied) LOG_I("applied migration %d (%s)", ms[i].version, ms[i].name);
    }
    return 0;
}

store *store_open(const store_options *opt, lt_err *err) {
    store *st = calloc(1, sizeof *st);
    if (!st) { lt_err_set(err, LT_ERR_INTERNAL, "out of memory"); return NULL; }
    st->path = strdup(opt->path);
    st->busy_timeout_ms = opt->busy_timeout_ms;
    st->seen_data_version = -1;
    int rc = sqlite3_open_v2(opt->path, &st->db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        lt_err_set(err, LT_ERR_DB, "cannot open database %s: %s", opt->path,
                   st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
        store_close(st);
        return NULL;
    }
    sqlite3_extended_result_codes(st->db, 1);
    sqlite3_busy_timeout(st->db, opt->busy_timeout_ms);
    if (fts_register(st->db) != 0) {
        lt_err_set(err, LT_ERR_DB, "this SQLite has no FTS5, which ltmc's full-text search needs");
        goto fail;
    }

    /* WAL lets readers run beside one writer in other processes; NORMAL
     * sync is crash-safe in WAL (a power cut may lose the last commits but
     * never corrupts). journal_mode=WAL is persistent in the file, so only
     * the first process to open a new database actually switches it, and
     * switching needs the lock: retry it like any other write. */
    char pragmas[512];
    snprintf(pragmas, sizeof pragmas,
             "PRAGMA foreign_keys=ON;"
             "PRAGMA synchronous=%s;"
             "PRAGMA cache_size=-%d;"
             "PRAGMA temp_store=MEMORY;"
             "PRAGMA mmap_size=%lld;",
             opt->synchronous_full ? "FULL" : "NORMAL", opt->cache_mb * 1024,
             (long long)opt->mmap_mb * 1024 * 1024);
    if (store_exec(st, pragmas, err)) goto fail;
    for (int attempt = 0;; attempt++) {
        lt_err e2;
        if (store_exec(st, "PRAGMA journal_mode=WAL", &e2) == 0) break;
        if (e2.code != LT_ERR_BUSY || attempt == WRITE_ATTEMPTS) { *err = e2; goto fail; }
        backoff(attempt);
    }
    if (migrate(st, err)) goto fail;
    return st;
fail:
    lt_err_prefix(err, "database %s", opt->path);
    store_close(st);
    return NULL;
}

void store_close(store *st) {
    if (!st) return;
    for (int i = 0; i < STMT_CACHE_SLOTS; i++) {
        sqlite3_finalize(st->cache[i].stmt);
        free(st->cache[i].sql);
    }
    sqlite3_finalize(st->uncached);
    if (st->db) {
        /* Leaves the WAL checkpointed and small when the last process exits. */
        sqlite3_exec(st->db, "PRAGMA optimize", NULL, NULL, NULL);
        sqlite3_close_v2(st->db);
    }
    free(st->path);
    free(st);
}

bool store_data_changed(store *st) {
    store_stmt *s = store_prepare(st, "PRAGMA data_version", NULL);
    int64_t v = -1;
    if (s && store_step(s, NULL) == 1) v = store_col_int(s, 0);
    if (s) store_reset(s);
    bool changed = v < 0 || v != st->seen_data_version;
    st->seen_data_version = v;
    return changed;
}

const char *store_path(const store *st) { return st->path; }

store_stmt *store_prepare(store *st, const char *sql, lt_err *err) {
    uint64_t h = fnv1a(sql);
    size_t slot = h % STMT_CACHE_SLOTS;
    for (size_t probe = 0; probe < STMT_CACHE_SLOTS; probe++) {
        cached_stmt *c = &st->cache[(slot + probe) % STMT_CACHE_SLOTS];
        if (!c->sql) {
            sqlite3_stmt *s = NULL;
            if (sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, NULL) != SQLITE_OK) {
                db_error(st, err, "prepare");
                return NULL;
            }
            c->hash = h;
            c->sql = strdup(sql);
            c->stmt = s;
            return s;
        }
        if (c->hash == h && strcmp(c->sql, sql) == 0) {
            sqlite3_reset(c->stmt);
            sqlite3_clear_bindings(c->stmt);
            return c->stmt;
        }
    }
    sqlite3_finalize(st->uncached);
    st->uncached = NULL;
    if (sqlite3_prepare_v2(st->db, sql, -1, &st->uncached, NULL) != SQLITE_OK) {
        db_error(st, err, "prepare");
        return NULL;
    }
    return st->uncached;
}

void store_bind_text(store_stmt *s, int idx, const char *val) {
    if (val) sqlite3_bind_text(s, idx, val, -1, SQLITE_TRANSIENT);
    else sqlite3_bind_null(s, idx);
}
void store_bind_iso_time(store_stmt *s, int idx, const char *iso) {
    int64_t ms;
    char buf[CLOCK_ISO_LEN];
    if (iso && clock_parse_iso(iso, &ms) == 0) {
        clock_format_iso(ms, buf, sizeof buf);
        store_bind_text(s, idx, buf);
    } else {
        store_bind_text(s, idx, iso);
    }
}
void store_bind_int(store_stmt *s, int idx, int64_t val) { sqlite3_bind_int64(s, idx, val); }
void store_bind_real(store_stmt *s, int idx, double val) { sqlite3_bind_double(s, idx, val); }
void store_bind_null(store_stmt *s, int idx) { sqlite3_bind_null(s, idx); }
void store_bind_blob(store_stmt *s, int idx, const void *data, size_t len) {
    sqlite3_bind_blob64(s, idx, data, (sqlite3_uint64)len, SQLITE_TRANSIENT);
}

int store_step(store_stmt *s, lt_err *err) {
    for (int attempt = 0;; attempt++) {
        int rc = sqlite3_step(s);
        if (rc == SQLITE_ROW) return 1;
        if (rc == SQLITE_DONE) return 0;
        sqlite3 *db = sqlite3_db_handle(s);
        /* Only a statement that has not produced rows is retried, and only
         * outside a transaction: inside one the caller (store_write) owns
         * the retry. */
        if (is_busy(rc) && sqlite3_get_autocommit(db) && attempt < READ_ATTEMPTS) {
            sqlite3_reset(s);
            backoff(attempt);
            continue;
        }
        if ((rc & 0xff) == SQLITE_INTERRUPT)
            lt_err_set(err, LT_ERR_TIMEOUT, "the query ran past its time limit and was stopped");
        else
            lt_err_set(err, is_busy(rc) ? LT_ERR_BUSY : (rc & 0xff) == SQLITE_CONSTRAINT ? LT_ERR_CONFLICT : LT_ERR_DB,
                       "%s", sqlite3_errmsg(db));
        sqlite3_reset(s);
        return -1;
    }
}

void store_reset(store_stmt *s) { sqlite3_reset(s); }

const char *store_col_text(store_stmt *s, int col) { return (const char *)sqlite3_column_text(s, col); }
int64_t store_col_int(store_stmt *s, int col) { return sqlite3_column_int64(s, col); }
double store_col_real(store_stmt *s, int col) { return sqlite3_column_double(s, col); }
bool store_col_is_null(store_stmt *s, int col) { return sqlite3_column_type(s, col) == SQLITE_NULL; }
const void *store_col_blob(store_stmt *s, int col) { return sqlite3_column_blob(s, col); }
size_t store_col_bytes(store_stmt *s, int col) { return (size_t)sqlite3_column_bytes(s, col); }

json_t *store_row_json(store_stmt *s) {
    json_t *row = json_object();
    int n = sqlite3_column_count(s);
    for (int i = 0; i < n; i++) {
        const char *name = sqlite3_column_name(s, i);
        json_t *v;
        switch (sqlite3_column_type(s, i)) {
        case SQLITE_INTEGER: v = json_integer(sqlite3_column_int64(s, i)); break;
        case SQLITE_FLOAT: v = json_real(sqlite3_column_double(s, i)); break;
        case SQLITE_NULL: v = json_null(); break;
        default:
            v = json_stringn((const char *)sqlite3_column_text(s, i), (size_t)sqlite3_column_bytes(s, i));
            if (!v) v = json_null(); /* not valid UTF-8: never produced by ltmc itself */
            break;
        }
        json_object_set_new(row, name, v);
    }
    return row;
}

/* The writers of this process queue here, so they wait their turn on a
 * mutex instead of in SQLite's busy handler, which polls with sleeps of up
 * to 100 ms: under an HTTP load with several workers writing, those sleeps
 * (not the writes) made most of the latency tail. Writers in other
 * processes still meet the busy timeout. Recursive, in case a write ever
 * opens another connection's write inside it. */
static pthread_mutex_t writers = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;

static int write_locked(store *st, store_write_fn fn, void *ctx, lt_err *err);

int store_write(store *st, store_write_fn fn, void *ctx, lt_err *err) {
    pthread_mutex_lock(&writers);
    int rc = write_locked(st, fn, ctx, err);
    pthread_mutex_unlock(&writers);
    return rc;
}

static int write_locked(store *st, store_write_fn fn, void *ctx, lt_err *err) {
    for (int attempt = 0;; attempt++) {
        lt_err e2;
        lt_err_clear(&e2);
        int rc = store_exec(st, "BEGIN IMMEDIATE", &e2);
        if (rc == 0) {
            rc = fn(st, ctx, &e2);
            if (rc == 0) rc = store_exec(st, "COMMIT", &e2);
            if (rc != 0 && !sqlite3_get_autocommit(st->db)) store_exec(st, "ROLLBACK", NULL);
            if (rc == 0) return 0;
        }
        if (e2.code != LT_ERR_BUSY || attempt == WRITE_ATTEMPTS) {
            if (e2.code == LT_ERR_BUSY)
                lt_err_set(&e2, LT_ERR_BUSY,
                           "the database stayed busy (held by another process) through %d attempts; try again",
                           attempt + 1);
            if (err) *err = e2;
            return -1;
        }
        LOG_D("write lock busy, retry %d", attempt + 1);
        backoff(attempt);
    }
}

/* SQLite calls this every few thousand virtual-machine instructions; a
 * non-zero return interrupts the running statement. */
static int past_deadline(void *vst) {
    const store *st = vst;
    return st->deadline_ns && clock_mono_ns() > st->deadline_ns;
}

void store_set_deadline(store *st, uint64_t deadline_ns) {
    st->deadline_ns = deadline_ns;
    if (deadline_ns) sqlite3_progress_handler(st->db, 1000, past_deadline, st);
    else sqlite3_progress_handler(st->db, 0, NULL, NULL);
}

int64_t store_last_insert_id(store *st) { return sqlite3_last_insert_rowid(st->db); }
int store_changes(store *st) { return sqlite3_changes(st->db); }

int store_check_integrity(store *st, bool full, lt_err *err) {
    store_stmt *s = store_prepare(st, full ? "PRAGMA integrity_check" : "PRAGMA quick_check", err);
    if (!s) return -1;
    int rc = store_step(s, err);
    if (rc < 0) return -1;
    const char *first = rc == 1 ? store_col_text(s, 0) : "no result";
    if (first && strcmp(first, "ok") == 0) {
        sqlite3_reset(s);
        return 0;
    }
    lt_err_set(err, LT_ERR_DB, "integrity check failed: %s", first ? first : "(null)");
    sqlite3_reset(s);
    return -1;
}

static int64_t pragma_int(store *st, const char *sql) {
    store_stmt *s = store_prepare(st, sql, NULL);
    int64_t v = (s && store_step(s, NULL) == 1) ? store_col_int(s, 0) : -1;
    if (s) sqlite3_reset(s);
    return v;
}

json_t *store_info(store *st) {
    json_t *o = json_object();
    json_object_set_new(o, "sqlite_version", json_string(sqlite3_libversion()));
    json_object_set_new(o, "path", json_string(st->path));
    store_stmt *s = store_prepare(st, "PRAGMA journal_mode", NULL);
    if (s && store_step(s, NULL) == 1) json_object_set_new(o, "journal_mode", json_string(store_col_text(s, 0)));
    if (s) sqlite3_reset(s);
    int64_t pages = pragma_int(st, "PRAGMA page_count"), page_size = pragma_int(st, "PRAGMA page_size");
    json_object_set_new(o, "size_bytes", json_integer(pages * page_size));
    json_object_set_new(o, "free_pages", json_integer(pragma_int(st, "PRAGMA freelist_count")));
    json_object_set_new(o, "schema_version", json_integer(store_schema_version(st)));
    json_object_set_new(o, "fts5", json_boolean(sqlite3_compileoption_used("ENABLE_FTS5")));
    return o;
}

int store_schema_version(store *st) {
    int v = 0;
    return read_version(st, &v, NULL) ? -1 : v;
}

int store_latest_schema_version(void) {
    size_t n;
    const schema_migration *ms = schema_migrations(&n);
    return ms[n - 1].version;
}
