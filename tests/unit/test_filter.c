/* Unit tests for the filter language: parsing, time values and SQL compilation (src/domain/filter.c). */
#include <stdio.h>
#include <string.h>

#include "onramp/arena.h"
#include "onramp/choices.h"
#include "onramp/filter.h"
#include "onramp/filter_sql.h"
#include "onramp/limits.h"
#include "unit.h"

#define NOW 1767225600			/* 2026-01-01T00:00:00Z */
#define DORMANT_AFTER (90 * 86400)
#define THRESHOLD (NOW - DORMANT_AFTER)

#define SQL_ACTIVE "(u.deactivated_at IS NULL AND u.status = 'active' AND u.last_seen_at >= FROM_UNIXTIME(?))"
#define SQL_DORMANT "(u.deactivated_at IS NULL AND u.status = 'active' AND " \
	"(u.last_seen_at IS NULL OR u.last_seen_at < FROM_UNIXTIME(?)))"
#define SQL_SUSPENDED "(u.deactivated_at IS NULL AND u.status = 'suspended')"
#define SQL_DEACTIVATED "(u.deactivated_at IS NOT NULL)"
/* A word: the start of any of four indexed columns (prefix LIKE, migration 017). */
#define SQL_WORD "(u.username LIKE ? ESCAPE '\\\\' OR u.email LIKE ? ESCAPE '\\\\' " \
	"OR u.email_domain LIKE ? ESCAPE '\\\\' OR u.display_name LIKE ? ESCAPE '\\\\')"

static arena *A;
static char err[256];

static or_status
parse_n(const char *q, size_t n, filter_scope scope, filter *f)
{
	arena_free(A);
	A = arena_new(LIMIT_ARENA_BYTES);
	err[0] = '\0';
	return filter_parse(q, n, scope, A, f, err, sizeof(err));
}

static or_status
parse(const char *q, filter_scope scope, filter *f)
{
	return parse_n(q, strlen(q), scope, f);
}

static or_status
parse_op(const char *q, filter *f)
{
	return parse(q, FILTER_SCOPE_OPERATOR, f);
}

/* Expect OR_ERR_INVALID with a message naming `"shown"` and holding needle. */
static void
expect_bad_n(const char *q, size_t n, filter_scope scope, const char *shown, const char *needle)
{
	filter f;
	char quoted[300];
	int len = snprintf(quoted, sizeof(quoted), "\"%s\"", shown);

	CU_ASSERT_FATAL(len > 0 && (size_t)len < sizeof(quoted));
	CU_ASSERT_EQUAL(parse_n(q, n, scope, &f), OR_ERR_INVALID);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, quoted));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, needle));
	if (strstr(err, quoted) == NULL || strstr(err, needle) == NULL)
		printf("\n  query [%s] gave message [%s]\n", q, err);
	CU_ASSERT_EQUAL(f.statuses | f.roles | f.login_types, 0);
	CU_ASSERT_EQUAL(f.nwords + f.ncustomers, 0);
}

static void
expect_bad(const char *q, const char *shown, const char *needle)
{
	expect_bad_n(q, strlen(q), FILTER_SCOPE_OPERATOR, shown, needle);
}

static or_status
compile(const char *q, filter_scope scope, filter_sql *out)
{
	filter f;
	or_status st = parse(q, scope, &f);

	CU_ASSERT_EQUAL(st, OR_OK);
	if (st != OR_OK)
		printf("\n  query [%s] gave message [%s]\n", q, err);
	buf_init(&out->where, 8192);
	return st == OR_OK ? filter_sql_compile(&f, NOW, DORMANT_AFTER, out) : st;
}

static void
assert_int(const filter_sql *s, size_t i, int64_t v)
{
	CU_ASSERT_FATAL(i < s->nparams);
	CU_ASSERT_EQUAL(s->params[i].type, FILTER_PARAM_INT);
	CU_ASSERT_EQUAL(s->params[i].i, v);
}

static void
assert_text(const filter_sql *s, size_t i, const char *v)
{
	CU_ASSERT_FATAL(i < s->nparams);
	CU_ASSERT_EQUAL(s->params[i].type, FILTER_PARAM_TEXT);
	CU_ASSERT_STRING_EQUAL(s->params[i].s, v);
}

static size_t
count_char(const char *s, char c)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == c;
	return n;
}

static void
test_empty(void)
{
	filter f;
	filter_sql s;

	CU_ASSERT_EQUAL(parse_op("", &f), OR_OK);
	CU_ASSERT_EQUAL(f.statuses | f.roles | f.login_types, 0);
	CU_ASSERT_EQUAL(f.nwords + f.ncustomers, 0);
	CU_ASSERT_FALSE(f.has_last_seen_before || f.has_last_seen_after || f.has_created_before ||
			f.has_created_after);
	CU_ASSERT_EQUAL(parse_op(" \t\r\n ", &f), OR_OK);
	CU_ASSERT_EQUAL(filter_parse(NULL, 0, FILTER_SCOPE_CUSTOMER, A, &f, err, sizeof(err)), OR_OK);
	CU_ASSERT_EQUAL(compile("   ", FILTER_SCOPE_CUSTOMER, &s), OR_OK);
	CU_ASSERT_STRING_EQUAL(s.where.data, "1=1");
	CU_ASSERT_EQUAL(s.nparams, 0);
	buf_free(&s.where);
}

