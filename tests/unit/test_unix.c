/* Unit tests for unix_action: every action, confinement through the tool,
 * and the same results with the external programs present and disabled. */
#include "testutil.h"

static char *root, *outside;
static settings *with_tools, *without_tools;

static void put(const char *rel, const char *text) {
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/%s", root, rel);
    tu_write_file(p, text);
}

static settings *make_cfg(const char *disabled) {
    char f1[PATH_MAX + 32], f2[256];
    snprintf(f1, sizeof f1, "project-roots=%s", root);
    snprintf(f2, sizeof f2, "unix-tools-disabled=%s", disabled);
    const char *flags[] = {f1, f2};
    tu_env_clear();
    tu_env_set("LTMC_DATA_DIR", root);
    tu_env_set("XDG_CONFIG_HOME", root);
    return tu_settings_ex(NULL, flags, disabled ? 2 : 1, NULL);
}

static int setup(void **state) {
    (void)state;
    root = tu_tmpdir();
    outside = tu_tmpdir();
    char p[PATH_MAX], t[PATH_MAX];
    snprintf(p, sizeof p, "%s/src", root), mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/src/lib", root), mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/.hidden", root), mkdir(p, 0755);
    put("README.md", "# Title\nneedle here\n");
    put("src/main.py", "import os\n\nclass Greeter:\n    def hello(self):\n        return 'needle'\n\n"
                       "async def run():\n    pass\n");
    put("src/app.js", "export function start() {}\nfunction helper(a) { return a; }\nclass Widget {}\n");
    put("src/lib/util.c", "static int add(int a, int b) {\n    return a + b;\n}\nstruct point { int x; };\n");
    put("data.json", "{\"name\": \"ltmc\", \"tags\": [\"a\", \"b\"]}\n");
    put("old.txt", "one\ntwo\nthree\n");
    put("new.txt", "one\nTWO\nthree\nfour\n");
    put(".hidden/h.txt", "needle hidden\n");
    put(".gitignore", "ignored.txt\n");
    put("ignored.txt", "no needle words\n"); /* found anyway: no .gitignore rules, whichever program runs */
    snprintf(t, sizeof t, "%s/secret.txt", outside);
    tu_write_file(t, "needle secret\n");
    snprintf(p, sizeof p, "%s/escape", root), symlink(outside, p);
    snprintf(p, sizeof p, "%s/secret_link.txt", root), symlink(t, p);
    with_tools = make_cfg(NULL);
    without_tools = make_cfg("rg,tree,jq,man,fdfind,lsd,exa,batcat,bat,fzf,duf");
    return 0;
}

static int teardown(void **state) {
    (void)state;
    settings_free(with_tools), settings_free(without_tools);
    tu_rmrf(root), tu_rmrf(outside);
    free(root), free(outside);
    return 0;
}

#define OK(cfg, args) tu_ok("unix_action", NULL, (cfg), (args))
#define ERR(cfg, args, needle) assert_call_error("unix_action", NULL, (cfg), (args), (needle))

static bool has_program(const char *name) {
    char p[PATH_MAX];
    snprintf(p, sizeof p, "/usr/bin/%s", name);
    return access(p, X_OK) == 0;
}

