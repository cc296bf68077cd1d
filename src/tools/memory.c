/* memory_action: semantic long-term memory (original LTMC §5 and §6.1, all
 * working, plus get, update, delete and list). The engine is
 * search/memory.h; this file maps arguments to it and shapes results. */
#include "../cache/caches.h"
#include "tool.h"

#include "../core/clock.h"
#include "../core/jsonx.h"
#include "../search/memory.h"
#include "budget.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TAGS_MAX 64
#define NAME_LEN_BULK 512
#define TAG_MAX_LEN 200

/* Tags: at most TAGS_MAX, each non-blank and at most TAG_MAX_LEN bytes. */
static int check_tags(const json_t *tags, lt_err *err) {
    if (!tags) return 0;
    if (json_array_size(tags) > TAGS_MAX)
        return lt_err_set(err, LT_ERR_INVALID, "Parameter 'tags' has %zu tags (limit %d)", json_array_size(tags), TAGS_MAX);
    size_t i;
    json_t *t;
    json_array_foreach(tags, i, t) {
        size_t len = json_string_length(t);
        if (len == 0 || len > TAG_MAX_LEN || strlen(json_string_value(t)) != len)
            return lt_err_set(err, LT_ERR_INVALID, "Parameter 'tags': each tag must be 1 to %d bytes without NUL",
                              TAG_MAX_LEN);
    }
    return 0;
}

static memory_filter filter_from(tool_ctx *ctx, const json_t *args) {
    memory_filter f = {ctx->project, jx_str(args, "resource_type"), jx_str(args, "conversation_id"),
                       json_object_get(args, "tags"), jx_str(args, "since"), jx_str(args, "until")};
    if (!f.resource_type) f.resource_type = jx_str(args, "doc_type");
    return f;
}

static int check_time_bounds(const json_t *args, lt_err *err) {
    const char *names[] = {"since", "until"};
    for (int i = 0; i < 2; i++) {
        const char *v = jx_str(args, names[i]);
        int64_t ms;
        if (v && clock_parse_iso(v, &ms))
            return lt_err_set(err, LT_ERR_INVALID, "Invalid value for parameter '%s': '%.60s' (expected an ISO-8601 "
                              "date or time, e.g. 2026-01-31 or 2026-01-31T09:30:00Z)", names[i], v);
    }
    return 0;
}

static double round4(double x) { return round(x * 1e4) / 1e4; }

/* ---- store ---- */

static int mem_store(tool_ctx *ctx, const json_t *args, json_t *out, lt_err *err) {
    const json_t *tags = json_object_get(args, "tags");
    if (check_tags(tags, err)) return -1;
    json_t *empty = json_array();
    memory_input in = {ctx->project, jx_str(args, "file_name"), jx_str(args, "content"), jx_str(args, "resource_type"),
                       jx_str(args, "conversation_id"), jx_str(args, "created_at"), tags ? tags : empty,
                       json_object_get(args, "metadata")};
    int rc = memory_store(ctx->mem, ctx->st, &in, out, err);
    json_decref(empty);
    if (rc == 0) {
        json_object_set_new(out, "tags", tags ? json_incref((json_t *)tags) : json_array());
        jx_set_str(out, "project", ctx->project);
    }
    return rc;
}

/* ---- bulk store ---- */

#define BULK_MAX 5000

/* Checks one element of documents[] and fills in from it; strings stay
 * owned by the JSON. */
