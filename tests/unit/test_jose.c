/*
 * Unit tests for JWS verification (src/domain/jose.c): each algorithm, key
 * choice from the JWKS, and every refusal of the signature layer (alg none,
 * HMAC, algorithms outside the approved mask, unknown or spoofed kid, keys
 * in the header, crit, malformed compact forms, duplicate members).  The
 * keys, key sets and signatures are made at test time (jose_test.c).
 */
#include <string.h>

#include <openssl/ecdsa.h>
#include <openssl/x509.h>

#include "onramp/limits.h"
#include "jose_test.h"

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
	CU_ASSERT_EQUAL_FATAL(jt_verify(jt_mint("RS256", jt_rsa, "r1", jt_claims())), OIDC_OK);
	CU_ASSERT_STRING_EQUAL(jt_id.sub, "user-42-" MARK);
	CU_ASSERT_STRING_EQUAL(jt_id.email, "ana@example.com");
	CU_ASSERT_STRING_EQUAL(jt_id.username, "ana");
	CU_ASSERT_STRING_EQUAL(jt_id.issuer, ISS);
	CU_ASSERT_EQUAL(jt_id.email_verified, 1);
	CU_ASSERT(jt_id.has_groups);
	CU_ASSERT_EQUAL_FATAL(jt_id.ngroups, 1);
	CU_ASSERT_STRING_EQUAL(jt_id.groups[0], "onramp-admins");
}

static void
test_ps256_ok(void)
{
	CU_ASSERT_EQUAL(jt_verify(jt_mint("PS256", jt_rsa2, "r2", jt_claims())), OIDC_OK);
	CU_ASSERT_EQUAL(jt_verify(jt_mint("PS256", jt_rsa, "r1", jt_claims())), OIDC_OK);	/* r1 has no alg member */
}

static void
test_es256_ok(void)
{
	CU_ASSERT_EQUAL(jt_verify(jt_mint("ES256", jt_ec, "e1", jt_claims())), OIDC_OK);
	CU_ASSERT_STRING_EQUAL(jt_id.email, "ana@example.com");
}

static void
test_kid_absent(void)
{
	char *one = jt_keyset(jt_jwk(jt_rsa, NULL, ""), jt_jwk(jt_ec, "e1", ""));

	CU_ASSERT_EQUAL(jt_verify_with(jt_mint("RS256", jt_rsa, NULL, jt_claims()), one, JOSE_ALL), OIDC_OK);
	CU_ASSERT_EQUAL(jt_verify_with(jt_mint("ES256", jt_ec, NULL, jt_claims()), one, JOSE_ALL), OIDC_OK);
	/* two keys fit PS256 (r1 has no alg, r2 is PS256) and no kid: which one is not guessed */
	jt_refused(jt_verify(jt_mint("PS256", jt_rsa, NULL, jt_claims())), "kid");
	/* only r1 fits RS256 (r2 is pinned to PS256), so it is that one */
	CU_ASSERT_EQUAL(jt_verify(jt_mint("RS256", jt_rsa, NULL, jt_claims())), OIDC_OK);
	/* no key for the alg at all: ask for a refetch */
	CU_ASSERT_EQUAL(jt_verify_with(jt_mint("ES256", jt_ec, NULL, jt_claims()), jt_keyset(jt_jwk(jt_rsa, NULL, ""), NULL), JOSE_ALL),
			OIDC_UNKNOWN_KID);
}

/* ---- signatures and keys ------------------------------------------------------------------ */

/* The same token with one claim changed after signing. */
static char *
tampered(const char *alg, EVP_PKEY *k, const char *kid)
{
	char *good = jt_mint(alg, k, kid, jt_claims()), *out;
	const char *d1 = strchr(good, '.'), *d2 = strchr(d1 + 1, '.');
	json_object *c = jt_claims();

	json_object_object_add(c, "email", json_object_new_string("boss@example.com"));
	out = arena_alloc(jt_arena, strlen(good) + 256);
	snprintf(out, strlen(good) + 256, "%.*s.%s%s", (int)(d1 - good), good,
		 jt_b64u(json_object_to_json_string_ext(c, JSON_C_TO_STRING_PLAIN),
		      strlen(json_object_to_json_string_ext(c, JSON_C_TO_STRING_PLAIN))), d2);
	json_object_put(c);
	return out;
}

