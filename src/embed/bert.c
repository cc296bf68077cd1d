/* The bert backend: a BERT-family sentence encoder (all-MiniLM-L6-v2,
 * bge-small, ...) run in plain C, matrix products through OpenBLAS.
 *
 * The model directory holds what its HuggingFace page offers:
 *
 *   config.json             sizes (hidden_size, num_hidden_layers, ...)
 *   vocab.txt               the WordPiece vocabulary (bert_wordpiece.h)
 *   model.safetensors       weights, F32, F16 or BF16 (bert_safetensors.h),
 *                           named as in BertModel, optionally with "bert."
 *   tokenizer_config.json   optional: do_lower_case, strip_accents,
 *                           tokenize_chinese_chars (default: uncased)
 *   sentence_bert_config.json  optional: max_seq_length, the length the
 *                           model was trained to embed
 *   1_Pooling/config.json   optional: pooling mode, mean (default), cls
 *                           (bge) or max
 *
 * A text is tokenised to [CLS] pieces... [SEP], cut to the model's length,
 * run through the encoder, pooled over all its tokens (a single sequence has
 * no padding, so the attention mask is all ones) and L2-normalised.
 *
 * After open everything here is read-only; each call allocates its own
 * scratch, so calls from several threads do not interfere. */
#include "bert_safetensors.h"
#include "bert_wordpiece.h"
#include "embed_impl.h"

#include <assert.h>
#include "dynload.h"

/* OpenBLAS is loaded when this backend first opens (dynload.h). */
static sgemm_fn sgemm;
#define cblas_sgemm sgemm
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct {
    const float *w; /* [out][in], as torch.nn.Linear stores it */
    const float *b; /* [out] */
} linear;

typedef struct {
    const float *gamma, *beta;
} norm;

typedef struct {
    linear q, k, v, attn_out, up, down;
    norm attn_norm, out_norm;
} layer;

typedef enum { ACT_GELU, ACT_GELU_TANH, ACT_RELU } activation;
typedef enum { POOL_MEAN, POOL_CLS, POOL_MAX } pooling;

static const char *const pool_names[] = {"mean", "cls", "max"};

typedef struct {
    int hidden, layers, heads, inter, max_pos, vocab, types;
    int max_tokens; /* [CLS] and [SEP] included */
    float eps;
    activation act;
    pooling pool;
    safetensors *st;
    wordpiece *wp;
    wordpiece_options wp_opt;
    const float *word_emb, *pos_emb, *type_emb;
    norm emb_norm;
    layer *layer;
    float **owned; /* tensors converted to F32 at open */
    size_t n_owned, cap_owned;
    char dir[1024];
} bert;

/* ---- forward pass ---- */

/* y[n][out] = x[n][in] W^T + b */
static void linear_apply(const linear *l, const float *x, int n, int in, int out, float *y) {
    for (int i = 0; i < n; i++) memcpy(y + (size_t)i * out, l->b, sizeof *y * (size_t)out);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, out, in, 1.0f, x, in, l->w, in, 1.0f, y, out);
}

/* x = LayerNorm(x + add) row by row; add may be NULL. */
static void add_norm(float *x, const float *add, int n, int dim, const norm *nm, float eps) {
    for (int i = 0; i < n; i++) {
        float *r = x + (size_t)i * dim;
        if (add)
            for (int j = 0; j < dim; j++) r[j] += add[(size_t)i * dim + j];
        double mean = 0, var = 0;
        for (int j = 0; j < dim; j++) mean += r[j];
        mean /= dim;
        for (int j = 0; j < dim; j++) var += (r[j] - mean) * (r[j] - mean);
        float inv = (float)(1.0 / sqrt(var / dim + eps));
        for (int j = 0; j < dim; j++) r[j] = ((float)(r[j] - mean) * inv) * nm->gamma[j] + nm->beta[j];
    }
}

static void activate(float *x, size_t n, activation act) {
    switch (act) {
    case ACT_GELU:
        for (size_t i = 0; i < n; i++) x[i] = 0.5f * x[i] * (1.0f + erff(x[i] * (float)M_SQRT1_2));
        break;
    case ACT_GELU_TANH: {
        const float c = 0.7978845608f; /* sqrt(2 / pi) */
        for (size_t i = 0; i < n; i++) x[i] = 0.5f * x[i] * (1.0f + tanhf(c * (x[i] + 0.044715f * x[i] * x[i] * x[i])));
        break;
    }
    case ACT_RELU:
        for (size_t i = 0; i < n; i++) x[i] = x[i] > 0 ? x[i] : 0;
        break;
    }
}

