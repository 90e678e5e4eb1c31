/*
 * bench-users: the ceiling that onramp's filtered user listing
 * (GET /admin/api/v1/users?q=status:active role:customer_admin) is measured
 * against (docs/performance.md).  A prefork libfcgi program like
 * bench-select: each worker holds one connection and prepares, once, the very
 * statement onramp's store_user_list() assembles for that filter (the text
 * below; tests/bench/identity.py checks it against the Prepare onramp sends,
 * taken from MariaDB's general log), binds the same values (operator scope,
 * first page, the dormancy threshold now - 90 days, the role, 51 rows) and
 * answers the same JSON page: up to 50 users with the same 16 fields, built
 * with json-c as onramp does, plus next_after.  No session, no auth, no
 * request parsing: only the query and the page.
 *
 * usage: bench-users SOCKET NWORKERS
 *        bench-users --sql          (print the statement and exit)
 * environment: BENCH_DB_SOCKET, BENCH_DB_USER, BENCH_DB_PASSWORD, BENCH_DB_NAME
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "prefork.h"
#include <json-c/json.h>
#include <mysql.h>

#define PAGE 50
#define DORMANT_AFTER_S (90 * 86400)
#define NCOLS 16
#define TEXT_MAX 1024

/* store_user_list_any() + filter_sql_compile() for q=status:active role:customer_admin (the operator listing). */
static const char SQL_LIST[] =
	"SELECT u.id, u.customer_id, c.slug, u.username, u.email, u.display_name, u.role, u.status, "
	"u.login_type, u.must_change_password, u.password_hash IS NOT NULL, u.last_seen_at, "
	"u.created_at, u.updated_at, u.deactivated_at, u.version FROM users u JOIN customers c "
	"ON c.id = u.customer_id WHERE u.id > ? AND "
	"(((u.deactivated_at IS NULL AND u.status = 'active' AND u.last_seen_at >= FROM_UNIXTIME(?))) "
	"AND (u.role IN (?))) ORDER BY u.id LIMIT ?";

static const char ROLE[] = "customer_admin";

static const char UNAVAILABLE[] =
	"Status: 503 Service Unavailable\r\n"
	"Content-Type: application/json\r\n"
	"\r\n"
	"{\"status\":\"unavailable\"}";

enum { C_ID, C_CUSTOMER_ID, C_SLUG, C_USERNAME, C_EMAIL, C_DISPLAY, C_ROLE, C_STATUS, C_LOGIN,
       C_MUST_CHANGE, C_HAS_PASSWORD, C_LAST_SEEN, C_CREATED, C_UPDATED, C_DEACTIVATED, C_VERSION };

/* One worker's connection, statement and bound buffers. */
typedef struct {
	MYSQL *conn;
	MYSQL_STMT *stmt;
	MYSQL_BIND params[4];
	MYSQL_BIND cols[NCOLS];
	long long zero, threshold, limit;
	unsigned long role_len;
	long long ints[NCOLS];
	char text[NCOLS][TEXT_MAX + 1];
	MYSQL_TIME times[NCOLS];
	unsigned long lens[NCOLS];
	my_bool nulls[NCOLS];
} list_query;

static const char *
env_or(const char *name, const char *def)
{
	const char *v = getenv(name);
	return v && *v ? v : def;
}

static void
query_close(list_query *q)
{
	if (q->stmt)
		mysql_stmt_close(q->stmt);
	if (q->conn)
		mysql_close(q->conn);
	q->stmt = NULL;
	q->conn = NULL;
}

static void
bind_int(MYSQL_BIND *b, long long *v)
{
	b->buffer_type = MYSQL_TYPE_LONGLONG;
	b->buffer = v;
}

static void
bind_params(list_query *q)
{
	memset(q->params, 0, sizeof(q->params));
	bind_int(&q->params[0], &q->zero);
	bind_int(&q->params[1], &q->threshold);
	q->params[2].buffer_type = MYSQL_TYPE_STRING;
	q->params[2].buffer = (void *)(uintptr_t)ROLE;
	q->role_len = sizeof(ROLE) - 1;
	q->params[2].length = &q->role_len;
	bind_int(&q->params[3], &q->limit);
}

