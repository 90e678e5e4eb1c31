/*
 * The onboarding checklist for the customer (GET /checklist, members too),
 * and the head of the SSO draft (GET/PUT /sso): the protocol, including
 * "not_required"; the SSO feature adds the protocol details behind it.
 */
#include <string.h>

#include "onramp/api.h"
#include "onramp/checklist.h"

void api_checklist_get(app *a, http_request *req, http_response *resp);
void api_sso_get(app *a, http_request *req, http_response *resp);
void api_sso_put(app *a, http_request *req, http_response *resp);

static json_object *
entry_json(const checklist_entry *e, const review_note *note)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "key", json_object_new_string(checklist_item_key(e->item)));
	json_object_object_add(o, "title", json_object_new_string(checklist_item_title(e->item)));
	json_object_object_add(o, "state", json_object_new_string(checklist_state_name(e->state)));
	json_object_object_add(o, "hint", json_object_new_string(e->hint ? e->hint : ""));
	if (e->blocker) {
		json_object *b = json_object_new_object();
		json_object_object_add(b, "category", json_object_new_string(checklist_category_name(e->blocker->category)));
		json_object_object_add(b, "message", json_object_new_string(e->blocker->message ? e->blocker->message : ""));
		json_object_object_add(b, "retryable", json_object_new_boolean(e->blocker->retryable));
		json_object_object_add(o, "blocker", b);
	}
	if (note && note->state) {
		json_object *r = json_object_new_object();
		json_object_object_add(r, "state", json_object_new_string(note->state));
		json_object_object_add(r, "comment", note->comment ? json_object_new_string(note->comment) : NULL);
		json_object_object_add(r, "decided_at", output_time(note->decided_at));
		json_object_object_add(o, "review", r);
	}
	return o;
}

json_object *
api_checklist_json(const checklist *c, const review_note *notes)
{
	json_object *o = json_object_new_object(), *items = json_object_new_array(), *done = json_object_new_array();
	int i;

	for (i = 0; i < ITEM_COUNT; i++) {
		json_object *d = json_object_new_object();
		json_object_array_add(items, entry_json(&c->entries[i], notes ? &notes[i] : NULL));
		json_object_object_add(d, "key", json_object_new_string(checklist_done_when_key(c->entries[i].item)));
		json_object_object_add(d, "met", json_object_new_boolean(checklist_entry_met(&c->entries[i])));
		json_object_array_add(done, d);
	}
	json_object_object_add(o, "items", items);
	json_object_object_add(o, "done_when", done);
	json_object_object_add(o, "ready", json_object_new_boolean(c->ready));
	return o;
}

void
api_checklist_get(app *a, http_request *req, http_response *resp)
{
	principal *p = api_principal(req);
	checklist_facts f;
	checklist c;
	review_note notes[ITEM_COUNT];
	or_status st = store_checklist_facts(a->db, req->arena, p->user.customer_id, &f);

	if (st == OR_OK)
		st = store_review_latest(a->db, req->arena, p->user.customer_id, notes);
	if (st != OR_OK) {
		app_fail(a, req, resp, st, db_last_error(a->db));
		return;
	}
	checklist_derive(&f, &c);
	http_json(resp, 200, api_checklist_json(&c, notes));
}

static json_object *
sso_json(const sso_head *h)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "protocol", h->protocol ? json_object_new_string(h->protocol) : NULL);
	json_object_object_add(o, "review_state", json_object_new_string(h->review ? h->review : "none"));
	json_object_object_add(o, "version", json_object_new_int64(h->version));
	json_object_object_add(o, "updated_at", output_time(h->updated_at));
	return o;
}

void
api_sso_get(app *a, http_request *req, http_response *resp)
{
	principal *p = api_principal(req);
	sso_head h;
	or_status st = store_sso_get(a->db, req->arena, p->user.customer_id, &h);

	if (st != OR_OK) {
		app_fail(a, req, resp, st, db_last_error(a->db));
		return;
	}
	http_json(resp, 200, sso_json(&h));
}

void
api_sso_put(app *a, http_request *req, http_response *resp)
{
	static const char *const allowed[] = { "protocol", "version", NULL };
	principal *p = api_principal(req);
	const char *protocol;
	int64_t version;
	bool has_version;
	sso_head h;
	json_object *after;
	or_status st;

	if (!input_allowed(req, resp, allowed))
		return;
	protocol = input_string(req, resp, "protocol", true, 16);
	version = input_int(req, resp, "version", true, 0, INT32_MAX, &has_version);
	if (protocol && strcmp(protocol, "oidc") != 0 && strcmp(protocol, "saml") != 0 &&
	    strcmp(protocol, "not_required") != 0)
		(void)http_field_error_add(req, resp, "protocol", "invalid_choice", "Choose oidc, saml or not_required.");
	if (!input_ok(resp))
		return;
	after = json_object_new_object();
	json_object_object_add(after, "protocol", json_object_new_string(protocol));
	if ((st = db_begin(a->db)) == OR_OK &&
	    (st = store_sso_set_protocol(a->db, p->user.customer_id, protocol, version)) == OR_OK)
		st = api_audit(a, req, "sso.protocol_set", p->user.customer_id, "customer", p->user.customer_id, NULL, after);
	json_object_put(after);
	if (st == OR_OK)
		st = db_commit(a->db);
	if (st == OR_OK)
		st = store_sso_get(a->db, req->arena, p->user.customer_id, &h);
	if (st != OR_OK) {
		db_rollback(a->db);
		app_fail(a, req, resp, st, db_last_error(a->db));
		return;
	}
	http_json(resp, 200, sso_json(&h));
}
