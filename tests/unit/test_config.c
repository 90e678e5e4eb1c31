/* Unit tests for config parsing and environment overrides (src/core/config.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "onramp/clock.h"
#include "onramp/config.h"
#include "unit.h"

static void
test_defaults(void)
{
	config c;

	config_defaults(&c);
	CU_ASSERT_EQUAL(c.body_limit, 256u * 1024u);
	CU_ASSERT_EQUAL(c.body_limit_saml, 1024u * 1024u);
	CU_ASSERT_STRING_EQUAL(c.listener_param, "ONRAMP_LISTENER");
	CU_ASSERT_EQUAL(c.listen_mode, 0660);
	CU_ASSERT_EQUAL(c.db_statement_cache, 256);
	CU_ASSERT_EQUAL(c.db_backoff_s, 5);
	CU_ASSERT_EQUAL(c.db_probe_timeout_ms, 500);
	CU_ASSERT_TRUE(config_worker_count(&c) >= 1);
}

static void
test_parse_file_text(void)
{
	config c;
	char err[256] = "";
	const char text[] =
		"# comment\n"
		"listen = /tmp/x.sock\n"
		"  workers=3  \n"
		"\n"
		"body_limit = 512k\n"
		"listen_mode = 0600\n"
		"public_base_url = \"https://console.example.com\"\n"
		"cookie_secure = on\n";

	config_defaults(&c);
	CU_ASSERT_EQUAL_FATAL(config_parse(&c, text, strlen(text), err, sizeof(err)), OR_OK);
	CU_ASSERT_STRING_EQUAL(c.listen, "/tmp/x.sock");
	CU_ASSERT_EQUAL(c.workers, 3);
	CU_ASSERT_EQUAL(config_worker_count(&c), 3);
	CU_ASSERT_EQUAL(c.body_limit, 512u * 1024u);
	CU_ASSERT_EQUAL(c.listen_mode, 0600);
	CU_ASSERT_STRING_EQUAL(c.public_base_url, "https://console.example.com");
	CU_ASSERT_EQUAL(c.cookie_secure, COOKIE_SECURE_ON);
}

static void
expect_bad(const char *text, const char *needle)
{
	config c;
	char err[256] = "";

	config_defaults(&c);
	CU_ASSERT_NOT_EQUAL(config_parse(&c, text, strlen(text), err, sizeof(err)), OR_OK);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, needle));
}

static void
test_parse_errors(void)
{
	expect_bad("nosuchkey = 1\n", "line 1: unknown key 'nosuchkey'");
	expect_bad("\n\nworkers = many\n", "line 3: workers");
	expect_bad("workers = 100000\n", "workers");
	expect_bad("just words\n", "line 1: expected key = value");
	expect_bad("listen_mode = 999\n", "listen_mode");
	expect_bad("body_limit = 100m\n", "body_limit");
	expect_bad("cookie_secure = maybe\n", "cookie_secure");
	/* Fewer slots than one request's statements would fail that request every time. */
	expect_bad("db_statement_cache = 63\n", "db_statement_cache");
	expect_bad("db_statement_cache = 4097\n", "db_statement_cache");
	expect_bad("db_backoff_s = 0\n", "db_backoff_s");
	expect_bad("db_probe_timeout_ms = 10001\n", "db_probe_timeout_ms");
}

static const char *
fake_env(const char *name)
{
	if (strcmp(name, "ONRAMP_WORKERS") == 0)
		return "7";
	if (strcmp(name, "ONRAMP_DB_SOCKET") == 0)
		return "/tmp/db.sock";
	return NULL;
}

static const char *
bad_env(const char *name)
{
	return strcmp(name, "ONRAMP_DB_PORT") == 0 ? "70000" : NULL;
}

static void
test_env_overrides(void)
{
	config c;
	char err[256] = "";

	config_defaults(&c);
	CU_ASSERT_EQUAL(config_apply_env(&c, fake_env, err, sizeof(err)), OR_OK);
	CU_ASSERT_EQUAL(c.workers, 7);
	CU_ASSERT_STRING_EQUAL(c.db_socket, "/tmp/db.sock");
	CU_ASSERT_NOT_EQUAL(config_apply_env(&c, bad_env, err, sizeof(err)), OR_OK);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "ONRAMP_DB_PORT"));
}

static void
test_value_too_long(void)
{
	config c;
	char err[256], big[700];

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	config_defaults(&c);
	CU_ASSERT_NOT_EQUAL(config_set(&c, "db_name", big, err, sizeof(err)), OR_OK);
	CU_ASSERT_STRING_EQUAL(c.db_name, "onramp");
}

