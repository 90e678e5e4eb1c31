/*
 * Signing in, written once for both realms.  A realm descriptor says what
 * differs between customers and operators (session realm and cookie, how a
 * login is looked up, whether TOTP applies, audit names, the answer's body);
 * the flow, its throttles, session creation and password change live in
 * src/api/signin.c, and the handlers in src/api/session.c and
 * src/api/admin_session.c are thin wrappers around it.
 */
#ifndef ONRAMP_SIGNIN_H
#define ONRAMP_SIGNIN_H

#include <stdbool.h>
#include <stdint.h>

#include "onramp/api.h"

/** What a realm's lookup found for a login. */
typedef struct signin_account {
	principal p;			/* realm plus user or operator, as the auth step loads them */
	int64_t id;
	int64_t customer_id;		/* 0 for operators */
	const char *hash;		/* PHC string; NULL when the account has no password */
	const char *totp_sealed;	/* sealed TOTP secret; NULL when not enrolled */
	int64_t totp_last_step;
	const char *state;		/* NULL, or suspended, deactivated: cannot sign in (auth_account_state) */
} signin_account;

/** What differs between the realms. */
typedef struct signin_realm {
	session_realm realm;
	const char *name;		/* "customer", "operator": throttle keys, the TOTP seal's AAD */
	const char *login_field;	/* the body member holding the login (username or email) */
	const char *const *fields;	/* every body member POST /session accepts, NULL-terminated */
	const char *object_type;	/* audit object: "user", "operator" */
	const char *action_sign_in;
	const char *action_password_change;
	/** Find an account by normalised login; OR_ERR_NOT_FOUND when there is none. */
	or_status (*lookup)(db *d, arena *ar, const char *login, signin_account *out);
	/** Store a new password hash. */
	or_status (*set_password)(db *d, int64_t id, const char *phc, bool must_change);
	/** In the sign-in transaction, after the session row: record that the account was seen. */
	or_status (*signed_in)(app *a, http_request *req, signin_account *acc);
	/** In the password-change transaction: what else the realm revokes (NULL: nothing). */
	or_status (*password_changed)(app *a, http_request *req, int64_t id);
	/**
	 * Take a TOTP step with a compare-and-set: OR_ERR_CONFLICT when this or a
	 * later step was taken already.  NULL: TOTP does not apply to the realm.
	 */
	or_status (*take_totp_step)(db *d, int64_t id, int64_t step);
	/**
	 * After the password was verified (so a refusal tells nothing to someone
	 * without it): true with resp set when this account may not sign in with
	 * a password (customers: SSO is required).  NULL: never.
	 */
	bool (*refused)(app *a, http_request *req, http_response *resp, const signin_account *acc);
	/** The answer of POST and GET /session. */
	json_object *(*body)(const principal *p, int64_t now, const char *csrf);
} signin_realm;

/**
 * POST /session: throttled per typed login, per client address and per
 * account; one 401 for every failure (a login that is no username or email
 * never reaches the lookup), except that after the right password a
 * suspended or removed account is told so (auth_account_state_error, still
 * 401 and still counted); a code once TOTP is enrolled; a session.
 */
void signin_create(const signin_realm *r, app *a, http_request *req, http_response *resp);
/** GET /session of the realm: the signed-in principal and its CSRF token. */
void signin_session_get(const signin_realm *r, app *a, http_request *req, http_response *resp);
/** DELETE /session of the realm: end the session and clear the cookie (204). */
void signin_session_delete(const signin_realm *r, app *a, http_request *req, http_response *resp);
/**
 * POST /password: wrong current passwords are counted per account and lock
 * the change (429) like sign-in failures; then the new password, every
 * other session ended and this one rotated.
 */
void signin_password_change(const signin_realm *r, app *a, http_request *req, http_response *resp);
/** The associated data a realm's TOTP secret of account id is sealed with. */
void signin_totp_aad(const signin_realm *r, int64_t id, char *out, size_t outsz);

#endif
