/*
 * Sessions of both realms, sign-in throttling and password reset tokens:
 * everything keyed by the SHA-256 of a secret the client holds.  Rows never
 * contain the secret itself.
 */
#include <string.h>

#include "session_row.h"

static const char *
realm_name(session_realm r)
{
	return r == REALM_OPERATOR ? "operator" : r == REALM_SSO_SETUP ? "sso_setup" : "customer";
}

static const char SQL_CREATE[] =
	"INSERT INTO sessions (id_hash, realm, principal_id, csrf_token, created_at, last_used_at, "
	"expires_at, client_addr, login_type) VALUES (?, ?, ?, ?, FROM_UNIXTIME(?), FROM_UNIXTIME(?), FROM_UNIXTIME(?), ?, ?)";

or_status
store_session_create(db *d, session_realm realm, int64_t principal_id, const char *id_hash,
		     const char *csrf, const char *login_type, int64_t now, int64_t expires_at,
		     const char *client_addr)
{
	db_stmt *s;
	or_status st = db_prepare(d, SQL_CREATE, &s);

	if (st != OR_OK)
		return st;
	db_bind_cstr(s, 0, id_hash);
	db_bind_cstr(s, 1, realm_name(realm));
	db_bind_int(s, 2, principal_id);
	db_bind_cstr(s, 3, csrf);
	db_bind_time(s, 4, now);
	db_bind_time(s, 5, now);
	db_bind_time(s, 6, expires_at);
	db_bind_text(s, 7, client_addr, strnlen(client_addr, 45));
	db_bind_cstr(s, 8, login_type);
	st = db_execute(s);
	db_stmt_done(s);
	return st;
}

void
store_session_bind_live(db_stmt *s, unsigned first, session_realm realm, const char *id_hash, int64_t now,
			int64_t idle_s)
{
	db_bind_cstr(s, first, id_hash);
	db_bind_cstr(s, first + 1, realm_name(realm));
	db_bind_time(s, first + 2, now);
	db_bind_time(s, first + 3, now - idle_s);
}

/* Copy a text column into a fixed field; left empty when NULL or too long. */
static void
col_copy(db_stmt *s, unsigned col, char *dst, size_t cap)
{
	or_str v = db_col(s, col);

	if (v.ptr && v.len < cap) {
		memcpy(dst, v.ptr, v.len);
		dst[v.len] = '\0';
	}
}

void
store_session_read(db_stmt *s, unsigned col, session_realm realm, const char *id_hash, session *out)
{
	memset(out, 0, sizeof(*out));
	out->realm = realm;
	out->principal_id = db_col_int(s, col, 0);
	str_copy(out->id_hash, sizeof(out->id_hash), id_hash);
	col_copy(s, col + 1, out->csrf_token, sizeof(out->csrf_token));
	out->last_used_at = db_col_time(s, col + 2);
	out->expires_at = db_col_time(s, col + 3);
	col_copy(s, col + 4, out->login_type, sizeof(out->login_type));
	col_copy(s, col + 5, out->ended_reason, sizeof(out->ended_reason));
}

static const char SQL_TOUCH[] = "UPDATE sessions SET last_used_at = FROM_UNIXTIME(?) WHERE id_hash = ?";

or_status
store_session_touch(db *d, const char *id_hash, int64_t now)
{
	db_arg args[] = { DB_INT(now), DB_TEXT(id_hash) };

	return db_run(d, SQL_TOUCH, args, 2, NULL);
}

static const char SQL_DELETE[] = "DELETE FROM sessions WHERE id_hash = ?";

or_status
store_session_delete(db *d, const char *id_hash)
{
	db_arg args[] = { DB_TEXT(id_hash) };

	return db_run(d, SQL_DELETE, args, 1, NULL);
}

static const char SQL_DELETE_ALL[] = "DELETE FROM sessions WHERE realm = ? AND principal_id = ?";

or_status
store_session_delete_all(db *d, session_realm realm, int64_t principal_id)
{
	db_arg args[] = { DB_TEXT(realm_name(realm)), DB_INT(principal_id) };

	return db_run(d, SQL_DELETE_ALL, args, 2, NULL);
}

static const char SQL_END_ALL[] =
	"UPDATE sessions SET ended_reason = ? WHERE realm = ? AND principal_id = ? AND ended_reason IS NULL";

/*
 * Kept, not deleted: the auth step finds the row and answers why the session
 * ended.  An ended row never authenticates again; the sweep deletes it.
 */
or_status
store_session_end_all(db *d, session_realm realm, int64_t principal_id, const char *reason)
{
	db_arg args[] = { DB_TEXT(reason), DB_TEXT(realm_name(realm)), DB_INT(principal_id) };

	return db_run(d, SQL_END_ALL, args, 3, NULL);
}

static const char SQL_DELETE_OTHERS[] =
	"DELETE FROM sessions WHERE realm = ? AND principal_id = ? AND csrf_token <> ?";

/*
 * After the new session's INSERT, not before: a DELETE over the principal's
 * range first would gap-lock the index range the INSERT then goes into, and
 * two principals next to each other in the index deadlocked.
 */
