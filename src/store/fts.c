#include "fts.h"

#include <math.h>
#include <stdint.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

/* Per-query data, computed on the first row and kept as FTS5 aux data. */
typedef struct {
    int n_phrases;
    double avgdl;
    double *idf; /* per phrase; 0 for phrases that do not score */
    uint64_t empty; /* bit i: scored phrase first+i has no tokens */
} rank_query;

typedef struct {
    sqlite3_int64 hits;
    sqlite3_int64 last_rowid;
} df_count;

static int count_hit(const Fts5ExtensionApi *api, Fts5Context *fts, void *ud) {
    df_count *c = ud;
    c->hits++;
    c->last_rowid = api->xRowid(fts);
    return c->hits >= FTS_DF_SAMPLE ? SQLITE_DONE : SQLITE_OK;
}

static rank_query *prepare_query(const Fts5ExtensionApi *api, Fts5Context *fts, sqlite3_int64 max_rowid,
                                 int first_phrase, int end_phrase, const double *given_df, int n_given, int *rc) {
    rank_query *q = calloc(1, sizeof *q);
    int n = api->xPhraseCount(fts);
    if (end_phrase < n) n = end_phrase; /* later phrases only select rows */
    double *idf = calloc((size_t)(n > 0 ? n : 1), sizeof *idf);
    if (!q || !idf) {
        free(q);
        free(idf);
        *rc = SQLITE_NOMEM;
        return NULL;
    }
    q->n_phrases = n;
    q->idf = idf;
    sqlite3_int64 rows = 0, tokens = 0;
    *rc = api->xRowCount(fts, &rows);
    if (*rc == SQLITE_OK) *rc = api->xColumnTotalSize(fts, -1, &tokens);
    if (rows < 1) rows = 1;
    q->avgdl = (double)tokens / (double)rows;
    for (int i = first_phrase; i < n && *rc == SQLITE_OK; i++) {
        double df;
        if (i - first_phrase < n_given) {
            df = given_df[i - first_phrase]; /* counted by the caller, once for all its queries */
        } else {
            df_count c = {0, 0};
            *rc = api->xQueryPhrase(fts, i, &c, count_hit);
            if (*rc == SQLITE_DONE) *rc = SQLITE_OK;
            df = (double)c.hits;
            /* The sample stopped early: the term is spread evenly enough over
             * the rowid range for the share of it covered to scale the count. */
            if (c.hits >= FTS_DF_SAMPLE && c.last_rowid > 0 && max_rowid > c.last_rowid)
                df = df * (double)max_rowid / (double)c.last_rowid;
        }
        if (i - first_phrase < 64 && api->xPhraseSize(fts, i) == 0) q->empty |= (uint64_t)1 << (i - first_phrase);
        if (df > (double)rows) df = (double)rows;
        double v = log(((double)rows - df + 0.5) / (df + 0.5));
        idf[i] = v > 1e-6 ? v : 1e-6;
    }
    return q;
}

static void free_query(void *p) {
    rank_query *q = p;
    if (!q) return;
    free(q->idf);
    free(q);
}

#define MAX_COLUMNS 16

/* Scores the current row; *mask gets bit i set when scored phrase first+i
 * (i < 64) occurs in it, *empty when that phrase has no tokens. Returns an SQLite error code, the result error
 * already set. */
