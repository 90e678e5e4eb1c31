/*
 * Who an SSO identity may be in a customer, as pure rules: the email in the
 * expected domains and not declared unverified, a subject, the groups claim,
 * the role the groups give and the test user matched.  The test sign-in's
 * result and the real sign-in use the same function, so what a customer
 * admin sees in a test is what sign-in does.  Every check carries a stable
 * key, a severity and a sentence a customer admin understands.
 */
#ifndef ONRAMP_SSO_RULES_H
#define ONRAMP_SSO_RULES_H

#include <stdbool.h>
#include <stddef.h>

#include "onramp/arena.h"
#include "onramp/sso_report.h"
#include "onramp/sso_config.h"

/** The role the configured groups give an identity. */
typedef enum sso_role { SSO_ROLE_NONE = 0, SSO_ROLE_MEMBER, SSO_ROLE_ADMIN } sso_role;

/*
 * A check is the validation report's sso_check (sso_report.h: key, ok,
 * severity SSO_ERROR/SSO_WARNING/SSO_INFO, message): a failed SSO_ERROR check
 * refuses, warnings and facts do not.
 */

/** The judgement of one identity against one configuration. */
typedef struct sso_verdict {
	sso_check *checks;
	size_t nchecks;
	bool ok;			/* no check of severity error failed */
	const char *matched_test_user;	/* the test user (email or username) it matched, or NULL */
	sso_role role;			/* what the groups give (NONE: in no configured group) */
} sso_verdict;

/** The most checks sso_rules_evaluate adds. */
#define SSO_RULES_MAX_CHECKS 8

/**
 * Judge a verified identity against a config: email present, in the expected
 * domains (sso_form_email_in: one of them or a subdomain, case-insensitive;
 * no IDNA), not declared unverified by the IdP (absent: a warning), subject
 * present, groups claim present (a warning when missing), the role the groups
 * give (an admin group wins; names compared exactly), the test user matched
 * (email or username, case-insensitive).  Strings in the arena.
 */
void sso_rules_evaluate(arena *a, const sso_config *cfg, const oidc_identity *id, sso_verdict *out);
/** The first failed check of severity error, or NULL when v->ok. */
const sso_check *sso_rules_refusal(const sso_verdict *v);
/**
 * The username an SSO-created account gets: the IdP's username when it is a
 * valid onramp username (identity_username_ok after lower-casing), else the
 * email's local part reduced to [a-z0-9._-]; attempt > 0 appends "-<attempt+1>"
 * for a name already taken.  False when nothing usable is left.
 */
bool sso_rules_username(const oidc_identity *id, unsigned attempt, char *out, size_t outsz);
/** "customer_admin", "customer_member" (the user roles), or "none". */
const char *sso_role_name(sso_role r);

#endif
