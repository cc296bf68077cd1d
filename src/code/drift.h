/* drift.h - documentation that no longer matches the code it describes.
 *
 * Three sources of drift, all against the code as it is now:
 *  - the docs written in the code: documented parameters that do not exist
 *    (param_stale), real ones left out of a doc that lists parameters
 *    (param_undocumented), a documented return on a void function
 *    (return_stale);
 *  - the snapshot of the last `code` sync (the elements' signatures and
 *    docs of record): elements removed or renamed since, signatures changed
 *    (parameters added, removed, renamed or retyped; return type changed);
 *  - a markdown document: mentions of functions in code spans, headings and
 *    definition lines of fenced blocks ("`parse(text, strict)`", "def f(a)")
 *    that name elements which are gone or renamed, or parameter lists that
 *    differ from the code's.
 * Pure functions over code.h's model and JSON; no files, no database.
 * Items are {element, kind, detail, line, source}; kinds are removed,
 * renamed, signature_changed, param_stale, param_undocumented,
 * return_stale, and unknown_reference (a mention of something that is not
 * in the code and was not in the snapshot: reported, not counted). */
#ifndef LT_DRIFT_H
#define LT_DRIFT_H

#include "code.h"

#include <jansson.h>

/* The file's elements in snapshot form: [{element (qualified name), name,
 * kind, line, signature, params[{name,type}], return_type, doc}]. */
json_t *drift_elements(const code_file *f);

void drift_in_code(const code_file *f, json_t *items);

/* old: elements of the snapshot; now: drift_elements of the code now. */
void drift_against_snapshot(const json_t *old, const json_t *now, json_t *items);

/* md: the markdown text; old may be NULL (no snapshot). */
void drift_markdown(const char *md, const json_t *now, const json_t *old, code_lang lang, json_t *items);

/* drift_detected, drift_count (items that are drift), counts{kind: n}. */
void drift_summarize(const json_t *items, json_t *out);

#endif
