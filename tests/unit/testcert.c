/*
 * Test certificates made at test time (tests/unit/testcert.h).  Keys are
 * generated once per size and process and kept for the run; they never
 * leave memory.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "testcert.h"

static EVP_PKEY *
key_for(int rsa_bits)
{
	static EVP_PKEY *rsa1024, *rsa2048, *ec;
	EVP_PKEY **slot = rsa_bits == 0 ? &ec : rsa_bits <= 1024 ? &rsa1024 : &rsa2048;

	if (*slot == NULL)
		*slot = rsa_bits == 0 ? EVP_EC_gen("P-256") : EVP_RSA_gen((unsigned)(rsa_bits <= 1024 ? 1024 : 2048));
	return *slot;
}

EVP_PKEY *
testcert_key(int rsa_bits)
{
	return key_for(rsa_bits);
}

static X509 *
make_with(const testcert_spec *s, EVP_PKEY *k)
{
	const EVP_MD *md = EVP_get_digestbyname(s->md);
	X509 *x = X509_new();
	X509_NAME *n;

	if (k == NULL || md == NULL || x == NULL)
		goto fail;
	n = X509_get_subject_name(x);
	if (X509_set_version(x, 2) != 1 || ASN1_INTEGER_set(X509_get_serialNumber(x), 4242) != 1 ||
	    ASN1_TIME_set(X509_getm_notBefore(x), (time_t)s->not_before) == NULL ||
	    ASN1_TIME_set(X509_getm_notAfter(x), (time_t)s->not_after) == NULL ||
	    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)s->cn, -1, -1, 0) != 1 ||
	    X509_set_issuer_name(x, n) != 1 || X509_set_pubkey(x, k) != 1 || X509_sign(x, k, md) <= 0)
		goto fail;
	return x;
fail:
	X509_free(x);
	return NULL;
}

unsigned char *
testcert_der(const testcert_spec *spec, size_t *len)
{
	return testcert_der_key(spec, key_for(spec->rsa_bits), len);
}

unsigned char *
testcert_der_key(const testcert_spec *spec, EVP_PKEY *key, size_t *len)
{
	X509 *x = make_with(spec, key);
	unsigned char *der = NULL, *p;
	int n;

	if (x == NULL)
		return NULL;
	n = i2d_X509(x, NULL);
	if (n > 0 && (der = malloc((size_t)n)) != NULL) {
		p = der;
		i2d_X509(x, &p);
		*len = (size_t)n;
	}
	X509_free(x);
	return der;
}

char *
testcert_base64(const testcert_spec *spec)
{
	size_t len = 0, i, o = 0, blen;
	unsigned char *der = testcert_der(spec, &len);
	unsigned char *flat;
	char *out;

	if (der == NULL)
		return NULL;
	flat = malloc(len / 3 * 4 + 8);
	blen = flat != NULL ? (size_t)EVP_EncodeBlock(flat, der, (int)len) : 0;
	out = malloc(blen + blen / 64 * 5 + 8);
	if (flat != NULL && out != NULL) {
		for (i = 0; i < blen; i++) {
			if (i > 0 && i % 64 == 0) {
				memcpy(out + o, "\n    ", 5);
				o += 5;
			}
			out[o++] = (char)flat[i];
		}
		out[o] = '\0';
	}
	free(der);
	free(flat);
	return out;
}
