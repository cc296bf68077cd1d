#include "attempts.h"

#include "../core/clock.h"
#include "../core/jsonx.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OUTCOME_WEIGHT 0.05
/* Most matching attempts compared with a query; the newest are kept. */
#define FIND_SCAN_MAX 20000
#define EMBED_TEXT_MAX (64 * 1024)

/* ---- error keys ---------------------------------------------------------- */

char *attempts_error_key(const char *msg) {
    if (!msg) return NULL;
    const char *p = msg;
    while (*p && isspace((unsigned char)*p)) p++;
    if (!*p) return NULL;
    const char *e = strchr(p, '\n');
    size_t n = e ? (size_t)(e - p) : strlen(p);
    if (n > 300) n = 300;
    char *out = malloc(2 * n + 1); /* '' becomes '?' and 0x1 becomes ADDR: at most 4/3 longer */
    if (!out) return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)p[i];
        if (c == '\'' || c == '"' || c == '`') { /* quoted text: the particular name or value */
            const char *close = memchr(p + i + 1, c, n - i - 1);
            if (close) {
                out[k++] = (char)c, out[k++] = '?', out[k++] = (char)c;
                i = (size_t)(close - p) + 1;
                continue;
            }
        }
        if (c == '0' && i + 1 < n && (p[i + 1] == 'x' || p[i + 1] == 'X') && isxdigit((unsigned char)p[i + 2])) {
            i += 2;
            while (i < n && isxdigit((unsigned char)p[i])) i++;
            memcpy(out + k, "ADDR", 4), k += 4;
            continue;
        }
        if (isdigit(c) && (i == 0 || !isalpha((unsigned char)p[i - 1]))) {
            while (i < n && (isdigit((unsigned char)p[i]) || p[i] == '.')) i++;
            out[k++] = 'N';
            continue;
        }
        out[k++] = (char)c;
        i++;
    }
    while (k && isspace((unsigned char)out[k - 1])) k--;
    out[k] = '\0';
    return out;
}

/* ---- log ------------------------------------------------------------------ */

static double outcome(const char *result) {
    if (!result) return 0;
    if (!strcmp(result, "pass")) return 1;
    if (!strcmp(result, "partial")) return 0.5;
    return 0;
}

static void append(char *buf, size_t cap, size_t *n, const char *s) {
    if (!s || !*s || *n >= cap - 1) return;
    size_t l = strlen(s);
    if (l > cap - 1 - *n - 1) l = cap - 1 - *n - 1;
    if (*n) buf[(*n)++] = '\n';
    memcpy(buf + *n, s, l);
    *n += l;
    buf[*n] = '\0';
}

typedef struct {
    const attempt_input *in;
    const char *model;
    const float *vec;
    int dim;
    const char *tags, *metadata, *error_key;
    char now[CLOCK_ISO_LEN];
    int64_t id;
} log_ctx;

