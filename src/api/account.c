/*
 * The customer-owned details of Account Setup: GET /account (admins and
 * members) and PATCH /account (admins).  A PATCH names the version it edits;
 * members it leaves out keep their values.  Every free-text value passes the
 * secret scanner: a value that looks like a secret is refused with the field
 * code secret_detected and a message naming the kind, and it is neither
 * echoed, stored, audited nor logged.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "onramp/api.h"
#include "onramp/choices.h"
#include "onramp/facts_cache.h"
#include "onramp/limits.h"
#include "onramp/secretscan.h"
#include "onramp/timefmt.h"
#include "handlers.h"

#define NAME_MAX_BYTES 200
#define PHONE_MAX_BYTES 40
#define NOTES_MAX_BYTES 4000

static json_object *
contact_json(const contact *c)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "name", output_str(c->name));
	json_object_object_add(o, "email", output_str(c->email));
	json_object_object_add(o, "phone", output_str(c->phone));
	return o;
}

json_object *
api_details_json(const customer *c, const customer_details *d)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "customer_id", output_id(c->id));
	json_object_object_add(o, "slug", json_object_new_string(c->slug));
	json_object_object_add(o, "legal_name", output_str(d->legal_name));
	json_object_object_add(o, "operating_name", output_str(d->operating_name));
	json_object_object_add(o, "support_contact", contact_json(&d->support));
	json_object_object_add(o, "billing_contact", contact_json(&d->billing));
	json_object_object_add(o, "technical_contact", contact_json(&d->technical));
	json_object_object_add(o, "repository_notes", output_str(d->repository_notes));
	json_object_object_add(o, "ai_preferences", output_str(d->ai_preferences));
	json_object_object_add(o, "ai_provider", json_object_new_string(d->ai_provider ? d->ai_provider : "none"));
	json_object_object_add(o, "workspace_preferences", output_str(d->workspace_preferences));
	json_object_object_add(o, "target_launch", output_str(d->target_launch));
	json_object_object_add(o, "version", json_object_new_int64(d->version));
	json_object_object_add(o, "updated_at", output_time(d->updated_at));
	return o;
}

static or_status
load(app *a, http_request *req, int64_t customer_id, customer *c, customer_details *d)
{
	return store_customer_with_details(a->db, req->arena, customer_id, c, d);
}

void
api_account_get(app *a, http_request *req, http_response *resp)
{
	principal *p = api_principal(req);
	facts_cache *fc = api_facts_cache(a);
	int64_t cid = p->user.customer_id, version = p->user.facts_version, now = api_now(req);
	customer c;
	customer_details d;
	json_object *doc;
	const char *text;
	size_t len = 0;
	or_status st;

	/* The document depends on customer_details (every change bumps the facts version) and the id and slug. */
	if (fc && (text = facts_cache_doc_get(fc, cid, version, now, req->arena, &len)) != NULL) {
		http_text(req, resp, 200, "application/json", text, len);
		return;
	}
	if ((st = load(a, req, cid, &c, &d)) != OR_OK) {
		api_fail_db(a, req, resp, st);
		return;
	}
	doc = api_details_json(&c, &d);
	if (fc && (text = json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)))
		facts_cache_doc_put(fc, cid, version, now, text, strlen(text));
	http_json(resp, 200, doc);
}

static bool
phone_ok(const char *p)
{
	size_t digits = 0, i, n = strlen(p);

	if (n < 5 || n > PHONE_MAX_BYTES)
		return false;
	for (i = 0; i < n; i++) {
		if (isdigit((unsigned char)p[i]))
			digits++;
		else if (!strchr(" +-().x/", p[i]))
			return false;
	}
	return digits >= 5 && digits <= 20;
}

/* Unknown members inside a contact are refused like those at the top: 400 before any other check. */
static bool
contacts_known(http_request *req, http_response *resp)
{
	static const char *const contact_keys[] = { "support_contact", "billing_contact", "technical_contact", NULL };
	static const char *const allowed[] = { "name", "email", "phone", NULL };
	json_object *obj;
	bool ok = true;
	size_t i;

	for (i = 0; contact_keys[i]; i++)
		if (json_object_object_get_ex(req->json, contact_keys[i], &obj) &&
		    json_object_is_type(obj, json_type_object))
			ok = input_known_members(req, resp, obj, contact_keys[i], allowed) && ok;
	return ok;
}

static void
contact_member(app *a, http_request *req, http_response *resp, const char *key, contact *c)
{
	char field[64], norm[IDENTITY_EMAIL_MAX + 1];
	json_object *obj;

	if (!json_object_object_get_ex(req->json, key, &obj))
		return;
	if (obj == NULL || !json_object_is_type(obj, json_type_object)) {
		(void)http_field_error_add(req, resp, key, "invalid_type", "Expected an object with name, email and phone.");
		return;
	}
	snprintf(field, sizeof(field), "%s.name", key);
	(void)input_text_member(a, req, resp, obj, "name", field, NAME_MAX_BYTES, &c->name);
	snprintf(field, sizeof(field), "%s.email", key);
	if (input_text_member(a, req, resp, obj, "email", field, IDENTITY_EMAIL_MAX, &c->email) && c->email) {
		if (identity_email_normalize(c->email, norm, sizeof(norm)) != OR_OK)
			(void)http_field_error_add(req, resp, field, "invalid_email", "Enter an email address like name@example.com.");
		else
			c->email = arena_strdup(req->arena, norm);
	}
	snprintf(field, sizeof(field), "%s.phone", key);
	if (input_text_member(a, req, resp, obj, "phone", field, PHONE_MAX_BYTES, &c->phone) && c->phone &&
	    !phone_ok(c->phone))
		(void)http_field_error_add(req, resp, field, "invalid_phone",
					   "Enter a phone number with 5 to 20 digits, e.g. +1 555 010 2030.");
}

