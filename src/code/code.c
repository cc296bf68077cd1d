#include "code_int.h"

#include "../core/jsonx.h"
#include "../core/sidejob.h"
#include "tsarena.h"
#include "tswalk.h"

#include <assert.h>
#include <ctype.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- languages --------------------------------------------------------- */

static const code_spec *const specs[] = {
    &code_spec_c, &code_spec_python, &code_spec_javascript, &code_spec_typescript,
    &code_spec_tsx, &code_spec_go, &code_spec_rust,
};
#define NSPECS (sizeof specs / sizeof specs[0])

static const char *const lang_names[] = {"c", "python", "javascript", "typescript", "tsx", "go", "rust", NULL};

static const struct {
    const char *alias;
    code_lang lang;
} aliases[] = {
    {"c", CODE_LANG_C},           {"h", CODE_LANG_C},           {"python", CODE_LANG_PYTHON},
    {"py", CODE_LANG_PYTHON},     {"python3", CODE_LANG_PYTHON}, {"javascript", CODE_LANG_JAVASCRIPT},
    {"js", CODE_LANG_JAVASCRIPT}, {"jsx", CODE_LANG_JAVASCRIPT}, {"node", CODE_LANG_JAVASCRIPT},
    {"typescript", CODE_LANG_TYPESCRIPT}, {"ts", CODE_LANG_TYPESCRIPT}, {"tsx", CODE_LANG_TSX},
    {"go", CODE_LANG_GO},         {"golang", CODE_LANG_GO},     {"rust", CODE_LANG_RUST},
    {"rs", CODE_LANG_RUST},
};

static const struct {
    const char *ext;
    code_lang lang;
} exts[] = {
    {"c", CODE_LANG_C},           {"h", CODE_LANG_C},           {"py", CODE_LANG_PYTHON},
    {"pyi", CODE_LANG_PYTHON},    {"js", CODE_LANG_JAVASCRIPT}, {"mjs", CODE_LANG_JAVASCRIPT},
    {"cjs", CODE_LANG_JAVASCRIPT}, {"jsx", CODE_LANG_JAVASCRIPT}, {"ts", CODE_LANG_TYPESCRIPT},
    {"mts", CODE_LANG_TYPESCRIPT}, {"cts", CODE_LANG_TYPESCRIPT}, {"tsx", CODE_LANG_TSX},
    {"go", CODE_LANG_GO},         {"rs", CODE_LANG_RUST},
};

code_lang code_lang_from_name(const char *name) {
    if (!name) return CODE_LANG_UNKNOWN;
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
        if (strcasecmp(name, aliases[i].alias) == 0) return aliases[i].lang;
    return CODE_LANG_UNKNOWN;
}

code_lang code_lang_from_path(const char *path) {
    if (!path) return CODE_LANG_UNKNOWN;
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    const char *dot = strrchr(base, '.');
    if (!dot || dot == base) return CODE_LANG_UNKNOWN;
    for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++)
        if (strcasecmp(dot + 1, exts[i].ext) == 0) return exts[i].lang;
    return CODE_LANG_UNKNOWN;
}

static const code_spec *spec_of(code_lang lang) {
    for (size_t i = 0; i < NSPECS; i++)
        if (specs[i]->lang == lang) return specs[i];
    return NULL;
}

const char *code_lang_name(code_lang lang) {
    const code_spec *s = spec_of(lang);
    return s ? s->name : "unknown";
}

TSNode cx_named(TSNode n, uint32_t i) {
    TSNode none = {0};
    if (ts_node_is_null(n) || i >= ts_node_named_child_count(n)) return none;
    return ts_node_named_child(n, i);
}

const char *const *code_lang_names(void) { return lang_names; }

const TSLanguage *code_grammar(code_lang lang) {
    const code_spec *s = spec_of(lang);
    return s ? s->grammar() : NULL;
}

/* ---- node helpers ------------------------------------------------------- */

int cx_line(TSNode n) { return (int)ts_node_start_point(n).row + 1; }

int cx_end_line(TSNode n) {
    TSPoint p = ts_node_end_point(n);
    /* a node ending at column 0 ends with the previous line's newline */
    if (p.column == 0 && p.row > ts_node_start_point(n).row) return (int)p.row;
    return (int)p.row + 1;
}

bool cx_is(TSNode n, const char *type) { return !ts_node_is_null(n) && strcmp(ts_node_type(n), type) == 0; }

bool cx_in(const char *type, const char *const *types) {
    if (!types) return false;
    for (; *types; types++)
        if (strcmp(type, *types) == 0) return true;
    return false;
}

/* Field names resolved to ids once per thread and grammar: by name the
 * runtime compares the name with every field name of the grammar on each
 * lookup. Keyed by the name's address (the walkers pass literals), checked
 * by content, so any string is still looked up correctly. */
#define FIELD_CACHE 64
static __thread struct {
    const TSLanguage *lang;
    const char *addr;
    char name[24];
    TSFieldId id;
} field_cache[FIELD_CACHE];

TSNode cx_field(TSNode n, const char *field) {
    if (ts_node_is_null(n)) return n;
    const TSLanguage *lang = ts_tree_language(n.tree);
    size_t len = strlen(field);
    size_t h = (((uintptr_t)field >> 3) ^ ((uintptr_t)lang >> 5)) % FIELD_CACHE;
    TSFieldId id;
    if (field_cache[h].lang == lang && field_cache[h].addr == field && strcmp(field_cache[h].name, field) == 0) {
        id = field_cache[h].id;
    } else {
        id = ts_language_field_id_for_name(lang, field, (uint32_t)len);
        if (len < sizeof field_cache[h].name) {
            field_cache[h].lang = lang;
            field_cache[h].addr = field;
            memcpy(field_cache[h].name, field, len + 1);
            field_cache[h].id = id;
        }
    }
    if (!id) return (TSNode){0};
    return ts_node_child_by_field_id(n, id);
}

static char *dupn(code_ctx *cx, const char *s, size_t n) {
    char *d = malloc(n + 1);
    if (!d) {
        cx->oom = true;
        return NULL;
    }
    memcpy(d, s, n);
    d[n] = '\0';
    jx_utf8_repair(d); /* only the first 8 KiB were checked: every string we hand out is valid UTF-8 */
    return d;
}

char *cx_strdup(code_ctx *cx, const char *s) { return s ? dupn(cx, s, strlen(s)) : NULL; }

char *cx_text(code_ctx *cx, TSNode n) {
    if (ts_node_is_null(n)) return NULL;
    uint32_t a = ts_node_start_byte(n), b = ts_node_end_byte(n);
    if (b > cx->len) b = (uint32_t)cx->len;
    if (a > b) a = b;
    return dupn(cx, cx->src + a, b - a);
}

