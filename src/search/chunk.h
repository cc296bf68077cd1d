/* chunk.h - splitting a text into overlapping chunks for embedding.
 *
 * Chunks hold at most max_bytes bytes and never lose text: every byte of the
 * input is in at least one chunk, the last included. A chunk ends at the
 * last sentence end (., !, ?, or a blank line) that fits, else at the last
 * whitespace, else (one word longer than the limit) at a UTF-8 character
 * boundary. Each chunk after the first starts up to overlap_bytes before the
 * previous one's end, at a word boundary. */
#ifndef LT_CHUNK_H
#define LT_CHUNK_H

#include <stddef.h>

typedef struct {
    size_t start; /* byte offset into the text */
    size_t len;
} chunk_span;

/* Fills spans (allocated with malloc; the caller frees) and returns their
 * count; 0 for an empty text. max_bytes >= 16, overlap_bytes < max_bytes / 2. */
size_t chunk_text(const char *text, size_t len, size_t max_bytes, size_t overlap_bytes, chunk_span **spans);

#endif
