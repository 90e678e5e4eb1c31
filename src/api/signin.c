/*
 * Sign-in and password change for both realms (see include/onramp/signin.h).
 * The customer and operator paths used to be two copies that drifted apart:
 * one lower-cased the login for its throttle key and one did not, and both
 * keyed the throttle on the login as typed while the database found the
 * account under spellings the key did not share.  Here there is one flow:
 *
 *   1. the typed login (ASCII lower-cased) and the client address are
 *      checked against their throttles;
 *   2. a login that is not a username or an email is refused before any
 *      lookup (401, counted), so the database collation never folds it;
 *   3. the account found is checked against its own throttle, keyed by the
 *      resolved principal id, before the password is verified: a locked
 *      account answers 429 even to the right password;
 *   4. a failure (unknown login, wrong password, wrong or replayed TOTP code,
 *      a suspended or removed account) counts against every key known at
 *      that point; only the right password learns the account's state;
 *   5. a TOTP step is taken with a compare-and-set, so one code gives one
 *      session however many requests race with it.
 */
#include <stdio.h>
#include <string.h>

#include "onramp/limits.h"
#include "onramp/signin.h"
#include "onramp/totp.h"

#define MSG_FAILED "The sign-in details are not correct."
#define MSG_LOCKED "Too many failed sign-in attempts. Try again later."
#define MSG_PW_LOCKED "Too many wrong current passwords. Try again later."
/* Longest sealed TOTP secret opened (the seal of TOTP_SECRET_BYTES is far shorter). */
#define SEALED_SECRET_MAX 64

/* One sign-in attempt as read from the body, with its throttle keys. */
typedef struct attempt {
	const char *typed;		/* the login as typed, ASCII lower-cased */
	char login[IDENTITY_EMAIL_MAX + 1];	/* normalised; valid only when ok */
	bool ok;			/* a username or an email: may be looked up */
	const char *password;
	const char *code;		/* TOTP code, NULL when absent */
	char login_key[SECRET_HASH_HEX + 1];
	char addr_key[SECRET_HASH_HEX + 1];
	char acct_key[SECRET_HASH_HEX + 1];	/* "" until the account is known */
} attempt;

/*
 * Every throttle key of the sign-in paths: "<kind>:<realm>:<value>", hashed.
 * Kinds: login (the typed login), addr (client address), acct (sign-in
 * failures of a principal id) and pwchg (wrong current passwords of one).
 */
static void
throttle_key(const signin_realm *r, const char *kind, const char *value, char out[SECRET_HASH_HEX + 1])
{
	char prefix[48];

	if (snprintf(prefix, sizeof(prefix), "%s:%s", kind, r->name) < 0)
		prefix[0] = '\0';
	auth_throttle_key(prefix, value, out);
}

/* A key of one principal: "acct" (sign-in failures) or "pwchg" (wrong current passwords). */
static void
principal_key(const signin_realm *r, const char *kind, int64_t id, char out[SECRET_HASH_HEX + 1])
{
	char v[24];

	if (snprintf(v, sizeof(v), "%lld", (long long)id) < 0)
		v[0] = '\0';
	throttle_key(r, kind, v, out);
}

/* ASCII lower-case only: the one normalisation the lookup shares (identity_login_normalize). */
static char *
ascii_lower(arena *ar, const char *s)
{
	char *o = arena_strdup(ar, s);
	size_t i;

	for (i = 0; o && o[i]; i++)
		if (o[i] >= 'A' && o[i] <= 'Z')
			o[i] = (char)(o[i] - 'A' + 'a');
	return o;
}

static bool
read_attempt(const signin_realm *r, app *a, http_request *req, http_response *resp, attempt *t)
{
	const char *login;

	memset(t, 0, sizeof(*t));
	if (!input_allowed(req, resp, r->fields))
		return false;
	login = input_string(req, resp, r->login_field, true, IDENTITY_EMAIL_MAX);
	t->password = input_secret(req, resp, "password", true, 4 * PASSWORD_MAX_CHARS);
	if (r->take_totp_step)
		t->code = input_string(req, resp, "totp", false, LIMIT_TOTP_CODE_BYTES);
	if (!input_ok(resp))
		return false;
	t->typed = ascii_lower(req->arena, login);
	if (t->typed == NULL) {
		app_fail(a, req, resp, OR_ERR_NOMEM, "login");
		return false;
	}
	t->ok = identity_login_normalize(login, t->login, sizeof(t->login)) == OR_OK;
	throttle_key(r, "login", t->typed, t->login_key);
	throttle_key(r, "addr", req->remote_addr, t->addr_key);
	return true;
}

