/* unix_action: read-only file tools confined to the project roots (original
 * LTMC §6.4). Every path goes through fs/paths; external programs (ripgrep,
 * tree, jq, man) run through fs/runner with an argument vector, a clean
 * environment, a timeout and an output cap; where a program is absent the
 * built-in C code runs instead, and every result says which ran in `tool`.
 * (ripgrep, fd, tree, jq, man, lsd or exa, bat, fzf and duf; Debian names fd's binary
 * fdfind and bat's batcat.) */
#include "tool.h"

#include "../core/jsonx.h"
#include "../core/sbuf.h"
#include "../code/code.h"
#include "../fs/paths.h"
#include "../fs/runner.h"
#include "highlight.h"

#include <assert.h>
#include <ctype.h>
#include <dirent.h>
#include <fnmatch.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#define MAX_MATCHES 1000
#define MAX_WALK 100000
#define MAX_DIFF_LINES 3000

static const char *roots(const tool_ctx *ctx) { return settings_str(ctx->cfg, SET_PROJECT_ROOTS); }

static size_t out_cap(const tool_ctx *ctx) { return (size_t)settings_int(ctx->cfg, SET_UNIX_OUTPUT_MAX_BYTES); }

static runner_opts run_opts(const tool_ctx *ctx, const char *cwd) {
    runner_opts o = {settings_str(ctx->cfg, SET_UNIX_TOOL_PATH), settings_str(ctx->cfg, SET_UNIX_TOOLS_DISABLED), cwd,
                     NULL, 0, (int)settings_int(ctx->cfg, SET_UNIX_TIMEOUT_MS), out_cap(ctx)};
    return o;
}

static bool have(const tool_ctx *ctx, const char *name) {
    runner_opts o = run_opts(ctx, NULL);
    char p[PATH_MAX];
    return runner_which(&o, name, p) == 0;
}

/* abs relative to its root, for display ("." for the root itself). */
static const char *rel(const tool_ctx *ctx, const char *abs) {
    char root[PATH_MAX];
    if (paths_root_of(roots(ctx), abs, root) != 0) return abs;
    size_t n = strlen(root);
    if (n == 1) return abs + 1;
    if (abs[n] == '\0') return ".";
    return abs + n + 1;
}

static int run_checked(const tool_ctx *ctx, const char *cwd, const char *const *argv, const char *input,
                       size_t input_len, runner_result *r, lt_err *err) {
    runner_opts o = run_opts(ctx, cwd);
    o.input = input;
    o.input_len = input_len;
    if (runner_run(&o, argv, r, err)) return -1;
    if (r->timed_out) {
        runner_result_free(r);
        return lt_err_set(err, LT_ERR_TIMEOUT, "%s timed out after %d ms", argv[0], o.timeout_ms);
    }
    return 0;
}

static int name_cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Sorted entry names of dir (without . and ..); caller frees each and the array. */
static char **list_dir(const char *dir, size_t *n) {
    *n = 0;
    DIR *d = opendir(dir);
    if (!d) return NULL;
    size_t cap = 64;
    char **names = malloc(cap * sizeof *names);
    struct dirent *e;
    while ((e = readdir(d)) && *n < MAX_WALK) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        if (*n == cap) names = realloc(names, (cap *= 2) * sizeof *names);
        names[(*n)++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, *n, sizeof *names, name_cmp);
    return names;
}

static void free_names(char **names, size_t n) {
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
}

/* ---- ls ---- */

static int unix_ls(tool_ctx *ctx, const json_t *args, json_t *out, lt_err *err) {
    char dir[PATH_MAX];
    if (paths_resolve(roots(ctx), jx_str(args, "path"), PATHS_DIR, dir, err)) return -1;
    bool all = jx_bool(args, "all", false), lng = jx_bool(args, "long", false);
    size_t n;
    char **names = list_dir(dir, &n);
    json_t *files = json_array();
    size_t raw_len = 0, raw_cap = 4096;
    char *raw = malloc(raw_cap);
    raw[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (!all && names[i][0] == '.') continue;
        char line[PATH_MAX + 64];
        if (lng) {
            char child[PATH_MAX * 2];
            snprintf(child, sizeof child, "%s/%s", dir, names[i]);
            struct stat st;
            char kind = '?';
            long long size = 0;
            if (lstat(child, &st) == 0) {
                kind = S_ISDIR(st.st_mode) ? 'd' : S_ISLNK(st.st_mode) ? 'l' : S_ISREG(st.st_mode) ? '-' : '?';
                size = (long long)st.st_size;
            }
            snprintf(line, sizeof line, "%c %12lld %s", kind, size, names[i]);
        } else {
            snprintf(line, sizeof line, "%s", names[i]);
        }
        json_array_append_new(files, json_string(line));
        size_t ln = strlen(line);
        if (raw_len + ln + 2 > raw_cap) raw = realloc(raw, raw_cap = (raw_cap + ln + 2) * 2);
        memcpy(raw + raw_len, line, ln);
        raw_len += ln;
        raw[raw_len++] = '\n';
        raw[raw_len] = '\0';
    }
    free_names(names, n);
    jx_set_int(out, "count", (int64_t)json_array_size(files));
    json_object_set_new(out, "files", files);
    jx_set_str(out, "path", rel(ctx, dir));
    jx_set_str(out, "tool", "builtin");
    json_object_set_new(out, "raw_output", json_stringn(raw, raw_len));
    free(raw);
    return 0;
}

/* ---- cat ---- */

/* Reads at most cap bytes of a regular file; *truncated when more existed. */
static char *read_capped(const char *path, size_t cap, size_t *len, bool *truncated, lt_err *err) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        lt_err_set(err, LT_ERR_IO, "Cannot read file: %s", path);
        return NULL;
    }
    char *buf = malloc(cap + 1);
    *len = fread(buf, 1, cap, f);
    *truncated = fgetc(f) != EOF;
    fclose(f);
    buf[*len] = '\0';
    return buf;
}

static int unix_cat(tool_ctx *ctx, const json_t *args, json_t *out, lt_err *err) {
    char file[PATH_MAX];
    if (paths_resolve(roots(ctx), jx_str(args, "file_path"), PATHS_FILE, file, err)) return -1;
    size_t len;
    bool trunc;
    char *buf = read_capped(file, out_cap(ctx), &len, &trunc, err);
    if (!buf) return -1;
    if (memchr(buf, '\0', len)) {
        free(buf);
        return lt_err_set(err, LT_ERR_INVALID, "Binary file not shown: %s", jx_str(args, "file_path"));
    }
    jx_utf8_repair(buf);
    size_t lines = 0;
    for (size_t i = 0; i < len; i++) lines += buf[i] == '\n';
    if (len && buf[len - 1] != '\n') lines++;
    jx_set_str(out, "content", buf);
    jx_set_str(out, "file_path", rel(ctx, file));
    jx_set_int(out, "lines", (int64_t)lines);
    jx_set_bool(out, "truncated", trunc);
    jx_set_str(out, "tool", "builtin");
    free(buf);
    return 0;
}

/* ---- directory walk (grep, find, tree builtins): never follows symlinks ---- */

typedef int (*walk_fn)(const char *abs, const char *name, const struct stat *st, int depth, void *ctx);

static int walk(const char *dir, int depth, int max_depth, bool hidden, walk_fn fn, void *ctx, size_t *budget) {
    size_t n;
    char **names = list_dir(dir, &n);
    if (!names) return 0;
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        if (!hidden && names[i][0] == '.') continue;
        if (*budget == 0) break;
        (*budget)--;
        char child[PATH_MAX];
        if (snprintf(child, sizeof child, "%s/%s", strcmp(dir, "/") ? dir : "", names[i]) >= PATH_MAX) continue;
        struct stat st;
        if (lstat(child, &st) != 0) continue;
        rc = fn(child, names[i], &st, depth, ctx);
        if (rc == 1) { rc = 0; continue; } /* 1: do not descend */
        if (!rc && S_ISDIR(st.st_mode) && (max_depth <= 0 || depth < max_depth))
            rc = walk(child, depth + 1, max_depth, hidden, fn, ctx, budget);
    }
    free_names(names, n);
    return rc;
}

/* ---- grep ---- */

typedef struct {
    tool_ctx *ctx;
    regex_t re;
    json_t *matches;
} grep_ctx;

