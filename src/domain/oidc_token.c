/*
 * The OpenID Connect relying party's rules for what an ID token says (Core
 * 1.0 section 3.1.3.7), once jose.c has verified who signed it: issuer,
 * audience and authorized party, the times with the caller's skew, nonce and
 * subject; then the identity (subject, email, email_verified, username,
 * groups) under the customer's claim names, topped up from userinfo only for
 * the same subject.  Also the small pieces of the code exchange: the token
 * answer, the PKCE S256 challenge and the client_secret_basic header.
 */
#include <math.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "onramp/jose.h"
#include "onramp/limits.h"
#include "oidc_internal.h"

/* -1 absent, 0 not a number, 1 *out set (a NumericDate: seconds, fractions dropped). */
static int
numeric_date(json_object *o, const char *name, int64_t *out)
{
	json_object *v;
	double d;

	if (!json_object_object_get_ex(o, name, &v))
		return -1;
	if (json_object_is_type(v, json_type_int)) {
		*out = json_object_get_int64(v);
		return 1;
	}
	if (!json_object_is_type(v, json_type_double) || !isfinite(d = json_object_get_double(v)))
		return 0;
	*out = d >= 9.2e18 ? INT64_MAX : d <= -9.2e18 ? INT64_MIN : (int64_t)d;	/* toward zero: a fraction of a second never matters here */
	return 1;
}

static oidc_verdict
check_iss(arena *a, json_object *c, const oidc_expect *e, oidc_failure *why)
{
	const char *iss = oidc_json_text(c, "iss", LIMIT_OIDC_URL);
	size_t n;

	if (iss == NULL)
		return oidc_refuse(a, why, "iss", "The ID token names no issuer (iss).");
	if (strcmp(iss, e->issuer) == 0)
		return OIDC_OK;
	n = strlen(e->issuer);
	if ((strlen(iss) == n + 1 && strncmp(iss, e->issuer, n) == 0) ||
	    (strlen(iss) + 1 == n && strncmp(iss, e->issuer, n - 1) == 0))
		return oidc_refuse(a, why, "iss", "The ID token was issued by \"%s\", not by the approved issuer \"%s\" "
				   "(they differ in a trailing slash, and must match exactly).",
				   oidc_printable(a, iss, 200), oidc_printable(a, e->issuer, 200));
	return oidc_refuse(a, why, "iss", "The ID token was issued by \"%s\", not by the approved issuer \"%s\".",
			   oidc_printable(a, iss, 200), oidc_printable(a, e->issuer, 200));
}

/* aud contains client_id; several audiences need azp; azp, when present, is client_id. */
static oidc_verdict
check_aud(arena *a, json_object *c, const oidc_expect *e, oidc_failure *why)
{
	const char *cid = oidc_printable(a, e->client_id, 200), *azp = oidc_json_text(c, "azp", 1024);
	json_object *aud, *v;
	size_t i, n = 1;
	bool found = false;

	if (!json_object_object_get_ex(c, "aud", &aud) || json_object_is_type(aud, json_type_null))
		return oidc_refuse(a, why, "aud", "The ID token names no audience (aud); it must name onramp's client "
				   "ID \"%s\".", cid);
	if (json_object_is_type(aud, json_type_array))
		n = json_object_array_length(aud);
	for (i = 0; i < n; i++) {
		v = json_object_is_type(aud, json_type_array) ? json_object_array_get_idx(aud, i) : aud;
		if (!json_object_is_type(v, json_type_string))
			return oidc_refuse(a, why, "aud", "The ID token's audience (aud) is not a string or a list of "
					   "strings.");
		found |= (size_t)json_object_get_string_len(v) == strlen(e->client_id) &&
			 strcmp(json_object_get_string(v), e->client_id) == 0;
	}
	if (!found)
		return oidc_refuse(a, why, "aud", "The ID token is meant for another client: its audience (aud) does "
				   "not include onramp's client ID \"%s\". Check the client ID in the SSO settings.", cid);
	if (json_object_object_get_ex(c, "azp", &v) && (azp == NULL || strcmp(azp, e->client_id) != 0))
		return oidc_refuse(a, why, "azp", "The ID token's authorized party (azp) is not onramp's client ID "
				   "\"%s\".", cid);
	if (n > 1 && azp == NULL)
		return oidc_refuse(a, why, "azp", "The ID token names several audiences but no authorized party "
				   "(azp); onramp accepts that only when azp is its client ID \"%s\".", cid);
	return OIDC_OK;
}

