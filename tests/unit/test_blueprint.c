/* Unit tests for task blueprints (graph/blueprint) through blueprint_action:
 * every action, the complexity heuristic's exact figures, list ordering and
 * filters, dependency checks (missing blueprints, self, duplicates,
 * cycles), topological order with its tie rules and cycle reports,
 * metadata updates, deletion, projects, and wrong arguments. */
#include "testutil.h"

#include "graph/blueprint.h"

#include <math.h>

#define F ((tu_fixture *)*state)

static json_t *bp_ok(void **state, const char *args) { return tu_ok("blueprint_action", F->st, F->cfg, args); }

#define BP_ERR(args, needle) assert_call_error("blueprint_action", F->st, F->cfg, args, needle)

static json_t *callj(void **state, json_t *args, bool ok) {
    char *text = jx_dump(args);
    json_decref(args);
    json_t *r = ok ? tu_ok("blueprint_action", F->st, F->cfg, text) : tu_fail("blueprint_action", F->st, F->cfg, text);
    free(text);
    return r;
}

/* Creates a blueprint and copies its id into id (16 bytes). */
static void create(void **state, const char *title, double priority, double complexity, const char *extra, char *id) {
    char args[1024];
    snprintf(args, sizeof args, "{\"action\":\"create\",\"title\":\"%s\",\"description\":\"about %s\",\"priority_score\":%g,"
             "\"complexity_score\":%g%s%s}", title, title, priority, complexity, extra ? "," : "", extra ? extra : "");
    json_t *r = bp_ok(state, args);
    snprintf(id, 16, "%s", jx_str(r, "blueprint_id"));
    json_decref(r);
}

static void depend(void **state, const char *dependent, const char *prerequisite) {
    char args[256];
    snprintf(args, sizeof args, "{\"action\":\"add_dependency\",\"dependent_blueprint_id\":\"%s\","
             "\"prerequisite_blueprint_id\":\"%s\"}", dependent, prerequisite);
    json_decref(bp_ok(state, args));
}

static bool is_bp_id(const char *s) {
    if (!s || strlen(s) != 11 || strncmp(s, "bp_", 3)) return false;
    for (int i = 3; i < 11; i++)
        if (!strchr("0123456789abcdef", s[i])) return false;
    return true;
}

/* ---- create ------------------------------------------------------------------------ */

static void test_create(void **state) {
    json_t *r = bp_ok(state, "{\"action\":\"create\",\"title\":\"Auth service\",\"description\":\"JWT login\","
                             "\"required_skills\":\"c, sql\",\"tags\":[\"auth\"],\"estimated_duration_minutes\":90}");
    const char *id = jx_str(r, "blueprint_id");
    assert_true(is_bp_id(id));
    /* The original's keys and defaults. */
    assert_json_str(r, "title", "Auth service");
    assert_json_str(r, "description", "JWT login");
    assert_json_str(r, "project_id", "default"); /* the project's name */
    assert_json_str(r, "complexity", "medium");
    assert_true(jx_real(r, "complexity_score") == 0.5);
    assert_true(jx_real(r, "priority_score") == 0.5);
    assert_json_int(r, "estimated_duration_minutes", 90);
    assert_json_str(r, "status", "pending");
    assert_non_null(jx_str(r, "created_at"));
    assert_non_null(jx_str(r, "message"));
    json_t *skills = json_object_get(r, "required_skills");
    assert_int_equal(json_array_size(skills), 2);
    assert_string_equal(json_string_value(json_array_get(skills, 1)), "sql");
    /* Its graph node, labelled with the title. */
    char q[128];
    snprintf(q, sizeof q, "{\"action\":\"traverse\",\"start_id\":\"blueprint:%s\",\"depth\":1}", id);
    json_t *t = tu_ok("graph_action", F->st, F->cfg, q);
    json_t *node = json_array_get(json_object_get(t, "nodes"), 0);
    assert_json_str(node, "kind", "blueprint");
    assert_json_str(node, "label", "Auth service");
    json_decref(t);
    json_decref(r);
    /* Ids differ. */
    char a[16], b[16];
    create(state, "a", 0.5, 0.5, NULL, a);
    create(state, "b", 0.5, 0.5, NULL, b);
    assert_string_not_equal(a, b);

    r = bp_ok(state, "{\"action\":\"create\",\"title\":\"x\",\"description\":\"y\",\"project_id\":\"webapp\","
                     "\"complexity\":\"CRITICAL\"}");
    assert_json_str(r, "project_id", "webapp");
    assert_json_str(r, "complexity", "critical");
    json_decref(r);

    BP_ERR("{\"action\":\"create\",\"description\":\"y\"}", "Missing required parameter: title");
    BP_ERR("{\"action\":\"create\",\"title\":\"x\"}", "Missing required parameter: description");
    BP_ERR("{\"action\":\"create\",\"title\":\" \",\"description\":\"y\"}", "Parameter 'title' must not be empty");
    BP_ERR("{\"action\":\"create\",\"title\":\"x\",\"description\":\"y\",\"complexity\":\"huge\"}",
           "expected one of: trivial, simple, medium, complex, critical");
    BP_ERR("{\"action\":\"create\",\"title\":\"x\",\"description\":\"y\",\"priority_score\":1.5}",
           "Invalid value for parameter 'priority_score': 1.5 (expected 0 to 1)");
    BP_ERR("{\"action\":\"create\",\"title\":\"x\",\"description\":\"y\",\"complexity_score\":-0.1}",
           "'complexity_score'");
    BP_ERR("{\"action\":\"create\",\"title\":\"x\",\"description\":\"y\",\"priority_score\":\"high\"}",
           "Invalid type for parameter 'priority_score': expected number, got string");
    BP_ERR("{\"action\":\"create\",\"title\":\"x\",\"description\":\"y\",\"estimated_duration_minutes\":0}",
           "'estimated_duration_minutes'");
    BP_ERR("{\"action\":\"create\",\"title\":\"x\",\"description\":\"y\",\"tags\":[\"\"]}", "each item must be 1 to");
    BP_ERR("{\"action\":\"create\",\"title\":\"x\",\"description\":\"y\",\"tags\":[1]}", "Invalid type for parameter 'tags'");
    BP_ERR("{\"action\":\"create\",\"title\":\"x\",\"description\":\"y\",\"name\":\"n\"}",
           "Unknown parameter for blueprint create: 'name'");
    BP_ERR("{\"action\":\"make\"}", "Unknown blueprint action: make");
}

