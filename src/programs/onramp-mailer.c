/*
 * onramp-mailer: delivers the outbox.  Each round claims due rows in a
 * transaction of its own and commits the claim before sending anything
 * (src/store/outbox.c: a claim is a write Galera certifies, so mailers on
 * several hosts and nodes never take the same row), sends each over SMTP,
 * and records the outcome only while the claim is still its own: sent (body
 * discarded), retry later with exponential backoff, or failed for good.
 * Exactly once while mailers live; at least once across a mailer crash
 * between sending and recording (the claim ends, another mailer sends
 * again), with the same Message-ID <outbox-ID.KEY@onramp.invalid>, so the
 * receiver can tell a duplicate.  A database that goes away mid-round is no
 * crash: the mailer keeps the ids of the mails the server took and marks
 * them sent before it claims anything again (`unrecorded`).  A mail given up on is blanked too, and the
 * link it carried stops working.  Each round first decides the queued forgot-password requests
 * (src/mail/reset_mail.c), whose mails then go out in the same round.
 * Between rounds it also sweeps expired sessions, throttles, reset tokens,
 * idempotency keys and pending SSO requests.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "onramp/arena.h"
#include "onramp/clock.h"
#include "onramp/config.h"
#include "onramp/db.h"
#include "onramp/idem_store.h"
#include "onramp/limits.h"
#include "onramp/log.h"
#include "onramp/mailtext.h"
#include "onramp/notify.h"
#include "onramp/reset_mail.h"
#include "onramp/secret.h"
#include "onramp/smtp.h"
#include "onramp/sso_signin_store.h"
#include "onramp/store.h"

#define BATCH 10
#define BACKOFF_BASE_S 5
#define BACKOFF_MAX_S 3600

static volatile sig_atomic_t stopping;

/*
 * Mails the SMTP server accepted whose outcome could not be recorded (the
 * database went away after the send).  They are marked sent, under the claim
 * that sent them, before the next claim: without this the claim would end
 * and each went out a second time (tests/integration/test_faults.py).  One
 * round's worth at most, since no round runs while any is left.
 */
static int64_t unrecorded[BATCH];
static size_t n_unrecorded;
static char unrecorded_token[33];

static void
on_term(int sig)
{
	(void)sig;
	stopping = 1;
}

static int64_t
backoff_s(long attempts)
{
	int64_t d = BACKOFF_BASE_S;

	while (attempts-- > 0 && d < BACKOFF_MAX_S)
		d *= 2;
	return d > BACKOFF_MAX_S ? BACKOFF_MAX_S : d;
}

static void
claim_lost(int64_t id)
{
	log_event(LOG_WARN, "mail_claim_lost", "outbox %lld: the claim ended before the outcome was recorded; "
		  "another mailer owns the row", (long long)id);
}

/* Mark the mails of a lost round sent (autocommit); false while the database still fails. */
static bool
record_unrecorded(db *d, int64_t now)
{
	while (n_unrecorded > 0) {
		bool held;
		if (store_outbox_sent(d, unrecorded[n_unrecorded - 1], unrecorded_token, now, &held) != OR_OK)
			return false;
		if (!held)
			claim_lost(unrecorded[n_unrecorded - 1]);
		n_unrecorded--;
	}
	return true;
}

struct failed_mark {
	const outbox_row *r;
	const char *token;
	int64_t now;
	const char *error;
	bool held;
};

static or_status
failed_tx(db *d, void *ctx)
{
	struct failed_mark *f = ctx;

	return store_outbox_failed(d, f->r->id, f->token, f->now, f->error, &f->held);
}

/* Given up on: the row and the link it carried, in one transaction. */
static or_status
mark_failed(db *d, const outbox_row *r, const char *token, int64_t now, const char *error)
{
	struct failed_mark f = { r, token, now, error, false };
	or_status st = db_tx_run(d, failed_tx, &f);

	if (st == OR_OK && !f.held)
		claim_lost(r->id);
	return st;
}