static void test_escapes_refused_by_every_action(void **state) {
    (void)state;
    const char *calls[] = {
        "{\"action\":\"ls\",\"path\":\"..\"}",
        "{\"action\":\"ls\",\"path\":\"/\"}",
        "{\"action\":\"ls\",\"path\":\"escape\"}",
        "{\"action\":\"cat\",\"file_path\":\"/etc/passwd\"}",
        "{\"action\":\"cat\",\"file_path\":\"../../../../etc/passwd\"}",
        "{\"action\":\"cat\",\"file_path\":\"escape/secret.txt\"}",
        "{\"action\":\"cat\",\"file_path\":\"secret_link.txt\"}",
        "{\"action\":\"cat\",\"file_path\":\"/proc/self/environ\"}",
        "{\"action\":\"grep\",\"pattern\":\"needle\",\"path\":\"/tmp\"}",
        "{\"action\":\"grep\",\"pattern\":\"needle\",\"path\":\"escape\"}",
        "{\"action\":\"find\",\"pattern\":\"*\",\"path\":\"..\"}",
        "{\"action\":\"tree\",\"path\":\"escape\"}",
        "{\"action\":\"jq\",\"file_path\":\"/etc/os-release\"}",
        "{\"action\":\"jq\",\"file_path\":\"escape/secret.txt\"}",
        "{\"action\":\"disk_usage\",\"path\":\"/\"}",
        "{\"action\":\"diff_highlight\",\"file1\":\"old.txt\",\"file2\":\"/etc/passwd\"}",
        "{\"action\":\"diff_highlight\",\"file1\":\"secret_link.txt\",\"file2\":\"old.txt\"}",
        "{\"action\":\"parse_syntax\",\"file_path\":\"/etc/passwd\"}",
        "{\"action\":\"syntax_query\",\"file_path\":\"escape/secret.txt\"}",
        "{\"action\":\"list_modern\",\"path\":\"..\"}",
        "{\"action\":\"list_modern\",\"path\":\"escape\",\"tree_view\":true}",
        "{\"action\":\"list_modern\",\"path\":\"/\"}",
        "{\"action\":\"syntax_highlight\",\"file_path\":\"/etc/passwd\"}",
        "{\"action\":\"syntax_highlight\",\"file_path\":\"secret_link.txt\"}",
    };
    for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++) {
        ERR(with_tools, calls[i], "outside the project roots");
        ERR(without_tools, calls[i], "outside the project roots");
    }
    ERR(with_tools, "{\"action\":\"cat\",\"file_path\":\"src\"}", "Not a regular file: src");
    ERR(with_tools, "{\"action\":\"cat\",\"file_path\":\"nope.txt\"}", "Path not found: nope.txt");
    ERR(with_tools, "{\"action\":\"cat\"}", "Missing required parameter: file_path");
    ERR(with_tools, "{\"action\":\"rm\"}", "Unknown unix action: rm");
}

static void test_ls_cat(void **state) {
    (void)state;
    json_t *r = OK(with_tools, "{\"action\":\"ls\"}");
    char *d = jx_dump(json_object_get(r, "files"));
    assert_string_equal(d, "[\"README.md\",\"data.json\",\"escape\",\"ignored.txt\",\"new.txt\",\"old.txt\","
                           "\"secret_link.txt\",\"src\"]");
    free(d);
    assert_json_int(r, "count", 8);
    assert_json_str(r, "path", ".");
    assert_json_str(r, "tool", "builtin");
    json_decref(r);
    r = OK(with_tools, "{\"action\":\"ls\",\"path\":\"src\",\"all\":true,\"long\":true}");
    assert_contains(jx_str(r, "raw_output"), "lib\n");
    assert_contains(jx_str(r, "raw_output"), "d ");
    json_decref(r);
    r = OK(with_tools, "{\"action\":\"cat\",\"file_path\":\"old.txt\"}");
    assert_json_str(r, "content", "one\ntwo\nthree\n");
    assert_json_int(r, "lines", 3);
    assert_json_str(r, "file_path", "old.txt");
    json_decref(r);
}

static void check_grep(settings *cfg, const char *tool) {
    json_t *r = OK(cfg, "{\"action\":\"grep\",\"pattern\":\"need+le\"}");
    assert_json_str(r, "tool", tool);
    /* Hidden directories and the symlinked outside are not searched. */
    assert_json_int(r, "count", 3);
    char *d = jx_dump(json_object_get(r, "matches"));
    assert_contains(d, "{\"file\":\"README.md\",\"line_number\":2,\"content\":\"needle here\"}");
    assert_contains(d, "\"file\":\"src/main.py\",\"line_number\":5");
    assert_not_contains(d, "secret");
    assert_contains(d, "\"file\":\"ignored.txt\"");
    free(d);
    json_decref(r);
    /* A single file gives file names too (the original lost them). */
    r = OK(cfg, "{\"action\":\"grep\",\"pattern\":\"needle\",\"path\":\"src/main.py\"}");
    assert_json_int(r, "count", 1);
    assert_json_str(json_array_get(json_object_get(r, "matches"), 0), "file", "src/main.py");
    json_decref(r);
    r = OK(cfg, "{\"action\":\"grep\",\"pattern\":\"zzzz-no-match\"}");
    assert_json_int(r, "count", 0);
    json_decref(r);
    ERR(cfg, "{\"action\":\"grep\",\"pattern\":\"(\"}", "");
}

