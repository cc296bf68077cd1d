/* code_c.c - C: function definitions, struct/union/enum specifiers with a
 * body, #include. A function is exported unless declared static; its doc is
 * the comment block right above it (code.c). */
#include "code_int.h"

#include <stdlib.h>
#include <string.h>

const TSLanguage *tree_sitter_c(void);

/* The identifier a declarator finally names (through pointer, array,
 * function and parenthesised declarators). */
static TSNode innermost_name(TSNode d) {
    while (!ts_node_is_null(d)) {
        const char *t = ts_node_type(d);
        if (!strcmp(t, "identifier") || !strcmp(t, "field_identifier") || !strcmp(t, "type_identifier")) return d;
        TSNode inner = cx_field(d, "declarator");
        if (ts_node_is_null(inner)) {
            /* parenthesized_declarator and attributed_declarator: first named child */
            inner = ts_node_named_child_count(d) ? ts_node_named_child(d, 0) : inner;
            if (ts_node_eq(inner, d)) break;
        }
        d = inner;
    }
    TSNode none = {0};
    return none;
}

/* The function_declarator inside a definition's declarator. */
static TSNode function_declarator(TSNode d) {
    while (!ts_node_is_null(d) && !cx_is(d, "function_declarator")) d = cx_field(d, "declarator");
    return d;
}

/* "int *a[3]" with name a -> "int * [3]": the declaration text without its name. */
static char *type_without_name(code_ctx *cx, TSNode decl, TSNode name) {
    if (ts_node_is_null(name)) return cx_text1(cx, decl);
    char *a = cx_span1(cx, ts_node_start_byte(decl), ts_node_start_byte(name));
    char *b = cx_span1(cx, ts_node_end_byte(name), ts_node_end_byte(decl));
    char *t = a && b && *b ? cx_join(a, " ", b) : NULL;
    if (t) {
        free(a);
        a = t;
    }
    free(b);
    return a;
}

static void params(code_ctx *cx, code_func *fn, TSNode list) {
    cx_iter it;
    TSNode p;
    cx_iter_init(&it, list);
    while (cx_iter_next(&it, &p)) {
        if (cx_is(p, "variadic_parameter") || (!ts_node_is_named(p) && cx_text_is(cx, p, "..."))) {
            cx_add_param(cx, fn, cx_strdup(cx, "..."), NULL, NULL);
            continue;
        }
        if (!cx_is(p, "parameter_declaration")) continue;
        TSNode d = cx_field(p, "declarator");
        if (ts_node_is_null(d)) {
            if (cx_text_is(cx, p, "void")) continue; /* f(void) */
            cx_add_param(cx, fn, cx_strdup(cx, ""), cx_text1(cx, p), NULL);
            continue;
        }
        TSNode name = innermost_name(d);
        cx_add_param(cx, fn, ts_node_is_null(name) ? cx_strdup(cx, "") : cx_text(cx, name),
                     type_without_name(cx, p, name), NULL);
    }
    cx_iter_end(&it);
}

static void function(code_ctx *cx, TSNode def) {
    TSNode decl = cx_field(def, "declarator");
    TSNode fdecl = function_declarator(decl);
    TSNode name = innermost_name(fdecl);
    code_func *fn = cx_add_func(cx, def, cx_text(cx, name), cx_line(def));
    if (!fn) return;
    fn->qualified_name = cx_strdup(cx, fn->name);
    TSNode body = cx_field(def, "body");
    fn->signature = cx_signature(cx, def, body);
    /* return type: the type specifier plus the pointer declarators around the name */
    char *ret = cx_text1(cx, cx_field(def, "type"));
    for (TSNode d = decl; ret && !ts_node_is_null(d) && cx_is(d, "pointer_declarator"); d = cx_field(d, "declarator")) {
        char *r = cx_join(ret, "", " *");
        free(ret);
        ret = r;
    }
    fn->return_type = ret;
    if (!ts_node_is_null(fdecl)) params(cx, fn, cx_field(fdecl, "parameters"));
    fn->is_exported = true;
    cx_iter it;
    TSNode ch;
    cx_iter_init(&it, def);
    while (cx_iter_next(&it, &ch))
        if (cx_is(ch, "storage_class_specifier") && cx_text_is(cx, ch, "static")) fn->is_exported = false;
    cx_iter_end(&it);
    cx_set_body(cx, fn, body);
}

