-- "The same request twice creates one" (issue 16): a customer has at most one
-- queued workspace request per name.  The unique key makes it atomic: two
-- concurrent Creates of one name (a double click, two tabs, two Idempotency-
-- Keys) cannot both insert; store_workspace_request_add turns the second into
-- the first's answer (INSERT ... ON DUPLICATE KEY UPDATE), never a
-- read-then-write.  A created or failed request frees the name.
--
-- Twins queued before this rule were one request sent twice: the later ones
-- are closed as failed (the earliest stays queued), so the key can be added.
UPDATE workspace_requests w
  JOIN (SELECT customer_id, name, MIN(id) AS first_id FROM workspace_requests
         WHERE state = 'queued' GROUP BY customer_id, name HAVING COUNT(*) > 1) t
    ON t.customer_id = w.customer_id AND t.name = w.name
   SET w.state = 'failed'
 WHERE w.state = 'queued' AND w.id > t.first_id;

ALTER TABLE workspace_requests
    ADD COLUMN IF NOT EXISTS queued_name VARCHAR(63) AS (IF(state = 'queued', name, NULL)) PERSISTENT,
    ADD UNIQUE KEY IF NOT EXISTS workspace_requests_one_queued (customer_id, queued_name);
