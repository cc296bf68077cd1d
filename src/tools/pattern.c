/* pattern_action: code analysis on the syntax model of src/code (original
 * LTMC §6.5, every supported language instead of Python only) and
 * experience replay of coding attempts (search/attempts.h).
 *
 * Code comes as text (source_code, or the original's code_content) or as a
 * file_path inside the project roots. The language is the `language`
 * parameter, else the file's extension, else Python (the original's only
 * language). When text and file_path are both given the text is analysed
 * and file_path only names it. */
#include "tool.h"

#include "../code/code.h"
#include "../core/clock.h"
#include "../core/jsonx.h"
#include "../fs/paths.h"
#include "../search/attempts.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

static const char *roots(const tool_ctx *ctx) { return settings_str(ctx->cfg, SET_PROJECT_ROOTS); }

/* ---- loading code ---------------------------------------------------------- */

typedef struct {
    char *text; /* owned when read from a file */
    const char *src;
    size_t len;
    const char *path; /* as given, or NULL */
    code_file *f;
} loaded;

static void loaded_free(loaded *l) {
    free(l->text);
    code_file_free(l->f);
}

static int supported_list(char *buf, size_t len) {
    size_t n = 0;
    buf[0] = '\0';
    for (const char *const *p = code_lang_names(); *p && n < len; p++)
        n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? ", " : "", *p);
    return 0;
}

static char *read_source(const char *abs, const char *shown, size_t *len, lt_err *err) {
    struct stat sb;
    if (stat(abs, &sb) != 0) {
        lt_err_set(err, LT_ERR_IO, "Cannot read file: %s", shown);
        return NULL;
    }
    if ((size_t)sb.st_size > CODE_MAX_SOURCE_BYTES) {
        lt_err_set(err, LT_ERR_INVALID, "File is too large to parse: %s (%lld bytes, the limit is %u)", shown,
                   (long long)sb.st_size, CODE_MAX_SOURCE_BYTES);
        return NULL;
    }
    FILE *fp = fopen(abs, "rb");
    if (!fp) {
        lt_err_set(err, LT_ERR_IO, "Cannot read file: %s", shown);
        return NULL;
    }
    char *buf = malloc((size_t)sb.st_size + 1);
    if (!buf) {
        fclose(fp);
        lt_err_set(err, LT_ERR_INTERNAL, "Out of memory");
        return NULL;
    }
    *len = fread(buf, 1, (size_t)sb.st_size, fp);
    bool more = fgetc(fp) != EOF; /* grew since stat */
    fclose(fp);
    if (more) {
        free(buf);
        lt_err_set(err, LT_ERR_IO, "File changed while being read: %s", shown);
        return NULL;
    }
    buf[*len] = '\0';
    return buf;
}

static int load(tool_ctx *ctx, const json_t *args, loaded *l, lt_err *err) {
    memset(l, 0, sizeof *l);
    const char *text = jx_str(args, "source_code");
    if (!text) text = jx_str(args, "code_content");
    l->path = jx_str(args, "file_path");
    if (!text && !l->path)
        return lt_err_set(err, LT_ERR_INVALID, "Missing required parameter: source_code (or code_content, or file_path)");
    const char *lname = jx_str(args, "language");
    code_lang lang = CODE_LANG_PYTHON;
    char names[128];
    if (lname && *lname && strcasecmp(lname, "auto") != 0) {
        lang = code_lang_from_name(lname);
        if (lang == CODE_LANG_UNKNOWN) {
            supported_list(names, sizeof names);
            return lt_err_set(err, LT_ERR_INVALID, "Unsupported language: %.60s (supported: %s)", lname, names);
        }
    } else if (l->path) {
        lang = code_lang_from_path(l->path);
        if (lang == CODE_LANG_UNKNOWN) {
            supported_list(names, sizeof names);
            return lt_err_set(err, LT_ERR_INVALID,
                              "Cannot tell the language of %.200s from its extension; pass language (one of: %s)",
                              l->path, names);
        }
    }
    if (text) {
        l->src = text;
        l->len = strlen(text);
    } else {
        char abs[PATH_MAX];
        if (paths_resolve(roots(ctx), l->path, PATHS_FILE, abs, err)) return -1;
        l->text = read_source(abs, l->path, &l->len, err);
        if (!l->text) return -1;
        l->src = l->text;
    }
    if (code_parse(l->src, l->len, lang, &l->f, err)) {
        if (l->path) lt_err_prefix(err, "%s", l->path);
        free(l->text);
        l->text = NULL;
        return -1;
    }
    return 0;
}

/* The common result keys of the code actions. */
static void code_meta(json_t *out, const loaded *l) {
    jx_set_str(out, "tool", "tree-sitter");
    jx_set_str(out, "language", code_lang_name(l->f->lang));
    jx_set_int(out, "source_lines", l->f->lines);
    jx_set_bool(out, "has_syntax_errors", l->f->has_errors);
    if (l->f->has_errors) jx_set_int(out, "error_line", l->f->error_line);
    jx_set_str(out, "file_path", l->path);
}

static json_t *strv(char *const *v, size_t n) {
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) json_array_append_new(a, json_string(v[i]));
    return a;
}

/* ---- extract_functions ------------------------------------------------------ */

/* The functions are written as JSON text directly (jx_text), the same text
 * a jansson object per function would give: on a large file that many
 * objects cost more to build, serialise and free than the walk that found
 * the functions. */
static void strv_text(jx_text *t, char *const *v, size_t n) {
    JX_TEXT_LIT(t, "[");
    for (size_t i = 0; i < n; i++) {
        if (i) JX_TEXT_LIT(t, ",");
        jx_text_str(t, v[i]);
    }
    JX_TEXT_LIT(t, "]");
}

