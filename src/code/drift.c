#include "drift.h"

#include "docgen.h"

#include "../core/jsonx.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void item(json_t *items, const char *element, const char *kind, int line, const char *source,
                 const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static void item(json_t *items, const char *element, const char *kind, int line, const char *source,
                 const char *fmt, ...) {
    char detail[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    jx_utf8_repair(detail);
    json_t *o = json_object();
    jx_set_str(o, "element", element);
    jx_set_str(o, "kind", kind);
    jx_set_str(o, "detail", detail);
    jx_set_int(o, "line", line);
    jx_set_str(o, "source", source);
    json_array_append_new(items, o);
}

json_t *drift_elements(const code_file *f) {
    json_t *a = json_array();
    for (size_t i = 0; i < f->nclasses; i++) {
        const code_class *c = &f->classes[i];
        json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:i, s:n, s:[], s:n, s:o}", "element", c->name, "name",
                                           c->name, "kind", c->kind ? c->kind : "class", "line", c->line,
                                           "signature", "params", "return_type", "doc",
                                           c->doc ? json_string(c->doc) : json_null()));
    }
    for (size_t i = 0; i < f->nfuncs; i++) {
        const code_func *fn = &f->funcs[i];
        json_t *ps = json_array();
        for (size_t k = 0; k < fn->nparams; k++) {
            if (docgen_is_receiver(fn->params[k].name)) continue;
            json_t *p = json_object();
            jx_set_str(p, "name", fn->params[k].name);
            jx_set_str(p, "type", fn->params[k].type);
            if (fn->params[k].default_value) jx_set_bool(p, "optional", true);
            json_array_append_new(ps, p);
        }
        json_t *e = json_object();
        jx_set_str(e, "element", fn->qualified_name ? fn->qualified_name : fn->name);
        jx_set_str(e, "name", fn->name);
        jx_set_str(e, "kind", fn->is_method ? "method" : "function");
        jx_set_int(e, "line", fn->line);
        jx_set_str(e, "signature", fn->signature);
        json_object_set_new(e, "params", ps);
        jx_set_str(e, "return_type", fn->return_type);
        jx_set_str(e, "doc", fn->doc);
        json_array_append_new(a, e);
    }
    return a;
}

void drift_in_code(const code_file *f, json_t *items) {
    json_t *issues = json_array();
    for (size_t i = 0; i < f->nfuncs; i++) docgen_check_func(f, &f->funcs[i], true, issues);
    size_t i;
    json_t *is;
    json_array_foreach(issues, i, is)
        item(items, jx_str(is, "element"), jx_str(is, "kind"), (int)jx_int(is, "line", 0), "code", "%s",
             jx_str(is, "message"));
    json_decref(issues);
}

/* ---- comparing signatures -------------------------------------------- */

/* Type text compared without whitespace. */
static bool same_type(const char *a, const char *b) {
    if (!a || !b) return true; /* one side did not say: no evidence of change */
    for (;;) {
        while (isspace((unsigned char)*a)) a++;
        while (isspace((unsigned char)*b)) b++;
        if (*a != *b) return false;
        if (!*a) return true;
        a++, b++;
    }
}

static const char *bare(const char *name) {
    while (name && (*name == '*' || *name == '&' || *name == '.')) name++;
    return name ? name : "";
}

static long param_index(const json_t *params, const char *name) {
    size_t i;
    const json_t *p;
    json_array_foreach(params, i, p) if (!strcmp(bare(jx_str(p, "name")), bare(name))) return (long)i;
    return -1;
}

static void append(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void append(char *buf, size_t len, const char *fmt, ...) {
    size_t n = strlen(buf);
    if (n >= len - 1) return;
    if (n) snprintf(buf + n, len - n, "; "), n = strlen(buf);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + n, len - n, fmt, ap);
    va_end(ap);
}

/* Describes how params (and return type) changed from was to is; empty
 * when they did not. check_types: the documented side gave types. */
