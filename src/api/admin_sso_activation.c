/*
 * Operator: make a customer's approved SSO version live, or turn SSO sign-in
 * off (POST/DELETE /admin/api/v1/customers/{id}/sso/activation).  Sign-in
 * reads only the live copy, so an activation is the one moment the customer's
 * approved details start deciding who gets in.  What activation needs is
 * checked inside the transaction that makes the copy, after the customer's
 * go-live guard row is written (store_sso_approved_lock), which an approval
 * and a secret removal write too, so neither can slip between the check and
 * the copy, on one server or across Galera nodes.
 */
#include <stdio.h>
#include <string.h>

#include "onramp/api_operator.h"
#include "onramp/sso_store_operator.h"
#include "handlers.h"

/*
 * Every missing precondition as a field of the 409 (codes not_approved,
 * secret_missing, test_missing), so the operator sees all at once.  False
 * when something is missing or the store failed (*st says which).
 */
static bool
ready(app *a, http_request *req, http_response *resp, int64_t cid, sso_config *cfg, or_status *st)
{
	bool secret = true, tested = false;
	int64_t set_at;
	const char *set_by;

	if ((*st = store_sso_approved_lock(a->db, req->arena, cid, cfg)) == OR_ERR_NOT_FOUND) {
		*st = OR_OK;
		(void)http_field_error_add(req, resp, "approved_version", "not_approved",
					   "No SSO configuration is approved: approve a validated version in review first.");
		cfg->version = 0;
	}
	if (*st == OR_OK && (cfg->version == 0 || strcmp(cfg->protocol, "oidc") == 0))
		*st = store_sso_secret_status(a->db, req->arena, cid, &secret, &set_at, &set_by);
	if (*st == OR_OK && cfg->version > 0)
		*st = store_sso_test_passed(a->db, cid, cfg->version, &tested);
	if (*st != OR_OK)
		return false;
	if (!secret)
		(void)http_field_error_add(req, resp, "secret", "secret_missing",
					   "The customer has not set the OIDC client secret.");
	if (!tested)
		(void)http_field_error_add(req, resp, "test", "test_missing",
					   "No test sign-in of the approved version has passed.");
	return resp->fields == NULL;
}

json_object *
api_sso_activation_json(app *a, arena *ar, int64_t customer_id, or_status *st)
{
	sso_golive g;
	json_object *o;

	if ((*st = store_sso_golive_state(a->db, ar, customer_id, &g)) != OR_OK)
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "approved_version", g.approved_version ? json_object_new_int64(g.approved_version) : NULL);
	json_object_object_add(o, "approved_at", output_time(g.approved_at));
	json_object_object_add(o, "live_version", g.live_version ? json_object_new_int64(g.live_version) : NULL);
	json_object_object_add(o, "activated_at", output_time(g.activated_at));
	json_object_object_add(o, "activated_by", g.live_version ? output_str(g.activated_by) : NULL);
	json_object_object_add(o, "require_sso", json_object_new_boolean(g.require_sso));
	return o;
}

static void
answer(app *a, http_request *req, http_response *resp, int64_t cid)
{
	or_status st;
	json_object *o = api_sso_activation_json(a, req->arena, cid, &st);

	if (o == NULL) {
		api_fail_db(a, req, resp, st);
		return;
	}
	http_json(resp, 200, o);
}

void
api_admin_sso_activate(app *a, http_request *req, http_response *resp)
{
	principal *p = api_principal(req);
	const char *clash = NULL;
	json_object *after;
	sso_config cfg;
	customer c;
	or_status st;

	if (!api_path_customer(a, req, resp, &c))
		return;
	if ((st = db_begin(a->db)) != OR_OK) {
		api_fail_db(a, req, resp, st);
		return;
	}
	if (!ready(a, req, resp, c.id, &cfg, &st)) {
		db_rollback(a->db);
		if (st != OR_OK)
			api_fail_db(a, req, resp, st);
		else
			http_error(resp, 409, "conflict", "Single sign-on cannot go live yet: see what is missing.");
		return;
	}
	after = json_object_new_object();
	json_object_object_add(after, "version", json_object_new_int64(cfg.version));
	json_object_object_add(after, "protocol", json_object_new_string(cfg.protocol));
	if ((st = store_sso_activate(a->db, &cfg, p->op.id, api_now(req), &clash)) == OR_OK)
		st = api_audit(a, req, "sso.activate", c.id, "customer", c.id, NULL, after);
	json_object_put(after);
	if (st == OR_ERR_CONFLICT && clash) {
		char msg[320];
		db_rollback(a->db);
		(void)snprintf(msg, sizeof(msg), "%s already starts another customer's single sign-on.", clash);
		(void)http_field_error_add(req, resp, "email_domains", "domain_taken", msg);
		http_error(resp, 409, "conflict",
			   "An email domain of this configuration already starts another customer's single sign-on.");
		return;
	}
	if (api_commit(a, req, resp, st))
		answer(a, req, resp, c.id);
}

void
api_admin_sso_deactivate(app *a, http_request *req, http_response *resp)
{
	bool was_live = false;
	customer c;
	or_status st;

	if (!api_path_customer(a, req, resp, &c))
		return;
	if ((st = db_begin(a->db)) == OR_OK && (st = store_sso_deactivate(a->db, c.id, &was_live)) == OR_OK && was_live)
		st = api_audit(a, req, "sso.deactivate", c.id, "customer", c.id, NULL, NULL);
	if (api_commit(a, req, resp, st))
		answer(a, req, resp, c.id);
}
