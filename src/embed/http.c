/* Placeholder until the http backend lands: refuses to open. */
#include "embed_impl.h"
int http_backend_open(embedder *e, const embed_options *opt, lt_err *err) {
    (void)e; (void)opt;
    return lt_err_set(err, LT_ERR_INVALID, "the http embedding backend is not built yet");
}
