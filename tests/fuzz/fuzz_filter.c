/*
 * Fuzz the filter language (src/domain/filter.c): parse in both scopes, and
 * compile what parses.  Traps when a parsed filter breaks its limits, when
 * the customer scope accepts what the operator scope refuses, or when the
 * compiled SQL depends on user text: it must equal the SQL of the same
 * filter with every word and slug replaced, hold no quote outside the fixed
 * literals, and carry one parameter per placeholder.
 */
#include <string.h>

#include "fuzz.h"
#include "onramp/arena.h"
#include "onramp/filter.h"
#include "onramp/filter_sql.h"
#include "onramp/limits.h"

#define CHECK(cond) do { if (!(cond)) __builtin_trap(); } while (0)

static void
check_error(const char *err, const filter *f)
{
	const unsigned char *p = (const unsigned char *)err;

	CHECK(err[0] != '\0');
	for (; *p; p++)
		CHECK(*p >= 0x20 && *p != 0x7f);
	CHECK(f->statuses == 0 && f->roles == 0 && f->login_types == 0);
	CHECK(f->nwords == 0 && f->ncustomers == 0);
}

static void
check_filter(const filter *f)
{
	size_t i, j;

	CHECK(f->statuses < 16 && f->roles < 4 && f->login_types < 8);
	CHECK(f->nwords <= FILTER_MAX_WORDS && f->ncustomers <= FILTER_MAX_CUSTOMERS);
	for (i = 0; i < f->nwords; i++) {
		size_t n = strlen(f->words[i]);
		CHECK(n >= 1 && n <= FILTER_MAX_WORD);
		for (j = 0; j < n; j++)
			CHECK(!(f->words[i][j] >= 'A' && f->words[i][j] <= 'Z'));
	}
	for (i = 0; i < f->ncustomers; i++) {
		const char *s = f->customers[i];
		size_t n = strlen(s);
		CHECK(n >= 1 && n <= FILTER_MAX_SLUG);
		for (j = 0; j < n; j++)
			CHECK((s[j] >= 'a' && s[j] <= 'z') || (s[j] >= '0' && s[j] <= '9') || s[j] == '-');
	}
}

/* Quotes only in the fixed literals; no byte outside printable ASCII. */
static void
check_vocabulary(const char *sql)
{
	static const char *const literals[] = { "'\\\\'", "'active'", "'suspended'", NULL };
	size_t i, q = 0;

	while (sql[q]) {
		CHECK(sql[q] >= 0x20 && sql[q] < 0x7f && sql[q] != '"' && sql[q] != ';');
		if (sql[q] != '\'') {
			q++;
			continue;
		}
		for (i = 0; literals[i] && strncmp(sql + q, literals[i], strlen(literals[i])) != 0; i++)
			;
		CHECK(literals[i] != NULL);
		q += strlen(literals[i]);
	}
}

static size_t
placeholders(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == '?';
	return n;
}

/* The pattern is word% (a prefix, so an index range) with %, _ and \ escaped. */
static void
check_pattern(const char *pat, const char *word)
{
	size_t n = strlen(pat), i = 0;

	CHECK(n >= 2 && pat[n - 1] == '%');
	for (; i < n - 1; i++, word++) {
		if (pat[i] == '\\')
			i++;
		else
			CHECK(pat[i] != '%' && pat[i] != '_');
		CHECK(i < n - 1 && pat[i] == *word);
	}
	CHECK(*word == '\0');
}

static void
check_compile(const filter *f)
{
	static filter_sql s, skel_sql;
	filter skel = *f;
	size_t i;

	buf_init(&s.where, 16384);
	buf_init(&skel_sql.where, 16384);
	CHECK(filter_sql_compile(f, 1767225600, 90 * 86400, &s) == OR_OK);
	CHECK(s.nparams <= FILTER_MAX_PARAMS && placeholders(s.where.data) == s.nparams);
	check_vocabulary(s.where.data);
	for (i = 0; i < skel.nwords; i++)
		skel.words[i] = "w";
	for (i = 0; i < skel.ncustomers; i++)
		skel.customers[i] = "c";
	CHECK(filter_sql_compile(&skel, 1767225600, 90 * 86400, &skel_sql) == OR_OK);
	CHECK(strcmp(s.where.data, skel_sql.where.data) == 0);
	CHECK(s.nparams == skel_sql.nparams);
	/* Words are the last parameters, four per word (username, email, domain, name). */
	for (i = 0; i < f->nwords * 4; i++)
		check_pattern(s.params[s.nparams - f->nwords * 4 + i].s, f->words[i / 4]);
	buf_free(&s.where);
	buf_free(&skel_sql.where);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static arena *a;
	filter fc, fo;
	char errc[256], erro[256];
	or_status stc, sto;

	if (a == NULL && (a = arena_new(LIMIT_ARENA_BYTES)) == NULL)
		return 0;
	arena_reset(a);
	stc = filter_parse((const char *)data, size, FILTER_SCOPE_CUSTOMER, a, &fc, errc, sizeof(errc));
	sto = filter_parse((const char *)data, size, FILTER_SCOPE_OPERATOR, a, &fo, erro, sizeof(erro));
	CHECK(stc == OR_OK || stc == OR_ERR_INVALID);
	CHECK(sto == OR_OK || sto == OR_ERR_INVALID);
	CHECK(stc != OR_OK || sto == OR_OK);
	if (stc != OR_OK)
		check_error(errc, &fc);
	if (sto != OR_OK) {
		check_error(erro, &fo);
		return 0;
	}
	check_filter(&fo);
	check_compile(&fo);
	if (stc == OR_OK) {
		CHECK(fc.statuses == fo.statuses && fc.nwords == fo.nwords && fc.ncustomers == 0);
		check_compile(&fc);
	}
	return 0;
}
