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

typedef struct checkpointer checkpointer;

struct store {
    sqlite3 *db;
    char *path;
    store_options opt;      /* as opened (opt.path = path), for store_share_writer */
    store *writer;          /* runs this store's writes (store_share_writer); NULL: itself */
    int writer_refs;        /* a shared writer: the stores that use it */
    int busy_timeout_ms;
    cached_stmt cache[STMT_CACHE_SLOTS];
    sqlite3_stmt *uncached; /* the one uncached statement alive, if the cache is full */
    uint64_t deadline_ns;   /* store_set_deadline; 0 = none */
    int64_t data_version;   /* as store_data_changed last saw it; -1 = never looked */
    checkpointer *ckpt;     /* store_checkpoint_in_background; NULL: commits checkpoint themselves */
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

/* Process-wide SQLite settings, before SQLite initializes. Its memory
 * statistics (which ltmc never reads) take one global mutex around every
 * allocation of every connection: with the HTTP transport's connections
 * working side by side, that mutex was among the most contended. */
static pthread_once_t sqlite_once = PTHREAD_ONCE_INIT;
static void sqlite_setup(void) { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); }

store *store_open(const store_options *opt, lt_err *err) {
    pthread_once(&sqlite_once, sqlite_setup);
    store *st = calloc(1, sizeof *st);
    if (!st) { lt_err_set(err, LT_ERR_INTERNAL, "out of memory"); return NULL; }
    st->path = strdup(opt->path);
    st->data_version = -1;
    st->opt = *opt;
    st->opt.path = st->path;
    st->busy_timeout_ms = opt->busy_timeout_ms;
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

static void checkpointer_stop(store *st);

void store_close(store *st) {
    if (!st) return;
    if (st->writer && --st->writer->writer_refs == 0) store_close(st->writer);
    checkpointer_stop(st);
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
    store *w = st->writer ? st->writer : st;
    pthread_mutex_lock(&writers);
    if (w != st && w->deadline_ns != st->deadline_ns) store_set_deadline(w, st->deadline_ns);
    int rc = write_locked(w, fn, ctx, err);
    if (w != st && w->deadline_ns) store_set_deadline(w, 0);
    pthread_mutex_unlock(&writers);
    return rc;
}

/* Every write of the process then runs on the one connection: a connection
 * whose snapshot another one moved on throws away its page cache (and its
 * memory map of the file) at its next transaction, so with the HTTP pool's
 * connections taking turns to write, each write began by reading back from
 * the file the pages it was about to change. The writer's own commits never
 * invalidate its cache; only another process's writes do. */
int store_share_writer(store **stores, size_t n, lt_err *err) {
    assert(n > 0);
    /* Each connection to ":memory:" is a database of its own: a writer
     * would be one more, which its readers never see. */
    if (strcmp(stores[0]->path, ":memory:") == 0) return 0;
    store *w = store_open(&stores[0]->opt, err);
    if (!w) return -1;
    if (store_checkpoint_in_background(w, err)) { store_close(w); return -1; }
    for (size_t i = 0; i < n; i++) {
        assert(!stores[i]->writer && strcmp(stores[i]->path, w->path) == 0);
        stores[i]->writer = w;
        w->writer_refs++;
        /* Every write then unmaps the file from each of them (see above)
         * and the next read maps it again and faults its pages back in:
         * under a steady write load that cost more than reading the pages
         * with pread. Only the writer keeps its map. */
        store_exec(stores[i], "PRAGMA mmap_size=0", NULL);
    }
    return 0;
}

/* ---- checkpoints off the write path ------------------------------------------- */

/* SQLite's own automatic checkpoint runs inside the commit that takes the
 * WAL past its threshold: that commit then copies the WAL into the file
 * and waits for two fsyncs, while every other write of the process waits
 * behind it (store_write takes turns). Here the commit only signals a
 * thread with a connection of its own, which checkpoints passively (never
 * waiting for readers or writers) while writes go on. Should the WAL still
 * reach CKPT_BACKSTOP_PAGES (the thread cannot keep up, or readers pin old
 * frames), the committing connection checkpoints itself, as SQLite would:
 * the WAL stays bounded. */
/* Four times SQLite's default wal_autocheckpoint: the pages a burst of
 * writes changes again and again (b-tree roots, the full-text index's
 * structure) are copied back once per checkpoint, so fewer checkpoints
 * copy fewer pages; 4,000 pages is 16 MiB of WAL at the default page
 * size. */
#define CKPT_PAGES 4000
#define CKPT_BACKSTOP_PAGES 16000

struct checkpointer {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    store *own;  /* the thread's connection */
    bool wanted, stop;
};

static void *checkpointer_main(void *arg) {
    checkpointer *c = arg;
    pthread_mutex_lock(&c->lock);
    for (;;) {
        while (!c->wanted && !c->stop) pthread_cond_wait(&c->wake, &c->lock);
        if (c->stop) break;
        c->wanted = false;
        pthread_mutex_unlock(&c->lock);
        int rc = sqlite3_wal_checkpoint_v2(c->own->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
        if (rc != SQLITE_OK && !is_busy(rc)) LOG_W("checkpoint: %s", sqlite3_errmsg(c->own->db));
        pthread_mutex_lock(&c->lock);
    }
    pthread_mutex_unlock(&c->lock);
    return NULL;
}

/* SQLite calls this after each commit on the connection, its write lock
 * already released. */
static int on_wal_commit(void *arg, sqlite3 *db, const char *name, int pages) {
    checkpointer *c = arg;
    if (pages >= CKPT_BACKSTOP_PAGES) {
        sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    } else if (pages >= CKPT_PAGES) {
        pthread_mutex_lock(&c->lock);
        c->wanted = true;
        pthread_cond_signal(&c->wake);
        pthread_mutex_unlock(&c->lock);
    }
    return SQLITE_OK;
}

int store_checkpoint_in_background(store *st, lt_err *err) {
    assert(!st->ckpt && !st->writer);
    if (strcmp(st->path, ":memory:") == 0) return 0; /* no WAL */
    checkpointer *c = calloc(1, sizeof *c);
    if (!c) return lt_err_set(err, LT_ERR_INTERNAL, "out of memory");
    if (!(c->own = store_open(&st->opt, err))) { free(c); return -1; }
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->wake, NULL);
    if (pthread_create(&c->thread, NULL, checkpointer_main, c) != 0) {
        pthread_cond_destroy(&c->wake);
        pthread_mutex_destroy(&c->lock);
        store_close(c->own);
        free(c);
        return lt_err_set(err, LT_ERR_INTERNAL, "cannot start the checkpoint thread");
    }
    st->ckpt = c;
    sqlite3_wal_hook(st->db, on_wal_commit, c); /* replaces the automatic checkpoint */
    return 0;
}

static void checkpointer_stop(store *st) {
    checkpointer *c = st->ckpt;
    if (!c) return;
    if (st->db) sqlite3_wal_autocheckpoint(st->db, 1000); /* SQLite's own hook back, for the close */
    pthread_mutex_lock(&c->lock);
    c->stop = true;
    pthread_cond_signal(&c->wake);
    pthread_mutex_unlock(&c->lock);
    pthread_join(c->thread, NULL);
    pthread_cond_destroy(&c->wake);
    pthread_mutex_destroy(&c->lock);
    store_close(c->own);
    free(c);
    st->ckpt = NULL;
}

/* store_exec for one statement without rows, from the statement cache:
 * BEGIN and COMMIT run for every write, and sqlite3_exec would parse them
 * each time. Errors as store_exec's; never retried here. */
static int exec_cached(store *st, const char *sql, lt_err *err) {
    lt_err e2;
    store_stmt *s = store_prepare(st, sql, &e2);
    if (!s) return store_exec(st, sql, err);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_DONE || rc == SQLITE_ROW) {
        sqlite3_reset(s);
        return 0;
    }
    if ((rc & 0xff) == SQLITE_INTERRUPT)
        lt_err_set(err, LT_ERR_TIMEOUT, "the query ran past its time limit and was stopped");
    else
        lt_err_set(err, is_busy(rc) ? LT_ERR_BUSY : LT_ERR_DB, "%s", sqlite3_errmsg(st->db));
    sqlite3_reset(s);
    return -1;
}

static int write_locked(store *st, store_write_fn fn, void *ctx, lt_err *err) {
    for (int attempt = 0;; attempt++) {
        lt_err e2;
        lt_err_clear(&e2);
        int rc = exec_cached(st, "BEGIN IMMEDIATE", &e2);
        if (rc == 0) {
            rc = fn(st, ctx, &e2);
            if (rc == 0) rc = exec_cached(st, "COMMIT", &e2);
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

bool store_data_changed(store *st) {
    store_stmt *s = store_prepare(st, "PRAGMA data_version", NULL);
    int64_t v = s && store_step(s, NULL) == 1 ? store_col_int(s, 0) : -1;
    if (s) sqlite3_reset(s);
    bool changed = v < 0 || v != st->data_version;
    st->data_version = v;
    return changed;
}

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
