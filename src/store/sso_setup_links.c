/*
 * IT-admin setup links (include/onramp/sso_setup_store.h).  Whether a link
 * may be used is decided inside the statement that uses it: redeeming is one
 * conditional UPDATE (not revoked, not expired, under the session limit), and
 * a setup-link session is found together with its link, so nothing is
 * checked in one statement and relied on in another.
 */
#include <string.h>

#include "onramp/sso_setup_store.h"
#include "scope.h"
#include "session_row.h"

static const char SQL_INSERT[] =
	"INSERT INTO sso_setup_links (customer_id, email, token_hash, created_by, created_at, expires_at) "
	"VALUES (?, ?, ?, ?, FROM_UNIXTIME(?), FROM_UNIXTIME(?))";

or_status
store_sso_setup_link_insert(db *d, const sso_setup_link_new *in, int64_t *id)
{
	db_stmt *s;
	or_status st;

	if (scope_refused(__func__, in->customer_id))
		return OR_ERR_INTERNAL;
	if ((st = db_prepare(d, SQL_INSERT, &s)) != OR_OK)
		return st;
	db_bind_int(s, 0, in->customer_id);
	db_bind_cstr(s, 1, in->email);
	db_bind_cstr(s, 2, in->token_hash);
	if (in->created_by)
		db_bind_int(s, 3, in->created_by);
	else
		db_bind_null(s, 3);
	db_bind_int(s, 4, in->now);
	db_bind_int(s, 5, in->expires_at);
	if ((st = db_execute(s)) == OR_OK)
		*id = (int64_t)db_insert_id(s);
	db_stmt_done(s);
	return st;
}

static const char SQL_SINCE[] =
	"SELECT COUNT(*), COALESCE(FLOOR(UNIX_TIMESTAMP(MIN(created_at))), 0) FROM sso_setup_links "
	"WHERE customer_id = ? AND created_at > FROM_UNIXTIME(?)";

or_status
store_sso_setup_links_since(db *d, int64_t customer_id, int64_t since, long *n, int64_t *oldest)
{
	db_stmt *s;
	bool found;
	or_status st;

	*n = 0;
	*oldest = 0;
	if (scope_refused(__func__, customer_id))
		return OR_ERR_INTERNAL;
	if ((st = db_prepare(d, SQL_SINCE, &s)) != OR_OK)
		return st;
	db_bind_int(s, 0, customer_id);
	db_bind_int(s, 1, since);
	if ((st = db_query_one(s, &found)) == OR_OK && found) {
		*n = (long)db_col_int(s, 0, 0);
		*oldest = db_col_int(s, 1, 0);
	}
	db_stmt_done(s);
	return st;
}

#define LINK_COLS \
	"l.id, l.customer_id, l.email, cu.username, l.created_at, l.expires_at, l.revoked_at, ru.username, " \
	"l.sessions_started, l.last_used_at"
#define LINK_FROM \
	" FROM sso_setup_links l LEFT JOIN users cu ON cu.id = l.created_by LEFT JOIN users ru ON ru.id = l.revoked_by "

/* Columns from `first` on, in LINK_COLS order. */
static void
read_link(db_stmt *s, unsigned first, arena *a, sso_setup_link *l)
{
	memset(l, 0, sizeof(*l));
	l->id = db_col_int(s, first, 0);
	l->customer_id = db_col_int(s, first + 1, 0);
	l->email = db_col_dup(s, first + 2, a);
	l->created_by = db_col_dup(s, first + 3, a);
	l->created_at = db_col_time(s, first + 4);
	l->expires_at = db_col_time(s, first + 5);
	l->revoked_at = db_col_time(s, first + 6);
	l->revoked_by = db_col_dup(s, first + 7, a);
	l->sessions_started = (long)db_col_int(s, first + 8, 0);
	l->last_used_at = db_col_time(s, first + 9);
}

static const char SQL_GET[] = "SELECT " LINK_COLS LINK_FROM "WHERE l.customer_id = ? AND l.id = ?";

or_status
store_sso_setup_link_get(db *d, arena *a, int64_t customer_id, int64_t id, sso_setup_link *out)
{
	db_stmt *s;
	bool found;
	or_status st;

	if (scope_refused(__func__, customer_id))
		return OR_ERR_INTERNAL;
	if ((st = db_prepare(d, SQL_GET, &s)) != OR_OK)
		return st;
	db_bind_int(s, 0, customer_id);
	db_bind_int(s, 1, id);
	st = db_query_one(s, &found);
	if (st == OR_OK && !found)
		st = OR_ERR_NOT_FOUND;
	if (st == OR_OK)
		read_link(s, 0, a, out);
	db_stmt_done(s);
	return st;
}

static const char SQL_LIST[] = "SELECT " LINK_COLS LINK_FROM "WHERE l.customer_id = ? ORDER BY l.id DESC LIMIT ?";

