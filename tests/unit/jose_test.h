/*
 * Shared by the ID-token tests (test_jose.c, test_oidc_token.c): keys,
 * JWKS and tokens made at test time (jose_test.c), and the verifier call
 * with the expectations every test shares.
 */
#ifndef ONRAMP_JOSE_TEST_H
#define ONRAMP_JOSE_TEST_H

#include <stddef.h>

#include <json-c/json.h>
#include <openssl/evp.h>

#include "onramp/jose.h"
#include "unit.h"

/** The request clock every test uses. */
#define NOW INT64_C(1800000000)
#define ISS "https://idp.example.com/tenant"
#define CID "onramp-client"
#define NONCE "n-0S6_WzA2Mj"
/** A claim value no refusal sentence may quote. */
#define MARK "MARKER-7731"

/** Keys made by jt_init: RSA 2048 ("r1", "r2"), RSA 1024, EC P-256 ("e1") and a second P-256. */
extern EVP_PKEY *jt_rsa, *jt_rsa2, *jt_rsa_small, *jt_ec, *jt_ec2;
/** The arena every helper allocates from. */
extern arena *jt_arena;
/** {"keys":[r1 (use sig), r2 (alg PS256), e1]}. */
extern char jt_jwks[8192];
/** What the last jt_verify* filled. */
extern oidc_identity jt_id;
/** Why the last jt_verify* refused. */
extern oidc_failure jt_why;

/** Unpadded base64url of n bytes (arena). */
char *jt_b64u(const void *p, size_t n);
/** One JWK of key k with kid (NULL: none); extra adds members (",\"use\":\"enc\"" or ""). */
char *jt_jwk(EVP_PKEY *k, const char *kid, const char *extra);
/** {"keys":[k1, k2]} (k2 may be NULL). */
char *jt_keyset(const char *k1, const char *k2);
/** base64url signature of input: "RS256", "PS256", "ES256" (raw r||s) with k, or "HS256" keyed with hkey. */
char *jt_sign(const char *alg, EVP_PKEY *k, const void *hkey, size_t hkeylen, const char *input);
/** header.payload.signature from raw JSON texts, signed with alg and k. */
char *jt_mint_raw(const char *alg, EVP_PKEY *k, const char *header, const char *claims);
/** The claims of a good token (iss, aud, sub with MARK, exp, iat, nonce, email, username, groups). */
json_object *jt_claims(void);
/** Mint with header {"alg":alg[,"kid":kid]} and the claims c (released here). */
char *jt_mint(const char *alg, EVP_PKEY *k, const char *kid, json_object *c);
/** Verify jwt against jwks under the mask algs with the shared expectations. */
oidc_verdict jt_verify_with(const char *jwt, const char *jwks, unsigned algs);
/** jt_verify_with(jwt, jt_jwks, JOSE_ALL). */
oidc_verdict jt_verify(const char *jwt);
/** Assert v is a refusal with key, whose sentence does not quote MARK. */
void jt_refused(oidc_verdict v, const char *key);
/** Suite set-up: the keys, the arena and jt_jwks (0 = ok). */
int jt_init(void);
/** Suite teardown. */
int jt_clean(void);

#endif
