/*
 * onramp-fetcher: runs the outbound work that request workers must never
 * wait on (DESIGN.md): today, SSO validation jobs (sql/010).  A supervisor
 * forks fetcher_jobs runners, the overall cap on concurrent fetches, and
 * restarts one that dies.  Each runner claims one job at a time with a
 * conditional UPDATE (the affected rows decide, so several runners and
 * several hosts may share the queue), fetches and checks the documents,
 * and stores the report, its audit row and the job's end in one
 * transaction.  A runner that dies mid-job leaves its lease to expire; the
 * job is then claimed again, up to fetcher_max_attempts claims.  One JSON
 * log line per job: ids, outcome, verdict and duration, never a document.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "onramp/arena.h"
#include "onramp/clock.h"
#include "onramp/config.h"
#include "onramp/db.h"
#include "onramp/fetch.h"
#include "onramp/leakcheck.h"
#include "onramp/limits.h"
#include "onramp/log.h"
#include "onramp/notify.h"
#include "onramp/setup_store.h"
#include "onramp/sso_jobs.h"
#include "onramp/sso_store.h"
#include "onramp/sso_validate.h"
#include "onramp/store.h"

#define RESPAWN_DELAY_MS 1000

static volatile sig_atomic_t stopping;
/* The supervisor's runners, for the signal handler (a runner clears its copy). */
static pid_t kids[LIMIT_FETCHER_JOBS];

/* Stop; in the supervisor, pass it on at once, so no wait for a runner can miss the signal. */
static void
on_term(int sig)
{
	size_t i;

	(void)sig;
	stopping = 1;
	for (i = 0; i < LIMIT_FETCHER_JOBS; i++)
		if (kids[i] > 0)
			kill(kids[i], SIGTERM);
}

static void
sleep_ms(long ms)
{
	struct timespec t = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&t, NULL);
}

static int64_t
wall_s(void)
{
	return clock_wall_us() / 1000000;
}

/*
 * Pasted XML that validation refused for a secret is not kept, as PUT /sso
 * would not have kept it: the report says "refused and not stored".  (Only
 * XML stored before PUT scanned it as validation does can get here.)  The
 * draft moves to a new version without it, and the job with it.
 */
static or_status
refuse_pasted(db *d, sso_job *j, const sso_draft *dr, const sso_report *r, audit_entry *e)
{
	const sso_check *c = sso_report_find(r, "saml.secret");
	int64_t version = j->version;
	or_status st;

	if (dr->metadata_xml == NULL || c == NULL || c->ok)
		return OR_OK;
	if ((st = store_sso_metadata_purge(d, j->customer_id, &version)) == OR_OK &&
	    (st = store_review_supersede(d, j->customer_id, "sso")) == OR_OK &&
	    (st = store_sso_job_move(d, j, version)) == OR_OK) {
		audit_entry refused = *e;
		refused.action = "sso.metadata_refused";
		refused.after_json = NULL;
		st = store_audit_add(d, &refused);
	}
	return st;
}

struct outcome {
	const sso_job *job;
	const sso_draft *dr;
	const sso_report *r;
	json_object *rep;
	const char *resolved;
	int64_t now;
	audit_entry *e;
};

/* The report, its audit row and the job's end in one transaction (db_tx_run runs it again after a deadlock). */
static or_status
save_outcome(db *d, void *ctx)
{
	const struct outcome *o = ctx;
	sso_job j = *o->job;	/* refuse_pasted moves it on: each attempt starts from the claimed job */
	or_status st = refuse_pasted(d, &j, o->dr, o->r, o->e);

	if (st == OR_OK)
		st = store_sso_report_save(d, j.customer_id, j.version,
				   json_object_to_json_string_ext(o->rep, JSON_C_TO_STRING_PLAIN), o->r->ok,
				   sso_validate_earliest_cert(o->r), o->resolved);
	if (st == OR_OK)
		st = store_audit_add(d, o->e);
	if (st == OR_OK)
		st = store_sso_job_finish(d, &j, true, o->r->ok, NULL, NULL, o->now);
	return st;
}

