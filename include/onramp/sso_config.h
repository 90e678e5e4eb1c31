/*
 * One whole SSO configuration: what a validated draft version resolved, what
 * an operator approved, and what sign-in uses once live.  The three are the
 * same JSON document (sso_settings.validated_idp, sso_settings.approved_config,
 * sso_live.config), written and read only here, so the approved snapshot is
 * exactly what validation resolved and the live one exactly what was approved.
 * Pure: json-c only; every string lives in the arena passed in.
 */
#ifndef ONRAMP_SSO_CONFIG_H
#define ONRAMP_SSO_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "onramp/arena.h"
#include "onramp/jose.h"
#include "onramp/oidc_disc.h"
#include "onramp/sso_report.h"
#include "onramp/status.h"

/** Cap on each list of a configuration (domains, groups, test users), as the form's. */
#define SSO_CONFIG_MAX_LIST 50

/** The resolved IdP a validated draft version or an approved/live config carries. */
typedef struct sso_idp {
	const char *issuer, *authorization_endpoint, *token_endpoint, *userinfo_endpoint, *jwks_uri;
	unsigned algs;			/* JOSE_* mask: discovery's algs ∩ {RS256,PS256,ES256} */
	const char *token_auth;		/* "client_secret_basic" or "client_secret_post" */
	bool iss_param;			/* discovery promises RFC 9207 iss in authorization answers: required then */
	/* SAML (issue 14 adds the signing certificates): what the metadata check resolved. */
	const char *saml_entity_id;
	const char *saml_sso_url;
	const char *saml_sso_binding;	/* "HTTP-Redirect" or "HTTP-POST" */
	/*
	 * The IdP's signing certificates from the validated metadata (use="signing"
	 * or no use), base64 DER without whitespace: the only keys a SAML response
	 * is ever verified with (never a key carried in the message).
	 */
	const char **saml_certs; size_t nsaml_certs;
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

/** The algorithms onramp can verify, in order of preference: { "RS256", "PS256", "ES256", NULL }. */
extern const char *const sso_config_algs[];

/** The JOSE_* bit of an algorithm name onramp accepts (0 for any other name). */
unsigned sso_config_alg_bit(const char *name);

/**
 * Serialise c into its JSON form (an arena string); NULL when out of memory.
 * customer_id is not part of it: the row that holds the document says whose it is.
 */
const char *sso_config_json(arena *a, const sso_config *c);

/**
 * Parse the JSON form into out (strings in the arena).  OR_ERR_INVALID for a
 * document that is not one whole configuration: not an object, an unknown
 * protocol, a list that is not strings or is longer than SSO_CONFIG_MAX_LIST,
 * OIDC without client id, issuer, authorization/token endpoint, jwks_uri, an
 * accepted algorithm or a token endpoint auth method; SAML without entity id
 * or SSO URL.  out->customer_id is left 0 for the caller.
 */
or_status sso_config_parse(arena *a, const char *json, size_t len, sso_config *out);

/**
 * Resolve the IdP from a discovery document that oidc_discovery_check passed:
 * issuer and endpoints, the accepted algorithms it offers, and the token
 * endpoint auth method (client_secret_basic when offered or when the document
 * names none, the spec's default; else client_secret_post).  Adds the check
 * "oidc.token_auth" to r (an error when neither method is offered).
 */
void sso_config_resolve_oidc(arena *a, const char *json, size_t len, sso_idp *out, sso_report *r);

#endif
