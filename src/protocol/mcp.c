#include "mcp.h"

#include "../core/clock.h"
#include "../core/jsonx.h"
#include "../core/log.h"
#include "../tools/tool.h"
#include "../version.h"
#include "fixtures.h"

#include <assert.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const supported_versions[] = {"2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05", NULL};

static const char *const instructions =
    "ltmc is your long-term memory across conversations: memory_action stores documents, decisions and insights "
    "and retrieves them by meaning and by words; todo_action and chat_action keep per-project tasks and "
    "conversation history in a local database that outlives this session. Search memory_action retrieve before "
    "starting work and store what you learn as you go, so a later session can pick up where this one stopped.";

struct mcp_msg {
    json_t *root;
    json_t *id; /* borrowed from root; NULL for notifications */
    const char *method;
    json_t *params;
    mcp_msg_kind kind;
    atomic_int cancelled;
    char *idkey; /* the id as compact JSON, so "7" and 7 differ */
    mcp_msg *next_tracked;
};

/* A request we sent the client, waiting for its answer. */
typedef struct pending {
    json_int_t id;
    json_t *reply; /* the client's response message, once it came */
    struct pending *next;
} pending;

struct mcp_session {
    const settings *cfg;
    memory_engine *mem;
    pthread_mutex_t lock; /* tracked, pending, aborted */
    pthread_cond_t replied; /* broadcast when a reply comes, a call is cancelled, or the session aborts */
    mcp_msg *tracked;
    pending *pending;
    json_int_t next_request_id;
    bool aborted;
    atomic_bool can_sampling, can_elicitation, can_roots; /* the client's declared capabilities */
    char version[32];
    bool initialized;
    bool fixtures;       /* conformance fixture mode */
    atomic_int log_min;  /* least severe level the client wants (logging/setLevel), index into log_levels */
};

/* RFC 5424 levels, least severe first (MCP logging). */
static const char *const log_levels[] = {"debug", "info", "notice", "warning", "error", "critical", "alert",
                                         "emergency", NULL};

mcp_session *mcp_session_new(const settings *cfg, memory_engine *mem) {
    mcp_session *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->cfg = cfg;
    s->mem = mem;
    s->fixtures = cfg && settings_bool(cfg, SET_CONFORMANCE_FIXTURES);
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->replied, NULL);
    return s;
}

