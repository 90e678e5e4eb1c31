/*
 * Invites: a customer admin invites by email and role (POST /invites),
 * resends with a new token (the old link answers 410 from then on) and
 * revokes; anyone holding a link looks it up and accepts it
 * (POST /invite-lookups, POST /invite-acceptances).  The token travels in
 * the link's URL fragment and in request bodies only; it is stored as
 * SHA-256 and appears in no answer after creation, no log line and no audit
 * row.  Accepting is one transaction under a row lock on the invite, so of
 * concurrent acceptances of one token exactly one succeeds.
 */
#include <stdio.h>
#include <string.h>

#include "onramp/api.h"
#include "onramp/invite_store.h"
#include "onramp/log.h"
#include "onramp/mailtext.h"
#include "onramp/secret.h"

void api_invite_create(app *a, http_request *req, http_response *resp);
void api_invite_resend(app *a, http_request *req, http_response *resp);
void api_invite_revoke(app *a, http_request *req, http_response *resp);
void api_invite_lookup(app *a, http_request *req, http_response *resp);
void api_invite_accept(app *a, http_request *req, http_response *resp);

#define INVITES_SHOWN 200

static const char MISMATCH[] =
	"This invite is for another email address than the account you are signed in with. Sign out of your "
	"identity provider and of this console, open the invite link again, and open the console after accepting.";

/* What the members view shows: a final state, or pending with its delivery. */
static const char *
status_of(const invite *v, int64_t now)
{
	if (strcmp(v->state, "pending") == 0 && v->expires_at <= now)
		return "expired";
	return v->state;
}

json_object *
api_invite_json(const invite *v, int64_t now)
{
	json_object *o = json_object_new_object();
	const char *status = status_of(v, now), *delivery = NULL;

	if (v->delivery)
		delivery = strcmp(v->delivery, "pending") == 0 ? "queued" : strcmp(v->delivery, "sent") == 0 ? "sent"
													   : "failed";
	json_object_object_add(o, "id", output_id(v->id));
	json_object_object_add(o, "email", output_str(v->email));
	json_object_object_add(o, "role", output_str(v->role));
	json_object_object_add(o, "kind", output_str(v->kind));
	json_object_object_add(o, "status", json_object_new_string(status));
	json_object_object_add(o, "delivery", output_str(strcmp(status, "pending") == 0 ? delivery : NULL));
	json_object_object_add(o, "delivery_error", output_str(strcmp(status, "pending") == 0 ? v->delivery_error : NULL));
	json_object_object_add(o, "sent_count", json_object_new_int64(v->sent_count));
	json_object_object_add(o, "last_sent_at", output_time(v->last_sent_at));
	json_object_object_add(o, "expires_at", output_time(v->expires_at));
	json_object_object_add(o, "created_at", output_time(v->created_at));
	json_object_object_add(o, "created_by", output_str(v->created_by));
	json_object_object_add(o, "accepted_at", output_time(v->accepted_at));
	json_object_object_add(o, "accepted_by", output_str(v->accepted_by));
	json_object_object_add(o, "revoked_at", output_time(v->revoked_at));
	json_object_object_add(o, "revoked_by", output_str(v->revoked_by));
	return o;
}

json_object *
api_invites_json(app *a, http_request *req, int64_t customer_id, or_status *st)
{
	invite *vs;
	size_t n, i;
	json_object *arr;

	*st = store_invite_list(a->db, req->arena, customer_id, INVITES_SHOWN, &vs, &n);
	if (*st != OR_OK)
		return NULL;
	arr = json_object_new_array();
	for (i = 0; i < n; i++)
		json_object_array_add(arr, api_invite_json(&vs[i], api_now(req)));
	return arr;
}

/* "user:ann" or "operator:olga": who made or changed an invite. */
static const char *
actor(http_request *req)
{
	principal *p = api_principal(req);
	char buf[128];

	if (p->realm == REALM_OPERATOR)
		snprintf(buf, sizeof(buf), "operator:%s", p->op.username);
	else
		snprintf(buf, sizeof(buf), "user:%s", p->user.username);
	return arena_strdup(req->arena, buf);
}

