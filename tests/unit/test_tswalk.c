/* Unit tests for src/code/tswalk: on sources of every language (aliases,
 * extras, long repetitions, syntax errors, missing nodes, empty text) the
 * iterator yields exactly the nodes tree-sitter's cursor visits, in the same
 * order, as equal TSNodes; in children mode the children of every node with
 * the cursor's field names. */
#include "testutil.h"

#include "code/code.h"
#include "code/code_int.h"
#include "code/tswalk.h"

static const struct {
    code_lang lang;
    const char *src;
} cases[] = {
    {CODE_LANG_PYTHON, "import os\n\n@dec(1)\nasync def f(a: int = 2, *b, **c) -> int:\n    \"\"\"Doc.\"\"\"\n"
                       "    x = [i for i in b if i]  # c\n    return a if a else (lambda y: y)(c)\n\n"
                       "class K(Base):\n    z: int = 1\n    def m(self): pass\n"},
    {CODE_LANG_PYTHON, "def broken(:\n    return\nclass\n"},
    {CODE_LANG_C, "#include <stdio.h>\n/* c */\nstatic int f(int a, char **b) {\n  for (int i = 0; i < a; i++) { a += i; }\n"
                  "  switch (a) { case 1: return 2; default: break; }\n  return a ? a : b[0][0]; // x\n}\n"
                  "struct S { int x; };\ntypedef struct S T;\n"},
    {CODE_LANG_C, "int f( { return 1 +; }\n"},
    {CODE_LANG_JAVASCRIPT, "import x from 'y';\n/** d */\nexport function f(a, b = 2) { if (a && b) return a; }\n"
                           "class C extends D { m() { return `t${1}`; } static s = 1; }\nconst g = async (x) => x ?? 1;\n"},
    {CODE_LANG_TYPESCRIPT, "interface I { a: number; b?: string }\ntype T = I | null;\n"
                           "export class C<T> implements I { a = 1; constructor(private x: T) {} get y(): number { return 1; } }\n"
                           "enum E { A, B }\nfunction f(this: C<number>, ...r: number[]): void {}\n"},
    {CODE_LANG_TSX, "export function F(p: { a: number }): JSX.Element {\n  return <div className=\"v\">{p.a ? p.a : 'n'}<br/></div>;\n}\n"},
    {CODE_LANG_GO, "package p\n\nimport (\n\t\"fmt\"\n)\n\n// T t\ntype T struct{ A int }\n\n"
                   "func (t *T) M(a, b int) (int, error) {\n\tswitch {\n\tcase a > b:\n\t\treturn a, nil\n\t}\n"
                   "\treturn 0, fmt.Errorf(\"x\")\n}\n"},
    {CODE_LANG_RUST, "use std::fmt;\n/// d\npub fn f<'a>(x: &'a str, mut y: i32) -> Option<i32> {\n    match y { 0 => None, _ => Some(y) }\n}\n"
                     "impl fmt::Display for S { fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result { write!(f, \"s\") } }\n"},
    {CODE_LANG_RUST, "fn f( {\n"},
    {CODE_LANG_GO, ""},
};

static bool node_same(TSNode a, TSNode b) {
    return ts_node_eq(a, b) && ts_node_start_byte(a) == ts_node_start_byte(b) &&
           ts_node_end_byte(a) == ts_node_end_byte(b) && ts_node_symbol(a) == ts_node_symbol(b) &&
           ts_node_start_point(a).row == ts_node_start_point(b).row &&
           ts_node_start_point(a).column == ts_node_start_point(b).column &&
           ts_node_end_point(a).row == ts_node_end_point(b).row && ts_node_is_named(a) == ts_node_is_named(b) &&
           strcmp(ts_node_type(a), ts_node_type(b)) == 0;
}

static void compare(TSNode root, size_t *count) {
    TSTreeCursor c = ts_tree_cursor_new(root);
    tsw_iter it;
    tsw_init(&it, root);
    TSNode w;
    for (;;) {
        TSNode n = ts_tree_cursor_current_node(&c);
        assert_true(tsw_next(&it, &w));
        if (!node_same(n, w))
            fail_msg("node %zu: cursor %s at %u, tswalk %s at %u", *count, ts_node_type(n), ts_node_start_byte(n),
                     ts_node_type(w), ts_node_start_byte(w));
        (*count)++;
        if (ts_tree_cursor_goto_first_child(&c)) continue;
        for (;;) {
            if (ts_tree_cursor_goto_next_sibling(&c)) goto next;
            if (!ts_tree_cursor_goto_parent(&c)) goto done;
        }
    next:;
    }
done:
    assert_false(tsw_next(&it, &w));
    assert_false(it.oom);
    tsw_end(&it);
    ts_tree_cursor_delete(&c);
}

