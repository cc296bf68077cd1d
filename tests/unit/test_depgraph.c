/* Unit tests for code/depgraph and code/source: a tree in five languages
 * whose local includes and imports must become the right edges, external
 * ones external nodes; bounds and skipped directories; diagram text. */
#include "testutil.h"

#include "code/depgraph.h"
#include "code/source.h"

static char *root;

static void put(const char *rel, const char *text) {
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/%s", root, rel);
    for (char *s = strchr(p + strlen(root) + 1, '/'); s; s = strchr(s + 1, '/')) {
        *s = '\0';
        mkdir(p, 0755);
        *s = '/';
    }
    tu_write_file(p, text);
}

static int setup(void **state) {
    (void)state;
    root = tu_tmpdir();
    put("main.c", "#include <stdio.h>\n#include \"util/str.h\"\nint main(void) { return 0; }\n");
    put("util/str.h", "#include \"mem.h\"\nchar *dup(const char *s);\n");
    put("util/mem.h", "void *xmalloc(unsigned long n);\n");
    put("app/__init__.py", "");
    put("app/core.py", "import os\nfrom .models import User\nfrom app import helpers\n");
    put("app/models.py", "class User:\n    pass\n");
    put("app/helpers.py", "import json\n");
    put("web/index.ts", "import { x } from './lib/x';\nimport React from 'react';\nimport '@scope/pkg/sub';\n");
    put("web/lib/x.ts", "export const x = 1;\n");
    put("go.mod", "module example.com/demo\n\ngo 1.21\n");
    put("cmd/main.go", "package main\n\nimport (\n\t\"fmt\"\n\t\"example.com/demo/pkg/store\"\n)\n\nfunc main() { fmt.Println(store.X) }\n");
    put("pkg/store/store.go", "package store\n\nvar X = 1\n");
    put("pkg/store/store_test.go", "package store\n");
    put("rs/src/main.rs", "mod net;\nuse crate::net::conn::Conn;\nuse std::io;\nfn main() {}\n");
    put("rs/src/net/mod.rs", "pub mod conn;\n");
    put("rs/src/net/conn.rs", "use super::super::main;\npub struct Conn;\n");
    put("node_modules/dep/index.js", "module.exports = 1;\n");
    put(".hidden/x.c", "int x;\n");
    put("build/gen.c", "int y;\n");
    put("notes.txt", "not code\n");
    return 0;
}

static int teardown(void **state) {
    (void)state;
    tu_rmrf(root);
    free(root);
    return 0;
}

static bool has_edge(const json_t *g, const char *from, const char *to) {
    size_t i;
    const json_t *e;
    json_array_foreach(json_object_get(g, "edges"), i, e) if (!strcmp(jx_str(e, "from"), from) &&
                                                              !strcmp(jx_str(e, "to"), to)) return true;
    return false;
}

static void test_graph(void **state) {
    (void)state;
    char real[PATH_MAX];
    assert_non_null(realpath(root, real));
    source_limits lim = {1000, 1 << 26, 32};
    depgraph *g;
    lt_err err;
    assert_int_equal(depgraph_build(real, &lim, true, &g, &err), 0);
    json_t *j = depgraph_json(g);
    /* hidden, vendor and build directories are not walked; .txt is no source */
    assert_int_equal(jx_int(j, "files_scanned", 0), 15);
    assert_true(has_edge(j, "main.c", "util/str.h"));
    assert_true(has_edge(j, "util/str.h", "util/mem.h"));
    assert_true(has_edge(j, "main.c", "stdio.h"));
    assert_true(has_edge(j, "app/core.py", "app/models.py"));
    assert_true(has_edge(j, "app/core.py", "app/__init__.py")); /* from app import helpers */
    assert_true(has_edge(j, "app/core.py", "os"));
    assert_true(has_edge(j, "web/index.ts", "web/lib/x.ts"));
    assert_true(has_edge(j, "web/index.ts", "react"));
    assert_true(has_edge(j, "web/index.ts", "@scope/pkg"));
    assert_true(has_edge(j, "cmd/main.go", "pkg/store/store.go"));
    assert_false(has_edge(j, "cmd/main.go", "pkg/store/store_test.go"));
    assert_true(has_edge(j, "cmd/main.go", "fmt"));
    assert_true(has_edge(j, "rs/src/main.rs", "rs/src/net/mod.rs"));
    assert_true(has_edge(j, "rs/src/main.rs", "rs/src/net/conn.rs"));
    assert_true(has_edge(j, "rs/src/main.rs", "std"));
    assert_true(has_edge(j, "rs/src/net/mod.rs", "rs/src/net/conn.rs"));
    assert_int_equal(depgraph_edge_count(g), json_array_size(json_object_get(j, "edges")));
    assert_false(jx_bool(j, "truncated", true));

    char *m = depgraph_mermaid(g, "demo");
    assert_contains(m, "flowchart LR");
    assert_contains(m, "[\"main.c\"]");
    assert_contains(m, "subgraph");
    assert_contains(m, "-.->"); /* external edges dashed */
    free(m);
    char *p = depgraph_plantuml(g, "demo");
    assert_contains(p, "@startuml");
    assert_contains(p, "package \"util/\" {");
    assert_contains(p, "<<external>>");
    assert_contains(p, "@enduml");
    free(p);
    json_decref(j);
    depgraph_free(g);

    /* Without externals, only files are nodes. */
    assert_int_equal(depgraph_build(real, &lim, false, &g, &err), 0);
    assert_int_equal(depgraph_node_count(g), 15);
    depgraph_free(g);

    /* Bounds: a file limit truncates. */
    source_limits small = {3, 1 << 26, 32};
    assert_int_equal(depgraph_build(real, &small, true, &g, &err), 0);
    j = depgraph_json(g);
    assert_int_equal(jx_int(j, "files_scanned", 0), 3);
    assert_true(jx_bool(j, "truncated", false));
    json_decref(j);
    depgraph_free(g);
}

static void test_source_limits(void **state) {
    (void)state;
    char p[PATH_MAX], abs[PATH_MAX];
    snprintf(p, sizeof p, "%s/bin.py", root);
    FILE *f = fopen(p, "wb");
    fwrite("def f():\0\x01\x02", 1, 12, f);
    fclose(f);
    code_file *cf;
    lt_err err;
    assert_int_equal(source_load(root, "bin.py", abs, &cf, &err), -1);
    assert_contains(err.msg, "bin.py");
    assert_int_equal(source_load(root, "../etc/passwd", abs, &cf, &err), -1);
    assert_contains(err.msg, "outside the project roots");
    assert_int_equal(source_load(root, "notes.txt", abs, &cf, &err), -1);
    assert_contains(err.msg, "Unsupported source language");
    char *buf;
    size_t len;
    snprintf(p, sizeof p, "%s/main.c", root);
    assert_int_equal(source_read(p, 10, &buf, &len, &err), -1);
    assert_contains(err.msg, "too large");
    assert_int_equal(source_load(root, "main.c", abs, &cf, &err), 0);
    code_file_free(cf);
    assert_true(source_skip_dir(".git"));
    assert_true(source_skip_dir("node_modules"));
    assert_false(source_skip_dir("src"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_graph),
        cmocka_unit_test(test_source_limits),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
