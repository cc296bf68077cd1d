/* cache_action: the cache tiers and live health (original LTMC §6.7 and the
 * performance guide's caching and monitoring sections). health_check probes
 * every component with its latency; stats reports the tiers, per tool and
 * action call counts, error rates and latency percentiles from the metrics
 * registry, and SLA status against the guide's targets; flush empties tiers
 * by type and key pattern (ltmc's own keys only); reset drops and rebuilds
 * the cache state. */
#include "tool.h"

#include "../cache/caches.h"
#include "../code/watch.h"
#include "../core/clock.h"
#include "../core/jsonx.h"
#include "../core/metrics.h"
#include "../core/sla.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static double ms_since(uint64_t t0) { return (double)(clock_mono_ns() - t0) / 1e6; }

static double round3(double x) { return (double)(long long)(x * 1000 + 0.5) / 1000; }

static json_t *tier_json(l1 *c) {
    l1_stats s = l1_get_stats(c);
    uint64_t lookups = s.hits + s.misses;
    return json_pack("{s:I, s:I, s:f, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "hits", (json_int_t)s.hits, "misses",
                     (json_int_t)s.misses, "hit_rate", lookups ? round3((double)s.hits / (double)lookups) : 0.0,
                     "entries", (json_int_t)s.entries, "bytes", (json_int_t)s.bytes, "max_entries",
                     (json_int_t)s.max_entries, "max_bytes", (json_int_t)s.max_bytes, "evictions",
                     (json_int_t)s.evictions, "expirations", (json_int_t)s.expirations, "ttl_seconds",
                     (json_int_t)(s.ttl_ms / 1000));
}

static json_t *l2_json(const char *type) {
    l2 *r2 = caches_l2();
    if (!l2_configured(r2)) return json_pack("{s:b, s:b}", "configured", false, "connected", false);
    json_t *o = json_pack("{s:b}", "configured", true);
    double ms;
    bool ok = l2_ping(r2, &ms, o, NULL) == 0;
    l2_stats s = l2_get_stats(r2);
    jx_set_bool(o, "connected", ok);
    jx_set_int(o, "hits", (int64_t)s.hits);
    jx_set_int(o, "misses", (int64_t)s.misses);
    jx_set_int(o, "errors", (int64_t)s.errors);
    jx_set_int(o, "connects", (int64_t)s.connects);
    if (ok && strcmp(type, "queries")) jx_set_int(o, "embedding_cache_count", l2_count(r2, "embedding:*"));
    if (ok && !strcmp(type, "all")) jx_set_int(o, "total_keys", l2_count(r2, "*"));
    /* Query results are not shared through Redis (their generation is per process). */
    if (ok && strcmp(type, "embeddings")) jx_set_int(o, "query_cache_count", 0);
    return o;
}

/* ---- health_check ---- */

static void component(json_t *comps, const char *name, const char *status, double ms, json_t *details,
                      int *worst) {
    json_t *c = details ? details : json_object();
    jx_set_str(c, "status", status);
    jx_set_real(c, "latency_ms", round3(ms));
    json_object_set_new(comps, name, c);
    int level = !strcmp(status, "healthy") || !strcmp(status, "not_configured") ? 0
                : !strcmp(status, "degraded")                                 ? 1
                                                                              : 2;
    if (level > *worst) *worst = level;
}

