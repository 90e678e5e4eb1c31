/*
 * The SAML response verifier (include/onramp/saml_response.h): the order of
 * the steps, and the ones before the signature.  The bytes are decoded with
 * a strict base64 reader, parsed with the metadata checker's hardened parse
 * (saml_parse: no DTD, no entities, no network, DOCTYPE refused), and the
 * document's structure is pinned before any signature is looked at:
 *
 * - one samlp:Response at the root and exactly one saml:Assertion in the
 *   whole document, a child of it; a ds:Signature only directly inside one
 *   of those two, holding no ds:Object.  Every signature-wrapping variant
 *   (XSW1-XSW8) needs a second Response or Assertion or a signature
 *   elsewhere, so none gets past this;
 * - every attribute named ID/Id/id (any namespace) and xml:id has a value
 *   no other has: xmlsec resolves "#x" through libxml2's ID table, which
 *   keeps the first of duplicates;
 * - only the Response's and the Assertion's ID are registered as IDs
 *   (xmlAddID), never through a DTD, and each must be an NCName because
 *   xmlsec turns "#x" into the XPointer id('x').
 *
 * Status is read first, before the structure, so an IdP's error answer
 * (usually unsigned and without an assertion) says what the IdP said.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "onramp/limits.h"
#include "saml_resp_internal.h"

#define XENC_NS "http://www.w3.org/2001/04/xmlenc#"
#define STATUS_SUCCESS "urn:oasis:names:tc:SAML:2.0:status:Success"

bool
saml_resp_fail(saml_resp *s, const char *key, const char *fmt, ...)
{
	char buf[600];
	va_list ap;

	va_start(ap, fmt);
	if (vsnprintf(buf, sizeof(buf), fmt, ap) < 0)
		buf[0] = '\0';
	va_end(ap);
	sso_report_add(s->run.r, s->run.a, key, false, SSO_ERROR, "%s", buf);
	return false;
}

bool
saml_resp_pass(saml_resp *s, const char *key, const char *msg)
{
	sso_report_add(s->run.r, s->run.a, key, true, SSO_ERROR, "%s", msg);
	return true;
}

bool
saml_whole_text(saml_resp *s, const xmlNode *n, const char **out)
{
	const xmlNode *c = n->children;

	if (c != NULL && (c->type != XML_TEXT_NODE || c->next != NULL))
		return false;
	*out = saml_text(&s->run, n);
	return *out != NULL;
}

/* ---- strict base64 -------------------------------------------------------------- */

/*
 * The alphabet, then at most two '=' to fill the last quantum, with CR and
 * LF allowed anywhere (IdPs wrap at 64 or 76 columns); no other whitespace,
 * no URL-safe alphabet, and the bits a padded quantum drops must be zero.
 */
static bool
b64_decode(const char *in, size_t len, unsigned char *out, size_t *outlen)
{
	unsigned acc = 0, bits = 0, pad = 0, sig = 0;
	size_t i, o = 0;
	int v;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];

		if (c == '\r' || c == '\n')
			continue;
		if (c == '=') {
			if (++pad > 2)
				return false;
			sig++;
			continue;
		}
		if (pad > 0 || (v = str_b64_value(c, STR_B64_STD)) < 0)
			return false;
		sig++;
		acc = (acc << 6) | (unsigned)v;
		if ((bits += 6) >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	*outlen = o;
	return sig > 0 && sig % 4 == 0 && acc == 0 && (pad == 0 || bits == pad * 2);
}

static bool
decode(saml_resp *s, const char *b64, size_t len, char **xml, size_t *xlen)
{
	unsigned char *buf;

	if (len > LIMIT_SAML_RESPONSE_B64)
		return saml_resp_fail(s, "saml.size", "The SAMLResponse is %zu bytes; at most %u are read.", len,
				      LIMIT_SAML_RESPONSE_B64);
	saml_resp_pass(s, "saml.size", "The SAMLResponse is within the size limit.");
	if ((buf = arena_alloc(s->run.a, len / 4 * 3 + 3)) == NULL)
		return saml_resp_fail(s, "saml.internal", "Out of memory reading the SAMLResponse.");
	if (!b64_decode(b64, len, buf, xlen))
		return saml_resp_fail(s, "saml.base64", "The SAMLResponse is not valid base64 (only the base64 alphabet, "
				      "'=' padding and line breaks are accepted).");
	*xml = (char *)buf;
	return saml_resp_pass(s, "saml.base64", "The SAMLResponse is valid base64.");
}

