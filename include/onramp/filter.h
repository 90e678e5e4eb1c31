/*
 * The user filter language of API.md (`q=`), parsed once at the edge into a
 * typed filter, then compiled by the store into a WHERE clause with bound
 * parameters only (include/onramp/filter_sql.h).  Pure: no I/O, no allocation beyond the caller's arena.
 *
 *   status:active,dormant role:customer_admin last_seen_before:"2026-01-01T00:00:00Z"
 *   created_after:2025-06-01T00:00:00Z login_type:password customer:acme ann@example
 *
 * Terms are space-separated and case-insensitive; `key:value`, the value
 * optionally double-quoted; list keys take comma-separated values or the key
 * repeated (values OR, keys AND); each bare word must match the start of the
 * username, the email, the email's domain or the display name.
 */
#ifndef ONRAMP_FILTER_H
#define ONRAMP_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "onramp/arena.h"
#include "onramp/status.h"
#include "onramp/str.h"

/** Statuses as a bit mask (status:... values); bit i is choices_user_statuses[i]. */
enum filter_status {
	FILTER_STATUS_ACTIVE = 1 << 0,
	FILTER_STATUS_DORMANT = 1 << 1,
	FILTER_STATUS_SUSPENDED = 1 << 2,
	FILTER_STATUS_DEACTIVATED = 1 << 3
};

/** Roles as a bit mask (role:... values); bit i is choices_roles[i]. */
enum filter_role {
	FILTER_ROLE_CUSTOMER_ADMIN = 1 << 0,
	FILTER_ROLE_CUSTOMER_MEMBER = 1 << 1
};

/** Login types as a bit mask (login_type:... values); bit i is choices_login_types[i]. */
enum filter_login {
	FILTER_LOGIN_PASSWORD = 1 << 0,
	FILTER_LOGIN_OIDC = 1 << 1,
	FILTER_LOGIN_SAML = 1 << 2
};

#define FILTER_MAX_TERMS 32
#define FILTER_MAX_WORDS 8
#define FILTER_MAX_CUSTOMERS 16
#define FILTER_MAX_QUERY 1024
#define FILTER_MAX_WORD 64		/* longest bare word (bytes) */
#define FILTER_MAX_SLUG 63		/* longest customer slug (bytes) */

/** Where the filter is used: the customer API refuses the customer: key. */
typedef enum filter_scope {
	FILTER_SCOPE_CUSTOMER = 0,
	FILTER_SCOPE_OPERATOR
} filter_scope;

/** A parsed filter.  Zero masks mean "no constraint"; times are UNIX seconds, 0 = unset. */
typedef struct filter {
	unsigned statuses;
	unsigned roles;
	unsigned login_types;
	int64_t last_seen_before, last_seen_after;
	int64_t created_before, created_after;
	bool has_last_seen_before, has_last_seen_after, has_created_before, has_created_after;
	const char *customers[FILTER_MAX_CUSTOMERS];	/* customer slugs, lower case (arena) */
	size_t ncustomers;
	const char *words[FILTER_MAX_WORDS];		/* bare words, lower case (arena) */
	size_t nwords;
} filter;

/**
 * Parse q (len bytes) into f.  On OR_ERR_INVALID, err gets a human sentence
 * naming the offending term, e.g. `unknown filter key "colour" in term "colour:red"`.
 * Strings in f are allocated from a.
 */
or_status filter_parse(const char *q, size_t len, filter_scope scope, arena *a, filter *f,
		       char *err, size_t errsz);

#endif
