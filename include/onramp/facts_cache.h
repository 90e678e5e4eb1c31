/*
 * A worker's copies of customers' checklist facts (issue 15), keyed by
 * customer id and trusted while the customer's facts version (sql/019,
 * bumped by trigger with every write the checklist reads) is the one the copy
 * was read under and the request's clock is before the copy's valid_until.
 */
#ifndef ONRAMP_FACTS_CACHE_H
#define ONRAMP_FACTS_CACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "onramp/arena.h"
#include "onramp/checklist.h"
#include "onramp/setup_store.h"

typedef struct facts_cache facts_cache;

/** An empty cache of LIMIT_FACTS_CACHE_SLOTS slots; NULL when out of memory. */
facts_cache *facts_cache_new(void);
/** Free the cache and every copy (NULL is fine). */
void facts_cache_free(facts_cache *c);
/**
 * Copy the facts and ITEM_COUNT notes of customer_id read under version into
 * f and notes (texts into the arena) when a copy is still true at now; false
 * otherwise (or when the arena is full).
 */
bool facts_cache_get(facts_cache *c, int64_t customer_id, int64_t version, int64_t now, arena *a,
		     checklist_facts *f, review_note *notes);
/**
 * Keep a copy of facts read at now under version (the version read before
 * the facts, so a write in between only makes the copy miss), replacing the
 * slot's copy; trusted until min(f->changes_at, now + LIMIT_FACTS_CACHE_TTL_S).
 */
void facts_cache_put(facts_cache *c, int64_t customer_id, int64_t version, int64_t now,
		     const checklist_facts *f, const review_note *notes);

/**
 * A customer's document kept under the same facts version (GET /account: its
 * customer_details row bumps the version with every change, and the customer's
 * id and slug never change): a copy in the arena and its length in *len when
 * still true at now, else NULL.
 */
const char *facts_cache_doc_get(facts_cache *c, int64_t customer_id, int64_t version, int64_t now, arena *a,
				size_t *len);
/** Keep doc (len bytes) of customer_id read at now under version, replacing the slot's document. */
void facts_cache_doc_put(facts_cache *c, int64_t customer_id, int64_t version, int64_t now, const char *doc,
			 size_t len);

#endif
