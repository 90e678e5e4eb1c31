/*
 * Shared by the SAML response verifier's tests (test_saml_response.c,
 * test_saml_wrapping.c): a response template with what a good IdP sends,
 * signed at test time (saml_sign.c), the expectations it meets, and the
 * helpers that read it and assert the verdict.  Header-only (static inline)
 * so each test program takes what it uses.
 */
#ifndef ONRAMP_SAML_RESP_TEST_H
#define ONRAMP_SAML_RESP_TEST_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onramp/arena.h"
#include "onramp/limits.h"
#include "onramp/saml_response.h"
#include "saml_sign.h"
#include "unit.h"

#define T0 1795392000	/* 2026-11-23T00:00:00Z */
#define IDP "https://idp.example.test/saml"
#define SP "https://onramp.example.test/api/v1/sso/saml/acme"
#define ACS SP "/acs"
#define REQ "_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define SUCCESS "urn:oasis:names:tc:SAML:2.0:status:Success"
#define EVIL "admin@evil.test"

/* What the template holds; spec_good() is what a good IdP sends. */
typedef struct spec {
	const char *destination, *resp_irt, *resp_issuer, *status, *resp_extra;
	const char *issuer, *name_id, *irt, *recipient, *bearer_nooa, *bearer_nb;
	const char *cond_nb, *cond_nooa, *audience_xml, *cond_extra, *attr_extra, *assertion_extra;
} spec;

static inline spec
spec_good(void)
{
	spec s = { ACS, REQ, IDP, SUCCESS, "", IDP, "alice@example.test", REQ, ACS, "2026-11-23T00:05:00Z", NULL,
		   "2026-11-22T23:59:00Z", "2026-11-23T00:10:00Z",
		   "<saml:AudienceRestriction><saml:Audience>" SP "</saml:Audience></saml:AudienceRestriction>", "", "", "" };
	return s;
}

static inline char *
build(const spec *s)
{
	char *x = malloc(16384);
	char dest[300] = "", rirt[200] = "", riss[300] = "", irt[200] = "", nb[100] = "";

	if (s->destination != NULL)
		snprintf(dest, sizeof(dest), " Destination=\"%s\"", s->destination);
	if (s->resp_irt != NULL)
		snprintf(rirt, sizeof(rirt), " InResponseTo=\"%s\"", s->resp_irt);
	if (s->resp_issuer != NULL)
		snprintf(riss, sizeof(riss), "<saml:Issuer>%s</saml:Issuer>", s->resp_issuer);
	if (s->irt != NULL)
		snprintf(irt, sizeof(irt), " InResponseTo=\"%s\"", s->irt);
	if (s->bearer_nb != NULL)
		snprintf(nb, sizeof(nb), " NotBefore=\"%s\"", s->bearer_nb);
	snprintf(x, 16384,
		 "<samlp:Response xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" "
		 "xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"_r1\" Version=\"2.0\" "
		 "IssueInstant=\"2026-11-23T00:00:00Z\"%s%s>%s"
		 "<samlp:Status><samlp:StatusCode Value=\"%s\"/></samlp:Status>%s"
		 "<saml:Assertion ID=\"_a1\" Version=\"2.0\" IssueInstant=\"2026-11-23T00:00:00Z\">"
		 "<saml:Issuer>%s</saml:Issuer>"
		 "<saml:Subject><saml:NameID Format=\"urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress\">%s"
		 "</saml:NameID><saml:SubjectConfirmation Method=\"urn:oasis:names:tc:SAML:2.0:cm:bearer\">"
		 "<saml:SubjectConfirmationData%s Recipient=\"%s\" NotOnOrAfter=\"%s\"%s/></saml:SubjectConfirmation>"
		 "</saml:Subject>"
		 "<saml:Conditions NotBefore=\"%s\" NotOnOrAfter=\"%s\">%s%s</saml:Conditions>"
		 "<saml:AuthnStatement AuthnInstant=\"2026-11-23T00:00:00Z\" SessionIndex=\"_s1\"><saml:AuthnContext>"
		 "<saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
		 "</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>"
		 "<saml:AttributeStatement><saml:Attribute Name=\"email\"><saml:AttributeValue>alice@example.test"
		 "</saml:AttributeValue></saml:Attribute><saml:Attribute Name=\"groups\"><saml:AttributeValue>staff"
		 "</saml:AttributeValue><saml:AttributeValue>admins</saml:AttributeValue></saml:Attribute>%s"
		 "</saml:AttributeStatement>%s</saml:Assertion></samlp:Response>",
		 dest, rirt, riss, s->status, s->resp_extra, s->issuer, s->name_id, irt, s->recipient, s->bearer_nooa, nb,
		 s->cond_nb, s->cond_nooa, s->audience_xml, s->cond_extra, s->attr_extra, s->assertion_extra);
	return x;
}

