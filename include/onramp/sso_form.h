/*
 * Rules for the SSO form's own fields (not the IdP document): expected email
 * domains are real domain names and not free-mail providers, test users'
 * emails fall in those domains, claim and group names are plausible.  Pure.
 */
#ifndef ONRAMP_SSO_FORM_H
#define ONRAMP_SSO_FORM_H

#include <stdbool.h>
#include <stddef.h>

#define SSO_FORM_MAX_LIST 50		/* domains, groups, test users */
#define SSO_FORM_NAME_MAX 200		/* a group or claim name */

/** Normalise a domain (trim, lower-case, drop one trailing dot) into out; false when it is not a domain name. */
bool sso_form_domain(const char *in, char *out, size_t outsz);
/** True for a free-mail or consumer mail domain (gmail.com, outlook.com, ...), which cannot identify a company. */
bool sso_form_freemail(const char *domain);
/** True when the normalised email's domain is one of domains (exact, or a subdomain of one). */
bool sso_form_email_in(const char *email, const char *const *domains, size_t n);
/** A plausible claim or attribute name: 1-200 of letters, digits and _ - . : / (URIs allowed). */
bool sso_form_claim_ok(const char *s);
/** A plausible group name: 1-200 printable characters, no control characters. */
bool sso_form_group_ok(const char *s);

#endif
