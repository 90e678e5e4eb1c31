/*
 * Unit tests for ID-token verification (src/domain/jose.c, oidc_token.c).
 * Every vector is made at test time: the suite set-up generates RSA 2048,
 * RSA 1024 and EC P-256 keys with OpenSSL, the JWKS documents are built from
 * their public parameters, and each test signs its tokens with EVP (HMAC for
 * the HS256 attacks), so nothing here trusts a hard-coded signature.  The
 * clock is the constant NOW.
 */
#include <string.h>

#include <json-c/json.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/x509.h>
#include <openssl/rsa.h>

#include "onramp/jose.h"
#include "onramp/limits.h"
#include "unit.h"

#define NOW INT64_C(1800000000)
#define ISS "https://idp.example.com/tenant"
#define CID "onramp-client"
#define NONCE "n-0S6_WzA2Mj"
#define MARK "MARKER-7731"	/* a claim value no message may quote */

static EVP_PKEY *rsa, *rsa2, *rsa_small, *ec, *ec2;
static arena *A;
static char jwks_all[8192];	/* rsa "r1", rsa2 "r2", ec "e1" */

/* ---- building tokens ---------------------------------------------------------------------- */

static char *
b64u(const void *p, size_t n)
{
	unsigned char *tmp = arena_alloc(A, 4 * ((n + 2) / 3) + 1);
	char *out = (char *)tmp;
	int i, k = 0, len = EVP_EncodeBlock(tmp, p, (int)n);

	for (i = 0; i < len; i++)
		if (tmp[i] != '=')
			out[k++] = tmp[i] == '+' ? '-' : tmp[i] == '/' ? '_' : (char)tmp[i];
	out[k] = '\0';
	return out;
}

static char *
bn_b64u(EVP_PKEY *k, const char *param, int pad)
{
	BIGNUM *bn = NULL;
	unsigned char buf[1024];
	int n;

	if (EVP_PKEY_get_bn_param(k, param, &bn) != 1)
		return NULL;
	n = pad ? BN_bn2binpad(bn, buf, pad) : BN_bn2bin(bn, buf);
	BN_free(bn);
	return b64u(buf, (size_t)n);
}

/* One JWK of a key; extra is inserted as more members (may be ""). */
static char *
jwk(EVP_PKEY *k, const char *kid, const char *extra)
{
	char *out = arena_alloc(A, 2048);

	if (EVP_PKEY_is_a(k, "RSA"))
		snprintf(out, 2048, "{\"kty\":\"RSA\",%s%s%s\"n\":\"%s\",\"e\":\"%s\"%s}", kid ? "\"kid\":\"" : "",
			 kid ? kid : "", kid ? "\"," : "", bn_b64u(k, OSSL_PKEY_PARAM_RSA_N, 0),
			 bn_b64u(k, OSSL_PKEY_PARAM_RSA_E, 0), extra);
	else
		snprintf(out, 2048, "{\"kty\":\"EC\",\"crv\":\"P-256\",%s%s%s\"x\":\"%s\",\"y\":\"%s\"%s}",
			 kid ? "\"kid\":\"" : "", kid ? kid : "", kid ? "\"," : "",
			 bn_b64u(k, OSSL_PKEY_PARAM_EC_PUB_X, 32), bn_b64u(k, OSSL_PKEY_PARAM_EC_PUB_Y, 32), extra);
	return out;
}

static char *
keyset(const char *k1, const char *k2)
{
	char *out = arena_alloc(A, 8192);

	snprintf(out, 8192, "{\"keys\":[%s%s%s]}", k1, k2 ? "," : "", k2 ? k2 : "");
	return out;
}

/* The signature of input under alg ("RS256", "PS256", "ES256", "ES256-DER", "HS256"); NULL on failure. */
static char *
sign(const char *alg, EVP_PKEY *k, const void *hkey, size_t hkeylen, const char *input)
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
		return b64u(sig, hlen);
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
		return b64u(sig, siglen);
	es = d2i_ECDSA_SIG(NULL, &p, (long)siglen);
	BN_bn2binpad(ECDSA_SIG_get0_r(es), raw, 32);
	BN_bn2binpad(ECDSA_SIG_get0_s(es), raw + 32, 32);
	ECDSA_SIG_free(es);
	return b64u(raw, 64);
}

/* header.payload.signature from raw JSON texts. */
static char *
mint_raw(const char *alg, EVP_PKEY *k, const char *header, const char *claims)
{
	char *input = arena_alloc(A, 3 * strlen(header) + 3 * strlen(claims) + 16), *out;
	char *sig;

	snprintf(input, 3 * strlen(header) + 3 * strlen(claims) + 16, "%s.%s", b64u(header, strlen(header)),
		 b64u(claims, strlen(claims)));
	sig = sign(alg, k, NULL, 0, input);
	out = arena_alloc(A, strlen(input) + strlen(sig) + 2);
	snprintf(out, strlen(input) + strlen(sig) + 2, "%s.%s", input, sig);
	return out;
}

/* The claims every good token has; a test edits them before minting. */
static json_object *
claims(void)
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
static char *
mint(const char *alg, EVP_PKEY *k, const char *kid, json_object *c)
{
	char header[128];
	char *t;

	snprintf(header, sizeof(header), "{\"alg\":\"%s\"%s%s%s}", alg, kid ? ",\"kid\":\"" : "", kid ? kid : "",
		 kid ? "\"" : "");
	t = mint_raw(alg, k, header, json_object_to_json_string_ext(c, JSON_C_TO_STRING_PLAIN));
	json_object_put(c);
	return t;
}

