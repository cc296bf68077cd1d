/* todo_action: a per-project task list (original LTMC §6.2, plus update and
 * delete). Lists are ordered by priority (urgent first), then newest. */
#include "tool.h"

#include "../core/clock.h"
#include "../core/jsonx.h"

#include <stdio.h>
#include <string.h>

static const char *const priorities[] = {"low", "medium", "high", "urgent", NULL};
static const char *const statuses[] = {"pending", "in_progress", "completed", NULL};
static const char *const list_statuses[] = {"all", "pending", "in_progress", "completed", NULL};

#define TODO_COLUMNS                                                                                    \
    "id AS todo_id, title, description, priority, status, status = 'completed' AS completed, created_at, " \
    "updated_at, completed_at"

/* Reads rows into out.todos (completed as a boolean) and returns the count. */
static int collect(store_stmt *s, json_t *out, lt_err *err) {
    json_t *todos = json_array();
    int rc;
    while ((rc = store_step(s, err)) == 1) {
        json_t *row = store_row_json(s);
        jx_set_bool(row, "completed", json_integer_value(json_object_get(row, "completed")) != 0);
        json_array_append_new(todos, row);
    }
    json_object_set_new(out, "todos", todos);
    return rc < 0 ? -1 : (int)json_array_size(todos);
}

/* Loads one todo of the project into *row; LT_ERR_NOT_FOUND when absent. */
static int load(tool_ctx *ctx, int64_t id, json_t **row, lt_err *err) {
    store_stmt *s = store_prepare(ctx->st, "SELECT " TODO_COLUMNS " FROM todos WHERE id = ? AND project = ?", err);
    if (!s) return -1;
    store_bind_int(s, 1, id);
    store_bind_text(s, 2, ctx->project);
    int rc = store_step(s, err);
    if (rc < 0) return -1;
    if (rc == 0) return lt_err_set(err, LT_ERR_NOT_FOUND, "Todo with ID %lld not found", (long long)id);
    *row = store_row_json(s);
    jx_set_bool(*row, "completed", json_integer_value(json_object_get(*row, "completed")) != 0);
    store_reset(s);
    return 0;
}

/* ---- add ---- */

typedef struct {
    tool_ctx *ctx;
    const json_t *args;
    char now[CLOCK_ISO_LEN];
    int64_t id;
    json_t *row;
} write_ctx;

static int add_tx(store *st, void *vctx, lt_err *err) {
    write_ctx *w = vctx;
    store_stmt *s = store_prepare(st,
                                  "INSERT INTO todos(project, title, description, priority, status, created_at, "
                                  "updated_at) VALUES (?, ?, ?, ?, 'pending', ?, ?)",
                                  err);
    if (!s) return -1;
    store_bind_text(s, 1, w->ctx->project);
    store_bind_text(s, 2, jx_str(w->args, "title"));
    store_bind_text(s, 3, jx_str(w->args, "description"));
    store_bind_text(s, 4, jx_str(w->args, "priority"));
    store_bind_text(s, 5, w->now);
    store_bind_text(s, 6, w->now);
    if (store_step(s, err) < 0) return -1;
    w->id = store_last_insert_id(st);
    return 0;
}

static int todo_add(tool_ctx *ctx, const json_t *args, json_t *out, lt_err *err) {
    write_ctx w = {ctx, args, "", 0, NULL};
    clock_now_iso(w.now, sizeof w.now);
    if (store_write(ctx->st, add_tx, &w, err)) return -1;
    jx_set_int(out, "todo_id", w.id);
    jx_set_str(out, "title", jx_str(args, "title"));
    jx_set_str(out, "description", jx_str(args, "description"));
    jx_set_str(out, "priority", jx_str(args, "priority"));
    jx_set_str(out, "status", "pending");
    jx_set_str(out, "created_at", w.now);
    jx_set_str(out, "project", ctx->project);
    jx_set_str(out, "message", "Todo added");
    return 0;
}

/* ---- list and search ---- */

