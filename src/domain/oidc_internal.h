/*
 * Helpers shared by the OIDC domain code (discovery and JWKS checks in
 * oidc_disc.c and oidc_jwks.c, ID-token verification in jose.c and
 * oidc_token.c) and nothing else: bounded JSON parsing of IdP documents,
 * base64 decoding, JWK to key loading and the small URL splitter the https
 * rules use.
 */
#ifndef ONRAMP_OIDC_INTERNAL_H
#define ONRAMP_OIDC_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>
#include <openssl/evp.h>

#include "onramp/arena.h"
#include "onramp/jose.h"
#include "onramp/sso_report.h"

/** The parts of an absolute http(s) URL, as views into the string given. */
typedef struct oidc_url {
	bool https;		/* scheme is https (else http) */
	const char *host;	/* authority without port */
	size_t hostlen;
	const char *rest;	/* from the first '/', '?' or '#' after the authority ("" if none) */
	bool has_userinfo, has_query, has_fragment;
} oidc_url;

/**
 * Parse an IdP JSON document: strip a UTF-8 BOM, refuse more than
 * LIMIT_OIDC_JSON_BYTES, NUL bytes, nesting deeper than LIMIT_OIDC_JSON_DEPTH,
 * invalid UTF-8 and anything but whitespace after the value.  Returns a
 * json-c reference the caller puts, or NULL with *why set to a sentence.
 */
json_object *oidc_json_parse(const char *json, size_t len, const char **why);
/** oidc_json_parse with another nesting limit (the JOSE code uses LIMIT_JOSE_JSON_DEPTH). */
json_object *oidc_json_parse_depth(const char *json, size_t len, int depth, const char **why);
/**
 * True when no object in root (parsed from json) had a member name twice:
 * json-c keeps the last of duplicates silently, and a token whose claims
 * two parsers read differently must not be accepted.
 */
bool oidc_json_members_unique(json_object *root, const char *json, size_t len);
/**
 * oidc_json_parse, then require an object; adds check key (ok or failed,
 * naming what, e.g. "discovery document") to out.  NULL when not usable.
 */
json_object *oidc_json_object(arena *a, const char *json, size_t len, const char *key, const char *what,
			      sso_report *out);
/** A string member of obj, or NULL when absent or not a string. */
const char *oidc_json_str(json_object *obj, const char *name);
/**
 * A string member of obj of at most max bytes without NUL characters, or
 * NULL: json-c cuts a C string at "\u0000", so "admin\u0000x" would read
 * as "admin" where another parser reads it whole.
 */
const char *oidc_json_text(json_object *obj, const char *name, size_t max);
/** oidc_json_text for a value (an array element): a string of at most max bytes without NUL, or NULL. */
const char *oidc_json_text_of(json_object *v, size_t max);
/** Decode base64 or base64url (padding optional, no whitespace) into arena bytes; NULL on error. */
unsigned char *oidc_b64_decode(arena *a, const char *s, size_t len, size_t *outlen);
/**
 * The one base64 decoder of the OIDC code: alphabets as str_b64_value's flags;
 * strict refuses padding and non-zero unused bits (RFC 7515's base64url, one
 * spelling per byte string), lenient drops trailing '='.  Arena result.
 */
unsigned char *oidc_b64_decode_ex(arena *a, const char *s, size_t len, int alphabets, bool strict, size_t *outlen);
/**
 * The public key of JWK k (kty "RSA" with n/e, or "EC" with crv/x/y) as an
 * EVP_PKEY the caller frees.  NULL with *why set to a sentence fragment when
 * the parameters form no key; NULL with *weak_bits set (else 0) when it is an
 * RSA key under LIMIT_MIN_RSA_BITS, which is never used.
 */
EVP_PKEY *oidc_jwk_pkey(arena *a, json_object *k, const char **why, int *weak_bits);
/** Is JWK k (of type kty) meant for signatures: "use" absent or "sig", "alg" absent or a signing alg of kty. */
bool oidc_jwk_signing(json_object *k, const char *kty);
/** A JOSE header, ID-token claims, userinfo or token answer: a JSON object under LIMIT_JOSE_JSON_DEPTH with unique member names, or NULL with *why set. */
json_object *oidc_json_jose_object(const char *json, size_t len, const char **why);
/** Set why to key and the formatted sentence (arena; a fixed sentence when out of memory); returns OIDC_REFUSED. */
oidc_verdict oidc_refuse(arena *a, oidc_failure *why, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/** A copy of s fit to quote in a message: at most max bytes, printable ASCII only (others become '?'). */
const char *oidc_printable(arena *a, const char *s, size_t max);
/** Split an absolute http/https URL; false when it is not one (bad scheme, empty or bad host, spaces). */
bool oidc_url_split(const char *s, oidc_url *u);

#endif
