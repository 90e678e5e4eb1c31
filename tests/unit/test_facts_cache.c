/* Unit tests for the worker's checklist facts cache (src/api/facts_cache.c). */
#include <string.h>

#include "onramp/facts_cache.h"
#include "onramp/limits.h"
#include "unit.h"

#define T0 1764000000

/* Facts with a blocker and a review note whose texts live in buffers the test then overwrites. */
static void
sample(checklist_facts *f, review_note *notes, char *msg, char *comment)
{
	memset(f, 0, sizeof(*f));
	memset(notes, 0, ITEM_COUNT * sizeof(*notes));
	f->invites_pending = 3;
	f->seats_used = 2;
	f->nblockers = 1;
	f->blockers[0].item = ITEM_BILLING;
	f->blockers[0].message = memcpy(msg, "Card declined", 14);
	notes[ITEM_CONTACTS].state = "approved";
	notes[ITEM_CONTACTS].comment = memcpy(comment, "Looks good", 11);
	notes[ITEM_CONTACTS].decided_at = T0 - 5;
}

static void
test_hit_copies_texts(void)
{
	facts_cache *c = facts_cache_new();
	arena *a = arena_new(1 << 16);
	checklist_facts f, g;
	review_note notes[ITEM_COUNT], got[ITEM_COUNT];
	char msg[32], comment[32];

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	sample(&f, notes, msg, comment);
	CU_ASSERT_FALSE(facts_cache_get(c, 7, 1, T0, a, &g, got));
	facts_cache_put(c, 7, 1, T0, &f, notes);
	/* The request arena the facts came from dies: the copy must not point into it. */
	memset(msg, 'x', sizeof(msg) - 1);
	memset(comment, 'y', sizeof(comment) - 1);
	CU_ASSERT_TRUE_FATAL(facts_cache_get(c, 7, 1, T0 + 10, a, &g, got));
	CU_ASSERT_EQUAL(g.invites_pending, 3);
	CU_ASSERT_EQUAL(g.seats_used, 2);
	CU_ASSERT_EQUAL(g.now, T0 + 10);
	CU_ASSERT_EQUAL(g.nblockers, 1);
	CU_ASSERT_STRING_EQUAL(g.blockers[0].message, "Card declined");
	CU_ASSERT_STRING_EQUAL(got[ITEM_CONTACTS].state, "approved");
	CU_ASSERT_STRING_EQUAL(got[ITEM_CONTACTS].comment, "Looks good");
	CU_ASSERT_EQUAL(got[ITEM_CONTACTS].decided_at, T0 - 5);
	CU_ASSERT_PTR_NULL(got[ITEM_SSO].state);
	/* Another customer, or another version of this one, is a miss. */
	CU_ASSERT_FALSE(facts_cache_get(c, 8, 1, T0, a, &g, got));
	CU_ASSERT_FALSE(facts_cache_get(c, 7, 2, T0, a, &g, got));
	facts_cache_free(c);
	arena_free(a);
}

static void
test_expiry(void)
{
	facts_cache *c = facts_cache_new();
	arena *a = arena_new(1 << 16);
	checklist_facts f, g;
	review_note notes[ITEM_COUNT], got[ITEM_COUNT];
	char msg[32], comment[32];

	sample(&f, notes, msg, comment);
	/* Without a time-bound count the copy lasts the TTL. */
	facts_cache_put(c, 7, 1, T0, &f, notes);
	CU_ASSERT_TRUE(facts_cache_get(c, 7, 1, T0 + LIMIT_FACTS_CACHE_TTL_S - 1, a, &g, got));
	CU_ASSERT_FALSE(facts_cache_get(c, 7, 1, T0 + LIMIT_FACTS_CACHE_TTL_S, a, &g, got));
	/* An invite expiring (changes_at) sooner ends it then. */
	f.changes_at = T0 + 5;
	facts_cache_put(c, 7, 1, T0, &f, notes);
	CU_ASSERT_TRUE(facts_cache_get(c, 7, 1, T0 + 4, a, &g, got));
	CU_ASSERT_FALSE(facts_cache_get(c, 7, 1, T0 + 5, a, &g, got));
	/* A clock moved back before the fill is a miss too. */
	CU_ASSERT_FALSE(facts_cache_get(c, 7, 1, T0 - 1, a, &g, got));
	facts_cache_free(c);
	arena_free(a);
}

