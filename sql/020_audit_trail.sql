-- The audit trail people can read (issue 16 item 12): each filter of
-- GET /admin/api/v1/audit and its export has an index that ends in id, so a
-- filtered page is a range read in id order however long the trail grows.
-- (customer_id, id) and (at) exist since 002.  Indexes only: the triggers of
-- 002 keep the table append-only.
ALTER TABLE audit_log
    ADD KEY IF NOT EXISTS audit_actor (actor_type, actor_id, id),
    ADD KEY IF NOT EXISTS audit_actor_label (actor_label, id),
    ADD KEY IF NOT EXISTS audit_action (action, id),
    ADD KEY IF NOT EXISTS audit_object (object_type, object_id, id);
