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

static const unit_test tests[] = {
	{ "buffer refuses past its cap", test_buf_cap },
	{ "json escaping", test_json_escape },
	{ "strict integer parsing", test_to_ll },
	{ "views and bounded copy", test_views },
	{ NULL, NULL }
};
UNIT_MAIN("str", tests)
