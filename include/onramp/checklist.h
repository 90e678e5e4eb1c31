/*
 * The onboarding checklist, derived: every item's state comes from facts
 * about the customer (its details, users, invites, SSO draft, operator-
 * reviewed fields) plus the blockers operators set, never from a stored copy
 * that could drift.  The "Done When" list, readiness and the gates that
 * Create answers with are computed by the same rules.  Pure: the store
 * gathers the facts, this module decides.
 */
#ifndef ONRAMP_CHECKLIST_H
#define ONRAMP_CHECKLIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Checklist items, in display order. */
typedef enum checklist_item {
	ITEM_CONTACTS = 0,
	ITEM_ADMIN_SIGNIN,
	ITEM_MEMBERS,
	ITEM_SSO,
	ITEM_BILLING,
	ITEM_WORKSPACE_TARGET,
	ITEM_PROVIDER_SETUP,
	ITEM_COUNT
} checklist_item;

/** Item states of API.md. */
typedef enum item_state {
	STATE_TODO = 0,
	STATE_IN_PROGRESS,
	STATE_SUBMITTED,
	STATE_IN_REVIEW,
	STATE_DONE,
	STATE_BLOCKED,
	STATE_NOT_REQUIRED
} item_state;

/** Blocker categories of the issue. */
typedef enum blocker_category {
	BLOCKER_BILLING = 0,
	BLOCKER_PREPAID_BALANCE,
	BLOCKER_SSO,
	BLOCKER_TARGET_READINESS,
	BLOCKER_TEMPLATE_AVAILABILITY,
	BLOCKER_OTHER,
	BLOCKER_CATEGORY_COUNT
} blocker_category;

/** Where an operator-reviewed thing stands. */
typedef enum review_state {
	REVIEW_NONE = 0,		/* nothing submitted */
	REVIEW_DRAFT,			/* the customer is working on it */
	REVIEW_PENDING,			/* submitted, waiting for an operator */
	REVIEW_APPROVED,
	REVIEW_CHANGES_REQUESTED,
	REVIEW_REJECTED
} review_state;

/** Billing states of the issue. */
typedef enum billing_state {
	BILLING_NONE = 0,
	BILLING_TRIAL_REQUESTED,
	BILLING_TRIAL_APPROVED,
	BILLING_VERIFIED,
	BILLING_PREPAID
} billing_state;

/** An operator-set blocker on one item. */
typedef struct checklist_blocker {
	checklist_item item;
	blocker_category category;
	const char *message;	/* customer-visible */
	bool retryable;
} checklist_blocker;

#define CHECKLIST_MAX_BLOCKERS 32

/** Which of the details the contacts rule looks at are set. */
typedef struct checklist_contacts {
	bool legal_name;
	bool support_name, support_email;
	bool billing_name, billing_email;
	bool technical_name, technical_email;
} checklist_contacts;

/**
 * The contacts rule, once for the checklist (src/store/setup.c) and for the
 * save that submits for review (src/api/account.c): a legal name, and a name
 * and an email for each of the support, billing and technical contacts.
 */
bool checklist_contacts_complete(const checklist_contacts *c);

/** Everything the rules look at. */
typedef struct checklist_facts {
	bool details_saved;		/* a customer admin saved the details at least once */
	bool contacts_complete;		/* checklist_contacts_complete() of the saved details */
	long admins_can_sign_in;	/* admins neither suspended nor deactivated */
	long admins_signed_in;		/* of those, admins that have signed in */
	long members;			/* users other than the first admin */
	long invites_pending;		/* member invites pending and not expired */
	bool sso_not_required;
	review_state sso;
	int64_t sso_cert_not_after;	/* earliest validated signing certificate expiry, 0 = none */
	bool sso_approved;		/* an approved SSO snapshot exists (whatever the draft's review) */
	int64_t sso_live_since;		/* when the live SSO configuration was activated, 0 = not live */
	int64_t now;			/* when the checklist is read (UNIX seconds) */
	long seats_used;		/* users holding a seat at now (the dashboard's over-limit count) */
	long seat_limit;
	billing_state billing;
	int64_t prepaid_balance_cents;
	review_state workspace_target;
	bool target_ready;		/* the operator marked the target ready */
	bool provider_required;		/* the customer asked for managed AI or its own provider */
	review_state provider;
	bool provider_ready;		/* the operator marked the provider setup ready */
	checklist_blocker blockers[CHECKLIST_MAX_BLOCKERS];
	size_t nblockers;
	/*
	 * The first moment after now at which a time-bound count above (pending
	 * invites expiring, a seat holder turning dormant) changes without any
	 * write, 0 = none: how long a copy of these facts stays true (facts_cache).
	 */
	int64_t changes_at;
} checklist_facts;

/** One derived item. */
typedef struct checklist_entry {
	checklist_item item;
	item_state state;
	const checklist_blocker *blocker;	/* set when state is STATE_BLOCKED */
	const char *hint;			/* what the customer does next (fixed text) */
	const char *warning;			/* needs attention although done (fixed text), or NULL */
	const char *note;			/* a fact about a done item (fixed text), or NULL */
	int64_t live_since;			/* sso: live since (0 = not live) */
} checklist_entry;

/** How long before a signing certificate expires the sso item warns. */
#define CHECKLIST_CERT_WARN_S (30 * 86400)

/** The whole derived checklist. */
typedef struct checklist {
	checklist_entry entries[ITEM_COUNT];
	bool ready;				/* every item done or not required */
} checklist;

/** Derive the checklist from the facts. */
void checklist_derive(const checklist_facts *f, checklist *out);
/** True when an entry counts as finished (done or not required). */
bool checklist_entry_met(const checklist_entry *e);

/** "contacts", "admin_signin", ... */
const char *checklist_item_key(checklist_item i);
/** Customer-facing title of an item. */
const char *checklist_item_title(checklist_item i);
/** Parse an item key; false when unknown. */
bool checklist_item_parse(const char *s, checklist_item *out);
/** "todo", "in_progress", ... */
const char *checklist_state_name(item_state s);
/** "billing", "prepaid_balance", ... */
const char *checklist_category_name(blocker_category c);
/** Parse a category name; false when unknown. */
bool checklist_category_parse(const char *s, blocker_category *out);
/** "none", "trial_requested", ... */
const char *checklist_billing_name(billing_state b);
/** Parse a billing state name; false when unknown. */
bool checklist_billing_parse(const char *s, billing_state *out);
/** The Done-When key of an item, e.g. "contacts_confirmed". */
const char *checklist_done_when_key(checklist_item i);
/**
 * Why an unfinished item blocks Create: the operator's blocker message when
 * there is one, else a fixed sentence for the item's state.
 */
const char *checklist_gate_message(const checklist_entry *e);
/**
 * Who clears an unfinished item's gate: "you" (the customer: their own
 * items, a used-up prepaid balance) or "operator" (reviews, operator
 * blockers, what we prepare: billing approval, the workspace target).
 */
const char *checklist_gate_owner(const checklist_entry *e);
/**
 * Whether trying Create again can help, and who acts, as one sentence:
 * "Retrying will not help until ..." unless an operator marked the blocker
 * retryable.  The page shows it under each gate (GET /checklist's item.gate
 * and the 409's gates carry the same words).
 */
const char *checklist_gate_next(const checklist_entry *e);

#endif
