/*
 * Support requests as operators read them (GET /admin/api/v1/support-requests,
 * optionally of one customer); customers file them in support_requests.c.
 */
#include "onramp/api_operator.h"
#include "onramp/checklist.h"
#include "onramp/limits.h"
#include "handlers.h"

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

void
api_admin_support_list(app *a, http_request *req, http_response *resp)
{
	support_request *sr;
	int64_t cid, after;
	long limit;
	size_t n, i;
	json_object *o, *arr;
	or_status st;

	if (!api_customer_param(req, resp, &cid) || !input_page(req, resp, LIMIT_PAGE_DEFAULT, LIMIT_PAGE_MAX, &limit, &after))
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
