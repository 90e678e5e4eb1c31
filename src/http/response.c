/*
 * Building responses: JSON bodies, headers, the API error shape, and the
 * single writer that serialises everything into CGI response bytes.  Error
 * bodies are assembled here and only here, so every 4xx/5xx the app sends has
 * the same shape and carries the request id.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "onramp/http.h"

/* Overwrite every string in a parsed body (json-c frees without wiping). */
static void
wipe_json(json_object *o)
{
	size_t i, n;

	switch (json_object_get_type(o)) {
	case json_type_string:
		OPENSSL_cleanse((void *)(uintptr_t)json_object_get_string(o), (size_t)json_object_get_string_len(o));
		break;
	case json_type_object: {
		json_object_object_foreach(o, key, val) {
			OPENSSL_cleanse(key, strlen(key));
			wipe_json(val);
		}
		break;
	}
	case json_type_array:
		for (i = 0, n = json_object_array_length(o); i < n; i++)
			wipe_json(json_object_array_get_idx(o, i));
		break;
	default:
		break;
	}
}

void
http_request_init(http_request *req, arena *a)
{
	memset(req, 0, sizeof(*req));
	req->arena = a;
	req->method = "";
	req->path = str_from_c("");
	req->query = "";
	req->content_type = "";
	req->cookie_header = "";
	req->remote_addr = "";
	req->csrf_header = "";
	req->realm_header = "";
	req->idem_key = "";
}

void
http_request_cleanup(http_request *req)
{
	if (req->secret_body) {
		wipe_json(req->json);
		if (req->body.ptr && req->body.len)
			OPENSSL_cleanse((void *)(uintptr_t)req->body.ptr, req->body.len);
	}
	if (req->json) {
		json_object_put(req->json);
		req->json = NULL;
	}
}

void
http_response_init(http_response *resp)
{
	memset(resp, 0, sizeof(*resp));
}

void
http_response_cleanup(http_response *resp)
{
	if (resp->json)
		json_object_put(resp->json);
	if (resp->error_extra)
		json_object_put(resp->error_extra);
	if (resp->error_members)
		json_object_put(resp->error_members);
	memset(resp, 0, sizeof(*resp));
}

or_status
http_header_add(http_request *req, http_response *resp, const char *name, const char *value)
{
	char *n, *v;

	if (resp->nheaders >= HTTP_MAX_HEADERS)
		return OR_ERR_LIMIT;
	/* Header injection guard: no CR/LF may reach the output. */
	if (strpbrk(name, "\r\n:") || strpbrk(value, "\r\n"))
		return OR_ERR_INVALID;
	n = arena_strdup(req->arena, name);
	v = arena_strdup(req->arena, value);
	if (n == NULL || v == NULL)
		return OR_ERR_NOMEM;
	resp->header_names[resp->nheaders] = n;
	resp->header_values[resp->nheaders] = v;
	resp->nheaders++;
	return OR_OK;
}

void
http_json(http_response *resp, int status, json_object *body)
{
	if (resp->json)
		json_object_put(resp->json);
	resp->status = status;
	resp->json = body;
	resp->error_code = NULL;
}

void
http_text(http_request *req, http_response *resp, int status, const char *content_type,
	  const char *text, size_t len)
{
	char *copy = arena_strndup(req->arena, text, len);

	if (copy == NULL) {
		http_error(resp, 500, "internal", "The server ran out of memory for this request.");
		return;
	}
	resp->status = status;
	resp->content_type = content_type;
	resp->text.ptr = copy;
	resp->text.len = len;
}

/* Append s HTML-escaped (text and attribute values alike). */
static or_status
html_escaped(or_buf *b, const char *s)
{
	return buf_append_markup_escaped(b, s);
}

