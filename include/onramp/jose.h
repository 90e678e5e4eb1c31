/*
 * JOSE and OpenID Connect ID-token rules (RFC 7515/7517/7518, OpenID Connect
 * Core 1.0 section 3.1.3.7, RFC 7636, RFC 6749 section 2.3.1).  Pure: the
 * caller fetches the token answer, the JWKS and userinfo (src/net/fetch.c)
 * and hands the bytes in with the request's clock.  The algorithm is pinned
 * by the caller's mask (the approved configuration), never taken from the
 * token alone; the key comes only from the JWKS given, never from the token's
 * header (jwk, jku, x5u, x5c are ignored).  Every string handed back lives in
 * the arena passed in; failures carry a stable key and a sentence a customer
 * admin understands, which never quotes token contents other than the alg,
 * kid and iss names.
 */
#ifndef ONRAMP_JOSE_H
#define ONRAMP_JOSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "onramp/arena.h"
#include "onramp/oidc_disc.h"
#include "onramp/status.h"

/* Algorithms as a bit mask; the approved config pins a subset. */
/** RSASSA-PKCS1-v1_5 with SHA-256. */
#define JOSE_RS256 1u
/** RSASSA-PSS with SHA-256, MGF1 SHA-256, 32-byte salt. */
#define JOSE_PS256 2u
/** ECDSA on P-256 with SHA-256, signature as raw r||s (64 bytes). */
#define JOSE_ES256 4u
/** Every algorithm onramp implements. */
#define JOSE_ALL (JOSE_RS256 | JOSE_PS256 | JOSE_ES256)

/** Mask of the first n names (stopping at a NULL; unknown names ignored), e.g. discovery's algs. */
unsigned jose_alg_mask(const char *const *names, size_t n);
/** The name of one alg bit ("RS256"...), NULL otherwise. */
const char *jose_alg_name(unsigned bit);

/** What the relying party expects of an ID token. */
typedef struct oidc_expect {
	const char *issuer;	/* exact string compare */
	const char *client_id;
	const char *nonce;	/* NULL: not checked (no nonce was sent) */
	unsigned algs;		/* allowed JOSE_* bits */
	int64_t now;		/* UNIX seconds, the request's clock */
	int64_t skew_s;		/* 120 */
} oidc_expect;

/** The identity an ID token (plus userinfo) gave. Strings in the arena; NULL when absent. */
typedef struct oidc_identity {
	const char *sub, *email, *username;
	int email_verified;		/* -1 absent, 0 false (or not a clear true), 1 true */
	const char **groups;		/* groups claim: array of strings, or one string */
	size_t ngroups;
	bool has_groups;		/* the groups claim was present at all */
	const char *issuer;
} oidc_identity;

/**
 * Why verification stopped: a stable key ("format", "alg", "crit", "kid",
 * "key", "jwks", "signature", "iss", "aud", "azp", "exp", "iat", "nbf",
 * "nonce", "sub", "groups", "userinfo", "userinfo_sub", "internal") and a
 * sentence a customer admin understands.
 */
typedef struct oidc_failure {
	const char *key;
	const char *message;
} oidc_failure;

/** The outcome of a verification; OIDC_UNKNOWN_KID asks the caller to refetch the JWKS once. */
typedef enum oidc_verdict { OIDC_OK = 0, OIDC_UNKNOWN_KID, OIDC_REFUSED } oidc_verdict;

/** A compact JWS whose signature verified. */
typedef struct jose_jws {
	unsigned alg;			/* the JOSE_* bit it was signed with */
	const char *kid;		/* the header's kid, or NULL */
	const unsigned char *payload;	/* decoded payload (arena), not NUL-terminated */
	size_t payload_len;
} jose_jws;

/**
 * Verify a compact JWS with a key of jwks under the algorithms of mask algs
 * (never "none", never HMAC; crit refused).  The key: the one whose kid the
 * header names (kty, use, alg and key_ops must fit the algorithm), or with no
 * kid the single usable key of the algorithm.  OIDC_UNKNOWN_KID (with *why
 * set) when the kid names no key in jwks, or no kid is given and jwks has no
 * key for the algorithm at all: the caller may refetch the JWKS once.
 */
oidc_verdict jose_jws_verify(arena *a, const char *jwt, size_t len, const char *jwks, size_t jwks_len,
			     unsigned algs, jose_jws *out, oidc_failure *why);

/**
 * Verify a compact JWS ID token against a JWKS document and the expectations;
 * fill id (claim names from names, which may be NULL) on OIDC_OK;
 * OIDC_UNKNOWN_KID as jose_jws_verify; OIDC_REFUSED with *why set otherwise.
 * Claims: iss exact; aud a string or list containing client_id; several
 * audiences need azp; azp, when present, is client_id; exp required and
 * after now - skew; iat required and not after now + skew; nbf, when present,
 * not after now + skew; nonce equal when e->nonce is set; sub a non-empty
 * string of at most LIMIT_OIDC_SUB_BYTES.
 */
oidc_verdict oidc_id_token_verify(arena *a, const char *jwt, size_t len, const char *jwks, size_t jwks_len,
				  const oidc_expect *e, const oidc_claims *names, oidc_identity *id,
				  oidc_failure *why);

/**
 * Merge a userinfo JSON answer into id: its sub must equal id->sub (else
 * false with why "userinfo_sub"); only claims id lacks are taken, and
 * email_verified only together with (or for the same) email.
 */
bool oidc_userinfo_merge(arena *a, const char *json, size_t len, const oidc_claims *names, oidc_identity *id,
			 oidc_failure *why);

/**
 * Parse a token endpoint answer.  OR_OK: *id_token set, *access_token set or
 * NULL, *error NULL.  OR_ERR_CONFLICT: an OAuth error answer, *error set to
 * its code (or "invalid_error" when the code is not RFC 6749 text) and
 * *error_description to its text or NULL.  OR_ERR_INVALID: not a JSON
 * object, or no id_token.  OR_ERR_NOMEM.  Strings in the arena.
 */
or_status oidc_token_response_parse(arena *a, const char *json, size_t len, const char **id_token,
				    const char **access_token, const char **error, const char **error_description);

/** RFC 7636 S256 challenge of verifier (43..128 chars) into out (base64url, 43 chars + NUL). */
void oidc_pkce_challenge(const char *verifier, char out[44]);

/**
 * RFC 6749 section 2.3.1: "Basic " + base64(urlencode(id) ":" urlencode(secret)),
 * in the arena (NULL when out of memory).  The caller wipes the result
 * (OPENSSL_cleanse over its strlen) once the request is sent.
 */
const char *oidc_basic_auth(arena *a, const char *client_id, const char *secret, size_t secret_len);

/**
 * application/x-www-form-urlencoded form of n bytes at s (WHATWG URL: ASCII
 * letters, digits and "*-._" stay, space becomes "+", every other byte %XX),
 * in the arena; NULL when out of memory.
 */
char *oidc_form_urlencode(arena *a, const char *s, size_t n);

#endif
