#include "sla.h"

#include "log.h"

#include <stdatomic.h>
#include <string.h>

typedef struct {
    const char *tool;
    double target_ms;
    atomic_uint_fast64_t violations;
} sla_entry;

static sla_entry table[] = {
    {"memory_action", 1000, 0},   {"todo_action", 500, 0},    {"chat_action", 300, 0},
    {"unix_action", 2000, 0},     {"pattern_action", 3000, 0}, {"blueprint_action", 2000, 0},
    {"cache_action", 200, 0},     {"graph_action", 1000, 0},   {"documentation_action", 5000, 0},
    {"sync_action", 2000, 0},     {"config_action", 500, 0},   {NULL, 2000, 0} /* any other tool */
};

static sla_entry *entry_for(const char *tool) {
    sla_entry *e = table;
    for (; e->tool; e++)
        if (tool && strcmp(e->tool, tool) == 0) return e;
    return e;
}

double sla_target_ms(const char *tool) { return entry_for(tool)->target_ms; }

int sla_check(const char *tool, const char *action, uint64_t elapsed_ns) {
    sla_entry *e = entry_for(tool);
    double ms = (double)elapsed_ns / 1e6;
    if (ms <= e->target_ms) return 0;
    atomic_fetch_add(&e->violations, 1);
    LOG_W("SLA violation: %s %s took %.1f ms (target %.0f ms)", tool, action ? action : "?", ms, e->target_ms);
    return 1;
}

uint64_t sla_violations(const char *tool) {
    sla_entry *e = entry_for(tool);
    return e->tool ? atomic_load(&e->violations) : 0;
}

void sla_reset(void) {
    for (sla_entry *e = table; ; e++) {
        atomic_store(&e->violations, 0);
        if (!e->tool) break;
    }
}
