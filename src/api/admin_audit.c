/*
 * Reading the audit trail (operators and auditors): newest first, filtered by
 * customer, actor, action, object and time, paged by id, with names and the
 * per-field changes of each edit; and its export as CSV or JSON lines.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onramp/api_operator.h"
#include "onramp/audit_diff.h"
#include "onramp/limits.h"
#include "onramp/timefmt.h"
#include "handlers.h"

/* The query keys the audit reads take; any other is refused, as the filter language refuses unknown keys. */
static const char *const audit_keys[] = {
	"customer", "actor", "actor_type", "actor_id", "action", "object_type", "object_id",
	"after", "before", "before_id", "limit", "format", NULL
};

static bool
bad(http_response *resp, const char *message)
{
	http_error(resp, 400, "bad_request", message);
	return false;
}

/* Every key of the query is one the route takes; the first unknown one is named. */
static bool
keys_known(http_request *req, http_response *resp)
{
	const char *p = req->query;
	char msg[160];
	size_t i, n;
	bool known;

	while (*p) {
		n = strcspn(p, "=&");
		for (known = false, i = 0; audit_keys[i] && !known; i++)
			known = strlen(audit_keys[i]) == n && strncmp(audit_keys[i], p, n) == 0;
		if (!known) {
			snprintf(msg, sizeof(msg), "Unknown audit filter \"%.*s\": use %s.", (int)(n > 40 ? 40 : n), p,
				 "customer, actor, actor_type, actor_id, action, object_type, object_id, after, before");
			return bad(resp, msg);
		}
		p += strcspn(p, "&");
		if (*p)
			p++;
	}
	return true;
}

/* A name made of [a-z0-9_.] (action names, types), 1 to max bytes. */
static bool
plain_name(const char *s, size_t max)
{
	size_t n = strlen(s), i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '.'))
			return false;
	return n > 0 && n <= max;
}

static bool
id_param(http_request *req, const char *key, int64_t *out)
{
	const char *v = input_query(req, key);
	long long x = 0;

	*out = 0;
	if (v && str_to_ll(str_from_c(v), 1, INT64_MAX, &x) != OR_OK)
		return false;
	*out = x;
	return true;
}

static bool
time_param(http_request *req, const char *key, int64_t *out)
{
	const char *v = input_query(req, key);

	*out = 0;
	return v == NULL || timefmt_parse_rfc3339(str_from_c(v), out) == OR_OK;
}

/* customer, actor and object: who and what. */
static bool
read_who(http_request *req, http_response *resp, int64_t *customer_id, audit_filter *f)
{
	const char *aid = input_query(req, "actor_id");
	long long x;

	if (!id_param(req, "customer", customer_id))
		return bad(resp, "customer must be a customer id.");
	f->actor = input_query(req, "actor");
	if (f->actor && (*f->actor == '\0' || strlen(f->actor) > LIMIT_AUDIT_ACTOR))
		return bad(resp, "actor must be a name as the trail shows it (up to 400 bytes).");
	f->actor_type = input_query(req, "actor_type");
	if ((f->actor_type == NULL) != (aid == NULL) ||
	    (f->actor_type && !plain_name(f->actor_type, 32)) ||
	    (aid && str_to_ll(str_from_c(aid), 1, INT64_MAX, &x) != OR_OK))
		return bad(resp, "actor_type and actor_id go together: a type (user, operator...) and its id.");
	f->actor_id = aid ? x : 0;
	f->action = input_query(req, "action");
	if (f->action && !plain_name(f->action, 64))
		return bad(resp, "action must be an action name, or a prefix ending in \".\" (user.).");
	f->object_type = input_query(req, "object_type");
	f->object_id = input_query(req, "object_id");
	if ((f->object_type && !plain_name(f->object_type, 32)) || (f->object_id && f->object_type == NULL) ||
	    (f->object_id && (*f->object_id == '\0' || strlen(f->object_id) > 64)))
		return bad(resp, "object_type is a type (user, invite, customer...); object_id needs it.");
	return true;
}

/* before is a page's id (digits, as next_before gives it) or the end of a time range (RFC 3339). */
static bool
read_filter(http_request *req, http_response *resp, int64_t *customer_id, audit_filter *f)
{
	const char *b = input_query(req, "before");
	long long x;

	memset(f, 0, sizeof(*f));
	if (!keys_known(req, resp) || !read_who(req, resp, customer_id, f))
		return false;
	if (!time_param(req, "after", &f->after))
		return bad(resp, "after must be an RFC 3339 time, e.g. 2026-01-31T00:00:00Z.");
	if (b && str_to_ll(str_from_c(b), 1, INT64_MAX, &x) == OR_OK)
		f->before_id = x;
	else if (!time_param(req, "before", &f->before))
		return bad(resp, "before must be an entry id (next_before) or an RFC 3339 time.");
	if (input_query(req, "before_id") && (f->before_id || !id_param(req, "before_id", &f->before_id)))
		return bad(resp, "before_id must be an entry id (next_before), given once.");
	if (f->after && f->before && f->before <= f->after)
		return bad(resp, "before must come after after.");
	return true;
}

