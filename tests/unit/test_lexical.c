/* Unit tests for search/lexical: document words, FTS5 query building,
 * project tokens and date words. Queries are also run against a real FTS5
 * table, so a malformed expression fails here and not in production. */
#include "testutil.h"

#include "search/lexical.h"

#include <sqlite3.h>

static char *words(const char *text) { return lexical_words(text, strlen(text)); }
static char *query(const char *text) { return lexical_query(text, strlen(text)); }

#define ASSERT_WORDS(text, expected)                                                                     \
    do {                                                                                                 \
        char *w_ = words(text);                                                                          \
        assert_non_null(w_);                                                                             \
        assert_string_equal(w_, expected);                                                               \
        free(w_);                                                                                        \
    } while (0)

#define ASSERT_QUERY(text, expected)                                                                     \
    do {                                                                                                 \
        char *q_ = query(text);                                                                          \
        if (!q_) fail_msg("lexical_query(\"%s\") returned NULL", (text));                              \
        assert_string_equal(q_, expected);                                                               \
        free(q_);                                                                                        \
    } while (0)

static void test_words(void **state) {
    (void)state;
    ASSERT_WORDS("Hello, World!", "hello world");
    /* Identifiers: whole (compound) and split, so both spellings match. */
    ASSERT_WORDS("call getUserName() in src/app.py", "call getusername get user name in src app py");
    ASSERT_WORDS("Caroline's HTTPServer", "caroline httpserver http server");
    ASSERT_WORDS("", "");
    ASSERT_WORDS(" ... ", "");
    char *w = lexical_words("abc def", 3); /* only len bytes */
    assert_string_equal(w, "abc");
    free(w);
}

static void test_query_drops_stop_words(void **state) {
    (void)state;
    ASSERT_QUERY("What did Caroline do at the support group?", "\"caroline\" OR \"support\" OR \"group\"");
    ASSERT_QUERY("caroline", "\"caroline\"");
    /* Stop words only: they are kept, since nothing else is left. */
    ASSERT_QUERY("what is the", "\"what\" OR \"is\" OR \"the\"");
    /* Clitics are gone before the stop list applies. */
    ASSERT_QUERY("Where's Melanie's cat?", "\"melanie\" OR \"cat\"");
    /* No words at all. */
    assert_null(query(""));
    assert_null(query("?! ... --"));
}

static void test_query_dedupe_and_compounds(void **state) {
    (void)state;
    ASSERT_QUERY("cat Cat CAT cats", "\"cat\" OR \"cats\"");
    ASSERT_QUERY("getUserName user", "\"getusername\" OR \"get\" OR \"user\" OR \"name\"");
    /* Case-folded and NFKC-normalised before deduplication. */
    ASSERT_QUERY("\xef\xac\x81le FILE", "\"file\"");
}

static void test_query_quoting(void **state) {
    (void)state;
    /* Quotes and FTS5 operators in the query are separators, never syntax. */
    ASSERT_QUERY("say \"hello\" AND world*", "\"say\" OR \"hello\" OR \"world\"");
    ASSERT_QUERY("NEAR(a b) col:x ^y", "\"near\" OR \"b\" OR \"col\" OR \"x\" OR \"y\"");
    /* Quote characters never reach a term: the quoting stays balanced. */
    char *q = query("\"\"\" '\"' \"x\"y\"");
    assert_non_null(q);
    assert_string_equal(q, "\"x\" OR \"y\"");
    free(q);
}

static void test_query_word_cap(void **state) {
    (void)state;
    char text[4096] = "";
    for (int i = 0; i < 100; i++) {
        char w[16];
        snprintf(w, sizeof w, "w%03d ", i);
        strcat(text, w);
    }
    char *q = query(text);
    assert_non_null(q);
    size_t terms = 1;
    for (const char *p = q; (p = strstr(p, " OR ")); p += 4) terms++;
    assert_int_equal(terms, 64);
    assert_true(strncmp(q, "\"w000\" OR \"w001\"", 16) == 0);
    assert_non_null(strstr(q, "\"w063\""));
    assert_null(strstr(q, "\"w064\""));
    free(q);
    /* Stop words do not count against the cap. */
    char text2[8192] = "";
    for (int i = 0; i < 70; i++) {
        char w[32];
        snprintf(w, sizeof w, "the of x%03d ", i);
        strcat(text2, w);
    }
    q = query(text2);
    assert_non_null(strstr(q, "\"x063\""));
    assert_null(strstr(q, "\"the\""));
    free(q);
}

