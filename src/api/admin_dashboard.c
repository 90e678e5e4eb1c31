/*
 * The operator dashboard (GET /admin/api/v1/dashboard): customers per
 * checklist item and state, blocked customers per category, and readiness
 * counts over every customer, plus the review queue's length and age.
 *
 * Every count is a facet of one customer's derived checklist (below,
 * facet_*), and the drill-down filters of GET /customers (api_drilldown_*)
 * test the same facets: a count and the list behind it cannot disagree.
 */
#include <stdio.h>
#include <string.h>

#include "onramp/api_operator.h"
#include "onramp/checklist.h"
#include "handlers.h"

#define DASHBOARD_PAGE 500

/* More users hold a seat than the limit allows. */
static bool
facet_over_seat_limit(const checklist_facts *f)
{
	seat_count seats = { f->seats_used, f->seat_limit };

	return identity_seats_over_by(seats) > 0;
}

/* Some item is blocked with this category (a customer counts once per category). */
static bool
facet_blocked_in(const checklist *c, blocker_category cat)
{
	int i;

	for (i = 0; i < ITEM_COUNT; i++)
		if (c->entries[i].state == STATE_BLOCKED && c->entries[i].blocker &&
		    c->entries[i].blocker->category == cat)
			return true;
	return false;
}

/* Something the customer submitted waits for an operator's decision. */
static bool
facet_review_waiting(const checklist_facts *f)
{
	return f->sso == REVIEW_PENDING || f->workspace_target == REVIEW_PENDING || f->provider == REVIEW_PENDING ||
	       f->billing == BILLING_TRIAL_REQUESTED;
}

/* Counts over every customer, a page of customers at a time. */
typedef struct tally {
	long customers, ready;
	long states[ITEM_COUNT][STATE_NOT_REQUIRED + 1];
	long blocked[BLOCKER_CATEGORY_COUNT];
	long sso_cert_warnings;		/* approved SSO whose signing certificate expires within 30 days */
	long over_seat_limit;		/* more users hold a seat than the limit allows */
	long sso_live;			/* customers whose SSO sign-in is live */
	long review_waiting;		/* customers with a review waiting */
} tally;

static void
count(tally *t, const checklist *c, const checklist_facts *f)
{
	int i;

	t->customers++;
	t->over_seat_limit += facet_over_seat_limit(f);
	t->review_waiting += facet_review_waiting(f);
	t->ready += c->ready;
	t->sso_cert_warnings += c->entries[ITEM_SSO].warning != NULL;
	t->sso_live += f->sso_live_since != 0;
	for (i = 0; i < ITEM_COUNT; i++)
		t->states[i][c->entries[i].state]++;
	for (i = 0; i < BLOCKER_CATEGORY_COUNT; i++)
		t->blocked[i] += facet_blocked_in(c, (blocker_category)i);
}

static json_object *
tally_json(const tally *t)
{
	json_object *o = json_object_new_object(), *items = json_object_new_array(), *cats = json_object_new_object();
	int i, s;

	json_object_object_add(o, "customers", json_object_new_int64(t->customers));
	json_object_object_add(o, "ready", json_object_new_int64(t->ready));
	for (i = 0; i < ITEM_COUNT; i++) {
		json_object *it = json_object_new_object(), *states = json_object_new_object();
		json_object_object_add(it, "key", json_object_new_string(checklist_item_key((checklist_item)i)));
		json_object_object_add(it, "title", json_object_new_string(checklist_item_title((checklist_item)i)));
		for (s = 0; s <= STATE_NOT_REQUIRED; s++)
			json_object_object_add(states, checklist_state_name((item_state)s),
					       json_object_new_int64(t->states[i][s]));
		json_object_object_add(it, "states", states);
		json_object_array_add(items, it);
	}
	json_object_object_add(o, "items", items);
	for (i = 0; i < BLOCKER_CATEGORY_COUNT; i++)
		json_object_object_add(cats, checklist_category_name((blocker_category)i), json_object_new_int64(t->blocked[i]));
	json_object_object_add(o, "blocked_by_category", cats);
	json_object_object_add(o, "sso_certificates_expiring", json_object_new_int64(t->sso_cert_warnings));
	json_object_object_add(o, "customers_over_seat_limit", json_object_new_int64(t->over_seat_limit));
	json_object_object_add(o, "sso_live", json_object_new_int64(t->sso_live));
	json_object_object_add(o, "customers_review_waiting", json_object_new_int64(t->review_waiting));
	return o;
}

/* The review queue: how many wait and for how long the oldest has waited. */
static json_object *
reviews_waiting_json(long n, int64_t oldest, int64_t now)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "count", json_object_new_int64(n));
	json_object_object_add(o, "oldest_submitted_at", oldest ? output_time(oldest) : NULL);
	json_object_object_add(o, "oldest_waiting_seconds",
			       oldest ? json_object_new_int64(now > oldest ? now - oldest : 0) : NULL);
	return o;
}

