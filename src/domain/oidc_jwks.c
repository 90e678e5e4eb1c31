/*
 * JWKS checks (RFC 7517/7518): does the key set the discovery document points
 * to hold at least one signing key onramp can verify ID tokens with?  Each
 * candidate key is rebuilt as an OpenSSL 3 EVP_PKEY from its parameters
 * (OSSL_PARAM_BLD + EVP_PKEY_fromdata), which proves the numbers form a key;
 * RSA under 2048 bits is not used.  An x5c certificate (read by x509info.c)
 * is informative only: relying parties verify with n/e or x/y, so an expired
 * x5c is a warning.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "onramp/limits.h"
#include "onramp/oidc_disc.h"
#include "onramp/timefmt.h"
#include "onramp/x509info.h"
#include "oidc_internal.h"

/* Leave room in the report for the verdict after per-key remarks. */
#define ROOM (SSO_MAX_CHECKS - 4)

static const char *
key_name(arena *a, json_object *k, size_t idx)
{
	const char *kid = oidc_json_str(k, "kid");
	char buf[160];

	if (kid != NULL)
		snprintf(buf, sizeof(buf), "\"%.120s\"", kid);
	else
		snprintf(buf, sizeof(buf), "number %zu", idx + 1);
	kid = arena_strdup(a, buf);
	return kid ? kid : "?";
}

bool
oidc_jwk_signing(json_object *k, const char *kty)
{
	const char *use = oidc_json_str(k, "use");
	const char *alg = oidc_json_str(k, "alg");
	json_object *v;

	if (json_object_object_get_ex(k, "use", &v) && (use == NULL || strcmp(use, "sig") != 0))
		return false;
	if (!json_object_object_get_ex(k, "alg", &v))
		return true;
	if (alg == NULL)
		return false;
	if (strcmp(kty, "RSA") == 0)
		return (alg[0] == 'R' || alg[0] == 'P') && alg[1] == 'S' &&
		       (strcmp(alg + 2, "256") == 0 || strcmp(alg + 2, "384") == 0 || strcmp(alg + 2, "512") == 0);
	return strcmp(alg, "ES256") == 0 || strcmp(alg, "ES384") == 0 || strcmp(alg, "ES512") == 0;
}

static unsigned char *
b64_member(arena *a, json_object *k, const char *name, size_t *n)
{
	const char *s = oidc_json_str(k, name);

	if (s == NULL || *s == '\0')
		return NULL;
	return oidc_b64_decode(a, s, strlen(s), n);
}

static EVP_PKEY *
fromdata(const char *type, OSSL_PARAM_BLD *bld)
{
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	EVP_PKEY *pkey = NULL;

	if (params == NULL || ctx == NULL || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
		pkey = NULL;
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	return pkey;
}

static EVP_PKEY *
load_rsa(arena *a, json_object *k, const char **why)
{
	size_t nn = 0, en = 0;
	unsigned char *nb = b64_member(a, k, "n", &nn), *eb = b64_member(a, k, "e", &en);
	BIGNUM *n = NULL, *e = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	EVP_PKEY *pkey = NULL;

	*why = "its \"n\" or \"e\" is missing or not base64url";
	if (nb == NULL || eb == NULL || nn == 0 || en == 0 || en > 8)
		return NULL;
	*why = "its modulus or exponent is not a valid RSA public key";
	n = BN_bin2bn(nb, (int)nn, NULL);
	e = BN_bin2bn(eb, (int)en, NULL);
	if (n == NULL || e == NULL || !BN_is_odd(n) || !BN_is_odd(e) || BN_is_one(e) ||
	    BN_num_bits(n) > LIMIT_OIDC_RSA_BITS || BN_num_bits(n) < 512)
		goto out;
	bld = OSSL_PARAM_BLD_new();
	if (bld != NULL && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) == 1 &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) == 1)
		pkey = fromdata("RSA", bld);
out:
	OSSL_PARAM_BLD_free(bld);
	BN_free(n);
	BN_free(e);
	return pkey;
}

/* The curve's OpenSSL group name and coordinate size in bytes, or NULL. */
static const char *
ec_group(const char *crv, size_t *size)
{
	static const struct {
		const char *crv, *group;
		size_t size;
	} curves[] = { { "P-256", "prime256v1", 32 }, { "P-384", "secp384r1", 48 }, { "P-521", "secp521r1", 66 } };
	size_t i;

	for (i = 0; crv != NULL && i < sizeof(curves) / sizeof(curves[0]); i++)
		if (strcmp(crv, curves[i].crv) == 0) {
			*size = curves[i].size;
			return curves[i].group;
		}
	return NULL;
}

static EVP_PKEY *
load_ec(arena *a, json_object *k, const char **why)
{
	size_t size = 0, xn = 0, yn = 0;
	const char *group = ec_group(oidc_json_str(k, "crv"), &size);
	unsigned char *x = b64_member(a, k, "x", &xn), *y = b64_member(a, k, "y", &yn), *pt;
	OSSL_PARAM_BLD *bld;
	EVP_PKEY *pkey = NULL;

	*why = "its curve is not P-256, P-384 or P-521";
	if (group == NULL)
		return NULL;
	*why = "its \"x\" or \"y\" is missing, not base64url or not the curve's size";
	if (x == NULL || y == NULL || xn != size || yn != size || (pt = arena_alloc(a, 2 * size + 1)) == NULL)
		return NULL;
	pt[0] = 0x04;	/* uncompressed point: decoding it checks it lies on the curve */
	memcpy(pt + 1, x, size);
	memcpy(pt + 1 + size, y, size);
	*why = "its point is not on the curve";
	bld = OSSL_PARAM_BLD_new();
	if (bld != NULL && OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, group, 0) == 1 &&
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pt, 2 * size + 1) == 1)
		pkey = fromdata("EC", bld);
	OSSL_PARAM_BLD_free(bld);
	return pkey;
}

