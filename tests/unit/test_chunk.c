/* Unit tests for search/chunk: no text is lost, limits hold, boundaries
 * fall where chunk.h promises; plus a property test over random texts. */
#include "testutil.h"

#include "search/chunk.h"

static bool sp(char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }
static bool cont(char c) { return ((unsigned char)c & 0xC0) == 0x80; }

/* Checks every promise of chunk.h for one split and returns the count.
 * `why` names the case in failure messages. */
static size_t check_split(const char *text, size_t len, size_t max, size_t overlap, chunk_span **out, const char *why) {
    chunk_span *s = NULL;
    size_t n = chunk_text(text, len, max, overlap, &s);
    bool any_text = false;
    for (size_t i = 0; i < len; i++) any_text |= !sp(text[i]);
    if (!any_text) {
        if (n != 0) fail_msg("%s: %zu chunks for a text without words", why, n);
        free(s);
        if (out) *out = NULL;
        return 0;
    }
    if (n == 0 || !s) fail_msg("%s: no chunks", why);
    /* Coverage: every non-space byte is inside some chunk. */
    unsigned char *covered = calloc(len ? len : 1, 1);
    for (size_t c = 0; c < n; c++) {
        if (s[c].len == 0) fail_msg("%s: chunk %zu is empty", why, c);
        if (s[c].len > max) fail_msg("%s: chunk %zu has %zu bytes (limit %zu)", why, c, s[c].len, max);
        if (s[c].start + s[c].len > len) fail_msg("%s: chunk %zu runs past the text", why, c);
        if (sp(text[s[c].start])) fail_msg("%s: chunk %zu starts with whitespace", why, c);
        /* Never inside a UTF-8 character. */
        if (cont(text[s[c].start])) fail_msg("%s: chunk %zu starts inside a character", why, c);
        size_t end = s[c].start + s[c].len;
        if (end < len && cont(text[end])) fail_msg("%s: chunk %zu ends inside a character", why, c);
        for (size_t i = s[c].start; i < end; i++) covered[i] = 1;
        if (c > 0) {
            size_t prev_end = s[c - 1].start + s[c - 1].len;
            if (s[c].start <= s[c - 1].start) fail_msg("%s: chunk %zu does not move forward", why, c);
            if (prev_end > s[c].start && prev_end - s[c].start > overlap)
                fail_msg("%s: chunks %zu and %zu overlap by %zu bytes (limit %zu)", why, c - 1, c,
                         prev_end - s[c].start, overlap);
            /* A chunk starts at a word start, unless it continues a word
             * that was cut because it is longer than the limit. */
            bool word_start = sp(text[s[c].start - 1]);
            bool continues_cut = s[c].start == prev_end;
            if (!word_start && !continues_cut) fail_msg("%s: chunk %zu starts inside a word (at %zu)", why, c, s[c].start);
        }
    }
    for (size_t i = 0; i < len; i++)
        if (!sp(text[i]) && !covered[i]) fail_msg("%s: byte %zu ('%c') is in no chunk", why, i, text[i]);
    free(covered);
    if (out) *out = s;
    else free(s);
    return n;
}

static size_t split(const char *text, size_t max, size_t overlap, chunk_span **out) {
    return check_split(text, strlen(text), max, overlap, out, text);
}

static void test_empty_and_whitespace(void **state) {
    (void)state;
    chunk_span *s = (chunk_span *)1;
    assert_int_equal(chunk_text("", 0, 16, 0, &s), 0);
    assert_null(s);
    s = (chunk_span *)1;
    assert_int_equal(chunk_text(" \n\t\r\f\v  ", 8, 16, 4, &s), 0);
    assert_null(s);
    char big[5000];
    memset(big, ' ', sizeof big);
    s = (chunk_span *)1;
    assert_int_equal(chunk_text(big, sizeof big, 100, 10, &s), 0);
    assert_null(s);
}

static void test_short_text_one_chunk(void **state) {
    (void)state;
    chunk_span *s;
    assert_int_equal(split("  hello world  ", 100, 10, &s), 1);
    /* Leading whitespace is skipped; the rest of the text is the chunk. */
    assert_int_equal(s[0].start, 2);
    assert_int_equal(s[0].len, 13);
    free(s);
    /* Exactly the limit: one chunk. */
    const char *t = "abcdefghijklmnop";
    assert_int_equal(split(t, 16, 0, &s), 1);
    assert_int_equal(s[0].len, 16);
    free(s);
}

