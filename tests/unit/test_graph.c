/* Unit tests for the knowledge graph: node ids (graph/nodeid), the engine
 * (graph/graph, graph/walk, graph/autolink, graph/export) and every
 * graph_action action through the tool path, including self-links,
 * missing nodes, oversized and wrongly typed arguments, projects, the JSON
 * export round trip through import, and the Cypher and GraphML exports of
 * hostile names, checked by small parsers of their own. */
#include "testutil.h"

#include <ctype.h>
#include <math.h>

#include "graph/export.h"
#include "graph/graph.h"
#include "graph/nodeid.h"
#include "graph/walk.h"

#define F ((tu_fixture *)*state)

/* Calls a tool with args (a JSON value, consumed); the call must succeed
 * (ok) or fail. Returns the result (caller decrefs). */
static json_t *callj(void **state, const char *tool, json_t *args, bool ok) {
    char *text = jx_dump(args);
    json_decref(args);
    json_t *r = ok ? tu_ok(tool, F->st, F->cfg, text) : tu_fail(tool, F->st, F->cfg, text);
    free(text);
    return r;
}

static json_t *g_ok(void **state, const char *args) { return tu_ok("graph_action", F->st, F->cfg, args); }

#define G_ERR(args, needle) assert_call_error("graph_action", F->st, F->cfg, args, needle)

static void link3(void **state, const char *project, const char *s, const char *t, const char *rel) {
    json_t *a = json_pack("{s:s, s:s, s:s, s:s}", "action", "link", "source_id", s, "target_id", t, "relation", rel);
    if (project) jx_set_str(a, "project", project);
    json_decref(callj(state, "graph_action", a, true));
}

static int64_t store_memory(void **state, const char *project, const char *name, const char *content, const char *tags) {
    char args[1024];
    snprintf(args, sizeof args, "{\"action\":\"store\",\"project\":\"%s\",\"file_name\":\"%s\",\"content\":\"%s\","
             "\"tags\":%s}", project, name, content, tags);
    json_t *r = tu_ok("memory_action", F->st, F->cfg, args);
    int64_t id = jx_int(r, "doc_id", 0);
    json_decref(r);
    assert_true(id > 0);
    return id;
}

/* ---- node ids ------------------------------------------------------------------ */

static void test_nodeid_rules(void **state) {
    (void)state;
    node_ref r;
    lt_err err;
    assert_int_equal(nodeid_parse("memory:12", &r, &err), 0);
    assert_int_equal(r.kind, NODE_MEMORY);
    assert_int_equal(r.num, 12);
    assert_int_equal(nodeid_parse("todo:9223372036854775807", &r, &err), 0);
    assert_int_equal(r.kind, NODE_TODO);
    assert_int_equal(nodeid_parse("chat:7", &r, &err), 0);
    assert_int_equal(r.kind, NODE_CHAT);
    assert_int_equal(nodeid_parse("blueprint:bp_1a2b3c4d", &r, &err), 0);
    assert_int_equal(r.kind, NODE_BLUEPRINT);
    assert_string_equal(r.rest, "bp_1a2b3c4d");
    assert_int_equal(nodeid_parse("pattern:5", &r, &err), 0);
    assert_int_equal(r.kind, NODE_PATTERN);
    assert_int_equal(nodeid_parse("tag:security", &r, &err), 0);
    assert_int_equal(r.kind, NODE_TAG);
    /* Anything else is a free entity, the original's plain ids included. */
    static const char *const entities[] = {"doc_123", "AuthService", "Memory:1", "a:b", "memory", "tagged:x", " x ",
                                           "é", NULL};
    for (const char *const *e = entities; *e; e++) {
        assert_int_equal(nodeid_parse(*e, &r, &err), 0);
        assert_int_equal(r.kind, NODE_ENTITY);
        assert_string_equal(nodeid_kind_name(r.kind), "entity");
    }
    /* A known prefix with a malformed rest is refused, never an entity. */
    static const char *const bad[] = {"memory:abc", "memory:012", "memory:0", "memory:-1", "memory:+1", "memory:",
                                      "todo:1.5", "chat:9223372036854775808", "blueprint:bp_123", "blueprint:bp_1A2B3C4D",
                                      "blueprint:xx_1a2b3c4d", "blueprint:bp_1a2b3c4d5", "tag:", "pattern:", "", NULL};
    for (const char *const *b = bad; *b; b++) {
        lt_err_clear(&err);
        if (nodeid_parse(*b, &r, &err) == 0) fail_msg("'%s' should be refused", *b);
        assert_int_equal(err.code, LT_ERR_INVALID);
    }
    assert_contains((nodeid_parse("memory:abc", &r, &err), err.msg), "memory ids are positive integers");
    char big[NODEID_MAX_LEN + 2];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(nodeid_parse(big, &r, &err), -1);
    assert_contains(err.msg, "too long");
    big[NODEID_MAX_LEN] = '\0';
    assert_int_equal(nodeid_parse(big, &r, &err), 0);
    assert_true(nodeid_is_record(NODE_MEMORY) && nodeid_is_record(NODE_BLUEPRINT) && !nodeid_is_record(NODE_TAG));
}

/* ---- link, query, get_relationships ------------------------------------------------ */

static void test_link_and_query(void **state) {
    json_t *r = g_ok(state, "{\"action\":\"link\",\"source_id\":\"auth\",\"target_id\":\"jwt\",\"relation\":\"USES\","
                            "\"properties\":{\"since\":\"v2\",\"drop\":null},\"weight\":0.5}");
    /* The original's keys. */
    assert_json_bool(r, "relationship_created", true);
    assert_json_bool(r, "already_existed", false);
    assert_json_str(r, "source_id", "auth");
    assert_json_str(r, "target_id", "jwt");
    assert_json_str(r, "relationship_type", "USES");
    assert_true(jx_real(r, "weight") == 0.5);
    json_t *p = json_object_get(r, "properties");
    assert_json_str(p, "since", "v2");
    assert_null(json_object_get(p, "drop")); /* null members are not stored */
    json_decref(r);

    /* Linking again sets the weight and merges the properties. */
    r = g_ok(state, "{\"action\":\"link\",\"source_id\":\"auth\",\"target_id\":\"jwt\",\"relation\":\"USES\","
                    "\"properties\":{\"since\":null,\"extra\":[1,2]},\"metadata\":{\"by\":\"agent\"}}");
    assert_json_bool(r, "already_existed", true);
    assert_true(jx_real(r, "weight") == 1.0);
    p = json_object_get(r, "properties");
    assert_null(json_object_get(p, "since"));
    assert_int_equal(json_array_size(json_object_get(p, "extra")), 2);
    assert_json_str(json_object_get(p, "metadata"), "by", "agent");
    json_decref(r);

    link3(state, NULL, "api", "auth", "CALLS");
    link3(state, NULL, "auth", "db", "USES");
    link3(state, NULL, "auth", "db", "READS"); /* a second relation between the same pair */

    r = g_ok(state, "{\"action\":\"query\",\"entity\":\"auth\"}");
    assert_json_int(r, "count", 4);
    assert_json_int(r, "total_count", 4);
    assert_json_bool(r, "has_more", false);
    assert_json_bool(r, "node_exists", true);
    assert_json_str(r, "direction", "both");
    json_t *rels = json_object_get(r, "relationships");
    /* Oldest first, each with the original's four keys (plus weight and time). */
    json_t *first = json_array_get(rels, 0);
    assert_json_str(first, "source_id", "auth");
    assert_json_str(first, "target_id", "jwt");
    assert_json_str(first, "relationship_type", "USES");
    assert_true(json_is_object(json_object_get(first, "properties")));
    /* The incoming edge keeps its real direction (the original put the
     * queried entity as source_id in "both" mode). */
    json_t *second = json_array_get(rels, 1);
    assert_json_str(second, "source_id", "api");
    assert_json_str(second, "target_id", "auth");
    json_decref(r);

    r = g_ok(state, "{\"action\":\"query\",\"entity\":\"auth\",\"direction\":\"incoming\"}");
    assert_json_int(r, "count", 1);
    json_decref(r);
    r = g_ok(state, "{\"action\":\"query\",\"entity\":\"auth\",\"direction\":\"OUTGOING\",\"relation_type\":\"USES\"}");
    assert_json_int(r, "count", 2);
    assert_json_str(r, "direction", "outgoing");
    json_decref(r);
    r = g_ok(state, "{\"action\":\"query\",\"entity\":\"auth\",\"limit\":1,\"offset\":1}");
    assert_json_int(r, "count", 1);
    assert_json_int(r, "total_count", 4);
    assert_json_bool(r, "has_more", true);
    assert_json_str(json_array_get(json_object_get(r, "relationships"), 0), "source_id", "api");
    json_decref(r);
    /* An unknown node has no relationships (as in the original), and says so. */
    r = g_ok(state, "{\"action\":\"query\",\"entity\":\"nobody\"}");
    assert_json_int(r, "count", 0);
    assert_json_bool(r, "node_exists", false);
    json_decref(r);

    r = g_ok(state, "{\"action\":\"get_relationships\",\"doc_id\":\"db\"}");
    assert_json_int(r, "count", 2);
    assert_json_str(r, "doc_id", "db");
    json_decref(r);
}

