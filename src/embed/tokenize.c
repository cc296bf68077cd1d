#include "tokenize.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

typedef enum { CLS_SEP, CLS_UPPER, CLS_LOWER, CLS_OTHER_LETTER, CLS_DIGIT, CLS_MARK, CLS_APOS } char_class;

static char_class classify(utf8proc_int32_t cp) {
    if (cp == '\'' || cp == 0x2019) return CLS_APOS;
    switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LT: return CLS_UPPER;
    case UTF8PROC_CATEGORY_LL: return CLS_LOWER;
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO: return CLS_OTHER_LETTER;
    case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_NO: return CLS_DIGIT;
    case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC:
    case UTF8PROC_CATEGORY_ME: return CLS_MARK;
    default: return CLS_SEP;
    }
}

static bool is_clitic(const char *s, size_t n) {
    static const char *const clitics[] = {"s", "t", "d", "m", "ll", "re", "ve", NULL};
    for (const char *const *c = clitics; *c; c++)
        if (strlen(*c) == n && memcmp(*c, s, n) == 0) return true;
    return false;
}

/* Folds one word (raw bytes) and emits it unless it is too long. */
static void emit_folded(const char *word, size_t len, bool after_apostrophe, token_fn emit, void *ud,
                        size_t *count) {
    if (len == 0) return;
    utf8proc_uint8_t *folded = NULL;
    utf8proc_ssize_t n = utf8proc_map((const utf8proc_uint8_t *)word, (utf8proc_ssize_t)len, &folded,
                                      UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD);
    if (n > 0 && n <= TOKEN_MAX_BYTES && !(after_apostrophe && is_clitic((const char *)folded, (size_t)n))) {
        emit((const char *)folded, (size_t)n, ud);
        (*count)++;
    }
    free(folded);
}

/* Emits the whole word starting at pos when the word mixes lower and upper
 * case after its first letter (so it will be split into parts). */
static void emit_compound(const char *text, size_t len, size_t pos, bool after_apos, token_fn emit, void *ud,
                          size_t *count) {
    const utf8proc_uint8_t *s = (const utf8proc_uint8_t *)text;
    size_t end = pos;
    bool split = false;
    char_class p1 = CLS_SEP, p2 = CLS_SEP;
    while (end < len) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t step = utf8proc_iterate(s + end, (utf8proc_ssize_t)(len - end), &cp);
        if (step < 1) break;
        char_class c = classify(cp);
        if (c == CLS_SEP || c == CLS_APOS) break;
        /* The same two rules tokenize() splits by. */
        if ((c == CLS_UPPER && p1 == CLS_LOWER) || (c == CLS_LOWER && p1 == CLS_UPPER && p2 == CLS_UPPER)) split = true;
        if (c != CLS_MARK) { p2 = p1; p1 = c; }
        end += (size_t)step;
    }
    if (split) emit_folded(text + pos, end - pos, after_apos, emit, ud, count);
}

size_t tokenize(const char *text, size_t len, int flags, token_fn emit, void *ud) {
    const utf8proc_uint8_t *s = (const utf8proc_uint8_t *)text;
    size_t count = 0, pos = 0;
    size_t word_start = 0;  /* byte offset of the current part */
    bool in_word = false, after_apos = false;
    char_class prev = CLS_SEP, prev2 = CLS_SEP;
    size_t prev_pos = 0; /* byte offset of the previous code point */
    while (pos <= len) {
        utf8proc_int32_t cp = -1;
        utf8proc_ssize_t step = 1;
        char_class cls = CLS_SEP;
        if (pos < len) {
            step = utf8proc_iterate(s + pos, (utf8proc_ssize_t)(len - pos), &cp);
            if (step < 1) { step = 1; cls = CLS_SEP; }
            else cls = classify(cp);
        }
        if (cls == CLS_SEP || cls == CLS_APOS || pos == len) {
            if (in_word) emit_folded(text + word_start, pos - word_start, after_apos, emit, ud, &count);
            in_word = false;
            /* An apostrophe between letters marks what follows as a possible clitic. */
            after_apos = (cls == CLS_APOS) && prev != CLS_SEP;
            prev2 = prev;
            prev = CLS_SEP;
            if (pos == len) break;
            pos += (size_t)step;
            continue;
        }
        if (!in_word) {
            in_word = true;
            word_start = pos;
            if (flags & TOKENIZE_COMPOUNDS) emit_compound(text, len, pos, after_apos, emit, ud, &count);
        } else {
            /* camelCase: lower -> Upper starts a part. HTTPServer: the last
             * capital of a run starts a part when a lower-case letter follows;
             * we see that one step late, so split before prev. */
            if (cls == CLS_UPPER && prev == CLS_LOWER) {
                emit_folded(text + word_start, pos - word_start, after_apos, emit, ud, &count);
                after_apos = false;
                word_start = pos;
            } else if (cls == CLS_LOWER && prev == CLS_UPPER && prev2 == CLS_UPPER && prev_pos > word_start) {
                emit_folded(text + word_start, prev_pos - word_start, after_apos, emit, ud, &count);
                after_apos = false;
                word_start = prev_pos;
            }
        }
        if (cls != CLS_MARK) { prev2 = prev; prev = cls; prev_pos = pos; }
        pos += (size_t)step;
    }
    return count;
}
