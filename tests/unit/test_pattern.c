/* Unit tests for pattern_action: the four code actions on every language
 * (from text and from files inside the project roots), code-mode
 * analyze_patterns, experience replay (log, ranked retrieval, filters,
 * statistics), and refusals: missing code, unknown language, binary, huge
 * and escaping files, bad parameters. */
#include "testutil.h"

#include "code/code.h"
#include "code/code_int.h"
#include <math.h>
#include "search/attempts.h"

static char *root, *outside;
static settings *cfg;
static store *st;
static memory_engine *mem;

static void put(const char *rel, const char *text) {
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/%s", root, rel);
    tu_write_file(p, text);
}

static int setup(void **state) {
    (void)state;
    tu_quiet();
    root = tu_tmpdir();
    outside = tu_tmpdir();
    char p[PATH_MAX], t[PATH_MAX];
    put("app.py", "import os\n\n# Greets.\ndef hello(name: str = 'x') -> str:\n    return name if name else 'y'\n");
    put("lib.c", "#include <stdio.h>\n/** Adds. */\nint add(int a, int b) { return a && b; }\n");
    put("app.js", "export function start(a, b = 2) { if (a) return b; }\nclass W extends Base { run() {} }\n");
    put("app.ts", "export function typed(x: number): string { return `${x}`; }\n");
    put("view.tsx", "export const View = (p: Props) => <div>{p.a ? 1 : 2}</div>;\n");
    put("main.go", "package main\n// Run runs.\nfunc Run(n int) error { if n > 0 { return nil }; return nil }\n");
    put("lib.rs", "/// Sum.\npub fn sum(a: i32, b: i32) -> i32 { if a > b { a } else { b } }\n");
    put("notes.txt", "not code\n");
    snprintf(p, sizeof p, "%s/blob.py", root);
    FILE *f = fopen(p, "wb");
    fwrite("x = 1\n\0\0\x01\x02", 1, 10, f);
    fclose(f);
    snprintf(p, sizeof p, "%s/huge.py", root);
    f = fopen(p, "wb");
    assert_int_equal(ftruncate(fileno(f), (off_t)CODE_MAX_SOURCE_BYTES + 1), 0);
    fclose(f);
    snprintf(t, sizeof t, "%s/secret.py", outside);
    tu_write_file(t, "def secret(): pass\n");
    snprintf(p, sizeof p, "%s/escape.py", root), assert_int_equal(symlink(t, p), 0);

    char f1[PATH_MAX + 32];
    snprintf(f1, sizeof f1, "project-roots=%s", root);
    const char *flags[] = {f1};
    tu_env_clear();
    tu_env_set("LTMC_DATA_DIR", root);
    tu_env_set("XDG_CONFIG_HOME", root);
    cfg = tu_settings_ex(NULL, flags, 1, NULL);
    char *db = tu_path(outside, "ltmc.db");
    st = tu_store_open(db);
    free(db);
    mem = tu_memory_new();
    tu_active_mem = mem;
    return 0;
}

static int teardown(void **state) {
    (void)state;
    tu_active_mem = NULL;
    memory_engine_free(mem);
    store_close(st);
    settings_free(cfg);
    tu_rmrf(root), tu_rmrf(outside);
    free(root), free(outside);
    tu_env_clear();
    return 0;
}

static json_t *call(const char *args) { return tu_ok("pattern_action", st, cfg, args); }
#define ERR(args, needle) assert_call_error("pattern_action", st, cfg, args, needle)

static const json_t *first(const json_t *r, const char *key) {
    const json_t *a = json_object_get(r, key);
    assert_true(json_array_size(a) > 0);
    return json_array_get(a, 0);
}

