/*
 * Stored answers of idempotent creates (sql/016 idempotency_keys): one row
 * per (realm, principal, key), written in the transaction of the change it
 * answers for (src/api/idempotency.c).  Strings in the caller's arena.
 */
#ifndef ONRAMP_IDEM_STORE_H
#define ONRAMP_IDEM_STORE_H

#include <stdint.h>
#include "onramp/arena.h"
#include "onramp/db.h"
#include "onramp/secret.h"

/** One stored answer. */
typedef struct idem_row {
	char request_hash[SECRET_HASH_HEX + 1];
	int status;
	const char *answer;	/* sealed (secret_seal text) */
	int64_t created_at;
} idem_row;

/** The row of key for the principal (realm is a session_realm); OR_ERR_NOT_FOUND when none. */
or_status store_idem_get(db *d, arena *a, int realm, int64_t principal_id, const char *key, idem_row *out);
/**
 * Inside the caller's transaction: drop the principal's row of key when it
 * was created before expired_before, then insert this answer.  OR_ERR_CONFLICT
 * when a live row holds the key (a concurrent request with it committed first;
 * the insert waited for it on the unique key).
 */
or_status store_idem_put(db *d, int realm, int64_t principal_id, const char *key, const idem_row *row,
			 int64_t expired_before);
/**
 * Delete rows created before `before` in batches of LIMIT_SWEEP_BATCH
 * (each its own short statement, outside any user transaction), at most
 * LIMIT_SWEEP_ROUNDS batches; *deleted (may be NULL) counts them.
 */
or_status store_idem_sweep(db *d, int64_t before, unsigned long long *deleted);

#endif
