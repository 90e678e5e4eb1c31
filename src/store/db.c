/*
 * MariaDB Connector/C behind a small prepared-statement API.  Statements are
 * cached per connection keyed by their SQL string's address (store functions
 * keep SQL in static const strings), results are buffered client-side and
 * every column is fetched as text.  A connection that the server dropped is
 * closed and re-opened on the next call; a statement that finds the server
 * gone before sending anything is re-prepared and retried once.
 */
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <mysql.h>
#include <errmsg.h>
#include <mysqld_error.h>

#include "onramp/clock.h"
#include "onramp/arena.h"
#include "onramp/db.h"
#include "onramp/timefmt.h"
#include "onramp/limits.h"
#include "onramp/log.h"

#define DB_STMT_CACHE 128
#define DB_MAX_PARAMS 64
#define DB_COL_MAX (16u * 1024u * 1024u)
/* After a failed connect, fail fast for this long instead of re-dialling. */
#define DB_RETRY_GAP_MS 250

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
};

struct db {
	const config *cfg;
	MYSQL *conn;
	bool in_tx;
	long long retry_at_ms;
	char user[128];
	char password[256];
	bool creds_loaded;
	char err[256];
	unsigned last_errno;
	db_stmt *cache[DB_STMT_CACHE];
	size_t ncache;
	db_counters counters;
	void (*hook)(void *);
	void *hook_ctx;
};

static void
note_error(db *d, unsigned no, const char *msg)
{
	char text[sizeof(d->err)];

	/* msg may point into d->err itself: format into a copy first. */
	str_copy(text, sizeof(text), msg ? msg : "");
	d->last_errno = no;
	if (snprintf(d->err, sizeof(d->err), "%u: %.200s", no, text) < 0)
		d->err[0] = '\0';
	d->counters.errors++;
	if (d->hook)
		d->hook(d->hook_ctx);
}

/* Errors after which the connection is useless. */
static bool
is_conn_error(unsigned no)
{
	return no == CR_SERVER_GONE_ERROR || no == CR_SERVER_LOST || no == CR_CONNECTION_ERROR ||
	       no == CR_CONN_HOST_ERROR || no == ER_CONNECTION_KILLED || no == ER_SERVER_SHUTDOWN ||
	       no == CR_COMMANDS_OUT_OF_SYNC || no == 4031 /* ER_CLIENT_INTERACTION_TIMEOUT */;
}

static void
stmt_free_cols(db_stmt *s)
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

static void
stmt_destroy(db_stmt *s)
{
	if (s == NULL)
		return;
	if (s->st)
		mysql_stmt_close(s->st);
	stmt_free_cols(s);
	free(s);
}

/* Drop every cached statement (their handles die with the connection). */
static void
drop_connection(db *d)
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
	return d;
}

void
db_free(db *d)
{
	size_t i;

	if (d == NULL)
		return;
	drop_connection(d);
	for (i = 0; i < d->ncache; i++)
		stmt_destroy(d->cache[i]);
	explicit_bzero(d->password, sizeof(d->password));
	free(d);
}

