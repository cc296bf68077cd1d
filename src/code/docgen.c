#include "docgen.h"

#include "../core/jsonx.h"

#include <assert.h>
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DOC_SHORT 10 /* a doc under this many characters says too little */

/* ---- parsing docs ---------------------------------------------------- */

static bool is_ident_start(char c) { return isalpha((unsigned char)c) || c == '_' || c == '$'; }
static bool is_ident_char(char c) { return isalnum((unsigned char)c) || c == '_' || c == '$'; }

static void add_param(doc_info *d, const char *name, size_t len) {
    if (len == 0 || len > 200) return;
    /* NumPy docs write "None" under Parameters for a function without any. */
    if ((len == 4 && !strncmp(name, "None", 4)) || (len == 4 && !strncmp(name, "none", 4))) {
        d->param_section = true;
        return;
    }
    for (size_t i = 0; i < d->nparams; i++)
        if (strlen(d->params[i]) == len && !memcmp(d->params[i], name, len)) return;
    char **np = realloc(d->params, (d->nparams + 1) * sizeof *np);
    if (!np) return;
    d->params = np;
    if ((d->params[d->nparams] = strndup(name, len))) d->nparams++;
    d->param_section = true;
}

/* An identifier at p (after leading '*' or '...' of variadics); returns its
 * length, 0 if none. *start is where it begins. */
static size_t ident_at(const char *p, const char **start) {
    while (*p == '*' || *p == '.' || *p == '&') p++;
    *start = p;
    if (!is_ident_start(*p)) return 0;
    const char *q = p;
    while (is_ident_char(*q)) q++;
    return (size_t)(q - p);
}

static const char *skip_ws(const char *p) {
    while (*p == ' ' || *p == '\t') p++;
    return p;
}

static bool starts_word(const char *t, const char *w) {
    size_t n = strlen(w);
    return !strncmp(t, w, n) && !is_ident_char(t[n]);
}

/* @param / \param tags (JSDoc, Doxygen, Javadoc). t points after "param". */
static void param_tag(doc_info *d, const char *t) {
    if (*t == '[') { /* \param[in] */
        const char *e = strchr(t, ']');
        if (!e) return;
        t = e + 1;
    }
    t = skip_ws(t);
    if (*t == '{') { /* {Type} with nested braces */
        int depth = 0;
        for (; *t; t++) {
            if (*t == '{') depth++;
            else if (*t == '}' && --depth == 0) {
                t++;
                break;
            }
        }
        t = skip_ws(t);
    }
    if (*t == '[') t++; /* [optional=default] */
    const char *s;
    size_t n = ident_at(t, &s);
    if (!n) return;
    if (s[n] == '.') return; /* obj.prop documents a member, not a parameter */
    add_param(d, s, n);
}

typedef enum { SEC_NONE, SEC_GOOGLE, SEC_NUMPY, SEC_RUST, SEC_OTHER } section;

static bool dashes(const char *t) {
    size_t n = 0;
    while (t[n] == '-') n++;
    return n >= 3 && t[n] == '\0';
}

static bool google_params_header(const char *t) {
    static const char *const h[] = {"Args:", "Arguments:", "Parameters:", "Params:", "Keyword Args:",
                                    "Keyword Arguments:", "Other Parameters:", "Kwargs:", NULL};
    for (const char *const *p = h; *p; p++)
        if (!strcmp(t, *p)) return true;
    return false;
}

static bool google_return_header(const char *t) {
    return starts_word(t, "Returns:") || starts_word(t, "Return:") || starts_word(t, "Yields:") ||
           !strncmp(t, "Returns:", 8) || !strncmp(t, "Return:", 7) || !strncmp(t, "Yields:", 7);
}