/* Each query must be a valid FTS5 expression that finds what it should. */
static void test_queries_run_in_fts5(void **state) {
    (void)state;
    sqlite3 *db;
    assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "CREATE VIRTUAL TABLE t USING fts5(words, tokenize = 'porter unicode61')", NULL,
                                  NULL, NULL),
                     SQLITE_OK);
    const char *docs[] = {"Caroline went to the LGBTQ support group", "call getUserName() in src/app.py",
                          "nothing relevant here"};
    for (int i = 0; i < 3; i++) {
        char *w = words(docs[i]);
        sqlite3_stmt *s;
        assert_int_equal(sqlite3_prepare_v2(db, "INSERT INTO t(rowid, words) VALUES (?, ?)", -1, &s, NULL), SQLITE_OK);
        sqlite3_bind_int(s, 1, i + 1);
        sqlite3_bind_text(s, 2, w, -1, SQLITE_TRANSIENT);
        assert_int_equal(sqlite3_step(s), SQLITE_DONE);
        sqlite3_finalize(s);
        free(w);
    }
    struct {
        const char *q;
        int first;
    } cases[] = {
        {"What did Caroline do?", 1},
        {"support \"groups\"", 1},       /* stemming, and the quote is harmless */
        {"username", 2},                 /* no: split parts are user, name; compound is getusername */
        {"get user name", 2},
        {"getUserName", 2},
        {"NEAR(\"AND\" OR) relevant*", 3},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *q = query(cases[i].q);
        assert_non_null(q);
        sqlite3_stmt *s;
        assert_int_equal(sqlite3_prepare_v2(db, "SELECT rowid FROM t WHERE t MATCH ? ORDER BY rank", -1, &s, NULL),
                         SQLITE_OK);
        sqlite3_bind_text(s, 1, q, -1, SQLITE_TRANSIENT);
        int rc = sqlite3_step(s);
        if (strcmp(cases[i].q, "username") == 0) {
            /* "username" matches neither the compound nor the parts. */
            assert_int_equal(rc, SQLITE_DONE);
        } else {
            if (rc != SQLITE_ROW) fail_msg("query %s (%s): %s", cases[i].q, q, sqlite3_errmsg(db));
            assert_int_equal(sqlite3_column_int(s, 0), cases[i].first);
        }
        sqlite3_finalize(s);
        free(q);
    }
    sqlite3_close(db);
}

static void test_project_token_matches_sql(void **state) {
    (void)state;
    sqlite3 *db;
    assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
    const char *projects[] = {"default", "My Project", "caf\xc3\xa9/\xe6\x97\xa5\xe6\x9c\xac", "a\"b'c",
                              "\xf0\x9f\x98\x80", "Z", "x.y-z_w"};
    for (size_t i = 0; i < sizeof projects / sizeof projects[0]; i++) {
        char *t = lexical_project_token(projects[i]);
        assert_non_null(t);
        assert_int_equal(strlen(t), 1 + 2 * strlen(projects[i]));
        assert_int_equal(t[0], 'p');
        sqlite3_stmt *s;
        assert_int_equal(sqlite3_prepare_v2(db, "SELECT 'p' || lower(hex(?))", -1, &s, NULL), SQLITE_OK);
        sqlite3_bind_text(s, 1, projects[i], -1, SQLITE_STATIC);
        assert_int_equal(sqlite3_step(s), SQLITE_ROW);
        assert_string_equal(t, (const char *)sqlite3_column_text(s, 0));
        sqlite3_finalize(s);
        free(t);
    }
    char *t = lexical_project_token("default");
    assert_string_equal(t, "p64656661756c74");
    free(t);
    sqlite3_close(db);
}

static void test_date_words(void **state) {
    (void)state;
    char buf[64];
    lexical_date_words("2023-05-08T13:56:00.000Z", buf, sizeof buf);
    assert_string_equal(buf, "2023-05-08 May 2023 Monday");
    lexical_date_words("2024-02-29", buf, sizeof buf);
    assert_string_equal(buf, "2024-02-29 February 2024 Thursday");
    lexical_date_words("1999-12-31T23:59:59.999Z", buf, sizeof buf);
    assert_string_equal(buf, "1999-12-31 December 1999 Friday");
    lexical_date_words("2026-01-01T00:00:00.000Z", buf, sizeof buf);
    assert_string_equal(buf, "2026-01-01 January 2026 Thursday");
    /* Not a date: empty. */
    strcpy(buf, "junk");
    lexical_date_words("yesterday", buf, sizeof buf);
    assert_string_equal(buf, "");
    strcpy(buf, "junk");
    lexical_date_words(NULL, buf, sizeof buf);
    assert_string_equal(buf, "");
    strcpy(buf, "junk");
    lexical_date_words("2023-05", buf, sizeof buf);
    assert_string_equal(buf, "");
    /* The longest form fits the documented 48 bytes. */
    lexical_date_words("2023-09-13", buf, 48);
    assert_string_equal(buf, "2023-09-13 September 2023 Wednesday");
    /* And its words are what a question names. */
    char *w = words(buf);
    assert_string_equal(w, "2023 09 13 september 2023 wednesday");
    free(w);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_words),
        cmocka_unit_test(test_query_drops_stop_words),
        cmocka_unit_test(test_query_dedupe_and_compounds),
        cmocka_unit_test(test_query_quoting),
        cmocka_unit_test(test_query_word_cap),
        cmocka_unit_test(test_queries_run_in_fts5),
        cmocka_unit_test(test_project_token_matches_sql),
        cmocka_unit_test(test_date_words),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
