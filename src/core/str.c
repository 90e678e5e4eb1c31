/*
 * String views and capped growable buffers (see include/onramp/str.h).
 * Growth doubles capacity but never past the buffer's maximum, so a caller
 * that appends attacker-sized data gets OR_ERR_LIMIT instead of unbounded
 * memory.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "onramp/str.h"

or_str
str_from_c(const char *s)
{
	or_str v = { s ? s : "", s ? strlen(s) : 0 };
	return v;
}

bool
str_eq_c(or_str a, const char *s)
{
	size_t n = strlen(s);
	return a.len == n && (n == 0 || memcmp(a.ptr, s, n) == 0);
}

bool
str_ieq_c(or_str a, const char *s)
{
	size_t n = strlen(s);
	return a.len == n && (n == 0 || strncasecmp(a.ptr, s, n) == 0);
}

bool
str_has_prefix(or_str a, const char *prefix)
{
	size_t n = strlen(prefix);
	return a.len >= n && memcmp(a.ptr, prefix, n) == 0;
}

or_status
str_to_ll(or_str s, long long min, long long max, long long *out)
{
	size_t i = 0;
	bool neg = false;
	unsigned long long v = 0, lim;

	if (s.len == 0)
		return OR_ERR_INVALID;
	if (s.ptr[0] == '-' || s.ptr[0] == '+') {
		neg = s.ptr[0] == '-';
		i = 1;
		if (s.len == 1)
			return OR_ERR_INVALID;
	}
	lim = neg ? (unsigned long long)LLONG_MAX + 1ull : (unsigned long long)LLONG_MAX;
	for (; i < s.len; i++) {
		unsigned d;
		if (s.ptr[i] < '0' || s.ptr[i] > '9')
			return OR_ERR_INVALID;
		d = (unsigned)(s.ptr[i] - '0');
		if (v > (lim - d) / 10)
			return OR_ERR_LIMIT;
		v = v * 10 + d;
	}
	{
		long long r = neg ? (long long)(0ull - v) : (long long)v;
		if (r < min || r > max)
			return OR_ERR_LIMIT;
		*out = r;
	}
	return OR_OK;
}

void
buf_init(or_buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

void
buf_free(or_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

void
buf_reset(or_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

/* Make room for n more bytes plus the terminating NUL. */
static or_status
reserve(or_buf *b, size_t n)
{
	size_t need, ncap;
	char *p;

	if (n > b->max || b->len > b->max - n)
		return OR_ERR_LIMIT;
	need = b->len + n + 1;
	if (need <= b->cap)
		return OR_OK;
	ncap = b->cap ? b->cap : 256;
	while (ncap < need)
		ncap = ncap > SIZE_MAX / 2 ? need : ncap * 2;
	if (ncap > b->max + 1)
		ncap = b->max + 1;
	p = realloc(b->data, ncap);
	if (p == NULL)
		return OR_ERR_NOMEM;
	b->data = p;
	b->cap = ncap;
	return OR_OK;
}

or_status
buf_append(or_buf *b, const void *p, size_t n)
{
	or_status st = reserve(b, n);
	if (st != OR_OK)
		return st;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return OR_OK;
}

or_status
buf_append_c(or_buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

or_status
buf_putc(or_buf *b, char c)
{
	return buf_append(b, &c, 1);
}

or_status
buf_vappendf(or_buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	int n;
	or_status st;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return OR_ERR_INVALID;
	st = reserve(b, (size_t)n);
	if (st != OR_OK)
		return st;
	if (vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap) != n)
		return OR_ERR_INTERNAL;
	b->len += (size_t)n;
	return OR_OK;
}

or_status
buf_appendf(or_buf *b, const char *fmt, ...)
{
	va_list ap;
	or_status st;

	va_start(ap, fmt);
	st = buf_vappendf(b, fmt, ap);
	va_end(ap);
	return st;
}

or_status
buf_append_json_escaped(or_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, run = 0;
	or_status st = OR_OK;

	for (i = 0; i < n && st == OR_OK; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[7];
		size_t elen = 0;

		if (c == '"' || c == '\\') {
			esc[0] = '\\'; esc[1] = (char)c; elen = 2;
		} else if (c == '\n') {
			esc[0] = '\\'; esc[1] = 'n'; elen = 2;
		} else if (c == '\r') {
			esc[0] = '\\'; esc[1] = 'r'; elen = 2;
		} else if (c == '\t') {
			esc[0] = '\\'; esc[1] = 't'; elen = 2;
		} else if (c < 0x20 || c == 0x7f) {
			esc[0] = '\\'; esc[1] = 'u'; esc[2] = '0'; esc[3] = '0';
			esc[4] = hex[c >> 4]; esc[5] = hex[c & 15]; elen = 6;
		}
		if (elen == 0) {
			run++;
			continue;
		}
		st = buf_append(b, s + i - run, run);
		run = 0;
		if (st == OR_OK)
			st = buf_append(b, esc, elen);
	}
	if (st == OR_OK && run)
		st = buf_append(b, s + n - run, run);
	return st;
}

