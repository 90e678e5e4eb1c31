/*
 * SSO validations as jobs: POST /sso/validate queues one for the saved
 * draft's version and answers 202 at once; onramp-fetcher fetches, checks
 * and stores the report; GET /sso/validations/{id} says where it stands and
 * carries the report once done.  Request workers never wait on an identity
 * provider (DESIGN.md): one slow IdP can no longer hold a worker.  The
 * per-customer cap (one active job) is the table's unique index; the
 * overall cap is the fetcher's number of runners.
 */
#include <stdio.h>
#include <string.h>

#include "onramp/api.h"
#include "onramp/sso_jobs.h"
#include "handlers.h"

static json_object *
job_json(const sso_job *j)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "id", output_id(j->id));
	json_object_object_add(o, "state", output_str(j->state));
	json_object_object_add(o, "version", json_object_new_int64(j->version));
	json_object_object_add(o, "created_at", output_time(j->created_at));
	json_object_object_add(o, "started_at", output_time(j->started_at));
	json_object_object_add(o, "finished_at", output_time(j->finished_at));
	if (j->report_ok >= 0)
		json_object_object_add(o, "ok", json_object_new_boolean(j->report_ok));
	if (j->error_code) {
		json_object *e = json_object_new_object();
		json_object_object_add(e, "code", output_str(j->error_code));
		json_object_object_add(e, "message", output_str(j->error_message));
		json_object_object_add(o, "error", e);
	}
	return o;
}

json_object *
api_sso_latest_job_json(app *a, arena *ar, int64_t customer_id, or_status *st)
{
	sso_job j;
	bool found = false;

	*st = store_sso_job_latest(a->db, ar, customer_id, &j, &found);
	return *st == OR_OK && found ? job_json(&j) : NULL;
}

void
api_sso_validate(app *a, http_request *req, http_response *resp)
{
	principal *p = api_principal(req);
	sso_job_request rq = { api_customer_id(req), 0, p->user.id, req->request_id, api_now(req) };
	sso_draft d;
	sso_job j;
	json_object *o, *after;
	bool changed = false;
	char loc[64];
	or_status st = store_sso_draft_get(a->db, req->arena, rq.customer_id, &d);

	if (st != OR_OK) {
		api_fail_db(a, req, resp, st);
		return;
	}
	if (d.protocol == NULL || strcmp(d.protocol, "not_required") == 0) {
		http_error(resp, 409, "conflict", "Save the SSO details (OIDC or SAML) before validating them.");
		return;
	}
	rq.version = d.version;
	if ((st = db_begin(a->db)) == OR_OK && (st = store_sso_job_enqueue(a->db, req->arena, &rq, &j, &changed)) == OR_OK &&
	    changed) {
		after = json_object_new_object();
		json_object_object_add(after, "version", json_object_new_int64(j.version));
		st = api_audit(a, req, "sso.validation_requested", rq.customer_id, "sso_validation", j.id, NULL, after);
		json_object_put(after);
	}
	if (!api_commit(a, req, resp, st))
		return;
	snprintf(loc, sizeof(loc), "/api/v1/sso/validations/%lld", (long long)j.id);
	if (http_header_add(req, resp, "Location", loc) != OR_OK) {
		app_fail(a, req, resp, OR_ERR_NOMEM, "location header");
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "validation", job_json(&j));
	http_json(resp, 202, o);
}

void
api_sso_validation_get(app *a, http_request *req, http_response *resp)
{
	int64_t cid = api_customer_id(req), id;
	sso_job j;
	sso_draft d;
	json_object *o;
	or_status st;

	if (!input_path_id(req, resp, 0, &id))
		return;
	st = store_sso_job_get(a->db, req->arena, cid, id, &j);
	/* Once done, the report is the draft's stored report of that version (while it is the latest one). */
	if (st == OR_OK && strcmp(j.state, "done") == 0)
		st = store_sso_draft_get(a->db, req->arena, cid, &d);
	else
		d.report = NULL;
	if (st != OR_OK) {
		api_fail_db(a, req, resp, st);
		return;
	}
	o = job_json(&j);
	if (d.report && d.validated_version == j.version)
		json_object_object_add(o, "report", json_tokener_parse(d.report));
	http_json(resp, 200, o);
}
