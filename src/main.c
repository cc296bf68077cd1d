/* main.c - the ltmc command line: serve, call, doctor, version.
 *
 * Every command reads the configuration the same way (defaults < config file
 * < environment < flags) and opens the store the same way; `call` goes
 * through the very request path that tools/call uses. */
#include "cache/caches.h"
#include "code/watch.h"
#include "core/clock.h"
#include "core/jsonx.h"
#include "core/log.h"
#include "core/settings.h"
#include "embed/embed.h"
#include "protocol/mcp.h"
#include "search/memory.h"
#include "store/store.h"
#include "tools/tool.h"
#include "transport/http.h"
#include "transport/stdio.h"
#include "version.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define EXIT_USAGE 2
#define MAX_FLAGS 64

typedef struct {
    const char *config_path;
    const char *flags[MAX_FLAGS];
    char *owned[MAX_FLAGS];
    size_t n_flags;
    const char *positional[8];
    size_t n_positional;
    bool help;
    bool compact;
} cli_args;

static void print_setting_flags(FILE *out) {
    const setting_def *t = settings_table();
    fprintf(out, "\nOptions (every command; each also has an environment variable):\n");
    fprintf(out, "  --config FILE                    config file (default $XDG_CONFIG_HOME/ltmc/config.json); env LTMC_CONFIG\n");
    for (int i = 0; i < SET_COUNT; i++) {
        char flag[128], meta[64] = "";
        switch (t[i].type) {
        case SETTING_PATH: snprintf(meta, sizeof meta, "PATH"); break;
        case SETTING_INT: snprintf(meta, sizeof meta, "N"); break;
        case SETTING_REAL: snprintf(meta, sizeof meta, "X"); break;
        case SETTING_BOOL: snprintf(meta, sizeof meta, "true|false"); break;
        case SETTING_STRING: snprintf(meta, sizeof meta, "NAME"); break;
        case SETTING_ENUM:
            for (const char *const *c = t[i].choices; *c; c++)
                snprintf(meta + strlen(meta), sizeof meta - strlen(meta), "%s%s", c == t[i].choices ? "" : "|", *c);
            break;
        }
        int n = snprintf(flag, sizeof flag, "--%s", t[i].name);
        for (char *p = flag + 2; *p; p++)
            if (*p == '_') *p = '-';
        snprintf(flag + n, sizeof flag - (size_t)n, " %s", meta);
        fprintf(out, "  %-32s %s (env %s)\n", flag, t[i].desc, t[i].env);
    }
}

static void usage(FILE *out) {
    fprintf(out,
            "ltmc %s - long-term memory and context server for AI coding agents (MCP)\n\n"
            "Usage: ltmc COMMAND [options]\n\n"
            "Commands:\n"
            "  serve              serve MCP over stdin/stdout (what an MCP client starts),\n"
            "                     or over Streamable HTTP with --http HOST:PORT\n"
            "  call TOOL JSON     run one tool action and print its result, e.g.\n"
            "                     ltmc call todo_action '{\"action\":\"list\"}'\n"
            "  doctor             check configuration, data directory and database\n"
            "  reembed            re-embed every memory with the configured embedder\n"
            "  version            print the version\n"
            "  help [COMMAND]     show help (also: ltmc COMMAND --help)\n",
            LTMC_VERSION);
    print_setting_flags(out);
}

