/*
 * Reading the audit trail (operators and auditors): newest first, optionally
 * for one customer, paged by id.
 */
#include "onramp/api_operator.h"
#include "onramp/limits.h"
#include "handlers.h"

void
api_admin_audit_list(app *a, http_request *req, http_response *resp)
{
	const char *cust = input_query(req, "customer"), *before_s = input_query(req, "before");
	long long customer_id = 0, before = 0;
	long limit;
	int64_t ignored;
	audit_entry *es;
	size_t n, i;
	json_object *o, *arr;
	or_status st;

	if (!input_page(req, resp, LIMIT_AUDIT_PAGE_DEFAULT, LIMIT_AUDIT_PAGE_MAX, &limit, &ignored))
		return;
	if ((cust && str_to_ll(str_from_c(cust), 1, INT64_MAX, &customer_id) != OR_OK) ||
	    (before_s && str_to_ll(str_from_c(before_s), 1, INT64_MAX, &before) != OR_OK)) {
		http_error(resp, 400, "bad_request", "customer and before must be ids.");
		return;
	}
	if (customer_id)
		st = store_audit_list(a->db, req->arena, customer_id, before, limit, &es, &n);
	else
		st = store_audit_list_any(a->db, req->arena, before, limit, &es, &n);
	if (st != OR_OK) {
		api_fail_db(a, req, resp, st);
		return;
	}
	o = json_object_new_object();
	arr = json_object_new_array();
	for (i = 0; i < n; i++) {
		json_object *e = json_object_new_object();
		json_object_object_add(e, "id", output_id(es[i].id));
		json_object_object_add(e, "at", output_time(es[i].at));
		json_object_object_add(e, "actor_type", json_object_new_string(store_audit_actor_name(es[i].actor_type)));
		json_object_object_add(e, "actor_id", es[i].actor_id ? output_id(es[i].actor_id) : NULL);
		json_object_object_add(e, "actor", json_object_new_string(es[i].actor_label ? es[i].actor_label : ""));
		json_object_object_add(e, "customer_id", es[i].customer_id ? output_id(es[i].customer_id) : NULL);
		json_object_object_add(e, "action", json_object_new_string(es[i].action ? es[i].action : ""));
		json_object_object_add(e, "object_type", json_object_new_string(es[i].object_type ? es[i].object_type : ""));
		json_object_object_add(e, "object_id", json_object_new_string(es[i].object_id ? es[i].object_id : ""));
		json_object_object_add(e, "before", es[i].before_json ? json_tokener_parse(es[i].before_json) : NULL);
		json_object_object_add(e, "after", es[i].after_json ? json_tokener_parse(es[i].after_json) : NULL);
		json_object_object_add(e, "client_addr", json_object_new_string(es[i].client_addr ? es[i].client_addr : ""));
		json_object_object_add(e, "request_id", json_object_new_string(es[i].request_id ? es[i].request_id : ""));
		json_object_array_add(arr, e);
	}
	json_object_object_add(o, "entries", arr);
	json_object_object_add(o, "next_before", n == (size_t)limit && n ? output_id(es[n - 1].id) : NULL);
	http_json(resp, 200, o);
}
