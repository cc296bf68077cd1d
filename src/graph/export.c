#include "export.h"

#include "../core/clock.h"
#include "../core/jsonx.h"
#include "../core/sbuf.h"
#include "graph.h"
#include "nodeid.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

export_format export_format_parse(const char *s) {
    if (s && strcasecmp(s, "cypher") == 0) return EXPORT_CYPHER;
    if (s && strcasecmp(s, "graphml") == 0) return EXPORT_GRAPHML;
    return EXPORT_JSON;
}

/* ---- Cypher quoting ------------------------------------------------------------------ */

/* Single-quoted with backslash escapes; control characters as \uXXXX (or
 * their short forms), so a statement never spans lines. Other characters,
 * including non-ASCII UTF-8, are written as they are. */
static void sb_cypher_string(sbuf *b, const char *s) {
    sbuf_str(b, "'");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '\\': sbuf_str(b, "\\\\"); break;
        case '\'': sbuf_str(b, "\\'"); break;
        case '\n': sbuf_str(b, "\\n"); break;
        case '\r': sbuf_str(b, "\\r"); break;
        case '\t': sbuf_str(b, "\\t"); break;
        case '\b': sbuf_str(b, "\\b"); break;
        case '\f': sbuf_str(b, "\\f"); break;
        default:
            if (*p < 0x20 || *p == 0x7f) sbuf_printf(b, "\\u%04x", *p);
            else sbuf_add(b, (const char *)p, 1);
        }
    }
    sbuf_str(b, "'");
}

/* Backtick-quoted; a backtick inside is doubled. */
static void sb_cypher_ident(sbuf *b, const char *s) {
    sbuf_str(b, "`");
    for (const char *p = s; *p; p++) {
        if (*p == '`') sbuf_str(b, "``");
        else sbuf_add(b, p, 1);
    }
    sbuf_str(b, "`");
}

char *cypher_string(const char *s) {
    sbuf b = {0};
    sb_cypher_string(&b, s);
    return sbuf_take(&b);
}

char *cypher_identifier(const char *s) {
    sbuf b = {0};
    sb_cypher_ident(&b, s);
    return sbuf_take(&b);
}

/* A float literal Cypher reads as a float: always with a '.' or exponent. */
static void sb_cypher_float(sbuf *b, double d) {
    char tmp[40];
    snprintf(tmp, sizeof tmp, "%.17g", d);
    sbuf_str(b, tmp);
    if (!strpbrk(tmp, ".eE")) sbuf_str(b, ".0");
}

/* Neo4j stores strings, numbers, booleans and lists of one of them. */
static bool is_plain_list(const json_t *a) {
    size_t i;
    json_t *v;
    int kind = 0; /* 1 string, 2 number, 3 boolean */
    json_array_foreach(a, i, v) {
        int k = json_is_string(v) ? 1 : json_is_number(v) ? 2 : json_is_boolean(v) ? 3 : 0;
        if (!k || (kind && k != kind)) return false;
        kind = k;
    }
    return true;
}

static void sb_cypher_value(sbuf *b, const json_t *v) {
    if (json_is_string(v)) sb_cypher_string(b, json_string_value(v));
    else if (json_is_integer(v)) sbuf_printf(b, "%lld", (long long)json_integer_value(v));
    else if (json_is_real(v)) sb_cypher_float(b, json_real_value(v));
    else if (json_is_boolean(v)) sbuf_str(b, json_is_true(v) ? "true" : "false");
    else if (json_is_array(v) && is_plain_list(v)) {
        sbuf_str(b, "[");
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x) {
            if (i) sbuf_str(b, ", ");
            sb_cypher_value(b, x);
        }
        sbuf_str(b, "]");
    } else {
        char *text = jx_dump(v); /* objects and mixed lists: as JSON text */
        sb_cypher_string(b, text ? text : "null");
        free(text);
    }
}

/* "{`k`: v, ...}" of the members Neo4j can hold; false when none. */
static bool sb_cypher_map(sbuf *b, const json_t *props) {
    const char *key;
    json_t *v;
    bool any = false;
    json_object_foreach((json_t *)props, key, v) {
        if (json_is_null(v) || !*key) continue;
        sbuf_str(b, any ? ", " : "{");
        sb_cypher_ident(b, key);
        sbuf_str(b, ": ");
        sb_cypher_value(b, v);
        any = true;
    }
    if (any) sbuf_str(b, "}");
    return any;
}

