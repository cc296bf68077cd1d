#include "tool.h"

#include "../core/clock.h"
#include "../core/jsonx.h"
#include "../core/metrics.h"
#include "../core/sla.h"

#include <assert.h>
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Every action of every tool takes `project`. */
static const param_def project_param = {
    "project", PT_STRING, false, NULL,
    "Project namespace. Defaults to the server's configured project. Data of one project is never "
    "visible from another.",
    NULL, 0, 0, 128};

extern const tool_def memory_tool, todo_tool, chat_tool, graph_tool, blueprint_tool, unix_tool, cache_tool, config_tool;
extern const tool_def pattern_tool, documentation_tool, sync_tool;

static const tool_def *const all_tools[] = {&memory_tool,        &todo_tool,      &chat_tool,  &graph_tool,
                                            &blueprint_tool,     &unix_tool,      &pattern_tool, &cache_tool,
                                            &documentation_tool, &sync_tool,      &config_tool};

const tool_def *const *tools_all(size_t *count) {
    *count = sizeof all_tools / sizeof all_tools[0];
    return all_tools;
}

const tool_def *tool_find(const char *name) {
    for (size_t i = 0; i < sizeof all_tools / sizeof all_tools[0]; i++)
        if (strcmp(all_tools[i]->name, name) == 0) return all_tools[i];
    return NULL;
}

static const char *type_name(param_type t) {
    switch (t) {
    case PT_STRING: return "string";
    case PT_INTEGER: return "integer";
    case PT_NUMBER: return "number";
    case PT_BOOLEAN: return "boolean";
    case PT_OBJECT: return "object";
    case PT_ARRAY: return "array";
    case PT_STRING_ARRAY: return "array of strings";
    case PT_STRING_LIST: return "array of strings";
    }
    return "?";
}

/* "todo_action" -> "todo", for the original's "Unknown todo action: x". */
static void short_name(const tool_def *t, char *buf, size_t len) {
    snprintf(buf, len, "%s", t->name);
    char *suffix = strstr(buf, "_action");
    if (suffix && suffix[7] == '\0') *suffix = '\0';
}

/* ---- schema ---------------------------------------------------------- */

static json_t *param_schema(const param_def *p) {
    json_t *s = json_object();
    switch (p->type) {
    case PT_STRING_ARRAY:
    case PT_STRING_LIST:
        jx_set_str(s, "type", "array");
        json_object_set_new(s, "items", json_pack("{s:s}", "type", "string"));
        break;
    case PT_ARRAY: /* every array parameter is a list of objects (documents); some clients require items */
        jx_set_str(s, "type", "array");
        json_object_set_new(s, "items", json_pack("{s:s}", "type", "object"));
        break;
    default: jx_set_str(s, "type", type_name(p->type)); break;
    }
    if (p->choices) {
        json_t *e = json_array();
        for (const char *const *c = p->choices; *c; c++) json_array_append_new(e, json_string(*c));
        json_object_set_new(s, "enum", e);
    }
    if (p->type == PT_INTEGER && p->min < p->max) {
        jx_set_int(s, "minimum", p->min);
        jx_set_int(s, "maximum", p->max);
    }
    if (p->type == PT_STRING) jx_set_int(s, "maxLength", (int64_t)(p->max_len ? p->max_len : PARAM_DEFAULT_MAX_LEN));
    return s;
}

static const param_def *action_param(const action_def *a, const char *name) {
    for (const param_def *p = a->params; p && p->name; p++)
        if (strcmp(p->name, name) == 0) return p;
    if (strcmp(name, project_param.name) == 0) return &project_param;
    return NULL;
}

/* One property per distinct parameter name across the tool's actions. Its
 * description says which actions use it, where it is required, and the
 * default (per action when they differ). */
