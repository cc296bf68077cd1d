/* Unit tests for the embedders: the hash backend, and the glove backend on a
 * tiny word-vector file made here by the real converter (build/glove_convert)
 * from a JSON in the wink format. Expected vectors are computed
 * independently from the JSON. With build/glove-100d.ltmcvec present (make
 * model), a sanity check on real GloVe vectors runs too. */
#include "testutil.h"

#include "embed/glove_format.h"

#include <math.h>
#include <sys/wait.h>

/* ---- helpers -------------------------------------------------------------- */

static embedder *open_hash(int dim) {
    embed_options eo = {0};
    eo.backend = "hash";
    eo.hash_dim = dim;
    lt_err err;
    lt_err_clear(&err);
    embedder *e = embedder_open(&eo, &err);
    if (!e) fail_msg("hash embedder: %s", err.msg);
    return e;
}

static embedder *open_glove(const char *path, lt_err *err) {
    embed_options eo = {0};
    eo.backend = "glove";
    eo.glove_path = path;
    lt_err_clear(err);
    return embedder_open(&eo, err);
}

static float *embed(embedder *e, const char *text) {
    float *v = malloc(sizeof(float) * (size_t)embedder_dim(e));
    lt_err err;
    lt_err_clear(&err);
    if (embedder_embed(e, text, strlen(text), v, &err)) fail_msg("embed(%s): %s", text, err.msg);
    return v;
}

static double dot(const float *a, const float *b, int dim) {
    double s = 0;
    for (int i = 0; i < dim; i++) s += (double)a[i] * b[i];
    return s;
}

static double norm(const float *a, int dim) { return sqrt(dot(a, a, dim)); }

static double cosine(embedder *e, const char *a, const char *b) {
    float *x = embed(e, a), *y = embed(e, b);
    double c = dot(x, y, embedder_dim(e));
    free(x);
    free(y);
    return c;
}

/* ---- hash backend ---------------------------------------------------------- */

static void test_hash_basics(void **state) {
    (void)state;
    embedder *e = open_hash(256);
    assert_string_equal(embedder_backend(e), "hash");
    assert_string_equal(embedder_model_id(e), "hash-256-v1");
    assert_int_equal(embedder_dim(e), 256);
    json_t *info = embedder_info(e);
    assert_json_str(info, "backend", "hash");
    assert_json_str(info, "model_id", "hash-256-v1");
    assert_json_int(info, "dimensions", 256);
    json_decref(info);

    float *a = embed(e, "The quick brown fox jumps over the lazy dog");
    float *b = embed(e, "The quick brown fox jumps over the lazy dog");
    assert_memory_equal(a, b, sizeof(float) * 256); /* deterministic */
    assert_true(fabs(norm(a, 256) - 1.0) < 1e-5);   /* unit length */
    free(b);
    /* The same words however spelled: the same vector. */
    b = embed(e, "the QUICK, brown fox -- jumps over THE lazy dog!");
    assert_true(dot(a, b, 256) > 0.99999);
    free(b);
    /* A second embedder of the same dim gives the same vector. */
    embedder *e2 = open_hash(256);
    b = embed(e2, "The quick brown fox jumps over the lazy dog");
    assert_memory_equal(a, b, sizeof(float) * 256);
    free(b);
    embedder_close(e2);
    free(a);

    /* No words: the zero vector. */
    a = embed(e, " ... !!! ");
    for (int i = 0; i < 256; i++) assert_true(a[i] == 0.0f);
    free(a);
    a = embed(e, "");
    for (int i = 0; i < 256; i++) assert_true(a[i] == 0.0f);
    free(a);
    embedder_close(e);

    /* Another dimension: another model id. */
    e = open_hash(64);
    assert_string_equal(embedder_model_id(e), "hash-64-v1");
    a = embed(e, "word");
    assert_true(fabs(norm(a, 64) - 1.0) < 1e-5);
    free(a);
    embedder_close(e);
}

static void test_hash_similarity(void **state) {
    (void)state;
    embedder *e = open_hash(256);
    const char *base = "the database migration failed on the production server";
    double near = cosine(e, base, "database migrations failing on production servers");
    double far = cosine(e, base, "my grandmother bakes excellent apple pie");
    assert_true(near > far + 0.2);
    /* Shared spelling (trigrams) counts a little even without a shared word. */
    double typo = cosine(e, "configuration", "confguration");
    double other = cosine(e, "configuration", "banana");
    assert_true(typo > other + 0.2);
    embedder_close(e);
}

