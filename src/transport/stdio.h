/* stdio.h - MCP over stdin/stdout, one JSON-RPC message per line.
 *
 * Two threads (the caller's and one more) take turns reading and handling:
 * the reader answers control messages (ping, server/discover) at once and
 * passes notifications/cancelled to the session; requests run one at a time
 * in arrival order with the given store, on whichever thread read them when
 * no request was running. stdout carries protocol messages only; a request's
 * progress notifications are written before its response. Returns when stdin
 * reaches EOF or SIGTERM/SIGINT arrives, after the queued requests finish. */
#ifndef LT_STDIO_H
#define LT_STDIO_H

#include "../core/settings.h"
#include "../search/memory.h"
#include "../store/store.h"

/* Returns 0 on a clean end (EOF or signal), -1 when the output broke. */
int stdio_serve(const settings *cfg, store *st, memory_engine *mem, int in_fd, int out_fd);

#endif
