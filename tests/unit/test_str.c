/* Unit tests for string views and capped buffers (src/core/str.c). */
#include <limits.h>
#include <string.h>

#include "onramp/str.h"
#include "unit.h"

static void
test_buf_cap(void)
{
	or_buf b;

	buf_init(&b, 10);
	CU_ASSERT_EQUAL(buf_append_c(&b, "12345"), OR_OK);
	CU_ASSERT_EQUAL(buf_append_c(&b, "67890"), OR_OK);
	CU_ASSERT_EQUAL(buf_append_c(&b, "x"), OR_ERR_LIMIT);
	CU_ASSERT_EQUAL(b.len, 10);
	CU_ASSERT_STRING_EQUAL(b.data, "1234567890");
	buf_reset(&b);
	CU_ASSERT_EQUAL(buf_appendf(&b, "%d-%s", 42, "ab"), OR_OK);
	CU_ASSERT_STRING_EQUAL(b.data, "42-ab");
	CU_ASSERT_EQUAL(buf_appendf(&b, "%s", "toolongvalue"), OR_ERR_LIMIT);
	CU_ASSERT_STRING_EQUAL(b.data, "42-ab");
	buf_free(&b);
}

static void
test_json_escape(void)
{
	or_buf b;
	const char in[] = "a\"b\\c\nd\x01" "e";

	buf_init(&b, 100);
	CU_ASSERT_EQUAL(buf_append_json_escaped(&b, in, sizeof(in) - 1), OR_OK);
	CU_ASSERT_STRING_EQUAL(b.data, "a\\\"b\\\\c\\nd\\u0001e");
	buf_free(&b);
}

static void
test_to_ll(void)
{
	long long v = 0;

	CU_ASSERT_EQUAL(str_to_ll(str_from_c("123"), 0, 1000, &v), OR_OK);
	CU_ASSERT_EQUAL(v, 123);
	CU_ASSERT_EQUAL(str_to_ll(str_from_c("-5"), -10, 10, &v), OR_OK);
	CU_ASSERT_EQUAL(v, -5);
	CU_ASSERT_EQUAL(str_to_ll(str_from_c("1001"), 0, 1000, &v), OR_ERR_LIMIT);
	CU_ASSERT_EQUAL(str_to_ll(str_from_c("12a"), 0, 1000, &v), OR_ERR_INVALID);
	CU_ASSERT_EQUAL(str_to_ll(str_from_c(""), 0, 1000, &v), OR_ERR_INVALID);
	CU_ASSERT_EQUAL(str_to_ll(str_from_c(" 1"), 0, 1000, &v), OR_ERR_INVALID);
	CU_ASSERT_EQUAL(str_to_ll(str_from_c("99999999999999999999"), 0, LLONG_MAX, &v), OR_ERR_LIMIT);
	CU_ASSERT_EQUAL(str_to_ll(str_from_c("9223372036854775807"), 0, LLONG_MAX, &v), OR_OK);
	CU_ASSERT_EQUAL(v, LLONG_MAX);
	CU_ASSERT_EQUAL(str_to_ll(str_from_c("-9223372036854775808"), LLONG_MIN, 0, &v), OR_OK);
	CU_ASSERT_EQUAL(v, LLONG_MIN);
}

static void
test_views(void)
{
	or_str v = { "Hello/world", 5 };
	char small[4];

	CU_ASSERT_TRUE(str_eq_c(v, "Hello"));
	CU_ASSERT_FALSE(str_eq_c(v, "Hello/"));
	CU_ASSERT_TRUE(str_ieq_c(v, "hELLO"));
	CU_ASSERT_TRUE(str_has_prefix(v, "He"));
	CU_ASSERT_FALSE(str_has_prefix(v, "Hello/"));
	CU_ASSERT_FALSE(str_copy(small, sizeof(small), "abcdef"));
	CU_ASSERT_STRING_EQUAL(small, "abc");
	CU_ASSERT_TRUE(str_copy(small, sizeof(small), "ab"));
}

/* A view of a byte literal (sizeof keeps embedded NULs, drops the terminator). */
#define BYTES(lit) { lit, sizeof(lit) - 1 }

