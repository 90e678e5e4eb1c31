/*
 * The validation report of an SSO draft, shared by the SAML metadata and
 * OIDC discovery checkers (src/domain/saml_meta.c, src/domain/oidc_disc.c)
 * and the form checks: a list of named checks, each with a verdict, a
 * severity and a sentence a customer admin understands, plus a summary that
 * operators read in review.  Pure data: every string lives in the arena the
 * checker was given.  A report is "ok" when no error-severity check failed.
 */
#ifndef ONRAMP_SSO_REPORT_H
#define ONRAMP_SSO_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "onramp/arena.h"

/** How much a failed check matters. */
typedef enum sso_severity {
	SSO_ERROR = 0,		/* the configuration cannot work: blocks submit */
	SSO_WARNING,		/* works now, needs attention (expiring cert, unknown claim) */
	SSO_INFO		/* a fact for the report (e.g. "the document is signed") */
} sso_severity;

/** One check. key is a stable identifier, e.g. "saml.sso_location_https". */
typedef struct sso_check {
	const char *key;
	bool ok;
	sso_severity severity;
	const char *message;	/* customer-facing sentence; names values, never secrets */
} sso_check;

/** A signing certificate found in the document, as OpenSSL read it. */
typedef struct sso_cert {
	const char *use;		/* "signing", "encryption" or "" (none given = both) */
	const char *subject;		/* one line, RFC 2253 */
	const char *issuer;
	int64_t not_before;		/* UNIX seconds */
	int64_t not_after;
	const char *key_type;		/* "RSA", "EC", "Ed25519", ... */
	int key_bits;
	const char *sig_alg;		/* e.g. "sha256WithRSAEncryption" */
	char sha256[96];		/* "AB:CD:..." upper-case hex with colons */
	const char *der_b64;		/* the DER as base64 without whitespace (x509info_from_base64 only) */
} sso_cert;

#define SSO_MAX_CHECKS 96
#define SSO_MAX_CERTS 16
#define SSO_MAX_ENDPOINTS 16
#define SSO_MAX_ENTITIES 64

/** An endpoint the summary lists: a binding or role, and its URL. */
typedef struct sso_endpoint {
	const char *kind;	/* "sso:HTTP-Redirect", "authorization_endpoint", ... */
	const char *url;
} sso_endpoint;

/** What the checkers found and decided. */
typedef struct sso_report {
	sso_check checks[SSO_MAX_CHECKS];
	size_t nchecks;
	bool ok;			/* no failed SSO_ERROR check */
	/* summary */
	const char *protocol;		/* "saml" or "oidc" */
	const char *entity_id;		/* SAML entityID, or OIDC issuer */
	bool is_signed;			/* SAML: the document carries a ds:Signature */
	sso_endpoint endpoints[SSO_MAX_ENDPOINTS];
	size_t nendpoints;
	sso_cert certs[SSO_MAX_CERTS];	/* SAML signing certs; OIDC: x5c certs of usable keys */
	size_t ncerts;
	const char *nameid_formats[8];
	size_t nnameid;
	const char *entities[SSO_MAX_ENTITIES];	/* IdP entityIDs when the document holds several */
	size_t nentities;
	const char *jwks_uri;		/* OIDC: where the keys are, for the fetch step */
	int usable_keys;		/* OIDC JWKS: keys OpenSSL could load */
} sso_report;

/** Start an empty report for protocol ("saml" or "oidc"); ok until an error is added. */
void sso_report_init(sso_report *r, const char *protocol);
/**
 * Add a check (message formatted into the arena).  A failed SSO_ERROR check
 * makes the report not ok.  Silently dropped past SSO_MAX_CHECKS.
 */
void sso_report_add(sso_report *r, arena *a, const char *key, bool ok, sso_severity sev, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
/** The first failed check with severity sev, or NULL. */
const sso_check *sso_report_failed(const sso_report *r, sso_severity sev);
/** The check with this key, or NULL. */
const sso_check *sso_report_find(const sso_report *r, const char *key);
/** "error", "warning", "info". */
const char *sso_severity_name(sso_severity s);

/** How many rows of a report show each outcome (sso_check_shown). */
typedef struct sso_counts {
	size_t errors;		/* failed, severity error: blocks submit or refuses the sign-in */
	size_t warnings;	/* failed, severity warning: works now, a real risk */
	size_t notes;		/* failed, severity info: a fact worth reading */
	size_t passed;		/* passed, whatever a failure would have meant */
} sso_counts;

/**
 * The severity a row shows, the one rule every report uses: a passed check is
 * SSO_INFO (its severity only says how much a failure would matter), a failed
 * one keeps its own.
 */
sso_severity sso_check_shown(const sso_check *c);
/** Count rows by what they show (sso_check_shown): the numbers a report's headline gives. */
sso_counts sso_checks_count(const sso_check *checks, size_t n);

#endif
