/* BERT's basic + WordPiece tokenizer (see bert_wordpiece.h).
 *
 * The text is read one white-space-separated chunk at a time, so a long text
 * costs only as much as the pieces the model will see: encoding stops once
 * max_ids is reached. Per chunk: NFC, then lower-casing and NFD in one
 * utf8proc pass, then nonspacing marks are dropped and punctuation split off
 * while the words are cut into pieces.
 *
 * Known differences from Python's str.lower(), which HuggingFace uses: the
 * lower-casing here is per code point, so a word-final capital sigma becomes
 * σ rather than ς, and U+0130 becomes plain i (the same once accents are
 * stripped, as they are for every uncased model). */
#include "bert_wordpiece.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

struct wordpiece {
    char *text;        /* vocab.txt, each line NUL-terminated in place */
    const char **tok;  /* id -> token */
    uint32_t *tok_len; /* id -> token length */
    int n;
    int32_t *slots; /* open addressing, -1 = empty */
    uint32_t mask;
    int32_t cls, sep, unk;
    wordpiece_options opt;
};

static uint64_t fnv1a(const char *s, size_t n) {
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) h = (h ^ (uint8_t)s[i]) * 1099511628211ull;
    return h;
}

int32_t wordpiece_id(const wordpiece *wp, const char *token, size_t len) {
    uint32_t slot = (uint32_t)fnv1a(token, len) & wp->mask;
    for (;; slot = (slot + 1) & wp->mask) {
        int32_t id = wp->slots[slot];
        if (id < 0) return -1;
        if (wp->tok_len[id] == len && memcmp(wp->tok[id], token, len) == 0) return id;
    }
}

/* A token listed twice keeps its last id, as a Python dict built from the
 * file would. */
static void insert(wordpiece *wp, int32_t id) {
    uint32_t slot = (uint32_t)fnv1a(wp->tok[id], wp->tok_len[id]) & wp->mask;
    for (;; slot = (slot + 1) & wp->mask) {
        int32_t cur = wp->slots[slot];
        uint32_t len = wp->tok_len[id];
        if (cur < 0 || (wp->tok_len[cur] == len && memcmp(wp->tok[cur], wp->tok[id], len) == 0)) {
            wp->slots[slot] = id;
            return;
        }
    }
}

void wordpiece_close(wordpiece *wp) {
    if (!wp) return;
    free(wp->text);
    free(wp->tok);
    free(wp->tok_len);
    free(wp->slots);
    free(wp);
}

int wordpiece_vocab_size(const wordpiece *wp) { return wp->n; }

static char *read_file(const char *path, size_t *len, lt_err *err) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        lt_err_set(err, errno == ENOENT ? LT_ERR_NOT_FOUND : LT_ERR_IO, "%s: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    while (buf) {
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap) break;
        char *bigger = realloc(buf, 2 * cap + 1);
        if (!bigger) { free(buf); buf = NULL; break; }
        buf = bigger;
        cap *= 2;
    }
    int failed = ferror(f);
    fclose(f);
    if (!buf) { lt_err_set(err, LT_ERR_INTERNAL, "out of memory"); return NULL; }
    if (failed) { free(buf); lt_err_set(err, LT_ERR_IO, "cannot read %s", path); return NULL; }
    buf[n] = '\0';
    *len = n;
    return buf;
}

wordpiece *wordpiece_open(const char *vocab_path, const wordpiece_options *opt, lt_err *err) {
    wordpiece *wp = calloc(1, sizeof *wp);
    if (!wp) { lt_err_set(err, LT_ERR_INTERNAL, "out of memory"); return NULL; }
    wp->opt = *opt;
    size_t len;
    wp->text = read_file(vocab_path, &len, err);
    if (!wp->text) { wordpiece_close(wp); return NULL; }
    size_t lines = 0;
    for (size_t i = 0; i < len; i++) lines += wp->text[i] == '\n';
    if (len > 0 && wp->text[len - 1] != '\n') lines++;
    if (lines == 0 || lines > (1u << 24)) {
        lt_err_set(err, LT_ERR_INVALID, "%s: %s", vocab_path, lines ? "implausibly many lines" : "the file is empty");
        wordpiece_close(wp);
        return NULL;
    }
    uint32_t slots = 2;
    while (slots < 2 * lines) slots <<= 1;
    wp->tok = malloc(lines * sizeof *wp->tok);
    wp->tok_len = malloc(lines * sizeof *wp->tok_len);
    wp->slots = malloc(slots * sizeof *wp->slots);
    if (!wp->tok || !wp->tok_len || !wp->slots) {
        lt_err_set(err, LT_ERR_INTERNAL, "out of memory");
        wordpiece_close(wp);
        return NULL;
    }
    memset(wp->slots, 0xff, slots * sizeof *wp->slots);
    wp->mask = slots - 1;
    for (char *p = wp->text, *end = wp->text + len; p < end;) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *stop = nl ? nl : end;
        size_t n = (size_t)(stop - p);
        if (n > 0 && p[n - 1] == '\r') n--; /* a vocabulary saved on Windows */
        p[n] = '\0';
        wp->tok[wp->n] = p;
        wp->tok_len[wp->n] = (uint32_t)n;
        insert(wp, wp->n);
        wp->n++;
        p = stop + 1;
    }
    assert((size_t)wp->n == lines);
    wp->cls = wordpiece_id(wp, "[CLS]", 5);
    wp->sep = wordpiece_id(wp, "[SEP]", 5);
    wp->unk = wordpiece_id(wp, "[UNK]", 5);
    const char *missing = wp->cls < 0 ? "[CLS]" : wp->sep < 0 ? "[SEP]" : wp->unk < 0 ? "[UNK]" : NULL;
    if (missing) {
        lt_err_set(err, LT_ERR_INVALID, "%s has no %s token: not a BERT WordPiece vocabulary", vocab_path, missing);
        wordpiece_close(wp);
        return NULL;
    }
    return wp;
}

