/* Unit tests for code/docgen and code/drift: doc conventions of every
 * language, API JSON and markdown, validation scores and issues, and drift
 * against in-code docs, snapshots and markdown, in several languages. */
#include "testutil.h"

#include "code/code.h"
#include "code/docgen.h"
#include "code/drift.h"

static code_file *parse(const char *src, code_lang lang) {
    code_file *f = NULL;
    lt_err err;
    if (code_parse(src, strlen(src), lang, &f, &err)) fail_msg("parse failed: %s", err.msg);
    return f;
}

static bool doc_has(const doc_info *d, const char *name) {
    for (size_t i = 0; i < d->nparams; i++)
        if (!strcmp(d->params[i], name)) return true;
    return false;
}

static void check_doc(const char *doc, const char *const *names, size_t n, bool ret) {
    doc_info d;
    docgen_parse_doc(doc, &d);
    if (d.nparams != n) fail_msg("doc %s: %zu params, expected %zu", doc, d.nparams, n);
    for (size_t i = 0; i < n; i++)
        if (!doc_has(&d, names[i])) fail_msg("doc %s: missing param %s", doc, names[i]);
    if (d.has_return != ret) fail_msg("doc %s: has_return %d, expected %d", doc, d.has_return, ret);
    if (n) assert_true(d.param_section);
    doc_info_free(&d);
}

static void test_doc_conventions(void **state) {
    (void)state;
    static const char *const ab[] = {"a", "b"};
    check_doc("Add.\n\nArgs:\n    a (int): first\n        more about a\n    b: second\n\nReturns:\n    sum", ab, 2, true);
    check_doc("Add.\n\nParameters\n----------\na : int\n    first\nb : int\n\nReturns\n-------\nint", ab, 2, true);
    check_doc("Add.\n\n:param a: first\n:param int b: second\n:returns: the sum", ab, 2, true);
    check_doc("Add.\n@param {number} a first\n@param {Object} [b=1] second\n@param b.x member\n@returns {number}", ab,
              2, true);
    check_doc("Add.\n\\param[in] a first\n@param b second\n\\return sum", ab, 2, true);
    check_doc("Adds.\n\n# Arguments\n\n* `a` - first\n* `b` - second\n\n# Returns\n\nThe sum", ab, 2, true);
    check_doc("Returns the sum of a and b.", NULL, 0, true);
    check_doc("Prints a greeting. Returns nothing.", NULL, 0, false);
    check_doc("Just a description", NULL, 0, false);
    static const char *const ak[] = {"args", "kwargs"};
    check_doc("Args:\n    *args: positional\n    **kwargs: named", ak, 2, false);
    check_doc(NULL, NULL, 0, false);
    check_doc("Show it.\n\nParameters\n----------\nNone\n\nReturns\n-------\nNone", NULL, 0, true);
}

static void test_api_json_and_markdown(void **state) {
    (void)state;
    code_file *f = parse("class Shape:\n    \"\"\"A shape.\"\"\"\n    def area(self) -> float:\n        \"\"\"Area.\"\"\"\n"
                         "        return 0.0\n\ndef make(kind: str, size: int = 1) -> Shape:\n    \"\"\"Make one.\"\"\"\n"
                         "    return Shape()\n",
                         CODE_LANG_PYTHON);
    json_t *j = docgen_file_json(f, "shapes.py");
    assert_json_str(j, "language", "python");
    json_t *classes = json_object_get(j, "classes");
    assert_int_equal(json_array_size(classes), 1);
    json_t *methods = json_object_get(json_array_get(classes, 0), "methods");
    assert_int_equal(json_array_size(methods), 1);
    assert_json_str(json_array_get(methods, 0), "name", "area");
    assert_json_str(json_array_get(methods, 0), "return_type", "float");
    json_t *funcs = json_object_get(j, "functions");
    assert_int_equal(json_array_size(funcs), 1);
    json_t *mk = json_array_get(funcs, 0);
    assert_json_str(mk, "name", "make");
    assert_int_equal(json_array_size(json_object_get(mk, "params")), 2);
    assert_json_str(json_array_get(json_object_get(mk, "params"), 1), "default", "1");
    assert_json_str(mk, "doc", "Make one.");

    json_t *files = json_array();
    json_array_append_new(files, j);
    json_array_append_new(files, json_pack("{s:s, s:s}", "path", "bad.bin", "error", "binary input"));
    char *md = docgen_markdown("demo", files);
    assert_contains(md, "# API Documentation - demo");
    assert_contains(md, "## shapes.py");
    assert_contains(md, "### Class: `Shape`");
    assert_contains(md, "#### `def area(self) -> float`");
    assert_contains(md, "### Function: `def make(kind: str, size: int = 1) -> Shape`");
    assert_contains(md, "| `size` | int | 1 |");
    assert_contains(md, "## bad.bin (Error)");
    free(md);
    json_decref(files);
    code_file_free(f);
}

static const json_t *issue_of(const json_t *issues, const char *element, const char *kind) {
    size_t i;
    const json_t *v;
    json_array_foreach(issues, i, v) if (!strcmp(jx_str(v, "element"), element) && !strcmp(jx_str(v, "kind"), kind))
        return v;
    return NULL;
}