static void command_help(const char *cmd) {
    if (strcmp(cmd, "serve") == 0) {
        printf("Usage: ltmc serve [options]\n\n"
               "Serves the Model Context Protocol over stdio: one JSON-RPC message per line on stdin, replies on\n"
               "stdout, logs on stderr. Exits 0 when stdin closes. Register it with an MCP client, e.g.\n"
               "  claude mcp add ltmc -- %s serve\n\n"
               "With --http HOST:PORT it serves MCP Streamable HTTP at http://HOST:PORT/mcp instead, for several\n"
               "clients at once (http_workers tool calls in parallel); loopback only unless http_auth_token is\n"
               "set. SIGTERM lets calls in progress finish before it exits.\n",
               "/path/to/ltmc");
    } else if (strcmp(cmd, "call") == 0) {
        printf("Usage: ltmc call TOOL JSON [--compact] [options]\n\n"
               "Runs one tool action through the same path as an MCP tools/call and prints the result object\n"
               "as JSON. JSON is the tool's arguments (use - to read them from stdin). Exit status: 0 success,\n"
               "1 when the action reports an error, 2 for a usage or protocol error.\n\nTools:\n");
        size_t n;
        const tool_def *const *tools = tools_all(&n);
        for (size_t i = 0; i < n; i++) {
            printf("  %-20s ", tools[i]->name);
            for (const action_def *a = tools[i]->actions; a->name; a++)
                printf("%s%s", a == tools[i]->actions ? "" : ", ", a->name);
            printf("\n");
        }
    } else if (strcmp(cmd, "doctor") == 0) {
        printf("Usage: ltmc doctor [options]\n\n"
               "Checks the configuration, the data directory, the database (integrity and schema) and optional\n"
               "components, prints a report, and exits 1 when something is wrong.\n");
    } else if (strcmp(cmd, "reembed") == 0) {
        printf("Usage: ltmc reembed [options]\n\n"
               "Re-chunks and re-embeds every memory of every project with the configured embedding backend and\n"
               "chunk sizes, printing progress on stderr. Run it after changing embedding_backend (doctor tells\n"
               "when vectors of another model are present). Servers running on the same database pick the new\n"
               "vectors up by themselves if they use the same backend.\n");
    } else if (strcmp(cmd, "version") == 0) {
        printf("Usage: ltmc version\n\nPrints the ltmc version.\n");
    } else {
        usage(stdout);
        return;
    }
    print_setting_flags(stdout);
}

/* Splits argv into options (any position) and positional words. */
static int parse_args(int argc, char **argv, cli_args *a) {
    memset(a, 0, sizeof *a);
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) { a->help = true; continue; }
        if (strcmp(arg, "--compact") == 0) { a->compact = true; continue; }
        if (strcmp(arg, "--conformance-fixtures") == 0) arg = "--conformance-fixtures=true"; /* a switch */
        if (strcmp(arg, "--version") == 0) { a->positional[a->n_positional++] = "version"; continue; }
        if (strcmp(arg, "-") == 0 || strncmp(arg, "--", 2) != 0) {
            if (a->n_positional == 8) { fprintf(stderr, "ltmc: too many arguments\n"); return -1; }
            a->positional[a->n_positional++] = arg;
            continue;
        }
        const char *name = arg + 2, *eq = strchr(name, '=');
        size_t name_len = eq ? (size_t)(eq - name) : strlen(name);
        const char *value = eq ? eq + 1 : NULL;
        if (!value) {
            if (i + 1 >= argc) { fprintf(stderr, "ltmc: option --%s needs a value\n", name); return -1; }
            value = argv[++i];
        }
        if (name_len == 6 && strncmp(name, "config", 6) == 0) { a->config_path = value; continue; }
        if (a->n_flags == MAX_FLAGS) { fprintf(stderr, "ltmc: too many options\n"); return -1; }
        size_t len = name_len + 1 + strlen(value) + 1;
        char *flag = malloc(len);
        if (!flag) return -1;
        snprintf(flag, len, "%.*s=%s", (int)name_len, name, value);
        a->owned[a->n_flags] = flag;
        a->flags[a->n_flags++] = flag;
    }
    return 0;
}

static void free_args(cli_args *a) {
    for (size_t i = 0; i < a->n_flags; i++) free(a->owned[i]);
}

static settings *load_settings(const cli_args *a, json_t *warnings, lt_err *err) {
    settings_sources src = {a->config_path, NULL, a->flags, a->n_flags};
    settings *cfg = settings_load(&src, warnings, err);
    if (!cfg) return NULL;
    log_level lvl;
    if (log_level_parse(settings_str(cfg, SET_LOG_LEVEL), &lvl) == 0) log_set_level(lvl);
    return cfg;
}

/* mkdir -p for the directory part of path (or path itself when is_dir). */
static int make_dirs(const char *path, bool is_dir, lt_err *err) {
    char buf[PATH_MAX];
    snprintf(buf, sizeof buf, "%s", path);
    if (!is_dir) {
        char *slash = strrchr(buf, '/');
        if (!slash) return 0;
        *slash = '\0';
    }
    for (char *p = buf + 1;; p++) {
        if (*p == '/' || *p == '\0') {
            char c = *p;
            *p = '\0';
            if (buf[0] && mkdir(buf, 0700) != 0 && errno != EEXIST)
                return lt_err_set(err, LT_ERR_IO, "cannot create directory %s: %s", buf, strerror(errno));
            *p = c;
            if (!c) break;
        }
    }
    return 0;
}

