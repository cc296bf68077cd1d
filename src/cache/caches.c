#include "caches.h"

#include <pthread.h>
#include <stdatomic.h>

static pthread_once_t once = PTHREAD_ONCE_INIT;
static l1 *emb_cache, *query_cache;
static atomic_uint_fast64_t generation = 1;
static l2 *l2_tier;

void caches_set_l2(l2 *tier) {
    l2 *old = l2_tier;
    l2_tier = tier;
    l2_free(old);
}

l2 *caches_l2(void) { return l2_tier; }

static void init(void) {
    emb_cache = l1_new(1000, 64u << 20, 300000);
    query_cache = l1_new(1000, 64u << 20, 300000);
}

void caches_configure(size_t max_entries, size_t max_bytes, uint64_t ttl_ms) {
    pthread_once(&once, init);
    l1_configure(emb_cache, max_entries, max_bytes, ttl_ms);
    l1_configure(query_cache, max_entries, max_bytes, ttl_ms);
}

l1 *caches_embeddings(void) {
    pthread_once(&once, init);
    return emb_cache;
}

l1 *caches_queries(void) {
    pthread_once(&once, init);
    return query_cache;
}

uint64_t caches_generation(void) { return atomic_load(&generation); }

void caches_bump(void) { atomic_fetch_add(&generation, 1); }

uint64_t caches_observe(store *st) {
    /* What was cached may be stale once another connection wrote. */
    if (store_data_changed(st)) caches_bump();
    return caches_generation();
}

void caches_reset(void) {
    pthread_once(&once, init);
    l1_flush(emb_cache, NULL);
    l1_flush(query_cache, NULL);
    l1_reset_stats(emb_cache);
    l1_reset_stats(query_cache);
    l2_reset(l2_tier);
    caches_bump();
}