static void test_grep(void **state) {
    (void)state;
    if (has_program("rg")) check_grep(with_tools, "ripgrep");
    check_grep(without_tools, "builtin");
}

static void check_find(settings *cfg, const char *tool) {
    json_t *r = OK(cfg, "{\"action\":\"find\",\"pattern\":\"*.py\"}");
    assert_json_str(r, "tool", tool);
    char *d = jx_dump(json_object_get(r, "files_found"));
    assert_string_equal(d, "[\"src/main.py\"]");
    free(d);
    json_decref(r);
    r = OK(cfg, "{\"action\":\"find\",\"pattern\":\"li\",\"type_filter\":\"d\"}");
    d = jx_dump(json_object_get(r, "files_found"));
    assert_string_equal(d, "[\"src/lib\"]");
    free(d);
    json_decref(r);
    r = OK(cfg, "{\"action\":\"find\",\"pattern\":\"*\",\"extension\":\"c\"}");
    assert_json_int(r, "count", 1);
    json_decref(r);
    r = OK(cfg, "{\"action\":\"find\",\"pattern\":\"*.c\",\"max_depth\":2}");
    assert_json_int(r, "count", 0); /* src/lib/util.c is on level 3 */
    json_decref(r);
    r = OK(cfg, "{\"action\":\"find\",\"pattern\":\"secret\"}");
    d = jx_dump(json_object_get(r, "files_found"));
    assert_string_equal(d, "[\"secret_link.txt\"]"); /* the link itself, not the outside file */
    free(d);
    json_decref(r);
    r = OK(cfg, "{\"action\":\"find\",\"pattern\":\"-rf\"}"); /* a pattern is never an option */
    assert_json_int(r, "count", 0);
    json_decref(r);
    r = OK(cfg, "{\"action\":\"find\",\"pattern\":\"*\",\"max_depth\":1}");
    d = jx_dump(json_object_get(r, "files_found"));
    assert_string_equal(d, "[\"README.md\",\"data.json\",\"escape\",\"ignored.txt\",\"new.txt\",\"old.txt\","
                           "\"secret_link.txt\",\"src\"]");
    free(d);
    json_decref(r);
}

static void test_find(void **state) {
    (void)state;
    if (has_program("fdfind")) check_find(with_tools, "fd");
    check_find(without_tools, "builtin");
}

static void check_tree(settings *cfg, const char *tool) {
    json_t *r = OK(cfg, "{\"action\":\"tree\",\"path\":\"src\"}");
    assert_json_str(r, "tool", tool);
    assert_json_int(r, "directory_count", 1);
    assert_json_int(r, "file_count", 3);
    assert_contains(jx_str(r, "tree_output"), "`-- util.c");
    json_decref(r);
    r = OK(cfg, "{\"action\":\"tree\",\"max_depth\":1,\"directories_only\":true}");
    assert_not_contains(jx_str(r, "tree_output"), "main.py");
    json_decref(r);
}

static void test_tree(void **state) {
    (void)state;
    if (has_program("tree")) check_tree(with_tools, "tree");
    check_tree(without_tools, "builtin");
}