static void test_open_errors(void **state) {
    (void)state;
    embed_options eo = {0};
    lt_err err;
    eo.backend = "hash";
    eo.hash_dim = 4;
    lt_err_clear(&err);
    assert_null(embedder_open(&eo, &err));
    assert_contains(err.msg, "out of 8..4096");
    eo.backend = "word2vec";
    lt_err_clear(&err);
    assert_null(embedder_open(&eo, &err));
    assert_contains(err.msg, "unknown embedding backend 'word2vec'");
    assert_null(open_glove(NULL, &err));
    assert_contains(err.msg, "no word-vector file configured");
    assert_null(open_glove("/nonexistent/dir/vectors.ltmcvec", &err));
    assert_contains(err.msg, "/nonexistent/dir/vectors.ltmcvec");
    assert_contains(err.msg, "No such file");
}

/* ---- tiny glove file ---------------------------------------------------------- */

#define TD 8
#define TN 14
static const char *const tiny_words[TN] = {"the", "cat", "sat", "on", "mat", "dog", "ran", "fast",
                                           "kitten", "rug", "bank", "money", "caf\xc3\xa9", "zebra"};

static double tiny_vec(int row, int j) {
    /* Varied magnitudes and signs; exact in the JSON through %.9g. */
    return sin(row * 7.3 + j * 2.1 + 0.5) * (0.5 + (row % 4) * 0.7) + (j == row % TD ? 0.9 : 0.0);
}

typedef struct {
    char *dir;
    char *json;
    char *file;        /* converted with --sif-a 0.01 */
    char *file_pc;     /* converted with --remove-common */
    char *convert;     /* converter path */
} tiny_env;

static const char *converter_path(void) {
    const char *p = getenv("LTMC_GLOVE_CONVERT");
    return p && *p ? p : "build/glove_convert";
}

