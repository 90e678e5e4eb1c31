/*
 * Starting an OpenID Connect or SAML request: POST /api/v1/sso/start (a user
 * types a work email on the sign-in page) and sso_flow_begin, which POST
 * /sso/tests shares.  The pending request is stored server-side as hashes only; the
 * browser that started it holds the other half in a cookie, so an answer
 * finished in another browser fails, and the nonce and PKCE verifier are
 * derived from both tokens instead of being stored.
 */
#include <string.h>
#include <openssl/crypto.h>

#include "onramp/identity.h"
#include "onramp/limits.h"
#include "onramp/oidc_rp.h"
#include "onramp/saml_sp.h"
#include "onramp/sso_sp.h"
#include "handlers.h"
#include "sso_flow.h"

#define MSG_NOT_AVAILABLE "Single sign-on is not available for this email address. Sign in with your password."
#define MSG_STARTS "Too many single sign-on attempts from this address. Try again later."

/* The pending row of a new request (hashes of both tokens only; SAML: the AuthnRequest ID). */
static or_status
store_pending(app *a, http_request *req, const sso_config *cfg, const char *purpose, int64_t test_id,
	      const char *state, const char *browser, const char *request_id)
{
	char sh[SECRET_HASH_HEX + 1], bh[SECRET_HASH_HEX + 1];
	sso_pending_new p;

	secret_sha256_hex(state, SECRET_TOKEN_LEN, sh);
	secret_sha256_hex(browser, SECRET_TOKEN_LEN, bh);
	memset(&p, 0, sizeof(p));
	p.state_hash = sh;
	p.browser_hash = bh;
	p.customer_id = cfg->customer_id;
	p.purpose = purpose;
	p.test_id = test_id;
	p.protocol = cfg->protocol;
	p.version = cfg->version;
	p.request_id = request_id;
	p.now = api_now(req);
	p.expires_at = p.now + LIMIT_SSO_PENDING_TTL_S;
	return store_sso_pending_create(a->db, &p);
}

/* The OIDC authorization URL: nonce and S256 challenge derived from the two tokens. */
static or_status
oidc_url(http_request *req, const sso_config *cfg, const sso_sp *sp, const char *state, const char *browser,
	 const char *login_hint, const char **url)
{
	char nonce[SECRET_TOKEN_LEN + 1], verifier[SECRET_TOKEN_LEN + 1], challenge[44];
	oidc_rp_authorize az;

	oidc_rp_derive(browser, OIDC_RP_NONCE, state, nonce);
	oidc_rp_derive(browser, OIDC_RP_PKCE, state, verifier);
	oidc_pkce_challenge(verifier, challenge);
	OPENSSL_cleanse(verifier, sizeof(verifier));
	az = (oidc_rp_authorize){ cfg->idp.authorization_endpoint, cfg->client_id, sp->redirect_uri, state, nonce,
				  challenge, login_hint };
	*url = oidc_rp_authorize_url(req->arena, &az);
	return *url ? OR_OK : OR_ERR_NOMEM;
}

or_status
sso_flow_begin(app *a, http_request *req, http_response *resp, const sso_config *cfg, const char *purpose,
	       int64_t test_id, const char *login_hint, const char **url)
{
	char state[SECRET_TOKEN_LEN + 1], browser[SECRET_TOKEN_LEN + 1], rid[SAML_REQUEST_ID_LEN + 1];
	bool saml = strcmp(cfg->protocol, "saml") == 0;
	customer c;
	sso_sp sp;
	or_status st;

	*url = NULL;
	if ((st = secret_token_new(state)) != OR_OK || (st = secret_token_new(browser)) != OR_OK ||
	    (st = store_customer_get(a->db, req->arena, cfg->customer_id, &c)) != OR_OK ||
	    (st = sso_sp_urls(a, req->arena, c.slug, &sp)) != OR_OK)
		goto out;
	if (saml && (st = saml_request_id(rid)) == OR_OK)
		st = sso_saml_start_url(req->arena, cfg, &sp, state, rid, api_now(req), url);
	else if (!saml)
		st = oidc_url(req, cfg, &sp, state, browser, login_hint, url);
	if (st == OR_OK && (st = store_pending(a, req, cfg, purpose, test_id, state, browser, saml ? rid : NULL)) == OR_OK)
		st = auth_cookie_set_samesite(a, req, resp, SSO_PENDING_COOKIE, browser, SSO_COOKIE_PATH,
					      LIMIT_SSO_PENDING_TTL_S, sso_cookie_samesite(a, cfg->protocol));
out:
	OPENSSL_cleanse(browser, sizeof(browser));
	return st;
}

