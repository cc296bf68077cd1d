/* testutil.h - helpers shared by the cmocka unit tests.
 *
 * Header-only: every test is one translation unit linked against all of
 * src/ except main.c. Minimal for now (cmocka and string assertions); grow
 * it as tests need more. */
#ifndef LTMC_TESTUTIL_H
#define LTMC_TESTUTIL_H

/* cmocka.h needs these first. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TU_UNUSED __attribute__((unused))

/* Fails when needle does not occur in hay (a NULL hay fails too). */
#define assert_contains(hay, needle)                                                     \
    do {                                                                                 \
        const char *h_ = (hay), *n_ = (needle);                                          \
        if (!h_ || !strstr(h_, n_))                                                      \
            fail_msg("expected \"%s\" to contain \"%s\"", h_ ? h_ : "(null)", n_);     \
    } while (0)

#define assert_not_contains(hay, needle)                                                 \
    do {                                                                                 \
        const char *h_ = (hay), *n_ = (needle);                                          \
        if (h_ && strstr(h_, n_)) fail_msg("expected \"%s\" not to contain \"%s\"", h_, n_); \
    } while (0)

#endif
