/*
 * The mail outbox: rows are added in the transaction of the change that
 * causes them and delivered by onramp-mailer.  A delivered or failed row
 * keeps its envelope for the record but loses its body, which may carry a
 * one-time link; a failed row also revokes that link (ref_type/ref_id name it;
 * for an invite, the invite's last_outbox_id names the mail).
 *
 * Claims are writes (issue 17): a mailer sets claim_token on due rows and
 * moves next_attempt_at to the claim's end in a transaction it commits
 * before sending, and records each outcome only WHERE claim_token is still
 * its own.  A locking read (FOR UPDATE SKIP LOCKED) held across the sends
 * was node-local on Galera: two mailers on two nodes took the same rows.
 * Mailers that live deliver each row once; one that dies after sending and
 * before recording leaves the row to be sent again when its claim ends, with
 * the same Message-ID (message_key), so the receiver can tell.
 */
#include <string.h>

#include "onramp/store.h"

static const char SQL_ADD[] =
	"INSERT INTO outbox (customer_id, template, to_addr, subject, body_text, body_html, ref_type, ref_id) "
	"VALUES (?, ?, ?, ?, ?, ?, ?, ?)";

or_status
store_outbox_add(db *d, const outbox_mail *m, int64_t *id)
{
	db_stmt *s;
	or_status st = db_prepare(d, SQL_ADD, &s);

	if (st != OR_OK)
		return st;
	if (m->customer_id)
		db_bind_int(s, 0, m->customer_id);
	else
		db_bind_null(s, 0);
	db_bind_cstr(s, 1, m->kind);
	db_bind_cstr(s, 2, m->to_addr);
	db_bind_cstr(s, 3, m->text->subject);
	db_bind_cstr(s, 4, m->text->text);
	db_bind_cstr(s, 5, m->text->html);
	db_bind_cstr(s, 6, m->kind);
	if (m->ref_id)
		db_bind_int(s, 7, m->ref_id);
	else
		db_bind_null(s, 7);
	st = db_execute(s);
	if (st == OR_OK && id)
		*id = (int64_t)db_insert_id(s);
	db_stmt_done(s);
	return st;
}

static const char SQL_DEPTH[] = "SELECT COUNT(*) FROM outbox WHERE state = 'pending'";

or_status
store_outbox_depth(db *d, long *n)
{
	long long v;
	or_status st = db_scalar(d, SQL_DEPTH, NULL, 0, 0, &v);

	*n = (long)v;
	return st;
}

/* next_attempt_at doubles as the claim's end: the row is not due again before it. */
static const char SQL_CLAIM[] =
	"UPDATE outbox SET claim_token = ?, message_key = COALESCE(message_key, ?), next_attempt_at = FROM_UNIXTIME(?) "
	"WHERE state = 'pending' AND next_attempt_at <= FROM_UNIXTIME(?) ORDER BY id LIMIT ?";
static const char SQL_CLAIMED[] =
	"SELECT id, to_addr, subject, body_text, body_html, attempts, message_key FROM outbox "
	"WHERE claim_token = ? AND state = 'pending' ORDER BY id";

static or_status
claimed_rows(db *d, arena *a, const char *token, long max, outbox_row *out, size_t *n)
{
	db_stmt *s;
	bool row;
	or_status st = db_prepare(d, SQL_CLAIMED, &s);

	if (st != OR_OK)
		return st;
	db_bind_cstr(s, 0, token);
	st = db_execute(s);
	while (st == OR_OK && (st = db_fetch(s, &row)) == OR_OK && row && *n < (size_t)max) {
		outbox_row *r = &out[(*n)++];
		r->id = db_col_int(s, 0, 0);
		r->to_addr = db_col_dup(s, 1, a);
		r->subject = db_col_dup(s, 2, a);
		r->body_text = db_col_dup(s, 3, a);
		r->body_html = db_col_dup(s, 4, a);
		r->attempts = (long)db_col_int(s, 5, 0);
		r->message_key = db_col_dup(s, 6, a);
	}
	db_stmt_done(s);
	return st;
}

or_status
store_outbox_claim(db *d, arena *a, const outbox_claim *c, long max, outbox_row **out, size_t *n)
{
	db_arg args[] = { DB_TEXT(c->token), DB_TEXT(c->message_key), DB_INT(c->until), DB_INT(c->now), DB_INT(max) };
	unsigned long long claimed = 0;
	or_status st;

	*n = 0;
	*out = arena_calloc(a, (size_t)max + 1, sizeof(outbox_row));
	if (*out == NULL)
		return OR_ERR_NOMEM;
	st = c->adopt ? OR_OK : db_run(d, SQL_CLAIM, args, 5, &claimed);
	if (st == OR_OK && (claimed > 0 || c->adopt))
		st = claimed_rows(d, a, c->token, max, *out, n);
	return st;
}

