/* code_go.c - Go: functions ("pkg.Func") and methods ("Type.Method",
 * attached to their type by the receiver), type declarations (struct,
 * interface, other types) with fields, embedded types as bases and
 * interface methods, and imports. Exported means a capitalised name. */
#include "code_int.h"

#include <stdlib.h>
#include <string.h>

const TSLanguage *tree_sitter_go(void);

static bool capitalised(const char *s) { return s && s[0] >= 'A' && s[0] <= 'Z'; }

static void params(code_ctx *cx, code_func *fn, TSNode list) {
    cx_iter it;
    TSNode p;
    cx_iter_init(&it, list);
    while (cx_iter_next(&it, &p)) {
        bool variadic = cx_is(p, "variadic_parameter_declaration");
        if (!variadic && !cx_is(p, "parameter_declaration")) continue;
        TSNode type = cx_field(p, "type");
        char *tt = cx_text1(cx, type);
        if (variadic && tt) {
            char *v = cx_join("...", "", tt);
            free(tt);
            tt = v;
        }
        /* "a, b int": one parameter per name, all of that type */
        int names = 0;
        cx_iter nit;
        TSNode n;
        cx_iter_init(&nit, p);
        while (cx_iter_next(&nit, &n)) {
            const char *f = cx_iter_field(&nit);
            if (!f || strcmp(f, "name") != 0) continue;
            cx_add_param(cx, fn, cx_text(cx, n), cx_strdup(cx, tt), NULL);
            names++;
        }
        cx_iter_end(&nit);
        if (names == 0) cx_add_param(cx, fn, cx_strdup(cx, ""), cx_strdup(cx, tt), NULL); /* unnamed */
        free(tt);
    }
    cx_iter_end(&it);
}

/* The receiver's type name: (s *Server[T]) -> Server */
static char *receiver_type(code_ctx *cx, TSNode recv) {
    if (ts_node_is_null(recv) || ts_node_named_child_count(recv) == 0) return NULL;
    TSNode t = cx_field(ts_node_named_child(recv, 0), "type");
    while (!ts_node_is_null(t) && (cx_is(t, "pointer_type") || cx_is(t, "generic_type") ||
                                   cx_is(t, "parenthesized_type"))) {
        TSNode inner = cx_field(t, "type");
        if (ts_node_is_null(inner)) {
            if (ts_node_named_child_count(t) == 0) break;
            inner = ts_node_named_child(t, 0);
        }
        t = inner;
    }
    return cx_text(cx, t);
}

static void function(code_ctx *cx, TSNode def, const char *pkg) {
    TSNode body = cx_field(def, "body");
    bool method = cx_is(def, "method_declaration");
    code_func *fn = cx_add_func(cx, def, cx_text(cx, cx_field(def, "name")), cx_line(def));
    if (!fn) return;
    if (method) {
        fn->parent = receiver_type(cx, cx_field(def, "receiver"));
        fn->is_method = true;
        fn->qualified_name = cx_join(fn->parent, ".", fn->name);
    } else {
        fn->qualified_name = cx_join(pkg, ".", fn->name);
    }
    fn->signature = cx_signature(cx, def, body);
    fn->return_type = cx_text1(cx, cx_field(def, "result"));
    fn->is_exported = capitalised(fn->name);
    params(cx, fn, cx_field(def, "parameters"));
    cx_set_body(cx, fn, body);
}

static void type_spec(code_ctx *cx, TSNode spec, int head) {
    TSNode type = cx_field(spec, "type");
    const char *kind = cx_is(type, "struct_type") ? "struct" : cx_is(type, "interface_type") ? "interface" : "type";
    code_class *c = cx_add_class(cx, spec, cx_text(cx, cx_field(spec, "name")), kind, head);
    if (!c) return;
    int ci = (int)cx->f->nclasses - 1;
    TSNode list = cx_is(type, "struct_type") ? ts_node_named_child(type, 0) : type;
    cx_iter it;
    TSNode ch;
    cx_iter_init(&it, list);
    while (cx_iter_next(&it, &ch)) {
        code_class *k = &cx->f->classes[ci];
        if (cx_is(ch, "field_declaration")) {
            int names = 0;
            cx_iter nit;
            TSNode n;
            cx_iter_init(&nit, ch);
            while (cx_iter_next(&nit, &n)) {
                const char *f = cx_iter_field(&nit);
                if (!f || strcmp(f, "name") != 0) continue;
                cx_strv_push(cx, &k->attributes, &k->nattributes, cx_text(cx, n));
                names++;
            }
            cx_iter_end(&nit);
            if (names == 0) { /* an embedded type */
                char *b = cx_text1(cx, cx_field(ch, "type"));
                if (b && b[0] == '*') memmove(b, b + 1, strlen(b));
                cx_strv_push(cx, &k->bases, &k->nbases, b);
            }
        } else if (cx_is(ch, "method_elem") || cx_is(ch, "method_spec")) {
            cx_strv_push(cx, &k->methods, &k->nmethods, cx_text(cx, cx_field(ch, "name")));
        } else if (cx_is(ch, "type_elem") || cx_is(ch, "constraint_elem") || cx_is(ch, "type_identifier") ||
                   cx_is(ch, "qualified_type")) {
            cx_strv_push(cx, &k->bases, &k->nbases, cx_text1(cx, ch)); /* embedded interface */
        }
    }
    cx_iter_end(&it);
}

