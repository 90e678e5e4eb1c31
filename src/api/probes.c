/*
 * Monitoring probes.  /healthz proves a worker answers and touches nothing
 * else; /readyz proves the database answers and the schema is at the
 * migration this build expects; /metrics renders the shared counters.
 */
#include <stdio.h>

#include "onramp/app.h"
#include "onramp/clock.h"
#include "onramp/db_backoff.h"
#include "onramp/migration.h"
#include "onramp/store.h"
#include "handlers.h"

void
api_healthz(app *a, http_request *req, http_response *resp)
{
	json_object *o = json_object_new_object();

	(void)a;
	(void)req;
	json_object_object_add(o, "status", json_object_new_string("ok"));
	http_json(resp, 200, o);
}

static json_object *
check(const char *name, bool ok, const char *message)
{
	json_object *c = json_object_new_object();

	json_object_object_add(c, "name", json_object_new_string(name));
	json_object_object_add(c, "ok", json_object_new_boolean(ok));
	json_object_object_add(c, "message", json_object_new_string(message));
	return c;
}

/* Why the database check failed, in the check's words. */
static const char *
database_message(db_probe_result r)
{
	switch (r) {
	case DB_PROBE_OK:
		return "ok";
	case DB_PROBE_TIMEOUT:
		return "the database did not answer within db_probe_timeout_ms";
	case DB_PROBE_BACKOFF:
		return "a database call timed out: calls fail fast until the back-off ends";
	case DB_PROBE_FAILED:
		break;
	}
	return "the database does not answer";
}

/*
 * The database check runs on its own connection against a deadline
 * (db_probe_schema), so a hung server costs at most db_probe_timeout_ms and a
 * back-off costs nothing: a load balancer's probe never waits on it.
 */
void
api_readyz(app *a, http_request *req, http_response *resp)
{
	unsigned have = 0, want = migration_latest();
	db_probe_result r = db_probe_schema(a->db, &have);
	json_object *checks = json_object_new_array();
	char msg[160];

	if (r != DB_PROBE_OK) {
		json_object_array_add(checks, check("database", false, database_message(r)));
		json_object_array_add(checks, check("schema", false, "unknown while the database is down"));
		http_unavailable(req, resp, db_retry_after_s(a->db, a->cfg->db_retry_after_s),
				 "Not ready: database unavailable.");
		resp->detail = db_last_error(a->db);
	} else if (have < want) {
		snprintf(msg, sizeof(msg), "schema at migration %u, this build needs %u: run onrampctl migrate",
			 have, want);
		json_object_array_add(checks, check("database", true, "ok"));
		json_object_array_add(checks, check("schema", false, msg));
		http_unavailable(req, resp, a->cfg->db_retry_after_s, "Not ready: schema behind.");
	} else {
		json_object *o = json_object_new_object();
		json_object_array_add(checks, check("database", true, "ok"));
		json_object_array_add(checks, check("schema", true, "ok"));
		json_object_object_add(o, "status", json_object_new_string("ok"));
		json_object_object_add(o, "schema_version", json_object_new_int((int)have));
		json_object_object_add(o, "db_host", json_object_new_string(db_probe_host(a->db)));
		json_object_object_add(o, "checks", checks);
		http_json(resp, 200, o);
		return;
	}
	resp->error_extra = json_object_new_object();
	json_object_object_add(resp->error_extra, "checks", checks);
}

void
api_metrics(app *a, http_request *req, http_response *resp)
{
	or_buf out;
	metrics_gauges g = { -1, { 0, 0, 0 } };
	or_status st;

	/* A scrape while the database is down still answers, without the gauge. */
	if (store_outbox_depth(a->db, &g.outbox_depth) != OR_OK)
		g.outbox_depth = -1;
	g.db = db_backoff_get_stats(db_get_backoff(a->db), clock_mono_ms());
	buf_init(&out, LIMIT_RESPONSE_BYTES);
	st = metrics_render(a->metrics, a->route_labels, &g, &out);
	if (st == OR_OK)
		http_text(req, resp, 200, "text/plain; version=0.0.4; charset=utf-8", out.data ? out.data : "", out.len);
	else
		app_fail(a, req, resp, st, "metrics render failed");
	buf_free(&out);
}