/* Each language from a file: the extension picks the grammar. */
static void test_files_every_language(void **state) {
    (void)state;
    static const struct {
        const char *file, *lang, *name;
        int complexity, nparams;
    } cases[] = {
        {"app.py", "python", "hello", 2, 1},  {"lib.c", "c", "add", 2, 2},    {"app.js", "javascript", "start", 2, 2},
        {"app.ts", "typescript", "typed", 1, 1}, {"view.tsx", "tsx", "View", 2, 1}, {"main.go", "go", "Run", 2, 1},
        {"lib.rs", "rust", "sum", 2, 2},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char args[256];
        snprintf(args, sizeof args, "{\"action\":\"extract_functions\",\"file_path\":\"%s\"}", cases[i].file);
        json_t *r = call(args);
        assert_json_str(r, "language", cases[i].lang);
        assert_json_str(r, "tool", "tree-sitter");
        assert_json_str(r, "file_path", cases[i].file);
        const json_t *fn = first(r, "functions");
        assert_json_str(fn, "name", cases[i].name);
        assert_json_int(fn, "complexity", cases[i].complexity);
        assert_int_equal(json_array_size(json_object_get(fn, "args")), cases[i].nparams);
        assert_int_equal(json_array_size(json_object_get(fn, "params")), cases[i].nparams);
        json_decref(r);
    }
    json_t *r = call("{\"action\":\"extract_functions\",\"file_path\":\"app.py\"}");
    const json_t *fn = first(r, "functions");
    assert_json_str(fn, "returns", "str");
    assert_json_str(fn, "docstring", "Greets.");
    assert_json_int(fn, "line_number", 4);
    assert_json_int(fn, "end_line", 5);
    const json_t *p = json_array_get(json_object_get(fn, "params"), 0);
    assert_json_str(p, "name", "name");
    assert_json_str(p, "type", "str");
    assert_json_str(p, "default", "'x'");
    assert_json_int(r, "count", 1);
    assert_json_int(r, "source_lines", 5);
    json_decref(r);
    /* the language parameter wins over the extension */
    r = call("{\"action\":\"summarize_code\",\"file_path\":\"lib.c\",\"language\":\"c\"}");
    assert_json_str(r, "summary", "C code with 0 classes, 1 functions, 1 imports across 3 lines");
    json_decref(r);
}

static const char py_class[] =
    "class Shape(Base):\n"
    "    \"\"\"A shape.\"\"\"\n"
    "    sides = 0\n"
    "    def __init__(self, n):\n"
    "        self.n = n  # count\n"
    "    @property\n"
    "    def area(self):\n"
    "        return 1\n";

static void test_classes_and_comments(void **state) {
    (void)state;
    json_t *args = json_pack("{s:s, s:s}", "action", "extract_classes", "source_code", py_class);
    char *a = jx_dump(args);
    json_t *r = call(a);
    free(a);
    json_decref(args);
    assert_json_int(r, "count", 1);
    assert_json_str(r, "language", "python"); /* the default without a file */
    const json_t *c = first(r, "classes");
    assert_json_str(c, "name", "Shape");
    assert_json_str(c, "kind", "class");
    assert_json_str(c, "docstring", "A shape.");
    assert_string_equal(json_string_value(json_array_get(json_object_get(c, "bases"), 0)), "Base");
    assert_json_int(c, "method_count", 2);
    assert_json_int(c, "attribute_count", 2);
    const json_t *area = json_array_get(json_object_get(c, "methods"), 1);
    assert_json_str(area, "name", "area");
    assert_true(json_is_true(json_object_get(area, "is_property")));
    assert_json_int(area, "line_number", 7);
    json_decref(r);

    args = json_pack("{s:s, s:s, s:s, s:b}", "action", "extract_comments", "code_content", py_class, "comment_types",
                     "inline", "include_context", 1);
    a = jx_dump(args);
    r = call(a);
    free(a);
    json_decref(args);
    assert_json_int(r, "comment_count", 1);
    const json_t *cm = first(r, "comments");
    assert_json_str(cm, "type", "inline");
    assert_json_str(cm, "content", "count");
    assert_json_str(cm, "full_line", "        self.n = n  # count");
    const json_t *ctxl = json_object_get(cm, "context");
    assert_int_equal(json_array_size(json_object_get(ctxl, "before")), 2);
    assert_string_equal(json_string_value(json_array_get(json_object_get(ctxl, "after"), 0)), "    @property");
    json_decref(r);

    args = json_pack("{s:s, s:s, s:[s]}", "action", "extract_comments", "code_content", py_class, "comment_types",
                     "docstring");
    a = jx_dump(args);
    r = call(a);
    free(a);
    json_decref(args);
    cm = first(r, "comments");
    assert_json_str(cm, "parent_name", "Shape");
    assert_json_str(cm, "parent_type", "class");
    json_decref(r);
}