static void func_text(jx_text *t, const code_func *fn) {
    JX_TEXT_LIT(t, "{\"name\":");
    jx_text_str(t, fn->name);
    JX_TEXT_LIT(t, ",\"qualified_name\":");
    jx_text_str(t, fn->qualified_name);
    JX_TEXT_LIT(t, ",\"line_number\":");
    jx_text_int(t, fn->line);
    JX_TEXT_LIT(t, ",\"end_line\":");
    jx_text_int(t, fn->end_line);
    JX_TEXT_LIT(t, ",\"args\":[");
    for (size_t i = 0; i < fn->nparams; i++) {
        if (i) JX_TEXT_LIT(t, ",");
        jx_text_str(t, fn->params[i].name);
    }
    JX_TEXT_LIT(t, "],\"params\":[");
    for (size_t i = 0; i < fn->nparams; i++) {
        const code_param *p = &fn->params[i];
        if (i) JX_TEXT_LIT(t, ",");
        JX_TEXT_LIT(t, "{\"name\":");
        jx_text_str(t, p->name);
        JX_TEXT_LIT(t, ",\"type\":");
        jx_text_str(t, p->type);
        JX_TEXT_LIT(t, ",\"default\":");
        jx_text_str(t, p->default_value);
        JX_TEXT_LIT(t, "}");
    }
    JX_TEXT_LIT(t, "],\"returns\":");
    jx_text_str(t, fn->return_type);
    JX_TEXT_LIT(t, ",\"docstring\":");
    jx_text_str(t, fn->doc);
    JX_TEXT_LIT(t, ",\"decorator_list\":");
    strv_text(t, fn->decorators, fn->ndecorators);
    JX_TEXT_LIT(t, ",\"is_async\":");
    jx_text_bool(t, fn->is_async);
    JX_TEXT_LIT(t, ",\"is_method\":");
    jx_text_bool(t, fn->is_method);
    JX_TEXT_LIT(t, ",\"parent\":");
    jx_text_str(t, fn->parent);
    JX_TEXT_LIT(t, ",\"is_exported\":");
    jx_text_bool(t, fn->is_exported);
    JX_TEXT_LIT(t, ",\"complexity\":");
    jx_text_int(t, fn->complexity);
    JX_TEXT_LIT(t, ",\"signature\":");
    jx_text_str(t, fn->signature);
    JX_TEXT_LIT(t, "}");
}

static int pat_extract_functions(tool_ctx *ctx, const json_t *args, json_t *out, lt_err *err) {
    loaded l;
    if (load(ctx, args, &l, err)) return -1;
    jx_text t = {0};
    JX_TEXT_LIT(&t, "[");
    for (size_t i = 0; i < l.f->nfuncs; i++) {
        if (i) JX_TEXT_LIT(&t, ",");
        func_text(&t, &l.f->funcs[i]);
    }
    JX_TEXT_LIT(&t, "]");
    json_t *a = jx_raw(&t);
    if (!a) {
        loaded_free(&l);
        return lt_err_set(err, LT_ERR_INTERNAL, "Out of memory");
    }
    json_object_set_new(out, "functions", a);
    jx_set_int(out, "count", (int64_t)l.f->nfuncs);
    code_meta(out, &l);
    loaded_free(&l);
    return 0;
}

/* ---- extract_classes ------------------------------------------------------------ */

/* Methods by (owner, name), so each class finds its methods' functions by
 * binary search: the owner is the last part of the function's parent
 * ("Outer.Inner" -> "Inner"), which is the class's name. */
typedef struct {
    const char *owner;
    size_t owner_len;
    const code_func *fn;
} method_ref;

static int method_cmp(const char *owner, size_t olen, const char *name, const method_ref *m) {
    size_t l = olen < m->owner_len ? olen : m->owner_len;
    int c = memcmp(owner, m->owner, l);
    if (c == 0 && olen != m->owner_len) c = olen < m->owner_len ? -1 : 1;
    return c ? c : strcmp(name, m->fn->name);
}

static int by_method(const void *a, const void *b) {
    const method_ref *x = a, *y = b;
    int c = method_cmp(x->owner, x->owner_len, x->fn->name, y);
    return c ? c : (x->fn > y->fn) - (x->fn < y->fn);
}

typedef struct {
    method_ref *refs;
    size_t n;
} method_index;

static void method_index_build(method_index *mi, const code_file *f) {
    mi->n = 0;
    mi->refs = malloc((f->nfuncs + 1) * sizeof *mi->refs);
    if (!mi->refs) return;
    for (size_t i = 0; i < f->nfuncs; i++) {
        const code_func *fn = &f->funcs[i];
        if (!fn->is_method || !fn->parent) continue;
        const char *dot = strrchr(fn->parent, '.');
        const char *owner = dot ? dot + 1 : fn->parent;
        mi->refs[mi->n++] = (method_ref){owner, strlen(owner), fn};
    }
    qsort(mi->refs, mi->n, sizeof *mi->refs, by_method);
}

/* The function that is method `name` of class c: the one inside the class
 * body when several match (Python, JS), else the first (Go, Rust). */
static const code_func *method_of(const method_index *mi, const code_class *c, const char *name) {
    size_t olen = strlen(c->name), lo = 0, hi = mi->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (method_cmp(c->name, olen, name, &mi->refs[mid]) > 0) lo = mid + 1;
        else hi = mid;
    }
    const code_func *best = NULL;
    for (size_t i = lo; i < mi->n && method_cmp(c->name, olen, name, &mi->refs[i]) == 0; i++) {
        const code_func *fn = mi->refs[i].fn;
        if (fn->line >= c->line && fn->line <= c->end_line) return fn;
        if (!best) best = fn;
    }
    return best;
}

static bool is_property(const code_func *fn) {
    for (size_t i = 0; i < fn->ndecorators; i++) {
        const char *d = fn->decorators[i];
        size_t l = strlen(d);
        if (!strcmp(d, "property") || !strcmp(d, "cached_property") || !strcmp(d, "functools.cached_property") ||
            (l > 7 && !strcmp(d + l - 7, ".setter")) || (l > 7 && !strcmp(d + l - 7, ".getter")))
            return true;
    }
    const char *s = fn->signature ? fn->signature : "";
    while (!strncmp(s, "static ", 7) || !strncmp(s, "public ", 7) || !strncmp(s, "private ", 8) ||
           !strncmp(s, "protected ", 10))
        s = strchr(s, ' ') + 1;
    return !strncmp(s, "get ", 4) || !strncmp(s, "set ", 4);
}

