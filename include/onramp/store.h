/*
 * The store: every query of the identity data, as functions over a db handle.
 * SQL lives beside each function in src/store/; all of it is prepared and
 * bound.  Functions that read tenant data take the customer id and put it in
 * the WHERE clause, so a customer can never reach another customer's rows.
 * A scoped function refuses customer id 0 (OR_ERR_INTERNAL, never "any"); the
 * few reads operators and system paths need across customers are separately
 * named *_any, so a forgotten id cannot widen a query.
 * What only operators and onrampctl may call (other customers, operator
 * accounts, the audit trail, the banner's writes) is in store_operator.h,
 * which customer handlers never include (tests/check-headers.sh).
 * Strings in results live in the arena passed in.  Times are UNIX seconds.
 */
#ifndef ONRAMP_STORE_H
#define ONRAMP_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "onramp/arena.h"
#include "onramp/db.h"
#include "onramp/filter.h"
#include "onramp/identity.h"
#include "onramp/mailtext.h"
#include "onramp/timefmt.h"
#include "onramp/status.h"

struct checklist_facts;
struct review_note;

/* ---- customers -------------------------------------------------------------- */

/** A customer (tenant). */
typedef struct customer {
	int64_t id;
	const char *slug;
	const char *name;
	long seat_limit;
	int64_t created_at;
	int64_t updated_at;
	int64_t version;
} customer;

/** Load one customer by id. */
or_status store_customer_get(db *d, arena *a, int64_t id, customer *out);
/**
 * Load one customer by slug.  Customer code may call it: a slug is public
 * (it is part of the SSO redirect URI, which names the customer's callback).
 */
or_status store_customer_by_slug(db *d, arena *a, const char *slug, customer *out);
/** Lock the customer row for the transaction (serialises seat checks); returns the seat limit. */
or_status store_customer_lock(db *d, int64_t id, long *seat_limit);
/** What an invite mail's checks need, read under the customer row lock (store_customer_lock_invite). */
typedef struct customer_invite_limits {
	const char *name;
	long seat_limit;
	long seats_used;
	long mails;			/* invite mails queued since the given time (the hourly rate limit) */
	int64_t oldest_mail;		/* when the oldest of them was queued (0: none) */
	bool member;			/* a user of the customer, not deactivated, has the email asked about */
} customer_invite_limits;
/**
 * Lock the customer row (0 refused), then read its name, seats used at now,
 * its invite mails since since and whether email (may be NULL) is a member's.
 */
or_status store_customer_lock_invite(db *d, arena *a, int64_t id, const char *email, int64_t now, int64_t since,
				     customer_invite_limits *out);
/** Users holding a seat (active: not suspended, not deactivated, seen within 90 days). */
or_status store_customer_seats_used(db *d, int64_t customer_id, int64_t now, long *used);
/** Load one customer and its seats used (as store_customer_get and store_customer_seats_used) in one statement. */
or_status store_customer_with_seats(db *d, arena *a, int64_t customer_id, int64_t now, customer *c, long *used);
/**
 * identity_holds_seat in SQL over users, for the seat counts: its one ? is the
 * dormancy cut-off as DATETIME text (store_seat_cutoff).
 */
#define STORE_SQL_SEAT_HOLDER "status = 'active' AND deactivated_at IS NULL AND last_seen_at >= ?"
/** UNIX time t as DATETIME text "YYYY-MM-DD HH:MM:SS" (UTC), for a time bound as a constant (see store_seat_cutoff). */
void store_sql_time(int64_t t, char out[TIMEFMT_RFC3339_LEN]);
/** The cut-off of STORE_SQL_SEAT_HOLDER at now: "YYYY-MM-DD HH:MM:SS" of now - IDENTITY_DORMANT_AFTER_S (UTC). */
void store_seat_cutoff(int64_t now, char out[TIMEFMT_RFC3339_LEN]);

/* ---- users ---------------------------------------------------------------------- */

