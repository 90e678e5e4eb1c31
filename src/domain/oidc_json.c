/*
 * Shared plumbing of the OIDC checkers (see oidc_internal.h): IdP documents
 * are untrusted bytes from the network, so they are parsed once here under
 * the byte and depth limits, strictly, with trailing garbage refused.  The
 * URL splitter is deliberately small: it only has to tell the https rules
 * and the issuer derivation what the scheme, host and tail of a URL are.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "onramp/limits.h"
#include "onramp/str.h"
#include "oidc_internal.h"

static const char bom[] = "\xEF\xBB\xBF";

static bool
only_space(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '\n')
			return false;
	return true;
}

static json_object *
tokenize(const char *json, size_t len, int depth, const char **why)
{
	json_tokener *tok = json_tokener_new_ex(depth);
	json_object *obj;
	enum json_tokener_error jerr;

	if (tok == NULL) {
		*why = "out of memory while parsing the document";
		return NULL;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	obj = json_tokener_parse_ex(tok, json, (int)len);
	jerr = json_tokener_get_error(tok);
	if (obj != NULL && jerr == json_tokener_success &&
	    !only_space(json + json_tokener_get_parse_end(tok), len - json_tokener_get_parse_end(tok)))
		jerr = json_tokener_error_parse_unexpected;
	json_tokener_free(tok);
	if (obj != NULL && jerr == json_tokener_success)
		return obj;
	json_object_put(obj);
	if (jerr == json_tokener_error_depth)
		*why = "the document is nested too deeply";
	else if (jerr == json_tokener_continue)
		*why = "the document ends in the middle of a JSON value";
	else
		*why = "the document is not valid JSON";
	return NULL;
}

json_object *
oidc_json_parse(const char *json, size_t len, const char **why)
{
	return oidc_json_parse_depth(json, len, LIMIT_OIDC_JSON_DEPTH, why);
}

json_object *
oidc_json_parse_depth(const char *json, size_t len, int depth, const char **why)
{
	*why = NULL;
	if (json == NULL)
		len = 0;
	if (len >= 3 && memcmp(json, bom, 3) == 0) {
		json += 3;
		len -= 3;
	}
	if (len > LIMIT_OIDC_JSON_BYTES) {
		*why = "the document is larger than 1 MiB";
		return NULL;
	}
	if (len == 0 || only_space(json, len)) {
		*why = "the document is empty";
		return NULL;
	}
	if (memchr(json, '\0', len) != NULL) {
		*why = "the document is not valid JSON (it contains a NUL byte)";
		return NULL;
	}
	return tokenize(json, len, depth, why);
}

/* Members of every object in the tree json-c built (duplicates already merged). */
static size_t
tree_members(json_object *o)
{
	size_t n = 0, i;

	if (json_object_is_type(o, json_type_object)) {
		json_object_object_foreach(o, k, v) {
			(void)k;
			n += 1 + tree_members(v);
		}
	} else if (json_object_is_type(o, json_type_array)) {
		for (i = 0; i < json_object_array_length(o); i++)
			n += tree_members(json_object_array_get_idx(o, i));
	}
	return n;
}

/*
 * In JSON that parsed strictly, a ':' outside a string separates exactly one
 * member name from its value, so the text has one per member.  json-c merges
 * duplicates (the last wins), which leaves its tree with fewer members than
 * the text: a duplicate anywhere, even inside a dropped value, makes the
 * counts differ.
 */
bool
oidc_json_members_unique(json_object *root, const char *json, size_t len)
{
	size_t i, colons = 0;
	bool in_str = false;

	for (i = 0; i < len; i++) {
		if (in_str && json[i] == '\\')
			i++;
		else if (json[i] == '"')
			in_str = !in_str;
		else if (!in_str && json[i] == ':')
			colons++;
	}
	return colons == tree_members(root);
}

json_object *
oidc_json_object(arena *a, const char *json, size_t len, const char *key, const char *what, sso_report *out)
{
	const char *why;
	json_object *root = oidc_json_parse(json, len, &why);

	if (root == NULL) {
		sso_report_add(out, a, key, false, SSO_ERROR, "The %s could not be read: %s.", what, why);
		return NULL;
	}
	if (!json_object_is_type(root, json_type_object)) {
		json_object_put(root);
		sso_report_add(out, a, key, false, SSO_ERROR, "The %s is not a JSON object.", what);
		return NULL;
	}
	sso_report_add(out, a, key, true, SSO_ERROR, "The %s is a JSON object.", what);
	return root;
}

