/*
 * Schema migrations: the pure rules (file naming, ordering, statement
 * splitting, checksums) in domain/, and the runner that applies them in
 * store/.  Migration files are sql/NNN_name.sql, compiled into the binaries
 * (src/store/migrations_data.c is generated from sql/ at build time) so every
 * program agrees on the latest version without reading the source tree.
 */
#ifndef ONRAMP_MIGRATION_H
#define ONRAMP_MIGRATION_H

#include <stdbool.h>
#include <stddef.h>
#include "onramp/status.h"
#include "onramp/str.h"

struct db;

/** One migration file. */
typedef struct migration {
	unsigned version;	/* NNN */
	const char *file;	/* file name, e.g. "001_schema_migrations.sql" */
	const char *sql;	/* the file's text */
	size_t sql_len;
} migration;

/** Parse "NNN_name.sql" (NNN 1..999, name [a-z0-9_]+); OR_ERR_INVALID otherwise. */
or_status migration_parse_name(const char *file, unsigned *version);

/**
 * Sort list by version and check it: valid names, no duplicate versions,
 * versions contiguous from 1.  err names the offending file.
 */
or_status migration_sort_check(migration *list, size_t n, char *err, size_t errsz);

/** Called for each statement: text without the terminating ';', trimmed. */
typedef or_status (*migration_stmt_fn)(void *ctx, const char *stmt, size_t len);

/**
 * Split SQL text into statements at ';' outside quotes, backticks and
 * comments, and call fn for each non-empty statement.  Comment-only parts are
 * skipped.  OR_ERR_INVALID for an unterminated quote or comment.
 */
or_status migration_split(const char *sql, size_t len, migration_stmt_fn fn, void *ctx);

/** Hex SHA-256 of the migration text into out (65 bytes). */
void migration_checksum(const migration *m, char out[65]);

/** The compiled-in migrations, sorted and checked; NULL list on a build bug. */
const migration *migration_all(size_t *n);
/** The highest compiled-in version. */
unsigned migration_latest(void);

/** What the database has applied. */
typedef struct migration_state {
	unsigned current;	/* highest applied version, 0 for an empty database */
	size_t applied;		/* rows in schema_migrations */
	bool checksum_mismatch;	/* an applied file changed since */
} migration_state;

/** Read the applied state (a missing table means version 0). */
or_status migrate_state(struct db *d, migration_state *st);
/** The statement that reads the schema version (the runner's and /readyz's probe's). */
const char *migrate_version_sql(void);
/** Just the applied version, cheaply (for /readyz). */
or_status migrate_current_version(struct db *d, unsigned *version);

/** Progress callback of migrate_apply: one call per applied migration. */
typedef void (*migrate_progress_fn)(void *ctx, const migration *m);

/**
 * Apply every pending migration in order under a database lock, recording
 * each in schema_migrations.  Already-applied versions are skipped, so a
 * second run changes nothing.  err names the migration and statement number
 * that failed.
 */
or_status migrate_apply(struct db *d, migrate_progress_fn progress, void *ctx,
			char *err, size_t errsz);
/**
 * migrate_apply, but only the versions up to and including upto (building an
 * older release's schema, for the upgrade test); never undoes a later one.
 */
or_status migrate_apply_to(struct db *d, unsigned upto, migrate_progress_fn progress, void *ctx,
			   char *err, size_t errsz);

#endif