/* ---- verifying ---------------------------------------------------------------------------- */

static oidc_identity id;
static oidc_failure why;

static oidc_verdict
verify_with(const char *jwt, const char *jwks, unsigned algs)
{
	oidc_expect e = { ISS, CID, NONCE, algs, NOW, 120 };

	why.key = why.message = NULL;
	return oidc_id_token_verify(A, jwt, strlen(jwt), jwks, strlen(jwks), &e, NULL, &id, &why);
}

static oidc_verdict
verify(const char *jwt)
{
	return verify_with(jwt, jwks_all, JOSE_ALL);
}

/* Refused with key; the sentence names no claim contents. */
static void
refused(oidc_verdict v, const char *key)
{
	CU_ASSERT_EQUAL(v, OIDC_REFUSED);
	CU_ASSERT_PTR_NOT_NULL_FATAL(why.key);
	if (strcmp(why.key, key) != 0)
		fprintf(stderr, "want %s, got %s: %s\n", key, why.key, why.message);
	CU_ASSERT_STRING_EQUAL(why.key, key);
	CU_ASSERT_PTR_NOT_NULL_FATAL(why.message);
	CU_ASSERT_PTR_NULL(strstr(why.message, MARK));
}

static int
suite_init(void)
{
	A = arena_new(LIMIT_ARENA_BYTES);
	rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	rsa2 = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	rsa_small = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	ec2 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	if (!A || !rsa || !rsa2 || !rsa_small || !ec || !ec2)
		return 1;
	snprintf(jwks_all, sizeof(jwks_all), "{\"keys\":[%s,%s,%s]}", jwk(rsa, "r1", ",\"use\":\"sig\""),
		 jwk(rsa2, "r2", ",\"alg\":\"PS256\""), jwk(ec, "e1", ""));
	return 0;
}

static int
suite_clean(void)
{
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(rsa2);
	EVP_PKEY_free(rsa_small);
	EVP_PKEY_free(ec);
	EVP_PKEY_free(ec2);
	arena_free(A);
	return 0;
}

/* ---- the accepted tokens ------------------------------------------------------------------ */

static void
test_alg_mask(void)
{
	const char *const disc[] = { "RS256", "HS256", "none", "ES256", NULL, "PS256" };

	CU_ASSERT_EQUAL(jose_alg_mask(disc, 6), JOSE_RS256 | JOSE_ES256);
	CU_ASSERT_EQUAL(jose_alg_mask(disc + 1, 2), 0);
	CU_ASSERT_STRING_EQUAL(jose_alg_name(JOSE_PS256), "PS256");
	CU_ASSERT_PTR_NULL(jose_alg_name(JOSE_RS256 | JOSE_PS256));
}

static void
test_rs256_ok(void)
{
	CU_ASSERT_EQUAL_FATAL(verify(mint("RS256", rsa, "r1", claims())), OIDC_OK);
	CU_ASSERT_STRING_EQUAL(id.sub, "user-42-" MARK);
	CU_ASSERT_STRING_EQUAL(id.email, "ana@example.com");
	CU_ASSERT_STRING_EQUAL(id.username, "ana");
	CU_ASSERT_STRING_EQUAL(id.issuer, ISS);
	CU_ASSERT_EQUAL(id.email_verified, 1);
	CU_ASSERT(id.has_groups);
	CU_ASSERT_EQUAL_FATAL(id.ngroups, 1);
	CU_ASSERT_STRING_EQUAL(id.groups[0], "onramp-admins");
}

static void
test_ps256_ok(void)
{
	CU_ASSERT_EQUAL(verify(mint("PS256", rsa2, "r2", claims())), OIDC_OK);
	CU_ASSERT_EQUAL(verify(mint("PS256", rsa, "r1", claims())), OIDC_OK);	/* r1 has no alg member */
}

static void
test_es256_ok(void)
{
	CU_ASSERT_EQUAL(verify(mint("ES256", ec, "e1", claims())), OIDC_OK);
	CU_ASSERT_STRING_EQUAL(id.email, "ana@example.com");
}

static void
test_kid_absent(void)
{
	char *one = keyset(jwk(rsa, NULL, ""), jwk(ec, "e1", ""));

	CU_ASSERT_EQUAL(verify_with(mint("RS256", rsa, NULL, claims()), one, JOSE_ALL), OIDC_OK);
	CU_ASSERT_EQUAL(verify_with(mint("ES256", ec, NULL, claims()), one, JOSE_ALL), OIDC_OK);
	/* two keys fit PS256 (r1 has no alg, r2 is PS256) and no kid: which one is not guessed */
	refused(verify(mint("PS256", rsa, NULL, claims())), "kid");
	/* only r1 fits RS256 (r2 is pinned to PS256), so it is that one */
	CU_ASSERT_EQUAL(verify(mint("RS256", rsa, NULL, claims())), OIDC_OK);
	/* no key for the alg at all: ask for a refetch */
	CU_ASSERT_EQUAL(verify_with(mint("ES256", ec, NULL, claims()), keyset(jwk(rsa, NULL, ""), NULL), JOSE_ALL),
			OIDC_UNKNOWN_KID);
}

