/*
 * Shared by the handlers in src/api/: who is calling (the principal the auth
 * step resolved), reading typed fields out of a JSON body against an
 * allowlist, turning users and operators into JSON, sessions and cookies, and
 * writing audit rows.  The handlers themselves are declared in
 * src/api/handlers.h.  Only the store functions a customer handler may call
 * are reachable from here; operator handlers include api_operator.h.
 */
#ifndef ONRAMP_API_H
#define ONRAMP_API_H

#include <stdbool.h>
#include <stdint.h>
#include <json-c/json.h>

#include "onramp/app.h"
#include "onramp/checklist.h"
#include "onramp/filter.h"
#include "onramp/identity.h"
#include "onramp/invite_store.h"
#include "onramp/setup_store.h"
#include "onramp/sso_signin_store.h"
#include "onramp/sso_setup_store.h"
#include "onramp/sso_store.h"
#include "onramp/sso_rules.h"
#include "onramp/sso_config.h"
#include "onramp/store.h"

/** Who is calling: set by the auth step for routes with an auth level. */
typedef struct principal {
	session_realm realm;
	session sess;
	user user;			/* REALM_CUSTOMER */
	operator_account op;		/* REALM_OPERATOR */
	sso_setup_link link;		/* REALM_SSO_SETUP: the setup link the session was opened with */
} principal;

/** The caller of a route that required a session (never NULL there). */
principal *api_principal(http_request *req);
/**
 * The customer a customer-side route acts on: the signed-in user's customer
 * (SSO routes: also a setup-link holder's one customer).  Handlers take the
 * tenant from here, never from the request.
 */
int64_t api_customer_id(http_request *req);
/**
 * Who is acting, as the audit trail and "set by" fields name them: the
 * username, or "setup link: <email>" for a setup-link holder (arena).
 */
const char *api_actor_label(http_request *req);
/** How api_actor_label's name for a setup-link holder starts (a test sign-in returns to the holder's page). */
#define API_SETUP_LINK_LABEL "setup link: "

/* ---- the auth step (src/api/auth.c) ---------------------------------------------- */

/**
 * Resolve and check the session a route needs: 401 without a live session of
 * the route's realm, 403 csrf_failed on a state change without the session's
 * token, 403 forbidden for the wrong role (auditors are read-only), 403
 * password_change_required while a password change is pending.  Returns
 * false with resp set when the request must stop.
 */
bool auth_require(app *a, const route *r, http_request *req, http_response *resp);
/** Why an account may not act: "suspended", "deactivated", or NULL when it may (or p holds none). */
const char *auth_account_state(session_realm realm, const principal *p);
/** {name, email} of a customer admin to contact (error.admins, error.inviter, a member's checklist admins). */
json_object *api_contact_json(const admin_contact *c);
/**
 * The one answer for an account that is suspended or removed, at sign-in
 * (after the right password) and for a session that such a change ended:
 * 401 unauthenticated with error.account_status (state) and, for customers,
 * error.admins [{name, email}] to contact, named in the message too.
 */
void auth_account_state_error(app *a, http_request *req, http_response *resp, session_realm realm, int64_t customer_id,
			      const char *state);
/**
 * For routes open to anyone that act on a session when there is one: *out is
 * the customer principal or NULL.  A live session still needs the CSRF token
 * on a state change (403 csrf_failed).  False with resp set on failure.
 */
bool auth_session_optional(app *a, http_request *req, http_response *resp, principal **out);
/**
 * Start a session: new token, row, cookie; csrf gets the CSRF token.
 * login_type says how the principal proved who it is: "password", "oidc", "saml".
 */
or_status auth_session_start(app *a, http_request *req, http_response *resp, session_realm realm,
			     int64_t principal_id, const char *login_type, char csrf[SECRET_TOKEN_LEN + 1]);
/** End the caller's session and clear its cookie. */
or_status auth_session_end(app *a, http_request *req, http_response *resp, session_realm realm);
/**
 * Set a cookie with the attributes every onramp cookie has: HttpOnly,
 * SameSite=Lax, Secure under TLS (cookie_secure); max_age 0 clears it.
 */
or_status auth_cookie_set(app *a, http_request *req, http_response *resp, const char *name, const char *value,
			  const char *path, long max_age);