char *cx_span1(code_ctx *cx, size_t from, size_t to) {
    if (to > cx->len) to = cx->len;
    if (from > to) from = to;
    char *d = malloc(to - from + 1);
    if (!d) {
        cx->oom = true;
        return NULL;
    }
    size_t k = 0;
    bool space = false;
    for (size_t i = from; i < to; i++) {
        unsigned char c = (unsigned char)cx->src[i];
        if (isspace(c)) {
            space = k > 0;
            continue;
        }
        if (space) d[k++] = ' ';
        space = false;
        d[k++] = (char)c;
    }
    d[k] = '\0';
    jx_utf8_repair(d);
    return d;
}

char *cx_text1(code_ctx *cx, TSNode n) {
    if (ts_node_is_null(n)) return NULL;
    return cx_span1(cx, ts_node_start_byte(n), ts_node_end_byte(n));
}

bool cx_text_is(code_ctx *cx, TSNode n, const char *s) {
    if (ts_node_is_null(n)) return false;
    uint32_t a = ts_node_start_byte(n), b = ts_node_end_byte(n);
    size_t l = strlen(s);
    return b - a == l && b <= cx->len && memcmp(cx->src + a, s, l) == 0;
}

char *cx_signature(code_ctx *cx, TSNode def, TSNode body) {
    size_t end = ts_node_is_null(body) ? ts_node_end_byte(def) : ts_node_start_byte(body);
    char *s = cx_span1(cx, ts_node_start_byte(def), end);
    /* a Python "def f():" keeps its colon; drop it, the body is gone */
    if (s) {
        size_t l = strlen(s);
        while (l && (s[l - 1] == ':' || s[l - 1] == '{' || s[l - 1] == ' ')) s[--l] = '\0';
    }
    return s;
}

void cx_iter_init(cx_iter *it, TSNode parent) { tsw_init_children(&it->w, parent); }

bool cx_iter_next(cx_iter *it, TSNode *child) { return tsw_next(&it->w, child); }

const char *cx_iter_field(const cx_iter *it) { return tsw_field_name(&it->w); }

void cx_iter_end(cx_iter *it) { tsw_end(&it->w); }

TSNode cx_child_of_type(TSNode n, const char *type) {
    cx_iter it;
    TSNode ch, found = {0};
    cx_iter_init(&it, n);
    while (cx_iter_next(&it, &ch))
        if (strcmp(ts_node_type(ch), type) == 0) {
            found = ch;
            break;
        }
    cx_iter_end(&it);
    return found;
}

char *cx_join(const char *a, const char *sep, const char *b) {
    if (!b) return NULL;
    size_t la = a ? strlen(a) + strlen(sep) : 0, lb = strlen(b);
    char *d = malloc(la + lb + 1);
    if (!d) return NULL;
    if (a) {
        strcpy(d, a);
        strcat(d, sep);
    }
    memcpy(d + la, b, lb + 1);
    return d;
}

/* ---- builders ------------------------------------------------------------ */

static bool grow(code_ctx *cx, void **arr, size_t *cap, size_t n, size_t size) {
    if (n < *cap) return true;
    size_t nc = *cap ? *cap * 2 : 16;
    void *p = realloc(*arr, nc * size);
    if (!p) {
        cx->oom = true;
        return false;
    }
    memset((char *)p + *cap * size, 0, (nc - *cap) * size);
    *arr = p;
    *cap = nc;
    return true;
}

code_func *cx_add_func(code_ctx *cx, TSNode def, char *name, int head) {
    code_file *f = cx->f;
    size_t cap = cx->cap_funcs;
    if (!grow(cx, (void **)&f->funcs, &cx->cap_funcs, f->nfuncs, sizeof *f->funcs) ||
        !grow(cx, (void **)&cx->func_head, &cap, f->nfuncs, sizeof *cx->func_head)) {
        free(name);
        return NULL;
    }
    size_t cap2 = cx->cap_funcs_body;
    if (!grow(cx, (void **)&cx->func_body, &cap2, f->nfuncs, sizeof *cx->func_body)) {
        free(name);
        return NULL;
    }
    cx->cap_funcs_body = cap2;
    code_func *fn = &f->funcs[f->nfuncs];
    cx->func_body[f->nfuncs] = (TSNode){0};
    cx->func_head[f->nfuncs++] = head;
    memset(fn, 0, sizeof *fn);
    fn->name = name ? name : cx_strdup(cx, "<anonymous>");
    fn->line = cx_line(def);
    fn->end_line = cx_end_line(def);
    fn->complexity = 1;
    return fn;
}

code_class *cx_add_class(code_ctx *cx, TSNode def, char *name, const char *kind, int head) {
    code_file *f = cx->f;
    size_t cap = cx->cap_classes;
    if (!grow(cx, (void **)&f->classes, &cx->cap_classes, f->nclasses, sizeof *f->classes) ||
        !grow(cx, (void **)&cx->class_head, &cap, f->nclasses, sizeof *cx->class_head)) {
        free(name);
        return NULL;
    }
    code_class *c = &f->classes[f->nclasses];
    cx->class_head[f->nclasses++] = head;
    memset(c, 0, sizeof *c);
    c->name = name ? name : cx_strdup(cx, "<anonymous>");
    c->kind = cx_strdup(cx, kind);
    c->line = cx_line(def);
    c->end_line = cx_end_line(def);
    return c;
}

void cx_add_import(code_ctx *cx, char *module, int line, bool is_local) {
    code_file *f = cx->f;
    if (!module) return;
    if (!grow(cx, (void **)&f->imports, &cx->cap_imports, f->nimports, sizeof *f->imports)) {
        free(module);
        return;
    }
    f->imports[f->nimports++] = (code_import){.module = module, .line = line, .is_local = is_local};
}

void cx_add_comment(code_ctx *cx, code_comment_kind kind, int line, int end_line, char *text, char *parent) {
    code_file *f = cx->f;
    if (!grow(cx, (void **)&f->comments, &cx->cap_comments, f->ncomments, sizeof *f->comments)) {
        free(text);
        free(parent);
        return;
    }
    f->comments[f->ncomments++] = (code_comment){
        .kind = kind, .line = line, .end_line = end_line, .text = text ? text : cx_strdup(cx, ""), .parent_name = parent};
}

