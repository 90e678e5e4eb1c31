/*
 * GET /api/v1/members: a customer admin's users with the filter language
 * (their customer only), seats used/limit and invites.  The page loader
 * also serves the operator's user list (admin_users.c).
 */
#include "onramp/api_operator.h"
#include "onramp/limits.h"
#include "handlers.h"
#include "users.h"

json_object *
members_page_json(const user_page *pg, int64_t now, bool with_customer)
{
	json_object *o = json_object_new_object(), *arr = json_object_new_array();
	size_t i;

	for (i = 0; i < pg->n; i++)
		json_object_array_add(arr, output_user(&pg->items[i], now, with_customer));
	json_object_object_add(o, "users", arr);
	json_object_object_add(o, "next_after", pg->more && pg->n ? output_id(pg->items[pg->n - 1].id) : NULL);
	return o;
}

bool
members_load_page(app *a, http_request *req, http_response *resp, int64_t customer_id, filter_scope scope,
     user_page *pg)
{
	filter f;
	long limit;
	int64_t after;
	or_status st;

	if (!input_filter(req, resp, scope, &f) || !input_page(req, resp, LIMIT_PAGE_DEFAULT, LIMIT_PAGE_MAX, &limit, &after))
		return false;
	if (scope == FILTER_SCOPE_OPERATOR)
		st = store_user_list_any(a->db, req->arena, &f, api_now(req), after, limit, pg);
	else
		st = store_user_list(a->db, req->arena, customer_id, &f, api_now(req), after, limit, pg);
	if (st != OR_OK) {
		api_fail_db(a, req, resp, st);
		return false;
	}
	return true;
}

void
api_members_list(app *a, http_request *req, http_response *resp)
{
	principal *p = api_principal(req);
	user_page pg;
	customer c;
	long used = 0;
	json_object *o;
	or_status st;

	if (!members_load_page(a, req, resp, p->user.customer_id, FILTER_SCOPE_CUSTOMER, &pg))
		return;
	st = store_customer_with_seats(a->db, req->arena, p->user.customer_id, api_now(req), &c, &used);
	if (st != OR_OK) {
		api_fail_db(a, req, resp, st);
		return;
	}
	o = members_page_json(&pg, api_now(req), false);
	json_object_object_add(o, "seats", api_seats_json(used, c.seat_limit));
	json_object_object_add(o, "invites", api_invites_json(a, req, c.id, &st));
	if (st != OR_OK) {
		json_object_put(o);
		api_fail_db(a, req, resp, st);
		return;
	}
	http_json(resp, 200, o);
}
