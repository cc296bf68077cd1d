/* bench_code.c - pattern_action on large source files over `ltmc serve`'s
 * stdio.
 *
 *   build/bench_code build/ltmc        (what `make bench` runs)
 *
 * For each language it writes a generated file of at least LINES lines
 * (documented functions with typed and default parameters, branches,
 * loops and comments, in the language's own syntax) into a project root,
 * then measures round trips of
 *
 *   1. extract_functions on the file (read, parse, walk, and every function
 *      with its parameters serialised: the goal is under 20 ms);
 *   2. summarize_code on the same file (read, parse, walk, a small reply),
 *      which shows what the parse costs without the big reply.
 *
 * Benchmarks print numbers; they do not assert (exit 1 only when the server
 * misbehaves or a result is wrong). */
#include "benchutil.h"

#define LINES 5000
#define RUNS 40
#define WARMUP 3

/* One function per template; '@' stands for its number. */
static const struct {
    const char *lang, *file, *head, *templ;
} langs[] = {
    {"python", "gen.py", "import os\n\n",
     "# Compute value @.\n"
     "def func_@(a: int, b: int = 2) -> int:\n"
     "    \"\"\"Docstring @.\"\"\"\n"
     "    if a > b and a:\n"
     "        return a\n"
     "    for x in range(b):\n"
     "        a += x  # step\n"
     "    return a if a else b\n"
     "\n"},
    {"c", "gen.c", "#include <stdio.h>\n\n",
     "/* Compute value @. */\n"
     "static int func_@(int a, int b) {\n"
     "    if (a > b && a) {\n"
     "        return a;\n"
     "    }\n"
     "    for (int x = 0; x < b; x++) {\n"
     "        a += x; // step\n"
     "    }\n"
     "    return a ? a : b;\n"
     "}\n"
     "\n"},
    {"javascript", "gen.js", "import fs from 'fs';\n\n",
     "/** Compute value @. */\n"
     "export function func_@(a, b = 2) {\n"
     "  if (a > b && a) {\n"
     "    return a;\n"
     "  }\n"
     "  for (let x = 0; x < b; x++) {\n"
     "    a += x; // step\n"
     "  }\n"
     "  return a ? a : b;\n"
     "}\n"
     "\n"},
    {"typescript", "gen.ts", "import fs from 'fs';\n\n",
     "/** Compute value @. */\n"
     "export function func_@(a: number, b: number = 2): number {\n"
     "  if (a > b && a) {\n"
     "    return a;\n"
     "  }\n"
     "  for (let x = 0; x < b; x++) {\n"
     "    a += x; // step\n"
     "  }\n"
     "  return a ? a : b;\n"
     "}\n"
     "\n"},
    {"tsx", "gen.tsx", "import React from 'react';\n\n",
     "/** Render value @. */\n"
     "export function Func@(props: { a: number; b?: number }): JSX.Element {\n"
     "  let a = props.a;\n"
     "  if (a > 2 && props.b) {\n"
     "    a += props.b;\n"
     "  }\n"
     "  for (let x = 0; x < a; x++) {\n"
     "    a -= 1; // step\n"
     "  }\n"
     "  return <div className=\"v\">{a ? a : 'none'}</div>;\n"
     "}\n"
     "\n"},
    {"go", "gen.go", "package gen\n\nimport \"fmt\"\n\n",
     "// Func@ computes value @.\n"
     "func Func@(a int, b int) (int, error) {\n"
     "\tif a > b && a != 0 {\n"
     "\t\treturn a, nil\n"
     "\t}\n"
     "\tfor x := 0; x < b; x++ {\n"
     "\t\ta += x // step\n"
     "\t}\n"
     "\treturn a, fmt.Errorf(\"no\")\n"
     "}\n"
     "\n"},
    {"rust", "gen.rs", "use std::fmt;\n\n",
     "/// Compute value @.\n"
     "pub fn func_@(mut a: i32, b: i32) -> i32 {\n"
     "    if a > b && a != 0 {\n"
     "        return a;\n"
     "    }\n"
     "    for x in 0..b {\n"
     "        a += x; // step\n"
     "    }\n"
     "    if a != 0 { a } else { b }\n"
     "}\n"
     "\n"},
};
#define N_LANGS (sizeof langs / sizeof langs[0])

