/*
 * LeakSanitizer for forked children. A worker of onramp-fcgi and a runner of
 * onramp-fetcher end with _exit(), which skips LeakSanitizer's check at exit,
 * so in a sanitizer build (configure --enable-sanitizers) each runs the check
 * itself just before it exits; the report goes to stderr, which is the log the
 * integration harness scans. In other builds this does nothing.
 */
#ifndef ONRAMP_LEAKCHECK_H
#define ONRAMP_LEAKCHECK_H

/** The exit status of a child that found leaks (LeakSanitizer's own). */
#define LEAKCHECK_EXIT_STATUS 23

/**
 * Check a forked child for leaks before it calls _exit(rc); the status to
 * exit with: rc, or LEAKCHECK_EXIT_STATUS when a leak was reported
 * (logged as child_leaked). Always rc without LeakSanitizer.
 */
int leakcheck_child_exit(int rc);

#endif