/** What creating a user needs. */
typedef struct user_new {
	int64_t customer_id;
	const char *username;
	const char *email;		/* normalised */
	const char *display_name;	/* NULL for none */
	user_role role;
	const char *password_hash;	/* NULL: cannot sign in with a password yet */
	bool must_change_password;
	const char *login_type;		/* "password" (NULL), "oidc", "saml": how the account signs in */
} user_new;

/** Insert a user; OR_ERR_CONFLICT with *which = "username" or "email" when taken. */
or_status store_user_insert(db *d, const user_new *u, int64_t *id, const char **which);
/** Load a user of the customer (0 refused); OR_ERR_NOT_FOUND outside it. */
or_status store_user_get(db *d, arena *a, int64_t customer_id, int64_t id, user *out);
/** store_user_get locking the user's row (and its customer's: lock the customer first, store_customer_lock) for the transaction. */
or_status store_user_lock(db *d, arena *a, int64_t customer_id, int64_t id, user *out);
/** Load a user of any customer (operator and system paths: sessions, reset tokens). */
or_status store_user_get_any(db *d, arena *a, int64_t id, user *out);
/** Find a user by username or email for sign-in, with its password hash (arena). */
or_status store_user_by_login(db *d, arena *a, const char *login, user *out, const char **hash);
/** Find a user by (normalised) email. */
or_status store_user_by_email(db *d, arena *a, const char *email, user *out);

/** A page of a user listing. */
typedef struct user_page {
	user *items;
	size_t n;
	bool more;		/* another page exists */
} user_page;

/** Users of the customer (0 refused) matching f, ordered by id, after id after_id, at most limit. */
or_status store_user_list(db *d, arena *a, int64_t customer_id, const filter *f, int64_t now,
			  int64_t after_id, long limit, user_page *out);
/** Suspend (true) or activate (false) a user of the customer (0 refused); nothing outside it. */
or_status store_user_set_suspended(db *d, int64_t customer_id, int64_t id, bool suspended);
/** Change the role of a user of the customer (0 refused). */
or_status store_user_set_role(db *d, int64_t customer_id, int64_t id, user_role role);
/** Set the password hash and the must-change flag. */
or_status store_user_set_password(db *d, int64_t id, const char *phc, bool must_change);
/** Record how a user of the customer (0 refused) last signed in: password, oidc or saml. */
or_status store_user_set_login_type(db *d, int64_t customer_id, int64_t id, const char *login_type);
/** Record that the user was seen now (sign-in, or a request at most once a minute). */
or_status store_user_touch(db *d, int64_t id, int64_t now);

/* ---- sessions ------------------------------------------------------------------- */

/** Which realm a session belongs to (REALM_SSO_SETUP: an IT-admin setup link, principal = the link). */
typedef enum session_realm { REALM_CUSTOMER = 0, REALM_OPERATOR, REALM_SSO_SETUP } session_realm;

/** A live session. */
typedef struct session {
	session_realm realm;
	int64_t principal_id;
	char id_hash[65];
	char csrf_token[44];
	char login_type[12];		/* password, oidc, saml */
	char ended_reason[12];		/* "" while live; suspended, deactivated: ended by that */
	int64_t last_used_at;
	int64_t expires_at;
} session;

/** Store a new session keyed by the hash of its token; login_type: password, oidc or saml. */
or_status store_session_create(db *d, session_realm realm, int64_t principal_id, const char *id_hash,
			       const char *csrf, const char *login_type, int64_t now, int64_t expires_at,
			       const char *client_addr);
/**
 * Find a live customer session (not expired, used within idle_s) and its
 * user in one statement: sess as the session row, out as store_user_get_any
 * reads it.  OR_ERR_NOT_FOUND for unknown, expired or idle sessions (the row
 * is left for the sweeper); whether the user may still act is the caller's.
 */
or_status store_user_by_session(db *d, arena *a, const char *id_hash, int64_t now, int64_t idle_s, session *sess,
				user *out);
