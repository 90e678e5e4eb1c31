/*
 * The test signer (tests/unit/saml_sign.h).  Templates are parsed with plain
 * libxml2 (the test writes them), the signature template is built with
 * xmlsec's template API and signed by an unrestricted signature context, so
 * the shapes the verifier refuses (SHA-1, comments, XPath, XSLT, two
 * references, an empty URI) carry real signature values.
 */
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <xmlsec/app.h>
#include <xmlsec/crypto.h>
#include <xmlsec/openssl/evp.h>
#include <xmlsec/templates.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/xmltree.h>

#include "onramp/saml_response.h"
#include "saml_sign.h"
#include "testcert.h"

#define DS_URI "http://www.w3.org/2000/09/xmldsig#"
#define SAML_URI "urn:oasis:names:tc:SAML:2.0:assertion"
#define XSLT_DOC \
	"<xsl:stylesheet version=\"1.0\" xmlns:xsl=\"http://www.w3.org/1999/XSL/Transform\">" \
	"<xsl:template match=\"/\"><xsl:copy-of select=\".\"/></xsl:template></xsl:stylesheet>"

static EVP_PKEY *
other_key(void)
{
	static EVP_PKEY *k;

	if (k == NULL)
		k = EVP_RSA_gen(2048);
	return k;
}

static const testcert_spec cert_spec = { 2048, 1577836800, 1893456000, "SHA256", "idp.example.test" };

static unsigned char *
cert_der(int other, size_t *len)
{
	return testcert_der_key(&cert_spec, other ? other_key() : testcert_key(2048), len);
}

static const char *
cert_b64(int other)
{
	static char *c[2];
	unsigned char *der;
	size_t len = 0;

	if (c[other] == NULL && (der = cert_der(other, &len)) != NULL) {
		c[other] = saml_sign_b64((const char *)der, len, 0);
		free(der);
	}
	return c[other];
}

const char *
saml_sign_cert(void)
{
	return cert_b64(0);
}

const char *
saml_sign_other_cert(void)
{
	return cert_b64(1);
}

char *
saml_sign_b64(const char *s, size_t len, int wrap)
{
	size_t blen = 4 * ((len + 2) / 3), i, o = 0;
	unsigned char *flat = malloc(blen + 1);
	char *out = malloc(blen + blen / 76 * 2 + 1);

	if (flat == NULL || out == NULL) {
		free(flat);
		free(out);
		return NULL;
	}
	EVP_EncodeBlock(flat, (const unsigned char *)s, (int)len);
	for (i = 0; i < blen; i++) {
		if (wrap && i > 0 && i % 76 == 0) {
			out[o++] = '\r';
			out[o++] = '\n';
		}
		out[o++] = (char)flat[i];
	}
	out[o] = '\0';
	free(flat);
	return out;
}

int
saml_sign_init(void)
{
	char err[200];

	return saml_xmlsec_init(err, sizeof(err)) ? 0 : -1;
}

/* The private key (and its certificate, for KeyInfo) as an xmlsec key. */
static xmlSecKeyPtr
signing_key(int other)
{
	EVP_PKEY *pk = other ? other_key() : testcert_key(2048);
	xmlSecKeyDataPtr data;
	xmlSecKeyPtr key;
	unsigned char *der;
	size_t len = 0;

	if (pk == NULL || EVP_PKEY_up_ref(pk) != 1)
		return NULL;
	if ((data = xmlSecOpenSSLEvpKeyAdopt(pk)) == NULL || (key = xmlSecKeyCreate()) == NULL ||
	    xmlSecKeySetValue(key, data) < 0)
		return NULL;
	if ((der = cert_der(other, &len)) != NULL) {
		xmlSecCryptoAppKeyCertLoadMemory(key, der, (xmlSecSize)len, xmlSecKeyDataFormatCertDer);
		free(der);
	}
	return key;
}

static xmlNode *
find_id(xmlNode *n, const char *id)
{
	xmlNode *c, *f;
	xmlChar *v;
	int same;

	for (; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		v = xmlGetNoNsProp(n, (const xmlChar *)"ID");
		same = v != NULL && strcmp((const char *)v, id) == 0;
		xmlFree(v);
		if (same)
			return n;
		if ((c = n->children) != NULL && (f = find_id(c, id)) != NULL)
			return f;
	}
	return NULL;
}

