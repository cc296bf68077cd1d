/* The http backend: an OpenAI-compatible POST .../embeddings endpoint
 * (Ollama, llama.cpp's server, hosted APIs) through libcurl.
 *
 * Each request carries one text: {"model": M, "input": T}; the answer's
 * data[].embedding is checked, converted to floats and normalised here, so
 * vectors behave like every other backend's whatever the server does.
 *
 * The dimension is learnt at open by embedding a short probe text: callers
 * need embedder_dim before the first real text, and an unreachable server
 * or a wrong key is best reported when the user configures it, not at the
 * first memory saved. Afterwards every answer must keep that dimension.
 *
 * Connections are reused through a small pool of curl easy handles (one in
 * use per thread at a time, kept alive between requests) guarded by a
 * mutex; a thread-local handle could not be freed when the embedder closes.
 *
 * The API key lives only in the Authorization header list and a copy used
 * to redact it from echoed server messages; it is never logged, never in
 * embedder_info, and wiped from memory at close. */
#include "embed_impl.h"
#include "../version.h"

#include <assert.h>
#include "dynload.h"

/* libcurl is loaded when this backend first opens (dynload.h); its calls go
 * through that table. */
static const curl_fns *cf;
#define curl_global_init (cf->global_init)
#define curl_global_cleanup (cf->global_cleanup)
#define curl_easy_init (cf->easy_init)
#undef curl_easy_setopt /* curl.h wraps these two in macros of its own */
#undef curl_easy_getinfo
#define curl_easy_setopt (cf->easy_setopt)
#define curl_easy_perform (cf->easy_perform)
#define curl_easy_getinfo (cf->easy_getinfo)
#define curl_easy_cleanup (cf->easy_cleanup)
#define curl_easy_strerror (cf->easy_strerror)
#define curl_slist_append (cf->slist_append)
#define curl_slist_free_all (cf->slist_free_all)
#define curl_url (cf->url)
#define curl_url_set (cf->url_set)
#define curl_url_get (cf->url_get)
#define curl_url_strerror (cf->url_strerror)
#define curl_url_cleanup (cf->url_cleanup)
#define curl_free (cf->free)
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

enum {
    POOL_MAX = 8,                    /* idle connections kept; busier moments open more */
    DEFAULT_TIMEOUT_MS = 30000,      /* when http_timeout_ms is unset */
    RETRY_BACKOFF_MS = 250,          /* before the single retry */
    MAX_RESPONSE = 32 << 20,         /* a 16k-dim vector in JSON is well under 1 MiB */
    MAX_DIM = 16384,                 /* larger is surely a wrong field, not a model */
    MAX_MODEL = 96,                  /* keeps "http-<model>-<dim>d" in model_id */
    EXCERPT_MAX = 160                /* bytes of a server message quoted in errors */
};

/* Short and plain so any model tokenises it; its vector is thrown away. */
static const char PROBE_TEXT[] = "ltmc embedding dimension probe";

typedef struct {
    CURL *h;
    char errbuf[CURL_ERROR_SIZE];
    char *resp; /* body of the last answer, NUL-terminated */
    size_t resp_len, resp_cap;
    bool resp_too_big;
} conn;

typedef struct {
    char *endpoint;             /* the URL we POST to, with any credentials in it */
    char *shown;                /* the same without credentials or query: fit for messages */
    char *model;
    char *api_key;              /* NULL when none; only for redaction */
    struct curl_slist *headers; /* read-only after open, shared by every handle */
    long timeout_ms;
    int dim;                    /* 0 only while probing at open */
    char server_model[128];     /* what the server said it ran, if it said */
    pthread_mutex_t pool_lock;
    conn *idle[POOL_MAX];
    int n_idle;
} http_state;

/* ---- libcurl's global state ------------------------------------------------ */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

static void curl_cleanup_at_exit(void) { curl_global_cleanup(); }

/* Once per process: curl_global_init must not race with itself. Its
 * counterpart runs at exit, after every embedder has been closed, so the
 * TLS library's state is released rather than left to the leak checker. */
static void curl_init_once(void) {
    curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
    if (curl_init_rc == CURLE_OK) atexit(curl_cleanup_at_exit);
}

/* ---- connections ----------------------------------------------------------- */