or_status
store_session_delete_others(db *d, session_realm realm, int64_t principal_id, const char *keep_csrf)
{
	db_arg args[] = { DB_TEXT(realm_name(realm)), DB_INT(principal_id), DB_TEXT(keep_csrf) };

	return db_run(d, SQL_DELETE_OTHERS, args, 3, NULL);
}

static const char SQL_SWEEP_SESSIONS[] =
	"DELETE FROM sessions WHERE expires_at < FROM_UNIXTIME(?) OR last_used_at < FROM_UNIXTIME(?)";
static const char SQL_SWEEP_THROTTLE[] =
	"DELETE FROM login_throttle WHERE window_start < FROM_UNIXTIME(?) "
	"AND (locked_until IS NULL OR locked_until < FROM_UNIXTIME(?))";
static const char SQL_SWEEP_RESETS[] = "DELETE FROM password_resets WHERE expires_at < FROM_UNIXTIME(?)";

or_status
store_session_sweep(db *d, int64_t now, int64_t idle_s, int64_t window_s)
{
	db_arg sess[] = { DB_INT(now), DB_INT(now - idle_s) };
	db_arg thr[] = { DB_INT(now - window_s), DB_INT(now) };
	db_arg rst[] = { DB_INT(now - 86400) };
	or_status st = db_run(d, SQL_SWEEP_SESSIONS, sess, 2, NULL);

	if (st == OR_OK)
		st = db_run(d, SQL_SWEEP_THROTTLE, thr, 2, NULL);
	if (st == OR_OK)
		st = db_run(d, SQL_SWEEP_RESETS, rst, 1, NULL);
	return st;
}

/* ---- throttling ----------------------------------------------------------------- */

static const char SQL_THROTTLE_GET[] =
	"SELECT COALESCE(FLOOR(UNIX_TIMESTAMP(locked_until)), 0) FROM login_throttle WHERE throttle_key = ?";

or_status
store_throttle_check(db *d, const char *key, int64_t now, int64_t *locked_until)
{
	db_arg args[] = { DB_TEXT(key) };
	long long until;
	or_status st = db_scalar(d, SQL_THROTTLE_GET, args, 1, 0, &until);

	*locked_until = st == OR_OK && until > now ? until : 0;
	return st;
}

/*
 * One statement does the counting atomically across workers: a failure
 * outside the current window starts a new window; reaching max failures
 * within a window locks the key for one window length from then.
 */
static const char SQL_THROTTLE_FAIL[] =
	"INSERT INTO login_throttle (throttle_key, window_start, failures, locked_until) "
	"VALUES (?, FROM_UNIXTIME(?), 1, IF(1 >= ?, FROM_UNIXTIME(? + ?), NULL)) "
	"ON DUPLICATE KEY UPDATE "
	"locked_until = IF(window_start <= FROM_UNIXTIME(? - ?), IF(1 >= ?, FROM_UNIXTIME(? + ?), NULL), "
	"  IF(failures + 1 >= ?, FROM_UNIXTIME(? + ?), locked_until)), "
	"failures = IF(window_start <= FROM_UNIXTIME(? - ?), 1, failures + 1), "
	"window_start = IF(window_start <= FROM_UNIXTIME(? - ?), FROM_UNIXTIME(?), window_start)";

or_status
store_throttle_fail(db *d, const char *key, int64_t now, int64_t window_s, long max, int64_t *locked_until)
{
	db_stmt *s;
	or_status st = db_prepare(d, SQL_THROTTLE_FAIL, &s);
	unsigned i = 0;

	if (st != OR_OK)
		return st;
	db_bind_cstr(s, i++, key);
	db_bind_time(s, i++, now);
	db_bind_int(s, i++, max);
	db_bind_int(s, i++, now);
	db_bind_int(s, i++, window_s);
	db_bind_int(s, i++, now);
	db_bind_int(s, i++, window_s);
	db_bind_int(s, i++, max);
	db_bind_int(s, i++, now);
	db_bind_int(s, i++, window_s);
	db_bind_int(s, i++, max);
	db_bind_int(s, i++, now);
	db_bind_int(s, i++, window_s);
	db_bind_int(s, i++, now);
	db_bind_int(s, i++, window_s);
	db_bind_int(s, i++, now);
	db_bind_int(s, i++, window_s);
	db_bind_time(s, i++, now);
	st = db_execute(s);
	db_stmt_done(s);
	if (st != OR_OK)
		return st;
	return store_throttle_check(d, key, now, locked_until);
}

static const char SQL_THROTTLE_CLEAR[] = "DELETE FROM login_throttle WHERE throttle_key = ?";

or_status
store_throttle_clear(db *d, const char *key)
{
	db_arg args[] = { DB_TEXT(key) };

	return db_run(d, SQL_THROTTLE_CLEAR, args, 1, NULL);
}

/* ---- password reset tokens ------------------------------------------------------------ */