/* Queue the invite mail for token; the caller owns the transaction. */
static or_status
mail_invite(app *a, http_request *req, const invite *v, const char *token, const char *inviter)
{
	mailtext mt;
	outbox_mail m;
	int64_t outbox_id = 0;
	or_status st = mailtext_invite(req->arena, a->cfg->public_base_url, token, v->customer_name, v->role, inviter,
				       a->cfg->invite_ttl_s / 86400 > 0 ? a->cfg->invite_ttl_s / 86400 : 1, &mt);

	if (st != OR_OK)
		return st;
	memset(&m, 0, sizeof(m));
	m.customer_id = v->customer_id;
	m.template_name = "invite";
	m.to_addr = v->email;
	m.subject = mt.subject;
	m.body_text = mt.text;
	m.body_html = mt.html;
	m.ref_type = "invite";
	m.ref_id = v->id;
	if ((st = store_outbox_add(a->db, &m, &outbox_id)) == OR_OK)
		st = store_invite_mailed(a->db, v->id, outbox_id, api_now(req));
	return st;
}

/*
 * Inside the caller's transaction, before an invite mail is queued: lock the
 * customer row, then refuse (seats: 409 while the customer is over its seat
 * limit) or 429 when it sent its hourly share of invite mails.  Invites and
 * resends of one customer wait for each other at the lock, so each counts
 * the mails of those that committed before it and no hour holds more than
 * the limit.  On refusal the transaction is rolled back and resp answered.
 */
static bool
limits_ok(app *a, http_request *req, http_response *resp, int64_t customer_id, bool seats)
{
	long n = 0, seat_limit;
	int64_t oldest = 0, wait;
	char ra[24];
	or_status st = seats ? seats_check(a, req, resp, customer_id, false)
			     : store_customer_lock(a->db, customer_id, &seat_limit);

	if (st == OR_OK)
		st = store_invite_mails_since(a->db, customer_id, api_now(req) - 3600, &n, &oldest);
	if (st == OR_OK && n < a->cfg->invite_rate_per_hour)
		return true;
	db_rollback(a->db);
	if (st != OR_OK) {
		if (resp->status == 0)
			app_fail(a, req, resp, st, db_last_error(a->db));
		return false;
	}
	http_error(resp, 429, "rate_limited", "This customer sent its hourly share of invites. Try again later.");
	/* The window frees a slot when its oldest mail turns an hour old. */
	wait = oldest + 3600 - api_now(req);
	if (snprintf(ra, sizeof(ra), "%lld", (long long)(wait > 0 ? wait : 1)) > 0)
		(void)http_header_add(req, resp, "Retry-After", ra);
	return false;
}

or_status
invites_issue(app *a, http_request *req, const invite_new *in, const char *customer_name, bool mail, char *link,
	      int64_t *id)
{
	char token[SECRET_TOKEN_LEN + 1], hash[SECRET_HASH_HEX + 1];
	invite_new n = *in;
	invite v;
	or_status st;

	if ((st = secret_token_new(token)) != OR_OK)
		return st;
	secret_sha256_hex(token, SECRET_TOKEN_LEN, hash);
	n.token_hash = hash;
	n.expires_at = api_now(req) + a->cfg->invite_ttl_s;
	if ((st = store_invite_expire(a->db, n.customer_id, n.email, api_now(req))) == OR_OK)
		st = store_invite_insert(a->db, &n, id);
	if (st == OR_OK && mail) {
		memset(&v, 0, sizeof(v));
		v.id = *id;
		v.customer_id = n.customer_id;
		v.customer_name = customer_name;
		v.email = n.email;
		v.role = n.role;
		st = mail_invite(a, req, &v, token, api_principal(req)->realm == REALM_CUSTOMER
							      ? api_principal(req)->user.username : NULL);
	}
	if (st == OR_OK && link &&
	    snprintf(link, INVITES_LINK_MAX, "%s/invite#token=%s", a->cfg->public_base_url, token) < 0)
		st = OR_ERR_INTERNAL;
	explicit_bzero(token, sizeof(token));
	return st;
}

static json_object *
audit_json(const char *email, const char *role)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "email", json_object_new_string(email));
	json_object_object_add(o, "role", json_object_new_string(role));
	return o;
}

/* One invite as the answer, loaded after the change. */
static void
answer(app *a, http_request *req, http_response *resp, int status, int64_t customer_id, int64_t id)
{
	invite v;
	json_object *o;
	or_status st = store_invite_get(a->db, req->arena, customer_id, id, false, &v);

	if (st != OR_OK) {
		app_fail(a, req, resp, st, db_last_error(a->db));
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "invite", api_invite_json(&v, api_now(req)));
	http_json(resp, status, o);
}

