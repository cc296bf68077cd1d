/* code_js.c - JavaScript, TypeScript and TSX (one walker: the TypeScript
 * grammars extend the JavaScript one). Functions are function declarations
 * (nested ones too), class methods, and arrow/function expressions bound
 * to a variable at module level; classes are classes, TS interfaces and TS
 * enums. Imports are ES imports and require("...") calls. A definition is
 * exported when it sits in an export statement; a method when its class
 * is and it is not private (#name or the private/protected modifier). */
#include "code_int.h"

#include <stdlib.h>
#include <string.h>

const TSLanguage *tree_sitter_javascript(void);
const TSLanguage *tree_sitter_typescript(void);
const TSLanguage *tree_sitter_tsx(void);

/* ": T" -> "T" */
static char *type_of(code_ctx *cx, TSNode ann) {
    char *t = cx_text1(cx, ann);
    if (t && t[0] == ':') {
        size_t k = 1;
        while (t[k] == ' ') k++;
        memmove(t, t + k, strlen(t + k) + 1);
    }
    return t;
}

/* A string literal's content without its quotes. */
static char *unquote(code_ctx *cx, TSNode s) {
    char *t = cx_text(cx, s);
    if (!t) return NULL;
    size_t l = strlen(t);
    if (l >= 2 && (t[0] == '"' || t[0] == '\'' || t[0] == '`')) {
        memmove(t, t + 1, l - 2);
        t[l - 2] = '\0';
    }
    return t;
}

static void params(code_ctx *cx, code_func *fn, TSNode fnode) {
    TSNode single = cx_field(fnode, "parameter"); /* x => ... */
    if (!ts_node_is_null(single)) {
        cx_add_param(cx, fn, cx_text(cx, single), NULL, NULL);
        return;
    }
    cx_iter it;
    TSNode p;
    cx_iter_init(&it, cx_field(fnode, "parameters"));
    while (cx_iter_next(&it, &p)) {
        if (!ts_node_is_named(p) || cx_is(p, "comment")) continue;
        const char *t = ts_node_type(p);
        if (!strcmp(t, "required_parameter") || !strcmp(t, "optional_parameter")) {
            char *name = cx_text1(cx, cx_field(p, "pattern"));
            if (name && !strcmp(t, "optional_parameter")) {
                char *n2 = cx_join(name, "", "?");
                free(name);
                name = n2;
            }
            cx_add_param(cx, fn, name, type_of(cx, cx_field(p, "type")), cx_text1(cx, cx_field(p, "value")));
        } else if (!strcmp(t, "assignment_pattern")) {
            cx_add_param(cx, fn, cx_text1(cx, cx_field(p, "left")), NULL, cx_text1(cx, cx_field(p, "right")));
        } else if (!strcmp(t, "decorator")) {
            continue;
        } else {
            cx_add_param(cx, fn, cx_text1(cx, p), NULL, NULL); /* identifier, rest and destructuring patterns */
        }
    }
    cx_iter_end(&it);
}

static void decorators(code_ctx *cx, TSNode n, char ***v, size_t *nv) {
    cx_iter it;
    TSNode ch;
    cx_iter_init(&it, n);
    while (cx_iter_next(&it, &ch)) {
        if (!cx_is(ch, "decorator")) continue;
        char *d = cx_text1(cx, ch);
        if (d && d[0] == '@') memmove(d, d + 1, strlen(d));
        cx_strv_push(cx, v, nv, d);
    }
    cx_iter_end(&it);
}

static bool has_token(code_ctx *cx, TSNode n, const char *tok) {
    cx_iter it;
    TSNode ch;
    bool found = false;
    cx_iter_init(&it, n);
    while (!found && cx_iter_next(&it, &ch)) {
        if (cx_is(ch, "statement_block") || cx_is(ch, "formal_parameters")) break;
        found = (!ts_node_is_named(ch) && cx_is(ch, tok)) ||
                (cx_is(ch, "accessibility_modifier") && cx_text_is(cx, ch, tok));
    }
    cx_iter_end(&it);
    return found;
}

static void walk_block(code_ctx *cx, TSNode block, const char *outer, bool top);