static void grep_file(grep_ctx *g, const char *abs) {
    size_t len;
    bool trunc;
    char *buf = read_capped(abs, 8u << 20, &len, &trunc, NULL);
    if (!buf) return;
    if (memchr(buf, '\0', len)) { free(buf); return; }
    char *p = buf;
    int64_t ln = 0;
    while (p < buf + len && json_array_size(g->matches) < MAX_MATCHES) {
        char *nl = memchr(p, '\n', (size_t)(buf + len - p));
        if (nl) *nl = '\0';
        ln++;
        if (regexec(&g->re, p, 0, NULL, 0) == 0) {
            char *line = strdup(p);
            jx_utf8_repair(line);
            json_array_append_new(g->matches, json_pack("{s:s, s:I, s:s}", "file", rel(g->ctx, abs), "line_number",
                                                        (json_int_t)ln, "content", line));
            free(line);
        }
        if (!nl) break;
        p = nl + 1;
    }
    free(buf);
}

static int grep_visit(const char *abs, const char *name, const struct stat *st, int depth, void *vctx) {
    (void)name, (void)depth;
    grep_ctx *g = vctx;
    if (S_ISREG(st->st_mode)) grep_file(g, abs);
    return json_array_size(g->matches) >= MAX_MATCHES ? 2 : 0;
}

/* Parses rg's "file:line:content" lines (file names relative to cwd). */
static void parse_rg(tool_ctx *ctx, const char *cwd, const char *text, json_t *matches) {
    const char *p = text;
    while (*p && json_array_size(matches) < MAX_MATCHES) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        char *line = strndup(p, n);
        char *c1 = strchr(line, ':');
        char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (c1 && c2) {
            *c1 = *c2 = '\0';
            char abs[PATH_MAX * 2];
            snprintf(abs, sizeof abs, "%s/%s", cwd, line[0] == '.' && line[1] == '/' ? line + 2 : line);
            char *content = strdup(c2 + 1);
            jx_utf8_repair(content);
            json_array_append_new(matches, json_pack("{s:s, s:I, s:s}", "file", rel(ctx, abs), "line_number",
                                                     (json_int_t)atoll(c1 + 1), "content", content));
            free(content);
        }
        free(line);
        if (!nl) break;
        p = nl + 1;
    }
}

static int unix_grep(tool_ctx *ctx, const json_t *args, json_t *out, lt_err *err) {
    const char *pattern = jx_str(args, "pattern");
    char target[PATH_MAX];
    if (paths_resolve(roots(ctx), jx_str(args, "path"), PATHS_ANY, target, err)) return -1;
    struct stat st;
    stat(target, &st);
    json_t *matches = json_array();
    const char *tool = "builtin";
    if (have(ctx, "rg")) {
        /* rg runs in the directory searched (or the file's directory) and
         * never follows symlinks (no -L), so it stays inside the roots; like
         * the built-in it skips hidden entries and applies no .gitignore. */
        char cwd[PATH_MAX];
        snprintf(cwd, sizeof cwd, "%s", target);
        const char *what = ".";
        if (!S_ISDIR(st.st_mode)) {
            char *slash = strrchr(cwd, '/');
            what = target + (slash - cwd) + 1;
            if (slash == cwd) cwd[1] = '\0'; else *slash = '\0';
        }
        const char *argv[] = {"rg", "--color=never", "--line-number", "--with-filename", "--no-heading",
                              "--no-config", "--no-ignore", "--max-count", "1000", "-e", pattern, "--", what, NULL};
        runner_result r;
        if (run_checked(ctx, cwd, argv, NULL, 0, &r, err)) { json_decref(matches); return -1; }
        if (r.exit_code > 1) {
            lt_err_set(err, LT_ERR_INVALID, "rg failed: %.300s", r.err);
            runner_result_free(&r);
            json_decref(matches);
            return -1;
        }
        parse_rg(ctx, cwd, r.out, matches);
        runner_result_free(&r);
        tool = "ripgrep";
    } else {
        grep_ctx g = {ctx, {0}, matches};
        int rc = regcomp(&g.re, pattern, REG_EXTENDED | REG_NOSUB);
        if (rc) {
            char why[128];
            regerror(rc, &g.re, why, sizeof why);
            json_decref(matches);
            return lt_err_set(err, LT_ERR_INVALID, "Invalid pattern: %s", why);
        }
        size_t budget = MAX_WALK;
        if (S_ISDIR(st.st_mode)) walk(target, 1, 0, false, grep_visit, &g, &budget);
        else grep_file(&g, target);
        regfree(&g.re);
    }
    jx_set_int(out, "count", (int64_t)json_array_size(matches));
    json_object_set_new(out, "matches", matches);
    jx_set_bool(out, "truncated", json_array_size(matches) >= MAX_MATCHES);
    jx_set_str(out, "pattern", pattern);
    jx_set_str(out, "path", rel(ctx, target));
    jx_set_str(out, "tool", tool);
    return 0;
}

/* ---- find ---- */

typedef struct {
    tool_ctx *ctx;
    const char *pattern, *type, *ext;
    bool glob;
    json_t *found;
} find_ctx;

static int find_visit(const char *abs, const char *name, const struct stat *st, int depth, void *vctx) {
    (void)depth;
    find_ctx *f = vctx;
    if (f->type && !strcmp(f->type, "f") && !S_ISREG(st->st_mode)) return 0;
    if (f->type && !strcmp(f->type, "d") && !S_ISDIR(st->st_mode)) return 0;
    if (f->ext) {
        const char *dot = strrchr(name, '.');
        if (!dot || strcmp(dot + 1, f->ext[0] == '.' ? f->ext + 1 : f->ext)) return 0;
    }
    bool hit = f->glob ? fnmatch(f->pattern, name, 0) == 0 : strstr(name, f->pattern) != NULL;
    if (hit) json_array_append_new(f->found, json_string(rel(f->ctx, abs)));
    return json_array_size(f->found) >= MAX_MATCHES ? 2 : 0;
}

static int unix_find(tool_ctx *ctx, const json_t *args, json_t *out, lt_err *err) {
    char dir[PATH_MAX];
    if (paths_resolve(roots(ctx), jx_str(args, "path"), PATHS_DIR, dir, err)) return -1;
    const char *pattern = jx_str(args, "pattern");
    find_ctx f = {ctx, pattern, jx_str(args, "type_filter"), jx_str(args, "extension"), strpbrk(pattern, "*?[") != NULL,
                  json_array()};
    const char *tool = "builtin";
    if (have(ctx, "fdfind")) {
        /* fd from its directory: no .gitignore rules (the built-in has none),
         * hidden entries skipped and symlinks not followed, as built-in. */
        char depth[16];
        snprintf(depth, sizeof depth, "%lld", (long long)jx_int(args, "max_depth", 0));
        const char *argv[20] = {"fdfind", "--color=never", "--no-ignore"};
        int a = 3;
        if (f.type) { argv[a++] = "--type"; argv[a++] = f.type; }
        if (f.ext) { argv[a++] = "--extension"; argv[a++] = f.ext[0] == '.' ? f.ext + 1 : f.ext; }
        if (jx_int(args, "max_depth", 0) > 0) { argv[a++] = "--max-depth"; argv[a++] = depth; }
        argv[a++] = f.glob ? "--glob" : "--fixed-strings";
        argv[a++] = "--";
        argv[a++] = pattern;
        argv[a++] = ".";
        argv[a] = NULL;
        runner_result r;
        if (run_checked(ctx, dir, argv, NULL, 0, &r, err)) { json_decref(f.found); return -1; }
        if (r.exit_code != 0) {
            lt_err_set(err, LT_ERR_INVALID, "fd failed: %.300s", r.err);
            runner_result_free(&r);
            json_decref(f.found);
            return -1;
        }
        for (char *line = r.out; *line && json_array_size(f.found) < MAX_MATCHES;) {
            char *nl = strchr(line, '\n');
            if (nl) *nl = '\0';
            char *name = line[0] == '.' && line[1] == '/' ? line + 2 : line;
            size_t n = strlen(name);
            if (n && name[n - 1] == '/') name[--n] = '\0';
            if (n) {
                char abs[PATH_MAX * 2];
                snprintf(abs, sizeof abs, "%s/%s", dir, name);
                jx_utf8_repair(abs);
                json_array_append_new(f.found, json_string(rel(ctx, abs)));
            }
            if (!nl) break;
            line = nl + 1;
        }
        runner_result_free(&r);
        tool = "fd";
    } else {
        size_t budget = MAX_WALK;
        walk(dir, 1, (int)jx_int(args, "max_depth", 0), false, find_visit, &f, &budget);
    }
    /* One order whichever ran. */
    size_t n = json_array_size(f.found);
    const char **names = malloc((n + 1) * sizeof *names);
    for (size_t i = 0; i < n; i++) names[i] = json_string_value(json_array_get(f.found, i));
    qsort(names, n, sizeof *names, name_cmp);
    json_t *sorted = json_array();
    for (size_t i = 0; i < n; i++) json_array_append_new(sorted, json_string(names[i]));
    free(names);
    json_decref(f.found);
    jx_set_int(out, "count", (int64_t)n);
    json_object_set_new(out, "files_found", sorted);
    jx_set_str(out, "pattern", pattern);
    jx_set_str(out, "search_path", rel(ctx, dir));
    jx_set_str(out, "tool", tool);
    return 0;
}

