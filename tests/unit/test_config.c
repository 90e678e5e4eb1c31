/* Unit tests for config parsing and environment overrides (src/core/config.c). */
#include <string.h>

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

static const unit_test tests[] = {
	{ "defaults", test_defaults },
	{ "parse a config file", test_parse_file_text },
	{ "errors name the line and key", test_parse_errors },
	{ "environment overrides", test_env_overrides },
	{ "over-long values refused", test_value_too_long },
	{ "fetcher keys", test_fetcher_keys },
	{ NULL, NULL }
};
UNIT_MAIN("config", tests)
