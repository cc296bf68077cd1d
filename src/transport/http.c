#include "http.h"

#include "../core/clock.h"
#include "../core/jsonx.h"
#include "../core/log.h"
#include "../protocol/mcp.h"

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define ENDPOINT "/mcp"
#define MAX_SESSIONS 4096
#define SESSION_ID_BYTES 16
#define SHUTDOWN_GRACE_S 60

static const char *const http_versions[] = {"2025-11-25", "2025-06-18", "2025-03-26", NULL};

/* ---- addresses and tokens --------------------------------------------------------- */

int http_parse_addr(const char *text, http_addr *out, lt_err *err) {
    memset(out, 0, sizeof *out);
    if (!text || !*text) return lt_err_set(err, LT_ERR_INVALID, "http: the listen address is empty");
    const char *colon;
    size_t hlen;
    if (text[0] == '[') {
        const char *close = strchr(text, ']');
        if (!close || close[1] != ':')
            return lt_err_set(err, LT_ERR_INVALID, "http: \"%s\" is not [IPV6]:PORT", text);
        hlen = (size_t)(close - text - 1);
        memcpy(out->host, text + 1, hlen < sizeof out->host ? hlen : sizeof out->host - 1);
        colon = close + 1;
    } else {
        colon = strrchr(text, ':');
        if (!colon || colon == text) return lt_err_set(err, LT_ERR_INVALID, "http: \"%s\" is not HOST:PORT", text);
        hlen = (size_t)(colon - text);
        if (hlen >= sizeof out->host) return lt_err_set(err, LT_ERR_INVALID, "http: the host name is too long");
        memcpy(out->host, text, hlen);
    }
    const char *digits = colon + 1;
    size_t nd = strspn(digits, "0123456789");
    long port = nd && nd <= 5 && !digits[nd] ? strtol(digits, NULL, 10) : -1;
    if (port < 0 || port > 65535)
        return lt_err_set(err, LT_ERR_INVALID, "http: invalid port in \"%s\"", text);
    out->port = (int)port;
    struct in_addr a4;
    struct in6_addr a6;
    if (strcmp(out->host, "localhost") == 0) out->loopback = true;
    else if (inet_pton(AF_INET, out->host, &a4) == 1) out->loopback = (ntohl(a4.s_addr) >> 24) == 127;
    else if (inet_pton(AF_INET6, out->host, &a6) == 1) out->loopback = IN6_IS_ADDR_LOOPBACK(&a6);
    else out->loopback = false; /* a name that may resolve anywhere */
    return 0;
}

bool http_token_equal(const char *given, const char *expected) {
    size_t gl = strlen(given), el = strlen(expected);
    unsigned diff = (unsigned)(gl ^ el);
    /* Walks the expected token's length whatever was given. */
    for (size_t i = 0; i < el; i++) diff |= (unsigned char)expected[i] ^ (unsigned char)(i < gl ? given[i] : 0);
    return diff == 0;
}

/* ---- sessions ----------------------------------------------------------------- */

typedef struct {
    char id[SESSION_ID_BYTES * 2 + 1];
    mcp_session *session;
    int refs;      /* requests using it now */
    bool ended;    /* DELETEd: freed when the last user leaves */
    uint64_t used; /* last use, for evicting idle sessions when the table is full */
} http_session;

/* ---- the server ----------------------------------------------------------------- */

typedef struct {
    const settings *cfg;
    memory_engine *mem;
    http_addr addr;
    const char *token;
    char **hosts, **origins; /* allowed, NULL-terminated; "*" allows any */
    size_t max_body;

    pthread_mutex_t lock; /* sessions, inflight, stopping */
    http_session *sessions[MAX_SESSIONS];
    size_t n_sessions;

    /* The store pool has a lock of its own, apart from the sessions':
     * every call takes a store and gives it back. */
    pthread_mutex_t pool_lock;
    store **stores;
    size_t n_stores;
    size_t *free_stores; /* indexes of the idle stores; the last released on top */
    size_t n_free;
    struct pool_waiter *wait_head, *wait_tail; /* calls waiting for a store, first come first */

    pthread_cond_t idle; /* signalled when inflight drops to 0 */
    size_t inflight;     /* requests begun and not yet completed (response sent or dropped) */
    bool stopping;       /* a stop signal came: new requests get 503 */
} server;

