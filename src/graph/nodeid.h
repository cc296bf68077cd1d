/* nodeid.h - how graph nodes are named.
 *
 * Agents address every node by a string id. A known prefix names a record
 * of this project and sets the node's kind:
 *
 *   memory:<n>  todo:<n>  chat:<n>   a memory, todo or chat message; n is its
 *                                    id (decimal, no sign, no leading zero)
 *   blueprint:<bp_xxxxxxxx>          a task blueprint (bp_ and 8 hex digits)
 *   pattern:<name>  tag:<name>       a code pattern, a memory tag (any name)
 *
 * Any other string ("doc_123", "AuthService", "Memory:1", "a:b") is a free
 * entity, kind "entity", so the original's plain source_id/target_id
 * strings keep working. Prefixes are case-sensitive. A malformed id with a
 * known prefix ("memory:abc", "memory:012") is refused rather than taken as
 * an entity, so one record never gets two nodes. */
#ifndef LT_NODEID_H
#define LT_NODEID_H

#include "../core/err.h"

#include <stdbool.h>
#include <stdint.h>

typedef enum {
    NODE_ENTITY,
    NODE_MEMORY,
    NODE_TODO,
    NODE_CHAT,
    NODE_BLUEPRINT,
    NODE_PATTERN,
    NODE_TAG
} node_kind;

#define NODEID_MAX_LEN 512

typedef struct {
    node_kind kind;
    int64_t num;      /* memory, todo, chat: the record's id */
    const char *rest; /* the text after the prefix (points into the id) */
} node_ref;

/* Classifies id; -1 with a message naming the rule when it is malformed. */
int nodeid_parse(const char *id, node_ref *ref, lt_err *err);

/* "memory", "entity", ...: the kind column and the JSON "kind". */
const char *nodeid_kind_name(node_kind k);

/* Whether a node of this kind stands for a row of another table (memory,
 * todo, chat, blueprint), which must exist when the node is linked. */
bool nodeid_is_record(node_kind k);

#endif
