/*
 * The readiness probe's own connection.  A blocking call on a frozen server
 * waits for the whole read timeout (the connect timeout for a dial, which
 * covers the handshake too: a stopped mariadbd still accepts connections
 * into the kernel's backlog and then never sends its greeting).  /readyz must
 * answer within a second whatever the server does, so this connection is
 * driven by Connector/C's non-blocking API (MYSQL_OPT_NONBLOCK) and poll()
 * against a deadline.  Past it the socket is shut down, which makes the
 * suspended call end with an error at once, and the connection is closed;
 * the next probe dials again.  The request connection (db.c) is never
 * touched, so a probe cannot break a request's transaction.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <errmsg.h>
#include <mysqld_error.h>

#include "onramp/clock.h"
#include "onramp/migration.h"
#include "db_internal.h"

/* The steps of one probe, each a start/cont pair of the non-blocking API. */
enum step { STEP_CONNECT, STEP_READY, STEP_READY_STORE, STEP_PREPARE, STEP_EXECUTE, STEP_STORE };

/* Calls a step may need after its socket was shut down before it gives up (each read or write fails). */
#define ABANDON_ROUNDS 16

struct probe_call {
	db *d;
	MYSQL *ret;	/* mysql_real_connect's answer */
	int rc;		/* the statement calls' answer */
	MYSQL_RES *res;	/* the readiness statement's rows */
	size_t entry;	/* the db_hosts entry being dialled */
	unsigned no;	/* the last entry's failure: its error (0 = none, or a timeout) */
	char why[256];
};

static int
step_start(struct probe_call *c, enum step s)
{
	db *d = c->d;
	const dbhost *h = &d->hosts.e[c->entry];
	const char *sql = migrate_version_sql();

	switch (s) {
	case STEP_CONNECT:
		return mysql_real_connect_start(&c->ret, d->probe, h->is_unix ? NULL : h->host,
						d->user[0] ? d->user : NULL, d->password[0] ? d->password : NULL,
						d->cfg->db_name, h->is_unix ? 0 : h->port, h->is_unix ? h->path : NULL, 0);
	case STEP_READY:
		return mysql_real_query_start(&c->rc, d->probe, db_ready_sql(), (unsigned long)strlen(db_ready_sql()));
	case STEP_READY_STORE:
		return mysql_store_result_start(&c->res, d->probe);
	case STEP_PREPARE:
		return mysql_stmt_prepare_start(&c->rc, d->probe_st, sql, (unsigned long)strlen(sql));
	case STEP_EXECUTE:
		return mysql_stmt_execute_start(&c->rc, d->probe_st);
	case STEP_STORE:
		return mysql_stmt_store_result_start(&c->rc, d->probe_st);
	}
	return 0;
}

static int
step_cont(struct probe_call *c, enum step s, int ready)
{
	switch (s) {
	case STEP_CONNECT:
		return mysql_real_connect_cont(&c->ret, c->d->probe, ready);
	case STEP_READY:
		return mysql_real_query_cont(&c->rc, c->d->probe, ready);
	case STEP_READY_STORE:
		return mysql_store_result_cont(&c->res, c->d->probe, ready);
	case STEP_PREPARE:
		return mysql_stmt_prepare_cont(&c->rc, c->d->probe_st, ready);
	case STEP_EXECUTE:
		return mysql_stmt_execute_cont(&c->rc, c->d->probe_st, ready);
	case STEP_STORE:
		return mysql_stmt_store_result_cont(&c->rc, c->d->probe_st, ready);
	}
	return 0;
}

