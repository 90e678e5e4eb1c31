/*
 * Unit tests for JWKS validation (src/domain/oidc_jwks.c): every key set of
 * the corpus gets the verdict SOURCES.md gives at 2026-11-23, and
 * hand-written sets cover RSA and EC keys, weak, non-signing and malformed
 * keys, and the document's shape.
 */
#include <string.h>

#include "onramp/limits.h"
#include "onramp/oidc_disc.h"
#include "corpus.h"
#include "unit.h"

static sso_report rep;

struct jwks_case {
	const char *file;
	int usable;		/* 0: reject "no usable signing key" */
	bool x5c_expired;
	size_t ncerts;		/* x5c certificates of usable keys */
};

static const struct jwks_case jwks_cases[] = {
	{ "jwks/google_oauth2-v3-certs.json", 2, false, 0 },
	{ "jwks/microsoft-entra_common-v2-keys.json", 7, false, 7 },
	{ "jwks/apple_auth-keys.json", 3, false, 0 },
	{ "jwks/docker-auth0_jwks.json", 2, false, 2 },
	{ "jwks/pingfederate_connect-interop_jwks.json", 3, false, 0 },
	{ "jwks/identityserver_demo_jwks_bom.json", 1, true, 1 },
	{ "jwks/azure-workload-identity_jwks.json", 2, false, 0 },
	{ "jwks/invalid/azuread-identitymodel_empty-keys.json", 0, false, 0 },
};

static void
test_corpus_jwks(void)
{
	arena *a = arena_new(LIMIT_ARENA_BYTES);
	sso_report r;
	size_t i, len = 0;

	for (i = 0; i < sizeof(jwks_cases) / sizeof(jwks_cases[0]); i++) {
		const struct jwks_case *c = &jwks_cases[i];
		char *doc = corpus_read(c->file, &len);
		CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
		sso_report_init(&r, "oidc");
		oidc_jwks_check(a, doc, len, CORPUS_NOW, &r);
		if (r.usable_keys != c->usable)
			fprintf(stderr, "%s: %d usable keys, want %d\n", c->file, r.usable_keys, c->usable);
		CU_ASSERT_EQUAL(r.usable_keys, c->usable);
		CU_ASSERT_EQUAL(r.ok, c->usable > 0);
		CU_ASSERT_EQUAL(failed(&r, "oidc.jwks.usable"), c->usable == 0);
		CU_ASSERT_EQUAL(failed(&r, "oidc.jwks.x5c_expired"), c->x5c_expired);
		CU_ASSERT_EQUAL(r.ncerts, c->ncerts);
		CU_ASSERT_PTR_NULL(sso_report_failed(&r, c->usable ? SSO_ERROR : SSO_WARNING));
		if (c->usable == 0)
			CU_ASSERT_PTR_NOT_NULL(strstr(message(&r, "oidc.jwks.usable"), "no usable signing key"));
		free(doc);
		arena_reset(a);
	}
	arena_free(a);
}

/* --- hand-written key sets ---------------------------------------------------------------- */

#define RFC7517_RSA								\
	"{\"kty\":\"RSA\",\"alg\":\"RS256\",\"kid\":\"2011-04-29\",\"n\":\"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbW" \
	"hM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93l" \
	"qt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qN" \
	"Lyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw\","  \
	"\"e\":\"AQAB\"}"
#define EC_X "MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4"
#define EC_Y "4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM"
#define RSA1024_N								\
	"w1paWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpa" \
	"WlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWgE"

static const sso_report *
jwks(arena *a, const char *json)
{
	sso_report_init(&rep, "oidc");
	oidc_jwks_check(a, json, strlen(json), CORPUS_NOW, &rep);
	return &rep;
}

static void
test_corpus_x5c_facts(void)
{
	arena *a = arena_new(LIMIT_ARENA_BYTES);
	sso_report r;
	size_t len = 0;
	char *doc = corpus_read("jwks/identityserver_demo_jwks_bom.json", &len);

	CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
	sso_report_init(&r, "oidc");
	oidc_jwks_check(a, doc, len, CORPUS_NOW, &r);
	CU_ASSERT_EQUAL_FATAL(r.ncerts, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.certs[0].subject, "idsrv3test"));
	CU_ASSERT_STRING_EQUAL(r.certs[0].use, "signing");
	CU_ASSERT_TRUE(r.certs[0].not_after < CORPUS_NOW);
	CU_ASSERT_PTR_NOT_NULL(strstr(message(&r, "oidc.jwks.x5c_expired"), "2020-01-20"));
	free(doc);
	doc = corpus_read("jwks/docker-auth0_jwks.json", &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
	sso_report_init(&r, "oidc");
	oidc_jwks_check(a, doc, len, CORPUS_NOW, &r);
	CU_ASSERT_EQUAL_FATAL(r.ncerts, 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.certs[0].subject, "docker-prod.us.auth0.com"));
	CU_ASSERT_EQUAL(r.certs[0].key_bits, 2048);
	CU_ASSERT_TRUE(r.certs[0].not_after > CORPUS_NOW);
	free(doc);
	arena_free(a);
}

