/*
 * The request and response of one HTTP exchange, independent of FastCGI:
 * the server layer fills an http_request from FastCGI params, the dispatcher
 * and handlers fill an http_response, and http_serialize() turns it into the
 * CGI response bytes.  Every string hanging off a request or response lives in
 * the request arena unless noted; the JSON objects are owned and released by
 * http_request_cleanup()/http_response_cleanup().
 */
#ifndef ONRAMP_HTTP_H
#define ONRAMP_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>
#include "onramp/arena.h"
#include "onramp/limits.h"
#include "onramp/status.h"
#include "onramp/str.h"

/** Which nginx listener a request arrived on (trusted FastCGI param only). */
typedef enum http_listener {
	LISTENER_UNKNOWN = 0,
	LISTENER_PUBLIC = 1 << 0,
	LISTENER_OPERATOR = 1 << 1
} http_listener;

/** One field of a form body (application/x-www-form-urlencoded), decoded, in the arena. */
typedef struct http_form_field {
	const char *name;
	const char *value;
	size_t value_len;
} http_form_field;

/** Reads up to n body bytes into buf; returns bytes read, 0 at EOF, -1 on error. */
typedef long (*http_body_reader)(void *ctx, char *buf, size_t n);

/** An incoming request, parsed once at the edge. */
typedef struct http_request {
	arena *arena;
	const char *method;
	or_str path;			/* decoded by nginx, no query */
	const char *query;		/* raw query string, "" when none */
	const char *content_type;	/* "" when none */
	const char *content_length;	/* raw header, NULL when absent */
	const char *cookie_header;	/* "" when none */
	const char *remote_addr;	/* "" when unknown */
	const char *csrf_header;	/* X-CSRF-Token, "" when none */
	const char *realm_header;	/* X-Onramp-Realm, "" when none: "sso_setup" picks a setup-link session */
	const char *idem_key;		/* Idempotency-Key, "" when none (never logged) */
	struct idem_state *idem;	/* set when idem_begin armed the request (src/api/idempotency.c) */
	struct principal *principal;	/* set by the auth step for routes that need a session */
	http_listener listener;
	bool tls;
	char request_id[LIMIT_REQUEST_ID + 1];
	or_str params[LIMIT_PATH_PARAMS];	/* route captures, in pattern order */
	size_t nparams;
	or_str body;			/* raw body once read */
	bool secret_body;		/* the route's body is a secret (ROUTE_SECRET_BODY): never echoed, logged or kept */
	json_object *json;		/* parsed JSON body (owned) */
	http_form_field *form;		/* parsed form body (arena), NULL unless the route takes BODY_FORM */
	size_t nform;
	bool body_parsed;		/* json or form is the parsed body: a second run of the pipeline reuses it */
	int64_t now_us;			/* wall clock at arrival, UNIX microseconds */
	unsigned audit_rows;		/* audit rows this run wrote (src/api/audit_log.c) */
	unsigned audit_noops;		/* edits this run found unchanged: api_commit undoes them when no row was written */
	http_body_reader read_body;
	void *read_ctx;
} http_request;

/** One `fields[]` entry of the error shape. */
typedef struct http_field_error {
	const char *field;
	const char *code;
	const char *message;
	struct http_field_error *next;
} http_field_error;

#define HTTP_MAX_HEADERS 16

/** The response a handler builds. */
typedef struct http_response {
	int status;			/* 0 until set */
	const char *content_type;	/* NULL = application/json */
	const char *header_names[HTTP_MAX_HEADERS];
	const char *header_values[HTTP_MAX_HEADERS];
	size_t nheaders;
	json_object *json;		/* JSON body (owned), or NULL */
	or_str text;			/* non-JSON body (arena), used when json is NULL */
	const char *error_code;		/* set by http_error(): the body is the error shape */
	const char *error_message;
	http_field_error *fields;	/* newest first; reversed on output */
	json_object *error_extra;	/* extra top-level members for the error body (owned) */
	json_object *error_members;	/* extra members inside "error", e.g. gates (owned) */
	const char *detail;		/* internal detail for the log only, never sent */
	bool detail_always;		/* detail is a fixed key (an SSO check): logged at any status, not only 5xx */
} http_response;

/** Prepare a request bound to an arena. */
void http_request_init(http_request *req, arena *a);
/**
 * Release what the request owns (the parsed JSON); the arena is the caller's.
 * With secret_body, the raw body and every string of the JSON are wiped first.
 */
void http_request_cleanup(http_request *req);
/** Prepare an empty response. */
void http_response_init(http_response *resp);
/** Release what the response owns. */
void http_response_cleanup(http_response *resp);

