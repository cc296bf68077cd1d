#include "tswalk.h"

/* the runtime's own headers (build/grammars/runtime/src, see the Makefile) */
#include "language.h"
#include "subtree.h"

#include <stdlib.h>

struct tsw_frame {
    const Subtree *children;
    uint32_t count, next, structural;
    const TSSymbol *aliases; /* the parent production's, or NULL */
    Length pos;              /* where children[next] starts (after its padding) */
};

void tsw_init(tsw_iter *it, TSNode root) {
    *it = (tsw_iter){.tree = root.tree, .lang = root.tree ? ts_tree_language(root.tree) : NULL, .root = root};
}

static bool push(tsw_iter *it, Subtree parent, Length start) {
    if (it->depth == it->cap) {
        uint32_t cap = it->cap ? it->cap * 2 : 64;
        tsw_frame *s = realloc(it->stack, cap * sizeof *s);
        if (!s) {
            it->oom = true;
            return false;
        }
        it->stack = s, it->cap = cap;
    }
    it->stack[it->depth++] = (tsw_frame){
        .children = ts_subtree_children(parent),
        .count = parent.ptr->child_count,
        .aliases = ts_language_alias_sequence(it->lang, parent.ptr->production_id),
        .pos = start,
    };
    return true;
}

bool tsw_next(tsw_iter *it, TSNode *node) {
    if (!it->started) {
        it->started = true;
        if (ts_node_is_null(it->root)) return false;
        Subtree root = *(const Subtree *)it->root.id;
        if (ts_subtree_child_count(root) > 0) {
            Length start = {ts_node_start_byte(it->root), ts_node_start_point(it->root)};
            if (!push(it, root, start)) return false;
        }
        *node = it->root;
        return true;
    }
    while (it->depth > 0) {
        tsw_frame *f = &it->stack[it->depth - 1];
        if (f->next == f->count) {
            it->depth--;
            continue;
        }
        const Subtree *child = &f->children[f->next];
        TSSymbol alias = 0;
        if (!ts_subtree_extra(*child) && f->aliases) alias = f->aliases[f->structural++];
        Length pos = f->pos;
        f->pos = length_add(pos, ts_subtree_size(*child));
        if (++f->next < f->count) f->pos = length_add(f->pos, ts_subtree_padding(f->children[f->next]));
        bool visible = ts_subtree_visible(*child) || alias;
        if ((visible || ts_subtree_visible_child_count(*child) > 0) && ts_subtree_child_count(*child) > 0 &&
            !push(it, *child, pos))
            return false;
        if (visible) {
            *node = (TSNode){{pos.bytes, pos.extent.row, pos.extent.column, alias}, child, it->tree};
            return true;
        }
    }
    return false;
}

void tsw_end(tsw_iter *it) {
    free(it->stack);
    it->stack = NULL;
    it->depth = it->cap = 0;
}