static void test_jq(void **state) {
    (void)state;
    if (has_program("jq")) {
        json_t *r = OK(with_tools, "{\"action\":\"jq\",\"query\":\".tags[1]\",\"file_path\":\"data.json\"}");
        assert_json_str(r, "result", "b");
        assert_json_str(r, "tool", "jq");
        json_decref(r);
        r = OK(with_tools, "{\"action\":\"jq\",\"query\":\"-1\",\"json_input\":\"1\"}");
        assert_json_str(r, "result", "-1");
        json_decref(r);
        ERR(with_tools, "{\"action\":\"jq\",\"query\":\".[\",\"json_input\":\"1\"}", "jq failed");
        ERR(with_tools, "{\"action\":\"jq\",\"query\":\"import \\\"x\\\" as x; .\",\"json_input\":\"1\"}",
            "not allowed");
    }
    ERR(without_tools, "{\"action\":\"jq\",\"json_input\":\"1\"}", "jq is not available");
    ERR(with_tools, "{\"action\":\"jq\"}", "Missing required parameter: json_input or file_path");
}

static void test_diff_fuzzy_du_help(void **state) {
    (void)state;
    json_t *r = OK(with_tools, "{\"action\":\"diff_highlight\",\"file1\":\"old.txt\",\"file2\":\"new.txt\","
                               "\"line_numbers\":false}");
    assert_json_str(r, "diff_output", "  one\n- two\n+ TWO\n  three\n+ four\n");
    assert_json_bool(r, "changes_detected", true);
    json_decref(r);
    r = OK(with_tools, "{\"action\":\"diff_highlight\",\"file1\":\"old.txt\",\"file2\":\"old.txt\"}");
    assert_json_str(r, "diff_output", "No differences found");
    assert_json_bool(r, "changes_detected", false);
    json_decref(r);
    r = OK(with_tools, "{\"action\":\"fuzzy_select\",\"input_list\":[\"src/main.c\",\"README.md\",\"src/fs/paths.c\","
                       "\"pathology\"],\"query\":\"path\",\"multi_select\":true}");
    char *d = jx_dump(json_object_get(r, "selected_items"));
    assert_string_equal(d, "[\"pathology\",\"src/fs/paths.c\"]");
    free(d);
    assert_json_int(r, "total_items", 4);
    json_decref(r);
    r = OK(with_tools, "{\"action\":\"disk_usage\",\"output_format\":\"json\"}");
    assert_true(jx_real(r, "total_size") > 0);
    assert_json_str(r, "tool", has_program("duf") ? "duf" : "builtin");
    assert_int_equal(json_array_size(json_object_get(r, "disk_info")), 1);
    json_decref(r);
    r = OK(with_tools, "{\"action\":\"disk_usage\"}");
    assert_json_str(r, "tool", has_program("duf") ? "duf" : "builtin");
    assert_contains(jx_str(r, "output"), jx_str(r, "mount_point"));
    json_decref(r);
    r = OK(without_tools, "{\"action\":\"disk_usage\",\"output_format\":\"json\"}");
    assert_json_str(r, "tool", "builtin");
    assert_true(jx_real(r, "available_space") > 0);
    json_decref(r);
    /* Both paths: an item holding a newline survives; no match gives none. */
    settings *cfgs[] = {with_tools, without_tools};
    for (int i = 0; i < 2; i++) {
        r = OK(cfgs[i], "{\"action\":\"fuzzy_select\",\"input_list\":[\"one\\ntwo\",\"three\",\"zzz\"],"
                        "\"query\":\"tw\",\"multi_select\":true}");
        d = jx_dump(json_object_get(r, "selected_items"));
        assert_string_equal(d, "[\"one\\ntwo\"]");
        free(d);
        assert_json_str(r, "tool", i == 0 && has_program("fzf") ? "fzf" : "builtin");
        json_decref(r);
        r = OK(cfgs[i], "{\"action\":\"fuzzy_select\",\"input_list\":[\"abc\"],\"query\":\"xyz\"}");
        assert_json_int(r, "matches", 0);
        assert_int_equal(json_array_size(json_object_get(r, "selected_items")), 0);
        json_decref(r);
    }
    r = OK(with_tools, "{\"action\":\"help\",\"command\":\"grep\"}");
    assert_json_str(r, "tool", "ltmc");
    json_decref(r);
    r = OK(without_tools, "{\"action\":\"help\",\"command\":\"tar\"}");
    assert_json_str(r, "tool", "ltmc");
    assert_contains(jx_str(r, "help_content"), "No manual page");
    json_decref(r);
    ERR(with_tools, "{\"action\":\"help\",\"command\":\"ls; rm -rf /\"}", "Invalid command name");
}

