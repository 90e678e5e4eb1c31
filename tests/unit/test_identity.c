/* Unit tests for identity rules (src/domain/identity.c) and time formats (src/core/timefmt.c). */
#include <string.h>

#include "onramp/identity.h"
#include "onramp/timefmt.h"
#include "unit.h"

#define NOW 1795000000LL	/* 2026-11-18T...Z, fixed so verdicts never drift */

static void
test_status_derivation(void)
{
	user u;

	memset(&u, 0, sizeof(u));
	CU_ASSERT_EQUAL(identity_user_status(&u, NOW), USER_DORMANT);	/* never signed in */
	CU_ASSERT_FALSE(identity_holds_seat(&u, NOW));
	u.last_seen_at = NOW - 60;
	CU_ASSERT_EQUAL(identity_user_status(&u, NOW), USER_ACTIVE);
	CU_ASSERT_TRUE(identity_holds_seat(&u, NOW));
	u.last_seen_at = NOW - IDENTITY_DORMANT_AFTER_S;
	CU_ASSERT_EQUAL(identity_user_status(&u, NOW), USER_ACTIVE);	/* exactly 90 days: still active */
	u.last_seen_at = NOW - IDENTITY_DORMANT_AFTER_S - 1;
	CU_ASSERT_EQUAL(identity_user_status(&u, NOW), USER_DORMANT);
	u.last_seen_at = NOW;
	u.suspended = true;
	CU_ASSERT_EQUAL(identity_user_status(&u, NOW), USER_SUSPENDED);
	CU_ASSERT_FALSE(identity_holds_seat(&u, NOW));
	u.deactivated_at = NOW;
	CU_ASSERT_EQUAL(identity_user_status(&u, NOW), USER_DEACTIVATED);
	CU_ASSERT_STRING_EQUAL(identity_status_name(USER_DORMANT), "dormant");
}

static void
test_seat_rule(void)
{
	seat_count within = { 4, 5 }, full = { 5, 5 }, over = { 6, 5 };
	char msg[300];

	CU_ASSERT_EQUAL(identity_seats_over_by(within), 0);
	CU_ASSERT_EQUAL(identity_seats_over_by(full), 0);
	CU_ASSERT_EQUAL(identity_seats_over_by(over), 1);
	/* Taking a seat needs a free one; anything else only needs the customer not over. */
	CU_ASSERT_TRUE(identity_seats_allow(within, true));
	CU_ASSERT_FALSE(identity_seats_allow(full, true));
	CU_ASSERT_TRUE(identity_seats_allow(full, false));
	CU_ASSERT_FALSE(identity_seats_allow(over, false));
	CU_ASSERT_FALSE(identity_seats_allow(over, true));
	identity_seats_refusal(full, msg, sizeof(msg));
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "(5 of 5); the seat limit is 5."));
	identity_seats_refusal(over, msg, sizeof(msg));
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "over its seat limit (6 of 5 seats in use); the seat limit is 5."));
}

static void
test_roles(void)
{
	user_role r;
	operator_role o;

	CU_ASSERT_EQUAL(identity_role_parse("customer_admin", &r), OR_OK);
	CU_ASSERT_EQUAL(r, ROLE_CUSTOMER_ADMIN);
	CU_ASSERT_EQUAL(identity_role_parse("Customer_Admin", &r), OR_ERR_INVALID);
	CU_ASSERT_EQUAL(identity_role_parse("admin", &r), OR_ERR_INVALID);
	CU_ASSERT_STRING_EQUAL(identity_role_name(ROLE_CUSTOMER_MEMBER), "customer_member");
	CU_ASSERT_EQUAL(identity_operator_role_parse("auditor", &o), OR_OK);
	CU_ASSERT_EQUAL(o, OPROLE_AUDITOR);
	CU_ASSERT_EQUAL(identity_operator_role_parse("root", &o), OR_ERR_INVALID);
}

static void
test_usernames(void)
{
	char long_name[66];

	CU_ASSERT_TRUE(identity_slug_ok("acme"));
	CU_ASSERT_TRUE(identity_slug_ok("acme-eu-2"));
	CU_ASSERT_FALSE(identity_slug_ok(""));
	CU_ASSERT_FALSE(identity_slug_ok("-acme"));
	CU_ASSERT_FALSE(identity_slug_ok("acme-"));
	CU_ASSERT_FALSE(identity_slug_ok("Acme"));
	CU_ASSERT_FALSE(identity_slug_ok("acme corp"));
	CU_ASSERT_FALSE(identity_slug_ok("a.b"));
	CU_ASSERT_TRUE(identity_slug_ok("a123456789012345678901234567890123456789012345678901234567890bc"));
	CU_ASSERT_FALSE(identity_slug_ok("a123456789012345678901234567890123456789012345678901234567890bcd"));
	CU_ASSERT_TRUE(identity_username_ok("ann"));
	CU_ASSERT_TRUE(identity_username_ok("a.b_c-9"));
	CU_ASSERT_FALSE(identity_username_ok(""));
	CU_ASSERT_FALSE(identity_username_ok("Ann"));
	CU_ASSERT_FALSE(identity_username_ok("ann smith"));
	CU_ASSERT_FALSE(identity_username_ok("ann@x"));
	memset(long_name, 'a', 65);
	long_name[65] = '\0';
	CU_ASSERT_FALSE(identity_username_ok(long_name));
	long_name[64] = '\0';
	CU_ASSERT_TRUE(identity_username_ok(long_name));
}

