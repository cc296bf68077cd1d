/* Unit tests for search/vindex: quantisation, exact search against a
 * brute-force reference, partitions, filters, and incremental sync with
 * writes made by another connection to the same database file. */
#include "testutil.h"

#include "search/vindex.h"

#include <math.h>
#include <pthread.h>

#define DIM 32
#define MODEL "test-model-v1"

/* ---- helpers ------------------------------------------------------------- */

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static double urand(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (double)(rng >> 11) / 9007199254740992.0;
}

static void random_unit(float *v, int dim) {
    double s = 0;
    for (int i = 0; i < dim; i++) {
        v[i] = (float)(urand() * 2 - 1);
        s += (double)v[i] * v[i];
    }
    for (int i = 0; i < dim; i++) v[i] = (float)(v[i] / sqrt(s));
}

/* What the index holds for one row: its quantised blob decoded. */
static void dequantise(const void *blob, int dim, float *out) {
    float scale;
    memcpy(&scale, blob, sizeof scale);
    const int8_t *q = (const int8_t *)blob + sizeof scale;
    for (int i = 0; i < dim; i++) out[i] = (float)q[i] * scale;
}

typedef struct {
    tu_fixture *f;
    store *other; /* a second connection to the same file: "another process" */
} vx;

static int vx_setup(void **state) {
    tu_fixture_setup(state);
    vx *x = calloc(1, sizeof *x);
    x->f = *state;
    x->other = tu_store_open(x->f->db);
    *state = x;
    return 0;
}

static int vx_teardown(void **state) {
    vx *x = *state;
    store_close(x->other);
    *state = x->f;
    tu_fixture_teardown(state);
    free(x);
    return 0;
}

static void exec(store *st, const char *sql) {
    lt_err err;
    lt_err_clear(&err);
    if (store_exec(st, sql, &err)) fail_msg("%s: %s", sql, err.msg);
}

static int64_t scalar(store *st, const char *sql) {
    lt_err err;
    store_stmt *s = store_prepare(st, sql, &err);
    if (!s) fail_msg("%s: %s", sql, err.msg);
    if (store_step(s, &err) != 1) fail_msg("%s: no row", sql);
    int64_t v = store_col_int(s, 0);
    store_reset(s);
    return v;
}

static int64_t add_memory(store *st, const char *project) {
    lt_err err;
    store_stmt *s = store_prepare(st,
                                  "INSERT INTO memories(project, file_name, resource_type, conversation_id, content,"
                                  " content_hash, created_at, updated_at) VALUES (?, 'f', 'document', 'c', 'x', 0,"
                                  " '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')",
                                  &err);
    assert_non_null(s);
    store_bind_text(s, 1, project);
    assert_int_equal(store_step(s, &err), 0);
    return store_last_insert_id(st);
}

/* Inserts a chunk of memory_id with vector v (of model, recorded with
 * dimension declared_dim) and returns its id. */
static int64_t add_chunk_ex(store *st, int64_t memory_id, const float *v, int dim, int declared_dim,
                            const char *model) {
    lt_err err;
    store_stmt *s = store_prepare(st,
                                  "INSERT INTO chunks(memory_id, seq, start, len) VALUES (?1,"
                                  " coalesce((SELECT max(seq) + 1 FROM chunks WHERE memory_id = ?1), 0), 0, 1)",
                                  &err);
    assert_non_null(s);
    store_bind_int(s, 1, memory_id);
    if (store_step(s, &err) != 0) fail_msg("insert chunk: %s", err.msg);
    int64_t chunk = store_last_insert_id(st);
    unsigned char blob[4 + 4096];
    vindex_quantise(v, dim, blob);
    s = store_prepare(st, "INSERT INTO vectors(chunk_id, model, dim, vec) VALUES (?, ?, ?, ?)", &err);
    assert_non_null(s);
    store_bind_int(s, 1, chunk);
    store_bind_text(s, 2, model);
    store_bind_int(s, 3, declared_dim);
    store_bind_blob(s, 4, blob, vindex_blob_size(dim));
    if (store_step(s, &err) != 0) fail_msg("insert vector: %s", err.msg);
    return chunk;
}

static int64_t add_chunk(store *st, int64_t memory_id, const float *v, int dim, const char *model) {
    return add_chunk_ex(st, memory_id, v, dim, dim, model);
}

static void delete_chunk(store *st, int64_t chunk) {
    char sql[128];
    snprintf(sql, sizeof sql, "DELETE FROM chunks WHERE id = %lld", (long long)chunk);
    exec(st, sql);
}

static void sync_ok(vindex *v, store *st) {
    lt_err err;
    lt_err_clear(&err);
    if (vindex_sync(v, st, &err)) fail_msg("vindex_sync: %s", err.msg);
}

/* A reference row: what a brute-force search must consider. */
typedef struct {
    int64_t chunk, memory;
    const char *project;
    float deq[DIM]; /* as stored (quantised) */
    float orig[DIM];
    bool live;
} ref_row;

/* The index quantises the query like a row (int8, scale max|q|/127) and
 * scores with exact integer products: do the same, in doubles. */
static double ref_score(const ref_row *r, const float *q) {
    float maxabs = 0;
    for (int i = 0; i < DIM; i++) maxabs = fmaxf(maxabs, fabsf(q[i]));
    float qs = maxabs > 0 ? maxabs / 127.0f : 1.0f;
    double s = 0;
    for (int i = 0; i < DIM; i++) s += (double)lrintf(q[i] / qs) * qs * r->deq[i];
    return s;
}

