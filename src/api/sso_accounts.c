/*
 * Who gets in through single sign-on, with which role (issue 13, point 8):
 * sso_admit, called by the sign-in callback inside its transaction.  The
 * pure rules decide first (src/domain/sso_rules.c, the same verdict a test
 * sign-in shows); then, in order: the identity linked to a user, a pending
 * invite for the email (accepted with the invite code's own functions), an
 * existing user of the customer with the same verified email (linked), a
 * user created for a mapped group.  Anything else is refused with a sentence
 * saying what the customer admin must do.
 *
 * Locks: the customer row first, then the user's (the order seat checks and
 * user management take), so a suspension and a sign-in of the same user
 * serialise, a seat is counted once, and the last-admin rule reads the
 * admins FOR UPDATE (store_admin_keep_one) before a demotion.
 */
#include <stdio.h>
#include <string.h>

#include "onramp/secret.h"
#include "onramp/sso_rules.h"
#include "onramp/sso_validate.h"
#include "onramp/user_identity_store.h"
#include "users.h"

/* Attempts at a free username for a created account (name, name-2, ...). */
#define USERNAME_ATTEMPTS 8

/* One admission in progress. */
typedef struct admit_ctx {
	app *a;
	http_request *req;
	const sso_config *cfg;
	const oidc_identity *id;
	const char *issuer;
	const char *login_type;
	char email[IDENTITY_EMAIL_MAX + 1];	/* normalised */
	sso_verdict v;
	sso_admission *out;
} admit_ctx;

static or_status
refuse(admit_ctx *c, int status, const char *code, const char *message)
{
	c->out->ok = false;
	c->out->status = status;
	c->out->code = code;
	c->out->message = message;
	return OR_OK;
}

static bool
refused(const admit_ctx *c)
{
	return c->out->code != NULL;
}

/* The code a failed rule answers with. */
static const char *
rule_code(const char *key)
{
	static const char *const map[][2] = {
		{ "subject", "sso_subject_missing" }, { "email", "sso_email_missing" },
		{ "email_domain", "sso_domain" }, { "email_verified", "sso_email_unverified" },
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(map[i][0], key) == 0)
			return map[i][1];
	return "sso_refused";
}

/* Suspended and deactivated users are refused with a sentence that says so. */
static bool
status_refused(admit_ctx *c, const user *u)
{
	if (u->deactivated_at)
		refuse(c, 403, "sso_deactivated", "Your account was deactivated, so you cannot sign in. Ask your customer "
						  "admin if you need access again.");
	else if (u->suspended)
		refuse(c, 403, "sso_suspended", "Your account is suspended, so you cannot sign in. Ask your customer admin.");
	return refused(c);
}

static or_status
set_role(admit_ctx *c, user *u, user_role role)
{
	json_object *before, *after;
	or_status st;

	before = users_status_json(u, api_now(c->req));
	u->role = role;
	after = users_status_json(u, api_now(c->req));
	json_object_object_add(after, "source", json_object_new_string("sso groups"));
	if ((st = store_user_set_role(c->a->db, u->customer_id, u->id, role)) == OR_OK)
		st = api_audit_user_change(c->a, c->req, u, "user.role_change", before, after);
	json_object_put(before);
	json_object_put(after);
	return st;
}

/*
 * The role follows the groups at every sign-in of an existing user, but only
 * when the IdP sent a groups claim (no claim says nothing about roles) and,
 * for a demotion, only when admin groups are configured (else no group could
 * ever make anyone admin, and every invited admin would lose the role).  The
 * last active customer admin is never demoted: the sign-in goes on as admin.
 */
static or_status
sync_role(admit_ctx *c, user *u)
{
	or_status st;

	if (!c->id->has_groups)
		return OR_OK;
	if (c->v.role == SSO_ROLE_ADMIN && u->role != ROLE_CUSTOMER_ADMIN)
		return set_role(c, u, ROLE_CUSTOMER_ADMIN);
	if (c->v.role == SSO_ROLE_ADMIN || u->role != ROLE_CUSTOMER_ADMIN || c->cfg->nadmin == 0)
		return OR_OK;
	st = store_admin_keep_one(c->a->db, REALM_CUSTOMER, u->customer_id, u->id);
	if (st == OR_ERR_CONFLICT)
		return OR_OK;
	return st == OR_OK ? set_role(c, u, ROLE_CUSTOMER_MEMBER) : st;
}

/* Admitted: a dormant user becomes active (audited when over the seats), as a password sign-in does. */
static or_status
admitted(admit_ctx *c, user *u)
{
	or_status st = seats_note_sign_in(c->a, c->req, u);

	if (st == OR_OK)
		st = store_user_touch(c->a->db, u->id, api_now(c->req));
	if (st != OR_OK)
		return st;
	u->last_seen_at = api_now(c->req);
	c->out->ok = true;
	c->out->u = *u;
	return OR_OK;
}

