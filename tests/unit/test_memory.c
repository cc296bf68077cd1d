/* Unit tests for the memory engine through memory_action (tool calls on a
 * fixture store), with SQL checks of what each action leaves behind. */
#include "testutil.h"

#include "cache/caches.h"
#include "search/lexical.h"

#include <math.h>

#define F ((tu_fixture *)*state)
#define MAX_CONTENT 4096

/* ---- fixture: the fixture's store with a hash-256 engine and a small
 * content limit ----------------------------------------------------------- */

static int mem_setup(void **state) {
    tu_fixture_setup(state);
    tu_fixture *f = *state;
    memory_engine_free(f->mem);
    embed_options eo = {0};
    eo.backend = "hash";
    eo.hash_dim = 256;
    lt_err err;
    embedder *e = embedder_open(&eo, &err);
    assert_non_null(e);
    memory_config mc = {200, 20, MAX_CONTENT, 2, 0.35, 0.5, 0.95, 4000, 0.75};
    f->mem = memory_engine_new(e, &mc, &err);
    assert_non_null(f->mem);
    tu_active_mem = f->mem;
    return 0;
}

/* ---- helpers ----------------------------------------------------------------- */

/* Calls memory_action with args (stolen) and returns the result; it must succeed. */
static json_t *ok(void **state, json_t *args) {
    assert_non_null(args);
    char *text = jx_dump(args);
    json_decref(args);
    json_t *r = tu_ok("memory_action", F->st, F->cfg, text);
    free(text);
    return r;
}

/* The call must fail with an error containing needle. */
static void fails(void **state, json_t *args, const char *needle) {
    assert_non_null(args);
    char *text = jx_dump(args);
    json_decref(args);
    json_t *r = tu_fail("memory_action", F->st, F->cfg, text);
    assert_contains(jx_str(r, "error"), needle);
    json_decref(r);
    free(text);
}

#define OKS(text) tu_ok("memory_action", F->st, F->cfg, (text))
#define ERRS(text, needle) assert_call_error("memory_action", F->st, F->cfg, (text), (needle))

/* Stores a memory; extra (may be NULL) is merged into the arguments. */
static int64_t remember(void **state, const char *file_name, const char *content, json_t *extra) {
    json_t *a = json_pack("{s:s, s:s, s:s}", "action", "store", "file_name", file_name, "content", content);
    if (extra) {
        json_object_update(a, extra);
        json_decref(extra);
    }
    json_t *r = ok(state, a);
    int64_t id = jx_int(r, "doc_id", 0);
    assert_true(id > 0);
    json_decref(r);
    return id;
}

static int64_t sql_int(void **state, const char *sql, int64_t bind) {
    lt_err err;
    lt_err_clear(&err);
    store_stmt *s = store_prepare(F->st, sql, &err);
    if (!s) fail_msg("%s: %s", sql, err.msg);
    if (bind) store_bind_int(s, 1, bind);
    if (store_step(s, &err) != 1) fail_msg("%s: no row (%s)", sql, err.msg);
    int64_t v = store_col_int(s, 0);
    store_reset(s);
    return v;
}

static int64_t count_all(void **state, const char *table) {
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", table);
    return sql_int(state, sql, 0);
}

/* Retrieves and returns the documents array's result object. */
static json_t *retrieve(void **state, const char *query, json_t *extra) {
    json_t *a = json_pack("{s:s, s:s}", "action", "retrieve", "query", query);
    if (extra) {
        json_object_update(a, extra);
        json_decref(extra);
    }
    return ok(state, a);
}

static json_t *docs_of(json_t *r) { return json_object_get(r, "documents"); }

/* The document with doc_id in a retrieve result, or NULL. */
static json_t *find_doc(json_t *r, int64_t id) {
    size_t i;
    json_t *d;
    json_array_foreach(docs_of(r), i, d) if (jx_int(d, "doc_id", 0) == id) return d;
    return NULL;
}

static double lexical_of(json_t *r, int64_t id) {
    json_t *d = find_doc(r, id);
    return d ? jx_real(d, "lexical_score") : -1;
}

/* Every retrieve result: scores in [0,1], best first, ranks 1..n, and the
 * fields a caller relies on. */
static void check_ranking(json_t *r) {
    json_t *docs = docs_of(r);
    assert_true(json_is_array(docs));
    assert_int_equal(jx_int(r, "total_found", -1), (int64_t)json_array_size(docs));
    double prev = 2;
    size_t i;
    json_t *d;
    json_array_foreach(docs, i, d) {
        double s = jx_real(d, "score");
        if (s < 0 || s > 1) fail_msg("score %f outside [0,1]", s);
        if (s > prev + 1e-9) fail_msg("scores not sorted: %f after %f", s, prev);
        prev = s;
        double l = jx_real(d, "lexical_score");
        assert_true(l >= 0 && l <= 1);
        assert_int_equal(jx_int(d, "rank", 0), (int64_t)i + 1);
        assert_true(jx_int(d, "doc_id", 0) > 0);
        assert_non_null(jx_str(d, "content"));
        assert_non_null(jx_str(d, "file_name"));
        assert_non_null(jx_str(d, "created_at"));
        assert_null(json_object_get(d, "updated_at"));
    }
}

static char *repeat_words(const char *word, size_t bytes) {
    char *s = malloc(bytes + 64);
    size_t n = 0;
    while (n < bytes) n += (size_t)sprintf(s + n, "%s ", word);
    s[bytes] = '\0';
    return s;
}

/* ---- store ------------------------------------------------------------------- */

static void test_store_result(void **state) {
    json_t *r = OKS("{\"action\":\"store\",\"file_name\":\"notes.md\",\"content\":\"Kubernetes pods restart when "
                    "the liveness probe fails.\",\"tags\":[\"k8s\",\"ops\"],\"metadata\":{\"source\":\"wiki\"}}");
    int64_t id = jx_int(r, "doc_id", 0);
    assert_true(id > 0);
    assert_json_bool(r, "duplicate", false);
    assert_json_int(r, "chunk_count", 1);
    assert_json_int(r, "vector_count", 1);
    assert_json_str(r, "embedding_model", "hash-256-v1");
    assert_json_str(r, "file_name", "notes.md");
    assert_json_str(r, "resource_type", "document");
    assert_json_str(r, "conversation_id", "default");
    assert_json_str(r, "project", "default");
    const char *at = jx_str(r, "created_at");
    assert_true(at && strlen(at) == 24 && at[10] == 'T' && at[23] == 'Z');
    assert_true(json_is_array(json_object_get(r, "near_duplicates")));
    assert_int_equal(json_array_size(json_object_get(r, "near_duplicates")), 0);
    assert_int_equal(json_array_size(json_object_get(r, "tags")), 2);
    json_decref(r);

    /* A given created_at is normalised. */
    r = OKS("{\"action\":\"store\",\"file_name\":\"d\",\"content\":\"dated memory\",\"created_at\":\"2023-05-08\"}");
    assert_json_str(r, "created_at", "2023-05-08T00:00:00.000Z");
    json_decref(r);
    r = OKS("{\"action\":\"store\",\"file_name\":\"d2\",\"content\":\"offset memory\","
            "\"created_at\":\"2023-05-08T10:00:00+02:00\"}");
    assert_json_str(r, "created_at", "2023-05-08T08:00:00.000Z");
    json_decref(r);

    /* A long text: several chunks, each with a vector and a full-text row. */
    char *long_text = repeat_words("chunking splits long memories into pieces.", 1500);
    json_t *a = json_pack("{s:s, s:s, s:s}", "action", "store", "file_name", "long", "content", long_text);
    r = ok(state, a);
    int64_t lid = jx_int(r, "doc_id", 0);
    int64_t chunks = jx_int(r, "chunk_count", 0);
    assert_true(chunks >= 8); /* 1500 bytes in chunks of at most 200 */
    assert_int_equal(sql_int(state, "SELECT count(*) FROM chunks WHERE memory_id = ?", lid), chunks);
    assert_int_equal(sql_int(state, "SELECT count(*) FROM vectors v JOIN chunks c ON c.id = v.chunk_id"
                                    " WHERE c.memory_id = ? AND v.model = 'hash-256-v1' AND v.dim = 256", lid),
                     chunks);
    assert_int_equal(sql_int(state, "SELECT count(*) FROM chunks_fts WHERE rowid IN"
                                    " (SELECT id FROM chunks WHERE memory_id = ?)", lid),
                     chunks);
    assert_int_equal(sql_int(state, "SELECT max(len) <= 200 FROM chunks WHERE memory_id = ?", lid), 1);
    json_decref(r);
    free(long_text);
    ERRS("{\"action\":\"store\",\"content\":\"x\"}", "Missing required parameter: file_name");
    ERRS("{\"action\":\"store\",\"file_name\":\"x\"}", "Missing required parameter: content");
}

static void test_exact_duplicate(void **state) {
    int64_t id = remember(state, "a", "The meeting moved to Thursday at 3pm.", NULL);
    json_t *r = OKS("{\"action\":\"store\",\"file_name\":\"b\",\"content\":\"The meeting moved to Thursday at 3pm.\"}");
    assert_json_int(r, "doc_id", id);
    assert_json_bool(r, "duplicate", true);
    assert_null(json_object_get(r, "chunk_count"));
    json_decref(r);
    assert_int_equal(count_all(state, "memories"), 1);
    assert_int_equal(count_all(state, "chunks"), 1);
    /* Not the same text: a new memory. */
    int64_t other = remember(state, "c", "The meeting moved to Thursday at 3pm", NULL);
    assert_true(other != id);
    /* The same text in another project: a new memory there. */
    r = OKS("{\"action\":\"store\",\"file_name\":\"a\",\"content\":\"The meeting moved to Thursday at 3pm.\","
            "\"project\":\"elsewhere\"}");
    assert_json_bool(r, "duplicate", false);
    assert_true(jx_int(r, "doc_id", 0) != id);
    json_decref(r);
    assert_int_equal(count_all(state, "memories"), 3);
}

static void test_near_duplicates(void **state) {
    int64_t a = remember(state, "fox", "The quick brown fox jumps over the lazy dog", NULL);
    remember(state, "pie", "Grandmother bakes apple pie every Sunday afternoon", NULL);
    /* The same words, other spelling: not identical, but the same vector. */
    json_t *r = OKS("{\"action\":\"store\",\"file_name\":\"fox2\",\"content\":\"the QUICK brown fox -- jumps over "
                    "the lazy dog!\"}");
    assert_json_bool(r, "duplicate", false);
    json_t *nd = json_object_get(r, "near_duplicates");
    assert_int_equal(json_array_size(nd), 1);
    assert_json_int(json_array_get(nd, 0), "doc_id", a);
    assert_json_str(json_array_get(nd, 0), "file_name", "fox");
    assert_true(jx_real(json_array_get(nd, 0), "similarity") >= 0.95);
    json_decref(r);
    /* Something else entirely: none. */
    r = OKS("{\"action\":\"store\",\"file_name\":\"tax\",\"content\":\"Quarterly revenue grew by twelve percent\"}");
    assert_int_equal(json_array_size(json_object_get(r, "near_duplicates")), 0);
    json_decref(r);
    /* Near-duplicates stay within the project. */
    r = OKS("{\"action\":\"store\",\"file_name\":\"fox3\",\"content\":\"The quick brown fox jumps over the lazy "
            "dog.\",\"project\":\"other\"}");
    assert_int_equal(json_array_size(json_object_get(r, "near_duplicates")), 0);
    json_decref(r);
}

