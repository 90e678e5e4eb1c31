/*
 * The structure a SAML response must have before any signature counts
 * (src/domain/saml_response.c): SAML Raider's eight signature-wrapping
 * variants (helpers/XSWHelpers.java: XSW1-XSW8, applied to the signed
 * document with libxml2 tree operations), a second or look-alike
 * Assertion, misplaced signatures, duplicate IDs, DTDs and entities, and
 * encrypted assertions; each refused by the check that names it.
 */
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "saml_resp_test.h"

/* ---- structure ------------------------------------------------------------------ */

static xmlDoc *
parse_doc(char *xml)
{
	xmlDoc *d = xmlReadMemory(xml, (int)strlen(xml), "t.xml", NULL, XML_PARSE_NONET);

	free(xml);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	return d;
}

static char *
dump_doc(xmlDoc *d)
{
	xmlChar *mem = NULL;
	int n = 0;
	char *out;

	xmlDocDumpMemory(d, &mem, &n);
	out = strdup((const char *)mem);
	xmlFree(mem);
	xmlFreeDoc(d);
	return out;
}

static xmlNode *
child(xmlNode *parent, const char *local)
{
	xmlNode *c;

	for (c = parent->children; c != NULL; c = c->next)
		if (c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, local) == 0)
			return c;
	return NULL;
}

/* SAML Raider's applyMatchAndReplaceValues: the evil copy names another user. */
static void
make_evil(xmlNode *assertion_or_response)
{
	xmlNode *a = strcmp((const char *)assertion_or_response->name, "Assertion") == 0 ? assertion_or_response :
		     child(assertion_or_response, "Assertion");

	xmlNodeSetContent(child(child(a, "Subject"), "NameID"), (const xmlChar *)EVIL);
}

static xmlNode *
clone_without_signature(xmlNode *n)
{
	xmlNode *c = xmlCopyNode(n, 1), *sig = child(c, "Signature");

	xmlUnlinkNode(sig);
	xmlFreeNode(sig);
	return c;
}

static char *
signed_doc(int where)
{
	spec s = spec_good();

	return make(&s, where, NULL);
}

static void
test_refuse_xsw1(void)
{
	xmlDoc *d = parse_doc(signed_doc(SIGN_RESPONSE));
	xmlNode *resp = xmlDocGetRootElement(d), *copy = clone_without_signature(resp);

	make_evil(resp);
	xmlAddChild(child(resp, "Signature"), copy);
	xmlSetProp(resp, (const xmlChar *)"ID", (const xmlChar *)"_evil_response_ID");
	refused_by(dump_doc(d), "saml.wrapping", NULL);
}

static void
test_refuse_xsw2(void)
{
	xmlDoc *d = parse_doc(signed_doc(SIGN_RESPONSE));
	xmlNode *resp = xmlDocGetRootElement(d), *copy = clone_without_signature(resp);

	make_evil(resp);
	xmlAddPrevSibling(child(resp, "Signature"), copy);
	xmlSetProp(resp, (const xmlChar *)"ID", (const xmlChar *)"_evil_response_ID");
	refused_by(dump_doc(d), "saml.wrapping", NULL);
}

static void
test_refuse_xsw3(void)
{
	xmlDoc *d = parse_doc(signed_doc(SIGN_ASSERTION));
	xmlNode *a = child(xmlDocGetRootElement(d), "Assertion"), *evil = clone_without_signature(a);

	make_evil(evil);
	xmlSetProp(evil, (const xmlChar *)"ID", (const xmlChar *)"_evil_assertion_ID");
	xmlAddPrevSibling(a, evil);
	refused_by(dump_doc(d), "saml.wrapping", NULL);
}

static void
test_refuse_xsw4(void)
{
	xmlDoc *d = parse_doc(signed_doc(SIGN_ASSERTION));
	xmlNode *resp = xmlDocGetRootElement(d), *a = child(resp, "Assertion"), *evil = clone_without_signature(a);

	make_evil(evil);
	xmlSetProp(evil, (const xmlChar *)"ID", (const xmlChar *)"_evil_assertion_ID");
	xmlAddChild(resp, evil);
	xmlUnlinkNode(a);
	xmlAddChild(evil, a);
	refused_by(dump_doc(d), "saml.wrapping", NULL);
}