static oidc_verdict
check_times(arena *a, json_object *c, const oidc_expect *e, oidc_failure *why)
{
	int64_t t = 0;
	int r;

	if ((r = numeric_date(c, "exp", &t)) <= 0)
		return oidc_refuse(a, why, "exp", r < 0 ? "The ID token has no expiry time (exp)." :
				   "The ID token's expiry time (exp) is not a number.");
	if (t <= e->now - e->skew_s)
		return oidc_refuse(a, why, "exp", "The ID token has expired (allowing %lld seconds of clock "
				   "difference). Sign in again; if it keeps happening, check the IdP's clock.",
				   (long long)e->skew_s);
	if ((r = numeric_date(c, "iat", &t)) <= 0)
		return oidc_refuse(a, why, "iat", r < 0 ? "The ID token has no issue time (iat)." :
				   "The ID token's issue time (iat) is not a number.");
	if (t > e->now + e->skew_s)
		return oidc_refuse(a, why, "iat", "The ID token says it was issued in the future (iat); check the "
				   "IdP's clock.");
	if ((r = numeric_date(c, "nbf", &t)) == 0 || (r > 0 && t > e->now + e->skew_s))
		return oidc_refuse(a, why, "nbf", "The ID token is not valid yet (nbf); check the IdP's clock.");
	return OIDC_OK;
}

static oidc_verdict
check_nonce_sub(arena *a, json_object *c, const oidc_expect *e, oidc_failure *why)
{
	const char *nonce = oidc_json_text(c, "nonce", 1024);
	json_object *v;

	if (e->nonce != NULL && nonce == NULL)
		return oidc_refuse(a, why, "nonce", "The ID token carries no nonce, but onramp sent one; the IdP must "
				   "return it in the ID token.");
	if (e->nonce != NULL && (strlen(nonce) != strlen(e->nonce) ||
				 CRYPTO_memcmp(nonce, e->nonce, strlen(nonce)) != 0))
		return oidc_refuse(a, why, "nonce", "The ID token's nonce is not the one of the sign-in onramp "
				   "started; start the sign-in again.");
	if (!json_object_object_get_ex(c, "sub", &v) || !json_object_is_type(v, json_type_string) ||
	    json_object_get_string_len(v) == 0)
		return oidc_refuse(a, why, "sub", "The ID token names no subject (sub).");
	if (oidc_json_text(c, "sub", LIMIT_OIDC_SUB_BYTES) == NULL)
		return oidc_refuse(a, why, "sub", "The ID token's subject (sub) is longer than %u bytes or contains a "
				   "NUL character.", LIMIT_OIDC_SUB_BYTES);
	return OIDC_OK;
}

/* -1 absent, 0 false or anything but a clear true, 1 true ("true" as a string counts: some IdPs send it so). */
static int
email_verified(json_object *o)
{
	json_object *v;

	if (!json_object_object_get_ex(o, "email_verified", &v))
		return -1;
	if (json_object_is_type(v, json_type_boolean))
		return json_object_get_boolean(v) ? 1 : 0;
	return json_object_is_type(v, json_type_string) && strcmp(json_object_get_string(v), "true") == 0;
}

/* The groups claim: a list of strings or one string, bounded; false (why set) when unusable. */
static bool
read_groups(arena *a, json_object *o, const char *name, oidc_identity *id, oidc_failure *why)
{
	json_object *g, *v;
	size_t i, n = 1;
	const char *s, **groups;

	if (!json_object_object_get_ex(o, name, &g) || json_object_is_type(g, json_type_null))
		return true;
	if (json_object_is_type(g, json_type_array) && (n = json_object_array_length(g)) > LIMIT_OIDC_GROUPS) {
		oidc_refuse(a, why, "groups", "The groups claim lists %zu groups; onramp reads at most %u. Have the IdP "
			    "send only the groups that matter for onramp (a group filter).", n, LIMIT_OIDC_GROUPS);
		return false;
	}
	groups = arena_calloc(a, n ? n : 1, sizeof(*groups));
	for (i = 0; groups != NULL && i < n; i++) {
		v = json_object_is_type(g, json_type_array) ? json_object_array_get_idx(g, i) : g;
		if ((s = oidc_json_text_of(v, LIMIT_OIDC_GROUP_BYTES)) == NULL) {
			oidc_refuse(a, why, "groups", "The groups claim must be a list of group names (strings of at "
				    "most %u bytes).", LIMIT_OIDC_GROUP_BYTES);
			return false;
		}
		if ((groups[i] = arena_strdup(a, s)) == NULL)
			break;
	}
	if (groups == NULL || i < n) {
		oidc_refuse(a, why, "internal", "onramp ran out of memory reading the groups.");
		return false;
	}
	id->groups = groups;
	id->ngroups = n;
	id->has_groups = true;
	return true;
}

