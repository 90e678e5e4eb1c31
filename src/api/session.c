/*
 * Customer sessions: sign in by username or email, who am I, sign out, and
 * changing one's own password.  The flow and its throttles are shared with
 * the operator realm (src/api/signin.c); this file says what a customer is:
 * how one is found, what a sign-in records, and what the answer shows.
 */
#include <string.h>

#include "onramp/signin.h"
#include "onramp/sso_store.h"
#include "handlers.h"

static json_object *
session_body(const principal *p, int64_t now, const char *csrf)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "user", output_user(&p->user, now, false));
	json_object_object_add(o, "csrf_token", json_object_new_string(csrf));
	json_object_object_add(o, "must_change_password", json_object_new_boolean(p->user.must_change_password));
	/* A sign-in's own answer has no session row loaded yet: POST /session is a password sign-in. */
	json_object_object_add(o, "login_type", json_object_new_string(p->sess.login_type[0] ? p->sess.login_type : "password"));
	return o;
}

static or_status
lookup(db *d, arena *ar, const char *login, signin_account *out)
{
	or_status st = store_user_by_login(d, ar, login, &out->p.user, &out->hash);

	out->p.realm = REALM_CUSTOMER;
	out->id = out->p.user.id;
	out->customer_id = out->p.user.customer_id;
	out->state = auth_account_state(REALM_CUSTOMER, &out->p);
	return st;
}

/* Signing in makes a dormant user active (audited when that takes the customer over its seats). */
static or_status
signed_in(app *a, http_request *req, signin_account *acc)
{
	or_status st = seats_note_sign_in(a, req, &acc->p.user);

	if (st == OR_OK)
		st = store_user_touch(a->db, acc->id, api_now(req));
	if (st == OR_OK)
		acc->p.user.last_seen_at = api_now(req);
	return st;
}

/* A reset link mailed before the change must not undo it. */
static or_status
password_changed(app *a, http_request *req, int64_t id)
{
	return store_reset_revoke_user(a->db, id, api_now(req));
}

/*
 * Require SSO: while the customer's SSO is live and required, members sign in
 * through the IdP only; customer admins keep their password (break-glass).
 */
static bool
refused(app *a, http_request *req, http_response *resp, const signin_account *acc)
{
	bool required = false;
	or_status st;

	if (acc->p.user.role == ROLE_CUSTOMER_ADMIN)
		return false;
	if ((st = store_sso_required(a->db, acc->customer_id, &required)) != OR_OK) {
		api_fail_db(a, req, resp, st);
		return true;
	}
	if (required)
		http_error(resp, 403, "sso_required",
			   "Your company signs in with single sign-on: use 'Sign in with single sign-on'.");
	return required;
}

static const char *const fields[] = { "login", "password", NULL };

static const signin_realm customer_realm = {
	.realm = REALM_CUSTOMER,
	.name = "customer",
	.login_field = "login",
	.fields = fields,
	.object_type = "user",
	.action_sign_in = "user.sign_in",
	.action_password_change = "user.password_change",
	.lookup = lookup,
	.set_password = store_user_set_password,
	.signed_in = signed_in,
	.password_changed = password_changed,
	.take_totp_step = NULL,
	.refused = refused,
	.body = session_body,
};

void
api_session_create(app *a, http_request *req, http_response *resp)
{
	signin_create(&customer_realm, a, req, resp);
}

void
api_session_get(app *a, http_request *req, http_response *resp)
{
	signin_session_get(&customer_realm, a, req, resp);
}

void
api_session_delete(app *a, http_request *req, http_response *resp)
{
	signin_session_delete(&customer_realm, a, req, resp);
}

/*
 * Changing one's password ends every other session and rotates this one:
 * anyone holding an old cookie is signed out.
 */
void
api_password_change(app *a, http_request *req, http_response *resp)
{
	signin_password_change(&customer_realm, a, req, resp);
}