static size_t on_body(char *data, size_t size, size_t n, void *ud) {
    conn *c = ud;
    size_t add = size * n;
    if (add > MAX_RESPONSE - c->resp_len) {
        c->resp_too_big = true;
        return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
    }
    if (c->resp_len + add + 1 > c->resp_cap) {
        size_t cap = c->resp_cap ? c->resp_cap : 4096;
        while (cap < c->resp_len + add + 1) cap *= 2;
        char *p = realloc(c->resp, cap);
        if (!p) return 0;
        c->resp = p;
        c->resp_cap = cap;
    }
    memcpy(c->resp + c->resp_len, data, add);
    c->resp_len += add;
    c->resp[c->resp_len] = '\0';
    return add;
}

static void conn_free(conn *c) {
    if (!c) return;
    if (c->h) curl_easy_cleanup(c->h);
    free(c->resp);
    free(c);
}

/* The options that never change for this embedder are set once per handle. */
static conn *conn_new(const http_state *s) {
    conn *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->h = curl_easy_init();
    if (!c->h) { free(c); return NULL; }
    CURL *h = c->h;
    bool ok = curl_easy_setopt(h, CURLOPT_URL, s->endpoint) == CURLE_OK &&
              /* Threads: timeouts must not use SIGALRM. */
              curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
              curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https") == CURLE_OK &&
              curl_easy_setopt(h, CURLOPT_POST, 1L) == CURLE_OK &&
              curl_easy_setopt(h, CURLOPT_HTTPHEADER, s->headers) == CURLE_OK &&
              curl_easy_setopt(h, CURLOPT_USERAGENT, "ltmc/" LTMC_VERSION) == CURLE_OK &&
              curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, s->timeout_ms) == CURLE_OK &&
              /* Hosted APIs compress; a 3072-dim vector is ~60 kB of JSON. */
              curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "") == CURLE_OK &&
              curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body) == CURLE_OK &&
              curl_easy_setopt(h, CURLOPT_WRITEDATA, c) == CURLE_OK &&
              curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->errbuf) == CURLE_OK;
    if (!ok) { conn_free(c); return NULL; }
    return c;
}

static conn *conn_get(http_state *s) {
    conn *c = NULL;
    pthread_mutex_lock(&s->pool_lock);
    if (s->n_idle > 0) c = s->idle[--s->n_idle];
    pthread_mutex_unlock(&s->pool_lock);
    return c ? c : conn_new(s);
}

static void conn_put(http_state *s, conn *c) {
    pthread_mutex_lock(&s->pool_lock);
    if (s->n_idle < POOL_MAX) {
        s->idle[s->n_idle++] = c;
        c = NULL;
    }
    pthread_mutex_unlock(&s->pool_lock);
    conn_free(c);
}

/* ---- messages -------------------------------------------------------------- */

/* Copies at most EXCERPT_MAX bytes of src into dst (which holds
 * EXCERPT_MAX + 4), ending on a UTF-8 boundary, with control characters
 * turned into spaces, surrounding space trimmed and the API key masked:
 * servers that quote a rejected key would otherwise put it in our message.
 * (Keys under 6 bytes are not masked; they would blot out ordinary words.) */
static void excerpt(const http_state *s, const char *src, size_t len, char *dst) {
    size_t klen = s->api_key ? strlen(s->api_key) : 0;
    if (klen < 6) klen = 0;
    while (len > 0 && (unsigned char)*src <= ' ') { src++; len--; }
    size_t n = 0, i = 0;
    while (i < len && n < EXCERPT_MAX) {
        if (klen && len - i >= klen && memcmp(src + i, s->api_key, klen) == 0) {
            size_t m = klen < EXCERPT_MAX - n ? klen : EXCERPT_MAX - n;
            memset(dst + n, '*', m);
            n += m;
            i += klen;
        } else {
            unsigned char ch = (unsigned char)src[i++];
            dst[n++] = ch < ' ' || ch == 0x7f ? ' ' : (char)ch;
        }
    }
    bool cut = i < len;
    if (cut)
        while (n > 0 && ((unsigned char)src[i] & 0xC0) == 0x80) { n--; i--; }
    while (n > 0 && dst[n - 1] == ' ') n--;
    if (cut) { memcpy(dst + n, "...", 3); n += 3; }
    dst[n] = '\0';
}