void docgen_parse_doc(const char *doc, doc_info *out) {
    memset(out, 0, sizeof *out);
    if (!doc) return;
    /* Split into lines (copy: we trim in place). */
    char *text = strdup(doc);
    if (!text) return;
    size_t nlines = 1;
    for (char *p = text; *p; p++)
        if (*p == '\n') nlines++;
    char **lines = calloc(nlines, sizeof *lines);
    int *indent = calloc(nlines, sizeof *indent);
    if (!lines || !indent) {
        free(lines), free(indent), free(text);
        return;
    }
    size_t li = 0;
    for (char *p = text, *nl; li < nlines; p = nl + 1) {
        nl = strchr(p, '\n');
        if (nl) *nl = '\0';
        int ind = 0;
        while (*p == ' ' || *p == '\t') ind += *p == '\t' ? 4 : 1, p++;
        /* A leftover comment continuation "* " of a block comment. */
        char *end = p + strlen(p);
        while (end > p && isspace((unsigned char)end[-1])) *--end = '\0';
        lines[li] = p;
        indent[li] = ind;
        li++;
        if (!nl) break;
    }
    nlines = li;
    section sec = SEC_NONE;
    int hind = 0, item_ind = -1;
    for (size_t i = 0; i < nlines; i++) {
        const char *t = lines[i];
        int ind = indent[i];
        bool next_dashes = i + 1 < nlines && dashes(lines[i + 1]);
        if (sec == SEC_GOOGLE && *t && ind <= hind) sec = SEC_NONE;
        /* Headers. */
        if (next_dashes) { /* NumPy: a title underlined with dashes */
            if (!strcmp(t, "Parameters") || !strcmp(t, "Other Parameters") || !strcmp(t, "Arguments")) {
                sec = SEC_NUMPY, hind = ind, out->param_section = true;
            } else if (!strcmp(t, "Returns") || !strcmp(t, "Yields")) {
                out->has_return = true, out->return_line = (int)i, sec = SEC_OTHER;
            } else {
                sec = SEC_OTHER;
            }
            i++;
            continue;
        }
        if (google_params_header(t)) {
            sec = SEC_GOOGLE, hind = ind, item_ind = -1, out->param_section = true;
            continue;
        }
        if (google_return_header(t)) {
            out->has_return = true, out->return_line = (int)i, sec = SEC_OTHER;
            continue;
        }
        if (t[0] == '#' && t[1] == ' ') { /* Rust doc sections */
            const char *h = skip_ws(t + 1);
            if (!strcmp(h, "Arguments") || !strcmp(h, "Parameters") || !strcmp(h, "Args")) {
                sec = SEC_RUST, out->param_section = true;
            } else {
                if (!strcmp(h, "Returns") || !strcmp(h, "Return value")) out->has_return = true, out->return_line = (int)i;
                sec = SEC_OTHER;
            }
            continue;
        }
        /* Tags, wherever they are. */
        if (t[0] == '@' || t[0] == '\\') {
            const char *w = t + 1;
            if (starts_word(w, "param") || !strncmp(w, "param[", 6)) {
                param_tag(out, w + 5);
                out->param_section = true;
                continue;
            }
            if (starts_word(w, "arg") || starts_word(w, "argument")) {
                param_tag(out, w + (starts_word(w, "arg") ? 3 : 8));
                continue;
            }
            if (starts_word(w, "return") || starts_word(w, "returns") || starts_word(w, "retval") ||
                starts_word(w, "result")) {
                out->has_return = true, out->return_line = (int)i;
                continue;
            }
        }
        if (t[0] == ':') { /* Sphinx field list */
            if (!strncmp(t, ":param ", 7) || !strncmp(t, ":parameter ", 11) || !strncmp(t, ":arg ", 5) ||
                !strncmp(t, ":keyword ", 9)) {
                const char *colon = strchr(t + 1, ':');
                if (colon) { /* the last word before the closing colon */
                    const char *e = colon;
                    while (e > t && isspace((unsigned char)e[-1])) e--;
                    const char *s = e;
                    while (s > t && is_ident_char(s[-1])) s--;
                    add_param(out, s, (size_t)(e - s));
                }
                out->param_section = true;
                continue;
            }
            if (!strncmp(t, ":return", 7) || !strncmp(t, ":rtype:", 7) || !strncmp(t, ":yield", 6)) {
                out->has_return = true, out->return_line = (int)i;
                continue;
            }
        }
        if (sec != SEC_GOOGLE && sec != SEC_NUMPY &&
            (starts_word(t, "Returns") || starts_word(t, "Return") || starts_word(t, "Yields")) &&
            !strstr(t, "nothing") && !strstr(t, "void")) {
            out->has_return = true, out->return_line = (int)i;
            continue;
        }
        if (!*t) continue;
        /* Section items. */
        const char *s;
        size_t n;
        switch (sec) {
        case SEC_GOOGLE:
            if (item_ind < 0) item_ind = ind;
            if (ind != item_ind) break; /* a continuation line */
            n = ident_at(t, &s);
            if (n) {
                const char *q = skip_ws(s + n);
                if (*q == '(') {
                    q = strchr(q, ')');
                    q = q ? skip_ws(q + 1) : NULL;
                }
                if (q && *q == ':') add_param(out, s, n);
            }
            break;
        case SEC_NUMPY:
            if (ind != hind) break;
            /* "a, b : int" or "name : type" or just "name" */
            for (const char *p = t;;) {
                n = ident_at(p, &s);
                if (!n) break;
                const char *q = skip_ws(s + n);
                if (*q != ',' && *q != ':' && *q) break;
                add_param(out, s, n);
                if (*q != ',') break;
                p = skip_ws(q + 1);
            }
            break;
        case SEC_RUST:
            if (t[0] == '*' || t[0] == '-') {
                const char *p = skip_ws(t + 1);
                if (*p == '`') p++;
                n = ident_at(p, &s);
                if (n) add_param(out, s, n);
            }
            break;
        default: break;
        }
    }
    free(lines), free(indent), free(text);
}

