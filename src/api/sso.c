/*
 * The SSO draft of Account Setup: GET/PUT /sso (non-secret IdP details) and
 * POST /sso/submit (to operator review, only after a passing validation of
 * the current version; validations are jobs, src/api/sso_validations.c).  Every free-text field
 * passes the secret scanner, pasted metadata XML included; the form's own
 * rules (domains, test users, names) answer 422 at PUT.
 */
#include <stdio.h>
#include <string.h>

#include "onramp/api.h"
#include "onramp/choices.h"
#include "onramp/limits.h"
#include "onramp/saml_meta.h"
#include "onramp/secretscan.h"
#include "onramp/sso_form.h"
#include "onramp/sso_store.h"
#include "onramp/timefmt.h"
#include "handlers.h"

#define URL_MAX 2000

/* A stored JSON text, parsed again (NULL when absent or unreadable). */
static json_object *
stored_json(const char *text)
{
	return text ? json_tokener_parse(text) : NULL;
}

static json_object *
list_or_empty(const char *text)
{
	json_object *o = stored_json(text);

	if (o && json_object_is_type(o, json_type_array))
		return o;
	json_object_put(o);
	return json_object_new_array();
}

/*
 * What is approved and live beside the draft: pending_changes says the draft
 * moved past the approved version, which stays (and stays live) until a new
 * version is approved and activated.
 */
static void
golive_json(json_object *o, const sso_draft *d)
{
	json_object *live = NULL;

	if (d->live_version > 0) {
		live = json_object_new_object();
		json_object_object_add(live, "version", json_object_new_int64(d->live_version));
		json_object_object_add(live, "activated_at", output_time(d->live_activated_at));
	}
	json_object_object_add(o, "approved_version", d->approved_version ? json_object_new_int64(d->approved_version) : NULL);
	json_object_object_add(o, "approved_at", output_time(d->approved_at));
	json_object_object_add(o, "live", live);
	json_object_object_add(o, "pending_changes",
			       json_object_new_boolean(d->approved_version > 0 && d->version != d->approved_version));
	json_object_object_add(o, "require_sso", json_object_new_boolean(d->require_sso));
}

json_object *
api_sso_json(const sso_draft *d, bool operator_view)
{
	json_object *o = json_object_new_object(), *claims = json_object_new_object();
	bool current = d->report && d->validated_version == d->version && d->version > 0;

	json_object_object_add(o, "protocol", output_str(d->protocol));
	json_object_object_add(o, "review_state", json_object_new_string(d->review ? d->review : "none"));
	json_object_object_add(o, "discovery_url", output_str(d->discovery_url));
	json_object_object_add(o, "metadata_url", output_str(d->metadata_url));
	json_object_object_add(o, "metadata_xml", output_str(d->metadata_xml));
	json_object_object_add(o, "entity_choice", output_str(d->entity_choice));
	json_object_object_add(o, "email_domains", list_or_empty(d->email_domains));
	json_object_object_add(claims, "username", output_str(d->claim_username));
	json_object_object_add(claims, "email", output_str(d->claim_email));
	json_object_object_add(claims, "groups", output_str(d->claim_groups));
	json_object_object_add(o, "claims", claims);
	json_object_object_add(o, "admin_groups", list_or_empty(d->admin_groups));
	json_object_object_add(o, "member_groups", list_or_empty(d->member_groups));
	json_object_object_add(o, "test_users", list_or_empty(d->test_users));
	json_object_object_add(o, "version", json_object_new_int64(d->version));
	json_object_object_add(o, "updated_at", output_time(d->updated_at));
	/* The report of an older version is history: operators see it, the customer sees "validate again". */
	json_object_object_add(o, "validation", current || operator_view ? stored_json(d->report) : NULL);
	json_object_object_add(o, "validated", json_object_new_boolean(current && d->report_ok));
	json_object_object_add(o, "validation_current", json_object_new_boolean(current));
	json_object_object_add(o, "cert_not_after", output_time(d->cert_not_after));
	json_object_object_add(o, "client_id", output_str(d->client_id));
	golive_json(o, d);
	return o;
}