/* The human part of an error answer: OpenAI's {"error":{"message":...}},
 * Ollama's {"error":"..."}, other servers' "message" or "detail", else the
 * raw body. */
static void error_excerpt(const http_state *s, const char *body, size_t len, char *dst) {
    json_t *root = len ? json_loadb(body, len, 0, NULL) : NULL;
    const char *msg = NULL;
    if (json_is_object(root)) {
        json_t *e = json_object_get(root, "error");
        if (json_is_object(e)) msg = json_string_value(json_object_get(e, "message"));
        else if (json_is_string(e)) msg = json_string_value(e);
        if (!msg) msg = json_string_value(json_object_get(root, "message"));
        if (!msg) msg = json_string_value(json_object_get(root, "detail"));
    }
    if (msg) excerpt(s, msg, strlen(msg), dst);
    else excerpt(s, body ? body : "", len, dst);
    json_decref(root);
}

/* ---- one request ------------------------------------------------------------ */

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
}

/* A failure worth one more try: the connection broke under us, the server
 * is overloaded or restarting (5xx), or it asked us to slow down (429).
 * Refused connections and timeouts are not retried: the first means
 * nothing listens, the second would double an already long wait. */
static bool transient_curl(CURLcode rc) {
    return rc == CURLE_SEND_ERROR || rc == CURLE_RECV_ERROR || rc == CURLE_GOT_NOTHING || rc == CURLE_PARTIAL_FILE;
}

/* Sends body once. Returns 0 with a 2xx answer in c->resp, or -1 with err
 * set and *transient telling whether a retry may help. */
static int post_once(const http_state *s, conn *c, const char *body, size_t body_len, bool *transient, lt_err *err) {
    *transient = false;
    c->resp_len = 0;
    c->resp_too_big = false;
    if (c->resp) c->resp[0] = '\0';
    c->errbuf[0] = '\0';
    curl_easy_setopt(c->h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
    curl_easy_setopt(c->h, CURLOPT_POSTFIELDS, body);
    CURLcode rc = curl_easy_perform(c->h);
    const char *why = c->errbuf[0] ? c->errbuf : curl_easy_strerror(rc);
    switch (rc) {
    case CURLE_OK: break;
    case CURLE_COULDNT_CONNECT:
        return lt_err_set(err, LT_ERR_IO, "cannot connect to the embedding server at %s: %s (is it running?)", s->shown, why);
    case CURLE_COULDNT_RESOLVE_HOST:
        return lt_err_set(err, LT_ERR_IO, "cannot find the embedding server's host in %s: %s", s->shown, why);
    case CURLE_OPERATION_TIMEDOUT:
        return lt_err_set(err, LT_ERR_IO, "the embedding server at %s did not answer within %ld ms", s->shown, s->timeout_ms);
    case CURLE_WRITE_ERROR:
        if (c->resp_too_big)
            return lt_err_set(err, LT_ERR_IO, "the embedding server at %s sent an answer larger than %d MiB", s->shown, MAX_RESPONSE >> 20);
        return lt_err_set(err, LT_ERR_INTERNAL, "out of memory reading the embedding server's answer");
    default:
        *transient = transient_curl(rc);
        return lt_err_set(err, LT_ERR_IO, "request to the embedding server at %s failed: %s", s->shown, why);
    }
    long status = 0;
    curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &status);
    if (status >= 200 && status < 300) return 0;
    *transient = status == 429 || status >= 500;
    char msg[EXCERPT_MAX + 4];
    error_excerpt(s, c->resp, c->resp_len, msg);
    const char *hint = status == 401 || status == 403 ? " (check http_embedding_api_key)"
                       : status == 404 ? " (check http_embedding_url and http_embedding_model)"
                       : status >= 300 && status < 400
                           ? " (redirects are not followed: set http_embedding_url to the final URL)"
                       : "";
    return lt_err_set(err, LT_ERR_IO, "the embedding server at %s answered HTTP %ld: %s%s", s->shown, status,
                      msg[0] ? msg : "(no message)", hint);
}

/* ---- the answer --------------------------------------------------------------- */

/* Fills out (s->dim floats, or MAX_DIM while probing) from the answer in c,
 * and normalises it. */
