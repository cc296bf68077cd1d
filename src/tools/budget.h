/* budget.h - keeping results within an agent's token budget.
 *
 * Tokens are estimated as characters / 4 (rounded up), the rule of thumb
 * the original used; cuts fall on UTF-8 character boundaries. */
#ifndef LT_BUDGET_H
#define LT_BUDGET_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    int64_t limit;
    int64_t used;
} token_budget;

token_budget budget_start(int64_t max_tokens);
bool budget_exhausted(const token_budget *b);

/* Estimated tokens of a text. */
size_t budget_estimate(const char *text);

/* Charges obj[key] (a string) to the budget, cutting it (and setting
 * "truncated": true on obj) when it does not fit. */
void budget_take(token_budget *b, json_t *obj, const char *key);

/* The first `tokens` worth of text followed by suffix (malloc'd). */
char *budget_cut(const char *text, size_t tokens, const char *suffix);

#endif
