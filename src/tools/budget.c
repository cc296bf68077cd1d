#include "budget.h"

#include <stdlib.h>
#include <string.h>

token_budget budget_start(int64_t max_tokens) { return (token_budget){max_tokens, 0}; }

bool budget_exhausted(const token_budget *b) { return b->used >= b->limit; }

static size_t utf8_chars(const char *s) {
    size_t n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80) n++;
    return n;
}

size_t budget_estimate(const char *text) { return (utf8_chars(text) + 3) / 4; }

/* Byte length of the first `chars` characters of s. */
static size_t prefix_bytes(const char *s, size_t chars) {
    size_t i = 0, seen = 0;
    while (s[i]) {
        if (((unsigned char)s[i] & 0xC0) != 0x80) {
            if (seen == chars) break;
            seen++;
        }
        i++;
    }
    return i;
}

char *budget_cut(const char *text, size_t tokens, const char *suffix) {
    size_t keep = prefix_bytes(text, tokens * 4), slen = strlen(suffix);
    char *out = malloc(keep + slen + 1);
    if (!out) return NULL;
    memcpy(out, text, keep);
    memcpy(out + keep, suffix, slen + 1);
    return out;
}

void budget_take(token_budget *b, json_t *obj, const char *key) {
    const char *text = json_string_value(json_object_get(obj, key));
    if (!text) return;
    int64_t tokens = (int64_t)budget_estimate(text), left = b->limit - b->used;
    if (tokens <= left) {
        b->used += tokens;
        return;
    }
    char *cut = budget_cut(text, left > 0 ? (size_t)left : 0, "...[truncated]");
    if (cut) json_object_set_new(obj, key, json_string(cut));
    free(cut);
    json_object_set_new(obj, "truncated", json_true());
    b->used = b->limit;
}
