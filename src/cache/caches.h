/* caches.h - the process's cache tiers and when their contents go stale.
 *
 * Two L1 caches (l1.h) shared by every thread: query embeddings (keyed by
 * model and text; never stale) and query results (memory retrieve, keyed by
 * project and arguments plus the current generation). The generation
 * changes when memories change: this process's writes bump it directly
 * (caches_bump), and writes by other connections or processes are noticed
 * through SQLite's data_version on the connection at hand
 * (caches_observe). Entries of an older generation are never served.
 * Query embeddings also go to the L2 tier (Redis) when one is set: they
 * depend only on the model and the text, so processes can share them.
 * Query results stay in L1: their generation is this process's. */
#ifndef LT_CACHES_H
#define LT_CACHES_H

#include "../store/store.h"
#include "l1.h"
#include "redis.h"

#include <stddef.h>
#include <stdint.h>

/* Sets both L1 tiers' bounds (each gets max_entries and max_bytes). */
void caches_configure(size_t max_entries, size_t max_bytes, uint64_t ttl_ms);

l1 *caches_embeddings(void);
l1 *caches_queries(void);

uint64_t caches_generation(void);
void caches_bump(void);

/* Bumps the generation when st's database was changed by another connection
 * since this thread last looked through st. Returns the generation. */
uint64_t caches_observe(store *st);

/* The L2 tier (redis.h): set once at start (the caches take ownership);
 * NULL when Redis is not configured. */
void caches_set_l2(l2 *tier);
l2 *caches_l2(void);

/* Empties both tiers and zeroes their counters (cache_action reset). */
void caches_reset(void);

#endif
