/*
 * What a worker holds between requests and hands to every handler: the
 * configuration, its database connection, the shared metrics and the route
 * table.  app_dispatch() is the request pipeline: route, check listener and
 * auth, read and parse the body, call the handler.
 */
#ifndef ONRAMP_APP_H
#define ONRAMP_APP_H

#include <stddef.h>
#include "onramp/config.h"
#include "onramp/db.h"
#include "onramp/http.h"
#include "onramp/metrics.h"
#include "onramp/password.h"
#include "onramp/router.h"
#include "onramp/secret.h"

/** A worker's long-lived state. */
typedef struct app {
	const config *cfg;
	db *db;
	metrics *metrics;
	const route *routes;
	size_t nroutes;
	const char *const *route_labels;	/* "METHOD pattern", one per route */
	password_params pw;			/* Argon2id parameters from config */
	unsigned char secret_key[SECRET_KEY_BYTES];	/* seals TOTP secrets */
	bool has_secret_key;
	struct sso_keys *sso_keys;		/* the sealing keyring (src/api/sso_secret.c); NULL until loaded */
	struct facts_cache *facts_cache;	/* this worker's checklist facts (src/api/facts_cache.c); NULL until used */
} app;

/** Fill the parts of an app that come from config (password params, secret key). */
or_status app_init_secrets(app *a, char *err, size_t errsz);
/**
 * Load the sealing keyring from secret_keyring_file (worker start-up, src/api/sso_secret.c): false
 * with err set when unset or refused; the SSO secret endpoints then answer
 * 503 and everything else works.  Later uses reload the file when it changed.
 */
bool sso_secret_init(app *a, char *err, size_t errsz);
/** Wipe and free the keyring (worker exit). */
void sso_secret_cleanup(app *a);

/** The table of every route (api/routes.c). */
const route *api_routes(size_t *n);
/** "METHOD pattern" labels for the routes, for metrics and logs. */
const char *const *api_route_labels(void);

/**
 * Run the pipeline for one request.  *route_index gets the matched route's
 * index (nroutes when none), for metrics.
 */
void app_dispatch(app *a, http_request *req, http_response *resp, size_t *route_index);

/**
 * Turn an internal failure into the response: 503 unavailable with the
 * configured Retry-After for database outages, else http_error_status().
 */
void app_fail(app *a, http_request *req, http_response *resp, or_status st, const char *detail);

#endif