static void
test_api_examples(void)
{
	filter f;

	CU_ASSERT_EQUAL_FATAL(parse("status:active role:customer_admin last_seen_before:\"2026-01-01T00:00:00Z\"",
				    FILTER_SCOPE_CUSTOMER, &f), OR_OK);
	CU_ASSERT_EQUAL(f.statuses, FILTER_STATUS_ACTIVE);
	CU_ASSERT_EQUAL(f.roles, FILTER_ROLE_CUSTOMER_ADMIN);
	CU_ASSERT_TRUE(f.has_last_seen_before);
	CU_ASSERT_EQUAL(f.last_seen_before, NOW);
	CU_ASSERT_FALSE(f.has_last_seen_after || f.has_created_before || f.has_created_after);
	CU_ASSERT_EQUAL(parse("status:active,dormant", FILTER_SCOPE_CUSTOMER, &f), OR_OK);
	CU_ASSERT_EQUAL(f.statuses, FILTER_STATUS_ACTIVE | FILTER_STATUS_DORMANT);
	CU_ASSERT_EQUAL(f.roles, 0);
}

/* The example at the top of filter.h, with an unquoted time. */
static void
test_header_example(void)
{
	filter f;

	CU_ASSERT_EQUAL_FATAL(parse_op("status:active,dormant role:customer_admin "
				       "last_seen_before:\"2026-01-01T00:00:00Z\" "
				       "created_after:2025-06-01T00:00:00Z login_type:password "
				       "customer:acme ann@example", &f), OR_OK);
	CU_ASSERT_EQUAL(f.statuses, FILTER_STATUS_ACTIVE | FILTER_STATUS_DORMANT);
	CU_ASSERT_EQUAL(f.roles, FILTER_ROLE_CUSTOMER_ADMIN);
	CU_ASSERT_EQUAL(f.last_seen_before, NOW);
	CU_ASSERT_TRUE(f.has_created_after);
	CU_ASSERT_EQUAL(f.created_after, 1748736000);
	CU_ASSERT_EQUAL(f.login_types, FILTER_LOGIN_PASSWORD);
	CU_ASSERT_EQUAL_FATAL(f.ncustomers, 1);
	CU_ASSERT_STRING_EQUAL(f.customers[0], "acme");
	CU_ASSERT_EQUAL_FATAL(f.nwords, 1);
	CU_ASSERT_STRING_EQUAL(f.words[0], "ann@example");
}

static void
test_every_key(void)
{
	filter f;

	CU_ASSERT_EQUAL(parse_op("status:active,dormant,suspended,deactivated", &f), OR_OK);
	CU_ASSERT_EQUAL(f.statuses, 15u);
	CU_ASSERT_EQUAL(parse_op("status:suspended", &f), OR_OK);
	CU_ASSERT_EQUAL(f.statuses, FILTER_STATUS_SUSPENDED);
	CU_ASSERT_EQUAL(parse_op("status:deactivated", &f), OR_OK);
	CU_ASSERT_EQUAL(f.statuses, FILTER_STATUS_DEACTIVATED);
	CU_ASSERT_EQUAL(parse_op("role:customer_member", &f), OR_OK);
	CU_ASSERT_EQUAL(f.roles, FILTER_ROLE_CUSTOMER_MEMBER);
	CU_ASSERT_EQUAL(parse_op("role:customer_admin,customer_member", &f), OR_OK);
	CU_ASSERT_EQUAL(f.roles, FILTER_ROLE_CUSTOMER_ADMIN | FILTER_ROLE_CUSTOMER_MEMBER);
	CU_ASSERT_EQUAL(parse_op("login_type:password,oidc,saml", &f), OR_OK);
	CU_ASSERT_EQUAL(f.login_types, FILTER_LOGIN_PASSWORD | FILTER_LOGIN_OIDC | FILTER_LOGIN_SAML);
	CU_ASSERT_EQUAL(parse_op("login_type:oidc", &f), OR_OK);
	CU_ASSERT_EQUAL(f.login_types, FILTER_LOGIN_OIDC);
	CU_ASSERT_EQUAL(parse_op("last_seen_after:2025-01-01T00:00:00Z created_before:2026-01-01T00:00:00Z", &f),
			OR_OK);
	CU_ASSERT_TRUE(f.has_last_seen_after && f.has_created_before);
	CU_ASSERT_FALSE(f.has_last_seen_before || f.has_created_after);
	CU_ASSERT_EQUAL(f.last_seen_after, 1735689600);
	CU_ASSERT_EQUAL(f.created_before, NOW);
	CU_ASSERT_EQUAL(parse_op("customer:acme,beta-2,x", &f), OR_OK);
	CU_ASSERT_EQUAL_FATAL(f.ncustomers, 3);
	CU_ASSERT_STRING_EQUAL(f.customers[1], "beta-2");
	CU_ASSERT_STRING_EQUAL(f.customers[2], "x");
}

