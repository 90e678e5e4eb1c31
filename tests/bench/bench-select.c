/*
 * bench-select: bench-hello plus one prepared MariaDB SELECT per request, the
 * ceiling that onramp's /readyz is measured against (docs/performance.md).
 * Each worker holds one connection and one prepared statement
 * `SELECT id, name FROM bench_items WHERE id = ?`, binds an id that rotates
 * through 1..1000, buffers the result client-side (as onramp's store does)
 * and answers {"id":N,"name":"..."}.  A failed statement answers 503 and the
 * connection is re-opened on the next request.
 *
 * usage: bench-select SOCKET NWORKERS
 * environment: BENCH_DB_SOCKET, BENCH_DB_USER, BENCH_DB_PASSWORD, BENCH_DB_NAME
 * (the password stays out of the process list).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "prefork.h"
#include <mysql.h>

#define ROWS 1000
#define NAME_MAX_LEN 64

static const char SQL_ITEM[] = "SELECT id, name FROM bench_items WHERE id = ?";

static const char UNAVAILABLE[] =
	"Status: 503 Service Unavailable\r\n"
	"Content-Type: application/json\r\n"
	"\r\n"
	"{\"status\":\"unavailable\"}";

/* One worker's connection, statement and bound buffers. */
typedef struct {
	MYSQL *conn;
	MYSQL_STMT *stmt;
	MYSQL_BIND param;
	MYSQL_BIND cols[2];
	long long id_in, id_out;
	char name[NAME_MAX_LEN + 1];
	unsigned long name_len;
	my_bool name_null;
} item_query;

static const char *
env_or(const char *name, const char *def)
{
	const char *v = getenv(name);
	return v && *v ? v : def;
}

static void
query_close(item_query *q)
{
	if (q->stmt)
		mysql_stmt_close(q->stmt);
	if (q->conn)
		mysql_close(q->conn);
	q->stmt = NULL;
	q->conn = NULL;
}

static void
bind_buffers(item_query *q)
{
	memset(&q->param, 0, sizeof(q->param));
	q->param.buffer_type = MYSQL_TYPE_LONGLONG;
	q->param.buffer = &q->id_in;
	memset(q->cols, 0, sizeof(q->cols));
	q->cols[0].buffer_type = MYSQL_TYPE_LONGLONG;
	q->cols[0].buffer = &q->id_out;
	q->cols[1].buffer_type = MYSQL_TYPE_STRING;
	q->cols[1].buffer = q->name;
	q->cols[1].buffer_length = NAME_MAX_LEN;
	q->cols[1].length = &q->name_len;
	q->cols[1].is_null = &q->name_null;
}

/* Connect and prepare; on failure everything is closed again. */
static int
query_open(item_query *q)
{
	q->conn = mysql_init(NULL);
	if (q->conn == NULL)
		return -1;
	if (mysql_real_connect(q->conn, NULL, env_or("BENCH_DB_USER", "bench"),
			       env_or("BENCH_DB_PASSWORD", ""), env_or("BENCH_DB_NAME", "bench"), 0,
			       env_or("BENCH_DB_SOCKET", NULL), 0) == NULL)
		goto fail;
	q->stmt = mysql_stmt_init(q->conn);
	if (q->stmt == NULL || mysql_stmt_prepare(q->stmt, SQL_ITEM, sizeof(SQL_ITEM) - 1) != 0)
		goto fail;
	bind_buffers(q);
	if (mysql_stmt_bind_param(q->stmt, &q->param) != 0 ||
	    mysql_stmt_bind_result(q->stmt, q->cols) != 0)
		goto fail;
	return 0;
fail:
	fprintf(stderr, "bench-select: %s\n", mysql_error(q->conn));
	query_close(q);
	return -1;
}

/* Run the statement for id; 1 = row found, 0 = no row, -1 = error. */
static int
query_run(item_query *q, long long id)
{
	int rc;

	if (q->conn == NULL && query_open(q) != 0)
		return -1;
	q->id_in = id;
	if (mysql_stmt_execute(q->stmt) != 0 || mysql_stmt_store_result(q->stmt) != 0)
		goto fail;
	rc = mysql_stmt_fetch(q->stmt);
	(void)mysql_stmt_free_result(q->stmt);
	if (rc == 0 || rc == MYSQL_DATA_TRUNCATED)
		return 1;
	if (rc == MYSQL_NO_DATA)
		return 0;
fail:
	fprintf(stderr, "bench-select: %s\n", mysql_stmt_error(q->stmt));
	query_close(q);
	return -1;
}

/* Names are ours ("item-0001"), but escape anything JSON would reject anyway. */
static size_t
json_escape(char *dst, size_t cap, const char *src, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0, i;

	for (i = 0; i < len && o + 7 < cap; i++) {
		unsigned char c = (unsigned char)src[i];
		if (c == '"' || c == '\\') {
			dst[o++] = '\\';
			dst[o++] = (char)c;
		} else if (c < 0x20) {
			memcpy(dst + o, "\\u00", 4);
			dst[o + 4] = hex[c >> 4];
			dst[o + 5] = hex[c & 15];
			o += 6;
		} else {
			dst[o++] = (char)c;
		}
	}
	dst[o] = '\0';
	return o;
}

static void
answer(FCGX_Request *req, item_query *q, long long id)
{
	char body[512], name[NAME_MAX_LEN * 6 + 8];
	int found = query_run(q, id), n;
	size_t nlen;

	if (found < 0) {
		(void)FCGX_PutStr(UNAVAILABLE, (int)sizeof(UNAVAILABLE) - 1, req->out);
		return;
	}
	if (found == 0) {
		n = snprintf(body, sizeof(body), "Status: 404 Not Found\r\nContent-Type: application/json\r\n"
			     "\r\n{\"status\":\"not found\",\"id\":%lld}", id);
	} else {
		nlen = q->name_null ? 0 : (q->name_len < NAME_MAX_LEN ? q->name_len : NAME_MAX_LEN);
		json_escape(name, sizeof(name), q->name, nlen);
		n = snprintf(body, sizeof(body), "Status: 200 OK\r\nContent-Type: application/json\r\n"
			     "\r\n{\"id\":%lld,\"name\":\"%s\"}", q->id_out, name);
	}
	if (n < 0 || (size_t)n >= sizeof(body)) {
		(void)FCGX_PutStr(UNAVAILABLE, (int)sizeof(UNAVAILABLE) - 1, req->out);
		return;
	}
	(void)FCGX_PutStr(body, n, req->out);
}

/* A worker: one connection for its lifetime, one SELECT per request. */
static int
worker(int lfd, long index, long n)
{
	FCGX_Request req;
	item_query q;
	long long next = index * (ROWS / n) % ROWS;

	memset(&q, 0, sizeof(q));
	if (query_open(&q) != 0 ||
	    FCGX_Init() != 0 || FCGX_InitRequest(&req, lfd, 0) != 0) {
		fprintf(stderr, "bench-select: worker init failed\n");
		query_close(&q);
		return 1;
	}
	while (FCGX_Accept_r(&req) >= 0) {
		answer(&req, &q, next + 1);
		next = (next + 1) % ROWS;
		FCGX_Finish_r(&req);
	}
	query_close(&q);
	return 0;
}

int
main(int argc, char **argv)
{
	int rc;

	if (mysql_library_init(0, NULL, NULL) != 0) {
		fprintf(stderr, "bench-select: mysql_library_init failed\n");
		return 1;
	}
	rc = prefork_main("bench-select", argc, argv, worker);
	mysql_library_end();
	return rc;
}
