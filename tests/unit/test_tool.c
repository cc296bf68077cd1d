/* Unit tests for tools/tool: validation, schema description, the call path,
 * and consistency checks over every tool's declaration tables. */
#include "testutil.h"

static const char *const tool_names[] = {"memory_action", "todo_action",      "chat_action",
                                         "graph_action",  "blueprint_action", "unix_action",
                                         "pattern_action", "cache_action", "documentation_action",
                                         "sync_action",  "config_action"};
#define N_TOOLS (sizeof tool_names / sizeof tool_names[0])

static void test_registry(void **state) {
    (void)state;
    size_t n;
    const tool_def *const *all = tools_all(&n);
    assert_int_equal(n, N_TOOLS);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(all[i]->name, tool_names[i]);
        assert_ptr_equal(tool_find(tool_names[i]), all[i]);
    }
    assert_null(tool_find(""));
    assert_null(tool_find("TODO_ACTION"));
}

static void test_missing_action(void **state) {
    (void)state;
    for (size_t i = 0; i < N_TOOLS; i++) {
        assert_string_equal(tu_validate_error(tool_names[i], "{}"), "Missing required parameter: action");
        assert_string_equal(tu_validate_error(tool_names[i], "{\"action\": null}"), "Missing required parameter: action");
        assert_string_equal(tu_validate_error(tool_names[i], "{\"action\": \"  \"}"), "Missing required parameter: action");
        assert_string_equal(tu_validate_error(tool_names[i], "{\"project\": \"p\"}"), "Missing required parameter: action");
        /* NULL arguments are "no arguments". */
        const action_def *a = (const action_def *)1;
        lt_err err;
        assert_null(tool_validate(tool_find(tool_names[i]), &a, NULL, &err));
        assert_null(a);
        assert_string_equal(err.msg, "Missing required parameter: action");
    }
    assert_string_equal(tu_validate_error("todo_action", "{\"action\": 5}"),
                        "Invalid type for parameter 'action': expected string, got integer");
    assert_string_equal(tu_validate_error("todo_action", "{\"action\": [\"add\"]}"),
                        "Invalid type for parameter 'action': expected string, got array");
    assert_string_equal(tu_validate_error("todo_action", "[1]"), "Arguments must be an object, got array");
    assert_string_equal(tu_validate_error("chat_action", "\"log\""), "Arguments must be an object, got string");
}

static void test_unknown_action(void **state) {
    (void)state;
    assert_string_equal(tu_validate_error("todo_action", "{\"action\": \"x\"}"),
                        "Unknown todo action: x (valid actions: add, list, complete, search, update, delete)");
    assert_string_equal(tu_validate_error("chat_action", "{\"action\": \"route\"}"),
                        "Unknown chat action: route (valid actions: log, get_by_tool, get_tool_conversations, "
                        "get_conversation, route_query)");
    assert_string_equal(tu_validate_error("memory_action", "{\"action\": \"x\"}"),
                        "Unknown memory action: x (valid actions: store, bulk_store, retrieve, build_context, "
                        "retrieve_by_type, ask_with_context, get, update, delete, list)");
    assert_string_equal(tu_validate_error("graph_action", "{\"action\": \"x\"}"),
                        "Unknown graph action: x (valid actions: link, query, auto_link, get_relationships, stats, "
                        "unlink, delete_node, traverse, path, export, import)");
    assert_string_equal(tu_validate_error("blueprint_action", "{\"action\": \"x\"}"),
                        "Unknown blueprint action: x (valid actions: create, analyze_complexity, list_project, "
                        "add_dependency, resolve_order, update_metadata, get_dependencies, delete)");
    assert_string_equal(tu_validate_error("config_action", "{\"action\": \"x\"}"),
                        "Unknown config action: x (valid actions: validate_config, get_config_schema, export_config)");
    /* Action names are exact. */
    assert_contains(tu_validate_error("todo_action", "{\"action\": \"ADD\"}"), "Unknown todo action: ADD");
    assert_contains(tu_validate_error("todo_action", "{\"action\": \" add\"}"), "Unknown todo action");
}