static const char patterns_src[] =
    "class Config:\n"
    "    _instance = None\n"
    "    def __new__(cls):\n"
    "        return cls._instance\n"
    "class ShapeFactory:\n"
    "    def create_shape(self, kind):\n"
    "        return kind\n"
    "class Bus:\n"
    "    def subscribe(self, f): pass\n"
    "    def notify(self): pass\n"
    "class Strategy:\n"
    "    def execute(self): pass\n"
    "class Fast(Strategy):\n"
    "    def execute(self): pass\n"
    "class Slow(Strategy):\n"
    "    def execute(self): pass\n"
    "def logged(fn):\n"
    "    def wrapper(*a):\n"
    "        return fn(*a)\n"
    "    return wrapper\n"
    "class QueryBuilder:\n"
    "    def with_table(self, t): return self\n"
    "    def with_limit(self, n): return self\n"
    "    def build(self): return ''\n";

static void test_analyze_code(void **state) {
    (void)state;
    json_t *args = json_pack("{s:s, s:s}", "action", "analyze_patterns", "code_content", patterns_src);
    char *a = jx_dump(args);
    json_t *r = call(a);
    free(a);
    json_decref(args);
    assert_json_str(r, "mode", "code");
    const json_t *an = json_object_get(r, "analysis");
    const json_t *dp = json_object_get(an, "design_patterns");
    const char *kinds[] = {"singleton", "factory", "decorator", "observer", "strategy", "builder"};
    for (size_t i = 0; i < 6; i++) {
        const json_t *d = json_object_get(dp, kinds[i]);
        if (!json_is_true(json_object_get(d, "detected"))) fail_msg("%s not detected", kinds[i]);
    }
    assert_contains(json_string_value(json_array_get(json_object_get(json_object_get(dp, "strategy"), "evidence"), 0)),
                    "Fast, Slow");
    const json_t *cx = json_object_get(an, "complexity");
    assert_json_int(cx, "class_count", 7);
    assert_json_int(cx, "max_nesting_level", 2);
    assert_non_null(json_object_get(an, "structure"));
    json_decref(r);

    /* plain code: nothing detected; analysis_type and pattern_types narrow the result */
    r = call("{\"action\":\"analyze_patterns\",\"source_code\":\"def f(a):\\n    return a\\n\","
             "\"analysis_type\":\"design_patterns\",\"pattern_types\":[\"singleton\",\"observer\"]}");
    an = json_object_get(r, "analysis");
    assert_null(json_object_get(an, "complexity"));
    dp = json_object_get(an, "design_patterns");
    assert_int_equal(json_object_size(dp), 2);
    assert_false(json_is_true(json_object_get(json_object_get(dp, "singleton"), "detected")));
    json_decref(r);

    r = call("{\"action\":\"summarize_code\",\"source_code\":\"def f(a):\\n    if a and a or a: return 1\\n\"}");
    assert_json_str(r, "complexity_rating", "Low");
    assert_json_int(json_object_get(r, "statistics"), "complexity", 3);
    json_decref(r);
}