static void
test_case_insensitive(void)
{
	filter f;

	CU_ASSERT_EQUAL_FATAL(parse_op("STATUS:Active ROLE:Customer_ADMIN Login_Type:SAML CUSTOMER:AcMe-1 "
				       "Ann@Example.COM created_AFTER:2025-06-01t00:00:00z JOSÉ", &f), OR_OK);
	CU_ASSERT_EQUAL(f.statuses, FILTER_STATUS_ACTIVE);
	CU_ASSERT_EQUAL(f.roles, FILTER_ROLE_CUSTOMER_ADMIN);
	CU_ASSERT_EQUAL(f.login_types, FILTER_LOGIN_SAML);
	CU_ASSERT_STRING_EQUAL(f.customers[0], "acme-1");
	CU_ASSERT_EQUAL_FATAL(f.nwords, 2);
	CU_ASSERT_STRING_EQUAL(f.words[0], "ann@example.com");
	CU_ASSERT_STRING_EQUAL(f.words[1], "josÉ");	/* ASCII only: the collation does the rest */
	CU_ASSERT_EQUAL(f.created_after, 1748736000);
}

static void
test_repetition(void)
{
	filter f;

	CU_ASSERT_EQUAL(parse_op("status:active status:suspended status:active", &f), OR_OK);
	CU_ASSERT_EQUAL(f.statuses, FILTER_STATUS_ACTIVE | FILTER_STATUS_SUSPENDED);
	CU_ASSERT_EQUAL(parse_op("role:customer_admin role:customer_member", &f), OR_OK);
	CU_ASSERT_EQUAL(f.roles, 3u);
	CU_ASSERT_EQUAL(parse_op("login_type:oidc login_type:saml,oidc", &f), OR_OK);
	CU_ASSERT_EQUAL(f.login_types, FILTER_LOGIN_OIDC | FILTER_LOGIN_SAML);
	CU_ASSERT_EQUAL(parse_op("customer:a customer:b,A customer:a", &f), OR_OK);
	CU_ASSERT_EQUAL_FATAL(f.ncustomers, 2);
	CU_ASSERT_STRING_EQUAL(f.customers[0], "a");
	CU_ASSERT_STRING_EQUAL(f.customers[1], "b");
	CU_ASSERT_EQUAL(parse_op("ann ANN bob ann", &f), OR_OK);
	CU_ASSERT_EQUAL_FATAL(f.nwords, 2);
	CU_ASSERT_STRING_EQUAL(f.words[0], "ann");
	CU_ASSERT_STRING_EQUAL(f.words[1], "bob");
	/* Different time keys combine; the same one twice conflicts. */
	CU_ASSERT_EQUAL(parse_op("created_after:2025-01-01T00:00:00Z created_before:2026-01-01T00:00:00Z", &f),
			OR_OK);
	expect_bad("created_after:2025-01-01T00:00:00Z created_after:2025-02-01T00:00:00Z",
		   "created_after:2025-02-01T00:00:00Z", "given twice");
	expect_bad("last_seen_before:2025-01-01T00:00:00Z LAST_SEEN_BEFORE:2025-01-01T00:00:00Z",
		   "LAST_SEEN_BEFORE:2025-01-01T00:00:00Z", "last_seen_before");
}

static void
test_quoting(void)
{
	filter f;

	CU_ASSERT_EQUAL_FATAL(parse_op("\"Ann Smith\" \"a:b\" status:\"active,dormant\" "
				       "last_seen_after:\"2025-01-01T02:00:00+02:00\" customer:\"acme\" "
				       "\"status:active\"", &f), OR_OK);
	CU_ASSERT_EQUAL_FATAL(f.nwords, 3);
	CU_ASSERT_STRING_EQUAL(f.words[0], "ann smith");
	CU_ASSERT_STRING_EQUAL(f.words[1], "a:b");
	CU_ASSERT_STRING_EQUAL(f.words[2], "status:active");
	CU_ASSERT_EQUAL(f.statuses, FILTER_STATUS_ACTIVE | FILTER_STATUS_DORMANT);
	CU_ASSERT_EQUAL(f.last_seen_after, 1735689600);
	CU_ASSERT_STRING_EQUAL(f.customers[0], "acme");
	/* Separators are any ASCII white space. */
	CU_ASSERT_EQUAL(parse_op("status:active\trole:customer_admin\nann\r\fbob\v", &f), OR_OK);
	CU_ASSERT_EQUAL(f.nwords, 2);
	/* Words are any printable bytes but quote and colon. */
	CU_ASSERT_EQUAL(parse_op("o'brien 50%_off\\ a,b (x) [y]={z} ünï€😀", &f), OR_OK);
	CU_ASSERT_EQUAL(f.nwords, 6);
	CU_ASSERT_STRING_EQUAL(f.words[0], "o'brien");
	CU_ASSERT_STRING_EQUAL(f.words[1], "50%_off\\");
}

