#include "metrics.h"

#include <assert.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* Bucket i covers latencies up to 1us * 2^(i/4). 120 buckets reach ~1e9 us. */
#define SUB_BUCKETS 4
#define N_BUCKETS 120
#define MAX_ENTRIES 256

typedef struct {
    metrics_entry e;
    uint64_t buckets[N_BUCKETS];
} slot;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static slot slots[MAX_ENTRIES];
static size_t n_slots;

static int bucket_for(uint64_t ns) {
    double us = (double)ns / 1000.0;
    if (us <= 1.0) return 0;
    int b = (int)ceil(log2(us) * SUB_BUCKETS);
    return b >= N_BUCKETS ? N_BUCKETS - 1 : b;
}

static double bucket_upper_ms(int b) { return pow(2.0, (double)b / SUB_BUCKETS) / 1000.0; }

static slot *find_slot(const char *tool, const char *action, bool create) {
    for (size_t i = 0; i < n_slots; i++)
        if (strncmp(slots[i].e.tool, tool, METRICS_NAME_MAX - 1) == 0 &&
            strncmp(slots[i].e.action, action, METRICS_NAME_MAX - 1) == 0)
            return &slots[i];
    if (!create || n_slots == MAX_ENTRIES) return NULL;
    slot *s = &slots[n_slots++];
    memset(s, 0, sizeof *s);
    strncpy(s->e.tool, tool, METRICS_NAME_MAX - 1);
    strncpy(s->e.action, action, METRICS_NAME_MAX - 1);
    return s;
}

void metrics_record(const char *tool, const char *action, uint64_t elapsed_ns, bool failed) {
    assert(tool && action);
    pthread_mutex_lock(&lock);
    slot *s = find_slot(tool, action, true);
    if (s) {
        s->e.calls++;
        if (failed) s->e.errors++;
        s->e.total_ns += elapsed_ns;
        if (elapsed_ns > s->e.max_ns) s->e.max_ns = elapsed_ns;
        s->buckets[bucket_for(elapsed_ns)]++;
    }
    pthread_mutex_unlock(&lock);
}

static double slot_percentile(const slot *s, double q) {
    if (s->e.calls == 0) return 0.0;
    uint64_t rank = (uint64_t)ceil(q * (double)s->e.calls);
    if (rank == 0) rank = 1;
    uint64_t seen = 0;
    for (int b = 0; b < N_BUCKETS; b++) {
        seen += s->buckets[b];
        if (seen >= rank) {
            double upper = bucket_upper_ms(b), max_ms = (double)s->e.max_ns / 1e6;
            return upper < max_ms ? upper : max_ms; /* never report above the real max */
        }
    }
    return (double)s->e.max_ns / 1e6;
}

static int entry_cmp(const void *a, const void *b) {
    const metrics_entry *x = a, *y = b;
    int c = strcmp(x->tool, y->tool);
    return c ? c : strcmp(x->action, y->action);
}

size_t metrics_snapshot(metrics_entry *out, size_t max) {
    pthread_mutex_lock(&lock);
    size_t n = n_slots;
    for (size_t i = 0; i < n && i < max; i++) {
        out[i] = slots[i].e;
        out[i].p50_ms = slot_percentile(&slots[i], 0.50);
        out[i].p95_ms = slot_percentile(&slots[i], 0.95);
        out[i].p99_ms = slot_percentile(&slots[i], 0.99);
    }
    pthread_mutex_unlock(&lock);
    if (n && max) qsort(out, n < max ? n : max, sizeof *out, entry_cmp); /* out may be NULL when max is 0 */
    return n;
}

double metrics_percentile_ms(const char *tool, const char *action, double q) {
    pthread_mutex_lock(&lock);
    slot *s = find_slot(tool, action, false);
    double v = s ? slot_percentile(s, q) : 0.0;
    pthread_mutex_unlock(&lock);
    return v;
}

void metrics_reset(void) {
    pthread_mutex_lock(&lock);
    n_slots = 0;
    pthread_mutex_unlock(&lock);
}