enum { SIGN_NONE = 0, SIGN_ASSERTION = 1, SIGN_RESPONSE = 2, SIGN_BOTH = 3 };

/* The spec built and signed (where: SIGN_*; o applies to every signature); malloc'd, NULL on failure. */
static inline char *
sign_spec(const spec *s, int where, const saml_sign_opts *o)
{
	char *x = build(s), *y;

	if ((where & SIGN_ASSERTION) && x != NULL) {
		y = saml_sign(x, "_a1", o);
		free(x);
		x = y;
	}
	if ((where & SIGN_RESPONSE) && x != NULL) {
		y = saml_sign(x, "_r1", o);
		free(x);
		x = y;
	}
	return x;
}

static inline char *
make(const spec *s, int where, const saml_sign_opts *o)
{
	char *x = sign_spec(s, where, o);

	CU_ASSERT_PTR_NOT_NULL_FATAL(x);
	return x;
}

static arena *A;
static sso_report R;
static saml_identity ID;

static inline saml_expect
expect_good(void)
{
	static const char *certs[1];
	saml_expect x = { IDP, certs, 1, SP, ACS, REQ, T0 };

	certs[0] = saml_sign_cert();
	return x;
}

static inline void
dump(const char *what)
{
	size_t i;

	printf("\n  %s:\n", what);
	for (i = 0; i < R.nchecks; i++)
		printf("    %s %s: %s\n", R.checks[i].ok ? "ok  " : "FAIL", R.checks[i].key, R.checks[i].message);
}

static inline bool
read_with(const char *xml, const saml_expect *x)
{
	char *b64 = saml_sign_b64(xml, strlen(xml), 1);
	bool ok;

	arena_reset(A);
	sso_report_init(&R, "saml");
	ok = saml_response_read(A, b64, strlen(b64), x, &R, &ID);
	free(b64);
	return ok;
}

/* Read xml (freed) with the good expectations; assert it is refused by the check key. */
static inline void
refused_by(char *xml, const char *key, const saml_expect *x)
{
	saml_expect good = expect_good();
	const sso_check *f;
	bool ok = read_with(xml, x != NULL ? x : &good);

	f = sso_report_failed(&R, SSO_ERROR);
	if (ok || f == NULL || strcmp(f->key, key) != 0)
		dump(key);
	CU_ASSERT_FALSE(ok);
	CU_ASSERT_FALSE(R.ok);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_STRING_EQUAL(f->key, key);
	CU_ASSERT_PTR_NULL(ID.name_id);
	free(xml);
}

static inline void
accepted(char *xml, const saml_expect *x)
{
	saml_expect good = expect_good();
	bool ok = read_with(xml, x != NULL ? x : &good);

	if (!ok)
		dump("expected accepted");
	free(xml);
	CU_ASSERT_TRUE(R.ok);
	CU_ASSERT_TRUE_FATAL(ok);
}

static inline char *
replace(char *xml, const char *from, const char *to)
{
	char *p = strstr(xml, from), *out;
	size_t a, b, c;

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	a = (size_t)(p - xml), b = strlen(from), c = strlen(to);
	out = malloc(strlen(xml) - b + c + 1);
	memcpy(out, xml, a);
	memcpy(out + a, to, c);
	memcpy(out + a + c, p + b, strlen(p + b) + 1);
	free(xml);
	return out;
}

/* Cut the text between from and to (both kept out too). */
static inline char *
cut(char *xml, const char *from, const char *to)
{
	char *p = strstr(xml, from), *q = p != NULL ? strstr(p, to) : NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(q);
	memmove(p, q + strlen(to), strlen(q + strlen(to)) + 1);
	return xml;
}

/** Suite set-up: the arena, xmlsec, both certificates. */
static inline int
srt_init(void)
{
	A = arena_new(LIMIT_ARENA_BYTES);
	return A == NULL || saml_sign_init() != 0 || saml_sign_cert() == NULL || saml_sign_other_cert() == NULL;
}

static inline int
srt_clean(void)
{
	arena_free(A);
	saml_xmlsec_shutdown();
	return 0;
}

#endif
