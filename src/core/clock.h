/* clock.h - the one time source.
 *
 * Wall-clock time is always UTC and always formatted as ISO-8601 with
 * milliseconds and a Z suffix, e.g. 2026-11-27T05:28:19.123Z, so that text
 * order equals time order in the database. Durations use the monotonic clock. */
#ifndef LT_CLOCK_H
#define LT_CLOCK_H

#include <stddef.h>
#include <stdint.h>

#define CLOCK_ISO_LEN 25 /* "YYYY-MM-DDTHH:MM:SS.mmmZ" + NUL */

/* Nanoseconds on the monotonic clock (for measuring durations). */
uint64_t clock_mono_ns(void);

/* Milliseconds since the Unix epoch, UTC. */
int64_t clock_wall_ms(void);

/* Formats epoch milliseconds as ISO-8601 UTC into buf (>= CLOCK_ISO_LEN). */
void clock_format_iso(int64_t epoch_ms, char *buf, size_t len);

/* Parses "YYYY-MM-DD", "YYYY-MM-DDTHH:MM[:SS[.fff]]" with an optional "Z"
 * or "+HH:MM"/"-HH:MM" offset (a space may replace the T). Returns 0 and
 * the instant in epoch milliseconds, or -1 when s is not such a time. */
int clock_parse_iso(const char *s, int64_t *epoch_ms);

/* The current time as ISO-8601 UTC. */
void clock_now_iso(char *buf, size_t len);

#endif