/* ---- tree ---- */

typedef struct {
    sbuf text;
    int64_t dirs, files;
    bool dirs_only;
    char prefix[256][5];
} tree_ctx;

static void tree_put(tree_ctx *t, const char *s) { sbuf_str(&t->text, s); }

static void tree_dir(tree_ctx *t, const char *dir, int depth, int max_depth, bool hidden) {
    size_t n;
    char **names = list_dir(dir, &n);
    if (!names) return;
    size_t shown = 0, last = 0;
    for (size_t i = 0; i < n; i++) {
        if (!hidden && names[i][0] == '.') continue;
        char child[PATH_MAX];
        snprintf(child, sizeof child, "%s/%s", dir, names[i]);
        struct stat st;
        if (lstat(child, &st) != 0 || (t->dirs_only && !S_ISDIR(st.st_mode))) { free(names[i]); names[i] = NULL; continue; }
        last = i;
        shown++;
    }
    for (size_t i = 0; i < n && shown; i++) {
        if (!names[i] || (!hidden && names[i][0] == '.')) continue;
        char child[PATH_MAX];
        snprintf(child, sizeof child, "%s/%s", dir, names[i]);
        struct stat st;
        lstat(child, &st);
        for (int d = 0; d < depth && d < 256; d++) tree_put(t, t->prefix[d]);
        tree_put(t, i == last ? "`-- " : "|-- ");
        tree_put(t, names[i]);
        tree_put(t, "\n");
        if (S_ISDIR(st.st_mode)) {
            t->dirs++;
            if ((max_depth <= 0 || depth + 1 < max_depth) && depth < 255 && t->text.len < (16u << 20)) {
                snprintf(t->prefix[depth], 5, "%s", i == last ? "    " : "|   ");
                tree_dir(t, child, depth + 1, max_depth, hidden);
            }
        } else {
            t->files++;
        }
    }
    free_names(names, n);
}

static int unix_tree(tool_ctx *ctx, const json_t *args, json_t *out, lt_err *err) {
    char dir[PATH_MAX];
    if (paths_resolve(roots(ctx), jx_str(args, "path"), PATHS_DIR, dir, err)) return -1;
    int max_depth = (int)jx_int(args, "max_depth", 0);
    bool hidden = jx_bool(args, "show_hidden", false), dirs_only = jx_bool(args, "directories_only", false);
    const char *display = rel(ctx, dir);
    if (have(ctx, "tree")) {
        char depth[16];
        snprintf(depth, sizeof depth, "%d", max_depth);
        const char *argv[16] = {"tree", "--charset=ascii", "-n", "--noreport"};
        int a = 4;
        if (max_depth > 0) { argv[a++] = "-L"; argv[a++] = depth; }
        if (hidden) argv[a++] = "-a";
        if (dirs_only) argv[a++] = "-d";
        argv[a++] = "--";
        argv[a++] = display;
        argv[a] = NULL;
        char root[PATH_MAX];
        paths_root_of(roots(ctx), dir, root);
        runner_result r;
        if (run_checked(ctx, root, argv, NULL, 0, &r, err)) return -1;
        if (r.exit_code != 0) {
            lt_err_set(err, LT_ERR_IO, "tree failed: %.300s", r.err);
            runner_result_free(&r);
            return -1;
        }
        /* Counts from the listing itself (--noreport): directories end in no
         * marker with -n, so count entries by stat of the walk instead. */
        /* tree prints "name -> target" for symlinks; a target outside the
         * roots is not ours to show, so every " -> ..." is cut. */
        char *w = r.out;
        for (char *line = r.out; *line;) {
            char *nl = strchr(line, '\n');
            size_t n = nl ? (size_t)(nl - line) + 1 : strlen(line);
            char *arrow = memmem(line, n, " -> ", 4);
            size_t keep = arrow ? (size_t)(arrow - line) : n - (nl ? 1 : 0);
            memmove(w, line, keep);
            w += keep;
            if (nl) *w++ = '\n';
            line += n;
        }
        *w = '\0';
        jx_utf8_repair(r.out);
        jx_set_str(out, "tree_output", r.out);
        runner_result_free(&r);
        jx_set_str(out, "tool", "tree");
    } else {
        jx_set_str(out, "tool", "builtin");
    }
    tree_ctx t = {{0}, 0, 0, dirs_only, {{0}}};
    tree_put(&t, display);
    tree_put(&t, "\n");
    tree_dir(&t, dir, 0, max_depth, hidden);
    char *text = sbuf_take(&t.text);
    if (!text) return lt_err_set(err, LT_ERR_INTERNAL, "out of memory listing the tree");
    if (!json_object_get(out, "tree_output")) {
        jx_utf8_repair(text);
        jx_set_str(out, "tree_output", text);
    }
    free(text);
    jx_set_str(out, "root_path", display);
    if (max_depth > 0) jx_set_int(out, "max_depth", max_depth); else jx_set_null(out, "max_depth");
    jx_set_int(out, "directory_count", t.dirs);
    jx_set_int(out, "file_count", t.files);
    return 0;
}

/* ---- jq ---- */

static bool has_word(const char *s, const char *w) {
    size_t n = strlen(w);
    for (const char *p = strstr(s, w); p; p = strstr(p + 1, w)) {
        bool left = p == s || !(isalnum((unsigned char)p[-1]) || p[-1] == '_' || p[-1] == '$');
        bool right = !(isalnum((unsigned char)p[n]) || p[n] == '_');
        if (left && right) return true;
    }
    return false;
}

static int unix_jq(tool_ctx *ctx, const json_t *args, json_t *out, lt_err *err) {
    const char *query = jx_str(args, "query"), *input = jx_str(args, "json_input"), *fp = jx_str(args, "file_path");
    if (!input && !fp) return lt_err_set(err, LT_ERR_INVALID, "Missing required parameter: json_input or file_path");
    /* Modules are files jq would read from outside the roots. */
    if (has_word(query, "import") || has_word(query, "include") || has_word(query, "input_filename"))
        return lt_err_set(err, LT_ERR_INVALID, "jq modules (import, include) are not allowed");
    char file[PATH_MAX];
    if (fp && paths_resolve(roots(ctx), fp, PATHS_FILE, file, err)) return -1;
    if (!have(ctx, "jq"))
        return lt_err_set(err, LT_ERR_NOT_FOUND,
                          "jq is not available (not in unix_tool_path, or listed in unix_tools_disabled)");
    const char *argv[8] = {"jq", "-M"};
    int a = 2;
    if (jx_bool(args, "raw_output", true)) argv[a++] = "--raw-output";
    /* jq 1.6 has no "--": a leading space keeps a filter like "-1" from
     * being read as an option (and means the same filter). */
    char *q = malloc(strlen(query) + 2);
    sprintf(q, "%s%s", query[0] == '-' ? " " : "", query);
    argv[a++] = q;
    if (fp) argv[a++] = file;
    argv[a] = NULL;
    runner_result r;
    int rc = run_checked(ctx, NULL, argv, fp ? NULL : input, fp ? 0 : strlen(input), &r, err);
    free(q);
    if (rc) return -1;
    if (r.exit_code != 0) {
        lt_err_set(err, LT_ERR_INVALID, "jq failed: %.400s", r.err);
        runner_result_free(&r);
        return -1;
    }
    while (r.out_len && isspace((unsigned char)r.out[r.out_len - 1])) r.out[--r.out_len] = '\0';
    jx_utf8_repair(r.out);
    jx_set_str(out, "result", r.out);
    jx_set_bool(out, "truncated", r.out_truncated);
    jx_set_str(out, "query", query);
    jx_set_real(out, "execution_time_ms", r.elapsed_ms);
    jx_set_str(out, "tool", "jq");
    runner_result_free(&r);
    return 0;
}

/* ---- disk_usage ---- */

static void human(char *buf, size_t len, double bytes) {
    const char *u[] = {"B", "K", "M", "G", "T", "P"};
    int i = 0;
    while (bytes >= 1024 && i < 5) { bytes /= 1024; i++; }
    snprintf(buf, len, "%.1f%s", bytes, u[i]);
}

