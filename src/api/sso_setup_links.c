/*
 * IT-admin setup links.  A customer admin mails one (POST /sso/setup-links)
 * to the person who runs the identity provider, lists and revokes them; the
 * holder redeems the mailed token (POST /sso/setup-sessions) for a session of
 * the sso_setup realm, which reaches only this customer's SSO endpoints
 * (routes with AUTH_SSO_EDITOR; src/api/auth.c checks the link at every
 * request).  The token travels in the mail's URL fragment and in one request
 * body; it is stored as SHA-256 and appears in no answer, log line or audit row.
 */
#include <stdio.h>
#include <string.h>

#include "onramp/api.h"
#include "onramp/limits.h"
#include "onramp/log.h"
#include "onramp/mailtext.h"
#include "onramp/secret.h"
#include "onramp/sso_setup_store.h"
#include "handlers.h"

/* What the list shows; a link stops working in the first three (the redeem statement's conditions). */
static const char *
link_state(const sso_setup_link *l, int64_t now)
{
	if (l->revoked_at)
		return "revoked";
	if (l->expires_at <= now)
		return "expired";
	if (l->sessions_started >= LIMIT_SSO_SETUP_LINK_SESSIONS)
		return "used_up";
	return "active";
}

static json_object *
link_json(const sso_setup_link *l, int64_t now)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "id", output_id(l->id));
	json_object_object_add(o, "email", output_str(l->email));
	json_object_object_add(o, "state", json_object_new_string(link_state(l, now)));
	json_object_object_add(o, "created_at", output_time(l->created_at));
	json_object_object_add(o, "created_by", output_str(l->created_by));
	json_object_object_add(o, "expires_at", output_time(l->expires_at));
	json_object_object_add(o, "revoked_at", output_time(l->revoked_at));
	json_object_object_add(o, "revoked_by", output_str(l->revoked_by));
	json_object_object_add(o, "sessions_started", json_object_new_int64(l->sessions_started));
	json_object_object_add(o, "sessions_max", json_object_new_int64(LIMIT_SSO_SETUP_LINK_SESSIONS));
	json_object_object_add(o, "last_used_at", output_time(l->last_used_at));
	return o;
}

/* One link as the answer, read after the change. */
static void
answer(app *a, http_request *req, http_response *resp, int status, int64_t id)
{
	sso_setup_link l;
	json_object *o;
	or_status st = store_sso_setup_link_get(a->db, req->arena, api_customer_id(req), id, &l);

	if (st != OR_OK) {
		api_fail_db(a, req, resp, st);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "link", link_json(&l, api_now(req)));
	http_json(resp, status, o);
}

/*
 * Inside the transaction: lock the customer row, then 429 when it created its
 * hourly share of links (each one is a mail).  Creations of one customer wait
 * at the lock, so each counts those committed before it.
 */
static bool
hourly_ok(app *a, http_request *req, http_response *resp, int64_t customer_id)
{
	long n = 0, seat_limit;
	int64_t oldest = 0, wait;
	char ra[24];
	or_status st = store_customer_lock(a->db, customer_id, &seat_limit);

	if (st == OR_OK)
		st = store_sso_setup_links_since(a->db, customer_id, api_now(req) - 3600, &n, &oldest);
	if (st == OR_OK && n < LIMIT_SSO_SETUP_LINKS_PER_HOUR)
		return true;
	db_rollback(a->db);
	if (st != OR_OK) {
		api_fail_db(a, req, resp, st);
		return false;
	}
	http_error(resp, 429, "rate_limited", "This customer sent its hourly share of setup links. Try again later.");
	wait = oldest + 3600 - api_now(req);
	if (snprintf(ra, sizeof(ra), "%lld", (long long)(wait > 0 ? wait : 1)) > 0)
		(void)http_header_add(req, resp, "Retry-After", ra);
	return false;
}

