/* code_rust.c - Rust: functions (in modules as "m::f"), methods of impl
 * blocks ("Type::method", attached to the type; `impl Trait for Type` adds
 * the trait to the type's bases), structs, enums, unions and traits,
 * attributes (#[...]) as decorators, and `use` / `mod x;` / `extern crate`
 * as imports. Exported means a visibility modifier (pub, pub(crate), ...),
 * or a method of a trait impl. */
#include "code_int.h"

#include <stdlib.h>
#include <string.h>

const TSLanguage *tree_sitter_rust(void);

static void params(code_ctx *cx, code_func *fn, TSNode list) {
    cx_iter it;
    TSNode p;
    cx_iter_init(&it, list);
    while (cx_iter_next(&it, &p)) {
        if (cx_is(p, "parameter")) {
            cx_add_param(cx, fn, cx_text1(cx, cx_field(p, "pattern")), cx_text1(cx, cx_field(p, "type")), NULL);
        } else if (cx_is(p, "self_parameter")) {
            char *t = cx_text1(cx, p);
            cx_add_param(cx, fn, cx_strdup(cx, "self"), t, NULL);
        } else if (cx_is(p, "variadic_parameter")) {
            cx_add_param(cx, fn, cx_strdup(cx, "..."), NULL, NULL);
        } else if (ts_node_is_named(p) && !cx_is(p, "attribute_item") && !cx_is(p, "line_comment") &&
                   !cx_is(p, "block_comment")) {
            cx_add_param(cx, fn, cx_strdup(cx, ""), cx_text1(cx, p), NULL); /* a bare type (fn pointers) */
        }
    }
    cx_iter_end(&it);
}

/* "#[derive(Debug)]" -> "derive(Debug)" */
static char *attribute(code_ctx *cx, TSNode a) {
    char *t = cx_text1(cx, a);
    if (!t) return NULL;
    size_t l = strlen(t);
    if (l >= 3 && t[0] == '#' && t[1] == '[' && t[l - 1] == ']') {
        memmove(t, t + 2, l - 3);
        t[l - 3] = '\0';
    }
    return t;
}

static bool visible(TSNode item) {
    return !ts_node_is_null(item) && !ts_node_is_null(cx_child_of_type(item, "visibility_modifier"));
}

/* The type an impl is for: impl<T> Stack<T> -> Stack, impl a::B -> B */
static char *type_name(code_ctx *cx, TSNode t) {
    for (int guard = 0; !ts_node_is_null(t) && guard < 16; guard++) {
        if (cx_is(t, "generic_type")) t = cx_field(t, "type");
        else if (cx_is(t, "scoped_type_identifier")) t = cx_field(t, "name");
        else if (cx_is(t, "reference_type")) t = cx_field(t, "type");
        else break;
    }
    return cx_text(cx, t);
}

typedef struct {
    char **attrs;
    size_t nattrs;
    int head; /* first line of the pending attributes, 0 when none */
} pending;

static void pending_clear(pending *p) {
    for (size_t i = 0; i < p->nattrs; i++) free(p->attrs[i]);
    free(p->attrs);
    *p = (pending){0};
}

static void function(code_ctx *cx, TSNode def, pending *pa, const char *impl_type, const char *outer, bool trait_impl) {
    TSNode body = cx_field(def, "body");
    int head = pa->head ? pa->head : cx_line(def);
    code_func *fn = cx_add_func(cx, def, cx_text(cx, cx_field(def, "name")), head);
    if (!fn) return;
    fn->decorators = pa->attrs;
    fn->ndecorators = pa->nattrs;
    *pa = (pending){0};
    fn->parent = cx_strdup(cx, impl_type);
    fn->is_method = impl_type != NULL;
    fn->qualified_name = cx_join(impl_type ? impl_type : outer, "::", fn->name);
    fn->signature = cx_signature(cx, def, body);
    fn->return_type = cx_text1(cx, cx_field(def, "return_type"));
    fn->is_exported = visible(def) || trait_impl;
    TSNode mods = cx_child_of_type(def, "function_modifiers");
    fn->is_async = !ts_node_is_null(mods) && !ts_node_is_null(cx_child_of_type(mods, "async"));
    params(cx, fn, cx_field(def, "parameters"));
    cx_set_body(cx, fn, body);
}