static void test_validate(void **state) {
    (void)state;
    code_file *f = parse("def good(a, b):\n    \"\"\"Adds two numbers.\n\n    Args:\n        a: one\n        b: two\n"
                         "    \"\"\"\n    return a + b\n\n"
                         "def stale(x):\n    \"\"\"Does a thing.\n\n    Args:\n        y: gone\n    \"\"\"\n\n"
                         "def bare(p, q):\n    pass\n\n"
                         "def short(z):\n    \"\"\"Hm.\"\"\"\n\n"
                         "def void() -> None:\n    \"\"\"Does it.\n\n    Returns:\n        nothing useful\n    \"\"\"\n",
                         CODE_LANG_PYTHON);
    json_t *out = json_object();
    docgen_validate(f, out);
    assert_json_int(out, "total_elements", 5);
    assert_json_int(out, "documented_elements", 4);
    const json_t *issues = json_object_get(out, "issues");
    assert_null(issue_of(issues, "good", "param_undocumented"));
    assert_non_null(issue_of(issues, "stale", "param_stale"));
    assert_non_null(issue_of(issues, "stale", "param_undocumented"));
    assert_non_null(issue_of(issues, "bare", "missing_doc"));
    assert_non_null(issue_of(issues, "short", "doc_too_short"));
    assert_non_null(issue_of(issues, "void", "return_stale"));
    const json_t *e0 = json_array_get(json_object_get(out, "elements"), 0);
    assert_json_str(e0, "name", "good");
    assert_true(jx_real(e0, "score") == 1.0);
    assert_true(jx_bool(e0, "return_documented", true) == false);
    double score = jx_real(out, "consistency_score");
    assert_true(score > 0.0 && score < 1.0);
    assert_string_equal(jx_str(out, "consistency_level"), docgen_level(score));
    json_decref(out);
    code_file_free(f);
    assert_string_equal(docgen_level(0.95), "excellent");
    assert_string_equal(docgen_level(0.7), "good");
    assert_string_equal(docgen_level(0.5), "fair");
    assert_string_equal(docgen_level(0.1), "poor");
}

static const json_t *item_of(const json_t *items, const char *element, const char *kind) {
    return issue_of(items, element, kind);
}

