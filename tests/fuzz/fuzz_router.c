/* Fuzz route matching (src/http/router.c) against the real route table. */
#include <string.h>

#include "fuzz.h"
#include "onramp/app.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t n, np = 0;
	const route *table = api_routes(&n), *r = NULL;
	or_str path = { (const char *)data, size }, params[LIMIT_PATH_PARAMS];
	char allow[64];
	static const char *const methods[] = { "GET", "POST", "PUT", "PATCH", "DELETE" };
	size_t i;

	for (i = 0; i < 5; i++) {
		router_result rr = router_match(table, n, methods[i], path, LISTENER_PUBLIC, &r, params, &np,
						allow, sizeof(allow));
		if (rr == ROUTER_MATCH && np > LIMIT_PATH_PARAMS)
			__builtin_trap();
		(void)router_match(table, n, methods[i], path, LISTENER_OPERATOR, &r, params, &np, allow,
				   sizeof(allow));
	}
	return 0;
}
