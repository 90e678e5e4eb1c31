/*
 * The database connection of one process and the prepared-statement helper
 * every store function uses.  MariaDB is touched only through this module and
 * store/: statements are always prepared and bound (never built from input),
 * cached per connection by their SQL text's address, and a connection found
 * dead by the first statement of a request is re-opened within that request.
 * While the server is down calls fail with OR_ERR_DB (no hang past the
 * configured timeouts), and the HTTP layer answers 503 unavailable; data the
 * server refuses as the client's (db_error_status) is OR_ERR_INVALID, 400.
 */
#ifndef ONRAMP_DB_H
#define ONRAMP_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "onramp/config.h"
#include "onramp/status.h"
#include "onramp/str.h"

struct arena;

typedef struct db db;
typedef struct db_stmt db_stmt;

/** Counts the process has seen, for /metrics. */
typedef struct db_counters {
	uint64_t errors;	/* failures of the database (db_error_status() == OR_ERR_DB) */
	uint64_t reconnects;
} db_counters;

/** Create a handle (nothing connects until first use); NULL on ENOMEM. */
db *db_new(const config *cfg);
/** Close the connection and free the handle and its statements. */
void db_free(db *d);
/**
 * A request (or a unit of work) begins: its first statement may find the
 * connection dead after a server restart, and is then retried once on a new
 * connection.  Statements after one that ran are never retried.  The last
 * error is forgotten, and statements of earlier units may be evicted from the
 * full statement cache (db_statement_cache) to make room.
 */
void db_request_start(db *d);
/** Connect now if not connected; OR_ERR_DB when the server cannot be reached. */
or_status db_connect(db *d);
/** Round-trip to the server (reconnecting if needed). */
or_status db_ping(db *d);
/** The last error text (never contains bound values). */
const char *db_last_error(const db *d);
/**
 * Write the connection settings (user, password, the first database entry) to
 * fd as a MariaDB option file "[client]" group, for the client tools run by
 * onrampctl backup/restore; pass fd's path as their --defaults-file.
 */
or_status db_client_defaults(db *d, int fd);
/** The counters since start. */
db_counters db_get_counters(const db *d);
/** Hook called on every database error (metrics); ctx passed through. */
void db_set_error_hook(db *d, void (*hook)(void *ctx), void *ctx);

/**
 * Prepare sql (a string with static storage: the cache keys on its address).
 * The statement stays valid until the next db_prepare of the same sql, a
 * reconnect or the next db_request_start (a full cache may then evict it);
 * call db_stmt_done() when finished with its results.  OR_ERR_INTERNAL when
 * one unit of work runs more distinct statements than the cache holds.
 */
or_status db_prepare(db *d, const char *sql, db_stmt **out);
/**
 * Prepare SQL that is not a static string (assembled from fixed fragments,
 * e.g. a filter with a variable number of placeholders).  The statement is
 * not cached; release it with db_stmt_free().  sql must outlive it.
 */
or_status db_prepare_dynamic(db *d, const char *sql, db_stmt **out);
/** Release a statement from db_prepare_dynamic(). */
void db_stmt_free(db_stmt *s);

/** Bind a 64-bit integer to parameter idx (0-based). */
void db_bind_int(db_stmt *s, unsigned idx, long long v);
/** Bind text of n bytes (copied at execute time, must live until then). */
void db_bind_text(db_stmt *s, unsigned idx, const char *p, size_t n);
/** Bind a NUL-terminated string, or NULL for SQL NULL. */
void db_bind_cstr(db_stmt *s, unsigned idx, const char *p);
/** Bind SQL NULL. */
void db_bind_null(db_stmt *s, unsigned idx);
/** Execute with the bound parameters; results (if any) are buffered client-side. */
or_status db_execute(db_stmt *s);
/** Advance to the next row; *has_row false at the end. */
or_status db_fetch(db_stmt *s, bool *has_row);
/** Column col of the current row as text (valid until the next fetch); NULL view ptr for SQL NULL. */
or_str db_col(db_stmt *s, unsigned col);
/** Column col as an integer; def when NULL or not a number. */
long long db_col_int(db_stmt *s, unsigned col, long long def);
/** Column col as UNIX seconds from DATETIME text; 0 when NULL or unparsable. */
int64_t db_col_time(db_stmt *s, unsigned col);
/** Column col copied into the arena as a C string; NULL for SQL NULL. */
char *db_col_dup(db_stmt *s, unsigned col, struct arena *a);
/** Bind a UNIX time (seconds) for use as FROM_UNIXTIME(?). */
void db_bind_time(db_stmt *s, unsigned idx, int64_t t);
/** Run an already bound statement that returns at most one row; *found tells. */
or_status db_query_one(db_stmt *s, bool *found);

