/* Placeholder until the bert backend lands: refuses to open. */
#include "embed_impl.h"
int bert_backend_open(embedder *e, const char *dir, lt_err *err) {
    (void)e; (void)dir;
    return lt_err_set(err, LT_ERR_INVALID, "the bert embedding backend is not built yet");
}
