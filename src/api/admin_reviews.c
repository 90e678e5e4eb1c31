/*
 * The operator review queue (GET /reviews, POST /reviews/{id}/decision).
 * A decision lands on the reviewed thing in the same transaction as the
 * review row and its audit entry.
 */
#include <stdlib.h>
#include <string.h>

#include "onramp/api_operator.h"
#include "onramp/choices.h"
#include "onramp/limits.h"
#include "handlers.h"

#define COMMENT_MAX 2000

/* Fixed text saying what an operator is asked to review. */
static const char *
summary(const char *kind)
{
	if (strcmp(kind, "billing") == 0)
		return "Trial request: approve to start the trial, or verify billing from the customer page.";
	if (strcmp(kind, "sso") == 0)
		return "Single sign-on settings submitted by the customer.";
	if (strcmp(kind, "workspace_target") == 0)
		return "Workspace target for the first workspace: fill in and mark the target ready, then approve.";
	if (strcmp(kind, "provider_setup") == 0)
		return "AI provider setup the customer asked for.";
	return "";
}

json_object *
api_review_json(const review *r)
{
	json_object *o = json_object_new_object(), *c = json_object_new_object();

	json_object_object_add(o, "id", output_id(r->id));
	json_object_object_add(c, "id", output_id(r->customer_id));
	json_object_object_add(c, "slug", output_str(r->customer_slug));
	json_object_object_add(c, "name", output_str(r->customer_name));
	json_object_object_add(o, "customer", c);
	json_object_object_add(o, "kind", output_str(r->kind));
	json_object_object_add(o, "state", output_str(r->state));
	json_object_object_add(o, "summary", json_object_new_string(r->kind ? summary(r->kind) : ""));
	json_object_object_add(o, "comment", output_str(r->comment));
	json_object_object_add(o, "internal_comment", output_str(r->internal_comment));
	json_object_object_add(o, "created_at", output_time(r->created_at));
	json_object_object_add(o, "decided_at", output_time(r->decided_at));
	json_object_object_add(o, "decided_by", output_str(r->decided_by));
	return o;
}

static bool
one_of(const char *v, const char *const *choices)
{
	size_t i;

	for (i = 0; choices[i]; i++)
		if (strcmp(v, choices[i]) == 0)
			return true;
	return false;
}

bool
api_customer_param(http_request *req, http_response *resp, int64_t *id)
{
	const char *v = input_query(req, "customer");
	char *end;
	long long n;

	*id = 0;
	if (v == NULL || *v == '\0')
		return true;
	n = strtoll(v, &end, 10);
	if (*end != '\0' || n <= 0) {
		http_error(resp, 400, "bad_request", "customer= takes a customer id.");
		return false;
	}
	*id = n;
	return true;
}

void
api_admin_reviews_list(app *a, http_request *req, http_response *resp)
{
	static const char *const states[] = { "pending", "approved", "rejected", "changes_requested", "superseded", "all", NULL };
	static const char *const kinds[] = { "billing", "sso", "workspace_target", "provider_setup", NULL };
	review_query q;
	review *rv;
	size_t n, i;
	json_object *o, *arr;
	or_status st;

	memset(&q, 0, sizeof(q));
	q.state = input_query(req, "state");
	q.kind = input_query(req, "kind");
	if (q.state == NULL || *q.state == '\0')
		q.state = "pending";
	if (!one_of(q.state, states)) {
		http_error(resp, 400, "bad_request", "state= takes pending, approved, rejected, changes_requested, superseded or all.");
		return;
	}
	if (q.kind && *q.kind == '\0')
		q.kind = NULL;
	if (q.kind && !one_of(q.kind, kinds)) {
		http_error(resp, 400, "bad_request", "kind= takes billing, sso, workspace_target or provider_setup.");
		return;
	}
	if (strcmp(q.state, "all") == 0)
		q.state = NULL;
	if (!api_customer_param(req, resp, &q.customer_id) || !input_page(req, resp, LIMIT_PAGE_DEFAULT, LIMIT_PAGE_MAX, &q.limit, &q.after))
		return;
	q.limit++;
	st = q.customer_id ? store_review_list(a->db, req->arena, &q, &rv, &n)
			   : store_review_list_any(a->db, req->arena, &q, &rv, &n);
	if (st != OR_OK) {
		api_fail_db(a, req, resp, st);
		return;
	}
	o = json_object_new_object();
	arr = json_object_new_array();
	for (i = 0; i < n && i < (size_t)q.limit - 1; i++)
		json_object_array_add(arr, api_review_json(&rv[i]));
	json_object_object_add(o, "reviews", arr);
	json_object_object_add(o, "next_after", n >= (size_t)q.limit ? output_id(rv[q.limit - 2].id) : NULL);
	http_json(resp, 200, o);
}

void
api_admin_review_decide(app *a, http_request *req, http_response *resp)
{
	static const char *const allowed[] = { "decision", "comment", "internal_comment", NULL };
	principal *p = api_principal(req);
	const char *decision, *comment, *internal, *state = NULL;
	int64_t id;
	review r;
	json_object *after;
	or_status st;

	if (!input_path_id(req, resp, 0, &id) || !input_allowed(req, resp, allowed))
		return;
	decision = input_string(req, resp, "decision", true, LIMIT_CHOICE_BYTES);
	comment = input_string(req, resp, "comment", false, COMMENT_MAX);
	internal = input_string(req, resp, "internal_comment", false, COMMENT_MAX);
	if (comment && *comment == '\0')
		comment = NULL;
	if (internal && *internal == '\0')
		internal = NULL;
	if (decision) {
		/* The review state each of choices_review_decisions leads to, in its order. */
		static const char *const states[] = { "approved", "rejected", "changes_requested" };
		int i = choices_index(choices_review_decisions, decision);
		if (i >= 0)
			state = states[i];
		else
			input_choice_error(req, resp, "decision", choices_review_decisions);
	}
	if (state && strcmp(state, "approved") != 0 && comment == NULL)
		(void)http_field_error_add(req, resp, "comment", "required",
					   "Tell the customer what to change or why it was rejected.");
	/* The customer reads the comment: no secret may ride along in it. */
	(void)input_scan(a, req, resp, "comment", comment);
	if (!input_ok(resp))
		return;
	after = json_object_new_object();
	json_object_object_add(after, "decision", json_object_new_string(decision));
	json_object_object_add(after, "has_comment", json_object_new_boolean(comment != NULL));
	if ((st = db_begin(a->db)) == OR_OK && (st = store_review_lock(a->db, req->arena, id, &r)) == OR_OK &&
	    (st = store_review_decide(a->db, id, state, comment, internal, p->op.id)) == OR_OK &&
	    (st = store_review_apply(a->db, r.customer_id, r.kind, state)) == OR_OK) {
		json_object_object_add(after, "kind", json_object_new_string(r.kind));
		st = api_audit(a, req, "review.decide", r.customer_id, "review", id, NULL, after);
	}
	json_object_put(after);
	if (st == OR_ERR_CONFLICT) {
		db_rollback(a->db);
		http_error(resp, 409, "conflict", "This review was already decided.");
		return;
	}
	if (!api_commit(a, req, resp, st))
		return;
	if ((st = store_review_lock(a->db, req->arena, id, &r)) != OR_OK) {
		api_fail_db(a, req, resp, st);
		return;
	}
	http_json(resp, 200, api_review_json(&r));
}
