/*
 * Stand-ins for two types other parts of issue 13 own, declared here exactly
 * as /work/notes/sso13.md writes them so the admission code builds before
 * they land: sso_config/sso_idp (owner "live", include/onramp/sso_store.h)
 * (oidc_identity now comes from include/onramp/jose.h).  At merge the
 * owner's declarations replace this file; field names are kept identical.
 */
#ifndef ONRAMP_SSO_TYPES_H
#define ONRAMP_SSO_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "onramp/jose.h"
#include "onramp/oidc_disc.h"

/** The resolved IdP a validated draft version or an approved/live config carries. */
typedef struct sso_idp {
	const char *issuer, *authorization_endpoint, *token_endpoint, *userinfo_endpoint, *jwks_uri;
	unsigned algs;				/* JOSE_* mask: discovery's algs ∩ {RS256,PS256,ES256} */
	const char *token_auth;			/* "client_secret_basic" or "client_secret_post" */
} sso_idp;

/** One whole configuration (the draft's validated version, the approved snapshot, or live). */
typedef struct sso_config {
	int64_t customer_id, version;
	const char *protocol, *client_id;
	const char **email_domains; size_t ndomains;
	const char **admin_groups; size_t nadmin;
	const char **member_groups; size_t nmember;
	const char **test_users; size_t ntest;
	oidc_claims claims;
	sso_idp idp;
} sso_config;


#endif
