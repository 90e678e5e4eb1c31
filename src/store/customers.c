/*
 * Customers (tenants) and their seat accounting.
 */
#include <string.h>

#include "onramp/store_operator.h"
#include "details_row.h"
#include "scope.h"

/* Qualified (customers c), so a join with the details reads the same columns. */
#define CUSTOMER_COLS "c.id, c.slug, c.name, c.seat_limit, c.created_at, c.updated_at, c.version"
#define CUSTOMER_NCOLS 7

static void
row_to_customer(db_stmt *s, arena *a, customer *c)
{
	c->id = db_col_int(s, 0, 0);
	c->slug = db_col_dup(s, 1, a);
	c->name = db_col_dup(s, 2, a);
	c->seat_limit = (long)db_col_int(s, 3, 0);
	c->created_at = db_col_time(s, 4);
	c->updated_at = db_col_time(s, 5);
	c->version = db_col_int(s, 6, 0);
}

static const char SQL_CREATE[] = "INSERT INTO customers (slug, name, seat_limit) VALUES (?, ?, ?)";

or_status
store_customer_create(db *d, const char *slug, const char *name, long seat_limit, int64_t *id)
{
	db_stmt *s;
	or_status st = db_prepare(d, SQL_CREATE, &s);

	if (st != OR_OK)
		return st;
	db_bind_cstr(s, 0, slug);
	db_bind_cstr(s, 1, name);
	db_bind_int(s, 2, seat_limit);
	st = db_execute(s);
	if (st == OR_OK)
		*id = (int64_t)db_insert_id(s);
	db_stmt_done(s);
	return st;
}

static or_status
one(db_stmt *s, arena *a, customer *out)
{
	bool found;
	or_status st = db_query_one(s, &found);

	if (st == OR_OK && !found)
		st = OR_ERR_NOT_FOUND;
	if (st == OR_OK)
		row_to_customer(s, a, out);
	db_stmt_done(s);
	return st;
}

static const char SQL_GET[] = "SELECT " CUSTOMER_COLS " FROM customers c WHERE id = ?";

or_status
store_customer_get(db *d, arena *a, int64_t id, customer *out)
{
	db_stmt *s;
	or_status st = db_prepare(d, SQL_GET, &s);

	if (st != OR_OK)
		return st;
	db_bind_int(s, 0, id);
	return one(s, a, out);
}

/* The account page's one statement: the customer and its details (NULLs when never saved). */
static const char SQL_WITH_DETAILS[] =
	"SELECT " CUSTOMER_COLS ", " DETAIL_COLS " FROM customers c LEFT JOIN customer_details d ON d.customer_id = c.id "
	"WHERE c.id = ?";

or_status
store_customer_with_details(db *d, arena *a, int64_t id, customer *c, customer_details *out)
{
	db_stmt *s;
	bool found;
	or_status st;

	if (scope_refused(__func__, id))
		return OR_ERR_INTERNAL;
	if ((st = db_prepare(d, SQL_WITH_DETAILS, &s)) != OR_OK)
		return st;
	db_bind_int(s, 0, id);
	st = db_query_one(s, &found);
	if (st == OR_OK && !found)
		st = OR_ERR_NOT_FOUND;
	if (st == OR_OK) {
		row_to_customer(s, a, c);
		store_details_read(s, CUSTOMER_NCOLS, a, out);
	}
	db_stmt_done(s);
	return st;
}

static const char SQL_BY_SLUG[] = "SELECT " CUSTOMER_COLS " FROM customers c WHERE slug = ?";

or_status
store_customer_by_slug(db *d, arena *a, const char *slug, customer *out)
{
	db_stmt *s;
	or_status st = db_prepare(d, SQL_BY_SLUG, &s);

	if (st != OR_OK)
		return st;
	db_bind_cstr(s, 0, slug);
	return one(s, a, out);
}

static const char SQL_LIST[] =
	"SELECT " CUSTOMER_COLS " FROM customers c WHERE (? IS NULL OR slug LIKE ? OR name LIKE ?) "
	"AND (? = 0 OR id < ?) ORDER BY id DESC LIMIT ?";

