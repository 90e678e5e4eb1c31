/*
 * The last-admin rule, once for both realms: a customer keeps at least one
 * active customer admin and the vendor at least one operator admin, whichever
 * path (customer API, operator API, onrampctl) removes one.
 *
 * A plain COUNT(*) reads the transaction's REPEATABLE READ snapshot, so two
 * admins removing each other both see the other one and both commit.  Here
 * the live admins are read FOR UPDATE: a locking read sees the latest
 * committed rows and holds them until commit, so a second removal waits for
 * the first and then counts what the first left behind.  Locks are node-local
 * on Galera, so the rule first writes its guard row (src/store/guards.c): two
 * removals on two nodes then write a common row and only one commits.
 *
 * Also who a person of a customer is told to contact (a suspended user, an
 * invitee refused for seats): the admin named, or the active admins.
 */
#include "onramp/store.h"
#include "scope.h"

static const char SQL_LOCK_OPERATOR_ADMINS[] =
	"SELECT id FROM operators WHERE role = 'operator_admin' AND deactivated_at IS NULL FOR UPDATE";
/* Who counts as a live customer admin: the rule below and the contacts a member sees. */
#define LIVE_CUSTOMER_ADMINS \
	"FROM users WHERE customer_id = ? AND role = 'customer_admin' AND status = 'active' " \
	"AND deactivated_at IS NULL"
static const char SQL_LOCK_CUSTOMER_ADMINS[] = "SELECT id " LIVE_CUSTOMER_ADMINS " FOR UPDATE";

or_status
store_admin_keep_one(db *d, session_realm realm, int64_t customer_id, int64_t id)
{
	db_stmt *s;
	bool row, is_admin = false;
	long others = 0;
	or_status st;

	if (realm == REALM_CUSTOMER && customer_id <= 0)
		return OR_ERR_INTERNAL;
	st = realm == REALM_OPERATOR ? store_guard_take(d, GUARD_OPERATOR_ADMINS, 0)
				     : store_guard_take(d, GUARD_CUSTOMER_ADMINS, customer_id);
	if (st != OR_OK)
		return st;
	st = db_prepare(d, realm == REALM_OPERATOR ? SQL_LOCK_OPERATOR_ADMINS : SQL_LOCK_CUSTOMER_ADMINS, &s);
	if (st != OR_OK)
		return st;
	if (realm == REALM_CUSTOMER)
		db_bind_int(s, 0, customer_id);
	st = db_execute(s);
	while (st == OR_OK && (st = db_fetch(s, &row)) == OR_OK && row) {
		if (db_col_int(s, 0, 0) == id)
			is_admin = true;
		else
			others++;
	}
	db_stmt_done(s);
	if (st == OR_OK && is_admin && others == 0)
		st = OR_ERR_CONFLICT;
	return st;
}

/* Whom a person of the customer is told to contact: the live admins the rule above counts. */
static const char SQL_CONTACT_ONE[] =
	"SELECT COALESCE(NULLIF(display_name, ''), username), email " LIVE_CUSTOMER_ADMINS " AND username = ?";
static const char SQL_CONTACT_ADMINS[] =
	"SELECT COALESCE(NULLIF(display_name, ''), username), email " LIVE_CUSTOMER_ADMINS " ORDER BY id LIMIT ?";

static or_status
contacts_run(db *d, arena *a, const char *sql, int64_t customer_id, const char *username, size_t max,
	     admin_contact *out, size_t *n)
{
	db_stmt *s;
	bool row;
	or_status st = db_prepare(d, sql, &s);

	if (st != OR_OK)
		return st;
	db_bind_int(s, 0, customer_id);
	if (username)
		db_bind_cstr(s, 1, username);
	else
		db_bind_int(s, 1, (int64_t)max);
	st = db_execute(s);
	while (st == OR_OK && *n < max && (st = db_fetch(s, &row)) == OR_OK && row) {
		out[*n].name = db_col_dup(s, 0, a);
		out[*n].email = db_col_dup(s, 1, a);
		out[*n].named = username != NULL;
		if (out[*n].name && out[*n].email)
			(*n)++;
	}
	db_stmt_done(s);
	return st;
}

or_status
store_admin_contacts(db *d, arena *a, int64_t customer_id, const char *username, size_t max, admin_contact *out,
		     size_t *n)
{
	or_status st = OR_OK;

	*n = 0;
	if (scope_refused(__func__, customer_id))
		return OR_ERR_INTERNAL;
	if (username)
		st = contacts_run(d, a, SQL_CONTACT_ONE, customer_id, username, max, out, n);
	/* The admin named is gone or no longer an active admin: the active admins stand in. */
	if (st == OR_OK && *n == 0)
		st = contacts_run(d, a, SQL_CONTACT_ADMINS, customer_id, NULL, max, out, n);
	return st;
}
