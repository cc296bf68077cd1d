/* code_int.h - what code.c shares with the per-language walkers
 * (code_c.c, code_python.c, code_js.c, code_go.c, code_rust.c).
 *
 * A walker visits the definitions of one syntax tree and records functions,
 * classes and imports through the cx_* builders. Everything that is the
 * same in every language is done once in code.c after the walker: comments
 * (collected, merged into runs, classified as docstring/inline/block and
 * attached as the doc of the definition right below them), complexity
 * (decision points counted from the spec's node types), the first syntax
 * error, and the line count. Not part of the public API. */
#ifndef LT_CODE_INT_H
#define LT_CODE_INT_H

#include "code.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <tree_sitter/api.h>

#include "tswalk.h"

typedef struct code_ctx code_ctx;

/* Where a large file may be cut in two, to parse the parts on two cores
 * (code.c, "parsing in two parts"): at the start of a line after a blank
 * one, when the first code there (past comments) is at column 0 and starts
 * with a letter, '_' or one of starts, and is not one of the continuation
 * words (the rest of the item above). The cut is kept only if both parts
 * parse without error, span their text, and the first does not end with a
 * node of a binds_next type (one that belongs to the item after it). */
typedef struct {
    const char *line_comment;          /* "#" or "//" */
    bool block_comment;                /* slash-star ... star-slash */
    bool preproc;                      /* C: only where every #if* is closed by its #endif */
    const char *starts;                /* e.g. "@" (Python decorators), "#" (C directives) */
    const char *const *continuations; /* e.g. else, except, #endif */
    const char *const *binds_next;     /* e.g. Rust's attribute_item */
} code_split_rule;

/* One language: its grammar, the node types the shared passes look at, and
 * its definition walker. Type lists are NULL-terminated. */
typedef struct {
    code_lang lang;
    const char *name;
    const TSLanguage *(*grammar)(void);
    const char *const *decisions;  /* each node of these types is one decision point */
    const char *const *valued;     /* decision points only when they have a "value" field (case, not default) */
    const char *const *logical;    /* binary nodes that count when their operator is in logical_ops */
    const char *const *logical_ops;
    const char *const *comments;   /* comment node types */
    /* The file's syntax trees, in order: one, or two when it was parsed in
     * two parts (roots[1] continues roots[0]: positions are the file's, but
     * it does not start the file). */
    void (*walk)(code_ctx *cx, const TSNode *roots, size_t nroots);
    const char *const *hooks;      /* node types handed to hook during the shared pass (may be NULL) */
    void (*hook)(code_ctx *cx, TSNode n);
    code_split_rule split;
} code_spec;

struct code_ctx {
    code_file *f;
    const code_spec *spec;
    const char *src;
    size_t len;
    size_t cap_funcs, cap_classes, cap_comments, cap_imports, cap_funcs_body;
    int *func_head;  /* parallel to f->funcs: first line incl. decorators/attributes */
    TSNode *func_body; /* parallel to f->funcs: the body whose decision points are the function's */
    int *class_head; /* parallel to f->classes */
    bool oom;
    int depth;      /* nesting of the walker's recursion (cx_enter) */
    void *class_index; /* cx_find_class's sorted names */
    size_t nclass_index;
    uint8_t *flags; /* per grammar symbol: CX_F_* (node types the shared pass looks at) */
    uint32_t nsym;
    TSFieldId f_operator, f_value;
};

/* ---- node helpers ------------------------------------------------------- */
int cx_line(TSNode n);     /* 1-based first line */
int cx_end_line(TSNode n); /* 1-based last line */
bool cx_is(TSNode n, const char *type);
bool cx_in(const char *type, const char *const *types);
TSNode cx_field(TSNode n, const char *field); /* null-safe */
TSNode cx_named(TSNode n, uint32_t i);         /* the i-th named child, or a null node */
/* The node's source text: malloc'd, exact. */
char *cx_text(code_ctx *cx, TSNode n);
/* The node's text on one line: runs of whitespace become one space. */
char *cx_text1(code_ctx *cx, TSNode n);
/* The text between two byte offsets on one line, trimmed. */
char *cx_span1(code_ctx *cx, size_t from, size_t to);
/* Whether the node's text equals s. */
bool cx_text_is(code_ctx *cx, TSNode n, const char *s);
/* The first child (named or not) of the given type, or a null node. */
TSNode cx_child_of_type(TSNode n, const char *type);
/* The signature: the node's text up to where body starts (or all of it), on one line. */
char *cx_signature(code_ctx *cx, TSNode def, TSNode body);