static int bulk_item(const json_t *d, size_t i, const json_t *args, tool_ctx *ctx, memory_input *in, json_t *empty,
                     lt_err *err) {
    if (!json_is_object(d)) return lt_err_set(err, LT_ERR_INVALID, "documents[%zu] must be an object", i);
    static const char *const known[] = {"file_name", "content", "resource_type", "tags", "conversation_id",
                                        "metadata", "created_at", NULL};
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)d, key, v) {
        bool ok = false;
        for (const char *const *k = known; *k; k++) ok |= strcmp(*k, key) == 0;
        if (!ok)
            return lt_err_set(err, LT_ERR_INVALID, "documents[%zu]: unknown field '%.60s' (accepted: file_name, content, "
                              "resource_type, tags, conversation_id, metadata, created_at)", i, key);
    }
    const char *strings[] = {"file_name", "content", "resource_type", "conversation_id", "created_at"};
    for (int k = 0; k < 5; k++) {
        json_t *sv = json_object_get(d, strings[k]);
        if (sv && !json_is_string(sv) && !json_is_null(sv))
            return lt_err_set(err, LT_ERR_INVALID, "documents[%zu].%s: expected string, got %s", i, strings[k],
                              jx_type_name(sv));
        if (sv && json_is_string(sv) && strlen(json_string_value(sv)) != json_string_length(sv))
            return lt_err_set(err, LT_ERR_INVALID, "documents[%zu].%s contains a NUL character", i, strings[k]);
    }
    memset(in, 0, sizeof *in);
    in->project = ctx->project;
    in->file_name = jx_str(d, "file_name");
    in->content = jx_str(d, "content");
    if (!in->file_name || !*in->file_name)
        return lt_err_set(err, LT_ERR_INVALID, "documents[%zu]: missing required field file_name", i);
    if (!in->content) return lt_err_set(err, LT_ERR_INVALID, "documents[%zu]: missing required field content", i);
    if (strlen(in->file_name) > NAME_LEN_BULK)
        return lt_err_set(err, LT_ERR_INVALID, "documents[%zu].file_name is too long (limit %d bytes)", i, NAME_LEN_BULK);
    in->resource_type = jx_str(d, "resource_type") ? jx_str(d, "resource_type") : jx_str(args, "resource_type");
    in->conversation_id = jx_str(d, "conversation_id") ? jx_str(d, "conversation_id") : jx_str(args, "conversation_id");
    in->created_at = jx_str(d, "created_at");
    json_t *tags = json_object_get(d, "tags");
    if (tags && !json_is_null(tags)) {
        bool ok = json_is_array(tags);
        size_t j;
        json_t *t;
        json_array_foreach(tags, j, t) ok &= json_is_string(t);
        if (!ok) return lt_err_set(err, LT_ERR_INVALID, "documents[%zu].tags: expected an array of strings", i);
        if (check_tags(tags, err)) { lt_err_prefix(err, "documents[%zu]", i); return -1; }
        in->tags = tags;
    } else {
        in->tags = empty;
    }
    json_t *meta = json_object_get(d, "metadata");
    if (meta && !json_is_null(meta)) {
        if (!json_is_object(meta)) return lt_err_set(err, LT_ERR_INVALID, "documents[%zu].metadata: expected object", i);
        in->metadata = meta;
    }
    return 0;
}

static void bulk_progress(void *arg, size_t done, size_t total) {
    char msg[64];
    snprintf(msg, sizeof msg, "embedded %zu of %zu documents", done, total);
    tool_report(arg, (double)done, (double)total, msg);
}

static int mem_bulk_store(tool_ctx *ctx, const json_t *args, json_t *out, lt_err *err) {
    const json_t *docs = json_object_get(args, "documents");
    size_t n = json_array_size(docs);
    if (n == 0) return lt_err_set(err, LT_ERR_INVALID, "Parameter 'documents' must not be empty");
    if (n > BULK_MAX)
        return lt_err_set(err, LT_ERR_INVALID, "Parameter 'documents' has %zu items (limit %d per call)", n, BULK_MAX);
    memory_input *in = calloc(n, sizeof *in);
    json_t *empty = json_array();
    if (!in) { json_decref(empty); return lt_err_set(err, LT_ERR_INTERNAL, "out of memory"); }
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) rc = bulk_item(json_array_get(docs, i), i, args, ctx, &in[i], empty, err);
    json_t *results = json_array();
    if (rc == 0) rc = memory_store_many(ctx->mem, ctx->st, in, n, results, ctx->progress ? bulk_progress : NULL, ctx, err);
    free(in);
    json_decref(empty);
    if (rc) { json_decref(results); return -1; }
    size_t dups = 0, i;
    json_t *r;
    json_array_foreach(results, i, r) dups += json_is_true(json_object_get(r, "duplicate"));
    json_object_set_new(out, "documents", results);
    jx_set_int(out, "stored", (int64_t)(n - dups));
    jx_set_int(out, "duplicates", (int64_t)dups);
    jx_set_str(out, "project", ctx->project);
    jx_set_str(out, "message", "Documents stored in one transaction");
    return 0;
}