static void param_changes(const json_t *was, const json_t *is, const char *was_ret, const char *is_ret, bool mention,
                          char *out, size_t len) {
    out[0] = '\0';
    size_t nw = json_array_size(was), ni = json_array_size(is);
    size_t removed = 0, added = 0;
    for (size_t i = 0; i < nw; i++) removed += param_index(is, jx_str(json_array_get(was, i), "name")) < 0;
    for (size_t i = 0; i < ni; i++) {
        const json_t *p = json_array_get(is, i);
        /* a doc may leave out parameters that have defaults */
        if (mention && jx_bool(p, "optional", false) && param_index(was, jx_str(p, "name")) < 0) continue;
        added += param_index(was, jx_str(p, "name")) < 0;
    }
    if (nw == ni && removed && removed == added) {
        /* Same arity, different names at the same places: renamed. */
        for (size_t i = 0; i < nw; i++) {
            const char *a = jx_str(json_array_get(was, i), "name"), *b = jx_str(json_array_get(is, i), "name");
            if (strcmp(bare(a), bare(b))) append(out, len, "parameter '%s' renamed to '%s'", a, b);
        }
    } else {
        for (size_t i = 0; i < nw; i++) {
            const char *a = jx_str(json_array_get(was, i), "name");
            if (param_index(is, a) < 0) append(out, len, "parameter '%s' removed", a);
        }
        for (size_t i = 0; i < ni; i++) {
            const json_t *p = json_array_get(is, i);
            const char *b = jx_str(p, "name");
            if (mention && jx_bool(p, "optional", false)) continue;
            if (param_index(was, b) < 0) append(out, len, "parameter '%s' added", b);
        }
    }
    for (size_t i = 0; i < nw; i++) {
        const json_t *p = json_array_get(was, i);
        long k = param_index(is, jx_str(p, "name"));
        if (k < 0) continue;
        const char *ta = jx_str(p, "type"), *tb = jx_str(json_array_get(is, (size_t)k), "type");
        if (!same_type(ta, tb)) append(out, len, "parameter '%s' retyped from %s to %s", jx_str(p, "name"), ta, tb);
    }
    if (was_ret && is_ret && !same_type(was_ret, is_ret))
        append(out, len, "return type changed from %s to %s", was_ret, is_ret);
}

static const json_t *find_element(const json_t *els, const char *element) {
    size_t i;
    const json_t *e;
    json_array_foreach(els, i, e) if (!strcmp(jx_str(e, "element"), element)) return e;
    return NULL;
}

static bool same_params(const json_t *a, const json_t *b) {
    if (json_array_size(a) != json_array_size(b)) return false;
    for (size_t i = 0; i < json_array_size(a); i++)
        if (strcmp(bare(jx_str(json_array_get(a, i), "name")), bare(jx_str(json_array_get(b, i), "name"))))
            return false;
    return true;
}

static bool is_function(const json_t *e) {
    const char *k = jx_str(e, "kind");
    return !strcmp(k, "function") || !strcmp(k, "method");
}

/* The qualified prefix ("Class." of "Class.method"), length. */
static size_t parent_len(const char *q) {
    const char *dot = strrchr(q, '.'), *colons = NULL;
    for (const char *p = strstr(q, "::"); p; p = strstr(p + 2, "::")) colons = p;
    const char *end = dot > colons ? dot : colons;
    return end ? (size_t)(end - q) : 0;
}

/* A new element (absent from old) that old_e plausibly became: same kind and
 * parent, and the same parameters (non-empty) or the same doc. */
static const json_t *rename_candidate(const json_t *old_e, const json_t *old, const json_t *now) {
    const char *oq = jx_str(old_e, "element");
    size_t opl = parent_len(oq);
    size_t i;
    const json_t *e;
    json_array_foreach(now, i, e) {
        const char *q = jx_str(e, "element");
        if (find_element(old, q)) continue;
        if (strcmp(jx_str(e, "kind"), jx_str(old_e, "kind"))) continue;
        if (parent_len(q) != opl || strncmp(q, oq, opl)) continue;
        const char *d1 = jx_str(old_e, "doc"), *d2 = jx_str(e, "doc");
        bool same_doc = d1 && d2 && *d1 && !strcmp(d1, d2);
        const json_t *p1 = json_object_get(old_e, "params"), *p2 = json_object_get(e, "params");
        if ((json_array_size(p1) && same_params(p1, p2)) || same_doc) return e;
    }
    return NULL;
}