/* ---- basic tokenizer: character classes, as BERT defines them ---- */

static bool is_space(utf8proc_int32_t cp) {
    if (cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r') return true;
    utf8proc_category_t c = utf8proc_category(cp);
    /* Zs is BERT's own rule; line and paragraph separators split words too,
     * through the str.split() that follows it. */
    return c == UTF8PROC_CATEGORY_ZS || c == UTF8PROC_CATEGORY_ZL || c == UTF8PROC_CATEGORY_ZP;
}

/* Every C* category (controls, format characters, unassigned, private use). */
static bool is_control(utf8proc_int32_t cp) {
    switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_CC:
    case UTF8PROC_CATEGORY_CF:
    case UTF8PROC_CATEGORY_CS:
    case UTF8PROC_CATEGORY_CO:
    case UTF8PROC_CATEGORY_CN: return true;
    default: return false;
    }
}

/* ASCII symbols such as $ + < ^ ` | ~ count as punctuation as well, which is
 * what BERT was trained with. */
static bool is_punct(utf8proc_int32_t cp) {
    if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126))
        return true;
    utf8proc_category_t c = utf8proc_category(cp);
    return c >= UTF8PROC_CATEGORY_PC && c <= UTF8PROC_CATEGORY_PO;
}

/* The CJK Unified Ideographs blocks (not Hangul, kana or other scripts,
 * which are written with spaces). */
static bool is_cjk(utf8proc_int32_t cp) {
    return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x20000 && cp <= 0x2A6DF) ||
           (cp >= 0x2A700 && cp <= 0x2B73F) || (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B820 && cp <= 0x2CEAF) ||
           (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}

static utf8proc_int32_t lower_cp(utf8proc_int32_t cp, void *ud) {
    (void)ud;
    return utf8proc_tolower(cp);
}

/* ---- encoding ---- */

typedef struct {
    const wordpiece *wp;
    int32_t *ids;
    int n, max; /* ids written; room for at most max - 1 before [SEP] */
    bool full;
    char *chunk; /* cleaned bytes of the current white-space-separated chunk */
    size_t chunk_len, chunk_cap;
    /* the current word: its bytes and code point offsets */
    char word[4 * WORDPIECE_MAX_WORD];
    int word_off[WORDPIECE_MAX_WORD + 1];
    int word_cps;
    bool word_long;
} enc;

static void push(enc *e, int32_t id) {
    if (e->n < e->max - 1) e->ids[e->n++] = id;
    else e->full = true;
}

/* Greedy longest-match-first; all or nothing per word. */
static void end_word(enc *e) {
    int n = e->word_cps;
    bool too_long = e->word_long;
    e->word_cps = 0;
    e->word_long = false;
    e->word_off[0] = 0;
    if (n == 0 && !too_long) return;
    if (too_long) { push(e, e->wp->unk); return; }
    int32_t pieces[WORDPIECE_MAX_WORD];
    int np = 0;
    char key[2 + sizeof e->word];
    key[0] = key[1] = '#';
    for (int start = 0; start < n;) {
        int off = e->word_off[start];
        memcpy(key + 2, e->word + off, (size_t)(e->word_off[n] - off));
        const char *k = start > 0 ? key : key + 2;
        size_t prefix = start > 0 ? 2 : 0;
        int32_t id = -1;
        int end = n;
        for (; end > start; end--) {
            id = wordpiece_id(e->wp, k, prefix + (size_t)(e->word_off[end] - off));
            if (id >= 0) break;
        }
        if (id < 0) { push(e, e->wp->unk); return; }
        assert(np < WORDPIECE_MAX_WORD);
        pieces[np++] = id;
        start = end;
    }
    for (int i = 0; i < np; i++) push(e, pieces[i]);
}