static void test_unknown_parameter(void **state) {
    (void)state;
    assert_string_equal(tu_validate_error("todo_action", "{\"action\": \"list\", \"bogus\": 1}"),
                        "Unknown parameter for todo list: 'bogus' (accepted: status, limit, offset, project)");
    /* A parameter of another action is unknown here. */
    assert_contains(tu_validate_error("todo_action", "{\"action\": \"list\", \"title\": \"t\"}"),
                    "Unknown parameter for todo list: 'title'");
    assert_contains(tu_validate_error("config_action", "{\"action\": \"export_config\", \"verbose\": true}"),
                    "Unknown parameter for config export_config: 'verbose' (accepted: project)");
    assert_contains(tu_validate_error("chat_action", "{\"action\": \"log\", \"conversation_id\": \"c\", \"role\": "
                                                     "\"user\", \"content\": \"x\", \"Content\": \"y\"}"),
                    "'Content'");
    /* Even a null unknown parameter is refused. */
    assert_contains(tu_validate_error("todo_action", "{\"action\": \"list\", \"bogus\": null}"), "'bogus'");
}

static void test_wrong_types(void **state) {
    (void)state;
    assert_string_equal(tu_validate_error("todo_action", "{\"action\": \"add\", \"title\": 5}"),
                        "Invalid type for parameter 'title': expected string, got integer");
    assert_string_equal(tu_validate_error("todo_action", "{\"action\": \"list\", \"limit\": \"10\"}"),
                        "Invalid type for parameter 'limit': expected integer, got string");
    assert_string_equal(tu_validate_error("todo_action", "{\"action\": \"list\", \"limit\": true}"),
                        "Invalid type for parameter 'limit': expected integer, got boolean");
    assert_string_equal(tu_validate_error("chat_action", "{\"action\": \"log\", \"conversation_id\": \"c\", "
                                                         "\"role\": \"user\", \"content\": \"x\", \"metadata\": [1]}"),
                        "Invalid type for parameter 'metadata': expected object, got array");
    assert_string_equal(tu_validate_error("chat_action", "{\"action\": \"log\", \"conversation_id\": {}, "
                                                         "\"role\": \"user\", \"content\": \"x\"}"),
                        "Invalid type for parameter 'conversation_id': expected string, got object");
    assert_string_equal(tu_validate_error("config_action", "{\"action\": \"export_config\", \"project\": 1.5}"),
                        "Invalid type for parameter 'project': expected string, got number");
}

static void test_integer_as_real(void **state) {
    (void)state;
    json_t *v = tu_validate_ok("todo_action", "{\"action\": \"list\", \"limit\": 5.0, \"offset\": 2e1}");
    assert_true(json_is_integer(json_object_get(v, "limit")));
    assert_json_int(v, "limit", 5);
    assert_json_int(v, "offset", 20);
    json_decref(v);
    assert_string_equal(tu_validate_error("todo_action", "{\"action\": \"list\", \"limit\": 5.5}"),
                        "Invalid type for parameter 'limit': expected integer, got number");
    assert_contains(tu_validate_error("todo_action", "{\"action\": \"complete\", \"todo_id\": 1e300}"),
                    "Invalid type for parameter 'todo_id'");
    assert_contains(tu_validate_error("todo_action", "{\"action\": \"complete\", \"todo_id\": -0.0}"),
                    "Invalid value for parameter 'todo_id': 0");
}

static void test_ranges(void **state) {
    (void)state;
    assert_string_equal(tu_validate_error("todo_action", "{\"action\": \"list\", \"limit\": 0}"),
                        "Invalid value for parameter 'limit': 0 (expected an integer from 1 to 1000)");
    assert_string_equal(tu_validate_error("todo_action", "{\"action\": \"list\", \"limit\": 1001}"),
                        "Invalid value for parameter 'limit': 1001 (expected an integer from 1 to 1000)");
    assert_contains(tu_validate_error("todo_action", "{\"action\": \"list\", \"offset\": -1}"),
                    "Invalid value for parameter 'offset': -1");
    assert_contains(tu_validate_error("todo_action", "{\"action\": \"delete\", \"todo_id\": 0}"),
                    "Invalid value for parameter 'todo_id': 0");
    assert_contains(tu_validate_error("chat_action", "{\"action\": \"get_conversation\", \"conversation_id\": \"c\", "
                                                     "\"limit\": -5}"),
                    "'limit'");
    json_t *v = tu_validate_ok("todo_action", "{\"action\": \"list\", \"limit\": 1000, \"offset\": 9223372036854775807}");
    assert_json_int(v, "limit", 1000);
    json_decref(v);
    v = tu_validate_ok("todo_action", "{\"action\": \"list\", \"limit\": 1}");
    json_decref(v);
}

