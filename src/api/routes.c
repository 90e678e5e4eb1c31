/*
 * The route table: every endpoint the workers answer, the listener(s) it is
 * reachable on, who may call it and what body it takes.  Reading this file
 * tells you the whole HTTP surface; docs/api.md describes each entry.
 */
#include <stdio.h>

#include "onramp/app.h"

void api_healthz(app *a, http_request *req, http_response *resp);
void api_readyz(app *a, http_request *req, http_response *resp);
void api_metrics(app *a, http_request *req, http_response *resp);
void api_csp_report(app *a, http_request *req, http_response *resp);

#define PUB LISTENER_PUBLIC
#define OPS LISTENER_OPERATOR
#define BOTH (LISTENER_PUBLIC | LISTENER_OPERATOR)

static const route routes[] = {
	/* probes */
	{ "GET", "/healthz", BOTH, AUTH_NONE, BODY_NONE, api_healthz },
	{ "GET", "/readyz", OPS, AUTH_NONE, BODY_NONE, api_readyz },
	{ "GET", "/metrics", OPS, AUTH_NONE, BODY_NONE, api_metrics },
	/* browser reports */
	{ "POST", "/api/v1/csp-reports", PUB, AUTH_NONE, BODY_NONE, api_csp_report },
	{ "POST", "/admin/api/v1/csp-reports", OPS, AUTH_NONE, BODY_NONE, api_csp_report },
};

#define NROUTES (sizeof(routes) / sizeof(routes[0]))

static char label_store[NROUTES][96];
static const char *labels[NROUTES];

const route *
api_routes(size_t *n)
{
	*n = NROUTES;
	return routes;
}

const char *const *
api_route_labels(void)
{
	size_t i;

	if (labels[0] == NULL)
		for (i = 0; i < NROUTES; i++) {
			if (snprintf(label_store[i], sizeof(label_store[i]), "%s %s", routes[i].method,
				     routes[i].pattern) < 0)
				label_store[i][0] = '\0';
			labels[i] = label_store[i];
		}
	return labels;
}