/* The report, its audit row and the job's end: all or nothing. */
static or_status
store_outcome(db *d, const sso_job *job, const sso_draft *dr, const sso_report *r, json_object *rep,
	      const char *resolved, int64_t now)
{
	char after[96], oid[24];
	const sso_job *j = job;
	audit_entry e;
	struct outcome o;

	snprintf(after, sizeof(after), "{\"version\":%lld,\"ok\":%s}", (long long)j->version, r->ok ? "true" : "false");
	snprintf(oid, sizeof(oid), "%lld", (long long)j->id);
	memset(&e, 0, sizeof(e));
	e.actor_type = ACTOR_SYSTEM;
	e.actor_label = "onramp-fetcher";
	e.customer_id = j->customer_id;
	e.action = r->ok ? "sso.validated" : "sso.validation_failed";
	e.object_type = "sso_validation";
	e.object_id = oid;
	e.after_json = after;
	e.request_id = j->request_id;
	o.job = j;
	o.dr = dr;
	o.r = r;
	o.rep = rep;
	o.resolved = resolved;
	o.now = now;
	o.e = &e;
	return db_tx_run(d, save_outcome, &o);
}

/* The draft moved on (or the claim was lost): queue again for a newer version, else superseded. */
static const char *
settle(db *d, const sso_job *j, int64_t now)
{
	bool requeued = false;

	if (store_sso_job_settle(d, j, now, &requeued) != OR_OK)
		return "db_error";
	return requeued ? "requeued" : "superseded";
}

/* Run one claimed job to its end; fills the log line's outcome. */
static void
run_job(const config *cfg, db *d, arena *a, const sso_job *j, int64_t now, log_job_line *line)
{
	sso_report *r = arena_calloc(a, 1, sizeof(*r));
	sso_config resolved;
	json_object *rep;
	sso_draft dr;
	or_status st = r ? store_sso_draft_get(d, a, j->customer_id, &dr) : OR_ERR_NOMEM;

	if (st != OR_OK) {
		line->outcome = "db_error";
		return;
	}
	if (dr.version != j->version || dr.protocol == NULL ||
	    (strcmp(dr.protocol, "saml") != 0 && strcmp(dr.protocol, "oidc") != 0)) {
		line->outcome = settle(d, j, now);
		return;
	}
	sso_validate_run(cfg, a, &dr, now, r, &resolved);
	now = wall_s();
	rep = sso_validate_report_json(r, now);
	st = store_outcome(d, j, &dr, r, rep, r->ok ? sso_config_json(a, &resolved) : NULL, now);
	json_object_put(rep);
	line->ok = r->ok;
	if (st == OR_OK)
		line->outcome = "done";
	else if (st == OR_ERR_VERSION || st == OR_ERR_CONFLICT)
		line->outcome = settle(d, j, now);
	else
		line->outcome = "db_error";	/* the lease runs out and another claim retries it */
}

/* One round of a runner: true when it ran a job (look again at once). */
static bool
runner_round(const config *cfg, db *d, arena *a)
{
	int64_t now = wall_s(), t0 = clock_mono_us();
	unsigned long long gave_up = 0;
	log_job_line line;
	sso_job j;

	if (store_sso_job_give_up(d, now, cfg->fetcher_max_attempts, &gave_up) != OR_OK ||
	    store_sso_job_claim(d, a, now, cfg->fetcher_lease_s, cfg->fetcher_max_attempts, &j) != OR_OK) {
		log_event(LOG_WARN, "fetcher_db", "%s", db_last_error(d));
		return false;
	}
	if (gave_up)
		log_event(LOG_WARN, "jobs_given_up", "%llu validation job(s) failed after %d claims", gave_up,
			  cfg->fetcher_max_attempts);
	if (j.id == 0)
		return false;
	memset(&line, 0, sizeof(line));
	line.kind = "sso_validation";
	line.job_id = j.id;
	line.customer_id = j.customer_id;
	line.version = j.version;
	line.attempt = j.attempts;
	line.ok = -1;
	line.request_id = j.request_id;
	run_job(cfg, d, a, &j, now, &line);
	line.duration_us = clock_mono_us() - t0;
	log_job(&line);
	return true;
}

