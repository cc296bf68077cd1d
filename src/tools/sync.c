/* sync_action: documentation against code (original LTMC §6.10) for every
 * language code.h parses. `code` records each element's signature and doc
 * (code_snapshots); drift compares the code now with the docs in it, with
 * that snapshot and with a markdown document (src/code/drift.h) - never
 * file age; monitor runs the inotify watcher (src/code/watch.h), stop ends
 * it, status reports it with the blueprint counts. Files are read only
 * inside the project roots. */
#include "tool.h"

#include "../code/code.h"
#include "../code/docgen.h"
#include "../code/drift.h"
#include "../code/snapshot.h"
#include "../code/source.h"
#include "../code/watch.h"
#include "../core/clock.h"
#include "../core/jsonx.h"
#include "../fs/paths.h"
#include "../graph/blueprint.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SCAN_MAX_BYTES (64u * 1024u * 1024u)
#define MONITOR_PATHS_MAX 64
#define DOC_MAX_BYTES (4u * 1024u * 1024u)

static const char *roots(const tool_ctx *ctx) { return settings_str(ctx->cfg, SET_PROJECT_ROOTS); }

static const char *project_id(const tool_ctx *ctx, const json_t *args) {
    const char *p = jx_str(args, "project_id");
    return p && *p ? p : ctx->project;
}

static double round3(double v) { return round(v * 1000.0) / 1000.0; }

/* ---- code ---- */

typedef struct {
    tool_ctx *ctx;
    const char *now;
    json_t *files, *failed;
    size_t funcs, classes;
    size_t root_len;
} code_ctx;

/* Syncs one file: its snapshot replaces the previous one; what changed
 * since that one is reported. */
static int sync_file(code_ctx *c, const char *shown, const char *abs, json_t *report, lt_err *err) {
    char *buf;
    size_t len;
    code_file *f = NULL;
    code_lang lang = code_lang_from_path(abs);
    if (lang == CODE_LANG_UNKNOWN) return lt_err_set(err, LT_ERR_INVALID, "Unsupported source language: %s", shown);
    if (source_read(abs, CODE_MAX_SOURCE_BYTES, &buf, &len, err)) return -1;
    int rc = code_parse(buf, len, lang, &f, err);
    free(buf);
    if (rc) return -1;
    json_t *old = NULL;
    char synced[32];
    json_t *now = drift_elements(f);
    if (snapshot_load(c->ctx->st, c->ctx->project, abs, &old, synced, err) ||
        snapshot_save(c->ctx->st, c->ctx->project, abs, now, c->now, err)) {
        json_decref(old), json_decref(now), code_file_free(f);
        return -1;
    }
    json_t *changes = json_array();
    if (json_array_size(old)) drift_against_snapshot(old, now, changes);
    json_t *funcs = json_array(), *classes = json_array();
    for (size_t i = 0; i < f->nfuncs; i++) {
        const code_func *fn = &f->funcs[i];
        json_t *args = json_array();
        for (size_t k = 0; k < fn->nparams; k++) json_array_append_new(args, json_string(fn->params[k].name));
        json_array_append_new(funcs, json_pack("{s:s, s:i, s:o, s:o}", "name",
                                               fn->qualified_name ? fn->qualified_name : fn->name, "line", fn->line,
                                               "docstring", fn->doc ? json_string(fn->doc) : json_null(), "args",
                                               args));
    }
    for (size_t i = 0; i < f->nclasses; i++) {
        const code_class *k = &f->classes[i];
        json_t *m = json_array();
        for (size_t j = 0; j < k->nmethods; j++) json_array_append_new(m, json_string(k->methods[j]));
        json_array_append_new(classes, json_pack("{s:s, s:i, s:o, s:o}", "name", k->name, "line", k->line,
                                                 "docstring", k->doc ? json_string(k->doc) : json_null(), "methods",
                                                 m));
    }
    jx_set_str(report, "file_path", shown);
    jx_set_str(report, "language", code_lang_name(f->lang));
    jx_set_bool(report, "has_errors", f->has_errors);
    jx_set_int(report, "functions_found", (int64_t)f->nfuncs);
    jx_set_int(report, "classes_found", (int64_t)f->nclasses);
    json_object_set_new(report, "functions", funcs);
    json_object_set_new(report, "classes", classes);
    jx_set_str(report, "previous_sync", *synced ? synced : NULL);
    json_object_set_new(report, "changes_since_last_sync", changes);
    c->funcs += f->nfuncs;
    c->classes += f->nclasses;
    json_decref(old), json_decref(now);
    code_file_free(f);
    return 0;
}

