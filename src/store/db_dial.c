/*
 * Dialling the database: the entries of db_hosts in order of preference
 * (dbhosts.h decides the order), each new connection checked for readiness
 * in one round trip (a Galera node must be Synced; a plain server always is),
 * and a worker's way back to its preferred entry.  A node that refuses, times
 * out or is not ready is passed over for db_host_skip_ms; only when every
 * entry failed does the caller see an error (and, after a slow failure, the
 * fail-fast gap).  With one entry (db_socket or db_host:db_port) this is the
 * single dial it always was, plus the readiness round trip.
 */
#include <stdio.h>
#include <string.h>

#include <errmsg.h>
#include <mysqld_error.h>

#include "onramp/clock.h"
#include "onramp/log.h"
#include "db_internal.h"

static const char SQL_SESSION[] =
	"SET time_zone = '+00:00', sql_mode = 'STRICT_ALL_TABLES,NO_ZERO_DATE,NO_ZERO_IN_DATE,"
	"ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION'";

/*
 * Scalar subqueries, not one aggregate over GLOBAL_STATUS: in a query whose
 * FROM is that table, MariaDB 10.11 with wsrep reads @@wsrep_on (session and
 * global) as 0, which would pass every Galera node as a plain server.  The
 * IF spares a plain server the two status scans (about 270 us instead of
 * 1000 us per connect, measured on loopback).
 */
static const char SQL_READY[] =
	"SELECT @@wsrep_on, @@wsrep_reject_queries, "
	"IF(@@wsrep_on, (SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS "
	"WHERE VARIABLE_NAME = 'WSREP_READY'), NULL), "
	"IF(@@wsrep_on, (SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS "
	"WHERE VARIABLE_NAME = 'WSREP_LOCAL_STATE'), NULL)";

const char *
db_ready_sql(void)
{
	return SQL_READY;
}

bool
db_ready_row(MYSQL_RES *res, bool *wsrep_on, char *why, size_t whysz)
{
	MYSQL_ROW row = res ? mysql_fetch_row(res) : NULL;

	*wsrep_on = false;
	if (row == NULL || mysql_num_fields(res) != 4) {
		str_copy(why, whysz, "the readiness statement returned no row");
		return false;
	}
	*wsrep_on = row[0] != NULL && strcmp(row[0], "1") == 0;
	return dbhosts_ready(row[0], row[2], row[3], row[1], why, whysz);
}

or_status
db_hosts_load(db *d)
{
	if (d->hosts_loaded)
		return OR_OK;
	if (dbhosts_from_config(d->cfg, &d->hosts, d->err, sizeof(d->err)) != OR_OK)
		return OR_ERR_INVALID;
	d->hstate.n = d->hosts.n;
	d->hosts_loaded = true;
	return OR_OK;
}

bool
db_hosts_better(const db *d, size_t cur, int64_t now_ms)
{
	size_t j;

	for (j = 0; j < cur && j < d->hstate.n; j++)
		if (d->hstate.skip_until_ms[j] <= now_ms)
			return true;
	return false;
}

void
db_hosts_note(db *d, size_t i, bool ok, const char *why)
{
	uint32_t bit = 1u << i;

	dbhosts_mark(&d->hstate, i, ok, clock_mono_ms(), d->cfg->db_host_skip_ms);
	/*
	 * One line per change of an entry's state, so a dead node does not flood
	 * the log; a single server logs as before (its requests' errors say it all).
	 */
	if (d->hosts.n < 2)
		return;
	if (!ok && !(d->hosts_down & bit)) {
		d->hosts_down |= bit;
		log_event(LOG_WARN, "db_host_down", "database entry %s: %s; passed over for %d ms",
			  d->hosts.e[i].label, why, d->cfg->db_host_skip_ms);
	} else if (ok && (d->hosts_down & bit)) {
		d->hosts_down &= ~bit;
		log_event(LOG_INFO, "db_host_up", "database entry %s answers and is ready", d->hosts.e[i].label);
	}
}

/* Init commands run by the connector on connect (and on nothing else: auto-reconnect is off). */
static void
init_commands(const db *d, MYSQL *m)
{
	char cmd[64];
	int n = d->cfg->db_lock_wait_timeout_s;

	mysql_options(m, MYSQL_INIT_COMMAND, SQL_SESSION);
	/* A second init command (Connector/C keeps a list): our sessions' lock wait, when configured. */
	if (n > 0 && snprintf(cmd, sizeof(cmd), "SET innodb_lock_wait_timeout = %d", n) > 0)
		mysql_options(m, MYSQL_INIT_COMMAND, cmd);
}

static bool
query_failed(MYSQL *m, unsigned *no, char *why, size_t whysz)
{
	*no = mysql_errno(m);
	snprintf(why, whysz, "%.200s", mysql_error(m));
	return false;
}

