#include "settings.h"

#include "jsonx.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static const char *const log_levels[] = {"debug", "info", "warning", "error", "off", NULL};
static const char *const sync_modes[] = {"normal", "full", NULL};
static const char *const backends[] = {"glove", "hash", "bert", "http", NULL};

/* data_dir and db_path have derived defaults: $XDG_DATA_HOME/ltmc (or
 * ~/.local/share/ltmc) and <data_dir>/ltmc.db. */
static const setting_def table[SET_COUNT] = {
    [SET_DATA_DIR] = {"data_dir", SETTING_PATH, NULL, "LTMC_DATA_DIR", "paths.data_dir",
                      "Directory for ltmc's data. Default: $XDG_DATA_HOME/ltmc, else ~/.local/share/ltmc."},
    [SET_DB_PATH] = {"db_path", SETTING_PATH, NULL, "LTMC_DB_PATH", "database.db_path",
                     "SQLite database file. Default: <data_dir>/ltmc.db."},
    [SET_PROJECT] = {"project", SETTING_STRING, "default", "LTMC_PROJECT", NULL,
                     "Project used when a call names none. Data of one project is never visible from another."},
    [SET_LOG_LEVEL] = {"log_level", SETTING_ENUM, "info", "LTMC_LOG_LEVEL", "logging.level",
                       "Least severe level written to stderr.", log_levels},
    [SET_BUSY_TIMEOUT_MS] = {"busy_timeout_ms", SETTING_INT, "5000", "LTMC_BUSY_TIMEOUT_MS", NULL,
                             "How long one SQLite attempt waits for a lock held by another process before retrying.",
                             NULL, 0, 600000},
    [SET_SQLITE_CACHE_MB] = {"sqlite_cache_mb", SETTING_INT, "16", "LTMC_SQLITE_CACHE_MB", NULL,
                             "Upper bound of SQLite's page cache per connection, in MiB.", NULL, 1, 4096},
    [SET_SQLITE_MMAP_MB] = {"sqlite_mmap_mb", SETTING_INT, "256", "LTMC_SQLITE_MMAP_MB", NULL,
                            "Bytes of the database file SQLite may memory-map, in MiB (0 turns mmap off).",
                            NULL, 0, 65536},
    [SET_SQLITE_SYNCHRONOUS] = {"sqlite_synchronous", SETTING_ENUM, "normal", "LTMC_SQLITE_SYNCHRONOUS", NULL,
                                "SQLite synchronous mode. 'normal' is durable across process crashes in WAL mode; "
                                "'full' also survives power loss at the cost of an fsync per commit.",
                                sync_modes},
    [SET_MAX_MESSAGE_MB] = {"max_message_mb", SETTING_INT, "64", "LTMC_MAX_MESSAGE_MB", NULL,
                            "Largest JSON-RPC message accepted, in MiB.", NULL, 16, 1024},
    [SET_TOOLS_PAGE_SIZE] = {"tools_page_size", SETTING_INT, "100", "LTMC_TOOLS_PAGE_SIZE", NULL,
                             "Tools per tools/list page; more come through nextCursor.", NULL, 1, 1000},
    [SET_EMBEDDING_BACKEND] = {"embedding_backend", SETTING_ENUM, "glove", "LTMC_EMBEDDING_BACKEND", NULL,
                               "How texts become vectors: glove (word vectors, default), hash (no model), bert "
                               "(a sentence encoder on disk) or http (an OpenAI-compatible embeddings server). "
                               "When glove's file is missing, hash runs instead and doctor says so.",
                               backends},
    [SET_GLOVE_PATH] = {"glove_path", SETTING_PATH, NULL, "LTMC_GLOVE_PATH", NULL,
                        "Word-vector file for the glove backend. Default: glove-100d.ltmcvec beside the ltmc binary, "
                        "in ../share/ltmc, or in <data_dir>/models.",
                        NULL, 0, 0, false, true},
    [SET_HASH_DIM] = {"hash_dim", SETTING_INT, "256", "LTMC_HASH_DIM", NULL,
                      "Vector dimension of the hash backend.", NULL, 8, 4096},
    [SET_BERT_MODEL_DIR] = {"bert_model_dir", SETTING_PATH, NULL, "LTMC_BERT_MODEL_DIR", NULL,
                            "Directory holding config.json, vocab.txt and model.safetensors of a BERT-family "
                            "sentence encoder, for the bert backend.",
                            NULL, 0, 0, false, true},
    [SET_HTTP_EMBEDDING_URL] = {"http_embedding_url", SETTING_STRING, NULL, "LTMC_HTTP_EMBEDDING_URL", NULL,
                                "Base URL of an OpenAI-compatible embeddings API for the http backend, e.g. "
                                "http://127.0.0.1:11434/v1.",
                                NULL, 0, 0, false, true},
    [SET_HTTP_EMBEDDING_MODEL] = {"http_embedding_model", SETTING_STRING, NULL, "LTMC_HTTP_EMBEDDING_MODEL", NULL,
                                  "Model name sent to the embeddings API.", NULL, 0, 0, false, true},
    [SET_HTTP_EMBEDDING_API_KEY] = {"http_embedding_api_key", SETTING_STRING, NULL, "LTMC_HTTP_EMBEDDING_API_KEY",
                                    NULL, "Bearer token for the embeddings API.", NULL, 0, 0, true, true},
    [SET_HTTP_EMBEDDING_TIMEOUT_MS] = {"http_embedding_timeout_ms", SETTING_INT, "30000",
                                       "LTMC_HTTP_EMBEDDING_TIMEOUT_MS", NULL,
                                       "Timeout of one embeddings request.", NULL, 100, 600000},
    [SET_CHUNK_BYTES] = {"chunk_bytes", SETTING_INT, "1000", "LTMC_CHUNK_BYTES", NULL,
                         "Largest chunk a memory is split into for embedding and search, in bytes.", NULL, 64,
                         65536},
    [SET_CHUNK_OVERLAP_BYTES] = {"chunk_overlap_bytes", SETTING_INT, "100", "LTMC_CHUNK_OVERLAP_BYTES", NULL,
                                 "Overlap between consecutive chunks, in bytes (less than half of chunk_bytes).",
                                 NULL, 0, 32767},
    [SET_MAX_MEMORY_BYTES] = {"max_memory_bytes", SETTING_INT, "1048576", "LTMC_MAX_MEMORY_BYTES", NULL,
                              "Largest memory content accepted, in bytes.", NULL, 1024, 64 * 1024 * 1024},
    [SET_CONTEXT_NEIGHBOURS] = {"context_neighbours", SETTING_INT, "2", "LTMC_CONTEXT_NEIGHBOURS", NULL,
                                "Memories on each side (same project and conversation, in storing order) whose "
                                "words also find a memory in full-text search; 0 turns this off.",
                                NULL, 0, 8},
    [SET_CONTEXT_WEIGHT] = {"context_weight", SETTING_REAL, "0.35", "LTMC_CONTEXT_WEIGHT", NULL,
                            "BM25 weight of the neighbours' words relative to a memory's own words.", NULL, 0, 0,
                            false, false, 0.0, 10.0},
    [SET_LEXICAL_WEIGHT] = {"lexical_weight", SETTING_REAL, "0.5", "LTMC_LEXICAL_WEIGHT", NULL,
                            "Share of full-text (BM25) relevance in a search score; the rest is similarity of "
                            "meaning.",
                            NULL, 0, 0, false, false, 0.0, 1.0},
    [SET_NEAR_DUPLICATE_THRESHOLD] = {"near_duplicate_threshold", SETTING_REAL, "0.95",
                                      "LTMC_NEAR_DUPLICATE_THRESHOLD", NULL,
                                      "Cosine similarity at or above which a newly stored memory reports existing "
                                      "ones as near-duplicates, measured with the embedder's common direction taken "
                                      "out when it has one (glove) (1 turns the report off).",
                                      NULL, 0, 0, false, false, 0.0, 1.0},
    [SET_RETRIEVE_TOKEN_BUDGET] = {"retrieve_token_budget", SETTING_INT, "4000", "LTMC_RETRIEVE_TOKEN_BUDGET", NULL,
                                   "Default max_tokens of memory retrieval results (about 4 bytes a token).", NULL,
                                   100, 1000000},
    [SET_LEXICAL_SCAN] = {"lexical_scan", SETTING_INT, "1000", "LTMC_LEXICAL_SCAN", NULL,
                          "Most matching chunks (newest first) a search ranks by BM25; bounds the cost of a query "
                          "on a large store. Similarity of meaning always covers every chunk.",
                          NULL, 100, 10000000},
    [SET_BM25_B] = {"bm25_b", SETTING_REAL, "0", "LTMC_BM25_B", NULL,
                    "BM25 length normalisation (b): 0 ignores how long a chunk is (fastest: no length is read; "
                    "chunks are bounded anyway), 0.75 is the textbook value.", NULL, 0,
                    0, false, false, 0.0, 1.0},
    [SET_PROJECT_ROOTS] = {"project_roots", SETTING_STRING, NULL, "LTMC_PROJECT_ROOTS", NULL,
                           "Directories (colon-separated) that unix_action, documentation_action and sync_action "
                           "may read; every path is resolved (symlinks, ..) and refused unless it lies inside one. "
                           "Default: the directory the server was started in.",
                           NULL, 0, 0, false, true},
    [SET_UNIX_TOOL_PATH] = {"unix_tool_path", SETTING_STRING, "/usr/local/bin:/usr/bin:/bin", "LTMC_UNIX_TOOL_PATH",
                            NULL,
                            "Directories (colon-separated) where unix_action looks for external programs (rg, jq, "
                            "tree, ...); also their PATH. The server's own PATH is never used.",
                            NULL},
    [SET_UNIX_TOOLS_DISABLED] = {"unix_tools_disabled", SETTING_STRING, NULL, "LTMC_UNIX_TOOLS_DISABLED", NULL,
                                 "External programs (comma-separated names, e.g. rg,tree) unix_action treats as "
                                 "absent, using its built-in code instead.",
                                 NULL, 0, 0, false, true},
    [SET_UNIX_TIMEOUT_MS] = {"unix_timeout_ms", SETTING_INT, "10000", "LTMC_UNIX_TIMEOUT_MS", NULL,
                             "Wall-clock limit of one external program run by unix_action; it is killed after.",
                             NULL, 100, 600000},
    [SET_UNIX_OUTPUT_MAX_BYTES] = {"unix_output_max_bytes", SETTING_INT, "1048576", "LTMC_UNIX_OUTPUT_MAX_BYTES",
                                   NULL, "Most bytes of output (or file content) one unix_action call returns.",
                                   NULL, 1024, 67108864},
    [SET_WATCH_MAX_DIRS] = {"watch_max_dirs", SETTING_INT, "1024", "LTMC_WATCH_MAX_DIRS", NULL,
                            "Most directories sync_action monitor watches (inotify watches); a larger tree is "
                            "watched in part and reported as truncated.",
                            NULL, 1, 65536},
    [SET_CACHE_L1_ENTRIES] = {"cache_l1_entries", SETTING_INT, "1000", "LTMC_CACHE_L1_ENTRIES", NULL,
                              "Most entries of the in-process cache (query embeddings and retrieve results); 0 "
                              "turns it off.",
                              NULL, 0, 10000000},
    [SET_CACHE_L1_MAX_MB] = {"cache_l1_max_mb", SETTING_INT, "64", "LTMC_CACHE_L1_MAX_MB", NULL,
                             "Most memory (MiB) the in-process cache holds.", NULL, 1, 65536},
    [SET_CACHE_TTL_SECONDS] = {"cache_ttl_seconds", SETTING_INT, "300", "LTMC_CACHE_TTL_SECONDS", NULL,
                               "How long an in-process cache entry lives.", NULL, 1, 86400},
    [SET_REDIS_URL] = {"redis_url", SETTING_STRING, NULL, "LTMC_REDIS_URL", NULL,
                       "Redis for the shared L2 cache, as redis://[:password@]host[:port][/db]; overrides redis_host "
                       "and the rest. Unset (and no redis_host): no L2.",
                       NULL, 0, 0, true, true},
    [SET_REDIS_HOST] = {"redis_host", SETTING_STRING, NULL, "LTMC_REDIS_HOST", NULL,
                        "Redis host for the shared L2 cache. Unset (and no redis_url): no L2.", NULL, 0, 0, false,
                        true},
    [SET_REDIS_PORT] = {"redis_port", SETTING_INT, "6379", "LTMC_REDIS_PORT", NULL, "Redis port.", NULL, 1, 65535},
    [SET_REDIS_PASSWORD] = {"redis_password", SETTING_STRING, NULL, "LTMC_REDIS_PASSWORD", NULL,
                            "Redis password (AUTH).", NULL, 0, 0, true, true},
    [SET_REDIS_DB] = {"redis_db", SETTING_INT, "0", "LTMC_REDIS_DB", NULL, "Redis database number.", NULL, 0, 10000},
    [SET_REDIS_TIMEOUT_MS] = {"redis_timeout_ms", SETTING_INT, "200", "LTMC_REDIS_TIMEOUT_MS", NULL,
                              "Connect and command timeout for Redis; after a failure ltmc retries at most once a "
                              "second.",
                              NULL, 10, 60000},
    [SET_REDIS_TTL_SECONDS] = {"redis_ttl_seconds", SETTING_INT, "3600", "LTMC_REDIS_TTL_SECONDS", NULL,
                               "Expiry of the values ltmc stores in Redis.", NULL, 1, 2592000},
    [SET_HTTP] = {"http", SETTING_STRING, NULL, "LTMC_HTTP", NULL,
                  "ltmc serve: listen on HOST:PORT for MCP Streamable HTTP (endpoint /mcp) instead of stdio, e.g. "
                  "127.0.0.1:8765 (port 0 picks a free one). A non-loopback address requires http_auth_token.",
                  NULL, 0, 0, false, true},
    [SET_HTTP_WORKERS] = {"http_workers", SETTING_INT, "8", "LTMC_HTTP_WORKERS", NULL,
                          "HTTP: tool calls that run at once, each on its own SQLite connection (ping and other "
                          "control messages never wait for one).",
                          NULL, 1, 256},
    [SET_HTTP_MAX_CONNECTIONS] = {"http_max_connections", SETTING_INT, "256", "LTMC_HTTP_MAX_CONNECTIONS", NULL,
                                  "HTTP: most client connections open at once (one thread each).", NULL, 1, 4096},
    [SET_HTTP_ALLOWED_HOSTS] = {"http_allowed_hosts", SETTING_STRING, NULL, "LTMC_HTTP_ALLOWED_HOSTS", NULL,
                                "HTTP: comma-separated host names accepted in the Host header (and as the host of "
                                "an Origin); '*' accepts any. Default: localhost, 127.0.0.1, [::1] and the listen "
                                "address. Anything else gets 403 (DNS rebinding protection).",
                                NULL, 0, 0, false, true},
    [SET_HTTP_ALLOWED_ORIGINS] = {"http_allowed_origins", SETTING_STRING, NULL, "LTMC_HTTP_ALLOWED_ORIGINS", NULL,
                                  "HTTP: comma-separated Origin values accepted besides those whose host is an "
                                  "allowed host, e.g. https://app.example.com; '*' accepts any.",
                                  NULL, 0, 0, false, true},
    [SET_HTTP_AUTH_TOKEN] = {"http_auth_token", SETTING_STRING, NULL, "LTMC_HTTP_AUTH_TOKEN", NULL,
                             "HTTP: bearer token every request must carry (Authorization: Bearer TOKEN); required "
                             "when http listens on a non-loopback address.",
                             NULL, 0, 0, true, true},
    [SET_CONFORMANCE_FIXTURES] = {"conformance_fixtures", SETTING_BOOL, "false", "LTMC_CONFORMANCE_FIXTURES", NULL,
                                  "Serve the MCP conformance suite's fixture tools, resources and prompts instead of "
                                  "ltmc's tools (for running the official conformance suite; not for real use)."},
};

