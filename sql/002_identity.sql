-- Identity: customers (tenants), their users, the vendor's operators,
-- sessions of both realms, sign-in throttling, password reset tokens, the
-- append-only audit trail, the mail outbox and the console banner.
-- All times are UTC (the connection sets time_zone = '+00:00').

CREATE TABLE IF NOT EXISTS customers (
    id          BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    slug        VARCHAR(63)  NOT NULL,
    name        VARCHAR(200) NOT NULL,
    seat_limit  INT UNSIGNED NOT NULL DEFAULT 10,
    created_at  DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    updated_at  DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    version     INT UNSIGNED NOT NULL DEFAULT 1,
    UNIQUE KEY customers_slug (slug)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Status holds what an admin decided (active or suspended); dormant is derived
-- from last_seen_at, deactivated from deactivated_at.
CREATE TABLE IF NOT EXISTS users (
    id                   BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    customer_id          BIGINT UNSIGNED NOT NULL,
    username             VARCHAR(64)  CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    email                VARCHAR(254) NOT NULL,
    display_name         VARCHAR(200) NULL,
    role                 ENUM('customer_admin','customer_member') NOT NULL,
    status               ENUM('active','suspended') NOT NULL DEFAULT 'active',
    login_type           ENUM('password','oidc','saml') NOT NULL DEFAULT 'password',
    password_hash        VARCHAR(160) CHARACTER SET ascii COLLATE ascii_bin NULL,
    must_change_password TINYINT(1)   NOT NULL DEFAULT 0,
    last_seen_at         DATETIME(6)  NULL,
    created_at           DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    updated_at           DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    deactivated_at       DATETIME(6)  NULL,
    version              INT UNSIGNED NOT NULL DEFAULT 1,
    UNIQUE KEY users_username (username),
    UNIQUE KEY users_email (email),
    KEY users_customer (customer_id, id),
    KEY users_role_status (role, status, deactivated_at, last_seen_at),
    KEY users_status_seen (status, deactivated_at, last_seen_at),
    KEY users_created (created_at),
    CONSTRAINT users_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS operators (
    id                   BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    username             VARCHAR(64)  CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    email                VARCHAR(254) NOT NULL,
    display_name         VARCHAR(200) NULL,
    role                 ENUM('operator','operator_admin','auditor') NOT NULL DEFAULT 'operator',
    password_hash        VARCHAR(160) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    must_change_password TINYINT(1)   NOT NULL DEFAULT 0,
    totp_secret          VARCHAR(200) CHARACTER SET ascii COLLATE ascii_bin NULL,
    totp_pending         VARCHAR(200) CHARACTER SET ascii COLLATE ascii_bin NULL,
    totp_last_step       BIGINT       NOT NULL DEFAULT 0,
    last_seen_at         DATETIME(6)  NULL,
    created_at           DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    updated_at           DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    deactivated_at       DATETIME(6)  NULL,
    UNIQUE KEY operators_username (username),
    UNIQUE KEY operators_email (email)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- A session row is found by the SHA-256 of its cookie value; the value itself
-- is never stored.  realm keeps customer and operator sessions apart.
CREATE TABLE IF NOT EXISTS sessions (
    id_hash      CHAR(64)     CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
    realm        ENUM('customer','operator') NOT NULL,
    principal_id BIGINT UNSIGNED NOT NULL,
    csrf_token   CHAR(43)     CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    created_at   DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    last_used_at DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    expires_at   DATETIME(6)  NOT NULL,
    client_addr  VARCHAR(45)  NOT NULL DEFAULT '',
    KEY sessions_principal (realm, principal_id),
    KEY sessions_expiry (expires_at)
) ENGINE=InnoDB DEFAULT CHARSET=ascii COLLATE=ascii_bin;

-- Failed sign-ins per account and per client address, shared by all workers.
CREATE TABLE IF NOT EXISTS login_throttle (
    throttle_key  CHAR(64)    CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
    window_start  DATETIME(6) NOT NULL,
    failures      INT UNSIGNED NOT NULL DEFAULT 0,
    locked_until  DATETIME(6) NULL
) ENGINE=InnoDB DEFAULT CHARSET=ascii COLLATE=ascii_bin;

CREATE TABLE IF NOT EXISTS password_resets (
    token_hash  CHAR(64)    CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
    user_id     BIGINT UNSIGNED NOT NULL,
    created_at  DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    expires_at  DATETIME(6) NOT NULL,
    used_at     DATETIME(6) NULL,
    created_by  VARCHAR(100) NOT NULL DEFAULT 'self',
    KEY password_resets_user (user_id),
    CONSTRAINT password_resets_user_fk FOREIGN KEY (user_id) REFERENCES users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS audit_log (
    id           BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    at           DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    actor_type   ENUM('user','operator','cli','system') NOT NULL,
    actor_id     BIGINT UNSIGNED NULL,
    actor_label  VARCHAR(100) NOT NULL DEFAULT '',
    customer_id  BIGINT UNSIGNED NULL,
    action       VARCHAR(64)  NOT NULL,
    object_type  VARCHAR(32)  NOT NULL DEFAULT '',
    object_id    VARCHAR(64)  NOT NULL DEFAULT '',
    before_json  TEXT NULL,
    after_json   TEXT NULL,
    client_addr  VARCHAR(45)  NOT NULL DEFAULT '',
    request_id   VARCHAR(64)  NOT NULL DEFAULT '',
    KEY audit_customer (customer_id, id),
    KEY audit_at (at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Append-only for every account, the application's included.
DROP TRIGGER IF EXISTS audit_log_no_update;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log FOR EACH ROW
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'audit_log is append-only';
DROP TRIGGER IF EXISTS audit_log_no_delete;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log FOR EACH ROW
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'audit_log is append-only';

-- Mail waiting for onramp-mailer.  A row is written in the same transaction as
-- the change that causes it; its body is discarded once delivered.
CREATE TABLE IF NOT EXISTS outbox (
    id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    created_at      DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    customer_id     BIGINT UNSIGNED NULL,
    template        VARCHAR(64)  NOT NULL,
    to_addr         VARCHAR(254) NOT NULL,
    subject         VARCHAR(300) NOT NULL,
    body_text       MEDIUMTEXT   NOT NULL,
    body_html       MEDIUMTEXT   NOT NULL,
    state           ENUM('pending','sent','failed') NOT NULL DEFAULT 'pending',
    attempts        INT UNSIGNED NOT NULL DEFAULT 0,
    next_attempt_at DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    last_error      VARCHAR(500) NULL,
    sent_at         DATETIME(6)  NULL,
    ref_type        VARCHAR(32)  NOT NULL DEFAULT '',
    ref_id          BIGINT UNSIGNED NULL,
    KEY outbox_due (state, next_attempt_at),
    KEY outbox_ref (ref_type, ref_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS banner (
    id          TINYINT UNSIGNED NOT NULL PRIMARY KEY,
    message     VARCHAR(1000) NOT NULL,
    severity    ENUM('info','warning','critical') NOT NULL DEFAULT 'info',
    starts_at   DATETIME(6) NULL,
    ends_at     DATETIME(6) NULL,
    updated_by  VARCHAR(100) NOT NULL DEFAULT '',
    updated_at  DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
