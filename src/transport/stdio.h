/* stdio.h - MCP over stdin/stdout, one JSON-RPC message per line.
 *
 * The calling thread reads and parses; it answers control messages (ping,
 * server/discover) at once and passes notifications/cancelled to the
 * session, while one worker thread runs requests in arrival order with the
 * given store. stdout carries protocol messages only; a request's progress
 * notifications are written before its response. Returns when stdin
 * reaches EOF or SIGTERM/SIGINT arrives, after the queued requests finish. */
#ifndef LT_STDIO_H
#define LT_STDIO_H

#include "../core/settings.h"
#include "../search/memory.h"
#include "../store/store.h"

/* Returns 0 on a clean end (EOF or signal), -1 when the output broke. */
int stdio_serve(const settings *cfg, store *st, memory_engine *mem, int in_fd, int out_fd);

#endif