void doc_info_free(doc_info *d) {
    for (size_t i = 0; i < d->nparams; i++) free(d->params[i]);
    free(d->params);
    memset(d, 0, sizeof *d);
}

bool docgen_is_receiver(const char *name) {
    if (!name) return true;
    while (*name == '&' || *name == ' ') name++;
    if (!strncmp(name, "mut ", 4)) name += 4;
    return !strcmp(name, "self") || !strcmp(name, "cls") || !strcmp(name, "this") || !strcmp(name, "mut self") ||
           !strcmp(name, "...") || !*name;
}

bool docgen_returns_void(code_lang lang, const code_func *f) {
    const char *r = f->return_type;
    switch (lang) {
    case CODE_LANG_C: return r && !strcmp(r, "void");
    case CODE_LANG_PYTHON: return r && !strcmp(r, "None");
    case CODE_LANG_TYPESCRIPT:
    case CODE_LANG_TSX: return r && (!strcmp(r, "void") || !strcmp(r, "Promise<void>"));
    case CODE_LANG_GO: return !r || !*r;
    case CODE_LANG_RUST: return !r || !*r || !strcmp(r, "()");
    default: return false;
    }
}

/* ---- JSON ------------------------------------------------------------ */

static json_t *str_array(char **v, size_t n) {
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) json_array_append_new(a, v[i] ? json_string(v[i]) : json_null());
    return a;
}

json_t *docgen_func_json(const code_func *f) {
    json_t *o = json_object();
    jx_set_str(o, "name", f->name);
    jx_set_str(o, "qualified_name", f->qualified_name ? f->qualified_name : f->name);
    jx_set_int(o, "line", f->line);
    jx_set_int(o, "end_line", f->end_line);
    jx_set_str(o, "signature", f->signature);
    json_t *ps = json_array();
    for (size_t i = 0; i < f->nparams; i++) {
        json_t *p = json_object();
        jx_set_str(p, "name", f->params[i].name);
        jx_set_str(p, "type", f->params[i].type);
        jx_set_str(p, "default", f->params[i].default_value);
        json_array_append_new(ps, p);
    }
    json_object_set_new(o, "params", ps);
    jx_set_str(o, "return_type", f->return_type);
    jx_set_str(o, "doc", f->doc);
    json_object_set_new(o, "decorators", str_array(f->decorators, f->ndecorators));
    jx_set_bool(o, "is_async", f->is_async);
    jx_set_bool(o, "is_method", f->is_method);
    jx_set_bool(o, "is_exported", f->is_exported);
    jx_set_int(o, "complexity", f->complexity);
    return o;
}

