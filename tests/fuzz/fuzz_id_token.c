/*
 * Fuzz ID-token verification (src/domain/jose.c, oidc_token.c).  The first
 * byte picks what the rest is:
 *   0  a compact token, checked against a fixed JWKS (split, header, keys);
 *   1  "header NUL claims": the harness signs them ES256 with its own key, so
 *      arbitrary claims get past the signature into the claim rules;
 *   2  "jwks NUL token": key selection over a hostile key set;
 *   3  a userinfo answer merged into a fixed identity, and a token answer.
 * Traps when a verdict is inconsistent: OK without a subject or with too many
 * groups, a refusal without key or sentence, a signed token in mode 1 that
 * verified with another issuer, a token answer "ok" without an ID token.
 */
#include <string.h>

#include <openssl/ecdsa.h>
#include <openssl/evp.h>

#include "fuzz.h"
#include "onramp/jose.h"
#include "onramp/limits.h"

#define CHECK(cond) do { if (!(cond)) __builtin_trap(); } while (0)
#define ISS "https://idp.example.com"
#define NOW INT64_C(1800000000)

static EVP_PKEY *key;
static char jwks[1024];

static size_t
b64u(const unsigned char *p, size_t n, char *out)
{
	unsigned char tmp[4 * 4096 / 3 + 8];
	int i, len;
	size_t k = 0;

	if (n > 4096)
		n = 4096;
	len = EVP_EncodeBlock(tmp, p, (int)n);
	for (i = 0; i < len; i++)
		if (tmp[i] != '=')
			out[k++] = tmp[i] == '+' ? '-' : tmp[i] == '/' ? '_' : (char)tmp[i];
	out[k] = '\0';
	return k;
}

static void
init(void)
{
	unsigned char x[32], y[32];
	char bx[48], by[48];
	BIGNUM *bn = NULL;

	key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	CHECK(key != NULL && EVP_PKEY_get_bn_param(key, "qx", &bn) == 1 && BN_bn2binpad(bn, x, 32) == 32);
	BN_free(bn);
	bn = NULL;
	CHECK(EVP_PKEY_get_bn_param(key, "qy", &bn) == 1 && BN_bn2binpad(bn, y, 32) == 32);
	BN_free(bn);
	b64u(x, 32, bx);
	b64u(y, 32, by);
	snprintf(jwks, sizeof(jwks), "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"f1\",\"x\":\"%s\","
		 "\"y\":\"%s\"},{\"kty\":\"RSA\",\"kid\":\"r1\",\"n\":\"sXch\",\"e\":\"AQAB\"}]}", bx, by);
}

static void
check_verdict(oidc_verdict v, const oidc_identity *id, const oidc_failure *why)
{
	size_t i;

	if (v != OIDC_OK) {
		CHECK(why->key != NULL && why->message != NULL && *why->message != '\0');
		return;
	}
	CHECK(id->sub != NULL && *id->sub != '\0' && strlen(id->sub) <= LIMIT_OIDC_SUB_BYTES);
	CHECK(strcmp(id->issuer, ISS) == 0);
	CHECK(id->ngroups <= LIMIT_OIDC_GROUPS && (id->has_groups || id->ngroups == 0));
	CHECK(id->email_verified >= -1 && id->email_verified <= 1);
	for (i = 0; i < id->ngroups; i++)
		CHECK(id->groups[i] != NULL && strlen(id->groups[i]) <= LIMIT_OIDC_GROUP_BYTES);
}

/* header NUL claims, signed here: returns the compact token (arena). */
static char *
signed_token(arena *a, const unsigned char *p, size_t n)
{
	const unsigned char *nul = memchr(p, 0, n);
	size_t hn = nul ? (size_t)(nul - p) : n, cn = nul ? n - hn - 1 : 0, len, siglen = 80;
	char *t = arena_alloc(a, 4 * (n + 100) / 3 + 200);
	unsigned char der[80], raw[64];
	const unsigned char *dp = der;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	ECDSA_SIG *es;

	len = b64u(p, hn, t);
	t[len++] = '.';
	len += b64u(nul ? nul + 1 : p, cn, t + len);
	CHECK(EVP_DigestSignInit_ex(ctx, NULL, "SHA256", NULL, NULL, key, NULL) == 1 &&
	      EVP_DigestSign(ctx, der, &siglen, (unsigned char *)t, len) == 1);
	EVP_MD_CTX_free(ctx);
	es = d2i_ECDSA_SIG(NULL, &dp, (long)siglen);
	CHECK(es != NULL);
	BN_bn2binpad(ECDSA_SIG_get0_r(es), raw, 32);
	BN_bn2binpad(ECDSA_SIG_get0_s(es), raw + 32, 32);
	ECDSA_SIG_free(es);
	t[len++] = '.';
	b64u(raw, 64, t + len);
	return t;
}

static void
fuzz_other(arena *a, const char *text, size_t size)
{
	oidc_identity id = { "s1", "a@example.com", NULL, -1, NULL, 0, false, ISS };
	oidc_failure why = { NULL, NULL };
	const char *it, *at, *err, *desc, *h;

	if (!oidc_userinfo_merge(a, text, size, NULL, &id, &why))
		CHECK(why.key != NULL && why.message != NULL);
	else
		CHECK(strcmp(id.sub, "s1") == 0 && id.ngroups <= LIMIT_OIDC_GROUPS);
	if (oidc_token_response_parse(a, text, size, &it, &at, &err, &desc) == OR_OK)
		CHECK(it != NULL && *it != '\0' && err == NULL);
	h = oidc_basic_auth(a, "c", text, size);
	CHECK(h != NULL && strncmp(h, "Basic ", 6) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	oidc_expect e = { ISS, "client", "n1", JOSE_ALL, NOW, 120 };
	oidc_claims names = { NULL, NULL, NULL };
	arena *a;
	oidc_identity id;
	oidc_failure why = { NULL, NULL };
	const char *text = (const char *)data + 1, *nul, *t;
	size_t n = size ? size - 1 : 0;
	oidc_verdict v;

	if (key == NULL)
		init();
	if (size == 0 || (a = arena_new(LIMIT_ARENA_BYTES)) == NULL)
		return 0;
	switch (data[0] & 3) {
	case 0:
		v = oidc_id_token_verify(a, text, n, jwks, strlen(jwks), &e, &names, &id, &why);
		check_verdict(v, &id, &why);
		break;
	case 1:
		t = signed_token(a, data + 1, n);
		v = oidc_id_token_verify(a, t, strlen(t), jwks, strlen(jwks), &e, NULL, &id, &why);
		check_verdict(v, &id, &why);
		break;
	case 2:
		nul = memchr(text, 0, n);
		t = nul ? nul + 1 : text;
		v = oidc_id_token_verify(a, t, n - (size_t)(t - text), text, nul ? (size_t)(nul - text) : n, &e, NULL,
					 &id, &why);
		check_verdict(v, &id, &why);
		break;
	default:
		fuzz_other(a, text, n);
	}
	arena_free(a);
	return 0;
}