static void add_to_word(enc *e, utf8proc_int32_t cp) {
    if (e->word_long) return;
    if (e->word_cps == WORDPIECE_MAX_WORD) { e->word_long = true; return; }
    int at = e->word_off[e->word_cps];
    assert(at + 4 <= (int)sizeof e->word);
    at += (int)utf8proc_encode_char(cp, (utf8proc_uint8_t *)e->word + at);
    e->word_off[++e->word_cps] = at;
}

static int nomem(lt_err *err, utf8proc_ssize_t rc) {
    return lt_err_set(err, LT_ERR_INTERNAL, "cannot normalise text: %s", utf8proc_errmsg(rc));
}

/* Normalises the chunk, then splits it into words at punctuation. */
static int flush_chunk(enc *e, lt_err *err) {
    if (e->chunk_len == 0 || e->full) { e->chunk_len = 0; return 0; }
    utf8proc_uint8_t *nfc = NULL, *out = NULL;
    utf8proc_ssize_t n = utf8proc_map((const utf8proc_uint8_t *)e->chunk, (utf8proc_ssize_t)e->chunk_len, &nfc,
                                      UTF8PROC_STABLE | UTF8PROC_COMPOSE);
    e->chunk_len = 0;
    if (n < 0) return nomem(err, n);
    const wordpiece_options *o = &e->wp->opt;
    if (o->lower_case || o->strip_accents) {
        /* Lower-casing runs before the decomposition, as in BERT. */
        utf8proc_option_t opts = UTF8PROC_STABLE | (o->strip_accents ? UTF8PROC_DECOMPOSE : 0);
        utf8proc_ssize_t m = utf8proc_map_custom(nfc, n, &out, opts, o->lower_case ? lower_cp : NULL, NULL);
        free(nfc);
        if (m < 0) return nomem(err, m);
        n = m;
    } else {
        out = nfc;
    }
    for (utf8proc_ssize_t pos = 0; pos < n && !e->full;) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t step = utf8proc_iterate(out + pos, n - pos, &cp);
        assert(step > 0); /* utf8proc wrote it */
        pos += step;
        if (o->strip_accents && utf8proc_category(cp) == UTF8PROC_CATEGORY_MN) continue;
        if (is_punct(cp)) {
            end_word(e);
            add_to_word(e, cp);
            end_word(e);
        } else {
            add_to_word(e, cp);
        }
    }
    end_word(e);
    free(out);
    return 0;
}

static int add_to_chunk(enc *e, utf8proc_int32_t cp, lt_err *err) {
    if (e->chunk_cap - e->chunk_len < 4) {
        size_t cap = e->chunk_cap ? 2 * e->chunk_cap : 256;
        char *bigger = realloc(e->chunk, cap);
        if (!bigger) return lt_err_set(err, LT_ERR_INTERNAL, "out of memory");
        e->chunk = bigger;
        e->chunk_cap = cap;
    }
    e->chunk_len += (size_t)utf8proc_encode_char(cp, (utf8proc_uint8_t *)e->chunk + e->chunk_len);
    return 0;
}

int wordpiece_encode(const wordpiece *wp, const char *text, size_t len, int32_t *ids, int max_ids, lt_err *err) {
    assert(max_ids >= 2);
    enc *e = calloc(1, sizeof *e); /* ~1 KB of word buffers: keep it off small thread stacks */
    if (!e) return lt_err_set(err, LT_ERR_INTERNAL, "out of memory");
    e->wp = wp;
    e->ids = ids;
    e->max = max_ids;
    e->ids[e->n++] = wp->cls;
    const utf8proc_uint8_t *s = (const utf8proc_uint8_t *)text;
    int rc = 0;
    for (size_t pos = 0; pos < len && rc == 0 && !e->full;) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t step = utf8proc_iterate(s + pos, (utf8proc_ssize_t)(len - pos), &cp);
        if (step < 1) { pos++; continue; } /* invalid UTF-8: dropped */
        pos += (size_t)step;
        if (is_space(cp)) rc = flush_chunk(e, err);
        else if (cp == 0 || cp == 0xFFFD || is_control(cp)) continue;
        else if (wp->opt.chinese_chars && is_cjk(cp)) {
            rc = flush_chunk(e, err);
            if (!rc) rc = add_to_chunk(e, cp, err);
            if (!rc) rc = flush_chunk(e, err);
        } else rc = add_to_chunk(e, cp, err);
    }
    if (rc == 0) rc = flush_chunk(e, err);
    int n = e->n;
    assert(n <= max_ids - 1);
    ids[n++] = wp->sep;
    free(e->chunk);
    free(e);
    return rc ? -1 : n;
}
