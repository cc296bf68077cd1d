/* Unit tests for embed/tokenize: folding, normalisation, identifier splits,
 * clitics, digits, invalid UTF-8 and length limits. */
#include "testutil.h"

#include "embed/tokenize.h"

/* Tokens joined by '|' into a fixed buffer, plus how often emit ran. */
typedef struct {
    char buf[4096];
    size_t len;
    size_t calls;
    size_t max_seen;
} collected;

static void on_tok(const char *tok, size_t len, void *ud) {
    collected *c = ud;
    assert_true(len > 0);
    assert_true(len <= TOKEN_MAX_BYTES);
    if (len > c->max_seen) c->max_seen = len;
    assert_true(c->len + len + 2 < sizeof c->buf);
    if (c->calls++) c->buf[c->len++] = '|';
    memcpy(c->buf + c->len, tok, len);
    c->len += len;
    c->buf[c->len] = '\0';
}

/* Tokenizes text (strlen) and returns the joined tokens (static). */
static const char *toks_n(const char *text, size_t len, int flags) {
    static collected c;
    memset(&c, 0, sizeof c);
    size_t n = tokenize(text, len, flags, on_tok, &c);
    assert_int_equal(n, c.calls); /* the return value counts what was emitted */
    return c.buf;
}

static const char *toks(const char *text) { return toks_n(text, strlen(text), 0); }
static const char *ctoks(const char *text) { return toks_n(text, strlen(text), TOKENIZE_COMPOUNDS); }

static void test_case_folding(void **state) {
    (void)state;
    assert_string_equal(toks("Hello WORLD hello"), "hello|world|hello");
    assert_string_equal(toks("ÉCOLE Über"), "école|über");
    /* Full case folding, not just lower-casing: ß folds to ss. */
    assert_string_equal(toks("Straße STRASSE"), "strasse|strasse");
    assert_string_equal(toks("ΣΟΦΊΑ"), "σοφ\xce\xaf" "α");
    /* Final sigma folds to σ. */
    assert_string_equal(toks("λόγος"), "λόγοσ");
}

static void test_nfkc(void **state) {
    (void)state;
    /* Compatibility forms: the fi ligature, full-width letters and digits. */
    assert_string_equal(toks("\xef\xac\x81le"), "file");                       /* U+FB01 "ﬁ" + "le" */
    assert_string_equal(toks("\xef\xbc\xa1\xef\xbc\xa2\xef\xbc\xa3"), "abc");  /* ＡＢＣ */
    assert_string_equal(toks("\xef\xbc\x91\xef\xbc\x92"), "12");               /* １２ */
    /* A base letter and a combining accent compose into one character, and
     * the mark does not split the word. */
    assert_string_equal(toks("cafe\xcc\x81 bar"), "caf\xc3\xa9|bar");
    assert_string_equal(toks("cafe\xcc\x81"), toks("caf\xc3\xa9"));
}

static void test_camel_case(void **state) {
    (void)state;
    assert_string_equal(toks("camelCase"), "camel|case");
    assert_string_equal(toks("getUserName"), "get|user|name");
    assert_string_equal(toks("iPhone"), "i|phone");
    /* A run of capitals ends before the capital that starts a lower-case part. */
    assert_string_equal(toks("HTTPServer"), "http|server");
    assert_string_equal(toks("IOError"), "io|error");
    assert_string_equal(toks("parseHTTPResponse"), "parse|http|response");
    assert_string_equal(toks("ABCdef"), "ab|cdef");
    /* All capitals or capitalised words stay whole. */
    assert_string_equal(toks("HTTPS Server"), "https|server");
    assert_string_equal(toks("XMLHttpRequest"), "xml|http|request");
}

static void test_snake_dotted_paths(void **state) {
    (void)state;
    assert_string_equal(toks("snake_case_name"), "snake|case|name");
    assert_string_equal(toks("os.path.join"), "os|path|join");
    assert_string_equal(toks("src/embed/glove.c"), "src|embed|glove|c");
    assert_string_equal(toks("C:\\Users\\bob"), "c|users|bob");
    assert_string_equal(toks("kebab-case-id"), "kebab|case|id");
    assert_string_equal(toks("my_camelThing.txt"), "my|camel|thing|txt");
    /* Splits by punctuation emit no compound: only case splits do. */
    assert_string_equal(ctoks("snake_case"), "snake|case");
    assert_string_equal(ctoks("os.path"), "os|path");
}

static void test_compounds(void **state) {
    (void)state;
    assert_string_equal(ctoks("getUserName"), "getusername|get|user|name");
    assert_string_equal(ctoks("HTTPServer"), "httpserver|http|server");
    assert_string_equal(ctoks("camelCase and plain"), "camelcase|camel|case|and|plain");
    /* A word not split by case is emitted once. */
    assert_string_equal(ctoks("Plain HTTP"), "plain|http");
    /* Each compound of a path, dotted name or snake_case identifier. */
    assert_string_equal(ctoks("fooBar.bazQux"), "foobar|foo|bar|bazqux|baz|qux");
    assert_string_equal(ctoks("get_userName"), "get|username|user|name");
    /* Without the flag: only the parts. */
    assert_string_equal(toks("getUserName"), "get|user|name");
}

