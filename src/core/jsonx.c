#include "jsonx.h"

#include <assert.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/random.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>

void jx_set_str(json_t *obj, const char *key, const char *val) {
    json_object_set_new(obj, key, val ? json_string(val) : json_null());
}
void jx_set_int(json_t *obj, const char *key, int64_t val) {
    json_object_set_new(obj, key, json_integer((json_int_t)val));
}
void jx_set_real(json_t *obj, const char *key, double val) {
    json_object_set_new(obj, key, json_real(val));
}
void jx_set_bool(json_t *obj, const char *key, bool val) {
    json_object_set_new(obj, key, json_boolean(val));
}
void jx_set_null(json_t *obj, const char *key) { json_object_set_new(obj, key, json_null()); }

const char *jx_str(const json_t *obj, const char *key) {
    json_t *v = json_object_get(obj, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

int64_t jx_int(const json_t *obj, const char *key, int64_t def) {
    json_t *v = json_object_get(obj, key);
    return json_is_integer(v) ? (int64_t)json_integer_value(v) : def;
}

double jx_real(const json_t *obj, const char *key) { return json_number_value(json_object_get(obj, key)); }

bool jx_bool(const json_t *obj, const char *key, bool def) {
    json_t *v = json_object_get(obj, key);
    return json_is_boolean(v) ? json_is_true(v) : def;
}

/* ---- compact serialisation ----
 *
 * jansson's json_dumps walks strings a character at a time through a
 * callback, and every reply is serialised (a tools/call result twice, once
 * as text and once as structuredContent), so it was most of the cost of a
 * cached call. This writer produces the same text as json_dumps with
 * JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(15) (keys in
 * insertion order, '/' and non-ASCII unescaped, reals as %.15g with ".0"
 * added to integral values and no '+' or leading zeros in exponents), at
 * the cost of a memcpy for runs of plain bytes. Strings are valid UTF-8
 * (jansson checks them on creation) and are copied as they are. */

/* The text is built in an sbuf (sbuf.h): db_put appends, and writers that
 * know an upper bound reserve it and write in place. */
typedef sbuf dump_buf;

static bool db_put(dump_buf *b, const char *s, size_t n) {
    sbuf_add(b, s, n);
    return !b->oom;
}

/* 0: copy as is; otherwise the character after the backslash ('u' for \u00XX). */
static const char escape_of[256] = {
    ['\b'] = 'b', ['\t'] = 't', ['\n'] = 'n', ['\f'] = 'f', ['\r'] = 'r', ['"'] = '"', ['\\'] = '\\',
    [0] = 'u', [1] = 'u', [2] = 'u', [3] = 'u', [4] = 'u', [5] = 'u', [6] = 'u', [7] = 'u', [11] = 'u',
    [14] = 'u', [15] = 'u', [16] = 'u', [17] = 'u', [18] = 'u', [19] = 'u', [20] = 'u', [21] = 'u', [22] = 'u',
    [23] = 'u', [24] = 'u', [25] = 'u', [26] = 'u', [27] = 'u', [28] = 'u', [29] = 'u', [30] = 'u', [31] = 'u',
};

size_t jx_escaped_len(const char *s, size_t len) {
    size_t n = len;
    for (size_t i = 0; i < len; i++) {
        char e = escape_of[(unsigned char)s[i]];
        if (e) n += e == 'u' ? 5 : 1;
    }
    return n;
}

char *jx_put_escaped(char *o, const char *s, size_t len) {
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        char e = escape_of[c];
        if (!e) { *o++ = (char)c; continue; }
        *o++ = '\\';
        *o++ = e;
        if (e == 'u') {
            static const char hex[] = "0123456789ABCDEF";
            *o++ = '0', *o++ = '0', *o++ = hex[c >> 4], *o++ = hex[c & 15];
        }
    }
    return o;
}

/* jx_raw values: a string of RAW_MARK bytes (a NUL, then RAW_SECRET random
 * letters drawn once per process) followed by the JSON text. Requests are
 * parsed without NULs in strings, and no input sees the secret, so nothing
 * else can look like one. */
#define RAW_SECRET 16
#define RAW_MARK (1 + RAW_SECRET)
static char raw_secret[RAW_SECRET];
static pthread_once_t raw_once = PTHREAD_ONCE_INIT;

static void raw_init(void) {
    static const char alnum[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    unsigned char r[RAW_SECRET];
    if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r) { /* no entropy source: still unknown to clients */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        uint64_t x = (uint64_t)ts.tv_nsec * 0x9E3779B97F4A7C15u ^ (uint64_t)(uintptr_t)&ts ^ (uint64_t)ts.tv_sec;
        for (size_t i = 0; i < sizeof r; i++) x = x * 6364136223846793005u + 1442695040888963407u, r[i] = (unsigned char)(x >> 56);
    }
    for (size_t i = 0; i < RAW_SECRET; i++) raw_secret[i] = alnum[r[i] % (sizeof alnum - 1)];
}

static bool is_raw(const char *s, size_t n) {
    if (n < RAW_MARK || s[0] != '\0') return false;
    pthread_once(&raw_once, raw_init);
    return memcmp(s + 1, raw_secret, RAW_SECRET) == 0;
}

static bool db_string(dump_buf *b, const char *s, size_t n) {
    if (is_raw(s, n)) return db_put(b, s + RAW_MARK, n - RAW_MARK);
    /* Worst case every byte becomes \u00XX. */
    if (!sbuf_reserve(b, n * 6 + 2)) return false;
    char *o = b->s + b->len;
    *o++ = '"';
    o = jx_put_escaped(o, s, n);
    *o++ = '"';
    b->len = (size_t)(o - b->s);
    return true;
}

/* The common case without printf: v is the double nearest to a decimal with
 * at most 6 places, 1e-4 <= |v| < 1e9 (scores, milliseconds, sizes). Such a
 * decimal has at most 15 significant digits and v lies within half an ulp
 * of it, far inside %.15g's rounding step, so %.15g prints exactly that
 * decimal, in fixed notation (its exponent is between -4 and 8), with
 * trailing zeros dropped; the caller adds ".0" to integral values. Returns
 * the length written to tmp, or 0 when v is not such a value. */
static int real_fixed6(double v, char tmp[32]) {
    double a = v < 0 ? -v : v;
    if (!(a >= 1e-4 && a < 1e9)) return 0;
    /* The division is correctly rounded, so equality means a is the double
     * nearest to units / 10^6. */
    int64_t units = llround(a * 1e6);
    if ((double)units / 1e6 != a) return 0;
    char digits[24];
    int nd = 0;
    for (int64_t u = units; u > 0; u /= 10) digits[nd++] = (char)('0' + u % 10);
    while (nd < 7) digits[nd++] = '0'; /* at least one digit before the point */
    int frac_end = 0;                  /* trailing zeros of the 6 places are dropped */
    while (frac_end < 6 && digits[frac_end] == '0') frac_end++;
    int n = 0;
    if (v < 0) tmp[n++] = '-';
    for (int i = nd - 1; i >= 6; i--) tmp[n++] = digits[i];
    if (frac_end < 6) {
        tmp[n++] = '.';
        for (int i = 5; i >= frac_end; i--) tmp[n++] = digits[i];
    }
    tmp[n] = '\0';
    return n;
}

static bool db_real(dump_buf *b, double v) {
    char tmp[64];
    int n = real_fixed6(v, tmp);
    if (n > 0) {
        if (!strchr(tmp, '.')) memcpy(tmp + n, ".0", 3), n += 2;
        return db_put(b, tmp, (size_t)n);
    }
    n = snprintf(tmp, sizeof tmp, "%.15g", v);
    if (n <= 0 || n >= (int)sizeof tmp - 3) return false;
    if (!strpbrk(tmp, ".eEn")) memcpy(tmp + n, ".0", 3), n += 2; /* 'n': inf/nan never reach here */
    char *e = strchr(tmp, 'e');
    if (e) { /* "1e+20" -> "1e20", "1e-05" -> "1e-5" */
        char *d = e + 1, *src = d;
        if (*src == '+') src++;
        else if (*src == '-') d++, src++;
        while (*src == '0' && src[1]) src++;
        memmove(d, src, strlen(src) + 1);
        n = (int)strlen(tmp);
    }
    return db_put(b, tmp, (size_t)n);
}

static bool db_value(dump_buf *b, const json_t *v) {
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        if (!db_put(b, "{", 1)) return false;
        bool first = true;
        for (void *it = json_object_iter((json_t *)v); it; it = json_object_iter_next((json_t *)v, it)) {
            if (!first && !db_put(b, ",", 1)) return false;
            first = false;
            const char *k = json_object_iter_key(it);
            if (!db_string(b, k, strlen(k)) || !db_put(b, ":", 1) || !db_value(b, json_object_iter_value(it)))
                return false;
        }
        return db_put(b, "}", 1);
    }
    case JSON_ARRAY: {
        if (!db_put(b, "[", 1)) return false;
        size_t n = json_array_size(v);
        for (size_t i = 0; i < n; i++)
            if ((i && !db_put(b, ",", 1)) || !db_value(b, json_array_get(v, i))) return false;
        return db_put(b, "]", 1);
    }
    case JSON_STRING: return db_string(b, json_string_value(v), json_string_length(v));
    case JSON_INTEGER: {
        char tmp[32];
        int n = snprintf(tmp, sizeof tmp, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return db_put(b, tmp, (size_t)n);
    }
    case JSON_REAL: return db_real(b, json_real_value(v));
    case JSON_TRUE: return db_put(b, "true", 4);
    case JSON_FALSE: return db_put(b, "false", 5);
    case JSON_NULL: return db_put(b, "null", 4);
    }
    return false;
}

