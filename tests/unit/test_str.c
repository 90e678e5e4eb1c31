/* Unit tests for string views and capped buffers (src/core/str.c) and time text (src/core/timefmt.c). */
#include <limits.h>
#include <string.h>

#include "onramp/str.h"
#include "onramp/timefmt.h"
#include "unit.h"

#define T2026 1767225600		/* 2026-01-01T00:00:00Z */

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

static void
expect_time(const char *s, int64_t want)
{
	int64_t t = -1;

	CU_ASSERT_EQUAL(timefmt_parse_rfc3339(str_from_c(s), &t), OR_OK);
	CU_ASSERT_EQUAL(t, want);
	if (t != want)
		printf("\n  time [%s] gave %lld\n", s, (long long)t);
}

static void
expect_no_time(const char *s)
{
	int64_t t = 42;

	CU_ASSERT_EQUAL(timefmt_parse_rfc3339(str_from_c(s), &t), OR_ERR_INVALID);
	CU_ASSERT_EQUAL(t, 42);
	if (t != 42)
		printf("\n  time [%s] was accepted\n", s);
}

static void
test_time(void)
{
	static const char *const bad[] = {
		"", "2026", "2026-01-01", "2026-01-01T00:00:00", "2026-01-01 00:00:00Z",
		"2026-01-01T00:00Z", "2026-1-01T00:00:00Z", "2026-01-1T00:00:00Z", "2O26-01-01T00:00:00Z",
		"2026-00-01T00:00:00Z", "2026-13-01T00:00:00Z", "2026-01-00T00:00:00Z", "2026-01-32T00:00:00Z",
		"2026-02-30T00:00:00Z", "2025-02-29T00:00:00Z", "2100-02-29T00:00:00Z", "2026-04-31T00:00:00Z",
		"2026-01-01T24:00:00Z", "2026-01-01T00:60:00Z", "2026-01-01T00:00:60Z", "2026-01-01T00:00:00.Z",
		"2026-01-01T00:00:00.1234567890Z", "2026-01-01T00:00:00,5Z", "2026-01-01T00:00:00+0200",
		"2026-01-01T00:00:00+02", "2026-01-01T00:00:00+24:00", "2026-01-01T00:00:00+02:60",
		"2026-01-01T00:00:00 +02:00", "2026-01-01T00:00:00ZZ", "2026-01-01T00:00:00Zx",
		"2026-01-01T00:00:00+02:00x", "2026-01-01T00:00:00UTC", "2026-01-01T00:00:00-5:00",
		"1969-12-31T23:59:59Z", "1970-01-01T00:30:00+01:00", "0000-01-01T00:00:00Z",
		"+2026-01-01T00:00:00Z", "2026-01-01T00:00:00.-1Z", NULL
	};
	or_str none = { NULL, 0 };
	int64_t t;
	size_t i;

	expect_time("2026-01-01T00:00:00Z", T2026);
	expect_time("1970-01-01T00:00:00Z", 0);
	expect_time("1970-01-01T01:00:00+01:00", 0);
	expect_time("2026-01-01t00:00:00z", T2026);
	expect_time("2026-01-01T00:00:00.5Z", T2026);
	expect_time("2026-01-01T00:00:00.123456789Z", T2026);
	expect_time("2026-01-01T00:00:00+00:00", T2026);
	expect_time("2026-01-01T00:00:00-00:00", T2026);
	expect_time("2026-01-01T02:00:00+02:00", T2026);
	expect_time("2025-12-31T19:00:00-05:00", T2026);
	expect_time("2026-01-01T05:30:00.25+05:30", T2026);
	expect_time("2024-02-29T12:00:00Z", 1709208000);
	expect_time("2000-02-29T00:00:00Z", 951782400);
	expect_time("2025-06-01T00:00:00Z", 1748736000);
	expect_time("2038-01-19T03:14:08Z", 2147483648LL);
	expect_time("9999-12-31T23:59:59Z", 253402300799LL);
	for (i = 0; bad[i]; i++)
		expect_no_time(bad[i]);
	CU_ASSERT_EQUAL(timefmt_parse_rfc3339(none, &t), OR_ERR_INVALID);
	/* A view, not a C string: the bytes after len are not read. */
	{
		or_str v = { "2026-01-01T00:00:00Zjunk", 20 };
		CU_ASSERT_EQUAL(timefmt_parse_rfc3339(v, &t), OR_OK);
		CU_ASSERT_EQUAL(t, T2026);
	}
}

