/* log.h - leveled logging to stderr.
 *
 * stdout belongs to the protocol, so every diagnostic goes to stderr, one
 * line per message, written with a single write() so lines from threads never
 * interleave. */
#ifndef LT_LOG_H
#define LT_LOG_H

typedef enum { LOG_DEBUG = 0, LOG_INFO, LOG_WARNING, LOG_ERROR, LOG_OFF } log_level;

void log_set_level(log_level level);
log_level log_get_level(void);

/* Parses "debug", "info", "warning"/"warn", "error", "off" (any case).
 * Returns 0 on success, -1 if the name is unknown. */
int log_level_parse(const char *name, log_level *out);
const char *log_level_name(log_level level);

void log_msg(log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define LOG_D(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define LOG_I(...) log_msg(LOG_INFO, __VA_ARGS__)
#define LOG_W(...) log_msg(LOG_WARNING, __VA_ARGS__)
#define LOG_E(...) log_msg(LOG_ERROR, __VA_ARGS__)

#endif
