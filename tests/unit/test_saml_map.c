/* Unit tests for a verified SAML assertion as the identity the SSO rules judge (src/domain/saml_map.c). */
#include <string.h>

#include "onramp/limits.h"
#include "onramp/saml_map.h"
#include "unit.h"

#define ENTITY "https://idp.example/saml"
#define PERSISTENT "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"

static const char *mail1[] = { "ann@acme.example" };
static const char *mail2[] = { "ann@acme.example", "eve@acme.example" };
static const char *uid[] = { "ann" };
static const char *groups3[] = { "onramp-users", "Engineering", "onramp-admins" };

/* An assertion of name_id (format fmt) with the attributes email, uid and groups as given. */
static saml_identity
assertion(const char *name_id, const char *fmt, saml_attr *attrs, size_t n)
{
	saml_identity s;

	memset(&s, 0, sizeof(s));
	s.issuer = ENTITY;
	s.name_id = name_id;
	s.name_id_format = fmt;
	s.assertion_id = "_a1";
	s.attrs = attrs;
	s.nattrs = n;
	return s;
}

static const oidc_claims names = { "uid", "email", "groups" };

static void
test_attributes_mapped(void)
{
	arena *a = arena_new(1 << 16);
	saml_attr at[] = { { "email", mail1, 1 }, { "uid", uid, 1 }, { "groups", groups3, 3 } };
	saml_identity s = assertion("AAdzZWNyZXQx", PERSISTENT, at, 3);
	sso_report r;
	oidc_identity id;

	sso_report_init(&r, "saml");
	CU_ASSERT_TRUE(saml_map_identity(a, &s, &names, &r, &id));
	CU_ASSERT_STRING_EQUAL(id.sub, "AAdzZWNyZXQx");
	CU_ASSERT_STRING_EQUAL(id.issuer, ENTITY);
	CU_ASSERT_STRING_EQUAL(id.email, "ann@acme.example");
	CU_ASSERT_EQUAL(id.email_verified, 1);
	CU_ASSERT_STRING_EQUAL(id.username, "ann");
	CU_ASSERT_TRUE(id.has_groups);
	CU_ASSERT_EQUAL(id.ngroups, 3);
	CU_ASSERT_STRING_EQUAL(id.groups[1], "Engineering");
	CU_ASSERT_TRUE(r.ok);
	arena_free(a);
}

static void
test_email_from_name_id(void)
{
	arena *a = arena_new(1 << 16);
	saml_attr two[] = { { "email", mail2, 2 } };
	saml_identity s = assertion("bob@acme.example", SAML_NAMEID_EMAIL, NULL, 0);
	sso_report r;
	oidc_identity id;

	sso_report_init(&r, "saml");
	/* No email attribute: an emailAddress NameID is the email. */
	CU_ASSERT_TRUE(saml_map_identity(a, &s, &names, &r, &id));
	CU_ASSERT_STRING_EQUAL(id.email, "bob@acme.example");
	CU_ASSERT_EQUAL(id.email_verified, 1);
	CU_ASSERT_FALSE(id.has_groups);
	CU_ASSERT_PTR_NULL(id.username);
	/* Another format is never read as an address. */
	s = assertion("bob@acme.example", PERSISTENT, NULL, 0);
	CU_ASSERT_TRUE(saml_map_identity(a, &s, &names, &r, &id));
	CU_ASSERT_PTR_NULL(id.email);
	CU_ASSERT_EQUAL(id.email_verified, -1);
	/* Two email values: which one? Neither, and then the NameID only when it is an address. */
	s = assertion("opaque-1", PERSISTENT, two, 1);
	CU_ASSERT_TRUE(saml_map_identity(a, &s, &names, &r, &id));
	CU_ASSERT_PTR_NULL(id.email);
	s = assertion("bob@acme.example", SAML_NAMEID_EMAIL, two, 1);
	CU_ASSERT_TRUE(saml_map_identity(a, &s, &names, &r, &id));
	CU_ASSERT_STRING_EQUAL(id.email, "bob@acme.example");
	arena_free(a);
}

