/*
 * Facts for the onboarding checklist, gathered from the customer-owned
 * details, the users, the SSO draft, the operator context and the active
 * blockers.  Only states and customer-visible blocker messages leave here:
 * operator context values and internal notes are never read by this file.
 */
#include <string.h>

#include "onramp/checklist.h"
#include "onramp/store.h"

static review_state
review_from(or_str v)
{
	if (str_eq_c(v, "draft")) return REVIEW_DRAFT;
	if (str_eq_c(v, "pending")) return REVIEW_PENDING;
	if (str_eq_c(v, "approved")) return REVIEW_APPROVED;
	if (str_eq_c(v, "changes_requested")) return REVIEW_CHANGES_REQUESTED;
	if (str_eq_c(v, "rejected")) return REVIEW_REJECTED;
	return REVIEW_NONE;
}

static const char SQL_DETAILS[] =
	"SELECT version > 0, legal_name IS NOT NULL AND support_name IS NOT NULL AND support_email IS NOT NULL "
	"AND billing_name IS NOT NULL AND billing_email IS NOT NULL AND technical_name IS NOT NULL "
	"AND technical_email IS NOT NULL, ai_provider <> 'none' FROM customer_details WHERE customer_id = ?";
static const char SQL_USERS[] =
	"SELECT COALESCE(SUM(role = 'customer_admin' AND status = 'active'), 0), "
	"COALESCE(SUM(role = 'customer_admin' AND status = 'active' AND last_seen_at IS NOT NULL), 0), "
	"COUNT(*) FROM users WHERE customer_id = ? AND deactivated_at IS NULL";
static const char SQL_SSO[] = "SELECT protocol, review FROM sso_settings WHERE customer_id = ?";
static const char SQL_CONTEXT[] =
	"SELECT billing_state, prepaid_balance_cents, target_review, target_ready, provider_review "
	"FROM customer_context WHERE customer_id = ?";
static const char SQL_BLOCKERS[] =
	"SELECT item, category, message, retryable FROM blockers WHERE customer_id = ? AND cleared_at IS NULL "
	"ORDER BY id LIMIT 32";

static or_status
one_row(db *d, const char *sql, int64_t customer_id, db_stmt **s, bool *found)
{
	or_status st = db_prepare(d, sql, s);

	if (st != OR_OK)
		return st;
	db_bind_int(*s, 0, customer_id);
	return db_query_one(*s, found);
}

static or_status
details_and_users(db *d, int64_t cid, checklist_facts *f)
{
	db_stmt *s;
	bool found;
	or_status st = one_row(d, SQL_DETAILS, cid, &s, &found);

	if (st == OR_OK && found) {
		f->details_saved = db_col_int(s, 0, 0) != 0;
		f->contacts_complete = db_col_int(s, 1, 0) != 0;
		f->provider_required = db_col_int(s, 2, 0) != 0;
	}
	db_stmt_done(s);
	if (st != OR_OK)
		return st;
	st = one_row(d, SQL_USERS, cid, &s, &found);
	if (st == OR_OK && found) {
		long all = (long)db_col_int(s, 2, 0);
		f->admins_can_sign_in = (long)db_col_int(s, 0, 0);
		f->admins_signed_in = (long)db_col_int(s, 1, 0);
		/* Everyone beyond the first admin counts as the first members. */
		f->members = all > 1 ? all - 1 : 0;
	}
	db_stmt_done(s);
	return st;
}

