/*
 * The relying party's pure pieces (include/onramp/oidc_rp.h): derivations,
 * the authorization URL and the token form.  The form is built in the
 * caller's fixed buffer, never a growing one, because a growing buffer frees
 * its old copies unwiped and the form may carry the client secret.
 */
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "onramp/oidc_rp.h"
#include "onramp/str.h"

void
oidc_rp_derive(const char *browser_token, oidc_rp_purpose purpose, const char *state,
	       char out[SECRET_TOKEN_LEN + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE], msg[16 + 2 * SECRET_TOKEN_LEN];
	unsigned int mdlen = 0;
	const char *label = purpose == OIDC_RP_PKCE ? "pkce|" : "nonce|";
	size_t ll = strlen(label), sl = strnlen(state, SECRET_TOKEN_LEN);

	memcpy(msg, label, ll);
	memcpy(msg + ll, state, sl);
	if (HMAC(EVP_sha256(), browser_token, (int)strnlen(browser_token, SECRET_TOKEN_LEN), msg, ll + sl, md,
		 &mdlen) == NULL || secret_b64url(md, 32, out, SECRET_TOKEN_LEN + 1) != SECRET_TOKEN_LEN)
		out[0] = '\0';
	OPENSSL_cleanse(md, sizeof(md));
}

const char *
oidc_rp_authorize_url(arena *a, const oidc_rp_authorize *p)
{
	size_t cap = strlen(p->endpoint) + 3 * (strlen(p->client_id) + strlen(p->redirect_uri) +
						 (p->login_hint ? strlen(p->login_hint) : 0) + 3 * SECRET_TOKEN_LEN) + 256;
	char *u = arena_alloc(a, cap);
	size_t pos;

	if (u == NULL)
		return NULL;
	pos = str_url_base(u, cap, p->endpoint);
	pos = str_url_param(u, cap, pos, "response_type", "code");
	pos = str_url_param(u, cap, pos, "client_id", p->client_id);
	pos = str_url_param(u, cap, pos, "redirect_uri", p->redirect_uri);
	pos = str_url_param(u, cap, pos, "scope", "openid email profile");
	pos = str_url_param(u, cap, pos, "state", p->state);
	pos = str_url_param(u, cap, pos, "nonce", p->nonce);
	pos = str_url_param(u, cap, pos, "code_challenge", p->code_challenge);
	pos = str_url_param(u, cap, pos, "code_challenge_method", "S256");
	if (p->login_hint)
		pos = str_url_param(u, cap, pos, "login_hint", p->login_hint);
	return pos == (size_t)-1 ? NULL : u;
}

/* Append "name=" (with a leading "&" after the first) and the encoded value. */
static size_t
field(char *out, size_t cap, size_t pos, const char *name, const char *v, size_t n)
{
	size_t nl = strlen(name);

	if (pos == (size_t)-1 || pos + nl + 2 >= cap)
		return (size_t)-1;
	if (pos > 0)
		out[pos++] = '&';
	memcpy(out + pos, name, nl);
	pos += nl;
	out[pos++] = '=';
	return str_urlencode(out, cap, pos, v, n);
}

size_t
oidc_rp_token_form(char *out, size_t cap, const char *code, const char *redirect_uri, const char *verifier,
		   const char *client_id, const unsigned char *secret, size_t secret_len)
{
	size_t pos = 0;

	if (cap == 0)
		return 0;
	out[0] = '\0';
	pos = field(out, cap, pos, "grant_type", "authorization_code", 18);
	pos = field(out, cap, pos, "code", code, strlen(code));
	pos = field(out, cap, pos, "redirect_uri", redirect_uri, strlen(redirect_uri));
	pos = field(out, cap, pos, "code_verifier", verifier, strlen(verifier));
	if (secret) {
		pos = field(out, cap, pos, "client_id", client_id, strlen(client_id));
		pos = field(out, cap, pos, "client_secret", (const char *)secret, secret_len);
	}
	if (pos == (size_t)-1) {
		OPENSSL_cleanse(out, cap);
		return 0;
	}
	return pos;
}