static json_t *class_json(const method_index *mi, const code_class *c) {
    json_t *o = json_object();
    jx_set_str(o, "name", c->name);
    jx_set_str(o, "kind", c->kind);
    jx_set_int(o, "line_number", c->line);
    jx_set_int(o, "end_line", c->end_line);
    json_object_set_new(o, "bases", strv(c->bases, c->nbases));
    jx_set_str(o, "docstring", c->doc);
    json_t *methods = json_array();
    for (size_t i = 0; i < c->nmethods; i++) {
        json_t *m = json_object();
        const code_func *fn = method_of(mi, c, c->methods[i]);
        jx_set_str(m, "name", c->methods[i]);
        if (fn) {
            jx_set_int(m, "line_number", fn->line);
            json_t *args = json_array();
            for (size_t k = 0; k < fn->nparams; k++) json_array_append_new(args, json_string(fn->params[k].name));
            json_object_set_new(m, "args", args);
            jx_set_bool(m, "is_property", is_property(fn));
            jx_set_bool(m, "is_async", fn->is_async);
            jx_set_int(m, "complexity", fn->complexity);
            jx_set_bool(m, "has_body", true);
        } else { /* an interface or trait method: a signature without a body */
            jx_set_null(m, "line_number");
            json_object_set_new(m, "args", json_array());
            jx_set_bool(m, "is_property", false);
            jx_set_bool(m, "has_body", false);
        }
        json_array_append_new(methods, m);
    }
    json_object_set_new(o, "methods", methods);
    json_t *attrs = json_array();
    for (size_t i = 0; i < c->nattributes; i++) json_array_append_new(attrs, json_pack("{s:s}", "name", c->attributes[i]));
    json_object_set_new(o, "attributes", attrs);
    jx_set_int(o, "method_count", (int64_t)c->nmethods);
    jx_set_int(o, "attribute_count", (int64_t)c->nattributes);
    return o;
}

static int pat_extract_classes(tool_ctx *ctx, const json_t *args, json_t *out, lt_err *err) {
    loaded l;
    if (load(ctx, args, &l, err)) return -1;
    method_index mi;
    method_index_build(&mi, l.f);
    if (!mi.refs) {
        loaded_free(&l);
        return lt_err_set(err, LT_ERR_INTERNAL, "Out of memory");
    }
    json_t *a = json_array();
    for (size_t i = 0; i < l.f->nclasses; i++) json_array_append_new(a, class_json(&mi, &l.f->classes[i]));
    free(mi.refs);
    json_object_set_new(out, "classes", a);
    jx_set_int(out, "count", (int64_t)l.f->nclasses);
    code_meta(out, &l);
    loaded_free(&l);
    return 0;
}

/* ---- extract_comments ------------------------------------------------------------- */

static const char *const comment_kinds[] = {"docstring", "inline", "block"};

/* Line starts of the source, so line n is [starts[n-1], starts[n]). */
typedef struct {
    const char *src;
    size_t len;
    size_t *starts;
    int n;
} line_index;

static int index_lines(line_index *li, const char *src, size_t len, int lines) {
    li->src = src, li->len = len, li->n = lines;
    li->starts = malloc(((size_t)lines + 2) * sizeof *li->starts);
    if (!li->starts) return -1;
    int k = 0;
    li->starts[k++] = 0;
    for (size_t i = 0; i < len && k <= lines; i++)
        if (src[i] == '\n') li->starts[k++] = i + 1;
    while (k <= lines + 1) li->starts[k++] = len;
    return 0;
}

static json_t *line_text(const line_index *li, int line) {
    if (line < 1 || line > li->n) return NULL;
    size_t a = li->starts[line - 1], b = li->starts[line];
    while (b > a && (li->src[b - 1] == '\n' || li->src[b - 1] == '\r')) b--;
    char *t = strndup(li->src + a, b - a); /* the source may hold invalid UTF-8 past the checked start */
    if (!t) return json_null();
    jx_utf8_repair(t);
    json_t *j = json_string(t);
    free(t);
    return j ? j : json_null();
}

static json_t *lines_json(const line_index *li, int from, int to) {
    json_t *a = json_array();
    for (int i = from < 1 ? 1 : from; i <= to && i <= li->n; i++) {
        json_t *t = line_text(li, i);
        if (t) json_array_append_new(a, t);
    }
    return a;
}

/* Definitions by name (functions by qualified name, classes by name), to
 * type the parent of each docstring without a scan per comment. */
typedef struct {
    const char *name;
    const char *type;
} named_def;

static int by_def_name(const void *a, const void *b) {
    return strcmp(((const named_def *)a)->name, ((const named_def *)b)->name);
}

static named_def *def_index(const code_file *f, size_t *n) {
    named_def *d = malloc((f->nfuncs + f->nclasses + 1) * sizeof *d);
    if (!d) return NULL;
    size_t k = 0;
    for (size_t i = 0; i < f->nfuncs; i++)
        d[k++] = (named_def){f->funcs[i].qualified_name ? f->funcs[i].qualified_name : f->funcs[i].name,
                             f->funcs[i].is_method ? "method" : "function"};
    for (size_t i = 0; i < f->nclasses; i++) d[k++] = (named_def){f->classes[i].name, f->classes[i].kind};
    qsort(d, k, sizeof *d, by_def_name);
    *n = k;
    return d;
}

static const char *parent_type(const named_def *defs, size_t n, const char *name) {
    if (!name) return "module";
    named_def key = {name, NULL};
    const named_def *d = bsearch(&key, defs, n, sizeof *defs, by_def_name);
    return d ? d->type : "definition";
}