/* Runs the converter; returns its exit status and puts stderr in errbuf. */
static int run_convert(const tiny_env *t, const char *in, const char *out, const char *flags, char *errbuf,
                       size_t errlen) {
    char errfile[PATH_MAX], cmd[4 * PATH_MAX];
    snprintf(errfile, sizeof errfile, "%s/convert.err", t->dir);
    snprintf(cmd, sizeof cmd, "'%s' '%s' '%s' %s >/dev/null 2>'%s'", t->convert, in, out, flags ? flags : "", errfile);
    int rc = system(cmd);
    if (errbuf) {
        errbuf[0] = '\0';
        FILE *f = fopen(errfile, "r");
        if (f) {
            size_t n = fread(errbuf, 1, errlen - 1, f);
            errbuf[n] = '\0';
            fclose(f);
        }
    }
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static int tiny_setup(void **state) {
    tiny_env *t = calloc(1, sizeof *t);
    t->dir = tu_tmpdir();
    t->json = tu_path(t->dir, "tiny.json");
    t->file = tu_path(t->dir, "tiny.ltmcvec");
    t->file_pc = tu_path(t->dir, "tiny-pc.ltmcvec");
    t->convert = strdup(converter_path());
    if (access(t->convert, X_OK) != 0) {
        fprintf(stderr, "%s is missing: run make unit (it builds the converter first)\n", t->convert);
        return -1;
    }
    FILE *f = fopen(t->json, "w");
    fprintf(f, "{\"words\": [");
    for (int i = 0; i < TN; i++) fprintf(f, "%s\"%s\"", i ? ", " : "", tiny_words[i]);
    fprintf(f, "], \"vectors\": {");
    for (int i = 0; i < TN; i++) {
        double n2 = 0;
        fprintf(f, "%s\"%s\": [", i ? ", " : "", tiny_words[i]);
        for (int j = 0; j < TD; j++) {
            fprintf(f, "%.9g, ", tiny_vec(i, j));
            n2 += tiny_vec(i, j) * tiny_vec(i, j);
        }
        fprintf(f, "%.9g, %d]", sqrt(n2), i);
    }
    fprintf(f, "}, \"dimensions\": %d}\n", TD);
    fclose(f);
    char errbuf[512];
    if (run_convert(t, t->json, t->file, "--sif-a 0.01 --source tiny-test", errbuf, sizeof errbuf) != 0) {
        fprintf(stderr, "glove_convert failed: %s\n", errbuf);
        return -1;
    }
    if (run_convert(t, t->json, t->file_pc, "--remove-common", errbuf, sizeof errbuf) != 0) {
        fprintf(stderr, "glove_convert --remove-common failed: %s\n", errbuf);
        return -1;
    }
    *state = t;
    return 0;
}

static int tiny_teardown(void **state) {
    tiny_env *t = *state;
    if (!t) return 0;
    tu_rmrf(t->dir);
    free(t->dir);
    free(t->json);
    free(t->file);
    free(t->file_pc);
    free(t->convert);
    free(t);
    return 0;
}

static int rank_of(const char *w) {
    for (int i = 0; i < TN; i++)
        if (strcmp(tiny_words[i], w) == 0) return i;
    return -1;
}

/* The expected vector of a list of words (already tokens), computed from
 * the JSON values: SIF weights over ranks, int8 quantisation as the format
 * describes (scale max|x|/127), sum, normalise. quantised=false skips the
 * quantisation (the ideal float result). */
static void expected_vector(const char *const *tokens, size_t n, double a, bool quantised, double *out) {
    memset(out, 0, sizeof(double) * TD);
    double harmonic = log((double)TN) + 0.5772156649;
    for (size_t t = 0; t < n; t++) {
        int r = rank_of(tokens[t]);
        if (r < 0) continue;
        double p = 1.0 / ((r + 1) * harmonic);
        double w = a / (a + p);
        double maxabs = 0;
        for (int j = 0; j < TD; j++) maxabs = fmax(maxabs, fabs(tiny_vec(r, j)));
        double scale = (float)(maxabs / 127.0);
        for (int j = 0; j < TD; j++) {
            double x = tiny_vec(r, j);
            if (quantised) x = (double)lrint(tiny_vec(r, j) / scale) * scale;
            out[j] += w * x;
        }
    }
    double s = 0;
    for (int j = 0; j < TD; j++) s += out[j] * out[j];
    if (s > 0)
        for (int j = 0; j < TD; j++) out[j] /= sqrt(s);
}

static void test_glove_opens(void **state) {
    tiny_env *t = *state;
    lt_err err;
    embedder *e = open_glove(t->file, &err);
    if (!e) fail_msg("open: %s", err.msg);
    assert_string_equal(embedder_backend(e), "glove");
    assert_int_equal(embedder_dim(e), TD);
    assert_string_equal(embedder_model_id(e), "glove-8d-sif0.01-v1");
    json_t *info = embedder_info(e);
    assert_json_int(info, "words", TN);
    assert_json_str(info, "source", "tiny-test");
    assert_json_str(info, "path", t->file);
    assert_true(jx_int(info, "file_bytes", 0) > 0);
    json_decref(info);
    embedder_close(e);
    e = open_glove(t->file_pc, &err);
    if (!e) fail_msg("open: %s", err.msg);
    assert_string_equal(embedder_model_id(e), "glove-8d-sif0.001-pc-v1");
    embedder_close(e);
}

static void test_glove_exact_vector(void **state) {
    tiny_env *t = *state;
    lt_err err;
    embedder *e = open_glove(t->file, &err);
    if (!e) fail_msg("open: %s", err.msg);
    const char *const toks[] = {"the", "cat", "sat", "on", "the", "mat"};
    double want[TD], ideal[TD];
    double a = (double)0.01f; /* the header stores sif_a as float */
    expected_vector(toks, 6, a, true, want);
    expected_vector(toks, 6, a, false, ideal);
    float *got = embed(e, "The cat sat on the MAT.");
    for (int j = 0; j < TD; j++) {
        if (fabs(got[j] - want[j]) > 1e-5) fail_msg("component %d: got %.7f, want %.7f", j, got[j], want[j]);
        /* int8 quantisation keeps each component within about 1/127 of
         * the unquantised result. */
        if (fabs(got[j] - ideal[j]) > 0.02) fail_msg("component %d: got %.7f, ideal %.7f", j, got[j], ideal[j]);
    }
    assert_true(fabs(norm(got, TD) - 1.0) < 1e-5);
    free(got);

    /* Rare words weigh more than frequent ones: a text of one frequent and
     * one rare word leans to the rare one. */
    const char *const pair[] = {"the", "money"};
    expected_vector(pair, 2, a, true, want);
    got = embed(e, "the money");
    for (int j = 0; j < TD; j++) assert_true(fabs(got[j] - want[j]) < 1e-5);
    float *rare = embed(e, "money"), *freq = embed(e, "the");
    assert_true(dot(got, rare, TD) > dot(got, freq, TD));
    free(rare);
    free(freq);
    free(got);

    /* A non-ASCII word is found after folding (CAFÉ -> café). */
    const char *const cafe[] = {"caf\xc3\xa9"};
    expected_vector(cafe, 1, a, true, want);
    got = embed(e, "CAF\xc3\x89");
    for (int j = 0; j < TD; j++) assert_true(fabs(got[j] - want[j]) < 1e-5);
    free(got);
    embedder_close(e);
}

static void test_glove_unknown_words(void **state) {
    tiny_env *t = *state;
    lt_err err;
    embedder *e = open_glove(t->file, &err);
    if (!e) fail_msg("open: %s", err.msg);
    float *a = embed(e, "the cat sat");
    float *b = embed(e, "the quokka cat xyzzy sat flibbertigibbet");
    for (int j = 0; j < TD; j++) assert_true(fabs(a[j] - b[j]) < 1e-6);
    free(a);
    free(b);
    /* No known word: the zero vector. */
    a = embed(e, "quokka xyzzy flibbertigibbet");
    for (int j = 0; j < TD; j++) assert_true(a[j] == 0.0f);
    free(a);
    a = embed(e, "");
    for (int j = 0; j < TD; j++) assert_true(a[j] == 0.0f);
    free(a);
    /* Words are whole tokens: no prefix matches ("cats" is not "cat"). */
    a = embed(e, "cats dogs");
    for (int j = 0; j < TD; j++) assert_true(a[j] == 0.0f);
    free(a);
    embedder_close(e);
}

static void test_glove_remove_common(void **state) {
    tiny_env *t = *state;
    /* The flag is in the header of the --remove-common file only. */
    FILE *f = fopen(t->file_pc, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *buf = malloc((size_t)size);
    assert_int_equal(fread(buf, 1, (size_t)size, f), (size_t)size);
    fclose(f);
    glove_header h;
    memcpy(&h, buf, sizeof h);
    assert_int_equal(h.flags & GLOVE_REMOVE_COMMON, GLOVE_REMOVE_COMMON);
    float common[TD];
    memcpy(common, buf + h.off_common, sizeof common);
    free(buf);
    assert_true(fabs(norm(common, TD) - 1.0) < 1e-4);

    lt_err err;
    embedder *e = open_glove(t->file_pc, &err);
    if (!e) fail_msg("open: %s", err.msg);
    const char *const toks[] = {"dog", "ran", "fast", "on", "the", "rug"};
    double raw[TD];
    expected_vector(toks, 6, (double)1e-3f, true, raw); /* direction before removal */
    double d = 0;
    for (int j = 0; j < TD; j++) d += raw[j] * common[j];
    double want[TD], s = 0;
    for (int j = 0; j < TD; j++) {
        want[j] = raw[j] - d * common[j];
        s += want[j] * want[j];
    }
    for (int j = 0; j < TD; j++) want[j] /= sqrt(s);
    float *got = embed(e, "Dog ran fast on the rug");
    for (int j = 0; j < TD; j++)
        if (fabs(got[j] - want[j]) > 1e-4) fail_msg("component %d: got %.6f, want %.6f", j, got[j], want[j]);
    /* Removed: orthogonal to the common component. */
    assert_true(fabs(dot(got, common, TD)) < 1e-4);
    free(got);
    embedder_close(e);

    /* Without the flag the component stays (the vector is not orthogonal). */
    e = open_glove(t->file, &err);
    if (!e) fail_msg("open: %s", err.msg);
    f = fopen(t->file, "rb");
    assert_int_equal(fread(&h, 1, sizeof h, f), sizeof h);
    fclose(f);
    assert_int_equal(h.flags & GLOVE_REMOVE_COMMON, 0);
    got = embed(e, "Dog ran fast on the rug");
    double want2[TD];
    expected_vector(toks, 6, (double)0.01f, true, want2);
    for (int j = 0; j < TD; j++) assert_true(fabs(got[j] - want2[j]) < 1e-5);
    free(got);
    embedder_close(e);
}

/* ---- damaged files ------------------------------------------------------------ */

static unsigned char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc(*len);
    assert_int_equal(fread(b, 1, *len, f), *len);
    fclose(f);
    return b;
}

static void spit(const char *path, const unsigned char *b, size_t len) {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(b, 1, len, f), len);
    fclose(f);
}

