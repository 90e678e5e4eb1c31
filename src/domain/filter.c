/*
 * The user filter language of API.md (`q=`).  filter_parse() splits the query
 * into terms, checks each against the key table and fills a typed struct
 * filter; the store turns that struct into SQL (src/store/filter_sql.c).
 * Pure: no I/O, no clock, memory only from the caller's arena and buffers.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "onramp/choices.h"
#include "onramp/filter.h"
#include "onramp/timefmt.h"

/* ---- keys and their values ------------------------------------------------ */

enum key_kind { KEY_MASK, KEY_TIME, KEY_CUSTOMER };

struct key {
	const char *name;
	enum key_kind kind;
	const char *const *values;	/* KEY_MASK: allowed values, value i is bit 1 << i */
	const char *allowed;		/* KEY_MASK: the same, for messages */
	size_t off;			/* struct filter member: the mask or the time */
	size_t has_off;			/* KEY_TIME: its has_ flag */
};

static const struct key KEYS[] = {
	{ "status", KEY_MASK, choices_user_statuses, "active, dormant, suspended, deactivated",
	  offsetof(filter, statuses), 0 },
	{ "role", KEY_MASK, choices_roles, "customer_admin, customer_member", offsetof(filter, roles), 0 },
	{ "login_type", KEY_MASK, choices_login_types, "password, oidc, saml", offsetof(filter, login_types), 0 },
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
		if ((bit = choices_bit(k->values, el)) == 0) {
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
