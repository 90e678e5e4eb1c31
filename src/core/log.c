/*
 * Structured JSON log lines.  Each line is assembled in a stack buffer and
 * written with one write(2), so lines from concurrent workers sharing a file
 * never interleave (O_APPEND writes under PIPE_BUF-ish sizes are atomic in
 * practice on local files).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "onramp/limits.h"
#include "onramp/log.h"
#include "onramp/str.h"

static int log_fd = 2;
static const char *log_component = "onramp";
static long log_pid;

void
log_init(int fd, const char *component)
{
	log_fd = fd;
	if (component)
		log_component = component;
	log_pid = (long)getpid();
}

void
log_after_fork(void)
{
	log_pid = (long)getpid();
}

static const char *
level_name(log_level l)
{
	switch (l) {
	case LOG_DEBUG: return "debug";
	case LOG_INFO: return "info";
	case LOG_WARN: return "warn";
	case LOG_ERROR: return "error";
	}
	return "info";
}

static void
line_begin(or_buf *b, log_level lvl)
{
	struct timespec ts;
	struct tm tm;
	char t[40];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	if (strftime(t, sizeof(t), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		t[0] = '\0';
	(void)buf_appendf(b, "{\"time\":\"%s.%03ldZ\",\"level\":\"%s\",\"component\":\"",
			  t, ts.tv_nsec / 1000000, level_name(lvl));
	(void)buf_append_json_escaped(b, log_component, strlen(log_component));
	(void)buf_appendf(b, "\",\"pid\":%ld", log_pid ? log_pid : (long)getpid());
}

static void
add_str(or_buf *b, const char *key, const char *v)
{
	if (v == NULL)
		return;
	(void)buf_appendf(b, ",\"%s\":\"", key);
	(void)buf_append_json_escaped(b, v, strlen(v));
	(void)buf_putc(b, '"');
}

static void
line_end(or_buf *b)
{
	ssize_t w;

	if (buf_append(b, "}\n", 2) != OR_OK) {
		/* Truncated: still emit valid JSON by closing where we are. */
		b->len = b->len > LIMIT_LOG_LINE - 40 ? LIMIT_LOG_LINE - 40 : b->len;
		(void)buf_append_c(b, "\",\"truncated\":true}\n");
	}
	w = write(log_fd, b->data, b->len);
	(void)w;
}

void
log_event(log_level lvl, const char *event, const char *fmt, ...)
{
	or_buf b;
	char msg[1024];
	va_list ap;

	buf_init(&b, LIMIT_LOG_LINE);
	line_begin(&b, lvl);
	add_str(&b, "event", event);
	va_start(ap, fmt);
	if (vsnprintf(msg, sizeof(msg), fmt, ap) < 0)
		msg[0] = '\0';
	va_end(ap);
	add_str(&b, "message", msg);
	line_end(&b);
	buf_free(&b);
}

void
log_request(const log_request_line *r)
{
	or_buf b;

	buf_init(&b, LIMIT_LOG_LINE);
	line_begin(&b, r->status >= 500 ? LOG_ERROR : LOG_INFO);
	add_str(&b, "event", "request");
	add_str(&b, "request_id", r->request_id);
	add_str(&b, "method", r->method);
	add_str(&b, "route", r->route);
	(void)buf_appendf(&b, ",\"status\":%d,\"duration_ms\":%.3f", r->status,
			  (double)r->duration_us / 1000.0);
	add_str(&b, "error", r->error_code);
	add_str(&b, "detail", r->detail);
	line_end(&b);
	buf_free(&b);
}

void
log_job(const log_job_line *j)
{
	or_buf b;

	buf_init(&b, LIMIT_LOG_LINE);
	line_begin(&b, strcmp(j->outcome, "db_error") == 0 ? LOG_WARN : LOG_INFO);
	add_str(&b, "event", "job");
	add_str(&b, "kind", j->kind);
	(void)buf_appendf(&b, ",\"job_id\":%lld,\"customer_id\":%lld,\"version\":%lld,\"attempt\":%ld",
			  (long long)j->job_id, (long long)j->customer_id, (long long)j->version, j->attempt);
	add_str(&b, "outcome", j->outcome);
	if (j->ok >= 0)
		(void)buf_appendf(&b, ",\"ok\":%s", j->ok ? "true" : "false");
	add_str(&b, "error", j->error_code);
	(void)buf_appendf(&b, ",\"duration_ms\":%.3f", (double)j->duration_us / 1000.0);
	add_str(&b, "request_id", j->request_id);
	line_end(&b);
	buf_free(&b);
}
