/*
 * Customers seen by operators (/admin/api/v1/customers and /customers/{id}):
 * list and search, create, rename and seat limit, a new admin invite, and
 * the customer page (GET /customers/{id}: details with seats, operator
 * context, internal notes, blockers, checklist, reviews, support and
 * workspace requests).  The setup forms under /customers/{id}/ are in
 * admin_customer_setup.c.
 */
#include <stdio.h>
#include <string.h>

#include "onramp/api_operator.h"
#include "onramp/limits.h"
#include "handlers.h"

#define DRILLDOWN_PAGE 500

/* One scan page's matches: the customers, newest first, join the answer until it holds limit. */
typedef struct drill_scan {
	const drilldown *d;
	int64_t after;		/* the cursor: answer customers below this id (0 = from the newest) */
	long limit, total, answered;
	int64_t last;		/* the last customer answered, for next_after */
	json_object *arr;
} drill_scan;

static or_status
drill_page(app *a, arena *ar, drill_scan *sc, const customer *cs, size_t n, int64_t now)
{
	/* store_checklist_facts_many takes ids ascending; the page is descending. */
	int64_t *ids = arena_calloc(ar, n, sizeof(*ids));
	checklist_facts *f = arena_calloc(ar, n, sizeof(*f));
	checklist c;
	size_t i;
	or_status st = ids && f ? OR_OK : OR_ERR_NOMEM;

	for (i = 0; st == OR_OK && i < n; i++)
		ids[i] = cs[n - 1 - i].id;
	if (st == OR_OK)
		st = store_checklist_facts_many(a->db, ar, ids, n, now, f);
	for (i = 0; st == OR_OK && i < n; i++) {
		const checklist_facts *fi = &f[n - 1 - i];
		checklist_derive(fi, &c);
		if (!api_drilldown_match(sc->d, &c, fi))
			continue;
		sc->total++;
		if (sc->after && cs[i].id >= sc->after)
			continue;
		if (sc->answered++ < sc->limit) {
			json_object_array_add(sc->arr, output_customer(&cs[i], fi->seats_used));
			sc->last = cs[i].id;
		}
	}
	return st;
}

/*
 * The customers behind a dashboard count: every customer (matching q) is
 * derived by the dashboard's rules, a page at a time, so "total" counts every
 * match (the count the dashboard showed) while the answer holds the first
 * limit below the cursor.
 */
static void
drilldown_list(app *a, http_request *req, http_response *resp, const drilldown *d, long limit, int64_t after)
{
	const char *q = input_query(req, "q");
	arena *page = arena_new(LIMIT_ARENA_BYTES);
	drill_scan sc = { d, after, limit, 0, 0, 0, json_object_new_array() };
	int64_t before = 0;
	customer *cs;
	size_t n = 0;
	json_object *o;
	or_status st = page ? OR_OK : OR_ERR_NOMEM;

	while (st == OR_OK) {
		arena_reset(page);
		if ((st = store_customer_list(a->db, page, q, before, DRILLDOWN_PAGE, &cs, &n)) == OR_OK && n > 0)
			st = drill_page(a, page, &sc, cs, n, api_now(req));
		if (n < DRILLDOWN_PAGE)
			break;
		before = cs[n - 1].id;
	}
	arena_free(page);
	if (st != OR_OK) {
		json_object_put(sc.arr);
		api_fail_db(a, req, resp, st);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "customers", sc.arr);
	json_object_object_add(o, "next_after", sc.answered > limit ? output_id(sc.last) : NULL);
	json_object_object_add(o, "total", json_object_new_int64(sc.total));
	http_json(resp, 200, o);
}

void
api_admin_customers_list(app *a, http_request *req, http_response *resp)
{
	const char *q = input_query(req, "q");
	long limit;
	int64_t after;
	customer *cs;
	size_t n, i;
	drilldown d;
	json_object *o, *arr;
	or_status st;

	/* Newest first: "after" is the last id of the previous page, and ids go down. */
	if (!input_page(req, resp, LIMIT_PAGE_DEFAULT, LIMIT_PAGE_MAX, &limit, &after) ||
	    !api_drilldown_read(req, resp, &d))
		return;
	if (d.any) {
		drilldown_list(a, req, resp, &d, limit, after);
		return;
	}
	st = store_customer_list(a->db, req->arena, q, after, limit + 1, &cs, &n);
	o = json_object_new_object();
	arr = json_object_new_array();
	for (i = 0; st == OR_OK && i < n && i < (size_t)limit; i++) {
		long used = 0;
		st = store_customer_seats_used(a->db, cs[i].id, api_now(req), &used);
		json_object_array_add(arr, output_customer(&cs[i], used));
	}
	json_object_object_add(o, "customers", arr);
	json_object_object_add(o, "next_after", n > (size_t)limit ? output_id(cs[limit - 1].id) : NULL);
	if (st != OR_OK) {
		json_object_put(o);
		api_fail_db(a, req, resp, st);
		return;
	}
	http_json(resp, 200, o);
}

