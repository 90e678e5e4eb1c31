/*
 * The review queue, what a customer's save submits into it, how a decision
 * lands on the reviewed thing, and the requests customers leave (workspace
 * "Create" and support).  One pending review per customer and kind is kept
 * by a unique index over a generated column, so two concurrent submissions
 * cannot queue the same thing twice.
 */
#include <string.h>

#include "onramp/setup_store_operator.h"
#include "onramp/sso_store_operator.h"
#include "onramp/store.h"
#include "scope.h"

static const char SQL_OPEN[] =
	"INSERT INTO reviews (customer_id, kind, submitted_by) VALUES (?, ?, ?)";

or_status
store_review_open(db *d, int64_t customer_id, const char *kind, int64_t user_id, bool *opened)
{
	db_arg args[] = { DB_INT(customer_id), DB_TEXT(kind), user_id ? DB_INT(user_id) : DB_TEXT(NULL) };
	or_status st = db_run(d, SQL_OPEN, args, 3, NULL);

	*opened = st == OR_OK;
	/* The unique index says one is pending already: nothing to do. */
	return st == OR_ERR_CONFLICT ? OR_OK : st;
}

#define REVIEW_COLS \
	"r.id, r.customer_id, c.slug, c.name, r.kind, r.state, r.comment, r.internal_comment, r.created_at, " \
	"r.decided_at, o.username"
#define REVIEW_FROM \
	" FROM reviews r JOIN customers c ON c.id = r.customer_id LEFT JOIN operators o ON o.id = r.decided_by "
#define REVIEW_WHERE "WHERE (? IS NULL OR r.state = ?) AND (? IS NULL OR r.kind = ?) "
#define REVIEW_SCOPE "AND r.customer_id = ? "
#define REVIEW_ASC "AND r.id > ? ORDER BY r.id LIMIT ?"
#define REVIEW_DESC "AND (? = 0 OR r.id < ?) ORDER BY r.id DESC LIMIT ?"

/* [scoped][descending]: the listing of one customer, or of every customer (_any). */
static const char *const SQL_LIST[2][2] = {
	{ "SELECT " REVIEW_COLS REVIEW_FROM REVIEW_WHERE REVIEW_ASC,
	  "SELECT " REVIEW_COLS REVIEW_FROM REVIEW_WHERE REVIEW_DESC },
	{ "SELECT " REVIEW_COLS REVIEW_FROM REVIEW_WHERE REVIEW_SCOPE REVIEW_ASC,
	  "SELECT " REVIEW_COLS REVIEW_FROM REVIEW_WHERE REVIEW_SCOPE REVIEW_DESC },
};
static const char SQL_LOCK[] =
	"SELECT " REVIEW_COLS REVIEW_FROM "WHERE r.id = ? FOR UPDATE";

static void
row_to_review(db_stmt *s, arena *a, review *r)
{
	r->id = db_col_int(s, 0, 0);
	r->customer_id = db_col_int(s, 1, 0);
	r->customer_slug = db_col_dup(s, 2, a);
	r->customer_name = db_col_dup(s, 3, a);
	r->kind = db_col_dup(s, 4, a);
	r->state = db_col_dup(s, 5, a);
	r->comment = db_col_dup(s, 6, a);
	r->internal_comment = db_col_dup(s, 7, a);
	r->created_at = db_col_time(s, 8);
	r->decided_at = db_col_time(s, 9);
	r->decided_by = db_col_dup(s, 10, a);
}

/* scoped: filter on q->customer_id (checked by the caller); else every customer. */
static or_status
list_reviews(db *d, arena *a, const review_query *q, bool scoped, review **out, size_t *n)
{
	bool asc = q->state && strcmp(q->state, "pending") == 0, row;
	db_stmt *s;
	unsigned i = 0;
	or_status st;

	*n = 0;
	if ((*out = arena_calloc(a, (size_t)q->limit, sizeof(review))) == NULL)
		return OR_ERR_NOMEM;
	if ((st = db_prepare(d, SQL_LIST[scoped][!asc], &s)) != OR_OK)
		return st;
	db_bind_cstr(s, i++, q->state);
	db_bind_cstr(s, i++, q->state);
	db_bind_cstr(s, i++, q->kind);
	db_bind_cstr(s, i++, q->kind);
	if (scoped)
		db_bind_int(s, i++, q->customer_id);
	if (!asc)
		db_bind_int(s, i++, q->after);
	db_bind_int(s, i++, q->after);
	db_bind_int(s, i, q->limit);
	st = db_execute(s);
	while (st == OR_OK && (st = db_fetch(s, &row)) == OR_OK && row && *n < (size_t)q->limit)
		row_to_review(s, a, &(*out)[(*n)++]);
	db_stmt_done(s);
	return st;
}

