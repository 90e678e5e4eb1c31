/* Unit tests for the JSON form of SSO configurations and OIDC provider resolution (src/domain/sso_config.c). */
#include <string.h>

#include "onramp/sso_config.h"
#include "unit.h"

static arena *A;

static int
setup(void)
{
	return (A = arena_new(1 << 20)) == NULL;
}

static int
teardown(void)
{
	arena_free(A);
	return 0;
}

static const char *DOMAINS[] = { "acme.example", "eu.acme.example" };
static const char *ADMINS[] = { "onramp-admins" };
static const char *MEMBERS[] = { "onramp-users", "engineering" };
static const char *TESTERS[] = { "ann@acme.example" };

static sso_config
oidc_config(void)
{
	sso_config c;

	memset(&c, 0, sizeof(c));
	c.customer_id = 7;
	c.version = 12;
	c.protocol = "oidc";
	c.client_id = "onramp-client";
	c.email_domains = DOMAINS;
	c.ndomains = 2;
	c.admin_groups = ADMINS;
	c.nadmin = 1;
	c.member_groups = MEMBERS;
	c.nmember = 2;
	c.test_users = TESTERS;
	c.ntest = 1;
	c.claims.username = "preferred_username";
	c.claims.email = "email";
	c.claims.groups = "groups";
	c.idp.issuer = "https://idp.acme.example";
	c.idp.authorization_endpoint = "https://idp.acme.example/authorize";
	c.idp.token_endpoint = "https://idp.acme.example/token";
	c.idp.userinfo_endpoint = "https://idp.acme.example/userinfo";
	c.idp.jwks_uri = "https://idp.acme.example/jwks";
	c.idp.algs = JOSE_RS256 | JOSE_ES256;
	c.idp.token_auth = "client_secret_post";
	return c;
}

static void
test_round_trip(void)
{
	sso_config in = oidc_config(), out;
	const char *json = sso_config_json(A, &in);

	CU_ASSERT_PTR_NOT_NULL_FATAL(json);
	CU_ASSERT_EQUAL_FATAL(sso_config_parse(A, json, strlen(json), &out), OR_OK);
	CU_ASSERT_EQUAL(out.customer_id, 0);	/* the row says whose it is, not the document */
	CU_ASSERT_EQUAL(out.version, 12);
	CU_ASSERT_STRING_EQUAL(out.protocol, "oidc");
	CU_ASSERT_STRING_EQUAL(out.client_id, "onramp-client");
	CU_ASSERT_EQUAL_FATAL(out.ndomains, 2);
	CU_ASSERT_STRING_EQUAL(out.email_domains[1], "eu.acme.example");
	CU_ASSERT_EQUAL_FATAL(out.nmember, 2);
	CU_ASSERT_STRING_EQUAL(out.member_groups[1], "engineering");
	CU_ASSERT_EQUAL_FATAL(out.nadmin, 1);
	CU_ASSERT_STRING_EQUAL(out.admin_groups[0], "onramp-admins");
	CU_ASSERT_EQUAL_FATAL(out.ntest, 1);
	CU_ASSERT_STRING_EQUAL(out.test_users[0], "ann@acme.example");
	CU_ASSERT_STRING_EQUAL(out.claims.groups, "groups");
	CU_ASSERT_STRING_EQUAL(out.idp.issuer, in.idp.issuer);
	CU_ASSERT_STRING_EQUAL(out.idp.token_endpoint, in.idp.token_endpoint);
	CU_ASSERT_STRING_EQUAL(out.idp.userinfo_endpoint, in.idp.userinfo_endpoint);
	CU_ASSERT_STRING_EQUAL(out.idp.jwks_uri, in.idp.jwks_uri);
	CU_ASSERT_EQUAL(out.idp.algs, JOSE_RS256 | JOSE_ES256);
	CU_ASSERT_STRING_EQUAL(out.idp.token_auth, "client_secret_post");
	/* Names, not bits, are stored. */
	CU_ASSERT_PTR_NOT_NULL(strstr(json, "\"algs\":[\"RS256\",\"ES256\"]"));
	/* Serialising the parsed config gives the same document. */
	out.customer_id = 7;
	CU_ASSERT_STRING_EQUAL(sso_config_json(A, &out), json);
	CU_ASSERT_FALSE(out.idp.iss_param);
	CU_ASSERT_PTR_NULL(strstr(json, "iss_param"));
	/* The RFC 9207 flag survives too, and only true is a form of it. */
	in.idp.iss_param = true;
	json = sso_config_json(A, &in);
	CU_ASSERT_PTR_NOT_NULL(strstr(json, "\"iss_param\":true"));
	CU_ASSERT_EQUAL_FATAL(sso_config_parse(A, json, strlen(json), &out), OR_OK);
	CU_ASSERT_TRUE(out.idp.iss_param);
	CU_ASSERT_STRING_EQUAL(sso_config_json(A, &out), json);
	{
		char *bad = arena_strdup(A, json), *at = strstr(bad, "\"iss_param\":true");
		memcpy(at, "\"iss_param\":1   ", 16);
		CU_ASSERT_EQUAL(sso_config_parse(A, bad, strlen(bad), &out), OR_ERR_INVALID);
	}
}