/* ---- parse and root ------------------------------------------------------------- */

static bool
parse(saml_resp *s, const char *xml, size_t len)
{
	saml_parse_state ps;
	bool wf;

	memset(&ps, 0, sizeof(ps));
	s->doc = saml_parse(xml, len, &ps, &wf);
	if (ps.doctype)
		return saml_resp_fail(s, "saml.xml", "The response has a DOCTYPE, which is refused (no DTD, no entities).");
	if (ps.limit != SAML_LIMIT_NONE || len > LIMIT_XML_BYTES)
		return saml_resp_fail(s, "saml.xml", "The response breaks a structural limit of XML documents "
				      "(size, attributes, namespaces or name length).");
	if (ps.too_deep)
		return saml_resp_fail(s, "saml.xml", "The response nests elements deeper than %u levels.",
				      LIMIT_XML_DEPTH);
	if (!wf || s->doc == NULL)
		return saml_resp_fail(s, "saml.xml", "The response is not well-formed XML (line %d: %.200s).", ps.line,
				      ps.have_error ? ps.msg : "no document");
	return true;
}

/* An NCName in ASCII: what xmlsec can put inside id('...') without it being read as XPath. */
static bool
id_shape_ok(const char *id)
{
	size_t i;

	if (id == NULL || strlen(id) > 256 ||
	    !(id[0] == '_' || (id[0] >= 'a' && id[0] <= 'z') || (id[0] >= 'A' && id[0] <= 'Z')))
		return false;
	for (i = 0; id[i] != '\0'; i++) {
		char c = id[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
		      c == '-' || c == '.'))
			return false;
	}
	return true;
}

static bool
check_root(saml_resp *s)
{
	xmlNode *root = xmlDocGetRootElement(s->doc);
	const char *v;

	if (!saml_is(root, SAML_PROTOCOL_NS, "Response"))
		return saml_resp_fail(s, "saml.xml", "The document is not a SAML 2.0 protocol Response.");
	s->resp = root;
	v = saml_attr_value(&s->run, root, "Version");
	if (v == NULL || strcmp(v, "2.0") != 0)
		return saml_resp_fail(s, "saml.xml", "The Response is not SAML version 2.0.");
	if (!id_shape_ok(saml_attr_value(&s->run, root, "ID")))
		return saml_resp_fail(s, "saml.xml", "The Response has no ID, or one that is not an XML name.");
	return saml_resp_pass(s, "saml.xml", "The response is a well-formed SAML 2.0 Response.");
}

static bool
check_status(saml_resp *s)
{
	const xmlNode *st = saml_next(s->resp, NULL, SAML_PROTOCOL_NS, "Status");
	const xmlNode *code = st != NULL ? saml_next(st, NULL, SAML_PROTOCOL_NS, "StatusCode") : NULL;
	const xmlNode *sub = code != NULL ? saml_next(code, NULL, SAML_PROTOCOL_NS, "StatusCode") : NULL;
	const char *v = code != NULL ? saml_attr_value(&s->run, code, "Value") : NULL;
	const char *sv = sub != NULL ? saml_attr_value(&s->run, sub, "Value") : NULL;

	if (v == NULL)
		return saml_resp_fail(s, "saml.status", "The Response has no Status code.");
	if (strcmp(v, STATUS_SUCCESS) != 0)
		return saml_resp_fail(s, "saml.status", "The identity provider did not sign the user in: status "
				      "\"%.120s\"%s%.120s%s.", v, sv != NULL ? " (" : "", sv != NULL ? sv : "",
				      sv != NULL ? ")" : "");
	return saml_resp_pass(s, "saml.status", "The identity provider answered Success.");
}

/* ---- the census of the whole document ------------------------------------------- */

typedef struct census {
	size_t responses, assertions, signatures;
	const char *encrypted;		/* local name of the first encrypted element, or NULL */
	const char **ids;
	size_t nids, cap;
	bool nomem;
} census;

