/*
 * Support requests of the customer console (POST /api/v1/support-requests).
 * A support request composes what the customer sees (customer name,
 * checklist item, its message, the last action) with the customer's own
 * secret-scanned text.
 */
#include <string.h>

#include "onramp/api.h"
#include "onramp/limits.h"
#include "onramp/mailtext.h"
#include "onramp/timefmt.h"
#include "handlers.h"

#define SUPPORT_MESSAGE_MAX 4000

/* The item the request is about: the one named, else the first blocked, else the first unfinished. */
static const checklist_entry *
pick_item(const checklist *c, const char *key)
{
	checklist_item it;
	int i;

	if (key)
		return checklist_item_parse(key, &it) ? &c->entries[it] : NULL;
	for (i = 0; i < ITEM_COUNT; i++)
		if (c->entries[i].state == STATE_BLOCKED)
			return &c->entries[i];
	for (i = 0; i < ITEM_COUNT; i++)
		if (!checklist_entry_met(&c->entries[i]))
			return &c->entries[i];
	return NULL;
}

static json_object *
support_json(const support_request *r, const char *item_title)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "id", output_id(r->id));
	json_object_object_add(o, "customer_name", json_object_new_string(r->customer_name ? r->customer_name : ""));
	json_object_object_add(o, "item", r->item ? json_object_new_string(r->item) : NULL);
	json_object_object_add(o, "item_title", item_title ? json_object_new_string(item_title) : NULL);
	json_object_object_add(o, "visible_message", r->visible_message ? json_object_new_string(r->visible_message) : NULL);
	json_object_object_add(o, "last_action", r->last_action ? json_object_new_string(r->last_action) : NULL);
	/* What the page shows: the code above is the audit trail's word, not the customer's. */
	json_object_object_add(o, "last_action_text",
			       r->last_action ? json_object_new_string(mailtext_action_sentence(r->last_action)) : NULL);
	json_object_object_add(o, "last_action_at", output_time(r->last_action_at));
	json_object_object_add(o, "message", r->message ? json_object_new_string(r->message) : NULL);
	json_object_object_add(o, "created_at", output_time(r->created_at));
	return o;
}

static or_status
mail_support(app *a, http_request *req, const support_request *r, const char *item_title)
{
	char at[TIMEFMT_RFC3339_LEN];
	mailtext_support ms;
	mailtext mt;
	outbox_mail m = { r->customer_id, "support_request", r->id, a->cfg->support_email, &mt };
	or_status st;

	if (a->cfg->support_email[0] == '\0')
		return OR_OK;
	memset(&ms, 0, sizeof(ms));
	ms.id = r->id;
	ms.customer_name = r->customer_name;
	ms.requested_by = api_principal(req)->user.username;
	ms.item_title = item_title;
	ms.visible_message = r->visible_message;
	ms.last_action = r->last_action;
	if (r->last_action_at) {
		timefmt_rfc3339(r->last_action_at, at);
		ms.last_action_at = at;
	}
	ms.message = r->message;
	if ((st = mailtext_support_request(req->arena, &ms, &mt)) != OR_OK)
		return st;
	return store_outbox_add(a->db, &m, NULL);
}

/* Compose the request from what the customer sees now. */
static or_status
compose(app *a, http_request *req, const char *key, support_request *r, const char **title, bool *bad_item)
{
	principal *p = api_principal(req);
	checklist_facts f;
	checklist c;
	customer cust;
	const checklist_entry *e;
	or_status st = store_customer_get(a->db, req->arena, p->user.customer_id, &cust);

	if (st == OR_OK)
		st = store_checklist_facts(a->db, req->arena, p->user.customer_id, api_now(req), &f, NULL);
	if (st == OR_OK)
		st = store_last_action(a->db, req->arena, p->user.customer_id, &r->last_action, &r->last_action_at);
	if (st != OR_OK)
		return st;
	f.now = api_now(req);
	checklist_derive(&f, &c);
	e = pick_item(&c, key);
	*bad_item = key && e == NULL;
	r->customer_id = cust.id;
	r->customer_name = cust.name;
	if (e) {
		r->item = checklist_item_key(e->item);
		*title = checklist_item_title(e->item);
		r->visible_message = checklist_entry_met(e) ? "Done." : checklist_gate_message(e);
	}
	return OR_OK;
}

void
api_support_create(app *a, http_request *req, http_response *resp)
{
	static const char *const allowed[] = { "item", "message", NULL };
	principal *p = api_principal(req);
	const char *key, *title = NULL;
	support_request r;
	json_object *after, *o;
	bool bad_item = false;
	or_status st;

	if (!input_allowed(req, resp, allowed))
		return;
	memset(&r, 0, sizeof(r));
	key = input_string(req, resp, "item", false, LIMIT_CHOICE_BYTES);
	(void)input_text_member(a, req, resp, req->json, "message", "message", SUPPORT_MESSAGE_MAX, &r.message);
	if (!input_ok(resp))
		return;
	if ((st = db_begin(a->db)) == OR_OK)
		st = compose(a, req, key, &r, &title, &bad_item);
	if (st == OR_OK && bad_item) {
		db_rollback(a->db);
		(void)http_field_error_add(req, resp, "item", "invalid_choice", "Name a checklist item, e.g. billing.");
		(void)input_ok(resp);
		return;
	}
	r.created_at = api_now(req);
	after = json_object_new_object();
	json_object_object_add(after, "item", r.item ? json_object_new_string(r.item) : NULL);
	if (st == OR_OK && (st = store_support_add(a->db, p->user.id, &r, &r.id)) == OR_OK &&
	    (st = mail_support(a, req, &r, title)) == OR_OK)
		st = api_audit(a, req, "support.request", r.customer_id, "support_request", r.id, NULL, after);
	json_object_put(after);
	if (!api_commit(a, req, resp, st))
		return;
	o = json_object_new_object();
	json_object_object_add(o, "support_request", support_json(&r, title));
	http_json(resp, 201, o);
}
