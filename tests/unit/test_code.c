/* Unit tests for src/code: every grammar loads, and per language a fixture
 * with a documented function (params, defaults, types, decorators), a class
 * with bases/methods/attributes, comments of each kind, imports and a
 * syntax error gives the expected model. Bad input is refused. */
#include "testutil.h"

#include "code/code.h"
#include "code/code_int.h"

#include <glob.h>

static code_file *parse(const char *src, code_lang lang) {
    code_file *f = NULL;
    lt_err err = {0};
    int rc = code_parse(src, strlen(src), lang, &f, &err);
    if (rc != 0) fail_msg("code_parse: %s", err.msg);
    assert_non_null(f);
    return f;
}

static const code_func *func(const code_file *f, const char *qualified) {
    for (size_t i = 0; i < f->nfuncs; i++)
        if (f->funcs[i].qualified_name && strcmp(f->funcs[i].qualified_name, qualified) == 0) return &f->funcs[i];
    fail_msg("no function %s", qualified);
    return NULL;
}

static const code_class *klass(const code_file *f, const char *name) {
    for (size_t i = 0; i < f->nclasses; i++)
        if (strcmp(f->classes[i].name, name) == 0) return &f->classes[i];
    fail_msg("no class %s", name);
    return NULL;
}

static bool has(char *const *v, size_t n, const char *s) {
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i], s) == 0) return true;
    return false;
}

static bool has_import(const code_file *f, const char *module, bool local) {
    for (size_t i = 0; i < f->nimports; i++)
        if (strcmp(f->imports[i].module, module) == 0 && f->imports[i].is_local == local) return true;
    return false;
}

static const code_comment *comment_at(const code_file *f, int line) {
    for (size_t i = 0; i < f->ncomments; i++)
        if (f->comments[i].line == line) return &f->comments[i];
    fail_msg("no comment on line %d", line);
    return NULL;
}

static void test_grammars_load(void **state) {
    (void)state;
    const char *const *names = code_lang_names();
    size_t n = 0;
    for (; names[n]; n++) {
        code_lang l = code_lang_from_name(names[n]);
        assert_int_not_equal(l, CODE_LANG_UNKNOWN);
        assert_string_equal(code_lang_name(l), names[n]);
        const TSLanguage *g = code_grammar(l);
        assert_non_null(g);
        uint32_t v = ts_language_version(g);
        assert_true(v >= TREE_SITTER_MIN_COMPATIBLE_LANGUAGE_VERSION && v <= TREE_SITTER_LANGUAGE_VERSION);
        /* and it parses */
        code_file *f = parse("", l);
        assert_int_equal(f->nfuncs, 0);
        assert_false(f->has_errors);
        code_file_free(f);
    }
    assert_int_equal(n, 7);
    assert_int_equal(code_lang_from_name("golang"), CODE_LANG_GO);
    assert_int_equal(code_lang_from_name("PY"), CODE_LANG_PYTHON);
    assert_int_equal(code_lang_from_name("cobol"), CODE_LANG_UNKNOWN);
    assert_int_equal(code_lang_from_path("a/b/x.tsx"), CODE_LANG_TSX);
    assert_int_equal(code_lang_from_path("x.mjs"), CODE_LANG_JAVASCRIPT);
    assert_int_equal(code_lang_from_path("lib.rs"), CODE_LANG_RUST);
    assert_int_equal(code_lang_from_path("x.h"), CODE_LANG_C);
    assert_int_equal(code_lang_from_path("Makefile"), CODE_LANG_UNKNOWN);
    assert_int_equal(code_lang_from_path(".py"), CODE_LANG_UNKNOWN);
}

static void test_bad_input(void **state) {
    (void)state;
    code_file *f = NULL;
    lt_err err = {0};
    assert_int_equal(code_parse("int x;", 6, CODE_LANG_UNKNOWN, &f, &err), -1);
    assert_int_equal(err.code, LT_ERR_INVALID);
    assert_contains(err.msg, "Unsupported language");
    assert_null(f);

    const char bin[] = "int main() {\0\x01\x02 }";
    assert_int_equal(code_parse(bin, sizeof bin - 1, CODE_LANG_C, &f, &err), -1);
    assert_contains(err.msg, "binary");
    const char bad_utf8[] = "x = '\xff\xfe'\n";
    assert_int_equal(code_parse(bad_utf8, sizeof bad_utf8 - 1, CODE_LANG_PYTHON, &f, &err), -1);
    assert_contains(err.msg, "binary");

    size_t big = CODE_MAX_SOURCE_BYTES + 1;
    char *huge = malloc(big);
    assert_non_null(huge);
    memset(huge, '\n', big);
    assert_int_equal(code_parse(huge, big, CODE_LANG_PYTHON, &f, &err), -1);
    assert_contains(err.msg, "too large");
    free(huge);

    /* invalid UTF-8 past the checked start: every string handed out is repaired */
    char *late = malloc(9100);
    assert_non_null(late);
    memset(late, '\n', 9000);
    strcpy(late + 9000, "# caf\xff\xfe\ndef g\xff():\n    pass\n");
    f = parse(late, CODE_LANG_PYTHON);
    assert_int_equal(f->ncomments, 1);
    assert_string_equal(f->comments[0].text, "caf??");
    for (size_t i = 0; i < f->nfuncs; i++) assert_null(strchr(f->funcs[i].signature, '\xff'));
    code_file_free(f);
    free(late);

    /* valid UTF-8 is text */
    const char utf8[] = "# caf\xc3\xa9 \xe6\x97\xa5\ndef f():\n    pass\n";
    f = parse(utf8, CODE_LANG_PYTHON);
    assert_int_equal(f->nfuncs, 1);
    code_file_free(f);
}

