/*
 * TEMPORARY stand-in for the verifier (the verify branch implements
 * include/onramp/saml_response.h); deleted before the acs branch's last
 * commit.  It checks only size and strict base64, then refuses every
 * response as unsigned, which is all the ACS mechanics tests need.
 */
#include <string.h>

#include "onramp/limits.h"
#include "onramp/saml_response.h"

static bool
b64_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n % 4 != 0)
		return false;
	for (i = 0; i < n; i++) {
		char c = s[i];
		bool pad = c == '=' && i >= n - 2 && (i == n - 1 || s[n - 1] == '=');
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/' ||
		      pad))
			return false;
	}
	return true;
}

bool
saml_response_read(arena *a, const char *b64, size_t len, const saml_expect *x, sso_report *r, saml_identity *id)
{
	(void)x;
	memset(id, 0, sizeof(*id));
	if (len > LIMIT_SAML_RESPONSE_B64) {
		sso_report_add(r, a, "saml.size", false, SSO_ERROR, "The SAML response is larger than onramp reads.");
		return false;
	}
	if (!b64_ok(b64, len)) {
		sso_report_add(r, a, "saml.base64", false, SSO_ERROR, "The SAML response is not valid base64.");
		return false;
	}
	sso_report_add(r, a, "saml.signature", false, SSO_ERROR, "The SAML response is not signed.");
	return false;
}

const char *const *
saml_identity_values(const saml_identity *id, const char *name, size_t *n)
{
	size_t i;

	*n = 0;
	for (i = 0; i < id->nattrs; i++)
		if (strcmp(id->attrs[i].name, name) == 0) {
			*n = id->attrs[i].nvalues;
			return id->attrs[i].values;
		}
	return NULL;
}
