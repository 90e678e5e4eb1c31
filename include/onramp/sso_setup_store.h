/*
 * IT-admin setup links (issue 13): a customer admin mails a link to the
 * person who runs the identity provider; its holder, without an account, gets
 * a session of its own realm (REALM_SSO_SETUP, principal = the link) that
 * reaches only that customer's SSO endpoints.  Tokens are kept as SHA-256
 * hashes; every check of a link (revoked, expired, used up) is made in the
 * statement that uses it, so a revocation or the expiry ends access at once.
 */
#ifndef ONRAMP_SSO_SETUP_STORE_H
#define ONRAMP_SSO_SETUP_STORE_H

#include <stdint.h>
#include "onramp/arena.h"
#include "onramp/db.h"
#include "onramp/status.h"
#include "onramp/store.h"

/** A setup link as stored (never its token). */
typedef struct sso_setup_link {
	int64_t id;
	int64_t customer_id;
	const char *email;
	const char *created_by;		/* the creating user's username, NULL when gone */
	int64_t created_at;
	int64_t expires_at;
	int64_t revoked_at;		/* 0 = not revoked */
	const char *revoked_by;		/* username, NULL when not revoked or gone */
	long sessions_started;
	int64_t last_used_at;		/* 0 = never redeemed */
} sso_setup_link;

/** What creating a link needs. */
typedef struct sso_setup_link_new {
	int64_t customer_id;
	const char *email;		/* normalised */
	const char *token_hash;		/* SHA-256 hex of the mailed token */
	int64_t created_by;		/* user id */
	int64_t now;
	int64_t expires_at;
} sso_setup_link_new;

/** Insert a link; *id names it. */
or_status store_sso_setup_link_insert(db *d, const sso_setup_link_new *in, int64_t *id);
/** Links the customer (0 refused) created since since: *n and the oldest one's time (the hourly limit). */
or_status store_sso_setup_links_since(db *d, int64_t customer_id, int64_t since, long *n, int64_t *oldest);
/** One link of the customer (0 refused); OR_ERR_NOT_FOUND outside it. */
or_status store_sso_setup_link_get(db *d, arena *a, int64_t customer_id, int64_t id, sso_setup_link *out);
/** The customer's links (0 refused), newest first, at most max. */
or_status store_sso_setup_link_list(db *d, arena *a, int64_t customer_id, long max, sso_setup_link **out,
				    size_t *n);
/**
 * Revoke a link of the customer (0 refused) with a conditional UPDATE:
 * OR_ERR_CONFLICT when it was revoked already, OR_ERR_NOT_FOUND outside the customer.
 */
or_status store_sso_setup_link_revoke(db *d, int64_t customer_id, int64_t id, int64_t by, int64_t now);
/**
 * Redeem a token (inside the caller's transaction): one conditional UPDATE
 * counts a session only while the link is not revoked, not expired at now
 * and has started fewer than max_sessions; then *out is the link.
 * OR_ERR_NOT_FOUND for an unknown, revoked, expired or used-up token alike.
 */
or_status store_sso_setup_link_redeem(db *d, arena *a, const char *token_hash, int64_t now, long max_sessions,
				      sso_setup_link *out);
/**
 * The live setup-link session with this hash and its link, in one lookup:
 * OR_ERR_NOT_FOUND unless the session is live (absolute expiry, idle_s) and
 * its link is neither revoked nor expired at now.
 */
or_status store_sso_setup_session_find(db *d, arena *a, const char *id_hash, int64_t now, int64_t idle_s,
				       session *sess, sso_setup_link *link);

#endif