static void
test_bad_signature(void)
{
	jt_refused(jt_verify(tampered("RS256", jt_rsa, "r1")), "signature");
	jt_refused(jt_verify(tampered("PS256", jt_rsa2, "r2")), "signature");
	jt_refused(jt_verify(tampered("ES256", jt_ec, "e1")), "signature");
	/* signed by another key of the same type, naming the IdP's kid */
	jt_refused(jt_verify(jt_mint("RS256", jt_rsa2, "r1", jt_claims())), "signature");
	jt_refused(jt_verify(jt_mint("PS256", jt_rsa, "r2", jt_claims())), "signature");
	jt_refused(jt_verify(jt_mint("ES256", jt_ec2, "e1", jt_claims())), "signature");
}

static void
test_alg_none(void)
{
	char *t = jt_mint_raw("RS256", jt_rsa, "{\"alg\":\"none\"}", "{\"sub\":\"x\"}");

	*(strrchr(t, '.') + 1) = '\0';	/* "h.p." */
	jt_refused(jt_verify(t), "alg");
	CU_ASSERT_PTR_NOT_NULL(strstr(jt_why.message, "not signed"));
	jt_refused(jt_verify(jt_mint_raw("RS256", jt_rsa, "{\"alg\":\"none\",\"kid\":\"r1\"}", "{\"sub\":\"x\"}")), "alg");
}

/* HS256 keyed with something the attacker knows: a shared secret, or the IdP's public key. */
static void
test_hmac_refused(void)
{
	const char *h = jt_b64u("{\"alg\":\"HS256\",\"kid\":\"r1\"}", 26);
	const char *p = jt_b64u("{\"iss\":\"" ISS "\"}", strlen("{\"iss\":\"" ISS "\"}"));
	char input[512], tok[1024];
	unsigned char *der = NULL;
	int derlen = i2d_PUBKEY(jt_rsa, &der);
	const char *n = strstr(jt_jwks, "\"n\":\"") + 5;

	snprintf(input, sizeof(input), "%s.%s", h, p);
	snprintf(tok, sizeof(tok), "%s.%s", input, jt_sign("HS256", NULL, "client-secret", 13, input));
	jt_refused(jt_verify(tok), "alg");
	CU_ASSERT_PTR_NOT_NULL(strstr(jt_why.message, "HS256"));
	CU_ASSERT_PTR_NOT_NULL(strstr(jt_why.message, "RS256, PS256 or ES256"));
	snprintf(tok, sizeof(tok), "%s.%s", input, jt_sign("HS256", NULL, der, (size_t)derlen, input));
	jt_refused(jt_verify(tok), "alg");
	snprintf(tok, sizeof(tok), "%s.%s", input, jt_sign("HS256", NULL, n, strcspn(n, "\""), input));
	jt_refused(jt_verify(tok), "alg");
	OPENSSL_free(der);
}

static void
test_alg_outside_mask(void)
{
	jt_refused(jt_verify_with(jt_mint("RS256", jt_rsa, "r1", jt_claims()), jt_jwks, JOSE_PS256 | JOSE_ES256), "alg");
	CU_ASSERT_PTR_NOT_NULL(strstr(jt_why.message, "PS256 or ES256"));
	jt_refused(jt_verify_with(jt_mint("ES256", jt_ec, "e1", jt_claims()), jt_jwks, JOSE_RS256), "alg");
	jt_refused(jt_verify_with(jt_mint("RS256", jt_rsa, "r1", jt_claims()), jt_jwks, 0), "alg");
	/* the key's own alg member pins it too: r2 is PS256 only */
	jt_refused(jt_verify(jt_mint("RS256", jt_rsa2, "r2", jt_claims())), "key");
}