static void test_syntax(void **state) {
    (void)state;
    json_t *r = OK(with_tools, "{\"action\":\"syntax_query\",\"file_path\":\"src/main.py\"}");
    char *d = jx_dump(json_object_get(r, "results"));
    assert_contains(d, "\"type\":\"method\",\"name\":\"hello\",\"qualified_name\":\"Greeter.hello\",\"line_number\":4,"
                       "\"end_line\":5,\"signature\":\"def hello(self)\"");
    assert_contains(d, "\"name\":\"run\",\"qualified_name\":\"run\",\"line_number\":7");
    free(d);
    assert_json_str(r, "language", "python");
    assert_json_str(r, "tool", "tree-sitter");
    json_decref(r);
    r = OK(with_tools, "{\"action\":\"syntax_query\",\"file_path\":\"src/main.py\",\"name\":\"run\"}");
    assert_json_int(r, "count", 1);
    json_decref(r);
    r = OK(with_tools, "{\"action\":\"syntax_query\",\"file_path\":\"src/main.py\",\"query_type\":\"imports\"}");
    assert_json_int(r, "count", 1);
    assert_json_str(json_array_get(json_object_get(r, "results"), 0), "name", "os");
    json_decref(r);
    r = OK(with_tools, "{\"action\":\"syntax_query\",\"file_path\":\"src/lib/util.c\",\"query_type\":\"classes\"}");
    assert_json_int(r, "count", 1);
    assert_json_str(json_array_get(json_object_get(r, "results"), 0), "kind", "struct");
    json_decref(r);
    /* Languages without a grammar get a clear refusal, not a guess. */
    ERR(with_tools, "{\"action\":\"syntax_query\",\"file_path\":\"README.md\"}", "syntax_query parses c, python");
    ERR(with_tools, "{\"action\":\"syntax_query\",\"file_path\":\"src/main.py\",\"query_type\":\"macros\"}",
        "query_type");
    r = OK(with_tools, "{\"action\":\"syntax_query\",\"file_path\":\"src/app.js\",\"query_type\":\"classes\"}");
    assert_json_int(r, "count", 1);
    assert_json_str(json_array_get(json_object_get(r, "results"), 0), "name", "Widget");
    json_decref(r);
    r = OK(with_tools, "{\"action\":\"syntax_query\",\"file_path\":\"src/lib/util.c\"}");
    assert_json_str(json_array_get(json_object_get(r, "results"), 0), "name", "add");
    json_decref(r);
    r = OK(with_tools, "{\"action\":\"parse_syntax\",\"file_path\":\"src/main.py\"}");
    assert_json_str(r, "detected_language", "python");
    assert_json_str(r, "file_extension", ".py");
    assert_json_int(json_object_get(r, "syntax_elements"), "function_count", 2);
    assert_json_int(json_object_get(r, "syntax_elements"), "class_count", 1);
    json_decref(r);
    r = OK(with_tools, "{\"action\":\"parse_syntax\",\"content\":\"fn main() {}\\n\",\"language\":\"rust\"}");
    assert_json_str(r, "language", "rust");
    assert_json_int(r, "line_count", 1);
    json_decref(r);
    r = OK(with_tools, "{\"action\":\"parse_syntax\",\"content\":\"def broken(:\\n    pass\\n\",\"language\":\"py\"}");
    assert_json_str(r, "language", "python");
    assert_json_bool(json_object_get(r, "syntax_elements"), "has_errors", true);
    assert_json_int(json_object_get(r, "syntax_elements"), "error_line", 1);
    json_decref(r);
    r = OK(with_tools, "{\"action\":\"parse_syntax\",\"file_path\":\"data.json\"}");
    assert_json_str(r, "tool", "builtin");
    assert_json_bool(json_object_get(r, "syntax_elements"), "structure_parsed", false);
    assert_json_bool(json_object_get(r, "syntax_elements"), "is_structured", true);
    json_decref(r);
    ERR(with_tools, "{\"action\":\"parse_syntax\"}", "Missing required parameter: file_path or content");
}