static const char py_src[] =
    "\"\"\"Module doc.\"\"\"\n"                                                 /* 1 */
    "import os, sys as system\n"                                               /* 2 */
    "from .util import helper\n"                                               /* 3 */
    "\n"                                                                       /* 4 */
    "# Leading comment\n"                                                      /* 5 */
    "@cache\n"                                                                 /* 6 */
    "@route('/x', methods=['GET'])\n"                                          /* 7 */
    "async def fetch(url: str, retries: int = 3, *args, timeout=None, **kw) -> list[str]:\n" /* 8 */
    "    \"\"\"Fetch a URL.\n"                                                 /* 9 */
    "\n"                                                                       /* 10 */
    "    Retries on failure.\n"                                                /* 11 */
    "    \"\"\"\n"                                                             /* 12 */
    "    if retries > 0 and url:  # inline note\n"                             /* 13 */
    "        for i in range(retries):\n"                                       /* 14 */
    "            try:\n"                                                       /* 15 */
    "                pass\n"                                                   /* 16 */
    "            except ValueError:\n"                                         /* 17 */
    "                pass\n"                                                   /* 18 */
    "    elif url:\n"                                                          /* 19 */
    "        x = 1 if url else 2\n"                                            /* 20 */
    "    return []\n"                                                          /* 21 */
    "\n"                                                                       /* 22 */
    "# block one\n"                                                            /* 23 */
    "# block two\n"                                                            /* 24 */
    "\n"                                                                       /* 25 */
    "class Shape(Base, Mixin, metaclass=Meta):\n"                              /* 26 */
    "    \"\"\"A shape.\"\"\"\n"                                               /* 27 */
    "    sides = 0\n"                                                          /* 28 */
    "\n"                                                                       /* 29 */
    "    def __init__(self, name):\n"                                          /* 30 */
    "        self.name = name\n"                                               /* 31 */
    "\n"                                                                       /* 32 */
    "    def _area(self):\n"                                                   /* 33 */
    "        def helper():\n"                                                  /* 34 */
    "            return 1\n"                                                   /* 35 */
    "        return helper()\n";                                               /* 36 */

static void test_python(void **state) {
    (void)state;
    code_file *f = parse(py_src, CODE_LANG_PYTHON);
    assert_int_equal(f->lang, CODE_LANG_PYTHON);
    assert_int_equal(f->lines, 36);
    assert_false(f->has_errors);
    assert_int_equal(f->error_line, 0);

    const code_func *fn = func(f, "fetch");
    assert_int_equal(fn->line, 8);
    assert_int_equal(fn->end_line, 21);
    assert_true(fn->is_async);
    assert_false(fn->is_method);
    assert_true(fn->is_exported);
    assert_string_equal(fn->return_type, "list[str]");
    assert_string_equal(fn->doc, "Fetch a URL.\n\nRetries on failure.");
    assert_int_equal(fn->nparams, 5);
    assert_string_equal(fn->params[0].name, "url");
    assert_string_equal(fn->params[0].type, "str");
    assert_null(fn->params[0].default_value);
    assert_string_equal(fn->params[1].name, "retries");
    assert_string_equal(fn->params[1].type, "int");
    assert_string_equal(fn->params[1].default_value, "3");
    assert_string_equal(fn->params[2].name, "*args");
    assert_string_equal(fn->params[3].default_value, "None");
    assert_string_equal(fn->params[4].name, "**kw");
    assert_int_equal(fn->ndecorators, 2);
    assert_string_equal(fn->decorators[0], "cache");
    assert_string_equal(fn->decorators[1], "route('/x', methods=['GET'])");
    assert_contains(fn->signature, "async def fetch(url: str");
    /* 1 + if + and + for + except + elif + conditional expression */
    assert_int_equal(fn->complexity, 7);

    const code_class *c = klass(f, "Shape");
    assert_string_equal(c->kind, "class");
    assert_int_equal(c->line, 26);
    assert_int_equal(c->nbases, 2);
    assert_string_equal(c->bases[0], "Base");
    assert_string_equal(c->bases[1], "Mixin");
    assert_string_equal(c->doc, "A shape.");
    assert_true(has(c->methods, c->nmethods, "__init__"));
    assert_true(has(c->methods, c->nmethods, "_area"));
    assert_true(has(c->attributes, c->nattributes, "sides"));
    assert_true(has(c->attributes, c->nattributes, "name"));

    const code_func *init = func(f, "Shape.__init__");
    assert_true(init->is_method);
    assert_string_equal(init->parent, "Shape");
    assert_true(init->is_exported);
    assert_false(func(f, "Shape._area")->is_exported);
    const code_func *inner = func(f, "Shape._area.helper");
    assert_false(inner->is_method);
    assert_int_equal(inner->line, 34);

    /* comments: docstrings, the leading comment (a docstring of fetch, but
     * the real docstring wins as its doc), inline and a two-line block */
    assert_int_equal(comment_at(f, 1)->kind, CODE_COMMENT_DOCSTRING);
    const code_comment *lead = comment_at(f, 5);
    assert_int_equal(lead->kind, CODE_COMMENT_DOCSTRING);
    assert_string_equal(lead->parent_name, "fetch");
    assert_string_equal(lead->text, "Leading comment");
    assert_int_equal(comment_at(f, 9)->kind, CODE_COMMENT_DOCSTRING);
    const code_comment *in = comment_at(f, 13);
    assert_int_equal(in->kind, CODE_COMMENT_INLINE);
    assert_string_equal(in->text, "inline note");
    const code_comment *blk = comment_at(f, 23);
    assert_int_equal(blk->kind, CODE_COMMENT_BLOCK);
    assert_int_equal(blk->end_line, 24);
    assert_string_equal(blk->text, "block one\nblock two");
    assert_null(blk->parent_name);

    assert_int_equal(f->nimports, 3);
    assert_true(has_import(f, "os", false));
    assert_true(has_import(f, "sys", false));
    assert_true(has_import(f, ".util", true));
    code_file_free(f);

    /* a syntax error: the model is still there */
    f = parse("def ok(a):\n    return a\n\ndef broken(:\n    pass\n", CODE_LANG_PYTHON);
    assert_true(f->has_errors);
    assert_int_equal(f->error_line, 4);
    assert_string_equal(func(f, "ok")->name, "ok");
    code_file_free(f);
}

static const char c_src[] =
    "#include <stdio.h>\n"                                                  /* 1 */
    "#include \"local.h\"\n"                                                /* 2 */
    "\n"                                                                    /* 3 */
    "/** Adds numbers.\n"                                                   /* 4 */
    " * @return the sum */\n"                                               /* 5 */
    "static int *add(int a, const char **b, ...) {\n"                       /* 6 */
    "    if (a && b) return NULL; /* inline */\n"                           /* 7 */
    "    switch (a) { case 1: break; case 2: break; default: break; }\n"    /* 8 */
    "    while (a--) { a = a > 2 ? 1 : 0; }\n"                              /* 9 */
    "    return 0;\n"                                                       /* 10 */
    "}\n"                                                                   /* 11 */
    "\n"                                                                    /* 12 */
    "// A point.\n"                                                         /* 13 */
    "// Two lines.\n"                                                       /* 14 */
    "typedef struct {\n"                                                    /* 15 */
    "    int x, y;\n"                                                       /* 16 */
    "    char *name[4];\n"                                                  /* 17 */
    "} point;\n"                                                            /* 18 */
    "\n"                                                                    /* 19 */
    "enum color { RED, GREEN };\n"                                          /* 20 */
    "union u { int i; float f; };\n"                                        /* 21 */
    "/* standalone */\n"                                                    /* 22 */
    "\n"                                                                    /* 23 */
    "void nothing(void) {}\n";                                              /* 24 */