static int pat_extract_comments(tool_ctx *ctx, const json_t *args, json_t *out, lt_err *err) {
    const json_t *types = json_object_get(args, "comment_types");
    bool want[3] = {true, true, true};
    if (types && json_array_size(types)) {
        want[0] = want[1] = want[2] = false;
        size_t i;
        json_t *t;
        json_array_foreach(types, i, t) {
            const char *s = json_string_value(t);
            int k = -1;
            for (int j = 0; j < 3; j++)
                if (!strcmp(s, comment_kinds[j])) k = j;
            if (k < 0)
                return lt_err_set(err, LT_ERR_INVALID,
                                  "Invalid comment type: %.60s (expected docstring, inline or block)", s);
            want[k] = true;
        }
    }
    bool ctxlines = jx_bool(args, "include_context", false);
    loaded l;
    if (load(ctx, args, &l, err)) return -1;
    line_index li = {0};
    size_t ndefs = 0;
    named_def *defs = def_index(l.f, &ndefs);
    if (!defs || index_lines(&li, l.src, l.len, l.f->lines)) {
        free(defs);
        loaded_free(&l);
        return lt_err_set(err, LT_ERR_INTERNAL, "Out of memory");
    }
    json_t *a = json_array();
    for (size_t i = 0; i < l.f->ncomments; i++) {
        const code_comment *c = &l.f->comments[i];
        if (!want[c->kind]) continue;
        json_t *o = json_object();
        jx_set_str(o, "type", comment_kinds[c->kind]);
        jx_set_str(o, "content", c->text);
        jx_set_int(o, "line_number", c->line);
        jx_set_int(o, "end_line", c->end_line);
        if (c->kind == CODE_COMMENT_DOCSTRING) {
            jx_set_str(o, "parent_name", c->parent_name);
            jx_set_str(o, "parent_type", parent_type(defs, ndefs, c->parent_name));
        }
        if (c->kind == CODE_COMMENT_INLINE) json_object_set_new(o, "full_line", line_text(&li, c->line));
        if (c->kind != CODE_COMMENT_INLINE) jx_set_int(o, "line_count", c->end_line - c->line + 1);
        if (ctxlines)
            json_object_set_new(o, "context", json_pack("{s:o, s:o}", "before", lines_json(&li, c->line - 2, c->line - 1),
                                                        "after", lines_json(&li, c->end_line + 1, c->end_line + 2)));
        json_array_append_new(a, o);
    }
    free(li.starts);
    free(defs);
    jx_set_int(out, "comment_count", (int64_t)json_array_size(a));
    json_object_set_new(out, "comments", a);
    json_t *tl = json_array();
    for (int j = 0; j < 3; j++)
        if (want[j]) json_array_append_new(tl, json_string(comment_kinds[j]));
    json_object_set_new(out, "comment_types", tl);
    jx_set_bool(out, "include_context", ctxlines);
    code_meta(out, &l);
    loaded_free(&l);
    return 0;
}

/* ---- summarize_code ------------------------------------------------------------------ */

static const char *rating(int complexity) { return complexity < 5 ? "Low" : complexity < 15 ? "Medium" : "High"; }

static const char *display_lang(code_lang l) {
    switch (l) {
    case CODE_LANG_C: return "C";
    case CODE_LANG_PYTHON: return "Python";
    case CODE_LANG_JAVASCRIPT: return "JavaScript";
    case CODE_LANG_TYPESCRIPT: return "TypeScript";
    case CODE_LANG_TSX: return "TSX";
    case CODE_LANG_GO: return "Go";
    case CODE_LANG_RUST: return "Rust";
    default: return "Unknown";
    }
}

static int pat_summarize(tool_ctx *ctx, const json_t *args, json_t *out, lt_err *err) {
    loaded l;
    if (load(ctx, args, &l, err)) return -1;
    const code_file *f = l.f;
    size_t methods = 0, maxc = 0;
    double sum = 0;
    for (size_t i = 0; i < f->nfuncs; i++) {
        methods += f->funcs[i].is_method;
        sum += f->funcs[i].complexity;
        if ((size_t)f->funcs[i].complexity > maxc) maxc = (size_t)f->funcs[i].complexity;
    }
    char summary[256];
    snprintf(summary, sizeof summary, "%s code with %zu classes, %zu functions, %zu imports across %d lines",
             display_lang(f->lang), f->nclasses, f->nfuncs, f->nimports, f->lines);
    jx_set_str(out, "summary", summary);
    json_t *st = json_object();
    jx_set_int(st, "functions", (int64_t)(f->nfuncs - methods));
    jx_set_int(st, "methods", (int64_t)methods);
    jx_set_int(st, "classes", (int64_t)f->nclasses);
    jx_set_int(st, "imports", (int64_t)f->nimports);
    jx_set_int(st, "comments", (int64_t)f->ncomments);
    jx_set_int(st, "lines", f->lines);
    jx_set_int(st, "complexity", f->complexity);
    jx_set_int(st, "max_function_complexity", (int64_t)maxc);
    jx_set_real(st, "avg_function_complexity", f->nfuncs ? (double)(int)(sum / (double)f->nfuncs * 100 + 0.5) / 100 : 0);
    json_object_set_new(out, "statistics", st);
    jx_set_str(out, "complexity_rating", rating(f->complexity));
    code_meta(out, &l);
    loaded_free(&l);
    return 0;
}

/* ---- analyze_patterns: code mode ------------------------------------------------------ */

static bool name_in(const char *name, const char *const *list) {
    for (; *list; list++)
        if (!strcasecmp(name, *list)) return true;
    return false;
}

static bool has_method(const code_class *c, const char *const *names) {
    for (size_t i = 0; i < c->nmethods; i++)
        if (name_in(c->methods[i], names)) return true;
    return false;
}

static bool prefixed(const char *name, const char *const *prefixes) {
    if (!strcmp(name, "create") || !strcmp(name, "make")) return true;
    for (; *prefixes; prefixes++) {
        size_t l = strlen(*prefixes);
        /* the prefix, then a word boundary: create_user, createUser, NewServer (not newline, News) */
        if (!strncmp(name, *prefixes, l) && (name[l] == '_' || isupper((unsigned char)name[l]))) return true;
    }
    return false;
}

static json_t *finding(json_t *evidence) {
    return json_pack("{s:b, s:o}", "detected", json_array_size(evidence) > 0, "evidence", evidence);
}

__attribute__((format(printf, 2, 3))) static void evidence_add(json_t *ev, const char *fmt, ...) {
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    jx_utf8_repair(buf);
    json_array_append_new(ev, json_string(buf));
}

typedef struct {
    const char *base;
    size_t cls; /* the class that names it as a base */
} base_pair;

static int by_base(const void *a, const void *b) {
    const base_pair *x = a, *y = b;
    int c = strcmp(x->base, y->base);
    return c ? c : (x->cls > y->cls) - (x->cls < y->cls); /* source order within a base */
}

static const code_class *find_class(const code_file *f, const char *name) {
    for (size_t i = 0; i < f->nclasses; i++) /* once per base with two or more implementations */
        if (!strcmp(f->classes[i].name, name)) return &f->classes[i];
    return NULL;
}

/* Design patterns read from the structure (classes, methods, attributes,
 * bases, decorators, nesting), not from keywords in the text. */
