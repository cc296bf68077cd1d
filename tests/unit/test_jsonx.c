/* Unit tests for core/jsonx: setters, getters, dump, parse errors, type names. */
#include "testutil.h"

static void test_setters_store_values_in_insertion_order(void **state) {
    (void)state;
    json_t *o = json_object();
    jx_set_bool(o, "success", true);
    jx_set_str(o, "s", "text");
    jx_set_str(o, "n", NULL);
    jx_set_int(o, "i", INT64_MAX);
    jx_set_real(o, "r", 2.5);
    jx_set_null(o, "z");
    assert_true(json_is_true(json_object_get(o, "success")));
    assert_string_equal(json_string_value(json_object_get(o, "s")), "text");
    assert_true(json_is_null(json_object_get(o, "n")));
    assert_true(json_is_integer(json_object_get(o, "i")));
    assert_true(json_integer_value(json_object_get(o, "i")) == INT64_MAX);
    assert_true(json_is_real(json_object_get(o, "r")));
    assert_true(json_real_value(json_object_get(o, "r")) == 2.5);
    assert_true(json_is_null(json_object_get(o, "z")));
    char *d = jx_dump(o);
    assert_string_equal(d, "{\"success\":true,\"s\":\"text\",\"n\":null,\"i\":9223372036854775807,\"r\":2.5,\"z\":null}");
    free(d);
    /* Setting again replaces, keeping one member. */
    jx_set_str(o, "s", "other");
    assert_int_equal(json_object_size(o), 6);
    assert_string_equal(jx_str(o, "s"), "other");
    json_decref(o);
}

static void test_setters_copy_strings(void **state) {
    (void)state;
    json_t *o = json_object();
    char buf[8] = "abc";
    jx_set_str(o, "k", buf);
    buf[0] = 'X';
    assert_string_equal(jx_str(o, "k"), "abc");
    json_decref(o);
}

static void test_getters_defaults(void **state) {
    (void)state;
    json_t *o = tu_parse("{\"s\":\"v\",\"i\":42,\"r\":4.0,\"b\":false,\"n\":null}");
    assert_string_equal(jx_str(o, "s"), "v");
    assert_null(jx_str(o, "i"));
    assert_null(jx_str(o, "missing"));
    assert_int_equal(jx_int(o, "i", -1), 42);
    assert_int_equal(jx_int(o, "r", -1), -1); /* a real is not an integer */
    assert_int_equal(jx_int(o, "s", 7), 7);
    assert_int_equal(jx_int(o, "missing", 9), 9);
    assert_false(jx_bool(o, "b", true));
    assert_true(jx_bool(o, "n", true));
    assert_true(jx_bool(o, "i", true));
    /* Getters tolerate a non-object (and NULL). */
    json_t *arr = json_array();
    assert_null(jx_str(arr, "s"));
    assert_int_equal(jx_int(NULL, "i", 3), 3);
    json_decref(arr);
    json_decref(o);
}

static void test_dump_is_one_line(void **state) {
    (void)state;
    json_t *o = json_object();
    jx_set_str(o, "text", "line1\nline2\r\n");
    json_object_set_new(o, "nested", json_pack("{s:[i,i]}", "a", 1, 2));
    char *d = jx_dump(o);
    assert_non_null(d);
    assert_null(strchr(d, '\n'));
    assert_null(strchr(d, '\r'));
    assert_contains(d, "line1\\nline2\\r\\n");
    char *p = jx_dump_pretty(o);
    assert_non_null(strchr(p, '\n'));
    assert_contains(p, "  \"text\"");
    free(d);
    free(p);
    json_decref(o);
}

static void test_dump_any_value_and_real_precision(void **state) {
    (void)state;
    json_t *v = json_integer(5);
    char *d = jx_dump(v);
    assert_string_equal(d, "5");
    free(d);
    json_decref(v);
    v = json_string("x");
    d = jx_dump(v);
    assert_string_equal(d, "\"x\"");
    free(d);
    json_decref(v);
    v = json_real(0.1);
    d = jx_dump(v);
    json_t *back = tu_parse(d);
    assert_true(json_real_value(back) == 0.1); /* round-trips exactly */
    free(d);
    json_decref(back);
    json_decref(v);
    /* Short decimals print as people write them, not as 0.34999999999999998. */
    v = json_real(0.35);
    d = jx_dump(v);
    assert_string_equal(d, "0.35");
    free(d);
    json_decref(v);
}

