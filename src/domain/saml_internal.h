/*
 * Helpers shared by the SAML metadata checker's two files (saml_meta.c: the
 * safe parse and the choice of the identity provider entity; saml_entity.c:
 * the checks on that entity) and nothing else.  Elements are always matched
 * by namespace URI and local name, never by prefix.
 */
#ifndef ONRAMP_SAML_INTERNAL_H
#define ONRAMP_SAML_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <libxml/tree.h>

#include "onramp/arena.h"
#include "onramp/sso_report.h"

/** The SAML 2.0 metadata namespace. */
#define SAML_MD_NS "urn:oasis:names:tc:SAML:2.0:metadata"
/** The XML Signature namespace (ds:). */
#define SAML_DS_NS "http://www.w3.org/2000/09/xmldsig#"
/** The token of protocolSupportEnumeration that means SAML 2.0. */
#define SAML_PROTOCOL_NS "urn:oasis:names:tc:SAML:2.0:protocol"

/** One run of the checker: where strings go, what is filled, the pinned clock. */
typedef struct saml_run {
	arena *a;
	sso_report *r;
	int64_t now;
	bool nomem;		/* an arena allocation failed: the report is incomplete */
} saml_run;

/** True when n is an element named local in namespace ns. */
bool saml_is(const xmlNode *n, const char *ns, const char *local);
/** The first element child of parent after `after` (NULL = from the start) named {ns}local, or NULL. */
xmlNode *saml_next(const xmlNode *parent, const xmlNode *after, const char *ns, const char *local);
/** An attribute without namespace as an arena string, or NULL when absent (or out of memory). */
const char *saml_attr(saml_run *run, const xmlNode *n, const char *name);
/** The element's text content, trimmed of XML whitespace, as an arena string (NULL when out of memory). */
const char *saml_text(saml_run *run, const xmlNode *n);
/** Parse an xs:dateTime ("2014-11-06T10:45:03Z", fraction and offset optional) as UNIX seconds. */
bool saml_parse_datetime(const char *s, int64_t *out);
/** Check the validUntil of n (if any) against run->now; what names the element in the message. */
void saml_check_valid_until(saml_run *run, const xmlNode *n, const char *what, int *seen);
/** Check the chosen identity provider: entityID, SSO endpoints, signing certificates, NameID formats. */
void saml_check_entity(saml_run *run, const xmlNode *entity, const xmlNode *idp);

#endif