/**
 * auth_cookie_set with another SameSite value: "None" (always with Secure,
 * which browsers require) for a cookie a cross-site POST must carry (the
 * SAML ACS), "Lax" otherwise.
 */
or_status auth_cookie_set_samesite(app *a, http_request *req, http_response *resp, const char *name,
				   const char *value, const char *path, long max_age, const char *samesite);
/** The value of cookie name from the request, or NULL. */
const char *auth_cookie_value(http_request *req, const char *name);
/** The SHA-256 hex throttle key for a kind ("acct", "addr", "opacct") and value. */
void auth_throttle_key(const char *kind, const char *value, char out[SECRET_HASH_HEX + 1]);
/**
 * Check the throttles for one sign-in attempt: 429 rate_limited with
 * Retry-After when the account or the client address is locked (a NULL key
 * is skipped).
 */
bool auth_throttle_ok(app *a, http_request *req, http_response *resp, const char *acct_key,
		      const char *addr_key);
/** Count a failed sign-in against both keys. */
void auth_throttle_fail(app *a, http_request *req, const char *acct_key, const char *addr_key);
/**
 * Check n throttle keys (NULL entries skipped): when any is locked, 429
 * rate_limited with message and Retry-After (the latest lock), and false.
 */
bool auth_throttle_check(app *a, http_request *req, http_response *resp, const char *const *keys, size_t n,
			 const char *message);
/** Count one failure against key: max failures within login_window_s lock it for a window. */
void auth_throttle_count(app *a, http_request *req, const char *key, long max);

/* ---- request bodies (src/api/input.c) --------------------------------------------- */

/**
 * 400 bad_request when obj has a member outside allowed (NULL-terminated), at
 * any depth: each is an unknown_field error named prefix.key (key when prefix
 * is NULL, e.g. "billing_contact.fax", "blockers[2].colour").
 */
bool input_known_members(http_request *req, http_response *resp, json_object *obj, const char *prefix,
			 const char *const *allowed);
/** 400 when the body has a member outside allowed (NULL-terminated list). */
bool input_allowed(http_request *req, http_response *resp, const char *const *allowed);
/**
 * A string member: trimmed copy in the arena, or NULL when absent or JSON
 * null.  Wrong type, over max bytes, or required-but-missing add a field
 * error (code invalid_type, too_long, required).
 */
const char *input_string(http_request *req, http_response *resp, const char *name, bool required,
			 size_t max);
/** The same, without trimming (passwords). */
const char *input_secret(http_request *req, http_response *resp, const char *name, bool required,
			 size_t max);
/** An integer member within [min, max]; *present tells whether it was there. */
int64_t input_int(http_request *req, http_response *resp, const char *name, bool required,
		  int64_t min, int64_t max, bool *present);
/** A boolean member: def when absent or null; a field error for another type. */
bool input_bool(http_request *req, http_response *resp, const char *name, bool def);
/** An RFC 3339 time member (UNIX seconds), 0 when absent or null. */
int64_t input_time(http_request *req, http_response *resp, const char *name);
/** The fields every new account (user or operator) has, checked. */
typedef struct input_account {
	const char *username;
	char email[IDENTITY_EMAIL_MAX + 1];	/* normalised */
	const char *display_name;		/* NULL when absent or empty */
	const char *password;			/* NULL: generate a temporary one */
} input_account;

/**
 * Read username, email, display_name and an optional password, adding field
 * errors for bad shapes and for a password the policy refuses.
 */
void input_new_account(http_request *req, http_response *resp, input_account *out);
/** When field errors were added, answer 422 validation_failed and return false. */
bool input_ok(http_response *resp);
/** Add an invalid_choice field error listing choices (include/onramp/choices.h). */
void input_choice_error(http_request *req, http_response *resp, const char *field, const char *const *choices);
/** Add a field error for a password verdict (422 follows from input_ok). */
void input_password_error(http_request *req, http_response *resp, const char *field,
			  password_verdict v);
/**
 * The body of a password change, {current_password, new_password}, checked
 * against the account's stored hash (NULL: no password) and the policy; 422
 * with field codes incorrect, unchanged or the policy's.  *next is the new
 * password when true is returned; *wrong_current tells whether the current
 * password was wrong (the caller throttles those).
 */
