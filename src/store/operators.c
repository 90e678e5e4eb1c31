/*
 * The vendor's operators: a realm of their own, with TOTP secrets sealed
 * under the deployment key (the store only ever sees the sealed text).
 */
#include <string.h>

#include "onramp/store_operator.h"
#include "session_row.h"

/* Qualified (operators o), so a join with sessions reads the same columns. */
#define OP_COLS "o.id, o.username, o.email, o.display_name, o.role, o.totp_secret IS NOT NULL, " \
		"o.must_change_password, o.last_seen_at, o.created_at, o.deactivated_at"
#define OP_NCOLS 10

static void
row_to_operator(db_stmt *s, arena *a, operator_account *o)
{
	char *role;

	memset(o, 0, sizeof(*o));
	o->id = db_col_int(s, 0, 0);
	o->username = db_col_dup(s, 1, a);
	o->email = db_col_dup(s, 2, a);
	o->display_name = db_col_dup(s, 3, a);
	role = db_col_dup(s, 4, a);
	if (role == NULL || identity_operator_role_parse(role, &o->role) != OR_OK)
		o->role = OPROLE_AUDITOR;
	o->totp_enabled = db_col_int(s, 5, 0) != 0;
	o->must_change_password = db_col_int(s, 6, 0) != 0;
	o->last_seen_at = db_col_time(s, 7);
	o->created_at = db_col_time(s, 8);
	o->deactivated_at = db_col_time(s, 9);
}

static const char SQL_INSERT[] =
	"INSERT INTO operators (username, email, display_name, role, password_hash, must_change_password) "
	"VALUES (?, ?, ?, ?, ?, ?)";

or_status
store_operator_insert(db *d, const char *username, const char *email, const char *display_name,
		      operator_role role, const char *phc, bool must_change, int64_t *id, const char **which)
{
	db_stmt *s;
	or_status st = db_prepare(d, SQL_INSERT, &s);

	*which = NULL;
	if (st != OR_OK)
		return st;
	db_bind_cstr(s, 0, username);
	db_bind_cstr(s, 1, email);
	db_bind_cstr(s, 2, display_name);
	db_bind_cstr(s, 3, identity_operator_role_name(role));
	db_bind_cstr(s, 4, phc);
	db_bind_int(s, 5, must_change);
	st = db_execute(s);
	if (st == OR_OK)
		*id = (int64_t)db_insert_id(s);
	else if (st == OR_ERR_CONFLICT)
		*which = strstr(db_last_error(d), "operators_email") ? "email" : "username";
	db_stmt_done(s);
	return st;
}

static const char SQL_GET[] = "SELECT " OP_COLS " FROM operators o WHERE id = ?";

or_status
store_operator_get(db *d, arena *a, int64_t id, operator_account *out)
{
	db_stmt *s;
	bool found;
	or_status st = db_prepare(d, SQL_GET, &s);

	if (st != OR_OK)
		return st;
	db_bind_int(s, 0, id);
	st = db_query_one(s, &found);
	if (st == OR_OK && !found)
		st = OR_ERR_NOT_FOUND;
	if (st == OR_OK)
		row_to_operator(s, a, out);
	db_stmt_done(s);
	return st;
}

/* The auth step's one round trip: the live session and its operator (the columns of store_operator_get). */
static const char SQL_BY_SESSION[] =
	"SELECT " OP_COLS ", " SESSION_COLS " FROM operators o JOIN sessions s ON s.principal_id = o.id WHERE " SESSION_LIVE;

or_status
store_operator_by_session(db *d, arena *a, const char *id_hash, int64_t now, int64_t idle_s, session *sess,
			  operator_account *out)
{
	db_stmt *s;
	bool found;
	or_status st = db_prepare(d, SQL_BY_SESSION, &s);

	if (st != OR_OK)
		return st;
	store_session_bind_live(s, 0, REALM_OPERATOR, id_hash, now, idle_s);
	st = db_query_one(s, &found);
	if (st == OR_OK && !found)
		st = OR_ERR_NOT_FOUND;
	if (st == OR_OK) {
		row_to_operator(s, a, out);
		store_session_read(s, OP_NCOLS, REALM_OPERATOR, id_hash, sess);
	}
	db_stmt_done(s);
	return st;
}

static const char SQL_BY_LOGIN[] =
	"SELECT " OP_COLS ", password_hash, totp_secret, totp_last_step FROM operators o "
	"WHERE username = ? OR email = ? LIMIT 1";

or_status
store_operator_by_login(db *d, arena *a, const char *login, operator_account *out, const char **hash,
			const char **totp_sealed, int64_t *totp_last_step)
{
	db_stmt *s;
	bool found;
	or_status st = db_prepare(d, SQL_BY_LOGIN, &s);

	if (st != OR_OK)
		return st;
	db_bind_cstr(s, 0, login);
	db_bind_cstr(s, 1, login);
	st = db_query_one(s, &found);
	if (st == OR_OK && !found)
		st = OR_ERR_NOT_FOUND;
	if (st == OR_OK) {
		row_to_operator(s, a, out);
		*hash = db_col_dup(s, 10, a);
		*totp_sealed = db_col_dup(s, 11, a);
		*totp_last_step = db_col_int(s, 12, 0);
	}
	db_stmt_done(s);
	return st;
}

