#include "fixtures.h"

#include "../core/jsonx.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A 1x1 red PNG and a WAV file with no samples. */
static const char png_b64[] =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==";
static const char wav_b64[] = "UklGRiQAAABXQVZFZm10IBAAAAABAAEAQB8AAEAfAAABAAgAZGF0YQAAAAA=";

#define RPC_RESOURCE_NOT_FOUND -32002
/* How long a fixture waits for the client to answer its request, unless the
 * call's optional timeout_ms argument says otherwise (tests use it). */
#define CLIENT_TIMEOUT_MS 30000
#define CLIENT_TIMEOUT_MAX_MS 600000

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
    const char *arg_desc;
    bool asks_client; /* sends the client a request (takes timeout_ms) */
} fixture_tool;

static const fixture_tool tools[] = {
    {"test_sampling", "Asks the client's LLM to answer a prompt (sampling/createMessage)", "prompt",
     "The prompt to send to the LLM", true},
    {"test_elicitation", "Asks the user for a username and an email (elicitation/create)", "message",
     "The message to show the user", true},
    {"test_elicitation_sep1034_defaults", "Elicits a form whose every field has a default (SEP-1034)", NULL, NULL,
     true},
    {"test_elicitation_sep1330_enums", "Elicits a form with the five enum shapes of SEP-1330", NULL, NULL, true},
    {"test_simple_text", "Returns a simple text response", NULL},
    {"test_image_content", "Returns an image (a 1x1 red PNG)", NULL},
    {"test_audio_content", "Returns audio (a WAV file)", NULL},
    {"test_embedded_resource", "Returns an embedded text resource", NULL},
    {"test_multiple_content_types", "Returns text, an image and an embedded resource", NULL},
    {"test_tool_with_logging", "Sends three log messages while it runs", NULL},
    {"test_tool_with_progress", "Reports progress 0, 50 and 100 of 100", NULL},
    {"test_error_handling", "Always fails with isError", NULL},
    {NULL, NULL, NULL, NULL, false},
};

/* A schema using the JSON Schema 2020-12 vocabulary that clients must pass
 * through untouched ($schema, $defs with $anchor, $ref, allOf/anyOf,
 * if/then/else, additionalProperties). */
static const char schema_2020_12[] =
    "{\"$schema\":\"https://json-schema.org/draft/2020-12/schema\",\"type\":\"object\","
    "\"$defs\":{\"address\":{\"$anchor\":\"addressDef\",\"type\":\"object\",\"properties\":{"
    "\"street\":{\"type\":\"string\"},\"city\":{\"type\":\"string\"}}}},"
    "\"properties\":{\"name\":{\"type\":\"string\"},\"address\":{\"$ref\":\"#/$defs/address\"},"
    "\"contactMethod\":{\"type\":\"string\",\"enum\":[\"phone\",\"email\"]},"
    "\"phone\":{\"type\":\"string\"},\"email\":{\"type\":\"string\"}},"
    "\"allOf\":[{\"anyOf\":[{\"required\":[\"phone\"]},{\"required\":[\"email\"]}]}],"
    "\"if\":{\"properties\":{\"contactMethod\":{\"const\":\"phone\"}},\"required\":[\"contactMethod\"]},"
    "\"then\":{\"required\":[\"phone\"]},\"else\":{\"required\":[\"email\"]},"
    "\"additionalProperties\":false}";

static json_t *list_tools(void) {
    json_t *list = json_array();
    for (const fixture_tool *t = tools; t->name; t++) {
        json_t *schema = json_pack("{s:s, s:{}}", "type", "object", "properties");
        if (t->required_arg) {
            json_object_set_new(json_object_get(schema, "properties"), t->required_arg,
                                json_pack("{s:s, s:s}", "type", "string", "description", t->arg_desc));
            json_object_set_new(schema, "required", json_pack("[s]", t->required_arg));
        }
        if (t->asks_client)
            json_object_set_new(json_object_get(schema, "properties"), "timeout_ms",
                                json_pack("{s:s, s:s}", "type", "integer", "description",
                                          "How long to wait for the client's answer (default 30000)"));
        json_array_append_new(list, json_pack("{s:s, s:s, s:o}", "name", t->name, "description", t->desc,
                                              "inputSchema", schema));
    }
    json_t *s2020 = json_loads(schema_2020_12, 0, NULL);
    assert(s2020 && "the 2020-12 fixture schema is valid JSON");
    json_array_append_new(list, json_pack("{s:s, s:s, s:o}", "name", "json_schema_2020_12_tool", "description",
                                          "Tool with JSON Schema 2020-12 features", "inputSchema", s2020));
    return json_pack("{s:o}", "tools", list);
}

