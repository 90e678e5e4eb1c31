/*
 * Typed reads from a request: JSON body members against an allowlist, path
 * ids, query parameters and the filter language.  Field problems accumulate
 * as field errors and become one 422 validation_failed answer (input_ok).
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "onramp/api.h"
#include "onramp/choices.h"
#include "onramp/limits.h"
#include "onramp/secretscan.h"

bool
input_known_members(http_request *req, http_response *resp, json_object *obj, const char *prefix,
		    const char *const *allowed)
{
	char field[96];
	bool ok = true;

	json_object_object_foreach(obj, key, val) {
		size_t i;
		bool known = false;
		(void)val;
		for (i = 0; allowed[i] && !known; i++)
			known = strcmp(allowed[i], key) == 0;
		if (known)
			continue;
		ok = false;
		/* A member name in a secret's body may be the secret pasted in the wrong place. */
		if (req->secret_body)
			continue;
		/* A nested key is cut so that the path stays one bounded name. */
		if (prefix)
			snprintf(field, sizeof(field), "%s.%.40s", prefix, key);
		(void)http_field_error_add(req, resp, prefix ? field : key, "unknown_field",
					   "This field is not accepted here.");
	}
	if (!ok)
		http_error(resp, 400, "bad_request", "The request has fields this endpoint does not accept.");
	return ok;
}

bool
input_allowed(http_request *req, http_response *resp, const char *const *allowed)
{
	return input_known_members(req, resp, req->json, NULL, allowed);
}

bool
input_form_allowed(http_request *req, http_response *resp, const char *const *allowed)
{
	bool ok = true;
	size_t i, j;

	for (i = 0; i < req->nform; i++) {
		for (j = 0; allowed[j] && strcmp(allowed[j], req->form[i].name) != 0; j++)
			;
		if (allowed[j] != NULL)
			continue;
		ok = false;
		/* The parser bounds a name to LIMIT_FORM_NAME bytes of UTF-8: safe to name. */
		(void)http_field_error_add(req, resp, req->form[i].name, "unknown_field", "This field is not accepted here.");
	}
	if (!ok)
		http_error(resp, 400, "bad_request", "The request has fields this endpoint does not accept.");
	return ok;
}

static const char *
string_member(http_request *req, http_response *resp, const char *name, bool required, size_t max,
	      bool trim)
{
	json_object *v;
	const char *s, *end;
	size_t n;

	if (!json_object_object_get_ex(req->json, name, &v) || v == NULL) {
		if (required)
			(void)http_field_error_add(req, resp, name, "required", "This field is required.");
		return NULL;
	}
	if (!json_object_is_type(v, json_type_string)) {
		(void)http_field_error_add(req, resp, name, "invalid_type", "Expected a string.");
		return NULL;
	}
	s = json_object_get_string(v);
	n = (size_t)json_object_get_string_len(v);
	if (memchr(s, '\0', n) != NULL) {
		(void)http_field_error_add(req, resp, name, "invalid", "Contains a NUL character.");
		return NULL;
	}
	end = s + n;
	if (trim) {
		while (s < end && isspace((unsigned char)*s))
			s++;
		while (end > s && isspace((unsigned char)end[-1]))
			end--;
	}
	if ((size_t)(end - s) > max) {
		char msg[80];
		snprintf(msg, sizeof(msg), "At most %zu bytes.", max);
		(void)http_field_error_add(req, resp, name, "too_long", msg);
		return NULL;
	}
	if (required && end == s) {
		(void)http_field_error_add(req, resp, name, "required", "This field is required.");
		return NULL;
	}
	return arena_strndup(req->arena, s, (size_t)(end - s));
}

const char *
input_string(http_request *req, http_response *resp, const char *name, bool required, size_t max)
{
	return string_member(req, resp, name, required, max, true);
}

const char *
input_secret(http_request *req, http_response *resp, const char *name, bool required, size_t max)
{
	return string_member(req, resp, name, required, max, false);
}

int64_t
input_int(http_request *req, http_response *resp, const char *name, bool required, int64_t min,
	  int64_t max, bool *present)
{
	json_object *v;
	int64_t x;

	*present = false;
	if (!json_object_object_get_ex(req->json, name, &v) || v == NULL) {
		if (required)
			(void)http_field_error_add(req, resp, name, "required", "This field is required.");
		return 0;
	}
	if (!json_object_is_type(v, json_type_int)) {
		(void)http_field_error_add(req, resp, name, "invalid_type", "Expected a whole number.");
		return 0;
	}
	x = json_object_get_int64(v);
	if (x < min || x > max) {
		char msg[96];
		snprintf(msg, sizeof(msg), "Expected a number from %lld to %lld.", (long long)min, (long long)max);
		(void)http_field_error_add(req, resp, name, "out_of_range", msg);
		return 0;
	}
	*present = true;
	return x;
}

