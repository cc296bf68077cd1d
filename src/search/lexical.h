/* lexical.h - what the full-text index stores and how queries are asked.
 *
 * Documents and queries go through the same tokenizer (tokenize.h), so an
 * identifier is found by either spelling; SQLite FTS5 then applies Porter
 * stemming and BM25. Queries OR their words after dropping English stop
 * words (a question's "what did ... do" carries no topic), unless nothing
 * else is left. */
#ifndef LT_LEXICAL_H
#define LT_LEXICAL_H

#include <stddef.h>

/* The text's tokens joined by spaces, identifiers split (malloc'd). */
char *lexical_words(const char *text, size_t len);

/* The words a free-text query asks for, in order, without duplicates (and
 * without stop words, unless nothing else is left); at most 64. Returns
 * their number; *terms is malloc'd (free with lexical_terms_free). */
size_t lexical_terms(const char *text, size_t len, char ***terms);
void lexical_terms_free(char **terms, size_t n);

/* "a" OR "b" OR ...: an FTS5 expression for terms, quoted (malloc'd). */
char *lexical_or(char *const *terms, size_t n);

/* lexical_or(lexical_terms(text)), or NULL when the query has no words. */
char *lexical_query(const char *text, size_t len);

/* The token that marks a project's rows ("p" + hex of its bytes, lower
 * case): the same as SQL's 'p' || lower(hex(project)). */
char *lexical_project_token(const char *project);

/* "2023-05-08 May 2023 Monday" for an ISO-8601 timestamp, so questions
 * that name a month, year or weekday find it. buf needs 48 bytes. */
void lexical_date_words(const char *iso, char *buf, size_t len);

#endif
