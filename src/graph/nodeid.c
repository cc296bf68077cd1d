#include "nodeid.h"

#include <string.h>

static const struct {
    const char *prefix;
    node_kind kind;
} prefixes[] = {
    {"memory:", NODE_MEMORY}, {"todo:", NODE_TODO},       {"chat:", NODE_CHAT},
    {"blueprint:", NODE_BLUEPRINT}, {"pattern:", NODE_PATTERN}, {"tag:", NODE_TAG},
};

const char *nodeid_kind_name(node_kind k) {
    switch (k) {
    case NODE_ENTITY: return "entity";
    case NODE_MEMORY: return "memory";
    case NODE_TODO: return "todo";
    case NODE_CHAT: return "chat";
    case NODE_BLUEPRINT: return "blueprint";
    case NODE_PATTERN: return "pattern";
    case NODE_TAG: return "tag";
    }
    return "entity";
}

bool nodeid_is_record(node_kind k) {
    return k == NODE_MEMORY || k == NODE_TODO || k == NODE_CHAT || k == NODE_BLUEPRINT;
}

/* A positive decimal in canonical form that fits in int64. */
static bool parse_id_number(const char *s, int64_t *out) {
    if (*s < '1' || *s > '9') return false;
    int64_t v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9') return false;
        int d = *s - '0';
        if (v > (INT64_MAX - d) / 10) return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

static bool is_blueprint_id(const char *s) {
    if (strncmp(s, "bp_", 3) != 0 || strlen(s) != 11) return false;
    for (int i = 3; i < 11; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return false;
    return true;
}

int nodeid_parse(const char *id, node_ref *ref, lt_err *err) {
    ref->kind = NODE_ENTITY;
    ref->num = 0;
    ref->rest = id;
    size_t len = strlen(id);
    if (len == 0) return lt_err_set(err, LT_ERR_INVALID, "A node id must not be empty");
    if (len > NODEID_MAX_LEN)
        return lt_err_set(err, LT_ERR_INVALID, "Node id is too long: %zu bytes (limit %d)", len, NODEID_MAX_LEN);
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
        size_t pl = strlen(prefixes[i].prefix);
        if (strncmp(id, prefixes[i].prefix, pl) != 0) continue;
        const char *rest = id + pl;
        ref->kind = prefixes[i].kind;
        ref->rest = rest;
        switch (ref->kind) {
        case NODE_MEMORY:
        case NODE_TODO:
        case NODE_CHAT:
            if (!parse_id_number(rest, &ref->num))
                return lt_err_set(err, LT_ERR_INVALID,
                                  "Invalid node id '%.80s': %s ids are positive integers without leading zeros "
                                  "(e.g. %s12)", id, nodeid_kind_name(ref->kind), prefixes[i].prefix);
            break;
        case NODE_BLUEPRINT:
            if (!is_blueprint_id(rest))
                return lt_err_set(err, LT_ERR_INVALID,
                                  "Invalid node id '%.80s': blueprint ids are bp_ and 8 lower-case hex digits "
                                  "(e.g. blueprint:bp_1a2b3c4d)", id);
            break;
        default:
            if (!*rest)
                return lt_err_set(err, LT_ERR_INVALID, "Invalid node id '%.80s': a name must follow '%s'", id,
                                  prefixes[i].prefix);
            break;
        }
        return 0;
    }
    return 0;
}