void
api_sso_get(app *a, http_request *req, http_response *resp)
{
	int64_t cid = api_customer_id(req);
	json_object *o, *job = NULL, *secret = NULL;
	sso_draft d;
	or_status st = store_sso_draft_get(a->db, req->arena, cid, &d);

	/* Where a validation stands, so a reloaded page can follow one still running. */
	if (st == OR_OK)
		job = api_sso_latest_job_json(a, req->arena, cid, &st);
	if (st == OR_OK)
		secret = api_sso_secret_json(a, req->arena, cid, &st);
	if (st != OR_OK) {
		json_object_put(job);
		api_fail_db(a, req, resp, st);
		return;
	}
	o = api_sso_json(&d, false);
	json_object_object_add(o, "validation_job", job);
	json_object_object_add(o, "secret", secret);
	http_json(resp, 200, o);
}

/* A list member: strings, each checked by ok (and secret-scanned); stored back as a JSON array text. */
static const char *
list_member(app *a, http_request *req, http_response *resp, const char *key, bool (*ok)(const char *),
	    const char *bad, char (*norm)[256], size_t *n_out)
{
	json_object *arr, *out;
	size_t i, n, j;
	char field[64];
	const char *text;

	*n_out = 0;
	if (!json_object_object_get_ex(req->json, key, &arr) || arr == NULL)
		return NULL;
	if (!json_object_is_type(arr, json_type_array) || (n = json_object_array_length(arr)) > SSO_FORM_MAX_LIST) {
		(void)http_field_error_add(req, resp, key, "invalid_type", "Expected a list of at most 50 values.");
		return NULL;
	}
	out = json_object_new_array();
	for (i = 0; i < n; i++) {
		json_object *v = json_object_array_get_idx(arr, i);
		const char *s = json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
		snprintf(field, sizeof(field), "%s[%zu]", key, i);
		if (s == NULL || !ok(s)) {
			(void)http_field_error_add(req, resp, field, "invalid", bad);
			continue;
		}
		if (!input_scan(a, req, resp, field, s))
			continue;
		if (norm && i < SSO_FORM_MAX_LIST) {
			str_copy(norm[i], sizeof(norm[i]), s);
			for (j = 0; j < i; j++)
				if (strcmp(norm[j], norm[i]) == 0)
					(void)http_field_error_add(req, resp, field, "duplicate", "Listed twice.");
		}
		json_object_array_add(out, json_object_new_string(s));
	}
	*n_out = n;
	text = arena_strdup(req->arena, json_object_to_json_string_ext(out, JSON_C_TO_STRING_PLAIN));
	json_object_put(out);
	return text;
}

static bool
domain_rule(const char *s)
{
	char d[256];

	return sso_form_domain(s, d, sizeof(d)) && !sso_form_freemail(d);
}

static bool
email_rule(const char *s)
{
	char e[IDENTITY_EMAIL_MAX + 1];

	return identity_email_normalize(s, e, sizeof(e)) == OR_OK;
}

/* RFC 6749 §2.2 leaves the client id's form to the IdP: printable ASCII is every form in use. */
static bool
client_id_ok(const char *s)
{
	for (; *s; s++)
		if (*s < 0x20 || *s > 0x7e)
			return false;
	return true;
}

/* The pasted XML holds no secret, whatever its markup hides it behind (see saml_metadata_secret). */
static bool
xml_clean(app *a, http_request *req, http_response *resp, const char *xml)
{
	secretscan_ctx ctx = { a->cfg->public_base_url };
	secretscan_kind k = saml_metadata_secret(&ctx, xml, strlen(xml));
	char msg[512];

	if (k == SECRET_NONE)
		return true;
	(void)http_field_error_add(req, resp, "metadata_xml", "secret_detected",
				   saml_metadata_secret_message(k, msg, sizeof(msg)));
	return false;
}

