/*
 * Forgot password.  POST /password-resets answers 202 whatever the address,
 * so it reveals nothing; when an account exists, a one-time token (256-bit,
 * stored as SHA-256) is created and its mail queued in the same transaction.
 * POST /password-resets/{token} sets the new password once; used, expired
 * and unknown tokens all answer 410.
 */
#include <stdio.h>
#include <string.h>

#include "onramp/api.h"
#include "onramp/mailtext.h"

void api_reset_request(app *a, http_request *req, http_response *resp);
void api_reset_complete(app *a, http_request *req, http_response *resp);

static json_object *
accepted_body(void)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "status", json_object_new_string("accepted"));
	json_object_object_add(o, "message", json_object_new_string(
		"If an account uses this address, a link to reset its password is on its way."));
	return o;
}

/* Queue the token and its mail for u; the caller owns the transaction. */
static or_status
issue_reset(app *a, http_request *req, const user *u, const char *created_by)
{
	char token[SECRET_TOKEN_LEN + 1], hash[SECRET_HASH_HEX + 1];
	int64_t now = api_now(req);
	mailtext mt;
	outbox_mail m;
	or_status st;

	if ((st = secret_token_new(token)) != OR_OK)
		return st;
	secret_sha256_hex(token, SECRET_TOKEN_LEN, hash);
	st = store_reset_create(a->db, hash, u->id, now, now + a->cfg->reset_token_ttl_s, created_by);
	if (st == OR_OK)
		st = mailtext_password_reset(req->arena, a->cfg->public_base_url, token,
					     a->cfg->reset_token_ttl_s / 60, &mt);
	if (st != OR_OK)
		return st;
	memset(&m, 0, sizeof(m));
	m.customer_id = u->customer_id;
	m.template_name = "password_reset";
	m.to_addr = u->email;
	m.subject = mt.subject;
	m.body_text = mt.text;
	m.body_html = mt.html;
	m.ref_type = "user";
	m.ref_id = u->id;
	st = store_outbox_add(a->db, &m, NULL);
	explicit_bzero(token, sizeof(token));
	return st;
}

void
api_reset_request(app *a, http_request *req, http_response *resp)
{
	static const char *const allowed[] = { "email", NULL };
	const char *email;
	char norm[IDENTITY_EMAIL_MAX + 1];
	user u;
	or_status st;

	if (!input_allowed(req, resp, allowed))
		return;
	email = input_string(req, resp, "email", true, IDENTITY_EMAIL_MAX);
	if (email && identity_email_normalize(email, norm, sizeof(norm)) != OR_OK)
		(void)http_field_error_add(req, resp, "email", "invalid_email", "Enter an email address like name@example.com.");
	if (!input_ok(resp))
		return;
	st = store_user_by_email(a->db, req->arena, norm, &u);
	if (st == OR_OK && !u.deactivated_at && !u.suspended && strcmp(u.login_type, "password") == 0) {
		if ((st = db_begin(a->db)) == OR_OK && (st = issue_reset(a, req, &u, "self")) == OR_OK &&
		    (st = api_audit(a, req, "user.password_reset_requested", u.customer_id, "user", u.id, NULL, NULL)) == OR_OK)
			st = db_commit(a->db);
		if (st != OR_OK)
			db_rollback(a->db);
	}
	if (st != OR_OK && st != OR_ERR_NOT_FOUND) {
		app_fail(a, req, resp, st, db_last_error(a->db));
		return;
	}
	http_json(resp, 202, accepted_body());
}

void
api_reset_complete(app *a, http_request *req, http_response *resp)
{
	static const char *const allowed[] = { "new_password", NULL };
	const char *token = arena_strview(req->arena, req->params[0]), *pw;
	char hash[SECRET_HASH_HEX + 1], phc[PASSWORD_HASH_MAX];
	int64_t user_id = 0;
	password_verdict v;
	user u;
	or_status st;

	if (!input_allowed(req, resp, allowed))
		return;
	pw = input_secret(req, resp, "new_password", true, 4 * PASSWORD_MAX_CHARS);
	if (!input_ok(resp))
		return;
	if (token == NULL || !secret_token_shape_ok(token)) {
		http_error(resp, 410, "gone", "This reset link is not valid. Ask for a new one.");
		return;
	}
	secret_sha256_hex(token, strlen(token), hash);
	if ((st = db_begin(a->db)) != OR_OK) {
		app_fail(a, req, resp, st, db_last_error(a->db));
		return;
	}
	st = store_reset_consume(a->db, hash, api_now(req), &user_id);
	if (st == OR_OK)
		st = store_user_get_any(a->db, req->arena, user_id, &u);
	if (st == OR_ERR_NOT_FOUND || st == OR_ERR_CONFLICT || (st == OR_OK && (u.deactivated_at || u.suspended))) {
		db_rollback(a->db);
		http_error(resp, 410, "gone", "This reset link has expired or was already used. Ask for a new one.");
		return;
	}
	if (st == OR_OK) {
		v = password_check(pw, strlen(pw), u.username, u.email);
		if (v != PASSWORD_OK) {
			db_rollback(a->db);
			input_password_error(req, resp, "new_password", v);
			(void)input_ok(resp);
			return;
		}
		st = password_hash(&a->pw, pw, strlen(pw), phc);
	}
	if (st == OR_OK && (st = store_user_set_password(a->db, u.id, phc, false)) == OR_OK &&
	    (st = store_session_delete_all(a->db, REALM_CUSTOMER, u.id)) == OR_OK &&
	    (st = store_reset_revoke_user(a->db, u.id, api_now(req))) == OR_OK)
		st = api_audit_as_user(a, req, &u, "user.password_reset");
	if (!api_commit(a, req, resp, st))
		return;
	resp->status = 204;
}

/* Operators generate a reset link for a user (shown once, Code Ocean style). */
or_status resets_issue_link(app *a, http_request *req, const user *u, char *link, size_t linksz,
			    int64_t *expires_at);

or_status
resets_issue_link(app *a, http_request *req, const user *u, char *link, size_t linksz, int64_t *expires_at)
{
	char token[SECRET_TOKEN_LEN + 1], hash[SECRET_HASH_HEX + 1];
	int64_t now = api_now(req);
	principal *p = api_principal(req);
	char by[100];
	or_status st;
	int n;

	if ((st = secret_token_new(token)) != OR_OK)
		return st;
	secret_sha256_hex(token, SECRET_TOKEN_LEN, hash);
	n = snprintf(by, sizeof(by), "operator:%s", p ? p->op.username : "cli");
	if (n < 0 || (size_t)n >= sizeof(by))
		str_copy(by, sizeof(by), "operator");
	*expires_at = now + a->cfg->reset_token_ttl_s;
	st = store_reset_create(a->db, hash, u->id, now, *expires_at, by);
	n = snprintf(link, linksz, "%s/reset-password#token=%s", a->cfg->public_base_url, token);
	explicit_bzero(token, sizeof(token));
	if (st == OR_OK && (n < 0 || (size_t)n >= linksz))
		st = OR_ERR_LIMIT;
	return st;
}
