/* Unit tests for the relying party's pure pieces (src/domain/oidc_rp.c) and str_urlencode. */
#include <string.h>

#include "onramp/oidc_rp.h"
#include "onramp/str.h"
#include "unit.h"

#define BROWSER "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
#define STATE "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"

/* Expected values computed with Python's hmac module, an independent implementation. */
static void
test_derive_vectors(void)
{
	char n[SECRET_TOKEN_LEN + 1], v[SECRET_TOKEN_LEN + 1];

	oidc_rp_derive(BROWSER, OIDC_RP_NONCE, STATE, n);
	oidc_rp_derive(BROWSER, OIDC_RP_PKCE, STATE, v);
	CU_ASSERT_STRING_EQUAL(n, "dGj9WrnKc2S-SduFqkAsjGtbfH4HKHNqZ3gfkiH5IP8");
	CU_ASSERT_STRING_EQUAL(v, "33IEWtLgW087hWnMbJgyXmHq7wZjrcoKuYOJvXsv-3Q");
}

/* Another browser (cookie) gives another verifier for the same state. */
static void
test_derive_depends_on_browser(void)
{
	char a[SECRET_TOKEN_LEN + 1], b[SECRET_TOKEN_LEN + 1];

	oidc_rp_derive(BROWSER, OIDC_RP_PKCE, STATE, a);
	oidc_rp_derive("CAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", OIDC_RP_PKCE, STATE, b);
	CU_ASSERT_EQUAL(strlen(a), SECRET_TOKEN_LEN);
	CU_ASSERT_STRING_NOT_EQUAL(a, b);
}

static void
test_urlencode(void)
{
	char out[64];
	const char *in = "a%:+/= ~._-*Z\xc3\xa9";

	CU_ASSERT_EQUAL(str_urlencode(out, sizeof(out), 0, in, strlen(in)), 31);
	CU_ASSERT_STRING_EQUAL(out, "a%25%3A%2B%2F%3D+%7E._-*Z%C3%A9");
	/* Too small: refused, not truncated. */
	CU_ASSERT_EQUAL(str_urlencode(out, 5, 0, in, strlen(in)), (size_t)-1);
}

static void
test_authorize_url(void)
{
	arena *a = arena_new(1 << 20);
	oidc_rp_authorize p = { "https://op.example/auth", "client 1", "https://rp.example/cb/acme", STATE, "N",
				"C", "ann@acme.example" };
	const char *u = oidc_rp_authorize_url(a, &p);

	CU_ASSERT_PTR_NOT_NULL_FATAL(u);
	CU_ASSERT_STRING_EQUAL(u, "https://op.example/auth?response_type=code&client_id=client+1"
				  "&redirect_uri=https%3A%2F%2Frp.example%2Fcb%2Facme&scope=openid+email+profile"
				  "&state=" STATE "&nonce=N&code_challenge=C&code_challenge_method=S256"
				  "&login_hint=ann%40acme.example");
	/* An endpoint with its own query keeps it. */
	p.endpoint = "https://op.example/auth?tenant=x";
	p.login_hint = NULL;
	u = oidc_rp_authorize_url(a, &p);
	CU_ASSERT_PTR_NOT_NULL_FATAL(u);
	CU_ASSERT_EQUAL(strncmp(u, "https://op.example/auth?tenant=x&response_type=code&", 51), 0);
	CU_ASSERT_PTR_NULL(strstr(u, "login_hint"));
	arena_free(a);
}

static void
test_token_form(void)
{
	char f[512];
	const unsigned char secret[] = "s%:+/= x";
	size_t n = oidc_rp_token_form(f, sizeof(f), "c/1", "https://rp/cb", "V", "id:1", NULL, 0);

	CU_ASSERT_EQUAL(n, strlen(f));
	CU_ASSERT_STRING_EQUAL(f, "grant_type=authorization_code&code=c%2F1&redirect_uri=https%3A%2F%2Frp%2Fcb"
				  "&code_verifier=V");
	n = oidc_rp_token_form(f, sizeof(f), "c", "r", "V", "id:1", secret, 8);
	CU_ASSERT_STRING_EQUAL(f, "grant_type=authorization_code&code=c&redirect_uri=r&code_verifier=V"
				  "&client_id=id%3A1&client_secret=s%25%3A%2B%2F%3D+x");
	/* Does not fit: 0 and the buffer wiped. */
	CU_ASSERT_EQUAL(oidc_rp_token_form(f, 40, "c", "r", "V", "id", secret, 8), 0);
	CU_ASSERT_EQUAL(f[0], '\0');
	CU_ASSERT_PTR_NULL(memchr(f, 's', 40));
}

static const unit_test tests[] = {
	{ "derive_vectors", test_derive_vectors },
	{ "derive_depends_on_browser", test_derive_depends_on_browser },
	{ "urlencode", test_urlencode },
	{ "authorize_url", test_authorize_url },
	{ "token_form", test_token_form },
	{ NULL, NULL }
};

UNIT_MAIN("oidc_rp", tests)
