/* The hash backend: signed feature hashing of words and their character
 * trigrams. No model, no meaning beyond shared words and spellings, but
 * deterministic and fast: what runs when no word-vector file is present,
 * and in unit tests. */
#include "embed_impl.h"
#include "tokenize.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct {
    int dim;
} hash_state;

typedef struct {
    float *out;
    int dim;
} acc;

static uint64_t fnv64(const char *s, size_t n, uint64_t seed) {
    uint64_t h = 1469598103934665603ull ^ seed;
    for (size_t i = 0; i < n; i++) h = (h ^ (uint8_t)s[i]) * 1099511628211ull;
    return h;
}

static void add_feature(acc *a, const char *s, size_t n, uint64_t seed, float weight) {
    uint64_t h = fnv64(s, n, seed);
    int idx = (int)(h % (uint64_t)a->dim);
    a->out[idx] += (h >> 63) ? weight : -weight;
}

static void on_token(const char *tok, size_t len, void *ud) {
    acc *a = ud;
    add_feature(a, tok, len, 0, 1.0f);
    if (len < 4) return;
    for (size_t i = 0; i + 3 <= len; i++) add_feature(a, tok + i, 3, 0x9e3779b97f4a7c15ull, 0.25f);
}

static int hash_embed(void *state, const char *text, size_t len, float *out, lt_err *err) {
    (void)err;
    hash_state *h = state;
    acc a = {out, h->dim};
    tokenize(text, len, 0, on_token, &a);
    embed_normalise(out, h->dim);
    return 0;
}

static void hash_info(const void *state, json_t *out) { (void)state; (void)out; }
static void hash_close(void *state) { free(state); }

static const embed_backend hash_ops = {"hash", hash_embed, hash_info, hash_close};

int hash_backend_open(embedder *e, int dim, lt_err *err) {
    if (dim < 8 || dim > 4096) return lt_err_set(err, LT_ERR_INVALID, "hash embedding dimension %d out of 8..4096", dim);
    hash_state *h = malloc(sizeof *h);
    if (!h) return lt_err_set(err, LT_ERR_INTERNAL, "out of memory");
    h->dim = dim;
    e->ops = &hash_ops;
    e->state = h;
    e->dim = dim;
    snprintf(e->model_id, sizeof e->model_id, "hash-%d-v1", dim);
    return 0;
}