static void
add_id(saml_resp *s, census *c, const xmlAttr *a)
{
	xmlChar *v = xmlNodeListGetString(s->doc, a->children, 1);
	const char **grown;

	if (c->nids == c->cap) {
		c->cap = c->cap != 0 ? c->cap * 2 : 16;
		if ((grown = realloc(c->ids, c->cap * sizeof(*c->ids))) == NULL) {
			c->nomem = true;
			xmlFree(v);
			return;
		}
		c->ids = grown;
	}
	if ((c->ids[c->nids] = arena_strdup(s->run.a, v != NULL ? (const char *)v : "")) == NULL)
		c->nomem = true;
	else
		c->nids++;
	xmlFree(v);
}

static bool
is_encrypted(const xmlNode *n)
{
	return saml_is(n, SAML_ASSERT_NS, "EncryptedAssertion") || saml_is(n, SAML_ASSERT_NS, "EncryptedID") ||
	       saml_is(n, SAML_ASSERT_NS, "EncryptedAttribute") || saml_is(n, XENC_NS, "EncryptedData") ||
	       saml_is(n, XENC_NS, "EncryptedKey");
}

/* Depth is bounded by the parse (LIMIT_XML_DEPTH), so recursion is. */
static void
count(saml_resp *s, census *c, const xmlNode *n)
{
	const xmlAttr *a;

	c->responses += saml_is(n, SAML_PROTOCOL_NS, "Response");
	c->assertions += saml_is(n, SAML_ASSERT_NS, "Assertion");
	c->signatures += saml_is(n, SAML_DS_NS, "Signature");
	if (c->encrypted == NULL && is_encrypted(n))
		c->encrypted = (const char *)n->name;
	for (a = n->properties; a != NULL; a = a->next)
		if (strcasecmp((const char *)a->name, "id") == 0)
			add_id(s, c, a);
	for (n = n->children; n != NULL; n = n->next)
		if (n->type == XML_ELEMENT_NODE)
			count(s, c, n);
}