/* Writes a damaged copy and expects embedder_open to refuse it with a
 * message containing needle (and the path). */
static void expect_rejected(const tiny_env *t, const unsigned char *b, size_t len, const char *needle) {
    char *bad = tu_path(t->dir, "bad.ltmcvec");
    spit(bad, b, len);
    lt_err err;
    embedder *e = open_glove(bad, &err);
    if (e) {
        embedder_close(e);
        fail_msg("a damaged file (%s) was accepted", needle);
    }
    assert_int_equal(err.code, LT_ERR_INVALID);
    assert_contains(err.msg, needle);
    assert_contains(err.msg, bad);
    unlink(bad);
    free(bad);
}

static void test_glove_rejects_damaged_files(void **state) {
    tiny_env *t = *state;
    size_t len;
    unsigned char *orig = slurp(t->file, &len);
    unsigned char *b = malloc(len);
    glove_header *h = (glove_header *)b;

    memcpy(b, orig, len);
    memcpy(b, "GGUF\0\0\0\0", 8);
    expect_rejected(t, b, len, "not an ltmc word-vector file");

    memcpy(b, orig, len);
    expect_rejected(t, b, len - 64, "truncated");
    expect_rejected(t, b, len / 2, "truncated");
    expect_rejected(t, b, 10, "too small");
    expect_rejected(t, b, 0, "too small");

    memcpy(b, orig, len);
    h->version = 2;
    expect_rejected(t, b, len, "unsupported version");

    memcpy(b, orig, len);
    h->dim = 0;
    expect_rejected(t, b, len, "implausible dimensions");

    memcpy(b, orig, len);
    h->n_words = 0;
    expect_rejected(t, b, len, "implausible dimensions");

    memcpy(b, orig, len);
    h->hash_slots = 48; /* not a power of two */
    expect_rejected(t, b, len, "bad hash table size");

    memcpy(b, orig, len);
    h->hash_slots = 8; /* fewer than twice the words */
    expect_rejected(t, b, len, "bad hash table size");

    memcpy(b, orig, len);
    h->off_vectors = len - 8;
    expect_rejected(t, b, len, "a section lies outside the file");

    memcpy(b, orig, len);
    h->off_hash = (uint64_t)1 << 62;
    expect_rejected(t, b, len, "a section lies outside the file");

    memcpy(b, orig, len);
    h->sif_a = 0;
    expect_rejected(t, b, len, "bad SIF parameter");
    memcpy(b, orig, len);
    h->sif_a = NAN;
    expect_rejected(t, b, len, "bad SIF parameter");

    memcpy(b, orig, len);
    memset(h->model_tag, 'x', sizeof h->model_tag);
    expect_rejected(t, b, len, "bad header strings");

    memcpy(b, orig, len);
    ((uint32_t *)(b + h->off_word_off))[TN] = 1u << 30; /* the last offset points far outside */
    expect_rejected(t, b, len, "bad word table");

    /* The untouched copy still opens. */
    memcpy(b, orig, len);
    char *good = tu_path(t->dir, "good.ltmcvec");
    spit(good, b, len);
    lt_err err;
    embedder *e = open_glove(good, &err);
    if (!e) fail_msg("intact copy rejected: %s", err.msg);
    embedder_close(e);
    free(good);
    free(b);
    free(orig);
}

