/*
 * Shared prefork skeleton of the bare benchmark programs (see prefork.h).
 * Children that exit on their own are not restarted: the bench would notice.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "prefork.h"

#define MAX_WORKERS 256
#define BACKLOG 1024

static volatile sig_atomic_t stop_requested;

static void
on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static int
parse_workers(const char *s, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 1 || v > MAX_WORKERS)
		return -1;
	*out = v;
	return 0;
}

static void
stop_children(const pid_t *kids, long n)
{
	long i;

	for (i = 0; i < n; i++)
		if (kids[i] > 0)
			(void)kill(kids[i], SIGTERM);
	while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
		;
}

/* In the child: default signals, die with the parent, then the worker. */
static int
child(prefork_worker worker, pid_t parent, int lfd, long index, long n)
{
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		return 0;
	return worker(lfd, index, n);
}

int
prefork_main(const char *prog, int argc, char **argv, prefork_worker worker)
{
	pid_t kids[MAX_WORKERS];
	struct sigaction sa;
	pid_t parent = getpid();
	long n, i;
	int lfd;

	if (argc != 3 || parse_workers(argv[2], &n) != 0) {
		fprintf(stderr, "usage: %s SOCKET NWORKERS (1..%d)\n", prog, MAX_WORKERS);
		return 2;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	(void)unlink(argv[1]);
	lfd = FCGX_OpenSocket(argv[1], BACKLOG);
	if (lfd < 0) {
		fprintf(stderr, "%s: cannot listen on %s\n", prog, argv[1]);
		return 1;
	}
	/* nginx workers may run as another user; this socket guards nothing. */
	if (chmod(argv[1], 0666) != 0)
		fprintf(stderr, "%s: chmod %s: %s\n", prog, argv[1], strerror(errno));

	for (i = 0; i < n; i++) {
		kids[i] = fork();
		if (kids[i] == 0)
			_exit(child(worker, parent, lfd, i, n));
		if (kids[i] < 0) {
			fprintf(stderr, "%s: fork: %s\n", prog, strerror(errno));
			stop_children(kids, i);
			return 1;
		}
	}
	while (!stop_requested) {
		if (waitpid(-1, NULL, 0) < 0 && errno == ECHILD)
			break;
	}
	stop_children(kids, n);
	(void)unlink(argv[1]);
	return 0;
}