static void test_enum_case_normalised(void **state) {
    (void)state;
    json_t *v = tu_validate_ok("todo_action", "{\"action\": \"add\", \"title\": \"t\", \"priority\": \"HIGH\"}");
    assert_json_str(v, "priority", "high");
    json_decref(v);
    v = tu_validate_ok("todo_action", "{\"action\": \"update\", \"todo_id\": 1, \"status\": \"In_Progress\"}");
    assert_json_str(v, "status", "in_progress");
    json_decref(v);
    v = tu_validate_ok("todo_action", "{\"action\": \"list\", \"status\": \"ALL\"}");
    assert_json_str(v, "status", "all");
    json_decref(v);
    v = tu_validate_ok("chat_action", "{\"action\": \"log\", \"conversation_id\": \"c\", \"role\": \"Assistant\", "
                                      "\"content\": \"x\"}");
    assert_json_str(v, "role", "assistant");
    json_decref(v);
    assert_string_equal(tu_validate_error("todo_action", "{\"action\": \"add\", \"title\": \"t\", \"priority\": "
                                                         "\"someday\"}"),
                        "Invalid value for parameter 'priority': 'someday' (expected one of: low, medium, high, urgent)");
    /* 'all' is for filters, not a status to set. */
    assert_contains(tu_validate_error("todo_action", "{\"action\": \"update\", \"todo_id\": 1, \"status\": \"all\"}"),
                    "expected one of: pending, in_progress, completed");
    assert_contains(tu_validate_error("chat_action", "{\"action\": \"log\", \"conversation_id\": \"c\", \"role\": "
                                                     "\"robot\", \"content\": \"x\"}"),
                    "'role'");
}

static void test_blank_long_and_nul_strings(void **state) {
    (void)state;
    assert_string_equal(tu_validate_error("todo_action", "{\"action\": \"add\", \"title\": \"  \\t\\n\"}"),
                        "Parameter 'title' must not be empty");
    assert_string_equal(tu_validate_error("todo_action", "{\"action\": \"add\", \"title\": \"\"}"),
                        "Parameter 'title' must not be empty");
    assert_string_equal(tu_validate_error("todo_action", "{\"action\": \"search\", \"query\": \" \"}"),
                        "Parameter 'query' must not be empty");
    /* Optional strings may be empty. */
    json_t *v = tu_validate_ok("todo_action", "{\"action\": \"add\", \"title\": \"t\", \"description\": \"\"}");
    json_decref(v);

    char *args = malloc(2000);
    char title[1002];
    memset(title, 'x', 1001);
    title[1001] = '\0';
    snprintf(args, 2000, "{\"action\": \"add\", \"title\": \"%s\"}", title);
    assert_string_equal(tu_validate_error("todo_action", args), "Parameter 'title' is too long: 1001 bytes (limit 1000)");
    title[1000] = '\0';
    snprintf(args, 2000, "{\"action\": \"add\", \"title\": \"%s\"}", title);
    v = tu_validate_ok("todo_action", args);
    json_decref(v);
    /* The limit is in bytes: 500 two-byte characters is 1000 bytes, 501 is too many. */
    char *p = args + snprintf(args, 2000, "{\"action\": \"add\", \"title\": \"");
    for (int i = 0; i < 501; i++) p += sprintf(p, "é");
    strcpy(p, "\"}");
    assert_contains(tu_validate_error("todo_action", args), "1002 bytes (limit 1000)");
    char proj[130];
    memset(proj, 'p', 129);
    proj[129] = '\0';
    snprintf(args, 2000, "{\"action\": \"list\", \"project\": \"%s\"}", proj);
    assert_string_equal(tu_validate_error("todo_action", args), "Parameter 'project' is too long: 129 bytes (limit 128)");
    free(args);

    assert_string_equal(tu_validate_error("todo_action", "{\"action\": \"add\", \"title\": \"a\\u0000b\"}"),
                        "Parameter 'title' contains a NUL character");
    assert_string_equal(tu_validate_error("todo_action", "{\"action\": \"list\", \"project\": \"p\\u0000q\"}"),
                        "Parameter 'project' contains a NUL character");
    assert_string_equal(tu_validate_error("todo_action", "{\"action\": \"list\", \"project\": \" \"}"),
                        "Parameter 'project' must not be empty");
    assert_string_equal(tu_validate_error("todo_action", "{\"action\": \"list\", \"project\": \"a\\nb\"}"),
                        "Parameter 'project' must not contain control characters");
    assert_string_equal(tu_validate_error("todo_action", "{\"action\": \"list\", \"project\": \"a\\u007fb\"}"),
                        "Parameter 'project' must not contain control characters");
}