void cx_add_param(code_ctx *cx, code_func *fn, char *name, char *type, char *def) {
    size_t cap = fn->nparams; /* exact-size growth: parameter lists are short */
    code_param *p = realloc(fn->params, (cap + 1) * sizeof *p);
    if (!p) {
        cx->oom = true;
        free(name), free(type), free(def);
        return;
    }
    fn->params = p;
    p[fn->nparams++] = (code_param){.name = name ? name : cx_strdup(cx, ""), .type = type, .default_value = def};
}

void cx_strv_push(code_ctx *cx, char ***v, size_t *n, char *s) {
    if (!s) return;
    char **p = realloc(*v, (*n + 1) * sizeof *p);
    if (!p) {
        cx->oom = true;
        free(s);
        return;
    }
    *v = p;
    p[(*n)++] = s;
}

/* Classes by name, for cx_find_class: built on first use after the walk
 * added its classes (Go and Rust attach methods once every type is known),
 * rebuilt if classes were added since. */
typedef struct {
    const char *name;
    size_t idx;
} class_ref;

static int by_class_name(const void *a, const void *b) {
    const class_ref *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : (x->idx < y->idx) - (x->idx > y->idx); /* the most recent first */
}

code_class *cx_find_class(code_ctx *cx, const char *name) {
    code_file *f = cx->f;
    if (!name || f->nclasses == 0) return NULL;
    if (cx->nclass_index != f->nclasses) {
        class_ref *idx = realloc(cx->class_index, f->nclasses * sizeof *idx);
        if (!idx) {
            cx->oom = true;
            return NULL;
        }
        for (size_t i = 0; i < f->nclasses; i++) idx[i] = (class_ref){f->classes[i].name, i};
        qsort(idx, f->nclasses, sizeof *idx, by_class_name);
        cx->class_index = idx;
        cx->nclass_index = f->nclasses;
    }
    const class_ref *idx = cx->class_index;
    size_t lo = 0, hi = cx->nclass_index;
    while (lo < hi) { /* the first entry not below name */
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(idx[mid].name, name) < 0) lo = mid + 1;
        else hi = mid;
    }
    return lo < cx->nclass_index && !strcmp(idx[lo].name, name) ? &f->classes[idx[lo].idx] : NULL;
}

/* ---- complexity ----------------------------------------------------------- */

enum { F_DECISION = 1, F_VALUED = 2, F_LOGICAL = 4, F_LOGICAL_OP = 8, F_COMMENT = 16, F_HOOK = 32 };

/* Node types resolved to grammar symbols once per parse, so the pass over
 * every node compares small integers, not strings. */
static int build_flags(code_ctx *cx, const TSLanguage *lang) {
    const code_spec *s = cx->spec;
    cx->nsym = ts_language_symbol_count(lang);
    cx->flags = calloc(cx->nsym + 1, 1);
    if (!cx->flags) return -1;
    for (uint32_t i = 0; i < cx->nsym; i++) {
        const char *name = ts_language_symbol_name(lang, (TSSymbol)i);
        if (!name) continue;
        uint8_t fl = 0;
        if (ts_language_symbol_type(lang, (TSSymbol)i) == TSSymbolTypeAnonymous) {
            if (cx_in(name, s->logical_ops)) fl |= F_LOGICAL_OP;
        } else {
            if (cx_in(name, s->decisions)) fl |= F_DECISION;
            if (cx_in(name, s->valued)) fl |= F_VALUED;
            if (cx_in(name, s->logical)) fl |= F_LOGICAL;
            if (cx_in(name, s->comments)) fl |= F_COMMENT;
            if (cx_in(name, s->hooks)) fl |= F_HOOK;
        }
        cx->flags[i] = fl;
    }
    cx->f_operator = ts_language_field_id_for_name(lang, "operator", 8);
    cx->f_value = ts_language_field_id_for_name(lang, "value", 5);
    return 0;
}

static uint8_t flags_of(const code_ctx *cx, TSSymbol sym) { return sym < cx->nsym ? cx->flags[sym] : 0; }

static int decision(code_ctx *cx, TSNode n, uint8_t fl) {
    if (fl & F_DECISION) return 1;
    if (fl & F_VALUED) return cx->f_value && !ts_node_is_null(ts_node_child_by_field_id(n, cx->f_value)) ? 1 : 0;
    if (fl & F_LOGICAL) {
        TSNode op = cx->f_operator ? ts_node_child_by_field_id(n, cx->f_operator) : (TSNode){0};
        if (ts_node_is_null(op)) return 1;
        return (flags_of(cx, ts_node_symbol(op)) & F_LOGICAL_OP) ? 1 : 0;
    }
    return 0;
}

void cx_set_body(code_ctx *cx, code_func *fn, TSNode body) {
    size_t i = (size_t)(fn - cx->f->funcs);
    assert(i < cx->f->nfuncs);
    cx->func_body[i] = body;
}

/* ---- comments -------------------------------------------------------------- */

char *cx_strip_comment(const char *text, size_t len) {
    char *out = malloc(len + 1);
    if (!out) return NULL;
    size_t k = 0;
    const char *p = text, *end = text + len;
    bool block = len >= 2 && p[0] == '/' && p[1] == '*';
    if (block) {
        p += 2;
        while (p < end && (*p == '*' || *p == '!')) p++;
        if (end - p >= 2 && end[-2] == '*' && end[-1] == '/') end -= 2;
        while (end > p && end[-1] == '*') end--;
    }
    /* line by line: drop the line markers and a leading " * " */
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        const char *q = p;
        while (q < le && (*q == ' ' || *q == '\t')) q++;
        if (!block) {
            if (le - q >= 2 && q[0] == '/' && q[1] == '/') {
                q += 2;
                if (q < le && (*q == '/' || *q == '!')) q++;
            } else if (q < le && *q == '#') {
                q++;
            }
        } else if (q < le && *q == '*' && !(le - q >= 2 && q[1] == '/')) {
            q++;
        }
        if (q < le && *q == ' ') q++;
        const char *e = le;
        while (e > q && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r')) e--;
        if (k > 0 || e > q) { /* no leading blank lines */
            memcpy(out + k, q, (size_t)(e - q));
            k += (size_t)(e - q);
            out[k++] = '\n';
        }
        if (!nl) break;
        p = nl + 1;
    }
    while (k > 0 && out[k - 1] == '\n') k--; /* no trailing blank lines */
    out[k] = '\0';
    jx_utf8_repair(out);
    return out;
}

typedef struct {
    uint32_t start, end; /* bytes */
    int line, end_line;
    bool inline_, line_comment;
} raw_comment;

/* Whether a comment is the only thing on its first line (nothing but
 * whitespace before it). */
static bool alone_on_line(code_ctx *cx, uint32_t start) {
    for (uint32_t i = start; i > 0; i--) {
        char ch = cx->src[i - 1];
        if (ch == '\n') return true;
        if (ch != ' ' && ch != '\t') return false;
    }
    return true;
}

