-- Bare filter words match the start of a username, an email address, the
-- email's domain or a display name (docs/api.md).  A prefix LIKE is a range
-- of a B-tree index where '%word%' read all users (556 ms over 1,000,000
-- users in the server): MariaDB merges the ranges of the four indexes for a
-- rare word and reads in id order, stopping after the page, for a common one
-- (plans in docs/performance.md).  username and email have their UNIQUE keys;
-- the domain is a virtual column (computed, not stored), indexed.
ALTER TABLE users
    ADD COLUMN IF NOT EXISTS email_domain VARCHAR(254) AS (SUBSTRING_INDEX(email, '@', -1)) VIRTUAL,
    ADD INDEX IF NOT EXISTS users_email_domain (email_domain),
    ADD INDEX IF NOT EXISTS users_display_name (display_name);