/* ---- retrieval ---- */

/* Runs a search and appends documents under the token budget. Returns the
 * hits (malloc'd) for callers that need chunk ids. */
static int search_documents(tool_ctx *ctx, const json_t *args, const char *query, size_t top_k, json_t *out,
                            memory_hit **hits_out, size_t *n_out, lt_err *err) {
    if (check_tags(json_object_get(args, "tags"), err) || check_time_bounds(args, err)) return -1;
    memory_filter f = filter_from(ctx, args);
    memory_hit *hits;
    size_t n;
    if (memory_search(ctx->mem, ctx->st, query, &f, top_k, &hits, &n, err)) return -1;
    int64_t max_tokens = jx_int(args, "max_tokens", settings_int(ctx->cfg, SET_RETRIEVE_TOKEN_BUDGET));
    token_budget b = budget_start(max_tokens);
    json_t *docs = json_array();
    json_object_set_new(out, "documents", docs);
    size_t omitted = 0;
    for (size_t i = 0; i < n; i++) {
        if (budget_exhausted(&b)) { omitted++; continue; }
        json_t *row = memory_get(ctx->st, ctx->project, hits[i].memory_id, err);
        if (!row && err->code == LT_ERR_NOT_FOUND) { /* deleted by another process since the search */
            lt_err_clear(err);
            continue;
        }
        if (!row) { free(hits); return -1; }
        budget_take(&b, row, "content");
        json_object_del(row, "updated_at");
        jx_set_real(row, "score", round4(hits[i].score));
        jx_set_real(row, "similarity_score", round4(hits[i].similarity));
        jx_set_real(row, "lexical_score", round4(hits[i].lexical));
        jx_set_int(row, "rank", (int64_t)json_array_size(docs) + 1);
        json_array_append_new(docs, row);
    }
    jx_set_str(out, "query", query);
    jx_set_int(out, "total_found", (int64_t)json_array_size(docs));
    jx_set_int(out, "tokens_used", b.used);
    jx_set_int(out, "max_tokens", max_tokens);
    jx_set_int(out, "omitted_for_budget", (int64_t)omitted);
    jx_set_str(out, "score_scale", "0..1: lexical_weight * BM25/best BM25 + (1 - lexical_weight) * min-max scaled cosine");
    if (hits_out) { *hits_out = hits; *n_out = n; }
    else free(hits);
    return 0;
}

/* retrieve's results are cached (L1, caches.h) under the project, the
 * arguments and the generation of the memories they were computed from. */
static char *retrieve_key(tool_ctx *ctx, const json_t *args) {
    uint64_t gen = caches_observe(ctx->st);
    char *a = json_dumps(args, JSON_COMPACT | JSON_SORT_KEYS);
    if (!a) return NULL;
    size_t n = strlen(a) + strlen(ctx->project) + 64;
    char *key = malloc(n);
    if (key) snprintf(key, n, "query:%llu:%s:%s", (unsigned long long)gen, ctx->project, a);
    free(a);
    return key;
}

static void frozen_retain(void *obj) { jx_frozen_retain(obj); }
static void frozen_release(void *obj) { jx_frozen_release(obj); }
static const l1_obj_ops frozen_ops = {frozen_retain, frozen_release};

/* A hit is served from the cached frozen result (jsonx.h): out takes
 * references to the members of its value, and the call path reuses its
 * serialisation, so a hit neither copies nor serialises the documents. The
 * frozen copy is made from out when it is complete ("success" first, as
 * on a hit), and the miss that made it hands it on too. */