/* Replaces the fixture's engine by one with another near-duplicate threshold. */
static void set_near_duplicate(void **state, double threshold) {
    memory_engine_free(F->mem);
    embed_options eo = {0};
    eo.backend = "hash";
    eo.hash_dim = 256;
    lt_err err;
    embedder *e = embedder_open(&eo, &err);
    assert_non_null(e);
    memory_config mc = {200, 20, MAX_CONTENT, 2, 0.35, 0.5, threshold, 4000, 0.75};
    F->mem = memory_engine_new(e, &mc, &err);
    assert_non_null(F->mem);
    tu_active_mem = F->mem;
}

/* A threshold of 1 turns the report off (settings: near_duplicate_threshold),
 * even though int8 rows give identical vectors a similarity slightly above 1. */
static void test_near_duplicates_off(void **state) {
    const double thresholds[] = {1.0, 0.0};
    const char *const texts[] = {"alpha beta", "gamma delta epsilon", "the quick brown fox", "zeta",
                                 "kubernetes pods restart", "a b c d e f g"};
    for (size_t t = 0; t < 2; t++) {
        set_near_duplicate(state, thresholds[t]);
        for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
            char name[32], text[64];
            snprintf(name, sizeof name, "x%zu-%zu", t, i);
            remember(state, name, texts[i], NULL);
            snprintf(text, sizeof text, "%s%s", texts[i], t ? "?" : "!"); /* same tokens, other text */
            json_t *r = ok(state, json_pack("{s:s, s:s, s:s}", "action", "store", "file_name", "y", "content", text));
            if (json_array_size(json_object_get(r, "near_duplicates")) != 0) {
                char *d = jx_dump(r);
                fail_msg("threshold %.1f: near-duplicates reported: %s", thresholds[t], d);
            }
            json_decref(r);
        }
    }
}

static void assert_nothing_written(void **state) {
    const char *tables[] = {"memories", "chunks", "vectors", "chunks_fts", "memory_tags", "graph_nodes",
                            "graph_edges"};
    for (size_t i = 0; i < sizeof tables / sizeof *tables; i++)
        if (count_all(state, tables[i]) != 0) fail_msg("table %s has rows after a refused store", tables[i]);
}

static void test_store_rejects(void **state) {
    char *big = repeat_words("overflow", MAX_CONTENT + 1);
    fails(state, json_pack("{s:s, s:s, s:s, s:[s]}", "action", "store", "file_name", "big", "content", big, "tags", "t"),
          "Parameter 'content' is too long: 4097 bytes (limit 4096)");
    free(big);
    ERRS("{\"action\":\"store\",\"file_name\":\"e\",\"content\":\"   \\n\\t \"}", "Parameter 'content' must not be empty");
    ERRS("{\"action\":\"store\",\"file_name\":\"e\",\"content\":\"\"}", "Parameter 'content' must not be empty");
    ERRS("{\"action\":\"store\",\"file_name\":\"e\",\"content\":\"text\",\"created_at\":\"yesterday\",\"tags\":[\"t\"]}",
         "Invalid value for parameter 'created_at': 'yesterday'");
    ERRS("{\"action\":\"store\",\"file_name\":\"e\",\"content\":\"text\",\"created_at\":\"2023-02-30\"}",
         "Invalid value for parameter 'created_at'");
    ERRS("{\"action\":\"store\",\"file_name\":\"e\",\"content\":\"text\",\"tags\":[\"ok\",\"\"]}",
         "each tag must be 1 to 200 bytes");
    ERRS("{\"action\":\"store\",\"file_name\":\"e\",\"content\":\"text\",\"metadata\":[1]}",
         "Invalid type for parameter 'metadata'");
    assert_nothing_written(state);
    /* Exactly the limit is accepted. */
    char *edge = repeat_words("edge", MAX_CONTENT);
    json_t *r = ok(state, json_pack("{s:s, s:s, s:s}", "action", "store", "file_name", "edge", "content", edge));
    assert_json_bool(r, "duplicate", false);
    json_decref(r);
    free(edge);
}

/* ---- retrieve ------------------------------------------------------------------ */

static void test_retrieve_by_words_and_meaning(void **state) {
    int64_t k8s = remember(state, "k8s", "Kubernetes pods restart when the liveness probe fails.", NULL);
    int64_t cfg = remember(state, "cfg", "Server configuration lives in /etc/ltmc/config.json.", NULL);
    int64_t pie = remember(state, "pie", "Grandmother bakes apple pie every Sunday.", NULL);
    int64_t db = remember(state, "db", "The database migration to PostgreSQL finished overnight.", NULL);

    /* By words: the memory with the word ranks first with the best lexical score. */
    json_t *r = retrieve(state, "why do pods restart", NULL);
    check_ranking(r);
    json_t *first = json_array_get(docs_of(r), 0);
    assert_json_int(first, "doc_id", k8s);
    assert_true(jx_real(first, "lexical_score") > 0.999);
    assert_true(jx_real(first, "score") > 0.5);
    assert_json_str(r, "query", "why do pods restart");
    json_decref(r);

    /* Stemming: "migrations" finds "migration". */
    r = retrieve(state, "migrations", NULL);
    check_ranking(r);
    assert_json_int(json_array_get(docs_of(r), 0), "doc_id", db);
    json_decref(r);

    /* By meaning only (no shared word; the hash embedder's spelling
     * similarity stands in for meaning): a misspelt word. */
    r = retrieve(state, "confguration", NULL);
    check_ranking(r);
    first = json_array_get(docs_of(r), 0);
    assert_json_int(first, "doc_id", cfg);
    assert_true(jx_real(first, "lexical_score") == 0);
    assert_true(jx_real(first, "similarity_score") > jx_real(find_doc(r, pie), "similarity_score"));
    json_decref(r);

    /* top_k limits the number of documents. */
    r = retrieve(state, "pods", json_pack("{s:i}", "top_k", 2));
    check_ranking(r);
    assert_int_equal(json_array_size(docs_of(r)), 2);
    json_decref(r);

    /* An identifier is found by its parts and by its whole. */
    int64_t code = remember(state, "code", "call getUserName before rendering", NULL);
    r = retrieve(state, "user name", NULL);
    assert_json_int(json_array_get(docs_of(r), 0), "doc_id", code);
    json_decref(r);
    r = retrieve(state, "getUserName", NULL);
    assert_json_int(json_array_get(docs_of(r), 0), "doc_id", code);
    json_decref(r);
    (void)pie;
}

