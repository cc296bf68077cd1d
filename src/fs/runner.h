/* runner.h - running an external program safely.
 *
 * A program is found by name in an explicit directory list (never the
 * server's PATH), run with an argument vector (no shell), a clean
 * environment (PATH set to that list, LC_ALL=C.UTF-8, nothing else), stdin
 * from a buffer or /dev/null, a wall-clock timeout after which it is killed,
 * and stdout/stderr each captured up to a byte cap (the rest is read and
 * dropped, so the program never blocks on a full pipe). */
#ifndef LT_RUNNER_H
#define LT_RUNNER_H

#include "../core/err.h"

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct {
    const char *search_path; /* colon-separated directories to find the program in */
    const char *disabled;    /* comma-separated program names to treat as absent; may be NULL */
    const char *cwd;         /* working directory of the child; NULL keeps ours */
    const char *input;       /* stdin contents; NULL for /dev/null */
    size_t input_len;
    int timeout_ms;
    size_t output_cap; /* bytes kept of stdout and of stderr each */
} runner_opts;

typedef struct {
    char *out, *err;         /* NUL-terminated, malloc'd (caller frees with runner_result_free) */
    size_t out_len, err_len;
    bool out_truncated, err_truncated;
    bool timed_out;
    int exit_code;           /* exit status, or 128 + signal */
    double elapsed_ms;
} runner_result;

/* Finds name in search_path unless disabled; fills path (PATH_MAX) and
 * returns 0, or -1 when absent. */
int runner_which(const runner_opts *o, const char *name, char path[PATH_MAX]);

/* Runs argv[0] (a name found with runner_which, or an absolute path) with
 * argv. Returns 0 when it ran (whatever its exit status), -1 with err when it
 * could not be started. */
int runner_run(const runner_opts *o, const char *const *argv, runner_result *r, lt_err *err);

void runner_result_free(runner_result *r);

#endif
