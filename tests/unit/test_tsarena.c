/* Unit tests for src/code/tsarena: tree-sitter's allocator during a parse.
 * The allocator itself (alignment, calloc after reuse, realloc keeping the
 * bytes, memory from outside a window handed back to malloc), parses that
 * outgrow the first chunk, and parses on several threads at once giving the
 * same model (under ASan/LSan: no overlap, no leak when the threads exit);
 * a window detached on one thread stays valid until another releases it. */
#include "testutil.h"

#include "code/code.h"
#include "code/tsarena.h"

#include <pthread.h>
#include <stdint.h>

/* tree-sitter's allocator hooks (its alloc.h; the symbols are global). */
extern void *(*ts_current_malloc)(size_t);
extern void *(*ts_current_calloc)(size_t, size_t);
extern void *(*ts_current_realloc)(void *, size_t);
extern void (*ts_current_free)(void *);

static void test_allocator(void **state) {
    (void)state;
    tsarena_install();
    void *outside = ts_current_malloc(100); /* plain malloc: freed inside the window below */
    memset(outside, 1, 100);
    tsarena_begin();
    unsigned char *a = ts_current_malloc(40);
    assert_int_equal((uintptr_t)a % 16, 0);
    memset(a, 0xAB, 40);
    ts_current_free(a);
    unsigned char *b = ts_current_calloc(5, 8); /* same class: the freed block, zeroed */
    assert_ptr_equal(a, b);
    for (int i = 0; i < 40; i++) assert_int_equal(b[i], 0);
    for (int i = 0; i < 40; i++) b[i] = (unsigned char)i;
    unsigned char *c = ts_current_realloc(b, 3000); /* past the reused classes */
    assert_int_equal((uintptr_t)c % 16, 0);
    for (int i = 0; i < 40; i++) assert_int_equal(c[i], i);
    memset(c, 7, 3000);
    unsigned char *d = ts_current_realloc(c, 10);  /* shrinking keeps the block */
    assert_ptr_equal(c, d);
    ts_current_free(d);
    ts_current_free(outside);
    assert_true(tsarena_used() >= 3000);
    tsarena_end();
    void *after = ts_current_malloc(64); /* plain malloc again */
    ts_current_free(after);
}

/* n functions of Python, about 120 bytes each */
static char *python_source(int n) {
    size_t cap = (size_t)n * 160 + 1, len = 0;
    char *s = malloc(cap);
    assert_non_null(s);
    for (int i = 0; i < n; i++)
        len += (size_t)snprintf(s + len, cap - len,
                                "def func_%d(a: int, b: int = 2) -> int:\n    \"\"\"Doc %d.\"\"\"\n"
                                "    if a > b:\n        return a\n    return b\n\n",
                                i, i);
    return s;
}

static void check_model(const code_file *f, int n) {
    assert_int_equal((int)f->nfuncs, n);
    assert_false(f->has_errors);
    char name[32];
    for (int i = 0; i < n; i += n / 7 + 1) {
        snprintf(name, sizeof name, "func_%d", i);
        assert_string_equal(f->funcs[i].name, name);
        assert_int_equal((int)f->funcs[i].nparams, 2);
        assert_string_equal(f->funcs[i].params[1].default_value, "2");
        assert_int_equal(f->funcs[i].complexity, 2);
    }
}

static void test_large_then_small(void **state) {
    (void)state;
    for (int round = 0; round < 2; round++) {
        int sizes[] = {3000, 10, 3000};
        for (size_t k = 0; k < 3; k++) {
            char *src = python_source(sizes[k]);
            code_file *f = NULL;
            lt_err err = {0};
            assert_int_equal(code_parse(src, strlen(src), CODE_LANG_PYTHON, &f, &err), 0);
            check_model(f, sizes[k]);
            if (sizes[k] == 3000) assert_true(tsarena_used() > (1u << 20)); /* more than the first chunk */
            code_file_free(f);
            free(src);
        }
    }
}

#define THREADS 4
#define PARSES 6

static void *parse_thread(void *arg) {
    const char *src = arg;
    for (int i = 0; i < PARSES; i++) {
        code_file *f = NULL;
        lt_err err = {0};
        if (code_parse(src, strlen(src), CODE_LANG_PYTHON, &f, &err) != 0) return (void *)1;
        bool ok = f->nfuncs == 400 && !strcmp(f->funcs[399].name, "func_399") && f->funcs[399].nparams == 2;
        code_file_free(f);
        if (!ok) return (void *)1;
    }
    return NULL;
}

static void test_threads(void **state) {
    (void)state;
    char *src = python_source(400);
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++) assert_int_equal(pthread_create(&t[i], NULL, parse_thread, src), 0);
    for (int i = 0; i < THREADS; i++) {
        void *rc;
        assert_int_equal(pthread_join(t[i], &rc), 0);
        assert_null(rc);
    }
    free(src);
}

typedef struct {
    tsarena_window *w;
    unsigned char *p;
} detached;

static void *detach_on_a_thread(void *arg) {
    detached *d = arg;
    tsarena_begin();
    assert_true(tsarena_active());
    d->p = ts_current_malloc(5000); /* more than a reused class: only the window holds it */
    memset(d->p, 0x5A, 5000);
    d->w = tsarena_detach();
    assert_false(tsarena_active());
    return NULL;
}

static void test_detach(void **state) {
    (void)state;
    tsarena_install();
    assert_false(tsarena_active());
    detached d = {0};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, detach_on_a_thread, &d), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    /* the thread is gone, its window is not: still readable here */
    assert_non_null(d.w);
    for (int i = 0; i < 5000; i++) assert_int_equal(d.p[i], 0x5A);
    tsarena_begin(); /* this thread's own window meanwhile is another */
    unsigned char *q = ts_current_malloc(5000);
    assert_true(q + 5000 <= d.p || d.p + 5000 <= q);
    tsarena_end();
    tsarena_release(d.w);
    tsarena_release(NULL); /* a no-op */
    tsarena_begin(); /* an empty window detaches as NULL */
    assert_null(tsarena_detach());
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_allocator),
        cmocka_unit_test(test_large_then_small),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_detach),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
