#include "vindex.h"

#include <assert.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

/* The AVX2 scan reads each row in whole 32-byte blocks, up to 31 bytes past
 * its end (multiplied by the query's zero padding): the row array keeps
 * that much room after its last row. */
#define ROW_SLACK 32

/* Values in a row's prefilter summary (see "the near-duplicate prefilter"). */
#define PF_DIMS 16

/* One partition per project, so a search only scans its own project. */
typedef struct {
    char *project;
    size_t n, cap;
    int8_t *rows;     /* n * dim */
    float *scales;    /* n */
    int64_t *chunk;   /* n; 0 marks a deleted row until compaction */
    int64_t *memory;  /* n */
    float *along;     /* n when the index has a common direction: the row's component along it */
    float *inv_rest;  /* n likewise: 1 / the norm of the rest of the row */
    uint8_t *head;    /* n * PF_DIMS once the index has a prefilter basis (see below): int8 + 128 */
    uint8_t *tail;    /* n likewise */
    size_t dead;
} partition;

struct vindex {
    char *model_id;
    int dim;
    pthread_rwlock_t lock;
    partition *parts;
    size_t n_parts;
    int64_t last_chunk_id;   /* largest chunk id loaded */
    int64_t last_delete_seq; /* last deleted_chunks entry applied */
    bool loaded;
    atomic_int near_jobs;    /* vindex_near jobs open: no compaction meanwhile */
    float *common;           /* vindex_set_common_direction, or NULL */
    double *basis;           /* PF_DIMS orthonormal rows of dim: the prefilter's basis, or NULL */
    size_t basis_tried_at;   /* live rows when build_basis last ran */
    atomic_ullong near_rows, near_scored; /* vindex_near_counts */
};

size_t vindex_blob_size(int dim) { return sizeof(float) + (size_t)dim; }

void vindex_quantise(const float *vec, int dim, void *out) {
    float maxabs = 0;
    for (int i = 0; i < dim; i++) maxabs = fmaxf(maxabs, fabsf(vec[i]));
    float scale = maxabs > 0 ? maxabs / 127.0f : 1.0f;
    memcpy(out, &scale, sizeof scale);
    int8_t *q = (int8_t *)out + sizeof scale;
    for (int i = 0; i < dim; i++) q[i] = (int8_t)lrintf(vec[i] / scale);
}

vindex *vindex_new(const char *model_id, int dim) {
    vindex *v = calloc(1, sizeof *v);
    if (!v) return NULL;
    v->model_id = strdup(model_id);
    v->dim = dim;
    pthread_rwlock_init(&v->lock, NULL);
    atomic_init(&v->near_jobs, 0);
    atomic_init(&v->near_rows, 0);
    atomic_init(&v->near_scored, 0);
    return v;
}

void vindex_free(vindex *v) {
    if (!v) return;
    for (size_t i = 0; i < v->n_parts; i++) {
        partition *p = &v->parts[i];
        free(p->project);
        free(p->rows);
        free(p->scales);
        free(p->chunk);
        free(p->memory);
        free(p->along);
        free(p->inv_rest);
        free(p->head);
        free(p->tail);
    }
    free(v->basis);
    free(v->common);
    free(v->parts);
    free(v->model_id);
    pthread_rwlock_destroy(&v->lock);
    free(v);
}

static partition *find_part(vindex *v, const char *project, bool create) {
    for (size_t i = 0; i < v->n_parts; i++)
        if (strcmp(v->parts[i].project, project) == 0) return &v->parts[i];
    if (!create) return NULL;
    partition *grown = realloc(v->parts, (v->n_parts + 1) * sizeof *grown);
    if (!grown) return NULL;
    v->parts = grown;
    partition *p = &v->parts[v->n_parts++];
    memset(p, 0, sizeof *p);
    p->project = strdup(project);
    return p;
}

int vindex_set_common_direction(vindex *v, const float *c) {
    assert(!v->loaded && v->n_parts == 0 && "set before the first sync");
    float *copy = malloc(sizeof *copy * (size_t)v->dim);
    if (!copy) return -1;
    memcpy(copy, c, sizeof *copy * (size_t)v->dim);
    free(v->common);
    v->common = copy;
    return 0;
}

/* Splits a unit vector x (as its float form, or as a stored blob) into its
 * component along the common direction and the norm of the rest. The rest
 * of a near-unit vector is at least this long (it keeps a division from
 * blowing up for a text that is all common component). */
#define MIN_REST 1e-3f

/* The same for a stored row, from its dequantised values (the numbers the
 * raw score is computed from). */
static void split_row(const vindex *v, const void *blob, float *along, float *inv_rest) {
    float scale;
    memcpy(&scale, blob, sizeof scale);
    const int8_t *q = (const int8_t *)blob + sizeof scale;
    double a = 0, norm2 = 0;
    for (int i = 0; i < v->dim; i++) {
        double x = (double)scale * q[i];
        a += x * v->common[i];
        norm2 += x * x;
    }
    double rest = sqrt(fmax(norm2 - a * a, 0));
    *along = (float)a;
    *inv_rest = (float)(1.0 / fmax(rest, MIN_REST));
}

/* ---- the near-duplicate prefilter ----------------------------------------------------
 *
 * With a common direction c, the near-duplicate score of a row is the
 * cosine of the two remainders: with w the quantised query, w' = w - (w.c)c
 * and u the row's remainder scaled by its inv_rest, the score is
 * (w'.u) / |w'|. For any orthonormal rows B (here PF_DIMS of them),
 * w'.u <= (Bw').(Bu) + |w' off B| |u off B| (Cauchy-Schwarz on what B does
 * not span). Each row keeps Bu as int8 (error at most 0.5/127 a value) and
 * |u off B| rounded up as uint8, 17 bytes against the row's 104, so the scan
 * first reads those and scores fully only the rows whose bound reaches the
 * answer's floor: exact, the same answer as scoring every row. The bound is
 * tight when B holds much of what the remainders vary in, so B is the top
 * principal directions of a sample of the index's own remainders, taken
 * once when the index first holds PF_MIN_ROWS rows (a smaller index is
 * scanned in full). */
