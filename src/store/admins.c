/*
 * The last-admin rule, once for both realms: a customer keeps at least one
 * active customer admin and the vendor at least one operator admin, whichever
 * path (customer API, operator API, onrampctl) removes one.
 *
 * A plain COUNT(*) reads the transaction's REPEATABLE READ snapshot, so two
 * admins removing each other both see the other one and both commit.  Here
 * the live admins are read FOR UPDATE: a locking read sees the latest
 * committed rows and holds them until commit, so a second removal waits for
 * the first and then counts what the first left behind.
 */
#include "onramp/store.h"

static const char SQL_LOCK_OPERATOR_ADMINS[] =
	"SELECT id FROM operators WHERE role = 'operator_admin' AND deactivated_at IS NULL FOR UPDATE";
/* Who counts as a live customer admin: the rule below and the contacts a member sees. */
#define LIVE_CUSTOMER_ADMINS \
	"FROM users WHERE customer_id = ? AND role = 'customer_admin' AND status = 'active' " \
	"AND deactivated_at IS NULL"
static const char SQL_LOCK_CUSTOMER_ADMINS[] = "SELECT id " LIVE_CUSTOMER_ADMINS " FOR UPDATE";
static const char SQL_ADMIN_CONTACTS[] =
	"SELECT display_name, email " LIVE_CUSTOMER_ADMINS " ORDER BY display_name, email LIMIT ?";

or_status
store_admin_keep_one(db *d, session_realm realm, int64_t customer_id, int64_t id)
{
	db_stmt *s;
	bool row, is_admin = false;
	long others = 0;
	or_status st;

	if (realm == REALM_CUSTOMER && customer_id <= 0)
		return OR_ERR_INTERNAL;
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

or_status
store_admin_contacts(db *d, arena *a, int64_t customer_id, admin_contact *out, size_t max, size_t *n)
{
	db_stmt *s;
	bool row;
	or_status st;

	*n = 0;
	if (customer_id <= 0)
		return OR_ERR_INTERNAL;
	if ((st = db_prepare(d, SQL_ADMIN_CONTACTS, &s)) != OR_OK)
		return st;
	db_bind_int(s, 0, customer_id);
	db_bind_int(s, 1, (int64_t)max);
	st = db_execute(s);
	while (st == OR_OK && *n < max && (st = db_fetch(s, &row)) == OR_OK && row) {
		const char *name = db_col_dup(s, 0, a);	/* NULL: no display name set */

		out[*n].display_name = name ? name : "";
		out[*n].email = db_col_dup(s, 1, a);
		if (out[*n].email == NULL)	/* NOT NULL in the schema: the arena is full */
			st = OR_ERR_NOMEM;
		else
			(*n)++;
	}
	db_stmt_done(s);
	return st;
}
