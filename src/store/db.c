/*
 * The MariaDB connection of one process (Connector/C): lazy connect with
 * timeouts, credentials from a file, fail-fast while the server is down,
 * reconnect after it comes back, errors and counters, and transactions.
 * Prepared statements live in db_stmt.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <errmsg.h>
#include <mysqld_error.h>

#include "onramp/clock.h"
#include "onramp/db_backoff.h"
#include "onramp/limits.h"
#include "onramp/log.h"
#include "db_internal.h"

/*
 * Errors caused by the data a client sent, not by the database: text that
 * cannot be compared or stored in a column's character set (1267, 1366,
 * 1300), a value too long or out of range for its column (1406, 1264, 1690),
 * a malformed date or number (1292, 1411, 1265).  Input validation should
 * catch them first; when it does not, they still must not read as an outage.
 */
static bool
is_input_error(unsigned no)
{
	switch (no) {
	case ER_CANT_AGGREGATE_2COLLATIONS:
	case ER_CANT_AGGREGATE_3COLLATIONS:
	case ER_CANT_AGGREGATE_NCOLLATIONS:
	case ER_COLLATION_CHARSET_MISMATCH:
	case ER_TRUNCATED_WRONG_VALUE_FOR_FIELD:
	case ER_INVALID_CHARACTER_STRING:
	case ER_DATA_TOO_LONG:
	case ER_WARN_DATA_OUT_OF_RANGE:
	case ER_DATA_OUT_OF_RANGE:
	case ER_TRUNCATED_WRONG_VALUE:
	case ER_WRONG_VALUE_FOR_TYPE:
	case WARN_DATA_TRUNCATED:
		return true;
	}
	return false;
}

/*
 * The failures worth running a unit of work again for: a deadlock (1213;
 * Galera reports a certification conflict the same way) and a lock wait
 * timeout (1205).  Either way InnoDB has undone the work, and the other
 * transaction is about to finish.
 */
static bool
is_lock_conflict(unsigned no)
{
	return no == ER_LOCK_DEADLOCK || no == ER_LOCK_WAIT_TIMEOUT;
}

or_status
db_error_status(unsigned no)
{
	if (no == ER_DUP_ENTRY || no == ER_DUP_ENTRY_WITH_KEY_NAME)
		return OR_ERR_CONFLICT;
	if (is_input_error(no))
		return OR_ERR_INVALID;
	return OR_ERR_DB;
}

void
db_note_error(db *d, unsigned no, const char *msg)
{
	char text[sizeof(d->err)];

	/* msg may point into d->err itself: format into a copy first. */
	str_copy(text, sizeof(text), msg ? msg : "");
	d->last_errno = no;
	/* The first lock conflict decides: later errors are its consequences. */
	if (is_lock_conflict(no) && d->unit_facts.lock_errno == 0)
		d->unit_facts.lock_errno = no;
	if (snprintf(d->err, sizeof(d->err), "%u: %.200s", no, text) < 0)
		d->err[0] = '\0';
	/* Only a failure of the database counts (it pages someone); a client's bad data never does. */
	if (db_error_status(no) != OR_ERR_DB)
		return;
	db_backoff_note(d, no);
	d->counters.errors++;
	if (d->hook)
		d->hook(d->hook_ctx);
}

/* Errors after which the connection is useless. */
bool
db_is_conn_error(unsigned no)
{
	return no == CR_SERVER_GONE_ERROR || no == CR_SERVER_LOST || no == CR_CONNECTION_ERROR ||
	       no == CR_CONN_HOST_ERROR || no == ER_CONNECTION_KILLED || no == ER_SERVER_SHUTDOWN ||
	       no == CR_COMMANDS_OUT_OF_SYNC || no == 4031 /* ER_CLIENT_INTERACTION_TIMEOUT */ ||
	       /* Galera: the node left the primary component or is not Synced; another entry may serve. */
	       no == ER_UNKNOWN_COM_ERROR;
}

