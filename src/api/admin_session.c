/*
 * Operator sessions: sign in with username or email, password and, once
 * enrolled, a TOTP code; TOTP enrollment (the otpauth URI is shown once and
 * the secret is stored sealed under the deployment key); sign out; and
 * changing one's own password.
 */
#include <stdio.h>
#include <string.h>

#include "onramp/api.h"
#include "onramp/totp.h"

void api_admin_session_create(app *a, http_request *req, http_response *resp);
void api_admin_session_get(app *a, http_request *req, http_response *resp);
void api_admin_session_delete(app *a, http_request *req, http_response *resp);
void api_admin_totp_start(app *a, http_request *req, http_response *resp);
void api_admin_totp_confirm(app *a, http_request *req, http_response *resp);
void api_admin_password_change(app *a, http_request *req, http_response *resp);

static json_object *
session_body(const operator_account *op, const char *csrf)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "operator", output_operator(op));
	json_object_object_add(o, "csrf_token", json_object_new_string(csrf));
	json_object_object_add(o, "must_change_password", json_object_new_boolean(op->must_change_password));
	json_object_object_add(o, "totp_enabled", json_object_new_boolean(op->totp_enabled));
	return o;
}

static void
aad_for(int64_t id, char *out, size_t outsz)
{
	snprintf(out, outsz, "operator:%lld:totp", (long long)id);
}

/* Check the TOTP code of an enrolled operator; records the step on success. */
static bool
totp_ok(app *a, http_request *req, const operator_account *op, const char *sealed, int64_t last_step,
	const char *code)
{
	unsigned char secret[64];
	size_t n = 0;
	char aad[64];
	bool ok;

	if (code == NULL || !a->has_secret_key)
		return false;
	aad_for(op->id, aad, sizeof(aad));
	if (secret_open(a->secret_key, aad, sealed, secret, sizeof(secret), &n) != OR_OK)
		return false;
	ok = totp_verify(secret, n, code, api_now(req), &last_step);
	explicit_bzero(secret, sizeof(secret));
	if (ok)
		ok = store_operator_set_totp_step(a->db, op->id, last_step) == OR_OK;
	return ok;
}

void
api_admin_session_create(app *a, http_request *req, http_response *resp)
{
	static const char *const allowed[] = { "username", "password", "totp", NULL };
	const char *login, *pw, *code, *hash = NULL, *sealed = NULL;
	char acct[SECRET_HASH_HEX + 1], addr[SECRET_HASH_HEX + 1], csrf[SECRET_TOKEN_LEN + 1];
	int64_t last_step = 0;
	operator_account op;
	or_status st;

	if (!input_allowed(req, resp, allowed))
		return;
	login = input_string(req, resp, "username", true, IDENTITY_EMAIL_MAX);
	pw = input_secret(req, resp, "password", true, 4 * PASSWORD_MAX_CHARS);
	code = input_string(req, resp, "totp", false, 16);
	if (!input_ok(resp))
		return;
	auth_throttle_key("opacct", login, acct);
	auth_throttle_key("opaddr", req->remote_addr, addr);
	if (!auth_throttle_ok(a, req, resp, acct, addr))
		return;
	st = store_operator_by_login(a->db, req->arena, login, &op, &hash, &sealed, &last_step);
	if (st == OR_ERR_NOT_FOUND) {
		password_dummy_verify(&a->pw, pw, strlen(pw));
	} else if (st != OR_OK) {
		app_fail(a, req, resp, st, db_last_error(a->db));
		return;
	}
	if (st != OR_OK || !password_verify(hash, pw, strlen(pw))) {
		auth_throttle_fail(a, req, acct, addr);
		http_error(resp, 401, "unauthenticated", "The sign-in details are not correct.");
		return;
	}
	if (sealed && !totp_ok(a, req, &op, sealed, last_step, code)) {
		/* Asking for the code is the normal first step; only a wrong code is a failure. */
		if (code != NULL)
			auth_throttle_fail(a, req, acct, addr);
		http_error(resp, 401, "unauthenticated", code ? "The sign-in details are not correct."
							       : "Enter the code from your authenticator app.");
		resp->error_extra = json_object_new_object();
		json_object_object_add(resp->error_extra, "totp_required", json_object_new_boolean(1));
		return;
	}
	(void)store_throttle_clear(a->db, acct);
	if (password_needs_rehash(hash, &a->pw)) {
		char fresh[PASSWORD_HASH_MAX];
		if (password_hash(&a->pw, pw, strlen(pw), fresh) == OR_OK)
			(void)store_operator_set_password(a->db, op.id, fresh, op.must_change_password);
	}
	if ((st = db_begin(a->db)) == OR_OK &&
	    (st = auth_session_start(a, req, resp, REALM_OPERATOR, op.id, csrf)) == OR_OK &&
	    (st = store_operator_touch(a->db, op.id, api_now(req))) == OR_OK) {
		principal p;
		memset(&p, 0, sizeof(p));
		p.realm = REALM_OPERATOR;
		p.op = op;
		req->principal = &p;
		st = api_audit(a, req, "operator.sign_in", 0, "operator", op.id, NULL, NULL);
		req->principal = NULL;
	}
	if (!api_commit(a, req, resp, st))
		return;
	op.last_seen_at = api_now(req);
	http_json(resp, 200, session_body(&op, csrf));
}

