/*
 * JWS compact verification (RFC 7515) with keys from a JWKS (RFC 7517/7518).
 * The rules every OpenID relying party gets wrong somewhere are enforced
 * here once: strict base64url, one JSON object per part with unique member
 * names, the algorithm pinned by the caller's mask (never "none", never
 * HMAC, whose "key" an attacker can take from the public JWKS), crit refused
 * since onramp implements no extension, and the key chosen only from the
 * IdP's JWKS: a key in the token's own header (jwk, jku, x5u, x5c) would let
 * anyone sign.  JWK parameters become keys through oidc_jwk_pkey, the same
 * loader the JWKS check at validation uses.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/rsa.h>

#include "onramp/jose.h"
#include "onramp/limits.h"
#include "onramp/str.h"
#include "oidc_internal.h"

static const struct {
	const char *name, *kty;
	unsigned bit;
} algs[] = { { "RS256", "RSA", JOSE_RS256 }, { "PS256", "RSA", JOSE_PS256 }, { "ES256", "EC", JOSE_ES256 } };
#define NALGS (sizeof(algs) / sizeof(algs[0]))

/* A part of the compact form. */
typedef struct seg {
	const char *p;
	size_t n;
} seg;

unsigned
jose_alg_mask(const char *const *names, size_t n)
{
	unsigned mask = 0;
	size_t i, j;

	for (i = 0; names != NULL && i < n && names[i] != NULL; i++)
		for (j = 0; j < NALGS; j++)
			if (strcmp(names[i], algs[j].name) == 0)
				mask |= algs[j].bit;
	return mask;
}

const char *
jose_alg_name(unsigned bit)
{
	size_t j;

	for (j = 0; j < NALGS; j++)
		if (algs[j].bit == bit)
			return algs[j].name;
	return NULL;
}

static const char *
alg_kty(unsigned bit)
{
	size_t j;

	for (j = 0; j < NALGS; j++)
		if (algs[j].bit == bit)
			return algs[j].kty;
	return "";
}

oidc_verdict
oidc_refuse(arena *a, oidc_failure *why, const char *key, const char *fmt, ...)
{
	char buf[768];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	why->key = key;
	why->message = n >= 0 ? arena_strdup(a, buf) : NULL;
	if (why->message == NULL)
		why->message = "onramp could not check the sign-in (out of memory); try again.";
	return OIDC_REFUSED;
}

const char *
oidc_printable(arena *a, const char *s, size_t max)
{
	size_t i, n = strnlen(s, max);
	char *out = arena_strndup(a, s, n);

	if (out == NULL)
		return "?";
	for (i = 0; i < n; i++)
		if ((unsigned char)out[i] < 0x20 || (unsigned char)out[i] > 0x7e || out[i] == '"')
			out[i] = '?';
	return out;
}

/* The algorithms of mask as a sentence part: "RS256", "RS256 or ES256", "RS256, PS256 or ES256". */
static const char *
alg_list(arena *a, unsigned mask)
{
	char buf[64] = "", *out;
	size_t j, k = 0, total = 0;

	for (j = 0; j < NALGS; j++)
		total += (mask & algs[j].bit) != 0;
	if (total == 0)
		return "no algorithm (the approved configuration allows none of RS256, PS256 and ES256)";
	for (j = 0; j < NALGS; j++) {
		if (!(mask & algs[j].bit))
			continue;
		k++;
		if (k > 1)
			(void)str_copy(buf + strlen(buf), sizeof(buf) - strlen(buf), k == total ? " or " : ", ");
		(void)str_copy(buf + strlen(buf), sizeof(buf) - strlen(buf), algs[j].name);
	}
	out = arena_strdup(a, buf);
	return out ? out : "the approved algorithms";
}

/* Strict base64url (RFC 7515 section 2): URL alphabet, no padding, unused bits zero. */
static unsigned char *
b64url(arena *a, seg s, size_t *outlen)
{
	return oidc_b64_decode_ex(a, s.p, s.n, STR_B64_URL, true, outlen);
}

json_object *
oidc_json_jose_object(const char *json, size_t len, const char **why)
{
	json_object *o = oidc_json_parse_depth(json, len, LIMIT_JOSE_JSON_DEPTH, why);

	if (o == NULL)
		return NULL;
	if (!json_object_is_type(o, json_type_object))
		*why = "it is not a JSON object";
	else if (!oidc_json_members_unique(o, json, len))
		*why = "it names a member twice";
	else
		return o;
	json_object_put(o);
	return NULL;
}