static int log_tx(store *st, void *vctx, lt_err *err) {
    log_ctx *c = vctx;
    const attempt_input *in = c->in;
    store_stmt *s = store_prepare(st,
                                  "INSERT INTO pattern_attempts(project, pattern_type, result, input_prompt, code,"
                                  " error_message, error_key, execution_time_ms, function_name, file_name, module_name,"
                                  " language, tags, metadata, model, vector, created_at)"
                                  " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                                  err);
    if (!s) return -1;
    store_bind_text(s, 1, in->project);
    store_bind_text(s, 2, in->pattern_type);
    store_bind_text(s, 3, in->result);
    store_bind_text(s, 4, in->input_prompt ? in->input_prompt : "");
    store_bind_text(s, 5, in->code ? in->code : "");
    store_bind_text(s, 6, in->error_message);
    store_bind_text(s, 7, c->error_key);
    if (in->execution_time_ms >= 0) store_bind_real(s, 8, in->execution_time_ms);
    else store_bind_null(s, 8);
    store_bind_text(s, 9, in->function_name);
    store_bind_text(s, 10, in->file_name);
    store_bind_text(s, 11, in->module_name);
    store_bind_text(s, 12, in->language);
    store_bind_text(s, 13, c->tags);
    store_bind_text(s, 14, c->metadata);
    store_bind_text(s, 15, c->model);
    store_bind_blob(s, 16, c->vec, (size_t)c->dim * sizeof(float));
    store_bind_text(s, 17, c->now);
    if (store_step(s, err) < 0) return -1;
    c->id = store_last_insert_id(st);
    return 0;
}

/* tags without duplicates, as JSON text */
static char *tags_text(const json_t *tags) {
    json_t *uniq = json_array();
    size_t i, j;
    json_t *t, *u;
    json_array_foreach(tags, i, t) {
        bool dup = false;
        json_array_foreach(uniq, j, u) dup |= json_equal(t, u);
        if (!dup && json_is_string(t)) json_array_append(uniq, t);
    }
    char *s = jx_dump(uniq);
    json_decref(uniq);
    return s;
}

int attempts_log(embedder *emb, store *st, const attempt_input *in, json_t *out, lt_err *err) {
    if (!emb) return lt_err_set(err, LT_ERR_INTERNAL, "No embedder is configured");
    char *text = malloc(EMBED_TEXT_MAX);
    if (!text) return lt_err_set(err, LT_ERR_INTERNAL, "Out of memory");
    size_t n = 0;
    text[0] = '\0';
    append(text, EMBED_TEXT_MAX, &n, in->pattern_type);
    append(text, EMBED_TEXT_MAX, &n, in->input_prompt);
    append(text, EMBED_TEXT_MAX, &n, in->code);
    append(text, EMBED_TEXT_MAX, &n, in->function_name);
    append(text, EMBED_TEXT_MAX, &n, in->file_name);
    append(text, EMBED_TEXT_MAX, &n, in->error_message);
    int dim = embedder_dim(emb);
    float *vec = calloc((size_t)dim, sizeof *vec);
    if (!vec || embedder_embed(emb, text, n, vec, err)) {
        if (!vec) lt_err_set(err, LT_ERR_INTERNAL, "Out of memory");
        free(vec), free(text);
        return -1;
    }
    free(text);
    log_ctx c = {.in = in, .model = embedder_model_id(emb), .vec = vec, .dim = dim};
    char *tags = in->tags ? tags_text(in->tags) : strdup("[]");
    char *meta = in->metadata ? jx_dump(in->metadata) : strdup("{}");
    char *key = attempts_error_key(in->error_message);
    c.tags = tags, c.metadata = meta, c.error_key = key;
    clock_now_iso(c.now, sizeof c.now);
    int rc = store_write(st, log_tx, &c, err);
    if (rc == 0) {
        jx_set_int(out, "attempt_id", c.id);
        jx_set_str(out, "created_at", c.now);
        jx_set_str(out, "error_key", key);
    }
    free(vec), free(tags), free(meta), free(key);
    return rc;
}

/* ---- filters ----------------------------------------------------------------- */

/* WHERE over pattern_attempts a: ?1 project, ?2 pattern_type, ?3 result,
 * ?4 function_name, ?5 file_name, ?6 module_name, ?7 tags, ?8 since,
 * ?9 until; only the conditions in use are written, so each combination is
 * one cached statement. */
static void filter_sql(const attempt_filter *f, char *buf, size_t len) {
    bool tags = f->tags && json_array_size(f->tags);
    snprintf(buf, len, "a.project = ?1%s%s%s%s%s%s%s%s", f->pattern_type ? " AND a.pattern_type = ?2" : "",
             f->result ? " AND a.result = ?3" : "", f->function_name ? " AND a.function_name = ?4" : "",
             f->file_name ? " AND a.file_name = ?5" : "", f->module_name ? " AND a.module_name = ?6" : "",
             tags ? " AND (SELECT count(*) FROM json_each(a.tags) WHERE value IN (SELECT value FROM json_each(?7)))"
                    " = (SELECT count(DISTINCT value) FROM json_each(?7))"
                  : "",
             f->since ? " AND a.created_at >= ?8" : "", f->until ? " AND a.created_at <= ?9" : "");
}

static void filter_bind(store_stmt *s, const attempt_filter *f) {
    store_bind_text(s, 1, f->project);
    if (f->pattern_type) store_bind_text(s, 2, f->pattern_type);
    if (f->result) store_bind_text(s, 3, f->result);
    if (f->function_name) store_bind_text(s, 4, f->function_name);
    if (f->file_name) store_bind_text(s, 5, f->file_name);
    if (f->module_name) store_bind_text(s, 6, f->module_name);
    if (f->tags && json_array_size(f->tags)) {
        char *t = jx_dump(f->tags);
        store_bind_text(s, 7, t);
        free(t);
    }
    if (f->since) store_bind_iso_time(s, 8, f->since);
    if (f->until) store_bind_iso_time(s, 9, f->until);
}

/* ---- find ------------------------------------------------------------------------ */

#define ROW_COLUMNS                                                                                             \
    "a.id AS attempt_id, a.pattern_type, a.result, a.input_prompt, a.code AS code_content, a.error_message,"  \
    " a.execution_time_ms, a.function_name, a.file_name, a.module_name, a.language, a.tags, a.metadata,"      \
    " a.created_at"

static json_t *row_object(store_stmt *s) {
    json_t *row = store_row_json(s);
    const char *cols[] = {"tags", "metadata"};
    for (int i = 0; i < 2; i++) {
        json_t *v = json_loads(jx_str(row, cols[i]) ? jx_str(row, cols[i]) : "null", JSON_DECODE_ANY, NULL);
        json_object_set_new(row, cols[i], v ? v : json_null());
    }
    json_object_del(row, "vector");
    json_object_del(row, "model");
    return row;
}

typedef struct {
    int64_t id;
    double score, similarity;
} scored;

static int by_score(const void *a, const void *b) {
    const scored *x = a, *y = b;
    if (x->score != y->score) return x->score < y->score ? 1 : -1;
    return (x->id < y->id) - (x->id > y->id); /* newer first */
}

static double round4(double x) { return round(x * 1e4) / 1e4; }

int attempts_find(embedder *emb, store *st, const char *query, const attempt_filter *f, size_t k, json_t *patterns,
                  lt_err *err) {
    char where[1024], sql[2048];
    filter_sql(f, where, sizeof where);
    bool by_meaning = query && *query && emb;
    if (!by_meaning) {
        snprintf(sql, sizeof sql, "SELECT " ROW_COLUMNS " FROM pattern_attempts a WHERE %s ORDER BY a.id DESC LIMIT ?10",
                 where);
        store_stmt *s = store_prepare(st, sql, err);
        if (!s) return -1;
        filter_bind(s, f);
        store_bind_int(s, 10, (int64_t)k);
        int rc;
        while ((rc = store_step(s, err)) == 1) json_array_append_new(patterns, row_object(s));
        return rc < 0 ? -1 : 0;
    }

    int dim = embedder_dim(emb);
    float *q = calloc((size_t)dim, sizeof *q);
    if (!q) return lt_err_set(err, LT_ERR_INTERNAL, "Out of memory");
    if (embedder_embed(emb, query, strlen(query), q, err)) {
        free(q);
        return -1;
    }
    snprintf(sql, sizeof sql,
             "SELECT a.id, a.result, a.model, a.vector FROM pattern_attempts a WHERE %s ORDER BY a.id DESC LIMIT %d",
             where, FIND_SCAN_MAX);
    store_stmt *s = store_prepare(st, sql, err);
    if (!s) {
        free(q);
        return -1;
    }
    filter_bind(s, f);
    scored *all = NULL;
    size_t n = 0, cap = 0;
    const char *model = embedder_model_id(emb);
    int rc;
    while ((rc = store_step(s, err)) == 1) {
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 256;
            scored *p = realloc(all, nc * sizeof *p);
            if (!p) {
                store_reset(s);
                free(all), free(q);
                return lt_err_set(err, LT_ERR_INTERNAL, "Out of memory");
            }
            all = p, cap = nc;
        }
        double sim = 0;
        const char *m = store_col_text(s, 2);
        const float *v = store_col_blob(s, 3);
        if (m && !strcmp(m, model) && v && store_col_bytes(s, 3) == (size_t)dim * sizeof(float)) {
            double dot = 0;
            for (int i = 0; i < dim; i++) dot += (double)q[i] * v[i];
            sim = dot;
        }
        all[n].id = store_col_int(s, 0);
        all[n].similarity = sim;
        all[n].score = sim + OUTCOME_WEIGHT * outcome(store_col_text(s, 1));
        n++;
    }
    free(q);
    if (rc < 0) {
        free(all);
        return -1;
    }
    if (n > 1) qsort(all, n, sizeof *all, by_score);
    if (n > k) n = k;
    for (size_t i = 0; i < n; i++) {
        s = store_prepare(st, "SELECT " ROW_COLUMNS " FROM pattern_attempts a WHERE a.id = ?", err);
        if (!s) {
            free(all);
            return -1;
        }
        store_bind_int(s, 1, all[i].id);
        rc = store_step(s, err);
        if (rc < 0) {
            free(all);
            return -1;
        }
        if (rc == 0) continue;
        json_t *row = row_object(s);
        store_reset(s);
        jx_set_real(row, "similarity", round4(all[i].similarity));
        jx_set_real(row, "score", round4(all[i].score));
        json_array_append_new(patterns, row);
    }
    free(all);
    return 0;
}

