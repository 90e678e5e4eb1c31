/*
 * XML Signature verification of a SAML response with xmlsec1 (OpenSSL
 * backend), hardened the way the 2024-2025 SAML CVEs ask for:
 *
 * - xmlsec is started once per process with its I/O callbacks removed, so
 *   no Reference URI, RetrievalMethod or transform can read a file or open
 *   a connection;
 * - the key is set on the signature context before verifying, one context
 *   per configured certificate; xmlsec reads KeyInfo only when no key is set
 *   (xmldsig.c, ProcessKeyInfoNode), so a key, certificate or
 *   RetrievalMethod in the message is never looked at;
 * - the Signature's shape is checked here first, so each refusal has a
 *   clear key: exactly one Reference, its URI "#" + the ID of the signed
 *   element, only the enveloped-signature and exclusive C14N transforms,
 *   SHA-256 or stronger; xmlsec's own allowlists (reference URIs of the
 *   same document, enabled transforms) repeat those rules;
 * - success is xmlSecDSigStatusSucceeded with the one reference verified,
 *   not only a zero return.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <xmlsec/crypto.h>
#include <xmlsec/errors.h>
#include <xmlsec/io.h>
#include <xmlsec/openssl/evp.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/xmlsec.h>

#include "onramp/limits.h"
#include "onramp/str.h"
#include "saml_resp_internal.h"

#define DSIG "http://www.w3.org/2000/09/xmldsig#"
#define MORE "http://www.w3.org/2001/04/xmldsig-more#"
#define ENC "http://www.w3.org/2001/04/xmlenc#"
#define EXC_C14N "http://www.w3.org/2001/10/xml-exc-c14n#"
#define ENVELOPED DSIG "enveloped-signature"

static bool started;

/* xmlsec reports through a callback; the verdict is what counts, so nothing is printed. */
static void
quiet(const char *file, int line, const char *func, const char *obj, const char *subj, int reason, const char *msg)
{
	(void)file, (void)line, (void)func, (void)obj, (void)subj, (void)reason, (void)msg;
}

bool
saml_xmlsec_init(char *err, size_t errsz)
{
	if (started)
		return true;
	xmlInitParser();
	if (xmlSecInit() < 0 || xmlSecCheckVersion() != 1) {
		str_copy(err, errsz, "xmlsec1 could not start (library version mismatch?)");
		return false;
	}
	if (xmlSecCryptoAppInit(NULL) < 0 || xmlSecCryptoInit() < 0) {
		xmlSecShutdown();
		str_copy(err, errsz, "xmlsec1's OpenSSL backend could not start");
		return false;
	}
	xmlSecErrorsSetCallback(quiet);	/* after xmlSecInit, which installs the printing one */
	/* No file, http or ftp loader: nothing a message names can be fetched. */
	xmlSecIOCleanupCallbacks();
	started = true;
	return true;
}

void
saml_xmlsec_shutdown(void)
{
	if (!started)
		return;
	xmlSecCryptoShutdown();
	xmlSecCryptoAppShutdown();
	xmlSecShutdown();
	started = false;
}

/* ---- the Signature's shape ------------------------------------------------------ */

static const char *
alg(const xmlNode *n)
{
	const xmlAttr *a = xmlHasNsProp(n, (const xmlChar *)"Algorithm", NULL);

	return a != NULL && a->children != NULL && a->children->type == XML_TEXT_NODE && a->children->next == NULL ?
		       (const char *)a->children->content : "";
}

static bool
is_sha1(const char *uri)
{
	return strcmp(uri, DSIG "rsa-sha1") == 0 || strcmp(uri, DSIG "sha1") == 0 || strcmp(uri, DSIG "dsa-sha1") == 0 ||
	       strcmp(uri, MORE "ecdsa-sha1") == 0;
}

static bool
check_algorithm(saml_resp *s, const char *uri, const char *const *allowed, const char *what)
{
	for (; *allowed != NULL; allowed++)
		if (strcmp(uri, *allowed) == 0)
			return true;
	if (is_sha1(uri))
		return saml_resp_fail(s, "saml.algorithm",
				      "The %s uses SHA-1 (%.100s), which is refused: configure the identity provider "
				      "to sign with RSA-SHA256 (or stronger).", what, uri);
	return saml_resp_fail(s, "saml.algorithm", "The %s algorithm \"%.100s\" is not accepted (RSA or ECDSA with "
			      "SHA-256, SHA-384 or SHA-512 are).", what, uri);
}

static int
element_children(const xmlNode *n)
{
	int k = 0;

	for (n = n->children; n != NULL; n = n->next)
		k += n->type == XML_ELEMENT_NODE;
	return k;
}