/*
 * The readiness round trip, then causal reads (wsrep_sync_wait) on a Galera
 * node.  The SET comes after the check, not as an init command, so the check
 * itself never waits on a lagging node, and a server without wsrep never sees it.
 */
static bool
session_ready(const db *d, MYSQL *m, unsigned *no, char *why, size_t whysz)
{
	MYSQL_RES *res;
	bool wsrep = false, ok;
	char cmd[64];

	if (mysql_real_query(m, SQL_READY, sizeof(SQL_READY) - 1) != 0) {
		/* A build without wsrep has no @@wsrep_on: a plain server, ready. */
		if (mysql_errno(m) == ER_UNKNOWN_SYSTEM_VARIABLE)
			return true;
		return query_failed(m, no, why, whysz);
	}
	if ((res = mysql_store_result(m)) == NULL)
		return query_failed(m, no, why, whysz);
	ok = db_ready_row(res, &wsrep, why, whysz);
	mysql_free_result(res);
	if (!ok) {
		*no = ER_UNKNOWN_COM_ERROR;	/* what the node would answer a query with */
		return false;
	}
	if (!wsrep || d->cfg->db_sync_wait <= 0)
		return true;
	if (snprintf(cmd, sizeof(cmd), "SET SESSION wsrep_sync_wait = %d", d->cfg->db_sync_wait) < 0 ||
	    mysql_real_query(m, cmd, (unsigned long)strlen(cmd)) != 0)
		return query_failed(m, no, why, whysz);
	return true;
}

/* Dial one entry and check it; NULL with no and why set when it failed or is not ready. */
static MYSQL *
dial_one(db *d, const dbhost *h, unsigned *no, char *why, size_t whysz)
{
	MYSQL *m = mysql_init(NULL);

	*no = 0;
	if (m == NULL) {
		str_copy(why, whysz, "out of memory");
		return NULL;
	}
	db_dial_options(d, m);
	init_commands(d, m);
	if (mysql_real_connect(m, h->is_unix ? NULL : h->host, d->user[0] ? d->user : NULL,
			       d->password[0] ? d->password : NULL, d->cfg->db_name,
			       h->is_unix ? 0 : h->port, h->is_unix ? h->path : NULL, 0) == NULL ||
	    !session_ready(d, m, no, why, whysz)) {
		if (*no == 0)
			query_failed(m, no, why, whysz);
		mysql_close(m);
		return NULL;
	}
	return m;
}

or_status
db_connect(db *d)
{
	size_t order[LIMIT_DB_HOSTS], n, k;
	unsigned no = 0;
	char why[256] = "";
	int64_t t0;
	or_status st = db_gate(d);

	if (st != OR_OK)
		return st;
	if (d->conn)
		return OR_OK;
	d->dial_failed = true;	/* until a dial below succeeds */
	if (clock_mono_ms() < d->retry_at_ms) {
		d->last_errno = CR_CONNECTION_ERROR;
		return OR_ERR_DB;
	}
	if (db_credentials(d) != OR_OK || db_hosts_load(d) != OR_OK) {
		db_note_error(d, 0, d->err);
		d->retry_at_ms = clock_mono_ms() + DB_RETRY_GAP_MS;
		return OR_ERR_DB;
	}
	t0 = clock_mono_ms();
	n = dbhosts_pick(&d->hstate, t0, order);
	for (k = 0; k < n; k++) {
		d->conn = dial_one(d, &d->hosts.e[order[k]], &no, why, sizeof(why));
		db_hosts_note(d, order[k], d->conn != NULL, why);
		if (d->conn) {
			d->host_cur = order[k];
			d->dial_failed = false;
			d->counters.reconnects++;
			return OR_OK;
		}
	}
	/* Every entry failed: the last one's error is the request's. */
	db_note_error(d, no, why);
	/*
	 * Only dials that cost time (timeouts) earn the fail-fast gap: a refused
	 * one costs microseconds, and skipping the next dial would answer 503 for
	 * up to the gap after the server is back.
	 */
	if (clock_mono_ms() - t0 >= DB_SLOW_DIAL_MS)
		d->retry_at_ms = clock_mono_ms() + DB_RETRY_GAP_MS;
	return OR_ERR_DB;
}

void
db_hosts_conn_error(db *d, unsigned no)
{
	/* Ready when dialled, refusing now (left the primary component, or set to reject queries). */
	if (no == ER_UNKNOWN_COM_ERROR && d->conn && d->hosts_loaded)
		db_hosts_note(d, d->host_cur, false, "WSREP has not yet prepared node for application use (1047)");
}

void
db_hosts_rehome(db *d)
{
	/* Between units of work only: nothing of this connection is in use. */
	if (d->conn && !d->in_tx && d->host_cur > 0 && db_hosts_better(d, d->host_cur, clock_mono_ms()))
		db_drop_connection(d);
}
