/* Unit tests for core/settings: defaults, derived paths, precedence, config
 * file errors, the original ltmc_config.json layout, schema and export. */
#include "testutil.h"

typedef struct {
    char *home; /* fake $HOME (a temp dir) */
} fx;

static int setup(void **state) {
    fx *f = calloc(1, sizeof *f);
    f->home = tu_tmpdir();
    tu_env_clear();
    tu_env_set("HOME", f->home);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fx *f = *state;
    tu_rmrf(f->home);
    free(f->home);
    free(f);
    tu_env_clear();
    return 0;
}

/* Writes text to <home>/<name> and returns the path (caller frees). */
static char *write_cfg(fx *f, const char *name, const char *text) {
    char *p = tu_path(f->home, name);
    tu_write_file(p, text);
    return p;
}

static void test_defaults(void **state) {
    fx *f = *state;
    settings *s = tu_settings_ex(NULL, NULL, 0, NULL);
    assert_string_equal(settings_str(s, SET_PROJECT), "default");
    assert_string_equal(settings_str(s, SET_LOG_LEVEL), "info");
    assert_int_equal(settings_int(s, SET_BUSY_TIMEOUT_MS), 5000);
    assert_int_equal(settings_int(s, SET_SQLITE_CACHE_MB), 16);
    assert_int_equal(settings_int(s, SET_SQLITE_MMAP_MB), 256);
    assert_string_equal(settings_str(s, SET_SQLITE_SYNCHRONOUS), "normal");
    assert_int_equal(settings_int(s, SET_MAX_MESSAGE_MB), 64);
    assert_int_equal(settings_int(s, SET_TOOLS_PAGE_SIZE), 100);
    for (int i = 0; i < SET_COUNT; i++) assert_int_equal(settings_source_of(s, (setting_id)i), SOURCE_DEFAULT);
    assert_null(settings_config_file(s));
    char want[PATH_MAX];
    snprintf(want, sizeof want, "%s/.local/share/ltmc", f->home);
    assert_string_equal(settings_str(s, SET_DATA_DIR), want);
    snprintf(want, sizeof want, "%s/.local/share/ltmc/ltmc.db", f->home);
    assert_string_equal(settings_str(s, SET_DB_PATH), want);
    settings_free(s);
    /* NULL sources: the real environment, still a complete configuration. */
    lt_err err;
    settings *real = settings_load(NULL, NULL, &err);
    if (real) {
        assert_non_null(settings_str(real, SET_DB_PATH));
        settings_free(real);
    }
}

static void test_derived_paths(void **state) {
    fx *f = *state;
    tu_env_set("XDG_DATA_HOME", "/xdg/data");
    settings *s = tu_settings_ex(NULL, NULL, 0, NULL);
    assert_string_equal(settings_str(s, SET_DATA_DIR), "/xdg/data/ltmc");
    assert_string_equal(settings_str(s, SET_DB_PATH), "/xdg/data/ltmc/ltmc.db");
    settings_free(s);

    /* An empty XDG_DATA_HOME is treated as unset. */
    tu_env_set("XDG_DATA_HOME", "");
    s = tu_settings_ex(NULL, NULL, 0, NULL);
    assert_contains(settings_str(s, SET_DATA_DIR), f->home);
    settings_free(s);

    /* An explicit data_dir moves the default database with it. */
    tu_env_set("LTMC_DATA_DIR", "/srv/ltmc");
    s = tu_settings_ex(NULL, NULL, 0, NULL);
    assert_string_equal(settings_str(s, SET_DATA_DIR), "/srv/ltmc");
    assert_string_equal(settings_str(s, SET_DB_PATH), "/srv/ltmc/ltmc.db");
    assert_int_equal(settings_source_of(s, SET_DATA_DIR), SOURCE_ENV);
    assert_int_equal(settings_source_of(s, SET_DB_PATH), SOURCE_DEFAULT);
    settings_free(s);

    /* An explicit db_path is kept as given. */
    tu_env_set("LTMC_DB_PATH", "/elsewhere/x.db");
    s = tu_settings_ex(NULL, NULL, 0, NULL);
    assert_string_equal(settings_str(s, SET_DB_PATH), "/elsewhere/x.db");
    settings_free(s);

    /* Neither HOME nor XDG_DATA_HOME: a clear error naming data_dir. */
    tu_env_clear();
    const char *msg = tu_settings_error(NULL, NULL, 0);
    assert_contains(msg, "data_dir");
    assert_contains(msg, "LTMC_DATA_DIR");
}