static void test_link_errors(void **state) {
    G_ERR("{\"action\":\"link\",\"source_id\":\"a\",\"target_id\":\"a\",\"relation\":\"R\"}",
          "A node cannot be linked to itself");
    G_ERR("{\"action\":\"link\",\"target_id\":\"a\",\"relation\":\"R\"}", "Missing required parameter: source_id");
    G_ERR("{\"action\":\"link\",\"source_id\":\"a\",\"relation\":\"R\"}", "Missing required parameter: target_id");
    G_ERR("{\"action\":\"link\",\"source_id\":\"a\",\"target_id\":\"b\"}", "Missing required parameter: relation");
    G_ERR("{\"action\":\"link\",\"source_id\":\"a\",\"target_id\":\"b\",\"relation\":\"  \"}",
          "Parameter 'relation' must not be empty");
    G_ERR("{\"action\":\"link\",\"source_id\":5,\"target_id\":\"b\",\"relation\":\"R\"}",
          "Invalid type for parameter 'source_id': expected string, got integer");
    G_ERR("{\"action\":\"link\",\"source_id\":\"a\",\"target_id\":\"b\",\"relation\":\"R\",\"weight\":\"heavy\"}",
          "Invalid type for parameter 'weight': expected number, got string");
    G_ERR("{\"action\":\"link\",\"source_id\":\"a\",\"target_id\":\"b\",\"relation\":\"R\",\"properties\":[1]}",
          "Invalid type for parameter 'properties': expected object, got array");
    G_ERR("{\"action\":\"link\",\"source_id\":\"a\",\"target_id\":\"b\",\"relation\":\"R\",\"colour\":\"red\"}",
          "Unknown parameter for graph link: 'colour'");
    G_ERR("{\"action\":\"lnk\"}", "Unknown graph action: lnk");
    G_ERR("{\"action\":\"link\",\"source_id\":\"memory:abc\",\"target_id\":\"b\",\"relation\":\"R\"}",
          "Invalid node id 'memory:abc'");
    G_ERR("{\"action\":\"link\",\"source_id\":\"memory:999\",\"target_id\":\"b\",\"relation\":\"R\"}",
          "Node memory:999 refers to memory 999, which does not exist in this project");
    G_ERR("{\"action\":\"link\",\"source_id\":\"a\",\"target_id\":\"blueprint:bp_00000000\",\"relation\":\"R\"}",
          "does not exist in this project");
    /* Nothing was created by the failed calls. */
    json_t *r = g_ok(state, "{\"action\":\"stats\"}");
    assert_json_int(r, "total_nodes", 0);
    json_decref(r);

    /* Oversized properties: just under the limit passes, over it fails. */
    size_t big = GRAPH_PROPS_MAX - 9; /* {"k":"...."} adds 8 bytes */
    char *s = malloc(big + 1);
    memset(s, 'x', big);
    s[big] = '\0';
    json_t *a = json_pack("{s:s, s:s, s:s, s:s, s:{s:s}}", "action", "link", "source_id", "a", "target_id", "b",
                          "relation", "R", "properties", "k", s);
    json_decref(callj(state, "graph_action", a, true));
    s[big - 1] = '\0';
    json_t *small = json_pack("{s:s, s:s, s:s, s:s, s:{s:s}}", "action", "link", "source_id", "a", "target_id", "b",
                              "relation", "R2", "properties", "k", s);
    json_decref(callj(state, "graph_action", small, true));
    s[big - 1] = 'x';
    char *bigger = malloc(big + 3);
    memset(bigger, 'y', big + 2);
    bigger[big + 2] = '\0';
    a = json_pack("{s:s, s:s, s:s, s:s, s:{s:s}}", "action", "link", "source_id", "a", "target_id", "c", "relation", "R",
                  "properties", "k", bigger);
    r = callj(state, "graph_action", a, false);
    assert_contains(jx_str(r, "error"), "is too large");
    assert_contains(jx_str(r, "error"), "limit 65536");
    json_decref(r);
    /* Merging into an edge near the limit must not pass it either. */
    a = json_pack("{s:s, s:s, s:s, s:s, s:{s:s}}", "action", "link", "source_id", "a", "target_id", "b", "relation", "R2",
                  "properties", "k2", "0123456789");
    r = callj(state, "graph_action", a, false);
    assert_contains(jx_str(r, "error"), "too large after merging");
    json_decref(r);
    free(s);
    free(bigger);

    /* Objects nested past the framework's limit. */
    char deep[PARAM_MAX_DEPTH * 8 + 200];
    char *p = deep + sprintf(deep, "{\"action\":\"link\",\"source_id\":\"a\",\"target_id\":\"b\",\"relation\":\"R\","
                                   "\"properties\":");
    for (int i = 0; i < PARAM_MAX_DEPTH + 1; i++) p += sprintf(p, "{\"a\":");
    p += sprintf(p, "1");
    for (int i = 0; i < PARAM_MAX_DEPTH + 1; i++) *p++ = '}';
    strcpy(p, "}");
    G_ERR(deep, "nested too deeply");
    /* A relation over the limit. */
    char rel[GRAPH_RELATION_MAX + 100];
    p = rel + sprintf(rel, "{\"action\":\"link\",\"source_id\":\"a\",\"target_id\":\"b\",\"relation\":\"");
    for (int i = 0; i < GRAPH_RELATION_MAX + 1; i++) *p++ = 'R';
    strcpy(p, "\"}");
    G_ERR(rel, "Parameter 'relation' is too long");
}

/* Memories, todos and chat messages are nodes; tags hang off memories the
 * right way round (memory -TAGGED_WITH-> tag). */
static void test_record_nodes(void **state) {
    int64_t m = store_memory(state, "default", "notes.md", "We chose SQLite WAL for the store.", "[\"db\",\"arch\"]");
    char mid[32], q[256];
    snprintf(mid, sizeof mid, "memory:%lld", (long long)m);
    snprintf(q, sizeof q, "{\"action\":\"query\",\"entity\":\"%s\",\"direction\":\"outgoing\"}", mid);
    json_t *r = g_ok(state, q);
    assert_json_int(r, "count", 2);
    json_t *e = json_array_get(json_object_get(r, "relationships"), 0);
    assert_json_str(e, "source_id", mid);
    assert_json_str(e, "relationship_type", "TAGGED_WITH");
    assert_contains(jx_str(e, "target_id"), "tag:");
    json_decref(r);
    r = g_ok(state, "{\"action\":\"query\",\"entity\":\"tag:db\",\"direction\":\"incoming\"}");
    assert_json_int(r, "count", 1);
    assert_json_str(json_array_get(json_object_get(r, "relationships"), 0), "source_id", mid);
    json_decref(r);

    json_t *t = tu_ok("todo_action", F->st, F->cfg, "{\"action\":\"add\",\"title\":\"Write the docs\"}");
    char tid[32];
    snprintf(tid, sizeof tid, "todo:%lld", (long long)jx_int(t, "todo_id", 0));
    json_decref(t);
    json_t *c = tu_ok("chat_action", F->st, F->cfg, "{\"action\":\"log\",\"conversation_id\":\"c1\",\"role\":\"user\","
                                                    "\"content\":\"please document the WAL decision\"}");
    char cid[32];
    snprintf(cid, sizeof cid, "chat:%lld", (long long)jx_int(c, "chat_id", 0));
    json_decref(c);
    link3(state, NULL, tid, mid, "DOCUMENTS");
    link3(state, NULL, cid, tid, "REQUESTED");
    snprintf(q, sizeof q, "{\"action\":\"traverse\",\"start_id\":\"%s\",\"depth\":1}", tid);
    r = g_ok(state, q);
    json_t *nodes = json_object_get(r, "nodes");
    assert_int_equal(json_array_size(nodes), 3);
    assert_json_str(json_array_get(nodes, 0), "id", tid);
    assert_json_str(json_array_get(nodes, 0), "kind", "todo");
    assert_json_str(json_array_get(nodes, 0), "label", "Write the docs"); /* a record node is labelled from its record */
    size_t i;
    json_t *n;
    bool saw_memory = false, saw_chat = false;
    json_array_foreach(nodes, i, n) {
        if (strcmp(jx_str(n, "id"), mid) == 0) {
            saw_memory = true;
            assert_json_str(n, "kind", "memory");
            assert_json_str(n, "label", "notes.md");
        }
        if (strcmp(jx_str(n, "id"), cid) == 0) {
            saw_chat = true;
            assert_json_str(n, "kind", "chat");
            assert_json_str(n, "label", "please document the WAL decision");
        }
    }
    assert_true(saw_memory && saw_chat);
    json_decref(r);

    /* A memory's node is not deleted on its own... */
    snprintf(q, sizeof q, "{\"action\":\"delete_node\",\"node_id\":\"%s\"}", mid);
    G_ERR(q, "it goes when that memory is deleted");
    /* ...but goes with the memory, edges and all. */
    snprintf(q, sizeof q, "{\"action\":\"delete\",\"doc_id\":%lld}", (long long)m);
    json_decref(tu_ok("memory_action", F->st, F->cfg, q));
    snprintf(q, sizeof q, "{\"action\":\"query\",\"entity\":\"%s\"}", mid);
    r = g_ok(state, q);
    assert_json_bool(r, "node_exists", false);
    json_decref(r);
    r = g_ok(state, "{\"action\":\"query\",\"entity\":\"tag:db\"}");
    assert_json_int(r, "count", 0);
    json_decref(r);
    snprintf(q, sizeof q, "{\"action\":\"query\",\"entity\":\"%s\"}", tid);
    r = g_ok(state, q);
    assert_json_int(r, "count", 1); /* only REQUESTED is left */
    json_decref(r);
    /* Deleting a todo removes its node too. */
    snprintf(q, sizeof q, "{\"action\":\"delete\",\"todo_id\":%s}", tid + 5);
    json_decref(tu_ok("todo_action", F->st, F->cfg, q));
    snprintf(q, sizeof q, "{\"action\":\"query\",\"entity\":\"%s\"}", cid);
    r = g_ok(state, q);
    assert_json_int(r, "count", 0);
    json_decref(r);
    /* And it can no longer be linked. */
    snprintf(q, sizeof q, "{\"action\":\"link\",\"source_id\":\"%s\",\"target_id\":\"x\",\"relation\":\"R\"}", tid);
    G_ERR(q, "does not exist in this project");
}