/* fnode: the function node (declaration, method, arrow, expression); def: the
 * node whose lines are the function's (the declarator's statement for
 * arrows); head: first line for comment attachment. */
typedef struct {
    char **v; /* decorators written before a class member (siblings in TS's class body) */
    size_t n;
    int head;
} pending;

static void pending_clear(pending *p) {
    for (size_t i = 0; i < p->n; i++) free(p->v[i]);
    free(p->v);
    *p = (pending){0};
}

static void function(code_ctx *cx, TSNode fnode, TSNode def, char *name, int head, const char *cls, int ci,
                     bool exported, const char *outer, pending *pd) {
    code_func *fn = cx_add_func(cx, def, name, pd && pd->head ? pd->head : head);
    if (!fn) return;
    if (pd) {
        fn->decorators = pd->v, fn->ndecorators = pd->n;
        *pd = (pending){0};
    }
    size_t fi = cx->f->nfuncs - 1;
    TSNode body = cx_field(fnode, "body");
    fn->parent = cx_strdup(cx, cls);
    fn->is_method = cls != NULL;
    fn->qualified_name = cx_join(cls ? cls : outer, ".", fn->name);
    fn->signature = cx_signature(cx, def, cx_is(body, "statement_block") ? body : (TSNode){0});
    fn->return_type = type_of(cx, cx_field(fnode, "return_type"));
    fn->is_async = has_token(cx, fnode, "async");
    bool priv = fn->name[0] == '#' || has_token(cx, fnode, "private") || has_token(cx, fnode, "protected");
    fn->is_exported = exported && !priv;
    params(cx, fn, fnode);
    decorators(cx, fnode, &fn->decorators, &fn->ndecorators);
    cx_set_body(cx, fn, body);
    if (ci >= 0) {
        code_class *c = &cx->f->classes[ci];
        cx_strv_push(cx, &c->methods, &c->nmethods, cx_strdup(cx, cx->f->funcs[fi].name));
    }
    if (cx_is(body, "statement_block")) {
        char *qn = cx_strdup(cx, cx->f->funcs[fi].qualified_name);
        walk_block(cx, body, qn, false);
        free(qn);
    }
}

static void heritage(code_ctx *cx, TSNode h, int ci) {
    /* JS: "extends" expr; TS: extends_clause / implements_clause / extends_type_clause */
    cx_iter it;
    TSNode ch;
    cx_iter_init(&it, h);
    while (cx_iter_next(&it, &ch)) {
        if (!ts_node_is_named(ch) || cx_is(ch, "comment")) continue;
        if (cx_is(ch, "extends_clause") || cx_is(ch, "implements_clause") || cx_is(ch, "extends_type_clause")) {
            heritage(cx, ch, ci);
            continue;
        }
        if (cx_is(ch, "type_arguments")) continue;
        code_class *c = &cx->f->classes[ci];
        cx_strv_push(cx, &c->bases, &c->nbases, cx_text1(cx, ch));
    }
    cx_iter_end(&it);
}