char *jx_dump(const json_t *val) {
    if (!val) return NULL;
    dump_buf b = {0};
    if (!db_value(&b, val)) {
        sbuf_free(&b);
        return NULL;
    }
    b.s[b.len] = '\0'; /* in-place writers leave it out */
    return sbuf_take(&b);
}

struct jx_frozen {
    atomic_long refs;
    json_t *value;
    char *text, *escaped;
    size_t text_len, escaped_len;
};

jx_frozen *jx_freeze(json_t *value) {
    jx_frozen *f = calloc(1, sizeof *f);
    char *text = value ? jx_dump(value) : NULL;
    if (!f || !text) goto fail;
    f->text = text;
    f->text_len = strlen(text);
    f->escaped_len = jx_escaped_len(text, f->text_len);
    f->escaped = malloc(f->escaped_len + 1);
    if (!f->escaped) goto fail;
    *jx_put_escaped(f->escaped, text, f->text_len) = '\0';
    f->value = value;
    atomic_init(&f->refs, 1);
    return f;
fail:
    if (f) free(f->escaped);
    free(f);
    free(text);
    json_decref(value);
    return NULL;
}

jx_frozen *jx_frozen_retain(jx_frozen *f) {
    long before = atomic_fetch_add(&f->refs, 1);
    assert(before > 0);
    (void)before;
    return f;
}

