/*
 * The relying party's own pure pieces of an OpenID Connect sign-in (no I/O):
 * the nonce and PKCE verifier derived from the pending request's two tokens,
 * the authorization URL and the token request's form.  Nothing secret of an
 * exchange is stored: the state and browser tokens are kept only as hashes,
 * and the nonce and verifier are HMAC-SHA256 of the state under the browser
 * token, so whoever saw the authorization URL (state, challenge) still cannot
 * compute the verifier without the browser's cookie.
 */
#ifndef ONRAMP_OIDC_RP_H
#define ONRAMP_OIDC_RP_H

#include <stddef.h>

#include "onramp/arena.h"
#include "onramp/secret.h"

/** What an HMAC derivation is for: the two never share a value. */
typedef enum oidc_rp_purpose { OIDC_RP_NONCE = 0, OIDC_RP_PKCE } oidc_rp_purpose;

/**
 * base64url(HMAC-SHA256(key = browser token, "nonce|" or "pkce|" + state)):
 * SECRET_TOKEN_LEN characters + NUL, a valid RFC 7636 verifier.
 */
void oidc_rp_derive(const char *browser_token, oidc_rp_purpose purpose, const char *state,
		    char out[SECRET_TOKEN_LEN + 1]);

/** The parameters of an authorization request (all required but login_hint). */
typedef struct oidc_rp_authorize {
	const char *endpoint;		/* the IdP's authorization_endpoint (may carry a query) */
	const char *client_id;
	const char *redirect_uri;
	const char *state;
	const char *nonce;
	const char *code_challenge;	/* S256 of the verifier */
	const char *login_hint;		/* NULL: none */
} oidc_rp_authorize;

/** The authorization URL (code flow, scope "openid email profile", S256) in the arena; NULL when out of memory. */
const char *oidc_rp_authorize_url(arena *a, const oidc_rp_authorize *p);

/**
 * The token request's form into out (cap bytes, the caller wipes it):
 * grant_type=authorization_code, code, redirect_uri, code_verifier, and for
 * client_secret_post also client_id and client_secret (secret NULL: basic
 * authentication, sent in a header instead).  Returns the length, or 0 when
 * it does not fit.
 */
size_t oidc_rp_token_form(char *out, size_t cap, const char *code, const char *redirect_uri, const char *verifier,
			  const char *client_id, const unsigned char *secret, size_t secret_len);

#endif
