/*
 * The request pipeline shared by every route: bound the path and query, find
 * the route on this listener (404/405), enforce the route's auth level, read
 * and parse its body within the route's limit (413/415/400), then call the
 * handler.  Handlers therefore start with validated, bounded input.  After
 * the handler, one guard closes any transaction it left open, so a forgotten
 * rollback can neither hold row locks nor leak into the worker's next request.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "onramp/api.h"
#include "onramp/app.h"
#include "onramp/db_backoff.h"
#include "onramp/fetch.h"
#include "onramp/limits.h"
#include "onramp/log.h"

/* Body of a route that takes none: tolerated when small, never read. */
static bool
stray_body_too_large(const http_request *req, size_t limit)
{
	long long n = 0;

	if (req->content_length == NULL || *req->content_length == '\0')
		return false;
	if (str_to_ll(str_from_c(req->content_length), 0, LLONG_MAX, &n) != OR_OK)
		return true;
	return (unsigned long long)n > limit;
}

static bool
read_route_body(app *a, const route *r, http_request *req, http_response *resp)
{
	switch (r->body) {
	case BODY_NONE:
		if (stray_body_too_large(req, a->cfg->body_limit)) {
			http_error(resp, 413, "too_large", "The request body is larger than allowed.");
			return false;
		}
		return true;
	case BODY_JSON:
		return http_read_json(req, resp, a->cfg->body_limit) == OR_OK;
	case BODY_JSON_SAML:
		return http_read_json(req, resp, a->cfg->body_limit_saml) == OR_OK;
	case BODY_FORM:
		return http_read_form(req, resp, LIMIT_BODY_FORM) == OR_OK;
	}
	return false;
}

static void
pipeline(app *a, http_request *req, http_response *resp, size_t *route_index)
{
	const route *r = NULL;
	char allow[64];
	router_result rr;

	*route_index = a->nroutes;
	if (req->path.len > LIMIT_PATH || strlen(req->query) > LIMIT_QUERY) {
		http_error(resp, 400, "bad_request", "The request URI is too long.");
		return;
	}
	if (!input_uri_text_ok(req)) {
		http_error(resp, 400, "bad_request", "The request URI is not valid UTF-8 text.");
		return;
	}
	rr = router_match(a->routes, a->nroutes, req->method, req->path, req->listener, &r,
			  req->params, &req->nparams, allow, sizeof(allow));
	if (rr == ROUTER_NOT_FOUND) {
		http_error(resp, 404, "not_found", "No such resource.");
		return;
	}
	if (rr == ROUTER_METHOD_NOT_ALLOWED) {
		http_error(resp, 405, "method_not_allowed", "This resource does not support that method.");
		(void)http_header_add(req, resp, "Allow", allow);
		return;
	}
	*route_index = (size_t)(r - a->routes);
	/* Before anything can fail on the body: errors then neither name nor log what it holds. */
	req->secret_body = (r->flags & ROUTE_SECRET_BODY) != 0;
	if (r->auth != AUTH_NONE && !auth_require(a, r, req, resp))
		return;
	if (!read_route_body(a, r, req, resp))
		return;
	if (!idem_begin(a, r, req, resp))
		return;
	r->handler(a, req, resp);
	idem_finish(a, req, resp);
}

static const char *
label(const app *a, size_t route_index)
{
	return route_index < a->nroutes ? a->route_labels[route_index] : "unmatched";
}

/*
 * Handlers end their transaction with api_commit (or a rollback on an early
 * exit); one still open here is a bug.  Roll it back, count and log it (the
 * route, never data), and since nothing the handler wrote was kept, turn a
 * success it may have answered into a 500 instead of a claim of success.
 */
static void
close_leaked_transaction(app *a, http_request *req, http_response *resp, size_t route_index)
{
	if (!db_in_transaction(a->db))
		return;
	db_rollback(a->db);
	metrics_open_tx_rolled_back(a->metrics);
	log_event(LOG_WARN, "open_transaction_rolled_back", "route %s request %s", label(a, route_index),
		  req->request_id);
	if (resp->status >= 400)
		return;
	http_response_cleanup(resp);
	http_response_init(resp);
	http_error(resp, 500, "internal", "The change could not be completed.");
}

