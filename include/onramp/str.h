/*
 * Length-carrying string views and a growable byte buffer with a hard cap.
 * A view never owns memory.  A buffer owns its heap storage: buf_init() with
 * a maximum, buf_free() to release; appends past the maximum fail with
 * OR_ERR_LIMIT and leave the buffer as it was.
 */
#ifndef ONRAMP_STR_H
#define ONRAMP_STR_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include "onramp/status.h"

/** A non-owning view of len bytes at ptr (not necessarily NUL-terminated). */
typedef struct or_str {
	const char *ptr;
	size_t len;
} or_str;

/** A view of a NUL-terminated C string (NULL gives the empty view). */
or_str str_from_c(const char *s);
/** True when the view equals the NUL-terminated string s byte for byte. */
bool str_eq_c(or_str a, const char *s);
/** True when the view equals s ignoring ASCII case. */
bool str_ieq_c(or_str a, const char *s);
/** True when the view begins with the NUL-terminated prefix. */
bool str_has_prefix(or_str a, const char *prefix);
/** Parse a whole view as a decimal integer in [min, max]; strtonum-like. */
or_status str_to_ll(or_str s, long long min, long long max, long long *out);

/** A growable byte buffer that refuses to grow past max. */
typedef struct or_buf {
	char *data;	/* always NUL-terminated when non-NULL */
	size_t len;
	size_t cap;
	size_t max;
} or_buf;

/** Prepare an empty buffer that may hold at most max bytes. */
void buf_init(or_buf *b, size_t max);
/** Release the storage; the buffer is empty and reusable afterwards. */
void buf_free(or_buf *b);
/** Forget the contents but keep the storage. */
void buf_reset(or_buf *b);
/** Append n bytes. */
or_status buf_append(or_buf *b, const void *p, size_t n);
/** Append a NUL-terminated string. */
or_status buf_append_c(or_buf *b, const char *s);
/** Append one byte. */
or_status buf_putc(or_buf *b, char c);
/** Append formatted text (vsnprintf, result checked). */
or_status buf_appendf(or_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/** va_list form of buf_appendf. */
or_status buf_vappendf(or_buf *b, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
/** Append s as the body of a JSON string (escaped, without quotes). */
or_status buf_append_json_escaped(or_buf *b, const char *s, size_t n);
/**
 * application/x-www-form-urlencoded form of n bytes of s (WHATWG URL: ASCII
 * letters, digits and "*-._" stay, space becomes "+", every other byte %XX),
 * for a form body, a query parameter or RFC 6749's Basic credentials, into
 * out[pos..cap), NUL-terminated; returns the new end, or (size_t)-1 when it
 * does not fit.  A fixed buffer, so a caller encoding a secret can wipe every copy.
 */
size_t str_urlencode(char *out, size_t cap, size_t pos, const char *s, size_t n);
/**
 * Append "?name=value" (or "&name=value" once u holds a '?'), the value
 * URL-encoded as str_urlencode does, to the URL in u[0..pos); returns the new
 * end or (size_t)-1 when it does not fit.  Start with str_url_base.
 */
size_t str_url_param(char *u, size_t cap, size_t pos, const char *name, const char *value);
/**
 * Copy base into u (cap bytes) for str_url_param: a base that ends in '?' or
 * '&' already separates its next parameter, so that one character is dropped.
 * Returns the end, or (size_t)-1 when it does not fit.
 */
size_t str_url_base(char *u, size_t cap, const char *base);
/** Append s with & < > " ' as character references: safe in XML and HTML text and attribute values. */
or_status buf_append_markup_escaped(or_buf *b, const char *s);
/**
 * URL-decode n bytes at p into out (room for n + 1 bytes; NUL-terminated),
 * '+' as a space: the length written.  Strict: (size_t)-1 on a bad escape
 * or %00.  Lenient (for checking the text only): those stay as written.
 */
size_t str_url_decode(char *out, const char *p, size_t n, bool strict);
/** The contents as a view. */
or_str buf_view(const or_buf *b);

/**
 * Length (1-4) of the well-formed UTF-8 sequence at s, which has n bytes left;
 * 0 when malformed or n is 0.  RFC 3629: no overlong forms, no encoded
 * surrogates (so no CESU-8 pairs), nothing past U+10FFFF.
 */
size_t str_utf8_seq(const unsigned char *s, size_t n);
/** True when the whole view is well-formed UTF-8 (str_utf8_seq throughout). */
bool str_utf8_valid(or_str s);
/** Code points in the view, or -1 when it is not well-formed UTF-8. */
long str_utf8_count(or_str s);

/** The value of a hex digit in either case, or -1. */
int str_hex_value(char c);
/** Base64 alphabets for str_b64_value, combinable: standard (RFC 4648 section 4) and URL-safe (section 5). */
enum { STR_B64_STD = 1, STR_B64_URL = 2 };
/** The 6-bit value of a base64 character in the given alphabets, or -1 (also for the padding '='). */
int str_b64_value(unsigned char c, unsigned alphabets);
/** Copy src into dst of size dstsz, always terminating; false if truncated. */
bool str_copy(char *dst, size_t dstsz, const char *src);

#endif