static void test_c(void **state) {
    (void)state;
    code_file *f = parse(c_src, CODE_LANG_C);
    assert_false(f->has_errors);
    const code_func *fn = func(f, "add");
    assert_int_equal(fn->line, 6);
    assert_int_equal(fn->end_line, 11);
    assert_false(fn->is_exported);
    assert_string_equal(fn->return_type, "int *");
    assert_string_equal(fn->doc, "Adds numbers.\n@return the sum");
    assert_int_equal(fn->nparams, 3);
    assert_string_equal(fn->params[0].name, "a");
    assert_string_equal(fn->params[0].type, "int");
    assert_string_equal(fn->params[1].name, "b");
    assert_string_equal(fn->params[1].type, "const char **");
    assert_string_equal(fn->params[2].name, "...");
    /* 1 + if + && + case 1 + case 2 (default is no decision) + while + ?: */
    assert_int_equal(fn->complexity, 7);
    const code_func *nothing = func(f, "nothing");
    assert_true(nothing->is_exported);
    assert_int_equal(nothing->nparams, 0);
    assert_string_equal(nothing->return_type, "void");
    assert_int_equal(nothing->complexity, 1);

    const code_class *p = klass(f, "point");
    assert_string_equal(p->kind, "struct");
    assert_int_equal(p->nattributes, 3);
    assert_string_equal(p->attributes[2], "name");
    assert_string_equal(p->doc, "A point.\nTwo lines.");
    const code_class *e = klass(f, "color");
    assert_string_equal(e->kind, "enum");
    assert_true(has(e->attributes, e->nattributes, "GREEN"));
    assert_string_equal(klass(f, "u")->kind, "union");

    assert_int_equal(comment_at(f, 4)->kind, CODE_COMMENT_DOCSTRING);
    assert_int_equal(comment_at(f, 7)->kind, CODE_COMMENT_INLINE);
    assert_string_equal(comment_at(f, 7)->text, "inline");
    assert_int_equal(comment_at(f, 22)->kind, CODE_COMMENT_BLOCK);
    assert_int_equal(f->nimports, 2);
    assert_true(has_import(f, "stdio.h", false));
    assert_true(has_import(f, "local.h", true));
    code_file_free(f);

    f = parse("int ok(void) { return 1; }\nint broken( {\n", CODE_LANG_C);
    assert_true(f->has_errors);
    assert_int_equal(f->error_line, 2);
    assert_string_equal(func(f, "ok")->name, "ok");
    code_file_free(f);
}

static const char ts_src[] =
    "import { readFile } from \"fs\";\n"                                        /* 1 */
    "import helper from './helper';\n"                                          /* 2 */
    "const lodash = require('lodash');\n"                                       /* 3 */
    "\n"                                                                        /* 4 */
    "/**\n"                                                                     /* 5 */
    " * Greets someone.\n"                                                      /* 6 */
    " */\n"                                                                     /* 7 */
    "export async function greet(name: string, times: number = 2, opt?: boolean, ...rest: string[]): Promise<string> {\n" /* 8 */
    "  if (times > 1 && name || opt) { return name ?? 'x'; }\n"                 /* 9 */
    "  for (const r of rest) {}\n"                                              /* 10 */
    "  return times > 3 ? 'a' : 'b'; // inline\n"                               /* 11 */
    "}\n"                                                                       /* 12 */
    "\n"                                                                        /* 13 */
    "// Shape interface\n"                                                      /* 14 */
    "export interface Shape extends Base {\n"                                   /* 15 */
    "  area(): number;\n"                                                       /* 16 */
    "  name: string;\n"                                                         /* 17 */
    "}\n"                                                                       /* 18 */
    "\n"                                                                        /* 19 */
    "export class Circle extends Base implements Shape {\n"                     /* 20 */
    "  radius: number = 1;\n"                                                   /* 21 */
    "  /** Area. */\n"                                                          /* 22 */
    "  @memo\n"                                                                 /* 23 */
    "  public area(): number { return 3; }\n"                                   /* 24 */
    "  private hidden(x) { switch (x) { case 1: return 1; default: return 0; } }\n" /* 25 */
    "}\n"                                                                       /* 26 */
    "/* block */\n"                                                             /* 27 */
    "\n"                                                                        /* 28 */
    "export const arrow = async (a, b = 3) => a + b;\n";                        /* 29 */