static or_status
list(app *a, http_request *req, int64_t customer_id, const audit_filter *f, long limit, audit_entry **es, size_t *n)
{
	if (customer_id)
		return store_audit_list(a->db, req->arena, customer_id, f, limit, es, n);
	return store_audit_list_any(a->db, req->arena, f, limit, es, n);
}

static json_object *
str_or_null(const char *s)
{
	return s && *s ? json_object_new_string(s) : NULL;
}

/* One entry as the list and the JSON-lines export show it. */
static json_object *
entry_json(const audit_entry *e)
{
	json_object *o = json_object_new_object(), *b, *af;
	const char *actor = e->actor_name && *e->actor_name ? e->actor_name : e->actor_label;

	b = e->before_json ? json_tokener_parse(e->before_json) : NULL;
	af = e->after_json ? json_tokener_parse(e->after_json) : NULL;
	json_object_object_add(o, "id", output_id(e->id));
	json_object_object_add(o, "at", output_time(e->at));
	json_object_object_add(o, "actor_type", json_object_new_string(store_audit_actor_name(e->actor_type)));
	json_object_object_add(o, "actor_id", e->actor_id ? output_id(e->actor_id) : NULL);
	json_object_object_add(o, "actor", json_object_new_string(actor ? actor : ""));
	json_object_object_add(o, "customer_id", e->customer_id ? output_id(e->customer_id) : NULL);
	json_object_object_add(o, "customer_name", str_or_null(e->customer_name));
	json_object_object_add(o, "customer_slug", str_or_null(e->customer_slug));
	json_object_object_add(o, "action", json_object_new_string(e->action ? e->action : ""));
	json_object_object_add(o, "object_type", json_object_new_string(e->object_type ? e->object_type : ""));
	json_object_object_add(o, "object_id", json_object_new_string(e->object_id ? e->object_id : ""));
	json_object_object_add(o, "object_label", str_or_null(e->object_label));
	json_object_object_add(o, "changes", audit_changes(e->action, b, af));
	json_object_object_add(o, "before", b);
	json_object_object_add(o, "after", af);
	json_object_object_add(o, "client_addr", json_object_new_string(e->client_addr ? e->client_addr : ""));
	json_object_object_add(o, "request_id", json_object_new_string(e->request_id ? e->request_id : ""));
	return o;
}

void
api_admin_audit_list(app *a, http_request *req, http_response *resp)
{
	const char *l = input_query(req, "limit");
	long long limit = LIMIT_AUDIT_PAGE_DEFAULT;
	int64_t customer_id;
	audit_filter f;
	audit_entry *es;
	size_t n, i;
	json_object *o, *arr;
	or_status st;

	if (!read_filter(req, resp, &customer_id, &f))
		return;
	if (input_query(req, "format")) {
		(void)bad(resp, "format is for /audit/export.");
		return;
	}
	if (l && str_to_ll(str_from_c(l), 1, LIMIT_AUDIT_PAGE_MAX, &limit) != OR_OK) {
		(void)bad(resp, "limit must be a whole number within the allowed range.");
		return;
	}
	if ((st = list(a, req, customer_id, &f, (long)limit, &es, &n)) != OR_OK) {
		api_fail_db(a, req, resp, st);
		return;
	}
	o = json_object_new_object();
	arr = json_object_new_array();
	for (i = 0; i < n; i++)
		json_object_array_add(arr, entry_json(&es[i]));
	json_object_object_add(o, "entries", arr);
	json_object_object_add(o, "next_before", n == (size_t)limit && n ? output_id(es[n - 1].id) : NULL);
	http_json(resp, 200, o);
}

static const char *const csv_header =
	"id,at,actor_type,actor,customer_slug,customer_name,action,object_type,object_id,object_label,changes,"
	"before,after,client_addr,request_id\r\n";

static or_status
cell(or_buf *b, const char *s, bool last)
{
	or_status st = audit_csv_cell(b, s ? s : "", s ? strlen(s) : 0);

	return st == OR_OK ? buf_append_c(b, last ? "\r\n" : ",") : st;
}

