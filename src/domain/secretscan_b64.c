/*
 * The secret scanner reads base64 too (secretscan_internal.h).  A whole PEM
 * private key is often pasted base64-encoded: a Kubernetes Secret's data
 * (`tls.key: LS0tLS1CRUdJTi...`, one line), `base64 key.pem` (wrapped at 76)
 * or `openssl base64` (at 64).  None of the rules sees a key there, so each
 * run of standard base64 long enough to hold a PEM header is decoded, line
 * breaks and the indentation after them skipped, and when the decoded bytes
 * are text the rules read them again (one level: base64 inside base64 is not
 * decoded).  Certificates, images and other binary data decode to bytes that
 * are not text and are left alone, so metadata keeps passing.
 *
 * Work stays linear: every byte belongs to one run and is decoded once into
 * a fixed window; a full window is read and its tail kept as the start of the
 * next, so a key straddling two windows is still seen whole and the decoded
 * size of a run does not matter.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "onramp/limits.h"
#include "onramp/str.h"
#include "secretscan_internal.h"

/* Read again at the start of the next window: more than any rule reads around one match. */
#define OVERLAP 512

_Static_assert(LIMIT_SECRETSCAN_B64_WINDOW > 2 * OVERLAP, "windows must advance");

typedef struct run {
	unsigned char buf[LIMIT_SECRETSCAN_B64_WINDOW];
	size_t len;		/* decoded bytes in buf */
	size_t chars;		/* base64 characters in the run so far */
	uint32_t acc;		/* bits not yet written */
	unsigned bits;
	secretscan_text_fn scan;
	const void *arg;
} run;

/* Text is 7 bytes in 8 printable ASCII or whitespace; DER, images and random bytes are about 2 in 5. */
static bool
is_text(const unsigned char *b, size_t n)
{
	size_t i, t = 0;

	for (i = 0; i < n; i++)
		t += (b[i] >= 0x20 && b[i] < 0x7f) || b[i] == '\n' || b[i] == '\r' || b[i] == '\t';
	return t * 8 >= n * 7;
}

/* Read the window when it is text; unless the run ended, keep its tail for the next. */
static secretscan_kind
flush(run *r, bool last)
{
	secretscan_kind k = SECRET_NONE;

	if (r->chars >= LIMIT_SECRETSCAN_B64_MIN && r->len > 0 && is_text(r->buf, r->len))
		k = r->scan(r->arg, r->buf, r->len);
	if (!last && r->len > OVERLAP) {
		memmove(r->buf, r->buf + r->len - OVERLAP, OVERLAP);
		r->len = OVERLAP;
	}
	return k;
}

/* Past a line break (CRLF or LF) and the blanks after it at i, or i itself when there is none. */
static size_t
line_break(const unsigned char *s, size_t n, size_t i)
{
	size_t j = i + (i < n && s[i] == '\r');

	if (j >= n || s[j] != '\n')
		return i;
	for (j++; j < n && (s[j] == ' ' || s[j] == '\t'); j++)
		;
	return j;
}

/* Decode the run starting at i into r (a full window is read at once); the index past it. */
static size_t
walk(run *r, const unsigned char *s, size_t n, size_t i, secretscan_kind *k)
{
	size_t j;
	int v;

	while (i < n && *k == SECRET_NONE) {
		if ((v = str_b64_value(s[i], STR_B64_STD)) < 0) {
			j = line_break(s, n, i);
			if (j == i || j >= n || str_b64_value(s[j], STR_B64_STD) < 0)
				break;
			i = j;	/* a wrapped line: the run goes on */
			continue;
		}
		r->acc = (r->acc << 6 | (uint32_t)v) & 0xffffffu;
		r->bits += 6;
		r->chars++;
		if (r->bits >= 8) {
			r->bits -= 8;
			r->buf[r->len++] = (unsigned char)(r->acc >> r->bits);
			if (r->len == sizeof(r->buf))
				*k = flush(r, false);
		}
		i++;
	}
	return i;
}

secretscan_kind
secretscan_b64_scan(const unsigned char *s, size_t n, secretscan_text_fn scan, const void *arg)
{
	run r;
	size_t i = 0;
	secretscan_kind k = SECRET_NONE;

	r.scan = scan;
	r.arg = arg;
	while (i < n && k == SECRET_NONE) {
		if (str_b64_value(s[i], STR_B64_STD) < 0) {
			i++;
			continue;
		}
		r.len = r.chars = 0;
		r.acc = 0;
		r.bits = 0;
		i = walk(&r, s, n, i, &k);
		if (k == SECRET_NONE)
			k = flush(&r, true);
	}
	return k;
}
