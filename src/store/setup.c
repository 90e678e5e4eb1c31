/*
 * Facts for the onboarding checklist, gathered from the customer-owned
 * details, the users, the SSO draft, the operator context and the active
 * blockers.  Only states and customer-visible blocker messages leave here:
 * operator context values and internal notes are never read by this file.
 */
#include <string.h>

#include "onramp/checklist.h"
#include "onramp/setup_store_operator.h"
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

/*
 * Each query covers a range of customer ids and returns one row per customer
 * (blockers: one per blocker), so the dashboard gathers a page of customers
 * in five round trips and a single customer costs the same five.
 */
static const char SQL_DETAILS[] =
	"SELECT customer_id, version > 0, ai_provider <> 'none', legal_name IS NOT NULL, "
	"support_name IS NOT NULL, support_email IS NOT NULL, billing_name IS NOT NULL, billing_email IS NOT NULL, "
	"technical_name IS NOT NULL, technical_email IS NOT NULL "
	"FROM customer_details WHERE customer_id BETWEEN ? AND ?";
/* The seat holders ride along in the same index-only pass over users_customer (sql/009). */
static const char SQL_USERS[] =
	"SELECT customer_id, COALESCE(SUM(role = 'customer_admin' AND status = 'active'), 0), "
	"COALESCE(SUM(role = 'customer_admin' AND status = 'active' AND last_seen_at IS NOT NULL), 0), "
	"COUNT(*), COALESCE(SUM(" STORE_SQL_SEAT_HOLDER "), 0) "
	"FROM users WHERE customer_id BETWEEN ? AND ? AND deactivated_at IS NULL GROUP BY customer_id";
static const char SQL_LIMITS[] = "SELECT id, seat_limit FROM customers WHERE id BETWEEN ? AND ?";
static const char SQL_SSO[] =
	"SELECT s.customer_id, s.protocol, s.review, s.cert_not_after, s.approved_version IS NOT NULL, l.activated_at "
	"FROM sso_settings s LEFT JOIN sso_live l ON l.customer_id = s.customer_id "
	"WHERE s.customer_id BETWEEN ? AND ?";
static const char SQL_CONTEXT[] =
	"SELECT customer_id, billing_state, prepaid_balance_cents, target_review, target_ready, provider_review, "
	"provider_ready FROM customer_context WHERE customer_id BETWEEN ? AND ?";
static const char SQL_INVITES[] =
	"SELECT customer_id, COUNT(*) FROM invites WHERE customer_id BETWEEN ? AND ? AND state = 'pending' "
	"AND kind = 'member' AND expires_at > NOW(6) GROUP BY customer_id";
static const char SQL_BLOCKERS[] =
	"SELECT customer_id, item, category, message, retryable FROM blockers "
	"WHERE customer_id BETWEEN ? AND ? AND cleared_at IS NULL ORDER BY customer_id, id";

typedef void (*row_fn)(db_stmt *s, arena *a, checklist_facts *f);

/* The store reads which details are set; whether that completes the contacts is the domain's rule. */
static void
details_row(db_stmt *s, arena *a, checklist_facts *f)
{
	checklist_contacts c = {
		db_col_int(s, 3, 0) != 0, db_col_int(s, 4, 0) != 0, db_col_int(s, 5, 0) != 0,
		db_col_int(s, 6, 0) != 0, db_col_int(s, 7, 0) != 0, db_col_int(s, 8, 0) != 0,
		db_col_int(s, 9, 0) != 0,
	};

	(void)a;
	f->details_saved = db_col_int(s, 1, 0) != 0;
	f->provider_required = db_col_int(s, 2, 0) != 0;
	f->contacts_complete = checklist_contacts_complete(&c);
}

static void
users_row(db_stmt *s, arena *a, checklist_facts *f)
{
	long all = (long)db_col_int(s, 3, 0);

	(void)a;
	f->admins_can_sign_in = (long)db_col_int(s, 1, 0);
	f->admins_signed_in = (long)db_col_int(s, 2, 0);
	/* Everyone beyond the first admin counts as the first members. */
	f->members = all > 1 ? all - 1 : 0;
	f->seats_used = (long)db_col_int(s, 4, 0);
}

static void
limits_row(db_stmt *s, arena *a, checklist_facts *f)
{
	(void)a;
	f->seat_limit = (long)db_col_int(s, 1, 0);
}

static void
invites_row(db_stmt *s, arena *a, checklist_facts *f)
{
	(void)a;
	f->invites_pending = (long)db_col_int(s, 1, 0);
}

static void
sso_row(db_stmt *s, arena *a, checklist_facts *f)
{
	(void)a;
	f->sso_not_required = str_eq_c(db_col(s, 1), "not_required");
	f->sso = review_from(db_col(s, 2));
	/* DATETIME text, not UNIX_TIMESTAMP(): that stops at 2038 in MariaDB 10.11. */
	f->sso_cert_not_after = db_col_time(s, 3);
	f->sso_approved = db_col_int(s, 4, 0) != 0;
	f->sso_live_since = db_col_time(s, 5);
}

