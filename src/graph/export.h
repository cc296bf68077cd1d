/* export.h - the knowledge graph of a project out and in.
 *
 * Three forms:
 *   json     {"nodes": [{id, kind, label, properties, created_at}],
 *             "edges": [{source_id, target_id, relationship_type, weight,
 *                        properties, created_at}]}
 *            lossless; graph_import reads it back.
 *   cypher   one statement per node (MERGE on the project and id, under
 *            the label LtmcNode plus a label for the kind) and one per edge
 *            (MATCH both ends, MERGE the relationship), each ending with
 *            ";\n", for cypher-shell or Neo4j Browser. Names (labels,
 *            relationship types, property keys) are backtick-quoted with `
 *            doubled and otherwise written as they are, so a name with a
 *            line break spans lines; strings are single-quoted with
 *            backslash escapes (control characters as \uXXXX), so any text
 *            survives. Neo4j properties cannot nest: objects and mixed lists
 *            become JSON text; null members and empty keys are left out.
 *   graphml  one XML document (GraphML 1.0) with the same fields as data
 *            keys. XML 1.0 cannot carry most control characters, so those
 *            become U+FFFD there.
 *
 * json and cypher are paged: items are the nodes (oldest first) followed by
 * the edges, and a page holds up to `limit` of them and at most
 * EXPORT_MAX_BYTES; next_offset continues. Pages imported or run in order
 * rebuild the graph, because every node comes before the edges. GraphML is
 * one document, so it is refused for graphs over GRAPHML_MAX_ITEMS. */
#ifndef LT_EXPORT_H
#define LT_EXPORT_H

#include "../core/err.h"
#include "../store/store.h"

#include <jansson.h>
#include <stdint.h>

#define EXPORT_MAX_LIMIT 5000
#define EXPORT_MAX_BYTES (8 * 1024 * 1024)
#define GRAPHML_MAX_ITEMS 20000
#define IMPORT_MAX_ITEMS 20000

typedef enum { EXPORT_JSON, EXPORT_CYPHER, EXPORT_GRAPHML } export_format;

/* "json", "cypher", "graphml". */
export_format export_format_parse(const char *s);

/* One page (json: out.graph; cypher, graphml: out.content) with
 * node_count, edge_count, total_nodes, total_edges, offset, next_offset
 * (null at the end), has_more. */
int graph_export(store *st, const char *project, export_format f, int64_t offset, int64_t limit, json_t *out,
                 lt_err *err);

/* Imports the json form into project, all or nothing: nodes and edges are
 * created or set to what the data says (so importing twice changes
 * nothing); edge ends missing from the data and the project are created.
 * Record nodes are not checked against records: an import restores a
 * graph as it was. Fills nodes_imported, edges_imported, nodes_created,
 * edges_created. */
int graph_import(store *st, const char *project, const json_t *data, json_t *out, lt_err *err);

/* The quoting the cypher form uses (malloc'd): a string literal and an
 * escaped identifier. */
char *cypher_string(const char *s);
char *cypher_identifier(const char *s);

#endif