static int code_visit(const char *abs, size_t size, void *vctx, lt_err *err) {
    (void)size, (void)err;
    code_ctx *c = vctx;
    const char *rel = abs + c->root_len;
    while (*rel == '/') rel++;
    json_t *r = json_object();
    lt_err ferr;
    if (sync_file(c, rel, abs, r, &ferr)) {
        json_array_append_new(c->failed, json_pack("{s:s, s:s}", "path", rel, "error", ferr.msg));
        json_decref(r);
        /* a database failure is everyone's failure; a bad file is only its own */
        if (ferr.code == LT_ERR_DB || ferr.code == LT_ERR_BUSY) {
            *err = ferr;
            return -1;
        }
        tool_report(c->ctx, (double)(json_array_size(c->files) + json_array_size(c->failed)), 0, rel);
        return 0;
    }
    /* keep the directory report small: counts per file */
    json_array_append_new(c->files, json_pack("{s:s, s:s, s:O, s:O, s:I}", "file_path", rel, "language",
                                              jx_str(r, "language"), "functions_found",
                                              json_object_get(r, "functions_found"), "classes_found",
                                              json_object_get(r, "classes_found"), "changes_since_last_sync",
                                              (json_int_t)json_array_size(json_object_get(r,
                                                                                           "changes_since_last_sync"))));
    json_decref(r);
    /* A tree can take a while: one progress report per file (total unknown
     * until the walk ends, so none is given). */
    tool_report(c->ctx, (double)(json_array_size(c->files) + json_array_size(c->failed)), 0, rel);
    return 0;
}

static int sync_code(tool_ctx *ctx, const json_t *args, json_t *out, lt_err *err) {
    const char *file = jx_str(args, "file_path"), *dir = jx_str(args, "directory_path");
    if (!file == !dir) return lt_err_set(err, LT_ERR_INVALID, "Give either file_path or directory_path");
    char now[CLOCK_ISO_LEN];
    clock_now_iso(now, sizeof now);
    code_ctx c = {ctx, now, json_array(), json_array(), 0, 0, 0};
    json_t *report = json_object();
    char abs[PATH_MAX];
    int rc = 0;
    if (file) {
        rc = paths_resolve(roots(ctx), file, PATHS_FILE, abs, err) || sync_file(&c, file, abs, report, err);
    } else if ((rc = paths_resolve(roots(ctx), dir, PATHS_DIR, abs, err)) == 0) {
        bool rec = jx_bool(args, "recursive", true), truncated = false;
        source_limits lim = {(size_t)jx_int(args, "max_files", 500), SCAN_MAX_BYTES, rec ? 32 : 0};
        c.root_len = strlen(abs);
        rc = source_walk(abs, &lim, code_visit, &c, &truncated, err);
        jx_set_str(report, "directory_path", dir);
        jx_set_bool(report, "recursive", rec);
        jx_set_int(report, "files_synced", (int64_t)json_array_size(c.files));
        jx_set_int(report, "functions_found", (int64_t)c.funcs);
        jx_set_int(report, "classes_found", (int64_t)c.classes);
        json_object_set(report, "files", c.files);
        json_object_set(report, "files_failed", c.failed);
        jx_set_bool(report, "truncated", truncated);
    }
    if (rc == 0) {
        jx_set_str(report, "project_id", project_id(ctx, args));
        jx_set_str(report, "sync_timestamp", now);
        jx_set_bool(report, "force_update", jx_bool(args, "force_update", false));
        json_object_set(out, "sync_report", report);
        char msg[200];
        if (file) snprintf(msg, sizeof msg, "Synced %s: %zu functions, %zu classes recorded", file, c.funcs, c.classes);
        else
            snprintf(msg, sizeof msg, "Synced %zu files (%zu failed): %zu functions, %zu classes recorded",
                     json_array_size(c.files), json_array_size(c.failed), c.funcs, c.classes);
        jx_set_str(out, "message", msg);
    }
    json_decref(report), json_decref(c.files), json_decref(c.failed);
    return rc ? -1 : 0;
}

