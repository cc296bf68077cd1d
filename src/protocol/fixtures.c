#include "fixtures.h"

#include "../core/jsonx.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* A 1x1 red PNG and a WAV file with no samples. */
static const char png_b64[] =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==";
static const char wav_b64[] = "UklGRiQAAABXQVZFZm10IBAAAAABAAEAQB8AAEAfAAABAAgAZGF0YQAAAAA=";

#define RPC_INVALID_PARAMS -32602
#define RPC_METHOD_NOT_FOUND -32601
#define RPC_RESOURCE_NOT_FOUND -32002

static void pause_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0) {
    }
}

static json_t *text_block(const char *text) { return json_pack("{s:s, s:s}", "type", "text", "text", text); }
static json_t *image_block(void) { return json_pack("{s:s, s:s, s:s}", "type", "image", "data", png_b64, "mimeType", "image/png"); }
static json_t *resource_block(const char *uri, const char *mime, const char *text) {
    return json_pack("{s:s, s:{s:s, s:s, s:s}}", "type", "resource", "resource", "uri", uri, "mimeType", mime, "text",
                     text);
}

json_t *fixtures_capabilities(void) {
    return json_pack("{s:{s:b}, s:{s:b, s:b}, s:{s:b}, s:{}, s:{}}", "tools", "listChanged", 0, "resources",
                     "subscribe", 1, "listChanged", 0, "prompts", "listChanged", 0, "logging", "completions");
}

static const char *const served[] = {"tools/list", "tools/call", "resources/list", "resources/read",
                                     "resources/templates/list", "resources/subscribe", "resources/unsubscribe",
                                     "prompts/list", "prompts/get", "completion/complete", NULL};

bool fixtures_serves(const char *method) {
    for (const char *const *m = served; *m; m++)
        if (strcmp(*m, method) == 0) return true;
    return false;
}

/* ---- tools ---------------------------------------------------------------------- */

typedef struct {
    const char *name, *desc;
    const char *required_arg; /* one required string argument, or NULL */
} fixture_tool;

static const fixture_tool tools[] = {
    {"test_simple_text", "Returns a simple text response", NULL},
    {"test_image_content", "Returns an image (a 1x1 red PNG)", NULL},
    {"test_audio_content", "Returns audio (a WAV file)", NULL},
    {"test_embedded_resource", "Returns an embedded text resource", NULL},
    {"test_multiple_content_types", "Returns text, an image and an embedded resource", NULL},
    {"test_tool_with_logging", "Sends three log messages while it runs", NULL},
    {"test_tool_with_progress", "Reports progress 0, 50 and 100 of 100", NULL},
    {"test_error_handling", "Always fails with isError", NULL},
    {NULL, NULL, NULL},
};

static json_t *list_tools(void) {
    json_t *list = json_array();
    for (const fixture_tool *t = tools; t->name; t++) {
        json_t *schema = json_pack("{s:s, s:{}}", "type", "object", "properties");
        json_array_append_new(list, json_pack("{s:s, s:s, s:o}", "name", t->name, "description", t->desc,
                                              "inputSchema", schema));
    }
    return json_pack("{s:o}", "tools", list);
}

static void notify_log(fixture_notify_fn notify, void *arg, bool log_ok, const char *text) {
    if (!notify || !log_ok) return;
    notify(arg, json_pack("{s:s, s:s, s:{s:s, s:s, s:s}}", "jsonrpc", "2.0", "method", "notifications/message",
                          "params", "level", "info", "logger", "test_tool_with_logging", "data", text));
}

static void notify_progress(fixture_notify_fn notify, void *arg, const json_t *token, int progress) {
    if (!notify || !(json_is_string(token) || json_is_integer(token))) return;
    notify(arg, json_pack("{s:s, s:s, s:{s:O, s:i, s:i}}", "jsonrpc", "2.0", "method", "notifications/progress",
                          "params", "progressToken", token, "progress", progress, "total", 100));
}

static json_t *content_result(json_t *blocks, bool is_error) {
    json_t *r = json_pack("{s:o}", "content", blocks);
    if (is_error) jx_set_bool(r, "isError", true);
    return r;
}

