/* fuzz_code.c - libFuzzer target for the code engine (src/code/).
 *
 * The first byte picks the language, the rest is the source text. Every
 * input either is refused with a message (binary, too large) or parses into
 * a model whose invariants every tool relies on; anything else abort()s:
 *   - every line number lies in [1, lines] and no element ends before it starts,
 *   - names, signatures and comment texts are non-NULL,
 *   - counts and arrays agree (a non-zero count has its array),
 *   - has_errors and error_line agree.
 * The sanitizers catch the rest (the walkers index into the source by the
 * byte offsets of a tree the parser built from arbitrary input). */
#include "code/code.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok, const char *what) {
    if (!ok) {
        fprintf(stderr, "fuzz_code: invariant broken: %s\n", what);
        abort();
    }
}

static void check_span(const code_file *f, int line, int end_line, const char *what) {
    check(line >= 1 && line <= f->lines && end_line >= line && end_line <= f->lines, what);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    static const code_lang langs[] = {CODE_LANG_C,          CODE_LANG_PYTHON, CODE_LANG_JAVASCRIPT,
                                      CODE_LANG_TYPESCRIPT, CODE_LANG_TSX,    CODE_LANG_GO,
                                      CODE_LANG_RUST};
    code_lang lang = langs[data[0] % (sizeof langs / sizeof *langs)];
    code_file *f = NULL;
    lt_err err = {0};
    if (code_parse((const char *)data + 1, size - 1, lang, &f, &err) != 0) {
        check(f == NULL && err.code != LT_OK && err.msg[0], "a refusal has a message");
        return 0;
    }
    check(f != NULL && f->lang == lang, "a parse gives a model of its language");
    check(f->has_errors == (f->error_line > 0), "has_errors iff error_line");
    if (f->has_errors) check(f->error_line <= f->lines, "error_line within the text");
    check(!f->nfuncs || f->funcs, "funcs array");
    for (size_t i = 0; i < f->nfuncs; i++) {
        const code_func *fn = &f->funcs[i];
        check(fn->name && fn->signature, "function name and signature");
        check_span(f, fn->line, fn->end_line, "function lines");
        check(!fn->nparams || fn->params, "params array");
        for (size_t k = 0; k < fn->nparams; k++) check(fn->params[k].name != NULL, "param name");
        check(!fn->ndecorators || fn->decorators, "decorators array");
        check(fn->complexity >= 1, "complexity at least 1");
    }
    check(!f->nclasses || f->classes, "classes array");
    for (size_t i = 0; i < f->nclasses; i++) {
        const code_class *c = &f->classes[i];
        check(c->name && c->kind, "class name and kind");
        check_span(f, c->line, c->end_line, "class lines");
        for (size_t k = 0; k < c->nmethods; k++) check(c->methods[k] != NULL, "method name");
        for (size_t k = 0; k < c->nattributes; k++) check(c->attributes[k] != NULL, "attribute name");
        for (size_t k = 0; k < c->nbases; k++) check(c->bases[k] != NULL, "base name");
    }
    check(!f->ncomments || f->comments, "comments array");
    for (size_t i = 0; i < f->ncomments; i++) {
        check(f->comments[i].text != NULL, "comment text");
        check_span(f, f->comments[i].line, f->comments[i].end_line, "comment lines");
    }
    check(!f->nimports || f->imports, "imports array");
    for (size_t i = 0; i < f->nimports; i++) {
        check(f->imports[i].module != NULL, "import module");
        check(f->imports[i].line >= 1 && f->imports[i].line <= f->lines, "import line");
    }
    code_file_free(f);
    return 0;
}