static void
test_saml_round_trip(void)
{
	sso_config in, out;
	const char *json;

	memset(&in, 0, sizeof(in));
	in.version = 3;
	in.protocol = "saml";
	in.idp.saml_entity_id = "http://www.okta.com/exk";
	in.idp.saml_sso_url = "https://acme.okta.com/app/sso/saml";
	in.idp.saml_sso_binding = "HTTP-Redirect";
	json = sso_config_json(A, &in);
	CU_ASSERT_EQUAL_FATAL(sso_config_parse(A, json, strlen(json), &out), OR_OK);
	CU_ASSERT_STRING_EQUAL(out.idp.saml_sso_binding, "HTTP-Redirect");
	CU_ASSERT_EQUAL(out.ndomains, 0);
	CU_ASSERT_PTR_NULL(out.client_id);
}

/* Serialise c, then expect the parse to refuse it. */
static void
refused(const sso_config *c, const char *why)
{
	sso_config out;
	const char *json = sso_config_json(A, c);

	CU_ASSERT_EQUAL(sso_config_parse(A, json, strlen(json), &out), OR_ERR_INVALID);
	if (sso_config_parse(A, json, strlen(json), &out) != OR_ERR_INVALID)
		fprintf(stderr, "accepted: %s\n", why);
	CU_ASSERT_PTR_NULL(out.protocol);	/* never half a config */
}

static void
test_incomplete_oidc_refused(void)
{
	sso_config c;

	c = oidc_config(); c.client_id = NULL; refused(&c, "no client id");
	c = oidc_config(); c.client_id = ""; refused(&c, "empty client id");
	c = oidc_config(); c.idp.issuer = NULL; refused(&c, "no issuer");
	c = oidc_config(); c.idp.authorization_endpoint = NULL; refused(&c, "no authorization endpoint");
	c = oidc_config(); c.idp.token_endpoint = NULL; refused(&c, "no token endpoint");
	c = oidc_config(); c.idp.jwks_uri = NULL; refused(&c, "no jwks_uri");
	c = oidc_config(); c.idp.algs = 0; refused(&c, "no algorithm");
	c = oidc_config(); c.idp.token_auth = NULL; refused(&c, "no token auth");
	c = oidc_config(); c.idp.token_auth = "private_key_jwt"; refused(&c, "unknown token auth");
	c = oidc_config(); c.protocol = "ldap"; refused(&c, "unknown protocol");
	c = oidc_config(); c.version = 0; refused(&c, "version 0");
	memset(&c, 0, sizeof(c)); c.version = 1; c.protocol = "saml"; refused(&c, "saml without idp");
}

