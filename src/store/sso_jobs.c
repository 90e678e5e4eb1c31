/*
 * SSO validation jobs (see include/onramp/sso_jobs.h).  Claiming is a
 * conditional UPDATE per candidate with the affected rows checked, never
 * SELECT ... FOR UPDATE SKIP LOCKED (Galera does not honour it across
 * nodes); the claim count is the claim's token, so every later write of a
 * runner names the claim it holds and loses cleanly to a newer one.
 */
#include <string.h>

#include "onramp/sso_jobs.h"

#define JOB_COLS                                                                                              \
	"id, customer_id, version, state, attempts, COALESCE(requested_by, 0), request_id, COALESCE(report_ok, -1), " \
	"error_code, error_message, created_at, started_at, finished_at"

static void
row_to_job(db_stmt *s, arena *a, sso_job *j)
{
	memset(j, 0, sizeof(*j));
	j->id = db_col_int(s, 0, 0);
	j->customer_id = db_col_int(s, 1, 0);
	j->version = db_col_int(s, 2, 0);
	j->state = db_col_dup(s, 3, a);
	j->attempts = (long)db_col_int(s, 4, 0);
	j->requested_by = db_col_int(s, 5, 0);
	j->request_id = db_col_dup(s, 6, a);
	j->report_ok = (int)db_col_int(s, 7, -1);
	j->error_code = db_col_dup(s, 8, a);
	j->error_message = db_col_dup(s, 9, a);
	j->created_at = db_col_time(s, 10);
	j->started_at = db_col_time(s, 11);
	j->finished_at = db_col_time(s, 12);
}

/* Run a query of JOB_COLS with args bound; *found tells whether a row came back. */
static or_status
query_job(db *d, arena *a, const char *sql, const db_arg *args, size_t n, sso_job *out, bool *found)
{
	db_stmt *s;
	size_t i;
	or_status st = db_prepare(d, sql, &s);

	*found = false;
	if (st != OR_OK)
		return st;
	for (i = 0; i < n; i++)
		db_bind_int(s, (unsigned)i, args[i].i);
	if ((st = db_query_one(s, found)) == OR_OK && *found)
		row_to_job(s, a, out);
	db_stmt_done(s);
	return st;
}

static const char SQL_INSERT[] =
	"INSERT INTO sso_validations (customer_id, version, requested_by, request_id, created_at) "
	"VALUES (?, ?, ?, ?, FROM_UNIXTIME(?))";
/* A locking read: it sees the active row another transaction just committed, whatever our snapshot. */
static const char SQL_ACTIVE[] =
	"SELECT " JOB_COLS " FROM sso_validations WHERE customer_id = ? AND active_key = 1 FOR UPDATE";
static const char SQL_RETARGET[] =
	"UPDATE sso_validations SET version = ? WHERE id = ? AND state IN ('queued', 'running') AND version < ?";
static const char SQL_BY_ID[] = "SELECT " JOB_COLS " FROM sso_validations WHERE id = ? AND customer_id = ?";

/* Insert a queued job; *id gets its id (OR_ERR_CONFLICT when the customer has an active one). */
static or_status
insert_job(db *d, const sso_job_request *rq, int64_t *id)
{
	db_stmt *s;
	or_status st = db_prepare(d, SQL_INSERT, &s);

	if (st != OR_OK)
		return st;
	db_bind_int(s, 0, rq->customer_id);
	db_bind_int(s, 1, rq->version);
	if (rq->user_id)
		db_bind_int(s, 2, rq->user_id);
	else
		db_bind_null(s, 2);
	db_bind_cstr(s, 3, rq->request_id);
	db_bind_int(s, 4, rq->now);
	if ((st = db_execute(s)) == OR_OK)
		*id = (int64_t)db_insert_id(s);
	db_stmt_done(s);
	return st;
}

