/*
 * Content-Security-Policy violation reports from browsers (the console's CSP
 * names this endpoint in report-uri).  A report is bounded, parsed as JSON,
 * and only the directive and the blocked URI's scheme+host are logged, so a
 * report cannot smuggle page content or tokens into the logs.
 */
#include <string.h>
#include <strings.h>

#include "onramp/app.h"
#include "onramp/log.h"
#include "handlers.h"

#define CSP_REPORT_LIMIT (16u * 1024u)

static bool
is_report_type(const char *ct)
{
	return http_is_json_type(ct) || strncasecmp(ct, "application/csp-report", 22) == 0 ||
	       strncasecmp(ct, "application/reports+json", 24) == 0;
}

/* Copy at most the scheme and host of a URI ("https://example.com"). */
static void
origin_of(const char *uri, char *out, size_t outsz)
{
	const char *p = strstr(uri, "://");
	size_t n;

	if (p == NULL) {
		/* "inline", "eval", "data" and friends are keywords, safe to keep short. */
		n = strcspn(uri, ":/?#");
	} else {
		n = (size_t)(p - uri) + 3;
		n += strcspn(uri + n, "/?#@");
	}
	if (n >= outsz)
		n = outsz - 1;
	memcpy(out, uri, n);
	out[n] = '\0';
}

void
api_csp_report(app *a, http_request *req, http_response *resp)
{
	json_object *rep, *v;
	const char *directive = "", *blocked = "";
	char origin[128];

	(void)a;
	if (!is_report_type(req->content_type)) {
		http_error(resp, 415, "unsupported_media_type",
			   "Send CSP reports as application/csp-report or application/json.");
		return;
	}
	/* Reuse the JSON reader: it checks the declared length, depth and syntax. */
	req->content_type = "application/json";
	if (http_read_json(req, resp, CSP_REPORT_LIMIT) != OR_OK)
		return;
	rep = json_object_object_get_ex(req->json, "csp-report", &v) ? v : req->json;
	if (json_object_object_get_ex(rep, "violated-directive", &v) && json_object_is_type(v, json_type_string))
		directive = json_object_get_string(v);
	if (json_object_object_get_ex(rep, "blocked-uri", &v) && json_object_is_type(v, json_type_string))
		blocked = json_object_get_string(v);
	origin_of(blocked, origin, sizeof(origin));
	log_event(LOG_WARN, "csp_violation", "directive=%.80s blocked=%s", directive, origin);
	resp->status = 204;
}
