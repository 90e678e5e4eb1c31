/*
 * The append-only audit trail (triggers in sql/002 refuse UPDATE and DELETE
 * for every account).  Callers redact before/after; this module stores them.
 */
#include <string.h>

#include "onramp/store_operator.h"
#include "scope.h"

const char *
store_audit_actor_name(audit_actor t)
{
	switch (t) {
	case ACTOR_USER: return "user";
	case ACTOR_OPERATOR: return "operator";
	case ACTOR_CLI: return "cli";
	case ACTOR_SYSTEM: return "system";
	case ACTOR_SETUP_LINK: return "setup_link";
	}
	return "system";
}

static const char SQL_ADD[] =
	"INSERT INTO audit_log (actor_type, actor_id, actor_label, customer_id, action, object_type, "
	"object_id, before_json, after_json, client_addr, request_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

static void
bind_opt_id(db_stmt *s, unsigned i, int64_t v)
{
	if (v)
		db_bind_int(s, i, v);
	else
		db_bind_null(s, i);
}

or_status
store_audit_add(db *d, const audit_entry *e)
{
	db_stmt *s;
	or_status st = db_prepare(d, SQL_ADD, &s);

	if (st != OR_OK)
		return st;
	db_bind_cstr(s, 0, store_audit_actor_name(e->actor_type));
	bind_opt_id(s, 1, e->actor_id);
	db_bind_cstr(s, 2, e->actor_label ? e->actor_label : "");
	bind_opt_id(s, 3, e->customer_id);
	db_bind_cstr(s, 4, e->action);
	db_bind_cstr(s, 5, e->object_type ? e->object_type : "");
	db_bind_cstr(s, 6, e->object_id ? e->object_id : "");
	db_bind_cstr(s, 7, e->before_json);
	db_bind_cstr(s, 8, e->after_json);
	db_bind_text(s, 9, e->client_addr ? e->client_addr : "", e->client_addr ? strnlen(e->client_addr, 45) : 0);
	db_bind_text(s, 10, e->request_id ? e->request_id : "", e->request_id ? strnlen(e->request_id, 64) : 0);
	st = db_execute(s);
	db_stmt_done(s);
	return st;
}

/*
 * Names are resolved when read, by primary key per returned row: names change
 * and ids stay, and nothing an entry names is ever deleted (users and
 * operators are deactivated, invites and links revoked).  actor_label, written
 * with the row, names the actors that have no row of their own (cli, system,
 * a setup link by its address) and stands in when a name is not found.
 */
static const char SQL_AUDIT_SELECT[] =
	"SELECT a.id, a.at, a.actor_type, a.actor_id, a.actor_label, a.customer_id, a.action, a.object_type, "
	"a.object_id, a.before_json, a.after_json, a.client_addr, a.request_id, c.name, c.slug, "
	"CASE a.actor_type WHEN 'user' THEN (SELECT username FROM users WHERE id = a.actor_id) "
	"WHEN 'operator' THEN (SELECT username FROM operators WHERE id = a.actor_id) END, "
	"CASE a.object_type "
	"WHEN 'user' THEN (SELECT username FROM users WHERE id = CAST(a.object_id AS UNSIGNED)) "
	"WHEN 'operator' THEN (SELECT username FROM operators WHERE id = CAST(a.object_id AS UNSIGNED)) "
	"WHEN 'invite' THEN (SELECT email FROM invites WHERE id = CAST(a.object_id AS UNSIGNED)) "
	"WHEN 'sso_setup_link' THEN (SELECT email FROM sso_setup_links WHERE id = CAST(a.object_id AS UNSIGNED)) "
	"WHEN 'review' THEN (SELECT kind FROM reviews WHERE id = CAST(a.object_id AS UNSIGNED)) "
	"WHEN 'customer' THEN c.name END "
	"FROM audit_log a LEFT JOIN customers c ON c.id = a.customer_id WHERE 1 = 1";
static const char SQL_AUDIT_ORDER[] = " ORDER BY a.id DESC LIMIT ?";

/* One condition per filter member, each backed by an index of sql/020 (or 002 for customer and time). */
static const struct {
	const char *sql;
} conds[] = {
	{ " AND a.customer_id = ?" }, { " AND a.id < ?" }, { " AND a.actor_type = ? AND a.actor_id = ?" },
	{ " AND a.actor_label = ?" }, { " AND a.action = ?" }, { " AND a.action LIKE ?" },
	{ " AND a.object_type = ?" }, { " AND a.object_id = ?" }, { " AND a.at >= FROM_UNIXTIME(?)" },
	{ " AND a.at < FROM_UNIXTIME(?)" },
};
enum { C_CUSTOMER, C_BEFORE_ID, C_ACTOR_ID, C_ACTOR, C_ACTION, C_ACTION_PREFIX, C_OTYPE, C_OID, C_AFTER, C_BEFORE };

static audit_actor
actor_from(or_str v)
{
	if (str_eq_c(v, "user"))
		return ACTOR_USER;
	if (str_eq_c(v, "operator"))
		return ACTOR_OPERATOR;
	if (str_eq_c(v, "cli"))
		return ACTOR_CLI;
	if (str_eq_c(v, "setup_link"))
		return ACTOR_SETUP_LINK;
	return ACTOR_SYSTEM;
}

