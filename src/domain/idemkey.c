/*
 * Idempotency-Key rules that need no I/O: the header's shape and the keyed
 * fingerprint of a request (see include/onramp/idemkey.h).
 */
#include <stdint.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "onramp/idemkey.h"
#include "onramp/limits.h"

bool
idemkey_valid(const char *s)
{
	size_t i;

	if (s == NULL || s[0] == '\0')
		return false;
	for (i = 0; s[i] != '\0'; i++)
		if (i >= LIMIT_IDEM_KEY || (unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
			return false;
	return true;
}

/* One field into the MAC: its length as 8 bytes big-endian, then its bytes. */
static bool
mac_field(EVP_MAC_CTX *ctx, const char *p, size_t n)
{
	unsigned char len[8];
	uint64_t v = n;
	int i;

	for (i = 7; i >= 0; i--, v >>= 8)
		len[i] = (unsigned char)(v & 0xff);
	return EVP_MAC_update(ctx, len, sizeof(len)) == 1 && (n == 0 || EVP_MAC_update(ctx, (const unsigned char *)p, n) == 1);
}

or_status
idemkey_request_hash(const unsigned char key[SECRET_KEY_BYTES], const char *method, or_str path, const char *query,
		     or_str body, char out[SECRET_HASH_HEX + 1])
{
	static const char label[] = "onramp-idempotency-v1";
	static const char hex[] = "0123456789abcdef";
	char digest_name[] = "SHA256";
	OSSL_PARAM params[] = { OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0),
				OSSL_PARAM_construct_end() };
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
	unsigned char md[32];
	size_t mdlen = 0, i;
	bool ok;

	out[0] = '\0';
	ok = ctx && EVP_MAC_init(ctx, key, SECRET_KEY_BYTES, params) == 1 && mac_field(ctx, label, sizeof(label) - 1) &&
	     mac_field(ctx, method, strlen(method)) && mac_field(ctx, path.ptr, path.len) &&
	     mac_field(ctx, query, strlen(query)) && mac_field(ctx, body.ptr, body.len) &&
	     EVP_MAC_final(ctx, md, &mdlen, sizeof(md)) == 1 && mdlen == sizeof(md);
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	if (!ok)
		return OR_ERR_INTERNAL;
	for (i = 0; i < mdlen; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 0xf];
	}
	out[SECRET_HASH_HEX] = '\0';
	return OR_OK;
}
