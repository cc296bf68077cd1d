/* mcp.h - JSON-RPC 2.0 and the MCP lifecycle, independent of transport.
 *
 * A transport hands each raw message to mcp_parse(), which either returns a
 * parsed message or the error response to send. Requests are then run by
 * mcp_handle() (on whatever thread the transport chooses) with a store
 * connection owned by that thread. Control messages (ping, server/discover,
 * notifications) are cheap and safe to answer on the reading thread, so a
 * slow tool call never delays them.
 *
 * Cancellation: a transport calls mcp_track() when it accepts a request;
 * notifications/cancelled then marks it, and mcp_handle() drops a cancelled
 * request before running it, or withholds its response after.
 *
 * Requests to the client: while a request is handled, the code serving it
 * may send the client a request of its own (sampling/createMessage,
 * elicitation/create, roots/list) through mcp_call_request() and block for
 * the answer. The request goes out through the call's sink (the POST's SSE
 * stream, or a stdout line); the client's response arrives as a separate
 * message that the transport hands to mcp_handle() like any other (it is a
 * control message, answered on the reading thread), which wakes the waiting
 * call. The wait ends on the answer, a timeout, the client cancelling the
 * call, or mcp_session_abort(). */
#ifndef LT_MCP_H
#define LT_MCP_H

#include "../core/settings.h"
#include "../search/memory.h"
#include "../store/store.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define MCP_LATEST_VERSION "2025-11-25"

/* JSON-RPC error codes. */
#define RPC_PARSE_ERROR -32700
#define RPC_INVALID_REQUEST -32600
#define RPC_METHOD_NOT_FOUND -32601
#define RPC_INVALID_PARAMS -32602
#define RPC_INTERNAL_ERROR -32603

typedef struct mcp_session mcp_session;
typedef struct mcp_msg mcp_msg;

typedef enum {
    MCP_MSG_REQUEST,      /* has method and id: needs a response */
    MCP_MSG_NOTIFICATION, /* has method, no id: never answered */
    MCP_MSG_RESPONSE      /* a reply to a request of ours: routed to the waiting call */
} mcp_msg_kind;

/* mem is the process's shared memory engine (may be NULL in tests that do
 * not use memory_action). */
mcp_session *mcp_session_new(const settings *cfg, memory_engine *mem);
void mcp_session_free(mcp_session *s);

/* Parses one message. Returns NULL when there is nothing to run; then
 * *reply holds the error response to send, or NULL when nothing is owed. */
mcp_msg *mcp_parse(const char *buf, size_t len, json_t **reply);
void mcp_msg_free(mcp_msg *m);

mcp_msg_kind mcp_msg_kind_of(const mcp_msg *m);
const char *mcp_msg_method(const mcp_msg *m);

/* True for messages that need no store and may be answered out of order:
 * ping, server/discover, every notification and response. */
bool mcp_msg_is_control(const mcp_msg *m);

/* Registers a request for cancellation (before it is queued). */
void mcp_track(mcp_session *s, mcp_msg *m);

/* Runs a message and returns the response to send, or NULL (notification,
 * response, or a request the client cancelled). st may be NULL for
 * control messages. Untracks the message; the caller still frees it. */
json_t *mcp_handle(mcp_session *s, store *st, mcp_msg *m);

/* Where notifications that belong to a request go before its response
 * (notifications/progress when params._meta.progressToken is set). send
 * takes ownership of the message and is called on the handling thread. */
typedef struct {
    void (*send)(void *arg, json_t *notification);
    void *arg;
} mcp_sink;

/* mcp_handle with a sink for the request's notifications (may be NULL). */
json_t *mcp_handle_sink(mcp_session *s, store *st, mcp_msg *m, const mcp_sink *sink);

/* True when handling m may send messages before its response (so an HTTP
 * transport should answer with an SSE stream rather than JSON): a tools/call
 * whose client asked for progress, or declared a capability that lets the
 * call send it requests (sampling, elicitation, roots), or any tools/call in
 * conformance fixture mode (which logs). */
bool mcp_may_stream(const mcp_session *s, const mcp_msg *m);

/* ---- requests to the client, during a call ------------------------------- */

/* The request being handled, as seen by the code serving it. */
typedef struct mcp_call mcp_call;

/* Sends a notification (stolen) that belongs to the call, before its
 * response; dropped when the transport has nowhere to put it. */
void mcp_call_notify(mcp_call *c, json_t *notification);

/* Sends the client a request (method with params, stolen) and waits at most
 * timeout_ms for its answer. Returns the result object (a new reference), or
 * NULL with why set to a message fit for the user: the client did not
 * declare the capability the method needs, the transport cannot carry a
 * request (no stream), the client answered with an error, it did not answer
 * in time (the request is then cancelled with notifications/cancelled), the
 * call was cancelled, or the session ended. */
json_t *mcp_call_request(mcp_call *c, const char *method, json_t *params, int timeout_ms, char *why, size_t why_len);

/* True when the client declared capability ("sampling", "elicitation",
 * "roots") in initialize. */
bool mcp_client_can(const mcp_session *s, const char *capability);

/* Wakes every call waiting on the client and makes later requests fail at
 * once (the session ended or the server is stopping). */
void mcp_session_abort(mcp_session *s);

/* mcp_handle_sink, with the response returned as compact JSON text (NULL
 * when none is owed). A tools/call response is written around the result's
 * one serialization instead of being built as an object and dumped, which
 * would serialize the result twice more (it appears as text and as
 * structuredContent). */
char *mcp_handle_text(mcp_session *s, store *st, mcp_msg *m, const mcp_sink *sink);

/* Builds an error response; id may be NULL (sent as null). */
json_t *mcp_error_response(const json_t *id, int code, const char *message);

/* The protocol version negotiated by initialize, or NULL before it. */
const char *mcp_session_version(const mcp_session *s);

#endif
