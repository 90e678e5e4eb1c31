/*
 * Writing audit rows from handlers: the actor comes from the principal, the
 * address and request id from the request.  Callers pass JSON that never
 * holds secrets (no passwords, hashes, tokens or TOTP material); redact()
 * drops such keys anyway as a second line of defence.
 */
#include <stdio.h>
#include <string.h>

#include "onramp/api.h"

static const char *const secret_keys[] = {
	"password", "password_hash", "new_password", "current_password", "temporary_password",
	"token", "totp", "totp_secret", "secret", "csrf_token", "reset_link", NULL
};

static const char *
redacted_text(http_request *req, json_object *o)
{
	json_object *copy = NULL;
	const char *text;
	char *out;
	size_t i;

	if (o == NULL)
		return NULL;
	if (json_object_deep_copy(o, &copy, NULL) != 0)
		return NULL;
	for (i = 0; secret_keys[i]; i++)
		if (json_object_object_get_ex(copy, secret_keys[i], NULL))
			json_object_object_add(copy, secret_keys[i], json_object_new_string("[redacted]"));
	text = json_object_to_json_string_ext(copy, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	out = arena_strdup(req->arena, text);
	json_object_put(copy);
	return out;
}

or_status
api_audit(app *a, http_request *req, const char *action, int64_t customer_id, const char *object_type,
	  int64_t object_id, json_object *before, json_object *after)
{
	principal *p = api_principal(req);
	audit_entry e;
	char oid[24];

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
	e.before_json = redacted_text(req, before);
	e.after_json = redacted_text(req, after);
	e.client_addr = req->remote_addr;
	e.request_id = req->request_id;
	return store_audit_add(a->db, &e);
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
	if (st == OR_OK)
		st = db_commit(a->db);
	if (st == OR_OK)
		return true;
	db_rollback(a->db);
	api_fail_db(a, req, resp, st);
	return false;
}