/* ---- analyze_complexity --------------------------------------------------------------- */

static json_t *analyze(void **state, const char *title, const char *desc, int skills) {
    json_t *sk = json_array();
    for (int i = 0; i < skills; i++) {
        char s[8];
        snprintf(s, sizeof s, "s%d", i);
        json_array_append_new(sk, json_string(s));
    }
    return callj(state, json_pack("{s:s, s:s, s:s, s:o}", "action", "analyze_complexity", "title", title,
                                  "description", desc, "required_skills", sk), true);
}

static void expect(json_t *r, double score, const char *level, int minutes) {
    if (fabs(jx_real(r, "complexity_score") - score) > 1e-9)
        fail_msg("score %.17g, expected %g", jx_real(r, "complexity_score"), score);
    assert_json_str(r, "complexity_level", level);
    assert_json_int(r, "estimated_duration_minutes", minutes);
    json_decref(r);
}

static void test_analyze_complexity(void **state) {
    /* Nothing: simple, 60 minutes. */
    json_t *r = analyze(state, "Fix typo", "one word", 0);
    json_t *a = json_object_get(r, "analysis");
    assert_json_bool(a, "title_complexity", false);
    assert_json_int(a, "description_length", 8);
    assert_json_int(a, "technical_keywords_found", 0);
    assert_json_int(a, "required_skills_count", 0);
    assert_json_bool(a, "has_integration_aspects", false);
    assert_json_str(r, "title", "Fix typo");
    expect(r, 0.0, "simple", 60);
    /* A five-word title: +0.1 -> 60 + int(0.1 * 120) = 72. */
    expect(analyze(state, "one two three four five", "x", 0), 0.1, "simple", 72);
    /* Four words are not enough. */
    expect(analyze(state, "one two three four", "x", 0), 0.0, "simple", 60);
    /* 0.1 + 0.2 is 0.30000000000000004 in floating point, as in the
     * original: medium, 120 + int(0.30000000000000004 * 240) = 192. */
    char desc[600];
    memset(desc, 'x', 201);
    desc[201] = '\0';
    expect(analyze(state, "one two three four five", desc, 0), 0.3, "medium", 192);
    /* Length counts characters, not bytes: 150 two-byte letters are 150. */
    char *p = desc;
    for (int i = 0; i < 150; i++) p += sprintf(p, "é");
    r = analyze(state, "t", desc, 0);
    assert_json_int(json_object_get(r, "analysis"), "description_length", 150);
    expect(r, 0.0, "simple", 60);
    /* > 500 characters: 0.2 + 0.3. */
    memset(desc, 'y', 501);
    desc[501] = '\0';
    expect(analyze(state, "t", desc, 0), 0.5, "complex", 240 + (int)(0.5 * 360));
    /* Technical keywords, 0.15 each, as whole words (plural s allowed). */
    r = analyze(state, "t", "Kubernetes and Docker, with real-time monitoring; CI/CD too.", 0);
    a = json_object_get(r, "analysis");
    assert_json_int(a, "technical_keywords_found", 5);
    expect(r, 0.75, "critical", 480 + (int)(0.75 * 240));
    /* "ai" is not found inside maintain, said, email, thai or bonsai (the
     * original's defect)... */
    r = analyze(state, "t", "maintain the email said again: thai bonsai", 0);
    assert_json_int(json_object_get(r, "analysis"), "technical_keywords_found", 0);
    expect(r, 0.0, "simple", 60);
    /* ...but is as a word, and plurals count: databases, microservices. */
    r = analyze(state, "t", "AI for databases and microservices", 0);
    assert_json_int(json_object_get(r, "analysis"), "technical_keywords_found", 3);
    json_decref(r);
    /* Integration keywords: 0.1 each; "api" not inside "rapid". */
    r = analyze(state, "t", "a rapid prototype of myapi and webservice", 0);
    assert_json_bool(json_object_get(r, "analysis"), "has_integration_aspects", false);
    expect(r, 0.0, "simple", 60);
    r = analyze(state, "t", "integrate the external api of a third-party service", 0);
    assert_json_bool(json_object_get(r, "analysis"), "has_integration_aspects", true);
    expect(r, 0.5, "complex", 420);
    /* Skills: >= 3 adds 0.1, >= 5 another 0.2. */
    expect(analyze(state, "t", "x", 2), 0.0, "simple", 60);
    expect(analyze(state, "t", "x", 3), 0.1, "simple", 72);
    expect(analyze(state, "t", "x", 5), 0.3, "medium", 120 + (int)(0.30000000000000004 * 240));
    /* Capped at 1.0. */
    r = analyze(state, "a very long title of many words",
                "distributed scalable kubernetes docker security encryption performance database testing devops", 5);
    expect(r, 1.0, "critical", 720);
    BP_ERR("{\"action\":\"analyze_complexity\",\"title\":\"t\"}", "Missing required parameter: description");
}

