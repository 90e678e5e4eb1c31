/*
 * Request-side edge parsing: request ids, Content-Length, Content-Type and
 * the JSON body.  The declared length is range-checked before a single body
 * byte is read (OpenBSD httpd's maxrequestbody), and JSON is parsed with a
 * depth limit into one object, so handlers only ever see bounded, typed data.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include <openssl/rand.h>

#include "onramp/http.h"

bool
http_request_id_ok(const char *s)
{
	size_t n;

	if (s == NULL || *s == '\0')
		return false;
	for (n = 0; s[n]; n++) {
		unsigned char c = (unsigned char)s[n];
		if (n >= LIMIT_REQUEST_ID)
			return false;
		if (!isalnum(c) && c != '-' && c != '_' && c != '.')
			return false;
	}
	return true;
}

or_status
http_new_request_id(char *id, size_t idsz)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[16];
	size_t i;

	if (idsz < 33)
		return OR_ERR_LIMIT;
	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return OR_ERR_INTERNAL;
	for (i = 0; i < sizeof(raw); i++) {
		id[2 * i] = hex[raw[i] >> 4];
		id[2 * i + 1] = hex[raw[i] & 15];
	}
	id[32] = '\0';
	return OR_OK;
}

bool
http_media_type_is(const char *ct, const char *want)
{
	size_t n = strlen(want);

	if (ct == NULL || strncasecmp(ct, want, n) != 0)
		return false;
	ct += n;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	return *ct == '\0' || *ct == ';';
}

bool
http_is_json_type(const char *ct)
{
	return http_media_type_is(ct, "application/json");
}

or_status
http_read_body(http_request *req, http_response *resp, size_t limit)
{
	long long declared = 0;
	size_t got = 0;
	char *buf;

	if (req->content_length && *req->content_length) {
		or_status st = str_to_ll(str_from_c(req->content_length), 0, (long long)LIMIT_BODY_CEILING * 4, &declared);
		if (st == OR_ERR_LIMIT) {
			http_error(resp, 413, "too_large", "The request body is larger than allowed.");
			return OR_ERR_LIMIT;
		}
		if (st != OR_OK) {
			http_error(resp, 400, "bad_request", "The Content-Length header is not a number.");
			return OR_ERR_INVALID;
		}
	}
	if ((unsigned long long)declared > limit) {
		http_error(resp, 413, "too_large", "The request body is larger than allowed.");
		return OR_ERR_LIMIT;
	}
	buf = arena_alloc(req->arena, (size_t)declared + 1);
	if (buf == NULL) {
		http_error(resp, 413, "too_large", "The request body is larger than allowed.");
		return OR_ERR_LIMIT;
	}
	while (got < (size_t)declared && req->read_body) {
		long n = req->read_body(req->read_ctx, buf + got, (size_t)declared - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	if (got != (size_t)declared) {
		http_error(resp, 400, "bad_request", "The request body ended before its declared length.");
		return OR_ERR_INVALID;
	}
	buf[got] = '\0';
	req->body.ptr = buf;
	req->body.len = got;
	return OR_OK;
}

static int
hex4(const char *p, size_t left)
{
	int v = 0;
	size_t i;

	if (left < 4)
		return -1;
	for (i = 0; i < 4; i++) {
		char c = p[i];
		int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
			: c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
		if (d < 0)
			return -1;
		v = v * 16 + d;
	}
	return v;
}

/*
 * True when every \u escape in the (already parsed) JSON text is a whole code
 * point: a high surrogate followed by a low one, never either alone.  json-c
 * quietly turns a lone surrogate escape into U+FFFD (older versions into
 * surrogate bytes), so the raw text is the only place to see one.  A backslash
 * only occurs inside strings in valid JSON, and "\\" is skipped as a pair.
 */
static bool
escapes_ok(or_str t)
{
	size_t i = 0;
	int v, lo;

	while (i < t.len) {
		if (t.ptr[i] != '\\') {
			i++;
			continue;
		}
		if (i + 1 >= t.len)
			return false;
		if (t.ptr[i + 1] != 'u') {
			i += 2;
			continue;
		}
		if ((v = hex4(t.ptr + i + 2, t.len - i - 2)) < 0 || (v >= 0xdc00 && v <= 0xdfff))
			return false;
		i += 6;
		if (v >= 0xd800 && v <= 0xdbff) {
			if (i + 1 >= t.len || t.ptr[i] != '\\' || t.ptr[i + 1] != 'u' ||
			    (lo = hex4(t.ptr + i + 2, t.len - i - 2)) < 0xdc00 || lo > 0xdfff)
				return false;
			i += 6;
		}
	}
	return true;
}

