/* documentation_action: documentation generated from the code (original
 * LTMC §6.9), for every language code.h parses. API references from files
 * on disk or given sources, a dependency diagram of the real includes and
 * imports (Mermaid and PlantUML), a page per file, and the consistency of
 * the docs in the code with the code. Files are read only inside the
 * project roots (src/code/source.h); nothing is written. */
#include "tool.h"

#include "../code/code.h"
#include "../code/depgraph.h"
#include "../code/docgen.h"
#include "../code/source.h"
#include "../core/clock.h"
#include "../core/jsonx.h"
#include "../fs/paths.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SOURCES_MAX 500                        /* source_files entries */
#define SOURCES_MAX_BYTES (16u * 1024u * 1024u) /* their text together */
#define SCAN_MAX_BYTES (64u * 1024u * 1024u)   /* a directory walk reads at most this */

static const char *roots(const tool_ctx *ctx) { return settings_str(ctx->cfg, SET_PROJECT_ROOTS); }

static const char *project_id(const tool_ctx *ctx, const json_t *args) {
    const char *p = jx_str(args, "project_id");
    return p && *p ? p : ctx->project;
}

/* ---- generate_api_docs ---- */

typedef struct {
    tool_ctx *ctx;
    json_t *files; /* docgen_file_json results or {path, error} */
    size_t funcs, classes, failed;
    code_lang lang; /* forced language, or UNKNOWN: by extension */
    size_t root_len;
} api_ctx;

static void count_api(api_ctx *a, const json_t *fj) {
    size_t i;
    const json_t *c;
    a->funcs += json_array_size(json_object_get(fj, "functions"));
    json_array_foreach(json_object_get(fj, "classes"), i, c) a->funcs += json_array_size(json_object_get(c, "methods"));
    a->classes += json_array_size(json_object_get(fj, "classes"));
}

static void api_failed(api_ctx *a, const char *path, const char *msg) {
    json_array_append_new(a->files, json_pack("{s:s, s:s}", "path", path, "error", msg));
    a->failed++;
}

static void api_text(api_ctx *a, const char *path, const char *text, size_t len) {
    code_lang lang = a->lang ? a->lang : code_lang_from_path(path);
    if (lang == CODE_LANG_UNKNOWN) {
        api_failed(a, path, "Unknown language: give `language` or use a known extension (.c .h .py .js .mjs .cjs "
                            ".jsx .ts .tsx .go .rs)");
        return;
    }
    code_file *f;
    lt_err err;
    if (code_parse(text, len, lang, &f, &err)) {
        api_failed(a, path, err.msg);
        return;
    }
    json_t *fj = docgen_file_json(f, path);
    count_api(a, fj);
    json_array_append_new(a->files, fj);
    code_file_free(f);
}

static void api_disk(api_ctx *a, const char *shown, const char *abs) {
    char *buf;
    size_t len;
    lt_err err;
    if (source_read(abs, CODE_MAX_SOURCE_BYTES, &buf, &len, &err)) {
        api_failed(a, shown, err.msg);
        return;
    }
    api_text(a, shown, buf, len);
    free(buf);
}

static int api_visit(const char *abs, size_t size, void *vctx, lt_err *err) {
    (void)size, (void)err;
    api_ctx *a = vctx;
    const char *rel = abs + a->root_len;
    while (*rel == '/') rel++;
    api_disk(a, rel, abs);
    tool_report(a->ctx, (double)json_array_size(a->files), 0, rel); /* one report per file of the tree */
    return 0;
}