/* ---- list_project ------------------------------------------------------------------------- */

static void test_list_project(void **state) {
    char ids[10][16];
    /* Interleaved priorities; even ones tagged "x". */
    for (int i = 0; i < 10; i++) {
        char title[16], extra[128];
        snprintf(title, sizeof title, "bp%d", i);
        snprintf(extra, sizeof extra, "\"tags\":%s,\"complexity\":\"%s\"", i % 2 ? "[\"y\"]" : "[\"x\",\"z\"]",
                 blueprint_levels[i % 5]);
        create(state, title, i / 10.0, 0.5, extra, ids[i]);
    }
    json_t *r = bp_ok(state, "{\"action\":\"list_project\"}");
    assert_json_int(r, "total_found", 10);
    assert_json_int(r, "total_count", 10);
    assert_json_int(r, "limit_applied", 10);
    json_t *list = json_object_get(r, "blueprints");
    /* Highest priority first. */
    assert_json_str(json_array_get(list, 0), "blueprint_id", ids[9]);
    assert_json_str(json_array_get(list, 9), "blueprint_id", ids[0]);
    json_t *item = json_array_get(list, 0);
    static const char *const keys[] = {"blueprint_id", "title", "description", "complexity", "complexity_score",
                                       "priority_score", "estimated_duration_minutes", "required_skills", "tags",
                                       "status", "created_at", NULL};
    for (const char *const *k = keys; *k; k++)
        if (!json_object_get(item, *k)) fail_msg("list item lacks %s", *k);
    assert_true(json_is_array(json_object_get(item, "tags")));
    json_decref(r);

    /* The tag filter runs before LIMIT: three tagged ones, not fewer. */
    r = bp_ok(state, "{\"action\":\"list_project\",\"tags\":\"x\",\"limit\":3}");
    list = json_object_get(r, "blueprints");
    assert_int_equal(json_array_size(list), 3);
    assert_json_int(r, "total_count", 5);
    assert_json_bool(r, "has_more", true);
    assert_json_str(json_array_get(list, 0), "blueprint_id", ids[8]);
    assert_json_str(json_array_get(list, 1), "blueprint_id", ids[6]);
    assert_json_str(json_array_get(list, 2), "blueprint_id", ids[4]);
    assert_string_equal(json_string_value(json_array_get(json_object_get(json_object_get(r, "filters"), "tags"), 0)), "x");
    json_decref(r);
    r = bp_ok(state, "{\"action\":\"list_project\",\"tags\":[\"nope\",\"y\"]}"); /* any of them */
    assert_json_int(r, "total_count", 5);
    json_decref(r);
    /* min_complexity: complex and critical are i % 5 in {3, 4}. */
    r = bp_ok(state, "{\"action\":\"list_project\",\"min_complexity\":\"complex\"}");
    assert_json_int(r, "total_count", 4);
    assert_json_str(json_object_get(r, "filters"), "min_complexity", "complex");
    json_decref(r);
    r = bp_ok(state, "{\"action\":\"list_project\",\"min_complexity\":\"complex\",\"tags\":\"x\"}");
    assert_json_int(r, "total_count", 2); /* 4 (critical) and 8 (complex) */
    json_decref(r);
    /* Paging. */
    r = bp_ok(state, "{\"action\":\"list_project\",\"limit\":4,\"offset\":8}");
    assert_json_int(r, "total_found", 2);
    assert_json_bool(r, "has_more", false);
    json_decref(r);
    /* project_id labels. */
    char other[16];
    create(state, "labelled", 0.99, 0.5, "\"project_id\":\"webapp\"", other);
    r = bp_ok(state, "{\"action\":\"list_project\",\"project_id\":\"webapp\"}");
    assert_json_int(r, "total_count", 1);
    assert_json_str(r, "project_id", "webapp");
    json_decref(r);
    r = bp_ok(state, "{\"action\":\"list_project\",\"project_id\":\"default\"}");
    assert_json_int(r, "total_count", 10);
    json_decref(r);
    /* Ties on priority: higher complexity first. */
    char lo[16], hi[16];
    create(state, "tie-lo", 0.95, 0.1, "\"project_id\":\"ties\"", lo);
    create(state, "tie-hi", 0.95, 0.9, "\"project_id\":\"ties\"", hi);
    r = bp_ok(state, "{\"action\":\"list_project\",\"project_id\":\"ties\"}");
    assert_json_str(json_array_get(json_object_get(r, "blueprints"), 0), "blueprint_id", hi);
    json_decref(r);
    BP_ERR("{\"action\":\"list_project\",\"min_complexity\":\"hard\"}", "'min_complexity'");
    BP_ERR("{\"action\":\"list_project\",\"limit\":1001}", "'limit'");
    /* Another project sees none of them. */
    r = bp_ok(state, "{\"action\":\"list_project\",\"project\":\"other\"}");
    assert_json_int(r, "total_count", 0);
    json_decref(r);
}