static void
test_aud_array(void)
{
	json_object *c = claims(), *aud = json_object_new_array();

	json_object_array_add(aud, json_object_new_string(CID));
	json_object_object_add(c, "aud", aud);
	CU_ASSERT_EQUAL(verify(mint("RS256", rsa, "r1", c)), OIDC_OK);
	c = claims();
	aud = json_object_new_array();
	json_object_array_add(aud, json_object_new_string("other-api"));
	json_object_array_add(aud, json_object_new_string(CID));
	json_object_object_add(c, "aud", aud);
	json_object_object_add(c, "azp", json_object_new_string(CID));
	CU_ASSERT_EQUAL(verify(mint("RS256", rsa, "r1", c)), OIDC_OK);
}

static void
test_extra_aud_needs_azp(void)
{
	json_object *c = claims(), *aud = json_object_new_array();

	json_object_array_add(aud, json_object_new_string(CID));
	json_object_array_add(aud, json_object_new_string("other-api"));
	json_object_object_add(c, "aud", json_object_get(aud));
	refused(verify(mint("RS256", rsa, "r1", c)), "azp");
	c = claims();
	json_object_object_add(c, "aud", aud);
	json_object_object_add(c, "azp", json_object_new_string("other-api"));
	refused(verify(mint("RS256", rsa, "r1", c)), "azp");
	c = claims();
	json_object_object_add(c, "azp", json_object_new_string("other-api"));	/* single aud, foreign azp */
	refused(verify(mint("RS256", rsa, "r1", c)), "azp");
}

/* ---- signatures and keys ------------------------------------------------------------------ */

/* The same token with one claim changed after signing. */
static char *
tampered(const char *alg, EVP_PKEY *k, const char *kid)
{
	char *good = mint(alg, k, kid, claims()), *out;
	const char *d1 = strchr(good, '.'), *d2 = strchr(d1 + 1, '.');
	json_object *c = claims();

	json_object_object_add(c, "email", json_object_new_string("boss@example.com"));
	out = arena_alloc(A, strlen(good) + 256);
	snprintf(out, strlen(good) + 256, "%.*s.%s%s", (int)(d1 - good), good,
		 b64u(json_object_to_json_string_ext(c, JSON_C_TO_STRING_PLAIN),
		      strlen(json_object_to_json_string_ext(c, JSON_C_TO_STRING_PLAIN))), d2);
	json_object_put(c);
	return out;
}

static void
test_bad_signature(void)
{
	refused(verify(tampered("RS256", rsa, "r1")), "signature");
	refused(verify(tampered("PS256", rsa2, "r2")), "signature");
	refused(verify(tampered("ES256", ec, "e1")), "signature");
	/* signed by another key of the same type, naming the IdP's kid */
	refused(verify(mint("RS256", rsa2, "r1", claims())), "signature");
	refused(verify(mint("PS256", rsa, "r2", claims())), "signature");
	refused(verify(mint("ES256", ec2, "e1", claims())), "signature");
}

static void
test_alg_none(void)
{
	char *t = mint_raw("RS256", rsa, "{\"alg\":\"none\"}", "{\"sub\":\"x\"}");

	*(strrchr(t, '.') + 1) = '\0';	/* "h.p." */
	refused(verify(t), "alg");
	CU_ASSERT_PTR_NOT_NULL(strstr(why.message, "not signed"));
	refused(verify(mint_raw("RS256", rsa, "{\"alg\":\"none\",\"kid\":\"r1\"}", "{\"sub\":\"x\"}")), "alg");
}

/* HS256 keyed with something the attacker knows: a shared secret, or the IdP's public key. */
static void
test_hmac_refused(void)
{
	const char *h = b64u("{\"alg\":\"HS256\",\"kid\":\"r1\"}", 26);
	const char *p = b64u("{\"iss\":\"" ISS "\"}", strlen("{\"iss\":\"" ISS "\"}"));
	char input[512], tok[1024];
	unsigned char *der = NULL;
	int derlen = i2d_PUBKEY(rsa, &der);
	const char *n = strstr(jwks_all, "\"n\":\"") + 5;

	snprintf(input, sizeof(input), "%s.%s", h, p);
	snprintf(tok, sizeof(tok), "%s.%s", input, sign("HS256", NULL, "client-secret", 13, input));
	refused(verify(tok), "alg");
	CU_ASSERT_PTR_NOT_NULL(strstr(why.message, "HS256"));
	CU_ASSERT_PTR_NOT_NULL(strstr(why.message, "RS256, PS256 or ES256"));
	snprintf(tok, sizeof(tok), "%s.%s", input, sign("HS256", NULL, der, (size_t)derlen, input));
	refused(verify(tok), "alg");
	snprintf(tok, sizeof(tok), "%s.%s", input, sign("HS256", NULL, n, strcspn(n, "\""), input));
	refused(verify(tok), "alg");
	OPENSSL_free(der);
}

static void
test_alg_outside_mask(void)
{
	refused(verify_with(mint("RS256", rsa, "r1", claims()), jwks_all, JOSE_PS256 | JOSE_ES256), "alg");
	CU_ASSERT_PTR_NOT_NULL(strstr(why.message, "PS256 or ES256"));
	refused(verify_with(mint("ES256", ec, "e1", claims()), jwks_all, JOSE_RS256), "alg");
	refused(verify_with(mint("RS256", rsa, "r1", claims()), jwks_all, 0), "alg");
	/* the key's own alg member pins it too: r2 is PS256 only */
	refused(verify(mint("RS256", rsa2, "r2", claims())), "key");
}