static void test_retrieve_filters(void **state) {
    int64_t a = remember(state, "a", "alpha project notes about caching",
                         json_pack("{s:s, s:s, s:[s,s], s:s}", "resource_type", "note", "conversation_id", "c1",
                                   "tags", "red", "blue", "created_at", "2024-01-10"));
    int64_t b = remember(state, "b", "beta project notes about caching",
                         json_pack("{s:s, s:s, s:[s], s:s}", "resource_type", "code", "conversation_id", "c1", "tags",
                                   "red", "created_at", "2024-02-10"));
    int64_t c = remember(state, "c", "gamma project notes about caching",
                         json_pack("{s:s, s:s, s:[s,s,s], s:s}", "resource_type", "note", "conversation_id", "c2",
                                   "tags", "red", "blue", "green", "created_at", "2024-03-10"));
    int64_t d = remember(state, "d", "delta project notes about caching",
                         json_pack("{s:s, s:s, s:s}", "resource_type", "decision", "conversation_id", "c2",
                                   "created_at", "2024-04-10"));
    struct {
        const char *filter;
        int64_t want[4];
    } cases[] = {
        {"{}", {a, b, c, d}},
        {"{\"resource_type\":\"note\"}", {a, c}},
        {"{\"resource_type\":\"nothing\"}", {0}},
        {"{\"conversation_id\":\"c2\"}", {c, d}},
        {"{\"tags\":[\"red\"]}", {a, b, c}},
        {"{\"tags\":[\"red\",\"blue\"]}", {a, c}},
        {"{\"tags\":\"blue, green\"}", {c}},
        {"{\"tags\":[\"red\",\"purple\"]}", {0}},
        {"{\"since\":\"2024-02-10\"}", {b, c, d}},
        {"{\"until\":\"2024-02-10\"}", {a, b}},
        {"{\"since\":\"2024-02-01\",\"until\":\"2024-03-31T23:59:59Z\"}", {b, c}},
        /* Bounds in other ISO-8601 forms compare as the instants they name
         * (b was stored at 2024-02-10T00:00:00.000Z). */
        {"{\"since\":\"2024-02-10T01:00:00+02:00\"}", {b, c, d}},
        {"{\"since\":\"2024-02-10T00:00:01\"}", {c, d}},
        {"{\"until\":\"2024-02-10 00:00\"}", {a, b}},
        {"{\"until\":\"2024-02-09T23:59:59.999Z\"}", {a}},
        {"{\"resource_type\":\"note\",\"conversation_id\":\"c1\",\"tags\":[\"blue\"]}", {a}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *r = retrieve(state, "project notes caching", tu_parse(cases[i].filter));
        check_ranking(r);
        size_t n_want = 0;
        while (n_want < 4 && cases[i].want[n_want]) n_want++;
        if (json_array_size(docs_of(r)) != n_want) {
            char *dump = jx_dump(r);
            fail_msg("filter %s: %zu documents, want %zu: %s", cases[i].filter, json_array_size(docs_of(r)), n_want,
                     dump);
        }
        for (size_t j = 0; j < n_want; j++)
            if (!find_doc(r, cases[i].want[j]))
                fail_msg("filter %s: memory %lld missing", cases[i].filter, (long long)cases[i].want[j]);
        json_decref(r);
        /* list applies the same filters. */
        json_t *la = tu_parse(cases[i].filter);
        json_object_set_new(la, "action", json_string("list"));
        r = ok(state, la);
        assert_json_int(r, "total_count", (int64_t)n_want);
        json_decref(r);
    }
    ERRS("{\"action\":\"retrieve\",\"query\":\"x\",\"since\":\"last week\"}", "Invalid value for parameter 'since'");
    ERRS("{\"action\":\"retrieve\",\"query\":\"x\",\"until\":\"2024-13-01\"}", "Invalid value for parameter 'until'");
    ERRS("{\"action\":\"retrieve\"}", "Missing required parameter: query");
}

static void test_retrieve_token_budget(void **state) {
    /* Three memories of exactly 100 tokens (400 characters) each. */
    char *t1 = repeat_words("alpha", 400), *t2 = repeat_words("bravo", 400), *t3 = repeat_words("charlie", 400);
    t1[399] = t2[399] = t3[399] = '.';
    remember(state, "1", t1, NULL);
    remember(state, "2", t2, NULL);
    remember(state, "3", t3, NULL);
    json_t *r = retrieve(state, "alpha bravo charlie", json_pack("{s:i}", "max_tokens", 150));
    check_ranking(r);
    json_t *docs = docs_of(r);
    assert_int_equal(json_array_size(docs), 2);
    json_t *d0 = json_array_get(docs, 0), *d1 = json_array_get(docs, 1);
    assert_null(json_object_get(d0, "truncated"));
    assert_int_equal(strlen(jx_str(d0, "content")), 400);
    assert_json_bool(d1, "truncated", true);
    const char *cut = jx_str(d1, "content");
    assert_int_equal(strlen(cut), 200 + strlen("...[truncated]"));
    assert_contains(cut, "...[truncated]");
    assert_json_int(r, "omitted_for_budget", 1);
    assert_json_int(r, "tokens_used", 150);
    assert_json_int(r, "max_tokens", 150);
    assert_json_int(r, "total_found", 2);
    json_decref(r);
    /* The default budget (4000) holds all three untouched. */
    r = retrieve(state, "alpha bravo charlie", NULL);
    assert_int_equal(json_array_size(docs_of(r)), 3);
    assert_json_int(r, "omitted_for_budget", 0);
    assert_json_int(r, "tokens_used", 300);
    assert_json_int(r, "max_tokens", 4000);
    json_decref(r);
    /* A budget of one token: one cut document. */
    r = retrieve(state, "alpha", json_pack("{s:i}", "max_tokens", 1));
    assert_int_equal(json_array_size(docs_of(r)), 1);
    assert_int_equal(strlen(jx_str(json_array_get(docs_of(r), 0), "content")), 4 + strlen("...[truncated]"));
    assert_json_int(r, "omitted_for_budget", 2);
    json_decref(r);
    free(t1);
    free(t2);
    free(t3);
}

static void test_project_isolation(void **state) {
    int64_t secret = remember(state, "s", "The launch code is swordfish.", json_pack("{s:s}", "project", "A"));
    remember(state, "public", "Nothing secret about swordfish here.", json_pack("{s:s}", "project", "B"));
    /* Retrieve from B never returns A's memory. */
    json_t *r = retrieve(state, "launch code swordfish", json_pack("{s:s}", "project", "B"));
    assert_int_equal(json_array_size(docs_of(r)), 1);
    assert_null(find_doc(r, secret));
    json_decref(r);
    r = retrieve(state, "launch code swordfish", NULL); /* the default project is empty */
    assert_int_equal(json_array_size(docs_of(r)), 0);
    json_decref(r);
    /* get, update and delete from B: not found, and A's memory is untouched. */
    char args[256];
    snprintf(args, sizeof args, "{\"action\":\"get\",\"doc_id\":%lld,\"project\":\"B\"}", (long long)secret);
    ERRS(args, "not found");
    snprintf(args, sizeof args, "{\"action\":\"update\",\"doc_id\":%lld,\"project\":\"B\",\"content\":\"changed\"}",
             (long long)secret);
    ERRS(args, "not found");
    snprintf(args, sizeof args, "{\"action\":\"update\",\"doc_id\":%lld,\"project\":\"B\",\"tags\":[\"x\"]}",
             (long long)secret);
    ERRS(args, "not found");
    snprintf(args, sizeof args, "{\"action\":\"delete\",\"doc_id\":%lld,\"project\":\"B\"}", (long long)secret);
    ERRS(args, "not found");
    snprintf(args, sizeof args, "{\"action\":\"get\",\"doc_id\":%lld,\"project\":\"A\"}", (long long)secret);
    r = OKS(args);
    assert_json_str(r, "content", "The launch code is swordfish.");
    assert_int_equal(json_array_size(json_object_get(r, "tags")), 0);
    json_decref(r);
    assert_int_equal(sql_int(state, "SELECT count(*) FROM chunks WHERE memory_id = ?", secret), 1);
    assert_int_equal(sql_int(state, "SELECT count(*) FROM memory_tags WHERE memory_id = ?", secret), 0);
    /* list in B sees only B. */
    r = OKS("{\"action\":\"list\",\"project\":\"B\"}");
    assert_json_int(r, "total_count", 1);
    assert_json_str(json_array_get(json_object_get(r, "documents"), 0), "file_name", "public");
    json_decref(r);
    /* ask_with_context and build_context from B: nothing of A. */
    r = OKS("{\"action\":\"ask_with_context\",\"query\":\"launch code\",\"project\":\"B\"}");
    assert_not_contains(jx_str(r, "context"), "launch code");
    json_decref(r);
}

/* ---- update, delete, get, list ------------------------------------------------ */

static void test_update(void **state) {
    int64_t id = remember(state, "pets", "We adopted a parrot named Kiwi.",
                          json_pack("{s:[s,s], s:s, s:s}", "tags", "pets", "home", "created_at", "2023-05-08",
                                    "conversation_id", "u1"));
    int64_t old_chunk = sql_int(state, "SELECT min(id) FROM chunks WHERE memory_id = ?", id);
    json_t *r = retrieve(state, "parrot", NULL);
    assert_true(lexical_of(r, id) > 0.99);
    json_decref(r);

    /* New content: re-chunked and re-embedded; the old words are gone. */
    char args[512];
    snprintf(args, sizeof args,
             "{\"action\":\"update\",\"doc_id\":%lld,\"content\":\"We adopted a tortoise named Shelly.\","
             "\"tags\":[\"reptiles\"]}",
             (long long)id);
    r = OKS(args);
    assert_json_int(r, "doc_id", id);
    json_t *fields = json_object_get(r, "updated_fields");
    assert_int_equal(json_array_size(fields), 2);
    assert_string_equal(json_string_value(json_array_get(fields, 0)), "content");
    assert_string_equal(json_string_value(json_array_get(fields, 1)), "tags");
    json_t *mem = json_object_get(r, "memory");
    assert_json_str(mem, "content", "We adopted a tortoise named Shelly.");
    assert_json_str(mem, "file_name", "pets");
    assert_json_str(mem, "created_at", "2023-05-08T00:00:00.000Z");
    assert_int_equal(json_array_size(json_object_get(mem, "tags")), 1);
    assert_string_equal(json_string_value(json_array_get(json_object_get(mem, "tags"), 0)), "reptiles");
    assert_true(strcmp(jx_str(mem, "updated_at"), jx_str(mem, "created_at")) > 0);
    json_decref(r);
    assert_int_equal(sql_int(state, "SELECT count(*) FROM chunks WHERE id = ?", old_chunk), 0);
    assert_int_equal(sql_int(state, "SELECT count(*) FROM vectors WHERE chunk_id = ?", old_chunk), 0);
    assert_int_equal(sql_int(state, "SELECT count(*) FROM chunks_fts WHERE rowid = ?", old_chunk), 0);
    assert_int_equal(sql_int(state, "SELECT count(*) FROM chunks WHERE memory_id = ?", id), 1);
    assert_int_equal(sql_int(state, "SELECT count(*) FROM vectors v JOIN chunks c ON c.id = v.chunk_id "
                                    "WHERE c.memory_id = ?", id), 1);
    r = retrieve(state, "parrot kiwi", NULL);
    assert_true(lexical_of(r, id) == 0);
    json_decref(r);
    r = retrieve(state, "tortoise", NULL);
    assert_true(lexical_of(r, id) > 0.99);
    json_decref(r);
    /* Tags replaced, in the table and the graph. */
    assert_int_equal(sql_int(state, "SELECT count(*) FROM memory_tags WHERE memory_id = ?", id), 1);
    assert_int_equal(sql_int(state, "SELECT count(*) FROM graph_edges e JOIN graph_nodes d ON d.id = e.dst"
                                    " WHERE e.relation = 'TAGGED_WITH' AND d.node_key = 'tag:reptiles'", 0), 1);
    assert_int_equal(sql_int(state, "SELECT count(*) FROM graph_edges e JOIN graph_nodes d ON d.id = e.dst"
                                    " WHERE d.node_key IN ('tag:pets', 'tag:home')", 0), 0);
    r = retrieve(state, "tortoise", json_pack("{s:[s]}", "tags", "pets"));
    assert_int_equal(json_array_size(docs_of(r)), 0);
    json_decref(r);

    /* created_at changes the date words. */
    r = retrieve(state, "May 2023", NULL);
    assert_true(lexical_of(r, id) > 0);
    json_decref(r);
    snprintf(args, sizeof args, "{\"action\":\"update\",\"doc_id\":%lld,\"created_at\":\"2021-01-15T09:30:00Z\"}",
             (long long)id);
    r = OKS(args);
    assert_json_str(json_object_get(r, "memory"), "created_at", "2021-01-15T09:30:00.000Z");
    json_decref(r);
    r = retrieve(state, "May 2023", NULL);
    assert_true(lexical_of(r, id) == 0);
    json_decref(r);
    r = retrieve(state, "January 2021 Friday", NULL);
    assert_true(lexical_of(r, id) > 0);
    json_decref(r);

    /* Name, type, conversation and metadata. */
    snprintf(args, sizeof args,
             "{\"action\":\"update\",\"doc_id\":%lld,\"file_name\":\"reptile.md\",\"resource_type\":\"insight\","
             "\"conversation_id\":\"u2\",\"metadata\":{\"k\":1}}",
             (long long)id);
    r = OKS(args);
    mem = json_object_get(r, "memory");
    assert_json_str(mem, "file_name", "reptile.md");
    assert_json_str(mem, "resource_type", "insight");
    assert_json_str(mem, "conversation_id", "u2");
    assert_json_int(json_object_get(mem, "metadata"), "k", 1);
    assert_int_equal(json_array_size(json_object_get(mem, "tags")), 1); /* kept */
    json_decref(r);
    assert_int_equal(sql_int(state, "SELECT count(*) FROM graph_nodes WHERE node_key = 'memory:' || ?1"
                                    " AND label = 'reptile.md'", id), 1);

    /* Errors. */
    snprintf(args, sizeof args, "{\"action\":\"update\",\"doc_id\":%lld}", (long long)id);
    ERRS(args, "Nothing to update");
    ERRS("{\"action\":\"update\",\"doc_id\":999999,\"content\":\"x\"}", "Memory with ID 999999 not found");
    int64_t other = remember(state, "other", "Some other text entirely.", NULL);
    snprintf(args, sizeof args, "{\"action\":\"update\",\"doc_id\":%lld,\"content\":\"Some other text entirely.\"}",
             (long long)id);
    char want[64];
    snprintf(want, sizeof want, "Memory %lld already holds this content", (long long)other);
    ERRS(args, want);
    snprintf(args, sizeof args, "{\"action\":\"update\",\"doc_id\":%lld,\"created_at\":\"soon\"}", (long long)id);
    ERRS(args, "Invalid value for parameter 'created_at'");
    char *big = repeat_words("big", MAX_CONTENT + 10);
    json_t *a = json_pack("{s:s, s:I, s:s}", "action", "update", "doc_id", (json_int_t)id, "content", big);
    fails(state, a, "too long");
    free(big);
    /* The failed updates changed nothing. */
    snprintf(args, sizeof args, "{\"action\":\"get\",\"doc_id\":%lld}", (long long)id);
    r = OKS(args);
    assert_json_str(r, "content", "We adopted a tortoise named Shelly.");
    assert_json_str(r, "created_at", "2021-01-15T09:30:00.000Z");
    json_decref(r);
    /* Updating to the same content is fine. */
    snprintf(args, sizeof args, "{\"action\":\"update\",\"doc_id\":%lld,\"content\":\"We adopted a tortoise named "
             "Shelly.\"}", (long long)id);
    json_decref(OKS(args));
}

static void test_delete(void **state) {
    int64_t keep = remember(state, "keep", "Keep this one about sailing boats.",
                            json_pack("{s:[s]}", "tags", "boats"));
    char *text = repeat_words("forgettable sailing detail.", 900);
    int64_t id = remember(state, "gone", text, json_pack("{s:[s,s]}", "tags", "boats", "secret"));
    free(text);
    int64_t n_chunks = sql_int(state, "SELECT count(*) FROM chunks WHERE memory_id = ?", id);
    assert_true(n_chunks > 1);
    int64_t first = sql_int(state, "SELECT min(id) FROM chunks WHERE memory_id = ?", id);
    int64_t last = sql_int(state, "SELECT max(id) FROM chunks WHERE memory_id = ?", id);
    int64_t node = sql_int(state, "SELECT id FROM graph_nodes WHERE node_key = 'memory:' || ?", id);
    assert_int_equal(sql_int(state, "SELECT count(*) FROM graph_edges WHERE src = ?", node), 2);
    json_t *r = retrieve(state, "forgettable", NULL);
    assert_json_int(json_array_get(docs_of(r), 0), "doc_id", id);
    json_decref(r);
    size_t rows_before = vindex_count(memory_engine_index(F->mem));

    char args[128];
    snprintf(args, sizeof args, "{\"action\":\"delete\",\"doc_id\":%lld}", (long long)id);
    r = OKS(args);
    assert_json_int(r, "doc_id", id);
    assert_json_bool(r, "deleted", true);
    assert_json_str(r, "file_name", "gone");
    json_decref(r);

    assert_int_equal(sql_int(state, "SELECT count(*) FROM memories WHERE id = ?", id), 0);
    assert_int_equal(sql_int(state, "SELECT count(*) FROM chunks WHERE memory_id = ?", id), 0);
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM vectors WHERE chunk_id BETWEEN %lld AND %lld", (long long)first,
             (long long)last);
    assert_int_equal(sql_int(state, sql, 0), 0);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM chunks_fts WHERE rowid BETWEEN %lld AND %lld", (long long)first,
             (long long)last);
    assert_int_equal(sql_int(state, sql, 0), 0);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM deleted_chunks WHERE chunk_id BETWEEN %lld AND %lld",
             (long long)first, (long long)last);
    assert_int_equal(sql_int(state, sql, 0), n_chunks);
    assert_int_equal(sql_int(state, "SELECT count(*) FROM memory_tags WHERE memory_id = ?", id), 0);
    assert_int_equal(sql_int(state, "SELECT count(*) FROM graph_nodes WHERE node_key = 'memory:' || ?", id), 0);
    assert_int_equal(sql_int(state, "SELECT count(*) FROM graph_edges WHERE src = ?1 OR dst = ?1", node), 0);
    /* The rest is untouched. */
    assert_int_equal(sql_int(state, "SELECT count(*) FROM chunks WHERE memory_id = ?", keep), 1);
    assert_int_equal(sql_int(state, "SELECT count(*) FROM memory_tags WHERE memory_id = ?", keep), 1);
    assert_int_equal(count_all(state, "graph_edges"), 1);
    assert_int_equal(vindex_count(memory_engine_index(F->mem)), rows_before - (size_t)n_chunks);

    /* Never found again, by words or by meaning. */
    const char *queries[] = {"forgettable sailing detail", "forgettable", "sailing", "boats secret"};
    for (size_t i = 0; i < 4; i++) {
        r = retrieve(state, queries[i], json_pack("{s:i}", "top_k", 100));
        assert_null(find_doc(r, id));
        json_decref(r);
    }
    r = OKS("{\"action\":\"ask_with_context\",\"query\":\"forgettable\"}");
    assert_not_contains(jx_str(r, "context"), "forgettable");
    json_decref(r);
    ERRS(args, "not found");
    snprintf(args, sizeof args, "{\"action\":\"get\",\"doc_id\":%lld}", (long long)id);
    ERRS(args, "not found");
    /* Storing the same text again makes a new memory. */
    text = repeat_words("forgettable sailing detail.", 900);
    int64_t again = remember(state, "again", text, NULL);
    free(text);
    assert_true(again != id);
}

