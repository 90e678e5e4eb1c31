/*
 * bench-hello: the smallest useful prefork libfcgi program, the ceiling that
 * onramp's /healthz is measured against (docs/performance.md).  It opens a
 * unix socket, forks NWORKERS children that each answer every request with a
 * fixed JSON body, and waits.  SIGTERM or SIGINT to the parent stops the
 * children (forwarded, and PR_SET_PDEATHSIG covers a parent killed outright).
 *
 * usage: bench-hello SOCKET NWORKERS
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

#define MAX_WORKERS 256
#define BACKLOG 1024

static const char REPLY[] =
	"Status: 200 OK\r\n"
	"Content-Type: application/json\r\n"
	"\r\n"
	"{\"status\":\"ok\"}";

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

/* A worker: accept, answer, finish, until the parent goes away. */
static int
worker(int lfd, pid_t parent)
{
	FCGX_Request req;

	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		return 0;
	if (FCGX_Init() != 0 || FCGX_InitRequest(&req, lfd, 0) != 0) {
		fprintf(stderr, "bench-hello: libfcgi init failed\n");
		return 1;
	}
	while (FCGX_Accept_r(&req) >= 0) {
		(void)FCGX_PutStr(REPLY, (int)sizeof(REPLY) - 1, req.out);
		FCGX_Finish_r(&req);
	}
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

int
main(int argc, char **argv)
{
	pid_t kids[MAX_WORKERS];
	struct sigaction sa;
	pid_t parent = getpid();
	long n, i;
	int lfd;

	if (argc != 3 || parse_workers(argv[2], &n) != 0) {
		fprintf(stderr, "usage: bench-hello SOCKET NWORKERS (1..%d)\n", MAX_WORKERS);
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
		fprintf(stderr, "bench-hello: cannot listen on %s\n", argv[1]);
		return 1;
	}
	/* nginx workers may run as another user; this socket guards nothing. */
	if (chmod(argv[1], 0666) != 0)
		fprintf(stderr, "bench-hello: chmod %s: %s\n", argv[1], strerror(errno));

	for (i = 0; i < n; i++) {
		kids[i] = fork();
		if (kids[i] == 0)
			_exit(worker(lfd, parent));
		if (kids[i] < 0) {
			fprintf(stderr, "bench-hello: fork: %s\n", strerror(errno));
			stop_children(kids, i);
			return 1;
		}
	}
	/* Children exiting on their own are not restarted: the bench would notice. */
	while (!stop_requested) {
		if (waitpid(-1, NULL, 0) < 0 && errno == ECHILD)
			break;
	}
	stop_children(kids, n);
	(void)unlink(argv[1]);
	return 0;
}