or_status
store_customer_list(db *d, arena *a, const char *search, int64_t before_id, long limit, customer **out,
		    size_t *n)
{
	db_stmt *s;
	char *pattern = NULL;
	bool row;
	or_status st;

	*n = 0;
	*out = arena_calloc(a, (size_t)limit + 1, sizeof(customer));
	if (*out == NULL)
		return OR_ERR_NOMEM;
	if (search && *search) {
		/* Escape LIKE wildcards so the search text matches literally. */
		size_t i, j = 0, len = strlen(search);
		pattern = arena_alloc(a, 2 * len + 3);
		if (pattern == NULL)
			return OR_ERR_NOMEM;
		pattern[j++] = '%';
		for (i = 0; i < len; i++) {
			if (search[i] == '%' || search[i] == '_' || search[i] == '\\')
				pattern[j++] = '\\';
			pattern[j++] = search[i];
		}
		pattern[j++] = '%';
		pattern[j] = '\0';
	}
	if ((st = db_prepare(d, SQL_LIST, &s)) != OR_OK)
		return st;
	db_bind_cstr(s, 0, pattern);
	db_bind_cstr(s, 1, pattern);
	db_bind_cstr(s, 2, pattern);
	db_bind_int(s, 3, before_id);
	db_bind_int(s, 4, before_id);
	db_bind_int(s, 5, limit);
	st = db_execute(s);
	while (st == OR_OK && (st = db_fetch(s, &row)) == OR_OK && row && *n < (size_t)limit)
		row_to_customer(s, a, &(*out)[(*n)++]);
	db_stmt_done(s);
	return st;
}

static const char SQL_LOCK[] = "SELECT seat_limit FROM customers WHERE id = ? FOR UPDATE";

or_status
store_customer_lock(db *d, int64_t id, long *seat_limit)
{
	db_stmt *s;
	bool found;
	/* The seat guard row, written: what Galera certifies (src/store/guards.c); the read locks as before. */
	or_status st = store_guard_take(d, GUARD_SEATS, id);

	if (st == OR_OK)
		st = db_prepare(d, SQL_LOCK, &s);
	if (st != OR_OK)
		return st;
	db_bind_int(s, 0, id);
	st = db_query_one(s, &found);
	if (st == OR_OK && !found)
		st = OR_ERR_NOT_FOUND;
	if (st == OR_OK)
		*seat_limit = (long)db_col_int(s, 0, 0);
	db_stmt_done(s);
	return st;
}

#define SQL_SEATS_TEXT "SELECT COUNT(*) FROM users WHERE customer_id = ? AND " STORE_SQL_SEAT_HOLDER
static const char SQL_SEATS[] = SQL_SEATS_TEXT;

/*
 * Text, not FROM_UNIXTIME(?): the server converts a constant string once, but
 * evaluated FROM_UNIXTIME per row in the dashboard's grouped pass over a
 * million users (+45-54 % on that query against +19-27 % for text, measured).
 */
void
store_sql_time(int64_t t, char out[TIMEFMT_RFC3339_LEN])
{
	timefmt_rfc3339(t, out);
	out[10] = ' ';
	out[19] = '\0';
}

void
store_seat_cutoff(int64_t now, char out[TIMEFMT_RFC3339_LEN])
{
	store_sql_time(now - IDENTITY_DORMANT_AFTER_S, out);
}

or_status
store_customer_seats_used(db *d, int64_t customer_id, int64_t now, long *used)
{
	char buf[TIMEFMT_RFC3339_LEN];
	const char *since = buf;
	db_arg args[] = { DB_INT(customer_id), DB_TEXT(since) };
	long long v;
	or_status st;

	store_seat_cutoff(now, buf);
	st = db_scalar(d, SQL_SEATS, args, 2, 0, &v);

	*used = (long)v;
	return st;
}

static const char SQL_LOCK_NAMED[] = "SELECT seat_limit, name FROM customers WHERE id = ? FOR UPDATE";
/*
 * After the lock, so both counts include every invite and user committed
 * before it; one statement for both (issue 15: each is a round trip).  Not
 * part of the locking read: FOR UPDATE would lock the counted users and
 * outbox rows too, and wait on sign-ins and the mailer.
 */
static const char SQL_INVITE_COUNTS[] =
	"SELECT (" SQL_SEATS_TEXT "), COUNT(*), UNIX_TIMESTAMP(MIN(created_at)), "
	"EXISTS (SELECT 1 FROM users WHERE email = ? AND customer_id = ? AND deactivated_at IS NULL) FROM outbox "
	"WHERE customer_id = ? AND ref_type = 'invite' AND created_at >= FROM_UNIXTIME(?)";