/* Wait for what a suspended call asked for: its ready flags, or -1 once the deadline has passed. */
static int
wait_ready(MYSQL *m, int status, int64_t deadline_ms)
{
	struct pollfd p = { mysql_get_socket(m), 0, 0 };
	int64_t left = deadline_ms - clock_mono_ms();
	int64_t own = (status & MYSQL_WAIT_TIMEOUT) ? (int64_t)mysql_get_timeout_value_ms(m) : -1;
	int n, ready = 0;

	if (left <= 0)
		return -1;
	if (status & MYSQL_WAIT_READ)
		p.events |= POLLIN;
	if (status & MYSQL_WAIT_WRITE)
		p.events |= POLLOUT;
	if (status & MYSQL_WAIT_EXCEPT)
		p.events |= POLLPRI;
	n = poll(&p, 1, (int)(own >= 0 && own < left ? own : left));
	if (n < 0)
		return errno == EINTR ? status & ~MYSQL_WAIT_TIMEOUT : -1;
	if (n == 0)	/* the connector's own timeout (it fails the call) or ours */
		return own >= 0 && own < left ? MYSQL_WAIT_TIMEOUT : -1;
	if (p.revents & (POLLIN | POLLERR | POLLHUP))
		ready |= MYSQL_WAIT_READ;
	if (p.revents & (POLLOUT | POLLERR | POLLHUP))
		ready |= MYSQL_WAIT_WRITE;
	if (p.revents & POLLPRI)
		ready |= MYSQL_WAIT_EXCEPT;
	return ready & (status | MYSQL_WAIT_READ | MYSQL_WAIT_WRITE);
}

/*
 * Run one step to its end within the deadline.  Past the deadline, shut the
 * socket down so the suspended call fails on its next read or write instead
 * of waiting, and finish it: a call left suspended cannot be closed safely.
 */
static db_probe_result
run_step(struct probe_call *c, enum step s, int64_t deadline_ms)
{
	int status = step_start(c, s), ready, rounds;

	while (status) {
		ready = wait_ready(c->d->probe, status, deadline_ms);
		if (ready < 0) {
			(void)shutdown(mysql_get_socket(c->d->probe), SHUT_RDWR);
			for (rounds = 0; status && rounds < ABANDON_ROUNDS; rounds++)
				status = step_cont(c, s, (status & MYSQL_WAIT_TIMEOUT) ? MYSQL_WAIT_TIMEOUT :
						   status & (MYSQL_WAIT_READ | MYSQL_WAIT_WRITE));
			return DB_PROBE_TIMEOUT;
		}
		status = step_cont(c, s, ready);
	}
	if (s == STEP_CONNECT)
		return c->ret ? DB_PROBE_OK : DB_PROBE_FAILED;
	if (s == STEP_READY_STORE)
		return c->res ? DB_PROBE_OK : DB_PROBE_FAILED;
	return c->rc == 0 ? DB_PROBE_OK : DB_PROBE_FAILED;
}

void
db_probe_close(db *d)
{
	if (d->probe_st) {
		mysql_stmt_close(d->probe_st);
		d->probe_st = NULL;
	}
	if (d->probe) {
		mysql_close(d->probe);
		d->probe = NULL;
	}
}

/* The readiness round trip (the statement and rule of db_connect's, db_dial.c). */
static db_probe_result
probe_ready(struct probe_call *c, int64_t deadline_ms)
{
	bool wsrep, ok;
	db_probe_result r;

	c->res = NULL;
	c->d->probe_wsrep = false;
	if ((r = run_step(c, STEP_READY, deadline_ms)) == DB_PROBE_FAILED &&
	    mysql_errno(c->d->probe) == ER_UNKNOWN_SYSTEM_VARIABLE)
		return DB_PROBE_OK;	/* a build without wsrep: a plain server, ready */
	if (r != DB_PROBE_OK || (r = run_step(c, STEP_READY_STORE, deadline_ms)) != DB_PROBE_OK)
		return r;
	ok = db_ready_row(c->res, &wsrep, c->why, sizeof(c->why));
	c->d->probe_wsrep = wsrep;
	mysql_free_result(c->res);	/* stored in full: no I/O */
	c->res = NULL;
	if (ok)
		return DB_PROBE_OK;
	c->no = ER_UNKNOWN_COM_ERROR;
	return DB_PROBE_FAILED;
}

