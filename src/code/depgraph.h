/* depgraph.h - the module dependency graph of a source tree.
 *
 * Walks a directory (source.h's bounded walk), parses every source file and
 * turns its includes and imports into edges: local ones (#include "x.h",
 * relative JS/TS imports, Python modules and packages of the tree, Go
 * packages of the tree's go.mod module, Rust crate::/super:: paths) are
 * resolved to the files they name; the rest are external modules, kept as
 * nodes of their own when asked. Renders Mermaid (flowchart) and PlantUML
 * (component diagram), files grouped by directory. */
#ifndef LT_DEPGRAPH_H
#define LT_DEPGRAPH_H

#include "source.h"

#include <jansson.h>
#include <stdbool.h>

typedef struct depgraph depgraph;

/* dir is canonical (paths_resolve'd). Files that cannot be read or parsed
 * are listed in depgraph_json's skipped[], not fatal. */
int depgraph_build(const char *dir, const source_limits *lim, bool externals, depgraph **out, lt_err *err);
void depgraph_free(depgraph *g);

size_t depgraph_node_count(const depgraph *g);
size_t depgraph_edge_count(const depgraph *g);

/* {nodes[{id, path|name, language, external}], edges[{from, to, kind}],
 * files_scanned, skipped[{path, error}], truncated, unresolved_local[]} */
json_t *depgraph_json(const depgraph *g);

/* Diagram text (malloc'd). */
char *depgraph_mermaid(const depgraph *g, const char *title);
char *depgraph_plantuml(const depgraph *g, const char *title);

#endif