/* ---- validate, score ---- */

static int sync_validate(tool_ctx *ctx, const json_t *args, json_t *out, lt_err *err) {
    char abs[PATH_MAX];
    code_file *f;
    if (source_load(roots(ctx), jx_str(args, "file_path"), abs, &f, err)) return -1;
    char now[CLOCK_ISO_LEN];
    clock_now_iso(now, sizeof now);
    jx_set_str(out, "file_path", jx_str(args, "file_path"));
    jx_set_str(out, "project_id", project_id(ctx, args));
    jx_set_str(out, "language", code_lang_name(f->lang));
    docgen_validate(f, out);
    jx_set_str(out, "validation_timestamp", now);
    code_file_free(f);
    return 0;
}

static int sync_score(tool_ctx *ctx, const json_t *args, json_t *out, lt_err *err) {
    char abs[PATH_MAX];
    code_file *f;
    if (source_load(roots(ctx), jx_str(args, "file_path"), abs, &f, err)) return -1;
    json_t *v = json_object();
    docgen_validate(f, v);
    char now[CLOCK_ISO_LEN];
    clock_now_iso(now, sizeof now);
    jx_set_str(out, "file_path", jx_str(args, "file_path"));
    jx_set_str(out, "project_id", project_id(ctx, args));
    jx_set_str(out, "language", code_lang_name(f->lang));
    jx_set_real(out, "consistency_score", jx_real(v, "consistency_score"));
    jx_set_str(out, "consistency_level", jx_str(v, "consistency_level"));
    jx_set_int(out, "total_elements", jx_int(v, "total_elements", 0));
    jx_set_real(out, "coverage", jx_real(v, "coverage"));
    jx_set_str(out, "score_timestamp", now);
    if (jx_bool(args, "detailed_analysis", false)) {
        json_t *det = json_array();
        size_t i;
        const json_t *e;
        json_array_foreach(json_object_get(v, "elements"), i, e) {
            json_array_append_new(det, json_pack("{s:O, s:O, s:O, s:O, s:O, s:O, s:I}", "name",
                                                 json_object_get(e, "name"), "type", json_object_get(e, "kind"),
                                                 "line", json_object_get(e, "line"), "has_docstring",
                                                 json_object_get(e, "documented"), "docstring_length",
                                                 json_object_get(e, "doc_length"), "score", json_object_get(e, "score"),
                                                 "issues", (json_int_t)json_array_size(json_object_get(e, "issues"))));
        }
        json_object_set_new(out, "detailed_elements", det);
    }
    json_decref(v);
    code_file_free(f);
    return 0;
}

/* ---- drift ---- */

