/*
 * Pending SSO requests and the JWKS cache (include/onramp/sso_signin_store.h;
 * test sign-ins are in src/store/sso_tests.c).
 * A pending request is used with one conditional UPDATE and the affected
 * rows checked, so two callbacks racing with the same state cannot both win;
 * the JWKS refetch an unknown kid asks for is claimed the same way, so it is
 * rate-limited across every worker and host.
 */
#include <string.h>

#include "onramp/limits.h"
#include "onramp/sso_signin_store.h"
#include "scope.h"

static const char SQL_PENDING_INSERT[] =
	"INSERT INTO sso_pending (state_hash, browser_hash, customer_id, purpose, test_id, protocol, version, "
	"request_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, FROM_UNIXTIME(?), FROM_UNIXTIME(?))";

or_status
store_sso_pending_create(db *d, const sso_pending_new *p)
{
	db_arg args[] = { DB_TEXT(p->state_hash), DB_TEXT(p->browser_hash), DB_INT(p->customer_id),
			  DB_TEXT(p->purpose), p->test_id ? DB_INT(p->test_id) : DB_TEXT(NULL), DB_TEXT(p->protocol),
			  DB_INT(p->version), DB_TEXT(p->request_id), DB_INT(p->now), DB_INT(p->expires_at) };

	if (scope_refused(__func__, p->customer_id))
		return OR_ERR_INTERNAL;
	return db_run(d, SQL_PENDING_INSERT, args, sizeof(args) / sizeof(args[0]), NULL);
}

static const char SQL_PENDING_SWEEP[] = "DELETE FROM sso_pending WHERE expires_at < FROM_UNIXTIME(?) LIMIT 1000";

/* Every customer's rows at once: housekeeping, not a tenant query (no customer data is read). */
or_status
store_sso_pending_sweep(db *d, int64_t before, unsigned long long *deleted)
{
	db_arg args[] = { DB_INT(before) };

	_Static_assert(LIMIT_SWEEP_BATCH == 1000, "SQL_PENDING_SWEEP's LIMIT is LIMIT_SWEEP_BATCH");
	return db_delete_batched(d, SQL_PENDING_SWEEP, args, 1, LIMIT_SWEEP_BATCH, LIMIT_SWEEP_ROUNDS, deleted);
}

static const char SQL_PENDING_USE[] =
	"UPDATE sso_pending SET used_at = FROM_UNIXTIME(?) WHERE state_hash = ? AND browser_hash = ? "
	"AND customer_id = ? AND used_at IS NULL AND expires_at > FROM_UNIXTIME(?)";
static const char SQL_PENDING_READ[] =
	"SELECT id, customer_id, COALESCE(test_id, 0), version, purpose, protocol, browser_hash, used_at IS NOT NULL, "
	"expires_at > FROM_UNIXTIME(?), customer_id = ?, request_id, created_at FROM sso_pending WHERE state_hash = ?";

/* The row SQL_PENDING_READ selected. */
static or_status
read_row(db_stmt *s, arena *a, sso_pending *out)
{
	out->id = db_col_int(s, 0, 0);
	out->customer_id = db_col_int(s, 1, 0);
	out->test_id = db_col_int(s, 2, 0);
	out->version = db_col_int(s, 3, 0);
	out->purpose = db_col_dup(s, 4, a);
	out->protocol = db_col_dup(s, 5, a);
	out->request_id = db_col_dup(s, 10, a);	/* NULL for OIDC */
	out->created_at = db_col_time(s, 11);
	return out->purpose == NULL || out->protocol == NULL ? OR_ERR_NOMEM : OR_OK;
}

/* Which condition the row fails (checked in the order a user can act on), or 0 when it is usable. */
static int
unusable(db_stmt *s, const char *browser_hash)
{
	if (db_col_int(s, 9, 0) != 1)
		return SSO_PENDING_OTHER_CUSTOMER;
	if (db_col_int(s, 7, 0) == 1)
		return SSO_PENDING_USED;
	if (db_col_int(s, 8, 0) != 1)
		return SSO_PENDING_EXPIRED;
	if (!str_eq_c(db_col(s, 6), browser_hash))
		return SSO_PENDING_OTHER_BROWSER;
	return 0;
}

/* Read the row of state_hash (the statement stays open for the caller's db_stmt_done). */
static or_status
query_row(db *d, int64_t customer_id, const char *state_hash, int64_t now, db_stmt **s, bool *found)
{
	or_status st = db_prepare(d, SQL_PENDING_READ, s);

	*found = false;
	if (st != OR_OK) {
		*s = NULL;	/* nothing for the caller to finish */
		return st;
	}
	db_bind_int(*s, 0, now);
	db_bind_int(*s, 1, customer_id);
	db_bind_cstr(*s, 2, state_hash);
	return db_query_one(*s, found);
}