/* Dial one entry, check its readiness and prepare the statement. */
static db_probe_result
probe_open_entry(struct probe_call *c, int64_t deadline_ms)
{
	db *d = c->d;
	db_probe_result r;

	if ((d->probe = mysql_init(NULL)) == NULL)
		return DB_PROBE_FAILED;
	db_dial_options(d, d->probe);
	mysql_options(d->probe, MYSQL_OPT_NONBLOCK, 0);
	if ((r = run_step(c, STEP_CONNECT, deadline_ms)) != DB_PROBE_OK ||
	    (r = probe_ready(c, deadline_ms)) != DB_PROBE_OK)
		return r;
	if ((d->probe_st = mysql_stmt_init(d->probe)) == NULL)
		return DB_PROBE_FAILED;
	return run_step(c, STEP_PREPARE, deadline_ms);
}

/* The error of the probe's failed step. */
static unsigned
probe_errno(db *d)
{
	unsigned no = d->probe_st ? mysql_stmt_errno(d->probe_st) : 0;

	if (no == 0 && d->probe)
		no = mysql_errno(d->probe);
	return no;
}

/* Keep what failed (before the handles close) for the log line and the request's error. */
static void
capture(struct probe_call *c, db_probe_result r, int timeout_ms)
{
	db *d = c->d;

	if (r == DB_PROBE_TIMEOUT) {
		c->no = 0;
		snprintf(c->why, sizeof(c->why), "probe: no answer within %d ms", timeout_ms);
		return;
	}
	if (c->no == ER_UNKNOWN_COM_ERROR && c->why[0])
		return;	/* not ready: probe_ready said why */
	c->no = probe_errno(d);
	snprintf(c->why, sizeof(c->why), "%.200s", d->probe_st && mysql_stmt_errno(d->probe_st) ?
		 mysql_stmt_error(d->probe_st) : d->probe ? mysql_error(d->probe) : "out of memory");
}

/*
 * Dial the entries in order (db_hosts) until one answers and is ready, all
 * within the deadline: a node that does not answer in time uses it up, and
 * the next probe passes over it.
 */
static db_probe_result
probe_open(struct probe_call *c, int64_t deadline_ms, int timeout_ms)
{
	db *d = c->d;
	size_t order[LIMIT_DB_HOSTS], n, k;
	db_probe_result r = DB_PROBE_FAILED;

	if (db_credentials(d) != OR_OK || db_hosts_load(d) != OR_OK) {
		c->no = 0;
		str_copy(c->why, sizeof(c->why), d->err);
		return DB_PROBE_FAILED;
	}
	n = dbhosts_pick(&d->hstate, clock_mono_ms(), order);
	for (k = 0; k < n; k++) {
		c->entry = order[k];
		c->no = 0;
		c->why[0] = '\0';
		r = probe_open_entry(c, deadline_ms);
		/* An empty database answers too (db_probe_answer reads it as version 0). */
		if (r == DB_PROBE_OK || (r == DB_PROBE_FAILED && probe_errno(d) == ER_NO_SUCH_TABLE)) {
			d->probe_cur = c->entry;
			db_hosts_note(d, c->entry, true, "");
			return r;
		}
		capture(c, r, timeout_ms);
		db_hosts_note(d, c->entry, false, c->why);
		db_probe_close(d);
		if (r == DB_PROBE_TIMEOUT)
			break;
	}
	return r;
}

