/* Unit tests for the db_hosts list (src/core/dbhosts.c): parsing, the config check, the dial order. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "onramp/config.h"
#include "onramp/dbhosts.h"
#include "unit.h"

static or_status
parse(const char *text, dbhosts *l, char *err, size_t errsz)
{
	err[0] = '\0';
	return dbhosts_parse(text, l, err, errsz);
}

static void
expect_bad(const char *text, const char *needle)
{
	dbhosts l;
	char err[256];

	CU_ASSERT_NOT_EQUAL(parse(text, &l, err, sizeof(err)), OR_OK);
	if (strstr(err, needle) == NULL)
		printf("\n  '%s': error '%s' lacks '%s'\n", text, err, needle);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, needle));
}

static void
test_unix_and_tcp(void)
{
	dbhosts l;
	char err[256];

	CU_ASSERT_EQUAL_FATAL(parse("unix:/run/mysqld/a.sock,db2.example.com:3307,10.0.0.3:3306",
				    &l, err, sizeof(err)), OR_OK);
	CU_ASSERT_EQUAL_FATAL(l.n, 3);
	CU_ASSERT_TRUE(l.e[0].is_unix);
	CU_ASSERT_STRING_EQUAL(l.e[0].path, "/run/mysqld/a.sock");
	CU_ASSERT_STRING_EQUAL(l.e[0].label, "unix:/run/mysqld/a.sock");
	CU_ASSERT_FALSE(l.e[1].is_unix);
	CU_ASSERT_STRING_EQUAL(l.e[1].host, "db2.example.com");
	CU_ASSERT_EQUAL(l.e[1].port, 3307);
	CU_ASSERT_STRING_EQUAL(l.e[2].host, "10.0.0.3");
	CU_ASSERT_EQUAL(l.e[2].port, 3306);
	CU_ASSERT_STRING_EQUAL(l.e[2].label, "10.0.0.3:3306");
}

static void
test_ipv6(void)
{
	dbhosts l;
	char err[256];

	CU_ASSERT_EQUAL_FATAL(parse("[::1]:3306,[fd00::1:2]:65535", &l, err, sizeof(err)), OR_OK);
	CU_ASSERT_EQUAL_FATAL(l.n, 2);
	CU_ASSERT_STRING_EQUAL(l.e[0].host, "::1");
	CU_ASSERT_EQUAL(l.e[0].port, 3306);
	CU_ASSERT_STRING_EQUAL(l.e[0].label, "[::1]:3306");
	CU_ASSERT_STRING_EQUAL(l.e[1].host, "fd00::1:2");
	CU_ASSERT_EQUAL(l.e[1].port, 65535);
	expect_bad("::1:3306", "entry 1");
	expect_bad("[::1]", "IPv6");
	expect_bad("[::1]3306", "IPv6");
	expect_bad("[]:3306", "host");
	expect_bad("[db.example]:3306", "host");
	expect_bad("[::1]:", "port");
}

static void
test_spaces_around_commas(void)
{
	dbhosts l;
	char err[256];

	CU_ASSERT_EQUAL_FATAL(parse("  a:1 ,\tunix:/tmp/b.sock  ,  c:3", &l, err, sizeof(err)), OR_OK);
	CU_ASSERT_EQUAL_FATAL(l.n, 3);
	CU_ASSERT_STRING_EQUAL(l.e[0].host, "a");
	CU_ASSERT_STRING_EQUAL(l.e[1].path, "/tmp/b.sock");
	CU_ASSERT_STRING_EQUAL(l.e[1].label, "unix:/tmp/b.sock");
	CU_ASSERT_STRING_EQUAL(l.e[2].host, "c");
	expect_bad("a b:1", "bad character");
}

static void
test_empty_entries(void)
{
	expect_bad("a:1,,b:2", "entry 2: empty");
	expect_bad("a:1,", "entry 2: empty");
	expect_bad(",a:1", "entry 1: empty");
	expect_bad("  ", "entry 1: empty");
	expect_bad("unix:", "absolute");
}

static void
test_too_many(void)
{
	dbhosts l;
	char err[256];

	CU_ASSERT_EQUAL(parse("a:1,b:2,c:3,d:4,e:5,f:6,g:7,h:8", &l, err, sizeof(err)), OR_OK);
	CU_ASSERT_EQUAL(l.n, LIMIT_DB_HOSTS);
	expect_bad("a:1,b:2,c:3,d:4,e:5,f:6,g:7,h:8,i:9", "more than 8");
}

static void
test_bad_port(void)
{
	expect_bad("db:0", "port");
	expect_bad("db:65536", "port");
	expect_bad("db:100000", "port");
	expect_bad("db:+1", "port");
	expect_bad("db:-1", "port");
	expect_bad("db:33o6", "port");
	expect_bad("db:", "port");
	expect_bad("db", "HOST:PORT");
	expect_bad("db:1:2", "HOST:PORT");
	expect_bad(":3306", "host");
}

static void
test_unix_paths(void)
{
	char longpath[200];

	expect_bad("unix:run/mysqld.sock", "absolute");
	expect_bad("unix:./a.sock", "absolute");
	memset(longpath, 'a', sizeof(longpath));
	memcpy(longpath, "unix:/", 6);
	longpath[sizeof(longpath) - 1] = '\0';
	expect_bad(longpath, "too long");
}

static or_status
load_text(config *c, const char *text, char *err, size_t errsz)
{
	char path[] = "/tmp/onramp-dbhosts-XXXXXX";
	int fd = mkstemp(path);
	or_status st;

	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_FATAL(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	close(fd);
	err[0] = '\0';
	st = config_load(c, path, err, errsz);
	unlink(path);
	return st;
}

/* Setting both would leave it unclear which server is meant; the error names both keys. */
static void
test_config_conflicts(void)
{
	static const char *const old[] = { "db_socket = /tmp/x.sock", "db_host = db1", "db_port = 3307" };
	static const char *const key[] = { "db_socket", "db_host", "db_port" };
	config c;
	char err[256], text[256];
	size_t i;

	for (i = 0; i < sizeof(old) / sizeof(old[0]); i++) {
		snprintf(text, sizeof(text), "db_hosts = a:1,b:2\n%s\n", old[i]);
		CU_ASSERT_NOT_EQUAL(load_text(&c, text, err, sizeof(err)), OR_OK);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, "db_hosts"));
		snprintf(text, sizeof(text), "db_hosts and %s are both set", key[i]);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, text));
	}
	CU_ASSERT_EQUAL(load_text(&c, "db_hosts = a:1, unix:/tmp/b.sock\ndb_sync_wait = 1\n",
				  err, sizeof(err)), OR_OK);
	CU_ASSERT_STRING_EQUAL(c.db_hosts, "a:1, unix:/tmp/b.sock");
	CU_ASSERT_EQUAL(c.db_sync_wait, 1);
	CU_ASSERT_EQUAL(c.db_host_skip_ms, LIMIT_DB_HOST_SKIP_MS_DEFAULT);
	CU_ASSERT_NOT_EQUAL(load_text(&c, "db_hosts = a:1,,b:2\n", err, sizeof(err)), OR_OK);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "entry 2"));
	CU_ASSERT_NOT_EQUAL(load_text(&c, "db_sync_wait = 16\n", err, sizeof(err)), OR_OK);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "db_sync_wait"));
	CU_ASSERT_EQUAL(load_text(&c, "db_sync_wait = 15\n", err, sizeof(err)), OR_OK);
}

