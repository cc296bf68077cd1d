/* http.h - MCP over Streamable HTTP (the 2025-11-25 shape) on libmicrohttpd.
 *
 * One endpoint, /mcp. POST carries one JSON-RPC message. A request that may
 * send messages before its response (mcp_may_stream: progress asked for,
 * a client that can be sent requests, fixture mode) gets a live SSE stream
 * when the client accepts one: the call runs on its own thread and every
 * notification and request to the client is written to the stream as it
 * happens, the response last. Any other request gets a JSON response. A
 * notification, or a response to one of our requests (routed to the call
 * waiting for it), gets 202. initialize opens a session whose
 * random Mcp-Session-Id every later request must carry (400 without, 404
 * when unknown or ended); DELETE ends it (calls waiting for the client stop
 * waiting); GET is 405 (no server-initiated stream). MCP-Protocol-Version,
 * when sent, must be a supported revision
 * (400). Host and Origin must be allowed (403, DNS rebinding); a bearer
 * token, when configured, is required (401), and binding a non-loopback
 * address without one is refused.
 *
 * Every connection has its own thread; a tool call borrows one of the given
 * store connections (one per worker) and the memory engine is shared, so
 * calls run in parallel and ping never waits behind them. Returns after
 * SIGTERM/SIGINT once in-flight calls have finished. */
#ifndef LT_HTTP_H
#define LT_HTTP_H

#include "../core/err.h"
#include "../core/settings.h"
#include "../search/memory.h"
#include "../store/store.h"

#include <stdbool.h>
#include <stddef.h>

/* A parsed listen address "HOST:PORT" ([v6]:PORT for IPv6). */
typedef struct {
    char host[256];
    int port;
    bool loopback; /* 127.0.0.0/8, ::1 or localhost */
} http_addr;

int http_parse_addr(const char *text, http_addr *out, lt_err *err);

/* Constant-time comparison of a presented token with the expected one. */
bool http_token_equal(const char *given, const char *expected);

/* Serves until a stop signal. stores[0..n_stores) are the workers' store
 * connections (not closed here). Returns 0 on a clean stop, -1 with err set
 * when the server cannot start. Writes "listening on http://HOST:PORT/mcp"
 * to stderr once it accepts connections. */
int http_serve(const settings *cfg, store **stores, size_t n_stores, memory_engine *mem, lt_err *err);

#endif
