/*
 * The auth step of the pipeline and session lifecycle.  A session cookie
 * holds a 256-bit random token; the database holds only its SHA-256.  The
 * customer and operator realms use different cookies (the operator one is
 * scoped to /admin/) and different session rows, so neither can stand in for
 * the other.  Every state change must carry the session's CSRF token.
 * A third realm, sso_setup, is the session of an IT-admin setup link: its
 * cookie is scoped to /api/v1/sso, its principal is the link (checked live at
 * every request), and only AUTH_SSO_EDITOR and AUTH_SSO_SETUP routes look at it.
 */
#include <stdio.h>
#include <string.h>
#include <openssl/crypto.h>

#include "onramp/api.h"
#include "onramp/log.h"
#include "onramp/store_operator.h"

/* last_seen_at and last_used_at are written at most this often per session. */
#define TOUCH_EVERY_S 60

principal *
api_principal(http_request *req)
{
	return req->principal;
}

int64_t
api_customer_id(http_request *req)
{
	principal *p = api_principal(req);

	return p->realm == REALM_SSO_SETUP ? p->link.customer_id : p->user.customer_id;
}

const char *
api_actor_label(http_request *req)
{
	principal *p = api_principal(req);
	char buf[IDENTITY_EMAIL_MAX + 16];

	if (p == NULL)
		return "anonymous request";
	if (p->realm == REALM_OPERATOR)
		return p->op.username;
	if (p->realm == REALM_CUSTOMER)
		return p->user.username;
	if (snprintf(buf, sizeof(buf), API_SETUP_LINK_LABEL "%s", p->link.email ? p->link.email : "") < 0)
		return "setup link";
	return arena_strdup(req->arena, buf);
}

int64_t
api_now(const http_request *req)
{
	return req->now_us / 1000000;
}

const char *
auth_cookie_value(http_request *req, const char *name)
{
	const char *p = req->cookie_header;
	size_t nlen = strlen(name);

	if (strlen(p) > LIMIT_COOKIE_HEADER)
		return NULL;
	while (*p) {
		const char *end;
		while (*p == ' ' || *p == ';')
			p++;
		end = strchr(p, ';');
		if (end == NULL)
			end = p + strlen(p);
		if ((size_t)(end - p) > nlen && strncmp(p, name, nlen) == 0 && p[nlen] == '=')
			return arena_strndup(req->arena, p + nlen + 1, (size_t)(end - p - (ptrdiff_t)nlen - 1));
		p = end;
	}
	return NULL;
}

static const char *
cookie_name(const app *a, session_realm realm)
{
	if (realm == REALM_SSO_SETUP)
		return a->cfg->cookie_name_sso_setup;
	return realm == REALM_OPERATOR ? a->cfg->cookie_name_operator : a->cfg->cookie_name_customer;
}

/* The operator cookie never reaches the public API, a setup link's never leaves the SSO endpoints. */
static const char *
cookie_path(session_realm realm)
{
	if (realm == REALM_SSO_SETUP)
		return "/api/v1/sso";
	return realm == REALM_OPERATOR ? "/admin/" : "/";
}

static bool
cookie_secure(const app *a, const http_request *req)
{
	return a->cfg->cookie_secure == COOKIE_SECURE_ON ||
	       (a->cfg->cookie_secure == COOKIE_SECURE_AUTO && req->tls);
}

or_status
auth_cookie_set_samesite(app *a, http_request *req, http_response *resp, const char *name, const char *value,
			 const char *path, long max_age, const char *samesite)
{
	bool none = strcmp(samesite, "None") == 0;
	char buf[512];
	int n = snprintf(buf, sizeof(buf), "%s=%s; Path=%s; Max-Age=%ld; HttpOnly; SameSite=%s%s", name, value, path,
			 max_age, none ? "None" : "Lax", none || cookie_secure(a, req) ? "; Secure" : "");
	or_status st;

	if (n < 0 || (size_t)n >= sizeof(buf))
		st = OR_ERR_LIMIT;
	else
		st = http_header_add(req, resp, "Set-Cookie", buf);
	/* Cookies carry tokens: leave no copy on the stack. */
	OPENSSL_cleanse(buf, sizeof(buf));
	return st;
}

or_status
auth_cookie_set(app *a, http_request *req, http_response *resp, const char *name, const char *value,
		const char *path, long max_age)
{
	return auth_cookie_set_samesite(a, req, resp, name, value, path, max_age, "Lax");
}

static or_status
set_cookie(app *a, http_request *req, http_response *resp, session_realm realm, const char *value,
	   long max_age)
{
	return auth_cookie_set(a, req, resp, cookie_name(a, realm), value, cookie_path(realm), max_age);
}

