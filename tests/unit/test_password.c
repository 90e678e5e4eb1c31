/* Unit tests for the password policy, Argon2id hashing and generation (src/domain/password.c). */
#include <stdio.h>
#include <string.h>

#include <argon2.h>

#include "onramp/password.h"
#include "unit.h"

/* n copies of the UTF-8 sequence ch (a whole code point) into buf, NUL-terminated; the byte length. */
static size_t
repeat(char *buf, size_t bufsz, const char *ch, size_t n)
{
	size_t cl = strlen(ch), i;

	CU_ASSERT_FATAL(n * cl < bufsz);
	for (i = 0; i < n; i++)
		memcpy(buf + i * cl, ch, cl);
	buf[n * cl] = '\0';
	return n * cl;
}

static password_verdict
check(const char *pw)
{
	return password_check(pw, strlen(pw), NULL, NULL);
}

static void
test_length_boundaries(void)
{
	static char buf[2048];
	/* One, two, three and four bytes per code point.  Not "x": twelve
	 * x's are on the common-password list. */
	static const char *const chars[] = { "k", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80" };
	size_t i, n;

	for (i = 0; i < sizeof(chars) / sizeof(chars[0]); i++) {
		n = repeat(buf, sizeof(buf), chars[i], 11);
		CU_ASSERT_EQUAL(password_check(buf, n, NULL, NULL), PASSWORD_TOO_SHORT);
		n = repeat(buf, sizeof(buf), chars[i], 12);
		CU_ASSERT_EQUAL(password_check(buf, n, NULL, NULL), PASSWORD_OK);
		n = repeat(buf, sizeof(buf), chars[i], 256);
		CU_ASSERT_EQUAL(password_check(buf, n, NULL, NULL), PASSWORD_OK);
		n = repeat(buf, sizeof(buf), chars[i], 257);
		CU_ASSERT_EQUAL(password_check(buf, n, NULL, NULL), PASSWORD_TOO_LONG);
	}
	CU_ASSERT_EQUAL(password_check("", 0, NULL, NULL), PASSWORD_TOO_SHORT);
	/* Bytes are not characters: 11 code points in 17 bytes are still too short. */
	CU_ASSERT_EQUAL(check("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9x1x2x3"), PASSWORD_OK);
	CU_ASSERT_EQUAL(check("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9x1x2x"), PASSWORD_TOO_SHORT);
}

static void
test_invalid_utf8(void)
{
	static const char *const bad[] = {
		"correct horse \xc0\xaf",		/* overlong '/' */
		"correct horse \xc1\xbf",		/* overlong */
		"correct horse \xe0\x80\xaf",		/* overlong, three bytes */
		"correct horse \xf0\x80\x80\xaf",	/* overlong, four bytes */
		"correct horse \xed\xa0\x80",		/* surrogate U+D800 */
		"correct horse \xed\xbf\xbf",		/* surrogate U+DFFF */
		"correct horse \xf4\x90\x80\x80",	/* past U+10FFFF */
		"correct horse \xf5\x80\x80\x80",
		"correct horse \x80 battery",		/* lone continuation byte */
		"correct horse \xe2\x82 battery",	/* truncated sequence */
		"correct horse battery \xe2\x82",	/* truncated at the end */
		"correct horse \xff\xfe battery",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CU_ASSERT_EQUAL(check(bad[i]), PASSWORD_NOT_UTF8);
	/* The highest code point and the ones around the surrogates are fine. */
	CU_ASSERT_EQUAL(check("correct horse \xf4\x8f\xbf\xbf \xed\x9f\xbf \xee\x80\x80"), PASSWORD_OK);
	/* Even a short invalid string is reported as invalid, not as short. */
	CU_ASSERT_EQUAL(check("\xc0\xaf"), PASSWORD_NOT_UTF8);
}

static void
test_common(void)
{
	const char *const *list;
	size_t count, i;

	CU_ASSERT_EQUAL(check("qwerty123456"), PASSWORD_COMMON);
	CU_ASSERT_EQUAL(check("QWERTY123456"), PASSWORD_COMMON);
	CU_ASSERT_EQUAL(check("Qwerty123456"), PASSWORD_COMMON);
	CU_ASSERT_EQUAL(check("1Q2W3E4R5T6Y"), PASSWORD_COMMON);
	CU_ASSERT_EQUAL(check("XXXXXXXXXXXX"), PASSWORD_COMMON);
	CU_ASSERT_TRUE(password_is_common("123QweAsdZxc", 12));
	CU_ASSERT_FALSE(password_is_common("qwerty123456x", 13));
	CU_ASSERT_FALSE(password_is_common("qwerty12345", 11));
	CU_ASSERT_FALSE(password_is_common("tangerine-orbit-lantern", 23));
	CU_ASSERT_EQUAL(check("tangerine-orbit-lantern"), PASSWORD_OK);

	list = password_common_list(&count);
	CU_ASSERT_FATAL(count > 100);
	CU_ASSERT_TRUE(password_is_common(list[0], strlen(list[0])));
	CU_ASSERT_TRUE(password_is_common(list[count - 1], strlen(list[count - 1])));
	for (i = 0; i < count; i++) {
		const char *p;

		CU_ASSERT_TRUE(strlen(list[i]) >= PASSWORD_MIN_CHARS);
		if (i > 0)
			CU_ASSERT_TRUE(strcmp(list[i - 1], list[i]) < 0);	/* sorted, no duplicates */
		for (p = list[i]; *p; p++)
			CU_ASSERT_FALSE(*p >= 'A' && *p <= 'Z');
	}
}

static void
test_identity(void)
{
	const char *user = "Alexander.Hamilton", *mail = "alexander.hamilton@example.com";

	CU_ASSERT_EQUAL(password_check("alexander.hamilton", 18, user, mail), PASSWORD_CONTAINS_IDENTITY);
	CU_ASSERT_EQUAL(password_check("ALEXANDER.HAMILTON", 18, user, NULL), PASSWORD_CONTAINS_IDENTITY);
	CU_ASSERT_EQUAL(password_check("Alexander.Hamilton@Example.com", 30, NULL, mail),
			PASSWORD_CONTAINS_IDENTITY);
	CU_ASSERT_EQUAL(password_check("alexander.hamilton", 18, NULL, mail), PASSWORD_CONTAINS_IDENTITY);
	CU_ASSERT_EQUAL(password_check("alexander.hamilton", 18, "", ""), PASSWORD_OK);
	CU_ASSERT_EQUAL(password_check("alexander.hamilton1", 19, user, mail), PASSWORD_OK);
	CU_ASSERT_EQUAL(password_check("founding.father.1789", 20, "founding.father.1789x", "f@x.io"),
			PASSWORD_OK);
	/* The local part ends at the last '@'. */
	CU_ASSERT_EQUAL(password_check("\"odd@local\"part", 15, NULL, "\"odd@local\"part@example.com"),
			PASSWORD_CONTAINS_IDENTITY);
}

static void
test_verdict_text(void)
{
	CU_ASSERT_STRING_EQUAL(password_verdict_code(PASSWORD_TOO_SHORT), "too_short");
	CU_ASSERT_STRING_EQUAL(password_verdict_code(PASSWORD_TOO_LONG), "too_long");
	CU_ASSERT_STRING_EQUAL(password_verdict_code(PASSWORD_NOT_UTF8), "invalid_encoding");
	CU_ASSERT_STRING_EQUAL(password_verdict_code(PASSWORD_COMMON), "too_common");
	CU_ASSERT_STRING_EQUAL(password_verdict_code(PASSWORD_CONTAINS_IDENTITY), "matches_identity");
	CU_ASSERT_STRING_EQUAL(password_verdict_message(PASSWORD_TOO_SHORT), "Use at least 12 characters.");
	CU_ASSERT_PTR_NOT_NULL(password_verdict_message(PASSWORD_COMMON));
	CU_ASSERT_PTR_NOT_NULL(password_verdict_message((password_verdict)99));
	CU_ASSERT_PTR_NOT_NULL(password_verdict_code((password_verdict)99));
}

static void
test_hash_verify(void)
{
	static const char pw[] = "correct horse battery staple";
	char phc[PASSWORD_HASH_MAX], other[PASSWORD_HASH_MAX];
	password_params more_t = { 19456, 3, 1 }, more_m = { 65536, 2, 1 }, more_p = { 19456, 2, 2 };

	CU_ASSERT_EQUAL_FATAL(password_hash(&PASSWORD_PARAMS_DEFAULT, pw, sizeof(pw) - 1, phc), OR_OK);
	CU_ASSERT_EQUAL(strncmp(phc, "$argon2id$v=19$m=19456,t=2,p=1$", 31), 0);
	/* 16-byte salt and 32-byte hash in unpadded base64 */
	CU_ASSERT_EQUAL(strlen(phc), 31 + 22 + 1 + 43);
	CU_ASSERT_TRUE(password_verify(phc, pw, sizeof(pw) - 1));
	CU_ASSERT_FALSE(password_verify(phc, pw, sizeof(pw) - 2));	/* never truncated */
	CU_ASSERT_FALSE(password_verify(phc, "Correct horse battery staple", sizeof(pw) - 1));
	CU_ASSERT_FALSE(password_verify("", pw, sizeof(pw) - 1));
	CU_ASSERT_FALSE(password_verify("$argon2id$v=19$garbage", pw, sizeof(pw) - 1));

	CU_ASSERT_FALSE(password_needs_rehash(phc, &PASSWORD_PARAMS_DEFAULT));
	CU_ASSERT_TRUE(password_needs_rehash(phc, &more_t));
	CU_ASSERT_TRUE(password_needs_rehash(phc, &more_m));
	CU_ASSERT_TRUE(password_needs_rehash(phc, &more_p));
	CU_ASSERT_TRUE(password_needs_rehash("$argon2id$v=19$m=4096,t=3,p=1$c2FsdHNhbHQ$aGFzaA",
					     &PASSWORD_PARAMS_DEFAULT));
	CU_ASSERT_FALSE(password_needs_rehash("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaA",
					      &PASSWORD_PARAMS_DEFAULT));
	CU_ASSERT_TRUE(password_needs_rehash("$argon2id$v=16$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaA",
					     &PASSWORD_PARAMS_DEFAULT));
	CU_ASSERT_TRUE(password_needs_rehash("$argon2id$v=19$m=19456,t=2$c2FsdHNhbHQ$aGFzaA",
					     &PASSWORD_PARAMS_DEFAULT));
	CU_ASSERT_TRUE(password_needs_rehash("$argon2id$v=19$m=99999999999,t=2,p=1$c2FsdA$aGFzaA",
					     &PASSWORD_PARAMS_DEFAULT));
	CU_ASSERT_TRUE(password_needs_rehash("$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaA",
					     &PASSWORD_PARAMS_DEFAULT));
	CU_ASSERT_TRUE(password_needs_rehash("", &PASSWORD_PARAMS_DEFAULT));

	/* A second hash of the same password gets a new salt. */
	CU_ASSERT_EQUAL(password_hash(&PASSWORD_PARAMS_DEFAULT, pw, sizeof(pw) - 1, other), OR_OK);
	CU_ASSERT_STRING_NOT_EQUAL(phc, other);
}

static void
test_verify_only_argon2id(void)
{
	static const char pw[] = "correct horse battery staple";
	static const unsigned char salt[] = "sixteen byte salt";
	char enc[PASSWORD_HASH_MAX];
	password_params bad = { 1, 1, 1 };

	/* A valid argon2i string of the right password is still refused. */
	CU_ASSERT_EQUAL_FATAL(argon2i_hash_encoded(1, 64, 1, pw, sizeof(pw) - 1, salt, 16,
						   32, enc, sizeof(enc)), ARGON2_OK);
	CU_ASSERT_EQUAL(strncmp(enc, "$argon2i$", 9), 0);
	CU_ASSERT_FALSE(password_verify(enc, pw, sizeof(pw) - 1));
	CU_ASSERT_EQUAL(password_hash(&bad, pw, sizeof(pw) - 1, enc), OR_ERR_INVALID);
	CU_ASSERT_STRING_EQUAL(enc, "");
}

static void
test_dummy_verify(void)
{
	/* Nothing to observe but that it runs, twice (the second from the cache), and tolerates NULL. */
	password_dummy_verify(&PASSWORD_PARAMS_DEFAULT, "guess", 5);
	password_dummy_verify(&PASSWORD_PARAMS_DEFAULT, "another guess", 13);
	password_dummy_verify(NULL, "guess", 5);
	CU_PASS("dummy verification ran");
}

static void
test_generate(void)
{
	static const char alphabet[] = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
	char a[21], b[21];
	int seen[256] = { 0 };
	size_t i, distinct = 0;
	int round;

	CU_ASSERT_EQUAL_FATAL(password_generate(a), OR_OK);
	CU_ASSERT_EQUAL_FATAL(password_generate(b), OR_OK);
	CU_ASSERT_EQUAL(strlen(a), 20);
	CU_ASSERT_STRING_NOT_EQUAL(a, b);
	CU_ASSERT_EQUAL(password_check(a, 20, NULL, NULL), PASSWORD_OK);
	for (round = 0; round < 200; round++) {
		CU_ASSERT_EQUAL_FATAL(password_generate(a), OR_OK);
		CU_ASSERT_EQUAL(strlen(a), 20);
		for (i = 0; i < 20; i++) {
			CU_ASSERT_PTR_NOT_NULL(strchr(alphabet, a[i]));
			CU_ASSERT_PTR_NULL(strchr("0O1lI", a[i]));
			seen[(unsigned char)a[i]]++;
		}
	}
	/* 4000 draws from 57 symbols: every one shows up. */
	for (i = 0; i < 256; i++)
		distinct += seen[i] > 0;
	CU_ASSERT_EQUAL(distinct, sizeof(alphabet) - 1);
}

static const unit_test tests[] = {
	{ "length boundaries in code points", test_length_boundaries },
	{ "invalid utf-8", test_invalid_utf8 },
	{ "common passwords", test_common },
	{ "identity", test_identity },
	{ "verdict codes and messages", test_verdict_text },
	{ "hash, verify, needs rehash", test_hash_verify },
	{ "verify accepts only argon2id", test_verify_only_argon2id },
	{ "dummy verify", test_dummy_verify },
	{ "generate", test_generate },
	{ NULL, NULL }
};

UNIT_MAIN("password", tests)