static bool only_space_between(code_ctx *cx, uint32_t a, uint32_t b) {
    int newlines = 0;
    for (uint32_t i = a; i < b && i < cx->len; i++) {
        if (cx->src[i] == '\n') newlines++;
        else if (!isspace((unsigned char)cx->src[i])) return false;
    }
    return newlines <= 1;
}

/* Turns the collected comment nodes into code_comments: consecutive line
 * comments alone on their lines form one run; a run (or block comment)
 * ending right above a definition's first line is that definition's
 * documentation (its doc, unless a docstring was found already). */
static void finish_comments(code_ctx *cx, raw_comment *raw, size_t n) {
    code_file *f = cx->f;
    int lines = f->lines + 2;
    int *func_at = malloc((size_t)lines * sizeof *func_at), *class_at = malloc((size_t)lines * sizeof *class_at);
    if (!func_at || !class_at) {
        cx->oom = true;
        free(func_at), free(class_at);
        return;
    }
    for (int i = 0; i < lines; i++) func_at[i] = class_at[i] = -1;
    for (size_t i = 0; i < f->nfuncs; i++) {
        int h = cx->func_head[i];
        if (h > 0 && h < lines && func_at[h] < 0) func_at[h] = (int)i;
    }
    for (size_t i = 0; i < f->nclasses; i++) {
        int h = cx->class_head[i];
        if (h > 0 && h < lines && class_at[h] < 0) class_at[h] = (int)i;
    }
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        if (raw[i].line_comment && !raw[i].inline_)
            while (j < n && raw[j].line_comment && !raw[j].inline_ && raw[j].line == raw[j - 1].end_line + 1 &&
                   only_space_between(cx, raw[j - 1].end, raw[j].start))
                j++;
        /* text of the run: each comment stripped, joined by newlines */
        size_t cap = 1;
        for (size_t k = i; k < j; k++) cap += raw[k].end - raw[k].start + 1;
        char *text = malloc(cap);
        if (!text) {
            cx->oom = true;
            break;
        }
        size_t tl = 0;
        for (size_t k = i; k < j; k++) {
            char *s = cx_strip_comment(cx->src + raw[k].start, raw[k].end - raw[k].start);
            if (!s) {
                cx->oom = true;
                continue;
            }
            size_t sl = strlen(s);
            if (tl) text[tl++] = '\n';
            memcpy(text + tl, s, sl);
            tl += sl;
            free(s);
        }
        text[tl] = '\0';
        int line = raw[i].line, end_line = raw[j - 1].end_line;
        code_comment_kind kind = raw[i].inline_ ? CODE_COMMENT_INLINE : CODE_COMMENT_BLOCK;
        char *parent = NULL;
        int below = end_line + 1;
        if (kind == CODE_COMMENT_BLOCK && below < lines) {
            int fi = func_at[below], ci = class_at[below];
            if (fi >= 0 || ci >= 0) {
                kind = CODE_COMMENT_DOCSTRING;
                if (fi >= 0) {
                    code_func *fn = &f->funcs[fi];
                    parent = cx_strdup(cx, fn->qualified_name ? fn->qualified_name : fn->name);
                    if (!fn->doc) fn->doc = cx_strdup(cx, text);
                } else {
                    code_class *c = &f->classes[ci];
                    parent = cx_strdup(cx, c->name);
                    if (!c->doc) c->doc = cx_strdup(cx, text);
                }
            }
        }
        cx_add_comment(cx, kind, line, end_line, text, parent);
        i = j;
    }
    free(func_at);
    free(class_at);
}

typedef struct {
    uint32_t start; /* the body's first byte */
    size_t func;
} body_ref;

static int by_body_start(const void *a, const void *b) {
    const body_ref *x = a, *y = b;
    return (x->start > y->start) - (x->start < y->start);
}

/* One pass over the whole tree (each part's, in order): comment nodes,
 * decision points (of the file, and of the innermost recorded function
 * whose body holds them), the language's hooked nodes and the first syntax
 * error. */
static void scan_tree(code_ctx *cx, const TSNode *roots, size_t nroots, raw_comment **raw, size_t *nraw) {
    size_t cap = 0;
    code_file *f = cx->f;
    /* the recorded function bodies in start order, and a stack of the open ones */
    size_t nb = 0, next = 0, depth = 0;
    body_ref *order = malloc((f->nfuncs + 1) * sizeof *order);
    size_t *stack = malloc((f->nfuncs + 1) * sizeof *stack);
    if (!order || !stack) {
        cx->oom = true;
        free(order), free(stack);
        return;
    }
    for (size_t i = 0; i < f->nfuncs; i++)
        if (!ts_node_is_null(cx->func_body[i]))
            order[nb++] = (body_ref){ts_node_start_byte(cx->func_body[i]), i};
    if (nb > 1) qsort(order, nb, sizeof *order, by_body_start);

    for (size_t r = 0; r < nroots && !cx->oom; r++) {
        TSNode root = roots[r];
        tsw_iter it;
        tsw_init(&it, root);
        bool want_error = !f->has_errors && ts_node_has_error(root);
        /* Leaves matter only when flagged (comments, operators) or while
         * looking for the first error (a missing or ERROR leaf); function
         * bodies are never passed over, so the stack of open bodies is the
         * same. */
        if (!want_error) tsw_skip_leaves(&it, cx->flags, cx->nsym);
        TSNode n;
        while (tsw_next(&it, &n)) {
            uint32_t start = ts_node_start_byte(n);
            while (depth && ts_node_end_byte(cx->func_body[stack[depth - 1]]) <= start &&
                   !ts_node_eq(n, cx->func_body[stack[depth - 1]]))
                depth--;
            while (next < nb && order[next].start < start) next++;
            while (next < nb && ts_node_eq(cx->func_body[order[next].func], n)) stack[depth++] = order[next++].func;
            TSSymbol sym = ts_node_symbol(n);
            if (want_error && (sym == (TSSymbol)-1 || ts_node_is_missing(n))) {
                f->error_line = cx_line(n);
                want_error = false;
                tsw_skip_leaves(&it, cx->flags, cx->nsym);
            }
            uint8_t fl = flags_of(cx, sym);
            if (fl & F_COMMENT) {
                if (*nraw == cap) {
                    size_t nc = cap ? cap * 2 : 64;
                    raw_comment *p = realloc(*raw, nc * sizeof *p);
                    if (!p) {
                        cx->oom = true;
                        break;
                    }
                    *raw = p;
                    cap = nc;
                }
                uint32_t a = start, b = ts_node_end_byte(n);
                /* Rust's line comments include their newline */
                while (b > a && (cx->src[b - 1] == '\n' || cx->src[b - 1] == '\r')) b--;
                bool line_c = cx->src[a] == '#' || (b - a >= 2 && cx->src[a + 1] == '/');
                raw_comment *rc = &(*raw)[(*nraw)++];
                *rc = (raw_comment){.start = a, .end = b, .line = cx_line(n), .inline_ = !alone_on_line(cx, a),
                                    .line_comment = line_c};
                rc->end_line = cx_end_line(n);
            } else if (fl) {
                int d = decision(cx, n, fl);
                f->complexity += d;
                if (d && depth) f->funcs[stack[depth - 1]].complexity += d;
                if ((fl & F_HOOK) && cx->spec->hook) cx->spec->hook(cx, n);
            }
        }
        if (it.oom) cx->oom = true;
        tsw_end(&it);
        if (ts_node_has_error(root) && !f->has_errors) {
            f->has_errors = true;
            if (!f->error_line) f->error_line = 1;
        }
    }
    free(order), free(stack);
    /* A node missing at the very end of a text that ends in a newline sits on
     * the empty line after it; report the last line instead. */
    if (f->has_errors && f->error_line > f->lines && f->lines > 0) f->error_line = f->lines;
}

