/* store.h - the one path to SQLite.
 *
 * A store is one connection to the database file, used by one thread at a
 * time. Opening it applies the pragmas and every pending migration.
 * Statements are prepared once per connection and cached by their SQL text.
 * Writes go through store_write(), which runs the caller's function inside
 * BEGIN IMMEDIATE ... COMMIT and retries when another process holds the
 * write lock, so several ltmc processes can share one database without a
 * "database is locked" ever reaching a user. */
#ifndef LT_STORE_H
#define LT_STORE_H

#include "../core/err.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct store store;
typedef struct sqlite3_stmt store_stmt;

typedef struct {
    const char *path;       /* database file; ":memory:" for tests */
    int busy_timeout_ms;    /* one attempt's wait for another process's lock */
    int cache_mb;           /* page cache bound */
    int mmap_mb;            /* memory-mapped I/O window, 0 = off */
    bool synchronous_full;  /* fsync on every commit instead of at checkpoints */
} store_options;

store *store_open(const store_options *opt, lt_err *err);
void store_close(store *st);
const char *store_path(const store *st);

/* Schema version after migrations, and the newest this build knows. */
int store_schema_version(store *st);
int store_latest_schema_version(void);

/* Returns a cached statement, reset and with its bindings cleared. */
store_stmt *store_prepare(store *st, const char *sql, lt_err *err);

/* Parameter indexes are 1-based. A NULL text binds SQL NULL. */
void store_bind_text(store_stmt *stmt, int idx, const char *val);
/* Binds an ISO-8601 time bound in the stored form (UTC, milliseconds, Z),
 * so that text order is time order whichever ISO-8601 form the caller used;
 * text that does not parse is bound as it is. */
void store_bind_iso_time(store_stmt *stmt, int idx, const char *iso);
void store_bind_int(store_stmt *stmt, int idx, int64_t val);
void store_bind_real(store_stmt *stmt, int idx, double val);
void store_bind_null(store_stmt *stmt, int idx);
void store_bind_blob(store_stmt *stmt, int idx, const void *data, size_t len);

/* Steps a statement: 1 when a row is ready, 0 when done, -1 on error. A
 * read that finds the database briefly locked is retried transparently. */
int store_step(store_stmt *stmt, lt_err *err);

/* Ends a statement early (after reading one row). A statement left
 * mid-result would pin this connection's read snapshot. */
void store_reset(store_stmt *stmt);

/* Column accessors (0-based). Text is valid until the next step or reset. */
const char *store_col_text(store_stmt *stmt, int col);
int64_t store_col_int(store_stmt *stmt, int col);
double store_col_real(store_stmt *stmt, int col);
bool store_col_is_null(store_stmt *stmt, int col);
const void *store_col_blob(store_stmt *stmt, int col);
size_t store_col_bytes(store_stmt *stmt, int col);

/* The current row as an object keyed by column name (INTEGER -> integer,
 * REAL -> number, TEXT -> string, NULL -> null). */
json_t *store_row_json(store_stmt *stmt);

/* Whether another connection, of this process or another, committed to the
 * database since the last call on st (SQLite's data_version); true on the
 * first call, and when it cannot tell. */
bool store_data_changed(store *st);

/* Runs one or more statements without results (schema, pragmas). */
int store_exec(store *st, const char *sql, lt_err *err);

/* Runs fn inside a write transaction. fn returns 0 to commit or -1 (with err
 * set) to roll back. Lock contention is retried with backoff; fn may run
 * more than once, so it must only touch the database and its ctx, through
 * the store it is given: that is st's writer when st has one
 * (store_share_writer), else st. Writes of one process take turns. */
typedef int (*store_write_fn)(store *st, void *ctx, lt_err *err);
int store_write(store *st, store_write_fn fn, void *ctx, lt_err *err);

/* Moves st's WAL checkpoints off its commits: a thread with a connection
 * of its own checkpoints (passively) once a commit leaves the WAL at 4,000
 * pages, so that no write waits for the copy and its fsyncs; past 16,000
 * pages the committing connection checkpoints itself, keeping the WAL
 * bounded. For a connection that many threads' writes take turns on (the
 * HTTP pool's writer, store_share_writer), which a checkpoint inside a
 * commit would hold up; store_close stops the thread. Nothing to do for
 * ":memory:". */
int store_checkpoint_in_background(store *st, lt_err *err);

/* Opens one more connection to the stores' database (all the same file,
 * none with a writer yet), with stores[0]'s options, and has every
 * store_write through any of them run on it; it closes with the last of
 * them. It checkpoints in the background (store_checkpoint_in_background).
 * The stores stop memory-mapping the file (only the writer maps it).
 * For a pool of connections used side by side (HTTP). Does nothing for
 * ":memory:", where every connection has a database of its own. */
int store_share_writer(store **stores, size_t n, lt_err *err);

/* Bounds how long statements may run, for queries whose cost depends on
 * the data (graph traversals): until the deadline is cleared, a statement
 * still running at deadline_ns (clock_mono_ns time) is interrupted and its
 * step fails with LT_ERR_TIMEOUT. 0 clears it. A write interrupted this way
 * rolls back like any failed write. */
void store_set_deadline(store *st, uint64_t deadline_ns);

int64_t store_last_insert_id(store *st);
int store_changes(store *st);

/* PRAGMA quick_check (full=false) or integrity_check (full=true). Returns 0
 * when the database is sound, else -1 with the first problem in err. */
int store_check_integrity(store *st, bool full, lt_err *err);

/* Facts for doctor and health: SQLite version, journal mode, page counts. */
json_t *store_info(store *st);

#endif
