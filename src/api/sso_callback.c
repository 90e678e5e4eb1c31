/*
 * GET /api/v1/sso/oidc/callback/{slug}: the IdP sends the browser back here.
 * The pending request is used once (a conditional UPDATE) and must have been
 * started by this browser for this customer before anything else happens, so
 * a replayed or forwarded answer fails before its code is exchanged; RFC
 * 9207's iss, when sent, must name the configured issuer.  Then the protocol
 * is completed (sso_oidc.c) and the answer is a test result (sso_tests.c) or
 * a sign-in: the same session as a password sign-in, or a page that says why
 * not and no session.  Pages are server-rendered (http_html_page): the
 * browser arrives here from the IdP, outside the console.
 */
#include <string.h>
#include <openssl/crypto.h>

#include "onramp/limits.h"
#include "onramp/oidc_rp.h"
#include "onramp/sso_rules.h"
#include "onramp/sso_sp.h"
#include "handlers.h"
#include "sso_flow.h"

#define TITLE "Single sign-on did not complete"
#define BACK "Back to sign-in"

/* What the IdP's redirect carried, read once. */
typedef struct callback {
	customer c;
	const char *state, *code, *error, *iss;
	const char *browser;		/* the pending cookie's token, NULL when absent */
} callback;

/*
 * A failure page; whatever the answer held so far (a session cookie of a
 * rolled-back sign-in) is dropped.  detail (a check key, a database error)
 * goes to the request's log line only, so every refusal says why there.
 */
static void
page(http_request *req, http_response *resp, int status, const char *sentence, const char *detail)
{
	http_response_cleanup(resp);
	http_response_init(resp);
	http_html_page(req, resp, status, TITLE, sentence, "/", BACK);
	resp->detail = detail;
}

/* Audit a refused sign-in of the customer with the check that refused it (never a token). */
static void
audit_refusal(app *a, http_request *req, int64_t customer_id, const char *key)
{
	json_object *after = json_object_new_object();

	json_object_object_add(after, "login_type", json_object_new_string("oidc"));
	json_object_object_add(after, "check", json_object_new_string(key));
	(void)api_audit(a, req, "user.sign_in_refused", customer_id, "customer", customer_id, NULL, after);
	json_object_put(after);
}

static const char *
pending_sentence(sso_pending_why why, int *status)
{
	*status = why == SSO_PENDING_EXPIRED || why == SSO_PENDING_USED ? 410 : why == SSO_PENDING_OTHER_BROWSER ? 403 : 400;
	switch (why) {
	case SSO_PENDING_EXPIRED:
		return "The sign-in took longer than 10 minutes. Start it again.";
	case SSO_PENDING_USED:
		return "This answer from your identity provider was already used. Start the sign-in again.";
	case SSO_PENDING_OTHER_BROWSER:
		return "The sign-in was finished in a different browser than the one that started it. Start it again "
		       "in this browser.";
	case SSO_PENDING_OTHER_CUSTOMER:
	case SSO_PENDING_UNKNOWN:
		break;
	}
	return "This answer from your identity provider does not match a sign-in started here. Start the sign-in again.";
}

/* Use the pending request once; false with the page set when it cannot be used. */
static bool
consume(app *a, http_request *req, http_response *resp, const callback *cb, sso_pending *p)
{
	char sh[SECRET_HASH_HEX + 1], bh[SECRET_HASH_HEX + 1];
	sso_pending_why why = SSO_PENDING_UNKNOWN;
	const char *sentence;
	int status = 400;
	or_status st;

	if (cb->state == NULL || !secret_token_shape_ok(cb->state)) {
		audit_refusal(a, req, cb->c.id, "oidc.state");
		page(req, resp, 400, "The answer from your identity provider carried no valid state, so it cannot be "
				     "matched to a sign-in started here. Start the sign-in again.", "oidc.state");
		return false;
	}
	secret_sha256_hex(cb->state, strlen(cb->state), sh);
	/* No cookie: hash an empty token, which never matches, so the refusal says "another browser". */
	secret_sha256_hex(cb->browser ? cb->browser : "", cb->browser ? strlen(cb->browser) : 0, bh);
	st = store_sso_pending_consume(a->db, req->arena, cb->c.id, sh, bh, api_now(req), p, &why);
	if (st == OR_OK)
		return true;
	if (st != OR_ERR_CONFLICT) {
		api_fail_db(a, req, resp, st);
		return false;
	}
	audit_refusal(a, req, cb->c.id, "oidc.state");
	sentence = pending_sentence(why, &status);
	page(req, resp, status, sentence, "oidc.state");
	return false;
}