void mcp_session_free(mcp_session *s) {
    if (!s) return;
    assert(!s->pending && "a call still waits on the client");
    pthread_cond_destroy(&s->replied);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

const char *mcp_session_version(const mcp_session *s) { return s->version[0] ? s->version : NULL; }

json_t *mcp_error_response(const json_t *id, int code, const char *message) {
    char *text = strdup(message);
    if (text) jx_utf8_repair(text); /* a truncated name must not cost the whole response */
    json_t *r = json_pack("{s:s, s:O, s:{s:i, s:s}}", "jsonrpc", "2.0", "id", id ? id : json_null(), "error", "code",
                          code, "message", text ? text : "Internal error");
    free(text);
    return r;
}

static json_t *result_response(const json_t *id, json_t *result /* stolen */) {
    return json_pack("{s:s, s:O, s:o}", "jsonrpc", "2.0", "id", id, "result", result);
}

/* ---- parsing ---------------------------------------------------------------- */

static bool valid_id(const json_t *id) { return json_is_string(id) || json_is_integer(id); }

/* Valid JSON that jansson refuses only because a number exceeds 64 bits
 * still names its request: reading it with numbers as doubles recovers the
 * id, so the client gets an answer instead of waiting for a timeout. */
static json_t *read_id_anyway(const char *buf, size_t len) {
    json_t *root = json_loadb(buf, len, JSON_DECODE_INT_AS_REAL, NULL);
    json_t *id = json_object_get(root, "id"), *out = NULL;
    if (json_is_string(id)) {
        out = json_string(json_string_value(id));
    } else if (json_is_real(id)) {
        double d = json_real_value(id);
        if (d > -9e15 && d < 9e15 && d == (double)(json_int_t)d) out = json_integer((json_int_t)d);
    }
    json_decref(root);
    return out; /* a new reference, or NULL */
}

mcp_msg *mcp_parse(const char *buf, size_t len, json_t **reply) {
    *reply = NULL;
    char why[256];
    json_t *root = jx_parse(buf, len, why, sizeof why);
    if (!root) {
        char msg[300];
        snprintf(msg, sizeof msg, "Parse error: %s", why);
        json_t *id = read_id_anyway(buf, len);
        *reply = mcp_error_response(id, RPC_PARSE_ERROR, msg);
        json_decref(id);
        return NULL;
    }
    if (json_is_array(root)) {
        json_decref(root);
        *reply = mcp_error_response(NULL, RPC_INVALID_REQUEST,
                                    "Invalid Request: JSON-RPC batches are not supported (removed in MCP 2025-06-18)");
        return NULL;
    }
    if (!json_is_object(root)) {
        json_decref(root);
        *reply = mcp_error_response(NULL, RPC_INVALID_REQUEST, "Invalid Request: a message must be a JSON object");
        return NULL;
    }
    json_t *id = json_object_get(root, "id");
    bool has_id = id != NULL;
    const json_t *reply_id = valid_id(id) ? id : NULL;
    const char *invalid = NULL;
    json_t *method = json_object_get(root, "method");
    if (!json_is_string(json_object_get(root, "jsonrpc")) ||
        strcmp(json_string_value(json_object_get(root, "jsonrpc")), "2.0") != 0)
        invalid = "Invalid Request: \"jsonrpc\" must be \"2.0\"";
    else if (!method && has_id && (json_object_get(root, "result") || json_object_get(root, "error"))) {
        if (!json_is_integer(id)) { /* we only issue integer ids; null when the client could not read ours */
            LOG_D("ignoring a response with id that is not ours");
            json_decref(root); /* a response is never answered */
            return NULL;
        }
        mcp_msg *r = calloc(1, sizeof *r);
        if (!r) {
            json_decref(root);
            return NULL;
        }
        r->root = root;
        r->id = id;
        r->method = "";
        r->kind = MCP_MSG_RESPONSE;
        return r;
    } else if (has_id && !valid_id(id))
        invalid = "Invalid Request: \"id\" must be a string or an integer";
    else if (!method)
        invalid = "Invalid Request: \"method\" is missing";
    else if (!json_is_string(method))
        invalid = "Invalid Request: \"method\" must be a string";
    if (invalid) {
        *reply = mcp_error_response(reply_id, RPC_INVALID_REQUEST, invalid);
        json_decref(root);
        return NULL;
    }
    json_t *params = json_object_get(root, "params");
    if (params && !json_is_object(params) && !json_is_null(params)) {
        if (has_id) *reply = mcp_error_response(id, RPC_INVALID_PARAMS, "Invalid params: \"params\" must be an object");
        json_decref(root);
        return NULL;
    }
    mcp_msg *m = calloc(1, sizeof *m);
    if (!m) {
        json_decref(root);
        *reply = mcp_error_response(reply_id, RPC_INTERNAL_ERROR, "Internal error: out of memory");
        return NULL;
    }
    m->root = root;
    m->id = has_id ? id : NULL;
    m->method = json_string_value(method);
    m->params = json_is_object(params) ? params : NULL;
    m->kind = has_id ? MCP_MSG_REQUEST : MCP_MSG_NOTIFICATION;
    if (has_id) m->idkey = jx_dump(id);
    return m;
}

void mcp_msg_free(mcp_msg *m) {
    if (!m) return;
    json_decref(m->root);
    free(m->idkey);
    free(m);
}

mcp_msg_kind mcp_msg_kind_of(const mcp_msg *m) { return m->kind; }
const char *mcp_msg_method(const mcp_msg *m) { return m->method; }

bool mcp_msg_is_control(const mcp_msg *m) {
    if (m->kind != MCP_MSG_REQUEST) return true;
    return strcmp(m->method, "ping") == 0 || strcmp(m->method, "server/discover") == 0;
}

/* ---- cancellation ------------------------------------------------------------- */

void mcp_track(mcp_session *s, mcp_msg *m) {
    if (m->kind != MCP_MSG_REQUEST) return;
    pthread_mutex_lock(&s->lock);
    m->next_tracked = s->tracked;
    s->tracked = m;
    pthread_mutex_unlock(&s->lock);
}

static void untrack(mcp_session *s, mcp_msg *m) {
    pthread_mutex_lock(&s->lock);
    for (mcp_msg **p = &s->tracked; *p; p = &(*p)->next_tracked) {
        if (*p == m) {
            *p = m->next_tracked;
            break;
        }
    }
    m->next_tracked = NULL;
    pthread_mutex_unlock(&s->lock);
}

static void cancel(mcp_session *s, const json_t *request_id) {
    if (!valid_id(request_id)) return;
    char *key = jx_dump(request_id);
    pthread_mutex_lock(&s->lock);
    for (mcp_msg *m = s->tracked; m; m = m->next_tracked) {
        /* initialize cannot be cancelled (MCP cancellation rules). */
        if (strcmp(m->idkey, key) == 0 && strcmp(m->method, "initialize") != 0) {
            atomic_store(&m->cancelled, 1);
            LOG_D("request %s cancelled by the client", key);
        }
    }
    pthread_cond_broadcast(&s->replied); /* a call waiting on the client stops waiting */
    pthread_mutex_unlock(&s->lock);
    free(key); /* unknown ids are ignored: the response may already be out */
}

/* ---- requests to the client ------------------------------------------------------ */

struct mcp_call {
    mcp_session *s;
    mcp_msg *m;
    const mcp_sink *sink; /* NULL when the transport cannot send before the response */
};

bool mcp_client_can(const mcp_session *s, const char *capability) {
    if (strcmp(capability, "sampling") == 0) return atomic_load(&s->can_sampling);
    if (strcmp(capability, "elicitation") == 0) return atomic_load(&s->can_elicitation);
    if (strcmp(capability, "roots") == 0) return atomic_load(&s->can_roots);
    return false;
}

void mcp_session_abort(mcp_session *s) {
    pthread_mutex_lock(&s->lock);
    s->aborted = true;
    pthread_cond_broadcast(&s->replied);
    pthread_mutex_unlock(&s->lock);
}

void mcp_call_notify(mcp_call *c, json_t *notification) {
    if (c->sink && notification) c->sink->send(c->sink->arg, notification);
    else json_decref(notification);
}

/* The capability a client must declare before we may send it method. */
static const char *capability_for(const char *method) {
    if (strncmp(method, "sampling/", 9) == 0) return "sampling";
    if (strncmp(method, "elicitation/", 12) == 0) return "elicitation";
    if (strncmp(method, "roots/", 6) == 0) return "roots";
    return NULL;
}

static void unlink_pending(mcp_session *s, pending *p) {
    for (pending **q = &s->pending; *q; q = &(*q)->next) {
        if (*q == p) {
            *q = p->next;
            return;
        }
    }
}

json_t *mcp_call_request(mcp_call *c, const char *method, json_t *params, int timeout_ms, char *why, size_t why_len) {
    mcp_session *s = c->s;
    const char *cap = capability_for(method);
    if (!cap || !mcp_client_can(s, cap)) {
        json_decref(params);
        snprintf(why, why_len, "the client did not declare the %s capability, so the server cannot send it %s",
                 cap ? cap : method, method);
        return NULL;
    }
    if (!c->sink) {
        json_decref(params);
        snprintf(why, why_len,
                 "cannot send %s: this request has no stream to the client (over HTTP the POST must accept "
                 "text/event-stream)",
                 method);
        return NULL;
    }
    pending p = {0};
    pthread_mutex_lock(&s->lock);
    bool aborted = s->aborted;
    if (!aborted) {
        p.id = ++s->next_request_id;
        p.next = s->pending;
        s->pending = &p;
    }
    pthread_mutex_unlock(&s->lock);
    if (aborted) {
        json_decref(params);
        snprintf(why, why_len, "the session has ended");
        return NULL;
    }
    json_t *req = json_pack("{s:s, s:I, s:s, s:o}", "jsonrpc", "2.0", "id", p.id, "method", method, "params",
                            params ? params : json_object());
    c->sink->send(c->sink->arg, req); /* before we wait: the answer may come at once, and finds p listed */
    uint64_t deadline = clock_mono_ns() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0) * 1000000ull;
    const char *failed = NULL;
    pthread_mutex_lock(&s->lock);
    for (;;) {
        if (p.reply) break;
        if (s->aborted) failed = "the session ended";
        else if (atomic_load(&c->m->cancelled)) failed = "the call was cancelled";
        else if (clock_mono_ns() >= deadline) failed = "timed out";
        if (failed) break;
        /* The condition variable waits on the realtime clock; a bounded slice
         * keeps the monotonic deadline honest if the wall clock jumps. */
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        uint64_t left = deadline - clock_mono_ns();
        uint64_t slice = left < 1000000000ull ? left : 1000000000ull;
        until.tv_sec += (time_t)(slice / 1000000000ull);
        until.tv_nsec += (long)(slice % 1000000000ull);
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&s->replied, &s->lock, &until);
    }
    unlink_pending(s, &p);
    pthread_mutex_unlock(&s->lock);
    if (failed) {
        /* Tell the client to stop working on it (MCP cancellation). */
        c->sink->send(c->sink->arg, json_pack("{s:s, s:s, s:{s:I, s:s}}", "jsonrpc", "2.0", "method",
                                              "notifications/cancelled", "params", "requestId", p.id, "reason",
                                              failed));
        snprintf(why, why_len, "%s to the client: %s%s", method, failed,
                 strcmp(failed, "timed out") == 0 ? " waiting for its answer" : "");
        return NULL;
    }
    json_t *result = json_object_get(p.reply, "result"), *error = json_object_get(p.reply, "error");
    json_t *out = NULL;
    if (json_is_object(result)) {
        out = json_incref(result);
    } else {
        const char *msg = jx_str(error, "message");
        snprintf(why, why_len, "the client refused %s: %.200s (code %lld)", method,
                 msg ? msg : (error ? "no message" : "its answer has no result"),
                 (long long)json_integer_value(json_object_get(error, "code")));
    }
    json_decref(p.reply);
    return out;
}

