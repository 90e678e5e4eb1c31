-- SSO going live (issue 13): the approved snapshot and the live configuration
-- kept apart from the draft, the write-only client secret, IT-admin setup
-- links, pending sign-ins, test sign-ins, linked IdP identities and the JWKS
-- cache.  Nothing here holds a secret in clear: the client secret is sealed
-- (AES-256-GCM, owner and purpose bound as associated data), tokens are kept
-- as SHA-256 hashes, and a pending sign-in keeps only the hash of its state.

-- The draft gains the (non-secret) OIDC client id and the require-SSO
-- setting; validated_idp is what validation resolved for validated_version
-- (issuer, endpoints, accepted algorithms, token endpoint auth method, the
-- JWKS it saw), and approved_config is the full snapshot of the version an
-- operator approved: a later edit of the draft leaves both the approval and
-- the live configuration alone until a new version is approved.
ALTER TABLE sso_settings
    ADD COLUMN IF NOT EXISTS client_id         VARCHAR(255) NULL,
    ADD COLUMN IF NOT EXISTS require_sso       TINYINT(1) NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS validated_idp     MEDIUMTEXT NULL,
    ADD COLUMN IF NOT EXISTS approved_version  INT UNSIGNED NULL,
    ADD COLUMN IF NOT EXISTS approved_config   MEDIUMTEXT NULL,
    ADD COLUMN IF NOT EXISTS approved_at       DATETIME(6) NULL;

-- What sign-in uses.  One row per customer with live SSO; config is the
-- approved snapshot of version, copied at activation.
CREATE TABLE IF NOT EXISTS sso_live (
    customer_id    BIGINT UNSIGNED NOT NULL PRIMARY KEY,
    protocol       ENUM('oidc','saml') NOT NULL,
    version        INT UNSIGNED NOT NULL,
    config         MEDIUMTEXT NOT NULL,
    activated_at   DATETIME(6) NOT NULL,
    activated_by   BIGINT UNSIGNED NULL,
    CONSTRAINT sso_live_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Which customer's live SSO an email domain starts (POST /sso/start); a
-- domain belongs to at most one live configuration.
CREATE TABLE IF NOT EXISTS sso_live_domains (
    domain         VARCHAR(253) CHARACTER SET ascii COLLATE ascii_general_ci NOT NULL PRIMARY KEY,
    customer_id    BIGINT UNSIGNED NOT NULL,
    KEY sso_live_domains_customer (customer_id),
    CONSTRAINT sso_live_domains_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id)
) ENGINE=InnoDB DEFAULT CHARSET=ascii;

-- The write-only client secret, sealed; set_by names who set it (a username
-- or "setup link: <email>").
CREATE TABLE IF NOT EXISTS sso_secrets (
    customer_id    BIGINT UNSIGNED NOT NULL,
    purpose        VARCHAR(32) CHARACTER SET ascii NOT NULL,
    key_id         VARCHAR(32) CHARACTER SET ascii NOT NULL,
    sealed         VARBINARY(2048) NOT NULL,
    set_at         DATETIME(6) NOT NULL,
    set_by         VARCHAR(400) NOT NULL,
    PRIMARY KEY (customer_id, purpose),
    CONSTRAINT sso_secrets_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- IT-admin setup links: the token is kept only as its hash.
CREATE TABLE IF NOT EXISTS sso_setup_links (
    id             BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    customer_id    BIGINT UNSIGNED NOT NULL,
    email          VARCHAR(320) NOT NULL,
    token_hash     CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    created_by     BIGINT UNSIGNED NULL,
    created_at     DATETIME(6) NOT NULL,
    expires_at     DATETIME(6) NOT NULL,
    revoked_at     DATETIME(6) NULL,
    revoked_by     BIGINT UNSIGNED NULL,
    sessions_started INT UNSIGNED NOT NULL DEFAULT 0,
    last_used_at   DATETIME(6) NULL,
    UNIQUE KEY sso_setup_links_token (token_hash),
    KEY sso_setup_links_customer (customer_id, id),
    CONSTRAINT sso_setup_links_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- A setup-link holder's session is a third realm (principal_id = the link's
-- id); every session records how it was signed in.
ALTER TABLE sessions
    MODIFY COLUMN realm ENUM('customer','operator','sso_setup') NOT NULL,
    ADD COLUMN IF NOT EXISTS login_type ENUM('password','oidc','saml') NOT NULL DEFAULT 'password';

-- Test sign-ins of a draft version; result is the JSON the API shows
-- (claims, matched test user, role, checks), never a token or a code.
CREATE TABLE IF NOT EXISTS sso_tests (
    id             BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    customer_id    BIGINT UNSIGNED NOT NULL,
    protocol       ENUM('oidc','saml') NOT NULL,
    version        INT UNSIGNED NOT NULL,
    state          ENUM('pending','passed','failed') NOT NULL DEFAULT 'pending',
    started_by     VARCHAR(400) NOT NULL,
    result         MEDIUMTEXT NULL,
    created_at     DATETIME(6) NOT NULL,
    finished_at    DATETIME(6) NULL,
    KEY sso_tests_customer (customer_id, id),
    KEY sso_tests_version (customer_id, version, state),
    CONSTRAINT sso_tests_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- A sign-in (or test) between POST /sso/start (or /sso/tests) and the IdP's
-- answer: found by the hash of its state, bound to the browser by the hash of
-- a cookie, single-use (used_at set by a conditional UPDATE), 10 minutes.
-- The nonce and PKCE verifier are derived from the state and browser tokens
-- when needed, so no secret of the exchange is stored.
CREATE TABLE IF NOT EXISTS sso_pending (
    id             BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    state_hash     CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    browser_hash   CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    customer_id    BIGINT UNSIGNED NOT NULL,
    purpose        ENUM('signin','test') NOT NULL,
    test_id        BIGINT UNSIGNED NULL,
    protocol       ENUM('oidc','saml') NOT NULL,
    version        INT UNSIGNED NOT NULL,
    request_id     VARCHAR(128) CHARACTER SET ascii NULL,
    created_at     DATETIME(6) NOT NULL,
    expires_at     DATETIME(6) NOT NULL,
    used_at        DATETIME(6) NULL,
    UNIQUE KEY sso_pending_state (state_hash),
    KEY sso_pending_expiry (expires_at),
    CONSTRAINT sso_pending_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Users linked to an IdP identity: (customer, issuer, subject) is one user.
CREATE TABLE IF NOT EXISTS user_identities (
    id             BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    customer_id    BIGINT UNSIGNED NOT NULL,
    user_id        BIGINT UNSIGNED NOT NULL,
    issuer         VARCHAR(2000) NOT NULL,
    issuer_hash    CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    subject        VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    created_at     DATETIME(6) NOT NULL,
    last_used_at   DATETIME(6) NULL,
    UNIQUE KEY user_identities_subject (customer_id, issuer_hash, subject),
    KEY user_identities_user (user_id),
    CONSTRAINT user_identities_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id),
    CONSTRAINT user_identities_user_fk FOREIGN KEY (user_id) REFERENCES users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- JWKS per customer and URI, shared by every worker and host: fetched_at
-- bounds its life, refetched_at rate-limits the refetch an unknown kid asks for.
CREATE TABLE IF NOT EXISTS sso_jwks (
    customer_id    BIGINT UNSIGNED NOT NULL,
    uri_hash       CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    body           MEDIUMTEXT NOT NULL,
    fetched_at     DATETIME(6) NOT NULL,
    refetched_at   DATETIME(6) NULL,
    PRIMARY KEY (customer_id, uri_hash),
    CONSTRAINT sso_jwks_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
