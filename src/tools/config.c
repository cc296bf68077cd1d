/* config_action: read-only introspection of the configuration (original
 * LTMC §6.11, working). Everything comes from the settings table. */
#include "tool.h"

#include "../core/clock.h"
#include "../core/jsonx.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void add_error(json_t *list, const char *msg) {
    char *text = strdup(msg);
    if (!text) return;
    jx_utf8_repair(text); /* values are quoted with "%.200s" */
    json_array_append_new(list, json_string(text));
    free(text);
}

/* Where the database would be created: the file if it exists, else its
 * directory (or the nearest existing ancestor) must be writable. */
static bool path_writable(const char *path, bool is_dir, char *why, size_t why_len) {
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", path);
    struct stat st;
    if (stat(buf, &st) == 0) {
        if (is_dir && !S_ISDIR(st.st_mode)) { snprintf(why, why_len, "%s is not a directory", path); return false; }
        if (!is_dir && S_ISDIR(st.st_mode)) { snprintf(why, why_len, "%s is a directory", path); return false; }
        if (access(buf, W_OK) != 0) { snprintf(why, why_len, "%s is not writable: %s", path, strerror(errno)); return false; }
        return true;
    }
    /* Walk up to the first existing ancestor: mkdir -p would start there. */
    for (;;) {
        char *slash = strrchr(buf, '/');
        if (!slash || slash == buf) { snprintf(buf, sizeof buf, "/"); if (stat(buf, &st) != 0) st.st_mode = 0; break; }
        *slash = '\0';
        if (stat(buf, &st) == 0) break;
    }
    if (!S_ISDIR(st.st_mode) || access(buf, W_OK) != 0) {
        snprintf(why, why_len, "%s cannot be created: %s is not a writable directory", path, buf);
        return false;
    }
    return true;
}

static int config_validate(tool_ctx *ctx, const json_t *args, json_t *out, lt_err *err) {
    (void)args;
    (void)err;
    json_t *errors = json_array(), *warnings = json_array(), *results = json_object();
    lt_err lerr;
    lt_err_clear(&lerr);
    settings *fresh = settings_reload(ctx->cfg, warnings, &lerr);
    const settings *cfg = fresh ? fresh : ctx->cfg;
    if (!fresh) add_error(errors, lerr.msg);

    json_t *file = json_object();
    jx_set_str(file, "path", settings_config_file(cfg));
    jx_set_bool(file, "loaded", settings_config_file(cfg) != NULL);
    jx_set_bool(file, "valid", fresh != NULL);
    json_object_set_new(results, "config_file", file);

    char why[4200];
    const char *data_dir = settings_str(cfg, SET_DATA_DIR), *db_path = settings_str(cfg, SET_DB_PATH);
    bool dir_ok = path_writable(data_dir, true, why, sizeof why);
    if (!dir_ok) add_error(errors, why);
    json_object_set_new(results, "data_dir", json_pack("{s:s, s:b}", "path", data_dir, "writable", dir_ok));
    bool db_ok = path_writable(db_path, false, why, sizeof why);
    if (!db_ok) add_error(errors, why);
    json_object_set_new(results, "db_path", json_pack("{s:s, s:b}", "path", db_path, "writable", db_ok));
    /* Kept under the original's name for clients that read it. */
    jx_set_bool(results, "db_path_valid", db_ok);

    json_t *db = json_object();
    lt_err dberr;
    bool sound = store_check_integrity(ctx->st, false, &dberr) == 0;
    jx_set_bool(db, "quick_check_ok", sound);
    jx_set_int(db, "schema_version", store_schema_version(ctx->st));
    jx_set_str(db, "open_path", store_path(ctx->st));
    if (!sound) add_error(errors, dberr.msg);
    json_object_set_new(results, "database", db);

    json_t *env = json_object();
    const setting_def *table = settings_table();
    for (int i = 0; i < SET_COUNT; i++) {
        const char *v = table[i].env ? getenv(table[i].env) : NULL;
        if (table[i].env) jx_set_bool(env, table[i].env, v && *v);
    }
    json_object_set_new(results, "environment_vars", env);

    /* What a restart would change. */
    if (fresh) {
        for (int i = 0; i < SET_COUNT; i++) {
            const char *now_v = settings_str(fresh, (setting_id)i), *run_v = settings_str(ctx->cfg, (setting_id)i);
            if ((now_v == NULL) != (run_v == NULL) || (now_v && strcmp(now_v, run_v) != 0)) {
                char w[600];
                snprintf(w, sizeof w, "'%s' is now %.200s in the configuration but this server runs with %.200s; "
                         "restart ltmc to apply it", table[i].name,
                         table[i].secret ? "(secret)" : now_v ? now_v : "(unset)",
                         table[i].secret ? "(secret)" : run_v ? run_v : "(unset)");
                add_error(warnings, w);
            }
        }
    }
    char now[CLOCK_ISO_LEN];
    clock_now_iso(now, sizeof now);
    jx_set_bool(out, "overall_valid", json_array_size(errors) == 0);
    json_object_set_new(out, "validation_results", results);
    json_object_set_new(out, "errors", errors);
    json_object_set_new(out, "warnings", warnings);
    jx_set_str(out, "validation_timestamp", now);
    settings_free(fresh);
    return 0;
}

static int config_schema(tool_ctx *ctx, const json_t *args, json_t *out, lt_err *err) {
    (void)ctx;
    (void)args;
    (void)err;
    char now[CLOCK_ISO_LEN];
    clock_now_iso(now, sizeof now);
    json_object_set_new(out, "config_schema", settings_schema());
    jx_set_str(out, "schema_version", "1.0");
    jx_set_str(out, "generated_at", now);
    return 0;
}

static int config_export(tool_ctx *ctx, const json_t *args, json_t *out, lt_err *err) {
    (void)args;
    (void)err;
    char now[CLOCK_ISO_LEN];
    clock_now_iso(now, sizeof now);
    json_t *exp = settings_export(ctx->cfg);
    jx_set_str(exp, "exported_at", now);
    jx_set_str(exp, "export_version", "1.0");
    json_object_set_new(out, "config_export", exp);
    jx_set_str(out, "format", "sanitized_json");
    jx_set_bool(out, "secrets_excluded", true);
    return 0;
}

static const param_def no_params[] = {{NULL}};

static const action_def config_actions[] = {
    {"validate_config",
     "re-read the configuration sources (file, environment, flags) as a restart would, and check them, the "
     "data directory and the database.",
     config_validate, no_params},
    {"get_config_schema", "JSON Schema of every setting, with defaults and environment variables.", config_schema,
     no_params},
    {"export_config", "the effective configuration and where each value came from, secrets masked.",
     config_export, no_params},
    {NULL}};

const tool_def config_tool = {
    "config_action", "Configuration",
    "Inspect ltmc's configuration: validate it, get its schema, export the effective values (read-only).",
    config_actions, true, false, true};
