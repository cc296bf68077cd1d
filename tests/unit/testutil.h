/* testutil.h - helpers shared by the cmocka unit tests.
 *
 * Header-only (every test is one translation unit linked against all of
 * src/ except main.c). Provides:
 *   - a fake environment for settings_load (tu_env_*),
 *   - temporary directories and files (tu_tmpdir, tu_write_file, tu_rmrf),
 *   - settings built from the fake environment and flags (tu_settings),
 *   - a store on a temp file with migrations applied (tu_store_open),
 *   - one tool action call returning its result object (tu_call),
 *   - assertion helpers for strings and JSON (assert_contains, ...).
 */
#ifndef LTMC_TESTUTIL_H
#define LTMC_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/jsonx.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/settings.h"
#include "store/schema.h"
#include "embed/embed.h"
#include "search/memory.h"
#include "store/store.h"
#include "tools/tool.h"

#define TU_UNUSED __attribute__((unused))

/* ---- assertions ----------------------------------------------------------- */

/* Fails when needle does not occur in hay (NULL hay fails too). */
#define assert_contains(hay, needle)                                                                     \
    do {                                                                                                 \
        const char *h_ = (hay), *n_ = (needle);                                                          \
        if (!h_ || !strstr(h_, n_))                                                                      \
            fail_msg("expected \"%s\" to contain \"%s\"", h_ ? h_ : "(null)", n_);                     \
    } while (0)

#define assert_not_contains(hay, needle)                                                                 \
    do {                                                                                                 \
        const char *h_ = (hay), *n_ = (needle);                                                          \
        if (h_ && strstr(h_, n_)) fail_msg("expected \"%s\" not to contain \"%s\"", h_, n_);             \
    } while (0)

/* The string member key of obj equals expected (a missing member fails). */
#define assert_json_str(obj, key, expected)                                                              \
    do {                                                                                                 \
        const char *v_ = jx_str((obj), (key));                                                           \
        if (!v_) fail_msg("member '%s' is missing or not a string", (key));                              \
        assert_string_equal(v_, (expected));                                                             \
    } while (0)

/* The integer member key of obj equals expected (a missing member fails). */
#define assert_json_int(obj, key, expected)                                                              \
    do {                                                                                                 \
        json_t *v_ = json_object_get((obj), (key));                                                      \
        if (!json_is_integer(v_)) fail_msg("member '%s' is missing or not an integer", (key));          \
        assert_int_equal(json_integer_value(v_), (expected));                                            \
    } while (0)

#define assert_json_bool(obj, key, expected)                                                             \
    do {                                                                                                 \
        json_t *v_ = json_object_get((obj), (key));                                                      \
        if (!json_is_boolean(v_)) fail_msg("member '%s' is missing or not a boolean", (key));           \
        assert_int_equal(json_is_true(v_), (expected) ? 1 : 0);                                          \
    } while (0)

/* ---- fake environment ------------------------------------------------------ */

#define TU_ENV_MAX 32
static struct {
    char *name, *value;
} tu_env_vars[TU_ENV_MAX];

static TU_UNUSED void tu_env_clear(void) {
    for (int i = 0; i < TU_ENV_MAX; i++) {
        free(tu_env_vars[i].name);
        free(tu_env_vars[i].value);
        tu_env_vars[i].name = tu_env_vars[i].value = NULL;
    }
}

/* Sets (or with value NULL removes) one variable of the fake environment. */
static TU_UNUSED void tu_env_set(const char *name, const char *value) {
    int free_slot = -1;
    for (int i = 0; i < TU_ENV_MAX; i++) {
        if (tu_env_vars[i].name && strcmp(tu_env_vars[i].name, name) == 0) {
            free(tu_env_vars[i].value);
            tu_env_vars[i].value = value ? strdup(value) : NULL;
            return;
        }
        if (!tu_env_vars[i].name && free_slot < 0) free_slot = i;
    }
    if (!value) return;
    assert_true(free_slot >= 0);
    tu_env_vars[free_slot].name = strdup(name);
    tu_env_vars[free_slot].value = strdup(value);
}

static TU_UNUSED const char *tu_getenv(const char *name) {
    for (int i = 0; i < TU_ENV_MAX; i++)
        if (tu_env_vars[i].name && strcmp(tu_env_vars[i].name, name) == 0) return tu_env_vars[i].value;
    return NULL;
}

/* ---- files ------------------------------------------------------------------ */

/* A fresh directory under $TMPDIR (or /tmp); the caller frees the string. */
static TU_UNUSED char *tu_tmpdir(void) {
    const char *base = getenv("TMPDIR");
    char tmpl[PATH_MAX];
    snprintf(tmpl, sizeof tmpl, "%s/ltmc-unit-XXXXXX", base && *base ? base : "/tmp");
    char *dir = mkdtemp(tmpl);
    assert_non_null(dir);
    return strdup(dir);
}