static int parse_answer(http_state *s, const conn *c, float *out, lt_err *err) {
    json_error_t jerr;
    json_t *root = json_loadb(c->resp ? c->resp : "", c->resp_len, 0, &jerr);
    char msg[EXCERPT_MAX + 4];
    if (!root) {
        excerpt(s, c->resp ? c->resp : "", c->resp_len, msg);
        return lt_err_set(err, LT_ERR_IO, "the embedding server at %s sent malformed JSON (%s): %s", s->shown, jerr.text,
                          msg[0] ? msg : "(empty body)");
    }
    int rc = -1;
    json_t *data = json_object_get(root, "data"), *item = NULL;
    if (!json_is_array(data)) {
        /* Some servers answer 200 with an error object. */
        error_excerpt(s, c->resp, c->resp_len, msg);
        lt_err_set(err, LT_ERR_IO, "the embedding server at %s sent no \"data\" array: %s", s->shown, msg);
        goto done;
    }
    /* One input, so one item; still prefer the one that says it is index 0. */
    size_t i;
    json_t *it;
    json_array_foreach(data, i, it) {
        json_t *idx = json_object_get(it, "index");
        if (!item && (!idx || json_integer_value(idx) == 0)) item = it;
    }
    if (!item) {
        lt_err_set(err, LT_ERR_IO, "the embedding server at %s sent %s", s->shown,
                   json_array_size(data) ? "no item with index 0 in \"data\"" : "an empty \"data\" array");
        goto done;
    }
    json_t *vec = json_object_get(item, "embedding");
    if (json_is_string(vec)) {
        lt_err_set(err, LT_ERR_IO, "the embedding server at %s sent a base64 embedding; ltmc needs a JSON array of numbers", s->shown);
        goto done;
    }
    if (!json_is_array(vec) || json_array_size(vec) == 0) {
        lt_err_set(err, LT_ERR_IO, "the embedding server at %s sent %s embedding", s->shown, json_is_array(vec) ? "an empty" : "no");
        goto done;
    }
    size_t n = json_array_size(vec);
    if (n > MAX_DIM) {
        lt_err_set(err, LT_ERR_IO, "the embedding server at %s sent %zu dimensions, more than the %d supported", s->shown, n, MAX_DIM);
        goto done;
    }
    if (s->dim && n != (size_t)s->dim) {
        lt_err_set(err, LT_ERR_CONFLICT,
                   "the embedding server at %s sent %zu dimensions instead of %d: did the model behind it change? "
                   "Restart ltmc to use the new model",
                   s->shown, n, s->dim);
        goto done;
    }
    json_array_foreach(vec, i, it) {
        if (!json_is_number(it)) {
            lt_err_set(err, LT_ERR_IO, "the embedding server at %s sent an embedding whose element %zu is not a number", s->shown, i);
            goto done;
        }
        float f = (float)json_number_value(it);
        if (!isfinite(f)) {
            lt_err_set(err, LT_ERR_IO, "the embedding server at %s sent an embedding whose element %zu is out of range", s->shown, i);
            goto done;
        }
        out[i] = f;
    }
    if (!s->dim) {
        s->dim = (int)n; /* the probe: open is still single-threaded here */
        const char *m = json_string_value(json_object_get(root, "model"));
        if (m) snprintf(s->server_model, sizeof s->server_model, "%s", m);
    }
    embed_normalise(out, s->dim);
    rc = 0;
done:
    json_decref(root);
    return rc;
}

static int embed_text(http_state *s, const char *text, size_t len, float *out, lt_err *err) {
    json_t *input = json_stringn(text, len);
    if (!input) return lt_err_set(err, LT_ERR_INVALID, "text to embed is not valid UTF-8");
    json_t *req = json_pack("{s:s, s:o}", "model", s->model, "input", input);
    char *body = req ? json_dumps(req, JSON_COMPACT) : NULL;
    json_decref(req);
    if (!body) return lt_err_set(err, LT_ERR_INTERNAL, "out of memory");
    conn *c = conn_get(s);
    if (!c) {
        free(body);
        return lt_err_set(err, LT_ERR_INTERNAL, "cannot set up an HTTP connection (out of memory?)");
    }
    bool transient;
    int rc = post_once(s, c, body, strlen(body), &transient, err);
    if (rc && transient) {
        sleep_ms(RETRY_BACKOFF_MS);
        rc = post_once(s, c, body, strlen(body), &transient, err);
        if (rc) lt_err_prefix(err, "after one retry");
    }
    if (rc == 0) rc = parse_answer(s, c, out, err);
    free(body);
    conn_put(s, c);
    return rc;
}

