/*
 * Cryptographic helpers (see include/onramp/secret.h): random tokens shown
 * once as base64url and stored as SHA-256 hex, constant-time comparison,
 * AES-256-GCM sealing of values that must be recovered later, and loading
 * the deployment's sealing key.  Sensitive stack buffers are cleansed
 * before every return.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "onramp/secret.h"
#include "onramp/str.h"

#define GCM_NONCE_BYTES SECRET_GCM_NONCE_BYTES
#define GCM_TAG_BYTES SECRET_GCM_TAG_BYTES
/* Sealed values are short seeds; refuse anything larger before allocating. */
#define SEAL_PLAIN_MAX 4096
#define SEALED_CHARS_MAX (((SEAL_PLAIN_MAX + GCM_NONCE_BYTES + GCM_TAG_BYTES) * 4 + 2) / 3)
/* A key file is 64 hex digits and some whitespace; anything much longer is not one. */
#define KEY_FILE_MAX 1024

static const char b64url_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

or_status
secret_random(unsigned char *buf, size_t n)
{
	while (n > 0) {
		int chunk = n > INT_MAX ? INT_MAX : (int)n;

		if (RAND_bytes(buf, chunk) != 1)
			return OR_ERR_INTERNAL;
		buf += chunk;
		n -= (size_t)chunk;
	}
	return OR_OK;
}

/* Characters of unpadded base64 for n bytes. */
static size_t
b64url_len(size_t n)
{
	return n / 3 * 4 + (n % 3 ? n % 3 + 1 : 0);
}

size_t
secret_b64url(const unsigned char *in, size_t n, char *out, size_t outsz)
{
	size_t i, o = 0;

	if (!out || n > SIZE_MAX / 2 || outsz < b64url_len(n) + 1)
		return 0;
	for (i = 0; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];

		out[o++] = b64url_alphabet[v >> 18];
		out[o++] = b64url_alphabet[(v >> 12) & 63];
		out[o++] = b64url_alphabet[(v >> 6) & 63];
		out[o++] = b64url_alphabet[v & 63];
	}
	if (n - i == 1) {
		out[o++] = b64url_alphabet[in[i] >> 2];
		out[o++] = b64url_alphabet[(in[i] & 3) << 4];
	} else if (n - i == 2) {
		uint32_t v = (uint32_t)in[i] << 8 | in[i + 1];

		out[o++] = b64url_alphabet[v >> 10];
		out[o++] = b64url_alphabet[(v >> 4) & 63];
		out[o++] = b64url_alphabet[(v << 2) & 63];
	}
	out[o] = '\0';
	return o;
}

/*
 * Strict unpadded base64url: every character valid, no impossible length,
 * unused trailing bits zero, so each byte string has exactly one spelling.
 */
static or_status
b64url_decode(const char *in, size_t n, unsigned char *out, size_t outsz, size_t *outlen)
{
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t i, o = 0;

	if (n % 4 == 1)
		return OR_ERR_INVALID;
	for (i = 0; i < n; i++) {
		int v = str_b64_value((unsigned char)in[i], STR_B64_URL);

		if (v < 0)
			return OR_ERR_INVALID;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o >= outsz)
				return OR_ERR_LIMIT;
			out[o++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	if (acc != 0)
		return OR_ERR_INVALID;
	*outlen = o;
	return OR_OK;
}

or_status
secret_token_new(char out[SECRET_TOKEN_LEN + 1])
{
	unsigned char raw[SECRET_TOKEN_BYTES];
	or_status st;

	out[0] = '\0';
	st = secret_random(raw, sizeof(raw));
	if (st == OR_OK && secret_b64url(raw, sizeof(raw), out, SECRET_TOKEN_LEN + 1) != SECRET_TOKEN_LEN)
		st = OR_ERR_INTERNAL;
	OPENSSL_cleanse(raw, sizeof(raw));
	return st;
}

void
secret_sha256_hex(const char *s, size_t len, char out[SECRET_HASH_HEX + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;

	/* An empty result never equals a stored 64-character hash, so failure cannot match. */
	out[0] = '\0';
	if (EVP_Digest(s ? s : "", s ? len : 0, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen * 2 != SECRET_HASH_HEX)
		return;
	for (i = 0; i < mdlen; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[SECRET_HASH_HEX] = '\0';
}

bool
secret_token_shape_ok(const char *s)
{
	size_t i;

	if (!s)
		return false;
	for (i = 0; i < SECRET_TOKEN_LEN; i++)
		if (str_b64_value((unsigned char)s[i], STR_B64_URL) < 0)
			return false;
	/* 43 characters carry 258 bits: the last one's two low bits are padding. */
	return s[SECRET_TOKEN_LEN] == '\0' && (str_b64_value((unsigned char)s[SECRET_TOKEN_LEN - 1], STR_B64_URL) & 3) == 0;
}

bool
secret_equal(const void *a, const void *b, size_t n)
{
	return n == 0 || CRYPTO_memcmp(a, b, n) == 0;
}

or_status
secret_gcm(const unsigned char key[SECRET_KEY_BYTES], const unsigned char nonce[GCM_NONCE_BYTES],
	const char *aad, const unsigned char *in, size_t n, unsigned char *out,
	unsigned char tag[GCM_TAG_BYTES], int enc)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	size_t aadlen = aad ? strlen(aad) : 0;
	or_status st = OR_ERR_INTERNAL;
	int outl = 0;

	if (!ctx)
		return OR_ERR_NOMEM;
	if (n > SEAL_PLAIN_MAX || aadlen > INT_MAX)
		goto out;
	if (EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL, enc) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, GCM_NONCE_BYTES, NULL) != 1 ||
	    EVP_CipherInit_ex(ctx, NULL, NULL, key, nonce, enc) != 1)
		goto out;
	if (aadlen && EVP_CipherUpdate(ctx, NULL, &outl, (const unsigned char *)aad, (int)aadlen) != 1)
		goto out;
	if (n && EVP_CipherUpdate(ctx, out, &outl, in, (int)n) != 1)
		goto out;
	if (!enc && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, GCM_TAG_BYTES, tag) != 1)
		goto out;
	/* GCM writes nothing at the end; out may be NULL when there was nothing to process. */
	if (EVP_CipherFinal_ex(ctx, n ? out + outl : out, &outl) != 1) {
		/* On opening, a failed final means the tag did not verify. */
		st = enc ? OR_ERR_INTERNAL : OR_ERR_INVALID;
		goto out;
	}
	if (enc && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, GCM_TAG_BYTES, tag) != 1)
		goto out;
	st = OR_OK;