static int list_or_search(tool_ctx *ctx, const json_t *args, json_t *out, lt_err *err, bool search) {
    const char *status = jx_str(args, "status");
    if (status && strcmp(status, "all") == 0) status = NULL;
    int64_t limit = jx_int(args, "limit", 10), offset = jx_int(args, "offset", 0);
    const char *query = jx_str(args, "query");
    /* LIKE with our own escape so % and _ in a query match literally. */
    char pattern[4200];
    if (search) {
        size_t n = 0;
        pattern[n++] = '%';
        for (const char *q = query; *q && n < sizeof pattern - 3; q++) {
            if (*q == '%' || *q == '_' || *q == '\\') pattern[n++] = '\\';
            pattern[n++] = *q;
        }
        pattern[n++] = '%';
        pattern[n] = '\0';
    }
    /* Separate statements with and without a status keep each on its index. */
    const char *status_cond = status ? " AND status = ?2" : " AND ?2 IS NULL";
    const char *text_cond = search ? " AND (title LIKE ?3 ESCAPE '\\' OR description LIKE ?3 ESCAPE '\\')" : "";
    char where[256];
    snprintf(where, sizeof where, " WHERE project = ?1%s%s", status_cond, text_cond);
    char sql[1024];
    snprintf(sql, sizeof sql, "SELECT " TODO_COLUMNS " FROM todos%s ORDER BY priority_rank, created_at DESC, id DESC "
             "LIMIT ?4 OFFSET ?5", where);
    store_stmt *s = store_prepare(ctx->st, sql, err);
    if (!s) return -1;
    store_bind_text(s, 1, ctx->project);
    store_bind_text(s, 2, status);
    if (search) store_bind_text(s, 3, pattern);
    store_bind_int(s, 4, limit);
    store_bind_int(s, 5, offset);
    int n = collect(s, out, err);
    if (n < 0) return -1;

    snprintf(sql, sizeof sql, "SELECT count(*) FROM todos%s", where);
    s = store_prepare(ctx->st, sql, err);
    if (!s) return -1;
    store_bind_text(s, 1, ctx->project);
    store_bind_text(s, 2, status);
    if (search) store_bind_text(s, 3, pattern);
    if (store_step(s, err) != 1) return -1;
    int64_t total = store_col_int(s, 0);
    store_reset(s);

    if (search) jx_set_str(out, "search_query", query);
    jx_set_str(out, "status_filter", status ? status : (search ? NULL : "all"));
    jx_set_int(out, "total_found", n);
    jx_set_int(out, "total_count", total);
    jx_set_int(out, "limit_applied", limit);
    jx_set_int(out, "offset", offset);
    jx_set_bool(out, "has_more", offset + n < total);
    jx_set_str(out, "project", ctx->project);
    return 0;
}

static int todo_list(tool_ctx *ctx, const json_t *args, json_t *out, lt_err *err) {
    return list_or_search(ctx, args, out, err, false);
}

static int todo_search(tool_ctx *ctx, const json_t *args, json_t *out, lt_err *err) {
    return list_or_search(ctx, args, out, err, true);
}

/* ---- complete, update, delete ---- */

typedef struct {
    tool_ctx *ctx;
    const json_t *args;
    int64_t id;
    char now[CLOCK_ISO_LEN];
    json_t *before; /* the row before the change */
    json_t *after;
    json_t *updated_fields;
} change_ctx;

static int complete_tx(store *st, void *vctx, lt_err *err) {
    change_ctx *c = vctx;
    json_decref(c->before);
    c->before = NULL;
    if (load(c->ctx, c->id, &c->before, err)) return -1;
    if (strcmp(jx_str(c->before, "status"), "completed") == 0) return 0;
    store_stmt *s = store_prepare(st,
                                  "UPDATE todos SET status = 'completed', completed_at = ?1, updated_at = ?1 "
                                  "WHERE id = ?2 AND project = ?3",
                                  err);
    if (!s) return -1;
    store_bind_text(s, 1, c->now);
    store_bind_int(s, 2, c->id);
    store_bind_text(s, 3, c->ctx->project);
    return store_step(s, err) < 0 ? -1 : 0;
}