/* ---- analyze ------------------------------------------------------------------------ */

static double rate(int64_t pass, int64_t total) { return total ? round4((double)pass / (double)total) : 0; }

int attempts_analyze(store *st, const attempt_filter *f, const char *bucket, json_t *out, lt_err *err) {
    char where[1024], sql[2048];
    filter_sql(f, where, sizeof where);

    /* totals */
    snprintf(sql, sizeof sql,
             "SELECT count(*), coalesce(sum(a.result = 'pass'), 0), coalesce(sum(a.result = 'fail'), 0),"
             " coalesce(sum(a.result = 'partial'), 0), avg(a.execution_time_ms), min(a.created_at), max(a.created_at)"
             " FROM pattern_attempts a WHERE %s",
             where);
    store_stmt *s = store_prepare(st, sql, err);
    if (!s) return -1;
    filter_bind(s, f);
    if (store_step(s, err) != 1) return -1;
    int64_t total = store_col_int(s, 0), pass = store_col_int(s, 1);
    jx_set_int(out, "total_patterns", total);
    jx_set_int(out, "pass_count", pass);
    jx_set_int(out, "fail_count", store_col_int(s, 2));
    jx_set_int(out, "partial_count", store_col_int(s, 3));
    jx_set_real(out, "success_rate", rate(pass, total));
    if (store_col_is_null(s, 4)) jx_set_null(out, "avg_execution_time_ms");
    else jx_set_real(out, "avg_execution_time_ms", round4(store_col_real(s, 4)));
    jx_set_str(out, "first_at", store_col_text(s, 5));
    jx_set_str(out, "last_at", store_col_text(s, 6));
    store_reset(s);

    /* per pattern type */
    snprintf(sql, sizeof sql,
             "SELECT a.pattern_type, count(*), sum(a.result = 'pass'), sum(a.result = 'fail'), sum(a.result = 'partial'),"
             " avg(a.execution_time_ms) FROM pattern_attempts a WHERE %s GROUP BY a.pattern_type"
             " ORDER BY count(*) DESC, a.pattern_type",
             where);
    if (!(s = store_prepare(st, sql, err))) return -1;
    filter_bind(s, f);
    json_t *types = json_array();
    json_object_set_new(out, "by_pattern_type", types);
    int rc;
    while ((rc = store_step(s, err)) == 1) {
        int64_t t = store_col_int(s, 1), p = store_col_int(s, 2);
        json_t *o = json_object();
        jx_set_str(o, "pattern_type", store_col_text(s, 0));
        jx_set_int(o, "total", t);
        jx_set_int(o, "pass", p);
        jx_set_int(o, "fail", store_col_int(s, 3));
        jx_set_int(o, "partial", store_col_int(s, 4));
        jx_set_real(o, "success_rate", rate(p, t));
        if (store_col_is_null(s, 5)) jx_set_null(o, "avg_execution_time_ms");
        else jx_set_real(o, "avg_execution_time_ms", round4(store_col_real(s, 5)));
        json_array_append_new(types, o);
    }
    if (rc < 0) return -1;

    /* trend: created_at is ISO-8601 UTC text, so the bucket is a prefix or
     * the ISO week's Monday */
    bool week = bucket && !strcmp(bucket, "week");
    snprintf(sql, sizeof sql,
             "SELECT %s AS period, count(*), sum(a.result = 'pass'), avg(a.execution_time_ms)"
             " FROM pattern_attempts a WHERE %s GROUP BY period ORDER BY period",
             week ? "date(substr(a.created_at, 1, 10), '-' || ((strftime('%w', substr(a.created_at, 1, 10)) + 6) % 7) || ' days')"
                  : "substr(a.created_at, 1, 10)",
             where);
    if (!(s = store_prepare(st, sql, err))) return -1;
    filter_bind(s, f);
    json_t *trend = json_array();
    json_object_set_new(out, "trend", trend);
    while ((rc = store_step(s, err)) == 1) {
        int64_t t = store_col_int(s, 1), p = store_col_int(s, 2);
        json_t *o = json_object();
        jx_set_str(o, "period", store_col_text(s, 0));
        jx_set_int(o, "total", t);
        jx_set_int(o, "pass", p);
        jx_set_real(o, "success_rate", rate(p, t));
        if (store_col_is_null(s, 3)) jx_set_null(o, "avg_execution_time_ms");
        else jx_set_real(o, "avg_execution_time_ms", round4(store_col_real(s, 3)));
        json_array_append_new(trend, o);
    }
    if (rc < 0) return -1;
    jx_set_str(out, "trend_bucket", week ? "week" : "day");

    /* commonest failure causes */
    snprintf(sql, sizeof sql,
             "SELECT a.error_key, count(*), sum(a.result = 'fail'), max(a.id), max(a.created_at)"
             " FROM pattern_attempts a WHERE %s AND a.result != 'pass' AND a.error_key IS NOT NULL"
             " GROUP BY a.error_key ORDER BY count(*) DESC, max(a.id) DESC LIMIT 10",
             where);
    if (!(s = store_prepare(st, sql, err))) return -1;
    filter_bind(s, f);
    json_t *fails = json_array();
    json_object_set_new(out, "common_failures", fails);
    while ((rc = store_step(s, err)) == 1) {
        json_t *o = json_object();
        jx_set_str(o, "error", store_col_text(s, 0));
        jx_set_int(o, "count", store_col_int(s, 1));
        jx_set_int(o, "fail_count", store_col_int(s, 2));
        jx_set_int(o, "latest_attempt_id", store_col_int(s, 3));
        jx_set_str(o, "last_seen", store_col_text(s, 4));
        json_array_append_new(fails, o);
    }
    if (rc < 0) return -1;
    /* an example message for each cause (the latest) */
    size_t i;
    json_t *o;
    json_array_foreach(fails, i, o) {
        s = store_prepare(st, "SELECT error_message FROM pattern_attempts WHERE id = ?", err);
        if (!s) return -1;
        store_bind_int(s, 1, jx_int(o, "latest_attempt_id", 0));
        if (store_step(s, err) == 1) jx_set_str(o, "example", store_col_text(s, 0));
        store_reset(s);
    }
    return 0;
}
