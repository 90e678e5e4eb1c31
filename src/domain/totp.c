/*
 * One-time passwords (see include/onramp/totp.h): RFC 4226 HOTP with
 * HMAC-SHA1 and dynamic truncation, RFC 6238 time steps, RFC 4648 base32,
 * and the otpauth:// URI that authenticator apps scan.  Time is always a
 * parameter; the typed code is compared in constant time and a step once
 * used is never accepted again.
 */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "onramp/totp.h"

/* Longest secret the URI builder accepts: 64 bytes is 512 bits, far past the 160 used. */
#define URI_SECRET_MAX 64
/* A typed code is a few digits and spaces; anything longer is junk, not a code. */
#define CODE_INPUT_MAX 32

/* totp_uri spells these out in its query string. */
_Static_assert(TOTP_DIGITS == 6 && TOTP_STEP_S == 30, "update the otpauth:// parameters");

static const char b32_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

static uint32_t
hotp_digits(const unsigned char *secret, size_t len, uint64_t counter, unsigned digits)
{
	unsigned char msg[8], mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	uint32_t bin, mod = 1;
	unsigned i, off;

	if (digits < 1 || digits > 9 || len > INT32_MAX)
		return TOTP_CODE_ERROR;
	for (i = 0; i < 8; i++)
		msg[i] = (unsigned char)(counter >> (56 - 8 * i));
	if (!HMAC(EVP_sha1(), secret, (int)len, msg, sizeof(msg), mac, &maclen) || maclen < 20) {
		OPENSSL_cleanse(mac, sizeof(mac));
		return TOTP_CODE_ERROR;
	}
	off = mac[maclen - 1] & 0x0f;
	bin = (uint32_t)(mac[off] & 0x7f) << 24 | (uint32_t)mac[off + 1] << 16 |
	      (uint32_t)mac[off + 2] << 8 | (uint32_t)mac[off + 3];
	OPENSSL_cleanse(mac, sizeof(mac));
	for (i = 0; i < digits; i++)
		mod *= 10;
	return bin % mod;
}

uint32_t
totp_hotp(const unsigned char *secret, size_t len, uint64_t counter)
{
	return hotp_digits(secret, len, counter, TOTP_DIGITS);
}

/* RFC 6238 T = floor(now / X); times before 1970 have no step. */
static bool
step_at(int64_t now, int64_t *step)
{
	if (now < 0)
		return false;
	*step = now / TOTP_STEP_S;
	return true;
}

uint32_t
totp_code_digits(const unsigned char *secret, size_t len, int64_t now, unsigned digits)
{
	int64_t step;

	if (!step_at(now, &step))
		return TOTP_CODE_ERROR;
	return hotp_digits(secret, len, (uint64_t)step, digits);
}

uint32_t
totp_code(const unsigned char *secret, size_t len, int64_t now)
{
	return totp_code_digits(secret, len, now, TOTP_DIGITS);
}

/* Collect exactly TOTP_DIGITS digits from what a person typed, skipping blanks. */
static bool
parse_typed_code(const char *code, char digits[TOTP_DIGITS])
{
	size_t i, n = 0;

	for (i = 0; code[i]; i++) {
		char c = code[i];

		if (i >= CODE_INPUT_MAX)
			return false;
		if (c == ' ' || c == '\t')
			continue;
		if (c < '0' || c > '9' || n == TOTP_DIGITS)
			return false;
		digits[n++] = c;
	}
	return n == TOTP_DIGITS;
}

/* The code of one step as fixed-width ASCII digits; false when none can be made. */
static bool
step_digits(const unsigned char *secret, size_t len, int64_t step, char out[TOTP_DIGITS])
{
	uint32_t v = hotp_digits(secret, len, (uint64_t)step, TOTP_DIGITS);
	int i;

	if (v == TOTP_CODE_ERROR)
		return false;
	for (i = TOTP_DIGITS - 1; i >= 0; i--) {
		out[i] = (char)('0' + v % 10);
		v /= 10;
	}
	return true;
}

