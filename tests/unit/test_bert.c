/* Unit tests for the bert embedding backend.
 *
 * LTMC_TINY_BERT names the directory that tests/bert/make_tiny_bert.py
 * wrote (`make unit` generates it): two random-weight tiny models and the
 * token ids and vectors an independent numpy implementation computed for a
 * set of texts. Every vector must match to 1e-5. The error cases edit
 * copies of the good model: a tensor removed, a shape changed, a header
 * broken, a config that does not fit. */
#include "testutil.h"

#include "embed/bert_safetensors.h"
#include "embed/bert_wordpiece.h"

#include <math.h>
#include <pthread.h>

/* float32 here against the float64 reference differs by about 2e-7. 1e-4
 * would let a tanh-approximated GELU pass (it moves these vectors by about
 * 6e-5), so the bound is tighter. */
#define TOLERANCE 1e-5

static json_t *expected; /* expected.json */
static const char *root;  /* $LTMC_TINY_BERT */

static int group_setup(void **state) {
    (void)state;
    root = getenv("LTMC_TINY_BERT");
    if (!root || !*root) {
        fprintf(stderr, "LTMC_TINY_BERT is not set: run `make unit`, which generates the tiny models "
                        "(or tests/bert/make_tiny_bert.py DIR and set LTMC_TINY_BERT=DIR)\n");
        return -1;
    }
    char *path = tu_path(root, "expected.json");
    json_error_t jerr;
    expected = json_load_file(path, JSON_ALLOW_NUL, &jerr); /* one text holds a NUL */
    if (!expected) fprintf(stderr, "%s: %s\n", path, jerr.text);
    free(path);
    return expected ? 0 : -1;
}

static int group_teardown(void **state) {
    (void)state;
    json_decref(expected);
    return 0;
}

static json_t *variant(const char *name) {
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(expected, "variants"), i, v) {
        if (strcmp(json_string_value(json_object_get(v, "name")), name) == 0) return v;
    }
    fail_msg("expected.json has no variant %s", name);
    return NULL;
}

static embedder *open_dir(const char *dir, lt_err *err) {
    embed_options o = {.backend = "bert", .bert_dir = dir};
    return embedder_open(&o, err);
}

static embedder *open_variant(json_t *v) {
    char *dir = tu_path(root, json_string_value(json_object_get(v, "dir")));
    lt_err err = {0};
    embedder *e = open_dir(dir, &err);
    if (!e) fail_msg("opening %s: %s", dir, err.msg);
    free(dir);
    return e;
}

/* Largest difference between a vector and the expected one. */
static double max_diff(const float *got, json_t *want, int dim) {
    assert_int_equal(json_array_size(want), (size_t)dim);
    double worst = 0;
    for (int i = 0; i < dim; i++) {
        double d = fabs(got[i] - json_number_value(json_array_get(want, (size_t)i)));
        if (!(d <= worst)) worst = d; /* NaN counts as worst */
    }
    return worst;
}

static void check_variant(const char *name) {
    json_t *v = variant(name);
    embedder *e = open_variant(v);
    int dim = (int)json_integer_value(json_object_get(v, "dim"));
    assert_string_equal(embedder_backend(e), "bert");
    assert_int_equal(embedder_dim(e), dim);
    assert_string_equal(embedder_model_id(e), json_string_value(json_object_get(v, "model_id")));
    json_t *info = embedder_info(e);
    assert_json_str(info, "pooling", json_string_value(json_object_get(v, "pooling")));
    assert_json_int(info, "max_tokens", json_integer_value(json_object_get(v, "max_tokens")));
    json_decref(info);

    float *out = malloc(sizeof *out * (size_t)dim);
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(v, "cases"), i, c) {
        json_t *text = json_object_get(c, "text");
        lt_err err = {0};
        if (embedder_embed(e, json_string_value(text), json_string_length(text), out, &err) != 0)
            fail_msg("%s case %zu: %s", name, i, err.msg);
        double d = max_diff(out, json_object_get(c, "vector"), dim);
        if (d > TOLERANCE)
            fail_msg("%s case %zu (\"%.40s\"): max abs difference %g", name, i, json_string_value(text), d);
    }
    free(out);
    embedder_close(e);
}

static void test_base_vectors(void **state) {
    (void)state;
    check_variant("base");
}

/* Cased, CLS pooling, 16-token limit, F16/BF16/unaligned F32 weights with
 * "bert." names and extra tensors, gelu_new, CRLF vocabulary. */