or_str
buf_view(const or_buf *b)
{
	or_str v = { b->data ? b->data : "", b->len };
	return v;
}

size_t
str_urlencode(char *out, size_t cap, size_t pos, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i;

	if (pos == (size_t)-1 || pos >= cap)
		return (size_t)-1;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		bool plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '*' ||
			     c == '-' || c == '.' || c == '_';
		if (pos + (plain || c == ' ' ? 1 : 3) >= cap)
			return (size_t)-1;
		if (plain) {
			out[pos++] = (char)c;
		} else if (c == ' ') {
			out[pos++] = '+';
		} else {
			out[pos++] = '%';
			out[pos++] = hex[c >> 4];
			out[pos++] = hex[c & 15];
		}
	}
	out[pos] = '\0';
	return pos;
}

size_t
str_url_param(char *u, size_t cap, size_t pos, const char *name, const char *value)
{
	bool first = pos != (size_t)-1 && memchr(u, '?', pos) == NULL;

	if (pos == (size_t)-1 || pos + 2 + strlen(name) >= cap)
		return (size_t)-1;
	u[pos++] = first ? '?' : '&';
	memcpy(u + pos, name, strlen(name));
	pos += strlen(name);
	u[pos++] = '=';
	return str_urlencode(u, cap, pos, value, strlen(value));
}

size_t
str_url_base(char *u, size_t cap, const char *base)
{
	size_t pos = strlen(base);

	if (pos >= cap)
		return (size_t)-1;
	memcpy(u, base, pos + 1);
	if (pos > 0 && (u[pos - 1] == '?' || u[pos - 1] == '&'))
		u[--pos] = '\0';
	return pos;
}

or_status
buf_append_markup_escaped(or_buf *b, const char *s)
{
	or_status st = OR_OK;

	for (; st == OR_OK && *s; s++) {
		switch (*s) {
		case '<': st = buf_append_c(b, "&lt;"); break;
		case '>': st = buf_append_c(b, "&gt;"); break;
		case '&': st = buf_append_c(b, "&amp;"); break;
		case '"': st = buf_append_c(b, "&quot;"); break;
		case '\'': st = buf_append_c(b, "&#39;"); break;
		default: st = buf_putc(b, *s);
		}
	}
	return st;
}

bool
str_copy(char *dst, size_t dstsz, const char *src)
{
	size_t n = strlen(src);

	if (dstsz == 0)
		return false;
	if (n >= dstsz) {
		memcpy(dst, src, dstsz - 1);
		dst[dstsz - 1] = '\0';
		return false;
	}
	memcpy(dst, src, n + 1);
	return true;
}

/*
 * The one strict UTF-8 rule (RFC 3629 table 3-7): the second byte's range
 * depends on the lead byte, which is what rules out overlong forms (C0, C1,
 * E0 80-9F, F0 80-8F), encoded surrogates (ED A0-BF) and code points past
 * U+10FFFF (F4 90-BF, F5-FF).
 */
size_t
str_utf8_seq(const unsigned char *s, size_t n)
{
	unsigned char c, lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (n == 0)
		return 0;
	c = s[0];
	if (c < 0x80)
		return 1;
	if (c < 0xc2 || c > 0xf4)
		return 0;
	len = c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
	if (c == 0xe0)
		lo = 0xa0;	/* overlong */
	else if (c == 0xed)
		hi = 0x9f;	/* surrogates */
	else if (c == 0xf0)
		lo = 0x90;	/* overlong */
	else if (c == 0xf4)
		hi = 0x8f;	/* past U+10FFFF */
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

long
str_utf8_count(or_str s)
{
	const unsigned char *p = (const unsigned char *)s.ptr;
	size_t i = 0, k;
	long n = 0;

	while (i < s.len) {
		if ((k = str_utf8_seq(p + i, s.len - i)) == 0)
			return -1;
		i += k;
		n++;
	}
	return n;
}

bool
str_utf8_valid(or_str s)
{
	return str_utf8_count(s) >= 0;
}

int
str_b64_value(unsigned char c, unsigned alphabets)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if ((c == '+' && (alphabets & STR_B64_STD)) || (c == '-' && (alphabets & STR_B64_URL)))
		return 62;
	if ((c == '/' && (alphabets & STR_B64_STD)) || (c == '_' && (alphabets & STR_B64_URL)))
		return 63;
	return -1;
}

int
str_hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

size_t
str_url_decode(char *out, const char *p, size_t n, bool strict)
{
	size_t i, j = 0;
	int h, l;

	for (i = 0; i < n; i++) {
		if (p[i] == '+') {
			out[j++] = ' ';
		} else if (p[i] == '%' && i + 2 < n && (h = str_hex_value(p[i + 1])) >= 0 &&
			   (l = str_hex_value(p[i + 2])) >= 0 && (h || l)) {
			out[j++] = (char)(h * 16 + l);
			i += 2;
		} else if (p[i] == '%' && strict) {
			return (size_t)-1;
		} else {
			out[j++] = p[i];
		}
	}
	out[j] = '\0';
	return j;
}