static void test_typescript(void **state) {
    (void)state;
    code_file *f = parse(ts_src, CODE_LANG_TYPESCRIPT);
    assert_false(f->has_errors);
    const code_func *fn = func(f, "greet");
    assert_int_equal(fn->line, 8);
    assert_true(fn->is_async);
    assert_true(fn->is_exported);
    assert_string_equal(fn->return_type, "Promise<string>");
    assert_string_equal(fn->doc, "Greets someone.");
    assert_int_equal(fn->nparams, 4);
    assert_string_equal(fn->params[0].type, "string");
    assert_string_equal(fn->params[1].default_value, "2");
    assert_string_equal(fn->params[2].name, "opt?");
    assert_string_equal(fn->params[3].name, "...rest");
    assert_string_equal(fn->params[3].type, "string[]");
    /* 1 + if + && + || + ?? + for + ?: */
    assert_int_equal(fn->complexity, 7);

    const code_class *s = klass(f, "Shape");
    assert_string_equal(s->kind, "interface");
    assert_string_equal(s->doc, "Shape interface");
    assert_true(has(s->bases, s->nbases, "Base"));
    assert_true(has(s->methods, s->nmethods, "area"));
    assert_true(has(s->attributes, s->nattributes, "name"));
    const code_class *c = klass(f, "Circle");
    assert_true(has(c->bases, c->nbases, "Base"));
    assert_true(has(c->bases, c->nbases, "Shape"));
    assert_true(has(c->attributes, c->nattributes, "radius"));
    assert_int_equal(c->nmethods, 2);
    const code_func *area = func(f, "Circle.area");
    assert_true(area->is_method);
    assert_true(area->is_exported);
    assert_string_equal(area->doc, "Area.");
    assert_int_equal(area->ndecorators, 1);
    assert_string_equal(area->decorators[0], "memo");
    const code_func *hidden = func(f, "Circle.hidden");
    assert_false(hidden->is_exported);
    assert_int_equal(hidden->complexity, 2); /* case 1; default is no decision */
    const code_func *arrow = func(f, "arrow");
    assert_true(arrow->is_async);
    assert_int_equal(arrow->nparams, 2);
    assert_string_equal(arrow->params[1].default_value, "3");

    assert_int_equal(comment_at(f, 11)->kind, CODE_COMMENT_INLINE);
    assert_int_equal(comment_at(f, 27)->kind, CODE_COMMENT_BLOCK);
    assert_true(has_import(f, "fs", false));
    assert_true(has_import(f, "./helper", true));
    assert_true(has_import(f, "lodash", false));
    code_file_free(f);

    /* plain JavaScript and TSX through the same walker */
    f = parse("class A extends B { m(x = 1) { return x || 2; } }\nfunction g() {}\nmodule.exports = { g };\n",
              CODE_LANG_JAVASCRIPT);
    assert_string_equal(klass(f, "A")->bases[0], "B");
    assert_int_equal(func(f, "A.m")->complexity, 2);
    assert_string_equal(func(f, "A.m")->params[0].default_value, "1");
    assert_false(func(f, "g")->is_exported);
    code_file_free(f);
    f = parse("export function App(props: Props) { return <div>{props.x ? 1 : 2}</div>; }\n", CODE_LANG_TSX);
    assert_false(f->has_errors);
    assert_int_equal(func(f, "App")->complexity, 2);
    code_file_free(f);

    /* declarations (.d.ts), namespaces and overload signatures */
    f = parse("namespace NS { export function inNs(a: number): void {} }\n"
              "export declare class C extends B { m(x: number): string; }\n"
              "export declare function sig(a: string): number;\n",
              CODE_LANG_TYPESCRIPT);
    assert_true(func(f, "inNs")->is_exported);
    assert_string_equal(func(f, "sig")->return_type, "number");
    assert_true(has(klass(f, "C")->methods, klass(f, "C")->nmethods, "m"));
    code_file_free(f);

    f = parse("function ok() {}\nfunction broken( {\n", CODE_LANG_JAVASCRIPT);
    assert_true(f->has_errors);
    assert_int_equal(f->error_line, 2);
    assert_non_null(func(f, "ok"));
    code_file_free(f);
}

static const char go_src[] =
    "package demo\n"                                                   /* 1 */
    "\n"                                                               /* 2 */
    "import (\n"                                                       /* 3 */
    "\t\"fmt\"\n"                                                      /* 4 */
    "\tstr \"strings\"\n"                                              /* 5 */
    "\t\"./local\"\n"                                                  /* 6 */
    ")\n"                                                              /* 7 */
    "\n"                                                               /* 8 */
    "// Server serves.\n"                                              /* 9 */
    "type Server struct {\n"                                           /* 10 */
    "\t*Base\n"                                                        /* 11 */
    "\tName, Addr string\n"                                            /* 12 */
    "\tport       int\n"                                               /* 13 */
    "}\n"                                                              /* 14 */
    "\n"                                                               /* 15 */
    "// Handler handles.\n"                                            /* 16 */
    "type Handler interface {\n"                                       /* 17 */
    "\tServe(x int) error\n"                                           /* 18 */
    "\tfmt.Stringer\n"                                                 /* 19 */
    "}\n"                                                              /* 20 */
    "\n"                                                               /* 21 */
    "// Start starts the server.\n"                                    /* 22 */
    "func (s *Server) Start(ctx context.Context, ports ...int) (int, error) {\n" /* 23 */
    "\tif s == nil || len(ports) == 0 {\n"                             /* 24 */
    "\t\treturn 0, nil\n"                                              /* 25 */
    "\t}\n"                                                            /* 26 */
    "\tfor _, p := range ports {\n"                                    /* 27 */
    "\t\tswitch p {\n"                                                 /* 28 */
    "\t\tcase 1, 2:\n"                                                 /* 29 */
    "\t\tdefault:\n"                                                   /* 30 */
    "\t\t}\n"                                                          /* 31 */
    "\t}\n"                                                            /* 32 */
    "\treturn 1, nil // done\n"                                        /* 33 */
    "}\n"                                                              /* 34 */
    "\n"                                                               /* 35 */
    "func helper(a, b int) {}\n";                                      /* 36 */

static void test_go(void **state) {
    (void)state;
    code_file *f = parse(go_src, CODE_LANG_GO);
    assert_false(f->has_errors);
    const code_func *st = func(f, "Server.Start");
    assert_true(st->is_method);
    assert_string_equal(st->parent, "Server");
    assert_true(st->is_exported);
    assert_string_equal(st->return_type, "(int, error)");
    assert_string_equal(st->doc, "Start starts the server.");
    assert_int_equal(st->nparams, 2);
    assert_string_equal(st->params[1].type, "...int");
    /* 1 + if + || + for + case (default is no decision) */
    assert_int_equal(st->complexity, 5);
    const code_func *h = func(f, "demo.helper");
    assert_false(h->is_exported);
    assert_int_equal(h->nparams, 2);
    assert_string_equal(h->params[0].name, "a");
    assert_string_equal(h->params[0].type, "int");

    const code_class *s = klass(f, "Server");
    assert_string_equal(s->kind, "struct");
    assert_string_equal(s->doc, "Server serves.");
    assert_true(has(s->bases, s->nbases, "Base"));
    assert_true(has(s->attributes, s->nattributes, "Addr"));
    assert_true(has(s->methods, s->nmethods, "Start"));
    const code_class *hd = klass(f, "Handler");
    assert_string_equal(hd->kind, "interface");
    assert_true(has(hd->methods, hd->nmethods, "Serve"));
    assert_true(has(hd->bases, hd->nbases, "fmt.Stringer"));

    assert_int_equal(comment_at(f, 33)->kind, CODE_COMMENT_INLINE);
    assert_int_equal(f->nimports, 3);
    assert_true(has_import(f, "strings", false));
    assert_true(has_import(f, "./local", true));
    code_file_free(f);

    f = parse("package x\nfunc ok() {}\nfunc broken( {\n", CODE_LANG_GO);
    assert_true(f->has_errors);
    assert_int_equal(f->error_line, 3);
    code_file_free(f);
}