static json_t *design_patterns(const code_file *f, const json_t *only) {
    static const char *const accessors[] = {"__new__", "getInstance", "get_instance", "instance", "shared",
                                            "sharedInstance", "GetInstance", "Instance", NULL};
    static const char *const holders[] = {"_instance", "__instance", "instance", "INSTANCE", "_INSTANCE",
                                          "shared", "_shared", NULL};
    static const char *const subscribe[] = {"subscribe", "attach", "add_observer", "addObserver", "add_listener",
                                            "addListener", "addEventListener", "register", "on", "watch", NULL};
    static const char *const notify[] = {"notify", "notify_all", "notifyAll", "notifyObservers", "notify_observers",
                                         "emit", "publish", "dispatch", "fire", "trigger", "broadcast", NULL};
    static const char *const makers[] = {"create", "Create", "make", "Make", "build", "Build", "new", "New", NULL};
    json_t *res = json_object();

    json_t *ev = json_array(); /* singleton: one instance kept by the class and handed out */
    for (size_t i = 0; i < f->nclasses; i++) {
        const code_class *c = &f->classes[i];
        bool holder = false;
        for (size_t k = 0; k < c->nattributes; k++) holder |= name_in(c->attributes[k], holders);
        if (holder && has_method(c, accessors)) evidence_add(ev, "class %s keeps its one instance", c->name);
    }
    for (size_t i = 0; i < f->nfuncs; i++)
        if (!f->funcs[i].is_method && name_in(f->funcs[i].name, accessors) && strcmp(f->funcs[i].name, "__new__"))
            evidence_add(ev, "function %s hands out a shared instance", f->funcs[i].name);
    json_object_set_new(res, "singleton", finding(ev));

    ev = json_array(); /* factory: classes named *Factory, functions creating objects */
    for (size_t i = 0; i < f->nclasses; i++) {
        size_t l = strlen(f->classes[i].name);
        if (l > 7 && !strcasecmp(f->classes[i].name + l - 7, "factory"))
            evidence_add(ev, "class %s", f->classes[i].name);
    }
    for (size_t i = 0; i < f->nfuncs; i++) {
        const code_func *fn = &f->funcs[i];
        if (prefixed(fn->name, makers) && strcmp(fn->name, "__new__"))
            evidence_add(ev, "%s creates objects", fn->qualified_name ? fn->qualified_name : fn->name);
    }
    json_object_set_new(res, "factory", finding(ev));

    ev = json_array(); /* decorator: decorated definitions and functions returning an inner wrapper */
    for (size_t i = 0; i < f->nfuncs; i++) {
        const code_func *fn = &f->funcs[i];
        if (fn->ndecorators && f->lang != CODE_LANG_RUST) /* Rust attributes direct the compiler */
            evidence_add(ev, "%s is decorated with @%s", fn->qualified_name ? fn->qualified_name : fn->name,
                         fn->decorators[0]);
        if (fn->nparams == 0 || !fn->qualified_name || fn->is_method) continue;
        /* an inner function, the wrapper: the walkers list a function's nested
         * functions right after it */
        size_t ql = strlen(fn->qualified_name);
        const char *q = i + 1 < f->nfuncs ? f->funcs[i + 1].qualified_name : NULL;
        if (q && !strncmp(q, fn->qualified_name, ql) && q[ql] == '.' && !strchr(q + ql + 1, '.') &&
            f->funcs[i + 1].line > fn->line && f->funcs[i + 1].end_line <= fn->end_line)
            evidence_add(ev, "%s wraps a function in %s", fn->qualified_name, f->funcs[i + 1].name);
    }
    json_object_set_new(res, "decorator", finding(ev));

    ev = json_array(); /* observer: subscribe-like and notify-like methods on one class */
    for (size_t i = 0; i < f->nclasses; i++)
        if (has_method(&f->classes[i], subscribe) && has_method(&f->classes[i], notify))
            evidence_add(ev, "class %s lets observers subscribe and notifies them", f->classes[i].name);
    json_object_set_new(res, "observer", finding(ev));

    ev = json_array(); /* strategy: an interface/trait/abstract base implemented by two or more classes */
    size_t npairs = 0;
    for (size_t i = 0; i < f->nclasses; i++) npairs += f->classes[i].nbases;
    base_pair *pairs = malloc((npairs + 1) * sizeof *pairs);
    if (pairs) {
        size_t k = 0;
        for (size_t i = 0; i < f->nclasses; i++)
            for (size_t j = 0; j < f->classes[i].nbases; j++) pairs[k++] = (base_pair){f->classes[i].bases[j], i};
        qsort(pairs, npairs, sizeof *pairs, by_base);
        for (size_t a = 0; a < npairs;) {
            size_t b = a + 1;
            while (b < npairs && !strcmp(pairs[b].base, pairs[a].base)) b++;
            const code_class *base = b - a >= 2 ? find_class(f, pairs[a].base) : NULL;
            if (base && base->nmethods >= 1) {
                char list[400] = "";
                size_t n = 0;
                for (size_t x = a; x < b && n < sizeof list; x++)
                    n += (size_t)snprintf(list + n, sizeof list - n, "%s%s", n ? ", " : "",
                                          f->classes[pairs[x].cls].name);
                evidence_add(ev, "%s has interchangeable implementations: %s", base->name, list);
            }
            a = b;
        }
        free(pairs);
    }
    json_object_set_new(res, "strategy", finding(ev));

    ev = json_array(); /* builder: a build method beside setters returning the builder */
    for (size_t i = 0; i < f->nclasses; i++) {
        const code_class *c = &f->classes[i];
        static const char *const build[] = {"build", "Build", NULL};
        size_t setters = 0;
        for (size_t k = 0; k < c->nmethods; k++)
            setters += !strncmp(c->methods[k], "with", 4) || !strncmp(c->methods[k], "set", 3) ||
                       !strncmp(c->methods[k], "With", 4) || !strncmp(c->methods[k], "Set", 3);
        if (has_method(c, build) && setters >= 2) evidence_add(ev, "class %s builds step by step", c->name);
    }
    json_object_set_new(res, "builder", finding(ev));

    if (only && json_array_size(only)) { /* pattern_types: report only these */
        json_t *kept = json_object();
        size_t i;
        json_t *t;
        json_array_foreach(only, i, t) {
            json_t *v = json_object_get(res, json_string_value(t));
            if (v) json_object_set(kept, json_string_value(t), v);
        }
        json_decref(res);
        res = kept;
    }
    return res;
}