static void test_precedence_default_file_env_flag(void **state) {
    fx *f = *state;
    char *cfg = write_cfg(f, "config.json",
                          "{\"busy_timeout_ms\": 100, \"project\": \"fileproj\", \"log_level\": \"debug\","
                          " \"sqlite_cache_mb\": 32}");
    tu_env_set("LTMC_BUSY_TIMEOUT_MS", "200");
    tu_env_set("LTMC_PROJECT", "envproj");
    tu_env_set("LTMC_SQLITE_CACHE_MB", "64");
    const char *flags[] = {"busy-timeout-ms=300", "sqlite_cache_mb=128"};
    settings *s = tu_settings_ex(cfg, flags, 2, NULL);
    assert_int_equal(settings_int(s, SET_BUSY_TIMEOUT_MS), 300);
    assert_int_equal(settings_source_of(s, SET_BUSY_TIMEOUT_MS), SOURCE_FLAG);
    assert_int_equal(settings_int(s, SET_SQLITE_CACHE_MB), 128);
    assert_string_equal(settings_str(s, SET_PROJECT), "envproj");
    assert_int_equal(settings_source_of(s, SET_PROJECT), SOURCE_ENV);
    assert_string_equal(settings_str(s, SET_LOG_LEVEL), "debug");
    assert_int_equal(settings_source_of(s, SET_LOG_LEVEL), SOURCE_FILE);
    assert_int_equal(settings_int(s, SET_MAX_MESSAGE_MB), 64);
    assert_int_equal(settings_source_of(s, SET_MAX_MESSAGE_MB), SOURCE_DEFAULT);
    assert_string_equal(settings_config_file(s), cfg);
    assert_string_equal(settings_source_name(SOURCE_DEFAULT), "default");
    assert_string_equal(settings_source_name(SOURCE_FILE), "file");
    assert_string_equal(settings_source_name(SOURCE_ENV), "env");
    assert_string_equal(settings_source_name(SOURCE_FLAG), "flag");
    json_t *exp = settings_export(s);
    json_t *src = json_object_get(exp, "sources");
    assert_json_str(src, "busy_timeout_ms", "flag");
    assert_json_str(src, "project", "env");
    assert_json_str(src, "log_level", "file");
    assert_json_str(src, "tools_page_size", "default");
    json_decref(exp);
    settings_free(s);
    /* An empty environment variable does not override the file. */
    tu_env_set("LTMC_PROJECT", "");
    s = tu_settings_ex(cfg, NULL, 0, NULL);
    assert_string_equal(settings_str(s, SET_PROJECT), "fileproj");
    settings_free(s);
    free(cfg);
}