static void
test_bad_keys_and_values(void)
{
	filter f;

	CU_ASSERT_EQUAL(parse_op("colour:red", &f), OR_ERR_INVALID);
	CU_ASSERT_STRING_EQUAL(err, "unknown filter key \"colour\" in term \"colour:red\"");
	expect_bad("status:active Colour:red", "Colour:red", "unknown filter key \"Colour\"");
	expect_bad("status:purple", "status:purple",
		   "bad value \"purple\" for status in term \"status:purple\" (allowed: active, dormant, "
		   "suspended, deactivated)");
	expect_bad("status:active,Purple", "status:active,Purple", "\"Purple\"");
	expect_bad("role:owner", "role:owner", "allowed: customer_admin, customer_member");
	expect_bad("login_type:ldap", "login_type:ldap", "allowed: password, oidc, saml");
	expect_bad("last_seen_before:yesterday", "last_seen_before:yesterday", "bad time \"yesterday\"");
	expect_bad("created_after:2026-02-30T00:00:00Z", "created_after:2026-02-30T00:00:00Z", "RFC 3339");
	expect_bad("created_after:\"\"", "created_after:\"\"", "bad time");
	expect_bad("customer:acme_corp", "customer:acme_corp", "bad customer slug \"acme_corp\"");
	expect_bad("customer:acme,b.c", "customer:acme,b.c", "\"b.c\"");
	expect_bad("customer:" "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		   "customer:" "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "slug");
	CU_ASSERT_EQUAL(parse_op("customer:" "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", &f),
			OR_OK);
	expect_bad("status:\"\"", "status:\"\"", "empty value");
}

static void
test_bad_structure(void)
{
	expect_bad(":active", ":active", "starts with ':'");
	expect_bad("status:", "status:", "ends with ':'");
	expect_bad("ann status:active:", "status:active:", "ends with ':'");
	expect_bad("status:active:dormant", "status:active:dormant", "more than one ':'");
	expect_bad("role::customer_admin", "role::customer_admin", "more than one ':'");
	expect_bad("a:b:c", "a:b:c", "more than one ':'");
	expect_bad("last_seen_before:\"2026-01-01", "last_seen_before:\"2026-01-01", "unclosed quote");
	expect_bad("status:active \"ann smith", "\"ann smith", "unclosed quote");
	expect_bad("ann\"", "ann\"", "unclosed quote");
	expect_bad("o\"brien\"", "o\"brien\"", "misplaced quote");
	expect_bad("status:ac\"tive\"", "status:ac\"tive\"", "misplaced quote");
	expect_bad("sta\"tus\":active", "sta\"tus\":active", "misplaced quote");
	expect_bad("\"ann\"x", "\"ann\"x", "misplaced quote");
	expect_bad("\"\"", "\"\"", "empty word");
	expect_bad("status:active,", "status:active,", "empty value");
	expect_bad("status:,active", "status:,active", "empty value");
	expect_bad("role:customer_admin,,customer_member", "role:customer_admin,,customer_member", "empty value");
	expect_bad("customer:acme,", "customer:acme,", "empty value");
	expect_bad("login_type:,", "login_type:,", "empty value");
}

static void
test_bad_bytes(void)
{
	static const char nul[] = "status:act\0ive";

	expect_bad_n(nul, sizeof(nul) - 1, FILTER_SCOPE_OPERATOR, "status:act\\x00ive", "control character");
	expect_bad("ann\x01", "ann\\x01", "control character");
	expect_bad("x \"a\tb\"", "\"a\\x09b\"", "control character");
	expect_bad("del\x7f", "del\\x7f", "control character");
	expect_bad("c1\xc2\x85", "c1\\xc2\\x85", "control character");
	expect_bad("bad\xff", "bad\\xff", "invalid UTF-8");
	expect_bad("overlong\xc0\xaf", "overlong\\xc0\\xaf", "invalid UTF-8");
	expect_bad("surrogate\xed\xa0\x80", "surrogate\\xed\\xa0\\x80", "invalid UTF-8");
	expect_bad("cut\xe2\x82", "cut\\xe2\\x82", "invalid UTF-8");
}