static int sync_drift(tool_ctx *ctx, const json_t *args, json_t *out, lt_err *err) {
    char abs[PATH_MAX];
    code_file *f;
    if (source_load(roots(ctx), jx_str(args, "file_path"), abs, &f, err)) return -1;
    char *doc = NULL;
    const char *doc_path = jx_str(args, "doc_path");
    if (doc_path) {
        char dabs[PATH_MAX];
        size_t len;
        if (paths_resolve(roots(ctx), doc_path, PATHS_FILE, dabs, err) ||
            source_read(dabs, DOC_MAX_BYTES, &doc, &len, err)) {
            code_file_free(f);
            return -1;
        }
        if (memchr(doc, '\0', len)) {
            free(doc), code_file_free(f);
            return lt_err_set(err, LT_ERR_INVALID, "doc_path %s is not a text document (binary data)", doc_path);
        }
        jx_utf8_repair(doc);
    }
    json_t *old;
    char synced[32];
    if (snapshot_load(ctx->st, ctx->project, abs, &old, synced, err)) {
        free(doc), code_file_free(f);
        return -1;
    }
    json_t *now = drift_elements(f), *items = json_array();
    drift_in_code(f, items);
    if (json_array_size(old)) drift_against_snapshot(old, now, items);
    if (doc) drift_markdown(doc, now, json_array_size(old) ? old : NULL, f->lang, items);
    char ts[CLOCK_ISO_LEN];
    clock_now_iso(ts, sizeof ts);
    jx_set_str(out, "file_path", jx_str(args, "file_path"));
    jx_set_str(out, "doc_path", doc_path);
    jx_set_str(out, "project_id", project_id(ctx, args));
    jx_set_str(out, "language", code_lang_name(f->lang));
    jx_set_str(out, "snapshot_synced_at", *synced ? synced : NULL);
    /* A syntax error hides what follows it: elements may look removed. */
    jx_set_bool(out, "has_errors", f->has_errors);
    if (f->has_errors) jx_set_int(out, "error_line", f->error_line);
    drift_summarize(items, out);
    json_object_set(out, "drift_items", items);
    jx_set_int(out, "elements_checked", (int64_t)json_array_size(now));
    json_t *sources = json_array();
    json_array_append_new(sources, json_string("code_docs"));
    if (json_array_size(old)) json_array_append_new(sources, json_string("snapshot"));
    if (doc) json_array_append_new(sources, json_string("doc_path"));
    json_object_set_new(out, "compared_against", sources);
    jx_set_str(out, "check_timestamp", ts);
    json_decref(items), json_decref(now), json_decref(old);
    free(doc);
    code_file_free(f);
    return 0;
}

/* ---- blueprint ---- */

static void md_list(FILE *m, const char *label, const char *json_text) {
    json_t *a = json_text ? jx_parse(json_text, strlen(json_text), NULL, 0) : NULL;
    fprintf(m, "\n**%s:**", label);
    if (!json_array_size(a)) fputs(" none\n", m);
    else {
        fputc('\n', m);
        size_t i;
        json_t *v;
        json_array_foreach(a, i, v) if (json_is_string(v)) fprintf(m, "- %s\n", json_string_value(v));
    }
    json_decref(a);
}

static bool want(const json_t *sections, const char *s) {
    size_t i;
    const json_t *v;
    json_array_foreach(sections, i, v) if (!strcmp(json_string_value(v), s)) return true;
    return false;
}