/* Markus Kuhn's UTF-8 decoder capability and stress test, sections 1-5. */
static void
test_utf8_well_formed(void)
{
	static const or_str ok[] = {
		BYTES("\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5"),	/* 1: kosme */
		BYTES("\x00"), BYTES("\xc2\x80"), BYTES("\xe0\xa0\x80"),	/* 2.1 first of each length */
		BYTES("\xf0\x90\x80\x80"),
		BYTES("\x7f"), BYTES("\xdf\xbf"), BYTES("\xef\xbf\xbf"),	/* 2.2 last of each length */
		BYTES("\xf4\x8f\xbf\xbf"),					/* U+10FFFF */
		BYTES("\xed\x9f\xbf"), BYTES("\xee\x80\x80"),		/* 2.3 around the surrogates */
		BYTES("\xef\xbf\xbd"), BYTES("\xef\xbf\xbe"),		/* U+FFFD, U+FFFE: well-formed */
		BYTES("m\xc3\xbcller \xce\xa9mega \xf0\x9f\x9a\x80"), BYTES(""),
	};
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		CU_ASSERT_TRUE(str_utf8_valid(ok[i]));
	CU_ASSERT_EQUAL(str_utf8_count(ok[0]), 5);
	CU_ASSERT_EQUAL(str_utf8_count(ok[13]), 14);
	CU_ASSERT_EQUAL(str_utf8_seq((const unsigned char *)"\xf4\x8f\xbf\xbf", 4), 4);
	CU_ASSERT_EQUAL(str_utf8_seq((const unsigned char *)"a", 0), 0);
}

static void
test_utf8_malformed(void)
{
	static const or_str bad[] = {
		BYTES("\xf4\x90\x80\x80"), BYTES("\xf7\xbf\xbf\xbf"),	/* 2.3 past U+10FFFF */
		BYTES("\xf8\x88\x80\x80\x80"), BYTES("\xfc\x84\x80\x80\x80\x80"), /* 5 and 6 bytes */
		BYTES("\x80"), BYTES("\xbf"), BYTES("\x80\xbf\x80"),		/* 3.1 lone continuations */
		BYTES("\xc0 "), BYTES("\xe0 "), BYTES("\xf0 "), BYTES("\xc2 x"),	/* 3.2 lonely starts */
		BYTES("\xc2"), BYTES("\xe0\xa0"), BYTES("\xf0\x90\x80"),		/* 3.3 last byte missing */
		BYTES("ok\xdf"), BYTES("\xe0\xa0\xc2\x80"),
		BYTES("\xfe"), BYTES("\xff"), BYTES("\xfe\xfe\xff\xff"),		/* 3.5 impossible bytes */
		BYTES("\xc0\xaf"), BYTES("\xe0\x80\xaf"), BYTES("\xf0\x80\x80\xaf"), /* 4.1 overlong '/' */
		BYTES("\xf8\x80\x80\x80\xaf"),
		BYTES("\xc1\xbf"), BYTES("\xe0\x9f\xbf"), BYTES("\xf0\x8f\xbf\xbf"), /* 4.2 largest overlong */
		BYTES("\xc0\x80"), BYTES("\xe0\x80\x80"), BYTES("\xf0\x80\x80\x80"), /* 4.3 overlong NUL */
		BYTES("\xed\xa0\x80"), BYTES("\xed\xad\xbf"), BYTES("\xed\xae\x80"), /* 5.1 lone surrogates */
		BYTES("\xed\xaf\xbf"), BYTES("\xed\xb0\x80"), BYTES("\xed\xbe\x80"),
		BYTES("\xed\xbf\xbf"),
		BYTES("\xed\xa0\x80\xed\xb0\x80"), BYTES("\xed\xaf\xbf\xed\xbf\xbf"), /* 5.2 CESU pairs */
		BYTES("good text then \xed\xa0\x80"),
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CU_ASSERT_FALSE(str_utf8_valid(bad[i]));
		CU_ASSERT_EQUAL(str_utf8_count(bad[i]), -1);
	}
}

static const unit_test tests[] = {
	{ "buffer refuses past its cap", test_buf_cap },
	{ "json escaping", test_json_escape },
	{ "strict integer parsing", test_to_ll },
	{ "views and bounded copy", test_views },
	{ "UTF-8: well-formed text passes (Kuhn 1-2)", test_utf8_well_formed },
	{ "UTF-8: overlongs, surrogates, CESU, past U+10FFFF refused (Kuhn 2-5)", test_utf8_malformed },
	{ NULL, NULL }
};
UNIT_MAIN("str", tests)
