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
 * nest.
 *
 * A window can also be closed without releasing it (tsarena_detach): a
 * tree parsed on a helper thread stays valid, read-only, for the caller to
 * walk, and whichever thread is done with it releases it. Not part of the
 * public API. */
#ifndef LT_TSARENA_H
#define LT_TSARENA_H

#include <stdbool.h>

/* The most arena memory kept between parses (all threads together). */
#define TSARENA_KEEP (64u * 1024u * 1024u)

/* Routes tree-sitter's allocations through this module; once per process,
 * before the first parse (idempotent, thread-safe). */
void tsarena_install(void);
/* Opens the calling thread's window. */
void tsarena_begin(void);
/* Closes it: everything tree-sitter allocated in it is released. */
void tsarena_end(void);

/* A closed window whose memory is still held. */
typedef struct tsarena_window tsarena_window;
/* Closes the calling thread's window but keeps its memory: what was
 * allocated in it stays valid until tsarena_release, which any thread may
 * call. Meanwhile it must only be read: tree-sitter must not free or grow
 * any of it (delete its parsers and cursors before detaching; trees need
 * not be deleted). NULL when nothing was allocated. */
tsarena_window *tsarena_detach(void);
/* Releases a detached window (NULL is a no-op); tsarena_end is
 * tsarena_release(tsarena_detach()). */
void tsarena_release(tsarena_window *w);
/* Whether the calling thread has a window open. */
bool tsarena_active(void);
/* Bytes the calling thread's arena handed out in its last or open window
 * (for tests and measurements). */
unsigned long long tsarena_used(void);

#endif
