-- Account setup, part three: the operator review queue, workspace requests
-- (what "Create" records) and support requests.  Reviews are the queue of
-- what an operator must look at: one row per submission, decided once.
-- The customer sees a review's state and its customer comment; the internal
-- comment stays on the operator side.

ALTER TABLE customer_context
    ADD COLUMN IF NOT EXISTS provider_mode ENUM('managed','own_account') NULL AFTER provider_review,
    ADD COLUMN IF NOT EXISTS provider_ready TINYINT(1) NOT NULL DEFAULT 0 AFTER provider_mode;

CREATE TABLE IF NOT EXISTS reviews (
    id                BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    customer_id       BIGINT UNSIGNED NOT NULL,
    kind              ENUM('billing','sso','workspace_target','provider_setup') NOT NULL,
    state             ENUM('pending','approved','rejected','changes_requested','superseded') NOT NULL DEFAULT 'pending',
    comment           VARCHAR(2000) NULL,
    internal_comment  VARCHAR(2000) NULL,
    submitted_by      BIGINT UNSIGNED NULL,
    created_at        DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    decided_by        BIGINT UNSIGNED NULL,
    decided_at        DATETIME(6) NULL,
    -- At most one pending review per customer and kind: the generated column
    -- is NULL once decided, and a UNIQUE index ignores NULLs.
    pending_key       TINYINT AS (IF(state = 'pending', 1, NULL)) PERSISTENT,
    UNIQUE KEY reviews_one_pending (customer_id, kind, pending_key),
    KEY reviews_state (state, id),
    KEY reviews_customer (customer_id, kind, id),
    CONSTRAINT reviews_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS workspace_requests (
    id            BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    customer_id   BIGINT UNSIGNED NOT NULL,
    name          VARCHAR(63) NOT NULL,
    state         ENUM('queued','created','failed') NOT NULL DEFAULT 'queued',
    requested_by  BIGINT UNSIGNED NOT NULL,
    created_at    DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    KEY workspace_requests_customer (customer_id, id),
    CONSTRAINT workspace_requests_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS support_requests (
    id               BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    customer_id      BIGINT UNSIGNED NOT NULL,
    user_id          BIGINT UNSIGNED NOT NULL,
    customer_name    VARCHAR(200) NOT NULL,
    item             VARCHAR(32) NULL,
    visible_message  VARCHAR(1000) NULL,
    last_action      VARCHAR(64) NULL,
    last_action_at   DATETIME(6) NULL,
    message          TEXT NULL,
    created_at       DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    KEY support_requests_customer (customer_id, id),
    CONSTRAINT support_requests_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
