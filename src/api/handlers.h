/*
 * Every HTTP handler, declared once: src/api/routes.c binds them to paths and
 * each handler file includes this header, so a signature that drifts from the
 * route table's type fails to compile.  Grouped as the route table is; the
 * comment names the route (docs/api.md describes each).  A handler fills resp
 * and ends its transaction with api_commit (or a rollback on an early exit).
 */
#ifndef ONRAMP_API_HANDLERS_H
#define ONRAMP_API_HANDLERS_H

#include "onramp/app.h"
#include "onramp/checklist.h"

/* ---- probes (probes.c) and browser reports (reports.c) ------------------------------ */

/** GET /healthz: a worker answers; no database touch. */
void api_healthz(app *a, http_request *req, http_response *resp);
/** GET /readyz: the database answers and the schema is current. */
void api_readyz(app *a, http_request *req, http_response *resp);
/** GET /metrics: Prometheus text. */
void api_metrics(app *a, http_request *req, http_response *resp);
/** POST .../csp-reports: log a browser's CSP report. */
void api_csp_report(app *a, http_request *req, http_response *resp);

/* ---- customer: session and passwords (session.c, resets.c, banner.c) ---------------- */

/** POST /api/v1/session: password sign-in. */
void api_session_create(app *a, http_request *req, http_response *resp);
/** GET /api/v1/session: the signed-in user and CSRF token. */
void api_session_get(app *a, http_request *req, http_response *resp);
/** DELETE /api/v1/session: sign out. */
void api_session_delete(app *a, http_request *req, http_response *resp);
/** POST /api/v1/password: change the caller's password. */
void api_password_change(app *a, http_request *req, http_response *resp);
/** POST /api/v1/password-resets: queue a forgot-password mail (202 always). */
void api_reset_request(app *a, http_request *req, http_response *resp);
/** POST /api/v1/password-resets/redeem: a reset with the token in the body. */
void api_reset_redeem(app *a, http_request *req, http_response *resp);
/** POST /api/v1/password-resets/{token}: set a new password with a reset token. */
void api_reset_complete(app *a, http_request *req, http_response *resp);
/** GET /api/v1/banner: the active banner, if any. */
void api_banner_get(app *a, http_request *req, http_response *resp);

/* ---- customer: account setup (account.c, checklist.c, sso*.c, workspaces.c, support_requests.c) */

/** GET /api/v1/account: the customer-owned details. */
void api_account_get(app *a, http_request *req, http_response *resp);
/** PATCH /api/v1/account: change the details (version checked). */
void api_account_patch(app *a, http_request *req, http_response *resp);
/** GET /api/v1/checklist: item states, done-when, ready. */
void api_checklist_get(app *a, http_request *req, http_response *resp);
/** GET /api/v1/sso: the SSO draft. */
void api_sso_get(app *a, http_request *req, http_response *resp);
/** PUT /api/v1/sso: replace the SSO draft (version checked). */
void api_sso_put(app *a, http_request *req, http_response *resp);
/** POST /api/v1/sso/validate: queue a validation job (202). */
void api_sso_validate(app *a, http_request *req, http_response *resp);
/** GET /api/v1/sso/validations/{id}: a validation job's progress and report. */
void api_sso_validation_get(app *a, http_request *req, http_response *resp);
/** POST /api/v1/sso/submit: send the validated draft to review. */
void api_sso_submit(app *a, http_request *req, http_response *resp);
/** POST /api/v1/sso/tests: start a test sign-in of the validated draft (201 {id, redirect_url}). */
void api_sso_test_create(app *a, http_request *req, http_response *resp);
/** GET /api/v1/sso/tests/{id}: a test sign-in's state and result. */
void api_sso_test_get(app *a, http_request *req, http_response *resp);
/** POST /api/v1/sso/start: the IdP URL for an email whose domain has live SSO (anyone). */
void api_sso_start(app *a, http_request *req, http_response *resp);
/** GET /api/v1/sso/oidc/callback/{slug}: the IdP's answer; a session and 303, a test result, or a page. */
void api_sso_oidc_callback(app *a, http_request *req, http_response *resp);
/** GET /api/v1/sso/saml/{slug}/metadata: the customer's SP metadata (anyone; sso_saml_sp.c). */
void api_sso_saml_metadata(app *a, http_request *req, http_response *resp);
/** GET /api/v1/sso/saml/{slug}/post?RelayState=: the page that posts the AuthnRequest to the IdP (sso_saml_sp.c). */
void api_sso_saml_post(app *a, http_request *req, http_response *resp);
/** POST /api/v1/sso/saml/{slug}/acs: the IdP's SAML response (form) comes back (sso_acs.c). */
void api_sso_saml_acs(app *a, http_request *req, http_response *resp);
/** POST /api/v1/sso/setup-links: mail an IT-admin setup link (201, never the token). */
void api_sso_setup_link_create(app *a, http_request *req, http_response *resp);
/** GET /api/v1/sso/setup-links: the customer's setup links with their state. */
void api_sso_setup_links_list(app *a, http_request *req, http_response *resp);
/** DELETE /api/v1/sso/setup-links/{id}: revoke a setup link and end its sessions. */
void api_sso_setup_link_revoke(app *a, http_request *req, http_response *resp);
/** POST /api/v1/sso/setup-sessions: redeem a setup link's token for a setup-link session. */
void api_sso_setup_session_create(app *a, http_request *req, http_response *resp);
/** GET /api/v1/sso/setup-session: the setup-link session, its customer and CSRF token. */
void api_sso_setup_session_get(app *a, http_request *req, http_response *resp);
/** DELETE /api/v1/sso/setup-session: end the setup-link session. */
void api_sso_setup_session_delete(app *a, http_request *req, http_response *resp);
/** PUT /api/v1/sso/secret: seal and store the OIDC client secret (204; write-only). */
void api_sso_secret_put(app *a, http_request *req, http_response *resp);
/** DELETE /api/v1/sso/secret: remove the client secret (204, also when none was set). */
void api_sso_secret_delete(app *a, http_request *req, http_response *resp);
/** GET /api/v1/sso/sp: the URLs to register at the IdP (sso_sp.c). */
void api_sso_sp_get(app *a, http_request *req, http_response *resp);
/** PUT /api/v1/sso/require: the require-SSO setting (sso_require.c). */
void api_sso_require_put(app *a, http_request *req, http_response *resp);
/** POST /api/v1/workspaces: "Create", or 409 setup_blocked with the gates. */
void api_workspace_create(app *a, http_request *req, http_response *resp);
/** GET /api/v1/workspaces: the customer's workspace requests. */
void api_workspaces_list(app *a, http_request *req, http_response *resp);
/** POST /api/v1/support-requests: compose and store a support request. */
void api_support_create(app *a, http_request *req, http_response *resp);