/* Every start counts against the client address (a cheap way to probe which domains have SSO otherwise). */
static bool
start_allowed(app *a, http_request *req, http_response *resp)
{
	char key[SECRET_HASH_HEX + 1];
	const char *keys[] = { key };

	auth_throttle_key("ssostart:addr", req->remote_addr, key);
	if (!auth_throttle_check(a, req, resp, keys, 1, MSG_STARTS))
		return false;
	auth_throttle_count(a, req, key, a->cfg->sso_starts_per_addr);
	return true;
}

static const char *const start_fields[] = { "email", "invite_token", NULL };

/* The body of POST /sso/start: a normalised email and an optional invite token; false with resp set. */
static bool
read_start(http_request *req, http_response *resp, char email[IDENTITY_EMAIL_MAX + 1], const char **invite_tok)
{
	const char *in;

	if (!input_allowed(req, resp, start_fields))
		return false;
	in = input_string(req, resp, "email", true, IDENTITY_EMAIL_MAX);
	*invite_tok = input_string(req, resp, "invite_token", false, LIMIT_TOKEN_BYTES);
	if (in && identity_email_normalize(in, email, IDENTITY_EMAIL_MAX + 1) != OR_OK)
		(void)http_field_error_add(req, resp, "email", "invalid_email", "Enter an email address like name@example.com.");
	if (*invite_tok && !secret_token_shape_ok(*invite_tok))
		(void)http_field_error_add(req, resp, "invite_token", "invalid", "This invite link is not valid.");
	return input_ok(resp);
}

/*
 * The customer whose live sign-in (OIDC or SAML) the email's domain starts;
 * false when there is none (unknown domain, not live), with resp set to the
 * one answer for all of them.
 */
static bool
live_config(app *a, http_request *req, http_response *resp, const char *email, sso_config *cfg)
{
	const char *domain = strrchr(email, '@') + 1;
	int64_t customer_id = 0;
	or_status st = store_sso_live_by_domain(a->db, domain, &customer_id);

	if (st == OR_OK)
		st = store_sso_live_get(a->db, req->arena, customer_id, cfg);
	if (st == OR_ERR_NOT_FOUND) {
		http_error(resp, 404, "sso_not_available", MSG_NOT_AVAILABLE);
		return false;
	}
	if (st != OR_OK) {
		api_fail_db(a, req, resp, st);
		return false;
	}
	cfg->customer_id = customer_id;
	return true;
}

void
api_sso_start(app *a, http_request *req, http_response *resp)
{
	char email[IDENTITY_EMAIL_MAX + 1];
	const char *invite_tok = NULL, *url = NULL;
	sso_config cfg;
	json_object *o;
	or_status st;

	if (!read_start(req, resp, email, &invite_tok) || !start_allowed(a, req, resp) ||
	    !live_config(a, req, resp, email, &cfg))
		return;
	st = db_begin(a->db);
	if (st == OR_OK)
		st = sso_flow_begin(a, req, resp, &cfg, "signin", 0, email, &url);
	/* The invite travels in its own cookie, to the callback only; none clears an old one. */
	if (st == OR_OK)
		st = auth_cookie_set_samesite(a, req, resp, SSO_INVITE_COOKIE, invite_tok ? invite_tok : "",
					      SSO_COOKIE_PATH, invite_tok ? LIMIT_SSO_PENDING_TTL_S : 0,
					      sso_cookie_samesite(a, cfg.protocol));
	if (!api_commit(a, req, resp, st))
		return;
	o = json_object_new_object();
	json_object_object_add(o, "redirect_url", json_object_new_string(url));
	http_json(resp, 200, o);
}