int64_t
input_time(http_request *req, http_response *resp, const char *name)
{
	const char *s = input_string(req, resp, name, false, LIMIT_TIME_TEXT_BYTES);
	int64_t t = 0;

	if (s == NULL || *s == '\0')
		return 0;
	if (timefmt_parse_rfc3339(str_from_c(s), &t) != OR_OK) {
		(void)http_field_error_add(req, resp, name, "invalid_time",
					   "Expected an RFC 3339 time such as 2026-01-01T00:00:00Z.");
		return 0;
	}
	return t;
}

void
input_choice_error(http_request *req, http_response *resp, const char *field, const char *const *choices)
{
	char msg[160];

	choices_sentence(choices, msg, sizeof(msg));
	(void)http_field_error_add(req, resp, field, "invalid_choice", msg);
}

bool
input_ok(http_response *resp)
{
	if (resp->fields == NULL)
		return true;
	http_error(resp, 422, "validation_failed", "Some fields need attention.");
	return false;
}

void
input_password_error(http_request *req, http_response *resp, const char *field, password_verdict v)
{
	(void)http_field_error_add(req, resp, field, password_verdict_code(v), password_verdict_message(v));
}

bool
input_path_id(http_request *req, http_response *resp, size_t idx, int64_t *id)
{
	long long v;

	if (idx >= req->nparams || str_to_ll(req->params[idx], 1, INT64_MAX, &v) != OR_OK) {
		http_error(resp, 404, "not_found", "No such resource.");
		return false;
	}
	*id = v;
	return true;
}

/*
 * URL-decode [p, p+n) into the arena ('+' is a space).  Strict: NULL on a bad
 * escape or %00.  Lenient (for checking the text only): those stay as they
 * were written, so the result is one C string either way.
 */
static char *
url_decode_as(arena *a, const char *p, size_t n, bool strict)
{
	char *out = arena_alloc(a, n + 1);

	return out && str_url_decode(out, p, n, strict) != (size_t)-1 ? out : NULL;
}

static char *
url_decode(arena *a, const char *p, size_t n)
{
	return url_decode_as(a, p, n, true);
}

bool
input_uri_text_ok(http_request *req)
{
	const char *q = url_decode_as(req->arena, req->query, strlen(req->query), false);

	/* An arena too small for the query is the route's own 400/413 later, not a text error. */
	return str_utf8_valid(req->path) && (q == NULL || str_utf8_valid(str_from_c(q)));
}

const char *
input_query(http_request *req, const char *name)
{
	const char *p = req->query;
	size_t nlen = strlen(name), args = 0;

	while (*p && args++ < LIMIT_QUERY_ARGS) {
		const char *end = strchr(p, '&');
		if (end == NULL)
			end = p + strlen(p);
		if ((size_t)(end - p) >= nlen && strncmp(p, name, nlen) == 0 &&
		    (p[nlen] == '=' || p + nlen == end)) {
			const char *v = p[nlen] == '=' ? p + nlen + 1 : end;
			return url_decode(req->arena, v, (size_t)(end - v));
		}
		p = *end ? end + 1 : end;
	}
	return NULL;
}

bool
input_filter(http_request *req, http_response *resp, filter_scope scope, filter *f)
{
	const char *q = input_query(req, "q");
	char err[256];

	if (q == NULL && strstr(req->query, "q=") != NULL) {
		http_error(resp, 400, "bad_request", "The q parameter is not valid URL encoding.");
		return false;
	}
	if (filter_parse(q ? q : "", q ? strlen(q) : 0, scope, req->arena, f, err, sizeof(err)) != OR_OK) {
		char *msg = arena_strdup(req->arena, err);
		http_error(resp, 400, "bad_request", msg ? msg : "The filter is not valid.");
		return false;
	}
	return true;
}

bool
input_page(http_request *req, http_response *resp, long def, long max, long *limit, int64_t *after)
{
	const char *l = input_query(req, "limit"), *a = input_query(req, "after");
	long long v;

	*limit = def;
	*after = 0;
	if (l) {
		if (str_to_ll(str_from_c(l), 1, max, &v) != OR_OK) {
			http_error(resp, 400, "bad_request", "limit must be a whole number within the allowed range.");
			return false;
		}
		*limit = (long)v;
	}
	if (a) {
		if (str_to_ll(str_from_c(a), 0, INT64_MAX, &v) != OR_OK) {
			http_error(resp, 400, "bad_request", "after must be an id from a previous page.");
			return false;
		}
		*after = v;
	}
	return true;
}

