-- Invites: a customer admin's (or an operator's admin-signup) invitation to
-- join a customer with a role.  The token is stored only as its SHA-256; the
-- link carries it in the URL fragment.  At most one pending invite per
-- customer and email (unique index over a generated column that is NULL for
-- every other state).  "expired" is written when a new invite replaces an
-- expired pending one; until then expiry is derived from expires_at.

CREATE TABLE IF NOT EXISTS invites (
    id                BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    customer_id       BIGINT UNSIGNED NOT NULL,
    email             VARCHAR(254) NOT NULL,
    role              ENUM('customer_admin','customer_member') NOT NULL,
    kind              ENUM('member','admin_signup') NOT NULL DEFAULT 'member',
    token_hash        CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    state             ENUM('pending','accepted','revoked','expired') NOT NULL DEFAULT 'pending',
    expires_at        DATETIME(6) NOT NULL,
    created_at        DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    created_by        VARCHAR(100) NOT NULL,
    sent_count        INT UNSIGNED NOT NULL DEFAULT 0,
    last_sent_at      DATETIME(6) NULL,
    last_outbox_id    BIGINT UNSIGNED NULL,
    accepted_at       DATETIME(6) NULL,
    accepted_user_id  BIGINT UNSIGNED NULL,
    revoked_at        DATETIME(6) NULL,
    revoked_by        VARCHAR(100) NULL,
    pending_email     VARCHAR(254) AS (IF(state = 'pending', email, NULL)) PERSISTENT,
    UNIQUE KEY invites_token (token_hash),
    UNIQUE KEY invites_one_pending (customer_id, pending_email),
    KEY invites_customer (customer_id, id),
    CONSTRAINT invites_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The per-customer invite rate limit counts invite mails of the last hour.
ALTER TABLE outbox ADD INDEX IF NOT EXISTS outbox_customer_ref (customer_id, ref_type, created_at);