/* Top-level sections of the original ltmc_config.json. Keys inside them that
 * map to a setting (legacy_key) are applied; the others are reported. */
static const char *const legacy_sections[] = {"version", "title", "description", "database", "redis",
                                              "neo4j", "server", "logging", "features", "paths",
                                              "performance", NULL};

struct settings {
    char *values[SET_COUNT];
    setting_source sources[SET_COUNT];
    char *config_file;
    /* The sources, kept for settings_reload. */
    char *explicit_config;
    char **flags;
    size_t n_flags;
    const char *(*getenv_fn)(const char *);
};

const setting_def *settings_table(void) { return table; }

int settings_find(const char *name) {
    for (int i = 0; i < SET_COUNT; i++)
        if (strcmp(table[i].name, name) == 0) return i;
    return -1;
}

static void put(settings *s, int id, const char *val, setting_source src) {
    free(s->values[id]);
    s->values[id] = val ? strdup(val) : NULL;
    s->sources[id] = src;
}

/* Expands ~/ and makes a relative path absolute against base (or the cwd). */
static char *resolve_path(const char *val, const char *base, const char *home) {
    char buf[PATH_MAX];
    if (val[0] == '~' && (val[1] == '/' || val[1] == '\0')) {
        snprintf(buf, sizeof buf, "%s%s", home ? home : "", val + 1);
    } else if (val[0] == '/') {
        snprintf(buf, sizeof buf, "%s", val);
    } else {
        char cwd[PATH_MAX];
        if (!base) base = getcwd(cwd, sizeof cwd) ? cwd : ".";
        snprintf(buf, sizeof buf, "%s/%s", base, val);
    }
    return strdup(buf);
}

