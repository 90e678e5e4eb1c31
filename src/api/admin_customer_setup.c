/*
 * The operator forms of one customer's Account Setup, the sub-resources of
 * /admin/api/v1/customers/{id}: internal notes, billing, workspace target,
 * provider setup and blockers, and the JSON of the operator context, notes
 * and blockers that the customer page (admin_customers.c) shows too.
 * Everything here is reachable on the operator listener only; none of these
 * values is ever read by a customer handler.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "onramp/api_operator.h"
#include "onramp/choices.h"
#include "onramp/limits.h"
#include "handlers.h"

#define NOTES_MAX 20000
#define FIELD_MAX 200
#define ALIAS_MAX 64
#define ALIASES_MAX 20
#define BLOCKER_MESSAGE_MAX 1000

static json_object *
aliases_json(const char *joined)
{
	json_object *arr = json_object_new_array();
	const char *p = joined, *comma;

	while (p && *p) {
		comma = strchr(p, ',');
		json_object_array_add(arr, json_object_new_string_len(p, comma ? (int)(comma - p) : (int)strlen(p)));
		p = comma ? comma + 1 : NULL;
	}
	return arr;
}

json_object *
api_context_json(const setup_context *c)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "billing_state", json_object_new_string(c->billing_state));
	json_object_object_add(o, "prepaid_balance_cents", json_object_new_int64(c->prepaid_balance_cents));
	json_object_object_add(o, "target_name", output_str(c->target_name));
	json_object_object_add(o, "runtime_capacity", output_str(c->runtime_capacity));
	json_object_object_add(o, "template_aliases", aliases_json(c->template_aliases));
	json_object_object_add(o, "coder_access", output_str(c->coder_access));
	json_object_object_add(o, "target_ready", json_object_new_boolean(c->target_ready));
	json_object_object_add(o, "target_review", json_object_new_string(c->target_review));
	json_object_object_add(o, "provider_mode", output_str(c->provider_mode));
	json_object_object_add(o, "provider_ready", json_object_new_boolean(c->provider_ready));
	json_object_object_add(o, "provider_review", json_object_new_string(c->provider_review));
	json_object_object_add(o, "version", json_object_new_int64(c->version));
	json_object_object_add(o, "updated_at", output_time(c->updated_at));
	return o;
}

json_object *
api_notes_json(const internal_note *n)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "body", json_object_new_string(n->body ? n->body : ""));
	json_object_object_add(o, "version", json_object_new_int64(n->version));
	json_object_object_add(o, "updated_at", output_time(n->updated_at));
	return o;
}

json_object *
api_blockers_json(const blocker_row *b, size_t n)
{
	json_object *arr = json_object_new_array();
	size_t i;

	for (i = 0; i < n; i++) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "id", output_id(b[i].id));
		json_object_object_add(o, "item", output_str(b[i].item));
		json_object_object_add(o, "category", output_str(b[i].category));
		json_object_object_add(o, "message", output_str(b[i].message));
		json_object_object_add(o, "retryable", json_object_new_boolean(b[i].retryable));
		json_object_object_add(o, "created_at", output_time(b[i].created_at));
		json_object_array_add(arr, o);
	}
	return arr;
}

bool
api_path_customer(app *a, http_request *req, http_response *resp, customer *c)
{
	int64_t id;
	or_status st;

	if (!input_path_id(req, resp, 0, &id))
		return false;
	if ((st = store_customer_get(a->db, req->arena, id, c)) != OR_OK) {
		api_fail_db(a, req, resp, st);
		return false;
	}
	return true;
}

void
api_admin_notes_put(app *a, http_request *req, http_response *resp)
{
	static const char *const allowed[] = { "body", "version", NULL };
	principal *p = api_principal(req);
	customer c;
	const char *body;
	int64_t version;
	bool has_version;
	internal_note n, old;
	json_object *was, *after;
	or_status st;

	if (!input_allowed(req, resp, allowed) || !api_path_customer(a, req, resp, &c))
		return;
	/* "" clears the notes; the member itself must be there. */
	if (!json_object_object_get_ex(req->json, "body", NULL))
		(void)http_field_error_add(req, resp, "body", "required", "Send the notes, or \"\" to clear them.");
	body = input_string(req, resp, "body", false, NOTES_MAX);
	if (body == NULL)
		body = "";
	version = input_int(req, resp, "version", true, 0, INT32_MAX, &has_version);
	if (!input_ok(resp))
		return;
	/* The audit row records that notes changed, not what they say (audit_diff redacts "body"). */
	after = json_object_new_object();
	json_object_object_add(after, "body", json_object_new_string(body));
	if ((st = db_begin(a->db)) == OR_OK && (st = store_notes_get(a->db, req->arena, c.id, &old)) == OR_OK &&
	    (st = store_notes_put(a->db, c.id, body, version, p->op.id)) == OR_OK) {
		was = json_object_new_object();
		json_object_object_add(was, "body", json_object_new_string(old.body ? old.body : ""));
		st = api_audit_edit(a, req, "customer.internal_notes", c.id, "customer", c.id, was, after);
		json_object_put(was);
	}
	json_object_put(after);
	if (!api_commit(a, req, resp, st))
		return;
	if ((st = store_notes_get(a->db, req->arena, c.id, &n)) != OR_OK) {
		api_fail_db(a, req, resp, st);
		return;
	}
	http_json(resp, 200, api_notes_json(&n));
}

