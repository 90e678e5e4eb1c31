/*
 * A SAML signer for the verifier's tests (tests/unit/saml_sign.c): adds an
 * enveloped ds:Signature to one element of a response template and signs it
 * with xmlsec1 at test time, with the IdP's RSA-2048 key (testcert.c) or a
 * second key made here, so no signed fixture or private key is stored.  The
 * options produce the shapes a verifier must refuse.
 */
#ifndef ONRAMP_SAML_SIGN_H
#define ONRAMP_SAML_SIGN_H

#include <stddef.h>

/** How to sign; all zero is what a good IdP does (RSA-SHA256, exc-c14n, "#" + ID, no KeyInfo). */
typedef struct saml_sign_opts {
	int other_key;		/* sign with a second RSA-2048 key instead of the IdP's */
	int sha1;		/* RSA-SHA1 with a SHA-1 digest */
	int ref_comments;	/* exc-c14n WithComments as the Reference's transform */
	int si_comments;	/* exc-c14n WithComments as SignedInfo's canonicalization */
	int xpath;		/* an extra XPath transform */
	int xslt;		/* an extra XSLT transform */
	int two_refs;		/* a second Reference to the same element */
	const char *uri;	/* the Reference URI; NULL = "#" + the ID */
	int keyinfo_cert;	/* KeyInfo/X509Data with the signing key's certificate */
	int keyinfo_keyvalue;	/* KeyInfo/KeyValue with the signing key's RSAKeyValue */
} saml_sign_opts;

/** Start xmlsec for the signer and verifier (once); 0 on success. */
int saml_sign_init(void);
/**
 * xml with a ds:Signature added to the element whose ID attribute is id
 * (right after its Issuer child), then signed; malloc'd, NULL on failure.
 */
char *saml_sign(const char *xml, const char *id, const saml_sign_opts *o);
/** The IdP's certificate (base64 DER, no whitespace), made once. */
const char *saml_sign_cert(void);
/** The second key's certificate, made once. */
const char *saml_sign_other_cert(void);
/** base64 of len bytes (malloc'd), wrapped at 76 columns with CRLF when wrap is set. */
char *saml_sign_b64(const char *s, size_t len, int wrap);

#endif
