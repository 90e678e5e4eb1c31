/*
 * Unit tests for the back-off after a database timeout and the readiness
 * probe (src/store/db_backoff.c, src/store/db_probe.c).  The state machine
 * takes its time as a parameter; the connector-level tests use a unix socket
 * that listens and never answers, which is what a frozen (SIGSTOPped)
 * mariadbd looks like to a client: the kernel completes the connection and
 * nothing ever arrives.
 */
#include <errmsg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "onramp/clock.h"
#include "onramp/db_backoff.h"
#include "unit.h"

static void
test_states_over_time(void)
{
	db_backoff *b = db_backoff_new();

	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_EQUAL(db_backoff_admit(b, 1000, 500), DB_BACKOFF_GO);
	CU_ASSERT_EQUAL(db_backoff_left_ms(b, 1000), 0);
	db_backoff_start(b, 1000, 5000);
	CU_ASSERT_EQUAL(db_backoff_admit(b, 1000, 500), DB_BACKOFF_REFUSE);
	CU_ASSERT_EQUAL(db_backoff_admit(b, 5999, 500), DB_BACKOFF_REFUSE);
	CU_ASSERT_EQUAL(db_backoff_left_ms(b, 2500), 3500);
	/* Over: one caller runs the trial; the others keep failing fast while it runs. */
	CU_ASSERT_EQUAL(db_backoff_admit(b, 6000, 500), DB_BACKOFF_TRIAL);
	CU_ASSERT_EQUAL(db_backoff_admit(b, 6001, 500), DB_BACKOFF_REFUSE);
	CU_ASSERT_EQUAL(db_backoff_admit(b, 6499, 500), DB_BACKOFF_REFUSE);
	CU_ASSERT_EQUAL(db_backoff_left_ms(b, 6400), 1);	/* still refusing: Retry-After 1 */
	/* A trial whose worker died frees its claim when the claim runs out. */
	CU_ASSERT_EQUAL(db_backoff_admit(b, 6500, 500), DB_BACKOFF_TRIAL);
	/* The trial failed: a new back-off, counted. */
	db_backoff_start(b, 6600, 5000);
	CU_ASSERT_EQUAL(db_backoff_admit(b, 6700, 500), DB_BACKOFF_REFUSE);
	CU_ASSERT_EQUAL(db_backoff_admit(b, 11600, 500), DB_BACKOFF_TRIAL);
	db_backoff_end(b);
	CU_ASSERT_EQUAL(db_backoff_admit(b, 11601, 500), DB_BACKOFF_GO);
	CU_ASSERT_EQUAL(db_backoff_left_ms(b, 11601), 0);
	db_backoff_count_refusal(b);
	CU_ASSERT_EQUAL(db_backoff_get_stats(b, 11601).timeouts, 2);
	CU_ASSERT_EQUAL(db_backoff_get_stats(b, 11601).refused, 1);
	db_backoff_free(b);
}

/* The master maps the state before fork: a timeout seen by one worker stops the others. */
static void
test_shared_across_fork(void)
{
	db_backoff *b = db_backoff_new();
	pid_t pid;
	int status = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	pid = fork();
	CU_ASSERT_FATAL(pid >= 0);
	if (pid == 0) {
		db_backoff_start(b, 1000, 5000);
		_exit(0);
	}
	CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
	CU_ASSERT_EQUAL(db_backoff_admit(b, 2000, 500), DB_BACKOFF_REFUSE);
	CU_ASSERT_EQUAL(db_backoff_get_stats(b, 2000).timeouts, 1);
	db_backoff_free(b);
}

static db *
handle_on(config *c, const char *sock)
{
	db *d;

	config_defaults(c);
	str_copy(c->db_socket, sizeof(c->db_socket), sock);
	c->db_connect_timeout_s = 1;
	c->db_read_timeout_s = 1;
	c->db_write_timeout_s = 1;
	c->db_probe_timeout_ms = 150;
	d = db_new(c);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	return d;
}

/* During a back-off no call dials or counts as a database error: it fails at once, Retry-After = time left. */
static void
test_backoff_refuses_without_dialling(void)
{
	config c;
	db *d = handle_on(&c, "/nonexistent/onramp-test.sock");

	CU_ASSERT_EQUAL(db_retry_after_s(d, 7), 7);
	db_backoff_start(db_get_backoff(d), clock_mono_ms(), 2500);
	CU_ASSERT_EQUAL(db_connect(d), OR_ERR_DB);
	CU_ASSERT_EQUAL(db_begin(d), OR_ERR_DB);
	CU_ASSERT_EQUAL(db_get_counters(d).errors, 0);	/* a dial would have failed and counted */
	CU_ASSERT_EQUAL(db_backoff_get_stats(db_get_backoff(d), clock_mono_ms()).refused, 2);
	CU_ASSERT_EQUAL(db_retry_after_s(d, 7), 3);
	CU_ASSERT_NOT_EQUAL(strstr(db_last_error(d), "fail fast"), NULL);
	db_free(d);
}