static int cache_health(tool_ctx *ctx, const json_t *args, json_t *out, lt_err *err) {
    (void)err;
    uint64_t t_all = clock_mono_ns();
    json_t *comps = json_object();
    int worst = 0;

    /* SQLite: a read, the schema version, the size; quick_check on request. */
    uint64_t t0 = clock_mono_ns();
    json_t *info = store_info(ctx->st);
    const char *status = "healthy";
    store_stmt *s = store_prepare(ctx->st, "SELECT count(*) FROM sqlite_schema", NULL);
    if (!s || store_step(s, NULL) != 1) status = "unhealthy";
    if (s) store_reset(s);
    if (jx_bool(args, "deep", false)) {
        s = store_prepare(ctx->st, "PRAGMA quick_check", NULL);
        const char *res = NULL;
        char buf[256] = "";
        if (s && store_step(s, NULL) == 1) {
            const char *v = (const char *)store_col_text(s, 0);
            snprintf(buf, sizeof buf, "%s", v ? v : "");
            res = buf;
        }
        if (s) store_reset(s);
        jx_set_str(info, "integrity", res ? res : "unknown");
        if (!res || strcmp(res, "ok")) status = "unhealthy";
    } else {
        jx_set_str(info, "integrity", "not checked (deep: true runs PRAGMA quick_check)");
    }
    component(comps, "sqlite", status, ms_since(t0), info, &worst);

    /* Vector index and embedder: embed a probe text, and sync the index. */
    t0 = clock_mono_ns();
    embedder *e = memory_engine_embedder(ctx->mem);
    json_t *ed = embedder_info(e);
    int dim = embedder_dim(e);
    float *v = malloc(sizeof(float) * (size_t)(dim > 0 ? dim : 1));
    lt_err eerr;
    lt_err_clear(&eerr);
    bool eok = v && embedder_embed(e, "ltmc health check", 17, v, &eerr) == 0;
    free(v);
    if (!eok) jx_set_str(ed, "error", eerr.msg[0] ? eerr.msg : "out of memory");
    component(comps, "embedder", eok ? "healthy" : "unhealthy", ms_since(t0), ed, &worst);

    t0 = clock_mono_ns();
    vindex *vi = memory_engine_index(ctx->mem);
    lt_err verr;
    lt_err_clear(&verr);
    bool vok = vindex_sync(vi, ctx->st, &verr) == 0;
    json_t *vd = json_pack("{s:I, s:I}", "rows", (json_int_t)vindex_count(vi), "bytes", (json_int_t)vindex_bytes(vi));
    uint64_t near_rows, near_scored;
    jx_set_bool(vd, "near_duplicate_prefilter", vindex_near_counts(vi, &near_rows, &near_scored));
    jx_set_int(vd, "near_duplicate_rows_checked", (int64_t)near_rows);
    jx_set_int(vd, "near_duplicate_rows_scored", (int64_t)near_scored);
    if (!vok) jx_set_str(vd, "error", verr.msg);
    component(comps, "vector_index", vok ? "healthy" : "unhealthy", ms_since(t0), vd, &worst);

    t0 = clock_mono_ns();
    component(comps, "l1_cache", "healthy", ms_since(t0), tier_json(caches_queries()), &worst);
    const char *redis_state = "not_configured";
    l2 *r2 = caches_l2();
    if (!l2_configured(r2)) {
        component(comps, "redis", "not_configured", 0,
                  json_pack("{s:b, s:s}", "configured", false, "message", "Redis (L2) is not configured"), &worst);
    } else {
        json_t *rd = json_pack("{s:b}", "configured", true);
        double ping_ms = 0;
        lt_err rerr;
        lt_err_clear(&rerr);
        bool rok = l2_ping(r2, &ping_ms, rd, &rerr) == 0;
        jx_set_bool(rd, "connected", rok);
        if (!rok) jx_set_str(rd, "error", rerr.msg);
        jx_set_str(rd, "message", rok ? "Redis connection healthy" : "Redis unreachable: the L2 tier is skipped");
        /* Redis is optional: without it everything works, only slower. */
        component(comps, "redis", rok ? "healthy" : "degraded", ping_ms, rd, &worst);
        redis_state = rok ? "connected" : "unreachable";
    }
    t0 = clock_mono_ns();
    watch_health_info wh;
    watch_health(&wh);
    json_t *wd = json_pack("{s:b, s:I, s:I, s:f}", "active", wh.active, "watched_directories",
                           (json_int_t)wh.watch_count, "events_recorded", (json_int_t)wh.events,
                           "last_record_latency_ms", round3(wh.last_record_ms));
    jx_set_str(wd, "message", !wh.active ? "No monitor running (sync_action monitor starts one)"
                              : wh.failed ? "The monitor stopped on an error (sync_action status shows it)"
                                          : "Monitoring");
    component(comps, "file_watcher", !wh.active ? "not_configured" : wh.failed ? "degraded" : "healthy",
              ms_since(t0), wd, &worst);

    const char *overall = worst == 0 ? "healthy" : worst == 1 ? "degraded" : "unhealthy";
    jx_set_str(out, "status", overall);
    jx_set_str(out, "overall_status", overall);
    json_object_set_new(out, "components", comps);
    json_object_set_new(out, "database_connections",
                        json_pack("{s:s, s:s, s:s}", "sqlite", worst < 2 ? "connected" : "error", "redis",
                                  redis_state, "vector_index", vok ? "loaded" : "error"));
    jx_set_real(out, "response_time", round3(ms_since(t_all)));
    jx_set_str(out, "response_time_unit", "ms");
    /* A health check reports; it fails only when it could not run. */
    return 0;
}

