#include "lexical.h"

#include "../core/sbuf.h"
#include "../embed/tokenize.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void add_word(const char *tok, size_t len, void *ud) {
    sbuf *b = ud;
    if (b->len) sbuf_add(b, " ", 1);
    sbuf_add(b, tok, len);
}

char *lexical_words(const char *text, size_t len) {
    sbuf b = {0};
    tokenize(text, len, TOKENIZE_COMPOUNDS, add_word, &b);
    return sbuf_take(&b);
}

/* Common English function words: they match almost every memory, so a
 * query made of them finds nothing in particular. Sorted for bsearch. */
static const char *const stop_words[] = {
    "a", "about", "above", "after", "again", "against", "all", "am", "an", "and", "any", "are", "as", "at",
    "be", "because", "been", "before", "being", "below", "between", "both", "but", "by", "can", "could", "d",
    "did", "do", "does", "doing", "down", "during", "each", "few", "for", "from", "further", "had", "has",
    "have", "having", "he", "her", "here", "hers", "herself", "him", "himself", "his", "how", "i", "if", "in",
    "into", "is", "it", "its", "itself", "just", "ll", "m", "me", "more", "most", "my", "myself", "no", "nor",
    "not", "now", "of", "off", "on", "once", "only", "or", "other", "our", "ours", "ourselves", "out", "over",
    "own", "re", "s", "same", "she", "should", "so", "some", "such", "t", "than", "that", "the", "their",
    "theirs", "them", "themselves", "then", "there", "these", "they", "this", "those", "through", "to", "too",
    "under", "until", "up", "ve", "very", "was", "we", "were", "what", "when", "where", "which", "while",
    "who", "whom", "why", "will", "with", "would", "you", "your", "yours", "yourself", "yourselves"};

static int cmp_str(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

static bool is_stop(const char *tok, size_t len) {
    char w[32];
    if (len >= sizeof w) return false;
    memcpy(w, tok, len);
    w[len] = '\0';
    const char *key = w;
    return bsearch(&key, stop_words, sizeof stop_words / sizeof *stop_words, sizeof *stop_words, cmp_str) != NULL;
}

typedef struct {
    char **words;
    size_t n, cap;
    bool oom;
} word_list;

static void collect(const char *tok, size_t len, void *ud) {
    word_list *l = ud;
    for (size_t i = 0; i < l->n; i++)
        if (strlen(l->words[i]) == len && memcmp(l->words[i], tok, len) == 0) return; /* keep first */
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        char **nw = realloc(l->words, cap * sizeof *nw);
        if (!nw) { l->oom = true; return; }
        l->words = nw;
        l->cap = cap;
    }
    l->words[l->n] = strndup(tok, len);
    if (!l->words[l->n]) { l->oom = true; return; }
    l->n++;
}

#define QUERY_MAX_WORDS 64

size_t lexical_terms(const char *text, size_t len, char ***terms) {
    word_list all = {0};
    tokenize(text, len, TOKENIZE_COMPOUNDS, collect, &all);
    size_t content = 0;
    for (size_t i = 0; i < all.n; i++)
        if (!is_stop(all.words[i], strlen(all.words[i]))) content++;
    /* Keep the first QUERY_MAX_WORDS words worth asking for; free the rest. */
    size_t kept = 0;
    for (size_t i = 0; i < all.n; i++) {
        char *w = all.words[i];
        if ((content && is_stop(w, strlen(w))) || kept == QUERY_MAX_WORDS) free(w);
        else all.words[kept++] = w;
    }
    if (all.oom || kept == 0) {
        lexical_terms_free(all.words, kept);
        *terms = NULL;
        return 0;
    }
    *terms = all.words;
    return kept;
}

void lexical_terms_free(char **terms, size_t n) {
    for (size_t i = 0; i < n; i++) free(terms[i]);
    free(terms);
}

char *lexical_or(char *const *terms, size_t n) {
    sbuf b = {0};
    for (size_t i = 0; i < n; i++) {
        if (i) sbuf_add(&b, " OR ", 4);
        sbuf_add(&b, "\"", 1);
        for (const char *p = terms[i]; *p; p++) sbuf_add(&b, *p == '"' ? "\"\"" : p, *p == '"' ? 2 : 1);
        sbuf_add(&b, "\"", 1);
    }
    return sbuf_take(&b);
}

char *lexical_query(const char *text, size_t len) {
    char **terms;
    size_t n = lexical_terms(text, len, &terms);
    if (!n) return NULL;
    char *q = lexical_or(terms, n);
    lexical_terms_free(terms, n);
    return q;
}

char *lexical_project_token(const char *project) {
    size_t n = strlen(project);
    char *t = malloc(2 * n + 2);
    if (!t) return NULL;
    t[0] = 'p';
    for (size_t i = 0; i < n; i++) snprintf(t + 1 + 2 * i, 3, "%02x", (unsigned char)project[i]);
    t[1 + 2 * n] = '\0';
    return t;
}

void lexical_date_words(const char *iso, char *buf, size_t len) {
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    buf[0] = '\0';
    if (!iso || sscanf(iso, "%4d-%2d-%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday) != 3) return;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    tm.tm_hour = 12;
    time_t t = timegm(&tm); /* normalises and fills the weekday */
    struct tm out;
    gmtime_r(&t, &out);
    strftime(buf, len, "%Y-%m-%d %B %Y %A", &out);
}