void jx_frozen_release(jx_frozen *f) {
    if (!f || atomic_fetch_sub(&f->refs, 1) != 1) return;
    json_decref(f->value);
    free(f->text);
    free(f->escaped);
    free(f);
}

json_t *jx_frozen_value(const jx_frozen *f) { return f->value; }

const char *jx_frozen_text(const jx_frozen *f, size_t *len) {
    if (len) *len = f->text_len;
    return f->text;
}

const char *jx_frozen_escaped(const jx_frozen *f, size_t *len) {
    if (len) *len = f->escaped_len;
    return f->escaped;
}

static bool has_raw(const json_t *v) {
    if (json_is_string(v)) return is_raw(json_string_value(v), json_string_length(v));
    const char *k;
    size_t i;
    json_t *x;
    if (json_is_object(v)) {
        json_object_foreach((json_t *)v, k, x) if (has_raw(x)) return true;
    } else if (json_is_array(v)) {
        json_array_foreach(v, i, x) if (has_raw(x)) return true;
    }
    return false;
}

char *jx_dump_pretty(const json_t *val) {
    if (!has_raw(val)) return json_dumps(val, JSON_INDENT(2) | JSON_ENCODE_ANY | JSON_REAL_PRECISION(15));
    json_t *copy = json_deep_copy(val);
    char *out = copy && jx_expand_raw(copy) ? json_dumps(copy, JSON_INDENT(2) | JSON_ENCODE_ANY | JSON_REAL_PRECISION(15))
                                            : NULL;
    json_decref(copy);
    return out;
}

/* ---- JSON text written directly ---- */

void jx_text_put(jx_text *t, const char *s, size_t n) { sbuf_add(t, s, n); }

void jx_text_str(jx_text *t, const char *s) {
    if (!s) {
        JX_TEXT_LIT(t, "null");
        return;
    }
    size_t n = strlen(s);
    /* jansson holds only valid UTF-8; check as json_string would, and write
     * what it would have refused with '?' like jx_utf8_repair */
    bool ascii = true;
    for (size_t i = 0; i < n && ascii; i++) ascii = (unsigned char)s[i] < 0x80;
    char *fixed = NULL;
    if (!ascii) {
        fixed = malloc(n + 1);
        if (!fixed) {
            t->oom = true;
            return;
        }
        memcpy(fixed, s, n + 1);
        jx_utf8_repair(fixed);
        s = fixed;
    }
    if (sbuf_reserve(t, 2 + jx_escaped_len(s, n))) {
        char *o = t->s + t->len;
        *o++ = '"';
        o = jx_put_escaped(o, s, n);
        *o++ = '"';
        t->len = (size_t)(o - t->s);
        *o = '\0';
    }
    free(fixed);
}