static json_t *tool_input_schema(const tool_def *t) {
    json_t *props = json_object();
    json_t *action_enum = json_array();
    char action_desc[4096];
    size_t ad = (size_t)snprintf(action_desc, sizeof action_desc, "The operation to run.");
    for (const action_def *a = t->actions; a->name; a++) {
        json_array_append_new(action_enum, json_string(a->name));
        if (ad < sizeof action_desc)
            ad += (size_t)snprintf(action_desc + ad, sizeof action_desc - ad, " %s: %s", a->name, a->desc);
    }
    json_t *action = json_object();
    jx_set_str(action, "type", "string");
    json_object_set_new(action, "enum", action_enum);
    jx_set_str(action, "description", action_desc);
    json_object_set_new(props, "action", action);

    for (const action_def *a = t->actions; a->name; a++) {
        for (const param_def *p = a->params; p && p->name; p++) {
            if (json_object_get(props, p->name)) continue;
            /* First sight of this name: gather every action using it. */
            char used[512] = "", required[512] = "", defaults[1024] = "";
            size_t nu = 0, nr = 0, nd = 0;
            const char *common_def = p->def;
            bool defaults_differ = false;
            for (const action_def *b = t->actions; b->name; b++) {
                const param_def *q = action_param(b, p->name);
                if (!q || q == &project_param) continue;
                assert(q->type == p->type && "a parameter name must have one type across a tool's actions");
                nu += (size_t)snprintf(used + nu, sizeof used - nu, "%s%s", nu ? ", " : "", b->name);
                if (q->required)
                    nr += (size_t)snprintf(required + nr, sizeof required - nr, "%s%s", nr ? ", " : "", b->name);
                if (q->def) {
                    nd += (size_t)snprintf(defaults + nd, sizeof defaults - nd, "%s%s for %s", nd ? "; " : "",
                                           q->def, b->name);
                }
                if ((q->def == NULL) != (common_def == NULL) || (q->def && strcmp(q->def, common_def)))
                    defaults_differ = true;
                if (nu >= sizeof used || nr >= sizeof required || nd >= sizeof defaults) break;
            }
            json_t *s = param_schema(p);
            char desc[2048];
            size_t n = (size_t)snprintf(desc, sizeof desc, "%s Used by: %s.", p->desc, used);
            if (nr && n < sizeof desc) n += (size_t)snprintf(desc + n, sizeof desc - n, " Required for: %s.", required);
            if (defaults_differ && nd && n < sizeof desc)
                snprintf(desc + n, sizeof desc - n, " Default: %s.", defaults);
            jx_set_str(s, "description", desc);
            if (!defaults_differ && common_def) {
                json_t *dv = json_loads(common_def, JSON_DECODE_ANY, NULL);
                assert(dv && "a param default must be valid JSON");
                json_object_set_new(s, "default", dv);
            }
            json_object_set_new(props, p->name, s);
        }
    }
    json_t *ps = param_schema(&project_param);
    jx_set_str(ps, "description", project_param.desc);
    json_object_set_new(props, project_param.name, ps);

    json_t *schema = json_object();
    jx_set_str(schema, "type", "object");
    json_object_set_new(schema, "properties", props);
    json_object_set_new(schema, "required", json_pack("[s]", "action"));
    jx_set_bool(schema, "additionalProperties", false);
    return schema;
}

json_t *tool_describe(const tool_def *t) {
    json_t *d = json_object();
    jx_set_str(d, "name", t->name);
    jx_set_str(d, "title", t->title);
    jx_set_str(d, "description", t->desc);
    json_object_set_new(d, "inputSchema", tool_input_schema(t));
    /* Results differ by action; what every result shares is the envelope. */
    json_object_set_new(d, "outputSchema",
                        json_pack("{s:s, s:{s:{s:s, s:s}, s:{s:s, s:s}}, s:[s]}", "type", "object",
                                  "properties", "success", "type", "boolean", "description",
                                  "Whether the action succeeded.", "error", "type", "string", "description",
                                  "What went wrong, when success is false.", "required", "success"));
    json_t *ann = json_object();
    jx_set_str(ann, "title", t->title);
    jx_set_bool(ann, "readOnlyHint", t->read_only);
    if (!t->read_only) jx_set_bool(ann, "destructiveHint", t->destructive);
    jx_set_bool(ann, "idempotentHint", t->idempotent);
    jx_set_bool(ann, "openWorldHint", false);
    json_object_set_new(d, "annotations", ann);
    return d;
}

/* ---- validation -------------------------------------------------------- */

static bool is_blank(const char *s) {
    for (; *s; s++)
        if (!isspace((unsigned char)*s)) return false;
    return true;
}

