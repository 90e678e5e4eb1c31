-- Usernames were ASCII columns while every bound parameter arrives in the
-- connection's utf8mb4.  MariaDB then converts the parameter to the column's
-- character set, and a non-ASCII sign-in name or filter word cannot be
-- converted: "Illegal mix of collations" (1267), a 503 and a database-error
-- count that any anonymous client could trigger.  As utf8mb4 with a binary
-- collation the comparison simply finds no row; usernames stay
-- case-sensitive and ASCII-only by validation (identity_username_ok), and
-- ASCII text takes the same bytes in utf8mb4, so no stored name changes.
ALTER TABLE users
    MODIFY username VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL;
ALTER TABLE operators
    MODIFY username VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL;
