#include "dynload.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>

static pthread_once_t curl_once = PTHREAD_ONCE_INIT, blas_once = PTHREAD_ONCE_INIT;
static curl_fns curl_table;
static const curl_fns *curl_loaded;
static char curl_why[256] = "libcurl was not loaded";
static sgemm_fn sgemm_loaded;
static char blas_why[256] = "OpenBLAS was not loaded";

/* Looks a symbol up; on failure records why and returns NULL. */
static void *need(void *lib, const char *name, char *why, size_t why_len) {
    void *p = dlsym(lib, name);
    if (!p) snprintf(why, why_len, "%s lacks %s", "the library", name);
    return p;
}

#define LOAD(field, name)                                                                 \
    do {                                                                                  \
        *(void **)&curl_table.field = need(lib, name, curl_why, sizeof curl_why);         \
        if (!curl_table.field) return;                                                    \
    } while (0)

static void load_curl(void) {
    void *lib = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        snprintf(curl_why, sizeof curl_why, "cannot load libcurl (install libcurl4): %s", dlerror());
        return;
    }
    LOAD(global_init, "curl_global_init");
    LOAD(global_cleanup, "curl_global_cleanup");
    LOAD(easy_init, "curl_easy_init");
    LOAD(easy_setopt, "curl_easy_setopt");
    LOAD(easy_perform, "curl_easy_perform");
    LOAD(easy_getinfo, "curl_easy_getinfo");
    LOAD(easy_cleanup, "curl_easy_cleanup");
    LOAD(easy_strerror, "curl_easy_strerror");
    LOAD(slist_append, "curl_slist_append");
    LOAD(slist_free_all, "curl_slist_free_all");
    LOAD(url, "curl_url");
    LOAD(url_set, "curl_url_set");
    LOAD(url_get, "curl_url_get");
    LOAD(url_strerror, "curl_url_strerror");
    LOAD(url_cleanup, "curl_url_cleanup");
    LOAD(free, "curl_free");
    curl_loaded = &curl_table; /* the library stays loaded for the life of the process */
}

const curl_fns *dynload_curl(lt_err *err) {
    pthread_once(&curl_once, load_curl);
    if (!curl_loaded) lt_err_set(err, LT_ERR_IO, "%s", curl_why);
    return curl_loaded;
}

static void load_blas(void) {
    void *lib = dlopen("libopenblas.so.0", RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        snprintf(blas_why, sizeof blas_why, "cannot load OpenBLAS (install libopenblas0): %s", dlerror());
        return;
    }
    *(void **)&sgemm_loaded = need(lib, "cblas_sgemm", blas_why, sizeof blas_why);
}

sgemm_fn dynload_sgemm(lt_err *err) {
    pthread_once(&blas_once, load_blas);
    if (!sgemm_loaded) lt_err_set(err, LT_ERR_IO, "%s", blas_why);
    return sgemm_loaded;
}
