/*
 * Per-field audit diffs (include/onramp/audit_diff.h).  An edit's row keeps
 * only what changed, so a reader sees "billing_contact.email: a → b" and a
 * save that changes nothing has nothing to record.  Redaction lives here, in
 * one table, so no write path can forget it: secrets never appear (their
 * keys are redacted wherever they occur), and the fields of the table below
 * appear only as "changed".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onramp/audit_diff.h"
#include "onramp/limits.h"

/* Keys that hold secrets, redacted in every action at any depth. */
static const char *const secret_keys[] = {
	"password", "password_hash", "new_password", "current_password", "temporary_password", "token",
	"totp", "totp_secret", "secret", "client_secret", "csrf_token", "reset_link", "invite_link", NULL
};

/* Bookkeeping that every save moves: not a change a person made. */
static const char *const ignored_keys[] = { "version", "updated_at", "updated_by", "created_at", "id",
					     "customer_id", "slug", NULL };

/*
 * Fields shown only as "changed", per action: internal notes are operator
 * text that must not spread (the audit trail is read more widely than the
 * notes); metadata XML is too long for a row and says nothing at a glance.
 */
static const struct {
	const char *action;
	const char *field;
} redacted_fields[] = {
	{ "customer.internal_notes", "body" },
	{ "sso.update", "metadata_xml" },
};

static bool
listed(const char *const *list, const char *key)
{
	for (; *list; list++)
		if (strcmp(*list, key) == 0)
			return true;
	return false;
}

bool
audit_field_redacted(const char *action, const char *field)
{
	const char *last = strrchr(field, '.');
	size_t i;

	if (listed(secret_keys, last ? last + 1 : field))
		return true;
	for (i = 0; i < sizeof(redacted_fields) / sizeof(redacted_fields[0]); i++)
		if (action && strcmp(redacted_fields[i].action, action) == 0 &&
		    strcmp(redacted_fields[i].field, field) == 0)
			return true;
	return false;
}

/* A value as stored: strings past LIMIT_AUDIT_VALUE are cut on a character boundary. */
static json_object *
stored_value(json_object *v)
{
	const char *s;
	size_t n;
	char cut[LIMIT_AUDIT_VALUE + 4];

	if (!json_object_is_type(v, json_type_string) || (size_t)json_object_get_string_len(v) <= LIMIT_AUDIT_VALUE)
		return json_object_get(v);
	s = json_object_get_string(v);
	n = LIMIT_AUDIT_VALUE;
	while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	memcpy(cut, s, n);
	memcpy(cut + n, "\xE2\x80\xA6", 3); /* … */
	return json_object_new_string_len(cut, (int)n + 3);
}

typedef struct diff_ctx {
	const char *action;
	json_object *ob, *oa;
	size_t n;
} diff_ctx;

static void diff_objects(diff_ctx *c, const char *prefix, json_object *b, json_object *a);

static void
diff_member(diff_ctx *c, const char *prefix, const char *key, json_object *vb, json_object *va)
{
	char path[LIMIT_AUDIT_FIELD];
	int w = *prefix ? snprintf(path, sizeof(path), "%s.%s", prefix, key) : snprintf(path, sizeof(path), "%s", key);

	if (w < 0 || (size_t)w >= sizeof(path))
		return; /* no field of ours nests that deep; a path cut short would name the wrong field */
	if (!*prefix && listed(ignored_keys, key))
		return;
	if (json_object_is_type(vb, json_type_object) || json_object_is_type(va, json_type_object)) {
		diff_objects(c, path, json_object_is_type(vb, json_type_object) ? vb : NULL,
			     json_object_is_type(va, json_type_object) ? va : NULL);
		return;
	}
	if (json_object_equal(vb, va))
		return;
	c->n++;
	if (audit_field_redacted(c->action, path)) {
		json_object_object_add(c->ob, path, json_object_new_string(AUDIT_REDACTED_BEFORE));
		json_object_object_add(c->oa, path, json_object_new_string(AUDIT_REDACTED_AFTER));
		return;
	}
	json_object_object_add(c->ob, path, stored_value(vb));
	json_object_object_add(c->oa, path, stored_value(va));
}

/* Either side may be NULL (an object that appeared or went away): its members count as null. */
static void
diff_objects(diff_ctx *c, const char *prefix, json_object *b, json_object *a)
{
	json_object *other;

	if (b) {
		json_object_object_foreach(b, k, v) {
			other = NULL;
			if (a)
				json_object_object_get_ex(a, k, &other);
			diff_member(c, prefix, k, v, other);
		}
	}
	if (a) {
		json_object_object_foreach(a, k, v) {
			if (b == NULL || !json_object_object_get_ex(b, k, NULL))
				diff_member(c, prefix, k, NULL, v);
		}
	}
}