/* Damage that the open-time checks cannot see cheaply (the hash table and
 * the word offsets before the last) must not make a lookup read outside the
 * file: the damaged entries just match nothing. */
static void test_glove_damaged_tables_do_not_crash(void **state) {
    tiny_env *t = *state;
    size_t len;
    unsigned char *orig = slurp(t->file, &len);
    unsigned char *b = malloc(len);
    glove_header *h = (glove_header *)b;
    char *path = tu_path(t->dir, "damaged.ltmcvec");
    lt_err err;

    /* Every hash entry points at a row far past the table. */
    memcpy(b, orig, len);
    uint32_t *hash = (uint32_t *)(b + h->off_hash);
    for (uint32_t i = 0; i < h->hash_slots; i++)
        if (hash[i] != GLOVE_EMPTY) hash[i] = 0x7ffffff0u;
    spit(path, b, len);
    embedder *e = open_glove(path, &err);
    if (e) {
        float *v = embed(e, "the cat sat on the mat");
        for (int j = 0; j < TD; j++) assert_true(v[j] == 0.0f);
        free(v);
        embedder_close(e);
    }

    /* Word offsets in the middle of the table point far outside the file
     * (the first and last stay sound). */
    memcpy(b, orig, len);
    uint32_t *off = (uint32_t *)(b + h->off_word_off);
    off[1] = 0xfffffff0u;
    off[5] = 0x80000000u;
    spit(path, b, len);
    e = open_glove(path, &err);
    if (e) {
        /* "the" (row 0) and "cat" (row 1) and "mat"/"dog" (rows 4, 5) are
         * damaged; "sat" (row 2) still works. */
        float *v = embed(e, "the cat mat dog");
        for (int j = 0; j < TD; j++) assert_true(v[j] == 0.0f);
        free(v);
        v = embed(e, "sat");
        assert_true(fabs(norm(v, TD) - 1.0) < 1e-5);
        free(v);
        embedder_close(e);
    }
    free(path);
    free(b);
    free(orig);
}

