/*
 * The worker's checklist facts cache: direct-mapped by customer id, one copy
 * per slot, the texts of a copy (blocker messages, review notes) in one
 * allocation of its own because the request arena they were read into dies
 * with the request.  Why a copy may be trusted: include/onramp/facts_cache.h.
 */
#include <stdlib.h>
#include <string.h>

#include "onramp/facts_cache.h"
#include "onramp/limits.h"

typedef struct slot {
	bool used;
	int64_t customer_id, version, filled_at, valid_until;
	checklist_facts f;
	review_note notes[ITEM_COUNT];
	char *texts;	/* every string of f and notes */
} slot;

/* A serialised document (GET /account) under the same version rule as the facts. */
typedef struct doc_slot {
	int64_t customer_id, version, filled_at;
	char *doc;	/* NULL when the slot is empty */
	size_t len;
} doc_slot;

struct facts_cache {
	slot slots[LIMIT_FACTS_CACHE_SLOTS];
	doc_slot docs[LIMIT_FACTS_CACHE_SLOTS];
};

facts_cache *
facts_cache_new(void)
{
	return calloc(1, sizeof(facts_cache));
}

void
facts_cache_free(facts_cache *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < LIMIT_FACTS_CACHE_SLOTS; i++) {
		free(c->slots[i].texts);
		free(c->docs[i].doc);
	}
	free(c);
}

static slot *
slot_of(facts_cache *c, int64_t customer_id)
{
	return &c->slots[(uint64_t)customer_id % LIMIT_FACTS_CACHE_SLOTS];
}

/* The texts of f and notes, in a fixed order shared by measuring, storing and copying out. */
static size_t
texts(checklist_facts *f, review_note *notes, const char ***out)
{
	size_t n = 0, i;

	for (i = 0; i < f->nblockers; i++)
		out[n++] = &f->blockers[i].message;
	for (i = 0; i < ITEM_COUNT; i++) {
		out[n++] = &notes[i].state;
		out[n++] = &notes[i].comment;
	}
	return n;
}

#define MAX_TEXTS (CHECKLIST_MAX_BLOCKERS + 2 * ITEM_COUNT)

/* Point each text of s at a copy in one new allocation; false when out of memory (s keeps no texts). */
static bool
own_texts(slot *s)
{
	const char **t[MAX_TEXTS];
	size_t n = texts(&s->f, s->notes, t), len = 0, i;
	char *p;

	for (i = 0; i < n; i++)
		len += *t[i] ? strlen(*t[i]) + 1 : 0;
	if ((s->texts = p = malloc(len ? len : 1)) == NULL)
		return false;
	for (i = 0; i < n; i++) {
		if (*t[i] == NULL)
			continue;
		len = strlen(*t[i]) + 1;
		memcpy(p, *t[i], len);
		*t[i] = p;
		p += len;
	}
	return true;
}

void
facts_cache_put(facts_cache *c, int64_t customer_id, int64_t version, int64_t now,
		const checklist_facts *f, const review_note *notes)
{
	slot *s = slot_of(c, customer_id);
	int64_t until = now + LIMIT_FACTS_CACHE_TTL_S;

	free(s->texts);
	memset(s, 0, sizeof(*s));
	s->f = *f;
	memcpy(s->notes, notes, sizeof(s->notes));
	if (!own_texts(s)) {
		memset(s, 0, sizeof(*s));
		return;
	}
	if (f->changes_at != 0 && f->changes_at < until)
		until = f->changes_at;
	s->customer_id = customer_id;
	s->version = version;
	s->filled_at = now;
	s->valid_until = until;
	s->used = true;
}

bool
facts_cache_get(facts_cache *c, int64_t customer_id, int64_t version, int64_t now, arena *a,
		checklist_facts *f, review_note *notes)
{
	slot *s = slot_of(c, customer_id);
	const char **t[MAX_TEXTS];
	size_t n, i;

	/* A clock moved back (tests) could see an invite the copy counted as expired. */
	if (!s->used || s->customer_id != customer_id || s->version != version || now < s->filled_at ||
	    now >= s->valid_until)
		return false;
	*f = s->f;
	memcpy(notes, s->notes, sizeof(s->notes));
	n = texts(f, notes, t);
	for (i = 0; i < n; i++)
		if (*t[i] && (*t[i] = arena_strdup(a, *t[i])) == NULL)
			return false;
	f->now = now;
	return true;
}

/* The same trust rule as the facts: the version read by this request, and a clock inside the TTL. */
static bool
doc_true(const doc_slot *d, int64_t customer_id, int64_t version, int64_t now)
{
	return d->doc && d->customer_id == customer_id && d->version == version && now >= d->filled_at &&
	       now < d->filled_at + LIMIT_FACTS_CACHE_TTL_S;
}

const char *
facts_cache_doc_get(facts_cache *c, int64_t customer_id, int64_t version, int64_t now, arena *a, size_t *len)
{
	const doc_slot *d = &c->docs[(uint64_t)customer_id % LIMIT_FACTS_CACHE_SLOTS];
	char *copy;

	if (!doc_true(d, customer_id, version, now) || (copy = arena_strndup(a, d->doc, d->len)) == NULL)
		return NULL;
	*len = d->len;
	return copy;
}

void
facts_cache_doc_put(facts_cache *c, int64_t customer_id, int64_t version, int64_t now, const char *doc, size_t len)
{
	doc_slot *d = &c->docs[(uint64_t)customer_id % LIMIT_FACTS_CACHE_SLOTS];
	char *copy = malloc(len + 1);

	if (copy == NULL)
		return;		/* not kept: the next read goes to the store again */
	memcpy(copy, doc, len);
	copy[len] = '\0';
	free(d->doc);
	d->doc = copy;
	d->len = len;
	d->customer_id = customer_id;
	d->version = version;
	d->filled_at = now;
}