static void describe_expected(const setting_def *d, char *buf, size_t len) {
    switch (d->type) {
    case SETTING_INT: snprintf(buf, len, "an integer from %lld to %lld", d->min, d->max); break;
    case SETTING_REAL: snprintf(buf, len, "a number from %g to %g", d->dmin, d->dmax); break;
    case SETTING_BOOL: snprintf(buf, len, "true or false"); break;
    case SETTING_ENUM: {
        size_t n = (size_t)snprintf(buf, len, "one of");
        for (const char *const *c = d->choices; *c && n < len; c++)
            n += (size_t)snprintf(buf + n, len - n, "%s %s", c == d->choices ? "" : ",", *c);
        break;
    }
    case SETTING_PATH: snprintf(buf, len, "a non-empty path"); break;
    case SETTING_STRING: snprintf(buf, len, "a non-empty string without control characters"); break;
    }
}

/* Validates and normalises text for setting d. Returns a malloc'd value or
 * NULL when invalid. */
static char *normalise(const setting_def *d, const char *text, const char *path_base, const char *home) {
    switch (d->type) {
    case SETTING_INT: {
        errno = 0;
        char *end;
        long long v = strtoll(text, &end, 10);
        if (errno || end == text || *end || v < d->min || v > d->max) return NULL;
        char buf[32];
        snprintf(buf, sizeof buf, "%lld", v);
        return strdup(buf);
    }
    case SETTING_REAL: {
        errno = 0;
        char *end;
        double v = strtod(text, &end);
        if (errno || end == text || *end || !(v >= d->dmin && v <= d->dmax)) return NULL;
        char buf[64];
        snprintf(buf, sizeof buf, "%.15g", v);
        return strdup(buf);
    }
    case SETTING_BOOL:
        if (!strcasecmp(text, "true") || !strcmp(text, "1") || !strcasecmp(text, "yes")) return strdup("true");
        if (!strcasecmp(text, "false") || !strcmp(text, "0") || !strcasecmp(text, "no")) return strdup("false");
        return NULL;
    case SETTING_ENUM:
        for (const char *const *c = d->choices; *c; c++)
            if (!strcasecmp(text, *c)) return strdup(*c);
        if (d->choices == log_levels && (!strcasecmp(text, "warn") || !strcasecmp(text, "critical")))
            return strdup(!strcasecmp(text, "warn") ? "warning" : "error");
        return NULL;
    case SETTING_PATH:
        if (!*text) return NULL;
        if (strcmp(text, ":memory:") == 0) return strdup(text); /* SQLite's in-memory database, for tests */
        return resolve_path(text, path_base, home);
    case SETTING_STRING:
        if (!*text || strlen(text) > 256) return NULL;
        for (const unsigned char *p = (const unsigned char *)text; *p; p++)
            if (*p < 0x20 || *p == 0x7f) return NULL;
        return strdup(text);
    }
    return NULL;
}