static void test_sentence_end_preferred(void **state) {
    (void)state;
    /* The first sentence ends at byte 27; a word boundary lies later, but
     * the chunk ends at the sentence. */
    const char *t = "The quick brown fox jumped. Then it ran far away into the forest and beyond";
    chunk_span *s;
    size_t n = split(t, 40, 0, &s);
    assert_true(n >= 2);
    assert_int_equal(s[0].start, 0);
    assert_int_equal(s[0].len, 27);
    assert_memory_equal(t + s[0].start + s[0].len - 1, ".", 1);
    free(s);
    /* '!' and '?' too. */
    t = "Are you sure about this? Yes I am quite sure about all of it really";
    n = split(t, 40, 0, &s);
    assert_int_equal(s[0].len, 24);
    free(s);
    /* A blank line ends a paragraph. */
    t = "a heading without a stop\n\nthen a paragraph that goes on and on";
    n = split(t, 40, 0, &s);
    assert_int_equal(s[0].len, 26);
    assert_int_equal(s[1].start, 26);
    free(s);
    /* A sentence end in the first half is not taken (no tiny chunks). */
    t = "Hi. this is a long run of words with no stop at all until the end";
    n = split(t, 40, 0, &s);
    assert_true(s[0].len > 20);
    assert_true(sp(t[s[0].start + s[0].len - 1]) || s[0].start + s[0].len == strlen(t));
    free(s);
    /* A period not followed by whitespace (a version, a file name) is no end. */
    t = "version 1.2.3 of file.txt is out now with many new features to try";
    n = split(t, 30, 0, &s);
    assert_true(sp(t[s[0].start + s[0].len - 1]));
    free(s);
}

static void test_word_boundaries_without_sentences(void **state) {
    (void)state;
    /* 2000 bytes of words and no terminator: chunks end after whitespace. */
    char t[2100] = "";
    while (strlen(t) < 2000) strcat(t, "lorem ipsum dolor sit amet ");
    chunk_span *s;
    size_t n = split(t, 100, 20, &s);
    assert_true(n >= 20);
    for (size_t i = 0; i + 1 < n; i++) {
        size_t end = s[i].start + s[i].len;
        assert_true(sp(t[end - 1]));
    }
    /* The tail is there: the last chunk ends at the last non-space byte's end or later. */
    size_t last_end = s[n - 1].start + s[n - 1].len;
    assert_true(last_end >= strlen(t) - 1);
    free(s);
}

static void test_overlap_on_word_boundaries(void **state) {
    (void)state;
    const char *t = "alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike "
                    "november oscar papa quebec romeo sierra tango uniform victor whiskey xray yankee zulu";
    chunk_span *s;
    size_t n = split(t, 40, 15, &s);
    assert_true(n >= 4);
    size_t overlapping = 0;
    for (size_t i = 1; i < n; i++) {
        size_t prev_end = s[i - 1].start + s[i - 1].len;
        assert_true(s[i].start == 0 || sp(t[s[i].start - 1]));
        if (s[i].start < prev_end) overlapping++;
    }
    assert_true(overlapping >= n - 2); /* words are short: nearly every chunk can back up */
    free(s);
    /* No overlap requested: chunks only touch. */
    n = split(t, 40, 0, &s);
    for (size_t i = 1; i < n; i++) assert_true(s[i].start >= s[i - 1].start + s[i - 1].len);
    free(s);
}