static store *open_store(const settings *cfg, lt_err *err) {
    if (strcmp(settings_str(cfg, SET_DB_PATH), ":memory:") != 0) {
        if (make_dirs(settings_str(cfg, SET_DATA_DIR), true, err)) return NULL;
        if (make_dirs(settings_str(cfg, SET_DB_PATH), false, err)) return NULL;
    }
    store_options opt = {
        settings_str(cfg, SET_DB_PATH),
        (int)settings_int(cfg, SET_BUSY_TIMEOUT_MS),
        (int)settings_int(cfg, SET_SQLITE_CACHE_MB),
        (int)settings_int(cfg, SET_SQLITE_MMAP_MB),
        strcmp(settings_str(cfg, SET_SQLITE_SYNCHRONOUS), "full") == 0,
    };
    return store_open(&opt, err);
}

#define GLOVE_FILE "glove-100d.ltmcvec"

/* The glove file: glove_path when set, else the first that exists of
 * <exe dir>/GLOVE_FILE, <exe dir>/../share/ltmc/GLOVE_FILE and
 * <data_dir>/models/GLOVE_FILE. Writes where it looked into tried. */
static bool find_glove(const settings *cfg, char *out, size_t len, char *tried, size_t tried_len) {
    const char *given = settings_str(cfg, SET_GLOVE_PATH);
    if (given) {
        snprintf(out, len, "%s", given);
        snprintf(tried, tried_len, "%s", given);
        return access(given, R_OK) == 0;
    }
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash) *slash = '\0';
    char candidates[3][PATH_MAX + 64];
    snprintf(candidates[0], sizeof candidates[0], "%s/" GLOVE_FILE, exe);
    snprintf(candidates[1], sizeof candidates[1], "%s/../share/ltmc/" GLOVE_FILE, exe);
    snprintf(candidates[2], sizeof candidates[2], "%s/models/" GLOVE_FILE, settings_str(cfg, SET_DATA_DIR));
    tried[0] = '\0';
    for (int i = 0; i < 3; i++) {
        snprintf(tried + strlen(tried), tried_len - strlen(tried), "%s%s", i ? ", " : "", candidates[i]);
        if (n > 0 || i == 2) {
            if (access(candidates[i], R_OK) == 0) {
                snprintf(out, len, "%s", candidates[i]);
                return true;
            }
        }
    }
    return false;
}

/* The configured embedder, or the hash embedder (with a warning in
 * *fallback) when glove's file is missing. */

/* The L2 cache tier, when redis_url or redis_host is set. It connects on
 * first use; an unreachable Redis is reported by cache_action, not here. */
static int open_l2(const settings *cfg, lt_err *err) {
    const char *url = settings_str(cfg, SET_REDIS_URL), *host = settings_str(cfg, SET_REDIS_HOST);
    if (!url && !host) return 0;
    l2_config rc = {host, (int)settings_int(cfg, SET_REDIS_PORT), settings_str(cfg, SET_REDIS_PASSWORD),
                    (int)settings_int(cfg, SET_REDIS_DB), (int)settings_int(cfg, SET_REDIS_TIMEOUT_MS),
                    (int)settings_int(cfg, SET_REDIS_TTL_SECONDS)};
    char buf[1024];
    if (url && l2_parse_url(url, buf, sizeof buf, &rc, err)) return -1;
    caches_set_l2(l2_new(&rc));
    return 0;
}

