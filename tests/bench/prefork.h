/*
 * The prefork skeleton the bare benchmark programs share: listen on a unix
 * socket, fork N workers, wait for SIGTERM/SIGINT, stop them.  Each program
 * supplies only what a worker does per request.
 */
#ifndef ONRAMP_BENCH_PREFORK_H
#define ONRAMP_BENCH_PREFORK_H

/** A worker's life, called in the child after signals and parent-death are set; index is 0..n-1. */
typedef int (*prefork_worker)(int lfd, long index, long n);

/** Run "PROG SOCKET NWORKERS": returns the process exit code. */
int prefork_main(const char *prog, int argc, char **argv, prefork_worker worker);

#endif
