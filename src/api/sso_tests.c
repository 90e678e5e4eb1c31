/*
 * Test sign-ins (POST /api/v1/sso/tests, GET /api/v1/sso/tests/{id}): a
 * customer admin (or the IT admin holding a setup link) signs in at the IdP
 * against the validated draft before anything goes live.  The callback
 * completes the protocol as a real sign-in would, then judges the identity
 * with the same rules (sso_rules_evaluate) and stores what it found: the
 * claims, the test user matched, the role, every check.  A test never
 * creates a session and never stores a token or a code.
 */
#include <stdio.h>
#include <string.h>

#include "onramp/sso_rules.h"
#include "onramp/sso_store.h"
#include "onramp/sso_validate.h"
#include "handlers.h"
#include "sso_flow.h"

/* {subject, email, email_verified, username, groups[]} as the IdP gave them. */
static json_object *
claims_json(const oidc_identity *id)
{
	json_object *o = json_object_new_object(), *g = json_object_new_array();
	size_t i;

	json_object_object_add(o, "subject", output_str(id->sub));
	json_object_object_add(o, "email", output_str(id->email));
	json_object_object_add(o, "email_verified",
			       id->email_verified < 0 ? NULL : json_object_new_boolean(id->email_verified == 1));
	json_object_object_add(o, "username", output_str(id->username));
	for (i = 0; i < id->ngroups; i++)
		json_object_array_add(g, json_object_new_string(id->groups[i]));
	json_object_object_add(o, "groups", id->has_groups ? g : NULL);
	if (!id->has_groups)
		json_object_put(g);
	return o;
}

/* The counts of every row shown (protocol checks, then the verdict's), by the one rule of sso_checks_count. */
static json_object *
rows_counts(arena *ar, const sso_report *r, const sso_verdict *v)
{
	sso_check *all = arena_calloc(ar, r->nchecks + v->nchecks + 1, sizeof(sso_check));

	if (all == NULL)
		return NULL;
	if (r->nchecks)
		memcpy(all, r->checks, r->nchecks * sizeof(sso_check));
	if (v->nchecks)
		memcpy(all + r->nchecks, v->checks, v->nchecks * sizeof(sso_check));
	return sso_counts_json(all, r->nchecks + v->nchecks);
}

/*
 * The stored result: the verdict as the admission shows it (api_sso_verdict_json,
 * the same rules a real sign-in applies) with the protocol checks in front, and
 * the claims.  When the protocol failed there is no identity to judge.
 */
static json_object *
result_json(arena *ar, const sso_config *cfg, const sso_report *r, const oidc_identity *id, bool *passed)
{
	json_object *o, *checks = sso_checks_json(json_object_new_array(), r->checks, r->nchecks), *vc = NULL;
	sso_verdict v;
	size_t i;

	memset(&v, 0, sizeof(v));
	if (id)
		sso_rules_evaluate(ar, cfg, id, &v);
	*passed = id != NULL && v.ok;
	o = api_sso_verdict_json(&v);
	if (json_object_object_get_ex(o, "checks", &vc))
		for (i = 0; i < json_object_array_length(vc); i++)
			json_object_array_add(checks, json_object_get(json_object_array_get_idx(vc, i)));
	json_object_object_add(o, "checks", checks);
	json_object_object_add(o, "counts", rows_counts(ar, r, &v));
	json_object_object_add(o, "ok", json_object_new_boolean(*passed));
	json_object_object_add(o, "claims", id ? claims_json(id) : NULL);
	if (id == NULL)
		json_object_object_add(o, "role", NULL);
	return o;
}

void
sso_tests_finish(app *a, http_request *req, http_response *resp, const sso_config *cfg, const sso_pending *p,
		 const sso_report *r, const oidc_identity *id)
{
	bool passed = false;
	json_object *res = result_json(req->arena, cfg, r, cfg ? id : NULL, &passed), *after;
	const char *text = json_object_to_json_string_ext(res, JSON_C_TO_STRING_PLAIN), *page = "/";
	sso_test t;
	char loc[64];
	or_status st = db_begin(a->db);

	if (st == OR_OK)
		st = store_sso_test_finish(a->db, p->customer_id, p->test_id, passed, text, api_now(req));
	if (st == OR_OK) {
		after = json_object_new_object();
		json_object_object_add(after, "state", json_object_new_string(passed ? "passed" : "failed"));
		json_object_object_add(after, "version", json_object_new_int64(p->version));
		st = api_audit(a, req, "sso.test_finished", p->customer_id, "sso_test", p->test_id, NULL, after);
		json_object_put(after);
	}
	json_object_put(res);
	if (!api_commit(a, req, resp, st))
		return;
	/* Back to the page the test was started from: the console, or a setup-link holder's page. */
	if (store_sso_test_get(a->db, req->arena, p->customer_id, p->test_id, &t) == OR_OK &&
	    strncmp(t.started_by, API_SETUP_LINK_LABEL, strlen(API_SETUP_LINK_LABEL)) == 0)
		page = "/sso-setup.html";
	snprintf(loc, sizeof(loc), "%s#sso-test-%lld", page, (long long)p->test_id);
	http_see_other(req, resp, loc);
}

