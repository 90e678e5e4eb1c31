/* Unit tests for tokens, hashing, sealing and key files (src/domain/secret.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "onramp/secret.h"
#include "unit.h"

static const unsigned char key_a[SECRET_KEY_BYTES] = {
	0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
	0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
};
static const unsigned char seed[] = "12345678901234567890";
#define SEED_LEN (sizeof(seed) - 1)

static void
test_token_shape(void)
{
	char a[SECRET_TOKEN_LEN + 1], b[SECRET_TOKEN_LEN + 1];
	size_t i;

	CU_ASSERT_EQUAL_FATAL(secret_token_new(a), OR_OK);
	CU_ASSERT_EQUAL_FATAL(secret_token_new(b), OR_OK);
	CU_ASSERT_EQUAL(strlen(a), SECRET_TOKEN_LEN);
	CU_ASSERT_STRING_NOT_EQUAL(a, b);
	for (i = 0; i < SECRET_TOKEN_LEN; i++)
		CU_ASSERT_PTR_NOT_NULL(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
					      "0123456789-_", a[i]));
	CU_ASSERT_TRUE(secret_token_shape_ok(a));
	CU_ASSERT_TRUE(secret_token_shape_ok(b));
}

static void
test_token_unique(void)
{
	enum { N = 200 };
	static char toks[N][SECRET_TOKEN_LEN + 1];
	size_t i, j, dup = 0;

	for (i = 0; i < N; i++)
		CU_ASSERT_EQUAL(secret_token_new(toks[i]), OR_OK);
	for (i = 0; i < N; i++)
		for (j = i + 1; j < N; j++)
			dup += strcmp(toks[i], toks[j]) == 0;
	CU_ASSERT_EQUAL(dup, 0);
}

static void
test_token_shape_refusals(void)
{
	const char *ok = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAE";

	CU_ASSERT_TRUE(secret_token_shape_ok(ok));
	CU_ASSERT_FALSE(secret_token_shape_ok(NULL));
	CU_ASSERT_FALSE(secret_token_shape_ok(""));
	CU_ASSERT_FALSE(secret_token_shape_ok("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));	/* 42 */
	CU_ASSERT_FALSE(secret_token_shape_ok("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAEA"));	/* 44 */
	CU_ASSERT_FALSE(secret_token_shape_ok("AAAAAAAAAAAAAAAAAAAA+AAAAAAAAAAAAAAAAAAAAAE"));
	CU_ASSERT_FALSE(secret_token_shape_ok("AAAAAAAAAAAAAAAAAAAA=AAAAAAAAAAAAAAAAAAAAAE"));
	/* The last character carries two padding bits that must be zero. */
	CU_ASSERT_FALSE(secret_token_shape_ok("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB"));
}

