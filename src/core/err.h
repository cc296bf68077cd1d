/* err.h - errors as values.
 *
 * Every fallible function takes an `lt_err *` and fills it on failure. The
 * message is written for the person (or agent) reading it, not for us: it
 * names the thing that went wrong and what was expected. Callers may pass
 * NULL when they do not care about the message. */
#ifndef LT_ERR_H
#define LT_ERR_H

typedef enum {
    LT_OK = 0,
    LT_ERR_INVALID,   /* bad input from the caller */
    LT_ERR_NOT_FOUND, /* the named thing does not exist */
    LT_ERR_CONFLICT,  /* the request contradicts existing state */
    LT_ERR_IO,        /* file system or OS failure */
    LT_ERR_DB,        /* database failure */
    LT_ERR_BUSY,      /* database stayed locked past every retry */
    LT_ERR_INTERNAL,  /* a bug or resource exhaustion */
    LT_ERR_TIMEOUT    /* a statement ran past the time bound its caller set */
} lt_err_code;

typedef struct {
    lt_err_code code;
    char msg[512];
} lt_err;

/* Sets code and a printf-style message. Returns -1 so callers can write
 * `return lt_err_set(err, ...)`. A NULL err is allowed. */
int lt_err_set(lt_err *err, lt_err_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prefixes an existing message: "prefix: old message". */
void lt_err_prefix(lt_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void lt_err_clear(lt_err *err);

#endif
