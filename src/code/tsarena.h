/* tsarena.h - the memory tree-sitter uses during one parse.
 *
 * tree-sitter mallocs and frees every subtree, stack node and array of a
 * parse one at a time: on a 5,000-line file that is a few hundred thousand
 * malloc/free pairs, and freeing the tree walks all of it again. code_parse
 * instead opens a window around everything it does with tree-sitter (parser,
 * parse, walks, cursors): inside it, this thread's tree-sitter allocations
 * come from a per-thread arena (bump allocation, freed blocks reused by size
 * class), and closing the window releases all of it at once, so the tree is
 * never freed node by node. The arena's memory goes back to a pool shared by
 * all threads for the next parse (up to TSARENA_KEEP bytes in all).
 *
 * Outside a window (or on another thread) tree-sitter gets plain malloc.
 * Nothing allocated in a window may be used after it closes: code_parse
 * copies what it keeps into its own malloc'd code_file first. Windows do not
 * nest. Not part of the public API. */
#ifndef LT_TSARENA_H
#define LT_TSARENA_H

/* The most arena memory kept between parses (all threads together). */
#define TSARENA_KEEP (64u * 1024u * 1024u)

/* Routes tree-sitter's allocations through this module; once per process,
 * before the first parse (idempotent, thread-safe). */
void tsarena_install(void);
/* Opens the calling thread's window. */
void tsarena_begin(void);
/* Closes it: everything tree-sitter allocated in it is released. */
void tsarena_end(void);
/* Bytes the calling thread's arena handed out in its last or open window
 * (for tests and measurements). */
unsigned long long tsarena_used(void);

#endif
