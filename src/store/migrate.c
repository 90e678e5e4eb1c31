/*
 * The migration runner: applies the compiled-in sql/NNN_*.sql files in order,
 * under a server-side named lock so two runners cannot interleave, and records
 * each in schema_migrations.  MariaDB commits DDL implicitly, so a migration
 * cannot be rolled back as a whole; files are written to be re-runnable
 * (IF NOT EXISTS) and one is recorded only after all its statements ran.
 */
#include <stdio.h>
#include <string.h>

#include <mysqld_error.h>

#include "onramp/db.h"
#include "onramp/migration.h"

/* MAX over the primary key is answered from the index without a scan. */
static const char SQL_CURRENT[] = "SELECT COALESCE(MAX(version), 0) FROM schema_migrations";
static const char SQL_APPLIED[] =
	"SELECT version, checksum FROM schema_migrations ORDER BY version";
static const char SQL_RECORD[] =
	"INSERT INTO schema_migrations (version, name, checksum) VALUES (?, ?, ?)";
static const char SQL_LOCK[] = "SELECT GET_LOCK('onramp.migrate', 30)";
static const char SQL_UNLOCK[] = "SELECT RELEASE_LOCK('onramp.migrate')";

const char *
migrate_version_sql(void)
{
	return SQL_CURRENT;
}

or_status
migrate_current_version(db *d, unsigned *version)
{
	db_stmt *s;
	bool row;
	or_status st = db_prepare(d, SQL_CURRENT, &s);

	*version = 0;
	if (st != OR_OK)
		return db_last_errno(d) == ER_NO_SUCH_TABLE ? OR_OK : st;
	st = db_execute(s);
	if (st == OR_OK)
		st = db_fetch(s, &row);
	if (st == OR_OK && row)
		*version = (unsigned)db_col_int(s, 0, 0);
	db_stmt_done(s);
	if (st != OR_OK && db_last_errno(d) == ER_NO_SUCH_TABLE)
		return OR_OK;
	return st;
}

or_status
migrate_state(db *d, migration_state *out)
{
	size_t n, i;
	const migration *all = migration_all(&n);
	db_stmt *s;
	bool row;
	or_status st;

	memset(out, 0, sizeof(*out));
	if (all == NULL)
		return OR_ERR_INTERNAL;
	st = db_prepare(d, SQL_APPLIED, &s);
	if (st != OR_OK)
		return db_last_errno(d) == ER_NO_SUCH_TABLE ? OR_OK : st;
	if ((st = db_execute(s)) != OR_OK) {
		db_stmt_done(s);
		return db_last_errno(d) == ER_NO_SUCH_TABLE ? OR_OK : st;
	}
	while ((st = db_fetch(s, &row)) == OR_OK && row) {
		unsigned v = (unsigned)db_col_int(s, 0, 0);
		or_str sum = db_col(s, 1);
		out->applied++;
		if (v > out->current)
			out->current = v;
		for (i = 0; i < n; i++) {
			char want[65];
			if (all[i].version != v)
				continue;
			migration_checksum(&all[i], want);
			if (!str_eq_c(sum, want))
				out->checksum_mismatch = true;
		}
	}
	db_stmt_done(s);
	return st;
}

struct run_ctx {
	db *d;
	unsigned count;
};

static or_status
run_statement(void *ctx, const char *stmt, size_t len)
{
	struct run_ctx *rc = ctx;

	rc->count++;
	return db_exec_uncached(rc->d, stmt, len);
}

static or_status
apply_one(db *d, const migration *m, char *err, size_t errsz)
{
	struct run_ctx rc = { d, 0 };
	char sum[65];
	db_stmt *s;
	or_status st;

	st = migration_split(m->sql, m->sql_len, run_statement, &rc);
	if (st != OR_OK) {
		snprintf(err, errsz, "%s: statement %u failed: %s", m->file, rc.count,
			 st == OR_ERR_INVALID && rc.count == 0 ? "unterminated quote or comment"
							       : db_last_error(d));
		return st;
	}
	migration_checksum(m, sum);
	if ((st = db_prepare(d, SQL_RECORD, &s)) != OR_OK) {
		snprintf(err, errsz, "%s: recording failed: %s", m->file, db_last_error(d));
		return st;
	}
	db_bind_int(s, 0, m->version);
	db_bind_cstr(s, 1, m->file);
	db_bind_text(s, 2, sum, 64);
	st = db_execute(s);
	db_stmt_done(s);
	if (st != OR_OK)
		snprintf(err, errsz, "%s: recording failed: %s", m->file, db_last_error(d));
	return st;
}

static or_status
lock(db *d, const char *sql, char *err, size_t errsz)
{
	db_stmt *s;
	bool row = false;
	or_status st = db_prepare(d, sql, &s);

	if (st == OR_OK)
		st = db_execute(s);
	if (st == OR_OK)
		st = db_fetch(s, &row);
	if (st == OR_OK && (!row || db_col_int(s, 0, 0) != 1) && sql == SQL_LOCK) {
		snprintf(err, errsz, "another migration holds the lock; try again");
		st = OR_ERR_CONFLICT;
	}
	db_stmt_done(s);
	if (st == OR_ERR_DB)
		snprintf(err, errsz, "database: %s", db_last_error(d));
	return st;
}

or_status
migrate_apply(db *d, migrate_progress_fn progress, void *ctx, char *err, size_t errsz)
{
	size_t n, i;
	const migration *all = migration_all(&n);
	unsigned current;
	or_status st;

	if (all == NULL) {
		snprintf(err, errsz, "the compiled-in migrations are inconsistent (build bug)");
		return OR_ERR_INTERNAL;
	}
	if ((st = lock(d, SQL_LOCK, err, errsz)) != OR_OK)
		return st;
	/* Read the version under the lock, so a concurrent runner's work is seen. */
	st = migrate_current_version(d, &current);
	if (st != OR_OK)
		snprintf(err, errsz, "database: %s", db_last_error(d));
	for (i = 0; st == OR_OK && i < n; i++) {
		if (all[i].version <= current)
			continue;
		st = apply_one(d, &all[i], err, errsz);
		if (st == OR_OK && progress)
			progress(ctx, &all[i]);
	}
	{
		char ignored[64];
		(void)lock(d, SQL_UNLOCK, ignored, sizeof(ignored));
	}
	return st;
}
