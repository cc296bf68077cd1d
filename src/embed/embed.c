#include "embed_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

embedder *embedder_open(const embed_options *opt, lt_err *err) {
    embedder *e = calloc(1, sizeof *e);
    if (!e) { lt_err_set(err, LT_ERR_INTERNAL, "out of memory"); return NULL; }
    int rc;
    const char *backend = opt->backend ? opt->backend : "glove";
    if (strcmp(backend, "glove") == 0) rc = glove_backend_open(e, opt->glove_path, err);
    else if (strcmp(backend, "hash") == 0) rc = hash_backend_open(e, opt->hash_dim > 0 ? opt->hash_dim : 256, err);
    else if (strcmp(backend, "bert") == 0) rc = bert_backend_open(e, opt->bert_dir, err);
    else if (strcmp(backend, "http") == 0) rc = http_backend_open(e, opt, err);
    else rc = lt_err_set(err, LT_ERR_INVALID, "unknown embedding backend '%s'", backend);
    if (rc) { free(e); return NULL; }
    return e;
}

void embedder_close(embedder *e) {
    if (!e) return;
    e->ops->close(e->state);
    free(e);
}

const char *embedder_backend(const embedder *e) { return e->ops->name; }
const char *embedder_model_id(const embedder *e) { return e->model_id; }
int embedder_dim(const embedder *e) { return e->dim; }
const float *embedder_common_direction(const embedder *e) { return e->common; }

int embedder_embed(embedder *e, const char *text, size_t len, float *out, lt_err *err) {
    memset(out, 0, sizeof *out * (size_t)e->dim);
    return e->ops->embed(e->state, text, len, out, err);
}

json_t *embedder_info(const embedder *e) {
    json_t *o = json_object();
    json_object_set_new(o, "backend", json_string(e->ops->name));
    json_object_set_new(o, "model_id", json_string(e->model_id));
    json_object_set_new(o, "dimensions", json_integer(e->dim));
    e->ops->info(e->state, o);
    return o;
}

void embed_normalise(float *v, int dim) {
    double sum = 0;
    for (int i = 0; i < dim; i++) sum += (double)v[i] * v[i];
    if (sum <= 0) return;
    float inv = (float)(1.0 / sqrt(sum));
    for (int i = 0; i < dim; i++) v[i] *= inv;
}
