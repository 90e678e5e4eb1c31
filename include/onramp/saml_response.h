/*
 * The SAML 2.0 response an IdP posts to the ACS (issue 14): decoded, parsed
 * with the hardened libxml2 setup of the metadata checker, its signature
 * verified with xmlsec1 (OpenSSL backend) against the approved metadata's
 * signing certificates only, and its content checked against what this SP
 * expects.  Pure: no database, no network (xmlsec's URI loaders are off),
 * the clock is a parameter.  The identity read is exactly the one covered
 * by the verified signature; the check keys (saml.*) are listed in
 * docs/sso.md and each failure has a sentence a customer admin understands.
 */
#ifndef ONRAMP_SAML_RESPONSE_H
#define ONRAMP_SAML_RESPONSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "onramp/arena.h"
#include "onramp/sso_report.h"

/** Clock skew allowed on every SAML time check (seconds). */
#define SAML_CLOCK_SKEW_S 120

/** What this SP expects of one response: from the configuration and the pending request. */
typedef struct saml_expect {
	const char *idp_entity_id;		/* Issuer (Response's when present, Assertion's always) */
	const char *const *certs_b64;		/* the IdP's signing certificates, base64 DER */
	size_t ncerts;
	const char *sp_entity_id;		/* must be in an AudienceRestriction */
	const char *acs_url;			/* Destination and the bearer Recipient */
	const char *request_id;			/* the AuthnRequest ID this browser sent: InResponseTo */
	int64_t now;				/* UNIX seconds */
} saml_expect;

/** One attribute of the assertion: its Name and every AttributeValue's whole text. */
typedef struct saml_attr {
	const char *name;
	const char **values;
	size_t nvalues;
} saml_attr;

/** What a verified, checked assertion says (strings in the arena). */
typedef struct saml_identity {
	const char *issuer;			/* the IdP's entity ID */
	const char *name_id, *name_id_format;
	const char *assertion_id;
	int64_t expires_at;			/* earliest NotOnOrAfter of Conditions and the bearer confirmation */
	const char *session_index;		/* AuthnStatement SessionIndex, or NULL */
	saml_attr *attrs;
	size_t nattrs;
} saml_identity;

/**
 * Read one SAMLResponse form value (len bytes of base64): size limit, strict
 * base64 (the alphabet, '=' padding and CR/LF line breaks only), hardened
 * parse, structure, signature, then content.  Each passed step adds an ok
 * check to r, which the caller started with sso_report_init(r, "saml"); the
 * first failed step adds one failed check (its key names the step, see
 * docs/sso.md "SAML response checks") and ends the read.  True only when r
 * is still ok, and then id holds the identity.  A response without
 * InResponseTo (IdP-initiated) fails the check "saml.unsolicited".
 */
bool saml_response_read(arena *a, const char *b64, size_t len, const saml_expect *x, sso_report *r,
			saml_identity *id);

/** Values of the attribute named name (exact match), or NULL with *n = 0. */
const char *const *saml_identity_values(const saml_identity *id, const char *name, size_t *n);

/**
 * Initialise xmlsec1 and its OpenSSL backend once per process (after
 * libxml2): its network and file URI loaders are switched off, so no
 * reference or key can make it read anything.  False with a message when it
 * cannot start (then every SAML response fails "saml.internal").
 */
bool saml_xmlsec_init(char *err, size_t errsz);
/** Shut xmlsec1 down (process exit). */
void saml_xmlsec_shutdown(void);

#endif
