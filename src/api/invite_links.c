/*
 * The holder of an invite link: looking it up (POST /invite-lookups) and
 * accepting it (POST /invite-acceptances), either creating the account or,
 * signed in with the invited email, applying the invite to that account.
 * Accepting is one transaction under a row lock on the invite, so of
 * concurrent acceptances of one token exactly one succeeds.  Both endpoints
 * are throttled per token and per client address.
 */
#include <stdio.h>
#include <string.h>

#include "onramp/api.h"
#include "onramp/invite_store.h"
#include "onramp/limits.h"
#include "onramp/log.h"
#include "onramp/secret.h"
#include "handlers.h"

static const char MISMATCH[] =
	"This invite is for another email address than the account you are signed in with. Sign out of your "
	"identity provider and of this console, open the invite link again, and open the console after accepting.";

/*
 * One attempt with a link (lookup or acceptance), throttled like sign-in with
 * the same machinery and settings but keys of its own: failures per token
 * (login_max_failures_account) stop anyone probing usernames or the signup
 * email through one link, failures per client address
 * (login_max_failures_addr) stop one address doing it through many links or
 * guessing tokens; both within login_window_s.
 */
typedef struct attempt {
	const char *token;			/* as sent; its shape is checked by find_by_token */
	char token_key[SECRET_HASH_HEX + 1];
	char addr_key[SECRET_HASH_HEX + 1];
} attempt;

/* Read the token and check both throttles before any work is done (Argon2id, the lookup). */
static bool
attempt_start(app *a, http_request *req, http_response *resp, attempt *t)
{
	char hash[SECRET_HASH_HEX + 1];

	t->token = input_secret(req, resp, "token", true, LIMIT_TOKEN_BYTES);
	if (!input_ok(resp))
		return false;
	/* The key hashes the token's hash: the token itself never reaches the throttle table. */
	secret_sha256_hex(t->token, strlen(t->token), hash);
	auth_throttle_key("invite_token", hash, t->token_key);
	auth_throttle_key("invite_addr", req->remote_addr, t->addr_key);
	if (auth_throttle_ok(a, req, resp, t->token_key, t->addr_key))
		return true;
	if (resp->status == 429)
		resp->error_message = "Too many failed attempts with this invite link or from this address. Try again later.";
	return false;
}

/*
 * Count a failed attempt.  A live token's failure (a name not available, an
 * email that does not match) counts against the token and the address; a
 * dead or unknown token (410) reveals nothing about accounts, so only the
 * address pays, and its holder keeps seeing why the link is dead.
 */
static void
attempt_failed(app *a, http_request *req, const attempt *t, bool live)
{
	int64_t until;

	if (live)
		auth_throttle_fail(a, req, t->token_key, t->addr_key);
	else if (store_throttle_fail(a->db, t->addr_key, api_now(req), a->cfg->login_window_s,
				     a->cfg->login_max_failures_addr, &until) != OR_OK)
		log_event(LOG_WARN, "throttle_write_failed", "%s", db_last_error(a->db));
}

static bool find_by_token(app *a, http_request *req, http_response *resp, const char *token, invite *v);

/* Begin a transaction and find the token's invite, locked; on failure the transaction is over. */
static bool
begin_find(app *a, http_request *req, http_response *resp, const attempt *t, invite *v)
{
	if (db_begin(a->db) != OR_OK) {
		api_fail_db(a, req, resp, OR_ERR_DB);
		return false;
	}
	if (!find_by_token(a, req, resp, t->token, v)) {
		db_rollback(a->db);
		if (resp->status == 410)
			attempt_failed(a, req, t, false);
		return false;
	}
	return true;
}

const char *
invites_unusable(const invite *v, int64_t now)
{
	if (strcmp(v->state, "accepted") == 0)
		return "This invite was already used. Sign in instead.";
	if (strcmp(v->state, "revoked") == 0)
		return "This invite was revoked. Ask your admin for a new invite.";
	if (strcmp(v->state, "expired") == 0 || v->expires_at <= now)
		return "This invite expired. Ask your admin to resend it.";
	return NULL;
}

const char *
invites_mismatch_message(void)
{
	return MISMATCH;
}