/* The class a method belongs to, or -1. */
static long class_of(const code_file *f, const code_func *fn) {
    if (!fn->parent) return -1;
    for (size_t i = 0; i < f->nclasses; i++)
        if (f->classes[i].name && !strcmp(f->classes[i].name, fn->parent)) return (long)i;
    return -1;
}

json_t *docgen_file_json(const code_file *f, const char *path) {
    json_t *o = json_object();
    jx_set_str(o, "path", path);
    jx_set_str(o, "language", code_lang_name(f->lang));
    jx_set_int(o, "lines", f->lines);
    jx_set_bool(o, "has_errors", f->has_errors);
    if (f->has_errors) jx_set_int(o, "error_line", f->error_line);
    json_t *classes = json_array(), *funcs = json_array();
    for (size_t i = 0; i < f->nclasses; i++) {
        const code_class *c = &f->classes[i];
        json_t *co = json_object();
        jx_set_str(co, "name", c->name);
        jx_set_str(co, "kind", c->kind);
        jx_set_int(co, "line", c->line);
        jx_set_int(co, "end_line", c->end_line);
        json_object_set_new(co, "bases", str_array(c->bases, c->nbases));
        json_object_set_new(co, "attributes", str_array(c->attributes, c->nattributes));
        jx_set_str(co, "doc", c->doc);
        json_object_set_new(co, "methods", json_array());
        json_array_append_new(classes, co);
    }
    for (size_t i = 0; i < f->nfuncs; i++) {
        long ci = class_of(f, &f->funcs[i]);
        json_t *fj = docgen_func_json(&f->funcs[i]);
        if (ci >= 0) json_array_append_new(json_object_get(json_array_get(classes, (size_t)ci), "methods"), fj);
        else json_array_append_new(funcs, fj);
    }
    json_object_set_new(o, "classes", classes);
    json_object_set_new(o, "functions", funcs);
    return o;
}

/* ---- markdown -------------------------------------------------------- */

static void md_doc(FILE *m, const char *doc) {
    if (doc && *doc) fprintf(m, "\n%s\n", doc);
    else fputs("\n*Undocumented.*\n", m);
}

static void md_func(FILE *m, const json_t *fn, const char *heading) {
    const char *sig = jx_str(fn, "signature");
    fprintf(m, "\n%s `%s`\n", heading, sig && *sig ? sig : jx_str(fn, "name"));
    fprintf(m, "\nLine %lld", (long long)jx_int(fn, "line", 0));
    if (jx_bool(fn, "is_async", false)) fputs(", async", m);
    fprintf(m, ", complexity %lld\n", (long long)jx_int(fn, "complexity", 1));
    const json_t *ps = json_object_get(fn, "params");
    if (json_array_size(ps)) {
        fputs("\n| Parameter | Type | Default |\n|---|---|---|\n", m);
        size_t i;
        const json_t *p;
        json_array_foreach(ps, i, p) {
            const char *t = jx_str(p, "type"), *d = jx_str(p, "default");
            fprintf(m, "| `%s` | %s | %s |\n", jx_str(p, "name"), t ? t : "", d ? d : "");
        }
    }
    const char *rt = jx_str(fn, "return_type");
    if (rt) fprintf(m, "\nReturns: `%s`\n", rt);
    md_doc(m, jx_str(fn, "doc"));
}

