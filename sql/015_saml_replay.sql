-- SAML sign-in (issue 14): every Assertion an ACS accepted is remembered
-- until its own expiry (the earliest of Conditions NotOnOrAfter and the
-- bearer SubjectConfirmationData NotOnOrAfter), so the same signed assertion
-- posted again is refused.  The ID is kept only as SHA-256 of the IdP's
-- entity ID and the assertion ID: IDs are unique per issuer, not globally.
-- The row is written with INSERT in the sign-in's own transaction, so two
-- simultaneous posts of one assertion cannot both sign in (the primary key
-- decides).  Expired rows are deleted by the same statement family that
-- sweeps expired pending requests.
CREATE TABLE IF NOT EXISTS sso_saml_seen (
    customer_id    BIGINT UNSIGNED NOT NULL,
    assertion_hash CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    expires_at     DATETIME(6) NOT NULL,
    PRIMARY KEY (customer_id, assertion_hash),
    KEY sso_saml_seen_expiry (expires_at),
    CONSTRAINT sso_saml_seen_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