void
api_admin_customer_create(app *a, http_request *req, http_response *resp)
{
	static const char *const allowed[] = { "slug", "name", "seat_limit", "admin_email", NULL };
	const char *slug, *name, *admin_in;
	char admin_email[IDENTITY_EMAIL_MAX + 1], link[INVITES_LINK_MAX] = "";
	int64_t seats, id = 0, invite_id = 0;
	bool has_seats;
	customer c;
	json_object *o;
	or_status st;

	if (!input_allowed(req, resp, allowed))
		return;
	slug = input_string(req, resp, "slug", true, IDENTITY_SLUG_MAX);
	name = input_string(req, resp, "name", true, LIMIT_CUSTOMER_NAME);
	seats = input_int(req, resp, "seat_limit", false, 1, LIMIT_SEATS_MAX, &has_seats);
	admin_in = input_string(req, resp, "admin_email", false, IDENTITY_EMAIL_MAX);
	if (admin_in && *admin_in && identity_email_normalize(admin_in, admin_email, sizeof(admin_email)) != OR_OK)
		(void)http_field_error_add(req, resp, "admin_email", "invalid_email",
					   "Enter an email address like name@example.com.");
	if (slug && !identity_slug_ok(slug))
		(void)http_field_error_add(req, resp, "slug", "invalid_slug",
					   "Use 1 to 63 lower-case letters, digits or '-', not starting or ending with '-'.");
	if (!input_ok(resp))
		return;
	if ((st = db_begin(a->db)) == OR_OK &&
	    (st = store_customer_create(a->db, slug, name, has_seats ? (long)seats : 10, &id)) == OR_OK) {
		o = json_object_new_object();
		json_object_object_add(o, "slug", json_object_new_string(slug));
		json_object_object_add(o, "name", json_object_new_string(name));
		json_object_object_add(o, "seat_limit", json_object_new_int64(has_seats ? seats : 10));
		st = api_audit(a, req, "customer.create", id, "customer", id, NULL, o);
		json_object_put(o);
	}
	/* The first admin's invite: its link is answered once, for the operator to send. */
	if (st == OR_OK && admin_in && *admin_in) {
		invite_new in = { id, admin_email, "customer_admin", "admin_signup", NULL, 0, NULL, 0, 0 };
		char by[128];
		snprintf(by, sizeof(by), "operator:%s", api_principal(req)->op.username);
		in.created_by = by;
		if ((st = invites_issue(a, req, &in, name, false, link, &invite_id)) == OR_OK) {
			o = json_object_new_object();
			json_object_object_add(o, "email", json_object_new_string(admin_email));
			json_object_object_add(o, "role", json_object_new_string("customer_admin"));
			json_object_object_add(o, "kind", json_object_new_string("admin_signup"));
			st = api_audit(a, req, "invite.create", id, "invite", invite_id, NULL, o);
			json_object_put(o);
		}
	}
	if (st == OR_ERR_CONFLICT) {
		db_rollback(a->db);
		(void)http_field_error_add(req, resp, "slug", "taken", "Another customer already uses this slug.");
		http_error(resp, 409, "conflict", "A customer with this slug already exists.");
		return;
	}
	if (!api_commit(a, req, resp, st))
		return;
	if ((st = store_customer_get(a->db, req->arena, id, &c)) != OR_OK) {
		api_fail_db(a, req, resp, st);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "customer", output_customer(&c, 0));
	if (link[0]) {
		json_object_object_add(o, "admin_invite_link", json_object_new_string(link));
		json_object_object_add(o, "admin_invite_message", json_object_new_string(
			"Send this link to the customer's first admin; it is shown only once. Signing up needs the same email."));
	}
	explicit_bzero(link, sizeof(link));
	http_json(resp, 201, o);
}