static or_status
sso_and_context(db *d, int64_t cid, checklist_facts *f)
{
	db_stmt *s;
	bool found;
	or_status st = one_row(d, SQL_SSO, cid, &s, &found);
	billing_state b;

	if (st == OR_OK && found) {
		f->sso_not_required = str_eq_c(db_col(s, 0), "not_required");
		f->sso = review_from(db_col(s, 1));
	}
	db_stmt_done(s);
	if (st != OR_OK)
		return st;
	st = one_row(d, SQL_CONTEXT, cid, &s, &found);
	if (st == OR_OK && found) {
		or_str v = db_col(s, 0);
		char name[32];
		if (v.ptr && v.len < sizeof(name)) {
			memcpy(name, v.ptr, v.len);
			name[v.len] = '\0';
			if (checklist_billing_parse(name, &b))
				f->billing = b;
		}
		f->prepaid_balance_cents = db_col_int(s, 1, 0);
		f->workspace_target = review_from(db_col(s, 2));
		f->target_ready = db_col_int(s, 3, 0) != 0;
		f->provider = review_from(db_col(s, 4));
	}
	db_stmt_done(s);
	return st;
}

static or_status
blockers(db *d, arena *a, int64_t cid, checklist_facts *f)
{
	db_stmt *s;
	bool row;
	or_status st = db_prepare(d, SQL_BLOCKERS, &s);

	if (st != OR_OK)
		return st;
	db_bind_int(s, 0, cid);
	st = db_execute(s);
	while (st == OR_OK && (st = db_fetch(s, &row)) == OR_OK && row && f->nblockers < CHECKLIST_MAX_BLOCKERS) {
		checklist_blocker *b = &f->blockers[f->nblockers];
		char *item = db_col_dup(s, 0, a), *cat = db_col_dup(s, 1, a);
		if (item == NULL || cat == NULL || !checklist_item_parse(item, &b->item) ||
		    !checklist_category_parse(cat, &b->category))
			continue;
		b->message = db_col_dup(s, 2, a);
		b->retryable = db_col_int(s, 3, 0) != 0;
		f->nblockers++;
	}
	db_stmt_done(s);
	return st;
}

or_status
store_checklist_facts(db *d, arena *a, int64_t customer_id, checklist_facts *out)
{
	or_status st;

	memset(out, 0, sizeof(*out));
	if ((st = details_and_users(d, customer_id, out)) == OR_OK && (st = sso_and_context(d, customer_id, out)) == OR_OK)
		st = blockers(d, a, customer_id, out);
	return st;
}

static const char SQL_SSO_GET[] =
	"SELECT protocol, review, version, updated_at FROM sso_settings WHERE customer_id = ?";

or_status
store_sso_get(db *d, arena *a, int64_t customer_id, sso_head *out)
{
	db_stmt *s;
	bool found;
	or_status st = one_row(d, SQL_SSO_GET, customer_id, &s, &found);

	memset(out, 0, sizeof(*out));
	out->review = "none";
	if (st == OR_OK && found) {
		out->protocol = db_col_dup(s, 0, a);
		out->review = db_col_dup(s, 1, a);
		out->version = db_col_int(s, 2, 0);
		out->updated_at = db_col_time(s, 3);
	}
	db_stmt_done(s);
	return st;
}

static const char SQL_SSO_ENSURE[] =
	"INSERT INTO sso_settings (customer_id, version) VALUES (?, 0) ON DUPLICATE KEY UPDATE customer_id = customer_id";
static const char SQL_SSO_SET[] =
	"UPDATE sso_settings SET protocol = ?, review = IF(? = 'not_required', 'none', 'draft'), "
	"version = version + 1, updated_at = CURRENT_TIMESTAMP(6) WHERE customer_id = ? AND version = ?";

or_status
store_sso_set_protocol(db *d, int64_t customer_id, const char *protocol, int64_t expected_version)
{
	db_arg ensure[] = { DB_INT(customer_id) };
	db_arg args[] = { DB_TEXT(protocol), DB_TEXT(protocol), DB_INT(customer_id), DB_INT(expected_version) };
	unsigned long long n = 0;
	or_status st = db_run(d, SQL_SSO_ENSURE, ensure, 1, NULL);

	if (st == OR_OK)
		st = db_run(d, SQL_SSO_SET, args, 4, &n);
	return st == OR_OK && n == 0 ? OR_ERR_VERSION : st;
}