/* The mount point holding abs: the highest ancestor on the same device. */
static void mount_point_of(const char *abs, char mp[PATH_MAX]) {
    struct stat st, up;
    snprintf(mp, PATH_MAX, "%s", abs);
    if (stat(abs, &st) != 0) return;
    while (strcmp(mp, "/") != 0) {
        char parent[PATH_MAX];
        memcpy(parent, mp, strlen(mp) + 1);
        char *slash = strrchr(parent, '/');
        if (!slash) return;
        slash[slash == parent ? 1 : 0] = '\0';
        if (stat(parent, &up) != 0 || up.st_dev != st.st_dev) return;
        memcpy(mp, parent, strlen(parent) + 1);
    }
}

static void disk_usage_builtin(tool_ctx *ctx, const char *dir, const char *mp, const char *fmt, const struct statvfs *v,
                               json_t *out) {
    double total = (double)v->f_blocks * v->f_frsize, avail = (double)v->f_bavail * v->f_frsize,
           used = total - (double)v->f_bfree * v->f_frsize;
    jx_set_str(out, "tool", "builtin");
    if (!strcmp(fmt, "json")) {
        json_object_set_new(out, "disk_info",
                            json_pack("[{s:s, s:s, s:f, s:f, s:f}]", "path", rel(ctx, dir), "mount_point", mp, "size",
                                      total, "used", used, "avail", avail));
        jx_set_real(out, "total_size", total);
        jx_set_real(out, "available_space", avail);
    } else {
        char t[32], u[32], a[32], line[2 * PATH_MAX + 128];
        human(t, sizeof t, total), human(u, sizeof u, used), human(a, sizeof a, avail);
        snprintf(line, sizeof line, "%-10s %-10s %-10s %-20s %s\n%-10s %-10s %-10s %-20s %s\n", "Size", "Used", "Avail",
                 "Mounted on", "Path", t, u, a, mp, rel(ctx, dir));
        jx_set_str(out, "output", line);
    }
}

/* duf --json lists every mount whatever it is asked, so the entry for the
 * path's own mount point is picked out of it. Returns 0 when duf ran and
 * the result is filled; -1 to fall back to the built-in. */
static int disk_usage_duf(tool_ctx *ctx, const char *dir, const char *mp, const char *fmt, json_t *out) {
    runner_result r;
    if (!strcmp(fmt, "json")) {
        const char *argv[] = {"duf", "-json", NULL};
        if (run_checked(ctx, NULL, argv, NULL, 0, &r, NULL)) return -1;
        json_t *all = r.exit_code == 0 && !r.out_truncated ? jx_parse(r.out, r.out_len, NULL, 0) : NULL;
        runner_result_free(&r);
        json_t *hit = NULL;
        size_t i;
        json_t *e;
        json_array_foreach(all, i, e) {
            const char *m = json_string_value(json_object_get(e, "mount_point"));
            if (m && !strcmp(m, mp)) { hit = e; break; }
        }
        if (!hit) { json_decref(all); return -1; }
        json_t *info = json_deep_copy(hit);
        json_object_set_new(info, "path", json_string(rel(ctx, dir)));
        double total = json_number_value(json_object_get(hit, "total")),
               avail = json_number_value(json_object_get(hit, "free"));
        json_object_set_new(out, "disk_info", json_pack("[o]", info));
        jx_set_real(out, "total_size", total);
        jx_set_real(out, "available_space", avail);
        json_decref(all);
    } else {
        /* -only-mp takes wildcards; a mount point holding one cannot be named exactly. */
        if (strpbrk(mp, "*?[],")) return -1;
        const char *argv[] = {"duf", "-only-mp", mp, "-style", "ascii", NULL};
        if (run_checked(ctx, NULL, argv, NULL, 0, &r, NULL)) return -1;
        bool ok = r.exit_code == 0 && r.out_len > 0;
        if (ok) jx_set_str(out, "output", r.out);
        runner_result_free(&r);
        if (!ok) return -1;
    }
    jx_set_str(out, "tool", "duf");
    return 0;
}

static int unix_disk_usage(tool_ctx *ctx, const json_t *args, json_t *out, lt_err *err) {
    char dir[PATH_MAX], mp[PATH_MAX];
    if (paths_resolve(roots(ctx), jx_str(args, "path"), PATHS_ANY, dir, err)) return -1;
    struct statvfs v;
    if (statvfs(dir, &v) != 0) return lt_err_set(err, LT_ERR_IO, "Cannot read file system of %s", rel(ctx, dir));
    mount_point_of(dir, mp);
    const char *fmt = jx_str(args, "output_format");
    jx_set_str(out, "format", fmt);
    jx_set_str(out, "path", rel(ctx, dir));
    jx_set_str(out, "mount_point", mp);
    if (disk_usage_duf(ctx, dir, mp, fmt, out) != 0) disk_usage_builtin(ctx, dir, mp, fmt, &v, out);
    return 0;
}

/* ---- diff_highlight: line LCS ---- */

typedef struct {
    char **lines;
    size_t n;
    char *buf;
} text_lines;

static int load_lines(tool_ctx *ctx, const char *path, text_lines *t, lt_err *err) {
    char abs[PATH_MAX];
    if (paths_resolve(roots(ctx), path, PATHS_FILE, abs, err)) return -1;
    size_t len;
    bool trunc;
    t->buf = read_capped(abs, 4u << 20, &len, &trunc, err);
    if (!t->buf) return -1;
    if (trunc || memchr(t->buf, '\0', len)) {
        free(t->buf);
        return lt_err_set(err, LT_ERR_INVALID, "File too large or binary for diff: %s", path);
    }
    jx_utf8_repair(t->buf);
    t->n = 0;
    t->lines = malloc((MAX_DIFF_LINES + 1) * sizeof *t->lines);
    char *p = t->buf;
    while (*p) {
        if (t->n >= MAX_DIFF_LINES) {
            free(t->buf), free(t->lines);
            return lt_err_set(err, LT_ERR_INVALID, "File has more than %d lines, too many to diff: %s",
                              MAX_DIFF_LINES, path);
        }
        t->lines[t->n++] = p;
        char *nl = strchr(p, '\n');
        if (!nl) break;
        *nl = '\0';
        p = nl + 1;
    }
    return 0;
}

static int unix_diff(tool_ctx *ctx, const json_t *args, json_t *out, lt_err *err) {
    text_lines a, b;
    if (load_lines(ctx, jx_str(args, "file1"), &a, err)) return -1;
    if (load_lines(ctx, jx_str(args, "file2"), &b, err)) { free(a.buf), free(a.lines); return -1; }
    size_t w = b.n + 1;
    unsigned short *L = calloc((a.n + 1) * w, sizeof *L);
    for (size_t i = a.n; i-- > 0;)
        for (size_t j = b.n; j-- > 0;)
            L[i * w + j] = !strcmp(a.lines[i], b.lines[j]) ? L[(i + 1) * w + j + 1] + 1
                           : L[(i + 1) * w + j] > L[i * w + j + 1] ? L[(i + 1) * w + j] : L[i * w + j + 1];
    bool numbers = jx_bool(args, "line_numbers", true);
    size_t cap = 4096, len = 0;
    char *o = malloc(cap);
    o[0] = '\0';
    int changes = 0;
    size_t i = 0, j = 0;
    char line[128];
#define EMIT(mark, text, num)                                                                            \
    do {                                                                                                 \
        if (numbers) snprintf(line, sizeof line, "%5zu %c ", (size_t)(num), mark);                       \
        else snprintf(line, sizeof line, "%c ", mark);                                                   \
        size_t need = strlen(line) + strlen(text) + 2;                                                   \
        if (len + need > cap) o = realloc(o, cap = (cap + need) * 2);                                    \
        len += (size_t)sprintf(o + len, "%s%s\n", line, text);                                           \
    } while (0)
    while (i < a.n || j < b.n) {
        if (i < a.n && j < b.n && !strcmp(a.lines[i], b.lines[j])) { EMIT(' ', a.lines[i], i + 1); i++, j++; }
        else if (i < a.n && (j == b.n || L[(i + 1) * w + j] >= L[i * w + j + 1])) { EMIT('-', a.lines[i], i + 1); i++, changes++; }
        else { EMIT('+', b.lines[j], j + 1); j++, changes++; }
    }
#undef EMIT
    jx_set_str(out, "diff_output", changes ? o : "No differences found");
    jx_set_str(out, "file1", jx_str(args, "file1"));
    jx_set_str(out, "file2", jx_str(args, "file2"));
    jx_set_bool(out, "changes_detected", changes > 0);
    jx_set_int(out, "lines_changed", changes);
    jx_set_str(out, "tool", "builtin");
    free(o), free(L), free(a.buf), free(a.lines), free(b.buf), free(b.lines);
    return 0;
}

