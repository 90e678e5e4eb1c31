/* Unit tests for the request arena (src/core/arena.c). */
#include <stdint.h>
#include <string.h>

#include "onramp/arena.h"
#include "onramp/limits.h"
#include "unit.h"

static void
test_alloc_aligned_and_distinct(void)
{
	arena *a = arena_new(1 << 20);
	char *p = arena_alloc(a, 3), *q = arena_alloc(a, 5);

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_PTR_NOT_NULL_FATAL(q);
	CU_ASSERT(((uintptr_t)q % _Alignof(max_align_t)) == 0);
	CU_ASSERT(q >= p + 3);
	memset(p, 'x', 3);
	memset(q, 'y', 5);
	CU_ASSERT_EQUAL(p[2], 'x');
	arena_free(a);
}

static void
test_limit_refuses(void)
{
	arena *a = arena_new(1000);

	CU_ASSERT_PTR_NOT_NULL(arena_alloc(a, 900));
	CU_ASSERT_PTR_NULL(arena_alloc(a, 200));
	arena_reset(a);
	CU_ASSERT_EQUAL(arena_used(a), 0);
	CU_ASSERT_PTR_NOT_NULL(arena_alloc(a, 200));
	arena_free(a);
}

static void
test_large_and_reset(void)
{
	arena *a = arena_new(LIMIT_ARENA_BYTES);
	char *big = arena_alloc(a, LIMIT_ARENA_CHUNK * 3);
	int i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(big);
	memset(big, 1, LIMIT_ARENA_CHUNK * 3);
	for (i = 0; i < 1000; i++)
		CU_ASSERT_PTR_NOT_NULL(arena_alloc(a, 100));
	CU_ASSERT(arena_used(a) >= LIMIT_ARENA_CHUNK * 3 + 100000);
	arena_reset(a);
	CU_ASSERT_EQUAL(arena_used(a), 0);
	CU_ASSERT_PTR_NOT_NULL(arena_alloc(a, 10));
	arena_free(a);
}

static void
test_strdup_and_overflow(void)
{
	arena *a = arena_new(4096);
	or_str v = { "hello world", 5 };
	char *s = arena_strview(a, v);

	CU_ASSERT_STRING_EQUAL(s, "hello");
	CU_ASSERT_STRING_EQUAL(arena_strdup(a, "abc"), "abc");
	CU_ASSERT_PTR_NULL(arena_strdup(a, NULL));
	CU_ASSERT_PTR_NULL(arena_calloc(a, SIZE_MAX / 2, 4));
	CU_ASSERT_PTR_NULL(arena_alloc(a, SIZE_MAX));
	arena_free(a);
}

static const unit_test tests[] = {
	{ "alloc aligned and distinct", test_alloc_aligned_and_distinct },
	{ "limit refuses, reset restores", test_limit_refuses },
	{ "large allocations and reset", test_large_and_reset },
	{ "strdup and overflow checks", test_strdup_and_overflow },
	{ NULL, NULL }
};
UNIT_MAIN("arena", tests)