static void
test_unknown_kid(void)
{
	char *t = jt_mint("RS256", jt_rsa, "r9", jt_claims());

	CU_ASSERT_EQUAL(jt_verify(t), OIDC_UNKNOWN_KID);
	CU_ASSERT_STRING_EQUAL(jt_why.key, "kid");
	CU_ASSERT_PTR_NOT_NULL(strstr(jt_why.message, "\"r9\""));
	/* after the refetch the rotated key is there */
	CU_ASSERT_EQUAL(jt_verify_with(t, jt_keyset(jt_jwk(jt_rsa, "r9", ""), NULL), JOSE_ALL), OIDC_OK);
	/* a kid naming the IdP's EC key on an RS256 token does not fall back to another key */
	jt_refused(jt_verify(jt_mint("RS256", jt_rsa, "e1", jt_claims())), "key");
}

/* A token signed by the attacker's key with that key in its own header. */
static void
test_header_keys_ignored(void)
{
	char hdr[4096];
	const char *members[] = { "jwk", "jku", "x5u" };
	size_t i;

	for (i = 0; i < 4; i++) {
		if (i == 0)
			snprintf(hdr, sizeof(hdr), "{\"alg\":\"RS256\",\"jwk\":%s}", jt_jwk(jt_rsa2, "evil", ""));
		else if (i == 3)
			snprintf(hdr, sizeof(hdr), "{\"alg\":\"RS256\",\"x5c\":[\"%s\"]}", jt_b64u("cert", 4));
		else
			snprintf(hdr, sizeof(hdr), "{\"alg\":\"RS256\",\"%s\":\"https://evil.example/k\"}", members[i]);
		json_object *c = jt_claims();
		const char *body = json_object_to_json_string_ext(c, JSON_C_TO_STRING_PLAIN);
		/* no kid, one RSA key in the JWKS: the IdP's, so the attacker's signature fails */
		jt_refused(jt_verify_with(jt_mint_raw("RS256", jt_rsa2, hdr, body), jt_keyset(jt_jwk(jt_rsa, NULL, ""), NULL),
				       JOSE_ALL), "signature");
		json_object_put(c);
	}
	snprintf(hdr, sizeof(hdr), "{\"alg\":\"RS256\",\"kid\":\"evil\",\"jwk\":%s}", jt_jwk(jt_rsa2, "evil", ""));
	json_object *c = jt_claims();
	CU_ASSERT_EQUAL(jt_verify(jt_mint_raw("RS256", jt_rsa2, hdr, json_object_to_json_string(c))), OIDC_UNKNOWN_KID);
	json_object_put(c);
}

static void
test_weak_and_foreign_keys(void)
{
	char *t = jt_mint("RS256", jt_rsa_small, "small", jt_claims());

	jt_refused(jt_verify_with(t, jt_keyset(jt_jwk(jt_rsa_small, "small", ""), NULL), JOSE_ALL), "key");
	CU_ASSERT_PTR_NOT_NULL(strstr(jt_why.message, "2048"));
	t = jt_mint("RS256", jt_rsa, "r1", jt_claims());
	jt_refused(jt_verify_with(t, jt_keyset(jt_jwk(jt_rsa, "r1", ",\"use\":\"enc\""), NULL), JOSE_ALL), "key");
	jt_refused(jt_verify_with(t, jt_keyset(jt_jwk(jt_rsa, "r1", ",\"key_ops\":[\"encrypt\"]"), NULL), JOSE_ALL), "key");
	CU_ASSERT_EQUAL(jt_verify_with(t, jt_keyset(jt_jwk(jt_rsa, "r1", ",\"key_ops\":[\"verify\"]"), NULL), JOSE_ALL), OIDC_OK);
	jt_refused(jt_verify_with(t, "{\"keys\":{}}", JOSE_ALL), "jwks");
	jt_refused(jt_verify_with(t, "not json", JOSE_ALL), "jwks");
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
	char *t = jt_mint("ES256", jt_ec, "e1", jt_claims()), *input, *bad;
	unsigned char der[128], raw[65];
	size_t derlen = sizeof(der);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	*strrchr(t, '.') = '\0';
	input = t;
	EVP_DigestSignInit_ex(ctx, NULL, "SHA256", NULL, NULL, jt_ec, NULL);
	EVP_DigestSign(ctx, der, &derlen, (const unsigned char *)input, strlen(input));
	EVP_MD_CTX_free(ctx);
	bad = arena_alloc(jt_arena, strlen(input) + 256);
	snprintf(bad, strlen(input) + 256, "%s.%s", input, jt_b64u(der, derlen));
	jt_refused(jt_verify(bad), "signature");
	snprintf(bad, strlen(input) + 256, "%s.%s", input, jt_b64u(der, 63));
	jt_refused(jt_verify(bad), "signature");
	/* a valid r||s with a byte appended is not the same signature */
	b64_decode_raw(strrchr(jt_mint("ES256", jt_ec, "e1", jt_claims()), '.') + 1, raw);
	raw[64] = 0;
	snprintf(bad, strlen(input) + 256, "%s.%s", input, jt_b64u(raw, 65));
	jt_refused(jt_verify(bad), "signature");
}

