/*
 * The console banner (Code Ocean): operator admins set or clear a message
 * with a severity and an optional time window; GET /api/v1/banner shows the
 * active one to every visitor, signed in or not.
 */
#include <string.h>

#include "onramp/api_operator.h"
#include "onramp/choices.h"
#include "onramp/limits.h"
#include "handlers.h"

static json_object *
banner_json(const banner *b)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "message", json_object_new_string(b->message));
	json_object_object_add(o, "severity", json_object_new_string(b->severity));
	json_object_object_add(o, "starts_at", output_time(b->starts_at));
	json_object_object_add(o, "ends_at", output_time(b->ends_at));
	return o;
}

/* The banner for the audit diff; no banner is every field null, so setting and clearing diff per field. */
static json_object *
audit_banner(const banner *b)
{
	json_object *o;

	if (b)
		return banner_json(b);
	o = json_object_new_object();
	json_object_object_add(o, "message", NULL);
	json_object_object_add(o, "severity", NULL);
	json_object_object_add(o, "starts_at", NULL);
	json_object_object_add(o, "ends_at", NULL);
	return o;
}

void
api_banner_get(app *a, http_request *req, http_response *resp)
{
	banner b;
	int64_t now = api_now(req);
	json_object *o = json_object_new_object();
	or_status st = store_banner_get(a->db, req->arena, &b);

	if (st == OR_OK && (b.starts_at == 0 || b.starts_at <= now) && (b.ends_at == 0 || now < b.ends_at))
		json_object_object_add(o, "banner", banner_json(&b));
	else if (st == OR_OK || st == OR_ERR_NOT_FOUND)
		json_object_object_add(o, "banner", NULL);
	else {
		json_object_put(o);
		api_fail_db(a, req, resp, st);
		return;
	}
	http_json(resp, 200, o);
}

/* Operators see the stored banner even outside its window, with whether it shows now. */
void
api_admin_banner_get(app *a, http_request *req, http_response *resp)
{
	banner b;
	int64_t now = api_now(req);
	json_object *o = json_object_new_object();
	or_status st = store_banner_get(a->db, req->arena, &b);

	if (st == OR_OK) {
		json_object *j = banner_json(&b);
		bool active = (b.starts_at == 0 || b.starts_at <= now) && (b.ends_at == 0 || now < b.ends_at);
		json_object_object_add(j, "active", json_object_new_boolean(active));
		json_object_object_add(j, "updated_by", json_object_new_string(b.updated_by ? b.updated_by : ""));
		json_object_object_add(j, "updated_at", output_time(b.updated_at));
		json_object_object_add(o, "banner", j);
	} else if (st == OR_ERR_NOT_FOUND) {
		json_object_object_add(o, "banner", NULL);
	} else {
		json_object_put(o);
		api_fail_db(a, req, resp, st);
		return;
	}
	http_json(resp, 200, o);
}

void
api_admin_banner_put(app *a, http_request *req, http_response *resp)
{
	static const char *const allowed[] = { "message", "severity", "starts_at", "ends_at", NULL };
	principal *p = api_principal(req);
	banner b;
	json_object *after = NULL, *o;
	or_status st;

	if (!input_allowed(req, resp, allowed))
		return;
	memset(&b, 0, sizeof(b));
	b.message = input_string(req, resp, "message", false, LIMIT_BANNER_MESSAGE);
	b.severity = input_string(req, resp, "severity", false, LIMIT_SHORT_CHOICE_BYTES);
	b.starts_at = input_time(req, resp, "starts_at");
	b.ends_at = input_time(req, resp, "ends_at");
	if (b.severity == NULL || *b.severity == '\0')
		b.severity = "info";
	if (!choices_has(choices_banner_severities, b.severity))
		input_choice_error(req, resp, "severity", choices_banner_severities);
	if (b.starts_at && b.ends_at && b.ends_at <= b.starts_at)
		(void)http_field_error_add(req, resp, "ends_at", "before_start", "The end must come after the start.");
	if (!input_ok(resp))
		return;
	b.updated_by = p->op.username;
	if ((st = db_begin(a->db)) == OR_OK) {
		bool clear = b.message == NULL || *b.message == '\0';
		banner old;
		json_object *was = NULL;
		st = store_banner_get(a->db, req->arena, &old);
		if (st == OR_OK || st == OR_ERR_NOT_FOUND) {
			was = audit_banner(st == OR_OK ? &old : NULL);
			st = clear ? store_banner_clear(a->db) : store_banner_set(a->db, &b);
		}
		after = clear ? NULL : banner_json(&b);
		if (st == OR_OK) {
			json_object *now = audit_banner(after ? &b : NULL);
			st = api_audit_edit(a, req, clear ? "banner.clear" : "banner.set", 0, "banner", 1, was, now);
			json_object_put(now);
		}
		json_object_put(was);
	}
	if (!api_commit(a, req, resp, st)) {
		if (after)
			json_object_put(after);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "banner", after);
	http_json(resp, 200, o);
}