/* rm -rf; the path must be one of ours (under a ltmc-unit- directory). */
static TU_UNUSED void tu_rmrf(const char *path) {
    if (!path) return;
    struct stat st;
    if (lstat(path, &st) != 0) return;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        if (d) {
            struct dirent *e;
            while ((e = readdir(d))) {
                if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
                char child[PATH_MAX];
                snprintf(child, sizeof child, "%s/%s", path, e->d_name);
                tu_rmrf(child);
            }
            closedir(d);
        }
        rmdir(path);
    } else {
        unlink(path);
    }
}

/* dir + "/" + name, malloc'd. */
static TU_UNUSED char *tu_path(const char *dir, const char *name) {
    size_t len = strlen(dir) + strlen(name) + 2;
    char *p = malloc(len);
    snprintf(p, len, "%s/%s", dir, name);
    return p;
}

static TU_UNUSED void tu_write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
    assert_int_equal(fclose(f), 0);
}

/* ---- settings ---------------------------------------------------------------- */

/* Loads settings from the fake environment (plus config_path and flags,
 * either may be NULL/0). Fails the test when the load fails. */
static TU_UNUSED settings *tu_settings_ex(const char *config_path, const char *const *flags, size_t n_flags,
                                          json_t *warnings) {
    settings_sources src = {config_path, tu_getenv, flags, n_flags};
    lt_err err;
    lt_err_clear(&err);
    settings *s = settings_load(&src, warnings, &err);
    if (!s) fail_msg("settings_load failed: %s", err.msg);
    return s;
}

/* Settings with everything default except data_dir, taken from dir. */
static TU_UNUSED settings *tu_settings(const char *dir) {
    tu_env_clear();
    tu_env_set("HOME", dir);
    tu_env_set("XDG_CONFIG_HOME", dir); /* no config.json there: defaults only */
    tu_env_set("LTMC_DATA_DIR", dir);
    return tu_settings_ex(NULL, NULL, 0, NULL);
}

/* Tries a load that is expected to fail and returns the message (static). */
static TU_UNUSED const char *tu_settings_error(const char *config_path, const char *const *flags, size_t n_flags) {
    static lt_err err;
    lt_err_clear(&err);
    settings_sources src = {config_path, tu_getenv, flags, n_flags};
    settings *s = settings_load(&src, NULL, &err);
    if (s) {
        settings_free(s);
        fail_msg("settings_load succeeded but an error was expected");
    }
    assert_true(err.msg[0] != '\0');
    return err.msg;
}

/* ---- store ------------------------------------------------------------------- */

static TU_UNUSED store *tu_store_open_opts(const char *path, int busy_timeout_ms) {
    store_options opt = {path, busy_timeout_ms, 4, 0, false};
    lt_err err;
    lt_err_clear(&err);
    store *st = store_open(&opt, &err);
    if (!st) fail_msg("store_open(%s) failed: %s", path, err.msg);
    return st;
}

/* A store on a temp file (or ":memory:") with every migration applied. */
static TU_UNUSED store *tu_store_open(const char *path) { return tu_store_open_opts(path, 2000); }

/* ---- memory engine ----------------------------------------------------------- */

/* A memory engine on the hash embedder (no model file): fast, deterministic. */
static TU_UNUSED memory_engine *tu_memory_new(void) {
    embed_options eo = {0};
    eo.backend = "hash";
    eo.hash_dim = 64;
    lt_err err;
    embedder *e = embedder_open(&eo, &err);
    if (!e) fail_msg("embedder_open: %s", err.msg);
    memory_config mc = {200, 20, 1 << 20, 2, 0.35, 0.5, 0.95, 4000, 0.75};
    memory_engine *m = memory_engine_new(e, &mc, &err);
    if (!m) fail_msg("memory_engine_new: %s", err.msg);
    return m;
}

/* The engine of the running fixture (its vector index belongs to the
 * fixture's database); NULL outside a fixture. */
static memory_engine *tu_active_mem TU_UNUSED;

/* ---- tool calls ---------------------------------------------------------------- */

static TU_UNUSED json_t *tu_parse(const char *text) {
    char why[256];
    json_t *v = jx_parse(text, strlen(text), why, sizeof why);
    if (!v) fail_msg("bad JSON in test: %s: %s", why, text);
    return v;
}

/* Calls tool (by name) with args given as JSON text; returns the result
 * object (caller decrefs) and whether it failed. The result must always
 * carry a boolean "success" that agrees with *failed. */