void
api_admin_customer_patch(app *a, http_request *req, http_response *resp)
{
	static const char *const allowed[] = { "name", "seat_limit", "version", NULL };
	const char *name;
	int64_t id, seats, version;
	bool has_seats, has_version;
	long used = 0, limit;
	customer c;
	json_object *before, *after;
	or_status st;

	if (!input_path_id(req, resp, 0, &id) || !input_allowed(req, resp, allowed))
		return;
	name = input_string(req, resp, "name", false, LIMIT_CUSTOMER_NAME);
	seats = input_int(req, resp, "seat_limit", false, 1, LIMIT_SEATS_MAX, &has_seats);
	version = input_int(req, resp, "version", false, 0, INT32_MAX, &has_version);
	if (name && *name == '\0')
		(void)http_field_error_add(req, resp, "name", "required", "A customer needs a name.");
	if (!input_ok(resp))
		return;
	/* Without a version the change applies to what is stored now (under the row lock). */
	if ((st = db_begin(a->db)) == OR_OK && (st = store_customer_lock(a->db, id, &limit)) == OR_OK)
		st = store_customer_get(a->db, req->arena, id, &c);
	if (st != OR_OK) {
		(void)api_commit(a, req, resp, st);
		return;
	}
	before = json_object_new_object();
	json_object_object_add(before, "name", json_object_new_string(c.name));
	json_object_object_add(before, "seat_limit", json_object_new_int64(c.seat_limit));
	after = json_object_new_object();
	json_object_object_add(after, "name", json_object_new_string(name ? name : c.name));
	json_object_object_add(after, "seat_limit", json_object_new_int64(has_seats ? seats : c.seat_limit));
	if ((st = store_customer_update(a->db, id, name ? name : c.name, has_seats ? (long)seats : c.seat_limit,
					has_version ? version : c.version)) == OR_OK)
		st = api_audit_edit(a, req, "customer.update", id, "customer", id, before, after);
	json_object_put(before);
	json_object_put(after);
	if (!api_commit(a, req, resp, st))
		return;
	if ((st = store_customer_get(a->db, req->arena, id, &c)) == OR_OK)
		st = store_customer_seats_used(a->db, id, api_now(req), &used);
	if (st != OR_OK) {
		api_fail_db(a, req, resp, st);
		return;
	}
	http_json(resp, 200, output_customer(&c, used));
}

/*
 * A new admin signup link for a customer (the first link was lost, or went to
 * the wrong person): earlier pending signup links stop working.
 */
void
api_admin_customer_admin_invite(app *a, http_request *req, http_response *resp)
{
	static const char *const allowed[] = { "email", NULL };
	char email[IDENTITY_EMAIL_MAX + 1], link[INVITES_LINK_MAX] = "", by[128];
	const char *in_email;
	int64_t id, invite_id = 0;
	customer c;
	invite v;
	json_object *o;
	or_status st;

	if (!input_path_id(req, resp, 0, &id) || !input_allowed(req, resp, allowed))
		return;
	in_email = input_string(req, resp, "email", true, IDENTITY_EMAIL_MAX);
	if (in_email && identity_email_normalize(in_email, email, sizeof(email)) != OR_OK)
		(void)http_field_error_add(req, resp, "email", "invalid_email", "Enter an email address like name@example.com.");
	if (!input_ok(resp))
		return;
	snprintf(by, sizeof(by), "operator:%s", api_principal(req)->op.username);
	if ((st = db_begin(a->db)) == OR_OK && (st = store_customer_get(a->db, req->arena, id, &c)) == OR_OK &&
	    (st = store_invite_revoke_signups(a->db, id, by)) == OR_OK) {
		invite_new in = { id, email, "customer_admin", "admin_signup", NULL, 0, by, 0, 0 };
		if ((st = invites_issue(a, req, &in, c.name, false, link, &invite_id)) == OR_OK) {
			o = json_object_new_object();
			json_object_object_add(o, "email", json_object_new_string(email));
			json_object_object_add(o, "kind", json_object_new_string("admin_signup"));
			st = api_audit(a, req, "invite.create", id, "invite", invite_id, NULL, o);
			json_object_put(o);
		}
	}
	if (st == OR_ERR_CONFLICT) {
		db_rollback(a->db);
		http_error(resp, 409, "conflict", "A member invite to this email is pending for this customer; revoke it first.");
		return;
	}
	if (!api_commit(a, req, resp, st))
		return;
	if ((st = store_invite_get(a->db, req->arena, id, invite_id, false, &v)) != OR_OK) {
		api_fail_db(a, req, resp, st);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "invite", api_invite_json(&v, api_now(req)));
	json_object_object_add(o, "admin_invite_link", json_object_new_string(link));
	json_object_object_add(o, "admin_invite_message", json_object_new_string(
		"Send this link to the customer's first admin; it is shown only once. Signing up needs the same email."));
	explicit_bzero(link, sizeof(link));
	http_json(resp, 201, o);
}