static void test_get(void **state) {
    int64_t id = remember(state, "spec.md", "The spec says caf\xc3\xa9 opens at 8.",
                          json_pack("{s:s, s:s, s:[s,s], s:{s:s, s:[i,i]}, s:s}", "resource_type", "spec",
                                    "conversation_id", "conv-9", "tags", "zeta", "alpha", "metadata", "author", "ann",
                                    "nums", 1, 2, "created_at", "2022-12-31T23:00:00Z"));
    char args[128];
    snprintf(args, sizeof args, "{\"action\":\"get\",\"doc_id\":%lld}", (long long)id);
    json_t *r = OKS(args);
    assert_json_int(r, "doc_id", id);
    assert_json_str(r, "file_name", "spec.md");
    assert_json_str(r, "content", "The spec says caf\xc3\xa9 opens at 8.");
    assert_json_str(r, "resource_type", "spec");
    assert_json_str(r, "conversation_id", "conv-9");
    assert_json_str(r, "created_at", "2022-12-31T23:00:00.000Z");
    assert_non_null(jx_str(r, "updated_at"));
    json_t *tags = json_object_get(r, "tags");
    assert_int_equal(json_array_size(tags), 2);
    assert_string_equal(json_string_value(json_array_get(tags, 0)), "alpha"); /* sorted */
    assert_string_equal(json_string_value(json_array_get(tags, 1)), "zeta");
    json_t *want = tu_parse("{\"author\":\"ann\",\"nums\":[1,2]}");
    assert_true(json_equal(json_object_get(r, "metadata"), want));
    json_decref(want);
    json_decref(r);
    ERRS("{\"action\":\"get\",\"doc_id\":424242}", "Memory with ID 424242 not found");
    ERRS("{\"action\":\"get\",\"doc_id\":0}", "Invalid value for parameter 'doc_id'");
    ERRS("{\"action\":\"get\"}", "Missing required parameter: doc_id");
}

static void test_list(void **state) {
    int64_t ids[7];
    for (int i = 0; i < 7; i++) {
        char name[16], content[64], date[16];
        snprintf(name, sizeof name, "m%d", i);
        snprintf(content, sizeof content, "memory number %d for listing", i);
        snprintf(date, sizeof date, "2024-01-%02d", 10 + i);
        ids[i] = remember(state, name, content,
                          json_pack("{s:s, s:s}", "created_at", date, "resource_type", i % 2 ? "odd" : "even"));
    }
    json_t *r = OKS("{\"action\":\"list\",\"limit\":3}");
    json_t *docs = json_object_get(r, "documents");
    assert_int_equal(json_array_size(docs), 3);
    /* Newest first. */
    assert_json_int(json_array_get(docs, 0), "doc_id", ids[6]);
    assert_json_int(json_array_get(docs, 2), "doc_id", ids[4]);
    assert_json_int(r, "total_count", 7);
    assert_json_int(r, "total_found", 3);
    assert_json_int(r, "limit_applied", 3);
    assert_json_int(r, "offset", 0);
    assert_json_bool(r, "has_more", true);
    json_t *d0 = json_array_get(docs, 0);
    assert_json_str(d0, "preview", "memory number 6 for listing");
    assert_json_int(d0, "content_bytes", 27);
    assert_true(json_is_array(json_object_get(d0, "tags")));
    json_decref(r);
    r = OKS("{\"action\":\"list\",\"limit\":3,\"offset\":6}");
    docs = json_object_get(r, "documents");
    assert_int_equal(json_array_size(docs), 1);
    assert_json_int(json_array_get(docs, 0), "doc_id", ids[0]);
    assert_json_bool(r, "has_more", false);
    json_decref(r);
    r = OKS("{\"action\":\"list\",\"offset\":100}");
    assert_int_equal(json_array_size(json_object_get(r, "documents")), 0);
    assert_json_int(r, "total_count", 7);
    json_decref(r);
    r = OKS("{\"action\":\"list\",\"resource_type\":\"odd\",\"limit\":2}");
    assert_json_int(r, "total_count", 3);
    assert_json_int(json_array_get(json_object_get(r, "documents"), 0), "doc_id", ids[5]);
    assert_json_bool(r, "has_more", true);
    json_decref(r);
    r = OKS("{\"action\":\"list\",\"since\":\"2024-01-14\",\"until\":\"2024-01-15\"}");
    assert_json_int(r, "total_count", 2);
    json_decref(r);
    /* A long memory's preview is 200 characters. */
    char *long_text = repeat_words("\xc3\xa9t\xc3\xa9", 900);
    remember(state, "long", long_text, json_pack("{s:s}", "created_at", "2030-01-01"));
    r = OKS("{\"action\":\"list\",\"limit\":1}");
    const char *preview = jx_str(json_array_get(json_object_get(r, "documents"), 0), "preview");
    size_t chars = 0;
    for (const char *p = preview; *p; p++) chars += ((unsigned char)*p & 0xC0) != 0x80;
    assert_int_equal(chars, 200);
    json_decref(r);
    free(long_text);
    ERRS("{\"action\":\"list\",\"limit\":0}", "Invalid value for parameter 'limit'");
}

/* ---- build_context, retrieve_by_type, ask_with_context -------------------------- */