/** Rows changed by the last execute. */
unsigned long long db_affected(db_stmt *s);
/** AUTO_INCREMENT id of the last insert. */
unsigned long long db_insert_id(db_stmt *s);
/** Free the result set so the statement can run again. */
void db_stmt_done(db_stmt *s);

/** One bound argument for db_run()/db_scalar(). */
typedef struct db_arg {
	enum { DB_ARG_INT, DB_ARG_TEXT, DB_ARG_NULL } type;
	long long i;
	const char *s;
} db_arg;

/** An integer argument. */
#define DB_INT(v) ((db_arg){ DB_ARG_INT, (long long)(v), NULL })
/** A NUL-terminated text argument; NULL binds SQL NULL. */
#define DB_TEXT(v) ((db_arg){ (v) ? DB_ARG_TEXT : DB_ARG_NULL, 0, (v) })

/**
 * Prepare a statement with no result rows (sql static), bind args in order,
 * execute.  *affected (may be NULL) gets the rows changed.
 */
or_status db_run(db *d, const char *sql, const db_arg *args, size_t n, unsigned long long *affected);
/**
 * Run sql, a DELETE ending in "LIMIT <batch>", again and again (each run its
 * own statement) until a run deletes fewer than batch rows or after rounds
 * runs; *deleted (may be NULL) gets the total.
 */
or_status db_delete_batched(db *d, const char *sql, const db_arg *args, size_t n, unsigned long long batch,
			    int rounds, unsigned long long *deleted);
/** Run a query whose first row's first column is an integer: *out, or def when no row or NULL. */
or_status db_scalar(db *d, const char *sql, const db_arg *args, size_t n, long long def, long long *out);

/** Prepare, bind nothing, execute and discard: for parameterless statements. */
or_status db_exec_simple(db *d, const char *sql);
/** Like db_exec_simple for SQL text without static storage (migrations); not cached. */
or_status db_exec_uncached(db *d, const char *sql, size_t len);

/** Start a transaction. */
or_status db_begin(db *d);
/** Commit the transaction. */
or_status db_commit(db *d);
/** Roll the transaction back (safe to call when none is open). */
void db_rollback(db *d);
/** True between db_begin() and the db_commit()/db_rollback() that ends it. */
bool db_in_transaction(const db *d);

/** True when the last error was a duplicate key. */
bool db_last_was_duplicate(const db *d);
/** The server's error number of the last failure (0 when none). */
unsigned db_last_errno(const db *d);
/**
 * What a server error number means to the caller: OR_ERR_CONFLICT for a
 * duplicate key, OR_ERR_INVALID for data the client sent that the server
 * cannot compare or store (collations, string values, lengths, ranges: 400),
 * else OR_ERR_DB (the database failed: 503).  Only OR_ERR_DB counts in
 * db_counters.errors and the error hook (onramp_db_errors_total).
 */
or_status db_error_status(unsigned no);

/**
 * What the current unit of work (db_request_start, db_unit_reset) did that
 * decides whether it may run again after a lock conflict.
 */
typedef struct db_unit {
	unsigned lock_errno;	/* first deadlock (1213; Galera certification too) or lock wait timeout (1205), else 0 */
	bool committed;		/* a COMMIT succeeded: its writes are durable */
	bool wrote_outside_tx;	/* an autocommit statement that changes data ran */
	bool external;		/* something outside the database happened (an outbound HTTP call) */
} db_unit;

/** Forget the facts of the previous unit of work (db_request_start does this too). */
void db_unit_reset(db *d);
/** The facts of the current unit of work. */
db_unit db_unit_get(const db *d);
/** Record that the unit did something the database cannot undo (an outbound call). */
void db_unit_mark_external(db *d);
/**
 * The one retry rule, pure: true when u failed on a lock conflict, nothing of
 * it is irrevocable, and fewer than max_attempts runs were made (attempt =
 * runs so far, from 1); *sleep_us is then the pause before the next run,
 * drawn from rnd within a window that grows with attempt.
 */
bool db_retry_decide(const db_unit *u, unsigned attempt, unsigned max_attempts, uint32_t rnd, long *sleep_us);
/**
 * db_retry_decide for d's current unit with db_tx_attempts from its config
 * and a random jitter: every loop that runs a unit of work again asks this.
 */
bool db_retry_next(db *d, unsigned attempt, long *sleep_us);
/** Sleep us microseconds (the pause db_retry_next chose). */
void db_retry_sleep(long us);
/**
 * Outside the request pipeline (mailer, fetcher, onrampctl): begin, run fn,
 * commit when it returns OR_OK, else roll back; after a lock conflict run
 * the whole transaction again as db_retry_next allows.  fn must not have
 * effects outside the database, or call db_unit_mark_external before them.
 */
or_status db_tx_run(db *d, or_status (*fn)(db *d, void *ctx), void *ctx);

#endif