#define PF_MIN_ROWS 4096
#define PF_SAMPLE 20000
#define PF_MARGIN 1e-3f /* covers float rounding in the score and the bound */

/* The arrays have room for PF_SLACK rows past cap: the vector loop reads
 * eight rows at a time, past the last one. */
#define PF_SLACK 8

static int grow_summaries(partition *p, size_t cap) {
    uint8_t *head = realloc(p->head, (cap + PF_SLACK) * PF_DIMS);
    if (!head) return -1;
    p->head = head;
    uint8_t *tail = realloc(p->tail, cap + PF_SLACK);
    if (!tail) return -1;
    p->tail = tail;
    return 0;
}

/* Row r's remainder u = (x - (x.c)c) * inv_rest, in doubles, from its
 * dequantised values and the split kept beside it. */
static void row_remainder(const vindex *v, const partition *p, size_t r, double *u) {
    const int8_t *q = p->rows + r * (size_t)v->dim;
    for (int i = 0; i < v->dim; i++)
        u[i] = ((double)p->scales[r] * q[i] - (double)p->along[r] * v->common[i]) * p->inv_rest[r];
}

static void summarise_vector(const vindex *v, const double *u, uint8_t head[PF_DIMS], uint8_t *tail) {
    double norm2 = 0, head2 = 0;
    for (int i = 0; i < v->dim; i++) norm2 += u[i] * u[i];
    for (int k = 0; k < PF_DIMS; k++) {
        double h = 0;
        for (int i = 0; i < v->dim; i++) h += v->basis[k * v->dim + i] * u[i];
        head2 += h * h;
        long r = lrint(h * 127);
        head[k] = (uint8_t)((r > 127 ? 127 : r < -127 ? -127 : r) + 128); /* biased: see pf_pass */
    }
    double t = sqrt(fmax(norm2 - head2, 0)) * (1 + 1e-6) + 1e-6;
    double up = ceil(t * 255);
    *tail = (uint8_t)(up > 255 ? 255 : up);
}

static void summarise_row(const vindex *v, partition *p, size_t r) {
    double u[v->dim];
    row_remainder(v, p, r, u);
    summarise_vector(v, u, p->head + r * PF_DIMS, &p->tail[r]);
}

/* x minus its components along the k orthonormal rows of basis. */
static void remove_components(double *x, const double *basis, int k, int d) {
    for (int m = 0; m < k; m++) {
        const double *o = basis + (size_t)m * d;
        double dot = 0;
        for (int i = 0; i < d; i++) dot += o[i] * x[i];
        for (int i = 0; i < d; i++) x[i] -= dot * o[i];
    }
}

/* Top principal directions of the sampled remainders by power iteration with
 * deflation, then Gram-Schmidt so the rows are orthonormal to rounding.
 * Returns -1 when out of memory; 0 also when the sample gives no basis (too
 * few live rows, or remainders that span fewer than PF_DIMS directions),
 * and the index then stays without a prefilter until it has grown. */
static int build_basis(vindex *v, size_t total) {
    int d = v->dim;
    size_t step = total / PF_SAMPLE + 1, taken = 0;
    double *cov = calloc((size_t)d * d, sizeof *cov), *u = malloc(sizeof *u * (size_t)d);
    double *basis = calloc((size_t)PF_DIMS * d, sizeof *basis), *x = malloc(sizeof *x * (size_t)d);
    int rc = -1;
    if (!cov || !u || !basis || !x) goto done;
    rc = 0; /* from here on, failing to find a basis is not an error */
    size_t seen = 0;
    for (size_t pi = 0; pi < v->n_parts; pi++) {
        const partition *p = &v->parts[pi];
        for (size_t r = 0; r < p->n; r++, seen++) {
            if (seen % step || p->chunk[r] < 0) continue;
            row_remainder(v, p, r, u);
            for (int i = 0; i < d; i++)
                for (int j = 0; j <= i; j++) cov[i * d + j] += u[i] * u[j];
            taken++;
        }
    }
    if (taken < 16) goto done;
    for (int i = 0; i < d; i++)
        for (int j = 0; j < i; j++) cov[j * d + i] = cov[i * d + j];
    uint64_t seed = 0x2545F4914F6CDD1Dull;
    for (int k = 0; k < PF_DIMS; k++) {
        double *b = basis + (size_t)k * d;
        for (int i = 0; i < d; i++) {
            seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
            b[i] = (double)(seed >> 11) / 9007199254740992.0 - 0.5;
        }
        for (int it = 0; it < 100; it++) {
            for (int i = 0; i < d; i++) {
                double s = 0;
                for (int j = 0; j < d; j++) s += cov[i * d + j] * b[j];
                x[i] = s;
            }
            remove_components(x, basis, k, d); /* deflation: orthogonal to the rows found */
            double n2 = 0;
            for (int i = 0; i < d; i++) n2 += x[i] * x[i];
            if (n2 <= 0) break;
            for (int i = 0; i < d; i++) b[i] = x[i] / sqrt(n2);
        }
        remove_components(b, basis, k, d); /* Gram-Schmidt once more */
        double n2 = 0;
        for (int i = 0; i < d; i++) n2 += b[i] * b[i];
        if (!(n2 > 0)) goto done;
        for (int i = 0; i < d; i++) b[i] /= sqrt(n2);
    }
    for (size_t pi = 0; pi < v->n_parts; pi++) {
        if (grow_summaries(&v->parts[pi], v->parts[pi].cap ? v->parts[pi].cap : 1)) {
            rc = -1;
            goto done;
        }
    }
    v->basis = basis;
    basis = NULL;
    for (size_t pi = 0; pi < v->n_parts; pi++) {
        partition *p = &v->parts[pi];
        for (size_t r = 0; r < p->n; r++) {
            summarise_row(v, p, r);
        }
    }
    rc = 0;
done:
    free(cov);
    free(u);
    free(basis);
    free(x);
    return rc;
}

