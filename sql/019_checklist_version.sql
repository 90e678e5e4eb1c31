-- A version of each customer's checklist facts (issue 15): every table the
-- checklist statement reads (src/store/setup.c) bumps it in the same
-- transaction as the write, by trigger, so no write path can forget it and a
-- worker may keep a customer's facts until the version moves
-- (src/api/facts_cache.c, docs/architecture.md).  A table of its own, not a
-- customers column: every child insert takes a shared lock on its customers
-- row for the foreign key, and a trigger updating that same row would turn it
-- into an exclusive one, so two concurrent writes of one customer would
-- deadlock on the upgrade.
CREATE TABLE IF NOT EXISTS customer_facts (
    customer_id BIGINT UNSIGNED NOT NULL PRIMARY KEY,
    version     BIGINT UNSIGNED NOT NULL,
    CONSTRAINT customer_facts_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Every customer has its row from the start (a trigger on customers, and the
-- existing ones here), so a bump is a primary-key UPDATE of an existing row:
-- a record lock, no gap lock.  An upsert of a missing row would take gap
-- locks, and two customers' first writes could deadlock on them.
CREATE TRIGGER IF NOT EXISTS customers_facts_new AFTER INSERT ON customers FOR EACH ROW
    INSERT INTO customer_facts (customer_id, version) VALUES (NEW.id, 0);
INSERT IGNORE INTO customer_facts (customer_id, version) SELECT id, 0 FROM customers;

-- Every column of these rows feeds the checklist (or changes too rarely to matter).
CREATE TRIGGER IF NOT EXISTS customer_details_facts_ins AFTER INSERT ON customer_details FOR EACH ROW
    UPDATE customer_facts SET version = version + 1 WHERE customer_id = NEW.customer_id;
CREATE TRIGGER IF NOT EXISTS customer_details_facts_upd AFTER UPDATE ON customer_details FOR EACH ROW
    UPDATE customer_facts SET version = version + 1 WHERE customer_id = NEW.customer_id;
CREATE TRIGGER IF NOT EXISTS customer_details_facts_del AFTER DELETE ON customer_details FOR EACH ROW
    UPDATE customer_facts SET version = version + 1 WHERE customer_id = OLD.customer_id;
CREATE TRIGGER IF NOT EXISTS customer_context_facts_ins AFTER INSERT ON customer_context FOR EACH ROW
    UPDATE customer_facts SET version = version + 1 WHERE customer_id = NEW.customer_id;
CREATE TRIGGER IF NOT EXISTS customer_context_facts_upd AFTER UPDATE ON customer_context FOR EACH ROW
    UPDATE customer_facts SET version = version + 1 WHERE customer_id = NEW.customer_id;
CREATE TRIGGER IF NOT EXISTS customer_context_facts_del AFTER DELETE ON customer_context FOR EACH ROW
    UPDATE customer_facts SET version = version + 1 WHERE customer_id = OLD.customer_id;
CREATE TRIGGER IF NOT EXISTS sso_settings_facts_ins AFTER INSERT ON sso_settings FOR EACH ROW
    UPDATE customer_facts SET version = version + 1 WHERE customer_id = NEW.customer_id;
CREATE TRIGGER IF NOT EXISTS sso_settings_facts_upd AFTER UPDATE ON sso_settings FOR EACH ROW
    UPDATE customer_facts SET version = version + 1 WHERE customer_id = NEW.customer_id;
CREATE TRIGGER IF NOT EXISTS sso_settings_facts_del AFTER DELETE ON sso_settings FOR EACH ROW
    UPDATE customer_facts SET version = version + 1 WHERE customer_id = OLD.customer_id;
CREATE TRIGGER IF NOT EXISTS sso_live_facts_ins AFTER INSERT ON sso_live FOR EACH ROW
    UPDATE customer_facts SET version = version + 1 WHERE customer_id = NEW.customer_id;
CREATE TRIGGER IF NOT EXISTS sso_live_facts_upd AFTER UPDATE ON sso_live FOR EACH ROW
    UPDATE customer_facts SET version = version + 1 WHERE customer_id = NEW.customer_id;
CREATE TRIGGER IF NOT EXISTS sso_live_facts_del AFTER DELETE ON sso_live FOR EACH ROW
    UPDATE customer_facts SET version = version + 1 WHERE customer_id = OLD.customer_id;
CREATE TRIGGER IF NOT EXISTS blockers_facts_ins AFTER INSERT ON blockers FOR EACH ROW
    UPDATE customer_facts SET version = version + 1 WHERE customer_id = NEW.customer_id;
CREATE TRIGGER IF NOT EXISTS blockers_facts_upd AFTER UPDATE ON blockers FOR EACH ROW
    UPDATE customer_facts SET version = version + 1 WHERE customer_id = NEW.customer_id;
CREATE TRIGGER IF NOT EXISTS blockers_facts_del AFTER DELETE ON blockers FOR EACH ROW
    UPDATE customer_facts SET version = version + 1 WHERE customer_id = OLD.customer_id;
CREATE TRIGGER IF NOT EXISTS reviews_facts_ins AFTER INSERT ON reviews FOR EACH ROW
    UPDATE customer_facts SET version = version + 1 WHERE customer_id = NEW.customer_id;
CREATE TRIGGER IF NOT EXISTS reviews_facts_upd AFTER UPDATE ON reviews FOR EACH ROW
    UPDATE customer_facts SET version = version + 1 WHERE customer_id = NEW.customer_id;
CREATE TRIGGER IF NOT EXISTS reviews_facts_del AFTER DELETE ON reviews FOR EACH ROW
    UPDATE customer_facts SET version = version + 1 WHERE customer_id = OLD.customer_id;

-- Invites: the pending member count reads state, kind and expiry (not resends).
CREATE TRIGGER IF NOT EXISTS invites_facts_ins AFTER INSERT ON invites FOR EACH ROW
    UPDATE customer_facts SET version = version + 1 WHERE customer_id = NEW.customer_id;
CREATE TRIGGER IF NOT EXISTS invites_facts_upd AFTER UPDATE ON invites FOR EACH ROW
    UPDATE customer_facts SET version = version + 1 WHERE customer_id = NEW.customer_id AND (NOT (NEW.state <=> OLD.state AND NEW.kind <=> OLD.kind AND NEW.expires_at <=> OLD.expires_at AND NEW.customer_id <=> OLD.customer_id));
CREATE TRIGGER IF NOT EXISTS invites_facts_del AFTER DELETE ON invites FOR EACH ROW
    UPDATE customer_facts SET version = version + 1 WHERE customer_id = OLD.customer_id;

-- Users: role, status and deactivation count; last_seen_at only when it
-- appears (admins signed in) or jumps by over an hour.  The session touch
-- moves it every minute, which must not empty every worker's cache; a user
-- turning back from dormant (a jump of more than IDENTITY_DORMANT_AFTER_S)
-- does bump, and one turning dormant is the cache's valid_until.
CREATE TRIGGER IF NOT EXISTS users_facts_ins AFTER INSERT ON users FOR EACH ROW
    UPDATE customer_facts SET version = version + 1 WHERE customer_id = NEW.customer_id;
CREATE TRIGGER IF NOT EXISTS users_facts_upd AFTER UPDATE ON users FOR EACH ROW
    UPDATE customer_facts SET version = version + 1 WHERE customer_id = NEW.customer_id AND (NOT (NEW.role <=> OLD.role AND NEW.status <=> OLD.status AND NEW.deactivated_at <=> OLD.deactivated_at AND NEW.customer_id <=> OLD.customer_id AND (NEW.last_seen_at IS NULL) = (OLD.last_seen_at IS NULL)) OR NEW.last_seen_at > OLD.last_seen_at + INTERVAL 1 HOUR OR NEW.last_seen_at < OLD.last_seen_at);
CREATE TRIGGER IF NOT EXISTS users_facts_moved AFTER UPDATE ON users FOR EACH ROW
    UPDATE customer_facts SET version = version + 1 WHERE customer_id = OLD.customer_id AND (NEW.customer_id <> OLD.customer_id);
CREATE TRIGGER IF NOT EXISTS users_facts_del AFTER DELETE ON users FOR EACH ROW
    UPDATE customer_facts SET version = version + 1 WHERE customer_id = OLD.customer_id;

-- The customer row itself: only the seat limit is a checklist fact.
CREATE TRIGGER IF NOT EXISTS customers_facts_upd AFTER UPDATE ON customers FOR EACH ROW
    UPDATE customer_facts SET version = version + 1 WHERE customer_id = NEW.id AND (NEW.seat_limit <> OLD.seat_limit);
