/* sidejob.h - one piece of work that may run beside the caller's.
 *
 * sidejob_start() hands fn(arg) to a new thread, and the caller goes on
 * with its own work; sidejob_finish() then returns once fn(arg) has run.
 * Whichever thread gets to the job first runs it: on a machine whose other
 * cores are busy a new thread may wait milliseconds for one, and then the
 * caller, done with its own work, runs the job itself instead of waiting
 * (never slower than running the two one after the other, but for the
 * thread's creation). arg must stay valid until sidejob_finish returns;
 * the job's own state outlives it for a thread that starts late. */
#ifndef LT_SIDEJOB_H
#define LT_SIDEJOB_H

typedef struct sidejob sidejob;

/* Never fails: without memory or a thread the job runs at finish. */
sidejob *sidejob_start(void (*fn)(void *arg), void *arg);

/* Runs the job here unless another thread has taken it, in which case it
 * waits for that thread to be done with it. j may be NULL (a no-op). */
void sidejob_finish(sidejob *j);

#endif