/* Find the token's invite (locked when in a transaction); 410 for anything unusable. */
static bool
find_by_token(app *a, http_request *req, http_response *resp, const char *token, invite *v)
{
	char hash[SECRET_HASH_HEX + 1];
	int64_t now = api_now(req);
	or_status st;

	if (!secret_token_shape_ok(token)) {
		http_error(resp, 410, "gone", "This invite link is not valid. Ask your admin for a new invite.");
		return false;
	}
	secret_sha256_hex(token, strlen(token), hash);
	st = store_invite_by_token(a->db, req->arena, hash, v);
	if (st == OR_ERR_NOT_FOUND) {
		http_error(resp, 410, "gone", "This invite link is not valid any more: it was replaced by a newer one or "
					     "never existed. Ask your admin for a new invite.");
		return false;
	}
	if (st != OR_OK) {
		api_fail_db(a, req, resp, st);
		return false;
	}
	if (invites_unusable(v, now) == NULL)
		return true;
	http_error(resp, 410, "gone", invites_unusable(v, now));
	resp->error_members = json_object_new_object();
	json_object_object_add(resp->error_members, "invite_status", json_object_new_string(api_invite_status(v, now)));
	return false;
}

/* "b•••@acme.example": enough to recognise the address, not to learn it. */
static const char *
masked(http_request *req, const char *email)
{
	const char *at = strrchr(email, '@');
	char buf[IDENTITY_EMAIL_MAX + 16];

	if (at == NULL || at == email)
		return "";
	snprintf(buf, sizeof(buf), "%c\xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2%s", email[0], at);
	return arena_strdup(req->arena, buf);
}

static json_object *
lookup_json(http_request *req, const invite *v)
{
	json_object *o = json_object_new_object();
	bool signup = strcmp(v->kind, "admin_signup") == 0;

	json_object_object_add(o, "customer_name", output_str(v->customer_name));
	/* An admin signup link asks for the address: the lookup must not hand it out. */
	json_object_object_add(o, "email", signup ? NULL : output_str(v->email));
	json_object_object_add(o, "email_hint", json_object_new_string(signup ? masked(req, v->email) : v->email));
	json_object_object_add(o, "role", output_str(v->role));
	json_object_object_add(o, "kind", output_str(v->kind));
	json_object_object_add(o, "expires_at", output_time(v->expires_at));
	return o;
}

void
api_invite_lookup(app *a, http_request *req, http_response *resp)
{
	static const char *const allowed[] = { "token", NULL };
	attempt t;
	invite v;
	json_object *o;

	if (!input_allowed(req, resp, allowed) || !attempt_start(a, req, resp, &t) || !begin_find(a, req, resp, &t, &v))
		return;
	db_rollback(a->db);
	o = json_object_new_object();
	json_object_object_add(o, "invite", lookup_json(req, &v));
	http_json(resp, 200, o);
}

static void
mismatch(http_request *req, http_response *resp, const char *signed_in_as)
{
	if (signed_in_as == NULL) {
		/* Nobody is signed in: the email typed on the signup form is not the invited one. */
		http_error(resp, 403, "identity_mismatch",
			   "The email you entered is not the address this signup link was made for. Use the address "
			   "the link was sent for, or ask for a new link.");
		return;
	}
	http_error(resp, 403, "identity_mismatch", MISMATCH);
	resp->error_members = json_object_new_object();
	if (signed_in_as)
		json_object_object_add(resp->error_members, "signed_in_as", json_object_new_string(signed_in_as));
	json_object_object_add(resp->error_members, "guidance", json_object_new_string(
		"1. Sign out of your identity provider and of this console. 2. Open the invite link again. "
		"3. Accept it, then open the console."));
	(void)req;
}

or_status
invites_accept_existing(app *a, const invite *v, const user *u)
{
	user_role r;
	or_status st = OR_OK;

	/* An invite can raise a member to admin; it never lowers a role. */
	if (identity_role_parse(v->role, &r) == OR_OK && r == ROLE_CUSTOMER_ADMIN && u->role != ROLE_CUSTOMER_ADMIN)
		st = store_user_set_role(a->db, v->customer_id, u->id, r);
	if (st == OR_OK)
		st = store_invite_accept(a->db, v->id, u->id);
	return st;
}

