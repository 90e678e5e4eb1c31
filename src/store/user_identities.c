/*
 * Linked IdP identities (include/onramp/user_identity_store.h).  The lookup
 * locks the identity row, so two first sign-ins of one identity serialise on
 * it and the unique index refuses the second link.
 */
#include <string.h>

#include "onramp/secret.h"
#include "onramp/user_identity_store.h"
#include "scope.h"

static const char SQL_FIND[] =
	"SELECT user_id FROM user_identities WHERE customer_id = ? AND issuer_hash = ? AND subject = ? FOR UPDATE";

or_status
store_identity_find(db *d, int64_t customer_id, const char *issuer, const char *subject, int64_t *user_id)
{
	char hash[SECRET_HASH_HEX + 1];
	long long id = 0;
	or_status st;

	if (scope_refused(__func__, customer_id))
		return OR_ERR_INTERNAL;
	secret_sha256_hex(issuer, strlen(issuer), hash);
	const char *hashp = hash;
	db_arg args[] = { DB_INT(customer_id), DB_TEXT(hashp), DB_TEXT(subject) };
	st = db_scalar(d, SQL_FIND, args, 3, 0, &id);
	if (st == OR_OK && id == 0)
		st = OR_ERR_NOT_FOUND;
	*user_id = (int64_t)id;
	return st;
}

static const char SQL_LINK[] =
	"INSERT INTO user_identities (customer_id, user_id, issuer, issuer_hash, subject, created_at, last_used_at) "
	"VALUES (?, ?, ?, ?, ?, FROM_UNIXTIME(?), FROM_UNIXTIME(?))";

or_status
store_identity_link(db *d, int64_t customer_id, int64_t user_id, const char *issuer, const char *subject, int64_t now)
{
	char hash[SECRET_HASH_HEX + 1];

	if (scope_refused(__func__, customer_id))
		return OR_ERR_INTERNAL;
	secret_sha256_hex(issuer, strlen(issuer), hash);
	const char *hashp = hash;
	db_arg args[] = { DB_INT(customer_id), DB_INT(user_id), DB_TEXT(issuer), DB_TEXT(hashp), DB_TEXT(subject),
			  DB_INT(now), DB_INT(now) };
	return db_run(d, SQL_LINK, args, 7, NULL);
}

static const char SQL_TOUCH[] =
	"UPDATE user_identities SET last_used_at = FROM_UNIXTIME(?) "
	"WHERE customer_id = ? AND issuer_hash = ? AND subject = ?";

or_status
store_identity_touch(db *d, int64_t customer_id, const char *issuer, const char *subject, int64_t now)
{
	char hash[SECRET_HASH_HEX + 1];

	if (scope_refused(__func__, customer_id))
		return OR_ERR_INTERNAL;
	secret_sha256_hex(issuer, strlen(issuer), hash);
	const char *hashp = hash;
	db_arg args[] = { DB_INT(now), DB_INT(customer_id), DB_TEXT(hashp), DB_TEXT(subject) };
	return db_run(d, SQL_TOUCH, args, 4, NULL);
}
