/* autolink.h - links documents whose meanings are close.
 *
 * Each document is embedded with the memory engine's embedder (vectors are
 * L2-normalised, so a dot product is the cosine). Every pair at or above
 * the similarity threshold is a candidate; candidates are taken best first
 * while both documents have fewer than max_links links from this call. A
 * link is a SIMILAR_TO edge whose weight and similarity_score property are
 * the cosine, pointing from the smaller node id to the larger, so running
 * auto_link again updates links instead of adding reversed ones. */
#ifndef LT_AUTOLINK_H
#define LT_AUTOLINK_H

#include "../core/err.h"
#include "../embed/embed.h"
#include "../store/store.h"

#include <jansson.h>
#include <stddef.h>

#define AUTOLINK_MAX_DOCS 1000
#define AUTOLINK_MAX_LISTED 1000 /* links listed in a result */
#define AUTOLINK_RELATION "SIMILAR_TO"

typedef struct {
    const char *id;         /* node id (nodeid.h) */
    const char *content;    /* NULL for a memory:<n> id: the memory's text */
    const char *type;       /* optional: stored as the node's "type" property */
    const char *created_at; /* optional: stored as the node's "created_at" property */
} autolink_doc;

/* Fills out with links_created, links_updated, documents_processed and
 * links[{source_id, target_id, similarity_score}], best first (the first
 * AUTOLINK_MAX_LISTED; links_truncated says when there were more). */
int graph_auto_link(store *st, embedder *emb, const char *project, const autolink_doc *docs, size_t n,
                    double threshold, int max_links, json_t *out, lt_err *err);

#endif