static memory_engine *open_memory(const settings *cfg, char *fallback, size_t fallback_len, lt_err *err) {
    fallback[0] = '\0';
    char glove[PATH_MAX + 64], tried[4 * PATH_MAX];
    embed_options eo = {0};
    eo.backend = settings_str(cfg, SET_EMBEDDING_BACKEND);
    eo.hash_dim = (int)settings_int(cfg, SET_HASH_DIM);
    eo.bert_dir = settings_str(cfg, SET_BERT_MODEL_DIR);
    eo.http_url = settings_str(cfg, SET_HTTP_EMBEDDING_URL);
    eo.http_model = settings_str(cfg, SET_HTTP_EMBEDDING_MODEL);
    eo.http_api_key = settings_str(cfg, SET_HTTP_EMBEDDING_API_KEY);
    eo.http_timeout_ms = (int)settings_int(cfg, SET_HTTP_EMBEDDING_TIMEOUT_MS);
    if (strcmp(eo.backend, "glove") == 0) {
        if (find_glove(cfg, glove, sizeof glove, tried, sizeof tried)) {
            eo.glove_path = glove;
        } else {
            snprintf(fallback, fallback_len,
                     "glove word vectors not found (looked in %s); using the hash embedder, which matches "
                     "words but not meanings. Run `make model` or set glove_path.", tried);
            eo.backend = "hash";
        }
    } else if (strcmp(eo.backend, "bert") == 0 && !eo.bert_dir) {
        lt_err_set(err, LT_ERR_INVALID, "embedding_backend is bert but bert_model_dir is not set");
        return NULL;
    } else if (strcmp(eo.backend, "http") == 0 && (!eo.http_url || !eo.http_model)) {
        lt_err_set(err, LT_ERR_INVALID, "embedding_backend is http but http_embedding_url or http_embedding_model is not set");
        return NULL;
    }
    memory_config mc = {
        (size_t)settings_int(cfg, SET_CHUNK_BYTES),
        (size_t)settings_int(cfg, SET_CHUNK_OVERLAP_BYTES),
        (size_t)settings_int(cfg, SET_MAX_MEMORY_BYTES),
        (int)settings_int(cfg, SET_CONTEXT_NEIGHBOURS),
        settings_real(cfg, SET_CONTEXT_WEIGHT),
        settings_real(cfg, SET_LEXICAL_WEIGHT),
        settings_real(cfg, SET_NEAR_DUPLICATE_THRESHOLD),
        (size_t)settings_int(cfg, SET_LEXICAL_SCAN),
        settings_real(cfg, SET_BM25_B),
    };
    if (mc.overlap_bytes * 2 >= mc.chunk_bytes) {
        lt_err_set(err, LT_ERR_INVALID, "chunk_overlap_bytes (%zu) must be less than half of chunk_bytes (%zu)",
                   mc.overlap_bytes, mc.chunk_bytes);
        return NULL;
    }
    caches_configure((size_t)settings_int(cfg, SET_CACHE_L1_ENTRIES),
                     (size_t)settings_int(cfg, SET_CACHE_L1_MAX_MB) << 20,
                     (uint64_t)settings_int(cfg, SET_CACHE_TTL_SECONDS) * 1000);
    if (open_l2(cfg, err)) return NULL;
    embedder *emb = embedder_open(&eo, err);
    if (!emb) return NULL;
    memory_engine *m = memory_engine_new(emb, &mc, err);
    if (!m) embedder_close(emb);
    return m;
}

static void print_warnings(json_t *warnings) {
    size_t i;
    json_t *w;
    json_array_foreach(warnings, i, w) LOG_W("%s", json_string_value(w));
}

static int cmd_serve(cli_args *a) {
    lt_err err;
    json_t *warnings = json_array();
    settings *cfg = load_settings(a, warnings, &err);
    if (!cfg) {
        fprintf(stderr, "ltmc: configuration error: %s\n", err.msg);
        json_decref(warnings);
        return 1;
    }
    print_warnings(warnings);
    json_decref(warnings);
    /* One store connection for stdio's worker, one per worker for HTTP. */
    bool http = settings_str(cfg, SET_HTTP) != NULL;
    size_t n_stores = http ? (size_t)settings_int(cfg, SET_HTTP_WORKERS) : 1;
    store **stores = calloc(n_stores, sizeof *stores);
    int rc = 1;
    memory_engine *mem = NULL;
    if (!stores) {
        fprintf(stderr, "ltmc: out of memory\n");
        goto out;
    }
    for (size_t i = 0; i < n_stores; i++) {
        if (!(stores[i] = open_store(cfg, &err))) {
            fprintf(stderr, "ltmc: %s\n", err.msg);
            goto out;
        }
    }
    /* The workers' writes all run on one more connection (store.h), which
     * checkpoints in the background: a checkpoint inside a commit would hold
     * up every worker's writes. stdio runs one call at a time, and leaves
     * checkpoints to SQLite: done beside its calls they cost the calls more
     * (store p50 +0.2 ms at a million memories) than the occasional one
     * done inside a call (it lowers store p95 from about 10 to 6 ms). */
    if (http && store_share_writer(stores, n_stores, &err)) {
        fprintf(stderr, "ltmc: %s\n", err.msg);
        goto out;
    }
    char fallback[8 * PATH_MAX];
    mem = open_memory(cfg, fallback, sizeof fallback, &err);
    if (!mem) {
        fprintf(stderr, "ltmc: %s\n", err.msg);
        goto out;
    }
    if (fallback[0]) LOG_W("%s", fallback);
    LOG_I("ltmc %s serving MCP on %s; database %s, project %s, embeddings %s", LTMC_VERSION, http ? "HTTP" : "stdio",
          store_path(stores[0]), settings_str(cfg, SET_PROJECT), embedder_model_id(memory_engine_embedder(mem)));
    if (http) {
        rc = http_serve(cfg, stores, n_stores, mem, &err) == 0 ? 0 : 1;
        if (rc) fprintf(stderr, "ltmc: %s\n", err.msg);
    } else {
        rc = stdio_serve(cfg, stores[0], mem, STDIN_FILENO, STDOUT_FILENO) == 0 ? 0 : 1;
    }
    /* The transports have returned (stdin closed, or SIGTERM drained the
     * HTTP calls): no call can use the monitor any more. */
    watch_shutdown();
out:
    memory_engine_free(mem);
    for (size_t i = 0; stores && i < n_stores; i++) store_close(stores[i]);
    free(stores);
    settings_free(cfg);
    return rc;
}