const char *
oidc_json_str(json_object *obj, const char *name)
{
	json_object *v;

	if (!json_object_object_get_ex(obj, name, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

const char *
oidc_json_text_of(json_object *v, size_t max)
{
	size_t n;

	if (!json_object_is_type(v, json_type_string))
		return NULL;
	n = (size_t)json_object_get_string_len(v);
	if (n > max || n != strlen(json_object_get_string(v)))
		return NULL;
	return json_object_get_string(v);
}

const char *
oidc_json_text(json_object *obj, const char *name, size_t max)
{
	json_object *v;

	return json_object_object_get_ex(obj, name, &v) ? oidc_json_text_of(v, max) : NULL;
}

unsigned char *
oidc_b64_decode_ex(arena *a, const char *s, size_t len, int alphabets, bool strict, size_t *outlen)
{
	unsigned char *out;
	unsigned long acc = 0;
	size_t i, n = 0;
	int bits = 0;

	while (!strict && len > 0 && s[len - 1] == '=')
		len--;
	if (len % 4 == 1 || (out = arena_alloc(a, len / 4 * 3 + 3)) == NULL)
		return NULL;
	for (i = 0; i < len; i++) {
		int v = str_b64_value((unsigned char)s[i], alphabets);
		if (v < 0)
			return NULL;
		acc = ((acc << 6) | (unsigned long)v) & 0xFFFFFFul;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (unsigned char)(acc >> bits);
		}
	}
	if (strict && (acc & ((1ul << bits) - 1)) != 0)
		return NULL;	/* a second spelling of the same bytes */
	*outlen = n;
	return out;
}

unsigned char *
oidc_b64_decode(arena *a, const char *s, size_t len, size_t *outlen)
{
	return oidc_b64_decode_ex(a, s, len, STR_B64_STD | STR_B64_URL, false, outlen);
}

static bool
host_ok(const char *h, size_t n)
{
	size_t i;

	if (n == 0)
		return false;
	if (h[0] == '[')
		return n > 2 && h[n - 1] == ']' && strspn(h + 1, "0123456789abcdefABCDEF:.") == n - 2;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)h[i]) && h[i] != '-' && h[i] != '.' && h[i] != '_')
			return false;
	return h[0] != '.' && h[0] != '-';
}

static bool
port_ok(const char *p, size_t n)
{
	unsigned long v = 0;
	size_t i;

	if (n == 0 || n > 5)
		return false;
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)p[i]))
			return false;
		v = v * 10 + (unsigned long)(p[i] - '0');
	}
	return v >= 1 && v <= 65535;
}

/* Authority = [userinfo@]host[:port]; sets host, hostlen and has_userinfo. */
static bool
split_authority(const char *auth, size_t n, oidc_url *u)
{
	const char *at = memchr(auth, '@', n);
	const char *colon;
	size_t hn;

	if (at != NULL) {
		u->has_userinfo = true;
		n -= (size_t)(at + 1 - auth);
		auth = at + 1;
	}
	colon = NULL;
	for (hn = n; hn > 0; hn--)
		if (auth[hn - 1] == ':' || auth[hn - 1] == ']')
			break;
	if (hn > 0 && auth[hn - 1] == ':')
		colon = auth + hn - 1;
	u->host = auth;
	u->hostlen = colon ? (size_t)(colon - auth) : n;
	if (colon != NULL && !port_ok(colon + 1, n - u->hostlen - 1))
		return false;
	return host_ok(u->host, u->hostlen);
}

bool
oidc_url_split(const char *s, oidc_url *u)
{
	size_t i, skip, alen;

	memset(u, 0, sizeof(*u));
	if (s == NULL)
		return false;
	for (i = 0; s[i]; i++)
		if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7f || s[i] == '\\')
			return false;
	if (strncasecmp(s, "https://", 8) == 0) {
		u->https = true;
		skip = 8;
	} else if (strncasecmp(s, "http://", 7) == 0) {
		skip = 7;
	} else {
		return false;
	}
	alen = strcspn(s + skip, "/?#");
	u->rest = s + skip + alen;
	u->has_query = strchr(u->rest, '?') != NULL;
	u->has_fragment = strchr(u->rest, '#') != NULL;
	return split_authority(s + skip, alen, u);
}