static void
test_limits(void)
{
	char q[FILTER_MAX_QUERY + 2], word[FILTER_MAX_WORD + 2];
	filter f;
	size_t i, n = 0;
	int w;

	/* Exactly FILTER_MAX_QUERY bytes is fine; one more is refused. */
	memset(q, ' ', sizeof(q));
	memcpy(q, "status:active", 13);
	CU_ASSERT_EQUAL(parse_n(q, FILTER_MAX_QUERY, FILTER_SCOPE_OPERATOR, &f), OR_OK);
	CU_ASSERT_EQUAL(parse_n(q, FILTER_MAX_QUERY + 1, FILTER_SCOPE_OPERATOR, &f), OR_ERR_INVALID);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "longer than 1024 bytes"));

	/* 32 terms, then a 33rd. */
	for (i = 0; i < FILTER_MAX_TERMS; i++) {
		memcpy(q + n, "status:active ", 14);
		n += 14;
	}
	memcpy(q + n, "role:customer_member", 21);
	CU_ASSERT_EQUAL(parse_n(q, n, FILTER_SCOPE_OPERATOR, &f), OR_OK);
	expect_bad(q, "role:customer_member", "too many filter terms");

	expect_bad("w1 w2 w3 w4 w5 w6 w7 w8 w9", "w9", "too many words");
	CU_ASSERT_EQUAL(parse_op("w1 w2 w3 w4 w5 w6 w7 w8 w1", &f), OR_OK);
	expect_bad("customer:c1,c2,c3,c4,c5,c6,c7,c8,c9,c10,c11,c12,c13,c14,c15,c16,c17",
		   "customer:c1,c2,c3,c4,c5,c6,c7,c8,c9,c10,c11,c12,c13,c14,c15,c16,c17", "too many customers");
	expect_bad("customer:c1,c2,c3,c4,c5,c6,c7,c8 customer:c9,c10,c11,c12,c13,c14,c15,c16,c17",
		   "customer:c9,c10,c11,c12,c13,c14,c15,c16,c17", "too many customers");
	CU_ASSERT_EQUAL(parse_op("customer:c1,c2,c3,c4,c5,c6,c7,c8,c9,c10,c11,c12,c13,c14,c15,c16", &f), OR_OK);
	CU_ASSERT_EQUAL(f.ncustomers, FILTER_MAX_CUSTOMERS);

	memset(word, 'a', FILTER_MAX_WORD);
	word[FILTER_MAX_WORD] = '\0';
	CU_ASSERT_EQUAL(parse_op(word, &f), OR_OK);
	word[FILTER_MAX_WORD] = 'b';
	word[FILTER_MAX_WORD + 1] = '\0';
	expect_bad(word, word, "word longer than 64 bytes");
	w = snprintf(q, sizeof(q), "\"%s\"", word);
	CU_ASSERT_FATAL(w > 0 && (size_t)w < sizeof(q));
	expect_bad(q, q, "word longer");
}

static void
test_customer_scope(void)
{
	filter f;

	expect_bad_n("customer:acme", 13, FILTER_SCOPE_CUSTOMER, "customer:acme", "unknown filter key \"customer\"");
	expect_bad_n("status:active CUSTOMER:acme", 27, FILTER_SCOPE_CUSTOMER, "CUSTOMER:acme",
		     "unknown filter key");
	CU_ASSERT_EQUAL(parse("customer:acme", FILTER_SCOPE_OPERATOR, &f), OR_OK);
	/* A bare word "customer" is only a word. */
	CU_ASSERT_EQUAL(parse("customer", FILTER_SCOPE_CUSTOMER, &f), OR_OK);
	CU_ASSERT_EQUAL(f.nwords, 1);
}

static void
test_compile_examples(void)
{
	filter_sql s;

	CU_ASSERT_EQUAL_FATAL(compile("status:active role:customer_admin last_seen_before:\"2026-01-01T00:00:00Z\"",
				      FILTER_SCOPE_CUSTOMER, &s), OR_OK);
	CU_ASSERT_STRING_EQUAL(s.where.data, "(" SQL_ACTIVE ") AND (u.role IN (?)) AND "
			       "(u.last_seen_at < FROM_UNIXTIME(?))");
	CU_ASSERT_EQUAL(s.nparams, 3);
	assert_int(&s, 0, THRESHOLD);
	assert_text(&s, 1, "customer_admin");
	assert_int(&s, 2, NOW);
	buf_free(&s.where);

	CU_ASSERT_EQUAL_FATAL(compile("status:dormant,active", FILTER_SCOPE_CUSTOMER, &s), OR_OK);
	CU_ASSERT_STRING_EQUAL(s.where.data, "(" SQL_ACTIVE " OR " SQL_DORMANT ")");
	CU_ASSERT_EQUAL(s.nparams, 2);
	assert_int(&s, 0, THRESHOLD);
	assert_int(&s, 1, THRESHOLD);
	buf_free(&s.where);

	CU_ASSERT_EQUAL_FATAL(compile("status:deactivated,suspended", FILTER_SCOPE_CUSTOMER, &s), OR_OK);
	CU_ASSERT_STRING_EQUAL(s.where.data, "(" SQL_SUSPENDED " OR " SQL_DEACTIVATED ")");
	CU_ASSERT_EQUAL(s.nparams, 0);
	buf_free(&s.where);
}