/* How deeply definitions nest (a method in a class is 2): definitions by
 * first line (outer before inner on the same line), swept with a stack of
 * the open ones' last lines. */
typedef struct {
    int line, end;
} span;

static int by_span(const void *a, const void *b) {
    const span *x = a, *y = b;
    if (x->line != y->line) return x->line - y->line;
    return y->end - x->end;
}

static int nesting(const code_file *f) {
    size_t n = f->nfuncs + f->nclasses;
    span *v = malloc((n + 1) * sizeof *v);
    int *open = malloc((n + 1) * sizeof *open);
    int best = 0;
    if (v && open) {
        for (size_t i = 0; i < f->nfuncs; i++) v[i] = (span){f->funcs[i].line, f->funcs[i].end_line};
        for (size_t i = 0; i < f->nclasses; i++) v[f->nfuncs + i] = (span){f->classes[i].line, f->classes[i].end_line};
        qsort(v, n, sizeof *v, by_span);
        size_t depth = 0;
        for (size_t i = 0; i < n; i++) {
            while (depth && open[depth - 1] < v[i].line) depth--;
            open[depth++] = v[i].end;
            if ((int)depth > best) best = (int)depth;
        }
    }
    free(v), free(open);
    return best;
}

static int count_cmp(const void *a, const void *b) {
    const code_func *x = *(const code_func *const *)a, *y = *(const code_func *const *)b;
    return y->complexity - x->complexity;
}

static int analyze_code(tool_ctx *ctx, const json_t *args, json_t *out, lt_err *err) {
    const char *type = jx_str(args, "analysis_type");
    if (!type) type = "general";
    loaded l;
    if (load(ctx, args, &l, err)) return -1;
    const code_file *f = l.f;
    bool all = !strcmp(type, "general");
    json_t *an = json_object();
    if (all || !strcmp(type, "complexity")) {
        json_t *c = json_object();
        int nonblank = 0;
        bool content = false;
        for (size_t i = 0; i < l.len; i++) {
            if (l.src[i] == '\n') {
                nonblank += content;
                content = false;
            } else if (!isspace((unsigned char)l.src[i])) {
                content = true;
            }
        }
        nonblank += content;
        jx_set_int(c, "cyclomatic_complexity", f->complexity);
        jx_set_int(c, "lines_of_code", nonblank);
        jx_set_int(c, "total_lines", f->lines);
        jx_set_int(c, "function_count", (int64_t)f->nfuncs);
        jx_set_int(c, "class_count", (int64_t)f->nclasses);
        jx_set_int(c, "max_nesting_level", nesting(f));
        const code_func **sorted = malloc((f->nfuncs ? f->nfuncs : 1) * sizeof *sorted);
        json_t *top = json_array();
        if (sorted) {
            for (size_t i = 0; i < f->nfuncs; i++) sorted[i] = &f->funcs[i];
            qsort(sorted, f->nfuncs, sizeof *sorted, count_cmp);
            for (size_t i = 0; i < f->nfuncs && i < 5; i++)
                json_array_append_new(top, json_pack("{s:s, s:i, s:i}", "name",
                                                     sorted[i]->qualified_name ? sorted[i]->qualified_name : sorted[i]->name,
                                                     "complexity", sorted[i]->complexity, "line_number", sorted[i]->line));
            free(sorted);
        }
        json_object_set_new(c, "most_complex_functions", top);
        jx_set_str(c, "complexity_rating", rating(f->complexity));
        json_object_set_new(an, "complexity", c);
    }
    if (all || !strcmp(type, "structure")) {
        json_t *s = json_object(), *imports = json_array(), *classes = json_array(), *funcs = json_array();
        for (size_t i = 0; i < f->nimports; i++) json_array_append_new(imports, json_string(f->imports[i].module));
        for (size_t i = 0; i < f->nclasses; i++)
            json_array_append_new(classes, json_pack("{s:s, s:s, s:o, s:i}", "name", f->classes[i].name, "kind",
                                                     f->classes[i].kind, "methods",
                                                     strv(f->classes[i].methods, f->classes[i].nmethods),
                                                     "line_number", f->classes[i].line));
        for (size_t i = 0; i < f->nfuncs; i++)
            if (!f->funcs[i].is_method)
                json_array_append_new(funcs, json_pack("{s:s, s:i}", "name",
                                                       f->funcs[i].qualified_name ? f->funcs[i].qualified_name
                                                                                  : f->funcs[i].name,
                                                       "line_number", f->funcs[i].line));
        json_object_set_new(s, "imports", imports);
        json_object_set_new(s, "classes", classes);
        json_object_set_new(s, "functions", funcs);
        json_object_set_new(an, "structure", s);
    }
    if (all || !strcmp(type, "design_patterns"))
        json_object_set_new(an, "design_patterns", design_patterns(f, json_object_get(args, "pattern_types")));
    json_object_set_new(out, "analysis", an);
    jx_set_str(out, "analysis_type", type);
    jx_set_str(out, "mode", "code");
    code_meta(out, &l);
    loaded_free(&l);
    return 0;
}

/* ---- experience replay ---------------------------------------------------------------- */

/* pass/fail/partial, with the original's free-text spellings mapped */
static const char *normal_result(const char *r) {
    if (!r) return NULL;
    if (!strcmp(r, "success") || !strcmp(r, "passed")) return "pass";
    if (!strcmp(r, "failure") || !strcmp(r, "failed") || !strcmp(r, "error")) return "fail";
    return r;
}

static embedder *the_embedder(tool_ctx *ctx, lt_err *err) {
    embedder *e = ctx->mem ? memory_engine_embedder(ctx->mem) : NULL;
    if (!e) lt_err_set(err, LT_ERR_INTERNAL, "The embedding model is not available");
    return e;
}

static int check_times(const json_t *args, lt_err *err) {
    const char *names[] = {"since", "until"};
    for (int i = 0; i < 2; i++) {
        const char *v = jx_str(args, names[i]);
        int64_t ms;
        if (v && clock_parse_iso(v, &ms))
            return lt_err_set(err, LT_ERR_INVALID,
                              "Invalid value for parameter '%s': '%.60s' (expected an ISO-8601 date or time, e.g. "
                              "2026-01-31 or 2026-01-31T09:30:00Z)",
                              names[i], v);
    }
    return 0;
}