/** Refresh last_used_at. */
or_status store_session_touch(db *d, const char *id_hash, int64_t now);
/** Delete one session (sign-out). */
or_status store_session_delete(db *d, const char *id_hash);
/** Delete every session of a principal (password change/reset, TOTP reset). */
or_status store_session_delete_all(db *d, session_realm realm, int64_t principal_id);
/** End every session of a principal with a reason ("suspended", "deactivated") the next request is told. */
or_status store_session_end_all(db *d, session_realm realm, int64_t principal_id, const char *reason);
/** Delete every session of the principal but the one whose CSRF token is keep_csrf (created just before). */
or_status store_session_delete_others(db *d, session_realm realm, int64_t principal_id, const char *keep_csrf);

/**
 * Delete what can no longer be used: sessions past their absolute expiry or
 * idle for longer than idle_s, throttle rows whose window and lock are over,
 * and reset tokens expired for a day.  Run periodically (onramp-mailer does).
 */
or_status store_session_sweep(db *d, int64_t now, int64_t idle_s, int64_t window_s);

/* ---- sign-in throttling ------------------------------------------------------------ */

/** When key is locked, *locked_until > now (0 when not locked). */
or_status store_throttle_check(db *d, const char *key, int64_t now, int64_t *locked_until);
/**
 * Count a failure for key in a window of window_s seconds; at max failures
 * the key is locked for window_s seconds.  *locked_until as above.
 */
or_status store_throttle_fail(db *d, const char *key, int64_t now, int64_t window_s, long max,
			      int64_t *locked_until);
/** Forget the failures of key (successful sign-in). */
or_status store_throttle_clear(db *d, const char *key);

/* ---- password reset tokens --------------------------------------------------------- */

/** A reset token to issue. */
typedef struct reset_new {
	const char *token_hash;
	int64_t user_id;
	int64_t now;
	int64_t expires_at;
	const char *created_by;	/* "self" (mailed) or "operator:NAME" */
	long max_recent;	/* > 0: at most this many by created_by within window_s */
	int64_t window_s;
} reset_new;

/**
 * Store a reset token's hash and revoke the user's earlier unused ones, under
 * a lock on the user row (call inside a transaction), so only the newest link
 * works.  OR_ERR_LIMIT when max_recent were issued within window_s;
 * OR_ERR_NOT_FOUND when the user is gone.  *id names the row (for the outbox).
 */
or_status store_reset_create(db *d, const reset_new *r, int64_t *id);
/**
 * Use a token: OR_OK with *user_id when valid (and it is now used),
 * OR_ERR_NOT_FOUND when unknown, OR_ERR_CONFLICT when expired or used.
 */
or_status store_reset_consume(db *d, const char *token_hash, int64_t now, int64_t *user_id);
/** Invalidate every unused reset token of a user. */
or_status store_reset_revoke_user(db *d, int64_t user_id, int64_t now);

/** A queued forgot-password request (src/store/resets.c). */
typedef struct reset_request {
	int64_t id;
	const char *email;	/* normalised */
	int64_t requested_at;
	const char *client_addr;
	const char *request_id;
} reset_request;

/** Queue a forgot-password request for onramp-mailer; the same one write for every address. */
or_status store_reset_request_add(db *d, const char *email, int64_t now, const char *client_addr,
				  const char *request_id);
/** Up to max queued requests, oldest first (not locked: claim each with store_reset_request_take). */
or_status store_reset_request_list(db *d, arena *a, long max, reset_request **out, size_t *n);
/**
 * Claim a listed request inside the caller's transaction by deleting it;
 * OR_ERR_NOT_FOUND when another mailer took it first.
 */
or_status store_reset_request_take(db *d, int64_t id);

/* ---- audit trail ------------------------------------------------------------------- */

/** Who acted. */
typedef enum audit_actor { ACTOR_USER = 0, ACTOR_OPERATOR, ACTOR_CLI, ACTOR_SYSTEM, ACTOR_SETUP_LINK } audit_actor;