/** Add a response header (name and value copied into the arena). */
or_status http_header_add(http_request *req, http_response *resp, const char *name, const char *value);
/** Respond with status and a JSON body; takes ownership of body. */
void http_json(http_response *resp, int status, json_object *body);
/** Respond with status and a non-JSON body (copied into the arena). */
void http_text(http_request *req, http_response *resp, int status, const char *content_type,
	       const char *text, size_t len);
/**
 * Respond with a minimal server-rendered HTML page (the site stylesheet, no
 * script): a heading, one sentence and a link; every text is HTML-escaped.
 * For what a browser lands on outside the console (an SSO callback's failure).
 */
void http_html_page(http_request *req, http_response *resp, int status, const char *title, const char *sentence,
		    const char *link_href, const char *link_text);
/** One hidden field of a server-rendered form (http_form_page). */
typedef struct http_page_field {
	const char *name, *value;
} http_page_field;

/** What http_form_page renders. */
typedef struct http_form_page_in {
	const char *title, *sentence;
	const char *form_id, *action;		/* the form's id and where it posts */
	const http_page_field *fields;		/* hidden inputs */
	size_t nfields;
	const char *button;			/* the visible submit button's text */
	const char *script;			/* the one script (same-origin path, no inline script) */
	size_t max_bytes;			/* the page's size ceiling */
} http_form_page_in;

/**
 * Respond 200 with a server-rendered page holding one form (method post,
 * hidden fields, a visible submit button) and one external script, every
 * text HTML-escaped: the SAML HTTP-POST binding's page.
 */
void http_form_page(http_request *req, http_response *resp, const http_form_page_in *in);
/** 303 See Other to location (a path of this site or an absolute URL). */
void http_see_other(http_request *req, http_response *resp, const char *location);
/** Respond with the API error shape. message must outlive the response. */
void http_error(http_response *resp, int status, const char *code, const char *message);
/** Add one field error (strings copied into the arena). */
or_status http_field_error_add(http_request *req, http_response *resp, const char *field,
			       const char *code, const char *message);
/** Map an internal status to the right error response (503 for DB, 500 for bugs...). */
void http_error_status(http_request *req, http_response *resp, or_status st, const char *detail);
/** 503 unavailable with Retry-After seconds. */
void http_unavailable(http_request *req, http_response *resp, int retry_after_s, const char *message);

/**
 * Read the body (Content-Length bytes, at most limit) into the arena.  Sets
 * 413 too_large before reading anything when the declared length is over the
 * limit, 400 for a bad Content-Length or a short body.  Returns OR_OK or the
 * status with resp already set.
 */
or_status http_read_body(http_request *req, http_response *resp, size_t limit);

/**
 * Check Content-Type (415), read the body (413/400) and parse it as one JSON
 * object with the depth limit (400).  On success req->json is set.
 */
or_status http_read_json(http_request *req, http_response *resp, size_t limit);

/**
 * Check Content-Type (415 unless application/x-www-form-urlencoded), read
 * the body (413/400) and parse it strictly (http_form_parse; 400 naming the
 * problem).  On success req->form and req->nform are set.
 */
or_status http_read_form(http_request *req, http_response *resp, size_t limit);

/**
 * Parse a urlencoded form: pairs split on '&', each "name=value" with a
 * non-empty name, '+' a space, percent escapes strict (a bad escape, %00 or
 * a raw NUL refused), names and values strict UTF-8, a name at most once,
 * at most LIMIT_FORM_FIELDS pairs; an empty body has no fields.
 * OR_ERR_INVALID with *why (a sentence) when refused.  Strings in the arena.
 */
or_status http_form_parse(arena *a, const char *body, size_t len, http_form_field **out, size_t *nout,
			  const char **why);

/** The decoded value of the form field name (its length in *len when len is not NULL), or NULL. */
const char *http_form_value(const http_request *req, const char *name, size_t *len);

/** True when the Content-Type ct is the media type want, case-insensitively, parameters allowed. */
bool http_media_type_is(const char *ct, const char *want);
/** True when content_type names application/x-www-form-urlencoded (parameters allowed). */
bool http_is_form_type(const char *content_type);

/** True when content_type names application/json (parameters allowed). */
bool http_is_json_type(const char *content_type);

/** The reason phrase for a status code ("Unknown" when not known). */
const char *http_reason(int status);

/**
 * Write the complete CGI response (Status line, headers, blank line, body)
 * into out.  The error body uses the request id.  Returns OR_ERR_LIMIT when
 * the response would exceed LIMIT_RESPONSE_BYTES.
 */
or_status http_serialize(const http_request *req, http_response *resp, or_buf *out);

/** Fill id (33 bytes) with 32 random hex characters. */
or_status http_new_request_id(char *id, size_t idsz);
/** True when s is an acceptable inbound request id (charset and length). */
bool http_request_id_ok(const char *s);

#endif