static int sync_blueprint(tool_ctx *ctx, const json_t *args, json_t *out, lt_err *err) {
    const char *id = jx_str(args, "blueprint_id"), *pid = jx_str(args, "project_id");
    store_stmt *s = store_prepare(ctx->st,
                                  "SELECT title, description, complexity, complexity_score, priority_score, "
                                  "estimated_duration_minutes, required_skills, tags, status, project_id, "
                                  "created_at, updated_at FROM blueprints WHERE id = ? AND project = ? "
                                  "AND (?3 IS NULL OR project_id = ?3)",
                                  err);
    if (!s) return -1;
    store_bind_text(s, 1, id);
    store_bind_text(s, 2, ctx->project);
    store_bind_text(s, 3, pid);
    int rc = store_step(s, err);
    if (rc < 0) return -1;
    if (rc == 0)
        return lt_err_set(err, LT_ERR_NOT_FOUND, "Blueprint %s not found%s%s", id, pid ? " in project_id " : "",
                          pid ? pid : "");
    const json_t *sections = json_object_get(args, "sections");
    size_t si;
    const json_t *sv;
    json_array_foreach(sections, si, sv) {
        const char *n = json_string_value(sv);
        if (strcmp(n, "description") && strcmp(n, "requirements") && strcmp(n, "architecture")) {
            store_reset(s);
            return lt_err_set(err, LT_ERR_INVALID,
                              "Unknown section '%.100s' (use description, requirements, architecture)", n);
        }
    }
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (!m) {
        store_reset(s);
        return lt_err_set(err, LT_ERR_INTERNAL, "Out of memory");
    }
    char row_pid[256];
    snprintf(row_pid, sizeof row_pid, "%s", store_col_text(s, 9));
    fprintf(m, "# %s\n", store_col_text(s, 0));
    if (want(sections, "description")) fprintf(m, "\n%s\n", store_col_text(s, 1));
    if (want(sections, "requirements")) {
        fprintf(m, "\n## Requirements\n\n**Complexity:** %s (score %.2f)\n\n**Priority score:** %.2f\n\n"
                   "**Estimated duration:** %lld minutes\n",
                store_col_text(s, 2), store_col_real(s, 3), store_col_real(s, 4), (long long)store_col_int(s, 5));
        md_list(m, "Required skills", store_col_text(s, 6));
    }
    bool arch = want(sections, "architecture");
    if (arch) {
        fprintf(m, "\n## Architecture\n\n**Status:** %s\n", store_col_text(s, 8));
        md_list(m, "Tags", store_col_text(s, 7));
    }
    store_reset(s);
    if (arch) {
        json_t *deps = json_object();
        lt_err derr;
        if (blueprint_dependencies(ctx->st, ctx->project, id, deps, &derr) == 0) {
            const char *keys[] = {"dependencies", "dependents"};
            const char *titles[] = {"Depends on", "Needed by"};
            for (int k = 0; k < 2; k++) {
                const json_t *list = json_object_get(deps, keys[k]);
                fprintf(m, "\n**%s:**%s\n", titles[k], json_array_size(list) ? "" : " none");
                size_t i;
                const json_t *d;
                json_array_foreach(list, i, d) {
                    const char *bid = jx_str(d, k ? "dependent_blueprint_id" : "prerequisite_blueprint_id");
                    const char *title = jx_str(d, k ? "dependent_title" : "prerequisite_title");
                    fprintf(m, "- %s%s%s%s\n", bid ? bid : "?", title ? " (" : "", title ? title : "", title ? ")" : "");
                }
            }
        }
        json_decref(deps);
    }
    fclose(m);
    char now[CLOCK_ISO_LEN];
    clock_now_iso(now, sizeof now);
    jx_set_str(out, "blueprint_id", id);
    jx_set_str(out, "project_id", row_pid);
    json_object_set(out, "sections", (json_t *)sections);
    jx_set_str(out, "documentation_content", buf ? buf : "");
    jx_set_str(out, "update_timestamp", now);
    free(buf);
    return 0;
}

/* ---- monitor, stop, status ---- */

