#include "err.h"

#include "jsonx.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int lt_err_set(lt_err *err, lt_err_code code, const char *fmt, ...) {
    if (!err) return -1;
    err->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    jx_utf8_repair(err->msg); /* "%.100s" may have cut a character in two */
    return -1;
}

void lt_err_prefix(lt_err *err, const char *fmt, ...) {
    if (!err) return;
    char prefix[256], old[sizeof err->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof old);
    snprintf(err->msg, sizeof err->msg, "%s: %s", prefix, old);
    jx_utf8_repair(err->msg);
}

void lt_err_clear(lt_err *err) {
    if (!err) return;
    err->code = LT_OK;
    err->msg[0] = '\0';
}
