/*
 * Helpers shared by the SAML metadata checker's files (saml_parse.c: the
 * pre-scan and the hardened parse; saml_scan.c: the secret scan of the
 * decoded text; saml_meta.c: the refusals and the choice of the identity
 * provider entity; saml_entity.c: the checks on that entity) and nothing
 * else.  Elements are always matched by namespace URI and local name, never
 * by prefix.
 */
#ifndef ONRAMP_SAML_INTERNAL_H
#define ONRAMP_SAML_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libxml/tree.h>

#include "onramp/arena.h"
#include "onramp/secretscan.h"
#include "onramp/sso_report.h"

/** The SAML 2.0 metadata namespace. */
#define SAML_MD_NS "urn:oasis:names:tc:SAML:2.0:metadata"
/** The XML Signature namespace (ds:). */
#define SAML_DS_NS "http://www.w3.org/2000/09/xmldsig#"
/** The token of protocolSupportEnumeration that means SAML 2.0. */
#define SAML_PROTOCOL_NS "urn:oasis:names:tc:SAML:2.0:protocol"

/** Which structural limit (limits.h) the bytes break, found before libxml2 parses them. */
typedef enum saml_limit {
	SAML_LIMIT_NONE = 0,
	SAML_LIMIT_ELEMENT_ATTRS,	/* LIMIT_XML_ELEMENT_ATTRS */
	SAML_LIMIT_ATTRS,		/* LIMIT_XML_ATTRS */
	SAML_LIMIT_ELEMENT_NS,		/* LIMIT_XML_ELEMENT_NS */
	SAML_LIMIT_NS,			/* LIMIT_XML_NS */
	SAML_LIMIT_NS_IN_SCOPE,		/* LIMIT_XML_NS_IN_SCOPE */
	SAML_LIMIT_NAME			/* LIMIT_XML_NAME */
} saml_limit;

/** What the hardened parse saw; its hooks fill it. */
typedef struct saml_parse_state {
	saml_limit limit;	/* the pre-scan refused the bytes: nothing was parsed */
	unsigned depth;
	bool too_deep, doctype, external;
	bool have_error, fatal;	/* an error was kept; it was a fatal one */
	int line;		/* of the kept error */
	char msg[200];		/* libxml2's message for it, newline trimmed */
} saml_parse_state;

/** True when the prolog holds a DOCTYPE (a scan of what may precede one, so exact). */
bool saml_prolog_has_doctype(const char *xml, size_t len);
/** The first structural limit len bytes of XML break (a linear scan), or SAML_LIMIT_NONE. */
saml_limit saml_prescan(const char *xml, size_t len);
/**
 * Parse len bytes (zeroed ps) with the pre-scan, no network, no entity
 * substitution, no DTD and the depth limit; the document (NULL, partial or
 * whole; the caller frees it with xmlFreeDoc) and whether it is well-formed.
 * Bytes over LIMIT_XML_BYTES or refused by the pre-scan are not parsed.
 */
xmlDocPtr saml_parse(const char *xml, size_t len, saml_parse_state *ps, bool *well_formed);
/**
 * The first secret in an XML document: its raw bytes, then the decoded text
 * of doc when it parsed (NULL: a lenient decoding of the bytes instead).
 * Fails closed (SECRET_PRIVATE_KEY) when the decoded text cannot be built.
 */
secretscan_kind saml_secret_scan(const secretscan_ctx *ctx, const char *xml, size_t len, const xmlDoc *doc);

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
const char *saml_attr_value(saml_run *run, const xmlNode *n, const char *name);
/** The element's text content, trimmed of XML whitespace, as an arena string (NULL when out of memory). */
const char *saml_text(saml_run *run, const xmlNode *n);
/** Parse an xs:dateTime ("2014-11-06T10:45:03Z", fraction and offset optional) as UNIX seconds. */
bool saml_parse_datetime(const char *s, int64_t *out);
/** Check the validUntil of n (if any) against run->now; what names the element in the message. */
void saml_check_valid_until(saml_run *run, const xmlNode *n, const char *what, int *seen);
/** Check the chosen identity provider: entityID, SSO endpoints, signing certificates, NameID formats. */
void saml_check_entity(saml_run *run, const xmlNode *entity, const xmlNode *idp);

#endif