static void type_decl(code_ctx *cx, TSNode decl) {
    bool grouped = false;
    cx_iter it;
    TSNode ch;
    cx_iter_init(&it, decl);
    while (cx_iter_next(&it, &ch)) grouped |= !ts_node_is_named(ch) && cx_is(ch, "(");
    cx_iter_end(&it);
    cx_iter_init(&it, decl);
    while (cx_iter_next(&it, &ch))
        if (cx_is(ch, "type_spec") || cx_is(ch, "type_alias"))
            type_spec(cx, ch, grouped ? cx_line(ch) : cx_line(decl)); /* doc above `type X` or the spec in a group */
    cx_iter_end(&it);
}

static void import_spec(code_ctx *cx, TSNode spec) {
    TSNode path = cx_field(spec, "path");
    char *m = cx_text(cx, path);
    if (!m) return;
    size_t l = strlen(m);
    if (l >= 2) {
        memmove(m, m + 1, l - 2);
        m[l - 2] = '\0';
    }
    cx_add_import(cx, m, cx_line(spec), m[0] == '.');
}

static void imports(code_ctx *cx, TSNode n) {
    cx_iter it;
    TSNode ch;
    cx_iter_init(&it, n);
    while (cx_iter_next(&it, &ch)) {
        if (cx_is(ch, "import_spec")) import_spec(cx, ch);
        else if (cx_is(ch, "import_spec_list")) imports(cx, ch);
    }
    cx_iter_end(&it);
}

static void walk(code_ctx *cx, const TSNode *roots, size_t nroots) {
    char *pkg = NULL; /* from the first part's package clause, for every part */
    for (size_t i = 0; i < nroots; i++) {
        cx_iter it;
        TSNode ch;
        cx_iter_init(&it, roots[i]);
        while (cx_iter_next(&it, &ch)) {
            const char *t = ts_node_type(ch);
            if (!strcmp(t, "package_clause") && !pkg && ts_node_named_child_count(ch))
                pkg = cx_text(cx, ts_node_named_child(ch, 0));
            else if (!strcmp(t, "function_declaration") || !strcmp(t, "method_declaration")) function(cx, ch, pkg);
            else if (!strcmp(t, "type_declaration")) type_decl(cx, ch);
            else if (!strcmp(t, "import_declaration")) imports(cx, ch);
        }
        cx_iter_end(&it);
    }
    free(pkg);
    /* methods belong to their receiver's type, wherever it is declared */
    for (size_t i = 0; i < cx->f->nfuncs; i++) {
        code_func *fn = &cx->f->funcs[i];
        code_class *c = fn->is_method ? cx_find_class(cx, fn->parent) : NULL;
        if (c) cx_strv_push(cx, &c->methods, &c->nmethods, cx_strdup(cx, fn->name));
    }
}

static const char *const decisions[] = {"if_statement", "for_statement",      "expression_case",
                                        "type_case",    "communication_case", NULL};
static const char *const logical[] = {"binary_expression", NULL};
static const char *const logical_ops[] = {"&&", "||", NULL};
static const char *const comments[] = {"comment", NULL};

const code_spec code_spec_go = {
    .lang = CODE_LANG_GO,
    .name = "go",
    .grammar = tree_sitter_go,
    .decisions = decisions,
    .logical = logical,
    .logical_ops = logical_ops,
    .comments = comments,
    .walk = walk,
    .split = {.line_comment = "//", .block_comment = true},
};