/* The last attempt still collided: out of attempts (counted), or something of it took effect. */
static void
log_unretried(app *a, const http_request *req, size_t route_index, unsigned attempt)
{
	db_unit u = db_unit_get(a->db);
	long unused;
	bool exhausted;

	if (u.lock_errno == 0)
		return;
	/* The same rule with attempts to spare: would it have run again? Then attempts ran out. */
	exhausted = db_retry_decide(&u, 1, 2, 0, &unused);
	log_event(LOG_WARN, exhausted ? "tx_retries_exhausted" : "tx_not_retried",
		  "route %s attempts %u errno %u request %s", label(a, route_index), attempt, u.lock_errno,
		  req->request_id);
	if (exhausted)
		metrics_tx_retry(a->metrics, true);
}

/*
 * A deadlock or lock wait timeout is a collision, not an outage: the whole
 * request (auth, body, handler) runs again on a fresh unit of work after a
 * short random pause, as long as nothing of it took effect (db_retry_next
 * decides; a fetch counts as taking effect).  The body was parsed once and
 * is reused.  The last attempt's answer stands: a 503 when it still collided.
 */
void
app_dispatch(app *a, http_request *req, http_response *resp, size_t *route_index)
{
	unsigned attempt;
	long pause_us = 0;

	for (attempt = 1;; attempt++) {
		unsigned long fetches = fetch_calls();

		req->audit_rows = req->audit_noops = 0;
		pipeline(a, req, resp, route_index);
		close_leaked_transaction(a, req, resp, *route_index);
		if (fetch_calls() != fetches)
			db_unit_mark_external(a->db);
		if (!db_retry_next(a->db, attempt, &pause_us))
			break;
		log_event(LOG_INFO, "tx_retried", "route %s attempt %u errno %u request %s", label(a, *route_index),
			  attempt, db_unit_get(a->db).lock_errno, req->request_id);
		metrics_tx_retry(a->metrics, false);
		db_rollback(a->db);
		http_response_cleanup(resp);
		http_response_init(resp);
		db_request_start(a->db);
		db_retry_sleep(pause_us);
	}
	log_unretried(a, req, *route_index, attempt);
}

void
app_fail(app *a, http_request *req, http_response *resp, or_status st, const char *detail)
{
	if (st == OR_ERR_DB) {
		resp->detail = detail;
		/* After a timeout the back-off decides when calls go ahead again: say so. */
		http_unavailable(req, resp, db_retry_after_s(a->db, a->cfg->db_retry_after_s),
				 "The service is temporarily unavailable. Please retry shortly.");
		return;
	}
	http_error_status(req, resp, st, detail);
}

void
api_fail_db(app *a, http_request *req, http_response *resp, or_status st)
{
	const char *e = db_last_error(a->db);

	/* No database error in this request: the caller's status is the whole story (it names itself). */
	app_fail(a, req, resp, st, *e ? e : status_name(st));
}

or_status
app_init_secrets(app *a, char *err, size_t errsz)
{
	a->pw.m_cost_kib = (uint32_t)a->cfg->argon2_m_kib;
	a->pw.t_cost = (uint32_t)a->cfg->argon2_t;
	a->pw.parallelism = (uint32_t)a->cfg->argon2_p;
	a->has_secret_key = false;
	if (a->cfg->secret_key_file[0] == '\0')
		return OR_OK;
	if (secret_key_load(a->cfg->secret_key_file, a->secret_key) != OR_OK) {
		snprintf(err, errsz, "secret_key_file %s: cannot read 64 hex characters", a->cfg->secret_key_file);
		return OR_ERR_INVALID;
	}
	a->has_secret_key = true;
	return OR_OK;
}