static void test_null_is_absent_and_defaults_filled(void **state) {
    (void)state;
    json_t *v = tu_validate_ok("todo_action", "{\"action\": \"add\", \"title\": \"t\", \"priority\": null, "
                                              "\"description\": null, \"project\": null}");
    assert_json_str(v, "priority", "medium");
    assert_json_str(v, "description", "");
    assert_null(json_object_get(v, "project")); /* no default: the server's project applies */
    assert_json_str(v, "action", "add");
    assert_json_str(v, "title", "t");
    assert_int_equal(json_object_size(v), 4);
    json_decref(v);
    assert_string_equal(tu_validate_error("todo_action", "{\"action\": \"add\", \"title\": null}"),
                        "Missing required parameter: title");
    assert_string_equal(tu_validate_error("todo_action", "{\"action\": \"add\"}"), "Missing required parameter: title");
    assert_string_equal(tu_validate_error("todo_action", "{\"action\": \"complete\"}"),
                        "Missing required parameter: todo_id");
    v = tu_validate_ok("todo_action", "{\"action\": \"list\", \"limit\": null}");
    assert_json_str(v, "status", "all");
    assert_json_int(v, "limit", 10);
    assert_json_int(v, "offset", 0);
    json_decref(v);
    v = tu_validate_ok("todo_action", "{\"action\": \"search\", \"query\": \"q\"}");
    assert_null(json_object_get(v, "status")); /* search has no status default */
    assert_json_int(v, "limit", 10);
    json_decref(v);
    v = tu_validate_ok("chat_action", "{\"action\": \"get_conversation\", \"conversation_id\": \"c\"}");
    assert_json_int(v, "limit", 50);
    assert_json_int(v, "offset", 0);
    json_decref(v);
    v = tu_validate_ok("chat_action", "{\"action\": \"get_tool_conversations\", \"tool_name\": \"x\"}");
    assert_json_int(v, "limit", 10);
    assert_null(json_object_get(v, "offset"));
    json_decref(v);
    v = tu_validate_ok("config_action", "{\"action\": \"export_config\", \"project\": \"p\"}");
    assert_json_str(v, "project", "p");
    json_decref(v);
}

/* A long action name whose 100-byte cut falls inside a two-byte character:
 * the error must still be a readable, valid UTF-8 message. */