static const char rust_src[] =
    "use std::collections::HashMap;\n"                                    /* 1 */
    "use crate::util::helper;\n"                                          /* 2 */
    "mod sub;\n"                                                          /* 3 */
    "\n"                                                                  /* 4 */
    "/// A stack.\n"                                                      /* 5 */
    "#[derive(Debug)]\n"                                                  /* 6 */
    "pub struct Stack<T> {\n"                                             /* 7 */
    "    items: Vec<T>,\n"                                                /* 8 */
    "    pub len: usize,\n"                                               /* 9 */
    "}\n"                                                                 /* 10 */
    "\n"                                                                  /* 11 */
    "pub trait Shape: Clone {\n"                                          /* 12 */
    "    fn area(&self) -> f64;\n"                                        /* 13 */
    "}\n"                                                                 /* 14 */
    "\n"                                                                  /* 15 */
    "impl<T> Stack<T> {\n"                                                /* 16 */
    "    /// Pushes.\n"                                                   /* 17 */
    "    #[inline]\n"                                                     /* 18 */
    "    pub async fn push(&mut self, item: T, n: usize) -> Option<usize> {\n" /* 19 */
    "        if n > 0 && self.len < 10 {\n"                               /* 20 */
    "            match item { _ if n == 1 => {}, _ => {} }\n"             /* 21 */
    "        }\n"                                                         /* 22 */
    "        None // nothing\n"                                           /* 23 */
    "    }\n"                                                             /* 24 */
    "    fn private(self) {}\n"                                           /* 25 */
    "}\n"                                                                 /* 26 */
    "\n"                                                                  /* 27 */
    "impl Shape for Stack<i32> {\n"                                       /* 28 */
    "    fn area(&self) -> f64 { 0.0 }\n"                                 /* 29 */
    "}\n";                                                                /* 30 */

static void test_rust(void **state) {
    (void)state;
    code_file *f = parse(rust_src, CODE_LANG_RUST);
    assert_false(f->has_errors);
    const code_func *p = func(f, "Stack::push");
    assert_true(p->is_method);
    assert_true(p->is_async);
    assert_true(p->is_exported);
    assert_string_equal(p->return_type, "Option<usize>");
    assert_string_equal(p->doc, "Pushes.");
    assert_int_equal(p->ndecorators, 1);
    assert_string_equal(p->decorators[0], "inline");
    assert_int_equal(p->nparams, 3);
    assert_string_equal(p->params[0].name, "self");
    assert_string_equal(p->params[1].type, "T");
    /* 1 + if + && + two match arms */
    assert_int_equal(p->complexity, 5);
    assert_false(func(f, "Stack::private")->is_exported);
    assert_true(func(f, "Stack::area")->is_exported); /* a trait impl */

    const code_class *s = klass(f, "Stack");
    assert_string_equal(s->kind, "struct");
    assert_string_equal(s->doc, "A stack.");
    assert_true(has(s->attributes, s->nattributes, "len"));
    assert_true(has(s->methods, s->nmethods, "push"));
    assert_true(has(s->bases, s->nbases, "Shape"));
    const code_class *t = klass(f, "Shape");
    assert_string_equal(t->kind, "trait");
    assert_true(has(t->methods, t->nmethods, "area"));
    assert_true(has(t->bases, t->nbases, "Clone"));

    assert_int_equal(comment_at(f, 23)->kind, CODE_COMMENT_INLINE);
    assert_true(has_import(f, "std::collections::HashMap", false));
    assert_true(has_import(f, "crate::util::helper", true));
    assert_true(has_import(f, "sub", true));
    code_file_free(f);

    f = parse("fn ok() {}\nfn broken( {\n", CODE_LANG_RUST);
    assert_true(f->has_errors);
    assert_int_equal(f->error_line, 2);
    code_file_free(f);
}

/* Inputs that crashed the pinned tree-sitter runtime (a null lookahead at
 * the end of a non-terminal extra; scripts/patches/) parse, with an error. */
static void test_runtime_crashers(void **state) {
    (void)state;
    static const char *const rust[] = {
        "u#e std::io;*o;\n\n/* T io;i  ",
        "fn a() {}\n\n/* open",
        "use x;*y;\n/*",
    };
    for (size_t i = 0; i < sizeof rust / sizeof *rust; i++) {
        code_file *f = parse(rust[i], CODE_LANG_RUST);
        assert_true(f->has_errors);
        code_file_free(f);
    }
}

/* Hostile nesting: the walkers stop at their depth limit instead of
 * exhausting the stack, and what is shallower is still read. */
static void test_deep_nesting(void **state) {
    (void)state;
    size_t n = 100000;
    char *src = malloc(6 * n + 64); /* the C case needs 2n, the JavaScript one 20000 * 20 + 20000 */
    assert_non_null(src);
    size_t k = (size_t)sprintf(src, "int x = ");
    memset(src + k, '(', n), k += n;
    src[k++] = '1';
    memset(src + k, ')', n), k += n;
    k += (size_t)sprintf(src + k, ";\nint ok(void) { return 1; }\n");
    code_file *f = parse(src, CODE_LANG_C);
    assert_non_null(func(f, "ok"));
    code_file_free(f);
    k = 0;
    for (size_t i = 0; i < 20000; i++) k += (size_t)sprintf(src + k, "function f%zu() {", i);
    memset(src + k, '}', 20000), k += 20000;
    src[k] = '\0';
    f = parse(src, CODE_LANG_JAVASCRIPT);
    assert_true(f->nfuncs > 10 && f->nfuncs <= CX_MAX_DEPTH);
    assert_string_equal(f->funcs[0].name, "f0");
    code_file_free(f);
    free(src);
}

/* ---- parsing in two parts -------------------------------------------------- */

/* Everything a code_file holds, as text: two files are the same model iff
 * their dumps are equal (and then every pattern_action reply is the same). */
static void dump_str(FILE *o, const char *k, const char *v) { fprintf(o, " %s=%s", k, v ? v : "(null)"); }
static void dump_strv(FILE *o, const char *k, char *const *v, size_t n) {
    fprintf(o, " %s=[", k);
    for (size_t i = 0; i < n; i++) fprintf(o, "%s%s", i ? "|" : "", v[i]);
    fputc(']', o);
}