/* Read the form into d; field errors for everything wrong.  False when out of memory. */
static bool
read_form(app *a, http_request *req, http_response *resp, sso_draft *d)
{
	/* Request-scoped copies of the lists for the cross-field checks (duplicates, test users' domains). */
	char (*doms)[256] = arena_calloc(req->arena, 3 * SSO_FORM_MAX_LIST, 256);
	char (*groups)[256] = doms ? doms + SSO_FORM_MAX_LIST : NULL, (*users)[256] = doms ? doms + 2 * SSO_FORM_MAX_LIST : NULL;
	const char *xml = NULL, *dlist[SSO_FORM_MAX_LIST];
	bool xml_refused = false;
	json_object *claims;
	size_t nd, ng, nu, i;

	if (doms == NULL)
		return false;

	d->protocol = input_string(req, resp, "protocol", true, LIMIT_SHORT_CHOICE_BYTES);
	if (d->protocol && !choices_has(choices_sso_protocols, d->protocol))
		input_choice_error(req, resp, "protocol", choices_sso_protocols);
	(void)input_text_member(a, req, resp, req->json, "discovery_url", "discovery_url", URL_MAX, &d->discovery_url);
	(void)input_text_member(a, req, resp, req->json, "metadata_url", "metadata_url", URL_MAX, &d->metadata_url);
	(void)input_text_member(a, req, resp, req->json, "entity_choice", "entity_choice", LIMIT_ENTITY_CHOICE, &d->entity_choice);
	if (input_text_member(a, req, resp, req->json, "client_id", "client_id", LIMIT_SSO_CLIENT_ID, &d->client_id) &&
	    d->client_id && !client_id_ok(d->client_id))
		(void)http_field_error_add(req, resp, "client_id", "invalid",
					   "Enter the client ID as your IdP shows it (printable ASCII characters only).");
	/* The XML is kept byte for byte (no trimming), but scanned like every other field. */
	xml = input_secret(req, resp, "metadata_xml", false, a->cfg->body_limit_saml);
	if (xml && *xml && xml_clean(a, req, resp, xml))
		d->metadata_xml = xml;
	else if (xml && *xml)
		xml_refused = true;	/* given, and already answered: "give one of the two" would be wrong */
	d->email_domains = list_member(a, req, resp, "email_domains", domain_rule,
				       "Enter your organisation's own email domain, e.g. acme.example (not a free-mail domain).",
				       doms, &nd);
	d->admin_groups = list_member(a, req, resp, "admin_groups", sso_form_group_ok, "Enter a group name.", groups, &ng);
	d->member_groups = list_member(a, req, resp, "member_groups", sso_form_group_ok, "Enter a group name.", NULL, &ng);
	d->test_users = list_member(a, req, resp, "test_users", email_rule, "Enter an email address.", users, &nu);
	for (i = 0; i < nd; i++) {
		char norm[256];
		dlist[i] = sso_form_domain(doms[i], norm, sizeof(norm)) ? arena_strdup(req->arena, norm) : "";
	}
	for (i = 0; i < nu && nd > 0; i++)
		if (!sso_form_email_in(users[i], dlist, nd)) {
			char field[48];
			snprintf(field, sizeof(field), "test_users[%zu]", i);
			(void)http_field_error_add(req, resp, field, "outside_domains",
						   "Test users must have an email in one of the expected domains.");
		}
	if (json_object_object_get_ex(req->json, "claims", &claims) && claims) {
		static const char *const keys[] = { "username", "email", "groups" };
		const char **slots[] = { &d->claim_username, &d->claim_email, &d->claim_groups };
		for (i = 0; i < 3; i++) {
			char field[48];
			snprintf(field, sizeof(field), "claims.%s", keys[i]);
			if (input_text_member(a, req, resp, claims, keys[i], field, SSO_FORM_NAME_MAX, slots[i]) && *slots[i] &&
			    !sso_form_claim_ok(*slots[i]))
				(void)http_field_error_add(req, resp, field, "invalid",
							   "Use the claim or attribute name, e.g. preferred_username.");
		}
	}
	if (d->protocol && strcmp(d->protocol, "oidc") == 0 && d->discovery_url == NULL)
		(void)http_field_error_add(req, resp, "discovery_url", "required",
					   "Enter your provider's discovery URL or issuer.");
	if (d->protocol && strcmp(d->protocol, "saml") == 0 && !xml_refused &&
	    (d->metadata_url == NULL) == (d->metadata_xml == NULL))
		(void)http_field_error_add(req, resp, "metadata_url", "required",
					   "Give either the metadata URL or the metadata XML (one of the two).");
	return true;
}