static void test_truncated_messages_stay_utf8(void **state) {
    (void)state;
    char args[400];
    char *p = args + sprintf(args, "{\"action\": \"a");
    for (int i = 0; i < 80; i++) p += sprintf(p, "é");
    strcpy(p, "\"}");
    const char *msg = tu_validate_error("todo_action", args);
    json_t *s = json_string(msg);
    if (!s) fail_msg("error message is not valid UTF-8: %s", msg);
    json_decref(s);
    assert_contains(msg, "Unknown todo action: a");

    /* And through tool_call: the result keeps its "error". */
    store *st = tu_store_open(":memory:");
    char *dir = tu_tmpdir();
    settings *cfg = tu_settings(dir);
    bool failed;
    json_t *r = tu_call_ex("todo_action", st, cfg, args, &failed);
    assert_true(failed);
    assert_contains(jx_str(r, "error"), "Unknown todo action");
    json_decref(r);
    /* Same for an unknown parameter name and a bad enum value. */
    p = args + sprintf(args, "{\"action\": \"list\", \"b");
    for (int i = 0; i < 80; i++) p += sprintf(p, "é");
    strcpy(p, "\": 1}");
    r = tu_call_ex("todo_action", st, cfg, args, &failed);
    assert_contains(jx_str(r, "error"), "Unknown parameter for todo list");
    json_decref(r);
    p = args + sprintf(args, "{\"action\": \"add\", \"title\": \"t\", \"priority\": \"");
    for (int i = 0; i < 80; i++) p += sprintf(p, "é");
    strcpy(p, "\"}");
    r = tu_call_ex("todo_action", st, cfg, args, &failed);
    assert_contains(jx_str(r, "error"), "Invalid value for parameter 'priority'");
    json_decref(r);
    settings_free(cfg);
    store_close(st);
    tu_rmrf(dir);
    free(dir);
    tu_env_clear();
}

/* ---- describe ---- */

static const char *expected_type(param_type t) {
    switch (t) {
    case PT_STRING: return "string";
    case PT_INTEGER: return "integer";
    case PT_NUMBER: return "number";
    case PT_BOOLEAN: return "boolean";
    case PT_OBJECT: return "object";
    case PT_ARRAY:
    case PT_STRING_ARRAY:
    case PT_STRING_LIST: return "array";
    }
    return "?";
}

static void test_describe_every_tool(void **state) {
    (void)state;
    size_t n;
    const tool_def *const *all = tools_all(&n);
    for (size_t i = 0; i < n; i++) {
        const tool_def *t = all[i];
        json_t *d = tool_describe(t);
        assert_json_str(d, "name", t->name);
        assert_json_str(d, "title", t->title);
        assert_json_str(d, "description", t->desc);
        json_t *in = json_object_get(d, "inputSchema");
        assert_json_str(in, "type", "object");
        assert_true(json_is_false(json_object_get(in, "additionalProperties")));
        json_t *req = json_object_get(in, "required");
        assert_true(json_is_array(req));
        assert_int_equal(json_array_size(req), 1);
        assert_string_equal(json_string_value(json_array_get(req, 0)), "action");
        json_t *props = json_object_get(in, "properties");
        json_t *action = json_object_get(props, "action");
        assert_json_str(action, "type", "string");
        json_t *e = json_object_get(action, "enum");
        size_t na = 0;
        for (const action_def *a = t->actions; a->name; a++, na++) {
            assert_string_equal(json_string_value(json_array_get(e, na)), a->name);
            assert_contains(jx_str(action, "description"), a->name);
        }
        assert_int_equal(json_array_size(e), na);
        /* Every property: a type and a description; every declared param is there with its type. */
        const char *key;
        json_t *p;
        json_object_foreach(props, key, p) {
            if (!jx_str(p, "type")) fail_msg("%s.%s has no type", t->name, key);
            if (!jx_str(p, "description") || !*jx_str(p, "description"))
                fail_msg("%s.%s has no description", t->name, key);
        }
        assert_non_null(json_object_get(props, "project"));
        assert_json_str(json_object_get(props, "project"), "type", "string");
        assert_json_int(json_object_get(props, "project"), "maxLength", 128);
        for (const action_def *a = t->actions; a->name; a++) {
            for (const param_def *pd = a->params; pd && pd->name; pd++) {
                json_t *ps = json_object_get(props, pd->name);
                if (!ps) fail_msg("%s: param %s missing from inputSchema", t->name, pd->name);
                assert_json_str(ps, "type", expected_type(pd->type));
                assert_contains(jx_str(ps, "description"), a->name); /* "Used by: ..." */
                if (pd->required) assert_contains(jx_str(ps, "description"), "Required for:");
                if (pd->type == PT_INTEGER && pd->min < pd->max) {
                    assert_json_int(ps, "minimum", pd->min);
                    assert_json_int(ps, "maximum", pd->max);
                }
                if (pd->type == PT_STRING) assert_true(jx_int(ps, "maxLength", 0) > 0);
                if (pd->choices) assert_true(json_is_array(json_object_get(ps, "enum")));
            }
        }
        json_t *out = json_object_get(d, "outputSchema");
        assert_json_str(out, "type", "object");
        assert_json_str(json_object_get(json_object_get(out, "properties"), "success"), "type", "boolean");
        assert_string_equal(json_string_value(json_array_get(json_object_get(out, "required"), 0)), "success");
        json_t *ann = json_object_get(d, "annotations");
        assert_json_str(ann, "title", t->title);
        assert_json_bool(ann, "readOnlyHint", t->read_only);
        assert_json_bool(ann, "idempotentHint", t->idempotent);
        assert_json_bool(ann, "openWorldHint", false);
        if (t->read_only) assert_null(json_object_get(ann, "destructiveHint"));
        else assert_json_bool(ann, "destructiveHint", t->destructive);
        json_decref(d);
    }
}