bool
totp_verify(const unsigned char *secret, size_t len, const char *code, int64_t now,
	    int64_t *last_step)
{
	char typed[TOTP_DIGITS], want[TOTP_DIGITS];
	int64_t cur, s, matched = -1;

	/* No replay record means no replay protection: refuse rather than guess. */
	if (!secret || len == 0 || !code || !last_step || !step_at(now, &cur))
		return false;
	if (!parse_typed_code(code, typed))
		return false;
	/* Every step in the window is computed and compared, so timing does not say which matched. */
	for (s = cur - 1; s <= cur + 1; s++) {
		bool same;

		if (s < 0 || !step_digits(secret, len, s, want))
			continue;
		same = CRYPTO_memcmp(typed, want, TOTP_DIGITS) == 0;
		if (same && s > *last_step)
			matched = s;
	}
	OPENSSL_cleanse(want, sizeof(want));
	OPENSSL_cleanse(typed, sizeof(typed));
	if (matched < 0)
		return false;
	*last_step = matched;
	return true;
}

size_t
totp_base32_encode(const unsigned char *in, size_t n, char *out, size_t outsz)
{
	size_t need = TOTP_BASE32_LEN(n), i, o = 0;
	uint32_t acc = 0;
	unsigned bits = 0;

	if (!out || outsz < need + 1 || n > (SIZE_MAX - 4) / 8)
		return 0;
	for (i = 0; i < n; i++) {
		acc = (acc << 8) | in[i];
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			out[o++] = b32_alphabet[(acc >> bits) & 31];
		}
	}
	if (bits > 0)
		out[o++] = b32_alphabet[(acc << (5 - bits)) & 31];
	out[o] = '\0';
	return o;
}

/* The 5-bit value of a base32 character in either case, or -1. */
static int
b32_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a';
	if (c >= '2' && c <= '7')
		return c - '2' + 26;
	return -1;
}

or_status
totp_base32_decode(const char *in, unsigned char *out, size_t outsz, size_t *outlen)
{
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t i, o = 0, chars = 0;

	if (outlen)
		*outlen = 0;
	if (!in || (!out && outsz))
		return OR_ERR_INVALID;
	for (i = 0; in[i]; i++) {
		int v;

		if (in[i] == ' ' || in[i] == '\t' || in[i] == '\n' || in[i] == '\r' || in[i] == '=')
			continue;
		if ((v = b32_value(in[i])) < 0)
			return OR_ERR_INVALID;
		chars++;
		acc = (acc << 5) | (uint32_t)v;
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			if (o >= outsz)
				return OR_ERR_LIMIT;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	/* 1, 3 or 6 characters past a full group cannot come from whole bytes. */
	if (chars % 8 == 1 || chars % 8 == 3 || chars % 8 == 6)
		return OR_ERR_INVALID;
	if (outlen)
		*outlen = o;
	return OR_OK;
}

/* A bounded writer for the URI: sets over instead of writing past cap. */
typedef struct uri_out {
	char *p;
	size_t len, cap;
	bool over;
} uri_out;

static void
put_c(uri_out *u, char c)
{
	if (u->len + 1 >= u->cap) {
		u->over = true;
		return;
	}
	u->p[u->len++] = c;
	u->p[u->len] = '\0';
}

static void
put_s(uri_out *u, const char *s)
{
	while (*s)
		put_c(u, *s++);
}

/* RFC 3986 percent-encoding: only unreserved characters stay as they are. */
static void
put_encoded(uri_out *u, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~') {
			put_c(u, (char)c);
		} else {
			put_c(u, '%');
			put_c(u, hex[c >> 4]);
			put_c(u, hex[c & 15]);
		}
	}
}

or_status
totp_uri(const char *issuer, const char *account, const unsigned char *secret,
	 size_t len, char *out, size_t outsz)
{
	char b32[TOTP_BASE32_LEN(URI_SECRET_MAX) + 1];
	uri_out u = { out, 0, outsz, false };

	if (!issuer || !*issuer || !account || !*account || !secret || len == 0 || !out || outsz == 0)
		return OR_ERR_INVALID;
	if (len > URI_SECRET_MAX)
		return OR_ERR_LIMIT;
	out[0] = '\0';
	totp_base32_encode(secret, len, b32, sizeof(b32));
	put_s(&u, "otpauth://totp/");
	put_encoded(&u, issuer);
	put_c(&u, ':');
	put_encoded(&u, account);
	put_s(&u, "?secret=");
	put_s(&u, b32);
	put_s(&u, "&issuer=");
	put_encoded(&u, issuer);
	put_s(&u, "&algorithm=SHA1&digits=6&period=30");
	OPENSSL_cleanse(b32, sizeof(b32));
	if (u.over) {
		OPENSSL_cleanse(out, outsz);
		out[0] = '\0';
		return OR_ERR_LIMIT;
	}
	return OR_OK;
}