static int check_value(const param_def *p, json_t *v, json_t **normalised, lt_err *err) {
    bool ok;
    switch (p->type) {
    case PT_STRING: ok = json_is_string(v); break;
    case PT_INTEGER:
        /* 5.0 is an integer to a person; 5.5 is not. */
        ok = json_is_integer(v) || (json_is_real(v) && json_real_value(v) == floor(json_real_value(v)) &&
                                    fabs(json_real_value(v)) < 9e15);
        break;
    case PT_NUMBER: ok = json_is_number(v); break;
    case PT_BOOLEAN: ok = json_is_boolean(v); break;
    case PT_OBJECT: ok = json_is_object(v); break;
    case PT_ARRAY: ok = json_is_array(v); break;
    case PT_STRING_LIST:
        if (json_is_string(v)) { /* "a, b,c" -> ["a","b","c"]: the original accepted both */
            json_t *list = json_array();
            const char *str = json_string_value(v);
            while (*str) {
                const char *comma = strchr(str, ',');
                size_t n = comma ? (size_t)(comma - str) : strlen(str);
                while (n && isspace((unsigned char)*str)) { str++; n--; }
                while (n && isspace((unsigned char)str[n - 1])) n--;
                if (n) json_array_append_new(list, json_stringn(str, n));
                if (!comma) break;
                str = comma + 1;
            }
            *normalised = list;
            return 0;
        }
        /* fall through */
    case PT_STRING_ARRAY: {
        ok = json_is_array(v);
        size_t i;
        json_t *item;
        json_array_foreach(v, i, item) if (!json_is_string(item)) ok = false;
        break;
    }
    default: ok = false;
    }
    if (!ok)
        return lt_err_set(err, LT_ERR_INVALID, "Invalid type for parameter '%s': expected %s, got %s", p->name,
                          type_name(p->type), jx_type_name(v));
    /* SQLite's JSON functions stop at about 2000 levels; nothing sensible
     * nests anywhere near this. */
    if ((p->type == PT_OBJECT || p->type == PT_ARRAY) && jx_depth(v, PARAM_MAX_DEPTH) > PARAM_MAX_DEPTH)
        return lt_err_set(err, LT_ERR_INVALID, "Parameter '%s' is nested too deeply (limit %d levels)", p->name,
                          PARAM_MAX_DEPTH);
    *normalised = json_incref(v);
    if (p->type == PT_INTEGER) {
        json_int_t iv = json_is_integer(v) ? json_integer_value(v) : (json_int_t)json_real_value(v);
        json_decref(*normalised);
        *normalised = json_integer(iv);
        if (p->min < p->max && (iv < p->min || iv > p->max)) {
            json_decref(*normalised);
            return lt_err_set(err, LT_ERR_INVALID,
                              "Invalid value for parameter '%s': %lld (expected an integer from %lld to %lld)",
                              p->name, (long long)iv, (long long)p->min, (long long)p->max);
        }
    }
    if (p->type == PT_STRING) {
        const char *s = json_string_value(v);
        size_t len = json_string_length(v), limit = p->max_len ? p->max_len : PARAM_DEFAULT_MAX_LEN;
        if (len > limit) {
            json_decref(*normalised);
            return lt_err_set(err, LT_ERR_INVALID, "Parameter '%s' is too long: %zu bytes (limit %zu)", p->name, len,
                              limit);
        }
        if (strlen(s) != len) {
            json_decref(*normalised);
            return lt_err_set(err, LT_ERR_INVALID, "Parameter '%s' contains a NUL character", p->name);
        }
        if (p->required && is_blank(s)) {
            json_decref(*normalised);
            return lt_err_set(err, LT_ERR_INVALID, "Parameter '%s' must not be empty", p->name);
        }
        if (p->choices) {
            for (const char *const *c = p->choices; *c; c++) {
                if (strcasecmp(*c, s) == 0) {
                    json_decref(*normalised);
                    *normalised = json_string(*c); /* canonical spelling */
                    return 0;
                }
            }
            char list[512];
            size_t n = 0;
            for (const char *const *c = p->choices; *c && n < sizeof list; c++)
                n += (size_t)snprintf(list + n, sizeof list - n, "%s%s", n ? ", " : "", *c);
            json_decref(*normalised);
            return lt_err_set(err, LT_ERR_INVALID, "Invalid value for parameter '%s': '%.80s' (expected one of: %s)",
                              p->name, s, list);
        }
    }
    return 0;
}

static int check_project(const char *s, lt_err *err) {
    if (is_blank(s)) return lt_err_set(err, LT_ERR_INVALID, "Parameter 'project' must not be empty");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return lt_err_set(err, LT_ERR_INVALID, "Parameter 'project' must not contain control characters");
    return 0;
}

