/*
 * The user filter language of API.md (`q=`).  filter_parse() splits the query
 * into terms, checks each against the key table and fills a typed struct
 * filter; filter_compile() turns that struct into a WHERE fragment.  The
 * compiler writes only fixed SQL text and `?` placeholders: every byte the
 * user typed travels as a bound parameter, so the SQL's shape depends on which
 * keys were used, never on their values.  Pure: no I/O, no clock (now is a
 * parameter), memory only from the caller's arena and buffers.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "onramp/filter.h"
#include "onramp/timefmt.h"

/* MariaDB before 11.5 returns NULL from FROM_UNIXTIME past 2^31 - 1. */
#define UNIXTIME_MAX 2147483647

/* ---- keys and their values ------------------------------------------------ */

struct name_bit {
	const char *name;
	unsigned bit;
};

static const struct name_bit STATUSES[] = {
	{ "active", FILTER_STATUS_ACTIVE }, { "dormant", FILTER_STATUS_DORMANT },
	{ "suspended", FILTER_STATUS_SUSPENDED }, { "deactivated", FILTER_STATUS_DEACTIVATED },
	{ NULL, 0 }
};
static const struct name_bit ROLES[] = {
	{ "customer_admin", FILTER_ROLE_CUSTOMER_ADMIN }, { "customer_member", FILTER_ROLE_CUSTOMER_MEMBER },
	{ NULL, 0 }
};
static const struct name_bit LOGINS[] = {
	{ "password", FILTER_LOGIN_PASSWORD }, { "oidc", FILTER_LOGIN_OIDC }, { "saml", FILTER_LOGIN_SAML },
	{ NULL, 0 }
};

enum key_kind { KEY_MASK, KEY_TIME, KEY_CUSTOMER };

struct key {
	const char *name;
	enum key_kind kind;
	const struct name_bit *values;	/* KEY_MASK: allowed values */
	const char *allowed;		/* KEY_MASK: the same, for messages */
	size_t off;			/* struct filter member: the mask or the time */
	size_t has_off;			/* KEY_TIME: its has_ flag */
};

static const struct key KEYS[] = {
	{ "status", KEY_MASK, STATUSES, "active, dormant, suspended, deactivated",
	  offsetof(filter, statuses), 0 },
	{ "role", KEY_MASK, ROLES, "customer_admin, customer_member", offsetof(filter, roles), 0 },
	{ "login_type", KEY_MASK, LOGINS, "password, oidc, saml", offsetof(filter, login_types), 0 },
	{ "last_seen_before", KEY_TIME, NULL, NULL, offsetof(filter, last_seen_before),
	  offsetof(filter, has_last_seen_before) },
	{ "last_seen_after", KEY_TIME, NULL, NULL, offsetof(filter, last_seen_after),
	  offsetof(filter, has_last_seen_after) },
	{ "created_before", KEY_TIME, NULL, NULL, offsetof(filter, created_before),
	  offsetof(filter, has_created_before) },
	{ "created_after", KEY_TIME, NULL, NULL, offsetof(filter, created_after),
	  offsetof(filter, has_created_after) },
	{ "customer", KEY_CUSTOMER, NULL, NULL, 0, 0 },
};

/* The key named k (any case); customer: exists only for operators. */
static const struct key *
find_key(or_str k, filter_scope scope)
{
	size_t i;

	for (i = 0; i < sizeof(KEYS) / sizeof(KEYS[0]); i++) {
		if (KEYS[i].kind == KEY_CUSTOMER && scope != FILTER_SCOPE_OPERATOR)
			continue;
		if (str_ieq_c(k, KEYS[i].name))
			return &KEYS[i];
	}
	return NULL;
}

static unsigned
find_bit(const struct name_bit *v, or_str name)
{
	for (; v->name; v++)
		if (str_ieq_c(name, v->name))
			return v->bit;
	return 0;
}

/* ---- bytes: UTF-8, controls, display ------------------------------------- */

