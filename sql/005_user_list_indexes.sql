-- The user listing orders by id and stops after one page (keyset pagination).
-- With id right after the equality columns, a status/role filter reads its
-- page in id order and stops after it, instead of reading every match and
-- sorting (measured over 1,000,000 users: 21-207 ms -> 0.1-0.4 ms in the
-- server; docs/performance.md).  last_seen_at stays in the index so index
-- condition pushdown checks dormancy without touching the rows.
ALTER TABLE users
    DROP INDEX IF EXISTS users_role_status,
    DROP INDEX IF EXISTS users_status_seen,
    ADD INDEX users_role_status (role, status, deactivated_at, id, last_seen_at),
    ADD INDEX users_status_seen (status, deactivated_at, id, last_seen_at);