static void klass(code_ctx *cx, TSNode def, int head, bool exported, const char *kind) {
    TSNode name = cx_field(def, "name");
    code_class *c = cx_add_class(cx, def, cx_text(cx, name), kind, head);
    if (!c) return;
    int ci = (int)cx->f->nclasses - 1;
    char *cname = cx_strdup(cx, c->name);
    cx_iter it;
    TSNode ch;
    cx_iter_init(&it, def);
    while (cx_iter_next(&it, &ch))
        if (cx_is(ch, "class_heritage") || cx_is(ch, "extends_type_clause")) heritage(cx, ch, ci);
    cx_iter_end(&it);
    TSNode body = cx_field(def, "body");
    pending pd = {0};
    cx_iter_init(&it, body);
    while (cx_iter_next(&it, &ch)) {
        const char *t = ts_node_type(ch);
        if (!strcmp(t, "decorator")) {
            char *d = cx_text1(cx, ch);
            if (d && d[0] == '@') memmove(d, d + 1, strlen(d));
            if (!pd.head) pd.head = cx_line(ch);
            cx_strv_push(cx, &pd.v, &pd.n, d);
            continue;
        }
        if (!strcmp(t, "comment")) continue;
        if (!strcmp(t, "method_definition")) {
            function(cx, ch, ch, cx_text(cx, cx_field(ch, "name")), cx_line(ch), cname, ci, exported, NULL, &pd);
        } else if (!strcmp(t, "method_signature") || !strcmp(t, "abstract_method_signature")) {
            /* interface methods have no body: names only, no code_func */
            code_class *k = &cx->f->classes[ci];
            cx_strv_push(cx, &k->methods, &k->nmethods, cx_text(cx, cx_field(ch, "name")));
        } else if (!strcmp(t, "field_definition") || !strcmp(t, "public_field_definition") ||
                   !strcmp(t, "property_signature")) {
            TSNode n = cx_field(ch, "property");
            if (ts_node_is_null(n)) n = cx_field(ch, "name");
            code_class *k = &cx->f->classes[ci];
            cx_strv_push(cx, &k->attributes, &k->nattributes, cx_text(cx, n));
        } else if (!strcmp(t, "property_identifier") || !strcmp(t, "enum_assignment")) { /* enum members */
            TSNode n = cx_is(ch, "enum_assignment") ? cx_field(ch, "name") : ch;
            code_class *k = &cx->f->classes[ci];
            cx_strv_push(cx, &k->attributes, &k->nattributes, cx_text(cx, n));
        }
        pending_clear(&pd);
    }
    cx_iter_end(&it);
    pending_clear(&pd);
    free(cname);
}

static bool is_function_value(TSNode v) {
    return cx_is(v, "arrow_function") || cx_is(v, "function_expression") || cx_is(v, "function") ||
           cx_is(v, "generator_function");
}

/* const f = () => ..., let g = function () {...} */
static void variables(code_ctx *cx, TSNode decl, int head, bool exported, const char *outer) {
    cx_iter it;
    TSNode d;
    cx_iter_init(&it, decl);
    while (cx_iter_next(&it, &d)) {
        if (!cx_is(d, "variable_declarator")) continue;
        TSNode v = cx_field(d, "value");
        if (is_function_value(v))
            function(cx, v, decl, cx_text(cx, cx_field(d, "name")), head, NULL, -1, exported, outer, NULL);
        else if (cx_is(v, "class"))
            klass(cx, v, head, exported, "class");
    }
    cx_iter_end(&it);
}

static void declaration(code_ctx *cx, TSNode n, int head, bool exported, const char *outer, bool top) {
    const char *t = ts_node_type(n);
    if (!strcmp(t, "function_declaration") || !strcmp(t, "generator_function_declaration") ||
        (exported && (!strcmp(t, "function_expression") || !strcmp(t, "function") || !strcmp(t, "arrow_function")))) {
        TSNode name = cx_field(n, "name");
        function(cx, n, n, ts_node_is_null(name) ? cx_strdup(cx, "default") : cx_text(cx, name), head, NULL, -1,
                 exported, outer, NULL);
    } else if (!strcmp(t, "class_declaration") || !strcmp(t, "abstract_class_declaration") || !strcmp(t, "class")) {
        klass(cx, n, head, exported, "class");
    } else if (!strcmp(t, "interface_declaration")) {
        klass(cx, n, head, exported, "interface");
    } else if (!strcmp(t, "enum_declaration")) {
        klass(cx, n, head, exported, "enum");
    } else if (top && (!strcmp(t, "lexical_declaration") || !strcmp(t, "variable_declaration"))) {
        variables(cx, n, head, exported, outer);
    } else if (!strcmp(t, "function_signature")) { /* .d.ts and overloads: a function without a body */
        function(cx, n, n, cx_text(cx, cx_field(n, "name")), head, NULL, -1, exported, outer, NULL);
    } else if (!strcmp(t, "expression_statement") && cx_is(cx_named(n, 0), "internal_module")) {
        declaration(cx, cx_named(n, 0), head, exported, outer, top);
    } else if (!strcmp(t, "internal_module") || !strcmp(t, "module")) { /* namespace X { ... } */
        TSNode body = cx_field(n, "body");
        if (!ts_node_is_null(body)) walk_block(cx, body, outer, top);
    } else if (!strcmp(t, "ambient_declaration")) { /* declare class/function/const ... */
        cx_iter it;
        TSNode ch;
        cx_iter_init(&it, n);
        while (cx_iter_next(&it, &ch))
            if (ts_node_is_named(ch)) declaration(cx, ch, head, exported, outer, top);
        cx_iter_end(&it);
    }
}