/* ---- fuzzy_select: subsequence scoring ---- */

/* Score of query as a case-insensitive subsequence of s (higher is better),
 * or -1 when it is not one. Consecutive and word-start hits score more. */
static int fuzzy_score(const char *s, const char *q) {
    int score = 0, run = 0;
    const char *p = s;
    for (; *q; q++) {
        if (*q == ' ') continue;
        bool found = false;
        for (; *p; p++) {
            if (tolower((unsigned char)*p) == tolower((unsigned char)*q)) {
                bool start = p == s || !isalnum((unsigned char)p[-1]);
                score += 1 + (start ? 3 : 0) + run * 2;
                run++;
                p++;
                found = true;
                break;
            }
            run = 0;
        }
        if (!found) return -1;
    }
    return score * 100 / (int)(strlen(s) + 10);
}

typedef struct {
    const char *s;
    int score;
    size_t idx;
} scored;

static int scored_cmp(const void *x, const void *y) {
    const scored *a = x, *b = y;
    if (a->score != b->score) return b->score - a->score;
    return a->idx < b->idx ? -1 : 1;
}

/* fzf --filter prints the matching lines best first and exits 1 when none
 * match. Items travel NUL-separated (--read0/--print0) so an item may hold a
 * newline. fzf reports no scores, so ours are kept for the items it picks.
 * Returns the number of matches in order[], or -1 to fall back. */
static long fuzzy_fzf(tool_ctx *ctx, const json_t *list, const char *q, size_t *order) {
    size_t n = json_array_size(list), len = 0;
    for (size_t i = 0; i < n; i++) len += strlen(json_string_value(json_array_get(list, i))) + 1;
    char *in = malloc(len + 1), *p = in;
    for (size_t i = 0; i < n; i++) {
        const char *s = json_string_value(json_array_get(list, i));
        size_t k = strlen(s) + 1;
        memcpy(p, s, k), p += k;
    }
    const char *argv[] = {"fzf", "--filter", q, "--read0", "--print0", NULL};
    runner_result r;
    int rc = run_checked(ctx, NULL, argv, in, len, &r, NULL);
    free(in);
    if (rc) return -1;
    long m = -1;
    if ((r.exit_code == 0 || r.exit_code == 1) && !r.out_truncated) {
        m = 0;
        /* Map each printed item back to its first unused index. */
        bool *used = calloc(n + 1, 1);
        for (const char *o = r.out; o < r.out + r.out_len; o += strlen(o) + 1) {
            for (size_t i = 0; i < n; i++)
                if (!used[i] && !strcmp(json_string_value(json_array_get(list, i)), o)) {
                    used[i] = true;
                    order[m++] = i;
                    break;
                }
        }
        free(used);
    }
    runner_result_free(&r);
    return m;
}

static int unix_fuzzy(tool_ctx *ctx, const json_t *args, json_t *out, lt_err *err) {
    (void)err;
    json_t *list = json_object_get(args, "input_list");
    const char *q = jx_str(args, "query");
    size_t n = json_array_size(list), m = 0;
    scored *sc = malloc((n + 1) * sizeof *sc);
    size_t *order = malloc((n + 1) * sizeof *order);
    long fz = *q ? fuzzy_fzf(ctx, list, q, order) : -1;
    if (fz >= 0) {
        for (long k = 0; k < fz; k++) {
            const char *s = json_string_value(json_array_get(list, order[k]));
            int v = fuzzy_score(s, q); /* fzf's terms match in any order; ours may not */
            sc[m++] = (scored){s, v < 0 ? 0 : v, order[k]};
        }
    } else {
        for (size_t i = 0; i < n; i++) {
            const char *s = json_string_value(json_array_get(list, i));
            int v = fuzzy_score(s, q);
            if (v >= 0) sc[m++] = (scored){s, v, i};
        }
        qsort(sc, m, sizeof *sc, scored_cmp);
    }
    free(order);
    bool multi = jx_bool(args, "multi_select", false);
    json_t *sel = json_array(), *scores = json_array();
    for (size_t i = 0; i < m && (multi || i < 1); i++) {
        json_array_append_new(sel, json_string(sc[i].s));
        json_array_append_new(scores, json_integer(sc[i].score));
    }
    free(sc);
    json_object_set_new(out, "selected_items", sel);
    json_object_set_new(out, "scores", scores);
    jx_set_str(out, "query", q);
    jx_set_int(out, "total_items", (int64_t)n);
    jx_set_int(out, "matches", (int64_t)m);
    jx_set_str(out, "tool", fz >= 0 ? "fzf" : "builtin");
    return 0;
}

/* ---- parse_syntax and syntax_query: the code engine (tree-sitter) ----
 *
 * The extension table names a file's language; for the languages the code
 * engine parses (code.h), structure comes from the syntax tree, never from
 * line patterns. Other languages (json, yaml, markdown, shell, ...) get
 * their name and line count only. */

typedef struct {
    const char *ext, *lang;
    bool structured;
} lang_entry;

static const lang_entry langs[] = {
    {"py", "python", false},   {"js", "javascript", false}, {"mjs", "javascript", false}, {"cjs", "javascript", false},
    {"jsx", "javascript", false}, {"ts", "typescript", false}, {"tsx", "tsx", false},    {"json", "json", true},
    {"md", "markdown", false}, {"yml", "yaml", true},       {"yaml", "yaml", true},       {"xml", "xml", true},
    {"html", "html", true},    {"css", "css", false},       {"sql", "sql", false},        {"sh", "bash", false},
    {"bash", "bash", false},   {"c", "c", false},           {"h", "c", false},            {"go", "go", false},
    {"rs", "rust", false},     {"toml", "toml", true},      {NULL, NULL, false}};

static const lang_entry *lang_of_ext(const char *ext) {
    for (const lang_entry *l = langs; ext && l->ext; l++)
        if (!strcasecmp(l->ext, ext)) return l;
    return NULL;
}

/* The language to use: `want` unless "auto", else from fp's extension. */
static const char *pick_language(const char *want, const char *fp, const char **ext_out) {
    const char *slash = fp ? strrchr(fp, '/') : NULL, *ext = fp ? strrchr(slash ? slash : fp, '.') : NULL;
    if (ext_out) *ext_out = ext;
    if (want && strcmp(want, "auto")) {
        code_lang cl = code_lang_from_name(want);
        return cl != CODE_LANG_UNKNOWN ? code_lang_name(cl) : want;
    }
    const lang_entry *l = lang_of_ext(ext ? ext + 1 : NULL);
    return l ? l->lang : "text";
}

static json_t *func_entry(const code_func *f) {
    return json_pack("{s:s, s:s, s:s, s:i, s:i, s:s}", "type", f->is_method ? "method" : "function", "name", f->name,
                     "qualified_name", f->qualified_name ? f->qualified_name : f->name, "line_number", f->line,
                     "end_line", f->end_line, "signature", f->signature ? f->signature : f->name);
}

static json_t *class_entry(const code_class *c) {
    json_t *bases = json_array();
    for (size_t i = 0; i < c->nbases; i++) json_array_append_new(bases, json_string(c->bases[i]));
    return json_pack("{s:s, s:s, s:s, s:i, s:i, s:o}", "type", "class", "kind", c->kind ? c->kind : "class", "name",
                     c->name, "line_number", c->line, "end_line", c->end_line, "bases", bases);
}

static const char *const comment_kind_names[] = {"docstring", "inline", "block"};

/* Parses src as lang_name; NULL (no error) when the engine has no grammar for it. */
static code_file *parse_source(const char *lang_name, const char *src, lt_err *err, bool *failed) {
    *failed = false;
    code_lang cl = code_lang_from_name(lang_name);
    if (cl == CODE_LANG_UNKNOWN) return NULL;
    code_file *f = NULL;
    if (code_parse(src, strlen(src), cl, &f, err)) *failed = true;
    return f;
}