/* A response from the client: hands it to the call waiting on its id. */
static void route_reply(mcp_session *s, mcp_msg *m) {
    json_int_t id = json_integer_value(m->id);
    bool found = false;
    pthread_mutex_lock(&s->lock);
    for (pending *p = s->pending; p; p = p->next) {
        if (p->id == id && !p->reply) {
            p->reply = json_incref(m->root);
            found = true;
            pthread_cond_broadcast(&s->replied);
            break;
        }
    }
    pthread_mutex_unlock(&s->lock);
    if (!found) LOG_D("ignoring a response to request %lld: nobody waits for it", (long long)id);
}

bool mcp_may_stream(const mcp_session *s, const mcp_msg *m) {
    if (m->kind != MCP_MSG_REQUEST || strcmp(m->method, "tools/call") != 0) return false;
    if (s->fixtures) return true;
    const json_t *token = json_object_get(json_object_get(m->params, "_meta"), "progressToken");
    if (json_is_string(token) || json_is_integer(token)) return true;
    return atomic_load(&s->can_sampling) || atomic_load(&s->can_elicitation) || atomic_load(&s->can_roots);
}

/* ---- methods ------------------------------------------------------------------ */

static json_t *do_initialize(mcp_session *s, mcp_msg *m) {
    const char *asked = m->params ? jx_str(m->params, "protocolVersion") : NULL;
    if (!asked) return mcp_error_response(m->id, RPC_INVALID_PARAMS, "Invalid params: protocolVersion is required");
    const char *chosen = MCP_LATEST_VERSION;
    for (const char *const *v = supported_versions; *v; v++)
        if (strcmp(*v, asked) == 0) chosen = *v;
    snprintf(s->version, sizeof s->version, "%s", chosen);
    json_t *caps = json_object_get(m->params, "capabilities");
    atomic_store(&s->can_sampling, json_is_object(json_object_get(caps, "sampling")));
    atomic_store(&s->can_elicitation, json_is_object(json_object_get(caps, "elicitation")));
    atomic_store(&s->can_roots, json_is_object(json_object_get(caps, "roots")));
    const char *client = m->params ? jx_str(json_object_get(m->params, "clientInfo"), "name") : NULL;
    LOG_I("initialize from %s, protocol %s (asked %s)", client ? client : "unknown client", chosen, asked);
    json_t *ours = s->fixtures ? fixtures_capabilities() : json_pack("{s:{s:b}}", "tools", "listChanged", 0);
    json_t *r = json_pack("{s:s, s:o, s:{s:s, s:s, s:s, s:s}, s:s}", "protocolVersion", chosen, "capabilities", ours,
                          "serverInfo", "name", "ltmc", "title", "ltmc long-term memory", "version", LTMC_VERSION,
                          "description", "Long-term memory and context for coding agents", "instructions",
                          instructions);
    return result_response(m->id, r);
}