/* ---- dependencies ------------------------------------------------------------------------------- */

static void test_add_dependency(void **state) {
    char a[16], b[16], c[16];
    create(state, "A", 0.5, 0.5, NULL, a);
    create(state, "B", 0.5, 0.5, NULL, b);
    create(state, "C", 0.5, 0.5, NULL, c);
    char q[512];
    snprintf(q, sizeof q, "{\"action\":\"add_dependency\",\"dependent_blueprint_id\":\"%s\",\"prerequisite_blueprint_id\":"
             "\"%s\",\"dependency_type\":\"soft\",\"is_critical\":true}", a, b);
    json_t *r = bp_ok(state, q);
    assert_json_str(r, "dependent_blueprint_id", a);
    assert_json_str(r, "prerequisite_blueprint_id", b);
    assert_json_str(r, "dependency_type", "soft");
    assert_json_bool(r, "is_critical", true);
    assert_non_null(jx_str(r, "created_at"));
    json_decref(r);
    /* The graph sees it: a DEPENDS_ON edge with the dependency's properties. */
    snprintf(q, sizeof q, "{\"action\":\"query\",\"entity\":\"blueprint:%s\",\"direction\":\"outgoing\"}", a);
    r = tu_ok("graph_action", F->st, F->cfg, q);
    assert_json_int(r, "count", 1);
    json_t *e = json_array_get(json_object_get(r, "relationships"), 0);
    assert_json_str(e, "relationship_type", "DEPENDS_ON");
    char key[32];
    snprintf(key, sizeof key, "blueprint:%s", b);
    assert_json_str(e, "target_id", key);
    assert_json_str(json_object_get(e, "properties"), "dependency_type", "soft");
    assert_json_bool(json_object_get(e, "properties"), "is_critical", true);
    json_decref(r);

    snprintf(q, sizeof q, "{\"action\":\"add_dependency\",\"dependent_blueprint_id\":\"%s\",\"prerequisite_blueprint_id\":"
             "\"%s\"}", a, b);
    char want[128];
    snprintf(want, sizeof want, "Dependency already exists: %s already depends on %s", a, b);
    BP_ERR(q, want);
    snprintf(q, sizeof q, "{\"action\":\"add_dependency\",\"dependent_blueprint_id\":\"%s\",\"prerequisite_blueprint_id\":"
             "\"%s\"}", a, a);
    BP_ERR(q, "A blueprint cannot depend on itself");
    snprintf(q, sizeof q, "{\"action\":\"add_dependency\",\"dependent_blueprint_id\":\"%s\",\"prerequisite_blueprint_id\":"
             "\"bp_00000000\"}", a);
    BP_ERR(q, "Blueprint with ID bp_00000000 not found");
    snprintf(q, sizeof q, "{\"action\":\"add_dependency\",\"dependent_blueprint_id\":\"bp_ffffffff\","
             "\"prerequisite_blueprint_id\":\"%s\"}", a);
    BP_ERR(q, "Blueprint with ID bp_ffffffff not found");
    BP_ERR("{\"action\":\"add_dependency\",\"dependent_blueprint_id\":\"x\"}",
           "Missing required parameter: prerequisite_blueprint_id");
    snprintf(q, sizeof q, "{\"action\":\"add_dependency\",\"dependent_blueprint_id\":\"%s\",\"prerequisite_blueprint_id\":"
             "\"%s\",\"is_critical\":\"yes\"}", a, c);
    BP_ERR(q, "Invalid type for parameter 'is_critical': expected boolean, got string");

    /* Two-cycle: B on A closes A -> B -> A. */
    snprintf(q, sizeof q, "{\"action\":\"add_dependency\",\"dependent_blueprint_id\":\"%s\",\"prerequisite_blueprint_id\":"
             "\"%s\"}", b, a);
    r = tu_fail("blueprint_action", F->st, F->cfg, q);
    snprintf(want, sizeof want, "Dependency would create a cycle: %s -> %s -> %s", b, a, b);
    assert_contains(jx_str(r, "error"), want);
    json_t *cycle = json_object_get(r, "cycle");
    assert_int_equal(json_array_size(cycle), 3);
    assert_string_equal(json_string_value(json_array_get(cycle, 0)), b);
    assert_string_equal(json_string_value(json_array_get(cycle, 1)), a);
    assert_string_equal(json_string_value(json_array_get(cycle, 2)), b);
    json_decref(r);
    /* Three-cycle: B on C, then C on A closes C -> A -> B -> C. */
    depend(state, b, c);
    snprintf(q, sizeof q, "{\"action\":\"add_dependency\",\"dependent_blueprint_id\":\"%s\",\"prerequisite_blueprint_id\":"
             "\"%s\"}", c, a);
    snprintf(want, sizeof want, "Dependency would create a cycle: %s -> %s -> %s -> %s", c, a, b, c);
    BP_ERR(q, want);
    /* A refused dependency left nothing behind. */
    snprintf(q, sizeof q, "{\"action\":\"get_dependencies\",\"blueprint_id\":\"%s\"}", c);
    r = bp_ok(state, q);
    assert_json_int(r, "dependency_count", 0);
    assert_json_int(r, "dependent_count", 1);
    json_decref(r);
}

