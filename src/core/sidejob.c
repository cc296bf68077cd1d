#include "sidejob.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>

struct sidejob {
    void (*fn)(void *arg);
    void *arg;
    atomic_bool taken; /* claimed by the thread or by the caller */
    atomic_int refs;   /* the caller's and the thread's */
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool done; /* the thread ran it (under lock) */
    bool threaded;
    bool widen;      /* the thread starts away from the caller, then may go anywhere */
    cpu_set_t allowed; /* ... that is, here */
};

static void release(sidejob *j) {
    if (atomic_fetch_sub(&j->refs, 1) != 1) return;
    pthread_mutex_destroy(&j->lock);
    pthread_cond_destroy(&j->cond);
    free(j);
}

static void *run(void *p) {
    sidejob *j = p;
    /* Started on another CPU than the caller's; from now on the scheduler
     * may move it, for instance to the caller's when the caller waits. */
    if (j->widen) sched_setaffinity(0, sizeof j->allowed, &j->allowed);
    if (!atomic_exchange(&j->taken, true)) {
        j->fn(j->arg);
        pthread_mutex_lock(&j->lock);
        j->done = true;
        pthread_cond_signal(&j->cond);
        pthread_mutex_unlock(&j->lock);
    }
    release(j);
    return NULL;
}

/* A new thread starts on its creator's CPU and moves to an idle one only
 * when the scheduler next balances its queues, which on this kind of
 * virtual machine came 1.4 ms later (median), after the caller's own work
 * was done: the job then ran after it instead of beside it. So the thread
 * is allowed every CPU the process may use except the caller's (when there
 * is another), which puts it on an idle one at once. */
static bool away_from_caller(sidejob *j, pthread_attr_t *attr) {
    cpu_set_t away;
    int here = sched_getcpu();
    if (here < 0 || sched_getaffinity(0, sizeof j->allowed, &j->allowed) != 0) return true; /* unknown: try */
    away = j->allowed;
    CPU_CLR(here, &away);
    if (CPU_COUNT(&away) == 0) return false;
    if (pthread_attr_setaffinity_np(attr, sizeof away, &away) == 0) j->widen = true;
    return true;
}

sidejob *sidejob_start(void (*fn)(void *arg), void *arg) {
    sidejob *j = calloc(1, sizeof *j);
    if (!j) {
        fn(arg); /* no room to defer it: run it now */
        return NULL;
    }
    j->fn = fn;
    j->arg = arg;
    atomic_init(&j->taken, false);
    atomic_init(&j->refs, 2);
    pthread_mutex_init(&j->lock, NULL);
    pthread_cond_init(&j->cond, NULL);
    pthread_attr_t attr;
    pthread_t t;
    if (pthread_attr_init(&attr) == 0) {
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        /* with no other CPU to run on, a thread could only slow the caller */
        if (away_from_caller(j, &attr)) j->threaded = pthread_create(&t, &attr, run, j) == 0;
        pthread_attr_destroy(&attr);
    }
    if (!j->threaded) atomic_store(&j->refs, 1); /* the caller's only */
    return j;
}

bool sidejob_busy(sidejob *j) {
    if (!j || !j->threaded || !atomic_load(&j->taken)) return false;
    pthread_mutex_lock(&j->lock);
    bool busy = !j->done;
    pthread_mutex_unlock(&j->lock);
    return busy;
}

bool sidejob_abandon(sidejob *j) {
    if (!j) return false; /* it ran in sidejob_start */
    bool never = !atomic_exchange(&j->taken, true);
    release(j);
    return never;
}

void sidejob_finish(sidejob *j) {
    if (!j) return;
    if (!atomic_exchange(&j->taken, true)) {
        j->fn(j->arg); /* the thread has not started: do it here */
    } else {
        pthread_mutex_lock(&j->lock);
        while (!j->done) pthread_cond_wait(&j->cond, &j->lock);
        pthread_mutex_unlock(&j->lock);
    }
    release(j);
}
