/*
 * What onrampctl backup and restore read from the database to describe and
 * verify a backup: the base tables, triggers, routines and events of the
 * connection's database, and a table's row count and CHECKSUM TABLE value.
 * The dump itself is made and loaded by the MariaDB client tools, which get
 * the connection settings from db_client_defaults (db.h).
 */
#ifndef ONRAMP_BACKUP_STORE_H
#define ONRAMP_BACKUP_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include "onramp/arena.h"
#include "onramp/db.h"

/** The kinds of schema object a backup lists in its manifest. */
typedef enum backup_kind {
	BACKUP_TABLES = 0,	/* base tables (no views) */
	BACKUP_TRIGGERS,
	BACKUP_ROUTINES,	/* procedures and functions */
	BACKUP_EVENTS,
	BACKUP_KINDS
} backup_kind;

/** A table's row count and CHECKSUM TABLE value. */
typedef struct backup_table_stat {
	long long rows;
	long long checksum;
} backup_table_stat;

/** The manifest's name of a kind ("tables", "triggers", ...). */
const char *backup_kind_name(backup_kind k);

/** True for a name onrampctl may put in a statement: [A-Za-z0-9_], 1..64 bytes. */
bool backup_name_ok(const char *name);

/** The names of kind in the connection's database, sorted, into the arena. */
or_status store_backup_names(db *d, arena *a, backup_kind k, char ***names, size_t *n);

/** Row count and CHECKSUM TABLE of table (a name from store_backup_names; OR_ERR_INVALID otherwise). */
or_status store_backup_table_stat(db *d, const char *table, backup_table_stat *out);

#endif
