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

    /* Semantic memory. A memory's text is split into chunks; each chunk has
     * one vector (of the model that made it) and one full-text row. Chunk
     * ids only grow (AUTOINCREMENT), and deletions are logged, so a process
     * can bring its in-memory vector index up to date cheaply. The full-text
     * row holds the chunk's words (identifiers split), the memory's date in
     * words, the text of neighbouring memories of the same conversation
     * (ctx), and a token naming the project so MATCH stays in one project.
     * Every memory is also a node of the knowledge graph, linked to its tags. */
    {2, "memories, chunks, vectors, full text, graph",
     "CREATE TABLE memories ("
     "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
     "  project TEXT NOT NULL,"
     "  file_name TEXT NOT NULL,"
     "  resource_type TEXT NOT NULL,"
     "  conversation_id TEXT NOT NULL,"
     "  content TEXT NOT NULL,"
     "  content_hash INTEGER NOT NULL,"
     "  metadata TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(metadata)),"
     "  created_at TEXT NOT NULL,"
     "  updated_at TEXT NOT NULL"
     ");"
     "CREATE INDEX memories_by_hash ON memories(project, content_hash);"
     "CREATE INDEX memories_by_type ON memories(project, resource_type, created_at);"
     "CREATE INDEX memories_by_conversation ON memories(project, conversation_id, id);"
     "CREATE INDEX memories_by_time ON memories(project, created_at);"
     "CREATE INDEX memories_by_name ON memories(project, file_name);"
     "CREATE TABLE memory_tags ("
     "  memory_id INTEGER NOT NULL REFERENCES memories(id) ON DELETE CASCADE,"
     "  tag TEXT NOT NULL,"
     "  PRIMARY KEY (memory_id, tag)"
     ") WITHOUT ROWID;"
     "CREATE INDEX memory_tags_by_tag ON memory_tags(tag, memory_id);"
     "CREATE TABLE chunks ("
     "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
     "  memory_id INTEGER NOT NULL REFERENCES memories(id) ON DELETE CASCADE,"
     "  seq INTEGER NOT NULL,"
     "  start INTEGER NOT NULL,"
     "  len INTEGER NOT NULL,"
     "  UNIQUE (memory_id, seq)"
     ");"
     "CREATE TABLE vectors ("
     "  chunk_id INTEGER PRIMARY KEY REFERENCES chunks(id) ON DELETE CASCADE,"
     "  model TEXT NOT NULL,"
     "  dim INTEGER NOT NULL,"
     "  vec BLOB NOT NULL"
     ");"
     "CREATE TABLE deleted_chunks ("
     "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
     "  chunk_id INTEGER NOT NULL,"
     "  deleted_at TEXT NOT NULL"
     ");"
     "CREATE VIRTUAL TABLE chunks_fts USING fts5(words, dt, ctx, proj, tokenize = 'porter unicode61');"
     "CREATE TRIGGER chunks_after_delete AFTER DELETE ON chunks BEGIN"
     "  INSERT INTO deleted_chunks(chunk_id, deleted_at) VALUES (old.id, strftime('%Y-%m-%dT%H:%M:%fZ','now'));"
     "  DELETE FROM chunks_fts WHERE rowid = old.id;"
     "END;"
     "CREATE VIRTUAL TABLE chat_fts USING fts5(words, proj, tokenize = 'porter unicode61');"
     "CREATE TRIGGER chat_after_delete AFTER DELETE ON chat_messages BEGIN"
     "  DELETE FROM chat_fts WHERE rowid = old.id;"
     "END;"
     "INSERT INTO chat_fts(rowid, words, proj) SELECT id, content, 'p' || lower(hex(project)) FROM chat_messages;"
     "CREATE TABLE graph_nodes ("
     "  id INTEGER PRIMARY KEY,"
     "  project TEXT NOT NULL,"
     "  node_key TEXT NOT NULL,"
     "  kind TEXT NOT NULL,"
     "  label TEXT,"
     "  properties TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(properties)),"
     "  created_at TEXT NOT NULL,"
     "  UNIQUE (project, node_key)"
     ");"
     "CREATE TABLE graph_edges ("
     "  id INTEGER PRIMARY KEY,"
     "  project TEXT NOT NULL,"
     "  src INTEGER NOT NULL REFERENCES graph_nodes(id) ON DELETE CASCADE,"
     "  dst INTEGER NOT NULL REFERENCES graph_nodes(id) ON DELETE CASCADE,"
     "  relation TEXT NOT NULL,"
     "  weight REAL NOT NULL DEFAULT 1.0,"
     "  properties TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(properties)),"
     "  created_at TEXT NOT NULL,"
     "  UNIQUE (src, dst, relation)"
     ");"
     "CREATE INDEX graph_edges_by_dst ON graph_edges(dst, relation);"},

    /* The knowledge graph's query paths and task blueprints. Traversals walk
     * edges from either end filtered by relation, so each end has a
     * covering index led by (node, relation); listings, exports and counts
     * go by project.
     * A blueprint's dependencies are not a table of their own: they are
     * DEPENDS_ON edges (dependent -> prerequisite) between the blueprints'
     * graph nodes "blueprint:<id>", so graph queries see them and deleting
     * a blueprint's node removes them. complexity_rank orders the levels for
     * list_project's min_complexity. */
    {3, "graph indexes, blueprints",
     "CREATE INDEX graph_edges_by_src ON graph_edges(src, relation, dst);"
     /* Covering for walks against the edges (src read from the index, not
      * the table); it supersedes migration 2's (dst, relation). */
     "DROP INDEX IF EXISTS graph_edges_by_dst;"
     "CREATE INDEX graph_edges_by_dst_src ON graph_edges(dst, relation, src);"
     "CREATE INDEX graph_edges_by_project ON graph_edges(project, relation);"
     "CREATE INDEX graph_edges_by_project_id ON graph_edges(project, id);"
     "CREATE INDEX graph_nodes_by_kind ON graph_nodes(project, kind);"
     "CREATE INDEX graph_nodes_by_project_id ON graph_nodes(project, id);"
     "CREATE TABLE blueprints ("
     "  id TEXT PRIMARY KEY CHECK (id GLOB 'bp_[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]'),"
     "  project TEXT NOT NULL,"
     "  project_id TEXT NOT NULL,"
     "  title TEXT NOT NULL,"
     "  description TEXT NOT NULL,"
     "  complexity TEXT NOT NULL CHECK (complexity IN ('trivial','simple','medium','complex','critical')),"
     "  complexity_score REAL NOT NULL,"
     "  priority_score REAL NOT NULL,"
     "  estimated_duration_minutes INTEGER NOT NULL,"
     "  required_skills TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(required_skills)),"
     "  tags TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(tags)),"
     "  status TEXT NOT NULL,"
     "  created_at TEXT NOT NULL,"
     "  updated_at TEXT NOT NULL,"
     "  complexity_rank INTEGER GENERATED ALWAYS AS"
     "    (CASE complexity WHEN 'trivial' THEN 0 WHEN 'simple' THEN 1 WHEN 'medium' THEN 2"
     "     WHEN 'complex' THEN 3 ELSE 4 END) VIRTUAL"
     ") WITHOUT ROWID;"
     "CREATE INDEX blueprints_by_priority ON blueprints(project, project_id, priority_score DESC,"
     "  complexity_score DESC, created_at DESC);"
     "CREATE INDEX blueprints_by_project ON blueprints(project, priority_score DESC, complexity_score DESC,"
     "  created_at DESC);"},

    /* Experience replay (pattern_action; search/attempts.h): each attempt
     * keeps its unit vector (float32, of the model named beside it) for
     * ranking by meaning, and its error's grouping key for the commonest
     * failure causes. Searches scan a project's attempts newest first
     * under the filters, hence the indexes led by project. */
    {4, "pattern attempts",
     "CREATE TABLE pattern_attempts ("
     "  id INTEGER PRIMARY KEY,"
     "  project TEXT NOT NULL,"
     "  pattern_type TEXT NOT NULL,"
     "  result TEXT NOT NULL CHECK (result IN ('pass','fail','partial')),"
     "  input_prompt TEXT NOT NULL DEFAULT '',"
     "  code TEXT NOT NULL DEFAULT '',"
     "  error_message TEXT,"
     "  error_key TEXT,"
     "  execution_time_ms REAL CHECK (execution_time_ms IS NULL OR execution_time_ms >= 0),"
     "  function_name TEXT,"
     "  file_name TEXT,"
     "  module_name TEXT,"
     "  language TEXT,"
     "  tags TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(tags)),"
     "  metadata TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(metadata)),"
     "  model TEXT NOT NULL,"
     "  vector BLOB NOT NULL,"
     "  created_at TEXT NOT NULL"
     ");"
     "CREATE INDEX pattern_attempts_by_project ON pattern_attempts(project, id);"
     "CREATE INDEX pattern_attempts_by_type ON pattern_attempts(project, pattern_type, id);"
     "CREATE INDEX pattern_attempts_by_time ON pattern_attempts(project, created_at);"},

    /* sync_action (migration 5; 4 belongs to the code-intelligence work).
     * code_snapshots holds each element's signature and doc as of the last
     * `code` sync: the documentation of record that drift compares the
     * code against. watch_events is the monitor's log: one row per change
     * it noticed, the re-check's result (drift against the snapshot) added
     * when done. */
    {5, "code snapshots, file watch events",
     "CREATE TABLE code_snapshots ("
     "  project TEXT NOT NULL,"
     "  path TEXT NOT NULL,"
     "  element TEXT NOT NULL,"
     "  kind TEXT NOT NULL,"
     "  line INTEGER NOT NULL,"
     "  signature TEXT,"
     "  params TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(params)),"
     "  return_type TEXT,"
     "  doc TEXT,"
     "  synced_at TEXT NOT NULL,"
     "  PRIMARY KEY (project, path, element)"
     ") WITHOUT ROWID;"
     "CREATE TABLE watch_events ("
     "  id INTEGER PRIMARY KEY,"
     "  project TEXT NOT NULL,"
     "  path TEXT NOT NULL,"
     "  event TEXT NOT NULL,"
     "  observed_at TEXT NOT NULL,"
     "  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending','processed','error')),"
     "  result TEXT CHECK (result IS NULL OR json_valid(result)),"
     "  processed_at TEXT"
     ");"
     "CREATE INDEX watch_events_by_project ON watch_events(project, id);"
     "CREATE INDEX watch_events_by_status ON watch_events(project, status);"},

    /* Memories without a conversation ("default") take no context from
     * their neighbours any more (memory.c, neighbour_rows); the context
     * they were given before is cleared, since no later write would. */
    {6, "no neighbour context outside conversations",
     "UPDATE chunks_fts SET ctx = '' WHERE ctx <> '' AND rowid IN"
     " (SELECT c.id FROM chunks c JOIN memories m ON m.id = c.memory_id WHERE m.conversation_id = 'default');"},
};

const schema_migration *schema_migrations(size_t *count) {
    *count = sizeof migrations / sizeof migrations[0];
    return migrations;
}