static void test_unlink_and_delete_node(void **state) {
    link3(state, NULL, "a", "b", "R1");
    link3(state, NULL, "a", "b", "R2");
    link3(state, NULL, "b", "a", "R1");
    link3(state, NULL, "a", "c", "R1");
    json_t *r = g_ok(state, "{\"action\":\"unlink\",\"source_id\":\"a\",\"target_id\":\"b\",\"relation\":\"R1\"}");
    assert_json_int(r, "relationships_removed", 1);
    json_decref(r);
    G_ERR("{\"action\":\"unlink\",\"source_id\":\"a\",\"target_id\":\"b\",\"relation\":\"R1\"}",
          "No R1 relationship from a to b");
    r = g_ok(state, "{\"action\":\"unlink\",\"source_id\":\"a\",\"target_id\":\"b\"}");
    assert_json_int(r, "relationships_removed", 1); /* R2; b -> a stays: edges are directed */
    json_decref(r);
    G_ERR("{\"action\":\"unlink\",\"source_id\":\"a\",\"target_id\":\"b\"}", "No relationship from a to b");
    G_ERR("{\"action\":\"unlink\",\"source_id\":\"a\",\"target_id\":\"zz\"}", "Node not found: zz");
    r = g_ok(state, "{\"action\":\"query\",\"entity\":\"b\"}");
    assert_json_int(r, "count", 1);
    json_decref(r);

    r = g_ok(state, "{\"action\":\"delete_node\",\"node_id\":\"a\"}");
    assert_json_bool(r, "deleted", true);
    assert_json_str(r, "kind", "entity");
    assert_json_int(r, "relationships_removed", 2);
    json_decref(r);
    G_ERR("{\"action\":\"delete_node\",\"node_id\":\"a\"}", "Node not found: a");
    r = g_ok(state, "{\"action\":\"stats\"}");
    assert_json_int(r, "total_nodes", 2);
    assert_json_int(r, "total_relationships", 0);
    json_decref(r);
}

static void test_projects_isolated(void **state) {
    link3(state, "alpha", "x", "y", "R");
    int64_t m = store_memory(state, "alpha", "a.md", "alpha only text", "[]");
    json_t *r = g_ok(state, "{\"action\":\"query\",\"entity\":\"x\",\"project\":\"beta\"}");
    assert_json_int(r, "count", 0);
    assert_json_bool(r, "node_exists", false);
    json_decref(r);
    G_ERR("{\"action\":\"traverse\",\"start_id\":\"x\",\"project\":\"beta\"}", "Node not found: x");
    G_ERR("{\"action\":\"path\",\"source_id\":\"x\",\"target_id\":\"y\",\"project\":\"beta\"}", "Node not found: x");
    G_ERR("{\"action\":\"unlink\",\"source_id\":\"x\",\"target_id\":\"y\",\"project\":\"beta\"}", "Node not found");
    char q[256];
    snprintf(q, sizeof q, "{\"action\":\"link\",\"source_id\":\"memory:%lld\",\"target_id\":\"y\",\"relation\":\"R\","
             "\"project\":\"beta\"}", (long long)m);
    G_ERR(q, "does not exist in this project");
    r = g_ok(state, "{\"action\":\"export\",\"project\":\"beta\"}");
    assert_json_int(r, "total_nodes", 0);
    assert_json_int(r, "total_edges", 0);
    json_decref(r);
    r = g_ok(state, "{\"action\":\"stats\",\"project\":\"beta\"}");
    assert_json_int(r, "total_nodes", 0);
    assert_json_int(json_object_get(r, "record_counts"), "memories", 0);
    json_decref(r);
    /* The same id in two projects is two nodes. */
    link3(state, "beta", "x", "z", "R");
    r = g_ok(state, "{\"action\":\"query\",\"entity\":\"x\",\"project\":\"alpha\"}");
    assert_json_int(r, "count", 1);
    assert_json_str(json_array_get(json_object_get(r, "relationships"), 0), "target_id", "y");
    json_decref(r);
}

/* ---- traverse and path ------------------------------------------------------------------ */

/*   a -R-> b -R-> c -R-> d -R-> e        a -S-> f -S-> e        g -R-> a        c -R-> a (a cycle) */
static void small_graph(void **state) {
    link3(state, NULL, "a", "b", "R");
    link3(state, NULL, "b", "c", "R");
    link3(state, NULL, "c", "d", "R");
    link3(state, NULL, "d", "e", "R");
    link3(state, NULL, "a", "f", "S");
    link3(state, NULL, "f", "e", "S");
    link3(state, NULL, "g", "a", "R");
    link3(state, NULL, "c", "a", "R");
}

static const char *node_ids(json_t *r, char *buf, size_t len) {
    size_t n = 0, i;
    json_t *x;
    buf[0] = '\0';
    json_array_foreach(json_object_get(r, "nodes"), i, x) {
        n += (size_t)snprintf(buf + n, len - n, "%s%s", i ? "," : "", jx_str(x, "id"));
        if (json_object_get(x, "depth")) n += (size_t)snprintf(buf + n, len - n, "@%lld", (long long)jx_int(x, "depth", -1));
    }
    return buf;
}

static void test_traverse(void **state) {
    small_graph(state);
    char buf[512];
    json_t *r = g_ok(state, "{\"action\":\"traverse\",\"start_id\":\"a\"}");
    /* Depth 2 both ways by default: nearest first, then by id; each node once at its least depth. */
    assert_string_equal(node_ids(r, buf, sizeof buf), "a@0,b@1,c@1,f@1,g@1,d@2,e@2");
    assert_json_int(r, "total_count", 7);
    assert_json_bool(r, "truncated", false);
    /* The relationships among the page's nodes: here, all of them. */
    assert_int_equal(json_array_size(json_object_get(r, "relationships")), 8);
    json_decref(r);
    r = g_ok(state, "{\"action\":\"traverse\",\"start_id\":\"a\",\"depth\":1,\"direction\":\"outgoing\"}");
    assert_string_equal(node_ids(r, buf, sizeof buf), "a@0,b@1,f@1");
    assert_int_equal(json_array_size(json_object_get(r, "relationships")), 2);
    json_decref(r);
    r = g_ok(state, "{\"action\":\"traverse\",\"start_id\":\"a\",\"depth\":6,\"direction\":\"outgoing\",\"relation_type\":\"R\"}");
    assert_string_equal(node_ids(r, buf, sizeof buf), "a@0,b@1,c@2,d@3,e@4");
    json_decref(r);
    r = g_ok(state, "{\"action\":\"traverse\",\"start_id\":\"a\",\"depth\":3,\"direction\":\"incoming\"}");
    assert_string_equal(node_ids(r, buf, sizeof buf), "a@0,c@1,g@1,b@2");
    json_decref(r);
    /* Paging. */
    r = g_ok(state, "{\"action\":\"traverse\",\"start_id\":\"a\",\"depth\":2,\"limit\":3,\"offset\":3}");
    assert_string_equal(node_ids(r, buf, sizeof buf), "f@1,g@1,d@2");
    assert_json_int(r, "total_count", 7);
    assert_json_bool(r, "has_more", true);
    json_decref(r);
    r = g_ok(state, "{\"action\":\"traverse\",\"start_id\":\"a\",\"depth\":2,\"limit\":3,\"offset\":30}");
    assert_json_int(r, "count", 0);
    assert_json_int(r, "total_count", 7);
    assert_json_bool(r, "has_more", false);
    json_decref(r);

    G_ERR("{\"action\":\"traverse\",\"start_id\":\"nowhere\"}", "Node not found: nowhere");
    G_ERR("{\"action\":\"traverse\",\"start_id\":\"a\",\"depth\":7}", "expected an integer from 1 to 6");
    G_ERR("{\"action\":\"traverse\",\"start_id\":\"a\",\"depth\":0}", "expected an integer from 1 to 6");
    G_ERR("{\"action\":\"traverse\",\"start_id\":\"a\",\"direction\":\"sideways\"}", "expected one of: both, outgoing");
    G_ERR("{\"action\":\"traverse\",\"start_id\":\"a\",\"limit\":0}", "'limit'");
}

