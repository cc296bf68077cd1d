#include "jsonx.h"

#include <stdio.h>

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

char *jx_dump(const json_t *val) {
    return json_dumps(val, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(15));
}

char *jx_dump_pretty(const json_t *val) {
    return json_dumps(val, JSON_INDENT(2) | JSON_ENCODE_ANY | JSON_REAL_PRECISION(15));
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
