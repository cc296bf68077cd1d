#include "autolink.h"

#include "../core/jsonx.h"
#include "graph.h"
#include "nodeid.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    float sim;
    int i, j;
} candidate;

static int cmp_candidate(const void *a, const void *b) {
    const candidate *x = a, *y = b;
    if (x->sim != y->sim) return x->sim > y->sim ? -1 : 1;
    if (x->i != y->i) return x->i - y->i;
    return x->j - y->j;
}

static double round4(double x) { return round(x * 1e4) / 1e4; }

/* The stored text of a memory of the project (malloc'd). */
static char *memory_text(store *st, const char *project, int64_t id, lt_err *err) {
    store_stmt *s = store_prepare(st, "SELECT content FROM memories WHERE id = ? AND project = ?", err);
    if (!s) return NULL;
    store_bind_int(s, 1, id);
    store_bind_text(s, 2, project);
    int rc = store_step(s, err);
    if (rc != 1) {
        if (rc == 0) lt_err_set(err, LT_ERR_NOT_FOUND, "Memory %lld not found in this project", (long long)id);
        return NULL;
    }
    char *text = strdup(store_col_text(s, 0));
    store_reset(s);
    return text;
}

typedef struct {
    const char *project;
    const autolink_doc *docs;
    size_t n;
    const candidate *chosen;
    size_t n_chosen;
    int created, updated;
} write_ctx;

static int write_tx(store *st, void *vctx, lt_err *err) {
    write_ctx *c = vctx;
    c->created = c->updated = 0;
    for (size_t i = 0; i < c->n; i++) {
        const autolink_doc *d = &c->docs[i];
        int64_t node = graph_node_ensure(st, c->project, d->id, true, err);
        if (node < 0) return -1;
        if (!d->type && !d->created_at) continue;
        json_t *p = json_object();
        if (d->type) jx_set_str(p, "type", d->type);
        if (d->created_at) jx_set_str(p, "created_at", d->created_at);
        char *text = jx_dump(p);
        json_decref(p);
        store_stmt *s = store_prepare(st, "UPDATE graph_nodes SET properties = json_patch(properties, ?) WHERE id = ?", err);
        int rc = s ? 0 : -1;
        if (s) {
            store_bind_text(s, 1, text);
            store_bind_int(s, 2, node);
            rc = store_step(s, err) < 0 ? -1 : 0;
        }
        free(text);
        if (rc) return -1;
    }
    for (size_t k = 0; k < c->n_chosen; k++) {
        const char *a = c->docs[c->chosen[k].i].id, *b = c->docs[c->chosen[k].j].id;
        if (strcmp(a, b) > 0) {
            const char *t = a;
            a = b;
            b = t;
        }
        double sim = round4(c->chosen[k].sim);
        json_t *props = json_pack("{s:f}", "similarity_score", sim);
        graph_edge_input in = {a, b, AUTOLINK_RELATION, sim, props, NULL};
        bool created;
        int rc = graph_edge_put(st, c->project, &in, true, false, &created, err);
        json_decref(props);
        if (rc) return -1;
        if (created) c->created++;
        else c->updated++;
    }
    return 0;
}