static void test_traverse_relationships_listed(void **state) {
    small_graph(state);
    json_t *r = g_ok(state, "{\"action\":\"traverse\",\"start_id\":\"a\",\"depth\":6}");
    /* Every node is reached, so every edge is among the page's nodes. */
    assert_json_int(r, "count", 7);
    assert_int_equal(json_array_size(json_object_get(r, "relationships")), 8);
    json_decref(r);
    r = g_ok(state, "{\"action\":\"traverse\",\"start_id\":\"e\",\"depth\":1}");
    json_t *rels = json_object_get(r, "relationships");
    assert_int_equal(json_array_size(rels), 2); /* d -> e, f -> e */
    json_decref(r);
}

static void test_traverse_row_limit(void **state) {
    /* A star of 300 leaves around a hub: with a row limit of 100 the walk
     * is cut and says so. Through the engine, whose limit is a parameter. */
    for (int i = 0; i < 300; i++) {
        char leaf[16];
        snprintf(leaf, sizeof leaf, "leaf%03d", i);
        link3(state, NULL, "hub", leaf, "R");
    }
    walk_query q = {"default", "hub", NULL, GRAPH_BOTH, 2, 50, 0, 100, 0};
    json_t *out = json_object();
    lt_err err;
    assert_int_equal(graph_traverse(F->st, &q, out, &err), 0);
    assert_json_bool(out, "truncated", true);
    assert_contains(jx_str(out, "message"), "row limit");
    assert_true(jx_int(out, "total_count", 0) <= 100);
    json_decref(out);
    q.max_rows = 0; /* the default limit is far away */
    out = json_object();
    assert_int_equal(graph_traverse(F->st, &q, out, &err), 0);
    assert_json_bool(out, "truncated", false);
    assert_json_int(out, "total_count", 301);
    assert_json_int(out, "count", 50);
    json_decref(out);
}

/* A walk that runs past its time limit is stopped, with a message saying
 * what to do; the connection stays usable. Through the engine, whose limit
 * is a parameter (the tool's is 2 s). */
static void test_walk_time_limit(void **state) {
    lt_err err;
    /* 20,000 nodes, three edges out of each: a depth-6 walk from anywhere
     * produces tens of thousands of rows. */
    const char *sql =
        "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 19999)"
        " INSERT INTO graph_nodes(id, project, node_key, kind, created_at) SELECT i + 1, 'slow', 'n' || i, 'entity', 't' FROM n;"
        "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 19999)"
        " INSERT OR IGNORE INTO graph_edges(project, src, dst, relation, created_at)"
        " SELECT 'slow', i + 1, (i * 7 + 1) % 20000 + 1, 'R', 't' FROM n WHERE (i * 7 + 1) % 20000 != i UNION ALL"
        " SELECT 'slow', i + 1, (i * 13 + 5) % 20000 + 1, 'R', 't' FROM n WHERE (i * 13 + 5) % 20000 != i UNION ALL"
        " SELECT 'slow', i + 1, (i * 31 + 11) % 20000 + 1, 'R', 't' FROM n WHERE (i * 31 + 11) % 20000 != i;";
    if (store_exec(F->st, sql, &err)) fail_msg("%s", err.msg);
    walk_query q = {"slow", "n0", NULL, GRAPH_BOTH, 6, 10, 0, 0, 1};
    json_t *out = json_object();
    lt_err_clear(&err);
    assert_int_equal(graph_traverse(F->st, &q, out, &err), -1);
    assert_int_equal(err.code, LT_ERR_TIMEOUT);
    assert_string_equal(err.msg, "The traversal was stopped after 1 ms: use a smaller depth or a relation_type filter");
    json_decref(out);
    out = json_object();
    assert_int_equal(graph_path(F->st, &q, "n19999", out, &err), -1);
    assert_int_equal(err.code, LT_ERR_TIMEOUT);
    assert_contains(err.msg, "The path search was stopped after 1 ms");
    json_decref(out);
    /* With the default limit the same walk completes. */
    q.time_limit_ms = 0;
    q.depth = 3;
    out = json_object();
    assert_int_equal(graph_traverse(F->st, &q, out, &err), 0);
    assert_true(jx_int(out, "total_count", 0) > 10);
    json_decref(out);
}

static void test_path(void **state) {
    small_graph(state);
    char buf[512];
    /* a..e: a -S-> f -S-> e (2) beats a -> b -> c -> d -> e (4). */
    json_t *r = g_ok(state, "{\"action\":\"path\",\"source_id\":\"a\",\"target_id\":\"e\"}");
    assert_json_bool(r, "found", true);
    assert_json_int(r, "length", 2);
    assert_string_equal(node_ids(r, buf, sizeof buf), "a,f,e");
    json_t *rels = json_object_get(r, "relationships");
    assert_int_equal(json_array_size(rels), 2);
    assert_json_str(json_array_get(rels, 0), "source_id", "a");
    assert_json_str(json_array_get(rels, 0), "target_id", "f");
    assert_json_str(json_array_get(rels, 0), "relationship_type", "S");
    json_decref(r);
    /* Only R, either way: a <- c -> d -> e. */
    r = g_ok(state, "{\"action\":\"path\",\"source_id\":\"a\",\"target_id\":\"e\",\"relation_type\":\"R\"}");
    assert_json_int(r, "length", 3);
    assert_string_equal(node_ids(r, buf, sizeof buf), "a,c,d,e");
    assert_json_str(json_array_get(json_object_get(r, "relationships"), 0), "source_id", "c"); /* real direction */
    json_decref(r);
    /* Only R, along the edges: the long way. */
    r = g_ok(state, "{\"action\":\"path\",\"source_id\":\"a\",\"target_id\":\"e\",\"relation_type\":\"R\","
                    "\"direction\":\"outgoing\"}");
    assert_json_int(r, "length", 4);
    assert_string_equal(node_ids(r, buf, sizeof buf), "a,b,c,d,e");
    json_decref(r);
    /* ...unless that is longer than max_depth. */
    r = g_ok(state, "{\"action\":\"path\",\"source_id\":\"a\",\"target_id\":\"e\",\"relation_type\":\"R\",\"max_depth\":3,"
                    "\"direction\":\"outgoing\"}");
    assert_json_bool(r, "found", false);
    assert_true(json_is_null(json_object_get(r, "length")));
    assert_int_equal(json_array_size(json_object_get(r, "nodes")), 0);
    json_decref(r);
    /* Directions: e -> a does not exist along the edges, but does against them. */
    r = g_ok(state, "{\"action\":\"path\",\"source_id\":\"e\",\"target_id\":\"g\",\"direction\":\"outgoing\"}");
    assert_json_bool(r, "found", false);
    json_decref(r);
    r = g_ok(state, "{\"action\":\"path\",\"source_id\":\"e\",\"target_id\":\"g\",\"direction\":\"incoming\"}");
    assert_json_bool(r, "found", true);
    assert_string_equal(node_ids(r, buf, sizeof buf), "e,f,a,g");
    json_decref(r);
    r = g_ok(state, "{\"action\":\"path\",\"source_id\":\"g\",\"target_id\":\"e\",\"direction\":\"outgoing\"}");
    assert_string_equal(node_ids(r, buf, sizeof buf), "g,a,f,e");
    json_decref(r);
    /* Paths of every length from 1 to 6 along a chain, odd and even. */
    for (int i = 0; i < 6; i++) {
        char s[8], t[8];
        snprintf(s, sizeof s, "n%d", i);
        snprintf(t, sizeof t, "n%d", i + 1);
        link3(state, NULL, s, t, "NEXT");
    }
    for (int len = 1; len <= 6; len++) {
        char q[200];
        snprintf(q, sizeof q, "{\"action\":\"path\",\"source_id\":\"n0\",\"target_id\":\"n%d\",\"max_depth\":6}", len);
        r = g_ok(state, q);
        assert_json_bool(r, "found", true);
        assert_json_int(r, "length", len);
        assert_int_equal(json_array_size(json_object_get(r, "nodes")), (size_t)len + 1);
        json_decref(r);
        snprintf(q, sizeof q, "{\"action\":\"path\",\"source_id\":\"n%d\",\"target_id\":\"n0\",\"max_depth\":%d}", len,
                 len);
        r = g_ok(state, q);
        assert_json_int(r, "length", len);
        json_decref(r);
    }
    /* A node to itself: a path of length 0. */
    r = g_ok(state, "{\"action\":\"path\",\"source_id\":\"c\",\"target_id\":\"c\"}");
    assert_json_bool(r, "found", true);
    assert_json_int(r, "length", 0);
    assert_string_equal(node_ids(r, buf, sizeof buf), "c");
    json_decref(r);
    G_ERR("{\"action\":\"path\",\"source_id\":\"a\",\"target_id\":\"nowhere\"}", "Node not found: nowhere");
    G_ERR("{\"action\":\"path\",\"source_id\":\"a\"}", "Missing required parameter: target_id");
    G_ERR("{\"action\":\"path\",\"source_id\":\"a\",\"target_id\":\"e\",\"max_depth\":7}", "from 1 to 6");
}

/* ---- auto_link ------------------------------------------------------------------------------ */