static int doc_api(tool_ctx *ctx, const json_t *args, json_t *out, lt_err *err) {
    const json_t *sources = json_object_get(args, "source_files");
    const json_t *paths = json_object_get(args, "file_paths");
    const char *dir = jx_str(args, "directory_path");
    if (!json_object_size(sources) && !json_array_size(paths) && !dir)
        return lt_err_set(err, LT_ERR_INVALID,
                          "Give source_files ({path: source text}), file_paths (files in the project) or "
                          "directory_path");
    api_ctx a = {ctx, json_array(), 0, 0, 0, CODE_LANG_UNKNOWN, 0};
    const char *lname = jx_str(args, "language");
    if (lname && (a.lang = code_lang_from_name(lname)) == CODE_LANG_UNKNOWN) {
        json_decref(a.files);
        return lt_err_set(err, LT_ERR_INVALID, "Unsupported language: %s", lname);
    }
    /* Sources given as text. */
    if (json_object_size(sources) > SOURCES_MAX) {
        json_decref(a.files);
        return lt_err_set(err, LT_ERR_INVALID, "source_files has %zu entries (limit %d)", json_object_size(sources),
                          SOURCES_MAX);
    }
    size_t total = 0;
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)sources, key, v) {
        if (!json_is_string(v)) {
            json_decref(a.files);
            return lt_err_set(err, LT_ERR_INVALID, "source_files['%.200s'] must be the source text (a string)", key);
        }
        total += json_string_length(v);
    }
    if (total > SOURCES_MAX_BYTES) {
        json_decref(a.files);
        return lt_err_set(err, LT_ERR_INVALID, "source_files hold %zu bytes (limit %u)", total, SOURCES_MAX_BYTES);
    }
    json_object_foreach((json_t *)sources, key, v) api_text(&a, key, json_string_value(v), json_string_length(v));
    /* Files on disk: every path is checked against the roots first. */
    size_t i;
    const json_t *p;
    json_array_foreach(paths, i, p) {
        char abs[PATH_MAX];
        lt_err perr;
        if (paths_resolve(roots(ctx), json_string_value(p), PATHS_FILE, abs, &perr)) {
            api_failed(&a, json_string_value(p), perr.msg);
            continue;
        }
        api_disk(&a, json_string_value(p), abs);
    }
    bool truncated = false;
    if (dir) {
        char abs[PATH_MAX];
        if (paths_resolve(roots(ctx), dir, PATHS_DIR, abs, err)) {
            json_decref(a.files);
            return -1;
        }
        source_limits lim = {(size_t)jx_int(args, "max_files", 200), SCAN_MAX_BYTES, 32};
        a.root_len = strlen(abs);
        if (source_walk(abs, &lim, api_visit, &a, &truncated, err)) {
            json_decref(a.files);
            return -1;
        }
    }
    const char *format = jx_str(args, "output_format");
    bool md = !strcmp(format, "markdown");
    jx_set_str(out, "project_id", project_id(ctx, args));
    jx_set_str(out, "output_format", format);
    if (md) {
        char *text = docgen_markdown(project_id(ctx, args), a.files);
        if (!text) {
            json_decref(a.files);
            return lt_err_set(err, LT_ERR_INTERNAL, "Out of memory");
        }
        jx_utf8_repair(text);
        jx_set_str(out, "documentation", text);
        free(text);
    } else {
        json_object_set_new(out, "documentation", json_pack("{s:O}", "files", a.files));
    }
    jx_set_int(out, "files_processed", (int64_t)(json_array_size(a.files) - a.failed));
    jx_set_int(out, "files_failed", (int64_t)a.failed);
    jx_set_int(out, "total_functions", (int64_t)a.funcs);
    jx_set_int(out, "total_classes", (int64_t)a.classes);
    json_t *errors = json_array();
    json_array_foreach(a.files, i, p) if (jx_str(p, "error")) json_array_append(errors, (json_t *)p);
    json_object_set_new(out, "errors", errors);
    if (dir) jx_set_bool(out, "truncated", truncated);
    json_decref(a.files);
    return 0;
}

/* ---- generate_architecture_diagram ---- */

