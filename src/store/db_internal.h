/*
 * Private to src/store/db.c (connections, transactions) and
 * src/store/db_stmt.c (prepared statements): the structs and the helpers both
 * halves share.  Nothing outside the store includes this.
 */
#ifndef ONRAMP_STORE_DB_INTERNAL_H
#define ONRAMP_STORE_DB_INTERNAL_H

#include <stdbool.h>
#include <mysql.h>

#include "onramp/db.h"
#include "onramp/db_backoff.h"
#include "onramp/dbhosts.h"

#define DB_MAX_PARAMS 64
#define DB_COL_MAX (16u * 1024u * 1024u)
/* After a slow failed connect, fail fast for this long instead of re-dialling. */
#define DB_RETRY_GAP_MS 250
/* A failed dial at least this slow (a timeout, not a refusal) starts the gap. */
#define DB_SLOW_DIAL_MS 100

struct db_stmt {
	db *owner;
	const char *sql;
	size_t sql_len;		/* for uncached statements */
	MYSQL_STMT *st;
	unsigned nparams, ncols;
	MYSQL_BIND params[DB_MAX_PARAMS];
	long long ints[DB_MAX_PARAMS];
	unsigned long plen[DB_MAX_PARAMS];
	my_bool pnull[DB_MAX_PARAMS];
	MYSQL_BIND *cols;
	char **colbuf;
	unsigned long *colcap, *collen;
	my_bool *colnull, *colerr;
	bool has_result;
	unsigned long long used_unit;	/* the unit of work (db_request_start) that last used it */
	unsigned long long used_tick;	/* when, for least-recently-used eviction */
};

struct db {
	const config *cfg;
	MYSQL *conn;
	bool in_tx;
	bool idle;		/* nothing of this request has run on the server yet */
	bool dial_failed;	/* the last failure was a connect, not a dead connection */
	long long retry_at_ms;
	char user[128];
	char password[256];
	bool creds_loaded;
	char err[256];
	unsigned last_errno;
	db_stmt **cache;		/* cfg->db_statement_cache slots, keyed by SQL address */
	size_t ncache, cache_cap;
	unsigned long long unit, tick;
	db_counters counters;
	db_unit unit_facts;	/* what this unit of work did (db_retry_next) */
	void (*hook)(void *);
	void *hook_ctx;
	db_backoff *bo;		/* the back-off state: the master's shared page, or own_bo */
	db_backoff *own_bo;
	int64_t call_ms;	/* when the current call passed db_gate (0 = none): how long a failure took */
	MYSQL *probe;		/* /readyz's connection, non-blocking (db_probe.c) */
	MYSQL_STMT *probe_st;
	dbhosts hosts;		/* the entries to dial (db_hosts or the single server), loaded on first dial */
	bool hosts_loaded;
	dbhosts_state hstate;	/* which entries are passed over, until when (shared by requests and probe) */
	uint32_t hosts_down;	/* bit per entry last seen failing: logs once per transition */
	size_t host_cur;	/* the entry d->conn is connected to */
	size_t probe_cur;	/* the entry d->probe is connected to */
	bool probe_wsrep;	/* that entry is a Galera node: its readiness is checked on every probe */
};

/** Record an error (text copied, counters and hook updated). */
void db_note_error(db *d, unsigned no, const char *msg);
/** True for errors after which the connection is useless. */
bool db_is_conn_error(unsigned no);
/**
 * True when the failure just noted may be retried once on a new connection:
 * the connection died (not a failed dial) before anything of this request
 * ran on the server, so no transaction and no write can be lost or repeated.
 */
bool db_may_retry(const db *d, bool was_in_tx);
/** Close the connection and invalidate every cached statement handle. */
void db_drop_connection(db *d);
/** Free a statement and its column buffers. */
void db_stmt_destroy(db_stmt *s);
/** Free a statement's column buffers. */
void db_stmt_free_cols(db_stmt *s);

/** Load the entry list once (db_hosts or the single server); OR_ERR_INVALID with d->err set. */
or_status db_hosts_load(db *d);
/** True when an entry before cur may be dialled again (its skip time passed): time to go back to it. */
bool db_hosts_better(const db *d, size_t cur, int64_t now_ms);
/** Error no on the request connection: a node refusing queries (1047) is passed over by the redial. */
void db_hosts_conn_error(db *d, unsigned no);
/** Between units of work: drop a connection to a later entry when an earlier one may be dialled again. */
void db_hosts_rehome(db *d);
/** Record the outcome of a dial of entry i (skip time, one log line per up/down transition). */
void db_hosts_note(db *d, size_t i, bool ok, const char *why);
/** The readiness statement run on every new connection (one round trip). */
const char *db_ready_sql(void);
/** Read the readiness statement's buffered row: true when the node is ready, else why says what it is. */
bool db_ready_row(MYSQL_RES *res, bool *wsrep_on, char *why, size_t whysz);

/** Set the options every dial uses (timeouts, no auto-reconnect, utf8mb4) on m. */
void db_dial_options(const db *d, MYSQL *m);
/** Load the credentials file once; OR_ERR_IO with d->err set when it cannot be read. */
or_status db_credentials(db *d);
/**
 * Every call that talks to the server passes here first: OR_OK to go ahead,
 * else OR_ERR_DB at once during a back-off (db_backoff.c).  Runs the trial
 * when the back-off is over and this caller claims it.
 */
or_status db_gate(db *d);
/** A connection error no was just noted: if the call took a timeout's time, start the back-off. */
void db_backoff_note(db *d, unsigned no);
/** True while calls are refused (the back-off has time left or awaits its trial). */
bool db_backoff_active(const db *d);
/** The outcome r of a trial probe: an answer or a refusal ends the back-off, a timeout starts a new one. */
void db_backoff_settle(db *d, db_probe_result r);
/** Run the probe query within timeout_ms on the probe connection (no back-off logic). */
db_probe_result db_probe_answer(db *d, int timeout_ms, unsigned *version);
/** Close the probe connection. */
void db_probe_close(db *d);

#endif
