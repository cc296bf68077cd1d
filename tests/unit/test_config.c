/* Unit tests for config_action: validate_config, get_config_schema,
 * export_config through tool_call. */
#include "testutil.h"

#define F ((tu_fixture *)*state)
#define OK(args) tu_ok("config_action", F->st, F->cfg, (args))

static bool is_iso(const char *s) { return s && strlen(s) == 24 && s[10] == 'T' && s[23] == 'Z'; }

static json_t *validate_with(void **state, const settings *cfg) {
    return tu_ok("config_action", F->st, cfg, "{\"action\":\"validate_config\"}");
}

static void test_schema(void **state) {
    json_t *r = OK("{\"action\":\"get_config_schema\"}");
    json_t *want = settings_schema();
    assert_true(json_equal(json_object_get(r, "config_schema"), want));
    json_decref(want);
    assert_json_str(r, "schema_version", "1.0");
    assert_true(is_iso(jx_str(r, "generated_at")));
    assert_int_equal(json_object_size(r), 4);
    json_decref(r);
    assert_call_error("config_action", F->st, F->cfg, "{\"action\":\"get_config_schema\",\"key\":\"x\"}",
                      "Unknown parameter for config get_config_schema: 'key'");
}

static void test_export(void **state) {
    json_t *r = OK("{\"action\":\"export_config\",\"project\":\"ignored\"}");
    assert_json_str(r, "format", "sanitized_json");
    assert_json_bool(r, "secrets_excluded", true);
    json_t *exp = json_object_get(r, "config_export");
    json_t *want = settings_export(F->cfg);
    assert_true(json_equal(json_object_get(exp, "settings"), json_object_get(want, "settings")));
    assert_true(json_equal(json_object_get(exp, "sources"), json_object_get(want, "sources")));
    assert_true(json_is_null(json_object_get(exp, "config_file")));
    assert_json_str(exp, "export_version", "1.0");
    assert_true(is_iso(jx_str(exp, "exported_at")));
    json_t *vals = json_object_get(exp, "settings");
    assert_json_str(vals, "data_dir", F->dir);
    assert_json_str(vals, "db_path", F->db);
    assert_json_int(vals, "busy_timeout_ms", 5000);
    assert_json_str(json_object_get(exp, "sources"), "data_dir", "env");
    json_decref(want);
    json_decref(r);
}

static void test_validate_ok(void **state) {
    json_t *r = OK("{\"action\":\"validate_config\"}");
    assert_json_bool(r, "overall_valid", true);
    assert_int_equal(json_array_size(json_object_get(r, "errors")), 0);
    assert_int_equal(json_array_size(json_object_get(r, "warnings")), 0);
    assert_true(is_iso(jx_str(r, "validation_timestamp")));
    json_t *v = json_object_get(r, "validation_results");
    json_t *file = json_object_get(v, "config_file");
    assert_true(json_is_null(json_object_get(file, "path")));
    assert_json_bool(file, "loaded", false);
    assert_json_bool(file, "valid", true);
    assert_json_str(json_object_get(v, "data_dir"), "path", F->dir);
    assert_json_bool(json_object_get(v, "data_dir"), "writable", true);
    assert_json_str(json_object_get(v, "db_path"), "path", F->db);
    assert_json_bool(json_object_get(v, "db_path"), "writable", true);
    assert_json_bool(v, "db_path_valid", true);
    json_t *db = json_object_get(v, "database");
    assert_json_bool(db, "quick_check_ok", true);
    assert_json_int(db, "schema_version", store_latest_schema_version());
    assert_json_str(db, "open_path", F->db);
    json_t *env = json_object_get(v, "environment_vars");
    const setting_def *t = settings_table();
    for (int i = 0; i < SET_COUNT; i++) {
        json_t *e = json_object_get(env, t[i].env);
        if (!json_is_boolean(e)) fail_msg("environment_vars.%s missing", t[i].env);
    }
    json_decref(r);
}

