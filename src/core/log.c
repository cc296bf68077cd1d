#include "log.h"

#include "clock.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <strings.h>
#include <unistd.h>

static _Atomic int current_level = LOG_INFO;

static const char *const level_names[] = {"debug", "info", "warning", "error", "off"};

void log_set_level(log_level level) { current_level = level; }
log_level log_get_level(void) { return (log_level)current_level; }

const char *log_level_name(log_level level) {
    return (level >= LOG_DEBUG && level <= LOG_OFF) ? level_names[level] : "unknown";
}

int log_level_parse(const char *name, log_level *out) {
    for (int i = LOG_DEBUG; i <= LOG_OFF; i++) {
        if (strcasecmp(name, level_names[i]) == 0) { *out = (log_level)i; return 0; }
    }
    if (strcasecmp(name, "warn") == 0) { *out = LOG_WARNING; return 0; }
    if (strcasecmp(name, "critical") == 0) { *out = LOG_ERROR; return 0; }
    return -1;
}

void log_msg(log_level level, const char *fmt, ...) {
    if ((int)level < current_level || level >= LOG_OFF) return;
    char line[2048], when[CLOCK_ISO_LEN];
    clock_now_iso(when, sizeof when);
    int n = snprintf(line, sizeof line, "%s ltmc[%d] %s: ", when, (int)getpid(), level_names[level]);
    va_list ap;
    va_start(ap, fmt);
    if (n >= 0 && (size_t)n < sizeof line) n += vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n >= sizeof line - 1) n = sizeof line - 2;
    line[n++] = '\n';
    ssize_t w = write(STDERR_FILENO, line, (size_t)n);
    (void)w; /* nowhere left to report a failed log write */
}