static void
test_refuse_xsw5(void)
{
	xmlDoc *d = parse_doc(signed_doc(SIGN_ASSERTION));
	xmlNode *resp = xmlDocGetRootElement(d), *evil = child(resp, "Assertion");
	xmlNode *orig = clone_without_signature(evil);

	make_evil(evil);
	xmlAddChild(resp, orig);
	xmlSetProp(evil, (const xmlChar *)"ID", (const xmlChar *)"_evil_assertion_ID");
	refused_by(dump_doc(d), "saml.wrapping", NULL);
}

static void
test_refuse_xsw6(void)
{
	xmlDoc *d = parse_doc(signed_doc(SIGN_ASSERTION));
	xmlNode *evil = child(xmlDocGetRootElement(d), "Assertion"), *sig = child(evil, "Signature");
	xmlNode *orig = clone_without_signature(evil);

	make_evil(evil);
	xmlAddChild(sig, orig);
	xmlSetProp(evil, (const xmlChar *)"ID", (const xmlChar *)"_evil_assertion_ID");
	refused_by(dump_doc(d), "saml.wrapping", NULL);
}

static void
test_refuse_xsw7(void)
{
	xmlDoc *d = parse_doc(signed_doc(SIGN_ASSERTION));
	xmlNode *resp = xmlDocGetRootElement(d), *a = child(resp, "Assertion");
	xmlNode *ext = xmlNewDocNode(d, NULL, (const xmlChar *)"Extensions", NULL), *evil = clone_without_signature(a);

	xmlAddPrevSibling(a, ext);
	make_evil(evil);
	xmlAddChild(ext, evil);
	refused_by(dump_doc(d), "saml.wrapping", NULL);
}

static void
test_refuse_xsw8(void)
{
	xmlDoc *d = parse_doc(signed_doc(SIGN_ASSERTION));
	xmlNode *evil = child(xmlDocGetRootElement(d), "Assertion"), *sig = child(evil, "Signature");
	xmlNode *orig = clone_without_signature(evil), *obj = xmlNewDocNode(d, NULL, (const xmlChar *)"Object", NULL);

	make_evil(evil);
	xmlAddChild(sig, obj);
	xmlAddChild(obj, orig);
	refused_by(dump_doc(d), "saml.wrapping", NULL);
}

/* A second, unsigned Assertion beside the signed one (after it, where a "last wins" reader looks). */
static void
test_refuse_second_assertion(void)
{
	spec s = spec_good();

	s.assertion_extra = "";
	refused_by(replace(make(&s, SIGN_ASSERTION, NULL), "</samlp:Response>",
			   "<saml:Assertion ID=\"_a2\" Version=\"2.0\" IssueInstant=\"2026-11-23T00:00:00Z\"><saml:Issuer>"
			   IDP "</saml:Issuer><saml:Subject><saml:NameID>" EVIL "</saml:NameID></saml:Subject>"
			   "</saml:Assertion></samlp:Response>"), "saml.wrapping", NULL);
}

/* An Assertion of another namespace first, where a prefix-matching reader would take it. */
static void
test_refuse_lookalike_assertion(void)
{
	spec s = spec_good();

	s.resp_extra = "<saml:Assertion xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion:evil\" ID=\"_x\">"
		       "<saml:Subject><saml:NameID>" EVIL "</saml:NameID></saml:Subject></saml:Assertion>";
	refused_by(make(&s, SIGN_ASSERTION, NULL), "saml.wrapping", NULL);
}

/* A Signature tucked into Extensions: refused even though the real one verifies. */
static void
test_refuse_signature_elsewhere(void)
{
	spec s = spec_good();

	s.resp_extra = "<samlp:Extensions><ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"/>"
		       "</samlp:Extensions>";
	refused_by(make(&s, SIGN_ASSERTION, NULL), "saml.wrapping", NULL);
}