static int doc_diagram(tool_ctx *ctx, const json_t *args, json_t *out, lt_err *err) {
    char abs[PATH_MAX];
    if (paths_resolve(roots(ctx), jx_str(args, "directory_path"), PATHS_DIR, abs, err)) return -1;
    source_limits lim = {(size_t)jx_int(args, "max_files", 500), SCAN_MAX_BYTES, 32};
    bool ext = jx_bool(args, "include_dependencies", true);
    depgraph *g;
    if (depgraph_build(abs, &lim, ext, &g, err)) return -1;
    const char *format = jx_str(args, "format");
    char title[300];
    snprintf(title, sizeof title, "%s module dependencies", project_id(ctx, args));
    char *mermaid = strcmp(format, "plantuml") ? depgraph_mermaid(g, title) : NULL;
    char *puml = strcmp(format, "mermaid") ? depgraph_plantuml(g, title) : NULL;
    if ((strcmp(format, "plantuml") && !mermaid) || (strcmp(format, "mermaid") && !puml)) {
        free(mermaid), free(puml), depgraph_free(g);
        return lt_err_set(err, LT_ERR_INTERNAL, "Out of memory");
    }
    if (mermaid) jx_utf8_repair(mermaid);
    if (puml) jx_utf8_repair(puml);
    jx_set_str(out, "project_id", project_id(ctx, args));
    jx_set_str(out, "diagram_type", "component");
    jx_set_str(out, "diagram_content", mermaid ? mermaid : puml);
    jx_set_str(out, "format", format);
    if (mermaid && puml) {
        jx_set_str(out, "mermaid", mermaid);
        jx_set_str(out, "plantuml", puml);
    }
    jx_set_bool(out, "include_dependencies", ext);
    jx_set_str(out, "directory_path", jx_str(args, "directory_path"));
    jx_set_int(out, "nodes", (int64_t)depgraph_node_count(g));
    jx_set_int(out, "edges", (int64_t)depgraph_edge_count(g));
    json_t *gj = depgraph_json(g);
    jx_set_int(out, "files_scanned", jx_int(gj, "files_scanned", 0));
    jx_set_bool(out, "truncated", jx_bool(gj, "truncated", false));
    json_object_set(out, "skipped", json_object_get(gj, "skipped"));
    json_object_set(out, "unresolved_local", json_object_get(gj, "unresolved_local"));
    json_object_set_new(out, "graph", json_pack("{s:O, s:O}", "nodes", json_object_get(gj, "nodes"), "edges",
                                                json_object_get(gj, "edges")));
    json_decref(gj);
    free(mermaid), free(puml);
    depgraph_free(g);
    return 0;
}

/* ---- one file ---- */

/* Loads the file_path argument and starts the reply every one-file action
 * gives: file_path, project_id, language, has_errors; now gets the time. */
static int load_file(tool_ctx *ctx, const json_t *args, json_t *out, char now[CLOCK_ISO_LEN], code_file **f,
                     lt_err *err) {
    char abs[PATH_MAX];
    if (source_load(roots(ctx), jx_str(args, "file_path"), abs, f, err)) return -1;
    clock_now_iso(now, CLOCK_ISO_LEN);
    jx_set_str(out, "file_path", jx_str(args, "file_path"));
    jx_set_str(out, "project_id", project_id(ctx, args));
    jx_set_str(out, "language", code_lang_name((*f)->lang));
    jx_set_bool(out, "has_errors", (*f)->has_errors);
    return 0;
}

static int doc_sync(tool_ctx *ctx, const json_t *args, json_t *out, lt_err *err) {
    char now[CLOCK_ISO_LEN];
    code_file *f;
    if (load_file(ctx, args, out, now, &f, err)) return -1;
    docgen_sync(f, jx_str(args, "file_path"), project_id(ctx, args), now, out);
    jx_set_str(out, "sync_timestamp", now);
    jx_set_bool(out, "force_update", jx_bool(args, "force_update", false));
    code_file_free(f);
    return 0;
}

static int doc_validate(tool_ctx *ctx, const json_t *args, json_t *out, lt_err *err) {
    char now[CLOCK_ISO_LEN];
    code_file *f;
    if (load_file(ctx, args, out, now, &f, err)) return -1;
    docgen_validate(f, out);
    jx_set_str(out, "validation_timestamp", now);
    code_file_free(f);
    return 0;
}