/* The IdP's own verdicts carried by the redirect: error=, RFC 9207 iss=, and a code at all. */
static bool
redirect_ok(http_request *req, const sso_config *cfg, const callback *cb, sso_report *r, int *status)
{
	*status = 403;
	if (cb->error) {
		sso_report_add(r, req->arena, "oidc.error", false, SSO_ERROR, "%s",
			       strcmp(cb->error, "access_denied") == 0
				       ? "You cancelled the sign-in or the IdP refused it."
				       : "The IdP ended the sign-in with an error instead of signing you in.");
		return false;
	}
	if (cb->iss && strcmp(cb->iss, cfg->idp.issuer) != 0) {
		sso_report_add(r, req->arena, "oidc.iss_param", false, SSO_ERROR, "The answer names another issuer "
			       "than the configured one (RFC 9207 iss), so it may come from a different IdP.");
		return false;
	}
	if (cb->iss == NULL && cfg->idp.iss_param) {
		sso_report_add(r, req->arena, "oidc.iss_param", false, SSO_ERROR, "The answer lacks the issuer (RFC 9207 "
			       "iss) that the IdP's discovery document promises, so it may come from a different IdP.");
		return false;
	}
	if (cb->iss)
		sso_report_add(r, req->arena, "oidc.iss_param", true, SSO_INFO, "The answer names the configured issuer.");
	if (cb->code == NULL || *cb->code == '\0' || strlen(cb->code) > LIMIT_OIDC_CODE_BYTES) {
		*status = 400;
		sso_report_add(r, req->arena, "oidc.code", false, SSO_ERROR, "The IdP's answer carried no usable "
			       "authorization code.");
		return false;
	}
	return true;
}

/* Run the protocol for a consumed request; false when a check failed (r says which). */
static bool
complete(app *a, http_request *req, const sso_config *cfg, const callback *cb, sso_report *r, oidc_identity *id,
	 int *status)
{
	char nonce[SECRET_TOKEN_LEN + 1], verifier[SECRET_TOKEN_LEN + 1];
	sso_oidc_in in;
	customer c;
	sso_sp sp;
	or_status st;
	bool ok;

	sso_report_add(r, req->arena, "oidc.state", true, SSO_INFO, "The answer came back once, within 10 minutes, "
		       "to the browser that started the sign-in.");
	if (!redirect_ok(req, cfg, cb, r, status))
		return false;
	if ((st = store_customer_get(a->db, req->arena, cfg->customer_id, &c)) != OR_OK ||
	    (st = sso_sp_urls(a, req->arena, c.slug, &sp)) != OR_OK) {
		*status = 503;
		sso_report_add(r, req->arena, "oidc.internal", false, SSO_ERROR, "Single sign-on is unavailable right now.");
		return false;
	}
	oidc_rp_derive(cb->browser, OIDC_RP_NONCE, cb->state, nonce);
	oidc_rp_derive(cb->browser, OIDC_RP_PKCE, cb->state, verifier);
	in = (sso_oidc_in){ sp.redirect_uri, cb->code, verifier, nonce };
	ok = sso_oidc_complete(a, req, cfg, &in, r, id, status);
	OPENSSL_cleanse(verifier, sizeof(verifier));
	return ok;
}

/* The admitted user gets the same session as a password sign-in (login_type oidc); else a page and no session. */
static void
sign_in(app *a, http_request *req, http_response *resp, const sso_config *cfg, const oidc_identity *id,
	const char *invite_tok)
{
	char csrf[SECRET_TOKEN_LEN + 1];
	sso_admission adm;
	json_object *after;
	or_status st = db_begin(a->db);

	memset(&adm, 0, sizeof(adm));
	if (st == OR_OK)
		st = sso_admit(a, req, cfg, id, invite_tok, "oidc", &adm);
	if (st == OR_OK && !adm.ok) {
		db_rollback(a->db);
		audit_refusal(a, req, cfg->customer_id, adm.code ? adm.code : "sso_refused");
		page(req, resp, adm.status ? adm.status : 403,
		     adm.message ? adm.message : "Your company's settings do not let this account sign in.",
		     adm.code ? adm.code : "sso_refused");
		return;
	}
	if (st == OR_OK)
		st = auth_session_start(a, req, resp, REALM_CUSTOMER, adm.u.id, "oidc", csrf);
	/*
	 * users.login_type says how the account signs in.  An account without a
	 * password signs in only through SSO; one with a password (a linked
	 * account, a break-glass admin) keeps "password", so its forgot-password
	 * mail and the operator's reset link keep working.  The session itself
	 * always says oidc.
	 */
	if (st == OR_OK && !adm.u.has_password)
		st = store_user_set_login_type(a->db, cfg->customer_id, adm.u.id, "oidc");
	if (st == OR_OK) {
		after = json_object_new_object();
		json_object_object_add(after, "login_type", json_object_new_string("oidc"));
		st = api_audit_user_event(a, req, &adm.u, "user.sign_in", after);
		json_object_put(after);
	}
	OPENSSL_cleanse(csrf, sizeof(csrf));
	if (!api_commit(a, req, resp, st)) {
		/* The database's words when it was the database, else which step failed (never a value). */
		page(req, resp, resp->status >= 500 ? resp->status : 503,
		     "Single sign-on is unavailable right now. Try again shortly.",
		     resp->detail ? resp->detail : status_name(st));
		return;
	}
	http_see_other(req, resp, "/");
}