static int mem_retrieve(tool_ctx *ctx, const json_t *args, json_t *out, lt_err *err) {
    char *key = retrieve_key(ctx, args);
    jx_frozen *cached = key ? l1_get_obj(caches_queries(), key) : NULL;
    if (cached) {
        json_object_update(out, jx_frozen_value(cached));
        ctx->frozen = cached;
        free(key);
        return 0;
    }
    if (search_documents(ctx, args, jx_str(args, "query"), (size_t)jx_int(args, "top_k", 10), out, NULL, NULL, err)) {
        free(key);
        return -1;
    }
    jx_set_str(out, "conversation_id", jx_str(args, "conversation_id"));
    if (key) {
        jx_frozen *copy = jx_freeze(json_deep_copy(out));
        if (copy) {
            size_t len; /* the serialised size is what the entry counts against the byte bound */
            jx_frozen_text(copy, &len);
            l1_put_obj(caches_queries(), key, copy, len, &frozen_ops);
            ctx->frozen = copy;
        }
    }
    free(key);
    return 0;
}

static int mem_retrieve_by_type(tool_ctx *ctx, const json_t *args, json_t *out, lt_err *err) {
    if (search_documents(ctx, args, jx_str(args, "query"), (size_t)jx_int(args, "top_k", 5), out, NULL, NULL, err))
        return -1;
    jx_set_str(out, "doc_type", jx_str(args, "doc_type"));
    return 0;
}

/* The original's build_context: documents in order while they fit; the
 * first that does not is cut if more than 50 tokens remain, then stop. */
static int mem_build_context(tool_ctx *ctx, const json_t *args, json_t *out, lt_err *err) {
    const json_t *documents = json_object_get(args, "documents");
    const char *query = jx_str(args, "query");
    json_t *found = NULL;
    if (!documents && !query) return lt_err_set(err, LT_ERR_INVALID, "Missing required parameter: documents (or query)");
    if (!documents) {
        found = json_object();
        json_t *a = json_deep_copy(args);
        json_object_set_new(a, "max_tokens", json_integer(1000000)); /* the budget applies below */
        int rc = search_documents(ctx, a, query, (size_t)jx_int(args, "top_k", 5), found, NULL, NULL, err);
        json_decref(a);
        if (rc) { json_decref(found); return -1; }
        documents = json_object_get(found, "documents");
    }
    int64_t max_tokens = jx_int(args, "max_tokens", 4000);
    json_t *parts = json_array();
    size_t total = 0, included = 0, i;
    json_t *d;
    char *context = NULL;
    size_t context_len = 0;
    json_array_foreach(documents, i, d) {
        const char *content = jx_str(d, "content");
        if (!json_is_object(d) || !content) continue;
        size_t tokens = budget_estimate(content);
        const char *source = jx_str(d, "file_name");
        char fallback[32];
        if (!source) { snprintf(fallback, sizeof fallback, "document_%zu", i); source = fallback; }
        char *piece = NULL;
        bool truncated = false;
        if (total + tokens <= (size_t)max_tokens) {
            piece = strdup(content);
        } else {
            size_t remaining = (size_t)max_tokens - total;
            if (remaining <= 50) break;
            piece = budget_cut(content, remaining, "...[truncated]");
            truncated = true;
        }
        if (!piece) break;
        json_t *part = json_pack("{s:I, s:s, s:I, s:s}", "index", (json_int_t)i, "content", piece, "tokens",
                                 (json_int_t)(truncated ? budget_estimate(piece) : tokens), "source", source);
        if (truncated) jx_set_bool(part, "truncated", true);
        json_array_append_new(parts, part);
        size_t plen = strlen(piece);
        char *grown = realloc(context, context_len + plen + 8);
        if (!grown) { free(piece); break; }
        context = grown;
        if (context_len) { memcpy(context + context_len, "\n\n---\n\n", 7); context_len += 7; }
        memcpy(context + context_len, piece, plen);
        context_len += plen;
        context[context_len] = '\0';
        free(piece);
        included++;
        if (truncated) break;
        total += tokens;
    }
    jx_set_str(out, "context", context ? context : "");
    free(context);
    json_object_set_new(out, "parts", parts);
    jx_set_int(out, "total_tokens", (int64_t)total);
    jx_set_int(out, "max_tokens", max_tokens);
    jx_set_int(out, "documents_included", (int64_t)included);
    if (query) jx_set_str(out, "query", query);
    json_decref(found);
    return 0;
}