or_status
store_review_list(db *d, arena *a, const review_query *q, review **out, size_t *n)
{
	*n = 0;
	if (scope_refused(__func__, q->customer_id))
		return OR_ERR_INTERNAL;
	return list_reviews(d, a, q, true, out, n);
}

or_status
store_review_list_any(db *d, arena *a, const review_query *q, review **out, size_t *n)
{
	return list_reviews(d, a, q, false, out, n);
}

static const char SQL_PENDING_ANY[] =
	"SELECT COUNT(*), MIN(created_at) FROM reviews WHERE state = 'pending'";

or_status
store_review_pending_any(db *d, long *count, int64_t *oldest)
{
	db_stmt *s;
	bool found;
	or_status st = db_prepare(d, SQL_PENDING_ANY, &s);

	*count = 0;
	*oldest = 0;
	if (st != OR_OK)
		return st;
	st = db_query_one(s, &found);
	if (st == OR_OK && found) {
		*count = (long)db_col_int(s, 0, 0);
		*oldest = db_col_time(s, 1);
	}
	db_stmt_done(s);
	return st;
}

or_status
store_review_lock(db *d, arena *a, int64_t id, review *out)
{
	db_stmt *s;
	bool found;
	or_status st = db_prepare(d, SQL_LOCK, &s);

	memset(out, 0, sizeof(*out));
	if (st != OR_OK)
		return st;
	db_bind_int(s, 0, id);
	st = db_query_one(s, &found);
	if (st == OR_OK && found)
		row_to_review(s, a, out);
	else if (st == OR_OK)
		st = OR_ERR_NOT_FOUND;
	db_stmt_done(s);
	return st;
}

static const char SQL_DECIDE[] =
	"UPDATE reviews SET state = ?, comment = ?, internal_comment = ?, decided_by = ?, "
	"decided_at = CURRENT_TIMESTAMP(6) WHERE id = ? AND state = 'pending'";

or_status
store_review_decide(db *d, int64_t id, const char *state, const char *comment, const char *internal_comment,
		    int64_t operator_id)
{
	db_arg args[] = {
		DB_TEXT(state), DB_TEXT(comment), DB_TEXT(internal_comment), DB_INT(operator_id), DB_INT(id)
	};
	unsigned long long n = 0;
	or_status st = db_run(d, SQL_DECIDE, args, 5, &n);

	return st == OR_OK && n == 0 ? OR_ERR_CONFLICT : st;
}

static const char SQL_SUPERSEDE[] =
	"UPDATE reviews SET state = 'superseded', decided_at = CURRENT_TIMESTAMP(6) "
	"WHERE customer_id = ? AND kind = ? AND state = 'pending'";

or_status
store_review_supersede(db *d, int64_t customer_id, const char *kind)
{
	db_arg args[] = { DB_INT(customer_id), DB_TEXT(kind) };

	return db_run(d, SQL_SUPERSEDE, args, 2, NULL);
}

static const char SQL_CTX_ENSURE[] =
	"INSERT INTO customer_context (customer_id, version) VALUES (?, 0) "
	"ON DUPLICATE KEY UPDATE customer_id = customer_id";
static const char SQL_APPLY_BILLING[] =
	"UPDATE customer_context SET billing_state = IF(? = 'approved', 'trial_approved', 'none'), "
	"version = version + 1, updated_at = CURRENT_TIMESTAMP(6) "
	"WHERE customer_id = ? AND billing_state = 'trial_requested'";
static const char SQL_APPLY_SSO[] =
	"UPDATE sso_settings SET review = ?, updated_at = CURRENT_TIMESTAMP(6) "
	"WHERE customer_id = ?";
static const char SQL_APPLY_TARGET[] =
	"UPDATE customer_context SET target_review = ?, version = version + 1, updated_at = CURRENT_TIMESTAMP(6) "
	"WHERE customer_id = ?";
static const char SQL_APPLY_PROVIDER[] =
	"UPDATE customer_context SET provider_review = ?, version = version + 1, updated_at = CURRENT_TIMESTAMP(6) "
	"WHERE customer_id = ?";