static void test_describe_details(void **state) {
    (void)state;
    json_t *d = tool_describe(tool_find("todo_action"));
    json_t *props = json_object_get(json_object_get(d, "inputSchema"), "properties");
    json_t *pri = json_object_get(props, "priority");
    char *e = jx_dump(json_object_get(pri, "enum"));
    assert_string_equal(e, "[\"low\",\"medium\",\"high\",\"urgent\"]");
    free(e);
    /* add's default "medium" differs from update's none: no single default. */
    assert_null(json_object_get(pri, "default"));
    assert_contains(jx_str(pri, "description"), "Default: \"medium\" for add");
    /* limit: 10 wherever it is used, so a schema default. */
    assert_json_int(json_object_get(props, "limit"), "default", 10);
    assert_contains(jx_str(json_object_get(props, "title"), "description"), "Required for: add.");
    assert_contains(jx_str(json_object_get(props, "todo_id"), "description"), "Used by: complete, update, delete.");
    json_t *ann = json_object_get(d, "annotations");
    assert_json_bool(ann, "readOnlyHint", false);
    assert_json_bool(ann, "destructiveHint", true);
    json_decref(d);

    d = tool_describe(tool_find("chat_action"));
    props = json_object_get(json_object_get(d, "inputSchema"), "properties");
    json_t *limit = json_object_get(props, "limit");
    assert_null(json_object_get(limit, "default"));
    assert_contains(jx_str(limit, "description"), "50 for get_conversation");
    assert_json_str(json_object_get(props, "metadata"), "type", "object");
    json_decref(d);

    d = tool_describe(tool_find("config_action"));
    ann = json_object_get(d, "annotations");
    assert_json_bool(ann, "readOnlyHint", true);
    assert_json_bool(ann, "idempotentHint", true);
    props = json_object_get(json_object_get(d, "inputSchema"), "properties");
    assert_int_equal(json_object_size(props), 2); /* action and project */
    json_decref(d);
}

/* Over ALL tools: one type per parameter name across a tool's actions,
 * unique action and parameter names, parseable defaults of the right type
 * that pass validation, and "project" never redeclared. */
