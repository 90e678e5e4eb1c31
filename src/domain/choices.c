/* The closed value lists of include/onramp/choices.h. */
#include <string.h>

#include "onramp/choices.h"

const char *const choices_user_statuses[] = { "active", "dormant", "suspended", "deactivated", NULL };
const char *const choices_roles[] = { "customer_admin", "customer_member", NULL };
const char *const choices_login_types[] = { "password", "oidc", "saml", NULL };
const char *const choices_review_decisions[] = { "approve", "reject", "request_changes", NULL };
const char *const choices_ai_providers[] = { "none", "managed", "own_account", NULL };
const char *const choices_provider_modes[] = { "managed", "own_account", NULL };

bool
choices_has(const char *const *list, const char *v)
{
	for (; v && *list; list++)
		if (strcmp(*list, v) == 0)
			return true;
	return false;
}

unsigned
choices_bit(const char *const *list, or_str v)
{
	unsigned i;

	for (i = 0; list[i]; i++)
		if (str_ieq_c(v, list[i]))
			return 1u << i;
	return 0;
}