char *docgen_markdown(const char *project, const json_t *files) {
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (!m) return NULL;
    fprintf(m, "# API Documentation - %s\n", project);
    size_t i;
    const json_t *file;
    json_array_foreach(files, i, file) {
        const char *err = jx_str(file, "error");
        fprintf(m, "\n## %s%s\n", jx_str(file, "path"), err ? " (Error)" : "");
        if (err) {
            fprintf(m, "\n%s\n", err);
            continue;
        }
        fprintf(m, "\nLanguage: %s, %lld lines", jx_str(file, "language"), (long long)jx_int(file, "lines", 0));
        if (jx_bool(file, "has_errors", false))
            fprintf(m, " (syntax error near line %lld; what follows it may be incomplete)",
                    (long long)jx_int(file, "error_line", 0));
        fputc('\n', m);
        size_t j;
        const json_t *c;
        json_array_foreach(json_object_get(file, "classes"), j, c) {
            fprintf(m, "\n### %c%s: `%s`\n", toupper((unsigned char)jx_str(c, "kind")[0]), jx_str(c, "kind") + 1,
                    jx_str(c, "name"));
            const json_t *bases = json_object_get(c, "bases");
            if (json_array_size(bases)) {
                fputs("\nBases:", m);
                size_t k;
                const json_t *b;
                json_array_foreach(bases, k, b) fprintf(m, "%s `%s`", k ? "," : "", json_string_value(b));
                fputc('\n', m);
            }
            md_doc(m, jx_str(c, "doc"));
            size_t k;
            const json_t *meth;
            json_array_foreach(json_object_get(c, "methods"), k, meth) md_func(m, meth, "####");
        }
        const json_t *fn;
        json_array_foreach(json_object_get(file, "functions"), j, fn) md_func(m, fn, "### Function:");
    }
    fclose(m);
    return buf;
}

/* ---- consistency ----------------------------------------------------- */