static void test_get_dependencies(void **state) {
    char a[16], b[16], c[16], d[16];
    create(state, "A", 0.5, 0.5, NULL, a);
    create(state, "Bee", 0.5, 0.5, NULL, b);
    create(state, "Cee", 0.5, 0.5, NULL, c);
    create(state, "Dee", 0.5, 0.5, NULL, d);
    depend(state, a, b);
    char q[512];
    snprintf(q, sizeof q, "{\"action\":\"add_dependency\",\"dependent_blueprint_id\":\"%s\",\"prerequisite_blueprint_id\":"
             "\"%s\",\"is_critical\":true}", a, c);
    json_decref(bp_ok(state, q));
    depend(state, d, a);
    snprintf(q, sizeof q, "{\"action\":\"get_dependencies\",\"blueprint_id\":\"%s\"}", a);
    json_t *r = bp_ok(state, q);
    assert_json_str(r, "blueprint_id", a);
    assert_json_int(r, "dependency_count", 2);
    assert_json_bool(r, "has_critical_dependencies", true);
    json_t *deps = json_object_get(r, "dependencies");
    /* Critical first, then oldest; the original's keys. */
    json_t *first = json_array_get(deps, 0);
    assert_json_str(first, "prerequisite_blueprint_id", c);
    assert_json_str(first, "prerequisite_title", "Cee");
    assert_json_bool(first, "is_critical", true);
    assert_json_str(first, "dependency_type", "blocking");
    assert_non_null(jx_str(first, "created_at"));
    assert_json_str(json_array_get(deps, 1), "prerequisite_blueprint_id", b);
    assert_json_int(r, "dependent_count", 1);
    assert_json_str(json_array_get(json_object_get(r, "dependents"), 0), "dependent_blueprint_id", d);
    assert_json_str(json_array_get(json_object_get(r, "dependents"), 0), "dependent_title", "Dee");
    json_decref(r);
    BP_ERR("{\"action\":\"get_dependencies\",\"blueprint_id\":\"bp_12345678\"}", "Blueprint with ID bp_12345678 not found");
    BP_ERR("{\"action\":\"get_dependencies\"}", "Missing required parameter: blueprint_id");
}

/* ---- resolve_order --------------------------------------------------------------------------- */

static json_t *order_of(void **state, const char *const *ids, size_t n, bool ok) {
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) json_array_append_new(list, json_string(ids[i]));
    return callj(state, json_pack("{s:s, s:o}", "action", "resolve_order", "blueprint_ids", list), ok);
}

static void assert_order(json_t *r, const char *const *want, size_t n) {
    json_t *order = json_object_get(r, "execution_order");
    assert_int_equal(json_array_size(order), n);
    for (size_t i = 0; i < n; i++) {
        const char *got = jx_str(json_array_get(order, i), "blueprint_id");
        if (strcmp(got, want[i]) != 0) fail_msg("position %zu: %s, expected %s", i, got, want[i]);
    }
}

