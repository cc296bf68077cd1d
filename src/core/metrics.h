/* metrics.h - in-process call metrics, per tool and action.
 *
 * Every tools/call is recorded here: count, errors and a latency histogram.
 * The histogram has logarithmic buckets (four per power of two, from 1 us to
 * about 10 minutes), so percentiles are within ~19% of the true value while
 * recording costs one mutex and one increment. Thread-safe. */
#ifndef LT_METRICS_H
#define LT_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define METRICS_NAME_MAX 64

typedef struct {
    char tool[METRICS_NAME_MAX];
    char action[METRICS_NAME_MAX];
    uint64_t calls;
    uint64_t errors;
    uint64_t total_ns;
    uint64_t max_ns;
    double p50_ms, p95_ms, p99_ms; /* filled by metrics_snapshot */
} metrics_entry;

/* Records one call. Names longer than METRICS_NAME_MAX-1 are truncated. */
void metrics_record(const char *tool, const char *action, uint64_t elapsed_ns, bool failed);

/* Copies up to max entries into out (sorted by tool, then action) and
 * returns how many exist in total. */
size_t metrics_snapshot(metrics_entry *out, size_t max);

/* Percentile (0 < q < 1) of one entry's latency in milliseconds; 0 when the
 * entry does not exist. */
double metrics_percentile_ms(const char *tool, const char *action, double q);

/* Forgets everything (tests and cache_action reset). */
void metrics_reset(void);

#endif
