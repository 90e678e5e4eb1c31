/* The closed value lists of include/onramp/choices.h. */
#include <stdio.h>
#include <string.h>

#include "onramp/choices.h"

const char *const choices_user_statuses[] = { "active", "dormant", "suspended", "deactivated", NULL };
const char *const choices_roles[] = { "customer_admin", "customer_member", NULL };
const char *const choices_login_types[] = { "password", "oidc", "saml", NULL };
const char *const choices_operator_roles[] = { "operator", "operator_admin", "auditor", NULL };
const char *const choices_sso_protocols[] = { "oidc", "saml", "not_required", NULL };
const char *const choices_banner_severities[] = { "info", "warning", "critical", NULL };
const char *const choices_review_decisions[] = { "approve", "reject", "request_changes", NULL };
const char *const choices_ai_providers[] = { "none", "managed", "own_account", NULL };
const char *const choices_provider_modes[] = { "managed", "own_account", NULL };
const char *const choices_billing_states[] = {
	"none", "trial_requested", "trial_approved", "verified", "prepaid", NULL
};
const char *const choices_blocker_categories[] = {
	"billing", "prepaid_balance", "sso", "target_readiness", "template_availability", "other", NULL
};

int
choices_index(const char *const *list, const char *v)
{
	int i;

	for (i = 0; v && list[i]; i++)
		if (strcmp(list[i], v) == 0)
			return i;
	return -1;
}

bool
choices_has(const char *const *list, const char *v)
{
	return choices_index(list, v) >= 0;
}

void
choices_sentence(const char *const *list, char *out, size_t n)
{
	size_t len = 0, i;

	if (n == 0)
		return;
	out[0] = '\0';
	for (i = 0; list[i]; i++) {
		const char *sep = i == 0 ? "Choose " : list[i + 1] ? ", " : " or ";
		int w = snprintf(out + len, n - len, "%s%s", sep, list[i]);
		if (w < 0 || (size_t)w >= n - len) {
			out[len] = '\0';	/* whole values only */
			return;
		}
		len += (size_t)w;
	}
	(void)snprintf(out + len, n - len, ".");
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