/* C0 controls and DEL (tab and newline included: only ' ' may sit in quotes), and C1 controls. */
static bool
is_control(const unsigned char *c, size_t seqlen)
{
	return (seqlen == 1 && (c[0] < 0x20 || c[0] == 0x7f)) ||
	       (seqlen == 2 && c[0] == 0xc2 && c[1] < 0xa0);
}

/* Length of the longest prefix of s that is whole UTF-8 sequences. */
static size_t
utf8_prefix(const char *s, size_t n)
{
	size_t i = 0, k;

	while (i < n && (k = str_utf8_seq((const unsigned char *)s + i, n - i)) != 0)
		i += k;
	return i;
}

/* s as printable text for a message: odd bytes as \xNN, long text cut with "...". */
static void
show(or_str s, char *out, size_t outsz)
{
	static const char hex[] = "0123456789abcdef";
	size_t i = 0, o = 0;

	while (i < s.len) {
		const unsigned char *c = (const unsigned char *)s.ptr + i;
		size_t k = str_utf8_seq(c, s.len - i);
		bool esc = k == 0 || is_control(c, k);
		size_t need = esc ? 4 : k;

		if (o + need + 4 > outsz) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		if (esc) {
			out[o] = '\\';
			out[o + 1] = 'x';
			out[o + 2] = hex[c[0] >> 4];
			out[o + 3] = hex[c[0] & 15];
			i++;
		} else {
			memcpy(out + o, c, k);
			i += k;
		}
		o += need;
	}
	out[o] = '\0';
}

static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

/* ---- the parser ---------------------------------------------------------- */

#define SHOW_MAX 100

typedef struct parser {
	filter_scope scope;
	arena *a;
	filter *f;
	char *err;
	size_t errsz;
	or_str term;			/* the term being parsed */
	char shown[SHOW_MAX];		/* the same, printable, for messages */
} parser;

static or_status fail(parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Write the message and return OR_ERR_INVALID; a cut never splits a UTF-8 sequence. */
static or_status
fail(parser *p, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (p->err == NULL || p->errsz == 0)
		return OR_ERR_INVALID;
	va_start(ap, fmt);
	n = vsnprintf(p->err, p->errsz, fmt, ap);
	va_end(ap);
	if (n < 0)
		p->err[0] = '\0';
	else if ((size_t)n >= p->errsz)
		p->err[utf8_prefix(p->err, strlen(p->err))] = '\0';
	return OR_ERR_INVALID;
}

static or_status
nomem(parser *p)
{
	(void)fail(p, "out of memory parsing the filter");
	return OR_ERR_NOMEM;
}

/* A NUL-terminated, ASCII-lower-cased arena copy of s. */
static char *
lower_dup(arena *a, or_str s)
{
	char *d = arena_strview(a, s);
	size_t i;

	for (i = 0; d && i < s.len; i++)
		if (d[i] >= 'A' && d[i] <= 'Z')
			d[i] = (char)(d[i] - 'A' + 'a');
	return d;
}

static bool
contains(const char *const *list, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(list[i], s) == 0)
			return true;
	return false;
}

/*
 * Strip the quotes of a value that starts with one; false when a quote sits
 * anywhere but around the whole value.  *quoted says whether it had them.
 */
static bool
unquote(or_str *v, bool *quoted)
{
	*quoted = v->len > 0 && v->ptr[0] == '"';
	if (!*quoted)
		return memchr(v->ptr, '"', v->len) == NULL;
	if (v->len < 2 || v->ptr[v->len - 1] != '"' || memchr(v->ptr + 1, '"', v->len - 2) != NULL)
		return false;
	v->ptr++;
	v->len -= 2;
	return true;
}

/* The next comma-separated element of v from *pos, empty ones included. */
static bool
next_element(or_str v, size_t *pos, or_str *el)
{
	const char *comma;

	if (*pos > v.len)
		return false;
	el->ptr = v.ptr + *pos;
	comma = memchr(el->ptr, ',', v.len - *pos);
	el->len = comma ? (size_t)(comma - el->ptr) : v.len - *pos;
	*pos += el->len + 1;
	return true;
}