void drift_against_snapshot(const json_t *old, const json_t *now, json_t *items) {
    size_t i;
    const json_t *o;
    json_array_foreach(old, i, o) {
        const char *q = jx_str(o, "element");
        const json_t *n = find_element(now, q);
        if (!n) {
            const json_t *r = rename_candidate(o, old, now);
            if (r)
                item(items, q, "renamed", (int)jx_int(r, "line", 0), "snapshot", "%s '%s' is now '%s' (line %lld)",
                     jx_str(o, "kind"), q, jx_str(r, "element"), (long long)jx_int(r, "line", 0));
            else
                item(items, q, "removed", (int)jx_int(o, "line", 0), "snapshot",
                     "%s '%s' (line %lld at the last sync) no longer exists", jx_str(o, "kind"), q,
                     (long long)jx_int(o, "line", 0));
            continue;
        }
        if (!is_function(o) || !is_function(n)) continue;
        char detail[500];
        param_changes(json_object_get(o, "params"), json_object_get(n, "params"), jx_str(o, "return_type"),
                      jx_str(n, "return_type"), false, detail, sizeof detail);
        if (*detail)
            item(items, q, "signature_changed", (int)jx_int(n, "line", 0), "snapshot", "%s: %s (was: %s)", q, detail,
                 jx_str(o, "signature") ? jx_str(o, "signature") : "?");
    }
}

/* ---- markdown -------------------------------------------------------- */

static bool ident_char(char c) { return isalnum((unsigned char)c) || c == '_' || c == '$'; }

/* "a.b::c" -> "a.b.c" */
static void norm_name(const char *s, size_t n, char *out, size_t len) {
    size_t k = 0;
    for (size_t i = 0; i < n && k + 1 < len; i++) {
        if (s[i] == ':' && i + 1 < n && s[i + 1] == ':') out[k++] = '.', i++;
        else out[k++] = s[i];
    }
    out[k] = '\0';
}

/* The element of now a mention names: qualified match first, then a unique
 * bare-name match. */
static const json_t *lookup(const json_t *els, const char *name) {
    const char *last = strrchr(name, '.');
    bool qualified = last != NULL;
    last = last ? last + 1 : name;
    const json_t *found = NULL;
    int matches = 0;
    size_t i;
    const json_t *e;
    json_array_foreach(els, i, e) {
        char q[512];
        const char *el = jx_str(e, "element");
        norm_name(el, strlen(el), q, sizeof q);
        if (!strcmp(q, name)) return e;
        if (!strcmp(jx_str(e, "name"), last)) {
            /* a qualified mention must agree on the last part only when the
             * code's element is not qualified itself (free functions) */
            if (qualified && strchr(q, '.')) continue;
            found = e, matches++;
        }
    }
    return matches >= 1 ? found : NULL;
}

/* Parameter names of a mention's argument text; false when an argument is
 * not a plain parameter (a literal, a call: the mention is a call example). */
