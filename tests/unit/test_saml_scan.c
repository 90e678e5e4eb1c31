/*
 * Unit tests for the secret scan of XML documents (saml_metadata_secret, and
 * the saml.secret check of saml_metadata_check that uses it): private keys
 * hidden from a scan of the raw bytes by markup (a comment, CDATA section,
 * processing instruction or child element splitting a PEM header or key
 * body; character references spelling it), in attribute values, comments
 * and PIs, in documents that do not parse (broken nesting, a DOCTYPE, an
 * unterminated CDATA section), and ordinary metadata that must pass.  Each
 * smuggled form is first shown to get past the raw scan, so that the test
 * proves the decoding and not the raw scan.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onramp/saml_meta.h"
#include "onramp/secretscan.h"
#include "saml_test.h"
#include "unit.h"

/* An element in a foreign namespace, allowed anywhere in md:Extensions. */
#define X_NS "xmlns:x=\"urn:example:x\""
/* A metadata document with the fragment in the identity provider's extensions. */
#define WITH(fragment) IDP("", KEY_SIGNING("{CERT}"), SSO_OK "<md:Extensions>" fragment "</md:Extensions>")
/* Filler after a header: not a key body the raw scan would know. */
#define BODY "\nAAAAB3NzaC1yc2EAAAADAQABAAABAQC7\n"

static const secretscan_ctx CTX = { "https://console.example.com" };

/* What the metadata check and the XML scan say of the filled template; raw says what a raw scan says. */
static void
judge(const char *tmpl, size_t tlen, secretscan_kind *raw, secretscan_kind *xml, const sso_check **check)
{
	static sso_report r;
	size_t len = tlen;
	char *doc = tlen == 0 ? st_fill(tmpl, &len) : NULL;
	const char *d = tlen == 0 ? doc : tmpl;

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	*raw = secretscan_check(&CTX, d, len);
	*xml = saml_metadata_secret(&CTX, d, len);
	st_check(d, len, NOW, NULL, &r);
	*check = st_failed(&r, "saml.secret");
	free(doc);
}

/* A key the raw bytes do not show: the XML scan and validation must both find it. */
static void
smuggled(const char *name, const char *tmpl, size_t tlen)
{
	secretscan_kind raw, xml;
	const sso_check *c;

	judge(tmpl, tlen, &raw, &xml, &c);
	if (raw != SECRET_NONE || xml != SECRET_PRIVATE_KEY || c == NULL)
		printf("\n  %s: raw %s, xml %s, saml.secret %s\n", name, secretscan_kind_name(raw),
		       secretscan_kind_name(xml), c ? "failed" : "absent or passed");
	CU_ASSERT_EQUAL(raw, SECRET_NONE);
	CU_ASSERT_EQUAL(xml, SECRET_PRIVATE_KEY);
	CU_ASSERT_PTR_NOT_NULL(c);
	CU_ASSERT_TRUE(c == NULL || strstr(c->message, "not stored") != NULL);
}

/* A key either scan may find: the XML scan and validation must find it. */
static void
found(const char *name, const char *tmpl)
{
	secretscan_kind raw, xml;
	const sso_check *c;

	judge(tmpl, 0, &raw, &xml, &c);
	if (xml != SECRET_PRIVATE_KEY || c == NULL)
		printf("\n  %s: xml %s, saml.secret %s\n", name, secretscan_kind_name(xml), c ? "failed" : "absent");
	CU_ASSERT_EQUAL(xml, SECRET_PRIVATE_KEY);
	CU_ASSERT_PTR_NOT_NULL(c);
}

static void
test_split_by_markup(void)
{
	smuggled("comment in the header", WITH("-----BEGIN PRIV<!-- -->ATE KEY-----" BODY "-----END PRIVATE KEY-----"), 0);
	smuggled("empty comment in the header", WITH("-----BEGIN EC PRIVATE <!---->KEY-----" BODY), 0);
	smuggled("CDATA in the header", WITH("-----BEGIN PRIV<![CDATA[ATE KEY-----]]>" BODY), 0);
	smuggled("two CDATA sections", WITH("<![CDATA[-----BEGIN RSA PRIV]]><![CDATA[ATE KEY-----]]>" BODY), 0);
	smuggled("PI in the header", WITH("-----BEGIN PRIV<?x y?>ATE KEY-----" BODY), 0);
	smuggled("child element in the header",
		 WITH("-----BEGIN OPENSSH PRIV<x:b " X_NS "/>ATE KEY-----" BODY), 0);
	smuggled("comment in the key body",
		 WITH("MIIEvQIBADANBgkq<!-- wrapped -->hkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7"), 0);
	smuggled("element text across nested children",
		 WITH("<x:a " X_NS ">-----BEGIN <x:i>note</x:i>ENCRYPTED PRIV<!-- -->ATE KEY-----</x:a>"), 0);
}

static void
test_references(void)
{
	smuggled("decimal references for the dashes",
		 WITH("&#45;&#45;&#45;&#45;&#45;BEGIN PRIVATE KEY&#45;&#45;&#45;&#45;&#45;" BODY), 0);
	smuggled("a hexadecimal reference for a letter", WITH("-----BEGIN &#x50;RIVATE KEY-----" BODY), 0);
	smuggled("references in an attribute value",
		 WITH("<x:k " X_NS " v=\"&#45;&#45;&#45;&#45;&#45;BEGIN EC &#80;RIVATE KEY-----\"/>"), 0);
	smuggled("a reference for the space", WITH("-----BEGIN&#32;PRIVATE&#x20;KEY-----" BODY), 0);
	smuggled("references in the root's attribute",
		 "<md:EntityDescriptor " NS_DECL " entityID=\"&#45;&#45;&#45;&#45;&#45;BEGIN PRIV&#65;TE KEY-----\">"
		 IDP_BODY "</md:EntityDescriptor>", 0);
}

