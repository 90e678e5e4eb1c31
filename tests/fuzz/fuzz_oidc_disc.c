/*
 * Fuzz the OIDC discovery and JWKS checkers (src/domain/oidc_disc.c,
 * oidc_jwks.c, oidc_json.c): the input is checked as a discovery document
 * and as a key set, and its first line is tried as a discovery URL or issuer.
 * Traps when a report is inconsistent (ok with a failed error, a check
 * without key or message, a negative key count) or when a derived discovery
 * URL does not derive to itself again with the same issuer.
 */
#include <string.h>

#include "fuzz.h"
#include "onramp/limits.h"
#include "onramp/oidc_disc.h"

#define CHECK(cond) do { if (!(cond)) __builtin_trap(); } while (0)

static const oidc_claims form = { "preferred_username", "email", "groups" };

static void
check_report(const sso_report *r)
{
	size_t i;

	CHECK(r->nchecks <= SSO_MAX_CHECKS && r->nendpoints <= SSO_MAX_ENDPOINTS && r->ncerts <= SSO_MAX_CERTS);
	CHECK(r->usable_keys >= 0);
	CHECK((sso_report_failed(r, SSO_ERROR) == NULL) == r->ok);
	for (i = 0; i < r->nchecks; i++)
		CHECK(r->checks[i].key != NULL && r->checks[i].message != NULL);
	for (i = 0; i < r->nendpoints; i++)
		CHECK(r->endpoints[i].kind != NULL && r->endpoints[i].url != NULL);
}

static void
fuzz_url(arena *a, const char *text, size_t size)
{
	const char *nl = size > 0 ? memchr(text, '\n', size < LIMIT_OIDC_URL ? size : LIMIT_OIDC_URL) : NULL;
	size_t n = nl ? (size_t)(nl - text) : (size < 256 ? size : 256);
	const char *line = arena_strndup(a, text, n), *d, *iss, *d2, *iss2;

	if (line == NULL || oidc_discovery_url(a, line, true, &d, &iss) != OR_OK)
		return;
	CHECK(strlen(d) >= strlen(OIDC_WELL_KNOWN));
	CHECK(strcmp(d + strlen(d) - strlen(OIDC_WELL_KNOWN), OIDC_WELL_KNOWN) == 0);
	CHECK(strncmp(d, iss, strlen(iss)) == 0);
	CHECK(oidc_discovery_url(a, d, true, &d2, &iss2) == OR_OK);
	CHECK(strcmp(d, d2) == 0 && strcmp(iss, iss2) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	arena *a = arena_new(LIMIT_ARENA_BYTES);
	const char *text = (const char *)data;
	sso_report r;

	if (a == NULL)
		return 0;
	oidc_discovery_check(a, "https://idp.example.com/.well-known/openid-configuration", text, size, &form, &r);
	check_report(&r);
	oidc_jwks_check(a, text, size, INT64_C(1795392000), &r);
	check_report(&r);
	sso_report_init(&r, "oidc");
	oidc_jwks_check(a, text, size, INT64_C(1795392000), &r);
	check_report(&r);
	CHECK(r.ok == (r.usable_keys > 0));
	fuzz_url(a, text, size);
	arena_free(a);
	return 0;
}
