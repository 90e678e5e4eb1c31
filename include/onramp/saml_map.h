/*
 * From a verified SAML assertion to the identity the SSO rules judge
 * (issue 14): the same oidc_identity an OpenID Connect sign-in yields, so
 * sso_rules_evaluate, sso_admit and the test result read both protocols
 * alike.  Pure; strings stay where the saml_identity keeps them.
 */
#ifndef ONRAMP_SAML_MAP_H
#define ONRAMP_SAML_MAP_H

#include <stdbool.h>

#include "onramp/arena.h"
#include "onramp/jose.h"
#include "onramp/oidc_disc.h"
#include "onramp/saml_response.h"
#include "onramp/sso_report.h"

/** The NameID format that makes a NameID an email address. */
#define SAML_NAMEID_EMAIL "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"

/**
 * Map s to out: sub = NameID, issuer = the IdP's entity ID; email = the one
 * value of the attribute names->email, else the NameID when its format is
 * emailAddress; email_verified = 1 with an email (the IdP asserts it);
 * username = the one value of names->username; groups = every value of
 * names->groups (has_groups when that attribute is present).  A claim name
 * that is NULL or empty reads nothing; an attribute with several values
 * where one is expected counts as absent, as an over-long one does.  Adds
 * "saml.name_id" or "saml.groups" to r and returns false when the subject or
 * the groups cannot be used as they are.
 */
bool saml_map_identity(arena *a, const saml_identity *s, const oidc_claims *names, sso_report *r,
		       oidc_identity *out);

#endif