static int mem_ask_with_context(tool_ctx *ctx, const json_t *args, json_t *out, lt_err *err) {
    const char *query = jx_str(args, "query");
    json_t *found = json_object();
    memory_hit *hits = NULL;
    size_t n = 0;
    if (search_documents(ctx, args, query, (size_t)jx_int(args, "top_k", 5), found, &hits, &n, err)) {
        json_decref(found);
        return -1;
    }
    /* The context is the best-matching chunk of each memory, in rank order,
     * within the budget. */
    int64_t max_tokens = jx_int(args, "max_tokens", settings_int(ctx->cfg, SET_RETRIEVE_TOKEN_BUDGET));
    token_budget b = budget_start(max_tokens);
    json_t *chunks = json_array();
    char *context = NULL;
    size_t context_len = 0;
    for (size_t i = 0; i < n && !budget_exhausted(&b); i++) {
        store_stmt *s = store_prepare(ctx->st,
                                      "SELECT CAST(substr(CAST(m.content AS BLOB), c.start + 1, c.len) AS TEXT), m.file_name"
                                      " FROM chunks c JOIN memories m ON m.id = c.memory_id WHERE c.id = ?",
                                      err);
        if (!s) { free(hits); free(context); json_decref(chunks); json_decref(found); return -1; }
        store_bind_int(s, 1, hits[i].chunk_id);
        if (store_step(s, err) != 1) continue;
        json_t *piece = json_pack("{s:s}", "content", store_col_text(s, 0));
        char *file_name = strdup(store_col_text(s, 1));
        store_reset(s);
        budget_take(&b, piece, "content");
        const char *text = jx_str(piece, "content");
        size_t tl = strlen(text);
        char *grown = realloc(context, context_len + tl + 3);
        if (grown) {
            context = grown;
            if (context_len) { memcpy(context + context_len, "\n\n", 2); context_len += 2; }
            memcpy(context + context_len, text, tl);
            context_len += tl;
            context[context_len] = '\0';
        }
        json_array_append_new(chunks, json_pack("{s:I, s:I, s:I, s:s, s:f}", "chunk_id", (json_int_t)hits[i].chunk_id,
                                                "resource_id", (json_int_t)hits[i].memory_id, "doc_id",
                                                (json_int_t)hits[i].memory_id, "file_name", file_name ? file_name : "",
                                                "score", round4(hits[i].score)));
        free(file_name);
        json_decref(piece);
    }
    free(hits);
    jx_set_str(out, "query", query);
    jx_set_str(out, "context", context ? context : "");
    free(context);
    json_object_set_new(out, "retrieved_chunks", chunks);
    jx_set_str(out, "conversation_id", jx_str(args, "conversation_id"));
    jx_set_int(out, "tokens_used", b.used);
    jx_set_int(out, "max_tokens", max_tokens);
    jx_set_str(out, "message", json_array_size(chunks) ? "Context assembled from the best-matching memories"
                                                        : "No memory matched the query");
    json_decref(found);
    return 0;
}

/* ---- get, update, delete, list ---- */

static int mem_get(tool_ctx *ctx, const json_t *args, json_t *out, lt_err *err) {
    json_t *row = memory_get(ctx->st, ctx->project, jx_int(args, "doc_id", 0), err);
    if (!row) return -1;
    json_object_update(out, row);
    json_decref(row);
    return 0;
}

static int mem_update(tool_ctx *ctx, const json_t *args, json_t *out, lt_err *err) {
    const json_t *tags = json_object_get(args, "tags");
    if (check_tags(tags, err)) return -1;
    memory_input in = {ctx->project, jx_str(args, "file_name"), jx_str(args, "content"), jx_str(args, "resource_type"),
                       jx_str(args, "conversation_id"), jx_str(args, "created_at"), tags,
                       json_object_get(args, "metadata")};
    if (!in.file_name && !in.content && !in.resource_type && !in.conversation_id && !in.created_at && !tags &&
        !in.metadata)
        return lt_err_set(err, LT_ERR_INVALID, "Nothing to update: give at least one of file_name, content, "
                          "resource_type, conversation_id, created_at, tags, metadata");
    return memory_update(ctx->mem, ctx->st, jx_int(args, "doc_id", 0), &in, out, err);
}

static int mem_delete(tool_ctx *ctx, const json_t *args, json_t *out, lt_err *err) {
    return memory_delete(ctx->mem, ctx->st, ctx->project, jx_int(args, "doc_id", 0), out, err);
}