/* header.payload.signature, header and payload non-empty. */
static oidc_verdict
split(arena *a, const char *jwt, size_t len, seg part[3], oidc_failure *why)
{
	const char *d1, *d2;
	size_t i, dots = 0;

	if (jwt == NULL || len == 0)
		return oidc_refuse(a, why, "format", "The IdP sent no ID token.");
	if (len > LIMIT_JOSE_TOKEN_BYTES)
		return oidc_refuse(a, why, "format", "The ID token is longer than %u KiB.", LIMIT_JOSE_TOKEN_BYTES / 1024);
	for (i = 0; i < len; i++)
		dots += jwt[i] == '.';
	if (dots == 4)
		return oidc_refuse(a, why, "format", "The ID token is encrypted (JWE); onramp accepts signed ID tokens: "
				   "turn ID-token encryption off for this client at the IdP.");
	d1 = memchr(jwt, '.', len);
	d2 = d1 ? memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - jwt)) : NULL;
	if (dots != 2 || d1 == jwt || d2 == d1 + 1)	/* an empty signature is refused by alg or signature */
		return oidc_refuse(a, why, "format", "The ID token is not a signed JWT (three parts separated by dots).");
	part[0] = (seg){ jwt, (size_t)(d1 - jwt) };
	part[1] = (seg){ d1 + 1, (size_t)(d2 - d1 - 1) };
	part[2] = (seg){ d2 + 1, len - (size_t)(d2 + 1 - jwt) };
	return OIDC_OK;
}

static json_object *
decode_header(arena *a, seg s, oidc_failure *why)
{
	size_t n = 0;
	unsigned char *raw = s.n / 4 * 3 <= LIMIT_JOSE_HEADER_BYTES ? b64url(a, s, &n) : NULL;
	const char *err = "it is not base64url";
	json_object *h;

	if (s.n / 4 * 3 > LIMIT_JOSE_HEADER_BYTES)
		err = "it is too long";
	if (raw != NULL && (h = oidc_json_jose_object((const char *)raw, n, &err)) != NULL)
		return h;
	oidc_refuse(a, why, "format", "The ID token's header could not be read: %s.", err);
	return NULL;
}

/* alg in the mask, no crit; kid a string when present. */
static oidc_verdict
check_header(arena *a, json_object *h, unsigned mask, unsigned *alg, const char **kid, oidc_failure *why)
{
	const char *name = oidc_json_text(h, "alg", 64), *shown;
	json_object *v;

	if (json_object_object_get_ex(h, "crit", &v))
		return oidc_refuse(a, why, "crit", "The ID token's header marks extensions as critical (crit); onramp "
				   "implements none, so it cannot accept the token.");
	if (name == NULL)
		return oidc_refuse(a, why, "alg", "The ID token's header names no signing algorithm (alg) onramp can "
				   "read.");
	shown = oidc_printable(a, name, 16);
	*alg = jose_alg_mask(&name, 1) & mask;
	if (strcmp(name, "none") == 0)
		return oidc_refuse(a, why, "alg", "The ID token is not signed (alg \"none\"); onramp accepts only %s "
				   "as your approved configuration allows.", alg_list(a, mask));
	if (*alg == 0)
		return oidc_refuse(a, why, "alg", "The ID token was signed with %s; onramp accepts only %s as your "
				   "approved configuration allows.", shown, alg_list(a, mask));
	*kid = NULL;
	if (json_object_object_get_ex(h, "kid", &v) && (*kid = oidc_json_text(h, "kid", 1024)) == NULL)
		return oidc_refuse(a, why, "format", "The ID token's key id (kid) is not a string onramp can read.");
	if (*kid != NULL && (*kid = arena_strdup(a, *kid)) == NULL)
		return oidc_refuse(a, why, "internal", "onramp could not check the sign-in (out of memory); try again.");
	return OIDC_OK;
}

static bool
has_verify_op(json_object *k)
{
	json_object *ops, *op;
	size_t i;

	if (!json_object_object_get_ex(k, "key_ops", &ops))
		return true;
	for (i = 0; json_object_is_type(ops, json_type_array) && i < json_object_array_length(ops); i++)
		if ((op = json_object_array_get_idx(ops, i)) != NULL && json_object_is_type(op, json_type_string) &&
		    strcmp(json_object_get_string(op), "verify") == 0)
			return true;
	return false;
}