static json_t *call_tool(const json_t *params, fixture_notify_fn notify, void *arg, bool log_ok, int *code, char *msg,
                         size_t len) {
    const char *name = jx_str(params, "name");
    const json_t *token = json_object_get(json_object_get(params, "_meta"), "progressToken");
    if (!name) {
        *code = RPC_INVALID_PARAMS;
        snprintf(msg, len, "Invalid params: tool name is required");
        return NULL;
    }
    if (!strcmp(name, "test_simple_text"))
        return content_result(json_pack("[o]", text_block("This is a simple text response for testing.")), false);
    if (!strcmp(name, "test_image_content")) return content_result(json_pack("[o]", image_block()), false);
    if (!strcmp(name, "test_audio_content"))
        return content_result(json_pack("[{s:s, s:s, s:s}]", "type", "audio", "data", wav_b64, "mimeType", "audio/wav"),
                              false);
    if (!strcmp(name, "test_embedded_resource"))
        return content_result(json_pack("[o]", resource_block("test://embedded-resource", "text/plain",
                                                              "This is an embedded resource content.")),
                              false);
    if (!strcmp(name, "test_multiple_content_types"))
        return content_result(json_pack("[o, o, o]", text_block("Multiple content types test:"), image_block(),
                                        resource_block("test://mixed-content-resource", "application/json",
                                                       "{\"test\":\"data\",\"value\":123}")),
                              false);
    if (!strcmp(name, "test_tool_with_logging")) {
        notify_log(notify, arg, log_ok, "Tool execution started");
        pause_ms(50);
        notify_log(notify, arg, log_ok, "Tool processing data");
        pause_ms(50);
        notify_log(notify, arg, log_ok, "Tool execution completed");
        return content_result(json_pack("[o]", text_block("Tool with logging executed successfully")), false);
    }
    if (!strcmp(name, "test_tool_with_progress")) {
        notify_progress(notify, arg, token, 0);
        pause_ms(50);
        notify_progress(notify, arg, token, 50);
        pause_ms(50);
        notify_progress(notify, arg, token, 100);
        return content_result(json_pack("[o]", text_block("Tool with progress executed successfully")), false);
    }
    if (!strcmp(name, "test_error_handling"))
        return content_result(json_pack("[o]", text_block("This tool intentionally returns an error for testing")),
                              true);
    *code = RPC_INVALID_PARAMS;
    snprintf(msg, len, "Unknown tool: %.100s", name);
    return NULL;
}

/* ---- resources ------------------------------------------------------------------ */

static json_t *list_resources(void) {
    return json_pack("{s:[{s:s, s:s, s:s, s:s}, {s:s, s:s, s:s, s:s}, {s:s, s:s, s:s, s:s}]}", "resources", "uri",
                     "test://static-text", "name", "static-text", "description", "A static text resource",
                     "mimeType", "text/plain", "uri", "test://static-binary", "name", "static-binary", "description",
                     "A static binary resource (a 1x1 PNG)", "mimeType", "image/png", "uri", "test://watched-resource",
                     "name", "watched-resource", "description", "A resource that can be subscribed to", "mimeType",
                     "text/plain");
}

static json_t *list_templates(void) {
    return json_pack("{s:[{s:s, s:s, s:s, s:s}]}", "resourceTemplates", "uriTemplate", "test://template/{id}/data",
                     "name", "template-data", "description", "Data for an id, from a URI template", "mimeType",
                     "application/json");
}

static json_t *contents_text(const char *uri, const char *mime, const char *text) {
    return json_pack("{s:[{s:s, s:s, s:s}]}", "contents", "uri", uri, "mimeType", mime, "text", text);
}

static json_t *read_resource(const json_t *params, int *code, char *msg, size_t len) {
    const char *uri = jx_str(params, "uri");
    if (!uri) {
        *code = RPC_INVALID_PARAMS;
        snprintf(msg, len, "Invalid params: uri is required");
        return NULL;
    }
    if (!strcmp(uri, "test://static-text"))
        return contents_text(uri, "text/plain", "This is the content of the static text resource.");
    if (!strcmp(uri, "test://watched-resource")) return contents_text(uri, "text/plain", "Watched resource content.");
    if (!strcmp(uri, "test://static-binary"))
        return json_pack("{s:[{s:s, s:s, s:s}]}", "contents", "uri", uri, "mimeType", "image/png", "blob", png_b64);
    const char *prefix = "test://template/", *suffix = "/data";
    size_t ul = strlen(uri), pl = strlen(prefix), sl = strlen(suffix);
    if (ul > pl + sl && !strncmp(uri, prefix, pl) && !strcmp(uri + ul - sl, suffix) && ul - pl - sl < 200) {
        char id[256];
        snprintf(id, sizeof id, "%.*s", (int)(ul - pl - sl), uri + pl);
        if (!strchr(id, '/')) {
            json_t *body = json_pack("{s:s, s:b, s:s+}", "id", id, "templateTest", 1, "data", "Data for ID: ", id);
            char *text = jx_dump(body);
            json_decref(body);
            json_t *r = contents_text(uri, "application/json", text ? text : "{}");
            free(text);
            return r;
        }
    }
    *code = RPC_RESOURCE_NOT_FOUND;
    snprintf(msg, len, "Resource not found: %.200s", uri);
    return NULL;
}