out:
	EVP_CIPHER_CTX_free(ctx);
	return st;
}

or_status
secret_seal(const unsigned char key[SECRET_KEY_BYTES], const char *aad,
	    const unsigned char *plain, size_t n, char *out, size_t outsz)
{
	size_t rawlen = GCM_NONCE_BYTES + n + GCM_TAG_BYTES;
	unsigned char *raw = NULL;
	or_status st;

	if (!out || outsz == 0 || !key || (!plain && n))
		return OR_ERR_INVALID;
	out[0] = '\0';
	if (n > SEAL_PLAIN_MAX || outsz < b64url_len(rawlen) + 1)
		return OR_ERR_LIMIT;
	if (!(raw = malloc(rawlen)))
		return OR_ERR_NOMEM;
	st = secret_random(raw, GCM_NONCE_BYTES);
	if (st == OR_OK)
		st = secret_gcm(key, raw, aad, plain, n, raw + GCM_NONCE_BYTES,
			     raw + GCM_NONCE_BYTES + n, 1);
	if (st == OR_OK && secret_b64url(raw, rawlen, out, outsz) == 0)
		st = OR_ERR_INTERNAL;
	OPENSSL_cleanse(raw, rawlen);
	free(raw);
	return st;
}

or_status
secret_open(const unsigned char key[SECRET_KEY_BYTES], const char *aad, const char *sealed,
	    unsigned char *plain, size_t plainsz, size_t *n)
{
	size_t slen, rawlen = 0, ctlen;
	unsigned char *raw = NULL;
	or_status st;

	if (n)
		*n = 0;
	if (!key || !sealed || !n || (!plain && plainsz))
		return OR_ERR_INVALID;
	if ((slen = strnlen(sealed, SEALED_CHARS_MAX + 1)) > SEALED_CHARS_MAX)
		return OR_ERR_INVALID;
	if (!(raw = malloc(slen / 4 * 3 + 3)))
		return OR_ERR_NOMEM;
	st = b64url_decode(sealed, slen, raw, slen / 4 * 3 + 3, &rawlen);
	if (st != OR_OK || rawlen < GCM_NONCE_BYTES + GCM_TAG_BYTES) {
		st = OR_ERR_INVALID;
		goto out;
	}
	ctlen = rawlen - GCM_NONCE_BYTES - GCM_TAG_BYTES;
	if (ctlen > plainsz) {
		st = OR_ERR_LIMIT;
		goto out;
	}
	st = secret_gcm(key, raw, aad, raw + GCM_NONCE_BYTES, ctlen, plain,
		     raw + GCM_NONCE_BYTES + ctlen, 0);
	if (st == OR_OK)
		*n = ctlen;
	else if (ctlen)
		OPENSSL_cleanse(plain, ctlen);	/* never leave unauthenticated bytes behind */
out:
	OPENSSL_cleanse(raw, slen / 4 * 3 + 3);
	free(raw);
	return st;
}

/* Exactly 64 hex digits, whitespace anywhere ignored, nothing else. */
static or_status
parse_hex_key(const char *text, size_t len, unsigned char key[SECRET_KEY_BYTES])
{
	size_t i, digits = 0;

	for (i = 0; i < len; i++) {
		char c = text[i];
		int v;

		if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
			continue;
		if ((v = str_hex_value(c)) < 0 || digits == 2 * SECRET_KEY_BYTES)
			return OR_ERR_INVALID;
		if (digits % 2 == 0)
			key[digits / 2] = (unsigned char)(v << 4);
		else
			key[digits / 2] |= (unsigned char)v;
		digits++;
	}
	return digits == 2 * SECRET_KEY_BYTES ? OR_OK : OR_ERR_INVALID;
}

or_status
secret_key_load(const char *path, unsigned char key[SECRET_KEY_BYTES])
{
	char text[KEY_FILE_MAX + 1];
	unsigned char tmp[SECRET_KEY_BYTES];
	size_t len;
	or_status st;
	FILE *f;

	if (!path || !key)
		return OR_ERR_INVALID;
	if (!(f = fopen(path, "re")))
		return OR_ERR_IO;
	len = fread(text, 1, sizeof(text), f);
	st = ferror(f) ? OR_ERR_IO : OR_OK;
	fclose(f);
	if (st == OR_OK && len > KEY_FILE_MAX)
		st = OR_ERR_INVALID;
	if (st == OR_OK)
		st = parse_hex_key(text, len, tmp);
	if (st == OR_OK)
		memcpy(key, tmp, sizeof(tmp));
	OPENSSL_cleanse(text, sizeof(text));
	OPENSSL_cleanse(tmp, sizeof(tmp));
	return st;
}