int graph_auto_link(store *st, embedder *emb, const char *project, const autolink_doc *docs, size_t n,
                    double threshold, int max_links, json_t *out, lt_err *err) {
    if (n > AUTOLINK_MAX_DOCS)
        return lt_err_set(err, LT_ERR_INVALID, "Parameter 'documents' has %zu items (limit %d per call)", n,
                          AUTOLINK_MAX_DOCS);
    for (size_t i = 0; i < n; i++) {
        node_ref ref;
        if (nodeid_parse(docs[i].id, &ref, err)) { lt_err_prefix(err, "documents[%zu]", i); return -1; }
        for (size_t j = 0; j < i; j++)
            if (strcmp(docs[i].id, docs[j].id) == 0)
                return lt_err_set(err, LT_ERR_INVALID, "documents[%zu]: id '%.100s' also appears at documents[%zu]", i,
                                  docs[i].id, j);
        if (!docs[i].content && ref.kind != NODE_MEMORY)
            return lt_err_set(err, LT_ERR_INVALID, "documents[%zu]: missing required field content (only memory:<id> "
                              "documents may leave it out, to use the memory's stored text)", i);
    }
    int dim = embedder_dim(emb);
    float *vec = calloc(n ? n * (size_t)dim : 1, sizeof *vec);
    candidate *cands = NULL;
    size_t n_cands = 0, cap = 0;
    int ret = -1;
    if (!vec) return lt_err_set(err, LT_ERR_INTERNAL, "out of memory");
    /* Embedding is the slow part: it happens before any write lock. */
    for (size_t i = 0; i < n; i++) {
        char *loaded = NULL;
        const char *text = docs[i].content;
        if (!text) {
            node_ref ref;
            nodeid_parse(docs[i].id, &ref, NULL);
            loaded = memory_text(st, project, ref.num, err);
            if (!loaded) { lt_err_prefix(err, "documents[%zu]", i); goto done; }
            text = loaded;
        }
        int rc = embedder_embed(emb, text, strlen(text), vec + i * (size_t)dim, err);
        free(loaded);
        if (rc) goto done;
    }
    for (size_t i = 0; i < n; i++) {
        for (size_t j = i + 1; j < n; j++) {
            const float *a = vec + i * (size_t)dim, *b = vec + j * (size_t)dim;
            double dot = 0;
            for (int k = 0; k < dim; k++) dot += (double)a[k] * b[k];
            if (dot < threshold || dot <= 0) continue;
            if (n_cands == cap) {
                cap = cap ? cap * 2 : 256;
                candidate *g = realloc(cands, cap * sizeof *g);
                if (!g) { lt_err_set(err, LT_ERR_INTERNAL, "out of memory"); goto done; }
                cands = g;
            }
            cands[n_cands++] = (candidate){(float)(dot > 1 ? 1 : dot), (int)i, (int)j};
        }
    }
    if (n_cands) qsort(cands, n_cands, sizeof *cands, cmp_candidate);
    /* Best first, while both ends have room: the kept candidates are
     * compacted to the front of the array. */
    int *links = calloc(n ? n : 1, sizeof *links);
    if (!links) { lt_err_set(err, LT_ERR_INTERNAL, "out of memory"); goto done; }
    size_t kept = 0;
    for (size_t k = 0; k < n_cands; k++) {
        candidate c = cands[k];
        if (links[c.i] >= max_links || links[c.j] >= max_links) continue;
        links[c.i]++;
        links[c.j]++;
        cands[kept++] = c;
    }
    free(links);
    write_ctx w = {project, docs, n, cands, kept, 0, 0};
    if (store_write(st, write_tx, &w, err)) goto done;
    /* The links made, best first; a call may make up to
     * AUTOLINK_MAX_DOCS * max_links / 2 of them, but the result stays small. */
    json_t *list = json_array();
    for (size_t k = 0; k < kept && k < AUTOLINK_MAX_LISTED; k++) {
        const char *a = docs[cands[k].i].id, *b = docs[cands[k].j].id;
        if (strcmp(a, b) > 0) {
            const char *t = a;
            a = b;
            b = t;
        }
        json_array_append_new(list, json_pack("{s:s, s:s, s:f}", "source_id", a, "target_id", b, "similarity_score",
                                              round4(cands[k].sim)));
    }
    jx_set_int(out, "links_created", w.created);
    jx_set_int(out, "links_updated", w.updated);
    jx_set_int(out, "documents_processed", (int64_t)n);
    json_object_set_new(out, "links", list);
    jx_set_bool(out, "links_truncated", kept > AUTOLINK_MAX_LISTED);
    ret = 0;
done:
    free(vec);
    free(cands);
    return ret;
}
