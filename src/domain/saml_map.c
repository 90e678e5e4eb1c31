/*
 * A verified SAML assertion as the identity the SSO rules judge
 * (include/onramp/saml_map.h).  The limits are OpenID Connect's
 * (LIMIT_OIDC_*): one identity, one set of bounds, whichever protocol
 * carried it.
 */
#include <string.h>

#include "onramp/limits.h"
#include "onramp/saml_map.h"

/* The one value of the attribute named name, bounded; NULL when absent, several or too long. */
static const char *
single(const saml_identity *s, const char *name)
{
	const char *const *v;
	size_t n = 0;

	if (name == NULL || *name == '\0')
		return NULL;
	v = saml_identity_values(s, name, &n);
	return n == 1 && strlen(v[0]) <= LIMIT_OIDC_CLAIM_BYTES ? v[0] : NULL;
}

/* Every value of the groups attribute; false (r says why) when there are too many or one is too long. */
static bool
groups(const saml_identity *s, const char *name, arena *a, sso_report *r, oidc_identity *out)
{
	const char *const *v;
	size_t i, n = 0;

	if (name == NULL || *name == '\0' || (v = saml_identity_values(s, name, &n)) == NULL)
		return true;
	if (n > LIMIT_OIDC_GROUPS) {
		sso_report_add(r, a, "saml.groups", false, SSO_ERROR, "The groups attribute lists %zu groups; onramp "
			       "reads at most %u. Have the IdP send only the groups that matter for onramp.", n,
			       LIMIT_OIDC_GROUPS);
		return false;
	}
	for (i = 0; i < n; i++)
		if (*v[i] == '\0' || strlen(v[i]) > LIMIT_OIDC_GROUP_BYTES) {
			sso_report_add(r, a, "saml.groups", false, SSO_ERROR, "Every value of the groups attribute must "
				       "be a group name of 1 to %u bytes.", LIMIT_OIDC_GROUP_BYTES);
			return false;
		}
	/* A list of the identity's own type; the strings stay the assertion's. */
	if ((out->groups = arena_calloc(a, n ? n : 1, sizeof(*out->groups))) == NULL) {
		sso_report_add(r, a, "saml.internal", false, SSO_ERROR, "onramp ran out of memory reading the groups.");
		return false;
	}
	for (i = 0; i < n; i++)
		out->groups[i] = v[i];
	out->ngroups = n;
	out->has_groups = true;
	return true;
}

bool
saml_map_identity(arena *a, const saml_identity *s, const oidc_claims *names, sso_report *r, oidc_identity *out)
{
	oidc_claims none = { NULL, NULL, NULL };
	size_t sublen = s->name_id ? strlen(s->name_id) : 0;

	memset(out, 0, sizeof(*out));
	names = names ? names : &none;
	if (sublen == 0 || sublen > LIMIT_OIDC_SUB_BYTES) {
		sso_report_add(r, a, "saml.name_id", false, SSO_ERROR, "The assertion's NameID must be 1 to %u bytes; "
			       "onramp links the account by it.", LIMIT_OIDC_SUB_BYTES);
		return false;
	}
	out->sub = s->name_id;
	out->issuer = s->issuer;
	out->email = single(s, names->email);
	if (out->email == NULL && s->name_id_format && strcmp(s->name_id_format, SAML_NAMEID_EMAIL) == 0 &&
	    sublen <= LIMIT_OIDC_CLAIM_BYTES)
		out->email = s->name_id;
	out->email_verified = out->email ? 1 : -1;
	out->username = single(s, names->username);
	return groups(s, names->groups, a, r, out);
}
