/*
 * The details a customer owns (names, contacts, notes, preferences, launch
 * date).  Saves are compare-and-set on version in one UPDATE, so of two
 * concurrent saves from the same version exactly one wins and the other is
 * told, never silently overwritten.
 */
#include <string.h>

#include "onramp/store.h"

#define DETAIL_COLS \
	"legal_name, operating_name, support_name, support_email, support_phone, billing_name, billing_email, " \
	"billing_phone, technical_name, technical_email, technical_phone, repository_notes, ai_preferences, " \
	"workspace_preferences, DATE_FORMAT(target_launch, '%Y-%m-%d'), version, updated_at, updated_by, ai_provider"

static const char SQL_GET[] = "SELECT " DETAIL_COLS " FROM customer_details WHERE customer_id = ?";

static void
row_to_details(db_stmt *s, arena *a, customer_details *o)
{
	o->legal_name = db_col_dup(s, 0, a);
	o->operating_name = db_col_dup(s, 1, a);
	o->support.name = db_col_dup(s, 2, a);
	o->support.email = db_col_dup(s, 3, a);
	o->support.phone = db_col_dup(s, 4, a);
	o->billing.name = db_col_dup(s, 5, a);
	o->billing.email = db_col_dup(s, 6, a);
	o->billing.phone = db_col_dup(s, 7, a);
	o->technical.name = db_col_dup(s, 8, a);
	o->technical.email = db_col_dup(s, 9, a);
	o->technical.phone = db_col_dup(s, 10, a);
	o->repository_notes = db_col_dup(s, 11, a);
	o->ai_preferences = db_col_dup(s, 12, a);
	o->workspace_preferences = db_col_dup(s, 13, a);
	o->target_launch = db_col_dup(s, 14, a);
	o->version = db_col_int(s, 15, 0);
	o->updated_at = db_col_time(s, 16);
	o->updated_by = db_col_int(s, 17, 0);
	o->ai_provider = db_col_dup(s, 18, a);
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
		row_to_details(s, a, out);
	if (out->ai_provider == NULL)
		out->ai_provider = "none";
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