/* The leaf of x5c: record it for the summary and warn when it has expired at now. */
static void
check_x5c(arena *a, json_object *k, const char *name, int64_t now, sso_report *out)
{
	json_object *x5c, *leaf;
	sso_cert cert;
	char day[TIMEFMT_RFC3339_LEN];

	if (!json_object_object_get_ex(k, "x5c", &x5c) || !json_object_is_type(x5c, json_type_array) ||
	    (leaf = json_object_array_get_idx(x5c, 0)) == NULL || !json_object_is_type(leaf, json_type_string))
		return;
	if (x509info_from_base64(a, json_object_get_string(leaf), (size_t)json_object_get_string_len(leaf),
				 &cert) != OR_OK) {
		if (out->nchecks < ROOM)
			sso_report_add(out, a, "oidc.jwks.x5c", false, SSO_WARNING,
				       "The x5c certificate of key %s could not be read.", name);
		return;
	}
	cert.use = "signing";
	if (out->ncerts < SSO_MAX_CERTS)
		out->certs[out->ncerts++] = cert;
	if (cert.not_after < now && out->nchecks < ROOM) {
		timefmt_rfc3339(cert.not_after, day);
		sso_report_add(out, a, "oidc.jwks.x5c_expired", false, SSO_WARNING,
			       "The x5c certificate of key %s expired at %s; the key itself is still usable, but "
			       "the provider should publish a current certificate.", name, day);
	}
}

EVP_PKEY *
oidc_jwk_pkey(arena *a, json_object *k, const char **why, int *weak_bits)
{
	const char *kty = oidc_json_str(k, "kty");
	EVP_PKEY *pkey;
	int bits;

	*weak_bits = 0;
	*why = "its type is neither RSA nor EC";
	if (kty == NULL || (strcmp(kty, "RSA") != 0 && strcmp(kty, "EC") != 0))
		return NULL;
	pkey = strcmp(kty, "RSA") == 0 ? load_rsa(a, k, why) : load_ec(a, k, why);
	if (pkey == NULL || strcmp(kty, "RSA") != 0)
		return pkey;
	bits = EVP_PKEY_get_bits(pkey);
	if (bits >= LIMIT_MIN_RSA_BITS)
		return pkey;
	EVP_PKEY_free(pkey);
	*weak_bits = bits;
	return NULL;
}

/* Load one key; true when it is a usable signing key. */
static bool
check_key(arena *a, json_object *k, size_t idx, int64_t now, sso_report *out)
{
	const char *kty = oidc_json_str(k, "kty"), *why = "", *name;
	EVP_PKEY *pkey;
	int weak = 0;

	if (!json_object_is_type(k, json_type_object) || kty == NULL ||
	    (strcmp(kty, "RSA") != 0 && strcmp(kty, "EC") != 0) || !oidc_jwk_signing(k, kty))
		return false;
	name = key_name(a, k, idx);
	pkey = oidc_jwk_pkey(a, k, &why, &weak);
	if (pkey == NULL && weak > 0) {
		if (out->nchecks < ROOM)
			sso_report_add(out, a, "oidc.jwks.key_size", false, SSO_WARNING,
				       "Key %s is RSA %d bits; keys under %d bits are not used.", name, weak,
				       LIMIT_MIN_RSA_BITS);
		return false;
	}
	if (pkey == NULL) {
		if (out->nchecks < ROOM)
			sso_report_add(out, a, "oidc.jwks.key", false, SSO_WARNING,
				       "Key %s (%s) cannot be used: %s.", name, kty, why);
		return false;
	}
	EVP_PKEY_free(pkey);
	check_x5c(a, k, name, now, out);
	return true;
}

void
oidc_jwks_check(arena *a, const char *json, size_t len, int64_t now, sso_report *out)
{
	json_object *root, *keys;
	size_t i, n;
	int usable = 0;

	out->usable_keys = 0;
	root = oidc_json_object(a, json, len, "oidc.jwks.json", "key set (JWKS)", out);
	if (root == NULL)
		return;
	if (!json_object_object_get_ex(root, "keys", &keys) || !json_object_is_type(keys, json_type_array)) {
		sso_report_add(out, a, "oidc.jwks.keys", false, SSO_ERROR,
			       "The key set (JWKS) has no \"keys\" list.");
		json_object_put(root);
		return;
	}
	n = json_object_array_length(keys);
	if (n > LIMIT_OIDC_JWKS_KEYS) {
		sso_report_add(out, a, "oidc.jwks.too_many", false, SSO_WARNING,
			       "The key set holds %zu keys; only the first %u were examined.", n,
			       (unsigned)LIMIT_OIDC_JWKS_KEYS);
		n = LIMIT_OIDC_JWKS_KEYS;
	}
	for (i = 0; i < n; i++)
		usable += check_key(a, json_object_array_get_idx(keys, i), i, now, out);
	json_object_put(root);
	out->usable_keys = usable;
	if (usable > 0)
		sso_report_add(out, a, "oidc.jwks.usable", true, SSO_ERROR,
			       "The key set holds %d usable signing key%s.", usable, usable == 1 ? "" : "s");
	else
		sso_report_add(out, a, "oidc.jwks.usable", false, SSO_ERROR,
			       "The key set holds no usable signing key (RSA of at least 2048 bits, or EC on "
			       "P-256, P-384 or P-521).");
}