/* Writes the file; returns the number of functions. */
static int generate(const char *dir, size_t li) {
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, langs[li].file);
    FILE *f = fopen(path, "w");
    if (!f) fatal("cannot write %s: %s", path, strerror(errno));
    int lines = 0, funcs = 0;
    for (const char *p = langs[li].head; *p; p++) lines += *p == '\n';
    fputs(langs[li].head, f);
    while (lines < LINES) {
        for (const char *p = langs[li].templ; *p; p++) {
            if (*p == '@') fprintf(f, "%d", funcs);
            else fputc(*p, f);
            lines += *p == '\n';
        }
        funcs++;
    }
    fclose(f);
    return funcs;
}

static double tool_us(server *s, const char *args, json_t **root_out) {
    char params[1024], req[1200];
    snprintf(params, sizeof params, "{\"name\":\"pattern_action\",\"arguments\":%s}", args);
    long id = s->next_id++;
    size_t n = make_request(req, sizeof req, id, "tools/call", params);
    json_t *root, *result;
    uint64_t ns = round_trip(s, req, n, id, true, &result, &root);
    if (root_out) *root_out = root;
    else json_decref(root);
    return (double)ns / 1e3;
}

static double measure(server *s, const char *args, const char *name, double goal_us, const char *goal) {
    double us[RUNS];
    for (int i = -WARMUP; i < RUNS; i++) {
        double t = tool_us(s, args, NULL);
        if (i >= 0) us[i] = t;
        check_interrupted();
    }
    qsort(us, RUNS, sizeof us[0], cmp_double);
    double med = median(us, RUNS) / 1e3;
    add_row(name, "median", med, "ms", 2, goal_us / 1e3, goal);
    add_row(name, "p95", pct(us, RUNS, 95) / 1e3, "ms", 2, 0, NULL);
    return med;
}

int main(int argc, char **argv) {
    bench_prog = "bench_code";
    if (!bench_init(argc, argv, 0, NULL)) return 2;
    static char data_dir[PATH_MAX], cfg_dir[PATH_MAX], src_dir[PATH_MAX];
    bench_tmpdir("data", data_dir);
    bench_tmpdir("config", cfg_dir);
    bench_tmpdir("src", src_dir);
    char roots[PATH_MAX + 32];
    snprintf(roots, sizeof roots, "LTMC_PROJECT_ROOTS=%s", src_dir);
    const char *extra[] = {roots, NULL};
    char **env = make_child_env(data_dir, cfg_dir, extra);
    int funcs[N_LANGS];
    for (size_t i = 0; i < N_LANGS; i++) funcs[i] = generate(src_dir, i);
    uint64_t t_start = now_ns();
    fprintf(stderr, "bench_code: %s, sources in %s\n", bin, src_dir);
    server s = {0};
    s.in_fd = s.out_fd = -1;
    server_spawn(&s, env);
    char version[64] = "?";
    initialize(&s, version, sizeof version);

    for (size_t i = 0; i < N_LANGS; i++) {
        char args[512], name[96];
        /* check once that the whole file was read */
        snprintf(args, sizeof args, "{\"action\":\"extract_functions\",\"file_path\":\"%s\"}", langs[i].file);
        json_t *root;
        tool_us(&s, args, &root);
        json_t *sc = json_object_get(json_object_get(root, "result"), "structuredContent");
        json_int_t count = json_integer_value(json_object_get(sc, "count"));
        if (count != funcs[i] || json_is_true(json_object_get(sc, "has_syntax_errors")))
            fatal("%s: %lld functions found, %d written (syntax errors: %d)", langs[i].file, (long long)count, funcs[i],
                  json_is_true(json_object_get(sc, "has_syntax_errors")));
        json_decref(root);

        snprintf(name, sizeof name, "extract_functions %s (%d fns)", langs[i].lang, funcs[i]);
        double ef = measure(&s, args, name, 20000, "< 20 ms");
        snprintf(args, sizeof args, "{\"action\":\"summarize_code\",\"file_path\":\"%s\"}", langs[i].file);
        snprintf(name, sizeof name, "summarize_code %s", langs[i].lang);
        double sc_ms = measure(&s, args, name, 0, NULL);
        fprintf(stderr, "  %-10s extract_functions %.2f ms, summarize_code %.2f ms\n", langs[i].lang, ef, sc_ms);
    }

    add_row("server memory after the runs", "VmRSS", proc_status_mib(s.pid, "VmRSS"), "MiB", 1, 0, NULL);
    server_close(&s);
    free(s.buf);
    char title[64];
    snprintf(title, sizeof title, "code benchmarks (%d-line files)", LINES);
    print_table(title, version, (double)(now_ns() - t_start) / 1e9);
    cleanup();
    free_child_env(env);
    return 0;
}