void
db_stmt_free_cols(db_stmt *s)
{
	unsigned i;

	if (s->colbuf)
		for (i = 0; i < s->ncols; i++)
			free(s->colbuf[i]);
	free(s->cols);
	free(s->colbuf);
	free(s->colcap);
	free(s->collen);
	free(s->colnull);
	free(s->colerr);
	s->cols = NULL;
	s->colbuf = NULL;
	s->colcap = s->collen = NULL;
	s->colnull = s->colerr = NULL;
	s->ncols = 0;
}

void
db_stmt_destroy(db_stmt *s)
{
	if (s == NULL)
		return;
	if (s->st)
		mysql_stmt_close(s->st);
	db_stmt_free_cols(s);
	free(s);
}

bool
db_may_retry(const db *d, bool was_in_tx)
{
	return d->idle && !was_in_tx && d->conn == NULL && !d->dial_failed && db_is_conn_error(d->last_errno);
}

void
db_request_start(db *d)
{
	d->idle = true;
	d->call_ms = 0;
	d->unit++;	/* statements of earlier units are held by nobody: they may be evicted */
	db_hosts_rehome(d);	/* back to a preferred entry whose skip time passed */
	db_unit_reset(d);
	/* A unit of work reports its own errors only: a stale one would name another request's failure. */
	d->last_errno = 0;
	d->err[0] = '\0';
}

/* Drop every cached statement (their handles die with the connection). */
void
db_drop_connection(db *d)
{
	size_t i;

	for (i = 0; i < d->ncache; i++) {
		if (d->cache[i]->st) {
			mysql_stmt_close(d->cache[i]->st);
			d->cache[i]->st = NULL;
		}
		d->cache[i]->has_result = false;
	}
	if (d->conn) {
		mysql_close(d->conn);
		d->conn = NULL;
	}
	d->in_tx = false;
}

/* Parse a credentials file: `user=...` and `password=...` lines. */
static or_status
load_credentials(db *d)
{
	char text[2048];
	ssize_t n;
	int fd;
	char *line, *save = NULL;

	d->user[0] = d->password[0] = '\0';
	if (d->cfg->db_credentials_file[0] == '\0') {
		d->creds_loaded = true;
		return OR_OK;
	}
	fd = open(d->cfg->db_credentials_file, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(d->err, sizeof(d->err), "credentials file: %s", strerror(errno));
		return OR_ERR_IO;
	}
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n < 0)
		return OR_ERR_IO;
	text[n] = '\0';
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		size_t l = strlen(line);
		while (l && (line[l - 1] == '\r' || line[l - 1] == ' '))
			line[--l] = '\0';
		if (strncmp(line, "user=", 5) == 0)
			str_copy(d->user, sizeof(d->user), line + 5);
		else if (strncmp(line, "password=", 9) == 0)
			str_copy(d->password, sizeof(d->password), line + 9);
	}
	d->creds_loaded = true;
	return OR_OK;
}

db *
db_new(const config *cfg)
{
	db *d = calloc(1, sizeof(*d));

	if (d == NULL)
		return NULL;
	d->cfg = cfg;
	d->idle = true;
	d->cache_cap = cfg && cfg->db_statement_cache > 0 ? (size_t)cfg->db_statement_cache : LIMIT_DB_STMT_CACHE_DEFAULT;
	d->cache = calloc(d->cache_cap, sizeof(*d->cache));
	d->own_bo = d->bo = db_backoff_new();
	if (d->cache == NULL || d->bo == NULL) {
		free(d->cache);
		db_backoff_free(d->own_bo);
		free(d);
		return NULL;
	}
	return d;
}

void
db_free(db *d)
{
	size_t i;

	if (d == NULL)
		return;
	db_drop_connection(d);
	db_probe_close(d);
	for (i = 0; i < d->ncache; i++)
		db_stmt_destroy(d->cache[i]);
	free(d->cache);
	db_backoff_free(d->own_bo);
	explicit_bzero(d->password, sizeof(d->password));
	free(d);
}