/* After the send: record it, or keep it for the next round when the database is gone. */
static or_status
mark_sent(db *d, const outbox_row *r, const char *token, int64_t now)
{
	bool held;
	or_status st = store_outbox_sent(d, r->id, token, now, &held);

	if (st != OR_OK) {
		memcpy(unrecorded_token, token, sizeof(unrecorded_token));
		unrecorded[n_unrecorded++] = r->id;
	} else if (!held)
		claim_lost(r->id);
	return st;
}

static or_status
deliver(const config *cfg, db *d, const outbox_row *r, const outbox_claim *c, const char *from_addr)
{
	char msgid[64];
	or_buf msg;
	smtp_result res;
	or_status st;
	bool held;

	buf_init(&msg, 8u * 1024u * 1024u);
	snprintf(msgid, sizeof(msgid), "outbox-%lld.%s", (long long)r->id,
		 r->message_key ? r->message_key : c->message_key);
	st = mailtext_compose(cfg->mail_from, r->to_addr, r->subject, r->body_text, r->body_html, c->now, msgid,
			      "onramp.invalid", &msg);
	if (st != OR_OK) {
		buf_free(&msg);
		log_event(LOG_ERROR, "mail_compose_failed", "outbox %lld: %s", (long long)r->id, status_name(st));
		return mark_failed(d, r, c->token, c->now, "could not compose the message");
	}
	smtp_send(cfg, from_addr, r->to_addr, msg.data, msg.len, &res);
	buf_free(&msg);
	if (res.ok) {
		log_event(LOG_INFO, "mail_sent", "outbox %lld delivered", (long long)r->id);
		return mark_sent(d, r, c->token, c->now);
	}
	res.permanent = res.permanent || r->attempts + 1 >= cfg->mailer_max_attempts;
	log_event(LOG_WARN, res.permanent ? "mail_failed" : "mail_retry", "outbox %lld attempt %ld: %s",
		  (long long)r->id, r->attempts + 1, res.error);
	if (res.permanent)
		return mark_failed(d, r, c->token, c->now, res.error);
	st = store_outbox_retry(d, r->id, c->token, c->now + backoff_s(r->attempts), res.error, &held);
	if (st == OR_OK && !held)
		claim_lost(r->id);
	return st;
}

struct batch {
	arena *a;
	outbox_claim claim;
	outbox_row *rows;
	size_t n;
};

/* The claim alone, committed before any send: a lock conflict (another mailer, another node) runs it again. */
static or_status
claim_tx(db *d, void *ctx)
{
	struct batch *b = ctx;

	return store_outbox_claim(d, b->a, &b->claim, BATCH, &b->rows, &b->n);
}

/* 32 hex characters of random bytes: a claim token or a message key. */
static or_status
random_hex(char out[33])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char rnd[16];
	size_t i;
	or_status st = secret_random(rnd, sizeof(rnd));

	for (i = 0; st == OR_OK && i < 16; i++) {
		out[2 * i] = hex[rnd[i] >> 4];
		out[2 * i + 1] = hex[rnd[i] & 15];
	}
	out[32] = '\0';
	return st;
}

/*
 * Claim due rows, then deliver them; -1 when the database failed.  A claim
 * whose commit went unanswered (the database went away) may have committed:
 * the next round keeps its token and loads its rows instead of claiming new
 * ones, so they do not wait for the claim to end.
 */
static int
claim_and_deliver(const config *cfg, db *d, arena *a, const char *from_addr, int64_t now)
{
	static char token[33], key[33];
	static bool adopt;
	struct batch b = { a, { token, key, now, now + BATCH * (int64_t)cfg->mailer_timeout_s + LIMIT_OUTBOX_CLAIM_MARGIN_S,
				adopt }, NULL, 0 };
	or_status st = OR_OK;
	size_t i;

	if (!adopt && (random_hex(token) != OR_OK || random_hex(key) != OR_OK))
		return -1;
	if ((adopt = db_tx_run(d, claim_tx, &b) != OR_OK))
		return -1;
	for (i = 0; i < b.n; i++)
		if (deliver(cfg, d, &b.rows[i], &b.claim, from_addr) != OR_OK)
			st = OR_ERR_DB;
	return st == OR_OK ? (int)b.n : -1;
}

