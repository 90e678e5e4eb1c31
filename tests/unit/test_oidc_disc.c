/*
 * Unit tests for OIDC discovery validation (src/domain/oidc_disc.c,
 * oidc_json.c).  Every discovery document of the corpus must get the verdict
 * SOURCES.md gives, evaluated against the discovery URL listed there, with
 * the paired JWKS checked into the same report, the clock pinned to
 * 2026-11-23 and the claims form username=preferred_username, email=email,
 * groups=groups.  Key sets alone are tested in test_oidc_jwks.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "onramp/limits.h"
#include "onramp/oidc_disc.h"
#include "corpus.h"
#include "unit.h"

static const oidc_claims form = { "preferred_username", "email", "groups" };

/* --- the corpus ---------------------------------------------------------------- */

struct disc_case {
	const char *file, *url, *jwks;
	bool ok;
	const char *failed_key;		/* reject: the error check the document was chosen for */
	const char *warn[3];		/* claims checks that must warn (the others must pass) */
};

static const struct disc_case disc_cases[] = {
	{ "oidc/google_openid-configuration.json", "https://accounts.google.com/.well-known/openid-configuration",
	  "jwks/google_oauth2-v3-certs.json", true, NULL, { "oidc.claim.username", "oidc.claim.groups" } },
	{ "oidc/microsoft-entra_common-v2_openid-configuration.json",
	  "https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration",
	  "jwks/microsoft-entra_common-v2-keys.json", false, "oidc.issuer", { NULL } },
	{ "oidc/apple_openid-configuration.json", "https://appleid.apple.com/.well-known/openid-configuration",
	  "jwks/apple_auth-keys.json", true, NULL, { "oidc.claim.username", "oidc.claim.groups" } },
	{ "oidc/docker-auth0_openid-configuration.json", "https://login.docker.com/.well-known/openid-configuration",
	  "jwks/docker-auth0_jwks.json", true, NULL, { "oidc.claim.username", "oidc.claim.groups" } },
	{ "oidc/pingfederate_connect-interop_openid-configuration.json",
	  "https://connect-interop.pinglabs.org:9031/.well-known/openid-configuration",
	  "jwks/pingfederate_connect-interop_jwks.json", true, NULL, { NULL } },
	{ "oidc/identityserver_demo_openid-configuration_bom.json",
	  "https://demo.identityserver.io/.well-known/openid-configuration", "jwks/identityserver_demo_jwks_bom.json",
	  true, NULL, { "oidc.claim.groups" } },
	{ "oidc/adfs_2016-onprem_openid-configuration_bom.json",
	  "https://fs.contoso.com/adfs/.well-known/openid-configuration", NULL, true, NULL,
	  { "oidc.claim.username", "oidc.claim.email", "oidc.claim.groups" } },
	{ "oidc/invalid/facebook_implicit-only.json", "https://www.facebook.com/.well-known/openid-configuration",
	  NULL, false, "oidc.response_type_code", { NULL } },
	{ "oidc/invalid/cilogon_2016_no-jwks-uri.json", "https://cilogon.org/.well-known/openid-configuration", NULL,
	  false, "oidc.member.jwks_uri", { NULL } },
	{ "oidc/invalid/google_legacy_issuer-without-scheme.json",
	  "https://accounts.google.com/.well-known/openid-configuration", NULL, false, "oidc.issuer", { NULL } },
	{ "oidc/invalid/azure-workload-identity_sa-issuer.json",
	  "https://raw.githubusercontent.com/Azure/azure-workload-identity/testing-manifests/.well-known/"
	  "openid-configuration",
	  "jwks/azure-workload-identity_jwks.json", false, "oidc.member.authorization_endpoint", { NULL } },
};

static bool
in_list(const char *const *list, size_t n, const char *key)
{
	size_t i;

	for (i = 0; i < n && list[i]; i++)
		if (strcmp(list[i], key) == 0)
			return true;
	return false;
}