static void
context_row(db_stmt *s, arena *a, checklist_facts *f)
{
	or_str v = db_col(s, 1);
	char name[32];
	billing_state b;

	(void)a;
	if (v.ptr && v.len < sizeof(name)) {
		memcpy(name, v.ptr, v.len);
		name[v.len] = '\0';
		if (checklist_billing_parse(name, &b))
			f->billing = b;
	}
	f->prepaid_balance_cents = db_col_int(s, 2, 0);
	f->workspace_target = review_from(db_col(s, 3));
	f->target_ready = db_col_int(s, 4, 0) != 0;
	f->provider = review_from(db_col(s, 5));
	f->provider_ready = db_col_int(s, 6, 0) != 0;
}

static void
blocker_row_fn(db_stmt *s, arena *a, checklist_facts *f)
{
	checklist_blocker *b;
	char *item, *cat;

	if (f->nblockers >= CHECKLIST_MAX_BLOCKERS)
		return;
	b = &f->blockers[f->nblockers];
	item = db_col_dup(s, 1, a);
	cat = db_col_dup(s, 2, a);
	if (item == NULL || cat == NULL || !checklist_item_parse(item, &b->item) ||
	    !checklist_category_parse(cat, &b->category))
		return;
	b->message = db_col_dup(s, 3, a);
	b->retryable = db_col_int(s, 4, 0) != 0;
	f->nblockers++;
}

/* Position of id in the ascending ids, or -1. */
static long
find_id(const int64_t *ids, size_t n, int64_t id)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ids[mid] == id)
			return (long)mid;
		if (ids[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/* Run one range query; the seat holders' cut-off (since) is bound first when the SQL counts them. */
static or_status
gather(db *d, arena *a, const char *sql, const int64_t *ids, size_t n, const char *since, checklist_facts *out, row_fn fn)
{
	db_stmt *s;
	bool row;
	unsigned i = 0;
	or_status st = db_prepare(d, sql, &s);

	if (st != OR_OK)
		return st;
	if (sql == SQL_USERS)
		db_bind_cstr(s, i++, since);
	db_bind_int(s, i++, ids[0]);
	db_bind_int(s, i, ids[n - 1]);
	st = db_execute(s);
	while (st == OR_OK && (st = db_fetch(s, &row)) == OR_OK && row) {
		long at = find_id(ids, n, db_col_int(s, 0, 0));
		if (at >= 0)
			fn(s, a, &out[at]);
	}
	db_stmt_done(s);
	return st;
}

or_status
store_checklist_facts_many(db *d, arena *a, const int64_t *ids, size_t n, int64_t now, checklist_facts *out)
{
	static const struct { const char *sql; row_fn fn; } steps[] = {
		{ SQL_DETAILS, details_row }, { SQL_USERS, users_row }, { SQL_INVITES, invites_row }, { SQL_SSO, sso_row },
		{ SQL_CONTEXT, context_row }, { SQL_BLOCKERS, blocker_row_fn }, { SQL_LIMITS, limits_row },
	};
	char since[TIMEFMT_RFC3339_LEN];
	or_status st = OR_OK;
	size_t i;

	memset(out, 0, n * sizeof(*out));
	for (i = 0; i < n; i++)
		out[i].now = now;
	store_seat_cutoff(now, since);
	for (i = 0; n > 0 && st == OR_OK && i < sizeof(steps) / sizeof(steps[0]); i++)
		st = gather(d, a, steps[i].sql, ids, n, since, out, steps[i].fn);
	return st;
}

or_status
store_checklist_facts(db *d, arena *a, int64_t customer_id, int64_t now, checklist_facts *out)
{
	return store_checklist_facts_many(d, a, &customer_id, 1, now, out);
}

static const char SQL_IDS[] = "SELECT id FROM customers WHERE id > ? ORDER BY id LIMIT ?";

or_status
store_customer_ids(db *d, arena *a, int64_t after_id, long limit, int64_t **out, size_t *n)
{
	db_stmt *s;
	bool row;
	or_status st;

	*n = 0;
	if ((*out = arena_calloc(a, (size_t)limit, sizeof(int64_t))) == NULL)
		return OR_ERR_NOMEM;
	if ((st = db_prepare(d, SQL_IDS, &s)) != OR_OK)
		return st;
	db_bind_int(s, 0, after_id);
	db_bind_int(s, 1, limit);
	st = db_execute(s);
	while (st == OR_OK && (st = db_fetch(s, &row)) == OR_OK && row && *n < (size_t)limit)
		(*out)[(*n)++] = db_col_int(s, 0, 0);
	db_stmt_done(s);
	return st;
}