typedef struct {
    char *buf;
    size_t len, cap;
    bool too_big;
    bool refused; /* arrived after a stop signal */
} upload;

static void random_id(char *out) {
    unsigned char b[SESSION_ID_BYTES];
    size_t got = 0;
    while (got < sizeof b) {
        ssize_t n = getrandom(b + got, sizeof b - got, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            abort(); /* no entropy: a guessable session id would be worse than stopping */
        }
        got += (size_t)n;
    }
    for (size_t i = 0; i < sizeof b; i++) sprintf(out + 2 * i, "%02x", b[i]);
}

static void session_release(server *sv, http_session *hs) {
    pthread_mutex_lock(&sv->lock);
    bool drop = --hs->refs == 0 && hs->ended;
    pthread_mutex_unlock(&sv->lock);
    if (drop) {
        mcp_session_free(hs->session);
        free(hs);
    }
}

/* Removes sessions[i] from the table; frees it when unused. Lock held. */
static http_session *unlink_session(server *sv, size_t i) {
    http_session *hs = sv->sessions[i];
    sv->sessions[i] = sv->sessions[--sv->n_sessions];
    hs->ended = true;
    return hs->refs == 0 ? hs : NULL;
}

static http_session *session_new(server *sv) {
    http_session *hs = calloc(1, sizeof *hs);
    if (!hs) return NULL;
    hs->session = mcp_session_new(sv->cfg, sv->mem);
    if (!hs->session) {
        free(hs);
        return NULL;
    }
    random_id(hs->id);
    hs->refs = 1;
    hs->used = clock_mono_ns();
    http_session *evicted = NULL;
    pthread_mutex_lock(&sv->lock);
    if (sv->n_sessions == MAX_SESSIONS) { /* evict the least recently used idle session */
        size_t best = SIZE_MAX;
        for (size_t i = 0; i < sv->n_sessions; i++)
            if (sv->sessions[i]->refs == 0 && (best == SIZE_MAX || sv->sessions[i]->used < sv->sessions[best]->used))
                best = i;
        if (best != SIZE_MAX) evicted = unlink_session(sv, best);
    }
    bool ok = sv->n_sessions < MAX_SESSIONS;
    if (ok) sv->sessions[sv->n_sessions++] = hs;
    pthread_mutex_unlock(&sv->lock);
    if (evicted) {
        mcp_session_free(evicted->session);
        free(evicted);
    }
    if (!ok) {
        mcp_session_free(hs->session);
        free(hs);
        return NULL;
    }
    return hs;
}

/* Finds a live session and takes a reference, or NULL. */
static http_session *session_get(server *sv, const char *id) {
    http_session *found = NULL;
    pthread_mutex_lock(&sv->lock);
    for (size_t i = 0; i < sv->n_sessions; i++) {
        if (strcmp(sv->sessions[i]->id, id) == 0) {
            found = sv->sessions[i];
            found->refs++;
            found->used = clock_mono_ns();
            break;
        }
    }
    pthread_mutex_unlock(&sv->lock);
    return found;
}

static bool session_end(server *sv, const char *id) {
    http_session *drop = NULL;
    bool found = false;
    pthread_mutex_lock(&sv->lock);
    for (size_t i = 0; i < sv->n_sessions; i++) {
        if (strcmp(sv->sessions[i]->id, id) == 0) {
            found = true;
            mcp_session_abort(sv->sessions[i]->session); /* its calls stop waiting for the client */
            drop = unlink_session(sv, i);
            break;
        }
    }
    pthread_mutex_unlock(&sv->lock);
    if (drop) {
        mcp_session_free(drop->session);
        free(drop);
    }
    return found;
}

/* A call waiting for a store: store_release hands one over directly, in
 * the order the calls came, so that under load no call waits while later
 * ones overtake it (with one shared condition, whichever thread woke first
 * took the store, and the unlucky made the latency tail). */
typedef struct pool_waiter {
    pthread_cond_t ready;
    size_t got; /* SIZE_MAX until handed a store */
    struct pool_waiter *next;
} pool_waiter;

static size_t store_acquire(server *sv) {
    pthread_mutex_lock(&sv->pool_lock);
    if (sv->n_free) { /* the most recently used: its page cache is the warmest */
        size_t i = sv->free_stores[--sv->n_free];
        pthread_mutex_unlock(&sv->pool_lock);
        return i;
    }
    pool_waiter w = {.got = SIZE_MAX};
    pthread_cond_init(&w.ready, NULL);
    if (sv->wait_tail) sv->wait_tail->next = &w;
    else sv->wait_head = &w;
    sv->wait_tail = &w;
    while (w.got == SIZE_MAX) pthread_cond_wait(&w.ready, &sv->pool_lock);
    pthread_mutex_unlock(&sv->pool_lock);
    pthread_cond_destroy(&w.ready);
    return w.got;
}