static char *dump(const code_file *f) {
    char *buf = NULL;
    size_t len = 0;
    FILE *o = open_memstream(&buf, &len);
    assert_non_null(o);
    fprintf(o, "lang=%d lines=%d errors=%d@%d complexity=%d\n", f->lang, f->lines, f->has_errors, f->error_line,
            f->complexity);
    for (size_t i = 0; i < f->nfuncs; i++) {
        const code_func *fn = &f->funcs[i];
        fprintf(o, "func %d-%d async=%d method=%d exported=%d cx=%d", fn->line, fn->end_line, fn->is_async,
                fn->is_method, fn->is_exported, fn->complexity);
        dump_str(o, "name", fn->name), dump_str(o, "qn", fn->qualified_name), dump_str(o, "parent", fn->parent);
        dump_str(o, "sig", fn->signature), dump_str(o, "ret", fn->return_type), dump_str(o, "doc", fn->doc);
        dump_strv(o, "dec", fn->decorators, fn->ndecorators);
        for (size_t k = 0; k < fn->nparams; k++)
            fprintf(o, " p(%s:%s=%s)", fn->params[k].name, fn->params[k].type ? fn->params[k].type : "-",
                    fn->params[k].default_value ? fn->params[k].default_value : "-");
        fputc('\n', o);
    }
    for (size_t i = 0; i < f->nclasses; i++) {
        const code_class *c = &f->classes[i];
        fprintf(o, "class %d-%d", c->line, c->end_line);
        dump_str(o, "name", c->name), dump_str(o, "kind", c->kind), dump_str(o, "doc", c->doc);
        dump_strv(o, "bases", c->bases, c->nbases), dump_strv(o, "methods", c->methods, c->nmethods);
        dump_strv(o, "attrs", c->attributes, c->nattributes);
        fputc('\n', o);
    }
    for (size_t i = 0; i < f->ncomments; i++) {
        const code_comment *c = &f->comments[i];
        fprintf(o, "comment %d %d-%d", c->kind, c->line, c->end_line);
        dump_str(o, "parent", c->parent_name), dump_str(o, "text", c->text);
        fputc('\n', o);
    }
    for (size_t i = 0; i < f->nimports; i++)
        fprintf(o, "import %d %d %s\n", f->imports[i].line, f->imports[i].is_local, f->imports[i].module);
    fclose(o);
    return buf;
}

static char *dump_at(const char *src, size_t len, code_lang lang, size_t at, int *parts) {
    code_file *f = NULL;
    lt_err err = {0};
    if (code_parse_at(src, len, lang, at, &f, parts, &err) != 0) fail_msg("code_parse_at: %s", err.msg);
    char *d = dump(f);
    code_file_free(f);
    return d;
}

/* The first line where two dumps differ, for the failure message. */
static void same_dump(const char *whole, const char *cut, const char *what, size_t at) {
    if (strcmp(whole, cut) == 0) return;
    size_t i = 0, line = 1;
    while (whole[i] && whole[i] == cut[i]) line += whole[i++] == '\n';
    const char *a = whole + i, *b = cut + i;
    while (a > whole && a[-1] != '\n') a--, b--;
    fail_msg("%s cut at byte %zu differs from the single parse at dump line %zu:\n  whole: %.200s\n  cut:   %.200s",
             what, at, line, a, b);
}

typedef struct {
    int cuts, kept, fell_back, candidates;
} cut_stats;

/* Cuts the text at line starts (every one when every is 1, else the
 * candidates and every every-th other line) and checks that each result
 * equals the single parse, kept or not. At most max cuts, spread evenly. */
static void check_cuts(const char *src, size_t len, code_lang lang, size_t every, int max, const char *what,
                       cut_stats *st) {
    int parts;
    char *whole = dump_at(src, len, lang, 0, &parts);
    assert_int_equal(parts, 1);
    size_t nstarts = 0, *starts = malloc((len + 1) * sizeof *starts);
    assert_non_null(starts);
    size_t line = 0;
    for (size_t at = 1; at < len; at++) {
        if (src[at - 1] != '\n') continue;
        line++;
        bool cand = code_split_candidate(src, len, lang, at);
        st->candidates += cand;
        if (cand || line % every == 0) starts[nstarts++] = at;
    }
    size_t step = max > 0 && nstarts > (size_t)max ? (nstarts + (size_t)max - 1) / (size_t)max : 1;
    for (size_t i = step / 2; i < nstarts; i += step) {
        char *cut = dump_at(src, len, lang, starts[i], &parts);
        assert_true(parts == 2 || parts == 3);
        st->cuts++;
        st->kept += parts == 2;
        st->fell_back += parts == 3;
        same_dump(whole, cut, what, starts[i]);
        free(cut);
    }
    free(starts);
    free(whole);
}

/* The fixtures above, cut at every line. */
static void test_cut_fixtures(void **state) {
    (void)state;
    static const struct {
        const char *src;
        code_lang lang;
    } fx[] = {
        {py_src, CODE_LANG_PYTHON}, {c_src, CODE_LANG_C},  {ts_src, CODE_LANG_TYPESCRIPT}, {ts_src, CODE_LANG_TSX},
        {go_src, CODE_LANG_GO},     {rust_src, CODE_LANG_RUST},
    };
    for (size_t i = 0; i < sizeof fx / sizeof fx[0]; i++) {
        cut_stats st = {0};
        check_cuts(fx[i].src, strlen(fx[i].src), fx[i].lang, 1, 0, code_lang_name(fx[i].lang), &st);
        assert_true(st.cuts > 20);
        assert_true(st.kept > 0); /* some cuts are good even in a small file */
    }
}

/* A file of n copies of a template, '~' standing for the copy's number
 * (bench/bench_code.c's files are made the same way). */
static char *repeat(const char *head, const char *templ, int n, size_t *len) {
    size_t cap = strlen(head) + (size_t)n * (strlen(templ) + 64) + 1, k = 0;
    char *s = malloc(cap);
    assert_non_null(s);
    k += (size_t)sprintf(s, "%s", head);
    for (int i = 0; i < n; i++)
        for (const char *p = templ; *p; p++) {
            if (*p == '~') k += (size_t)sprintf(s + k, "%d", i);
            else s[k++] = *p;
        }
    s[k] = '\0';
    *len = k;
    return s;
}

/* Go and Rust across the cut: methods whose type is declared in the other
 * part, `impl Trait for Type` after the type, the package name for the
 * functions of the second part; Python classes and docstrings; C structs
 * and comments; generated like bench_code's files but with all of that. */