/* The rows of [base, base + m) whose bound reaches lim: the head's dot
 * product in integers, scaled, plus the tail's term, compared with lim (in
 * the same units: the floor with the slack, |w'| and the margin taken back).
 * The row's values are stored plus 128 (0..255) and the query's are int8 of
 * at most 63 in size (q_head8), so one AVX2 maddubs multiplies 32 pairs
 * with no saturation (2 * 255 * 63 < 32767); the bias comes off as 128 times
 * the sum of the query's values (q_bias). Writes the survivors' offsets
 * from base into out and returns how many. */
static size_t pf_pass_portable(const partition *p, size_t base, size_t m, const int8_t *qh, int32_t bias,
                               float head_unit, float tail_unit, float lim, uint16_t *out) {
    size_t n = 0;
    for (size_t i = 0; i < m; i++) {
        const uint8_t *h = p->head + (base + i) * PF_DIMS;
        int32_t dot = -bias;
        for (int k = 0; k < PF_DIMS; k++) dot += (int32_t)qh[k] * h[k];
        if ((float)dot * head_unit + (float)p->tail[base + i] * tail_unit >= lim) out[n++] = (uint16_t)i;
    }
    return n;
}

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
/* Eight rows a step: two rows per 32-byte load, one maddubs and one madd
 * each (four sums a row), a tree of three hadds and a permute put the eight
 * rows' sums in order, and one compare gives a bit per row. The integers
 * are the portable version's. */
__attribute__((target("avx2"))) static size_t pf_pass_avx2(const partition *p, size_t base, size_t m, const int8_t *qh,
                                                          int32_t bias, float head_unit, float tail_unit, float lim,
                                                          uint16_t *out) {
    _Static_assert(PF_DIMS == 16, "two rows are one 256-bit load");
    const __m128i q1 = _mm_loadu_si128((const __m128i *)qh);
    const __m256i q = _mm256_set_m128i(q1, q1), ones = _mm256_set1_epi16(1), bv = _mm256_set1_epi32(bias);
    const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    const __m256 hu = _mm256_set1_ps(head_unit), tu = _mm256_set1_ps(tail_unit), lv = _mm256_set1_ps(lim);
    size_t n = 0;
    for (size_t i = 0; i < m; i += 8) { /* reads up to 7 rows past m: PF_SLACK */
        const uint8_t *h = p->head + (base + i) * PF_DIMS;
        __m256i d[4];
        for (int r = 0; r < 4; r++)
            d[r] = _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_loadu_si256((const __m256i *)(h + 2 * r * PF_DIMS)), q),
                                     ones);
        /* d[r]: rows 2r (low lane) and 2r+1 (high lane), four partial sums each. */
        __m256i s = _mm256_hadd_epi32(_mm256_hadd_epi32(d[0], d[1]), _mm256_hadd_epi32(d[2], d[3]));
        /* s: rows 0, 2, 4, 6 in the low lane, 1, 3, 5, 7 in the high one. */
        s = _mm256_sub_epi32(_mm256_permutevar8x32_epi32(s, order), bv);
        __m256 t = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(p->tail + base + i))));
        __m256 acc = _mm256_add_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(s), hu), _mm256_mul_ps(t, tu));
        unsigned mask = (unsigned)_mm256_movemask_ps(_mm256_cmp_ps(acc, lv, _CMP_GE_OQ));
        if (m - i < 8) mask &= (1u << (m - i)) - 1;
        while (mask) {
            out[n++] = (uint16_t)(i + (size_t)__builtin_ctz(mask));
            mask &= mask - 1;
        }
    }
    return n;
}

static size_t pf_pass(const partition *p, size_t base, size_t m, const int8_t *qh, int32_t bias, float head_unit,
                      float tail_unit, float lim, uint16_t *out) {
    if (__builtin_cpu_supports("avx2")) return pf_pass_avx2(p, base, m, qh, bias, head_unit, tail_unit, lim, out);
    return pf_pass_portable(p, base, m, qh, bias, head_unit, tail_unit, lim, out);
}
#else
#define pf_pass pf_pass_portable
#endif

bool vindex_near_counts(vindex *v, uint64_t *rows, uint64_t *scored) {
    pthread_rwlock_rdlock(&v->lock);
    bool on = v->basis != NULL;
    pthread_rwlock_unlock(&v->lock);
    *rows = atomic_load(&v->near_rows);
    *scored = atomic_load(&v->near_scored);
    return on;
}

