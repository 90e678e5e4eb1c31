/*
 * Certificate facts for the SSO report (include/onramp/x509info.h).
 *
 * The base64 comes from XML text or JSON, so it arrives wrapped at 64 or 76
 * columns, indented with spaces or tabs, and sometimes without padding; we
 * strip XML whitespace, refuse anything else outside the alphabet, restore
 * the padding and let EVP_DecodeBlock do the rest (it does not report how
 * many bytes the padding stood for, so we subtract them ourselves).  Times
 * are converted with civil-date arithmetic (timefmt_days_from_civil), never
 * with the C library's time zone state.
 */
#include <stdint.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include "onramp/limits.h"
#include "onramp/timefmt.h"
#include "onramp/x509info.h"

static bool
is_xml_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool
is_b64(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
	       c == '/';
}

/* Copy the base64 without whitespace, padded to a multiple of 4; *pad = '=' count. */
static or_status
compact_b64(arena *a, const char *b64, size_t len, char **out, size_t *outlen, size_t *pad)
{
	size_t i, n = 0, eq = 0;
	char *s = arena_alloc(a, len + 4);

	if (s == NULL)
		return OR_ERR_NOMEM;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)b64[i];
		if (is_xml_space(c))
			continue;
		if (c == '=' && eq < 2)
			eq++;
		else if (!is_b64(c) || eq > 0)
			return OR_ERR_INVALID;
		s[n++] = (char)c;
	}
	if (n == 0 || n % 4 == 1)
		return OR_ERR_INVALID;
	while (n % 4 != 0) {
		s[n++] = '=';
		eq++;
	}
	if (eq > 2)
		return OR_ERR_INVALID;
	s[n] = '\0';
	*out = s;
	*outlen = n;
	*pad = eq;
	return OR_OK;
}

or_status
x509info_from_base64(arena *a, const char *b64, size_t len, sso_cert *out)
{
	unsigned char *der;
	char *s;
	size_t n, pad;
	int got;
	or_status st;

	if (b64 == NULL)
		return OR_ERR_INVALID;
	st = compact_b64(a, b64, len, &s, &n, &pad);
	if (st != OR_OK)
		return st;
	if (n / 4 * 3 - pad > LIMIT_X509_DER_BYTES)
		return OR_ERR_LIMIT;
	der = arena_alloc(a, n / 4 * 3 + 1);
	if (der == NULL)
		return OR_ERR_NOMEM;
	got = EVP_DecodeBlock(der, (const unsigned char *)s, (int)n);
	if (got < 0 || (size_t)got < pad)
		return OR_ERR_INVALID;
	if ((st = x509info_from_der(a, der, (size_t)got - pad, out)) == OR_OK)
		out->der_b64 = s;
	return st;
}

/* One-line RFC 2253 form, UTF-8 kept as is (not escaped to \XX). */
static const char *
name_line(arena *a, const X509_NAME *name)
{
	unsigned long flags = XN_FLAG_RFC2253 & ~(unsigned long)ASN1_STRFLGS_ESC_MSB;
	BIO *bio = BIO_new(BIO_s_mem());
	const char *res = NULL;
	char *p;
	long n;

	if (bio == NULL)
		return NULL;
	if (X509_NAME_print_ex(bio, name, 0, flags) >= 0) {
		n = BIO_get_mem_data(bio, &p);
		res = arena_strndup(a, n > 0 ? p : "", n > 0 ? (size_t)n : 0);
	}
	BIO_free(bio);
	return res;
}

static bool
unix_time(const ASN1_TIME *t, int64_t *out)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return false;
	*out = timefmt_days_from_civil((int64_t)tm.tm_year + 1900, (unsigned)tm.tm_mon + 1, (unsigned)tm.tm_mday) *
		       86400 +
	       tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec;
	return true;
}