/* May key k verify alg?  kty of the alg, a signing key, alg absent or equal, P-256 for ES256. */
static bool
fits(json_object *k, unsigned alg)
{
	const char *kty = oidc_json_str(k, "kty"), *kalg = oidc_json_str(k, "alg"), *crv;
	json_object *v;

	if (!json_object_is_type(k, json_type_object) || kty == NULL || strcmp(kty, alg_kty(alg)) != 0 ||
	    !oidc_jwk_signing(k, kty) || !has_verify_op(k))
		return false;
	if (json_object_object_get_ex(k, "alg", &v) && (kalg == NULL || strcmp(kalg, jose_alg_name(alg)) != 0))
		return false;
	crv = oidc_json_str(k, "crv");
	return alg != JOSE_ES256 || (crv != NULL && strcmp(crv, "P-256") == 0);
}

/* What the search for the signing key found. */
typedef struct pick {
	EVP_PKEY *key;
	int found_kid;		/* keys named by the kid */
	int usable;		/* usable keys (without kid: for the alg) */
	const char *problem;	/* why the last candidate could not be used */
} pick;

static void
consider(arena *a, json_object *k, unsigned alg, pick *p)
{
	const char *why = "";
	int weak = 0;
	EVP_PKEY *key;

	if (!fits(k, alg)) {
		p->problem = "it is not a signing key for this algorithm";
		return;
	}
	key = oidc_jwk_pkey(a, k, &why, &weak);
	if (key == NULL) {
		p->problem = weak ? "it is an RSA key under 2048 bits" : why;
		return;
	}
	if (++p->usable == 1)
		p->key = key;
	else
		EVP_PKEY_free(key);
}

static oidc_verdict
pick_verdict(arena *a, const char *kid, unsigned alg, pick *p, oidc_failure *why)
{
	const char *shown = kid ? oidc_printable(a, kid, 64) : NULL;

	if (kid != NULL && p->found_kid == 0) {
		oidc_refuse(a, why, "kid", "The ID token names key \"%s\", which is not in the IdP's key set (JWKS).",
			    shown);
		return OIDC_UNKNOWN_KID;
	}
	if (p->usable == 1 || (kid != NULL && p->usable > 0))
		return OIDC_OK;
	if (kid != NULL)
		return oidc_refuse(a, why, "key", "Key \"%s\" of the IdP's key set (JWKS) cannot verify %s: %s.", shown,
				   jose_alg_name(alg), p->problem ? p->problem : "it is unusable");
	if (p->usable > 1)
		return oidc_refuse(a, why, "kid", "The ID token names no key (kid) and the IdP's key set (JWKS) holds "
				   "%d %s keys, so onramp cannot tell which one signed it.", p->usable,
				   jose_alg_name(alg));
	oidc_refuse(a, why, "kid", "The ID token names no key (kid) and the IdP's key set (JWKS) holds no usable "
		    "%s key.", jose_alg_name(alg));
	return OIDC_UNKNOWN_KID;
}

/* The key the JWKS holds for (kid, alg); with several keys of one kid the first usable one. */
static oidc_verdict
pick_key(arena *a, const char *jwks, size_t jwks_len, unsigned alg, const char *kid, EVP_PKEY **out,
	 oidc_failure *why)
{
	const char *err = NULL, *kkid;
	json_object *root = oidc_json_parse(jwks, jwks_len, &err), *keys, *k;
	pick p = { NULL, 0, 0, NULL };
	oidc_verdict v;
	size_t i, n;

	if (root == NULL || !json_object_object_get_ex(root, "keys", &keys) ||
	    !json_object_is_type(keys, json_type_array)) {
		json_object_put(root);
		return oidc_refuse(a, why, "jwks", "The IdP's key set (JWKS) could not be read: %s.",
				   err ? err : "it has no \"keys\" list");
	}
	n = json_object_array_length(keys);
	for (i = 0; i < n && i < LIMIT_OIDC_JWKS_KEYS && !(kid && p.usable); i++) {
		k = json_object_array_get_idx(keys, i);
		kkid = json_object_is_type(k, json_type_object) ? oidc_json_str(k, "kid") : NULL;
		if (kid != NULL && (kkid == NULL || strcmp(kkid, kid) != 0))
			continue;
		p.found_kid++;
		consider(a, k, alg, &p);
	}
	json_object_put(root);
	if ((v = pick_verdict(a, kid, alg, &p, why)) != OIDC_OK) {
		EVP_PKEY_free(p.key);
		return v;
	}
	*out = p.key;
	return OIDC_OK;
}