or_status
auth_session_start(app *a, http_request *req, http_response *resp, session_realm realm,
		   int64_t principal_id, const char *login_type, char csrf[SECRET_TOKEN_LEN + 1])
{
	char token[SECRET_TOKEN_LEN + 1], hash[SECRET_HASH_HEX + 1];
	int64_t now = api_now(req);
	or_status st;

	if ((st = secret_token_new(token)) != OR_OK || (st = secret_token_new(csrf)) != OR_OK)
		return st;
	secret_sha256_hex(token, SECRET_TOKEN_LEN, hash);
	st = store_session_create(a->db, realm, principal_id, hash, csrf, login_type, now,
				  now + a->cfg->session_absolute_timeout_s, req->remote_addr);
	if (st == OR_OK)
		st = set_cookie(a, req, resp, realm, token, a->cfg->session_absolute_timeout_s);
	return st;
}

or_status
auth_session_end(app *a, http_request *req, http_response *resp, session_realm realm)
{
	principal *p = api_principal(req);
	or_status st = OR_OK;

	if (p)
		st = store_session_delete(a->db, p->sess.id_hash);
	if (st == OR_OK)
		st = set_cookie(a, req, resp, realm, "", 0);
	return st;
}

const char *
auth_account_state(session_realm realm, const principal *p)
{
	if (realm == REALM_CUSTOMER && p->user.id)
		return p->user.deactivated_at ? "deactivated" : p->user.suspended ? "suspended" : NULL;
	if (realm == REALM_OPERATOR && p->op.id && p->op.deactivated_at)
		return "deactivated";
	return NULL;
}

/* "Contact your organisation's admin (Name, email)": the first active admin, or none named. */
static const char *
account_state_message(http_request *req, session_realm realm, const char *state, const admin_contact *c)
{
	bool removed = strcmp(state, "deactivated") == 0;
	char who[IDENTITY_EMAIL_MAX + 240], buf[sizeof(who) + 160];

	if (realm == REALM_OPERATOR)
		return "Your operator account has been removed. Ask an operator admin if you need it back.";
	if (c == NULL || snprintf(who, sizeof(who), " (%.200s, %s)", c->name, c->email) < 0)
		who[0] = '\0';
	if (snprintf(buf, sizeof(buf), "%s Contact your organisation's admin%s %s.",
		     removed ? "Your account has been removed." : "Your account is suspended.", who,
		     removed ? "if you need it back" : "to be reactivated") < 0)
		return removed ? "Your account has been removed." : "Your account is suspended.";
	return arena_strdup(req->arena, buf);
}

json_object *
api_contact_json(const admin_contact *c)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "name", json_object_new_string(c->name));
	json_object_object_add(o, "email", json_object_new_string(c->email));
	return o;
}

void
auth_account_state_error(app *a, http_request *req, http_response *resp, session_realm realm, int64_t customer_id,
			 const char *state)
{
	admin_contact c[LIMIT_ACCOUNT_CONTACTS];
	json_object *admins = json_object_new_array();
	size_t n = 0, i;

	if (realm == REALM_CUSTOMER &&
	    store_admin_contacts(a->db, req->arena, customer_id, NULL, LIMIT_ACCOUNT_CONTACTS, c, &n) != OR_OK) {
		log_event(LOG_WARN, "account_contacts_failed", "%s", db_last_error(a->db));
		n = 0;
	}
	http_error(resp, 401, "unauthenticated", account_state_message(req, realm, state, n ? &c[0] : NULL));
	resp->error_members = json_object_new_object();
	json_object_object_add(resp->error_members, "account_status", json_object_new_string(state));
	for (i = 0; i < n; i++)
		json_object_array_add(admins, api_contact_json(&c[i]));
	if (realm == REALM_CUSTOMER)
		json_object_object_add(resp->error_members, "admins", admins);
	else
		json_object_put(admins);
}