static TU_UNUSED json_t *tu_call_ex(const char *tool_name, store *st, const settings *cfg, const char *args_json,
                                    bool *failed) {
    const tool_def *t = tool_find(tool_name);
    if (!t) fail_msg("no tool %s", tool_name);
    json_t *args = tu_parse(args_json);
    atomic_int cancelled = 0;
    bool f = false;
    /* Outside a fixture each call gets a fresh engine: its index must not
     * outlive the database it was loaded from. */
    memory_engine *own = tu_active_mem ? NULL : tu_memory_new();
    tool_env env = {st, cfg, tu_active_mem ? tu_active_mem : own};
    jx_frozen *frozen = NULL;
    json_t *r = tool_call(t, &env, args, &cancelled, &f, &frozen);
    memory_engine_free(own);
    json_decref(args);
    assert_non_null(r);
    if (frozen) { /* a frozen result must serialise exactly as the result does */
        char *text = jx_dump(r);
        assert_string_equal(jx_frozen_text(frozen, NULL), text);
        free(text);
        jx_frozen_release(frozen);
    }
    assert_true(jx_expand_raw(r)); /* parts written as text (jx_raw) read as the client reads them */
    json_t *success = json_object_get(r, "success");
    assert_true(json_is_boolean(success));
    assert_int_equal(json_is_true(success), !f);
    if (f && !jx_str(r, "error")) fail_msg("error result without an \"error\" string");
    if (failed) *failed = f;
    return r;
}

/* A call that must succeed. */
static TU_UNUSED json_t *tu_ok(const char *tool_name, store *st, const settings *cfg, const char *args_json) {
    bool failed;
    json_t *r = tu_call_ex(tool_name, st, cfg, args_json, &failed);
    if (failed) {
        char *d = jx_dump(r);
        fail_msg("%s %s failed: %s", tool_name, args_json, d);
    }
    return r;
}

/* A call that must fail; returns the result (its "error" is a string). */
static TU_UNUSED json_t *tu_fail(const char *tool_name, store *st, const settings *cfg, const char *args_json) {
    bool failed;
    json_t *r = tu_call_ex(tool_name, st, cfg, args_json, &failed);
    if (!failed) {
        char *d = jx_dump(r);
        fail_msg("%s %s succeeded but should fail: %s", tool_name, args_json, d);
    }
    return r;
}

/* Asserts the call fails with an error containing needle. */
#define assert_call_error(tool, st, cfg, args, needle)                                                   \
    do {                                                                                                 \
        json_t *r_ = tu_fail((tool), (st), (cfg), (args));                                               \
        assert_contains(jx_str(r_, "error"), (needle));                                                  \
        json_decref(r_);                                                                                 \
    } while (0)

/* Runs tool_validate on args given as JSON text and returns the error
 * message (static buffer); fails the test if validation succeeds. */
static TU_UNUSED const char *tu_validate_error(const char *tool_name, const char *args_json) {
    static lt_err err;
    const tool_def *t = tool_find(tool_name);
    assert_non_null(t);
    json_t *args = tu_parse(args_json);
    const action_def *a = NULL;
    lt_err_clear(&err);
    json_t *out = tool_validate(t, &a, args, &err);
    json_decref(args);
    if (out) {
        char *d = jx_dump(out);
        fail_msg("validation of %s passed (%s) but should fail", args_json, d);
    }
    assert_int_equal(err.code, LT_ERR_INVALID);
    return err.msg;
}

/* Runs tool_validate and returns the completed arguments (caller decrefs). */
static TU_UNUSED json_t *tu_validate_ok(const char *tool_name, const char *args_json) {
    const tool_def *t = tool_find(tool_name);
    assert_non_null(t);
    json_t *args = tu_parse(args_json);
    const action_def *a = NULL;
    lt_err err;
    lt_err_clear(&err);
    json_t *out = tool_validate(t, &a, args, &err);
    json_decref(args);
    if (!out) fail_msg("validation of %s failed: %s", args_json, err.msg);
    assert_non_null(a);
    assert_string_equal(a->name, jx_str(out, "action"));
    return out;
}

/* ---- fixture: temp dir + settings + store -------------------------------------- */

typedef struct {
    char *dir;
    char *db;
    settings *cfg;
    store *st;
    memory_engine *mem;
} tu_fixture;

static TU_UNUSED int tu_fixture_setup(void **state) {
    tu_fixture *f = calloc(1, sizeof *f);
    f->dir = tu_tmpdir();
    f->db = tu_path(f->dir, "ltmc.db");
    f->cfg = tu_settings(f->dir);
    f->st = tu_store_open(f->db);
    f->mem = tu_memory_new();
    tu_active_mem = f->mem;
    *state = f;
    return 0;
}

static TU_UNUSED int tu_fixture_teardown(void **state) {
    tu_fixture *f = *state;
    if (!f) return 0;
    tu_active_mem = NULL;
    memory_engine_free(f->mem);
    store_close(f->st);
    settings_free(f->cfg);
    tu_rmrf(f->dir);
    free(f->db);
    free(f->dir);
    free(f);
    tu_env_clear();
    return 0;
}

/* Quiet logs: tests check behaviour, not the log. */
static TU_UNUSED void tu_quiet(void) { log_set_level(LOG_ERROR); }

#endif