static int cmp_comment(const void *a, const void *b) {
    const code_comment *x = a, *y = b;
    return (x->line > y->line) - (x->line < y->line);
}

/* Comments by line, stably: they come as two runs already in order (the
 * walker's docstrings, then the comment nodes), which one merge sorts;
 * anything else goes to qsort (glibc's is a stable merge sort). */
static void sort_comments(code_ctx *cx) {
    code_file *f = cx->f;
    code_comment *c = f->comments;
    size_t n = f->ncomments, k = 1;
    if (n < 2) return;
    while (k < n && c[k - 1].line <= c[k].line) k++;
    if (k == n) return;
    size_t j = k + 1;
    while (j < n && c[j - 1].line <= c[j].line) j++;
    code_comment *tmp = j == n ? malloc(n * sizeof *tmp) : NULL;
    if (!tmp) {
        qsort(c, n, sizeof *c, cmp_comment);
        return;
    }
    size_t a = 0, b = k, o = 0;
    while (a < k && b < n) tmp[o++] = c[b].line < c[a].line ? c[b++] : c[a++];
    while (a < k) tmp[o++] = c[a++];
    while (b < n) tmp[o++] = c[b++];
    memcpy(c, tmp, n * sizeof *c);
    free(tmp);
}

/* ---- input checks ----------------------------------------------------------- */

/* Whether the first bytes look like text: no NUL, valid UTF-8 (a sequence cut
 * by the end of the window is fine). */
static bool looks_like_text(const unsigned char *s, size_t len) {
    size_t n = len < 8192 ? len : 8192;
    for (size_t i = 0; i < n;) {
        unsigned char c = s[i];
        if (c == 0) return false;
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t need;
        if (c >= 0xC2 && c <= 0xDF) need = 1;
        else if (c >= 0xE0 && c <= 0xEF) need = 2;
        else if (c >= 0xF0 && c <= 0xF4) need = 3;
        else return false;
        for (size_t k = 1; k <= need; k++) {
            if (i + k >= n) return i + k >= len ? true : n < len; /* cut by the window */
            if ((s[i + k] & 0xC0) != 0x80) return false;
        }
        if (c == 0xE0 && s[i + 1] < 0xA0) return false; /* overlong */
        if (c == 0xED && s[i + 1] > 0x9F) return false; /* surrogate */
        if (c == 0xF0 && s[i + 1] < 0x90) return false;
        if (c == 0xF4 && s[i + 1] > 0x8F) return false;
        i += need + 1;
    }
    return true;
}

static int count_lines(const char *s, size_t len) {
    if (len == 0) return 0;
    int n = 0;
    for (const char *p = s, *e = s + len; (p = memchr(p, '\n', (size_t)(e - p))) != NULL; p++) n++;
    if (s[len - 1] != '\n') n++;
    return n;
}

/* ---- parsing in two parts --------------------------------------------------
 *
 * The parse is ~80% of what reading a large file costs, and it is one
 * thread's work. From split_min bytes on, code_parse cuts the file in two
 * near its middle, at a line where a top-level item evidently starts
 * (code_split_rule), and parses the second part on another core
 * (core/sidejob.h) while this thread parses the first. The second parser
 * reads the part at the file's own offsets through an included range
 * [cut, end), so every position in its tree (byte, row, column) is the
 * file's. The walkers get both trees in order and the shared passes go over
 * both, so the code_file is the one a single parse gives
 * (tests/unit/test_code.c compares them at many cuts).
 *
 * The rule only has to be right often: a cut in the wrong place (inside a
 * string, a comment, a block or a #if) leaves the first part unterminated
 * or starts the second in the middle of something, which is a syntax error
 * in one of the trees (or a tree that does not span its part: spans); then
 * the file is parsed whole, as without the cut. So is a file with a real
 * syntax error. That parse starts from the first part's tree (parse_whole),
 * so a thrown-away cut costs a few percent, not a parse. */

/* Below this the parse takes under about 4 ms, and a thread per call is not
 * worth the 1 to 1.5 ms it saves (README, "Code analysis speed"). */
#define CODE_SPLIT_MIN ((size_t)32 * 1024)

static _Atomic size_t split_min = CODE_SPLIT_MIN;

size_t code_split_min(size_t bytes) { return atomic_exchange(&split_min, bytes); }

static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }

static bool word_in(const char *w, size_t n, const char *const *list) {
    for (; list && *list; list++)
        if (strlen(*list) == n && !memcmp(*list, w, n)) return true;
    return false;
}

/* Whether the line that ends just before at (a line start) is blank. */
static bool blank_line_before(const char *src, size_t at) {
    if (at == 0 || src[at - 1] != '\n') return false;
    for (size_t i = at - 1; i > 0 && src[i - 1] != '\n'; i--)
        if (!is_space(src[i - 1])) return false;
    return true;
}

/* The language's rule at line start at (code_split_rule), but for #if
 * nesting. */