void
db_dial_options(const db *d, MYSQL *m)
{
	const config *c = d->cfg;
	unsigned int ct = (unsigned)c->db_connect_timeout_s, rt = (unsigned)c->db_read_timeout_s,
		     wt = (unsigned)c->db_write_timeout_s;
	my_bool off = 0;

	mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &ct);
	mysql_options(m, MYSQL_OPT_READ_TIMEOUT, &rt);
	mysql_options(m, MYSQL_OPT_WRITE_TIMEOUT, &wt);
	mysql_options(m, MYSQL_OPT_RECONNECT, &off);
	mysql_options(m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
}

or_status
db_credentials(db *d)
{
	return d->creds_loaded ? OR_OK : load_credentials(d);
}

or_status
db_ping(db *d)
{
	or_status st = db_connect(d);

	if (st != OR_OK)
		return st;
	if (mysql_ping(d->conn) != 0) {
		unsigned no = mysql_errno(d->conn);
		db_note_error(d, no, mysql_error(d->conn));
		db_drop_connection(d);
		/* One redial: the server may have restarted since our last query. */
		if ((st = db_connect(d)) != OR_OK)
			return st;
		if (mysql_ping(d->conn) != 0) {
			db_note_error(d, mysql_errno(d->conn), mysql_error(d->conn));
			db_drop_connection(d);
			return OR_ERR_DB;
		}
	}
	return OR_OK;
}

const char *
db_last_error(const db *d)
{
	return d->err;
}

db_counters
db_get_counters(const db *d)
{
	return d->counters;
}

void
db_set_error_hook(db *d, void (*hook)(void *), void *ctx)
{
	d->hook = hook;
	d->hook_ctx = ctx;
}

static const char SQL_BEGIN[] = "START TRANSACTION";

static or_status
begin_once(db *d)
{
	or_status st = db_connect(d);

	if (st != OR_OK)
		return st;
	/*
	 * START TRANSACTION, not SET autocommit=0: the session stays in autocommit
	 * mode, so COMMIT and ROLLBACK end the transaction without a second round
	 * trip to switch it back.
	 */
	if (mysql_real_query(d->conn, SQL_BEGIN, sizeof(SQL_BEGIN) - 1) != 0) {
		db_note_error(d, mysql_errno(d->conn), mysql_error(d->conn));
		db_hosts_conn_error(d, d->last_errno);
		if (db_is_conn_error(d->last_errno))
			db_drop_connection(d);
		return OR_ERR_DB;
	}
	d->in_tx = true;
	d->idle = false;
	return OR_OK;
}

or_status
db_begin(db *d)
{
	bool tx = d->in_tx;
	or_status st = begin_once(d);

	/* The connection died while idle (a server restart): redial once. */
	if (st == OR_ERR_DB && db_may_retry(d, tx))
		st = begin_once(d);
	return st;
}

or_status
db_commit(db *d)
{
	or_status st = OR_OK;

	if (d->conn == NULL)
		return OR_ERR_DB;
	/* In a back-off the commit would wait on a hung server: closing the connection rolls back at once. */
	if (db_gate(d) != OR_OK) {
		db_drop_connection(d);
		return OR_ERR_DB;
	}
	if (mysql_commit(d->conn) != 0) {
		db_note_error(d, mysql_errno(d->conn), mysql_error(d->conn));
		db_hosts_conn_error(d, d->last_errno);
		st = OR_ERR_DB;
	} else {
		d->unit_facts.committed = true;
	}
	if (st != OR_OK && db_is_conn_error(d->last_errno))
		db_drop_connection(d);
	d->in_tx = false;
	return st;
}

void
db_rollback(db *d)
{
	if (d->conn && db_backoff_active(d))
		db_drop_connection(d);	/* the server rolls back when it sees the close; nothing waits on it */
	if (d->conn) {
		if (mysql_rollback(d->conn) != 0) {
			db_note_error(d, mysql_errno(d->conn), mysql_error(d->conn));
			db_drop_connection(d);
		}
	}
	d->in_tx = false;
}