static const char SQL_SENT[] =
	"UPDATE outbox SET state = 'sent', sent_at = FROM_UNIXTIME(?), attempts = attempts + 1, claim_token = NULL, "
	"last_error = NULL, body_text = '', body_html = '' WHERE id = ? AND claim_token = ? AND state = 'pending'";

or_status
store_outbox_sent(db *d, int64_t id, const char *token, int64_t now, bool *held)
{
	db_arg args[] = { DB_INT(now), DB_INT(id), DB_TEXT(token) };
	unsigned long long n = 0;
	or_status st = db_run(d, SQL_SENT, args, 3, &n);

	*held = n == 1;
	return st;
}

static const char SQL_RETRY[] =
	"UPDATE outbox SET attempts = attempts + 1, next_attempt_at = FROM_UNIXTIME(?), last_error = ?, "
	"claim_token = NULL WHERE id = ? AND claim_token = ? AND state = 'pending'";

or_status
store_outbox_retry(db *d, int64_t id, const char *token, int64_t next_at, const char *error, bool *held)
{
	db_stmt *s;
	or_status st = db_prepare(d, SQL_RETRY, &s);

	*held = false;
	if (st != OR_OK)
		return st;
	db_bind_time(s, 0, next_at);
	db_bind_text(s, 1, error, strnlen(error, 500));
	db_bind_int(s, 2, id);
	db_bind_cstr(s, 3, token);
	st = db_execute(s);
	*held = st == OR_OK && db_affected(s) == 1;
	db_stmt_done(s);
	return st;
}

static const char SQL_FAILED[] =
	"UPDATE outbox SET state = 'failed', attempts = attempts + 1, last_error = ?, body_text = '', body_html = '', "
	"claim_token = NULL WHERE id = ? AND claim_token = ? AND state = 'pending'";
/* The link of a mail nobody received must not keep working: a reset is used up... */
static const char SQL_FAILED_RESET[] =
	"UPDATE password_resets r JOIN outbox o ON o.ref_type = 'password_reset' AND o.ref_id = r.id "
	"SET r.used_at = FROM_UNIXTIME(?) WHERE o.id = ? AND r.used_at IS NULL";
/*
 * ...and an invite whose latest mail this was gets a token_hash no token
 * hashes to (SHA-256 hex has no ':'), unique per invite.  It stays pending, so
 * the admin sees the failed delivery and resend issues a new token.  Found
 * through the invite's last_outbox_id, not the mail's ref_id: a new invite's
 * mail is queued before the invite exists (src/api/invites.c).
 */
static const char SQL_FAILED_INVITE[] =
	"UPDATE invites i JOIN outbox o ON o.ref_type = 'invite' AND i.last_outbox_id = o.id "
	"SET i.token_hash = CONCAT('undelivered:', i.id) WHERE o.id = ? AND i.state = 'pending'";
/* ...and an IT-admin setup link nobody received is revoked (the admin sees it and sends a new one). */
static const char SQL_FAILED_SETUP_LINK[] =
	"UPDATE sso_setup_links l JOIN outbox o ON o.ref_type = 'sso_setup_link' AND o.ref_id = l.id "
	"SET l.revoked_at = FROM_UNIXTIME(?) WHERE o.id = ? AND l.revoked_at IS NULL";

or_status
store_outbox_failed(db *d, int64_t id, const char *token, int64_t now, const char *error, bool *held)
{
	db_arg reset[] = { DB_INT(now), DB_INT(id) };
	db_arg inv[] = { DB_INT(id) };
	db_stmt *s;
	or_status st = db_prepare(d, SQL_FAILED, &s);

	*held = false;
	if (st != OR_OK)
		return st;
	db_bind_text(s, 0, error, strnlen(error, 500));
	db_bind_int(s, 1, id);
	db_bind_cstr(s, 2, token);
	st = db_execute(s);
	*held = st == OR_OK && db_affected(s) == 1;
	db_stmt_done(s);
	if (st != OR_OK || !*held)
		return st;	/* another mailer holds the row now: its outcome decides */
	st = db_run(d, SQL_FAILED_RESET, reset, 2, NULL);
	if (st == OR_OK)
		st = db_run(d, SQL_FAILED_INVITE, inv, 1, NULL);
	if (st == OR_OK)
		st = db_run(d, SQL_FAILED_SETUP_LINK, reset, 2, NULL);
	return st;
}