or_status
store_sso_job_enqueue(db *d, arena *a, const sso_job_request *rq, sso_job *out, bool *changed)
{
	db_arg active[] = { DB_INT(rq->customer_id) };
	bool found = false;
	int tries;
	or_status st = OR_OK;

	*changed = false;
	/* Twice at most: the active job may finish between our insert and our read. */
	for (tries = 0; tries < 2 && !found; tries++) {
		int64_t id = 0;
		if ((st = insert_job(d, rq, &id)) == OR_OK) {
			db_arg by_id[] = { DB_INT(id), DB_INT(rq->customer_id) };
			*changed = true;
			return query_job(d, a, SQL_BY_ID, by_id, 2, out, &found);
		}
		if (st != OR_ERR_CONFLICT || (st = query_job(d, a, SQL_ACTIVE, active, 1, out, &found)) != OR_OK)
			return st;
	}
	if (!found)
		return OR_ERR_CONFLICT;
	if (out->version < rq->version) {
		db_arg re[] = { DB_INT(rq->version), DB_INT(out->id), DB_INT(rq->version) };
		unsigned long long n = 0;
		if ((st = db_run(d, SQL_RETARGET, re, 3, &n)) == OR_OK && n > 0) {
			out->version = rq->version;
			*changed = true;
		}
	}
	return st;
}

or_status
store_sso_job_get(db *d, arena *a, int64_t customer_id, int64_t id, sso_job *out)
{
	db_arg args[] = { DB_INT(id), DB_INT(customer_id) };
	bool found;
	or_status st = query_job(d, a, SQL_BY_ID, args, 2, out, &found);

	return st == OR_OK && !found ? OR_ERR_NOT_FOUND : st;
}

static const char SQL_LATEST[] =
	"SELECT " JOB_COLS " FROM sso_validations WHERE customer_id = ? ORDER BY id DESC LIMIT 1";

or_status
store_sso_job_latest(db *d, arena *a, int64_t customer_id, sso_job *out, bool *found)
{
	db_arg args[] = { DB_INT(customer_id) };

	return query_job(d, a, SQL_LATEST, args, 1, out, found);
}

/* Claimable: queued, or running under a lease that expired with claims left. */
#define CLAIMABLE \
	"(state = 'queued' OR (state = 'running' AND claimed_until < FROM_UNIXTIME(?) AND attempts < ?))"
static const char SQL_CANDIDATES[] = "SELECT id FROM sso_validations WHERE " CLAIMABLE " ORDER BY id LIMIT 8";
static const char SQL_CLAIM[] =
	"UPDATE sso_validations SET state = 'running', attempts = attempts + 1, "
	"claimed_until = FROM_UNIXTIME(?), started_at = FROM_UNIXTIME(?) WHERE id = ? AND " CLAIMABLE;
static const char SQL_BY_ID_ANY[] = "SELECT " JOB_COLS " FROM sso_validations WHERE id = ?";

/* Candidate ids, oldest first (at most 8). */
static or_status
candidates(db *d, int64_t now, long max_attempts, int64_t ids[8], size_t *n)
{
	db_stmt *s;
	bool row;
	or_status st = db_prepare(d, SQL_CANDIDATES, &s);

	*n = 0;
	if (st != OR_OK)
		return st;
	db_bind_int(s, 0, now);
	db_bind_int(s, 1, max_attempts);
	st = db_execute(s);
	while (st == OR_OK && (st = db_fetch(s, &row)) == OR_OK && row && *n < 8)
		ids[(*n)++] = db_col_int(s, 0, 0);
	db_stmt_done(s);
	return st;
}

or_status
store_sso_job_claim(db *d, arena *a, int64_t now, int lease_s, long max_attempts, sso_job *out)
{
	int64_t ids[8];
	size_t n, i;
	bool found;
	or_status st = candidates(d, now, max_attempts, ids, &n);

	memset(out, 0, sizeof(*out));
	for (i = 0; st == OR_OK && i < n; i++) {
		db_arg claim[] = { DB_INT(now + lease_s), DB_INT(now), DB_INT(ids[i]), DB_INT(now), DB_INT(max_attempts) };
		db_arg by_id[] = { DB_INT(ids[i]) };
		unsigned long long won = 0;
		/* Another runner may take it between our read and this write: the affected rows decide. */
		if ((st = db_run(d, SQL_CLAIM, claim, 5, &won)) != OR_OK || won == 0)
			continue;
		return query_job(d, a, SQL_BY_ID_ANY, by_id, 1, out, &found);
	}
	return st;
}