/* Execute the prepared statement and read its one row. */
static db_probe_result
probe_read(struct probe_call *c, int64_t deadline_ms, unsigned *version)
{
	MYSQL_STMT *st = c->d->probe_st;
	MYSQL_BIND col;
	long long v = 0;
	db_probe_result r;

	if ((r = run_step(c, STEP_EXECUTE, deadline_ms)) != DB_PROBE_OK ||
	    (r = run_step(c, STEP_STORE, deadline_ms)) != DB_PROBE_OK)
		return r;
	memset(&col, 0, sizeof(col));
	col.buffer_type = MYSQL_TYPE_LONGLONG;
	col.buffer = &v;
	/* The row is already buffered client-side: these calls do no I/O. */
	if (mysql_stmt_bind_result(st, &col) != 0 || mysql_stmt_fetch(st) != 0)
		r = DB_PROBE_FAILED;
	mysql_stmt_free_result(st);
	*version = v > 0 ? (unsigned)v : 0;
	return r;
}

/* The probe's failure, noted like any database error (counted, logged once at the boundary). */
static void
note_failure(struct probe_call *c, db_probe_result r)
{
	db *d = c->d;

	d->call_ms = 0;	/* the probe settles a back-off itself (db_backoff_settle), never by the call's time */
	if (r == DB_PROBE_TIMEOUT) {
		str_copy(d->err, sizeof(d->err), c->why);
		return;
	}
	db_note_error(d, c->no, c->why);
}

db_probe_result
db_probe_answer(db *d, int timeout_ms, unsigned *version)
{
	struct probe_call c = { d, NULL, 0, NULL, 0, 0, "" };
	int64_t deadline_ms = clock_mono_ms() + timeout_ms;
	db_probe_result r = DB_PROBE_FAILED;

	*version = 0;
	/* Back to a preferred entry once it may be dialled again, as the request connection does. */
	if (d->probe && db_hosts_better(d, d->probe_cur, clock_mono_ms()))
		db_probe_close(d);
	if (d->probe) {
		c.entry = d->probe_cur;
		/*
		 * A Galera node can stop being Synced while connected: check again.
		 * A plain server stays what it was when dialled, so its probe is the
		 * one read, as before db_hosts (a round trip less per /readyz).
		 */
		if (!d->probe_wsrep || (r = probe_ready(&c, deadline_ms)) == DB_PROBE_OK)
			r = probe_read(&c, deadline_ms, version);
		/* A kept connection may have died with a server restart, or its node is no longer ready: dial again. */
		if (r != DB_PROBE_OK) {
			capture(&c, r, timeout_ms);
			db_hosts_note(d, c.entry, false, c.why);
			db_probe_close(d);
		}
	}
	if (d->probe == NULL && r != DB_PROBE_TIMEOUT && (r = probe_open(&c, deadline_ms, timeout_ms)) == DB_PROBE_OK)
		r = probe_read(&c, deadline_ms, version);
	if (r == DB_PROBE_FAILED && probe_errno(d) == ER_NO_SUCH_TABLE) {
		db_probe_close(d);	/* the statement never prepared: the next probe starts over */
		return DB_PROBE_OK;	/* an empty database: version 0, as migrate_current_version says */
	}
	if (r != DB_PROBE_OK) {
		if (d->probe)
			capture(&c, r, timeout_ms);
		note_failure(&c, r);
		db_probe_close(d);
	}
	return r;
}

const char *
db_probe_host(const db *d)
{
	return d->probe && d->probe_cur < d->hosts.n ? d->hosts.e[d->probe_cur].label : "";
}

db_probe_result
db_probe_schema(db *d, unsigned *version)
{
	db_backoff_verdict v = db_backoff_admit(d->bo, clock_mono_ms(), d->cfg->db_probe_timeout_ms + 1000);
	db_probe_result r;

	*version = 0;
	if (v == DB_BACKOFF_REFUSE) {
		str_copy(d->err, sizeof(d->err), "database calls fail fast: a call timed out moments ago (db_backoff_s)");
		return DB_PROBE_BACKOFF;
	}
	r = db_probe_answer(d, d->cfg->db_probe_timeout_ms, version);
	if (v == DB_BACKOFF_TRIAL)
		db_backoff_settle(d, r);
	return r;
}