bool input_password_change(http_request *req, http_response *resp, const char *hash, const char *username,
			   const char *email, const char **next, bool *wrong_current);
/** Parse a path parameter as a positive id; 404 when it is not one. */
bool input_path_id(http_request *req, http_response *resp, size_t idx, int64_t *id);
/** True when the path and the URL-decoded query string are strict UTF-8 (str_utf8_valid). */
bool input_uri_text_ok(http_request *req);
/** Refuse a form body (BODY_FORM) with fields outside allowed: 400 naming each one (unknown_field). */
bool input_form_allowed(http_request *req, http_response *resp, const char *const *allowed);
/** Read query parameter name (URL-decoded into the arena), NULL when absent. */
const char *input_query(http_request *req, const char *name);
/** Parse q= with the filter language: 400 bad_request naming the term on error. */
bool input_filter(http_request *req, http_response *resp, filter_scope scope, filter *f);
/**
 * Refuse a value that looks like a secret: field error secret_detected with
 * a message naming the kind, never the value.  True when v is clean or NULL.
 */
bool input_scan(app *a, http_request *req, http_response *resp, const char *field, const char *v);
/**
 * A free-text member key of obj (field names it in errors): absent keeps
 * *slot, null or "" clears it, a string is trimmed, limited to max bytes,
 * refused with a NUL, and secret-scanned.  False when a field error was added.
 */
bool input_text_member(app *a, http_request *req, http_response *resp, json_object *obj, const char *key,
		       const char *field, size_t max, const char **slot);
/** limit= (1..max, default def) and after= (id cursor, default 0). */
bool input_page(http_request *req, http_response *resp, long def, long max, long *limit,
		int64_t *after);

/* ---- JSON out (src/api/output.c) ----------------------------------------------------- */

/** RFC 3339 string, or JSON null for 0. */
json_object *output_time(int64_t t);
/** A string, or JSON null for NULL. */
json_object *output_str(const char *s);
/** An id as an opaque string. */
json_object *output_id(int64_t id);
/** A user as the API shows it (status derived at now). */
json_object *output_user(const user *u, int64_t now, bool with_customer);
/** An operator as the API shows it. */
json_object *output_operator(const operator_account *o);
/** A customer with seats used. */
json_object *output_customer(const customer *c, long seats_used);

/* ---- audit (src/api/audit_log.c) ------------------------------------------------------ */

/**
 * Append an audit row for the caller's change: actor from the principal (or
 * system when none), client address and request id from the request.
 * before/after are JSON objects (not consumed); with both, the row keeps only
 * the changed fields (audit_diff) and none is written when nothing changed;
 * with one, it is stored redacted (audit_redact).
 */
or_status api_audit(app *a, http_request *req, const char *action, int64_t customer_id,
		    const char *object_type, int64_t object_id, json_object *before, json_object *after);
/**
 * api_audit for an edit of one object (a save): when before and after do not
 * differ, no row is written and api_commit rolls the transaction back, so a
 * save that changes nothing leaves no trace (no row, no version bump).
 */
or_status api_audit_edit(app *a, http_request *req, const char *action, int64_t customer_id,
			 const char *object_type, int64_t object_id, json_object *before, json_object *after);

/* ---- shared operations ------------------------------------------------------------------ */

/**
 * app_fail with the database's last error as the logged detail: the answer
 * to a failed store call (503 for OR_ERR_DB, else the status's own code).
 */
void api_fail_db(app *a, http_request *req, http_response *resp, or_status st);
/**
 * End the caller's transaction: commit when st is OR_OK, else (or when the
 * commit fails) roll back and answer the failure.  True when committed (or,
 * for an unchanged edit by api_audit_edit with no other row, rolled back as
 * a success: nothing changed).
 */
bool api_commit(app *a, http_request *req, http_response *resp, or_status st);

/* ---- Idempotency-Key (src/api/idempotency.c) ------------------------------------------ */

/**
 * Before the handler of a ROUTE_IDEMPOTENT route whose request carries an
 * Idempotency-Key: 400 for a malformed key, the stored answer again (header
 * Idempotent-Replayed: true) for the same request within LIMIT_IDEM_TTL_S,
 * 422 idempotency_key_reused for another request under the key; else arm
 * the request.  False when resp is the answer (the handler must not run).
 */
