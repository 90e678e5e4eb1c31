/*
 * Private to src/store/: the one check every tenant-scoped store function
 * starts with.  Customer id 0 used to mean "any customer"; now it is a
 * caller's bug (a forgotten id), so the query is refused rather than widened,
 * and the refusal is logged so the bug is found.  Reads across customers have
 * their own *_any functions.
 */
#ifndef ONRAMP_STORE_SCOPE_H
#define ONRAMP_STORE_SCOPE_H

#include <stdbool.h>
#include <stdint.h>

#include "onramp/log.h"

/** True (and logged) when customer_id names no customer: the caller must not run the query. */
static inline bool
scope_refused(const char *fn, int64_t customer_id)
{
	if (customer_id > 0)
		return false;
	log_event(LOG_ERROR, "tenant_scope_refused", "%s called without a customer id", fn);
	return true;
}

#endif
