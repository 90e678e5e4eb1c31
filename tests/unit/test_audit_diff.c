/* Unit tests for the audit trail's per-field diff and redaction (src/domain/audit_diff.c). */
#include <stdlib.h>
#include <string.h>

#include "onramp/audit_diff.h"
#include "onramp/limits.h"
#include "unit.h"

static json_object *
J(const char *text)
{
	return json_tokener_parse(text);
}

/* The text of member key of o ("(absent)" when missing), for compact assertions. */
static const char *
member(json_object *o, const char *key)
{
	json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v))
		return "(absent)";
	return v ? json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN) : "null";
}

static void
test_only_changed_fields_flattened(void)
{
	json_object *b = J("{\"legal_name\":\"Acme\",\"billing_contact\":{\"name\":\"Ann\",\"email\":\"a@x.test\"},"
			   "\"version\":3,\"updated_at\":\"2026-01-01T00:00:00Z\",\"tags\":[\"a\"]}");
	json_object *a = J("{\"legal_name\":\"Acme\",\"billing_contact\":{\"name\":\"Ann\",\"email\":\"b@x.test\"},"
			   "\"version\":4,\"updated_at\":\"2026-02-01T00:00:00Z\",\"tags\":[\"a\",\"b\"]}");
	json_object *ob, *oa;

	CU_ASSERT_EQUAL(audit_diff("account.update", b, a, &ob, &oa), 2);
	CU_ASSERT_EQUAL(json_object_object_length(oa), 2);
	CU_ASSERT_STRING_EQUAL(member(ob, "billing_contact.email"), "\"a@x.test\"");
	CU_ASSERT_STRING_EQUAL(member(oa, "billing_contact.email"), "\"b@x.test\"");
	CU_ASSERT_STRING_EQUAL(member(ob, "tags"), "[\"a\"]");
	CU_ASSERT_STRING_EQUAL(member(oa, "tags"), "[\"a\",\"b\"]");
	/* Unchanged fields and bookkeeping are left out. */
	CU_ASSERT_STRING_EQUAL(member(oa, "legal_name"), "(absent)");
	CU_ASSERT_STRING_EQUAL(member(oa, "version"), "(absent)");
	CU_ASSERT_STRING_EQUAL(member(oa, "updated_at"), "(absent)");
	json_object_put(ob);
	json_object_put(oa);
	json_object_put(b);
	json_object_put(a);
}

static void
test_no_change_is_zero(void)
{
	json_object *b = J("{\"name\":\"Acme\",\"seat_limit\":5,\"version\":1,\"c\":{\"x\":null}}");
	json_object *a = J("{\"name\":\"Acme\",\"seat_limit\":5,\"version\":2,\"c\":{}}");
	json_object *ob = (json_object *)1, *oa = (json_object *)1;

	CU_ASSERT_EQUAL(audit_diff("customer.update", b, a, &ob, &oa), 0);
	CU_ASSERT_PTR_NULL(ob);
	CU_ASSERT_PTR_NULL(oa);
	json_object_put(b);
	json_object_put(a);
}

static void
test_added_removed_and_null(void)
{
	json_object *b = J("{\"target_name\":null,\"gone\":\"x\"}");
	json_object *a = J("{\"target_name\":\"eu-1\",\"new\":{\"k\":1}}");
	json_object *ob, *oa;

	CU_ASSERT_EQUAL(audit_diff("customer.workspace_target", b, a, &ob, &oa), 3);
	CU_ASSERT_STRING_EQUAL(member(ob, "target_name"), "null");
	CU_ASSERT_STRING_EQUAL(member(oa, "target_name"), "\"eu-1\"");
	CU_ASSERT_STRING_EQUAL(member(oa, "gone"), "null");
	CU_ASSERT_STRING_EQUAL(member(ob, "new.k"), "null");
	CU_ASSERT_STRING_EQUAL(member(oa, "new.k"), "1");
	json_object_put(ob);
	json_object_put(oa);
	json_object_put(b);
	json_object_put(a);
}

