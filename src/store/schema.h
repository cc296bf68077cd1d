/* schema.h - the database schema as forward-only migrations.
 *
 * Each migration is applied once, in order, in its own transaction, and is
 * recorded in schema_migrations. A migration is never edited after it has
 * shipped: changes come as a new migration at the end of the list. */
#ifndef LT_SCHEMA_H
#define LT_SCHEMA_H

#include <stddef.h>

typedef struct {
    int version;
    const char *name;
    const char *sql;
} schema_migration;

const schema_migration *schema_migrations(size_t *count);

#endif