static int cmp_desc(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? 1 : x > y ? -1 : 0;
}

/* Compares vindex_search_range with brute force over rows (project, allowed). */
static void check_search(vindex *v, const ref_row *rows, size_t n_rows, const char *project, const float *q, size_t k,
                         const int64_t *allowed, size_t n_allowed) {
    double *want = malloc(sizeof(double) * (n_rows + 1));
    size_t n_want = 0;
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < n_rows; i++) {
        if (!rows[i].live || strcmp(rows[i].project, project) != 0) continue;
        if (allowed) {
            bool ok = false;
            for (size_t j = 0; j < n_allowed; j++) ok |= allowed[j] == rows[i].memory;
            if (!ok) continue;
        }
        double s = ref_score(&rows[i], q);
        want[n_want++] = s;
        lo = fmin(lo, s);
        hi = fmax(hi, s);
    }
    qsort(want, n_want, sizeof *want, cmp_desc);
    vhit *hits = malloc(sizeof(vhit) * (k + 1));
    float mn = 99, mx = 99;
    size_t n = vindex_search_range(v, project, q, k, allowed, n_allowed, hits, &mn, &mx);
    assert_int_equal(n, n_want < k ? n_want : k);
    for (size_t i = 0; i < n; i++) {
        if (fabs(hits[i].score - want[i]) > 1e-4)
            fail_msg("rank %zu: score %.6f, brute force %.6f", i, hits[i].score, want[i]);
        if (i) assert_true(hits[i - 1].score >= hits[i].score);
        /* The hit is the row it names, with its memory, in the project. */
        const ref_row *r = NULL;
        for (size_t j = 0; j < n_rows; j++)
            if (rows[j].chunk == hits[i].chunk_id) r = &rows[j];
        assert_non_null(r);
        assert_true(r->live);
        assert_string_equal(r->project, project);
        assert_int_equal(r->memory, hits[i].memory_id);
        assert_true(fabs(ref_score(r, q) - hits[i].score) < 1e-4);
        /* And close to the unquantised cosine. */
        double exact = 0;
        for (int d = 0; d < DIM; d++) exact += (double)q[d] * r->orig[d];
        assert_true(fabs(exact - hits[i].score) < 0.02);
    }
    if (n_want) {
        assert_true(fabs(mn - lo) < 1e-4);
        assert_true(fabs(mx - hi) < 1e-4);
    } else {
        assert_true(mn == 0 && mx == 0);
    }
    free(hits);
    free(want);
}

/* ---- tests ----------------------------------------------------------------- */

static void test_quantise_round_trip(void **state) {
    (void)state;
    assert_int_equal(vindex_blob_size(DIM), sizeof(float) + DIM);
    assert_int_equal(vindex_blob_size(384), 388);
    unsigned char blob[4 + 1024];
    for (int t = 0; t < 200; t++) {
        int dim = 8 + t % 300;
        float v[1024], back[1024];
        random_unit(v, dim);
        vindex_quantise(v, dim, blob);
        float scale;
        memcpy(&scale, blob, sizeof scale);
        float maxabs = 0;
        for (int i = 0; i < dim; i++) maxabs = fmaxf(maxabs, fabsf(v[i]));
        assert_true(fabsf(scale - maxabs / 127.0f) < 1e-9f);
        dequantise(blob, dim, back);
        bool has_extreme = false;
        double d = 0, nb = 0;
        for (int i = 0; i < dim; i++) {
            assert_true(fabsf(back[i] - v[i]) <= scale * 0.5f + 1e-7f);
            int8_t q = ((int8_t *)(blob + 4))[i];
            has_extreme |= q == 127 || q == -127;
            assert_true(q >= -127);
            d += (double)back[i] * v[i];
            nb += (double)back[i] * back[i];
        }
        assert_true(has_extreme); /* the largest component uses the full range */
        /* The direction survives: cosine with the original near 1. */
        if (!(d / sqrt(nb) > 0.9999)) fail_msg("dim %d: cosine %.6f", dim, d / sqrt(nb));
    }
    /* The zero vector: scale 1, all zero. */
    float z[DIM] = {0}, back[DIM];
    vindex_quantise(z, DIM, blob);
    float scale;
    memcpy(&scale, blob, sizeof scale);
    assert_true(scale == 1.0f);
    dequantise(blob, DIM, back);
    for (int i = 0; i < DIM; i++) assert_true(back[i] == 0.0f);
}

