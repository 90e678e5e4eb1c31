/*
 * The filter language's SQL (src/store/filter_sql.c): a parsed filter
 * (include/onramp/filter.h) becomes a WHERE fragment of fixed SQL text and
 * `?` placeholders.  Every byte the user typed travels as a bound parameter,
 * so the SQL's shape depends on which keys were used, never on their values.
 * Pure: no I/O, no clock (now is a parameter).
 */
#ifndef ONRAMP_FILTER_SQL_H
#define ONRAMP_FILTER_SQL_H

#include "onramp/filter.h"

/** Bound parameter of a compiled filter. */
typedef struct filter_param {
	enum { FILTER_PARAM_INT, FILTER_PARAM_TEXT } type;
	int64_t i;
	const char *s;
} filter_param;

#define FILTER_MAX_PARAMS 64
/** Room for one word's LIKE pattern: every byte escaped, a '%' and a NUL. */
#define FILTER_PATTERN_MAX (2 * FILTER_MAX_WORD + 2)

/** A WHERE fragment (no leading WHERE/AND) with its parameters in order. */
typedef struct filter_sql {
	or_buf where;			/* e.g. "(u.role IN (?,?)) AND (...)"; "1=1" when empty */
	filter_param params[FILTER_MAX_PARAMS];
	size_t nparams;
	/* The words' LIKE patterns; text params point here, so never copy a filter_sql. */
	char patterns[FILTER_MAX_WORDS][FILTER_PATTERN_MAX];
} filter_sql;

/**
 * Compile f into SQL over a users table aliased `u` (columns role, status,
 * deactivated_at, last_seen_at, created_at, login_type, username, email,
 * email_domain, display_name) and customers aliased `c` (slug).  Timestamps
 * are compared as FROM_UNIXTIME(?) against DATETIME columns in UTC.  now is UNIX seconds
 * (dormancy is relative to it); dormant_after_s is the dormancy period
 * (90 days).  Words become prefix LIKE patterns ("word%", with %, _ and \ escaped);
 * each must match the start of username, email, email_domain or
 * display_name.
 * out->where must have been buf_init()ed by the caller.
 */
or_status filter_sql_compile(const filter *f, int64_t now, int64_t dormant_after_s, filter_sql *out);

#endif
