/*
 * Unit tests for the SAML metadata checker's defences (src/domain/saml_meta.c):
 * billion laughs, external entities pointing at a canary file and at a
 * canary listener on 127.0.0.1 (which must see no connection), DOCTYPEs in
 * every position (after comments and PIs, behind a second byte-order mark,
 * where only the parser hook can stop them), size and depth limits, secrets
 * inside the XML (PEM blocks, character-reference escapes, private key
 * elements), encodings, malformed input, and an arena that runs out at every
 * size.  Each refusal must be quick: the time of each is a bench row
 * (unit_timing), not an assertion here.
 */
#define _POSIX_C_SOURCE 200809L

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "onramp/limits.h"
#include "onramp/saml_meta.h"
#include "onramp/secretscan.h"
#include "onramp/str.h"
#include "saml_test.h"
#include "unit.h"

#define LAUGHS \
	"<!DOCTYPE lolz [\n <!ENTITY lol \"lol\">\n" \
	" <!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n" \
	" <!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">\n" \
	" <!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\n" \
	" <!ENTITY lol4 \"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">\n" \
	" <!ENTITY lol5 \"&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;\">\n" \
	" <!ENTITY lol6 \"&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;\">\n" \
	" <!ENTITY lol7 \"&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;\">\n" \
	" <!ENTITY lol8 \"&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;\">\n" \
	" <!ENTITY lol9 \"&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;\">\n]>\n" \
	"<md:EntityDescriptor " NS_DECL " entityID=\"&lol9;\">" IDP_BODY "</md:EntityDescriptor>"

static double
seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * Check a document (placeholders filled first: making a test key must not
 * count) and expect a refusal with this key (its time goes to unit_timing).
 */
static const sso_check *
refused(const char *tmpl, size_t tlen, const char *key, or_status want)
{
	static sso_report r;
	const sso_check *c;
	size_t len = tlen;
	char *filled = tlen == 0 ? st_fill(tmpl, &len) : NULL;
	double t0 = seconds();
	or_status st = st_check(tlen == 0 ? (filled != NULL ? filled : "") : tmpl, len, NOW, NULL, &r);

	unit_timing(key, (seconds() - t0) * 1000.0, 1000.0);
	free(filled);
	CU_ASSERT_EQUAL(st, want);
	CU_ASSERT_FALSE(r.ok);
	c = st_failed(&r, key);
	if (c == NULL || st != want)
		st_dump(key, &r);
	CU_ASSERT_PTR_NOT_NULL(c);
	return c;
}

/* A listener on 127.0.0.1 that a fetch of an external entity would reach. */
static int
canary_listen(int *port)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(fd, 8) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl) != 0 || fcntl(fd, F_SETFL, O_NONBLOCK) != 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	*port = ntohs(sa.sin_port);
	return fd;
}

/* True when nobody connected to the canary. */
static bool
canary_quiet(int fd)
{
	int c = accept(fd, NULL, NULL);

	if (c >= 0) {
		close(c);
		return false;
	}
	return errno == EAGAIN || errno == EWOULDBLOCK;
}

static void
test_billion_laughs(void)
{
	refused(LAUGHS, 0, "saml.no_doctype", OR_ERR_INVALID);
	refused("<?xml version=\"1.0\"?>\n<!-- a comment -->\n<?pi data?>\n" LAUGHS, 0, "saml.no_doctype",
		OR_ERR_INVALID);
	/* a second BOM hides the DOCTYPE from the prolog scan; libxml2 skips it, the parser hook stops it */
	refused("\xEF\xBB\xBF\xEF\xBB\xBF" LAUGHS, 0, "saml.no_doctype", OR_ERR_INVALID);
	refused("<!DOCTYPE md:EntityDescriptor>" GOOD_IDP, 0, "saml.no_doctype", OR_ERR_INVALID);
	refused("<!doctype md:EntityDescriptor>" GOOD_IDP, 0, "saml.no_doctype", OR_ERR_INVALID);
}

