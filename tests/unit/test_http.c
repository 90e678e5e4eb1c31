/* Unit tests for the response writer, error shape and body parsing (src/http). */
#include <string.h>

#include "onramp/http.h"
#include "unit.h"

struct src {
	const char *data;
	size_t len, pos;
};

static long
reader(void *ctx, char *buf, size_t n)
{
	struct src *s = ctx;
	size_t left = s->len - s->pos;

	if (n > left)
		n = left;
	if (n > 7)
		n = 7; /* short reads, like a socket */
	memcpy(buf, s->data + s->pos, n);
	s->pos += n;
	return (long)n;
}

static void
setup(http_request *req, http_response *resp, arena **a, struct src *s, const char *ctype,
      const char *body, const char *clen)
{
	*a = arena_new(1 << 20);
	http_request_init(req, *a);
	http_response_init(resp);
	str_copy(req->request_id, sizeof(req->request_id), "rid-1");
	s->data = body;
	s->len = strlen(body);
	s->pos = 0;
	req->content_type = ctype;
	req->content_length = clen;
	req->read_body = reader;
	req->read_ctx = s;
}

static void
teardown(http_request *req, http_response *resp, arena *a)
{
	http_request_cleanup(req);
	http_response_cleanup(resp);
	arena_free(a);
}

static json_object *
body_json(or_buf *out)
{
	const char *body = strstr(out->data, "\r\n\r\n");
	return body ? json_tokener_parse(body + 4) : NULL;
}

static void
test_error_shape(void)
{
	http_request req;
	http_response resp;
	arena *a;
	struct src s;
	or_buf out;
	json_object *j, *e, *f, *v;

	setup(&req, &resp, &a, &s, "", "", NULL);
	buf_init(&out, 1 << 16);
	http_error(&resp, 422, "validation_failed", "Check the highlighted fields.");
	http_field_error_add(&req, &resp, "billing_contact.email", "invalid_email", "Not an email address.");
	http_field_error_add(&req, &resp, "legal_name", "required", "Required.");
	CU_ASSERT_EQUAL_FATAL(http_serialize(&req, &resp, &out), OR_OK);
	CU_ASSERT_PTR_NOT_NULL(strstr(out.data, "Status: 422 Unprocessable Content\r\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out.data, "X-Request-Id: rid-1\r\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out.data, "Content-Type: application/json"));
	j = body_json(&out);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT_TRUE_FATAL(json_object_object_get_ex(j, "error", &e));
	json_object_object_get_ex(e, "code", &v);
	CU_ASSERT_STRING_EQUAL(json_object_get_string(v), "validation_failed");
	json_object_object_get_ex(e, "request_id", &v);
	CU_ASSERT_STRING_EQUAL(json_object_get_string(v), "rid-1");
	CU_ASSERT_TRUE_FATAL(json_object_object_get_ex(e, "fields", &f));
	CU_ASSERT_EQUAL_FATAL(json_object_array_length(f), 2);
	/* Fields come out in the order they were added. */
	json_object_object_get_ex(json_object_array_get_idx(f, 0), "field", &v);
	CU_ASSERT_STRING_EQUAL(json_object_get_string(v), "billing_contact.email");
	json_object_object_get_ex(json_object_array_get_idx(f, 1), "code", &v);
	CU_ASSERT_STRING_EQUAL(json_object_get_string(v), "required");
	json_object_put(j);
	buf_free(&out);
	teardown(&req, &resp, a);
}

static void
test_header_injection_refused(void)
{
	http_request req;
	http_response resp;
	arena *a;
	struct src s;

	setup(&req, &resp, &a, &s, "", "", NULL);
	CU_ASSERT_EQUAL(http_header_add(&req, &resp, "X-Test", "a\r\nSet-Cookie: x=1"), OR_ERR_INVALID);
	CU_ASSERT_EQUAL(http_header_add(&req, &resp, "X-Test", "ok"), OR_OK);
	CU_ASSERT_EQUAL(resp.nheaders, 1);
	teardown(&req, &resp, a);
}

