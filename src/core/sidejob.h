/* sidejob.h - one piece of work that may run beside the caller's.
 *
 * sidejob_start() hands fn(arg) to a new thread, and the caller goes on
 * with its own work; sidejob_finish() then returns once fn(arg) has run.
 * Whichever thread gets to the job first runs it: on a machine whose other
 * cores are busy a new thread may wait milliseconds for one, and then the
 * caller, done with its own work, runs the job itself instead of waiting
 * (never slower than running the two one after the other, but for the
 * thread's creation). arg must stay valid until sidejob_finish returns;
 * the job's own state outlives it for a thread that starts late.
 *
 * A caller whose own work is done may find the thread still at the job
 * (sidejob_busy): on a machine whose other cores are busy, the thread may be
 * sharing one with other programs. It can then do better than wait, for
 * instance race the thread at the same job (code/code.c does). */
#ifndef LT_SIDEJOB_H
#define LT_SIDEJOB_H

#include <stdbool.h>

typedef struct sidejob sidejob;

/* Never fails: without memory or a thread, or when the process may run on
 * one CPU only, the job runs at finish. */
sidejob *sidejob_start(void (*fn)(void *arg), void *arg);

/* Whether the side thread has taken the job and is not done with it. */
bool sidejob_busy(sidejob *j);

/* Gives the job up instead of finishing it: true when nobody had taken it
 * (it never runs; arg is the caller's again), false when the side thread
 * has it (it runs to its end, and whatever fn(arg) must free after that is
 * fn's to free: the caller no longer waits). Ends j like sidejob_finish. */
bool sidejob_abandon(sidejob *j);

/* Runs the job here unless another thread has taken it, in which case it
 * waits for that thread to be done with it. j may be NULL (a no-op). */
void sidejob_finish(sidejob *j);

#endif