/* Read the redirect; false with the page set when the slug names no customer. */
static bool
read_callback(app *a, http_request *req, http_response *resp, callback *cb)
{
	const char *slug = arena_strview(req->arena, req->params[0]);
	or_status st = slug ? store_customer_by_slug(a->db, req->arena, slug, &cb->c) : OR_ERR_NOMEM;

	if (st == OR_ERR_NOT_FOUND) {
		page(req, resp, 404, "This single sign-on address does not belong to any company here.", "slug");
		return false;
	}
	if (st != OR_OK) {
		api_fail_db(a, req, resp, st);
		return false;
	}
	cb->state = input_query(req, "state");
	cb->code = input_query(req, "code");
	cb->error = input_query(req, "error");
	cb->iss = input_query(req, "iss");
	cb->browser = auth_cookie_value(req, SSO_PENDING_COOKIE);
	if (cb->browser && !secret_token_shape_ok(cb->browser))
		cb->browser = NULL;
	return true;
}

/* Sign-in refused by a protocol check: audited with its key, a page with its sentence. */
static void
refuse(app *a, http_request *req, http_response *resp, int64_t customer_id, const sso_report *r, int status)
{
	const sso_check *c = sso_report_failed(r, SSO_ERROR);

	audit_refusal(a, req, customer_id, c ? c->key : "oidc");
	page(req, resp, status, c ? c->message : "The sign-in could not be completed.", c ? c->key : "oidc");
}

void
api_sso_oidc_callback(app *a, http_request *req, http_response *resp)
{
	sso_report *r = arena_calloc(req->arena, 1, sizeof(*r));
	const char *invite_tok = auth_cookie_value(req, SSO_INVITE_COOKIE);
	oidc_identity id;
	sso_pending p;
	sso_config cfg;
	callback cb;
	int status = 403;
	or_status st;
	bool ok = false;

	memset(&cb, 0, sizeof(cb));
	if (r == NULL) {
		app_fail(a, req, resp, OR_ERR_NOMEM, "report");
		return;
	}
	if (!read_callback(a, req, resp, &cb) || !consume(a, req, resp, &cb, &p))
		goto out;
	sso_report_init(r, "oidc");
	if ((st = sso_pending_config(a, req, &p, &cfg)) == OR_OK)
		ok = complete(a, req, &cfg, &cb, r, &id, &status);
	else if (st == OR_ERR_VERSION)
		sso_report_add(r, req->arena, "oidc.version", false, SSO_ERROR, "The single sign-on configuration changed "
			       "while the browser was at the IdP. Start again.");
	if (st != OR_OK && st != OR_ERR_VERSION)
		api_fail_db(a, req, resp, st);
	else if (strcmp(p.purpose, "test") == 0)
		sso_tests_finish(a, req, resp, st == OR_OK ? &cfg : NULL, &p, r, ok ? &id : NULL);
	else if (!ok)
		refuse(a, req, resp, p.customer_id, r, st == OR_ERR_VERSION ? 409 : status);
	else
		sign_in(a, req, resp, &cfg, &id, invite_tok && secret_token_shape_ok(invite_tok) ? invite_tok : NULL);
out:
	/* Either way the request is over: its cookies go. */
	(void)auth_cookie_set(a, req, resp, SSO_PENDING_COOKIE, "", SSO_COOKIE_PATH, 0);
	(void)auth_cookie_set(a, req, resp, SSO_INVITE_COOKIE, "", SSO_COOKIE_PATH, 0);
}