/* Every member name and string value, decoded, is strict UTF-8 (whatever json-c let through). */
static bool
strings_ok(json_object *o)
{
	size_t i, n;

	switch (json_object_get_type(o)) {
	case json_type_string:
		return str_utf8_valid((or_str){ json_object_get_string(o), (size_t)json_object_get_string_len(o) });
	case json_type_array:
		n = json_object_array_length(o);
		for (i = 0; i < n; i++)
			if (!strings_ok(json_object_array_get_idx(o, i)))
				return false;
		return true;
	case json_type_object: {
		json_object_object_foreach(o, key, val) {
			if (!str_utf8_valid(str_from_c(key)) || !strings_ok(val))
				return false;
		}
		return true;
	}
	default:
		return true;
	}
}

static const char NOT_UTF8[] =
	"The request body is not valid UTF-8 text (overlong form, surrogate or code point past U+10FFFF).";

or_status
http_read_json(http_request *req, http_response *resp, size_t limit)
{
	json_tokener *tok;
	json_object *obj;
	enum json_tokener_error jerr;
	or_status st;

	/* FastCGI's stdin is read once: a request run again (a deadlock retry) keeps its parsed body. */
	if (req->body_parsed)
		return OR_OK;
	if (!http_is_json_type(req->content_type)) {
		http_error(resp, 415, "unsupported_media_type",
			   "Send the request body as JSON with Content-Type: application/json.");
		return OR_ERR_INVALID;
	}
	st = http_read_body(req, resp, limit);
	if (st != OR_OK)
		return st;
	if (req->body.len == 0) {
		http_error(resp, 400, "bad_request", "The request body is empty; a JSON object is required.");
		return OR_ERR_INVALID;
	}
	if (memchr(req->body.ptr, '\0', req->body.len) != NULL) {
		http_error(resp, 400, "bad_request", "The request body is not valid JSON.");
		return OR_ERR_INVALID;
	}
	/* Strict UTF-8 before parsing, and again after decoding (below). */
	if (!str_utf8_valid(req->body)) {
		http_error(resp, 400, "bad_request", NOT_UTF8);
		return OR_ERR_INVALID;
	}
	tok = json_tokener_new_ex(LIMIT_JSON_DEPTH);
	if (tok == NULL) {
		http_error(resp, 500, "internal", "Out of memory.");
		return OR_ERR_NOMEM;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	obj = json_tokener_parse_ex(tok, req->body.ptr, (int)req->body.len);
	jerr = json_tokener_get_error(tok);
	if (obj != NULL && jerr == json_tokener_success &&
	    json_tokener_get_parse_end(tok) != req->body.len) {
		/* Trailing bytes after the value: only whitespace is allowed. */
		size_t i;
		for (i = json_tokener_get_parse_end(tok); i < req->body.len; i++)
			if (!isspace((unsigned char)req->body.ptr[i]))
				jerr = json_tokener_error_parse_unexpected;
	}
	json_tokener_free(tok);
	if (obj == NULL || jerr != json_tokener_success) {
		if (obj)
			json_object_put(obj);
		http_error(resp, 400, "bad_request",
			   jerr == json_tokener_error_depth
				   ? "The JSON body is nested too deeply."
				   : "The request body is not valid JSON.");
		return OR_ERR_INVALID;
	}
	if (!json_object_is_type(obj, json_type_object)) {
		json_object_put(obj);
		http_error(resp, 400, "bad_request", "The JSON body must be an object.");
		return OR_ERR_INVALID;
	}
	if (!escapes_ok(req->body) || !strings_ok(obj)) {
		json_object_put(obj);
		http_error(resp, 400, "bad_request", NOT_UTF8);
		return OR_ERR_INVALID;
	}
	req->json = obj;
	req->body_parsed = true;
	return OR_OK;
}