static const char *
key_type_name(int id)
{
	switch (id) {
	case EVP_PKEY_RSA: return "RSA";
	case EVP_PKEY_RSA_PSS: return "RSA-PSS";
	case EVP_PKEY_DSA: return "DSA";
	case EVP_PKEY_EC: return "EC";
	case EVP_PKEY_ED25519: return "Ed25519";
	case EVP_PKEY_ED448: return "Ed448";
	default: return NULL;
	}
}

static void
fill_key(arena *a, X509 *x, sso_cert *out)
{
	EVP_PKEY *pk = X509_get0_pubkey(x);
	const char *name;

	out->key_type = "unknown";
	out->key_bits = 0;
	if (pk == NULL)
		return;
	name = key_type_name(EVP_PKEY_get_base_id(pk));
	if (name == NULL)
		name = OBJ_nid2sn(EVP_PKEY_get_base_id(pk));
	out->key_type = name != NULL ? arena_strdup(a, name) : "unknown";
	out->key_bits = EVP_PKEY_get_bits(pk);
}

/* Long name of the certificate's signature algorithm, or its dotted OID when OpenSSL has no name. */
static const char *
sig_alg_name(arena *a, const X509 *x)
{
	const X509_ALGOR *alg = NULL;
	const ASN1_OBJECT *obj = NULL;
	int nid = X509_get_signature_nid(x);
	char buf[128];

	if (nid != NID_undef && OBJ_nid2ln(nid) != NULL)
		return OBJ_nid2ln(nid);
	X509_get0_signature(NULL, &alg, x);
	if (alg != NULL)
		X509_ALGOR_get0(&obj, NULL, NULL, alg);
	if (obj == NULL || OBJ_obj2txt(buf, sizeof(buf), obj, 1) <= 0)
		return "unknown";
	return arena_strdup(a, buf);
}

static bool
fingerprint(const X509 *x, char out[96])
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0, i;

	if (X509_digest(x, EVP_sha256(), md, &n) != 1 || n != 32)
		return false;
	for (i = 0; i < n; i++) {
		out[i * 3] = hex[md[i] >> 4];
		out[i * 3 + 1] = hex[md[i] & 15];
		out[i * 3 + 2] = i + 1 < n ? ':' : '\0';
	}
	return true;
}

static or_status
fill(arena *a, X509 *x, sso_cert *out)
{
	out->subject = name_line(a, X509_get_subject_name(x));
	out->issuer = name_line(a, X509_get_issuer_name(x));
	out->sig_alg = sig_alg_name(a, x);
	fill_key(a, x, out);
	if (out->subject == NULL || out->issuer == NULL || out->sig_alg == NULL || out->key_type == NULL)
		return OR_ERR_NOMEM;
	if (!unix_time(X509_get0_notBefore(x), &out->not_before) ||
	    !unix_time(X509_get0_notAfter(x), &out->not_after) || !fingerprint(x, out->sha256))
		return OR_ERR_INVALID;
	return OR_OK;
}

or_status
x509info_from_der(arena *a, const unsigned char *der, size_t len, sso_cert *out)
{
	const unsigned char *p = der;
	X509 *x;
	or_status st;

	memset(out, 0, sizeof(*out));
	out->use = "";
	if (der == NULL || len == 0)
		return OR_ERR_INVALID;
	if (len > LIMIT_X509_DER_BYTES)
		return OR_ERR_LIMIT;
	x = d2i_X509(NULL, &p, (long)len);
	st = x == NULL || p != der + len ? OR_ERR_INVALID : fill(a, x, out);
	X509_free(x);
	if (st != OR_OK)
		ERR_clear_error();	/* leave no stale errors for the next OpenSSL caller */
	return st;
}

bool
x509info_weak_digest(const char *sig_alg)
{
	int nid, md = NID_undef, pk = NID_undef;

	if (sig_alg == NULL)
		return false;
	nid = OBJ_txt2nid(sig_alg);
	if (nid == NID_undef || !OBJ_find_sigid_algs(nid, &md, &pk))
		return false;
	return md == NID_md2 || md == NID_md4 || md == NID_md5 || md == NID_sha1 || md == NID_md5_sha1;
}