/* jx_dump writes its own text; it must be byte for byte what jansson's
 * json_dumps would write with the same flags, for every kind of value. */
static json_t *random_value(unsigned *seed, int depth) {
    int kind = (int)(rand_r(seed) % (depth > 3 ? 6 : 8));
    switch (kind) {
    case 0: return json_null();
    case 1: return json_boolean(rand_r(seed) & 1);
    case 2: return json_integer((json_int_t)rand_r(seed) * (rand_r(seed) & 1 ? -1 : 1) * (rand_r(seed) % 3 ? 1 : 1000003));
    case 3: {
        static const double special[] = {0.0, -0.0, 1.0, -1.5, 0.1, 1e20, 1e-5, 1.25e-300, 6.02214076e23, 123456789012345.0,
                                         1234567890123456789.0, 3.14159265358979, 1e15, 1e16, 0.000123,
                                         0.7042, 12.5, -3.25, 1e-4, 9.9999e-5, 123456.789012, 999999999.5, 1e9,
                                         0.1234, 99.99, 3.0, -0.0001, 0.30000000000000004, 1.0000005};
        /* Decimals with few places take jx_dump's printf-free path; the rest printf's. */
        static const double scales[] = {1.0, 10.0, 1e4, 1e6, 1e7};
        switch (rand_r(seed) % 3) {
        case 0: return json_real(special[rand_r(seed) % (sizeof special / sizeof *special)]);
        case 1:
            return json_real((double)((int)(rand_r(seed) % 2000001) - 1000000) / scales[rand_r(seed) % 5] *
                             (rand_r(seed) % 4 ? 1 : 1000));
        default: return json_real(((double)rand_r(seed) - RAND_MAX / 2) / ((double)(rand_r(seed) % 1000) + 0.7));
        }
    }
    case 4:
    case 5: {
        char s[64];
        size_t n = rand_r(seed) % sizeof s;
        for (size_t i = 0; i < n; i++) {
            static const char pool[] = "ab \"\\/\b\f\n\r\t\x01\x1f\x7f\xc3\xa9\xe2\x82\xac{}[]:,0";
            s[i] = pool[rand_r(seed) % (sizeof pool - 1)];
        }
        /* The pool's multi-byte characters may be cut: repair, as callers do. */
        char z[sizeof s + 1];
        memcpy(z, s, n), z[n] = '\0';
        jx_utf8_repair(z);
        return json_string(z);
    }
    case 6: {
        json_t *a = json_array();
        int n = (int)(rand_r(seed) % 5);
        for (int i = 0; i < n; i++) json_array_append_new(a, random_value(seed, depth + 1));
        return a;
    }
    default: {
        json_t *o = json_object();
        int n = (int)(rand_r(seed) % 5);
        for (int i = 0; i < n; i++) {
            char k[16];
            snprintf(k, sizeof k, "%c\"k%d", 'z' - i, (int)(rand_r(seed) % 100));
            json_object_set_new(o, k, random_value(seed, depth + 1));
        }
        return o;
    }
    }
}

static void test_dump_matches_jansson(void **state) {
    (void)state;
    unsigned seed = 12345;
    for (int i = 0; i < 3000; i++) {
        json_t *v = random_value(&seed, 0);
        char *ours = jx_dump(v), *theirs = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(15));
        assert_non_null(ours);
        assert_non_null(theirs);
        assert_string_equal(ours, theirs);
        free(ours), free(theirs);
        json_decref(v);
    }
    /* A string with an embedded NUL (JSON_ALLOW_NUL input) keeps it escaped. */
    json_t *nul = json_stringn("a\0b", 3);
    char *d = jx_dump(nul);
    assert_string_equal(d, "\"a\\u0000b\"");
    free(d);
    json_decref(nul);
    assert_null(jx_dump(NULL));
}