static const char *
name_or(const char *name, const char *dflt)
{
	return name != NULL && *name != '\0' ? name : dflt;
}

/* Copy the claims of o that id lacks (all of them for a fresh id). */
static bool
take_claims(arena *a, json_object *o, const oidc_claims *names, oidc_identity *id, oidc_failure *why)
{
	oidc_claims none = { NULL, NULL, NULL };
	const char *email, *user;

	names = names ? names : &none;
	email = oidc_json_text(o, name_or(names->email, "email"), LIMIT_OIDC_CLAIM_BYTES);
	user = oidc_json_text(o, name_or(names->username, "preferred_username"), LIMIT_OIDC_CLAIM_BYTES);
	if (id->email == NULL && email != NULL) {
		id->email = arena_strdup(a, email);
		id->email_verified = email_verified(o);
	} else if (id->email != NULL && id->email_verified < 0 && email != NULL && strcmp(email, id->email) == 0) {
		id->email_verified = email_verified(o);	/* a verdict about this same address */
	}
	if (id->username == NULL && user != NULL)
		id->username = arena_strdup(a, user);
	if (!id->has_groups && !read_groups(a, o, name_or(names->groups, "groups"), id, why))
		return false;
	if ((email != NULL && id->email == NULL) || (user != NULL && id->username == NULL)) {
		oidc_refuse(a, why, "internal", "onramp ran out of memory reading the claims.");
		return false;
	}
	return true;
}

static oidc_verdict
check_claims(arena *a, json_object *c, const oidc_expect *e, oidc_failure *why)
{
	oidc_verdict v = check_iss(a, c, e, why);

	if (v == OIDC_OK)
		v = check_aud(a, c, e, why);
	if (v == OIDC_OK)
		v = check_times(a, c, e, why);
	if (v == OIDC_OK)
		v = check_nonce_sub(a, c, e, why);
	return v;
}

oidc_verdict
oidc_id_token_verify(arena *a, const char *jwt, size_t len, const char *jwks, size_t jwks_len, const oidc_expect *e,
		     const oidc_claims *names, oidc_identity *id, oidc_failure *why)
{
	const char *err = NULL;
	json_object *c;
	jose_jws jws;
	oidc_verdict v;

	memset(id, 0, sizeof(*id));
	id->email_verified = -1;
	if ((v = jose_jws_verify(a, jwt, len, jwks, jwks_len, e->algs, &jws, why)) != OIDC_OK)
		return v;
	if ((c = oidc_json_jose_object((const char *)jws.payload, jws.payload_len, &err)) == NULL)
		return oidc_refuse(a, why, "format", "The ID token's claims could not be read: %s.", err);
	v = check_claims(a, c, e, why);
	if (v == OIDC_OK) {
		id->sub = arena_strdup(a, oidc_json_text(c, "sub", LIMIT_OIDC_SUB_BYTES));
		id->issuer = arena_strdup(a, e->issuer);
		if (id->sub == NULL || id->issuer == NULL)
			v = oidc_refuse(a, why, "internal", "onramp ran out of memory reading the claims.");
		else if (!take_claims(a, c, names, id, why))
			v = OIDC_REFUSED;
	}
	json_object_put(c);
	return v;
}