static void test_search_exact_top_k(void **state) {
    vx *x = *state;
    store *st = x->f->st;
    size_t n_rows = 0;
    ref_row *rows = calloc(900, sizeof *rows);
    const char *projects[] = {"alpha", "beta", "gamma"};
    for (int i = 0; i < 900; i++) {
        const char *p = projects[i % 7 == 0 ? 1 : i % 11 == 0 ? 2 : 0];
        ref_row *r = &rows[n_rows++];
        r->project = p;
        r->memory = add_memory(st, p);
        random_unit(r->orig, DIM);
        r->chunk = add_chunk(st, r->memory, r->orig, DIM, MODEL);
        unsigned char blob[4 + DIM];
        vindex_quantise(r->orig, DIM, blob);
        dequantise(blob, DIM, r->deq);
        r->live = true;
    }
    vindex *v = vindex_new(MODEL, DIM);
    sync_ok(v, st);
    assert_int_equal(vindex_count(v), 900);
    assert_true(vindex_bytes(v) >= 900 * (DIM + 4));
    for (int t = 0; t < 20; t++) {
        float q[DIM];
        random_unit(q, DIM);
        size_t k = t % 4 == 0 ? 1 : t % 4 == 1 ? 10 : t % 4 == 2 ? 50 : 2000;
        for (int p = 0; p < 3; p++) check_search(v, rows, n_rows, projects[p], q, k, NULL, 0);
    }
    /* A row's own vector finds it first. */
    for (int i = 0; i < 900; i += 97) {
        vhit h;
        assert_int_equal(vindex_search(v, rows[i].project, rows[i].orig, 1, NULL, 0, &h), 1);
        assert_int_equal(h.chunk_id, rows[i].chunk);
        assert_true(h.score > 0.99);
    }
    /* k = 0: nothing returned, but the range is still reported. */
    float q[DIM], mn = 0, mx = 0;
    random_unit(q, DIM);
    vhit none[1];
    assert_int_equal(vindex_search_range(v, "alpha", q, 0, NULL, 0, none, &mn, &mx), 0);
    assert_true(mn < mx);
    assert_true(mn >= -1.01f && mx <= 1.01f);
    /* An unknown project: nothing, range 0..0. */
    check_search(v, rows, n_rows, "nobody", q, 10, NULL, 0);
    vindex_free(v);
    free(rows);
}

/* Dimensions that are not a multiple of the 32-byte blocks the AVX2 scan
 * reads (it reads past a row's end and cancels that with the query's zero
 * padding; ASan sees any read past the row array), with row counts around
 * the four rows it takes at a time: every score must be the exact integer
 * product of the quantised vectors. */
static void test_search_odd_dimensions(void **state) {
    vx *x = *state;
    store *st = x->f->st;
    const int dims[] = {1, 31, 33, 100, 384};
    for (size_t d = 0; d < sizeof dims / sizeof *dims; d++) {
        int dim = dims[d];
        char model[32];
        snprintf(model, sizeof model, "odd-%d", dim);
        /* 1024 is the index's first capacity: the last row ends its array. */
        size_t n_rows = dim == 100 ? 1024 : 4 * d + 5 + d % 3;
        float (*orig)[384] = calloc(n_rows, sizeof *orig);
        unsigned char (*blobs)[4 + 384] = calloc(n_rows, sizeof *blobs);
        int64_t *chunks = calloc(n_rows, sizeof *chunks);
        for (size_t i = 0; i < n_rows; i++) {
            random_unit(orig[i], dim);
            chunks[i] = add_chunk(st, add_memory(st, "odd"), orig[i], dim, model);
            vindex_quantise(orig[i], dim, blobs[i]);
        }
        vindex *v = vindex_new(model, dim);
        sync_ok(v, st);
        for (int t = 0; t < 5; t++) {
            float q[384];
            random_unit(q, dim);
            unsigned char qb[4 + 384];
            vindex_quantise(q, dim, qb);
            float qs;
            memcpy(&qs, qb, sizeof qs);
            vhit *hits = malloc(sizeof *hits * n_rows);
            size_t n = vindex_search(v, "odd", q, n_rows, NULL, 0, hits);
            assert_int_equal(n, n_rows);
            for (size_t h = 0; h < n; h++) {
                size_t i = 0;
                while (chunks[i] != hits[h].chunk_id) i++;
                float rs;
                memcpy(&rs, blobs[i], sizeof rs);
                int32_t dot = 0;
                for (int k = 0; k < dim; k++) dot += (int32_t)((int8_t *)(qb + 4))[k] * ((int8_t *)(blobs[i] + 4))[k];
                float want = (float)dot * rs * qs;
                if (fabsf(hits[h].score - want) > 1e-5f)
                    fail_msg("dim %d, row %zu: %.7f, want %.7f", dim, i, hits[h].score, want);
                float one;
                assert_true(vindex_score(v, "odd", q, chunks[i], &one));
                assert_true(fabsf(one - want) <= 1e-5f);
            }
            free(hits);
        }
        vindex_free(v);
        free(orig);
        free(blobs);
        free(chunks);
    }
}

static void test_partitions_isolated(void **state) {
    vx *x = *state;
    store *st = x->f->st;
    float va[DIM], vb[DIM];
    random_unit(va, DIM);
    random_unit(vb, DIM);
    int64_t ma = add_memory(st, "A"), mb = add_memory(st, "B"), mab = add_memory(st, "AB");
    int64_t ca = add_chunk(st, ma, va, DIM, MODEL);
    int64_t cb = add_chunk(st, mb, va, DIM, MODEL); /* the same vector in project B */
    add_chunk(st, mab, vb, DIM, MODEL);
    vindex *v = vindex_new(MODEL, DIM);
    sync_ok(v, st);
    vhit h[4];
    size_t n = vindex_search(v, "A", va, 4, NULL, 0, h);
    assert_int_equal(n, 1);
    assert_int_equal(h[0].chunk_id, ca);
    n = vindex_search(v, "B", va, 4, NULL, 0, h);
    assert_int_equal(n, 1);
    assert_int_equal(h[0].chunk_id, cb);
    /* A project whose name starts like another is another project. */
    n = vindex_search(v, "AB", va, 4, NULL, 0, h);
    assert_int_equal(n, 1);
    assert_int_equal(h[0].memory_id, mab);
    n = vindex_search(v, "a", va, 4, NULL, 0, h);
    assert_int_equal(n, 0);
    /* vindex_score respects partitions too. */
    float s;
    assert_true(vindex_score(v, "A", va, ca, &s));
    assert_false(vindex_score(v, "B", va, ca, &s));
    assert_false(vindex_score(v, "nobody", va, ca, &s));
    /* ... and so does vindex_score_many, which agrees with it row by row. */
    int64_t ids[3] = {cb, ca, 999999};
    float scores[3] = {0, 0, 0};
    bool found[3] = {true, false, true};
    assert_int_equal(vindex_score_many(v, "A", va, ids, 3, scores, found), 1);
    assert_false(found[0]);
    assert_true(found[1]);
    assert_false(found[2]);
    assert_true(vindex_score(v, "A", va, ca, &s));
    assert_true(scores[1] == s);
    assert_true(s > 0.99f);
    assert_int_equal(vindex_score_many(v, "nobody", va, ids, 3, scores, found), 0);
    assert_false(found[1]);
    vindex_free(v);
}