static void test_resolve_order(void **state) {
    /* Priorities: p1 .9, p2 .5 (complexity .9), p3 .5 (complexity .1), p4 .1, p5 .95 (needs p4). */
    char p1[16], p2[16], p3[16], p4[16], p5[16];
    create(state, "p1", 0.9, 0.5, NULL, p1);
    create(state, "p2", 0.5, 0.9, NULL, p2);
    create(state, "p3", 0.5, 0.1, NULL, p3);
    create(state, "p4", 0.1, 0.5, NULL, p4);
    create(state, "p5", 0.95, 0.5, NULL, p5);
    const char *all[] = {p1, p2, p3, p4, p5};
    /* No dependencies: priority, then complexity. */
    json_t *r = order_of(state, all, 5, true);
    const char *want0[] = {p5, p1, p2, p3, p4};
    assert_order(r, want0, 5);
    assert_json_int(r, "total_blueprints", 5);
    assert_json_int(r, "dependencies_analyzed", 0);
    assert_json_bool(r, "has_dependencies", false);
    json_decref(r);
    /* p5 needs p4, p1 needs p3: prerequisites first, ties as before among the ready. */
    depend(state, p5, p4);
    depend(state, p1, p3);
    r = order_of(state, all, 5, true);
    const char *want1[] = {p2, p3, p1, p4, p5};
    assert_order(r, want1, 5);
    assert_json_int(r, "dependencies_analyzed", 2);
    assert_json_bool(r, "has_dependencies", true);
    json_t *item = json_array_get(json_object_get(r, "execution_order"), 4);
    assert_json_str(item, "title", "p5");
    assert_string_equal(json_string_value(json_array_get(json_object_get(item, "prerequisites"), 0)), p4);
    assert_true(jx_real(item, "priority_score") == 0.95);
    assert_true(json_is_number(json_object_get(item, "complexity_score")));
    json_decref(r);
    /* A prerequisite outside the list does not hold the order up; it is named. */
    const char *some[] = {p5, p1, p1}; /* a repeated id counts once */
    r = order_of(state, some, 3, true);
    const char *want2[] = {p5, p1};
    assert_order(r, want2, 2);
    json_t *first = json_array_get(json_object_get(r, "execution_order"), 0);
    assert_string_equal(json_string_value(json_array_get(json_object_get(first, "unlisted_prerequisites"), 0)), p4);
    assert_int_equal(json_array_size(json_object_get(first, "prerequisites")), 0);
    json_decref(r);
    /* Unknown ids are named. */
    const char *missing[] = {p1, "bp_00000000", "bp_11111111"};
    r = order_of(state, missing, 3, false);
    assert_contains(jx_str(r, "error"), "Blueprints not found: bp_00000000, bp_11111111");
    json_decref(r);
    BP_ERR("{\"action\":\"resolve_order\",\"blueprint_ids\":[]}", "must not be empty");
    BP_ERR("{\"action\":\"resolve_order\"}", "Missing required parameter: blueprint_ids");
    /* A comma-separated string works too (the original accepted lists only). */
    char q[128];
    snprintf(q, sizeof q, "{\"action\":\"resolve_order\",\"blueprint_ids\":\"%s, %s\"}", p4, p5);
    r = bp_ok(state, q);
    const char *want3[] = {p4, p5};
    assert_order(r, want3, 2);
    json_decref(r);
}

/* Cycles cannot be made through ltmc, but a database written by other
 * means (or damaged) may hold one: resolve_order names its members. */
static void test_resolve_order_reports_cycles(void **state) {
    char a[16], b[16], c[16], d[16], e[16];
    create(state, "a", 0.5, 0.5, NULL, a);
    create(state, "b", 0.5, 0.5, NULL, b);
    create(state, "c", 0.5, 0.5, NULL, c);
    create(state, "d", 0.5, 0.5, NULL, d);
    create(state, "e", 0.5, 0.5, NULL, e);
    depend(state, a, b);
    depend(state, b, c);
    depend(state, d, a); /* d is blocked by the cycle without being in it */
    char sql[512];
    snprintf(sql, sizeof sql,
             "INSERT INTO graph_edges(project, src, dst, relation, created_at)"
             " SELECT 'default', s.id, t.id, 'DEPENDS_ON', 't' FROM graph_nodes s, graph_nodes t"
             " WHERE s.node_key = 'blueprint:%s' AND t.node_key = 'blueprint:%s'", c, a);
    lt_err err;
    if (store_exec(F->st, sql, &err)) fail_msg("%s", err.msg);
    const char *all[] = {a, b, c, d, e};
    json_t *r = order_of(state, all, 5, false);
    assert_contains(jx_str(r, "error"), "Circular dependencies detected: ");
    json_t *members = json_object_get(r, "cyclic_dependencies");
    assert_int_equal(json_array_size(members), 3);
    json_t *cycles = json_object_get(r, "cycles");
    assert_int_equal(json_array_size(cycles), 1);
    json_t *cyc = json_array_get(cycles, 0);
    assert_int_equal(json_array_size(cyc), 4);
    assert_string_equal(json_string_value(json_array_get(cyc, 0)), json_string_value(json_array_get(cyc, 3)));
    /* It follows the dependencies: each depends on the next. */
    const char *first = json_string_value(json_array_get(cyc, 0));
    char names[200];
    if (strcmp(first, a) == 0) snprintf(names, sizeof names, "%s -> %s -> %s -> %s", a, b, c, a);
    else if (strcmp(first, b) == 0) snprintf(names, sizeof names, "%s -> %s -> %s -> %s", b, c, a, b);
    else snprintf(names, sizeof names, "%s -> %s -> %s -> %s", c, a, b, c);
    assert_contains(jx_str(r, "error"), names);
    json_t *blocked = json_object_get(r, "blocked");
    assert_int_equal(json_array_size(blocked), 1);
    assert_string_equal(json_string_value(json_array_get(blocked, 0)), d);
    json_decref(r);
    /* Without the blocked part the rest still orders. */
    const char *free_ones[] = {e, d};
    r = order_of(state, free_ones, 2, true);
    json_decref(r);
}