static void test_build_context_documents(void **state) {
    char *c0 = repeat_words("first", 400), *c1 = repeat_words("second", 400), *c2 = repeat_words("third", 400);
    json_t *docs = json_pack("[{s:s, s:s}, {s:s}, {s:s, s:s}]", "content", c0, "file_name", "a.md", "content", c1,
                             "content", c2, "file_name", "c.md");
    /* 100 + 100 fit in 250; 50 remain for the third: not more than 50, so stop. */
    json_t *r = ok(state, json_pack("{s:s, s:O, s:i}", "action", "build_context", "documents", docs, "max_tokens", 250));
    assert_json_int(r, "documents_included", 2);
    assert_json_int(r, "total_tokens", 200);
    assert_json_int(r, "max_tokens", 250);
    json_t *parts = json_object_get(r, "parts");
    assert_int_equal(json_array_size(parts), 2);
    assert_json_int(json_array_get(parts, 0), "index", 0);
    assert_json_str(json_array_get(parts, 0), "source", "a.md");
    assert_json_int(json_array_get(parts, 0), "tokens", 100);
    assert_json_str(json_array_get(parts, 1), "source", "document_1");
    assert_null(json_object_get(json_array_get(parts, 1), "truncated"));
    char want[4096];
    snprintf(want, sizeof want, "%s\n\n---\n\n%s", c0, c1);
    assert_json_str(r, "context", want);
    assert_null(json_object_get(r, "query"));
    json_decref(r);

    /* 51 remain: the third is cut to 51 tokens and marked. */
    r = ok(state, json_pack("{s:s, s:O, s:i}", "action", "build_context", "documents", docs, "max_tokens", 251));
    assert_json_int(r, "documents_included", 3);
    assert_json_int(r, "total_tokens", 200);
    parts = json_object_get(r, "parts");
    assert_int_equal(json_array_size(parts), 3);
    json_t *p2 = json_array_get(parts, 2);
    assert_json_bool(p2, "truncated", true);
    assert_json_str(p2, "source", "c.md");
    char cut[512];
    snprintf(cut, sizeof cut, "%.204s...[truncated]", c2);
    assert_json_str(p2, "content", cut);
    snprintf(want, sizeof want, "%s\n\n---\n\n%s\n\n---\n\n%s", c0, c1, cut);
    assert_json_str(r, "context", want);
    json_decref(r);

    /* The first document alone over budget: cut when more than 50 remain... */
    r = ok(state, json_pack("{s:s, s:O, s:i}", "action", "build_context", "documents", docs, "max_tokens", 60));
    assert_json_int(r, "documents_included", 1);
    snprintf(cut, sizeof cut, "%.240s...[truncated]", c0);
    assert_json_str(r, "context", cut);
    json_decref(r);
    /* ...and nothing when 50 or fewer do. */
    r = ok(state, json_pack("{s:s, s:O, s:i}", "action", "build_context", "documents", docs, "max_tokens", 50));
    assert_json_int(r, "documents_included", 0);
    assert_json_str(r, "context", "");
    assert_int_equal(json_array_size(json_object_get(r, "parts")), 0);
    json_decref(r);
    json_decref(docs);

    /* Entries without content are skipped but keep their index. */
    r = OKS("{\"action\":\"build_context\",\"documents\":[\"str\",{\"file_name\":\"x\"},{\"content\":\"kept\"}]}");
    assert_json_int(r, "documents_included", 1);
    assert_json_int(json_array_get(json_object_get(r, "parts"), 0), "index", 2);
    assert_json_str(r, "context", "kept");
    assert_json_int(r, "max_tokens", 4000);
    json_decref(r);
    ERRS("{\"action\":\"build_context\"}", "Missing required parameter: documents (or query)");
    free(c0);
    free(c1);
    free(c2);
}

static void test_build_context_query(void **state) {
    int64_t a = remember(state, "volcano.md", "Volcanoes erupt when magma pressure builds.", NULL);
    int64_t b = remember(state, "magma.md", "Magma chambers sit beneath volcanoes; magma is molten rock.", NULL);
    remember(state, "tea.md", "Green tea steeps at eighty degrees.", NULL);
    json_t *found = retrieve(state, "magma volcanoes", json_pack("{s:i}", "top_k", 2));
    json_t *r = OKS("{\"action\":\"build_context\",\"query\":\"magma volcanoes\",\"top_k\":2}");
    assert_json_str(r, "query", "magma volcanoes");
    assert_json_int(r, "documents_included", 2);
    json_t *parts = json_object_get(r, "parts");
    /* The search's order, with its file names as sources. */
    for (size_t i = 0; i < 2; i++)
        assert_json_str(json_array_get(parts, i), "source", jx_str(json_array_get(docs_of(found), i), "file_name"));
    assert_contains(jx_str(r, "context"), "Volcanoes erupt");
    assert_contains(jx_str(r, "context"), "Magma chambers");
    assert_not_contains(jx_str(r, "context"), "tea");
    json_decref(r);
    /* The budget applies in query mode too: room for the first only. */
    const char *top = jx_str(json_array_get(docs_of(found), 0), "content");
    char args[256];
    snprintf(args, sizeof args, "{\"action\":\"build_context\",\"query\":\"magma volcanoes\",\"top_k\":2,"
             "\"max_tokens\":%zu}", (strlen(top) + 3) / 4);
    r = OKS(args);
    assert_json_int(r, "documents_included", 1);
    assert_json_str(r, "context", top);
    json_decref(r);
    json_decref(found);
    (void)a;
    (void)b;
}

static void test_retrieve_by_type(void **state) {
    int64_t code = remember(state, "sort.c", "quicksort partitions around a pivot",
                            json_pack("{s:s}", "resource_type", "code"));
    remember(state, "sort.md", "quicksort is a divide and conquer sort", json_pack("{s:s}", "resource_type", "document"));
    json_t *r = OKS("{\"action\":\"retrieve_by_type\",\"query\":\"quicksort\",\"doc_type\":\"code\"}");
    check_ranking(r);
    assert_json_str(r, "doc_type", "code");
    assert_int_equal(json_array_size(docs_of(r)), 1);
    assert_json_int(json_array_get(docs_of(r), 0), "doc_id", code);
    assert_json_str(json_array_get(docs_of(r), 0), "resource_type", "code");
    json_decref(r);
    r = OKS("{\"action\":\"retrieve_by_type\",\"query\":\"quicksort\",\"doc_type\":\"poem\"}");
    assert_int_equal(json_array_size(docs_of(r)), 0);
    json_decref(r);
    ERRS("{\"action\":\"retrieve_by_type\",\"query\":\"quicksort\"}", "Missing required parameter: doc_type");
}

static void test_ask_with_context(void **state) {
    json_t *r = OKS("{\"action\":\"ask_with_context\",\"query\":\"anything\"}");
    assert_json_str(r, "context", "");
    assert_int_equal(json_array_size(json_object_get(r, "retrieved_chunks")), 0);
    assert_json_str(r, "message", "No memory matched the query");
    json_decref(r);

    char *filler = repeat_words("unrelated padding words", 600);
    char text[1200];
    snprintf(text, sizeof text, "%s The treasure is buried under the old oak tree.", filler);
    free(filler);
    int64_t id = remember(state, "map", text, NULL);
    remember(state, "other", "Nothing to see in this memory about cooking.", NULL);
    /* conversation_id filters: no memory of conversation "c". */
    r = OKS("{\"action\":\"ask_with_context\",\"query\":\"where is the treasure buried\",\"conversation_id\":\"c\"}");
    assert_json_str(r, "conversation_id", "c");
    assert_int_equal(json_array_size(json_object_get(r, "retrieved_chunks")), 0);
    json_decref(r);
    r = OKS("{\"action\":\"ask_with_context\",\"query\":\"where is the treasure buried\","
            "\"conversation_id\":\"default\"}");
    assert_json_str(r, "query", "where is the treasure buried");
    assert_json_str(r, "conversation_id", "default");
    assert_json_str(r, "message", "Context assembled from the best-matching memories");
    json_t *chunks = json_object_get(r, "retrieved_chunks");
    assert_true(json_array_size(chunks) >= 1);
    json_t *c0 = json_array_get(chunks, 0);
    const char *keys[] = {"chunk_id", "resource_id", "doc_id", "file_name", "score"};
    assert_int_equal(json_object_size(c0), 5);
    for (int i = 0; i < 5; i++)
        if (!json_object_get(c0, keys[i])) fail_msg("retrieved chunk lacks %s", keys[i]);
    assert_json_int(c0, "doc_id", id);
    assert_json_int(c0, "resource_id", id);
    assert_json_str(c0, "file_name", "map");
    /* The context holds the best chunk (the one with the treasure), not the
     * whole memory. */
    int64_t chunk = jx_int(c0, "chunk_id", 0);
    assert_int_equal(sql_int(state, "SELECT memory_id FROM chunks WHERE id = ?", chunk), id);
    assert_contains(jx_str(r, "context"), "treasure is buried");
    assert_true(strlen(jx_str(r, "context")) < strlen(text));
    json_decref(r);
}

/* ---- bulk_store ------------------------------------------------------------------- */

static void test_bulk_store(void **state) {
    int64_t existing = remember(state, "old", "already here", NULL);
    json_t *r = OKS("{\"action\":\"bulk_store\",\"resource_type\":\"note\",\"conversation_id\":\"imp\",\"documents\":["
                    "{\"file_name\":\"one\",\"content\":\"first imported text\",\"tags\":[\"imp\"]},"
                    "{\"file_name\":\"two\",\"content\":\"second imported text\",\"resource_type\":\"code\","
                    "\"created_at\":\"2020-02-02\",\"metadata\":{\"n\":2}},"
                    "{\"file_name\":\"dup-in-batch\",\"content\":\"first imported text\"},"
                    "{\"file_name\":\"dup-old\",\"content\":\"already here\"},"
                    "{\"file_name\":\"three\",\"content\":\"third imported text\",\"conversation_id\":\"own\"}]}");
    json_t *docs = json_object_get(r, "documents");
    assert_int_equal(json_array_size(docs), 5);
    const char *names[] = {"one", "two", "dup-in-batch", "dup-old", "three"};
    for (size_t i = 0; i < 5; i++) assert_json_str(json_array_get(docs, i), "file_name", names[i]);
    int64_t one = jx_int(json_array_get(docs, 0), "doc_id", 0), two = jx_int(json_array_get(docs, 1), "doc_id", 0),
            three = jx_int(json_array_get(docs, 4), "doc_id", 0);
    assert_true(one > existing && two > one && three > two); /* stored in input order */
    assert_json_bool(json_array_get(docs, 0), "duplicate", false);
    assert_json_bool(json_array_get(docs, 2), "duplicate", true);
    assert_json_int(json_array_get(docs, 2), "doc_id", one);
    assert_json_bool(json_array_get(docs, 3), "duplicate", true);
    assert_json_int(json_array_get(docs, 3), "doc_id", existing);
    assert_json_int(r, "stored", 3);
    assert_json_int(r, "duplicates", 2);
    json_decref(r);
    assert_int_equal(count_all(state, "memories"), 4);
    /* Per-document fields and the call's defaults. */
    char args[128];
    snprintf(args, sizeof args, "{\"action\":\"get\",\"doc_id\":%lld}", (long long)one);
    r = OKS(args);
    assert_json_str(r, "resource_type", "note");
    assert_json_str(r, "conversation_id", "imp");
    assert_string_equal(json_string_value(json_array_get(json_object_get(r, "tags"), 0)), "imp");
    json_decref(r);
    snprintf(args, sizeof args, "{\"action\":\"get\",\"doc_id\":%lld}", (long long)two);
    r = OKS(args);
    assert_json_str(r, "resource_type", "code");
    assert_json_str(r, "created_at", "2020-02-02T00:00:00.000Z");
    assert_json_int(json_object_get(r, "metadata"), "n", 2);
    json_decref(r);
    snprintf(args, sizeof args, "{\"action\":\"get\",\"doc_id\":%lld}", (long long)three);
    r = OKS(args);
    assert_json_str(r, "conversation_id", "own");
    json_decref(r);
    /* Findable like any memory. */
    r = retrieve(state, "second imported", NULL);
    assert_json_int(json_array_get(docs_of(r), 0), "doc_id", two);
    json_decref(r);
    assert_int_equal(sql_int(state, "SELECT count(*) FROM graph_nodes WHERE kind = 'memory'", 0), 4);
}