static void test_allowed_filter(void **state) {
    vx *x = *state;
    store *st = x->f->st;
    ref_row rows[120];
    memset(rows, 0, sizeof rows);
    int64_t mems[40];
    for (int i = 0; i < 40; i++) mems[i] = add_memory(st, "p");
    for (int i = 0; i < 120; i++) {
        rows[i].project = "p";
        rows[i].memory = mems[i % 40]; /* three chunks per memory */
        random_unit(rows[i].orig, DIM);
        rows[i].chunk = add_chunk(st, rows[i].memory, rows[i].orig, DIM, MODEL);
        unsigned char blob[4 + DIM];
        vindex_quantise(rows[i].orig, DIM, blob);
        dequantise(blob, DIM, rows[i].deq);
        rows[i].live = true;
    }
    vindex *v = vindex_new(MODEL, DIM);
    sync_ok(v, st);
    int64_t allowed[10];
    for (int i = 0; i < 10; i++) allowed[i] = mems[i * 4 + 1]; /* ascending */
    float q[DIM];
    for (int t = 0; t < 10; t++) {
        random_unit(q, DIM);
        check_search(v, rows, 120, "p", q, 5, allowed, 10);
        check_search(v, rows, 120, "p", q, 100, allowed, 10);
        check_search(v, rows, 120, "p", q, 100, allowed, 1);
    }
    /* An allowed list naming no memory of the index: nothing. */
    int64_t none[2] = {999998, 999999};
    vhit h[4];
    float mn = 5, mx = 5;
    assert_int_equal(vindex_search_range(v, "p", q, 4, none, 2, h, &mn, &mx), 0);
    assert_true(mn == 0 && mx == 0);
    vindex_free(v);
}

static void test_sync_incremental_across_connections(void **state) {
    vx *x = *state;
    store *mine = x->f->st, *other = x->other;
    ref_row rows[64];
    memset(rows, 0, sizeof rows);
    size_t n_rows = 0;
    for (int i = 0; i < 20; i++) {
        ref_row *r = &rows[n_rows++];
        r->project = "p";
        r->memory = add_memory(other, "p");
        random_unit(r->orig, DIM);
        r->chunk = add_chunk(other, r->memory, r->orig, DIM, MODEL);
        unsigned char blob[4 + DIM];
        vindex_quantise(r->orig, DIM, blob);
        dequantise(blob, DIM, r->deq);
        r->live = true;
    }
    vindex *v = vindex_new(MODEL, DIM);
    assert_int_equal(vindex_count(v), 0);
    sync_ok(v, mine);
    assert_int_equal(vindex_count(v), 20);

    /* The other connection changes a stored vector in place. A reload would
     * see the change; an incremental sync only looks at new chunk ids and
     * the deletion log, so the index keeps the old row. */
    float changed[DIM];
    random_unit(changed, DIM);
    unsigned char blob[4 + DIM];
    vindex_quantise(changed, DIM, blob);
    {
        lt_err err;
        store_stmt *s = store_prepare(other, "UPDATE vectors SET vec = ? WHERE chunk_id = ?", &err);
        store_bind_blob(s, 1, blob, sizeof blob);
        store_bind_int(s, 2, rows[0].chunk);
        assert_int_equal(store_step(s, &err), 0);
    }

    /* Inserts and deletions by the other connection. */
    for (int i = 0; i < 10; i++) {
        ref_row *r = &rows[n_rows++];
        r->project = i % 2 ? "p" : "q";
        r->memory = add_memory(other, r->project);
        random_unit(r->orig, DIM);
        r->chunk = add_chunk(other, r->memory, r->orig, DIM, MODEL);
        vindex_quantise(r->orig, DIM, blob);
        dequantise(blob, DIM, r->deq);
        r->live = true;
    }
    delete_chunk(other, rows[3].chunk);
    rows[3].live = false;
    exec(other, "DELETE FROM memories WHERE id IN (SELECT memory_id FROM chunks WHERE id IN (SELECT chunk_id FROM"
                " vectors)) AND id % 5 = 0"); /* cascades to chunks and vectors, logged by the trigger */
    for (size_t i = 0; i < n_rows; i++)
        if (rows[i].memory % 5 == 0) rows[i].live = false;
    /* Vectors of another model, of another dimension, or whose blob does
     * not have the size of the declared dimension are not indexed. */
    float w[DIM];
    random_unit(w, DIM);
    add_chunk(other, add_memory(other, "p"), w, DIM, "another-model");
    add_chunk(other, add_memory(other, "p"), w, 16, MODEL);
    add_chunk_ex(other, add_memory(other, "p"), w, 16, DIM, MODEL);

    size_t live = 0;
    for (size_t i = 0; i < n_rows; i++) live += rows[i].live;
    assert_int_equal(vindex_count(v), 20); /* nothing seen before the sync */
    sync_ok(v, mine);
    assert_int_equal(vindex_count(v), live);
    float q[DIM];
    for (int t = 0; t < 10; t++) {
        random_unit(q, DIM);
        /* rows[0] is still scored with its original vector. */
        ref_row copy[64];
        memcpy(copy, rows, sizeof copy);
        check_search(v, copy, n_rows, "p", q, 64, NULL, 0);
        check_search(v, copy, n_rows, "q", q, 64, NULL, 0);
    }
    float s;
    if (rows[0].live) {
        assert_true(vindex_score(v, "p", rows[0].orig, rows[0].chunk, &s));
        assert_true(s > 0.99);
    }
    assert_false(vindex_score(v, "p", rows[3].orig, rows[3].chunk, &s));
    /* A sync with no change changes nothing. */
    sync_ok(v, mine);
    assert_int_equal(vindex_count(v), live);
    /* The deletion log holds what was deleted. */
    assert_int_equal(scalar(mine, "SELECT count(*) FROM deleted_chunks"), (int64_t)(n_rows - live));
    vindex_free(v);
}