/* The page's head and heading, up to the open <main>'s first paragraph. */
static or_status
page_open(or_buf *b, const char *title, const char *sentence)
{
	or_status st = buf_append_c(b, "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
				       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>");

	if (st == OR_OK && (st = html_escaped(b, title)) == OR_OK)
		st = buf_append_c(b, " — onramp</title>\n<link rel=\"icon\" href=\"data:,\">\n"
				     "<link rel=\"stylesheet\" href=\"/css/console.css\">\n</head>\n<body>\n"
				     "<main id=\"main\" class=\"wrap\">\n<h1>");
	if (st == OR_OK && (st = html_escaped(b, title)) == OR_OK && (st = buf_append_c(b, "</h1>\n<p>")) == OR_OK &&
	    (st = html_escaped(b, sentence)) == OR_OK)
		st = buf_append_c(b, "</p>\n");
	return st;
}

/* Send the built page, or a 500 when building it failed; the buffer is freed. */
static void
page_send(http_request *req, http_response *resp, int status, or_buf *b, or_status st)
{
	if (st == OR_OK)
		http_text(req, resp, status, "text/html; charset=utf-8", b->data, b->len);
	else
		http_error(resp, 500, "internal", "The server ran out of memory for this request.");
	buf_free(b);
}

void
http_html_page(http_request *req, http_response *resp, int status, const char *title, const char *sentence,
	       const char *link_href, const char *link_text)
{
	or_buf b;
	or_status st;

	buf_init(&b, 64 * 1024);
	st = page_open(&b, title, sentence);
	if (st == OR_OK && (st = buf_append_c(&b, "<p><a href=\"")) == OR_OK &&
	    (st = html_escaped(&b, link_href)) == OR_OK && (st = buf_append_c(&b, "\">")) == OR_OK &&
	    (st = html_escaped(&b, link_text)) == OR_OK)
		st = buf_append_c(&b, "</a></p>\n</main>\n</body>\n</html>\n");
	page_send(req, resp, status, &b, st);
}

/* <input type="hidden" name=".." value=".."> for each field. */
static or_status
hidden_fields(or_buf *b, const http_page_field *fields, size_t n)
{
	or_status st = OR_OK;
	size_t i;

	for (i = 0; i < n && st == OR_OK; i++)
		if ((st = buf_append_c(b, "<input type=\"hidden\" name=\"")) == OR_OK &&
		    (st = html_escaped(b, fields[i].name)) == OR_OK && (st = buf_append_c(b, "\" value=\"")) == OR_OK &&
		    (st = html_escaped(b, fields[i].value)) == OR_OK)
			st = buf_append_c(b, "\">\n");
	return st;
}

void
http_form_page(http_request *req, http_response *resp, const http_form_page_in *in)
{
	or_buf b;
	or_status st;

	buf_init(&b, in->max_bytes);
	st = page_open(&b, in->title, in->sentence);
	if (st == OR_OK && (st = buf_append_c(&b, "<form id=\"")) == OR_OK && (st = html_escaped(&b, in->form_id)) == OR_OK &&
	    (st = buf_append_c(&b, "\" method=\"post\" action=\"")) == OR_OK &&
	    (st = html_escaped(&b, in->action)) == OR_OK && (st = buf_append_c(&b, "\">\n")) == OR_OK &&
	    (st = hidden_fields(&b, in->fields, in->nfields)) == OR_OK &&
	    (st = buf_append_c(&b, "<button type=\"submit\">")) == OR_OK && (st = html_escaped(&b, in->button)) == OR_OK &&
	    (st = buf_append_c(&b, "</button>\n</form>\n</main>\n<script src=\"")) == OR_OK &&
	    (st = html_escaped(&b, in->script)) == OR_OK)
		st = buf_append_c(&b, "\"></script>\n</body>\n</html>\n");
	page_send(req, resp, 200, &b, st);
}

void
http_see_other(http_request *req, http_response *resp, const char *location)
{
	if (http_header_add(req, resp, "Location", location) != OR_OK) {
		http_error(resp, 500, "internal", "The redirect could not be built.");
		return;
	}
	http_text(req, resp, 303, "text/plain; charset=utf-8", "", 0);
}

void
http_error(http_response *resp, int status, const char *code, const char *message)
{
	if (resp->json) {
		json_object_put(resp->json);
		resp->json = NULL;
	}
	resp->status = status;
	resp->error_code = code;
	resp->error_message = message;
	resp->content_type = NULL;
}

or_status
http_field_error_add(http_request *req, http_response *resp, const char *field,
		     const char *code, const char *message)
{
	http_field_error *fe = arena_alloc(req->arena, sizeof(*fe));

	if (fe == NULL)
		return OR_ERR_NOMEM;
	fe->field = arena_strdup(req->arena, field);
	fe->code = arena_strdup(req->arena, code);
	fe->message = arena_strdup(req->arena, message);
	if (!fe->field || !fe->code || !fe->message)
		return OR_ERR_NOMEM;
	fe->next = resp->fields;
	resp->fields = fe;
	return OR_OK;
}

void
http_unavailable(http_request *req, http_response *resp, int retry_after_s, const char *message)
{
	char ra[24];

	http_error(resp, 503, "unavailable", message);
	if (snprintf(ra, sizeof(ra), "%d", retry_after_s) > 0)
		(void)http_header_add(req, resp, "Retry-After", ra);
}

void
http_error_status(http_request *req, http_response *resp, or_status st, const char *detail)
{
	resp->detail = detail;
	switch (st) {
	case OR_OK:
		return;
	case OR_ERR_DB:
		/* The caller's config decides Retry-After; 5 s is the default. */
		http_unavailable(req, resp, 5, "The service is temporarily unavailable. Please retry shortly.");
		return;
	case OR_ERR_NOT_FOUND:
		http_error(resp, 404, "not_found", "No such resource.");
		return;
	case OR_ERR_CONFLICT:
		http_error(resp, 409, "conflict", "The request conflicts with the current state.");
		return;
	case OR_ERR_VERSION:
		http_error(resp, 409, "version_conflict",
			   "Someone else changed this since you loaded it. Reload and try again.");
		return;
	case OR_ERR_LIMIT:
		http_error(resp, 413, "too_large", "The request is larger than allowed.");
		return;
	case OR_ERR_INVALID:
		http_error(resp, 400, "bad_request", "The request could not be understood.");
		return;
	case OR_ERR_NOMEM:
	case OR_ERR_IO:
	case OR_ERR_INTERNAL:
		break;
	}
	http_error(resp, 500, "internal", "Something went wrong on our side. Please retry; if it persists, contact support.");
}

const char *
http_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 303: return "See Other";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 410: return "Gone";
	case 413: return "Content Too Large";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Content";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	}
	return "Unknown";
}

