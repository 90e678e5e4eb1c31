/* Unit tests for who an SSO identity may be (src/domain/sso_rules.c). */
#include <string.h>

#include "onramp/sso_rules.h"
#include "unit.h"

static const char *domains[] = { "acme.example", "acme.io" };
static const char *admins[] = { "onramp-admins" };
static const char *members[] = { "onramp-users", "Engineering" };
static const char *testers[] = { "Tess@Acme.Example", "probe.user" };

static sso_config
config(void)
{
	sso_config c;

	memset(&c, 0, sizeof(c));
	c.customer_id = 7;
	c.protocol = "oidc";
	c.email_domains = domains;
	c.ndomains = 2;
	c.admin_groups = admins;
	c.nadmin = 1;
	c.member_groups = members;
	c.nmember = 2;
	c.test_users = testers;
	c.ntest = 2;
	return c;
}

static oidc_identity
identity(const char *email, int verified, const char **groups, size_t n)
{
	oidc_identity id;

	memset(&id, 0, sizeof(id));
	id.sub = "248289761001";
	id.email = email;
	id.email_verified = verified;
	id.groups = groups;
	id.ngroups = n;
	id.has_groups = groups != NULL;
	id.issuer = "https://idp.acme.example";
	return id;
}

static const sso_check *
check(const sso_verdict *v, const char *key)
{
	size_t i;

	for (i = 0; i < v->nchecks; i++)
		if (strcmp(v->checks[i].key, key) == 0)
			return &v->checks[i];
	return NULL;
}

/* The key and severity of the refusal, "" when admitted. */
static const char *
refused_by(const sso_verdict *v)
{
	const sso_check *c = sso_rules_refusal(v);

	CU_ASSERT_EQUAL(c == NULL, v->ok);
	return c ? c->key : "";
}

static void
test_domains(void)
{
	arena *a = arena_new(1 << 16);
	sso_config c = config();
	oidc_identity id = identity("Ann@ACME.example", 1, NULL, 0);
	sso_verdict v;

	sso_rules_evaluate(a, &c, &id, &v);
	CU_ASSERT_STRING_EQUAL(refused_by(&v), "");
	id.email = "ann@eu.acme.io";		/* a subdomain: the form's rule for test users too */
	sso_rules_evaluate(a, &c, &id, &v);
	CU_ASSERT_STRING_EQUAL(refused_by(&v), "");
	id.email = "ann@notacme.io";
	sso_rules_evaluate(a, &c, &id, &v);
	CU_ASSERT_STRING_EQUAL(refused_by(&v), "email_domain");
	CU_ASSERT_PTR_NOT_NULL(strstr(check(&v, "email_domain")->message, "notacme.io is not one of"));
	CU_ASSERT_PTR_NOT_NULL(strstr(check(&v, "email_domain")->message, "acme.example, acme.io"));
	id.email = "ann@acme.example.evil";
	sso_rules_evaluate(a, &c, &id, &v);
	CU_ASSERT_STRING_EQUAL(refused_by(&v), "email_domain");
	id.email = "ann@evil.example@acme.example";	/* not an address: refused before any domain match */
	sso_rules_evaluate(a, &c, &id, &v);
	CU_ASSERT_STRING_EQUAL(refused_by(&v), "email");
	id.email = NULL;
	sso_rules_evaluate(a, &c, &id, &v);
	CU_ASSERT_STRING_EQUAL(refused_by(&v), "email");
	CU_ASSERT_PTR_NULL(check(&v, "email_domain"));
	id.email = "ann@acme.example";
	c.ndomains = 0;				/* no domains admit nobody */
	sso_rules_evaluate(a, &c, &id, &v);
	CU_ASSERT_STRING_EQUAL(refused_by(&v), "email_domain");
	arena_free(a);
}