static void store_release(server *sv, size_t i) {
    pthread_mutex_lock(&sv->pool_lock);
    pool_waiter *w = sv->wait_head;
    if (w) {
        sv->wait_head = w->next;
        if (!sv->wait_head) sv->wait_tail = NULL;
        w->got = i;
        pthread_cond_signal(&w->ready);
    } else {
        assert(sv->n_free < sv->n_stores);
        sv->free_stores[sv->n_free++] = i;
    }
    pthread_mutex_unlock(&sv->pool_lock);
}

/* ---- allow lists -------------------------------------------------------------- */

static char **split_list(const char *text) {
    size_t n = 1;
    for (const char *p = text; *p; p++) n += *p == ',';
    char **out = calloc(n + 1, sizeof *out);
    if (!out) return NULL;
    size_t k = 0;
    const char *p = text;
    while (*p) {
        while (*p == ' ' || *p == ',') p++;
        const char *e = p;
        while (*e && *e != ',') e++;
        const char *t = e;
        while (t > p && t[-1] == ' ') t--;
        if (t > p) out[k++] = strndup(p, (size_t)(t - p));
        p = e;
    }
    return out;
}

static void free_list(char **l) {
    for (size_t i = 0; l && l[i]; i++) free(l[i]);
    free(l);
}

/* The host part of a Host header value ("name:port", "[v6]:port"), lower-cased. */
static void host_only(const char *value, char *out, size_t len) {
    size_t n = 0;
    if (value[0] == '[') {
        const char *close = strchr(value, ']');
        n = close ? (size_t)(close - value + 1) : strlen(value);
    } else {
        const char *colon = strchr(value, ':');
        n = colon ? (size_t)(colon - value) : strlen(value);
    }
    if (n >= len) n = len - 1;
    for (size_t i = 0; i < n; i++) out[i] = (char)(value[i] >= 'A' && value[i] <= 'Z' ? value[i] + 32 : value[i]);
    out[n] = '\0';
}

static bool listed(char **list, const char *item) {
    for (size_t i = 0; list && list[i]; i++)
        if (strcmp(list[i], "*") == 0 || strcasecmp(list[i], item) == 0) return true;
    return false;
}

static bool host_allowed(server *sv, const char *host_header) {
    if (!host_header || !*host_header) return false;
    char h[300];
    host_only(host_header, h, sizeof h);
    return listed(sv->hosts, h);
}

/* An Origin is allowed when listed as a whole ("http://app.example:8080")
 * or when its host is an allowed Host ("http://localhost:5173"). */
static bool origin_allowed(server *sv, const char *origin) {
    if (!origin) return true; /* non-browser clients send none */
    if (listed(sv->origins, origin)) return true;
    const char *sep = strstr(origin, "://");
    if (!sep) return false;
    char h[300];
    host_only(sep + 3, h, sizeof h);
    char *slash = strchr(h, '/');
    if (slash) *slash = '\0';
    return listed(sv->hosts, h);
}

/* ---- responses ------------------------------------------------------------------ */

static enum MHD_Result send_text(struct MHD_Connection *c, unsigned status, const char *type, char *body /* freed */,
                                 const char *session_id, const char *extra_name, const char *extra_value) {
    struct MHD_Response *r =
        MHD_create_response_from_buffer(body ? strlen(body) : 0, body ? body : (void *)"", body ? MHD_RESPMEM_MUST_FREE
                                                                                             : MHD_RESPMEM_PERSISTENT);
    if (!r) {
        free(body);
        return MHD_NO;
    }
    if (type) MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    if (session_id) MHD_add_response_header(r, "Mcp-Session-Id", session_id);
    if (extra_name) MHD_add_response_header(r, extra_name, extra_value);
    enum MHD_Result ok = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ok;
}

static enum MHD_Result send_json(struct MHD_Connection *c, unsigned status, json_t *msg /* stolen */,
                                 const char *session_id) {
    char *text = jx_dump(msg);
    json_decref(msg);
    return send_text(c, status, "application/json", text, session_id, NULL, NULL);
}