or_status
store_review_apply(db *d, int64_t customer_id, const char *kind, const char *state)
{
	db_arg ensure[] = { DB_INT(customer_id) };
	db_arg args[] = { DB_TEXT(state), DB_INT(customer_id) };
	const char *sql;
	or_status st;

	if (strcmp(kind, "billing") == 0) {
		/*
		 * Rejected or sent back, the trial request is withdrawn: the item
		 * reads "to do" with the operator's comment, and the customer's
		 * next complete save asks again.
		 */
		sql = SQL_APPLY_BILLING;
	} else if (strcmp(kind, "sso") == 0) {
		sql = SQL_APPLY_SSO;
	} else if (strcmp(kind, "workspace_target") == 0) {
		sql = SQL_APPLY_TARGET;
	} else if (strcmp(kind, "provider_setup") == 0) {
		sql = SQL_APPLY_PROVIDER;
	} else {
		return OR_ERR_INVALID;
	}
	st = db_run(d, SQL_CTX_ENSURE, ensure, 1, NULL);
	if (st == OR_OK)
		st = db_run(d, sql, args, 2, NULL);
	/* An SSO approval snapshots what was validated; later draft edits leave the snapshot alone. */
	if (st == OR_OK && strcmp(kind, "sso") == 0 && strcmp(state, "approved") == 0) {
		bool snapshot;
		st = store_sso_approve(d, customer_id, &snapshot);
	}
	return st;
}

static const char SQL_SUBMIT_TRIAL[] =
	"UPDATE customer_context SET billing_state = 'trial_requested', version = version + 1, "
	"updated_at = CURRENT_TIMESTAMP(6) WHERE customer_id = ? AND billing_state = 'none'";
static const char SQL_BILLING_REQUESTED[] =
	"SELECT COUNT(*) FROM customer_context WHERE customer_id = ? AND billing_state = 'trial_requested'";
static const char SQL_SUBMIT_TARGET[] =
	"UPDATE customer_context SET target_review = 'pending', version = version + 1, "
	"updated_at = CURRENT_TIMESTAMP(6) WHERE customer_id = ? AND target_review NOT IN ('pending', 'approved')";
static const char SQL_SUBMIT_PROVIDER[] =
	"UPDATE customer_context SET provider_review = 'pending', version = version + 1, "
	"updated_at = CURRENT_TIMESTAMP(6) WHERE customer_id = ? AND provider_review NOT IN ('pending', 'approved')";
static const char SQL_WITHDRAW_PROVIDER[] =
	"UPDATE customer_context SET provider_review = 'none', version = version + 1, "
	"updated_at = CURRENT_TIMESTAMP(6) WHERE customer_id = ? AND provider_review <> 'none'";

/* Run a state change and open a review when it changed something (or always when force). */
static or_status
submit_one(db *d, int64_t customer_id, int64_t user_id, const char *sql, const char *kind, int *opened)
{
	db_arg args[] = { DB_INT(customer_id) };
	unsigned long long n = 0;
	bool o = false;
	or_status st = db_run(d, sql, args, 1, &n);

	if (st == OR_OK && n > 0 && (st = store_review_open(d, customer_id, kind, user_id, &o)) == OR_OK && o)
		(*opened)++;
	return st;
}

or_status
store_setup_submit(db *d, int64_t customer_id, int64_t user_id, bool provider_wanted, int *opened)
{
	db_arg args[] = { DB_INT(customer_id) };
	long long requested = 0;
	bool o = false;
	or_status st = db_run(d, SQL_CTX_ENSURE, args, 1, NULL);

	*opened = 0;
	if (st == OR_OK)
		st = db_run(d, SQL_SUBMIT_TRIAL, args, 1, NULL);
	/* A trial request an operator entered by hand is queued too. */
	if (st == OR_OK)
		st = db_scalar(d, SQL_BILLING_REQUESTED, args, 1, 0, &requested);
	if (st == OR_OK && requested > 0 && (st = store_review_open(d, customer_id, "billing", user_id, &o)) == OR_OK &&
	    o)
		(*opened)++;
	if (st == OR_OK)
		st = submit_one(d, customer_id, user_id, SQL_SUBMIT_TARGET, "workspace_target", opened);
	if (st == OR_OK && provider_wanted)
		st = submit_one(d, customer_id, user_id, SQL_SUBMIT_PROVIDER, "provider_setup", opened);
	if (st == OR_OK && !provider_wanted && (st = db_run(d, SQL_WITHDRAW_PROVIDER, args, 1, NULL)) == OR_OK)
		st = store_review_supersede(d, customer_id, "provider_setup");
	return st;
}