static void test_resolve_order_large(void **state) {
    /* 300 blueprints, each depending on up to three earlier ones (chosen
     * deterministically): every prerequisite must come first. */
    enum { N = 300 };
    static char ids[N][16];
    json_t *docs = json_array();
    (void)docs;
    for (int i = 0; i < N; i++) {
        char title[16];
        snprintf(title, sizeof title, "n%d", i);
        create(state, title, (double)((i * 37) % 100) / 100, (double)((i * 11) % 100) / 100, NULL, ids[i]);
    }
    json_decref(docs);
    uint64_t x = 42;
    int edges = 0;
    for (int i = 1; i < N; i++) {
        for (int k = 0; k < 3; k++) {
            x = x * 6364136223846793005ull + 1442695040888963407ull;
            int j = (int)((x >> 33) % (uint64_t)i);
            char q[256];
            snprintf(q, sizeof q, "{\"action\":\"add_dependency\",\"dependent_blueprint_id\":\"%s\","
                     "\"prerequisite_blueprint_id\":\"%s\"}", ids[i], ids[j]);
            bool failed;
            json_t *r = tu_call_ex("blueprint_action", F->st, F->cfg, q, &failed);
            if (failed) assert_contains(jx_str(r, "error"), "already exists");
            else edges++;
            json_decref(r);
        }
    }
    const char *all[N];
    for (int i = 0; i < N; i++) all[i] = ids[N - 1 - i];
    json_t *r = order_of(state, all, N, true);
    assert_json_int(r, "dependencies_analyzed", edges);
    json_t *order = json_object_get(r, "execution_order");
    assert_int_equal(json_array_size(order), N);
    int pos[N];
    for (int i = 0; i < N; i++) {
        const char *id = jx_str(json_array_get(order, i), "blueprint_id");
        int k = 0;
        while (k < N && strcmp(ids[k], id) != 0) k++;
        assert_true(k < N);
        pos[k] = i;
    }
    for (int i = 0; i < N; i++) {
        json_t *pre = json_object_get(json_array_get(order, pos[i]), "prerequisites");
        size_t j;
        json_t *v;
        json_array_foreach(pre, j, v) {
            int k = 0;
            while (k < N && strcmp(ids[k], json_string_value(v)) != 0) k++;
            assert_true(k < N);
            if (pos[k] >= pos[i]) fail_msg("%s comes before its prerequisite %s", ids[i], ids[k]);
        }
    }
    json_decref(r);
}

/* ---- update_metadata, delete -------------------------------------------------------------------- */

static void test_update_metadata(void **state) {
    char a[16];
    create(state, "Old title", 0.5, 0.5, NULL, a);
    char q[512];
    snprintf(q, sizeof q, "{\"action\":\"update_metadata\",\"blueprint_id\":\"%s\",\"priority_score\":0.8,"
             "\"status\":\"in_progress\",\"tags\":[\"t\"],\"title\":\"New title\"}", a);
    json_t *r = bp_ok(state, q);
    /* Exactly the fields applied (the original listed every parameter). */
    char *fields = jx_dump(json_object_get(r, "updated_fields"));
    assert_string_equal(fields, "[\"title\",\"priority_score\",\"tags\",\"status\"]");
    free(fields);
    assert_json_str(r, "blueprint_id", a);
    assert_true(jx_real(r, "priority_score") == 0.8);
    assert_json_int(r, "estimated_duration_minutes", 60);
    json_t *bp = json_object_get(r, "blueprint");
    assert_json_str(bp, "title", "New title");
    assert_json_str(bp, "status", "in_progress");
    assert_json_str(bp, "description", "about Old title"); /* untouched */
    assert_true(strcmp(jx_str(bp, "updated_at"), jx_str(bp, "created_at")) >= 0);
    json_decref(r);
    /* The graph node follows the title. */
    snprintf(q, sizeof q, "{\"action\":\"traverse\",\"start_id\":\"blueprint:%s\",\"depth\":1}", a);
    r = tu_ok("graph_action", F->st, F->cfg, q);
    assert_json_str(json_array_get(json_object_get(r, "nodes"), 0), "label", "New title");
    json_decref(r);
    snprintf(q, sizeof q, "{\"action\":\"update_metadata\",\"blueprint_id\":\"%s\",\"estimated_duration_minutes\":5,"
             "\"complexity\":\"trivial\",\"complexity_score\":0,\"required_skills\":[\"go\"]}", a);
    r = bp_ok(state, q);
    assert_json_int(r, "estimated_duration_minutes", 5);
    assert_json_str(json_object_get(r, "blueprint"), "complexity", "trivial");
    assert_true(jx_real(json_object_get(r, "blueprint"), "complexity_score") == 0.0);
    json_decref(r);

    snprintf(q, sizeof q, "{\"action\":\"update_metadata\",\"blueprint_id\":\"%s\"}", a);
    BP_ERR(q, "Nothing to update");
    BP_ERR("{\"action\":\"update_metadata\",\"blueprint_id\":\"bp_99999999\",\"status\":\"blocked\"}",
           "Blueprint with ID bp_99999999 not found");
    snprintf(q, sizeof q, "{\"action\":\"update_metadata\",\"blueprint_id\":\"%s\",\"status\":\"done\"}", a);
    BP_ERR(q, "expected one of: draft, pending, in_progress, blocked, completed, cancelled");
    snprintf(q, sizeof q, "{\"action\":\"update_metadata\",\"blueprint_id\":\"%s\",\"priority_score\":2}", a);
    BP_ERR(q, "'priority_score'");
    snprintf(q, sizeof q, "{\"action\":\"update_metadata\",\"blueprint_id\":\"%s\",\"project_id\":\"x\"}", a);
    BP_ERR(q, "Unknown parameter for blueprint update_metadata: 'project_id'");
}

