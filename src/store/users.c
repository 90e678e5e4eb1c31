/*
 * Users of customers.  Every query that serves a customer request carries
 * the customer id in its WHERE clause and refuses 0; the operator and system
 * paths that look across customers call the separately named *_any reads.
 */
#include <stdio.h>
#include <string.h>

#include "onramp/filter_sql.h"
#include "onramp/store_operator.h"
#include "scope.h"
#include "session_row.h"

#define USER_COLS \
	"u.id, u.customer_id, c.slug, u.username, u.email, u.display_name, u.role, u.status, " \
	"u.login_type, u.must_change_password, u.password_hash IS NOT NULL, u.last_seen_at, " \
	"u.created_at, u.updated_at, u.deactivated_at, u.version"
#define USER_FROM " FROM users u JOIN customers c ON c.id = u.customer_id "
/*
 * A listing with filter words leaves the status and role indexes out of the
 * plan.  They give id order, so for a rare word MariaDB read them in that
 * order hoping to meet the word's users early: `u0999 status:active` read
 * 869,521 index entries over 1,000,000 users (6.4 s on a loaded machine).
 * Without them the words' own index ranges (index_merge) serve a rare word
 * and the id order (PRIMARY, users_customer) a common one (docs/performance.md).
 */
#define USER_FROM_WORDS " FROM users u IGNORE INDEX (users_status_seen, users_role_status) " \
	"JOIN customers c ON c.id = u.customer_id "
#define USER_NCOLS 16

/* Map the USER_COLS columns of the current row (starting at col 0) into u. */
static void
row_to_user(db_stmt *s, arena *a, user *u)
{
	or_str role = db_col(s, 6), status = db_col(s, 7);

	memset(u, 0, sizeof(*u));
	u->id = db_col_int(s, 0, 0);
	u->customer_id = db_col_int(s, 1, 0);
	u->customer_slug = db_col_dup(s, 2, a);
	u->username = db_col_dup(s, 3, a);
	u->email = db_col_dup(s, 4, a);
	u->display_name = db_col_dup(s, 5, a);
	u->role = str_eq_c(role, "customer_admin") ? ROLE_CUSTOMER_ADMIN : ROLE_CUSTOMER_MEMBER;
	u->suspended = str_eq_c(status, "suspended");
	u->login_type = db_col_dup(s, 8, a);
	u->must_change_password = db_col_int(s, 9, 0) != 0;
	u->has_password = db_col_int(s, 10, 0) != 0;
	u->last_seen_at = db_col_time(s, 11);
	u->created_at = db_col_time(s, 12);
	u->updated_at = db_col_time(s, 13);
	u->deactivated_at = db_col_time(s, 14);
	u->version = db_col_int(s, 15, 0);
}

static or_status
one_user(db_stmt *s, arena *a, user *out)
{
	bool found;
	or_status st = db_query_one(s, &found);

	if (st == OR_OK && !found)
		st = OR_ERR_NOT_FOUND;
	if (st == OR_OK)
		row_to_user(s, a, out);
	db_stmt_done(s);
	return st;
}

static const char SQL_INSERT[] =
	"INSERT INTO users (customer_id, username, email, display_name, role, password_hash, "
	"must_change_password, login_type) VALUES (?, ?, ?, ?, ?, ?, ?, COALESCE(?, 'password'))";

or_status
store_user_insert(db *d, const user_new *u, int64_t *id, const char **which)
{
	db_stmt *s;
	or_status st = db_prepare(d, SQL_INSERT, &s);

	*which = NULL;
	if (st != OR_OK)
		return st;
	db_bind_int(s, 0, u->customer_id);
	db_bind_cstr(s, 1, u->username);
	db_bind_cstr(s, 2, u->email);
	db_bind_cstr(s, 3, u->display_name);
	db_bind_cstr(s, 4, identity_role_name(u->role));
	db_bind_cstr(s, 5, u->password_hash);
	db_bind_int(s, 6, u->must_change_password);
	db_bind_cstr(s, 7, u->login_type);
	st = db_execute(s);
	if (st == OR_OK)
		*id = (int64_t)db_insert_id(s);
	else if (st == OR_ERR_CONFLICT)
		*which = strstr(db_last_error(d), "users_email") ? "email" : "username";
	db_stmt_done(s);
	return st;
}

