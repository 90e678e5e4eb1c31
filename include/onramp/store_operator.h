/*
 * The store functions only operator handlers, the operator side of the
 * handlers shared by both realms, onrampctl and the system programs call:
 * creating, renaming and listing customers, reads across customers
 * (store_*_any), deactivating users, the audit trail, operator accounts and
 * the banner's writes.  A customer handler never includes this header;
 * tests/check-headers.sh (in `make check`) keeps that true.
 */
#ifndef ONRAMP_STORE_OPERATOR_H
#define ONRAMP_STORE_OPERATOR_H

#include "onramp/store.h"

/* ---- customers -------------------------------------------------------------- */

/** Insert a customer; OR_ERR_CONFLICT when the slug is taken. */
or_status store_customer_create(db *d, const char *slug, const char *name, long seat_limit, int64_t *id);
/** Customers whose slug or name contains search (NULL = all), newest first, ids below before_id (0 = from the newest). */
or_status store_customer_list(db *d, arena *a, const char *search, int64_t before_id, long limit,
			      customer **out, size_t *n);
/** Rename and/or change the seat limit with compare-and-set on version (OR_ERR_VERSION when stale). */
or_status store_customer_update(db *d, int64_t id, const char *name, long seat_limit, int64_t expected_version);

/* ---- users ---------------------------------------------------------------------- */

/** Find a user by username or numeric id (CLI), any customer. */
or_status store_user_by_name_or_id(db *d, arena *a, const char *key, user *out);
/** store_user_list over every customer (operators, onrampctl). */
or_status store_user_list_any(db *d, arena *a, const filter *f, int64_t now, int64_t after_id, long limit,
			      user_page *out);
/** Deactivate a user of the customer (0 refused): no more sign-in; the row stays for the audit trail. */
or_status store_user_deactivate(db *d, int64_t customer_id, int64_t id);

/* ---- audit trail ------------------------------------------------------------------- */

/** Which audit entries to read; every member is optional (0 or NULL: any). */
typedef struct audit_filter {
	int64_t before_id;		/* a page: entries older than this id */
	const char *actor_type;		/* with actor_id: one principal ("user", "operator"...) */
	int64_t actor_id;
	const char *actor;		/* the actor's name as recorded (exact) */
	const char *action;		/* exact, or every action under a prefix that ends in '.' */
	const char *object_type;	/* with object_id or alone */
	const char *object_id;
	int64_t after;			/* at or after this time (UNIX seconds; 0: open) */
	int64_t before;			/* strictly before this time (0: open) */
} audit_filter;

/** One customer's entries (0 refused) matching f, newest first, with names resolved. */
or_status store_audit_list(db *d, arena *a, int64_t customer_id, const audit_filter *f, long limit,
			   audit_entry **out, size_t *n);
/** The same over every customer and the entries of none (operators). */
or_status store_audit_list_any(db *d, arena *a, const audit_filter *f, long limit, audit_entry **out, size_t *n);

/* ---- operators -------------------------------------------------------------------- */

/** Insert an operator; OR_ERR_CONFLICT with *which = "username" or "email". */
or_status store_operator_insert(db *d, const char *username, const char *email, const char *display_name,
				operator_role role, const char *phc, bool must_change, int64_t *id,
				const char **which);
/** Load an operator by id (deactivated ones too). */
or_status store_operator_get(db *d, arena *a, int64_t id, operator_account *out);
/**
 * Find a live operator session and its operator in one statement (the auth
 * step): sess as the session row, out as store_operator_get reads it;
 * OR_ERR_NOT_FOUND for unknown, expired or idle sessions.
 */
or_status store_operator_by_session(db *d, arena *a, const char *id_hash, int64_t now, int64_t idle_s,
				    session *sess, operator_account *out);
/** Load an operator (removed ones too: deactivated_at) by username or email, with password hash and sealed TOTP secret. */
or_status store_operator_by_login(db *d, arena *a, const char *login, operator_account *out,
				  const char **hash, const char **totp_sealed, int64_t *totp_last_step);
/** Every operator, active first then deactivated. */
or_status store_operator_list(db *d, arena *a, operator_account **out, size_t *n);
/** Deactivate an operator. */
or_status store_operator_deactivate(db *d, int64_t id);
/** Store (or clear with NULL) the pending TOTP secret during enrollment. */
or_status store_operator_set_totp_pending(db *d, int64_t id, const char *sealed);
/** The pending TOTP secret (arena), NULL when none. */
or_status store_operator_totp_pending(db *d, arena *a, int64_t id, const char **sealed);
/** Make the sealed secret active (NULL disables TOTP) and set the last used step. */
or_status store_operator_set_totp(db *d, int64_t id, const char *sealed, int64_t last_step);
/**
 * Take a TOTP step (replay protection): OR_OK when it is later than the last
 * one taken, OR_ERR_CONFLICT when it is not (a replay, or a racing sign-in
 * took it first).
 */
or_status store_operator_take_totp_step(db *d, int64_t id, int64_t step);
/** Set the password hash. */
or_status store_operator_set_password(db *d, int64_t id, const char *phc, bool must_change);
/** Record that the operator was seen now. */
or_status store_operator_touch(db *d, int64_t id, int64_t now);

/* ---- banner ----------------------------------------------------------------------- */

/** Set the banner. */
or_status store_banner_set(db *d, const banner *b);
/** Clear the banner. */
or_status store_banner_clear(db *d);

/* ---- sealed secrets, across customers (onrampctl secrets) -------------------------- */

/** One sealed secret as key rotation sees it (strings and blob in the arena). */
typedef struct sso_secret_row {
	int64_t customer_id;
	const char *slug, *purpose, *key_id;
	unsigned char *sealed;
	size_t n;
} sso_secret_row;
/** Every sealed secret of every customer; lock takes the rows FOR UPDATE (inside a transaction). */
or_status store_sso_secrets_any(db *d, arena *ar, bool lock, sso_secret_row **rows, size_t *n);
/** Replace one secret's blob and key id if it is still under old_key_id (else OR_ERR_CONFLICT). */
or_status store_sso_secret_reseal(db *d, arena *ar, int64_t customer_id, const char *purpose,
				  const char *old_key_id, const char *key_id, const unsigned char *sealed, size_t n);

#endif
