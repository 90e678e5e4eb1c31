/*
 * Invites: a customer admin invites by email and role (POST /invites),
 * resends with a new token (the old link answers 410 from then on) and
 * revokes; anyone holding a link looks it up and accepts it
 * (src/api/invite_links.c).  The token travels in the link's URL fragment
 * and in request bodies only; it is stored as SHA-256 and appears in no
 * answer after creation, no log line and no audit row.
 */
#include <stdio.h>
#include <string.h>

#include "onramp/api.h"
#include "onramp/choices.h"
#include "onramp/invite_store.h"
#include "onramp/limits.h"
#include "onramp/mailtext.h"
#include "onramp/secret.h"
#include "handlers.h"

#define INVITES_SHOWN 200

const char *
api_invite_status(const invite *v, int64_t now)
{
	if (strcmp(v->state, "pending") == 0 && v->expires_at <= now)
		return "expired";
	return v->state;
}

json_object *
api_invite_json(const invite *v, int64_t now)
{
	json_object *o = json_object_new_object();
	const char *status = api_invite_status(v, now), *delivery = NULL;

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

/*
 * Queue the invite mail for token; the caller owns the transaction.  A new
 * invite (v->id 0) has no id yet: its row names the mail (last_outbox_id),
 * which is how a failed delivery finds it (store_outbox_failed).
 */
static or_status
queue_mail(app *a, http_request *req, const invite *v, const char *token, const char *inviter, int64_t *outbox_id)
{
	mailtext mt;
	outbox_mail m = { v->customer_id, "invite", v->id, v->email, &mt };
	or_status st = mailtext_invite(req->arena, a->cfg->public_base_url, token, v->customer_name, v->role, inviter,
				       a->cfg->invite_ttl_s / 86400 > 0 ? a->cfg->invite_ttl_s / 86400 : 1, &mt);

	return st == OR_OK ? store_outbox_add(a->db, &m, outbox_id) : st;
}

/* Queue a new mail for an existing invite (resend) and record it on the invite. */
static or_status
mail_invite(app *a, http_request *req, const invite *v, const char *token, const char *inviter)
{
	int64_t outbox_id = 0;
	or_status st = queue_mail(a, req, v, token, inviter, &outbox_id);

	return st == OR_OK ? store_invite_mailed(a->db, v->id, outbox_id, api_now(req)) : st;
}

/*
 * Inside the caller's transaction, before an invite mail is queued: lock the
 * customer row, then refuse (for a new invite to new_email: 409 when a member
 * has that email or while the customer is over its seat limit) or 429 when
 * it sent its hourly share of invite mails.  Invites and
 * resends of one customer wait for each other at the lock, so each counts
 * the mails of those that committed before it and no hour holds more than
 * the limit.  On refusal the transaction is rolled back and resp answered.
 */
static bool
limits_ok(app *a, http_request *req, http_response *resp, int64_t customer_id, const char *new_email,
	  const char **name)
{
	customer_invite_limits l;
	int64_t wait;
	char ra[24];
	or_status st = store_customer_lock_invite(a->db, req->arena, customer_id, new_email, api_now(req),
						  api_now(req) - 3600, &l);

	if (st == OR_OK && l.member) {
		(void)http_field_error_add(req, resp, "email", "member_exists", "Someone of your organisation already uses this email.");
		http_error(resp, 409, "conflict", "This person is already a user of your organisation.");
		st = OR_ERR_CONFLICT;
	}
	if (st == OR_OK && new_email &&
	    seats_refuse(req, resp, (seat_count){ .used = l.seats_used, .limit = l.seat_limit }, false))
		st = OR_ERR_CONFLICT;
	if (st == OR_OK && l.mails < a->cfg->invite_rate_per_hour) {
		if (name)
			*name = l.name;
		return true;
	}
	db_rollback(a->db);
	if (st != OR_OK) {
		if (resp->status == 0)
			api_fail_db(a, req, resp, st);
		return false;
	}
	http_error(resp, 429, "rate_limited", "This customer sent its hourly share of invites. Try again later.");
	/* The window frees a slot when its oldest mail turns an hour old. */
	wait = l.oldest_mail + 3600 - api_now(req);
	if (snprintf(ra, sizeof(ra), "%lld", (long long)(wait > 0 ? wait : 1)) > 0)
		(void)http_header_add(req, resp, "Retry-After", ra);
	return false;
}

or_status
invites_issue(app *a, http_request *req, invite_new *in, const char *customer_name, bool mail, char *link,
	      int64_t *id)
{
	char token[SECRET_TOKEN_LEN + 1], hash[SECRET_HASH_HEX + 1];
	invite v;
	or_status st;

	if ((st = secret_token_new(token)) != OR_OK)
		return st;
	secret_sha256_hex(token, SECRET_TOKEN_LEN, hash);
	in->token_hash = hash;
	in->created_at = api_now(req);
	in->expires_at = in->created_at + a->cfg->invite_ttl_s;
	in->outbox_id = 0;
	if (mail) {
		memset(&v, 0, sizeof(v));
		v.customer_id = in->customer_id;
		v.customer_name = customer_name;
		v.email = in->email;
		v.role = in->role;
		st = queue_mail(a, req, &v, token, api_principal(req)->realm == REALM_CUSTOMER
							   ? api_principal(req)->user.username : NULL, &in->outbox_id);
	}
	if (st == OR_OK)
		st = store_invite_insert_replacing(a->db, in, api_now(req), id);
	in->token_hash = NULL;
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

/* A new invite as the 201 answer, from what its transaction wrote (no read back: issue 15). */
static void
answer_created(http_request *req, http_response *resp, const invite_new *in, int64_t id)
{
	invite v;
	json_object *o = json_object_new_object();

	memset(&v, 0, sizeof(v));
	v.id = id;
	v.customer_id = in->customer_id;
	v.email = in->email;
	v.role = in->role;
	v.kind = in->kind;
	v.state = "pending";
	v.expires_at = in->expires_at;
	v.created_at = in->created_at;
	v.created_by = in->created_by;
	v.sent_count = 1;
	v.last_sent_at = in->created_at;
	v.delivery = "pending";	/* the outbox row's state until the mailer takes it */
	json_object_object_add(o, "invite", api_invite_json(&v, api_now(req)));
	http_json(resp, 201, o);
}

/* One invite as the answer, loaded after the change. */
static void
answer(app *a, http_request *req, http_response *resp, int status, int64_t customer_id, int64_t id)
{
	invite v;
	json_object *o;
	or_status st = store_invite_get(a->db, req->arena, customer_id, id, false, &v);

	if (st != OR_OK) {
		api_fail_db(a, req, resp, st);
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
	const char *name = NULL;
	invite_new in;
	json_object *after;
	int64_t id = 0;
	or_status st;

	if (!input_allowed(req, resp, allowed))
		return;
	email_in = input_string(req, resp, "email", true, IDENTITY_EMAIL_MAX);
	role = input_string(req, resp, "role", true, LIMIT_CHOICE_BYTES);
	if (email_in && identity_email_normalize(email_in, email, sizeof(email)) != OR_OK)
		(void)http_field_error_add(req, resp, "email", "invalid_email", "Enter an email address like name@example.com.");
	if (role && identity_role_parse(role, &r) != OR_OK)
		input_choice_error(req, resp, "role", choices_roles);
	if (!input_ok(resp))
		return;
	memset(&in, 0, sizeof(in));
	in.customer_id = p->user.customer_id;
	in.email = email;
	in.role = identity_role_name(r);
	in.kind = "member";
	in.created_by = actor(req);
	if ((st = db_begin(a->db)) != OR_OK) {
		api_fail_db(a, req, resp, st);
		return;
	}
	/* The member check, the seats and the rate, all under the customer lock in one round trip. */
	if (!limits_ok(a, req, resp, in.customer_id, email, &name))
		return;
	after = audit_json(email, in.role);
	if ((st = invites_issue(a, req, &in, name, true, NULL, &id)) == OR_OK)
		st = api_audit(a, req, "invite.create", in.customer_id, "invite", id, NULL, after);
	json_object_put(after);
	if (st == OR_ERR_CONFLICT) {
		db_rollback(a->db);
		(void)http_field_error_add(req, resp, "email", "invite_pending", "An invite to this email is pending: resend it instead.");
		http_error(resp, 409, "conflict", "An invite to this email is already pending. Use resend to send it again.");
		return;
	}
	if (api_commit(a, req, resp, st))
		answer_created(req, resp, &in, id);
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
		(void)api_commit(a, req, resp, st);
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
	if (!begin_pending(a, req, resp, &v) || !limits_ok(a, req, resp, v.customer_id, NULL, NULL))
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
