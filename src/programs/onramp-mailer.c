/*
 * onramp-mailer: delivers the outbox.  Each round claims due rows with
 * FOR UPDATE SKIP LOCKED (so several mailers may run), sends each over SMTP,
 * and records the outcome in the same transaction: sent (body discarded),
 * retry later with exponential backoff, or failed for good.  A row is only
 * ever marked after its attempt, so nothing acknowledged is lost; a crash
 * between sending and committing means the mail may go out twice, never zero
 * times.  A database that goes away mid-round is no crash: the mailer keeps
 * the ids of the mails the server took and marks them sent before it claims
 * anything again (`unrecorded`).  A mail given up on is blanked too, and the
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
#include "onramp/reset_mail.h"
#include "onramp/smtp.h"
#include "onramp/sso_signin_store.h"
#include "onramp/store.h"

#define BATCH 10
#define BACKOFF_BASE_S 5
#define BACKOFF_MAX_S 3600

static volatile sig_atomic_t stopping;

/*
 * Mails the SMTP server accepted in a round whose transaction was then lost
 * (the database went away before the commit, so the rows are pending again).
 * They are marked sent before the next claim: without this a database
 * restart sent each of them a second time (tests/integration/test_faults.py).
 * One round's worth at most, since no round runs while any is left.
 */
static int64_t unrecorded[BATCH];
static size_t n_unrecorded;

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

/* Mark the mails of a lost round sent (autocommit); false while the database still fails. */
static bool
record_unrecorded(db *d, int64_t now)
{
	while (n_unrecorded > 0) {
		if (store_outbox_sent(d, unrecorded[n_unrecorded - 1], now) != OR_OK)
			return false;
		n_unrecorded--;
	}
	return true;
}

static or_status
deliver(const config *cfg, db *d, const outbox_row *r, const char *from_addr, int64_t now)
{
	or_buf msg;
	smtp_result res;
	or_status st;

	buf_init(&msg, 8u * 1024u * 1024u);
	st = mailtext_compose(cfg->mail_from, r->to_addr, r->subject, r->body_text, r->body_html, now,
			      "onramp.invalid", &msg);
	if (st != OR_OK) {
		buf_free(&msg);
		log_event(LOG_ERROR, "mail_compose_failed", "outbox %lld: %s", (long long)r->id, status_name(st));
		return store_outbox_failed(d, r->id, now, "could not compose the message");
	}
	db_unit_mark_external(d);	/* a mail went (or may have gone) out: never run this round's transaction again */
	smtp_send(cfg, from_addr, r->to_addr, msg.data, msg.len, &res);
	buf_free(&msg);
	if (res.ok) {
		log_event(LOG_INFO, "mail_sent", "outbox %lld delivered", (long long)r->id);
		unrecorded[n_unrecorded++] = r->id;	/* forgotten again once the round commits */
		return store_outbox_sent(d, r->id, now);
	}
	res.permanent = res.permanent || r->attempts + 1 >= cfg->mailer_max_attempts;
	log_event(LOG_WARN, res.permanent ? "mail_failed" : "mail_retry", "outbox %lld attempt %ld: %s",
		  (long long)r->id, r->attempts + 1, res.error);
	if (res.permanent)
		return store_outbox_failed(d, r->id, now, res.error);
	return store_outbox_retry(d, r->id, now + backoff_s(r->attempts), res.error);
}

struct batch {
	const config *cfg;
	arena *a;
	const char *from_addr;
	int64_t now;
	size_t n;
};

/* Claim due rows and deliver them; a lock conflict before the first send runs it again (db_tx_run). */
static or_status
claim_and_deliver(db *d, void *ctx)
{
	struct batch *b = ctx;
	outbox_row *rows;
	size_t i;
	or_status st = store_outbox_claim(d, b->a, b->now, BATCH, &rows, &b->n);

	for (i = 0; st == OR_OK && i < b->n; i++)
		st = deliver(b->cfg, d, &rows[i], b->from_addr, b->now);
	return st;
}

/* One round: the larger of requests decided and rows handled (BATCH: more may wait), -1 on a database error. */
static int
round_once(const config *cfg, db *d, arena *a, const char *from_addr)
{
	struct batch b = { cfg, a, from_addr, clock_wall_us() / 1000000, 0 };
	int decided;

	if (!record_unrecorded(d, b.now)) {
		log_event(LOG_WARN, "mailer_db", "marking %zu delivered mails: %s", n_unrecorded, db_last_error(d));
		return -1;
	}
	decided = reset_mail_round(cfg, d, a, b.now, BATCH);
	if (decided < 0)
		log_event(LOG_WARN, "mailer_db", "reset requests: %s", db_last_error(d));
	if (db_tx_run(d, claim_and_deliver, &b) != OR_OK) {
		log_event(LOG_WARN, "mailer_db", "%s", db_last_error(d));
		return -1;
	}
	n_unrecorded = 0;	/* the round committed: its mails are recorded as sent */
	return (int)b.n > decided ? (int)b.n : decided;
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
	log_event(LOG_INFO, "stopped", "mailer exiting");
	db_free(d);
	arena_free(a);
	return 0;
}
