/* Unit tests for the password policy, Argon2id hashing and generation (src/domain/password.c, src/domain/phc.c). */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <argon2.h>

#include "onramp/password.h"
#include "onramp/phc.h"
#include "unit.h"

#define MIB (1024L * 1024L)

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

/* This process's resident set, bytes (/proc/self/statm). */
static long
rss_bytes(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	long size = 0, resident = 0;

	if (!f)
		return -1;
	if (fscanf(f, "%ld %ld", &size, &resident) != 2)
		resident = -1;
	fclose(f);
	return resident < 0 ? -1 : resident * sysconf(_SC_PAGESIZE);
}

/*
 * Argon2id's 19 MiB go back to the kernel after each hash. Through malloc,
 * glibc kept them in the heap from the second hash on (its mmap threshold
 * rises to the size of a freed mapped chunk). The RSS check wants to run
 * before any other hash in this process (first in the table); the heap
 * check holds whatever ran before.
 */
static void
test_memory_returned(void)
{
	static const char pw[] = "correct horse battery staple";
	char phc[PASSWORD_HASH_MAX], warm[21];
	long before, after;
	struct mallinfo2 mi;
	int i;

	/* OpenSSL's random generator starts on first use; that memory is not Argon2id's. */
	CU_ASSERT_EQUAL_FATAL(password_generate(warm), OR_OK);
	before = rss_bytes();
	CU_ASSERT_FATAL(before > 0);
	for (i = 0; i < 3; i++) {
		CU_ASSERT_EQUAL_FATAL(password_hash(&PASSWORD_PARAMS_DEFAULT, pw, sizeof(pw) - 1, phc), OR_OK);
		CU_ASSERT_TRUE(password_verify(phc, pw, sizeof(pw) - 1));
	}
	after = rss_bytes();
	mi = mallinfo2();
	/* Under half the 19 MiB area: room for a sanitizer build's own growth. */
	CU_ASSERT_TRUE(after - before < 8 * MIB);
	CU_ASSERT_TRUE(mi.arena + mi.hblkhd < (size_t)(8 * MIB));
	if (after - before >= 8 * MIB || mi.arena + mi.hblkhd >= (size_t)(8 * MIB))
		fprintf(stderr, "rss %ld -> %ld KiB; heap %zu KiB, mapped %zu KiB\n", before / 1024,
			after / 1024, mi.arena / 1024, mi.hblkhd / 1024);
}

/*
 * A worker keeps the area between hashes (one mapping for a stream of
 * sign-ins) and releases it before it waits; kept or not, every hash is the
 * same Argon2id, and with keeping off nothing stays mapped.
 */
static void
test_area_kept_and_released(void)
{
	static const char pw[] = "correct horse battery staple";
	char phc[PASSWORD_HASH_MAX], phc2[PASSWORD_HASH_MAX];
	long held, released;

	CU_ASSERT_FALSE(password_area_kept());
	password_area_keep(true);
	CU_ASSERT_EQUAL_FATAL(password_hash(&PASSWORD_PARAMS_DEFAULT, pw, sizeof(pw) - 1, phc), OR_OK);
	CU_ASSERT_TRUE(password_area_kept());
	held = rss_bytes();
	CU_ASSERT_TRUE(password_verify(phc, pw, sizeof(pw) - 1));
	CU_ASSERT_FALSE(password_verify(phc, "wrong", 5));
	CU_ASSERT_EQUAL_FATAL(password_hash(&PASSWORD_PARAMS_DEFAULT, pw, sizeof(pw) - 1, phc2), OR_OK);
	CU_ASSERT_TRUE(password_verify(phc2, pw, sizeof(pw) - 1));
	/* A larger cost than the kept area's replaces it. */
	{
		password_params big = PASSWORD_PARAMS_DEFAULT;
		big.m_cost_kib *= 2;
		CU_ASSERT_EQUAL_FATAL(password_hash(&big, pw, sizeof(pw) - 1, phc2), OR_OK);
		CU_ASSERT_TRUE(password_verify(phc2, pw, sizeof(pw) - 1));
		CU_ASSERT_TRUE(password_verify(phc, pw, sizeof(pw) - 1));
	}
	CU_ASSERT_TRUE(password_area_release());
	CU_ASSERT_FALSE(password_area_kept());
	CU_ASSERT_FALSE(password_area_release());
	released = rss_bytes();
	/* The kept 19+ MiB were resident and are gone. */
	CU_ASSERT_TRUE(held - released >= 16 * MIB);
	password_area_keep(false);
	CU_ASSERT_EQUAL_FATAL(password_hash(&PASSWORD_PARAMS_DEFAULT, pw, sizeof(pw) - 1, phc), OR_OK);
	CU_ASSERT_FALSE(password_area_kept());
}

