/*
 * The FastCGI server: a master that owns the listening socket and preforks
 * workers, and the worker accept loop.  The master respawns dead workers with
 * backoff, reloads config and rolls workers on SIGHUP, and drains on SIGTERM.
 */
#ifndef ONRAMP_SERVER_H
#define ONRAMP_SERVER_H

#include "onramp/config.h"
#include "onramp/db_backoff.h"
#include "onramp/metrics.h"

/** Open the listening socket described by cfg->listen; -1 on failure (logged). */
int server_listen(const config *cfg);

/**
 * Run the master until SIGTERM/SIGINT; returns the process exit code.
 * config_path is re-read on SIGHUP (NULL = defaults and environment only).
 */
int server_master_run(const char *config_path, config *cfg);

/** A worker's loop: serve requests on listen_fd until told to stop; bo is the back-off state all workers share. */
int server_worker_run(const config *cfg, int listen_fd, metrics *m, db_backoff *bo);

#endif
