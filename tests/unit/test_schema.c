/* Unit tests for store/schema: the migration list is well formed and each
 * migration's SQL builds the tables the tools rely on. */
#include "testutil.h"

#include <sqlite3.h>

static void test_versions_increase_from_one(void **state) {
    (void)state;
    size_t n = 0;
    const schema_migration *ms = schema_migrations(&n);
    assert_true(n >= 1);
    assert_int_equal(ms[0].version, 1);
    for (size_t i = 0; i < n; i++) {
        assert_non_null(ms[i].name);
        assert_true(ms[i].name[0] != '\0');
        assert_non_null(ms[i].sql);
        if (i) assert_true(ms[i].version > ms[i - 1].version);
    }
}

static int64_t q(sqlite3 *db, const char *sql) {
    sqlite3_stmt *s;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return v;
}

static void test_sql_applies_and_constrains(void **state) {
    (void)state;
    sqlite3 *db;
    assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
    size_t n;
    const schema_migration *ms = schema_migrations(&n);
    for (size_t i = 0; i < n; i++) {
        char *msg = NULL;
        if (sqlite3_exec(db, ms[i].sql, NULL, NULL, &msg) != SQLITE_OK) fail_msg("migration %d: %s", ms[i].version, msg);
    }
    assert_int_equal(q(db, "SELECT count(*) FROM sqlite_master WHERE type='table' AND name IN ('todos','chat_messages')"), 2);
    /* priority_rank orders urgent < high < medium < low. */
    assert_int_equal(sqlite3_exec(db,
                                  "INSERT INTO todos(project,title,priority,created_at,updated_at) VALUES"
                                  " ('p','a','low','t','t'),('p','b','urgent','t','t'),('p','c','high','t','t'),"
                                  " ('p','d','medium','t','t')", NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(q(db, "SELECT priority_rank FROM todos WHERE priority='urgent'"), 1);
    assert_int_equal(q(db, "SELECT priority_rank FROM todos WHERE priority='high'"), 2);
    assert_int_equal(q(db, "SELECT priority_rank FROM todos WHERE priority='medium'"), 3);
    assert_int_equal(q(db, "SELECT priority_rank FROM todos WHERE priority='low'"), 4);
    /* CHECK constraints. */
    assert_int_equal(sqlite3_exec(db, "INSERT INTO todos(project,title,priority,created_at,updated_at) "
                                      "VALUES ('p','x','someday','t','t')", NULL, NULL, NULL) & 0xff,
                     SQLITE_CONSTRAINT);
    assert_int_equal(sqlite3_exec(db, "INSERT INTO todos(project,title,status,created_at,updated_at) "
                                      "VALUES ('p','x','done','t','t')", NULL, NULL, NULL) & 0xff,
                     SQLITE_CONSTRAINT);
    assert_int_equal(sqlite3_exec(db, "INSERT INTO chat_messages(project,conversation_id,role,content,metadata,"
                                      "created_at) VALUES ('p','c','user','x','{not json','t')", NULL, NULL, NULL) & 0xff,
                     SQLITE_CONSTRAINT);
    assert_int_equal(sqlite3_exec(db, "INSERT INTO chat_messages(project,conversation_id,role,content,metadata,"
                                      "created_at) VALUES ('p','c','user','x','{\"a\":1}','t')", NULL, NULL, NULL),
                     SQLITE_OK);
    /* A migration is not re-runnable on its own: schema_migrations guards it. */
    assert_int_not_equal(sqlite3_exec(db, ms[0].sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_versions_increase_from_one),
        cmocka_unit_test(test_sql_applies_and_constrains),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