static void
add_reference(xmlNode *sig, const saml_sign_opts *o, const char *uri)
{
	static const xmlChar *ns[] = { (const xmlChar *)"ds", (const xmlChar *)DS_URI, NULL };
	xmlNode *ref = xmlSecTmplSignatureAddReference(sig, o->sha1 ? xmlSecTransformSha1Id : xmlSecTransformSha256Id,
						       NULL, (const xmlChar *)uri, NULL);
	xmlNode *t;

	xmlSecTmplReferenceAddTransform(ref, xmlSecTransformEnvelopedId);
	xmlSecTmplReferenceAddTransform(ref, o->ref_comments ? xmlSecTransformExclC14NWithCommentsId :
							       xmlSecTransformExclC14NId);
	if (o->xpath && (t = xmlSecTmplReferenceAddTransform(ref, xmlSecTransformXPathId)) != NULL)
		xmlSecTmplTransformAddXPath(t, (const xmlChar *)"not(ancestor-or-self::ds:Signature)", ns);
	if (o->xslt && (t = xmlSecTmplReferenceAddTransform(ref, xmlSecTransformXsltId)) != NULL)
		xmlSecTmplTransformAddXsltStylesheet(t, (const xmlChar *)XSLT_DOC);
}

/* The Signature template, placed right after the Issuer child of target. */
static xmlNode *
add_template(xmlDoc *doc, xmlNode *target, const char *id, const saml_sign_opts *o)
{
	char uri[300];
	xmlNode *sig, *issuer, *ki;

	sig = xmlSecTmplSignatureCreateNsPref(doc, o->si_comments ? xmlSecTransformExclC14NWithCommentsId :
							       xmlSecTransformExclC14NId,
					      o->sha1 ? xmlSecTransformRsaSha1Id : xmlSecTransformRsaSha256Id, NULL,
					      (const xmlChar *)"ds");
	if (sig == NULL)
		return NULL;
	snprintf(uri, sizeof(uri), "#%s", id);
	add_reference(sig, o, o->uri != NULL ? o->uri : uri);
	if (o->two_refs)
		add_reference(sig, o, o->uri != NULL ? o->uri : uri);
	if (o->keyinfo_cert || o->keyinfo_keyvalue) {
		ki = xmlSecTmplSignatureEnsureKeyInfo(sig, NULL);
		if (o->keyinfo_keyvalue)
			xmlSecTmplKeyInfoAddKeyValue(ki);
		if (o->keyinfo_cert)
			xmlSecTmplX509DataAddCertificate(xmlSecTmplKeyInfoAddX509Data(ki));
	}
	for (issuer = target->children; issuer != NULL; issuer = issuer->next)
		if (issuer->type == XML_ELEMENT_NODE && strcmp((const char *)issuer->name, "Issuer") == 0)
			break;
	if (issuer != NULL)
		xmlAddNextSibling(issuer, sig);
	else if (target->children != NULL)
		xmlAddPrevSibling(target->children, sig);
	else
		xmlAddChild(target, sig);
	return sig;
}

static int
sign_node(xmlNode *sig, int other)
{
	xmlSecDSigCtx c;
	int rc;

	if (xmlSecDSigCtxInitialize(&c, NULL) < 0)
		return -1;
	c.signKey = signing_key(other);
	rc = c.signKey != NULL ? xmlSecDSigCtxSign(&c, sig) : -1;
	xmlSecDSigCtxFinalize(&c);
	return rc;
}

char *
saml_sign(const char *xml, const char *id, const saml_sign_opts *o)
{
	static const saml_sign_opts none;
	static const xmlChar *ids[] = { (const xmlChar *)"ID", NULL };
	xmlDoc *doc = xmlReadMemory(xml, (int)strlen(xml), "t.xml", NULL, XML_PARSE_NONET);
	xmlNode *target = doc != NULL ? find_id(xmlDocGetRootElement(doc), id) : NULL;
	xmlNode *sig;
	xmlChar *mem = NULL;
	char *out = NULL;
	int n = 0;

	o = o != NULL ? o : &none;
	if (target != NULL) {
		xmlSecAddIDs(doc, NULL, ids);
		if ((sig = add_template(doc, target, id, o)) != NULL && sign_node(sig, o->other_key) == 0) {
			xmlDocDumpMemory(doc, &mem, &n);
			out = mem != NULL ? strdup((const char *)mem) : NULL;
			xmlFree(mem);
		}
	}
	xmlFreeDoc(doc);
	return out;
}
