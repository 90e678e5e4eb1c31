/* Unit tests for route matching (src/http/router.c). */
#include <string.h>

#include "onramp/router.h"
#include "unit.h"

static void h(struct app *a, http_request *r, http_response *p) { (void)a; (void)r; (void)p; }

static const route table[] = {
	{ "GET", "/healthz", LISTENER_PUBLIC | LISTENER_OPERATOR, AUTH_NONE, BODY_NONE, h, 0 },
	{ "GET", "/metrics", LISTENER_OPERATOR, AUTH_NONE, BODY_NONE, h, 0 },
	{ "GET", "/api/v1/users/{id}", LISTENER_PUBLIC, AUTH_NONE, BODY_NONE, h, 0 },
	{ "PATCH", "/api/v1/users/{id}", LISTENER_PUBLIC, AUTH_NONE, BODY_JSON, h, 0 },
	{ "POST", "/api/v1/users/{id}/suspend", LISTENER_PUBLIC, AUTH_NONE, BODY_NONE, h, 0 },
	{ "POST", "/api/v1/invites/{id}/resend", LISTENER_PUBLIC, AUTH_NONE, BODY_NONE, h, 0 },
};
#define N (sizeof(table) / sizeof(table[0]))

static router_result
match(const char *m, const char *p, http_listener l, const route **r, or_str *params, size_t *np,
      char *allow)
{
	return router_match(table, N, m, str_from_c(p), l, r, params, np, allow, 64);
}

static void
test_literal_and_captures(void)
{
	const route *r = NULL;
	or_str params[4];
	size_t np = 9;
	char allow[64];

	CU_ASSERT_EQUAL(match("GET", "/healthz", LISTENER_PUBLIC, &r, params, &np, allow), ROUTER_MATCH);
	CU_ASSERT_PTR_EQUAL(r, &table[0]);
	CU_ASSERT_EQUAL(np, 0);
	CU_ASSERT_EQUAL(match("POST", "/api/v1/users/u42/suspend", LISTENER_PUBLIC, &r, params, &np, allow),
			ROUTER_MATCH);
	CU_ASSERT_PTR_EQUAL(r, &table[4]);
	CU_ASSERT_EQUAL(np, 1);
	CU_ASSERT_TRUE(str_eq_c(params[0], "u42"));
}

static void
test_not_found_cases(void)
{
	const route *r = NULL;
	or_str params[4];
	size_t np;
	char allow[64];

	CU_ASSERT_EQUAL(match("GET", "/healthz/", LISTENER_PUBLIC, &r, params, &np, allow), ROUTER_NOT_FOUND);
	CU_ASSERT_EQUAL(match("GET", "/api/v1/users/", LISTENER_PUBLIC, &r, params, &np, allow), ROUTER_NOT_FOUND);
	CU_ASSERT_EQUAL(match("GET", "/api/v1/users/a/b", LISTENER_PUBLIC, &r, params, &np, allow), ROUTER_NOT_FOUND);
	CU_ASSERT_EQUAL(match("GET", "", LISTENER_PUBLIC, &r, params, &np, allow), ROUTER_NOT_FOUND);
	CU_ASSERT_EQUAL(match("GET", "/healthzz", LISTENER_PUBLIC, &r, params, &np, allow), ROUTER_NOT_FOUND);
}

static void
test_listener_hides_routes(void)
{
	const route *r = NULL;
	or_str params[4];
	size_t np;
	char allow[64];

	CU_ASSERT_EQUAL(match("GET", "/metrics", LISTENER_PUBLIC, &r, params, &np, allow), ROUTER_NOT_FOUND);
	CU_ASSERT_EQUAL(match("GET", "/metrics", LISTENER_UNKNOWN, &r, params, &np, allow), ROUTER_NOT_FOUND);
	CU_ASSERT_EQUAL(match("GET", "/metrics", LISTENER_OPERATOR, &r, params, &np, allow), ROUTER_MATCH);
	CU_ASSERT_EQUAL(match("GET", "/healthz", LISTENER_UNKNOWN, &r, params, &np, allow), ROUTER_NOT_FOUND);
}

static void
test_method_not_allowed(void)
{
	const route *r = NULL;
	or_str params[4];
	size_t np;
	char allow[64];

	CU_ASSERT_EQUAL(match("DELETE", "/api/v1/users/7", LISTENER_PUBLIC, &r, params, &np, allow),
			ROUTER_METHOD_NOT_ALLOWED);
	CU_ASSERT_STRING_EQUAL(allow, "GET, PATCH");
	/* The operator listener cannot see the public route, so it is a plain 404. */
	CU_ASSERT_EQUAL(match("DELETE", "/api/v1/users/7", LISTENER_OPERATOR, &r, params, &np, allow),
			ROUTER_NOT_FOUND);
}

static void
test_pattern_capture_limit(void)
{
	or_str params[1];
	size_t np;

	CU_ASSERT_FALSE(router_pattern_match("/a/{x}/{y}", str_from_c("/a/1/2"), params, 1, &np));
	CU_ASSERT_TRUE(router_pattern_match("/a/{x}", str_from_c("/a/1"), params, 1, &np));
}

static const unit_test tests[] = {
	{ "literal paths and captures", test_literal_and_captures },
	{ "near misses are not found", test_not_found_cases },
	{ "listener hides routes", test_listener_hides_routes },
	{ "405 lists allowed methods", test_method_not_allowed },
	{ "capture limit", test_pattern_capture_limit },
	{ NULL, NULL }
};
UNIT_MAIN("router", tests)