static void
test_malformed_documents_refused(void)
{
	static const char *const docs[] = {
		"", "[]", "null", "{\"v\":1}", "{\"v\":2,\"version\":1,\"protocol\":\"saml\",\"idp\":{\"saml_entity_id\":\"e\",\"saml_sso_url\":\"u\"}}",
		/* an algorithm onramp does not verify is refused, not dropped */
		"{\"v\":1,\"version\":1,\"protocol\":\"oidc\",\"client_id\":\"c\",\"idp\":{\"issuer\":\"i\",\"authorization_endpoint\":\"a\","
		"\"token_endpoint\":\"t\",\"jwks_uri\":\"j\",\"algs\":[\"RS256\",\"HS256\"],\"token_auth\":\"client_secret_basic\"}}",
		"{\"v\":1,\"version\":1,\"protocol\":\"oidc\",\"client_id\":\"c\",\"idp\":{\"issuer\":\"i\",\"authorization_endpoint\":\"a\","
		"\"token_endpoint\":\"t\",\"jwks_uri\":\"j\",\"algs\":[\"none\"],\"token_auth\":\"client_secret_basic\"}}",
		/* a list of something else */
		"{\"v\":1,\"version\":1,\"protocol\":\"saml\",\"email_domains\":[1],\"idp\":{\"saml_entity_id\":\"e\",\"saml_sso_url\":\"u\"}}",
		"{\"v\":1,\"version\":1,\"protocol\":\"saml\",\"email_domains\":\"acme.example\",\"idp\":{\"saml_entity_id\":\"e\",\"saml_sso_url\":\"u\"}}",
		"{\"v\":1,\"version\":\"1\",\"protocol\":\"saml\",\"idp\":{\"saml_entity_id\":\"e\",\"saml_sso_url\":\"u\"}}",
		"{\"v\":1,\"version\":1,\"protocol\":\"saml\",\"claims\":[],\"idp\":{\"saml_entity_id\":\"e\",\"saml_sso_url\":\"u\"}}",
		"{\"v\":1,\"version\":1,\"protocol\":\"saml\",\"idp\":{\"saml_entity_id\":5,\"saml_sso_url\":\"u\"}}",
		"{\"v\":1,\"version\":1,\"protocol\":\"saml\",\"idp\":{\"saml_entity_id\":\"e\",\"saml_sso_url\":\"u\"}} trailing",
	};
	const char *ok = "{\"v\":1,\"version\":1,\"protocol\":\"saml\",\"idp\":{\"saml_entity_id\":\"e\",\"saml_sso_url\":\"u\"}}";
	sso_config out;
	size_t i;

	CU_ASSERT_EQUAL(sso_config_parse(A, ok, strlen(ok), &out), OR_OK);
	for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		CU_ASSERT_EQUAL(sso_config_parse(A, docs[i], strlen(docs[i]), &out), OR_ERR_INVALID);
		if (sso_config_parse(A, docs[i], strlen(docs[i]), &out) != OR_ERR_INVALID)
			fprintf(stderr, "accepted doc %zu\n", i);
	}
}

static void
test_list_cap(void)
{
	const char *many[SSO_CONFIG_MAX_LIST + 1];
	sso_config c = oidc_config(), out;
	const char *json;
	size_t i;

	for (i = 0; i <= SSO_CONFIG_MAX_LIST; i++)
		many[i] = "g";
	c.member_groups = many;
	c.nmember = SSO_CONFIG_MAX_LIST;
	json = sso_config_json(A, &c);
	CU_ASSERT_EQUAL(sso_config_parse(A, json, strlen(json), &out), OR_OK);
	c.nmember = SSO_CONFIG_MAX_LIST + 1;
	json = sso_config_json(A, &c);
	CU_ASSERT_EQUAL(sso_config_parse(A, json, strlen(json), &out), OR_ERR_INVALID);
}

/* Resolve a discovery document; *key_ok gets the oidc.token_auth check's verdict. */
static sso_idp
resolve(const char *doc, bool *key_ok, const char **message)
{
	static sso_report r;
	const sso_check *c;
	sso_idp idp;

	sso_report_init(&r, "oidc");
	sso_config_resolve_oidc(A, doc, strlen(doc), &idp, &r);
	c = sso_report_find(&r, "oidc.token_auth");
	*key_ok = c && c->ok;
	*message = c ? c->message : "";
	CU_ASSERT_EQUAL(r.ok, *key_ok);
	return idp;
}

