/* chat_action: conversation logs per project (original LTMC §6.3), and
 * route_query, which searches memories and chat history together. */
#include "tool.h"

#include "../core/clock.h"
#include "../core/jsonx.h"
#include "../search/memory.h"
#include "budget.h"

#include <math.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const roles[] = {"user", "assistant", "system", "tool", NULL};

#define CHAT_COLUMNS                                                                                      \
    "id AS chat_id, conversation_id, role, content, agent_name, source_tool, metadata, created_at"

/* Rows to objects, with metadata parsed back from its stored JSON text. */
static int collect(store_stmt *s, json_t *list, lt_err *err) {
    int rc;
    while ((rc = store_step(s, err)) == 1) {
        json_t *row = store_row_json(s);
        const char *meta = jx_str(row, "metadata");
        json_object_set_new(row, "metadata", meta ? json_loads(meta, JSON_ALLOW_NUL, NULL) : json_object());
        if (!json_object_get(row, "metadata")) json_object_set_new(row, "metadata", json_object());
        json_array_append_new(list, row);
    }
    return rc;
}

typedef struct {
    tool_ctx *ctx;
    const json_t *args;
    char *metadata;
    char now[CLOCK_ISO_LEN];
    int64_t id;
} log_ctx;

static int log_tx(store *st, void *vctx, lt_err *err) {
    log_ctx *l = vctx;
    store_stmt *s = store_prepare(st,
                                  "INSERT INTO chat_messages(project, conversation_id, role, content, agent_name, "
                                  "source_tool, metadata, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                                  err);
    if (!s) return -1;
    store_bind_text(s, 1, l->ctx->project);
    store_bind_text(s, 2, jx_str(l->args, "conversation_id"));
    store_bind_text(s, 3, jx_str(l->args, "role"));
    store_bind_text(s, 4, jx_str(l->args, "content"));
    store_bind_text(s, 5, jx_str(l->args, "agent_name"));
    store_bind_text(s, 6, jx_str(l->args, "source_tool"));
    store_bind_text(s, 7, l->metadata);
    store_bind_text(s, 8, l->now);
    if (store_step(s, err) < 0) return -1;
    l->id = store_last_insert_id(st);
    return memory_index_chat(st, l->id, l->ctx->project, jx_str(l->args, "content"), err);
}

#define METADATA_MAX (256 * 1024)

static int chat_log(tool_ctx *ctx, const json_t *args, json_t *out, lt_err *err) {
    log_ctx l = {ctx, args, NULL, "", 0};
    json_t *meta = json_object_get(args, "metadata");
    if (meta) {
        l.metadata = jx_dump(meta);
        if (!l.metadata) return lt_err_set(err, LT_ERR_INTERNAL, "cannot serialise metadata");
        if (strlen(l.metadata) > METADATA_MAX) {
            size_t len = strlen(l.metadata);
            free(l.metadata);
            return lt_err_set(err, LT_ERR_INVALID, "Parameter 'metadata' is too large: %zu bytes (limit %d)", len,
                              METADATA_MAX);
        }
    }
    clock_now_iso(l.now, sizeof l.now);
    int rc = store_write(ctx->st, log_tx, &l, err);
    free(l.metadata);
    if (rc) return -1;
    jx_set_int(out, "chat_id", l.id);
    jx_set_str(out, "conversation_id", jx_str(args, "conversation_id"));
    jx_set_str(out, "role", jx_str(args, "role"));
    jx_set_str(out, "created_at", l.now);
    jx_set_str(out, "project", ctx->project);
    jx_set_str(out, "message", "Chat message logged");
    return 0;
}

static int chat_get_by_tool(tool_ctx *ctx, const json_t *args, json_t *out, lt_err *err) {
    const char *tool = jx_str(args, "source_tool");
    int64_t limit = jx_int(args, "limit", 10), offset = jx_int(args, "offset", 0);
    store_stmt *s = store_prepare(ctx->st,
                                  "SELECT " CHAT_COLUMNS " FROM chat_messages WHERE project = ? AND source_tool = ? "
                                  "ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?",
                                  err);
    if (!s) return -1;
    store_bind_text(s, 1, ctx->project);
    store_bind_text(s, 2, tool);
    store_bind_int(s, 3, limit);
    store_bind_int(s, 4, offset);
    json_t *chats = json_array();
    json_object_set_new(out, "chats", chats);
    if (collect(s, chats, err) < 0) return -1;
    jx_set_str(out, "source_tool", tool);
    jx_set_int(out, "total_found", (int64_t)json_array_size(chats));
    jx_set_int(out, "limit_applied", limit);
    jx_set_int(out, "offset", offset);
    return 0;
}

static int chat_get_tool_conversations(tool_ctx *ctx, const json_t *args, json_t *out, lt_err *err) {
    const char *tool = jx_str(args, "tool_name");
    int64_t limit = jx_int(args, "limit", 10);
    /* A conversation belongs to a tool when any of its messages came from
     * that tool or from an agent whose name contains the tool's name. The
     * agent_name shown is the most recent one in the conversation. */
    store_stmt *s = store_prepare(
        ctx->st,
        "SELECT conversation_id, count(*) AS message_count, min(created_at) AS first_message, "
        " max(created_at) AS last_message,"
        " (SELECT agent_name FROM chat_messages c2 WHERE c2.project = c.project AND"
        "   c2.conversation_id = c.conversation_id AND agent_name IS NOT NULL ORDER BY created_at DESC LIMIT 1)"
        "   AS agent_name "
        "FROM chat_messages c WHERE project = ?1 AND conversation_id IN ("
        "  SELECT conversation_id FROM chat_messages WHERE project = ?1 AND"
        "  (source_tool = ?2 OR instr(lower(agent_name), lower(?2)) > 0)) "
        "GROUP BY conversation_id ORDER BY last_message DESC LIMIT ?3",
        err);
    if (!s) return -1;
    store_bind_text(s, 1, ctx->project);
    store_bind_text(s, 2, tool);
    store_bind_int(s, 3, limit);
    json_t *convs = json_array();
    json_object_set_new(out, "conversations", convs);
    int rc;
    while ((rc = store_step(s, err)) == 1) {
        json_t *row = store_row_json(s);
        jx_set_str(row, "tool_name", tool);
        json_array_append_new(convs, row);
    }
    if (rc < 0) return -1;
    jx_set_str(out, "tool_name", tool);
    jx_set_int(out, "total_found", (int64_t)json_array_size(convs));
    jx_set_int(out, "limit_applied", limit);
    return 0;
}

static int chat_get_conversation(tool_ctx *ctx, const json_t *args, json_t *out, lt_err *err) {
    const char *conv = jx_str(args, "conversation_id");
    int64_t limit = jx_int(args, "limit", 50), offset = jx_int(args, "offset", 0);
    store_stmt *s = store_prepare(ctx->st,
                                  "SELECT " CHAT_COLUMNS " FROM chat_messages WHERE project = ? AND "
                                  "conversation_id = ? ORDER BY created_at, id LIMIT ? OFFSET ?",
                                  err);
    if (!s) return -1;
    store_bind_text(s, 1, ctx->project);
    store_bind_text(s, 2, conv);
    store_bind_int(s, 3, limit);
    store_bind_int(s, 4, offset);
    json_t *msgs = json_array();
    json_object_set_new(out, "messages", msgs);
    if (collect(s, msgs, err) < 0) return -1;
    s = store_prepare(ctx->st, "SELECT count(*) FROM chat_messages WHERE project = ? AND conversation_id = ?", err);
    if (!s) return -1;
    store_bind_text(s, 1, ctx->project);
    store_bind_text(s, 2, conv);
    if (store_step(s, err) != 1) return -1;
    int64_t total = store_col_int(s, 0);
    store_reset(s);
    jx_set_str(out, "conversation_id", conv);
    jx_set_int(out, "total_found", (int64_t)json_array_size(msgs));
    jx_set_int(out, "total_count", total);
    jx_set_int(out, "limit_applied", limit);
    jx_set_int(out, "offset", offset);
    jx_set_bool(out, "has_more", offset + (int64_t)json_array_size(msgs) < total);
    return 0;
}

/* route_query: memories (by type) and chat history searched with the same
 * fused score, merged, best first. "chat" in source_types means chat
 * history; any other entry is a memory resource_type. */
static double round4(double x) { return round(x * 1e4) / 1e4; }

static int cmp_routed(const void *a, const void *b) {
    double x = jx_real(*(json_t *const *)a, "score"), y = jx_real(*(json_t *const *)b, "score");
    return x < y ? 1 : x > y ? -1 : 0;
}

static int add_memory_hits(tool_ctx *ctx, const char *query, const char *type, size_t k, json_t *list, lt_err *err) {
    memory_filter f = {ctx->project, type, NULL, NULL, NULL, NULL};
    memory_hit *hits;
    size_t n;
    if (memory_search(ctx->mem, ctx->st, query, &f, k, &hits, &n, err)) return -1;
    for (size_t i = 0; i < n; i++) {
        json_t *row = memory_get(ctx->st, ctx->project, hits[i].memory_id, err);
        if (!row && err->code == LT_ERR_NOT_FOUND) { /* deleted by another process since the search */
            lt_err_clear(err);
            continue;
        }
        if (!row) { free(hits); return -1; }
        json_t *item = json_pack("{s:s, s:O, s:O, s:O, s:O, s:O, s:O, s:f, s:f}", "source_type", "memory", "id",
                                 json_object_get(row, "doc_id"), "resource_type", json_object_get(row, "resource_type"),
                                 "file_name", json_object_get(row, "file_name"), "conversation_id",
                                 json_object_get(row, "conversation_id"), "content", json_object_get(row, "content"),
                                 "created_at", json_object_get(row, "created_at"), "score", round4(hits[i].score),
                                 "similarity_score", round4(hits[i].similarity));
        json_decref(row);
        json_array_append_new(list, item);
    }
    free(hits);
    return 0;
}

static int add_chat_hits(tool_ctx *ctx, const char *query, size_t k, json_t *list, lt_err *err) {
    chat_hit *hits;
    size_t n;
    if (memory_search_chat(ctx->mem, ctx->st, ctx->project, query, k, &hits, &n, err)) return -1;
    for (size_t i = 0; i < n; i++) {
        store_stmt *s = store_prepare(ctx->st, "SELECT " CHAT_COLUMNS " FROM chat_messages WHERE id = ?", err);
        if (!s) { free(hits); return -1; }
        store_bind_int(s, 1, hits[i].chat_id);
        if (store_step(s, err) != 1) continue;
        json_t *row = store_row_json(s);
        store_reset(s);
        json_t *item = json_pack("{s:s, s:O, s:O, s:O, s:O, s:O, s:f, s:f}", "source_type", "chat", "id",
                                 json_object_get(row, "chat_id"), "conversation_id",
                                 json_object_get(row, "conversation_id"), "role", json_object_get(row, "role"),
                                 "content", json_object_get(row, "content"), "created_at",
                                 json_object_get(row, "created_at"), "score", round4(hits[i].score),
                                 "similarity_score", round4(hits[i].similarity));
        json_decref(row);
        json_array_append_new(list, item);
    }
    free(hits);
    return 0;
}

static int chat_route_query(tool_ctx *ctx, const json_t *args, json_t *out, lt_err *err) {
    const char *query = jx_str(args, "query");
    const json_t *types = json_object_get(args, "source_types");
    size_t k = (size_t)jx_int(args, "top_k", 5);
    json_t *routed = json_array(), *searched = json_array();
    int rc = 0;
    if (types && json_array_size(types)) {
        size_t i;
        json_t *t;
        json_array_foreach(types, i, t) {
            const char *type = json_string_value(t);
            json_array_append_new(searched, json_string(type));
            rc = strcmp(type, "chat") == 0 ? add_chat_hits(ctx, query, k, routed, err)
                                           : add_memory_hits(ctx, query, type, k, routed, err);
            if (rc) break;
        }
    } else {
        json_array_append_new(searched, json_string("memory"));
        json_array_append_new(searched, json_string("chat"));
        rc = add_memory_hits(ctx, query, NULL, k, routed, err);
        if (!rc) rc = add_chat_hits(ctx, query, k, routed, err);
    }
    if (rc) {
        json_decref(routed);
        json_decref(searched);
        return -1;
    }
    /* Merge by score; jansson has no sort, so sort the items' pointers. */
    size_t n = json_array_size(routed);
    json_t **items = malloc(sizeof *items * (n ? n : 1));
    if (!items) {
        json_decref(routed);
        json_decref(searched);
        return lt_err_set(err, LT_ERR_INTERNAL, "out of memory");
    }
    for (size_t i = 0; i < n; i++) items[i] = json_incref(json_array_get(routed, i));
    qsort(items, n, sizeof *items, cmp_routed);
    json_t *sorted = json_array();
    int64_t max_tokens = jx_int(args, "max_tokens", settings_int(ctx->cfg, SET_RETRIEVE_TOKEN_BUDGET));
    token_budget b = budget_start(max_tokens);
    for (size_t i = 0; i < n; i++) {
        if (json_array_size(sorted) < k && !budget_exhausted(&b)) {
            json_t *item = json_deep_copy(items[i]);
            budget_take(&b, item, "content");
            jx_set_int(item, "rank", (int64_t)json_array_size(sorted) + 1);
            json_array_append_new(sorted, item);
        }
        json_decref(items[i]);
    }
    free(items);
    json_decref(routed);
    jx_set_str(out, "query", query);
    jx_set_str(out, "routing_strategy", types && json_array_size(types) ? "filtered_by_type" : "general_search");
    json_object_set_new(out, "routed_chunks", sorted);
    json_object_set_new(out, "source_types_searched", searched);
    jx_set_int(out, "total_found", (int64_t)json_array_size(json_object_get(out, "routed_chunks")));
    jx_set_int(out, "tokens_used", b.used);
    return 0;
}

#define NAME_MAX_LEN 256
#define CONTENT_MAX (1024 * 1024)
#define LIMIT(def) {"limit", PT_INTEGER, false, def, "Most items to return.", NULL, 1, 1000, 0}
#define OFFSET {"offset", PT_INTEGER, false, "0", "Items to skip, for paging.", NULL, 0, INT64_MAX, 0}

static const param_def log_params[] = {
    {"conversation_id", PT_STRING, true, NULL, "Conversation the message belongs to.", NULL, 0, 0, NAME_MAX_LEN},
    {"role", PT_STRING, true, NULL, "Who spoke.", roles, 0, 0, 0},
    {"content", PT_STRING, true, NULL, "The message text.", NULL, 0, 0, CONTENT_MAX},
    {"agent_name", PT_STRING, false, NULL, "Name of the agent that logged it.", NULL, 0, 0, NAME_MAX_LEN},
    {"source_tool", PT_STRING, false, NULL, "Tool the message came from (e.g. claude-code).", NULL, 0, 0,
     NAME_MAX_LEN},
    {"metadata", PT_OBJECT, false, NULL, "Free-form JSON object stored with the message.", NULL, 0, 0, 0},
    {NULL}};
static const param_def by_tool_params[] = {
    {"source_tool", PT_STRING, true, NULL, "Tool the message came from (e.g. claude-code).", NULL, 0, 0,
     NAME_MAX_LEN},
    LIMIT("10"), OFFSET, {NULL}};
static const param_def conversations_params[] = {
    {"tool_name", PT_STRING, true, NULL,
     "Tool whose conversations to list: matches source_tool exactly or a substring of agent_name.", NULL, 0, 0,
     NAME_MAX_LEN},
    LIMIT("10"), {NULL}};
static const param_def conversation_params[] = {
    {"conversation_id", PT_STRING, true, NULL, "Conversation the message belongs to.", NULL, 0, 0, NAME_MAX_LEN},
    LIMIT("50"), OFFSET, {NULL}};

static const param_def route_params[] = {
    {"query", PT_STRING, true, NULL, "What to look for, in natural language or keywords.", NULL, 0, 0, 8192},
    {"source_types", PT_STRING_LIST, false, NULL,
     "Where to look: \"chat\" for chat history, any other value for memories of that resource_type. "
     "Default: all memories and chat history.", NULL, 0, 0, 0},
    {"top_k", PT_INTEGER, false, "5", "Most results to return.", NULL, 1, 100, 0},
    {"max_tokens", PT_INTEGER, false, NULL, "Token budget for the returned text (about 4 characters a token). "
     "Default: the retrieve_token_budget setting.", NULL, 1, 1000000, 0},
    {NULL}};

static const action_def chat_actions[] = {
    {"log", "record one message of a conversation (returns chat_id).", chat_log, log_params},
    {"get_by_tool", "messages logged by one source_tool, newest first.", chat_get_by_tool, by_tool_params},
    {"get_tool_conversations", "conversations a tool took part in, with message counts and times.",
     chat_get_tool_conversations, conversations_params},
    {"get_conversation", "the messages of one conversation, oldest first.", chat_get_conversation,
     conversation_params},
    {"route_query", "search memories and chat history together (optionally by source type), merged by score.",
     chat_route_query, route_params},
    {NULL}};

const tool_def chat_tool = {
    "chat_action", "Chat history",
    "Conversation logs that outlive the session: log messages, fetch them by conversation or by the tool that "
    "produced them, and route a query across chat history and memories.",
    chat_actions, false, false, false};
