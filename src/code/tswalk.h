/* tswalk.h - the nodes of a syntax tree, in order, at the cost of a loop.
 *
 * The pass over the whole tree (comments, decision points, the first error)
 * visits every node, and the walkers iterate the children of many. With
 * tree-sitter's cursor a step costs about 450 instructions on a large file:
 * each one rebuilds a child iterator and climbs through the hidden nodes
 * that hold long repetitions (a file's top-level statements form a balanced
 * tree of them). This iterator walks the runtime's subtrees directly, with a
 * stack of its own, and yields the visible nodes in the cursor's order as
 * the same TSNodes (position, alias, identity); hidden subtrees are looked
 * through, those without visible nodes skipped. It reads the runtime's
 * internal structures, which is why the runtime is a pinned version
 * compiled in (scripts/fetch-grammars.sh). Not part of the public API. */
#ifndef LT_TSWALK_H
#define LT_TSWALK_H

#include <stdbool.h>
#include <stdint.h>
#include <tree_sitter/api.h>

typedef struct {
    const void *children; /* the parent subtree's children (const Subtree *) */
    const TSSymbol *aliases; /* the parent production's alias sequence, or NULL */
    uint32_t count, next, structural;
    uint32_t bytes;  /* where children[next] starts (after its padding) */
    TSPoint point;
    uint16_t production; /* the parent's production (its field map) */
    uint32_t self_structural; /* the parent's own place among its siblings (field lookup) */
    bool self_extra;
} tsw_frame;

#define TSW_SMALL 4
typedef struct {
    const TSTree *tree;
    const TSLanguage *lang;
    tsw_frame *stack;
    uint32_t depth, cap;
    TSNode root;
    bool started, oom, children_only;
    uint32_t cur_frame, cur_structural; /* the last yielded node's frame and place (field lookup) */
    bool cur_extra;
    /* when set (tsw_skip_leaves), leaves whose symbol has no flag here are not yielded */
    const uint8_t *leaf_flags;
    uint32_t nflags;
    tsw_frame small[TSW_SMALL]; /* the stack while it is shallow: no malloc */
} tsw_iter;

/* Every node under root, root first (pre-order). */
void tsw_init(tsw_iter *it, TSNode root);
/* Only the children of parent (looking through hidden ones), like the
 * cursor's goto_first_child/goto_next_sibling; a null parent has none. */
void tsw_init_children(tsw_iter *it, TSNode parent);
/* From now on, pass over leaves (nodes without children) whose public
 * symbol s has flags[s] == 0 (or s >= nflags); NULL flags yields them
 * again. */
void tsw_skip_leaves(tsw_iter *it, const uint8_t *flags, uint32_t nflags);
/* The next node; false at the end, or when out of memory (it->oom). */
bool tsw_next(tsw_iter *it, TSNode *node);
/* In children mode: the field name of the last node yielded, or NULL (what
 * ts_tree_cursor_current_field_name would say). */
const char *tsw_field_name(const tsw_iter *it);
void tsw_end(tsw_iter *it);

#endif