/** One audit row; before/after are JSON texts with secrets already redacted. */
typedef struct audit_entry {
	int64_t id;
	int64_t at;
	audit_actor actor_type;
	int64_t actor_id;		/* 0 = none */
	const char *actor_label;
	int64_t customer_id;		/* 0 = none */
	const char *action;
	const char *object_type;
	const char *object_id;
	const char *before_json;	/* NULL = none */
	const char *after_json;
	const char *client_addr;
	const char *request_id;
	/* Names resolved when read (names change, ids stay; NULL when unknown): */
	const char *actor_name;		/* the user's or operator's username now */
	const char *customer_name;
	const char *customer_slug;
	const char *object_label;	/* user: username, invite and setup link: email, review: kind... */
} audit_entry;

/** Append one audit row. */
or_status store_audit_add(db *d, const audit_entry *e);
/** "user", "operator", "cli", "system", "setup_link". */
const char *store_audit_actor_name(audit_actor t);

/* ---- mail outbox ------------------------------------------------------------------- */

/**
 * A mail to queue: a composed text (src/domain/mailtext.c) and what it is
 * about.  kind names the template and the row's type: "invite" and
 * "password_reset" name a token's row (revoked when the mail fails),
 * "support_request" its request.
 */
typedef struct outbox_mail {
	int64_t customer_id;	/* 0 = none */
	const char *kind;
	int64_t ref_id;		/* 0 = none */
	const char *to_addr;
	const mailtext *text;
} outbox_mail;

/** Queue a mail, the one way an outbox row is built (inside the transaction of the change that causes it). */
or_status store_outbox_add(db *d, const outbox_mail *m, int64_t *id);
/** Mails not yet sent nor failed. */
or_status store_outbox_depth(db *d, long *n);

/** A mail the mailer is delivering. */
typedef struct outbox_row {
	int64_t id;
	const char *to_addr;
	const char *subject;
	const char *body_text;
	const char *body_html;
	const char *message_key;	/* set at the row's first claim, the same for every send of it */
	long attempts;
} outbox_row;

/** A mailer's claim: who holds the rows (32 hex) and the key new rows get (32 hex). */
typedef struct outbox_claim {
	const char *token;
	const char *message_key;
	int64_t now;
	int64_t until;		/* the claim ends: another mailer may take the rows after it */
	bool adopt;		/* an earlier claim with this token may have committed unseen: load its rows, claim none */
} outbox_claim;

/**
 * Claim up to max due mails for c->token until c->until and load them; run it
 * in a transaction of its own and commit before sending (Galera certifies the
 * write, so of two mailers claiming a row on two nodes one fails to commit).
 */
or_status store_outbox_claim(db *d, arena *a, const outbox_claim *c, long max, outbox_row **out, size_t *n);
/**
 * Delivered: keep the envelope, discard the body (it may hold a one-time link).
 * Like retry and failed, only while token still holds the row: *held says so.
 */
or_status store_outbox_sent(db *d, int64_t id, const char *token, int64_t now, bool *held);
/** Not delivered: try again at next_at (the claim ends). */
or_status store_outbox_retry(db *d, int64_t id, const char *token, int64_t next_at, const char *error, bool *held);
/**
 * Given up on: keep the envelope and the error, discard the body, and revoke
 * the one-time link it carried (ref_type 'password_reset': the reset is used
 * up; 'invite': the invite's token stops working while it stays pending, so
 * the admin sees the failed delivery and resends with a new token;
 * 'sso_setup_link': the setup link is revoked).  Call inside a transaction.
 */
or_status store_outbox_failed(db *d, int64_t id, const char *token, int64_t now, const char *error, bool *held);

/* ---- guard rows (src/store/guards.c) ----------------------------------------------- */

/** Which invariant a guard row stands for (guards.kind; never renumber). */
typedef enum guard_kind {
	GUARD_SEATS = 1,		/* id = customer: the seat limit */
	GUARD_CUSTOMER_ADMINS = 2,	/* id = customer: it keeps one active admin */
	GUARD_OPERATOR_ADMINS = 3,	/* id = 0: the vendor keeps one operator admin */
	GUARD_USER_RESETS = 4,		/* id = user: the reset-token limit and the one usable link */
	GUARD_SSO_GOLIVE = 5		/* id = customer: activation's preconditions (approval, secret) */
} guard_kind;

