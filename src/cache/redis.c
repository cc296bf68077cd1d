#include "redis.h"

#include "../core/clock.h"

#include <hiredis.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct l2 {
    pthread_mutex_t mu;
    char *host, *password;
    int port, db, timeout_ms, ttl_seconds;
    redisContext *ctx;
    uint64_t last_attempt_ns;
    l2_stats st;
    char last_error[256];
};

#define PREFIX "ltmc:"

int l2_parse_url(const char *url, char *buf, size_t buf_len, l2_config *cfg, lt_err *err) {
    if (strncmp(url, "redis://", 8) != 0)
        return lt_err_set(err, LT_ERR_INVALID, "redis_url must start with redis:// (got '%.80s')", url);
    if (strlen(url + 8) >= buf_len) return lt_err_set(err, LT_ERR_INVALID, "redis_url is too long");
    strcpy(buf, url + 8);
    char *p = buf;
    char *at = strrchr(p, '@');
    if (at) {
        *at = '\0';
        char *colon = strchr(p, ':');
        cfg->password = colon ? colon + 1 : p;
        if (cfg->password && !*cfg->password) cfg->password = NULL;
        p = at + 1;
    }
    char *slash = strchr(p, '/');
    if (slash) {
        *slash = '\0';
        if (slash[1]) {
            char *end;
            long db = strtol(slash + 1, &end, 10);
            if (*end || db < 0 || db > 10000) return lt_err_set(err, LT_ERR_INVALID, "redis_url: bad database number");
            cfg->db = (int)db;
        }
    }
    char *colon = strrchr(p, ':');
    if (colon) {
        *colon = '\0';
        char *end;
        long port = strtol(colon + 1, &end, 10);
        if (*end || port < 1 || port > 65535) return lt_err_set(err, LT_ERR_INVALID, "redis_url: bad port");
        cfg->port = (int)port;
    }
    if (!*p) return lt_err_set(err, LT_ERR_INVALID, "redis_url: no host");
    cfg->host = p;
    return 0;
}

l2 *l2_new(const l2_config *cfg) {
    l2 *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    pthread_mutex_init(&c->mu, NULL);
    c->host = cfg->host ? strdup(cfg->host) : NULL;
    c->password = cfg->password ? strdup(cfg->password) : NULL;
    c->port = cfg->port ? cfg->port : 6379;
    c->db = cfg->db;
    c->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : 200;
    c->ttl_seconds = cfg->ttl_seconds > 0 ? cfg->ttl_seconds : 3600;
    return c;
}

/* why may point into the context's own error buffer: copied before the free. */
static void drop(l2 *c, const char *why) {
    snprintf(c->last_error, sizeof c->last_error, "%s", why ? why : "connection lost");
    if (c->ctx) redisFree(c->ctx);
    c->ctx = NULL;
    c->st.connected = false;
    c->st.errors++;
}