/* s without ANSI colour sequences (ESC [ ... m); malloc'd. */
static char *strip_ansi(const char *s) {
    char *out = malloc(strlen(s) + 1), *w = out;
    while (*s) {
        if (s[0] == '\033' && s[1] == '[') {
            s += 2;
            while (*s && *s != 'm') s++;
            if (*s) s++;
        } else {
            *w++ = *s++;
        }
    }
    *w = '\0';
    return out;
}

static void test_list_modern_builtin(void **state) {
    (void)state;
    json_t *r = OK(without_tools, "{\"action\":\"list_modern\"}");
    char *d = jx_dump(json_object_get(r, "files"));
    assert_string_equal(d, "[\"README.md\",\"data.json\",\"escape\",\"ignored.txt\",\"new.txt\",\"old.txt\","
                           "\"secret_link.txt\",\"src\"]");
    free(d);
    assert_json_int(r, "count", 8);
    assert_json_str(r, "path", ".");
    assert_json_str(r, "tool", "builtin");
    assert_contains(jx_str(r, "formatted_output"), "README.md\ndata.json\n");
    json_decref(r);
    r = OK(without_tools, "{\"action\":\"list_modern\",\"classify\":true,\"show_all\":true}");
    d = jx_dump(json_object_get(r, "files"));
    assert_contains(d, "\".hidden/\"");
    assert_contains(d, "\"escape@\"");
    assert_contains(d, "\"src/\"");
    assert_contains(d, "\"old.txt\"");
    assert_not_contains(d, "\"..");
    free(d);
    json_decref(r);
    r = OK(without_tools, "{\"action\":\"list_modern\",\"path\":\"src\",\"long_format\":true}");
    const char *f = jx_str(r, "formatted_output");
    assert_contains(f, "drwx");
    assert_contains(f, " lib\n");
    assert_contains(f, "-rw");
    assert_json_str(r, "path", "src");
    json_decref(r);
    r = OK(without_tools, "{\"action\":\"list_modern\",\"tree_view\":true,\"classify\":true}");
    f = jx_str(r, "formatted_output");
    assert_contains(f, "|-- src/\n|   |-- app.js\n|   |-- lib/\n|   |   |-- util.c\n");
    assert_not_contains(f, "secret.txt"); /* the symlinked outside is not entered */
    json_decref(r);
}

static void test_list_modern_external(void **state) {
    (void)state;
    if (!has_program("lsd")) skip();
    json_t *r = OK(with_tools, "{\"action\":\"list_modern\",\"classify\":true,\"show_all\":true}");
    assert_json_str(r, "tool", "lsd");
    char *d = jx_dump(json_object_get(r, "files"));
    assert_contains(d, "\"src/\"");
    assert_contains(d, "\".hidden/\"");
    assert_not_contains(d, "\"..");
    free(d);
    json_decref(r);
    r = OK(with_tools, "{\"action\":\"list_modern\",\"tree_view\":true,\"long_format\":true}");
    assert_contains(jx_str(r, "formatted_output"), "util.c");
    assert_not_contains(jx_str(r, "formatted_output"), "secret.txt");
    json_decref(r);
}

