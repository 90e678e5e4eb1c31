-- The SSO draft's details (non-secret metadata only) and its validation
-- report.  The report belongs to one version of the draft: any edit bumps
-- version and so invalidates it, and submit needs validated_version =
-- version with report_ok.  sso_cert_not_after is the earliest expiry of the
-- validated signing certificates, so an approved configuration can warn
-- before its certificate runs out.

ALTER TABLE sso_settings
    ADD COLUMN IF NOT EXISTS discovery_url      VARCHAR(2000) NULL,
    ADD COLUMN IF NOT EXISTS metadata_url       VARCHAR(2000) NULL,
    ADD COLUMN IF NOT EXISTS metadata_xml       MEDIUMTEXT NULL,
    ADD COLUMN IF NOT EXISTS entity_choice      VARCHAR(1000) NULL,
    ADD COLUMN IF NOT EXISTS email_domains      TEXT NULL,
    ADD COLUMN IF NOT EXISTS claim_username     VARCHAR(200) NULL,
    ADD COLUMN IF NOT EXISTS claim_email        VARCHAR(200) NULL,
    ADD COLUMN IF NOT EXISTS claim_groups       VARCHAR(200) NULL,
    ADD COLUMN IF NOT EXISTS admin_groups       TEXT NULL,
    ADD COLUMN IF NOT EXISTS member_groups      TEXT NULL,
    ADD COLUMN IF NOT EXISTS test_users         TEXT NULL,
    ADD COLUMN IF NOT EXISTS report             MEDIUMTEXT NULL,
    ADD COLUMN IF NOT EXISTS report_ok          TINYINT(1) NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS validated_version  INT UNSIGNED NULL,
    ADD COLUMN IF NOT EXISTS validated_at       DATETIME(6) NULL,
    ADD COLUMN IF NOT EXISTS cert_not_after     DATETIME(6) NULL;