static void
test_compile_every_key(void)
{
	filter_sql s;

	CU_ASSERT_EQUAL_FATAL(compile("ann \"Smith, J\" customer:beta,acme status:dormant "
				      "created_after:2025-06-01T00:00:00Z created_before:2026-01-01T00:00:00Z "
				      "last_seen_after:2025-01-01T00:00:00Z last_seen_before:2026-01-01T00:00:00Z "
				      "login_type:saml,password role:customer_member,customer_admin",
				      FILTER_SCOPE_OPERATOR, &s), OR_OK);
	CU_ASSERT_STRING_EQUAL(s.where.data,
			       "(" SQL_DORMANT ") AND (u.role IN (?,?)) AND (u.login_type IN (?,?)) AND "
			       "(u.last_seen_at < FROM_UNIXTIME(?)) AND (u.last_seen_at >= FROM_UNIXTIME(?)) AND "
			       "(u.created_at < FROM_UNIXTIME(?)) AND (u.created_at >= FROM_UNIXTIME(?)) AND "
			       "(c.slug IN (?,?)) AND " SQL_WORD " AND " SQL_WORD);
	CU_ASSERT_EQUAL_FATAL(s.nparams, 19);
	CU_ASSERT_EQUAL(count_char(s.where.data, '?'), s.nparams);
	assert_int(&s, 0, THRESHOLD);
	assert_text(&s, 1, "customer_admin");
	assert_text(&s, 2, "customer_member");
	assert_text(&s, 3, "password");
	assert_text(&s, 4, "saml");
	assert_int(&s, 5, NOW);
	assert_int(&s, 6, 1735689600);
	assert_int(&s, 7, NOW);
	assert_int(&s, 8, 1748736000);
	assert_text(&s, 9, "beta");
	assert_text(&s, 10, "acme");
	assert_text(&s, 11, "ann%");
	assert_text(&s, 12, "ann%");
	assert_text(&s, 13, "ann%");
	assert_text(&s, 14, "ann%");
	assert_text(&s, 15, "smith, j%");
	assert_text(&s, 18, "smith, j%");
	buf_free(&s.where);
}

/* User text reaches the parameters only, and LIKE wildcards in it are escaped. */
static void
test_compile_injection(void)
{
	static const char *const hostile[] = {
		"\"' OR 1=1 --\"", "\"x'); DROP TABLE users; --\"", "\\'", "robert'--", "\"a) OR (1=1\"",
		"?", "%", NULL
	};
	filter_sql s;
	size_t i;

	for (i = 0; hostile[i]; i++) {
		CU_ASSERT_EQUAL_FATAL(compile(hostile[i], FILTER_SCOPE_OPERATOR, &s), OR_OK);
		CU_ASSERT_STRING_EQUAL(s.where.data, SQL_WORD);
		CU_ASSERT_EQUAL(s.nparams, 4);
		buf_free(&s.where);
	}
	CU_ASSERT_EQUAL_FATAL(compile("\"' OR 1=1 --\"", FILTER_SCOPE_OPERATOR, &s), OR_OK);
	assert_text(&s, 0, "' or 1=1 --%");
	CU_ASSERT_PTR_NULL(strstr(s.where.data, "1=1"));
	CU_ASSERT_PTR_NULL(strstr(s.where.data, "--"));
	buf_free(&s.where);

	CU_ASSERT_EQUAL_FATAL(compile("50%_off\\", FILTER_SCOPE_OPERATOR, &s), OR_OK);
	assert_text(&s, 0, "50\\%\\_off\\\\%");
	assert_text(&s, 3, "50\\%\\_off\\\\%");
	CU_ASSERT_PTR_NULL(strstr(s.where.data, "50"));
	buf_free(&s.where);

	CU_ASSERT_EQUAL_FATAL(compile("customer:robert-tables", FILTER_SCOPE_OPERATOR, &s), OR_OK);
	CU_ASSERT_STRING_EQUAL(s.where.data, "(c.slug IN (?))");
	assert_text(&s, 0, "robert-tables");
	buf_free(&s.where);
}

