/*
 * Unit tests for the ID-token claim rules and the code-exchange pieces
 * (src/domain/oidc_token.c): iss, aud/azp, exp/iat/nbf with the skew, nonce,
 * sub, the identity and its bounds, userinfo merge, the token answer, PKCE
 * (RFC 7636 appendix B) and client_secret_basic (RFC 6749 section 2.3.1).
 * Tokens are signed at test time (jose_test.c).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "onramp/limits.h"
#include "jose_test.h"

static void
test_aud_array(void)
{
	json_object *c = jt_claims(), *aud = json_object_new_array();

	json_object_array_add(aud, json_object_new_string(CID));
	json_object_object_add(c, "aud", aud);
	CU_ASSERT_EQUAL(jt_verify(jt_mint("RS256", jt_rsa, "r1", c)), OIDC_OK);
	c = jt_claims();
	aud = json_object_new_array();
	json_object_array_add(aud, json_object_new_string("other-api"));
	json_object_array_add(aud, json_object_new_string(CID));
	json_object_object_add(c, "aud", aud);
	json_object_object_add(c, "azp", json_object_new_string(CID));
	CU_ASSERT_EQUAL(jt_verify(jt_mint("RS256", jt_rsa, "r1", c)), OIDC_OK);
}

static void
test_extra_aud_needs_azp(void)
{
	json_object *c = jt_claims(), *aud = json_object_new_array();

	json_object_array_add(aud, json_object_new_string(CID));
	json_object_array_add(aud, json_object_new_string("other-api"));
	json_object_object_add(c, "aud", json_object_get(aud));
	jt_refused(jt_verify(jt_mint("RS256", jt_rsa, "r1", c)), "azp");
	c = jt_claims();
	json_object_object_add(c, "aud", aud);
	json_object_object_add(c, "azp", json_object_new_string("other-api"));
	jt_refused(jt_verify(jt_mint("RS256", jt_rsa, "r1", c)), "azp");
	c = jt_claims();
	json_object_object_add(c, "azp", json_object_new_string("other-api"));	/* single aud, foreign azp */
	jt_refused(jt_verify(jt_mint("RS256", jt_rsa, "r1", c)), "azp");
}

/* ---- claims ------------------------------------------------------------------------------- */

static oidc_verdict
with_claim(const char *name, json_object *value)
{
	json_object *c = jt_claims();

	if (value != NULL)
		json_object_object_add(c, name, value);
	else
		json_object_object_del(c, name);
	return jt_verify(jt_mint("RS256", jt_rsa, "r1", c));
}

static void
test_iss(void)
{
	jt_refused(with_claim("iss", json_object_new_string("https://evil.example.com/tenant")), "iss");
	jt_refused(with_claim("iss", NULL), "iss");
	jt_refused(with_claim("iss", json_object_new_string(ISS "/")), "iss");
	CU_ASSERT_PTR_NOT_NULL(strstr(jt_why.message, "trailing slash"));
	jt_refused(with_claim("iss", json_object_new_string("HTTPS://idp.example.com/tenant")), "iss");
	jt_refused(with_claim("iss", json_object_new_int(1)), "iss");
}

static void
test_aud(void)
{
	json_object *aud = json_object_new_array();

	jt_refused(with_claim("aud", json_object_new_string("other-client")), "aud");
	jt_refused(with_claim("aud", NULL), "aud");
	jt_refused(with_claim("aud", json_object_new_string(CID "x")), "aud");
	jt_refused(with_claim("aud", json_object_new_array()), "aud");
	json_object_array_add(aud, json_object_new_int(1));
	jt_refused(with_claim("aud", aud), "aud");
}

static void
test_exp(void)
{
	jt_refused(with_claim("exp", NULL), "exp");
	CU_ASSERT_PTR_NOT_NULL(strstr(jt_why.message, "no expiry"));
	jt_refused(with_claim("exp", json_object_new_int64(NOW - 121)), "exp");
	jt_refused(with_claim("exp", json_object_new_int64(NOW - 120)), "exp");
	jt_refused(with_claim("exp", json_object_new_string("1900000000")), "exp");
	CU_ASSERT_EQUAL(with_claim("exp", json_object_new_int64(NOW - 119)), OIDC_OK);	/* inside the skew */
	CU_ASSERT_EQUAL(with_claim("exp", json_object_new_double((double)NOW + 0.5)), OIDC_OK);
}