static void
test_comments_pis_attributes(void)
{
	found("a key in a comment", WITH("<!-- -----BEGIN PRIVATE KEY-----" BODY "-->"));
	found("a key in a PI", WITH("<?keep -----BEGIN RSA PRIVATE KEY-----" BODY "?>"));
	found("a key in an attribute", WITH("<x:k " X_NS " v=\"-----BEGIN PRIVATE KEY-----\"/>"));
	found("a key before the root", "<!-- -----BEGIN PRIVATE KEY----- -->" GOOD_IDP);
	found("an RSA private exponent element",
	      IDP("", "<md:KeyDescriptor><ds:KeyInfo><ds:KeyValue><ds:RSAKeyValue><ds:Modulus>AQAB</ds:Modulus>"
		  "<ds:D>AQAB</ds:D></ds:RSAKeyValue></ds:KeyValue></ds:KeyInfo></md:KeyDescriptor>", SSO_OK));
	found("a PrivateKey element", WITH("<x:PrivateKey " X_NS ">AQAB</x:PrivateKey>"));
}

/* Documents libxml2 refuses: the lenient decoding still finds what they hide. */
static void
test_unparseable(void)
{
	static const char nul_doc[] = "<md:EntityDescriptor>-----BEGIN PRIV<!-- -->ATE KEY-----\0</md:EntityDescriptor>";

	smuggled("broken nesting", "<md:EntityDescriptor " NS_DECL "><a>&#45;&#45;&#45;&#45;&#45;BEGIN PRIVATE KEY"
		 "&#45;&#45;&#45;&#45;&#45;</b></md:EntityDescriptor>", 0);
	smuggled("a DOCTYPE", "<!DOCTYPE x><md:EntityDescriptor " NS_DECL ">-----BEGIN PRIV<!-- -->ATE KEY-----"
		 "</md:EntityDescriptor>", 0);
	smuggled("an entity value in a DOCTYPE",
		 "<!DOCTYPE x [<!ENTITY k \"&#45;&#45;&#45;&#45;&#45;BEGIN PRIVATE KEY-----\">]><x>&k;</x>", 0);
	smuggled("an unterminated CDATA section", "<md:EntityDescriptor><![CDATA[-----BEGIN PRIV]]>ATE KEY-----"
		 "<![CDATA[", 0);
	smuggled("an unterminated tag", "<md:EntityDescriptor><x a=\"&#45;&#45;&#45;&#45;&#45;BEGIN PRIVATE KEY\"", 0);
	smuggled("a NUL byte", nul_doc, sizeof(nul_doc) - 1);
	smuggled("not XML at all", "&#45;&#45;&#45;&#45;&#45;BEGIN PRIVATE KEY&#45;&#45;&#45;&#45;&#45;", 0);
}

/* Ordinary metadata, markup in odd places included, passes. */
static void
test_clean(void)
{
	static const char *const docs[] = {
		GOOD_IDP,
		IDP("", KEY_SIGNING("{CERT}"), SSO_OK "<!-- signing key rotated 2026-01; the private key is in the HSM -->"),
		IDP("", KEY_SIGNING("{CERT}"), SSO_OK "<md:Extensions><![CDATA[PRIVATE KEY: see the runbook]]>"
		    "</md:Extensions>"),
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?><?xml-stylesheet href=\"x.xsl\"?>" GOOD_IDP,
		"<md:EntityDescriptor " NS_DECL " entityID=\"https://idp.example.com/saml?a=1&amp;b=2\">" IDP_BODY
		"</md:EntityDescriptor>",
		"<md:EntityDescriptor " NS_DECL ">broken</x>",
		NULL
	};
	secretscan_kind raw, xml;
	const sso_check *c;
	size_t i;

	for (i = 0; docs[i]; i++) {
		judge(docs[i], 0, &raw, &xml, &c);
		if (xml != SECRET_NONE || c != NULL)
			printf("\n  clean document %zu: xml %s\n", i, secretscan_kind_name(xml));
		CU_ASSERT_EQUAL(xml, SECRET_NONE);
		CU_ASSERT_PTR_NULL(c);
	}
	CU_ASSERT_EQUAL(saml_metadata_secret(&CTX, NULL, 0), SECRET_NONE);
	CU_ASSERT_EQUAL(saml_metadata_secret(&CTX, "", 0), SECRET_NONE);
}

/* The other kinds the scanner knows are found through the decoding too. */
static void
test_other_kinds(void)
{
	secretscan_kind raw, xml;
	const sso_check *c;

	judge(WITH("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.<!-- -->eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIn0."
		   "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"), 0, &raw, &xml, &c);
	CU_ASSERT_EQUAL(raw, SECRET_NONE);
	CU_ASSERT_EQUAL(xml, SECRET_JWT);
	CU_ASSERT_PTR_NOT_NULL(c);
}

static const unit_test tests[] = {
	{ "PEM split by comments, CDATA, PIs and child elements", test_split_by_markup },
	{ "PEM spelled with character references", test_references },
	{ "keys in comments, PIs, attributes and key elements", test_comments_pis_attributes },
	{ "documents that do not parse", test_unparseable },
	{ "ordinary metadata passes", test_clean },
	{ "other secret kinds through the decoding", test_other_kinds },
	{ NULL, NULL }
};

UNIT_MAIN("saml_scan", tests)