static void softmax_rows(float *s, int n) {
    for (int i = 0; i < n; i++) {
        float *r = s + (size_t)i * n, mx = r[0];
        for (int j = 1; j < n; j++) mx = r[j] > mx ? r[j] : mx;
        float sum = 0;
        for (int j = 0; j < n; j++) sum += r[j] = expf(r[j] - mx);
        float inv = 1.0f / sum;
        for (int j = 0; j < n; j++) r[j] *= inv;
    }
}

/* Runs the encoder over ids[0..n) and writes the pooled vector to out. */
static int forward(const bert *b, const int32_t *ids, int n, float *out, lt_err *err) {
    const int H = b->hidden, F = b->inter, heads = b->heads, d = H / heads;
    const size_t nh = (size_t)n * H;
    float *mem = malloc(sizeof(float) * (5 * nh + (size_t)n * n + (size_t)n * (F > H ? F : H)));
    if (!mem) return lt_err_set(err, LT_ERR_INTERNAL, "out of memory for a %d-token text", n);
    float *x = mem, *q = x + nh, *k = q + nh, *v = k + nh, *ctx = v + nh, *scores = ctx + nh,
          *wide = scores + (size_t)n * n; /* n x F for the feed-forward, n x H for sub-layer outputs */

    for (int i = 0; i < n; i++) {
        assert(ids[i] >= 0 && ids[i] < b->vocab && i < b->max_pos);
        const float *w = b->word_emb + (size_t)ids[i] * H, *p = b->pos_emb + (size_t)i * H;
        for (int j = 0; j < H; j++) x[(size_t)i * H + j] = w[j] + p[j] + b->type_emb[j]; /* segment 0 */
    }
    add_norm(x, NULL, n, H, &b->emb_norm, b->eps);

    const float scale = 1.0f / sqrtf((float)d);
    for (int l = 0; l < b->layers; l++) {
        const layer *L = &b->layer[l];
        linear_apply(&L->q, x, n, H, H, q);
        linear_apply(&L->k, x, n, H, H, k);
        linear_apply(&L->v, x, n, H, H, v);
        for (int h = 0; h < heads; h++) {
            /* Each head reads its d columns in place: leading dimension H. */
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, n, d, scale, q + h * d, H, k + h * d, H, 0.0f,
                        scores, n);
            softmax_rows(scores, n);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, d, n, 1.0f, scores, n, v + h * d, H, 0.0f,
                        ctx + h * d, H);
        }
        linear_apply(&L->attn_out, ctx, n, H, H, wide);
        add_norm(x, wide, n, H, &L->attn_norm, b->eps);
        linear_apply(&L->up, x, n, H, F, wide);
        activate(wide, (size_t)n * F, b->act);
        linear_apply(&L->down, wide, n, F, H, q); /* q is free again */
        add_norm(x, q, n, H, &L->out_norm, b->eps);
    }

    switch (b->pool) {
    case POOL_CLS: memcpy(out, x, sizeof *out * (size_t)H); break;
    case POOL_MEAN:
        memset(out, 0, sizeof *out * (size_t)H);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < H; j++) out[j] += x[(size_t)i * H + j];
        for (int j = 0; j < H; j++) out[j] /= (float)n;
        break;
    case POOL_MAX:
        memcpy(out, x, sizeof *out * (size_t)H);
        for (int i = 1; i < n; i++)
            for (int j = 0; j < H; j++) out[j] = fmaxf(out[j], x[(size_t)i * H + j]);
        break;
    }
    free(mem);
    embed_normalise(out, H);
    return 0;
}

static int bert_embed(void *state, const char *text, size_t len, float *out, lt_err *err) {
    const bert *b = state;
    int32_t *ids = malloc(sizeof *ids * (size_t)b->max_tokens);
    if (!ids) return lt_err_set(err, LT_ERR_INTERNAL, "out of memory");
    int n = wordpiece_encode(b->wp, text, len, ids, b->max_tokens, err);
    int rc = 0;
    /* Only [CLS] [SEP]: the text has no words. Like the other backends, give
     * the zero vector rather than a vector that matches every empty text. */
    if (n < 0) rc = -1;
    else if (n > 2) rc = forward(b, ids, n, out, err);
    free(ids);
    return rc;
}

