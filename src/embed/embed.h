/* embed.h - text to vector, behind one interface with several backends.
 *
 *   glove  SIF-weighted average of GloVe word vectors from a memory-mapped
 *          file (default; see glove_format.h)
 *   hash   deterministic feature hashing: no model file needed
 *   bert   a BERT-family sentence encoder placed on disk (safetensors,
 *          vocab.txt, config.json), run in plain C with OpenBLAS
 *   http   an OpenAI-compatible /v1/embeddings endpoint (Ollama, llama.cpp
 *          server, hosted APIs) through libcurl
 *
 * Every vector is L2-normalised (a text with no known word gives the zero
 * vector). Each embedder has a model id that is stored with every vector,
 * so vectors of two models are never compared. An embedder is safe to use
 * from several threads at once. */
#ifndef LT_EMBED_H
#define LT_EMBED_H

#include "../core/err.h"

#include <jansson.h>
#include <stddef.h>

typedef struct embedder embedder;

typedef struct {
    const char *backend;      /* "glove", "hash", "bert" or "http" */
    const char *glove_path;   /* glove: the word-vector file */
    int hash_dim;             /* hash: dimension (power of two recommended) */
    const char *bert_dir;     /* bert: directory with config.json, vocab.txt, model.safetensors */
    const char *http_url;     /* http: base URL, e.g. http://127.0.0.1:11434/v1 (".../embeddings" is appended) */
    const char *http_model;   /* http: model name sent in each request */
    const char *http_api_key; /* http: bearer token, or NULL */
    int http_timeout_ms;      /* http: per-request timeout */
} embed_options;

embedder *embedder_open(const embed_options *opt, lt_err *err);
void embedder_close(embedder *e);

const char *embedder_backend(const embedder *e);
const char *embedder_model_id(const embedder *e);
int embedder_dim(const embedder *e);

/* The unit direction that every text's vector shares whatever its topic,
 * when the backend knows one (glove: the first principal direction of
 * texts drawn from its vocabulary), else NULL. Similarities that should
 * tell texts apart (near-duplicates) are measured with it taken out. */
const float *embedder_common_direction(const embedder *e);

/* Writes dim floats into out. Returns 0, or -1 with err set. */
int embedder_embed(embedder *e, const char *text, size_t len, float *out, lt_err *err);

/* Facts for doctor and health checks (backend, model id, dim, file, words). */
json_t *embedder_info(const embedder *e);

#endif
