#include "chunk.h"

#include <assert.h>
#include <stdbool.h>
#include <stdlib.h>

static bool is_space(char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }

/* Moves pos back to the start of the UTF-8 character containing it. */
static size_t char_start(const char *t, size_t pos) {
    while (pos > 0 && ((unsigned char)t[pos] & 0xC0) == 0x80) pos--;
    return pos;
}

/* Best end for a chunk starting at start that may not pass limit. */
static size_t pick_end(const char *t, size_t start, size_t limit) {
    size_t min_end = start + (limit - start) / 2; /* don't make tiny chunks to hit a boundary */
    for (size_t i = limit; i > min_end; i--) {    /* sentence end: ". " or a blank line */
        char c = t[i - 1];
        if ((c == '.' || c == '!' || c == '?') && is_space(t[i])) return i;
        if (c == '\n' && i >= 2 && t[i - 2] == '\n') return i;
    }
    for (size_t i = limit; i > start; i--)
        if (is_space(t[i - 1])) return i;
    size_t cut = char_start(t, limit);
    return cut > start ? cut : limit; /* a single character wider than the limit cannot happen at >= 16 */
}

size_t chunk_text(const char *text, size_t len, size_t max_bytes, size_t overlap_bytes, chunk_span **spans) {
    assert(max_bytes >= 16 && overlap_bytes < max_bytes / 2);
    *spans = NULL;
    size_t start = 0;
    while (start < len && is_space(text[start])) start++;
    if (start == len) return 0;
    size_t cap = len / (max_bytes - overlap_bytes) + 2, n = 0;
    chunk_span *out = malloc(cap * sizeof *out);
    if (!out) return 0;
    for (;;) {
        size_t end = len - start <= max_bytes ? len : pick_end(text, start, start + max_bytes);
        assert(end > start && end - start <= max_bytes);
        if (n == cap) {
            cap *= 2;
            chunk_span *grown = realloc(out, cap * sizeof *out);
            if (!grown) { free(out); return 0; }
            out = grown;
        }
        out[n].start = start;
        out[n].len = end - start;
        n++;
        if (end >= len) break;
        /* The next chunk backs up by the overlap to a word start, but always
         * moves forward. */
        size_t next = end;
        if (overlap_bytes) {
            size_t back = end - overlap_bytes > start ? end - overlap_bytes : start + 1;
            while (back < end && !is_space(text[back - 1])) back++;
            if (back < end) next = back;
        }
        while (next < len && is_space(text[next])) next++;
        if (next >= len) break;
        if (next <= start) next = end;
        start = next;
    }
    *spans = out;
    return n;
}