void
api_admin_session_get(app *a, http_request *req, http_response *resp)
{
	principal *p = api_principal(req);

	(void)a;
	http_json(resp, 200, session_body(&p->op, p->sess.csrf_token));
}

void
api_admin_session_delete(app *a, http_request *req, http_response *resp)
{
	or_status st = auth_session_end(a, req, resp, REALM_OPERATOR);

	if (st != OR_OK) {
		app_fail(a, req, resp, st, db_last_error(a->db));
		return;
	}
	resp->status = 204;
}

void
api_admin_totp_start(app *a, http_request *req, http_response *resp)
{
	principal *p = api_principal(req);
	unsigned char secret[TOTP_SECRET_BYTES];
	char sealed[200], aad[64], uri[512], b32[64];
	json_object *o;
	or_status st;

	if (p->op.totp_enabled) {
		http_error(resp, 409, "conflict",
			   "Two-factor sign-in is already on. An operator admin can reset it with onrampctl operators totp-reset.");
		return;
	}
	if (!a->has_secret_key) {
		http_error(resp, 503, "unavailable", "TOTP needs secret_key_file in the server configuration.");
		return;
	}
	aad_for(p->op.id, aad, sizeof(aad));
	st = secret_random(secret, sizeof(secret));
	if (st == OR_OK)
		st = secret_seal(a->secret_key, aad, secret, sizeof(secret), sealed, sizeof(sealed));
	if (st == OR_OK)
		st = totp_uri(a->cfg->totp_issuer, p->op.username, secret, sizeof(secret), uri, sizeof(uri));
	if (st == OR_OK && totp_base32_encode(secret, sizeof(secret), b32, sizeof(b32)) == 0)
		st = OR_ERR_LIMIT;
	explicit_bzero(secret, sizeof(secret));
	if (st == OR_OK)
		st = store_operator_set_totp_pending(a->db, p->op.id, sealed);
	if (st != OR_OK) {
		app_fail(a, req, resp, st, db_last_error(a->db));
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "otpauth_uri", json_object_new_string(uri));
	json_object_object_add(o, "secret", json_object_new_string(b32));
	json_object_object_add(o, "message", json_object_new_string(
		"Add this to your authenticator app, then confirm with a code. It is shown only once."));
	explicit_bzero(uri, sizeof(uri));
	explicit_bzero(b32, sizeof(b32));
	http_json(resp, 200, o);
}

void
api_admin_totp_confirm(app *a, http_request *req, http_response *resp)
{
	static const char *const allowed[] = { "code", NULL };
	principal *p = api_principal(req);
	const char *code, *pending = NULL;
	unsigned char secret[64];
	size_t n = 0;
	char aad[64];
	int64_t step = 0;
	bool ok;
	or_status st;

	if (!input_allowed(req, resp, allowed))
		return;
	code = input_string(req, resp, "code", true, 16);
	if (!input_ok(resp))
		return;
	st = store_operator_totp_pending(a->db, req->arena, p->op.id, &pending);
	if (st != OR_OK) {
		app_fail(a, req, resp, st, db_last_error(a->db));
		return;
	}
	aad_for(p->op.id, aad, sizeof(aad));
	if (pending == NULL || !a->has_secret_key ||
	    secret_open(a->secret_key, aad, pending, secret, sizeof(secret), &n) != OR_OK) {
		http_error(resp, 409, "conflict", "Start enrollment first (POST /totp).");
		return;
	}
	ok = totp_verify(secret, n, code, api_now(req), &step);
	explicit_bzero(secret, sizeof(secret));
	if (!ok) {
		(void)http_field_error_add(req, resp, "code", "incorrect", "That code is not right; check the time on your device.");
		(void)input_ok(resp);
		return;
	}
	if ((st = db_begin(a->db)) == OR_OK && (st = store_operator_set_totp(a->db, p->op.id, pending, step)) == OR_OK)
		st = api_audit(a, req, "operator.totp_enabled", 0, "operator", p->op.id, NULL, NULL);
	if (!api_commit(a, req, resp, st))
		return;
	p->op.totp_enabled = true;
	http_json(resp, 200, session_body(&p->op, p->sess.csrf_token));
}

void
api_admin_password_change(app *a, http_request *req, http_response *resp)
{
	principal *p = api_principal(req);
	const char *next, *hash = NULL, *sealed = NULL;
	char phc[PASSWORD_HASH_MAX], csrf[SECRET_TOKEN_LEN + 1];
	int64_t step = 0;
	operator_account op;
	or_status st = store_operator_by_login(a->db, req->arena, p->op.username, &op, &hash, &sealed, &step);

	if (st != OR_OK) {
		app_fail(a, req, resp, st, db_last_error(a->db));
		return;
	}
	if (!input_password_change(req, resp, hash, op.username, op.email, &next))
		return;
	if ((st = password_hash(&a->pw, next, strlen(next), phc)) == OR_OK && (st = db_begin(a->db)) == OR_OK &&
	    (st = store_operator_set_password(a->db, op.id, phc, false)) == OR_OK &&
	    (st = store_session_delete_all(a->db, REALM_OPERATOR, op.id)) == OR_OK &&
	    (st = auth_session_start(a, req, resp, REALM_OPERATOR, op.id, csrf)) == OR_OK)
		st = api_audit(a, req, "operator.password_change", 0, "operator", op.id, NULL, NULL);
	if (!api_commit(a, req, resp, st))
		return;
	p->op.must_change_password = false;
	http_json(resp, 200, session_body(&p->op, csrf));
}