static int append(vindex *v, partition *p, int64_t chunk_id, int64_t memory_id, const void *blob) {
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 1024;
        int8_t *rows = realloc(p->rows, cap * (size_t)v->dim + ROW_SLACK);
        if (!rows) return -1;
        p->rows = rows;
        float *scales = realloc(p->scales, cap * sizeof *scales);
        if (!scales) return -1;
        p->scales = scales;
        int64_t *chunk = realloc(p->chunk, cap * sizeof *chunk);
        if (!chunk) return -1;
        p->chunk = chunk;
        int64_t *memory = realloc(p->memory, cap * sizeof *memory);
        if (!memory) return -1;
        p->memory = memory;
        if (v->common) {
            float *along = realloc(p->along, cap * sizeof *along);
            if (!along) return -1;
            p->along = along;
            float *inv_rest = realloc(p->inv_rest, cap * sizeof *inv_rest);
            if (!inv_rest) return -1;
            p->inv_rest = inv_rest;
        }
        if (v->basis && grow_summaries(p, cap)) return -1;
        p->cap = cap;
    }
    if (v->common) split_row(v, blob, &p->along[p->n], &p->inv_rest[p->n]);
    memcpy(&p->scales[p->n], blob, sizeof(float));
    memcpy(p->rows + p->n * (size_t)v->dim, (const char *)blob + sizeof(float), (size_t)v->dim);
    if (v->basis) summarise_row(v, p, p->n);
    p->chunk[p->n] = chunk_id;
    p->memory[p->n] = memory_id;
    p->n++;
    return 0;
}

/* Rows are appended in chunk-id order, so a deleted chunk is found by
 * binary search over its partition (deleted rows keep their id until
 * compaction, so the order holds). */
static ssize_t find_row(const partition *p, int64_t chunk_id);

static void remove_chunk(vindex *v, int64_t chunk_id) {
    for (size_t i = 0; i < v->n_parts; i++) {
        partition *p = &v->parts[i];
        ssize_t r = find_row(p, chunk_id);
        if (r >= 0) {
            p->chunk[r] = -chunk_id; /* negative: deleted, still in order for the binary search */
            p->dead++;
            return;
        }
    }
}

static void compact(vindex *v, partition *p) {
    size_t w = 0;
    for (size_t r = 0; r < p->n; r++) {
        if (p->chunk[r] < 0) continue;
        if (w != r) {
            memcpy(p->rows + w * (size_t)v->dim, p->rows + r * (size_t)v->dim, (size_t)v->dim);
            p->scales[w] = p->scales[r];
            p->chunk[w] = p->chunk[r];
            p->memory[w] = p->memory[r];
            if (v->common) {
                p->along[w] = p->along[r];
                p->inv_rest[w] = p->inv_rest[r];
            }
            if (v->basis) {
                memcpy(p->head + w * PF_DIMS, p->head + r * PF_DIMS, PF_DIMS);
                p->tail[w] = p->tail[r];
            }
        }
        w++;
    }
    p->n = w;
    p->dead = 0;
}

static int sync_locked(vindex *v, store *st, lt_err *err) {
    /* Deletions first: a chunk deleted and a newer one added in the same
     * interval must not be confused. */
    store_stmt *s = store_prepare(st, "SELECT seq, chunk_id FROM deleted_chunks WHERE seq > ? ORDER BY seq", err);
    if (!s) return -1;
    store_bind_int(s, 1, v->last_delete_seq);
    int rc;
    while ((rc = store_step(s, err)) == 1) {
        v->last_delete_seq = store_col_int(s, 0);
        if (v->loaded) remove_chunk(v, store_col_int(s, 1));
    }
    if (rc < 0) return -1;
    s = store_prepare(st,
                      "SELECT v.chunk_id, c.memory_id, m.project, v.vec FROM vectors v"
                      " JOIN chunks c ON c.id = v.chunk_id JOIN memories m ON m.id = c.memory_id"
                      " WHERE v.chunk_id > ? AND v.model = ? AND v.dim = ? ORDER BY v.chunk_id",
                      err);
    if (!s) return -1;
    store_bind_int(s, 1, v->last_chunk_id);
    store_bind_text(s, 2, v->model_id);
    store_bind_int(s, 3, v->dim);
    size_t blob_size = vindex_blob_size(v->dim);
    while ((rc = store_step(s, err)) == 1) {
        int64_t chunk_id = store_col_int(s, 0);
        v->last_chunk_id = chunk_id;
        const void *blob = store_col_blob(s, 3);
        if (!blob || store_col_bytes(s, 3) != blob_size) continue; /* written by another model's dimension */
        partition *p = find_part(v, store_col_text(s, 2), true);
        if (!p || append(v, p, chunk_id, store_col_int(s, 1), blob)) {
            store_reset(s);
            return lt_err_set(err, LT_ERR_INTERNAL, "out of memory loading the vector index");
        }
    }
    if (rc < 0) return -1;
    v->loaded = true;
    if (v->common && !v->basis) {
        size_t total = 0;
        for (size_t i = 0; i < v->n_parts; i++) total += v->parts[i].n - v->parts[i].dead;
        if (total >= PF_MIN_ROWS && total >= 2 * v->basis_tried_at) {
            v->basis_tried_at = total; /* a sample that gave no basis is retried once the index doubled */
            if (build_basis(v, total))
                return lt_err_set(err, LT_ERR_INTERNAL, "out of memory building the near-duplicate prefilter");
        }
    }
    for (size_t i = 0; i < v->n_parts && atomic_load(&v->near_jobs) == 0; i++)
        if (v->parts[i].dead > 64 && v->parts[i].dead * 4 > v->parts[i].n) compact(v, &v->parts[i]);
    return 0;
}

int vindex_sync(vindex *v, store *st, lt_err *err) {
    pthread_rwlock_wrlock(&v->lock);
    int rc = sync_locked(v, st, err);
    pthread_rwlock_unlock(&v->lock);
    return rc;
}

/* The hot loop. The query is quantised like the rows (int8 and a scale),
 * so a row's score is an exact integer dot product times the two scales:
 * the AVX2 version multiplies 32 pairs per instruction and gives the same
 * integers as the portable one. Quantising the query moves a cosine by
 * about 0.005 at most, far below what separates a match from a non-match. */
typedef struct {
    int8_t *v;     /* dim values, then zeros up to a multiple of 32 */
    float scale;
} qvec;