static void
test_json_body_ok(void)
{
	http_request req;
	http_response resp;
	arena *a;
	struct src s;
	json_object *v;

	setup(&req, &resp, &a, &s, "application/json; charset=utf-8", "{\"login\":\"ann\"}  \n", "18");
	CU_ASSERT_EQUAL_FATAL(http_read_json(&req, &resp, 1024), OR_OK);
	CU_ASSERT_TRUE(json_object_object_get_ex(req.json, "login", &v));
	CU_ASSERT_STRING_EQUAL(json_object_get_string(v), "ann");
	CU_ASSERT_EQUAL(resp.status, 0);
	teardown(&req, &resp, a);
}

static void
expect_error(const char *ctype, const char *body, const char *clen, size_t limit, int status,
	     const char *code)
{
	http_request req;
	http_response resp;
	arena *a;
	struct src s;

	setup(&req, &resp, &a, &s, ctype, body, clen);
	CU_ASSERT_NOT_EQUAL(http_read_json(&req, &resp, limit), OR_OK);
	CU_ASSERT_EQUAL(resp.status, status);
	CU_ASSERT_STRING_EQUAL(resp.error_code, code);
	CU_ASSERT_PTR_NULL(req.json);
	/* 413 is decided before a single byte is read. */
	if (status == 413)
		CU_ASSERT_EQUAL(s.pos, 0);
	teardown(&req, &resp, a);
}

static void
test_json_body_errors(void)
{
	expect_error("text/plain", "{}", "2", 1024, 415, "unsupported_media_type");
	expect_error("", "{}", "2", 1024, 415, "unsupported_media_type");
	expect_error("application/jsonx", "{}", "2", 1024, 415, "unsupported_media_type");
	expect_error("application/json", "{\"a\":1}", "2000", 1024, 413, "too_large");
	expect_error("application/json", "{}", "99999999999999999999999", 1024, 413, "too_large");
	expect_error("application/json", "{}", "abc", 1024, 400, "bad_request");
	expect_error("application/json", "not json", "8", 1024, 400, "bad_request");
	expect_error("application/json", "[1,2]", "5", 1024, 400, "bad_request");
	expect_error("application/json", "{} {}", "5", 1024, 400, "bad_request");
	expect_error("application/json", "{\"a\":", "5", 1024, 400, "bad_request");
	expect_error("application/json", "", "0", 1024, 400, "bad_request");
	/* Declared longer than what arrives. */
	expect_error("application/json", "{}", "10", 1024, 400, "bad_request");
	/* Invalid UTF-8 inside a string. */
	expect_error("application/json", "{\"a\":\"\xff\"}", "9", 1024, 400, "bad_request");
}

static void
test_json_depth_limit(void)
{
	char deep[200], len[8];
	int i, n = 0;

	for (i = 0; i < 40; i++)
		deep[n++] = '[';
	for (i = 0; i < 40; i++)
		deep[n++] = ']';
	deep[n] = '\0';
	snprintf(len, sizeof(len), "%d", n);
	expect_error("application/json", deep, len, 1024, 400, "bad_request");
}

/* body parsed with the JSON reader: 0 when accepted, else the answer's status. */
static int
json_status(const char *body)
{
	http_request req;
	http_response resp;
	arena *a;
	struct src s;
	char len[24];
	int status;

	snprintf(len, sizeof(len), "%zu", strlen(body));
	setup(&req, &resp, &a, &s, "application/json", body, len);
	status = http_read_json(&req, &resp, 4096) == OR_OK ? 0 : resp.status;
	if (status)
		CU_ASSERT_PTR_NULL(req.json);
	teardown(&req, &resp, a);
	return status;
}

