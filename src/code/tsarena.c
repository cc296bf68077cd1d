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
    chunk *chunks; /* this window's, newest first; the bump pointer is in the newest */
    char *bump, *end;
    void *free_list[NCLASS + 1];
    unsigned long long used;
} arena;

static __thread arena A;
static pthread_once_t arena_once = PTHREAD_ONCE_INIT;

/* Chunks between windows, shared by all threads: whichever thread parses
 * next takes one (a server may run calls on either of two threads; one
 * chunk serves both). Bounded by TSARENA_KEEP bytes. want is the size a
 * window's first chunk gets: the whole of the last window that needed more
 * than one. */
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static chunk *pool;
static size_t pool_bytes, want = FIRST_CHUNK;

/* tree-sitter cannot handle a failed allocation (its own default allocator
 * exits); neither can we in the middle of a parse. */
static void out_of_memory(size_t n) {
    fprintf(stderr, "ltmc: out of memory in the code parser (%zu bytes)\n", n);
    abort();
}

static size_t chunk_size(const chunk *c) { return (size_t)(c->hi - c->lo); }

static bool in_arena(const void *p) {
    for (const chunk *c = A.chunks; c; c = c->next)
        if ((const char *)p >= c->lo && (const char *)p < c->hi) return true;
    return false;
}

/* A pooled chunk of at least want bytes (smaller ones are dropped), or NULL. */
static chunk *pool_take(void) {
    chunk *got = NULL;
    pthread_mutex_lock(&pool_lock);
    while (pool && !got) {
        chunk *c = pool;
        pool = c->next;
        pool_bytes -= chunk_size(c);
        if (chunk_size(c) >= want) got = c;
        else free(c);
    }
    pthread_mutex_unlock(&pool_lock);
    return got;
}

static void pool_put(chunk *c) {
    pthread_mutex_lock(&pool_lock);
    if (pool_bytes + chunk_size(c) <= TSARENA_KEEP) {
        c->next = pool;
        pool = c;
        pool_bytes += chunk_size(c);
        c = NULL;
    }
    pthread_mutex_unlock(&pool_lock);
    free(c);
}

/* bytes (a multiple of 16) from the newest chunk, or a new one */
static void *bump(size_t bytes) {
    if ((size_t)(A.end - A.bump) < bytes) {
        chunk *c = A.chunks ? NULL : pool_take();
        if (!c || chunk_size(c) < bytes) {
            free(c);
            pthread_mutex_lock(&pool_lock);
            size_t size = A.chunks ? 2 * chunk_size(A.chunks) : want;
            pthread_mutex_unlock(&pool_lock);
            while (size < bytes) size *= 2;
            c = malloc(sizeof *c + 32 + size);
            if (!c) return NULL;
            uintptr_t lo = ((uintptr_t)(c + 1) + HDR + 15) / 16 * 16 - HDR;
            c->lo = (char *)lo;
            c->hi = c->lo + size;
        }
        c->next = A.chunks;
        A.chunks = c;
        A.bump = c->lo;
        A.end = c->hi;
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

static void install_once(void) { ts_set_allocator(ar_malloc, ar_calloc, ar_realloc, ar_free); }

void tsarena_install(void) { pthread_once(&arena_once, install_once); }

void tsarena_begin(void) {
    assert(!A.active && "tsarena windows do not nest");
    A.active = true;
    A.used = 0;
}

/* A detached window is its list of chunks (the type is only a name for it). */
struct tsarena_window {
    chunk c;
};

tsarena_window *tsarena_detach(void) {
    assert(A.active);
    A.active = false;
    memset(A.free_list, 0, sizeof A.free_list);
    chunk *c = A.chunks;
    A.chunks = NULL;
    A.bump = A.end = NULL;
    return (tsarena_window *)c;
}

void tsarena_release(tsarena_window *w) {
    chunk *c = (chunk *)w;
    if (c && !c->next) { /* the common case: one chunk, for the next window of any thread */
        pool_put(c);
        return;
    }
    /* grown in this window: next time one chunk of the whole size */
    size_t total = 0;
    for (chunk *next; c; c = next) {
        next = c->next;
        total += chunk_size(c);
        free(c);
    }
    if (total) {
        pthread_mutex_lock(&pool_lock);
        want = total <= TSARENA_KEEP ? total : FIRST_CHUNK;
        pthread_mutex_unlock(&pool_lock);
    }
}

void tsarena_end(void) { tsarena_release(tsarena_detach()); }

bool tsarena_active(void) { return A.active; }

unsigned long long tsarena_used(void) { return A.used; }