static or_status
link_identity(admit_ctx *c, const user *u)
{
	json_object *after = json_object_new_object();
	or_status st;

	json_object_object_add(after, "issuer", json_object_new_string(c->issuer));
	json_object_object_add(after, "subject", json_object_new_string(c->id->sub));
	st = store_identity_link(c->a->db, c->cfg->customer_id, u->id, c->issuer, c->id->sub, api_now(c->req));
	if (st == OR_OK)
		st = api_audit_user_change(c->a, c->req, u, "user.sso_link", NULL, after);
	json_object_put(after);
	return st;
}

/* The identity is linked: that user, if still allowed in. */
static or_status
signin_linked(admit_ctx *c, int64_t user_id)
{
	user u;
	or_status st = store_user_lock(c->a->db, c->req->arena, c->cfg->customer_id, user_id, &u);

	if (st != OR_OK || status_refused(c, &u))
		return st;
	if ((st = sync_role(c, &u)) == OR_OK &&
	    (st = store_identity_touch(c->a->db, c->cfg->customer_id, c->issuer, c->id->sub, api_now(c->req))) == OR_OK)
		st = admitted(c, &u);
	return st;
}

/*
 * The invite this sign-in may accept: the one invite_token names (it must be
 * this customer's, usable and for this email; a mismatch leaves it pending),
 * else the newest pending invite for the email.  *found tells.
 */
static or_status
find_invite(admit_ctx *c, const char *token, invite *v, bool *found)
{
	char hash[SECRET_HASH_HEX + 1];
	or_status st;

	*found = false;
	if (token == NULL) {
		st = store_invite_pending_for(c->a->db, c->req->arena, c->cfg->customer_id, c->email, api_now(c->req), v);
		*found = st == OR_OK;
		return st == OR_ERR_NOT_FOUND ? OR_OK : st;
	}
	st = OR_ERR_NOT_FOUND;
	if (secret_token_shape_ok(token)) {
		secret_sha256_hex(token, strlen(token), hash);
		st = store_invite_by_token(c->a->db, c->req->arena, hash, v);
	}
	if (st == OR_ERR_NOT_FOUND || (st == OR_OK && v->customer_id != c->cfg->customer_id))
		return refuse(c, 410, "gone", "This invite link is not valid any more: it was replaced by a newer one or "
					      "never existed. Ask your admin for a new invite.");
	if (st != OR_OK)
		return st;
	if (invites_unusable(v, api_now(c->req)))
		return refuse(c, 410, "gone", invites_unusable(v, api_now(c->req)));
	if (strcmp(v->email, c->email) != 0)
		return refuse(c, 403, "identity_mismatch", invites_mismatch_message());
	*found = true;
	return OR_OK;
}

/* The user the email already names in this customer: linked only when the IdP says the email is verified. */
static or_status
signin_existing(admit_ctx *c, const user *known, const invite *v)
{
	user u;
	or_status st;

	if (c->id->email_verified != 1)
		return refuse(c, 403, "sso_unverified_link",
			      "An account with this email exists, but your identity provider does not say the address is "
			      "verified, so onramp will not link them. Ask your IdP admin to send email_verified, or your "
			      "customer admin for help.");
	if ((st = store_user_lock(c->a->db, c->req->arena, c->cfg->customer_id, known->id, &u)) != OR_OK ||
	    status_refused(c, &u))
		return st;
	/* An invite accepted now sets the role of this sign-in; the groups decide from the next one on. */
	if (v && (st = invites_accept_existing(c->a, v, &u)) == OR_OK) {
		if (strcmp(v->role, "customer_admin") == 0)
			u.role = ROLE_CUSTOMER_ADMIN;
		st = api_audit_as_user(c->a, c->req, &u, "invite.accept");
	} else if (v == NULL) {
		st = sync_role(c, &u);
	}
	if (st == OR_OK && (st = link_identity(c, &u)) == OR_OK)
		st = admitted(c, &u);
	return st;
}

/* Insert the new account, trying name, name-2, ... for a free username; v: through that invite. */
static or_status
insert_user(admit_ctx *c, const invite *v, user_new *nu, int64_t *uid, char *msg, size_t msgsz)
{
	char name[IDENTITY_USERNAME_MAX + 1];
	const char *which = NULL;
	unsigned i;
	or_status st = OR_ERR_CONFLICT;

	for (i = 0; i < USERNAME_ATTEMPTS && st == OR_ERR_CONFLICT; i++) {
		if (!sso_rules_username(c->id, i, name, sizeof(name)))
			return refuse(c, 409, "conflict", "onramp could not make a username from your email address. Ask "
							 "your customer admin to invite you.");
		nu->username = name;
		if (v)
			st = invites_accept_create(c->a, c->req, v, nu, uid, &which, msg, msgsz);
		else
			st = store_user_insert(c->a->db, nu, uid, &which);
		if (st == OR_ERR_CONFLICT && (which == NULL || strcmp(which, "username") != 0))
			break;
	}
	if (st == OR_ERR_CONFLICT && which == NULL && v)
		return refuse(c, 409, "sso_seat_limit", arena_strdup(c->req->arena, msg));
	if (st == OR_ERR_CONFLICT)
		return refuse(c, 409, "conflict", "onramp could not create your account (the name or email is in use). "
						 "Try again, or ask your customer admin.");
	return st;
}