static void
check_claim_warnings(const struct disc_case *c, const sso_report *r)
{
	static const char *const keys[] = { "oidc.claim.username", "oidc.claim.email", "oidc.claim.groups" };
	size_t i;

	for (i = 0; i < 3; i++) {
		bool want = in_list(c->warn, 3, keys[i]);
		if (failed(r, keys[i]) != want)
			fprintf(stderr, "%s: %s expected %s\n", c->file, keys[i], want ? "warning" : "none");
		CU_ASSERT_EQUAL(failed(r, keys[i]), want);
	}
}

static void
run_disc_case(arena *a, const struct disc_case *c)
{
	sso_report r;
	size_t len = 0, jlen = 0;
	char *doc = corpus_read(c->file, &len), *jwks = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
	oidc_discovery_check(a, c->url, doc, len, &form, &r);
	if (c->jwks != NULL) {
		jwks = corpus_read(c->jwks, &jlen);
		CU_ASSERT_PTR_NOT_NULL_FATAL(jwks);
		oidc_jwks_check(a, jwks, jlen, CORPUS_NOW, &r);
		CU_ASSERT_TRUE(r.usable_keys > 0);
	}
	if (r.ok != c->ok || (c->failed_key && !failed(&r, c->failed_key)))
		fprintf(stderr, "%s: ok=%d, first error: %s\n", c->file, r.ok,
			sso_report_failed(&r, SSO_ERROR) ? sso_report_failed(&r, SSO_ERROR)->message : "none");
	CU_ASSERT_EQUAL(r.ok, c->ok);
	CU_ASSERT_EQUAL(sso_report_failed(&r, SSO_ERROR) == NULL, c->ok);
	if (c->failed_key)
		CU_ASSERT_TRUE(failed(&r, c->failed_key));
	if (c->ok)	/* SOURCES.md names the claims warnings of accepted documents */
		check_claim_warnings(c, &r);
	CU_ASSERT_STRING_EQUAL(r.protocol, "oidc");
	CU_ASSERT_PTR_NOT_NULL(r.entity_id);
	free(doc);
	free(jwks);
}

static void
test_corpus_discovery(void)
{
	arena *a = arena_new(LIMIT_ARENA_BYTES);
	size_t i;

	for (i = 0; i < sizeof(disc_cases) / sizeof(disc_cases[0]); i++) {
		run_disc_case(a, &disc_cases[i]);
		arena_reset(a);
	}
	arena_free(a);
}

/* --- hand-written discovery documents ------------------------------------------------- */

#define URL "https://idp.example.com/.well-known/openid-configuration"

static const char base_doc[] =
	"{\"issuer\":\"https://idp.example.com\","
	"\"authorization_endpoint\":\"https://idp.example.com/authorize\","
	"\"token_endpoint\":\"https://idp.example.com/token\","
	"\"userinfo_endpoint\":\"https://idp.example.com/userinfo\","
	"\"jwks_uri\":\"https://idp.example.com/jwks\","
	"\"response_types_supported\":[\"code\",\"id_token\"],"
	"\"subject_types_supported\":[\"public\"],"
	"\"id_token_signing_alg_values_supported\":[\"RS256\"],"
	"\"claims_supported\":[\"sub\",\"preferred_username\",\"email\",\"groups\"]}";

static sso_report rep;

/* The base document with the members of overrides set (a null value deletes one), as arena text. */
static const char *
doc_with_flags(arena *a, const char *overrides, int flags)
{
	json_object *doc = json_tokener_parse(base_doc), *over = json_tokener_parse(overrides);
	const char *text;

	CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
	CU_ASSERT_PTR_NOT_NULL_FATAL(over);
	json_object_object_foreach(over, k, v) {
		if (v == NULL)
			json_object_object_del(doc, k);
		else
			json_object_object_add(doc, k, json_object_get(v));
	}
	text = arena_strdup(a, json_object_to_json_string_ext(doc, flags));
	json_object_put(doc);
	json_object_put(over);
	return text;
}

