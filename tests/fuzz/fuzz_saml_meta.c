/*
 * Fuzz the SAML metadata checker (src/domain/saml_meta.c, saml_entity.c) and
 * the certificate reader (src/domain/x509info.c).  Checks the input at a
 * fixed time; traps when the report breaks its own shape (ok must mean no
 * failed error check, a refusal must leave ok false, counts within their
 * arrays, every check keyed "saml.*" with a message, fingerprints well
 * formed), when a second run disagrees, or when choosing one of the listed
 * identity providers still asks for a choice.  The raw input also goes
 * through x509info_from_base64, as a JWKS x5c value would.
 */
#include <string.h>

#include "fuzz.h"
#include "onramp/arena.h"
#include "onramp/limits.h"
#include "onramp/saml_meta.h"
#include "onramp/x509info.h"

#define CHECK(cond) do { if (!(cond)) __builtin_trap(); } while (0)
#define FUZZ_NOW 1795392000	/* 2026-11-23T00:00:00Z, the corpus date */

static void
check_shape(const sso_report *r, or_status st)
{
	bool failed_error = false;
	size_t i;

	CHECK(st == OR_OK || st == OR_ERR_LIMIT || st == OR_ERR_INVALID || st == OR_ERR_NOMEM);
	CHECK(r->nchecks >= 1 && r->nchecks <= SSO_MAX_CHECKS);
	CHECK(r->ncerts <= SSO_MAX_CERTS && r->nendpoints <= SSO_MAX_ENDPOINTS && r->nentities <= SSO_MAX_ENTITIES);
	CHECK(r->nnameid <= sizeof(r->nameid_formats) / sizeof(r->nameid_formats[0]));
	for (i = 0; i < r->nchecks; i++) {
		CHECK(r->checks[i].key != NULL && strncmp(r->checks[i].key, "saml.", 5) == 0);
		CHECK(r->checks[i].message != NULL);
		if (!r->checks[i].ok && r->checks[i].severity == SSO_ERROR)
			failed_error = true;
	}
	CHECK(r->ok == !failed_error);
	CHECK(st == OR_OK || !r->ok);
	CHECK(!r->ok || r->entity_id != NULL);
	for (i = 0; i < r->ncerts; i++)
		CHECK(strlen(r->certs[i].sha256) == 95 && r->certs[i].subject != NULL && r->certs[i].sig_alg != NULL);
	for (i = 0; i < r->nendpoints; i++)
		CHECK(r->endpoints[i].kind != NULL && r->endpoints[i].url != NULL);
}

static void
check_choice(const char *xml, size_t len, const sso_report *first)
{
	static arena *b;
	sso_report r;
	size_t i;

	if (first->nentities < 2)
		return;
	if (b == NULL && (b = arena_new(LIMIT_ARENA_BYTES)) == NULL)
		return;
	arena_reset(b);
	if (saml_metadata_check(b, xml, len, FUZZ_NOW, first->entities[0], &r) == OR_ERR_NOMEM)
		return;
	for (i = 0; i < r.nchecks; i++)
		CHECK(r.checks[i].ok || strcmp(r.checks[i].key, "saml.entity_choice") != 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static arena *a;
	const char *xml = (const char *)data;
	sso_report r1, r2;
	sso_cert c;
	or_status st1, st2;

	if (a == NULL && (a = arena_new(LIMIT_ARENA_BYTES)) == NULL)
		return 0;
	arena_reset(a);
	st1 = saml_metadata_check(a, xml, size, FUZZ_NOW, NULL, &r1);
	check_shape(&r1, st1);
	st2 = saml_metadata_check(a, xml, size, FUZZ_NOW, NULL, &r2);
	if (st1 != OR_ERR_NOMEM && st2 != OR_ERR_NOMEM)
		CHECK(st1 == st2 && r1.ok == r2.ok && r1.nchecks == r2.nchecks && r1.ncerts == r2.ncerts);
	check_choice(xml, size, &r1);
	arena_reset(a);
	if (x509info_from_base64(a, xml, size, &c) == OR_OK)
		CHECK(strlen(c.sha256) == 95 && c.subject != NULL && c.issuer != NULL && c.key_type != NULL);
	return 0;
}
