-- The checklist facts count each customer's admins and members from users
-- grouped by customer (GET /checklist, the operator dashboard).  Widening
-- users_customer with the columns those counts read makes the aggregate an
-- index-only range scan instead of one row lookup per user; the (customer_id,
-- id) prefix that the customer: listing filter uses stays as it was.
ALTER TABLE users
    DROP INDEX IF EXISTS users_customer,
    ADD INDEX users_customer (customer_id, id, role, status, deactivated_at, last_seen_at);
