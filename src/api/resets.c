/*
 * Forgot password.  POST /password-resets answers 202 whatever the address
 * and does the same work for every address: it counts the request against
 * the client address (429 past reset_requests_per_addr in reset_window_s,
 * the same for known and unknown addresses) and queues it, one row.
 * onramp-mailer decides the rest (src/mail/reset_mail.c): the account, its
 * silent per-account limit, the token (256-bit, stored as SHA-256, revoking
 * older links) and the mail.  The link is redeemed with
 * POST /password-resets/redeem {token, new_password} (what the console sends:
 * no token in any URL) or the contract's POST /password-resets/{token}; used,
 * expired, revoked and unknown tokens all answer 410.
 */
#include <stdio.h>
#include <string.h>

#include "onramp/api.h"
#include "onramp/limits.h"
#include "handlers.h"

static json_object *
accepted_body(void)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "status", json_object_new_string("accepted"));
	json_object_object_add(o, "message", json_object_new_string(
		"If an account uses this address, a link to reset its password is on its way."));
	return o;
}

/*
 * Count this request against the client address, inside the transaction so
 * concurrent requests of one address take turns on the counter row.  The
 * throttle locks at its max-th event, so max = limit + 1 lets limit through.
 */
static or_status
addr_count(app *a, http_request *req, int64_t *locked_until)
{
	char key[SECRET_HASH_HEX + 1];

	auth_throttle_key("resetaddr", req->remote_addr, key);
	return store_throttle_fail(a->db, key, api_now(req), a->cfg->reset_window_s,
				   (long)a->cfg->reset_requests_per_addr + 1, locked_until);
}

static void
rate_limited(http_request *req, http_response *resp, int64_t until)
{
	int64_t wait = until - api_now(req);
	char ra[24];

	http_error(resp, 429, "rate_limited", "Too many password reset requests from your network. Try again later.");
	if (snprintf(ra, sizeof(ra), "%lld", (long long)(wait > 0 ? wait : 1)) > 0)
		(void)http_header_add(req, resp, "Retry-After", ra);
}

void
api_reset_request(app *a, http_request *req, http_response *resp)
{
	static const char *const allowed[] = { "email", NULL };
	const char *email;
	char norm[IDENTITY_EMAIL_MAX + 1];
	int64_t until = 0;
	or_status st;

	if (!input_allowed(req, resp, allowed))
		return;
	email = input_string(req, resp, "email", true, IDENTITY_EMAIL_MAX);
	if (email && identity_email_normalize(email, norm, sizeof(norm)) != OR_OK)
		(void)http_field_error_add(req, resp, "email", "invalid_email", "Enter an email address like name@example.com.");
	if (!input_ok(resp))
		return;
	if ((st = db_begin(a->db)) == OR_OK && (st = addr_count(a, req, &until)) == OR_OK && until == 0)
		st = store_reset_request_add(a->db, norm, api_now(req), req->remote_addr, req->request_id);
	if (!api_commit(a, req, resp, st))
		return;
	if (until)
		rate_limited(req, resp, until);
	else
		http_json(resp, 202, accepted_body());
}

/* Set the new password with a token from the path or the body. */
static void
complete(app *a, http_request *req, http_response *resp, const char *token, const char *pw)
{
	char hash[SECRET_HASH_HEX + 1], phc[PASSWORD_HASH_MAX];
	int64_t user_id = 0;
	password_verdict v;
	user u;
	or_status st;

	if (token == NULL || !secret_token_shape_ok(token)) {
		http_error(resp, 410, "gone", "This reset link is not valid. Ask for a new one.");
		return;
	}
	secret_sha256_hex(token, strlen(token), hash);
	if ((st = db_begin(a->db)) != OR_OK) {
		api_fail_db(a, req, resp, st);
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
	if (api_commit(a, req, resp, st))
		resp->status = 204;
}

void
api_reset_complete(app *a, http_request *req, http_response *resp)
{
	static const char *const allowed[] = { "new_password", NULL };
	const char *pw;

	if (!input_allowed(req, resp, allowed))
		return;
	pw = input_secret(req, resp, "new_password", true, 4 * PASSWORD_MAX_CHARS);
	if (input_ok(resp))
		complete(a, req, resp, arena_strview(req->arena, req->params[0]), pw);
}

/* The console's form: the token in the body, so no URL ever carries it. */
void
api_reset_redeem(app *a, http_request *req, http_response *resp)
{
	static const char *const allowed[] = { "token", "new_password", NULL };
	const char *token, *pw;

	if (!input_allowed(req, resp, allowed))
		return;
	token = input_secret(req, resp, "token", true, LIMIT_TOKEN_BYTES);
	pw = input_secret(req, resp, "new_password", true, 4 * PASSWORD_MAX_CHARS);
	if (input_ok(resp))
		complete(a, req, resp, token, pw);
}

/* Operators generate a reset link for a user (shown once); inside their transaction. */
or_status
resets_issue_link(app *a, http_request *req, const user *u, char *link, size_t linksz, int64_t *expires_at)
{
	char token[SECRET_TOKEN_LEN + 1], hash[SECRET_HASH_HEX + 1];
	int64_t now = api_now(req), reset_id;
	principal *p = api_principal(req);
	char by[100];
	reset_new r = { hash, u->id, now, now + a->cfg->reset_token_ttl_s, by, 0, 0 };
	or_status st;
	int n;

	if ((st = secret_token_new(token)) != OR_OK)
		return st;
	secret_sha256_hex(token, SECRET_TOKEN_LEN, hash);
	n = snprintf(by, sizeof(by), "operator:%s", p ? p->op.username : "cli");
	if (n < 0 || (size_t)n >= sizeof(by))
		str_copy(by, sizeof(by), "operator");
	/* Like a mailed link, it replaces the user's earlier ones (no limit: an operator acts). */
	*expires_at = r.expires_at;
	st = store_reset_create(a->db, &r, &reset_id);
	n = snprintf(link, linksz, "%s/reset-password#token=%s", a->cfg->public_base_url, token);
	explicit_bzero(token, sizeof(token));
	if (st == OR_OK && (n < 0 || (size_t)n >= linksz))
		st = OR_ERR_LIMIT;
	return st;
}
