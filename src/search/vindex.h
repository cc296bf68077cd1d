/* vindex.h - the in-memory vector index, kept in step with the database.
 *
 * Holds every stored chunk vector of one embedding model as int8 rows with a
 * per-row scale, contiguous, and searches them exactly (a SIMD dot product
 * per row). Before each search vindex_sync() picks up what other processes
 * (or this one) wrote since the last sync: new vectors have larger chunk ids
 * than any seen (chunk ids only grow), and deletions are read from the
 * deleted_chunks log. When nothing changed that costs two index lookups.
 *
 * Thread-safe: searches share a read lock, sync takes the write lock. */
#ifndef LT_VINDEX_H
#define LT_VINDEX_H

#include "../core/err.h"
#include "../store/store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct vindex vindex;

typedef struct {
    int64_t chunk_id;
    int64_t memory_id;
    float score; /* cosine similarity, -1..1 */
} vhit;

vindex *vindex_new(const char *model_id, int dim);
void vindex_free(vindex *v);

/* Gives the index the embedder's common direction (a unit vector of dim
 * floats, copied), before the first sync. From then on vindex_near scores
 * rows by the cosine of query and row with that direction taken out: what
 * tells texts apart, where the raw cosine of two long texts is high
 * whatever they say. Returns -1 when out of memory. */
int vindex_set_common_direction(vindex *v, const float *c);

/* Brings the index up to date with the database. */
int vindex_sync(vindex *v, store *st, lt_err *err);

/* The k best chunks of project for the unit query vector q, best first.
 * When allowed is not NULL only chunks of those memory ids (sorted
 * ascending, n_allowed of them) are considered. Returns the number of hits. */
size_t vindex_search(vindex *v, const char *project, const float *q, size_t k, const int64_t *allowed,
                     size_t n_allowed, vhit *out);

/* Like vindex_search, and also reports the lowest and highest similarity
 * over every considered chunk (both 0 when there is none). */
size_t vindex_search_range(vindex *v, const char *project, const float *q, size_t k, const int64_t *allowed,
                           size_t n_allowed, vhit *out, float *min_score, float *max_score);

/* The k best chunks of project whose score (as vindex_search computes it,
 * or with the common direction taken out when the index has one: see
 * vindex_set_common_direction) is at least threshold, best first, equal scores in chunk id order (so
 * the answer does not depend on the scan's order). For the near-duplicate
 * check: a row is looked at beyond its score only when that score would
 * enter the answer. Returns the number of hits. */
size_t vindex_near(vindex *v, const char *project, const float *q, float threshold, size_t k, vhit *out);

/* vindex_near shared by several threads: begin, then vindex_near_work
 * from any threads, each taking blocks of rows until none is left, then
 * end once every work call has returned: it scans what no thread took,
 * writes the answer (up to k hits) and frees the job. The answer is over
 * the rows the project had at begin (less any deleted meanwhile); project
 * must stay valid until end. A NULL job (k of 0, out of memory) is
 * empty. */
typedef struct vnear vnear;
vnear *vindex_near_begin(vindex *v, const char *project, const float *q, float threshold, size_t k);
void vindex_near_work(vnear *j);
size_t vindex_near_end(vnear *j, vhit *out);

/* The similarity of q to one chunk of project; false when the index does
 * not hold that chunk. */
bool vindex_score(vindex *v, const char *project, const float *q, int64_t chunk_id, float *score);

/* vindex_score for n chunks at once (one lock, one quantised query):
 * found[i] tells whether scores[i] was set. Returns how many were. */
size_t vindex_score_many(vindex *v, const char *project, const float *q, const int64_t *chunk_ids, size_t n,
                         float *scores, bool *found);

/* The memory of each of n chunks of project, or 0 for a chunk the index
 * does not hold (deleted, or embedded by another model). Returns how many
 * were found. */
size_t vindex_memories(vindex *v, const char *project, const int64_t *chunk_ids, size_t n, int64_t *memory_ids);

/* Rows held (live) and bytes used, for stats and health. */
size_t vindex_count(vindex *v);
size_t vindex_bytes(vindex *v);

/* Quantises a unit vector to the stored form: a float scale followed by dim
 * int8 values. out must hold vindex_blob_size(dim) bytes. */
size_t vindex_blob_size(int dim);
void vindex_quantise(const float *vec, int dim, void *out);

#endif