static int apply_text(settings *s, int id, const char *text, setting_source src, const char *where,
                      const char *path_base, lt_err *err) {
    const setting_def *d = &table[id];
    /* ~ is the HOME of the same environment the other sources come from. */
    char *v = normalise(d, text, path_base, s->getenv_fn ? s->getenv_fn("HOME") : getenv("HOME"));
    if (!v) {
        char expected[160];
        describe_expected(d, expected, sizeof expected);
        return lt_err_set(err, LT_ERR_INVALID, "%s: invalid value for '%s': expected %s, got \"%.60s\"",
                          where, d->name, expected, text);
    }
    put(s, id, NULL, src);
    s->values[id] = v;
    return 0;
}

static int apply_json(settings *s, int id, json_t *val, const char *where, const char *path_base, lt_err *err) {
    const setting_def *d = &table[id];
    char buf[64];
    const char *text = NULL;
    bool type_ok = false;
    switch (d->type) {
    case SETTING_INT:
        if (json_is_integer(val)) {
            snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(val));
            text = buf;
            type_ok = true;
        }
        break;
    case SETTING_REAL:
        if (json_is_number(val)) {
            snprintf(buf, sizeof buf, "%.15g", json_number_value(val));
            text = buf;
            type_ok = true;
        }
        break;
    case SETTING_BOOL:
        if (json_is_boolean(val)) { text = json_is_true(val) ? "true" : "false"; type_ok = true; }
        break;
    default:
        if (json_is_string(val)) { text = json_string_value(val); type_ok = true; }
        break;
    }
    if (!type_ok) {
        char expected[160];
        describe_expected(d, expected, sizeof expected);
        return lt_err_set(err, LT_ERR_INVALID, "%s: invalid value for '%s': expected %s, got %s", where,
                          d->name, expected, jx_type_name(val));
    }
    return apply_text(s, id, text, SOURCE_FILE, where, path_base, err);
}

