/*
 * The route table: every endpoint the workers answer, the listener(s) it is
 * reachable on, who may call it and what body it takes.  Reading this file
 * tells you the whole HTTP surface; docs/api.md describes each entry.
 */
#include <stdio.h>

#include "onramp/app.h"
#include "handlers.h"

#define PUB LISTENER_PUBLIC
#define OPS LISTENER_OPERATOR
#define BOTH (LISTENER_PUBLIC | LISTENER_OPERATOR)
/* Reachable while a password change is pending. */
#define PWOK ROUTE_ALLOWED_BEFORE_PASSWORD_CHANGE
/* Reachable by an operator who has not enrolled in TOTP yet (nothing else is). */
#define TOTPOK ROUTE_ALLOWED_BEFORE_TOTP_ENROLLMENT
/* A creating POST: an Idempotency-Key makes a retry return the first answer (docs/api.md). */
#define IDEM ROUTE_IDEMPOTENT

static const route routes[] = {
	/* probes */
	{ "GET", "/healthz", BOTH, AUTH_NONE, BODY_NONE, api_healthz, 0 },
	{ "GET", "/readyz", OPS, AUTH_NONE, BODY_NONE, api_readyz, 0 },
	{ "GET", "/metrics", OPS, AUTH_NONE, BODY_NONE, api_metrics, 0 },
	/* browser reports */
	{ "POST", "/api/v1/csp-reports", PUB, AUTH_NONE, BODY_NONE, api_csp_report, 0 },
	{ "POST", "/admin/api/v1/csp-reports", OPS, AUTH_NONE, BODY_NONE, api_csp_report, 0 },

	/* customer: session and passwords */
	{ "POST", "/api/v1/session", PUB, AUTH_NONE, BODY_JSON, api_session_create, 0 },
	{ "GET", "/api/v1/session", PUB, AUTH_CUSTOMER, BODY_NONE, api_session_get, PWOK },
	{ "DELETE", "/api/v1/session", PUB, AUTH_CUSTOMER, BODY_NONE, api_session_delete, PWOK },
	{ "POST", "/api/v1/password", PUB, AUTH_CUSTOMER, BODY_JSON, api_password_change, PWOK },
	{ "POST", "/api/v1/password-resets", PUB, AUTH_NONE, BODY_JSON, api_reset_request, 0 },
	/* Before {token}: the first match wins, and "redeem" is never a token's shape. */
	{ "POST", "/api/v1/password-resets/redeem", PUB, AUTH_NONE, BODY_JSON, api_reset_redeem, 0 },
	{ "POST", "/api/v1/password-resets/{token}", PUB, AUTH_NONE, BODY_JSON, api_reset_complete, 0 },
	{ "GET", "/api/v1/banner", PUB, AUTH_NONE, BODY_NONE, api_banner_get, 0 },
	/* customer: account setup */
	{ "GET", "/api/v1/account", PUB, AUTH_CUSTOMER, BODY_NONE, api_account_get, 0 },
	{ "PATCH", "/api/v1/account", PUB, AUTH_CUSTOMER_ADMIN, BODY_JSON, api_account_patch, 0 },
	{ "GET", "/api/v1/checklist", PUB, AUTH_CUSTOMER, BODY_NONE, api_checklist_get, 0 },
	/* SSO work: a customer admin or the holder of a setup link of that customer (AUTH_SSO_EDITOR). */
	{ "GET", "/api/v1/sso", PUB, AUTH_SSO_EDITOR, BODY_NONE, api_sso_get, 0 },
	{ "PUT", "/api/v1/sso", PUB, AUTH_SSO_EDITOR, BODY_JSON_SAML, api_sso_put, 0 },
	{ "POST", "/api/v1/sso/validate", PUB, AUTH_SSO_EDITOR, BODY_NONE, api_sso_validate, IDEM },
	{ "GET", "/api/v1/sso/validations/{id}", PUB, AUTH_SSO_EDITOR, BODY_NONE, api_sso_validation_get, 0 },
	{ "POST", "/api/v1/sso/submit", PUB, AUTH_SSO_EDITOR, BODY_JSON, api_sso_submit, 0 },
	{ "PUT", "/api/v1/sso/secret", PUB, AUTH_SSO_EDITOR, BODY_JSON, api_sso_secret_put, ROUTE_SECRET_BODY },
	{ "DELETE", "/api/v1/sso/secret", PUB, AUTH_SSO_EDITOR, BODY_NONE, api_sso_secret_delete, 0 },
	{ "GET", "/api/v1/sso/sp", PUB, AUTH_SSO_EDITOR, BODY_NONE, api_sso_sp_get, 0 },
	/* Require-SSO is the customer admin's own setting, not SSO setup work a link may do. */
	{ "PUT", "/api/v1/sso/require", PUB, AUTH_CUSTOMER_ADMIN, BODY_JSON, api_sso_require_put, 0 },
	{ "POST", "/api/v1/sso/tests", PUB, AUTH_SSO_EDITOR, BODY_NONE, api_sso_test_create, IDEM },
	{ "GET", "/api/v1/sso/tests/{id}", PUB, AUTH_SSO_EDITOR, BODY_NONE, api_sso_test_get, 0 },
	/* OIDC sign-in: start (anyone) and the IdP's redirect back (the browser, no session yet) */
	{ "POST", "/api/v1/sso/start", PUB, AUTH_NONE, BODY_JSON, api_sso_start, 0 },
	{ "GET", "/api/v1/sso/oidc/callback/{slug}", PUB, AUTH_NONE, BODY_NONE, api_sso_oidc_callback, 0 },
	{ "GET", "/api/v1/sso/saml/{slug}/metadata", PUB, AUTH_NONE, BODY_NONE, api_sso_saml_metadata, 0 },
	{ "GET", "/api/v1/sso/saml/{slug}/post", PUB, AUTH_NONE, BODY_NONE, api_sso_saml_post, 0 },
	/* SAML: the IdP's form post (cross-site: no CSRF token; RelayState + cookie + InResponseTo + signature bind it) */
	{ "POST", "/api/v1/sso/saml/{slug}/acs", PUB, AUTH_NONE, BODY_FORM, api_sso_saml_acs, 0 },
	/* IT-admin setup links: admins make them, anyone holding one opens a setup-link session. */
	{ "POST", "/api/v1/sso/setup-links", PUB, AUTH_CUSTOMER_ADMIN, BODY_JSON, api_sso_setup_link_create, IDEM },
	{ "GET", "/api/v1/sso/setup-links", PUB, AUTH_CUSTOMER_ADMIN, BODY_NONE, api_sso_setup_links_list, 0 },
	{ "DELETE", "/api/v1/sso/setup-links/{id}", PUB, AUTH_CUSTOMER_ADMIN, BODY_NONE, api_sso_setup_link_revoke, 0 },
	{ "POST", "/api/v1/sso/setup-sessions", PUB, AUTH_NONE, BODY_JSON, api_sso_setup_session_create, 0 },
	{ "GET", "/api/v1/sso/setup-session", PUB, AUTH_SSO_SETUP, BODY_NONE, api_sso_setup_session_get, 0 },
	{ "DELETE", "/api/v1/sso/setup-session", PUB, AUTH_SSO_SETUP, BODY_NONE, api_sso_setup_session_delete, 0 },
	{ "POST", "/api/v1/workspaces", PUB, AUTH_CUSTOMER_ADMIN, BODY_JSON, api_workspace_create, IDEM },
	{ "GET", "/api/v1/workspaces", PUB, AUTH_CUSTOMER, BODY_NONE, api_workspaces_list, 0 },
	{ "POST", "/api/v1/support-requests", PUB, AUTH_CUSTOMER, BODY_JSON, api_support_create, IDEM },
	/* customer: members and user management (admins) */
	{ "GET", "/api/v1/members", PUB, AUTH_CUSTOMER_ADMIN, BODY_NONE, api_members_list, 0 },
	{ "POST", "/api/v1/users/{id}/suspend", PUB, AUTH_CUSTOMER_ADMIN, BODY_NONE, api_user_suspend, 0 },
	{ "POST", "/api/v1/users/{id}/activate", PUB, AUTH_CUSTOMER_ADMIN, BODY_NONE, api_user_activate, 0 },
	{ "POST", "/api/v1/users/{id}/reset-password", PUB, AUTH_CUSTOMER_ADMIN, BODY_NONE, api_user_reset_password, 0 },
	{ "PATCH", "/api/v1/users/{id}", PUB, AUTH_CUSTOMER_ADMIN, BODY_JSON, api_user_patch, 0 },
	/* customer: invites (admins) and accepting them (anyone holding a link) */
	{ "POST", "/api/v1/invites", PUB, AUTH_CUSTOMER_ADMIN, BODY_JSON, api_invite_create, IDEM },
	{ "POST", "/api/v1/invites/{id}/resend", PUB, AUTH_CUSTOMER_ADMIN, BODY_NONE, api_invite_resend, 0 },
	{ "DELETE", "/api/v1/invites/{id}", PUB, AUTH_CUSTOMER_ADMIN, BODY_NONE, api_invite_revoke, 0 },
	{ "POST", "/api/v1/invite-lookups", PUB, AUTH_NONE, BODY_JSON, api_invite_lookup, 0 },
	{ "POST", "/api/v1/invite-acceptances", PUB, AUTH_NONE, BODY_JSON, api_invite_accept, 0 },
	/* test stacks only (test_mode; 404 elsewhere): sso_admit without an IdP */
	{ "POST", "/api/v1/test/sso-admissions", PUB, AUTH_NONE, BODY_JSON, api_test_sso_admit, 0 },
	/* test stacks with test_leak_route only (404 elsewhere): the proof that workers run LeakSanitizer */
	{ "POST", "/api/v1/test/leaks", PUB, AUTH_NONE, BODY_NONE, api_test_leak, 0 },

	/* operator: session, TOTP, password */
	{ "POST", "/admin/api/v1/session", OPS, AUTH_NONE, BODY_JSON, api_admin_session_create, 0 },
	{ "GET", "/admin/api/v1/session", OPS, AUTH_OPERATOR, BODY_NONE, api_admin_session_get, PWOK | TOTPOK },
	{ "DELETE", "/admin/api/v1/session", OPS, AUTH_OPERATOR, BODY_NONE, api_admin_session_delete, PWOK | TOTPOK },
	{ "POST", "/admin/api/v1/totp", OPS, AUTH_OPERATOR, BODY_NONE, api_admin_totp_start, PWOK | TOTPOK },
	{ "POST", "/admin/api/v1/totp/confirm", OPS, AUTH_OPERATOR, BODY_JSON, api_admin_totp_confirm, PWOK | TOTPOK },
	{ "POST", "/admin/api/v1/password", OPS, AUTH_OPERATOR, BODY_JSON, api_admin_password_change, PWOK },
	/* operator: customers and users */
	{ "GET", "/admin/api/v1/customers", OPS, AUTH_OPERATOR, BODY_NONE, api_admin_customers_list, 0 },
	{ "POST", "/admin/api/v1/customers", OPS, AUTH_OPERATOR, BODY_JSON, api_admin_customer_create, IDEM },
	{ "GET", "/admin/api/v1/customers/{id}", OPS, AUTH_OPERATOR, BODY_NONE, api_admin_customer_get, 0 },
	{ "PATCH", "/admin/api/v1/customers/{id}", OPS, AUTH_OPERATOR, BODY_JSON, api_admin_customer_patch, 0 },
	{ "POST", "/admin/api/v1/customers/{id}/admin-invite", OPS, AUTH_OPERATOR, BODY_JSON, api_admin_customer_admin_invite, IDEM },
	/* operator: account setup review */
	{ "PUT", "/admin/api/v1/customers/{id}/internal-notes", OPS, AUTH_OPERATOR, BODY_JSON, api_admin_notes_put, 0 },
	{ "PUT", "/admin/api/v1/customers/{id}/billing", OPS, AUTH_OPERATOR, BODY_JSON, api_admin_billing_put, 0 },
	{ "PUT", "/admin/api/v1/customers/{id}/workspace-target", OPS, AUTH_OPERATOR, BODY_JSON, api_admin_target_put, 0 },
	{ "PUT", "/admin/api/v1/customers/{id}/provider-setup", OPS, AUTH_OPERATOR, BODY_JSON, api_admin_provider_put, 0 },
	{ "PUT", "/admin/api/v1/customers/{id}/blockers", OPS, AUTH_OPERATOR, BODY_JSON, api_admin_blockers_put, 0 },
	{ "POST", "/admin/api/v1/customers/{id}/sso/activation", OPS, AUTH_OPERATOR, BODY_NONE, api_admin_sso_activate, 0 },
	{ "DELETE", "/admin/api/v1/customers/{id}/sso/activation", OPS, AUTH_OPERATOR, BODY_NONE, api_admin_sso_deactivate, 0 },
	{ "GET", "/admin/api/v1/reviews", OPS, AUTH_OPERATOR, BODY_NONE, api_admin_reviews_list, 0 },
	{ "POST", "/admin/api/v1/reviews/{id}/decision", OPS, AUTH_OPERATOR, BODY_JSON, api_admin_review_decide, 0 },
	{ "GET", "/admin/api/v1/support-requests", OPS, AUTH_OPERATOR, BODY_NONE, api_admin_support_list, 0 },
	{ "GET", "/admin/api/v1/dashboard", OPS, AUTH_OPERATOR, BODY_NONE, api_admin_dashboard, 0 },
	{ "GET", "/admin/api/v1/users", OPS, AUTH_OPERATOR, BODY_NONE, api_admin_users_list, 0 },
	{ "POST", "/admin/api/v1/users", OPS, AUTH_OPERATOR, BODY_JSON, api_admin_user_create, IDEM },
	{ "POST", "/admin/api/v1/users/{id}/suspend", OPS, AUTH_OPERATOR, BODY_NONE, api_admin_user_suspend, 0 },
	{ "POST", "/admin/api/v1/users/{id}/activate", OPS, AUTH_OPERATOR, BODY_NONE, api_admin_user_activate, 0 },
	{ "POST", "/admin/api/v1/users/{id}/reset-password-link", OPS, AUTH_OPERATOR, BODY_NONE, api_admin_user_reset_link, IDEM },
	{ "DELETE", "/admin/api/v1/users/{id}", OPS, AUTH_OPERATOR, BODY_NONE, api_admin_user_deactivate, 0 },
	/* operator admins: operators and the banner */
	{ "GET", "/admin/api/v1/operators", OPS, AUTH_OPERATOR_ADMIN, BODY_NONE, api_admin_operators_list, 0 },
	{ "POST", "/admin/api/v1/operators", OPS, AUTH_OPERATOR_ADMIN, BODY_JSON, api_admin_operator_create, IDEM },
	{ "DELETE", "/admin/api/v1/operators/{id}", OPS, AUTH_OPERATOR_ADMIN, BODY_NONE, api_admin_operator_delete, 0 },
	{ "PUT", "/admin/api/v1/banner", OPS, AUTH_OPERATOR_ADMIN, BODY_JSON, api_admin_banner_put, 0 },
	{ "GET", "/admin/api/v1/banner", OPS, AUTH_OPERATOR, BODY_NONE, api_admin_banner_get, 0 },
	/* audit trail */
	{ "GET", "/admin/api/v1/audit", OPS, AUTH_OPERATOR, BODY_NONE, api_admin_audit_list, 0 },
	{ "GET", "/admin/api/v1/audit/export", OPS, AUTH_OPERATOR, BODY_NONE, api_admin_audit_export, 0 },
};

#define NROUTES (sizeof(routes) / sizeof(routes[0]))

static char label_store[NROUTES][112];
static const char *labels[NROUTES];

const route *
api_routes(size_t *n)
{
	*n = NROUTES;
	return routes;
}

const char *const *
api_route_labels(void)
{
	size_t i;

	if (labels[0] == NULL)
		for (i = 0; i < NROUTES; i++) {
			if (snprintf(label_store[i], sizeof(label_store[i]), "%s %s", routes[i].method,
				     routes[i].pattern) < 0)
				label_store[i][0] = '\0';
			labels[i] = label_store[i];
		}
	return labels;
}