/* (var:LtmcNode {project: '...', id: '...'}): how every statement names a node. */
static void cypher_node_ref(sbuf *b, const char *var, const char *project, const char *id) {
    sbuf_str(b, "(");
    sbuf_str(b, var);
    sbuf_str(b, ":LtmcNode {project: ");
    sb_cypher_string(b, project);
    sbuf_str(b, ", id: ");
    sb_cypher_string(b, id);
    sbuf_str(b, "})");
}

/* " SET var += {...}" when props has entries. */
static void cypher_set_props(sbuf *b, const char *var, const json_t *props) {
    sbuf m = {0};
    if (sb_cypher_map(&m, props)) {
        sbuf_str(b, " SET ");
        sbuf_str(b, var);
        sbuf_str(b, " += ");
        sbuf_add(b, m.s, m.len);
    }
    sbuf_free(&m);
}

static void cypher_node(sbuf *b, const char *project, const char *id, const char *kind, const char *label,
                        const json_t *props, const char *created_at) {
    sbuf_str(b, "MERGE ");
    cypher_node_ref(b, "n", project, id);
    cypher_set_props(b, "n", props);
    /* A second SET, so ltmc's own fields win over same-named properties. */
    char cap[32];
    snprintf(cap, sizeof cap, "%s", kind);
    cap[0] = (char)toupper((unsigned char)cap[0]);
    sbuf_str(b, " SET n:");
    sb_cypher_ident(b, cap);
    sbuf_str(b, ", n.kind = ");
    sb_cypher_string(b, kind);
    if (label) {
        sbuf_str(b, ", n.label = ");
        sb_cypher_string(b, label);
    }
    sbuf_str(b, ", n.created_at = ");
    sb_cypher_string(b, created_at);
    sbuf_str(b, ";\n");
}

static void cypher_edge(sbuf *b, const char *project, const char *src, const char *dst, const char *rel, double weight,
                        const json_t *props, const char *created_at) {
    sbuf_str(b, "MATCH ");
    cypher_node_ref(b, "a", project, src);
    sbuf_str(b, " MATCH ");
    cypher_node_ref(b, "b", project, dst);
    sbuf_str(b, " MERGE (a)-[r:");
    sb_cypher_ident(b, rel);
    sbuf_str(b, "]->(b)");
    cypher_set_props(b, "r", props);
    sbuf_str(b, " SET r.weight = ");
    sb_cypher_float(b, weight);
    sbuf_str(b, ", r.created_at = ");
    sb_cypher_string(b, created_at);
    sbuf_str(b, ";\n");
}

/* ---- GraphML ------------------------------------------------------------------------ */

/* Decodes one UTF-8 sequence at p (valid UTF-8 is assumed: SQLite text
 * written by ltmc always is); returns its length and the code point. */
static size_t utf8_next(const unsigned char *p, uint32_t *cp) {
    if (p[0] < 0x80) { *cp = p[0]; return 1; }
    if ((p[0] & 0xe0) == 0xc0 && p[1]) { *cp = (uint32_t)(p[0] & 0x1f) << 6 | (p[1] & 0x3f); return 2; }
    if ((p[0] & 0xf0) == 0xe0 && p[1] && p[2]) {
        *cp = (uint32_t)(p[0] & 0x0f) << 12 | (uint32_t)(p[1] & 0x3f) << 6 | (p[2] & 0x3f);
        return 3;
    }
    if ((p[0] & 0xf8) == 0xf0 && p[1] && p[2] && p[3]) {
        *cp = (uint32_t)(p[0] & 0x07) << 18 | (uint32_t)(p[1] & 0x3f) << 12 | (uint32_t)(p[2] & 0x3f) << 6 | (p[3] & 0x3f);
        return 4;
    }
    *cp = 0xfffd;
    return 1;
}

/* Character data: markup characters escaped, CR kept as a reference (a
 * parser would turn a raw one into LF), characters XML 1.0 forbids
 * replaced by U+FFFD. */