/* The children of n, with their field names, as the cursor gives them. */
static void compare_children(TSNode n) {
    TSTreeCursor c = ts_tree_cursor_new(n);
    tsw_iter it;
    tsw_init_children(&it, n);
    TSNode w;
    size_t k = 0;
    if (ts_tree_cursor_goto_first_child(&c)) {
        do {
            TSNode ch = ts_tree_cursor_current_node(&c);
            assert_true(tsw_next(&it, &w));
            if (!node_same(ch, w)) fail_msg("child %zu of %s: cursor %s, tswalk %s", k, ts_node_type(n), ts_node_type(ch), ts_node_type(w));
            const char *a = ts_tree_cursor_current_field_name(&c), *b = tsw_field_name(&it);
            if ((a == NULL) != (b == NULL) || (a && strcmp(a, b)))
                fail_msg("child %zu (%s) of %s: field %s, tswalk %s", k, ts_node_type(ch), ts_node_type(n), a ? a : "-", b ? b : "-");
            k++;
        } while (ts_tree_cursor_goto_next_sibling(&c));
    }
    assert_false(tsw_next(&it, &w));
    assert_false(it.oom);
    tsw_end(&it);
    ts_tree_cursor_delete(&c);
}

static void all_children(TSNode root) {
    tsw_iter it;
    tsw_init(&it, root);
    TSNode n;
    while (tsw_next(&it, &n)) compare_children(n);
    tsw_end(&it);
}

/* With leaves skipped: the full walk minus the leaves whose symbol is not
 * flagged (here: only "comment" and "identifier" are). */
static size_t compare_skipping(TSNode root) {
    const TSLanguage *lang = ts_tree_language(root.tree);
    uint32_t nsym = ts_language_symbol_count(lang);
    uint8_t *flags = calloc(nsym, 1);
    assert_non_null(flags);
    for (uint32_t i = 0; i < nsym; i++) {
        const char *name = ts_language_symbol_name(lang, (TSSymbol)i);
        flags[i] = name && (!strcmp(name, "comment") || !strcmp(name, "identifier"));
    }
    tsw_iter all, some;
    tsw_init(&all, root);
    tsw_init(&some, root);
    tsw_skip_leaves(&some, flags, nsym);
    /* the skipping walk is the full walk less some unflagged nodes without
     * visible children (a node with only hidden ones may still come) */
    TSNode a, b;
    size_t kept = 0, skipped = 0;
    bool have_b = tsw_next(&some, &b);
    while (tsw_next(&all, &a)) {
        TSSymbol s = ts_node_symbol(a);
        bool may_skip = ts_node_child_count(a) == 0 && (s >= nsym || !flags[s]);
        if (have_b && node_same(a, b)) {
            kept++;
            have_b = tsw_next(&some, &b);
            continue;
        }
        if (!may_skip) fail_msg("%s at %u was passed over", ts_node_type(a), ts_node_start_byte(a));
        skipped++;
    }
    assert_false(have_b);
    assert_true(kept > 0);
    tsw_end(&all);
    tsw_end(&some);
    free(flags);
    return skipped;
}

static void test_same_as_cursor(void **state) {
    (void)state;
    TSParser *p = ts_parser_new();
    size_t skipped = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_true(ts_parser_set_language(p, code_grammar(cases[i].lang)));
        TSTree *t = ts_parser_parse_string(p, NULL, cases[i].src, (uint32_t)strlen(cases[i].src));
        size_t count = 0;
        compare(ts_tree_root_node(t), &count);
        assert_true(count >= 1);
        all_children(ts_tree_root_node(t));
        skipped += compare_skipping(ts_tree_root_node(t));
        /* and from an inner node (a subtree's walk ends at that subtree) */
        TSNode first = ts_node_named_child(ts_tree_root_node(t), 0);
        if (!ts_node_is_null(first)) {
            size_t inner = 0;
            compare(first, &inner);
            assert_true(inner <= count);
        }
        ts_tree_delete(t);
    }
    ts_parser_delete(p);
    assert_true(skipped > 100);
}

/* A long repetition (hidden repeat nodes many levels deep) and deep nesting. */
static void test_large(void **state) {
    (void)state;
    size_t cap = 400000, len = 0;
    char *src = malloc(cap);
    assert_non_null(src);
    for (int i = 0; i < 3000; i++) len += (size_t)snprintf(src + len, cap - len, "x%d = f(%d) + g[%d]  # n\n", i, i, i);
    for (int i = 0; i < 500; i++) src[len++] = '(';
    src[len++] = '1';
    for (int i = 0; i < 500; i++) src[len++] = ')';
    src[len++] = '\n';
    TSParser *p = ts_parser_new();
    assert_true(ts_parser_set_language(p, code_grammar(CODE_LANG_PYTHON)));
    TSTree *t = ts_parser_parse_string(p, NULL, src, (uint32_t)len);
    size_t count = 0;
    compare(ts_tree_root_node(t), &count);
    assert_true(count > 3000 * 10);
    compare_children(ts_tree_root_node(t)); /* 3,001 statements under hidden repeat nodes */
    ts_tree_delete(t);
    ts_parser_delete(p);
    free(src);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_as_cursor),
        cmocka_unit_test(test_large),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