static int load_source(tool_ctx *ctx, const char *fp, char **text, char abs[PATH_MAX], lt_err *err) {
    if (paths_resolve(roots(ctx), fp, PATHS_FILE, abs, err)) return -1;
    size_t len;
    bool trunc;
    *text = read_capped(abs, out_cap(ctx), &len, &trunc, err);
    if (!*text) return -1;
    if (memchr(*text, '\0', len)) {
        free(*text);
        return lt_err_set(err, LT_ERR_INVALID, "Binary file: %s", fp);
    }
    if (trunc) {
        free(*text);
        return lt_err_set(err, LT_ERR_INVALID, "File is larger than unix_output_max_bytes (%zu): %s", out_cap(ctx), fp);
    }
    return 0;
}

static int unix_parse_syntax(tool_ctx *ctx, const json_t *args, json_t *out, lt_err *err) {
    const char *fp = jx_str(args, "file_path"), *content = jx_str(args, "content"), *want = jx_str(args, "language");
    if (!fp && !content) return lt_err_set(err, LT_ERR_INVALID, "Missing required parameter: file_path or content");
    char abs[PATH_MAX];
    char *text = NULL;
    if (fp && load_source(ctx, fp, &text, abs, err)) return -1;
    const char *src = text ? text : content, *ext;
    const char *lang = pick_language(want, fp, &ext);
    const lang_entry *known = NULL;
    for (const lang_entry *l = langs; l->ext; l++)
        if (!strcmp(l->lang, lang)) { known = l; break; }
    bool failed;
    code_file *f = parse_source(lang, src, err, &failed);
    if (failed) { free(text); return -1; }
    int64_t lines = 0;
    for (const char *p = src; *p; p++) lines += *p == '\n';
    if (*src && src[strlen(src) - 1] != '\n') lines++;
    bool parsed = f != NULL;
    json_t *el = json_pack("{s:s, s:b, s:b, s:b}", "language", lang, "has_extension", ext != NULL, "is_structured",
                           known ? known->structured : false, "structure_parsed", parsed);
    if (f) {
        json_t *funcs = json_array(), *classes = json_array(), *imports = json_array();
        for (size_t i = 0; i < f->nfuncs; i++) json_array_append_new(funcs, func_entry(&f->funcs[i]));
        for (size_t i = 0; i < f->nclasses; i++) json_array_append_new(classes, class_entry(&f->classes[i]));
        for (size_t i = 0; i < f->nimports; i++)
            json_array_append_new(imports, json_pack("{s:s, s:i, s:b}", "module", f->imports[i].module, "line_number",
                                                     f->imports[i].line, "is_local", f->imports[i].is_local));
        jx_set_int(el, "function_count", (int64_t)f->nfuncs);
        jx_set_int(el, "class_count", (int64_t)f->nclasses);
        jx_set_int(el, "import_count", (int64_t)f->nimports);
        jx_set_int(el, "comment_count", (int64_t)f->ncomments);
        jx_set_int(el, "complexity", f->complexity);
        jx_set_bool(el, "has_errors", f->has_errors);
        if (f->has_errors) jx_set_int(el, "error_line", f->error_line);
        json_object_set_new(el, "functions", funcs);
        json_object_set_new(el, "classes", classes);
        json_object_set_new(el, "imports", imports);
        code_file_free(f);
    }
    json_object_set_new(out, "syntax_elements", el);
    if (fp) {
        jx_set_str(out, "file_path", rel(ctx, abs));
        jx_set_str(out, "detected_language", lang);
        if (ext) jx_set_str(out, "file_extension", ext); else jx_set_null(out, "file_extension");
    } else {
        jx_set_str(out, "language", lang);
    }
    jx_set_int(out, "content_length", (int64_t)strlen(src));
    jx_set_int(out, "line_count", lines);
    jx_set_str(out, "tool", parsed ? "tree-sitter" : "builtin");
    free(text);
    return 0;
}

static int unix_syntax_query(tool_ctx *ctx, const json_t *args, json_t *out, lt_err *err) {
    const char *fp = jx_str(args, "file_path"), *want = jx_str(args, "language"), *qt = jx_str(args, "query_type");
    const char *name = jx_str(args, "name");
    char abs[PATH_MAX];
    char *text;
    if (load_source(ctx, fp, &text, abs, err)) return -1;
    const char *lang = pick_language(want, fp, NULL);
    bool failed;
    code_file *f = parse_source(lang, text, err, &failed);
    free(text);
    if (failed) return -1;
    if (!f) {
        const char *const *names = code_lang_names();
        char list[256] = "";
        for (size_t i = 0; names[i]; i++)
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "", names[i]);
        return lt_err_set(err, LT_ERR_INVALID, "syntax_query parses %s; %s is %s", list, fp, lang);
    }
    json_t *results = json_array();
    if (!strcmp(qt, "functions")) {
        for (size_t i = 0; i < f->nfuncs; i++)
            if (!name || !strcmp(name, f->funcs[i].name)) json_array_append_new(results, func_entry(&f->funcs[i]));
    } else if (!strcmp(qt, "classes")) {
        for (size_t i = 0; i < f->nclasses; i++)
            if (!name || !strcmp(name, f->classes[i].name))
                json_array_append_new(results, class_entry(&f->classes[i]));
    } else if (!strcmp(qt, "imports")) {
        for (size_t i = 0; i < f->nimports; i++)
            if (!name || !strcmp(name, f->imports[i].module))
                json_array_append_new(results,
                                      json_pack("{s:s, s:s, s:i, s:b}", "type", "import", "name", f->imports[i].module,
                                                "line_number", f->imports[i].line, "is_local", f->imports[i].is_local));
    } else {
        assert(!strcmp(qt, "comments"));
        for (size_t i = 0; i < f->ncomments; i++) {
            const code_comment *c = &f->comments[i];
            if (name && (!c->parent_name || strcmp(name, c->parent_name))) continue;
            json_t *e = json_pack("{s:s, s:s, s:i, s:i, s:s}", "type", "comment", "kind", comment_kind_names[c->kind],
                                  "line_number", c->line, "end_line", c->end_line, "text", c->text);
            if (c->parent_name) jx_set_str(e, "name", c->parent_name);
            json_array_append_new(results, e);
        }
    }
    jx_set_int(out, "count", (int64_t)json_array_size(results));
    json_object_set_new(out, "results", results);
    jx_set_str(out, "file_path", rel(ctx, abs));
    jx_set_str(out, "query_type", qt);
    jx_set_str(out, "language", lang);
    jx_set_bool(out, "has_errors", f->has_errors);
    jx_set_str(out, "tool", "tree-sitter");
    code_file_free(f);
    return 0;
}

/* ---- help ---- */

extern const tool_def unix_tool;

static int unix_help(tool_ctx *ctx, const json_t *args, json_t *out, lt_err *err) {
    const char *cmd = jx_str(args, "command");
    for (const char *p = cmd; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr("._+-", *p))
            return lt_err_set(err, LT_ERR_INVALID, "Invalid command name: %.80s", cmd);
    jx_set_str(out, "command", cmd);
    for (const action_def *a = unix_tool.actions; a->name; a++) {
        if (strcmp(a->name, cmd)) continue;
        jx_set_str(out, "help_content", a->desc);
        json_object_set_new(out, "examples", json_array());
        jx_set_str(out, "tool", "ltmc");
        return 0;
    }
    if (cmd[0] != '-' && have(ctx, "man")) {
        const char *argv[] = {"man", "-P", "cat", "--", cmd, NULL};
        runner_result r;
        if (run_checked(ctx, NULL, argv, NULL, 0, &r, err) == 0) {
            if (r.exit_code == 0 && r.out_len) {
                if (r.out_len > 8192) r.out[8192] = '\0';
                jx_utf8_repair(r.out);
                jx_set_str(out, "help_content", r.out);
                json_object_set_new(out, "examples", json_array());
                jx_set_str(out, "tool", "man");
                runner_result_free(&r);
                return 0;
            }
            runner_result_free(&r);
        }
        lt_err_clear(err);
    }
    char list[1024];
    size_t n = 0;
    for (const action_def *a = unix_tool.actions; a->name && n < sizeof list; a++)
        n += (size_t)snprintf(list + n, sizeof list - n, "%s%s", n ? ", " : "", a->name);
    char msg[1200];
    snprintf(msg, sizeof msg, "No manual page found for '%s'. unix_action actions: %s", cmd, list);
    jx_set_str(out, "help_content", msg);
    json_object_set_new(out, "examples", json_array());
    jx_set_str(out, "tool", "ltmc");
    return 0;
}

/* ---- list_modern: lsd (or exa), else a built-in listing ---- */

#define MODERN_TREE_DEPTH 3     /* tree view depth: a whole project tree would swamp the reply */
#define MODERN_MAX_ENTRIES 2000 /* entries shown, for the same reason */