void
api_invite_create(app *a, http_request *req, http_response *resp)
{
	static const char *const allowed[] = { "email", "role", NULL };
	principal *p = api_principal(req);
	const char *email_in, *role;
	char email[IDENTITY_EMAIL_MAX + 1];
	user_role r;
	user existing;
	customer c;
	invite_new in;
	json_object *after;
	int64_t id = 0;
	or_status st;

	if (!input_allowed(req, resp, allowed))
		return;
	email_in = input_string(req, resp, "email", true, IDENTITY_EMAIL_MAX);
	role = input_string(req, resp, "role", true, 32);
	if (email_in && identity_email_normalize(email_in, email, sizeof(email)) != OR_OK)
		(void)http_field_error_add(req, resp, "email", "invalid_email", "Enter an email address like name@example.com.");
	if (role && identity_role_parse(role, &r) != OR_OK)
		(void)http_field_error_add(req, resp, "role", "invalid_choice", "Choose customer_admin or customer_member.");
	if (!input_ok(resp))
		return;
	st = store_user_by_email(a->db, req->arena, email, &existing);
	if (st == OR_OK && existing.customer_id == p->user.customer_id && !existing.deactivated_at) {
		(void)http_field_error_add(req, resp, "email", "member_exists", "Someone of your organisation already uses this email.");
		http_error(resp, 409, "conflict", "This person is already a user of your organisation.");
		return;
	}
	if (st != OR_OK && st != OR_ERR_NOT_FOUND) {
		app_fail(a, req, resp, st, db_last_error(a->db));
		return;
	}
	memset(&in, 0, sizeof(in));
	in.customer_id = p->user.customer_id;
	in.email = email;
	in.role = identity_role_name(r);
	in.kind = "member";
	in.created_by = actor(req);
	if ((st = db_begin(a->db)) != OR_OK) {
		app_fail(a, req, resp, st, db_last_error(a->db));
		return;
	}
	if (!limits_ok(a, req, resp, in.customer_id, true))
		return;
	after = audit_json(email, in.role);
	if ((st = store_customer_get(a->db, req->arena, in.customer_id, &c)) == OR_OK &&
	    (st = invites_issue(a, req, &in, c.name, true, NULL, &id)) == OR_OK)
		st = api_audit(a, req, "invite.create", in.customer_id, "invite", id, NULL, after);
	json_object_put(after);
	if (st == OR_ERR_CONFLICT) {
		db_rollback(a->db);
		(void)http_field_error_add(req, resp, "email", "invite_pending", "An invite to this email is pending: resend it instead.");
		http_error(resp, 409, "conflict", "An invite to this email is already pending. Use resend to send it again.");
		return;
	}
	if (api_commit(a, req, resp, st))
		answer(a, req, resp, 201, in.customer_id, id);
}

/* The pending invite of the caller's customer named by the path, locked, inside a new transaction. */
static bool
begin_pending(app *a, http_request *req, http_response *resp, invite *v)
{
	int64_t id;
	or_status st;

	if (!input_path_id(req, resp, 0, &id))
		return false;
	if ((st = db_begin(a->db)) == OR_OK)
		st = store_invite_get(a->db, req->arena, api_principal(req)->user.customer_id, id, true, v);
	if (st != OR_OK) {
		db_rollback(a->db);
		app_fail(a, req, resp, st, db_last_error(a->db));
		return false;
	}
	if (strcmp(v->state, "pending") != 0) {
		db_rollback(a->db);
		http_error(resp, 409, "conflict", "This invite was already accepted, revoked or replaced.");
		return false;
	}
	return true;
}

void
api_invite_resend(app *a, http_request *req, http_response *resp)
{
	char token[SECRET_TOKEN_LEN + 1], hash[SECRET_HASH_HEX + 1];
	principal *p = api_principal(req);
	invite v;
	or_status st;

	/* The invite row, then the customer row: the order acceptance locks them in too. */
	if (!begin_pending(a, req, resp, &v) || !limits_ok(a, req, resp, v.customer_id, false))
		return;
	/* A new token: the old link stops working at commit, and the clock starts again. */
	if ((st = secret_token_new(token)) == OR_OK) {
		secret_sha256_hex(token, SECRET_TOKEN_LEN, hash);
		if ((st = store_invite_retoken(a->db, v.id, hash, api_now(req) + a->cfg->invite_ttl_s)) == OR_OK &&
		    (st = mail_invite(a, req, &v, token, p->user.username)) == OR_OK)
			st = api_audit(a, req, "invite.resend", v.customer_id, "invite", v.id, NULL, NULL);
	}
	explicit_bzero(token, sizeof(token));
	if (api_commit(a, req, resp, st))
		answer(a, req, resp, 200, v.customer_id, v.id);
}

