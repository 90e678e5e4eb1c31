/*
 * Invites (see include/onramp/invite_store.h).  The delivery status is read
 * from the outbox row of the latest mail, so it follows the mailer without
 * a second copy.
 */
#include <string.h>

#include "onramp/invite_store.h"
#include "onramp/store.h"
#include "scope.h"

/* With its mail when there is one: the outbox row comes first, so no UPDATE follows (issue 15). */
static const char SQL_INSERT[] =
	"INSERT INTO invites (customer_id, email, role, kind, token_hash, expires_at, created_by, created_at, "
	"sent_count, last_sent_at, last_outbox_id) "
	"VALUES (?, ?, ?, ?, ?, FROM_UNIXTIME(?), ?, FROM_UNIXTIME(?), ?, FROM_UNIXTIME(?), ?)";

or_status
store_invite_insert(db *d, const invite_new *in, int64_t *id)
{
	db_stmt *s;
	or_status st = db_prepare(d, SQL_INSERT, &s);

	if (st != OR_OK)
		return st;
	db_bind_int(s, 0, in->customer_id);
	db_bind_cstr(s, 1, in->email);
	db_bind_cstr(s, 2, in->role);
	db_bind_cstr(s, 3, in->kind);
	db_bind_cstr(s, 4, in->token_hash);
	db_bind_int(s, 5, in->expires_at);
	db_bind_cstr(s, 6, in->created_by);
	db_bind_int(s, 7, in->created_at);
	db_bind_int(s, 8, in->outbox_id ? 1 : 0);
	if (in->outbox_id) {
		db_bind_int(s, 9, in->created_at);
		db_bind_int(s, 10, in->outbox_id);
	} else {
		db_bind_null(s, 9);
		db_bind_null(s, 10);
	}
	if ((st = db_execute(s)) == OR_OK)
		*id = (int64_t)db_insert_id(s);
	db_stmt_done(s);
	return st;
}

/* The pending invite that holds the one-pending key, found through that key: one row, no range. */
static const char SQL_HOLDER[] =
	"SELECT id, expires_at <= FROM_UNIXTIME(?) FROM invites WHERE customer_id = ? AND pending_email = ? FOR UPDATE";
static const char SQL_EXPIRE[] = "UPDATE invites SET state = 'expired' WHERE id = ? AND state = 'pending'";

/*
 * The insert comes first and nothing reads a range before it.  The old way
 * (a range UPDATE over the customer's invites to expire stale ones, then the
 * INSERT) took a gap lock that, for a customer with no invites yet, reached
 * into the neighbouring customer's range: two first invites of different
 * customers each held the gap the other inserted into, and deadlocked.  Now
 * only a duplicate on the one-pending key looks further, at that one row.
 */
or_status
store_invite_insert_replacing(db *d, const invite_new *in, int64_t now, int64_t *id)
{
	db_stmt *s;
	bool found;
	long long holder, expired;
	db_arg args[1];
	or_status st = store_invite_insert(d, in, id);

	if (st != OR_ERR_CONFLICT)
		return st;
	if ((st = db_prepare(d, SQL_HOLDER, &s)) != OR_OK)
		return st;
	db_bind_int(s, 0, now);
	db_bind_int(s, 1, in->customer_id);
	db_bind_cstr(s, 2, in->email);
	st = db_query_one(s, &found);
	holder = found ? db_col_int(s, 0, 0) : 0;
	expired = found ? db_col_int(s, 1, 0) : 0;
	db_stmt_done(s);
	if (st != OR_OK)
		return st;
	if (!found || !expired)
		return OR_ERR_CONFLICT;	/* a live pending invite (or, never seen, a token collision) */
	args[0] = DB_INT(holder);
	if ((st = db_run(d, SQL_EXPIRE, args, 1, NULL)) != OR_OK)
		return st;
	return store_invite_insert(d, in, id);
}

static const char SQL_MAILED[] =
	"UPDATE invites SET sent_count = sent_count + 1, last_sent_at = FROM_UNIXTIME(?), last_outbox_id = ? "
	"WHERE id = ?";

