/*
 * Shared by the SAML metadata tests (test_saml_meta.c, test_saml_safety.c):
 * the pinned clock, XML building blocks, and a runner that fills {CERT...}
 * placeholders with certificates made at test time (testcert.c).
 */
#ifndef ONRAMP_SAML_TEST_H
#define ONRAMP_SAML_TEST_H

#include <stddef.h>
#include <stdint.h>

#include "onramp/saml_meta.h"
#include "onramp/sso_report.h"

/** The date SOURCES.md verdicts hold at: 2026-11-23T00:00:00Z. */
#define NOW 1795392000

#define MD_NS "urn:oasis:names:tc:SAML:2.0:metadata"
#define DS_NS "http://www.w3.org/2000/09/xmldsig#"
#define PROTO "urn:oasis:names:tc:SAML:2.0:protocol"
#define NS_DECL "xmlns:md=\"" MD_NS "\" xmlns:ds=\"" DS_NS "\""
#define KEYINFO(cert) \
	"<ds:KeyInfo><ds:X509Data><ds:X509Certificate>\n      " cert "\n    </ds:X509Certificate></ds:X509Data></ds:KeyInfo>"
#define KEY_SIGNING(cert) "<md:KeyDescriptor use=\"signing\">" KEYINFO(cert) "</md:KeyDescriptor>"
#define KEY_NOUSE(cert) "<md:KeyDescriptor>" KEYINFO(cert) "</md:KeyDescriptor>"
#define KEY_ENC(cert) "<md:KeyDescriptor use=\"encryption\">" KEYINFO(cert) "</md:KeyDescriptor>"
#define SSO(binding, loc) \
	"<md:SingleSignOnService Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:" binding "\" Location=\"" loc "\"/>"
#define SSO_OK SSO("HTTP-Redirect", "https://idp.example.com/sso")
#define NAMEID "<md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>"
#define ROLE(attrs, keys, sso) \
	"<md:IDPSSODescriptor protocolSupportEnumeration=\"" PROTO "\"" attrs ">" keys NAMEID sso "</md:IDPSSODescriptor>"
#define IDP_BODY ROLE("", KEY_SIGNING("{CERT}"), SSO_OK)
#define IDP(root_attrs, keys, sso) \
	"<md:EntityDescriptor " NS_DECL " entityID=\"https://idp.example.com/saml\"" root_attrs ">" ROLE("", keys, sso) \
	"</md:EntityDescriptor>"
#define IDP_ROLE_ATTR(attrs) \
	"<md:EntityDescriptor " NS_DECL " entityID=\"https://idp.example.com/saml\">" \
	ROLE(attrs, KEY_SIGNING("{CERT}"), SSO_OK) "</md:EntityDescriptor>"
#define GOOD_IDP IDP("", KEY_SIGNING("{CERT}"), SSO_OK)
#define ENTITY(id) "<md:EntityDescriptor entityID=\"" id "\">" IDP_BODY "</md:EntityDescriptor>"
#define SP_ENTITY \
	"<md:EntityDescriptor entityID=\"https://sp.example.com\"><md:SPSSODescriptor protocolSupportEnumeration=\"" \
	PROTO "\"/></md:EntityDescriptor>"
#define ENTITIES(inner) "<md:EntitiesDescriptor " NS_DECL ">" inner "</md:EntitiesDescriptor>"

/** Run the checker on len bytes (the report's strings live until the next call). */
or_status st_check(const char *xml, size_t len, int64_t now, const char *choice, sso_report *r);
/**
 * Fill {CERT} (RSA 2048, 2020-2030), {CERT_EXPIRED} (until 2025-01-01),
 * {CERT_SOON} (until 2026-12-10), {CERT_1024} and {CERT_SHA1} into tmpl and
 * check it at NOW.
 */
or_status st_check_doc(const char *tmpl, const char *choice, sso_report *r);
/** tmpl with the placeholders filled, malloc'd (free it). */
char *st_fill(const char *tmpl, size_t *len);
/** The first failed check with this key, or NULL. */
const sso_check *st_failed(const sso_report *r, const char *key);
/** True when a check with this key passed and none with it failed. */
int st_passed(const sso_report *r, const char *key);
/** Print a report (on a failed assertion, since CUnit prints only the line). */
void st_dump(const char *what, const sso_report *r);
/** True when any check message of r contains needle. */
int st_mentions(const sso_report *r, const char *needle);

#endif