/* One CSV row from the entry's JSON (the same names and changes the list shows). */
static or_status
csv_row(or_buf *b, json_object *o)
{
	static const char *const cols[] = { "id", "at", "actor_type", "actor", "customer_slug", "customer_name",
					    "action", "object_type", "object_id", "object_label", NULL };
	json_object *v;
	char *changes;
	or_status st = OR_OK;
	size_t i;

	for (i = 0; cols[i] && st == OR_OK; i++)
		st = cell(b, json_object_object_get_ex(o, cols[i], &v) && v ? json_object_get_string(v) : "", false);
	json_object_object_get_ex(o, "changes", &v);
	if ((changes = audit_changes_text(v)) == NULL)
		return OR_ERR_NOMEM;
	if (st == OR_OK)
		st = cell(b, changes, false);
	free(changes);
	for (i = 0; i < 2 && st == OR_OK; i++) {
		json_object_object_get_ex(o, i ? "after" : "before", &v);
		st = cell(b, v ? json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)
			       : "", false);
	}
	if (st == OR_OK && json_object_object_get_ex(o, "client_addr", &v))
		st = cell(b, json_object_get_string(v), false);
	if (st == OR_OK && json_object_object_get_ex(o, "request_id", &v))
		st = cell(b, json_object_get_string(v), true);
	return st;
}

static or_status
export_row(or_buf *row, const audit_entry *e, bool csv)
{
	json_object *o = entry_json(e);
	or_status st = csv ? csv_row(row, o)
			   : buf_append_c(row, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
										JSON_C_TO_STRING_NOSLASHESCAPE));

	json_object_put(o);
	return st == OR_OK && !csv ? buf_putc(row, '\n') : st;
}

/*
 * Pages of LIMIT_AUDIT_EXPORT_PAGE rows, newest first, into one body of at
 * most LIMIT_AUDIT_EXPORT_BYTES and LIMIT_AUDIT_EXPORT_ROWS (or limit=): a
 * bigger range stops at a whole row and *next names where to go on.
 */
static or_status
export_body(app *a, http_request *req, int64_t customer_id, audit_filter *f, long cap, bool csv, or_buf *out,
	    int64_t *next)
{
	or_buf row;
	audit_entry *es;
	size_t n, i;
	long rows = 0;
	or_status st = csv ? buf_append_c(out, csv_header) : buf_append(out, "", 0);

	*next = 0;
	buf_init(&row, LIMIT_AUDIT_EXPORT_BYTES);
	do {
		st = st == OR_OK ? list(a, req, customer_id, f, LIMIT_AUDIT_EXPORT_PAGE, &es, &n) : st;
		for (i = 0; st == OR_OK && i < n; i++, rows++) {
			buf_reset(&row);
			if (rows == cap || (st = export_row(&row, &es[i], csv)) != OR_OK ||
			    buf_append(out, row.data, row.len) != OR_OK) {
				*next = es[i].id + 1; /* before_id=next starts with this row */
				goto out;
			}
		}
		f->before_id = n ? es[n - 1].id : 0;
	} while (st == OR_OK && n == LIMIT_AUDIT_EXPORT_PAGE);
out:
	buf_free(&row);
	return st;
}

void
api_admin_audit_export(app *a, http_request *req, http_response *resp)
{
	const char *format = input_query(req, "format"), *l = input_query(req, "limit");
	long long cap = LIMIT_AUDIT_EXPORT_ROWS;
	int64_t customer_id, next;
	audit_filter f;
	or_buf out;
	bool csv;
	char v[24];
	or_status st;

	if (!read_filter(req, resp, &customer_id, &f))
		return;
	if (format && strcmp(format, "csv") != 0 && strcmp(format, "jsonl") != 0) {
		(void)bad(resp, "format must be csv or jsonl.");
		return;
	}
	if (l && str_to_ll(str_from_c(l), 1, LIMIT_AUDIT_EXPORT_ROWS, &cap) != OR_OK) {
		(void)bad(resp, "limit must be a whole number from 1 to 10000.");
		return;
	}
	csv = format == NULL || strcmp(format, "csv") == 0;
	buf_init(&out, LIMIT_AUDIT_EXPORT_BYTES);
	if ((st = export_body(a, req, customer_id, &f, (long)cap, csv, &out, &next)) != OR_OK) {
		buf_free(&out);
		api_fail_db(a, req, resp, st);
		return;
	}
	http_text(req, resp, 200, csv ? "text/csv; charset=utf-8" : "application/x-ndjson", out.data, out.len);
	buf_free(&out);
	(void)http_header_add(req, resp, "Content-Disposition",
			      csv ? "attachment; filename=\"audit.csv\"" : "attachment; filename=\"audit.jsonl\"");
	if (next) {
		snprintf(v, sizeof(v), "%lld", (long long)next);
		(void)http_header_add(req, resp, "X-Audit-Next-Before", v);
	}
}