static void sb_xml_text(sbuf *b, const char *s) {
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        uint32_t cp;
        size_t n = utf8_next(p, &cp);
        if (cp == '&') sbuf_str(b, "&amp;");
        else if (cp == '<') sbuf_str(b, "&lt;");
        else if (cp == '>') sbuf_str(b, "&gt;");
        else if (cp == '"') sbuf_str(b, "&quot;");
        else if (cp == '\r') sbuf_str(b, "&#13;");
        else if ((cp < 0x20 && cp != '\t' && cp != '\n') || cp == 0xfffe || cp == 0xffff) sbuf_str(b, "\xef\xbf\xbd");
        else sbuf_add(b, (const char *)p, n);
        p += n;
    }
}

static void graphml_data(sbuf *b, const char *key, const char *value) {
    if (!value) return;
    sbuf_printf(b, "<data key=\"%s\">", key);
    sb_xml_text(b, value);
    sbuf_str(b, "</data>");
}

static const char graphml_head[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<graphml xmlns=\"http://graphml.graphdrawing.org/xmlns\" "
    "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
    "xsi:schemaLocation=\"http://graphml.graphdrawing.org/xmlns "
    "http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd\">\n"
    "  <key id=\"node_id\" for=\"node\" attr.name=\"id\" attr.type=\"string\"/>\n"
    "  <key id=\"kind\" for=\"node\" attr.name=\"kind\" attr.type=\"string\"/>\n"
    "  <key id=\"label\" for=\"node\" attr.name=\"label\" attr.type=\"string\"/>\n"
    "  <key id=\"node_properties\" for=\"node\" attr.name=\"properties\" attr.type=\"string\"/>\n"
    "  <key id=\"node_created_at\" for=\"node\" attr.name=\"created_at\" attr.type=\"string\"/>\n"
    "  <key id=\"relationship_type\" for=\"edge\" attr.name=\"relationship_type\" attr.type=\"string\"/>\n"
    "  <key id=\"weight\" for=\"edge\" attr.name=\"weight\" attr.type=\"double\"/>\n"
    "  <key id=\"edge_properties\" for=\"edge\" attr.name=\"properties\" attr.type=\"string\"/>\n"
    "  <key id=\"edge_created_at\" for=\"edge\" attr.name=\"created_at\" attr.type=\"string\"/>\n";

/* ---- export --------------------------------------------------------------------------- */

static int64_t count_rows(store *st, const char *sql, const char *project, lt_err *err) {
    store_stmt *s = store_prepare(st, sql, err);
    if (!s) return -1;
    store_bind_text(s, 1, project);
    if (store_step(s, err) != 1) return -1;
    int64_t n = store_col_int(s, 0);
    store_reset(s);
    return n;
}

static json_t *parse_props(const char *text) {
    json_t *p = text ? json_loads(text, 0, NULL) : NULL;
    return p ? p : json_object();
}

typedef struct {
    export_format f;
    const char *project;
    sbuf text;         /* cypher, graphml */
    json_t *nodes, *edges; /* json */
    size_t bytes;
    int64_t items;
} page;

/* Adds the current row (of the node or edge query); false when the page is
 * full (the row is then left for the next page). */
static bool add_node(page *pg, store_stmt *s) {
    const char *id = store_col_text(s, 1), *kind = store_col_text(s, 2), *label = store_col_text(s, 3);
    const char *created = store_col_text(s, 5);
    json_t *props = parse_props(store_col_text(s, 4));
    size_t before = pg->f == EXPORT_JSON ? pg->bytes : pg->text.len;
    if (pg->f == EXPORT_JSON) {
        json_t *n = json_pack("{s:s, s:s, s:s?, s:O, s:s}", "id", id, "kind", kind, "label", label, "properties", props,
                              "created_at", created);
        char *d = jx_dump(n);
        size_t len = d ? strlen(d) : 0;
        free(d);
        if (pg->items && pg->bytes + len > EXPORT_MAX_BYTES) { json_decref(n); json_decref(props); return false; }
        pg->bytes += len;
        json_array_append_new(pg->nodes, n);
    } else if (pg->f == EXPORT_CYPHER) {
        cypher_node(&pg->text, pg->project, id, kind, label, props, created);
        if (pg->items && pg->text.len > EXPORT_MAX_BYTES) {
            sbuf_truncate(&pg->text, before);
            json_decref(props);
            return false;
        }
    } else {
        char *ptext = jx_dump(props);
        sbuf_printf(&pg->text, "    <node id=\"n%lld\">", (long long)store_col_int(s, 0));
        graphml_data(&pg->text, "node_id", id);
        graphml_data(&pg->text, "kind", kind);
        graphml_data(&pg->text, "label", label);
        graphml_data(&pg->text, "node_properties", ptext);
        graphml_data(&pg->text, "node_created_at", created);
        sbuf_str(&pg->text, "</node>\n");
        free(ptext);
    }
    json_decref(props);
    pg->items++;
    return true;
}

static bool add_edge(page *pg, store_stmt *s) {
    const char *src = store_col_text(s, 1), *dst = store_col_text(s, 2), *rel = store_col_text(s, 3);
    double weight = store_col_real(s, 4);
    const char *created = store_col_text(s, 6);
    json_t *props = parse_props(store_col_text(s, 5));
    size_t before = pg->text.len;
    if (pg->f == EXPORT_JSON) {
        json_t *e = json_pack("{s:s, s:s, s:s, s:f, s:O, s:s}", "source_id", src, "target_id", dst, "relationship_type",
                              rel, "weight", weight, "properties", props, "created_at", created);
        char *d = jx_dump(e);
        size_t len = d ? strlen(d) : 0;
        free(d);
        if (pg->items && pg->bytes + len > EXPORT_MAX_BYTES) { json_decref(e); json_decref(props); return false; }
        pg->bytes += len;
        json_array_append_new(pg->edges, e);
    } else if (pg->f == EXPORT_CYPHER) {
        cypher_edge(&pg->text, pg->project, src, dst, rel, weight, props, created);
        if (pg->items && pg->text.len > EXPORT_MAX_BYTES) {
            sbuf_truncate(&pg->text, before);
            json_decref(props);
            return false;
        }
    } else {
        char *ptext = jx_dump(props);
        char w[40];
        snprintf(w, sizeof w, "%.17g", weight);
        sbuf_printf(&pg->text, "    <edge id=\"e%lld\" source=\"n%lld\" target=\"n%lld\">", (long long)store_col_int(s, 0),
                  (long long)store_col_int(s, 7), (long long)store_col_int(s, 8));
        graphml_data(&pg->text, "relationship_type", rel);
        graphml_data(&pg->text, "weight", w);
        graphml_data(&pg->text, "edge_properties", ptext);
        graphml_data(&pg->text, "edge_created_at", created);
        sbuf_str(&pg->text, "</edge>\n");
        free(ptext);
    }
    json_decref(props);
    pg->items++;
    return true;
}

#define NODE_SQL "SELECT id, node_key, kind, label, properties, created_at FROM graph_nodes WHERE project = ?1" \
                 " ORDER BY id LIMIT ?2 OFFSET ?3"
#define EDGE_SQL "SELECT e.id, s.node_key, d.node_key, e.relation, e.weight, e.properties, e.created_at, e.src, e.dst" \
                 " FROM graph_edges e JOIN graph_nodes s ON s.id = e.src JOIN graph_nodes d ON d.id = e.dst"      \
                 " WHERE e.project = ?1 ORDER BY e.id LIMIT ?2 OFFSET ?3"

/* Runs one of the two queries from offset, adding rows while they fit;
 * returns the rows added, or -1. */
static int64_t add_rows(store *st, page *pg, bool edges, int64_t offset, int64_t limit, lt_err *err) {
    store_stmt *s = store_prepare(st, edges ? EDGE_SQL : NODE_SQL, err);
    if (!s) return -1;
    store_bind_text(s, 1, pg->project);
    store_bind_int(s, 2, limit);
    store_bind_int(s, 3, offset);
    int64_t added = 0;
    int rc;
    while ((rc = store_step(s, err)) == 1) {
        if (!(edges ? add_edge(pg, s) : add_node(pg, s))) {
            store_reset(s);
            return added;
        }
        added++;
    }
    return rc < 0 ? -1 : added;
}

int graph_export(store *st, const char *project, export_format f, int64_t offset, int64_t limit, json_t *out,
                 lt_err *err) {
    int64_t n_nodes = count_rows(st, "SELECT count(*) FROM graph_nodes WHERE project = ?", project, err);
    int64_t n_edges = count_rows(st, "SELECT count(*) FROM graph_edges WHERE project = ?", project, err);
    if (n_nodes < 0 || n_edges < 0) return -1;
    int64_t total = n_nodes + n_edges;
    if (f == EXPORT_GRAPHML) {
        if (offset)
            return lt_err_set(err, LT_ERR_INVALID, "GraphML is exported as one whole document: offset does not apply "
                              "(use format json or cypher to export in pages)");
        if (total > GRAPHML_MAX_ITEMS)
            return lt_err_set(err, LT_ERR_INVALID, "The graph has %lld nodes and %lld relationships, more than one GraphML "
                              "document may hold (%d); export it in pages with format json or cypher",
                              (long long)n_nodes, (long long)n_edges, GRAPHML_MAX_ITEMS);
        offset = 0;
        limit = total;
    }
    page pg = {f, project, {0}, json_array(), json_array(), 0, 0};
    if (f == EXPORT_GRAPHML) {
        sbuf_str(&pg.text, graphml_head);
        sbuf_str(&pg.text, "  <graph id=\"");
        sb_xml_text(&pg.text, project);
        sbuf_str(&pg.text, "\" edgedefault=\"directed\">\n");
    }
    int64_t node_rows = 0, edge_rows = 0;
    if (offset < n_nodes) {
        node_rows = add_rows(st, &pg, false, offset, limit, err);
        if (node_rows < 0) goto fail;
    }
    bool full = offset + node_rows < n_nodes; /* stopped inside the nodes (page full) */
    if (!full && node_rows < limit) {
        int64_t eoff = offset > n_nodes ? offset - n_nodes : 0;
        edge_rows = add_rows(st, &pg, true, eoff, limit - node_rows, err);
        if (edge_rows < 0) goto fail;
    }
    if (f == EXPORT_GRAPHML) sbuf_str(&pg.text, "  </graph>\n</graphml>\n");
    if (pg.text.oom) { lt_err_set(err, LT_ERR_INTERNAL, "out of memory"); goto fail; }
    int64_t next = offset + node_rows + edge_rows;
    jx_set_str(out, "format", f == EXPORT_JSON ? "json" : f == EXPORT_CYPHER ? "cypher" : "graphml");
    if (f == EXPORT_JSON) json_object_set_new(out, "graph", json_pack("{s:O, s:O}", "nodes", pg.nodes, "edges", pg.edges));
    else jx_set_str(out, "content", pg.text.s ? pg.text.s : "");
    jx_set_int(out, "node_count", node_rows);
    jx_set_int(out, "edge_count", edge_rows);
    jx_set_int(out, "total_nodes", n_nodes);
    jx_set_int(out, "total_edges", n_edges);
    jx_set_int(out, "offset", offset);
    if (next < total) jx_set_int(out, "next_offset", next);
    else jx_set_null(out, "next_offset");
    jx_set_bool(out, "has_more", next < total);
    if (next < total)
        jx_set_str(out, "message", "More of the graph remains: call export again with offset = next_offset");
    sbuf_free(&pg.text);
    json_decref(pg.nodes);
    json_decref(pg.edges);
    return 0;
fail:
    sbuf_free(&pg.text);
    json_decref(pg.nodes);
    json_decref(pg.edges);
    return -1;
}

/* ---- import ---------------------------------------------------------------------------- */

/* Checks that obj only has the given keys. */
static int only_keys(const json_t *obj, const char *const *keys, const char *what, size_t i, lt_err *err) {
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)obj, k, v) {
        bool ok = false;
        for (const char *const *x = keys; *x; x++) ok |= strcmp(*x, k) == 0;
        if (!ok) {
            char list[256];
            size_t n = 0;
            for (const char *const *x = keys; *x && n < sizeof list; x++)
                n += (size_t)snprintf(list + n, sizeof list - n, "%s%s", n ? ", " : "", *x);
            return lt_err_set(err, LT_ERR_INVALID, "%s[%zu]: unknown field '%.60s' (accepted: %s)", what, i, k, list);
        }
    }
    return 0;
}