/* Load the principal behind a live session; OR_ERR_NOT_FOUND when there is none. */
static or_status
load_principal(app *a, http_request *req, session_realm realm, principal *p)
{
	const char *token = auth_cookie_value(req, cookie_name(a, realm));
	char hash[SECRET_HASH_HEX + 1];
	int64_t now = api_now(req);
	or_status st;

	if (token == NULL || !secret_token_shape_ok(token))
		return OR_ERR_NOT_FOUND;
	secret_sha256_hex(token, strlen(token), hash);
	/* A setup link's session is found with its link, so revoking or expiry ends it at once. */
	if (realm == REALM_SSO_SETUP)
		st = store_sso_setup_session_find(a->db, req->arena, hash, now, a->cfg->session_idle_timeout_s,
						  &p->sess, &p->link);
	/* The session and its principal come in one statement: one round trip on every request. */
	else if (realm == REALM_CUSTOMER)
		st = store_user_by_session(a->db, req->arena, hash, now, a->cfg->session_idle_timeout_s, &p->sess,
					   &p->user);
	else
		st = store_operator_by_session(a->db, req->arena, hash, now, a->cfg->session_idle_timeout_s, &p->sess,
					       &p->op);
	/* A session ended by a suspension or removal stays ended, even once the account is active again. */
	if (st == OR_OK && (p->sess.ended_reason[0] || auth_account_state(realm, p)))
		st = OR_ERR_NOT_FOUND;
	if (st != OR_OK)
		return st;
	p->realm = realm;
	if (now - p->sess.last_used_at >= TOUCH_EVERY_S) {
		st = store_session_touch(a->db, hash, now);
		if (st == OR_OK && realm != REALM_SSO_SETUP)
			st = realm == REALM_CUSTOMER ? store_user_touch(a->db, p->user.id, now)
						     : store_operator_touch(a->db, p->op.id, now);
		if (realm == REALM_CUSTOMER)
			p->user.last_seen_at = now;
	}
	return st;
}

static bool
is_state_change(const char *method)
{
	return strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0;
}

/* One answer for a missing or wrong CSRF token, naming where this session's token comes from. */
static void
csrf_failed(const principal *p, http_response *resp)
{
	http_error(resp, 403, "csrf_failed", p->realm == REALM_SSO_SETUP
		   ? "This change needs the X-CSRF-Token header from GET /api/v1/sso/setup-session. Reload the page and try again."
		   : "This change needs the X-CSRF-Token header from GET /session. Reload the page and try again.");
}

static bool
csrf_ok(const principal *p, const http_request *req)
{
	size_t n = strlen(p->sess.csrf_token);

	return n == SECRET_TOKEN_LEN && strlen(req->csrf_header) == n &&
	       secret_equal(p->sess.csrf_token, req->csrf_header, n);
}

static bool
role_ok(const route *r, const principal *p, const char *method)
{
	switch (r->auth) {
	case AUTH_NONE:
		return true;
	case AUTH_CUSTOMER:
		return true;
	case AUTH_CUSTOMER_ADMIN:
		return p->user.role == ROLE_CUSTOMER_ADMIN;
	case AUTH_SSO_EDITOR:
		return p->realm == REALM_SSO_SETUP || p->user.role == ROLE_CUSTOMER_ADMIN;
	case AUTH_SSO_SETUP:
		return p->realm == REALM_SSO_SETUP;
	case AUTH_OPERATOR:
		/* Auditors read everything and change nothing but their own session. */
		return p->op.role != OPROLE_AUDITOR || !is_state_change(method) ||
		       (r->flags & ROUTE_ALLOWED_BEFORE_PASSWORD_CHANGE);
	case AUTH_OPERATOR_ADMIN:
		return p->op.role == OPROLE_ADMIN;
	}
	return false;
}

/*
 * The realm whose session a route needs; *fallback: a setup-link session
 * stands in when there is no customer session.  A browser may hold both (an
 * admin who opened a link): the setup page sends X-Onramp-Realm: sso_setup,
 * so each page acts with its own session and CSRF token.
 */
static session_realm
route_realm(const route *r, const http_request *req, bool *fallback)
{
	*fallback = false;
	switch (r->auth) {
	case AUTH_OPERATOR:
	case AUTH_OPERATOR_ADMIN:
		return REALM_OPERATOR;
	case AUTH_SSO_SETUP:
		return REALM_SSO_SETUP;
	case AUTH_SSO_EDITOR:
		if (strcmp(req->realm_header, "sso_setup") == 0)
			return REALM_SSO_SETUP;
		*fallback = true;
		return REALM_CUSTOMER;
	default:
		return REALM_CUSTOMER;
	}
}

