/*
 * Customer sessions: sign in by username or email, who am I, sign out, and
 * changing one's own password.  Every sign-in failure is the same 401 (an
 * unknown account burns a dummy Argon2id verification so timing matches), and
 * failures are throttled per account and per client address across workers.
 */
#include <ctype.h>
#include <string.h>

#include "onramp/api.h"

void api_session_create(app *a, http_request *req, http_response *resp);
void api_session_get(app *a, http_request *req, http_response *resp);
void api_session_delete(app *a, http_request *req, http_response *resp);
void api_password_change(app *a, http_request *req, http_response *resp);

static json_object *
session_body(const user *u, int64_t now, const char *csrf)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "user", output_user(u, now, false));
	json_object_object_add(o, "csrf_token", json_object_new_string(csrf));
	json_object_object_add(o, "must_change_password", json_object_new_boolean(u->must_change_password));
	return o;
}

static char *
lower_dup(arena *ar, const char *s)
{
	char *o = arena_strdup(ar, s);
	size_t i;

	for (i = 0; o && o[i]; i++)
		o[i] = (char)tolower((unsigned char)o[i]);
	return o;
}

static void
fail_signin(app *a, http_request *req, http_response *resp, const char *acct, const char *addr)
{
	auth_throttle_fail(a, req, acct, addr);
	http_error(resp, 401, "unauthenticated", "The sign-in details are not correct.");
}

/* Verify and, when the configured parameters rose, upgrade the stored hash. */
static bool
verify_and_upgrade(app *a, int64_t user_id, const char *hash, const char *pw, bool must_change)
{
	char fresh[PASSWORD_HASH_MAX];

	if (hash == NULL || !password_verify(hash, pw, strlen(pw)))
		return false;
	if (password_needs_rehash(hash, &a->pw) &&
	    password_hash(&a->pw, pw, strlen(pw), fresh) == OR_OK)
		(void)store_user_set_password(a->db, user_id, fresh, must_change);
	return true;
}

void
api_session_create(app *a, http_request *req, http_response *resp)
{
	static const char *const allowed[] = { "login", "password", NULL };
	const char *login, *pw, *hash = NULL;
	char acct[SECRET_HASH_HEX + 1], addr[SECRET_HASH_HEX + 1], csrf[SECRET_TOKEN_LEN + 1];
	user u;
	or_status st;

	if (!input_allowed(req, resp, allowed))
		return;
	login = input_string(req, resp, "login", true, IDENTITY_EMAIL_MAX);
	pw = input_secret(req, resp, "password", true, 4 * PASSWORD_MAX_CHARS);
	if (!input_ok(resp))
		return;
	login = lower_dup(req->arena, login);
	auth_throttle_key("acct", login, acct);
	auth_throttle_key("addr", req->remote_addr, addr);
	if (!auth_throttle_ok(a, req, resp, acct, addr))
		return;
	st = store_user_by_login(a->db, req->arena, login, &u, &hash);
	if (st == OR_ERR_NOT_FOUND || (st == OR_OK && hash == NULL)) {
		password_dummy_verify(&a->pw, pw, strlen(pw));
		fail_signin(a, req, resp, acct, addr);
		return;
	}
	if (st != OR_OK) {
		app_fail(a, req, resp, st, db_last_error(a->db));
		return;
	}
	if (!verify_and_upgrade(a, u.id, hash, pw, u.must_change_password) || u.deactivated_at || u.suspended) {
		fail_signin(a, req, resp, acct, addr);
		return;
	}
	(void)store_throttle_clear(a->db, acct);
	if ((st = db_begin(a->db)) == OR_OK &&
	    (st = auth_session_start(a, req, resp, REALM_CUSTOMER, u.id, csrf)) == OR_OK &&
	    (st = seats_note_sign_in(a, req, &u)) == OR_OK &&
	    (st = store_user_touch(a->db, u.id, api_now(req))) == OR_OK) {
		u.last_seen_at = api_now(req);
		st = api_audit_as_user(a, req, &u, "user.sign_in");
	}
	if (!api_commit(a, req, resp, st))
		return;
	http_json(resp, 200, session_body(&u, api_now(req), csrf));
}

void
api_session_get(app *a, http_request *req, http_response *resp)
{
	principal *p = api_principal(req);

	(void)a;
	http_json(resp, 200, session_body(&p->user, api_now(req), p->sess.csrf_token));
}

void
api_session_delete(app *a, http_request *req, http_response *resp)
{
	or_status st = auth_session_end(a, req, resp, REALM_CUSTOMER);

	if (st != OR_OK) {
		app_fail(a, req, resp, st, db_last_error(a->db));
		return;
	}
	resp->status = 204;
}

/*
 * Changing one's password ends every other session and rotates this one:
 * anyone holding an old cookie is signed out.
 */
void
api_password_change(app *a, http_request *req, http_response *resp)
{
	principal *p = api_principal(req);
	const char *next, *hash = NULL;
	char phc[PASSWORD_HASH_MAX], csrf[SECRET_TOKEN_LEN + 1];
	user fresh;
	or_status st = store_user_by_login(a->db, req->arena, p->user.username, &fresh, &hash);

	if (st != OR_OK) {
		app_fail(a, req, resp, st, db_last_error(a->db));
		return;
	}
	if (!input_password_change(req, resp, hash, p->user.username, p->user.email, &next))
		return;
	if ((st = password_hash(&a->pw, next, strlen(next), phc)) == OR_OK && (st = db_begin(a->db)) == OR_OK &&
	    (st = store_user_set_password(a->db, p->user.id, phc, false)) == OR_OK &&
	    (st = store_session_delete_all(a->db, REALM_CUSTOMER, p->user.id)) == OR_OK &&
	    (st = store_reset_revoke_user(a->db, p->user.id, api_now(req))) == OR_OK &&
	    (st = auth_session_start(a, req, resp, REALM_CUSTOMER, p->user.id, csrf)) == OR_OK)
		st = api_audit(a, req, "user.password_change", p->user.customer_id, "user", p->user.id, NULL, NULL);
	if (!api_commit(a, req, resp, st))
		return;
	p->user.must_change_password = false;
	http_json(resp, 200, session_body(&p->user, api_now(req), csrf));
}