static void
test_external_file(void)
{
	char path[] = "/tmp/onramp-saml-canary-XXXXXX", doc[4096], hidden[4200];
	int fd = mkstemp(path);
	sso_report r;
	size_t len = 0;
	char *filled;

	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(write(fd, "CANARY-7f3a9", 12), 12);
	close(fd);
	snprintf(doc, sizeof(doc), "<!DOCTYPE r [<!ENTITY xxe SYSTEM \"file://%s\">]>"
		 "<md:EntityDescriptor " NS_DECL " entityID=\"&xxe;\">" IDP_BODY "</md:EntityDescriptor>", path);
	refused(doc, 0, "saml.no_doctype", OR_ERR_INVALID);
	snprintf(hidden, sizeof(hidden), "\xEF\xBB\xBF\xEF\xBB\xBF%s", doc);
	filled = st_fill(hidden, &len);
	st_check(filled, len, NOW, NULL, &r);
	CU_ASSERT_PTR_NOT_NULL(st_failed(&r, "saml.no_doctype"));
	CU_ASSERT_FALSE(st_mentions(&r, "CANARY"));
	CU_ASSERT_TRUE(r.entity_id == NULL);
	free(filled);
	refused("<!DOCTYPE r [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>"
		"<md:EntityDescriptor " NS_DECL " entityID=\"&xxe;\">" IDP_BODY "</md:EntityDescriptor>", 0,
		"saml.no_doctype", OR_ERR_INVALID);
	unlink(path);
}

static void
test_external_http(void)
{
	/* each form is split around the port number */
	static const char *const forms[][2] = {
		{ "<!DOCTYPE r [<!ENTITY xxe SYSTEM \"http://127.0.0.1:",
		  "/x\">]><md:EntityDescriptor " NS_DECL " entityID=\"&xxe;\">" IDP_BODY "</md:EntityDescriptor>" },
		{ "<!DOCTYPE r SYSTEM \"http://127.0.0.1:", "/dtd\"><md:EntityDescriptor " NS_DECL " entityID=\"x\"/>" },
		{ "<!DOCTYPE r [<!ENTITY % p SYSTEM \"http://127.0.0.1:", "/p\"> %p;]><r/>" },
		{ NULL, NULL }
	};
	char doc[8192], hidden[8200];
	int port = 0, fd = canary_listen(&port);
	size_t i;

	CU_ASSERT_FATAL(fd >= 0);
	for (i = 0; forms[i][0] != NULL; i++) {
		snprintf(doc, sizeof(doc), "%s%d%s", forms[i][0], port, forms[i][1]);
		refused(doc, 0, "saml.no_doctype", OR_ERR_INVALID);
		snprintf(hidden, sizeof(hidden), "\xEF\xBB\xBF\xEF\xBB\xBF%s", doc);
		refused(hidden, 0, "saml.no_doctype", OR_ERR_INVALID);
	}
	CU_ASSERT_TRUE(canary_quiet(fd));
	close(fd);
}