static void test_code_errors(void **state) {
    (void)state;
    ERR("{\"action\":\"extract_functions\"}", "Missing required parameter: source_code");
    ERR("{\"action\":\"extract_functions\",\"source_code\":\"x\",\"language\":\"cobol\"}", "Unsupported language: cobol");
    ERR("{\"action\":\"extract_functions\",\"file_path\":\"notes.txt\"}", "Cannot tell the language of notes.txt");
    ERR("{\"action\":\"extract_functions\",\"file_path\":\"blob.py\"}", "binary");
    ERR("{\"action\":\"extract_functions\",\"file_path\":\"huge.py\"}", "too large");
    ERR("{\"action\":\"extract_functions\",\"file_path\":\"missing.py\"}", "not found");
    ERR("{\"action\":\"extract_functions\",\"file_path\":\"../x.py\"}", "outside the project roots");
    ERR("{\"action\":\"extract_functions\",\"file_path\":\"escape.py\"}", "outside the project roots");
    char abs[PATH_MAX + 64];
    snprintf(abs, sizeof abs, "{\"action\":\"extract_classes\",\"file_path\":\"%s/secret.py\"}", outside);
    ERR(abs, "outside the project roots");
    ERR("{\"action\":\"extract_comments\",\"source_code\":\"x\",\"comment_types\":[\"weird\"]}", "Invalid comment type");
    ERR("{\"action\":\"analyze_patterns\",\"source_code\":\"x\",\"analysis_type\":\"deep\"}", "analysis_type");
    /* a syntax error still gives the model */
    json_t *r = call("{\"action\":\"extract_functions\",\"source_code\":\"def ok():\\n    pass\\ndef bad(:\\n\"}");
    assert_true(json_is_true(json_object_get(r, "has_syntax_errors")));
    assert_json_int(r, "error_line", 3);
    assert_json_str(first(r, "functions"), "name", "ok");
    json_decref(r);
}

static void log_one(const char *type, const char *code, const char *result, const char *error, double ms,
                    const char *tags) {
    json_t *args = json_pack("{s:s, s:s, s:s, s:s, s:s}", "action", "log_attempt", "pattern_type", type, "code_content",
                             code, "result", result, "input_prompt", "parse the configuration file");
    if (error) json_object_set_new(args, "error_message", json_string(error));
    if (ms >= 0) json_object_set_new(args, "execution_time_ms", json_real(ms));
    if (tags) json_object_set_new(args, "tags", json_string(tags));
    char *a = jx_dump(args);
    json_t *r = call(a);
    free(a);
    json_decref(args);
    assert_true(json_is_true(json_object_get(r, "logged")));
    assert_true(jx_int(r, "attempt_id", 0) > 0);
    json_decref(r);
}

