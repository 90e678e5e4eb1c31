/*
 * The console banner: one row (id 1) or none.  Its window may lie past 2038,
 * where MariaDB 10.11's FROM_UNIXTIME gives NULL, so times are stored with
 * DATE_ADD from the epoch (the connection runs in UTC).
 */
#include "onramp/store_operator.h"

static const char SQL_GET[] =
	"SELECT message, severity, starts_at, ends_at, updated_by, updated_at FROM banner WHERE id = 1";

or_status
store_banner_get(db *d, arena *a, banner *out)
{
	db_stmt *s;
	bool found;
	or_status st = db_prepare(d, SQL_GET, &s);

	if (st != OR_OK)
		return st;
	st = db_query_one(s, &found);
	if (st == OR_OK && !found)
		st = OR_ERR_NOT_FOUND;
	if (st == OR_OK) {
		out->message = db_col_dup(s, 0, a);
		out->severity = db_col_dup(s, 1, a);
		out->starts_at = db_col_time(s, 2);
		out->ends_at = db_col_time(s, 3);
		out->updated_by = db_col_dup(s, 4, a);
		out->updated_at = db_col_time(s, 5);
	}
	db_stmt_done(s);
	return st;
}

static const char SQL_SET[] =
	"REPLACE INTO banner (id, message, severity, starts_at, ends_at, updated_by, updated_at) "
	"VALUES (1, ?, ?, IF(? = 0, NULL, DATE_ADD('1970-01-01 00:00:00', INTERVAL ? SECOND)), "
	"IF(? = 0, NULL, DATE_ADD('1970-01-01 00:00:00', INTERVAL ? SECOND)), ?, "
	"CURRENT_TIMESTAMP(6))";

or_status
store_banner_set(db *d, const banner *b)
{
	db_stmt *s;
	or_status st = db_prepare(d, SQL_SET, &s);

	if (st != OR_OK)
		return st;
	db_bind_cstr(s, 0, b->message);
	db_bind_cstr(s, 1, b->severity);
	db_bind_int(s, 2, b->starts_at);
	db_bind_int(s, 3, b->starts_at);
	db_bind_int(s, 4, b->ends_at);
	db_bind_int(s, 5, b->ends_at);
	db_bind_cstr(s, 6, b->updated_by);
	st = db_execute(s);
	db_stmt_done(s);
	return st;
}

static const char SQL_CLEAR[] = "DELETE FROM banner WHERE id = 1";

or_status
store_banner_clear(db *d)
{
	return db_exec_simple(d, SQL_CLEAR);
}
