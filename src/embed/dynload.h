/* dynload.h - libcurl and OpenBLAS, loaded only by the backends that use
 * them.
 *
 * Most servers embed with GloVe and never call either library, yet linking
 * them would map libcurl's TLS, Kerberos and LDAP dependencies and
 * OpenBLAS's Fortran runtime into every ltmc process (about 7 MiB of
 * resident memory, and an idle OpenBLAS thread). So the http and bert
 * backends load them with dlopen when they open, and call through these
 * tables. Thread-safe; a library is loaded once per process. */
#ifndef LT_DYNLOAD_H
#define LT_DYNLOAD_H

#include "../core/err.h"

#define CURL_DISABLE_TYPECHECK /* the type-checking macros would hide the calls we redirect */
#include <cblas.h>
#include <curl/curl.h>

typedef struct {
    CURLcode (*global_init)(long flags);
    void (*global_cleanup)(void);
    CURL *(*easy_init)(void);
    CURLcode (*easy_setopt)(CURL *curl, CURLoption option, ...);
    CURLcode (*easy_perform)(CURL *curl);
    CURLcode (*easy_getinfo)(CURL *curl, CURLINFO info, ...);
    void (*easy_cleanup)(CURL *curl);
    const char *(*easy_strerror)(CURLcode code);
    struct curl_slist *(*slist_append)(struct curl_slist *list, const char *s);
    void (*slist_free_all)(struct curl_slist *list);
    CURLU *(*url)(void);
    CURLUcode (*url_set)(CURLU *u, CURLUPart part, const char *content, unsigned int flags);
    CURLUcode (*url_get)(const CURLU *u, CURLUPart part, char **content, unsigned int flags);
    const char *(*url_strerror)(CURLUcode code);
    void (*url_cleanup)(CURLU *u);
    void (*free)(void *p);
} curl_fns;

typedef void (*sgemm_fn)(const enum CBLAS_ORDER, const enum CBLAS_TRANSPOSE, const enum CBLAS_TRANSPOSE,
                         const blasint, const blasint, const blasint, const float, const float *, const blasint,
                         const float *, const blasint, const float, float *, const blasint);

/* The libcurl functions, or NULL with err set when libcurl cannot be loaded. */
const curl_fns *dynload_curl(lt_err *err);

/* OpenBLAS's cblas_sgemm, or NULL with err set. */
sgemm_fn dynload_sgemm(lt_err *err);

#endif