/* Answer with the context after a change. */
static void
context_answer(app *a, http_request *req, http_response *resp, int64_t customer_id)
{
	setup_context ctx;
	or_status st = store_context_get(a->db, req->arena, customer_id, &ctx);

	if (st != OR_OK) {
		api_fail_db(a, req, resp, st);
		return;
	}
	http_json(resp, 200, api_context_json(&ctx));
}

/* Audit a context change with the before and after states, in the caller's transaction. */
static or_status
audit_context(app *a, http_request *req, const char *action, int64_t customer_id, const setup_context *before)
{
	setup_context now;
	json_object *b, *n;
	or_status st = store_context_get(a->db, req->arena, customer_id, &now);

	if (st != OR_OK)
		return st;
	b = api_context_json(before);
	n = api_context_json(&now);
	st = api_audit_edit(a, req, action, customer_id, "customer", customer_id, b, n);
	json_object_put(b);
	json_object_put(n);
	return st;
}

void
api_admin_billing_put(app *a, http_request *req, http_response *resp)
{
	static const char *const allowed[] = { "state", "prepaid_balance_cents", "version", NULL };
	customer c;
	setup_context before;
	const char *state;
	billing_state b = BILLING_NONE;
	int64_t balance, version;
	bool has, has_version;
	or_status st;

	if (!input_allowed(req, resp, allowed) || !api_path_customer(a, req, resp, &c))
		return;
	state = input_string(req, resp, "state", true, LIMIT_CHOICE_BYTES);
	balance = input_int(req, resp, "prepaid_balance_cents", false, 0, LIMIT_BALANCE_CENTS_MAX, &has);
	version = input_int(req, resp, "version", true, 0, INT32_MAX, &has_version);
	if (state && !checklist_billing_parse(state, &b))
		input_choice_error(req, resp, "state", choices_billing_states);
	if (!input_ok(resp))
		return;
	if ((st = db_begin(a->db)) == OR_OK && (st = store_context_get(a->db, req->arena, c.id, &before)) == OR_OK &&
	    (st = store_context_set_billing(a->db, c.id, state, has ? balance : before.prepaid_balance_cents, version)) ==
		    OR_OK) {
		bool opened;
		/* A trial request waits in the queue; any other state is the operator's decision. */
		if (b == BILLING_TRIAL_REQUESTED)
			st = store_review_open(a->db, c.id, "billing", 0, &opened);
		else
			st = store_review_supersede(a->db, c.id, "billing");
	}
	if (st == OR_OK)
		st = audit_context(a, req, "customer.billing", c.id, &before);
	if (api_commit(a, req, resp, st))
		context_answer(a, req, resp, c.id);
}

/* template_aliases: an array of short names, joined with commas for storage. */
static const char *
aliases_member(http_request *req, http_response *resp)
{
	json_object *arr;
	or_buf b;
	size_t i, j, n;
	const char *out = NULL;

	if (!json_object_object_get_ex(req->json, "template_aliases", &arr) || arr == NULL)
		return NULL;
	if (!json_object_is_type(arr, json_type_array) || (n = json_object_array_length(arr)) > ALIASES_MAX) {
		(void)http_field_error_add(req, resp, "template_aliases", "invalid_type", "Expected up to 20 names.");
		return NULL;
	}
	buf_init(&b, ALIASES_MAX * (ALIAS_MAX + 1));
	for (i = 0; i < n; i++) {
		json_object *v = json_object_array_get_idx(arr, i);
		const char *s = json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
		size_t len = s ? strlen(s) : 0;
		bool ok = len > 0 && len <= ALIAS_MAX && (size_t)json_object_get_string_len(v) == len;
		for (j = 0; ok && j < len; j++)
			ok = isalnum((unsigned char)s[j]) || strchr("._-", s[j]) != NULL;
		if (!ok) {
			char field[48];
			snprintf(field, sizeof(field), "template_aliases[%zu]", i);
			(void)http_field_error_add(req, resp, field, "invalid",
						   "Use 1 to 64 letters, digits, dots, dashes or underscores.");
			continue;
		}
		if ((b.len && buf_append(&b, ",", 1) != OR_OK) || buf_append(&b, s, len) != OR_OK)
			break;
	}
	if (b.len)
		out = arena_strndup(req->arena, b.data, b.len);
	buf_free(&b);
	return out;
}

