/* Unit tests for migration naming, ordering and splitting (src/domain/migration.c). */
#include <string.h>

#include "onramp/migration.h"
#include "unit.h"

static void
test_names(void)
{
	unsigned v = 0;

	CU_ASSERT_EQUAL(migration_parse_name("001_schema_migrations.sql", &v), OR_OK);
	CU_ASSERT_EQUAL(v, 1);
	CU_ASSERT_EQUAL(migration_parse_name("042_users.sql", &v), OR_OK);
	CU_ASSERT_EQUAL(v, 42);
	CU_ASSERT_EQUAL(migration_parse_name("000_zero.sql", &v), OR_ERR_INVALID);
	CU_ASSERT_EQUAL(migration_parse_name("1_short.sql", &v), OR_ERR_INVALID);
	CU_ASSERT_EQUAL(migration_parse_name("001-dash.sql", &v), OR_ERR_INVALID);
	CU_ASSERT_EQUAL(migration_parse_name("001_Upper.sql", &v), OR_ERR_INVALID);
	CU_ASSERT_EQUAL(migration_parse_name("001_x.txt", &v), OR_ERR_INVALID);
	CU_ASSERT_EQUAL(migration_parse_name("001_.sql", &v), OR_ERR_INVALID);
}

static void
test_ordering(void)
{
	migration l[3] = {
		{ 0, "003_c.sql", "", 0 }, { 0, "001_a.sql", "", 0 }, { 0, "002_b.sql", "", 0 }
	};
	char err[256];

	CU_ASSERT_EQUAL_FATAL(migration_sort_check(l, 3, err, sizeof(err)), OR_OK);
	CU_ASSERT_STRING_EQUAL(l[0].file, "001_a.sql");
	CU_ASSERT_STRING_EQUAL(l[2].file, "003_c.sql");
	CU_ASSERT_EQUAL(l[1].version, 2);
}

static void
test_ordering_errors(void)
{
	migration dup[2] = { { 0, "001_a.sql", "", 0 }, { 0, "001_b.sql", "", 0 } };
	migration gap[2] = { { 0, "001_a.sql", "", 0 }, { 0, "003_c.sql", "", 0 } };
	migration bad[1] = { { 0, "a.sql", "", 0 } };
	char err[256];

	CU_ASSERT_EQUAL(migration_sort_check(dup, 2, err, sizeof(err)), OR_ERR_INVALID);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "share version 001"));
	CU_ASSERT_EQUAL(migration_sort_check(gap, 2, err, sizeof(err)), OR_ERR_INVALID);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "003_c.sql"));
	CU_ASSERT_EQUAL(migration_sort_check(bad, 1, err, sizeof(err)), OR_ERR_INVALID);
}

struct collect {
	char stmts[8][256];
	int n;
};

static or_status
collect_fn(void *ctx, const char *s, size_t len)
{
	struct collect *c = ctx;

	if (c->n >= 8 || len >= 256)
		return OR_ERR_LIMIT;
	memcpy(c->stmts[c->n], s, len);
	c->stmts[c->n][len] = '\0';
	c->n++;
	return OR_OK;
}

static void
test_split(void)
{
	const char sql[] =
		"-- leading comment; with a semicolon\n"
		"CREATE TABLE a (x INT); \n"
		"INSERT INTO a VALUES ('semi;colon', \"q;\", 'it''s; ok');\n"
		"/* block; comment */\n"
		"INSERT INTO `we;ird` VALUES (1) # trailing; comment\n"
		";\n"
		"-- only a comment at the end\n";
	struct collect c;

	memset(&c, 0, sizeof(c));
	CU_ASSERT_EQUAL_FATAL(migration_split(sql, strlen(sql), collect_fn, &c), OR_OK);
	CU_ASSERT_EQUAL_FATAL(c.n, 3);
	CU_ASSERT_STRING_EQUAL(c.stmts[0], "-- leading comment; with a semicolon\nCREATE TABLE a (x INT)");
	CU_ASSERT_STRING_EQUAL(c.stmts[1], "INSERT INTO a VALUES ('semi;colon', \"q;\", 'it''s; ok')");
	CU_ASSERT_PTR_NOT_NULL(strstr(c.stmts[2], "INSERT INTO `we;ird` VALUES (1)"));
}

static void
test_split_unterminated(void)
{
	struct collect c;
	const char a[] = "SELECT 'open;";
	const char b[] = "SELECT 1; /* never closed";

	memset(&c, 0, sizeof(c));
	CU_ASSERT_EQUAL(migration_split(a, strlen(a), collect_fn, &c), OR_ERR_INVALID);
	memset(&c, 0, sizeof(c));
	CU_ASSERT_EQUAL(migration_split(b, strlen(b), collect_fn, &c), OR_ERR_INVALID);
}

static void
test_compiled_in(void)
{
	size_t n = 0;
	const migration *all = migration_all(&n);
	char sum[65], sum2[65];

	CU_ASSERT_PTR_NOT_NULL_FATAL(all);
	CU_ASSERT_TRUE(n >= 1);
	CU_ASSERT_EQUAL(all[0].version, 1);
	CU_ASSERT_EQUAL(migration_latest(), all[n - 1].version);
	CU_ASSERT_PTR_NOT_NULL(strstr(all[0].sql, "schema_migrations"));
	migration_checksum(&all[0], sum);
	migration_checksum(&all[0], sum2);
	CU_ASSERT_EQUAL(strlen(sum), 64);
	CU_ASSERT_STRING_EQUAL(sum, sum2);
}

static const unit_test tests[] = {
	{ "file names", test_names },
	{ "ordering", test_ordering },
	{ "duplicates and gaps refused", test_ordering_errors },
	{ "statement splitting respects quotes and comments", test_split },
	{ "unterminated quotes and comments", test_split_unterminated },
	{ "compiled-in migrations", test_compiled_in },
	{ NULL, NULL }
};
UNIT_MAIN("migration", tests)