/* json-c accepts these (VALIDATE_UTF8 lets overlongs, surrogates and > U+10FFFF through). */
static void
test_json_strict_utf8(void)
{
	static const char *const bad[] = {
		"{\"a\":\"\xc0\xaf\"}", "{\"a\":\"\xe0\x80\xaf\"}", "{\"a\":\"\xf0\x80\x80\xaf\"}",
		"{\"a\":\"\xc0\x80\"}", "{\"a\":\"\xed\xa0\x80\"}", "{\"a\":\"\xed\xbf\xbf\"}",
		"{\"a\":\"\xed\xa0\x80\xed\xb0\x80\"}", "{\"a\":\"\xf4\x90\x80\x80\"}",
		"{\"a\":\"\xf5\x80\x80\x80\"}", "{\"\xed\xa0\x80\":1}", "{\"a\":[\"ok\",{\"b\":\"\xc1\xbf\"}]}",
		/* Lone surrogate escapes: json-c turns them into U+FFFD (or, in old versions, into surrogate bytes). */
		"{\"a\":\"\\ud800\"}", "{\"a\":\"\\udc00\"}", "{\"a\":\"\\uDBFF\"}",
		"{\"a\":\"\\ud800x\"}", "{\"a\":\"\\ud800\\ud800\"}", "{\"a\":\"\\udc00\\ud800\"}",
		"{\"a\":\"\\ud800\\u0041\"}", "{\"\\udfff\":1}", "{\"a\":[1,{\"b\":\"x\\ud83d\"}]}",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CU_ASSERT_EQUAL(json_status(bad[i]), 400);
	/* Edge code points, a valid escaped pair, and text that only looks like an escape. */
	CU_ASSERT_EQUAL(json_status("{\"a\":\"\xc2\x80\xed\x9f\xbf\xee\x80\x80\xf4\x8f\xbf\xbf\"}"), 0);
	CU_ASSERT_EQUAL(json_status("{\"a\":\"\\ud83d\\ude80 \\uD7FF \\uE000 \\u00fc\"}"), 0);
	CU_ASSERT_EQUAL(json_status("{\"a\":\"\\\\ud800\"}"), 0);
	CU_ASSERT_EQUAL(json_status("{\"a\":\"m\xc3\xbcller \xf0\x9f\x9a\x80\"}"), 0);
}

static void
test_serialize_text_and_204(void)
{
	http_request req;
	http_response resp;
	arena *a;
	struct src s;
	or_buf out;

	setup(&req, &resp, &a, &s, "", "", NULL);
	buf_init(&out, 4096);
	http_text(&req, &resp, 200, "text/plain", "hi\n", 3);
	CU_ASSERT_EQUAL(http_serialize(&req, &resp, &out), OR_OK);
	CU_ASSERT_PTR_NOT_NULL(strstr(out.data, "Content-Type: text/plain\r\nContent-Length: 3\r\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out.data, "\r\n\r\nhi\n"));
	buf_reset(&out);
	http_response_cleanup(&resp);
	http_response_init(&resp);
	resp.status = 204;
	CU_ASSERT_EQUAL(http_serialize(&req, &resp, &out), OR_OK);
	CU_ASSERT_PTR_NULL(strstr(out.data, "Content-Length"));
	buf_reset(&out);
	http_response_cleanup(&resp);
	http_response_init(&resp);
	/* A handler that forgot to respond yields a 500 in the error shape. */
	CU_ASSERT_EQUAL(http_serialize(&req, &resp, &out), OR_OK);
	CU_ASSERT_PTR_NOT_NULL(strstr(out.data, "Status: 500"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out.data, "\"code\":\"internal\""));
	buf_free(&out);
	teardown(&req, &resp, a);
}

/* Every text of an HTML page is escaped; a 303 carries its Location and an empty body. */
static void
test_html_page_and_see_other(void)
{
	http_request req;
	http_response resp;
	arena *a;
	struct src s;
	or_buf out;

	setup(&req, &resp, &a, &s, "", "", NULL);
	buf_init(&out, 8192);
	http_html_page(&req, &resp, 403, "No <b>", "Ann's \"x\" & <script>", "/?a=1&b=\"2\"", "Back <");
	CU_ASSERT_EQUAL(http_serialize(&req, &resp, &out), OR_OK);
	CU_ASSERT_PTR_NOT_NULL(strstr(out.data, "Status: 403 Forbidden\r\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out.data, "Content-Type: text/html; charset=utf-8\r\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out.data, "<h1>No &lt;b&gt;</h1>"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out.data, "<p>Ann&#39;s &quot;x&quot; &amp; &lt;script&gt;</p>"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out.data, "<a href=\"/?a=1&amp;b=&quot;2&quot;\">Back &lt;</a>"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out.data, "<link rel=\"stylesheet\" href=\"/css/console.css\">"));
	CU_ASSERT_PTR_NULL(strstr(out.data, "<script"));
	buf_reset(&out);
	http_response_cleanup(&resp);
	http_response_init(&resp);
	http_see_other(&req, &resp, "/#sso-test=5");
	CU_ASSERT_EQUAL(http_serialize(&req, &resp, &out), OR_OK);
	CU_ASSERT_PTR_NOT_NULL(strstr(out.data, "Status: 303 See Other\r\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out.data, "Location: /#sso-test=5\r\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out.data, "Content-Length: 0\r\n"));
	buf_free(&out);
	teardown(&req, &resp, a);
}

static void
test_request_ids(void)
{
	char id[33], id2[33];

	CU_ASSERT_TRUE(http_request_id_ok("abc-123_x.y"));
	CU_ASSERT_FALSE(http_request_id_ok(""));
	CU_ASSERT_FALSE(http_request_id_ok("a b"));
	CU_ASSERT_FALSE(http_request_id_ok("a\"b"));
	CU_ASSERT_FALSE(http_request_id_ok("0123456789012345678901234567890123456789012345678901234567890123456789"));
	CU_ASSERT_EQUAL(http_new_request_id(id, sizeof(id)), OR_OK);
	CU_ASSERT_EQUAL(http_new_request_id(id2, sizeof(id2)), OR_OK);
	CU_ASSERT_EQUAL(strlen(id), 32);
	CU_ASSERT_STRING_NOT_EQUAL(id, id2);
	CU_ASSERT_TRUE(http_request_id_ok(id));
}

/* Parse body as a form: its status (the fields in f and n on success). */
static or_status
form(arena *a, const char *body, http_form_field **f, size_t *n)
{
	const char *why = NULL;
	or_status st = http_form_parse(a, body, strlen(body), f, n, &why);

	CU_ASSERT_EQUAL(st == OR_OK, why == NULL);
	return st;
}

static void
test_form_parse(void)
{
	arena *a = arena_new(1 << 20);
	http_form_field *f = NULL;
	size_t n = 9;

	CU_ASSERT_EQUAL(form(a, "SAMLResponse=PD94+bWw%2B%2F%3D&RelayState=abc", &f, &n), OR_OK);
	CU_ASSERT_EQUAL(n, 2);
	CU_ASSERT_STRING_EQUAL(f[0].name, "SAMLResponse");
	CU_ASSERT_STRING_EQUAL(f[0].value, "PD94 bWw+/=");
	CU_ASSERT_EQUAL(f[0].value_len, 11);
	CU_ASSERT_STRING_EQUAL(f[1].value, "abc");
	/* An empty value is a value; an empty body has no fields. */
	CU_ASSERT_EQUAL(form(a, "a=&b=%C3%A9", &f, &n), OR_OK);
	CU_ASSERT_EQUAL(f[0].value_len, 0);
	CU_ASSERT_STRING_EQUAL(f[1].value, "\xc3\xa9");
	CU_ASSERT_EQUAL(form(a, "", &f, &n), OR_OK);
	CU_ASSERT_EQUAL(n, 0);
	arena_free(a);
}

static void
test_form_refused(void)
{
	static const char *const bad[] = {
		"a=1&a=2",		/* a name twice: which one counts? */
		"a=1&%61=2",		/* the same name, once escaped */
		"a=1&&b=2", "a=1&", "&a=1",	/* empty pairs */
		"a", "a=1&b", "=1",	/* no '=', no name */
		"a=%zz", "a=%4", "a=%", "a=%00", "%00=1",	/* bad and NUL escapes */
		"a=%C3", "a=%ED%A0%80", "a=%C0%AF",	/* not UTF-8: cut, surrogate, overlong */
		"a=1&b=2&c=3&d=4&e=5&f=6&g=7&h=8&i=9",	/* more than LIMIT_FORM_FIELDS */
		NULL
	};
	arena *a = arena_new(1 << 20);
	http_form_field *f = NULL;
	size_t i, n = 0;
	char longname[LIMIT_FORM_NAME + 4];

	for (i = 0; bad[i]; i++) {
		n = 7;
		if (form(a, bad[i], &f, &n) != OR_ERR_INVALID)
			fprintf(stderr, "accepted: %s\n", bad[i]);
		CU_ASSERT_EQUAL(form(a, bad[i], &f, &n), OR_ERR_INVALID);
		CU_ASSERT_EQUAL(n, 0);
	}
	/* A raw NUL byte (strlen would stop at it, so the length is given). */
	CU_ASSERT_EQUAL(http_form_parse(a, "a=1\0b", 5, &f, &n, &(const char *){ NULL }), OR_ERR_INVALID);
	memset(longname, 'n', sizeof(longname));
	longname[LIMIT_FORM_NAME + 1] = '=';
	longname[LIMIT_FORM_NAME + 2] = '1';
	longname[LIMIT_FORM_NAME + 3] = '\0';
	CU_ASSERT_EQUAL(form(a, longname, &f, &n), OR_ERR_INVALID);
	longname[LIMIT_FORM_NAME] = '=';
	longname[LIMIT_FORM_NAME + 1] = '\0';
	CU_ASSERT_EQUAL(form(a, longname, &f, &n), OR_OK);
	arena_free(a);
}

static void
test_form_body(void)
{
	http_request req;
	http_response resp;
	struct src s;
	arena *a;
	size_t len = 0;
	static const char body[] = "RelayState=r1&SAMLResponse=x%2By";

	setup(&req, &resp, &a, &s, "application/x-www-form-urlencoded; charset=UTF-8", body, "32");
	CU_ASSERT_EQUAL(http_read_form(&req, &resp, 64), OR_OK);
	CU_ASSERT_STRING_EQUAL(http_form_value(&req, "SAMLResponse", &len), "x+y");
	CU_ASSERT_EQUAL(len, 3);
	CU_ASSERT_PTR_NULL(http_form_value(&req, "Signature", &len));
	CU_ASSERT_EQUAL(len, 0);
	teardown(&req, &resp, a);

	setup(&req, &resp, &a, &s, "application/json", body, "32");
	CU_ASSERT_EQUAL(http_read_form(&req, &resp, 64), OR_ERR_INVALID);
	CU_ASSERT_EQUAL(resp.status, 415);
	teardown(&req, &resp, a);
	/* Over the limit: 413 before a byte is read. */
	setup(&req, &resp, &a, &s, "application/x-www-form-urlencoded", body, "32");
	CU_ASSERT_EQUAL(http_read_form(&req, &resp, 31), OR_ERR_LIMIT);
	CU_ASSERT_EQUAL(resp.status, 413);
	CU_ASSERT_EQUAL(s.pos, 0);
	teardown(&req, &resp, a);
	setup(&req, &resp, &a, &s, "application/x-www-form-urlencoded", "a=1&a=2", "7");
	CU_ASSERT_EQUAL(http_read_form(&req, &resp, 64), OR_ERR_INVALID);
	CU_ASSERT_EQUAL(resp.status, 400);
	CU_ASSERT_PTR_NULL(req.form);
	teardown(&req, &resp, a);
	CU_ASSERT_FALSE(http_is_form_type("application/x-www-form-urlencodedx"));
	CU_ASSERT_FALSE(http_is_form_type("multipart/form-data"));
	CU_ASSERT_TRUE(http_is_form_type("Application/X-WWW-Form-Urlencoded"));
}

static const unit_test tests[] = {
	{ "error shape with fields and request id", test_error_shape },
	{ "header injection refused", test_header_injection_refused },
	{ "json body accepted", test_json_body_ok },
	{ "json body errors: 415, 413, 400", test_json_body_errors },
	{ "json depth limit", test_json_depth_limit },
	{ "json body: strict UTF-8, no lone surrogate escapes", test_json_strict_utf8 },
	{ "text, 204 and missing responses", test_serialize_text_and_204 },
	{ "request ids", test_request_ids },
	{ "html page escaped, 303 see other", test_html_page_and_see_other },
	{ "form body parsed", test_form_parse },
	{ "form body refused: duplicates, empty pairs, bad escapes, not UTF-8, too many", test_form_refused },
	{ "form body: 415, 413 before reading, 400", test_form_body },
	{ NULL, NULL }
};
UNIT_MAIN("http", tests)
