/* settings.h - every configuration setting, declared once.
 *
 * The table in settings.c names each setting with its type, default,
 * environment variable, legacy ltmc_config.json key and description. That one
 * table loads the configuration (defaults < config file < environment <
 * flags), produces config_action's JSON Schema and the `--help` flag list,
 * and exports the effective values with secrets masked. */
#ifndef LT_SETTINGS_H
#define LT_SETTINGS_H

#include "err.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

typedef enum {
    SET_DATA_DIR,
    SET_DB_PATH,
    SET_PROJECT,
    SET_LOG_LEVEL,
    SET_BUSY_TIMEOUT_MS,
    SET_SQLITE_CACHE_MB,
    SET_SQLITE_MMAP_MB,
    SET_SQLITE_SYNCHRONOUS,
    SET_MAX_MESSAGE_MB,
    SET_TOOLS_PAGE_SIZE,
    SET_EMBEDDING_BACKEND,
    SET_GLOVE_PATH,
    SET_HASH_DIM,
    SET_BERT_MODEL_DIR,
    SET_HTTP_EMBEDDING_URL,
    SET_HTTP_EMBEDDING_MODEL,
    SET_HTTP_EMBEDDING_API_KEY,
    SET_HTTP_EMBEDDING_TIMEOUT_MS,
    SET_CHUNK_BYTES,
    SET_CHUNK_OVERLAP_BYTES,
    SET_MAX_MEMORY_BYTES,
    SET_CONTEXT_NEIGHBOURS,
    SET_CONTEXT_WEIGHT,
    SET_LEXICAL_WEIGHT,
    SET_NEAR_DUPLICATE_THRESHOLD,
    SET_RETRIEVE_TOKEN_BUDGET,
    SET_LEXICAL_SCAN,
    SET_BM25_B,
    SET_PROJECT_ROOTS,
    SET_UNIX_TOOL_PATH,
    SET_UNIX_TOOLS_DISABLED,
    SET_UNIX_TIMEOUT_MS,
    SET_UNIX_OUTPUT_MAX_BYTES,
    SET_WATCH_MAX_DIRS,
    SET_CACHE_L1_ENTRIES,
    SET_CACHE_L1_MAX_MB,
    SET_CACHE_TTL_SECONDS,
    SET_REDIS_URL,
    SET_REDIS_HOST,
    SET_REDIS_PORT,
    SET_REDIS_PASSWORD,
    SET_REDIS_DB,
    SET_REDIS_TIMEOUT_MS,
    SET_REDIS_TTL_SECONDS,
    SET_HTTP,
    SET_HTTP_WORKERS,
    SET_HTTP_MAX_CONNECTIONS,
    SET_HTTP_ALLOWED_HOSTS,
    SET_HTTP_ALLOWED_ORIGINS,
    SET_HTTP_AUTH_TOKEN,
    SET_CONFORMANCE_FIXTURES,
    SET_COUNT
} setting_id;

typedef enum { SETTING_STRING, SETTING_PATH, SETTING_INT, SETTING_REAL, SETTING_BOOL, SETTING_ENUM } setting_type;

typedef enum { SOURCE_DEFAULT, SOURCE_FILE, SOURCE_ENV, SOURCE_FLAG } setting_source;

typedef struct {
    const char *name;           /* key in config.json; flag is --name with '-' for '_' */
    setting_type type;
    const char *def;            /* textual default; NULL when derived or optional (see settings.c) */
    const char *env;            /* environment variable */
    const char *legacy_key;     /* dotted key in the original ltmc_config.json, or NULL */
    const char *desc;
    const char *const *choices; /* SETTING_ENUM: NULL-terminated */
    long long min, max;         /* SETTING_INT bounds, inclusive */
    bool secret;                /* masked on export */
    bool optional;              /* may stay unset: settings_str gives NULL */
    double dmin, dmax;          /* SETTING_REAL bounds, inclusive */
} setting_def;

typedef struct settings settings;

/* Where to read from. Any field may be NULL. flags holds "name=value" pairs
 * already split from the command line. */
typedef struct {
    const char *config_path;                /* explicit --config FILE */
    const char *(*getenv_fn)(const char *); /* defaults to getenv */
    const char *const *flags;
    size_t n_flags;
} settings_sources;

/* The declaration table (SET_COUNT entries, indexed by setting_id). */
const setting_def *settings_table(void);

/* Looks a setting up by its name; returns -1 when there is none. */
int settings_find(const char *name);

/* Loads every source in order. Returns NULL and fills err (naming the key
 * and the problem) on a bad configuration. Non-fatal findings (ignored legacy
 * keys) are appended to warnings when it is not NULL. */
settings *settings_load(const settings_sources *src, json_t *warnings, lt_err *err);
void settings_free(settings *s);

/* Loads again from the same sources as s was (same --config and flags, the
 * current environment and file contents): what a restart would see. */
settings *settings_reload(const settings *s, json_t *warnings, lt_err *err);

/* NULL only for an optional setting that is unset. */
const char *settings_str(const settings *s, setting_id id);
long long settings_int(const settings *s, setting_id id);
double settings_real(const settings *s, setting_id id);
bool settings_bool(const settings *s, setting_id id);
setting_source settings_source_of(const settings *s, setting_id id);
const char *settings_source_name(setting_source src);
/* The config file that was read, or NULL when none was. */
const char *settings_config_file(const settings *s);

/* JSON Schema (draft 2020-12) of the config file, from the table. */
json_t *settings_schema(void);

/* {name: value} of the effective configuration, secrets replaced by
 * "********" (or null when unset), plus where each value came from. */
json_t *settings_export(const settings *s);

#endif