void jx_text_int(jx_text *t, int64_t v) {
    char tmp[24], *p = tmp + sizeof tmp;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do *--p = (char)('0' + u % 10), u /= 10;
    while (u);
    if (v < 0) *--p = '-';
    jx_text_put(t, p, (size_t)(tmp + sizeof tmp - p));
}

void jx_text_bool(jx_text *t, bool v) {
    if (v) JX_TEXT_LIT(t, "true");
    else JX_TEXT_LIT(t, "false");
}

json_t *jx_raw(jx_text *t) {
    json_t *v = NULL;
    if (!t->oom) {
        pthread_once(&raw_once, raw_init);
        char *s = malloc(RAW_MARK + t->len + 1);
        if (s) {
            s[0] = '\0';
            memcpy(s + 1, raw_secret, RAW_SECRET);
            memcpy(s + RAW_MARK, t->s, t->len);
            v = json_stringn_nocheck(s, RAW_MARK + t->len); /* the text is valid UTF-8 by construction */
            free(s);
        }
    }
    sbuf_free(t);
    return v;
}

/* What a member x of a container becomes: the value a raw string stands for
 * (the caller puts it in x's place), or NULL with x's own members expanded
 * in place. *ok turns false when a raw text does not parse or a nested
 * expansion fails. */
static json_t *expand_member(json_t *x, bool *ok) {
    if (json_is_string(x) && is_raw(json_string_value(x), json_string_length(x))) {
        json_t *p = json_loadb(json_string_value(x) + RAW_MARK, json_string_length(x) - RAW_MARK, JSON_DECODE_ANY, NULL);
        if (!p) *ok = false;
        return p;
    }
    if (!jx_expand_raw(x)) *ok = false;
    return NULL;
}

bool jx_expand_raw(json_t *val) {
    const char *k;
    size_t i;
    json_t *x, *p;
    bool ok = true;
    if (json_is_object(val)) {
        json_object_foreach(val, k, x)
            if ((p = expand_member(x, &ok)) && json_object_set_new(val, k, p) != 0) ok = false;
    } else if (json_is_array(val)) {
        json_array_foreach(val, i, x)
            if ((p = expand_member(x, &ok)) && json_array_set_new(val, i, p) != 0) ok = false;
    }
    return ok;
}

json_t *jx_parse(const char *buf, size_t len, char *why, size_t why_len) {
    json_error_t e;
    json_t *v = json_loadb(buf, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
    if (!v && why && why_len)
        snprintf(why, why_len, "%s (line %d, column %d)", e.text, e.line, e.column);
    return v;
}

void jx_utf8_repair(char *s) {
    unsigned char *p = (unsigned char *)s;
    while (*p) {
        size_t n = p[0] < 0x80 ? 1 : (p[0] & 0xE0) == 0xC0 ? 2 : (p[0] & 0xF0) == 0xE0 ? 3 : (p[0] & 0xF8) == 0xF0 ? 4 : 0;
        bool ok = n > 0;
        for (size_t i = 1; ok && i < n; i++) ok = (p[i] & 0xC0) == 0x80; /* stops at the NUL */
        if (ok && n > 1) {
            uint32_t cp = p[0] & (0x7F >> n);
            for (size_t i = 1; i < n; i++) cp = (cp << 6) | (p[i] & 0x3F);
            static const uint32_t least[] = {0, 0, 0x80, 0x800, 0x10000};
            ok = cp >= least[n] && cp <= 0x10FFFF && (cp < 0xD800 || cp > 0xDFFF);
        }
        if (!ok) {
            *p++ = '?';
            continue;
        }
        p += n;
    }
}

int jx_depth(const json_t *val, int limit) {
    if (!json_is_object(val) && !json_is_array(val)) return 0;
    if (limit < 0) return 1;
    int deepest = 0;
    if (json_is_object(val)) {
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)val, k, v) {
            int d = jx_depth(v, limit - 1);
            if (d > deepest) deepest = d;
            if (deepest > limit) break;
        }
    } else {
        size_t i;
        json_t *v;
        json_array_foreach(val, i, v) {
            int d = jx_depth(v, limit - 1);
            if (d > deepest) deepest = d;
            if (deepest > limit) break;
        }
    }
    return deepest + 1;
}

const char *jx_type_name(const json_t *val) {
    switch (json_typeof(val)) {
    case JSON_OBJECT: return "object";
    case JSON_ARRAY: return "array";
    case JSON_STRING: return "string";
    case JSON_INTEGER: return "integer";
    case JSON_REAL: return "number";
    case JSON_TRUE:
    case JSON_FALSE: return "boolean";
    case JSON_NULL: return "null";
    }
    return "unknown";
}