/* The fields a draft save edits, for its audit diff (the review and validation state follow from them). */
static json_object *
draft_fields(const sso_draft *d)
{
	static const char *const edited[] = {
		"protocol", "discovery_url", "metadata_url", "metadata_xml", "entity_choice", "email_domains", "claims",
		"admin_groups", "member_groups", "test_users", "client_id", NULL
	};
	json_object *all = api_sso_json(d, false), *o = json_object_new_object(), *v;
	size_t i;

	for (i = 0; edited[i]; i++)
		if (json_object_object_get_ex(all, edited[i], &v))
			json_object_object_add(o, edited[i], json_object_get(v));
	json_object_put(all);
	return o;
}

void
api_sso_put(app *a, http_request *req, http_response *resp)
{
	static const char *const allowed[] = {
		"protocol", "discovery_url", "metadata_url", "metadata_xml", "entity_choice", "email_domains", "claims",
		"admin_groups", "member_groups", "test_users", "client_id", "version", NULL
	};
	int64_t cid = api_customer_id(req), version;
	bool has_version;
	sso_draft in, was, now;
	or_status st;

	if (!input_allowed(req, resp, allowed))
		return;
	memset(&in, 0, sizeof(in));
	version = input_int(req, resp, "version", true, 0, INT32_MAX, &has_version);
	if (!read_form(a, req, resp, &in)) {
		app_fail(a, req, resp, OR_ERR_NOMEM, "sso form");
		return;
	}
	if (!input_ok(resp))
		return;
	/* An edit withdraws a pending review: what the operator would approve is no longer what is stored. */
	if ((st = db_begin(a->db)) == OR_OK && (st = store_sso_draft_get(a->db, req->arena, cid, &was)) == OR_OK &&
	    (st = store_sso_draft_save(a->db, cid, &in, version)) == OR_OK &&
	    (st = store_review_supersede(a->db, cid, "sso")) == OR_OK &&
	    (st = store_sso_draft_get(a->db, req->arena, cid, &now)) == OR_OK) {
		json_object *b = draft_fields(&was), *n = draft_fields(&now);
		st = api_audit_edit(a, req, "sso.update", cid, "customer", cid, b, n);
		json_object_put(b);
		json_object_put(n);
	}
	if (!api_commit(a, req, resp, st))
		return;
	if ((st = store_sso_draft_get(a->db, req->arena, cid, &now)) != OR_OK) {
		api_fail_db(a, req, resp, st);
		return;
	}
	http_json(resp, 200, api_sso_json(&now, false));
}

void
api_sso_submit(app *a, http_request *req, http_response *resp)
{
	static const char *const allowed[] = { "version", NULL };
	int64_t cid = api_customer_id(req), version;
	bool has_version, opened = false;
	sso_draft d;
	or_status st;

	if (!input_allowed(req, resp, allowed))
		return;
	version = input_int(req, resp, "version", true, 0, INT32_MAX, &has_version);
	if (!input_ok(resp))
		return;
	if ((st = db_begin(a->db)) == OR_OK && (st = store_sso_submit(a->db, cid, version)) == OR_OK &&
	    (st = store_review_open(a->db, cid, "sso", api_principal(req)->user.id, &opened)) == OR_OK)
		st = api_audit(a, req, "sso.submit", cid, "customer", cid, NULL, NULL);
	if (st == OR_ERR_CONFLICT) {
		db_rollback(a->db);
		http_error(resp, 409, "conflict", "Validate the current SSO details first: only a passing validation of "
						  "this version can be submitted for review.");
		return;
	}
	if (!api_commit(a, req, resp, st))
		return;
	if ((st = store_sso_draft_get(a->db, req->arena, cid, &d)) != OR_OK) {
		api_fail_db(a, req, resp, st);
		return;
	}
	http_json(resp, 200, api_sso_json(&d, false));
}