static void test_auto_link(void **state) {
    /* The hash embedder shares words, so near-identical texts are close. */
    json_t *r = g_ok(state,
                     "{\"action\":\"auto_link\",\"documents\":["
                     "{\"id\":\"d1\",\"content\":\"sqlite write ahead log checkpoint database\",\"type\":\"note\"},"
                     "{\"id\":\"d2\",\"content\":\"sqlite write ahead log checkpoint database tuning\"},"
                     "{\"id\":\"d3\",\"content\":\"sqlite write ahead log checkpoint database wal\"},"
                     "{\"id\":\"d4\",\"content\":\"bananas apples oranges fruit salad\"}],"
                     "\"similarity_threshold\":0.6,\"max_links_per_document\":1}");
    assert_json_int(r, "documents_processed", 4);
    /* Three similar documents, one link each at most: only one pair fits. */
    assert_json_int(r, "links_created", 1);
    json_t *links = json_object_get(r, "links");
    assert_int_equal(json_array_size(links), 1);
    json_t *l = json_array_get(links, 0);
    assert_true(jx_real(l, "similarity_score") >= 0.6);
    assert_true(strcmp(jx_str(l, "source_id"), jx_str(l, "target_id")) < 0);
    assert_json_bool(r, "links_truncated", false);
    json_decref(r);

    r = g_ok(state,
             "{\"action\":\"auto_link\",\"documents\":["
             "{\"id\":\"d1\",\"content\":\"sqlite write ahead log checkpoint database\"},"
             "{\"id\":\"d2\",\"content\":\"sqlite write ahead log checkpoint database tuning\"},"
             "{\"id\":\"d3\",\"content\":\"sqlite write ahead log checkpoint database wal\"},"
             "{\"id\":\"d4\",\"content\":\"bananas apples oranges fruit salad\"}],"
             "\"similarity_threshold\":0.6}");
    /* With room for 5 each: all three pairs; the existing one is updated. */
    assert_json_int(r, "links_created", 2);
    assert_json_int(r, "links_updated", 1);
    json_decref(r);
    r = g_ok(state, "{\"action\":\"query\",\"entity\":\"d4\"}");
    assert_json_int(r, "count", 0); /* unrelated: no link, but a node */
    assert_json_bool(r, "node_exists", true);
    json_decref(r);
    r = g_ok(state, "{\"action\":\"query\",\"entity\":\"d1\",\"relation_type\":\"SIMILAR_TO\"}");
    assert_json_int(r, "count", 2);
    json_t *e = json_array_get(json_object_get(r, "relationships"), 0);
    double sim = jx_real(json_object_get(e, "properties"), "similarity_score");
    assert_true(sim >= 0.6 && sim <= 1.0);
    assert_true(fabs(jx_real(e, "weight") - sim) < 1e-9);
    json_decref(r);
    /* The node got the document's type. */
    r = g_ok(state, "{\"action\":\"export\"}");
    json_t *nodes = json_object_get(json_object_get(r, "graph"), "nodes");
    assert_json_str(json_object_get(json_array_get(nodes, 0), "properties"), "type", "note");
    json_decref(r);
    /* A threshold nothing reaches. */
    r = g_ok(state, "{\"action\":\"auto_link\",\"documents\":[{\"id\":\"x1\",\"content\":\"alpha beta\"},"
                    "{\"id\":\"x2\",\"content\":\"gamma delta\"}],\"similarity_threshold\":0.99}");
    assert_json_int(r, "links_created", 0);
    json_decref(r);

    /* memory:<id> documents may use the memory's own text. */
    int64_t m1 = store_memory(state, "default", "a.md", "the deployment pipeline runs kubernetes rollouts nightly", "[]");
    int64_t m2 = store_memory(state, "default", "b.md", "the deployment pipeline runs kubernetes rollouts weekly", "[]");
    char q[512];
    snprintf(q, sizeof q, "{\"action\":\"auto_link\",\"documents\":[{\"id\":\"memory:%lld\"},{\"id\":\"memory:%lld\"}],"
             "\"similarity_threshold\":0.5}", (long long)m1, (long long)m2);
    r = g_ok(state, q);
    assert_json_int(r, "links_created", 1);
    json_decref(r);

    /* 50 identical documents: 1225 links, of which the result lists 1000. */
    json_t *docs = json_array();
    for (int i = 0; i < 50; i++) {
        char id[8];
        snprintf(id, sizeof id, "s%d", i);
        json_array_append_new(docs, json_pack("{s:s, s:s}", "id", id, "content", "the very same words"));
    }
    r = callj(state, "graph_action", json_pack("{s:s, s:o, s:f, s:i, s:s}", "action", "auto_link", "documents", docs,
                                               "similarity_threshold", 0.9, "max_links_per_document", 100, "project",
                                               "many"), true);
    assert_json_int(r, "links_created", 1225);
    assert_int_equal(json_array_size(json_object_get(r, "links")), 1000);
    assert_json_bool(r, "links_truncated", true);
    json_decref(r);

    G_ERR("{\"action\":\"auto_link\"}", "Missing required parameter: documents");
    G_ERR("{\"action\":\"auto_link\",\"documents\":[{\"id\":\"e1\"}]}", "missing required field content");
    G_ERR("{\"action\":\"auto_link\",\"documents\":[{\"content\":\"x\"}]}", "documents[0]: missing required field id");
    G_ERR("{\"action\":\"auto_link\",\"documents\":[{\"id\":\"a\",\"content\":\"x\"},{\"id\":\"a\",\"content\":\"y\"}]}",
          "also appears at documents[0]");
    G_ERR("{\"action\":\"auto_link\",\"documents\":[{\"id\":\"a\",\"content\":5}]}", "documents[0].content");
    G_ERR("{\"action\":\"auto_link\",\"documents\":[{\"id\":\"a\",\"text\":\"x\"}]}", "unknown field 'text'");
    G_ERR("{\"action\":\"auto_link\",\"documents\":[\"a\"]}", "documents[0] must be an object");
    G_ERR("{\"action\":\"auto_link\",\"documents\":[],\"similarity_threshold\":1.5}", "similarity_threshold");
    G_ERR("{\"action\":\"auto_link\",\"documents\":[],\"max_links_per_document\":0}", "max_links_per_document");
    G_ERR("{\"action\":\"auto_link\",\"documents\":[{\"id\":\"memory:99999\"}]}", "Memory 99999 not found");
}

/* ---- export and import ------------------------------------------------------------------------ */

/* Names no quoting scheme should be able to trip on. */
static const char *const hostile[] = {
    "O'Brien \"quoted\" back\\slash `tick` ``double``",
    "new\nline\r\ncarriage\ttab",
    "unicode é 中文 🚀 \xe2\x80\xa8 sep",
    "ctrl \x01\x02\x1f del \x7f",
    "cypher injection'}) DETACH DELETE n //",
    "<xml attr=\"x\">&amp; &lt;/graphml>]]>",
    "ends with backslash\\",
    "'",
    NULL};

static void hostile_graph(void **state, const char *project) {
    for (int i = 0; hostile[i]; i++) {
        int j = hostile[i + 1] ? i + 1 : 0;
        json_t *props = json_pack("{s:s, s:i, s:f, s:b, s:[s,s], s:[i,s], s:{s:s}}", hostile[i], hostile[j], "int", i,
                                  "real", i + 0.25, "flag", i % 2, "list", hostile[i], "x", "mixed", 1, "a", "nested",
                                  "k", hostile[i]);
        json_t *a = json_pack("{s:s, s:s, s:s, s:s, s:o, s:f}", "action", "link", "source_id", hostile[i], "target_id",
                              hostile[j], "relation", hostile[(i + 2) % 8], "properties", props, "weight", 0.125 * i);
        jx_set_str(a, "project", project);
        json_decref(callj(state, "graph_action", a, true));
    }
}

/* All pages of the json export, concatenated. */
static json_t *export_all(void **state, const char *project, int64_t page) {
    json_t *all = json_pack("{s:[], s:[]}", "nodes", "edges");
    int64_t offset = 0;
    for (int pages = 0; pages < 10000; pages++) {
        json_t *a = json_pack("{s:s, s:s, s:s, s:I, s:I}", "action", "export", "project", project, "format", "json",
                              "offset", (json_int_t)offset, "limit", (json_int_t)page);
        json_t *r = callj(state, "graph_action", a, true);
        json_t *g = json_object_get(r, "graph");
        json_array_extend(json_object_get(all, "nodes"), json_object_get(g, "nodes"));
        json_array_extend(json_object_get(all, "edges"), json_object_get(g, "edges"));
        assert_true(jx_int(r, "node_count", 0) + jx_int(r, "edge_count", 0) <= page);
        json_t *next = json_object_get(r, "next_offset");
        bool more = json_is_integer(next);
        assert_int_equal(jx_bool(r, "has_more", false), more);
        if (more) {
            assert_int_equal(json_integer_value(next), offset + jx_int(r, "node_count", 0) + jx_int(r, "edge_count", 0));
            offset = json_integer_value(next);
        }
        json_decref(r);
        if (!more) return all;
    }
    fail_msg("export never ended");
    return NULL;
}