static void test_compaction_keeps_results(void **state) {
    vx *x = *state;
    store *st = x->f->st;
    const size_t N = 400;
    ref_row *rows = calloc(N + 100, sizeof *rows);
    size_t n_rows = 0;
    int64_t mem = add_memory(st, "p");
    for (size_t i = 0; i < N; i++) {
        ref_row *r = &rows[n_rows++];
        r->project = "p";
        r->memory = mem;
        random_unit(r->orig, DIM);
        r->chunk = add_chunk(st, mem, r->orig, DIM, MODEL);
        unsigned char blob[4 + DIM];
        vindex_quantise(r->orig, DIM, blob);
        dequantise(blob, DIM, r->deq);
        r->live = true;
    }
    vindex *v = vindex_new(MODEL, DIM);
    sync_ok(v, st);
    size_t bytes_before = vindex_bytes(v);
    /* Delete three quarters through another connection, in several rounds
     * with syncs in between (compaction happens during one of them). */
    for (int round = 0; round < 3; round++) {
        for (size_t i = 0; i < N; i++) {
            if (!rows[i].live || (i + (size_t)round) % 4 == 0) continue;
            if (urand() < 0.5) {
                delete_chunk(x->other, rows[i].chunk);
                rows[i].live = false;
            }
        }
        sync_ok(v, st);
        size_t live = 0;
        for (size_t i = 0; i < n_rows; i++) live += rows[i].live;
        assert_int_equal(vindex_count(v), live);
        float q[DIM];
        random_unit(q, DIM);
        check_search(v, rows, n_rows, "p", q, 30, NULL, 0);
        check_search(v, rows, n_rows, "p", q, N, NULL, 0);
    }
    /* New rows after compaction are found, and every row scores right. */
    for (size_t i = 0; i < 50; i++) {
        ref_row *r = &rows[n_rows++];
        r->project = "p";
        r->memory = mem;
        random_unit(r->orig, DIM);
        r->chunk = add_chunk(x->other, mem, r->orig, DIM, MODEL);
        unsigned char blob[4 + DIM];
        vindex_quantise(r->orig, DIM, blob);
        dequantise(blob, DIM, r->deq);
        r->live = true;
    }
    sync_ok(v, st);
    float q[DIM];
    random_unit(q, DIM);
    check_search(v, rows, n_rows, "p", q, 1000, NULL, 0);
    for (size_t i = 0; i < n_rows; i++) {
        float s = 0;
        bool found = vindex_score(v, "p", q, rows[i].chunk, &s);
        assert_int_equal(found, rows[i].live);
        if (found) assert_true(fabs(s - ref_score(&rows[i], q)) < 1e-4);
    }
    assert_true(vindex_bytes(v) >= bytes_before); /* capacity is kept */
    vindex_free(v);
    free(rows);
}

static void test_score(void **state) {
    vx *x = *state;
    store *st = x->f->st;
    float a[DIM], b[DIM];
    random_unit(a, DIM);
    random_unit(b, DIM);
    int64_t m = add_memory(st, "p");
    int64_t ca = add_chunk(st, m, a, DIM, MODEL), cb = add_chunk(st, m, b, DIM, MODEL);
    vindex *v = vindex_new(MODEL, DIM);
    float s;
    assert_false(vindex_score(v, "p", a, ca, &s)); /* not synced yet */
    sync_ok(v, st);
    assert_true(vindex_score(v, "p", a, ca, &s));
    assert_true(fabs(s - 1.0) < 0.01);
    float sb;
    assert_true(vindex_score(v, "p", a, cb, &sb));
    double d = 0;
    for (int i = 0; i < DIM; i++) d += (double)a[i] * b[i];
    assert_true(fabs(sb - d) < 0.02);
    /* The same score as a search gives. */
    vhit h[2];
    assert_int_equal(vindex_search(v, "p", a, 2, NULL, 0, h), 2);
    assert_true(fabsf(h[0].score - s) < 1e-6f);
    assert_true(fabsf(h[1].score - sb) < 1e-6f);
    assert_false(vindex_score(v, "p", a, cb + 1000, &s));
    assert_false(vindex_score(v, "p", a, 0, &s));
    delete_chunk(x->other, ca);
    sync_ok(v, st);
    assert_false(vindex_score(v, "p", a, ca, &s));
    assert_true(vindex_score(v, "p", a, cb, &s));
    vindex_free(v);
}