json_t *tool_validate(const tool_def *t, const action_def **action_out, const json_t *args, lt_err *err) {
    char tool_short[64];
    short_name(t, tool_short, sizeof tool_short);
    *action_out = NULL;
    if (args && !json_is_object(args)) {
        lt_err_set(err, LT_ERR_INVALID, "Arguments must be an object, got %s", jx_type_name(args));
        return NULL;
    }
    json_t *av = args ? json_object_get(args, "action") : NULL;
    if (!av || json_is_null(av) || (json_is_string(av) && is_blank(json_string_value(av)))) {
        lt_err_set(err, LT_ERR_INVALID, "Missing required parameter: action");
        return NULL;
    }
    if (!json_is_string(av)) {
        lt_err_set(err, LT_ERR_INVALID, "Invalid type for parameter 'action': expected string, got %s",
                   jx_type_name(av));
        return NULL;
    }
    const char *name = json_string_value(av);
    const action_def *a = NULL;
    for (const action_def *x = t->actions; x->name; x++)
        if (strcmp(x->name, name) == 0) a = x;
    if (!a) {
        char list[512];
        size_t n = 0;
        for (const action_def *x = t->actions; x->name && n < sizeof list; x++)
            n += (size_t)snprintf(list + n, sizeof list - n, "%s%s", n ? ", " : "", x->name);
        lt_err_set(err, LT_ERR_INVALID, "Unknown %s action: %.100s (valid actions: %s)", tool_short, name, list);
        return NULL;
    }
    *action_out = a;

    const char *key;
    json_t *v;
    json_object_foreach((json_t *)args, key, v) {
        if (strcmp(key, "action") == 0 || action_param(a, key)) continue;
        char list[1024];
        size_t n = 0;
        for (const param_def *p = a->params; p && p->name && n < sizeof list; p++)
            n += (size_t)snprintf(list + n, sizeof list - n, "%s, ", p->name);
        if (n < sizeof list) snprintf(list + n, sizeof list - n, "project");
        lt_err_set(err, LT_ERR_INVALID, "Unknown parameter for %s %s: '%.100s' (accepted: %s)", tool_short,
                   a->name, key, list);
        return NULL;
    }

    json_t *out = json_object();
    jx_set_str(out, "action", a->name);
    const param_def *all[64];
    size_t np = 0;
    for (const param_def *p = a->params; p && p->name; p++) {
        assert(np < 63);
        all[np++] = p;
    }
    all[np++] = &project_param;
    for (size_t i = 0; i < np; i++) {
        const param_def *p = all[i];
        json_t *given = json_object_get(args, p->name);
        if (given && json_is_null(given)) given = NULL; /* null means "not given" */
        if (!given) {
            if (p->required) {
                lt_err_set(err, LT_ERR_INVALID, "Missing required parameter: %s", p->name);
                goto fail;
            }
            if (p->def) json_object_set_new(out, p->name, json_loads(p->def, JSON_DECODE_ANY, NULL));
            continue;
        }
        json_t *norm = NULL;
        if (check_value(p, given, &norm, err)) goto fail;
        json_object_set_new(out, p->name, norm);
        if (p == &project_param && check_project(json_string_value(norm), err)) goto fail;
    }
    return out;
fail:
    json_decref(out);
    return NULL;
}

/* ---- the call path ------------------------------------------------------- */

static json_t *error_result(const char *msg) {
    json_t *r = json_object();
    jx_set_bool(r, "success", false);
    jx_set_str(r, "error", msg);
    return r;
}

int tool_fail_with(json_t *out, const lt_err *err, const json_t *details) {
    assert(err->msg[0] && "a failing action must say why");
    json_object_clear(out);
    jx_set_bool(out, "success", false);
    jx_set_str(out, "error", err->msg);
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)details, key, v) {
        if (strcmp(key, "success") != 0 && strcmp(key, "error") != 0) json_object_set(out, key, v);
    }
    return 0;
}

void tool_report(const tool_ctx *ctx, double progress, double total, const char *message) {
    if (ctx->progress) ctx->progress->fn(ctx->progress->arg, progress, total, message);
}

json_t *tool_call(const tool_def *t, const tool_env *env, const json_t *args, const atomic_int *cancelled,
                  bool *failed, jx_frozen **frozen) {
    uint64_t start = clock_mono_ns();
    lt_err err;
    lt_err_clear(&err);
    const action_def *a = NULL;
    json_t *result;
    if (frozen) *frozen = NULL;
    json_t *full = tool_validate(t, &a, args, &err);
    if (!full) {
        result = error_result(err.msg);
    } else {
        tool_ctx ctx = {env->st, env->cfg, env->mem, jx_str(full, "project"), cancelled, env->progress, NULL};
        if (!ctx.project) ctx.project = settings_str(env->cfg, SET_PROJECT);
        result = json_object();
        jx_set_bool(result, "success", true);
        if (a->fn(&ctx, full, result, &err) != 0) {
            assert(err.msg[0] && "a failing action must say why");
            json_decref(result);
            result = error_result(err.msg);
            jx_frozen_release(ctx.frozen);
            ctx.frozen = NULL;
        }
        if (frozen) {
            *frozen = ctx.frozen;
            ctx.frozen = NULL;
        }
        jx_frozen_release(ctx.frozen);
        json_decref(full);
    }
    *failed = json_is_false(json_object_get(result, "success"));
    uint64_t elapsed = clock_mono_ns() - start;
    metrics_record(t->name, a ? a->name : "(invalid)", elapsed, *failed);
    sla_check(t->name, a ? a->name : "(invalid)", elapsed);
    return result;
}
