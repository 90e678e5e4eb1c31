/*
 * The SSO sign-in flow inside src/api/ (issues 13 and 14): beginning a
 * request (POST /sso/start and POST /sso/tests share it; SAML's HTTP-POST
 * binding page rebuilds its request), completing the OIDC protocol at the
 * callback (token exchange, ID token, userinfo), and what the OIDC callback
 * and the SAML ACS then do alike for a test or a sign-in (sso_finish.c).
 * Shared by sso_signin.c, sso_oidc.c, sso_callback.c, sso_acs.c,
 * sso_finish.c, sso_saml_sp.c and sso_tests.c only.
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

/** What differs between the protocols at the end of an answer (sso_finish.c). */
typedef struct sso_answer_kind {
	const char *login_type;		/* "oidc" or "saml": the session, the account, the audit rows */
	const char *state_key;		/* check key of a pending request that cannot be used (expired, used, other browser) */
	const char *unknown_key;	/* check key of one that does not exist (with unknown_sentence) */
	const char *unknown_sentence;	/* its page's sentence; NULL: the generic one under state_key */
	const char *version_key;	/* check key of a configuration that changed meanwhile */
} sso_answer_kind;

/** A failure page (drops whatever resp held); detail (a check key) goes to the request's log line only. */
void sso_finish_page(http_request *req, http_response *resp, int status, const char *sentence, const char *detail);
/** Audit a refused sign-in of the customer with its login type and the check that refused it (never a value). */
void sso_finish_audit_refusal(app *a, http_request *req, int64_t customer_id, const char *login_type,
			      const char *key);
/** The customer the answer's path names ({slug}, params[0]); false with a 404 page (or 503) set. */
bool sso_finish_customer(app *a, http_request *req, http_response *resp, customer *c);
/** The pending cookie's browser token, NULL when absent or not a token's shape. */
const char *sso_finish_browser(http_request *req);
/**
 * Use the pending request of state (a token's shape, checked by the caller)
 * once: this customer, this browser, unused, unexpired.  False with the
 * refusal audited and its page set (or 503).
 */
bool sso_finish_consume(app *a, http_request *req, http_response *resp, const sso_answer_kind *k, int64_t customer_id,
			const char *state, const char *browser, sso_pending *p);
/** How an answer ended, for sso_finish. */
typedef struct sso_finish_in {
	or_status config_st;		/* sso_pending_config's answer (a database failure answers 503) */
	const sso_config *cfg;		/* when config_st is OR_OK */
	const sso_pending *p;
	sso_report *r;			/* every protocol check */
	const oidc_identity *id;	/* the identity when every check passed, else NULL */
	int status;			/* the refusal page's status when id is NULL */
	const char *invite_tok;		/* the invite cookie, NULL when none */
} sso_finish_in;

/**
 * Finish an answer alike for both protocols: a test's result
 * (sso_tests_finish); a sign-in (sso_admit, the session with k->login_type,
 * users.login_type for a password-less account, the audit) or its refusal
 * page, audited with the failed check's key.
 */
void sso_finish(app *a, http_request *req, http_response *resp, const sso_answer_kind *k, const sso_finish_in *in);
/** Clear the pending and invite cookies: the answer used them up either way. */
void sso_finish_cookies_clear(app *a, http_request *req, http_response *resp);

#endif
