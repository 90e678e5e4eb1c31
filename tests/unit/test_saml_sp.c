/*
 * Unit tests for the SAML service provider's messages (src/domain/saml_sp.c):
 * the HTTP-Redirect value is taken apart as an IdP would (URL-decoded,
 * base64-decoded, raw-inflated) and the AuthnRequest parsed back with libxml2
 * field by field; values that need escaping survive the round trip; the SP
 * metadata is read back by the metadata checker, which must call it
 * service-provider metadata.
 */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <openssl/evp.h>

#include "onramp/arena.h"
#include "onramp/saml_meta.h"
#include "onramp/saml_sp.h"
#include "onramp/str.h"
#include "unit.h"

#define NOW 1795392000	/* 2026-11-23T00:00:00Z */
#define NS_P "urn:oasis:names:tc:SAML:2.0:protocol"
#define NS_A "urn:oasis:names:tc:SAML:2.0:assertion"
#define NS_MD "urn:oasis:names:tc:SAML:2.0:metadata"
#define POST "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
#define EMAIL_FMT "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
#define ACS "https://onramp.example.com/api/v1/sso/saml/acme/acs"
#define ENTITY "https://onramp.example.com/api/v1/sso/saml/acme"
#define RID "_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define STATE "Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5"

/* Decode %XX and '+' of n bytes into a malloc'd string. */
static char *
url_decode(const char *s, size_t n)
{
	char *out = malloc(n + 1);
	size_t i, j = 0;

	for (i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n + 1 && str_hex_value(s[i + 1]) >= 0 && str_hex_value(s[i + 2]) >= 0) {
			out[j++] = (char)(str_hex_value(s[i + 1]) * 16 + str_hex_value(s[i + 2]));
			i += 2;
		} else {
			out[j++] = s[i] == '+' ? ' ' : s[i];
		}
	}
	out[j] = '\0';
	return out;
}

/* The value of query parameter name in url (decoded, malloc'd), or NULL. */
static char *
query_param(const char *url, const char *name)
{
	const char *q = strchr(url, '?'), *p, *end;
	size_t nl = strlen(name);

	for (p = q; p != NULL; p = strchr(p + 1, '&'))
		if (strncmp(p + 1, name, nl) == 0 && p[1 + nl] == '=') {
			end = strchr(p + 1, '&');
			return url_decode(p + 2 + nl, end ? (size_t)(end - p - 2 - nl) : strlen(p + 2 + nl));
		}
	return NULL;
}

/* base64 text → bytes (malloc'd, *n set), NULL when it is not base64. */
static unsigned char *
b64_decode(const char *s, size_t *n)
{
	size_t len = strlen(s);
	unsigned char *out = malloc(len + 3);
	int r = EVP_DecodeBlock(out, (const unsigned char *)s, (int)len);

	if (r < 0 || len % 4 != 0) {
		free(out);
		return NULL;
	}
	*n = (size_t)r - (len > 0 && s[len - 1] == '=') - (len > 1 && s[len - 2] == '=');
	return out;
}

/* Raw-inflate n bytes (malloc'd, NUL-terminated), NULL when it is not raw DEFLATE. */
static char *
inflate_raw(const unsigned char *in, size_t n)
{
	z_stream z;
	char *out = calloc(1, 65536);
	int rc;

	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, -15) != Z_OK)
		return NULL;
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)n;
	z.next_out = (Bytef *)out;
	z.avail_out = 65535;
	rc = inflate(&z, Z_FINISH);
	inflateEnd(&z);
	if (rc != Z_STREAM_END) {
		free(out);
		return NULL;
	}
	return out;
}

static xmlDocPtr
parse(const char *xml)
{
	return xmlReadMemory(xml, (int)strlen(xml), "t.xml", NULL, XML_PARSE_NONET);
}

/* The first element child of n named name in namespace ns, or NULL. */
static xmlNodePtr
child(xmlNodePtr n, const char *ns, const char *name)
{
	xmlNodePtr c;

	for (c = n ? n->children : NULL; c != NULL; c = c->next)
		if (c->type == XML_ELEMENT_NODE && c->ns && strcmp((const char *)c->ns->href, ns) == 0 &&
		    strcmp((const char *)c->name, name) == 0)
			return c;
	return NULL;
}

/* Assert attribute name of n equals want (the parsed, unescaped value). */
static void
assert_attr(xmlNodePtr n, const char *name, const char *want)
{
	xmlChar *v = n ? xmlGetProp(n, (const xmlChar *)name) : NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	CU_ASSERT_STRING_EQUAL((const char *)v, want);
	xmlFree(v);
}

