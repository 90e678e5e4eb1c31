/* Unit tests for HOTP/TOTP, base32 and otpauth URIs (src/domain/totp.c). */
#include <stdio.h>
#include <string.h>

#include "onramp/totp.h"
#include "unit.h"

/* The RFCs' SHA-1 seed: the 20 ASCII bytes "12345678901234567890". */
static const unsigned char rfc_secret[] = "12345678901234567890";
#define RFC_LEN 20
/* A time inside step 37037037 of the RFC vectors. */
#define NOW 1111111111
#define STEP (NOW / TOTP_STEP_S)

static void
test_rfc4226_hotp(void)
{
	static const uint32_t want[10] = {
		755224, 287082, 359152, 969429, 338314, 254676, 287922, 162583, 399871, 520489
	};
	uint64_t c;

	for (c = 0; c < 10; c++)
		CU_ASSERT_EQUAL(totp_hotp(rfc_secret, RFC_LEN, c), want[c]);
}

static void
test_rfc6238_sha1(void)
{
	static const struct { int64_t t; uint32_t code; } v[] = {
		{ 59, 94287082 }, { 1111111109, 7081804 }, { 1111111111, 14050471 },
		{ 1234567890, 89005924 }, { 2000000000, 69279037 }, { 20000000000, 65353130 },
	};
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		CU_ASSERT_EQUAL(totp_code_digits(rfc_secret, RFC_LEN, v[i].t, 8), v[i].code);
		CU_ASSERT_EQUAL(totp_code(rfc_secret, RFC_LEN, v[i].t), v[i].code % 1000000);
	}
	CU_ASSERT_EQUAL(totp_code_digits(rfc_secret, RFC_LEN, 59, 0), TOTP_CODE_ERROR);
	CU_ASSERT_EQUAL(totp_code_digits(rfc_secret, RFC_LEN, 59, 10), TOTP_CODE_ERROR);
	CU_ASSERT_EQUAL(totp_code(rfc_secret, RFC_LEN, -1), TOTP_CODE_ERROR);
}

static const struct { const char *raw, *b32; } b32v[] = {
	{ "", "" }, { "f", "MY" }, { "fo", "MZXQ" }, { "foo", "MZXW6" },
	{ "foob", "MZXW6YQ" }, { "fooba", "MZXW6YTB" }, { "foobar", "MZXW6YTBOI" },
};

