/*
 * Fuzz the reader of stored SSO configurations (src/domain/sso_config.c):
 * whatever the bytes, a document is either refused whole or gives a complete
 * configuration, and a complete one serialises to a document that parses to
 * the same serialisation again (one writer, one reader, no drift).  The
 * input is also resolved as a discovery document, whose token auth method is
 * one of the two onramp speaks or none with a failed check.
 */
#include <string.h>

#include "fuzz.h"
#include "onramp/limits.h"
#include "onramp/sso_config.h"

#define CHECK(cond) do { if (!(cond)) __builtin_trap(); } while (0)

static void
round_trip(arena *a, const char *text, size_t size)
{
	sso_config c, again;
	const char *json, *json2;

	if (sso_config_parse(a, text, size, &c) != OR_OK) {
		CHECK(c.protocol == NULL);
		return;
	}
	CHECK(c.protocol && (strcmp(c.protocol, "oidc") == 0 || strcmp(c.protocol, "saml") == 0));
	CHECK(c.version > 0 && c.ndomains <= SSO_CONFIG_MAX_LIST && c.nmember <= SSO_CONFIG_MAX_LIST);
	if (strcmp(c.protocol, "oidc") == 0)
		CHECK(c.client_id && c.idp.issuer && c.idp.token_endpoint && c.idp.jwks_uri && c.idp.algs != 0 &&
		      (c.idp.algs & ~(unsigned)(JOSE_RS256 | JOSE_PS256 | JOSE_ES256)) == 0);
	if ((json = sso_config_json(a, &c)) == NULL)
		return;
	CHECK(sso_config_parse(a, json, strlen(json), &again) == OR_OK);
	json2 = sso_config_json(a, &again);
	CHECK(json2 == NULL || strcmp(json, json2) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	arena *a = arena_new(LIMIT_ARENA_BYTES);
	sso_report r;
	sso_idp idp;
	const sso_check *c;

	if (a == NULL)
		return 0;
	round_trip(a, (const char *)data, size);
	sso_report_init(&r, "oidc");
	sso_config_resolve_oidc(a, (const char *)data, size, &idp, &r);
	c = sso_report_find(&r, "oidc.token_auth");
	CHECK(c == NULL || c->ok == (idp.token_auth != NULL));
	CHECK(idp.token_auth == NULL || strcmp(idp.token_auth, "client_secret_basic") == 0 ||
	      strcmp(idp.token_auth, "client_secret_post") == 0);
	arena_free(a);
	return 0;
}
