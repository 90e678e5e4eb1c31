-- Account setup, part one: the details a customer owns and confirms.
-- Operator-only context, reviews and blockers arrive in the next migration;
-- they live in tables the customer API never reads.

CREATE TABLE IF NOT EXISTS customer_details (
    customer_id            BIGINT UNSIGNED NOT NULL PRIMARY KEY,
    legal_name             VARCHAR(200) NULL,
    operating_name         VARCHAR(200) NULL,
    support_name           VARCHAR(200) NULL,
    support_email          VARCHAR(254) NULL,
    support_phone          VARCHAR(40)  NULL,
    billing_name           VARCHAR(200) NULL,
    billing_email          VARCHAR(254) NULL,
    billing_phone          VARCHAR(40)  NULL,
    technical_name         VARCHAR(200) NULL,
    technical_email        VARCHAR(254) NULL,
    technical_phone        VARCHAR(40)  NULL,
    repository_notes       TEXT NULL,
    ai_preferences         TEXT NULL,
    workspace_preferences  TEXT NULL,
    target_launch          DATE NULL,
    version                INT UNSIGNED NOT NULL DEFAULT 0,
    updated_at             DATETIME(6) NULL,
    updated_by             BIGINT UNSIGNED NULL,
    CONSTRAINT customer_details_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
