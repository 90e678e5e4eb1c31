/*
 * Completing an OpenID Connect code flow at the callback (src/api/sso_flow.h):
 * the token request through the SSRF-guarded fetch (no redirects, a short
 * timeout, a cap per customer), the ID token verified by the pure jose code
 * against the customer's cached JWKS, and userinfo for missing claims.  The
 * client secret is opened only here, sent once and wiped from every buffer
 * we own; nothing of the request or the answers is logged or stored.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <openssl/crypto.h>

#include "onramp/fetch.h"
#include "onramp/limits.h"
#include "onramp/oidc_rp.h"
#include "onramp/sso_validate.h"
#include "sso_flow.h"

/*
 * The IdP calls of a sign-in: the user waits for them, so they get the short
 * timeout.  Only the JWKS (a public document, as validation fetched it)
 * follows redirects; a request that carries a secret or a token never does.
 */
static fetch_policy
signin_policy(const config *cfg, bool follow)
{
	fetch_policy p = sso_fetch_policy(cfg);

	p.timeout_ms = cfg->sso_token_timeout_ms;
	if (!follow)
		p.max_redirects = 0;
	return p;
}

/* One count per exchange against the customer's per-minute cap; false when over it. */
static bool
exchange_allowed(app *a, http_request *req, int64_t customer_id, or_status *st)
{
	char key[SECRET_HASH_HEX + 1], id[24];
	int64_t until = 0, now = api_now(req);

	snprintf(id, sizeof(id), "%lld", (long long)customer_id);
	auth_throttle_key("ssotoken:customer", id, key);
	/* One atomic count: the (cap+1)-th exchange within a minute finds the key locked. */
	*st = store_throttle_fail(a->db, key, now, 60, a->cfg->sso_token_exchanges_per_min + 1L, &until);
	return *st == OR_OK && until <= now;
}

/* The token request with the secret; every buffer holding it is wiped before this returns. */
static or_status
token_request(app *a, http_request *req, const sso_config *cfg, const sso_oidc_in *in, fetch_result *fr)
{
	unsigned char secret[LIMIT_SSO_CLIENT_SECRET_BYTES];
	char form[LIMIT_OIDC_TOKEN_FORM];
	bool post = cfg->idp.token_auth && strcmp(cfg->idp.token_auth, "client_secret_post") == 0;
	fetch_policy p = signin_policy(a->cfg, false);
	fetch_send send = { form, 0, NULL };
	size_t n = 0;
	or_status st = sso_secret_open(a, cfg->customer_id, secret, sizeof(secret), &n);

	if (st == OR_OK) {
		send.form_len = oidc_rp_token_form(form, sizeof(form), in->code, in->redirect_uri, in->verifier,
						   cfg->client_id, post ? secret : NULL, n);
		if (!post)
			send.authorization = oidc_basic_auth(req->arena, cfg->client_id, (const char *)secret, n);
		if (send.form_len == 0 || (!post && send.authorization == NULL))
			st = OR_ERR_NOMEM;
	}
	if (st == OR_OK)
		st = fetch_request(&p, req->arena, cfg->idp.token_endpoint, &send, fr);
	OPENSSL_cleanse(secret, sizeof(secret));
	OPENSSL_cleanse(form, sizeof(form));
	/* The header value lives in the request arena: wipe it there too (cast through uintptr_t: it is ours). */
	if (send.authorization)
		OPENSSL_cleanse((void *)(uintptr_t)send.authorization, strlen(send.authorization));
	return st;
}

