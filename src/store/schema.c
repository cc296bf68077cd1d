#include "schema.h"

/* One model for every tool: each row belongs to a project, timestamps are
 * ISO-8601 UTC text (sortable), ids are INTEGER PRIMARY KEYs. */
static const schema_migration migrations[] = {
    {1, "todos and chat messages",
     "CREATE TABLE todos ("
     "  id INTEGER PRIMARY KEY,"
     "  project TEXT NOT NULL,"
     "  title TEXT NOT NULL,"
     "  description TEXT NOT NULL DEFAULT '',"
     "  priority TEXT NOT NULL DEFAULT 'medium'"
     "    CHECK (priority IN ('low','medium','high','urgent')),"
     "  status TEXT NOT NULL DEFAULT 'pending'"
     "    CHECK (status IN ('pending','in_progress','completed')),"
     "  created_at TEXT NOT NULL,"
     "  updated_at TEXT NOT NULL,"
     "  completed_at TEXT,"
     "  priority_rank INTEGER GENERATED ALWAYS AS"
     "    (CASE priority WHEN 'urgent' THEN 1 WHEN 'high' THEN 2 WHEN 'medium' THEN 3 ELSE 4 END) VIRTUAL"
     ");"
     "CREATE INDEX todos_by_rank ON todos(project, priority_rank, created_at DESC);"
     "CREATE INDEX todos_by_status ON todos(project, status, priority_rank, created_at DESC);"
     "CREATE TABLE chat_messages ("
     "  id INTEGER PRIMARY KEY,"
     "  project TEXT NOT NULL,"
     "  conversation_id TEXT NOT NULL,"
     "  role TEXT NOT NULL,"
     "  content TEXT NOT NULL,"
     "  agent_name TEXT,"
     "  source_tool TEXT,"
     "  metadata TEXT CHECK (metadata IS NULL OR json_valid(metadata)),"
     "  created_at TEXT NOT NULL"
     ");"
     "CREATE INDEX chat_by_conversation ON chat_messages(project, conversation_id, created_at);"
     "CREATE INDEX chat_by_tool ON chat_messages(project, source_tool, created_at);"
     "CREATE INDEX chat_by_agent ON chat_messages(project, agent_name);"},
};

const schema_migration *schema_migrations(size_t *count) {
    *count = sizeof migrations / sizeof migrations[0];
    return migrations;
}
