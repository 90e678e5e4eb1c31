/* Unit tests for the SSO form rules (src/domain/sso_form.c). */
#include <string.h>

#include "onramp/sso_form.h"
#include "unit.h"

static void
test_domains(void)
{
	char d[256];

	CU_ASSERT_TRUE(sso_form_domain("  Acme.Example. ", d, sizeof(d)));
	CU_ASSERT_STRING_EQUAL(d, "acme.example");
	CU_ASSERT_TRUE(sso_form_domain("eu.corp-mail.acme.io", d, sizeof(d)));
	CU_ASSERT_FALSE(sso_form_domain("localhost", d, sizeof(d)));
	CU_ASSERT_FALSE(sso_form_domain("acme..example", d, sizeof(d)));
	CU_ASSERT_FALSE(sso_form_domain("-acme.example", d, sizeof(d)));
	CU_ASSERT_FALSE(sso_form_domain("acme.example/path", d, sizeof(d)));
	CU_ASSERT_FALSE(sso_form_domain("@acme.example", d, sizeof(d)));
	CU_ASSERT_FALSE(sso_form_domain("", d, sizeof(d)));
	CU_ASSERT_TRUE(sso_form_freemail("gmail.com"));
	CU_ASSERT_TRUE(sso_form_freemail("Outlook.com"));
	CU_ASSERT_FALSE(sso_form_freemail("acme.example"));
	CU_ASSERT_FALSE(sso_form_freemail("mail.google.com"));
}

static void
test_emails_in_domains(void)
{
	const char *doms[] = { "acme.example", "acme.io" };

	CU_ASSERT_TRUE(sso_form_email_in("ann@acme.example", doms, 2));
	CU_ASSERT_TRUE(sso_form_email_in("ann@eu.acme.io", doms, 2));
	CU_ASSERT_FALSE(sso_form_email_in("ann@notacme.io", doms, 2));
	CU_ASSERT_FALSE(sso_form_email_in("ann@acme.example.evil", doms, 2));
	CU_ASSERT_FALSE(sso_form_email_in("ann", doms, 2));
	CU_ASSERT_FALSE(sso_form_email_in("ann@acme.example", doms, 0));
}

static void
test_names(void)
{
	CU_ASSERT_TRUE(sso_form_claim_ok("preferred_username"));
	CU_ASSERT_TRUE(sso_form_claim_ok("http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"));
	CU_ASSERT_TRUE(sso_form_claim_ok("urn:oid:0.9.2342.19200300.100.1.3"));
	CU_ASSERT_FALSE(sso_form_claim_ok(""));
	CU_ASSERT_FALSE(sso_form_claim_ok("email address"));
	CU_ASSERT_FALSE(sso_form_claim_ok("groups;drop"));
	CU_ASSERT_TRUE(sso_form_group_ok("Engineering Admins"));
	CU_ASSERT_TRUE(sso_form_group_ok("CN=Onramp Users,OU=Groups,DC=acme,DC=example"));
	CU_ASSERT_FALSE(sso_form_group_ok(""));
	CU_ASSERT_FALSE(sso_form_group_ok("tab\there"));
}

static const unit_test tests[] = {
	{ "domains and free-mail", test_domains },
	{ "test users fall in the domains", test_emails_in_domains },
	{ "claim and group names", test_names },
	{ NULL, NULL }
};

UNIT_MAIN("sso_form", tests)