static int32_t dot_portable(const int8_t *a, const int8_t *b, int dim) {
    int32_t sum = 0;
    for (int i = 0; i < dim; i++) sum += (int32_t)a[i] * (int32_t)b[i];
    return sum;
}

static void score_rows_portable(const int8_t *rows, const float *scales, size_t n, int dim, const qvec *q,
                                float *out) {
    for (size_t r = 0; r < n; r++)
        out[r] = (float)dot_portable(rows + r * (size_t)dim, q->v, dim) * scales[r] * q->scale;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

__attribute__((target("avx2"))) static void score_rows_avx2(const int8_t *rows, const float *scales, size_t n,
                                                              int dim, const qvec *q, float *out) {
    const __m256i ones = _mm256_set1_epi16(1);
    for (size_t r = 0; r < n; r++) {
        const int8_t *row = rows + r * (size_t)dim;
        __m256i acc = _mm256_setzero_si256();
        int i = 0;
        for (; i + 32 <= dim; i += 32) {
            __m256i a = _mm256_loadu_si256((const __m256i *)(const void *)(row + i));
            __m256i b = _mm256_loadu_si256((const __m256i *)(const void *)(q->v + i));
            /* a.b = |b| . (a with b's sign): maddubs needs one unsigned side.
             * Pairs sum to at most 2 * 127 * 127, inside int16. */
            __m256i pairs = _mm256_maddubs_epi16(_mm256_abs_epi8(b), _mm256_sign_epi8(a, b));
            acc = _mm256_add_epi32(acc, _mm256_madd_epi16(pairs, ones));
        }
        __m128i s4 = _mm_add_epi32(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1));
        s4 = _mm_add_epi32(s4, _mm_shuffle_epi32(s4, 0x4e));
        s4 = _mm_add_epi32(s4, _mm_shuffle_epi32(s4, 0xb1));
        int32_t sum = _mm_cvtsi128_si32(s4) + dot_portable(row + i, q->v + i, dim - i);
        out[r] = (float)sum * scales[r] * q->scale;
    }
}

/* Four rows at a time, each in whole 32-byte blocks: the query's zero
 * padding cancels what a block reads past the row (ROW_SLACK), so there is
 * no scalar tail, and one horizontal sum serves four rows. The same
 * integers as score_rows_avx2, in about a third of the instructions. */
__attribute__((target("avx2"))) static void score_rows4_avx2(const int8_t *rows, const float *scales, size_t n,
                                                               int dim, const qvec *q, float *out) {
    const __m256i ones = _mm256_set1_epi16(1);
    int blocks = (dim + 31) / 32;
    size_t r = 0;
    for (; r + 4 <= n; r += 4) {
        const int8_t *row = rows + r * (size_t)dim;
        __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
        for (int j = 0; j < blocks; j++) {
            __m256i b = _mm256_loadu_si256((const __m256i *)(const void *)(q->v + 32 * j));
            __m256i ub = _mm256_abs_epi8(b);
            const int8_t *at = row + 32 * j;
#define LT_ROW_DOT(acc, k)                                                                                         \
    acc = _mm256_add_epi32(                                                                                        \
        acc, _mm256_madd_epi16(_mm256_maddubs_epi16(ub, _mm256_sign_epi8(_mm256_loadu_si256(                       \
                                                                         (const __m256i *)(const void *)(at + (k) * (size_t)dim)), b)), \
                               ones))
            LT_ROW_DOT(a0, 0);
            LT_ROW_DOT(a1, 1);
            LT_ROW_DOT(a2, 2);
            LT_ROW_DOT(a3, 3);
#undef LT_ROW_DOT
        }
        /* Lanes of hadd(hadd(a0, a1), hadd(a2, a3)): row k's partial sums
         * in lane k of each 128-bit half. */
        __m256i h = _mm256_hadd_epi32(_mm256_hadd_epi32(a0, a1), _mm256_hadd_epi32(a2, a3));
        __m128i sums = _mm_add_epi32(_mm256_castsi256_si128(h), _mm256_extracti128_si256(h, 1));
        __m128 f = _mm_mul_ps(_mm_mul_ps(_mm_cvtepi32_ps(sums), _mm_loadu_ps(scales + r)), _mm_set1_ps(q->scale));
        _mm_storeu_ps(out + r, f);
    }
    if (r < n) score_rows_avx2(rows + r * (size_t)dim, scales + r, n - r, dim, q, out + r);
}

static void score_rows(const int8_t *rows, const float *scales, size_t n, int dim, const qvec *q, float *out) {
    if (__builtin_cpu_supports("avx2")) score_rows4_avx2(rows, scales, n, dim, q, out);
    else score_rows_portable(rows, scales, n, dim, q, out);
}
#else
#define score_rows score_rows_portable
#endif

/* q as int8 with its scale; -1 when out of memory. */
static int qvec_make(const float *q, int dim, qvec *out) {
    out->v = calloc((size_t)(dim + 31) / 32 * 32, 1);
    if (!out->v) return -1;
    float maxabs = 0;
    for (int i = 0; i < dim; i++) maxabs = fmaxf(maxabs, fabsf(q[i]));
    out->scale = maxabs > 0 ? maxabs / 127.0f : 1.0f;
    for (int i = 0; i < dim; i++) out->v[i] = (int8_t)lrintf(q[i] / out->scale);
    return 0;
}

static bool allowed_has(const int64_t *allowed, size_t n, int64_t id) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (allowed[mid] < id) lo = mid + 1; else hi = mid;
    }
    return lo < n && allowed[lo] == id;
}

