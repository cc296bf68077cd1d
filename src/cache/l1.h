/* l1.h - an in-process cache: TTL + LRU, bounded in entries and bytes.
 *
 * Keys are strings, values are byte strings (copied in and out). An entry
 * lives until its TTL passes, it is the least recently used one when a bound
 * is reached, or it is flushed. Thread-safe (one mutex). */
#ifndef LT_L1_H
#define LT_L1_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct l1 l1;

typedef struct {
    uint64_t hits, misses, puts, evictions, expirations;
    size_t entries, bytes;     /* now held (bytes count keys and values) */
    size_t max_entries, max_bytes;
    uint64_t ttl_ms;
} l1_stats;

/* max_entries 0 makes a cache that holds nothing (every get misses). */
l1 *l1_new(size_t max_entries, size_t max_bytes, uint64_t ttl_ms);
void l1_free(l1 *c);

/* Changes the bounds (evicting down to them) and the TTL of new entries. */
void l1_configure(l1 *c, size_t max_entries, size_t max_bytes, uint64_t ttl_ms);

/* On a hit copies the value into a malloc'd *val (NUL-terminated for
 * convenience; *len excludes it) and returns true. */
bool l1_get(l1 *c, const char *key, void **val, size_t *len);

/* Stores a copy (replacing any entry of that key). A value larger than the
 * byte bound is not stored. */
void l1_put(l1 *c, const char *key, const void *val, size_t len);

/* Object values: for results that are costly to re-parse on every hit, an
 * entry may hold a reference-counted object instead of bytes. ops say how to
 * take and drop a reference (they run under the cache's lock, so they must
 * be thread-safe and must not call back into the cache). The object must
 * never be modified once stored: every hit shares it. size is what it counts
 * against the byte bound. */
typedef struct {
    void (*retain)(void *obj);
    void (*release)(void *obj);
} l1_obj_ops;

/* Stores obj (taking a reference with ops->retain) under key, replacing any
 * entry of that key; not stored when size exceeds the byte bound. */
void l1_put_obj(l1 *c, const char *key, void *obj, size_t size, const l1_obj_ops *ops);

/* On a hit of an object entry returns it with a reference taken (the caller
 * drops it); NULL on a miss. A byte entry under key counts as a miss here,
 * and an object entry as a miss for l1_get. */
void *l1_get_obj(l1 *c, const char *key);

/* Removes the entries whose key matches the fnmatch(3) pattern (NULL or "*"
 * for all) and returns how many. */
size_t l1_flush(l1 *c, const char *pattern);

/* Counters and sizes; l1_reset_stats zeroes the counters. */
l1_stats l1_get_stats(l1 *c);
void l1_reset_stats(l1 *c);

#endif
