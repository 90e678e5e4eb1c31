/* Unit tests for the Idempotency-Key rules (src/domain/idemkey.c). */
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "onramp/idemkey.h"
#include "onramp/limits.h"
#include "unit.h"

static const unsigned char key_a[SECRET_KEY_BYTES] = { 1, 2, 3 };
static const unsigned char key_b[SECRET_KEY_BYTES] = { 9, 9, 9 };

static void
test_key_shape(void)
{
	char s[LIMIT_IDEM_KEY + 2];

	CU_ASSERT_TRUE(idemkey_valid("a"));
	CU_ASSERT_TRUE(idemkey_valid("550e8400-e29b-41d4-a716-446655440000"));
	CU_ASSERT_TRUE(idemkey_valid("!~\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}"));
	CU_ASSERT_FALSE(idemkey_valid(""));
	CU_ASSERT_FALSE(idemkey_valid(NULL));
	CU_ASSERT_FALSE(idemkey_valid("two words"));
	CU_ASSERT_FALSE(idemkey_valid("tab\there"));
	CU_ASSERT_FALSE(idemkey_valid("del\x7f"));
	CU_ASSERT_FALSE(idemkey_valid("caf\xc3\xa9"));
	memset(s, 'k', LIMIT_IDEM_KEY);
	s[LIMIT_IDEM_KEY] = '\0';
	CU_ASSERT_TRUE(idemkey_valid(s));
	s[LIMIT_IDEM_KEY] = 'k';
	s[LIMIT_IDEM_KEY + 1] = '\0';
	CU_ASSERT_FALSE(idemkey_valid(s));
}

static void
hash(const unsigned char *key, const char *method, const char *path, const char *query, const char *body,
     char out[SECRET_HASH_HEX + 1])
{
	CU_ASSERT_EQUAL_FATAL(idemkey_request_hash(key, method, str_from_c(path), query, str_from_c(body), out), OR_OK);
	CU_ASSERT_EQUAL(strlen(out), SECRET_HASH_HEX);
}

/* Every part of the request counts, and the boundaries between parts count too. */
static void
test_hash_parts(void)
{
	char base[65], other[65];

	hash(key_a, "POST", "/api/v1/invites", "", "{\"email\":\"a@example.com\"}", base);
	hash(key_a, "POST", "/api/v1/invites", "", "{\"email\":\"a@example.com\"}", other);
	CU_ASSERT_STRING_EQUAL(base, other);
	hash(key_a, "POST", "/api/v1/invites", "", "{\"email\":\"b@example.com\"}", other);
	CU_ASSERT_STRING_NOT_EQUAL(base, other);
	hash(key_a, "PUT", "/api/v1/invites", "", "{\"email\":\"a@example.com\"}", other);
	CU_ASSERT_STRING_NOT_EQUAL(base, other);
	hash(key_a, "POST", "/api/v1/invitez", "", "{\"email\":\"a@example.com\"}", other);
	CU_ASSERT_STRING_NOT_EQUAL(base, other);
	hash(key_a, "POST", "/api/v1/invites", "x=1", "{\"email\":\"a@example.com\"}", other);
	CU_ASSERT_STRING_NOT_EQUAL(base, other);
	hash(key_b, "POST", "/api/v1/invites", "", "{\"email\":\"a@example.com\"}", other);
	CU_ASSERT_STRING_NOT_EQUAL(base, other);
	/* Moving a byte from the query into the body is another request. */
	hash(key_a, "POST", "/p", "ab", "c", base);
	hash(key_a, "POST", "/p", "a", "bc", other);
	CU_ASSERT_STRING_NOT_EQUAL(base, other);
}

/* The fingerprint is HMAC-SHA256 (keyed: a plain SHA-256 of a body with a password could be guessed). */
static void
test_hash_is_keyed_hmac(void)
{
	static const unsigned char msg[] = "\0\0\0\0\0\0\0\x15onramp-idempotency-v1"
					   "\0\0\0\0\0\0\0\x04POST" "\0\0\0\0\0\0\0\x02/p"
					   "\0\0\0\0\0\0\0\x00" "\0\0\0\0\0\0\0\x02{}";
	unsigned char md[32];
	unsigned int n = 0, i;
	char want[65], got[65];
	static const char hex[] = "0123456789abcdef";

	CU_ASSERT_PTR_NOT_NULL_FATAL(HMAC(EVP_sha256(), key_a, SECRET_KEY_BYTES, msg, sizeof(msg) - 1, md, &n));
	for (i = 0; i < 32; i++) {
		want[2 * i] = hex[md[i] >> 4];
		want[2 * i + 1] = hex[md[i] & 0xf];
	}
	want[64] = '\0';
	hash(key_a, "POST", "/p", "", "{}", got);
	CU_ASSERT_STRING_EQUAL(got, want);
}

static const unit_test tests[] = {
	{ "key shape", test_key_shape },
	{ "hash covers every part", test_hash_parts },
	{ "hash is HMAC-SHA256 of length-prefixed parts", test_hash_is_keyed_hmac },
	{ NULL, NULL },
};

UNIT_MAIN("idemkey", tests)