/* Integers as integers, times as MYSQL_TIME, the rest as text. */
static void
bind_cols(list_query *q)
{
	unsigned i;

	memset(q->cols, 0, sizeof(q->cols));
	for (i = 0; i < NCOLS; i++) {
		MYSQL_BIND *b = &q->cols[i];
		b->is_null = &q->nulls[i];
		b->length = &q->lens[i];
		if (i == C_ID || i == C_CUSTOMER_ID || i == C_MUST_CHANGE || i == C_HAS_PASSWORD || i == C_VERSION) {
			bind_int(b, &q->ints[i]);
		} else if (i >= C_LAST_SEEN && i <= C_DEACTIVATED) {
			b->buffer_type = MYSQL_TYPE_DATETIME;
			b->buffer = &q->times[i];
		} else {
			b->buffer_type = MYSQL_TYPE_STRING;
			b->buffer = q->text[i];
			b->buffer_length = TEXT_MAX;
		}
	}
}

/* Connect as onramp does (UTC, utf8mb4) and prepare once. */
static int
query_open(list_query *q)
{
	q->conn = mysql_init(NULL);
	if (q->conn == NULL)
		return -1;
	mysql_options(q->conn, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	mysql_options(q->conn, MYSQL_INIT_COMMAND, "SET time_zone = '+00:00'");
	if (mysql_real_connect(q->conn, NULL, env_or("BENCH_DB_USER", "bench"),
			       env_or("BENCH_DB_PASSWORD", ""), env_or("BENCH_DB_NAME", "bench"), 0,
			       env_or("BENCH_DB_SOCKET", NULL), 0) == NULL)
		goto fail;
	q->stmt = mysql_stmt_init(q->conn);
	if (q->stmt == NULL || mysql_stmt_prepare(q->stmt, SQL_LIST, sizeof(SQL_LIST) - 1) != 0)
		goto fail;
	bind_params(q);
	bind_cols(q);
	if (mysql_stmt_bind_param(q->stmt, q->params) != 0 || mysql_stmt_bind_result(q->stmt, q->cols) != 0)
		goto fail;
	return 0;
fail:
	fprintf(stderr, "bench-users: %s\n", q->stmt ? mysql_stmt_error(q->stmt) : mysql_error(q->conn));
	query_close(q);
	return -1;
}

static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* UNIX seconds of a column, 0 for NULL (as onramp's db_col_time). */
static int64_t
col_time(const list_query *q, unsigned i)
{
	const MYSQL_TIME *t = &q->times[i];

	if (q->nulls[i])
		return 0;
	return days_from_civil(t->year, t->month, t->day) * 86400 + t->hour * 3600 + t->minute * 60 + t->second;
}

static json_object *
time_json(const list_query *q, unsigned i)
{
	const MYSQL_TIME *t = &q->times[i];
	char buf[32];

	if (q->nulls[i])
		return NULL;
	snprintf(buf, sizeof(buf), "%04u-%02u-%02uT%02u:%02u:%02uZ", t->year, t->month, t->day, t->hour,
		 t->minute, t->second);
	return json_object_new_string(buf);
}

static json_object *
id_json(long long id)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%lld", id);
	return json_object_new_string(buf);
}

static json_object *
text_json(const list_query *q, unsigned i)
{
	size_t n = q->lens[i] < TEXT_MAX ? q->lens[i] : TEXT_MAX;

	return q->nulls[i] ? NULL : json_object_new_string_len(q->text[i], (int)n);
}

static const char *
status_name(const list_query *q, int64_t now)
{
	int64_t seen = col_time(q, C_LAST_SEEN);

	if (!q->nulls[C_DEACTIVATED])
		return "deactivated";
	if (q->lens[C_STATUS] == 9 && memcmp(q->text[C_STATUS], "suspended", 9) == 0)
		return "suspended";
	if (seen == 0 || seen < now - DORMANT_AFTER_S)
		return "dormant";
	return "active";
}

/* The current row as onramp's output_user() shapes it for operators. */
static json_object *
user_json(const list_query *q, int64_t now)
{
	json_object *o = json_object_new_object();
	const char *status = status_name(q, now);

	json_object_object_add(o, "id", id_json(q->ints[C_ID]));
	json_object_object_add(o, "username", text_json(q, C_USERNAME));
	json_object_object_add(o, "email", text_json(q, C_EMAIL));
	json_object_object_add(o, "display_name", text_json(q, C_DISPLAY));
	json_object_object_add(o, "role", text_json(q, C_ROLE));
	json_object_object_add(o, "status", json_object_new_string(status));
	json_object_object_add(o, "login_type", text_json(q, C_LOGIN));
	json_object_object_add(o, "must_change_password", json_object_new_boolean(q->ints[C_MUST_CHANGE] != 0));
	json_object_object_add(o, "last_seen_at", time_json(q, C_LAST_SEEN));
	json_object_object_add(o, "created_at", time_json(q, C_CREATED));
	json_object_object_add(o, "updated_at", time_json(q, C_UPDATED));
	json_object_object_add(o, "deactivated_at", time_json(q, C_DEACTIVATED));
	json_object_object_add(o, "holds_seat", json_object_new_boolean(strcmp(status, "active") == 0));
	json_object_object_add(o, "version", json_object_new_int64(q->ints[C_VERSION]));
	json_object_object_add(o, "customer_id", id_json(q->ints[C_CUSTOMER_ID]));
	json_object_object_add(o, "customer", text_json(q, C_SLUG));
	return o;
}

/* Run the listing; the page object, or NULL on a database error. */
static json_object *
list_page(list_query *q)
{
	int64_t now = (int64_t)time(NULL);
	json_object *page, *arr;
	long long last_id = 0;
	int n = 0, rc;
	bool more = false;

	if (q->conn == NULL && query_open(q) != 0)
		return NULL;
	q->zero = 0;
	q->threshold = now - DORMANT_AFTER_S;
	q->limit = PAGE + 1;
	if (mysql_stmt_execute(q->stmt) != 0 || mysql_stmt_store_result(q->stmt) != 0) {
		fprintf(stderr, "bench-users: %s\n", mysql_stmt_error(q->stmt));
		query_close(q);
		return NULL;
	}
	page = json_object_new_object();
	arr = json_object_new_array();
	while ((rc = mysql_stmt_fetch(q->stmt)) == 0 || rc == MYSQL_DATA_TRUNCATED) {
		if (n == PAGE) {
			more = true;
			break;
		}
		json_object_array_add(arr, user_json(q, now));
		last_id = q->ints[C_ID];
		n++;
	}
	(void)mysql_stmt_free_result(q->stmt);
	json_object_object_add(page, "users", arr);
	json_object_object_add(page, "next_after", more ? id_json(last_id) : NULL);
	return page;
}

static void
answer(FCGX_Request *req, list_query *q)
{
	static const char head[] = "Status: 200 OK\r\nContent-Type: application/json\r\n\r\n";
	json_object *page = list_page(q);
	const char *body;

	if (page == NULL) {
		(void)FCGX_PutStr(UNAVAILABLE, (int)sizeof(UNAVAILABLE) - 1, req->out);
		return;
	}
	body = json_object_to_json_string_ext(page, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	(void)FCGX_PutStr(head, (int)sizeof(head) - 1, req->out);
	(void)FCGX_PutStr(body, (int)strlen(body), req->out);
	json_object_put(page);
}

/* A worker: one connection and one prepared statement for its lifetime. */
static int
worker(int lfd, long index, long n)
{
	FCGX_Request req;
	static list_query q;

	(void)index;
	(void)n;
	memset(&q, 0, sizeof(q));
	if (query_open(&q) != 0 || FCGX_Init() != 0 || FCGX_InitRequest(&req, lfd, 0) != 0) {
		fprintf(stderr, "bench-users: worker init failed\n");
		query_close(&q);
		return 1;
	}
	while (FCGX_Accept_r(&req) >= 0) {
		answer(&req, &q);
		FCGX_Finish_r(&req);
	}
	query_close(&q);
	return 0;
}

int
main(int argc, char **argv)
{
	int rc;

	if (argc == 2 && strcmp(argv[1], "--sql") == 0) {
		puts(SQL_LIST);
		return 0;
	}
	if (mysql_library_init(0, NULL, NULL) != 0) {
		fprintf(stderr, "bench-users: mysql_library_init failed\n");
		return 1;
	}
	rc = prefork_main("bench-users", argc, argv, worker);
	mysql_library_end();
	return rc;
}