static void test_json_export_roundtrip(void **state) {
    hostile_graph(state, "src");
    int64_t m = store_memory(state, "src", "m.md", "a memory with tags", "[\"t1\",\"t 2\"]");
    char mid[32];
    snprintf(mid, sizeof mid, "memory:%lld", (long long)m);
    link3(state, "src", mid, hostile[0], "ABOUT");
    json_t *before = export_all(state, "src", 1000);
    json_t *paged = export_all(state, "src", 3);
    assert_true(json_equal(before, paged)); /* pages add up to the whole */
    size_t n_nodes = json_array_size(json_object_get(before, "nodes"));
    size_t n_edges = json_array_size(json_object_get(before, "edges"));
    assert_int_equal(n_nodes, 8 + 3); /* 8 hostile, the memory, 2 tags */
    assert_int_equal(n_edges, 8 + 2 + 1);

    /* Import the pages, in order, into another project. */
    int64_t offset = 0;
    for (;;) {
        json_t *a = json_pack("{s:s, s:s, s:I, s:i}", "action", "export", "project", "src", "offset", (json_int_t)offset,
                              "limit", 4);
        json_t *page = callj(state, "graph_action", a, true);
        json_t *imp = json_pack("{s:s, s:s, s:O}", "action", "import", "project", "copy", "data",
                                json_object_get(page, "graph"));
        json_t *r = callj(state, "graph_action", imp, true);
        assert_int_equal(jx_int(r, "nodes_imported", -1) + jx_int(r, "edges_imported", -1), jx_int(page, "node_count", 0) +
                                                                                            jx_int(page, "edge_count", 0));
        json_decref(r);
        json_t *next = json_object_get(page, "next_offset");
        offset = json_is_integer(next) ? json_integer_value(next) : -1;
        json_decref(page);
        if (offset < 0) break;
    }
    json_t *after = export_all(state, "copy", 1000);
    if (!json_equal(before, after)) {
        char *x = jx_dump(before), *y = jx_dump(after);
        fail_msg("round trip changed the graph:\n%s\n%s", x, y);
    }
    /* Importing the whole thing again changes nothing. */
    json_t *imp = json_pack("{s:s, s:s, s:O}", "action", "import", "project", "copy", "data", before);
    json_t *r = callj(state, "graph_action", imp, true);
    assert_json_int(r, "nodes_created", 0);
    assert_json_int(r, "edges_created", 0);
    assert_json_int(r, "nodes_imported", (int64_t)n_nodes);
    json_decref(r);
    json_t *again = export_all(state, "copy", 1000);
    assert_true(json_equal(before, again));
    /* Traversals agree between the two projects. */
    json_t *a = json_pack("{s:s, s:s, s:s, s:i}", "action", "traverse", "project", "src", "start_id", hostile[3], "depth", 3);
    json_t *t1 = callj(state, "graph_action", a, true);
    a = json_pack("{s:s, s:s, s:s, s:i}", "action", "traverse", "project", "copy", "start_id", hostile[3], "depth", 3);
    json_t *t2 = callj(state, "graph_action", a, true);
    assert_true(json_equal(json_object_get(t1, "nodes"), json_object_get(t2, "nodes")));
    assert_true(json_equal(json_object_get(t1, "relationships"), json_object_get(t2, "relationships")));
    json_decref(t1);
    json_decref(t2);
    json_decref(before);
    json_decref(paged);
    json_decref(after);
    json_decref(again);
}

static void test_import_errors(void **state) {
    G_ERR("{\"action\":\"import\"}", "Missing required parameter: data");
    G_ERR("{\"action\":\"import\",\"data\":[1]}", "Invalid type for parameter 'data': expected object, got array");
    G_ERR("{\"action\":\"import\",\"data\":{\"graph\":{}}}", "unknown field 'graph'");
    G_ERR("{\"action\":\"import\",\"data\":{\"nodes\":5}}", "data.nodes must be an array");
    G_ERR("{\"action\":\"import\",\"data\":{\"nodes\":[{\"kind\":\"entity\"}]}}", "nodes[0]: missing required field id");
    G_ERR("{\"action\":\"import\",\"data\":{\"nodes\":[{\"id\":\"memory:4\",\"kind\":\"entity\"}]}}",
          "kind 'entity' does not match id 'memory:4' (its kind is memory)");
    G_ERR("{\"action\":\"import\",\"data\":{\"nodes\":[{\"id\":\"a\",\"created_at\":\"yesterday\"}]}}",
          "nodes[0].created_at: 'yesterday' is not an ISO-8601 time");
    G_ERR("{\"action\":\"import\",\"data\":{\"nodes\":[{\"id\":\"a\",\"properties\":[]}]}}",
          "Invalid type for nodes[0].properties: expected object");
    G_ERR("{\"action\":\"import\",\"data\":{\"nodes\":[{\"id\":\"a\",\"size\":1}]}}", "nodes[0]: unknown field 'size'");
    G_ERR("{\"action\":\"import\",\"data\":{\"edges\":[{\"source_id\":\"a\",\"target_id\":\"b\"}]}}",
          "edges[0]: missing required field relationship_type");
    G_ERR("{\"action\":\"import\",\"data\":{\"edges\":[{\"source_id\":\"a\",\"target_id\":\"b\",\"relationship_type\":\"R\","
          "\"weight\":\"1\"}]}}", "edges[0].weight: expected number, got string");
    G_ERR("{\"action\":\"import\",\"data\":{\"edges\":[{\"source_id\":\"a\",\"target_id\":\"a\",\"relationship_type\":\"R\"}]}}",
          "edges[0]: A node cannot be linked to itself");
    G_ERR("{\"action\":\"import\",\"data\":{\"nodes\":[{\"id\":\"memory:x\"}]}}", "nodes[0]: Invalid node id");
    /* All or nothing: a bad edge after good nodes leaves nothing behind. */
    G_ERR("{\"action\":\"import\",\"data\":{\"nodes\":[{\"id\":\"a\"},{\"id\":\"b\"}],\"edges\":[{\"source_id\":\"a\","
          "\"target_id\":\"b\",\"relationship_type\":\"R\"},{\"source_id\":\"b\",\"target_id\":\"b\",\"relationship_type\":\"R\"}]}}",
          "edges[1]");
    json_t *r = g_ok(state, "{\"action\":\"stats\"}");
    assert_json_int(r, "total_nodes", 0);
    json_decref(r);
    /* Too many items for one call. */
    json_t *nodes = json_array();
    for (int i = 0; i <= IMPORT_MAX_ITEMS; i++) {
        char id[16];
        snprintf(id, sizeof id, "n%d", i);
        json_array_append_new(nodes, json_pack("{s:s}", "id", id));
    }
    json_t *a = json_pack("{s:s, s:{s:o}}", "action", "import", "data", "nodes", nodes);
    r = callj(state, "graph_action", a, false);
    assert_contains(jx_str(r, "error"), "limit 20000 per call");
    json_decref(r);
    /* Edge ends missing from the data are created; a missing record is not checked. */
    r = g_ok(state, "{\"action\":\"import\",\"data\":{\"edges\":[{\"source_id\":\"memory:777\",\"target_id\":\"q\","
                    "\"relationship_type\":\"R\",\"weight\":2}]}}");
    assert_json_int(r, "nodes_created", 0);
    assert_json_int(r, "edges_created", 1);
    json_decref(r);
    r = g_ok(state, "{\"action\":\"query\",\"entity\":\"memory:777\"}");
    assert_json_int(r, "count", 1);
    assert_true(jx_real(json_array_get(json_object_get(r, "relationships"), 0), "weight") == 2.0);
    json_decref(r);
}

/* ---- Cypher ------------------------------------------------------------------------------------ */

/* Appends the UTF-8 of code point cp. */
static size_t put_utf8(char *out, uint32_t cp) {
    if (cp < 0x80) { out[0] = (char)cp; return 1; }
    if (cp < 0x800) { out[0] = (char)(0xc0 | cp >> 6); out[1] = (char)(0x80 | (cp & 0x3f)); return 2; }
    out[0] = (char)(0xe0 | cp >> 12);
    out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
    out[2] = (char)(0x80 | (cp & 0x3f));
    return 3;
}

typedef struct {
    char *items[64];   /* decoded string literals and identifiers, in order */
    char kind[64];     /* 's' literal, 'i' identifier */
    int n;
} cypher_tokens;

static void tokens_free(cypher_tokens *t) {
    for (int i = 0; i < t->n; i++) free(t->items[i]);
    t->n = 0;
}

/* Reads one statement of a script the way Neo4j's lexer reads what the
 * export writes: 'string' literals with backslash escapes, `names` in
 * backticks with `` for a backtick (anything else, line breaks included, is
 * taken as it is there), and everything else as bare punctuation, words and
 * numbers. A statement ends at a ';' outside quotes, followed by a line
 * break or the end. Returns where the next statement starts, or NULL at the
 * end of the script. Fails the test on an unterminated literal, an unknown
 * escape, a raw control character outside a name, unbalanced brackets or a
 * script that does not end with ';'. */