/*
 * What the customer page reads first, each in one statement: the customer
 * with its details, the checklist facts with the latest reviews.
 */
typedef struct customer_page {
	customer c;
	customer_details d;
	checklist_facts f;
	review_note latest[ITEM_COUNT];
} customer_page;

/* The setup parts of the customer page. */
static or_status
add_setup(app *a, http_request *req, int64_t id, customer_page *pg, json_object *o)
{
	arena *ar = req->arena;
	setup_context ctx;
	internal_note notes;
	blocker_row *bl;
	checklist cl;
	review *rv;
	support_request *sr;
	workspace_request *ws;
	review_query q = { NULL, NULL, id, 0, 50 };
	sso_draft sso;
	size_t nbl, nrv, nsr, nws, i;
	json_object *arr;
	or_status st;

	if ((st = store_context_get(a->db, ar, id, &ctx)) != OR_OK || (st = store_notes_get(a->db, ar, id, &notes)) != OR_OK ||
	    (st = store_blockers_list(a->db, ar, id, &bl, &nbl)) != OR_OK ||
	    (st = store_review_list(a->db, ar, &q, &rv, &nrv)) != OR_OK ||
	    (st = store_support_list(a->db, ar, id, 0, 50, &sr, &nsr)) != OR_OK ||
	    (st = store_workspace_requests(a->db, ar, id, 50, &ws, &nws)) != OR_OK)
		return st;
	if ((st = store_sso_draft_get(a->db, ar, id, &sso)) != OR_OK)
		return st;
	checklist_derive(&pg->f, &cl);
	json_object_object_add(o, "details", api_details_json(&pg->c, &pg->d));
	json_object_object_add(o, "sso", api_sso_json(&sso, true));
	json_object_object_add(json_object_object_get(o, "sso"), "validation_job", api_sso_latest_job_json(a, ar, id, &st));
	if (st == OR_OK)
		json_object_object_add(json_object_object_get(o, "sso"), "activation", api_sso_activation_json(a, ar, id, &st));
	if (st != OR_OK)
		return st;
	json_object_object_add(json_object_object_get(o, "sso"), "latest_test", api_sso_latest_test_json(a, ar, id, &st));
	if (st != OR_OK)
		return st;
	arr = api_invites_json(a, req, id, &st);
	if (st != OR_OK)
		return st;
	json_object_object_add(o, "invites", arr);
	json_object_object_add(o, "context", api_context_json(&ctx));
	json_object_object_add(o, "internal_notes", api_notes_json(&notes));
	json_object_object_add(o, "blockers", api_blockers_json(bl, nbl));
	json_object_object_add(o, "checklist", api_checklist_json(&cl, pg->latest));
	arr = json_object_new_array();
	for (i = 0; i < nrv; i++)
		json_object_array_add(arr, api_review_json(&rv[i]));
	json_object_object_add(o, "reviews", arr);
	arr = json_object_new_array();
	for (i = 0; i < nsr; i++)
		json_object_array_add(arr, api_support_admin_json(&sr[i]));
	json_object_object_add(o, "support_requests", arr);
	arr = json_object_new_array();
	for (i = 0; i < nws; i++)
		json_object_array_add(arr, api_workspace_request_json(&ws[i]));
	json_object_object_add(o, "workspace_requests", arr);
	return OR_OK;
}

void
api_admin_customer_get(app *a, http_request *req, http_response *resp)
{
	int64_t id;
	customer_page *pg = arena_calloc(req->arena, 1, sizeof(*pg));
	json_object *o;
	or_status st;

	if (!input_path_id(req, resp, 0, &id))
		return;
	st = pg ? store_customer_with_details(a->db, req->arena, id, &pg->c, &pg->d) : OR_ERR_NOMEM;
	if (st == OR_OK)
		st = store_checklist_facts(a->db, req->arena, id, api_now(req), &pg->f, pg->latest);
	if (st != OR_OK) {
		api_fail_db(a, req, resp, st);
		return;
	}
	/* The facts count the seat holders by the rule store_customer_seats_used applies. */
	o = output_customer(&pg->c, pg->f.seats_used);
	if ((st = add_setup(a, req, id, pg, o)) != OR_OK) {
		json_object_put(o);
		api_fail_db(a, req, resp, st);
		return;
	}
	http_json(resp, 200, o);
}
