#include "l1.h"

#include "../core/clock.h"

#include <fnmatch.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef struct entry {
    struct entry *next_hash;
    struct entry *prev, *next; /* LRU list: head is the most recent */
    uint64_t hash, expires_ns;
    size_t key_len, val_len;
    char *key;
    char *val;               /* bytes; NULL for an object entry */
    void *obj;               /* an object entry's value (l1_put_obj) */
    const l1_obj_ops *ops;
} entry;

struct l1 {
    pthread_mutex_t mu;
    entry **buckets;
    size_t n_buckets;
    entry *head, *tail;
    l1_stats st;
};

static uint64_t fnv(const char *s, size_t n) {
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h;
}

static size_t entry_bytes(const entry *e) { return e->key_len + e->val_len + sizeof *e; }

static void unlink_lru(l1 *c, entry *e) {
    if (e->prev) e->prev->next = e->next; else c->head = e->next;
    if (e->next) e->next->prev = e->prev; else c->tail = e->prev;
    e->prev = e->next = NULL;
}

static void push_front(l1 *c, entry *e) {
    e->prev = NULL;
    e->next = c->head;
    if (c->head) c->head->prev = e;
    c->head = e;
    if (!c->tail) c->tail = e;
}

static void remove_entry(l1 *c, entry *e) {
    entry **pp = &c->buckets[e->hash & (c->n_buckets - 1)];
    while (*pp != e) pp = &(*pp)->next_hash;
    *pp = e->next_hash;
    unlink_lru(c, e);
    c->st.entries--;
    c->st.bytes -= entry_bytes(e);
    free(e->key);
    free(e->val);
    if (e->obj) e->ops->release(e->obj);
    free(e);
}

static void evict_to_bounds(l1 *c, size_t extra_bytes) {
    while (c->tail && (c->st.entries >= c->st.max_entries || c->st.bytes + extra_bytes > c->st.max_bytes)) {
        remove_entry(c, c->tail);
        c->st.evictions++;
    }
}

l1 *l1_new(size_t max_entries, size_t max_bytes, uint64_t ttl_ms) {
    l1 *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    pthread_mutex_init(&c->mu, NULL);
    c->n_buckets = 1024;
    c->buckets = calloc(c->n_buckets, sizeof *c->buckets);
    c->st.max_entries = max_entries;
    c->st.max_bytes = max_bytes;
    c->st.ttl_ms = ttl_ms;
    return c;
}