static int check_tags(const json_t *tags, lt_err *err) {
    if (!tags) return 0;
    if (json_array_size(tags) > 64) return lt_err_set(err, LT_ERR_INVALID, "Parameter 'tags' has more than 64 tags");
    size_t i;
    json_t *t;
    json_array_foreach(tags, i, t) {
        size_t len = json_string_length(t);
        if (len == 0 || len > 200 || strlen(json_string_value(t)) != len)
            return lt_err_set(err, LT_ERR_INVALID, "Parameter 'tags': each tag must be 1 to 200 bytes without NUL");
    }
    return 0;
}

static int pat_log_attempt(tool_ctx *ctx, const json_t *args, json_t *out, lt_err *err) {
    const char *code = jx_str(args, "code_content");
    if (!code) code = jx_str(args, "generated_code");
    if (!code || !*code)
        return lt_err_set(err, LT_ERR_INVALID, "Missing required parameter: code_content (or generated_code)");
    const json_t *tags = json_object_get(args, "tags");
    if (check_tags(tags, err)) return -1;
    double ms = -1;
    json_t *t = json_object_get(args, "execution_time_ms");
    if (t) {
        ms = json_number_value(t);
        if (!(ms >= 0 && ms < 1e12))
            return lt_err_set(err, LT_ERR_INVALID, "Parameter 'execution_time_ms' must be a duration in milliseconds (>= 0)");
    }
    embedder *e = the_embedder(ctx, err);
    if (!e) return -1;
    const char *lang = jx_str(args, "language");
    attempt_input in = {
        .project = ctx->project,
        .pattern_type = jx_str(args, "pattern_type"),
        .result = normal_result(jx_str(args, "result")),
        .input_prompt = jx_str(args, "input_prompt"),
        .code = code,
        .error_message = jx_str(args, "error_message"),
        .function_name = jx_str(args, "function_name"),
        .file_name = jx_str(args, "file_name"),
        .module_name = jx_str(args, "module_name"),
        .language = lang && code_lang_from_name(lang) ? code_lang_name(code_lang_from_name(lang)) : lang,
        .execution_time_ms = ms,
        .tags = tags,
        .metadata = json_object_get(args, "metadata"),
    };
    if (attempts_log(e, ctx->st, &in, out, err)) return -1;
    jx_set_bool(out, "logged", true);
    jx_set_str(out, "pattern_type", in.pattern_type);
    jx_set_str(out, "result", in.result);
    json_object_set_new(out, "tags", tags ? json_deep_copy(tags) : json_array());
    jx_set_str(out, "project", ctx->project);
    return 0;
}

static attempt_filter filter_from(tool_ctx *ctx, const json_t *args) {
    attempt_filter f = {
        .project = ctx->project,
        .pattern_type = jx_str(args, "pattern_type"),
        .result = normal_result(jx_str(args, "result")),
        .function_name = jx_str(args, "function_name"),
        .file_name = jx_str(args, "file_name"),
        .module_name = jx_str(args, "module_name"),
        .tags = json_object_get(args, "tags"),
        .since = jx_str(args, "since"),
        .until = jx_str(args, "until"),
    };
    return f;
}

static int pat_get_patterns(tool_ctx *ctx, const json_t *args, json_t *out, lt_err *err) {
    if (check_times(args, err) || check_tags(json_object_get(args, "tags"), err)) return -1;
    int64_t k = json_object_get(args, "top_k") ? jx_int(args, "top_k", 10) : jx_int(args, "limit", 10);
    const char *query = jx_str(args, "query");
    embedder *e = NULL;
    if (query && *query && !(e = the_embedder(ctx, err))) return -1;
    attempt_filter f = filter_from(ctx, args);
    json_t *patterns = json_array();
    json_object_set_new(out, "patterns", patterns);
    if (attempts_find(e, ctx->st, query, &f, (size_t)k, patterns, err)) return -1;
    jx_set_int(out, "count", (int64_t)json_array_size(patterns));
    jx_set_str(out, "query", query);
    jx_set_str(out, "ranking", query && *query ? "similarity + 0.05 * outcome (pass 1, partial 0.5, fail 0)" : "newest");
    jx_set_str(out, "pattern_type", f.pattern_type);
    json_object_set_new(out, "tags_filter", f.tags ? json_deep_copy(f.tags) : json_null());
    jx_set_int(out, "limit", k);
    return 0;
}

static int pat_analyze(tool_ctx *ctx, const json_t *args, json_t *out, lt_err *err) {
    if (jx_str(args, "file_path") || jx_str(args, "code_content") || jx_str(args, "source_code"))
        return analyze_code(ctx, args, out, err);
    if (check_times(args, err) || check_tags(json_object_get(args, "tags"), err)) return -1;
    attempt_filter f = filter_from(ctx, args);
    char since[CLOCK_ISO_LEN];
    int64_t days = jx_int(args, "time_range_days", 0);
    if (!f.since && days > 0) { /* the legacy service's window */
        clock_format_iso(clock_wall_ms() - days * 86400000LL, since, sizeof since);
        f.since = since;
    }
    if (attempts_analyze(ctx->st, &f, jx_str(args, "bucket"), out, err)) return -1;
    jx_set_str(out, "mode", "attempts");
    jx_set_str(out, "since", f.since);
    jx_set_str(out, "until", f.until);
    jx_set_str(out, "pattern_type", f.pattern_type);
    return 0;
}

/* ---- declarations ------------------------------------------------------------------- */

#define P_SOURCE                                                                                                   \
    {"source_code", PT_STRING, false, NULL, "The code to analyse (or give code_content, or file_path).", NULL, 0, 0, \
     CODE_MAX_SOURCE_BYTES}
#define P_CODE                                                                                                      \
    {"code_content", PT_STRING, false, NULL, "The code (the original's name; same as source_code). log_attempt: the " \
     "code that was tried.", NULL, 0, 0, CODE_MAX_SOURCE_BYTES}
#define P_FILE                                                                                                      \
    {"file_path", PT_STRING, false, NULL, "A source file inside the project roots; its extension gives the "         \
     "language.", NULL, 0, 0, 4096}