/* What a test needs: a validated draft, and for OIDC the secret; 409 naming every missing thing. */
static bool
ready(app *a, http_request *req, http_response *resp, int64_t cid, sso_config *cfg)
{
	sso_draft d;
	bool set = false, saml;
	int64_t set_at = 0;
	const char *set_by = NULL;
	or_status st = store_sso_draft_get(a->db, req->arena, cid, &d), vst = OR_OK;

	saml = st == OR_OK && d.protocol && strcmp(d.protocol, "saml") == 0;
	if (st == OR_OK && (vst = store_sso_validated_get(a->db, req->arena, cid, cfg)) != OR_ERR_CONFLICT &&
	    vst != OR_ERR_NOT_FOUND)
		st = vst;
	/* SAML has no client secret: the IdP signs with the key its metadata publishes. */
	if (st == OR_OK && !saml)
		st = store_sso_secret_status(a->db, req->arena, cid, &set, &set_at, &set_by);
	if (st != OR_OK) {
		api_fail_db(a, req, resp, st);
		return false;
	}
	if (vst == OR_OK && (set || saml)) {
		cfg->customer_id = cid;
		return true;
	}
	http_error(resp, 409, "conflict", saml ? "A test sign-in needs a validated SAML draft."
					       : "A test sign-in needs a validated OIDC draft and the client secret.");
	if (vst != OR_OK)
		(void)http_field_error_add(req, resp, "validation", "not_validated",
					   saml ? "Validate the current SAML details first (POST /sso/validate)."
						: "Validate the current OIDC details first (POST /sso/validate).");
	if (!set && !saml)
		(void)http_field_error_add(req, resp, "client_secret", "secret_missing",
					   "Set the client secret first (PUT /sso/secret).");
	return false;
}

void
api_sso_test_create(app *a, http_request *req, http_response *resp)
{
	int64_t cid = api_customer_id(req), id = 0;
	const char *url = NULL;
	sso_config cfg;
	json_object *o, *after;
	or_status st;

	if (!ready(a, req, resp, cid, &cfg))
		return;
	if ((st = db_begin(a->db)) == OR_OK &&
	    (st = store_sso_test_create(a->db, cid, cfg.protocol, cfg.version, api_actor_label(req), api_now(req), &id)) ==
		    OR_OK &&
	    (st = sso_flow_begin(a, req, resp, &cfg, "test", id, NULL, &url)) == OR_OK) {
		after = json_object_new_object();
		json_object_object_add(after, "version", json_object_new_int64(cfg.version));
		st = api_audit(a, req, "sso.test_started", cid, "sso_test", id, NULL, after);
		json_object_put(after);
	}
	if (!api_commit(a, req, resp, st))
		return;
	o = json_object_new_object();
	json_object_object_add(o, "id", output_id(id));
	json_object_object_add(o, "redirect_url", json_object_new_string(url));
	http_json(resp, 201, o);
}

json_object *
api_sso_test_json(const sso_test *t)
{
	json_object *o = json_object_new_object(), *res = t->result ? json_tokener_parse(t->result) : NULL;
	static const char *const from_result[] = { "claims", "matched_test_user", "role", "checks", "counts", NULL };
	size_t i;

	json_object_object_add(o, "id", output_id(t->id));
	json_object_object_add(o, "state", json_object_new_string(t->state));
	json_object_object_add(o, "protocol", json_object_new_string(t->protocol));
	json_object_object_add(o, "version", json_object_new_int64(t->version));
	json_object_object_add(o, "started_by", json_object_new_string(t->started_by));
	for (i = 0; from_result[i]; i++) {
		json_object *v = NULL;
		if (res && json_object_object_get_ex(res, from_result[i], &v))
			json_object_get(v);
		else if (strcmp(from_result[i], "checks") == 0)
			v = json_object_new_array();
		json_object_object_add(o, from_result[i], v);
	}
	json_object_object_add(o, "created_at", output_time(t->created_at));
	json_object_object_add(o, "finished_at", output_time(t->finished_at));
	if (res)
		json_object_put(res);
	return o;
}

json_object *
api_sso_latest_test_json(app *a, arena *ar, int64_t customer_id, or_status *st)
{
	sso_test t;

	*st = store_sso_test_latest(a->db, ar, customer_id, &t);
	if (*st == OR_ERR_NOT_FOUND) {
		*st = OR_OK;
		return NULL;
	}
	return *st == OR_OK ? api_sso_test_json(&t) : NULL;
}

void
api_sso_test_get(app *a, http_request *req, http_response *resp)
{
	int64_t id;
	sso_test t;
	or_status st;

	if (!input_path_id(req, resp, 0, &id))
		return;
	if ((st = store_sso_test_get(a->db, req->arena, api_customer_id(req), id, &t)) != OR_OK) {
		api_fail_db(a, req, resp, st);
		return;
	}
	http_json(resp, 200, api_sso_test_json(&t));
}