void
api_admin_target_put(app *a, http_request *req, http_response *resp)
{
	static const char *const allowed[] = {
		"target_name", "runtime_capacity", "template_aliases", "coder_access", "ready", "version", NULL
	};
	customer c;
	setup_context before, in;
	int64_t version;
	bool has_version;
	or_status st;

	if (!input_allowed(req, resp, allowed) || !api_path_customer(a, req, resp, &c))
		return;
	memset(&in, 0, sizeof(in));
	in.target_name = input_string(req, resp, "target_name", false, FIELD_MAX);
	in.runtime_capacity = input_string(req, resp, "runtime_capacity", false, FIELD_MAX);
	in.template_aliases = aliases_member(req, resp);
	in.coder_access = input_string(req, resp, "coder_access", false, FIELD_MAX);
	in.target_ready = input_bool(req, resp, "ready", false);
	version = input_int(req, resp, "version", true, 0, INT32_MAX, &has_version);
	if (in.target_ready && (in.target_name == NULL || *in.target_name == '\0'))
		(void)http_field_error_add(req, resp, "target_name", "required", "Name the target before marking it ready.");
	if (!input_ok(resp))
		return;
	if ((st = db_begin(a->db)) == OR_OK && (st = store_context_get(a->db, req->arena, c.id, &before)) == OR_OK &&
	    (st = store_context_set_target(a->db, c.id, &in, version)) == OR_OK)
		st = audit_context(a, req, "customer.workspace_target", c.id, &before);
	if (api_commit(a, req, resp, st))
		context_answer(a, req, resp, c.id);
}

void
api_admin_provider_put(app *a, http_request *req, http_response *resp)
{
	static const char *const allowed[] = { "mode", "ready", "version", NULL };
	customer c;
	setup_context before;
	const char *mode;
	bool ready, has_version;
	int64_t version;
	or_status st;

	if (!input_allowed(req, resp, allowed) || !api_path_customer(a, req, resp, &c))
		return;
	mode = input_string(req, resp, "mode", false, LIMIT_SHORT_CHOICE_BYTES);
	ready = input_bool(req, resp, "ready", false);
	version = input_int(req, resp, "version", true, 0, INT32_MAX, &has_version);
	if (mode && !choices_has(choices_provider_modes, mode))
		input_choice_error(req, resp, "mode", choices_provider_modes);
	if (ready && mode == NULL)
		(void)http_field_error_add(req, resp, "mode", "required", "Choose the mode before marking it ready.");
	if (!input_ok(resp))
		return;
	if ((st = db_begin(a->db)) == OR_OK && (st = store_context_get(a->db, req->arena, c.id, &before)) == OR_OK &&
	    (st = store_context_set_provider(a->db, c.id, mode, ready, version)) == OR_OK)
		st = audit_context(a, req, "customer.provider_setup", c.id, &before);
	if (api_commit(a, req, resp, st))
		context_answer(a, req, resp, c.id);
}

/* Unknown members of any blocker are refused like those at the top: 400 before any other check. */
static bool
blockers_known(http_request *req, http_response *resp, json_object *arr, size_t n)
{
	static const char *const keys[] = { "item", "category", "message", "retryable", NULL };
	char prefix[32];
	bool ok = true;
	size_t i;

	for (i = 0; i < n; i++) {
		json_object *o = json_object_array_get_idx(arr, i);
		snprintf(prefix, sizeof(prefix), "blockers[%zu]", i);
		if (o && json_object_is_type(o, json_type_object))
			ok = input_known_members(req, resp, o, prefix, keys) && ok;
	}
	return ok;
}

