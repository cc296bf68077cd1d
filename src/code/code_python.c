/* code_python.c - Python: functions and methods (async, decorators, typed
 * and default parameters), classes (bases, methods, class-level and
 * self.x attributes), docstrings, import and from-import. A name is
 * exported unless it starts with an underscore (dunder methods are). */
#include "code_int.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

const TSLanguage *tree_sitter_python(void);

/* The docstring of a string node: quotes and prefixes removed, then
 * cleaned like inspect.cleandoc (common indentation of the lines after the
 * first removed, blank first and last lines dropped). */
static char *docstring(code_ctx *cx, TSNode str) {
    char *t = cx_text(cx, str);
    if (!t) return NULL;
    char *p = t;
    while (*p && strchr("rRuUbBfF", *p)) p++;
    size_t l = strlen(p), q = 0;
    if (l >= 6 && (!strncmp(p, "\"\"\"", 3) || !strncmp(p, "'''", 3))) q = 3;
    else if (l >= 2 && (*p == '"' || *p == '\'')) q = 1;
    if (l >= 2 * q) {
        p += q;
        l -= 2 * q;
    }
    /* common indentation of lines 2.. */
    size_t indent = (size_t)-1;
    for (char *s = memchr(p, '\n', l); s && s < p + l; s = memchr(s, '\n', (size_t)(p + l - s))) {
        s++;
        size_t k = 0;
        while (s + k < p + l && (s[k] == ' ' || s[k] == '\t')) k++;
        if (s + k < p + l && s[k] != '\n' && k < indent) indent = k;
    }
    char *out = malloc(l + 1);
    if (!out) {
        free(t);
        cx->oom = true;
        return NULL;
    }
    size_t o = 0;
    bool first = true;
    for (char *s = p; s < p + l;) {
        char *nl = memchr(s, '\n', (size_t)(p + l - s));
        char *e = nl ? nl : p + l;
        char *b = s;
        if (first) {
            while (b < e && isspace((unsigned char)*b)) b++;
        } else {
            for (size_t k = 0; k < indent && b < e && (*b == ' ' || *b == '\t'); k++) b++;
        }
        char *te = e;
        while (te > b && isspace((unsigned char)te[-1])) te--;
        if (o > 0 || te > b) {
            memcpy(out + o, b, (size_t)(te - b));
            o += (size_t)(te - b);
            out[o++] = '\n';
        }
        first = false;
        if (!nl) break;
        s = nl + 1;
    }
    while (o > 0 && out[o - 1] == '\n') o--;
    out[o] = '\0';
    free(t);
    return out;
}

/* The string that is the first statement of a block (a docstring), or null. */
static TSNode first_string(TSNode block) {
    TSNode none = {0};
    if (ts_node_is_null(block) || ts_node_named_child_count(block) == 0) return none;
    TSNode st = ts_node_named_child(block, 0);
    if (!cx_is(st, "expression_statement") || ts_node_named_child_count(st) != 1) return none;
    TSNode s = ts_node_named_child(st, 0);
    return cx_is(s, "string") ? s : none;
}

static void add_doc(code_ctx *cx, TSNode str, char **doc, const char *owner) {
    if (ts_node_is_null(str)) return;
    *doc = docstring(cx, str);
    cx_add_comment(cx, CODE_COMMENT_DOCSTRING, cx_line(str), cx_end_line(str), cx_strdup(cx, *doc),
                   cx_strdup(cx, owner));
}

static void param(code_ctx *cx, code_func *fn, TSNode p) {
    const char *t = ts_node_type(p);
    if (!strcmp(t, "identifier") || !strcmp(t, "list_splat_pattern") || !strcmp(t, "dictionary_splat_pattern")) {
        cx_add_param(cx, fn, cx_text(cx, p), NULL, NULL);
    } else if (!strcmp(t, "typed_parameter")) {
        TSNode name = ts_node_named_child(p, 0); /* identifier or a splat pattern */
        cx_add_param(cx, fn, cx_text(cx, name), cx_text1(cx, cx_field(p, "type")), NULL);
    } else if (!strcmp(t, "default_parameter") || !strcmp(t, "typed_default_parameter")) {
        cx_add_param(cx, fn, cx_text(cx, cx_field(p, "name")), cx_text1(cx, cx_field(p, "type")),
                     cx_text1(cx, cx_field(p, "value")));
    } else if (!strcmp(t, "keyword_separator") || !strcmp(t, "positional_separator")) {
        cx_add_param(cx, fn, cx_text(cx, p), NULL, NULL); /* "*" and "/" keep their meaning */
    }
}

static bool exported(const char *name) {
    if (!name) return false;
    if (name[0] != '_') return true;
    size_t l = strlen(name);
    return l > 4 && name[1] == '_' && name[l - 1] == '_' && name[l - 2] == '_';
}