/* ---- stats ---- */

static const char *const cache_types[] = {"all", "embeddings", "queries", NULL};

static int cache_stats(tool_ctx *ctx, const json_t *args, json_t *out, lt_err *err) {
    (void)ctx, (void)err;
    uint64_t t0 = clock_mono_ns();
    const char *type = jx_str(args, "cache_type");
    json_t *tiers = json_object();
    if (!strcmp(type, "all") || !strcmp(type, "embeddings"))
        json_object_set_new(tiers, "embeddings", tier_json(caches_embeddings()));
    if (!strcmp(type, "all") || !strcmp(type, "queries"))
        json_object_set_new(tiers, "queries", tier_json(caches_queries()));
    json_t *stats = json_object();
    json_object_set_new(stats, "l1", tiers);
    json_object_set_new(stats, "l2", l2_json(type));
    jx_set_int(stats, "generation", (int64_t)caches_generation());
    json_object_set_new(out, "stats", stats);
    jx_set_str(out, "cache_type", type);

    metrics_entry ents[256];
    size_t n = metrics_snapshot(ents, 256);
    if (n > 256) n = 256;
    json_t *tools = json_object(), *sla = json_object();
    for (size_t i = 0; i < n; i++) {
        json_t *t = json_object_get(tools, ents[i].tool);
        if (!t) {
            t = json_object();
            json_object_set_new(tools, ents[i].tool, t);
        }
        json_object_set_new(
            t, ents[i].action,
            json_pack("{s:I, s:I, s:f, s:f, s:f, s:f, s:f}", "calls", (json_int_t)ents[i].calls, "errors",
                      (json_int_t)ents[i].errors, "error_rate",
                      ents[i].calls ? round3((double)ents[i].errors / (double)ents[i].calls) : 0.0, "p50_ms",
                      round3(ents[i].p50_ms), "p95_ms", round3(ents[i].p95_ms), "p99_ms", round3(ents[i].p99_ms),
                      "avg_ms", ents[i].calls ? round3((double)ents[i].total_ns / 1e6 / (double)ents[i].calls) : 0.0));
        json_t *st = json_object_get(sla, ents[i].tool);
        double target = sla_target_ms(ents[i].tool);
        if (!st) {
            st = json_pack("{s:f, s:I, s:f, s:s}", "target_ms", target, "violations",
                           (json_int_t)sla_violations(ents[i].tool), "worst_p95_ms", 0.0, "status", "ok");
            json_object_set_new(sla, ents[i].tool, st);
        }
        if (ents[i].p95_ms > jx_real(st, "worst_p95_ms")) jx_set_real(st, "worst_p95_ms", round3(ents[i].p95_ms));
        if (ents[i].p95_ms > target) jx_set_str(st, "status", "violated");
    }
    json_object_set_new(out, "tools", tools);
    json_object_set_new(out, "performance_sla", sla);
    jx_set_real(out, "response_time", round3(ms_since(t0)));
    return 0;
}

/* ---- flush and reset ---- */

static const char *const flush_types[] = {"all", "embeddings", "queries", NULL};