static int mem_list(tool_ctx *ctx, const json_t *args, json_t *out, lt_err *err) {
    if (check_tags(json_object_get(args, "tags"), err) || check_time_bounds(args, err)) return -1;
    memory_filter f = filter_from(ctx, args);
    if (memory_list(ctx->st, &f, jx_int(args, "limit", 20), jx_int(args, "offset", 0), out, err)) return -1;
    jx_set_str(out, "project", ctx->project);
    return 0;
}

/* ---- declarations ---- */

#define NAME_LEN 512
#define QUERY_LEN 8192
#define CONTENT_LEN (64 * 1024 * 1024) /* the engine applies max_memory_bytes */

#define P_QUERY {"query", PT_STRING, true, NULL, "What to look for, in natural language or keywords.", NULL, 0, 0, QUERY_LEN}
#define P_TOP_K(def) {"top_k", PT_INTEGER, false, def, "Most memories to return.", NULL, 1, 100, 0}
#define P_MAX_TOKENS {"max_tokens", PT_INTEGER, false, NULL, "Token budget for the returned text (about 4 characters " \
    "a token); content beyond it is cut. Default: the retrieve_token_budget setting (4000).", NULL, 1, 1000000, 0}
#define P_CONV_FILTER {"conversation_id", PT_STRING, false, NULL, "Only memories of this conversation.", NULL, 0, 0, NAME_LEN}
#define P_TYPE_FILTER {"resource_type", PT_STRING, false, NULL, "Only memories of this type.", NULL, 0, 0, 128}
#define P_TAGS_FILTER {"tags", PT_STRING_LIST, false, NULL, "Tags: only memories having all of them (store: the " \
    "memory's tags). A comma-separated string is accepted too.", NULL, 0, 0, 0}
#define P_SINCE {"since", PT_STRING, false, NULL, "Only memories created at or after this ISO-8601 time.", NULL, 0, 0, 64}
#define P_UNTIL {"until", PT_STRING, false, NULL, "Only memories created at or before this ISO-8601 time.", NULL, 0, 0, 64}
#define P_DOC_ID {"doc_id", PT_INTEGER, true, NULL, "Id of the memory, as returned by store.", NULL, 1, INT64_MAX, 0}

static const param_def store_params[] = {
    {"file_name", PT_STRING, true, NULL, "Name of the memory (a file name, a title or any label).", NULL, 0, 0, NAME_LEN},
    {"content", PT_STRING, true, NULL, "The text to remember (limit: the max_memory_bytes setting, 1 MiB by default).",
     NULL, 0, 0, CONTENT_LEN},
    {"resource_type", PT_STRING, false, "\"document\"", "Kind of memory, e.g. document, code, insight, decision.", NULL,
     0, 0, 128},
    P_TAGS_FILTER,
    {"conversation_id", PT_STRING, false, "\"default\"", "Conversation the memory belongs to.", NULL, 0, 0, NAME_LEN},
    {"metadata", PT_OBJECT, false, NULL, "Free-form JSON object stored with the memory.", NULL, 0, 0, 0},
    {"created_at", PT_STRING, false, NULL, "When the remembered thing happened (ISO-8601); default now.", NULL, 0, 0, 64},
    {NULL}};
static const param_def bulk_params[] = {
    {"documents", PT_ARRAY, true, NULL, "Memories to store, up to 5000 per call: objects with file_name and content "
     "(required) and resource_type, tags, conversation_id, metadata, created_at (optional). All are stored or none.",
     NULL, 0, 0, 0},
    {"resource_type", PT_STRING, false, "\"document\"", "Kind of memory, e.g. document, code, insight, decision.", NULL,
     0, 0, 128},
    {"conversation_id", PT_STRING, false, "\"default\"", "Conversation the memory belongs to.", NULL, 0, 0, NAME_LEN},
    {NULL}};
static const param_def retrieve_params[] = {P_QUERY, P_TOP_K("10"), P_CONV_FILTER, P_TYPE_FILTER, P_TAGS_FILTER,
                                            P_SINCE, P_UNTIL, P_MAX_TOKENS, {NULL}};