/* Only enveloped-signature and exclusive C14N without comments, each at most once. */
static bool
check_transforms(saml_resp *s, const xmlNode *transforms)
{
	const xmlNode *t;
	int env = 0, exc = 0;

	if (transforms == NULL)
		return true;
	for (t = transforms->children; t != NULL; t = t->next) {
		if (t->type != XML_ELEMENT_NODE)
			continue;
		if (!saml_is(t, DSIG, "Transform"))
			return saml_resp_fail(s, "saml.transform", "The Reference's Transforms hold an element that is "
					      "not a Transform.");
		if (strcmp(alg(t), ENVELOPED) == 0 && env++ == 0)
			continue;
		if (strcmp(alg(t), EXC_C14N) == 0 && exc++ == 0)
			continue;
		return saml_resp_fail(s, "saml.transform", "The transform \"%.100s\" is not accepted (only "
				      "enveloped-signature and exclusive C14N without comments, once each).", alg(t));
	}
	return true;
}

static bool
check_reference(saml_resp *s, const xmlNode *ref, const char *id)
{
	static const char *const digests[] = { ENC "sha256", MORE "sha384", ENC "sha512", NULL };
	const xmlAttr *u = xmlHasNsProp(ref, (const xmlChar *)"URI", NULL);
	const char *uri = u != NULL && u->children != NULL ? (const char *)u->children->content : NULL;
	const xmlNode *tr = saml_next(ref, NULL, DSIG, "Transforms");
	const xmlNode *dm = saml_next(ref, NULL, DSIG, "DigestMethod");

	if (uri == NULL || uri[0] != '#' || strcmp(uri + 1, id) != 0 || u->children->next != NULL)
		return saml_resp_fail(s, "saml.reference", "The signature's Reference URI is \"%.100s\"; it must be "
				      "\"#%.100s\", the ID of the element the signature is in.", uri != NULL ? uri : "",
				      id);
	if (dm == NULL || element_children(ref) != (tr != NULL ? 3 : 2) ||
	    saml_next(ref, NULL, DSIG, "DigestValue") == NULL)
		return saml_resp_fail(s, "saml.reference", "The signature's Reference is not Transforms, "
				      "DigestMethod and DigestValue.");
	return check_transforms(s, tr) && check_algorithm(s, alg(dm), digests, "digest");
}

/* SignedInfo is exactly CanonicalizationMethod, SignatureMethod and one Reference. */
static bool
check_signed_info(saml_resp *s, const xmlNode *si, const char *id)
{
	static const char *const sigs[] = { MORE "rsa-sha256", MORE "rsa-sha384", MORE "rsa-sha512", MORE "ecdsa-sha256",
					    MORE "ecdsa-sha384", MORE "ecdsa-sha512", NULL };
	const xmlNode *c14n = saml_next(si, NULL, DSIG, "CanonicalizationMethod");
	const xmlNode *sm = saml_next(si, NULL, DSIG, "SignatureMethod");
	const xmlNode *ref = saml_next(si, NULL, DSIG, "Reference");

	if (ref == NULL || saml_next(si, ref, DSIG, "Reference") != NULL)
		return saml_resp_fail(s, "saml.reference", "The signature must have exactly one Reference.");
	if (c14n == NULL || sm == NULL || element_children(si) != 3)
		return saml_resp_fail(s, "saml.reference", "The signature's SignedInfo is not CanonicalizationMethod, "
				      "SignatureMethod and one Reference.");
	if (strcmp(alg(c14n), EXC_C14N) != 0)
		return saml_resp_fail(s, "saml.transform", "The signature's canonicalization \"%.100s\" is not accepted "
				      "(only exclusive C14N without comments).", alg(c14n));
	return check_algorithm(s, alg(sm), sigs, "signature") && check_reference(s, ref, id);
}

/* ---- verification --------------------------------------------------------------- */

