/*
 * The migration runner: applies the compiled-in sql/NNN_*.sql files in order,
 * under a cluster-wide lease so two runners cannot interleave, and records
 * each in schema_migrations.  The lease is a row, not GET_LOCK: a named lock
 * lives on one server, so two runners against two Galera nodes both got it;
 * a conditional UPDATE of one row is certified cluster-wide, so exactly one
 * runner's take commits.  It expires (LIMIT_MIGRATE_LEASE_S, renewed after
 * each migration) so a crashed runner does not block the next one forever.  MariaDB commits DDL implicitly, so a migration
 * cannot be rolled back as a whole; files are written to be re-runnable
 * (IF NOT EXISTS) and one is recorded only after all its statements ran.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <mysqld_error.h>

#include "onramp/clock.h"
#include "onramp/db.h"
#include "onramp/limits.h"
#include "onramp/migration.h"

/* MAX over the primary key is answered from the index without a scan. */
static const char SQL_CURRENT[] = "SELECT COALESCE(MAX(version), 0) FROM schema_migrations";
static const char SQL_APPLIED[] =
	"SELECT version, checksum FROM schema_migrations ORDER BY version";
static const char SQL_RECORD[] =
	"INSERT INTO schema_migrations (version, name, checksum) VALUES (?, ?, ?)";
/*
 * The runner creates the lease table itself: it must exist before the first
 * migration (an empty database) can run, and one row is the whole lease.
 */
static const char SQL_LEASE_TABLE[] =
	"CREATE TABLE IF NOT EXISTS migration_lease ("
	"id TINYINT UNSIGNED NOT NULL PRIMARY KEY, holder VARCHAR(128) NULL, lease_until DATETIME(6) NOT NULL"
	") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci";
static const char SQL_LEASE_ROW[] =
	"INSERT IGNORE INTO migration_lease (id, holder, lease_until) VALUES (1, NULL, '1970-01-02 00:00:00')";
/*
 * The server's clock, not the runner's: every runner compares against the
 * same database time, whichever host it runs on.
 */
static const char SQL_LEASE_TAKE[] =
	"UPDATE migration_lease SET holder = ?, lease_until = NOW(6) + INTERVAL ? SECOND "
	"WHERE id = 1 AND (holder IS NULL OR lease_until <= NOW(6))";
static const char SQL_LEASE_RENEW[] =
	"UPDATE migration_lease SET lease_until = NOW(6) + INTERVAL ? SECOND WHERE id = 1 AND holder = ?";
static const char SQL_LEASE_DROP[] = "UPDATE migration_lease SET holder = NULL WHERE id = 1 AND holder = ?";

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

/* Run one lease statement; *changed says whether it took or kept the lease. */
static or_status
lease_run(db *d, const char *sql, const char *holder, bool *changed)
{
	db_arg take[] = { DB_TEXT(holder), DB_INT(LIMIT_MIGRATE_LEASE_S) };
	db_arg renew[] = { DB_INT(LIMIT_MIGRATE_LEASE_S), DB_TEXT(holder) };
	db_arg drop[] = { DB_TEXT(holder) };
	unsigned long long n = 0;
	or_status st;

	if (sql == SQL_LEASE_TAKE)
		st = db_run(d, sql, take, 2, &n);
	else if (sql == SQL_LEASE_RENEW)
		st = db_run(d, sql, renew, 2, &n);
	else
		st = db_run(d, sql, drop, 1, &n);
	*changed = n == 1;
	return st;
}

/*
 * Take the lease or say who has it.  A Galera certification conflict (1213:
 * another node's runner took it at the same moment) is a lost race, as is an
 * UPDATE that matched no row.
 */
static or_status
lease_take(db *d, const char *holder, char *err, size_t errsz)
{
	bool taken = false;
	or_status st = db_exec_simple(d, SQL_LEASE_TABLE);

	if (st == OR_OK)
		st = db_exec_simple(d, SQL_LEASE_ROW);
	if (st == OR_OK)
		st = lease_run(d, SQL_LEASE_TAKE, holder, &taken);
	if ((st == OR_OK && !taken) || (st != OR_OK && db_last_errno(d) == ER_LOCK_DEADLOCK)) {
		snprintf(err, errsz, "another migration holds the lock; try again");
		return OR_ERR_CONFLICT;
	}
	if (st != OR_OK)
		snprintf(err, errsz, "database: %s", db_last_error(d));
	return st;
}

/* Keep the lease for the next migration; a runner that lost it stops (another one may run now). */
static or_status
lease_renew(db *d, const char *holder, char *err, size_t errsz)
{
	bool kept = false;
	or_status st = lease_run(d, SQL_LEASE_RENEW, holder, &kept);

	if (st == OR_OK && !kept) {
		snprintf(err, errsz, "the migration lease expired (over %d s); run onrampctl migrate again",
			 LIMIT_MIGRATE_LEASE_S);
		return OR_ERR_CONFLICT;
	}
	if (st != OR_OK)
		snprintf(err, errsz, "database: %s", db_last_error(d));
	return st;
}

/* Who this runner is in the lease row: host, process and start time, unique enough to tell two apart. */
static void
lease_holder(char *out, size_t outsz)
{
	char host[64] = "";

	if (gethostname(host, sizeof(host) - 1) != 0)
		host[0] = '\0';
	host[sizeof(host) - 1] = '\0';
	snprintf(out, outsz, "%s:%ld:%lld", host, (long)getpid(), (long long)clock_wall_us());
}

static or_status
apply_pending(db *d, const char *holder, unsigned upto, migrate_progress_fn progress, void *ctx, char *err,
	      size_t errsz)
{
	size_t n, i;
	const migration *all = migration_all(&n);
	unsigned current;
	/* Read the version under the lease, so a concurrent runner's work is seen. */
	or_status st = migrate_current_version(d, &current);

	if (st != OR_OK)
		snprintf(err, errsz, "database: %s", db_last_error(d));
	for (i = 0; st == OR_OK && i < n && all[i].version <= upto; i++) {
		if (all[i].version <= current)
			continue;
		st = apply_one(d, &all[i], err, errsz);
		if (st == OR_OK && progress)
			progress(ctx, &all[i]);
		if (st == OR_OK)
			st = lease_renew(d, holder, err, errsz);
	}
	return st;
}

or_status
migrate_apply(db *d, migrate_progress_fn progress, void *ctx, char *err, size_t errsz)
{
	return migrate_apply_to(d, migration_latest(), progress, ctx, err, errsz);
}

or_status
migrate_apply_to(db *d, unsigned upto, migrate_progress_fn progress, void *ctx, char *err, size_t errsz)
{
	char holder[128];
	bool ignored;
	or_status st;

	if (migration_all(&(size_t){ 0 }) == NULL) {
		snprintf(err, errsz, "the compiled-in migrations are inconsistent (build bug)");
		return OR_ERR_INTERNAL;
	}
	lease_holder(holder, sizeof(holder));
	if ((st = lease_take(d, holder, err, errsz)) != OR_OK)
		return st;
	st = apply_pending(d, holder, upto, progress, ctx, err, errsz);
	(void)lease_run(d, SQL_LEASE_DROP, holder, &ignored);
	return st;
}
