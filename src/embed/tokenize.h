/* tokenize.h - words of a text, the way the embedders see them.
 *
 * Text is NFKC-normalised and case-folded (utf8proc). A word is a run of
 * letters, digits and combining marks; everything else separates words.
 * Code identifiers are split into their parts: camelCase -> camel, case;
 * HTTPServer -> http, server; snake_case, dotted.names and paths/like/this
 * split at their punctuation anyway. An apostrophe splits a word and the
 * clitic fragments it leaves ("s", "t", "d", "m", "ll", "re", "ve") are
 * dropped, so "Caroline's" embeds as "caroline". */
#ifndef LT_TOKENIZE_H
#define LT_TOKENIZE_H

#include <stddef.h>

#define TOKEN_MAX_BYTES 64 /* longer words are skipped: no vocabulary has them */

typedef void (*token_fn)(const char *token, size_t len, void *ud);

/* With TOKENIZE_COMPOUNDS a word split by case is also emitted whole, before
 * its parts (getUserName -> getusername, get, user, name): what full-text
 * search wants, so both spellings of a query find it. */
#define TOKENIZE_COMPOUNDS 1

/* Calls emit for every token in order. Invalid UTF-8 bytes separate words.
 * Returns the number of tokens emitted. */
size_t tokenize(const char *text, size_t len, int flags, token_fn emit, void *ud);

#endif
