/*
 * The operator review queue (GET /reviews, POST /reviews/{id}/decision),
 * support requests as operators read them, and the dashboard that counts
 * customers per checklist item and state and blocked customers per category.
 * A decision lands on the reviewed thing in the same transaction as the
 * review row and its audit entry.
 */
#include <stdlib.h>
#include <string.h>

#include "onramp/api_operator.h"
#include "onramp/choices.h"
#include "onramp/limits.h"
#include "handlers.h"

#define COMMENT_MAX 2000
#define DASHBOARD_PAGE 500

/* Fixed text saying what an operator is asked to review. */
static const char *
summary(const char *kind)
{
	if (strcmp(kind, "billing") == 0)
		return "Trial request: approve to start the trial, or verify billing from the customer page.";
	if (strcmp(kind, "sso") == 0)
		return "Single sign-on settings submitted by the customer.";
	if (strcmp(kind, "workspace_target") == 0)
		return "Workspace target for the first workspace: fill in and mark the target ready, then approve.";
	if (strcmp(kind, "provider_setup") == 0)
		return "AI provider setup the customer asked for.";
	return "";
}

json_object *
api_review_json(const review *r)
{
	json_object *o = json_object_new_object(), *c = json_object_new_object();

	json_object_object_add(o, "id", output_id(r->id));
	json_object_object_add(c, "id", output_id(r->customer_id));
	json_object_object_add(c, "slug", output_str(r->customer_slug));
	json_object_object_add(c, "name", output_str(r->customer_name));
	json_object_object_add(o, "customer", c);
	json_object_object_add(o, "kind", output_str(r->kind));
	json_object_object_add(o, "state", output_str(r->state));
	json_object_object_add(o, "summary", json_object_new_string(r->kind ? summary(r->kind) : ""));
	json_object_object_add(o, "comment", output_str(r->comment));
	json_object_object_add(o, "internal_comment", output_str(r->internal_comment));
	json_object_object_add(o, "created_at", output_time(r->created_at));
	json_object_object_add(o, "decided_at", output_time(r->decided_at));
	json_object_object_add(o, "decided_by", output_str(r->decided_by));
	return o;
}

json_object *
api_support_admin_json(const support_request *r)
{
	json_object *o = json_object_new_object();
	checklist_item it;

	json_object_object_add(o, "id", output_id(r->id));
	json_object_object_add(o, "customer_id", output_id(r->customer_id));
	json_object_object_add(o, "customer_name", output_str(r->customer_name));
	json_object_object_add(o, "requested_by", output_str(r->username));
	json_object_object_add(o, "item", output_str(r->item));
	json_object_object_add(o, "item_title", r->item && checklist_item_parse(r->item, &it)
						? json_object_new_string(checklist_item_title(it)) : NULL);
	json_object_object_add(o, "visible_message", output_str(r->visible_message));
	json_object_object_add(o, "last_action", output_str(r->last_action));
	json_object_object_add(o, "last_action_at", output_time(r->last_action_at));
	json_object_object_add(o, "message", output_str(r->message));
	json_object_object_add(o, "created_at", output_time(r->created_at));
	return o;
}

static bool
one_of(const char *v, const char *const *choices)
{
	size_t i;

	for (i = 0; choices[i]; i++)
		if (strcmp(v, choices[i]) == 0)
			return true;
	return false;
}

/* ?customer= as an id (0 when absent); 400 for anything else. */
static bool
customer_param(http_request *req, http_response *resp, int64_t *id)
{
	const char *v = input_query(req, "customer");
	char *end;
	long long n;

	*id = 0;
	if (v == NULL || *v == '\0')
		return true;
	n = strtoll(v, &end, 10);
	if (*end != '\0' || n <= 0) {
		http_error(resp, 400, "bad_request", "customer= takes a customer id.");
		return false;
	}
	*id = n;
	return true;
}

void
api_admin_reviews_list(app *a, http_request *req, http_response *resp)
{
	static const char *const states[] = { "pending", "approved", "rejected", "changes_requested", "superseded", "all", NULL };
	static const char *const kinds[] = { "billing", "sso", "workspace_target", "provider_setup", NULL };
	review_query q;
	review *rv;
	size_t n, i;
	json_object *o, *arr;
	or_status st;

	memset(&q, 0, sizeof(q));
	q.state = input_query(req, "state");
	q.kind = input_query(req, "kind");
	if (q.state == NULL || *q.state == '\0')
		q.state = "pending";
	if (!one_of(q.state, states)) {
		http_error(resp, 400, "bad_request", "state= takes pending, approved, rejected, changes_requested, superseded or all.");
		return;
	}
	if (q.kind && *q.kind == '\0')
		q.kind = NULL;
	if (q.kind && !one_of(q.kind, kinds)) {
		http_error(resp, 400, "bad_request", "kind= takes billing, sso, workspace_target or provider_setup.");
		return;
	}
	if (strcmp(q.state, "all") == 0)
		q.state = NULL;
	if (!customer_param(req, resp, &q.customer_id) || !input_page(req, resp, LIMIT_PAGE_DEFAULT, LIMIT_PAGE_MAX, &q.limit, &q.after))
		return;
	q.limit++;
	st = q.customer_id ? store_review_list(a->db, req->arena, &q, &rv, &n)
			   : store_review_list_any(a->db, req->arena, &q, &rv, &n);
	if (st != OR_OK) {
		api_fail_db(a, req, resp, st);
		return;
	}
	o = json_object_new_object();
	arr = json_object_new_array();
	for (i = 0; i < n && i < (size_t)q.limit - 1; i++)
		json_object_array_add(arr, api_review_json(&rv[i]));
	json_object_object_add(o, "reviews", arr);
	json_object_object_add(o, "next_after", n >= (size_t)q.limit ? output_id(rv[q.limit - 2].id) : NULL);
	http_json(resp, 200, o);
}