/* Tool descriptions never change while the process runs: build them once.
 * jansson's reference counts are atomic, so sharing them across threads is
 * safe as long as nobody modifies them. */
static json_t **described;
static pthread_once_t described_once = PTHREAD_ONCE_INIT;

static void describe_all(void) {
    size_t n;
    const tool_def *const *tools = tools_all(&n);
    described = calloc(n, sizeof *described);
    for (size_t i = 0; described && i < n; i++) described[i] = tool_describe(tools[i]);
}

static json_t *do_tools_list(mcp_session *s, mcp_msg *m) {
    size_t n;
    tools_all(&n);
    pthread_once(&described_once, describe_all);
    if (!described) return mcp_error_response(m->id, RPC_INTERNAL_ERROR, "Internal error: out of memory");
    size_t page = (size_t)settings_int(s->cfg, SET_TOOLS_PAGE_SIZE), start = 0;
    json_t *cursor = m->params ? json_object_get(m->params, "cursor") : NULL;
    if (cursor && !json_is_null(cursor)) {
        /* Cursors are "tools:<offset>"; anything else was not issued by us. */
        const char *c = json_is_string(cursor) ? json_string_value(cursor) : "";
        char *end = NULL;
        /* Digits only: strtoull alone would also take " 1" and "+1". */
        bool digits = strncmp(c, "tools:", 6) == 0 && c[6] >= '1' && c[6] <= '9';
        unsigned long long off = digits ? strtoull(c + 6, &end, 10) : 0;
        if (!digits || !end || *end || off >= n)
            return mcp_error_response(m->id, RPC_INVALID_PARAMS, "Invalid params: unknown cursor");
        start = (size_t)off;
    }
    json_t *list = json_array();
    for (size_t i = start; i < n && i < start + page; i++) json_array_append(list, described[i]);
    json_t *r = json_object();
    json_object_set_new(r, "tools", list);
    if (start + page < n) {
        char next[32];
        snprintf(next, sizeof next, "tools:%zu", start + page);
        jx_set_str(r, "nextCursor", next);
    }
    return result_response(m->id, r);
}

