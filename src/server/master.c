/*
 * The master process: owns the listening socket and the shared metrics,
 * preforks the workers and supervises them.  Signals are handled
 * synchronously with sigtimedwait(), so there is no async-signal code here.
 *   SIGCHLD  reap; respawn a current-generation worker, with exponential
 *            backoff while workers keep dying young (a crash loop never spins)
 *   SIGHUP   re-read config; start a new generation, then ask the old one to
 *            finish its in-flight requests and exit (the socket never closes)
 *   SIGTERM  ask every worker to drain, wait up to drain_timeout_s, then exit
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "onramp/app.h"
#include "onramp/clock.h"
#include "onramp/leakcheck.h"
#include "onramp/log.h"
#include "onramp/migration.h"
#include "onramp/notify.h"
#include "onramp/server.h"

#define MAX_SLOTS (2 * LIMIT_WORKERS_MAX)
/* A worker that dies sooner than this after start counts toward backoff. */
#define YOUNG_MS 2000
#define BACKOFF_MAX_MS 5000

struct slot {
	pid_t pid;		/* 0 = free */
	unsigned gen;
	long long started_ms;
};

struct master {
	config cfg;
	const char *config_path;
	int lfd;
	metrics *m;
	db_backoff *bo;		/* shared by every worker: one worker's database timeout spares the rest */
	struct slot slots[MAX_SLOTS];
	unsigned gen;
	int wanted;		/* workers of the current generation */
	int fast_deaths;	/* consecutive young deaths */
	long long respawn_at_ms;	/* 0 = nothing scheduled */
	bool stopping;
};

static int
count_gen(const struct master *ms, unsigned gen)
{
	int i, n = 0;

	for (i = 0; i < MAX_SLOTS; i++)
		if (ms->slots[i].pid && ms->slots[i].gen == gen)
			n++;
	return n;
}

static int
count_all(const struct master *ms)
{
	int i, n = 0;

	for (i = 0; i < MAX_SLOTS; i++)
		if (ms->slots[i].pid)
			n++;
	return n;
}

static void
spawn_one(struct master *ms)
{
	int i;
	pid_t pid;

	for (i = 0; i < MAX_SLOTS && ms->slots[i].pid; i++)
		;
	if (i == MAX_SLOTS)
		return;
	pid = fork();
	if (pid < 0) {
		log_event(LOG_ERROR, "fork_failed", "%s", strerror(errno));
		return;
	}
	if (pid == 0) {
		/* The worker reads the config the master holds now (SIGHUP reloads it). */
		_exit(leakcheck_child_exit(server_worker_run(&ms->cfg, ms->lfd, ms->m, ms->bo)));
	}
	ms->slots[i].pid = pid;
	ms->slots[i].gen = ms->gen;
	ms->slots[i].started_ms = clock_mono_ms();
}

static void
spawn_missing(struct master *ms)
{
	int have = count_gen(ms, ms->gen);

	while (have++ < ms->wanted)
		spawn_one(ms);
	metrics_set_workers(ms->m, count_all(ms));
}

static void
signal_gen(struct master *ms, bool all, unsigned gen, int sig)
{
	int i;

	for (i = 0; i < MAX_SLOTS; i++)
		if (ms->slots[i].pid && (all || ms->slots[i].gen == gen))
			kill(ms->slots[i].pid, sig);
}

/* Note a dead worker and decide when its replacement starts. */
static void
on_death(struct master *ms, struct slot *s, int status)
{
	bool clean = WIFEXITED(status) && WEXITSTATUS(status) == 0;
	long long lived = clock_mono_ms() - s->started_ms, delay;
	bool current = s->gen == ms->gen;

	s->pid = 0;
	if (ms->stopping || !current)
		return;
	if (!clean) {
		metrics_worker_restart(ms->m);
		if (WIFSIGNALED(status))
			log_event(LOG_WARN, "worker_died", "worker killed by signal %d after %lld ms",
				  WTERMSIG(status), lived);
		else
			log_event(LOG_WARN, "worker_died", "worker exited with status %d after %lld ms",
				  WEXITSTATUS(status), lived);
	}
	ms->fast_deaths = lived < YOUNG_MS ? ms->fast_deaths + 1 : 0;
	delay = 0;
	if (ms->fast_deaths > 0) {
		int shift = ms->fast_deaths > 6 ? 6 : ms->fast_deaths - 1;
		delay = 100LL << shift;
		if (delay > BACKOFF_MAX_MS)
			delay = BACKOFF_MAX_MS;
	}
	if (delay)
		log_event(LOG_WARN, "respawn_backoff", "workers keep dying young; next start in %lld ms", delay);
	if (ms->respawn_at_ms == 0 || clock_mono_ms() + delay < ms->respawn_at_ms)
		ms->respawn_at_ms = clock_mono_ms() + delay;
}

static void
reap(struct master *ms)
{
	int status, i;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (i = 0; i < MAX_SLOTS; i++)
			if (ms->slots[i].pid == pid) {
				on_death(ms, &ms->slots[i], status);
				break;
			}
	}
	metrics_set_workers(ms->m, count_all(ms));
}