or_status
store_sso_setup_link_list(db *d, arena *a, int64_t customer_id, long max, sso_setup_link **out, size_t *n)
{
	db_stmt *s;
	bool row;
	or_status st;

	*n = 0;
	if (scope_refused(__func__, customer_id))
		return OR_ERR_INTERNAL;
	if ((*out = arena_calloc(a, (size_t)max + 1, sizeof(**out))) == NULL)
		return OR_ERR_NOMEM;
	if ((st = db_prepare(d, SQL_LIST, &s)) != OR_OK)
		return st;
	db_bind_int(s, 0, customer_id);
	db_bind_int(s, 1, max);
	st = db_execute(s);
	while (st == OR_OK && (st = db_fetch(s, &row)) == OR_OK && row && *n < (size_t)max)
		read_link(s, 0, a, &(*out)[(*n)++]);
	db_stmt_done(s);
	return st;
}

static const char SQL_REVOKE[] =
	"UPDATE sso_setup_links SET revoked_at = FROM_UNIXTIME(?), revoked_by = ? "
	"WHERE customer_id = ? AND id = ? AND revoked_at IS NULL";
static const char SQL_EXISTS[] = "SELECT COUNT(*) FROM sso_setup_links WHERE customer_id = ? AND id = ?";

or_status
store_sso_setup_link_revoke(db *d, int64_t customer_id, int64_t id, int64_t by, int64_t now)
{
	db_arg args[] = { DB_INT(now), by ? DB_INT(by) : DB_TEXT(NULL), DB_INT(customer_id), DB_INT(id) };
	db_arg which[] = { DB_INT(customer_id), DB_INT(id) };
	unsigned long long n = 0;
	long long exists = 0;
	or_status st;

	if (scope_refused(__func__, customer_id))
		return OR_ERR_INTERNAL;
	if ((st = db_run(d, SQL_REVOKE, args, 4, &n)) != OR_OK || n == 1)
		return st;
	if ((st = db_scalar(d, SQL_EXISTS, which, 2, 0, &exists)) != OR_OK)
		return st;
	return exists ? OR_ERR_CONFLICT : OR_ERR_NOT_FOUND;
}

/* The one place a link's usability is counted: revocation, expiry and the session limit together. */
static const char SQL_REDEEM[] =
	"UPDATE sso_setup_links SET sessions_started = sessions_started + 1, last_used_at = FROM_UNIXTIME(?) "
	"WHERE token_hash = ? AND revoked_at IS NULL AND expires_at > FROM_UNIXTIME(?) AND sessions_started < ?";
static const char SQL_BY_TOKEN[] = "SELECT " LINK_COLS LINK_FROM "WHERE l.token_hash = ?";

or_status
store_sso_setup_link_redeem(db *d, arena *a, const char *token_hash, int64_t now, long max_sessions,
			    sso_setup_link *out)
{
	db_arg args[] = { DB_INT(now), DB_TEXT(token_hash), DB_INT(now), DB_INT(max_sessions) };
	unsigned long long n = 0;
	db_stmt *s;
	bool found;
	or_status st = db_run(d, SQL_REDEEM, args, 4, &n);

	if (st != OR_OK)
		return st;
	if (n != 1)
		return OR_ERR_NOT_FOUND;
	if ((st = db_prepare(d, SQL_BY_TOKEN, &s)) != OR_OK)
		return st;
	db_bind_cstr(s, 0, token_hash);
	st = db_query_one(s, &found);
	if (st == OR_OK && !found)
		st = OR_ERR_NOT_FOUND;
	if (st == OR_OK)
		read_link(s, 0, a, out);
	db_stmt_done(s);
	return st;
}

static const char SQL_SESSION[] =
	"SELECT " SESSION_COLS ", " LINK_COLS " FROM sessions s "
	"JOIN sso_setup_links l ON l.id = s.principal_id "
	"LEFT JOIN users cu ON cu.id = l.created_by LEFT JOIN users ru ON ru.id = l.revoked_by "
	"WHERE " SESSION_LIVE " AND l.revoked_at IS NULL AND l.expires_at > FROM_UNIXTIME(?)";

or_status
store_sso_setup_session_find(db *d, arena *a, const char *id_hash, int64_t now, int64_t idle_s, session *sess,
			     sso_setup_link *link)
{
	db_stmt *s;
	bool found;
	or_status st = db_prepare(d, SQL_SESSION, &s);

	if (st != OR_OK)
		return st;
	store_session_bind_live(s, 0, REALM_SSO_SETUP, id_hash, now, idle_s);
	db_bind_time(s, 4, now);
	st = db_query_one(s, &found);
	if (st == OR_OK && !found)
		st = OR_ERR_NOT_FOUND;
	if (st == OR_OK) {
		store_session_read(s, 0, REALM_SSO_SETUP, id_hash, sess);
		read_link(s, SESSION_NCOLS, a, link);
	}
	db_stmt_done(s);
	return st;
}