or_status
store_sso_pending_consume(db *d, arena *a, int64_t customer_id, const char *state_hash, const char *browser_hash,
			  int64_t now, sso_pending *out, sso_pending_why *why)
{
	db_arg use[] = { DB_INT(now), DB_TEXT(state_hash), DB_TEXT(browser_hash), DB_INT(customer_id), DB_INT(now) };
	unsigned long long n = 0;
	db_stmt *s = NULL;
	bool found = false;
	int w;
	or_status st;

	memset(out, 0, sizeof(*out));
	if (scope_refused(__func__, customer_id))
		return OR_ERR_INTERNAL;
	if ((st = db_run(d, SQL_PENDING_USE, use, 5, &n)) == OR_OK)
		st = query_row(d, customer_id, state_hash, now, &s, &found);
	if (st == OR_OK && found && n == 1) {
		st = read_row(s, a, out);
	} else if (st == OR_OK) {
		/* A usable row that our UPDATE did not change was used between the two statements. */
		*why = !found ? SSO_PENDING_UNKNOWN : (w = unusable(s, browser_hash)) != 0 ? (sso_pending_why)w
											   : SSO_PENDING_USED;
		st = OR_ERR_CONFLICT;
	}
	if (s)
		db_stmt_done(s);
	return st;
}

or_status
store_sso_pending_peek(db *d, arena *a, int64_t customer_id, const char *state_hash, const char *browser_hash,
		       int64_t now, sso_pending *out)
{
	db_stmt *s = NULL;
	bool found = false;
	or_status st;

	memset(out, 0, sizeof(*out));
	if (scope_refused(__func__, customer_id))
		return OR_ERR_INTERNAL;
	st = query_row(d, customer_id, state_hash, now, &s, &found);
	if (st == OR_OK && (!found || unusable(s, browser_hash) != 0))
		st = OR_ERR_NOT_FOUND;
	if (st == OR_OK)
		st = read_row(s, a, out);
	if (s)
		db_stmt_done(s);
	return st;
}

static const char SQL_SAML_SEEN[] =
	"INSERT INTO sso_saml_seen (customer_id, assertion_hash, expires_at) VALUES (?, ?, FROM_UNIXTIME(?))";
static const char SQL_SAML_SEEN_SWEEP[] =
	"DELETE FROM sso_saml_seen WHERE customer_id = ? AND expires_at < FROM_UNIXTIME(?) LIMIT 100";

or_status
store_sso_saml_seen_insert(db *d, int64_t customer_id, const char *assertion_hash, int64_t expires_at, int64_t now)
{
	db_arg sweep[] = { DB_INT(customer_id), DB_INT(now) };
	db_arg args[] = { DB_INT(customer_id), DB_TEXT(assertion_hash), DB_INT(expires_at) };
	or_status st;

	if (scope_refused(__func__, customer_id))
		return OR_ERR_INTERNAL;
	/* An expired row may hold the same hash: it is gone before the insert decides. */
	if ((st = db_run(d, SQL_SAML_SEEN_SWEEP, sweep, 2, NULL)) != OR_OK)
		return st;
	st = db_run(d, SQL_SAML_SEEN, args, 3, NULL);
	return st == OR_ERR_DB && db_last_was_duplicate(d) ? OR_ERR_CONFLICT : st;
}

/* ---- the JWKS cache ------------------------------------------------------------------ */

static const char SQL_JWKS_GET[] =
	"SELECT body, fetched_at FROM sso_jwks WHERE customer_id = ? AND uri_hash = ?";

or_status
store_sso_jwks_get(db *d, arena *a, int64_t customer_id, const char *uri_hash, sso_jwks_entry *out)
{
	db_stmt *s;
	bool found = false;
	or_status st;

	if (scope_refused(__func__, customer_id))
		return OR_ERR_INTERNAL;
	if ((st = db_prepare(d, SQL_JWKS_GET, &s)) != OR_OK)
		return st;
	db_bind_int(s, 0, customer_id);
	db_bind_cstr(s, 1, uri_hash);
	if ((st = db_query_one(s, &found)) == OR_OK && !found)
		st = OR_ERR_NOT_FOUND;
	if (st == OR_OK) {
		out->body = db_col_dup(s, 0, a);
		out->fetched_at = db_col_time(s, 1);
		if (out->body == NULL)
			st = OR_ERR_NOMEM;
	}
	db_stmt_done(s);
	return st;
}

static const char SQL_JWKS_PUT[] =
	"INSERT INTO sso_jwks (customer_id, uri_hash, body, fetched_at) VALUES (?, ?, ?, FROM_UNIXTIME(?)) "
	"ON DUPLICATE KEY UPDATE body = VALUES(body), fetched_at = VALUES(fetched_at)";

or_status
store_sso_jwks_put(db *d, int64_t customer_id, const char *uri_hash, const char *body, int64_t now)
{
	db_arg args[] = { DB_INT(customer_id), DB_TEXT(uri_hash), DB_TEXT(body), DB_INT(now) };

	if (scope_refused(__func__, customer_id))
		return OR_ERR_INTERNAL;
	return db_run(d, SQL_JWKS_PUT, args, 4, NULL);
}

static const char SQL_JWKS_CLAIM[] =
	"UPDATE sso_jwks SET refetched_at = FROM_UNIXTIME(?) WHERE customer_id = ? AND uri_hash = ? "
	"AND (refetched_at IS NULL OR refetched_at <= FROM_UNIXTIME(?))";

or_status
store_sso_jwks_claim_refetch(db *d, int64_t customer_id, const char *uri_hash, int64_t now, int64_t min_interval_s)
{
	db_arg args[] = { DB_INT(now), DB_INT(customer_id), DB_TEXT(uri_hash), DB_INT(now - min_interval_s) };
	unsigned long long n = 0;
	or_status st;

	if (scope_refused(__func__, customer_id))
		return OR_ERR_INTERNAL;
	st = db_run(d, SQL_JWKS_CLAIM, args, 4, &n);
	return st == OR_OK && n != 1 ? OR_ERR_LIMIT : st;
}