static void bert_info(const void *state, json_t *out) {
    const bert *b = state;
    json_object_set_new(out, "path", json_string(b->dir));
    json_object_set_new(out, "layers", json_integer(b->layers));
    json_object_set_new(out, "heads", json_integer(b->heads));
    json_object_set_new(out, "vocabulary", json_integer(wordpiece_vocab_size(b->wp)));
    json_object_set_new(out, "max_tokens", json_integer(b->max_tokens));
    json_object_set_new(out, "pooling", json_string(pool_names[b->pool]));
    json_object_set_new(out, "lower_case", json_boolean(b->wp_opt.lower_case));
    json_object_set_new(out, "file_bytes", json_integer((json_int_t)safetensors_file_bytes(b->st)));
}

static void bert_close(void *state) {
    bert *b = state;
    if (!b) return;
    for (size_t i = 0; i < b->n_owned; i++) free(b->owned[i]);
    free(b->owned);
    free(b->layer);
    wordpiece_close(b->wp);
    safetensors_close(b->st);
    free(b);
}

static const embed_backend bert_ops = {"bert", bert_embed, bert_info, bert_close};

/* ---- loading ---- */

static int path_in(char *buf, size_t cap, const char *dir, const char *name, lt_err *err) {
    int n = snprintf(buf, cap, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= cap) return lt_err_set(err, LT_ERR_INVALID, "bert model directory path is too long");
    return 0;
}

/* Loads dir/name. A missing optional file gives *out = NULL and 0; a file
 * that is there but is not a JSON object is an error either way. */
static int load_json(const char *dir, const char *name, bool required, json_t **out, lt_err *err) {
    char path[1200];
    *out = NULL;
    if (path_in(path, sizeof path, dir, name, err)) return -1;
    struct stat st;
    if (stat(path, &st) != 0) {
        if (!required && errno == ENOENT) return 0;
        return lt_err_set(err, errno == ENOENT ? LT_ERR_NOT_FOUND : LT_ERR_IO, "%s: %s", path, strerror(errno));
    }
    json_error_t jerr;
    json_t *j = json_load_file(path, 0, &jerr);
    if (!json_is_object(j)) {
        json_decref(j);
        return lt_err_set(err, LT_ERR_INVALID, "%s: not a JSON object (%s, line %d)", path,
                          j ? "another JSON value" : jerr.text, jerr.line);
    }
    *out = j;
    return 0;
}

/* An integer config.json field within [lo, hi]; def < 0 makes it required. */
static int config_int(json_t *cfg, const char *key, long long def, long long lo, long long hi, int *out, lt_err *err) {
    json_t *v = json_object_get(cfg, key);
    long long x = def;
    if (v) {
        if (!json_is_integer(v)) return lt_err_set(err, LT_ERR_INVALID, "config.json: %s is not an integer", key);
        x = json_integer_value(v);
    } else if (def < 0) {
        return lt_err_set(err, LT_ERR_INVALID, "config.json has no %s: not a BERT model configuration", key);
    }
    if (x < lo || x > hi)
        return lt_err_set(err, LT_ERR_INVALID, "config.json: %s = %lld is outside %lld..%lld", key, x, lo, hi);
    *out = (int)x;
    return 0;
}