size_t
audit_diff(const char *action, json_object *before, json_object *after, json_object **ob, json_object **oa)
{
	diff_ctx c = { action, json_object_new_object(), json_object_new_object(), 0 };

	diff_objects(&c, "", json_object_is_type(before, json_type_object) ? before : NULL,
		     json_object_is_type(after, json_type_object) ? after : NULL);
	if (c.n == 0) {
		json_object_put(c.ob);
		json_object_put(c.oa);
		c.ob = c.oa = NULL;
	}
	*ob = c.ob;
	*oa = c.oa;
	return c.n;
}

json_object *
audit_redact(const char *action, json_object *o)
{
	json_object *copy = NULL;

	if (o == NULL || json_object_deep_copy(o, &copy, NULL) != 0)
		return NULL;
	if (!json_object_is_type(copy, json_type_object))
		return copy;
	json_object_object_foreach(copy, k, v) {
		(void)v;
		if (audit_field_redacted(action, k))
			json_object_object_add(copy, k, json_object_new_string(AUDIT_REDACTED_AFTER));
	}
	return copy;
}

json_object *
audit_changes(const char *action, json_object *before, json_object *after)
{
	json_object *arr = json_object_new_array(), *ob = NULL, *oa = NULL;

	if (!json_object_is_type(before, json_type_object) || !json_object_is_type(after, json_type_object) ||
	    audit_diff(action, before, after, &ob, &oa) == 0)
		return arr;
	json_object_object_foreach(oa, k, va) {
		json_object *e = json_object_new_object(), *vb = NULL;

		json_object_object_add(e, "field", json_object_new_string(k));
		if (audit_field_redacted(action, k)) {
			json_object_object_add(e, "redacted", json_object_new_boolean(1));
		} else {
			json_object_object_get_ex(ob, k, &vb);
			json_object_object_add(e, "before", json_object_get(vb));
			json_object_object_add(e, "after", json_object_get(va));
		}
		json_object_array_add(arr, e);
	}
	json_object_put(ob);
	json_object_put(oa);
	return arr;
}

static or_status
append_value(or_buf *b, json_object *v)
{
	if (json_object_is_type(v, json_type_string))
		return buf_append(b, json_object_get_string(v), (size_t)json_object_get_string_len(v));
	return buf_append_c(b, v ? json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN) : "(none)");
}

char *
audit_changes_text(json_object *changes)
{
	or_buf b;
	size_t i, n = json_object_is_type(changes, json_type_array) ? json_object_array_length(changes) : 0;
	or_status st = OR_OK;

	buf_init(&b, 2 * LIMIT_AUDIT_VALUE * 64);
	st = buf_append(&b, "", 0);
	for (i = 0; i < n && st == OR_OK; i++) {
		json_object *e = json_object_array_get_idx(changes, i), *f = NULL, *v = NULL;
		json_object_object_get_ex(e, "field", &f);
		if (i)
			st = buf_append_c(&b, "; ");
		if (st == OR_OK)
			st = buf_appendf(&b, "%s: ", json_object_get_string(f));
		if (st == OR_OK && json_object_object_get_ex(e, "redacted", NULL)) {
			st = buf_append_c(&b, "changed");
			continue;
		}
		if (st == OR_OK && json_object_object_get_ex(e, "before", &v))
			st = append_value(&b, v);
		if (st == OR_OK)
			st = buf_append_c(&b, " \xE2\x86\x92 "); /* → */
		if (st == OR_OK && json_object_object_get_ex(e, "after", &v))
			st = append_value(&b, v);
	}
	if (st != OR_OK) {
		buf_free(&b);
		return NULL;
	}
	return b.data; /* the buffer's heap storage, now the caller's */
}

or_status
audit_csv_cell(or_buf *b, const char *s, size_t n)
{
	or_status st = buf_putc(b, '"');
	size_t i;

	if (st == OR_OK && n > 0 && s[0] != '\0' && strchr("=+-@\t\r", s[0]) != NULL)
		st = buf_putc(b, '\'');
	for (i = 0; i < n && st == OR_OK; i++)
		st = s[i] == '"' ? buf_append(b, "\"\"", 2) : buf_putc(b, s[i]);
	return st == OR_OK ? buf_putc(b, '"') : st;
}
