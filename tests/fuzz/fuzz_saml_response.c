/*
 * Fuzz the SAML response verifier (src/domain/saml_response.c,
 * saml_xmlsec.c, saml_assertion.c): the input is the XML an IdP would post,
 * base64-encoded here as the ACS receives it, then read at a fixed time
 * against fixed expectations; the raw input also goes through as the form
 * value itself, for the strict base64 reader.  The seeds
 * (tests/fuzz/corpus/saml_response, written by SAML_FUZZ_SEEDS=dir
 * tests/unit/test_saml_response) are signed with the key of SEED_CERT below,
 * so mutations reach the content checks behind a verified signature; that
 * run's private key was not kept.  Traps when the verdict breaks its shape:
 * ok with a failed check or without an identity, a refusal without exactly
 * one failed "saml.*" check, or a second read that disagrees.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "fuzz.h"
#include "onramp/arena.h"
#include "onramp/limits.h"
#include "onramp/saml_response.h"

#define CHECK(cond) do { if (!(cond)) __builtin_trap(); } while (0)
#define FUZZ_NOW 1795392000	/* 2026-11-23T00:00:00Z, the seeds' time */
#define SP "https://onramp.example.test/api/v1/sso/saml/acme"

static const char SEED_CERT[] =
	"MIICsDCCAZigAwIBAgICEJIwDQYJKoZIhvcNAQELBQAwGzEZMBcGA1UEAwwQaWRwLmV4YW1wbGUudGVzdDAeFw0yMDAxMDEwMDAw"
	"MDBaFw0zMDAxMDEwMDAwMDBaMBsxGTAXBgNVBAMMEGlkcC5leGFtcGxlLnRlc3QwggEiMA0GCSqGSIb3DQEBAQUAA4IBDwAwggEK"
	"AoIBAQCRl6Pvv4PJtLJ1+mg7o6Smv0zrM3C+iKPAvdswCfS54ZoiLvlDWkfbZ5GGkR/dFl7kup6Mte+hBu/J4ycdE+h+4Uj2i7/H"
	"zbCy0qU5mvY856efls9aeRsGKzJDvJaFXR8d9Hm1+/5xxZ2EjiiL/JmEjXP7Xdm1/i4zlQXAnxSEXQL3VLMkaWr5Awk4USCyu2Ff"
	"EXMBBVIYfhKpD05SDX7w/DTuwA2n9V164yVjpn7nlb7aLj2cAl4hLSKvEkdu8iArx41ulKRztcgBw8FbshTOTMSK+XxZ36m8S44G"
	"oo5j9e/93Wkk492PMI/4LOU778/eepGV1OZTcw2QOwQ1bkPhAgMBAAEwDQYJKoZIhvcNAQELBQADggEBABlDBh3S9JWSXRwU2qS3"
	"ZKK1VE7/7e3NA5IOO8GXXOOovUWa7vyJabl648LDtGPmaZC4bpBPsjWd5SRXxQYdPOJ49BbEeAZG4kaNNB9wOF49Zi9vNHczvc+y"
	"q6mLBi2Pcfxxp8x71hQi/7IUemMc4CUUlDPaEG80/CQ0Ll3g4DVePoR/MoxT9BowD/AxlWJTcGm9cStKLWABdf+XdJsCX+gJm0Z6"
	"fyf1BJ5iG0PAdDGZATCadcGSfYy5SszEZAx7FnJ2wioOFF0j3/Va9fw/Gy1+TahRPA6FMF65Uu0Ugv8pJIitN3ENOkMfJmpmoITW"
	"tk9iigBCVdbqH6qYUXmGGXE=";

static void
check_shape(const sso_report *r, bool ok, const saml_identity *id)
{
	size_t i, failed = 0;

	for (i = 0; i < r->nchecks; i++) {
		CHECK(r->checks[i].key != NULL && strncmp(r->checks[i].key, "saml.", 5) == 0);
		CHECK(r->checks[i].message != NULL);
		failed += !r->checks[i].ok;
	}
	CHECK(ok == r->ok);
	CHECK(ok ? failed == 0 : failed == 1);
	if (ok)
		CHECK(id->name_id != NULL && id->name_id[0] != '\0' && id->assertion_id != NULL && id->issuer != NULL &&
		      id->expires_at > 0);
	else
		CHECK(id->name_id == NULL && id->nattrs == 0);
}

static bool
read_once(arena *a, const char *b64, size_t len, sso_report *r, saml_identity *id)
{
	static const char *certs[1] = { SEED_CERT };
	saml_expect x = { "https://idp.example.test/saml", certs, 1, SP, SP "/acs",
			  "_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", FUZZ_NOW };
	bool ok;

	arena_reset(a);
	sso_report_init(r, "saml");
	ok = saml_response_read(a, b64, len, &x, r, id);
	check_shape(r, ok, id);
	return ok;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static arena *a;
	static bool started;
	char err[200], *b64;
	sso_report r1, r2;
	saml_identity id;
	bool ok;

	if (!started && !(started = saml_xmlsec_init(err, sizeof(err))))
		return 0;
	if (a == NULL && (a = arena_new(LIMIT_ARENA_BYTES)) == NULL)
		return 0;
	if (size > LIMIT_SAML_RESPONSE_B64 / 4 * 3 || (b64 = malloc(size / 3 * 4 + 8)) == NULL)
		return 0;
	EVP_EncodeBlock((unsigned char *)b64, data, (int)size);
	ok = read_once(a, b64, strlen(b64), &r1, &id);
	CHECK(read_once(a, b64, strlen(b64), &r2, &id) == ok && r1.nchecks == r2.nchecks);
	free(b64);
	read_once(a, (const char *)data, size, &r1, &id);
	return 0;
}
