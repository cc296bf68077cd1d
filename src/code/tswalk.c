#include "tswalk.h"

/* the runtime's own headers (build/grammars/runtime/src, see the Makefile) */
#include "language.h"
#include "subtree.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

static void init(tsw_iter *it, TSNode root, bool children_only) {
    memset(it, 0, offsetof(tsw_iter, small));
    it->tree = root.tree;
    it->lang = root.tree ? ts_tree_language(root.tree) : NULL;
    it->root = root;
    it->children_only = children_only;
    it->stack = it->small;
    it->cap = TSW_SMALL;
}

void tsw_init(tsw_iter *it, TSNode root) { init(it, root, false); }
void tsw_init_children(tsw_iter *it, TSNode parent) { init(it, parent, true); }

void tsw_skip_leaves(tsw_iter *it, const uint8_t *flags, uint32_t nflags) {
    it->leaf_flags = flags;
    it->nflags = nflags;
}

/* ts_node_symbol of a node that is this subtree under this alias */
static TSSymbol public_symbol(const TSLanguage *lang, Subtree t, TSSymbol alias) {
    TSSymbol s = alias ? alias : ts_subtree_symbol(t);
    return s == ts_builtin_sym_error ? s : lang->public_symbol_map[s];
}

static bool push(tsw_iter *it, Subtree parent, uint32_t bytes, TSPoint point, uint32_t self_structural,
                 bool self_extra) {
    if (it->depth == it->cap) {
        uint32_t cap = it->cap * 4;
        tsw_frame *s = it->stack == it->small ? malloc(cap * sizeof *s) : realloc(it->stack, cap * sizeof *s);
        if (!s) {
            it->oom = true;
            return false;
        }
        if (it->stack == it->small) memcpy(s, it->small, sizeof it->small);
        it->stack = s, it->cap = cap;
    }
    it->stack[it->depth++] = (tsw_frame){
        .children = ts_subtree_children(parent),
        .count = parent.ptr->child_count,
        .aliases = ts_language_alias_sequence(it->lang, parent.ptr->production_id),
        .bytes = bytes,
        .point = point,
        .production = parent.ptr->production_id,
        .self_structural = self_structural,
        .self_extra = self_extra,
    };
    return true;
}

bool tsw_next(tsw_iter *it, TSNode *node) {
    if (!it->started) {
        it->started = true;
        if (ts_node_is_null(it->root)) return false;
        Subtree root = *(const Subtree *)it->root.id;
        if (ts_subtree_child_count(root) > 0 &&
            !push(it, root, ts_node_start_byte(it->root), ts_node_start_point(it->root), 0, false))
            return false;
        if (!it->children_only) {
            *node = it->root;
            return true;
        }
    }
    while (it->depth > 0) {
        tsw_frame *f = &it->stack[it->depth - 1];
        if (f->next == f->count) {
            it->depth--;
            continue;
        }
        const Subtree *kids = f->children;
        const Subtree *child = &kids[f->next];
        TSSymbol alias = 0;
        bool extra = ts_subtree_extra(*child);
        uint32_t structural = f->structural;
        if (!extra && f->aliases) alias = f->aliases[structural];
        if (!extra) f->structural++;
        Length pos = {f->bytes, f->point};
        Length end = length_add(pos, ts_subtree_size(*child));
        if (++f->next < f->count) end = length_add(end, ts_subtree_padding(kids[f->next]));
        f->bytes = end.bytes, f->point = end.extent;
        bool visible = ts_subtree_visible(*child) || alias;
        uint32_t frame = it->depth - 1;
        bool leaf = ts_subtree_child_count(*child) == 0;
        if ((visible ? !it->children_only : ts_subtree_visible_child_count(*child) > 0) && !leaf &&
            !push(it, *child, pos.bytes, pos.extent, structural, extra))
            return false;
        if (visible && leaf && it->leaf_flags) {
            TSSymbol sym = public_symbol(it->lang, *child, alias);
            if (sym >= it->nflags || !it->leaf_flags[sym]) continue;
        }
        if (visible) {
            it->cur_frame = frame, it->cur_structural = structural, it->cur_extra = extra;
            *node = (TSNode){{pos.bytes, pos.extent.row, pos.extent.column, alias}, child, it->tree};
            return true;
        }
    }
    return false;
}

/* As ts_tree_cursor_current_field_id: the field of the node, else of the
 * hidden ancestors it was found through, up to the iterated parent. */
const char *tsw_field_name(const tsw_iter *it) {
    if (!it->children_only || it->cur_frame >= it->depth) return NULL;
    uint32_t d = it->cur_frame, structural = it->cur_structural;
    bool extra = it->cur_extra;
    for (;;) {
        if (extra) return NULL;
        const tsw_frame *f = &it->stack[d];
        const TSFieldMapEntry *e, *end;
        ts_language_field_map(it->lang, f->production, &e, &end);
        for (; e < end; e++)
            if (!e->inherited && e->child_index == structural) return it->lang->field_names[e->field_id];
        if (d == 0) return NULL;
        structural = f->self_structural, extra = f->self_extra;
        d--;
    }
}

void tsw_end(tsw_iter *it) {
    if (it->stack != it->small) free(it->stack);
    it->stack = it->small;
    it->depth = 0;
    it->cap = TSW_SMALL;
}