static int
runner_main(const config *cfg, pid_t parent)
{
	arena *a;
	db *d;

	memset(kids, 0, sizeof(kids));
	/* A runner must not outlive its supervisor: it finishes the job in hand and stops. */
	(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		return 0;
	log_after_fork();
	if ((a = arena_new(LIMIT_ARENA_BYTES)) == NULL || (d = db_new(cfg)) == NULL)
		return 1;
	while (!stopping) {
		bool busy = runner_round(cfg, d, a);
		arena_reset(a);
		if (!busy && !stopping)
			sleep_ms(cfg->fetcher_poll_ms);
	}
	db_free(d);
	arena_free(a);
	return 0;
}

static pid_t
spawn(const config *cfg)
{
	pid_t parent = getpid(), pid = fork();

	if (pid == 0)
		_exit(leakcheck_child_exit(runner_main(cfg, parent)));
	if (pid < 0)
		log_event(LOG_ERROR, "fork_failed", "%s", strerror(errno));
	return pid;
}

/* Keep fetcher_jobs runners alive until SIGTERM, then stop them and wait. */
static int
supervise(const config *cfg)
{
	int n = cfg->fetcher_jobs, i, status;

	for (i = 0; i < n; i++)
		kids[i] = spawn(cfg);
	notify_ready();
	while (!stopping) {
		pid_t pid = waitpid(-1, &status, 0);
		if (pid < 0) {
			if (errno != EINTR)
				sleep_ms(RESPAWN_DELAY_MS);
			continue;
		}
		for (i = 0; i < n; i++)
			if (kids[i] == pid) {
				log_event(LOG_WARN, "runner_died", "runner %ld ended (status %d); starting another",
					  (long)pid, status);
				kids[i] = 0;
				sleep_ms(RESPAWN_DELAY_MS);
				kids[i] = stopping ? 0 : spawn(cfg);
			}
	}
	notify_stopping();
	for (i = 0; i < n; i++)
		if (kids[i] > 0)
			kill(kids[i], SIGTERM);
	while (waitpid(-1, &status, 0) > 0 || errno == EINTR)
		;
	return 0;
}

int
main(int argc, char **argv)
{
	const char *path = NULL;
	char err[512];
	struct sigaction sa;
	config cfg;

	if (argc == 3 && strcmp(argv[1], "-c") == 0)
		path = argv[2];
	else if (argc != 1) {
		fputs("usage: onramp-fetcher [-c CONFIG]\n  Runs SSO validation jobs (fetch and check IdP documents) "
		      "until SIGTERM.\n", argc == 2 && strcmp(argv[1], "--help") == 0 ? stdout : stderr);
		return argc == 2 && strcmp(argv[1], "--help") == 0 ? 0 : 2;
	}
	if (config_load(&cfg, path, err, sizeof(err)) != OR_OK) {
		fprintf(stderr, "onramp-fetcher: config: %s\n", err);
		return 1;
	}
	/* A lease shorter than a job's fetches would hand a live job to a second runner. */
	if ((long)cfg.fetcher_lease_s * 1000L < 2L * cfg.sso_fetch_timeout_ms + 1000L) {
		fprintf(stderr, "onramp-fetcher: fetcher_lease_s must exceed two fetches (2 x sso_fetch_timeout_ms) "
				"plus a second\n");
		return 1;
	}
	log_init(2, "onramp-fetcher");
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (fetch_global_init() != OR_OK)
		return 1;
	log_event(LOG_INFO, "started", "%d runners, polling every %d ms, lease %d s", cfg.fetcher_jobs,
		  cfg.fetcher_poll_ms, cfg.fetcher_lease_s);
	supervise(&cfg);
	log_event(LOG_INFO, "stopped", "fetcher exiting");
	return 0;
}