/* One round: the larger of requests decided and rows handled (BATCH: more may wait), -1 on a database error. */
static int
round_once(const config *cfg, db *d, arena *a, const char *from_addr)
{
	int64_t now = clock_wall_us() / 1000000;
	int decided, n;

	if (!record_unrecorded(d, now)) {
		log_event(LOG_WARN, "mailer_db", "marking %zu delivered mails: %s", n_unrecorded, db_last_error(d));
		return -1;
	}
	decided = reset_mail_round(cfg, d, a, now, BATCH);
	if (decided < 0)
		log_event(LOG_WARN, "mailer_db", "reset requests: %s", db_last_error(d));
	if ((n = claim_and_deliver(cfg, d, a, from_addr, now)) < 0) {
		log_event(LOG_WARN, "mailer_db", "%s", db_last_error(d));
		return -1;
	}
	return n > decided ? n : decided;
}

int
main(int argc, char **argv)
{
	const char *path = NULL;
	char err[512], from_addr[256];
	struct sigaction sa;
	config cfg;
	arena *a;
	db *d;
	int64_t next_sweep_ms = 0;

	if (argc == 3 && strcmp(argv[1], "-c") == 0)
		path = argv[2];
	else if (argc != 1) {
		fputs("usage: onramp-mailer [-c CONFIG]\n  Delivers queued mail (the outbox) over SMTP until SIGTERM.\n",
		      argc == 2 && strcmp(argv[1], "--help") == 0 ? stdout : stderr);
		return argc == 2 && strcmp(argv[1], "--help") == 0 ? 0 : 2;
	}
	if (config_load(&cfg, path, err, sizeof(err)) != OR_OK) {
		fprintf(stderr, "onramp-mailer: config: %s\n", err);
		return 1;
	}
	if (mailtext_address(cfg.mail_from, from_addr, sizeof(from_addr)) != OR_OK) {
		fprintf(stderr, "onramp-mailer: mail_from has no usable address\n");
		return 1;
	}
	log_init(2, "onramp-mailer");
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (smtp_global_init() != OR_OK || (a = arena_new(LIMIT_ARENA_BYTES)) == NULL || (d = db_new(&cfg)) == NULL)
		return 1;
	log_event(LOG_INFO, "started", "delivering to %s every %d ms", cfg.smtp_url, cfg.mailer_poll_ms);
	/* Ready = configured and looping; a database that is down is the loop's to retry. */
	notify_ready();
	while (!stopping) {
		int n;
		int64_t now_ms;

		db_request_start(d);	/* a round is a unit of work: redial once after a restart */
		n = round_once(&cfg, d, a, from_addr);
		now_ms = clock_mono_ms();

		/* Housekeeping rides along: dead sessions, spent throttles and resets. */
		if (now_ms >= next_sweep_ms) {
			/* Throttle rows serve sign-in and reset limits: keep them for the longer window. */
			if (store_session_sweep(d, clock_wall_us() / 1000000, cfg.session_idle_timeout_s,
						cfg.login_window_s > cfg.reset_window_s ? cfg.login_window_s
											: cfg.reset_window_s) != OR_OK)
				log_event(LOG_WARN, "sweep_failed", "%s", db_last_error(d));
			/* Idempotency keys past their day, in short batches that hold no lock for long. */
			if (store_idem_sweep(d, clock_wall_us() / 1000000 - LIMIT_IDEM_TTL_S, NULL) != OR_OK)
				log_event(LOG_WARN, "sweep_failed", "idempotency keys: %s", db_last_error(d));
			/* Pending SSO requests a day past their 10 minutes. */
			if (store_sso_pending_sweep(d, clock_wall_us() / 1000000 - LIMIT_SSO_PENDING_KEEP_S, NULL) != OR_OK)
				log_event(LOG_WARN, "sweep_failed", "pending SSO requests: %s", db_last_error(d));
			next_sweep_ms = now_ms + 60000;
		}
		arena_reset(a);
		if (n < BATCH && !stopping) {
			struct timespec t = { cfg.mailer_poll_ms / 1000, (long)(cfg.mailer_poll_ms % 1000) * 1000000L };
			nanosleep(&t, NULL);
		}
	}
	notify_stopping();
	log_event(LOG_INFO, "stopped", "mailer exiting");
	db_free(d);
	arena_free(a);
	return 0;
}
