#include "source.h"

#include "../fs/paths.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int source_read(const char *abs, size_t max, char **out, size_t *len, lt_err *err) {
    *out = NULL;
    *len = 0;
    int fd = open(abs, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) return lt_err_set(err, LT_ERR_IO, "Cannot read %s: %s", abs, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        return lt_err_set(err, LT_ERR_INVALID, "Not a regular file: %s", abs);
    }
    if ((size_t)sb.st_size > max) {
        close(fd);
        return lt_err_set(err, LT_ERR_INVALID, "File too large: %s is %lld bytes (limit %zu)", abs,
                          (long long)sb.st_size, max);
    }
    /* The size may change under us: read at most max + 1 and check again. */
    size_t cap = (size_t)sb.st_size + 1, n = 0;
    char *buf = malloc(cap + 1);
    if (!buf) {
        close(fd);
        return lt_err_set(err, LT_ERR_INTERNAL, "Out of memory reading %s", abs);
    }
    for (;;) {
        if (n == cap) {
            if (cap > max) break;
            char *nb = realloc(buf, cap * 2 + 1);
            if (!nb) {
                free(buf);
                close(fd);
                return lt_err_set(err, LT_ERR_INTERNAL, "Out of memory reading %s", abs);
            }
            buf = nb;
            cap *= 2;
        }
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            free(buf);
            close(fd);
            return lt_err_set(err, LT_ERR_IO, "Cannot read %s: %s", abs, strerror(errno));
        }
        if (r == 0) break;
        n += (size_t)r;
    }
    close(fd);
    if (n > max) {
        free(buf);
        return lt_err_set(err, LT_ERR_INVALID, "File too large: %s (limit %zu bytes)", abs, max);
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return 0;
}

int source_load(const char *roots, const char *path, char abs[PATH_MAX], code_file **out, lt_err *err) {
    *out = NULL;
    if (paths_resolve(roots, path, PATHS_FILE, abs, err)) return -1;
    code_lang lang = code_lang_from_path(abs);
    if (lang == CODE_LANG_UNKNOWN)
        return lt_err_set(err, LT_ERR_INVALID, "Unsupported source language for %s (known extensions: .c .h .py .js "
                          ".mjs .cjs .jsx .ts .tsx .go .rs)", path);
    char *buf;
    size_t len;
    if (source_read(abs, CODE_MAX_SOURCE_BYTES, &buf, &len, err)) {
        lt_err_prefix(err, "%s", path);
        return -1;
    }
    int rc = code_parse(buf, len, lang, out, err);
    free(buf);
    if (rc) lt_err_prefix(err, "%s", path);
    return rc;
}

bool source_skip_dir(const char *name) {
    static const char *const skip[] = {"node_modules", "build", "dist", "target", "vendor", "__pycache__",
                                       "venv", "site-packages", NULL};
    if (name[0] == '.') return true;
    for (const char *const *s = skip; *s; s++)
        if (!strcmp(name, *s)) return true;
    return false;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

typedef struct {
    const source_limits *lim;
    source_visit_fn fn;
    void *ctx;
    size_t files, bytes;
    bool truncated;
} walk_state;

#define DIR_ENTRIES_MAX 20000

static int walk_dir(walk_state *w, const char *dir, int depth, lt_err *err) {
    DIR *d = opendir(dir);
    if (!d) return 0; /* unreadable directories are skipped, not fatal */
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        if (n == DIR_ENTRIES_MAX) {
            w->truncated = true;
            break;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            char **nn = realloc(names, cap * sizeof *nn);
            if (!nn) break;
            names = nn;
        }
        if (!(names[n] = strdup(e->d_name))) break;
        n++;
    }
    closedir(d);
    if (n) qsort(names, n, sizeof *names, cmp_str);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (w->truncated) break;
        char child[PATH_MAX];
        if ((size_t)snprintf(child, sizeof child, "%s/%s", dir, names[i]) >= sizeof child) continue;
        struct stat sb;
        if (lstat(child, &sb) != 0) continue;
        if (S_ISDIR(sb.st_mode)) {
            if (source_skip_dir(names[i])) continue;
            if (depth + 1 > w->lim->max_depth) {
                w->truncated = true;
                continue;
            }
            rc = walk_dir(w, child, depth + 1, err);
        } else if (S_ISREG(sb.st_mode) && names[i][0] != '.' && code_lang_from_path(child) != CODE_LANG_UNKNOWN) {
            if (w->files >= w->lim->max_files || w->bytes + (size_t)sb.st_size > w->lim->max_bytes) {
                w->truncated = true;
                break;
            }
            w->files++;
            w->bytes += (size_t)sb.st_size;
            rc = w->fn(child, (size_t)sb.st_size, w->ctx, err);
        }
    }
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
    return rc;
}

int source_walk(const char *dir, const source_limits *lim, source_visit_fn fn, void *ctx, bool *truncated,
                lt_err *err) {
    walk_state w = {lim, fn, ctx, 0, 0, false};
    int rc = walk_dir(&w, dir, 0, err);
    if (truncated) *truncated = w.truncated;
    return rc;
}
