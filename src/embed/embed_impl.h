/* embed_impl.h - what a backend provides to embed.c (internal). */
#ifndef LT_EMBED_IMPL_H
#define LT_EMBED_IMPL_H

#include "embed.h"

typedef struct {
    const char *name;
    int (*embed)(void *state, const char *text, size_t len, float *out, lt_err *err);
    void (*info)(const void *state, json_t *out);
    void (*close)(void *state);
} embed_backend;

struct embedder {
    const embed_backend *ops;
    void *state;
    int dim;
    char model_id[128];
    const float *common; /* unit vector of what every text shares, or NULL */
};

/* Each fills e (ops, state, dim, model_id) or returns -1 with err set. */
int glove_backend_open(embedder *e, const char *path, lt_err *err);
int hash_backend_open(embedder *e, int dim, lt_err *err);
int bert_backend_open(embedder *e, const char *dir, lt_err *err);
int http_backend_open(embedder *e, const embed_options *opt, lt_err *err);

/* Scales v to unit length; leaves a zero vector as it is. */
void embed_normalise(float *v, int dim);

#endif