static void
reload(struct master *ms)
{
	config next;
	char err[512];
	unsigned old = ms->gen;

	if (config_load(&next, ms->config_path, err, sizeof(err)) != OR_OK) {
		log_event(LOG_ERROR, "reload_failed", "keeping the old config: %s", err);
		return;
	}
	if (strcmp(next.listen, ms->cfg.listen) != 0)
		log_event(LOG_WARN, "reload_listen_ignored", "changing listen needs a restart; keeping %s",
			  ms->cfg.listen);
	str_copy(next.listen, sizeof(next.listen), ms->cfg.listen);
	ms->cfg = next;
	ms->gen++;
	ms->wanted = config_worker_count(&ms->cfg);
	ms->fast_deaths = 0;
	spawn_missing(ms);
	/* Old workers finish what they hold, then exit; new ones already accept. */
	signal_gen(ms, false, old, SIGTERM);
	log_event(LOG_INFO, "reloaded", "generation %u with %d workers", ms->gen, ms->wanted);
}

static int
drain_and_exit(struct master *ms)
{
	long long deadline = clock_mono_ms() + (long long)ms->cfg.drain_timeout_s * 1000;
	sigset_t set;

	ms->stopping = true;
	signal_gen(ms, true, 0, SIGTERM);
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	while (count_all(ms) > 0 && clock_mono_ms() < deadline) {
		struct timespec t = { 0, 100 * 1000 * 1000 };
		(void)sigtimedwait(&set, NULL, &t);
		reap(ms);
	}
	if (count_all(ms) > 0) {
		log_event(LOG_WARN, "drain_timeout", "killing %d workers still busy", count_all(ms));
		signal_gen(ms, true, 0, SIGKILL);
		while (count_all(ms) > 0 && waitpid(-1, NULL, 0) > 0)
			reap(ms);
	}
	return 0;
}

static or_status
drop_privileges(const config *cfg)
{
	struct passwd *pw;

	if (getuid() != 0)
		return OR_OK;
	if (cfg->user[0] == '\0') {
		log_event(LOG_ERROR, "refuse_root", "running as root: set `user` so workers drop privileges");
		return OR_ERR_INVALID;
	}
	pw = getpwnam(cfg->user);
	if (pw == NULL) {
		log_event(LOG_ERROR, "no_such_user", "user %s does not exist", cfg->user);
		return OR_ERR_INVALID;
	}
	if (initgroups(pw->pw_name, pw->pw_gid) != 0 || setgid(pw->pw_gid) != 0 ||
	    setuid(pw->pw_uid) != 0 || setuid(0) == 0) {
		log_event(LOG_ERROR, "drop_privileges_failed", "%s", strerror(errno));
		return OR_ERR_INVALID;
	}
	return OR_OK;
}

static void
write_pid_file(const char *path)
{
	char buf[32];
	int fd, n;

	if (path[0] == '\0')
		return;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		log_event(LOG_WARN, "pid_file", "%s: %s", path, strerror(errno));
		return;
	}
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (n > 0 && write(fd, buf, (size_t)n) != n)
		log_event(LOG_WARN, "pid_file", "%s: short write", path);
	close(fd);
}

static void
run_loop(struct master *ms)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	for (;;) {
		struct timespec t = { 1, 0 };
		long long now = clock_mono_ms();
		int sig;

		if (ms->respawn_at_ms && ms->respawn_at_ms <= now) {
			ms->respawn_at_ms = 0;
			spawn_missing(ms);
		}
		if (ms->respawn_at_ms) {
			long long wait = ms->respawn_at_ms - now;
			t.tv_sec = wait / 1000;
			t.tv_nsec = (wait % 1000) * 1000000;
		}
		sig = sigtimedwait(&set, NULL, &t);
		if (sig == SIGCHLD)
			reap(ms);
		else if (sig == SIGHUP) {
			/* The manager hears the reload begin and end, whether or not the new config loads. */
			notify_reloading();
			reload(ms);
			notify_ready();
		} else if (sig == SIGTERM || sig == SIGINT)
			return;
	}
}

int
server_master_run(const char *config_path, config *cfg)
{
	static struct master ms;
	sigset_t set;
	size_t nroutes, nmig;

	memset(&ms, 0, sizeof(ms));
	ms.cfg = *cfg;
	ms.config_path = config_path;
	/* Computed once here so every forked worker shares the result. */
	if (migration_all(&nmig) == NULL) {
		log_event(LOG_ERROR, "migrations_broken", "compiled-in migrations are inconsistent");
		return 1;
	}
	(void)api_routes(&nroutes);
	(void)api_route_labels();
	ms.m = metrics_new(nroutes);
	ms.bo = db_backoff_new();
	if (ms.m == NULL || ms.bo == NULL)
		return 1;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	ms.lfd = server_listen(&ms.cfg);
	if (ms.lfd < 0)
		return 1;
	write_pid_file(ms.cfg.pid_file);
	if (drop_privileges(&ms.cfg) != OR_OK)
		return 1;
	ms.wanted = config_worker_count(&ms.cfg);
	log_event(LOG_INFO, "started", "listening on %s with %d workers, schema %u", ms.cfg.listen,
		  ms.wanted, migration_latest());
	spawn_missing(&ms);
	notify_ready();		/* the socket listens and the workers are forked */
	run_loop(&ms);
	notify_stopping();
	log_event(LOG_INFO, "stopping", "draining workers (up to %d s)", ms.cfg.drain_timeout_s);
	drain_and_exit(&ms);
	close(ms.lfd);
	if (ms.cfg.listen[0] == '/' || ms.cfg.listen[0] == '.')
		(void)unlink(ms.cfg.listen);
	if (ms.cfg.pid_file[0])
		(void)unlink(ms.cfg.pid_file);
	metrics_free(ms.m);
	db_backoff_free(ms.bo);
	log_event(LOG_INFO, "stopped", "all workers exited");
	return 0;
}
