/* fixtures.h - the fixture tools, resources and prompts of the official MCP
 * conformance suite (@modelcontextprotocol/conformance), which
 * `ltmc serve --conformance-fixtures` serves in place of ltmc's own tools so
 * the suite's scenarios have something to call. Each answer is the one the
 * suite's scenario description asks for (test_simple_text,
 * test://static-text, test_simple_prompt, ...). Not for real use. */
#ifndef LT_FIXTURES_H
#define LT_FIXTURES_H

#include "mcp.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* The capabilities object to advertise in fixture mode. */
json_t *fixtures_capabilities(void);

/* True for the methods the fixtures answer: tools/list, tools/call,
 * resources/list, resources/read, resources/templates/list,
 * resources/subscribe, resources/unsubscribe, prompts/list, prompts/get and
 * completion/complete. */
bool fixtures_serves(const char *method);

/* Answers method with params (may be NULL). Returns the result object, or
 * NULL with *code and msg set for a JSON-RPC error. During tools/call, the
 * call hears progress for params._meta.progressToken and, when log_ok, log
 * messages (notifications/message); the sampling and elicitation tools send
 * their requests to the client through it (mcp_call_request). */
json_t *fixtures_answer(const char *method, const json_t *params, mcp_call *call, bool log_ok, int *code, char *msg,
                        size_t msg_len);

#endif