/* JOSE's ES256 signature is r||s, 32 bytes each; OpenSSL wants DER. */
static unsigned char *
es256_der(arena *a, const unsigned char *sig, size_t siglen, size_t *derlen)
{
	ECDSA_SIG *es = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(sig, 32, NULL), *s = BN_bin2bn(sig + 32, 32, NULL);
	unsigned char *der = NULL, *p;
	int n;

	if (siglen != 64 || es == NULL || r == NULL || s == NULL || ECDSA_SIG_set0(es, r, s) != 1) {
		BN_free(r);
		BN_free(s);
		ECDSA_SIG_free(es);
		return NULL;
	}
	n = i2d_ECDSA_SIG(es, NULL);
	if (n > 0 && (der = p = arena_alloc(a, (size_t)n)) != NULL && i2d_ECDSA_SIG(es, &p) == n)
		*derlen = (size_t)n;
	else
		der = NULL;
	ECDSA_SIG_free(es);
	return der;
}

static bool
verify_sig(arena *a, unsigned alg, EVP_PKEY *key, seg input, const unsigned char *sig, size_t siglen)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	bool ok = false;

	if (alg == JOSE_ES256 && (sig = es256_der(a, sig, siglen, &siglen)) == NULL)
		goto out;
	if (ctx == NULL || EVP_DigestVerifyInit_ex(ctx, &pctx, "SHA256", NULL, NULL, key, NULL) != 1)
		goto out;
	if (alg == JOSE_PS256 && (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
				  EVP_PKEY_CTX_set_rsa_mgf1_md_name(pctx, "SHA256", NULL) != 1 ||
				  EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 32) != 1))
		goto out;
	ok = EVP_DigestVerify(ctx, sig, siglen, (const unsigned char *)input.p, input.n) == 1;
out:
	EVP_MD_CTX_free(ctx);
	ERR_clear_error();	/* a refusal must not leave errors for the worker's next OpenSSL call */
	return ok;
}

/* Signature and payload, once the key is known. */
static oidc_verdict
check_signature(arena *a, const seg part[3], unsigned alg, EVP_PKEY *key, jose_jws *out, oidc_failure *why)
{
	seg input = { part[0].p, part[0].n + 1 + part[1].n };
	size_t siglen = 0;
	unsigned char *sig = b64url(a, part[2], &siglen);

	if (sig == NULL)
		return oidc_refuse(a, why, "format", "The ID token's signature is not base64url.");
	if (siglen == 0)
		return oidc_refuse(a, why, "signature", "The ID token carries no signature.");
	if (!verify_sig(a, alg, key, input, sig, siglen))
		return oidc_refuse(a, why, "signature", "The ID token's %s signature does not verify with the IdP's key; "
				   "it was altered or signed with another key.", jose_alg_name(alg));
	out->payload = b64url(a, part[1], &out->payload_len);
	if (out->payload == NULL)
		return oidc_refuse(a, why, "format", "The ID token's claims are not base64url.");
	return OIDC_OK;
}

oidc_verdict
jose_jws_verify(arena *a, const char *jwt, size_t len, const char *jwks, size_t jwks_len, unsigned mask,
		jose_jws *out, oidc_failure *why)
{
	seg part[3] = { { NULL, 0 }, { NULL, 0 }, { NULL, 0 } };
	json_object *h;
	EVP_PKEY *key = NULL;
	oidc_verdict v;

	memset(out, 0, sizeof(*out));
	if ((v = split(a, jwt, len, part, why)) != OIDC_OK)
		return v;
	if ((h = decode_header(a, part[0], why)) == NULL)
		return OIDC_REFUSED;
	v = check_header(a, h, mask & JOSE_ALL, &out->alg, &out->kid, why);
	json_object_put(h);
	if (v == OIDC_OK)
		v = pick_key(a, jwks, jwks_len, out->alg, out->kid, &key, why);
	if (v == OIDC_OK)
		v = check_signature(a, part, out->alg, key, out, why);
	EVP_PKEY_free(key);
	return v;
}