or_status
store_invite_mailed(db *d, int64_t id, int64_t outbox_id, int64_t now)
{
	db_arg args[] = { DB_INT(now), DB_INT(outbox_id), DB_INT(id) };

	return db_run(d, SQL_MAILED, args, 3, NULL);
}

static const char SQL_RETOKEN[] =
	"UPDATE invites SET token_hash = ?, expires_at = FROM_UNIXTIME(?) WHERE id = ? AND state = 'pending'";

or_status
store_invite_retoken(db *d, int64_t id, const char *token_hash, int64_t expires_at)
{
	db_arg args[] = { DB_TEXT(token_hash), DB_INT(expires_at), DB_INT(id) };
	unsigned long long n = 0;
	or_status st = db_run(d, SQL_RETOKEN, args, 3, &n);

	return st == OR_OK && n == 0 ? OR_ERR_CONFLICT : st;
}

#define INVITE_COLS \
	"i.id, i.customer_id, c.name, i.email, i.role, i.kind, i.state, i.expires_at, i.created_at, i.created_by, " \
	"i.sent_count, i.last_sent_at, o.state, o.last_error, i.accepted_at, u.username, i.revoked_at, i.revoked_by"
#define INVITE_FROM \
	" FROM invites i JOIN customers c ON c.id = i.customer_id LEFT JOIN outbox o ON o.id = i.last_outbox_id " \
	"LEFT JOIN users u ON u.id = i.accepted_user_id "

static const char SQL_GET[] = "SELECT " INVITE_COLS INVITE_FROM "WHERE i.id = ? AND i.customer_id = ?";
static const char SQL_GET_LOCK[] =
	"SELECT " INVITE_COLS INVITE_FROM "WHERE i.id = ? AND i.customer_id = ? FOR UPDATE";
static const char SQL_BY_TOKEN[] = "SELECT " INVITE_COLS INVITE_FROM "WHERE i.token_hash = ? FOR UPDATE";
/* Through the one-pending key: locks that row, not a range of the customer's invites. */
static const char SQL_PENDING_FOR[] =
	"SELECT " INVITE_COLS INVITE_FROM "WHERE i.customer_id = ? AND i.pending_email = ? "
	"AND i.expires_at > FROM_UNIXTIME(?) FOR UPDATE";
static const char SQL_LIST[] =
	"SELECT " INVITE_COLS INVITE_FROM "WHERE i.customer_id = ? ORDER BY i.id DESC LIMIT ?";

static void
row_to_invite(db_stmt *s, arena *a, invite *v)
{
	v->id = db_col_int(s, 0, 0);
	v->customer_id = db_col_int(s, 1, 0);
	v->customer_name = db_col_dup(s, 2, a);
	v->email = db_col_dup(s, 3, a);
	v->role = db_col_dup(s, 4, a);
	v->kind = db_col_dup(s, 5, a);
	v->state = db_col_dup(s, 6, a);
	v->expires_at = db_col_time(s, 7);
	v->created_at = db_col_time(s, 8);
	v->created_by = db_col_dup(s, 9, a);
	v->sent_count = (long)db_col_int(s, 10, 0);
	v->last_sent_at = db_col_time(s, 11);
	v->delivery = db_col_dup(s, 12, a);
	v->delivery_error = db_col_dup(s, 13, a);
	v->accepted_at = db_col_time(s, 14);
	v->accepted_by = db_col_dup(s, 15, a);
	v->revoked_at = db_col_time(s, 16);
	v->revoked_by = db_col_dup(s, 17, a);
}

static or_status
one(db_stmt *s, arena *a, invite *out)
{
	bool found;
	or_status st = db_query_one(s, &found);

	memset(out, 0, sizeof(*out));
	if (st == OR_OK && found)
		row_to_invite(s, a, out);
	else if (st == OR_OK)
		st = OR_ERR_NOT_FOUND;
	db_stmt_done(s);
	return st;
}

or_status
store_invite_get(db *d, arena *a, int64_t customer_id, int64_t id, bool lock, invite *out)
{
	db_stmt *s;
	or_status st;

	if (scope_refused(__func__, customer_id))
		return OR_ERR_INTERNAL;
	if ((st = db_prepare(d, lock ? SQL_GET_LOCK : SQL_GET, &s)) != OR_OK)
		return st;
	db_bind_int(s, 0, id);
	db_bind_int(s, 1, customer_id);
	return one(s, a, out);
}