/* An id-less JSON-RPC error as text. */
static char *error_text(int code, const char *message) {
    json_t *e = mcp_error_response(NULL, code, message);
    char *text = jx_dump(e);
    json_decref(e);
    return text;
}

/* An HTTP-level refusal with an id-less JSON-RPC error body. */
static enum MHD_Result refuse(struct MHD_Connection *c, unsigned status, int code, const char *message) {
    return send_json(c, status, mcp_error_response(NULL, code, message), NULL);
}

static const char *header(struct MHD_Connection *c, const char *name) {
    return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

static bool supported_version(const char *v) {
    for (const char *const *p = http_versions; *p; p++)
        if (strcmp(*p, v) == 0) return true;
    return false;
}

/* ---- live SSE streams ------------------------------------------------------------ */

/* A POST answered with an SSE stream: a call thread runs the request and
 * appends each message (notifications, requests to the client, then the
 * response) as an event; the connection's thread, in MHD's content reader,
 * sends them as they come. Owned by both until each lets go. */
typedef struct {
    server *sv;
    http_session *hs;
    mcp_msg *m;
    pthread_mutex_t lock;
    pthread_cond_t more;
    char *buf; /* events not yet handed to MHD: buf[off..len) */
    size_t len, off, cap;
    bool done; /* the call ended: after buf, the stream ends */
    int refs;
} sse_stream;

static void stream_unref(sse_stream *st) {
    pthread_mutex_lock(&st->lock);
    bool last = --st->refs == 0;
    pthread_mutex_unlock(&st->lock);
    if (!last) return;
    pthread_mutex_destroy(&st->lock);
    pthread_cond_destroy(&st->more);
    free(st->buf);
    free(st);
}

/* Appends text (freed) as one "message" event. */
static void stream_send_text(sse_stream *st, char *text) {
    if (!text) return;
    size_t tl = strlen(text);
    pthread_mutex_lock(&st->lock);
    size_t need = st->len + tl + 32;
    if (need > st->cap) {
        size_t cap = st->cap ? st->cap : 1024;
        while (cap < need) cap *= 2;
        char *nb = realloc(st->buf, cap);
        if (nb) {
            st->buf = nb;
            st->cap = cap;
        }
    }
    if (need <= st->cap) {
        st->len += (size_t)sprintf(st->buf + st->len, "event: message\ndata: %s\n\n", text);
        pthread_cond_signal(&st->more);
    }
    pthread_mutex_unlock(&st->lock);
    free(text);
}

/* The sink: appends msg (stolen) as one event. */
static void stream_send(void *arg, json_t *msg) {
    char *text = jx_dump(msg);
    json_decref(msg);
    stream_send_text(arg, text);
}

/* MHD asks for more of the body: waits for the next events or the end. */
static ssize_t stream_read(void *cls, uint64_t pos, char *out, size_t max) {
    (void)pos;
    sse_stream *st = cls;
    pthread_mutex_lock(&st->lock);
    while (st->off == st->len && !st->done) pthread_cond_wait(&st->more, &st->lock);
    ssize_t n = MHD_CONTENT_READER_END_OF_STREAM;
    if (st->off < st->len) {
        size_t k = st->len - st->off < max ? st->len - st->off : max;
        memcpy(out, st->buf + st->off, k);
        st->off += k;
        if (st->off == st->len) st->off = st->len = 0;
        n = (ssize_t)k;
    }
    pthread_mutex_unlock(&st->lock);
    return n;
}

static void stream_free(void *cls) { stream_unref(cls); }

static void session_release(server *sv, http_session *hs);
static size_t store_acquire(server *sv);
static void store_release(server *sv, size_t i);

static void *stream_call(void *arg) {
    sse_stream *st = arg;
    server *sv = st->sv;
    size_t w = store_acquire(sv);
    mcp_sink sink = {stream_send, st};
    char *resp = mcp_handle_text(st->hs->session, sv->stores[w], st->m, &sink);
    store_release(sv, w);
    mcp_msg_free(st->m);
    session_release(sv, st->hs);
    stream_send_text(st, resp); /* none when the client cancelled: the stream just ends */
    pthread_mutex_lock(&st->lock);
    st->done = true;
    pthread_cond_signal(&st->more);
    pthread_mutex_unlock(&st->lock);
    stream_unref(st);
    pthread_mutex_lock(&sv->lock);
    if (--sv->inflight == 0) pthread_cond_broadcast(&sv->idle);
    pthread_mutex_unlock(&sv->lock);
    return NULL;
}

/* Starts m (tracked, holding a reference on hs) on its own thread and
 * answers the POST with its live event stream. Returns false, having done
 * nothing, when there is no memory for the stream: the caller then answers
 * with JSON. */
static bool answer_streaming(server *sv, struct MHD_Connection *c, http_session *hs, mcp_msg *m,
                             enum MHD_Result *result) {
    sse_stream *st = calloc(1, sizeof *st);
    struct MHD_Response *r = NULL;
    if (st) {
        st->sv = sv;
        st->hs = hs;
        st->m = m;
        st->refs = 2; /* the call thread and the response */
        pthread_mutex_init(&st->lock, NULL);
        pthread_cond_init(&st->more, NULL);
        r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16 * 1024, stream_read, st, stream_free);
    }
    if (!r) {
        if (st) {
            pthread_mutex_destroy(&st->lock);
            pthread_cond_destroy(&st->more);
            free(st);
        }
        return false;
    }
    pthread_mutex_lock(&sv->lock);
    sv->inflight++; /* the call thread is in flight until it ends, even if the client leaves first */
    pthread_mutex_unlock(&sv->lock);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_t t;
    int rc = pthread_create(&t, &attr, stream_call, st);
    pthread_attr_destroy(&attr);
    if (rc != 0) { /* run it here instead; the events then go out together */
        LOG_W("cannot start a call thread (%s); answering after the call", strerror(rc));
        stream_call(st);
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream");
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
    *result = MHD_queue_response(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r); /* MHD keeps its own reference; stream_free runs when it is done with it */
    return true;
}

/* ---- POST /mcp ------------------------------------------------------------------ */

static enum MHD_Result handle_post(server *sv, struct MHD_Connection *c, upload *up) {
    const char *ctype = header(c, MHD_HTTP_HEADER_CONTENT_TYPE);
    if (!ctype || strncasecmp(ctype, "application/json", 16) != 0)
        return refuse(c, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, RPC_INVALID_REQUEST,
                      "Unsupported Media Type: Content-Type must be application/json");
    const char *accept = header(c, MHD_HTTP_HEADER_ACCEPT);
    if (accept && !strstr(accept, "application/json") && !strstr(accept, "*/*") &&
        !strstr(accept, "text/event-stream"))
        return refuse(c, MHD_HTTP_NOT_ACCEPTABLE, RPC_INVALID_REQUEST,
                      "Not Acceptable: the client must accept application/json and text/event-stream");
    if (up->too_big)
        return refuse(c, MHD_HTTP_CONTENT_TOO_LARGE, RPC_INVALID_REQUEST, "Invalid Request: message too large");
    const char *pv = header(c, "MCP-Protocol-Version");
    if (pv && !supported_version(pv)) {
        char msg[200];
        snprintf(msg, sizeof msg, "Bad Request: unsupported MCP-Protocol-Version %.60s (supported: %s, %s, %s)", pv,
                 http_versions[0], http_versions[1], http_versions[2]);
        return refuse(c, MHD_HTTP_BAD_REQUEST, RPC_INVALID_REQUEST, msg);
    }
    json_t *reply = NULL;
    mcp_msg *m = mcp_parse(up->buf ? up->buf : "", up->len, &reply);
    if (!m) {
        if (reply) return send_json(c, MHD_HTTP_BAD_REQUEST, reply, NULL);
        return send_text(c, MHD_HTTP_ACCEPTED, NULL, NULL, NULL, NULL, NULL); /* a response to us */
    }
    bool is_init = mcp_msg_kind_of(m) == MCP_MSG_REQUEST && strcmp(mcp_msg_method(m), "initialize") == 0;
    http_session *hs;
    if (is_init) {
        hs = session_new(sv);
        if (!hs) {
            mcp_msg_free(m);
            return refuse(c, MHD_HTTP_SERVICE_UNAVAILABLE, RPC_INTERNAL_ERROR, "Service Unavailable: too many sessions");
        }
    } else {
        const char *sid = header(c, "Mcp-Session-Id");
        if (!sid) {
            mcp_msg_free(m);
            return refuse(c, MHD_HTTP_BAD_REQUEST, RPC_INVALID_REQUEST,
                          "Bad Request: Mcp-Session-Id header is required (initialize first)");
        }
        hs = session_get(sv, sid);
        if (!hs) {
            mcp_msg_free(m);
            return refuse(c, MHD_HTTP_NOT_FOUND, RPC_INVALID_REQUEST,
                          "Not Found: unknown or terminated session; initialize again");
        }
    }
    json_t *resp;
    /* A call that may send messages before its response (progress, log
     * messages, requests to the client) streams them live over SSE when the
     * client takes it; anything else is answered with plain JSON, here. */
    bool sse = accept && strstr(accept, "text/event-stream");
    if (mcp_msg_is_control(m)) {
        resp = mcp_handle(hs->session, NULL, m);
    } else {
        mcp_track(hs->session, m);
        enum MHD_Result streamed;
        if (sse && !is_init && mcp_may_stream(hs->session, m) && answer_streaming(sv, c, hs, m, &streamed))
            return streamed;
        size_t w = store_acquire(sv);
        if (!is_init) { /* the common case: straight to text */
            char *text = mcp_handle_text(hs->session, sv->stores[w], m, NULL);
            store_release(sv, w);
            mcp_msg_free(m);
            session_release(sv, hs);
            if (!text) return send_text(c, MHD_HTTP_ACCEPTED, NULL, NULL, NULL, NULL, NULL); /* cancelled */
            return send_text(c, MHD_HTTP_OK, "application/json", text, NULL, NULL, NULL);
        }
        resp = mcp_handle(hs->session, sv->stores[w], m);
        store_release(sv, w);
    }
    mcp_msg_free(m);
    char sid[sizeof hs->id];
    memcpy(sid, hs->id, sizeof sid);
    session_release(sv, hs);
    if (is_init && (!resp || json_object_get(resp, "error"))) { /* a failed initialize opens no session */
        session_end(sv, sid);
        is_init = false;
    }
    if (!resp) return send_text(c, MHD_HTTP_ACCEPTED, NULL, NULL, is_init ? sid : NULL, NULL, NULL);
    return send_json(c, MHD_HTTP_OK, resp, is_init ? sid : NULL);
}

/* ---- the access handler --------------------------------------------------------- */

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls) {
    (void)version;
    server *sv = cls;
    upload *up = *con_cls;
    if (!up) {
        up = calloc(1, sizeof *up);
        if (!up) return MHD_NO;
        *con_cls = up;
        pthread_mutex_lock(&sv->lock);
        sv->inflight++;
        up->refused = sv->stopping;
        pthread_mutex_unlock(&sv->lock);
        return MHD_YES;
    }
    if (*upload_data_size) { /* more of the body */
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (up->too_big) return MHD_YES;
        if (up->len + n > sv->max_body) {
            up->too_big = true;
            free(up->buf);
            up->buf = NULL;
            up->len = up->cap = 0;
            return MHD_YES;
        }
        if (up->len + n + 1 > up->cap) {
            /* Sized by Content-Length when sent (requests are mostly a few
             * hundred bytes) rather than a fixed 4 KiB, which glibc serves as
             * a "large" request, past its per-thread cache. */
            const char *cl = header(c, MHD_HTTP_HEADER_CONTENT_LENGTH);
            size_t want = cl ? (size_t)strtoull(cl, NULL, 10) + 1 : 0;
            size_t cap = up->cap ? up->cap * 2 : want > n + 1 && want <= sv->max_body + 1 ? want : 512;
            while (cap < up->len + n + 1) cap *= 2;
            char *nb = realloc(up->buf, cap);
            if (!nb) return MHD_NO;
            up->buf = nb;
            up->cap = cap;
        }
        memcpy(up->buf + up->len, upload_data, n);
        up->len += n;
        up->buf[up->len] = '\0';
        return MHD_YES;
    }
    /* The whole request is here. */
    if (up->refused)
        return send_text(c, MHD_HTTP_SERVICE_UNAVAILABLE, "application/json",
                         error_text(RPC_INTERNAL_ERROR, "Service Unavailable: the server is shutting down"), NULL,
                         MHD_HTTP_HEADER_CONNECTION, "close");
    if (!host_allowed(sv, header(c, MHD_HTTP_HEADER_HOST)))
        return refuse(c, MHD_HTTP_FORBIDDEN, RPC_INVALID_REQUEST, "Forbidden: Host not allowed");
    if (!origin_allowed(sv, header(c, "Origin")))
        return refuse(c, MHD_HTTP_FORBIDDEN, RPC_INVALID_REQUEST, "Forbidden: Origin not allowed");
    if (strcmp(url, ENDPOINT) != 0)
        return refuse(c, MHD_HTTP_NOT_FOUND, RPC_INVALID_REQUEST, "Not Found: the MCP endpoint is " ENDPOINT);
    if (sv->token) {
        const char *auth = header(c, MHD_HTTP_HEADER_AUTHORIZATION);
        bool ok = auth && strncasecmp(auth, "Bearer ", 7) == 0 && http_token_equal(auth + 7, sv->token);
        if (!ok)
            return send_text(c, MHD_HTTP_UNAUTHORIZED, "application/json",
                             error_text(RPC_INVALID_REQUEST, "Unauthorized: a valid bearer token is required"), NULL,
                             MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
    }
    if (strcmp(method, "POST") == 0) return handle_post(sv, c, up);
    if (strcmp(method, "DELETE") == 0) {
        const char *sid = header(c, "Mcp-Session-Id");
        if (!sid)
            return refuse(c, MHD_HTTP_BAD_REQUEST, RPC_INVALID_REQUEST, "Bad Request: Mcp-Session-Id header is required");
        if (!session_end(sv, sid))
            return refuse(c, MHD_HTTP_NOT_FOUND, RPC_INVALID_REQUEST, "Not Found: unknown or terminated session");
        return send_text(c, MHD_HTTP_OK, NULL, NULL, NULL, NULL, NULL);
    }
    return send_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "application/json",
                     error_text(RPC_INVALID_REQUEST, "Method Not Allowed: POST to send messages, DELETE to end a "
                                                     "session; this server opens no server-initiated stream"),
                     NULL, MHD_HTTP_HEADER_ALLOW, "POST, DELETE");
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode why) {
    (void)c;
    (void)why;
    server *sv = cls;
    upload *up = *con_cls;
    if (up) {
        free(up->buf);
        free(up);
        pthread_mutex_lock(&sv->lock);
        if (--sv->inflight == 0) pthread_cond_broadcast(&sv->idle);
        pthread_mutex_unlock(&sv->lock);
    }
    *con_cls = NULL;
}

