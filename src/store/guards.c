/*
 * Guard rows: the one way a check of an invariant over many rows (a
 * customer's seats, its admins, the operator admins, a user's recent reset
 * tokens) is made atomic with the write that follows it.
 *
 * A locking read (SELECT ... FOR UPDATE) was enough on one server, but
 * Galera certifies written rows, not locks: two transactions on two nodes
 * could both lock the customer row, both count the seats, both insert a
 * user, and both commit.  Each check therefore first WRITES its guard row.
 * Two checks of the same invariant then write a common row, so certification
 * lets one commit and aborts the other (1213), whose request is run again
 * and counts what the first left.  On one server the write takes the row's
 * exclusive lock until commit, as FOR UPDATE did, and reads after it see
 * everything committed before it (the snapshot starts at the first plain
 * read, after the guard).
 */
#include "onramp/store.h"

static const char SQL_GUARD[] =
	"INSERT INTO guards (kind, id, n) VALUES (?, ?, 1) ON DUPLICATE KEY UPDATE n = n + 1";

or_status
store_guard_take(db *d, guard_kind kind, int64_t id)
{
	db_arg args[] = { DB_INT(kind), DB_INT(id) };

	if (!db_in_transaction(d))
		return OR_ERR_INTERNAL;	/* a guard outside a transaction guards nothing */
	return db_run(d, SQL_GUARD, args, 2, NULL);
}