static void test_bulk_store_all_or_nothing(void **state) {
    remember(state, "before", "stored before the batch", NULL);
    int64_t memories = count_all(state, "memories"), chunks = count_all(state, "chunks"),
            nodes = count_all(state, "graph_nodes");
    char *big = repeat_words("huge", MAX_CONTENT + 1);
    json_t *bad_items[] = {
        json_pack("{s:s, s:s}", "file_name", "bad", "created_at", "not a date"),
        json_pack("{s:s}", "file_name", "no content"),
        json_pack("{s:s, s:s}", "file_name", "big", "content", big),
        json_pack("{s:s, s:s}", "file_name", "blank", "content", "   "),
        json_pack("{s:s, s:s, s:i}", "file_name", "odd", "content", "x", "colour", 3),
        json_pack("{s:s, s:s, s:[i]}", "file_name", "tags", "content", "x", "tags", 5),
        json_pack("{s:s, s:s, s:s}", "file_name", "date", "content", "dated", "created_at", "2024-99-99"),
        json_string("not an object"),
    };
    const char *needles[] = {"documents[1]", "documents[1]: missing required field content", "documents[1]",
                             "documents[1]", "documents[1]: unknown field 'colour'",
                             "documents[1].tags: expected an array of strings", "documents[1]",
                             "documents[1] must be an object"};
    free(big);
    for (size_t i = 0; i < sizeof bad_items / sizeof *bad_items; i++) {
        json_t *a = json_pack("{s:s, s:[{s:s, s:s}, o, {s:s, s:s}]}", "action", "bulk_store", "documents", "file_name",
                              "good", "content", "a perfectly good memory", bad_items[i], "file_name", "good2",
                              "content", "another good memory");
        fails(state, a, needles[i]);
        assert_int_equal(count_all(state, "memories"), memories);
        assert_int_equal(count_all(state, "chunks"), chunks);
        assert_int_equal(count_all(state, "graph_nodes"), nodes);
    }
    ERRS("{\"action\":\"bulk_store\",\"documents\":[]}", "Parameter 'documents' must not be empty");
    ERRS("{\"action\":\"bulk_store\"}", "Missing required parameter: documents");
    json_t *r = retrieve(state, "perfectly good memory", NULL);
    assert_int_equal(json_array_size(docs_of(r)), 1); /* only "before" */
    json_decref(r);
}

/* ---- tags, neighbours, graph --------------------------------------------------------- */

static void test_tags_as_string(void **state) {
    json_t *r = OKS("{\"action\":\"store\",\"file_name\":\"t\",\"content\":\"tagged by a string\","
                    "\"tags\":\" alpha, beta ,gamma,, \"}");
    int64_t id = jx_int(r, "doc_id", 0);
    json_t *tags = json_object_get(r, "tags");
    assert_int_equal(json_array_size(tags), 3);
    assert_string_equal(json_string_value(json_array_get(tags, 1)), "beta");
    json_decref(r);
    assert_int_equal(sql_int(state, "SELECT count(*) FROM memory_tags WHERE memory_id = ? AND tag IN"
                                    " ('alpha', 'beta', 'gamma')", id), 3);
    remember(state, "u", "untagged string memory", NULL);
    r = OKS("{\"action\":\"retrieve\",\"query\":\"string\",\"tags\":\"gamma,alpha\"}");
    assert_int_equal(json_array_size(docs_of(r)), 1);
    assert_json_int(json_array_get(docs_of(r), 0), "doc_id", id);
    json_decref(r);
    r = OKS("{\"action\":\"list\",\"tags\":\"beta\"}");
    assert_json_int(r, "total_count", 1);
    json_decref(r);
    char args[128];
    snprintf(args, sizeof args, "{\"action\":\"update\",\"doc_id\":%lld,\"tags\":\"delta\"}", (long long)id);
    json_decref(OKS(args));
    assert_int_equal(sql_int(state, "SELECT count(*) FROM memory_tags WHERE memory_id = ?", id), 1);
}

static void test_neighbour_context(void **state) {
    /* A conversation, turn by turn, with a turn of another conversation in
     * between. */
    int64_t t1 = remember(state, "t1", "I adopted a puppy last week.", json_pack("{s:s}", "conversation_id", "c1"));
    int64_t x = remember(state, "x", "Cooking pasta needs salted water.", json_pack("{s:s}", "conversation_id", "c2"));
    int64_t t2 = remember(state, "t2", "It is a golden retriever.", json_pack("{s:s}", "conversation_id", "c1"));
    int64_t t3 = remember(state, "t3", "We walk every morning.", json_pack("{s:s}", "conversation_id", "c1"));
    int64_t t4 = remember(state, "t4", "The vet said all is well.", json_pack("{s:s}", "conversation_id", "c1"));
    /* "puppy" is only in t1: t2 and t3 (within two turns) are found by it
     * through their context, t4 (three turns away) and x are not. */
    json_t *r = retrieve(state, "puppy", json_pack("{s:i}", "top_k", 10));
    check_ranking(r);
    assert_json_int(json_array_get(docs_of(r), 0), "doc_id", t1);
    assert_true(lexical_of(r, t1) > 0.99);
    assert_true(lexical_of(r, t2) > 0);
    assert_true(lexical_of(r, t3) > 0);
    assert_true(lexical_of(r, t2) < lexical_of(r, t1)); /* context weighs less than own words */
    assert_true(lexical_of(r, t4) == 0);
    assert_true(lexical_of(r, x) == 0);
    json_decref(r);
    /* Context is also later turns: "vet" finds t2 and t3 too, not t1. */
    r = retrieve(state, "vet", NULL);
    assert_true(lexical_of(r, t4) > 0.99);
    assert_true(lexical_of(r, t3) > 0);
    assert_true(lexical_of(r, t2) > 0);
    assert_true(lexical_of(r, t1) == 0);
    json_decref(r);
    /* Only the same conversation: "pasta" finds nothing of c1. */
    r = retrieve(state, "pasta", NULL);
    assert_true(lexical_of(r, x) > 0.99);
    assert_true(lexical_of(r, t1) == 0 && lexical_of(r, t2) == 0);
    json_decref(r);
    /* Deleting t1 removes its words from its neighbours' context. */
    char args[128];
    snprintf(args, sizeof args, "{\"action\":\"delete\",\"doc_id\":%lld}", (long long)t1);
    json_decref(OKS(args));
    r = retrieve(state, "puppy", NULL);
    for (size_t i = 0; i < json_array_size(docs_of(r)); i++)
        assert_true(jx_real(json_array_get(docs_of(r), i), "lexical_score") == 0);
    json_decref(r);
    /* Changing t4's text updates its neighbours' context. */
    snprintf(args, sizeof args, "{\"action\":\"update\",\"doc_id\":%lld,\"content\":\"The groomer trimmed fur.\"}",
             (long long)t4);
    json_decref(OKS(args));
    r = retrieve(state, "vet", NULL);
    assert_true(lexical_of(r, t3) == 0);
    json_decref(r);
    r = retrieve(state, "groomer", NULL);
    assert_true(lexical_of(r, t3) > 0);
    json_decref(r);
    /* Moving t2 to another conversation: its old neighbours lose it. */
    snprintf(args, sizeof args, "{\"action\":\"update\",\"doc_id\":%lld,\"conversation_id\":\"c2\"}", (long long)t2);
    json_decref(OKS(args));
    r = retrieve(state, "retriever", NULL);
    assert_true(lexical_of(r, t3) == 0);
    assert_true(lexical_of(r, x) > 0); /* its new neighbour */
    json_decref(r);
}

static char *ctx_of(void **state, int64_t id);

/* Memories stored without a conversation (the "default" one) are not
 * turns of one exchange: they lend each other no context. */
static void test_no_context_without_conversation(void **state) {
    int64_t d1 = remember(state, "d1", "Kangaroos hop across the plain.", NULL);
    int64_t d2 = remember(state, "d2", "Penguins swim in cold water.", NULL);
    int64_t d3 = remember(state, "d3", "Owls hunt at night.", json_pack("{s:s}", "conversation_id", "default"));
    json_t *r = retrieve(state, "kangaroos", json_pack("{s:i}", "top_k", 10));
    assert_true(lexical_of(r, d1) > 0.99);
    assert_true(lexical_of(r, d2) == 0);
    assert_true(lexical_of(r, d3) == 0);
    json_decref(r);
    char *ctx = ctx_of(state, d2);
    assert_string_equal(ctx, "");
    free(ctx);
    /* Moved into a conversation, a memory gets its turns' context there. */
    int64_t c1 = remember(state, "c1", "Koalas sleep all day.", json_pack("{s:s}", "conversation_id", "zoo"));
    char args[128];
    snprintf(args, sizeof args, "{\"action\":\"update\",\"doc_id\":%lld,\"conversation_id\":\"zoo\"}", (long long)d2);
    json_decref(OKS(args));
    r = retrieve(state, "koalas", json_pack("{s:i}", "top_k", 10));
    assert_true(lexical_of(r, c1) > 0.99);
    assert_true(lexical_of(r, d2) > 0);
    assert_true(lexical_of(r, d1) == 0);
    json_decref(r);
}

/* ---- lexical tiers and the term-count cache ------------------------------------ */

/* The fixture with a lexical budget of three rows and no neighbour context,
 * so which rows the tiers rank is visible in the lexical scores. */
static int tiers_setup(void **state) {
    mem_setup(state);
    tu_fixture *f = *state;
    memory_engine_free(f->mem);
    embed_options eo = {0};
    eo.backend = "hash";
    eo.hash_dim = 256;
    lt_err err;
    embedder *e = embedder_open(&eo, &err);
    assert_non_null(e);
    memory_config mc = {200, 20, MAX_CONTENT, 0, 0.35, 0.5, 0.95, 3, 0.75};
    f->mem = memory_engine_new(e, &mc, &err);
    assert_non_null(f->mem);
    tu_active_mem = f->mem;
    return 0;
}