static int todo_complete(tool_ctx *ctx, const json_t *args, json_t *out, lt_err *err) {
    change_ctx c = {ctx, args, jx_int(args, "todo_id", 0), "", NULL, NULL, NULL};
    clock_now_iso(c.now, sizeof c.now);
    int rc = store_write(ctx->st, complete_tx, &c, err);
    if (rc == 0) {
        bool already = strcmp(jx_str(c.before, "status"), "completed") == 0;
        jx_set_int(out, "todo_id", c.id);
        jx_set_str(out, "title", jx_str(c.before, "title"));
        jx_set_str(out, "status", "completed");
        jx_set_str(out, "completed_at", already ? jx_str(c.before, "completed_at") : c.now);
        jx_set_bool(out, "already_completed", already);
        jx_set_str(out, "message", already ? "Todo was already completed" : "Todo completed");
    }
    json_decref(c.before);
    return rc;
}

static int update_tx(store *st, void *vctx, lt_err *err) {
    change_ctx *c = vctx;
    json_decref(c->before);
    json_decref(c->after);
    json_decref(c->updated_fields);
    c->before = c->after = NULL;
    c->updated_fields = json_array();
    if (load(c->ctx, c->id, &c->before, err)) return -1;

    static const char *const fields[] = {"title", "description", "priority", "status"};
    const char *val[4];
    for (int i = 0; i < 4; i++) {
        val[i] = jx_str(c->args, fields[i]);
        if (val[i]) json_array_append_new(c->updated_fields, json_string(fields[i]));
    }
    const char *status = val[3];
    const char *was = jx_str(c->before, "status");
    /* completed_at follows the status: set on entering completed, cleared on leaving it. */
    const char *completed_at = jx_str(c->before, "completed_at");
    if (status && strcmp(status, "completed") == 0 && strcmp(was, "completed") != 0) completed_at = c->now;
    if (status && strcmp(status, "completed") != 0) completed_at = NULL;
    store_stmt *s = store_prepare(st,
                                  "UPDATE todos SET title = coalesce(?1, title), description = coalesce(?2, description),"
                                  " priority = coalesce(?3, priority), status = coalesce(?4, status),"
                                  " completed_at = ?5, updated_at = ?6 WHERE id = ?7 AND project = ?8",
                                  err);
    if (!s) return -1;
    for (int i = 0; i < 4; i++) store_bind_text(s, i + 1, val[i]);
    store_bind_text(s, 5, completed_at);
    store_bind_text(s, 6, c->now);
    store_bind_int(s, 7, c->id);
    store_bind_text(s, 8, c->ctx->project);
    if (store_step(s, err) < 0) return -1;
    return load(c->ctx, c->id, &c->after, err);
}

static int todo_update(tool_ctx *ctx, const json_t *args, json_t *out, lt_err *err) {
    if (!jx_str(args, "title") && !jx_str(args, "description") && !jx_str(args, "priority") &&
        !jx_str(args, "status"))
        return lt_err_set(err, LT_ERR_INVALID,
                          "Nothing to update: give at least one of title, description, priority, status");
    const char *title = jx_str(args, "title"); /* optional here, but add never allows a blank title */
    if (title && !title[strspn(title, " \t\n\r\f\v")])
        return lt_err_set(err, LT_ERR_INVALID, "Parameter 'title' must not be empty");
    change_ctx c = {ctx, args, jx_int(args, "todo_id", 0), "", NULL, NULL, NULL};
    clock_now_iso(c.now, sizeof c.now);
    int rc = store_write(ctx->st, update_tx, &c, err);
    if (rc == 0) {
        jx_set_int(out, "todo_id", c.id);
        json_object_set(out, "todo", c.after);
        json_object_set(out, "updated_fields", c.updated_fields);
        jx_set_str(out, "message", "Todo updated");
    }
    json_decref(c.before);
    json_decref(c.after);
    json_decref(c.updated_fields);
    return rc;
}