/* Assert element n exists and its text content equals want. */
static void
assert_text(xmlNodePtr n, const char *want)
{
	xmlChar *txt;

	CU_ASSERT_PTR_NOT_NULL_FATAL(n);
	txt = xmlNodeGetContent(n);
	CU_ASSERT_STRING_EQUAL((const char *)txt, want);
	xmlFree(txt);
}

/* Every field of the plan's AuthnRequest, read back from xml. */
static void
assert_authn(const char *xml, const char *dest, const char *acs, const char *issuer)
{
	xmlDocPtr d = parse(xml);
	xmlNodePtr root = d ? xmlDocGetRootElement(d) : NULL, pol;

	CU_ASSERT_PTR_NOT_NULL_FATAL(root);
	CU_ASSERT_STRING_EQUAL((const char *)root->name, "AuthnRequest");
	CU_ASSERT_STRING_EQUAL((const char *)root->ns->href, NS_P);
	assert_attr(root, "ID", RID);
	assert_attr(root, "Version", "2.0");
	assert_attr(root, "IssueInstant", "2026-11-23T00:00:00Z");
	assert_attr(root, "Destination", dest);
	assert_attr(root, "AssertionConsumerServiceURL", acs);
	assert_attr(root, "ProtocolBinding", POST);
	assert_text(child(root, NS_A, "Issuer"), issuer);
	pol = child(root, NS_P, "NameIDPolicy");
	assert_attr(pol, "Format", EMAIL_FMT);
	assert_attr(pol, "AllowCreate", "true");
	/* Not signed: AuthnRequestsSigned="false" in our metadata. */
	CU_ASSERT_PTR_NULL(child(root, "http://www.w3.org/2000/09/xmldsig#", "Signature"));
	xmlFreeDoc(d);
}

static void
test_request_id(void)
{
	char a[SAML_REQUEST_ID_LEN + 1], b[SAML_REQUEST_ID_LEN + 1];

	CU_ASSERT_EQUAL_FATAL(saml_request_id(a), OR_OK);
	CU_ASSERT_EQUAL_FATAL(saml_request_id(b), OR_OK);
	CU_ASSERT_EQUAL(strlen(a), 65);
	CU_ASSERT_EQUAL(a[0], '_');
	CU_ASSERT_EQUAL(strspn(a + 1, "0123456789abcdef"), 64);
	CU_ASSERT_STRING_NOT_EQUAL(a, b);
	CU_ASSERT_TRUE(saml_request_id_ok(a));
	CU_ASSERT_TRUE(saml_request_id_ok(RID));
	CU_ASSERT_FALSE(saml_request_id_ok(RID "0"));
	CU_ASSERT_FALSE(saml_request_id_ok("_0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef"));
	CU_ASSERT_FALSE(saml_request_id_ok("00123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"));
	CU_ASSERT_FALSE(saml_request_id_ok(NULL));
}

static void
test_redirect_round_trip(void)
{
	arena *ar = arena_new(1 << 20);
	saml_authn r = { RID, NOW, "https://idp.example.com/sso", ACS, ENTITY };
	const char *xml = saml_authn_xml(ar, &r), *url;
	char *req, *relay, *inflated;
	unsigned char *raw;
	size_t n = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(xml);
	url = saml_redirect_url(ar, "https://idp.example.com/sso", xml, STATE);
	CU_ASSERT_PTR_NOT_NULL_FATAL(url);
	CU_ASSERT_EQUAL(strncmp(url, "https://idp.example.com/sso?SAMLRequest=", 40), 0);
	req = query_param(url, "SAMLRequest");
	relay = query_param(url, "RelayState");
	CU_ASSERT_PTR_NOT_NULL_FATAL(req);
	CU_ASSERT_PTR_NOT_NULL_FATAL(relay);
	CU_ASSERT_STRING_EQUAL(relay, STATE);
	/* The value must be URL-encoded: base64's '+', '/' and '=' never appear raw in the query. */
	CU_ASSERT_PTR_NULL(strpbrk(strchr(url, '?') + 1, "+/"));
	raw = b64_decode(req, &n);
	CU_ASSERT_PTR_NOT_NULL_FATAL(raw);
	inflated = inflate_raw(raw, n);
	CU_ASSERT_PTR_NOT_NULL_FATAL(inflated);
	CU_ASSERT_STRING_EQUAL(inflated, xml);
	assert_authn(inflated, "https://idp.example.com/sso", ACS, ENTITY);
	free(req);
	free(relay);
	free(raw);
	free(inflated);
	arena_free(ar);
}