static void test_lexical_tiers(void **state) {
    /* Oldest first: every term, two terms, then six newer rows holding only
     * the commonest term, more than the budget of three. */
    int64_t all3 = remember(state, "all", "alpha bravo charlie together.", NULL);
    int64_t two = remember(state, "two", "alpha bravo without the third.", NULL);
    int64_t common[6];
    for (int i = 0; i < 6; i++) {
        char text[64];
        snprintf(text, sizeof text, "alpha filler number %d here.", i);
        common[i] = remember(state, "common", text, NULL);
    }
    /* Newer rows without any term, so that "alpha" is not in most rows
     * (its BM25 weight would vanish). */
    for (int i = 0; i < 12; i++) {
        char text[64];
        snprintf(text, sizeof text, "unrelated words, item %d.", i);
        remember(state, "other", text, NULL);
    }
    json_t *r = retrieve(state, "alpha bravo charlie", json_pack("{s:i}", "top_k", 10));
    check_ranking(r);
    /* 1: every term, however old; 2: two of them; 4: the newest of the rest
     * for the one row left. The rows already ranked are not ranked twice
     * (that would use up the budget), so the newest common row gets it. */
    assert_json_int(json_array_get(docs_of(r), 0), "doc_id", all3);
    assert_true(lexical_of(r, all3) > 0.99);
    assert_true(lexical_of(r, two) > 0);
    assert_true(lexical_of(r, two) < lexical_of(r, all3));
    assert_true(lexical_of(r, common[5]) > 0);
    for (int i = 0; i < 5; i++) assert_true(lexical_of(r, common[i]) <= 0);
    json_decref(r);
    /* 3: a rare term's rows are ranked whatever their age, before the newest
     * of the commoner ones. */
    int64_t rare = remember(state, "rare", "zulu appears once with alpha.", NULL);
    for (int i = 0; i < 3; i++) {
        char text[64];
        snprintf(text, sizeof text, "alpha more filler %d.", i);
        remember(state, "more", text, NULL);
    }
    r = retrieve(state, "zulu alpha", json_pack("{s:i}", "top_k", 30));
    assert_true(lexical_of(r, rare) > 0.99);
    assert_true(lexical_of(r, common[5]) <= 0); /* the budget went to the newer rows */
    json_decref(r);
}

/* A search over a small project reads its matches in one pass and deals
 * them into the lexical tiers (deal_tiers in memory.c); the tiers run as
 * their own queries must give the very same ranking, scores to the bit.
 * Four projects of bench_http-like memories (14 words of a 30-word
 * vocabulary, a few rarer words, some memories of two chunks, one
 * conversation each so the ctx column is full), a budget of 40 rows so the
 * tiers split and run out, and 300 queries of bench_http's and
 * bench_memory's kinds, some filtered. */
#define OP_PROJECTS 4
#define OP_PER_PROJECT 60
#define OP_QUERIES 300

static const char *const op_words[] = {"sqlite", "wal", "vector", "index", "memory", "thread", "worker", "session",
                                       "token", "latency", "cache", "query", "embedding", "chunk", "project", "todo",
                                       "graph", "transport", "protocol", "server", "client", "request", "response",
                                       "deadline", "shutdown", "signal", "pool", "connection", "benchmark", "decision"};
static const char *const op_rare[] = {"zeppelin", "quartz", "marmalade", "fjord", "obsidian", "padlock"};

static unsigned op_next(unsigned *seed) {
    *seed = *seed * 1103515245u + 12345u;
    return (*seed >> 16) & 0x7fff;
}

static void op_text(unsigned *seed, int n_words, char *out, size_t cap) {
    size_t len = 0;
    out[0] = '\0';
    for (int i = 0; i < n_words && len + 20 < cap; i++) {
        const char *w = op_next(seed) % 25 == 0 ? op_rare[op_next(seed) % 6] : op_words[op_next(seed) % 30];
        len += (size_t)snprintf(out + len, cap - len, "%s%s", i ? " " : "", w);
    }
}

static int op_setup(void **state) {
    mem_setup(state);
    tu_fixture *f = *state;
    memory_engine_free(f->mem);
    embed_options eo = {0};
    eo.backend = "hash";
    eo.hash_dim = 256;
    lt_err err;
    embedder *e = embedder_open(&eo, &err);
    assert_non_null(e);
    memory_config mc = {200, 20, MAX_CONTENT, 2, 0.35, 0.5, 0.95, 40, 0.75};
    f->mem = memory_engine_new(e, &mc, &err);
    assert_non_null(f->mem);
    tu_active_mem = f->mem;
    return 0;
}

static void test_one_pass_matches_tiers(void **state) {
    lt_err err;
    lt_err_clear(&err);
    unsigned seed = 7;
    static char texts[OP_PROJECTS * OP_PER_PROJECT][400];
    memory_input in[OP_PER_PROJECT];
    const char *projects[OP_PROJECTS] = {"alpha", "beta", "gamma", "\xce\xab"}; /* the last is Greek, U+03AB */
    for (int p = 0; p < OP_PROJECTS; p++) {
        for (int i = 0; i < OP_PER_PROJECT; i++) {
            char *t = texts[p * OP_PER_PROJECT + i];
            op_text(&seed, i % 5 == 0 ? 40 : 14, t, sizeof texts[0]);
            size_t len = strlen(t);
            snprintf(t + len, sizeof texts[0] - len, " (note %d of %s)", i, projects[p]);
            in[i] = (memory_input){projects[p], "note.md", t, i % 3 ? "note" : "decision", projects[p], NULL, NULL,
                                   NULL};
        }
        json_t *results = json_array();
        assert_int_equal(memory_store_many(F->mem, F->st, in, OP_PER_PROJECT, results, NULL, NULL, &err), 0);
        json_decref(results);
    }
    int lexical_hits = 0, multi = 0;
    for (int qi = 0; qi < OP_QUERIES; qi++) {
        char query[200];
        int kind = qi % 5;
        if (kind == 0 || kind == 1) { /* bench_http: three of the common words */
            op_text(&seed, 3, query, sizeof query);
        } else if (kind == 2) { /* bench_memory's paraphrase kind, stop words and all */
            snprintf(query, sizeof query, "what about %s and %s", op_words[op_next(&seed) % 30],
                     op_words[op_next(&seed) % 30]);
        } else if (kind == 3) { /* one word, or a rare one with common ones */
            if (qi % 2) snprintf(query, sizeof query, "%s", op_words[op_next(&seed) % 30]);
            else snprintf(query, sizeof query, "%s %s %s", op_rare[op_next(&seed) % 6], op_words[op_next(&seed) % 30],
                          op_words[op_next(&seed) % 30]);
        } else { /* five or more words */
            op_text(&seed, 5 + qi % 4, query, sizeof query);
        }
        if (qi % 50 == 49) /* a lone combining accent: a word to ltmc, no token to FTS5 */
            snprintf(query, sizeof query, "%s \xcc\x81 %s", op_words[qi % 30], op_words[(qi * 7) % 30]);
        int proj = qi % OP_PROJECTS;
        if (qi % 50 == 24) { /* the project's own token (lexical.h), which only the proj column holds */
            proj = 3; /* "pceab": one word to the tokenizer too, so the column filter must stay */
            char *tok = lexical_project_token(projects[proj]);
            snprintf(query, sizeof query, "%s %s %s", tok, op_words[qi % 30], op_words[(qi * 7) % 30]);
            free(tok);
        }
        memory_filter f = {projects[proj], NULL, NULL, NULL, NULL, NULL};
        if (qi % 7 == 3) f.resource_type = "decision"; /* narrowed: the tiers join the memories */
        memory_hit *a = NULL, *b = NULL;
        size_t na = 0, nb = 0;
        memory_engine_tiers_only(F->mem, false);
        assert_int_equal(memory_search(F->mem, F->st, query, &f, 10, &a, &na, &err), 0);
        memory_engine_tiers_only(F->mem, true);
        assert_int_equal(memory_search(F->mem, F->st, query, &f, 10, &b, &nb, &err), 0);
        assert_int_equal(na, nb);
        for (size_t i = 0; i < na; i++) {
            assert_int_equal(a[i].memory_id, b[i].memory_id);
            assert_int_equal(a[i].chunk_id, b[i].chunk_id);
            assert_true(a[i].score == b[i].score);
            assert_true(a[i].similarity == b[i].similarity);
            assert_true(a[i].lexical == b[i].lexical);
            if (a[i].lexical > 0) lexical_hits++;
        }
        multi += na > 1;
        free(a);
        free(b);
    }
    memory_engine_tiers_only(F->mem, false);
    assert_true(multi > OP_QUERIES / 2); /* the comparison compared rankings */
    assert_true(lexical_hits > OP_QUERIES);
}

static void test_term_count_cache(void **state) {
    lt_err err;
    lt_err_clear(&err);
    remember(state, "a", "The quokka smiles.", NULL);
    int64_t rows = -1;
    assert_int_equal(memory_term_rows(F->mem, F->st, "quokka", 100, &rows, &err), 0);
    assert_int_equal(rows, 1);
    /* A store through the engine moves the generation on. */
    remember(state, "b", "Another quokka.", NULL);
    assert_int_equal(memory_term_rows(F->mem, F->st, "quokka", 100, &rows, &err), 0);
    assert_int_equal(rows, 2);
    /* Counted up to the limit asked for, cached separately per limit. */
    assert_int_equal(memory_term_rows(F->mem, F->st, "quokka", 1, &rows, &err), 0);
    assert_int_equal(rows, 1);
    /* A write by another connection (as by another process, which bumps
     * nothing here) is seen through SQLite's data_version. */
    store *other = tu_store_open(F->db);
    store_stmt *s = store_prepare(other, "INSERT INTO chunks_fts(rowid, words, dt, ctx, proj) VALUES (1000, 'quokka', '', '', '')",
                                  &err);
    assert_non_null(s);
    assert_int_equal(store_step(s, &err), 0);
    store_close(other);
    assert_int_equal(memory_term_rows(F->mem, F->st, "quokka", 100, &rows, &err), 0);
    assert_int_equal(rows, 3);
    /* The count is served from the cache while nothing is known to have
     * changed: a raw write on this very connection (which ltmc never makes
     * outside the engine) is not noticed... */
    s = store_prepare(F->st, "INSERT INTO chunks_fts(rowid, words, dt, ctx, proj) VALUES (1001, 'quokka', '', '', '')",
                      &err);
    assert_non_null(s);
    assert_int_equal(store_step(s, &err), 0);
    assert_int_equal(memory_term_rows(F->mem, F->st, "quokka", 100, &rows, &err), 0);
    assert_int_equal(rows, 3);
    /* ... until the generation moves. */
    caches_bump();
    assert_int_equal(memory_term_rows(F->mem, F->st, "quokka", 100, &rows, &err), 0);
    assert_int_equal(rows, 4);
}

/* A large count is reused while the chunks added and removed since stay
 * within 1/32 of it, and taken again once they do not. */