/* Keeps the k best in a min-heap on score. */
static void heap_push(vhit *heap, size_t *n, size_t k, vhit h) {
    if (*n < k) {
        size_t i = (*n)++;
        heap[i] = h;
        while (i > 0 && heap[(i - 1) / 2].score > heap[i].score) {
            vhit t = heap[i]; heap[i] = heap[(i - 1) / 2]; heap[(i - 1) / 2] = t;
            i = (i - 1) / 2;
        }
        return;
    }
    if (h.score <= heap[0].score) return;
    heap[0] = h;
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < k && heap[l].score < heap[m].score) m = l;
        if (r < k && heap[r].score < heap[m].score) m = r;
        if (m == i) break;
        vhit t = heap[i]; heap[i] = heap[m]; heap[m] = t;
        i = m;
    }
}

static int by_score_desc(const void *a, const void *b) {
    float x = ((const vhit *)a)->score, y = ((const vhit *)b)->score;
    return x < y ? 1 : x > y ? -1 : 0;
}

#define SCORE_BLOCK 4096

size_t vindex_search_range(vindex *v, const char *project, const float *q, size_t k, const int64_t *allowed,
                           size_t n_allowed, vhit *out, float *min_score, float *max_score) {
    float lo = INFINITY, hi = -INFINITY;
    size_t n = 0;
    qvec qv;
    if (qvec_make(q, v->dim, &qv)) {
        if (min_score) *min_score = 0;
        if (max_score) *max_score = 0;
        return 0;
    }
    pthread_rwlock_rdlock(&v->lock);
    partition *p = find_part(v, project, false);
    if (p) {
        float scores[SCORE_BLOCK];
        for (size_t base = 0; base < p->n; base += SCORE_BLOCK) {
            size_t m = p->n - base < SCORE_BLOCK ? p->n - base : SCORE_BLOCK;
            score_rows(p->rows + base * (size_t)v->dim, p->scales + base, m, v->dim, &qv, scores);
            for (size_t i = 0; i < m; i++) {
                size_t r = base + i;
                float sc = scores[i];
                if (p->chunk[r] < 0) continue;
                if (allowed && !allowed_has(allowed, n_allowed, p->memory[r])) continue;
                if (sc < lo) lo = sc;
                if (sc > hi) hi = sc;
                /* Most rows lose to the heap's worst: decide that inline. */
                if (n < k || (k && sc > out[0].score)) heap_push(out, &n, k, (vhit){p->chunk[r], p->memory[r], sc});
            }
        }
    }
    pthread_rwlock_unlock(&v->lock);
    free(qv.v);
    if (n) qsort(out, n, sizeof *out, by_score_desc);
    if (min_score) *min_score = lo == INFINITY ? 0 : lo;
    if (max_score) *max_score = hi == -INFINITY ? 0 : hi;
    return n;
}

size_t vindex_search(vindex *v, const char *project, const float *q, size_t k, const int64_t *allowed,
                     size_t n_allowed, vhit *out) {
    return vindex_search_range(v, project, q, k, allowed, n_allowed, out, NULL, NULL);
}

/* Order of vindex_near's answer: higher score first, then lower chunk id. */
static bool near_better(vhit a, vhit b) { return a.score > b.score || (a.score == b.score && a.chunk_id < b.chunk_id); }

/* Keeps the k best (near_better) in a heap whose root is the worst. */
static void near_push(vhit *heap, size_t *n, size_t k, vhit h) {
    size_t i;
    if (*n < k) {
        i = (*n)++;
        heap[i] = h;
        while (i > 0 && near_better(heap[(i - 1) / 2], heap[i])) {
            vhit t = heap[i]; heap[i] = heap[(i - 1) / 2]; heap[(i - 1) / 2] = t;
            i = (i - 1) / 2;
        }
        return;
    }
    assert(near_better(h, heap[0])); /* the caller checked */
    heap[0] = h;
    i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < k && near_better(heap[m], heap[l])) m = l;
        if (r < k && near_better(heap[m], heap[r])) m = r;
        if (m == i) break;
        vhit t = heap[i]; heap[i] = heap[m]; heap[m] = t;
        i = m;
    }
}

static int by_near_order(const void *a, const void *b) {
    vhit x = *(const vhit *)a, y = *(const vhit *)b;
    return near_better(x, y) ? -1 : near_better(y, x) ? 1 : 0;
}

/* The scan is bound by memory bandwidth (a million rows are ~100 MB), so
 * the loop decides on the score alone and reads a row's ids (16 more bytes)
 * only when it may enter the answer. Threads take blocks of rows in turn
 * and share one heap under a mutex: a row reaches it only when its score
 * is at least the heap's worst when its block began, which after the first
 * few blocks is a few rows a block. The answer is the same whichever
 * thread scans which block: near_better is a total order.
 *
 * Each work call holds the read lock only while it scans, so a caller may
 * do other work (a database write that may wait on another process)
 * between begin and end without holding up syncs. The job scans the rows
 * its partition had at begin; a sync in between may append rows (not
 * scanned) or mark rows deleted (skipped from then on), and does not
 * compact while a job is open (near_jobs), so row numbers hold. */
struct vnear {
    vindex *v;
    const char *project;
    qvec qv;
    float threshold;
    bool centered;               /* the index has a common direction: scores leave it out */
    float q_along, q_inv_rest;   /* the (quantised) query split like the rows */
    bool prefilter;              /* the index had a prefilter basis at begin */
    int8_t q_head8[PF_DIMS];     /* B w' * S, rounded: S = 63 / max |(B w')_k| */
    int16_t q_head16[PF_DIMS];   /* the same with S16 = 32767 / max |(B w')_k|: a finer second look */
    float head_unit16, q_slack16;
    int32_t q_bias;              /* 128 * the sum of q_head8: the rows' bias (see pf_pass) */
    float head_unit;             /* 1 / (127 S): turns the integer dot into (Bw').(Bu) */
    float q_slack;               /* the two roundings (see near_query) */
    float q_tail;                /* |w' off B| / 255 rounded up: times a row's uint8 tail */
    size_t k, n, rows, blocks;
    atomic_size_t next; /* the next block to take */
    pthread_mutex_t mu; /* guards n and best */
    vhit best[];        /* k: the heap */
};