static void
test_size_and_depth(void)
{
	size_t big = 2u * 1024u * 1024u, i;
	char *doc = malloc(big + 1), *deep;
	const sso_check *c;
	sso_report r;
	size_t len = 0;
	char *good;

	CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
	memset(doc, ' ', big);
	memcpy(doc, "<md:EntityDescriptor", 20);
	c = refused(doc, big, "saml.size", OR_ERR_LIMIT);
	CU_ASSERT_TRUE(c != NULL && strstr(c->message, "2097152 bytes") != NULL);
	/* exactly at the limit is accepted: a good document padded with a comment */
	good = st_fill(GOOD_IDP "<!--", &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(good);
	memcpy(doc, good, len);
	memset(doc + len, 'x', LIMIT_XML_BYTES - len - 3);
	memcpy(doc + LIMIT_XML_BYTES - 3, "-->", 3);
	CU_ASSERT_EQUAL(st_check(doc, LIMIT_XML_BYTES, NOW, NULL, &r), OR_OK);
	CU_ASSERT_TRUE(r.ok);
	free(good);
	deep = malloc(LIMIT_XML_DEPTH * 16 + 4096);
	CU_ASSERT_PTR_NOT_NULL_FATAL(deep);
	len = (size_t)snprintf(deep, 4096, "<md:EntityDescriptor " NS_DECL " entityID=\"x\">");
	for (i = 0; i < LIMIT_XML_DEPTH + 4; i++)
		memcpy(deep + len, "<md:Extensions>", 15), len += 15;
	deep[len] = '\0';
	refused(deep, len, "saml.depth", OR_ERR_LIMIT);
	free(deep);
	free(doc);
}

static void
test_secrets(void)
{
	const sso_check *c;
	char msg[512];

	c = refused(IDP("", KEY_SIGNING("{CERT}"), SSO_OK "<!-- -----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA0eGSonFt\n"
		    "-----END RSA PRIVATE KEY----- -->"), 0, "saml.secret", OR_ERR_INVALID);
	/* Issue 16: the sentence is about the XML (what it holds, what to do), as PUT /sso's refusal. */
	CU_ASSERT_TRUE(c != NULL && strcmp(c->message, saml_metadata_secret_message(SECRET_PRIVATE_KEY, msg, sizeof(msg))) == 0);
	CU_ASSERT_TRUE(c != NULL && strstr(c->message, "The metadata XML holds what looks like a private key") != NULL);
	CU_ASSERT_TRUE(c != NULL && strstr(c->message, "MIIEpAIBAAKCAQEA") == NULL);
	refused("<md:EntityDescriptor " NS_DECL " entityID=\"x\"><md:Extensions>-----BEGIN PRIVATE KEY-----\n"
		"MIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----</md:Extensions></md:EntityDescriptor>", 0,
		"saml.secret", OR_ERR_INVALID);
	/* escaped so that only the parsed text shows it */
	refused(IDP("", KEY_SIGNING("{CERT}"), SSO_OK "<md:Extensions>&#45;----BEGIN RSA PRIVATE KEY&#45;----"
		    "</md:Extensions>"), 0, "saml.secret", OR_ERR_INVALID);
	refused(IDP("", "<md:KeyDescriptor><ds:KeyInfo><ds:KeyValue><ds:RSAKeyValue><ds:Modulus>AQAB</ds:Modulus>"
		    "<ds:Exponent>AQAB</ds:Exponent><ds:D>AQAB</ds:D></ds:RSAKeyValue></ds:KeyValue></ds:KeyInfo>"
		    "</md:KeyDescriptor>", SSO_OK), 0, "saml.secret", OR_ERR_INVALID);
	refused(IDP("", "<md:Extensions><x:PrivateKey xmlns:x=\"urn:example\">AQAB</x:PrivateKey></md:Extensions>",
		    SSO_OK), 0, "saml.secret", OR_ERR_INVALID);
}

/*
 * GOOD_IDP with `elements` more elements in its extensions, each declaring
 * its namespace (one attribute) and carrying `attrs` more attributes named
 * name0, name1, ...; nested instead of side by side when deep.
 */
static char *
extended(size_t elements, size_t attrs, const char *name, bool deep, size_t *len)
{
	or_buf b;
	size_t e, i;
	char *doc;

	buf_init(&b, 2u * LIMIT_XML_BYTES);
	buf_append_c(&b, IDP("", KEY_SIGNING("{CERT}"), SSO_OK "<md:Extensions>"));
	b.len -= strlen("</md:IDPSSODescriptor></md:EntityDescriptor>");
	for (e = 0; e < elements; e++) {
		buf_append_c(&b, "<x:e xmlns:x=\"urn:example:x\"");
		for (i = 0; i < attrs; i++)
			buf_appendf(&b, " %s%zu=\"%s\"", name, i, strncmp(name, "xmlns", 5) == 0 ? "urn:example:n" : "");
		buf_append_c(&b, deep ? ">" : "/>");
	}
	for (e = 0; deep && e < elements; e++)
		buf_append_c(&b, "</x:e>");
	buf_append_c(&b, "</md:Extensions></md:IDPSSODescriptor></md:EntityDescriptor>");
	buf_putc(&b, '\0');
	doc = st_fill(b.data, len);
	buf_free(&b);
	return doc;
}

/* Check a generated document: want_ok, or refused by the pre-scan; the time it took (ms) is printed. */
static void
limit_case(const char *what, char *doc, size_t len, bool want_ok)
{
	sso_report r;
	double t0, ms;
	or_status st;
	const sso_check *c;

	CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
	t0 = seconds();
	st = st_check(doc, len, NOW, NULL, &r);
	ms = (seconds() - t0) * 1000.0;
	printf("\n  %s: %zu bytes", what, len);
	unit_timing(what, ms, 1000.0);
	c = st_failed(&r, "saml.limits");
	if (want_ok) {
		CU_ASSERT_TRUE(r.ok);
		if (!r.ok)
			st_dump(what, &r);
	} else {
		CU_ASSERT_EQUAL(st, OR_ERR_LIMIT);
		CU_ASSERT_PTR_NOT_NULL(c);
	}
	free(doc);
}

/* A document within the limits that fails for another reason (key), and quickly. */
static void
limit_case_refused(const char *what, char *doc, size_t len, const char *key)
{
	sso_report r;
	double t0 = seconds(), ms;

	st_check(doc, len, NOW, NULL, &r);
	ms = (seconds() - t0) * 1000.0;
	printf("\n  %s: %zu bytes", what, len);
	unit_timing(what, ms, 1000.0);
	CU_ASSERT_PTR_NULL(st_failed(&r, "saml.limits"));
	CU_ASSERT_PTR_NOT_NULL(st_failed(&r, key));
	if (st_failed(&r, key) == NULL)
		st_dump(what, &r);
	free(doc);
}

/* limit_case on extended(elements, attrs, name, deep). */
static void
gen_case(const char *what, size_t elements, size_t attrs, const char *name, bool deep, bool want_ok)
{
	size_t len = 0;
	char *doc = extended(elements, attrs, name, deep, &len);

	limit_case(what, doc, len, want_ok);
}

/*
 * Namespace lookups scan the declarations in scope: nearly as many as
 * allowed (the root's 2, then 15 levels of 4), then elements filling the attribute budget with
 * attributes whose prefix is the outermost one declared, so each lookup
 * walks them all.
 */
#define LEVELS ((LIMIT_XML_NS_IN_SCOPE - 2) / 4)

static void
worst_lookups(void)
{
	size_t d, e, i, per = LIMIT_XML_ELEMENT_ATTRS - 1, elements = (LIMIT_XML_ATTRS - LIMIT_XML_NS_IN_SCOPE) / per;
	or_buf b;

	buf_init(&b, 2u * LIMIT_XML_BYTES);
	buf_append_c(&b, "<md:EntityDescriptor " NS_DECL " entityID=\"x\">");
	for (d = 0; d < LEVELS; d++) {	/* 4 declarations a level */
		buf_append_c(&b, "<x:e xmlns:x=\"urn:x\"");
		for (i = 0; i < 3; i++)
			buf_appendf(&b, " xmlns:p%zu_%zu=\"urn:p\"", d, i);
		buf_putc(&b, '>');
	}
	for (e = 0; e < elements; e++) {
		buf_append_c(&b, "<x:f");
		for (i = 0; i < per; i++)
			buf_appendf(&b, " p0_0:a%zu=''", i);
		buf_append_c(&b, "/>");
	}
	for (d = 0; d < LEVELS; d++)
		buf_append_c(&b, "</x:e>");
	buf_append_c(&b, "</md:EntityDescriptor>");
	CU_ASSERT_TRUE(b.len <= LIMIT_XML_BYTES);
	limit_case_refused("the worst namespace lookups within the limits", b.data, b.len, "saml.idp_present");
}

static void
test_attribute_limits(void)
{

	/* the review's document: one element with 95,000 attributes, 940 KB; 12.5 s of CPU before */
	gen_case("95,000 attributes on one element", 1, 95000, "a", false, false);
	gen_case("64 attributes on one element", 1, LIMIT_XML_ELEMENT_ATTRS - 1, "a", false, true);
	gen_case("65 attributes on one element", 1, LIMIT_XML_ELEMENT_ATTRS, "a", false, false);
	gen_case("32 namespaces on one element", 1, LIMIT_XML_ELEMENT_NS - 1, "xmlns:p", false, true);
	gen_case("33 namespaces on one element", 1, LIMIT_XML_ELEMENT_NS, "xmlns:p", false, false);
	gen_case("30,000 attributes in all", 500, 59, "a", false, true);
	gen_case("36,000 attributes in all", 600, 59, "a", false, false);
	gen_case("3,720 namespaces in all", 120, 30, "xmlns:p", false, true);
	gen_case("4,340 namespaces in all", 140, 30, "xmlns:p", false, false);
	/* namespace lookups scan the declarations in scope: so many nested are refused, side by side are fine */
	/* (the root declares md: and ds:, each generated element x: and the rest) */
	gen_case("64 namespaces in scope", 2, LIMIT_XML_NS_IN_SCOPE / 2 - 2, "xmlns:p", true, true);
	gen_case("66 namespaces in scope", 2, LIMIT_XML_NS_IN_SCOPE / 2 - 1, "xmlns:p", true, false);
	gen_case("60 levels of 32 namespaces", 60, 31, "xmlns:p", true, false);
	worst_lookups();
}

static void
test_name_limits(void)
{
	char name[LIMIT_XML_NAME + 2];

	memset(name, 'n', sizeof(name) - 1);
	name[LIMIT_XML_NAME - 1] = '\0';	/* the generator appends the digit "0" */
	gen_case("a 512-byte attribute name", 1, 1, name, false, true);
	name[LIMIT_XML_NAME - 1] = 'n';
	name[LIMIT_XML_NAME] = '\0';
	gen_case("a 513-byte attribute name", 1, 1, name, false, false);
}

/* Quoting the pre-scan must read as libxml2 does: a '>' in a value does not end the tag. */
static void
test_limits_see_through_values(void)
{
	or_buf b;
	size_t i;

	buf_init(&b, 65536);
	buf_append_c(&b, "<md:EntityDescriptor " NS_DECL " entityID=\"x\"><md:Extensions><x:e xmlns:x=\"urn:x\" v=\"-->\"");
	for (i = 0; i < LIMIT_XML_ELEMENT_ATTRS; i++)
		buf_appendf(&b, " a%zu='>'", i);
	buf_append_c(&b, "/></md:Extensions></md:EntityDescriptor>");
	limit_case("65 attributes behind '>' in values", b.data, b.len, false);
}

static const char NUL_DOC[] = "<md:EntityDescriptor xmlns:md=\"" MD_NS "\" entityID=\"x\">\0</md:EntityDescriptor>";

static void
test_malformed(void)
{
	const sso_check *c;

	c = refused("<md:EntityDescriptor " NS_DECL ">\n<md:IDPSSODescriptor>\n</md:EntityDescriptor>", 0,
		    "saml.well_formed", OR_ERR_INVALID);
	CU_ASSERT_TRUE(c != NULL && strstr(c->message, "line 3") != NULL);
	refused("<md:EntityDescriptor " NS_DECL " entityID=\"&undeclared;\"/>", 0, "saml.well_formed",
		OR_ERR_INVALID);
	refused("", 0, "saml.well_formed", OR_ERR_INVALID);
	refused("{\"issuer\": \"https://idp.example.com\"}", 0, "saml.well_formed", OR_ERR_INVALID);
	refused(GOOD_IDP "<trailing/>", 0, "saml.well_formed", OR_ERR_INVALID);
	refused("\xFF\xFE<\0m\0d\0", 8, "saml.encoding", OR_ERR_INVALID);
	refused("<\0m\0d\0", 6, "saml.encoding", OR_ERR_INVALID);
	refused(NUL_DOC, sizeof(NUL_DOC) - 1, "saml.well_formed", OR_ERR_INVALID);
}

/* Every arena size from nothing up: the check fails cleanly (OR_ERR_NOMEM) or completes. */
static void
test_arena_exhaustion(void)
{
	size_t len = 0, limit;
	char *xml = st_fill(ENTITIES(ENTITY("https://a.example.com/idp") ENTITY("https://b.example.com/idp")), &len);
	or_status st;
	sso_report r;
	arena *a;
	int completed = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(xml);
	for (limit = 0; limit <= 64u * 1024u && !completed; limit += 256) {
		a = arena_new(limit);
		CU_ASSERT_PTR_NOT_NULL_FATAL(a);
		st = saml_metadata_check(a, xml, len, NOW, "https://b.example.com/idp", &r);
		CU_ASSERT_TRUE(st == OR_OK || st == OR_ERR_NOMEM);
		CU_ASSERT_TRUE(st == OR_OK || !r.ok);
		if (limit == 0)
			CU_ASSERT_EQUAL(st, OR_ERR_NOMEM);
		if (st == OR_OK) {
			completed = 1;
			CU_ASSERT_TRUE(r.ok);
		}
		arena_free(a);
	}
	CU_ASSERT_TRUE(completed);
	free(xml);
}

static const unit_test tests[] = {
	{ "billion laughs and DOCTYPE anywhere", test_billion_laughs },
	{ "external entity: file", test_external_file },
	{ "external entity: http to a canary listener", test_external_http },
	{ "size and depth limits", test_size_and_depth },
	{ "secrets inside the XML", test_secrets },
	{ "malformed and non-UTF-8 input", test_malformed },
	{ "arena exhaustion at every size", test_arena_exhaustion },
	{ "attribute and namespace limits, and their cost", test_attribute_limits },
	{ "name length limit", test_name_limits },
	{ "limits see through quoted values", test_limits_see_through_values },
	{ NULL, NULL }
};

UNIT_MAIN("saml_safety", tests)