static bool cut_here(const code_split_rule *r, const char *src, size_t len, size_t at) {
    if (at == 0 || at >= len || is_space(src[at]) || src[at] == '\n' || !blank_line_before(src, at)) return false;
    size_t lc = r->line_comment ? strlen(r->line_comment) : 0, i = at;
    for (;;) { /* past comments and blank lines to the first code */
        if (i >= len) return false;
        if (is_space(src[i]) || src[i] == '\n') {
            i++;
        } else if (lc && len - i >= lc && !memcmp(src + i, r->line_comment, lc)) {
            const char *nl = memchr(src + i, '\n', len - i);
            if (!nl) return false;
            i = (size_t)(nl - src) + 1;
        } else if (r->block_comment && len - i >= 2 && src[i] == '/' && src[i + 1] == '*') {
            const char *e = memmem(src + i + 2, len - i - 2, "*/", 2);
            if (!e) return false;
            i = (size_t)(e - src) + 2;
        } else {
            break;
        }
    }
    unsigned char c = (unsigned char)src[i];
    if (src[i - 1] != '\n' || !(isalpha(c) || c == '_' || (r->starts && c && strchr(r->starts, c)))) return false;
    size_t w = i + 1;
    while (w < len && (isalnum((unsigned char)src[w]) || src[w] == '_')) w++;
    return !word_in(src + i, w - i, r->continuations);
}

/* The #if nesting after the line [p, e), from depth before it: #if, #ifdef
 * and #ifndef open, #endif closes. Line by line, not looking into comments
 * or strings: a wrong count costs a cut, or a parse (the safety net). */
static int preproc_line(const char *p, const char *e, int depth) {
    while (p < e && is_space(*p)) p++;
    if (p == e || *p != '#') return depth;
    p++;
    while (p < e && is_space(*p)) p++;
    size_t n = 0;
    while (p + n < e && isalpha((unsigned char)p[n])) n++;
    if ((n == 2 && !memcmp(p, "if", 2)) || (n == 5 && !memcmp(p, "ifdef", 5)) || (n == 6 && !memcmp(p, "ifndef", 6)))
        return depth + 1;
    if (n == 5 && !memcmp(p, "endif", 5) && depth > 0) return depth - 1;
    return depth;
}

bool code_split_candidate(const char *src, size_t len, code_lang lang, size_t at) {
    const code_spec *spec = spec_of(lang);
    if (!spec || !src || !cut_here(&spec->split, src, len, at)) return false;
    if (!spec->split.preproc) return true;
    int depth = 0;
    for (size_t i = 0; i < at;) {
        const char *nl = memchr(src + i, '\n', at - i);
        const char *e = nl ? nl : src + at;
        depth = preproc_line(src + i, e, depth);
        i = (size_t)(e - src) + 1;
    }
    return depth == 0;
}

/* The cut nearest the middle within its middle half, or 0 for none. */
static size_t choose_cut(const code_spec *spec, const char *src, size_t len) {
    if (len < atomic_load(&split_min) || len < 2) return 0;
    const code_split_rule *r = &spec->split;
    size_t mid = len / 2, lo = len / 4, hi = len - len / 4, best = 0, dist = SIZE_MAX;
    int depth = 0;
    for (size_t at = 0; at < hi;) {
        if (at > mid && at - mid >= dist) break; /* nothing nearer after this */
        if (at >= lo && depth == 0 && cut_here(r, src, len, at)) {
            size_t d = at > mid ? at - mid : mid - at;
            if (d < dist) best = at, dist = d;
        }
        const char *nl = memchr(src + at, '\n', len - at);
        if (!nl) break;
        if (r->preproc) depth = preproc_line(src + at, nl, depth);
        at = (size_t)(nl - src) + 1;
    }
    return best;
}

size_t code_split_point(const char *src, size_t len, code_lang lang) {
    const code_spec *spec = spec_of(lang);
    return spec && src ? choose_cut(spec, src, len) : 0;
}

/* The second part on the side thread: its parse, in a window of that
 * thread's, detached for the caller's walk. The caller may parse the part
 * too, racing a side thread that is slow to get a CPU; whichever parse ends
 * first stops the other, and the caller does not wait for a loser, which
 * may still be running when code_parse returns: so the side parse reads its
 * own copy of the text, and the last of the two to be done with this frees
 * it. */
typedef struct {
    const code_spec *spec;
    uint32_t at, len;
    TSPoint at_point;
    TSTree *tree;
    tsarena_window *window;
    size_t stop;        /* set: the side parse is of no use any more */
    size_t caller_stop; /* ... the caller's */
    atomic_int refs;    /* the caller's and the job's */
    char text[];        /* [at, len) of the file */
} side_part;

static void side_part_unref(side_part *j) {
    if (atomic_fetch_sub(&j->refs, 1) != 1) return;
    tsarena_release(j->window);
    free(j);
}

/* A part's text for tree-sitter, at the file's byte offsets, a chunk at a
 * time so that a parse can be stopped: once stop is set the text ends where
 * it has been read up to, and the parse ends soon after (a truncated tree,
 * thrown away). tree-sitter's own cancellation flag is not used: the pinned
 * runtime (0.20.6) can dereference a null token when it stops on it. */
#define PART_CHUNK 2048u

typedef struct {
    const char *text; /* [at, len) of the file */
    uint32_t at, len, served;
    const size_t *stop;
    bool truncated;
} part_input;

static const char *read_part(void *payload, uint32_t byte, TSPoint point, uint32_t *n) {
    (void)point;
    part_input *in = payload;
    uint32_t end = in->len;
    if (__atomic_load_n(in->stop, __ATOMIC_ACQUIRE) && in->served < end) {
        end = in->served;
        in->truncated |= byte >= end;
    }
    if (byte < in->at || byte >= end) {
        *n = 0;
        return "";
    }
    *n = end - byte < PART_CHUNK ? end - byte : PART_CHUNK;
    if (byte + *n > in->served) in->served = byte + *n;
    return in->text + (byte - in->at);
}

/* The part [at, len) parsed through an included range, so that every
 * position in the tree is the file's own; in the calling thread's window.
 * NULL when stopped. */
static TSTree *parse_part(const code_spec *spec, const char *text, uint32_t at, uint32_t len, TSPoint at_point,
                          const size_t *stop) {
    TSParser *parser = ts_parser_new();
    TSRange range = {.start_point = at_point, .end_point = {UINT32_MAX, UINT32_MAX}, .start_byte = at,
                     .end_byte = UINT32_MAX};
    part_input in = {.text = text, .at = at, .len = len, .served = at, .stop = stop};
    TSTree *tree = NULL;
    if (ts_parser_set_language(parser, spec->grammar()) && ts_parser_set_included_ranges(parser, &range, 1))
        tree = ts_parser_parse(parser, NULL, (TSInput){&in, read_part, TSInputEncodingUTF8});
    ts_parser_delete(parser);
    return in.truncated ? NULL : tree; /* a truncated tree is left to the window */
}