static void test_alt_vectors(void **state) {
    (void)state;
    check_variant("alt");
}

/* Token ids separately, so a tokenizer bug is reported as one. */
static void test_token_ids(void **state) {
    (void)state;
    size_t vi;
    json_t *v;
    json_array_foreach(json_object_get(expected, "variants"), vi, v) {
        json_t *tk = json_object_get(v, "tokenizer");
        wordpiece_options o = {.lower_case = json_is_true(json_object_get(tk, "lower_case")),
                               .strip_accents = json_is_true(json_object_get(tk, "strip_accents")),
                               .chinese_chars = true};
        char *dir = tu_path(root, json_string_value(json_object_get(v, "dir")));
        char *vocab = tu_path(dir, "vocab.txt");
        lt_err err = {0};
        wordpiece *wp = wordpiece_open(vocab, &o, &err);
        if (!wp) fail_msg("%s: %s", vocab, err.msg);
        int max = (int)json_integer_value(json_object_get(v, "max_tokens"));
        int32_t *ids = malloc(sizeof *ids * (size_t)max);
        size_t i;
        json_t *c;
        json_array_foreach(json_object_get(v, "cases"), i, c) {
            json_t *text = json_object_get(c, "text"), *want = json_object_get(c, "ids");
            int n = wordpiece_encode(wp, json_string_value(text), json_string_length(text), ids, max, &err);
            char got_s[1024] = "", want_s[1024] = "";
            for (int k = 0, at = 0; k < n && at < 1000; k++)
                at += snprintf(got_s + at, sizeof got_s - (size_t)at, " %d", ids[k]);
            for (size_t k = 0, at = 0; k < json_array_size(want) && at < 1000; k++)
                at += (size_t)snprintf(want_s + at, sizeof want_s - at, " %lld",
                                       (long long)json_integer_value(json_array_get(want, k)));
            if (strcmp(got_s, want_s) != 0)
                fail_msg("%s case %zu (\"%.40s\"): ids%s, expected%s", json_string_value(json_object_get(v, "name")), i,
                         json_string_value(text), got_s, want_s);
        }
        free(ids);
        wordpiece_close(wp);
        free(vocab);
        free(dir);
    }
}

static void embed_ok(embedder *e, const char *text, size_t len, float *out) {
    lt_err err = {0};
    if (embedder_embed(e, text, len, out, &err) != 0) fail_msg("embed: %s", err.msg);
}

static void test_properties(void **state) {
    (void)state;
    embedder *e = open_variant(variant("base"));
    int dim = embedder_dim(e);
    float *a = malloc(sizeof *a * (size_t)dim), *b = malloc(sizeof *b * (size_t)dim);
    /* Invalid UTF-8 bytes are dropped, like control characters. */
    static const char bad[] = "hello \xff\xfeworld\xc3", good[] = "hello world";
    embed_ok(e, bad, sizeof bad - 1, a);
    embed_ok(e, good, sizeof good - 1, b);
    for (int i = 0; i < dim; i++) assert_float_equal(a[i], b[i], 1e-6);
    /* Unit length. */
    double sum = 0;
    for (int i = 0; i < dim; i++) sum += (double)a[i] * a[i];
    assert_float_equal(sum, 1.0, 1e-5);
    /* A text far longer than the model takes costs no more than its first
     * 64 tokens, and gives their vector. */
    size_t big = 4u << 20;
    char *text = malloc(big);
    for (size_t i = 0; i < big; i++) text[i] = "the dog "[i % 8];
    embed_ok(e, text, big, a);
    embed_ok(e, text, 8 * 100, b);
    for (int i = 0; i < dim; i++) assert_float_equal(a[i], b[i], 1e-6);
    free(text);
    free(a);
    free(b);
    embedder_close(e);
}

/* ---- threads ---- */

typedef struct {
    embedder *e;
    json_t *cases;
    int dim, failures;
} worker;

static void *work(void *arg) {
    worker *w = arg;
    float *out = malloc(sizeof *out * (size_t)w->dim);
    for (int round = 0; round < 4; round++) {
        size_t i;
        json_t *c;
        json_array_foreach(w->cases, i, c) {
            json_t *text = json_object_get(c, "text"), *want = json_object_get(c, "vector");
            lt_err err;
            if (embedder_embed(w->e, json_string_value(text), json_string_length(text), out, &err) != 0) {
                w->failures++;
                continue;
            }
            for (int k = 0; k < w->dim; k++)
                if (!(fabs(out[k] - json_number_value(json_array_get(want, (size_t)k))) <= TOLERANCE)) {
                    w->failures++;
                    break;
                }
        }
    }
    free(out);
    return NULL;
}