static const char SQL_GET[] = "SELECT " USER_COLS USER_FROM "WHERE u.id = ? AND u.customer_id = ?";
static const char SQL_GET_ANY[] = "SELECT " USER_COLS USER_FROM "WHERE u.id = ?";
static const char SQL_LOCK[] = "SELECT " USER_COLS USER_FROM "WHERE u.id = ? AND u.customer_id = ? FOR UPDATE";

static or_status
get_scoped(db *d, arena *a, const char *sql, const char *fn, int64_t customer_id, int64_t id, user *out)
{
	db_stmt *s;
	or_status st;

	if (scope_refused(fn, customer_id))
		return OR_ERR_INTERNAL;
	if ((st = db_prepare(d, sql, &s)) != OR_OK)
		return st;
	db_bind_int(s, 0, id);
	db_bind_int(s, 1, customer_id);
	return one_user(s, a, out);
}

or_status
store_user_get(db *d, arena *a, int64_t customer_id, int64_t id, user *out)
{
	return get_scoped(d, a, SQL_GET, __func__, customer_id, id, out);
}

or_status
store_user_lock(db *d, arena *a, int64_t customer_id, int64_t id, user *out)
{
	return get_scoped(d, a, SQL_LOCK, __func__, customer_id, id, out);
}

or_status
store_user_get_any(db *d, arena *a, int64_t id, user *out)
{
	db_stmt *s;
	or_status st = db_prepare(d, SQL_GET_ANY, &s);

	if (st != OR_OK)
		return st;
	db_bind_int(s, 0, id);
	return one_user(s, a, out);
}

/*
 * The auth step's one round trip: the live session and its user (the same
 * columns as store_user_get_any), and the customer's checklist facts version
 * (sql/019) for the worker's facts cache.
 */
#define FACTS_VERSION_COL (USER_NCOLS + SESSION_NCOLS)
static const char SQL_BY_SESSION[] =
	"SELECT " USER_COLS ", " SESSION_COLS ", COALESCE(f.version, 0)" USER_FROM
	"JOIN sessions s ON s.principal_id = u.id LEFT JOIN customer_facts f ON f.customer_id = u.customer_id "
	"WHERE " SESSION_LIVE;

or_status
store_user_by_session(db *d, arena *a, const char *id_hash, int64_t now, int64_t idle_s, session *sess, user *out)
{
	db_stmt *s;
	bool found;
	or_status st = db_prepare(d, SQL_BY_SESSION, &s);

	if (st != OR_OK)
		return st;
	store_session_bind_live(s, 0, REALM_CUSTOMER, id_hash, now, idle_s);
	st = db_query_one(s, &found);
	if (st == OR_OK && !found)
		st = OR_ERR_NOT_FOUND;
	if (st == OR_OK) {
		row_to_user(s, a, out);
		store_session_read(s, USER_NCOLS, REALM_CUSTOMER, id_hash, sess);
		out->facts_version = db_col_int(s, FACTS_VERSION_COL, 0);
	}
	db_stmt_done(s);
	return st;
}

static const char SQL_BY_LOGIN[] =
	"SELECT " USER_COLS ", u.password_hash" USER_FROM "WHERE u.username = ? OR u.email = ? LIMIT 1";

or_status
store_user_by_login(db *d, arena *a, const char *login, user *out, const char **hash)
{
	db_stmt *s;
	bool found;
	or_status st = db_prepare(d, SQL_BY_LOGIN, &s);

	*hash = NULL;
	if (st != OR_OK)
		return st;
	db_bind_cstr(s, 0, login);
	db_bind_cstr(s, 1, login);
	st = db_query_one(s, &found);
	if (st == OR_OK && !found)
		st = OR_ERR_NOT_FOUND;
	if (st == OR_OK) {
		row_to_user(s, a, out);
		*hash = db_col_dup(s, USER_NCOLS, a);
	}
	db_stmt_done(s);
	return st;
}