static void
test_emails(void)
{
	char out[255];

	CU_ASSERT_EQUAL(identity_email_normalize("  Ann.Smith+x@Example.COM ", out, sizeof(out)), OR_OK);
	CU_ASSERT_STRING_EQUAL(out, "ann.smith+x@example.com");
	CU_ASSERT_EQUAL(identity_email_normalize("a@b.co", out, sizeof(out)), OR_OK);
	CU_ASSERT_EQUAL(identity_email_normalize("no-at-sign", out, sizeof(out)), OR_ERR_INVALID);
	CU_ASSERT_EQUAL(identity_email_normalize("a@@b.co", out, sizeof(out)), OR_ERR_INVALID);
	CU_ASSERT_EQUAL(identity_email_normalize("@b.co", out, sizeof(out)), OR_ERR_INVALID);
	CU_ASSERT_EQUAL(identity_email_normalize("a@localhost", out, sizeof(out)), OR_ERR_INVALID);
	CU_ASSERT_EQUAL(identity_email_normalize("a@-b.co", out, sizeof(out)), OR_ERR_INVALID);
	CU_ASSERT_EQUAL(identity_email_normalize("a@b-.co", out, sizeof(out)), OR_ERR_INVALID);
	CU_ASSERT_EQUAL(identity_email_normalize("a b@c.co", out, sizeof(out)), OR_ERR_INVALID);
	CU_ASSERT_EQUAL(identity_email_normalize("a..b@c.co", out, sizeof(out)), OR_ERR_INVALID);
	CU_ASSERT_EQUAL(identity_email_normalize("<a@c.co>", out, sizeof(out)), OR_ERR_INVALID);
	CU_ASSERT_EQUAL(identity_email_normalize("a@c.co\r\nBcc: x@y.z", out, sizeof(out)), OR_ERR_INVALID);
	CU_ASSERT_EQUAL(identity_email_normalize("", out, sizeof(out)), OR_ERR_INVALID);
}

/* Sign-in takes a login only when it is a username or an email, ASCII lower-cased. */
static void
test_logins(void)
{
	char out[IDENTITY_EMAIL_MAX + 1];
	static const char *const refused[] = {
		"thr\x01@acme.example", "t\x01hr@acme.example", "thr@acme.example\x7f", "thr\x1f",
		"zo\xc3\xab@acme.example", "z\xc3\xb6" "e", "\xe3\x83\xa6\xe3\x83\xbc", "two words", "tab\there",
		"<script>", "@acme.example", "a@b@c.example", "a@localhost", "", " ", NULL
	};
	char longest[IDENTITY_EMAIL_MAX + 2];
	size_t i;

	CU_ASSERT_EQUAL(identity_login_normalize("Thr@ACME.Example", out, sizeof(out)), OR_OK);
	CU_ASSERT_STRING_EQUAL(out, "thr@acme.example");
	CU_ASSERT_EQUAL(identity_login_normalize("THR-OP", out, sizeof(out)), OR_OK);
	CU_ASSERT_STRING_EQUAL(out, "thr-op");
	CU_ASSERT_EQUAL(identity_login_normalize("a.b_c-9", out, sizeof(out)), OR_OK);
	CU_ASSERT_STRING_EQUAL(out, "a.b_c-9");
	for (i = 0; refused[i]; i++)
		CU_ASSERT_EQUAL(identity_login_normalize(refused[i], out, sizeof(out)), OR_ERR_INVALID);
	/* Too long for either shape, and too long for the caller's buffer. */
	memset(longest, 'a', sizeof(longest) - 1);
	longest[sizeof(longest) - 1] = '\0';
	CU_ASSERT_EQUAL(identity_login_normalize(longest, out, sizeof(out)), OR_ERR_INVALID);
	CU_ASSERT_EQUAL(identity_login_normalize("thr@acme.example", out, 8), OR_ERR_INVALID);
}

static void
test_time_formats(void)
{
	char buf[TIMEFMT_RFC3339_LEN];
	int64_t t = 0;

	timefmt_rfc3339(0, buf);
	CU_ASSERT_STRING_EQUAL(buf, "1970-01-01T00:00:00Z");
	timefmt_rfc3339(1767225600, buf);
	CU_ASSERT_STRING_EQUAL(buf, "2026-01-01T00:00:00Z");
	timefmt_rfc3339(951782400 + 86399, buf);	/* 2000-02-29, a leap day */
	CU_ASSERT_STRING_EQUAL(buf, "2000-02-29T23:59:59Z");
	CU_ASSERT_EQUAL(timefmt_parse_db(str_from_c("2026-01-01 00:00:00.123456"), &t), OR_OK);
	CU_ASSERT_EQUAL(t, 1767225600);
	CU_ASSERT_EQUAL(timefmt_parse_db(str_from_c("2000-02-29 23:59:59"), &t), OR_OK);
	CU_ASSERT_EQUAL(t, 951782400 + 86399);
	CU_ASSERT_EQUAL(timefmt_parse_db(str_from_c("2026-13-01 00:00:00"), &t), OR_ERR_INVALID);
	CU_ASSERT_EQUAL(timefmt_parse_db(str_from_c("2026-01-01T00:00:00"), &t), OR_ERR_INVALID);
	CU_ASSERT_EQUAL(timefmt_parse_db(str_from_c("garbage"), &t), OR_ERR_INVALID);
}

static const unit_test tests[] = {
	{ "status is derived (dormant, seats)", test_status_derivation },
	{ "the seat rule (free seat, over the limit)", test_seat_rule },
	{ "role names", test_roles },
	{ "usernames", test_usernames },
	{ "email normalisation and shape", test_emails },
	{ "sign-in logins: a username or an email, nothing else", test_logins },
	{ "RFC 3339 and DATETIME", test_time_formats },
	{ NULL, NULL }
};
UNIT_MAIN("identity", tests)