static void
test_unknown_kid(void)
{
	char *t = mint("RS256", rsa, "r9", claims());

	CU_ASSERT_EQUAL(verify(t), OIDC_UNKNOWN_KID);
	CU_ASSERT_STRING_EQUAL(why.key, "kid");
	CU_ASSERT_PTR_NOT_NULL(strstr(why.message, "\"r9\""));
	/* after the refetch the rotated key is there */
	CU_ASSERT_EQUAL(verify_with(t, keyset(jwk(rsa, "r9", ""), NULL), JOSE_ALL), OIDC_OK);
	/* a kid naming the IdP's EC key on an RS256 token does not fall back to another key */
	refused(verify(mint("RS256", rsa, "e1", claims())), "key");
}

/* A token signed by the attacker's key with that key in its own header. */
static void
test_header_keys_ignored(void)
{
	char hdr[4096];
	const char *members[] = { "jwk", "jku", "x5u" };
	size_t i;

	for (i = 0; i < 3; i++) {
		if (i == 0)
			snprintf(hdr, sizeof(hdr), "{\"alg\":\"RS256\",\"jwk\":%s}", jwk(rsa2, "evil", ""));
		else
			snprintf(hdr, sizeof(hdr), "{\"alg\":\"RS256\",\"%s\":\"https://evil.example/k\"}", members[i]);
		json_object *c = claims();
		const char *body = json_object_to_json_string_ext(c, JSON_C_TO_STRING_PLAIN);
		/* no kid, one RSA key in the JWKS: the IdP's, so the attacker's signature fails */
		CU_ASSERT_EQUAL(verify_with(mint_raw("RS256", rsa2, hdr, body), keyset(jwk(rsa, NULL, ""), NULL),
					    JOSE_ALL), OIDC_REFUSED);
		CU_ASSERT_STRING_EQUAL(why.key, "signature");
		json_object_put(c);
	}
	snprintf(hdr, sizeof(hdr), "{\"alg\":\"RS256\",\"kid\":\"evil\",\"jwk\":%s}", jwk(rsa2, "evil", ""));
	json_object *c = claims();
	CU_ASSERT_EQUAL(verify(mint_raw("RS256", rsa2, hdr, json_object_to_json_string(c))), OIDC_UNKNOWN_KID);
	json_object_put(c);
}

static void
test_weak_and_foreign_keys(void)
{
	char *t = mint("RS256", rsa_small, "small", claims());

	refused(verify_with(t, keyset(jwk(rsa_small, "small", ""), NULL), JOSE_ALL), "key");
	CU_ASSERT_PTR_NOT_NULL(strstr(why.message, "2048"));
	t = mint("RS256", rsa, "r1", claims());
	refused(verify_with(t, keyset(jwk(rsa, "r1", ",\"use\":\"enc\""), NULL), JOSE_ALL), "key");
	refused(verify_with(t, keyset(jwk(rsa, "r1", ",\"key_ops\":[\"encrypt\"]"), NULL), JOSE_ALL), "key");
	CU_ASSERT_EQUAL(verify_with(t, keyset(jwk(rsa, "r1", ",\"key_ops\":[\"verify\"]"), NULL), JOSE_ALL), OIDC_OK);
	refused(verify_with(t, "{\"keys\":{}}", JOSE_ALL), "jwks");
	refused(verify_with(t, "not json", JOSE_ALL), "jwks");
}

/* The 64 bytes of an ES256 signature in base64url. */
static void
b64_decode_raw(const char *s, unsigned char out[65])
{
	char std[96];
	unsigned char tmp[96];
	size_t i, n = strlen(s);

	for (i = 0; i < n && i < 86; i++)
		std[i] = s[i] == '-' ? '+' : s[i] == '_' ? '/' : s[i];
	std[i++] = '=';
	std[i++] = '=';
	CU_ASSERT_FATAL(EVP_DecodeBlock(tmp, (const unsigned char *)std, (int)i) >= 64);
	memcpy(out, tmp, 64);
}

/* ES256 must be JOSE's raw r||s: a DER signature (what OpenSSL emits) or a short one is refused. */
static void
test_es256_der_refused(void)
{
	char *t = mint("ES256", ec, "e1", claims()), *input, *bad;
	unsigned char der[128], raw[65];
	size_t derlen = sizeof(der);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	*strrchr(t, '.') = '\0';
	input = t;
	EVP_DigestSignInit_ex(ctx, NULL, "SHA256", NULL, NULL, ec, NULL);
	EVP_DigestSign(ctx, der, &derlen, (const unsigned char *)input, strlen(input));
	EVP_MD_CTX_free(ctx);
	bad = arena_alloc(A, strlen(input) + 256);
	snprintf(bad, strlen(input) + 256, "%s.%s", input, b64u(der, derlen));
	refused(verify(bad), "signature");
	snprintf(bad, strlen(input) + 256, "%s.%s", input, b64u(der, 63));
	refused(verify(bad), "signature");
	/* a valid r||s with a byte appended is not the same signature */
	b64_decode_raw(strrchr(mint("ES256", ec, "e1", claims()), '.') + 1, raw);
	raw[64] = 0;
	snprintf(bad, strlen(input) + 256, "%s.%s", input, b64u(raw, 65));
	refused(verify(bad), "signature");
}