/* The query's side of the centred score and of the prefilter's bound, from
 * the quantised query (the numbers the raw score is computed from). */
static void near_query(vnear *j, const vindex *v) {
    int d = v->dim;
    double w[d], a = 0, n2 = 0;
    for (int i = 0; i < d; i++) {
        w[i] = (double)j->qv.v[i] * j->qv.scale;
        a += w[i] * v->common[i];
    }
    for (int i = 0; i < d; i++) {
        w[i] -= a * v->common[i];
        n2 += w[i] * w[i];
    }
    j->q_along = (float)a;
    j->q_inv_rest = (float)(1.0 / fmax(sqrt(n2), MIN_REST));
    if (!v->basis) return;
    double h[PF_DIMS], h2 = 0, l1 = 0, hmax = 0;
    for (int k = 0; k < PF_DIMS; k++) {
        h[k] = 0;
        for (int i = 0; i < d; i++) h[k] += v->basis[k * d + i] * w[i];
        h2 += h[k] * h[k];
        l1 += fabs(h[k]);
        hmax = fmax(hmax, fabs(h[k]));
    }
    double scale = hmax > 0 ? 63 / hmax : 1;
    j->q_bias = 0;
    for (int k = 0; k < PF_DIMS; k++) {
        j->q_head8[k] = (int8_t)lrint(h[k] * scale);
        j->q_bias += 128 * j->q_head8[k];
    }
    j->head_unit = (float)(1 / (127 * scale));
    double scale16 = hmax > 0 ? 32767 / hmax : 1;
    for (int k = 0; k < PF_DIMS; k++) j->q_head16[k] = (int16_t)lrint(h[k] * scale16);
    j->head_unit16 = (float)(1 / (127 * scale16));
    j->q_slack16 = (float)((l1 * 0.5 / 127 + 2.04 / scale16) * (1 + 1e-6));
    /* (Bw').(Bu) = sum (A_k / S + e_k) h_k / 127 + (Bw').(Bu - h/127), with
     * |e_k| <= 0.5/S and |(Bu)_k - h_k/127| <= 0.5/127: the middle term is
     * at most |e| |h/127| <= (0.5/S) 4 (|Bu| + 4 * 0.5/127) < 2.04/S (as
     * |Bu| <= |u| <= 1), the last at most |Bw'|_1 * 0.5/127. */
    j->q_slack = (float)((l1 * 0.5 / 127 + 2.04 / scale) * (1 + 1e-6));
    j->q_tail = (float)((sqrt(fmax(n2 - h2, 0)) * (1 + 1e-6) + 1e-6) / 255);
    j->prefilter = true;
}

vnear *vindex_near_begin(vindex *v, const char *project, const float *q, float threshold, size_t k) {
    if (!k) return NULL;
    vnear *j = calloc(1, sizeof *j + k * sizeof j->best[0]);
    if (!j) return NULL;
    if (qvec_make(q, v->dim, &j->qv)) {
        free(j);
        return NULL;
    }
    j->v = v;
    j->project = project;
    j->threshold = threshold;
    j->centered = v->common != NULL;
    j->k = k;
    atomic_init(&j->next, 0);
    pthread_mutex_init(&j->mu, NULL);
    pthread_rwlock_rdlock(&v->lock);
    if (j->centered) near_query(j, v);
    const partition *p = find_part(v, project, false);
    j->rows = p ? p->n : 0;
    j->blocks = (j->rows + SCORE_BLOCK - 1) / SCORE_BLOCK;
    atomic_fetch_add(&v->near_jobs, 1);
    pthread_rwlock_unlock(&v->lock);
    return j;
}

static void near_offer(vnear *j, const partition *p, size_t r, float score, float *floor) {
    if (score < *floor || p->chunk[r] < 0) return;
    vhit h = {p->chunk[r], p->memory[r], score};
    pthread_mutex_lock(&j->mu);
    if (j->n < j->k || near_better(h, j->best[0])) near_push(j->best, &j->n, j->k, h);
    if (j->n == j->k) *floor = j->best[0].score;
    pthread_mutex_unlock(&j->mu);
}

/* q.v = qa va + q'.v', so cos(q', v') = (q.v - qa va) / (|q'| |v'|). */
static inline float centred(const vnear *j, const partition *p, size_t r, float raw) {
    return (raw - j->q_along * p->along[r]) * j->q_inv_rest * p->inv_rest[r];
}

