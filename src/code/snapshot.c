#include "snapshot.h"

#include "../core/jsonx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *project, *path, *now;
    const json_t *elements;
} save_ctx;

static int save_tx(store *st, void *vctx, lt_err *err) {
    save_ctx *c = vctx;
    store_stmt *s = store_prepare(st, "DELETE FROM code_snapshots WHERE project = ? AND path = ?", err);
    if (!s) return -1;
    store_bind_text(s, 1, c->project);
    store_bind_text(s, 2, c->path);
    if (store_step(s, err) < 0) return -1;
    size_t i;
    const json_t *e;
    json_array_foreach(c->elements, i, e) {
        /* INSERT OR REPLACE: two elements may share a qualified name (C
         * prototypes and definitions, overloads); the later one wins. */
        s = store_prepare(st,
                          "INSERT OR REPLACE INTO code_snapshots(project, path, element, kind, line, signature, "
                          "params, return_type, doc, synced_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
                          err);
        if (!s) return -1;
        char *params = jx_dump(json_object_get(e, "params"));
        store_bind_text(s, 1, c->project);
        store_bind_text(s, 2, c->path);
        store_bind_text(s, 3, jx_str(e, "element"));
        store_bind_text(s, 4, jx_str(e, "kind"));
        store_bind_int(s, 5, jx_int(e, "line", 0));
        store_bind_text(s, 6, jx_str(e, "signature"));
        store_bind_text(s, 7, params ? params : "[]");
        store_bind_text(s, 8, jx_str(e, "return_type"));
        store_bind_text(s, 9, jx_str(e, "doc"));
        store_bind_text(s, 10, c->now);
        int rc = store_step(s, err);
        free(params);
        if (rc < 0) return -1;
    }
    return 0;
}

int snapshot_save(store *st, const char *project, const char *path, const json_t *elements, const char *now,
                  lt_err *err) {
    save_ctx c = {project, path, now, elements};
    return store_write(st, save_tx, &c, err);
}

static json_t *row_element(store_stmt *s) {
    const char *el = store_col_text(s, 0);
    const char *dot = strrchr(el, '.');
    const char *colons = NULL;
    for (const char *p = strstr(el, "::"); p; p = strstr(p + 2, "::")) colons = p + 1;
    const char *last = dot > colons ? dot : colons;
    json_t *e = json_object();
    jx_set_str(e, "element", el);
    jx_set_str(e, "name", last ? last + 1 : el);
    jx_set_str(e, "kind", store_col_text(s, 1));
    jx_set_int(e, "line", store_col_int(s, 2));
    jx_set_str(e, "signature", store_col_text(s, 3));
    const char *pt = store_col_text(s, 4);
    json_t *params = pt ? jx_parse(pt, strlen(pt), NULL, 0) : NULL;
    json_object_set_new(e, "params", params ? params : json_array());
    jx_set_str(e, "return_type", store_col_text(s, 5));
    jx_set_str(e, "doc", store_col_text(s, 6));
    return e;
}

int snapshot_load(store *st, const char *project, const char *path, json_t **out, char *synced_at, lt_err *err) {
    *out = NULL;
    synced_at[0] = '\0';
    store_stmt *s = store_prepare(st,
                                  "SELECT element, kind, line, signature, params, return_type, doc, synced_at "
                                  "FROM code_snapshots WHERE project = ? AND path = ? ORDER BY line, element",
                                  err);
    if (!s) return -1;
    store_bind_text(s, 1, project);
    store_bind_text(s, 2, path);
    json_t *a = json_array();
    int rc;
    while ((rc = store_step(s, err)) == 1) {
        snprintf(synced_at, 32, "%s", store_col_text(s, 7));
        json_array_append_new(a, row_element(s));
    }
    if (rc < 0) {
        json_decref(a);
        return -1;
    }
    *out = a;
    return 0;
}

int snapshot_load_project(store *st, const char *project, size_t limit, json_t **out, lt_err *err) {
    *out = NULL;
    store_stmt *s = store_prepare(st,
                                  "SELECT element, kind, line, signature, params, return_type, doc, path "
                                  "FROM code_snapshots WHERE project = ? ORDER BY path, line LIMIT ?",
                                  err);
    if (!s) return -1;
    store_bind_text(s, 1, project);
    store_bind_int(s, 2, (int64_t)limit);
    json_t *a = json_array();
    int rc;
    while ((rc = store_step(s, err)) == 1) {
        json_t *e = row_element(s);
        jx_set_str(e, "path", store_col_text(s, 7));
        json_array_append_new(a, e);
    }
    if (rc < 0) {
        json_decref(a);
        return -1;
    }
    *out = a;
    return 0;
}
