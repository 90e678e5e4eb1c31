/*
 * Operator sessions: sign in with username or email, password and a TOTP
 * code; TOTP enrollment, which every operator must finish before anything
 * else (the auth step answers 403 totp_enrollment_required until then): the
 * otpauth URI and its QR code are shown once and the secret is stored sealed
 * under the deployment key; sign out; and changing one's own password.  The
 * sign-in flow and its throttles are shared with customers (src/api/signin.c).
 */
#include <stdio.h>
#include <string.h>

#include "onramp/api_operator.h"
#include "onramp/limits.h"
#include "onramp/qrsvg.h"
#include "onramp/signin.h"
#include "onramp/totp.h"
#include "handlers.h"

static json_object *
session_body(const principal *p, int64_t now, const char *csrf)
{
	json_object *o = json_object_new_object();

	(void)now;
	json_object_object_add(o, "operator", output_operator(&p->op));
	json_object_object_add(o, "csrf_token", json_object_new_string(csrf));
	json_object_object_add(o, "must_change_password", json_object_new_boolean(p->op.must_change_password));
	json_object_object_add(o, "totp_enabled", json_object_new_boolean(p->op.totp_enabled));
	json_object_object_add(o, "totp_enrollment_required", json_object_new_boolean(!p->op.totp_enabled));
	return o;
}

static or_status
lookup(db *d, arena *ar, const char *login, signin_account *out)
{
	or_status st = store_operator_by_login(d, ar, login, &out->p.op, &out->hash, &out->totp_sealed,
					       &out->totp_last_step);

	out->p.realm = REALM_OPERATOR;
	out->id = out->p.op.id;
	out->state = auth_account_state(REALM_OPERATOR, &out->p);	/* removed ones too: told so */
	return st;
}

static or_status
signed_in(app *a, http_request *req, signin_account *acc)
{
	or_status st = store_operator_touch(a->db, acc->id, api_now(req));

	if (st == OR_OK)
		acc->p.op.last_seen_at = api_now(req);
	return st;
}

static const char *const fields[] = { "username", "password", "totp", NULL };

static const signin_realm operator_realm = {
	.realm = REALM_OPERATOR,
	.name = "operator",
	.login_field = "username",
	.fields = fields,
	.object_type = "operator",
	.action_sign_in = "operator.sign_in",
	.action_password_change = "operator.password_change",
	.lookup = lookup,
	.set_password = store_operator_set_password,
	.signed_in = signed_in,
	.password_changed = NULL,
	.take_totp_step = store_operator_take_totp_step,
	.body = session_body,
};

void
api_admin_session_create(app *a, http_request *req, http_response *resp)
{
	signin_create(&operator_realm, a, req, resp);
}

void
api_admin_session_get(app *a, http_request *req, http_response *resp)
{
	signin_session_get(&operator_realm, a, req, resp);
}

void
api_admin_session_delete(app *a, http_request *req, http_response *resp)
{
	signin_session_delete(&operator_realm, a, req, resp);
}

static json_object *
enrollment_body(const char *uri, const char *b32, const char *svg)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "otpauth_uri", json_object_new_string(uri));
	json_object_object_add(o, "secret", json_object_new_string(b32));
	json_object_object_add(o, "qr_svg", json_object_new_string(svg));
	json_object_object_add(o, "message", json_object_new_string(
		"Scan the QR code or add the key to your authenticator app, then confirm with a code. "
		"It is shown only once."));
	return o;
}

void
api_admin_totp_start(app *a, http_request *req, http_response *resp)
{
	principal *p = api_principal(req);
	unsigned char secret[TOTP_SECRET_BYTES];
	char sealed[200], aad[64], uri[512], b32[64];
	or_buf svg;
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
	buf_init(&svg, QRSVG_MAX_BYTES);
	signin_totp_aad(&operator_realm, p->op.id, aad, sizeof(aad));
	st = secret_random(secret, sizeof(secret));
	if (st == OR_OK)
		st = secret_seal(a->secret_key, aad, secret, sizeof(secret), sealed, sizeof(sealed));
	if (st == OR_OK)
		st = totp_uri(a->cfg->totp_issuer, p->op.username, secret, sizeof(secret), uri, sizeof(uri));
	if (st == OR_OK && totp_base32_encode(secret, sizeof(secret), b32, sizeof(b32)) == 0)
		st = OR_ERR_LIMIT;
	explicit_bzero(secret, sizeof(secret));
	if (st == OR_OK)
		st = qrsvg_render(uri, &svg);
	if (st == OR_OK)
		st = store_operator_set_totp_pending(a->db, p->op.id, sealed);
	if (st == OR_OK)
		http_json(resp, 200, enrollment_body(uri, b32, svg.data));
	else
		api_fail_db(a, req, resp, st);
	/* The picture holds the secret as much as the URI does. */
	if (svg.data)
		explicit_bzero(svg.data, svg.len);
	buf_free(&svg);
	explicit_bzero(uri, sizeof(uri));
	explicit_bzero(b32, sizeof(b32));
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
	code = input_string(req, resp, "code", true, LIMIT_TOTP_CODE_BYTES);
	if (!input_ok(resp))
		return;
	st = store_operator_totp_pending(a->db, req->arena, p->op.id, &pending);
	if (st != OR_OK) {
		api_fail_db(a, req, resp, st);
		return;
	}
	signin_totp_aad(&operator_realm, p->op.id, aad, sizeof(aad));
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
	http_json(resp, 200, session_body(p, api_now(req), p->sess.csrf_token));
}

void
api_admin_password_change(app *a, http_request *req, http_response *resp)
{
	signin_password_change(&operator_realm, a, req, resp);
}
