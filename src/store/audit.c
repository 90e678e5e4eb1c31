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

#define AUDIT_SELECT \
	"SELECT id, at, actor_type, actor_id, actor_label, customer_id, action, object_type, object_id, " \
	"before_json, after_json, client_addr, request_id FROM audit_log "
static const char SQL_LIST[] =
	AUDIT_SELECT "WHERE customer_id = ? AND (? = 0 OR id < ?) ORDER BY id DESC LIMIT ?";
static const char SQL_LIST_ANY[] = AUDIT_SELECT "WHERE (? = 0 OR id < ?) ORDER BY id DESC LIMIT ?";

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

/* customer_id 0: every customer (store_audit_list_any); store_audit_list refuses 0 first. */
static or_status
list_entries(db *d, arena *a, int64_t customer_id, int64_t before_id, long limit, audit_entry **out, size_t *n)
{
	db_stmt *s;
	bool row;
	unsigned p = 0;
	or_status st;

	*n = 0;
	*out = arena_calloc(a, (size_t)limit + 1, sizeof(audit_entry));
	if (*out == NULL)
		return OR_ERR_NOMEM;
	if ((st = db_prepare(d, customer_id ? SQL_LIST : SQL_LIST_ANY, &s)) != OR_OK)
		return st;
	if (customer_id)
		db_bind_int(s, p++, customer_id);
	db_bind_int(s, p++, before_id);
	db_bind_int(s, p++, before_id);
	db_bind_int(s, p, limit);
	st = db_execute(s);
	while (st == OR_OK && (st = db_fetch(s, &row)) == OR_OK && row && *n < (size_t)limit) {
		audit_entry *e = &(*out)[(*n)++];
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
	}
	db_stmt_done(s);
	return st;
}

or_status
store_audit_list(db *d, arena *a, int64_t customer_id, int64_t before_id, long limit, audit_entry **out,
		 size_t *n)
{
	*n = 0;
	if (scope_refused(__func__, customer_id))
		return OR_ERR_INTERNAL;
	return list_entries(d, a, customer_id, before_id, limit, out, n);
}

or_status
store_audit_list_any(db *d, arena *a, int64_t before_id, long limit, audit_entry **out, size_t *n)
{
	return list_entries(d, a, 0, before_id, limit, out, n);
}