static void
test_crit_refused(void)
{
	json_object *c = jt_claims();
	const char *body = json_object_to_json_string_ext(c, JSON_C_TO_STRING_PLAIN);

	jt_refused(jt_verify(jt_mint_raw("RS256", jt_rsa, "{\"alg\":\"RS256\",\"kid\":\"r1\",\"crit\":[\"exp\"],\"exp\":1}", body)),
		"crit");
	jt_refused(jt_verify(jt_mint_raw("RS256", jt_rsa, "{\"alg\":\"RS256\",\"kid\":\"r1\",\"crit\":[]}", body)), "crit");
	CU_ASSERT_EQUAL(jt_verify(jt_mint_raw("RS256", jt_rsa, "{\"alg\":\"RS256\",\"kid\":\"r1\",\"typ\":\"JWT\"}", body)), OIDC_OK);
	json_object_put(c);
}

/* ---- compact form --------------------------------------------------------------------------- */

static void
test_malformed(void)
{
	char *good = jt_mint("RS256", jt_rsa, "r1", jt_claims()), *t;
	size_t n = strlen(good);
	const char *sig = strrchr(good, '.');

	t = arena_strndup(jt_arena, good, (size_t)(sig - good));	/* two parts */
	jt_refused(jt_verify(t), "format");
	t = arena_alloc(jt_arena, n + 8);
	snprintf(t, n + 8, "%s.AAAA", good);			/* four parts */
	jt_refused(jt_verify(t), "format");
	snprintf(t, n + 8, "%s.A.A", good);			/* five: JWE */
	jt_refused(jt_verify(t), "format");
	CU_ASSERT_PTR_NOT_NULL(strstr(jt_why.message, "encrypted"));
	snprintf(t, n + 8, "%s==", good);				/* padding */
	jt_refused(jt_verify(t), "format");
	t = arena_strdup(jt_arena, good);
	t[3] = '+';							/* standard alphabet */
	jt_refused(jt_verify(t), "format");
	jt_refused(jt_verify(".e30.AAAA"), "format");
	jt_refused(jt_verify(""), "format");
}

/*
 * A header whose base64url spelling is not the canonical one (unused low bits
 * set): it decodes to the same bytes, so only the strict decoder can tell,
 * and without it the verdict would be "signature" (the signed text changed).
 */
static void
test_noncanonical_base64(void)
{
	char *t = arena_strdup(jt_arena, jt_mint("RS256", jt_rsa, "r1", jt_claims()));
	char *last = strchr(t, '.') - 1;	/* last character of the header */

	CU_ASSERT_FATAL((last + 1 - t) % 4 == 3);	/* 26 header bytes: 2 unused bits */
	*last = *last == 'A' ? 'B' : *last == 'E' ? 'F' : (char)(*last ^ 1);
	jt_refused(jt_verify(t), "format");
}

