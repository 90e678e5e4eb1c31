/*
 * The SSO configurations that are not the draft: the validated version's
 * resolved config, the approved snapshot, and the live one sign-in uses
 * (sql/013).  The JSON documents are read with sso_config_parse only, and
 * every copy (validated -> approved -> live) is one SQL statement on the
 * stored text, so what goes live is byte for byte what was approved.
 */
#include <string.h>

#include "onramp/sso_store.h"
#include "onramp/sso_store_operator.h"
#include "onramp/store.h"
#include "scope.h"

/* Run sql (customer id bound as its one parameter) and parse column 0 as a config into out. */
static or_status
load_config(db *d, arena *a, const char *sql, int64_t customer_id, sso_config *out)
{
	db_stmt *s;
	bool found = false;
	or_status st = db_prepare(d, sql, &s);

	memset(out, 0, sizeof(*out));
	if (st != OR_OK)
		return st;
	db_bind_int(s, 0, customer_id);
	if ((st = db_query_one(s, &found)) == OR_OK && found) {
		or_str text = db_col(s, 0);
		st = sso_config_parse(a, text.ptr, text.len, out);
		/* A stored document sign-in cannot read is a bug or tampering: never half a config. */
		if (st != OR_OK)
			st = OR_ERR_INTERNAL;
	}
	db_stmt_done(s);
	if (st == OR_OK && !found)
		return OR_ERR_NOT_FOUND;
	out->customer_id = customer_id;
	return st;
}

static const char SQL_LIVE[] = "SELECT config FROM sso_live WHERE customer_id = ?";

or_status
store_sso_live_get(db *d, arena *a, int64_t customer_id, sso_config *out)
{
	if (scope_refused(__func__, customer_id))
		return OR_ERR_INTERNAL;
	return load_config(d, a, SQL_LIVE, customer_id, out);
}

/* The column is ascii_general_ci: the comparison ignores case, and a non-ASCII domain simply finds nothing. */
static const char SQL_BY_DOMAIN[] = "SELECT customer_id FROM sso_live_domains WHERE domain = ?";

/* One exact lookup; OR_ERR_NOT_FOUND when no live configuration holds domain. */
static or_status
live_domain(db *d, const char *domain, int64_t *customer_id)
{
	db_arg args[] = { DB_TEXT(domain) };
	long long id = 0;
	or_status st = db_scalar(d, SQL_BY_DOMAIN, args, 1, 0, &id);

	if (st == OR_ERR_INVALID)
		return OR_ERR_NOT_FOUND;	/* bytes the ascii column cannot hold name no live domain */
	if (st == OR_OK && id == 0)
		return OR_ERR_NOT_FOUND;
	*customer_id = id;
	return st;
}

/*
 * The domain itself, then each parent domain, most specific first: the rule
 * admission applies (sso_form_email_in: an expected domain or a subdomain of
 * one), so a user whom sign-in would let in is never told SSO is unavailable.
 */
or_status
store_sso_live_by_domain(db *d, const char *domain, int64_t *customer_id)
{
	const char *p = domain;
	or_status st;

	*customer_id = 0;
	if (domain == NULL || *domain == '\0' || strlen(domain) > 253)
		return OR_ERR_NOT_FOUND;
	/* A single label ("com") is never an expected domain: stop before it. */
	while (p != NULL && strchr(p, '.') != NULL) {
		st = live_domain(d, p, customer_id);
		if (st != OR_ERR_NOT_FOUND)
			return st;
		p = strchr(p, '.');
		if (p != NULL)
			p++;
	}
	return OR_ERR_NOT_FOUND;
}

static const char SQL_VALIDATED[] =
	"SELECT validated_idp FROM sso_settings WHERE customer_id = ? AND validated_version = version "
	"AND report_ok = 1 AND validated_idp IS NOT NULL AND protocol IN ('oidc', 'saml')";

or_status
store_sso_validated_get(db *d, arena *a, int64_t customer_id, sso_config *out)
{
	or_status st;

	if (scope_refused(__func__, customer_id))
		return OR_ERR_INTERNAL;
	st = load_config(d, a, SQL_VALIDATED, customer_id, out);
	return st == OR_ERR_NOT_FOUND ? OR_ERR_CONFLICT : st;
}

static const char SQL_REQUIRE_ENSURE[] =
	"INSERT INTO sso_settings (customer_id, version) VALUES (?, 0) ON DUPLICATE KEY UPDATE customer_id = customer_id";
static const char SQL_REQUIRE_SET[] = "UPDATE sso_settings SET require_sso = ? WHERE customer_id = ?";

