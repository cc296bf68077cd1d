/* code.h - the structure of source code, language-neutral.
 *
 * One parse (tree-sitter, grammars compiled into the binary) turns a source
 * text into a code_file: its functions, classes, comments and imports, each
 * with 1-based line numbers. Every tool that looks at code (pattern_action,
 * documentation_action, sync_action) works on this model and never on a
 * syntax tree, so a new language is one entry in code.c's language table.
 *
 * Nothing here reads files or checks paths: callers resolve paths through
 * fs/paths.h and hand the bytes in. Parsing never fails on a syntax error:
 * the tree is still walked and has_errors/error_line say where it broke.
 * All strings are owned by the code_file and freed by code_file_free. */
#ifndef LT_CODE_H
#define LT_CODE_H

#include "../core/err.h"

#include <stdbool.h>
#include <stddef.h>

typedef enum {
    CODE_LANG_UNKNOWN = 0,
    CODE_LANG_C,          /* .c and .h */
    CODE_LANG_PYTHON,
    CODE_LANG_JAVASCRIPT,
    CODE_LANG_TYPESCRIPT,
    CODE_LANG_TSX,
    CODE_LANG_GO,
    CODE_LANG_RUST
} code_lang;

/* Largest source the parser accepts; larger inputs are refused with
 * LT_ERR_INVALID naming the limit. */
#define CODE_MAX_SOURCE_BYTES (8u * 1024u * 1024u)

/* "c", "python", "javascript", "typescript", "tsx", "go", "rust" (and the
 * usual aliases: py, js, ts, golang, rs, h). UNKNOWN when not supported. */
code_lang code_lang_from_name(const char *name);
/* From a path's extension (.c .h .py .js .mjs .cjs .jsx .ts .tsx .go .rs). */
code_lang code_lang_from_path(const char *path);
const char *code_lang_name(code_lang lang);
/* The supported language names, NULL-terminated (for schemas and errors). */
const char *const *code_lang_names(void);

typedef struct {
    char *name;
    char *type;          /* annotation or declared type; NULL if none */
    char *default_value; /* NULL if none */
} code_param;

typedef enum {
    CODE_COMMENT_DOCSTRING, /* attached documentation: Python docstring, or a
                               comment block directly above a definition */
    CODE_COMMENT_INLINE,    /* a comment sharing its line with code */
    CODE_COMMENT_BLOCK      /* a standalone comment (block or run of lines) */
} code_comment_kind;

typedef struct {
    char *name;
    char *qualified_name; /* "Class.method", "Type::method", "pkg.Func" */
    char *parent;         /* enclosing class/struct/impl/type name, or NULL */
    int line, end_line;
    char *signature;      /* the declaration text up to the body, one line */
    code_param *params;
    size_t nparams;
    char *return_type;    /* NULL if none declared */
    char *doc;            /* docstring or leading comment, markers stripped; NULL if none */
    char **decorators;    /* Python decorators, Rust attributes, TS decorators */
    size_t ndecorators;
    bool is_async;
    bool is_method;
    bool is_exported;     /* pub, export, capitalised Go name, non-static C */
    int complexity;       /* 1 + decision points in the body's syntax tree */
} code_func;

typedef struct {
    char *name;
    char *kind;           /* "class", "struct", "enum", "interface", "trait", "union", "type" */
    int line, end_line;
    char **bases;         /* superclasses, implemented interfaces/traits, embedded Go types */
    size_t nbases;
    char **methods;       /* names; the functions themselves are in code_file.funcs */
    size_t nmethods;
    char **attributes;    /* fields / class-level assignments */
    size_t nattributes;
    char *doc;
} code_class;

typedef struct {
    code_comment_kind kind;
    int line, end_line;
    char *text;           /* markers (//, #, / *, * /, """) stripped */
    char *parent_name;    /* for docstrings: the documented element, else NULL */
} code_comment;

typedef struct {
    char *module;         /* "stdio.h", "os.path", "./util", "fmt", "std::io" */
    int line;
    bool is_local;        /* #include "x.h", relative JS import, crate::/super:: */
} code_import;

typedef struct {
    code_lang lang;
    int lines;            /* number of lines in the source */
    bool has_errors;      /* the parser had to recover from a syntax error */
    int error_line;       /* first error's line, 0 when none */
    code_func *funcs;
    size_t nfuncs;
    code_class *classes;
    size_t nclasses;
    code_comment *comments;
    size_t ncomments;
    code_import *imports;
    size_t nimports;
    int complexity;       /* decision points in the whole file */
} code_file;

/* Parses len bytes of src as lang (a large text in two parts on two cores,
 * with the same result: code.c, "parsing in two parts"). Refuses (LT_ERR_INVALID) an unknown
 * language, text over CODE_MAX_SOURCE_BYTES and binary input (a NUL byte or
 * invalid UTF-8 in the first 8 KiB). Returns 0 and *out, or -1. */
int code_parse(const char *src, size_t len, code_lang lang, code_file **out, lt_err *err);

void code_file_free(code_file *file);

#endif