/* vindex_near against the full scan: the k best rows scoring at least the
 * threshold, ties in chunk id order. Random rows, tight clusters (many rows
 * above a high threshold, so the heap fills and its floor moves), exact
 * copies (equal scores), deleted rows and another project, over more than
 * one scan block (4096 rows), in 100 dimensions like GloVe. */
#define NEAR_DIM 100

static int by_score_then_chunk(const void *a, const void *b) {
    const vhit *x = a, *y = b;
    if (x->score != y->score) return x->score < y->score ? 1 : -1;
    return x->chunk_id < y->chunk_id ? -1 : x->chunk_id > y->chunk_id;
}

static void perturbed(const float *centre, double spread, float *out) {
    double s = 0;
    for (int i = 0; i < NEAR_DIM; i++) {
        out[i] = (float)(centre[i] + spread * (urand() * 2 - 1));
        s += (double)out[i] * out[i];
    }
    for (int i = 0; i < NEAR_DIM; i++) out[i] = (float)(out[i] / sqrt(s));
}

static void test_near_matches_full_scan(void **state) {
    vx *x = *state;
    store *st = x->f->st;
    enum { CLUSTERS = 12, ROWS = 4700 };
    float centre[CLUSTERS][NEAR_DIM];
    for (int c = 0; c < CLUSTERS; c++) random_unit(centre[c], NEAR_DIM);
    int64_t *chunks = calloc(ROWS, sizeof *chunks);
    int64_t mem[8];
    exec(st, "BEGIN");
    for (int i = 0; i < 8; i++) mem[i] = add_memory(st, "p");
    int64_t other = add_memory(st, "other");
    float v[NEAR_DIM], copy[NEAR_DIM];
    random_unit(copy, NEAR_DIM);
    for (int i = 0; i < ROWS; i++) {
        if (i % 5 == 0) random_unit(v, NEAR_DIM);
        else if (i % 97 == 3) memcpy(v, copy, sizeof v); /* the same vector again: equal scores */
        else perturbed(centre[i % CLUSTERS], i % 3 == 0 ? 0.01 : i % 3 == 1 ? 0.03 : 0.08, v);
        chunks[i] = add_chunk(st, mem[i % 8], v, NEAR_DIM, MODEL);
        if (i % 50 == 0) add_chunk(st, other, centre[0], NEAR_DIM, MODEL);
    }
    exec(st, "COMMIT");
    vindex *vi = vindex_new(MODEL, NEAR_DIM);
    sync_ok(vi, st);
    /* Some rows deleted by another process, picked up by a sync. */
    for (int i = 0; i < ROWS; i += 7) delete_chunk(x->other, chunks[i]);
    sync_ok(vi, st);
    size_t live = vindex_count(vi);
    vhit *all = malloc(sizeof *all * (live + 1)), got[64];
    const float thresholds[] = {-1.0f, 0.0f, 0.5f, 0.9f, 0.95f, 0.98f, 0.995f, 1.0f, 1.5f};
    const size_t ks[] = {1, 3, 8, 64};
    int checked_full = 0;
    for (int qn = 0; qn < CLUSTERS + 4; qn++) {
        float q[NEAR_DIM];
        if (qn < CLUSTERS) perturbed(centre[qn], 0.005, q);
        else if (qn == CLUSTERS) memcpy(q, copy, sizeof q);
        else random_unit(q, NEAR_DIM);
        size_t n_all = vindex_search(vi, "p", q, live + 1, NULL, 0, all);
        assert_int_equal(n_all, live - ROWS / 50); /* the rows of "other" are not considered */
        qsort(all, n_all, sizeof *all, by_score_then_chunk);
        for (size_t t = 0; t < sizeof thresholds / sizeof *thresholds; t++) {
            size_t above = 0;
            while (above < n_all && all[above].score >= thresholds[t]) above++;
            for (size_t ki = 0; ki < sizeof ks / sizeof *ks; ki++) {
                size_t k = ks[ki], want = above < k ? above : k;
                size_t n = vindex_near(vi, "p", q, thresholds[t], k, got);
                assert_int_equal(n, want);
                for (size_t i = 0; i < n; i++) {
                    if (got[i].chunk_id != all[i].chunk_id || got[i].memory_id != all[i].memory_id ||
                        got[i].score != all[i].score)
                        fail_msg("query %d threshold %.3f k %zu rank %zu: chunk %lld (%.7f), full scan %lld (%.7f)",
                                 qn, thresholds[t], k, i, (long long)got[i].chunk_id, got[i].score,
                                 (long long)all[i].chunk_id, all[i].score);
                }
                checked_full += n == k && k == 64;
            }
        }
        if (qn == CLUSTERS) {
            /* The copies tie: best first, in chunk order. */
            size_t n = vindex_near(vi, "p", q, 0.99f, 8, got);
            assert_true(n >= 2);
            assert_true(got[0].score == got[1].score && got[0].chunk_id < got[1].chunk_id);
        }
    }
    assert_true(checked_full > 10); /* the heap did fill and evict */
    assert_int_equal(vindex_near(vi, "nowhere", copy, 0.0f, 8, got), 0);
    assert_int_equal(vindex_near(vi, "p", copy, 0.0f, 0, got), 0);
    free(all);
    free(chunks);
    vindex_free(vi);
}