static void
test_eviction(void)
{
	facts_cache *c = facts_cache_new();
	arena *a = arena_new(1 << 16);
	checklist_facts f, g;
	review_note notes[ITEM_COUNT], got[ITEM_COUNT];
	char msg[32], comment[32];
	int64_t other = 7 + LIMIT_FACTS_CACHE_SLOTS;

	sample(&f, notes, msg, comment);
	facts_cache_put(c, 7, 1, T0, &f, notes);
	facts_cache_put(c, 8, 1, T0, &f, notes);
	f.invites_pending = 9;
	/* Same slot: the newer customer replaces the older (and its texts are freed: LSan). */
	facts_cache_put(c, other, 4, T0, &f, notes);
	CU_ASSERT_FALSE(facts_cache_get(c, 7, 1, T0, a, &g, got));
	CU_ASSERT_TRUE_FATAL(facts_cache_get(c, other, 4, T0, a, &g, got));
	CU_ASSERT_EQUAL(g.invites_pending, 9);
	CU_ASSERT_TRUE(facts_cache_get(c, 8, 1, T0, a, &g, got));
	facts_cache_free(c);
	arena_free(a);
}

/* The account document: kept under the version it was read with, for the TTL, one customer per slot. */
static void
test_documents(void)
{
	facts_cache *c = facts_cache_new();
	arena *a = arena_new(1 << 16);
	char doc[] = "{\"slug\":\"acme\"}";
	const char *got;
	size_t len = 0;
	int64_t other = 7 + LIMIT_FACTS_CACHE_SLOTS;

	CU_ASSERT_PTR_NULL(facts_cache_doc_get(c, 7, 1, T0, a, &len));
	facts_cache_doc_put(c, 7, 1, T0, doc, strlen(doc));
	doc[2] = 'X';	/* the cache holds its own copy */
	got = facts_cache_doc_get(c, 7, 1, T0 + 1, a, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(got);
	CU_ASSERT_EQUAL(len, strlen(doc));
	CU_ASSERT_STRING_EQUAL(got, "{\"slug\":\"acme\"}");
	CU_ASSERT_PTR_NULL(facts_cache_doc_get(c, 7, 2, T0 + 1, a, &len));	/* a write moved the version */
	CU_ASSERT_PTR_NULL(facts_cache_doc_get(c, 8, 1, T0 + 1, a, &len));	/* another customer */
	CU_ASSERT_PTR_NULL(facts_cache_doc_get(c, 7, 1, T0 + LIMIT_FACTS_CACHE_TTL_S, a, &len));
	CU_ASSERT_PTR_NULL(facts_cache_doc_get(c, 7, 1, T0 - 1, a, &len));	/* the clock went back */
	facts_cache_doc_put(c, other, 3, T0, "{}", 2);	/* same slot: replaces customer 7's (LSan: freed) */
	CU_ASSERT_PTR_NULL(facts_cache_doc_get(c, 7, 1, T0, a, &len));
	CU_ASSERT_PTR_NOT_NULL(facts_cache_doc_get(c, other, 3, T0, a, &len));
	facts_cache_free(c);
	arena_free(a);
}

static const unit_test tests[] = {
	{ "a hit copies the facts and owns their texts", test_hit_copies_texts },
	{ "a copy expires at its first time-bound change or the TTL", test_expiry },
	{ "a slot holds one customer", test_eviction },
	{ "documents follow the same version and TTL", test_documents },
	{ NULL, NULL }
};
UNIT_MAIN("facts_cache", tests)