static void
test_base32_encode(void)
{
	char out[64];
	size_t i;

	for (i = 0; i < sizeof(b32v) / sizeof(b32v[0]); i++) {
		size_t n = strlen(b32v[i].raw);

		CU_ASSERT_EQUAL(totp_base32_encode((const unsigned char *)b32v[i].raw, n, out,
						   sizeof(out)), strlen(b32v[i].b32));
		CU_ASSERT_STRING_EQUAL(out, b32v[i].b32);
		CU_ASSERT_EQUAL(TOTP_BASE32_LEN(n), strlen(b32v[i].b32));
	}
	CU_ASSERT_EQUAL(totp_base32_encode(rfc_secret, RFC_LEN, out, sizeof(out)), 32);
	CU_ASSERT_STRING_EQUAL(out, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
	/* MZXW6YTBOI needs 11 bytes with the NUL. */
	CU_ASSERT_EQUAL(totp_base32_encode((const unsigned char *)"foobar", 6, out, 10), 0);
	CU_ASSERT_EQUAL(totp_base32_encode((const unsigned char *)"foobar", 6, out, 11), 10);
}

static void
test_base32_decode(void)
{
	unsigned char out[32];
	size_t i, n;

	for (i = 0; i < sizeof(b32v) / sizeof(b32v[0]); i++) {
		CU_ASSERT_EQUAL(totp_base32_decode(b32v[i].b32, out, sizeof(out), &n), OR_OK);
		CU_ASSERT_EQUAL(n, strlen(b32v[i].raw));
		CU_ASSERT_EQUAL(memcmp(out, b32v[i].raw, n), 0);
	}
	CU_ASSERT_EQUAL(totp_base32_decode("mzxw6ytboi", out, sizeof(out), &n), OR_OK);
	CU_ASSERT_TRUE(n == 6 && memcmp(out, "foobar", 6) == 0);
	CU_ASSERT_EQUAL(totp_base32_decode("MZXW 6YTB oi======", out, sizeof(out), &n), OR_OK);
	CU_ASSERT_TRUE(n == 6 && memcmp(out, "foobar", 6) == 0);
	CU_ASSERT_EQUAL(totp_base32_decode("MZXW6YQ=", out, sizeof(out), &n), OR_OK);
	CU_ASSERT_TRUE(n == 4 && memcmp(out, "foob", 4) == 0);
}

static void
test_base32_decode_bad(void)
{
	unsigned char out[32];
	size_t n = 99;

	CU_ASSERT_EQUAL(totp_base32_decode("MZXW1", out, sizeof(out), &n), OR_ERR_INVALID);
	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_EQUAL(totp_base32_decode("MZ!XW6", out, sizeof(out), &n), OR_ERR_INVALID);
	CU_ASSERT_EQUAL(totp_base32_decode("MZXW8", out, sizeof(out), &n), OR_ERR_INVALID);
	CU_ASSERT_EQUAL(totp_base32_decode("M", out, sizeof(out), &n), OR_ERR_INVALID);
	CU_ASSERT_EQUAL(totp_base32_decode("MZX", out, sizeof(out), &n), OR_ERR_INVALID);
	CU_ASSERT_EQUAL(totp_base32_decode("MZXW6Y", out, sizeof(out), &n), OR_ERR_INVALID);
	CU_ASSERT_EQUAL(totp_base32_decode("MZXW6YTBOI", out, 5, &n), OR_ERR_LIMIT);
	CU_ASSERT_EQUAL(totp_base32_decode(NULL, out, sizeof(out), &n), OR_ERR_INVALID);
}

/* The 6-digit code of a step, as a person would type it. */
static void
code_at(int64_t step, char out[16])
{
	int w = snprintf(out, 16, "%06u", (unsigned)totp_hotp(rfc_secret, RFC_LEN, (uint64_t)step));

	CU_ASSERT_FATAL(w == 6);
}

static void
test_verify_window(void)
{
	char code[16];
	int64_t d;

	for (d = -1; d <= 1; d++) {
		int64_t last = -1;

		code_at(STEP + d, code);
		CU_ASSERT_TRUE(totp_verify(rfc_secret, RFC_LEN, code, NOW, &last));
		CU_ASSERT_EQUAL(last, STEP + d);
	}
	{
		static const int64_t outside[] = { -3, -2, 2, 3 };
		size_t i;

		for (i = 0; i < sizeof(outside) / sizeof(outside[0]); i++) {
			int64_t last = -1;

			code_at(STEP + outside[i], code);
			CU_ASSERT_FALSE(totp_verify(rfc_secret, RFC_LEN, code, NOW, &last));
			CU_ASSERT_EQUAL(last, -1);
		}
	}
}

static void
test_verify_replay(void)
{
	char code[16];
	int64_t last = -1;

	code_at(STEP, code);
	CU_ASSERT_TRUE(totp_verify(rfc_secret, RFC_LEN, code, NOW, &last));
	CU_ASSERT_EQUAL(last, STEP);
	/* The same code again, and an older one still inside the window. */
	CU_ASSERT_FALSE(totp_verify(rfc_secret, RFC_LEN, code, NOW, &last));
	code_at(STEP - 1, code);
	CU_ASSERT_FALSE(totp_verify(rfc_secret, RFC_LEN, code, NOW, &last));
	CU_ASSERT_EQUAL(last, STEP);
	/* A later step is still fine, once. */
	code_at(STEP + 1, code);
	CU_ASSERT_TRUE(totp_verify(rfc_secret, RFC_LEN, code, NOW, &last));
	CU_ASSERT_EQUAL(last, STEP + 1);
	CU_ASSERT_FALSE(totp_verify(rfc_secret, RFC_LEN, code, NOW + TOTP_STEP_S, &last));
	/* Without a replay record nothing is accepted. */
	CU_ASSERT_FALSE(totp_verify(rfc_secret, RFC_LEN, code, NOW, NULL));
}

static void
test_verify_typing(void)
{
	char code[16], spaced[32];
	int64_t last;
	int w;

	code_at(STEP, code);
	w = snprintf(spaced, sizeof(spaced), " %.3s %s\t", code, code + 3);
	CU_ASSERT_FATAL(w > 0 && (size_t)w < sizeof(spaced));
	last = -1;
	CU_ASSERT_TRUE(totp_verify(rfc_secret, RFC_LEN, spaced, NOW, &last));

	last = -1;
	CU_ASSERT_FALSE(totp_verify(rfc_secret, RFC_LEN, "", NOW, &last));
	CU_ASSERT_FALSE(totp_verify(rfc_secret, RFC_LEN, "12345", NOW, &last));
	CU_ASSERT_FALSE(totp_verify(rfc_secret, RFC_LEN, "1234567", NOW, &last));
	CU_ASSERT_FALSE(totp_verify(rfc_secret, RFC_LEN, "12a456", NOW, &last));
	CU_ASSERT_FALSE(totp_verify(rfc_secret, RFC_LEN, "123-456", NOW, &last));
	CU_ASSERT_FALSE(totp_verify(rfc_secret, RFC_LEN, "+12345", NOW, &last));
	CU_ASSERT_FALSE(totp_verify(rfc_secret, RFC_LEN, "\xef\xbc\x91" "23456", NOW, &last));
	CU_ASSERT_FALSE(totp_verify(rfc_secret, RFC_LEN, NULL, NOW, &last));
	/* The right digits followed by junk, and the right code with a seventh digit. */
	w = snprintf(spaced, sizeof(spaced), "%sx", code);
	CU_ASSERT_FATAL(w > 0 && (size_t)w < sizeof(spaced));
	CU_ASSERT_FALSE(totp_verify(rfc_secret, RFC_LEN, spaced, NOW, &last));
	w = snprintf(spaced, sizeof(spaced), "%s0", code);
	CU_ASSERT_FATAL(w > 0 && (size_t)w < sizeof(spaced));
	CU_ASSERT_FALSE(totp_verify(rfc_secret, RFC_LEN, spaced, NOW, &last));
	CU_ASSERT_FALSE(totp_verify(rfc_secret, 0, code, NOW, &last));
	CU_ASSERT_EQUAL(last, -1);
}

static void
test_uri(void)
{
	char out[512];

	CU_ASSERT_EQUAL(totp_uri("Onramp Console", "ann@example.com", rfc_secret, RFC_LEN,
				 out, sizeof(out)), OR_OK);
	CU_ASSERT_STRING_EQUAL(out,
		"otpauth://totp/Onramp%20Console:ann%40example.com"
		"?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Onramp%20Console"
		"&algorithm=SHA1&digits=6&period=30");

	CU_ASSERT_EQUAL(totp_uri("A&B:C/D?", "j\xc3\xa9r\xc3\xb4me+x_y.z~", rfc_secret, 5,
				 out, sizeof(out)), OR_OK);
	CU_ASSERT_STRING_EQUAL(out,
		"otpauth://totp/A%26B%3AC%2FD%3F:j%C3%A9r%C3%B4me%2Bx_y.z~"
		"?secret=GEZDGNBV&issuer=A%26B%3AC%2FD%3F&algorithm=SHA1&digits=6&period=30");
}

static void
test_uri_bad(void)
{
	char out[512];

	CU_ASSERT_EQUAL(totp_uri("Onramp", "ann", rfc_secret, RFC_LEN, out, 40), OR_ERR_LIMIT);
	CU_ASSERT_STRING_EQUAL(out, "");
	CU_ASSERT_EQUAL(totp_uri("", "ann", rfc_secret, RFC_LEN, out, sizeof(out)), OR_ERR_INVALID);
	CU_ASSERT_EQUAL(totp_uri("Onramp", "", rfc_secret, RFC_LEN, out, sizeof(out)), OR_ERR_INVALID);
	CU_ASSERT_EQUAL(totp_uri("Onramp", "ann", rfc_secret, 0, out, sizeof(out)), OR_ERR_INVALID);
	CU_ASSERT_EQUAL(totp_uri(NULL, "ann", rfc_secret, RFC_LEN, out, sizeof(out)), OR_ERR_INVALID);
}

static const unit_test tests[] = {
	{ "rfc4226 hotp vectors", test_rfc4226_hotp },
	{ "rfc6238 sha1 vectors", test_rfc6238_sha1 },
	{ "base32 encode", test_base32_encode },
	{ "base32 decode", test_base32_decode },
	{ "base32 decode refuses junk", test_base32_decode_bad },
	{ "verify window", test_verify_window },
	{ "verify replay", test_verify_replay },
	{ "verify typing", test_verify_typing },
	{ "uri", test_uri },
	{ "uri refusals", test_uri_bad },
	{ NULL, NULL }
};

UNIT_MAIN("totp", tests)