/* Turns tool progress into notifications/progress for one token; progress
 * must increase, so a report that does not is dropped. */
typedef struct {
    const mcp_sink *sink;
    const json_t *token;
    double last;
    bool any;
} progress_relay;

static void relay_progress(void *arg, double progress, double total, const char *message) {
    progress_relay *r = arg;
    if (r->any && !(progress > r->last)) return;
    r->any = true;
    r->last = progress;
    json_t *params = json_pack("{s:O, s:f}", "progressToken", r->token, "progress", progress);
    if (!params) return;
    if (total > 0) jx_set_real(params, "total", total);
    if (message) jx_set_str(params, "message", message);
    r->sink->send(r->sink->arg, json_pack("{s:s, s:s, s:o}", "jsonrpc", "2.0", "method", "notifications/progress",
                                          "params", params));
}

/* The tools/call response as text, written directly around the result's one
 * serialization: the result appears twice (escaped as the text content and
 * as structuredContent), and dumping the response object would serialize it
 * twice more. Byte for byte what jx_dump of the object gives. */
static char *tool_response_text(const mcp_msg *m, const char *result, size_t rl, const char *escaped, size_t el,
                                bool failed) {
    static const char head[] = "{\"jsonrpc\":\"2.0\",\"id\":", mid1[] = ",\"result\":{\"content\":[{\"type\":\"text\",\"text\":\"",
                      mid2[] = "\"}],\"structuredContent\":", tail_ok[] = ",\"isError\":false}}",
                      tail_err[] = ",\"isError\":true}}";
    size_t il = strlen(m->idkey);
    if (!escaped) el = jx_escaped_len(result, rl);
    char *out = malloc(sizeof head + il + sizeof mid1 + el + sizeof mid2 + rl + sizeof tail_err);
    if (!out) return NULL;
    char *p = out;
    memcpy(p, head, sizeof head - 1), p += sizeof head - 1;
    memcpy(p, m->idkey, il), p += il;
    memcpy(p, mid1, sizeof mid1 - 1), p += sizeof mid1 - 1;
    if (escaped) memcpy(p, escaped, el), p += el;
    else p = jx_put_escaped(p, result, rl);
    memcpy(p, mid2, sizeof mid2 - 1), p += sizeof mid2 - 1;
    memcpy(p, result, rl), p += rl;
    const char *tail = failed ? tail_err : tail_ok;
    size_t tl = failed ? sizeof tail_err - 1 : sizeof tail_ok - 1;
    memcpy(p, tail, tl + 1); /* with the NUL */
    return out;
}