/* The error shape of API.md, with fields in the order they were added. */
static json_object *
error_body(const http_request *req, const http_response *resp)
{
	json_object *root = json_object_new_object();
	json_object *err = json_object_new_object();
	const http_field_error *fe;
	size_t n = 0, i;

	json_object_object_add(err, "code", json_object_new_string(resp->error_code));
	json_object_object_add(err, "message",
			       json_object_new_string(resp->error_message ? resp->error_message : ""));
	for (fe = resp->fields; fe; fe = fe->next)
		n++;
	if (n) {
		json_object *arr = json_object_new_array_ext((int)n);
		for (i = 0; i < n; i++)
			json_object_array_add(arr, NULL);
		i = n;
		for (fe = resp->fields; fe; fe = fe->next) {
			json_object *f = json_object_new_object();
			json_object_object_add(f, "field", json_object_new_string(fe->field));
			json_object_object_add(f, "code", json_object_new_string(fe->code));
			json_object_object_add(f, "message", json_object_new_string(fe->message));
			json_object_array_put_idx(arr, --i, f);
		}
		json_object_object_add(err, "fields", arr);
	}
	if (resp->error_members) {
		json_object_object_foreach(resp->error_members, k, v)
			json_object_object_add(err, k, json_object_get(v));
	}
	json_object_object_add(err, "request_id", json_object_new_string(req->request_id));
	json_object_object_add(root, "error", err);
	if (resp->error_extra) {
		json_object_object_foreach(resp->error_extra, k, v)
			json_object_object_add(root, k, json_object_get(v));
	}
	return root;
}

or_status
http_serialize(const http_request *req, http_response *resp, or_buf *out)
{
	const char *body = NULL, *ctype;
	size_t blen = 0, i;
	json_object *owned = NULL;
	or_status st;

	if (resp->status == 0)
		http_error(resp, 500, "internal", "The handler produced no response.");
	if (resp->error_code) {
		owned = error_body(req, resp);
		body = json_object_to_json_string_ext(owned, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	} else if (resp->json) {
		body = json_object_to_json_string_ext(resp->json, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	} else if (resp->text.ptr) {
		body = resp->text.ptr;
		blen = resp->text.len;
	}
	if (body && blen == 0 && (resp->error_code || resp->json))
		blen = strlen(body);
	ctype = resp->content_type && !resp->error_code ? resp->content_type : "application/json";

	st = buf_appendf(out, "Status: %d %s\r\nX-Request-Id: %s\r\nCache-Control: no-store\r\n",
			 resp->status, http_reason(resp->status), req->request_id);
	if (st == OR_OK && resp->status != 204)
		st = buf_appendf(out, "Content-Type: %s\r\nContent-Length: %zu\r\n",
				 strcmp(ctype, "application/json") == 0 ? "application/json; charset=utf-8" : ctype,
				 blen);
	for (i = 0; st == OR_OK && i < resp->nheaders; i++)
		st = buf_appendf(out, "%s: %s\r\n", resp->header_names[i], resp->header_values[i]);
	if (st == OR_OK)
		st = buf_append(out, "\r\n", 2);
	if (st == OR_OK && resp->status != 204 && blen)
		st = buf_append(out, body, blen);
	if (owned)
		json_object_put(owned);
	return st;
}