static void walk_block(code_ctx *cx, TSNode block, const char *outer, bool top) {
    if (!cx_enter(cx)) return;
    cx_iter it;
    TSNode ch;
    cx_iter_init(&it, block);
    while (cx_iter_next(&it, &ch)) {
        const char *t = ts_node_type(ch);
        if (!strcmp(t, "export_statement")) {
            TSNode d = cx_field(ch, "declaration");
            if (ts_node_is_null(d)) d = cx_field(ch, "value"); /* export default <expression> */
            if (!ts_node_is_null(d)) declaration(cx, d, cx_line(ch), true, outer, top);
            TSNode src = cx_field(ch, "source"); /* export ... from "x" */
            if (!ts_node_is_null(src)) {
                char *m = unquote(cx, src);
                cx_add_import(cx, m, cx_line(ch), m && (m[0] == '.' || m[0] == '/'));
            }
        } else if (!strcmp(t, "import_statement")) {
            char *m = unquote(cx, cx_field(ch, "source"));
            cx_add_import(cx, m, cx_line(ch), m && (m[0] == '.' || m[0] == '/'));
        } else {
            declaration(cx, ch, cx_line(ch), false, outer, top);
        }
    }
    cx_iter_end(&it);
    cx_leave(cx);
}

/* require("x") anywhere: a hook of the shared pass over every node */
static void require_call(code_ctx *cx, TSNode n) {
    if (!cx_text_is(cx, cx_field(n, "function"), "require")) return;
    TSNode a = cx_named(cx_field(n, "arguments"), 0);
    if (!cx_is(a, "string")) return;
    char *m = unquote(cx, a);
    cx_add_import(cx, m, cx_line(n), m && (m[0] == '.' || m[0] == '/'));
}

static void walk(code_ctx *cx, const TSNode *roots, size_t nroots) {
    for (size_t i = 0; i < nroots; i++) walk_block(cx, roots[i], NULL, true);
}

/* Lines starting with ( [ ` + - / . continue an expression without a
 * semicolon (they do not start with a letter); these words would too. */
static const char *const continuations[] = {"else", "catch", "finally", "instanceof", "in", "of", "as",
                                            "satisfies", "extends", "implements", NULL};

static const char *const decisions[] = {"if_statement",  "for_statement", "for_in_statement", "while_statement",
                                        "do_statement",  "switch_case",   "catch_clause",     "ternary_expression",
                                        NULL};
static const char *const logical[] = {"binary_expression", NULL};
static const char *const logical_ops[] = {"&&", "||", "??", NULL};
static const char *const comments[] = {"comment", NULL};
static const char *const hooks[] = {"call_expression", NULL};

#define JS_SPEC(id, nm, g)                                                                                   \
    const code_spec code_spec_##nm = {                                                                       \
        .lang = id,                                                                                          \
        .name = #nm,                                                                                         \
        .grammar = g,                                                                                        \
        .decisions = decisions,                                                                              \
        .logical = logical,                                                                                  \
        .logical_ops = logical_ops,                                                                          \
        .comments = comments,                                                                                \
        .walk = walk,                                                                                        \
        .hooks = hooks,                                                                                      \
        .hook = require_call,                                                                                \
        .split = {.line_comment = "//", .block_comment = true, .starts = "$@", .continuations = continuations}, \
    }

JS_SPEC(CODE_LANG_JAVASCRIPT, javascript, tree_sitter_javascript);
JS_SPEC(CODE_LANG_TYPESCRIPT, typescript, tree_sitter_typescript);
JS_SPEC(CODE_LANG_TSX, tsx, tree_sitter_tsx);