#define P_LANG                                                                                                      \
    {"language", PT_STRING, false, NULL, "c, python, javascript, typescript, tsx, go or rust (aliases: py, js, ts, " \
     "golang, rs). Default: from file_path's extension, else python.", NULL, 0, 0, 32}
#define P_PTYPE(req)                                                                                                \
    {"pattern_type", PT_STRING, req, NULL, "Kind of attempt, e.g. code_generation, bug_fix, refactor, test.", NULL, \
     0, 0, 200}
static const char *const results[] = {"pass", "fail", "partial", "success", "failure", NULL};
#define P_RESULT(req)                                                                                               \
    {"result", PT_STRING, req, NULL, "Outcome: pass, fail or partial (success and failure are read as pass and "    \
     "fail).", results, 0, 0, 0}
#define P_NAME(n, what) {n, PT_STRING, false, NULL, what, NULL, 0, 0, 512}
#define P_TAGS                                                                                                      \
    {"tags", PT_STRING_LIST, false, NULL, "Tags (get/analyze: attempts having all of them). A comma-separated "     \
     "string is accepted too.", NULL, 0, 0, 0}
#define P_SINCE {"since", PT_STRING, false, NULL, "Only attempts logged at or after this ISO-8601 time.", NULL, 0, 0, 64}
#define P_UNTIL {"until", PT_STRING, false, NULL, "Only attempts logged at or before this ISO-8601 time.", NULL, 0, 0, 64}

static const char *const analysis_types[] = {"general", "complexity", "structure", "design_patterns", NULL};
static const char *const buckets[] = {"day", "week", NULL};

static const param_def code_params[] = {P_SOURCE, P_CODE, P_FILE, P_LANG, {NULL}};
static const param_def comment_params[] = {
    P_SOURCE, P_CODE, P_FILE, P_LANG,
    {"comment_types", PT_STRING_LIST, false, NULL, "Kinds to return: docstring, inline, block (default all).", NULL,
     0, 0, 0},
    {"include_context", PT_BOOLEAN, false, "false", "Add the two lines before and after each comment.", NULL, 0, 0,
     0},
    {NULL}};
static const param_def log_params[] = {
    P_PTYPE(true), P_CODE,
    {"generated_code", PT_STRING, false, NULL, "The code that was tried (the legacy name of code_content).", NULL, 0,
     0, CODE_MAX_SOURCE_BYTES},
    P_RESULT(true),
    {"input_prompt", PT_STRING, false, NULL, "What was asked for.", NULL, 0, 0, 64 * 1024},
    {"error_message", PT_STRING, false, NULL, "The error or test failure, if any.", NULL, 0, 0, 64 * 1024},
    {"execution_time_ms", PT_NUMBER, false, NULL, "How long it ran, in milliseconds.", NULL, 0, 0, 0},
    P_NAME("function_name", "The function the attempt was about."),
    P_NAME("file_name", "The file the attempt was about."),
    P_NAME("module_name", "The module or package the attempt was about."),
    P_LANG, P_TAGS,
    {"metadata", PT_OBJECT, false, NULL, "Free-form JSON object stored with the attempt.", NULL, 0, 0, 0},
    {NULL}};
static const param_def get_params[] = {
    {"query", PT_STRING, false, NULL, "What the attempts should be about, in words or code; without it the newest "
     "come first.", NULL, 0, 0, 8192},
    P_PTYPE(false), P_RESULT(false),
    P_NAME("function_name", "Only attempts about this function."),
    P_NAME("file_name", "Only attempts about this file."),
    P_NAME("module_name", "Only attempts about this module."),
    P_TAGS, P_SINCE, P_UNTIL,
    {"top_k", PT_INTEGER, false, NULL, "Most attempts to return (same as limit).", NULL, 1, 100, 0},
    {"limit", PT_INTEGER, false, "10", "Most attempts to return.", NULL, 1, 100, 0},
    {NULL}};
static const param_def analyze_params[] = {
    P_SOURCE, P_CODE, P_FILE, P_LANG,
    {"analysis_type", PT_STRING, false, "\"general\"", "Code mode: general (all), complexity, structure or "
     "design_patterns.", analysis_types, 0, 0, 0},
    {"pattern_types", PT_STRING_LIST, false, NULL, "Code mode: design patterns to report (singleton, factory, "
     "decorator, observer, strategy, builder).", NULL, 0, 0, 0},
    P_PTYPE(false), P_RESULT(false),
    P_NAME("function_name", "Only attempts about this function."),
    P_NAME("file_name", "Only attempts about this file."),
    P_NAME("module_name", "Only attempts about this module."),
    P_TAGS, P_SINCE, P_UNTIL,
    {"time_range_days", PT_INTEGER, false, NULL, "Only attempts of the last N days (when since is not given).", NULL,
     1, 36500, 0},
    {"bucket", PT_STRING, false, "\"day\"", "Trend periods: day or week (weeks start on Monday).", buckets, 0, 0, 0},
    {NULL}};

static const action_def pattern_actions[] = {
    {"extract_functions", "functions and methods with parameters (types, defaults), return type, docstring, "
     "decorators, async, complexity and lines.", pat_extract_functions, code_params},
    {"extract_classes", "classes, structs, interfaces, traits and enums with bases, methods and attributes.",
     pat_extract_classes, code_params},
    {"extract_comments", "docstrings, inline and block comments, optionally with two lines of context.",
     pat_extract_comments, comment_params},
    {"summarize_code", "counts of functions, classes, imports, comments and lines, complexity and its rating.",
     pat_summarize, code_params},
    {"log_attempt", "remember an attempt at code with its outcome (pass, fail, partial), error and timing.",
     pat_log_attempt, log_params},
    {"get_patterns", "past attempts most like a query, successes first at similar similarity, filtered.",
     pat_get_patterns, get_params},
    {"analyze_patterns", "success rates, trend, commonest failure causes and timing of logged attempts; with code "
     "(source_code/code_content/file_path): its complexity, structure and design patterns.", pat_analyze,
     analyze_params},
    {NULL}};

const tool_def pattern_tool = {
    "pattern_action", "Code patterns",
    "Reads code with real parsers (tree-sitter: C, Python, JavaScript, TypeScript, TSX, Go, Rust): functions, "
    "classes, comments, summaries, complexity and design patterns. Also remembers attempts at writing code with "
    "their outcome and finds the most useful past attempts by meaning (experience replay).",
    pattern_actions, false, false, false};