static void test_validate_reports_pending_changes(void **state) {
    char *cfgpath = tu_path(F->dir, "config.json");
    tu_write_file(cfgpath, "{\"project\": \"one\"}");
    settings *cfg = tu_settings_ex(cfgpath, NULL, 0, NULL);
    json_t *r = validate_with(state, cfg);
    assert_json_bool(r, "overall_valid", true);
    json_t *file = json_object_get(json_object_get(r, "validation_results"), "config_file");
    assert_json_str(file, "path", cfgpath);
    assert_json_bool(file, "loaded", true);
    assert_json_bool(file, "valid", true);
    assert_int_equal(json_array_size(json_object_get(r, "warnings")), 0);
    json_decref(r);

    /* The file changed after the server started: a restart would apply it. */
    tu_write_file(cfgpath, "{\"project\": \"two\", \"redis\": {\"port\": 1}}");
    r = validate_with(state, cfg);
    assert_json_bool(r, "overall_valid", true);
    char *w = jx_dump(json_object_get(r, "warnings"));
    assert_contains(w, "'project' is now two in the configuration but this server runs with one; restart ltmc");
    assert_contains(w, "'redis.port' is not used by ltmc");
    free(w);
    json_decref(r);

    /* Now broken: an error, the running configuration still reported. */
    tu_write_file(cfgpath, "{\"project\": }");
    r = validate_with(state, cfg);
    assert_json_bool(r, "overall_valid", false);
    json_t *errors = json_object_get(r, "errors");
    assert_int_equal(json_array_size(errors), 1);
    assert_contains(json_string_value(json_array_get(errors, 0)), "not valid JSON");
    file = json_object_get(json_object_get(r, "validation_results"), "config_file");
    assert_json_bool(file, "valid", false);
    assert_json_bool(file, "loaded", true);
    json_decref(r);

    /* A value with a character cut by the "%.200s" quoting is still reported. */
    char big[1024];
    char *p = big + sprintf(big, "{\"project\": \"x");
    for (int i = 0; i < 120; i++) p += sprintf(p, "\xc3\xa9"); /* 241 bytes: valid, cut at 200 */
    strcpy(p, "\"}");
    tu_write_file(cfgpath, big);
    r = validate_with(state, cfg);
    assert_json_bool(r, "overall_valid", true);
    assert_int_equal(json_array_size(json_object_get(r, "warnings")), 1);
    assert_contains(json_string_value(json_array_get(json_object_get(r, "warnings"), 0)), "'project' is now x");
    json_decref(r);
    settings_free(cfg);
    free(cfgpath);
}

static void test_validate_bad_paths(void **state) {
    char *file = tu_path(F->dir, "not-a-dir");
    tu_write_file(file, "x");
    char flag1[PATH_MAX + 16], flag2[PATH_MAX + 16];
    snprintf(flag1, sizeof flag1, "data-dir=%s", file);
    snprintf(flag2, sizeof flag2, "db-path=%s", F->dir);
    const char *flags[] = {flag1, flag2};
    settings *cfg = tu_settings_ex(NULL, flags, 2, NULL);
    json_t *r = validate_with(state, cfg);
    assert_json_bool(r, "overall_valid", false);
    char *errs = jx_dump(json_object_get(r, "errors"));
    assert_contains(errs, "is not a directory");
    assert_contains(errs, "is a directory");
    free(errs);
    json_t *v = json_object_get(r, "validation_results");
    assert_json_bool(json_object_get(v, "data_dir"), "writable", false);
    assert_json_bool(json_object_get(v, "db_path"), "writable", false);
    assert_json_bool(v, "db_path_valid", false);
    json_decref(r);
    settings_free(cfg);
    free(file);
}

static void test_validate_paths_not_yet_created(void **state) {
    /* Missing directories are fine when the nearest existing ancestor is writable. */
    char flag1[PATH_MAX + 32], flag2[PATH_MAX + 32];
    snprintf(flag1, sizeof flag1, "data-dir=%s/a/b/c", F->dir);
    snprintf(flag2, sizeof flag2, "db-path=%s/x/y/ltmc.db", F->dir);
    const char *flags[] = {flag1, flag2};
    settings *cfg = tu_settings_ex(NULL, flags, 2, NULL);
    json_t *r = validate_with(state, cfg);
    json_t *v = json_object_get(r, "validation_results");
    assert_json_bool(json_object_get(v, "data_dir"), "writable", true);
    assert_json_bool(json_object_get(v, "db_path"), "writable", true);
    json_decref(r);
    settings_free(cfg);

    /* Right under /: the answer is whether / itself is writable. */
    bool root_writable = access("/", W_OK) == 0;
    const char *flags2[] = {"data-dir=/ltmc-unit-no-such-dir", "db-path=/ltmc-unit-no-such-dir/sub/ltmc.db"};
    for (int round = 0; round < 50; round++) {
        cfg = tu_settings_ex(NULL, flags2, 2, NULL);
        r = validate_with(state, cfg);
        v = json_object_get(r, "validation_results");
        assert_json_bool(json_object_get(v, "data_dir"), "writable", root_writable);
        assert_json_bool(json_object_get(v, "db_path"), "writable", root_writable);
        json_decref(r);
        settings_free(cfg);
    }
}

static void test_unknown_action(void **state) {
    assert_call_error("config_action", F->st, F->cfg, "{\"action\":\"set_config\"}",
                      "Unknown config action: set_config (valid actions: validate_config, get_config_schema, "
                      "export_config)");
}

int main(void) {
    tu_quiet();
#define T(fn) cmocka_unit_test_setup_teardown(fn, tu_fixture_setup, tu_fixture_teardown)
    const struct CMUnitTest tests[] = {
        T(test_schema),
        T(test_export),
        T(test_validate_ok),
        T(test_validate_reports_pending_changes),
        T(test_validate_bad_paths),
        T(test_validate_paths_not_yet_created),
        T(test_unknown_action),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
