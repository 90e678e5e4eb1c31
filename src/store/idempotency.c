/*
 * idempotency_keys (sql/016): the answers of idempotent creates.  The row is
 * written by the request's own transaction, so the change and its answer are
 * committed together or not at all.
 */
#include <string.h>

#include "onramp/idem_store.h"
#include "onramp/limits.h"
#include "onramp/str.h"

static const char SQL_GET[] =
	"SELECT request_hash, status, answer, created_at FROM idempotency_keys "
	"WHERE realm = ? AND principal_id = ? AND idem_key = ?";

or_status
store_idem_get(db *d, arena *a, int realm, int64_t principal_id, const char *key, idem_row *out)
{
	db_stmt *s;
	bool found = false;
	or_status st;

	memset(out, 0, sizeof(*out));
	if ((st = db_prepare(d, SQL_GET, &s)) != OR_OK)
		return st;
	db_bind_int(s, 0, realm);
	db_bind_int(s, 1, principal_id);
	db_bind_cstr(s, 2, key);
	if ((st = db_query_one(s, &found)) == OR_OK && !found)
		st = OR_ERR_NOT_FOUND;
	if (st == OR_OK) {
		or_str h = db_col(s, 0);

		if (h.ptr && h.len == SECRET_HASH_HEX)
			memcpy(out->request_hash, h.ptr, h.len);
		out->status = (int)db_col_int(s, 1, 0);
		out->answer = db_col_dup(s, 2, a);
		out->created_at = db_col_time(s, 3);
		if (out->answer == NULL)
			st = OR_ERR_INTERNAL;
	}
	db_stmt_done(s);
	return st;
}

static const char SQL_DROP_EXPIRED[] =
	"DELETE FROM idempotency_keys WHERE realm = ? AND principal_id = ? AND idem_key = ? "
	"AND created_at < FROM_UNIXTIME(?)";
static const char SQL_PUT[] =
	"INSERT INTO idempotency_keys (realm, principal_id, idem_key, request_hash, status, answer, created_at) "
	"VALUES (?, ?, ?, ?, ?, ?, FROM_UNIXTIME(?))";

or_status
store_idem_put(db *d, int realm, int64_t principal_id, const char *key, const idem_row *row, int64_t expired_before)
{
	db_arg drop[] = { DB_INT(realm), DB_INT(principal_id), DB_TEXT(key), DB_INT(expired_before) };
	db_arg put[] = { DB_INT(realm),	       DB_INT(principal_id), DB_TEXT(key),
			 DB_TEXT(row->request_hash), DB_INT(row->status),  DB_TEXT(row->answer),
			 DB_INT(row->created_at) };
	or_status st = db_run(d, SQL_DROP_EXPIRED, drop, 4, NULL);

	if (st == OR_OK)
		st = db_run(d, SQL_PUT, put, 7, NULL);
	return st;
}

static const char SQL_SWEEP[] = "DELETE FROM idempotency_keys WHERE created_at < FROM_UNIXTIME(?) LIMIT 1000";

or_status
store_idem_sweep(db *d, int64_t before, unsigned long long *deleted)
{
	db_arg args[] = { DB_INT(before) };

	_Static_assert(LIMIT_SWEEP_BATCH == 1000, "SQL_SWEEP's LIMIT is LIMIT_SWEEP_BATCH");
	return db_delete_batched(d, SQL_SWEEP, args, 1, LIMIT_SWEEP_BATCH, LIMIT_SWEEP_ROUNDS, deleted);
}
