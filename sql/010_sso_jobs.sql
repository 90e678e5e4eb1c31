-- SSO validation jobs: POST /sso/validate queues one, onramp-fetcher runs
-- it (fetch, check, store the report and its audit row in one transaction),
-- so no request worker ever waits on an identity provider.  The report
-- itself stays in sso_settings, tied to the draft version it validated.
--
-- A runner claims a job with a conditional UPDATE (state queued, or running
-- with an expired lease) and checks the affected rows; attempts counts the
-- claims and doubles as the claim's token, so a runner whose lease expired
-- cannot finish a job another runner took over.  version may be raised
-- while the job is active (a newer draft was saved and validated): the
-- runner then queues it again instead of storing a report of old details.

CREATE TABLE IF NOT EXISTS sso_validations (
    id             BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    customer_id    BIGINT UNSIGNED NOT NULL,
    version        INT UNSIGNED NOT NULL,
    state          ENUM('queued','running','done','failed') NOT NULL DEFAULT 'queued',
    attempts       INT UNSIGNED NOT NULL DEFAULT 0,
    claimed_until  DATETIME(6) NULL,
    requested_by   BIGINT UNSIGNED NULL,
    request_id     VARCHAR(64) NULL,
    report_ok      TINYINT(1) NULL,
    error_code     VARCHAR(32) NULL,
    error_message  VARCHAR(500) NULL,
    created_at     DATETIME(6) NOT NULL,
    started_at     DATETIME(6) NULL,
    finished_at    DATETIME(6) NULL,
    -- At most one queued-or-running validation per customer (the per-customer
    -- cap): the generated column is NULL once finished, and a UNIQUE index
    -- ignores NULLs.
    active_key     TINYINT AS (IF(state IN ('queued','running'), 1, NULL)) PERSISTENT,
    UNIQUE KEY sso_validations_one_active (customer_id, active_key),
    KEY sso_validations_claim (state, id),
    KEY sso_validations_customer (customer_id, id),
    CONSTRAINT sso_validations_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