/* Exchange the code; false with a failed check (and *status) when no ID token came back. */
static bool
exchange(app *a, http_request *req, const sso_config *cfg, const sso_oidc_in *in, sso_report *r, const char **idt,
	 const char **access, int *status)
{
	const char *err = NULL, *desc = NULL;
	fetch_result fr;
	or_status st = token_request(a, req, cfg, in, &fr);

	if (st != OR_OK) {
		*status = 503;
		sso_report_add(r, req->arena, "oidc.secret", false, SSO_ERROR, "%s",
			       st == OR_ERR_NOT_FOUND ? "No client secret is set for this configuration: set it in the "
							"single sign-on settings."
						      : "The client secret could not be used right now. Try again later.");
		return false;
	}
	if (fr.err != FETCH_OK && fr.err != FETCH_HTTP_STATUS) {
		*status = 502;
		sso_report_add(r, req->arena, "oidc.token_request", false, SSO_ERROR,
			       "The IdP's token endpoint could not be reached (%s): %s", fetch_error_code(fr.err),
			       fr.message);
		return false;
	}
	st = oidc_token_response_parse(req->arena, fr.body ? fr.body : "", fr.len, idt, access, &err, &desc);
	if (st == OR_OK) {
		sso_report_add(r, req->arena, "oidc.token", true, SSO_INFO,
			       "The IdP exchanged the code for tokens at its token endpoint (%s).",
			       cfg->idp.token_auth ? cfg->idp.token_auth : "client_secret_basic");
		return true;
	}
	*status = st == OR_ERR_NOMEM ? 500 : 502;
	if (st == OR_ERR_CONFLICT)
		sso_report_add(r, req->arena, "oidc.token", false, SSO_ERROR,
			       "The IdP's token endpoint refused the code (%s). Check the client id and secret, "
			       "and that the redirect URI is registered exactly as shown.", err);
	else
		sso_report_add(r, req->arena, "oidc.token", false, SSO_ERROR,
			       "The IdP's token endpoint answered without a usable ID token (HTTP status %ld).", fr.status);
	return false;
}

/* "oidc." + a jose failure key: the check's stable key in the test result. */
static const char *
check_key(arena *ar, const char *key)
{
	size_t n = strlen(key);
	char *k = arena_alloc(ar, n + 6);

	if (k == NULL)
		return "oidc.id_token";
	memcpy(k, "oidc.", 5);
	memcpy(k + 5, key, n + 1);
	return k;
}

/* ---- the JWKS cache ------------------------------------------------------------------ */

/* Fetch the JWKS into the cache; false with a failed check. */
static bool
jwks_fetch(app *a, http_request *req, const sso_config *cfg, const char *uri_hash, sso_report *r, const char **body,
	   int *status)
{
	fetch_policy p = signin_policy(a->cfg, true);
	fetch_result fr;
	or_status st;

	if (fetch_url(&p, req->arena, cfg->idp.jwks_uri, &fr) != OR_OK || fr.err != FETCH_OK) {
		*status = 502;
		sso_report_add(r, req->arena, "oidc.jwks", false, SSO_ERROR, "The IdP's signing keys (jwks_uri) could "
			       "not be fetched (%s): %s", fetch_error_code(fr.err), fr.message ? fr.message : "");
		return false;
	}
	if ((st = store_sso_jwks_put(a->db, cfg->customer_id, uri_hash, fr.body, api_now(req))) != OR_OK) {
		*status = 503;
		sso_report_add(r, req->arena, "oidc.jwks", false, SSO_ERROR, "The signing keys could not be stored.");
		return false;
	}
	*body = fr.body;
	return true;
}

/* The customer's JWKS: from the cache while younger than sso_jwks_ttl_s, else fetched (*fresh). */
static bool
jwks_current(app *a, http_request *req, const sso_config *cfg, const char *uri_hash, sso_report *r, const char **body,
	     bool *fresh, int *status)
{
	sso_jwks_entry e;
	or_status st = store_sso_jwks_get(a->db, req->arena, cfg->customer_id, uri_hash, &e);

	*fresh = false;
	if (st == OR_OK && e.fetched_at + a->cfg->sso_jwks_ttl_s > api_now(req)) {
		*body = e.body;
		return true;
	}
	if (st != OR_OK && st != OR_ERR_NOT_FOUND) {
		*status = 503;
		sso_report_add(r, req->arena, "oidc.jwks", false, SSO_ERROR, "The signing keys could not be read.");
		return false;
	}
	*fresh = true;
	return jwks_fetch(a, req, cfg, uri_hash, r, body, status);
}

/*
 * Verify the ID token; an unknown kid refetches the JWKS once, unless it was
 * fetched for this very request or another refetch happened within
 * LIMIT_SSO_JWKS_REFETCH_S (one conditional UPDATE across every worker).
 */