static void issue(json_t *issues, const char *element, int line, const char *kind, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static void issue(json_t *issues, const char *element, int line, const char *kind, const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    jx_utf8_repair(msg);
    json_t *o = json_object();
    jx_set_str(o, "element", element);
    jx_set_int(o, "line", line);
    jx_set_str(o, "kind", kind);
    jx_set_str(o, "message", msg);
    json_array_append_new(issues, o);
}

static size_t real_params(const code_func *f) {
    size_t n = 0;
    for (size_t i = 0; i < f->nparams; i++)
        if (!docgen_is_receiver(f->params[i].name)) n++;
    return n;
}

static bool has_param(const code_func *f, const char *name) {
    for (size_t i = 0; i < f->nparams; i++) {
        const char *p = f->params[i].name;
        if (!p) continue;
        while (*p == '*' || *p == '.' || *p == '&') p++;
        if (!strcmp(p, name)) return true;
    }
    return false;
}

static bool doc_has(const doc_info *d, const char *name) {
    while (*name == '*' || *name == '.' || *name == '&') name++;
    for (size_t i = 0; i < d->nparams; i++)
        if (!strcmp(d->params[i], name)) return true;
    return false;
}

static const char *fname(const code_func *f) { return f->qualified_name ? f->qualified_name : f->name; }

int docgen_check_func(const code_file *file, const code_func *f, bool drift_only, json_t *issues) {
    if (!f->doc || !*f->doc) return 0;
    size_t before = json_array_size(issues);
    doc_info d;
    docgen_parse_doc(f->doc, &d);
    for (size_t i = 0; i < d.nparams; i++)
        if (!has_param(f, d.params[i]))
            issue(issues, fname(f), f->line, "param_stale",
                  "%s: the doc describes parameter '%s', which the function does not have", fname(f), d.params[i]);
    /* Undocumented parameters count when the doc documents parameters at
     * all (then a missing one is an omission), or, for validation, when
     * there are several to explain. */
    size_t nreal = real_params(f);
    if (d.param_section || (!drift_only && nreal > 1)) {
        for (size_t i = 0; i < f->nparams; i++) {
            const char *p = f->params[i].name;
            if (docgen_is_receiver(p) || doc_has(&d, p)) continue;
            issue(issues, fname(f), f->line, "param_undocumented", "%s: parameter '%s' is not documented", fname(f),
                  p);
        }
    }
    bool is_void = docgen_returns_void(file->lang, f);
    if (d.has_return && is_void)
        issue(issues, fname(f), f->line, "return_stale", "%s: the doc describes a return value, but it returns nothing",
              fname(f));
    if (!drift_only && !d.has_return && d.param_section && f->return_type && *f->return_type && !is_void)
        issue(issues, fname(f), f->line, "return_undocumented", "%s: the return value (%s) is not documented",
              fname(f), f->return_type);
    doc_info_free(&d);
    return (int)(json_array_size(issues) - before);
}

const char *docgen_level(double score) {
    return score >= 0.9 ? "excellent" : score >= 0.7 ? "good" : score >= 0.5 ? "fair" : "poor";
}

static double round3(double v) { return round(v * 1000.0) / 1000.0; }

/* One element's entry. own holds the element's signature problems; the
 * doc's own problem (missing, too short) goes first. The score is 0 without
 * a doc, else 1 less a quarter per problem. */
static double element(json_t *elements, json_t *issues, const char *name, const char *kind, int line,
                      const char *doc, json_t *extra, json_t *own) {
    size_t dl = doc ? strlen(doc) : 0;
    while (dl && isspace((unsigned char)doc[dl - 1])) dl--;
    json_t *all = json_array();
    if (dl == 0) issue(all, name, line, "missing_doc", "%s: missing documentation", name);
    else if (dl < DOC_SHORT)
        issue(all, name, line, "doc_too_short", "%s: documentation too short (%zu characters)", name, dl);
    json_array_extend(all, own);
    double score = dl == 0 ? 0.0 : fmax(0.0, 1.0 - 0.25 * (double)json_array_size(all));
    json_t *e = json_object();
    jx_set_str(e, "name", name);
    jx_set_str(e, "kind", kind);
    jx_set_int(e, "line", line);
    jx_set_bool(e, "documented", dl > 0);
    jx_set_int(e, "doc_length", (int64_t)dl);
    if (extra) json_object_update(e, extra);
    jx_set_real(e, "score", round3(score));
    json_array_extend(issues, all);
    json_object_set_new(e, "issues", all);
    json_array_append_new(elements, e);
    return score;
}

void docgen_validate(const code_file *f, json_t *out) {
    json_t *elements = json_array(), *issues = json_array();
    double sum = 0;
    size_t total = 0, documented = 0;
    for (size_t i = 0; i < f->nclasses; i++) {
        const code_class *c = &f->classes[i];
        json_t *own = json_array();
        sum += element(elements, issues, c->name, c->kind ? c->kind : "class", c->line, c->doc, NULL, own);
        json_decref(own);
        total++;
        if (c->doc && *c->doc) documented++;
    }
    for (size_t i = 0; i < f->nfuncs; i++) {
        const code_func *fn = &f->funcs[i];
        json_t *own = json_array();
        docgen_check_func(f, fn, false, own);
        doc_info d;
        docgen_parse_doc(fn->doc, &d);
        size_t np = real_params(fn), nd = 0;
        for (size_t k = 0; k < fn->nparams; k++)
            if (!docgen_is_receiver(fn->params[k].name) && doc_has(&d, fn->params[k].name)) nd++;
        json_t *extra = json_pack("{s:I, s:I, s:b}", "params_total", (json_int_t)np, "params_documented",
                                  (json_int_t)nd, "return_documented", d.has_return);
        doc_info_free(&d);
        sum += element(elements, issues, fname(fn), fn->is_method ? "method" : "function", fn->line, fn->doc, extra,
                       own);
        json_decref(extra), json_decref(own);
        total++;
        if (fn->doc && *fn->doc) documented++;
    }
    double score = total ? sum / (double)total : 1.0;
    jx_set_real(out, "consistency_score", round3(score));
    jx_set_str(out, "consistency_level", docgen_level(score));
    jx_set_int(out, "total_elements", (int64_t)total);
    jx_set_int(out, "documented_elements", (int64_t)documented);
    jx_set_real(out, "coverage", round3(total ? (double)documented / (double)total : 1.0));
    jx_set_real(out, "quality_score", round3(documented ? sum / (double)documented : 0.0));
    json_object_set_new(out, "elements", elements);
    json_object_set_new(out, "issues", issues);
}

/* ---- sync_documentation_with_code ------------------------------------ */

void docgen_sync(const code_file *f, const char *path, const char *project, const char *timestamp, json_t *out) {
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    json_t *funcs = json_array(), *classes = json_array(), *imports = json_array(), *docstrings = json_array();
    if (m) {
        fprintf(m, "# %s - Auto-generated Documentation\n\nProject: %s\nGenerated: %s\nSource: %s\nLanguage: %s\n",
                base, project, timestamp, path, code_lang_name(f->lang));
        fputs("\n## Classes\n", m);
        if (!f->nclasses) fputs("\nNone.\n", m);
    }
    for (size_t i = 0; i < f->nclasses; i++) {
        const code_class *c = &f->classes[i];
        if (m) {
            fprintf(m, "\n### %s (Line %d)\n", c->name, c->line);
            fprintf(m, "\n%s\n", c->doc && *c->doc ? c->doc : "*No documentation.*");
            if (c->nmethods) {
                fputs("\nMethods:", m);
                for (size_t k = 0; k < c->nmethods; k++) fprintf(m, "%s `%s`", k ? "," : "", c->methods[k]);
                fputc('\n', m);
            }
        }
        json_t *co = json_pack("{s:s, s:s, s:i, s:o, s:o}", "name", c->name, "kind", c->kind ? c->kind : "class",
                               "line", c->line, "docstring", c->doc ? json_string(c->doc) : json_null(), "methods",
                               str_array(c->methods, c->nmethods));
        json_array_append_new(classes, co);
    }
    if (m) {
        fputs("\n## Functions\n", m);
        if (!f->nfuncs) fputs("\nNone.\n", m);
    }
    for (size_t i = 0; i < f->nfuncs; i++) {
        const code_func *fn = &f->funcs[i];
        if (m) {
            fprintf(m, "\n### `%s` (Line %d)\n", fn->signature && *fn->signature ? fn->signature : fname(fn), fn->line);
            fprintf(m, "\n%s\n", fn->doc && *fn->doc ? fn->doc : "*No documentation.*");
        }
        json_t *args = json_array();
        for (size_t k = 0; k < fn->nparams; k++) json_array_append_new(args, json_string(fn->params[k].name));
        json_t *fo = json_pack("{s:s, s:i, s:o, s:o, s:o}", "name", fname(fn), "line", fn->line, "docstring",
                               fn->doc ? json_string(fn->doc) : json_null(), "args", args, "return_type",
                               fn->return_type ? json_string(fn->return_type) : json_null());
        json_array_append_new(funcs, fo);
    }
    for (size_t i = 0; i < f->nimports; i++) json_array_append_new(imports, json_string(f->imports[i].module));
    for (size_t i = 0; i < f->ncomments; i++) {
        const code_comment *c = &f->comments[i];
        if (c->kind != CODE_COMMENT_DOCSTRING) continue;
        json_array_append_new(docstrings, json_pack("{s:o, s:i, s:s}", "element",
                                                    c->parent_name ? json_string(c->parent_name) : json_null(),
                                                    "line", c->line, "text", c->text ? c->text : ""));
    }
    if (m) {
        if (f->nimports) {
            fputs("\n## Imports\n\n", m);
            for (size_t i = 0; i < f->nimports; i++) fprintf(m, "- `%s`\n", f->imports[i].module);
        }
        fclose(m);
    }
    jx_set_str(out, "synchronized_content", buf ? buf : "");
    free(buf);
    json_object_set_new(out, "code_structure", json_pack("{s:o, s:o, s:o, s:o}", "functions", funcs, "classes",
                                                         classes, "imports", imports, "docstrings", docstrings));
}
