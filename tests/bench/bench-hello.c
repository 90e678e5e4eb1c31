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

#include "prefork.h"

static const char REPLY[] =
	"Status: 200 OK\r\n"
	"Content-Type: application/json\r\n"
	"\r\n"
	"{\"status\":\"ok\"}";

/* A worker: accept, answer, finish, until the parent goes away. */
static int
worker(int lfd, long index, long n)
{
	FCGX_Request req;

	(void)index;
	(void)n;
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

int
main(int argc, char **argv)
{
	return prefork_main("bench-hello", argc, argv, worker);
}