void
input_new_account(http_request *req, http_response *resp, input_account *out)
{
	const char *email;

	memset(out, 0, sizeof(*out));
	out->username = input_string(req, resp, "username", true, IDENTITY_USERNAME_MAX);
	email = input_string(req, resp, "email", true, IDENTITY_EMAIL_MAX);
	out->display_name = input_string(req, resp, "display_name", false, IDENTITY_DISPLAY_NAME_MAX);
	out->password = input_secret(req, resp, "password", false, 4 * PASSWORD_MAX_CHARS);
	if (out->display_name && *out->display_name == '\0')
		out->display_name = NULL;
	if (out->username && !identity_username_ok(out->username))
		(void)http_field_error_add(req, resp, "username", "invalid_username",
					   "Use 1 to 64 characters: lower-case letters, digits, '.', '_' or '-'.");
	if (email && identity_email_normalize(email, out->email, sizeof(out->email)) != OR_OK) {
		(void)http_field_error_add(req, resp, "email", "invalid_email", "Enter an email address like name@example.com.");
		email = NULL;
	}
	if (out->password && out->username && email) {
		password_verdict v = password_check(out->password, strlen(out->password), out->username, out->email);
		if (v != PASSWORD_OK)
			input_password_error(req, resp, "password", v);
	}
}

/* Refuse a value that looks like a secret: the message names the kind, never the value. */
bool
input_scan(app *a, http_request *req, http_response *resp, const char *field, const char *v)
{
	secretscan_ctx ctx = { a->cfg->public_base_url };
	secretscan_kind k;

	if (v == NULL)
		return true;
	k = secretscan_check(&ctx, v, strlen(v));
	if (k == SECRET_NONE)
		return true;
	(void)http_field_error_add(req, resp, field, "secret_detected", secretscan_kind_message(k));
	return false;
}

/*
 * A text member of obj: absent keeps *slot, null or "" clears it, a string
 * replaces it.  Returns false when a field error was added.
 */
bool
input_text_member(app *a, http_request *req, http_response *resp, json_object *obj, const char *key,
	    const char *field, size_t max, const char **slot)
{
	json_object *v;
	const char *s, *end;

	if (!json_object_object_get_ex(obj, key, &v))
		return true;
	if (v == NULL) {
		*slot = NULL;
		return true;
	}
	if (!json_object_is_type(v, json_type_string)) {
		(void)http_field_error_add(req, resp, field, "invalid_type", "Expected a string.");
		return false;
	}
	s = json_object_get_string(v);
	end = s + json_object_get_string_len(v);
	if (memchr(s, '\0', (size_t)(end - s))) {
		(void)http_field_error_add(req, resp, field, "invalid", "Contains a NUL character.");
		return false;
	}
	while (s < end && isspace((unsigned char)*s))
		s++;
	while (end > s && isspace((unsigned char)end[-1]))
		end--;
	if ((size_t)(end - s) > max) {
		char msg[64];
		snprintf(msg, sizeof(msg), "At most %zu bytes.", max);
		(void)http_field_error_add(req, resp, field, "too_long", msg);
		return false;
	}
	*slot = end == s ? NULL : arena_strndup(req->arena, s, (size_t)(end - s));
	return input_scan(a, req, resp, field, *slot);
}

bool
input_bool(http_request *req, http_response *resp, const char *name, bool def)
{
	json_object *v;

	if (!json_object_object_get_ex(req->json, name, &v) || v == NULL)
		return def;
	if (!json_object_is_type(v, json_type_boolean)) {
		(void)http_field_error_add(req, resp, name, "invalid_type", "Expected true or false.");
		return def;
	}
	return json_object_get_boolean(v) != 0;
}

bool
input_password_change(http_request *req, http_response *resp, const char *hash, const char *username,
		      const char *email, const char **next, bool *wrong_current)
{
	static const char *const allowed[] = { "current_password", "new_password", NULL };
	const char *cur;
	password_verdict v;

	*wrong_current = false;
	if (!input_allowed(req, resp, allowed))
		return false;
	cur = input_secret(req, resp, "current_password", true, 4 * PASSWORD_MAX_CHARS);
	*next = input_secret(req, resp, "new_password", true, 4 * PASSWORD_MAX_CHARS);
	if (!input_ok(resp))
		return false;
	/* Accounts without a password (SSO) have no current password to give. */
	*wrong_current = hash == NULL || !password_verify(hash, cur, strlen(cur));
	if (*wrong_current)
		(void)http_field_error_add(req, resp, "current_password", "incorrect", "The current password is not correct.");
	else if ((v = password_check(*next, strlen(*next), username, email)) != PASSWORD_OK)
		input_password_error(req, resp, "new_password", v);
	else if (strcmp(cur, *next) == 0)
		(void)http_field_error_add(req, resp, "new_password", "unchanged", "Choose a password different from the current one.");
	return input_ok(resp);
}