static or_status
add_word(parser *p, or_str w)
{
	bool quoted;
	char *lw;

	if (!unquote(&w, &quoted))
		return fail(p, "misplaced quote in term \"%s\"", p->shown);
	if (w.len == 0)
		return fail(p, "empty word in term \"%s\"", p->shown);
	if (w.len > FILTER_MAX_WORD)
		return fail(p, "word longer than %d bytes in term \"%s\"", FILTER_MAX_WORD, p->shown);
	if ((lw = lower_dup(p->a, w)) == NULL)
		return nomem(p);
	if (contains(p->f->words, p->f->nwords, lw))
		return OR_OK;
	if (p->f->nwords == FILTER_MAX_WORDS)
		return fail(p, "too many words at term \"%s\" (at most %d)", p->shown, FILTER_MAX_WORDS);
	p->f->words[p->f->nwords++] = lw;
	return OR_OK;
}

static or_status
parse_mask(parser *p, const struct key *k, or_str val)
{
	unsigned *mask = (unsigned *)(void *)((char *)p->f + k->off);
	size_t pos = 0;
	or_str el;

	while (next_element(val, &pos, &el)) {
		char v[SHOW_MAX];
		unsigned bit;

		if (el.len == 0)
			return fail(p, "empty value in the list of term \"%s\"", p->shown);
		if ((bit = find_bit(k->values, el)) == 0) {
			show(el, v, sizeof(v));
			return fail(p, "bad value \"%s\" for %s in term \"%s\" (allowed: %s)", v, k->name,
				    p->shown, k->allowed);
		}
		*mask |= bit;
	}
	return OR_OK;
}

static or_status
parse_time_key(parser *p, const struct key *k, or_str val)
{
	int64_t *t = (int64_t *)(void *)((char *)p->f + k->off);
	bool *has = (bool *)(void *)((char *)p->f + k->has_off);
	char v[SHOW_MAX];

	if (*has)
		return fail(p, "filter key \"%s\" given twice, again in term \"%s\"", k->name, p->shown);
	if (timefmt_parse_rfc3339(val, t) != OR_OK) {
		show(val, v, sizeof(v));
		return fail(p, "bad time \"%s\" in term \"%s\" (expected RFC 3339, e.g. "
			    "2026-01-01T00:00:00Z)", v, p->shown);
	}
	*has = true;
	return OR_OK;
}