static int read_config(bert *b, lt_err *err) {
    json_t *cfg;
    if (load_json(b->dir, "config.json", true, &cfg, err)) return -1;
    int rc = -1;
    json_t *mt = json_object_get(cfg, "model_type"), *pe = json_object_get(cfg, "position_embedding_type"),
           *act = json_object_get(cfg, "hidden_act"), *eps = json_object_get(cfg, "layer_norm_eps");
    /* Same tensor names, different position ids: refuse rather than embed wrongly. */
    if (json_is_string(mt) && strcmp(json_string_value(mt), "bert") != 0) {
        lt_err_set(err, LT_ERR_INVALID, "config.json: model_type '%s' is not supported, only 'bert'",
                   json_string_value(mt));
        goto out;
    }
    if (json_is_string(pe) && strcmp(json_string_value(pe), "absolute") != 0) {
        lt_err_set(err, LT_ERR_INVALID, "config.json: position_embedding_type '%s' is not supported, only 'absolute'",
                   json_string_value(pe));
        goto out;
    }
    if (config_int(cfg, "hidden_size", -1, 1, 16384, &b->hidden, err) ||
        config_int(cfg, "num_hidden_layers", -1, 1, 256, &b->layers, err) ||
        config_int(cfg, "num_attention_heads", -1, 1, 1024, &b->heads, err) ||
        config_int(cfg, "intermediate_size", -1, 1, 65536, &b->inter, err) ||
        config_int(cfg, "max_position_embeddings", -1, 3, 65536, &b->max_pos, err) ||
        config_int(cfg, "vocab_size", -1, 5, 1 << 24, &b->vocab, err) ||
        config_int(cfg, "type_vocab_size", 2, 1, 1024, &b->types, err))
        goto out;
    if (b->hidden % b->heads != 0) {
        lt_err_set(err, LT_ERR_INVALID, "config.json: hidden_size %d is not a multiple of num_attention_heads %d",
                   b->hidden, b->heads);
        goto out;
    }
    b->eps = 1e-12f;
    if (eps) {
        double e = json_number_value(eps);
        if (!json_is_number(eps) || !(e > 0 && e < 1)) {
            lt_err_set(err, LT_ERR_INVALID, "config.json: layer_norm_eps must be a number between 0 and 1");
            goto out;
        }
        b->eps = (float)e;
    }
    const char *a = json_is_string(act) ? json_string_value(act) : act ? "" : "gelu";
    if (strcmp(a, "gelu") == 0) b->act = ACT_GELU;
    else if (strcmp(a, "gelu_new") == 0 || strcmp(a, "gelu_pytorch_tanh") == 0 || strcmp(a, "gelu_fast") == 0)
        b->act = ACT_GELU_TANH;
    else if (strcmp(a, "relu") == 0) b->act = ACT_RELU;
    else {
        lt_err_set(err, LT_ERR_INVALID, "config.json: hidden_act '%s' is not supported (gelu, gelu_new, relu)", a);
        goto out;
    }
    rc = 0;
out:
    json_decref(cfg);
    return rc;
}

static int bool_field(json_t *j, const char *file, const char *key, bool *out, lt_err *err) {
    json_t *v = json_object_get(j, key);
    if (!v || json_is_null(v)) return 0;
    if (!json_is_boolean(v)) return lt_err_set(err, LT_ERR_INVALID, "%s: %s is not true or false", file, key);
    *out = json_is_true(v);
    return 0;
}

/* The optional files of a sentence-transformers model directory. */
static int read_extras(bert *b, lt_err *err) {
    json_t *tok, *sbert, *pool;
    /* BertTokenizer's defaults: uncased, and accents go with the case
     * unless strip_accents says otherwise. */
    b->wp_opt = (wordpiece_options){.lower_case = true, .strip_accents = true, .chinese_chars = true};
    if (load_json(b->dir, "tokenizer_config.json", false, &tok, err)) return -1;
    if (tok) {
        int rc = bool_field(tok, "tokenizer_config.json", "do_lower_case", &b->wp_opt.lower_case, err);
        b->wp_opt.strip_accents = b->wp_opt.lower_case;
        if (!rc) rc = bool_field(tok, "tokenizer_config.json", "strip_accents", &b->wp_opt.strip_accents, err);
        if (!rc) rc = bool_field(tok, "tokenizer_config.json", "tokenize_chinese_chars", &b->wp_opt.chinese_chars, err);
        json_decref(tok);
        if (rc) return -1;
    }

    b->max_tokens = b->max_pos;
    if (load_json(b->dir, "sentence_bert_config.json", false, &sbert, err)) return -1;
    if (sbert) {
        json_t *m = json_object_get(sbert, "max_seq_length");
        int rc = 0;
        if (m && (!json_is_integer(m) || json_integer_value(m) < 3))
            rc = lt_err_set(err, LT_ERR_INVALID, "sentence_bert_config.json: max_seq_length is not an integer >= 3");
        else if (m && json_integer_value(m) < b->max_tokens) b->max_tokens = (int)json_integer_value(m);
        json_decref(sbert);
        if (rc) return -1;
    }

    b->pool = POOL_MEAN;
    if (load_json(b->dir, "1_Pooling/config.json", false, &pool, err)) return -1;
    if (pool) {
        /* mean_sqrt_len differs from mean only in length, which the final
         * normalisation removes. */
        static const struct { const char *key; pooling mode; } modes[] = {
            {"pooling_mode_mean_tokens", POOL_MEAN}, {"pooling_mode_mean_sqrt_len_tokens", POOL_MEAN},
            {"pooling_mode_cls_token", POOL_CLS},    {"pooling_mode_max_tokens", POOL_MAX},
        };
        int set = 0;
        const char *other = NULL, *key;
        json_t *v;
        json_object_foreach(pool, key, v) {
            if (!json_is_true(v) || strncmp(key, "pooling_mode_", 13) != 0) continue;
            size_t i = 0;
            while (i < sizeof modes / sizeof modes[0] && strcmp(modes[i].key, key) != 0) i++;
            if (i == sizeof modes / sizeof modes[0]) other = key;
            else { b->pool = modes[i].mode; set++; }
        }
        int rc = 0;
        if (other)
            rc = lt_err_set(err, LT_ERR_INVALID, "1_Pooling/config.json: %s is not supported (mean, cls or max)",
                            other);
        else if (set > 1)
            rc = lt_err_set(err, LT_ERR_INVALID, "1_Pooling/config.json: combined pooling modes are not supported");
        json_decref(pool);
        if (rc) return -1;
    }
    return 0;
}

