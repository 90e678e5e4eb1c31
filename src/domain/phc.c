/*
 * Argon2id PHC strings (see include/onramp/phc.h), in the grammar of
 * libargon2's encoding.c: "$argon2id", an optional "$v=<n>", then
 * "$m=<n>,t=<n>,p=<n>$<salt>$<hash>"; numbers are minimal decimal (no
 * leading zero) that fit 32 bits; binary fields are standard base64 without
 * padding whose unused trailing bits are zero. Base64 characters map through
 * arithmetic masks, as in libargon2, so decoding a stored hash takes the same
 * time whatever its bytes.
 */
#include <stdio.h>
#include <string.h>

#include "onramp/phc.h"

#define TYPE_PREFIX "$argon2id"

/* 0xFF when x == y, else 0 (x, y in 0..255), without a branch. */
static unsigned
eq(unsigned x, unsigned y)
{
	return (((0U - (x ^ y)) >> 8) & 0xFF) ^ 0xFF;
}

/* 0xFF when x < y, else 0 (x, y in 0..255). */
static unsigned
lt(unsigned x, unsigned y)
{
	return ((x - y) >> 8) & 0xFF;
}

/* 0xFF when lo <= x <= hi, else 0. */
static unsigned
within(unsigned x, unsigned lo, unsigned hi)
{
	return (lt(x, lo) ^ 0xFF) & (lt(hi, x) ^ 0xFF);
}

static char
b64_char(unsigned x)
{
	return (char)((within(x, 0, 25) & (x + 'A')) | (within(x, 26, 51) & (x + 'a' - 26)) |
		      (within(x, 52, 61) & (x + '0' - 52)) | (eq(x, 62) & '+') | (eq(x, 63) & '/'));
}

/* The 6-bit value of c, or 0xFF when c is not a base64 character. */
static unsigned
b64_value(unsigned char ch)
{
	unsigned c = ch;
	unsigned x = (within(c, 'A', 'Z') & (c - 'A')) | (within(c, 'a', 'z') & (c - 'a' + 26)) |
		     (within(c, '0', '9') & (c - '0' + 52)) | (eq(c, '+') & 62) | (eq(c, '/') & 63);

	/* 0 is a value only for 'A'; every other character that mapped to 0 is not base64. */
	return x | (eq(x, 0) & (eq(c, 'A') ^ 0xFF));
}

/* Decode base64 at *s into buf (at most cap bytes) up to the first other character. */
static bool
b64_decode(const char **s, uint8_t *buf, size_t cap, size_t *len)
{
	const char *p = *s;
	unsigned acc = 0, bits = 0, d;
	size_t n = 0;

	while ((d = b64_value((unsigned char)*p)) != 0xFF) {
		p++;
		acc = ((acc << 6) | d) & 0xFFFF;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n >= cap)
				return false;
			buf[n++] = (uint8_t)(acc >> bits);
		}
	}
	/* 1 mod 4 characters leaves 6 bits; the leftover bits must be zero. */
	if (bits > 4 || (acc & ((1U << bits) - 1)) != 0)
		return false;
	*len = n;
	*s = p;
	return true;
}

/* A minimal decimal (no leading zero unless it is "0") that fits 32 bits. */
static bool
decimal(const char **s, uint32_t *out)
{
	const char *p = *s;
	uint64_t v = 0;

	if (*p < '0' || *p > '9' || (p[0] == '0' && p[1] >= '0' && p[1] <= '9'))
		return false;
	while (*p >= '0' && *p <= '9') {
		v = v * 10 + (uint64_t)(*p++ - '0');
		if (v > UINT32_MAX)
			return false;
	}
	*out = (uint32_t)v;
	*s = p;
	return true;
}

/* Skip the literal lit at *s; false when it is not there. */
static bool
literal(const char **s, const char *lit)
{
	size_t n = strlen(lit);

	if (strncmp(*s, lit, n) != 0)
		return false;
	*s += n;
	return true;
}

bool
phc_decode(const char *s, phc_argon2id *out)
{
	if (!s || !out || !literal(&s, TYPE_PREFIX))
		return false;
	out->version = 0x10;
	if (literal(&s, "$v=") && !decimal(&s, &out->version))
		return false;
	return literal(&s, "$m=") && decimal(&s, &out->m_cost_kib) &&
	       literal(&s, ",t=") && decimal(&s, &out->t_cost) &&
	       literal(&s, ",p=") && decimal(&s, &out->lanes) &&
	       literal(&s, "$") && b64_decode(&s, out->salt, sizeof(out->salt), &out->salt_len) &&
	       literal(&s, "$") && b64_decode(&s, out->hash, sizeof(out->hash), &out->hash_len) &&
	       *s == '\0';
}

/* Append base64 of (src, n) at out + *at; false when it does not fit with its NUL. */
static bool
b64_append(char *out, size_t cap, size_t *at, const uint8_t *src, size_t n)
{
	unsigned acc = 0, bits = 0;
	size_t i, o = *at;

	for (i = 0; i < n; i++) {
		acc = ((acc << 8) | src[i]) & 0xFFFF;
		bits += 8;
		while (bits >= 6) {
			bits -= 6;
			if (o + 1 >= cap)
				return false;
			out[o++] = b64_char((acc >> bits) & 0x3F);
		}
	}
	if (bits > 0) {
		if (o + 1 >= cap)
			return false;
		out[o++] = b64_char((acc << (6 - bits)) & 0x3F);
	}
	out[o] = '\0';
	*at = o;
	return true;
}

or_status
phc_encode(const phc_argon2id *p, char *out, size_t cap)
{
	size_t at;
	int n;

	if (!p || !out || !cap)
		return OR_ERR_INVALID;
	n = snprintf(out, cap, TYPE_PREFIX "$v=%u$m=%u,t=%u,p=%u$", (unsigned)p->version,
		     (unsigned)p->m_cost_kib, (unsigned)p->t_cost, (unsigned)p->lanes);
	if (n < 0 || (size_t)n >= cap)
		goto limit;
	at = (size_t)n;
	if (!b64_append(out, cap, &at, p->salt, p->salt_len) || at + 1 >= cap)
		goto limit;
	out[at++] = '$';
	if (!b64_append(out, cap, &at, p->hash, p->hash_len))
		goto limit;
	return OR_OK;
limit:
	out[0] = '\0';
	return OR_ERR_LIMIT;
}