/* A string member (required or optional); NULL members count as absent. */
static int member_str(const json_t *obj, const char *key, bool required, const char **out, const char *what, size_t i,
                      lt_err *err) {
    json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (!v || json_is_null(v)) {
        if (required) return lt_err_set(err, LT_ERR_INVALID, "%s[%zu]: missing required field %s", what, i, key);
        return 0;
    }
    if (!json_is_string(v))
        return lt_err_set(err, LT_ERR_INVALID, "%s[%zu].%s: expected string, got %s", what, i, key, jx_type_name(v));
    if (strlen(json_string_value(v)) != json_string_length(v))
        return lt_err_set(err, LT_ERR_INVALID, "%s[%zu].%s contains a NUL character", what, i, key);
    *out = json_string_value(v);
    return 0;
}

/* created_at as ltmc writes it (ISO-8601 UTC with milliseconds). */
static int member_time(const json_t *obj, char *buf, bool *given, const char *what, size_t i, lt_err *err) {
    const char *t;
    if (member_str(obj, "created_at", false, &t, what, i, err)) return -1;
    *given = t != NULL;
    if (!t) return 0;
    int64_t ms;
    if (clock_parse_iso(t, &ms))
        return lt_err_set(err, LT_ERR_INVALID, "%s[%zu].created_at: '%.60s' is not an ISO-8601 time", what, i, t);
    clock_format_iso(ms, buf, CLOCK_ISO_LEN);
    return 0;
}