static bool mention_params(const char *args, code_lang lang, json_t *out) {
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", args);
    char *p = buf;
    while (*p) {
        /* split at top-level commas */
        int depth = 0;
        char *start = p;
        for (; *p; p++) {
            if (strchr("([{<", *p)) depth++;
            else if (strchr(")]}>", *p)) depth--;
            else if (*p == ',' && depth == 0) break;
        }
        char save = *p;
        *p = '\0';
        char *a = start;
        while (isspace((unsigned char)*a)) a++;
        char *e = a + strlen(a);
        while (e > a && isspace((unsigned char)e[-1])) *--e = '\0';
        if (*a) {
            if (!strcmp(a, "...") || !strcmp(a, "self") || !strcmp(a, "&self") || !strcmp(a, "&mut self") ||
                !strcmp(a, "cls") || !strcmp(a, "this") || !strcmp(a, "void")) {
                /* receivers and C's (void) carry no parameter */
            } else {
                /* strip a default value */
                char *eq = strchr(a, '=');
                if (eq) *eq = '\0';
                char *colon = strchr(a, ':');
                char name[128] = "", type[256] = "";
                if (colon) { /* name: type (Python, TS, Rust) */
                    *colon = '\0';
                    snprintf(type, sizeof type, "%s", colon + 1);
                    char *t = type;
                    while (isspace((unsigned char)*t)) memmove(t, t + 1, strlen(t));
                    size_t tl = strlen(type);
                    while (tl && isspace((unsigned char)type[tl - 1])) type[--tl] = '\0';
                    char *n = a;
                    while (*n == '*' || *n == '.' || *n == '&' || isspace((unsigned char)*n)) n++;
                    size_t k = 0;
                    while (ident_char(n[k]) && k + 1 < sizeof name) name[k] = n[k], k++;
                    name[k] = '\0';
                    if (n[k] && n[k] != '?' && !isspace((unsigned char)n[k])) return false;
                } else {
                    /* C "const char *s" (name last), Go "s string" (name first),
                     * or a bare name */
                    char *words[16];
                    int nw = 0;
                    for (char *w = a; *w && nw < 16;) {
                        while (*w && !ident_char(*w)) {
                            if (!isspace((unsigned char)*w) && !strchr("*&[].", *w)) return false;
                            w++;
                        }
                        if (!*w) break;
                        words[nw++] = w;
                        while (ident_char(*w)) w++;
                        if (*w) *w++ = '\0';
                    }
                    if (nw == 0) return false;
                    if (isdigit((unsigned char)words[0][0])) return false;
                    const char *nm = nw == 1 ? words[0] : lang == CODE_LANG_GO ? words[0] : words[nw - 1];
                    snprintf(name, sizeof name, "%s", nm);
                }
                if (!*name || isdigit((unsigned char)name[0])) return false;
                json_t *pj = json_object();
                jx_set_str(pj, "name", name);
                jx_set_str(pj, "type", *type ? type : NULL);
                json_array_append_new(out, pj);
            }
        }
        if (!save) break;
        p++;
    }
    return true;
}

static bool definition_word(const char *s, size_t n) {
    static const char *const kw[] = {"def", "fn", "func", "function", NULL};
    for (const char *const *k = kw; *k; k++)
        if (strlen(*k) == n && !strncmp(s, *k, n)) return true;
    return false;
}

typedef struct {
    const json_t *now, *old;
    code_lang lang;
    json_t *items;
    json_t *seen; /* mentions already reported, by name */
} md_ctx;

