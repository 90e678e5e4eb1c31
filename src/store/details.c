/*
 * The details a customer owns (names, contacts, notes, preferences, launch
 * date).  Saves are compare-and-set on version in one UPDATE, so of two
 * concurrent saves from the same version exactly one wins and the other is
 * told, never silently overwritten.
 */
#include <string.h>

#include "details_row.h"

static const char SQL_GET[] = "SELECT " DETAIL_COLS " FROM customer_details d WHERE customer_id = ?";

void
store_details_read(db_stmt *s, unsigned col, arena *a, customer_details *o)
{
	memset(o, 0, sizeof(*o));
	o->legal_name = db_col_dup(s, col, a);
	o->operating_name = db_col_dup(s, col + 1, a);
	o->support.name = db_col_dup(s, col + 2, a);
	o->support.email = db_col_dup(s, col + 3, a);
	o->support.phone = db_col_dup(s, col + 4, a);
	o->billing.name = db_col_dup(s, col + 5, a);
	o->billing.email = db_col_dup(s, col + 6, a);
	o->billing.phone = db_col_dup(s, col + 7, a);
	o->technical.name = db_col_dup(s, col + 8, a);
	o->technical.email = db_col_dup(s, col + 9, a);
	o->technical.phone = db_col_dup(s, col + 10, a);
	o->repository_notes = db_col_dup(s, col + 11, a);
	o->ai_preferences = db_col_dup(s, col + 12, a);
	o->workspace_preferences = db_col_dup(s, col + 13, a);
	o->target_launch = db_col_dup(s, col + 14, a);
	o->version = db_col_int(s, col + 15, 0);
	o->updated_at = db_col_time(s, col + 16);
	o->updated_by = db_col_int(s, col + 17, 0);
	o->ai_provider = db_col_dup(s, col + 18, a);
	/* Never saved (no row, or a LEFT JOIN's NULLs): no provider wanted. */
	if (o->ai_provider == NULL)
		o->ai_provider = "none";
}

or_status
store_details_get(db *d, arena *a, int64_t customer_id, customer_details *out)
{
	db_stmt *s;
	bool found;
	or_status st = db_prepare(d, SQL_GET, &s);

	memset(out, 0, sizeof(*out));
	out->ai_provider = "none";
	if (st != OR_OK)
		return st;
	db_bind_int(s, 0, customer_id);
	st = db_query_one(s, &found);
	if (st == OR_OK && found)
		store_details_read(s, 0, a, out);
	db_stmt_done(s);
	return st;
}

static const char SQL_ENSURE[] =
	"INSERT INTO customer_details (customer_id, version) VALUES (?, 0) "
	"ON DUPLICATE KEY UPDATE customer_id = customer_id";
static const char SQL_SAVE[] =
	"UPDATE customer_details SET legal_name = ?, operating_name = ?, support_name = ?, support_email = ?, "
	"support_phone = ?, billing_name = ?, billing_email = ?, billing_phone = ?, technical_name = ?, "
	"technical_email = ?, technical_phone = ?, repository_notes = ?, ai_preferences = ?, "
	"workspace_preferences = ?, target_launch = ?, ai_provider = ?, version = version + 1, updated_at = CURRENT_TIMESTAMP(6), "
	"updated_by = ? WHERE customer_id = ? AND version = ?";

or_status
store_details_save(db *d, int64_t customer_id, const customer_details *in, int64_t expected_version, int64_t user_id)
{
	db_arg ensure[] = { DB_INT(customer_id) };
	db_arg args[] = {
		DB_TEXT(in->legal_name), DB_TEXT(in->operating_name),
		DB_TEXT(in->support.name), DB_TEXT(in->support.email), DB_TEXT(in->support.phone),
		DB_TEXT(in->billing.name), DB_TEXT(in->billing.email), DB_TEXT(in->billing.phone),
		DB_TEXT(in->technical.name), DB_TEXT(in->technical.email), DB_TEXT(in->technical.phone),
		DB_TEXT(in->repository_notes), DB_TEXT(in->ai_preferences), DB_TEXT(in->workspace_preferences),
		DB_TEXT(in->target_launch), DB_TEXT(in->ai_provider ? in->ai_provider : "none"), DB_INT(user_id), DB_INT(customer_id), DB_INT(expected_version)
	};
	unsigned long long n = 0;
	or_status st = db_run(d, SQL_ENSURE, ensure, 1, NULL);

	if (st == OR_OK)
		st = db_run(d, SQL_SAVE, args, sizeof(args) / sizeof(args[0]), &n);
	if (st == OR_OK && n == 0)
		st = OR_ERR_VERSION;
	return st;
}