static void notify_log(mcp_call *call, bool log_ok, const char *text) {
    if (!log_ok) return;
    mcp_call_notify(call, json_pack("{s:s, s:s, s:{s:s, s:s, s:s}}", "jsonrpc", "2.0", "method", "notifications/message",
                          "params", "level", "info", "logger", "test_tool_with_logging", "data", text));
}

static void notify_progress(mcp_call *call, const json_t *token, int progress) {
    if (!(json_is_string(token) || json_is_integer(token))) return;
    mcp_call_notify(call, json_pack("{s:s, s:s, s:{s:O, s:i, s:i}}", "jsonrpc", "2.0", "method", "notifications/progress",
                          "params", "progressToken", token, "progress", progress, "total", 100));
}

static json_t *content_result(json_t *blocks, bool is_error) {
    json_t *r = json_pack("{s:o}", "content", blocks);
    if (is_error) jx_set_bool(r, "isError", true);
    return r;
}

/* Sends the client a request and turns its answer into the tool's text
 * (prefix + what format makes of the result); a failure is an isError
 * result that says why. */
static json_t *ask_client(mcp_call *call, const char *method, json_t *params, const char *what, int timeout_ms) {
    char why[400];
    json_t *answer = mcp_call_request(call, method, params, timeout_ms, why, sizeof why);
    if (!answer) return content_result(json_pack("[o]", text_block(why)), true);
    json_t *text = NULL;
    if (!strcmp(what, "sampling")) {
        const char *said = jx_str(json_object_get(answer, "content"), "text");
        text = json_sprintf("LLM response: %s", said ? said : "(no text content)");
    } else {
        char *content = jx_dump(json_object_get(answer, "content") ? json_object_get(answer, "content") : json_null());
        const char *action = jx_str(answer, "action");
        text = json_sprintf("%s: action=%s, content=%s", what, action ? action : "?", content ? content : "null");
        free(content);
    }
    json_decref(answer);
    return content_result(json_pack("[{s:s, s:o}]", "type", "text", "text", text ? text : json_string("")), false);
}

static json_t *elicit_sep1034(mcp_call *call, int timeout_ms) {
    json_t *schema = json_pack(
        "{s:s, s:{s:{s:s, s:s, s:s}, s:{s:s, s:s, s:i}, s:{s:s, s:s, s:f}, s:{s:s, s:s, s:[s, s, s], s:s}, "
        "s:{s:s, s:s, s:b}}, s:[]}",
        "type", "object", "properties", "name", "type", "string", "description", "User name", "default", "John Doe",
        "age", "type", "integer", "description", "User age", "default", 30, "score", "type", "number", "description",
        "User score", "default", 95.5, "status", "type", "string", "description", "User status", "enum", "active",
        "inactive", "pending", "default", "active", "verified", "type", "boolean", "description",
        "Verification status", "default", 1, "required");
    return ask_client(call, "elicitation/create",
                      json_pack("{s:s, s:o}", "message", "Please review these values; each has a default",
                                "requestedSchema", schema),
                      "Elicitation completed", timeout_ms);
}

static json_t *elicit_sep1330(mcp_call *call, int timeout_ms) {
    json_t *props = json_object();
    json_object_set_new(props, "untitledSingle",
                        json_pack("{s:s, s:s, s:[s, s, s]}", "type", "string", "description", "Pick one", "enum",
                                  "option1", "option2", "option3"));
    json_object_set_new(props, "titledSingle",
                        json_pack("{s:s, s:s, s:[{s:s, s:s}, {s:s, s:s}, {s:s, s:s}]}", "type", "string",
                                  "description", "Pick one (titled)", "oneOf", "const", "value1", "title",
                                  "First Option", "const", "value2", "title", "Second Option", "const", "value3",
                                  "title", "Third Option"));
    json_object_set_new(props, "legacyEnum",
                        json_pack("{s:s, s:s, s:[s, s, s], s:[s, s, s]}", "type", "string", "description",
                                  "Pick one (legacy enumNames)", "enum", "opt1", "opt2", "opt3", "enumNames",
                                  "Option One", "Option Two", "Option Three"));
    json_object_set_new(props, "untitledMulti",
                        json_pack("{s:s, s:s, s:{s:s, s:[s, s, s]}}", "type", "array", "description", "Pick several",
                                  "items", "type", "string", "enum", "option1", "option2", "option3"));
    json_object_set_new(props, "titledMulti",
                        json_pack("{s:s, s:s, s:{s:[{s:s, s:s}, {s:s, s:s}, {s:s, s:s}]}}", "type", "array",
                                  "description", "Pick several (titled)", "items", "anyOf", "const", "value1", "title",
                                  "First Choice", "const", "value2", "title", "Second Choice", "const", "value3",
                                  "title", "Third Choice"));
    return ask_client(call, "elicitation/create",
                      json_pack("{s:s, s:{s:s, s:o, s:[]}}", "message", "Please choose among these options",
                                "requestedSchema", "type", "object", "properties", props, "required"),
                      "Elicitation completed", timeout_ms);
}

