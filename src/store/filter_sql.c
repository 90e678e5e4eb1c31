/*
 * The filter language's SQL (include/onramp/filter_sql.h): fixed text and
 * placeholders only, built from the parsed filter of src/domain/filter.c.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "onramp/choices.h"
#include "onramp/filter_sql.h"

/* MariaDB before 11.5 returns NULL from FROM_UNIXTIME past 2^31 - 1. */
#define UNIXTIME_MAX 2147483647

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

/* "(col IN (?,?))" for the values of mask (bit i = names[i]), bound as their fixed names. */
static or_status
in_names(filter_sql *o, const char *col, const char *const *names, unsigned mask)
{
	size_t n = 0, i;
	or_status st = OR_OK;

	for (i = 0; st == OR_OK && names[i]; i++) {
		if (!(mask & (1u << i)))
			continue;
		if (n++ == 0) {
			st = conjunct(o, "(");
			if (st == OR_OK)
				st = buf_appendf(&o->where, "%s IN (?", col);
		} else {
			st = buf_append_c(&o->where, ",?");
		}
		if (st == OR_OK)
			st = param_text(o, names[i]);
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

/* "word%" with the LIKE wildcards and the escape character escaped. */
static bool
like_pattern(const char *w, char out[FILTER_PATTERN_MAX])
{
	size_t i, o = 0, n = w ? strlen(w) : 0;

	if (n == 0 || n > FILTER_MAX_WORD)
		return false;
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
 * A word matches the start of one of these columns (docs/api.md, "Filter
 * words").  A prefix LIKE is a range of each column's index (migration 017);
 * MariaDB then merges the four ranges (index_merge sort_union) for a rare
 * word, or reads the id order and stops after the page for a common one,
 * where '%word%' read every user.  usernames are lower-case ASCII and binary,
 * words arrive ASCII-lower-cased (filter.c), so the start of a username
 * matches whatever case was typed; the others compare in their collation.
 */
static const char *const WORD_COLS[] = { "u.username", "u.email", "u.email_domain", "u.display_name" };
#define NWORD_COLS (sizeof(WORD_COLS) / sizeof(WORD_COLS[0]))

/*
 * Each word must match one of the columns.  ESCAPE '\\' is one backslash in
 * SQL text while sql_mode lacks NO_BACKSLASH_ESCAPES (db.c).
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
		for (j = 0; st == OR_OK && j < NWORD_COLS; j++) {
			st = j ? buf_append_c(&o->where, " OR ") : conjunct(o, "(");
			if (st == OR_OK)
				st = buf_appendf(&o->where, "%s LIKE ? ESCAPE '\\\\'", WORD_COLS[j]);
			if (st == OR_OK)
				st = param_text(o, o->patterns[i]);
		}
		if (st == OR_OK)
			st = buf_putc(&o->where, ')');
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
filter_sql_compile(const filter *f, int64_t now, int64_t dormant_after_s, filter_sql *out)
{
	or_status st;

	out->nparams = 0;
	buf_reset(&out->where);
	if (f->ncustomers > FILTER_MAX_CUSTOMERS)
		return OR_ERR_INVALID;
	st = statuses(out, f->statuses, minus(now, dormant_after_s));
	if (st == OR_OK)
		st = in_names(out, "u.role", choices_roles, f->roles);
	if (st == OR_OK)
		st = in_names(out, "u.login_type", choices_login_types, f->login_types);
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