static void walk_block(code_ctx *cx, TSNode block, const char *cls, const char *outer, int cls_index);

static void function(code_ctx *cx, TSNode def, TSNode outer_node, const char *cls, const char *outer, int ci) {
    TSNode body = cx_field(def, "body");
    code_func *fn = cx_add_func(cx, def, cx_text(cx, cx_field(def, "name")), cx_line(outer_node));
    if (!fn) return;
    size_t fi = cx->f->nfuncs - 1;
    fn->line = cx_line(def);
    fn->is_method = cls != NULL;
    fn->parent = cx_strdup(cx, cls);
    fn->qualified_name = cx_join(cls ? cls : outer, ".", fn->name);
    fn->signature = cx_signature(cx, def, body);
    fn->return_type = cx_text1(cx, cx_field(def, "return_type"));
    fn->is_exported = exported(fn->name);
    TSNode first = ts_node_child(def, 0);
    fn->is_async = cx_is(first, "async");
    cx_iter it;
    TSNode ch;
    cx_iter_init(&it, cx_field(def, "parameters"));
    while (cx_iter_next(&it, &ch))
        if (ts_node_is_named(ch)) param(cx, fn, ch);
    cx_iter_end(&it);
    if (cx_is(outer_node, "decorated_definition")) {
        cx_iter_init(&it, outer_node);
        while (cx_iter_next(&it, &ch)) {
            if (!cx_is(ch, "decorator")) continue;
            char *d = cx_text1(cx, ch);
            if (d && d[0] == '@') memmove(d, d + 1, strlen(d));
            cx_strv_push(cx, &fn->decorators, &fn->ndecorators, d);
        }
        cx_iter_end(&it);
    }
    cx_set_body(cx, fn, body);
    char *qn = cx_strdup(cx, fn->qualified_name);
    add_doc(cx, first_string(body), &cx->f->funcs[fi].doc, qn);
    if (ci >= 0) {
        code_class *c = &cx->f->classes[ci];
        cx_strv_push(cx, &c->methods, &c->nmethods, cx_strdup(cx, cx->f->funcs[fi].name));
    }
    /* nested definitions: functions inside are qualified by this one */
    walk_block(cx, body, NULL, qn, -1);
    free(qn);
}

/* self.x = ... anywhere in a method: an attribute of the class */
static void self_attrs(code_ctx *cx, TSNode n, int ci) {
    if (ts_node_is_null(n)) return;
    TSTreeCursor c = ts_tree_cursor_new(n);
    for (;;) {
        TSNode x = ts_tree_cursor_current_node(&c);
        if (cx_is(x, "assignment") || cx_is(x, "augmented_assignment")) {
            TSNode left = cx_field(x, "left");
            if (cx_is(left, "attribute") && cx_text_is(cx, cx_field(left, "object"), "self")) {
                char *a = cx_text(cx, cx_field(left, "attribute"));
                code_class *k = &cx->f->classes[ci];
                bool dup = false;
                for (size_t i = 0; a && i < k->nattributes; i++) dup |= !strcmp(k->attributes[i], a);
                if (dup) free(a);
                else cx_strv_push(cx, &k->attributes, &k->nattributes, a);
            }
        }
        if (!cx_is(x, "class_definition") && ts_tree_cursor_goto_first_child(&c)) continue;
        for (;;) {
            if (ts_tree_cursor_goto_next_sibling(&c)) break;
            if (!ts_tree_cursor_goto_parent(&c) || ts_node_eq(ts_tree_cursor_current_node(&c), n)) goto done;
        }
    }
done:
    ts_tree_cursor_delete(&c);
}

static void klass(code_ctx *cx, TSNode def, TSNode outer_node, const char *outer) {
    TSNode body = cx_field(def, "body");
    char *name = cx_text(cx, cx_field(def, "name"));
    char *qn = cx_join(outer, ".", name);
    code_class *c = cx_add_class(cx, def, name, "class", cx_line(outer_node));
    if (!c) {
        free(qn);
        return;
    }
    int ci = (int)cx->f->nclasses - 1;
    c->line = cx_line(def);
    cx_iter it;
    TSNode ch;
    cx_iter_init(&it, cx_field(def, "superclasses"));
    while (cx_iter_next(&it, &ch))
        if (ts_node_is_named(ch) && !cx_is(ch, "keyword_argument") && !cx_is(ch, "comment"))
            cx_strv_push(cx, &c->bases, &c->nbases, cx_text1(cx, ch));
    cx_iter_end(&it);
    /* class-level assignments */
    cx_iter_init(&it, body);
    while (cx_iter_next(&it, &ch)) {
        if (!cx_is(ch, "expression_statement") || ts_node_named_child_count(ch) == 0) continue;
        TSNode a = ts_node_named_child(ch, 0);
        if (!cx_is(a, "assignment")) continue;
        TSNode left = cx_field(a, "left");
        if (cx_is(left, "identifier"))
            cx_strv_push(cx, &cx->f->classes[ci].attributes, &cx->f->classes[ci].nattributes, cx_text(cx, left));
    }
    cx_iter_end(&it);
    add_doc(cx, first_string(body), &cx->f->classes[ci].doc, cx->f->classes[ci].name);
    walk_block(cx, body, qn ? qn : cx->f->classes[ci].name, outer, ci);
    self_attrs(cx, body, ci);
    free(qn);
}