static int delete_tx(store *st, void *vctx, lt_err *err) {
    change_ctx *c = vctx;
    json_decref(c->before);
    c->before = NULL;
    if (load(c->ctx, c->id, &c->before, err)) return -1;
    store_stmt *s = store_prepare(st, "DELETE FROM todos WHERE id = ? AND project = ?", err);
    if (!s) return -1;
    store_bind_int(s, 1, c->id);
    store_bind_text(s, 2, c->ctx->project);
    if (store_step(s, err) < 0) return -1;
    /* A todo linked in the knowledge graph has the node todo:<id>; it and
     * its relationships go with the todo. */
    s = store_prepare(st, "DELETE FROM graph_nodes WHERE project = ? AND node_key = 'todo:' || ?", err);
    if (!s) return -1;
    store_bind_text(s, 1, c->ctx->project);
    store_bind_int(s, 2, c->id);
    return store_step(s, err) < 0 ? -1 : 0;
}

static int todo_delete(tool_ctx *ctx, const json_t *args, json_t *out, lt_err *err) {
    change_ctx c = {ctx, args, jx_int(args, "todo_id", 0), "", NULL, NULL, NULL};
    int rc = store_write(ctx->st, delete_tx, &c, err);
    if (rc == 0) {
        jx_set_int(out, "todo_id", c.id);
        jx_set_str(out, "title", jx_str(c.before, "title"));
        jx_set_bool(out, "deleted", true);
        jx_set_str(out, "message", "Todo deleted");
    }
    json_decref(c.before);
    return rc;
}

/* ---- declarations ---- */

#define TITLE_MAX 1000
#define DESC_MAX (64 * 1024)
#define TODO_ID {"todo_id", PT_INTEGER, true, NULL, "Id of the todo, as returned by add.", NULL, 1, INT64_MAX, 0}
#define LIMIT {"limit", PT_INTEGER, false, "10", "Most todos to return.", NULL, 1, 1000, 0}
#define OFFSET {"offset", PT_INTEGER, false, "0", "Todos to skip, for paging.", NULL, 0, INT64_MAX, 0}

static const param_def add_params[] = {
    {"title", PT_STRING, true, NULL, "Short title of the task.", NULL, 0, 0, TITLE_MAX},
    {"description", PT_STRING, false, "\"\"", "Longer description.", NULL, 0, 0, DESC_MAX},
    {"priority", PT_STRING, false, "\"medium\"", "Priority.", priorities, 0, 0, 0},
    {NULL}};
static const param_def list_params[] = {
    {"status", PT_STRING, false, "\"all\"", "Status to show ('all' for every status).", list_statuses, 0, 0, 0},
    LIMIT, OFFSET, {NULL}};
static const param_def complete_params[] = {TODO_ID, {NULL}};
static const param_def search_params[] = {
    {"query", PT_STRING, true, NULL, "Text to find in titles and descriptions (case-insensitive).", NULL, 0, 0,
     TITLE_MAX},
    {"status", PT_STRING, false, NULL, "Only todos with this status ('all' for every status).", list_statuses,
     0, 0, 0},
    LIMIT, OFFSET, {NULL}};
static const param_def update_params[] = {
    TODO_ID,
    {"title", PT_STRING, false, NULL, "New title.", NULL, 0, 0, TITLE_MAX},
    {"description", PT_STRING, false, NULL, "New description.", NULL, 0, 0, DESC_MAX},
    {"priority", PT_STRING, false, NULL, "New priority.", priorities, 0, 0, 0},
    {"status", PT_STRING, false, NULL, "New status.", statuses, 0, 0, 0},
    {NULL}};
static const param_def delete_params[] = {TODO_ID, {NULL}};

static const action_def todo_actions[] = {
    {"add", "add a todo (returns todo_id).", todo_add, add_params},
    {"list", "list todos, most urgent and newest first, optionally by status.", todo_list, list_params},
    {"complete", "mark a todo completed (idempotent).", todo_complete, complete_params},
    {"search", "find todos whose title or description contains query.", todo_search, search_params},
    {"update", "change a todo's title, description, priority or status.", todo_update, update_params},
    {"delete", "delete a todo.", todo_delete, delete_params},
    {NULL}};

const tool_def todo_tool = {
    "todo_action", "Todos",
    "Persistent task list per project: add, list, complete, search, update, delete. Todos survive across "
    "conversations; ordered by priority (urgent, high, medium, low), then newest.",
    todo_actions, false, true, false};
