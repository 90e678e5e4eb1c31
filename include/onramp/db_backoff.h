/*
 * Failing fast while the database hangs.  A call that times out (a statement
 * that got no answer within db_read_timeout_s, a dial whose handshake got none
 * within db_connect_timeout_s) starts a back-off of db_backoff_s in which
 * every database call fails at once (OR_ERR_DB, 503 with Retry-After = the
 * time left) instead of joining the hang.  When it is over, one caller runs a
 * trial (a probe bounded by the connect timeout); success ends the back-off,
 * failure starts a new one.  The state lives in a shared page that the master
 * maps before fork, so one worker's timeout spares all the others; a process
 * without a master (mailer, fetcher, onrampctl) keeps its own.
 *
 * /readyz never waits on the request connection: db_probe_schema() asks on a
 * second connection driven by Connector/C's non-blocking API against a
 * deadline (db_probe_timeout_ms), so it answers within it whatever the
 * server does.
 */
#ifndef ONRAMP_DB_BACKOFF_H
#define ONRAMP_DB_BACKOFF_H

#include <stdbool.h>
#include <stdint.h>
#include "onramp/db.h"

typedef struct db_backoff db_backoff;

/** What a caller may do now. */
typedef enum db_backoff_verdict {
	DB_BACKOFF_GO = 0,	/* no back-off: call the database */
	DB_BACKOFF_REFUSE,	/* in back-off, or another caller runs the trial: fail at once */
	DB_BACKOFF_TRIAL	/* the back-off is over and this caller runs the one trial */
} db_backoff_verdict;

/** Figures for /metrics, shared by every worker of a master. */
typedef struct db_backoff_stats {
	uint64_t timeouts;	/* calls that timed out and failed trials (each started a back-off) */
	uint64_t refused;	/* calls that failed at once during a back-off */
	int64_t left_ms;	/* back-off left now (0 = none) */
} db_backoff_stats;

/** Map a zeroed state shared with children forked later; NULL on failure. */
db_backoff *db_backoff_new(void);
/** Unmap the state. */
void db_backoff_free(db_backoff *b);
/** Whether a call may go ahead at now_ms; a trial claim holds for trial_ms (a trial that dies frees it). */
db_backoff_verdict db_backoff_admit(db_backoff *b, int64_t now_ms, int64_t trial_ms);
/** A call timed out (or a trial failed) at now_ms: fail fast for len_ms; counted. */
void db_backoff_start(db_backoff *b, int64_t now_ms, int64_t len_ms);
/** The database answered a trial: calls go ahead again. */
void db_backoff_end(db_backoff *b);
/** Count a call refused during the back-off. */
void db_backoff_count_refusal(db_backoff *b);
/** Back-off left at now_ms: 0 when none; 1 when it is over but its trial has not ended it yet. */
int64_t db_backoff_left_ms(const db_backoff *b, int64_t now_ms);
/** The counters and the time left. */
db_backoff_stats db_backoff_get_stats(const db_backoff *b, int64_t now_ms);

/** Share b (the master's page) instead of the handle's own state; NULL goes back to its own. */
void db_set_backoff(db *d, db_backoff *b);
/** The state d uses (its own or the shared one). */
db_backoff *db_get_backoff(const db *d);
/** Retry-After for a database failure: the back-off left in whole seconds (at least 1), else def_s. */
int db_retry_after_s(const db *d, int def_s);

/** What db_probe_schema found. */
typedef enum db_probe_result {
	DB_PROBE_OK = 0,	/* *version is the schema version (0 without the table) */
	DB_PROBE_FAILED,	/* the server refused or the connection broke */
	DB_PROBE_TIMEOUT,	/* no answer within db_probe_timeout_ms */
	DB_PROBE_BACKOFF	/* in back-off after a timeout: the server was not asked */
} db_probe_result;

/**
 * Read the schema version on the probe connection (opened on first use)
 * within cfg->db_probe_timeout_ms.  In a back-off it answers
 * DB_PROBE_BACKOFF without asking; once the back-off is over, its answer is
 * the trial (an answer ends the back-off, none starts a new one).
 */
db_probe_result db_probe_schema(db *d, unsigned *version);
/** The db_hosts entry the probe's connection answered on ("" when it has none): for /readyz. */
const char *db_probe_host(const db *d);

#endif