static void
test_compile_edges(void)
{
	filter f;
	filter_sql s;
	char long_word[FILTER_MAX_WORD + 2];

	/* Dormancy and times are clamped to what FROM_UNIXTIME answers for. */
	memset(&f, 0, sizeof(f));
	f.statuses = FILTER_STATUS_DORMANT;
	f.has_created_after = true;
	f.created_after = 253402300799LL;
	buf_init(&s.where, 4096);
	CU_ASSERT_EQUAL(filter_sql_compile(&f, 1000, DORMANT_AFTER, &s), OR_OK);
	assert_int(&s, 0, 0);
	assert_int(&s, 1, 2147483647);
	CU_ASSERT_EQUAL(filter_sql_compile(&f, INT64_MIN, INT64_MAX, &s), OR_OK);
	assert_int(&s, 0, 0);

	/* Every status, the word at its longest, and a buffer too small. */
	f.statuses = 15;
	CU_ASSERT_EQUAL(filter_sql_compile(&f, NOW, DORMANT_AFTER, &s), OR_OK);
	CU_ASSERT_STRING_EQUAL(s.where.data, "(" SQL_ACTIVE " OR " SQL_DORMANT " OR " SQL_SUSPENDED " OR "
			       SQL_DEACTIVATED ") AND (u.created_at >= FROM_UNIXTIME(?))");
	buf_free(&s.where);
	buf_init(&s.where, 20);
	CU_ASSERT_EQUAL(filter_sql_compile(&f, NOW, DORMANT_AFTER, &s), OR_ERR_LIMIT);
	CU_ASSERT_EQUAL(s.nparams, 0);
	CU_ASSERT_EQUAL(s.where.len, 0);
	buf_free(&s.where);

	/* Hand-built filters the parser would never produce are refused. */
	buf_init(&s.where, 4096);
	memset(&f, 0, sizeof(f));
	f.nwords = 1;
	CU_ASSERT_EQUAL(filter_sql_compile(&f, NOW, DORMANT_AFTER, &s), OR_ERR_INVALID);
	memset(long_word, 'x', sizeof(long_word) - 1);
	long_word[sizeof(long_word) - 1] = '\0';
	f.words[0] = long_word;
	CU_ASSERT_EQUAL(filter_sql_compile(&f, NOW, DORMANT_AFTER, &s), OR_ERR_INVALID);
	long_word[FILTER_MAX_WORD] = '\0';
	CU_ASSERT_EQUAL(filter_sql_compile(&f, NOW, DORMANT_AFTER, &s), OR_OK);
	CU_ASSERT_EQUAL(strlen(s.params[0].s), 1 + FILTER_MAX_WORD);
	/* The longest word with every byte escaped still fits, and stays a prefix pattern. */
	memset(long_word, '%', FILTER_MAX_WORD);
	CU_ASSERT_EQUAL(filter_sql_compile(&f, NOW, DORMANT_AFTER, &s), OR_OK);
	CU_ASSERT_EQUAL(strlen(s.params[0].s), 2 * FILTER_MAX_WORD + 1);
	CU_ASSERT_TRUE(strlen(s.params[0].s) < FILTER_PATTERN_MAX);
	CU_ASSERT_EQUAL(strncmp(s.params[0].s, "\\%\\%", 4), 0);
	CU_ASSERT_EQUAL(s.params[0].s[2 * FILTER_MAX_WORD], '%');
	f.nwords = FILTER_MAX_WORDS + 1;
	CU_ASSERT_EQUAL(filter_sql_compile(&f, NOW, DORMANT_AFTER, &s), OR_ERR_INVALID);
	f.nwords = 0;
	f.ncustomers = 1;
	CU_ASSERT_EQUAL(filter_sql_compile(&f, NOW, DORMANT_AFTER, &s), OR_ERR_INVALID);
	buf_free(&s.where);
}

/* The largest filter the parser accepts stays within FILTER_MAX_PARAMS. */
static void
test_compile_largest(void)
{
	filter_sql s;

	CU_ASSERT_EQUAL_FATAL(compile("status:active,dormant,suspended,deactivated "
				      "role:customer_admin,customer_member login_type:password,oidc,saml "
				      "last_seen_before:2026-01-01T00:00:00Z last_seen_after:2025-01-01T00:00:00Z "
				      "created_before:2026-01-01T00:00:00Z created_after:2025-01-01T00:00:00Z "
				      "customer:c1,c2,c3,c4,c5,c6,c7,c8,c9,c10,c11,c12,c13,c14,c15,c16 "
				      "w1 w2 w3 w4 w5 w6 w7 w8", FILTER_SCOPE_OPERATOR, &s), OR_OK);
	CU_ASSERT_EQUAL(s.nparams, 2 + 2 + 3 + 4 + 16 + 8 * 4);
	CU_ASSERT_TRUE(s.nparams <= FILTER_MAX_PARAMS);
	CU_ASSERT_EQUAL(count_char(s.where.data, '?'), s.nparams);
	buf_free(&s.where);
}

static bool
utf8_ok(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		size_t k = *p < 0x80 ? 1 : *p >= 0xf0 ? 4 : *p >= 0xe0 ? 3 : *p >= 0xc2 ? 2 : 0;
		size_t i;
		if (k == 0)
			return false;
		for (i = 1; i < k; i++)
			if ((p[i] & 0xc0) != 0x80)
				return false;
		p += k;
	}
	return true;
}

static void
test_messages(void)
{
	filter f;
	char small[24], big[FILTER_MAX_QUERY];
	arena *a = arena_new(4096);
	size_t i;

	/* A cut message never ends inside a UTF-8 sequence. */
	for (i = 0; i < 4; i++) {
		const char *q = "éééééééééééé:x";
		CU_ASSERT_EQUAL(filter_parse(q + i, strlen(q + i), FILTER_SCOPE_OPERATOR, a, &f, small,
					     sizeof(small)), OR_ERR_INVALID);
		CU_ASSERT_TRUE(strlen(small) < sizeof(small));
		CU_ASSERT_TRUE(utf8_ok(small));
	}
	/* No buffer is fine too. */
	CU_ASSERT_EQUAL(filter_parse("x:y", 3, FILTER_SCOPE_OPERATOR, a, &f, NULL, 0), OR_ERR_INVALID);
	CU_ASSERT_EQUAL(filter_parse("x:y", 3, FILTER_SCOPE_OPERATOR, a, &f, small, 0), OR_ERR_INVALID);
	/* A long term is shown shortened. */
	memset(big, 'z', sizeof(big));
	memcpy(big, "zz:", 3);
	CU_ASSERT_EQUAL(filter_parse(big, 500, FILTER_SCOPE_OPERATOR, a, &f, err, sizeof(err)), OR_ERR_INVALID);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "unknown filter key \"zz\" in term \"zz:zzz"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "...\""));
	CU_ASSERT_TRUE(strlen(err) < 200);
	arena_free(a);
}