static void
test_crit_refused(void)
{
	json_object *c = claims();
	const char *body = json_object_to_json_string_ext(c, JSON_C_TO_STRING_PLAIN);

	refused(verify(mint_raw("RS256", rsa, "{\"alg\":\"RS256\",\"kid\":\"r1\",\"crit\":[\"exp\"],\"exp\":1}", body)),
		"crit");
	refused(verify(mint_raw("RS256", rsa, "{\"alg\":\"RS256\",\"kid\":\"r1\",\"crit\":[]}", body)), "crit");
	CU_ASSERT_EQUAL(verify(mint_raw("RS256", rsa, "{\"alg\":\"RS256\",\"kid\":\"r1\",\"typ\":\"JWT\"}", body)), OIDC_OK);
	json_object_put(c);
}

/* ---- compact form --------------------------------------------------------------------------- */

static void
test_malformed(void)
{
	char *good = mint("RS256", rsa, "r1", claims()), *t;
	size_t n = strlen(good);
	const char *sig = strrchr(good, '.');

	t = arena_strndup(A, good, (size_t)(sig - good));	/* two parts */
	refused(verify(t), "format");
	t = arena_alloc(A, n + 8);
	snprintf(t, n + 8, "%s.AAAA", good);			/* four parts */
	refused(verify(t), "format");
	snprintf(t, n + 8, "%s.A.A", good);			/* five: JWE */
	refused(verify(t), "format");
	CU_ASSERT_PTR_NOT_NULL(strstr(why.message, "encrypted"));
	snprintf(t, n + 8, "%s==", good);				/* padding */
	refused(verify(t), "format");
	t = arena_strdup(A, good);
	t[3] = '+';							/* standard alphabet */
	refused(verify(t), "format");
	refused(verify(".e30.AAAA"), "format");
	refused(verify(""), "format");
}

/*
 * A header whose base64url spelling is not the canonical one (unused low bits
 * set): it decodes to the same bytes, so only the strict decoder can tell,
 * and without it the verdict would be "signature" (the signed text changed).
 */
static void
test_noncanonical_base64(void)
{
	char *t = arena_strdup(A, mint("RS256", rsa, "r1", claims()));
	char *last = strchr(t, '.') - 1;	/* last character of the header */

	CU_ASSERT_FATAL((last + 1 - t) % 4 == 3);	/* 26 header bytes: 2 unused bits */
	*last = *last == 'A' ? 'B' : *last == 'E' ? 'F' : (char)(*last ^ 1);
	refused(verify(t), "format");
}

static void
test_not_objects(void)
{
	json_object *c = claims();
	const char *body = json_object_to_json_string_ext(c, JSON_C_TO_STRING_PLAIN);

	refused(verify(mint_raw("RS256", rsa, "[\"RS256\"]", body)), "format");
	refused(verify(mint_raw("RS256", rsa, "{\"alg\":\"RS256\"", body)), "format");
	refused(verify(mint_raw("RS256", rsa, "{\"alg\":\"RS256\",\"kid\":\"r1\"}", "[1,2]")), "format");
	refused(verify(mint_raw("RS256", rsa, "{\"alg\":\"RS256\",\"kid\":\"r1\"}", "\"sub\"")), "format");
	refused(verify(mint_raw("RS256", rsa, "{\"alg\":\"RS256\",\"kid\":\"r1\"} x", body)), "format");
	refused(verify(mint_raw("RS256", rsa, "{\"alg\":\"RS256\",\"kid\":7}", body)), "format");
	json_object_put(c);
}

/* Two parsers must not read one token two ways: duplicate member names are refused. */
static void
test_duplicate_members(void)
{
	json_object *c = claims();
	const char *body = json_object_to_json_string_ext(c, JSON_C_TO_STRING_PLAIN);
	char dup[2048];

	refused(verify(mint_raw("RS256", rsa, "{\"alg\":\"HS256\",\"kid\":\"r1\",\"alg\":\"RS256\"}", body)), "format");
	snprintf(dup, sizeof(dup), "%.*s,\"sub\":\"admin\"}", (int)strlen(body) - 1, body);
	refused(verify(mint_raw("RS256", rsa, "{\"alg\":\"RS256\",\"kid\":\"r1\"}", dup)), "format");
	snprintf(dup, sizeof(dup), "%.*s,\"x\":{\"a\":1,\"a\":2}}", (int)strlen(body) - 1, body);
	refused(verify(mint_raw("RS256", rsa, "{\"alg\":\"RS256\",\"kid\":\"r1\"}", dup)), "format");
	/* escaped quotes and colons inside strings are not members */
	snprintf(dup, sizeof(dup), "%.*s,\"x\":\"a\\\":b:c\"}", (int)strlen(body) - 1, body);
	CU_ASSERT_EQUAL(verify(mint_raw("RS256", rsa, "{\"alg\":\"RS256\",\"kid\":\"r1\"}", dup)), OIDC_OK);
	json_object_put(c);
}

static void
test_too_long(void)
{
	json_object *c = claims();
	char *big = arena_alloc(A, LIMIT_JOSE_TOKEN_BYTES);

	memset(big, 'a', LIMIT_JOSE_TOKEN_BYTES - 1);
	big[LIMIT_JOSE_TOKEN_BYTES - 1] = '\0';
	json_object_object_add(c, "pad", json_object_new_string(big));
	refused(verify(mint("RS256", rsa, "r1", c)), "format");
}

/* ---- claims ------------------------------------------------------------------------------- */