or_status
store_sso_require_set(db *d, int64_t customer_id, bool require)
{
	db_arg ensure[] = { DB_INT(customer_id) };
	db_arg args[] = { DB_INT(require ? 1 : 0), DB_INT(customer_id) };
	or_status st;

	if (scope_refused(__func__, customer_id))
		return OR_ERR_INTERNAL;
	st = db_run(d, SQL_REQUIRE_ENSURE, ensure, 1, NULL);
	return st == OR_OK ? db_run(d, SQL_REQUIRE_SET, args, 2, NULL) : st;
}

static const char SQL_REQUIRED[] =
	"SELECT COUNT(*) FROM sso_settings s JOIN sso_live l ON l.customer_id = s.customer_id "
	"WHERE s.customer_id = ? AND s.require_sso = 1";

or_status
store_sso_required(db *d, int64_t customer_id, bool *required)
{
	db_arg args[] = { DB_INT(customer_id) };
	long long n = 0;
	or_status st;

	*required = false;
	if (scope_refused(__func__, customer_id))
		return OR_ERR_INTERNAL;
	st = db_scalar(d, SQL_REQUIRED, args, 1, 0, &n);
	*required = st == OR_OK && n > 0;
	return st;
}

static const char SQL_HINTS[] =
	"SELECT COUNT(*) FROM outbox WHERE customer_id = ? AND template = ? AND to_addr = ? "
	"AND created_at > FROM_UNIXTIME(?)";

or_status
store_sso_hint_mails(db *d, int64_t customer_id, const char *tmpl, const char *to_addr, int64_t since, long *n)
{
	db_arg args[] = { DB_INT(customer_id), DB_TEXT(tmpl), DB_TEXT(to_addr), DB_INT(since) };
	long long c = 0;
	or_status st;

	*n = 0;
	if (scope_refused(__func__, customer_id))
		return OR_ERR_INTERNAL;
	st = db_scalar(d, SQL_HINTS, args, 4, 0, &c);
	*n = (long)c;
	return st;
}

/* ---- operator side (include/onramp/sso_store_operator.h) ------------------------------- */

/* Only the validated version can be approved: an edit since then withdrew the review anyway. */
static const char SQL_APPROVE[] =
	"UPDATE sso_settings SET approved_config = validated_idp, approved_version = validated_version, "
	"approved_at = CURRENT_TIMESTAMP(6) WHERE customer_id = ? AND validated_version = version AND report_ok = 1 "
	"AND validated_idp IS NOT NULL";

or_status
store_sso_approve(db *d, int64_t customer_id, bool *snapshot)
{
	db_arg args[] = { DB_INT(customer_id) };
	unsigned long long n = 0;
	or_status st;

	*snapshot = false;
	if (scope_refused(__func__, customer_id))
		return OR_ERR_INTERNAL;
	/* A new approval changes what an activation running at the same time checked. */
	if ((st = store_guard_take(d, GUARD_SSO_GOLIVE, customer_id)) != OR_OK)
		return st;
	st = db_run(d, SQL_APPROVE, args, 1, &n);
	*snapshot = st == OR_OK && n > 0;
	return st;
}

static const char SQL_APPROVED_LOCK[] =
	"SELECT approved_config FROM sso_settings WHERE customer_id = ? AND approved_config IS NOT NULL FOR UPDATE";

/*
 * Activation checks the approval, the secret and a passed test, then copies
 * the approval live.  The guard write first: an approval or a secret removal
 * takes the same guard, so neither can commit between the check and the copy,
 * on one server (the guard row's lock) or on two Galera nodes (certification;
 * the FOR UPDATE below is local to a node).
 */
or_status
store_sso_approved_lock(db *d, arena *a, int64_t customer_id, sso_config *out)
{
	or_status st;

	if (scope_refused(__func__, customer_id))
		return OR_ERR_INTERNAL;
	if ((st = store_guard_take(d, GUARD_SSO_GOLIVE, customer_id)) != OR_OK)
		return st;
	return load_config(d, a, SQL_APPROVED_LOCK, customer_id, out);
}

static const char SQL_LIVE_DEL_DOMAINS[] = "DELETE FROM sso_live_domains WHERE customer_id = ?";
static const char SQL_LIVE_DEL[] = "DELETE FROM sso_live WHERE customer_id = ?";
static const char SQL_LIVE_PUT[] =
	"INSERT INTO sso_live (customer_id, protocol, version, config, activated_at, activated_by) "
	"SELECT customer_id, ?, approved_version, approved_config, FROM_UNIXTIME(?), ? FROM sso_settings "
	"WHERE customer_id = ? AND approved_version = ? AND approved_config IS NOT NULL "
	"ON DUPLICATE KEY UPDATE protocol = VALUES(protocol), version = VALUES(version), config = VALUES(config), "
	"activated_at = VALUES(activated_at), activated_by = VALUES(activated_by)";
