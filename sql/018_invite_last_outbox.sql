-- A new invite's mail is queued before the invite row, so that the invite's
-- INSERT names its mail and no UPDATE follows it (issue 15: one round trip
-- fewer per invite).  The mail cannot carry the id of an invite not yet
-- written, so a failed delivery finds its invite through last_outbox_id
-- (store_outbox_failed), by this index.
ALTER TABLE invites ADD INDEX IF NOT EXISTS invites_last_outbox (last_outbox_id);