bool
db_in_transaction(const db *d)
{
	return d->in_tx;
}

bool
db_last_was_duplicate(const db *d)
{
	return d->last_errno == ER_DUP_ENTRY;
}

unsigned
db_last_errno(const db *d)
{
	return d->last_errno;
}

void
db_unit_reset(db *d)
{
	memset(&d->unit_facts, 0, sizeof(d->unit_facts));
}

db_unit
db_unit_get(const db *d)
{
	return d->unit_facts;
}

void
db_unit_mark_external(db *d)
{
	d->unit_facts.external = true;
}

/*
 * A deadlock or a lock wait timeout is a collision, not an outage: InnoDB
 * rolled back (the transaction or the statement), so the unit may simply run
 * again, unless something of it already took effect: a COMMIT that succeeded,
 * an autocommit write, or a call to the outside world.  Running it again
 * would then repeat that (a second invite, a second mail), so the failure is
 * answered as it is.  The pause is random so the two transactions that
 * collided do not collide again in step, and grows with each attempt.
 */
bool
db_retry_decide(const db_unit *u, unsigned attempt, unsigned max_attempts, uint32_t rnd, long *sleep_us)
{
	long lo, hi;

	*sleep_us = 0;
	if (!is_lock_conflict(u->lock_errno) || u->committed || u->wrote_outside_tx || u->external)
		return false;
	if (attempt == 0 || attempt >= max_attempts)
		return false;
	lo = (long)LIMIT_DB_TX_JITTER_MIN_US * (long)attempt;
	hi = (long)LIMIT_DB_TX_JITTER_MIN_US * 4L * (long)attempt;
	if (hi > LIMIT_DB_TX_JITTER_MAX_US)
		hi = LIMIT_DB_TX_JITTER_MAX_US;
	if (lo > hi / 2)
		lo = hi / 2;
	*sleep_us = lo + (long)(rnd % (uint32_t)(hi - lo + 1));
	return true;
}

/* A cheap generator, seeded again in each forked process: jitter needs spread, not secrecy. */
static uint32_t
jitter_random(void)
{
	static uint64_t state;
	static pid_t seeded_by;

	if (seeded_by != getpid()) {
		seeded_by = getpid();
		state = ((uint64_t)clock_mono_us() << 16) ^ (uint64_t)seeded_by ^ 0x9E3779B97F4A7C15ull;
	}
	state ^= state << 13;
	state ^= state >> 7;
	state ^= state << 17;
	return (uint32_t)(state >> 32);
}

bool
db_retry_next(db *d, unsigned attempt, long *sleep_us)
{
	unsigned max = d->cfg && d->cfg->db_tx_attempts > 0 ? (unsigned)d->cfg->db_tx_attempts
							    : LIMIT_DB_TX_ATTEMPTS_DEFAULT;

	return db_retry_decide(&d->unit_facts, attempt, max, jitter_random(), sleep_us);
}

void
db_retry_sleep(long us)
{
	struct timespec ts = { us / 1000000L, (us % 1000000L) * 1000L };

	while (us > 0 && nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/*
 * For programs outside the request pipeline (which runs whole requests
 * again): the unit is this one transaction, so its facts start afresh.
 */
or_status
db_tx_run(db *d, or_status (*fn)(db *d, void *ctx), void *ctx)
{
	unsigned attempt;
	long pause_us;
	or_status st;

	for (attempt = 1;; attempt++) {
		db_unit_reset(d);
		if ((st = db_begin(d)) == OR_OK && (st = fn(d, ctx)) == OR_OK)
			st = db_commit(d);
		if (st != OR_OK)
			db_rollback(d);
		if (st == OR_OK || !db_retry_next(d, attempt, &pause_us))
			return st;
		log_event(LOG_INFO, "tx_retried", "attempt %u errno %u", attempt, d->unit_facts.lock_errno);
		db_retry_sleep(pause_us);
	}
}
