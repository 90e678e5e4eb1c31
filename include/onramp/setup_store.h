/*
 * The store of Account Setup as the customer API reaches it: opening and
 * superseding reviews, the latest decided review of each kind (customer-visible
 * columns only, read with the checklist facts), workspace requests and adding support
 * requests.  The operator side (context, internal notes, blockers, the review
 * queue and its decisions, support lists, the dashboard's facts) is in
 * setup_store_operator.h, which customer handlers never include
 * (tests/check-headers.sh).  Every function takes the customer id.
 * Strings in results live in the arena passed in; times are UNIX seconds.
 */
#ifndef ONRAMP_SETUP_STORE_H
#define ONRAMP_SETUP_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "onramp/arena.h"
#include "onramp/checklist.h"
#include "onramp/db.h"
#include "onramp/status.h"

/* ---- reviews --------------------------------------------------------------------------- */

/** Review kinds, which are also checklist items. */
#define REVIEW_KIND_COUNT 4

/** Open a pending review of kind unless one is pending; *opened tells which. */
or_status store_review_open(db *d, int64_t customer_id, const char *kind, int64_t user_id, bool *opened);
/** Close the pending review of kind as superseded (no-op when none). */
or_status store_review_supersede(db *d, int64_t customer_id, const char *kind);
/**
 * What a customer admin's save submits: the trial request (billing none),
 * the workspace target, and the provider setup when wanted (else its review
 * is withdrawn).  Opens one pending review per thing; *opened counts them.
 */
or_status store_setup_submit(db *d, int64_t customer_id, int64_t user_id, bool provider_wanted, int *opened);

/** The latest decided review of each kind, customer-visible members only (store_checklist_facts reads them). */
typedef struct review_note {
	const char *state;	/* NULL when no review of this kind was decided */
	const char *comment;
	int64_t decided_at;
} review_note;


/* ---- workspace and support requests ----------------------------------------------------- */

/** A recorded "Create". */
typedef struct workspace_request {
	int64_t id;
	const char *name;
	const char *state;
	const char *requested_by;	/* username */
	int64_t created_at;
} workspace_request;

/**
 * Record a workspace request, atomically once per queued name (migration
 * 021's unique key): *id is the new request, or the customer's request of
 * that name already queued, and *added says which.
 */
or_status store_workspace_request_add(db *d, int64_t customer_id, const char *name, int64_t user_id, int64_t *id,
				      bool *added);
/** One of the customer's workspace requests; *found false when it has none with this id. */
or_status store_workspace_request_get(db *d, arena *a, int64_t customer_id, int64_t id, workspace_request *out,
				      bool *found);
/** A customer's workspace requests, newest first. */
or_status store_workspace_requests(db *d, arena *a, int64_t customer_id, long limit, workspace_request **out,
				   size_t *n);

/** A support request as stored for operators. */
typedef struct support_request {
	int64_t id;
	int64_t customer_id;
	const char *customer_name;
	const char *username;
	const char *item;
	const char *visible_message;
	const char *last_action;
	int64_t last_action_at;
	const char *message;
	int64_t created_at;
} support_request;

/** Store a support request (user_id is the requester). */
or_status store_support_add(db *d, int64_t user_id, const support_request *in, int64_t *id);
/** The newest audit action of a customer (NULL when none). */
or_status store_last_action(db *d, arena *a, int64_t customer_id, const char **action, int64_t *at);

#endif