static int
cmp_str(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

static bool
check_ids_unique(saml_resp *s, census *c)
{
	size_t i;

	qsort(c->ids, c->nids, sizeof(*c->ids), cmp_str);
	for (i = 1; i < c->nids; i++)
		if (strcmp(c->ids[i - 1], c->ids[i]) == 0)
			return saml_resp_fail(s, "saml.duplicate_id", "The ID \"%.100s\" appears more than once in the "
					      "response.", c->ids[i]);
	return saml_resp_pass(s, "saml.duplicate_id", "Every ID in the response is unique.");
}

/* ---- structure ------------------------------------------------------------------ */

static bool
only_children(const xmlNode *parent, const char *const *allowed)
{
	const xmlNode *n;
	size_t i;

	for (n = parent->children; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		for (i = 0; allowed[i] != NULL; i += 2)
			if (saml_is(n, allowed[i], allowed[i + 1]))
				break;
		if (allowed[i] == NULL)
			return false;
	}
	return true;
}

/* The enveloped signature of parent, or NULL; *ok false when there are two or one holds more than it may. */
static xmlNode *
signature_of(const xmlNode *parent, bool *ok)
{
	static const char *const parts[] = { SAML_DS_NS, "SignedInfo", SAML_DS_NS, "SignatureValue",
					     SAML_DS_NS, "KeyInfo", NULL };
	xmlNode *sig = saml_next(parent, NULL, SAML_DS_NS, "Signature");

	if (sig != NULL && (saml_next(parent, sig, SAML_DS_NS, "Signature") != NULL || !only_children(sig, parts)))
		*ok = false;
	return sig;
}

static bool
check_structure(saml_resp *s, const census *c)
{
	static const char *const in_resp[] = { SAML_ASSERT_NS, "Issuer", SAML_DS_NS, "Signature",
					       SAML_PROTOCOL_NS, "Extensions", SAML_PROTOCOL_NS, "Status",
					       SAML_ASSERT_NS, "Assertion", NULL };
	static const char *const in_assertion[] = { SAML_ASSERT_NS, "Issuer", SAML_DS_NS, "Signature",
						    SAML_ASSERT_NS, "Subject", SAML_ASSERT_NS, "Conditions",
						    SAML_ASSERT_NS, "AuthnStatement", SAML_ASSERT_NS, "AttributeStatement",
						    NULL };
	bool ok = true;

	if (c->encrypted != NULL)
		return saml_resp_fail(s, "saml.encrypted", "The response holds an encrypted element (%s): encrypted "
				      "assertions are not supported yet; configure the identity provider to sign "
				      "without encrypting.", c->encrypted);
	s->assertion = saml_next(s->resp, NULL, SAML_ASSERT_NS, "Assertion");
	if (c->responses != 1 || c->assertions != 1 || s->assertion == NULL)
		return saml_resp_fail(s, "saml.wrapping", "The response must hold exactly one Assertion, directly inside "
				      "the one Response (found %zu Response and %zu Assertion elements).",
				      c->responses, c->assertions);
	if (!only_children(s->resp, in_resp) || !only_children(s->assertion, in_assertion))
		return saml_resp_fail(s, "saml.wrapping", "The Response or its Assertion holds an element SAML does not "
				      "define there.");
	s->resp_sig = signature_of(s->resp, &ok);
	s->assertion_sig = signature_of(s->assertion, &ok);
	if (!ok || c->signatures != (size_t)(s->resp_sig != NULL) + (size_t)(s->assertion_sig != NULL))
		return saml_resp_fail(s, "saml.wrapping", "A signature is somewhere other than directly inside the "
				      "Response or the Assertion, or one of them has two.");
	return saml_resp_pass(s, "saml.wrapping", "The response holds one Assertion and no misplaced signature.");
}

/* Register the ID of n (Response or Assertion) in libxml2's table; false when it cannot be exactly n's. */
static bool
register_id(saml_resp *s, xmlNode *n, const char **id)
{
	xmlAttr *a = xmlHasNsProp(n, (const xmlChar *)"ID", NULL);

	*id = saml_attr_value(&s->run, n, "ID");
	if (a == NULL || !id_shape_ok(*id))
		return false;
	if (xmlGetID(s->doc, (const xmlChar *)*id) == NULL)
		xmlAddID(NULL, s->doc, (const xmlChar *)*id, a);
	return xmlGetID(s->doc, (const xmlChar *)*id) == a;
}

static bool
check_signatures(saml_resp *s)
{
	const char *rid, *aid;

	if (!register_id(s, s->resp, &rid) || !register_id(s, s->assertion, &aid))
		return saml_resp_fail(s, "saml.xml", "The Response or the Assertion has no ID, or one that is not an "
				      "XML name.");
	if (s->resp_sig == NULL && s->assertion_sig == NULL)
		return saml_resp_fail(s, "saml.signature", "The response is not signed: neither the Response nor the "
				      "Assertion carries a signature.");
	if (s->resp_sig != NULL && !saml_sig_check(s, s->resp_sig, rid))
		return false;
	if (s->assertion_sig != NULL && !saml_sig_check(s, s->assertion_sig, aid))
		return false;
	return saml_resp_pass(s, "saml.signature", s->resp_sig == NULL ? "The Assertion's signature verifies." :
				 s->assertion_sig == NULL ? "The Response's signature verifies." :
				 "The Response's and the Assertion's signatures verify.");
}

static bool
check_document(saml_resp *s)
{
	census c;
	bool ok;

	memset(&c, 0, sizeof(c));
	count(s, &c, s->resp);
	ok = !c.nomem ? check_structure(s, &c) && check_ids_unique(s, &c) :
			saml_resp_fail(s, "saml.internal", "Out of memory reading the response.");
	free(c.ids);
	return ok && check_signatures(s);
}

bool
saml_response_read(arena *a, const char *b64, size_t len, const saml_expect *x, sso_report *r, saml_identity *id)
{
	saml_resp s;
	char *xml = NULL;
	size_t xlen = 0;
	bool ok;

	memset(&s, 0, sizeof(s));
	memset(id, 0, sizeof(*id));
	s.run.a = a;
	s.run.r = r;
	s.run.now = x->now;
	s.x = x;
	ok = decode(&s, b64, len, &xml, &xlen) && parse(&s, xml, xlen) && check_root(&s) && check_status(&s) &&
	     check_document(&s) && saml_assertion_check(&s, id);
	if (s.run.nomem && ok)	/* a failed step already refused; one failed check per read */
		ok = saml_resp_fail(&s, "saml.internal", "Out of memory reading the response.");
	xmlFreeDoc(s.doc);
	if (!ok)
		memset(id, 0, sizeof(*id));
	return ok && r->ok;
}

const char *const *
saml_identity_values(const saml_identity *id, const char *name, size_t *n)
{
	size_t i;

	*n = 0;
	for (i = 0; i < id->nattrs; i++)
		if (strcmp(id->attrs[i].name, name) == 0) {
			*n = id->attrs[i].nvalues;
			return id->attrs[i].values;
		}
	return NULL;
}
