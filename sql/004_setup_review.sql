-- Account setup, part two: what operators review and decide, kept apart from
-- what customers own.  The customer API reads these tables only through the
-- checklist rules (states and customer-visible blocker messages); operator
-- context and internal notes never reach a customer response.

ALTER TABLE customer_details
    ADD COLUMN IF NOT EXISTS ai_provider ENUM('none','managed','own_account') NOT NULL DEFAULT 'none'
    AFTER ai_preferences;

CREATE TABLE IF NOT EXISTS customer_context (
    customer_id            BIGINT UNSIGNED NOT NULL PRIMARY KEY,
    billing_state          ENUM('none','trial_requested','trial_approved','verified','prepaid') NOT NULL DEFAULT 'none',
    prepaid_balance_cents  BIGINT NOT NULL DEFAULT 0,
    target_name            VARCHAR(200) NULL,
    runtime_capacity       VARCHAR(200) NULL,
    template_aliases       VARCHAR(1000) NULL,
    coder_access           VARCHAR(200) NULL,
    target_review          ENUM('none','draft','pending','approved','changes_requested','rejected') NOT NULL DEFAULT 'none',
    target_ready           TINYINT(1) NOT NULL DEFAULT 0,
    provider_review        ENUM('none','draft','pending','approved','changes_requested','rejected') NOT NULL DEFAULT 'none',
    version                INT UNSIGNED NOT NULL DEFAULT 0,
    updated_at             DATETIME(6) NULL,
    CONSTRAINT customer_context_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS internal_notes (
    id           BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    customer_id  BIGINT UNSIGNED NOT NULL,
    body         TEXT NOT NULL,
    version      INT UNSIGNED NOT NULL DEFAULT 1,
    updated_by   BIGINT UNSIGNED NULL,
    updated_at   DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    UNIQUE KEY internal_notes_customer (customer_id),
    CONSTRAINT internal_notes_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS blockers (
    id           BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    customer_id  BIGINT UNSIGNED NOT NULL,
    item         ENUM('contacts','admin_signin','members','sso','billing','workspace_target','provider_setup') NOT NULL,
    category     ENUM('billing','prepaid_balance','sso','target_readiness','template_availability','other') NOT NULL,
    message      VARCHAR(1000) NOT NULL,
    retryable    TINYINT(1) NOT NULL DEFAULT 0,
    created_by   BIGINT UNSIGNED NULL,
    created_at   DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    cleared_at   DATETIME(6) NULL,
    KEY blockers_customer (customer_id, cleared_at),
    CONSTRAINT blockers_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The SSO draft the customer owns (the SSO feature fills in the details); its
-- review state is set by operators.
CREATE TABLE IF NOT EXISTS sso_settings (
    customer_id  BIGINT UNSIGNED NOT NULL PRIMARY KEY,
    protocol     ENUM('oidc','saml','not_required') NULL,
    review       ENUM('none','draft','pending','approved','changes_requested','rejected') NOT NULL DEFAULT 'none',
    version      INT UNSIGNED NOT NULL DEFAULT 0,
    updated_at   DATETIME(6) NULL,
    CONSTRAINT sso_settings_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
