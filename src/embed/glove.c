/* The glove backend: a SIF-weighted average of GloVe word vectors.
 *
 * The word-vector file (glove_format.h) is memory-mapped read-only: start-up
 * costs a header check, and pages are loaded on first use and shared between
 * ltmc processes. A text's vector is sum_w weight(w) * v(w) over its known
 * tokens, where weight(w) = a / (a + p(w)) and p(w) is the word's
 * probability under Zipf's law from its frequency rank; the file's common
 * component is then projected out if the file asks for it, and the result
 * normalised (Arora et al., "A simple but tough-to-beat baseline for
 * sentence embeddings", 2017). On the LoCoMo evaluation removing the common
 * component lowered recall, so the default file does not ask for it. */
#include "embed_impl.h"
#include "glove_format.h"
#include "tokenize.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
    const uint8_t *map;
    size_t map_len;
    const glove_header *h;
    const float *scales;
    const int8_t *vectors;
    const uint32_t *word_off;
    const char *strings;
    const uint32_t *hash;
    const float *common;
    double zipf_norm; /* 1 / H(n_words): p(rank r) = zipf_norm / (r + 1) */
    char path[1024];
} glove_state;

static int64_t lookup(const glove_state *g, const char *w, size_t len) {
    uint32_t n = g->h->n_words, mask = g->h->hash_slots - 1, slot = glove_hash(w, (uint32_t)len) & mask;
    for (uint32_t probe = 0; probe <= mask; probe++, slot = (slot + 1) & mask) {
        uint32_t row = g->hash[slot];
        if (row == GLOVE_EMPTY) return -1;
        /* A damaged table or offset must not send us outside the file (open
         * checked only the last offset): such an entry matches nothing. */
        if (row >= n) continue;
        uint32_t a = g->word_off[row], b = g->word_off[row + 1];
        if (a <= b && b <= g->word_off[n] && b - a == len && memcmp(g->strings + a, w, len) == 0) return row;
    }
    return -1;
}

typedef struct {
    const glove_state *g;
    float *acc;
    int known;
} glove_acc;

static void on_token(const char *tok, size_t len, void *ud) {
    glove_acc *a = ud;
    const glove_state *g = a->g;
    int64_t row = lookup(g, tok, len);
    if (row < 0) return;
    double p = g->zipf_norm / (double)(row + 1);
    float w = (float)(g->h->sif_a / (g->h->sif_a + p)) * g->scales[row];
    const int8_t *v = g->vectors + (size_t)row * g->h->dim;
    for (uint32_t i = 0; i < g->h->dim; i++) a->acc[i] += w * (float)v[i];
    a->known++;
}

static int glove_embed(void *state, const char *text, size_t len, float *out, lt_err *err) {
    (void)err;
    const glove_state *g = state;
    glove_acc a = {g, out, 0};
    tokenize(text, len, 0, on_token, &a);
    if (a.known == 0) return 0; /* zero vector: nothing to compare by meaning */
    int dim = (int)g->h->dim;
    if (g->h->flags & GLOVE_REMOVE_COMMON) {
        double dot = 0;
        for (int i = 0; i < dim; i++) dot += (double)out[i] * g->common[i];
        for (int i = 0; i < dim; i++) out[i] -= (float)dot * g->common[i];
    }
    embed_normalise(out, dim);
    return 0;
}

static void glove_info(const void *state, json_t *out) {
    const glove_state *g = state;
    json_object_set_new(out, "path", json_string(g->path));
    json_object_set_new(out, "words", json_integer(g->h->n_words));
    json_object_set_new(out, "source", json_string(g->h->source));
    json_object_set_new(out, "file_bytes", json_integer((json_int_t)g->map_len));
}

static void glove_close(void *state) {
    glove_state *g = state;
    if (g->map) munmap((void *)g->map, g->map_len);
    free(g);
}

static const embed_backend glove_ops = {"glove", glove_embed, glove_info, glove_close};

static bool section_ok(uint64_t off, uint64_t bytes, uint64_t size) { return off <= size && bytes <= size - off; }

int glove_backend_open(embedder *e, const char *path, lt_err *err) {
    if (!path || !*path) return lt_err_set(err, LT_ERR_INVALID, "no word-vector file configured");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return lt_err_set(err, LT_ERR_IO, "word-vector file %s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || (size_t)st.st_size < sizeof(glove_header)) {
        close(fd);
        return lt_err_set(err, LT_ERR_INVALID, "word-vector file %s is too small to be one", path);
    }
    void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    if (map == MAP_FAILED) return lt_err_set(err, LT_ERR_IO, "cannot map %s: %s", path, strerror(errno));
    glove_state *g = calloc(1, sizeof *g);
    if (!g) {
        munmap(map, (size_t)st.st_size);
        return lt_err_set(err, LT_ERR_INTERNAL, "out of memory");
    }
    g->map = map;
    g->map_len = (size_t)st.st_size;
    g->h = map;
    snprintf(g->path, sizeof g->path, "%s", path);
    const glove_header *h = g->h;
    uint64_t size = g->map_len, n = h->n_words, dim = h->dim;
    const char *bad = NULL;
    if (memcmp(h->magic, GLOVE_MAGIC, 8) != 0) bad = "not an ltmc word-vector file";
    else if (h->version != GLOVE_VERSION) bad = "unsupported version (re-run the converter)";
    else if (h->file_size != size) bad = "truncated or altered (size differs from its header)";
    else if (dim == 0 || dim > 4096 || n == 0 || n >= GLOVE_EMPTY) bad = "implausible dimensions";
    else if (h->hash_slots < 2 * n || (h->hash_slots & (h->hash_slots - 1))) bad = "bad hash table size";
    else if (!section_ok(h->off_scales, n * 4, size) || !section_ok(h->off_vectors, n * dim, size) ||
             !section_ok(h->off_word_off, (n + 1) * 4, size) || !section_ok(h->off_hash, h->hash_slots * 4ull, size) ||
             !section_ok(h->off_common, dim * 4, size) || h->off_strings > size)
        bad = "a section lies outside the file";
    else if (!(h->sif_a > 0 && h->sif_a < 1)) bad = "bad SIF parameter";
    if (!bad) {
        g->scales = (const float *)(g->map + h->off_scales);
        g->vectors = (const int8_t *)(g->map + h->off_vectors);
        g->word_off = (const uint32_t *)(g->map + h->off_word_off);
        g->strings = (const char *)(g->map + h->off_strings);
        g->hash = (const uint32_t *)(g->map + h->off_hash);
        g->common = (const float *)(g->map + h->off_common);
        /* Offsets must stay inside the string pool; checking the last
         * suffices because the converter writes them ascending. */
        if (g->word_off[0] != 0 || (uint64_t)h->off_strings + g->word_off[n] > size) bad = "bad word table";
        if (memchr(h->source, 0, sizeof h->source) == NULL || memchr(h->model_tag, 0, sizeof h->model_tag) == NULL)
            bad = "bad header strings";
    }
    if (bad) {
        glove_close(g);
        return lt_err_set(err, LT_ERR_INVALID, "word-vector file %s: %s", path, bad);
    }
    g->zipf_norm = 1.0 / (log((double)n) + 0.5772156649);
    /* Lookups jump around the file: reading ahead would only waste memory. */
    madvise((void *)g->map, size, MADV_RANDOM);
    e->ops = &glove_ops;
    e->state = g;
    e->dim = (int)dim;
    e->common = g->common;
    snprintf(e->model_id, sizeof e->model_id, "glove-%s", h->model_tag);
    return 0;
}
