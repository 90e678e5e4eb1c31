/*
 * The OpenID Connect relying party inside src/api/ (issue 13) and the SAML
 * service provider's start (issue 14): beginning a
 * request (POST /sso/start and POST /sso/tests share it), completing the
 * protocol at the callback (token exchange, ID token, userinfo), and what the
 * callback then does for a test or a sign-in.  Shared by sso_signin.c,
 * sso_oidc.c, sso_callback.c, sso_tests.c and sso_saml_sp.c only.
 */
#ifndef ONRAMP_API_SSO_FLOW_H
#define ONRAMP_API_SSO_FLOW_H

#include <stdbool.h>

#include "onramp/api.h"
#include "onramp/jose.h"
#include "onramp/sso_config.h"
#include "onramp/sso_report.h"
#include "onramp/sso_signin_store.h"
#include "onramp/sso_sp.h"

/* The browser binding of a pending request, and the invite a sign-in started with. */
#define SSO_PENDING_COOKIE "onramp_sso_pending"
#define SSO_INVITE_COOKIE "onramp_sso_invite"
/* Only the SSO endpoints (the callback among them) ever receive them. */
#define SSO_COOKIE_PATH "/api/v1/sso/"

/**
 * Begin an OIDC request for cfg inside the caller's transaction: new state
 * and browser tokens, the pending row (hashes only), the browser cookie;
 * *url is the authorization URL (nonce and S256 challenge derived from the
 * tokens).  purpose "signin" or "test" (test_id names the test).
 */
or_status sso_flow_begin(app *a, http_request *req, http_response *resp, const sso_config *cfg,
			 const char *purpose, int64_t test_id, const char *login_hint, const char **url);

/**
 * The configuration a pending request started with: the validated draft
 * (test) or the live one (sign-in), with customer_id set.  OR_ERR_VERSION
 * when that version is gone (changed or switched off while the browser was
 * at the IdP).  The OIDC callback, the SAML POST page and the ACS share it.
 */
or_status sso_pending_config(app *a, http_request *req, const sso_pending *p, sso_config *cfg);

/**
 * Where the browser goes to start a SAML request with ID request_id (sent at
 * now): the IdP's HTTP-Redirect URL carrying the AuthnRequest, or, when the
 * IdP takes only HTTP-POST, our page {entity}/post?RelayState=<state> that
 * posts it (sso_saml_sp.c).
 */
or_status sso_saml_start_url(arena *ar, const sso_config *cfg, const sso_sp *sp, const char *state,
			     const char *request_id, int64_t now, const char **url);

/**
 * The SameSite value of the SSO cookies of a protocol: "None" for SAML when
 * the public URL is https (the IdP's POST to the ACS is cross-site, so a Lax
 * cookie would not come with it), "Lax" otherwise.
 */
const char *sso_cookie_samesite(const app *a, const char *protocol);

/** What the callback hands to the protocol completion. */
typedef struct sso_oidc_in {
	const char *redirect_uri;
	const char *code;
	const char *verifier;
	const char *nonce;
} sso_oidc_in;

/**
 * Complete the code flow for cfg: the per-customer exchange cap, the token
 * request (client_secret_basic or _post, the secret wiped after it), the ID
 * token verified against the cached JWKS (one rate-limited refetch for an
 * unknown kid), userinfo when claims are missing.  Every protocol step adds
 * a check to r; false when one failed (*status is the page's status: 403
 * refused, 429 capped, 502 the IdP failed, 503 our database).
 */
bool sso_oidc_complete(app *a, http_request *req, const sso_config *cfg, const sso_oidc_in *in, sso_report *r,
		       oidc_identity *id, int *status);

/**
 * A test sign-in came back: evaluate the identity (when the protocol
 * completed), store the result against the test, audit, and send the
 * browser to the console's result view.
 */
void sso_tests_finish(app *a, http_request *req, http_response *resp, const sso_config *cfg,
		      const sso_pending *p, const sso_report *r, const oidc_identity *id);

#endif