static void walk_items(code_ctx *cx, TSNode list, const char *impl_type, const char *outer, bool trait_impl);

static void record(code_ctx *cx, TSNode def, pending *pa, const char *kind) {
    int head = pa->head ? pa->head : cx_line(def);
    pending_clear(pa); /* derive(...) on a type is not kept: code_class has no decorators */
    code_class *c = cx_add_class(cx, def, type_name(cx, cx_field(def, "name")), kind, head);
    if (!c) return;
    int ci = (int)cx->f->nclasses - 1;
    TSNode body = cx_field(def, "body");
    cx_iter it;
    TSNode ch;
    cx_iter_init(&it, body);
    int pos = 0;
    while (cx_iter_next(&it, &ch)) {
        code_class *k = &cx->f->classes[ci];
        if (cx_is(ch, "field_declaration") || cx_is(ch, "enum_variant")) {
            cx_strv_push(cx, &k->attributes, &k->nattributes, cx_text(cx, cx_field(ch, "name")));
        } else if (cx_is(body, "ordered_field_declaration_list") && ts_node_is_named(ch) &&
                   !cx_is(ch, "attribute_item") && !cx_is(ch, "visibility_modifier") &&
                   !cx_is(ch, "line_comment") && !cx_is(ch, "block_comment")) {
            char idx[16]; /* tuple struct fields are 0, 1, ... */
            snprintf(idx, sizeof idx, "%d", pos++);
            cx_strv_push(cx, &k->attributes, &k->nattributes, cx_strdup(cx, idx));
        } else if (cx_is(ch, "function_signature_item")) { /* required trait methods: no body, no code_func */
            cx_strv_push(cx, &k->methods, &k->nmethods, cx_text(cx, cx_field(ch, "name")));
        }
    }
    cx_iter_end(&it);
    if (!strcmp(kind, "trait")) { /* provided methods are functions of the trait */
        char *tn = cx_strdup(cx, cx->f->classes[ci].name);
        walk_items(cx, body, tn, NULL, visible(def));
        free(tn);
    }
    TSNode bounds = cx_field(def, "bounds"); /* trait A: B + C */
    cx_iter_init(&it, bounds);
    while (cx_iter_next(&it, &ch))
        if (ts_node_is_named(ch))
            cx_strv_push(cx, &cx->f->classes[ci].bases, &cx->f->classes[ci].nbases, cx_text1(cx, ch));
    cx_iter_end(&it);
}

static void walk_items(code_ctx *cx, TSNode list, const char *impl_type, const char *outer, bool trait_impl);

static void impl(code_ctx *cx, TSNode def) {
    char *type = type_name(cx, cx_field(def, "type"));
    TSNode body = cx_field(def, "body");
    if (!ts_node_is_null(body)) walk_items(cx, body, type, NULL, !ts_node_is_null(cx_field(def, "trait")));
    free(type); /* the trait becomes a base of the type in attach() */
}

static void use(code_ctx *cx, TSNode def) {
    char *m = cx_text1(cx, cx_field(def, "argument"));
    if (!m) return;
    bool local = !strncmp(m, "crate::", 7) || !strncmp(m, "self::", 6) || !strncmp(m, "super::", 7);
    cx_add_import(cx, m, cx_line(def), local);
}