/* ---- workspace requests ------------------------------------------------------------- */

/*
 * A queued twin (same customer, same name) is hit by the unique key: the
 * statement then changes nothing (0 rows) and LAST_INSERT_ID(id) hands back
 * the twin's id, so the check and the write are one statement.
 */
static const char SQL_WS_ADD[] =
	"INSERT INTO workspace_requests (customer_id, name, requested_by) VALUES (?, ?, ?) "
	"ON DUPLICATE KEY UPDATE id = LAST_INSERT_ID(id)";
static const char SQL_WS_LIST[] =
	"SELECT w.id, w.name, w.state, u.username, w.created_at FROM workspace_requests w "
	"LEFT JOIN users u ON u.id = w.requested_by WHERE w.customer_id = ? ORDER BY w.id DESC LIMIT ?";
/* A locking read: a twin committed after this transaction's snapshot must be seen. */
static const char SQL_WS_GET[] =
	"SELECT w.id, w.name, w.state, u.username, w.created_at FROM workspace_requests w "
	"LEFT JOIN users u ON u.id = w.requested_by WHERE w.customer_id = ? AND w.id = ? LOCK IN SHARE MODE";

or_status
store_workspace_request_add(db *d, int64_t customer_id, const char *name, int64_t user_id, int64_t *id,
			    bool *added)
{
	db_stmt *s;
	or_status st = db_prepare(d, SQL_WS_ADD, &s);

	if (st != OR_OK)
		return st;
	db_bind_int(s, 0, customer_id);
	db_bind_cstr(s, 1, name);
	db_bind_int(s, 2, user_id);
	if ((st = db_execute(s)) == OR_OK) {
		*id = (int64_t)db_insert_id(s);
		*added = db_affected(s) == 1;
	}
	db_stmt_done(s);
	return st;
}

static void
ws_row(db_stmt *s, arena *a, workspace_request *w)
{
	w->id = db_col_int(s, 0, 0);
	w->name = db_col_dup(s, 1, a);
	w->state = db_col_dup(s, 2, a);
	w->requested_by = db_col_dup(s, 3, a);
	w->created_at = db_col_time(s, 4);
}

or_status
store_workspace_request_get(db *d, arena *a, int64_t customer_id, int64_t id, workspace_request *out, bool *found)
{
	db_stmt *s;
	or_status st;

	*found = false;
	if (scope_refused(__func__, customer_id))
		return OR_ERR_INTERNAL;
	if ((st = db_prepare(d, SQL_WS_GET, &s)) != OR_OK)
		return st;
	db_bind_int(s, 0, customer_id);
	db_bind_int(s, 1, id);
	if ((st = db_query_one(s, found)) == OR_OK && *found)
		ws_row(s, a, out);
	db_stmt_done(s);
	return st;
}

or_status
store_workspace_requests(db *d, arena *a, int64_t customer_id, long limit, workspace_request **out, size_t *n)
{
	db_stmt *s;
	bool row;
	or_status st;

	*n = 0;
	if ((*out = arena_calloc(a, (size_t)limit, sizeof(workspace_request))) == NULL)
		return OR_ERR_NOMEM;
	if ((st = db_prepare(d, SQL_WS_LIST, &s)) != OR_OK)
		return st;
	db_bind_int(s, 0, customer_id);
	db_bind_int(s, 1, limit);
	st = db_execute(s);
	while (st == OR_OK && (st = db_fetch(s, &row)) == OR_OK && row && *n < (size_t)limit) {
		ws_row(s, a, &(*out)[(*n)++]);
	}
	db_stmt_done(s);
	return st;
}

/* ---- support requests ---------------------------------------------------------------- */

static const char SQL_SUP_ADD[] =
	"INSERT INTO support_requests (customer_id, user_id, customer_name, item, visible_message, last_action, "
	"last_action_at, message) VALUES (?, ?, ?, ?, ?, ?, FROM_UNIXTIME(?), ?)";
