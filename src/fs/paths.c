#include "paths.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Calls fn for each resolved root (realpath of each colon-separated entry;
 * entries that do not resolve are skipped). Stops when fn returns nonzero. */
static int each_root(const char *roots, int (*fn)(const char *root, void *ctx), void *ctx) {
    char cwd[PATH_MAX];
    if (!roots || !*roots) {
        if (!getcwd(cwd, sizeof cwd)) return 0;
        roots = cwd;
    }
    const char *p = roots;
    while (*p) {
        const char *colon = strchr(p, ':');
        size_t n = colon ? (size_t)(colon - p) : strlen(p);
        if (n > 0 && n < PATH_MAX) {
            char entry[PATH_MAX], real[PATH_MAX];
            memcpy(entry, p, n);
            entry[n] = '\0';
            if (realpath(entry, real)) {
                int r = fn(real, ctx);
                if (r) return r;
            }
        }
        if (!colon) break;
        p = colon + 1;
    }
    return 0;
}

static int under(const char *root, const char *abs) {
    size_t n = strlen(root);
    if (n == 1 && root[0] == '/') return 1;
    return strncmp(root, abs, n) == 0 && (abs[n] == '\0' || abs[n] == '/');
}

typedef struct {
    const char *abs;
    char *root_out;
} inside_ctx;

static int inside_fn(const char *root, void *vctx) {
    inside_ctx *c = vctx;
    if (!under(root, c->abs)) return 0;
    if (c->root_out) snprintf(c->root_out, PATH_MAX, "%s", root);
    return 1;
}

int paths_inside(const char *roots, const char *abs) {
    inside_ctx c = {abs, NULL};
    return each_root(roots, inside_fn, &c);
}

int paths_root_of(const char *roots, const char *abs, char root[PATH_MAX]) {
    inside_ctx c = {abs, root};
    return each_root(roots, inside_fn, &c) ? 0 : -1;
}

static int first_fn(const char *root, void *vctx) {
    snprintf(vctx, PATH_MAX, "%s", root);
    return 1;
}

int paths_resolve(const char *roots, const char *path, paths_kind kind, char out[PATH_MAX], lt_err *err) {
    if (!path || !*path) return lt_err_set(err, LT_ERR_INVALID, "Path must not be empty");
    if (strlen(path) >= PATH_MAX) return lt_err_set(err, LT_ERR_INVALID, "Path is too long: %.80s...", path);
    char base[PATH_MAX] = "";
    if (!each_root(roots, first_fn, base))
        return lt_err_set(err, LT_ERR_INVALID, "No project root exists (setting project_roots)");
    char joined[PATH_MAX * 2];
    if (path[0] == '/')
        snprintf(joined, sizeof joined, "%s", path);
    else
        snprintf(joined, sizeof joined, "%s/%s", base, path);
    if (strlen(joined) >= PATH_MAX) return lt_err_set(err, LT_ERR_INVALID, "Path is too long: %.80s...", path);
    char real[PATH_MAX];
    if (!realpath(joined, real)) {
        int e = errno;
        /* A path that does not exist is "not found" only when its lexical form
         * stays inside: otherwise the caller learns nothing about the outside. */
        if ((e == ENOENT || e == ENOTDIR) && !strstr(path, "..") && (path[0] != '/' || paths_inside(roots, path)))
            return lt_err_set(err, LT_ERR_NOT_FOUND, "Path not found: %.200s", path);
        if (e == ELOOP) return lt_err_set(err, LT_ERR_INVALID, "Too many levels of symbolic links: %.200s", path);
        if (e == ENAMETOOLONG) return lt_err_set(err, LT_ERR_INVALID, "Path is too long: %.80s...", path);
        return lt_err_set(err, LT_ERR_INVALID, "Path is outside the project roots: %.200s", path);
    }
    if (!paths_inside(roots, real))
        return lt_err_set(err, LT_ERR_INVALID, "Path is outside the project roots: %.200s", path);
    struct stat st;
    if (stat(real, &st) != 0) return lt_err_set(err, LT_ERR_NOT_FOUND, "Path not found: %.200s", path);
    if (kind == PATHS_FILE && !S_ISREG(st.st_mode))
        return lt_err_set(err, LT_ERR_INVALID, "Not a regular file: %.200s", path);
    if (kind == PATHS_DIR && !S_ISDIR(st.st_mode))
        return lt_err_set(err, LT_ERR_INVALID, "Not a directory: %.200s", path);
    if (kind == PATHS_ANY && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
        return lt_err_set(err, LT_ERR_INVALID, "Not a regular file or directory: %.200s", path);
    memcpy(out, real, strlen(real) + 1);
    return 0;
}