static void
test_email_verified_and_subject(void)
{
	arena *a = arena_new(1 << 16);
	sso_config c = config();
	oidc_identity id = identity("ann@acme.example", 0, NULL, 0);
	sso_verdict v;

	sso_rules_evaluate(a, &c, &id, &v);
	CU_ASSERT_STRING_EQUAL(refused_by(&v), "email_verified");
	CU_ASSERT_EQUAL(check(&v, "email_verified")->severity, SSO_ERROR);
	id.email_verified = -1;			/* absent: admitted, with a warning */
	sso_rules_evaluate(a, &c, &id, &v);
	CU_ASSERT_STRING_EQUAL(refused_by(&v), "");
	CU_ASSERT_FALSE(check(&v, "email_verified")->ok);
	CU_ASSERT_EQUAL(check(&v, "email_verified")->severity, SSO_WARNING);
	id.email_verified = 1;
	sso_rules_evaluate(a, &c, &id, &v);
	CU_ASSERT_TRUE(check(&v, "email_verified")->ok);
	id.sub = "";
	sso_rules_evaluate(a, &c, &id, &v);
	CU_ASSERT_STRING_EQUAL(refused_by(&v), "subject");
	id.sub = NULL;
	sso_rules_evaluate(a, &c, &id, &v);
	CU_ASSERT_STRING_EQUAL(refused_by(&v), "subject");
	arena_free(a);
}

static void
test_groups_give_the_role(void)
{
	arena *a = arena_new(1 << 16);
	sso_config c = config();
	const char *both[] = { "onramp-users", "onramp-admins" };
	const char *member[] = { "staff", "Engineering" };
	const char *cased[] = { "ONRAMP-ADMINS", "engineering" };
	const char *none[] = { "staff" };
	oidc_identity id = identity("ann@acme.example", 1, both, 2);
	sso_verdict v;

	sso_rules_evaluate(a, &c, &id, &v);
	CU_ASSERT_EQUAL(v.role, SSO_ROLE_ADMIN);	/* the admin group wins, whatever the order */
	CU_ASSERT_PTR_NOT_NULL(strstr(check(&v, "role")->message, "onramp-admins"));
	id.groups = member;
	sso_rules_evaluate(a, &c, &id, &v);
	CU_ASSERT_EQUAL(v.role, SSO_ROLE_MEMBER);
	id.groups = cased;			/* group names compare exactly */
	sso_rules_evaluate(a, &c, &id, &v);
	CU_ASSERT_EQUAL(v.role, SSO_ROLE_NONE);
	id.groups = none;
	id.ngroups = 1;
	sso_rules_evaluate(a, &c, &id, &v);
	CU_ASSERT_EQUAL(v.role, SSO_ROLE_NONE);
	CU_ASSERT_TRUE(v.ok);			/* no group is no refusal here: an invite may still admit */
	CU_ASSERT_EQUAL(check(&v, "role")->severity, SSO_WARNING);
	CU_ASSERT_TRUE(check(&v, "groups_claim")->ok);
	id = identity("ann@acme.example", 1, NULL, 0);
	sso_rules_evaluate(a, &c, &id, &v);
	CU_ASSERT_EQUAL(v.role, SSO_ROLE_NONE);
	CU_ASSERT_FALSE(check(&v, "groups_claim")->ok);
	CU_ASSERT_EQUAL(check(&v, "groups_claim")->severity, SSO_WARNING);
	CU_ASSERT_STRING_EQUAL(check(&v, "groups_claim")->message, "The IdP sent no groups claim: add the groups "
								    "claim to the ID token or the userinfo response.");
	arena_free(a);
}

static void
test_test_users(void)
{
	arena *a = arena_new(1 << 16);
	sso_config c = config();
	oidc_identity id = identity("tess@acme.example", 1, NULL, 0);
	sso_verdict v;

	sso_rules_evaluate(a, &c, &id, &v);
	CU_ASSERT_STRING_EQUAL(v.matched_test_user, "Tess@Acme.Example");
	CU_ASSERT_TRUE(check(&v, "test_user")->ok);
	id.email = "ann@acme.example";
	id.username = "Probe.User";		/* a username matches too, case-insensitively */
	sso_rules_evaluate(a, &c, &id, &v);
	CU_ASSERT_STRING_EQUAL(v.matched_test_user, "probe.user");
	id.username = "someone";
	sso_rules_evaluate(a, &c, &id, &v);
	CU_ASSERT_PTR_NULL(v.matched_test_user);
	CU_ASSERT_FALSE(check(&v, "test_user")->ok);
	CU_ASSERT_EQUAL(check(&v, "test_user")->severity, SSO_WARNING);
	CU_ASSERT_TRUE(v.ok);
	arena_free(a);
}