static void test_config_file_discovery(void **state) {
    fx *f = *state;
    /* $HOME/.config/ltmc/config.json when XDG_CONFIG_HOME is unset. */
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/.config", f->home);
    mkdir(dir, 0700);
    snprintf(dir, sizeof dir, "%s/.config/ltmc", f->home);
    mkdir(dir, 0700);
    char *home_cfg = tu_path(dir, "config.json");
    tu_write_file(home_cfg, "{\"project\": \"from-home-config\"}");
    settings *s = tu_settings_ex(NULL, NULL, 0, NULL);
    assert_string_equal(settings_str(s, SET_PROJECT), "from-home-config");
    assert_string_equal(settings_config_file(s), home_cfg);
    settings_free(s);
    /* $XDG_CONFIG_HOME/ltmc/config.json replaces it (absent there: no file). */
    char *xdg = tu_path(f->home, "xdg");
    mkdir(xdg, 0700);
    tu_env_set("XDG_CONFIG_HOME", xdg);
    s = tu_settings_ex(NULL, NULL, 0, NULL);
    assert_string_equal(settings_str(s, SET_PROJECT), "default");
    assert_null(settings_config_file(s));
    settings_free(s);
    /* $LTMC_CONFIG names a file. */
    char *named = write_cfg(f, "named.json", "{\"project\": \"named\"}");
    tu_env_set("LTMC_CONFIG", named);
    s = tu_settings_ex(NULL, NULL, 0, NULL);
    assert_string_equal(settings_str(s, SET_PROJECT), "named");
    settings_free(s);
    /* --config wins over $LTMC_CONFIG. */
    char *expl = write_cfg(f, "explicit.json", "{\"project\": \"explicit\"}");
    s = tu_settings_ex(expl, NULL, 0, NULL);
    assert_string_equal(settings_str(s, SET_PROJECT), "explicit");
    settings_free(s);
    /* A named file that does not exist is an error, naming the path. */
    tu_env_set("LTMC_CONFIG", "/nonexistent/ltmc/config.json");
    const char *msg = tu_settings_error(NULL, NULL, 0);
    assert_contains(msg, "/nonexistent/ltmc/config.json");
    free(home_cfg);
    free(xdg);
    free(named);
    free(expl);
}

/* Loads text as the config file and returns the error message. */
static const char *file_error(fx *f, const char *text) {
    char *p = write_cfg(f, "bad.json", text);
    const char *msg = tu_settings_error(p, NULL, 0);
    assert_contains(msg, p); /* every file error names the file */
    free(p);
    return msg;
}

static void test_config_file_errors(void **state) {
    fx *f = *state;
    const char *msg = file_error(f, "{\n  \"project\": \"x\",\n  \"log_level\": \n}");
    assert_contains(msg, "not valid JSON");
    assert_contains(msg, "line 4");
    assert_contains(msg, "column");

    msg = file_error(f, "[1, 2]");
    assert_contains(msg, "must be a JSON object");
    msg = file_error(f, "\"just a string\""); /* refused by the parser or as a non-object */
    assert_true(strstr(msg, "must be a JSON object") || strstr(msg, "not valid JSON"));

    msg = file_error(f, "{\"project\": \"p\", \"colour\": \"blue\"}");
    assert_contains(msg, "unknown setting 'colour'");

    msg = file_error(f, "{\"busy_timeout_ms\": \"fast\"}");
    assert_contains(msg, "'busy_timeout_ms'");
    assert_contains(msg, "integer");
    assert_contains(msg, "got string");

    msg = file_error(f, "{\"busy_timeout_ms\": 1.5}");
    assert_contains(msg, "'busy_timeout_ms'");
    assert_contains(msg, "got number");

    msg = file_error(f, "{\"project\": 7}");
    assert_contains(msg, "'project'");
    assert_contains(msg, "got integer");

    msg = file_error(f, "{\"max_message_mb\": 8}");
    assert_contains(msg, "'max_message_mb'");
    assert_contains(msg, "from 16 to 1024");
    assert_contains(msg, "\"8\"");

    msg = file_error(f, "{\"tools_page_size\": 0}");
    assert_contains(msg, "'tools_page_size'");

    msg = file_error(f, "{\"busy_timeout_ms\": 600001}");
    assert_contains(msg, "'busy_timeout_ms'");

    msg = file_error(f, "{\"log_level\": \"loud\"}");
    assert_contains(msg, "'log_level'");
    assert_contains(msg, "one of debug, info, warning, error, off");
    assert_contains(msg, "loud");

    msg = file_error(f, "{\"sqlite_synchronous\": \"extra\"}");
    assert_contains(msg, "'sqlite_synchronous'");
    assert_contains(msg, "normal, full");

    msg = file_error(f, "{\"data_dir\": \"\"}");
    assert_contains(msg, "'data_dir'");

    msg = file_error(f, "{\"project\": \"bad\\nname\"}");
    assert_contains(msg, "'project'");
    assert_contains(msg, "control characters");

    /* A legacy key with a wrong value names the setting it maps to. */
    msg = file_error(f, "{\"paths\": {\"data_dir\": 5}}");
    assert_contains(msg, "data_dir");
    msg = file_error(f, "{\"logging\": {\"level\": \"chatty\"}}");
    assert_contains(msg, "log_level");
    assert_contains(msg, "chatty");
}