static or_status
invite_counts(db *d, int64_t id, const char *email, int64_t now, int64_t since, customer_invite_limits *out)
{
	char cutoff[TIMEFMT_RFC3339_LEN];
	db_stmt *s;
	bool found;
	or_status st = db_prepare(d, SQL_INVITE_COUNTS, &s);

	if (st != OR_OK)
		return st;
	store_seat_cutoff(now, cutoff);
	db_bind_int(s, 0, id);
	db_bind_cstr(s, 1, cutoff);
	if (email)
		db_bind_cstr(s, 2, email);
	else
		db_bind_null(s, 2);
	db_bind_int(s, 3, id);
	db_bind_int(s, 4, id);
	db_bind_int(s, 5, since);
	if ((st = db_query_one(s, &found)) == OR_OK && found) {
		out->seats_used = (long)db_col_int(s, 0, 0);
		out->mails = (long)db_col_int(s, 1, 0);
		out->oldest_mail = db_col_int(s, 2, 0);
		out->member = db_col_int(s, 3, 0) != 0;
	}
	db_stmt_done(s);
	return st;
}

or_status
store_customer_lock_invite(db *d, arena *a, int64_t id, const char *email, int64_t now, int64_t since,
			   customer_invite_limits *out)
{
	db_stmt *s;
	bool found;
	or_status st;

	memset(out, 0, sizeof(*out));
	if (scope_refused(__func__, id))
		return OR_ERR_INTERNAL;
	/* As store_customer_lock: the guard write orders seat checks across Galera nodes. */
	if ((st = store_guard_take(d, GUARD_SEATS, id)) != OR_OK || (st = db_prepare(d, SQL_LOCK_NAMED, &s)) != OR_OK)
		return st;
	db_bind_int(s, 0, id);
	st = db_query_one(s, &found);
	if (st == OR_OK && !found)
		st = OR_ERR_NOT_FOUND;
	if (st == OR_OK) {
		out->seat_limit = (long)db_col_int(s, 0, 0);
		out->name = db_col_dup(s, 1, a);
	}
	db_stmt_done(s);
	return st == OR_OK ? invite_counts(d, id, email, now, since, out) : st;
}

/* The members page's one statement for its customer: the row and its seat holders (SQL_SEATS as a subquery). */
static const char SQL_WITH_SEATS[] = "SELECT " CUSTOMER_COLS ", (" SQL_SEATS_TEXT ") FROM customers c WHERE c.id = ?";

or_status
store_customer_with_seats(db *d, arena *a, int64_t id, int64_t now, customer *c, long *used)
{
	char since[TIMEFMT_RFC3339_LEN];
	db_stmt *s;
	bool found;
	or_status st;

	if (scope_refused(__func__, id))
		return OR_ERR_INTERNAL;
	if ((st = db_prepare(d, SQL_WITH_SEATS, &s)) != OR_OK)
		return st;
	store_seat_cutoff(now, since);
	db_bind_int(s, 0, id);
	db_bind_cstr(s, 1, since);
	db_bind_int(s, 2, id);
	st = db_query_one(s, &found);
	if (st == OR_OK && !found)
		st = OR_ERR_NOT_FOUND;
	if (st == OR_OK) {
		row_to_customer(s, a, c);
		*used = (long)db_col_int(s, CUSTOMER_NCOLS, 0);
	}
	db_stmt_done(s);
	return st;
}

static const char SQL_UPDATE[] =
	"UPDATE customers SET name = ?, seat_limit = ?, version = version + 1, updated_at = CURRENT_TIMESTAMP(6) "
	"WHERE id = ? AND version = ?";

or_status
store_customer_update(db *d, int64_t id, const char *name, long seat_limit, int64_t expected_version)
{
	db_arg args[] = { DB_TEXT(name), DB_INT(seat_limit), DB_INT(id), DB_INT(expected_version) };
	unsigned long long n = 0;
	or_status st = db_run(d, SQL_UPDATE, args, 4, &n);

	return st == OR_OK && n == 0 ? OR_ERR_VERSION : st;
}