/* The public key of one configured certificate (base64 DER) as an xmlsec key, or NULL. */
static xmlSecKeyPtr
cert_key(const char *b64)
{
	size_t len = strlen(b64);
	unsigned char *der = len > 0 && len / 4 * 3 <= LIMIT_X509_DER_BYTES ? malloc(len / 4 * 3 + 3) : NULL;
	const unsigned char *p = der;
	xmlSecKeyPtr key = NULL;
	xmlSecKeyDataPtr data;
	EVP_PKEY *pk = NULL;
	X509 *x = NULL;
	int n;

	if (der != NULL && (n = EVP_DecodeBlock(der, (const unsigned char *)b64, (int)len)) > 0)
		x = d2i_X509(NULL, &p, n);
	free(der);
	pk = x != NULL ? X509_get_pubkey(x) : NULL;
	X509_free(x);
	if (pk == NULL)
		return NULL;
	if ((data = xmlSecOpenSSLEvpKeyAdopt(pk)) == NULL) {
		EVP_PKEY_free(pk);
		return NULL;
	}
	if ((key = xmlSecKeyCreate()) == NULL || xmlSecKeySetValue(key, data) < 0) {
		xmlSecKeyDataDestroy(data);
		if (key != NULL)
			xmlSecKeyDestroy(key);
		return NULL;
	}
	return key;
}

static bool
enable_transforms(xmlSecDSigCtx *c)
{
	return xmlSecDSigCtxEnableSignatureTransform(c, xmlSecTransformExclC14NId) == 0 &&
	       xmlSecDSigCtxEnableSignatureTransform(c, xmlSecTransformRsaSha256Id) == 0 &&
	       xmlSecDSigCtxEnableSignatureTransform(c, xmlSecTransformRsaSha384Id) == 0 &&
	       xmlSecDSigCtxEnableSignatureTransform(c, xmlSecTransformRsaSha512Id) == 0 &&
	       xmlSecDSigCtxEnableSignatureTransform(c, xmlSecTransformEcdsaSha256Id) == 0 &&
	       xmlSecDSigCtxEnableSignatureTransform(c, xmlSecTransformEcdsaSha384Id) == 0 &&
	       xmlSecDSigCtxEnableSignatureTransform(c, xmlSecTransformEcdsaSha512Id) == 0 &&
	       xmlSecDSigCtxEnableReferenceTransform(c, xmlSecTransformEnvelopedId) == 0 &&
	       xmlSecDSigCtxEnableReferenceTransform(c, xmlSecTransformExclC14NId) == 0 &&
	       xmlSecDSigCtxEnableReferenceTransform(c, xmlSecTransformSha256Id) == 0 &&
	       xmlSecDSigCtxEnableReferenceTransform(c, xmlSecTransformSha384Id) == 0 &&
	       xmlSecDSigCtxEnableReferenceTransform(c, xmlSecTransformSha512Id) == 0;
}

/* True when key verifies sig: the status, and the one reference being "#" + id and verified. */
static bool
verify_with(xmlNode *sig, xmlSecKeyPtr key, const char *id)
{
	xmlSecDSigCtx c;
	xmlSecDSigReferenceCtxPtr ref;
	bool ok;

	if (xmlSecDSigCtxInitialize(&c, NULL) < 0) {
		xmlSecKeyDestroy(key);
		return false;
	}
	c.signKey = key;	/* owned by c from here; KeyInfo is not read while a key is set */
	c.enabledReferenceUris = xmlSecTransformUriTypeSameDocument;
	ok = enable_transforms(&c) && xmlSecDSigCtxVerify(&c, sig) == 0 && c.status == xmlSecDSigStatusSucceeded &&
	     xmlSecPtrListGetSize(&c.signedInfoReferences) == 1;
	if (ok) {
		ref = xmlSecPtrListGetItem(&c.signedInfoReferences, 0);
		ok = ref != NULL && ref->status == xmlSecDSigStatusSucceeded && ref->uri != NULL &&
		     ref->uri[0] == '#' && strcmp((const char *)ref->uri + 1, id) == 0;
	}
	xmlSecDSigCtxFinalize(&c);
	return ok;
}

bool
saml_sig_check(saml_resp *s, xmlNode *sig, const char *id)
{
	const xmlNode *si = saml_next(sig, NULL, DSIG, "SignedInfo");
	xmlSecKeyPtr key;
	size_t i, usable = 0;

	if (si == NULL)
		return saml_resp_fail(s, "saml.signature", "The signature has no SignedInfo.");
	if (!check_signed_info(s, si, id))
		return false;
	if (!started)
		return saml_resp_fail(s, "saml.internal", "Signature verification is not available on this server.");
	for (i = 0; i < s->x->ncerts; i++) {
		if ((key = cert_key(s->x->certs_b64[i])) == NULL)
			continue;
		usable++;
		if (verify_with(sig, key, id))
			return true;
	}
	if (usable == 0)
		return saml_resp_fail(s, "saml.signature", "The approved configuration holds no usable signing "
				      "certificate of the identity provider.");
	return saml_resp_fail(s, "saml.signature", "The signature does not verify with the identity provider's signing "
			      "certificate%s from the approved configuration.", usable > 1 ? "s" : "");
}
