-- IT-admin setup links act without a user account, so the audit trail names
-- them as an actor of their own: actor_type 'setup_link', actor_id the link's
-- id and actor_label "setup link: <email>".  An email is up to 254 bytes, so
-- the label widens to the size of the other "who did it" columns of 013.
ALTER TABLE audit_log
    MODIFY COLUMN actor_type ENUM('user','operator','cli','system','setup_link') NOT NULL,
    MODIFY COLUMN actor_label VARCHAR(400) NOT NULL DEFAULT '';
