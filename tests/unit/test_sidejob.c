/* Unit tests for core/sidejob: a job runs exactly once, on the side
 * thread when the caller is busy and in the caller when the thread is late,
 * and finish returns only when it has run; busy says when the thread is at
 * it, and a job given up either never runs or runs to its end. */
#include "testutil.h"

#include "core/sidejob.h"

#include <pthread.h>
#include <time.h>

typedef struct {
    atomic_int runs;
    pthread_t ran_on;
    int sleep_ms;
    atomic_bool finished;
} job_state;

static void sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void job(void *arg) {
    job_state *s = arg;
    if (s->sleep_ms) sleep_ms(s->sleep_ms);
    s->ran_on = pthread_self();
    atomic_fetch_add(&s->runs, 1);
    atomic_store(&s->finished, true);
}

static void test_runs_once(void **state) {
    (void)state;
    /* Finished at once: the thread and the caller race for it; either way
     * it runs once and has run when finish returns. */
    for (int i = 0; i < 500; i++) {
        job_state s = {0};
        sidejob *j = sidejob_start(job, &s);
        sidejob_finish(j);
        assert_int_equal(atomic_load(&s.runs), 1);
        assert_true(atomic_load(&s.finished));
    }
    sleep_ms(50); /* let late threads drop their reference before the leak check */
}

static void test_busy_caller_gets_help(void **state) {
    (void)state;
    /* A caller busy for a while: the thread has had time to start and take
     * the job (on a machine with a core to spare; retried so that a busy
     * test machine does not fail it). */
    bool helped = false;
    for (int attempt = 0; attempt < 20 && !helped; attempt++) {
        job_state s = {0};
        sidejob *j = sidejob_start(job, &s);
        sleep_ms(20);
        sidejob_finish(j);
        assert_int_equal(atomic_load(&s.runs), 1);
        helped = !pthread_equal(s.ran_on, pthread_self());
    }
    assert_true(helped);
}

static void test_finish_waits_for_the_thread(void **state) {
    (void)state;
    /* A slow job the thread has taken: finish waits until it is done. */
    job_state s = {0};
    s.sleep_ms = 30;
    sidejob *j = sidejob_start(job, &s);
    sleep_ms(10);
    sidejob_finish(j);
    assert_true(atomic_load(&s.finished));
    assert_int_equal(atomic_load(&s.runs), 1);
    sidejob_finish(NULL); /* a no-op */
    sleep_ms(20);
}

static void test_busy_and_abandon(void **state) {
    (void)state;
    /* A slow job the thread has taken is busy until done; given up, it
     * still runs to its end on its own (the state it writes outlives it). */
    bool seen = false;
    for (int attempt = 0; attempt < 20 && !seen; attempt++) {
        job_state *s = calloc(1, sizeof *s);
        s->sleep_ms = 30;
        sidejob *j = sidejob_start(job, s);
        sleep_ms(10);
        if (!sidejob_busy(j)) { /* the thread is late: it never gets the job */
            bool never = sidejob_abandon(j);
            if (never) assert_int_equal(atomic_load(&s->runs), 0);
            sleep_ms(50);
            assert_int_equal(atomic_load(&s->runs), never ? 0 : 1);
            free(s);
            continue;
        }
        seen = true;
        assert_false(sidejob_abandon(j)); /* the thread has it */
        assert_false(atomic_load(&s->finished));
        sleep_ms(60);
        assert_true(atomic_load(&s->finished));
        assert_int_equal(atomic_load(&s->runs), 1);
        free(s);
    }
    assert_true(seen);
    /* nobody took it yet: it never runs */
    job_state s = {0};
    sidejob *j = sidejob_start(job, &s);
    if (sidejob_abandon(j)) {
        sleep_ms(20);
        assert_int_equal(atomic_load(&s.runs), 0);
    } else {
        sleep_ms(20); /* the thread was quicker: it ran once */
        assert_int_equal(atomic_load(&s.runs), 1);
    }
    assert_false(sidejob_busy(NULL));
    assert_false(sidejob_abandon(NULL));
    sleep_ms(20);
}

int main(void) {
    tu_quiet();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_runs_once),
        cmocka_unit_test(test_busy_caller_gets_help),
        cmocka_unit_test(test_finish_waits_for_the_thread),
        cmocka_unit_test(test_busy_and_abandon),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
