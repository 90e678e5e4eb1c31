/*
 * Shared by the ID-token tests (test_jose.c, test_oidc_token.c): keys made at
 * suite set-up (RSA 2048 twice, RSA 1024, EC P-256 twice), JWKS documents
 * built from their public parameters, tokens signed with EVP at test time,
 * and a verifier call with the expectations every test shares.
 */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rsa.h>

#include "onramp/limits.h"
#include "jose_test.h"

EVP_PKEY *jt_rsa, *jt_rsa2, *jt_rsa_small, *jt_ec, *jt_ec2;
arena *jt_arena;
char jt_jwks[8192];	/* rsa "r1", rsa2 "r2", ec "e1" */

char *
jt_b64u(const void *p, size_t n)
{
	unsigned char *tmp = arena_alloc(jt_arena, 4 * ((n + 2) / 3) + 1);
	char *out = (char *)tmp;
	int i, k = 0, len = EVP_EncodeBlock(tmp, p, (int)n);

	for (i = 0; i < len; i++)
		if (tmp[i] != '=')
			out[k++] = tmp[i] == '+' ? '-' : tmp[i] == '/' ? '_' : (char)tmp[i];
	out[k] = '\0';
	return out;
}

static char *
jt_bn_b64u(EVP_PKEY *k, const char *param, int pad)
{
	BIGNUM *bn = NULL;
	unsigned char buf[1024];
	int n;

	if (EVP_PKEY_get_bn_param(k, param, &bn) != 1)
		return NULL;
	n = pad ? BN_bn2binpad(bn, buf, pad) : BN_bn2bin(bn, buf);
	BN_free(bn);
	return jt_b64u(buf, (size_t)n);
}

/* One JWK of a key; extra is inserted as more members (may be ""). */
char *
jt_jwk(EVP_PKEY *k, const char *kid, const char *extra)
{
	char *out = arena_alloc(jt_arena, 2048);

	if (EVP_PKEY_is_a(k, "RSA"))
		snprintf(out, 2048, "{\"kty\":\"RSA\",%s%s%s\"n\":\"%s\",\"e\":\"%s\"%s}", kid ? "\"kid\":\"" : "",
			 kid ? kid : "", kid ? "\"," : "", jt_bn_b64u(k, OSSL_PKEY_PARAM_RSA_N, 0),
			 jt_bn_b64u(k, OSSL_PKEY_PARAM_RSA_E, 0), extra);
	else
		snprintf(out, 2048, "{\"kty\":\"EC\",\"crv\":\"P-256\",%s%s%s\"x\":\"%s\",\"y\":\"%s\"%s}",
			 kid ? "\"kid\":\"" : "", kid ? kid : "", kid ? "\"," : "",
			 jt_bn_b64u(k, OSSL_PKEY_PARAM_EC_PUB_X, 32), jt_bn_b64u(k, OSSL_PKEY_PARAM_EC_PUB_Y, 32), extra);
	return out;
}

char *
jt_keyset(const char *k1, const char *k2)
{
	char *out = arena_alloc(jt_arena, 8192);

	snprintf(out, 8192, "{\"keys\":[%s%s%s]}", k1, k2 ? "," : "", k2 ? k2 : "");
	return out;
}

/* The signature of input under alg ("RS256", "PS256", "ES256", "ES256-DER", "HS256"); NULL on failure. */
char *
jt_sign(const char *alg, EVP_PKEY *k, const void *hkey, size_t hkeylen, const char *input)
{
	unsigned char sig[1024], raw[64];
	size_t siglen = sizeof(sig);
	unsigned int hlen = 0;
	EVP_MD_CTX *ctx;
	EVP_PKEY_CTX *pctx = NULL;
	ECDSA_SIG *es;
	const unsigned char *p = sig;

	if (strcmp(alg, "HS256") == 0) {
		HMAC(EVP_sha256(), hkey, (int)hkeylen, (const unsigned char *)input, strlen(input), sig, &hlen);
		return jt_b64u(sig, hlen);
	}
	ctx = EVP_MD_CTX_new();
	CU_ASSERT_FATAL(EVP_DigestSignInit_ex(ctx, &pctx, "SHA256", NULL, NULL, k, NULL) == 1);
	if (strcmp(alg, "PS256") == 0) {
		EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
		EVP_PKEY_CTX_set_rsa_mgf1_md_name(pctx, "SHA256", NULL);
		EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 32);
	}
	CU_ASSERT_FATAL(EVP_DigestSign(ctx, sig, &siglen, (const unsigned char *)input, strlen(input)) == 1);
	EVP_MD_CTX_free(ctx);
	if (strcmp(alg, "ES256") != 0)
		return jt_b64u(sig, siglen);
	es = d2i_ECDSA_SIG(NULL, &p, (long)siglen);
	BN_bn2binpad(ECDSA_SIG_get0_r(es), raw, 32);
	BN_bn2binpad(ECDSA_SIG_get0_s(es), raw + 32, 32);
	ECDSA_SIG_free(es);
	return jt_b64u(raw, 64);
}

