/*
 * Writing audit rows from handlers: the actor comes from the principal, the
 * address and request id from the request.  An edit (before and after given)
 * is stored as its changed fields only, redacted by src/domain/audit_diff.c;
 * an event's object is redacted there too.  Callers pass JSON that never
 * holds secrets (no passwords, hashes, tokens or TOTP material); the
 * redaction drops such keys anyway as a second line of defence.
 */
#include <stdio.h>
#include <string.h>

#include "onramp/api.h"
#include "onramp/audit_diff.h"

static const char *
json_text(http_request *req, json_object *o)
{
	const char *text;

	if (o == NULL)
		return NULL;
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	return arena_strdup(req->arena, text);
}

/* The row's before and after: an edit's changed fields (audit_diff), or an event's redacted object. */
static size_t
row_objects(const char *action, json_object *before, json_object *after, json_object **ob, json_object **oa)
{
	if (before && after)
		return audit_diff(action, before, after, ob, oa);
	*ob = audit_redact(action, before);
	*oa = audit_redact(action, after);
	return 1;
}

or_status
api_audit(app *a, http_request *req, const char *action, int64_t customer_id, const char *object_type,
	  int64_t object_id, json_object *before, json_object *after)
{
	principal *p = api_principal(req);
	audit_entry e;
	json_object *ob = NULL, *oa = NULL;
	char oid[24];
	or_status st;

	memset(&e, 0, sizeof(e));
	e.actor_type = ACTOR_SYSTEM;
	e.actor_label = "anonymous request";
	if (p && p->realm == REALM_CUSTOMER) {
		e.actor_type = ACTOR_USER;
		e.actor_id = p->user.id;
		e.actor_label = p->user.username;
	} else if (p && p->realm == REALM_SSO_SETUP) {
		/* No user account: the link acts, named by the address it was sent to. */
		e.actor_type = ACTOR_SETUP_LINK;
		e.actor_id = p->link.id;
		e.actor_label = api_actor_label(req);
	} else if (p) {
		e.actor_type = ACTOR_OPERATOR;
		e.actor_id = p->op.id;
		e.actor_label = p->op.username;
	}
	snprintf(oid, sizeof(oid), "%lld", (long long)object_id);
	e.customer_id = customer_id;
	e.action = action;
	e.object_type = object_type;
	e.object_id = object_id ? oid : "";
	e.client_addr = req->remote_addr;
	e.request_id = req->request_id;
	/* An edit that changed nothing has nothing to record. */
	if (row_objects(action, before, after, &ob, &oa) == 0)
		return OR_OK;
	e.before_json = json_text(req, ob);
	e.after_json = json_text(req, oa);
	json_object_put(ob);
	json_object_put(oa);
	if ((before || after) && e.before_json == NULL && e.after_json == NULL)
		return OR_ERR_NOMEM;
	if ((st = store_audit_add(a->db, &e)) == OR_OK)
		req->audit_rows++;
	return st;
}

or_status
api_audit_edit(app *a, http_request *req, const char *action, int64_t customer_id, const char *object_type,
	       int64_t object_id, json_object *before, json_object *after)
{
	json_object *ob = NULL, *oa = NULL;

	if (audit_diff(action, before, after, &ob, &oa) == 0) {
		req->audit_noops++;
		return OR_OK;
	}
	json_object_put(ob);
	json_object_put(oa);
	return api_audit(a, req, action, customer_id, object_type, object_id, before, after);
}

or_status
api_audit_as_user(app *a, http_request *req, const user *u, const char *action)
{
	return api_audit_user_event(a, req, u, action, NULL);
}

or_status
api_audit_user_event(app *a, http_request *req, const user *u, const char *action, json_object *after)
{
	return api_audit_user_change(a, req, u, action, NULL, after);
}

or_status
api_audit_user_change(app *a, http_request *req, const user *u, const char *action, json_object *before,
		      json_object *after)
{
	principal p, *saved = req->principal;
	or_status st;

	memset(&p, 0, sizeof(p));
	p.realm = REALM_CUSTOMER;
	p.user = *u;
	req->principal = &p;
	st = api_audit(a, req, action, u->customer_id, "user", u->id, before, after);
	req->principal = saved;
	return st;
}

bool
api_commit(app *a, http_request *req, http_response *resp, or_status st)
{
	/* An armed Idempotency-Key request commits with its stored answer, in idem_finish. */
	if (st == OR_OK && idem_defer_commit(req))
		return true;
	/* An edit that changed nothing (api_audit_edit) is undone: no row, and the version stays. */
	if (st == OR_OK && req->audit_noops && req->audit_rows == 0) {
		db_rollback(a->db);
		return true;
	}
	if (st == OR_OK)
		st = db_commit(a->db);
	if (st == OR_OK)
		return true;
	db_rollback(a->db);
	api_fail_db(a, req, resp, st);
	return false;
}