static void test_env_and_flag_errors(void **state) {
    (void)state;
    tu_env_set("LTMC_BUSY_TIMEOUT_MS", "soon");
    const char *msg = tu_settings_error(NULL, NULL, 0);
    assert_contains(msg, "LTMC_BUSY_TIMEOUT_MS");
    assert_contains(msg, "'busy_timeout_ms'");
    tu_env_set("LTMC_BUSY_TIMEOUT_MS", "12abc");
    msg = tu_settings_error(NULL, NULL, 0);
    assert_contains(msg, "'busy_timeout_ms'");
    tu_env_set("LTMC_BUSY_TIMEOUT_MS", "99999999999999999999999");
    msg = tu_settings_error(NULL, NULL, 0);
    assert_contains(msg, "'busy_timeout_ms'");
    tu_env_set("LTMC_BUSY_TIMEOUT_MS", NULL);

    const char *unknown[] = {"bogus-option=1"};
    msg = tu_settings_error(NULL, unknown, 1);
    assert_contains(msg, "unknown option --bogus-option");
    const char *novalue[] = {"project"};
    msg = tu_settings_error(NULL, novalue, 1);
    assert_contains(msg, "--project");
    assert_contains(msg, "needs a value");
    const char *badenum[] = {"log-level=shout"};
    msg = tu_settings_error(NULL, badenum, 1);
    assert_contains(msg, "option --log_level");
    assert_contains(msg, "'log_level'");
    const char *range[] = {"tools-page-size=1001"};
    msg = tu_settings_error(NULL, range, 1);
    assert_contains(msg, "'tools_page_size'");
    char longproj[300 + 9] = "project=";
    memset(longproj + 8, 'p', 300);
    longproj[308] = '\0';
    const char *toolong[] = {longproj};
    msg = tu_settings_error(NULL, toolong, 1);
    assert_contains(msg, "'project'");
}

static void test_enum_and_int_normalisation(void **state) {
    (void)state;
    tu_env_set("LTMC_LOG_LEVEL", "WARN");
    tu_env_set("LTMC_SQLITE_SYNCHRONOUS", "FULL");
    const char *flags[] = {"sqlite-mmap-mb=0", "tools-page-size=007"};
    settings *s = tu_settings_ex(NULL, flags, 2, NULL);
    assert_string_equal(settings_str(s, SET_LOG_LEVEL), "warning");
    assert_string_equal(settings_str(s, SET_SQLITE_SYNCHRONOUS), "full");
    assert_int_equal(settings_int(s, SET_SQLITE_MMAP_MB), 0);
    assert_string_equal(settings_str(s, SET_TOOLS_PAGE_SIZE), "7");
    settings_free(s);
    tu_env_set("LTMC_LOG_LEVEL", "Critical");
    s = tu_settings_ex(NULL, NULL, 0, NULL);
    assert_string_equal(settings_str(s, SET_LOG_LEVEL), "error");
    settings_free(s);
}

