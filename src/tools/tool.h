/* tool.h - tools as tables of actions, and the one call path into them.
 *
 * A tool (todo_action, chat_action, ...) is a table of actions; each action
 * declares its parameters once, in a param_def array. From that one
 * declaration come the JSON Schema that tools/list publishes and the
 * validation that tools/call applies, so the two cannot drift apart.
 *
 * An action handler receives arguments that are already validated and
 * completed with defaults, and fills `out` (which already holds
 * "success": true). On failure it returns -1 with err set; the caller turns
 * that into {"success": false, "error": "..."}. */
#ifndef LT_TOOL_H
#define LT_TOOL_H

#include "../core/err.h"
#include "../core/jsonx.h"
#include "../core/settings.h"
#include "../search/memory.h"
#include "../store/store.h"

#include <jansson.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    PT_STRING,
    PT_INTEGER,
    PT_NUMBER,
    PT_BOOLEAN,
    PT_OBJECT,
    PT_ARRAY,
    PT_STRING_ARRAY,
    PT_STRING_LIST /* an array of strings, or one comma-separated string; arrives as an array */
} param_type;

/* Strings longer than this are refused unless a param declares its own limit. */
#define PARAM_DEFAULT_MAX_LEN (1024 * 1024)
/* Objects and arrays may nest at most this deep. */
#define PARAM_MAX_DEPTH 64

typedef struct {
    const char *name;
    param_type type;
    bool required;              /* required strings must also be non-blank */
    const char *def;            /* default, as JSON text; NULL for none */
    const char *desc;
    const char *const *choices; /* PT_STRING: allowed values (NULL-terminated) */
    int64_t min, max;           /* PT_INTEGER: inclusive bounds, used when min < max */
    size_t max_len;             /* PT_STRING: byte limit, 0 = PARAM_DEFAULT_MAX_LEN */
} param_def;

/* Where a long action reports progress (the client asked for it). */
typedef struct {
    void (*fn)(void *arg, double progress, double total, const char *message);
    void *arg;
} tool_progress;

/* The engines a call runs against: the calling thread's store connection
 * and the process-wide shared engines; progress is NULL unless requested. */
typedef struct {
    store *st;
    const settings *cfg;
    memory_engine *mem;
    const tool_progress *progress;
} tool_env;

/* What an action may use. Engines below it never see JSON-RPC. */
typedef struct {
    store *st;
    const settings *cfg;
    memory_engine *mem;
    const char *project;          /* resolved: the call's project or the configured default */
    const atomic_int *cancelled;  /* set when the client cancelled the request */
    const tool_progress *progress; /* NULL when nobody listens */
    /* An action may leave here (holding one reference) a frozen copy of
     * what its out is when it returns successfully, member for member in
     * the same order, so the caller can reuse the serialisation instead of
     * making it again (results served from a cache). */
    jx_frozen *frozen;
} tool_ctx;

/* Reports progress of a long action (total 0 when unknown); a no-op when
 * the client did not ask for progress. */
void tool_report(const tool_ctx *ctx, double progress, double total, const char *message);

typedef int (*action_fn)(tool_ctx *ctx, const json_t *args, json_t *out, lt_err *err);

typedef struct {
    const char *name;
    const char *desc;
    action_fn fn;
    const param_def *params; /* terminated by an entry with name == NULL */
} action_def;

typedef struct {
    const char *name;
    const char *title;
    const char *desc;
    const action_def *actions; /* terminated by an entry with name == NULL */
    bool read_only;            /* annotations that hold for every action */
    bool destructive;
    bool idempotent;
} tool_def;

/* The tools this build offers, in tools/list order. */
const tool_def *const *tools_all(size_t *count);
const tool_def *tool_find(const char *name);

/* The tools/list entry: name, title, description, inputSchema,
 * outputSchema and annotations. */
json_t *tool_describe(const tool_def *tool);

/* Validates args against the named action's declaration and runs it. Always
 * returns a result object with "success"; *failed tells whether it is an
 * error result. Records the call in the metrics registry. When frozen is
 * not NULL and the action left a frozen copy of its successful result,
 * *frozen gets it (the caller releases it; its text is jx_dump of the
 * returned object); otherwise *frozen is NULL. */
json_t *tool_call(const tool_def *tool, const tool_env *env, const json_t *args, const atomic_int *cancelled,
                  bool *failed, jx_frozen **frozen);

/* For an action whose error result carries details beside "error" (the
 * members of a dependency cycle, say): makes out {"success": false,
 * "error": err's message, ...details} and returns 0, so the call path keeps
 * the details (a plain -1 keeps only the message). */
int tool_fail_with(json_t *out, const lt_err *err, const json_t *details);

/* Only the validation step (for tests and fuzzing): returns the completed
 * argument object, or NULL with err set. */
json_t *tool_validate(const tool_def *tool, const action_def **action, const json_t *args, lt_err *err);

#endif
