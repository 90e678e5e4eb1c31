/*
 * The operator context of a customer (billing, workspace target, provider
 * setup), internal notes and blockers.  Context saves are compare-and-set on
 * one version shared by the three operator forms, so a save made from a stale
 * page is refused instead of undoing another operator's change.
 */
#include <limits.h>
#include <string.h>

#include "onramp/setup_store_operator.h"
#include "onramp/store.h"

static const char SQL_CTX_GET[] =
	"SELECT billing_state, prepaid_balance_cents, target_name, runtime_capacity, template_aliases, coder_access, "
	"target_ready, target_review, provider_mode, provider_ready, provider_review, version, updated_at "
	"FROM customer_context WHERE customer_id = ?";

or_status
store_context_get(db *d, arena *a, int64_t customer_id, setup_context *out)
{
	db_stmt *s;
	bool found;
	or_status st = db_prepare(d, SQL_CTX_GET, &s);

	memset(out, 0, sizeof(*out));
	out->billing_state = "none";
	out->target_review = "none";
	out->provider_review = "none";
	if (st != OR_OK)
		return st;
	db_bind_int(s, 0, customer_id);
	st = db_query_one(s, &found);
	if (st == OR_OK && found) {
		out->billing_state = db_col_dup(s, 0, a);
		out->prepaid_balance_cents = db_col_int(s, 1, 0);
		out->target_name = db_col_dup(s, 2, a);
		out->runtime_capacity = db_col_dup(s, 3, a);
		out->template_aliases = db_col_dup(s, 4, a);
		out->coder_access = db_col_dup(s, 5, a);
		out->target_ready = db_col_int(s, 6, 0) != 0;
		out->target_review = db_col_dup(s, 7, a);
		out->provider_mode = db_col_dup(s, 8, a);
		out->provider_ready = db_col_int(s, 9, 0) != 0;
		out->provider_review = db_col_dup(s, 10, a);
		out->version = db_col_int(s, 11, 0);
		out->updated_at = db_col_time(s, 12);
		if (out->billing_state == NULL || out->target_review == NULL || out->provider_review == NULL)
			st = OR_ERR_NOMEM;
	}
	db_stmt_done(s);
	return st;
}

static const char SQL_CTX_ENSURE[] =
	"INSERT INTO customer_context (customer_id, version) VALUES (?, 0) "
	"ON DUPLICATE KEY UPDATE customer_id = customer_id";

/* Run a compare-and-set UPDATE after making sure the row exists. */
static or_status
cas(db *d, int64_t customer_id, const char *sql, const db_arg *args, size_t n)
{
	db_arg ensure[] = { DB_INT(customer_id) };
	unsigned long long changed = 0;
	or_status st = db_run(d, SQL_CTX_ENSURE, ensure, 1, NULL);

	if (st == OR_OK)
		st = db_run(d, sql, args, n, &changed);
	return st == OR_OK && changed == 0 ? OR_ERR_VERSION : st;
}

static const char SQL_SET_BILLING[] =
	"UPDATE customer_context SET billing_state = ?, prepaid_balance_cents = ?, version = version + 1, "
	"updated_at = CURRENT_TIMESTAMP(6) WHERE customer_id = ? AND version = ?";

or_status
store_context_set_billing(db *d, int64_t customer_id, const char *state, int64_t balance_cents,
			  int64_t expected_version)
{
	db_arg args[] = { DB_TEXT(state), DB_INT(balance_cents), DB_INT(customer_id), DB_INT(expected_version) };

	return cas(d, customer_id, SQL_SET_BILLING, args, 4);
}

static const char SQL_SET_TARGET[] =
	"UPDATE customer_context SET target_name = ?, runtime_capacity = ?, template_aliases = ?, coder_access = ?, "
	"target_ready = ?, version = version + 1, updated_at = CURRENT_TIMESTAMP(6) "
	"WHERE customer_id = ? AND version = ?";

or_status
store_context_set_target(db *d, int64_t customer_id, const setup_context *in, int64_t expected_version)
{
	db_arg args[] = {
		DB_TEXT(in->target_name), DB_TEXT(in->runtime_capacity), DB_TEXT(in->template_aliases),
		DB_TEXT(in->coder_access), DB_INT(in->target_ready ? 1 : 0), DB_INT(customer_id),
		DB_INT(expected_version)
	};

	return cas(d, customer_id, SQL_SET_TARGET, args, sizeof(args) / sizeof(args[0]));
}

static const char SQL_SET_PROVIDER[] =
	"UPDATE customer_context SET provider_mode = ?, provider_ready = ?, version = version + 1, "
	"updated_at = CURRENT_TIMESTAMP(6) WHERE customer_id = ? AND version = ?";

or_status
store_context_set_provider(db *d, int64_t customer_id, const char *mode, bool ready, int64_t expected_version)
{
	db_arg args[] = { DB_TEXT(mode), DB_INT(ready ? 1 : 0), DB_INT(customer_id), DB_INT(expected_version) };

	return cas(d, customer_id, SQL_SET_PROVIDER, args, 4);
}

/* ---- internal notes ---------------------------------------------------------------- */

static const char SQL_NOTES_GET[] =
	"SELECT body, version, updated_at, updated_by FROM internal_notes WHERE customer_id = ?";