static void
test_not_objects(void)
{
	json_object *c = jt_claims();
	const char *body = json_object_to_json_string_ext(c, JSON_C_TO_STRING_PLAIN);

	jt_refused(jt_verify(jt_mint_raw("RS256", jt_rsa, "[\"RS256\"]", body)), "format");
	jt_refused(jt_verify(jt_mint_raw("RS256", jt_rsa, "{\"alg\":\"RS256\"", body)), "format");
	jt_refused(jt_verify(jt_mint_raw("RS256", jt_rsa, "{\"alg\":\"RS256\",\"kid\":\"r1\"}", "[1,2]")), "format");
	jt_refused(jt_verify(jt_mint_raw("RS256", jt_rsa, "{\"alg\":\"RS256\",\"kid\":\"r1\"}", "\"sub\"")), "format");
	jt_refused(jt_verify(jt_mint_raw("RS256", jt_rsa, "{\"alg\":\"RS256\",\"kid\":\"r1\"} x", body)), "format");
	jt_refused(jt_verify(jt_mint_raw("RS256", jt_rsa, "{\"alg\":\"RS256\",\"kid\":7}", body)), "format");
	json_object_put(c);
}

/* Two parsers must not read one token two ways: duplicate member names are refused. */
/* json-c cuts strings at \u0000: "RS256\u0000x" must not read as RS256, nor "r1\u0000x" as r1. */
static void
test_nul_in_header(void)
{
	json_object *c = jt_claims();
	const char *body = json_object_to_json_string_ext(c, JSON_C_TO_STRING_PLAIN);

	jt_refused(jt_verify(jt_mint_raw("RS256", jt_rsa, "{\"alg\":\"RS256\\u0000x\",\"kid\":\"r1\"}", body)), "alg");
	jt_refused(jt_verify(jt_mint_raw("RS256", jt_rsa, "{\"alg\":\"RS256\",\"kid\":\"r1\\u0000x\"}", body)), "format");
	json_object_put(c);
}

static void
test_duplicate_members(void)
{
	json_object *c = jt_claims();
	const char *body = json_object_to_json_string_ext(c, JSON_C_TO_STRING_PLAIN);
	char dup[2048];

	jt_refused(jt_verify(jt_mint_raw("RS256", jt_rsa, "{\"alg\":\"HS256\",\"kid\":\"r1\",\"alg\":\"RS256\"}", body)), "format");
	snprintf(dup, sizeof(dup), "%.*s,\"sub\":\"admin\"}", (int)strlen(body) - 1, body);
	jt_refused(jt_verify(jt_mint_raw("RS256", jt_rsa, "{\"alg\":\"RS256\",\"kid\":\"r1\"}", dup)), "format");
	snprintf(dup, sizeof(dup), "%.*s,\"x\":{\"a\":1,\"a\":2}}", (int)strlen(body) - 1, body);
	jt_refused(jt_verify(jt_mint_raw("RS256", jt_rsa, "{\"alg\":\"RS256\",\"kid\":\"r1\"}", dup)), "format");
	/* escaped quotes and colons inside strings are not members */
	snprintf(dup, sizeof(dup), "%.*s,\"x\":\"a\\\":b:c\"}", (int)strlen(body) - 1, body);
	CU_ASSERT_EQUAL(jt_verify(jt_mint_raw("RS256", jt_rsa, "{\"alg\":\"RS256\",\"kid\":\"r1\"}", dup)), OIDC_OK);
	json_object_put(c);
}

static void
test_too_long(void)
{
	json_object *c = jt_claims();
	char *big = arena_alloc(jt_arena, LIMIT_JOSE_TOKEN_BYTES);

	memset(big, 'a', LIMIT_JOSE_TOKEN_BYTES - 1);
	big[LIMIT_JOSE_TOKEN_BYTES - 1] = '\0';
	json_object_object_add(c, "pad", json_object_new_string(big));
	jt_refused(jt_verify(jt_mint("RS256", jt_rsa, "r1", c)), "format");
}

static const unit_test tests[] = {
	{ "alg mask", test_alg_mask },
	{ "RS256 accepted", test_rs256_ok },
	{ "PS256 accepted", test_ps256_ok },
	{ "ES256 accepted", test_es256_ok },
	{ "kid absent", test_kid_absent },
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
	{ "NUL in header", test_nul_in_header },
	{ "duplicate members", test_duplicate_members },
	{ "too long", test_too_long },
	{ NULL, NULL }
};

UNIT_MAIN_SUITE("jose", tests, jt_init, jt_clean)