static void test_term_count_staleness(void **state) {
    lt_err err;
    lt_err_clear(&err);
    char text[64];
    int64_t first[3];
    for (int i = 0; i < 64; i++) {
        snprintf(text, sizeof text, "Wombat number %d digs.", i);
        int64_t id = remember(state, "a", text, NULL);
        if (i < 3) first[i] = id;
    }
    int64_t rows = -1;
    assert_int_equal(memory_term_rows(F->mem, F->st, "wombat", 1000, &rows, &err), 0);
    assert_int_equal(rows, 64);
    /* Two more chunks (64 / 32 = 2 allowed): the count stands. */
    remember(state, "a", "A wombat again.", NULL);
    remember(state, "a", "The last wombat.", NULL);
    assert_int_equal(memory_term_rows(F->mem, F->st, "wombat", 1000, &rows, &err), 0);
    assert_int_equal(rows, 64);
    /* A third is past the bound: counted again, exactly. */
    remember(state, "a", "One wombat too many.", NULL);
    assert_int_equal(memory_term_rows(F->mem, F->st, "wombat", 1000, &rows, &err), 0);
    assert_int_equal(rows, 67);
    /* Removals count as churn too. */
    for (int i = 0; i < 3; i++) {
        char args[96];
        snprintf(args, sizeof args, "{\"action\":\"delete\",\"doc_id\":%lld}", (long long)first[i]);
        json_decref(OKS(args));
    }
    assert_int_equal(memory_term_rows(F->mem, F->st, "wombat", 1000, &rows, &err), 0);
    assert_int_equal(rows, 64);
}

/* A term is counted in the scored columns only: one that could be a
 * project's token ("p" and hex) keeps the column filter, so the rows of
 * that project do not count; others are counted without it. */
static void test_term_count_columns(void **state) {
    lt_err err;
    lt_err_clear(&err);
    const char *rows_sql[] = {
        "INSERT INTO chunks_fts(rowid, words, dt, ctx, proj) VALUES (3000, 'wombat', '', '', 'p78')",
        "INSERT INTO chunks_fts(rowid, words, dt, ctx, proj) VALUES (3001, 'p78 wombat', '', '', 'p79')",
        "INSERT INTO chunks_fts(rowid, words, dt, ctx, proj) VALUES (3002, '', '', 'wombat p78', 'p79')",
    };
    for (size_t i = 0; i < 3; i++) {
        store_stmt *s = store_prepare(F->st, rows_sql[i], &err);
        assert_non_null(s);
        assert_int_equal(store_step(s, &err), 0);
    }
    caches_bump();
    int64_t rows = -1;
    assert_int_equal(memory_term_rows(F->mem, F->st, "p78", 100, &rows, &err), 0);
    assert_int_equal(rows, 2);
    assert_int_equal(memory_term_rows(F->mem, F->st, "wombat", 100, &rows, &err), 0);
    assert_int_equal(rows, 3);
    assert_int_equal(memory_term_rows(F->mem, F->st, "wombat", 2, &rows, &err), 0);
    assert_int_equal(rows, 2);
    /* Counted again after a change, a term that had limit rows or more is
     * first asked for its limit-th newest row: the count stays exact when
     * it has fewer rows by then. */
    assert_int_equal(memory_term_rows(F->mem, F->st, "wombat", 3, &rows, &err), 0);
    assert_int_equal(rows, 3);
    caches_bump();
    assert_int_equal(memory_term_rows(F->mem, F->st, "wombat", 3, &rows, &err), 0);
    assert_int_equal(rows, 3);
    store_stmt *del = store_prepare(F->st, "DELETE FROM chunks_fts WHERE rowid = 3001", &err);
    assert_non_null(del);
    assert_int_equal(store_step(del, &err), 0);
    caches_bump();
    assert_int_equal(memory_term_rows(F->mem, F->st, "wombat", 3, &rows, &err), 0);
    assert_int_equal(rows, 2);
    assert_int_equal(memory_term_rows(F->mem, F->st, "wombat", 2, &rows, &err), 0);
    assert_int_equal(rows, 2);
}

/* The ctx column of a chunk of memory id. */
static char *ctx_of(void **state, int64_t id) {
    lt_err err;
    lt_err_clear(&err);
    store_stmt *s = store_prepare(F->st, "SELECT ctx FROM chunks_fts WHERE rowid = (SELECT min(id) FROM chunks WHERE memory_id = ?)",
                                  &err);
    assert_non_null(s);
    store_bind_int(s, 1, id);
    assert_int_equal(store_step(s, &err), 1);
    char *ctx = strdup(store_col_text(s, 0));
    store_reset(s);
    return ctx;
}

/* The words of texts' excerpts (their first 300 bytes, cut at a character)
 * joined by newlines: what a ctx column must hold. */
static char *expected_ctx(const char *a, const char *b) {
    char joined[1024];
    size_t n = 0;
    const char *parts[] = {a, b};
    for (int i = 0; i < 2; i++) {
        size_t len = strlen(parts[i]);
        if (len > 300) {
            len = 300;
            while (len > 0 && ((unsigned char)parts[i][len] & 0xC0) == 0x80) len--;
        }
        if (i) joined[n++] = '\n';
        memcpy(joined + n, parts[i], len);
        n += len;
    }
    return lexical_words(joined, n);
}

static void test_ctx_excerpts(void **state) {
    /* Identifiers, apostrophes and a two-byte character across the 300-byte
     * cut: tokenizing each excerpt on its own (and caching it) must give the
     * words of the excerpts joined. */
    char first[400];
    memset(first, 0, sizeof first);
    strcpy(first, "The getUserName helper in src/auth.c and Caroline's HTTPServer notes. ");
    while (strlen(first) < 298) strcat(first, "more words ");
    first[296] = '\0'; /* "caf" then the two bytes of é at 299 and 300 */
    strcat(first, "caf\xc3\xa9 and a tail after the cut.");
    const char *second = "The middle turn.";
    const char *third = "Last words with dotted.names and snake_case_ids.";
    json_t *conv = json_pack("{s:s}", "conversation_id", "cx");
    int64_t a = remember(state, "a", first, json_incref(conv));
    int64_t b = remember(state, "b", second, json_incref(conv));
    remember(state, "c", third, json_incref(conv));
    char *got = ctx_of(state, b), *want = expected_ctx(first, third);
    assert_string_equal(got, want);
    free(got);
    free(want);
    /* A changed text is a new excerpt. */
    const char *edited = "An edited first turn about zebras.";
    char args[160];
    snprintf(args, sizeof args, "{\"action\":\"update\",\"doc_id\":%lld,\"content\":\"%s\"}", (long long)a, edited);
    json_decref(OKS(args));
    got = ctx_of(state, b);
    want = expected_ctx(edited, third);
    assert_string_equal(got, want);
    free(got);
    free(want);
    json_decref(conv);
}

static void test_graph(void **state) {
    int64_t id = remember(state, "g.md", "graph test memory", json_pack("{s:[s,s], s:s}", "tags", "rust", "perf",
                                                                        "project", "gp"));
    int64_t id2 = remember(state, "g2.md", "second graph memory", json_pack("{s:[s], s:s}", "tags", "rust", "project",
                                                                            "gp"));
    char key[64];
    snprintf(key, sizeof key, "memory:%lld", (long long)id);
    lt_err err;
    store_stmt *s = store_prepare(F->st, "SELECT kind, label, project FROM graph_nodes WHERE node_key = ?", &err);
    store_bind_text(s, 1, key);
    assert_int_equal(store_step(s, &err), 1);
    assert_string_equal(store_col_text(s, 0), "memory");
    assert_string_equal(store_col_text(s, 1), "g.md");
    assert_string_equal(store_col_text(s, 2), "gp");
    store_reset(s);
    /* Edges go from the memory to each tag. */
    s = store_prepare(F->st,
                      "SELECT d.node_key, d.kind, e.relation, e.project FROM graph_edges e"
                      " JOIN graph_nodes s ON s.id = e.src JOIN graph_nodes d ON d.id = e.dst"
                      " WHERE s.node_key = ? ORDER BY d.node_key",
                      &err);
    store_bind_text(s, 1, key);
    assert_int_equal(store_step(s, &err), 1);
    assert_string_equal(store_col_text(s, 0), "tag:perf");
    assert_string_equal(store_col_text(s, 1), "tag");
    assert_string_equal(store_col_text(s, 2), "TAGGED_WITH");
    assert_string_equal(store_col_text(s, 3), "gp");
    assert_int_equal(store_step(s, &err), 1);
    assert_string_equal(store_col_text(s, 0), "tag:rust");
    assert_int_equal(store_step(s, &err), 0);
    /* No edge points at a memory; a shared tag is one node. */
    assert_int_equal(sql_int(state, "SELECT count(*) FROM graph_edges e JOIN graph_nodes d ON d.id = e.dst"
                                    " WHERE d.kind = 'memory'", 0), 0);
    assert_int_equal(sql_int(state, "SELECT count(*) FROM graph_nodes WHERE node_key = 'tag:rust'", 0), 1);
    assert_int_equal(sql_int(state, "SELECT count(*) FROM graph_edges e JOIN graph_nodes d ON d.id = e.dst"
                                    " WHERE d.node_key = 'tag:rust'", 0), 2);
    /* Without tags: a node and no edge. */
    int64_t bare = remember(state, "bare", "no tags at all", json_pack("{s:s}", "project", "gp"));
    assert_int_equal(sql_int(state, "SELECT count(*) FROM graph_nodes WHERE node_key = 'memory:' || ?", bare), 1);
    assert_int_equal(sql_int(state, "SELECT count(*) FROM graph_edges e JOIN graph_nodes n ON n.id = e.src"
                                    " WHERE n.node_key = 'memory:' || ?", bare), 0);
    (void)id2;
}

int main(void) {
    tu_quiet();
#define T(fn) cmocka_unit_test_setup_teardown(fn, mem_setup, tu_fixture_teardown)
    const struct CMUnitTest tests[] = {
        T(test_store_result),
        T(test_exact_duplicate),
        T(test_near_duplicates),
        T(test_near_duplicates_off),
        T(test_store_rejects),
        T(test_retrieve_by_words_and_meaning),
        T(test_retrieve_filters),
        T(test_retrieve_token_budget),
        T(test_project_isolation),
        T(test_update),
        T(test_delete),
        T(test_get),
        T(test_list),
        T(test_build_context_documents),
        T(test_build_context_query),
        T(test_retrieve_by_type),
        T(test_ask_with_context),
        T(test_bulk_store),
        T(test_bulk_store_all_or_nothing),
        T(test_tags_as_string),
        T(test_neighbour_context),
        T(test_graph),
        T(test_term_count_cache),
        T(test_term_count_staleness),
        T(test_no_context_without_conversation),
        T(test_term_count_columns),
        T(test_ctx_excerpts),
        cmocka_unit_test_setup_teardown(test_lexical_tiers, tiers_setup, tu_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_one_pass_matches_tiers, op_setup, tu_fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
