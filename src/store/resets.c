/*
 * The forgot-password queue (migration 012).  The request path only adds a
 * row, whatever the address, so known and unknown addresses cost the same;
 * onramp-mailer lists rows, claims each by deleting it inside the transaction
 * that decides it (a conditional write, so two mailers never both decide one
 * request), and a rollback puts the row back.
 */
#include <string.h>

#include "onramp/store.h"

static const char SQL_REQUEST_ADD[] =
	"INSERT INTO reset_requests (email, requested_at, client_addr, request_id) VALUES (?, FROM_UNIXTIME(?), ?, ?)";

or_status
store_reset_request_add(db *d, const char *email, int64_t now, const char *client_addr, const char *request_id)
{
	db_arg args[] = { DB_TEXT(email), DB_INT(now), DB_TEXT(client_addr ? client_addr : ""),
			  DB_TEXT(request_id ? request_id : "") };

	return db_run(d, SQL_REQUEST_ADD, args, 4, NULL);
}

static const char SQL_REQUEST_LIST[] =
	"SELECT id, email, requested_at, client_addr, request_id FROM reset_requests ORDER BY id LIMIT ?";

or_status
store_reset_request_list(db *d, arena *a, long max, reset_request **out, size_t *n)
{
	db_stmt *s;
	bool row;
	or_status st;

	*n = 0;
	*out = arena_calloc(a, (size_t)max + 1, sizeof(reset_request));
	if (*out == NULL)
		return OR_ERR_NOMEM;
	if ((st = db_prepare(d, SQL_REQUEST_LIST, &s)) != OR_OK)
		return st;
	db_bind_int(s, 0, max);
	st = db_execute(s);
	while (st == OR_OK && (st = db_fetch(s, &row)) == OR_OK && row && *n < (size_t)max) {
		reset_request *r = &(*out)[(*n)++];
		r->id = db_col_int(s, 0, 0);
		r->email = db_col_dup(s, 1, a);
		r->requested_at = db_col_time(s, 2);
		r->client_addr = db_col_dup(s, 3, a);
		r->request_id = db_col_dup(s, 4, a);
	}
	db_stmt_done(s);
	return st;
}

static const char SQL_REQUEST_TAKE[] = "DELETE FROM reset_requests WHERE id = ?";

or_status
store_reset_request_take(db *d, int64_t id)
{
	db_arg args[] = { DB_INT(id) };
	unsigned long long n = 0;
	or_status st = db_run(d, SQL_REQUEST_TAKE, args, 1, &n);

	return st == OR_OK && n != 1 ? OR_ERR_NOT_FOUND : st;
}