static const char SQL_GIVE_UP[] =
	"UPDATE sso_validations SET state = 'failed', error_code = 'gave_up', claimed_until = NULL, "
	"error_message = 'The validation stopped several times without finishing; validate again.', "
	"finished_at = FROM_UNIXTIME(?) WHERE state = 'running' AND claimed_until < FROM_UNIXTIME(?) AND attempts >= ?";

or_status
store_sso_job_give_up(db *d, int64_t now, long max_attempts, unsigned long long *n)
{
	db_arg args[] = { DB_INT(now), DB_INT(now), DB_INT(max_attempts) };

	return db_run(d, SQL_GIVE_UP, args, 3, n);
}

/* The claim's identity: the job, the claim count it was taken with, the version it ran. */
#define OUR_CLAIM "WHERE id = ? AND attempts = ? AND state = 'running'"
static const char SQL_FINISH[] =
	"UPDATE sso_validations SET state = IF(?, 'done', 'failed'), report_ok = ?, error_code = ?, error_message = ?, "
	"claimed_until = NULL, finished_at = FROM_UNIXTIME(?) " OUR_CLAIM " AND version = ?";

or_status
store_sso_job_finish(db *d, const sso_job *j, bool done, bool report_ok, const char *error_code, const char *message,
		     int64_t now)
{
	db_arg args[] = { DB_INT(done), done ? DB_INT(report_ok) : DB_TEXT(NULL), DB_TEXT(error_code), DB_TEXT(message),
			  DB_INT(now), DB_INT(j->id), DB_INT(j->attempts), DB_INT(j->version) };
	unsigned long long n = 0;
	or_status st = db_run(d, SQL_FINISH, args, 8, &n);

	return st == OR_OK && n == 0 ? OR_ERR_CONFLICT : st;
}

static const char SQL_MOVE[] =
	"UPDATE sso_validations SET version = ? " OUR_CLAIM " AND version = ?";

or_status
store_sso_job_move(db *d, sso_job *j, int64_t version)
{
	db_arg args[] = { DB_INT(version), DB_INT(j->id), DB_INT(j->attempts), DB_INT(j->version) };
	unsigned long long n = 0;
	or_status st = db_run(d, SQL_MOVE, args, 4, &n);

	if (st == OR_OK && n == 0)
		return OR_ERR_CONFLICT;
	if (st == OR_OK)
		j->version = version;
	return st;
}

static const char SQL_REQUEUE[] =
	"UPDATE sso_validations SET state = 'queued', claimed_until = NULL " OUR_CLAIM " AND version <> ?";
static const char SQL_SUPERSEDED[] =
	"UPDATE sso_validations SET state = 'failed', error_code = 'superseded', claimed_until = NULL, "
	"error_message = 'The details changed while they were being validated; validate the saved details again.', "
	"finished_at = FROM_UNIXTIME(?) " OUR_CLAIM;

or_status
store_sso_job_settle(db *d, const sso_job *j, int64_t now, bool *requeued)
{
	db_arg re[] = { DB_INT(j->id), DB_INT(j->attempts), DB_INT(j->version) };
	db_arg fail[] = { DB_INT(now), DB_INT(j->id), DB_INT(j->attempts) };
	unsigned long long n = 0;
	or_status st = db_run(d, SQL_REQUEUE, re, 3, &n);

	*requeued = st == OR_OK && n > 0;
	if (st == OR_OK && n == 0)
		st = db_run(d, SQL_SUPERSEDED, fail, 3, NULL);
	return st;
}
