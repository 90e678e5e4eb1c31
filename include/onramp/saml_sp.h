/*
 * The SAML 2.0 service provider's outgoing messages (issue 14): the
 * AuthnRequest of an SP-initiated sign-in, its two encodings (HTTP-Redirect:
 * raw DEFLATE, base64, URL-encoded in the query; HTTP-POST: base64 in a form
 * field) and the per-customer SP metadata the IdP imports.  Pure: zlib and
 * OpenSSL only, the clock and every URL are parameters (the URLs come from
 * sso_sp_urls, the one builder).  Every value written into XML is escaped.
 * The AuthnRequest is not signed (the metadata says AuthnRequestsSigned="false").
 */
#ifndef ONRAMP_SAML_SP_H
#define ONRAMP_SAML_SP_H

#include <stdbool.h>
#include <stdint.h>

#include "onramp/arena.h"
#include "onramp/status.h"

/** Length of a request ID: "_" and 64 lower-case hex digits (256 random bits; an XML ID must not start with a digit). */
#define SAML_REQUEST_ID_LEN 65

/** What one AuthnRequest says (strings borrowed). */
typedef struct saml_authn {
	const char *id;			/* saml_request_id() */
	int64_t issue_instant;		/* UNIX seconds */
	const char *destination;	/* the IdP's SSO URL */
	const char *acs_url;		/* AssertionConsumerServiceURL (HTTP-POST binding) */
	const char *sp_entity_id;	/* the Issuer */
} saml_authn;

/** A new request ID into out (RAND_bytes); OR_ERR_INTERNAL when the RNG fails. */
or_status saml_request_id(char out[SAML_REQUEST_ID_LEN + 1]);
/** True when s has the shape of saml_request_id()'s output. */
bool saml_request_id_ok(const char *s);
/** The AuthnRequest XML (arena); NULL when out of memory. */
const char *saml_authn_xml(arena *a, const saml_authn *r);
/**
 * The HTTP-Redirect binding URL: sso_url with SAMLRequest (xml, raw DEFLATE,
 * base64, URL-encoded) and RelayState appended after '?' or '&' (an existing
 * query is kept).  Arena string; NULL when out of memory or deflate fails.
 */
const char *saml_redirect_url(arena *a, const char *sso_url, const char *xml, const char *relay_state);
/** The HTTP-POST binding's SAMLRequest value: base64 of xml, no deflate (arena); NULL when out of memory. */
const char *saml_post_value(arena *a, const char *xml);
/**
 * The origin of an http(s) URL ("https://host[:port]", arena) for a CSP
 * form-action source: NULL unless the host is letters, digits, '.', '-' (or
 * a bracketed IPv6 literal) and the port digits, so nothing from the URL can
 * add a directive (';', ',', spaces) to the policy.
 */
const char *saml_url_origin(arena *a, const char *url);
/**
 * True when browsers keep a Secure cookie set for this public URL: https, or
 * http on a loopback host (127.0.0.1, localhost, [::1]), which browsers treat
 * as a secure context.  Decides whether SAML's pending cookie can be
 * SameSite=None; Secure (the IdP's POST to the ACS is cross-site).
 */
bool saml_sp_secure_context(const char *public_url);
/**
 * The SP metadata (arena): EntityDescriptor entity_id, SPSSODescriptor for
 * SAML 2.0 with AuthnRequestsSigned="false", WantAssertionsSigned="true",
 * NameIDFormat emailAddress and the ACS (HTTP-POST, index 0).  NULL when out of memory.
 */
const char *saml_sp_metadata(arena *a, const char *entity_id, const char *acs_url);

#endif