/* Allocation failure: every arena limit gives OK or OR_ERR_NOMEM, never a crash or a half filter. */
static void
test_arena_exhaustion(void)
{
	const char *q = "customer:acme,beta ann bob status:active";
	size_t limit;
	bool ok = false;

	for (limit = 0; limit < 4096 && !ok; limit += 8) {
		arena *a = arena_new(limit);
		filter f;
		or_status st;

		CU_ASSERT_FATAL(a != NULL);
		st = filter_parse(q, strlen(q), FILTER_SCOPE_OPERATOR, a, &f, err, sizeof(err));
		CU_ASSERT_TRUE(st == OR_OK || st == OR_ERR_NOMEM);
		if (st == OR_ERR_NOMEM) {
			CU_ASSERT_EQUAL(f.ncustomers + f.nwords, 0);
			CU_ASSERT_PTR_NOT_NULL(strstr(err, "out of memory"));
		}
		ok = st == OR_OK;
		arena_free(a);
	}
	CU_ASSERT_TRUE(ok);
}

/* Suite teardown: the arena the parse helpers keep between tests. */
static int
suite_clean(void)
{
	arena_free(A);
	A = NULL;
	return 0;
}

/* The filter's masks are the choice lists' indexes: bit i is list[i]. */
static void
test_choice_bits(void)
{
	CU_ASSERT_EQUAL(choices_bit(choices_user_statuses, str_from_c("Dormant")), FILTER_STATUS_DORMANT);
	CU_ASSERT_EQUAL(choices_bit(choices_user_statuses, str_from_c("deactivated")), FILTER_STATUS_DEACTIVATED);
	CU_ASSERT_EQUAL(choices_bit(choices_roles, str_from_c("customer_member")), FILTER_ROLE_CUSTOMER_MEMBER);
	CU_ASSERT_EQUAL(choices_bit(choices_login_types, str_from_c("saml")), FILTER_LOGIN_SAML);
	CU_ASSERT_EQUAL(choices_bit(choices_login_types, str_from_c("sam")), 0);
	CU_ASSERT_TRUE(choices_has(choices_review_decisions, "request_changes"));
	CU_ASSERT_FALSE(choices_has(choices_review_decisions, "Approve"));
	CU_ASSERT_FALSE(choices_has(choices_roles, NULL));
}

/* The invalid_choice messages are written from the lists. */
static void
test_choice_sentences(void)
{
	char m[128];

	choices_sentence(choices_roles, m, sizeof(m));
	CU_ASSERT_STRING_EQUAL(m, "Choose customer_admin or customer_member.");
	choices_sentence(choices_billing_states, m, sizeof(m));
	CU_ASSERT_STRING_EQUAL(m, "Choose none, trial_requested, trial_approved, verified or prepaid.");
	CU_ASSERT_EQUAL(choices_index(choices_blocker_categories, "other"), 5);
	choices_sentence(choices_blocker_categories, m, 30);
	CU_ASSERT_STRING_EQUAL(m, "Choose billing");	/* cut after a whole value */
}

static const unit_test tests[] = {
	{ "empty query is the empty filter", test_empty },
	{ "API.md examples", test_api_examples },
	{ "filter.h example, unquoted time", test_header_example },
	{ "every key and value", test_every_key },
	{ "keys and values ignore case", test_case_insensitive },
	{ "repeated keys union, repeated times conflict", test_repetition },
	{ "quoted values and words", test_quoting },
	{ "unknown keys and bad values name the term", test_bad_keys_and_values },
	{ "colons, quotes and empty list elements", test_bad_structure },
	{ "control characters and broken UTF-8", test_bad_bytes },
	{ "term, word, customer and length limits", test_limits },
	{ "customer scope refuses customer:", test_customer_scope },
	{ "compiled SQL for the API.md examples", test_compile_examples },
	{ "compiled SQL for every key", test_compile_every_key },
	{ "user text only in parameters", test_compile_injection },
	{ "compile clamps, caps and refuses", test_compile_edges },
	{ "largest filter fits the parameters", test_compile_largest },
	{ "messages are short and valid UTF-8", test_messages },
	{ "arena exhaustion", test_arena_exhaustion },
	{ "choice lists give the filter bits", test_choice_bits },
	{ "choice lists write their own messages", test_choice_sentences },
	{ NULL, NULL }
};
UNIT_MAIN_SUITE("filter", tests, NULL, suite_clean)