static const char *cypher_next(const char *stmt, cypher_tokens *t) {
    t->n = 0;
    if (!*stmt) return NULL;
    int depth[3] = {0, 0, 0}; /* () {} [] */
    const char *p = stmt;
    for (;;) {
        unsigned char c = (unsigned char)*p;
        if (!c) fail_msg("statement does not end with ';': %.300s", stmt);
        if (c < 0x20 || c == 0x7f) fail_msg("raw control character 0x%02x outside a literal in: %.300s", c, stmt);
        if (c == '\'' || c == '`') {
            char *buf = malloc(strlen(p) * 3 + 1);
            size_t n = 0;
            p++;
            for (;;) {
                if (!*p) fail_msg("unterminated %s in: %.300s", c == '\'' ? "string" : "name", stmt);
                unsigned char d = (unsigned char)*p;
                if (c == '`') {
                    if (d == '`' && p[1] == '`') { buf[n++] = '`'; p += 2; continue; }
                    if (d == '`') { p++; break; }
                    buf[n++] = (char)d;
                    p++;
                    continue;
                }
                if (d < 0x20 || d == 0x7f) fail_msg("raw control character in a string literal: %.300s", stmt);
                if (d == '\'') { p++; break; }
                if (d != '\\') { buf[n++] = (char)d; p++; continue; }
                p++;
                switch (*p) {
                case '\\': buf[n++] = '\\'; break;
                case '\'': buf[n++] = '\''; break;
                case '"': buf[n++] = '"'; break;
                case 'n': buf[n++] = '\n'; break;
                case 'r': buf[n++] = '\r'; break;
                case 't': buf[n++] = '\t'; break;
                case 'b': buf[n++] = '\b'; break;
                case 'f': buf[n++] = '\f'; break;
                case 'u': {
                    unsigned cp;
                    for (int k = 1; k <= 4; k++)
                        if (!isxdigit((unsigned char)p[k])) fail_msg("bad \\u escape in: %.300s", stmt);
                    if (sscanf(p + 1, "%4x", &cp) != 1) fail_msg("bad \\u escape in: %.300s", stmt);
                    n += put_utf8(buf + n, cp);
                    p += 4;
                    break;
                }
                default: fail_msg("unknown escape \\%c in: %.300s", *p, stmt);
                }
                p++;
            }
            buf[n] = '\0';
            assert_true(t->n < 64);
            t->kind[t->n] = c == '\'' ? 's' : 'i';
            t->items[t->n++] = buf;
            continue;
        }
        if (c == ';') {
            if (depth[0] || depth[1] || depth[2]) fail_msg("unbalanced brackets in: %.300s", stmt);
            if (p[1] == '\n') return p + 2;
            if (p[1] == '\0') return p + 1;
            fail_msg("';' inside a statement: %.300s", stmt);
        }
        const char *open = "({[", *close = ")}]";
        if (strchr(open, c)) depth[strchr(open, c) - open]++;
        if (strchr(close, c) && --depth[strchr(close, c) - close] < 0) fail_msg("unbalanced %c in: %.300s", c, stmt);
        if (c == '"') fail_msg("a double-quoted string outside a literal: %.300s", stmt);
        p++;
    }
}

/* The whole of text is exactly one statement. */
static void cypher_parse(const char *text, cypher_tokens *t) {
    const char *next = cypher_next(text, t);
    if (!next || *next) fail_msg("not exactly one statement: %.300s", text);
}

static bool has_token(const cypher_tokens *t, char kind, const char *value) {
    for (int i = 0; i < t->n; i++)
        if (t->kind[i] == kind && strcmp(t->items[i], value) == 0) return true;
    return false;
}

static void test_cypher_quoting(void **state) {
    (void)state;
    for (int i = 0; hostile[i]; i++) {
        char *lit = cypher_string(hostile[i]), *id = cypher_identifier(hostile[i]);
        char stmt[2048];
        snprintf(stmt, sizeof stmt, "RETURN %s AS %s;", lit, id);
        cypher_tokens t;
        cypher_parse(stmt, &t);
        assert_int_equal(t.n, 2);
        assert_string_equal(t.items[0], hostile[i]);
        assert_string_equal(t.items[1], hostile[i]);
        assert_null(strchr(lit, '\n'));
        tokens_free(&t);
        free(lit);
        free(id);
    }
    char *s = cypher_string("a'b\\c");
    assert_string_equal(s, "'a\\'b\\\\c'");
    free(s);
    s = cypher_identifier("we`ird");
    assert_string_equal(s, "`we``ird`");
    free(s);
    s = cypher_string("\x01\n");
    assert_string_equal(s, "'\\u0001\\n'");
    free(s);
}

static void test_cypher_export(void **state) {
    hostile_graph(state, "p'`\\");
    json_t *r = g_ok(state, "{\"action\":\"export\",\"format\":\"cypher\",\"project\":\"p'`\\\\\"}");
    assert_json_str(r, "format", "cypher");
    int64_t n_nodes = jx_int(r, "total_nodes", 0), n_edges = jx_int(r, "total_edges", 0);
    assert_int_equal(n_nodes, 8);
    assert_int_equal(n_edges, 8);
    assert_json_bool(r, "has_more", false);
    /* One statement per line, one per node and per edge. */
    char *text = strdup(jx_str(r, "content"));
    json_decref(r);
    int lines = 0, merges = 0, matches = 0;
    bool seen_node[8] = {false}, seen_rel[8] = {false};
    cypher_tokens t;
    for (const char *line = text, *next; (next = cypher_next(line, &t)) != NULL; line = next) {
        lines++;
        assert_string_equal(t.items[0], "p'`\\"); /* the project survives too */
        if (strncmp(line, "MERGE (n:LtmcNode", 17) == 0) {
            merges++;
            for (int i = 0; i < 8; i++)
                if (strcmp(t.items[1], hostile[i]) == 0) seen_node[i] = true;
            assert_true(has_token(&t, 'i', "Entity"));
        } else if (strncmp(line, "MATCH (a:LtmcNode", 17) == 0) {
            matches++;
            for (int i = 0; i < 8; i++) {
                if (has_token(&t, 'i', hostile[i])) seen_rel[i] = true; /* the relationship type */
            }
            /* Property keys and values of the edge come back exactly. */
            int src = 0;
            while (src < 8 && strcmp(t.items[1], hostile[src]) != 0) src++;
            assert_true(src < 8);
            int dst = hostile[src + 1] ? src + 1 : 0;
            assert_string_equal(t.items[3], hostile[dst]);
            assert_true(has_token(&t, 'i', hostile[src]));  /* key */
            assert_true(has_token(&t, 's', hostile[dst]));  /* value */
        } else {
            fail_msg("unexpected statement: %.300s", line);
        }
        tokens_free(&t);
    }
    free(text);
    assert_int_equal(lines, n_nodes + n_edges);
    assert_int_equal(merges, n_nodes);
    assert_int_equal(matches, n_edges);
    for (int i = 0; i < 8; i++) assert_true(seen_node[i] && seen_rel[i]);

    /* Paged, the pages hold every statement once. */
    int total = 0;
    int64_t offset = 0;
    while (offset >= 0) {
        json_t *a = json_pack("{s:s, s:s, s:s, s:I, s:i}", "action", "export", "format", "cypher", "project", "p'`\\",
                              "offset", (json_int_t)offset, "limit", 5);
        json_t *page = callj(state, "graph_action", a, true);
        cypher_tokens pt;
        for (const char *c = jx_str(page, "content"); (c = cypher_next(c, &pt)) != NULL;) {
            total++;
            tokens_free(&pt);
        }
        json_t *next = json_object_get(page, "next_offset");
        offset = json_is_integer(next) ? json_integer_value(next) : -1;
        json_decref(page);
    }
    assert_int_equal(total, n_nodes + n_edges);
}

/* ---- GraphML -------------------------------------------------------------------------------------- */

/* XML's view of s: forbidden control characters become U+FFFD. */
static char *xml_view(const char *s) {
    char *out = malloc(strlen(s) * 3 + 1);
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r') { memcpy(out + n, "\xef\xbf\xbd", 3); n += 3; }
        else out[n++] = (char)*p;
    }
    out[n] = '\0';
    return out;
}

/* Decodes character data (entities and character references). */
static char *xml_decode(const char *s, size_t len, const char *doc) {
    char *out = malloc(len * 3 + 1);
    size_t n = 0;
    for (size_t i = 0; i < len;) {
        if (s[i] == '<') fail_msg("raw '<' in character data of: %.300s", doc);
        unsigned char c = (unsigned char)s[i];
        if ((c < 0x20 && c != '\t' && c != '\n') || c == '\r') fail_msg("character 0x%02x not allowed raw in XML", c);
        if (s[i] != '&') { out[n++] = s[i++]; continue; }
        const char *semi = memchr(s + i, ';', len - i);
        if (!semi) fail_msg("unterminated entity in XML");
        size_t el = (size_t)(semi - (s + i)) + 1;
        if (el == 5 && !strncmp(s + i, "&amp;", 5)) out[n++] = '&';
        else if (el == 4 && !strncmp(s + i, "&lt;", 4)) out[n++] = '<';
        else if (el == 4 && !strncmp(s + i, "&gt;", 4)) out[n++] = '>';
        else if (el == 6 && !strncmp(s + i, "&quot;", 6)) out[n++] = '"';
        else if (el == 6 && !strncmp(s + i, "&apos;", 6)) out[n++] = '\'';
        else if (s[i + 1] == '#') {
            unsigned cp;
            if (sscanf(s + i + 2, "%u;", &cp) != 1 || !(cp == 9 || cp == 10 || cp == 13 || cp >= 0x20))
                fail_msg("bad character reference in XML");
            n += put_utf8(out + n, cp);
        } else {
            fail_msg("unknown entity %.*s", (int)el, s + i);
        }
        i += el;
    }
    out[n] = '\0';
    return out;
}

/* A small well-formedness check: one prolog, balanced elements, quoted
 * attributes, valid character data. Returns the decoded text of every
 * <data key="node_id"> element, in order. */