static const char *
doc_with(arena *a, const char *overrides)
{
	return doc_with_flags(a, overrides, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
}

static const sso_report *
disc(arena *a, const char *url, const char *json)
{
	oidc_discovery_check(a, url, json, strlen(json), &form, &rep);
	return &rep;
}

/* disc() of the base document changed by overrides. */
static const sso_report *
disc_with(arena *a, const char *url, const char *overrides)
{
	return disc(a, url, doc_with(a, overrides));
}

static void
test_good_document(void)
{
	arena *a = arena_new(LIMIT_ARENA_BYTES);
	const sso_report *r = disc(a, URL, base_doc);
	const char *escaped;
	char *bom;

	CU_ASSERT_TRUE(r->ok);
	CU_ASSERT_PTR_NULL(sso_report_failed(r, SSO_WARNING));
	CU_ASSERT_STRING_EQUAL(r->entity_id, "https://idp.example.com");
	CU_ASSERT_STRING_EQUAL(r->jwks_uri, "https://idp.example.com/jwks");
	CU_ASSERT_EQUAL(r->nendpoints, 4);
	CU_ASSERT_STRING_EQUAL(r->endpoints[0].kind, "authorization_endpoint");
	CU_ASSERT_STRING_EQUAL(r->endpoints[0].url, "https://idp.example.com/authorize");
	/* Escaped slashes are just slashes; a BOM and trailing whitespace are fine. */
	escaped = doc_with_flags(a, "{\"end_session_endpoint\":\"https://idp.example.com/logout\"}", JSON_C_TO_STRING_PLAIN);
	CU_ASSERT_PTR_NOT_NULL(strstr(escaped, "https:\\/\\/idp.example.com"));
	bom = arena_alloc(a, strlen(escaped) + 8);
	CU_ASSERT_PTR_NOT_NULL_FATAL(bom);
	memcpy(bom, "\xEF\xBB\xBF", 3);
	memcpy(bom + 3, escaped, strlen(escaped));
	memcpy(bom + 3 + strlen(escaped), "\r\n \n", 5);
	r = disc(a, URL, bom);
	CU_ASSERT_TRUE(r->ok);
	CU_ASSERT_STRING_EQUAL(r->entity_id, "https://idp.example.com");
	CU_ASSERT_EQUAL(r->nendpoints, 5);
	CU_ASSERT_STRING_EQUAL(r->endpoints[4].url, "https://idp.example.com/logout");
	arena_free(a);
}

static void
test_issuer_rules(void)
{
	arena *a = arena_new(LIMIT_ARENA_BYTES);
	const char *tenant = "https://idp.example.com/tenant/v2.0/.well-known/openid-configuration";
	const sso_report *r;

	r = disc_with(a, URL, "{\"issuer\":\"https://other.example.com\"}");
	CU_ASSERT_FALSE(r->ok);
	CU_ASSERT_TRUE(failed(r, "oidc.issuer"));
	CU_ASSERT_PTR_NOT_NULL(strstr(message(r, "oidc.issuer"), "\"https://other.example.com\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(message(r, "oidc.issuer"), "\"https://idp.example.com\""));
	r = disc_with(a, URL, "{\"issuer\":\"https://idp.example.com/\"}");
	CU_ASSERT_TRUE(r->ok);
	r = disc_with(a, URL, "{\"issuer\":\"https://idp.example.com//\"}");
	CU_ASSERT_TRUE(failed(r, "oidc.issuer"));
	r = disc_with(a, URL, "{\"issuer\":\"https://IDP.example.com\"}");
	CU_ASSERT_TRUE(failed(r, "oidc.issuer"));
	r = disc_with(a, URL, "{\"issuer\":\"https://idp.example.com.evil.example\"}");
	CU_ASSERT_TRUE(failed(r, "oidc.issuer"));
	r = disc_with(a, tenant, "{\"issuer\":\"https://idp.example.com/{tenantid}/v2.0\"}");
	CU_ASSERT_TRUE(failed(r, "oidc.issuer"));
	CU_ASSERT_PTR_NOT_NULL(strstr(message(r, "oidc.issuer"), "template"));
	r = disc_with(a, tenant, "{\"issuer\":\"https://idp.example.com/tenant/v2.0\"}");
	CU_ASSERT_TRUE(r->ok);
	r = disc_with(a, URL, "{\"issuer\":\"idp.example.com\"}");
	CU_ASSERT_TRUE(failed(r, "oidc.issuer"));
	CU_ASSERT_TRUE(failed(r, "oidc.https.issuer"));
	/* The issuer the customer typed (with its slash) gives the same verdict. */
	r = disc_with(a, "https://idp.example.com/", "{\"issuer\":\"https://idp.example.com/\"}");
	CU_ASSERT_TRUE(r->ok);
	arena_free(a);
}

static void
test_members(void)
{
	arena *a = arena_new(LIMIT_ARENA_BYTES);
	const sso_report *r;

	r = disc_with(a, URL, "{\"jwks_uri\":null}");
	CU_ASSERT_FALSE(r->ok);
	CU_ASSERT_TRUE(failed(r, "oidc.member.jwks_uri"));
	CU_ASSERT_PTR_NOT_NULL(strstr(message(r, "oidc.member.jwks_uri"), "\"jwks_uri\""));
	CU_ASSERT_PTR_NULL(r->jwks_uri);
	CU_ASSERT_EQUAL(sso_report_failed(r, SSO_ERROR), sso_report_find(r, "oidc.member.jwks_uri"));
	r = disc(a, URL, "{\"issuer\":\"https://idp.example.com\",\"response_types_supported\":[\"code\"]}");
	CU_ASSERT_TRUE(failed(r, "oidc.member.jwks_uri"));
	CU_ASSERT_TRUE(failed(r, "oidc.member.authorization_endpoint"));
	CU_ASSERT_TRUE(failed(r, "oidc.member.token_endpoint"));
	CU_ASSERT_TRUE(failed(r, "oidc.member.subject_types_supported"));
	CU_ASSERT_TRUE(failed(r, "oidc.member.id_token_signing_alg_values_supported"));
	CU_ASSERT_FALSE(failed(r, "oidc.member.issuer"));
	CU_ASSERT_FALSE(failed(r, "oidc.member.response_types_supported"));
	r = disc_with(a, URL, "{\"issuer\":5,\"subject_types_supported\":\"public\"}");
	CU_ASSERT_TRUE(failed(r, "oidc.member.issuer"));
	CU_ASSERT_PTR_NOT_NULL(strstr(message(r, "oidc.member.issuer"), "must be a string"));
	CU_ASSERT_TRUE(failed(r, "oidc.member.subject_types_supported"));
	CU_ASSERT_PTR_NOT_NULL(strstr(message(r, "oidc.member.subject_types_supported"), "must be a list"));
	r = disc(a, URL, "{\"issuer\":null}");
	CU_ASSERT_TRUE(failed(r, "oidc.member.issuer"));
	/* Implicit-only providers need no token endpoint, but fail on "code". */
	r = disc_with(a, URL, "{\"token_endpoint\":null,\"response_types_supported\":[\"id_token\",\"id_token token\"]}");
	CU_ASSERT_FALSE(failed(r, "oidc.member.token_endpoint"));
	CU_ASSERT_TRUE(failed(r, "oidc.response_type_code"));
	r = disc_with(a, URL, "{\"token_endpoint\":null}");
	CU_ASSERT_TRUE(failed(r, "oidc.member.token_endpoint"));
	arena_free(a);
}

static void
test_endpoints_and_flows(void)
{
	static const char *const es[] = { "PS256", "ES256", NULL };
	arena *a = arena_new(LIMIT_ARENA_BYTES);
	const sso_report *r;
	const char *doc;

	r = disc_with(a, URL, "{\"token_endpoint\":\"http://idp.example.com/token\","
			      "\"userinfo_endpoint\":\"https://idp.example.com/u#frag\"}");
	CU_ASSERT_FALSE(r->ok);
	CU_ASSERT_TRUE(failed(r, "oidc.https.token_endpoint"));
	CU_ASSERT_PTR_NOT_NULL(strstr(message(r, "oidc.https.token_endpoint"), "token_endpoint"));
	CU_ASSERT_PTR_NOT_NULL(strstr(message(r, "oidc.https.token_endpoint"), "http://idp.example.com/token"));
	CU_ASSERT_TRUE(failed(r, "oidc.https.userinfo_endpoint"));
	CU_ASSERT_FALSE(failed(r, "oidc.https.authorization_endpoint"));
	CU_ASSERT_FALSE(failed(r, "oidc.https.jwks_uri"));
	r = disc_with(a, URL, "{\"jwks_uri\":\"ftp://idp.example.com/jwks\","
			      "\"authorization_endpoint\":\"HTTP://idp.example.com/a\"}");
	CU_ASSERT_TRUE(failed(r, "oidc.https.jwks_uri"));
	CU_ASSERT_TRUE(failed(r, "oidc.https.authorization_endpoint"));
	r = disc_with(a, URL, "{\"response_types_supported\":[\"id_token\",\"code id_token\"]}");
	CU_ASSERT_FALSE(r->ok);
	CU_ASSERT_TRUE(failed(r, "oidc.response_type_code"));
	r = disc_with(a, URL, "{\"id_token_signing_alg_values_supported\":[\"ES256\",\"none\"]}");
	CU_ASSERT_FALSE(r->ok);
	CU_ASSERT_TRUE(failed(r, "oidc.signing_alg"));
	CU_ASSERT_PTR_NOT_NULL(strstr(message(r, "oidc.signing_alg"), "RS256"));
	CU_ASSERT_PTR_NOT_NULL(sso_report_find(r, "oidc.weak_algs"));
	doc = doc_with(a, "{\"id_token_signing_alg_values_supported\":[\"ES256\"]}");
	oidc_discovery_check_algs(a, URL, doc, strlen(doc), &form, es, &rep);
	CU_ASSERT_TRUE(rep.ok);
	arena_free(a);
}

static void
test_claims(void)
{
	arena *a = arena_new(LIMIT_ARENA_BYTES);
	const oidc_claims custom = { "upn", NULL, "roles" };
	const char *doc = doc_with(a, "{\"claims_supported\":[\"email\",\"upn\"]}");
	const sso_report *r = disc(a, URL, doc);

	CU_ASSERT_TRUE(r->ok);
	CU_ASSERT_TRUE(failed(r, "oidc.claim.username"));
	CU_ASSERT_EQUAL(sso_report_find(r, "oidc.claim.username")->severity, SSO_WARNING);
	CU_ASSERT_STRING_EQUAL(message(r, "oidc.claim.username"),
			       "preferred_username is not in the provider's claims_supported; check that the "
			       "provider sends it (some send it only when configured or for a particular scope).");
	CU_ASSERT_FALSE(failed(r, "oidc.claim.email"));
	CU_ASSERT_TRUE(failed(r, "oidc.claim.groups"));
	oidc_discovery_check(a, URL, doc, strlen(doc), &custom, &rep);
	CU_ASSERT_FALSE(failed(&rep, "oidc.claim.username"));
	CU_ASSERT_PTR_NULL(sso_report_find(&rep, "oidc.claim.email"));
	CU_ASSERT_TRUE(failed(&rep, "oidc.claim.groups"));
	oidc_discovery_check(a, URL, doc, strlen(doc), NULL, &rep);
	CU_ASSERT_PTR_NULL(sso_report_failed(&rep, SSO_WARNING));
	r = disc_with(a, URL, "{\"claims_supported\":null}");
	CU_ASSERT_PTR_NULL(sso_report_failed(r, SSO_WARNING));
	CU_ASSERT_PTR_NOT_NULL(sso_report_find(r, "oidc.claims_supported"));
	arena_free(a);
}

/*
 * Issue 16: a claim listed in claims_supported passed, yet its row read
 * "Warning" and the headline's warning count disagreed with the rows.  A
 * passed row shows info; the counts are the rows' own.
 */
static void
test_passed_rows_show_info(void)
{
	arena *a = arena_new(LIMIT_ARENA_BYTES);
	const sso_report *r = disc(a, URL, doc_with(a, "{\"claims_supported\":[\"email\",\"upn\"]}"));
	const sso_check *email = sso_report_find(r, "oidc.claim.email"), *user = sso_report_find(r, "oidc.claim.username");
	sso_counts k = sso_checks_count(r->checks, r->nchecks);
	size_t i, warned = 0, ok = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(email);
	CU_ASSERT_TRUE(email->ok);
	CU_ASSERT_EQUAL(sso_check_shown(email), SSO_INFO);
	CU_ASSERT_EQUAL(sso_check_shown(user), SSO_WARNING);
	for (i = 0; i < r->nchecks; i++) {
		warned += sso_check_shown(&r->checks[i]) == SSO_WARNING;
		ok += r->checks[i].ok;
	}
	CU_ASSERT_EQUAL(warned, 2);	/* username and groups are not listed */
	CU_ASSERT_EQUAL(k.warnings, warned);
	CU_ASSERT_EQUAL(k.passed, ok);
	CU_ASSERT_EQUAL(k.errors, 0);
	CU_ASSERT_EQUAL(k.errors + k.warnings + k.notes + k.passed, r->nchecks);
	arena_free(a);
}

static void
expect_unreadable(arena *a, const char *json, size_t len, const char *why)
{
	oidc_discovery_check(a, URL, json, len, &form, &rep);
	CU_ASSERT_FALSE(rep.ok);
	CU_ASSERT_TRUE(failed(&rep, "oidc.json"));
	if (strstr(message(&rep, "oidc.json"), why) == NULL)
		fprintf(stderr, "want \"%s\" in \"%s\"\n", why, message(&rep, "oidc.json"));
	CU_ASSERT_PTR_NOT_NULL(strstr(message(&rep, "oidc.json"), why));
	CU_ASSERT_EQUAL(rep.nchecks, 1);
}

static void
test_refused_documents(void)
{
	arena *a = arena_new(LIMIT_ARENA_BYTES);
	size_t big = LIMIT_OIDC_JSON_BYTES + 1, i;
	char *huge = malloc(big), deep[128];

	CU_ASSERT_PTR_NOT_NULL_FATAL(huge);
	memset(huge, ' ', big);
	huge[0] = '{';
	huge[big - 1] = '}';
	expect_unreadable(a, huge, big, "larger than 1 MiB");
	free(huge);
	for (i = 0; i < 40; i++)
		deep[i] = '[';
	for (; i < 80; i++)
		deep[i] = ']';
	expect_unreadable(a, deep, 80, "nested too deeply");
	expect_unreadable(a, "[]", 2, "not a JSON object");
	expect_unreadable(a, "\"issuer\"", 8, "not a JSON object");
	expect_unreadable(a, "{\"issuer\":\"x\"} {}", 17, "not valid JSON");
	expect_unreadable(a, "{\"issuer\":\"x\"}garbage", 21, "not valid JSON");
	expect_unreadable(a, "{\"issuer\":\"x\"", 13, "ends in the middle");
	expect_unreadable(a, "{\"issuer\":'x'}", 14, "not valid JSON");
	expect_unreadable(a, "{\"a\":1,}", 8, "not valid JSON");
	expect_unreadable(a, "{\"a\":\"\xff\"}", 9, "not valid JSON");
	expect_unreadable(a, "{\"a\":1}\0", 8, "NUL");
	expect_unreadable(a, "", 0, "empty");
	expect_unreadable(a, "\xEF\xBB\xBF \n", 5, "empty");
	expect_unreadable(a, NULL, 0, "empty");
	arena_free(a);
}

/* --- discovery URL derivation ------------------------------------------------------------ */

static or_status
derive(arena *a, const char *in, bool allow_http, const char **d, const char **iss)
{
	return oidc_discovery_url(a, in, allow_http, d, iss);
}

static void
test_discovery_url(void)
{
	arena *a = arena_new(LIMIT_ARENA_BYTES);
	const char *d, *iss;
	char *longurl;

	CU_ASSERT_EQUAL(derive(a, "https://login.example.com/tenant/v2.0", false, &d, &iss), OR_OK);
	CU_ASSERT_STRING_EQUAL(d, "https://login.example.com/tenant/v2.0/.well-known/openid-configuration");
	CU_ASSERT_STRING_EQUAL(iss, "https://login.example.com/tenant/v2.0");
	CU_ASSERT_EQUAL(derive(a, " https://login.docker.com/\n", false, &d, &iss), OR_OK);
	CU_ASSERT_STRING_EQUAL(d, "https://login.docker.com/.well-known/openid-configuration");
	CU_ASSERT_STRING_EQUAL(iss, "https://login.docker.com");
	CU_ASSERT_EQUAL(derive(a, "https://fs.contoso.com/adfs/.well-known/openid-configuration", false, &d, &iss),
			OR_OK);
	CU_ASSERT_STRING_EQUAL(d, "https://fs.contoso.com/adfs/.well-known/openid-configuration");
	CU_ASSERT_STRING_EQUAL(iss, "https://fs.contoso.com/adfs");
	CU_ASSERT_EQUAL(derive(a, "https://connect-interop.pinglabs.org:9031", false, &d, &iss), OR_OK);
	CU_ASSERT_STRING_EQUAL(d, "https://connect-interop.pinglabs.org:9031/.well-known/openid-configuration");
	CU_ASSERT_EQUAL(derive(a, "https://[2001:db8::1]:8443/realm", false, &d, &iss), OR_OK);
	CU_ASSERT_EQUAL(derive(a, "http://idp.example.com", false, &d, &iss), OR_ERR_INVALID);
	CU_ASSERT_PTR_NULL(d);
	CU_ASSERT_EQUAL(derive(a, "http://idp.example.com", true, &d, &iss), OR_OK);
	CU_ASSERT_STRING_EQUAL(iss, "http://idp.example.com");
	CU_ASSERT_EQUAL(derive(a, "https://user:pw@idp.example.com", false, &d, &iss), OR_ERR_INVALID);
	CU_ASSERT_EQUAL(derive(a, "https://user@idp.example.com/", false, &d, &iss), OR_ERR_INVALID);
	CU_ASSERT_EQUAL(derive(a, "https://idp.example.com/#frag", false, &d, &iss), OR_ERR_INVALID);
	CU_ASSERT_EQUAL(derive(a, "https://idp.example.com/?tenant=1", false, &d, &iss), OR_ERR_INVALID);
	CU_ASSERT_EQUAL(derive(a, "ftp://idp.example.com", false, &d, &iss), OR_ERR_INVALID);
	CU_ASSERT_EQUAL(derive(a, "idp.example.com", false, &d, &iss), OR_ERR_INVALID);
	CU_ASSERT_EQUAL(derive(a, "https://", false, &d, &iss), OR_ERR_INVALID);
	CU_ASSERT_EQUAL(derive(a, "https://idp example.com", false, &d, &iss), OR_ERR_INVALID);
	CU_ASSERT_EQUAL(derive(a, "https://idp.example.com:0/", false, &d, &iss), OR_ERR_INVALID);
	CU_ASSERT_EQUAL(derive(a, "https://idp.example.com:99999/", false, &d, &iss), OR_ERR_INVALID);
	CU_ASSERT_EQUAL(derive(a, "https://idp.example.com\\@evil.example", false, &d, &iss), OR_ERR_INVALID);
	CU_ASSERT_EQUAL(derive(a, NULL, false, &d, &iss), OR_ERR_INVALID);
	longurl = calloc(1, LIMIT_OIDC_URL + 32);
	CU_ASSERT_PTR_NOT_NULL_FATAL(longurl);
	memcpy(longurl, "https://a.example/", 18);
	memset(longurl + 18, 'p', LIMIT_OIDC_URL);
	CU_ASSERT_EQUAL(derive(a, longurl, false, &d, &iss), OR_ERR_LIMIT);
	free(longurl);
	oidc_discovery_check(a, "not a url", "{}", 2, &form, &rep);
	CU_ASSERT_TRUE(failed(&rep, "oidc.discovery_url"));
	arena_free(a);
}

/* Starve the arena at every size: checks degrade (missing strings, failed checks) but never crash. */
static void
test_arena_starvation(void)
{
	const struct disc_case *c = &disc_cases[5];	/* IdentityServer: BOM, x5c, claims */
	size_t len = 0, jlen = 0, limit;
	char *doc = corpus_read(c->file, &len), *keys = corpus_read(c->jwks, &jlen);
	sso_report r;

	CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
	CU_ASSERT_PTR_NOT_NULL_FATAL(keys);
	for (limit = 0; limit < 24 * 1024; limit += 97) {
		arena *a = arena_new(limit);
		CU_ASSERT_PTR_NOT_NULL_FATAL(a);
		oidc_discovery_check(a, c->url, doc, len, &form, &r);
		oidc_jwks_check(a, keys, jlen, CORPUS_NOW, &r);
		CU_ASSERT_EQUAL(sso_report_failed(&r, SSO_ERROR) == NULL, r.ok);
		arena_free(a);
	}
	free(doc);
	free(keys);
}

static bool
known_disc(const char *file)
{
	size_t i;

	for (i = 0; i < sizeof(disc_cases) / sizeof(disc_cases[0]); i++)
		if (strcmp(disc_cases[i].file, file) == 0)
			return true;
	return false;
}

/* SOURCES.md still parses into one discovery row per case above, so the corpus test cannot pass over nothing. */
static void
test_corpus_rows(void)
{
	corpus_check_rows("oidc/", CORPUS_ROWS_OIDC, known_disc, sizeof(disc_cases) / sizeof(disc_cases[0]));
}

static const unit_test tests[] = {
	{ "corpus: discovery documents get their SOURCES.md verdicts", test_corpus_discovery },
	{ "corpus: SOURCES.md has a row for each discovery case", test_corpus_rows },
	{ "a complete document passes; BOM and escaped slashes", test_good_document },
	{ "issuer equals the URL's issuer (trailing slash, template)", test_issuer_rules },
	{ "required members, each its own check", test_members },
	{ "https endpoints, code flow, signing algorithms", test_endpoints_and_flows },
	{ "claims named in the form against claims_supported", test_claims },
	{ "passed rows show info; counts come from the rows", test_passed_rows_show_info },
	{ "oversized, deep, non-object and trailing-garbage documents", test_refused_documents },
	{ "discovery URL from issuer or well-known URL", test_discovery_url },
	{ "a starved arena degrades without crashing", test_arena_starvation },
	{ NULL, NULL }
};

UNIT_MAIN("oidc_disc", tests)