/* The classify suffix of an entry: / directory, * executable, @ symlink,
 * | fifo, = socket (as ls -F). */
static const char *classify_suffix(const struct stat *st) {
    if (S_ISDIR(st->st_mode)) return "/";
    if (S_ISLNK(st->st_mode)) return "@";
    if (S_ISFIFO(st->st_mode)) return "|";
    if (S_ISSOCK(st->st_mode)) return "=";
    if (S_ISREG(st->st_mode) && (st->st_mode & 0111)) return "*";
    return "";
}

static void mode_string(mode_t m, char s[11]) {
    s[0] = S_ISDIR(m) ? 'd' : S_ISLNK(m) ? 'l' : S_ISFIFO(m) ? 'p' : S_ISSOCK(m) ? 's' : S_ISREG(m) ? '-' : '?';
    const char *rwx = "rwxrwxrwx";
    for (int i = 0; i < 9; i++) s[i + 1] = (m & (0400 >> i)) ? rwx[i] : '-';
    s[10] = '\0';
}

typedef struct {
    json_t *files;
    bool all, lng, classify;
    size_t budget;
} modern_ctx;

/* One line per entry of dir, indented by depth in tree view; recurses into
 * real directories (never symlinks) while depth allows. */
static void modern_dir(modern_ctx *m, const char *dir, int depth, int max_depth) {
    size_t n;
    char **names = list_dir(dir, &n);
    if (!names) return;
    for (size_t i = 0; i < n && m->budget; i++) {
        if (!m->all && names[i][0] == '.') continue;
        char child[PATH_MAX];
        if (snprintf(child, sizeof child, "%s/%s", strcmp(dir, "/") ? dir : "", names[i]) >= PATH_MAX) continue;
        struct stat st;
        if (lstat(child, &st) != 0) continue;
        m->budget--;
        char line[PATH_MAX + 128];
        int off = 0;
        for (int d = 0; d < depth; d++) off += snprintf(line + off, sizeof line - (size_t)off, "|   ");
        if (max_depth > 0) off += snprintf(line + off, sizeof line - (size_t)off, "|-- ");
        if (m->lng) {
            char mode[11], when[32];
            mode_string(st.st_mode, mode);
            struct tm tm;
            strftime(when, sizeof when, "%Y-%m-%d %H:%M", gmtime_r(&st.st_mtime, &tm));
            off += snprintf(line + off, sizeof line - (size_t)off, "%s %10lld %s ", mode, (long long)st.st_size, when);
        }
        snprintf(line + off, sizeof line - (size_t)off, "%s%s", names[i], m->classify ? classify_suffix(&st) : "");
        json_array_append_new(m->files, json_string(line));
        if (S_ISDIR(st.st_mode) && depth + 1 < max_depth) modern_dir(m, child, depth + 1, max_depth);
    }
    free_names(names, n);
}

/* Joins the strings of arr with newlines (one per line, trailing newline). */
static char *join_lines(const json_t *arr) {
    size_t len = 0, i;
    json_t *v;
    json_array_foreach(arr, i, v) len += strlen(json_string_value(v)) + 1;
    char *s = malloc(len + 1), *w = s;
    json_array_foreach(arr, i, v) {
        size_t n = strlen(json_string_value(v));
        memcpy(w, json_string_value(v), n);
        w += n;
        *w++ = '\n';
    }
    *w = '\0';
    return s;
}

/* Cuts symlink targets ("name -> target", lsd's "name ⇒ target") from each
 * line: a target outside the roots is not ours to show. */
static void cut_link_targets(char *text) {
    char *w = text;
    for (char *line = text; *line;) {
        char *nl = strchr(line, '\n');
        size_t n = nl ? (size_t)(nl - line) : strlen(line);
        char *a1 = memmem(line, n, " -> ", 4), *a2 = memmem(line, n, " \xe2\x87\x92 ", 5);
        char *cut = a1 && (!a2 || a1 < a2) ? a1 : a2;
        size_t keep = cut ? (size_t)(cut - line) : n;
        memmove(w, line, keep);
        w += keep;
        if (nl) *w++ = '\n';
        line += n + (nl ? 1 : 0);
    }
    *w = '\0';
}

static int unix_list_modern(tool_ctx *ctx, const json_t *args, json_t *out, lt_err *err) {
    char dir[PATH_MAX];
    if (paths_resolve(roots(ctx), jx_str(args, "path"), PATHS_DIR, dir, err)) return -1;
    bool lng = jx_bool(args, "long_format", false), all = jx_bool(args, "show_all", false),
         tree = jx_bool(args, "tree_view", false), cls = jx_bool(args, "classify", false);
    const char *display = rel(ctx, dir);
    json_t *files = json_array();
    const char *prog = have(ctx, "lsd") ? "lsd" : have(ctx, "exa") ? "exa" : NULL;
    if (prog) {
        char depth[16];
        snprintf(depth, sizeof depth, "%d", MODERN_TREE_DEPTH);
        const char *argv[20] = {prog, "--color=never", "--icon=never"};
        int a = 3;
        if (!strcmp(prog, "exa")) argv[a - 1] = "--oneline"; /* exa has no --icon=never; icons are off by default */
        if (lng) argv[a++] = "-l";
        /* lsd -a also lists .. (outside the root when listing it); -A does not. exa -a never does. */
        if (all) argv[a++] = !strcmp(prog, "lsd") ? "-A" : "-a";
        if (tree) { argv[a++] = "--tree"; argv[a++] = !strcmp(prog, "lsd") ? "--depth" : "--level"; argv[a++] = depth; }
        if (cls) argv[a++] = "-F";
        if (lng && !strcmp(prog, "exa")) argv[2] = "--time-style=long-iso"; /* -l and --oneline clash */
        argv[a++] = "--";
        argv[a++] = display;
        argv[a] = NULL;
        char root[PATH_MAX];
        paths_root_of(roots(ctx), dir, root);
        runner_result r;
        if (run_checked(ctx, root, argv, NULL, 0, &r, err)) { json_decref(files); return -1; }
        if (r.exit_code != 0) {
            lt_err_set(err, LT_ERR_IO, "%s failed: %.300s", prog, r.err);
            runner_result_free(&r);
            json_decref(files);
            return -1;
        }
        cut_link_targets(r.out);
        jx_utf8_repair(r.out);
        for (char *line = r.out, *nl; *line; line = nl ? nl + 1 : line + strlen(line)) {
            nl = strchr(line, '\n');
            size_t n = nl ? (size_t)(nl - line) : strlen(line);
            if (n && json_array_size(files) < MODERN_MAX_ENTRIES) json_array_append_new(files, json_stringn(line, n));
            if (!nl) break;
        }
        runner_result_free(&r);
    } else {
        modern_ctx m = {files, all, lng, cls, MODERN_MAX_ENTRIES};
        modern_dir(&m, dir, 0, tree ? MODERN_TREE_DEPTH : 0);
    }
    char *joined = join_lines(files);
    jx_set_str(out, "formatted_output", joined);
    free(joined);
    jx_set_int(out, "count", (int64_t)json_array_size(files));
    json_object_set_new(out, "files", files);
    jx_set_str(out, "path", display);
    jx_set_str(out, "tool", prog ? prog : "builtin");
    return 0;
}

/* ---- syntax_highlight: bat (Debian's batcat), else the built-in highlighter ---- */

static int unix_syntax_highlight(tool_ctx *ctx, const json_t *args, json_t *out, lt_err *err) {
    const char *fp = jx_str(args, "file_path"), *content = jx_str(args, "content"), *want = jx_str(args, "language");
    if (!fp && !content) return lt_err_set(err, LT_ERR_INVALID, "Missing required parameter: file_path or content");
    char abs[PATH_MAX];
    char *text = NULL;
    if (fp && load_source(ctx, fp, &text, abs, err)) return -1;
    const char *src = text ? text : content;
    bool automatic = !strcmp(want, "auto");
    const char *ext = fp ? strrchr(fp, '.') : NULL;
    if (ext && strchr(ext, '/')) ext = NULL;
    const char *lang = automatic ? hl_lang_of_ext(ext ? ext + 1 : NULL) : want;
    const char *prog = have(ctx, "batcat") ? "batcat" : have(ctx, "bat") ? "bat" : NULL;
    if (prog) {
        /* The text goes in on stdin in both cases (already read and confined);
         * --file-name lets bat pick the syntax from the extension. */
        const char *argv[12] = {prog, "--color=always", "--style=numbers", "--paging=never"};
        int a = 4;
        if (!automatic) { argv[a++] = "--language"; argv[a++] = want; }
        if (automatic && fp) { argv[a++] = "--file-name"; argv[a++] = rel(ctx, abs); }
        argv[a] = NULL;
        runner_result r;
        if (run_checked(ctx, NULL, argv, src, strlen(src), &r, err)) { free(text); return -1; }
        if (r.exit_code != 0) {
            lt_err_set(err, LT_ERR_INVALID, "%s failed: %.300s", prog, r.err);
            runner_result_free(&r);
            free(text);
            return -1;
        }
        jx_utf8_repair(r.out);
        jx_set_str(out, "highlighted_content", r.out);
        runner_result_free(&r);
    } else {
        char *h = hl_ansi(src, lang);
        if (!h) {
            free(text);
            return lt_err_set(err, LT_ERR_INTERNAL, "out of memory highlighting the text");
        }
        jx_utf8_repair(h);
        jx_set_str(out, "highlighted_content", h);
        free(h);
    }
    if (fp) jx_set_str(out, "file_path", rel(ctx, abs)); else jx_set_null(out, "file_path");
    jx_set_str(out, "language", lang ? lang : "text");
    jx_set_str(out, "tool", prog ? prog : "builtin");
    free(text);
    return 0;
}