static int member_props(const json_t *obj, const json_t **props, const char *what, size_t i, lt_err *err) {
    json_t *p = json_object_get(obj, "properties");
    *props = NULL;
    if (!p || json_is_null(p)) return 0;
    char name[96];
    snprintf(name, sizeof name, "%s[%zu].properties", what, i);
    if (graph_check_properties(name, p, err)) return -1;
    *props = p;
    return 0;
}

typedef struct {
    const char *project;
    const json_t *nodes, *edges;
    int64_t nodes_created, edges_created;
} import_ctx;

static int import_node(store *st, import_ctx *c, const json_t *n, size_t i, lt_err *err) {
    static const char *const keys[] = {"id", "kind", "label", "properties", "created_at", NULL};
    if (!json_is_object(n)) return lt_err_set(err, LT_ERR_INVALID, "nodes[%zu] must be an object", i);
    if (only_keys(n, keys, "nodes", i, err)) return -1;
    const char *id, *kind, *label;
    const json_t *props;
    char when[CLOCK_ISO_LEN];
    bool has_time;
    if (member_str(n, "id", true, &id, "nodes", i, err) || member_str(n, "kind", false, &kind, "nodes", i, err) ||
        member_str(n, "label", false, &label, "nodes", i, err) || member_props(n, &props, "nodes", i, err) ||
        member_time(n, when, &has_time, "nodes", i, err))
        return -1;
    node_ref ref;
    if (nodeid_parse(id, &ref, err)) { lt_err_prefix(err, "nodes[%zu]", i); return -1; }
    if (kind && strcmp(kind, nodeid_kind_name(ref.kind)) != 0)
        return lt_err_set(err, LT_ERR_INVALID, "nodes[%zu]: kind '%.40s' does not match id '%.100s' (its kind is %s)", i,
                          kind, id, nodeid_kind_name(ref.kind));
    int64_t existing;
    if (graph_node_find(st, c->project, id, &existing, err)) return -1;
    int64_t node = graph_node_ensure(st, c->project, id, false, err);
    if (node < 0) return -1;
    if (!existing) c->nodes_created++;
    char *ptext = props ? jx_dump(props) : strdup("{}");
    if (!ptext) return lt_err_set(err, LT_ERR_INTERNAL, "out of memory");
    store_stmt *s = store_prepare(st, "UPDATE graph_nodes SET label = ?1, properties = json_patch('{}', ?2),"
                                      " created_at = coalesce(?3, created_at) WHERE id = ?4", err);
    int rc = -1;
    if (s) {
        store_bind_text(s, 1, label);
        store_bind_text(s, 2, ptext);
        store_bind_text(s, 3, has_time ? when : NULL);
        store_bind_int(s, 4, node);
        rc = store_step(s, err) < 0 ? -1 : 0;
    }
    free(ptext);
    return rc;
}