/* "YYYY-MM-DD", a real calendar date, after today (UTC). */
static void
launch_member(app *a, http_request *req, http_response *resp, customer_details *d)
{
	const char *before = d->target_launch;
	char buf[24], back[TIMEFMT_RFC3339_LEN];
	int64_t when, today;

	if (!input_text_member(a, req, resp, req->json, "target_launch", "target_launch", LIMIT_DATE_BYTES, &d->target_launch) ||
	    d->target_launch == NULL || d->target_launch == before)
		return;
	/* Parsing "date 00:00:00" and printing it back catches 2027-02-30 and friends. */
	if (snprintf(buf, sizeof(buf), "%s 00:00:00", d->target_launch) != 19 ||
	    timefmt_parse_db(str_from_c(buf), &when) != OR_OK ||
	    (timefmt_rfc3339(when, back), strncmp(back, d->target_launch, 10) != 0)) {
		(void)http_field_error_add(req, resp, "target_launch", "invalid_date", "Use a real date like 2027-03-01.");
		return;
	}
	today = api_now(req) - api_now(req) % 86400;
	if (when <= today)
		(void)http_field_error_add(req, resp, "target_launch", "not_in_future", "Choose a launch date after today.");
}

static void
provider_member(http_request *req, http_response *resp, customer_details *d)
{
	const char *v;

	if (!json_object_object_get_ex(req->json, "ai_provider", NULL))
		return;
	v = input_string(req, resp, "ai_provider", true, LIMIT_SHORT_CHOICE_BYTES);
	if (v == NULL)
		return;
	if (!choices_has(choices_ai_providers, v)) {
		input_choice_error(req, resp, "ai_provider", choices_ai_providers);
		return;
	}
	d->ai_provider = v;
}

/* The checklist's contacts rule, applied to the details about to be saved. */
static bool
contacts_complete(const customer_details *d)
{
	checklist_contacts c = { d->legal_name != NULL, d->support.name != NULL, d->support.email != NULL,
				 d->billing.name != NULL, d->billing.email != NULL, d->technical.name != NULL,
				 d->technical.email != NULL };

	return checklist_contacts_complete(&c);
}

void
api_account_patch(app *a, http_request *req, http_response *resp)
{
	static const char *const allowed[] = {
		"version", "legal_name", "operating_name", "support_contact", "billing_contact", "technical_contact",
		"repository_notes", "ai_preferences", "ai_provider", "workspace_preferences", "target_launch", NULL
	};
	principal *p = api_principal(req);
	customer c;
	customer_details before, next;
	json_object *was, *after;
	int64_t version;
	bool has_version;
	int opened = 0;
	or_status st;

	if (!input_allowed(req, resp, allowed) || !contacts_known(req, resp))
		return;
	version = input_int(req, resp, "version", true, 0, INT32_MAX, &has_version);
	if (!input_ok(resp))
		return;
	if ((st = load(a, req, p->user.customer_id, &c, &before)) != OR_OK) {
		api_fail_db(a, req, resp, st);
		return;
	}
	next = before;
	(void)input_text_member(a, req, resp, req->json, "legal_name", "legal_name", NAME_MAX_BYTES, &next.legal_name);
	(void)input_text_member(a, req, resp, req->json, "operating_name", "operating_name", NAME_MAX_BYTES,
			  &next.operating_name);
	contact_member(a, req, resp, "support_contact", &next.support);
	contact_member(a, req, resp, "billing_contact", &next.billing);
	contact_member(a, req, resp, "technical_contact", &next.technical);
	(void)input_text_member(a, req, resp, req->json, "repository_notes", "repository_notes", NOTES_MAX_BYTES,
			  &next.repository_notes);
	(void)input_text_member(a, req, resp, req->json, "ai_preferences", "ai_preferences", NOTES_MAX_BYTES,
			  &next.ai_preferences);
	(void)input_text_member(a, req, resp, req->json, "workspace_preferences", "workspace_preferences",
			  NOTES_MAX_BYTES, &next.workspace_preferences);
	launch_member(a, req, resp, &next);
	provider_member(req, resp, &next);
	if (!input_ok(resp))
		return;
	/* before is what the version the caller sent holds: the save below refuses any other. */
	was = api_details_json(&c, &before);
	after = api_details_json(&c, &next);
	if ((st = db_begin(a->db)) == OR_OK &&
	    (st = store_details_save(a->db, c.id, &next, version, p->user.id)) == OR_OK && contacts_complete(&next) &&
	    (st = store_setup_submit(a->db, c.id, p->user.id, strcmp(next.ai_provider, "none") != 0, &opened)) == OR_OK &&
	    opened)
		json_object_object_add(after, "reviews_opened", json_object_new_int(opened)); /* a resubmission is a change */
	if (st == OR_OK)
		st = api_audit_edit(a, req, "account.update", c.id, "customer", c.id, was, after);
	json_object_put(was);
	json_object_put(after);
	if (!api_commit(a, req, resp, st))
		return;
	if ((st = load(a, req, c.id, &c, &next)) != OR_OK) {
		api_fail_db(a, req, resp, st);
		return;
	}
	http_json(resp, 200, api_details_json(&c, &next));
}