static const struct {
    code_lang lang;
    const char *head, *templ;
} generated[] = {
    {CODE_LANG_GO, "// Package gen is generated.\npackage gen\n\nimport \"fmt\"\n\n",
     "// T~ is a type.\ntype T~ struct {\n\tA int\n\t*Base\n}\n\n"
     "// M~ is a method of the type above.\nfunc (t *T~) M~(a int, b ...string) (int, error) {\n"
     "\tif a > 0 && t != nil {\n\t\treturn a, nil\n\t}\n\treturn 0, fmt.Errorf(\"no\")\n}\n\n"
     "func (t T~) Late~() {}\n\nfunc F~() {}\n\n"},
    {CODE_LANG_RUST, "use std::fmt;\n\n",
     "/// S~ is a struct.\n#[derive(Debug)]\npub struct S~ {\n    a: i32,\n}\n\n"
     "impl S~ {\n    /// new.\n    pub fn new(a: i32) -> Self { if a > 0 && a < 9 { S~ { a } } else { S~ { a: 0 } } }\n}\n\n"
     "#[cfg(test)]\nmod m~ {\n    fn t() {}\n}\n\n"
     "impl fmt::Display for S~ {\n    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result { Ok(()) }\n}\n\n"},
    {CODE_LANG_PYTHON, "\"\"\"Module.\"\"\"\nimport os\n\n",
     "# Compute value ~.\n@decorate\ndef func_~(a: int, b: int = 2) -> int:\n    \"\"\"Docstring ~.\"\"\"\n"
     "    if a > b and a:\n        return a\n    return a if a else b\n\n"
     "class C~(Base):\n    \"\"\"Class ~.\"\"\"\n    x = 1\n\n    def m(self):\n        self.y = 2  # inline\n\n"
     "f\"not a docstring ~\"\n\n"},
    {CODE_LANG_C, "#include <stdio.h>\n\n",
     "/* Compute value ~. */\nstatic int func_~(int a, int b) {\n    if (a > b && a) {\n        return a;\n    }\n"
     "    return a ? a : b;\n}\n\n"
     "// A struct.\n// Two lines.\ntypedef struct {\n    int a, b;\n} s~;\n\n#ifdef X\nint x~;\n\nint y~;\n#endif\n\n"},
    {CODE_LANG_JAVASCRIPT, "import fs from 'fs';\n\n",
     "/** Compute value ~. */\nexport function func_~(a, b = 2) {\n  if (a > b && a) {\n    return a;\n  }\n"
     "  return a ? a : b;\n}\n\nconst g~ = () => require('./m~')\n\n"
     "class K~ extends Base {\n  run() {}\n}\n\nlet v~ = 1\n\n(function () {})()\n\n"},
    {CODE_LANG_TYPESCRIPT, "import fs from 'fs';\n\n",
     "/** I~. */\nexport interface I~ {\n  a: number;\n}\n\n@sealed\nclass K~ implements I~ {\n  a = 1;\n}\n\n"
     "export function func_~(a: number, b: number = 2): number {\n  return a ? a : b;\n}\n\n"},
};

static void test_cut_generated(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof generated / sizeof generated[0]; i++) {
        size_t len;
        char *src = repeat(generated[i].head, generated[i].templ, 40, &len);
        cut_stats st = {0};
        check_cuts(src, len, generated[i].lang, 7, 80, code_lang_name(generated[i].lang), &st);
        if (st.candidates <= 40 || st.kept <= 10)
            fail_msg("%s: %d candidates, %d cuts, %d kept", code_lang_name(generated[i].lang), st.candidates, st.cuts,
                     st.kept);
        /* with a real syntax error a third of the way in: every cut falls
         * back to the whole file (reusing the first part's tree when it has
         * one), and the result is still the single parse's */
        const char *line = src + len / 3;
        while (line > src && line[-1] != '\n') line--;
        size_t pre = (size_t)(line - src);
        static const char broken[] = "broken( {\n";
        char *bad = malloc(len + sizeof broken);
        assert_non_null(bad);
        memcpy(bad, src, pre);
        memcpy(bad + pre, broken, sizeof broken - 1);
        memcpy(bad + pre + sizeof broken - 1, src + pre, len - pre + 1);
        cut_stats sb = {0};
        check_cuts(bad, len + sizeof broken - 1, generated[i].lang, 7, 40, "with an error", &sb);
        assert_true(sb.cuts > 20 && sb.fell_back == sb.cuts);
        free(bad);
        free(src);
    }
}

static char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    assert_non_null(s);
    *len = fread(s, 1, (size_t)n, f);
    s[*len] = '\0';
    fclose(f);
    return s;
}

/* Real sources available offline: the tree-sitter runtime's C (fetched by
 * the build) and ltmc's own, the e2e tests' JavaScript (also read as
 * TypeScript and TSX), the MCP SDK's declarations when npm installed it,
 * Python's standard library. Each is cut at up to 12 places, candidates
 * and others. */
static void test_cut_real_sources(void **state) {
    (void)state;
    static const struct {
        const char *pattern;
        code_lang lang;
        int max_files;
    } sets[] = {
        {"build/grammars/runtime/src/*.c", CODE_LANG_C, 6},
        {"src/*/*.c", CODE_LANG_C, 8},
        {"tests/e2e/*.mjs", CODE_LANG_JAVASCRIPT, 6},
        {"tests/e2e/*.mjs", CODE_LANG_TYPESCRIPT, 3},
        {"tests/e2e/*.mjs", CODE_LANG_TSX, 3},
        {"tests/e2e/node_modules/@modelcontextprotocol/sdk/dist/esm/*/*.d.ts", CODE_LANG_TYPESCRIPT, 4},
        {"/usr/lib/python3*/[a-d]*.py", CODE_LANG_PYTHON, 8},
        {"eval/*.py", CODE_LANG_PYTHON, 2},
    };
    cut_stats all[8] = {0};
    for (size_t s = 0; s < sizeof sets / sizeof sets[0]; s++) {
        glob_t g;
        if (glob(sets[s].pattern, 0, NULL, &g) != 0) continue;
        /* files spread over the set, from 4 KiB */
        int taken = 0;
        for (size_t i = 0; i < g.gl_pathc && taken < sets[s].max_files; i++) {
            size_t len;
            char *src = slurp(g.gl_pathv[(i * 7919) % g.gl_pathc], &len);
            if (!src || len < 4096) {
                free(src);
                continue;
            }
            taken++;
            check_cuts(src, len, sets[s].lang, 23, 12, g.gl_pathv[(i * 7919) % g.gl_pathc], &all[s]);
            free(src);
        }
        globfree(&g);
    }
    /* the sets that are always there had cuts kept */
    assert_true(all[0].kept > 5 && all[1].kept > 5 && all[2].kept > 5);
    if (all[6].cuts) assert_true(all[6].kept > 5);
}

/* Cuts that must be thrown away: each text is fine whole, the cut at the
 * marked line is not (and that line is no candidate either). */
