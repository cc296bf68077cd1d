/* sla.h - per-tool latency targets (the performance guide's SLAs) and the
 * count of calls that missed them.
 *
 * Targets: memory 1 s, todo 500 ms, chat 300 ms, unix 2 s, pattern 3 s,
 * blueprint 2 s, cache 200 ms, graph 1 s, documentation 5 s, sync 2 s,
 * config 500 ms; other tools 2 s (the guide's general tool target). A call
 * slower than its tool's target is counted and logged as a warning (stderr).
 * Thread-safe. */
#ifndef LT_SLA_H
#define LT_SLA_H

#include <stdint.h>

/* The target of a tool (by its full name, e.g. "todo_action"), in ms. */
double sla_target_ms(const char *tool);

/* Checks one call; counts and logs a violation. Returns 1 when it was one. */
int sla_check(const char *tool, const char *action, uint64_t elapsed_ns);

/* Violations counted for a tool since start (or sla_reset). */
uint64_t sla_violations(const char *tool);

void sla_reset(void);

#endif