static const char SQL_LIST[] =
	"SELECT " OP_COLS " FROM operators o ORDER BY deactivated_at IS NOT NULL, username LIMIT 1000";

or_status
store_operator_list(db *d, arena *a, operator_account **out, size_t *n)
{
	db_stmt *s;
	bool row;
	size_t cap = 64;
	or_status st = db_prepare(d, SQL_LIST, &s);

	*n = 0;
	if (st != OR_OK)
		return st;
	*out = arena_calloc(a, cap, sizeof(operator_account));
	st = *out ? db_execute(s) : OR_ERR_NOMEM;
	while (st == OR_OK && (st = db_fetch(s, &row)) == OR_OK && row) {
		if (*n == cap) {
			operator_account *more = arena_calloc(a, cap * 2, sizeof(operator_account));
			if (more == NULL) {
				st = OR_ERR_NOMEM;
				break;
			}
			memcpy(more, *out, cap * sizeof(operator_account));
			*out = more;
			cap *= 2;
		}
		row_to_operator(s, a, &(*out)[(*n)++]);
	}
	db_stmt_done(s);
	return st;
}

static const char SQL_DEACTIVATE[] =
	"UPDATE operators SET deactivated_at = CURRENT_TIMESTAMP(6), updated_at = CURRENT_TIMESTAMP(6) "
	"WHERE id = ? AND deactivated_at IS NULL";

or_status
store_operator_deactivate(db *d, int64_t id)
{
	db_arg args[] = { DB_INT(id) };
	unsigned long long n = 0;
	or_status st = db_run(d, SQL_DEACTIVATE, args, 1, &n);

	return st == OR_OK && n == 0 ? OR_ERR_NOT_FOUND : st;
}

static const char SQL_SET_PENDING[] = "UPDATE operators SET totp_pending = ? WHERE id = ?";

or_status
store_operator_set_totp_pending(db *d, int64_t id, const char *sealed)
{
	db_arg args[] = { DB_TEXT(sealed), DB_INT(id) };

	return db_run(d, SQL_SET_PENDING, args, 2, NULL);
}

static const char SQL_GET_PENDING[] = "SELECT totp_pending FROM operators WHERE id = ?";

or_status
store_operator_totp_pending(db *d, arena *a, int64_t id, const char **sealed)
{
	db_stmt *s;
	bool found;
	or_status st = db_prepare(d, SQL_GET_PENDING, &s);

	*sealed = NULL;
	if (st != OR_OK)
		return st;
	db_bind_int(s, 0, id);
	st = db_query_one(s, &found);
	if (st == OR_OK && found)
		*sealed = db_col_dup(s, 0, a);
	db_stmt_done(s);
	return st;
}

static const char SQL_SET_TOTP[] =
	"UPDATE operators SET totp_secret = ?, totp_pending = NULL, totp_last_step = ?, "
	"updated_at = CURRENT_TIMESTAMP(6) WHERE id = ?";

or_status
store_operator_set_totp(db *d, int64_t id, const char *sealed, int64_t last_step)
{
	db_arg args[] = { DB_TEXT(sealed), DB_INT(last_step), DB_INT(id) };

	return db_run(d, SQL_SET_TOTP, args, 3, NULL);
}

/* Compare-and-set: of two sign-ins racing with one code, only one moves the step. */
static const char SQL_TAKE_STEP[] =
	"UPDATE operators SET totp_last_step = ? WHERE id = ? AND totp_last_step < ?";

or_status
store_operator_take_totp_step(db *d, int64_t id, int64_t step)
{
	db_arg args[] = { DB_INT(step), DB_INT(id), DB_INT(step) };
	unsigned long long n = 0;
	or_status st = db_run(d, SQL_TAKE_STEP, args, 3, &n);

	return st == OR_OK && n == 0 ? OR_ERR_CONFLICT : st;
}

static const char SQL_SET_PASSWORD[] =
	"UPDATE operators SET password_hash = ?, must_change_password = ?, updated_at = CURRENT_TIMESTAMP(6) "
	"WHERE id = ?";

or_status
store_operator_set_password(db *d, int64_t id, const char *phc, bool must_change)
{
	db_arg args[] = { DB_TEXT(phc), DB_INT(must_change), DB_INT(id) };

	return db_run(d, SQL_SET_PASSWORD, args, 3, NULL);
}

static const char SQL_TOUCH[] = "UPDATE operators SET last_seen_at = FROM_UNIXTIME(?) WHERE id = ?";

or_status
store_operator_touch(db *d, int64_t id, int64_t now)
{
	db_arg args[] = { DB_INT(now), DB_INT(id) };

	return db_run(d, SQL_TOUCH, args, 2, NULL);
}