static void
test_iat_nbf(void)
{
	jt_refused(with_claim("iat", NULL), "iat");
	CU_ASSERT_PTR_NOT_NULL(strstr(jt_why.message, "no issue time"));
	jt_refused(with_claim("iat", json_object_new_int64(NOW + 121)), "iat");
	CU_ASSERT_EQUAL(with_claim("iat", json_object_new_int64(NOW + 120)), OIDC_OK);
	jt_refused(with_claim("nbf", json_object_new_int64(NOW + 121)), "nbf");
	jt_refused(with_claim("nbf", json_object_new_boolean(1)), "nbf");
	CU_ASSERT_EQUAL(with_claim("nbf", json_object_new_int64(NOW + 100)), OIDC_OK);
}

static void
test_sub(void)
{
	char big[LIMIT_OIDC_SUB_BYTES + 2];

	jt_refused(with_claim("sub", NULL), "sub");
	jt_refused(with_claim("sub", json_object_new_string("")), "sub");
	jt_refused(with_claim("sub", json_object_new_int(42)), "sub");
	memset(big, 's', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	jt_refused(with_claim("sub", json_object_new_string(big)), "sub");
	big[LIMIT_OIDC_SUB_BYTES] = '\0';
	CU_ASSERT_EQUAL(with_claim("sub", json_object_new_string(big)), OIDC_OK);
	/* "admin\u0000x" must not read as "admin" */
	jt_refused(with_claim("sub", json_object_new_string_len("admin\0x", 7)), "sub");
}

static void
test_nonce(void)
{
	oidc_expect e = { ISS, CID, NULL, JOSE_ALL, NOW, 120 };
	char *t;

	jt_refused(with_claim("nonce", json_object_new_string("n-other")), "nonce");
	jt_refused(with_claim("nonce", NULL), "nonce");
	CU_ASSERT_PTR_NOT_NULL(strstr(jt_why.message, "no nonce"));
	jt_refused(with_claim("nonce", json_object_new_string(NONCE "x")), "nonce");
	json_object *c = jt_claims();
	json_object_object_del(c, "nonce");
	t = jt_mint("RS256", jt_rsa, "r1", c);
	CU_ASSERT_EQUAL(oidc_id_token_verify(jt_arena, t, strlen(t), jt_jwks, strlen(jt_jwks), &e, NULL, &jt_id, &jt_why), OIDC_OK);
}

static void
test_identity_claims(void)
{
	json_object *c = jt_claims(), *g = json_object_new_array();
	oidc_expect e = { ISS, CID, NONCE, JOSE_ALL, NOW, 120 };
	oidc_claims names = { "upn", "mail", "roles" };
	char *t;

	json_object_array_add(g, json_object_new_string("a"));
	json_object_array_add(g, json_object_new_string("b"));
	json_object_object_add(c, "roles", g);
	json_object_object_add(c, "mail", json_object_new_string("m@example.com"));
	json_object_object_add(c, "upn", json_object_new_string("m.user"));
	json_object_object_add(c, "email_verified", json_object_new_string("false"));
	t = jt_mint("ES256", jt_ec, "e1", c);
	CU_ASSERT_EQUAL_FATAL(oidc_id_token_verify(jt_arena, t, strlen(t), jt_jwks, strlen(jt_jwks), &e, &names, &jt_id, &jt_why),
			      OIDC_OK);
	CU_ASSERT_STRING_EQUAL(jt_id.email, "m@example.com");
	CU_ASSERT_STRING_EQUAL(jt_id.username, "m.user");
	CU_ASSERT_EQUAL(jt_id.email_verified, 0);
	CU_ASSERT_EQUAL_FATAL(jt_id.ngroups, 2);
	CU_ASSERT_STRING_EQUAL(jt_id.groups[1], "b");
	CU_ASSERT_EQUAL(with_claim("email_verified", json_object_new_string("true")), OIDC_OK);
	CU_ASSERT_EQUAL(jt_id.email_verified, 1);
	CU_ASSERT_EQUAL(with_claim("email_verified", json_object_new_int(1)), OIDC_OK);
	CU_ASSERT_EQUAL(jt_id.email_verified, 0);
	CU_ASSERT_EQUAL(with_claim("email_verified", NULL), OIDC_OK);
	CU_ASSERT_EQUAL(jt_id.email_verified, -1);
	CU_ASSERT_EQUAL(with_claim("groups", NULL), OIDC_OK);
	CU_ASSERT(!jt_id.has_groups);
	CU_ASSERT_EQUAL(jt_id.ngroups, 0);
}

static void
test_groups_bounded(void)
{
	json_object *g = json_object_new_array();
	size_t i;

	for (i = 0; i <= LIMIT_OIDC_GROUPS; i++)
		json_object_array_add(g, json_object_new_string("g"));
	jt_refused(with_claim("groups", g), "groups");
	g = json_object_new_array();
	json_object_array_add(g, json_object_new_string("ok"));
	json_object_array_add(g, json_object_new_int(3));
	jt_refused(with_claim("groups", g), "groups");
	g = json_object_new_array();
	json_object_array_add(g, json_object_new_string_len("admins\0x", 8));
	jt_refused(with_claim("groups", g), "groups");
	g = json_object_new_array();
	for (i = 0; i < LIMIT_OIDC_GROUPS; i++)
		json_object_array_add(g, json_object_new_string("g"));
	CU_ASSERT_EQUAL(with_claim("groups", g), OIDC_OK);
	CU_ASSERT_EQUAL(jt_id.ngroups, LIMIT_OIDC_GROUPS);
}

/* ---- userinfo, token answer, PKCE, client authentication --------------------------------------- */

static void
test_userinfo_merge(void)
{
	json_object *c = jt_claims();
	const char *ui;

	json_object_object_del(c, "email");
	json_object_object_del(c, "email_verified");
	json_object_object_del(c, "groups");
	CU_ASSERT_EQUAL_FATAL(jt_verify(jt_mint("RS256", jt_rsa, "r1", c)), OIDC_OK);
	ui = "{\"sub\":\"user-42-" MARK "\",\"email\":\"ana@example.com\",\"email_verified\":true,"
	     "\"preferred_username\":\"other\",\"groups\":[\"staff\"]}";
	CU_ASSERT_FATAL(oidc_userinfo_merge(jt_arena, ui, strlen(ui), NULL, &jt_id, &jt_why));
	CU_ASSERT_STRING_EQUAL(jt_id.email, "ana@example.com");
	CU_ASSERT_EQUAL(jt_id.email_verified, 1);
	CU_ASSERT_STRING_EQUAL(jt_id.username, "ana");	/* the ID token's value stays */
	CU_ASSERT(jt_id.has_groups);
	CU_ASSERT_STRING_EQUAL(jt_id.groups[0], "staff");
	/* email_verified about another address is not taken */
	c = jt_claims();
	json_object_object_del(c, "email_verified");
	CU_ASSERT_EQUAL_FATAL(jt_verify(jt_mint("RS256", jt_rsa, "r1", c)), OIDC_OK);
	ui = "{\"sub\":\"user-42-" MARK "\",\"email\":\"other@example.com\",\"email_verified\":true}";
	CU_ASSERT_FATAL(oidc_userinfo_merge(jt_arena, ui, strlen(ui), NULL, &jt_id, &jt_why));
	CU_ASSERT_STRING_EQUAL(jt_id.email, "ana@example.com");
	CU_ASSERT_EQUAL(jt_id.email_verified, -1);
	/* a groups claim it cannot read refuses the merge and leaves no half list behind */
	c = jt_claims();
	json_object_object_del(c, "groups");
	CU_ASSERT_EQUAL_FATAL(jt_verify(jt_mint("RS256", jt_rsa, "r1", c)), OIDC_OK);
	ui = "{\"sub\":\"user-42-" MARK "\",\"groups\":[\"staff\",7]}";
	CU_ASSERT_FATAL(!oidc_userinfo_merge(jt_arena, ui, strlen(ui), NULL, &jt_id, &jt_why));
	CU_ASSERT_STRING_EQUAL(jt_why.key, "groups");
	CU_ASSERT(!jt_id.has_groups);
	CU_ASSERT_PTR_NULL(jt_id.groups);
}

/* The userinfo answer json is refused with key, and nothing of it is taken. */
static void
userinfo_refused(const char *json, const char *key)
{
	jt_why.key = NULL;
	CU_ASSERT_FATAL(!oidc_userinfo_merge(jt_arena, json, strlen(json), NULL, &jt_id, &jt_why));
	CU_ASSERT_PTR_NOT_NULL_FATAL(jt_why.key);
	CU_ASSERT_STRING_EQUAL(jt_why.key, key);
	CU_ASSERT_PTR_NULL(jt_id.email);
}

static void
test_userinfo_sub_mismatch(void)
{
	json_object *c = jt_claims();

	json_object_object_del(c, "email");
	CU_ASSERT_EQUAL_FATAL(jt_verify(jt_mint("RS256", jt_rsa, "r1", c)), OIDC_OK);
	userinfo_refused("{\"sub\":\"someone-else\",\"email\":\"x@example.com\"}", "userinfo_sub");
	userinfo_refused("{\"email\":\"x@example.com\"}", "userinfo_sub");
	userinfo_refused("[]", "userinfo");
}

static void
test_token_response(void)
{
	const char *ok = "{\"access_token\":\"at\",\"token_type\":\"Bearer\",\"id_token\":\"a.b.c\",\"expires_in\":60}";
	const char *err = "{\"error\":\"invalid_grant\",\"error_description\":\"code used\"}";
	const char *bad = "{\"error\":\"x\\u0001\",\"error_description\":\"\\\"quote\"}";
	const char *it, *at, *e, *d;

	CU_ASSERT_EQUAL(oidc_token_response_parse(jt_arena, ok, strlen(ok), &it, &at, &e, &d), OR_OK);
	CU_ASSERT_STRING_EQUAL(it, "a.b.c");
	CU_ASSERT_STRING_EQUAL(at, "at");
	CU_ASSERT_PTR_NULL(e);
	CU_ASSERT_EQUAL(oidc_token_response_parse(jt_arena, err, strlen(err), &it, &at, &e, &d), OR_ERR_CONFLICT);
	CU_ASSERT_STRING_EQUAL(e, "invalid_grant");
	CU_ASSERT_STRING_EQUAL(d, "code used");
	CU_ASSERT_PTR_NULL(it);
	CU_ASSERT_EQUAL(oidc_token_response_parse(jt_arena, bad, strlen(bad), &it, &at, &e, &d), OR_ERR_CONFLICT);
	CU_ASSERT_STRING_EQUAL(e, "invalid_error");
	CU_ASSERT_PTR_NULL(d);
	CU_ASSERT_EQUAL(oidc_token_response_parse(jt_arena, "{\"access_token\":\"at\"}", 21, &it, &at, &e, &d), OR_ERR_INVALID);
	CU_ASSERT_EQUAL(oidc_token_response_parse(jt_arena, "<html>", 6, &it, &at, &e, &d), OR_ERR_INVALID);
	CU_ASSERT_EQUAL(oidc_token_response_parse(jt_arena, "{\"id_token\":\"a\",\"id_token\":\"b\"}", 32, &it, &at, &e, &d),
			OR_ERR_INVALID);
}

/* RFC 7636 appendix B. */
static void
test_pkce(void)
{
	char out[44];

	oidc_pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", out);
	CU_ASSERT_STRING_EQUAL(out, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
}

/* The decoded "id:secret" of a Basic header, form-urldecoded again. */
static char *
basic_decode(const char *hdr, char **secret_out, size_t *secret_len)
{
	unsigned char *raw = arena_alloc(jt_arena, strlen(hdr));
	char *p, *o, *colon;
	int n = EVP_DecodeBlock(raw, (const unsigned char *)hdr + 6, (int)strlen(hdr + 6));

	while (n > 0 && raw[n - 1] == '\0')
		n--;	/* EVP_DecodeBlock counts the padding as zero bytes */
	raw[n] = '\0';
	colon = strchr((char *)raw, ':');
	CU_ASSERT_PTR_NOT_NULL_FATAL(colon);
	*colon = '\0';
	for (p = colon + 1, o = colon + 1; *p; p++) {
		if (*p == '+') {
			*o++ = ' ';
		} else if (*p == '%') {
			char hex[3] = { p[1], p[2], 0 };
			*o++ = (char)strtol(hex, NULL, 16);
			p += 2;
		} else {
			*o++ = *p;
		}
	}
	*secret_out = colon + 1;
	*secret_len = (size_t)(o - (colon + 1));
	return (char *)raw;
}

static void
test_basic_auth(void)
{
	const char *secret = "a%b:c+d/e= f~\"\xc3\xa9";
	const char *h = oidc_basic_auth(jt_arena, "s6BhdRkqt3", "7Fjfp0ZBr1KtDRbnfVdmIw", 22);
	char *sec, *idp;
	size_t n;

	CU_ASSERT_STRING_EQUAL(h, "Basic czZCaGRSa3F0Mzo3RmpmcDBaQnIxS3REUmJuZlZkbUl3");	/* RFC 6749 2.3.1 */
	h = oidc_basic_auth(jt_arena, "client:1", secret, strlen(secret));
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	idp = basic_decode(h, &sec, &n);
	CU_ASSERT_STRING_EQUAL(idp, "client%3A1");
	CU_ASSERT_EQUAL(n, strlen(secret));
	CU_ASSERT(memcmp(sec, secret, n) == 0);
	CU_ASSERT_STRING_EQUAL(oidc_form_urlencode(jt_arena, "a%b:c+d/e= *-._~", 16), "a%25b%3Ac%2Bd%2Fe%3D+*-._%7E");
}

/*
 * Out of memory at every step: with the arena capped at each size from 0 up,
 * the verdict is either a complete identity or a refusal with a key and a
 * sentence (never a crash, never OK with a missing subject).
 */
static void
test_small_arenas(void)
{
	oidc_expect e = { ISS, CID, NONCE, JOSE_ALL, NOW, 120 };
	json_object *c = jt_claims(), *g = json_object_new_array();
	char *t;
	size_t limit, refusals = 0;
	oidc_verdict v = OIDC_REFUSED;

	json_object_array_add(g, json_object_new_string("a"));
	json_object_array_add(g, json_object_new_string("b"));
	json_object_object_add(c, "groups", g);
	t = jt_mint("ES256", jt_ec, "e1", c);
	for (limit = 0; limit < 64 * 1024 && v != OIDC_OK; limit += 64) {
		arena *a = arena_new(limit);
		CU_ASSERT_PTR_NOT_NULL_FATAL(a);
		jt_why.key = jt_why.message = NULL;
		v = oidc_id_token_verify(a, t, strlen(t), jt_jwks, strlen(jt_jwks), &e, NULL, &jt_id, &jt_why);
		if (v == OIDC_OK) {
			CU_ASSERT(jt_id.sub && jt_id.email && jt_id.username && jt_id.issuer && jt_id.ngroups == 2 &&
				  jt_id.groups[1] && strcmp(jt_id.groups[1], "b") == 0);
		} else {
			CU_ASSERT(jt_why.key != NULL && jt_why.message != NULL);
			refusals++;
		}
		arena_free(a);
	}
	CU_ASSERT_EQUAL(v, OIDC_OK);
	CU_ASSERT(refusals > 10);	/* the cap really cut into the run */
}

static const unit_test tests[] = {
	{ "aud array", test_aud_array },
	{ "extra aud needs azp", test_extra_aud_needs_azp },
	{ "iss", test_iss },
	{ "aud", test_aud },
	{ "exp", test_exp },
	{ "iat nbf", test_iat_nbf },
	{ "sub", test_sub },
	{ "nonce", test_nonce },
	{ "identity claims", test_identity_claims },
	{ "groups bounded", test_groups_bounded },
	{ "userinfo merge", test_userinfo_merge },
	{ "userinfo sub mismatch", test_userinfo_sub_mismatch },
	{ "token response", test_token_response },
	{ "PKCE S256", test_pkce },
	{ "basic auth", test_basic_auth },
	{ "small arenas", test_small_arenas },
	{ NULL, NULL }
};

UNIT_MAIN_SUITE("oidc_token", tests, jt_init, jt_clean)
