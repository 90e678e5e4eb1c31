/*
 * Structured logging: one JSON object per line on the log descriptor
 * (stderr unless configured).  Callers never pass bodies, cookies, tokens or
 * passwords; the request log line carries only method, route, status,
 * duration and request id.
 */
#ifndef ONRAMP_LOG_H
#define ONRAMP_LOG_H

#include <stdint.h>

typedef enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR } log_level;

/** Send log lines to fd (default 2); the component names the program. */
void log_init(int fd, const char *component);
/** Refresh the cached pid in a freshly forked child. */
void log_after_fork(void);
/** Log one event with a free-text message (escaped). */
void log_event(log_level lvl, const char *event, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/** What one finished request looks like in the log. */
typedef struct log_request_line {
	const char *method;
	const char *route;	/* the route pattern, never the raw path */
	int status;
	int64_t duration_us;
	const char *request_id;
	const char *error_code;	/* API error code or NULL */
	const char *detail;	/* internal detail for 5xx, or NULL */
} log_request_line;

/** Write the per-request log line. */
void log_request(const log_request_line *r);

/** What one finished background job looks like in the log (ids and outcomes, never documents). */
typedef struct log_job_line {
	const char *kind;	/* "sso_validation" */
	int64_t job_id;
	int64_t customer_id;
	int64_t version;
	long attempt;
	const char *outcome;	/* done, failed, requeued, superseded, db_error */
	int ok;			/* the report's verdict: 1, 0, or -1 when none */
	const char *error_code;	/* a stable code or NULL */
	int64_t duration_us;
	const char *request_id;	/* of the request that queued it */
} log_job_line;

/** Write the per-job log line. */
void log_job(const log_job_line *j);

#endif
