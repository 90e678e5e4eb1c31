/*
 * A seam for the integration tests: POST /api/v1/test/leaks allocates
 * memory and loses every pointer to it, so a sanitizer build's worker must
 * report it through LeakSanitizer when it exits (src/core/leakcheck.c;
 * tests/integration/test_leakcheck.py). Answered only when the config has
 * test_leak_route = 1, which config_load admits only with test_mode = 1; 404
 * everywhere else, like an unknown path.
 */
#include <stdlib.h>
#include <string.h>

#include "onramp/api.h"
#include "handlers.h"

#define PLANTED_BYTES 4096

/* Reached from nothing once its last store is overwritten; volatile keeps the compiler's hands off. */
static void *volatile planted;

/* Not inlined, so LeakSanitizer's allocation stack names it. */
static __attribute__((noinline)) void
onramp_test_plant_leak(void)
{
	char *p = malloc(PLANTED_BYTES);

	if (p)
		memset(p, 0x5a, PLANTED_BYTES);
	planted = p;
	planted = NULL;
}

void
api_test_leak(app *a, http_request *req, http_response *resp)
{
	json_object *o;

	(void)req;
	if (!a->cfg->test_leak_route) {
		http_error(resp, 404, "not_found", "Not found.");
		return;
	}
	onramp_test_plant_leak();
	o = json_object_new_object();
	json_object_object_add(o, "planted_bytes", json_object_new_int(PLANTED_BYTES));
	http_json(resp, 200, o);
}
