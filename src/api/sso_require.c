/*
 * PUT /api/v1/sso/require: the customer admin's "require single sign-on"
 * setting.  It is not part of the reviewed draft (no version, no review):
 * it can be set at any time and takes effect only while SSO is live, when
 * password sign-in of the customer's members is refused (src/api/signin.c)
 * and their forgot-password mail points to SSO (src/mail/reset_mail.c).
 * Customer admins keep password sign-in as the break-glass path.
 */
#include "onramp/api.h"
#include "onramp/sso_store.h"
#include "handlers.h"

void
api_sso_require_put(app *a, http_request *req, http_response *resp)
{
	static const char *const allowed[] = { "require_sso", NULL };
	int64_t cid = api_customer_id(req);
	json_object *v, *after, *o;
	bool require, effective = false;
	or_status st;

	if (!input_allowed(req, resp, allowed))
		return;
	if (!json_object_object_get_ex(req->json, "require_sso", &v) || !json_object_is_type(v, json_type_boolean))
		(void)http_field_error_add(req, resp, "require_sso", "required", "Send true or false.");
	if (!input_ok(resp))
		return;
	require = json_object_get_boolean(v);
	after = json_object_new_object();
	json_object_object_add(after, "require_sso", json_object_new_boolean(require));
	if ((st = db_begin(a->db)) == OR_OK && (st = store_sso_require_set(a->db, cid, require)) == OR_OK &&
	    (st = api_audit(a, req, "sso.require", cid, "customer", cid, NULL, after)) == OR_OK)
		st = store_sso_required(a->db, cid, &effective);
	json_object_put(after);
	if (!api_commit(a, req, resp, st))
		return;
	o = json_object_new_object();
	json_object_object_add(o, "require_sso", json_object_new_boolean(require));
	/* Saying whether it applies now: a setting that silently does nothing until go-live would mislead. */
	json_object_object_add(o, "in_effect", json_object_new_boolean(effective));
	http_json(resp, 200, o);
}