static void test_parse_values_of_any_type(void **state) {
    (void)state;
    char why[128];
    const char *texts[] = {"5", "\"s\"", "null", "true", "[1]", "{}", "1.5", " \n {\"a\" : 1} \n"};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        json_t *v = jx_parse(texts[i], strlen(texts[i]), why, sizeof why);
        if (!v) fail_msg("%s: %s", texts[i], why);
        json_decref(v);
    }
    /* Only len bytes are read: the rest of the buffer is ignored. */
    const char *buf = "{\"a\":1}GARBAGE";
    json_t *v = jx_parse(buf, 7, why, sizeof why);
    assert_non_null(v);
    json_decref(v);
    /* NUL inside a string is accepted and kept. */
    const char *nul = "\"a\\u0000b\"";
    v = jx_parse(nul, strlen(nul), why, sizeof why);
    assert_non_null(v);
    assert_int_equal(json_string_length(v), 3);
    json_decref(v);
}

static void test_parse_errors_name_line_and_column(void **state) {
    (void)state;
    char why[256];
    const char *bad = "{\n  \"a\": 1,\n  \"b\": }";
    assert_null(jx_parse(bad, strlen(bad), why, sizeof why));
    assert_contains(why, "line 3");
    assert_contains(why, "column");
    const char *trailing = "{} x";
    assert_null(jx_parse(trailing, strlen(trailing), why, sizeof why));
    assert_contains(why, "line 1");
    assert_null(jx_parse("", 0, why, sizeof why));
    assert_true(why[0] != '\0');
    assert_null(jx_parse("{\"a\":", 5, why, sizeof why));
    assert_contains(why, "line 1");
    /* A tiny why buffer is still terminated; NULL why is allowed. */
    char tiny[8];
    memset(tiny, 'x', sizeof tiny);
    assert_null(jx_parse("{", 1, tiny, sizeof tiny));
    assert_true(memchr(tiny, '\0', sizeof tiny) != NULL);
    assert_null(jx_parse("{", 1, NULL, 0));
}

