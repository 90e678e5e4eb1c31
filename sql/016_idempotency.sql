-- Idempotency keys (issue 15): a creating POST sent with an Idempotency-Key
-- header stores its answer here in the same transaction as the change it
-- made, so a client whose first answer was lost (a worker killed between
-- commit and reply, a dropped connection) gets that answer again instead of
-- creating a second object.  A key belongs to one principal (realm + id).
-- request_hash is HMAC-SHA256 under the app's secret key of the method, path,
-- query and body bytes (a plain hash of a body holding an initial password
-- could be guessed); the answer (status, the handler's headers such as
-- Location or Set-Cookie, and the body) is sealed with AES-256-GCM under the
-- same key, because some answers carry a one-time link, a temporary password
-- or an SSO test's browser cookie.  Rows older than 24 h are treated as
-- absent and swept by onramp-mailer in bounded batches.
CREATE TABLE IF NOT EXISTS idempotency_keys (
    id            BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    realm         TINYINT UNSIGNED NOT NULL,
    principal_id  BIGINT UNSIGNED NOT NULL,
    idem_key      VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    request_hash  CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    status        SMALLINT UNSIGNED NOT NULL,
    answer        TEXT CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    created_at    DATETIME(6) NOT NULL,
    PRIMARY KEY (id),
    UNIQUE KEY idempotency_keys_key (realm, principal_id, idem_key),
    KEY idempotency_keys_created (created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
