/* tswalk.h - every node of a syntax tree, in order, at the cost of a loop.
 *
 * The pass over the whole tree (comments, decision points, the first error)
 * visits every node. tree-sitter's cursor does that in about 450
 * instructions a step on a large file: each step rebuilds a child iterator
 * and climbs through the hidden nodes that hold long repetitions (a file's
 * top-level statements form a balanced tree of them). This iterator walks
 * the runtime's subtrees directly, with a stack of its own, and yields the
 * visible nodes in the cursor's order (pre-order) as the same TSNodes
 * (position, alias, identity), hidden subtrees without visible nodes
 * skipped. It reads the runtime's internal structures, which is why the
 * runtime is a pinned version compiled in (scripts/fetch-grammars.sh).
 * Not part of the public API. */
#ifndef LT_TSWALK_H
#define LT_TSWALK_H

#include <stdbool.h>
#include <stdint.h>
#include <tree_sitter/api.h>

typedef struct tsw_frame tsw_frame;
typedef struct {
    const TSTree *tree;
    const TSLanguage *lang;
    tsw_frame *stack;
    uint32_t depth, cap;
    TSNode root;
    bool started, oom;
} tsw_iter;

void tsw_init(tsw_iter *it, TSNode root);
/* The next node (root first); false at the end, or when out of memory
 * (it->oom). */
bool tsw_next(tsw_iter *it, TSNode *node);
void tsw_end(tsw_iter *it);

#endif