/* With text non-NULL, answers in *text (returning NULL) when it can. */
static json_t *do_tools_call(mcp_session *s, store *st, mcp_msg *m, const mcp_sink *sink, char **text_out) {
    const char *name = m->params ? jx_str(m->params, "name") : NULL;
    if (!name) return mcp_error_response(m->id, RPC_INVALID_PARAMS, "Invalid params: tool name is required");
    const tool_def *tool = tool_find(name);
    if (!tool) {
        char msg[256];
        snprintf(msg, sizeof msg, "Unknown tool: %.100s", name);
        return mcp_error_response(m->id, RPC_INVALID_PARAMS, msg);
    }
    json_t *args = json_object_get(m->params, "arguments");
    if (args && !json_is_object(args) && !json_is_null(args))
        return mcp_error_response(m->id, RPC_INVALID_PARAMS, "Invalid params: arguments must be an object");
    if (json_is_null(args)) args = NULL;
    assert(st && "tools/call needs the worker's store");
    bool failed = false;
    json_t *empty = args ? NULL : json_object();
    const json_t *token = json_object_get(json_object_get(m->params, "_meta"), "progressToken");
    progress_relay relay = {sink, token, 0, false};
    tool_progress progress = {relay_progress, &relay};
    bool wants = sink && (json_is_string(token) || json_is_integer(token));
    tool_env env = {st, s->cfg, s->mem, wants ? &progress : NULL};
    jx_frozen *frozen = NULL;
    json_t *result = tool_call(tool, &env, args ? args : empty, &m->cancelled, &failed, text_out ? &frozen : NULL);
    json_decref(empty);
    if (frozen) { /* the action's serialisation, made once (a cached result) */
        size_t rl, el;
        const char *rt = jx_frozen_text(frozen, &rl), *et = jx_frozen_escaped(frozen, &el);
        *text_out = tool_response_text(m, rt, rl, et, el, failed);
        jx_frozen_release(frozen);
        if (*text_out) {
            json_decref(result);
            return NULL;
        }
    }
    char *text = jx_dump(result);
    if (text_out && text) {
        *text_out = tool_response_text(m, text, strlen(text), NULL, 0, failed);
        if (*text_out) {
            free(text);
            json_decref(result);
            return NULL;
        }
    }
    /* jansson's own output is valid UTF-8, so the (per-byte, costly on large
     * results) check of json_string is skipped. */
    json_t *r = json_pack("{s:[{s:s, s:o}], s:o, s:b}", "content", "type", "text", "text",
                          text ? json_string_nocheck(text) : json_string("{}"), "structuredContent", result,
                          "isError", failed);
    free(text);
    return result_response(m->id, r);
}