/* One blocker of the body; false when it had field errors. */
static bool
blocker_member(app *a, http_request *req, http_response *resp, json_object *o, size_t i, blocker_row *out)
{
	char field[64];
	json_object *v;
	checklist_item it;
	blocker_category cat;
	const char *s;

	memset(out, 0, sizeof(*out));
	s = json_object_object_get_ex(o, "item", &v) && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
	snprintf(field, sizeof(field), "blockers[%zu].item", i);
	if (s == NULL || !checklist_item_parse(s, &it))
		(void)http_field_error_add(req, resp, field, "invalid_choice", "Name a checklist item, e.g. billing.");
	else
		out->item = checklist_item_key(it);
	s = json_object_object_get_ex(o, "category", &v) && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
	snprintf(field, sizeof(field), "blockers[%zu].category", i);
	if (s == NULL || !checklist_category_parse(s, &cat))
		input_choice_error(req, resp, field, choices_blocker_categories);
	else
		out->category = checklist_category_name(cat);
	snprintf(field, sizeof(field), "blockers[%zu].message", i);
	if (!input_text_member(a, req, resp, o, "message", field, BLOCKER_MESSAGE_MAX, &out->message))
		return false;
	if (out->message == NULL)
		(void)http_field_error_add(req, resp, field, "required", "Write the message the customer will see.");
	out->retryable = json_object_object_get_ex(o, "retryable", &v) && json_object_is_type(v, json_type_boolean) &&
			 json_object_get_boolean(v);
	return out->item && out->category && out->message;
}

/* A set of blockers for the audit diff: keyed by item, so a row reads "blockers.sso.message: a → b". */
static json_object *
blockers_audit_json(const blocker_row *b, size_t n)
{
	json_object *o = json_object_new_object(), *set = json_object_new_object();
	size_t i;

	for (i = 0; i < n; i++) {
		json_object *one = json_object_new_object();
		json_object_object_add(one, "category", output_str(b[i].category));
		json_object_object_add(one, "message", output_str(b[i].message));
		json_object_object_add(one, "retryable", json_object_new_boolean(b[i].retryable));
		json_object_object_add(set, b[i].item ? b[i].item : "", one);
	}
	json_object_object_add(o, "blockers", set);
	return o;
}

void
api_admin_blockers_put(app *a, http_request *req, http_response *resp)
{
	static const char *const allowed[] = { "blockers", NULL };
	principal *p = api_principal(req);
	customer c;
	json_object *arr, *after;
	blocker_row *in, *now;
	size_t n = 0, i, nnow;
	long seat;
	or_status st;

	if (!input_allowed(req, resp, allowed) || !api_path_customer(a, req, resp, &c))
		return;
	if (!json_object_object_get_ex(req->json, "blockers", &arr) || !json_object_is_type(arr, json_type_array) ||
	    (n = json_object_array_length(arr)) > CHECKLIST_MAX_BLOCKERS) {
		(void)http_field_error_add(req, resp, "blockers", "invalid_type", "Expected a list of at most 32 blockers.");
		(void)input_ok(resp);
		return;
	}
	if ((in = arena_calloc(req->arena, n + 1, sizeof(*in))) == NULL) {
		app_fail(a, req, resp, OR_ERR_NOMEM, "blockers");
		return;
	}
	if (!blockers_known(req, resp, arr, n))
		return;
	for (i = 0; i < n; i++) {
		json_object *o = json_object_array_get_idx(arr, i);
		if (o == NULL || !json_object_is_type(o, json_type_object)) {
			char field[32];
			snprintf(field, sizeof(field), "blockers[%zu]", i);
			(void)http_field_error_add(req, resp, field, "invalid_type", "Expected an object.");
			continue;
		}
		(void)blocker_member(a, req, resp, o, i, &in[i]);
	}
	if (!input_ok(resp))
		return;
	after = blockers_audit_json(in, n);
	/* The customer row lock serialises two operators replacing the set at once. */
	if ((st = db_begin(a->db)) == OR_OK && (st = store_customer_lock(a->db, c.id, &seat)) == OR_OK &&
	    (st = store_blockers_list(a->db, req->arena, c.id, &now, &nnow)) == OR_OK &&
	    (st = store_blockers_replace(a->db, c.id, in, n, p->op.id)) == OR_OK) {
		json_object *was = blockers_audit_json(now, nnow);
		st = api_audit_edit(a, req, "customer.blockers", c.id, "customer", c.id, was, after);
		json_object_put(was);
	}
	json_object_put(after);
	if (!api_commit(a, req, resp, st))
		return;
	if ((st = store_blockers_list(a->db, req->arena, c.id, &now, &nnow)) != OR_OK) {
		api_fail_db(a, req, resp, st);
		return;
	}
	after = json_object_new_object();
	json_object_object_add(after, "blockers", api_blockers_json(now, nnow));
	http_json(resp, 200, after);
}
