/*
 * The route table: method + path pattern -> handler, with the listener(s) the
 * route is reachable on, the auth level it needs and the body it takes.
 * Patterns are literal segments and `{name}` captures of one non-empty
 * segment.  Matching is pure and allocation-free.
 */
#ifndef ONRAMP_ROUTER_H
#define ONRAMP_ROUTER_H

#include <stddef.h>
#include "onramp/http.h"

struct app;

/** Who may call a route. */
typedef enum route_auth {
	AUTH_NONE = 0,		/* anyone */
	AUTH_CUSTOMER,		/* a signed-in customer user */
	AUTH_CUSTOMER_ADMIN,	/* a signed-in customer admin */
	AUTH_SSO_EDITOR,	/* a signed-in customer admin or a live setup-link session (SSO routes only) */
	AUTH_SSO_SETUP,		/* a live setup-link session only (its own session routes) */
	AUTH_OPERATOR,		/* a signed-in operator */
	AUTH_OPERATOR_ADMIN	/* a signed-in operator admin */
} route_auth;

/** What body a route accepts. */
typedef enum route_body {
	BODY_NONE = 0,		/* a body is refused with 413 */
	BODY_JSON,		/* application/json within body_limit */
	BODY_JSON_SAML,		/* application/json within body_limit_saml */
	BODY_FORM		/* application/x-www-form-urlencoded within LIMIT_BODY_FORM (req->form) */
} route_body;

/** Route flags. */
enum route_flags {
	ROUTE_ALLOWED_BEFORE_PASSWORD_CHANGE = 1 << 0,	/* reachable while must_change_password */
	ROUTE_ALLOWED_BEFORE_TOTP_ENROLLMENT = 1 << 1,	/* reachable by an operator without TOTP */
	ROUTE_SECRET_BODY = 1 << 2,	/* the body holds a secret: req->secret_body (never echoed, logged or kept) */
	ROUTE_IDEMPOTENT = 1 << 3	/* a creating POST: honours Idempotency-Key (src/api/idempotency.c) */
};

/** A handler fills resp; it never writes to the client itself. */
typedef void (*route_handler)(struct app *app, http_request *req, http_response *resp);

/** One entry of the route table. */
typedef struct route {
	const char *method;
	const char *pattern;
	unsigned listeners;	/* mask of http_listener */
	route_auth auth;
	route_body body;
	route_handler handler;
	unsigned flags;		/* route_flags */
} route;

/** The outcome of a match. */
typedef enum router_result {
	ROUTER_MATCH = 0,
	ROUTER_NOT_FOUND,
	ROUTER_METHOD_NOT_ALLOWED
} router_result;

/**
 * Find the route for method and path among the routes reachable on listener.
 * On a match *out is the route and params/nparams hold the captures.  When
 * only the method is wrong, allow gets the comma-separated allowed methods.
 */
router_result router_match(const route *table, size_t n, const char *method, or_str path,
			   http_listener listener, const route **out, or_str *params,
			   size_t *nparams, char *allow, size_t allowsz);

/** True when path matches pattern (captures into params, at most maxp). */
bool router_pattern_match(const char *pattern, or_str path, or_str *params, size_t maxp,
			  size_t *nparams);

#endif