static int sync_monitor(tool_ctx *ctx, const json_t *args, json_t *out, lt_err *err) {
    const char *db = settings_str(ctx->cfg, SET_DB_PATH);
    if (!strcmp(db, ":memory:"))
        return lt_err_set(err, LT_ERR_INVALID, "The monitor needs a database file (db_path is :memory:)");
    const json_t *list = json_object_get(args, "file_paths");
    if (json_array_size(list) > MONITOR_PATHS_MAX)
        return lt_err_set(err, LT_ERR_INVALID, "file_paths has %zu entries (limit %d)", json_array_size(list),
                          MONITOR_PATHS_MAX);
    char *abs = calloc(MONITOR_PATHS_MAX, PATH_MAX);
    const char *paths[MONITOR_PATHS_MAX];
    if (!abs) return lt_err_set(err, LT_ERR_INTERNAL, "Out of memory");
    size_t n = 0, i;
    const json_t *p;
    json_t *invalid = json_array();
    json_array_foreach(list, i, p) {
        lt_err perr;
        char *slot = abs + n * PATH_MAX;
        if (paths_resolve(roots(ctx), json_string_value(p), PATHS_ANY, slot, &perr)) {
            json_array_append_new(invalid, json_pack("{s:s, s:s}", "path", json_string_value(p), "error", perr.msg));
            continue;
        }
        paths[n++] = slot;
    }
    if (n == 0) {
        const json_t *first = json_array_get(invalid, 0);
        lt_err_set(err, LT_ERR_INVALID, "No valid path to monitor%s%s", first ? ": " : "",
                   first ? jx_str(first, "error") : "");
        json_decref(invalid), free(abs);
        return -1;
    }
    store_options opt = {db, (int)settings_int(ctx->cfg, SET_BUSY_TIMEOUT_MS),
                         (int)settings_int(ctx->cfg, SET_SQLITE_CACHE_MB), 0,
                         strcmp(settings_str(ctx->cfg, SET_SQLITE_SYNCHRONOUS), "full") == 0};
    watch_config wc = {&opt, roots(ctx), ctx->project, paths, n, (size_t)settings_int(ctx->cfg, SET_WATCH_MAX_DIRS)};
    jx_set_str(out, "project_id", project_id(ctx, args));
    int rc = watch_start(&wc, out, err);
    free(abs);
    if (rc) {
        json_decref(invalid);
        return -1;
    }
    json_object_set_new(out, "invalid_paths", invalid);
    jx_set_bool(out, "monitor_started", true);
    jx_set_str(out, "message", "Monitoring started: changes are recorded and re-checked for drift (sync_action "
                               "status shows them; stop ends it)");
    return 0;
}

static int sync_stop(tool_ctx *ctx, const json_t *args, json_t *out, lt_err *err) {
    (void)ctx, (void)args, (void)err;
    bool was;
    json_t *fin = json_object();
    watch_stop(&was, fin);
    jx_set_bool(out, "stopped", was);
    jx_set_bool(out, "was_active", was);
    json_object_update(out, fin);
    json_decref(fin);
    jx_set_str(out, "message", was ? "Monitoring stopped" : "No monitor was running");
    return 0;
}

static int count_query(store *st, const char *sql, const char *project, int64_t *out, lt_err *err) {
    store_stmt *s = store_prepare(st, sql, err);
    if (!s) return -1;
    store_bind_text(s, 1, project);
    int rc = store_step(s, err);
    if (rc < 0) return -1;
    *out = rc ? store_col_int(s, 0) : 0;
    store_reset(s);
    return 0;
}