static int import_edge(store *st, import_ctx *c, const json_t *e, size_t i, lt_err *err) {
    static const char *const keys[] = {"source_id", "target_id", "relationship_type", "weight", "properties",
                                       "created_at", NULL};
    if (!json_is_object(e)) return lt_err_set(err, LT_ERR_INVALID, "edges[%zu] must be an object", i);
    if (only_keys(e, keys, "edges", i, err)) return -1;
    graph_edge_input in = {NULL, NULL, NULL, 1.0, NULL, NULL};
    char when[CLOCK_ISO_LEN];
    bool has_time;
    if (member_str(e, "source_id", true, &in.source_id, "edges", i, err) ||
        member_str(e, "target_id", true, &in.target_id, "edges", i, err) ||
        member_str(e, "relationship_type", true, &in.relation, "edges", i, err) ||
        member_props(e, &in.properties, "edges", i, err) || member_time(e, when, &has_time, "edges", i, err))
        return -1;
    json_t *w = json_object_get(e, "weight");
    if (w && !json_is_null(w)) {
        if (!json_is_number(w))
            return lt_err_set(err, LT_ERR_INVALID, "edges[%zu].weight: expected number, got %s", i, jx_type_name(w));
        in.weight = json_number_value(w);
    }
    in.created_at = has_time ? when : NULL;
    bool created;
    if (graph_edge_put(st, c->project, &in, false, true, &created, err)) {
        lt_err_prefix(err, "edges[%zu]", i);
        return -1;
    }
    c->edges_created += created;
    return 0;
}