/* The Assertion's ID again on an element in Extensions, placed first. */
static void
test_refuse_duplicate_id(void)
{
	spec s = spec_good();

	/* added after signing, or the signer would sign the first element with that ID */
	refused_by(replace(make(&s, SIGN_ASSERTION, NULL), "<saml:Assertion ", "<samlp:Extensions><x:Thing "
			   "xmlns:x=\"urn:x\" ID=\"_a1\">" EVIL "</x:Thing></samlp:Extensions><saml:Assertion "),
		   "saml.duplicate_id", NULL);
}

static void
test_refuse_duplicate_xml_id(void)
{
	spec s = spec_good();

	s.resp_extra = "<samlp:Extensions><x:Thing xmlns:x=\"urn:x\" xml:id=\"_a1\"/></samlp:Extensions>";
	refused_by(make(&s, SIGN_ASSERTION, NULL), "saml.duplicate_id", NULL);
}

/* An ID with a quote would become XPath inside xmlsec's id('...'). */
static void
test_refuse_id_not_a_name(void)
{
	spec s = spec_good();
	char *xml = replace(build(&s), "ID=\"_a1\"", "ID=\"_a1') or id('_r1\"");

	refused_by(xml, "saml.xml", NULL);
}

static void
test_refuse_doctype_attlist(void)
{
	spec s = spec_good();
	char *xml = make(&s, SIGN_ASSERTION, NULL);
	char *body = strstr(xml, "<samlp:Response"), *out = malloc(strlen(xml) + 200);

	snprintf(out, strlen(xml) + 200, "<!DOCTYPE samlp:Response [<!ATTLIST x:Thing ID ID #IMPLIED>]>%s", body);
	free(xml);
	refused_by(out, "saml.xml", NULL);
	CU_ASSERT_PTR_NOT_NULL(strstr(sso_report_failed(&R, SSO_ERROR)->message, "DOCTYPE"));
}

static void
test_refuse_billion_laughs(void)
{
	spec s = spec_good();
	char *xml = replace(build(&s), "<samlp:Response", "<!DOCTYPE r [<!ENTITY a \"aaaaaaaaaa\">"
			    "<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\"><!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">]>"
			    "<samlp:Response");

	refused_by(replace(xml, "alice@example.test</saml:NameID>", "&c;</saml:NameID>"), "saml.xml", NULL);
	CU_ASSERT_PTR_NOT_NULL(strstr(sso_report_failed(&R, SSO_ERROR)->message, "DOCTYPE"));
}

/* Cut short after signing: the partial tree libxml2 keeps is never read. */
static void
test_refuse_not_well_formed(void)
{
	spec s = spec_good();
	char *xml = make(&s, SIGN_ASSERTION, NULL);

	*strstr(xml, "</saml:Assertion>") = '\0';
	refused_by(xml, "saml.xml", NULL);
	CU_ASSERT_PTR_NOT_NULL(strstr(sso_report_failed(&R, SSO_ERROR)->message, "not well-formed"));
}

static void
test_refuse_entity(void)
{
	spec s = spec_good();
	char *xml = replace(build(&s), "<samlp:Response", "<!DOCTYPE r [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>"
			    "<samlp:Response");

	refused_by(replace(xml, "alice@example.test</saml:NameID>", "&e;</saml:NameID>"), "saml.xml", NULL);
}

static void
test_refuse_encrypted_assertion(void)
{
	spec s = spec_good();
	char *xml = cut(build(&s), "<saml:Assertion", "</saml:Assertion>");

	refused_by(replace(xml, "</samlp:Response>", "<saml:EncryptedAssertion><xenc:EncryptedData "
			   "xmlns:xenc=\"http://www.w3.org/2001/04/xmlenc#\"/></saml:EncryptedAssertion></samlp:Response>"),
		   "saml.encrypted", NULL);
	CU_ASSERT_PTR_NOT_NULL(strstr(sso_report_failed(&R, SSO_ERROR)->message, "not supported yet"));
}

