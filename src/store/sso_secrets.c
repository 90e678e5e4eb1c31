/*
 * Sealed SSO secrets (table sso_secrets, migration 013): the store only ever
 * sees a sealed blob (src/domain/seal.c), never a secret.  The blob travels
 * as hex (UNHEX/HEX) so no connection character set can touch its bytes.
 * Reads across customers, for key rotation in onrampctl, are the *_any
 * functions declared in store_operator.h.
 */
#include <string.h>

#include "onramp/sso_store.h"
#include "onramp/store_operator.h"
#include "scope.h"

/* Lower-case hex of n bytes into the arena (NULL on exhaustion). */
static char *
to_hex(arena *a, const unsigned char *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	char *s = arena_alloc(a, 2 * n + 1);
	size_t i;

	if (s == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		s[2 * i] = hex[p[i] >> 4];
		s[2 * i + 1] = hex[p[i] & 15];
	}
	s[2 * n] = '\0';
	return s;
}

/* The bytes of a HEX() column into the arena. */
static or_status
from_hex(arena *a, or_str h, unsigned char **out, size_t *n)
{
	size_t i;

	*out = NULL;
	*n = 0;
	if (h.ptr == NULL || h.len % 2 != 0 || (*out = arena_alloc(a, h.len / 2 + 1)) == NULL)
		return h.ptr == NULL || h.len % 2 != 0 ? OR_ERR_INVALID : OR_ERR_NOMEM;
	for (i = 0; i < h.len / 2; i++) {
		int hi = str_hex_value(h.ptr[2 * i]), lo = str_hex_value(h.ptr[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return OR_ERR_INVALID;
		(*out)[i] = (unsigned char)(hi << 4 | lo);
	}
	*n = h.len / 2;
	return OR_OK;
}

static const char SQL_SET[] =
	"INSERT INTO sso_secrets (customer_id, purpose, key_id, sealed, set_at, set_by) "
	"VALUES (?, ?, ?, UNHEX(?), FROM_UNIXTIME(?), ?) "
	"ON DUPLICATE KEY UPDATE key_id = VALUES(key_id), sealed = VALUES(sealed), set_at = VALUES(set_at), "
	"set_by = VALUES(set_by)";

or_status
store_sso_secret_set(db *d, arena *a, int64_t customer_id, const char *purpose, const char *key_id,
		     const unsigned char *sealed, size_t n, int64_t now, const char *set_by)
{
	char *hex;

	if (scope_refused(__func__, customer_id))
		return OR_ERR_INTERNAL;
	if ((hex = to_hex(a, sealed, n)) == NULL)
		return OR_ERR_NOMEM;
	db_arg args[] = { DB_INT(customer_id), DB_TEXT(purpose), DB_TEXT(key_id), DB_TEXT(hex), DB_INT(now),
			  DB_TEXT(set_by) };
	return db_run(d, SQL_SET, args, sizeof(args) / sizeof(args[0]), NULL);
}

static const char SQL_DELETE[] = "DELETE FROM sso_secrets WHERE customer_id = ? AND purpose = ?";

or_status
store_sso_secret_delete(db *d, int64_t customer_id, const char *purpose, bool *removed)
{
	db_arg args[] = { DB_INT(customer_id), DB_TEXT(purpose) };
	unsigned long long n = 0;
	or_status st;

	*removed = false;
	if (scope_refused(__func__, customer_id))
		return OR_ERR_INTERNAL;
	/* Removing the secret undoes a precondition of activation: the same guard (store_sso_approved_lock). */
	if ((st = store_guard_take(d, GUARD_SSO_GOLIVE, customer_id)) != OR_OK)
		return st;
	st = db_run(d, SQL_DELETE, args, 2, &n);
	*removed = st == OR_OK && n > 0;
	return st;
}

static const char SQL_STATUS[] =
	"SELECT set_at, set_by FROM sso_secrets WHERE customer_id = ? AND purpose = '" SSO_SECRET_OIDC_CLIENT "'";

or_status
store_sso_secret_status(db *d, arena *ar, int64_t customer_id, bool *set, int64_t *set_at, const char **set_by)
{
	db_stmt *s;
	or_status st;

	*set = false;
	*set_at = 0;
	*set_by = NULL;
	if (scope_refused(__func__, customer_id))
		return OR_ERR_INTERNAL;
	if ((st = db_prepare(d, SQL_STATUS, &s)) != OR_OK)
		return st;
	db_bind_int(s, 0, customer_id);
	if ((st = db_query_one(s, set)) == OR_OK && *set) {
		*set_at = db_col_time(s, 0);
		*set_by = db_col_dup(s, 1, ar);
	}
	db_stmt_done(s);
	return st;
}

static const char SQL_LOAD[] = "SELECT HEX(sealed) FROM sso_secrets WHERE customer_id = ? AND purpose = ?";

or_status
store_sso_secret_load(db *d, arena *ar, int64_t customer_id, const char *purpose, unsigned char **sealed,
		      size_t *n)
{
	db_stmt *s;
	bool found = false;
	or_status st;

	*sealed = NULL;
	*n = 0;
	if (scope_refused(__func__, customer_id))
		return OR_ERR_INTERNAL;
	if ((st = db_prepare(d, SQL_LOAD, &s)) != OR_OK)
		return st;
	db_bind_int(s, 0, customer_id);
	db_bind_cstr(s, 1, purpose);
	if ((st = db_query_one(s, &found)) == OR_OK)
		st = found ? from_hex(ar, db_col(s, 0), sealed, n) : OR_ERR_NOT_FOUND;
	db_stmt_done(s);
	return st;
}

static const char SQL_ALL[] =
	"SELECT s.customer_id, c.slug, s.purpose, s.key_id, HEX(s.sealed) FROM sso_secrets s "
	"JOIN customers c ON c.id = s.customer_id ORDER BY s.customer_id, s.purpose";
static const char SQL_ALL_LOCKED[] =
	"SELECT s.customer_id, c.slug, s.purpose, s.key_id, HEX(s.sealed) FROM sso_secrets s "
	"JOIN customers c ON c.id = s.customer_id ORDER BY s.customer_id, s.purpose FOR UPDATE";

or_status
store_sso_secrets_any(db *d, arena *ar, bool lock, sso_secret_row **rows, size_t *n)
{
	db_stmt *s;
	size_t cap = 0;
	bool more = false;
	or_status st = db_prepare(d, lock ? SQL_ALL_LOCKED : SQL_ALL, &s);

	*rows = NULL;
	*n = 0;
	if (st != OR_OK || (st = db_execute(s)) != OR_OK)
		return st;
	while ((st = db_fetch(s, &more)) == OR_OK && more) {
		sso_secret_row *r;
		if (*n == cap) {
			sso_secret_row *grown = arena_calloc(ar, cap ? 2 * cap : 16, sizeof(*grown));
			if (grown == NULL) {
				st = OR_ERR_NOMEM;
				break;
			}
			if (*n)
				memcpy(grown, *rows, *n * sizeof(*grown));
			*rows = grown;
			cap = cap ? 2 * cap : 16;
		}
		r = &(*rows)[(*n)++];
		r->customer_id = db_col_int(s, 0, 0);
		r->slug = db_col_dup(s, 1, ar);
		r->purpose = db_col_dup(s, 2, ar);
		r->key_id = db_col_dup(s, 3, ar);
		if ((st = from_hex(ar, db_col(s, 4), &r->sealed, &r->n)) != OR_OK)
			break;
	}
	db_stmt_done(s);
	return st;
}

static const char SQL_RESEAL[] =
	"UPDATE sso_secrets SET key_id = ?, sealed = UNHEX(?) WHERE customer_id = ? AND purpose = ? AND key_id = ?";

or_status
store_sso_secret_reseal(db *d, arena *ar, int64_t customer_id, const char *purpose, const char *old_key_id,
			const char *key_id, const unsigned char *sealed, size_t n)
{
	unsigned long long changed = 0;
	char *hex;
	or_status st;

	if (scope_refused(__func__, customer_id))
		return OR_ERR_INTERNAL;
	if ((hex = to_hex(ar, sealed, n)) == NULL)
		return OR_ERR_NOMEM;
	db_arg args[] = { DB_TEXT(key_id), DB_TEXT(hex), DB_INT(customer_id), DB_TEXT(purpose), DB_TEXT(old_key_id) };
	st = db_run(d, SQL_RESEAL, args, sizeof(args) / sizeof(args[0]), &changed);
	return st == OR_OK && changed == 0 ? OR_ERR_CONFLICT : st;
}
