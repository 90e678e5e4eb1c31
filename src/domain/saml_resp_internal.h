/*
 * Shared by the SAML response verifier's files and nothing else:
 * saml_response.c (decode, parse, structure, the order of the steps),
 * saml_xmlsec.c (xmlsec1: the Signature's shape and its verification) and
 * saml_assertion.c (the content checks and the identity).  Each step either
 * adds an ok check and returns true, or adds one failed check and returns
 * false, which ends the read.
 */
#ifndef ONRAMP_SAML_RESP_INTERNAL_H
#define ONRAMP_SAML_RESP_INTERNAL_H

#include <stdbool.h>

#include <libxml/tree.h>

#include "onramp/saml_response.h"
#include "saml_internal.h"

/** The SAML 2.0 assertion namespace (saml:). */
#define SAML_ASSERT_NS "urn:oasis:names:tc:SAML:2.0:assertion"

/** One read in progress. */
typedef struct saml_resp {
	saml_run run;			/* arena, report, now */
	const saml_expect *x;
	xmlDocPtr doc;
	xmlNode *resp;			/* the root samlp:Response */
	xmlNode *assertion;		/* its one saml:Assertion child */
	xmlNode *resp_sig, *assertion_sig;	/* their enveloped ds:Signature children, or NULL */
} saml_resp;

/** Add a failed error check to the report; always false. */
bool saml_resp_fail(saml_resp *s, const char *key, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/** Add a passed check to the report; always true. */
bool saml_resp_pass(saml_resp *s, const char *key, const char *msg);
/**
 * The whole text of n (trimmed of XML whitespace) in *out: false when n has
 * any child other than one text node (a comment, a processing instruction,
 * an element, CDATA or an entity reference), so no part of it is ever read.
 */
bool saml_whole_text(saml_resp *s, const xmlNode *n, const char **out);
/**
 * Verify the enveloped signature sig of the element signed (its parent,
 * whose ID is id): its shape first (saml.reference, saml.transform,
 * saml.algorithm), then xmlsec1 with each configured certificate's key
 * (saml.signature).
 */
bool saml_sig_check(saml_resp *s, xmlNode *sig, const char *id);
/** The content checks of the verified assertion and the identity it carries. */
bool saml_assertion_check(saml_resp *s, saml_identity *id);

#endif