static void walk_items(code_ctx *cx, TSNode list, const char *impl_type, const char *outer, bool trait_impl) {
    if (!cx_enter(cx)) return;
    pending pa = {0};
    cx_iter it;
    TSNode ch;
    cx_iter_init(&it, list);
    while (cx_iter_next(&it, &ch)) {
        const char *t = ts_node_type(ch);
        if (!strcmp(t, "attribute_item")) {
            if (!pa.head) pa.head = cx_line(ch);
            cx_strv_push(cx, &pa.attrs, &pa.nattrs, attribute(cx, ch));
            continue;
        }
        if (!strcmp(t, "line_comment") || !strcmp(t, "block_comment")) continue;
        if (!strcmp(t, "function_item")) function(cx, ch, &pa, impl_type, outer, trait_impl);
        else if (!strcmp(t, "struct_item")) record(cx, ch, &pa, "struct");
        else if (!strcmp(t, "enum_item")) record(cx, ch, &pa, "enum");
        else if (!strcmp(t, "union_item")) record(cx, ch, &pa, "union");
        else if (!strcmp(t, "trait_item")) record(cx, ch, &pa, "trait");
        else if (!strcmp(t, "impl_item")) impl(cx, ch);
        else if (!strcmp(t, "use_declaration")) use(cx, ch);
        else if (!strcmp(t, "extern_crate_declaration")) {
            cx_add_import(cx, cx_text(cx, cx_field(ch, "name")), cx_line(ch), false);
        } else if (!strcmp(t, "mod_item")) {
            TSNode body = cx_field(ch, "body");
            char *name = cx_text(cx, cx_field(ch, "name"));
            if (ts_node_is_null(body)) {
                cx_add_import(cx, name, cx_line(ch), true); /* mod x; is a file of this crate */
                name = NULL;
            } else {
                char *qn = cx_join(outer, "::", name);
                walk_items(cx, body, NULL, qn, false);
                free(qn);
            }
            free(name);
        }
        pending_clear(&pa);
    }
    cx_iter_end(&it);
    pending_clear(&pa);
    cx_leave(cx);
}

/* `impl Trait for Type` (outside functions): Trait is a base of Type */
static void impl_traits(code_ctx *cx, TSNode root) {
    TSTreeCursor cur = ts_tree_cursor_new(root);
    for (;;) {
        TSNode n = ts_tree_cursor_current_node(&cur);
        bool descend = !cx_is(n, "function_item");
        if (cx_is(n, "impl_item") && !ts_node_is_null(cx_field(n, "trait"))) {
            char *type = type_name(cx, cx_field(n, "type"));
            code_class *c = cx_find_class(cx, type);
            if (c) cx_strv_push(cx, &c->bases, &c->nbases, cx_text1(cx, cx_field(n, "trait")));
            free(type);
            descend = false;
        }
        if (descend && ts_tree_cursor_goto_first_child(&cur)) continue;
        for (;;) {
            if (ts_tree_cursor_goto_next_sibling(&cur)) break;
            if (!ts_tree_cursor_goto_parent(&cur)) goto done;
        }
    }
done:
    ts_tree_cursor_delete(&cur);
}

/* Methods join their type, and `impl Trait for Type` makes Trait a base of
 * Type: both known only once the whole file is walked. */
static void attach(code_ctx *cx, const TSNode *roots, size_t nroots) {
    for (size_t i = 0; i < cx->f->nfuncs; i++) {
        code_func *fn = &cx->f->funcs[i];
        code_class *c = fn->is_method ? cx_find_class(cx, fn->parent) : NULL;
        if (c) cx_strv_push(cx, &c->methods, &c->nmethods, cx_strdup(cx, fn->name));
    }
    for (size_t i = 0; i < nroots; i++) impl_traits(cx, roots[i]);
}

static void walk(code_ctx *cx, const TSNode *roots, size_t nroots) {
    for (size_t i = 0; i < nroots; i++) walk_items(cx, roots[i], NULL, NULL, false);
    attach(cx, roots, nroots);
}

/* #[attr] belongs to the item below it: a part must not end with one */
static const char *const binds_next[] = {"attribute_item", NULL};
static const char *const continuations[] = {"else", NULL};

static const char *const decisions[] = {"if_expression", "for_expression", "while_expression", "match_arm", NULL};
static const char *const logical[] = {"binary_expression", NULL};
static const char *const logical_ops[] = {"&&", "||", NULL};
static const char *const comments[] = {"line_comment", "block_comment", NULL};

const code_spec code_spec_rust = {
    .lang = CODE_LANG_RUST,
    .name = "rust",
    .grammar = tree_sitter_rust,
    .decisions = decisions,
    .logical = logical,
    .logical_ops = logical_ops,
    .comments = comments,
    .walk = walk,
    .split = {.line_comment = "//", .block_comment = true, .starts = "#", .continuations = continuations,
              .binds_next = binds_next},
};