void l1_free(l1 *c) {
    if (!c) return;
    l1_flush(c, NULL);
    free(c->buckets);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

/* Doubles the buckets while the chains average more than two entries. */
static void maybe_grow(l1 *c) {
    if (c->st.entries < c->n_buckets * 2 || c->n_buckets >= (1u << 22)) return;
    size_t nb = c->n_buckets * 2;
    entry **b = calloc(nb, sizeof *b);
    if (!b) return;
    for (size_t i = 0; i < c->n_buckets; i++) {
        for (entry *e = c->buckets[i], *next; e; e = next) {
            next = e->next_hash;
            e->next_hash = b[e->hash & (nb - 1)];
            b[e->hash & (nb - 1)] = e;
        }
    }
    free(c->buckets);
    c->buckets = b;
    c->n_buckets = nb;
}

void l1_configure(l1 *c, size_t max_entries, size_t max_bytes, uint64_t ttl_ms) {
    pthread_mutex_lock(&c->mu);
    c->st.max_entries = max_entries;
    c->st.max_bytes = max_bytes;
    c->st.ttl_ms = ttl_ms;
    while (c->tail && (c->st.entries > max_entries || c->st.bytes > max_bytes)) {
        remove_entry(c, c->tail);
        c->st.evictions++;
    }
    pthread_mutex_unlock(&c->mu);
}

static entry *find(l1 *c, const char *key, size_t n, uint64_t h) {
    for (entry *e = c->buckets[h & (c->n_buckets - 1)]; e; e = e->next_hash)
        if (e->hash == h && e->key_len == n && memcmp(e->key, key, n) == 0) return e;
    return NULL;
}

bool l1_get(l1 *c, const char *key, void **val, size_t *len) {
    size_t n = strlen(key);
    uint64_t h = fnv(key, n);
    pthread_mutex_lock(&c->mu);
    entry *e = find(c, key, n, h);
    if (e && clock_mono_ns() >= e->expires_ns) {
        remove_entry(c, e);
        c->st.expirations++;
        e = NULL;
    }
    if (!e || e->obj) {
        c->st.misses++;
        pthread_mutex_unlock(&c->mu);
        return false;
    }
    char *copy = malloc(e->val_len + 1);
    if (!copy) {
        pthread_mutex_unlock(&c->mu);
        return false;
    }
    memcpy(copy, e->val, e->val_len);
    copy[e->val_len] = '\0';
    *val = copy;
    *len = e->val_len;
    unlink_lru(c, e);
    push_front(c, e);
    c->st.hits++;
    pthread_mutex_unlock(&c->mu);
    return true;
}

static void insert(l1 *c, entry *e);

void l1_put(l1 *c, const char *key, const void *val, size_t len) {
    size_t n = strlen(key);
    uint64_t h = fnv(key, n);
    entry *e = calloc(1, sizeof *e);
    if (!e) return;
    e->key = malloc(n + 1);
    e->val = malloc(len ? len : 1);
    if (!e->key || !e->val) {
        free(e->key), free(e->val), free(e);
        return;
    }
    memcpy(e->key, key, n + 1);
    memcpy(e->val, val, len);
    e->key_len = n;
    e->val_len = len;
    e->hash = h;
    insert(c, e);
}

/* Adds a filled-in entry (key, hash, value), replacing any of its key and
 * evicting down to the bounds; frees it when it cannot be held. */
static void insert(l1 *c, entry *e) {
    const char *key = e->key;
    size_t n = e->key_len;
    uint64_t h = e->hash;
    pthread_mutex_lock(&c->mu);
    entry *old = find(c, key, n, h);
    if (old) remove_entry(c, old);
    if (c->st.max_entries == 0 || entry_bytes(e) > c->st.max_bytes) {
        if (e->obj) e->ops->release(e->obj);
        pthread_mutex_unlock(&c->mu);
        free(e->key), free(e->val), free(e);
        return;
    }
    evict_to_bounds(c, entry_bytes(e));
    e->expires_ns = clock_mono_ns() + c->st.ttl_ms * 1000000ull;
    e->next_hash = c->buckets[h & (c->n_buckets - 1)];
    c->buckets[h & (c->n_buckets - 1)] = e;
    push_front(c, e);
    c->st.entries++;
    c->st.bytes += entry_bytes(e);
    c->st.puts++;
    maybe_grow(c);
    pthread_mutex_unlock(&c->mu);
}

void l1_put_obj(l1 *c, const char *key, void *obj, size_t size, const l1_obj_ops *ops) {
    size_t n = strlen(key);
    entry *e = calloc(1, sizeof *e);
    if (!e) return;
    e->key = malloc(n + 1);
    if (!e->key) {
        free(e);
        return;
    }
    memcpy(e->key, key, n + 1);
    e->key_len = n;
    e->val_len = size;
    e->hash = fnv(key, n);
    ops->retain(obj);
    e->obj = obj;
    e->ops = ops;
    insert(c, e);
}

void *l1_get_obj(l1 *c, const char *key) {
    size_t n = strlen(key);
    uint64_t h = fnv(key, n);
    pthread_mutex_lock(&c->mu);
    entry *e = find(c, key, n, h);
    if (e && clock_mono_ns() >= e->expires_ns) {
        remove_entry(c, e);
        c->st.expirations++;
        e = NULL;
    }
    if (!e || !e->obj) {
        c->st.misses++;
        pthread_mutex_unlock(&c->mu);
        return NULL;
    }
    e->ops->retain(e->obj);
    void *obj = e->obj;
    unlink_lru(c, e);
    push_front(c, e);
    c->st.hits++;
    pthread_mutex_unlock(&c->mu);
    return obj;
}

size_t l1_flush(l1 *c, const char *pattern) {
    bool all = !pattern || !strcmp(pattern, "*");
    size_t removed = 0;
    pthread_mutex_lock(&c->mu);
    for (entry *e = c->head, *next; e; e = next) {
        next = e->next;
        if (all || fnmatch(pattern, e->key, 0) == 0) {
            remove_entry(c, e);
            removed++;
        }
    }
    pthread_mutex_unlock(&c->mu);
    return removed;
}

l1_stats l1_get_stats(l1 *c) {
    pthread_mutex_lock(&c->mu);
    l1_stats s = c->st;
    pthread_mutex_unlock(&c->mu);
    return s;
}

void l1_reset_stats(l1 *c) {
    pthread_mutex_lock(&c->mu);
    c->st.hits = c->st.misses = c->st.puts = c->st.evictions = c->st.expirations = 0;
    pthread_mutex_unlock(&c->mu);
}