static void
test_usernames(void)
{
	oidc_identity id = identity("Ann.O'Neil+x@acme.example", 1, NULL, 0);
	char u[80];

	id.username = "Ann.Oneil";
	CU_ASSERT_TRUE(sso_rules_username(&id, 0, u, sizeof(u)));
	CU_ASSERT_STRING_EQUAL(u, "ann.oneil");
	CU_ASSERT_TRUE(sso_rules_username(&id, 1, u, sizeof(u)));
	CU_ASSERT_STRING_EQUAL(u, "ann.oneil-2");
	id.username = "ann oneil";		/* not a username: the email's local part instead */
	CU_ASSERT_TRUE(sso_rules_username(&id, 0, u, sizeof(u)));
	CU_ASSERT_STRING_EQUAL(u, "ann.oneilx");
	id.username = NULL;
	id.email = "0123456789012345678901234567890123456789012345678901234567890123@acme.example";
	CU_ASSERT_TRUE(sso_rules_username(&id, 11, u, sizeof(u)));
	CU_ASSERT_EQUAL(strlen(u), 64);
	CU_ASSERT_STRING_EQUAL(u + 61, "-12");
	id.email = "+++@acme.example";
	CU_ASSERT_FALSE(sso_rules_username(&id, 0, u, sizeof(u)));
}

/* The one rule of what a row shows, and the counts built on it (sso_report.c). */
static void
test_shown_severity_and_counts(void)
{
	static const sso_check rows[] = {
		{ "a", true, SSO_ERROR, "passed, would block" },
		{ "b", true, SSO_WARNING, "passed, would warn" },
		{ "c", true, SSO_INFO, "a fact" },
		{ "d", false, SSO_ERROR, "fails" },
		{ "e", false, SSO_WARNING, "a risk" },
		{ "f", false, SSO_WARNING, "another risk" },
		{ "g", false, SSO_INFO, "a note" },
	};
	sso_counts k = sso_checks_count(rows, 7);
	size_t i;

	for (i = 0; i < 3; i++)
		CU_ASSERT_EQUAL(sso_check_shown(&rows[i]), SSO_INFO);
	CU_ASSERT_EQUAL(sso_check_shown(&rows[3]), SSO_ERROR);
	CU_ASSERT_EQUAL(sso_check_shown(&rows[4]), SSO_WARNING);
	CU_ASSERT_EQUAL(sso_check_shown(&rows[6]), SSO_INFO);
	CU_ASSERT_EQUAL(k.passed, 3);
	CU_ASSERT_EQUAL(k.errors, 1);
	CU_ASSERT_EQUAL(k.warnings, 2);
	CU_ASSERT_EQUAL(k.notes, 1);
	k = sso_checks_count(rows, 0);
	CU_ASSERT_EQUAL(k.passed + k.errors + k.warnings + k.notes, 0);
}

/* A test sign-in's verdict: a passed row never shows warning, a missing groups claim does. */
static void
test_verdict_rows_show_their_meaning(void)
{
	arena *a = arena_new(1 << 16);
	sso_config cfg = config();
	const char *g[] = { "onramp-users" };
	oidc_identity id = identity("tess@acme.example", 1, g, 1);
	sso_verdict v;
	size_t i, warned = 0;

	sso_rules_evaluate(a, &cfg, &id, &v);
	for (i = 0; i < v.nchecks; i++) {
		if (v.checks[i].ok)
			CU_ASSERT_EQUAL(sso_check_shown(&v.checks[i]), SSO_INFO);
		warned += sso_check_shown(&v.checks[i]) == SSO_WARNING;
	}
	CU_ASSERT_EQUAL(warned, 0);
	CU_ASSERT_EQUAL(sso_checks_count(v.checks, v.nchecks).warnings, 0);
	id = identity("tess@acme.example", 1, NULL, 0);
	sso_rules_evaluate(a, &cfg, &id, &v);
	CU_ASSERT_EQUAL(sso_check_shown(check(&v, "groups_claim")), SSO_WARNING);
	CU_ASSERT_TRUE(sso_checks_count(v.checks, v.nchecks).warnings >= 1);
	arena_free(a);
}

static const unit_test tests[] = {
	{ "email domains", test_domains },
	{ "email_verified and subject", test_email_verified_and_subject },
	{ "groups give the role", test_groups_give_the_role },
	{ "test users", test_test_users },
	{ "usernames for new accounts", test_usernames },
	{ "a row shows its meaning; counts from the rows", test_shown_severity_and_counts },
	{ "test sign-in rows: passed is never a warning", test_verdict_rows_show_their_meaning },
	{ NULL, NULL }
};

UNIT_MAIN("sso_rules", tests)