static void test_original_config_layout(void **state) {
    fx *f = *state;
    char *cfg = write_cfg(f, "ltmc_config.json",
                          "{\n"
                          "  \"version\": \"3.0\",\n"
                          "  \"title\": \"LTMC Configuration\",\n"
                          "  \"description\": \"the original layout\",\n"
                          "  \"database\": {\"db_path\": \"store/ltmc.db\", \"pool_size\": 5},\n"
                          "  \"redis\": {\"host\": \"localhost\", \"port\": 6382},\n"
                          "  \"neo4j\": {\"uri\": \"bolt://localhost:7687\"},\n"
                          "  \"server\": {\"port\": 5050},\n"
                          "  \"logging\": {\"level\": \"INFO\", \"file\": \"ltmc.log\"},\n"
                          "  \"features\": {\"redis_enabled\": true},\n"
                          "  \"paths\": {\"data_dir\": \"data\"},\n"
                          "  \"performance\": {\"cache_ttl\": 3600}\n"
                          "}\n");
    json_t *warnings = json_array();
    settings *s = tu_settings_ex(cfg, NULL, 0, warnings);
    char want[PATH_MAX];
    snprintf(want, sizeof want, "%s/data", f->home);
    assert_string_equal(settings_str(s, SET_DATA_DIR), want);
    snprintf(want, sizeof want, "%s/store/ltmc.db", f->home);
    assert_string_equal(settings_str(s, SET_DB_PATH), want);
    assert_string_equal(settings_str(s, SET_LOG_LEVEL), "info");
    assert_int_equal(settings_source_of(s, SET_LOG_LEVEL), SOURCE_FILE);
    assert_int_equal(settings_source_of(s, SET_DATA_DIR), SOURCE_FILE);
    assert_int_equal(settings_source_of(s, SET_DB_PATH), SOURCE_FILE);

    char *all = jx_dump(warnings);
    const char *ignored[] = {"'database.pool_size'", "'redis.host'", "'redis.port'", "'neo4j.uri'",
                             "'server.port'", "'logging.file'", "'features.redis_enabled'", "'performance.cache_ttl'"};
    for (size_t i = 0; i < sizeof ignored / sizeof ignored[0]; i++) assert_contains(all, ignored[i]);
    assert_int_equal(json_array_size(warnings), sizeof ignored / sizeof ignored[0]);
    assert_not_contains(all, "version");
    assert_not_contains(all, "paths.data_dir");
    assert_not_contains(all, "logging.level");
    size_t i;
    json_t *w;
    json_array_foreach(warnings, i, w) {
        assert_true(json_is_string(w));
        assert_contains(json_string_value(w), "ignored");
        assert_contains(json_string_value(w), cfg);
    }
    free(all);
    json_decref(warnings);
    settings_free(s);
    /* Warnings may also be discarded. */
    s = tu_settings_ex(cfg, NULL, 0, NULL);
    settings_free(s);
    free(cfg);
}