static int cache_flush(tool_ctx *ctx, const json_t *args, json_t *out, lt_err *err) {
    (void)ctx, (void)err;
    const char *type = jx_str(args, "cache_type"), *pattern = jx_str(args, "pattern");
    /* Keys are "embedding:<model>:<text>" and "query:<generation>:<project>:<args>";
     * the pattern matches the part after the type prefix. */
    size_t n = strlen(pattern) + 16;
    char *full = malloc(n);
    size_t emb = 0, q = 0;
    if (!strcmp(type, "all") || !strcmp(type, "embeddings")) {
        snprintf(full, n, "embedding:%s", pattern);
        emb = l1_flush(caches_embeddings(), full);
    }
    if (!strcmp(type, "all") || !strcmp(type, "queries")) {
        snprintf(full, n, "query:%s", pattern);
        q = l1_flush(caches_queries(), full);
    }
    long l2n = 0;
    if (l2_configured(caches_l2()) && (!strcmp(type, "all") || !strcmp(type, "embeddings"))) {
        snprintf(full, n, "embedding:%s", pattern);
        lt_err rerr;
        lt_err_clear(&rerr);
        l2n = l2_flush(caches_l2(), full, &rerr);
        if (l2n < 0) {
            jx_set_str(out, "l2_error", rerr.msg);
            l2n = 0;
        }
    }
    free(full);
    jx_set_str(out, "cache_type", type);
    jx_set_str(out, "pattern", pattern);
    jx_set_int(out, "total_keys_deleted", (int64_t)(emb + q) + l2n);
    jx_set_int(out, "keys_deleted", (int64_t)(emb + q) + l2n);
    json_object_set_new(out, "breakdown", json_pack("{s:I, s:I, s:I}", "embeddings", (json_int_t)emb, "queries",
                                                    (json_int_t)q, "redis_embeddings", (json_int_t)l2n));
    return 0;
}

static int cache_reset(tool_ctx *ctx, const json_t *args, json_t *out, lt_err *err) {
    (void)args, (void)err;
    caches_configure((size_t)settings_int(ctx->cfg, SET_CACHE_L1_ENTRIES),
                     (size_t)settings_int(ctx->cfg, SET_CACHE_L1_MAX_MB) << 20,
                     (uint64_t)settings_int(ctx->cfg, SET_CACHE_TTL_SECONDS) * 1000);
    caches_reset();
    jx_set_str(out, "message", "Cache state reset: tiers emptied, counters zeroed, bounds re-read from settings");
    jx_set_int(out, "generation", (int64_t)caches_generation());
    return 0;
}

static const param_def health_params[] = {
    {"deep", PT_BOOLEAN, false, "false", "Also run SQLite's PRAGMA quick_check (reads the whole database)."}, {0}};
static const param_def stats_params[] = {
    {"cache_type", PT_STRING, false, "\"all\"", "Which tier's figures: all, embeddings or queries.", cache_types},
    {0}};
static const param_def flush_params[] = {
    {"cache_type", PT_STRING, false, "\"all\"", "Which tier: all, embeddings or queries.", flush_types},
    {"pattern", PT_STRING, false, "\"*\"", "fnmatch pattern over the keys within the tier.", NULL, 0, 0, 1024},
    {0}};

static const action_def cache_actions[] = {
    {"health_check", "Status and latency of every component, and an overall status.", cache_health, health_params},
    {"stats", "Cache tiers, per tool and action latency percentiles and error rates, SLA status.", cache_stats,
     stats_params},
    {"flush", "Empty cache tiers by type and key pattern (ltmc's own keys only).", cache_flush, flush_params},
    {"reset", "Drop and rebuild the cache state.", cache_reset, NULL},
    {NULL, NULL, NULL, NULL}};

const tool_def cache_tool = {
    "cache_action", "Cache and health",
    "Cache tiers (query embeddings and retrieve results) and live health: health_check, stats (latency "
    "percentiles, SLA status), flush, reset.",
    cache_actions, false, false, true};