or_status
db_connect(db *d)
{
	const config *c = d->cfg;
	unsigned int ct = (unsigned)c->db_connect_timeout_s, rt = (unsigned)c->db_read_timeout_s,
		     wt = (unsigned)c->db_write_timeout_s;
	my_bool off = 0;
	const char *sock = c->db_socket[0] ? c->db_socket : NULL;

	if (d->conn)
		return OR_OK;
	if (clock_mono_ms() < d->retry_at_ms) {
		d->last_errno = CR_CONNECTION_ERROR;
		return OR_ERR_DB;
	}
	if (!d->creds_loaded && load_credentials(d) != OR_OK) {
		note_error(d, 0, d->err);
		d->retry_at_ms = clock_mono_ms() + DB_RETRY_GAP_MS;
		return OR_ERR_DB;
	}
	d->conn = mysql_init(NULL);
	if (d->conn == NULL)
		return OR_ERR_NOMEM;
	mysql_options(d->conn, MYSQL_OPT_CONNECT_TIMEOUT, &ct);
	mysql_options(d->conn, MYSQL_OPT_READ_TIMEOUT, &rt);
	mysql_options(d->conn, MYSQL_OPT_WRITE_TIMEOUT, &wt);
	mysql_options(d->conn, MYSQL_OPT_RECONNECT, &off);
	mysql_options(d->conn, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	mysql_options(d->conn, MYSQL_INIT_COMMAND,
		      "SET time_zone = '+00:00', sql_mode = 'STRICT_ALL_TABLES,NO_ZERO_DATE,NO_ZERO_IN_DATE,"
		      "ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION'");
	if (mysql_real_connect(d->conn, sock ? NULL : c->db_host, d->user[0] ? d->user : NULL,
			       d->password[0] ? d->password : NULL, c->db_name,
			       sock ? 0 : (unsigned)c->db_port, sock, 0) == NULL) {
		note_error(d, mysql_errno(d->conn), mysql_error(d->conn));
		mysql_close(d->conn);
		d->conn = NULL;
		d->retry_at_ms = clock_mono_ms() + DB_RETRY_GAP_MS;
		return OR_ERR_DB;
	}
	d->counters.reconnects++;
	return OR_OK;
}

or_status
db_ping(db *d)
{
	or_status st = db_connect(d);

	if (st != OR_OK)
		return st;
	if (mysql_ping(d->conn) != 0) {
		unsigned no = mysql_errno(d->conn);
		note_error(d, no, mysql_error(d->conn));
		drop_connection(d);
		/* One redial: the server may have restarted since our last query. */
		if ((st = db_connect(d)) != OR_OK)
			return st;
		if (mysql_ping(d->conn) != 0) {
			note_error(d, mysql_errno(d->conn), mysql_error(d->conn));
			drop_connection(d);
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

static or_status
stmt_fail(db_stmt *s)
{
	db *d = s->owner;
	unsigned no = s->st ? mysql_stmt_errno(s->st) : mysql_errno(d->conn);

	note_error(d, no, s->st ? mysql_stmt_error(s->st) : mysql_error(d->conn));
	if (is_conn_error(no))
		drop_connection(d);
	else if (s->st)
		(void)mysql_stmt_reset(s->st);
	if (no == ER_DUP_ENTRY)
		return OR_ERR_CONFLICT;
	return OR_ERR_DB;
}

static or_status
stmt_prepare_handle(db_stmt *s)
{
	db *d = s->owner;
	size_t len = s->sql_len ? s->sql_len : strlen(s->sql);
	or_status st = db_connect(d);

	if (st != OR_OK)
		return st;
	stmt_free_cols(s);
	s->st = mysql_stmt_init(d->conn);
	if (s->st == NULL)
		return OR_ERR_NOMEM;
	if (mysql_stmt_prepare(s->st, s->sql, (unsigned long)len) != 0) {
		st = stmt_fail(s);
		if (s->st) {
			mysql_stmt_close(s->st);
			s->st = NULL;
		}
		return st;
	}
	s->nparams = (unsigned)mysql_stmt_param_count(s->st);
	if (s->nparams > DB_MAX_PARAMS) {
		mysql_stmt_close(s->st);
		s->st = NULL;
		return OR_ERR_LIMIT;
	}
	return OR_OK;
}

static db_stmt *
stmt_alloc(db *d, const char *sql, size_t len)
{
	db_stmt *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->owner = d;
	s->sql = sql;
	s->sql_len = len;
	return s;
}

or_status
db_prepare(db *d, const char *sql, db_stmt **out)
{
	db_stmt *s = NULL;
	size_t i;
	or_status st;

	for (i = 0; i < d->ncache; i++)
		if (d->cache[i]->sql == sql) {
			s = d->cache[i];
			break;
		}
	if (s == NULL) {
		if (d->ncache >= DB_STMT_CACHE)
			return OR_ERR_LIMIT;
		s = stmt_alloc(d, sql, 0);
		if (s == NULL)
			return OR_ERR_NOMEM;
		d->cache[d->ncache++] = s;
	}
	if (s->has_result)
		db_stmt_done(s);
	memset(s->params, 0, sizeof(s->params));
	if (s->st == NULL) {
		st = stmt_prepare_handle(s);
		/* A dead connection we had not noticed: redial once. */
		if (st == OR_ERR_DB && d->conn == NULL && is_conn_error(d->last_errno) &&
		    d->last_errno != CR_CONNECTION_ERROR && d->last_errno != CR_CONN_HOST_ERROR)
			st = stmt_prepare_handle(s);
		if (st != OR_OK)
			return st;
	}
	*out = s;
	return OR_OK;
}

or_status
db_prepare_dynamic(db *d, const char *sql, db_stmt **out)
{
	db_stmt *s = stmt_alloc(d, sql, strlen(sql));
	or_status st;

	if (s == NULL)
		return OR_ERR_NOMEM;
	st = stmt_prepare_handle(s);
	if (st == OR_ERR_DB && d->conn == NULL && d->last_errno == CR_SERVER_GONE_ERROR)
		st = stmt_prepare_handle(s);
	if (st != OR_OK) {
		stmt_destroy(s);
		return st;
	}
	*out = s;
	return OR_OK;
}

void
db_stmt_free(db_stmt *s)
{
	if (s == NULL)
		return;
	if (s->has_result && s->st)
		mysql_stmt_free_result(s->st);
	stmt_destroy(s);
}

void
db_bind_int(db_stmt *s, unsigned idx, long long v)
{
	if (idx >= DB_MAX_PARAMS)
		return;
	s->ints[idx] = v;
	s->params[idx].buffer_type = MYSQL_TYPE_LONGLONG;
	s->params[idx].buffer = &s->ints[idx];
	s->params[idx].is_null = NULL;
}

void
db_bind_text(db_stmt *s, unsigned idx, const char *p, size_t n)
{
	if (idx >= DB_MAX_PARAMS)
		return;
	s->plen[idx] = (unsigned long)n;
	s->params[idx].buffer_type = MYSQL_TYPE_STRING;
	s->params[idx].buffer = (void *)(uintptr_t)p;
	s->params[idx].buffer_length = (unsigned long)n;
	s->params[idx].length = &s->plen[idx];
	s->params[idx].is_null = NULL;
}

void
db_bind_cstr(db_stmt *s, unsigned idx, const char *p)
{
	if (p == NULL)
		db_bind_null(s, idx);
	else
		db_bind_text(s, idx, p, strlen(p));
}

void
db_bind_null(db_stmt *s, unsigned idx)
{
	if (idx >= DB_MAX_PARAMS)
		return;
	s->pnull[idx] = 1;
	s->params[idx].buffer_type = MYSQL_TYPE_NULL;
	s->params[idx].is_null = &s->pnull[idx];
}

/* Bind every result column as a growable text buffer. */
static or_status
bind_results(db_stmt *s, MYSQL_RES *meta)
{
	unsigned i, n = mysql_num_fields(meta);
	MYSQL_FIELD *f = mysql_fetch_fields(meta);

	stmt_free_cols(s);
	s->ncols = n;
	s->cols = calloc(n, sizeof(*s->cols));
	s->colbuf = calloc(n, sizeof(*s->colbuf));
	s->colcap = calloc(n, sizeof(*s->colcap));
	s->collen = calloc(n, sizeof(*s->collen));
	s->colnull = calloc(n, sizeof(*s->colnull));
	s->colerr = calloc(n, sizeof(*s->colerr));
	if (!s->cols || !s->colbuf || !s->colcap || !s->collen || !s->colnull || !s->colerr)
		return OR_ERR_NOMEM;
	for (i = 0; i < n; i++) {
		unsigned long cap = f[i].max_length + 1;
		if (cap < 64)
			cap = 64;
		if (cap > DB_COL_MAX)
			cap = DB_COL_MAX;
		s->colbuf[i] = malloc(cap);
		if (s->colbuf[i] == NULL)
			return OR_ERR_NOMEM;
		s->colcap[i] = cap;
		s->cols[i].buffer_type = MYSQL_TYPE_STRING;
		s->cols[i].buffer = s->colbuf[i];
		s->cols[i].buffer_length = cap - 1;
		s->cols[i].length = &s->collen[i];
		s->cols[i].is_null = &s->colnull[i];
		s->cols[i].error = &s->colerr[i];
	}
	if (mysql_stmt_bind_result(s->st, s->cols) != 0)
		return stmt_fail(s);
	return OR_OK;
}

static or_status
execute_once(db_stmt *s)
{
	or_status st;

	if (s->nparams && mysql_stmt_bind_param(s->st, s->params) != 0)
		return stmt_fail(s);
	if (mysql_stmt_execute(s->st) != 0)
		return stmt_fail(s);
	if (mysql_stmt_field_count(s->st) == 0)
		return OR_OK;
	/* Columns are bound once per prepared handle; buffers grow on truncation. */
	if (s->cols == NULL) {
		MYSQL_RES *meta = mysql_stmt_result_metadata(s->st);
		st = meta ? bind_results(s, meta) : stmt_fail(s);
		if (meta)
			mysql_free_result(meta);
		if (st != OR_OK)
			return st;
	}
	if (mysql_stmt_store_result(s->st) != 0)
		return stmt_fail(s);
	s->has_result = true;
	return OR_OK;
}

or_status
db_execute(db_stmt *s)
{
	db *d = s->owner;
	or_status st;

	if (s->st == NULL && (st = stmt_prepare_handle(s)) != OR_OK)
		return st;
	st = execute_once(s);
	/* Server restarted since the statement was prepared: nothing was sent, so retry once. */
	if (st == OR_ERR_DB && d->last_errno == CR_SERVER_GONE_ERROR && !d->in_tx) {
		if ((st = stmt_prepare_handle(s)) != OR_OK)
			return st;
		st = execute_once(s);
	}
	return st;
}

or_status
db_fetch(db_stmt *s, bool *has_row)
{
	int rc;
	unsigned i;

	*has_row = false;
	if (!s->has_result)
		return OR_OK;
	rc = mysql_stmt_fetch(s->st);
	if (rc == MYSQL_NO_DATA)
		return OR_OK;
	if (rc == 1)
		return stmt_fail(s);
	if (rc == MYSQL_DATA_TRUNCATED) {
		for (i = 0; i < s->ncols; i++) {
			char *nb;
			if (!s->colerr[i])
				continue;
			if (s->collen[i] >= DB_COL_MAX)
				return OR_ERR_LIMIT;
			nb = realloc(s->colbuf[i], s->collen[i] + 1);
			if (nb == NULL)
				return OR_ERR_NOMEM;
			s->colbuf[i] = nb;
			s->colcap[i] = s->collen[i] + 1;
			s->cols[i].buffer = nb;
			s->cols[i].buffer_length = s->collen[i];
			if (mysql_stmt_fetch_column(s->st, &s->cols[i], i, 0) != 0)
				return stmt_fail(s);
		}
		/* Re-bind so the next row uses the grown buffers. */
		if (mysql_stmt_bind_result(s->st, s->cols) != 0)
			return stmt_fail(s);
	}
	for (i = 0; i < s->ncols; i++)
		if (!s->colnull[i])
			s->colbuf[i][s->collen[i] < s->colcap[i] ? s->collen[i] : s->colcap[i] - 1] = '\0';
	*has_row = true;
	return OR_OK;
}

or_str
db_col(db_stmt *s, unsigned col)
{
	or_str v = { NULL, 0 };

	if (col >= s->ncols || s->colnull[col])
		return v;
	v.ptr = s->colbuf[col];
	v.len = s->collen[col];
	return v;
}

long long
db_col_int(db_stmt *s, unsigned col, long long def)
{
	or_str v = db_col(s, col);
	long long x;

	if (v.ptr == NULL || str_to_ll(v, LLONG_MIN, LLONG_MAX, &x) != OR_OK)
		return def;
	return x;
}

int64_t
db_col_time(db_stmt *s, unsigned col)
{
	int64_t t;

	if (timefmt_parse_db(db_col(s, col), &t) != OR_OK)
		return 0;
	return t;
}

char *
db_col_dup(db_stmt *s, unsigned col, arena *a)
{
	or_str v = db_col(s, col);

	return v.ptr ? arena_strndup(a, v.ptr, v.len) : NULL;
}

void
db_bind_time(db_stmt *s, unsigned idx, int64_t t)
{
	db_bind_int(s, idx, t);
}

or_status
db_query_one(db_stmt *s, bool *found)
{
	or_status st = db_execute(s);

	*found = false;
	if (st == OR_OK)
		st = db_fetch(s, found);
	return st;
}

unsigned long long
db_affected(db_stmt *s)
{
	return s->st ? (unsigned long long)mysql_stmt_affected_rows(s->st) : 0;
}

unsigned long long
db_insert_id(db_stmt *s)
{
	return s->st ? (unsigned long long)mysql_stmt_insert_id(s->st) : 0;
}

/*
 * Only the buffered rows are freed: mysql_stmt_reset() would cost a round
 * trip to the server on every query, and a successfully executed statement
 * can run again without it (stmt_fail() resets after errors).
 */
void
db_stmt_done(db_stmt *s)
{
	if (s->has_result && s->st)
		mysql_stmt_free_result(s->st);
	s->has_result = false;
}

static void
bind_args(db_stmt *s, const db_arg *args, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (args[i].type == DB_ARG_INT)
			db_bind_int(s, (unsigned)i, args[i].i);
		else if (args[i].type == DB_ARG_TEXT)
			db_bind_cstr(s, (unsigned)i, args[i].s);
		else
			db_bind_null(s, (unsigned)i);
	}
}

or_status
db_run(db *d, const char *sql, const db_arg *args, size_t n, unsigned long long *affected)
{
	db_stmt *s;
	or_status st = db_prepare(d, sql, &s);

	if (st != OR_OK)
		return st;
	bind_args(s, args, n);
	st = db_execute(s);
	if (affected)
		*affected = st == OR_OK ? db_affected(s) : 0;
	db_stmt_done(s);
	return st;
}

or_status
db_scalar(db *d, const char *sql, const db_arg *args, size_t n, long long def, long long *out)
{
	db_stmt *s;
	bool found = false;
	or_status st = db_prepare(d, sql, &s);

	*out = def;
	if (st != OR_OK)
		return st;
	bind_args(s, args, n);
	st = db_query_one(s, &found);
	if (st == OR_OK && found)
		*out = db_col_int(s, 0, def);
	db_stmt_done(s);
	return st;
}

or_status
db_exec_simple(db *d, const char *sql)
{
	db_stmt *s;
	or_status st = db_prepare(d, sql, &s);

	if (st != OR_OK)
		return st;
	st = db_execute(s);
	db_stmt_done(s);
	return st;
}

or_status
db_exec_uncached(db *d, const char *sql, size_t len)
{
	db_stmt *s = stmt_alloc(d, sql, len);
	or_status st;

	if (s == NULL)
		return OR_ERR_NOMEM;
	st = stmt_prepare_handle(s);
	if (st == OR_OK)
		st = execute_once(s);
	if (s->has_result && s->st)
		mysql_stmt_free_result(s->st);
	stmt_destroy(s);
	return st;
}

or_status
db_begin(db *d)
{
	or_status st = db_connect(d);

	if (st != OR_OK)
		return st;
	if (mysql_autocommit(d->conn, 0) != 0) {
		note_error(d, mysql_errno(d->conn), mysql_error(d->conn));
		if (is_conn_error(d->last_errno))
			drop_connection(d);
		return OR_ERR_DB;
	}
	d->in_tx = true;
	return OR_OK;
}

or_status
db_commit(db *d)
{
	or_status st = OR_OK;

	if (d->conn == NULL)
		return OR_ERR_DB;
	if (mysql_commit(d->conn) != 0) {
		note_error(d, mysql_errno(d->conn), mysql_error(d->conn));
		st = OR_ERR_DB;
	}
	if (d->conn && mysql_autocommit(d->conn, 1) != 0 && st == OR_OK)
		st = OR_ERR_DB;
	if (st != OR_OK && is_conn_error(d->last_errno))
		drop_connection(d);
	d->in_tx = false;
	return st;
}

void
db_rollback(db *d)
{
	if (d->conn) {
		if (mysql_rollback(d->conn) != 0 || mysql_autocommit(d->conn, 1) != 0) {
			note_error(d, mysql_errno(d->conn), mysql_error(d->conn));
			drop_connection(d);
		}
	}
	d->in_tx = false;
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