static json_t *call_tool(const json_t *params, mcp_call *call, bool log_ok, int *code, char *msg, size_t len) {
    const char *name = jx_str(params, "name");
    const json_t *token = json_object_get(json_object_get(params, "_meta"), "progressToken");
    if (!name) {
        *code = RPC_INVALID_PARAMS;
        snprintf(msg, len, "Invalid params: tool name is required");
        return NULL;
    }
    const json_t *args = json_object_get(params, "arguments");
    int64_t timeout_ms = jx_int(args, "timeout_ms", CLIENT_TIMEOUT_MS);
    if (timeout_ms < 1 || timeout_ms > CLIENT_TIMEOUT_MAX_MS) {
        *code = RPC_INVALID_PARAMS;
        snprintf(msg, len, "Invalid params: timeout_ms must be 1 to %d", CLIENT_TIMEOUT_MAX_MS);
        return NULL;
    }
    for (const fixture_tool *t = tools; t->name; t++) {
        if (!strcmp(t->name, name) && t->required_arg && !jx_str(args, t->required_arg)) {
            *code = RPC_INVALID_PARAMS;
            snprintf(msg, len, "Invalid params: %s needs the string argument %s", name, t->required_arg);
            return NULL;
        }
    }
    if (!strcmp(name, "test_sampling"))
        return ask_client(call, "sampling/createMessage",
                          json_pack("{s:[{s:s, s:{s:s, s:s}}], s:i}", "messages", "role", "user", "content", "type",
                                    "text", "text", jx_str(args, "prompt"), "maxTokens", 100),
                          "sampling", (int)timeout_ms);
    if (!strcmp(name, "test_elicitation"))
        return ask_client(call, "elicitation/create",
                          json_pack("{s:s, s:{s:s, s:{s:{s:s, s:s}, s:{s:s, s:s}}, s:[s, s]}}", "message",
                                    jx_str(args, "message"), "requestedSchema", "type", "object", "properties",
                                    "username", "type", "string", "description", "User's response", "email", "type",
                                    "string", "description", "User's email address", "required", "username",
                                    "email"),
                          "User response", (int)timeout_ms);
    if (!strcmp(name, "test_elicitation_sep1034_defaults")) return elicit_sep1034(call, (int)timeout_ms);
    if (!strcmp(name, "test_elicitation_sep1330_enums")) return elicit_sep1330(call, (int)timeout_ms);
    if (!strcmp(name, "json_schema_2020_12_tool"))
        return content_result(json_pack("[o]", text_block("json_schema_2020_12_tool called")), false);
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
        notify_log(call, log_ok, "Tool execution started");
        pause_ms(50);
        notify_log(call, log_ok, "Tool processing data");
        pause_ms(50);
        notify_log(call, log_ok, "Tool execution completed");
        return content_result(json_pack("[o]", text_block("Tool with logging executed successfully")), false);
    }
    if (!strcmp(name, "test_tool_with_progress")) {
        notify_progress(call, token, 0);
        pause_ms(50);
        notify_progress(call, token, 50);
        pause_ms(50);
        notify_progress(call, token, 100);
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

json_t *fixtures_answer(const char *method, const json_t *params, mcp_call *call, bool log_ok, int *code, char *msg,
                        size_t msg_len) {
    if (!strcmp(method, "tools/list")) return list_tools();
    if (!strcmp(method, "tools/call")) return call_tool(params, call, log_ok, code, msg, msg_len);
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
