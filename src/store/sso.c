/*
 * The SSO draft (see include/onramp/sso_store.h).  Saves are compare-and-set
 * on version; the report is tied to the version it validated, so any edit
 * leaves it stale and submit refuses until the new version is validated.
 */
#include <string.h>

#include "onramp/sso_store.h"
#include "onramp/store.h"
#include "onramp/timefmt.h"

static const char SQL_GET[] =
	"SELECT s.protocol, s.review, s.version, s.updated_at, s.discovery_url, s.metadata_url, s.metadata_xml, "
	"s.entity_choice, s.email_domains, s.claim_username, s.claim_email, s.claim_groups, s.admin_groups, "
	"s.member_groups, s.test_users, s.report, s.report_ok, COALESCE(s.validated_version, 0), s.validated_at, "
	"s.cert_not_after, s.client_id, s.require_sso, COALESCE(s.approved_version, 0), s.approved_at, "
	"COALESCE(l.version, 0), l.activated_at "
	"FROM sso_settings s LEFT JOIN sso_live l ON l.customer_id = s.customer_id WHERE s.customer_id = ?";

or_status
store_sso_draft_get(db *d, arena *a, int64_t customer_id, sso_draft *out)
{
	db_stmt *s;
	bool found;
	or_status st = db_prepare(d, SQL_GET, &s);

	memset(out, 0, sizeof(*out));
	out->review = "none";
	if (st != OR_OK)
		return st;
	db_bind_int(s, 0, customer_id);
	if ((st = db_query_one(s, &found)) == OR_OK && found) {
		const char **str[] = {
			&out->protocol, &out->review, NULL, NULL, &out->discovery_url, &out->metadata_url, &out->metadata_xml,
			&out->entity_choice, &out->email_domains, &out->claim_username, &out->claim_email,
			&out->claim_groups, &out->admin_groups, &out->member_groups, &out->test_users, &out->report
		};
		unsigned i;
		for (i = 0; i < sizeof(str) / sizeof(str[0]); i++)
			if (str[i])
				*str[i] = db_col_dup(s, i, a);
		out->version = db_col_int(s, 2, 0);
		out->updated_at = db_col_time(s, 3);
		out->report_ok = db_col_int(s, 16, 0) != 0;
		out->validated_version = db_col_int(s, 17, 0);
		out->validated_at = db_col_time(s, 18);
		out->cert_not_after = db_col_time(s, 19);
		out->client_id = db_col_dup(s, 20, a);
		out->require_sso = db_col_int(s, 21, 0) != 0;
		out->approved_version = db_col_int(s, 22, 0);
		out->approved_at = db_col_time(s, 23);
		out->live_version = db_col_int(s, 24, 0);
		out->live_activated_at = db_col_time(s, 25);
		if (out->review == NULL)
			out->review = "none";
	}
	db_stmt_done(s);
	return st;
}

static const char SQL_ENSURE[] =
	"INSERT INTO sso_settings (customer_id, version) VALUES (?, 0) ON DUPLICATE KEY UPDATE customer_id = customer_id";
static const char SQL_SAVE[] =
	"UPDATE sso_settings SET protocol = ?, review = IF(? = 'not_required', 'none', 'draft'), discovery_url = ?, "
	"metadata_url = ?, metadata_xml = ?, entity_choice = ?, email_domains = ?, claim_username = ?, claim_email = ?, "
	"claim_groups = ?, admin_groups = ?, member_groups = ?, test_users = ?, client_id = ?, version = version + 1, "
	"updated_at = CURRENT_TIMESTAMP(6) WHERE customer_id = ? AND version = ?";

or_status
store_sso_draft_save(db *d, int64_t customer_id, const sso_draft *in, int64_t expected_version)
{
	db_arg ensure[] = { DB_INT(customer_id) };
	db_arg args[] = {
		DB_TEXT(in->protocol), DB_TEXT(in->protocol ? in->protocol : ""), DB_TEXT(in->discovery_url),
		DB_TEXT(in->metadata_url), DB_TEXT(in->metadata_xml), DB_TEXT(in->entity_choice),
		DB_TEXT(in->email_domains), DB_TEXT(in->claim_username), DB_TEXT(in->claim_email),
		DB_TEXT(in->claim_groups), DB_TEXT(in->admin_groups), DB_TEXT(in->member_groups), DB_TEXT(in->test_users),
		DB_TEXT(in->client_id), DB_INT(customer_id), DB_INT(expected_version)
	};
	unsigned long long n = 0;
	or_status st = db_run(d, SQL_ENSURE, ensure, 1, NULL);

	if (st == OR_OK)
		st = db_run(d, SQL_SAVE, args, sizeof(args) / sizeof(args[0]), &n);
	return st == OR_OK && n == 0 ? OR_ERR_VERSION : st;
}

static const char SQL_PURGE[] =
	"UPDATE sso_settings SET metadata_xml = NULL, review = 'draft', version = version + 1, "
	"updated_at = CURRENT_TIMESTAMP(6) WHERE customer_id = ? AND version = ? AND metadata_xml IS NOT NULL";

or_status
store_sso_metadata_purge(db *d, int64_t customer_id, int64_t *version)
{
	db_arg args[] = { DB_INT(customer_id), DB_INT(*version) };
	unsigned long long n = 0;
	or_status st = db_run(d, SQL_PURGE, args, 2, &n);

	if (st == OR_OK && n == 0)
		return OR_ERR_VERSION;
	if (st == OR_OK)
		(*version)++;
	return st;
}

static const char SQL_REPORT[] =
	"UPDATE sso_settings SET report = ?, report_ok = ?, validated_idp = ?, validated_version = version, "
	"validated_at = CURRENT_TIMESTAMP(6), cert_not_after = ? "
	"WHERE customer_id = ? AND version = ?";

or_status
store_sso_report_save(db *d, int64_t customer_id, int64_t version, const char *report_json, bool ok,
		      int64_t cert_not_after, const char *resolved_json)
{
	char when[TIMEFMT_RFC3339_LEN];
	const char *at = cert_not_after ? when : NULL;
	db_arg args[] = {
		DB_TEXT(report_json), DB_INT(ok ? 1 : 0), DB_TEXT(ok ? resolved_json : NULL), DB_TEXT(at),
		DB_INT(customer_id), DB_INT(version)
	};
	unsigned long long n = 0;
	or_status st;

	/* As DATETIME text: FROM_UNIXTIME stops at 2038, and IdP certificates run past it. */
	timefmt_rfc3339(cert_not_after, when);
	when[10] = ' ';
	when[19] = '\0';
	st = db_run(d, SQL_REPORT, args, 6, &n);

	return st == OR_OK && n == 0 ? OR_ERR_VERSION : st;
}

static const char SQL_SUBMIT[] =
	"UPDATE sso_settings SET review = 'pending', updated_at = CURRENT_TIMESTAMP(6) WHERE customer_id = ? "
	"AND version = ? AND validated_version = version AND report_ok = 1 AND protocol IN ('oidc', 'saml') "
	"AND review IN ('draft', 'changes_requested', 'rejected')";

or_status
store_sso_submit(db *d, int64_t customer_id, int64_t version)
{
	db_arg args[] = { DB_INT(customer_id), DB_INT(version) };
	unsigned long long n = 0;
	or_status st = db_run(d, SQL_SUBMIT, args, 2, &n);

	return st == OR_OK && n == 0 ? OR_ERR_CONFLICT : st;
}