void l2_free(l2 *c) {
    if (!c) return;
    if (c->ctx) redisFree(c->ctx);
    free(c->host);
    free(c->password);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

bool l2_configured(const l2 *c) { return c && c->host; }

/* With the mutex held: a live connection, or NULL (at most one attempt a second). */
static redisContext *conn(l2 *c, bool force) {
    if (!c->host) return NULL;
    if (c->ctx) return c->ctx;
    uint64_t now = clock_mono_ns();
    if (!force && c->last_attempt_ns && now - c->last_attempt_ns < 1000000000ull) return NULL;
    c->last_attempt_ns = now;
    struct timeval tv = {c->timeout_ms / 1000, (c->timeout_ms % 1000) * 1000};
    redisContext *x = redisConnectWithTimeout(c->host, c->port, tv);
    if (!x || x->err) {
        snprintf(c->last_error, sizeof c->last_error, "cannot connect to %s:%d: %s", c->host, c->port,
                 x ? x->errstr : "out of memory");
        if (x) redisFree(x);
        c->st.errors++;
        return NULL;
    }
    redisSetTimeout(x, tv);
    c->ctx = x;
    if (c->password) {
        redisReply *r = redisCommand(x, "AUTH %s", c->password);
        bool ok = r && r->type != REDIS_REPLY_ERROR;
        if (r) freeReplyObject(r);
        if (!ok) { drop(c, "AUTH failed"); return NULL; }
    }
    if (c->db) {
        redisReply *r = redisCommand(x, "SELECT %d", c->db);
        bool ok = r && r->type != REDIS_REPLY_ERROR;
        if (r) freeReplyObject(r);
        if (!ok) { drop(c, "SELECT failed"); return NULL; }
    }
    c->st.connects++;
    c->st.connected = true;
    return x;
}

/* Runs a command with the mutex held; drops the connection on an I/O error. */
static redisReply *command(l2 *c, bool force, const char *fmt, ...) {
    redisContext *x = conn(c, force);
    if (!x) return NULL;
    va_list ap;
    va_start(ap, fmt);
    redisReply *r = redisvCommand(x, fmt, ap);
    va_end(ap);
    if (!r) drop(c, x->errstr[0] ? x->errstr : "no reply");
    return r;
}

bool l2_get(l2 *c, const char *key, void **val, size_t *len) {
    if (!l2_configured(c)) return false;
    pthread_mutex_lock(&c->mu);
    redisReply *r = command(c, false, "GET " PREFIX "%s", key);
    bool hit = r && r->type == REDIS_REPLY_STRING;
    if (hit) {
        char *copy = malloc(r->len + 1);
        if (copy) {
            memcpy(copy, r->str, r->len);
            copy[r->len] = '\0';
            *val = copy;
            *len = r->len;
        } else {
            hit = false;
        }
    }
    if (hit) c->st.hits++; else c->st.misses++;
    if (r) freeReplyObject(r);
    pthread_mutex_unlock(&c->mu);
    return hit;
}

void l2_put(l2 *c, const char *key, const void *val, size_t len) {
    if (!l2_configured(c)) return;
    pthread_mutex_lock(&c->mu);
    redisReply *r = command(c, false, "SET " PREFIX "%s %b EX %d", key, val, len, c->ttl_seconds);
    if (r && r->type != REDIS_REPLY_ERROR) c->st.puts++;
    if (r) freeReplyObject(r);
    pthread_mutex_unlock(&c->mu);
}

/* SCAN over ltmc:<pattern>; deletes what it finds when del. */
static long scan(l2 *c, const char *pattern, bool del, lt_err *err) {
    pthread_mutex_lock(&c->mu);
    long n = 0;
    char cursor[32] = "0";
    do {
        redisReply *r = command(c, false, "SCAN %s MATCH " PREFIX "%s COUNT 1000", cursor, pattern);
        if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
            if (r) freeReplyObject(r);
            lt_err_set(err, LT_ERR_IO, "Redis is unreachable: %s", c->last_error);
            pthread_mutex_unlock(&c->mu);
            return -1;
        }
        snprintf(cursor, sizeof cursor, "%s", r->element[0]->str);
        redisReply *keys = r->element[1];
        for (size_t i = 0; i < keys->elements; i++) {
            /* MATCH already kept us to the prefix; check again anyway. */
            if (strncmp(keys->element[i]->str, PREFIX, strlen(PREFIX)) != 0) continue;
            if (del) {
                redisReply *d = command(c, false, "UNLINK %b", keys->element[i]->str, keys->element[i]->len);
                if (d && d->type == REDIS_REPLY_INTEGER) n += (long)d->integer;
                if (d) freeReplyObject(d);
            } else {
                n++;
            }
        }
        freeReplyObject(r);
    } while (strcmp(cursor, "0") != 0);
    pthread_mutex_unlock(&c->mu);
    return n;
}

long l2_flush(l2 *c, const char *pattern, lt_err *err) {
    if (!l2_configured(c)) return 0;
    return scan(c, pattern, true, err);
}

long l2_count(l2 *c, const char *pattern) {
    if (!l2_configured(c)) return 0;
    return scan(c, pattern, false, NULL);
}

static void info_field(json_t *info, const char *text, const char *name, bool as_int) {
    char needle[64];
    snprintf(needle, sizeof needle, "\n%s:", name);
    const char *p = strstr(text, needle);
    if (!p) return;
    p += strlen(needle);
    size_t n = strcspn(p, "\r\n");
    char v[128];
    snprintf(v, sizeof v, "%.*s", (int)n, p);
    json_object_set_new(info, name, as_int ? json_integer(atoll(v)) : json_string(v));
}

int l2_ping(l2 *c, double *latency_ms, json_t *info, lt_err *err) {
    if (!l2_configured(c)) return lt_err_set(err, LT_ERR_INVALID, "Redis is not configured");
    pthread_mutex_lock(&c->mu);
    uint64_t t0 = clock_mono_ns();
    redisReply *r = command(c, false, "PING");
    *latency_ms = (double)(clock_mono_ns() - t0) / 1e6;
    bool ok = r && r->type == REDIS_REPLY_STATUS && !strcmp(r->str, "PONG");
    if (r) freeReplyObject(r);
    if (ok && info) {
        redisReply *i = command(c, false, "INFO");
        if (i && i->type == REDIS_REPLY_STRING) {
            char *text = malloc(i->len + 2);
            text[0] = '\n';
            memcpy(text + 1, i->str, i->len);
            text[i->len + 1] = '\0';
            info_field(info, text, "redis_version", false);
            info_field(info, text, "used_memory", true);
            info_field(info, text, "used_memory_human", false);
            info_field(info, text, "connected_clients", true);
            free(text);
        }
        if (i) freeReplyObject(i);
    }
    if (!ok) lt_err_set(err, LT_ERR_IO, "Redis is unreachable: %s", c->last_error[0] ? c->last_error : "no PONG");
    pthread_mutex_unlock(&c->mu);
    return ok ? 0 : -1;
}

l2_stats l2_get_stats(l2 *c) {
    l2_stats s = {0};
    if (!c) return s;
    pthread_mutex_lock(&c->mu);
    s = c->st;
    pthread_mutex_unlock(&c->mu);
    return s;
}

void l2_reset(l2 *c) {
    if (!c) return;
    pthread_mutex_lock(&c->mu);
    if (c->ctx) redisFree(c->ctx);
    c->ctx = NULL;
    memset(&c->st, 0, sizeof c->st);
    c->last_attempt_ns = 0;
    pthread_mutex_unlock(&c->mu);
}