/* ---- the backend ------------------------------------------------------------- */

static int http_embed(void *state, const char *text, size_t len, float *out, lt_err *err) {
    http_state *s = state;
    assert(s->dim > 0);
    /* Servers reject empty input; no text means the zero vector, as for
     * the other backends. */
    if (len == 0) return 0;
    return embed_text(s, text, len, out, err);
}

static void http_info(const void *state, json_t *out) {
    const http_state *s = state;
    json_object_set_new(out, "url", json_string(s->shown));
    json_object_set_new(out, "model", json_string(s->model));
    if (s->server_model[0]) json_object_set_new(out, "server_model", json_string(s->server_model));
    json_object_set_new(out, "timeout_ms", json_integer(s->timeout_ms));
    json_object_set_new(out, "api_key_set", json_boolean(s->api_key != NULL));
}

static void wipe_free(char *p) {
    if (!p) return;
    explicit_bzero(p, strlen(p));
    free(p);
}

static void http_close(void *state) {
    http_state *s = state;
    if (!s) return;
    for (int i = 0; i < s->n_idle; i++) conn_free(s->idle[i]);
    for (struct curl_slist *h = s->headers; h; h = h->next) explicit_bzero(h->data, strlen(h->data));
    curl_slist_free_all(s->headers);
    free(s->endpoint);
    free(s->shown);
    free(s->model);
    wipe_free(s->api_key);
    pthread_mutex_destroy(&s->pool_lock);
    free(s);
}

static const embed_backend http_ops = {"http", http_embed, http_info, http_close};

/* Works out the endpoint from the configured base URL: ".../v1",
 * ".../v1/" and ".../v1/embeddings" all mean ".../v1/embeddings". The shown
 * form drops user, password, query and fragment, any of which may hold a
 * secret. */
static int set_urls(http_state *s, const char *base, lt_err *err) {
    CURLU *u = curl_url();
    char *scheme = NULL, *path = NULL, *full = NULL, *shown = NULL, *newpath = NULL;
    int rc = -1;
    if (!u) { lt_err_set(err, LT_ERR_INTERNAL, "out of memory"); goto done; }
    CURLUcode uc = curl_url_set(u, CURLUPART_URL, base, 0);
    if (uc != CURLUE_OK) {
        /* Not echoed: it may hold a password. */
        lt_err_set(err, LT_ERR_INVALID, "http_embedding_url is not a valid URL (%s); expected e.g. http://127.0.0.1:11434/v1",
                   curl_url_strerror(uc));
        goto done;
    }
    if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        (strcasecmp(scheme, "http") != 0 && strcasecmp(scheme, "https") != 0)) {
        lt_err_set(err, LT_ERR_INVALID, "http_embedding_url must start with http:// or https://");
        goto done;
    }
    if (curl_url_get(u, CURLUPART_PATH, &path, 0) != CURLUE_OK) { lt_err_set(err, LT_ERR_INTERNAL, "out of memory"); goto done; }
    size_t len = strlen(path);
    while (len > 0 && path[len - 1] == '/') len--;
    static const char suffix[] = "/embeddings";
    bool has = len >= sizeof suffix - 1 && memcmp(path + len - (sizeof suffix - 1), suffix, sizeof suffix - 1) == 0;
    if (asprintf(&newpath, "%.*s%s", (int)len, path, has ? "" : suffix) < 0) {
        newpath = NULL;
        lt_err_set(err, LT_ERR_INTERNAL, "out of memory");
        goto done;
    }
    if (curl_url_set(u, CURLUPART_PATH, newpath, 0) != CURLUE_OK || curl_url_get(u, CURLUPART_URL, &full, 0) != CURLUE_OK ||
        curl_url_set(u, CURLUPART_USER, NULL, 0) != CURLUE_OK || curl_url_set(u, CURLUPART_PASSWORD, NULL, 0) != CURLUE_OK ||
        curl_url_set(u, CURLUPART_QUERY, NULL, 0) != CURLUE_OK || curl_url_set(u, CURLUPART_FRAGMENT, NULL, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_URL, &shown, 0) != CURLUE_OK) {
        lt_err_set(err, LT_ERR_INVALID, "http_embedding_url cannot be turned into an endpoint URL");
        goto done;
    }
    s->endpoint = strdup(full);
    s->shown = strdup(shown);
    if (!s->endpoint || !s->shown) { lt_err_set(err, LT_ERR_INTERNAL, "out of memory"); goto done; }
    rc = 0;