/* Insert the link and queue its mail, inside the caller's transaction; the token lives only here. */
static or_status
issue(app *a, http_request *req, sso_setup_link_new *in, int hours, int64_t *id)
{
	char token[SECRET_TOKEN_LEN + 1], hash[SECRET_HASH_HEX + 1];
	customer c;
	mailtext mt;
	outbox_mail m = { in->customer_id, "sso_setup_link", 0, in->email, &mt };
	or_status st;

	if ((st = secret_token_new(token)) != OR_OK)
		return st;
	secret_sha256_hex(token, SECRET_TOKEN_LEN, hash);
	in->token_hash = hash;
	if ((st = store_sso_setup_link_insert(a->db, in, id)) == OR_OK &&
	    (st = store_customer_get(a->db, req->arena, in->customer_id, &c)) == OR_OK)
		st = mailtext_sso_setup_link(req->arena, a->cfg->public_base_url, token, c.name, api_actor_label(req),
					     hours, &mt);
	m.ref_id = *id;
	if (st == OR_OK)
		st = store_outbox_add(a->db, &m, NULL);
	explicit_bzero(token, sizeof(token));
	return st;
}

void
api_sso_setup_link_create(app *a, http_request *req, http_response *resp)
{
	static const char *const allowed[] = { "email", "expires_in_hours", NULL };
	char email[IDENTITY_EMAIL_MAX + 1];
	sso_setup_link_new in;
	const char *email_in;
	json_object *after;
	int64_t hours, id = 0;
	bool has_hours;
	or_status st;

	if (!input_allowed(req, resp, allowed))
		return;
	email_in = input_string(req, resp, "email", true, IDENTITY_EMAIL_MAX);
	hours = input_int(req, resp, "expires_in_hours", false, 1, LIMIT_SSO_SETUP_LINK_HOURS_MAX, &has_hours);
	if (email_in && identity_email_normalize(email_in, email, sizeof(email)) != OR_OK)
		(void)http_field_error_add(req, resp, "email", "invalid_email", "Enter an email address like name@example.com.");
	if (!input_ok(resp))
		return;
	if (!has_hours)
		hours = LIMIT_SSO_SETUP_LINK_HOURS_DEFAULT;
	memset(&in, 0, sizeof(in));
	in.customer_id = api_customer_id(req);
	in.email = email;
	in.created_by = api_principal(req)->user.id;
	in.now = api_now(req);
	in.expires_at = in.now + hours * 3600;
	if ((st = db_begin(a->db)) != OR_OK) {
		api_fail_db(a, req, resp, st);
		return;
	}
	if (!hourly_ok(a, req, resp, in.customer_id))
		return;
	after = json_object_new_object();
	json_object_object_add(after, "email", json_object_new_string(email));
	json_object_object_add(after, "expires_at", output_time(in.expires_at));
	if ((st = issue(a, req, &in, (int)hours, &id)) == OR_OK)
		st = api_audit(a, req, "sso_setup_link.create", in.customer_id, "sso_setup_link", id, NULL, after);
	json_object_put(after);
	if (api_commit(a, req, resp, st))
		answer(a, req, resp, 201, id);
}

void
api_sso_setup_links_list(app *a, http_request *req, http_response *resp)
{
	sso_setup_link *ls;
	size_t n, i;
	json_object *o, *arr;
	or_status st = store_sso_setup_link_list(a->db, req->arena, api_customer_id(req), LIMIT_SSO_SETUP_LINKS_SHOWN,
						 &ls, &n);

	if (st != OR_OK) {
		api_fail_db(a, req, resp, st);
		return;
	}
	arr = json_object_new_array();
	for (i = 0; i < n; i++)
		json_object_array_add(arr, link_json(&ls[i], api_now(req)));
	o = json_object_new_object();
	json_object_object_add(o, "links", arr);
	http_json(resp, 200, o);
}

/* Revoking twice answers the link as it is (DELETE is idempotent); only the first is audited. */
void
api_sso_setup_link_revoke(app *a, http_request *req, http_response *resp)
{
	int64_t cid = api_customer_id(req), id;
	or_status st;

	if (!input_path_id(req, resp, 0, &id))
		return;
	if ((st = db_begin(a->db)) != OR_OK) {
		api_fail_db(a, req, resp, st);
		return;
	}
	st = store_sso_setup_link_revoke(a->db, cid, id, api_principal(req)->user.id, api_now(req));
	if (st == OR_ERR_CONFLICT) {
		db_rollback(a->db);
		answer(a, req, resp, 200, id);
		return;
	}
	/* The auth step checks the link anyway; deleting its sessions leaves nothing to find. */
	if (st == OR_OK && (st = store_session_delete_all(a->db, REALM_SSO_SETUP, id)) == OR_OK)
		st = api_audit(a, req, "sso_setup_link.revoke", cid, "sso_setup_link", id, NULL, NULL);
	if (api_commit(a, req, resp, st))
		answer(a, req, resp, 200, id);
}

