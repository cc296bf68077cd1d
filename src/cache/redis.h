/* redis.h - the L2 cache tier: Redis through hiredis, shared by every ltmc
 * process that points at the same server.
 *
 * Every key gets the prefix "ltmc:" here, so nothing outside ltmc's own keys
 * is read, written or deleted. One connection per process is reused under a
 * mutex; after an error the next call reconnects, but not more often than
 * once a second, so a Redis that is down costs other tools almost nothing.
 * Each command has the configured timeout. A tier that is not configured or
 * unreachable simply misses: nothing here fails another tool. */
#ifndef LT_REDIS_H
#define LT_REDIS_H

#include "../core/err.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct l2 l2;

typedef struct {
    const char *host;     /* NULL: not configured */
    int port;
    const char *password; /* NULL: none */
    int db;
    int timeout_ms;       /* connect and per-command */
    int ttl_seconds;      /* expiry of stored values */
} l2_config;

/* Parses redis://[:password@]host[:port][/db] into cfg (strings point into
 * buf, which must outlive cfg). Returns -1 with err on a malformed URL. */
int l2_parse_url(const char *url, char *buf, size_t buf_len, l2_config *cfg, lt_err *err);

/* Copies cfg; does not connect yet. */
l2 *l2_new(const l2_config *cfg);
void l2_free(l2 *c);

bool l2_configured(const l2 *c);

/* key is without the prefix ("embedding:..."). Misses when not connected. */
bool l2_get(l2 *c, const char *key, void **val, size_t *len);
void l2_put(l2 *c, const char *key, const void *val, size_t len);

/* Deletes ltmc:<pattern> keys (Redis glob) with SCAN + UNLINK; returns how
 * many, or -1 with err when Redis is unreachable. */
long l2_flush(l2 *c, const char *pattern, lt_err *err);

/* Counts ltmc:<pattern> keys with SCAN; -1 when unreachable. */
long l2_count(l2 *c, const char *pattern);

/* PING with its latency; fills info with redis_version, used_memory,
 * used_memory_human, connected_clients when reachable. -1 with err else. */
int l2_ping(l2 *c, double *latency_ms, json_t *info, lt_err *err);

typedef struct {
    uint64_t hits, misses, puts, errors, connects;
    bool connected;
} l2_stats;

l2_stats l2_get_stats(l2 *c);

/* Drops the connection and zeroes the counters (the next call reconnects). */
void l2_reset(l2 *c);

#endif