void
api_admin_review_decide(app *a, http_request *req, http_response *resp)
{
	static const char *const allowed[] = { "decision", "comment", "internal_comment", NULL };
	principal *p = api_principal(req);
	const char *decision, *comment, *internal, *state = NULL;
	int64_t id;
	review r;
	json_object *after;
	or_status st;

	if (!input_path_id(req, resp, 0, &id) || !input_allowed(req, resp, allowed))
		return;
	decision = input_string(req, resp, "decision", true, LIMIT_CHOICE_BYTES);
	comment = input_string(req, resp, "comment", false, COMMENT_MAX);
	internal = input_string(req, resp, "internal_comment", false, COMMENT_MAX);
	if (comment && *comment == '\0')
		comment = NULL;
	if (internal && *internal == '\0')
		internal = NULL;
	if (decision) {
		/* The review state each of choices_review_decisions leads to, in its order. */
		static const char *const states[] = { "approved", "rejected", "changes_requested" };
		int i = choices_index(choices_review_decisions, decision);
		if (i >= 0)
			state = states[i];
		else
			input_choice_error(req, resp, "decision", choices_review_decisions);
	}
	if (state && strcmp(state, "approved") != 0 && comment == NULL)
		(void)http_field_error_add(req, resp, "comment", "required",
					   "Tell the customer what to change or why it was rejected.");
	/* The customer reads the comment: no secret may ride along in it. */
	(void)input_scan(a, req, resp, "comment", comment);
	if (!input_ok(resp))
		return;
	after = json_object_new_object();
	json_object_object_add(after, "decision", json_object_new_string(decision));
	json_object_object_add(after, "has_comment", json_object_new_boolean(comment != NULL));
	if ((st = db_begin(a->db)) == OR_OK && (st = store_review_lock(a->db, req->arena, id, &r)) == OR_OK &&
	    (st = store_review_decide(a->db, id, state, comment, internal, p->op.id)) == OR_OK &&
	    (st = store_review_apply(a->db, r.customer_id, r.kind, state)) == OR_OK) {
		json_object_object_add(after, "kind", json_object_new_string(r.kind));
		st = api_audit(a, req, "review.decide", r.customer_id, "review", id, NULL, after);
	}
	json_object_put(after);
	if (st == OR_ERR_CONFLICT) {
		db_rollback(a->db);
		http_error(resp, 409, "conflict", "This review was already decided.");
		return;
	}
	if (!api_commit(a, req, resp, st))
		return;
	if ((st = store_review_lock(a->db, req->arena, id, &r)) != OR_OK) {
		api_fail_db(a, req, resp, st);
		return;
	}
	http_json(resp, 200, api_review_json(&r));
}

void
api_admin_support_list(app *a, http_request *req, http_response *resp)
{
	support_request *sr;
	int64_t cid, after;
	long limit;
	size_t n, i;
	json_object *o, *arr;
	or_status st;

	if (!customer_param(req, resp, &cid) || !input_page(req, resp, LIMIT_PAGE_DEFAULT, LIMIT_PAGE_MAX, &limit, &after))
		return;
	st = cid ? store_support_list(a->db, req->arena, cid, after, limit + 1, &sr, &n)
		 : store_support_list_any(a->db, req->arena, after, limit + 1, &sr, &n);
	if (st != OR_OK) {
		api_fail_db(a, req, resp, st);
		return;
	}
	o = json_object_new_object();
	arr = json_object_new_array();
	for (i = 0; i < n && i < (size_t)limit; i++)
		json_object_array_add(arr, api_support_admin_json(&sr[i]));
	json_object_object_add(o, "support_requests", arr);
	json_object_object_add(o, "next_after", n > (size_t)limit ? output_id(sr[limit - 1].id) : NULL);
	http_json(resp, 200, o);
}

/* Counts over every customer, a page of customers at a time. */
typedef struct tally {
	long customers, ready;
	long states[ITEM_COUNT][STATE_NOT_REQUIRED + 1];
	long blocked[BLOCKER_CATEGORY_COUNT];
	long sso_cert_warnings;		/* approved SSO whose signing certificate expires within 30 days */
	long over_seat_limit;		/* more users hold a seat than the limit allows */
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