static void
test_refuse_not_a_response(void)
{
	refused_by(strdup("<samlp:AuthnRequest xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" ID=\"_x\" "
			  "Version=\"2.0\"/>"), "saml.xml", NULL);
}

/* ---- nothing is fetched ---------------------------------------------------------- */

/* A listening loopback socket (non-blocking) and its port: the canary. */
static int
canary_open(int *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_FATAL(bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 && listen(fd, 8) == 0 &&
			getsockname(fd, (struct sockaddr *)&sa, &len) == 0);
	fcntl(fd, F_SETFL, O_NONBLOCK);
	*port = ntohs(sa.sin_port);
	return fd;
}

/* Connections the canary received (accepted and closed). */
static int
canary_hits(int fd)
{
	int n = 0, c;

	while ((c = accept(fd, NULL, NULL)) >= 0) {
		close(c);
		n++;
	}
	close(fd);
	return n;
}

static void
test_no_connection_reference_uri(void)
{
	spec s = spec_good();
	int port, fd = canary_open(&port);
	char uri[100];

	snprintf(uri, sizeof(uri), "URI=\"http://127.0.0.1:%d/x#_a1\"", port);
	refused_by(replace(make(&s, SIGN_ASSERTION, NULL), "URI=\"#_a1\"", uri), "saml.reference", NULL);
	CU_ASSERT_EQUAL(canary_hits(fd), 0);
}

/* Signed by another key; the canary would serve "its" key: never asked, the signature fails. */
static void
test_no_connection_retrieval_method(void)
{
	spec s = spec_good();
	saml_sign_opts o = { .other_key = 1 };
	int port, fd = canary_open(&port);
	char ki[300];

	snprintf(ki, sizeof(ki), "</ds:SignatureValue><ds:KeyInfo><ds:RetrievalMethod URI=\"http://127.0.0.1:%d/key\" "
		 "Type=\"http://www.w3.org/2000/09/xmldsig#X509Data\"/></ds:KeyInfo>", port);
	refused_by(replace(make(&s, SIGN_ASSERTION, &o), "</ds:SignatureValue>", ki), "saml.signature", NULL);
	CU_ASSERT_EQUAL(canary_hits(fd), 0);
}

/* ---- suite ---------------------------------------------------------------------- */

static const unit_test tests[] = {
	{ "no connection: external Reference URI", test_no_connection_reference_uri },
	{ "no connection: KeyInfo RetrievalMethod", test_no_connection_retrieval_method },
	{ "refuse: XSW1", test_refuse_xsw1 },
	{ "refuse: XSW2", test_refuse_xsw2 },
	{ "refuse: XSW3", test_refuse_xsw3 },
	{ "refuse: XSW4", test_refuse_xsw4 },
	{ "refuse: XSW5", test_refuse_xsw5 },
	{ "refuse: XSW6", test_refuse_xsw6 },
	{ "refuse: XSW7", test_refuse_xsw7 },
	{ "refuse: XSW8", test_refuse_xsw8 },
	{ "refuse: second injected Assertion", test_refuse_second_assertion },
	{ "refuse: look-alike Assertion in another namespace first", test_refuse_lookalike_assertion },
	{ "refuse: Signature elsewhere", test_refuse_signature_elsewhere },
	{ "refuse: duplicate ID", test_refuse_duplicate_id },
	{ "refuse: duplicate xml:id", test_refuse_duplicate_xml_id },
	{ "refuse: ID that is not an XML name", test_refuse_id_not_a_name },
	{ "refuse: DOCTYPE with ATTLIST-declared ID", test_refuse_doctype_attlist },
	{ "refuse: external entity", test_refuse_entity },
	{ "refuse: billion laughs", test_refuse_billion_laughs },
	{ "refuse: not well-formed (cut short)", test_refuse_not_well_formed },
	{ "refuse: EncryptedAssertion", test_refuse_encrypted_assertion },
	{ "refuse: not a Response", test_refuse_not_a_response },
	{ NULL, NULL }
};

UNIT_MAIN_SUITE("saml_wrapping", tests, srt_init, srt_clean)