/* On the side thread in a window of its own, detached for the caller; run
 * by the caller (it was first to the job), in the caller's. */
static void side_parse(void *arg) {
    side_part *j = arg;
    bool own = !tsarena_active();
    if (own) tsarena_begin();
    j->tree = parse_part(j->spec, j->text, j->at, j->len, j->at_point, &j->stop);
    if (j->tree) __atomic_store_n(&j->caller_stop, 1, __ATOMIC_RELEASE);
    if (own) j->window = tsarena_detach();
    side_part_unref(j);
}

/* Whether the last item of a part (comments aside) belongs to the next. */
static bool ends_bound(const code_spec *spec, TSNode root) {
    if (!spec->split.binds_next) return false;
    const char *last = NULL;
    cx_iter it;
    TSNode ch;
    cx_iter_init(&it, root);
    while (cx_iter_next(&it, &ch))
        if (ts_node_is_named(ch) && !cx_in(ts_node_type(ch), spec->comments)) last = ts_node_type(ch);
    cx_iter_end(&it);
    return last && cx_in(last, spec->split.binds_next);
}

/* The first (or last) visible leaf under n. */
static TSNode edge_leaf(TSNode n, bool last) {
    for (uint32_t c; (c = ts_node_child_count(n)) > 0;) n = ts_node_child(n, last ? c - 1 : 0);
    return n;
}

/* Whether a part's tree spans its text [from, to): its last leaf is not
 * empty and ends with the text (but for blanks after it), and, unless the
 * part starts the file, its first leaf starts with the text, at column 0.
 * A cut inside a string or a block does not always leave an error: Python's
 * scanner ends a string at the end of the input with an empty string_end,
 * an indented block cut short can lose its text to the dedent, and the rest
 * of a block parses as if it were at the top; all of that shows here. */
static bool spans(const char *src, TSNode root, size_t from, size_t to, bool check_start) {
    size_t a = from, b = to;
    while (a < b && isspace((unsigned char)src[a])) a++;
    while (b > a && isspace((unsigned char)src[b - 1])) b--;
    if (a == b) return false; /* a part of blanks only is no part: no rule cuts there */
    TSNode first = edge_leaf(root, false), last = edge_leaf(root, true);
    uint32_t e = ts_node_end_byte(last);
    return e >= b && e <= to && e > ts_node_start_byte(last) &&
           (!check_start || (ts_node_start_byte(first) == a && ts_node_start_point(first).column == 0));
}

/* ---- parse ------------------------------------------------------------------ */

/* Everything after the parse: walker, shared pass, comments. */
static void read_trees(code_ctx *cx, const TSNode *roots, size_t nroots) {
    raw_comment *raw = NULL;
    size_t nraw = 0;
    cx->spec->walk(cx, roots, nroots);
    scan_tree(cx, roots, nroots, &raw, &nraw);
    finish_comments(cx, raw, nraw);
    free(raw);
    sort_comments(cx);
}

static bool first_part_ok(code_ctx *cx, TSTree *t, size_t at) {
    if (!t) return false;
    TSNode root = ts_tree_root_node(t);
    return !ts_node_has_error(root) && spans(cx->src, root, 0, at, false) && !ends_bound(cx->spec, root);
}

static bool second_part_ok(code_ctx *cx, TSTree *t, size_t at) {
    return t && !ts_node_has_error(ts_tree_root_node(t)) && spans(cx->src, ts_tree_root_node(t), at, cx->len, true);
}

/* The position after src[from, to), from the position of from. */
static TSPoint point_after(const char *src, size_t from, size_t to, TSPoint p) {
    for (const char *q = src + from, *e = src + to, *nl; q < e; q = nl + 1) {
        if (!(nl = memchr(q, '\n', (size_t)(e - q)))) {
            p.column += (uint32_t)(e - q);
            break;
        }
        p.row++, p.column = 0;
    }
    return p;
}

/* The whole file, in the open window: with the first part's tree, if any,
 * edited to say that the rest was appended to it, so that the parse reuses
 * what it can of it (tree-sitter's incremental parse). */
static TSTree *parse_whole(code_ctx *cx, TSParser *parser, TSTree *first, size_t at, TSPoint at_point) {
    if (first) {
        TSPoint end = point_after(cx->src, at, cx->len, at_point);
        TSInputEdit e = {.start_byte = (uint32_t)at, .old_end_byte = (uint32_t)at, .new_end_byte = (uint32_t)cx->len,
                         .start_point = at_point, .old_end_point = at_point, .new_end_point = end};
        ts_tree_edit(first, &e);
    }
    return ts_parser_parse_string(parser, first, cx->src, (uint32_t)cx->len);
}

/* The file in two parts cut at at (a line start): returns 2, or 3 when the
 * cut turned out wrong and the file was parsed whole after all, or -1. */
static int read_in_parts(code_ctx *cx, size_t at, lt_err *err) {
    const code_spec *spec = cx->spec;
    side_part *j = malloc(sizeof *j + (cx->len - at));
    if (!j) return lt_err_set(err, LT_ERR_INTERNAL, "Out of memory");
    TSPoint at_point = point_after(cx->src, 0, at, (TSPoint){0, 0}); /* column 0: a line start */
    *j = (side_part){.spec = spec, .at = (uint32_t)at, .len = (uint32_t)cx->len, .at_point = at_point};
    atomic_init(&j->refs, 2);
    memcpy(j->text, cx->src + at, cx->len - at);
    sidejob *side = sidejob_start(side_parse, j);
    /* The first part meanwhile, in this thread's window, which stays open
     * to the end (the walk, and a parse of the whole if need be). */
    tsarena_begin();
    TSParser *parser = ts_parser_new();
    if (!ts_parser_set_language(parser, spec->grammar())) {
        __atomic_store_n(&j->stop, 1, __ATOMIC_RELEASE);
        sidejob_finish(side);
        ts_parser_delete(parser);
        tsarena_end();
        side_part_unref(j);
        return lt_err_set(err, LT_ERR_INTERNAL, "The %s grammar does not load (ABI mismatch)", spec->name);
    }
    TSTree *first = ts_parser_parse_string(parser, NULL, cx->src, (uint32_t)at), *second = NULL;
    bool ok = first_part_ok(cx, first, at);
    if (!ok) {
        /* a wrong cut, or a real error: the second part is of no use */
        __atomic_store_n(&j->stop, 1, __ATOMIC_RELEASE);
        if (sidejob_abandon(side)) side_part_unref(j); /* it never ran: its reference too */
    } else {
        /* A side thread still at it may be sharing a core with other
         * programs: rather than wait for an unknown time, this thread
         * parses the second part too, and the two parts then cost about one
         * parse of the file. */
        if (sidejob_busy(side)) {
            second = parse_part(spec, cx->src + at, (uint32_t)at, (uint32_t)cx->len, at_point, &j->caller_stop);
            if (second) __atomic_store_n(&j->stop, 1, __ATOMIC_RELEASE);
        }
        if (second) {
            if (sidejob_abandon(side)) side_part_unref(j);
        } else {
            sidejob_finish(side);
            second = j->tree;
        }
        ok = second_part_ok(cx, second, at);
    }
    int parts = 2;
    if (ok) {
        TSNode roots[2] = {ts_tree_root_node(first), ts_tree_root_node(second)};
        read_trees(cx, roots, 2);
    } else {
        parts = 3;
        TSTree *whole = parse_whole(cx, parser, first, at, at_point);
        if (whole) {
            TSNode root = ts_tree_root_node(whole);
            read_trees(cx, &root, 1);
        } else {
            parts = lt_err_set(err, LT_ERR_INTERNAL, "The %s parser gave up", spec->name);
        }
    }
    ts_parser_delete(parser);
    tsarena_end(); /* the trees with it; the side thread's go with j */
    side_part_unref(j);
    return parts;
}