static void test_experience_replay(void **state) {
    (void)state;
    /* the same code failing and passing: equal similarity, the pass ranks first */
    log_one("config", "def load(path): return toml.load(open(path))", "fail", NULL, 10, "toml");
    log_one("config", "def load(path): return toml.load(open(path))", "pass", NULL, 20, "toml,io");
    log_one("config", "def load(path): return toml.load(open(path))", "partial", NULL, -1, NULL);
    log_one("config", "def read(p): return json.load(p)", "fail", "KeyError: 'name' at line 3", 30, NULL);
    log_one("sorting", "numbers.sort(key=lambda n: -n)", "failure", "KeyError: 'id' at line 17", 20, "sort");

    json_t *r = call("{\"action\":\"get_patterns\",\"query\":\"def load(path): return toml.load(open(path))\","
                     "\"top_k\":3}");
    assert_json_int(r, "count", 3);
    const json_t *p = json_object_get(r, "patterns");
    assert_json_str(json_array_get(p, 0), "result", "pass");
    assert_json_str(json_array_get(p, 1), "result", "partial");
    assert_json_str(json_array_get(p, 2), "result", "fail");
    double s0 = json_real_value(json_object_get(json_array_get(p, 0), "similarity"));
    double s2 = json_real_value(json_object_get(json_array_get(p, 2), "similarity"));
    assert_true(s0 > 0.5 && s0 - s2 < 1e-6);
    assert_json_str(json_array_get(p, 0), "code_content", "def load(path): return toml.load(open(path))");
    json_decref(r);

    /* filters: result, tags (all of them), pattern type, time */
    r = call("{\"action\":\"get_patterns\",\"result\":\"fail\"}");
    assert_json_int(r, "count", 3);
    json_decref(r);
    r = call("{\"action\":\"get_patterns\",\"tags\":[\"toml\",\"io\"]}");
    assert_json_int(r, "count", 1);
    assert_json_str(first(r, "patterns"), "result", "pass");
    json_decref(r);
    r = call("{\"action\":\"get_patterns\",\"pattern_type\":\"sorting\",\"limit\":5}");
    assert_json_int(r, "count", 1);
    assert_json_str(first(r, "patterns"), "result", "fail"); /* "failure" is stored as fail */
    json_decref(r);
    r = call("{\"action\":\"get_patterns\",\"until\":\"2000-01-01\"}");
    assert_json_int(r, "count", 0);
    json_decref(r);

    r = call("{\"action\":\"analyze_patterns\"}");
    assert_json_str(r, "mode", "attempts");
    assert_json_int(r, "total_patterns", 5);
    assert_json_int(r, "pass_count", 1);
    assert_json_int(r, "fail_count", 3);
    assert_json_int(r, "partial_count", 1);
    assert_true(fabs(json_real_value(json_object_get(r, "success_rate")) - 0.2) < 1e-9);
    assert_true(fabs(json_real_value(json_object_get(r, "avg_execution_time_ms")) - 20) < 1e-9);
    const json_t *fails = json_object_get(r, "common_failures");
    assert_int_equal(json_array_size(fails), 1); /* both KeyErrors are one cause */
    assert_json_str(json_array_get(fails, 0), "error", "KeyError: '?' at line N");
    assert_json_int(json_array_get(fails, 0), "count", 2);
    const json_t *types = json_object_get(r, "by_pattern_type");
    assert_json_str(json_array_get(types, 0), "pattern_type", "config");
    assert_json_int(json_array_get(types, 0), "total", 4);
    assert_int_equal(json_array_size(json_object_get(r, "trend")), 1);
    json_decref(r);
    r = call("{\"action\":\"analyze_patterns\",\"pattern_type\":\"sorting\",\"bucket\":\"week\",\"time_range_days\":7}");
    assert_json_int(r, "total_patterns", 1);
    assert_json_str(r, "trend_bucket", "week");
    json_decref(r);

    /* bad input */
    ERR("{\"action\":\"log_attempt\",\"pattern_type\":\"x\",\"result\":\"pass\"}", "code_content");
    ERR("{\"action\":\"log_attempt\",\"pattern_type\":\"x\",\"code_content\":\"y\",\"result\":\"maybe\"}", "result");
    ERR("{\"action\":\"log_attempt\",\"pattern_type\":\"x\",\"code_content\":\"y\",\"result\":\"pass\","
        "\"execution_time_ms\":-5}", "execution_time_ms");
    ERR("{\"action\":\"get_patterns\",\"since\":\"yesterday\"}", "since");
    ERR("{\"action\":\"get_patterns\",\"top_k\":0}", "top_k");
    /* the legacy name of the code */
    r = call("{\"action\":\"log_attempt\",\"pattern_type\":\"x\",\"generated_code\":\"y = 1\",\"result\":\"success\"}");
    assert_json_str(r, "result", "pass");
    json_decref(r);
}

