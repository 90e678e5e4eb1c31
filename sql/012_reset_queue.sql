-- Forgot-password requests wait in reset_requests until onramp-mailer decides
-- on them: the request path writes one row whatever the address, so known and
-- unknown addresses do the same work; the mailer looks the account up, applies
-- the per-account limit, and issues the token and its mail in one transaction,
-- deleting the row.  Rows hold the normalised address only until then.
CREATE TABLE IF NOT EXISTS reset_requests (
    id            BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    email         VARCHAR(254) NOT NULL,
    requested_at  DATETIME(6)  NOT NULL,
    client_addr   VARCHAR(45)  NOT NULL DEFAULT '',
    request_id    VARCHAR(64)  NOT NULL DEFAULT ''
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- A reset row gets an id so the outbox row that mails its link can name it
-- (ref_type 'password_reset', ref_id): a mail the mailer gives up on revokes
-- the link it carries.  Invite mails already name their invite ('invite').
ALTER TABLE password_resets ADD COLUMN IF NOT EXISTS id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT UNIQUE FIRST;
-- The per-account limit counts an account's recent self-service resets.
ALTER TABLE password_resets ADD INDEX IF NOT EXISTS password_resets_user_created (user_id, created_by, created_at);
