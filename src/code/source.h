/* source.h - reading source files for the code tools, inside the roots.
 *
 * Every file documentation_action and sync_action look at comes through
 * here: one path check (fs/paths.h, the module unix_action uses), one size
 * limit (CODE_MAX_SOURCE_BYTES) and one bounded directory walk, so the
 * tools and the watcher cannot disagree about what they may read. */
#ifndef LT_CODE_SOURCE_H
#define LT_CODE_SOURCE_H

#include "code.h"

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

/* Reads the regular file abs (already resolved) whole, refusing more than
 * max bytes. *out is NUL-terminated and malloc'd. */
int source_read(const char *abs, size_t max, char **out, size_t *len, lt_err *err);

/* Resolves path inside roots, reads it and parses it in the language of its
 * extension. abs receives the canonical path. Errors name the path. */
int source_load(const char *roots, const char *path, char abs[PATH_MAX], code_file **out, lt_err *err);

/* Whether a directory entry is skipped by walks: hidden (.git, .venv, ...)
 * and build/vendor directories (node_modules, build, dist, target, vendor,
 * __pycache__, ...). */
bool source_skip_dir(const char *name);

typedef struct {
    size_t max_files;  /* files reported at most (the walk stops, truncated set) */
    size_t max_bytes;  /* total bytes of reported files at most */
    int max_depth;     /* directory levels below the start */
} source_limits;

/* Visits the source files (a known language by extension) under dir, in
 * name order, depth first; fn gets the canonical path and size. Symlinks
 * are not followed. Returns 0, or -1 when fn fails. *truncated tells
 * whether a limit cut the walk short. */
typedef int (*source_visit_fn)(const char *abs, size_t size, void *ctx, lt_err *err);
int source_walk(const char *dir, const source_limits *lim, source_visit_fn fn, void *ctx, bool *truncated,
                lt_err *err);

#endif