or_status
store_notes_get(db *d, arena *a, int64_t customer_id, internal_note *out)
{
	db_stmt *s;
	bool found;
	or_status st = db_prepare(d, SQL_NOTES_GET, &s);

	memset(out, 0, sizeof(*out));
	if (st != OR_OK)
		return st;
	db_bind_int(s, 0, customer_id);
	st = db_query_one(s, &found);
	if (st == OR_OK && found) {
		out->body = db_col_dup(s, 0, a);
		out->version = db_col_int(s, 1, 0);
		out->updated_at = db_col_time(s, 2);
		out->updated_by = db_col_int(s, 3, 0);
	}
	db_stmt_done(s);
	return st;
}

static const char SQL_NOTES_INSERT[] =
	"INSERT INTO internal_notes (customer_id, body, version, updated_by) VALUES (?, ?, 1, ?)";
static const char SQL_NOTES_UPDATE[] =
	"UPDATE internal_notes SET body = ?, version = version + 1, updated_by = ?, updated_at = CURRENT_TIMESTAMP(6) "
	"WHERE customer_id = ? AND version = ?";

or_status
store_notes_put(db *d, int64_t customer_id, const char *body, int64_t expected_version, int64_t operator_id)
{
	unsigned long long n = 0;
	or_status st;

	if (expected_version == 0) {
		db_arg args[] = { DB_INT(customer_id), DB_TEXT(body), DB_INT(operator_id) };
		/* A row someone else created first makes version 0 stale. */
		st = db_run(d, SQL_NOTES_INSERT, args, 3, &n);
		return st == OR_ERR_CONFLICT ? OR_ERR_VERSION : st;
	} else {
		db_arg args[] = { DB_TEXT(body), DB_INT(operator_id), DB_INT(customer_id), DB_INT(expected_version) };
		st = db_run(d, SQL_NOTES_UPDATE, args, 4, &n);
	}
	return st == OR_OK && n == 0 ? OR_ERR_VERSION : st;
}

/* ---- blockers ------------------------------------------------------------------------ */

static const char SQL_BLOCKERS_LIST[] =
	"SELECT id, item, category, message, retryable, created_at FROM blockers "
	"WHERE customer_id = ? AND cleared_at IS NULL ORDER BY id LIMIT 32";

or_status
store_blockers_list(db *d, arena *a, int64_t customer_id, blocker_row **out, size_t *n)
{
	db_stmt *s;
	bool row;
	or_status st;

	*n = 0;
	if ((*out = arena_calloc(a, CHECKLIST_MAX_BLOCKERS, sizeof(blocker_row))) == NULL)
		return OR_ERR_NOMEM;
	if ((st = db_prepare(d, SQL_BLOCKERS_LIST, &s)) != OR_OK)
		return st;
	db_bind_int(s, 0, customer_id);
	st = db_execute(s);
	while (st == OR_OK && (st = db_fetch(s, &row)) == OR_OK && row && *n < CHECKLIST_MAX_BLOCKERS) {
		blocker_row *b = &(*out)[(*n)++];
		b->id = db_col_int(s, 0, 0);
		b->item = db_col_dup(s, 1, a);
		b->category = db_col_dup(s, 2, a);
		b->message = db_col_dup(s, 3, a);
		b->retryable = db_col_int(s, 4, 0) != 0;
		b->created_at = db_col_time(s, 5);
	}
	db_stmt_done(s);
	return st;
}

static const char SQL_BLOCKERS_CLEAR[] =
	"UPDATE blockers SET cleared_at = CURRENT_TIMESTAMP(6) WHERE customer_id = ? AND cleared_at IS NULL AND id < ?";
static const char SQL_BLOCKERS_ADD[] =
	"INSERT INTO blockers (customer_id, item, category, message, retryable, created_by) VALUES (?, ?, ?, ?, ?, ?)";

/*
 * The new set goes in first and the old one is cleared after (ids below the
 * first new one; the customer row lock keeps other writers out): clearing
 * first took a gap lock over the customer's range that the INSERTs then went
 * into, so two customers' replacements could deadlock.
 */
or_status
store_blockers_replace(db *d, int64_t customer_id, const blocker_row *in, size_t n, int64_t operator_id)
{
	long long first = LLONG_MAX;
	or_status st = OR_OK;
	size_t i;
	db_stmt *s;

	for (i = 0; st == OR_OK && i < n; i++) {
		if ((st = db_prepare(d, SQL_BLOCKERS_ADD, &s)) != OR_OK)
			break;
		db_bind_int(s, 0, customer_id);
		db_bind_cstr(s, 1, in[i].item);
		db_bind_cstr(s, 2, in[i].category);
		db_bind_cstr(s, 3, in[i].message);
		db_bind_int(s, 4, in[i].retryable ? 1 : 0);
		db_bind_int(s, 5, operator_id);
		if ((st = db_execute(s)) == OR_OK && i == 0)
			first = (long long)db_insert_id(s);
		db_stmt_done(s);
	}
	if (st == OR_OK) {
		db_arg clear[] = { DB_INT(customer_id), DB_INT(first) };
		st = db_run(d, SQL_BLOCKERS_CLEAR, clear, 2, NULL);
	}
	return st;
}