/* The fetcher's caps: two runners by default, and a zero cap is refused rather than stalling the queue. */
static void
test_fetcher_keys(void)
{
	config c;
	char err[256] = "";
	const char text[] = "fetcher_jobs = 4\nfetcher_lease_s = 30\n";

	config_defaults(&c);
	CU_ASSERT_EQUAL(c.fetcher_jobs, 2);
	CU_ASSERT_EQUAL(c.fetcher_lease_s, 60);
	CU_ASSERT_EQUAL(c.fetcher_max_attempts, 3);
	CU_ASSERT_EQUAL_FATAL(config_parse(&c, text, strlen(text), err, sizeof(err)), OR_OK);
	CU_ASSERT_EQUAL(c.fetcher_jobs, 4);
	CU_ASSERT_EQUAL(c.fetcher_lease_s, 30);
	expect_bad("fetcher_jobs = 0\n", "fetcher_jobs");
	expect_bad("fetcher_jobs = 65\n", "fetcher_jobs");
}

/* Write text to a fresh temporary file; path (a mkstemp template) gets its name. */
static void
write_temp(char *path, const char *text)
{
	int fd = mkstemp(path);
	FILE *f = fd < 0 ? NULL : fdopen(fd, "w");

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(text, f);
	fclose(f);
}

/* Replace the text of an existing file. */
static void
rewrite(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(text, f);
	fclose(f);
}

/* Load a config file with the given text; returns config_load's status. */
static or_status
load_text(config *c, const char *text, char *err, size_t errsz)
{
	char path[] = "/tmp/onramp-config-XXXXXX";
	or_status st;

	write_temp(path, text);
	st = config_load(c, path, err, errsz);
	unlink(path);
	return st;
}

/* The test clock moves every throttle and expiry, so it needs test_mode as well, in either order. */
static void
test_test_clock_needs_test_mode(void)
{
	config c;
	char err[256] = "";

	CU_ASSERT_NOT_EQUAL(load_text(&c, "test_clock_file = /tmp/clock\n", err, sizeof(err)), OR_OK);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "test_clock_file"));
	CU_ASSERT_NOT_EQUAL(load_text(&c, "test_mode = 0\ntest_clock_file = /tmp/clock\n", err, sizeof(err)), OR_OK);
	CU_ASSERT_EQUAL(load_text(&c, "test_clock_file = /tmp/clock\ntest_mode = 1\n", err, sizeof(err)), OR_OK);
	CU_ASSERT_STRING_EQUAL(c.test_clock_file, "/tmp/clock");
	CU_ASSERT_EQUAL(load_text(&c, "test_mode = 1\n", err, sizeof(err)), OR_OK);
	expect_bad("test_mode = 2\n", "test_mode");
}

/* The request clock: wall time plus the file's seconds; no file or a bad one adds nothing. */
static void
test_request_clock_offset(void)
{
	char path[] = "/tmp/onramp-clock-XXXXXX";
	int64_t wall = clock_wall_us(), t;

	CU_ASSERT_TRUE(clock_request_us(NULL) >= wall);
	CU_ASSERT_TRUE(clock_request_us("") - wall < 60 * 1000000LL);
	write_temp(path, "905\n");
	t = clock_request_us(path) - wall;
	CU_ASSERT_TRUE(t >= 905 * 1000000LL && t < 965 * 1000000LL);
	unlink(path);
	CU_ASSERT_TRUE(clock_request_us(path) - wall < 60 * 1000000LL);
	rewrite(path, "-3600");
	t = clock_request_us(path) - wall;
	CU_ASSERT_TRUE(t >= -3600 * 1000000LL && t < -3540 * 1000000LL);
	rewrite(path, "soon\n");
	CU_ASSERT_TRUE(clock_request_us(path) - wall < 60 * 1000000LL);
	unlink(path);
}

/* The leak route leaks on every call, so it needs test_mode as well, in either order. */
static void
test_leak_route_needs_test_mode(void)
{
	config c;
	char err[256];

	CU_ASSERT_NOT_EQUAL(load_text(&c, "test_leak_route = 1\n", err, sizeof(err)), OR_OK);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "test_leak_route"));
	CU_ASSERT_NOT_EQUAL(load_text(&c, "test_mode = 0\ntest_leak_route = 1\n", err, sizeof(err)), OR_OK);
	CU_ASSERT_EQUAL(load_text(&c, "test_leak_route = 1\ntest_mode = 1\n", err, sizeof(err)), OR_OK);
	CU_ASSERT_EQUAL(c.test_leak_route, 1);
	CU_ASSERT_EQUAL(load_text(&c, "test_mode = 1\n", err, sizeof(err)), OR_OK);
	CU_ASSERT_EQUAL(c.test_leak_route, 0);
	CU_ASSERT_EQUAL(load_text(&c, "test_leak_route = 0\n", err, sizeof(err)), OR_OK);
	expect_bad("test_mode = 1\ntest_leak_route = 2\n", "test_leak_route");
}

static const unit_test tests[] = {
	{ "defaults", test_defaults },
	{ "parse a config file", test_parse_file_text },
	{ "errors name the line and key", test_parse_errors },
	{ "environment overrides", test_env_overrides },
	{ "over-long values refused", test_value_too_long },
	{ "fetcher keys", test_fetcher_keys },
	{ "test_clock_file needs test_mode", test_test_clock_needs_test_mode },
	{ "test_leak_route needs test_mode", test_leak_route_needs_test_mode },
	{ "request clock with a test offset", test_request_clock_offset },
	{ NULL, NULL }
};
UNIT_MAIN("config", tests)
