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
 * byte offsets of a tree the parser built from arbitrary input).
 *
 * Then the same text is parsed in two parts (code.c, "parsing in two
 * parts"), cut at one of the lines where code_parse may cut (the first byte
 * picks which), and must give the same model: kept or thrown away, a cut
 * never changes it. */
#include "code/code.h"
#include "code/code_int.h"

#include <string.h>

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

static bool same_str(const char *a, const char *b) { return a == b || (a && b && !strcmp(a, b)); }

static bool same_strv(char *const *a, size_t na, char *const *b, size_t nb) {
    if (na != nb) return false;
    for (size_t i = 0; i < na; i++)
        if (!same_str(a[i], b[i])) return false;
    return true;
}

/* Every field of the two models, as the tools would show them. */
static bool same_file(const code_file *a, const code_file *b) {
    if (a->lines != b->lines || a->has_errors != b->has_errors || a->error_line != b->error_line ||
        a->complexity != b->complexity || a->nfuncs != b->nfuncs || a->nclasses != b->nclasses ||
        a->ncomments != b->ncomments || a->nimports != b->nimports)
        return false;
    for (size_t i = 0; i < a->nfuncs; i++) {
        const code_func *x = &a->funcs[i], *y = &b->funcs[i];
        if (!same_str(x->name, y->name) || !same_str(x->qualified_name, y->qualified_name) ||
            !same_str(x->parent, y->parent) || x->line != y->line || x->end_line != y->end_line ||
            !same_str(x->signature, y->signature) || !same_str(x->return_type, y->return_type) ||
            !same_str(x->doc, y->doc) || !same_strv(x->decorators, x->ndecorators, y->decorators, y->ndecorators) ||
            x->is_async != y->is_async || x->is_method != y->is_method || x->is_exported != y->is_exported ||
            x->complexity != y->complexity || x->nparams != y->nparams)
            return false;
        for (size_t k = 0; k < x->nparams; k++)
            if (!same_str(x->params[k].name, y->params[k].name) || !same_str(x->params[k].type, y->params[k].type) ||
                !same_str(x->params[k].default_value, y->params[k].default_value))
                return false;
    }
    for (size_t i = 0; i < a->nclasses; i++) {
        const code_class *x = &a->classes[i], *y = &b->classes[i];
        if (!same_str(x->name, y->name) || !same_str(x->kind, y->kind) || x->line != y->line ||
            x->end_line != y->end_line || !same_str(x->doc, y->doc) ||
            !same_strv(x->bases, x->nbases, y->bases, y->nbases) ||
            !same_strv(x->methods, x->nmethods, y->methods, y->nmethods) ||
            !same_strv(x->attributes, x->nattributes, y->attributes, y->nattributes))
            return false;
    }
    for (size_t i = 0; i < a->ncomments; i++) {
        const code_comment *x = &a->comments[i], *y = &b->comments[i];
        if (x->kind != y->kind || x->line != y->line || x->end_line != y->end_line || !same_str(x->text, y->text) ||
            !same_str(x->parent_name, y->parent_name))
            return false;
    }
    for (size_t i = 0; i < a->nimports; i++)
        if (!same_str(a->imports[i].module, b->imports[i].module) || a->imports[i].line != b->imports[i].line ||
            a->imports[i].is_local != b->imports[i].is_local)
            return false;
    return true;
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
    /* the k-th line where a cut may be, k from the first byte */
    const char *src = (const char *)data + 1;
    size_t len = size - 1, at = 0, want = data[0] / 7 % 4 + 1, seen = 0;
    for (size_t i = 1; i < len; i++)
        if (src[i - 1] == '\n' && code_split_candidate(src, len, lang, i) && ++seen == want) {
            at = i;
            break;
        }
    if (at) {
        code_file *g = NULL;
        int parts;
        check(code_parse_at(src, len, lang, at, &g, &parts, &err) == 0, "a cut parse of a text the whole parse read");
        check(same_file(f, g), "a cut changes nothing");
        code_file_free(g);
    }
    code_file_free(f);
    return 0;
}
