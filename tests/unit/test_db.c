/*
 * Unit tests for the database layer's error classes (src/store/db.c): what a
 * server error number answers and whether it counts as a database failure in
 * onramp_db_errors_total.  No server is needed.
 */
#include <errmsg.h>
#include <mysqld_error.h>

#include "onramp/db.h"
#include "unit.h"

/* Data a client sent: 400, never counted as a failure of the database. */
static void
test_input_errors_are_bad_requests(void)
{
	static const unsigned input[] = {
		1267,	/* Illegal mix of collations (ascii_bin vs utf8mb4), a non-ASCII login */
		1270, 1271, 1253,
		1366,	/* Incorrect string value (bytes the column's charset cannot hold) */
		1300,	/* Invalid utf8mb4 character string */
		1406,	/* Data too long for column */
		1264, 1690,	/* out of range */
		1292, 1411, 1265,	/* incorrect date or number, truncated */
	};
	size_t i;

	for (i = 0; i < sizeof(input) / sizeof(input[0]); i++)
		CU_ASSERT_EQUAL(db_error_status(input[i]), OR_ERR_INVALID);
	CU_ASSERT_EQUAL(db_error_status(ER_DUP_ENTRY), OR_ERR_CONFLICT);
	CU_ASSERT_EQUAL(db_error_status(ER_DUP_ENTRY_WITH_KEY_NAME), OR_ERR_CONFLICT);
}

/* The database itself failed: 503, counted. */
static void
test_database_failures_are_unavailable(void)
{
	static const unsigned failed[] = {
		CR_SERVER_GONE_ERROR, CR_SERVER_LOST, CR_CONNECTION_ERROR, CR_CONN_HOST_ERROR,
		ER_CONNECTION_KILLED, ER_SERVER_SHUTDOWN, 4031 /* client interaction timeout */,
		ER_LOCK_DEADLOCK, ER_LOCK_WAIT_TIMEOUT, ER_NO_SUCH_TABLE, ER_OUT_OF_RESOURCES, 0,
	};
	size_t i;

	for (i = 0; i < sizeof(failed) / sizeof(failed[0]); i++)
		CU_ASSERT_EQUAL(db_error_status(failed[i]), OR_ERR_DB);
}

static int hook_calls;

/* A database handle configured with a socket that does not exist. */
static db *
unreachable_db(config *c)
{
	db *d;

	config_defaults(c);
	str_copy(c->db_socket, sizeof(c->db_socket), "/nonexistent/onramp-test.sock");
	d = db_new(c);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	return d;
}

static void
count_hook(void *ctx)
{
	(void)ctx;
	hook_calls++;
}

/*
 * A server that cannot be reached is a real failure: counted once per failed
 * dial.  A refused dial costs microseconds, so the next call dials again
 * rather than failing fast: the first request after the server is back must
 * not get a 503 from a gap that only protects against slow (timed-out) dials.
 */
static void
test_unreachable_server_counts(void)
{
	config c;
	db *d;

	d = unreachable_db(&c);
	db_set_error_hook(d, count_hook, NULL);
	CU_ASSERT_EQUAL(db_connect(d), OR_ERR_DB);
	CU_ASSERT_EQUAL(db_get_counters(d).errors, 1);
	CU_ASSERT_EQUAL(hook_calls, 1);
	CU_ASSERT_EQUAL(db_connect(d), OR_ERR_DB);
	CU_ASSERT_EQUAL(db_get_counters(d).errors, 2);
	CU_ASSERT_EQUAL(db_last_errno(d), CR_CONNECTION_ERROR);
	db_free(d);
}

/*
 * A unit of work reports its own errors: the detail logged for a request once
 * named another request's duplicate key (the connection's last error lived on).
 */
static void
test_request_start_forgets_the_last_error(void)
{
	config c;
	db *d;

	d = unreachable_db(&c);
	CU_ASSERT_EQUAL(db_connect(d), OR_ERR_DB);
	CU_ASSERT_NOT_EQUAL(db_last_error(d)[0], '\0');
	db_request_start(d);
	CU_ASSERT_STRING_EQUAL(db_last_error(d), "");
	CU_ASSERT_EQUAL(db_last_errno(d), 0);
	CU_ASSERT_EQUAL(db_get_counters(d).errors, 1);	/* the count stays: it is the process's */
	db_free(d);
}

static const unit_test tests[] = {
	{ "input-caused errors answer 400 and are not counted", test_input_errors_are_bad_requests },
	{ "database failures answer 503 and are counted", test_database_failures_are_unavailable },
	{ "an unreachable server counts", test_unreachable_server_counts },
	{ "a request starts without the previous one's error", test_request_start_forgets_the_last_error },
	{ NULL, NULL }
};
UNIT_MAIN("db", tests)
