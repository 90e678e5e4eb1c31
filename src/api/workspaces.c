/*
 * "Create" (POST/GET /workspaces) of the customer console.  Create is gated
 * by the same checklist rules GET /checklist shows: when anything is
 * unfinished it answers 409 setup_blocked listing every gate, and the
 * refused attempt is audited so a support request (support_requests.c) can
 * name it as the last action.
 */
#include <ctype.h>
#include <string.h>

#include "onramp/api.h"
#include "onramp/limits.h"
#include "handlers.h"

json_object *
api_workspace_request_json(const workspace_request *w)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "id", output_id(w->id));
	json_object_object_add(o, "name", json_object_new_string(w->name ? w->name : ""));
	json_object_object_add(o, "state", json_object_new_string(w->state ? w->state : "queued"));
	json_object_object_add(o, "requested_by", w->requested_by ? json_object_new_string(w->requested_by) : NULL);
	json_object_object_add(o, "created_at", output_time(w->created_at));
	return o;
}

/* One gate per unfinished item, in checklist order. */
static json_object *
gates_json(const checklist *c)
{
	json_object *arr = json_object_new_array();
	int i;

	for (i = 0; i < ITEM_COUNT; i++) {
		const checklist_entry *e = &c->entries[i];
		json_object *g;
		if (checklist_entry_met(e))
			continue;
		g = api_checklist_gate_json(e);	/* message, retryable, cleared_by, next: as GET /checklist */
		json_object_object_add(g, "key", json_object_new_string(checklist_item_key(e->item)));
		json_object_object_add(g, "title", json_object_new_string(checklist_item_title(e->item)));
		json_object_object_add(g, "state", json_object_new_string(checklist_state_name(e->state)));
		if (e->blocker)
			json_object_object_add(g, "category",
					       json_object_new_string(checklist_category_name(e->blocker->category)));
		json_object_array_add(arr, g);
	}
	return arr;
}

static void
refuse(app *a, http_request *req, http_response *resp, const checklist *c)
{
	json_object *gates = gates_json(c), *after = json_object_new_object(), *keys = json_object_new_array();
	size_t i;

	for (i = 0; i < json_object_array_length(gates); i++) {
		json_object *k = NULL;
		json_object_object_get_ex(json_object_array_get_idx(gates, i), "key", &k);
		json_object_array_add(keys, json_object_get(k));
	}
	json_object_object_add(after, "gates", keys);
	/* A failed audit write must not hide the answer the customer needs. */
	(void)api_audit(a, req, "workspace.create_refused", api_principal(req)->user.customer_id, "customer",
			api_principal(req)->user.customer_id, NULL, after);
	json_object_put(after);
	http_error(resp, 409, "setup_blocked",
		   "Account setup is not finished: the first workspace can be created once every gate below is cleared.");
	resp->error_members = json_object_new_object();
	json_object_object_add(resp->error_members, "gates", gates);
}

/*
 * Record the request, or find the customer's queued request of that name:
 * "the same request twice creates one" whatever the Idempotency-Key (a
 * double click, a second tab).  Only a new request is audited.
 */
static or_status
record(app *a, http_request *req, const principal *p, workspace_request *w, bool *added)
{
	json_object *after;
	bool found = false;
	or_status st = store_workspace_request_add(a->db, p->user.customer_id, w->name, p->user.id, &w->id, added);

	if (st == OR_OK && !*added) {
		st = store_workspace_request_get(a->db, req->arena, p->user.customer_id, w->id, w, &found);
		return st == OR_OK && !found ? OR_ERR_INTERNAL : st;
	}
	if (st != OR_OK)
		return st;
	after = json_object_new_object();
	json_object_object_add(after, "name", json_object_new_string(w->name));
	st = api_audit(a, req, "workspace.create_requested", p->user.customer_id, "workspace_request", w->id, NULL,
		       after);
	json_object_put(after);
	return st;
}

void
api_workspace_create(app *a, http_request *req, http_response *resp)
{
	static const char *const allowed[] = { "name", NULL };
	principal *p = api_principal(req);
	const char *name;
	checklist_facts f;
	checklist c;
	workspace_request w;
	json_object *o;
	bool added = false;
	or_status st;

	if (!input_allowed(req, resp, allowed))
		return;
	name = input_string(req, resp, "name", false, LIMIT_WORKSPACE_NAME);
	if (name == NULL)
		name = "first-workspace";
	else if (!identity_slug_ok(name))
		(void)http_field_error_add(req, resp, "name", "invalid",
					   "Use 1 to 63 lowercase letters, digits and dashes, not starting or ending with a dash.");
	if (!input_ok(resp))
		return;
	/* The facts are read inside the transaction that records the request. */
	if ((st = db_begin(a->db)) == OR_OK && (st = store_checklist_facts(a->db, req->arena, p->user.customer_id, api_now(req), &f, NULL)) == OR_OK) {
		f.now = api_now(req);
		checklist_derive(&f, &c);
	}
	if (st == OR_OK && !c.ready) {
		db_rollback(a->db);
		refuse(a, req, resp, &c);
		return;
	}
	memset(&w, 0, sizeof(w));
	w.name = name;
	w.state = "queued";
	w.requested_by = p->user.username;
	w.created_at = api_now(req);
	if (st == OR_OK)
		st = record(a, req, p, &w, &added);
	if (!api_commit(a, req, resp, st))
		return;
	o = json_object_new_object();
	json_object_object_add(o, "workspace_request", api_workspace_request_json(&w));
	json_object_object_add(o, "already_queued", json_object_new_boolean(!added));
	http_json(resp, 202, o);
}

void
api_workspaces_list(app *a, http_request *req, http_response *resp)
{
	principal *p = api_principal(req);
	workspace_request *ws;
	size_t n, i;
	json_object *o, *arr;
	or_status st = store_workspace_requests(a->db, req->arena, p->user.customer_id, 50, &ws, &n);

	if (st != OR_OK) {
		api_fail_db(a, req, resp, st);
		return;
	}
	o = json_object_new_object();
	arr = json_object_new_array();
	for (i = 0; i < n; i++)
		json_object_array_add(arr, api_workspace_request_json(&ws[i]));
	json_object_object_add(o, "workspace_requests", arr);
	http_json(resp, 200, o);
}
