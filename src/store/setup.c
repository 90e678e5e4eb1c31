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
 * One statement gathers every fact of a range of customer ids: a UNION ALL of
 * one part per table, each returning one row per customer (blockers: one per
 * blocker).  Every part has the same shape: customer_id, up to nine values
 * (padded with NULL), the part number (PART_COL) and an order within the part
 * (a blocker's or review's id), so one customer's page costs one round trip and
 * the dashboard's page of 500 customers the same one.  The users part comes
 * first because it alone binds a value (the seat holders' cut-off) before its
 * range; every other part binds just the range.
 */
#define PAD1 ", NULL"
#define PAD3 PAD1 PAD1 PAD1
#define PAD5 PAD3 PAD1 PAD1
/* The seat holders ride along in the same index-only pass over users_customer (sql/009). */
/* Column 5: the seat holder seen longest ago (when the seat count next drops); binds the cut-off twice. */
#define PART_USERS \
	"SELECT customer_id, COALESCE(SUM(role = 'customer_admin' AND status = 'active'), 0), " \
	"COALESCE(SUM(role = 'customer_admin' AND status = 'active' AND last_seen_at IS NOT NULL), 0), " \
	"COUNT(*), COALESCE(SUM(" STORE_SQL_SEAT_HOLDER "), 0), " \
	"MIN(IF(" STORE_SQL_SEAT_HOLDER ", last_seen_at, NULL))" PAD3 PAD1 ", 0, 0 " \
	"FROM users WHERE customer_id BETWEEN ? AND ? AND deactivated_at IS NULL GROUP BY customer_id"
#define PART_DETAILS \
	"SELECT customer_id, version > 0, ai_provider <> 'none', legal_name IS NOT NULL, " \
	"support_name IS NOT NULL, support_email IS NOT NULL, billing_name IS NOT NULL, billing_email IS NOT NULL, " \
	"technical_name IS NOT NULL, technical_email IS NOT NULL, 1, 0 " \
	"FROM customer_details WHERE customer_id BETWEEN ? AND ?"
/*
 * Pending at the request's now (bound, not NOW(6): time is a parameter, and a
 * cached count must agree with its valid_until); column 2: the first expiry.
 */
#define PART_INVITES \
	"SELECT customer_id, COUNT(*), MIN(expires_at)" PAD5 PAD1 PAD1 ", 2, 0 FROM invites " \
	"WHERE customer_id BETWEEN ? AND ? AND state = 'pending' AND kind = 'member' AND expires_at > ? " \
	"GROUP BY customer_id"
#define PART_SSO \
	"SELECT s.customer_id, s.protocol, s.review, s.cert_not_after, s.approved_version IS NOT NULL, " \
	"l.activated_at" PAD3 PAD1 ", 3, 0 FROM sso_settings s LEFT JOIN sso_live l ON l.customer_id = s.customer_id " \
	"WHERE s.customer_id BETWEEN ? AND ?"
#define PART_CONTEXT \
	"SELECT customer_id, billing_state, prepaid_balance_cents, target_review, target_ready, provider_review, " \
	"provider_ready" PAD3 ", 4, 0 FROM customer_context WHERE customer_id BETWEEN ? AND ?"
#define PART_BLOCKERS \
	"SELECT customer_id, item, category, message, retryable" PAD5 ", 5, id FROM blockers " \
	"WHERE customer_id BETWEEN ? AND ? AND cleared_at IS NULL"
#define PART_LIMITS "SELECT id, seat_limit" PAD5 PAD3 ", 6, 0 FROM customers WHERE id BETWEEN ? AND ?"
/*
 * The decided reviews (customer-visible columns only: this feeds customer
 * answers) in id order, so the last of each kind read is the latest
 * (note_row).  A customer has a handful; picking the latest in SQL (a
 * grouped MAX(id) subquery) cost the server two to three times the rest of
 * the statement together.
 */
#define PART_REVIEWS \
	"SELECT customer_id, kind, state, comment, decided_at" PAD5 ", 7, id FROM reviews " \
	"WHERE customer_id BETWEEN ? AND ? AND decided_at IS NOT NULL AND state <> 'superseded'"
#define PARTS_FACTS \
	PART_USERS " UNION ALL " PART_DETAILS " UNION ALL " PART_INVITES " UNION ALL " PART_SSO \
	" UNION ALL " PART_CONTEXT " UNION ALL " PART_BLOCKERS " UNION ALL " PART_LIMITS
#define FACTS_ORDER " ORDER BY 11, 1, 12"
#define PART_COL 10

static const char SQL_FACTS[] = PARTS_FACTS FACTS_ORDER;
/* The customer's own checklist also shows the latest review decisions: the same facts plus one part. */
static const char SQL_FACTS_NOTES[] = PARTS_FACTS " UNION ALL " PART_REVIEWS FACTS_ORDER;

/* The parts by their number in PART_COL. */
enum { P_USERS, P_DETAILS, P_INVITES, P_SSO, P_CONTEXT, P_BLOCKERS, P_LIMITS, P_REVIEWS, P_COUNT };

typedef void (*row_fn)(db_stmt *s, arena *a, checklist_facts *f);

/* Lower f->changes_at to t + after when the column held a time t (0 = SQL NULL). */
static void
changes_at_min(checklist_facts *f, int64_t t, int64_t after)
{
	if (t != 0 && (f->changes_at == 0 || t + after < f->changes_at))
		f->changes_at = t + after;
}

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
	changes_at_min(f, db_col_time(s, 5), IDENTITY_DORMANT_AFTER_S);
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
	changes_at_min(f, db_col_time(s, 2), 0);
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

/* A decided review of the current row into its item's note; rows come in id order, so the latest stays. */
static void
note_row(db_stmt *s, arena *a, review_note *notes)
{
	char *kind = db_col_dup(s, 1, a);
	checklist_item it;

	if (kind == NULL || !checklist_item_parse(kind, &it))
		return;
	notes[it].state = db_col_dup(s, 2, a);
	notes[it].comment = db_col_dup(s, 3, a);
	notes[it].decided_at = db_col_time(s, 4);
}

/*
 * Hand each row to its part's reader, for the customer it names; notes: NULL
 * unless the SQL has the reviews part, else ITEM_COUNT notes per customer.
 */
static or_status
read_rows(db_stmt *s, arena *a, const int64_t *ids, size_t n, checklist_facts *out, review_note *notes)
{
	static const row_fn fns[P_COUNT] = {
		[P_USERS] = users_row, [P_DETAILS] = details_row, [P_INVITES] = invites_row, [P_SSO] = sso_row,
		[P_CONTEXT] = context_row, [P_BLOCKERS] = blocker_row_fn, [P_LIMITS] = limits_row,
	};
	bool row;
	or_status st;

	while ((st = db_fetch(s, &row)) == OR_OK && row) {
		long at = find_id(ids, n, db_col_int(s, 0, 0));
		long long part = db_col_int(s, PART_COL, -1);
		if (at < 0 || part < 0 || part >= P_COUNT)
			continue;
		if (part == P_REVIEWS) {
			if (notes)
				note_row(s, a, &notes[(size_t)at * ITEM_COUNT]);
		} else {
			fns[part](s, a, &out[at]);
		}
	}
	return st;
}

/* The facts (and, when notes is not NULL, the latest reviews) of ids[0..n), n > 0, in one statement. */
static or_status
gather(db *d, arena *a, const int64_t *ids, size_t n, int64_t now, checklist_facts *out, review_note *notes)
{
	const char *sql = notes ? SQL_FACTS_NOTES : SQL_FACTS;
	unsigned parts = notes ? P_COUNT : P_REVIEWS, i, p = 0;
	char since[TIMEFMT_RFC3339_LEN], at[TIMEFMT_RFC3339_LEN];
	db_stmt *s;
	or_status st = db_prepare(d, sql, &s);

	if (st != OR_OK)
		return st;
	store_seat_cutoff(now, since);
	store_sql_time(now, at);
	db_bind_cstr(s, p++, since);
	db_bind_cstr(s, p++, since);
	for (i = 0; i < parts; i++) {
		db_bind_int(s, p++, ids[0]);
		db_bind_int(s, p++, ids[n - 1]);
		if (i == P_INVITES)
			db_bind_cstr(s, p++, at);
	}
	if ((st = db_execute(s)) == OR_OK)
		st = read_rows(s, a, ids, n, out, notes);
	db_stmt_done(s);
	return st;
}

/* Fresh facts at now for each of the n customers, and empty notes. */
static void
facts_reset(checklist_facts *out, size_t n, int64_t now, review_note *notes)
{
	size_t i;

	memset(out, 0, n * sizeof(*out));
	for (i = 0; i < n; i++)
		out[i].now = now;
	if (notes)
		memset(notes, 0, n * ITEM_COUNT * sizeof(*notes));
}

or_status
store_checklist_facts_many(db *d, arena *a, const int64_t *ids, size_t n, int64_t now, checklist_facts *out)
{
	facts_reset(out, n, now, NULL);
	return n > 0 ? gather(d, a, ids, n, now, out, NULL) : OR_OK;
}

or_status
store_checklist_facts(db *d, arena *a, int64_t customer_id, int64_t now, checklist_facts *out, review_note *notes)
{
	facts_reset(out, 1, now, notes);
	return gather(d, a, &customer_id, 1, now, out, notes);
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
