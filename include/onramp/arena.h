/*
 * A request-scoped bump allocator, like nginx and h2o pools: every allocation
 * made while handling a request comes from the request's arena and is released
 * all at once by arena_reset() after FCGX_Finish_r.  The arena refuses to grow
 * past its byte limit (returns NULL), so one request cannot exhaust a worker.
 */
#ifndef ONRAMP_ARENA_H
#define ONRAMP_ARENA_H

#include <stddef.h>
#include "onramp/str.h"

typedef struct arena arena;

/** Create an arena that may hand out at most limit bytes; NULL on ENOMEM. */
arena *arena_new(size_t limit);
/** Free the arena and everything allocated from it (NULL is fine). */
void arena_free(arena *a);
/** Release every allocation but keep the first chunk for reuse. */
void arena_reset(arena *a);
/** n bytes aligned for any type; NULL when over the limit or out of memory. */
void *arena_alloc(arena *a, size_t n);
/** Zeroed array of n elements of size sz, overflow-checked. */
void *arena_calloc(arena *a, size_t n, size_t sz);
/** A NUL-terminated copy of n bytes at s. */
char *arena_strndup(arena *a, const char *s, size_t n);
/** A NUL-terminated copy of a C string (NULL gives NULL). */
char *arena_strdup(arena *a, const char *s);
/** A NUL-terminated copy of a view. */
char *arena_strview(arena *a, or_str s);
/** Bytes handed out since the last reset (for tests and metrics). */
size_t arena_used(const arena *a);

#endif