static char *read_all(FILE *f) {
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    while (buf) {
        size_t n = fread(buf + len, 1, cap - len - 1, f);
        len += n;
        if (n == 0) break;
        if (cap - len < 2) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) { free(buf); return NULL; }
            buf = nb;
            cap *= 2;
        }
    }
    if (buf) buf[len] = '\0';
    return buf;
}

static int cmd_call(cli_args *a) {
    if (a->n_positional != 3) {
        fprintf(stderr, "Usage: ltmc call TOOL JSON (see ltmc call --help)\n");
        return EXIT_USAGE;
    }
    const char *tool = a->positional[1];
    char *stdin_text = NULL;
    const char *args_text = a->positional[2];
    if (strcmp(args_text, "-") == 0) {
        stdin_text = read_all(stdin);
        if (!stdin_text) { fprintf(stderr, "ltmc: cannot read arguments from stdin\n"); return 1; }
        args_text = stdin_text;
    }
    char why[256];
    json_t *args = jx_parse(args_text, strlen(args_text), why, sizeof why);
    free(stdin_text);
    if (!args) {
        fprintf(stderr, "ltmc: the arguments are not valid JSON: %s\n", why);
        return EXIT_USAGE;
    }
    lt_err err;
    settings *cfg = load_settings(a, NULL, &err);
    if (!cfg) {
        fprintf(stderr, "ltmc: configuration error: %s\n", err.msg);
        json_decref(args);
        return 1;
    }
    store *st = open_store(cfg, &err);
    if (!st) {
        fprintf(stderr, "ltmc: %s\n", err.msg);
        settings_free(cfg);
        json_decref(args);
        return 1;
    }
    char fallback[8 * PATH_MAX];
    memory_engine *mem = open_memory(cfg, fallback, sizeof fallback, &err);
    if (!mem) {
        fprintf(stderr, "ltmc: %s\n", err.msg);
        store_close(st);
        settings_free(cfg);
        json_decref(args);
        return 1;
    }
    if (fallback[0]) LOG_W("%s", fallback);
    /* The same request a client would send, through the same parser and handler. */
    json_t *req = json_pack("{s:s, s:i, s:s, s:{s:s, s:o}}", "jsonrpc", "2.0", "id", 1, "method", "tools/call",
                            "params", "name", tool, "arguments", args);
    char *line = jx_dump(req);
    json_decref(req);
    mcp_session *session = mcp_session_new(cfg, mem);
    json_t *reply = NULL;
    mcp_msg *m = mcp_parse(line, strlen(line), &reply);
    free(line);
    if (m) {
        reply = mcp_handle(session, st, m);
        mcp_msg_free(m);
    }
    int rc;
    json_t *result = json_object_get(reply, "result");
    if (result) {
        json_t *sc = json_object_get(result, "structuredContent");
        char *out = a->compact ? jx_dump(sc) : jx_dump_pretty(sc);
        printf("%s\n", out ? out : "null");
        free(out);
        rc = json_is_true(json_object_get(result, "isError")) ? 1 : 0;
    } else {
        const char *msg = jx_str(json_object_get(reply, "error"), "message");
        fprintf(stderr, "ltmc: %s\n", msg ? msg : "no reply");
        rc = EXIT_USAGE;
    }
    json_decref(reply);
    mcp_session_free(session);
    watch_shutdown(); /* a one-shot `call sync_action monitor` ends with the process */
    memory_engine_free(mem);
    store_close(st);
    settings_free(cfg);
    return rc;
}