void
api_invite_revoke(app *a, http_request *req, http_response *resp)
{
	invite v;
	or_status st;

	if (!begin_pending(a, req, resp, &v))
		return;
	if ((st = store_invite_revoke(a->db, v.id, actor(req))) == OR_OK)
		st = api_audit(a, req, "invite.revoke", v.customer_id, "invite", v.id, NULL, NULL);
	if (api_commit(a, req, resp, st))
		answer(a, req, resp, 200, v.customer_id, v.id);
}

/* ---- the holder of a link ----------------------------------------------------------- */

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

	t->token = input_secret(req, resp, "token", true, 64);
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
		app_fail(a, req, resp, OR_ERR_DB, db_last_error(a->db));
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
		app_fail(a, req, resp, st, db_last_error(a->db));
		return false;
	}
	if (strcmp(v->state, "accepted") == 0)
		http_error(resp, 410, "gone", "This invite was already used. Sign in instead.");
	else if (strcmp(v->state, "revoked") == 0)
		http_error(resp, 410, "gone", "This invite was revoked. Ask your admin for a new invite.");
	else if (strcmp(v->state, "expired") == 0 || v->expires_at <= now)
		http_error(resp, 410, "gone", "This invite expired. Ask your admin to resend it.");
	else
		return true;
	resp->error_members = json_object_new_object();
	json_object_object_add(resp->error_members, "invite_status", json_object_new_string(status_of(v, now)));
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

/* Signed in with the invited email: apply the invite to that account. */
static void
accept_as(app *a, http_request *req, http_response *resp, const attempt *t, const invite *v, principal *p)
{
	user_role r;
	json_object *o;
	user u;
	or_status st = OR_OK;

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
	/* An invite can raise a member to admin; it never lowers a role. */
	if (identity_role_parse(v->role, &r) == OR_OK && r == ROLE_CUSTOMER_ADMIN && p->user.role != ROLE_CUSTOMER_ADMIN)
		st = store_user_set_role(a->db, v->customer_id, p->user.id, r);
	if (st == OR_OK && (st = store_invite_accept(a->db, v->id, p->user.id)) == OR_OK)
		st = api_audit(a, req, "invite.accept", v->customer_id, "invite", v->id, NULL, NULL);
	if (!api_commit(a, req, resp, st))
		return;
	if ((st = store_user_get(a->db, req->arena, v->customer_id, p->user.id, &u)) != OR_OK) {
		app_fail(a, req, resp, st, db_last_error(a->db));
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
	pw = input_secret(req, resp, "password", true, 1024);
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

/* Not signed in: create the account with the invite's email and role, and sign it in. */
static void
accept_new(app *a, http_request *req, http_response *resp, const attempt *t, const invite *v, signup *s)
{
	char csrf[SECRET_TOKEN_LEN + 1];
	const char *which = NULL;
	user_role r = ROLE_CUSTOMER_MEMBER;
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
	/* The new user is signed in at once, so it takes a seat. */
	if ((st = seats_check(a, req, resp, v->customer_id, true)) != OR_OK) {
		db_rollback(a->db);
		if (resp->status == 0)
			app_fail(a, req, resp, st, db_last_error(a->db));
		return;
	}
	(void)identity_role_parse(v->role, &r);
	memset(&nu, 0, sizeof(nu));
	nu.customer_id = v->customer_id;
	nu.username = s->username;
	nu.email = v->email;
	nu.role = r;
	nu.password_hash = s->phc;
	if ((st = store_user_insert(a->db, &nu, &id, &which)) == OR_OK && (st = store_invite_accept(a->db, v->id, id)) == OR_OK &&
	    (st = store_user_touch(a->db, id, api_now(req))) == OR_OK &&
	    (st = store_user_get(a->db, req->arena, v->customer_id, id, &u)) == OR_OK &&
	    (st = auth_session_start(a, req, resp, REALM_CUSTOMER, id, csrf)) == OR_OK)
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
