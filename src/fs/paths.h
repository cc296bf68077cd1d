/* paths.h - confining file paths to the configured project roots.
 *
 * Every path a tool reads is resolved here first. A path is taken relative to
 * the first root (absolute paths are allowed only when they resolve inside a
 * root); symlinks and `..` are resolved with realpath(3) before the check, so
 * traversal and symlink escapes are refused rather than followed. Roots are
 * a colon-separated list (setting project_roots); NULL or empty means the
 * current directory. Nothing here writes. */
#ifndef LT_PATHS_H
#define LT_PATHS_H

#include "../core/err.h"

#include <limits.h>
#include <stddef.h>

typedef enum {
    PATHS_ANY,  /* a file or a directory */
    PATHS_FILE, /* a regular file */
    PATHS_DIR   /* a directory */
} paths_kind;

/* Resolves path against roots into out (PATH_MAX bytes), a canonical absolute
 * path inside one root. Errors (LT_ERR_INVALID or LT_ERR_NOT_FOUND) name the
 * path as given: "Path is outside the project roots: X", "Path not found:
 * X", "Not a regular file: X", "Not a directory: X". */
int paths_resolve(const char *roots, const char *path, paths_kind kind, char out[PATH_MAX], lt_err *err);

/* The resolved root that holds the canonical path abs, copied into
 * root (PATH_MAX bytes); -1 when none does. */
int paths_root_of(const char *roots, const char *abs, char root[PATH_MAX]);

/* Whether canonical path abs lies inside one of roots. */
int paths_inside(const char *roots, const char *abs);

#endif
