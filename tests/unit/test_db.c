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

/* The retry rule: which failures run again, and never a unit that took effect. */
static void
test_retry_only_lock_conflicts_with_nothing_done(void)
{
	db_unit u = { ER_LOCK_DEADLOCK, false, false, false };
	long us = -1;

	CU_ASSERT_TRUE(db_retry_decide(&u, 1, 3, 0, &us));
	u.lock_errno = ER_LOCK_WAIT_TIMEOUT;
	CU_ASSERT_TRUE(db_retry_decide(&u, 2, 3, 7, &us));
	u.lock_errno = 0;	/* any other failure (a server down, a duplicate) is answered as it is */
	CU_ASSERT_FALSE(db_retry_decide(&u, 1, 3, 0, &us));
	CU_ASSERT_EQUAL(us, 0);
	u.lock_errno = CR_SERVER_LOST;
	CU_ASSERT_FALSE(db_retry_decide(&u, 1, 3, 0, &us));
	u.lock_errno = ER_DUP_ENTRY;
	CU_ASSERT_FALSE(db_retry_decide(&u, 1, 3, 0, &us));
}

/* A handler that committed, wrote in autocommit or called out, then deadlocked, is not run again. */
static void
test_no_retry_after_an_irrevocable_step(void)
{
	db_unit committed = { ER_LOCK_DEADLOCK, true, false, false };
	db_unit wrote = { ER_LOCK_DEADLOCK, false, true, false };
	db_unit called = { ER_LOCK_WAIT_TIMEOUT, false, false, true };
	long us;

	CU_ASSERT_FALSE(db_retry_decide(&committed, 1, 3, 0, &us));
	CU_ASSERT_FALSE(db_retry_decide(&wrote, 1, 3, 0, &us));
	CU_ASSERT_FALSE(db_retry_decide(&called, 1, 3, 0, &us));
}

/* attempt counts the runs so far: with max 3, runs 1 and 2 may be followed by another, run 3 not. */
static void
test_retry_attempts_are_bounded(void)
{
	db_unit u = { ER_LOCK_DEADLOCK, false, false, false };
	long us;

	CU_ASSERT_TRUE(db_retry_decide(&u, 1, 3, 0, &us));
	CU_ASSERT_TRUE(db_retry_decide(&u, 2, 3, 0, &us));
	CU_ASSERT_FALSE(db_retry_decide(&u, 3, 3, 0, &us));
	CU_ASSERT_FALSE(db_retry_decide(&u, 1, 1, 0, &us));	/* db_tx_attempts = 1: retry off */
}

/* The pause is random within [2 ms * attempt, min(8 ms * attempt, 25 ms)], and grows. */
static void
test_retry_jitter_window_grows(void)
{
	db_unit u = { ER_LOCK_DEADLOCK, false, false, false };
	uint32_t rnd[] = { 0, 1, 977, 65535, 0x7fffffffu, 0xffffffffu };
	long lo1 = 1L << 40, hi1 = 0, lo2 = 1L << 40, hi2 = 0, us;
	size_t i;

	for (i = 0; i < sizeof(rnd) / sizeof(rnd[0]); i++) {
		CU_ASSERT_TRUE(db_retry_decide(&u, 1, 10, rnd[i], &us));
		CU_ASSERT_TRUE(us >= 2000 && us <= 8000);
		lo1 = us < lo1 ? us : lo1;
		hi1 = us > hi1 ? us : hi1;
		CU_ASSERT_TRUE(db_retry_decide(&u, 2, 10, rnd[i], &us));
		CU_ASSERT_TRUE(us >= 4000 && us <= 16000);
		lo2 = us < lo2 ? us : lo2;
		hi2 = us > hi2 ? us : hi2;
		CU_ASSERT_TRUE(db_retry_decide(&u, 9, 10, rnd[i], &us));
		CU_ASSERT_TRUE(us >= 12500 && us <= 25000);
	}
	CU_ASSERT_TRUE(hi1 > lo1);	/* it does vary */
	CU_ASSERT_TRUE(lo2 > lo1 && hi2 > hi1);
}

/* db_retry_next reads the handle's unit and its config; a new unit starts clean. */
static void
test_retry_next_uses_the_unit_and_config(void)
{
	config c;
	db *d;
	long us = 0;

	d = unreachable_db(&c);
	CU_ASSERT_FALSE(db_retry_next(d, 1, &us));	/* nothing failed */
	db_unit_mark_external(d);
	CU_ASSERT_TRUE(db_unit_get(d).external);
	db_request_start(d);
	CU_ASSERT_FALSE(db_unit_get(d).external);
	CU_ASSERT_EQUAL(c.db_tx_attempts, 3);
	db_free(d);
}

static const unit_test tests[] = {
	{ "only lock conflicts are retried", test_retry_only_lock_conflicts_with_nothing_done },
	{ "a unit that took effect is not retried", test_no_retry_after_an_irrevocable_step },
	{ "retry attempts are bounded", test_retry_attempts_are_bounded },
	{ "the retry pause is random in a growing window", test_retry_jitter_window_grows },
	{ "db_retry_next reads the unit; a new unit starts clean", test_retry_next_uses_the_unit_and_config },
	{ "input-caused errors answer 400 and are not counted", test_input_errors_are_bad_requests },
	{ "database failures answer 503 and are counted", test_database_failures_are_unavailable },
	{ "an unreachable server counts", test_unreachable_server_counts },
	{ "a request starts without the previous one's error", test_request_start_forgets_the_last_error },
	{ NULL, NULL }
};
UNIT_MAIN("db", tests)