static void
test_sha256(void)
{
	char hex[SECRET_HASH_HEX + 1];

	secret_sha256_hex("abc", 3, hex);
	CU_ASSERT_STRING_EQUAL(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	secret_sha256_hex("", 0, hex);
	CU_ASSERT_STRING_EQUAL(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void
test_b64url_and_equal(void)
{
	char out[16];

	CU_ASSERT_EQUAL(secret_b64url((const unsigned char *)"\xfb\xff", 2, out, sizeof(out)), 3);
	CU_ASSERT_STRING_EQUAL(out, "-_8");
	CU_ASSERT_EQUAL(secret_b64url((const unsigned char *)"foobar", 6, out, sizeof(out)), 8);
	CU_ASSERT_STRING_EQUAL(out, "Zm9vYmFy");
	CU_ASSERT_EQUAL(secret_b64url((const unsigned char *)"fooba", 5, out, sizeof(out)), 7);
	CU_ASSERT_STRING_EQUAL(out, "Zm9vYmE");
	CU_ASSERT_EQUAL(secret_b64url((const unsigned char *)"foobar", 6, out, 8), 0);
	CU_ASSERT_TRUE(secret_equal("abcd", "abcd", 4));
	CU_ASSERT_FALSE(secret_equal("abcd", "abce", 4));
	CU_ASSERT_TRUE(secret_equal("x", "y", 0));
}

static void
test_seal_round_trip(void)
{
	char sealed[256], again[256];
	unsigned char plain[64];
	size_t n = 0;

	CU_ASSERT_EQUAL_FATAL(secret_seal(key_a, "operator:42:totp", seed, SEED_LEN, sealed,
					  sizeof(sealed)), OR_OK);
	/* base64url of 12 + 20 + 16 bytes */
	CU_ASSERT_EQUAL(strlen(sealed), 64);
	CU_ASSERT_EQUAL(secret_open(key_a, "operator:42:totp", sealed, plain, sizeof(plain), &n), OR_OK);
	CU_ASSERT_EQUAL(n, SEED_LEN);
	CU_ASSERT_EQUAL(memcmp(plain, seed, SEED_LEN), 0);
	/* A fresh nonce each time: the same value never seals the same way twice. */
	CU_ASSERT_EQUAL(secret_seal(key_a, "operator:42:totp", seed, SEED_LEN, again,
				    sizeof(again)), OR_OK);
	CU_ASSERT_STRING_NOT_EQUAL(sealed, again);
	/* Empty plaintext and empty aad still authenticate. */
	CU_ASSERT_EQUAL(secret_seal(key_a, "", seed, 0, sealed, sizeof(sealed)), OR_OK);
	CU_ASSERT_EQUAL(secret_open(key_a, "", sealed, plain, sizeof(plain), &n), OR_OK);
	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_EQUAL(secret_seal(key_a, "x", seed, SEED_LEN, sealed, 60), OR_ERR_LIMIT);
}

static void
test_open_refusals(void)
{
	unsigned char key_b[SECRET_KEY_BYTES];
	char sealed[256], bad[256];
	unsigned char plain[64];
	size_t n = 7, len;

	memcpy(key_b, key_a, sizeof(key_b));
	key_b[31] ^= 1;
	CU_ASSERT_EQUAL_FATAL(secret_seal(key_a, "operator:42:totp", seed, SEED_LEN, sealed,
					  sizeof(sealed)), OR_OK);
	len = strlen(sealed);
	CU_ASSERT_EQUAL(secret_open(key_b, "operator:42:totp", sealed, plain, sizeof(plain), &n),
			OR_ERR_INVALID);
	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_EQUAL(secret_open(key_a, "operator:43:totp", sealed, plain, sizeof(plain), &n),
			OR_ERR_INVALID);
	CU_ASSERT_EQUAL(secret_open(key_a, "", sealed, plain, sizeof(plain), &n), OR_ERR_INVALID);
	/* Flip one character at the start (nonce), middle (ciphertext) and end (tag). */
	{
		size_t pos[3] = { 0, len / 2, len - 2 }, i;

		for (i = 0; i < 3; i++) {
			memcpy(bad, sealed, len + 1);
			bad[pos[i]] = bad[pos[i]] == 'A' ? 'B' : 'A';
			CU_ASSERT_EQUAL(secret_open(key_a, "operator:42:totp", bad, plain, sizeof(plain),
						    &n), OR_ERR_INVALID);
		}
	}
	/* Truncated: by one character, to a whole number of bytes, to less than nonce + tag. */
	memcpy(bad, sealed, len + 1);
	bad[len - 1] = '\0';
	CU_ASSERT_EQUAL(secret_open(key_a, "operator:42:totp", bad, plain, sizeof(plain), &n), OR_ERR_INVALID);
	bad[len - 4] = '\0';
	CU_ASSERT_EQUAL(secret_open(key_a, "operator:42:totp", bad, plain, sizeof(plain), &n), OR_ERR_INVALID);
	bad[20] = '\0';
	CU_ASSERT_EQUAL(secret_open(key_a, "operator:42:totp", bad, plain, sizeof(plain), &n), OR_ERR_INVALID);
	CU_ASSERT_EQUAL(secret_open(key_a, "operator:42:totp", "", plain, sizeof(plain), &n), OR_ERR_INVALID);
	/* Not base64url at all, or padded. */
	memcpy(bad, sealed, len + 1);
	bad[10] = '+';
	CU_ASSERT_EQUAL(secret_open(key_a, "operator:42:totp", bad, plain, sizeof(plain), &n), OR_ERR_INVALID);
	memcpy(bad, sealed, len + 1);
	bad[len] = '=';
	bad[len + 1] = '\0';
	CU_ASSERT_EQUAL(secret_open(key_a, "operator:42:totp", bad, plain, sizeof(plain), &n), OR_ERR_INVALID);
	/* Too small a destination is a limit, not a forgery. */
	CU_ASSERT_EQUAL(secret_open(key_a, "operator:42:totp", sealed, plain, 10, &n), OR_ERR_LIMIT);
	CU_ASSERT_EQUAL(secret_open(key_a, "operator:42:totp", sealed, plain, sizeof(plain), &n), OR_OK);
}

/* Write text to a new temporary file; the caller unlinks path. */
static void
write_temp(char path[64], const char *text)
{
	FILE *f;
	int fd;

	CU_ASSERT_FATAL(snprintf(path, 64, "/tmp/onramp-key-XXXXXX") == 22);
	fd = mkstemp(path);
	CU_ASSERT_FATAL(fd >= 0);
	f = fdopen(fd, "w");
	CU_ASSERT_FATAL(f != NULL);
	CU_ASSERT_EQUAL(fputs(text, f) >= 0 || !*text, 1);
	CU_ASSERT_EQUAL(fclose(f), 0);
}

static or_status
load_text(const char *text, unsigned char key[SECRET_KEY_BYTES])
{
	char path[64];
	or_status st;

	write_temp(path, text);
	st = secret_key_load(path, key);
	unlink(path);
	return st;
}

static void
test_key_load(void)
{
	unsigned char key[SECRET_KEY_BYTES];

	CU_ASSERT_EQUAL(load_text("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n",
				  key), OR_OK);
	CU_ASSERT_EQUAL(memcmp(key, key_a, sizeof(key)), 0);
	memset(key, 0, sizeof(key));
	CU_ASSERT_EQUAL(load_text("  00010203 04050607 08090A0B 0C0D0E0F\r\n"
				  "\t10111213 14151617 18191A1B 1C1D1E1F\n\n", key), OR_OK);
	CU_ASSERT_EQUAL(memcmp(key, key_a, sizeof(key)), 0);
}

static void
test_key_load_bad(void)
{
	unsigned char key[SECRET_KEY_BYTES], before[SECRET_KEY_BYTES];

	memset(key, 0x5a, sizeof(key));
	memcpy(before, key, sizeof(key));
	CU_ASSERT_EQUAL(load_text("", key), OR_ERR_INVALID);
	/* 62 and 66 digits */
	CU_ASSERT_EQUAL(load_text("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e\n",
				  key), OR_ERR_INVALID);
	CU_ASSERT_EQUAL(load_text("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20\n",
				  key), OR_ERR_INVALID);
	CU_ASSERT_EQUAL(load_text("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1g\n",
				  key), OR_ERR_INVALID);
	CU_ASSERT_EQUAL(load_text("key=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
				  key), OR_ERR_INVALID);
	CU_ASSERT_EQUAL(memcmp(key, before, sizeof(key)), 0);
	CU_ASSERT_EQUAL(secret_key_load("/nonexistent/onramp/secret.key", key), OR_ERR_IO);
	CU_ASSERT_EQUAL(secret_key_load("/tmp", key), OR_ERR_IO);
	CU_ASSERT_EQUAL(memcmp(key, before, sizeof(key)), 0);
}

static const unit_test tests[] = {
	{ "token shape", test_token_shape },
	{ "token uniqueness", test_token_unique },
	{ "token shape refusals", test_token_shape_refusals },
	{ "sha256 hex", test_sha256 },
	{ "base64url and equality", test_b64url_and_equal },
	{ "seal and open", test_seal_round_trip },
	{ "open refuses tampering", test_open_refusals },
	{ "key file", test_key_load },
	{ "key file refusals", test_key_load_bad },
	{ NULL, NULL }
};

UNIT_MAIN("secret", tests)