bool
oidc_userinfo_merge(arena *a, const char *json, size_t len, const oidc_claims *names, oidc_identity *id,
		    oidc_failure *why)
{
	const char *err = NULL, *sub;
	json_object *o = oidc_json_jose_object(json, len, &err);
	bool ok;

	if (o == NULL) {
		oidc_refuse(a, why, "userinfo", "The IdP's userinfo answer could not be read: %s.", err);
		return false;
	}
	sub = oidc_json_text(o, "sub", LIMIT_OIDC_SUB_BYTES);
	if (sub == NULL || id->sub == NULL || strcmp(sub, id->sub) != 0) {
		json_object_put(o);
		oidc_refuse(a, why, "userinfo_sub", "The IdP's userinfo answer is about another user (its subject "
			    "differs from the ID token's), so onramp refuses the sign-in.");
		return false;
	}
	ok = take_claims(a, o, names, id, why);
	json_object_put(o);
	return ok;
}

/* RFC 6749 appendix A.7: error codes are printable ASCII without '"' and '\'. */
static const char *
oauth_text(arena *a, json_object *o, const char *name, size_t max)
{
	const char *s = oidc_json_text(o, name, max);
	size_t i;

	for (i = 0; s != NULL && s[i]; i++)
		if (s[i] < 0x20 || s[i] > 0x7e || s[i] == '"' || s[i] == '\\')
			return NULL;
	return s ? arena_strdup(a, s) : NULL;
}

or_status
oidc_token_response_parse(arena *a, const char *json, size_t len, const char **id_token, const char **access_token,
			  const char **error, const char **error_description)
{
	const char *err = NULL, *idt, *at;
	json_object *o = oidc_json_jose_object(json, len, &err), *v;
	or_status st = OR_OK;

	*id_token = *access_token = *error = *error_description = NULL;
	if (o == NULL)
		return OR_ERR_INVALID;
	if (json_object_object_get_ex(o, "error", &v)) {
		*error = oauth_text(a, o, "error", 64);
		*error = *error ? *error : "invalid_error";
		*error_description = oauth_text(a, o, "error_description", 512);
		st = OR_ERR_CONFLICT;
	} else if ((idt = oidc_json_text(o, "id_token", LIMIT_JOSE_TOKEN_BYTES)) == NULL || *idt == '\0') {
		st = OR_ERR_INVALID;
	} else {
		at = oidc_json_text(o, "access_token", LIMIT_JOSE_TOKEN_BYTES);
		*id_token = arena_strdup(a, idt);
		*access_token = at ? arena_strdup(a, at) : NULL;
		if (*id_token == NULL || (at != NULL && *access_token == NULL))
			st = OR_ERR_NOMEM;
	}
	json_object_put(o);
	return st;
}

void
oidc_pkce_challenge(const char *verifier, char out[44])
{
	unsigned char md[32], b64[48];
	unsigned int mdlen = 0;
	int i, n;

	if (EVP_Digest(verifier, strlen(verifier), md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32) {
		out[0] = '\0';
		return;
	}
	n = EVP_EncodeBlock(b64, md, 32);	/* 44 characters, the last one '=' */
	for (i = 0; i < 43 && i < n; i++)
		out[i] = b64[i] == '+' ? '-' : b64[i] == '/' ? '_' : (char)b64[i];
	out[43] = '\0';
}

char *
oidc_form_urlencode(arena *a, const char *s, size_t n)
{
	char *out = arena_alloc(a, 3 * n + 1);

	/* One encoder (str_urlencode) for the token form, the authorization URL and these credentials. */
	if (out != NULL && str_urlencode(out, 3 * n + 1, 0, s, n) == (size_t)-1)
		out = NULL;
	return out;
}

const char *
oidc_basic_auth(arena *a, const char *client_id, const char *secret, size_t secret_len)
{
	char *id = oidc_form_urlencode(a, client_id, strlen(client_id));
	char *sec = oidc_form_urlencode(a, secret, secret_len);
	size_t idn = id ? strlen(id) : 0, secn = sec ? strlen(sec) : 0, n = idn + 1 + secn;
	unsigned char *pair = id && sec ? arena_alloc(a, n) : NULL;
	char *out = pair ? arena_alloc(a, 6 + 4 * ((n + 2) / 3) + 1) : NULL;

	if (out != NULL) {
		memcpy(pair, id, idn);
		pair[idn] = ':';
		memcpy(pair + idn + 1, sec, secn);
		memcpy(out, "Basic ", 6);
		EVP_EncodeBlock((unsigned char *)out + 6, pair, (int)n);
	}
	if (sec != NULL)
		OPENSSL_cleanse(sec, secn);	/* the arena is reused, not wiped */
	if (pair != NULL)
		OPENSSL_cleanse(pair, n);
	return out;
}