static void
test_internal_notes_only_changed(void)
{
	json_object *b = J("{\"body\":\"call Bob about the 20% discount\"}");
	json_object *a = J("{\"body\":\"renewal at risk\"}");
	json_object *ob, *oa, *ch;
	const char *text;

	CU_ASSERT_EQUAL(audit_diff("customer.internal_notes", b, a, &ob, &oa), 1);
	CU_ASSERT_STRING_EQUAL(member(ob, "body"), "\"" AUDIT_REDACTED_BEFORE "\"");
	CU_ASSERT_STRING_EQUAL(member(oa, "body"), "\"" AUDIT_REDACTED_AFTER "\"");
	text = json_object_to_json_string(oa);
	CU_ASSERT_PTR_NULL(strstr(text, "renewal"));
	CU_ASSERT_PTR_NULL(strstr(json_object_to_json_string(ob), "discount"));
	/* The reader's view of the stored row: the field, marked redacted, with no values. */
	ch = audit_changes("customer.internal_notes", ob, oa);
	CU_ASSERT_EQUAL(json_object_array_length(ch), 1);
	CU_ASSERT_STRING_EQUAL(member(json_object_array_get_idx(ch, 0), "field"), "\"body\"");
	CU_ASSERT_STRING_EQUAL(member(json_object_array_get_idx(ch, 0), "redacted"), "true");
	CU_ASSERT_STRING_EQUAL(member(json_object_array_get_idx(ch, 0), "after"), "(absent)");
	/* The same field name in another action is an ordinary field. */
	CU_ASSERT_FALSE(audit_field_redacted("banner.set", "body"));
	json_object_put(ch);
	json_object_put(ob);
	json_object_put(oa);
	json_object_put(b);
	json_object_put(a);
}

static void
test_secrets_redacted_everywhere(void)
{
	json_object *b = J("{\"client_secret\":\"s3cr3t-old\",\"sso\":{\"token\":\"tok-old\"},\"name\":\"a\"}");
	json_object *a = J("{\"client_secret\":\"s3cr3t-new\",\"sso\":{\"token\":\"tok-new\"},\"name\":\"b\"}");
	json_object *ob, *oa, *ev, *red;
	char both[4096];

	CU_ASSERT_EQUAL(audit_diff("sso.update", b, a, &ob, &oa), 3);
	snprintf(both, sizeof(both), "%s %s", json_object_to_json_string(ob), json_object_to_json_string(oa));
	CU_ASSERT_PTR_NULL(strstr(both, "s3cr3t"));
	CU_ASSERT_PTR_NULL(strstr(both, "tok-"));
	CU_ASSERT_STRING_EQUAL(member(oa, "name"), "\"b\"");
	/* An event's object (no before): top-level secrets replaced, the rest kept. */
	ev = J("{\"temporary_password\":\"Pw-123\",\"email\":\"e@x.test\"}");
	red = audit_redact("user.create", ev);
	CU_ASSERT_STRING_EQUAL(member(red, "temporary_password"), "\"" AUDIT_REDACTED_AFTER "\"");
	CU_ASSERT_STRING_EQUAL(member(red, "email"), "\"e@x.test\"");
	CU_ASSERT_STRING_EQUAL(member(ev, "temporary_password"), "\"Pw-123\""); /* a copy: the caller's is untouched */
	CU_ASSERT_PTR_NULL(audit_redact("x", NULL));
	json_object_put(ev);
	json_object_put(red);
	json_object_put(ob);
	json_object_put(oa);
	json_object_put(b);
	json_object_put(a);
}

static void
test_long_values_cut_on_character(void)
{
	char big[LIMIT_AUDIT_VALUE + 50];
	json_object *b = J("{\"repository_notes\":\"\"}"), *a = json_object_new_object(), *ob, *oa, *v;
	const char *s;
	size_t n;

	/* "é" is two bytes: the cut at LIMIT_AUDIT_VALUE falls inside one unless it backs off. */
	memset(big, 'x', 1);
	for (n = 1; n + 2 < sizeof(big); n += 2)
		memcpy(big + n, "\xC3\xA9", 2);
	big[n] = '\0';
	json_object_object_add(a, "repository_notes", json_object_new_string(big));
	CU_ASSERT_EQUAL(audit_diff("account.update", b, a, &ob, &oa), 1);
	CU_ASSERT_TRUE(json_object_object_get_ex(oa, "repository_notes", &v));
	s = json_object_get_string(v);
	n = strlen(s);
	CU_ASSERT_TRUE(n <= LIMIT_AUDIT_VALUE + 3);
	CU_ASSERT_TRUE(n > LIMIT_AUDIT_VALUE - 2);
	CU_ASSERT_STRING_EQUAL(s + n - 3, "\xE2\x80\xA6");
	CU_ASSERT_NOT_EQUAL((unsigned char)s[n - 4], 0xC3); /* no half character before the ellipsis */
	json_object_put(ob);
	json_object_put(oa);
	json_object_put(b);
	json_object_put(a);
}