/* With a common direction (what every long text shares), vindex_near scores
 * the cosine of query and row with that direction taken out. Rows here are
 * mostly the common direction plus a residual of their own, so every raw
 * cosine is high (as with SIF-weighted GloVe averages of long texts), and
 * only the rows whose residual is close to the query's should count. */
static void make_text_like(const float *common, const float *own, double along, float *out) {
    double s = 0;
    for (int i = 0; i < NEAR_DIM; i++) {
        out[i] = (float)(along * common[i] + own[i]);
        s += (double)out[i] * out[i];
    }
    for (int i = 0; i < NEAR_DIM; i++) out[i] = (float)(out[i] / sqrt(s));
}

/* The reference: from the dequantised row and the quantised query's raw
 * score, as the index computes it, in doubles. */
static double ref_centered(const float *row_deq, double raw, const float *q, const float *c) {
    double ra = 0, rn = 0, qa = 0, qn = 0;
    for (int i = 0; i < NEAR_DIM; i++) {
        ra += (double)row_deq[i] * c[i];
        rn += (double)row_deq[i] * row_deq[i];
        qa += (double)q[i] * c[i];
        qn += (double)q[i] * q[i];
    }
    double rrest = fmax(sqrt(fmax(rn - ra * ra, 0)), 1e-3), qrest = fmax(sqrt(fmax(qn - qa * qa, 0)), 1e-3);
    return (raw - qa * ra) / (rrest * qrest);
}

static void test_near_centered_on_common_direction(void **state) {
    vx *x = *state;
    store *st = x->f->st;
    enum { ROWS = 600, TWINS = 5 };
    float common[NEAR_DIM], base[NEAR_DIM], own[NEAR_DIM], v[NEAR_DIM], q[NEAR_DIM];
    random_unit(common, NEAR_DIM);
    random_unit(base, NEAR_DIM);
    for (int i = 0; i < NEAR_DIM; i++) base[i] *= 0.25f;
    exec(st, "BEGIN");
    int64_t mem = add_memory(st, "p");
    int64_t twin_chunk[TWINS];
    float (*rows)[NEAR_DIM] = malloc(sizeof *rows * ROWS);
    for (int r = 0; r < ROWS; r++) {
        if (r < TWINS) { /* the base text, lightly edited */
            for (int i = 0; i < NEAR_DIM; i++) own[i] = base[i] + (float)(0.01 * (urand() * 2 - 1));
        } else {
            random_unit(own, NEAR_DIM);
            for (int i = 0; i < NEAR_DIM; i++) own[i] *= 0.25f;
        }
        make_text_like(common, own, 1.0, v);
        int64_t c = add_chunk(st, mem, v, NEAR_DIM, MODEL);
        if (r < TWINS) twin_chunk[r] = c;
        memcpy(rows[r], v, sizeof v);
    }
    exec(st, "COMMIT");
    make_text_like(common, base, 1.0, q);

    /* Raw cosines: every row looks like a near-duplicate. */
    vindex *raw = vindex_new(MODEL, NEAR_DIM);
    sync_ok(raw, st);
    vhit got[16];
    assert_int_equal(vindex_near(raw, "p", q, 0.9f, 16, got), 16);

    vindex *vi = vindex_new(MODEL, NEAR_DIM);
    assert_int_equal(vindex_set_common_direction(vi, common), 0);
    sync_ok(vi, st);
    size_t n = vindex_near(vi, "p", q, 0.95f, 16, got);
    assert_int_equal(n, TWINS); /* only the edits of the same text */
    for (size_t i = 0; i < n; i++) {
        bool twin = false;
        for (int t = 0; t < TWINS; t++) twin |= got[i].chunk_id == twin_chunk[t];
        assert_true(twin);
        assert_true(got[i].score >= 0.95f && got[i].score <= 1.01f);
    }
    /* Every score is the centred cosine of the stored numbers. */
    vhit all[ROWS];
    size_t n_all = vindex_near(vi, "p", q, -2.0f, ROWS, all);
    assert_int_equal(n_all, ROWS);
    vhit raw_all[ROWS];
    assert_int_equal(vindex_search(raw, "p", q, ROWS, NULL, 0, raw_all), ROWS);
    for (size_t i = 0; i < n_all; i++) {
        int64_t r = all[i].chunk_id - twin_chunk[0]; /* chunk ids were given in row order */
        assert_true(r >= 0 && r < ROWS);
        double rs = 0;
        for (size_t j = 0; j < ROWS; j++)
            if (raw_all[j].chunk_id == all[i].chunk_id) rs = raw_all[j].score;
        unsigned char blob[sizeof(float) + NEAR_DIM];
        float deq[NEAR_DIM];
        vindex_quantise(rows[r], NEAR_DIM, blob);
        dequantise(blob, NEAR_DIM, deq);
        double want = ref_centered(deq, rs, q, common);
        if (fabs(all[i].score - want) > 1e-4) fail_msg("row %lld: centred %.6f, reference %.6f", (long long)r, all[i].score, want);
        if (r >= TWINS) assert_true(all[i].score < 0.5f); /* unrelated texts are far apart */
    }
    free(rows);
    vindex_free(raw);
    vindex_free(vi);
}