static void test_paths_relative_to_file_and_tilde(void **state) {
    fx *f = *state;
    char *sub = tu_path(f->home, "conf.d");
    mkdir(sub, 0700);
    char *cfg = tu_path(sub, "config.json");
    tu_write_file(cfg, "{\"data_dir\": \"../state\", \"db_path\": \"/abs/db.sqlite\"}");
    settings *s = tu_settings_ex(cfg, NULL, 0, NULL);
    char want[PATH_MAX];
    snprintf(want, sizeof want, "%s/../state", sub);
    assert_string_equal(settings_str(s, SET_DATA_DIR), want);
    assert_string_equal(settings_str(s, SET_DB_PATH), "/abs/db.sqlite");
    settings_free(s);

    /* ~/ expands to $HOME (the configured environment's HOME). */
    tu_write_file(cfg, "{\"data_dir\": \"~/ltmc-data\", \"db_path\": \"~\"}");
    s = tu_settings_ex(cfg, NULL, 0, NULL);
    snprintf(want, sizeof want, "%s/ltmc-data", f->home);
    assert_string_equal(settings_str(s, SET_DATA_DIR), want);
    assert_string_equal(settings_str(s, SET_DB_PATH), f->home);
    settings_free(s);
    const char *flags[] = {"db-path=~/x.db"};
    s = tu_settings_ex(NULL, flags, 1, NULL);
    snprintf(want, sizeof want, "%s/x.db", f->home);
    assert_string_equal(settings_str(s, SET_DB_PATH), want);
    settings_free(s);
    /* "~name" is not expanded; it is relative to the working directory. */
    const char *flags2[] = {"db-path=~other/x.db"};
    s = tu_settings_ex(NULL, flags2, 1, NULL);
    char cwd[PATH_MAX];
    assert_non_null(getcwd(cwd, sizeof cwd));
    snprintf(want, sizeof want, "%s/~other/x.db", cwd);
    assert_string_equal(settings_str(s, SET_DB_PATH), want);
    settings_free(s);

    /* Relative paths from the environment or flags resolve against the cwd. */
    tu_env_set("LTMC_DATA_DIR", "rel/dir");
    s = tu_settings_ex(NULL, NULL, 0, NULL);
    snprintf(want, sizeof want, "%s/rel/dir", cwd);
    assert_string_equal(settings_str(s, SET_DATA_DIR), want);
    settings_free(s);
    tu_env_set("LTMC_DATA_DIR", NULL);

    /* A config file named by a relative path still yields absolute paths. */
    tu_write_file(cfg, "{\"data_dir\": \"state\"}");
    char *top = tu_path(f->home, "config.json");
    tu_write_file(top, "{\"data_dir\": \"state2\"}");
    char home_real[PATH_MAX];
    assert_non_null(realpath(f->home, home_real));
    assert_int_equal(chdir(f->home), 0);
    char got1[PATH_MAX], got2[PATH_MAX];
    s = tu_settings_ex("conf.d/config.json", NULL, 0, NULL);
    snprintf(got1, sizeof got1, "%s", settings_str(s, SET_DATA_DIR));
    settings_free(s);
    s = tu_settings_ex("config.json", NULL, 0, NULL);
    snprintf(got2, sizeof got2, "%s", settings_str(s, SET_DATA_DIR));
    settings_free(s);
    assert_int_equal(chdir(cwd), 0);
    free(top);
    snprintf(want, sizeof want, "%s/conf.d/state", home_real);
    assert_string_equal(got1, want);
    snprintf(want, sizeof want, "%s/state2", home_real);
    assert_string_equal(got2, want);
    free(cfg);
    free(sub);
}

static void test_schema_from_table(void **state) {
    (void)state;
    const setting_def *t = settings_table();
    json_t *schema = settings_schema();
    assert_json_str(schema, "type", "object");
    assert_contains(jx_str(schema, "$schema"), "2020-12");
    assert_true(json_is_false(json_object_get(schema, "additionalProperties")));
    json_t *props = json_object_get(schema, "properties");
    assert_true(json_is_object(props));
    assert_int_equal(json_object_size(props), SET_COUNT);
    for (int i = 0; i < SET_COUNT; i++) {
        assert_int_equal(settings_find(t[i].name), i);
        json_t *p = json_object_get(props, t[i].name);
        if (!p) fail_msg("schema lacks %s", t[i].name);
        assert_true(jx_str(p, "description") && *jx_str(p, "description"));
        assert_json_str(p, "x-env", t[i].env);
        switch (t[i].type) {
        case SETTING_INT:
            assert_json_str(p, "type", "integer");
            assert_json_int(p, "minimum", t[i].min);
            assert_json_int(p, "maximum", t[i].max);
            assert_json_int(p, "default", strtoll(t[i].def, NULL, 10));
            break;
        case SETTING_REAL:
            assert_json_str(p, "type", "number");
            assert_true(json_real_value(json_object_get(p, "minimum")) == t[i].dmin);
            assert_true(json_real_value(json_object_get(p, "maximum")) == t[i].dmax);
            assert_true(json_real_value(json_object_get(p, "default")) == strtod(t[i].def, NULL));
            break;
        case SETTING_BOOL: assert_json_str(p, "type", "boolean"); break;
        case SETTING_ENUM: {
            assert_json_str(p, "type", "string");
            json_t *e = json_object_get(p, "enum");
            assert_true(json_is_array(e));
            size_t n = 0;
            for (const char *const *c = t[i].choices; *c; c++, n++)
                assert_string_equal(json_string_value(json_array_get(e, n)), *c);
            assert_int_equal(json_array_size(e), n);
            assert_json_str(p, "default", t[i].def);
            break;
        }
        case SETTING_PATH:
        case SETTING_STRING:
            assert_json_str(p, "type", "string");
            if (t[i].def) assert_json_str(p, "default", t[i].def);
            else assert_null(json_object_get(p, "default"));
            break;
        }
        if (t[i].legacy_key) assert_json_str(p, "x-legacy-key", t[i].legacy_key);
    }
    json_t *ll = json_object_get(props, "log_level");
    assert_json_str(ll, "x-legacy-key", "logging.level");
    assert_int_equal(settings_find("no_such_setting"), -1);
    assert_int_equal(settings_find(""), -1);
    json_decref(schema);
}