/* ---- start and stop ------------------------------------------------------------- */

static int resolve(const http_addr *a, struct sockaddr_storage *ss, socklen_t *len, bool *v6, lt_err *err) {
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    char port[16];
    snprintf(port, sizeof port, "%d", a->port);
    int rc = getaddrinfo(a->host, port, &hints, &res);
    if (rc != 0 || !res) return lt_err_set(err, LT_ERR_INVALID, "http: cannot resolve %s: %s", a->host, gai_strerror(rc));
    /* localhost may resolve to ::1 first; either is loopback. */
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    *len = res->ai_addrlen;
    *v6 = res->ai_family == AF_INET6;
    freeaddrinfo(res);
    return 0;
}

int http_serve(const settings *cfg, store **stores, size_t n_stores, memory_engine *mem, lt_err *err) {
    server *sv = calloc(1, sizeof *sv);
    if (!sv) return lt_err_set(err, LT_ERR_INTERNAL, "out of memory");
    int rc = -1;
    struct MHD_Daemon *d = NULL;
    sv->cfg = cfg;
    sv->mem = mem;
    sv->stores = stores;
    sv->n_stores = n_stores;
    sv->free_stores = calloc(n_stores, sizeof *sv->free_stores);
    for (size_t i = 0; i < n_stores && sv->free_stores; i++) sv->free_stores[sv->n_free++] = n_stores - 1 - i;
    sv->max_body = (size_t)settings_int(cfg, SET_MAX_MESSAGE_MB) * 1024 * 1024;
    pthread_mutex_init(&sv->lock, NULL);
    pthread_mutex_init(&sv->pool_lock, NULL);
    pthread_cond_init(&sv->idle, NULL);
    if (!sv->free_stores) {
        lt_err_set(err, LT_ERR_INTERNAL, "out of memory");
        goto out;
    }
    if (http_parse_addr(settings_str(cfg, SET_HTTP), &sv->addr, err)) goto out;
    sv->token = settings_str(cfg, SET_HTTP_AUTH_TOKEN);
    if (!sv->addr.loopback && !sv->token) {
        lt_err_set(err, LT_ERR_INVALID,
                   "http: %s is not a loopback address; set http_auth_token (LTMC_HTTP_AUTH_TOKEN) so that only "
                   "clients with the token can reach your memories",
                   sv->addr.host);
        goto out;
    }
    const char *hosts = settings_str(cfg, SET_HTTP_ALLOWED_HOSTS);
    if (hosts) {
        sv->hosts = split_list(hosts);
    } else {
        /* Loopback names, plus the bound address itself when it is not loopback. */
        char def[400];
        bool v6 = strchr(sv->addr.host, ':') != NULL;
        snprintf(def, sizeof def, "localhost,127.0.0.1,[::1]%s%s%s%s", sv->addr.loopback ? "" : ",",
                 sv->addr.loopback ? "" : (v6 ? "[" : ""), sv->addr.loopback ? "" : sv->addr.host,
                 sv->addr.loopback ? "" : (v6 ? "]" : ""));
        sv->hosts = split_list(def);
    }
    const char *origins = settings_str(cfg, SET_HTTP_ALLOWED_ORIGINS);
    sv->origins = origins ? split_list(origins) : calloc(1, sizeof(char *));
    if (!sv->hosts || !sv->origins) {
        lt_err_set(err, LT_ERR_INTERNAL, "out of memory");
        goto out;
    }

    struct sockaddr_storage ss;
    socklen_t sslen;
    bool v6 = false;
    if (resolve(&sv->addr, &ss, &sslen, &v6, err)) goto out;

    /* Signals go to the thread that waits for them below, never to MHD's. */
    sigset_t stop, old;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop, &old);
    signal(SIGPIPE, SIG_IGN);
    unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG |
                     MHD_USE_ITC | (v6 ? MHD_USE_IPv6 : 0);
    unsigned max_conn = (unsigned)settings_int(cfg, SET_HTTP_MAX_CONNECTIONS);
    d = MHD_start_daemon(flags, (uint16_t)sv->addr.port, NULL, NULL, on_request, sv, MHD_OPTION_SOCK_ADDR, &ss,
                         MHD_OPTION_NOTIFY_COMPLETED, on_completed, sv, MHD_OPTION_CONNECTION_LIMIT, max_conn,
                         MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)300, MHD_OPTION_END);
    if (!d) {
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        lt_err_set(err, LT_ERR_IO, "http: cannot listen on %s:%d (%s)", sv->addr.host, sv->addr.port,
                   errno ? strerror(errno) : "libmicrohttpd refused");
        goto out;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    int port = info ? info->port : sv->addr.port;
    fprintf(stderr, "ltmc: listening on http://%s%s%s:%d" ENDPOINT " (%zu workers%s)\n", v6 ? "[" : "", sv->addr.host,
            v6 ? "]" : "", port, n_stores, sv->token ? ", bearer token required" : "");
    fflush(stderr);
    int sig = 0;
    while (sigwait(&stop, &sig) != 0) {
    }
    LOG_I("stopping on signal %d: finishing in-flight calls", sig);
    /* Stop accepting; let every request in progress run to its end and its
     * response go out (bounded, in case a client never reads it); only then
     * close the connections. */
    MHD_socket lfd = MHD_quiesce_daemon(d);
    if (lfd != MHD_INVALID_SOCKET) close(lfd);
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += SHUTDOWN_GRACE_S;
    pthread_mutex_lock(&sv->lock);
    sv->stopping = true;
    /* A call waiting for a client's answer would hold the shutdown up. */
    for (size_t i = 0; i < sv->n_sessions; i++) mcp_session_abort(sv->sessions[i]->session);
    while (sv->inflight > 0)
        if (pthread_cond_timedwait(&sv->idle, &sv->lock, &until) != 0) break;
    size_t left = sv->inflight;
    pthread_mutex_unlock(&sv->lock);
    if (left) LOG_W("%zu requests still open after %d s; closing them", left, SHUTDOWN_GRACE_S);
    MHD_stop_daemon(d);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    rc = 0;
out:
    for (size_t i = 0; i < sv->n_sessions; i++) {
        mcp_session_free(sv->sessions[i]->session);
        free(sv->sessions[i]);
    }
    free_list(sv->hosts);
    free_list(sv->origins);
    free(sv->free_stores);
    pthread_mutex_destroy(&sv->lock);
    pthread_mutex_destroy(&sv->pool_lock);
    pthread_cond_destroy(&sv->idle);
    free(sv);
    return rc;
}
