/*
 * Request arena: a list of chunks, bump-allocated.  Oversized requests get a
 * chunk of their own.  arena_reset() keeps the first (standard-size) chunk so
 * a steady-state worker allocates nothing from malloc for small requests.
 */
#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "onramp/arena.h"
#include "onramp/limits.h"

struct chunk {
	struct chunk *next;
	size_t size;	/* usable bytes after the header */
	size_t used;
	alignas(max_align_t) unsigned char data[];
};

struct arena {
	struct chunk *head;	/* newest chunk first; the last one is kept on reset */
	size_t limit;
	size_t handed;		/* bytes handed out since reset */
};

static struct chunk *
chunk_new(size_t size)
{
	struct chunk *c = malloc(sizeof(*c) + size);
	if (c == NULL)
		return NULL;
	c->next = NULL;
	c->size = size;
	c->used = 0;
	return c;
}

arena *
arena_new(size_t limit)
{
	arena *a = malloc(sizeof(*a));
	if (a == NULL)
		return NULL;
	a->head = chunk_new(LIMIT_ARENA_CHUNK);
	if (a->head == NULL) {
		free(a);
		return NULL;
	}
	a->limit = limit;
	a->handed = 0;
	return a;
}

void
arena_free(arena *a)
{
	struct chunk *c, *n;

	if (a == NULL)
		return;
	for (c = a->head; c; c = n) {
		n = c->next;
		free(c);
	}
	free(a);
}

void
arena_reset(arena *a)
{
	struct chunk *c = a->head;

	while (c->next) {
		struct chunk *n = c->next;
		free(c);
		c = n;
	}
	c->used = 0;
	a->head = c;
	a->handed = 0;
}

void *
arena_alloc(arena *a, size_t n)
{
	const size_t align = alignof(max_align_t);
	struct chunk *c = a->head;
	size_t need, off;

	if (n == 0)
		n = 1;
	if (n > SIZE_MAX - align)
		return NULL;
	need = (n + align - 1) & ~(align - 1);
	if (need > a->limit - a->handed)
		return NULL;
	off = c->used;
	if (need > c->size - off) {
		size_t sz = need > LIMIT_ARENA_CHUNK ? need : LIMIT_ARENA_CHUNK;
		struct chunk *nc = chunk_new(sz);
		if (nc == NULL)
			return NULL;
		/* Keep the standard first chunk at the tail so reset retains it. */
		nc->next = a->head;
		a->head = nc;
		c = nc;
		off = 0;
	}
	c->used = off + need;
	a->handed += need;
	return c->data + off;
}

void *
arena_calloc(arena *a, size_t n, size_t sz)
{
	void *p;

	if (sz != 0 && n > SIZE_MAX / sz)
		return NULL;
	p = arena_alloc(a, n * sz);
	if (p)
		memset(p, 0, n * sz);
	return p;
}

char *
arena_strndup(arena *a, const char *s, size_t n)
{
	char *p;

	if (n == SIZE_MAX)
		return NULL;
	p = arena_alloc(a, n + 1);
	if (p == NULL)
		return NULL;
	if (n)
		memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
arena_strdup(arena *a, const char *s)
{
	return s ? arena_strndup(a, s, strlen(s)) : NULL;
}

char *
arena_strview(arena *a, or_str s)
{
	return arena_strndup(a, s.ptr ? s.ptr : "", s.len);
}

size_t
arena_used(const arena *a)
{
	return a->handed;
}