bool idem_begin(app *a, const route *r, http_request *req, http_response *resp);
/** api_commit on an armed request: leave the transaction open for idem_finish (true), else false. */
bool idem_defer_commit(http_request *req);
/**
 * After the handler: on an armed request whose commit was deferred, store the
 * answer and commit it with the change (a failed commit answers as api_commit
 * does; a twin request that committed the key first is replayed instead).
 */
void idem_finish(app *a, http_request *req, http_response *resp);
/**
 * Lock the customer row (inside the caller's transaction) and refuse with 409
 * conflict, naming the seat limit, unless identity_seats_allow lets the change
 * go ahead (takes_seat: the change makes a user hold a seat).
 */
or_status seats_check(app *a, http_request *req, http_response *resp, int64_t customer_id, bool takes_seat);
/** seats_check's refusal for counts the caller read under the lock: true (409 answered) when s does not allow it. */
bool seats_refuse(http_request *req, http_response *resp, seat_count s, bool takes_seat);
/** seats_check without an answer: OR_ERR_CONFLICT with the refusal's sentence in msg (sign-ins have no JSON answer). */
or_status seats_allow(app *a, http_request *req, int64_t customer_id, bool takes_seat, char *msg, size_t msgsz);
/**
 * In a sign-in's transaction, before the user is marked seen: when this makes
 * a dormant user active beyond the seat limit, audit seats.over_limit {used, limit}.
 */
or_status seats_note_sign_in(app *a, http_request *req, const user *u);
/** The seats object of the members and customer views: {used, limit, over_by}. */
json_object *api_seats_json(long used, long limit);
/**
 * Audit as a user who is not signed in but proved who they are (sign-in, a
 * reset token): the row names them as the actor.
 */
or_status api_audit_as_user(app *a, http_request *req, const user *u, const char *action);
/** The same with an after object (redacted, not consumed), for an event about the user. */
or_status api_audit_user_event(app *a, http_request *req, const user *u, const char *action, json_object *after);
/** The same with before and after (a change the user's own sign-in made, e.g. the role the IdP groups give). */
or_status api_audit_user_change(app *a, http_request *req, const user *u, const char *action, json_object *before,
				json_object *after);
/** This worker's facts cache (include/onramp/facts_cache.h), made on first use; NULL when out of memory. */
struct facts_cache *api_facts_cache(app *a);
/**
 * The checklist as the customer API shows it: items with state, hint,
 * blocker and the latest decided review (notes may be NULL), done_when, ready.
 */
json_object *api_checklist_json(const checklist *c, const review_note *notes);
/** Why an unfinished item stops Create: {message, retryable, cleared_by, next} (GET /checklist's item.gate, the 409's gates). */
json_object *api_checklist_gate_json(const checklist_entry *e);
/** A workspace request ("Create") as both APIs show it. */
json_object *api_workspace_request_json(const workspace_request *w);
/** An invite's status at now: its stored state, or expired when pending past expires_at. */
const char *api_invite_status(const invite *v, int64_t now);
/** An invite as the members view shows it (status derived at now; never the token). */
json_object *api_invite_json(const invite *v, int64_t now);
/** The customer's invites, newest first, as a JSON array (NULL with *st set on failure). */
json_object *api_invites_json(app *a, http_request *req, int64_t customer_id, or_status *st);
/**
 * Create an invite (expiring a stale pending one first) inside the caller's
 * transaction; mail it when mail, and write the link (shown once) into link
 * (INVITES_LINK_MAX bytes) when not NULL.  Fills in in's created_at,
 * expires_at and outbox_id (its token_hash is NULL again on return).
 * OR_ERR_CONFLICT when one is pending for the email.
 */
#define INVITES_LINK_MAX (CONFIG_PATH_MAX + 64)
or_status invites_issue(app *a, http_request *req, invite_new *in, const char *customer_name, bool mail,
			char *link, int64_t *id);
/** Why an invite cannot be accepted at now (the sentence its 410 carries), or NULL when it can. */
const char *invites_unusable(const invite *v, int64_t now);
/** The identity-mismatch sentence for an invite opened as someone with another email. */
const char *invites_mismatch_message(void);
/**
 * Apply a pending invite to an existing user of its customer inside the
 * caller's transaction: an admin invite raises a member (never lowers), and
 * the invite is marked accepted by u.  The caller audits.
 */