static void import_names(code_ctx *cx, TSNode st) {
    cx_iter it;
    TSNode ch;
    cx_iter_init(&it, st);
    while (cx_iter_next(&it, &ch)) {
        const char *f = cx_iter_field(&it);
        if (!f || strcmp(f, "name") != 0) continue;
        TSNode mod = cx_is(ch, "aliased_import") ? cx_field(ch, "name") : ch;
        cx_add_import(cx, cx_text1(cx, mod), cx_line(st), false);
    }
    cx_iter_end(&it);
}

static void walk_block(code_ctx *cx, TSNode block, const char *cls, const char *outer, int ci) {
    if (ts_node_is_null(block) || !cx_enter(cx)) return;
    cx_iter it;
    TSNode ch;
    cx_iter_init(&it, block);
    while (cx_iter_next(&it, &ch)) {
        const char *t = ts_node_type(ch);
        TSNode def = ch;
        if (!strcmp(t, "decorated_definition")) {
            def = cx_field(ch, "definition");
            t = ts_node_is_null(def) ? "" : ts_node_type(def);
        }
        if (!strcmp(t, "function_definition")) function(cx, def, ch, cls, outer, ci);
        else if (!strcmp(t, "class_definition")) klass(cx, def, ch, cls ? cls : outer);
        else if (!strcmp(t, "import_statement")) import_names(cx, ch);
        else if (!strcmp(t, "import_from_statement")) {
            TSNode mod = cx_field(ch, "module_name");
            cx_add_import(cx, cx_text1(cx, mod), cx_line(ch), cx_is(mod, "relative_import"));
        } else if (!strcmp(t, "future_import_statement")) {
            cx_add_import(cx, cx_strdup(cx, "__future__"), cx_line(ch), false);
        } else if (!strcmp(t, "if_statement") || !strcmp(t, "try_statement") || !strcmp(t, "with_statement") ||
                   !strcmp(t, "for_statement") || !strcmp(t, "while_statement") || !strcmp(t, "block") ||
                   !strcmp(t, "else_clause") || !strcmp(t, "elif_clause") || !strcmp(t, "except_clause") ||
                   !strcmp(t, "finally_clause")) {
            /* definitions under `if TYPE_CHECKING:` or `try: import x` still count */
            cx_iter it2;
            TSNode sub;
            cx_iter_init(&it2, ch);
            while (cx_iter_next(&it2, &sub))
                if (cx_is(sub, "block") || cx_is(sub, "else_clause") || cx_is(sub, "elif_clause") ||
                    cx_is(sub, "except_clause") || cx_is(sub, "finally_clause"))
                    walk_block(cx, sub, cls, outer, ci);
            cx_iter_end(&it2);
        }
    }
    cx_iter_end(&it);
    cx_leave(cx);
}

static void walk(code_ctx *cx, const TSNode *roots, size_t nroots) {
    TSNode s = nroots ? first_string(roots[0]) : (TSNode){0}; /* a later part does not start the module */
    if (!ts_node_is_null(s)) {
        char *doc = NULL;
        add_doc(cx, s, &doc, NULL); /* the module docstring */
        free(doc);
    }
    for (size_t i = 0; i < nroots; i++) walk_block(cx, roots[i], NULL, NULL, -1);
}

static const char *const continuations[] = {"else", "elif", "except", "finally", "case", NULL};

static const char *const decisions[] = {"if_statement",  "elif_clause",   "for_statement",
                                        "while_statement", "except_clause", "except_group_clause",
                                        "conditional_expression", "case_clause", "for_in_clause",
                                        "if_clause", NULL};
static const char *const logical[] = {"boolean_operator", NULL};
static const char *const logical_ops[] = {"and", "or", NULL};
static const char *const comments[] = {"comment", NULL};

const code_spec code_spec_python = {
    .lang = CODE_LANG_PYTHON,
    .name = "python",
    .grammar = tree_sitter_python,
    .decisions = decisions,
    .logical = logical,
    .logical_ops = logical_ops,
    .comments = comments,
    .walk = walk,
    .split = {.line_comment = "#", .starts = "@", .continuations = continuations},
};
