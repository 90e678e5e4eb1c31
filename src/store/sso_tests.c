/*
 * Test sign-ins of an SSO draft version (sql/013 sso_tests).  Activation asks
 * whether the approved version passed one; the sign-in flow owns the rest of
 * this table and adds its functions below.
 */
#include <string.h>

#include "onramp/sso_signin_store.h"
#include "onramp/sso_store.h"
#include "scope.h"

static const char SQL_PASSED[] =
	"SELECT EXISTS(SELECT 1 FROM sso_tests WHERE customer_id = ? AND version = ? AND state = 'passed')";

or_status
store_sso_test_passed(db *d, int64_t customer_id, int64_t version, bool *passed)
{
	db_arg args[] = { DB_INT(customer_id), DB_INT(version) };
	long long n = 0;
	or_status st;

	*passed = false;
	if (scope_refused(__func__, customer_id))
		return OR_ERR_INTERNAL;
	st = db_scalar(d, SQL_PASSED, args, 2, 0, &n);
	*passed = st == OR_OK && n != 0;
	return st;
}

/* ---- the test sign-ins themselves (include/onramp/sso_signin_store.h) ---------------------- */

static const char SQL_TEST_INSERT[] =
	"INSERT INTO sso_tests (customer_id, protocol, version, started_by, created_at) "
	"VALUES (?, ?, ?, ?, FROM_UNIXTIME(?))";

or_status
store_sso_test_create(db *d, int64_t customer_id, const char *protocol, int64_t version, const char *started_by,
		      int64_t now, int64_t *id)
{
	db_stmt *s;
	or_status st;

	if (scope_refused(__func__, customer_id))
		return OR_ERR_INTERNAL;
	if ((st = db_prepare(d, SQL_TEST_INSERT, &s)) != OR_OK)
		return st;
	db_bind_int(s, 0, customer_id);
	db_bind_cstr(s, 1, protocol);
	db_bind_int(s, 2, version);
	db_bind_cstr(s, 3, started_by);
	db_bind_int(s, 4, now);
	if ((st = db_execute(s)) == OR_OK)
		*id = (int64_t)db_insert_id(s);
	db_stmt_done(s);
	return st;
}

static const char SQL_TEST_FINISH[] =
	"UPDATE sso_tests SET state = ?, result = ?, finished_at = FROM_UNIXTIME(?) "
	"WHERE id = ? AND customer_id = ? AND state = 'pending'";

or_status
store_sso_test_finish(db *d, int64_t customer_id, int64_t id, bool passed, const char *result_json, int64_t now)
{
	db_arg args[] = { DB_TEXT(passed ? "passed" : "failed"), DB_TEXT(result_json), DB_INT(now), DB_INT(id),
			  DB_INT(customer_id) };
	unsigned long long n = 0;
	or_status st;

	if (scope_refused(__func__, customer_id))
		return OR_ERR_INTERNAL;
	st = db_run(d, SQL_TEST_FINISH, args, 5, &n);
	return st == OR_OK && n != 1 ? OR_ERR_CONFLICT : st;
}

#define TEST_COLS "id, customer_id, version, created_at, finished_at, protocol, state, started_by, result"
static const char SQL_TEST_GET[] = "SELECT " TEST_COLS " FROM sso_tests WHERE customer_id = ? AND id = ?";
static const char SQL_TEST_LATEST[] =
	"SELECT " TEST_COLS " FROM sso_tests WHERE customer_id = ? AND id >= ? ORDER BY id DESC LIMIT 1";

static or_status
test_query(db *d, arena *a, const char *sql, int64_t customer_id, int64_t id, sso_test *out)
{
	db_stmt *s;
	bool found = false;
	or_status st;

	if ((st = db_prepare(d, sql, &s)) != OR_OK)
		return st;
	db_bind_int(s, 0, customer_id);
	db_bind_int(s, 1, id);
	if ((st = db_query_one(s, &found)) == OR_OK && !found)
		st = OR_ERR_NOT_FOUND;
	if (st == OR_OK) {
		memset(out, 0, sizeof(*out));
		out->id = db_col_int(s, 0, 0);
		out->customer_id = db_col_int(s, 1, 0);
		out->version = db_col_int(s, 2, 0);
		out->created_at = db_col_time(s, 3);
		out->finished_at = db_col_time(s, 4);
		out->protocol = db_col_dup(s, 5, a);
		out->state = db_col_dup(s, 6, a);
		out->started_by = db_col_dup(s, 7, a);
		out->result = db_col_dup(s, 8, a);
		if (out->protocol == NULL || out->state == NULL || out->started_by == NULL)
			st = OR_ERR_NOMEM;
	}
	db_stmt_done(s);
	return st;
}

or_status
store_sso_test_get(db *d, arena *a, int64_t customer_id, int64_t id, sso_test *out)
{
	if (scope_refused(__func__, customer_id))
		return OR_ERR_INTERNAL;
	return test_query(d, a, SQL_TEST_GET, customer_id, id, out);
}

or_status
store_sso_test_latest(db *d, arena *a, int64_t customer_id, sso_test *out)
{
	if (scope_refused(__func__, customer_id))
		return OR_ERR_INTERNAL;
	return test_query(d, a, SQL_TEST_LATEST, customer_id, 0, out);
}