static bool
verify(app *a, http_request *req, const sso_config *cfg, const sso_oidc_in *in, const char *idt, sso_report *r,
       oidc_identity *id, int *status)
{
	char uh[SECRET_HASH_HEX + 1];
	const char *jwks = NULL;
	oidc_expect e = { cfg->idp.issuer, cfg->client_id, in->nonce, cfg->idp.algs, api_now(req), LIMIT_OIDC_SKEW_S };
	oidc_failure why = { "internal", "The ID token could not be checked." };
	oidc_verdict v;
	bool fresh;

	secret_sha256_hex(cfg->idp.jwks_uri, strlen(cfg->idp.jwks_uri), uh);
	if (!jwks_current(a, req, cfg, uh, r, &jwks, &fresh, status))
		return false;
	v = oidc_id_token_verify(req->arena, idt, strlen(idt), jwks, strlen(jwks), &e, &cfg->claims, id, &why);
	if (v == OIDC_UNKNOWN_KID && !fresh &&
	    store_sso_jwks_claim_refetch(a->db, cfg->customer_id, uh, api_now(req), LIMIT_SSO_JWKS_REFETCH_S) == OR_OK) {
		if (!jwks_fetch(a, req, cfg, uh, r, &jwks, status))
			return false;
		v = oidc_id_token_verify(req->arena, idt, strlen(idt), jwks, strlen(jwks), &e, &cfg->claims, id, &why);
	}
	if (v != OIDC_OK) {
		*status = 403;
		sso_report_add(r, req->arena, check_key(req->arena, why.key), false, SSO_ERROR, "%s", why.message);
		return false;
	}
	sso_report_add(r, req->arena, "oidc.id_token", true, SSO_INFO, "The ID token's signature and its claims "
		       "(issuer, audience, expiry, issue time, nonce, subject) are valid.");
	return true;
}

/* Claims the configuration maps that the ID token did not carry. */
static bool
claims_missing(const oidc_identity *id)
{
	return id->email == NULL || id->username == NULL || !id->has_groups;
}

/* Userinfo with the access token, merged into id (its sub must match); false with a failed check. */
static bool
userinfo(app *a, http_request *req, const sso_config *cfg, const char *access, sso_report *r, oidc_identity *id,
	 int *status)
{
	fetch_policy p = signin_policy(a->cfg, false);
	size_t n = strlen(access);
	char *bearer = arena_alloc(req->arena, n + 8);
	fetch_send send = { NULL, 0, bearer };
	oidc_failure why = { "userinfo", "The userinfo answer could not be read." };
	fetch_result fr;
	or_status st = bearer ? OR_OK : OR_ERR_NOMEM;

	if (st == OR_OK) {
		memcpy(bearer, "Bearer ", 7);
		memcpy(bearer + 7, access, n + 1);
		st = fetch_request(&p, req->arena, cfg->idp.userinfo_endpoint, &send, &fr);
		OPENSSL_cleanse(bearer, n + 7);
	}
	if (st != OR_OK || fr.err != FETCH_OK) {
		*status = 502;
		sso_report_add(r, req->arena, "oidc.userinfo", false, SSO_ERROR, "The IdP's userinfo endpoint could not "
			       "be used (%s): %s", fetch_error_code(st == OR_OK ? fr.err : FETCH_FAILED),
			       st == OR_OK && fr.message ? fr.message : "");
		return false;
	}
	if (!oidc_userinfo_merge(req->arena, fr.body, fr.len, &cfg->claims, id, &why)) {
		*status = 403;
		sso_report_add(r, req->arena, check_key(req->arena, why.key), false, SSO_ERROR, "%s", why.message);
		return false;
	}
	sso_report_add(r, req->arena, "oidc.userinfo", true, SSO_INFO,
		       "The claims the ID token lacked were asked from the IdP's userinfo endpoint (same subject).");
	return true;
}

bool
sso_oidc_complete(app *a, http_request *req, const sso_config *cfg, const sso_oidc_in *in, sso_report *r,
		  oidc_identity *id, int *status)
{
	const char *idt = NULL, *access = NULL;
	or_status st = OR_OK;

	memset(id, 0, sizeof(*id));
	if (!exchange_allowed(a, req, cfg->customer_id, &st)) {
		*status = st == OR_OK ? 429 : 503;
		sso_report_add(r, req->arena, "oidc.rate", false, SSO_ERROR, "%s", st == OR_OK
			       ? "Too many single sign-on attempts for this company right now. Wait a minute and try again."
			       : "Single sign-on is unavailable right now. Try again shortly.");
		return false;
	}
	if (!exchange(a, req, cfg, in, r, &idt, &access, status) || !verify(a, req, cfg, in, idt, r, id, status))
		return false;
	if (claims_missing(id) && cfg->idp.userinfo_endpoint && *cfg->idp.userinfo_endpoint && access &&
	    !userinfo(a, req, cfg, access, r, id, status))
		return false;
	return true;
}
