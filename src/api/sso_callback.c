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

/* The OIDC side of the shared finishing (sso_finish.c). */
static const sso_answer_kind OIDC = { "oidc", "oidc.state", "oidc.state", NULL, "oidc.version" };

/* What the IdP's redirect carried, read once. */
typedef struct callback {
	customer c;
	const char *state, *code, *error, *iss;
	const char *browser;		/* the pending cookie's token, NULL when absent */
} callback;

/* Use the pending request once; false with the page set when it cannot be used. */
static bool
consume(app *a, http_request *req, http_response *resp, const callback *cb, sso_pending *p)
{
	if (cb->state == NULL || !secret_token_shape_ok(cb->state)) {
		sso_finish_audit_refusal(a, req, cb->c.id, "oidc", "oidc.state");
		sso_finish_page(req, resp, 400, "The answer from your identity provider carried no valid state, so it "
				"cannot be matched to a sign-in started here. Start the sign-in again.", "oidc.state");
		return false;
	}
	return sso_finish_consume(a, req, resp, &OIDC, cb->c.id, cb->state, cb->browser, p);
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

/* Read the redirect; false with the page set when the slug names no customer. */
static bool
read_callback(app *a, http_request *req, http_response *resp, callback *cb)
{
	if (!sso_finish_customer(a, req, resp, &cb->c))
		return false;
	cb->state = input_query(req, "state");
	cb->code = input_query(req, "code");
	cb->error = input_query(req, "error");
	cb->iss = input_query(req, "iss");
	cb->browser = sso_finish_browser(req);
	return true;
}

void
api_sso_oidc_callback(app *a, http_request *req, http_response *resp)
{
	sso_report *r = arena_calloc(req->arena, 1, sizeof(*r));
	oidc_identity id;
	sso_pending p;
	sso_config cfg;
	callback cb;
	sso_finish_in fin;
	int status = 403;
	bool ok = false;

	memset(&cb, 0, sizeof(cb));
	if (r == NULL) {
		app_fail(a, req, resp, OR_ERR_NOMEM, "report");
		return;
	}
	if (!read_callback(a, req, resp, &cb) || !consume(a, req, resp, &cb, &p))
		goto out;
	sso_report_init(r, "oidc");
	memset(&fin, 0, sizeof(fin));
	if ((fin.config_st = sso_pending_config(a, req, &p, &cfg)) == OR_OK)
		ok = complete(a, req, &cfg, &cb, r, &id, &status);
	fin.cfg = &cfg;
	fin.p = &p;
	fin.r = r;
	fin.id = ok ? &id : NULL;
	fin.status = status;
	fin.invite_tok = auth_cookie_value(req, SSO_INVITE_COOKIE);
	sso_finish(a, req, resp, &OIDC, &fin);
out:
	/* Either way the request is over: its cookies go. */
	sso_finish_cookies_clear(a, req, resp);
}
