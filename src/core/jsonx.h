/* jsonx.h - the project's one set of JSON helpers, on top of jansson.
 *
 * jansson keeps object keys in insertion order, which we rely on so results
 * read naturally ("success" first). Setters take ownership of nothing: they
 * copy strings and build the JSON value themselves. A NULL string is stored
 * as JSON null. */
#ifndef LT_JSONX_H
#define LT_JSONX_H

#include "sbuf.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

void jx_set_str(json_t *obj, const char *key, const char *val);
void jx_set_int(json_t *obj, const char *key, int64_t val);
void jx_set_real(json_t *obj, const char *key, double val);
void jx_set_bool(json_t *obj, const char *key, bool val);
void jx_set_null(json_t *obj, const char *key);

/* Returns the string at key, or NULL when absent or not a string. */
const char *jx_str(const json_t *obj, const char *key);
/* Returns the integer at key, or def when absent or not an integer. */
int64_t jx_int(const json_t *obj, const char *key, int64_t def);
bool jx_bool(const json_t *obj, const char *key, bool def);
/* Returns the number (integer or real) at key, or 0 when absent. */
double jx_real(const json_t *obj, const char *key);

/* Compact one-line serialisation (never contains a raw newline).
 * Returns a malloc'd string; the caller frees it. */
char *jx_dump(const json_t *val);
/* The inside of a JSON string (no quotes) for s[0..len), escaped exactly as
 * jx_dump escapes strings: jx_escaped_len bytes, written by jx_put_escaped
 * at out, which returns the end of what it wrote. For writers that splice
 * already serialised text into a reply. */
size_t jx_escaped_len(const char *s, size_t len);
char *jx_put_escaped(char *out, const char *s, size_t len);
/* A frozen value: an immutable JSON value with its jx_dump text and that
 * text escaped as a JSON string's inside, made once and shared by reference
 * (a cached result is served many times; serialising it again on every hit
 * would cost more than the rest of the hit). Reference counts are atomic,
 * so threads may share one; nobody may modify the value once frozen. */
typedef struct jx_frozen jx_frozen;
/* Takes over value (also on failure, when it is dropped); NULL when out of
 * memory. The new frozen value holds one reference. */
jx_frozen *jx_freeze(json_t *value);
jx_frozen *jx_frozen_retain(jx_frozen *f);
void jx_frozen_release(jx_frozen *f); /* NULL is fine */
json_t *jx_frozen_value(const jx_frozen *f); /* borrowed; read only */
const char *jx_frozen_text(const jx_frozen *f, size_t *len);
const char *jx_frozen_escaped(const jx_frozen *f, size_t *len);
/* Indented serialisation for people. */
char *jx_dump_pretty(const json_t *val);

/* ---- JSON text written directly ----
 * For large results made from C data (extract_functions' list of
 * functions): the text jx_dump would give for the same values, without a
 * jansson value per element, which costs more to build, dump and free than
 * the parse it reports on. Keys and punctuation go in with jx_text_put;
 * strings are escaped as jx_dump escapes them (invalid UTF-8 becomes '?'),
 * NULL is written as null. After a failed allocation t->oom is set and
 * further writes do nothing. */
typedef sbuf jx_text;
void jx_text_put(jx_text *t, const char *s, size_t n);
#define JX_TEXT_LIT(t, lit) jx_text_put((t), (lit), sizeof(lit) - 1)
void jx_text_str(jx_text *t, const char *s);
void jx_text_int(jx_text *t, int64_t v);
void jx_text_bool(jx_text *t, bool v);
/* The text as a JSON value to set into a result: jx_dump and jx_dump_pretty
 * write it as the JSON it holds. Frees t's buffer (t is empty after). NULL
 * after t->oom or when out of memory. To jansson it is an opaque string
 * (marked with a per-process secret no input can forge), so it is only for
 * results that are serialised, not read: readers call jx_expand_raw first. */
json_t *jx_raw(jx_text *t);
/* Replaces, in place, every jx_raw value inside val by the JSON it holds;
 * returns false when one does not parse (a bug) or memory runs out. */
bool jx_expand_raw(json_t *val);

/* Parses a whole buffer as one JSON value of any type. On failure returns
 * NULL and writes a readable reason (with line and column) into why. */
json_t *jx_parse(const char *buf, size_t len, char *why, size_t why_len);

/* Makes s valid UTF-8 in place: every byte that is not part of a valid
 * sequence (e.g. a character cut by a "%.100s" truncation) becomes '?'.
 * JSON strings must be valid UTF-8, or jansson refuses them. */
void jx_utf8_repair(char *s);

/* How deeply arrays and objects nest inside val (a scalar is 0), counting
 * no further than limit + 1. */
int jx_depth(const json_t *val, int limit);

/* A short name for a JSON value's type: "string", "integer", "number",
 * "boolean", "object", "array", "null". */
const char *jx_type_name(const json_t *val);

#endif