/* ---- declarations ---- */

#define PATH_P(def) {"path", PT_STRING, false, def, "A directory or file inside the project roots.", NULL, 0, 0, 4096}
static const param_def ls_params[] = {PATH_P("\".\""),
                                      {"long", PT_BOOLEAN, false, "false", "Show kind and size."},
                                      {"all", PT_BOOLEAN, false, "false", "Include hidden entries."},
                                      {0}};
static const param_def cat_params[] = {
    {"file_path", PT_STRING, true, NULL, "A file inside the project roots.", NULL, 0, 0, 4096}, {0}};
static const param_def grep_params[] = {
    {"pattern", PT_STRING, true, NULL, "Regular expression (ripgrep syntax, or POSIX ERE built-in).", NULL, 0, 0, 4096},
    PATH_P("\".\""), {0}};
static const char *const types[] = {"f", "d", NULL};
static const param_def find_params[] = {
    {"pattern", PT_STRING, true, NULL, "Name substring, or a glob when it contains * ? or [.", NULL, 0, 0, 1024},
    PATH_P("\".\""),
    {"type_filter", PT_STRING, false, NULL, "f (files) or d (directories).", types},
    {"extension", PT_STRING, false, NULL, "File extension, without the dot.", NULL, 0, 0, 64},
    {"max_depth", PT_INTEGER, false, NULL, "Deepest level searched (1 = the directory itself).", NULL, 1, 64},
    {0}};
static const param_def tree_params[] = {
    PATH_P("\".\""),
    {"max_depth", PT_INTEGER, false, NULL, "Deepest level shown.", NULL, 1, 64},
    {"show_hidden", PT_BOOLEAN, false, "false", "Include hidden entries."},
    {"directories_only", PT_BOOLEAN, false, "false", "List directories only."},
    {0}};
static const param_def jq_params[] = {
    {"query", PT_STRING, false, "\".\"", "jq filter.", NULL, 0, 0, 65536},
    {"json_input", PT_STRING, false, NULL, "JSON text to filter (this or file_path)."},
    {"file_path", PT_STRING, false, NULL, "A JSON file inside the project roots (this or json_input).", NULL, 0, 0, 4096},
    {"raw_output", PT_BOOLEAN, false, "true", "Strings without quotes."},
    {0}};
static const char *const formats[] = {"human", "json", NULL};
static const param_def du_params[] = {PATH_P("\".\""),
                                      {"output_format", PT_STRING, false, "\"human\"", "human or json.", formats},
                                      {0}};
static const param_def help_params[] = {
    {"command", PT_STRING, true, NULL, "A command or unix_action action name.", NULL, 0, 0, 128}, {0}};
static const param_def diff_params[] = {
    {"file1", PT_STRING, true, NULL, "The old file, inside the project roots.", NULL, 0, 0, 4096},
    {"file2", PT_STRING, true, NULL, "The new file, inside the project roots.", NULL, 0, 0, 4096},
    {"line_numbers", PT_BOOLEAN, false, "true", "Prefix lines with their numbers."},
    {0}};
static const param_def fuzzy_params[] = {
    {"input_list", PT_STRING_ARRAY, true, NULL, "Items to choose from."},
    {"query", PT_STRING, false, "\"\"", "What to look for: fzf's search syntax when fzf runs (space-separated fuzzy terms, 'exact, ^prefix, suffix$, !not), else characters in order (case-insensitive).", NULL, 0, 0, 1024},
    {"multi_select", PT_BOOLEAN, false, "false", "Return every match, best first (else the best one)."},
    {0}};
static const param_def parse_params[] = {
    {"file_path", PT_STRING, false, NULL, "A source file inside the project roots (this or content).", NULL, 0, 0, 4096},
    {"content", PT_STRING, false, NULL, "Source text (this or file_path)."},
    {"language", PT_STRING, false, "\"auto\"", "Language, or auto (from the extension).", NULL, 0, 0, 64},
    {0}};
static const char *const query_types[] = {"functions", "classes", "imports", "comments", NULL};
static const param_def squery_params[] = {
    {"file_path", PT_STRING, true, NULL, "A source file inside the project roots.", NULL, 0, 0, 4096},
    {"query_type", PT_STRING, false, "\"functions\"", "What to list: functions (methods included), classes "
     "(structs, enums, interfaces, traits, types), imports or comments.", query_types},
    {"name", PT_STRING, false, NULL, "Only elements of this name (a module for imports; the documented element "
     "for comments).", NULL, 0, 0, 256},
    {"language", PT_STRING, false, "\"auto\"", "Language, or auto (from the extension).", NULL, 0, 0, 64},
    {0}};

static const param_def modern_params[] = {PATH_P("\".\""),
                                          {"long_format", PT_BOOLEAN, false, "false", "Mode, size and modification time."},
                                          {"show_all", PT_BOOLEAN, false, "false", "Include hidden entries."},
                                          {"tree_view", PT_BOOLEAN, false, "false", "Nested listing, 3 levels deep."},
                                          {"classify", PT_BOOLEAN, false, "false", "Suffix / directory, * executable, @ symlink."},
                                          {0}};
static const param_def highlight_params[] = {
    {"file_path", PT_STRING, false, NULL, "A source file inside the project roots (this or content).", NULL, 0, 0, 4096},
    {"content", PT_STRING, false, NULL, "Source text (this or file_path)."},
    {"language", PT_STRING, false, "\"auto\"", "Language, or auto (from the extension).", NULL, 0, 0, 64},
    {0}};

static const action_def unix_actions[] = {
    {"ls", "List a directory.", unix_ls, ls_params},
    {"cat", "Show a text file.", unix_cat, cat_params},
    {"grep", "Search file contents for a pattern (ripgrep, else built-in).", unix_grep, grep_params},
    {"find", "Find files by name or glob (fd, else built-in).", unix_find, find_params},
    {"tree", "Show a directory tree (tree, else built-in).", unix_tree, tree_params},
    {"jq", "Filter JSON with jq.", unix_jq, jq_params},
    {"disk_usage", "Size and free space of the file system holding a path (duf, else built-in).", unix_disk_usage, du_params},
    {"help", "Manual summary of a command (man), or an action's description.", unix_help, help_params},
    {"diff_highlight", "Line diff of two files.", unix_diff, diff_params},
    {"fuzzy_select", "Rank items by fuzzy match of a query (fzf --filter, else built-in).", unix_fuzzy, fuzzy_params},
    {"parse_syntax", "Language and lines of a source file or text; for C, Python, JavaScript/TypeScript, Go and "
     "Rust also its functions, classes, imports and complexity from the syntax tree (tree-sitter).", unix_parse_syntax,
     parse_params},
    {"syntax_query", "Functions, classes, imports or comments of a source file, from its syntax tree (tree-sitter).",
     unix_syntax_query, squery_params},
    {"list_modern", "List a directory: long format, tree view, classify suffixes (lsd or exa, else built-in).",
     unix_list_modern, modern_params},
    {"syntax_highlight", "Source text with ANSI colours (bat, else built-in).", unix_syntax_highlight,
     highlight_params},
    {NULL, NULL, NULL, NULL}};

const tool_def unix_tool = {
    "unix_action", "File tools",
    "Read-only file tools (ls, cat, grep, find, tree, jq, diff, ...) confined to the project roots: absolute paths "
    "outside them, .. and symlink escapes are refused.",
    unix_actions, true, false, true};