/* Re-chunks and re-embeds every memory (all projects) with the configured
 * embedder and chunk sizes, printing progress to stderr. */
static int cmd_reembed(cli_args *a) {
    lt_err err;
    settings *cfg = load_settings(a, NULL, &err);
    if (!cfg) {
        fprintf(stderr, "ltmc: configuration error: %s\n", err.msg);
        return 1;
    }
    store *st = open_store(cfg, &err);
    char fallback[8 * PATH_MAX];
    memory_engine *mem = st ? open_memory(cfg, fallback, sizeof fallback, &err) : NULL;
    if (!mem) {
        fprintf(stderr, "ltmc: %s\n", err.msg);
        store_close(st);
        settings_free(cfg);
        return 1;
    }
    if (fallback[0]) LOG_W("%s", fallback);
    int64_t *ids = NULL;
    size_t n = 0, cap = 0;
    store_stmt *s = store_prepare(st, "SELECT id FROM memories ORDER BY id", &err);
    int rc = s ? 0 : -1;
    while (s && (rc = store_step(s, &err)) == 1) {
        if (n == cap) {
            cap = cap ? cap * 2 : 1024;
            int64_t *grown = realloc(ids, cap * sizeof *ids);
            if (!grown) { rc = lt_err_set(&err, LT_ERR_INTERNAL, "out of memory"); store_reset(s); break; }
            ids = grown;
        }
        ids[n++] = store_col_int(s, 0);
    }
    const char *model = embedder_model_id(memory_engine_embedder(mem));
    fprintf(stderr, "reembed: %zu memories with %s\n", n, model);
    uint64_t last = clock_mono_ns();
    size_t done = 0;
    for (size_t i = 0; rc >= 0 && i < n; i++) {
        if (memory_reindex(mem, st, ids[i], &err) != 0) {
            if (err.code == LT_ERR_NOT_FOUND) continue; /* deleted meanwhile by another process */
            rc = -1;
            break;
        }
        done++;
        if (clock_mono_ns() - last > 1000000000ull || i + 1 == n) {
            fprintf(stderr, "reembed: %zu/%zu (%.0f%%)\n", i + 1, n, 100.0 * (double)(i + 1) / (double)n);
            last = clock_mono_ns();
        }
    }
    free(ids);
    if (rc < 0) fprintf(stderr, "ltmc: reembed stopped: %s\n", err.msg);
    else fprintf(stderr, "reembed: done, %zu memories now use %s\n", done, model);
    memory_engine_free(mem);
    store_close(st);
    settings_free(cfg);
    return rc < 0 ? 1 : 0;
}

static int failures;