static bool is_legacy_section(const char *key) {
    for (const char *const *p = legacy_sections; *p; p++)
        if (!strcmp(*p, key)) return true;
    return false;
}

static int legacy_find(const char *dotted) {
    for (int i = 0; i < SET_COUNT; i++)
        if (table[i].legacy_key && !strcmp(table[i].legacy_key, dotted)) return i;
    return -1;
}

static void ignored_key(json_t *warnings, const char *path, const char *dotted) {
    if (!warnings) return;
    char buf[512];
    snprintf(buf, sizeof buf, "config file %s: '%s' is not used by ltmc and was ignored", path, dotted);
    jx_utf8_repair(buf);
    json_array_append_new(warnings, json_string(buf));
}

static int load_file(settings *s, const char *path, json_t *warnings, lt_err *err) {
    FILE *f = fopen(path, "rb");
    if (!f) return lt_err_set(err, LT_ERR_IO, "config file %s: %s", path, strerror(errno));
    json_error_t je;
    json_t *root = json_loadf(f, 0, &je);
    fclose(f);
    if (!root)
        return lt_err_set(err, LT_ERR_INVALID, "config file %s: not valid JSON: %s (line %d, column %d)", path,
                          je.text, je.line, je.column);
    if (!json_is_object(root)) {
        json_decref(root);
        return lt_err_set(err, LT_ERR_INVALID, "config file %s: the top level must be a JSON object", path);
    }
    /* Relative paths in a file are relative to the file's directory. */
    char base[PATH_MAX], cwd[PATH_MAX];
    if (path[0] == '/' || !getcwd(cwd, sizeof cwd)) snprintf(base, sizeof base, "%s", path);
    else snprintf(base, sizeof base, "%s/%s", cwd, path); /* so the results are absolute too */
    char *slash = strrchr(base, '/');
    if (slash) *slash = '\0'; else snprintf(base, sizeof base, ".");

    char where[PATH_MAX + 32];
    snprintf(where, sizeof where, "config file %s", path);
    const char *key;
    json_t *val;
    int rc = 0;
    json_object_foreach(root, key, val) {
        int id = settings_find(key);
        if (id >= 0) {
            if ((rc = apply_json(s, id, val, where, base, err))) break;
        } else if (is_legacy_section(key)) {
            if (!json_is_object(val)) continue; /* version, title, description */
            const char *sub;
            json_t *subval;
            json_object_foreach(val, sub, subval) {
                char dotted[256];
                snprintf(dotted, sizeof dotted, "%s.%s", key, sub);
                int lid = legacy_find(dotted);
                if (lid < 0) {
                    ignored_key(warnings, path, dotted);
                    continue;
                }
                if ((rc = apply_json(s, lid, subval, where, base, err))) break;
            }
            if (rc) break;
        } else {
            rc = lt_err_set(err, LT_ERR_INVALID, "%s: unknown setting '%s' (see `ltmc call config_action "
                            "'{\"action\":\"get_config_schema\"}'` for the list)", where, key);
            break;
        }
    }
    json_decref(root);
    return rc;
}

