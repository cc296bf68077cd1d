/* main.c - the ltmc command line: serve, call, doctor, version.
 *
 * Every command reads the configuration the same way (defaults < config file
 * < environment < flags) and opens the store the same way; `call` goes
 * through the very request path that tools/call uses. */
#include "core/jsonx.h"
#include "core/log.h"
#include "core/settings.h"
#include "protocol/mcp.h"
#include "store/store.h"
#include "tools/tool.h"
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
            "  serve              serve MCP over stdin/stdout (what an MCP client starts)\n"
            "  call TOOL JSON     run one tool action and print its result, e.g.\n"
            "                     ltmc call todo_action '{\"action\":\"list\"}'\n"
            "  doctor             check configuration, data directory and database\n"
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
               "  claude mcp add ltmc -- %s serve\n",
               "/path/to/ltmc");
    } else if (strcmp(cmd, "call") == 0) {
        printf("Usage: ltmc call TOOL JSON [--compact] [options]\n\n"
               "Runs one tool action through the same path as an MCP tools/call and prints the result object\n"
               "as JSON. JSON is the tool's arguments (use - to read them from stdin). Exit status: 0 success,\n"
               "1 when the action reports an error, 2 for a usage or protocol error.\n\nTools:\n");
        size_t n;
        const tool_def *const *tools = tools_all(&n);
        for (size_t i = 0; i < n; i++) {
            printf("  %-16s", tools[i]->name);
            for (const action_def *a = tools[i]->actions; a->name; a++)
                printf("%s%s", a == tools[i]->actions ? "" : ", ", a->name);
            printf("\n");
        }
    } else if (strcmp(cmd, "doctor") == 0) {
        printf("Usage: ltmc doctor [options]\n\n"
               "Checks the configuration, the data directory, the database (integrity and schema) and optional\n"
               "components, prints a report, and exits 1 when something is wrong.\n");
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
    store *st = open_store(cfg, &err);
    if (!st) {
        fprintf(stderr, "ltmc: %s\n", err.msg);
        settings_free(cfg);
        return 1;
    }
    LOG_I("ltmc %s serving MCP on stdio; database %s, project %s", LTMC_VERSION, store_path(st),
          settings_str(cfg, SET_PROJECT));
    int rc = stdio_serve(cfg, st, STDIN_FILENO, STDOUT_FILENO);
    store_close(st);
    settings_free(cfg);
    return rc == 0 ? 0 : 1;
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
    /* The same request a client would send, through the same parser and handler. */
    json_t *req = json_pack("{s:s, s:i, s:s, s:{s:s, s:o}}", "jsonrpc", "2.0", "id", 1, "method", "tools/call",
                            "params", "name", tool, "arguments", args);
    char *line = jx_dump(req);
    json_decref(req);
    mcp_session *session = mcp_session_new(cfg);
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
    store_close(st);
    settings_free(cfg);
    return rc;
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
        else report("warn", "full-text search", "this SQLite lacks FTS5");
        json_decref(info);
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