/* A failed attempt: counted against the typed login, the address and (once known) the account. */
static void
fail(app *a, http_request *req, http_response *resp, const attempt *t)
{
	auth_throttle_fail(a, req, t->login_key, t->addr_key);
	if (t->acct_key[0])
		auth_throttle_count(a, req, t->acct_key, a->cfg->login_max_failures_account);
	http_error(resp, 401, "unauthenticated", MSG_FAILED);
}

static void
ask_for_code(http_response *resp, const char *message)
{
	http_error(resp, 401, "unauthenticated", message);
	resp->error_extra = json_object_new_object();
	json_object_object_add(resp->error_extra, "totp_required", json_object_new_boolean(1));
}

void
signin_totp_aad(const signin_realm *r, int64_t id, char *out, size_t outsz)
{
	if (snprintf(out, outsz, "%s:%lld:totp", r->name, (long long)id) < 0 && outsz)
		out[0] = '\0';
}

/* OR_OK when code is right and its step was free; OR_ERR_INVALID when wrong or replayed. */
static or_status
check_code(const signin_realm *r, app *a, http_request *req, const signin_account *acc, const char *code)
{
	unsigned char secret[SEALED_SECRET_MAX];
	int64_t step = acc->totp_last_step;
	char aad[64];
	size_t n = 0;
	bool ok;
	or_status st;

	if (!a->has_secret_key)
		return OR_ERR_INVALID;
	signin_totp_aad(r, acc->id, aad, sizeof(aad));
	if (secret_open(a->secret_key, aad, acc->totp_sealed, secret, sizeof(secret), &n) != OR_OK)
		return OR_ERR_INVALID;
	ok = totp_verify(secret, n, code, api_now(req), &step);
	explicit_bzero(secret, sizeof(secret));
	if (!ok)
		return OR_ERR_INVALID;
	/* Parallel sign-ins read the same last step; only one of them moves it. */
	st = r->take_totp_step(a->db, acc->id, step);
	return st == OR_ERR_CONFLICT ? OR_ERR_INVALID : st;
}

/* The second factor of an enrolled account; false with resp set when the attempt stops here. */
static bool
second_factor(const signin_realm *r, app *a, http_request *req, http_response *resp, const attempt *t,
	      const signin_account *acc)
{
	or_status st;

	if (r->take_totp_step == NULL || acc->totp_sealed == NULL)
		return true;
	/* Asking for the code is the normal first step; only a wrong code is a failure. */
	if (t->code == NULL) {
		ask_for_code(resp, "Enter the code from your authenticator app.");
		return false;
	}
	st = check_code(r, a, req, acc, t->code);
	if (st == OR_OK)
		return true;
	if (st == OR_ERR_INVALID) {
		fail(a, req, resp, t);
		ask_for_code(resp, MSG_FAILED);
	} else {
		api_fail_db(a, req, resp, st);
	}
	return false;
}

/* Verify the password; an account without one burns the same Argon2id time. */
static bool
password_ok(app *a, const signin_account *acc, const char *pw)
{
	if (acc->hash == NULL) {
		password_dummy_verify(&a->pw, pw, strlen(pw));
		return false;
	}
	return password_verify(acc->hash, pw, strlen(pw));
}

/* When the configured Argon2id parameters rose, store the password under the new ones. */
static void
upgrade_hash(const signin_realm *r, app *a, const signin_account *acc, const char *pw)
{
	char fresh[PASSWORD_HASH_MAX];
	bool must_change = r->realm == REALM_CUSTOMER ? acc->p.user.must_change_password
						      : acc->p.op.must_change_password;

	if (password_needs_rehash(acc->hash, &a->pw) && password_hash(&a->pw, pw, strlen(pw), fresh) == OR_OK)
		(void)r->set_password(a->db, acc->id, fresh, must_change);
}

static or_status
audit_as(app *a, http_request *req, const principal *p, const char *action, int64_t customer_id,
	 const char *object_type, int64_t id)
{
	principal copy = *p, *saved = req->principal;
	or_status st;

	req->principal = &copy;
	st = api_audit(a, req, action, customer_id, object_type, id, NULL, NULL);
	req->principal = saved;
	return st;
}

static void
start(const signin_realm *r, app *a, http_request *req, http_response *resp, const attempt *t,
      signin_account *acc)
{
	char csrf[SECRET_TOKEN_LEN + 1];
	or_status st;

	(void)store_throttle_clear(a->db, t->login_key);
	(void)store_throttle_clear(a->db, t->acct_key);
	upgrade_hash(r, a, acc, t->password);
	if ((st = db_begin(a->db)) == OR_OK &&
	    (st = auth_session_start(a, req, resp, r->realm, acc->id, "password", csrf)) == OR_OK &&
	    (st = r->signed_in(a, req, acc)) == OR_OK)
		st = audit_as(a, req, &acc->p, r->action_sign_in, acc->customer_id, r->object_type, acc->id);
	if (api_commit(a, req, resp, st))
		http_json(resp, 200, r->body(&acc->p, api_now(req), csrf));
}