static oidc_verdict
with_claim(const char *name, json_object *value)
{
	json_object *c = claims();

	if (value != NULL)
		json_object_object_add(c, name, value);
	else
		json_object_object_del(c, name);
	return verify(mint("RS256", rsa, "r1", c));
}

static void
test_iss(void)
{
	refused(with_claim("iss", json_object_new_string("https://evil.example.com/tenant")), "iss");
	refused(with_claim("iss", NULL), "iss");
	refused(with_claim("iss", json_object_new_string(ISS "/")), "iss");
	CU_ASSERT_PTR_NOT_NULL(strstr(why.message, "trailing slash"));
	refused(with_claim("iss", json_object_new_string("HTTPS://idp.example.com/tenant")), "iss");
	refused(with_claim("iss", json_object_new_int(1)), "iss");
}

static void
test_aud(void)
{
	json_object *aud = json_object_new_array();

	refused(with_claim("aud", json_object_new_string("other-client")), "aud");
	refused(with_claim("aud", NULL), "aud");
	refused(with_claim("aud", json_object_new_string(CID "x")), "aud");
	refused(with_claim("aud", json_object_new_array()), "aud");
	json_object_array_add(aud, json_object_new_int(1));
	refused(with_claim("aud", aud), "aud");
}

static void
test_exp(void)
{
	refused(with_claim("exp", NULL), "exp");
	CU_ASSERT_PTR_NOT_NULL(strstr(why.message, "no expiry"));
	refused(with_claim("exp", json_object_new_int64(NOW - 121)), "exp");
	refused(with_claim("exp", json_object_new_int64(NOW - 120)), "exp");
	refused(with_claim("exp", json_object_new_string("1900000000")), "exp");
	CU_ASSERT_EQUAL(with_claim("exp", json_object_new_int64(NOW - 119)), OIDC_OK);	/* inside the skew */
	CU_ASSERT_EQUAL(with_claim("exp", json_object_new_double((double)NOW + 0.5)), OIDC_OK);
}

static void
test_iat_nbf(void)
{
	refused(with_claim("iat", NULL), "iat");
	CU_ASSERT_PTR_NOT_NULL(strstr(why.message, "no issue time"));
	refused(with_claim("iat", json_object_new_int64(NOW + 121)), "iat");
	CU_ASSERT_EQUAL(with_claim("iat", json_object_new_int64(NOW + 120)), OIDC_OK);
	refused(with_claim("nbf", json_object_new_int64(NOW + 121)), "nbf");
	refused(with_claim("nbf", json_object_new_boolean(1)), "nbf");
	CU_ASSERT_EQUAL(with_claim("nbf", json_object_new_int64(NOW + 100)), OIDC_OK);
}