static void
test_redirect_keeps_query(void)
{
	arena *ar = arena_new(1 << 20);
	saml_authn r = { RID, NOW, "https://idp.example.com/sso?tenant=a&x=1", ACS, ENTITY };
	const char *xml = saml_authn_xml(ar, &r);
	const char *u1 = saml_redirect_url(ar, "https://idp.example.com/sso?tenant=a&x=1", xml, STATE);
	const char *u2 = saml_redirect_url(ar, "https://idp.example.com/sso?", xml, STATE);

	CU_ASSERT_PTR_NOT_NULL_FATAL(u1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(u2);
	CU_ASSERT_EQUAL(strncmp(u1, "https://idp.example.com/sso?tenant=a&x=1&SAMLRequest=", 53), 0);
	CU_ASSERT_EQUAL(strncmp(u2, "https://idp.example.com/sso?SAMLRequest=", 40), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(u1, "&RelayState=" STATE));
	arena_free(ar);
}

static void
test_post_value(void)
{
	arena *ar = arena_new(1 << 20);
	saml_authn r = { RID, NOW, "https://idp.example.com/sso", ACS, ENTITY };
	const char *xml = saml_authn_xml(ar, &r), *v = saml_post_value(ar, xml);
	unsigned char *raw;
	size_t n = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	raw = b64_decode(v, &n);
	CU_ASSERT_PTR_NOT_NULL_FATAL(raw);
	/* Plain base64 of the XML: no deflate in the POST binding. */
	CU_ASSERT_EQUAL(n, strlen(xml));
	CU_ASSERT_EQUAL(memcmp(raw, xml, n), 0);
	free(raw);
	arena_free(ar);
}

/* Every value goes into the XML escaped and comes back unchanged; no markup gets in. */
static void
test_escaping(void)
{
	arena *ar = arena_new(1 << 20);
	const char *dest = "https://idp.example.com/sso?a=1&b=\"2\"'<x>";
	const char *acs = "https://sp.example.com/acs?x=<y/>&z=\"";
	const char *issuer = "https://sp.example.com/</saml:Issuer><evil/>&amp;";
	saml_authn r = { RID, NOW, dest, acs, issuer };
	const char *xml = saml_authn_xml(ar, &r), *md;
	xmlDocPtr d;

	CU_ASSERT_PTR_NOT_NULL_FATAL(xml);
	CU_ASSERT_PTR_NULL(strstr(xml, "<evil/>"));
	CU_ASSERT_PTR_NULL(strstr(xml, "<y/>"));
	assert_authn(xml, dest, acs, issuer);
	md = saml_sp_metadata(ar, "https://sp.example.com/\"><x/>", "https://sp.example.com/acs?a=1&b=<2>");
	CU_ASSERT_PTR_NOT_NULL_FATAL(md);
	d = parse(md);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	assert_attr(xmlDocGetRootElement(d), "entityID", "https://sp.example.com/\"><x/>");
	assert_attr(child(child(xmlDocGetRootElement(d), NS_MD, "SPSSODescriptor"), NS_MD, "AssertionConsumerService"),
		    "Location", "https://sp.example.com/acs?a=1&b=<2>");
	xmlFreeDoc(d);
	arena_free(ar);
}

static void
test_metadata_fields(void)
{
	arena *ar = arena_new(1 << 20);
	const char *md = saml_sp_metadata(ar, ENTITY, ACS);
	xmlDocPtr d = md ? parse(md) : NULL;
	xmlNodePtr root = d ? xmlDocGetRootElement(d) : NULL, sp, acs;

	CU_ASSERT_PTR_NOT_NULL_FATAL(root);
	CU_ASSERT_STRING_EQUAL((const char *)root->name, "EntityDescriptor");
	CU_ASSERT_STRING_EQUAL((const char *)root->ns->href, NS_MD);
	assert_attr(root, "entityID", ENTITY);
	sp = child(root, NS_MD, "SPSSODescriptor");
	CU_ASSERT_PTR_NOT_NULL_FATAL(sp);
	assert_attr(sp, "protocolSupportEnumeration", NS_P);
	assert_attr(sp, "AuthnRequestsSigned", "false");
	assert_attr(sp, "WantAssertionsSigned", "true");
	assert_text(child(sp, NS_MD, "NameIDFormat"), EMAIL_FMT);
	acs = child(sp, NS_MD, "AssertionConsumerService");
	assert_attr(acs, "Binding", POST);
	assert_attr(acs, "Location", ACS);
	assert_attr(acs, "index", "0");
	CU_ASSERT_PTR_NULL(child(root, NS_MD, "IDPSSODescriptor"));
	xmlFreeDoc(d);
	arena_free(ar);
}

/* A customer who pastes our SP metadata where their IdP's belongs is told it is SP metadata. */
static void
test_metadata_checker_says_sp(void)
{
	arena *ar = arena_new(1 << 20), *ra = arena_new(1 << 22);
	const char *md = saml_sp_metadata(ar, ENTITY, ACS);
	sso_report r;
	size_t i;
	bool said = false;

	CU_ASSERT_PTR_NOT_NULL_FATAL(md);
	CU_ASSERT_EQUAL(saml_metadata_check(ra, md, strlen(md), NOW, NULL, &r), OR_OK);
	CU_ASSERT_FALSE(r.ok);
	for (i = 0; i < r.nchecks; i++)
		if (!r.checks[i].ok && strcmp(r.checks[i].key, "saml.idp_present") == 0 &&
		    strstr(r.checks[i].message, "service-provider metadata") != NULL)
			said = true;
	CU_ASSERT_TRUE(said);
	/* Well-formed, metadata, no secret: only the missing IdP role is an error (unsigned is a warning). */
	for (i = 0; i < r.nchecks; i++)
		if (!r.checks[i].ok && r.checks[i].severity == SSO_ERROR)
			CU_ASSERT_STRING_EQUAL(r.checks[i].key, "saml.idp_present");
	arena_free(ra);
	arena_free(ar);
}

/* Only a plain origin ever reaches the CSP: nothing in the URL can add a directive or a source. */
static void
test_url_origin(void)
{
	static const char *const good[][2] = {
		{ "https://idp.example.com/sso?x=1", "https://idp.example.com" },
		{ "https://idp.example.com:8443/a", "https://idp.example.com:8443" },
		{ "http://127.0.0.1:9000", "http://127.0.0.1:9000" },
		{ "https://[::1]:8443/sso", "https://[::1]:8443" },
		{ "https://login.Example-IdP.com#f", "https://login.Example-IdP.com" },
	};
	static const char *const bad[] = {
		"https://idp.example.com;script-src *", "https://idp.example.com,https://evil.example",
		"https://idp.example.com 'unsafe-inline'", "https://user@idp.example.com/", "javascript:alert(1)",
		"ftp://idp.example.com/", "https://", "https://:443/", "https://idp.example.com:/x",
		"https://idp.example.com:123456/", "https://[::1/sso", "//idp.example.com/", "https://idp.example.com\\x",
	};
	arena *ar = arena_new(1 << 16);
	const char *o;
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		o = saml_url_origin(ar, good[i][0]);
		CU_ASSERT_PTR_NOT_NULL_FATAL(o);
		CU_ASSERT_STRING_EQUAL(o, good[i][1]);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (saml_url_origin(ar, bad[i]) != NULL)
			CU_FAIL(bad[i]);
	arena_free(ar);
}

/* SameSite=None needs Secure, which browsers keep only in a secure context: https or a loopback http host. */
static void
test_secure_context(void)
{
	static const char *const yes[] = { "https://onramp.example", "HTTPS://onramp.example:8443/x", "http://127.0.0.1:8080",
					   "http://127.0.0.1", "http://localhost:3000/", "http://[::1]:8080" };
	static const char *const no[] = { "http://onramp.example", "http://127.0.0.10:8080", "http://localhost.evil.example",
					  "http://127.0.0.1.evil.example/", "ftp://127.0.0.1", "", "127.0.0.1:8080" };
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		if (!saml_sp_secure_context(yes[i]))
			CU_FAIL(yes[i]);
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		if (saml_sp_secure_context(no[i]))
			CU_FAIL(no[i]);
	CU_ASSERT_FALSE(saml_sp_secure_context(NULL));
}

static const unit_test tests[] = {
	{ "secure_context", test_secure_context },
	{ "url_origin", test_url_origin },
	{ "request_id", test_request_id },
	{ "redirect_round_trip", test_redirect_round_trip },
	{ "redirect_keeps_query", test_redirect_keeps_query },
	{ "post_value", test_post_value },
	{ "escaping", test_escaping },
	{ "metadata_fields", test_metadata_fields },
	{ "metadata_checker_says_sp", test_metadata_checker_says_sp },
	{ NULL, NULL }
};

UNIT_MAIN("saml_sp", tests)
