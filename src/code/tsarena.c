#include "tsarena.h"

#include <assert.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tree_sitter/api.h>

/* A block is an 8-byte header (its size class) followed by the payload; a
 * class c block spans 16*c bytes and holds c*16-8 payload bytes. Chunks
 * start their blocks at 8 mod 16, so every payload is 16-byte aligned like
 * malloc's. Freed blocks of the classes up to NCLASS (payloads up to 1016
 * bytes: subtrees, stack nodes, small arrays) go on a free list of their
 * class for the next allocation; larger ones (grown arrays) are left until
 * the window closes. */
#define HDR 8
#define NCLASS 64
#define FIRST_CHUNK ((size_t)1 << 20)

typedef struct chunk {
    struct chunk *next;
    char *lo, *hi; /* the usable bytes */
} chunk;

typedef struct {
    bool active;
    bool registered; /* the thread-exit destructor knows this arena */
    chunk *chunks;   /* newest first; the bump pointer is in the newest */
    char *bump, *end;
    void *free_list[NCLASS + 1];
    size_t want; /* size of the chunk the next window starts with */
    unsigned long long used;
} arena;

static __thread arena A;
static pthread_key_t arena_key;
static pthread_once_t arena_once = PTHREAD_ONCE_INIT;

/* tree-sitter cannot handle a failed allocation (its own default allocator
 * exits); neither can we in the middle of a parse. */
static void out_of_memory(size_t n) {
    fprintf(stderr, "ltmc: out of memory in the code parser (%zu bytes)\n", n);
    abort();
}

static void free_chunks(arena *a) {
    for (chunk *c = a->chunks, *next; c; c = next) {
        next = c->next;
        free(c);
    }
    a->chunks = NULL;
    a->bump = a->end = NULL;
}

static void arena_destroy(void *p) { free_chunks(p); }

static bool in_arena(const void *p) {
    for (const chunk *c = A.chunks; c; c = c->next)
        if ((const char *)p >= c->lo && (const char *)p < c->hi) return true;
    return false;
}

static size_t chunk_size(const chunk *c) { return (size_t)(c->hi - c->lo); }

/* bytes (a multiple of 16) from the newest chunk, or a new one */
static void *bump(size_t bytes) {
    if ((size_t)(A.end - A.bump) < bytes) {
        size_t size = A.chunks ? 2 * chunk_size(A.chunks) : (A.want > FIRST_CHUNK ? A.want : FIRST_CHUNK);
        while (size < bytes) size *= 2;
        chunk *c = malloc(sizeof *c + 32 + size);
        if (!c) return NULL;
        uintptr_t lo = ((uintptr_t)(c + 1) + HDR + 15) / 16 * 16 - HDR;
        c->lo = (char *)lo;
        c->hi = c->lo + size;
        c->next = A.chunks;
        A.chunks = c;
        A.bump = c->lo;
        A.end = c->hi;
        if (!A.registered) A.registered = pthread_setspecific(arena_key, &A) == 0;
    }
    void *b = A.bump;
    A.bump += bytes;
    A.used += bytes;
    return b;
}

static size_t class_of(size_t n) { return (n + HDR + 15) / 16; }
static size_t capacity(const void *p) { return ((const uint64_t *)p)[-1] * 16 - HDR; }

static void *ar_malloc(size_t n) {
    if (!A.active) {
        void *p = malloc(n);
        if (!p && n) out_of_memory(n);
        return p;
    }
    size_t c = class_of(n);
    if (c <= NCLASS && A.free_list[c]) {
        void *p = A.free_list[c];
        A.free_list[c] = *(void **)p;
        return p;
    }
    uint64_t *h = bump(c * 16);
    if (!h) out_of_memory(n);
    *h = c;
    return h + 1;
}

static void ar_free(void *p) {
    if (!p) return;
    if (!A.active || !in_arena(p)) {
        assert(!in_arena(p) && "tree-sitter memory used after its window closed");
        free(p);
        return;
    }
    size_t c = ((uint64_t *)p)[-1];
    if (c <= NCLASS) {
        *(void **)p = A.free_list[c];
        A.free_list[c] = p;
    }
}

static void *ar_calloc(size_t k, size_t n) {
    if (n && k > SIZE_MAX / n) out_of_memory(SIZE_MAX);
    void *p = ar_malloc(k * n);
    if (p) memset(p, 0, k * n); /* arena memory is reused, not fresh */
    return p;
}

static void *ar_realloc(void *p, size_t n) {
    if (!p) return ar_malloc(n);
    if (!A.active || !in_arena(p)) {
        void *q = realloc(p, n);
        if (!q && n) out_of_memory(n);
        return q;
    }
    size_t cap = capacity(p);
    if (n <= cap) return p;
    void *q = ar_malloc(n);
    memcpy(q, p, cap);
    ar_free(p);
    return q;
}

static void install_once(void) {
    if (pthread_key_create(&arena_key, arena_destroy) != 0) return; /* then tree-sitter keeps plain malloc */
    ts_set_allocator(ar_malloc, ar_calloc, ar_realloc, ar_free);
}

void tsarena_install(void) { pthread_once(&arena_once, install_once); }

void tsarena_begin(void) {
    assert(!A.active && "tsarena windows do not nest");
    A.active = true;
    A.used = 0;
}

void tsarena_end(void) {
    assert(A.active);
    A.active = false;
    memset(A.free_list, 0, sizeof A.free_list);
    size_t total = 0, n = 0;
    for (const chunk *c = A.chunks; c; c = c->next) total += chunk_size(c), n++;
    if (n == 1 && total <= TSARENA_KEEP) { /* the common case: reuse it as it is */
        A.bump = A.chunks->lo;
        return;
    }
    /* grown in this window: next time one chunk of the whole size */
    free_chunks(&A);
    A.want = total <= TSARENA_KEEP ? total : 0;
}

unsigned long long tsarena_used(void) { return A.used; }