static void
test_jwks_keys(void)
{
	arena *a = arena_new(LIMIT_ARENA_BYTES);
	const sso_report *r;

	r = jwks(a, "{\"keys\":[" RFC7517_RSA ",{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" EC_X "\",\"y\":\"" EC_Y
		    "\",\"use\":\"sig\"}]}");
	CU_ASSERT_EQUAL(r->usable_keys, 2);
	CU_ASSERT_TRUE(r->ok);
	CU_ASSERT_PTR_NULL(sso_report_failed(r, SSO_WARNING));
	/* A point off the curve, a wrong-size coordinate, an unknown curve: none loads. */
	r = jwks(a, "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" EC_X "\",\"y\":\"" EC_X "\"},"
		    "{\"kty\":\"EC\",\"crv\":\"P-384\",\"x\":\"" EC_X "\",\"y\":\"" EC_Y "\"},"
		    "{\"kty\":\"EC\",\"crv\":\"secp256k1\",\"x\":\"" EC_X "\",\"y\":\"" EC_Y "\"}]}");
	CU_ASSERT_EQUAL(r->usable_keys, 0);
	CU_ASSERT_TRUE(failed(r, "oidc.jwks.key"));
	CU_ASSERT_TRUE(failed(r, "oidc.jwks.usable"));
	CU_ASSERT_FALSE(r->ok);
	r = jwks(a, "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"weak\",\"n\":\"" RSA1024_N "\",\"e\":\"AQAB\"}]}");
	CU_ASSERT_EQUAL(r->usable_keys, 0);
	CU_ASSERT_TRUE(failed(r, "oidc.jwks.key_size"));
	CU_ASSERT_EQUAL(sso_report_find(r, "oidc.jwks.key_size")->severity, SSO_WARNING);
	CU_ASSERT_PTR_NOT_NULL(strstr(message(r, "oidc.jwks.key_size"), "1024"));
	CU_ASSERT_PTR_NOT_NULL(strstr(message(r, "oidc.jwks.usable"), "no usable signing key"));
	/* Encryption keys, HMAC keys and mismatched algorithms are not signing keys. */
	r = jwks(a, "{\"keys\":[{\"kty\":\"RSA\",\"use\":\"enc\",\"n\":\"0vx7\",\"e\":\"AQAB\"},"
		    "{\"kty\":\"oct\",\"k\":\"AAAA\"},{\"kty\":\"RSA\",\"alg\":\"ES256\",\"n\":\"0vx7\",\"e\":\"AQAB\"},"
		    "{\"kty\":\"RSA\",\"alg\":\"RSA-OAEP\",\"n\":\"0vx7\",\"e\":\"AQAB\"}, 7, null]}");
	CU_ASSERT_EQUAL(r->usable_keys, 0);
	CU_ASSERT_PTR_NULL(sso_report_find(r, "oidc.jwks.key"));
	r = jwks(a, "{\"keys\":[{\"kty\":\"RSA\",\"n\":\"***\",\"e\":\"AQAB\"},{\"kty\":\"RSA\",\"e\":\"AQAB\"},"
		    "{\"kty\":\"RSA\",\"n\":\"" RSA1024_N "\",\"e\":\"AA\"}]}");
	CU_ASSERT_EQUAL(r->usable_keys, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(message(r, "oidc.jwks.key"), "number 1"));
	arena_free(a);
}

static void
test_jwks_shape(void)
{
	arena *a = arena_new(LIMIT_ARENA_BYTES);
	const sso_report *r;

	r = jwks(a, "{\"keys\":{}}");
	CU_ASSERT_TRUE(failed(r, "oidc.jwks.keys"));
	r = jwks(a, "{}");
	CU_ASSERT_TRUE(failed(r, "oidc.jwks.keys"));
	r = jwks(a, "[" RFC7517_RSA "]");
	CU_ASSERT_TRUE(failed(r, "oidc.jwks.json"));
	r = jwks(a, "\xEF\xBB\xBF{\"keys\":[" RFC7517_RSA "]}\n");
	CU_ASSERT_EQUAL(r->usable_keys, 1);
	CU_ASSERT_TRUE(r->ok);
	r = jwks(a, "{\"keys\":[" RFC7517_RSA "]} x");
	CU_ASSERT_TRUE(failed(r, "oidc.jwks.json"));
	CU_ASSERT_EQUAL(r->usable_keys, 0);
	arena_free(a);
}

static bool
known_jwks(const char *file)
{
	size_t i;

	for (i = 0; i < sizeof(jwks_cases) / sizeof(jwks_cases[0]); i++)
		if (strcmp(jwks_cases[i].file, file) == 0)
			return true;
	return false;
}

/* SOURCES.md still parses into one key-set row per case above, so the corpus test cannot pass over nothing. */
static void
test_corpus_rows(void)
{
	corpus_check_rows("jwks/", CORPUS_ROWS_JWKS, known_jwks, sizeof(jwks_cases) / sizeof(jwks_cases[0]));
}

static const unit_test tests[] = {
	{ "corpus: key sets get their SOURCES.md verdicts", test_corpus_jwks },
	{ "corpus: SOURCES.md has a row for each key-set case", test_corpus_rows },
	{ "corpus: x5c certificate facts in the summary", test_corpus_x5c_facts },
	{ "keys: RSA, EC, weak, not signing, malformed", test_jwks_keys },
	{ "document shape", test_jwks_shape },
	{ NULL, NULL }
};

UNIT_MAIN("oidc_jwks", tests)