/* Without db_hosts the one entry is the old server, socket first, as before. */
static void
test_from_old_keys(void)
{
	config c;
	dbhosts l;
	char err[256] = "";

	config_defaults(&c);
	CU_ASSERT_EQUAL_FATAL(dbhosts_from_config(&c, &l, err, sizeof(err)), OR_OK);
	CU_ASSERT_EQUAL_FATAL(l.n, 1);
	CU_ASSERT_FALSE(l.e[0].is_unix);
	CU_ASSERT_STRING_EQUAL(l.e[0].host, "localhost");
	CU_ASSERT_EQUAL(l.e[0].port, 3306);
	CU_ASSERT_STRING_EQUAL(l.e[0].label, "localhost:3306");
	CU_ASSERT_EQUAL(config_set(&c, "db_socket", "relative.sock", err, sizeof(err)), OR_OK);
	CU_ASSERT_EQUAL_FATAL(dbhosts_from_config(&c, &l, err, sizeof(err)), OR_OK);
	CU_ASSERT_EQUAL_FATAL(l.n, 1);
	CU_ASSERT_TRUE(l.e[0].is_unix);
	CU_ASSERT_STRING_EQUAL(l.e[0].path, "relative.sock");
}

static void
test_pick_prefers_first(void)
{
	dbhosts_state s = { .n = 3 };
	size_t order[LIMIT_DB_HOSTS];

	CU_ASSERT_EQUAL_FATAL(dbhosts_pick(&s, 1000, order), 3);
	CU_ASSERT_EQUAL(order[0], 0);
	CU_ASSERT_EQUAL(order[1], 1);
	CU_ASSERT_EQUAL(order[2], 2);
}