or_status invites_accept_existing(app *a, const invite *v, const user *u);
/**
 * Create the invite's account inside the caller's transaction: a free seat
 * (else OR_ERR_CONFLICT with *which NULL and the seat sentence in msg), the
 * user with the invite's customer, email and role (nu gives the rest;
 * OR_ERR_CONFLICT with *which "username" or "email" when taken), the invite
 * accepted by it.  The caller audits.
 */
or_status invites_accept_create(app *a, http_request *req, const invite *v, user_new *nu, int64_t *id,
				const char **which, char *msg, size_t msgsz);
/**
 * Issue a password reset link for u inside the caller's transaction (the
 * operator's reset-password-link): the link, shown once, goes into link.
 */
or_status resets_issue_link(app *a, http_request *req, const user *u, char *link, size_t linksz,
			    int64_t *expires_at);
/** The SSO draft as GET /sso shows it; operator_view adds a stale report as history. */
json_object *api_sso_json(const sso_draft *d, bool operator_view);
/** The customer's newest SSO validation job as GET /sso shows it, JSON null when none (*st set). */
json_object *api_sso_latest_job_json(app *a, arena *ar, int64_t customer_id, or_status *st);
/**
 * A test sign-in as GET /sso/tests/{id} shows it: {id, state, protocol,
 * version, started_by, claims, matched_test_user, role, checks, created_at,
 * finished_at}.
 */
json_object *api_sso_test_json(const sso_test *t);
/** The customer's newest test sign-in as the operator's review shows it, JSON null when none (*st set). */
json_object *api_sso_latest_test_json(app *a, arena *ar, int64_t customer_id, or_status *st);
/** A customer's details as GET /account shows them. */
json_object *api_details_json(const customer *c, const customer_details *d);
/* ---- who gets in through SSO (src/api/sso_accounts.c) ------------------------------- */

/** The outcome of sso_admit. */
typedef struct sso_admission {
	bool ok;
	user u;				/* on ok: the user to start a session for */
	int status;			/* on refusal: 403 (or 409/410) */
	const char *code;		/* identity_mismatch, sso_not_invited, sso_suspended, sso_domain, ... */
	const char *message;		/* the sentence the failure page shows */
} sso_admission;
/**
 * Decide who this identity is in customer cfg->customer_id and with which
 * role, inside the caller's transaction: the rules (sso_rules_evaluate), then
 * the linked identity, else the invite (invite_token, or NULL: a pending
 * invite for the email) accepted, else an existing user with the same
 * verified email linked, else a user created for a group (seat rules as for
 * invites); suspended and deactivated users refused; an existing user's role
 * follows the groups; a dormant user becomes active.  OR_OK with out->ok, or
 * with out->status/code/message on a refusal (the caller rolls back); another
 * status when the database failed.  login_type "oidc" or "saml" is what a
 * created account records.  The caller starts the session and commits.
 */
or_status sso_admit(app *a, http_request *req, const sso_config *cfg, const oidc_identity *id,
		    const char *invite_token, const char *login_type, sso_admission *out);

/** A verdict as the test sign-in result and the test seam show it: {ok, role, matched_test_user, checks:[{key, ok, severity, message}]}. */
json_object *api_sso_verdict_json(const sso_verdict *v);

/** Current time in seconds for this request. */
int64_t api_now(const http_request *req);

/* ---- the write-only client secret (src/api/sso_secret.c) ------------------------------ */

/**
 * Open the customer's OIDC client secret into out (cap bytes, not
 * NUL-terminated), for a token request only; the caller OPENSSL_cleanse()s
 * out right after it.  OR_ERR_NOT_FOUND when none is set, OR_ERR_IO
 * without a keyring, OR_ERR_INVALID when it does not open (moved, tampered,
 * or its key was dropped).
 */
or_status sso_secret_open(app *a, int64_t customer_id, unsigned char *out, size_t cap, size_t *len);
/** GET /sso's secret object {set, set_at, set_by} (NULL with *st set on failure). */
json_object *api_sso_secret_json(app *a, arena *ar, int64_t customer_id, or_status *st);

#endif