static bool file_exists(const char *path) {
    FILE *f = fopen(path, "rb");
    if (f) fclose(f);
    return f != NULL;
}

settings *settings_load(const settings_sources *src, json_t *warnings, lt_err *err) {
    static const settings_sources none = {0};
    if (!src) src = &none;
    const char *(*env)(const char *) = src->getenv_fn ? src->getenv_fn : (const char *(*)(const char *))getenv;
    settings *s = calloc(1, sizeof *s);
    if (!s) { lt_err_set(err, LT_ERR_INTERNAL, "out of memory"); return NULL; }
    for (int i = 0; i < SET_COUNT; i++)
        if (table[i].def) put(s, i, table[i].def, SOURCE_DEFAULT);
    s->getenv_fn = src->getenv_fn;
    if (src->config_path) s->explicit_config = strdup(src->config_path);
    if (src->n_flags) {
        s->flags = calloc(src->n_flags, sizeof *s->flags);
        for (size_t f = 0; s->flags && f < src->n_flags; f++) s->flags[f] = strdup(src->flags[f]);
        if (s->flags) s->n_flags = src->n_flags;
    }

    /* The config file: --config, else $LTMC_CONFIG, else the XDG location if present. */
    char xdg[PATH_MAX];
    const char *cfg = src->config_path;
    if (!cfg && env("LTMC_CONFIG") && *env("LTMC_CONFIG")) cfg = env("LTMC_CONFIG");
    if (!cfg) {
        const char *xch = env("XDG_CONFIG_HOME"), *home = env("HOME");
        if (xch && *xch) snprintf(xdg, sizeof xdg, "%s/ltmc/config.json", xch);
        else snprintf(xdg, sizeof xdg, "%s/.config/ltmc/config.json", home ? home : "");
        if (file_exists(xdg)) cfg = xdg;
    }
    if (cfg) {
        if (load_file(s, cfg, warnings, err)) goto fail;
        s->config_file = strdup(cfg);
    }
    for (int i = 0; i < SET_COUNT; i++) {
        const char *v = table[i].env ? env(table[i].env) : NULL;
        if (v && *v && apply_text(s, i, v, SOURCE_ENV, table[i].env, NULL, err)) goto fail;
    }
    for (size_t f = 0; f < src->n_flags; f++) {
        const char *eq = strchr(src->flags[f], '=');
        char name[128];
        size_t n = eq ? (size_t)(eq - src->flags[f]) : strlen(src->flags[f]);
        snprintf(name, sizeof name, "%.*s", (int)(n < sizeof name ? n : sizeof name - 1), src->flags[f]);
        for (char *p = name; *p; p++)
            if (*p == '-') *p = '_';
        int id = settings_find(name);
        if (id < 0) {
            lt_err_set(err, LT_ERR_INVALID, "unknown option --%s", src->flags[f]);
            goto fail;
        }
        char where[160];
        snprintf(where, sizeof where, "option --%s", name);
        if (!eq) {
            lt_err_set(err, LT_ERR_INVALID, "%s needs a value", where);
            goto fail;
        }
        if (apply_text(s, id, eq + 1, SOURCE_FLAG, where, NULL, err)) goto fail;
    }

    /* Derived defaults. */
    if (!s->values[SET_DATA_DIR]) {
        char buf[PATH_MAX];
        const char *xdh = env("XDG_DATA_HOME"), *home = env("HOME");
        if (xdh && *xdh) snprintf(buf, sizeof buf, "%s/ltmc", xdh);
        else if (home && *home) snprintf(buf, sizeof buf, "%s/.local/share/ltmc", home);
        else {
            lt_err_set(err, LT_ERR_INVALID, "data_dir: neither HOME nor XDG_DATA_HOME is set; set LTMC_DATA_DIR");
            goto fail;
        }
        put(s, SET_DATA_DIR, buf, SOURCE_DEFAULT);
    }
    if (!s->values[SET_DB_PATH]) {
        char buf[PATH_MAX + 16];
        snprintf(buf, sizeof buf, "%s/ltmc.db", s->values[SET_DATA_DIR]);
        put(s, SET_DB_PATH, buf, SOURCE_DEFAULT);
    }
    return s;
fail:
    settings_free(s);
    return NULL;
}