/* Signed in with the invited email: apply the invite to that account. */
static void
accept_as(app *a, http_request *req, http_response *resp, const attempt *t, const invite *v, principal *p)
{
	json_object *o;
	user u;
	or_status st;

	if (strcmp(p->user.email, v->email) != 0) {
		db_rollback(a->db);
		attempt_failed(a, req, t, true);
		mismatch(req, resp, p->user.email);
		return;
	}
	if (p->user.customer_id != v->customer_id) {
		db_rollback(a->db);
		http_error(resp, 409, "conflict", "Your account belongs to another organisation, so it cannot join this one.");
		return;
	}
	if ((st = invites_accept_existing(a, v, &p->user)) == OR_OK)
		st = api_audit(a, req, "invite.accept", v->customer_id, "invite", v->id, NULL, NULL);
	if (!api_commit(a, req, resp, st))
		return;
	if ((st = store_user_get(a->db, req->arena, v->customer_id, p->user.id, &u)) != OR_OK) {
		api_fail_db(a, req, resp, st);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "user", output_user(&u, api_now(req), false));
	json_object_object_add(o, "csrf_token", json_object_new_string(p->sess.csrf_token));
	json_object_object_add(o, "must_change_password", json_object_new_boolean(u.must_change_password));
	http_json(resp, 200, o);
}

/* The new account's fields, checked before the transaction (Argon2id is slow). */
typedef struct signup {
	const char *username;
	const char *email;		/* as typed, normalised; NULL when absent */
	char phc[PASSWORD_HASH_MAX];
} signup;

static bool
read_signup(app *a, http_request *req, http_response *resp, signup *s)
{
	char norm[IDENTITY_EMAIL_MAX + 1];
	const char *pw, *email;
	password_verdict pv;

	s->username = input_string(req, resp, "username", true, IDENTITY_USERNAME_MAX);
	pw = input_secret(req, resp, "password", true, 4 * PASSWORD_MAX_CHARS);
	email = input_string(req, resp, "email", false, IDENTITY_EMAIL_MAX);
	if (s->username && !identity_username_ok(s->username))
		(void)http_field_error_add(req, resp, "username", "invalid_username",
					   "Use lower-case letters, digits, '.', '_' or '-'.");
	s->email = NULL;
	if (email && identity_email_normalize(email, norm, sizeof(norm)) != OR_OK)
		(void)http_field_error_add(req, resp, "email", "invalid_email", "Enter an email address like name@example.com.");
	else if (email)
		s->email = arena_strdup(req->arena, norm);
	if (pw && s->username && (pv = password_check(pw, strlen(pw), s->username, s->email ? s->email : "")) != PASSWORD_OK)
		input_password_error(req, resp, "password", pv);
	if (!input_ok(resp))
		return false;
	if (password_hash(&a->pw, pw, strlen(pw), s->phc) != OR_OK) {
		app_fail(a, req, resp, OR_ERR_INTERNAL, "password hash");
		return false;
	}
	return true;
}

/*
 * The new account's username or email is in use.  Usernames are global, so
 * the answer for a username never says where it is used: in this
 * organisation, in another or by whom reads the same.  The email is the
 * invite's own, which its holder knows already.
 */
static void
taken(http_request *req, http_response *resp, const char *which)
{
	if (strcmp(which, "email") == 0) {
		(void)http_field_error_add(req, resp, "email", "taken",
					   "An account with this email exists: sign in with it, then open the invite link again.");
		http_error(resp, 409, "conflict", "An account with this email already exists.");
		return;
	}
	(void)http_field_error_add(req, resp, "username", "unavailable", "This username is not available. Choose another.");
	http_error(resp, 409, "conflict", "This username is not available. Choose another.");
}

or_status
invites_accept_create(app *a, http_request *req, const invite *v, user_new *nu, int64_t *id, const char **which,
		      char *msg, size_t msgsz)
{
	user_role r = ROLE_CUSTOMER_MEMBER;
	or_status st;

	*which = NULL;
	/* The new user is signed in at once, so it takes a seat. */
	if ((st = seats_allow(a, req, v->customer_id, true, msg, msgsz)) != OR_OK)
		return st;
	(void)identity_role_parse(v->role, &r);
	nu->customer_id = v->customer_id;
	nu->email = v->email;
	nu->role = r;
	if ((st = store_user_insert(a->db, nu, id, which)) == OR_OK)
		st = store_invite_accept(a->db, v->id, *id);
	return st;
}

