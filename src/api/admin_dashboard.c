/*
 * The operator dashboard (GET /admin/api/v1/dashboard): customers per
 * checklist item and state, blocked customers per category, and readiness
 * counts over every customer.
 */
#include "onramp/api_operator.h"
#include "onramp/checklist.h"
#include "handlers.h"

#define DASHBOARD_PAGE 500

/* Counts over every customer, a page of customers at a time. */
typedef struct tally {
	long customers, ready;
	long states[ITEM_COUNT][STATE_NOT_REQUIRED + 1];
	long blocked[BLOCKER_CATEGORY_COUNT];
	long sso_cert_warnings;		/* approved SSO whose signing certificate expires within 30 days */
	long over_seat_limit;		/* more users hold a seat than the limit allows */
	long sso_live;			/* customers whose SSO sign-in is live */
} tally;

static void
count(tally *t, const checklist *c, const checklist_facts *f)
{
	bool seen[BLOCKER_CATEGORY_COUNT] = { false };
	seat_count seats = { f->seats_used, f->seat_limit };
	int i;

	t->customers++;
	t->over_seat_limit += identity_seats_over_by(seats) > 0;
	t->ready += c->ready;
	t->sso_cert_warnings += c->entries[ITEM_SSO].warning != NULL;
	t->sso_live += f->sso_live_since != 0;
	for (i = 0; i < ITEM_COUNT; i++) {
		const checklist_entry *e = &c->entries[i];
		t->states[i][e->state]++;
		/* A customer counts once per category however many items it blocks. */
		if (e->state == STATE_BLOCKED && e->blocker && !seen[e->blocker->category]) {
			seen[e->blocker->category] = true;
			t->blocked[e->blocker->category]++;
		}
	}
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
	return o;
}

void
api_admin_dashboard(app *a, http_request *req, http_response *resp)
{
	tally *t = arena_calloc(req->arena, 1, sizeof(*t));
	/* One page's facts and blocker texts live in a scratch arena reset between pages. */
	arena *page = arena_new(LIMIT_ARENA_BYTES);
	checklist_facts *facts = page ? arena_calloc(req->arena, DASHBOARD_PAGE, sizeof(*facts)) : NULL;
	int64_t after = 0, *ids;
	size_t n = 0, i;
	checklist c;
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
	if (st != OR_OK) {
		api_fail_db(a, req, resp, st);
		return;
	}
	http_json(resp, 200, tally_json(t));
}