/* The tensor name, or the same with "bert." in front, as F32 of shape
 * [d0] (d1 < 0) or [d0][d1]. */
static const float *tensor(bert *b, const char *name, int64_t d0, int64_t d1, lt_err *err) {
    char prefixed[256];
    snprintf(prefixed, sizeof prefixed, "bert.%s", name);
    const st_tensor *t = safetensors_find(b->st, name);
    if (!t) t = safetensors_find(b->st, prefixed);
    if (!t) {
        lt_err_set(err, LT_ERR_INVALID,
                   "model.safetensors has no tensor '%s': not a BERT model, or it does not match config.json", name);
        return NULL;
    }
    int want_dims = d1 < 0 ? 1 : 2;
    if (t->ndim != want_dims || t->shape[0] != d0 || (d1 >= 0 && t->shape[1] != d1)) {
        char got[96] = "", want[48];
        for (int i = 0, at = 0; i < t->ndim && at < (int)sizeof got - 24; i++)
            at += snprintf(got + at, sizeof got - (size_t)at, "%s%lld", i ? ", " : "", (long long)t->shape[i]);
        if (d1 < 0) snprintf(want, sizeof want, "%lld", (long long)d0);
        else snprintf(want, sizeof want, "%lld, %lld", (long long)d0, (long long)d1);
        lt_err_set(err, LT_ERR_INVALID, "model.safetensors: tensor '%s' has shape [%s] where config.json implies [%s]",
                   t->name, got, want);
        return NULL;
    }
    if (b->n_owned == b->cap_owned) {
        size_t cap = b->cap_owned ? 2 * b->cap_owned : 32;
        float **bigger = realloc(b->owned, cap * sizeof *bigger);
        if (!bigger) { lt_err_set(err, LT_ERR_INTERNAL, "out of memory"); return NULL; }
        b->owned = bigger;
        b->cap_owned = cap;
    }
    float *owned;
    const float *f = st_tensor_f32(t, &owned, err);
    if (owned) b->owned[b->n_owned++] = owned;
    if (!f) lt_err_prefix(err, "model.safetensors");
    return f;
}

static int bind_linear(bert *b, linear *l, const char *prefix, int out, int in, lt_err *err) {
    char name[200];
    snprintf(name, sizeof name, "%s.weight", prefix);
    if (!(l->w = tensor(b, name, out, in, err))) return -1;
    snprintf(name, sizeof name, "%s.bias", prefix);
    return (l->b = tensor(b, name, out, -1, err)) ? 0 : -1;
}

static int bind_norm(bert *b, norm *nm, const char *prefix, lt_err *err) {
    char name[200];
    snprintf(name, sizeof name, "%s.weight", prefix);
    if (!(nm->gamma = tensor(b, name, b->hidden, -1, err))) return -1;
    snprintf(name, sizeof name, "%s.bias", prefix);
    return (nm->beta = tensor(b, name, b->hidden, -1, err)) ? 0 : -1;
}