static const char SQL_RESET_LOCK_USER[] = "SELECT id FROM users WHERE id = ? FOR UPDATE";
static const char SQL_RESET_RECENT[] =
	"SELECT COUNT(*) FROM password_resets WHERE user_id = ? AND created_by = ? AND created_at > FROM_UNIXTIME(?)";
static const char SQL_RESET_CREATE[] =
	"INSERT INTO password_resets (token_hash, user_id, created_at, expires_at, created_by) "
	"VALUES (?, ?, FROM_UNIXTIME(?), FROM_UNIXTIME(?), ?)";

static const char SQL_RESET_REVOKE_OTHERS[] =
	"UPDATE password_resets SET used_at = FROM_UNIXTIME(?) WHERE user_id = ? AND used_at IS NULL AND token_hash <> ?";

static or_status
reset_insert(db *d, const reset_new *r, int64_t *id)
{
	db_stmt *s;
	or_status st = db_prepare(d, SQL_RESET_CREATE, &s);

	if (st != OR_OK)
		return st;
	db_bind_cstr(s, 0, r->token_hash);
	db_bind_int(s, 1, r->user_id);
	db_bind_time(s, 2, r->now);
	db_bind_time(s, 3, r->expires_at);
	db_bind_cstr(s, 4, r->created_by);
	st = db_execute(s);
	if (st == OR_OK)
		*id = (int64_t)db_insert_id(s);
	db_stmt_done(s);
	return st;
}

/*
 * The user's reset guard is written and the user row locked first, so
 * issuers of the same user (two mailers, a mailer and an operator, on any
 * Galera node: src/store/guards.c) take turns: each sees the others' count
 * and revocation, and exactly one link, the newest, is left usable.
 */
or_status
store_reset_create(db *d, const reset_new *r, int64_t *id)
{
	db_arg lock[] = { DB_INT(r->user_id) };
	db_arg recent[] = { DB_INT(r->user_id), DB_TEXT(r->created_by), DB_INT(r->now - r->window_s) };
	db_arg others[] = { DB_INT(r->now), DB_INT(r->user_id), DB_TEXT(r->token_hash) };
	long long uid = 0, n = 0;
	or_status st = store_guard_take(d, GUARD_USER_RESETS, r->user_id);

	if (st == OR_OK)
		st = db_scalar(d, SQL_RESET_LOCK_USER, lock, 1, 0, &uid);

	if (st == OR_OK && uid == 0)
		st = OR_ERR_NOT_FOUND;
	if (st == OR_OK && r->max_recent > 0 && (st = db_scalar(d, SQL_RESET_RECENT, recent, 3, 0, &n)) == OR_OK &&
	    n >= r->max_recent)
		st = OR_ERR_LIMIT;
	/* Insert, then revoke the others: the revoke's range lock first would gap-lock where the insert goes. */
	if (st == OR_OK)
		st = reset_insert(d, r, id);
	if (st == OR_OK)
		st = db_run(d, SQL_RESET_REVOKE_OTHERS, others, 3, NULL);
	return st;
}

static const char SQL_RESET_FIND[] =
	"SELECT user_id, used_at IS NULL AND expires_at > FROM_UNIXTIME(?) FROM password_resets "
	"WHERE token_hash = ? FOR UPDATE";
static const char SQL_RESET_USE[] =
	"UPDATE password_resets SET used_at = FROM_UNIXTIME(?) WHERE token_hash = ? AND used_at IS NULL";

or_status
store_reset_consume(db *d, const char *token_hash, int64_t now, int64_t *user_id)
{
	db_stmt *s;
	bool found, usable = false;
	or_status st = db_prepare(d, SQL_RESET_FIND, &s);

	if (st != OR_OK)
		return st;
	db_bind_time(s, 0, now);
	db_bind_cstr(s, 1, token_hash);
	st = db_query_one(s, &found);
	if (st == OR_OK && !found)
		st = OR_ERR_NOT_FOUND;
	if (st == OR_OK) {
		*user_id = db_col_int(s, 0, 0);
		usable = db_col_int(s, 1, 0) == 1;
	}
	db_stmt_done(s);
	if (st != OR_OK)
		return st;
	if (!usable)
		return OR_ERR_CONFLICT;
	if ((st = db_prepare(d, SQL_RESET_USE, &s)) != OR_OK)
		return st;
	db_bind_time(s, 0, now);
	db_bind_cstr(s, 1, token_hash);
	st = db_execute(s);
	/* A concurrent use got there first: this one loses. */
	if (st == OR_OK && db_affected(s) != 1)
		st = OR_ERR_CONFLICT;
	db_stmt_done(s);
	return st;
}

static const char SQL_RESET_REVOKE[] =
	"UPDATE password_resets SET used_at = FROM_UNIXTIME(?) WHERE user_id = ? AND used_at IS NULL";

or_status
store_reset_revoke_user(db *d, int64_t user_id, int64_t now)
{
	db_arg args[] = { DB_INT(now), DB_INT(user_id) };

	return db_run(d, SQL_RESET_REVOKE, args, 2, NULL);
}