static void test_error_keys(void **state) {
    (void)state;
    char *k = attempts_error_key("  \nTypeError: 0x7ffe12 is not 'callable' (got 42.5)\nmore");
    assert_string_equal(k, "TypeError: ADDR is not '?' (got N)");
    free(k);
    assert_null(attempts_error_key("   \n  "));
    assert_null(attempts_error_key(NULL));
    k = attempts_error_key("''''0x1 0x2''\"\"");   /* replacements longer than what they replace */
    assert_string_equal(k, "'?''?'ADDR ADDR'?'\"?\"");
    free(k);
    k = attempts_error_key("utf8 error in file2 at 12");
    assert_string_equal(k, "utf8 error in file2 at N");
    free(k);
}

/* A file parsed in two parts (code/code.c) gives the same replies, byte for
 * byte, as parsed in one: the four code actions on a file per language,
 * with code_parse made to cut (the threshold down to 0) and not to. */
static void test_cut_replies(void **state) {
    (void)state;
    static const struct {
        const char *lang, *templ;
    } files[] = {
        {"python", "# f~ doc.\n@dec\ndef f~(a: int, b=2) -> int:\n    \"\"\"Doc ~.\"\"\"\n    return a if b else 0\n\n"
                   "class C~(Base):\n    x = 1\n\n    def m(self):\n        self.y = 1  # set\n\n"},
        {"c", "/* f~ doc. */\nstatic int f~(int a, int b) {\n    return a && b ? a : b; // pick\n}\n\n"
              "struct s~ {\n    int a;\n};\n\n"},
        {"javascript", "/** f~ doc. */\nexport function f~(a, b = 2) {\n  return a || b;\n}\n\n"
                       "class K~ extends Base {\n  run() { return require('./m~'); }\n}\n\n"},
        {"go", "// T~ is a type.\ntype T~ struct {\n\tA int\n}\n\n// M~ is a method.\nfunc (t *T~) M~(a int) int {\n"
               "\tif a > 0 && t != nil {\n\t\treturn a\n\t}\n\treturn 0\n}\n\nfunc F~() {}\n\n"},
        {"rust", "/// S~.\n#[derive(Debug)]\npub struct S~ {\n    a: i32,\n}\n\nimpl Show for S~ {\n"
                 "    fn show(&self) -> i32 { if self.a > 0 { 1 } else { 0 } }\n}\n\n"},
    };
    static const char *const actions[] = {"extract_functions", "extract_classes", "extract_comments",
                                          "summarize_code"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char *src = malloc(60 * (strlen(files[i].templ) + 16) + 64);
        assert_non_null(src);
        size_t k = (size_t)sprintf(src, "%s", !strcmp(files[i].lang, "go") ? "package gen\n\n" : "");
        for (int n = 0; n < 60; n++)
            for (const char *p = files[i].templ; *p; p++) {
                if (*p == '~') k += (size_t)sprintf(src + k, "%d", n);
                else src[k++] = *p;
            }
        src[k] = '\0';
        size_t old = code_split_min(0);
        assert_true(code_split_point(src, k, code_lang_from_name(files[i].lang)) > 0);
        for (size_t a = 0; a < sizeof actions / sizeof actions[0]; a++) {
            json_t *args = json_pack("{s:s, s:s, s:s}", "action", actions[a], "source_code", src, "language",
                                     files[i].lang);
            char *args_text = json_dumps(args, 0);
            code_split_min(0);
            json_t *cut = call(args_text);
            code_split_min(SIZE_MAX);
            json_t *whole = call(args_text);
            char *c = jx_dump(cut), *w = jx_dump(whole);
            if (strcmp(c, w) != 0) fail_msg("%s %s: the reply differs when the file is cut", files[i].lang, actions[a]);
            assert_true(strlen(w) > 100);
            free(c), free(w), free(args_text);
            json_decref(cut), json_decref(whole), json_decref(args);
        }
        code_split_min(old);
        free(src);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_files_every_language),
        cmocka_unit_test(test_cut_replies),
        cmocka_unit_test(test_classes_and_comments),
        cmocka_unit_test(test_analyze_code),
        cmocka_unit_test(test_code_errors),
        cmocka_unit_test(test_experience_replay),
        cmocka_unit_test(test_error_keys),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