static const char SQL_DOMAIN_OWNER[] = "SELECT customer_id FROM sso_live_domains WHERE domain = ? FOR UPDATE";
static const char SQL_DOMAIN_PUT[] = "INSERT INTO sso_live_domains (domain, customer_id) VALUES (?, ?)";

or_status
store_sso_deactivate(db *d, int64_t customer_id, bool *was_live)
{
	db_arg args[] = { DB_INT(customer_id) };
	unsigned long long n = 0;
	or_status st;

	*was_live = false;
	if (scope_refused(__func__, customer_id))
		return OR_ERR_INTERNAL;
	if ((st = db_run(d, SQL_LIVE_DEL_DOMAINS, args, 1, NULL)) == OR_OK && (st = db_run(d, SQL_LIVE_DEL, args, 1, &n)) == OR_OK)
		*was_live = n > 0;
	return st;
}

/* Claim each domain for customer_id; *clash names the first one another customer's live SSO holds. */
static or_status
claim_domains(db *d, const sso_config *c, const char **clash)
{
	size_t i;
	or_status st = OR_OK;

	for (i = 0; i < c->ndomains && st == OR_OK; i++) {
		db_arg who[] = { DB_TEXT(c->email_domains[i]) };
		db_arg put[] = { DB_TEXT(c->email_domains[i]), DB_INT(c->customer_id) };
		long long owner = 0;
		if ((st = db_scalar(d, SQL_DOMAIN_OWNER, who, 1, 0, &owner)) != OR_OK)
			break;
		if (owner != 0 && owner != c->customer_id) {
			*clash = c->email_domains[i];
			return OR_ERR_CONFLICT;
		}
		/* The primary key decides a race with another customer's activation of the same domain. */
		if ((st = db_run(d, SQL_DOMAIN_PUT, put, 2, NULL)) == OR_ERR_CONFLICT)
			*clash = c->email_domains[i];
	}
	return st;
}

or_status
store_sso_activate(db *d, const sso_config *approved, int64_t operator_id, int64_t now, const char **clash)
{
	db_arg del[] = { DB_INT(approved->customer_id) };
	db_arg put[] = {
		DB_TEXT(approved->protocol), DB_INT(now), DB_INT(operator_id), DB_INT(approved->customer_id),
		DB_INT(approved->version)
	};
	or_status st;

	*clash = NULL;
	if (scope_refused(__func__, approved->customer_id))
		return OR_ERR_INTERNAL;
	/* Replace, not merge: a newer approved version may have dropped a domain. */
	if ((st = db_run(d, SQL_LIVE_DEL_DOMAINS, del, 1, NULL)) != OR_OK ||
	    (st = claim_domains(d, approved, clash)) != OR_OK)
		return st;
	/*
	 * No affected-rows check: re-activating within the same second changes no
	 * column, and MariaDB then reports 0 rows.  The caller holds the lock of
	 * the approved row it loaded, so the SELECT always finds it.
	 */
	return db_run(d, SQL_LIVE_PUT, put, 5, NULL);
}

static const char SQL_STATE[] =
	"SELECT COALESCE(s.approved_version, 0), s.approved_at, COALESCE(l.version, 0), l.activated_at, "
	"COALESCE(o.username, ''), COALESCE(s.require_sso, 0) FROM customers c "
	"LEFT JOIN sso_settings s ON s.customer_id = c.id LEFT JOIN sso_live l ON l.customer_id = c.id "
	"LEFT JOIN operators o ON o.id = l.activated_by WHERE c.id = ?";

or_status
store_sso_golive_state(db *d, arena *a, int64_t customer_id, sso_golive *out)
{
	db_stmt *s;
	bool found = false;
	or_status st;

	memset(out, 0, sizeof(*out));
	if (scope_refused(__func__, customer_id))
		return OR_ERR_INTERNAL;
	if ((st = db_prepare(d, SQL_STATE, &s)) != OR_OK)
		return st;
	db_bind_int(s, 0, customer_id);
	if ((st = db_query_one(s, &found)) == OR_OK && found) {
		out->approved_version = db_col_int(s, 0, 0);
		out->approved_at = db_col_time(s, 1);
		out->live_version = db_col_int(s, 2, 0);
		out->activated_at = db_col_time(s, 3);
		out->activated_by = db_col_dup(s, 4, a);
		out->require_sso = db_col_int(s, 5, 0) != 0;
	}
	db_stmt_done(s);
	return st == OR_OK && !found ? OR_ERR_NOT_FOUND : st;
}