/* A new account: through the invite v (its role), else for the role the groups give. */
static or_status
signin_create(admit_ctx *c, const invite *v)
{
	char msg[320];
	user_new nu;
	int64_t uid = 0;
	user u;
	or_status st;

	memset(&nu, 0, sizeof(nu));
	nu.customer_id = c->cfg->customer_id;
	nu.email = c->email;
	nu.role = c->v.role == SSO_ROLE_ADMIN ? ROLE_CUSTOMER_ADMIN : ROLE_CUSTOMER_MEMBER;
	nu.login_type = c->login_type;
	if (v == NULL && (st = seats_allow(c->a, c->req, c->cfg->customer_id, true, msg, sizeof(msg))) != OR_OK)
		return st == OR_ERR_CONFLICT ? refuse(c, 409, "sso_seat_limit", arena_strdup(c->req->arena, msg)) : st;
	if ((st = insert_user(c, v, &nu, &uid, msg, sizeof(msg))) != OR_OK || refused(c))
		return st;
	if ((st = store_user_lock(c->a->db, c->req->arena, c->cfg->customer_id, uid, &u)) == OR_OK)
		st = api_audit_as_user(c->a, c->req, &u, v ? "invite.accept" : "user.sso_create");
	if (st == OR_OK && (st = link_identity(c, &u)) == OR_OK)
		st = admitted(c, &u);
	return st;
}

/* No linked identity yet: an invite, an existing user, a group, or a refusal. */
static or_status
signin_first(admit_ctx *c, const char *invite_token)
{
	invite v;
	user known;
	bool has_invite;
	or_status st = find_invite(c, invite_token, &v, &has_invite);

	if (st != OR_OK || refused(c))
		return st;
	st = store_user_by_email(c->a->db, c->req->arena, c->email, &known);
	if (st == OR_OK && known.customer_id != c->cfg->customer_id)
		return refuse(c, 409, "sso_email_in_use", "An onramp account of another organisation uses this email "
							  "address, so it cannot sign in here. Ask your customer admin.");
	if (st == OR_OK)
		return signin_existing(c, &known, has_invite ? &v : NULL);
	if (st != OR_ERR_NOT_FOUND)
		return st;
	if (has_invite || c->v.role != SSO_ROLE_NONE)
		return signin_create(c, has_invite ? &v : NULL);
	return refuse(c, 403, "sso_not_invited", "You have no account here yet. Ask your customer admin to invite you "
						 "or to add you to one of the groups onramp maps.");
}

json_object *
api_sso_verdict_json(const sso_verdict *v)
{
	json_object *o = json_object_new_object(), *checks = sso_checks_json(json_object_new_array(), v->checks, v->nchecks);

	json_object_object_add(o, "ok", json_object_new_boolean(v->ok));
	json_object_object_add(o, "role", json_object_new_string(sso_role_name(v->role)));
	json_object_object_add(o, "matched_test_user", output_str(v->matched_test_user));
	json_object_object_add(o, "checks", checks);
	return o;
}

or_status
sso_admit(app *a, http_request *req, const sso_config *cfg, const oidc_identity *id, const char *invite_token,
	  const char *login_type, sso_admission *out)
{
	admit_ctx c = { .a = a, .req = req, .cfg = cfg, .id = id, .login_type = login_type, .out = out };
	const sso_check *no;
	int64_t uid = 0;
	long limit;
	or_status st;

	memset(out, 0, sizeof(*out));
	sso_rules_evaluate(req->arena, cfg, id, &c.v);
	if ((no = sso_rules_refusal(&c.v)) != NULL)
		return refuse(&c, 403, rule_code(no->key), no->message);
	if (!c.v.ok)
		return OR_ERR_NOMEM;
	c.issuer = id->issuer ? id->issuer : cfg->idp.issuer;
	if (c.issuer == NULL || identity_email_normalize(id->email, c.email, sizeof(c.email)) != OR_OK)
		return OR_ERR_INTERNAL;	/* the rules checked the email; an issuer is the caller's to give */
	if ((st = store_customer_lock(a->db, cfg->customer_id, &limit)) != OR_OK)
		return st;
	st = store_identity_find(a->db, cfg->customer_id, c.issuer, id->sub, &uid);
	if (st == OR_OK)
		return signin_linked(&c, uid);
	return st == OR_ERR_NOT_FOUND ? signin_first(&c, invite_token) : st;
}