static int score_row(const Fts5ExtensionApi *api, Fts5Context *fts, sqlite3_context *ctx, int argc,
                     sqlite3_value **argv, double *score_out, uint64_t *mask, uint64_t *empty) {
    int ncol = api->xColumnCount(fts);
    if ((argc != 5 + ncol && argc != 6 + ncol) || ncol > MAX_COLUMNS) {
        sqlite3_result_error(ctx, "ltmc_bm25: expected k1, b, max_rowid, first, count, one weight per column and "
                             "optionally the terms' document frequencies", -1);
        return SQLITE_ERROR;
    }
    int rc = SQLITE_OK;
    int first = sqlite3_value_int(argv[3]);
    rank_query *q = api->xGetAuxdata(fts, 0);
    if (!q) {
        /* Document frequencies the caller already knows: a blob of doubles. */
        const double *given_df = NULL;
        int n_given = 0;
        double df_copy[64];
        if (argc == 6 + ncol && sqlite3_value_type(argv[5 + ncol]) == SQLITE_BLOB) {
            int bytes = sqlite3_value_bytes(argv[5 + ncol]);
            n_given = bytes / (int)sizeof(double);
            if (n_given > 64) n_given = 64;
            memcpy(df_copy, sqlite3_value_blob(argv[5 + ncol]), (size_t)n_given * sizeof(double));
            given_df = df_copy;
        }
        sqlite3_int64 max_rowid = sqlite3_value_int64(argv[2]);
        int count = sqlite3_value_int(argv[4]);
        q = prepare_query(api, fts, max_rowid, first, first + count, given_df, n_given, &rc);
        if (!q || rc != SQLITE_OK || (rc = api->xSetAuxdata(fts, q, free_query)) != SQLITE_OK) {
            if (q && rc != SQLITE_OK) free_query(q);
            sqlite3_result_error_code(ctx, rc);
            return rc != SQLITE_OK ? rc : SQLITE_NOMEM;
        }
    }
    double k1 = sqlite3_value_double(argv[0]), b = sqlite3_value_double(argv[1]);
    double w[MAX_COLUMNS];
    for (int i = 0; i < ncol; i++) w[i] = sqlite3_value_double(argv[5 + i]);
    double norm = 1.0;
    if (b > 0) {
        int len = 0;
        if ((rc = api->xColumnSize(fts, -1, &len)) != SQLITE_OK) {
            sqlite3_result_error_code(ctx, rc);
            return rc;
        }
        norm = 1.0 - b + b * (double)len / (q->avgdl > 0 ? q->avgdl : 1.0);
    }
    double score = 0;
    uint64_t present = 0;
    for (int i = first; i < q->n_phrases; i++) {
        Fts5PhraseIter it;
        int col = -1, off = 0;
        double freq = 0;
        /* Every occurrence of the phrase, weighted by its column. */
        if ((rc = api->xPhraseFirst(fts, i, &it, &col, &off)) != SQLITE_OK) {
            sqlite3_result_error_code(ctx, rc);
            return rc;
        }
        if (col >= 0 && i - first < 64) present |= (uint64_t)1 << (i - first);
        for (; col >= 0; api->xPhraseNext(fts, &it, &col, &off))
            if (col < ncol) freq += w[col];
        if (freq > 0) score += q->idf[i] * freq * (k1 + 1) / (freq + k1 * norm);
    }
    *score_out = score;
    *mask = present;
    *empty = q->empty;
    return SQLITE_OK;
}

static void ltmc_bm25(const Fts5ExtensionApi *api, Fts5Context *fts, sqlite3_context *ctx, int argc,
                      sqlite3_value **argv) {
    double score;
    uint64_t mask, empty;
    if (score_row(api, fts, ctx, argc, argv, &score, &mask, &empty) == SQLITE_OK) sqlite3_result_double(ctx, score);
}

static void ltmc_bm25_terms(const Fts5ExtensionApi *api, Fts5Context *fts, sqlite3_context *ctx, int argc,
                            sqlite3_value **argv) {
    double score;
    uint64_t mask, empty;
    if (score_row(api, fts, ctx, argc, argv, &score, &mask, &empty) != SQLITE_OK) return;
    unsigned char out[FTS_TERMS_BYTES];
    memcpy(out, &score, sizeof score);
    memcpy(out + sizeof score, &mask, sizeof mask);
    memcpy(out + sizeof score + sizeof mask, &empty, sizeof empty);
    sqlite3_result_blob(ctx, out, sizeof out, SQLITE_TRANSIENT);
}

static fts5_api *fts5_api_of(sqlite3 *db) {
    fts5_api *api = NULL;
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &s, NULL) == SQLITE_OK) {
        sqlite3_bind_pointer(s, 1, (void *)&api, "fts5_api_ptr", NULL);
        sqlite3_step(s);
    }
    sqlite3_finalize(s);
    return api;
}

int fts_register(sqlite3 *db) {
    fts5_api *api = fts5_api_of(db);
    if (!api) return -1;
    if (api->xCreateFunction(api, "ltmc_bm25", NULL, ltmc_bm25, NULL) != SQLITE_OK) return -1;
    return api->xCreateFunction(api, "ltmc_bm25_terms", NULL, ltmc_bm25_terms, NULL) == SQLITE_OK ? 0 : -1;
}
