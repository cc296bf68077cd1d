/* snapshot.h - the documentation of record for sync_action: each code
 * element's signature and doc as of the last `code` sync (table
 * code_snapshots, migration 5), keyed by project and canonical path. */
#ifndef LT_SNAPSHOT_H
#define LT_SNAPSHOT_H

#include "../store/store.h"

#include <jansson.h>
#include <stdbool.h>

/* Replaces the file's snapshot with elements (drift_elements' form). */
int snapshot_save(store *st, const char *project, const char *path, const json_t *elements, const char *now,
                  lt_err *err);

/* The file's snapshot elements (in line order) into *out (an empty array
 * when the file was never synced); *synced_at the time or "" (>= 32 bytes). */
int snapshot_load(store *st, const char *project, const char *path, json_t **out, char *synced_at, lt_err *err);

/* Every element recorded for the project (at most limit, by path and
 * line), in the same form; for checking a document against the code. */
int snapshot_load_project(store *st, const char *project, size_t limit, json_t **out, lt_err *err);

#endif