/* libargon2's own string of pw under these costs, salt and hash length. */
static void
encoded(uint32_t version, uint32_t t, uint32_t m, uint32_t p, const char *pw, size_t salt_len,
	size_t hash_len, char *out, size_t cap)
{
	static const unsigned char salt[] = "0123456789abcdef0123456789abcdef";

	CU_ASSERT_EQUAL_FATAL(argon2_hash(t, m, p, pw, strlen(pw), salt, salt_len, NULL, hash_len, out, cap,
					  Argon2_id, version), ARGON2_OK);
}

/* Every string argon2id_hash_encoded makes verifies here, and only with its password. */
static void
test_verify_libargon2_hashes(void)
{
	static const struct { uint32_t version, t, m, p; size_t salt, hash; } cases[] = {
		{ ARGON2_VERSION_13, 2, 19456, 1, 16, 32 },	/* what onramp has always written */
		{ ARGON2_VERSION_13, 1, 64, 1, 8, 4 },
		{ ARGON2_VERSION_13, 3, 256, 2, 32, 64 },
		{ ARGON2_VERSION_13, 1, 128, 1, 17, 33 },
		{ ARGON2_VERSION_10, 1, 64, 1, 16, 32 },
	};
	static const char pw[] = "correct horse battery staple";
	char enc[PASSWORD_HASH_MAX];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		encoded(cases[i].version, cases[i].t, cases[i].m, cases[i].p, pw, cases[i].salt, cases[i].hash,
			enc, sizeof(enc));
		CU_ASSERT_TRUE(password_verify(enc, pw, sizeof(pw) - 1));
		CU_ASSERT_FALSE(password_verify(enc, pw, sizeof(pw) - 2));
		CU_ASSERT_FALSE(password_verify(enc, "Correct horse battery staple", sizeof(pw) - 1));
	}
	CU_ASSERT_TRUE(password_verify(enc, pw, sizeof(pw) - 1) && strstr(enc, "$v=16$") != NULL);
	/* Without "$v=" the version is 1.0, in libargon2's grammar and here. */
	memmove(strstr(enc, "$v=16$"), strstr(enc, "$v=16$") + 5, strlen(strstr(enc, "$v=16$") + 5) + 1);
	CU_ASSERT_EQUAL(argon2id_verify(enc, pw, sizeof(pw) - 1), ARGON2_OK);
	CU_ASSERT_TRUE(password_verify(enc, pw, sizeof(pw) - 1));
	/* The empty password, which the policy never admits but the hash can carry. */
	encoded(ARGON2_VERSION_13, 1, 64, 1, "", 16, 32, enc, sizeof(enc));
	CU_ASSERT_TRUE(password_verify(enc, NULL, 0));
	CU_ASSERT_TRUE(password_verify(enc, "", 0));
}

/* password_hash writes the string libargon2 writes for the same salt. */
static void
test_hash_is_libargon2s(void)
{
	static const char pw[] = "correct horse battery staple";
	char phc[PASSWORD_HASH_MAX], enc[PASSWORD_HASH_MAX];
	phc_argon2id h;

	CU_ASSERT_EQUAL_FATAL(password_hash(&PASSWORD_PARAMS_DEFAULT, pw, sizeof(pw) - 1, phc), OR_OK);
	CU_ASSERT_FATAL(phc_decode(phc, &h));
	CU_ASSERT_EQUAL(h.salt_len, 16);
	CU_ASSERT_EQUAL(h.hash_len, 32);
	CU_ASSERT_EQUAL_FATAL(argon2id_hash_encoded(2, 19456, 1, pw, sizeof(pw) - 1, h.salt, h.salt_len, 32,
						   enc, sizeof(enc)), ARGON2_OK);
	CU_ASSERT_STRING_EQUAL(phc, enc);
	CU_ASSERT_EQUAL(argon2id_verify(phc, pw, sizeof(pw) - 1), ARGON2_OK);
}