void settings_free(settings *s) {
    if (!s) return;
    for (int i = 0; i < SET_COUNT; i++) free(s->values[i]);
    free(s->config_file);
    free(s->explicit_config);
    for (size_t f = 0; f < s->n_flags; f++) free(s->flags[f]);
    free(s->flags);
    free(s);
}

settings *settings_reload(const settings *s, json_t *warnings, lt_err *err) {
    settings_sources src = {s->explicit_config, s->getenv_fn, (const char *const *)s->flags, s->n_flags};
    return settings_load(&src, warnings, err);
}

const char *settings_str(const settings *s, setting_id id) {
    assert(id < SET_COUNT && (s->values[id] || table[id].optional));
    return s->values[id];
}

double settings_real(const settings *s, setting_id id) {
    assert(table[id].type == SETTING_REAL);
    return strtod(settings_str(s, id), NULL);
}

long long settings_int(const settings *s, setting_id id) {
    assert(table[id].type == SETTING_INT);
    return strtoll(settings_str(s, id), NULL, 10);
}

bool settings_bool(const settings *s, setting_id id) {
    assert(table[id].type == SETTING_BOOL);
    return strcmp(settings_str(s, id), "true") == 0;
}

setting_source settings_source_of(const settings *s, setting_id id) { return s->sources[id]; }