/* Iterating the children of a node (ts_node_child(i) is linear in i, so
 * indexing in a loop would be quadratic; tswalk.h is cheaper than the
 * cursor). Must not be copied once initialised. */
typedef struct {
    tsw_iter w;
} cx_iter;
void cx_iter_init(cx_iter *it, TSNode parent);
bool cx_iter_next(cx_iter *it, TSNode *child); /* named and anonymous children */
const char *cx_iter_field(const cx_iter *it);  /* the current child's field name, or NULL */
void cx_iter_end(cx_iter *it);

/* Walkers recurse through nested definitions and blocks; past this depth
 * they stop (deeper definitions are not recorded), so hostile input cannot
 * exhaust the stack. cx_enter returns false at the limit; pair each true
 * with cx_leave. */
#define CX_MAX_DEPTH 100
static inline bool cx_enter(code_ctx *cx) {
    if (cx->depth >= CX_MAX_DEPTH) return false;
    cx->depth++;
    return true;
}
static inline void cx_leave(code_ctx *cx) { cx->depth--; }

/* ---- builders ------------------------------------------------------------ */
/* Appends a function; strings passed in are taken over (may be NULL).
 * head is the definition's first line incl. decorators (comment attachment). */
code_func *cx_add_func(code_ctx *cx, TSNode def, char *name, int head);
code_class *cx_add_class(code_ctx *cx, TSNode def, char *name, const char *kind, int head);
void cx_add_import(code_ctx *cx, char *module, int line, bool is_local);
/* Appends a comment (Python docstrings; code.c adds the comment nodes). */
void cx_add_comment(code_ctx *cx, code_comment_kind kind, int line, int end_line, char *text, char *parent);
void cx_add_param(code_ctx *cx, code_func *fn, char *name, char *type, char *def);
/* Appends s (taken over) to a string vector; NULL s is ignored. */
void cx_strv_push(code_ctx *cx, char ***v, size_t *n, char *s);
/* Names fn's body: the shared pass sets fn->complexity to 1 + the decision
 * points under it that are not inside another recorded function's body. */
void cx_set_body(code_ctx *cx, code_func *fn, TSNode body);
/* The class named name (most recent), or NULL. */
code_class *cx_find_class(code_ctx *cx, const char *name);
/* "a" + sep + "b", malloc'd; a may be NULL (then just b). */
char *cx_join(const char *a, const char *sep, const char *b);
char *cx_strdup(code_ctx *cx, const char *s);
/* Strips comment markers (//, ///, //!, #, slash-star, leading " * ") from
 * one comment's text; malloc'd. */
char *cx_strip_comment(const char *text, size_t len);

/* For tests of the two-part parse. Whether a part may start at byte at (a
 * line start) by the language's rule, ignoring the size threshold. */
bool code_split_candidate(const char *src, size_t len, code_lang lang, size_t at);
/* Where code_parse would cut the text (0: it would not). */
size_t code_split_point(const char *src, size_t len, code_lang lang);
/* code_parse, cut at byte at (0: not cut) whatever the size; *parts says
 * what happened: 1 one parse, 2 two parts kept, 3 two parts thrown away
 * and the file parsed whole. */
int code_parse_at(const char *src, size_t len, code_lang lang, size_t at, code_file **out, int *parts, lt_err *err);
/* The size from which code_parse looks for a cut (CODE_SPLIT_MIN unless
 * set); returns the previous value. */
size_t code_split_min(size_t bytes);

/* The grammar of a language (NULL for UNKNOWN); for the load test. */
const TSLanguage *code_grammar(code_lang lang);

/* The language specs, defined by the walkers. */
extern const code_spec code_spec_c, code_spec_python, code_spec_javascript, code_spec_typescript,
    code_spec_tsx, code_spec_go, code_spec_rust;

#endif