static void test_delete(void **state) {
    char a[16], b[16], c[16];
    create(state, "A", 0.5, 0.5, NULL, a);
    create(state, "B", 0.5, 0.5, NULL, b);
    create(state, "C", 0.5, 0.5, NULL, c);
    depend(state, a, b);
    depend(state, b, c);
    char q[256];
    snprintf(q, sizeof q, "{\"action\":\"delete\",\"blueprint_id\":\"%s\"}", b);
    json_t *r = bp_ok(state, q);
    assert_json_str(r, "blueprint_id", b);
    assert_json_str(r, "title", "B");
    assert_json_int(r, "dependencies_removed", 2);
    assert_non_null(jx_str(r, "message"));
    json_decref(r);
    BP_ERR(q, "not found");
    /* Both directions are gone. */
    snprintf(q, sizeof q, "{\"action\":\"get_dependencies\",\"blueprint_id\":\"%s\"}", a);
    r = bp_ok(state, q);
    assert_json_int(r, "dependency_count", 0);
    json_decref(r);
    snprintf(q, sizeof q, "{\"action\":\"get_dependencies\",\"blueprint_id\":\"%s\"}", c);
    r = bp_ok(state, q);
    assert_json_int(r, "dependent_count", 0);
    json_decref(r);
    snprintf(q, sizeof q, "{\"action\":\"query\",\"entity\":\"blueprint:%s\"}", b);
    r = tu_ok("graph_action", F->st, F->cfg, q);
    assert_json_bool(r, "node_exists", false);
    json_decref(r);
    r = tu_ok("graph_action", F->st, F->cfg, "{\"action\":\"stats\"}");
    assert_json_int(r, "total_relationships", 0);
    assert_json_int(json_object_get(r, "record_counts"), "blueprints", 2);
    json_decref(r);
}

static void test_projects_isolated(void **state) {
    char a[16];
    create(state, "A", 0.5, 0.5, NULL, a);
    char q[256];
    snprintf(q, sizeof q, "{\"action\":\"get_dependencies\",\"blueprint_id\":\"%s\",\"project\":\"other\"}", a);
    BP_ERR(q, "not found");
    snprintf(q, sizeof q, "{\"action\":\"delete\",\"blueprint_id\":\"%s\",\"project\":\"other\"}", a);
    BP_ERR(q, "not found");
    snprintf(q, sizeof q, "{\"action\":\"update_metadata\",\"blueprint_id\":\"%s\",\"status\":\"blocked\",\"project\":\"other\"}",
             a);
    BP_ERR(q, "not found");
    json_t *r = bp_ok(state, "{\"action\":\"create\",\"title\":\"B\",\"description\":\"d\",\"project\":\"other\"}");
    char b[16];
    snprintf(b, sizeof b, "%s", jx_str(r, "blueprint_id"));
    json_decref(r);
    snprintf(q, sizeof q, "{\"action\":\"add_dependency\",\"dependent_blueprint_id\":\"%s\",\"prerequisite_blueprint_id\":"
             "\"%s\",\"project\":\"other\"}", b, a);
    BP_ERR(q, "not found");
    const char *ids[] = {a};
    json_t *list = json_pack("[s]", ids[0]);
    r = callj(state, json_pack("{s:s, s:s, s:o}", "action", "resolve_order", "project", "other", "blueprint_ids", list),
              false);
    assert_contains(jx_str(r, "error"), "not found");
    json_decref(r);
    /* Still there in its own project. */
    snprintf(q, sizeof q, "{\"action\":\"get_dependencies\",\"blueprint_id\":\"%s\"}", a);
    json_decref(bp_ok(state, q));
}

int main(void) {
    tu_quiet();
#define T(f) cmocka_unit_test_setup_teardown(f, tu_fixture_setup, tu_fixture_teardown)
    const struct CMUnitTest tests[] = {
        T(test_create),           T(test_analyze_complexity),          T(test_list_project),
        T(test_add_dependency),   T(test_get_dependencies),            T(test_resolve_order),
        T(test_resolve_order_reports_cycles), T(test_resolve_order_large), T(test_update_metadata),
        T(test_delete),           T(test_projects_isolated),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