static void test_declaration_tables_consistent(void **state) {
    (void)state;
    size_t n;
    const tool_def *const *all = tools_all(&n);
    for (size_t i = 0; i < n; i++) {
        const tool_def *t = all[i];
        assert_non_null(t->actions[0].name);
        for (const action_def *a = t->actions; a->name; a++) {
            assert_non_null(a->fn);
            assert_true(a->desc && *a->desc);
            for (const action_def *b = a + 1; b->name; b++)
                if (!strcmp(a->name, b->name)) fail_msg("%s: action %s declared twice", t->name, a->name);
            for (const param_def *p = a->params; p && p->name; p++) {
                if (!strcmp(p->name, "project") || !strcmp(p->name, "action"))
                    fail_msg("%s %s redeclares %s", t->name, a->name, p->name);
                assert_true(p->desc && *p->desc);
                for (const param_def *q = p + 1; q->name; q++)
                    if (!strcmp(p->name, q->name)) fail_msg("%s %s: param %s twice", t->name, a->name, p->name);
                for (const action_def *b = t->actions; b->name; b++)
                    for (const param_def *q = b->params; q && q->name; q++)
                        if (!strcmp(p->name, q->name) && p->type != q->type)
                            fail_msg("%s: param %s is %s in %s but %s in %s", t->name, p->name,
                                     expected_type(p->type), a->name, expected_type(q->type), b->name);
                if (p->def) {
                    json_t *dv = json_loads(p->def, JSON_DECODE_ANY, NULL);
                    if (!dv) fail_msg("%s %s: default of %s is not JSON: %s", t->name, a->name, p->name, p->def);
                    /* The default passes the param's own validation. */
                    json_t *args = json_pack("{s:s, s:O}", "action", a->name, p->name, dv);
                    /* Fill required params with something valid so only p is judged. */
                    for (const param_def *r = a->params; r->name; r++) {
                        if (!r->required || r == p) continue;
                        if (r->type == PT_STRING) json_object_set_new(args, r->name,
                                                                      json_string(r->choices ? r->choices[0] : "x"));
                        else if (r->type == PT_INTEGER) json_object_set_new(args, r->name, json_integer(r->min < r->max ? r->min : 1));
                        else if (r->type == PT_ARRAY) json_object_set_new(args, r->name, json_array());
                        else if (r->type == PT_OBJECT) json_object_set_new(args, r->name, json_object());
                        else if (r->type == PT_STRING_ARRAY || r->type == PT_STRING_LIST)
                            json_object_set_new(args, r->name, json_pack("[s]", "x"));
                    }
                    const action_def *va;
                    lt_err err;
                    json_t *ok = tool_validate(t, &va, args, &err);
                    if (!ok) fail_msg("%s %s: default of %s does not validate: %s", t->name, a->name, p->name, err.msg);
                    json_decref(ok);
                    json_decref(args);
                    json_decref(dv);
                }
                if (p->required) assert_null(p->def);
            }
        }
    }
}

static void test_call_records_metrics(void **state) {
    (void)state;
    char *dir = tu_tmpdir();
    settings *cfg = tu_settings(dir);
    store *st = tu_store_open(":memory:");
    metrics_reset();
    json_t *r = tu_ok("config_action", st, cfg, "{\"action\": \"get_config_schema\"}");
    json_decref(r);
    r = tu_fail("config_action", st, cfg, "{\"action\": \"nope\"}");
    assert_contains(jx_str(r, "error"), "Unknown config action: nope");
    assert_int_equal(json_object_size(r), 2); /* {"success": false, "error": ...} */
    json_decref(r);
    r = tu_fail("todo_action", st, cfg, "{\"action\": \"complete\", \"todo_id\": 99}");
    assert_string_equal(jx_str(r, "error"), "Todo with ID 99 not found");
    json_decref(r);
    metrics_entry e[8];
    size_t n = metrics_snapshot(e, 8);
    assert_int_equal(n, 3);
    assert_string_equal(e[0].tool, "config_action");
    assert_string_equal(e[0].action, "(invalid)");
    assert_int_equal(e[0].errors, 1);
    assert_string_equal(e[1].action, "get_config_schema");
    assert_int_equal(e[1].calls, 1);
    assert_int_equal(e[1].errors, 0);
    assert_string_equal(e[2].tool, "todo_action");
    assert_string_equal(e[2].action, "complete");
    assert_int_equal(e[2].errors, 1);
    store_close(st);
    settings_free(cfg);
    tu_rmrf(dir);
    free(dir);
    tu_env_clear();
}

int main(void) {
    tu_quiet();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registry),
        cmocka_unit_test(test_missing_action),
        cmocka_unit_test(test_unknown_action),
        cmocka_unit_test(test_unknown_parameter),
        cmocka_unit_test(test_wrong_types),
        cmocka_unit_test(test_integer_as_real),
        cmocka_unit_test(test_ranges),
        cmocka_unit_test(test_enum_case_normalised),
        cmocka_unit_test(test_blank_long_and_nul_strings),
        cmocka_unit_test(test_null_is_absent_and_defaults_filled),
        cmocka_unit_test(test_truncated_messages_stay_utf8),
        cmocka_unit_test(test_describe_every_tool),
        cmocka_unit_test(test_describe_details),
        cmocka_unit_test(test_declaration_tables_consistent),
        cmocka_unit_test(test_call_records_metrics),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