/* ---- the link holder ---------------------------------------------------------------- */

static json_object *
session_json(const sso_setup_link *l, const char *customer_name, const char *csrf)
{
	json_object *o = json_object_new_object(), *c = json_object_new_object(), *k = json_object_new_object();

	json_object_object_add(c, "id", output_id(l->customer_id));
	json_object_object_add(c, "name", output_str(customer_name));
	json_object_object_add(k, "id", output_id(l->id));
	json_object_object_add(k, "email", output_str(l->email));
	json_object_object_add(k, "expires_at", output_time(l->expires_at));
	json_object_object_add(o, "csrf_token", json_object_new_string(csrf));
	json_object_object_add(o, "customer", c);
	json_object_object_add(o, "link", k);
	return o;
}

static void
gone(http_response *resp)
{
	http_error(resp, 410, "gone", "This setup link does not work any more: it expired, was revoked or was used up. "
				     "Ask the admin who sent it for a new one.");
}

/* Start the session as the link (so the audit row names it), inside the caller's transaction. */
static or_status
start_as_link(app *a, http_request *req, http_response *resp, const sso_setup_link *l, char csrf[SECRET_TOKEN_LEN + 1])
{
	principal *p = arena_calloc(req->arena, 1, sizeof(*p));
	or_status st;

	if (p == NULL)
		return OR_ERR_NOMEM;
	p->realm = REALM_SSO_SETUP;
	p->link = *l;
	req->principal = p;
	if ((st = auth_session_start(a, req, resp, REALM_SSO_SETUP, l->id, "password", csrf)) == OR_OK)
		st = api_audit(a, req, "sso_setup_link.redeem", l->customer_id, "sso_setup_link", l->id, NULL, NULL);
	return st;
}

/*
 * Redeeming is throttled per client address like the other token
 * redemptions: a dead or unknown token counts a failure, and one answer
 * (410) serves unknown, expired, revoked and used-up links alike.
 */
void
api_sso_setup_session_create(app *a, http_request *req, http_response *resp)
{
	static const char *const allowed[] = { "token", NULL };
	char key[SECRET_HASH_HEX + 1], hash[SECRET_HASH_HEX + 1], csrf[SECRET_TOKEN_LEN + 1];
	const char *keys[1] = { key }, *token;
	sso_setup_link l;
	customer c;
	or_status st;

	if (!input_allowed(req, resp, allowed))
		return;
	token = input_secret(req, resp, "token", true, LIMIT_TOKEN_BYTES);
	if (!input_ok(resp))
		return;
	auth_throttle_key("sso_setup_addr", req->remote_addr, key);
	if (!auth_throttle_check(a, req, resp, keys, 1, "Too many attempts with setup links from this address. Try again later."))
		return;
	secret_sha256_hex(token, strlen(token), hash);
	if ((st = db_begin(a->db)) == OR_OK)
		st = secret_token_shape_ok(token) ? store_sso_setup_link_redeem(a->db, req->arena, hash, api_now(req),
										LIMIT_SSO_SETUP_LINK_SESSIONS, &l)
						  : OR_ERR_NOT_FOUND;
	if (st == OR_ERR_NOT_FOUND) {
		db_rollback(a->db);
		auth_throttle_count(a, req, key, a->cfg->login_max_failures_addr);
		gone(resp);
		return;
	}
	if (st == OR_OK && (st = store_customer_get(a->db, req->arena, l.customer_id, &c)) == OR_OK)
		st = start_as_link(a, req, resp, &l, csrf);
	if (api_commit(a, req, resp, st))
		http_json(resp, 200, session_json(&l, c.name, csrf));
	explicit_bzero(csrf, sizeof(csrf));
}

void
api_sso_setup_session_get(app *a, http_request *req, http_response *resp)
{
	principal *p = api_principal(req);
	customer c;
	or_status st = store_customer_get(a->db, req->arena, p->link.customer_id, &c);

	if (st != OR_OK) {
		api_fail_db(a, req, resp, st);
		return;
	}
	http_json(resp, 200, session_json(&p->link, c.name, p->sess.csrf_token));
}

void
api_sso_setup_session_delete(app *a, http_request *req, http_response *resp)
{
	or_status st = auth_session_end(a, req, resp, REALM_SSO_SETUP);

	if (st != OR_OK) {
		api_fail_db(a, req, resp, st);
		return;
	}
	resp->status = 204;
}