/* Malformed strings: refused here exactly when libargon2 refuses them. */
static void
test_verify_grammar_as_libargon2(void)
{
	static const char pw[] = "correct horse battery staple";
	static const char *const edits[][2] = {
		{ "$m=64,", "$m=064," },		/* leading zero */
		{ "$m=64,", "$m=," },			/* no digits */
		{ "$m=64,", "$m=4294967360," },		/* past 32 bits */
		{ "$m=64,", "$m=63," },			/* a different cost: a different hash */
		{ "$v=19$", "$v=019$" },
		{ "$v=19$", "$v=16$" },			/* the other version: a different hash */
		{ "$v=19$", "$v=4294967296$" },
		{ ",t=1,", ",t=0," },			/* too few passes */
		{ ",p=1$", ",p=0$" },
		{ ",p=1$", ",p=1,x=2$" },
		{ "$argon2id$", "$argon2id$$" },
	};
	char good[PASSWORD_HASH_MAX], s[PASSWORD_HASH_MAX + 8];
	size_t i, n;
	char *at;

	encoded(ARGON2_VERSION_13, 1, 64, 1, pw, 16, 32, good, sizeof(good));
	for (i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		at = strstr(good, edits[i][0]);
		CU_ASSERT_PTR_NOT_NULL_FATAL(at);
		n = (size_t)(at - good);
		CU_ASSERT_FATAL(snprintf(s, sizeof(s), "%.*s%s%s", (int)n, good, edits[i][1],
					 at + strlen(edits[i][0])) < (int)sizeof(s));
		CU_ASSERT_EQUAL(password_verify(s, pw, sizeof(pw) - 1),
				argon2id_verify(s, pw, sizeof(pw) - 1) == ARGON2_OK);
		CU_ASSERT_FALSE(password_verify(s, pw, sizeof(pw) - 1));
	}
	n = strlen(good);
	/* Trailing text; a hash one character short (1 mod 4 is never base64); a nonzero unused bit. */
	snprintf(s, sizeof(s), "%s$", good);
	CU_ASSERT_FALSE(password_verify(s, pw, sizeof(pw) - 1));
	CU_ASSERT_NOT_EQUAL(argon2id_verify(s, pw, sizeof(pw) - 1), ARGON2_OK);
	snprintf(s, sizeof(s), "%s", good);
	s[n - 1] = '\0';
	CU_ASSERT_FALSE(password_verify(s, pw, sizeof(pw) - 1));
	CU_ASSERT_NOT_EQUAL(argon2id_verify(s, pw, sizeof(pw) - 1), ARGON2_OK);
	/* 32 bytes are 43 characters whose last carries 4 bits and 2 unused ones. */
	snprintf(s, sizeof(s), "%s", good);
	s[n - 1] = (char)(s[n - 1] == 'B' ? 'C' : s[n - 1] ^ 1);
	CU_ASSERT_EQUAL(password_verify(s, pw, sizeof(pw) - 1),
			argon2id_verify(s, pw, sizeof(pw) - 1) == ARGON2_OK);
	CU_ASSERT_FALSE(password_verify(s, pw, sizeof(pw) - 1));
	/* And the untouched string verifies, so the refusals above are the edits'. */
	CU_ASSERT_TRUE(password_verify(good, pw, sizeof(pw) - 1));
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
	/* first: its RSS check wants no Argon2id run before it in this process */
	{ "argon2id memory goes back to the kernel", test_memory_returned },
	{ "argon2id area kept between hashes, then released", test_area_kept_and_released },
	{ "length boundaries in code points", test_length_boundaries },
	{ "invalid utf-8", test_invalid_utf8 },
	{ "common passwords", test_common },
	{ "identity", test_identity },
	{ "verdict codes and messages", test_verdict_text },
	{ "hash, verify, needs rehash", test_hash_verify },
	{ "verify accepts only argon2id", test_verify_only_argon2id },
	{ "verify hashes libargon2 made", test_verify_libargon2_hashes },
	{ "hash writes libargon2's string", test_hash_is_libargon2s },
	{ "verify refuses what libargon2 refuses", test_verify_grammar_as_libargon2 },
	{ "dummy verify", test_dummy_verify },
	{ "generate", test_generate },
	{ NULL, NULL }
};

UNIT_MAIN("password", tests)
