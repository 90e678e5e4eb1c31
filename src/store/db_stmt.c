/*
 * Prepared statements over the connection of db.c: a cache keyed by the SQL
 * text's address, parameters bound by index, results buffered client-side and
 * fetched as text into per-statement buffers that grow on truncation.  When
 * the first statement of a request finds its connection dead (the server
 * restarted while the worker was idle), it is re-prepared and run once more
 * on a new connection (db_may_retry), so no request after the server is back
 * answers 503; a mysql_ping per request would cost a round trip instead.
 */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <errmsg.h>
#include <mysqld_error.h>

#include "onramp/arena.h"
#include "onramp/timefmt.h"
#include "db_internal.h"

static or_status
stmt_fail(db_stmt *s)
{
	db *d = s->owner;
	unsigned no = s->st ? mysql_stmt_errno(s->st) : mysql_errno(d->conn);

	db_note_error(d, no, s->st ? mysql_stmt_error(s->st) : mysql_error(d->conn));
	db_hosts_conn_error(d, no);
	if (db_is_conn_error(no))
		db_drop_connection(d);
	else if (s->st)
		(void)mysql_stmt_reset(s->st);
	return db_error_status(no);
}

static or_status
stmt_prepare_handle(db_stmt *s)
{
	db *d = s->owner;
	size_t len = s->sql_len ? s->sql_len : strlen(s->sql);
	or_status st = db_connect(d);

	if (st != OR_OK)
		return st;
	db_stmt_free_cols(s);
	/* An uncached statement keeps its handle when the connection drops: free it before the new one. */
	if (s->st) {
		mysql_stmt_close(s->st);
		s->st = NULL;
	}
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
	d->idle = false;
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

/*
 * A free cache slot for a new statement: an empty one, else the least
 * recently used statement that the current unit of work has not used (its
 * handle is closed; it is prepared again when next needed).  A statement of
 * this unit may still be in its caller's hands, so it is never the victim;
 * NULL only when one unit ran more statements than the cache holds.
 */
static db_stmt **
cache_slot(db *d)
{
	db_stmt **victim = NULL;
	size_t i;

	if (d->ncache < d->cache_cap)
		return &d->cache[d->ncache++];
	for (i = 0; i < d->ncache; i++)
		if (d->cache[i]->used_unit != d->unit && (victim == NULL || d->cache[i]->used_tick < (*victim)->used_tick))
			victim = &d->cache[i];
	if (victim == NULL)
		return NULL;
	db_stmt_destroy(*victim);
	*victim = NULL;
	return victim;
}

/* The cached statement for sql, added (evicting another when full) on first use. */
static or_status
cache_find(db *d, const char *sql, db_stmt **out)
{
	db_stmt **slot;
	size_t i;

	for (i = 0; i < d->ncache; i++)
		if (d->cache[i]->sql == sql) {
			*out = d->cache[i];
			return OR_OK;
		}
	if ((slot = cache_slot(d)) == NULL) {
		db_note_error(d, 0, "statement cache full: one unit of work ran more statements than db_statement_cache");
		return OR_ERR_INTERNAL;
	}
	if ((*slot = stmt_alloc(d, sql, 0)) == NULL) {
		/* Keep the array dense: the last entry moves into the empty slot. */
		*slot = d->cache[--d->ncache];
		d->cache[d->ncache] = NULL;
		return OR_ERR_NOMEM;
	}
	*out = *slot;
	return OR_OK;
}

or_status
db_prepare(db *d, const char *sql, db_stmt **out)
{
	db_stmt *s = NULL;
	or_status st = cache_find(d, sql, &s);

	if (st != OR_OK)
		return st;
	s->used_unit = d->unit;
	s->used_tick = ++d->tick;
	if (s->has_result)
		db_stmt_done(s);
	memset(s->params, 0, sizeof(s->params));
	if (s->st == NULL) {
		bool tx = d->in_tx;
		st = stmt_prepare_handle(s);
		/* A dead connection we had not noticed: redial once. */
		if (st == OR_ERR_DB && db_may_retry(d, tx))
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
	bool tx = d->in_tx;
	or_status st;

	if (s == NULL)
		return OR_ERR_NOMEM;
	st = stmt_prepare_handle(s);
	if (st == OR_ERR_DB && db_may_retry(d, tx))
		st = stmt_prepare_handle(s);
	if (st != OR_OK) {
		db_stmt_destroy(s);
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
	db_stmt_destroy(s);
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

	db_stmt_free_cols(s);
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
	s->owner->idle = false;
	if (mysql_stmt_field_count(s->st) == 0) {
		/* Autocommit: a change is durable now, so the unit must never run again (nothing changed: no harm). */
		if (!s->owner->in_tx && mysql_stmt_affected_rows(s->st) > 0)
			s->owner->unit_facts.wrote_outside_tx = true;
		return OR_OK;
	}
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
	bool tx = d->in_tx;
	or_status st = db_gate(d);

	if (st != OR_OK)
		return st;
	if (s->st == NULL && (st = stmt_prepare_handle(s)) != OR_OK)
		return st;
	st = execute_once(s);
	/*
	 * The server went away since this worker last used the connection (a
	 * restart): nothing of this request ran yet, so re-prepare on a new
	 * connection and run it once more.  stmt_fail() dropped the connection,
	 * and with it every cached handle, which re-prepare on their next use.
	 */
	if (st == OR_ERR_DB && db_may_retry(d, tx)) {
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
db_delete_batched(db *d, const char *sql, const db_arg *args, size_t n, unsigned long long batch, int rounds,
		  unsigned long long *deleted)
{
	unsigned long long got = 0, total = 0;
	or_status st = OR_OK;
	int round;

	for (round = 0; round < rounds; round++) {
		if ((st = db_run(d, sql, args, n, &got)) != OR_OK)
			break;
		total += got;
		if (got < batch)
			break;
	}
	if (deleted)
		*deleted = total;
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
	db_stmt_destroy(s);
	return st;
}