/* A refused dial (server stopped) costs microseconds: it starts no back-off. */
static void
test_refused_dial_starts_no_backoff(void)
{
	config c;
	db *d = handle_on(&c, "/nonexistent/onramp-test.sock");
	unsigned v = 99;

	CU_ASSERT_EQUAL(db_connect(d), OR_ERR_DB);
	CU_ASSERT_EQUAL(db_probe_schema(d, &v), DB_PROBE_FAILED);
	CU_ASSERT_EQUAL(db_backoff_get_stats(db_get_backoff(d), clock_mono_ms()).timeouts, 0);
	CU_ASSERT_EQUAL(db_backoff_left_ms(db_get_backoff(d), clock_mono_ms()), 0);
	db_free(d);
}

/* A unix socket that accepts connections (the kernel does) and never says a word. */
static int
silent_server(char *path, size_t n)
{
	struct sockaddr_un a;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	CU_ASSERT_FATAL(fd >= 0);
	snprintf(path, n, "/tmp/onramp-silent-%ld.sock", (long)getpid());
	unlink(path);
	memset(&a, 0, sizeof(a));
	a.sun_family = AF_UNIX;
	str_copy(a.sun_path, sizeof(a.sun_path), path);
	CU_ASSERT_FATAL(bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0);
	CU_ASSERT_FATAL(listen(fd, 16) == 0);
	return fd;
}

/*
 * The probe answers within its deadline from a server that never greets, and
 * a probe timeout alone starts no back-off (its deadline is far shorter than
 * the configured timeouts; a slow server is not yet a hung one).
 */
static void
test_probe_meets_its_deadline(void)
{
	char path[108];
	int fd = silent_server(path, sizeof(path));
	config c;
	db *d = handle_on(&c, path);
	unsigned v;
	int64_t t0 = clock_mono_ms(), took;

	CU_ASSERT_EQUAL(db_probe_schema(d, &v), DB_PROBE_TIMEOUT);
	took = clock_mono_ms() - t0;
	CU_ASSERT(took >= 140 && took < 600);
	CU_ASSERT_EQUAL(db_backoff_left_ms(db_get_backoff(d), clock_mono_ms()), 0);
	CU_ASSERT_NOT_EQUAL(strstr(db_last_error(d), "no answer within 150 ms"), NULL);
	db_free(d);
	close(fd);
	unlink(path);
}

/*
 * A dial whose handshake gets no answer for the connect timeout starts the
 * back-off: the next call fails at once, and /readyz's probe answers "back-off"
 * without asking.
 */
static void
test_timed_out_dial_starts_backoff(void)
{
	char path[108];
	int fd = silent_server(path, sizeof(path));
	config c;
	db *d = handle_on(&c, path);
	unsigned v;
	int64_t t0 = clock_mono_ms();

	CU_ASSERT_EQUAL(db_connect(d), OR_ERR_DB);
	CU_ASSERT(clock_mono_ms() - t0 >= 900);
	CU_ASSERT_EQUAL(db_last_errno(d), CR_SERVER_LOST);
	CU_ASSERT_EQUAL(db_backoff_get_stats(db_get_backoff(d), clock_mono_ms()).timeouts, 1);
	t0 = clock_mono_ms();
	CU_ASSERT_EQUAL(db_connect(d), OR_ERR_DB);
	CU_ASSERT_EQUAL(db_probe_schema(d, &v), DB_PROBE_BACKOFF);
	/* No dial: a dial into the silent server takes the 900+ ms above (the margin is for loaded machines). */
	CU_ASSERT(clock_mono_ms() - t0 < 600);
	CU_ASSERT_EQUAL(db_retry_after_s(d, 1), c.db_backoff_s);
	db_free(d);
	close(fd);
	unlink(path);
}

static const unit_test tests[] = {
	{ "back-off, trial and end over time", test_states_over_time },
	{ "the state is shared across fork", test_shared_across_fork },
	{ "a back-off refuses calls without dialling", test_backoff_refuses_without_dialling },
	{ "a refused dial starts no back-off", test_refused_dial_starts_no_backoff },
	{ "the probe meets its deadline on a silent server", test_probe_meets_its_deadline },
	{ "a timed-out dial starts the back-off", test_timed_out_dial_starts_backoff },
	{ NULL, NULL }
};
UNIT_MAIN("db_backoff", tests)
