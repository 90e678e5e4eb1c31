/*
 * OpenID Connect discovery and JWKS validation (OpenID Connect Discovery 1.0,
 * RFC 7517/7518).  Pure: the caller fetches the documents (src/net/fetch.c)
 * and hands the bytes in; these functions parse them with json-c under the
 * limits of limits.h and fill an sso_report with one check per rule, so a
 * customer admin sees every problem at once.  Every string the report gets
 * lives in the arena passed in; nothing here must be freed by the caller.
 */
#ifndef ONRAMP_OIDC_DISC_H
#define ONRAMP_OIDC_DISC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "onramp/arena.h"
#include "onramp/sso_report.h"
#include "onramp/status.h"

/** The path Discovery 1.0 §4 appends to an issuer. */
#define OIDC_WELL_KNOWN "/.well-known/openid-configuration"

/** Claim names the customer's form maps to user attributes (each may be NULL). */
typedef struct oidc_claims {
	const char *username;	/* e.g. "preferred_username" */
	const char *email;	/* e.g. "email" */
	const char *groups;	/* e.g. "groups" */
} oidc_claims;

/** The ID-token algorithms onramp accepts by default: { "RS256", NULL }. */
extern const char *const oidc_default_algs[];

/**
 * Turn what the customer typed into the discovery URL and the issuer the
 * document must name.  input is a full ".../.well-known/openid-configuration"
 * URL or an issuer (a terminating "/" is dropped before the suffix is added).
 * https only unless allow_http; userinfo, query, fragment, whitespace and
 * malformed hosts are OR_ERR_INVALID; longer than LIMIT_OIDC_URL is
 * OR_ERR_LIMIT.  Both results are arena strings.
 */
or_status oidc_discovery_url(arena *a, const char *input, bool allow_http, const char **discovery_url,
			     const char **expected_issuer);

/**
 * Check a discovery document served at discovery_url against Discovery 1.0
 * and onramp's rules (issuer, https endpoints, "code", RS256, claims) and
 * fill out (initialised here as protocol "oidc") with checks and summary.
 * form may be NULL (no claims checked).
 */
void oidc_discovery_check(arena *a, const char *discovery_url, const char *json, size_t len, const oidc_claims *form,
			  sso_report *out);

/** oidc_discovery_check with the accepted ID-token algorithms given (NULL-terminated; NULL = default). */
void oidc_discovery_check_algs(arena *a, const char *discovery_url, const char *json, size_t len,
			       const oidc_claims *form, const char *const *algs, sso_report *out);

/**
 * Check a JWKS document: add checks to out (which the caller initialised,
 * usually by oidc_discovery_check) and count the RSA (>= 2048 bits) and EC
 * signing keys OpenSSL loads into out->usable_keys; none is an error.  An
 * x5c certificate expired at now (UNIX seconds) is a warning only.
 */
void oidc_jwks_check(arena *a, const char *json, size_t len, int64_t now, sso_report *out);

#endif
