/*
 * application/x-www-form-urlencoded bodies (what an IdP's HTTP-POST binding
 * sends to the ACS), parsed once at the edge like JSON: the declared length
 * is checked before reading, then every pair is split, percent-decoded
 * strictly and checked as UTF-8 text.  Anything two parsers could read two
 * ways is refused rather than guessed: a bad or NUL escape, a pair without
 * '=', an empty pair, a name sent twice (which one would a proxy or the IdP's
 * debugger have shown?), more fields than LIMIT_FORM_FIELDS.
 */
#include <string.h>
#include <strings.h>

#include "onramp/http.h"

#define MSG_PAIR "Every field of the form needs a name and '='."
#define MSG_ENCODING "The form is not valid URL encoding of UTF-8 text."

bool
http_is_form_type(const char *ct)
{
	return http_media_type_is(ct, "application/x-www-form-urlencoded");
}

/* Percent-decode [p, p+n) into the arena ('+' is a space); NULL on a bad escape or %00. */
static char *
decode(arena *a, const char *p, size_t n, size_t *outlen)
{
	char *out = arena_alloc(a, n + 1);
	size_t j = out ? str_url_decode(out, p, n, true) : (size_t)-1;

	if (j == (size_t)-1)
		return NULL;
	*outlen = j;
	return str_utf8_valid((or_str){ out, j }) ? out : NULL;
}

/* The field named name among the first n, or NULL. */
static const http_form_field *
find(const http_form_field *f, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(f[i].name, name) == 0)
			return &f[i];
	return NULL;
}

/* Split and decode one name=value pair into *f; a sentence for the 400 when it is refused. */
static const char *
parse_pair(arena *a, const char *p, size_t n, http_form_field *f)
{
	const char *eq = memchr(p, '=', n);
	size_t nlen = 0;

	if (n == 0 || eq == NULL || eq == p)
		return MSG_PAIR;
	if ((size_t)(eq - p) > LIMIT_FORM_NAME)
		return "A field name of the form is too long.";
	if ((f->name = decode(a, p, (size_t)(eq - p), &nlen)) == NULL || nlen == 0 ||
	    (f->value = decode(a, eq + 1, n - (size_t)(eq - p) - 1, &f->value_len)) == NULL)
		return MSG_ENCODING;
	return NULL;
}

or_status
http_form_parse(arena *a, const char *body, size_t len, http_form_field **out, size_t *nout, const char **why)
{
	http_form_field *f = arena_calloc(a, LIMIT_FORM_FIELDS, sizeof(*f));
	size_t n = 0, i = 0;

	*out = NULL;
	*nout = 0;
	*why = NULL;
	if (f == NULL)
		return OR_ERR_NOMEM;
	/* %00 is refused when decoded; a raw NUL would cut the C string a handler reads. */
	if (memchr(body, '\0', len) != NULL) {
		*why = MSG_ENCODING;
		return OR_ERR_INVALID;
	}
	while (i < len) {
		const char *amp = memchr(body + i, '&', len - i);
		size_t plen = amp ? (size_t)(amp - (body + i)) : len - i;

		if (n == LIMIT_FORM_FIELDS)
			*why = "The form has more fields than allowed.";
		else if ((*why = parse_pair(a, body + i, plen, &f[n])) == NULL && find(f, n, f[n].name) != NULL)
			*why = "A field of the form is sent more than once.";
		if (*why != NULL)
			return OR_ERR_INVALID;
		n++;
		i += plen + 1;
		/* A trailing '&' leaves an empty last pair: refused like any empty pair. */
		if (amp != NULL && i == len) {
			*why = MSG_PAIR;
			return OR_ERR_INVALID;
		}
	}
	*out = f;
	*nout = n;
	return OR_OK;
}

or_status
http_read_form(http_request *req, http_response *resp, size_t limit)
{
	const char *why = NULL;
	or_status st;

	/* FastCGI's stdin is read once: a request run again (a deadlock retry) keeps its parsed form. */
	if (req->body_parsed)
		return OR_OK;
	if (!http_is_form_type(req->content_type)) {
		http_error(resp, 415, "unsupported_media_type",
			   "Send the request body as a form with Content-Type: application/x-www-form-urlencoded.");
		return OR_ERR_INVALID;
	}
	if ((st = http_read_body(req, resp, limit)) != OR_OK)
		return st;
	st = http_form_parse(req->arena, req->body.ptr, req->body.len, &req->form, &req->nform, &why);
	if (st == OR_ERR_NOMEM)
		http_error(resp, 413, "too_large", "The request body is larger than allowed.");
	else if (st != OR_OK)
		http_error(resp, 400, "bad_request", why);
	req->body_parsed = st == OR_OK;
	return st;
}

const char *
http_form_value(const http_request *req, const char *name, size_t *len)
{
	const http_form_field *f = req->form ? find(req->form, req->nform, name) : NULL;

	if (len)
		*len = f ? f->value_len : 0;
	return f ? f->value : NULL;
}