static void
row_to_entry(db_stmt *s, arena *a, audit_entry *e)
{
	e->id = db_col_int(s, 0, 0);
	e->at = db_col_time(s, 1);
	e->actor_type = actor_from(db_col(s, 2));
	e->actor_id = db_col_int(s, 3, 0);
	e->actor_label = db_col_dup(s, 4, a);
	e->customer_id = db_col_int(s, 5, 0);
	e->action = db_col_dup(s, 6, a);
	e->object_type = db_col_dup(s, 7, a);
	e->object_id = db_col_dup(s, 8, a);
	e->before_json = db_col_dup(s, 9, a);
	e->after_json = db_col_dup(s, 10, a);
	e->client_addr = db_col_dup(s, 11, a);
	e->request_id = db_col_dup(s, 12, a);
	e->customer_name = db_col_dup(s, 13, a);
	e->customer_slug = db_col_dup(s, 14, a);
	e->actor_name = db_col_dup(s, 15, a);
	e->object_label = db_col_dup(s, 16, a);
}

static void
bind_all(db_stmt *s, const db_arg *args, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		if (args[i].type == DB_ARG_INT)
			db_bind_int(s, i, args[i].i);
		else
			db_bind_cstr(s, i, args[i].s);
	}
}

/* The statement's text for f (fixed fragments only) and its arguments, in order. */
static or_status
build(or_buf *sql, db_arg *args, unsigned *nargs, arena *a, int64_t customer_id, const audit_filter *f, long limit)
{
	size_t alen = f->action ? strlen(f->action) : 0;
	bool prefix = alen > 0 && f->action[alen - 1] == '.';
	or_status st = buf_append_c(sql, SQL_AUDIT_SELECT);
	unsigned n = 0;

#define COND(c, ...) do { if (st == OR_OK) st = buf_append_c(sql, conds[c].sql); __VA_ARGS__; } while (0)
	if (customer_id)
		COND(C_CUSTOMER, args[n++] = DB_INT(customer_id));
	if (f->before_id)
		COND(C_BEFORE_ID, args[n++] = DB_INT(f->before_id));
	if (f->actor_type && f->actor_id)
		COND(C_ACTOR_ID, args[n++] = DB_TEXT(f->actor_type); args[n++] = DB_INT(f->actor_id));
	if (f->actor)
		COND(C_ACTOR, args[n++] = DB_TEXT(f->actor));
	if (f->action && !prefix)
		COND(C_ACTION, args[n++] = DB_TEXT(f->action));
	if (prefix) {
		/* Action names hold only [a-z_.], so the prefix needs no LIKE escaping; '%' makes it a prefix. */
		char *like = arena_alloc(a, alen + 2);
		if (like == NULL)
			return OR_ERR_NOMEM;
		memcpy(like, f->action, alen);
		memcpy(like + alen, "%", 2);
		COND(C_ACTION_PREFIX, args[n++] = DB_TEXT(like));
	}
	if (f->object_type)
		COND(C_OTYPE, args[n++] = DB_TEXT(f->object_type));
	if (f->object_id)
		COND(C_OID, args[n++] = DB_TEXT(f->object_id));
	if (f->after)
		COND(C_AFTER, args[n++] = DB_INT(f->after));
	if (f->before)
		COND(C_BEFORE, args[n++] = DB_INT(f->before));
#undef COND
	if (st == OR_OK)
		st = buf_append_c(sql, SQL_AUDIT_ORDER);
	args[n++] = DB_INT(limit);
	*nargs = n;
	return st;
}

/* customer_id 0: every customer (store_audit_list_any); store_audit_list refuses 0 first. */
static or_status
list_entries(db *d, arena *a, int64_t customer_id, const audit_filter *f, long limit, audit_entry **out, size_t *n)
{
	db_stmt *s = NULL;
	db_arg args[16];
	unsigned nargs = 0;
	bool row;
	or_buf sql;
	or_status st;

	*n = 0;
	*out = arena_calloc(a, (size_t)limit + 1, sizeof(audit_entry));
	if (*out == NULL)
		return OR_ERR_NOMEM;
	buf_init(&sql, 4096);
	st = build(&sql, args, &nargs, a, customer_id, f, limit);
	if (st == OR_OK)
		st = db_prepare_dynamic(d, sql.data, &s);
	if (st == OR_OK) {
		bind_all(s, args, nargs);
		st = db_execute(s);
	}
	while (st == OR_OK && (st = db_fetch(s, &row)) == OR_OK && row && *n < (size_t)limit)
		row_to_entry(s, a, &(*out)[(*n)++]);
	if (s)
		db_stmt_free(s);
	buf_free(&sql);
	return st;
}

or_status
store_audit_list(db *d, arena *a, int64_t customer_id, const audit_filter *f, long limit, audit_entry **out,
		 size_t *n)
{
	*n = 0;
	if (scope_refused(__func__, customer_id))
		return OR_ERR_INTERNAL;
	return list_entries(d, a, customer_id, f, limit, out, n);
}

or_status
store_audit_list_any(db *d, arena *a, const audit_filter *f, long limit, audit_entry **out, size_t *n)
{
	return list_entries(d, a, 0, f, limit, out, n);
}