static const char SQL_BY_EMAIL[] = "SELECT " USER_COLS USER_FROM "WHERE u.email = ?";

or_status
store_user_by_email(db *d, arena *a, const char *email, user *out)
{
	db_stmt *s;
	or_status st = db_prepare(d, SQL_BY_EMAIL, &s);

	if (st != OR_OK)
		return st;
	db_bind_cstr(s, 0, email);
	return one_user(s, a, out);
}

static const char SQL_BY_NAME_OR_ID[] =
	"SELECT " USER_COLS USER_FROM "WHERE u.username = ? OR u.id = ? LIMIT 1";

or_status
store_user_by_name_or_id(db *d, arena *a, const char *key, user *out)
{
	db_stmt *s;
	long long id = 0;
	or_status st = db_prepare(d, SQL_BY_NAME_OR_ID, &s);

	if (st != OR_OK)
		return st;
	if (str_to_ll(str_from_c(key), 1, INT64_MAX, &id) != OR_OK)
		id = 0;
	db_bind_cstr(s, 0, key);
	db_bind_int(s, 1, id);
	return one_user(s, a, out);
}

/*
 * The listing's SQL is assembled from fixed fragments only: the filter
 * compiler emits placeholders, never values.  The assembled text is run
 * uncached-by-address (it varies), still as a prepared, bound statement.
 * customer_id 0 here means the caller asked for every customer by name
 * (store_user_list_any); store_user_list refuses 0 before getting here.
 */
static or_status
list_users(db *d, arena *a, int64_t customer_id, const filter *f, int64_t now, int64_t after_id,
	   long limit, user_page *out)
{
	filter_sql fs;
	or_buf sql;
	db_stmt *s = NULL;
	or_status st;
	size_t i, cap = (size_t)limit;
	unsigned p = 0;
	bool row;

	memset(out, 0, sizeof(*out));
	buf_init(&fs.where, 8192);
	buf_init(&sql, 16384);
	st = filter_sql_compile(f, now, IDENTITY_DORMANT_AFTER_S, &fs);
	if (st == OR_OK)
		st = buf_appendf(&sql, "SELECT " USER_COLS "%sWHERE %su.id > ? AND (%s) ORDER BY u.id LIMIT ?",
				 f->nwords ? USER_FROM_WORDS : USER_FROM, customer_id ? "u.customer_id = ? AND " : "",
				 fs.where.data);
	if (st == OR_OK)
		st = db_prepare_dynamic(d, sql.data, &s);
	if (st != OR_OK)
		goto out;
	if (customer_id)
		db_bind_int(s, p++, customer_id);
	db_bind_int(s, p++, after_id);
	for (i = 0; i < fs.nparams; i++, p++) {
		if (fs.params[i].type == FILTER_PARAM_INT)
			db_bind_int(s, p, fs.params[i].i);
		else
			db_bind_cstr(s, p, fs.params[i].s);
	}
	db_bind_int(s, p, limit + 1);
	out->items = arena_calloc(a, cap + 1, sizeof(user));
	if (out->items == NULL) {
		st = OR_ERR_NOMEM;
		goto out;
	}
	st = db_execute(s);
	while (st == OR_OK && (st = db_fetch(s, &row)) == OR_OK && row) {
		if (out->n == cap) {
			out->more = true;
			break;
		}
		row_to_user(s, a, &out->items[out->n++]);
	}
out:
	if (s)
		db_stmt_free(s);
	buf_free(&sql);
	buf_free(&fs.where);
	return st;
}