void
api_admin_dashboard(app *a, http_request *req, http_response *resp)
{
	tally *t = arena_calloc(req->arena, 1, sizeof(*t));
	/* One page's facts and blocker texts live in a scratch arena reset between pages. */
	arena *page = arena_new(LIMIT_ARENA_BYTES);
	checklist_facts *facts = page ? arena_calloc(req->arena, DASHBOARD_PAGE, sizeof(*facts)) : NULL;
	int64_t after = 0, *ids, oldest = 0;
	long waiting = 0;
	size_t n = 0, i;
	checklist c;
	json_object *o;
	or_status st = t && facts ? OR_OK : OR_ERR_NOMEM;

	while (st == OR_OK) {
		arena_reset(page);
		st = store_customer_ids(a->db, page, after, DASHBOARD_PAGE, &ids, &n);
		if (st == OR_OK && n > 0)
			st = store_checklist_facts_many(a->db, page, ids, n, api_now(req), facts);
		for (i = 0; st == OR_OK && i < n; i++) {
			checklist_derive(&facts[i], &c);
			count(t, &c, &facts[i]);
		}
		if (n < DASHBOARD_PAGE)
			break;
		after = ids[n - 1];
	}
	arena_free(page);
	if (st == OR_OK)
		st = store_review_pending_any(a->db, &waiting, &oldest);
	if (st != OR_OK) {
		api_fail_db(a, req, resp, st);
		return;
	}
	o = tally_json(t);
	json_object_object_add(o, "reviews_waiting", reviews_waiting_json(waiting, oldest, api_now(req)));
	http_json(resp, 200, o);
}

/* ---- drill-down: the customers behind a count (GET /customers) --------------------- */

/* A yes/no filter: -1 when absent, else 0 or 1; false after a 400. */
static bool
read_flag(http_request *req, http_response *resp, const char *name, int *out)
{
	const char *v = input_query(req, name);

	*out = -1;
	if (v == NULL)
		return true;
	if (strcmp(v, "true") == 0 || strcmp(v, "1") == 0)
		*out = 1;
	else if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0)
		*out = 0;
	else {
		char buf[64], *msg;
		snprintf(buf, sizeof(buf), "%s= takes true or false.", name);
		msg = arena_strdup(req->arena, buf);
		http_error(resp, 400, "bad_request", msg ? msg : "A yes/no filter takes true or false.");
		return false;
	}
	return true;
}

static int
state_parse(const char *s)
{
	int i;

	for (i = 0; i <= STATE_NOT_REQUIRED; i++)
		if (strcmp(checklist_state_name((item_state)i), s) == 0)
			return i;
	return -1;
}

/* item= and state= go together: the customers in one segment of one bar. */
static bool
read_segment(http_request *req, http_response *resp, drilldown *d)
{
	const char *item = input_query(req, "item"), *state = input_query(req, "state");
	checklist_item it;

	d->item = d->state = -1;
	if (item == NULL && state == NULL)
		return true;
	if (item == NULL || state == NULL || !checklist_item_parse(item, &it) || (d->state = state_parse(state)) < 0) {
		http_error(resp, 400, "bad_request",
			   "item= and state= go together: a checklist item key and one of todo, in_progress, submitted, "
			   "in_review, done, blocked, not_required.");
		return false;
	}
	d->item = (int)it;
	return true;
}

bool
api_drilldown_read(http_request *req, http_response *resp, drilldown *d)
{
	const char *cat = input_query(req, "blocked_category");
	blocker_category bc;

	if (!read_segment(req, resp, d) || !read_flag(req, resp, "ready", &d->ready) ||
	    !read_flag(req, resp, "over_seat_limit", &d->over_seat_limit) ||
	    !read_flag(req, resp, "review_waiting", &d->review_waiting))
		return false;
	d->blocked = -1;
	if (cat != NULL && !checklist_category_parse(cat, &bc)) {
		http_error(resp, 400, "bad_request", "blocked_category= takes a blocker category, e.g. billing or sso.");
		return false;
	}
	if (cat != NULL)
		d->blocked = (int)bc;
	d->any = d->item >= 0 || d->ready >= 0 || d->over_seat_limit >= 0 || d->review_waiting >= 0 || d->blocked >= 0;
	return true;
}

/* An absent flag (-1) matches everyone. */
static bool
flag_ok(int want, bool have)
{
	return want < 0 || (want == 1) == have;
}

bool
api_drilldown_match(const drilldown *d, const checklist *c, const checklist_facts *f)
{
	return (d->item < 0 || c->entries[d->item].state == (item_state)d->state) && flag_ok(d->ready, c->ready) &&
	       flag_ok(d->over_seat_limit, facet_over_seat_limit(f)) &&
	       flag_ok(d->review_waiting, facet_review_waiting(f)) &&
	       (d->blocked < 0 || facet_blocked_in(c, (blocker_category)d->blocked));
}