static void test_threads(void **state) {
    (void)state;
    json_t *v = variant("base");
    embedder *e = open_variant(v);
    enum { N = 4 };
    pthread_t th[N];
    worker w[N];
    for (int i = 0; i < N; i++) {
        w[i] = (worker){e, json_object_get(v, "cases"), embedder_dim(e), 0};
        assert_int_equal(pthread_create(&th[i], NULL, work, &w[i]), 0);
    }
    for (int i = 0; i < N; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(w[i].failures, 0);
    }
    embedder_close(e);
}

static void *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static void write_bytes(const char *path, const void *data, size_t len) {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/* Half and bfloat16 conversion, edge values included, and F32 data at an
 * odd address. */
static void test_safetensors_dtypes(void **state) {
    (void)state;
    const char *header = "{\"h\":{\"dtype\":\"F16\",\"shape\":[2,3],\"data_offsets\":[0,12]},"
                         "\"b\":{\"dtype\":\"BF16\",\"shape\":[3],\"data_offsets\":[12,18]},"
                         "\"f\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[18,26]},"
                         "\"__metadata__\":{\"format\":\"pt\"}}";
    const uint16_t half[6] = {0x0001, 0x03ff, 0x3c00, 0xc000, 0x7c00, 0x8000};
    const uint16_t bf[3] = {0x3f80, 0xc0a0, 0x0001};
    const float f32[2] = {1.5f, -0.25f};
    uint64_t hlen = strlen(header);
    size_t len = 8 + hlen + 26;
    uint8_t *file = malloc(len);
    memcpy(file, &hlen, 8);
    memcpy(file + 8, header, hlen);
    memcpy(file + 8 + hlen, half, 12);
    memcpy(file + 8 + hlen + 12, bf, 6);
    memcpy(file + 8 + hlen + 18, f32, 8);
    char *tmp = tu_tmpdir(), *path = tu_path(tmp, "t.safetensors");
    write_bytes(path, file, len);
    free(file);

    lt_err err = {0};
    safetensors *st = safetensors_open(path, &err);
    if (!st) fail_msg("%s", err.msg);
    assert_int_equal(safetensors_count(st), 3);
    assert_null(safetensors_find(st, "__metadata__"));
    const st_tensor *h = safetensors_find(st, "h"), *b = safetensors_find(st, "b"), *f = safetensors_find(st, "f");
    assert_non_null(h);
    assert_int_equal(h->ndim, 2);
    assert_int_equal(h->shape[1], 3);
    float *owned;
    const float *v = st_tensor_f32(h, &owned, &err);
    assert_non_null(owned);
    const float want[6] = {5.9604644775390625e-8f, 6.0975551605224609e-5f, 1.0f, -2.0f, INFINITY, -0.0f};
    for (int i = 0; i < 6; i++) assert_true(v[i] == want[i]);
    assert_true(signbit(v[5]));
    free(owned);
    v = st_tensor_f32(b, &owned, &err);
    assert_true(v[0] == 1.0f && v[1] == -5.0f && v[2] > 0 && v[2] < 1e-40f);
    free(owned);
    v = st_tensor_f32(f, &owned, &err);
    assert_true(v[0] == 1.5f && v[1] == -0.25f);
    free(owned); /* copied when unaligned, NULL otherwise */
    safetensors_close(st);
    tu_rmrf(tmp);
    free(path);
    free(tmp);
}

/* ---- errors ---- */

/* A fresh copy of the base model to break. */
static char *copy_base(void) {
    char *tmp = tu_tmpdir(), *dir = tu_path(tmp, "broken");
    free(tmp);
    assert_int_equal(mkdir(dir, 0700), 0);
    const char *files[] = {"config.json", "vocab.txt", "model.safetensors"};
    for (size_t i = 0; i < 3; i++) {
        char *base = tu_path(root, "base"), *from = tu_path(base, files[i]), *to = tu_path(dir, files[i]);
        size_t len;
        void *data = slurp(from, &len);
        write_bytes(to, data, len);
        free(data);
        free(base);
        free(from);
        free(to);
    }
    return dir;
}

static void remove_copy(char *dir) {
    char *parent = strdup(dir);
    *strrchr(parent, '/') = '\0';
    tu_rmrf(parent);
    free(parent);
    free(dir);
}

/* Opening must fail with a message containing needle. */
static void expect_open_error(const char *dir, const char *needle) {
    lt_err err = {0};
    embedder *e = open_dir(dir, &err);
    if (e) {
        embedder_close(e);
        fail_msg("opening %s succeeded; expected an error containing \"%s\"", dir ? dir : "(null)", needle);
    }
    assert_int_not_equal(err.code, LT_OK);
    assert_contains(err.msg, needle);
}

typedef void (*header_edit)(json_t *header);

/* Rewrites dir/model.safetensors with its header passed through edit. */
static void edit_header(const char *dir, header_edit edit) {
    char *path = tu_path(dir, "model.safetensors");
    size_t len;
    uint8_t *file = slurp(path, &len);
    uint64_t hlen;
    memcpy(&hlen, file, 8);
    json_error_t jerr;
    json_t *h = json_loadb((const char *)file + 8, hlen, 0, &jerr);
    assert_non_null(h);
    edit(h);
    char *text = json_dumps(h, JSON_COMPACT);
    uint64_t nlen = strlen(text);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fwrite(&nlen, 8, 1, f);
    fwrite(text, 1, nlen, f);
    fwrite(file + 8 + hlen, 1, len - 8 - hlen, f);
    assert_int_equal(fclose(f), 0);
    free(text);
    json_decref(h);
    free(file);
    free(path);
}

static void drop_tensor(json_t *h) { assert_int_equal(json_object_del(h, "encoder.layer.1.output.dense.bias"), 0); }

static void reshape_query(json_t *h) {
    json_t *t = json_object_get(h, "encoder.layer.0.attention.self.query.weight");
    json_object_set_new(t, "shape", json_pack("[ii]", 64, 16)); /* same size, wrong shape */
}

static void shrink_query(json_t *h) {
    json_t *t = json_object_get(h, "encoder.layer.0.attention.self.query.weight");
    json_object_set_new(t, "shape", json_pack("[ii]", 32, 31)); /* disagrees with its offsets */
}

static void offsets_past_end(json_t *h) {
    json_t *t = json_object_get(h, "embeddings.LayerNorm.bias");
    json_object_set_new(t, "data_offsets", json_pack("[ii]", 1 << 30, (1 << 30) + 128));
}

static void int_dtype(json_t *h) {
    json_object_set_new(json_object_get(h, "embeddings.LayerNorm.weight"), "dtype", json_string("I32"));
}

static void test_error_missing_things(void **state) {
    (void)state;
    expect_open_error(NULL, "no bert model directory configured");
    expect_open_error("", "no bert model directory configured");
    expect_open_error("/nonexistent/ltmc-bert-model", "/nonexistent/ltmc-bert-model");
    {
        lt_err err = {0};
        assert_null(open_dir("/nonexistent/ltmc-bert-model", &err));
        assert_int_equal(err.code, LT_ERR_NOT_FOUND);
    }
    const char *files[] = {"config.json", "vocab.txt", "model.safetensors"};
    for (size_t i = 0; i < 3; i++) {
        char *dir = copy_base(), *path = tu_path(dir, files[i]);
        assert_int_equal(unlink(path), 0);
        expect_open_error(dir, path); /* the message names the missing file */
        free(path);
        remove_copy(dir);
    }
    char *dir = copy_base(), *file = tu_path(dir, "config.json");
    expect_open_error(file, "is not a directory");
    free(file);
    remove_copy(dir);
}

static void test_error_tensors(void **state) {
    (void)state;
    struct {
        header_edit edit;
        const char *needle;
    } cases[] = {
        {drop_tensor, "no tensor 'encoder.layer.1.output.dense.bias'"},
        {reshape_query,
         "'encoder.layer.0.attention.self.query.weight' has shape [64, 16] where config.json implies [32, 32]"},
        {shrink_query, "data bytes where its shape and dtype F32 need"},
        {offsets_past_end, "outside the"},
        {int_dtype, "dtype I32"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *dir = copy_base();
        edit_header(dir, cases[i].edit);
        expect_open_error(dir, cases[i].needle);
        remove_copy(dir);
    }
}

static void test_error_corrupt_file(void **state) {
    (void)state;
    char *dir = copy_base(), *path = tu_path(dir, "model.safetensors");
    size_t len;
    uint8_t *good = slurp(path, &len), *bad = malloc(len);

    memcpy(bad, good, len);
    uint64_t huge = (uint64_t)len; /* header longer than the file */
    memcpy(bad, &huge, 8);
    write_bytes(path, bad, len);
    expect_open_error(dir, "header length");

    memcpy(bad, good, len);
    bad[8] = 'x'; /* not JSON */
    write_bytes(path, bad, len);
    expect_open_error(dir, "not a JSON object");

    write_bytes(path, good, len / 2); /* truncated: offsets past the end */
    expect_open_error(dir, "outside the");

    write_bytes(path, good, 5);
    expect_open_error(dir, "too small");

    memcpy(bad, good, len);
    memcpy(bad, "\x02\0\0\0\0\0\0\0[]", 10); /* JSON, but not an object */
    write_bytes(path, bad, len);
    expect_open_error(dir, "not a JSON object");

    free(good);
    free(bad);
    free(path);
    remove_copy(dir);
}

/* Rewrites dir/config.json with one key set (or removed, for NULL). */
static void edit_config(const char *dir, const char *key, json_t *value) {
    char *path = tu_path(dir, "config.json");
    json_t *cfg = json_load_file(path, 0, NULL);
    assert_non_null(cfg);
    if (value) json_object_set_new(cfg, key, value);
    else json_object_del(cfg, key);
    assert_int_equal(json_dump_file(cfg, path, 0), 0);
    json_decref(cfg);
    free(path);
}

static void test_error_config(void **state) {
    (void)state;
    struct {
        const char *key;
        json_t *value;
        const char *needle;
    } cases[] = {
        {"hidden_size", json_integer(30), "not a multiple of num_attention_heads"},
        {"num_hidden_layers", json_integer(3), "no tensor 'encoder.layer.2.attention.self.query.weight'"},
        {"hidden_size", NULL, "config.json has no hidden_size"},
        {"model_type", json_string("roberta"), "model_type 'roberta' is not supported"},
        {"hidden_act", json_string("swish"), "hidden_act 'swish' is not supported"},
        {"vocab_size", json_integer(100), "but config.json says vocab_size 100"},
        {"max_position_embeddings", json_integer(-1), "max_position_embeddings = -1 is outside"},
        {"layer_norm_eps", json_string("small"), "layer_norm_eps"},
        {"position_embedding_type", json_string("relative_key"), "position_embedding_type 'relative_key'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *dir = copy_base();
        edit_config(dir, cases[i].key, cases[i].value);
        expect_open_error(dir, cases[i].needle);
        remove_copy(dir);
    }
    char *dir = copy_base(), *path = tu_path(dir, "config.json");
    tu_write_file(path, "{\"hidden_size\": 32,");
    expect_open_error(dir, "config.json: not a JSON object");
    free(path);
    remove_copy(dir);
}

static void test_error_vocab_and_extras(void **state) {
    (void)state;
    char *dir = copy_base(), *path = tu_path(dir, "vocab.txt");
    tu_write_file(path, "[PAD]\n[UNK]\n[SEP]\nhello\n");
    expect_open_error(dir, "has no [CLS] token");
    tu_write_file(path, "");
    expect_open_error(dir, "the file is empty");
    free(path);
    remove_copy(dir);

    dir = copy_base();
    char *pool = tu_path(dir, "1_Pooling");
    assert_int_equal(mkdir(pool, 0700), 0);
    path = tu_path(pool, "config.json");
    tu_write_file(path, "{\"pooling_mode_weightedmean_tokens\": true}");
    expect_open_error(dir, "pooling_mode_weightedmean_tokens is not supported");
    tu_write_file(path, "{\"pooling_mode_cls_token\": true, \"pooling_mode_max_tokens\": true}");
    expect_open_error(dir, "combined pooling modes");
    tu_write_file(path, "{\"pooling_mode_max_tokens\": true}");
    lt_err err = {0};
    embedder *e = open_dir(dir, &err);
    if (!e) fail_msg("max pooling: %s", err.msg);
    json_t *info = embedder_info(e);
    assert_json_str(info, "pooling", "max");
    json_decref(info);
    embedder_close(e);
    free(path);
    free(pool);

    path = tu_path(dir, "tokenizer_config.json");
    tu_write_file(path, "{\"do_lower_case\": \"yes\"}");
    expect_open_error(dir, "do_lower_case is not true or false");
    free(path);
    remove_copy(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_token_ids),
        cmocka_unit_test(test_base_vectors),
        cmocka_unit_test(test_alt_vectors),
        cmocka_unit_test(test_properties),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_safetensors_dtypes),
        cmocka_unit_test(test_error_missing_things),
        cmocka_unit_test(test_error_tensors),
        cmocka_unit_test(test_error_corrupt_file),
        cmocka_unit_test(test_error_config),
        cmocka_unit_test(test_error_vocab_and_extras),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