static int sync_status(tool_ctx *ctx, const json_t *args, json_t *out, lt_err *err) {
    json_t *rt = watch_status();
    int64_t total = 0, processed = 0, errors = 0, pending = 0, bp_total = 0, bp_done = 0, bp_prog = 0, files = 0,
            elements = 0;
    const char *p = ctx->project;
    if (count_query(ctx->st, "SELECT count(*) FROM watch_events WHERE project = ?", p, &total, err) ||
        count_query(ctx->st, "SELECT count(*) FROM watch_events WHERE project = ? AND status = 'processed'", p,
                    &processed, err) ||
        count_query(ctx->st, "SELECT count(*) FROM watch_events WHERE project = ? AND status = 'error'", p, &errors,
                    err) ||
        count_query(ctx->st, "SELECT count(*) FROM watch_events WHERE project = ? AND status = 'pending'", p,
                    &pending, err) ||
        count_query(ctx->st, "SELECT count(*) FROM blueprints WHERE project = ?", p, &bp_total, err) ||
        count_query(ctx->st, "SELECT count(*) FROM blueprints WHERE project = ? AND status = 'completed'", p,
                    &bp_done, err) ||
        count_query(ctx->st, "SELECT count(*) FROM blueprints WHERE project = ? AND status = 'in_progress'", p,
                    &bp_prog, err) ||
        count_query(ctx->st, "SELECT count(DISTINCT path) FROM code_snapshots WHERE project = ?", p, &files, err) ||
        count_query(ctx->st, "SELECT count(*) FROM code_snapshots WHERE project = ?", p, &elements, err)) {
        json_decref(rt);
        return -1;
    }
    jx_set_int(rt, "total_events", total);
    /* The last event as stored (the monitor's own copy is set just after
     * its row commits, so a status in between would disagree). */
    store_stmt *le = store_prepare(ctx->st,
                                   "SELECT id, path, event, observed_at, status FROM watch_events WHERE project = ? "
                                   "ORDER BY id DESC LIMIT 1",
                                   err);
    if (!le) {
        json_decref(rt);
        return -1;
    }
    store_bind_text(le, 1, p);
    int lrc = store_step(le, err);
    if (lrc < 0) {
        json_decref(rt);
        return -1;
    }
    if (lrc == 1) {
        json_object_set_new(rt, "last_event", store_row_json(le));
        store_reset(le);
    } else if (!json_object_get(rt, "last_event")) {
        json_object_set_new(rt, "last_event", json_null());
    }
    jx_set_int(rt, "processed_events", processed);
    jx_set_int(rt, "error_events", errors);
    json_t *recent = json_array();
    store_stmt *s = store_prepare(ctx->st,
                                  "SELECT id, path, event, observed_at, status, result, processed_at FROM watch_events "
                                  "WHERE project = ? ORDER BY id DESC LIMIT ?",
                                  err);
    if (!s) {
        json_decref(rt), json_decref(recent);
        return -1;
    }
    store_bind_text(s, 1, p);
    store_bind_int(s, 2, jx_int(args, "recent_events", 10));
    int rc;
    while ((rc = store_step(s, err)) == 1) {
        const char *res = store_col_text(s, 5);
        json_t *rj = res ? jx_parse(res, strlen(res), NULL, 0) : NULL;
        json_array_append_new(recent, json_pack("{s:I, s:s, s:s, s:s, s:s, s:o, s:o}", "id",
                                                (json_int_t)store_col_int(s, 0), "path", store_col_text(s, 1), "event",
                                                store_col_text(s, 2), "observed_at", store_col_text(s, 3), "status",
                                                store_col_text(s, 4), "result", rj ? rj : json_null(), "processed_at",
                                                store_col_is_null(s, 6) ? json_null()
                                                                        : json_string(store_col_text(s, 6))));
    }
    if (rc < 0) {
        json_decref(rt), json_decref(recent);
        return -1;
    }
    char now[CLOCK_ISO_LEN];
    clock_now_iso(now, sizeof now);
    jx_set_bool(rt, "success", true);
    jx_set_str(out, "project_id", project_id(ctx, args));
    json_object_set_new(out, "real_time_monitoring", rt);
    json_object_set_new(out, "recent_events", recent);
    jx_set_int(out, "total_blueprints", bp_total);
    jx_set_int(out, "completed_blueprints", bp_done);
    jx_set_int(out, "in_progress_blueprints", bp_prog);
    jx_set_real(out, "sync_percentage", bp_total ? round3(100.0 * (double)bp_done / (double)bp_total) : 0.0);
    jx_set_int(out, "synced_files", files);
    jx_set_int(out, "synced_elements", elements);
    jx_set_str(out, "status_timestamp", now);
    if (jx_bool(args, "include_pending_changes", true))
        json_object_set_new(out, "pending_changes",
                            json_pack("{s:I, s:I, s:I}", "documentation_updates", (json_int_t)pending, "code_changes",
                                      (json_int_t)total, "blueprint_changes", (json_int_t)bp_prog));
    return 0;
}

/* ---- declarations ---- */


#define PROJECT_ID                                                                                           \
    {"project_id", PT_STRING, false, NULL, "The original's project label (echoed; for blueprint, the blueprint's " \
     "project_id must match when given).", NULL, 0, 0, 200}
#define FILE_PATH                                                                                            \
    {"file_path", PT_STRING, true, NULL, "Source file, relative to the first project root (or absolute inside a " \
     "root).", NULL, 0, 0, 4096}