static const char SQL_SUP_LIST[] =
	"SELECT s.id, s.customer_id, s.customer_name, u.username, s.item, s.visible_message, s.last_action, "
	"s.last_action_at, s.message, s.created_at FROM support_requests s LEFT JOIN users u ON u.id = s.user_id "
	"WHERE s.customer_id = ? AND (? = 0 OR s.id < ?) ORDER BY s.id DESC LIMIT ?";
static const char SQL_SUP_LIST_ANY[] =
	"SELECT s.id, s.customer_id, s.customer_name, u.username, s.item, s.visible_message, s.last_action, "
	"s.last_action_at, s.message, s.created_at FROM support_requests s LEFT JOIN users u ON u.id = s.user_id "
	"WHERE (? = 0 OR s.id < ?) ORDER BY s.id DESC LIMIT ?";

or_status
store_support_add(db *d, int64_t user_id, const support_request *in, int64_t *id)
{
	db_stmt *s;
	or_status st = db_prepare(d, SQL_SUP_ADD, &s);

	if (st != OR_OK)
		return st;
	db_bind_int(s, 0, in->customer_id);
	db_bind_int(s, 1, user_id);
	db_bind_cstr(s, 2, in->customer_name);
	db_bind_cstr(s, 3, in->item);
	db_bind_cstr(s, 4, in->visible_message);
	db_bind_cstr(s, 5, in->last_action);
	if (in->last_action_at)
		db_bind_time(s, 6, in->last_action_at);
	else
		db_bind_null(s, 6);
	db_bind_cstr(s, 7, in->message);
	if ((st = db_execute(s)) == OR_OK)
		*id = (int64_t)db_insert_id(s);
	db_stmt_done(s);
	return st;
}

/* customer_id 0: every customer (store_support_list_any); store_support_list refuses 0 first. */
static or_status
list_support(db *d, arena *a, int64_t customer_id, int64_t before, long limit, support_request **out, size_t *n)
{
	db_stmt *s;
	bool row;
	unsigned p = 0;
	or_status st;

	*n = 0;
	if ((*out = arena_calloc(a, (size_t)limit, sizeof(support_request))) == NULL)
		return OR_ERR_NOMEM;
	if ((st = db_prepare(d, customer_id ? SQL_SUP_LIST : SQL_SUP_LIST_ANY, &s)) != OR_OK)
		return st;
	if (customer_id)
		db_bind_int(s, p++, customer_id);
	db_bind_int(s, p++, before);
	db_bind_int(s, p++, before);
	db_bind_int(s, p, limit);
	st = db_execute(s);
	while (st == OR_OK && (st = db_fetch(s, &row)) == OR_OK && row && *n < (size_t)limit) {
		support_request *r = &(*out)[(*n)++];
		r->id = db_col_int(s, 0, 0);
		r->customer_id = db_col_int(s, 1, 0);
		r->customer_name = db_col_dup(s, 2, a);
		r->username = db_col_dup(s, 3, a);
		r->item = db_col_dup(s, 4, a);
		r->visible_message = db_col_dup(s, 5, a);
		r->last_action = db_col_dup(s, 6, a);
		r->last_action_at = db_col_time(s, 7);
		r->message = db_col_dup(s, 8, a);
		r->created_at = db_col_time(s, 9);
	}
	db_stmt_done(s);
	return st;
}

static const char SQL_LAST_ACTION[] =
	"SELECT action, at FROM audit_log WHERE customer_id = ? ORDER BY id DESC LIMIT 1";

or_status
store_last_action(db *d, arena *a, int64_t customer_id, const char **action, int64_t *at)
{
	db_stmt *s;
	bool found;
	or_status st = db_prepare(d, SQL_LAST_ACTION, &s);

	*action = NULL;
	*at = 0;
	if (st != OR_OK)
		return st;
	db_bind_int(s, 0, customer_id);
	st = db_query_one(s, &found);
	if (st == OR_OK && found) {
		*action = db_col_dup(s, 0, a);
		*at = db_col_time(s, 1);
	}
	db_stmt_done(s);
	return st;
}

or_status
store_support_list(db *d, arena *a, int64_t customer_id, int64_t before, long limit, support_request **out,
		   size_t *n)
{
	*n = 0;
	if (scope_refused(__func__, customer_id))
		return OR_ERR_INTERNAL;
	return list_support(d, a, customer_id, before, limit, out, n);
}

or_status
store_support_list_any(db *d, arena *a, int64_t before, long limit, support_request **out, size_t *n)
{
	return list_support(d, a, 0, before, limit, out, n);
}