/* ---- declarations ---- */

static const char *const formats[] = {"markdown", "json", NULL};
static const char *const diagram_formats[] = {"mermaid", "plantuml", "both", NULL};

#define PROJECT_ID                                                                                           \
    {"project_id", PT_STRING, false, NULL, "Label used in titles (default: the project's name).", NULL, 0, 0, 200}
#define FILE_PATH                                                                                            \
    {"file_path", PT_STRING, true, NULL, "Source file, relative to the first project root (or absolute inside a " \
     "root).", NULL, 0, 0, 4096}

static const param_def api_params[] = {
    {"source_files", PT_OBJECT, false, NULL,
     "Sources as text: {path: source}. The language comes from the path's extension (or `language`).", NULL, 0, 0,
     0},
    {"file_paths", PT_STRING_LIST, false, NULL, "Source files in the project to document.", NULL, 0, 0, 0},
    {"directory_path", PT_STRING, false, NULL, "A directory of the project: every source file under it.", NULL, 0,
     0, 4096},
    {"language", PT_STRING, false, NULL, "Language of every source (c, python, javascript, typescript, tsx, go, "
     "rust); default: by extension.", NULL, 0, 0, 32},
    {"output_format", PT_STRING, false, "\"markdown\"", "markdown (text) or json (structured).", formats, 0, 0, 0},
    {"max_files", PT_INTEGER, false, "200", "Most files read from directory_path.", NULL, 1, 5000, 0},
    PROJECT_ID,
    {NULL}};
static const param_def diagram_params[] = {
    {"directory_path", PT_STRING, false, "\".\"", "Directory whose sources are scanned (recursively; hidden, "
     "vendor and build directories skipped).", NULL, 0, 0, 4096},
    {"format", PT_STRING, false, "\"mermaid\"", "mermaid (flowchart), plantuml (component diagram) or both.",
     diagram_formats, 0, 0, 0},
    {"include_dependencies", PT_BOOLEAN, false, "true", "Show external modules (system headers, packages) as "
     "nodes.", NULL, 0, 0, 0},
    {"max_files", PT_INTEGER, false, "500", "Most source files scanned.", NULL, 1, 5000, 0},
    PROJECT_ID,
    {NULL}};
static const param_def sync_params[] = {
    FILE_PATH,
    {"force_update", PT_BOOLEAN, false, "false", "Echoed (nothing is cached or written).", NULL, 0, 0, 0},
    PROJECT_ID,
    {NULL}};
static const param_def validate_params[] = {FILE_PATH, PROJECT_ID, {NULL}};

static const action_def doc_actions[] = {
    {"generate_api_docs",
     "API reference (classes with methods; functions with signature, parameters, return type, doc) of given "
     "sources or project files, as markdown or JSON; a file that cannot be parsed is reported, not fatal.",
     doc_api, api_params},
    {"generate_architecture_diagram",
     "module dependency diagram of a directory, from the real includes and imports (local ones resolved to "
     "files), as Mermaid and/or PlantUML, with node and edge counts.",
     doc_diagram, diagram_params},
    {"sync_documentation_with_code",
     "a markdown page for one source file and its code_structure (functions, classes, imports, docstrings).",
     doc_sync, sync_params},
    {"validate_documentation_consistency",
     "coverage and quality of one file's docs: missing or short docs, parameters documented against the real "
     "ones (Google, NumPy, Sphinx, JSDoc, Doxygen, Rust conventions), return values; score and issues.",
     doc_validate, validate_params},
    {NULL}};

const tool_def documentation_tool = {
    "documentation_action", "Documentation",
    "Documentation from the code, in C, Python, JavaScript, TypeScript, Go and Rust: API references, "
    "dependency diagrams (Mermaid, PlantUML), per-file pages and documentation consistency checks. Reads files "
    "only inside the project roots; writes nothing.",
    doc_actions, true, false, true};