or_status
store_invite_by_token(db *d, arena *a, const char *token_hash, invite *out)
{
	db_stmt *s;
	or_status st = db_prepare(d, SQL_BY_TOKEN, &s);

	if (st != OR_OK)
		return st;
	db_bind_cstr(s, 0, token_hash);
	return one(s, a, out);
}

or_status
store_invite_pending_for(db *d, arena *a, int64_t customer_id, const char *email, int64_t now, invite *out)
{
	db_stmt *s;
	or_status st;

	if (scope_refused(__func__, customer_id))
		return OR_ERR_INTERNAL;
	if ((st = db_prepare(d, SQL_PENDING_FOR, &s)) != OR_OK)
		return st;
	db_bind_int(s, 0, customer_id);
	db_bind_cstr(s, 1, email);
	db_bind_int(s, 2, now);
	return one(s, a, out);
}

or_status
store_invite_list(db *d, arena *a, int64_t customer_id, long limit, invite **out, size_t *n)
{
	db_stmt *s;
	bool row;
	or_status st;

	*n = 0;
	if ((*out = arena_calloc(a, (size_t)limit, sizeof(invite))) == NULL)
		return OR_ERR_NOMEM;
	if ((st = db_prepare(d, SQL_LIST, &s)) != OR_OK)
		return st;
	db_bind_int(s, 0, customer_id);
	db_bind_int(s, 1, limit);
	st = db_execute(s);
	while (st == OR_OK && (st = db_fetch(s, &row)) == OR_OK && row && *n < (size_t)limit)
		row_to_invite(s, a, &(*out)[(*n)++]);
	db_stmt_done(s);
	return st;
}

static const char SQL_REVOKE[] =
	"UPDATE invites SET state = 'revoked', revoked_at = CURRENT_TIMESTAMP(6), revoked_by = ? "
	"WHERE id = ? AND state = 'pending'";
static const char SQL_ACCEPT[] =
	"UPDATE invites SET state = 'accepted', accepted_at = CURRENT_TIMESTAMP(6), accepted_user_id = ? "
	"WHERE id = ? AND state = 'pending'";

or_status
store_invite_revoke(db *d, int64_t id, const char *by)
{
	db_arg args[] = { DB_TEXT(by), DB_INT(id) };
	unsigned long long n = 0;
	or_status st = db_run(d, SQL_REVOKE, args, 2, &n);

	return st == OR_OK && n == 0 ? OR_ERR_CONFLICT : st;
}

or_status
store_invite_accept(db *d, int64_t id, int64_t user_id)
{
	db_arg args[] = { DB_INT(user_id), DB_INT(id) };
	unsigned long long n = 0;
	or_status st = db_run(d, SQL_ACCEPT, args, 2, &n);

	return st == OR_OK && n == 0 ? OR_ERR_CONFLICT : st;
}

static const char SQL_PENDING[] =
	"SELECT COUNT(*) FROM invites WHERE customer_id = ? AND state = 'pending' AND kind = 'member' "
	"AND expires_at > FROM_UNIXTIME(?)";

or_status
store_invite_pending_count(db *d, int64_t customer_id, int64_t now, long *n)
{
	db_arg args[] = { DB_INT(customer_id), DB_INT(now) };
	long long v = 0;
	or_status st = db_scalar(d, SQL_PENDING, args, 2, 0, &v);

	*n = (long)v;
	return st;
}

static const char SQL_REVOKE_SIGNUP[] =
	"UPDATE invites SET state = 'revoked', revoked_at = CURRENT_TIMESTAMP(6), revoked_by = ? "
	"WHERE customer_id = ? AND kind = 'admin_signup' AND state = 'pending'";

or_status
store_invite_revoke_signups(db *d, int64_t customer_id, const char *by)
{
	db_arg args[] = { DB_TEXT(by), DB_INT(customer_id) };

	return db_run(d, SQL_REVOKE_SIGNUP, args, 2, NULL);
}