or_status
store_user_list(db *d, arena *a, int64_t customer_id, const filter *f, int64_t now, int64_t after_id,
		long limit, user_page *out)
{
	if (scope_refused(__func__, customer_id)) {
		memset(out, 0, sizeof(*out));
		return OR_ERR_INTERNAL;
	}
	return list_users(d, a, customer_id, f, now, after_id, limit, out);
}

or_status
store_user_list_any(db *d, arena *a, const filter *f, int64_t now, int64_t after_id, long limit, user_page *out)
{
	return list_users(d, a, 0, f, now, after_id, limit, out);
}

static const char SQL_SET_STATUS[] =
	"UPDATE users SET status = ?, updated_at = CURRENT_TIMESTAMP(6), version = version + 1 "
	"WHERE id = ? AND customer_id = ? AND deactivated_at IS NULL";
static const char SQL_SET_ROLE[] =
	"UPDATE users SET role = ?, updated_at = CURRENT_TIMESTAMP(6), version = version + 1 "
	"WHERE id = ? AND customer_id = ? AND deactivated_at IS NULL";

static or_status
update_one(db *d, const char *fn, const char *sql, const char *value, int64_t customer_id, int64_t id)
{
	db_arg args[] = { DB_TEXT(value), DB_INT(id), DB_INT(customer_id) };

	if (scope_refused(fn, customer_id))
		return OR_ERR_INTERNAL;
	return db_run(d, sql, args, 3, NULL);
}

or_status
store_user_set_suspended(db *d, int64_t customer_id, int64_t id, bool suspended)
{
	return update_one(d, __func__, SQL_SET_STATUS, suspended ? "suspended" : "active", customer_id, id);
}

or_status
store_user_set_role(db *d, int64_t customer_id, int64_t id, user_role role)
{
	return update_one(d, __func__, SQL_SET_ROLE, identity_role_name(role), customer_id, id);
}

static const char SQL_DEACTIVATE[] =
	"UPDATE users SET deactivated_at = CURRENT_TIMESTAMP(6), updated_at = CURRENT_TIMESTAMP(6), "
	"version = version + 1 WHERE id = ? AND customer_id = ? AND deactivated_at IS NULL";

or_status
store_user_deactivate(db *d, int64_t customer_id, int64_t id)
{
	db_arg args[] = { DB_INT(id), DB_INT(customer_id) };
	unsigned long long n = 0;
	or_status st;

	if (scope_refused(__func__, customer_id))
		return OR_ERR_INTERNAL;
	st = db_run(d, SQL_DEACTIVATE, args, 2, &n);
	return st == OR_OK && n == 0 ? OR_ERR_NOT_FOUND : st;
}

static const char SQL_SET_PASSWORD[] =
	"UPDATE users SET password_hash = ?, must_change_password = ?, updated_at = CURRENT_TIMESTAMP(6), "
	"version = version + 1 WHERE id = ?";

or_status
store_user_set_password(db *d, int64_t id, const char *phc, bool must_change)
{
	db_arg args[] = { DB_TEXT(phc), DB_INT(must_change), DB_INT(id) };

	return db_run(d, SQL_SET_PASSWORD, args, 3, NULL);
}

static const char SQL_TOUCH[] = "UPDATE users SET last_seen_at = FROM_UNIXTIME(?) WHERE id = ?";

or_status
store_user_touch(db *d, int64_t id, int64_t now)
{
	db_arg args[] = { DB_INT(now), DB_INT(id) };

	return db_run(d, SQL_TOUCH, args, 2, NULL);
}

static const char SQL_LOGIN_TYPE[] = "UPDATE users SET login_type = ? WHERE id = ? AND customer_id = ?";

or_status
store_user_set_login_type(db *d, int64_t customer_id, int64_t id, const char *login_type)
{
	db_arg args[] = { DB_TEXT(login_type), DB_INT(id), DB_INT(customer_id) };

	if (scope_refused(__func__, customer_id))
		return OR_ERR_INTERNAL;
	return db_run(d, SQL_LOGIN_TYPE, args, 3, NULL);
}