/* ---- prompts -------------------------------------------------------------------- */

static json_t *list_prompts(void) {
    return json_pack("{s:[{s:s, s:s}, {s:s, s:s, s:[{s:s, s:s, s:b}, {s:s, s:s, s:b}]}, {s:s, s:s, s:[{s:s, s:s, "
                     "s:b}]}, {s:s, s:s}]}",
                     "prompts", "name", "test_simple_prompt", "description", "A simple prompt without arguments",
                     "name", "test_prompt_with_arguments", "description", "A prompt with two required arguments",
                     "arguments", "name", "arg1", "description", "First test argument", "required", 1, "name", "arg2",
                     "description", "Second test argument", "required", 1, "name",
                     "test_prompt_with_embedded_resource", "description", "A prompt embedding a resource",
                     "arguments", "name", "resourceUri", "description", "URI of the resource to embed", "required", 1,
                     "name", "test_prompt_with_image", "description", "A prompt with an image");
}

static json_t *user_msg(json_t *content) { return json_pack("{s:s, s:o}", "role", "user", "content", content); }

static const char *prompt_arg(const json_t *params, const char *name, int *code, char *msg, size_t len) {
    const char *v = jx_str(json_object_get(params, "arguments"), name);
    if (!v) {
        *code = RPC_INVALID_PARAMS;
        snprintf(msg, len, "Invalid params: missing required argument %s", name);
    }
    return v;
}

static json_t *get_prompt(const json_t *params, int *code, char *msg, size_t len) {
    const char *name = jx_str(params, "name");
    if (!name) name = "";
    if (!strcmp(name, "test_simple_prompt"))
        return json_pack("{s:[o]}", "messages", user_msg(text_block("This is a simple prompt for testing.")));
    if (!strcmp(name, "test_prompt_with_arguments")) {
        const char *a1 = prompt_arg(params, "arg1", code, msg, len);
        const char *a2 = a1 ? prompt_arg(params, "arg2", code, msg, len) : NULL;
        if (!a2) return NULL;
        char text[1024];
        snprintf(text, sizeof text, "Prompt with arguments: arg1='%.400s', arg2='%.400s'", a1, a2);
        return json_pack("{s:[o]}", "messages", user_msg(text_block(text)));
    }
    if (!strcmp(name, "test_prompt_with_embedded_resource")) {
        const char *uri = prompt_arg(params, "resourceUri", code, msg, len);
        if (!uri) return NULL;
        return json_pack("{s:[o, o]}", "messages",
                         user_msg(resource_block(uri, "text/plain", "Embedded resource content for testing.")),
                         user_msg(text_block("Please process the embedded resource above.")));
    }
    if (!strcmp(name, "test_prompt_with_image"))
        return json_pack("{s:[o, o]}", "messages", user_msg(image_block()),
                         user_msg(text_block("Please analyze the image above.")));
    *code = RPC_INVALID_PARAMS;
    snprintf(msg, len, "Unknown prompt: %.100s", name);
    return NULL;
}

/* ---- dispatch ------------------------------------------------------------------- */

json_t *fixtures_answer(const char *method, const json_t *params, fixture_notify_fn notify, void *arg, bool log_ok,
                        int *code, char *msg, size_t msg_len) {
    if (!strcmp(method, "tools/list")) return list_tools();
    if (!strcmp(method, "tools/call")) return call_tool(params, notify, arg, log_ok, code, msg, msg_len);
    if (!strcmp(method, "resources/list")) return list_resources();
    if (!strcmp(method, "resources/templates/list")) return list_templates();
    if (!strcmp(method, "resources/read")) return read_resource(params, code, msg, msg_len);
    if (!strcmp(method, "resources/subscribe") || !strcmp(method, "resources/unsubscribe")) {
        if (!jx_str(params, "uri")) {
            *code = RPC_INVALID_PARAMS;
            snprintf(msg, msg_len, "Invalid params: uri is required");
            return NULL;
        }
        return json_object();
    }
    if (!strcmp(method, "prompts/list")) return list_prompts();
    if (!strcmp(method, "prompts/get")) return get_prompt(params, code, msg, msg_len);
    if (!strcmp(method, "completion/complete"))
        return json_pack("{s:{s:[], s:i, s:b}}", "completion", "values", "total", 0, "hasMore", 0);
    *code = RPC_METHOD_NOT_FOUND;
    snprintf(msg, msg_len, "Method not found: %.100s", method);
    return NULL;
}
