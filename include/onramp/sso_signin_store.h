/*
 * The store of SSO sign-ins in progress (issue 13): pending requests between
 * POST /sso/start (or /sso/tests) and the IdP's answer, the per-customer
 * JWKS cache, and test sign-ins with their results.  Secrets are kept only
 * as SHA-256 hashes; a test result never holds a token or a code.  Every
 * function takes the customer id (0 refused).
 */
#ifndef ONRAMP_SSO_SIGNIN_STORE_H
#define ONRAMP_SSO_SIGNIN_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "onramp/arena.h"
#include "onramp/db.h"
#include "onramp/status.h"

/** A pending request to store. */
typedef struct sso_pending_new {
	const char *state_hash;		/* SHA-256 hex of the state token */
	const char *browser_hash;	/* SHA-256 hex of the browser cookie's token */
	int64_t customer_id;
	const char *purpose;		/* signin, test */
	int64_t test_id;		/* purpose test: the sso_tests row (else 0) */
	const char *protocol;		/* oidc, saml */
	int64_t version;		/* the configuration version it started with */
	const char *request_id;
	int64_t now, expires_at;
} sso_pending_new;

/** A consumed pending request. */
typedef struct sso_pending {
	int64_t id, customer_id, test_id, version, created_at;
	const char *purpose, *protocol;
	const char *request_id;		/* SAML: the AuthnRequest ID (InResponseTo); NULL for OIDC */
} sso_pending;

/** Why a pending request could not be consumed (the failure page says which). */
typedef enum sso_pending_why {
	SSO_PENDING_UNKNOWN = 1,	/* no such state */
	SSO_PENDING_EXPIRED,
	SSO_PENDING_USED,		/* a replayed answer */
	SSO_PENDING_OTHER_BROWSER,	/* finished in a browser that did not start it */
	SSO_PENDING_OTHER_CUSTOMER	/* came back to another customer's redirect URI */
} sso_pending_why;

/** Store a pending request. */
or_status store_sso_pending_create(db *d, const sso_pending_new *p);
/**
 * Use a pending request once: one conditional UPDATE (unused, unexpired,
 * this state, this browser, this customer) with the affected rows checked,
 * then the row is read.  OR_ERR_CONFLICT with *why when it cannot be used
 * (the row is read only then, to say why).
 */
or_status store_sso_pending_consume(db *d, arena *a, int64_t customer_id, const char *state_hash,
				    const char *browser_hash, int64_t now, sso_pending *out, sso_pending_why *why);

/**
 * Read a pending request without using it (the SAML HTTP-POST page rebuilds
 * its AuthnRequest from it): only an unused, unexpired request of this
 * customer started by this browser; OR_ERR_NOT_FOUND for anything else.
 */
or_status store_sso_pending_peek(db *d, arena *a, int64_t customer_id, const char *state_hash,
				 const char *browser_hash, int64_t now, sso_pending *out);

/**
 * Delete pending requests that expired before `before`, in batches of
 * LIMIT_SWEEP_BATCH (the mailer's sweep); *deleted (may be NULL) gets the count.
 */
or_status store_sso_pending_sweep(db *d, int64_t before, unsigned long long *deleted);

/**
 * Remember an accepted SAML assertion (SHA-256 hex of issuer and ID) until
 * expires_at: OR_ERR_CONFLICT when it was accepted before (a replay).  The
 * customer's expired rows are swept first.
 */
or_status store_sso_saml_seen_insert(db *d, int64_t customer_id, const char *assertion_hash, int64_t expires_at,
				     int64_t now);

/** A customer's cached JWKS for one URI. */
typedef struct sso_jwks_entry {
	const char *body;
	int64_t fetched_at;
} sso_jwks_entry;

/** The cached JWKS of (customer, SHA-256 hex of the jwks_uri); OR_ERR_NOT_FOUND when none. */
or_status store_sso_jwks_get(db *d, arena *a, int64_t customer_id, const char *uri_hash, sso_jwks_entry *out);
/** Store a fetched JWKS (insert or replace; fetched_at = now). */
or_status store_sso_jwks_put(db *d, int64_t customer_id, const char *uri_hash, const char *body, int64_t now);
/**
 * Claim the one refetch an unknown kid may cause: a conditional UPDATE of
 * refetched_at that succeeds at most once per min_interval_s across every
 * worker and host.  OR_ERR_LIMIT when a refetch happened too recently.
 */
or_status store_sso_jwks_claim_refetch(db *d, int64_t customer_id, const char *uri_hash, int64_t now,
				       int64_t min_interval_s);

/** A test sign-in. */
typedef struct sso_test {
	int64_t id, customer_id, version, created_at, finished_at;
	const char *protocol, *state, *started_by;
	const char *result;		/* JSON text, NULL while pending */
} sso_test;

/** Start a test sign-in of version (state pending); *id names it. */
or_status store_sso_test_create(db *d, int64_t customer_id, const char *protocol, int64_t version,
				const char *started_by, int64_t now, int64_t *id);
/** Record a test's outcome once (OR_ERR_CONFLICT when it is not pending any more). */
or_status store_sso_test_finish(db *d, int64_t customer_id, int64_t id, bool passed, const char *result_json,
				int64_t now);
/** One test of the customer (OR_ERR_NOT_FOUND outside it). */
or_status store_sso_test_get(db *d, arena *a, int64_t customer_id, int64_t id, sso_test *out);
/** The customer's newest test (OR_ERR_NOT_FOUND when none): the operator's review shows it. */
or_status store_sso_test_latest(db *d, arena *a, int64_t customer_id, sso_test *out);

#endif