/* A failed entry is passed over until its skip time has passed, then preferred again. */
static void
test_pick_skips_then_returns(void)
{
	dbhosts_state s = { .n = 3 };
	size_t order[LIMIT_DB_HOSTS];

	dbhosts_mark(&s, 0, false, 1000, 5000);
	CU_ASSERT_EQUAL_FATAL(dbhosts_pick(&s, 1000, order), 2);
	CU_ASSERT_EQUAL(order[0], 1);
	CU_ASSERT_EQUAL(order[1], 2);
	CU_ASSERT_EQUAL_FATAL(dbhosts_pick(&s, 5999, order), 2);
	CU_ASSERT_EQUAL(order[0], 1);
	CU_ASSERT_EQUAL_FATAL(dbhosts_pick(&s, 6000, order), 3);
	CU_ASSERT_EQUAL(order[0], 0);
	/* A success clears the skip at once. */
	dbhosts_mark(&s, 1, false, 7000, 5000);
	dbhosts_mark(&s, 1, true, 7001, 5000);
	CU_ASSERT_EQUAL(dbhosts_pick(&s, 7002, order), 3);
}

/* When every entry failed lately, all are tried again rather than none. */
static void
test_pick_all_skipped(void)
{
	dbhosts_state s = { .n = 2 };
	size_t order[LIMIT_DB_HOSTS];

	dbhosts_mark(&s, 0, false, 1000, 5000);
	dbhosts_mark(&s, 1, false, 1200, 5000);
	CU_ASSERT_EQUAL_FATAL(dbhosts_pick(&s, 2000, order), 2);
	CU_ASSERT_EQUAL(order[0], 0);
	CU_ASSERT_EQUAL(order[1], 1);
	CU_ASSERT_EQUAL_FATAL(dbhosts_pick(&s, 6000, order), 1);
	CU_ASSERT_EQUAL(order[0], 0);
	dbhosts_mark(&s, 5, false, 1000, 5000);	/* out of range: ignored */
	CU_ASSERT_EQUAL(s.n, 2);
}

/* A plain server is ready; a Galera node only when wsrep_ready is ON and it is Synced (4). */
static void
test_ready(void)
{
	char why[128];

	CU_ASSERT_TRUE(dbhosts_ready("0", "OFF", NULL, "NONE", why, sizeof(why)));
	CU_ASSERT_TRUE(dbhosts_ready("1", "ON", "4", "NONE", why, sizeof(why)));
	why[0] = '\0';
	CU_ASSERT_FALSE(dbhosts_ready("1", "ON", "2", "NONE", why, sizeof(why)));
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "wsrep_local_state is 2"));
	CU_ASSERT_FALSE(dbhosts_ready("1", "ON", "1", "NONE", why, sizeof(why)));
	CU_ASSERT_FALSE(dbhosts_ready("1", "ON", "3", "NONE", why, sizeof(why)));
	CU_ASSERT_FALSE(dbhosts_ready("1", "ON", NULL, "NONE", why, sizeof(why)));
	CU_ASSERT_FALSE(dbhosts_ready("1", "OFF", "4", "NONE", why, sizeof(why)));
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "wsrep_ready is OFF"));
	CU_ASSERT_FALSE(dbhosts_ready("1", NULL, "4", "NONE", why, sizeof(why)));
	CU_ASSERT_FALSE(dbhosts_ready(NULL, "ON", "4", "NONE", why, sizeof(why)));
	CU_ASSERT_FALSE(dbhosts_ready("2", "ON", "4", "NONE", why, sizeof(why)));
	CU_ASSERT_TRUE(dbhosts_ready("1", "ON", "4", NULL, why, sizeof(why)));
	CU_ASSERT_FALSE(dbhosts_ready("1", "ON", "4", "ALL", why, sizeof(why)));
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "wsrep_reject_queries is ALL"));
	CU_ASSERT_TRUE(dbhosts_ready("0", "OFF", NULL, "ALL", why, sizeof(why)));
}

static const unit_test tests[] = {
	{ "unix paths and host:port", test_unix_and_tcp },
	{ "[IPv6]:port", test_ipv6 },
	{ "spaces around commas", test_spaces_around_commas },
	{ "empty entries refused", test_empty_entries },
	{ "more than 8 entries refused", test_too_many },
	{ "bad ports refused", test_bad_port },
	{ "relative or over-long unix paths refused", test_unix_paths },
	{ "db_hosts with db_socket/db_host/db_port refused", test_config_conflicts },
	{ "one entry from the old keys", test_from_old_keys },
	{ "pick prefers the first entry", test_pick_prefers_first },
	{ "pick skips a failed entry, then returns to it", test_pick_skips_then_returns },
	{ "pick tries all when all are skipped", test_pick_all_skipped },
	{ "readiness: plain server, Synced, not Synced", test_ready },
	{ NULL, NULL }
};
UNIT_MAIN("dbhosts", tests)
