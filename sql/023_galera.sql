-- Galera (issue 17): what a multi-primary cluster needs of the schema.
--
-- The outbox is claimed by a committed write, not a locking read (FOR UPDATE
-- SKIP LOCKED is not honoured across nodes): a mailer sets claim_token on the
-- rows it takes and moves next_attempt_at to the claim's end, commits, then
-- sends, and records the outcome only while claim_token is still its own.
-- message_key, set at the first claim and kept, makes the Message-ID of every
-- send of a row the same, so a receiver tells a resend after a mailer crash.
ALTER TABLE outbox
    ADD COLUMN IF NOT EXISTS claim_token CHAR(32) CHARACTER SET ascii COLLATE ascii_bin NULL,
    ADD COLUMN IF NOT EXISTS message_key CHAR(32) CHARACTER SET ascii COLLATE ascii_bin NULL,
    ADD INDEX IF NOT EXISTS outbox_claim (claim_token);

-- A guard row per invariant over many rows (a customer's seats, its admins,
-- the operator admins, a user's reset tokens): each check writes its guard
-- first (store_guard_take), so two transactions on two nodes that check the
-- same invariant write a common row and certification lets only one commit.
CREATE TABLE IF NOT EXISTS guards (
    kind  TINYINT UNSIGNED NOT NULL,
    id    BIGINT UNSIGNED  NOT NULL,
    n     BIGINT UNSIGNED  NOT NULL DEFAULT 0,
    PRIMARY KEY (kind, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