/* header.payload.signature from raw JSON texts. */
char *
jt_mint_raw(const char *alg, EVP_PKEY *k, const char *header, const char *claims)
{
	char *input = arena_alloc(jt_arena, 3 * strlen(header) + 3 * strlen(claims) + 16), *out;
	char *sig;

	snprintf(input, 3 * strlen(header) + 3 * strlen(claims) + 16, "%s.%s", jt_b64u(header, strlen(header)),
		 jt_b64u(claims, strlen(claims)));
	sig = jt_sign(alg, k, NULL, 0, input);
	out = arena_alloc(jt_arena, strlen(input) + strlen(sig) + 2);
	snprintf(out, strlen(input) + strlen(sig) + 2, "%s.%s", input, sig);
	return out;
}

/* The claims every good token has; a test edits them before minting. */
json_object *
jt_claims(void)
{
	json_object *c = json_object_new_object();

	json_object_object_add(c, "iss", json_object_new_string(ISS));
	json_object_object_add(c, "aud", json_object_new_string(CID));
	json_object_object_add(c, "sub", json_object_new_string("user-42-" MARK));
	json_object_object_add(c, "exp", json_object_new_int64(NOW + 300));
	json_object_object_add(c, "iat", json_object_new_int64(NOW - 10));
	json_object_object_add(c, "nonce", json_object_new_string(NONCE));
	json_object_object_add(c, "email", json_object_new_string("ana@example.com"));
	json_object_object_add(c, "email_verified", json_object_new_boolean(1));
	json_object_object_add(c, "preferred_username", json_object_new_string("ana"));
	json_object_object_add(c, "groups", json_object_new_string("onramp-admins"));
	return c;
}

/* Mint with header {"alg":alg[,"kid":kid]} and the claims c (released here). */
char *
jt_mint(const char *alg, EVP_PKEY *k, const char *kid, json_object *c)
{
	char header[128];
	char *t;

	snprintf(header, sizeof(header), "{\"alg\":\"%s\"%s%s%s}", alg, kid ? ",\"kid\":\"" : "", kid ? kid : "",
		 kid ? "\"" : "");
	t = jt_mint_raw(alg, k, header, json_object_to_json_string_ext(c, JSON_C_TO_STRING_PLAIN));
	json_object_put(c);
	return t;
}

oidc_identity jt_id;
oidc_failure jt_why;

oidc_verdict
jt_verify_with(const char *jwt, const char *jwks, unsigned algs)
{
	oidc_expect e = { ISS, CID, NONCE, algs, NOW, 120 };

	jt_why.key = jt_why.message = NULL;
	return oidc_id_token_verify(jt_arena, jwt, strlen(jwt), jwks, strlen(jwks), &e, NULL, &jt_id, &jt_why);
}

oidc_verdict
jt_verify(const char *jwt)
{
	return jt_verify_with(jwt, jt_jwks, JOSE_ALL);
}

/* Refused with key; the sentence names no claim contents. */
void
jt_refused(oidc_verdict v, const char *key)
{
	CU_ASSERT_EQUAL(v, OIDC_REFUSED);
	CU_ASSERT_PTR_NOT_NULL_FATAL(jt_why.key);
	if (strcmp(jt_why.key, key) != 0)
		fprintf(stderr, "want %s, got %s: %s\n", key, jt_why.key, jt_why.message);
	CU_ASSERT_STRING_EQUAL(jt_why.key, key);
	CU_ASSERT_PTR_NOT_NULL_FATAL(jt_why.message);
	CU_ASSERT_PTR_NULL(strstr(jt_why.message, MARK));
}

int
jt_init(void)
{
	jt_arena = arena_new(LIMIT_ARENA_BYTES);
	jt_rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	jt_rsa2 = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	jt_rsa_small = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	jt_ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	jt_ec2 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	if (!jt_arena || !jt_rsa || !jt_rsa2 || !jt_rsa_small || !jt_ec || !jt_ec2)
		return 1;
	snprintf(jt_jwks, sizeof(jt_jwks), "{\"keys\":[%s,%s,%s]}", jt_jwk(jt_rsa, "r1", ",\"use\":\"sig\""),
		 jt_jwk(jt_rsa2, "r2", ",\"alg\":\"PS256\""), jt_jwk(jt_ec, "e1", ""));
	return 0;
}

int
jt_clean(void)
{
	EVP_PKEY_free(jt_rsa);
	EVP_PKEY_free(jt_rsa2);
	EVP_PKEY_free(jt_rsa_small);
	EVP_PKEY_free(jt_ec);
	EVP_PKEY_free(jt_ec2);
	arena_free(jt_arena);
	return 0;
}
