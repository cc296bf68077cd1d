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

/* Migration 3: blueprint ids and levels are checked, complexity_rank
 * orders the levels, and the graph's query indexes exist. */
static void test_blueprints_and_graph_indexes(void **state) {
    (void)state;
    sqlite3 *db;
    assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
    size_t n;
    const schema_migration *ms = schema_migrations(&n);
    for (size_t i = 0; i < n; i++) assert_int_equal(sqlite3_exec(db, ms[i].sql, NULL, NULL, NULL), SQLITE_OK);
    const char *ins = "INSERT INTO blueprints(id, project, project_id, title, description, complexity, complexity_score,"
                      " priority_score, estimated_duration_minutes, status, created_at, updated_at) VALUES ";
    char sql[512];
    static const char *const levels[] = {"trivial", "simple", "medium", "complex", "critical"};
    for (int i = 0; i < 5; i++) {
        snprintf(sql, sizeof sql, "%s('bp_0000000%d','p','p','t','d','%s',0.5,0.5,60,'pending','t','t')", ins, i, levels[i]);
        assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
        snprintf(sql, sizeof sql, "SELECT complexity_rank FROM blueprints WHERE id = 'bp_0000000%d'", i);
        assert_int_equal(q(db, sql), i);
    }
    static const char *const bad[] = {"('bp_123','p','p','t','d','medium',0.5,0.5,60,'s','t','t')",
                                      "('bp_ABCDEF12','p','p','t','d','medium',0.5,0.5,60,'s','t','t')",
                                      "('bp_abcdef12','p','p','t','d','huge',0.5,0.5,60,'s','t','t')",
                                      "('bp_00000000','p','p','t','d','medium',0.5,0.5,60,'s','t','t')", NULL};
    for (const char *const *b = bad; *b; b++) {
        snprintf(sql, sizeof sql, "%s%s", ins, *b);
        assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL) & 0xff, SQLITE_CONSTRAINT);
    }
    assert_int_equal(q(db, "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name IN ('graph_edges_by_src',"
                           " 'graph_edges_by_project', 'graph_edges_by_project_id', 'graph_nodes_by_kind',"
                           " 'graph_nodes_by_project_id', 'blueprints_by_priority', 'blueprints_by_project',"
                           " 'graph_edges_by_dst_src')"), 8);
    assert_int_equal(q(db, "SELECT count(*) FROM sqlite_master WHERE name = 'graph_edges_by_dst'"), 0);
    sqlite3_close(db);
}

/* Migration 6 clears the neighbour context of memories without a
 * conversation, and leaves that of conversation turns. */
static void test_default_conversation_context_cleared(void **state) {
    (void)state;
    sqlite3 *db;
    assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
    size_t n;
    const schema_migration *ms = schema_migrations(&n);
    size_t i = 0;
    for (; i < n && ms[i].version < 6; i++) assert_int_equal(sqlite3_exec(db, ms[i].sql, NULL, NULL, NULL), SQLITE_OK);
    assert_true(i < n && ms[i].version == 6);
    assert_int_equal(sqlite3_exec(db,
                                  "INSERT INTO memories(id, project, file_name, resource_type, conversation_id, content,"
                                  " content_hash, created_at, updated_at) VALUES"
                                  " (1, 'p', 'a', 'document', 'default', 'alpha', 1, 't', 't'),"
                                  " (2, 'p', 'b', 'document', 'chat', 'beta', 2, 't', 't');"
                                  "INSERT INTO chunks(id, memory_id, seq, start, len) VALUES (10, 1, 0, 0, 5), (20, 2, 0, 0, 4);"
                                  "INSERT INTO chunks_fts(rowid, words, dt, ctx, proj) VALUES"
                                  " (10, 'alpha', '', 'gamma', 'p70'), (20, 'beta', '', 'gamma', 'p70');",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, ms[i].sql, NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(q(db, "SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH 'gamma'"), 1);
    assert_int_equal(q(db, "SELECT rowid FROM chunks_fts WHERE chunks_fts MATCH 'gamma'"), 20);
    assert_int_equal(q(db, "SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH 'alpha'"), 1);
    sqlite3_close(db);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_versions_increase_from_one),
        cmocka_unit_test(test_sql_applies_and_constrains),
        cmocka_unit_test(test_blueprints_and_graph_indexes),
        cmocka_unit_test(test_default_conversation_context_cleared),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