static void fields(code_ctx *cx, size_t ci, TSNode body) {
    cx_iter it;
    TSNode ch;
    cx_iter_init(&it, body);
    while (cx_iter_next(&it, &ch)) {
        if (cx_is(ch, "enumerator")) {
            code_class *c = &cx->f->classes[ci];
            cx_strv_push(cx, &c->attributes, &c->nattributes, cx_text(cx, cx_field(ch, "name")));
            continue;
        }
        if (!cx_is(ch, "field_declaration")) continue;
        cx_iter fit;
        TSNode d;
        cx_iter_init(&fit, ch);
        while (cx_iter_next(&fit, &d)) {
            const char *fname = cx_iter_field(&fit);
            if (!fname || strcmp(fname, "declarator") != 0) continue;
            TSNode n = innermost_name(d);
            code_class *c = &cx->f->classes[ci];
            if (!ts_node_is_null(n)) cx_strv_push(cx, &c->attributes, &c->nattributes, cx_text(cx, n));
        }
        cx_iter_end(&fit);
    }
    cx_iter_end(&it);
}

static void walk_node(code_ctx *cx, TSNode n);

static void record(code_ctx *cx, TSNode spec, const char *kind) {
    TSNode body = cx_field(spec, "body");
    if (ts_node_is_null(body)) return; /* a use, not a definition */
    TSNode name = cx_field(spec, "name");
    char *nm = NULL;
    if (!ts_node_is_null(name)) nm = cx_text(cx, name);
    else {
        TSNode parent = ts_node_parent(spec);
        if (cx_is(parent, "type_definition")) nm = cx_text(cx, innermost_name(cx_field(parent, "declarator")));
    }
    /* a typedef'd struct is documented above the typedef */
    TSNode parent = ts_node_parent(spec);
    int head = cx_is(parent, "type_definition") ? cx_line(parent) : cx_line(spec);
    if (!cx_add_class(cx, spec, nm, kind, head)) return;
    fields(cx, cx->f->nclasses - 1, body);
    walk_node(cx, body); /* nested definitions */
}

static void include(code_ctx *cx, TSNode inc) {
    TSNode path = cx_field(inc, "path");
    if (ts_node_is_null(path)) return;
    char *t = cx_text(cx, path);
    if (!t) return;
    size_t l = strlen(t);
    bool local = t[0] == '"';
    if (l >= 2 && (t[0] == '"' || t[0] == '<')) {
        memmove(t, t + 1, l - 2);
        t[l - 2] = '\0';
    }
    cx_add_import(cx, t, cx_line(inc), local);
}

/* Where definitions can be: the file, preprocessor conditionals, extern "C"
 * blocks, declarations (a struct defined in a variable's type) and struct
 * bodies; ERROR nodes too, so definitions after a syntax error are found. */
static const char *const containers[] = {"translation_unit", "preproc_if", "preproc_ifdef", "preproc_else",
                                         "preproc_elif", "preproc_elifdef", "linkage_specification",
                                         "declaration_list", "declaration", "type_definition",
                                         "field_declaration_list", "field_declaration", "ERROR", NULL};

static void walk_node(code_ctx *cx, TSNode n) {
    if (!cx_enter(cx)) return;
    cx_iter it;
    TSNode ch;
    cx_iter_init(&it, n);
    while (cx_iter_next(&it, &ch)) {
        if (!ts_node_is_named(ch)) continue;
        const char *t = ts_node_type(ch);
        if (!strcmp(t, "function_definition")) function(cx, ch);
        else if (!strcmp(t, "struct_specifier")) record(cx, ch, "struct");
        else if (!strcmp(t, "union_specifier")) record(cx, ch, "union");
        else if (!strcmp(t, "enum_specifier")) record(cx, ch, "enum");
        else if (!strcmp(t, "preproc_include")) include(cx, ch);
        else if (cx_in(t, containers)) walk_node(cx, ch);
    }
    cx_iter_end(&it);
    cx_leave(cx);
}

static void walk(code_ctx *cx, const TSNode *roots, size_t nroots) {
    for (size_t i = 0; i < nroots; i++) walk_node(cx, roots[i]);
}

/* A cut never falls inside a conditional (#if ... #endif) */
static const char *const continuations[] = {"#else", "#elif", "#elifdef", "#elifndef", "#endif", "else", NULL};

static const char *const decisions[] = {"if_statement", "for_statement", "while_statement", "do_statement",
                                        "conditional_expression", NULL};
static const char *const valued[] = {"case_statement", NULL};
static const char *const logical[] = {"binary_expression", NULL};
static const char *const logical_ops[] = {"&&", "||", NULL};
static const char *const comments[] = {"comment", NULL};

const code_spec code_spec_c = {
    .lang = CODE_LANG_C,
    .name = "c",
    .grammar = tree_sitter_c,
    .decisions = decisions,
    .valued = valued,
    .logical = logical,
    .logical_ops = logical_ops,
    .comments = comments,
    .walk = walk,
    .split = {.line_comment = "//", .block_comment = true, .preproc = true, .starts = "#",
              .continuations = continuations},
};
