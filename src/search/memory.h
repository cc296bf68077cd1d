/* memory.h - the semantic memory engine: store, update, delete and find
 * memories by meaning and by words.
 *
 * A memory is a text with a name, a type, a conversation, tags, metadata and
 * a time. Storing one splits it into chunks (chunk.h), embeds each chunk
 * (embed.h), and writes the memory, its tags, chunks, vectors, full-text
 * rows and graph node in one transaction. Storing the same text twice in a
 * project returns the existing memory. Search fuses BM25 over the full-text
 * index with cosine similarity over the vector index (vindex.h):
 *
 *   score = w * L / max L  +  (1 - w) * (cos - min cos) / (max cos - min cos)
 *
 * where L is a chunk's BM25 score (0 when it does not match), the max and
 * min run over the project's chunks (after filters), and w is the lexical
 * weight. Scores therefore lie in [0, 1]: 1 is the best lexical match that
 * is also the closest in meaning. A memory scores as its best chunk.
 *
 * The engine is shared by every thread of a process; each call brings its
 * own store connection. */
#ifndef LT_MEMORY_H
#define LT_MEMORY_H

#include "../core/err.h"
#include "../embed/embed.h"
#include "../store/store.h"
#include "vindex.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    size_t chunk_bytes;        /* largest chunk */
    size_t overlap_bytes;      /* overlap between consecutive chunks */
    size_t max_content_bytes;  /* largest memory accepted */
    int context_neighbours;    /* memories on each side whose text joins the ctx column */
    double context_weight;     /* BM25 weight of the ctx column */
    double lexical_weight;     /* w in the fusion formula */
    double near_duplicate;     /* cosine at or above which a new memory is reported as a near-duplicate */
    size_t lexical_scan;       /* newest matching chunks ranked by BM25 per search */
    double length_norm;        /* BM25's b: 0 ignores chunk length, 0.75 is the usual */
} memory_config;

typedef struct memory_engine memory_engine;

/* The engine takes ownership of emb. */
memory_engine *memory_engine_new(embedder *emb, const memory_config *cfg, lt_err *err);
void memory_engine_free(memory_engine *m);
embedder *memory_engine_embedder(memory_engine *m);
vindex *memory_engine_index(memory_engine *m);
/* With on, a search always runs the lexical tiers as separate queries,
 * never in one pass (same results, slower on a small project): for tests
 * and measurements that compare the two. */
void memory_engine_tiers_only(memory_engine *m, bool on);

typedef struct {
    const char *project;
    const char *file_name;
    const char *content;
    const char *resource_type;
    const char *conversation_id;
    const char *created_at;  /* ISO-8601 UTC, or NULL for now */
    const json_t *tags;      /* array of strings, or NULL */
    const json_t *metadata;  /* object, or NULL */
} memory_input;

/* Stores a memory; fills out with doc_id, duplicate, chunk_count,
 * near_duplicates and created_at. */
int memory_store(memory_engine *m, store *st, const memory_input *in, json_t *out, lt_err *err);

/* Told how far a long action has come: done of total steps. */
typedef void (*memory_progress_fn)(void *arg, size_t done, size_t total);

/* Stores n memories in one transaction (all or none); appends
 * {doc_id, file_name, duplicate} for each to results, in input order.
 * progress (may be NULL) hears of the embedding, at most about 100 times. */
int memory_store_many(memory_engine *m, store *st, const memory_input *in, size_t n, json_t *results,
                      memory_progress_fn progress, void *progress_arg, lt_err *err);

/* Changes the fields of in that are not NULL (content re-chunks and
 * re-embeds). in->project selects the project. */
int memory_update(memory_engine *m, store *st, int64_t id, const memory_input *in, json_t *out, lt_err *err);

/* Deletes a memory with its chunks, vectors, full-text rows, tags and graph
 * node; fills out with what was deleted. */
int memory_delete(memory_engine *m, store *st, const char *project, int64_t id, json_t *out, lt_err *err);

/* The memory as an object (doc_id, file_name, content, resource_type,
 * conversation_id, tags, metadata, created_at, updated_at), or NULL with
 * LT_ERR_NOT_FOUND. */
json_t *memory_get(store *st, const char *project, int64_t id, lt_err *err);

typedef struct {
    const char *project;
    const char *resource_type;   /* NULL: any */
    const char *conversation_id; /* NULL: any */
    const json_t *tags;          /* array: memories having all of them; NULL: any */
    const char *since, *until;   /* ISO-8601 bounds on created_at, inclusive; NULL: open */
} memory_filter;

typedef struct {
    int64_t memory_id;
    int64_t chunk_id;   /* the best chunk */
    double score;       /* fused, 0..1 */
    double similarity;  /* cosine of the best chunk */
    double lexical;     /* BM25 of the best chunk normalised by the best, 0..1 */
} memory_hit;

/* The k best memories for query under filter, best first. *hits is
 * malloc'd; the caller frees it. */
int memory_search(memory_engine *m, store *st, const char *query, const memory_filter *f, size_t k,
                  memory_hit **hits, size_t *n_hits, lt_err *err);

/* How many chunks hold term (a word as the tokenizer gives it), counted as
 * a search counts it: exactly up to limit. Counts are cached: a count under
 * 32 is taken again after any write by this or another process (caches.h's
 * generation); a larger one is reused until the chunks added and removed
 * since reach 1/32 of it (a statistic for weighting terms need not be
 * re-read after every write). */
int memory_term_rows(memory_engine *m, store *st, const char *term, int64_t limit, int64_t *rows, lt_err *err);

typedef struct {
    int64_t chat_id;
    double score;      /* fused like memory_search, over the matching messages */
    double similarity;
} chat_hit;

/* The k chat messages of project best matching query (by words first, then
 * reranked with meaning), best first. *hits is malloc'd. */
int memory_search_chat(memory_engine *m, store *st, const char *project, const char *query, size_t k,
                       chat_hit **hits, size_t *n_hits, lt_err *err);

/* Makes a chat message findable by memory_search_chat (inside the caller's
 * write transaction). */
int memory_index_chat(store *st, int64_t chat_id, const char *project, const char *content, lt_err *err);

/* Re-chunks and re-embeds a memory with the current embedder and chunk
 * sizes (ltmc reembed). */
int memory_reindex(memory_engine *m, store *st, int64_t id, lt_err *err);

/* A page of memories (newest first) as objects with a content preview,
 * plus total_count. */
int memory_list(store *st, const memory_filter *f, int64_t limit, int64_t offset, json_t *out, lt_err *err);

/* Counts for stats and doctor: memories, chunks, vectors of this model. */
json_t *memory_stats(memory_engine *m, store *st);

#endif