#define DOC(extra) \
	"{\"issuer\":\"https://idp.example\",\"authorization_endpoint\":\"https://idp.example/a\"," \
	"\"token_endpoint\":\"https://idp.example/t\",\"jwks_uri\":\"https://idp.example/k\"" extra "}"

static void
test_resolve_oidc(void)
{
	const char *msg;
	bool ok;
	sso_idp p;

	p = resolve(DOC(",\"userinfo_endpoint\":\"https://idp.example/u\","
			"\"id_token_signing_alg_values_supported\":[\"HS256\",\"PS256\",\"RS256\",\"none\",\"ES512\"]"), &ok, &msg);
	CU_ASSERT_TRUE(ok);
	CU_ASSERT_STRING_EQUAL(p.issuer, "https://idp.example");
	CU_ASSERT_STRING_EQUAL(p.token_endpoint, "https://idp.example/t");
	CU_ASSERT_STRING_EQUAL(p.userinfo_endpoint, "https://idp.example/u");
	CU_ASSERT_STRING_EQUAL(p.jwks_uri, "https://idp.example/k");
	CU_ASSERT_EQUAL(p.algs, JOSE_RS256 | JOSE_PS256);	/* HS256, none, ES512 never */
	/* No token_endpoint_auth_methods_supported: the spec's default. */
	CU_ASSERT_STRING_EQUAL(p.token_auth, "client_secret_basic");
	CU_ASSERT_FALSE(p.iss_param);
	/* RFC 9207: the promise is carried, so sign-in requires iss. */
	p = resolve(DOC(",\"authorization_response_iss_parameter_supported\":true"), &ok, &msg);
	CU_ASSERT_TRUE(p.iss_param);
	p = resolve(DOC(",\"authorization_response_iss_parameter_supported\":\"true\""), &ok, &msg);
	CU_ASSERT_FALSE(p.iss_param);
	p = resolve(DOC(",\"token_endpoint_auth_methods_supported\":[\"client_secret_post\",\"client_secret_basic\"]"), &ok, &msg);
	CU_ASSERT_STRING_EQUAL(p.token_auth, "client_secret_basic");
	p = resolve(DOC(",\"token_endpoint_auth_methods_supported\":[\"private_key_jwt\",\"client_secret_post\"]"), &ok, &msg);
	CU_ASSERT_STRING_EQUAL(p.token_auth, "client_secret_post");
	CU_ASSERT_PTR_NULL(p.userinfo_endpoint);
	p = resolve(DOC(",\"token_endpoint_auth_methods_supported\":[\"private_key_jwt\",\"tls_client_auth\"]"), &ok, &msg);
	CU_ASSERT_FALSE(ok);
	CU_ASSERT_PTR_NULL(p.token_auth);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "neither client_secret_basic nor client_secret_post"));
}

static void
test_alg_bits(void)
{
	CU_ASSERT_EQUAL(sso_config_alg_bit("RS256"), JOSE_RS256);
	CU_ASSERT_EQUAL(sso_config_alg_bit("PS256"), JOSE_PS256);
	CU_ASSERT_EQUAL(sso_config_alg_bit("ES256"), JOSE_ES256);
	CU_ASSERT_EQUAL(sso_config_alg_bit("rs256"), 0);
	CU_ASSERT_EQUAL(sso_config_alg_bit("HS256"), 0);
	CU_ASSERT_EQUAL(sso_config_alg_bit("none"), 0);
	CU_ASSERT_EQUAL(sso_config_alg_bit(NULL), 0);
}

static const unit_test tests[] = {
	{ "an OIDC config survives serialise and parse", test_round_trip },
	{ "a SAML config survives serialise and parse", test_saml_round_trip },
	{ "an incomplete OIDC config is refused", test_incomplete_oidc_refused },
	{ "malformed documents are refused", test_malformed_documents_refused },
	{ "lists are capped", test_list_cap },
	{ "the IdP is resolved from discovery", test_resolve_oidc },
	{ "algorithm names and bits", test_alg_bits },
	{ NULL, NULL }
};
UNIT_MAIN_SUITE("sso_config", tests, setup, teardown)