void
signin_create(const signin_realm *r, app *a, http_request *req, http_response *resp)
{
	signin_account acc;
	attempt t;
	or_status st;

	if (!read_attempt(r, a, req, resp, &t) || !auth_throttle_ok(a, req, resp, t.login_key, t.addr_key))
		return;
	if (!t.ok) {
		fail(a, req, resp, &t);
		return;
	}
	memset(&acc, 0, sizeof(acc));
	st = r->lookup(a->db, req->arena, t.login, &acc);
	if (st == OR_ERR_NOT_FOUND) {
		password_dummy_verify(&a->pw, t.password, strlen(t.password));
		fail(a, req, resp, &t);
		return;
	}
	if (st != OR_OK) {
		api_fail_db(a, req, resp, st);
		return;
	}
	/* The account's own lock, before the password: a locked account is 429 even to the right one. */
	principal_key(r, "acct", acc.id, t.acct_key);
	if (!auth_throttle_ok(a, req, resp, t.acct_key, NULL))
		return;
	if (!password_ok(a, &acc, t.password)) {
		fail(a, req, resp, &t);
		return;
	}
	/* Only now, with the password known: the state is no oracle, and it counts like any failure. */
	if (acc.state) {
		fail(a, req, resp, &t);
		auth_account_state_error(a, req, resp, r->realm, acc.customer_id, acc.state);
		return;
	}
	if (r->refused && r->refused(a, req, resp, &acc))
		return;
	if (second_factor(r, a, req, resp, &t, &acc))
		start(r, a, req, resp, &t, &acc);
}

/* ---- password change ------------------------------------------------------------- */

static int64_t
principal_id(const principal *p)
{
	return p->realm == REALM_CUSTOMER ? p->user.id : p->op.id;
}

static const char *
principal_username(const principal *p)
{
	return p->realm == REALM_CUSTOMER ? p->user.username : p->op.username;
}

static const char *
principal_email(const principal *p)
{
	return p->realm == REALM_CUSTOMER ? p->user.email : p->op.email;
}

void
signin_password_change(const signin_realm *r, app *a, http_request *req, http_response *resp)
{
	principal *p = api_principal(req);
	int64_t id = principal_id(p);
	char key[SECRET_HASH_HEX + 1], phc[PASSWORD_HASH_MAX], csrf[SECRET_TOKEN_LEN + 1];
	const char *keys[] = { key }, *next;
	signin_account acc;
	bool wrong = false;
	or_status st;

	principal_key(r, "pwchg", id, key);
	/* A stolen session must not become a password oracle: wrong guesses lock the change. */
	if (!auth_throttle_check(a, req, resp, keys, 1, MSG_PW_LOCKED))
		return;
	memset(&acc, 0, sizeof(acc));
	if ((st = r->lookup(a->db, req->arena, principal_username(p), &acc)) != OR_OK) {
		api_fail_db(a, req, resp, st);
		return;
	}
	if (!input_password_change(req, resp, acc.hash, principal_username(p), principal_email(p), &next, &wrong)) {
		if (wrong)
			auth_throttle_count(a, req, key, a->cfg->login_max_failures_account);
		return;
	}
	(void)store_throttle_clear(a->db, key);
	if ((st = password_hash(&a->pw, next, strlen(next), phc)) == OR_OK && (st = db_begin(a->db)) == OR_OK &&
	    (st = r->set_password(a->db, id, phc, false)) == OR_OK &&
	    (st = auth_session_start(a, req, resp, r->realm, id, "password", csrf)) == OR_OK &&
	    (st = store_session_delete_others(a->db, r->realm, id, csrf)) == OR_OK &&
	    (st = r->password_changed ? r->password_changed(a, req, id) : OR_OK) == OR_OK)
		st = api_audit(a, req, r->action_password_change, acc.customer_id, r->object_type, id, NULL, NULL);
	if (!api_commit(a, req, resp, st))
		return;
	if (p->realm == REALM_CUSTOMER)
		p->user.must_change_password = false;
	else
		p->op.must_change_password = false;
	http_json(resp, 200, r->body(p, api_now(req), csrf));
}

void
signin_session_get(const signin_realm *r, app *a, http_request *req, http_response *resp)
{
	principal *p = api_principal(req);

	(void)a;
	http_json(resp, 200, r->body(p, api_now(req), p->sess.csrf_token));
}

void
signin_session_delete(const signin_realm *r, app *a, http_request *req, http_response *resp)
{
	or_status st = auth_session_end(a, req, resp, r->realm);

	if (st != OR_OK) {
		api_fail_db(a, req, resp, st);
		return;
	}
	resp->status = 204;
}