const char *settings_source_name(setting_source src) {
    static const char *const names[] = {"default", "file", "env", "flag"};
    return names[src];
}

const char *settings_config_file(const settings *s) { return s->config_file; }

json_t *settings_schema(void) {
    json_t *props = json_object();
    for (int i = 0; i < SET_COUNT; i++) {
        const setting_def *d = &table[i];
        json_t *p = json_object();
        switch (d->type) {
        case SETTING_INT:
            jx_set_str(p, "type", "integer");
            jx_set_int(p, "minimum", d->min);
            jx_set_int(p, "maximum", d->max);
            if (d->def) jx_set_int(p, "default", strtoll(d->def, NULL, 10));
            break;
        case SETTING_REAL:
            jx_set_str(p, "type", "number");
            jx_set_real(p, "minimum", d->dmin);
            jx_set_real(p, "maximum", d->dmax);
            if (d->def) jx_set_real(p, "default", strtod(d->def, NULL));
            break;
        case SETTING_BOOL:
            jx_set_str(p, "type", "boolean");
            if (d->def) jx_set_bool(p, "default", !strcmp(d->def, "true"));
            break;
        case SETTING_ENUM: {
            jx_set_str(p, "type", "string");
            json_t *e = json_array();
            for (const char *const *c = d->choices; *c; c++) json_array_append_new(e, json_string(*c));
            json_object_set_new(p, "enum", e);
            if (d->def) jx_set_str(p, "default", d->def);
            break;
        }
        case SETTING_PATH:
        case SETTING_STRING:
            jx_set_str(p, "type", "string");
            if (d->def) jx_set_str(p, "default", d->def);
            break;
        }
        jx_set_str(p, "description", d->desc);
        if (d->env) jx_set_str(p, "x-env", d->env);
        if (d->legacy_key) jx_set_str(p, "x-legacy-key", d->legacy_key);
        if (d->secret) jx_set_bool(p, "writeOnly", true);
        json_object_set_new(props, d->name, p);
    }
    json_t *schema = json_object();
    jx_set_str(schema, "$schema", "https://json-schema.org/draft/2020-12/schema");
    jx_set_str(schema, "title", "ltmc configuration (config.json)");
    jx_set_str(schema, "type", "object");
    json_object_set_new(schema, "properties", props);
    jx_set_bool(schema, "additionalProperties", false);
    return schema;
}

json_t *settings_export(const settings *s) {
    json_t *vals = json_object(), *sources = json_object();
    for (int i = 0; i < SET_COUNT; i++) {
        const setting_def *d = &table[i];
        const char *v = s->values[i];
        if (d->secret) {
            json_object_set_new(vals, d->name, v && *v ? json_string("********") : json_null());
        } else if (!v) {
            jx_set_null(vals, d->name);
        } else if (d->type == SETTING_INT) {
            jx_set_int(vals, d->name, strtoll(v, NULL, 10));
        } else if (d->type == SETTING_REAL) {
            jx_set_real(vals, d->name, strtod(v, NULL));
        } else if (d->type == SETTING_BOOL) {
            jx_set_bool(vals, d->name, !strcmp(v, "true"));
        } else {
            jx_set_str(vals, d->name, v);
        }
        jx_set_str(sources, d->name, settings_source_name(s->sources[i]));
    }
    json_t *out = json_object();
    json_object_set_new(out, "settings", vals);
    json_object_set_new(out, "sources", sources);
    jx_set_str(out, "config_file", s->config_file);
    return out;
}