/* The file in one parse. */
static int read_whole(code_ctx *cx, lt_err *err) {
    const code_spec *spec = cx->spec;
    /* Everything tree-sitter allocates from here to tsarena_end (the parser,
     * the tree, cursors) lives in this thread's arena and is released there
     * at once: the tree is not freed node by node. The parser is made anew
     * (in the arena, cheaply) so that none of it outlives the window; it is
     * deleted all the same, which frees the grammar's external scanner (plain
     * malloc). */
    tsarena_begin();
    TSParser *parser = ts_parser_new();
    if (!ts_parser_set_language(parser, spec->grammar())) {
        ts_parser_delete(parser);
        tsarena_end();
        return lt_err_set(err, LT_ERR_INTERNAL, "The %s grammar does not load (ABI mismatch)", spec->name);
    }
    TSTree *tree = ts_parser_parse_string(parser, NULL, cx->src, (uint32_t)cx->len);
    if (!tree) {
        ts_parser_delete(parser);
        tsarena_end();
        return lt_err_set(err, LT_ERR_INTERNAL, "The %s parser gave up", spec->name);
    }
    TSNode root = ts_tree_root_node(tree);
    read_trees(cx, &root, 1);
    ts_parser_delete(parser);
    tsarena_end(); /* the tree with it */
    return 0;
}

static int check_source(const code_spec *spec, const char *src, size_t len, lt_err *err) {
    if (!spec) return lt_err_set(err, LT_ERR_INVALID, "Unsupported language; supported: c, python, javascript, typescript, tsx, go, rust");
    if (len > CODE_MAX_SOURCE_BYTES)
        return lt_err_set(err, LT_ERR_INVALID, "Source is too large to parse: %zu bytes, the limit is %u", len,
                          CODE_MAX_SOURCE_BYTES);
    if (!src && len) return lt_err_set(err, LT_ERR_INVALID, "No source text");
    if (len && !looks_like_text((const unsigned char *)src, len))
        return lt_err_set(err, LT_ERR_INVALID, "Source is binary (a NUL byte or invalid UTF-8), not code");
    return 0;
}

static int parse(const code_spec *spec, const char *src, size_t len, size_t at, code_file **out, int *parts,
                 lt_err *err) {
    assert(at == 0 || (at < len && src[at - 1] == '\n'));
    code_file *f = calloc(1, sizeof *f);
    if (!f) return lt_err_set(err, LT_ERR_INTERNAL, "Out of memory");
    f->lang = spec->lang;
    f->lines = count_lines(src ? src : "", len);
    code_ctx cx = {.f = f, .spec = spec, .src = src ? src : "", .len = len};
    if (build_flags(&cx, spec->grammar())) cx.oom = true;
    tsarena_install();
    int rc = 0;
    *parts = 1;
    if (at) {
        rc = read_in_parts(&cx, at, err);
        if (rc > 0) *parts = rc, rc = 0;
    } else {
        rc = read_whole(&cx, err);
    }
    free(cx.func_head);
    free(cx.func_body);
    free(cx.class_head);
    free(cx.class_index);
    free(cx.flags);
    if (rc) {
        code_file_free(f);
        return -1;
    }
    if (cx.oom) {
        code_file_free(f);
        return lt_err_set(err, LT_ERR_INTERNAL, "Out of memory while reading the code");
    }
    *out = f;
    return 0;
}

int code_parse(const char *src, size_t len, code_lang lang, code_file **out, lt_err *err) {
    *out = NULL;
    const code_spec *spec = spec_of(lang);
    if (check_source(spec, src, len, err)) return -1;
    int parts;
    return parse(spec, src, len, choose_cut(spec, src, len), out, &parts, err);
}

int code_parse_at(const char *src, size_t len, code_lang lang, size_t at, code_file **out, int *parts, lt_err *err) {
    *out = NULL;
    const code_spec *spec = spec_of(lang);
    if (check_source(spec, src, len, err)) return -1;
    if (at && (at >= len || src[at - 1] != '\n')) return lt_err_set(err, LT_ERR_INVALID, "A cut must be at a line start");
    return parse(spec, src, len, at, out, parts, err);
}

static void strv_free(char **v, size_t n) {
    for (size_t i = 0; i < n; i++) free(v[i]);
    free(v);
}

void code_file_free(code_file *f) {
    if (!f) return;
    for (size_t i = 0; i < f->nfuncs; i++) {
        code_func *fn = &f->funcs[i];
        free(fn->name), free(fn->qualified_name), free(fn->parent), free(fn->signature);
        for (size_t k = 0; k < fn->nparams; k++)
            free(fn->params[k].name), free(fn->params[k].type), free(fn->params[k].default_value);
        free(fn->params);
        free(fn->return_type), free(fn->doc);
        strv_free(fn->decorators, fn->ndecorators);
    }
    free(f->funcs);
    for (size_t i = 0; i < f->nclasses; i++) {
        code_class *c = &f->classes[i];
        free(c->name), free(c->kind), free(c->doc);
        strv_free(c->bases, c->nbases);
        strv_free(c->methods, c->nmethods);
        strv_free(c->attributes, c->nattributes);
    }
    free(f->classes);
    for (size_t i = 0; i < f->ncomments; i++) free(f->comments[i].text), free(f->comments[i].parent_name);
    free(f->comments);
    for (size_t i = 0; i < f->nimports; i++) free(f->imports[i].module);
    free(f->imports);
    free(f);
}
