/* attempts.h - experience replay: attempts at writing code, remembered with
 * their outcome and found again by meaning.
 *
 * An attempt is what was asked (input_prompt), the code produced, its
 * result (pass, fail or partial), the error, how long it ran and where it
 * belongs (function, file, module, pattern type, tags). Logging embeds
 *
 *   pattern_type \n input_prompt \n code \n function \n file \n error
 *
 * with the memory engine's embedder (the same model as memories) and keeps
 * the unit vector with the row. Finding ranks by
 *
 *   score = cosine(query, attempt) + 0.05 * outcome
 *
 * with outcome 1 for pass, 0.5 for partial and 0 for fail: at similar
 * similarity a success comes before a partial before a failure, while a
 * failure that is clearly closer in meaning (by more than 0.05) still comes
 * first. Without a query the newest come first. Attempts embedded by another
 * model than the current one have similarity 0 until logged again.
 *
 * Failures are grouped by their error's key: the first non-blank line of
 * the message with numbers, quoted text and hex addresses replaced, so
 * "line 12: name 'x' is not defined" and "line 40: name 'y' is not defined"
 * are one cause. */
#ifndef LT_ATTEMPTS_H
#define LT_ATTEMPTS_H

#include "../core/err.h"
#include "../embed/embed.h"
#include "../store/store.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct {
    const char *project;
    const char *pattern_type;
    const char *result; /* "pass", "fail" or "partial" */
    const char *input_prompt;
    const char *code;
    const char *error_message;
    const char *function_name, *file_name, *module_name, *language;
    double execution_time_ms; /* < 0: not given */
    const json_t *tags;       /* array of strings, or NULL */
    const json_t *metadata;   /* object, or NULL */
} attempt_input;

/* Stores an attempt; fills out with attempt_id, created_at and error_key. */
int attempts_log(embedder *emb, store *st, const attempt_input *in, json_t *out, lt_err *err);

typedef struct {
    const char *project;
    const char *pattern_type, *result, *function_name, *file_name, *module_name; /* NULL: any */
    const json_t *tags;        /* attempts having all of them; NULL: any */
    const char *since, *until; /* ISO-8601 bounds on created_at, inclusive (a bare date is its midnight, as in memory) */
} attempt_filter;

/* The k best attempts for query (NULL or empty: the newest) under f,
 * appended to patterns as objects with similarity and score. */
int attempts_find(embedder *emb, store *st, const char *query, const attempt_filter *f, size_t k, json_t *patterns,
                  lt_err *err);

/* Outcome statistics under f into out: total_patterns, pass/fail/partial
 * counts, success_rate, avg_execution_time_ms, by_pattern_type[], trend[]
 * (per "day" or "week"), common_failures[]. */
int attempts_analyze(store *st, const attempt_filter *f, const char *bucket, json_t *out, lt_err *err);

/* The grouping key of an error message (malloc'd), or NULL for a blank one. */
char *attempts_error_key(const char *message);

#endif