/* In-code drift, one case per language's doc convention. */
static void test_drift_in_code_languages(void **state) {
    (void)state;
    struct {
        code_lang lang;
        const char *src, *element, *kind;
    } cases[] = {
        {CODE_LANG_C,
         "/**\n * Opens a file.\n * @param path where\n * @param mode how\n */\nint open_file(const char *path) { return 0; }\n",
         "open_file", "param_stale"},
        {CODE_LANG_C, "/**\n * Closes it.\n * \\return 0 on success\n */\nvoid close_file(int fd) {}\n", "close_file",
         "return_stale"},
        {CODE_LANG_JAVASCRIPT,
         "/**\n * Sums.\n * @param {number} a first\n */\nfunction sum(a, b) { return a + b; }\n", "sum",
         "param_undocumented"},
        {CODE_LANG_TYPESCRIPT,
         "/**\n * Logs.\n * @param msg text\n * @returns nothing at all\n */\nfunction log(msg: string): void {}\n",
         "log", "return_stale"},
        {CODE_LANG_RUST,
         "/// Scales.\n///\n/// # Arguments\n///\n/// * `factor` - how much\nfn scale(x: f64) -> f64 { x }\n",
         "scale", "param_stale"},
        {CODE_LANG_GO, "package p\n\n// Run starts it.\n//\n// Returns the error from the server.\nfunc Run(addr string) {}\n",
         "p.Run", "return_stale"},
        {CODE_LANG_PYTHON, "def f(a, b):\n    \"\"\"F.\n\n    :param a: one\n    \"\"\"\n", "f", "param_undocumented"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        code_file *f = parse(cases[i].src, cases[i].lang);
        json_t *items = json_array();
        drift_in_code(f, items);
        if (!item_of(items, cases[i].element, cases[i].kind)) {
            char *d = jx_dump(items);
            fail_msg("case %zu (%s): no %s for %s in %s", i, code_lang_name(cases[i].lang), cases[i].kind,
                     cases[i].element, d);
        }
        json_decref(items);
        code_file_free(f);
    }
    /* Consistent docs: no drift. */
    code_file *f = parse("/**\n * Opens.\n * @param path where\n * @return fd\n */\nint open_file(const char *path) { return 3; }\n",
                         CODE_LANG_C);
    json_t *items = json_array();
    drift_in_code(f, items);
    assert_int_equal(json_array_size(items), 0);
    json_decref(items);
    code_file_free(f);
}

static json_t *elements_of(const char *src, code_lang lang) {
    code_file *f = parse(src, lang);
    json_t *e = drift_elements(f);
    code_file_free(f);
    return e;
}

static void test_drift_snapshot(void **state) {
    (void)state;
    /* Go: a parameter renamed, one retyped, a function removed, one renamed. */
    json_t *old = elements_of("package p\n\n// Get fetches.\nfunc Get(url string, n int) error { return nil }\n\n"
                              "// Old is gone.\nfunc Old() {}\n\n// Move moves it somewhere.\nfunc Move(src, dst string) {}\n"
                              "\nfunc Keep(a int) int { return a }\n",
                              CODE_LANG_GO);
    json_t *now = elements_of("package p\n\n// Get fetches.\nfunc Get(uri string, n int64) error { return nil }\n\n"
                              "// Move moves it somewhere.\nfunc Relocate(src, dst string) {}\n"
                              "\nfunc Keep(a int) int { return a }\n",
                              CODE_LANG_GO);
    json_t *items = json_array();
    drift_against_snapshot(old, now, items);
    const json_t *it = item_of(items, "p.Get", "signature_changed");
    assert_non_null(it);
    assert_contains(jx_str(it, "detail"), "parameter 'url' renamed to 'uri'");
    assert_contains(jx_str(it, "detail"), "retyped from int to int64");
    assert_non_null(item_of(items, "p.Old", "removed"));
    it = item_of(items, "p.Move", "renamed");
    assert_non_null(it);
    assert_contains(jx_str(it, "detail"), "Relocate");
    assert_null(item_of(items, "p.Keep", "signature_changed"));
    json_t *sum = json_object();
    drift_summarize(items, sum);
    assert_true(jx_bool(sum, "drift_detected", false));
    assert_json_int(sum, "drift_count", 3);
    json_decref(sum), json_decref(items), json_decref(old), json_decref(now);

    /* Rust: a parameter renamed in place; a return type changed. */
    old = elements_of("pub fn area(w: f64, h: f64) -> f64 { w * h }\n", CODE_LANG_RUST);
    now = elements_of("pub fn area(width: f64, height: f64) -> f32 { 0.0 }\n", CODE_LANG_RUST);
    items = json_array();
    drift_against_snapshot(old, now, items);
    it = item_of(items, "area", "signature_changed");
    assert_non_null(it);
    assert_contains(jx_str(it, "detail"), "parameter 'w' renamed to 'width'");
    assert_contains(jx_str(it, "detail"), "return type changed from f64 to f32");
    json_decref(items), json_decref(old), json_decref(now);

    /* Unchanged code: nothing. */
    old = elements_of("int f(int a) { return a; }\n", CODE_LANG_C);
    items = json_array();
    drift_against_snapshot(old, old, items);
    assert_int_equal(json_array_size(items), 0);
    json_decref(items), json_decref(old);
}

static void test_drift_markdown(void **state) {
    (void)state;
    json_t *old = elements_of("def load(path, strict=False):\n    pass\n\ndef dump(obj):\n    pass\n"
                              "\ndef parse_all(text):\n    \"\"\"Parse everything.\"\"\"\n",
                              CODE_LANG_PYTHON);
    json_t *now = elements_of("def load(source, strict=False):\n    pass\n"
                              "\ndef parse_every(text):\n    \"\"\"Parse everything.\"\"\"\n",
                              CODE_LANG_PYTHON);
    const char *md = "# API\n\nUse `load(path)` to read; `load(source)` is fine too.\n\n"
                     "`dump(obj)` writes; `parse_all` parses.\n\n"
                     "```python\nresult = load('x.json')\ndef load(source, strict, extra)\n```\n"
                     "See also `print(x)` and `len`.\n";
    json_t *items = json_array();
    drift_markdown(md, now, old, CODE_LANG_PYTHON, items);
    const json_t *it = item_of(items, "load", "signature_changed");
    assert_non_null(it);
    assert_int_equal(jx_int(it, "line", 0), 3);
    assert_contains(jx_str(it, "detail"), "'path' removed");
    assert_non_null(item_of(items, "dump", "removed"));
    it = item_of(items, "parse_all", "renamed");
    assert_non_null(it);
    assert_contains(jx_str(it, "detail"), "parse_every");
    assert_non_null(item_of(items, "print", "unknown_reference"));
    /* the call example in the fence is not a signature; the def line is */
    size_t sig = 0, i;
    const json_t *v;
    json_array_foreach(items, i, v) if (!strcmp(jx_str(v, "kind"), "signature_changed")) sig++;
    assert_int_equal(sig, 2);
    json_t *sum = json_object();
    drift_summarize(items, sum);
    assert_json_int(sum, "drift_count", (int64_t)json_array_size(items) - 1);
    json_decref(sum), json_decref(items);

    /* Without a snapshot, a bare name is not evidence; a definition is. */
    items = json_array();
    drift_markdown("`gone` and `def gone2(a)`\n", now, NULL, CODE_LANG_PYTHON, items);
    assert_int_equal(json_array_size(items), 1);
    assert_non_null(item_of(items, "gone2", "removed"));
    json_decref(items), json_decref(old), json_decref(now);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_doc_conventions),       cmocka_unit_test(test_api_json_and_markdown),
        cmocka_unit_test(test_validate),              cmocka_unit_test(test_drift_in_code_languages),
        cmocka_unit_test(test_drift_snapshot),        cmocka_unit_test(test_drift_markdown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