static void test_cut_falls_back(void **state) {
    (void)state;
    static const struct {
        code_lang lang;
        const char *src, *at; /* the cut is at the line starting with at */
    } cases[] = {
        {CODE_LANG_PYTHON, "x = 1\n\ns = \"\"\"\nstart\n\ndef inside(): pass\n\"\"\"\n\ndef f():\n    pass\n",
         "def inside"},
        {CODE_LANG_C, "int a;\n\n/* a comment\n\nint inside(void) { return 0; }\n*/\nint f(void) { return 1; }\n",
         "int inside"},
        {CODE_LANG_C, "int a;\n\n#if 0\nint x;\n\nint inside(void) { return 0; }\n#endif\nint f(void) { return 1; }\n",
         "int inside"},
        {CODE_LANG_PYTHON, "import os\n\n@decorator\n\ndef f():\n    pass\n", "def f"},
        {CODE_LANG_PYTHON, "def f():\n    \"\"\"Doc.\n\nExample\n    \"\"\"\n    return 1\n", "Example"},
        {CODE_LANG_RUST, "use a;\n\n#[derive(Debug)]\n\nstruct S { a: i32 }\n", "struct S"},
        {CODE_LANG_JAVASCRIPT, "let s = `\nx\n\nfunction inside() {}\n`;\n\nfunction f() {}\n", "function inside"},
        {CODE_LANG_GO, "package p\n\nfunc f() {\n\tx := 1\n\nfunc inside() {}\n", "func inside"}, /* a real error */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *src = cases[i].src;
        size_t len = strlen(src), at = (size_t)(strstr(src, cases[i].at) - src);
        int parts;
        char *whole = dump_at(src, len, cases[i].lang, 0, &parts);
        char *cut = dump_at(src, len, cases[i].lang, at, &parts);
        if (parts != 3) fail_msg("case %zu: the cut at \"%s\" was kept", i, cases[i].at);
        same_dump(whole, cut, cases[i].src, at);
        /* each a plausible line but for the one in the #if */
        assert_true(code_split_candidate(src, len, cases[i].lang, at) == (i != 2));
        free(whole), free(cut);
    }
    /* the rule itself: not inside #if, not an indented line, not after a
     * non-blank line, not a continuation */
    const char *c = "int a;\n\n#if X\nint b;\n\nint c;\n#endif\n\nint d;\n";
    assert_false(code_split_candidate(c, strlen(c), CODE_LANG_C, (size_t)(strstr(c, "int c") - c)));
    assert_true(code_split_candidate(c, strlen(c), CODE_LANG_C, (size_t)(strstr(c, "int d") - c)));
    assert_true(code_split_candidate(c, strlen(c), CODE_LANG_C, (size_t)(strstr(c, "#if") - c)));
    const char *py = "if x:\n    a = 1\n\n    b = 2\n\nelse:\n    pass\nc = 3\n\n# doc\ndef f(): pass\n";
    assert_false(code_split_candidate(py, strlen(py), CODE_LANG_PYTHON, (size_t)(strstr(py, "    b") - py)));
    assert_false(code_split_candidate(py, strlen(py), CODE_LANG_PYTHON, (size_t)(strstr(py, "else") - py)));
    assert_false(code_split_candidate(py, strlen(py), CODE_LANG_PYTHON, (size_t)(strstr(py, "c = 3") - py)));
    assert_true(code_split_candidate(py, strlen(py), CODE_LANG_PYTHON, (size_t)(strstr(py, "# doc") - py)));
    const char *js = "let a = b\n\n(c)\n\nlet d = 1\n";
    assert_false(code_split_candidate(js, strlen(js), CODE_LANG_JAVASCRIPT, (size_t)(strstr(js, "(c)") - js)));
    assert_true(code_split_candidate(js, strlen(js), CODE_LANG_JAVASCRIPT, (size_t)(strstr(js, "let d") - js)));
}

/* code_parse itself cuts a large file (and the result is the same). */
static void test_cut_by_code_parse(void **state) {
    (void)state;
    size_t len;
    char *src = repeat(generated[0].head, generated[0].templ, 400, &len);
    assert_true(len > 64 * 1024);
    int parts;
    char *whole = dump_at(src, len, CODE_LANG_GO, 0, &parts);
    size_t at = code_split_point(src, len, CODE_LANG_GO);
    assert_true(at > len / 4 && at < len - len / 4); /* near the middle */
    code_file *f = NULL;
    lt_err err = {0};
    assert_int_equal(code_parse(src, len, CODE_LANG_GO, &f, &err), 0);
    char *d = dump(f);
    same_dump(whole, d, "code_parse", at);
    /* the second part's functions have the first part's package */
    assert_non_null(strstr(d, "qn=gen.F399 "));
    assert_non_null(strstr(d, "qn=T399.M399 "));
    /* below the threshold no cut; with it lowered, a small file is cut too */
    char *small = repeat(generated[0].head, generated[0].templ, 4, &len);
    assert_int_equal(code_split_point(small, len, CODE_LANG_GO), 0);
    size_t old = code_split_min(0);
    assert_true(code_split_point(small, len, CODE_LANG_GO) > 0);
    code_split_min(old);
    free(small);
    free(d), free(whole), free(src);
    code_file_free(f);
}

/* A cut near the start: the side thread is still parsing the long second
 * part when this thread is done with the short first one, so this thread
 * parses it too and the two race (either may win, and the loser may still
 * be running when code_parse returns: the sanitizers watch its memory). */
static void test_cut_race(void **state) {
    (void)state;
    size_t len;
    char *src = repeat(generated[2].head, generated[2].templ, 300, &len);
    int parts;
    char *whole = dump_at(src, len, CODE_LANG_PYTHON, 0, &parts);
    size_t at = (size_t)(strstr(src, "class C1(") - src);
    for (int i = 0; i < 12; i++) {
        char *cut = dump_at(src, len, CODE_LANG_PYTHON, at, &parts);
        assert_int_equal(parts, 2);
        same_dump(whole, cut, "race", at);
        free(cut);
    }
    free(whole), free(src);
    usleep(200 * 1000); /* losers finish before the leak check */
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grammars_load),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_python),
        cmocka_unit_test(test_c),
        cmocka_unit_test(test_typescript),
        cmocka_unit_test(test_go),
        cmocka_unit_test(test_rust),
        cmocka_unit_test(test_runtime_crashers),
        cmocka_unit_test(test_deep_nesting),
        cmocka_unit_test(test_cut_fixtures),
        cmocka_unit_test(test_cut_generated),
        cmocka_unit_test(test_cut_real_sources),
        cmocka_unit_test(test_cut_falls_back),
        cmocka_unit_test(test_cut_by_code_parse),
        cmocka_unit_test(test_cut_race),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