/* ---- conformance fixture mode ------------------------------------------------------ */

static json_t *do_fixture(mcp_session *s, mcp_msg *m, const mcp_sink *sink) {
    int code = RPC_INTERNAL_ERROR;
    char msg[300] = "Internal error";
    bool log_ok = atomic_load(&s->log_min) <= 1; /* info */
    mcp_call call = {s, m, sink};
    json_t *r = fixtures_answer(m->method, m->params, &call, log_ok, &code, msg, sizeof msg);
    return r ? result_response(m->id, r) : mcp_error_response(m->id, code, msg);
}

static json_t *do_set_level(mcp_session *s, mcp_msg *m) {
    const char *level = m->params ? jx_str(m->params, "level") : NULL;
    for (int i = 0; level && log_levels[i]; i++) {
        if (strcmp(level, log_levels[i]) == 0) {
            atomic_store(&s->log_min, i);
            return result_response(m->id, json_object());
        }
    }
    return mcp_error_response(m->id, RPC_INVALID_PARAMS, "Invalid params: level must be an RFC 5424 level name");
}

json_t *mcp_handle(mcp_session *s, store *st, mcp_msg *m) { return mcp_handle_sink(s, st, m, NULL); }

static json_t *run(mcp_session *s, store *st, mcp_msg *m, const mcp_sink *sink, char **text);

json_t *mcp_handle_sink(mcp_session *s, store *st, mcp_msg *m, const mcp_sink *sink) {
    return run(s, st, m, sink, NULL);
}

char *mcp_handle_text(mcp_session *s, store *st, mcp_msg *m, const mcp_sink *sink) {
    char *text = NULL;
    json_t *resp = run(s, st, m, sink, &text);
    if (resp) {
        text = jx_dump(resp);
        json_decref(resp);
    }
    return text;
}

/* Runs m; the response is returned, or put in *text when text is non-NULL
 * and the method can write it directly (tools/call). */
static json_t *run(mcp_session *s, store *st, mcp_msg *m, const mcp_sink *sink, char **text) {
    if (m->kind == MCP_MSG_NOTIFICATION) {
        if (strcmp(m->method, "notifications/cancelled") == 0 && m->params)
            cancel(s, json_object_get(m->params, "requestId"));
        else if (strcmp(m->method, "notifications/initialized") == 0)
            s->initialized = true;
        else
            LOG_D("ignoring notification %s", m->method);
        return NULL;
    }
    if (m->kind == MCP_MSG_RESPONSE) {
        route_reply(s, m);
        return NULL;
    }
    if (atomic_load(&m->cancelled)) {
        untrack(s, m);
        return NULL;
    }
    uint64_t start = clock_mono_ns();
    json_t *resp;
    const char *method = m->method;
    if (s->fixtures && fixtures_serves(method)) resp = do_fixture(s, m, sink);
    else if (s->fixtures && strcmp(method, "logging/setLevel") == 0) resp = do_set_level(s, m);
    else if (strcmp(method, "initialize") == 0) resp = do_initialize(s, m);
    else if (strcmp(method, "ping") == 0) resp = result_response(m->id, json_object());
    else if (strcmp(method, "tools/list") == 0) resp = do_tools_list(s, m);
    else if (strcmp(method, "tools/call") == 0) resp = do_tools_call(s, st, m, sink, text);
    else {
        /* Includes server/discover: a fast "not found" tells a dual-era client
         * to fall back to initialize instead of waiting for a timeout. */
        char msg[200];
        snprintf(msg, sizeof msg, "Method not found: %.100s", method);
        resp = mcp_error_response(m->id, RPC_METHOD_NOT_FOUND, msg);
    }
    untrack(s, m);
    LOG_D("%s %s took %.3f ms", method, m->idkey, (double)(clock_mono_ns() - start) / 1e6);
    if (atomic_load(&m->cancelled)) { /* the client gave up: it must not get a reply */
        json_decref(resp);
        if (text) {
            free(*text);
            *text = NULL;
        }
        return NULL;
    }
    return resp;
}
