/*
 * The store of Account Setup's operator side: the operator context (billing,
 * workspace target, provider setup), internal notes, blockers, the checklist
 * facts of many customers (the dashboard), the review queue and its
 * decisions, and support request lists.  Only operator handlers include this
 * header; tests/check-headers.sh (in `make check`) keeps customer handlers
 * out.  Strings in results live in the arena passed in; times are UNIX seconds.
 */
#ifndef ONRAMP_SETUP_STORE_OPERATOR_H
#define ONRAMP_SETUP_STORE_OPERATOR_H

#include "onramp/setup_store.h"

/* ---- operator context -------------------------------------------------------------- */

/** What operators keep per customer (strings NULL when unset). */
typedef struct setup_context {
	const char *billing_state;	/* none, trial_requested, trial_approved, verified, prepaid */
	int64_t prepaid_balance_cents;
	const char *target_name;
	const char *runtime_capacity;
	const char *template_aliases;	/* comma-separated */
	const char *coder_access;
	bool target_ready;
	const char *target_review;	/* none, pending, approved, changes_requested, rejected */
	const char *provider_mode;	/* managed, own_account or NULL */
	bool provider_ready;
	const char *provider_review;
	int64_t version;		/* 0 before the first change */
	int64_t updated_at;
} setup_context;

/** Load the context (defaults with version 0 when there is no row yet). */
or_status store_context_get(db *d, arena *a, int64_t customer_id, setup_context *out);
/** Set billing state and balance when the version is still expected (OR_ERR_VERSION otherwise). */
or_status store_context_set_billing(db *d, int64_t customer_id, const char *state, int64_t balance_cents,
				    int64_t expected_version);
/** Set the workspace target fields (name, capacity, aliases, access, ready) with compare-and-set. */
or_status store_context_set_target(db *d, int64_t customer_id, const setup_context *in, int64_t expected_version);
/** Set the provider mode and readiness with compare-and-set. */
or_status store_context_set_provider(db *d, int64_t customer_id, const char *mode, bool ready,
				     int64_t expected_version);

/* ---- internal notes ------------------------------------------------------------------ */

/** A customer's internal notes (operator-only). */
typedef struct internal_note {
	const char *body;	/* NULL when never written */
	int64_t version;	/* 0 when never written */
	int64_t updated_at;
	int64_t updated_by;
} internal_note;

/** Load the notes. */
or_status store_notes_get(db *d, arena *a, int64_t customer_id, internal_note *out);
/** Replace the notes when the version is still expected (0: none yet); OR_ERR_VERSION otherwise. */
or_status store_notes_put(db *d, int64_t customer_id, const char *body, int64_t expected_version,
			  int64_t operator_id);

/* ---- blockers ------------------------------------------------------------------------ */

/** An active blocker. */
typedef struct blocker_row {
	int64_t id;
	const char *item;
	const char *category;
	const char *message;
	bool retryable;
	int64_t created_at;
} blocker_row;

/** The active blockers, oldest first (at most CHECKLIST_MAX_BLOCKERS). */
or_status store_blockers_list(db *d, arena *a, int64_t customer_id, blocker_row **out, size_t *n);
/** Clear the active blockers and insert these (call inside a transaction). */
or_status store_blockers_replace(db *d, int64_t customer_id, const blocker_row *in, size_t n, int64_t operator_id);

/* ---- checklist facts ----------------------------------------------------------------- */

/**
 * Gather the checklist facts of customers ids[0..n) (ascending) in one
 * statement, whatever n is; blocker texts go in the arena.
 */
or_status store_checklist_facts_many(db *d, arena *a, const int64_t *ids, size_t n, int64_t now, checklist_facts *out);
/** Customer ids above after_id, ascending, at most limit. */
or_status store_customer_ids(db *d, arena *a, int64_t after_id, long limit, int64_t **out, size_t *n);

/* ---- reviews --------------------------------------------------------------------------- */

/** A review in the queue. */
typedef struct review {
	int64_t id;
	int64_t customer_id;
	const char *customer_slug;
	const char *customer_name;
	const char *kind;		/* billing, sso, workspace_target, provider_setup */
	const char *state;		/* pending, approved, rejected, changes_requested, superseded */
	const char *comment;		/* customer-visible */
	const char *internal_comment;	/* operator-only; never loaded by store_checklist_facts */
	int64_t created_at;
	int64_t decided_at;
	const char *decided_by;		/* operator username */
} review;

/** Listing filter: NULL or 0 members mean "any". */
typedef struct review_query {
	const char *state;	/* NULL = any */
	const char *kind;
	int64_t customer_id;
	int64_t after;		/* cursor: last id of the previous page */
	long limit;
} review_query;

/** List q->customer_id's reviews (0 refused): pending ascending by id, every other state descending. */
or_status store_review_list(db *d, arena *a, const review_query *q, review **out, size_t *n);
/** The same over every customer (q->customer_id is not read). */
or_status store_review_list_any(db *d, arena *a, const review_query *q, review **out, size_t *n);
/** How many reviews wait for an operator over every customer, and when the oldest was submitted (0 = none). */
or_status store_review_pending_any(db *d, long *count, int64_t *oldest);
/** Load one review and lock it for the transaction. */
or_status store_review_lock(db *d, arena *a, int64_t id, review *out);
/** Decide a pending review (OR_ERR_CONFLICT when it is not pending any more). */
or_status store_review_decide(db *d, int64_t id, const char *state, const char *comment, const char *internal_comment,
			      int64_t operator_id);
/**
 * Carry a decision into the reviewed thing: billing trial approved or back to
 * none, or the review state of the SSO draft, target or provider.
 */
or_status store_review_apply(db *d, int64_t customer_id, const char *kind, const char *state);

/* ---- support requests ------------------------------------------------------------------ */

/** Support requests of one customer (0 refused), newest first, ids below before (0 = from the newest). */
or_status store_support_list(db *d, arena *a, int64_t customer_id, int64_t before, long limit,
			     support_request **out, size_t *n);
/** The same over every customer (operators). */
or_status store_support_list_any(db *d, arena *a, int64_t before, long limit, support_request **out, size_t *n);

#endif