static void test_export_values_and_types(void **state) {
    fx *f = *state;
    char *cfg = write_cfg(f, "c.json", "{\"project\": \"exp\"}");
    settings *s = tu_settings_ex(cfg, NULL, 0, NULL);
    json_t *e = settings_export(s);
    json_t *vals = json_object_get(e, "settings"), *src = json_object_get(e, "sources");
    assert_int_equal(json_object_size(vals), SET_COUNT);
    assert_int_equal(json_object_size(src), SET_COUNT);
    assert_json_str(vals, "project", "exp");
    assert_json_int(vals, "busy_timeout_ms", 5000);
    assert_json_int(vals, "max_message_mb", 64);
    assert_json_str(vals, "log_level", "info");
    assert_json_str(vals, "db_path", settings_str(s, SET_DB_PATH));
    assert_json_str(src, "project", "file");
    assert_json_str(e, "config_file", cfg);
    json_decref(e);
    settings_free(s);
    s = tu_settings_ex(NULL, NULL, 0, NULL);
    e = settings_export(s);
    assert_true(json_is_null(json_object_get(e, "config_file")));
    json_decref(e);
    settings_free(s);
    free(cfg);
}

static void test_reload_sees_new_sources(void **state) {
    fx *f = *state;
    char *cfg = write_cfg(f, "c.json", "{\"project\": \"one\", \"tools_page_size\": 5}");
    const char *flags[] = {"tools-page-size=9"};
    settings *s = tu_settings_ex(cfg, flags, 1, NULL);
    assert_string_equal(settings_str(s, SET_PROJECT), "one");
    assert_int_equal(settings_int(s, SET_TOOLS_PAGE_SIZE), 9);

    tu_write_file(cfg, "{\"project\": \"two\", \"tools_page_size\": 5, \"redis\": {\"host\": \"h\"}}");
    tu_env_set("LTMC_LOG_LEVEL", "debug");
    json_t *warnings = json_array();
    lt_err err;
    settings *r = settings_reload(s, warnings, &err);
    if (!r) fail_msg("reload failed: %s", err.msg);
    assert_string_equal(settings_str(r, SET_PROJECT), "two");     /* file re-read */
    assert_int_equal(settings_int(r, SET_TOOLS_PAGE_SIZE), 9);    /* the flag still wins */
    assert_string_equal(settings_str(r, SET_LOG_LEVEL), "debug"); /* the environment re-read */
    assert_string_equal(settings_config_file(r), cfg);
    assert_int_equal(json_array_size(warnings), 1);
    /* The original is untouched. */
    assert_string_equal(settings_str(s, SET_PROJECT), "one");
    settings_free(r);

    /* A broken file: reload reports it and the running settings stay. */
    tu_write_file(cfg, "{\"project\": ");
    r = settings_reload(s, NULL, &err);
    assert_null(r);
    assert_contains(err.msg, "not valid JSON");
    assert_string_equal(settings_str(s, SET_PROJECT), "one");
    json_decref(warnings);
    settings_free(s);
    free(cfg);
}

int main(void) {
    tu_quiet();
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_defaults),
        T(test_derived_paths),
        T(test_precedence_default_file_env_flag),
        T(test_config_file_discovery),
        T(test_config_file_errors),
        T(test_env_and_flag_errors),
        T(test_enum_and_int_normalisation),
        T(test_original_config_layout),
        T(test_paths_relative_to_file_and_tilde),
        T(test_schema_from_table),
        T(test_export_values_and_types),
        T(test_reload_sees_new_sources),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