static void test_syntax_highlight_builtin(void **state) {
    (void)state;
    json_t *r = OK(without_tools, "{\"action\":\"syntax_highlight\",\"file_path\":\"src/main.py\"}");
    const char *h = jx_str(r, "highlighted_content");
    assert_contains(h, "\033[1;34mclass\033[0m Greeter");
    assert_contains(h, "\033[32m'needle'\033[0m");
    char *plain = strip_ansi(h);
    assert_string_equal(plain, "import os\n\nclass Greeter:\n    def hello(self):\n        return 'needle'\n\n"
                               "async def run():\n    pass\n");
    free(plain);
    assert_json_str(r, "language", "python");
    assert_json_str(r, "file_path", "src/main.py");
    assert_json_str(r, "tool", "builtin");
    json_decref(r);
    r = OK(without_tools, "{\"action\":\"syntax_highlight\",\"file_path\":\"src/lib/util.c\"}");
    assert_json_str(r, "language", "c");
    assert_contains(jx_str(r, "highlighted_content"), "\033[1;34mreturn\033[0m");
    json_decref(r);
    r = OK(without_tools, "{\"action\":\"syntax_highlight\",\"content\":\"x=1 # n\\ns='a#b'\\n\",\"language\":\"bash\"}");
    assert_json_str(r, "highlighted_content", "x=\033[33m1\033[0m \033[2;37m# n\033[0m\ns=\033[32m'a#b'\033[0m\n");
    assert_true(json_is_null(json_object_get(r, "file_path")));
    json_decref(r);
    r = OK(without_tools, "{\"action\":\"syntax_highlight\",\"content\":\"{\\\"a\\\": [1, true]}\",\"language\":\"json\"}");
    assert_json_str(r, "highlighted_content", "{\033[32m\"a\"\033[0m: [\033[33m1\033[0m, \033[1;34mtrue\033[0m]}");
    json_decref(r);
    const char *cases[][2] = {{"fn main() { let x = 1; }", "rust"}, {"func main() { return }", "go"},
                              {"const s = `t`; // c", "typescript"}, {"let a = 'q' /* c */", "javascript"}};
    for (size_t i = 0; i < 4; i++) {
        json_t *args = json_pack("{s:s, s:s, s:s}", "action", "syntax_highlight", "content", cases[i][0], "language",
                                 cases[i][1]);
        char *a = jx_dump(args);
        r = OK(without_tools, a);
        h = jx_str(r, "highlighted_content");
        assert_contains(h, "\033[1;34m");
        plain = strip_ansi(h);
        assert_string_equal(plain, cases[i][0]);
        free(plain), free(a);
        json_decref(r), json_decref(args);
    }
    r = OK(without_tools, "{\"action\":\"syntax_highlight\",\"file_path\":\"README.md\"}");
    assert_json_str(r, "language", "text");
    assert_json_str(r, "highlighted_content", "# Title\nneedle here\n");
    json_decref(r);
    ERR(without_tools, "{\"action\":\"syntax_highlight\"}", "Missing required parameter: file_path or content");
}

static void test_syntax_highlight_external(void **state) {
    (void)state;
    if (!has_program("batcat") && !has_program("bat")) skip();
    json_t *r = OK(with_tools, "{\"action\":\"syntax_highlight\",\"file_path\":\"src/main.py\"}");
    const char *h = jx_str(r, "highlighted_content");
    assert_contains(h, "\033[");
    assert_contains(h, "   1");
    char *plain = strip_ansi(h);
    assert_contains(plain, "class Greeter:");
    free(plain);
    assert_json_str(r, "language", "python");
    assert_string_equal(jx_str(r, "tool"), has_program("batcat") ? "batcat" : "bat");
    json_decref(r);
    r = OK(with_tools, "{\"action\":\"syntax_highlight\",\"content\":\"fn main() {}\",\"language\":\"rust\"}");
    assert_contains(jx_str(r, "highlighted_content"), "\033[");
    json_decref(r);
    ERR(with_tools, "{\"action\":\"syntax_highlight\",\"content\":\"x\",\"language\":\"no-such-language\"}", "failed");
}

int main(void) {
    tu_quiet();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escapes_refused_by_every_action),
        cmocka_unit_test(test_ls_cat),
        cmocka_unit_test(test_grep),
        cmocka_unit_test(test_find),
        cmocka_unit_test(test_tree),
        cmocka_unit_test(test_jq),
        cmocka_unit_test(test_diff_fuzzy_du_help),
        cmocka_unit_test(test_syntax),
        cmocka_unit_test(test_list_modern_builtin),
        cmocka_unit_test(test_list_modern_external),
        cmocka_unit_test(test_syntax_highlight_builtin),
        cmocka_unit_test(test_syntax_highlight_external),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