static void test_clitics(void **state) {
    (void)state;
    assert_string_equal(toks("Caroline's"), "caroline");
    assert_string_equal(toks("Caroline\xe2\x80\x99s group"), "caroline|group"); /* U+2019 */
    assert_string_equal(toks("don't we'll they're I'd I'm we've"), "don|we|they|i|i|we");
    /* Not a clitic: kept. */
    assert_string_equal(toks("O'Neil rock'n'roll"), "o|neil|rock|n|roll");
    /* An apostrophe after a separator is a quote: what follows is a word. */
    assert_string_equal(toks("'s 't"), "s|t");
    assert_string_equal(toks("say 'll'"), "say|ll");
    /* Compounds keep the same rule. */
    assert_string_equal(ctoks("John's getUserName's"), "john|getusername|get|user|name");
}

static void test_digits(void **state) {
    (void)state;
    assert_string_equal(toks("abc123 42"), "abc123|42");
    assert_string_equal(toks("2023-05-08"), "2023|05|08");
    assert_string_equal(toks("v1.2.3"), "v1|2|3");
    assert_string_equal(toks("3.14159"), "3|14159");
    /* A digit does not end a lower-case run: no split before the capital. */
    assert_string_equal(toks("utf8Decode"), "utf8decode");
    assert_string_equal(toks("x86_64"), "x86|64");
}

static void test_invalid_utf8_separates(void **state) {
    (void)state;
    assert_string_equal(toks("abc\xff" "def"), "abc|def");
    assert_string_equal(toks("abc\xc0\xaf" "def"), "abc|def");     /* overlong '/' */
    assert_string_equal(toks("abc\xed\xa0\x80" "def"), "abc|def"); /* a surrogate */
    assert_string_equal(toks("\x80\x80x\x80"), "x");               /* stray continuation bytes */
    assert_string_equal(toks("tail\xe2\x82"), "tail");              /* truncated sequence at the end */
    /* A NUL inside the given length is a separator too. */
    assert_string_equal(toks_n("ab\0cd", 5, 0), "ab|cd");
    /* Only the given length is read. */
    assert_string_equal(toks_n("abcdef", 3, 0), "abc");
}

static void test_long_tokens_skipped(void **state) {
    (void)state;
    char word[200];
    memset(word, 'a', TOKEN_MAX_BYTES);
    word[TOKEN_MAX_BYTES] = '\0';
    char text[400];
    snprintf(text, sizeof text, "x %s y", word);
    const char *r = toks(text);
    assert_int_equal(strlen(r), 1 + 1 + TOKEN_MAX_BYTES + 1 + 1); /* 64 bytes is kept */
    memset(word, 'a', TOKEN_MAX_BYTES + 1);
    word[TOKEN_MAX_BYTES + 1] = '\0';
    snprintf(text, sizeof text, "x %s y", word);
    assert_string_equal(toks(text), "x|y");
    /* The limit applies to the folded form: 33 ß (66 bytes) fold to 66 bytes;
     * 32 fold to 64 and fit. */
    char ss[200] = "";
    for (int i = 0; i < 32; i++) strcat(ss, "\xc3\x9f");
    assert_int_equal(strlen(toks(ss)), 64);
    strcat(ss, "\xc3\x9f");
    assert_string_equal(toks(ss), "");
    /* A too-long compound is skipped but its parts are not. */
    char camel[200];
    memset(camel, 'a', 40);
    camel[40] = 'B';
    memset(camel + 41, 'b', 40);
    camel[81] = '\0';
    r = ctoks(camel);
    char want[200];
    memset(want, 'a', 40);
    want[40] = '|';
    memset(want + 41, 'b', 41);
    want[82] = '\0';
    assert_string_equal(r, want);
}

static void test_empty_and_separators_only(void **state) {
    (void)state;
    collected c;
    memset(&c, 0, sizeof c);
    assert_int_equal(tokenize("", 0, 0, on_tok, &c), 0);
    assert_int_equal(tokenize(NULL, 0, TOKENIZE_COMPOUNDS, on_tok, &c), 0);
    const char *seps = " \t\n,.;:!?-_/\\()[]{}\"'";
    assert_int_equal(tokenize(seps, strlen(seps), TOKENIZE_COMPOUNDS, on_tok, &c), 0);
    assert_int_equal(c.calls, 0);
    assert_string_equal(toks("   ...   "), "");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_case_folding),
        cmocka_unit_test(test_nfkc),
        cmocka_unit_test(test_camel_case),
        cmocka_unit_test(test_snake_dotted_paths),
        cmocka_unit_test(test_compounds),
        cmocka_unit_test(test_clitics),
        cmocka_unit_test(test_digits),
        cmocka_unit_test(test_invalid_utf8_separates),
        cmocka_unit_test(test_long_tokens_skipped),
        cmocka_unit_test(test_empty_and_separators_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