static int bind_weights(bert *b, lt_err *err) {
    const int H = b->hidden;
    if (!(b->word_emb = tensor(b, "embeddings.word_embeddings.weight", b->vocab, H, err)) ||
        !(b->pos_emb = tensor(b, "embeddings.position_embeddings.weight", b->max_pos, H, err)) ||
        !(b->type_emb = tensor(b, "embeddings.token_type_embeddings.weight", b->types, H, err)) ||
        bind_norm(b, &b->emb_norm, "embeddings.LayerNorm", err))
        return -1;
    b->layer = calloc((size_t)b->layers, sizeof *b->layer);
    if (!b->layer) return lt_err_set(err, LT_ERR_INTERNAL, "out of memory");
    for (int l = 0; l < b->layers; l++) {
        layer *L = &b->layer[l];
        char p[160];
#define PART(s) (snprintf(p, sizeof p, "encoder.layer.%d.%s", l, s), p)
        if (bind_linear(b, &L->q, PART("attention.self.query"), H, H, err) ||
            bind_linear(b, &L->k, PART("attention.self.key"), H, H, err) ||
            bind_linear(b, &L->v, PART("attention.self.value"), H, H, err) ||
            bind_linear(b, &L->attn_out, PART("attention.output.dense"), H, H, err) ||
            bind_norm(b, &L->attn_norm, PART("attention.output.LayerNorm"), err) ||
            bind_linear(b, &L->up, PART("intermediate.dense"), b->inter, H, err) ||
            bind_linear(b, &L->down, PART("output.dense"), H, b->inter, err) ||
            bind_norm(b, &L->out_norm, PART("output.LayerNorm"), err))
            return -1;
#undef PART
    }
    return 0;
}

int bert_backend_open(embedder *e, const char *dir, lt_err *err) {
    if (!dir || !*dir)
        return lt_err_set(err, LT_ERR_INVALID, "no bert model directory configured (set bert_model_dir)");
    if (!sgemm && !(sgemm = dynload_sgemm(err))) return -1;
    struct stat st;
    if (stat(dir, &st) != 0)
        return lt_err_set(err, errno == ENOENT ? LT_ERR_NOT_FOUND : LT_ERR_IO, "bert model directory %s: %s", dir,
                          strerror(errno));
    if (!S_ISDIR(st.st_mode)) return lt_err_set(err, LT_ERR_INVALID, "bert model directory %s is not a directory", dir);
    bert *b = calloc(1, sizeof *b);
    if (!b) return lt_err_set(err, LT_ERR_INTERNAL, "out of memory");
    if (snprintf(b->dir, sizeof b->dir, "%s", dir) >= (int)sizeof b->dir) {
        free(b);
        return lt_err_set(err, LT_ERR_INVALID, "bert model directory path is too long");
    }
    char path[1200];
    int rc = read_config(b, err);
    if (!rc) rc = read_extras(b, err);
    if (!rc) rc = path_in(path, sizeof path, dir, "vocab.txt", err);
    if (!rc && !(b->wp = wordpiece_open(path, &b->wp_opt, err))) rc = -1;
    if (!rc && wordpiece_vocab_size(b->wp) > b->vocab)
        rc = lt_err_set(err, LT_ERR_INVALID, "%s has %d tokens but config.json says vocab_size %d", path,
                        wordpiece_vocab_size(b->wp), b->vocab);
    if (!rc) rc = path_in(path, sizeof path, dir, "model.safetensors", err);
    if (!rc && !(b->st = safetensors_open(path, err))) rc = -1;
    if (!rc) rc = bind_weights(b, err);
    if (rc) {
        bert_close(b);
        return -1;
    }
    /* The directory's name tells models apart; the width guards against a
     * directory reused for another model size. */
    char name[1024];
    snprintf(name, sizeof name, "%s", dir);
    size_t len = strlen(name);
    while (len > 1 && name[len - 1] == '/') name[--len] = '\0';
    const char *base = strrchr(name, '/');
    base = base && base[1] ? base + 1 : name;
    e->ops = &bert_ops;
    e->state = b;
    e->dim = b->hidden;
    snprintf(e->model_id, sizeof e->model_id, "bert-%.100s-%dd", base, b->hidden);
    return 0;
}
