/*
 * The onboarding checklist for the customer (GET /checklist, members too).
 */
#include <string.h>

#include "onramp/api.h"
#include "onramp/checklist.h"
#include "onramp/facts_cache.h"
#include "onramp/limits.h"
#include "handlers.h"

json_object *
api_checklist_gate_json(const checklist_entry *e)
{
	json_object *g = json_object_new_object();

	json_object_object_add(g, "message", json_object_new_string(checklist_gate_message(e)));
	json_object_object_add(g, "retryable", json_object_new_boolean(e->blocker && e->blocker->retryable));
	json_object_object_add(g, "cleared_by", json_object_new_string(checklist_gate_owner(e)));
	json_object_object_add(g, "next", json_object_new_string(checklist_gate_next(e)));
	return g;
}

static json_object *
entry_json(const checklist_entry *e, const review_note *note)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "key", json_object_new_string(checklist_item_key(e->item)));
	json_object_object_add(o, "title", json_object_new_string(checklist_item_title(e->item)));
	json_object_object_add(o, "state", json_object_new_string(checklist_state_name(e->state)));
	json_object_object_add(o, "hint", json_object_new_string(e->hint ? e->hint : ""));
	if (e->warning)
		json_object_object_add(o, "warning", json_object_new_string(e->warning));
	if (e->note)
		json_object_object_add(o, "note", json_object_new_string(e->note));
	if (e->live_since)
		json_object_object_add(o, "live_since", output_time(e->live_since));
	if (!checklist_entry_met(e))
		json_object_object_add(o, "gate", api_checklist_gate_json(e));
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

facts_cache *
api_facts_cache(app *a)
{
	if (a->facts_cache == NULL)
		a->facts_cache = facts_cache_new();	/* NULL again when out of memory: every read goes to the store */
	return a->facts_cache;
}

/*
 * The customer's facts and notes from this worker's cache when the version the
 * session statement read still matches, else from the store (then kept).
 */
static or_status
facts_get(app *a, http_request *req, int64_t customer_id, int64_t version, checklist_facts *f, review_note *notes)
{
	int64_t now = api_now(req);
	or_status st;

	facts_cache *fc = api_facts_cache(a);

	if (fc && facts_cache_get(fc, customer_id, version, now, req->arena, f, notes))
		return OR_OK;
	st = store_checklist_facts(a->db, req->arena, customer_id, now, f, notes);
	if (st == OR_OK && fc)
		facts_cache_put(fc, customer_id, version, now, f, notes);
	return st;
}

/*
 * A member cannot open the members list, so their checklist names whom to ask:
 * the customer's active admins.  Admins have the list, and their checklist
 * keeps its statement budget (tests/integration/test_statements.py).
 */
static or_status
add_admins(app *a, http_request *req, json_object *o)
{
	principal *p = api_principal(req);
	admin_contact found[LIMIT_ADMINS_SHOWN];
	json_object *list;
	size_t i, n;
	or_status st;

	if (p->user.role != ROLE_CUSTOMER_MEMBER)
		return OR_OK;
	st = store_admin_contacts(a->db, req->arena, p->user.customer_id, NULL, LIMIT_ADMINS_SHOWN, found, &n);
	if (st != OR_OK)
		return st;
	list = json_object_new_array();
	for (i = 0; i < n; i++)
		json_object_array_add(list, api_contact_json(&found[i]));
	json_object_object_add(o, "admins", list);
	return OR_OK;
}

void
api_checklist_get(app *a, http_request *req, http_response *resp)
{
	principal *p = api_principal(req);
	checklist_facts f;
	checklist c;
	review_note notes[ITEM_COUNT];
	json_object *o;
	or_status st = facts_get(a, req, p->user.customer_id, p->user.facts_version, &f, notes);

	if (st != OR_OK) {
		api_fail_db(a, req, resp, st);
		return;
	}
	f.now = api_now(req);
	checklist_derive(&f, &c);
	o = api_checklist_json(&c, notes);
	if ((st = add_admins(a, req, o)) != OR_OK) {
		json_object_put(o);
		api_fail_db(a, req, resp, st);
		return;
	}
	http_json(resp, 200, o);
}
