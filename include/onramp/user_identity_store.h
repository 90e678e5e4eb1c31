/*
 * Users linked to an IdP identity (table user_identities, migration 013): one
 * (customer, issuer, subject) is one user.  The issuer is kept in full and
 * keyed by its SHA-256 hex, so any issuer URL fits the unique index.  Every
 * function takes the customer id and refuses 0.
 */
#ifndef ONRAMP_USER_IDENTITY_STORE_H
#define ONRAMP_USER_IDENTITY_STORE_H

#include <stdint.h>

#include "onramp/db.h"
#include "onramp/status.h"

/** The user linked to (customer, issuer, subject), its row locked for the transaction; OR_ERR_NOT_FOUND when none. */
or_status store_identity_find(db *d, int64_t customer_id, const char *issuer, const char *subject, int64_t *user_id);
/** Link (customer, issuer, subject) to user_id, used now; OR_ERR_CONFLICT when that identity is linked already. */
or_status store_identity_link(db *d, int64_t customer_id, int64_t user_id, const char *issuer, const char *subject,
			      int64_t now);
/** Record a sign-in with the identity at now. */
or_status store_identity_touch(db *d, int64_t customer_id, const char *issuer, const char *subject, int64_t now);

#endif