static int import_tx(store *st, void *vctx, lt_err *err) {
    import_ctx *c = vctx;
    c->nodes_created = c->edges_created = 0;
    size_t i;
    json_t *v;
    json_array_foreach(c->nodes, i, v) if (import_node(st, c, v, i, err)) return -1;
    json_array_foreach(c->edges, i, v) if (import_edge(st, c, v, i, err)) return -1;
    return 0;
}

int graph_import(store *st, const char *project, const json_t *data, json_t *out, lt_err *err) {
    static const char *const keys[] = {"nodes", "edges", NULL};
    if (!json_is_object(data)) return lt_err_set(err, LT_ERR_INVALID, "Parameter 'data' must be an object {nodes, edges}");
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)data, k, v) {
        bool ok = false;
        for (const char *const *x = keys; *x; x++) ok |= strcmp(*x, k) == 0;
        if (!ok)
            return lt_err_set(err, LT_ERR_INVALID, "Parameter 'data': unknown field '%.60s' (accepted: nodes, edges; "
                              "pass export's \"graph\" object)", k);
    }
    const json_t *nodes = json_object_get(data, "nodes"), *edges = json_object_get(data, "edges");
    if (nodes && !json_is_null(nodes) && !json_is_array(nodes))
        return lt_err_set(err, LT_ERR_INVALID, "data.nodes must be an array");
    if (edges && !json_is_null(edges) && !json_is_array(edges))
        return lt_err_set(err, LT_ERR_INVALID, "data.edges must be an array");
    json_t *empty = json_array();
    import_ctx c = {project, json_is_array(nodes) ? nodes : empty, json_is_array(edges) ? edges : empty, 0, 0};
    size_t n = json_array_size(c.nodes), m = json_array_size(c.edges);
    int rc;
    if (n + m > IMPORT_MAX_ITEMS)
        rc = lt_err_set(err, LT_ERR_INVALID, "Parameter 'data' has %zu nodes and edges (limit %d per call; import the "
                        "export's pages one by one)", n + m, IMPORT_MAX_ITEMS);
    else
        rc = store_write(st, import_tx, &c, err);
    json_decref(empty);
    if (rc) return -1;
    jx_set_int(out, "nodes_imported", (int64_t)n);
    jx_set_int(out, "edges_imported", (int64_t)m);
    jx_set_int(out, "nodes_created", c.nodes_created);
    jx_set_int(out, "edges_created", c.edges_created);
    return 0;
}