static const param_def build_context_params[] = {
    {"documents", PT_ARRAY, false, NULL, "Documents ({content, file_name?}) to assemble, in order. Without them, "
     "query is searched and its results are assembled.", NULL, 0, 0, 0},
    {"query", PT_STRING, false, NULL, "What to look for, in natural language or keywords.", NULL, 0, 0, QUERY_LEN},
    P_TOP_K("5"),
    {"max_tokens", PT_INTEGER, false, "4000", "Token budget for the returned text (about 4 characters a token); "
     "content beyond it is cut.", NULL, 1, 1000000, 0},
    {NULL}};
static const param_def by_type_params[] = {
    P_QUERY,
    {"doc_type", PT_STRING, true, NULL, "The resource_type to search.", NULL, 0, 0, 128},
    P_TOP_K("5"), P_CONV_FILTER, P_TAGS_FILTER, P_SINCE, P_UNTIL, P_MAX_TOKENS, {NULL}};
static const param_def ask_params[] = {P_QUERY, P_CONV_FILTER, P_TOP_K("5"), P_TYPE_FILTER, P_TAGS_FILTER, P_SINCE,
                                       P_UNTIL, P_MAX_TOKENS, {NULL}};
static const param_def get_params[] = {P_DOC_ID, {NULL}};
static const param_def update_params[] = {
    P_DOC_ID,
    {"file_name", PT_STRING, false, NULL, "Name of the memory (a file name, a title or any label).", NULL, 0, 0, NAME_LEN},
    {"content", PT_STRING, false, NULL, "The text to remember (limit: the max_memory_bytes setting, 1 MiB by default).",
     NULL, 0, 0, CONTENT_LEN},
    {"resource_type", PT_STRING, false, NULL, "Kind of memory, e.g. document, code, insight, decision.", NULL, 0, 0, 128},
    P_TAGS_FILTER,
    {"conversation_id", PT_STRING, false, NULL, "Conversation the memory belongs to.", NULL, 0, 0, NAME_LEN},
    {"metadata", PT_OBJECT, false, NULL, "Free-form JSON object stored with the memory.", NULL, 0, 0, 0},
    {"created_at", PT_STRING, false, NULL, "When the remembered thing happened (ISO-8601); default now.", NULL, 0, 0, 64},
    {NULL}};
static const param_def delete_params[] = {P_DOC_ID, {NULL}};
static const param_def list_params[] = {
    P_TYPE_FILTER, P_CONV_FILTER, P_TAGS_FILTER, P_SINCE, P_UNTIL,
    {"limit", PT_INTEGER, false, "20", "Most memories to return.", NULL, 1, 1000, 0},
    {"offset", PT_INTEGER, false, "0", "Memories to skip, for paging.", NULL, 0, INT64_MAX, 0},
    {NULL}};

static const action_def memory_actions[] = {
    {"store", "remember a text (returns doc_id; identical content in the project returns the existing id).",
     mem_store, store_params},
    {"bulk_store", "store many memories in one transaction (import); identical contents are skipped.",
     mem_bulk_store, bulk_params},
    {"retrieve", "find memories by meaning and words, best first, within a token budget.", mem_retrieve,
     retrieve_params},
    {"build_context", "assemble documents (or a query's results) into one context within max_tokens.",
     mem_build_context, build_context_params},
    {"retrieve_by_type", "retrieve, limited to one resource type.", mem_retrieve_by_type, by_type_params},
    {"ask_with_context", "the best-matching passages for a question, joined into a context.", mem_ask_with_context,
     ask_params},
    {"get", "one memory by id.", mem_get, get_params},
    {"update", "change a memory's text, name, type, tags, conversation, metadata or time.", mem_update, update_params},
    {"delete", "forget a memory completely (text, vectors, full text, tags, graph node).", mem_delete, delete_params},
    {"list", "page through memories, newest first, optionally filtered.", mem_list, list_params},
    {NULL}};

const tool_def memory_tool = {
    "memory_action", "Memory",
    "Long-term memory that outlives the conversation: store documents, insights and decisions, then find them "
    "again by meaning and by words (hybrid vector + full-text search), filtered by type, tags, conversation and "
    "time, within a token budget.",
    memory_actions, false, true, false};
