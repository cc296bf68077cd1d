/* docgen.h - documentation from the code model: API reference, coverage
 * and consistency of the docs written in the code.
 *
 * Works on code.h's code_file only (no files, no database). Documentation
 * conventions understood in a function's doc: Google/Python "Args:" and
 * "Returns:", NumPy "Parameters"/"Returns" with dashed underlines, Sphinx
 * ":param x:"/":returns:", JSDoc "@param {T} x"/"@returns", Doxygen
 * "\param x"/"@param[in] x"/"\return", Rust "# Arguments" ("* `x` - ...")
 * and "# Returns", and a doc that starts a line with "Returns ...". */
#ifndef LT_DOCGEN_H
#define LT_DOCGEN_H

#include "code.h"

#include <jansson.h>
#include <stdbool.h>

/* What a doc says about parameters and the return value. */
typedef struct {
    char **params;     /* documented parameter names, in order, unique */
    size_t nparams;
    bool param_section; /* the doc has a parameter section or tags at all */
    bool has_return;    /* the doc documents a return value */
    int return_line;    /* 0-based line of the doc that documents it */
} doc_info;

void docgen_parse_doc(const char *doc, doc_info *out);
void doc_info_free(doc_info *d);

/* self, cls, this, &self, &mut self...: receivers that need no doc. */
bool docgen_is_receiver(const char *param_name);

/* Whether the function certainly returns nothing (C void, Python -> None,
 * TS void, Go or Rust without a result type); unknown counts as false. */
bool docgen_returns_void(code_lang lang, const code_func *f);

/* One function as JSON: name, qualified_name, line, end_line, signature,
 * params[{name,type,default}], return_type, doc, decorators, is_async,
 * is_method, is_exported, complexity. */
json_t *docgen_func_json(const code_func *f);

/* A file's API: {path, language, lines, has_errors[, error_line],
 * classes[{name, kind, line, end_line, bases, attributes, doc,
 * methods[func]}], functions[func] (those outside any class)}. */
json_t *docgen_file_json(const code_file *f, const char *path);

/* Markdown reference of files (an array of docgen_file_json results, or
 * {path, error} objects for files that could not be parsed). malloc'd. */
char *docgen_markdown(const char *project, const json_t *files);

/* Consistency problems of one function's doc against its signature,
 * appended to issues as {element, line, kind, message}: param_stale (a
 * documented parameter that does not exist), param_undocumented,
 * return_stale (a documented return on a void function) and, unless
 * drift_only, return_undocumented. Returns the number of issues added. */
int docgen_check_func(const code_file *file, const code_func *f, bool drift_only, json_t *issues);

/* validate_documentation_consistency over a whole file: fills out with
 * consistency_score (3 dp), consistency_level, total_elements,
 * documented_elements, coverage, quality_score, elements[] (per element:
 * name, kind, line, documented, doc_length, params_total,
 * params_documented, return_documented, score, issues) and issues[]. */
void docgen_validate(const code_file *f, json_t *out);

/* sync_documentation_with_code: a markdown page of the file
 * (synchronized_content) and code_structure{functions, classes, imports,
 * docstrings}. */
void docgen_sync(const code_file *f, const char *path, const char *project, const char *timestamp, json_t *out);

/* "excellent" >= 0.9, "good" >= 0.7, "fair" >= 0.5, else "poor". */
const char *docgen_level(double score);

#endif
