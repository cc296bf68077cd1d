/* sbuf.h - a growable string: the one way ltmc builds text piece by piece
 * (graph exports, highlighted code, FTS5 queries, directory trees).
 *
 * A zeroed sbuf is empty and ready. After any append the text is
 * NUL-terminated (when it holds anything). An allocation failure is
 * remembered (oom) and later appends do nothing, so a writer checks once,
 * at the end, through sbuf_take. */
#ifndef LT_SBUF_H
#define LT_SBUF_H

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    char *s; /* NULL until something is added */
    size_t len, cap;
    bool oom;
} sbuf;

void sbuf_add(sbuf *b, const char *s, size_t n);
void sbuf_str(sbuf *b, const char *s);
void sbuf_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Room for n more bytes and the NUL at s + len, for a writer that fills
 * them itself and then advances len (and writes the NUL when it is done);
 * false, with oom set, when it cannot be had. */
bool sbuf_reserve(sbuf *b, size_t n);

/* Cuts the text back to len bytes (len <= b->len). */
void sbuf_truncate(sbuf *b, size_t len);

/* Hands over the text (the caller frees it; "" when nothing was added) and
 * leaves b empty; NULL when an allocation failed along the way. */
char *sbuf_take(sbuf *b);

/* Drops the text; b is empty again. */
void sbuf_free(sbuf *b);

#endif
