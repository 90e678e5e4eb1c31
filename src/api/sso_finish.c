/*
 * The end of every SSO answer, written once for both protocols (the OIDC
 * callback, sso_callback.c, and the SAML ACS, sso_acs.c): the customer named
 * by the slug, the pending request used once, the configuration it started
 * with, and then a test result, a session, or a page that says why not and
 * no session, with the refusal audited under its check key.  What differs
 * between the protocols is a parameter (sso_answer_kind), so a rule fixed
 * here is fixed for both.  Pages are server-rendered (http_html_page): the
 * browser arrives from the IdP, outside the console.
 */
#include <string.h>
#include <openssl/crypto.h>

#include "handlers.h"
#include "sso_flow.h"

#define TITLE "Single sign-on did not complete"
#define BACK "Back to sign-in"

void
sso_finish_page(http_request *req, http_response *resp, int status, const char *sentence, const char *detail)
{
	/* Whatever the answer held so far (a session cookie of a rolled-back sign-in) is dropped. */
	http_response_cleanup(resp);
	http_response_init(resp);
	http_html_page(req, resp, status, TITLE, sentence, "/", BACK);
	resp->detail = detail;
	/* A check key, a database error or a step's name: never a value from the answer. */
	resp->detail_always = true;
}

void
sso_finish_audit_refusal(app *a, http_request *req, int64_t customer_id, const char *login_type, const char *key)
{
	json_object *after = json_object_new_object();

	json_object_object_add(after, "login_type", json_object_new_string(login_type));
	json_object_object_add(after, "check", json_object_new_string(key));
	(void)api_audit(a, req, "user.sign_in_refused", customer_id, "customer", customer_id, NULL, after);
	json_object_put(after);
}

bool
sso_finish_customer(app *a, http_request *req, http_response *resp, customer *c)
{
	const char *slug = arena_strview(req->arena, req->params[0]);
	or_status st = slug ? store_customer_by_slug(a->db, req->arena, slug, c) : OR_ERR_NOMEM;

	if (st == OR_ERR_NOT_FOUND) {
		sso_finish_page(req, resp, 404, "This single sign-on address does not belong to any company here.", "slug");
		return false;
	}
	if (st != OR_OK) {
		api_fail_db(a, req, resp, st);
		return false;
	}
	return true;
}