static bool
slug_ok(or_str s)
{
	size_t i;

	if (s.len == 0 || s.len > FILTER_MAX_SLUG)
		return false;
	for (i = 0; i < s.len; i++) {
		char c = s.ptr[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'))
			return false;
	}
	return true;
}

static or_status
parse_customers(parser *p, or_str val)
{
	filter *f = p->f;
	size_t pos = 0;
	or_str el;

	while (next_element(val, &pos, &el)) {
		char v[SHOW_MAX], *slug;

		if (el.len == 0)
			return fail(p, "empty value in the list of term \"%s\"", p->shown);
		if (!slug_ok(el)) {
			show(el, v, sizeof(v));
			return fail(p, "bad customer slug \"%s\" in term \"%s\" (letters, digits and '-', "
				    "at most %d)", v, p->shown, FILTER_MAX_SLUG);
		}
		if ((slug = lower_dup(p->a, el)) == NULL)
			return nomem(p);
		if (contains(f->customers, f->ncustomers, slug))
			continue;
		if (f->ncustomers == FILTER_MAX_CUSTOMERS)
			return fail(p, "too many customers in term \"%s\" (at most %d)", p->shown,
				    FILTER_MAX_CUSTOMERS);
		f->customers[f->ncustomers++] = slug;
	}
	return OR_OK;
}

/* Refuse controls and broken UTF-8 anywhere in the term, quoted or not. */
static or_status
check_bytes(parser *p)
{
	const unsigned char *s = (const unsigned char *)p->term.ptr;
	size_t i = 0, k;

	while (i < p->term.len) {
		if ((k = str_utf8_seq(s + i, p->term.len - i)) == 0)
			return fail(p, "invalid UTF-8 in term \"%s\"", p->shown);
		if (is_control(s + i, k))
			return fail(p, "control character in term \"%s\"", p->shown);
		i += k;
	}
	return OR_OK;
}

/*
 * A key:value term.  The key runs to the first ':'.  Time values hold colons
 * of their own (`created_after:2025-06-01T00:00:00Z`, as in filter.h), so only
 * for the other keys is a second unquoted ':' an error.
 */
static or_status
parse_pair(parser *p, const char *colon)
{
	or_str t = p->term, key = { t.ptr, (size_t)(colon - t.ptr) };
	or_str val = { colon + 1, t.len - key.len - 1 };
	const struct key *k = find_key(key, p->scope);
	char ks[SHOW_MAX];
	bool quoted;

	if (key.len == 0)
		return fail(p, "filter term \"%s\" starts with ':'", p->shown);
	if (t.ptr[t.len - 1] == ':')
		return fail(p, "filter term \"%s\" ends with ':'", p->shown);
	if (!unquote(&val, &quoted))
		return fail(p, "misplaced quote in term \"%s\"", p->shown);
	if (!quoted && (k == NULL || k->kind != KEY_TIME) && memchr(val.ptr, ':', val.len))
		return fail(p, "filter term \"%s\" holds more than one ':' (quote the value)", p->shown);
	if (k == NULL) {
		show(key, ks, sizeof(ks));
		return fail(p, "unknown filter key \"%s\" in term \"%s\"", ks, p->shown);
	}
	if (k->kind == KEY_MASK)
		return parse_mask(p, k, val);
	if (k->kind == KEY_TIME)
		return parse_time_key(p, k, val);
	return parse_customers(p, val);
}

static or_status
parse_term(parser *p)
{
	or_str t = p->term;
	const char *colon, *quote;
	or_status st = check_bytes(p);

	if (st != OR_OK)
		return st;
	if (t.ptr[0] == '"')
		return add_word(p, t);
	colon = memchr(t.ptr, ':', t.len);
	quote = memchr(t.ptr, '"', t.len);
	if (quote && (colon == NULL || quote < colon))
		return fail(p, "misplaced quote in term \"%s\"", p->shown);
	return colon ? parse_pair(p, colon) : add_word(p, t);
}

/* The next term from *pos: a run of non-space bytes, spaces allowed inside quotes. */
static bool
next_term(const char *q, size_t len, size_t *pos, or_str *term, bool *unclosed)
{
	size_t i = *pos, start;
	bool quoted = false;

	while (i < len && is_space(q[i]))
		i++;
	if (i == len)
		return false;
	for (start = i; i < len && (quoted || !is_space(q[i])); i++)
		if (q[i] == '"')
			quoted = !quoted;
	term->ptr = q + start;
	term->len = i - start;
	*unclosed = quoted;
	*pos = i;
	return true;
}

or_status
filter_parse(const char *q, size_t len, filter_scope scope, arena *a, filter *f, char *err,
	     size_t errsz)
{
	parser p = { .scope = scope, .a = a, .f = f, .err = err, .errsz = errsz };
	size_t pos = 0, nterms = 0;
	bool unclosed;
	or_status st = OR_OK;

	memset(f, 0, sizeof(*f));
	if (err && errsz)
		err[0] = '\0';
	if (q == NULL)
		len = 0;
	if (len > FILTER_MAX_QUERY)
		return fail(&p, "filter longer than %d bytes", FILTER_MAX_QUERY);
	while (st == OR_OK && next_term(q, len, &pos, &p.term, &unclosed)) {
		show(p.term, p.shown, sizeof(p.shown));
		if (++nterms > FILTER_MAX_TERMS)
			st = fail(&p, "too many filter terms at \"%s\" (at most %d)", p.shown,
				  FILTER_MAX_TERMS);
		else if (unclosed)
			st = fail(&p, "unclosed quote in term \"%s\"", p.shown);
		else
			st = parse_term(&p);
	}
	if (st != OR_OK)
		memset(f, 0, sizeof(*f));
	return st;
}

/* ---- the compiler -------------------------------------------------------- */

static or_status
param(filter_sql *o, bool text, int64_t i, const char *s)
{
	filter_param *p;

	if (o->nparams == FILTER_MAX_PARAMS)
		return OR_ERR_LIMIT;
	p = &o->params[o->nparams++];
	p->type = text ? FILTER_PARAM_TEXT : FILTER_PARAM_INT;
	p->i = i;
	p->s = s;
	return OR_OK;
}

static or_status
param_int(filter_sql *o, int64_t i)
{
	return param(o, false, i, NULL);
}

static or_status
param_text(filter_sql *o, const char *s)
{
	return param(o, true, 0, s);
}

/* A time for FROM_UNIXTIME(?), kept inside the range it answers non-NULL for. */
static int64_t
unixtime(int64_t t)
{
	return t < 0 ? 0 : t > UNIXTIME_MAX ? UNIXTIME_MAX : t;
}

/* Begin one conjunct: " AND " unless it is the first. */
static or_status
conjunct(filter_sql *o, const char *sql)
{
	or_status st = o->where.len ? buf_append_c(&o->where, " AND ") : OR_OK;

	return st == OR_OK ? buf_append_c(&o->where, sql) : st;
}

/* The status conditions of API.md "Statuses and seats"; the literals are fixed text. */
static const struct {
	unsigned bit;
	bool takes_time;
	const char *sql;
} STATUS_SQL[] = {
	{ FILTER_STATUS_ACTIVE, true,
	  "(u.deactivated_at IS NULL AND u.status = 'active' AND u.last_seen_at >= FROM_UNIXTIME(?))" },
	{ FILTER_STATUS_DORMANT, true,
	  "(u.deactivated_at IS NULL AND u.status = 'active' AND "
	  "(u.last_seen_at IS NULL OR u.last_seen_at < FROM_UNIXTIME(?)))" },
	{ FILTER_STATUS_SUSPENDED, false, "(u.deactivated_at IS NULL AND u.status = 'suspended')" },
	{ FILTER_STATUS_DEACTIVATED, false, "(u.deactivated_at IS NOT NULL)" },
};

static or_status
statuses(filter_sql *o, unsigned mask, int64_t threshold)
{
	size_t i, n = 0;
	or_status st = OR_OK;

	for (i = 0; st == OR_OK && i < sizeof(STATUS_SQL) / sizeof(STATUS_SQL[0]); i++) {
		if (!(mask & STATUS_SQL[i].bit))
			continue;
		st = n++ ? buf_append_c(&o->where, " OR ") : conjunct(o, "(");
		if (st == OR_OK)
			st = buf_append_c(&o->where, STATUS_SQL[i].sql);
		if (st == OR_OK && STATUS_SQL[i].takes_time)
			st = param_int(o, unixtime(threshold));
	}
	return st == OR_OK && n ? buf_putc(&o->where, ')') : st;
}

/* "(col IN (?,?))" for the values of mask, bound as their fixed names. */
static or_status
in_names(filter_sql *o, const char *col, const struct name_bit *v, unsigned mask)
{
	size_t n = 0;
	or_status st = OR_OK;

	for (; st == OR_OK && v->name; v++) {
		if (!(mask & v->bit))
			continue;
		if (n++ == 0) {
			st = conjunct(o, "(");
			if (st == OR_OK)
				st = buf_appendf(&o->where, "%s IN (?", col);
		} else {
			st = buf_append_c(&o->where, ",?");
		}
		if (st == OR_OK)
			st = param_text(o, v->name);
	}
	return st == OR_OK && n ? buf_append_c(&o->where, "))") : st;
}

static or_status
customers(filter_sql *o, const filter *f)
{
	size_t i;
	or_status st = OR_OK;

	for (i = 0; st == OR_OK && i < f->ncustomers; i++) {
		if (f->customers[i] == NULL)
			return OR_ERR_INVALID;
		st = i ? buf_append_c(&o->where, ",?") : conjunct(o, "(c.slug IN (?");
		if (st == OR_OK)
			st = param_text(o, f->customers[i]);
	}
	return st == OR_OK && f->ncustomers ? buf_append_c(&o->where, "))") : st;
}

/*
 * Times compare half-open: *_after is inclusive, *_before exclusive, so
 * `created_after:X created_before:Y` is [X, Y).  A user never seen has no
 * last_seen_at, so neither last_seen_before nor last_seen_after matches it
 * (SQL NULL compares false); status:dormant is how to find those users.
 */
static or_status
time_cond(filter_sql *o, bool has, int64_t t, const char *sql)
{
	or_status st;

	if (!has)
		return OR_OK;
	st = conjunct(o, sql);
	return st == OR_OK ? param_int(o, unixtime(t)) : st;
}

/* "%word%" with the LIKE wildcards and the escape character escaped. */
static bool
like_pattern(const char *w, char out[FILTER_PATTERN_MAX])
{
	size_t i, o = 0, n = w ? strlen(w) : 0;

	if (n == 0 || n > FILTER_MAX_WORD)
		return false;
	out[o++] = '%';
	for (i = 0; i < n; i++) {
		if (w[i] == '%' || w[i] == '_' || w[i] == '\\')
			out[o++] = '\\';
		out[o++] = w[i];
	}
	out[o++] = '%';
	out[o] = '\0';
	return true;
}

/*
 * Each word must match one of the three columns.  ESCAPE '\\' is one
 * backslash in SQL text while sql_mode lacks NO_BACKSLASH_ESCAPES (db.c).
 */
static or_status
words(filter_sql *o, const filter *f)
{
	size_t i, j;
	or_status st = OR_OK;

	if (f->nwords > FILTER_MAX_WORDS)
		return OR_ERR_INVALID;
	for (i = 0; st == OR_OK && i < f->nwords; i++) {
		if (!like_pattern(f->words[i], o->patterns[i]))
			return OR_ERR_INVALID;
		st = conjunct(o, "(u.username LIKE ? ESCAPE '\\\\' OR u.email LIKE ? ESCAPE '\\\\' "
			      "OR u.display_name LIKE ? ESCAPE '\\\\')");
		for (j = 0; st == OR_OK && j < 3; j++)
			st = param_text(o, o->patterns[i]);
	}
	return st;
}

/* now - period without overflow. */
static int64_t
minus(int64_t now, int64_t period)
{
	if (period > 0 && now < INT64_MIN + period)
		return INT64_MIN;
	if (period < 0 && now > INT64_MAX + period)
		return INT64_MAX;
	return now - period;
}

or_status
filter_compile(const filter *f, int64_t now, int64_t dormant_after_s, filter_sql *out)
{
	or_status st;

	out->nparams = 0;
	buf_reset(&out->where);
	if (f->ncustomers > FILTER_MAX_CUSTOMERS)
		return OR_ERR_INVALID;
	st = statuses(out, f->statuses, minus(now, dormant_after_s));
	if (st == OR_OK)
		st = in_names(out, "u.role", ROLES, f->roles);
	if (st == OR_OK)
		st = in_names(out, "u.login_type", LOGINS, f->login_types);
	if (st == OR_OK)
		st = time_cond(out, f->has_last_seen_before, f->last_seen_before,
			       "(u.last_seen_at < FROM_UNIXTIME(?))");
	if (st == OR_OK)
		st = time_cond(out, f->has_last_seen_after, f->last_seen_after,
			       "(u.last_seen_at >= FROM_UNIXTIME(?))");
	if (st == OR_OK)
		st = time_cond(out, f->has_created_before, f->created_before,
			       "(u.created_at < FROM_UNIXTIME(?))");
	if (st == OR_OK)
		st = time_cond(out, f->has_created_after, f->created_after,
			       "(u.created_at >= FROM_UNIXTIME(?))");
	if (st == OR_OK)
		st = customers(out, f);
	if (st == OR_OK)
		st = words(out, f);
	if (st == OR_OK && out->where.len == 0)
		st = buf_append_c(&out->where, "1=1");
	if (st != OR_OK) {
		out->nparams = 0;
		buf_reset(&out->where);
	}
	return st;
}