static void test_type_names(void **state) {
    (void)state;
    struct {
        const char *text, *name;
    } cases[] = {{"\"s\"", "string"}, {"1", "integer"}, {"1.0", "number"}, {"true", "boolean"},
                 {"false", "boolean"}, {"{}", "object"},  {"[]", "array"},   {"null", "null"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *v = tu_parse(cases[i].text);
        assert_string_equal(jx_type_name(v), cases[i].name);
        json_decref(v);
    }
}

static void test_depth(void **state) {
    (void)state;
    json_t *v = json_integer(1);
    assert_int_equal(jx_depth(v, 10), 0);
    json_decref(v);
    v = json_loads("{\"a\":[1,{\"b\":[]}],\"c\":{}}", 0, NULL);
    assert_int_equal(jx_depth(v, 10), 4);
    /* Counting stops just past the limit. */
    assert_int_equal(jx_depth(v, 1), 3);
    json_decref(v);
}

static void test_utf8_repair(void **state) {
    (void)state;
    struct {
        const char *in, *out;
    } cases[] = {
        {"plain ascii", "plain ascii"},
        {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"},
        {"cut \xc3", "cut ?"},                   /* a character cut at the end */
        {"cut \xe2\x82", "cut ??"},
        {"a\x80" "b", "a?b"},                   /* stray continuation byte */
        {"\xc0\x80", "??"},                      /* overlong NUL */
        {"\xe0\x80\x80", "???"},                 /* overlong */
        {"\xed\xa0\x80", "???"},                 /* UTF-16 surrogate */
        {"\xf4\x90\x80\x80", "????"},            /* beyond U+10FFFF */
        {"\xff\xfe", "??"},
        {"\xc3\xa9\xc3", "\xc3\xa9?"},
        {"", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[64];
        snprintf(buf, sizeof buf, "%s", cases[i].in);
        jx_utf8_repair(buf);
        assert_string_equal(buf, cases[i].out);
        json_t *v = json_string(buf);
        if (!v) fail_msg("case %zu still not valid UTF-8", i);
        json_decref(v);
    }
}

/* jx_text writes what jx_dump writes for the same jansson values, and a
 * jx_raw value is dumped as the JSON it holds, compact and pretty; a string
 * that merely starts with a NUL is not taken for one. */
static void test_text_and_raw(void **state) {
    (void)state;
    static const char *const strs[] = {"plain", "q\"uote\\ \t\n\x01 /", "na\xc3\xafve \xf0\x9f\x98\x80", "", "bad \xff\xc3 end"};
    jx_text t = {0};
    json_t *ref = json_array();
    JX_TEXT_LIT(&t, "[");
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++) {
        if (i) JX_TEXT_LIT(&t, ",");
        jx_text_str(&t, strs[i]);
        char *fixed = strdup(strs[i]);
        jx_utf8_repair(fixed);
        json_array_append_new(ref, json_string(fixed));
        free(fixed);
    }
    int64_t ints[] = {0, -1, 42, INT64_MAX, INT64_MIN};
    for (size_t i = 0; i < 5; i++) {
        JX_TEXT_LIT(&t, ",");
        jx_text_int(&t, ints[i]);
        json_array_append_new(ref, json_integer(ints[i]));
    }
    JX_TEXT_LIT(&t, ",");
    jx_text_bool(&t, true);
    JX_TEXT_LIT(&t, ",");
    jx_text_bool(&t, false);
    JX_TEXT_LIT(&t, ",");
    jx_text_str(&t, NULL);
    JX_TEXT_LIT(&t, "]");
    json_array_append_new(ref, json_true());
    json_array_append_new(ref, json_false());
    json_array_append_new(ref, json_null());

    json_t *obj = json_object(), *want = json_object();
    jx_set_int(obj, "a", 1);
    jx_set_int(want, "a", 1);
    json_t *raw = jx_raw(&t);
    assert_non_null(raw);
    assert_null(t.s);
    json_object_set_new(obj, "list", raw);
    json_object_set(want, "list", ref);
    jx_set_str(obj, "z", "end");
    jx_set_str(want, "z", "end");
    char *got = jx_dump(obj), *exp = jx_dump(want);
    assert_string_equal(got, exp);
    free(got), free(exp);
    got = jx_dump_pretty(obj), exp = jx_dump_pretty(want);
    assert_string_equal(got, exp);
    free(got), free(exp);

    /* a reader sees the parsed value after jx_expand_raw */
    assert_true(json_is_string(json_object_get(obj, "list")));
    assert_true(jx_expand_raw(obj));
    assert_true(json_equal(obj, want));

    /* a NUL-led string from input is an ordinary string */
    json_t *nul = json_stringn("\0AAAAAAAAAAAAAAAA[1]", 20);
    got = jx_dump(nul);
    assert_string_equal(got, "\"\\u0000AAAAAAAAAAAAAAAA[1]\"");
    free(got);
    json_decref(nul);
    json_decref(obj), json_decref(want), json_decref(ref);
}

static void test_frozen_keeps_text_and_escaped_text(void **state) {
    (void)state;
    json_t *v = json_pack("{s:b, s:s, s:[i, f]}", "success", 1, "text", "line\n\"quoted\" \x01 caf\xc3\xa9", "n", 7, 0.5);
    char *expect = jx_dump(v);
    jx_frozen *f = jx_freeze(v);
    assert_non_null(f);
    size_t len, elen;
    assert_string_equal(jx_frozen_text(f, &len), expect);
    assert_int_equal(len, strlen(expect));
    /* The escaped form is what the text becomes as a JSON string's inside. */
    json_t *wrapped = json_string(expect);
    char *w = jx_dump(wrapped);
    const char *esc = jx_frozen_escaped(f, &elen);
    assert_int_equal(elen, strlen(w) - 2);
    assert_memory_equal(esc, w + 1, elen);
    assert_true(jx_frozen_value(f) == v);
    jx_frozen *g = jx_frozen_retain(f);
    jx_frozen_release(f);
    assert_string_equal(jx_frozen_text(g, NULL), expect); /* still alive with one reference */
    jx_frozen_release(g);
    jx_frozen_release(NULL);
    json_decref(wrapped);
    free(w);
    free(expect);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_setters_store_values_in_insertion_order),
        cmocka_unit_test(test_setters_copy_strings),
        cmocka_unit_test(test_getters_defaults),
        cmocka_unit_test(test_frozen_keeps_text_and_escaped_text),
        cmocka_unit_test(test_dump_is_one_line),
        cmocka_unit_test(test_dump_any_value_and_real_precision),
        cmocka_unit_test(test_dump_matches_jansson),
        cmocka_unit_test(test_parse_values_of_any_type),
        cmocka_unit_test(test_parse_errors_name_line_and_column),
        cmocka_unit_test(test_type_names),
        cmocka_unit_test(test_utf8_repair),
        cmocka_unit_test(test_depth),
        cmocka_unit_test(test_text_and_raw),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