static void
test_changes_of_events_and_old_rows(void)
{
	/* An event (no before) has no per-field changes. */
	json_object *ev = J("{\"email\":\"e@x.test\"}"), *ch = audit_changes("invite.create", NULL, ev);
	json_object *b, *a, *e;

	CU_ASSERT_EQUAL(json_object_array_length(ch), 0);
	json_object_put(ch);
	/* A row written before diffs (whole objects) reads as its changed fields only. */
	b = J("{\"status\":\"dormant\",\"role\":\"customer_member\",\"version\":1}");
	a = J("{\"status\":\"suspended\",\"role\":\"customer_member\",\"version\":2}");
	ch = audit_changes("user.suspend", b, a);
	CU_ASSERT_EQUAL(json_object_array_length(ch), 1);
	e = json_object_array_get_idx(ch, 0);
	CU_ASSERT_STRING_EQUAL(member(e, "field"), "\"status\"");
	CU_ASSERT_STRING_EQUAL(member(e, "before"), "\"dormant\"");
	CU_ASSERT_STRING_EQUAL(member(e, "after"), "\"suspended\"");
	json_object_put(ch);
	json_object_put(ev);
	json_object_put(b);
	json_object_put(a);
}

static void
test_csv_cells(void)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "plain", "\"plain\"" },
		{ "a,b", "\"a,b\"" },
		{ "say \"hi\"", "\"say \"\"hi\"\"\"" },
		{ "two\nlines", "\"two\nlines\"" },
		{ "=1+1", "\"'=1+1\"" },
		{ "+1", "\"'+1\"" },
		{ "-2", "\"'-2\"" },
		{ "@SUM(A1)", "\"'@SUM(A1)\"" },
		{ "\tx", "\"'\tx\"" },
		{ "a=b", "\"a=b\"" },
		{ "", "\"\"" },
	};
	or_buf b;
	size_t i;

	buf_init(&b, 1024);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf_reset(&b);
		CU_ASSERT_EQUAL(audit_csv_cell(&b, cases[i].in, strlen(cases[i].in)), OR_OK);
		CU_ASSERT_STRING_EQUAL(b.data, cases[i].out);
	}
	buf_free(&b);
}

static void
test_changes_text(void)
{
	json_object *ch = J("[{\"field\":\"billing_contact.email\",\"before\":\"a@x\",\"after\":\"b@x\"},"
			    "{\"field\":\"seat_limit\",\"before\":5,\"after\":7},"
			    "{\"field\":\"target_name\",\"before\":null,\"after\":\"eu\"},"
			    "{\"field\":\"body\",\"redacted\":true}]");
	json_object *none = J("[]");
	char *t = audit_changes_text(ch), *e = audit_changes_text(none);

	CU_ASSERT_STRING_EQUAL(t, "billing_contact.email: a@x \xE2\x86\x92 b@x; seat_limit: 5 \xE2\x86\x92 7; "
				  "target_name: (none) \xE2\x86\x92 eu; body: changed");
	CU_ASSERT_STRING_EQUAL(e, "");
	free(t);
	free(e);
	json_object_put(ch);
	json_object_put(none);
}

static const unit_test tests[] = {
	{ "CSV cells: quoted, quotes doubled, formulas defused", test_csv_cells },
	{ "the readable line of changes", test_changes_text },
	{ "only changed fields, nested ones as dotted paths", test_only_changed_fields_flattened },
	{ "a save that changes nothing diffs to nothing", test_no_change_is_zero },
	{ "added, removed and null members", test_added_removed_and_null },
	{ "internal notes appear only as changed", test_internal_notes_only_changed },
	{ "secrets are redacted in every action and depth", test_secrets_redacted_everywhere },
	{ "long values are cut on a character boundary", test_long_values_cut_on_character },
	{ "changes of events and of whole-object rows", test_changes_of_events_and_old_rows },
	{ NULL, NULL },
};

UNIT_MAIN("audit_diff", tests)