static void
test_sub(void)
{
	char big[LIMIT_OIDC_SUB_BYTES + 2];

	refused(with_claim("sub", NULL), "sub");
	refused(with_claim("sub", json_object_new_string("")), "sub");
	refused(with_claim("sub", json_object_new_int(42)), "sub");
	memset(big, 's', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	refused(with_claim("sub", json_object_new_string(big)), "sub");
	big[LIMIT_OIDC_SUB_BYTES] = '\0';
	CU_ASSERT_EQUAL(with_claim("sub", json_object_new_string(big)), OIDC_OK);
	/* "admin\u0000x" must not read as "admin" */
	refused(with_claim("sub", json_object_new_string_len("admin\0x", 7)), "sub");
}

static void
test_nonce(void)
{
	oidc_expect e = { ISS, CID, NULL, JOSE_ALL, NOW, 120 };
	char *t;

	refused(with_claim("nonce", json_object_new_string("n-other")), "nonce");
	refused(with_claim("nonce", NULL), "nonce");
	CU_ASSERT_PTR_NOT_NULL(strstr(why.message, "no nonce"));
	refused(with_claim("nonce", json_object_new_string(NONCE "x")), "nonce");
	json_object *c = claims();
	json_object_object_del(c, "nonce");
	t = mint("RS256", rsa, "r1", c);
	CU_ASSERT_EQUAL(oidc_id_token_verify(A, t, strlen(t), jwks_all, strlen(jwks_all), &e, NULL, &id, &why), OIDC_OK);
}

static void
test_identity_claims(void)
{
	json_object *c = claims(), *g = json_object_new_array();
	oidc_expect e = { ISS, CID, NONCE, JOSE_ALL, NOW, 120 };
	oidc_claims names = { "upn", "mail", "roles" };
	char *t;

	json_object_array_add(g, json_object_new_string("a"));
	json_object_array_add(g, json_object_new_string("b"));
	json_object_object_add(c, "roles", g);
	json_object_object_add(c, "mail", json_object_new_string("m@example.com"));
	json_object_object_add(c, "upn", json_object_new_string("m.user"));
	json_object_object_add(c, "email_verified", json_object_new_string("false"));
	t = mint("ES256", ec, "e1", c);
	CU_ASSERT_EQUAL_FATAL(oidc_id_token_verify(A, t, strlen(t), jwks_all, strlen(jwks_all), &e, &names, &id, &why),
			      OIDC_OK);
	CU_ASSERT_STRING_EQUAL(id.email, "m@example.com");
	CU_ASSERT_STRING_EQUAL(id.username, "m.user");
	CU_ASSERT_EQUAL(id.email_verified, 0);
	CU_ASSERT_EQUAL_FATAL(id.ngroups, 2);
	CU_ASSERT_STRING_EQUAL(id.groups[1], "b");
	CU_ASSERT_EQUAL(with_claim("email_verified", json_object_new_string("true")), OIDC_OK);
	CU_ASSERT_EQUAL(id.email_verified, 1);
	CU_ASSERT_EQUAL(with_claim("email_verified", json_object_new_int(1)), OIDC_OK);
	CU_ASSERT_EQUAL(id.email_verified, 0);
	CU_ASSERT_EQUAL(with_claim("email_verified", NULL), OIDC_OK);
	CU_ASSERT_EQUAL(id.email_verified, -1);
	CU_ASSERT_EQUAL(with_claim("groups", NULL), OIDC_OK);
	CU_ASSERT(!id.has_groups);
	CU_ASSERT_EQUAL(id.ngroups, 0);
}

static void
test_groups_bounded(void)
{
	json_object *g = json_object_new_array();
	size_t i;

	for (i = 0; i <= LIMIT_OIDC_GROUPS; i++)
		json_object_array_add(g, json_object_new_string("g"));
	refused(with_claim("groups", g), "groups");
	g = json_object_new_array();
	json_object_array_add(g, json_object_new_string("ok"));
	json_object_array_add(g, json_object_new_int(3));
	refused(with_claim("groups", g), "groups");
	g = json_object_new_array();
	for (i = 0; i < LIMIT_OIDC_GROUPS; i++)
		json_object_array_add(g, json_object_new_string("g"));
	CU_ASSERT_EQUAL(with_claim("groups", g), OIDC_OK);
	CU_ASSERT_EQUAL(id.ngroups, LIMIT_OIDC_GROUPS);
}

/* ---- userinfo, token answer, PKCE, client authentication --------------------------------------- */

static void
test_userinfo_merge(void)
{
	json_object *c = claims();
	const char *ui;

	json_object_object_del(c, "email");
	json_object_object_del(c, "email_verified");
	json_object_object_del(c, "groups");
	CU_ASSERT_EQUAL_FATAL(verify(mint("RS256", rsa, "r1", c)), OIDC_OK);
	ui = "{\"sub\":\"user-42-" MARK "\",\"email\":\"ana@example.com\",\"email_verified\":true,"
	     "\"preferred_username\":\"other\",\"groups\":[\"staff\"]}";
	CU_ASSERT_FATAL(oidc_userinfo_merge(A, ui, strlen(ui), NULL, &id, &why));
	CU_ASSERT_STRING_EQUAL(id.email, "ana@example.com");
	CU_ASSERT_EQUAL(id.email_verified, 1);
	CU_ASSERT_STRING_EQUAL(id.username, "ana");	/* the ID token's value stays */
	CU_ASSERT(id.has_groups);
	CU_ASSERT_STRING_EQUAL(id.groups[0], "staff");
	/* email_verified about another address is not taken */
	c = claims();
	json_object_object_del(c, "email_verified");
	CU_ASSERT_EQUAL_FATAL(verify(mint("RS256", rsa, "r1", c)), OIDC_OK);
	ui = "{\"sub\":\"user-42-" MARK "\",\"email\":\"other@example.com\",\"email_verified\":true}";
	CU_ASSERT_FATAL(oidc_userinfo_merge(A, ui, strlen(ui), NULL, &id, &why));
	CU_ASSERT_STRING_EQUAL(id.email, "ana@example.com");
	CU_ASSERT_EQUAL(id.email_verified, -1);
}

static void
test_userinfo_sub_mismatch(void)
{
	const char *ui = "{\"sub\":\"someone-else\",\"email\":\"x@example.com\"}";
	const char *nosub = "{\"email\":\"x@example.com\"}";

	json_object *c = claims();
	json_object_object_del(c, "email");
	CU_ASSERT_EQUAL_FATAL(verify(mint("RS256", rsa, "r1", c)), OIDC_OK);
	CU_ASSERT(!oidc_userinfo_merge(A, ui, strlen(ui), NULL, &id, &why));
	CU_ASSERT_STRING_EQUAL(why.key, "userinfo_sub");
	CU_ASSERT(!oidc_userinfo_merge(A, nosub, strlen(nosub), NULL, &id, &why));
	CU_ASSERT_STRING_EQUAL(why.key, "userinfo_sub");
	CU_ASSERT_PTR_NULL(id.email);
	CU_ASSERT(!oidc_userinfo_merge(A, "[]", 2, NULL, &id, &why));
	CU_ASSERT_STRING_EQUAL(why.key, "userinfo");
}

static void
test_token_response(void)
{
	const char *ok = "{\"access_token\":\"at\",\"token_type\":\"Bearer\",\"id_token\":\"a.b.c\",\"expires_in\":60}";
	const char *err = "{\"error\":\"invalid_grant\",\"error_description\":\"code used\"}";
	const char *bad = "{\"error\":\"x\\u0001\",\"error_description\":\"\\\"quote\"}";
	const char *it, *at, *e, *d;

	CU_ASSERT_EQUAL(oidc_token_response_parse(A, ok, strlen(ok), &it, &at, &e, &d), OR_OK);
	CU_ASSERT_STRING_EQUAL(it, "a.b.c");
	CU_ASSERT_STRING_EQUAL(at, "at");
	CU_ASSERT_PTR_NULL(e);
	CU_ASSERT_EQUAL(oidc_token_response_parse(A, err, strlen(err), &it, &at, &e, &d), OR_ERR_CONFLICT);
	CU_ASSERT_STRING_EQUAL(e, "invalid_grant");
	CU_ASSERT_STRING_EQUAL(d, "code used");
	CU_ASSERT_PTR_NULL(it);
	CU_ASSERT_EQUAL(oidc_token_response_parse(A, bad, strlen(bad), &it, &at, &e, &d), OR_ERR_CONFLICT);
	CU_ASSERT_STRING_EQUAL(e, "invalid_error");
	CU_ASSERT_PTR_NULL(d);
	CU_ASSERT_EQUAL(oidc_token_response_parse(A, "{\"access_token\":\"at\"}", 21, &it, &at, &e, &d), OR_ERR_INVALID);
	CU_ASSERT_EQUAL(oidc_token_response_parse(A, "<html>", 6, &it, &at, &e, &d), OR_ERR_INVALID);
	CU_ASSERT_EQUAL(oidc_token_response_parse(A, "{\"id_token\":\"a\",\"id_token\":\"b\"}", 32, &it, &at, &e, &d),
			OR_ERR_INVALID);
}

/* RFC 7636 appendix B. */
static void
test_pkce(void)
{
	char out[44];

	oidc_pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", out);
	CU_ASSERT_STRING_EQUAL(out, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
}

/* The decoded "id:secret" of a Basic header, form-urldecoded again. */
static char *
basic_decode(const char *hdr, char **secret_out, size_t *secret_len)
{
	unsigned char *raw = arena_alloc(A, strlen(hdr));
	char *p, *o, *colon;
	int n = EVP_DecodeBlock(raw, (const unsigned char *)hdr + 6, (int)strlen(hdr + 6));

	while (n > 0 && raw[n - 1] == '\0')
		n--;	/* EVP_DecodeBlock counts the padding as zero bytes */
	raw[n] = '\0';
	colon = strchr((char *)raw, ':');
	CU_ASSERT_PTR_NOT_NULL_FATAL(colon);
	*colon = '\0';
	for (p = colon + 1, o = colon + 1; *p; p++) {
		if (*p == '+') {
			*o++ = ' ';
		} else if (*p == '%') {
			char hex[3] = { p[1], p[2], 0 };
			*o++ = (char)strtol(hex, NULL, 16);
			p += 2;
		} else {
			*o++ = *p;
		}
	}
	*secret_out = colon + 1;
	*secret_len = (size_t)(o - (colon + 1));
	return (char *)raw;
}

static void
test_basic_auth(void)
{
	const char *secret = "a%b:c+d/e= f~\"\xc3\xa9";
	const char *h = oidc_basic_auth(A, "s6BhdRkqt3", "7Fjfp0ZBr1KtDRbnfVdmIw", 22);
	char *sec, *idp;
	size_t n;

	CU_ASSERT_STRING_EQUAL(h, "Basic czZCaGRSa3F0Mzo3RmpmcDBaQnIxS3REUmJuZlZkbUl3");	/* RFC 6749 2.3.1 */
	h = oidc_basic_auth(A, "client:1", secret, strlen(secret));
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	idp = basic_decode(h, &sec, &n);
	CU_ASSERT_STRING_EQUAL(idp, "client%3A1");
	CU_ASSERT_EQUAL(n, strlen(secret));
	CU_ASSERT(memcmp(sec, secret, n) == 0);
	CU_ASSERT_STRING_EQUAL(oidc_form_urlencode(A, "a%b:c+d/e= *-._~", 16), "a%25b%3Ac%2Bd%2Fe%3D+*-._%7E");
}

static const unit_test tests[] = {
	{ "alg mask", test_alg_mask },
	{ "RS256 accepted", test_rs256_ok },
	{ "PS256 accepted", test_ps256_ok },
	{ "ES256 accepted", test_es256_ok },
	{ "kid absent", test_kid_absent },
	{ "aud array", test_aud_array },
	{ "extra aud needs azp", test_extra_aud_needs_azp },
	{ "bad signature per alg", test_bad_signature },
	{ "alg none", test_alg_none },
	{ "HMAC refused", test_hmac_refused },
	{ "alg outside mask", test_alg_outside_mask },
	{ "unknown kid", test_unknown_kid },
	{ "header keys ignored", test_header_keys_ignored },
	{ "weak and foreign keys", test_weak_and_foreign_keys },
	{ "ES256 DER refused", test_es256_der_refused },
	{ "crit refused", test_crit_refused },
	{ "malformed compact", test_malformed },
	{ "non-canonical base64url", test_noncanonical_base64 },
	{ "not objects", test_not_objects },
	{ "duplicate members", test_duplicate_members },
	{ "too long", test_too_long },
	{ "iss", test_iss },
	{ "aud", test_aud },
	{ "exp", test_exp },
	{ "iat nbf", test_iat_nbf },
	{ "sub", test_sub },
	{ "nonce", test_nonce },
	{ "identity claims", test_identity_claims },
	{ "groups bounded", test_groups_bounded },
	{ "userinfo merge", test_userinfo_merge },
	{ "userinfo sub mismatch", test_userinfo_sub_mismatch },
	{ "token response", test_token_response },
	{ "PKCE S256", test_pkce },
	{ "basic auth", test_basic_auth },
	{ NULL, NULL }
};

UNIT_MAIN_SUITE("jose", tests, suite_init, suite_clean)