static void
test_time_db(void)
{
	int64_t t = 0;

	CU_ASSERT_EQUAL(timefmt_parse_db(str_from_c("2026-01-01 00:00:00.123456"), &t), OR_OK);
	CU_ASSERT_EQUAL(t, T2026);
	CU_ASSERT_EQUAL(timefmt_parse_db(str_from_c("2026-01-01T00:00:00"), &t), OR_ERR_INVALID);
	CU_ASSERT_EQUAL(timefmt_parse_db(str_from_c("2026-01-0x 00:00:00"), &t), OR_ERR_INVALID);
}

static void
test_time_format(void)
{
	char out[TIMEFMT_RFC3339_LEN];
	int64_t t = 0;

	timefmt_rfc3339(T2026, out);
	CU_ASSERT_STRING_EQUAL(out, "2026-01-01T00:00:00Z");
	/* What the API writes, the API reads back. */
	CU_ASSERT_EQUAL(timefmt_parse_rfc3339(str_from_c(out), &t), OR_OK);
	CU_ASSERT_EQUAL(t, T2026);
}

static void
test_hex_value(void)
{
	CU_ASSERT_EQUAL(str_hex_value('0'), 0);
	CU_ASSERT_EQUAL(str_hex_value('9'), 9);
	CU_ASSERT_EQUAL(str_hex_value('a'), 10);
	CU_ASSERT_EQUAL(str_hex_value('F'), 15);
	CU_ASSERT_EQUAL(str_hex_value('g'), -1);
	CU_ASSERT_EQUAL(str_hex_value('/'), -1);
	CU_ASSERT_EQUAL(str_hex_value('\0'), -1);
}

/* Every character of both alphabets, and what each alphabet refuses. */
static void
test_b64_value(void)
{
	const char *std = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *url = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	int i;

	for (i = 0; i < 64; i++) {
		CU_ASSERT_EQUAL(str_b64_value((unsigned char)std[i], STR_B64_STD), i);
		CU_ASSERT_EQUAL(str_b64_value((unsigned char)url[i], STR_B64_URL), i);
		CU_ASSERT_EQUAL(str_b64_value((unsigned char)url[i], STR_B64_STD | STR_B64_URL), i);
	}
	CU_ASSERT_EQUAL(str_b64_value('-', STR_B64_STD), -1);
	CU_ASSERT_EQUAL(str_b64_value('_', STR_B64_STD), -1);
	CU_ASSERT_EQUAL(str_b64_value('+', STR_B64_URL), -1);
	CU_ASSERT_EQUAL(str_b64_value('/', STR_B64_URL), -1);
	CU_ASSERT_EQUAL(str_b64_value('=', STR_B64_STD | STR_B64_URL), -1);
	CU_ASSERT_EQUAL(str_b64_value(0xC3, STR_B64_STD | STR_B64_URL), -1);
}

static const unit_test tests[] = {
	{ "buffer refuses past its cap", test_buf_cap },
	{ "json escaping", test_json_escape },
	{ "strict integer parsing", test_to_ll },
	{ "views and bounded copy", test_views },
	{ "UTF-8: well-formed text passes (Kuhn 1-2)", test_utf8_well_formed },
	{ "UTF-8: overlongs, surrogates, CESU, past U+10FFFF refused (Kuhn 2-5)", test_utf8_malformed },
	{ "hex digits", test_hex_value },
	{ "base64 alphabets", test_b64_value },
	{ "RFC 3339 times", test_time },
	{ "MariaDB DATETIME text", test_time_db },
	{ "RFC 3339 written and read back", test_time_format },
	{ NULL, NULL }
};
UNIT_MAIN("str", tests)