/* One mention: text is a code span's content or a fenced line. */
static void mention(md_ctx *c, const char *text, int line, bool fenced) {
    const char *paren = strchr(text, '(');
    char name[512];
    char args[1024] = "";
    bool has_args = false, is_def = false;
    if (paren) {
        const char *e = paren;
        while (e > text && isspace((unsigned char)e[-1])) e--;
        const char *s = e;
        while (s > text && (ident_char(s[-1]) || s[-1] == '.' || s[-1] == ':')) s--;
        while (s < e && (*s == '.' || *s == ':')) s++;
        if (s == e || isdigit((unsigned char)*s)) return;
        norm_name(s, (size_t)(e - s), name, sizeof name);
        /* a definition keyword before the name */
        const char *k = s;
        while (k > text && isspace((unsigned char)k[-1])) k--;
        const char *ks = k;
        while (ks > text && ident_char(ks[-1])) ks--;
        is_def = definition_word(ks, (size_t)(k - ks)) || (k > text && !fenced);
        int depth = 0;
        const char *q = paren;
        for (; *q; q++) {
            if (*q == '(') depth++;
            else if (*q == ')' && --depth == 0) break;
        }
        if (*q != ')') return;
        snprintf(args, sizeof args, "%.*s", (int)(q - paren - 1), paren + 1);
        has_args = true;
        if (fenced && !definition_word(ks, (size_t)(k - ks))) return; /* calls in examples */
    } else {
        if (fenced) return;
        size_t n = strlen(text);
        for (size_t i = 0; i < n; i++)
            if (!ident_char(text[i]) && text[i] != '.' && text[i] != ':') return;
        norm_name(text, n, name, sizeof name);
        if (!*name || isdigit((unsigned char)name[0])) return;
    }
    bool word = false; /* "$(...)" in a shell example names nothing */
    for (const char *ch = name; *ch; ch++) word |= isalnum((unsigned char)*ch) || *ch == '_';
    if (!word) return;
    char key[600];
    snprintf(key, sizeof key, "%s(%s)", name, args);
    if (json_object_get(c->seen, key)) return;
    json_object_set_new(c->seen, key, json_true());

    const json_t *e = lookup(c->now, name);
    const json_t *was = c->old ? lookup(c->old, name) : NULL;
    if (!e) {
        const json_t *r = was ? rename_candidate(was, c->old, c->now) : NULL;
        if (r)
            item(c->items, name, "renamed", line, "doc", "the doc mentions '%s', which is now '%s' (code line %lld)",
                 name, jx_str(r, "element"), (long long)jx_int(r, "line", 0));
        else if (was || (has_args && is_def))
            item(c->items, name, "removed", line, "doc", "the doc mentions '%s', which no longer exists in the code",
                 name);
        else if (has_args)
            item(c->items, name, "unknown_reference", line, "doc",
                 "the doc mentions '%s(...)', which is not an element of this code", name);
        return;
    }
    if (!has_args || !is_function(e)) return;
    json_t *mp = json_array();
    if (mention_params(args, c->lang, mp) && !(json_array_size(mp) == 0 && !is_def)) {
        char detail[500];
        param_changes(mp, json_object_get(e, "params"), NULL, NULL, true, detail, sizeof detail);
        if (*detail)
            item(c->items, jx_str(e, "element"), "signature_changed", line, "doc",
                 "the doc's %s(%s) differs from the code's %s (line %lld): %s", name, args,
                 jx_str(e, "signature") ? jx_str(e, "signature") : jx_str(e, "element"),
                 (long long)jx_int(e, "line", 0), detail);
    }
    json_decref(mp);
}

void drift_markdown(const char *md, const json_t *now, const json_t *old, code_lang lang, json_t *items) {
    md_ctx c = {now, old, lang, items, json_object()};
    bool fence = false;
    int line = 0;
    for (const char *p = md; p && *p;) {
        line++;
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        char buf[2048];
        if (n >= sizeof buf) n = sizeof buf - 1;
        memcpy(buf, p, n);
        buf[n] = '\0';
        const char *t = buf;
        while (*t == ' ') t++;
        if (!strncmp(t, "```", 3) || !strncmp(t, "~~~", 3)) {
            fence = !fence;
        } else if (fence) {
            mention(&c, t, line, true);
        } else {
            /* inline code spans */
            for (char *s = strchr(buf, '`'); s;) {
                char *e = strchr(s + 1, '`');
                if (!e) break;
                *e = '\0';
                if (e > s + 1 && e - s < 600) mention(&c, s + 1, line, false);
                s = strchr(e + 1, '`');
            }
        }
        p = nl ? nl + 1 : NULL;
    }
    json_decref(c.seen);
}

void drift_summarize(const json_t *items, json_t *out) {
    json_t *counts = json_object();
    size_t drift = 0, i;
    const json_t *it;
    json_array_foreach(items, i, it) {
        const char *k = jx_str(it, "kind");
        json_object_set_new(counts, k, json_integer(jx_int(counts, k, 0) + 1));
        if (strcmp(k, "unknown_reference")) drift++;
    }
    jx_set_bool(out, "drift_detected", drift > 0);
    jx_set_int(out, "drift_count", (int64_t)drift);
    json_object_set_new(out, "counts", counts);
}