/* vindex_near_begin/work/end: several threads share one job and give the
 * single-threaded answer; a sync between begin and end (rows added, rows
 * deleted, enough for a compaction) leaves the job on the rows it began
 * with, less the deleted ones. */
typedef struct {
    vnear *job;
} near_worker;

static void *near_worker_run(void *arg) {
    vindex_near_work(((near_worker *)arg)->job);
    return NULL;
}

static void test_near_job_threads_and_sync(void **state) {
    vx *x = *state;
    store *st = x->f->st;
    enum { ROWS = 9000 };
    float centre[NEAR_DIM], v[NEAR_DIM];
    random_unit(centre, NEAR_DIM);
    int64_t *chunks = calloc(ROWS, sizeof *chunks);
    exec(st, "BEGIN");
    int64_t mem = add_memory(st, "p");
    for (int i = 0; i < ROWS; i++) {
        perturbed(centre, i % 2 ? 0.02 : 0.2, v);
        chunks[i] = add_chunk(st, mem, v, NEAR_DIM, MODEL);
    }
    exec(st, "COMMIT");
    vindex *vi = vindex_new(MODEL, NEAR_DIM);
    sync_ok(vi, st);
    vhit *all = malloc(sizeof *all * (ROWS + 200)), got[16], want[16];
    for (int round = 0; round < 4; round++) {
        float q[NEAR_DIM];
        perturbed(centre, 0.01, q);
        size_t n_all = vindex_search(vi, "p", q, ROWS, NULL, 0, all);
        qsort(all, n_all, sizeof *all, by_score_then_chunk);
        size_t nw = vindex_near(vi, "p", q, 0.5f, 16, want);
        assert_int_equal(nw, 16);
        for (size_t i = 0; i < nw; i++) assert_true(want[i].chunk_id == all[i].chunk_id && want[i].score == all[i].score);
        vnear *job = vindex_near_begin(vi, "p", q, 0.5f, 16);
        assert_non_null(job);
        pthread_t t[3];
        near_worker w = {job};
        for (int i = 0; i < 3; i++) assert_int_equal(pthread_create(&t[i], NULL, near_worker_run, &w), 0);
        vindex_near_work(job);
        for (int i = 0; i < 3; i++) pthread_join(t[i], NULL);
        assert_int_equal(vindex_near_end(job, got), nw);
        for (size_t i = 0; i < nw; i++)
            assert_true(got[i].chunk_id == want[i].chunk_id && got[i].memory_id == want[i].memory_id &&
                        got[i].score == want[i].score);
    }
    /* A sync inside the job: new rows equal to the query (they would come
     * first) and the deletion of half the rows, the best one among them. */
    float q[NEAR_DIM];
    perturbed(centre, 0.01, q);
    vhit before[8];
    assert_int_equal(vindex_near(vi, "p", q, 0.0f, 8, before), 8);
    vnear *job = vindex_near_begin(vi, "p", q, 0.0f, 8);
    int64_t last = chunks[ROWS - 1];
    for (int i = 0; i < 100; i++) add_chunk(x->other, mem, q, NEAR_DIM, MODEL);
    delete_chunk(x->other, before[0].chunk_id);
    size_t deleted = 1;
    exec(x->other, "BEGIN");
    for (int i = 0; i < ROWS; i += 2)
        if (chunks[i] != before[0].chunk_id) delete_chunk(x->other, chunks[i]), deleted++;
    exec(x->other, "COMMIT");
    sync_ok(vi, st);
    size_t n = vindex_near_end(job, got);
    assert_int_equal(n, 8);
    size_t n_all = vindex_search(vi, "p", q, ROWS + 200, NULL, 0, all);
    qsort(all, n_all, sizeof *all, by_score_then_chunk);
    size_t r = 0;
    for (size_t i = 0; i < n; i++) {
        while (all[r].chunk_id > last) r++; /* added after begin: not in the job */
        assert_true(got[i].chunk_id != before[0].chunk_id);
        assert_true(got[i].chunk_id == all[r].chunk_id && got[i].score == all[r].score);
        r++;
    }
    /* Once the job is over the next sync compacts, and answers are the same. */
    sync_ok(vi, st);
    assert_int_equal(vindex_count(vi), ROWS - deleted + 100);
    assert_int_equal(vindex_near(vi, "p", q, 0.0f, 8, got), 8);
    for (size_t i = 0; i < 8; i++) assert_true(got[i].chunk_id == all[i].chunk_id && got[i].score == all[i].score);
    free(all);
    free(chunks);
    vindex_free(vi);
}

int main(void) {
    tu_quiet();
#define T(fn) cmocka_unit_test_setup_teardown(fn, vx_setup, vx_teardown)
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quantise_round_trip),
        T(test_search_exact_top_k),
        T(test_search_odd_dimensions),
        T(test_partitions_isolated),
        T(test_allowed_filter),
        T(test_sync_incremental_across_connections),
        T(test_compaction_keeps_results),
        T(test_score),
        T(test_near_matches_full_scan),
        T(test_near_centered_on_common_direction),
        T(test_near_job_threads_and_sync),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