/* ---- customer: members and user management (members.c, users.c) -------------------- */

/** GET /api/v1/members: users and invites of the customer, seats. */
void api_members_list(app *a, http_request *req, http_response *resp);
/** POST /api/v1/users/{id}/suspend. */
void api_user_suspend(app *a, http_request *req, http_response *resp);
/** POST /api/v1/users/{id}/activate. */
void api_user_activate(app *a, http_request *req, http_response *resp);
/** POST /api/v1/users/{id}/reset-password: a temporary password, shown once. */
void api_user_reset_password(app *a, http_request *req, http_response *resp);
/** PATCH /api/v1/users/{id}: change the role. */
void api_user_patch(app *a, http_request *req, http_response *resp);

/* ---- customer: invites (invites.c) and accepting them (invite_links.c) -------------- */

/** POST /api/v1/invites: invite an email with a role (201). */
void api_invite_create(app *a, http_request *req, http_response *resp);
/** POST /api/v1/invites/{id}/resend: new token, the old link stops working. */
void api_invite_resend(app *a, http_request *req, http_response *resp);
/** DELETE /api/v1/invites/{id}: revoke. */
void api_invite_revoke(app *a, http_request *req, http_response *resp);
/** POST /api/v1/invite-lookups: what a link holder's token invites to. */
void api_invite_lookup(app *a, http_request *req, http_response *resp);
/** POST /api/v1/invite-acceptances: accept with a new account or the signed-in one. */
void api_invite_accept(app *a, http_request *req, http_response *resp);
/** POST /api/v1/test/sso-admissions (test_mode only, else 404): sso_admit on a given config and identity. */
void api_test_sso_admit(app *a, http_request *req, http_response *resp);
/** POST /api/v1/test/leaks (test_leak_route only, else 404): allocates memory and loses it. */
void api_test_leak(app *a, http_request *req, http_response *resp);

/* ---- operator: session, TOTP, password (admin_session.c) ---------------------------- */

/** POST /admin/api/v1/session: sign-in with TOTP once enrolled. */
void api_admin_session_create(app *a, http_request *req, http_response *resp);
/** GET /admin/api/v1/session: the signed-in operator and CSRF token. */
void api_admin_session_get(app *a, http_request *req, http_response *resp);
/** DELETE /admin/api/v1/session: sign out. */
void api_admin_session_delete(app *a, http_request *req, http_response *resp);
/** POST /admin/api/v1/totp: start TOTP enrollment (URI and QR shown once). */
void api_admin_totp_start(app *a, http_request *req, http_response *resp);
/** POST /admin/api/v1/totp/confirm: confirm the enrollment with a code. */
void api_admin_totp_confirm(app *a, http_request *req, http_response *resp);
/** POST /admin/api/v1/password: change the operator's password. */
void api_admin_password_change(app *a, http_request *req, http_response *resp);

/* ---- operator: customers (admin_customers.c) and users (admin_users.c) ---------------- */

/** The drill-down filters of GET /customers: the dashboard's facets (-1 = any). */
typedef struct drilldown {
	bool any;			/* some filter below is set */
	int item, state;		/* checklist item in this state */
	int ready, over_seat_limit, review_waiting;	/* 0 or 1 */
	int blocked;			/* blocked in this category */
} drilldown;