done:
    if (full) explicit_bzero(full, strlen(full));
    curl_free(full);
    curl_free(shown);
    curl_free(path);
    curl_free(scheme);
    free(newpath);
    curl_url_cleanup(u);
    return rc;
}

static int set_headers(http_state *s, const char *key, lt_err *err) {
    static const char *const fixed[] = {
        "Content-Type: application/json",
        "Accept: application/json",
        "Expect:", /* no 100-continue round trip before each body */
    };
    for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++) {
        struct curl_slist *l = curl_slist_append(s->headers, fixed[i]);
        if (!l) return lt_err_set(err, LT_ERR_INTERNAL, "out of memory");
        s->headers = l;
    }
    if (!key || !*key) return 0;
    s->api_key = strdup(key);
    char *line = NULL;
    if (!s->api_key || asprintf(&line, "Authorization: Bearer %s", key) < 0) return lt_err_set(err, LT_ERR_INTERNAL, "out of memory");
    struct curl_slist *l = curl_slist_append(s->headers, line);
    wipe_free(line);
    if (!l) return lt_err_set(err, LT_ERR_INTERNAL, "out of memory");
    s->headers = l;
    return 0;
}

int http_backend_open(embedder *e, const embed_options *opt, lt_err *err) {
    if (!cf && !(cf = dynload_curl(err))) return -1;
    pthread_once(&curl_once, curl_init_once);
    if (curl_init_rc != CURLE_OK)
        return lt_err_set(err, LT_ERR_INTERNAL, "cannot initialise libcurl: %s", curl_easy_strerror(curl_init_rc));
    if (!opt->http_url || !*opt->http_url)
        return lt_err_set(err, LT_ERR_INVALID, "no embedding server configured: set http_embedding_url, e.g. http://127.0.0.1:11434/v1");
    if (!opt->http_model || !*opt->http_model)
        return lt_err_set(err, LT_ERR_INVALID, "no embedding model configured: set http_embedding_model, e.g. nomic-embed-text");
    if (strlen(opt->http_model) > MAX_MODEL)
        return lt_err_set(err, LT_ERR_INVALID, "http_embedding_model is longer than %d bytes", MAX_MODEL);
    json_t *probe_model = json_string(opt->http_model);
    if (!probe_model) return lt_err_set(err, LT_ERR_INVALID, "http_embedding_model is not valid UTF-8");
    json_decref(probe_model);
    const char *key = opt->http_api_key;
    if (key && strpbrk(key, "\r\n"))
        return lt_err_set(err, LT_ERR_INVALID, "http_embedding_api_key contains a line break");

    http_state *s = calloc(1, sizeof *s);
    if (!s) return lt_err_set(err, LT_ERR_INTERNAL, "out of memory");
    pthread_mutex_init(&s->pool_lock, NULL);
    s->timeout_ms = opt->http_timeout_ms > 0 ? opt->http_timeout_ms : DEFAULT_TIMEOUT_MS;
    s->model = strdup(opt->http_model);
    if (!s->model) { http_close(s); return lt_err_set(err, LT_ERR_INTERNAL, "out of memory"); }
    if (set_urls(s, opt->http_url, err) || set_headers(s, key, err)) { http_close(s); return -1; }

    float *probe = malloc(sizeof *probe * MAX_DIM);
    if (!probe) { http_close(s); return lt_err_set(err, LT_ERR_INTERNAL, "out of memory"); }
    int rc = embed_text(s, PROBE_TEXT, sizeof PROBE_TEXT - 1, probe, err);
    free(probe);
    if (rc) { http_close(s); return -1; }
    assert(s->dim > 0 && s->dim <= MAX_DIM);

    e->ops = &http_ops;
    e->state = s;
    e->dim = s->dim;
    snprintf(e->model_id, sizeof e->model_id, "http-%s-%dd", s->model, s->dim);
    return 0;
}