static void report(const char *status, const char *what, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void report(const char *status, const char *what, const char *fmt, ...) {
    char detail[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    printf("  [%-4s] %-18s %s\n", status, what, detail);
    if (strcmp(status, "FAIL") == 0) failures++;
}

static int cmd_doctor(cli_args *a) {
    printf("ltmc %s doctor\n", LTMC_VERSION);
    failures = 0;
    lt_err err;
    json_t *warnings = json_array();
    settings *cfg = load_settings(a, warnings, &err);
    if (!cfg) {
        report("FAIL", "configuration", "%s", err.msg);
        json_decref(warnings);
        printf("\n1 problem found.\n");
        return 1;
    }
    report("ok", "configuration", "%s", settings_config_file(cfg) ? settings_config_file(cfg)
                                                                 : "built-in defaults (no config file)");
    size_t i;
    json_t *w;
    json_array_foreach(warnings, i, w) report("warn", "configuration", "%s", json_string_value(w));
    json_decref(warnings);

    const char *dir = settings_str(cfg, SET_DATA_DIR);
    if (make_dirs(dir, true, &err) != 0) report("FAIL", "data directory", "%s", err.msg);
    else if (access(dir, W_OK) != 0) report("FAIL", "data directory", "%s is not writable: %s", dir, strerror(errno));
    else report("ok", "data directory", "%s (writable)", dir);

    store *st = open_store(cfg, &err);
    if (!st) {
        report("FAIL", "database", "%s", err.msg);
    } else {
        json_t *info = store_info(st);
        report("ok", "database", "%s (SQLite %s, journal %s, schema v%d of %d, %lld KiB)", store_path(st),
               jx_str(info, "sqlite_version"), jx_str(info, "journal_mode"), store_schema_version(st),
               store_latest_schema_version(), (long long)(jx_int(info, "size_bytes", 0) / 1024));
        const char *jm = jx_str(info, "journal_mode");
        /* An in-memory database is private to its process and cannot use WAL. */
        if ((!jm || strcmp(jm, "wal") != 0) && strcmp(store_path(st), ":memory:") != 0)
            report("FAIL", "journal mode", "%s instead of wal: concurrent processes would block", jm ? jm : "?");
        if (store_check_integrity(st, true, &err) == 0) report("ok", "integrity", "PRAGMA integrity_check: ok");
        else report("FAIL", "integrity", "%s", err.msg);
        if (jx_bool(info, "fts5", false)) report("ok", "full-text search", "FTS5 available");
        else report("FAIL", "full-text search", "this SQLite lacks FTS5, which memory search needs");
        json_decref(info);
        char fallback[8 * PATH_MAX];
        memory_engine *mem = open_memory(cfg, fallback, sizeof fallback, &err);
        if (!mem) {
            report("FAIL", "embeddings", "%s", err.msg);
        } else {
            json_t *ei = embedder_info(memory_engine_embedder(mem));
            if (fallback[0]) report("warn", "embeddings", "%s", fallback);
            report("ok", "embeddings", "%s backend, model %s, %lld dimensions%s%s", jx_str(ei, "backend"),
                   jx_str(ei, "model_id"), (long long)jx_int(ei, "dimensions", 0), jx_str(ei, "path") ? ", " : "",
                   jx_str(ei, "path") ? jx_str(ei, "path") : "");
            json_decref(ei);
            json_t *ms = memory_stats(mem, st);
            long long total = jx_int(ms, "vectors_total", 0), current = jx_int(ms, "vectors_current_model", 0);
            report("ok", "memories", "%lld memories, %lld chunks", (long long)jx_int(ms, "memories", 0),
                   (long long)jx_int(ms, "chunks", 0));
            if (total > current)
                report("warn", "vectors", "%lld of %lld vectors come from another embedding model and are not "
                       "searched by meaning; run `ltmc reembed`", total - current, total);
            json_decref(ms);
            memory_engine_free(mem);
        }
        store_close(st);
    }
    size_t n;
    tools_all(&n);
    report("ok", "tools", "%zu tools offered", n);
    settings_free(cfg);
    if (failures) printf("\n%d problem%s found.\n", failures, failures == 1 ? "" : "s");
    else printf("\nAll checks passed.\n");
    return failures ? 1 : 0;
}

int main(int argc, char **argv) {
    cli_args a;
    if (parse_args(argc, argv, &a) != 0) {
        free_args(&a);
        return EXIT_USAGE;
    }
    int rc;
    const char *cmd = a.n_positional ? a.positional[0] : NULL;
    if (!cmd) {
        usage(a.help ? stdout : stderr);
        rc = a.help ? 0 : EXIT_USAGE;
    } else if (strcmp(cmd, "help") == 0) {
        if (a.n_positional > 1) command_help(a.positional[1]);
        else usage(stdout);
        rc = 0;
    } else if (a.help) {
        command_help(cmd);
        rc = 0;
    } else if (strcmp(cmd, "serve") == 0) {
        rc = cmd_serve(&a);
    } else if (strcmp(cmd, "call") == 0) {
        rc = cmd_call(&a);
    } else if (strcmp(cmd, "doctor") == 0) {
        rc = cmd_doctor(&a);
    } else if (strcmp(cmd, "reembed") == 0) {
        rc = cmd_reembed(&a);
    } else if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        printf("ltmc %s\n", LTMC_VERSION);
        rc = 0;
    } else {
        fprintf(stderr, "ltmc: unknown command '%s'\n\n", cmd);
        usage(stderr);
        rc = EXIT_USAGE;
    }
    free_args(&a);
    return rc;
}