static const param_def code_params[] = {
    {"file_path", PT_STRING, false, NULL, "A source file to sync (or directory_path).", NULL, 0, 0, 4096},
    {"directory_path", PT_STRING, false, NULL, "A directory whose source files are synced.", NULL, 0, 0, 4096},
    {"recursive", PT_BOOLEAN, false, "true", "With directory_path: include subdirectories.", NULL, 0, 0, 0},
    {"max_files", PT_INTEGER, false, "500", "With directory_path: most files synced.", NULL, 1, 5000, 0},
    {"force_update", PT_BOOLEAN, false, "false", "Echoed: every sync replaces the snapshot.", NULL, 0, 0, 0},
    PROJECT_ID,
    {NULL}};
static const param_def file_params[] = {FILE_PATH, PROJECT_ID, {NULL}};
static const param_def drift_params[] = {
    FILE_PATH,
    {"doc_path", PT_STRING, false, NULL, "A markdown document describing the code, checked against it.", NULL, 0,
     0, 4096},
    PROJECT_ID,
    {NULL}};
static const param_def score_params[] = {
    FILE_PATH,
    {"detailed_analysis", PT_BOOLEAN, false, "false", "Add detailed_elements (score per element).", NULL, 0, 0, 0},
    PROJECT_ID,
    {NULL}};
static const param_def blueprint_params[] = {
    {"blueprint_id", PT_STRING, true, NULL, "Blueprint id (bp_...).", NULL, 0, 0, 64},
    {"sections", PT_STRING_LIST, false, "[\"description\", \"requirements\", \"architecture\"]",
     "Sections to render: description, requirements, architecture.", NULL, 0, 0, 0},
    PROJECT_ID,
    {NULL}};
static const param_def monitor_params[] = {
    {"file_paths", PT_STRING_LIST, true, NULL, "Directories (watched recursively) and files to monitor, inside "
     "the project roots.", NULL, 0, 0, 0},
    PROJECT_ID,
    {NULL}};
static const param_def stop_params[] = {{NULL}};
static const param_def status_params[] = {
    {"include_pending_changes", PT_BOOLEAN, false, "true", "Add pending_changes counts.", NULL, 0, 0, 0},
    {"recent_events", PT_INTEGER, false, "10", "Most recent monitor events listed (with their re-check).", NULL, 0,
     100, 0},
    PROJECT_ID,
    {NULL}};

static const action_def sync_actions[] = {
    {"code", "record each element's signature and doc for a file or directory (the snapshot drift compares "
             "against); reports functions, classes and changes since the last sync.",
     sync_code, code_params},
    {"validate", "documentation coverage and consistency of a file (missing, short, parameters, returns).",
     sync_validate, file_params},
    {"drift", "documentation that no longer matches the code: docs in the code, the last sync's snapshot and "
              "optionally a markdown doc (removed, renamed, changed signatures, stale or missing parameters).",
     sync_drift, drift_params},
    {"blueprint", "render a blueprint as markdown (description, requirements, architecture with dependencies).",
     sync_blueprint, blueprint_params},
    {"score", "documentation score of a file, optionally per element.", sync_score, score_params},
    {"monitor", "watch directories/files (inotify, recursive, bounded); every change is recorded and re-checked "
                "for drift. Replaces a running monitor.",
     sync_monitor, monitor_params},
    {"stop", "stop the monitor.", sync_stop, stop_params},
    {"status", "monitor state, event counts and recent events with their re-check, blueprint counts.",
     sync_status, status_params},
    {NULL}};

const tool_def sync_tool = {
    "sync_action", "Documentation sync",
    "Keeps documentation in step with code (C, Python, JavaScript, TypeScript, Go, Rust): snapshots of "
    "signatures and docs, validation and scores, real drift detection (signatures, parameters, removed or "
    "renamed elements), blueprint docs, and a file monitor (monitor, stop, status).",
    sync_actions, false, false, false};
