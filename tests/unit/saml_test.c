/*
 * Helpers of the SAML metadata tests (tests/unit/saml_test.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onramp/limits.h"
#include "onramp/str.h"
#include "saml_test.h"
#include "testcert.h"

or_status
st_check(const char *xml, size_t len, int64_t now, const char *choice, sso_report *r)
{
	static arena *a;

	if (a == NULL)
		a = arena_new(LIMIT_ARENA_BYTES);
	else
		arena_reset(a);
	return saml_metadata_check(a, xml, len, now, choice, r);
}

/* The certificate for a placeholder name, made once per run. */
static const char *
cert(const char *name)
{
	static const struct {
		const char *name;
		testcert_spec spec;
	} certs[] = {
		{ "{CERT}", { 2048, 1577836800, 1893456000, "SHA256", "idp.example.com" } },
		{ "{CERT_EXPIRED}", { 2048, 1577836800, 1735689600, "SHA256", "old.example.com" } },
		{ "{CERT_SOON}", { 2048, 1767225600, 1796860800, "SHA256", "soon.example.com" } },
		{ "{CERT_1024}", { 1024, 1577836800, 1893456000, "SHA256", "small.example.com" } },
		{ "{CERT_SHA1}", { 2048, 1577836800, 1893456000, "SHA1", "sha1.example.com" } },
	};
	static char *made[sizeof(certs) / sizeof(certs[0])];
	size_t i;

	for (i = 0; i < sizeof(certs) / sizeof(certs[0]); i++)
		if (strcmp(certs[i].name, name) == 0) {
			if (made[i] == NULL)
				made[i] = testcert_base64(&certs[i].spec);
			return made[i];
		}
	return NULL;
}

char *
st_fill(const char *tmpl, size_t *len)
{
	or_buf b;
	const char *p = tmpl, *open, *close, *c;
	char name[32];

	buf_init(&b, 4u * 1024u * 1024u);
	while ((open = strchr(p, '{')) != NULL && (close = strchr(open, '}')) != NULL &&
	       (size_t)(close - open) < sizeof(name) - 1) {
		memcpy(name, open, (size_t)(close - open + 1));
		name[close - open + 1] = '\0';
		c = cert(name);
		buf_append(&b, p, (size_t)(open - p));
		buf_append_c(&b, c != NULL ? c : name);
		p = close + 1;
	}
	buf_append_c(&b, p);
	*len = b.len;
	return b.data;
}

or_status
st_check_doc(const char *tmpl, const char *choice, sso_report *r)
{
	size_t len = 0;
	char *xml = st_fill(tmpl, &len);
	or_status st = st_check(xml != NULL ? xml : "", len, NOW, choice, r);

	free(xml);
	return st;
}

const sso_check *
st_failed(const sso_report *r, const char *key)
{
	size_t i;

	for (i = 0; i < r->nchecks; i++)
		if (!r->checks[i].ok && strcmp(r->checks[i].key, key) == 0)
			return &r->checks[i];
	return NULL;
}

int
st_passed(const sso_report *r, const char *key)
{
	const sso_check *c = sso_report_find(r, key);

	return c != NULL && c->ok && st_failed(r, key) == NULL;
}

int
st_mentions(const sso_report *r, const char *needle)
{
	size_t i;

	for (i = 0; i < r->nchecks; i++)
		if (strstr(r->checks[i].message, needle) != NULL)
			return 1;
	return 0;
}

void
st_dump(const char *what, const sso_report *r)
{
	size_t i;

	printf("\n  %s: ok=%d entity=%s certs=%zu\n", what, r->ok, r->entity_id ? r->entity_id : "-", r->ncerts);
	for (i = 0; i < r->nchecks; i++)
		printf("    [%s %s] %s: %s\n", r->checks[i].ok ? "ok" : "FAILED", sso_severity_name(r->checks[i].severity),
		       r->checks[i].key, r->checks[i].message);
}