/** Read item=&state=, ready=, over_seat_limit=, review_waiting=, blocked_category=; false after a 400. */
bool api_drilldown_read(http_request *req, http_response *resp, drilldown *d);
/** True when the customer passes every filter set in d, by the dashboard's rules. */
bool api_drilldown_match(const drilldown *d, const checklist *c, const checklist_facts *f);
/** GET /admin/api/v1/customers: list and search. */
void api_admin_customers_list(app *a, http_request *req, http_response *resp);
/** POST /admin/api/v1/customers: a customer and its first admin invite. */
void api_admin_customer_create(app *a, http_request *req, http_response *resp);
/** GET /admin/api/v1/customers/{id}: details, operator context and notes. */
void api_admin_customer_get(app *a, http_request *req, http_response *resp);
/** PATCH /admin/api/v1/customers/{id}: rename, seat limit (version checked). */
void api_admin_customer_patch(app *a, http_request *req, http_response *resp);
/** POST /admin/api/v1/customers/{id}/admin-invite: a new admin signup link. */
void api_admin_customer_admin_invite(app *a, http_request *req, http_response *resp);
/** GET /admin/api/v1/users: every user, filter language. */
void api_admin_users_list(app *a, http_request *req, http_response *resp);
/** POST /admin/api/v1/users: create a user in a customer. */
void api_admin_user_create(app *a, http_request *req, http_response *resp);
/** POST /admin/api/v1/users/{id}/suspend. */
void api_admin_user_suspend(app *a, http_request *req, http_response *resp);
/** POST /admin/api/v1/users/{id}/activate. */
void api_admin_user_activate(app *a, http_request *req, http_response *resp);
/** POST /admin/api/v1/users/{id}/reset-password-link: a reset link, shown once. */
void api_admin_user_reset_link(app *a, http_request *req, http_response *resp);
/** DELETE /admin/api/v1/users/{id}: deactivate. */
void api_admin_user_deactivate(app *a, http_request *req, http_response *resp);

/* ---- operator: account setup (admin_customer_setup.c), reviews (admin_reviews.c),
 *      support requests (admin_support_requests.c), dashboard (admin_dashboard.c) */

/** PUT /admin/api/v1/customers/{id}/internal-notes. */
void api_admin_notes_put(app *a, http_request *req, http_response *resp);
/** PUT /admin/api/v1/customers/{id}/billing. */
void api_admin_billing_put(app *a, http_request *req, http_response *resp);
/** PUT /admin/api/v1/customers/{id}/workspace-target. */
void api_admin_target_put(app *a, http_request *req, http_response *resp);
/** PUT /admin/api/v1/customers/{id}/provider-setup. */
void api_admin_provider_put(app *a, http_request *req, http_response *resp);
/** PUT /admin/api/v1/customers/{id}/blockers. */
void api_admin_blockers_put(app *a, http_request *req, http_response *resp);
/** POST /admin/api/v1/customers/{id}/sso/activation: make the approved SSO version live (admin_sso_activation.c). */
void api_admin_sso_activate(app *a, http_request *req, http_response *resp);
/** DELETE /admin/api/v1/customers/{id}/sso/activation: turn SSO sign-in off. */
void api_admin_sso_deactivate(app *a, http_request *req, http_response *resp);
/** GET /admin/api/v1/reviews: the review queue. */
void api_admin_reviews_list(app *a, http_request *req, http_response *resp);
/** POST /admin/api/v1/reviews/{id}/decision: approve, reject or request changes. */
void api_admin_review_decide(app *a, http_request *req, http_response *resp);
/** GET /admin/api/v1/support-requests. */
void api_admin_support_list(app *a, http_request *req, http_response *resp);
/** GET /admin/api/v1/dashboard: readiness counts over every customer. */
void api_admin_dashboard(app *a, http_request *req, http_response *resp);

/* ---- operator admins: operators and the banner (admin_operators.c, banner.c) -------- */

/** GET /admin/api/v1/operators. */
void api_admin_operators_list(app *a, http_request *req, http_response *resp);
/** POST /admin/api/v1/operators: add an operator. */
void api_admin_operator_create(app *a, http_request *req, http_response *resp);
/** DELETE /admin/api/v1/operators/{id}: remove (last-admin rule). */
void api_admin_operator_delete(app *a, http_request *req, http_response *resp);
/** PUT /admin/api/v1/banner: set or clear the banner. */
void api_admin_banner_put(app *a, http_request *req, http_response *resp);
/** GET /admin/api/v1/banner: the banner, active or not. */
void api_admin_banner_get(app *a, http_request *req, http_response *resp);

/* ---- audit trail (admin_audit.c) --------------------------------------------------- */

/** GET /admin/api/v1/audit: the audit trail, newest first. */
void api_admin_audit_list(app *a, http_request *req, http_response *resp);
/** GET /admin/api/v1/audit/export: the same entries as CSV or JSON lines, bounded. */
void api_admin_audit_export(app *a, http_request *req, http_response *resp);

#endif
