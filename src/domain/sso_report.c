/*
 * The SSO validation report (see include/onramp/sso_report.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "onramp/sso_report.h"

void
sso_report_init(sso_report *r, const char *protocol)
{
	memset(r, 0, sizeof(*r));
	r->protocol = protocol;
	r->ok = true;
}

void
sso_report_add(sso_report *r, arena *a, const char *key, bool ok, sso_severity sev, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	if (!ok && sev == SSO_ERROR)
		r->ok = false;
	if (r->nchecks >= SSO_MAX_CHECKS)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		buf[0] = '\0';
	r->checks[r->nchecks].key = key;
	r->checks[r->nchecks].ok = ok;
	r->checks[r->nchecks].severity = sev;
	r->checks[r->nchecks].message = arena_strdup(a, buf);
	if (r->checks[r->nchecks].message == NULL)
		r->checks[r->nchecks].message = "";
	r->nchecks++;
}

const sso_check *
sso_report_failed(const sso_report *r, sso_severity sev)
{
	size_t i;

	for (i = 0; i < r->nchecks; i++)
		if (!r->checks[i].ok && r->checks[i].severity == sev)
			return &r->checks[i];
	return NULL;
}

const sso_check *
sso_report_find(const sso_report *r, const char *key)
{
	size_t i;

	for (i = 0; i < r->nchecks; i++)
		if (strcmp(r->checks[i].key, key) == 0)
			return &r->checks[i];
	return NULL;
}

const char *
sso_severity_name(sso_severity s)
{
	return s == SSO_ERROR ? "error" : s == SSO_WARNING ? "warning" : "info";
}

sso_severity
sso_check_shown(const sso_check *c)
{
	return c->ok ? SSO_INFO : c->severity;
}

sso_counts
sso_checks_count(const sso_check *checks, size_t n)
{
	sso_counts k = { 0, 0, 0, 0 };
	size_t i;

	for (i = 0; i < n; i++) {
		if (checks[i].ok)
			k.passed++;
		else if (sso_check_shown(&checks[i]) == SSO_ERROR)
			k.errors++;
		else if (sso_check_shown(&checks[i]) == SSO_WARNING)
			k.warnings++;
		else
			k.notes++;
	}
	return k;
}
