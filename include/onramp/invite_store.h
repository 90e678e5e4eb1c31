/*
 * The store of invites: one row per invitation, its token only as SHA-256,
 * its delivery read from the outbox row of the latest mail.  Every function
 * that reads a customer's invites takes the customer id and refuses 0;
 * acceptance, which knows no customer yet, is keyed by the token.
 */
#ifndef ONRAMP_INVITE_STORE_H
#define ONRAMP_INVITE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "onramp/arena.h"
#include "onramp/db.h"
#include "onramp/status.h"

/** An invite as the members view and acceptance see it. */
typedef struct invite {
	int64_t id;
	int64_t customer_id;
	const char *customer_name;
	const char *email;
	const char *role;		/* customer_admin, customer_member */
	const char *kind;		/* member, admin_signup */
	const char *state;		/* pending, accepted, revoked, expired (as stored) */
	int64_t expires_at;
	int64_t created_at;
	const char *created_by;
	long sent_count;
	int64_t last_sent_at;
	const char *delivery;		/* NULL (never mailed), pending, sent, failed: the latest mail */
	const char *delivery_error;	/* the SMTP reason when failed or retrying */
	int64_t accepted_at;
	const char *accepted_by;	/* username */
	int64_t revoked_at;
	const char *revoked_by;
} invite;

/** What creating an invite needs. */
typedef struct invite_new {
	int64_t customer_id;
	const char *email;		/* normalised */
	const char *role;
	const char *kind;
	const char *token_hash;
	int64_t expires_at;
	const char *created_by;		/* "user:ann", "operator:olga", "cli:root" */
	int64_t created_at;
	int64_t outbox_id;		/* its mail, queued before the invite (sent at created_at); 0: none */
} invite_new;

/** Insert a pending invite; OR_ERR_CONFLICT when one is pending for the email. */
or_status store_invite_insert(db *d, const invite_new *in, int64_t *id);
/**
 * Insert in's invite; when the customer's pending invite for the same email
 * blocks it (one pending per email) and expired by now, mark that one expired
 * (by its id, locked) and insert again.  OR_ERR_CONFLICT while it is live.
 */
or_status store_invite_insert_replacing(db *d, const invite_new *in, int64_t now, int64_t *id);
/** Record the mail queued for an invite (sent count, last sent, outbox id). */
or_status store_invite_mailed(db *d, int64_t id, int64_t outbox_id, int64_t now);
/** Replace the token of a pending invite and extend it (resend). */
or_status store_invite_retoken(db *d, int64_t id, const char *token_hash, int64_t expires_at);
/** Load one invite of the customer (0 refused), locking it when lock. */
or_status store_invite_get(db *d, arena *a, int64_t customer_id, int64_t id, bool lock, invite *out);
/** Find and lock an invite by token hash (OR_ERR_NOT_FOUND when unknown). */
or_status store_invite_by_token(db *d, arena *a, const char *token_hash, invite *out);
/** The customer's newest pending, unexpired invite for email, locked (OR_ERR_NOT_FOUND when none). */
or_status store_invite_pending_for(db *d, arena *a, int64_t customer_id, const char *email, int64_t now, invite *out);
/** The customer's invites, newest first. */
or_status store_invite_list(db *d, arena *a, int64_t customer_id, long limit, invite **out, size_t *n);
/** Revoke a pending invite (OR_ERR_CONFLICT when not pending). */
or_status store_invite_revoke(db *d, int64_t id, const char *by);
/** Revoke every pending admin signup invite of the customer (a new link replaces them). */
or_status store_invite_revoke_signups(db *d, int64_t customer_id, const char *by);
/** Mark a pending invite accepted by user_id (OR_ERR_CONFLICT when not pending). */
or_status store_invite_accept(db *d, int64_t id, int64_t user_id);
/** Pending, unexpired member invites of the customer (the checklist's members item). */
or_status store_invite_pending_count(db *d, int64_t customer_id, int64_t now, long *n);

#endif