bool
auth_require(app *a, const route *r, http_request *req, http_response *resp)
{
	bool fallback, must_change = false;
	session_realm realm = route_realm(r, req, &fallback), srealm;
	principal *p = arena_calloc(req->arena, 1, sizeof(*p));
	const char *state;
	int64_t cid;
	or_status st;

	if (p == NULL) {
		app_fail(a, req, resp, OR_ERR_NOMEM, "principal");
		return false;
	}
	st = load_principal(a, req, realm, p);
	/* Why a session found no longer counts, before the fallback forgets whose it was. */
	state = st == OR_ERR_NOT_FOUND ? auth_account_state(realm, p) : NULL;
	cid = p->user.customer_id;
	srealm = realm;
	if (st == OR_ERR_NOT_FOUND && fallback) {
		memset(p, 0, sizeof(*p));
		realm = REALM_SSO_SETUP;
		st = load_principal(a, req, realm, p);
	}
	if (st == OR_ERR_NOT_FOUND && state) {
		auth_account_state_error(a, req, resp, srealm, cid, state);
		return false;
	}
	if (st == OR_ERR_NOT_FOUND) {
		http_error(resp, 401, "unauthenticated", "Sign in to continue.");
		return false;
	}
	if (st != OR_OK) {
		api_fail_db(a, req, resp, st);
		return false;
	}
	req->principal = p;
	if (is_state_change(req->method) && !csrf_ok(p, req)) {
		csrf_failed(p, resp);
		return false;
	}
	if (!role_ok(r, p, req->method)) {
		http_error(resp, 403, "forbidden", "Your role does not allow this.");
		return false;
	}
	/* Two-factor sign-in is mandatory for operators: a password alone only reaches enrollment. */
	if (realm == REALM_OPERATOR && !p->op.totp_enabled && !(r->flags & ROUTE_ALLOWED_BEFORE_TOTP_ENROLLMENT)) {
		http_error(resp, 403, "totp_enrollment_required",
			   "Set up two-factor sign-in first (POST /totp, then POST /totp/confirm with a code).");
		return false;
	}
	if (realm != REALM_SSO_SETUP)
		must_change = realm == REALM_CUSTOMER ? p->user.must_change_password : p->op.must_change_password;
	if (must_change && !(r->flags & ROUTE_ALLOWED_BEFORE_PASSWORD_CHANGE)) {
		http_error(resp, 403, "password_change_required",
			   "Choose a new password first (POST /password).");
		return false;
	}
	return true;
}

bool
auth_session_optional(app *a, http_request *req, http_response *resp, principal **out)
{
	principal *p = arena_calloc(req->arena, 1, sizeof(*p));
	or_status st = p ? load_principal(a, req, REALM_CUSTOMER, p) : OR_ERR_NOMEM;

	*out = NULL;
	if (st == OR_ERR_NOT_FOUND)
		return true;
	if (st != OR_OK) {
		api_fail_db(a, req, resp, st);
		return false;
	}
	if (is_state_change(req->method) && !csrf_ok(p, req)) {
		csrf_failed(p, resp);
		return false;
	}
	req->principal = p;
	*out = p;
	return true;
}

void
auth_throttle_key(const char *kind, const char *value, char out[SECRET_HASH_HEX + 1])
{
	char buf[512];
	int n = snprintf(buf, sizeof(buf), "%s:%s", kind, value);

	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof(buf))
		n = sizeof(buf) - 1;
	secret_sha256_hex(buf, (size_t)n, out);
}

bool
auth_throttle_check(app *a, http_request *req, http_response *resp, const char *const *keys, size_t n,
		    const char *message)
{
	int64_t now = api_now(req), until = 0, t;
	char ra[24];
	size_t i;

	for (i = 0; i < n; i++) {
		or_status st = keys[i] ? store_throttle_check(a->db, keys[i], now, &t) : OR_OK;
		if (st != OR_OK) {
			api_fail_db(a, req, resp, st);
			return false;
		}
		if (keys[i] && t > until)
			until = t;
	}
	if (until == 0)
		return true;
	http_error(resp, 429, "rate_limited", message);
	if (snprintf(ra, sizeof(ra), "%lld", (long long)(until - now > 0 ? until - now : 1)) > 0)
		(void)http_header_add(req, resp, "Retry-After", ra);
	return false;
}

bool
auth_throttle_ok(app *a, http_request *req, http_response *resp, const char *acct_key, const char *addr_key)
{
	const char *keys[] = { acct_key, addr_key };

	return auth_throttle_check(a, req, resp, keys, 2, "Too many failed sign-in attempts. Try again later.");
}

void
auth_throttle_count(app *a, http_request *req, const char *key, long max)
{
	int64_t until;

	/* One INSERT ... ON DUPLICATE KEY UPDATE: atomic across workers, no read-then-write. */
	if (store_throttle_fail(a->db, key, api_now(req), a->cfg->login_window_s, max, &until) != OR_OK)
		log_event(LOG_WARN, "throttle_write_failed", "%s", db_last_error(a->db));
}

void
auth_throttle_fail(app *a, http_request *req, const char *acct_key, const char *addr_key)
{
	auth_throttle_count(a, req, acct_key, a->cfg->login_max_failures_account);
	auth_throttle_count(a, req, addr_key, a->cfg->login_max_failures_addr);
}