/**
 * Write the guard row of (kind, id) inside the caller's transaction, before
 * reading what the invariant counts: the write (not a lock) is what Galera
 * certifies, so two such checks on two nodes cannot both commit.
 */
or_status store_guard_take(db *d, guard_kind kind, int64_t id);

/* ---- the last-admin rule (src/store/admins.c) ------------------------------------ */

/**
 * The last-admin rule of both realms, inside the caller's transaction: lock
 * the live admins (REALM_OPERATOR: operator admins; REALM_CUSTOMER: active
 * customer admins of customer_id) and answer OR_ERR_CONFLICT when id is one
 * of them and no other remains.  Call it before any write that removes id
 * from that set (suspend, demote, deactivate, delete).
 */
or_status store_admin_keep_one(db *d, session_realm realm, int64_t customer_id, int64_t id);

/** Someone a person of a customer can turn to: a customer admin's display name (else username) and email. */
typedef struct admin_contact {
	const char *name;
	const char *email;
	bool named;		/* the admin asked for by username (else one of the active admins) */
} admin_contact;

/**
 * Up to max active customer admins of customer_id to contact: the one with
 * username when it is one (e.g. the inviter), else the active admins in id
 * order.  *n = 0 when the customer has none.  Strings live in a.
 */
or_status store_admin_contacts(db *d, arena *a, int64_t customer_id, const char *username, size_t max,
			       admin_contact *out, size_t *n);

/* ---- customer-owned details ------------------------------------------------------ */

/** A contact of the customer. */
typedef struct contact {
	const char *name;
	const char *email;
	const char *phone;
} contact;

/** What a customer admin confirms on Account Setup (strings NULL when unset). */
typedef struct customer_details {
	const char *legal_name;
	const char *operating_name;
	contact support, billing, technical;
	const char *repository_notes;
	const char *ai_preferences;
	const char *ai_provider;	/* none, managed, own_account (never NULL after a load) */
	const char *workspace_preferences;
	const char *target_launch;	/* "YYYY-MM-DD" */
	int64_t version;		/* 0 before the first save */
	int64_t updated_at;
	int64_t updated_by;
} customer_details;

/** Load a customer's details; an empty struct with version 0 when never saved. */
or_status store_details_get(db *d, arena *a, int64_t customer_id, customer_details *out);
/** Load a customer and its details (as store_customer_get and store_details_get) in one statement. */
or_status store_customer_with_details(db *d, arena *a, int64_t customer_id, customer *c, customer_details *out);
/**
 * Replace the details when the stored version is still expected_version
 * (OR_ERR_VERSION otherwise: nothing changes).  The new version is
 * expected_version + 1.
 */
or_status store_details_save(db *d, int64_t customer_id, const customer_details *in, int64_t expected_version,
			     int64_t user_id);

/* ---- setup facts and SSO draft ---------------------------------------------------- */

/**
 * Gather what the checklist rules look at for one customer at now (blocker
 * texts in the arena) in one statement; with notes (ITEM_COUNT of them, or
 * NULL), the latest decided review of each kind too, customer-visible members
 * only, in the same statement.
 */
or_status store_checklist_facts(db *d, arena *a, int64_t customer_id, int64_t now, struct checklist_facts *out,
				struct review_note *notes);

/* ---- banner ----------------------------------------------------------------------- */

/** The console banner. */
typedef struct banner {
	const char *message;
	const char *severity;	/* info, warning, critical */
	int64_t starts_at;	/* 0 = no start */
	int64_t ends_at;	/* 0 = no end */
	const char *updated_by;
	int64_t updated_at;
} banner;

/** The banner if one is set (active or not): OR_ERR_NOT_FOUND when none. */
or_status store_banner_get(db *d, arena *a, banner *out);

#endif