void vindex_near_work(vnear *j) {
    if (!j || atomic_load(&j->next) >= j->blocks) return;
    int dim = j->v->dim;
    float scores[SCORE_BLOCK];
    uint64_t rows = 0, scored = 0;
    pthread_rwlock_rdlock(&j->v->lock);
    const partition *p = find_part(j->v, j->project, false);
    assert(p && p->n >= j->rows);
    assert(!j->prefilter || p->tail);
    for (size_t b; (b = atomic_fetch_add(&j->next, 1)) < j->blocks;) {
        size_t base = b * SCORE_BLOCK, m = j->rows - base < SCORE_BLOCK ? j->rows - base : SCORE_BLOCK;
        pthread_mutex_lock(&j->mu);
        float floor = j->n == j->k ? j->best[0].score : j->threshold;
        pthread_mutex_unlock(&j->mu);
        rows += m;
        if (j->prefilter) {
            /* The bound first (17 bytes a row); the row itself only when the
             * bound reaches the floor. */
            /* bound = (units + slack) |w'|^-1 (1 + 1e-5) + margin >= floor */
            float lim = (floor - PF_MARGIN) / (j->q_inv_rest * (1 + 1e-5f)) - j->q_slack;
            uint16_t pass[SCORE_BLOCK];
            size_t n_pass = pf_pass(p, base, m, j->q_head8, j->q_bias, j->head_unit, j->q_tail, lim, pass);
            float lim16 = (floor - PF_MARGIN) / (j->q_inv_rest * (1 + 1e-5f)) - j->q_slack16;
            for (size_t i = 0; i < n_pass; i++) {
                size_t r = base + pass[i];
                /* The coarse query's rounding let it through: a second look
                 * with the query to 16 bits, on the values just read. */
                const uint8_t *hv = p->head + r * PF_DIMS;
                int32_t dot = 0;
                for (int k = 0; k < PF_DIMS; k++) dot += (int32_t)j->q_head16[k] * ((int32_t)hv[k] - 128);
                if ((float)dot * j->head_unit16 + (float)p->tail[r] * j->q_tail < lim16) continue;
                float raw;
                score_rows(p->rows + r * (size_t)dim, p->scales + r, 1, dim, &j->qv, &raw);
                scored++;
                near_offer(j, p, r, centred(j, p, r, raw), &floor);
            }
            continue;
        }
        score_rows(p->rows + base * (size_t)dim, p->scales + base, m, dim, &j->qv, scores);
        scored += m;
        for (size_t i = 0; i < m; i++) {
            size_t r = base + i;
            near_offer(j, p, r, j->centered ? centred(j, p, r, scores[i]) : scores[i], &floor);
        }
    }
    pthread_rwlock_unlock(&j->v->lock);
    atomic_fetch_add(&j->v->near_rows, rows);
    atomic_fetch_add(&j->v->near_scored, scored);
}

size_t vindex_near_end(vnear *j, vhit *out) {
    if (!j) return 0;
    vindex_near_work(j); /* whatever no thread took */
    atomic_fetch_sub(&j->v->near_jobs, 1);
    size_t n = j->n;
    memcpy(out, j->best, n * sizeof *out);
    if (n) qsort(out, n, sizeof *out, by_near_order);
    pthread_mutex_destroy(&j->mu);
    free(j->qv.v);
    free(j);
    return n;
}

size_t vindex_near(vindex *v, const char *project, const float *q, float threshold, size_t k, vhit *out) {
    vnear *j = vindex_near_begin(v, project, q, threshold, k);
    vindex_near_work(j);
    return vindex_near_end(j, out);
}

static ssize_t find_row(const partition *p, int64_t chunk_id) {
    size_t lo = 0, hi = p->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int64_t c = p->chunk[mid] < 0 ? -p->chunk[mid] : p->chunk[mid];
        if (c < chunk_id) lo = mid + 1; else hi = mid;
    }
    return lo < p->n && p->chunk[lo] == chunk_id ? (ssize_t)lo : -1;
}

bool vindex_score(vindex *v, const char *project, const float *q, int64_t chunk_id, float *score) {
    qvec qv;
    if (qvec_make(q, v->dim, &qv)) return false;
    pthread_rwlock_rdlock(&v->lock);
    partition *p = find_part(v, project, false);
    ssize_t r = p ? find_row(p, chunk_id) : -1;
    if (r >= 0) score_rows(p->rows + (size_t)r * (size_t)v->dim, p->scales + r, 1, v->dim, &qv, score);
    pthread_rwlock_unlock(&v->lock);
    free(qv.v);
    return r >= 0;
}

size_t vindex_score_many(vindex *v, const char *project, const float *q, const int64_t *chunk_ids, size_t n,
                         float *scores, bool *found) {
    qvec qv;
    if (qvec_make(q, v->dim, &qv)) {
        for (size_t i = 0; i < n; i++) found[i] = false;
        return 0;
    }
    size_t hits = 0;
    pthread_rwlock_rdlock(&v->lock);
    partition *p = find_part(v, project, false);
    for (size_t i = 0; i < n; i++) {
        ssize_t r = p ? find_row(p, chunk_ids[i]) : -1;
        found[i] = r >= 0;
        if (r < 0) continue;
        score_rows(p->rows + (size_t)r * (size_t)v->dim, p->scales + r, 1, v->dim, &qv, &scores[i]);
        hits++;
    }
    pthread_rwlock_unlock(&v->lock);
    free(qv.v);
    return hits;
}

size_t vindex_memories(vindex *v, const char *project, const int64_t *chunk_ids, size_t n, int64_t *memory_ids) {
    size_t hits = 0;
    pthread_rwlock_rdlock(&v->lock);
    partition *p = find_part(v, project, false);
    for (size_t i = 0; i < n; i++) {
        ssize_t r = p ? find_row(p, chunk_ids[i]) : -1;
        memory_ids[i] = r >= 0 ? p->memory[r] : 0;
        hits += r >= 0;
    }
    pthread_rwlock_unlock(&v->lock);
    return hits;
}

size_t vindex_count(vindex *v) {
    pthread_rwlock_rdlock(&v->lock);
    size_t n = 0;
    for (size_t i = 0; i < v->n_parts; i++) n += v->parts[i].n - v->parts[i].dead;
    pthread_rwlock_unlock(&v->lock);
    return n;
}

size_t vindex_bytes(vindex *v) {
    pthread_rwlock_rdlock(&v->lock);
    size_t b = 0;
    for (size_t i = 0; i < v->n_parts; i++) {
        size_t per_row = (size_t)v->dim + sizeof(float) + 2 * sizeof(int64_t);
        if (v->common) per_row += 2 * sizeof(float);
        if (v->basis) per_row += PF_DIMS + 1;
        b += v->parts[i].cap * per_row;
    }
    pthread_rwlock_unlock(&v->lock);
    return b;
}