const char *
sso_finish_browser(http_request *req)
{
	const char *b = auth_cookie_value(req, SSO_PENDING_COOKIE);

	return b && secret_token_shape_ok(b) ? b : NULL;
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

bool
sso_finish_consume(app *a, http_request *req, http_response *resp, const sso_answer_kind *k, int64_t customer_id,
		   const char *state, const char *browser, sso_pending *p)
{
	char sh[SECRET_HASH_HEX + 1], bh[SECRET_HASH_HEX + 1];
	sso_pending_why why = SSO_PENDING_UNKNOWN;
	const char *sentence, *key = k->state_key;
	int status = 400;
	or_status st;

	secret_sha256_hex(state, strlen(state), sh);
	/* No cookie: hash an empty token, which never matches, so the refusal says "another browser". */
	secret_sha256_hex(browser ? browser : "", browser ? strlen(browser) : 0, bh);
	st = store_sso_pending_consume(a->db, req->arena, customer_id, sh, bh, api_now(req), p, &why);
	if (st == OR_OK)
		return true;
	if (st != OR_ERR_CONFLICT) {
		api_fail_db(a, req, resp, st);
		return false;
	}
	sentence = pending_sentence(why, &status);
	if ((why == SSO_PENDING_UNKNOWN || why == SSO_PENDING_OTHER_CUSTOMER) && k->unknown_sentence) {
		sentence = k->unknown_sentence;
		key = k->unknown_key;
	}
	sso_finish_audit_refusal(a, req, customer_id, k->login_type, key);
	sso_finish_page(req, resp, status, sentence, key);
	return false;
}

or_status
sso_pending_config(app *a, http_request *req, const sso_pending *p, sso_config *cfg)
{
	bool test = strcmp(p->purpose, "test") == 0;
	or_status st = test ? store_sso_validated_get(a->db, req->arena, p->customer_id, cfg)
			    : store_sso_live_get(a->db, req->arena, p->customer_id, cfg);

	if (st == OR_OK)
		cfg->customer_id = p->customer_id;
	/* Changed (or switched off) while the browser was at the IdP: that version is gone. */
	if (st == OR_ERR_NOT_FOUND || st == OR_ERR_CONFLICT || (st == OR_OK && cfg->version != p->version))
		return OR_ERR_VERSION;
	return st;
}

/* The admitted user gets the same session as a password sign-in; else a page and no session. */
static void
sign_in(app *a, http_request *req, http_response *resp, const sso_answer_kind *k, const sso_config *cfg,
	const oidc_identity *id, const char *invite_tok)
{
	char csrf[SECRET_TOKEN_LEN + 1];
	sso_admission adm;
	json_object *after;
	or_status st = db_begin(a->db);

	memset(&adm, 0, sizeof(adm));
	if (st == OR_OK)
		st = sso_admit(a, req, cfg, id, invite_tok, k->login_type, &adm);
	if (st == OR_OK && !adm.ok) {
		db_rollback(a->db);
		sso_finish_audit_refusal(a, req, cfg->customer_id, k->login_type, adm.code ? adm.code : "sso_refused");
		sso_finish_page(req, resp, adm.status ? adm.status : 403,
				adm.message ? adm.message : "Your company's settings do not let this account sign in.",
				adm.code ? adm.code : "sso_refused");
		return;
	}
	if (st == OR_OK)
		st = auth_session_start(a, req, resp, REALM_CUSTOMER, adm.u.id, k->login_type, csrf);
	/*
	 * users.login_type says how the account signs in.  An account without a
	 * password signs in only through SSO; one with a password (a linked
	 * account, a break-glass admin) keeps "password", so its forgot-password
	 * mail and the operator's reset link keep working.  The session itself
	 * always says oidc or saml.
	 */
	if (st == OR_OK && !adm.u.has_password)
		st = store_user_set_login_type(a->db, cfg->customer_id, adm.u.id, k->login_type);
	if (st == OR_OK) {
		after = json_object_new_object();
		json_object_object_add(after, "login_type", json_object_new_string(k->login_type));
		st = api_audit_user_event(a, req, &adm.u, "user.sign_in", after);
		json_object_put(after);
	}
	OPENSSL_cleanse(csrf, sizeof(csrf));
	if (!api_commit(a, req, resp, st)) {
		/* The database's words when it was the database, else which step failed (never a value). */
		sso_finish_page(req, resp, resp->status >= 500 ? resp->status : 503,
				"Single sign-on is unavailable right now. Try again shortly.",
				resp->detail ? resp->detail : status_name(st));
		return;
	}
	http_see_other(req, resp, "/");
}

/* Sign-in refused by a protocol check: audited with its key, a page with its sentence. */
static void
refuse(app *a, http_request *req, http_response *resp, const sso_answer_kind *k, int64_t customer_id,
       const sso_report *r, int status)
{
	const sso_check *c = sso_report_failed(r, SSO_ERROR);

	sso_finish_audit_refusal(a, req, customer_id, k->login_type, c ? c->key : k->login_type);
	sso_finish_page(req, resp, status, c ? c->message : "The sign-in could not be completed.",
			c ? c->key : k->login_type);
}

void
sso_finish(app *a, http_request *req, http_response *resp, const sso_answer_kind *k, const sso_finish_in *in)
{
	const sso_pending *p = in->p;
	or_status st = in->config_st;

	if (st == OR_ERR_VERSION)
		sso_report_add(in->r, req->arena, k->version_key, false, SSO_ERROR, "The single sign-on configuration "
			       "changed while the browser was at the IdP. Start again.");
	if (st != OR_OK && st != OR_ERR_VERSION)
		api_fail_db(a, req, resp, st);
	else if (strcmp(p->purpose, "test") == 0)
		sso_tests_finish(a, req, resp, st == OR_OK ? in->cfg : NULL, p, in->r, in->id);
	else if (in->id == NULL)
		refuse(a, req, resp, k, p->customer_id, in->r, st == OR_ERR_VERSION ? 409 : in->status);
	else
		sign_in(a, req, resp, k, in->cfg, in->id,
			in->invite_tok && secret_token_shape_ok(in->invite_tok) ? in->invite_tok : NULL);
}

void
sso_finish_cookies_clear(app *a, http_request *req, http_response *resp)
{
	(void)auth_cookie_set(a, req, resp, SSO_PENDING_COOKIE, "", SSO_COOKIE_PATH, 0);
	(void)auth_cookie_set(a, req, resp, SSO_INVITE_COOKIE, "", SSO_COOKIE_PATH, 0);
}
