/* watch.h - the file monitor behind sync_action monitor/stop/status.
 *
 * One monitor per server process: a thread blocked in poll(2) on an
 * inotify descriptor (and an eventfd that stops it). It watches the given
 * directories recursively (a file: its directory, filtered to that file),
 * only inside the project roots, skipping hidden and build directories
 * (source.h), and at most max_watches directories. Every change to a source
 * file (or a .md/.rst/.txt document) is recorded at once in watch_events
 * (migration 5); the thread then re-parses the file and compares it with
 * its docs and its code_snapshots entry (drift.h), and stores that result
 * in the event's row. The thread has its own store connection. Starting a
 * monitor replaces the running one. */
#ifndef LT_WATCH_H
#define LT_WATCH_H

#include "../core/err.h"
#include "../store/store.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct {
    const store_options *db;   /* the thread opens its own connection */
    const char *roots;         /* project roots (NULL: the working directory) */
    const char *project;
    const char *const *paths;  /* canonical paths inside the roots */
    size_t npaths;
    size_t max_watches;        /* directories watched at most */
} watch_config;

/* Starts (or restarts) the monitor; fills out with monitoring_paths,
 * watch_count, truncated, monitored_extensions, started_at. */
int watch_start(const watch_config *cfg, json_t *out, lt_err *err);

/* Stops the monitor and joins its thread; *was_active tells whether one
 * ran. Fills out with the final counts. */
void watch_stop(bool *was_active, json_t *out);

/* The monitor's live state: is_active, status, project, monitored_paths,
 * watch_count, truncated, started_at, last_activity, events_seen,
 * events_recorded, checks_done, error_count, last_error,
 * last_record_latency_ms (from inotify's report to the row committed). */
json_t *watch_status(void);

/* For health checks. */
typedef struct {
    bool active;
    bool failed;          /* the thread stopped on an error */
    size_t watch_count;
    double last_record_ms;
    long long events;
} watch_health_info;
void watch_health(watch_health_info *out);

/* Ends the monitor if it runs (at server exit). */
void watch_shutdown(void);

#endif
