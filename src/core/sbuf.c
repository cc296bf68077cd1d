#include "sbuf.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

bool sbuf_reserve(sbuf *b, size_t n) {
    if (b->oom) return false;
    if (b->len + n + 1 <= b->cap) return true;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + n + 1) {
        if (cap > SIZE_MAX / 2) {
            b->oom = true;
            return false;
        }
        cap *= 2;
    }
    char *g = realloc(b->s, cap);
    if (!g) {
        b->oom = true;
        return false;
    }
    b->s = g;
    b->cap = cap;
    return true;
}

void sbuf_add(sbuf *b, const char *s, size_t n) {
    if (!sbuf_reserve(b, n)) return;
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

void sbuf_str(sbuf *b, const char *s) { sbuf_add(b, s, strlen(s)); }

void sbuf_printf(sbuf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || !sbuf_reserve(b, (size_t)n)) return;
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void sbuf_truncate(sbuf *b, size_t len) {
    assert(len <= b->len);
    if (!b->s) return;
    b->len = len;
    b->s[len] = '\0';
}

char *sbuf_take(sbuf *b) {
    char *s = b->oom ? NULL : b->s ? b->s : strdup("");
    if (b->oom) free(b->s);
    *b = (sbuf){0};
    return s;
}

void sbuf_free(sbuf *b) {
    free(b->s);
    *b = (sbuf){0};
}
