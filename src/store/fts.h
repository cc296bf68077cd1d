/* fts.h - ltmc's ranking function for SQLite FTS5.
 *
 * ltmc_bm25(table, k1, b, max_rowid, first, count, w0, w1, ... [, df]) scores a row
 * like FTS5's own bm25() (Okapi BM25 over the row's tokens, column weights
 * w0.. applied to term frequencies), with two differences that keep a query
 * over millions of rows fast:
 *   - a term's document frequency is counted over at most FTS_DF_SAMPLE of
 *     its rows and extrapolated from how far into the rowid range
 *     (1..max_rowid) that sample reached; bm25() walks every row of every
 *     term first. IDF is logarithmic, so the estimate changes little;
 *   - with b = 0 no row's length is read (no length normalisation);
 *   - df, when given, is a blob of doubles: the scored terms' document
 *     frequencies, which the caller counted once for several queries.
 * Only phrases first .. first+count-1 score: the others (a project filter,
 * or a second copy of rare terms that narrows the rows) only select rows.
 *
 * ltmc_bm25_terms(same arguments) scores the same and also says which
 * scored terms the row holds: a blob of FTS_TERMS_BYTES, the score (a
 * native double) then a native uint64_t with bit i set when phrase first+i
 * (i < 64) occurs in the row, then a uint64_t with bit i set when that
 * phrase has no tokens at all (FTS5 drops such a phrase from an AND and
 * matches nothing by it), so one pass over a query's rows can tell which
 * of them hold every term, two of some, or a given one.
 *
 * Registered on every connection by store_open(). Returns the score as a
 * positive number (higher is better), unlike bm25(). */
#ifndef LT_FTS_H
#define LT_FTS_H

#define FTS_DF_SAMPLE 2048
#define FTS_TERMS_BYTES 24

struct sqlite3;

/* Registers ltmc_bm25 and ltmc_bm25_terms on db. Returns 0, or -1 when FTS5 is missing. */
int fts_register(struct sqlite3 *db);

#endif