static void test_converter_rejects_bad_input(void **state) {
    tiny_env *t = *state;
    char *in = tu_path(t->dir, "bad.json"), *out = tu_path(t->dir, "never.ltmcvec");
    char errbuf[512];
    tu_write_file(in, "{\"words\": [\"a\"], \"vectors\": {}, \"dimensions\": 4}");
    assert_int_not_equal(run_convert(t, in, out, NULL, errbuf, sizeof errbuf), 0);
    assert_contains(errbuf, "missing or short vector");
    tu_write_file(in, "{\"words\": [\"a\"], \"vectors\": {\"a\": [1, 2]}, \"dimensions\": 4}");
    assert_int_not_equal(run_convert(t, in, out, NULL, errbuf, sizeof errbuf), 0);
    assert_contains(errbuf, "missing or short vector");
    tu_write_file(in, "not json");
    assert_int_not_equal(run_convert(t, in, out, NULL, errbuf, sizeof errbuf), 0);
    assert_contains(errbuf, "cannot parse input");
    tu_write_file(in, "{\"words\": [\"a\"]}");
    assert_int_not_equal(run_convert(t, in, out, NULL, errbuf, sizeof errbuf), 0);
    assert_contains(errbuf, "input lacks");
    assert_int_not_equal(run_convert(t, t->json, out, "--bogus", errbuf, sizeof errbuf), 0);
    assert_contains(errbuf, "unknown option");
    assert_int_equal(access(out, F_OK), -1); /* nothing written */
    free(in);
    free(out);
}

/* ---- the real vectors ----------------------------------------------------------- */

static void test_real_glove_sanity(void **state) {
    (void)state;
    const char *path = getenv("LTMC_GLOVE_MODEL");
    if (!path || !*path) path = "build/glove-100d.ltmcvec";
    if (access(path, R_OK) != 0) {
        print_message("skipping: %s not found (run make model)\n", path);
        skip();
    }
    lt_err err;
    embedder *e = open_glove(path, &err);
    if (!e) fail_msg("open %s: %s", path, err.msg);
    assert_int_equal(embedder_dim(e), 100);
    double near = cosine(e, "The cat rested on the carpet", "The kitten slept on the rug");
    double far = cosine(e, "The cat rested on the carpet", "Quarterly revenue grew");
    print_message("cat/kitten %.3f, cat/revenue %.3f\n", near, far);
    assert_true(near > far);
    assert_true(near > 0.5);
    float *v = embed(e, "The cat rested on the carpet");
    assert_true(fabs(norm(v, 100) - 1.0) < 1e-5);
    free(v);
    embedder_close(e);
}

int main(void) {
    const struct CMUnitTest hash_tests[] = {
        cmocka_unit_test(test_hash_basics),
        cmocka_unit_test(test_hash_similarity),
        cmocka_unit_test(test_open_errors),
        cmocka_unit_test(test_real_glove_sanity),
    };
    const struct CMUnitTest glove_tests[] = {
        cmocka_unit_test(test_glove_opens),
        cmocka_unit_test(test_glove_exact_vector),
        cmocka_unit_test(test_glove_unknown_words),
        cmocka_unit_test(test_glove_remove_common),
        cmocka_unit_test(test_glove_rejects_damaged_files),
        cmocka_unit_test(test_glove_damaged_tables_do_not_crash),
        cmocka_unit_test(test_converter_rejects_bad_input),
    };
    int failed = cmocka_run_group_tests_name("embed", hash_tests, NULL, NULL);
    failed += cmocka_run_group_tests_name("glove (tiny file)", glove_tests, tiny_setup, tiny_teardown);
    return failed;
}
