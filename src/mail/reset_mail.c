/*
 * Queued forgot-password requests, decided by onramp-mailer.  For each one,
 * in one transaction: claim (delete) the queue row, look the address up, and
 * when a usable password account has it and has not had its share of reset
 * mails in the window, issue a token (revoking older links) and queue its
 * mail (a suspended or removed account: a mail that says so, no link).
 * Whatever the outcome, the requester was already told 202; the audit
 * trail records what happened, with the requester's address and request id.
 */
#include <stdio.h>
#include <string.h>

#include "onramp/log.h"
#include "onramp/mailtext.h"
#include "onramp/reset_mail.h"
#include "onramp/secret.h"
#include "onramp/sso_store.h"
#include "onramp/store.h"

static or_status
audit(db *d, const reset_request *rq, const user *u, const char *action)
{
	audit_entry e;
	char oid[24];

	memset(&e, 0, sizeof(e));
	snprintf(oid, sizeof(oid), "%lld", (long long)u->id);
	e.actor_type = ACTOR_SYSTEM;
	e.actor_label = "anonymous request";
	e.customer_id = u->customer_id;
	e.action = action;
	e.object_type = "user";
	e.object_id = oid;
	e.client_addr = rq->client_addr;
	e.request_id = rq->request_id;
	return store_audit_add(d, &e);
}

/* The token, its row and its mail; OR_ERR_LIMIT when the account had its share. */
static or_status
issue(const config *cfg, db *d, arena *a, const user *u, int64_t now)
{
	char token[SECRET_TOKEN_LEN + 1], hash[SECRET_HASH_HEX + 1];
	reset_new r = { hash, u->id, now, now + cfg->reset_token_ttl_s, "self", cfg->reset_mails_per_account,
			cfg->reset_window_s };
	int64_t reset_id = 0;
	mailtext mt;
	outbox_mail m = { u->customer_id, "password_reset", 0, u->email, &mt };
	or_status st;

	if ((st = secret_token_new(token)) != OR_OK)
		return st;
	secret_sha256_hex(token, SECRET_TOKEN_LEN, hash);
	st = store_reset_create(d, &r, &reset_id);
	if (st == OR_OK)
		st = mailtext_password_reset(a, cfg->public_base_url, token, cfg->reset_token_ttl_s / 60, &mt);
	explicit_bzero(token, sizeof(token));
	if (st != OR_OK)
		return st;
	m.ref_id = reset_id;
	return store_outbox_add(d, &m, NULL);
}

/* A mail without a link, within the account's share of reset mails; OR_ERR_LIMIT past it. */
static or_status
hint_allowed(const config *cfg, db *d, const user *u, const char *tmpl, int64_t now)
{
	long sent = 0;
	or_status st = store_sso_hint_mails(d, u->customer_id, tmpl, u->email, now - cfg->reset_window_s, &sent);

	return st == OR_OK && sent >= cfg->reset_mails_per_account ? OR_ERR_LIMIT : st;
}

/*
 * A member whose company requires SSO gets no link (there is no password to
 * use): a mail that says to sign in with SSO, under the same per-account
 * limit as reset links.  OR_ERR_LIMIT when the account had its share.
 */
static or_status
sso_hint(const config *cfg, db *d, arena *a, const user *u, int64_t now)
{
	mailtext mt;
	outbox_mail m = { u->customer_id, "password_reset_sso", 0, u->email, &mt };
	or_status st = hint_allowed(cfg, d, u, m.kind, now);

	if (st == OR_OK)
		st = mailtext_password_reset_sso(a, cfg->public_base_url, &mt);
	return st == OR_OK ? store_outbox_add(d, &m, NULL) : st;
}

/*
 * A suspended or removed account gets no link (it could not sign in with a
 * new password): a mail that says so and names an admin to contact, under
 * the same per-account limit.  OR_ERR_LIMIT when the account had its share.
 */
static or_status
state_mail(const config *cfg, db *d, arena *a, const user *u, int64_t now)
{
	admin_contact c;
	size_t n = 0;
	mailtext mt;
	outbox_mail m = { u->customer_id, "password_reset_account_state", 0, u->email, &mt };
	or_status st = hint_allowed(cfg, d, u, m.kind, now);

	if (st == OR_OK)
		st = store_admin_contacts(d, a, u->customer_id, NULL, 1, &c, &n);
	if (st == OR_OK)
		st = mailtext_account_state(a, cfg->public_base_url, u->deactivated_at ? "deactivated" : "suspended",
					    n ? c.name : NULL, n ? c.email : NULL, &mt);
	return st == OR_OK ? store_outbox_add(d, &m, NULL) : st;
}

/* Members of a customer that requires SSO are pointed to SSO; everyone else gets a link. */
static or_status
mail_for(const config *cfg, db *d, arena *a, const user *u, int64_t now, bool *sso)
{
	or_status st = OR_OK;

	*sso = false;
	if (u->role == ROLE_CUSTOMER_MEMBER)
		st = store_sso_required(d, u->customer_id, sso);
	if (st != OR_OK)
		return st;
	return *sso ? sso_hint(cfg, d, a, u, now) : issue(cfg, d, a, u, now);
}

/* Inside the caller's transaction, after the claim. */
static or_status
decide(const config *cfg, db *d, arena *a, const reset_request *rq, int64_t now)
{
	user u;
	bool sso = false;
	or_status st = store_user_by_email(d, a, rq->email, &u);

	if (st == OR_ERR_NOT_FOUND)
		return OR_OK;	/* nobody to mail: the request just ends */
	if (st != OR_OK)
		return st;
	if (u.deactivated_at || u.suspended)
		st = state_mail(cfg, d, a, &u, now);
	else if (strcmp(u.login_type, "password") != 0)
		return OR_OK;
	else
		st = mail_for(cfg, d, a, &u, now, &sso);
	if (st == OR_ERR_NOT_FOUND)
		return OR_OK;	/* the user row vanished under us: nothing to mail */
	if (st == OR_ERR_LIMIT) {
		log_event(LOG_INFO, "reset_limited", "request %lld: the account had its reset mails for now",
			  (long long)rq->id);
		return audit(d, rq, &u, "user.password_reset_limited");
	}
	if (st == OR_OK)
		st = audit(d, rq, &u, u.deactivated_at || u.suspended ? "user.password_reset_account_state"
				      : sso ? "user.password_reset_sso" : "user.password_reset_requested");
	return st;
}

struct take {
	const config *cfg;
	arena *a;
	const reset_request *rq;
	int64_t now;
};

static or_status
take_and_decide(db *d, void *ctx)
{
	const struct take *t = ctx;
	or_status st = store_reset_request_take(d, t->rq->id);

	return st == OR_OK ? decide(t->cfg, d, t->a, t->rq, t->now) : st;
}

int
reset_mail_round(const config *cfg, db *d, arena *a, int64_t now, long max)
{
	reset_request *rq;
	size_t n = 0, i;
	or_status st = store_reset_request_list(d, a, max, &rq, &n);

	if (st != OR_OK)
		return -1;
	for (i = 0; i < n; i++) {
		struct take t = { cfg, a, &rq[i], now };

		if ((st = db_tx_run(d, take_and_decide, &t)) == OR_OK)
			continue;
		/* NOT_FOUND: another mailer took it.  Anything else stays queued for the next round. */
		if (st != OR_ERR_NOT_FOUND)
			log_event(LOG_WARN, "reset_request_failed", "request %lld: %s", (long long)rq[i].id,
				  db_last_error(d));
	}
	return (int)n;
}