static json_t *graphml_check(const char *doc) {
    const char *p = doc;
    if (strncmp(p, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>", 38) != 0) fail_msg("no XML declaration");
    p = strstr(p, "?>") + 2;
    const char *stack[64];
    size_t stack_len[64];
    int sp = 0, roots = 0;
    json_t *ids = json_array();
    bool in_id = false;
    while (*p) {
        const char *lt = strchr(p, '<');
        size_t textlen = lt ? (size_t)(lt - p) : strlen(p);
        char *text = xml_decode(p, textlen, doc);
        if (in_id) json_array_append_new(ids, json_string(text));
        else if (sp == 0 && text[strspn(text, " \n\t")]) fail_msg("text outside the root element");
        free(text);
        if (!lt) break;
        p = lt + 1;
        bool closing = *p == '/';
        if (closing) p++;
        const char *name = p;
        while (*p && (isalnum((unsigned char)*p) || *p == ':' || *p == '_' || *p == '.' || *p == '-')) p++;
        size_t nlen = (size_t)(p - name);
        if (!nlen) fail_msg("a '<' that starts no tag");
        if (closing) {
            if (*p != '>') fail_msg("bad closing tag");
            if (!sp || stack_len[sp - 1] != nlen || strncmp(stack[sp - 1], name, nlen)) fail_msg("mismatched </%.*s>", (int)nlen, name);
            sp--;
            in_id = false;
            p++;
            continue;
        }
        bool node_id = false;
        for (;;) {
            while (*p == ' ' || *p == '\n') p++;
            if (*p == '>' || (*p == '/' && p[1] == '>')) break;
            const char *an = p;
            while (*p && *p != '=' && *p != ' ' && *p != '>') p++;
            size_t alen = (size_t)(p - an);
            if (*p++ != '=' || *p++ != '"') fail_msg("attribute without a quoted value");
            const char *av = p, *end = strchr(p, '"');
            if (!end) fail_msg("unterminated attribute");
            char *v = xml_decode(av, (size_t)(end - av), doc);
            if (alen == 3 && !strncmp(an, "key", 3) && !strcmp(v, "node_id")) node_id = true;
            free(v);
            p = end + 1;
        }
        if (*p == '/') { p += 2; continue; }
        p++;
        if (sp == 0) roots++;
        assert_true(sp < 64);
        stack[sp] = name;
        stack_len[sp++] = nlen;
        in_id = node_id;
    }
    if (sp != 0 || roots != 1) fail_msg("unbalanced document (%d open, %d roots)", sp, roots);
    return ids;
}

static void test_graphml_export(void **state) {
    hostile_graph(state, "default");
    json_t *r = g_ok(state, "{\"action\":\"export\",\"format\":\"graphml\"}");
    assert_json_str(r, "format", "graphml");
    assert_json_int(r, "node_count", 8);
    assert_json_int(r, "edge_count", 8);
    json_t *ids = graphml_check(jx_str(r, "content"));
    assert_int_equal(json_array_size(ids), 8);
    for (int i = 0; hostile[i]; i++) {
        char *want = xml_view(hostile[i]);
        bool found = false;
        size_t k;
        json_t *v;
        json_array_foreach(ids, k, v) found |= strcmp(json_string_value(v), want) == 0;
        if (!found) fail_msg("node id %d did not survive GraphML", i);
        free(want);
    }
    assert_contains(jx_str(r, "content"), "edgedefault=\"directed\"");
    json_decref(ids);
    json_decref(r);
    G_ERR("{\"action\":\"export\",\"format\":\"graphml\",\"offset\":3}", "GraphML is exported as one whole document");
    G_ERR("{\"action\":\"export\",\"format\":\"xml\"}", "expected one of: json, cypher, graphml");

    /* Over the size one document may hold: a clear refusal. */
    lt_err err;
    char sql[512];
    snprintf(sql, sizeof sql,
             "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %d)"
             " INSERT INTO graph_nodes(project, node_key, kind, created_at) SELECT 'big', 'n' || i, 'entity', 't' FROM n",
             GRAPHML_MAX_ITEMS + 1);
    if (store_exec(F->st, sql, &err)) fail_msg("%s", err.msg);
    r = tu_fail("graph_action", F->st, F->cfg, "{\"action\":\"export\",\"format\":\"graphml\",\"project\":\"big\"}");
    assert_contains(jx_str(r, "error"), "more than one GraphML document may hold (20000)");
    assert_contains(jx_str(r, "error"), "format json or cypher");
    json_decref(r);
    /* json pages through it. */
    r = tu_ok("graph_action", F->st, F->cfg, "{\"action\":\"export\",\"project\":\"big\",\"limit\":5000,\"offset\":20000}");
    assert_json_int(r, "node_count", 1);
    assert_json_bool(r, "has_more", false);
    json_decref(r);
}

static void test_stats(void **state) {
    small_graph(state);
    store_memory(state, "default", "x.md", "stats text", "[\"k\"]");
    json_t *r = g_ok(state, "{\"action\":\"stats\"}");
    assert_json_int(r, "total_nodes", 7 + 2);
    assert_json_int(r, "total_relationships", 8 + 1);
    json_t *kinds = json_object_get(r, "nodes_by_kind");
    assert_json_int(kinds, "entity", 7);
    assert_json_int(kinds, "memory", 1);
    assert_json_int(kinds, "tag", 1);
    json_t *types = json_object_get(r, "relationships_by_type");
    assert_json_int(types, "R", 6);
    assert_json_int(types, "S", 2);
    assert_json_int(types, "TAGGED_WITH", 1);
    assert_json_int(json_object_get(r, "record_counts"), "memories", 1);
    json_decref(r);
}

/* Blueprint dependencies made through the graph keep the no-cycle rule. */
static void test_depends_on_cycle_via_link(void **state) {
    char ids[3][16], q[256];
    for (int i = 0; i < 3; i++) {
        snprintf(q, sizeof q, "{\"action\":\"create\",\"title\":\"b%d\",\"description\":\"d\"}", i);
        json_t *r = tu_ok("blueprint_action", F->st, F->cfg, q);
        snprintf(ids[i], sizeof ids[i], "%s", jx_str(r, "blueprint_id"));
        json_decref(r);
    }
    snprintf(q, sizeof q, "{\"action\":\"link\",\"source_id\":\"blueprint:%s\",\"target_id\":\"blueprint:%s\","
             "\"relation\":\"DEPENDS_ON\"}", ids[0], ids[1]);
    json_decref(g_ok(state, q));
    snprintf(q, sizeof q, "{\"action\":\"link\",\"source_id\":\"blueprint:%s\",\"target_id\":\"blueprint:%s\","
             "\"relation\":\"DEPENDS_ON\"}", ids[1], ids[2]);
    json_decref(g_ok(state, q));
    snprintf(q, sizeof q, "{\"action\":\"link\",\"source_id\":\"blueprint:%s\",\"target_id\":\"blueprint:%s\","
             "\"relation\":\"DEPENDS_ON\"}", ids[2], ids[0]);
    char want[200];
    snprintf(want, sizeof want, "would close a cycle: blueprint:%s -> blueprint:%s -> blueprint:%s -> blueprint:%s",
             ids[2], ids[0], ids[1], ids[2]);
    G_ERR(q, want);
    /* Other relations may run in circles; so may entities. */
    snprintf(q, sizeof q, "{\"action\":\"link\",\"source_id\":\"blueprint:%s\",\"target_id\":\"blueprint:%s\","
             "\"relation\":\"RELATES_TO\"}", ids[2], ids[0]);
    json_decref(g_ok(state, q));
    link3(state, NULL, "x", "y", "DEPENDS_ON");
    link3(state, NULL, "y", "x", "DEPENDS_ON");
    /* get_dependencies sees the graph-made dependency. */
    snprintf(q, sizeof q, "{\"action\":\"get_dependencies\",\"blueprint_id\":\"%s\"}", ids[0]);
    json_t *r = tu_ok("blueprint_action", F->st, F->cfg, q);
    assert_json_int(r, "dependency_count", 1);
    json_t *d = json_array_get(json_object_get(r, "dependencies"), 0);
    assert_json_str(d, "prerequisite_blueprint_id", ids[1]);
    assert_json_str(d, "dependency_type", "blocking");
    assert_json_bool(d, "is_critical", false);
    json_decref(r);
}

int main(void) {
    tu_quiet();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nodeid_rules),
        cmocka_unit_test(test_cypher_quoting),
        cmocka_unit_test_setup_teardown(test_link_and_query, tu_fixture_setup, tu_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_link_errors, tu_fixture_setup, tu_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_record_nodes, tu_fixture_setup, tu_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_unlink_and_delete_node, tu_fixture_setup, tu_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_projects_isolated, tu_fixture_setup, tu_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_traverse, tu_fixture_setup, tu_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_traverse_relationships_listed, tu_fixture_setup, tu_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_traverse_row_limit, tu_fixture_setup, tu_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_walk_time_limit, tu_fixture_setup, tu_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_path, tu_fixture_setup, tu_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_auto_link, tu_fixture_setup, tu_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_json_export_roundtrip, tu_fixture_setup, tu_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_import_errors, tu_fixture_setup, tu_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_cypher_export, tu_fixture_setup, tu_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_graphml_export, tu_fixture_setup, tu_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_stats, tu_fixture_setup, tu_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_depends_on_cycle_via_link, tu_fixture_setup, tu_fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