static void test_long_word_cut_at_char_boundary(void **state) {
    (void)state;
    /* One 600-byte word of ASCII: cut exactly at the limit. */
    char t[700];
    memset(t, 'x', 600);
    t[600] = '\0';
    chunk_span *s;
    size_t n = split(t, 64, 10, &s);
    assert_int_equal(n, 10);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(s[i].start, i * 64 < 600 ? i * 64 : 0);
        assert_int_equal(s[i].len, i < 9 ? 64 : 600 - 9 * 64);
    }
    free(s);
    /* Two-byte characters with an odd limit: every cut is one byte short. */
    char u[500] = "";
    for (int i = 0; i < 100; i++) strcat(u, "\xc3\xa9");
    n = split(u, 17, 0, &s);
    for (size_t i = 0; i < n; i++) assert_true(s[i].len % 2 == 0 && s[i].len <= 16);
    assert_int_equal(n, 13); /* 200 bytes / 16 */
    free(s);
    /* Four-byte characters with a limit of 18: cuts at 16. */
    char e[500] = "";
    for (int i = 0; i < 50; i++) strcat(e, "\xf0\x9f\x98\x80");
    n = split(e, 18, 8, &s);
    for (size_t i = 0; i < n; i++) assert_true(s[i].len % 4 == 0);
    free(s);
    /* Three-byte characters mixed with a long word after a short one. */
    char m[500] = "a ";
    for (int i = 0; i < 60; i++) strcat(m, "\xe6\x97\xa5");
    strcat(m, " end");
    n = split(m, 32, 6, &s);
    assert_true(n >= 6);
    free(s);
}

static void test_limits_and_tail(void **state) {
    (void)state;
    /* The last word must not be lost even when the text ends without a
     * terminator and right after a cut. */
    const char *t = "one two three four five six seven eight nine ten eleven twelve thirteen";
    for (size_t max = 16; max <= 80; max++) {
        for (size_t ov = 0; ov < max / 2; ov += 3) {
            char why[64];
            snprintf(why, sizeof why, "max %zu overlap %zu", max, ov);
            check_split(t, strlen(t), max, ov, NULL, why);
        }
    }
}

/* ---- property test ------------------------------------------------------- */

static uint64_t rng = 0x243F6A8885A308D3ull;
static uint32_t next_rand(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 11);
}

static void test_property_random_texts(void **state) {
    (void)state;
    static const char *const pieces[] = {
        "a", "the", "word", "memory", "chunk", "boundary", "supercalifragilisticexpialidocious",
        "caf\xc3\xa9", "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", "\xf0\x9f\x98\x80\xf0\x9f\x98\x81", "x1.2.3",
        ".", "!", "?", ",", "\n", "\n\n", "  ", "\t", "\r\n"};
    const size_t n_pieces = sizeof pieces / sizeof pieces[0];
    char *text = malloc(20000);
    size_t total_chunks = 0, multi = 0;
    for (int iter = 0; iter < 2000; iter++) {
        size_t target = next_rand() % (iter < 1000 ? 400 : 6000);
        size_t len = 0;
        while (len < target) {
            const char *p;
            uint32_t r = next_rand() % 100;
            if (r < 3) { /* now and then a very long word */
                size_t wl = 20 + next_rand() % 300;
                for (size_t i = 0; i < wl && len + 4 < 19000; i++) {
                    if (next_rand() % 4 == 0) { memcpy(text + len, "\xc3\xa9", 2); len += 2; }
                    else text[len++] = (char)('a' + next_rand() % 26);
                }
                p = " ";
            } else {
                p = pieces[next_rand() % n_pieces];
            }
            size_t pl = strlen(p);
            if (len + pl >= 19000) break;
            memcpy(text + len, p, pl);
            len += pl;
            if (next_rand() % 3) text[len++] = ' ';
        }
        text[len] = '\0';
        size_t max = 16 + next_rand() % 300;
        size_t overlap = next_rand() % 4 == 0 ? 0 : next_rand() % (max / 2);
        char why[96];
        snprintf(why, sizeof why, "iteration %d (len %zu, max %zu, overlap %zu)", iter, len, max, overlap);
        size_t n = check_split(text, len, max, overlap, NULL, why);
        total_chunks += n;
        multi += n > 1;
    }
    free(text);
    /* The generator must exercise splitting, not just one-chunk texts. */
    assert_true(multi > 1000);
    assert_true(total_chunks > 20000);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_and_whitespace),
        cmocka_unit_test(test_short_text_one_chunk),
        cmocka_unit_test(test_sentence_end_preferred),
        cmocka_unit_test(test_word_boundaries_without_sentences),
        cmocka_unit_test(test_overlap_on_word_boundaries),
        cmocka_unit_test(test_long_word_cut_at_char_boundary),
        cmocka_unit_test(test_limits_and_tail),
        cmocka_unit_test(test_property_random_texts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