/*
 * No seat for the invitee: the seat refusal speaks to admins ("an operator
 * can raise it"), so the invitee is told whom to ask instead: the admin who
 * invited them (error.inviter), or an active admin when that one is gone
 * (error.admin).  An operator's invite has no inviter of the customer.
 */
static void
seats_full(app *a, http_request *req, http_response *resp, const invite *v)
{
	/* created_by is "user:<username>" for an admin's invite, "operator:<username>" for an operator's. */
	const char *inviter = v->created_by && strncmp(v->created_by, "user:", 5) == 0 ? v->created_by + 5 : NULL;
	admin_contact c;
	size_t n = 0;
	char msg[IDENTITY_EMAIL_MAX + 400];
	json_object *o;

	if (store_admin_contacts(a->db, req->arena, v->customer_id, inviter, 1, &c, &n) != OR_OK)
		n = 0;
	if (n == 0 || snprintf(msg, sizeof(msg), "Every seat of your organisation is in use, so your account cannot be "
			       "created yet. Contact %.200s (%s)%s: they can free a seat or have the limit raised, then "
			       "open this link again.", c.name, c.email, c.named ? ", who invited you" : ", your organisation's admin") < 0) {
		http_error(resp, 409, "conflict", "Every seat of your organisation is in use, so your account cannot be "
			   "created yet. Contact your organisation's admin, then open this link again.");
		return;
	}
	http_error(resp, 409, "conflict", arena_strdup(req->arena, msg));
	o = api_contact_json(&c);
	resp->error_members = json_object_new_object();
	json_object_object_add(resp->error_members, c.named ? "inviter" : "admin", o);
}

/* Not signed in: create the account with the invite's email and role, and sign it in. */
static void
accept_new(app *a, http_request *req, http_response *resp, const attempt *t, const invite *v, signup *s)
{
	char csrf[SECRET_TOKEN_LEN + 1], msg[320];
	const char *which = NULL;
	user_new nu;
	user u;
	int64_t id = 0;
	json_object *o;
	or_status st;

	/* An admin-signup link needs the invited email typed again; any email given must match. */
	if ((strcmp(v->kind, "admin_signup") == 0 && s->email == NULL) || (s->email && strcmp(s->email, v->email) != 0)) {
		db_rollback(a->db);
		attempt_failed(a, req, t, true);
		mismatch(req, resp, NULL);
		return;
	}
	memset(&nu, 0, sizeof(nu));
	nu.username = s->username;
	nu.password_hash = s->phc;
	st = invites_accept_create(a, req, v, &nu, &id, &which, msg, sizeof(msg));
	if (st == OR_ERR_CONFLICT && which == NULL) {
		db_rollback(a->db);
		seats_full(a, req, resp, v);
		return;
	}
	if (st == OR_OK && (st = store_user_touch(a->db, id, api_now(req))) == OR_OK &&
	    (st = store_user_get(a->db, req->arena, v->customer_id, id, &u)) == OR_OK &&
	    (st = auth_session_start(a, req, resp, REALM_CUSTOMER, id, "password", csrf)) == OR_OK)
		st = api_audit_as_user(a, req, &u, "invite.accept");
	if (st == OR_ERR_CONFLICT && which) {
		db_rollback(a->db);
		attempt_failed(a, req, t, true);
		taken(req, resp, which);
		return;
	}
	if (!api_commit(a, req, resp, st))
		return;
	o = json_object_new_object();
	json_object_object_add(o, "user", output_user(&u, api_now(req), false));
	json_object_object_add(o, "csrf_token", json_object_new_string(csrf));
	json_object_object_add(o, "must_change_password", json_object_new_boolean(false));
	explicit_bzero(csrf, sizeof(csrf));
	http_json(resp, 201, o);
}

void
api_invite_accept(app *a, http_request *req, http_response *resp)
{
	static const char *const allowed[] = { "token", "username", "password", "email", NULL };
	principal *p = NULL;
	attempt t;
	signup s;
	invite v;

	if (!input_allowed(req, resp, allowed) || !auth_session_optional(a, req, resp, &p) ||
	    !attempt_start(a, req, resp, &t))
		return;
	if ((p == NULL && !read_signup(a, req, resp, &s)) || !begin_find(a, req, resp, &t, &v))
		return;
	if (p)
		accept_as(a, req, resp, &t, &v, p);
	else
		accept_new(a, req, resp, &t, &v, &s);
}