static void
test_claim_names(void)
{
	arena *a = arena_new(1 << 16);
	saml_attr at[] = { { "email", mail1, 1 }, { "groups", groups3, 3 } };
	saml_identity s = assertion("opaque-1", PERSISTENT, at, 2);
	oidc_claims unnamed = { NULL, "", NULL }, other = { "uid", "mail", "memberOf" };
	sso_report r;
	oidc_identity id;

	sso_report_init(&r, "saml");
	/* A claim the draft does not name reads nothing (no guessed default). */
	CU_ASSERT_TRUE(saml_map_identity(a, &s, &unnamed, &r, &id));
	CU_ASSERT_PTR_NULL(id.email);
	CU_ASSERT_FALSE(id.has_groups);
	CU_ASSERT_TRUE(saml_map_identity(a, &s, NULL, &r, &id));
	CU_ASSERT_PTR_NULL(id.email);
	/* Names match exactly. */
	CU_ASSERT_TRUE(saml_map_identity(a, &s, &other, &r, &id));
	CU_ASSERT_PTR_NULL(id.email);
	CU_ASSERT_FALSE(id.has_groups);
	arena_free(a);
}

static void
test_bounds(void)
{
	arena *a = arena_new(1 << 20);
	char sub[LIMIT_OIDC_SUB_BYTES + 2], mail[LIMIT_OIDC_CLAIM_BYTES + 2], group[LIMIT_OIDC_GROUP_BYTES + 2];
	const char *longmail[] = { mail }, *longgroup[] = { "a", group }, *empty[] = { "" };
	const char *many[LIMIT_OIDC_GROUPS + 1];
	saml_attr ml[] = { { "email", longmail, 1 } }, gl[] = { { "groups", longgroup, 2 } };
	saml_attr ge[] = { { "groups", empty, 1 } }, gm[] = { { "groups", many, LIMIT_OIDC_GROUPS + 1 } };
	saml_identity s;
	sso_report r;
	oidc_identity id;
	size_t i;

	memset(sub, 's', sizeof(sub) - 1);
	sub[LIMIT_OIDC_SUB_BYTES + 1] = '\0';
	s = assertion(sub, PERSISTENT, NULL, 0);
	sso_report_init(&r, "saml");
	CU_ASSERT_FALSE(saml_map_identity(a, &s, &names, &r, &id));
	CU_ASSERT_STRING_EQUAL(sso_report_failed(&r, SSO_ERROR)->key, "saml.name_id");
	sub[LIMIT_OIDC_SUB_BYTES] = '\0';
	sso_report_init(&r, "saml");
	CU_ASSERT_TRUE(saml_map_identity(a, &s, &names, &r, &id));
	s = assertion("", PERSISTENT, NULL, 0);
	CU_ASSERT_FALSE(saml_map_identity(a, &s, &names, &r, &id));
	/* An over-long email counts as absent, as in OIDC. */
	memset(mail, 'm', sizeof(mail) - 1);
	mail[LIMIT_OIDC_CLAIM_BYTES + 1] = '\0';
	s = assertion("opaque-1", PERSISTENT, ml, 1);
	sso_report_init(&r, "saml");
	CU_ASSERT_TRUE(saml_map_identity(a, &s, &names, &r, &id));
	CU_ASSERT_PTR_NULL(id.email);
	/* Groups: refused, never truncated (a role from half the list is wrong). */
	memset(group, 'g', sizeof(group) - 1);
	group[LIMIT_OIDC_GROUP_BYTES + 1] = '\0';
	for (i = 0; i <= LIMIT_OIDC_GROUPS; i++)
		many[i] = "g";
	s = assertion("opaque-1", PERSISTENT, gl, 1);
	CU_ASSERT_FALSE(saml_map_identity(a, &s, &names, &r, &id));
	CU_ASSERT_STRING_EQUAL(sso_report_failed(&r, SSO_ERROR)->key, "saml.groups");
	s = assertion("opaque-1", PERSISTENT, ge, 1);
	CU_ASSERT_FALSE(saml_map_identity(a, &s, &names, &r, &id));
	s = assertion("opaque-1", PERSISTENT, gm, 1);
	CU_ASSERT_FALSE(saml_map_identity(a, &s, &names, &r, &id));
	gm[0].nvalues = LIMIT_OIDC_GROUPS;
	CU_ASSERT_TRUE(saml_map_identity(a, &s, &names, &r, &id));
	CU_ASSERT_EQUAL(id.ngroups, LIMIT_OIDC_GROUPS);
	arena_free(a);
}

static const unit_test tests[] = {
	{ "NameID, issuer and the draft's attributes", test_attributes_mapped },
	{ "email from an emailAddress NameID only; several values are none", test_email_from_name_id },
	{ "claim names: unnamed reads nothing, exact match", test_claim_names },
	{ "bounds: NameID, email, groups refused not truncated", test_bounds },
	{ NULL, NULL }
};
UNIT_MAIN("saml_map", tests)
