/*
 * Shared-memory Prometheus counters.  The region is one fixed-size struct
 * mapped MAP_SHARED before fork; workers add with relaxed atomics (a scrape
 * may see a request counted in one series and not yet in another, which
 * Prometheus tolerates).  Histogram buckets are stored per bucket and made
 * cumulative when rendered.
 */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "onramp/metrics.h"

static const int status_codes[METRICS_NSTATUS - 1] = {
	200, 201, 202, 204, 301, 302, 304, 400, 401, 403, 404, 405,
	409, 410, 413, 415, 422, 429, 500, 502, 503, 504, 499
};

/* Upper bounds in microseconds; the last slot is +Inf. */
static const int64_t bucket_us[METRICS_NBUCKETS - 1] = {
	1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000, 5000000
};
static const char *const bucket_label[METRICS_NBUCKETS] = {
	"0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "5", "+Inf"
};

struct metrics {
	size_t nroutes;
	uint64_t requests[METRICS_MAX_ROUTES + 1][METRICS_NSTATUS];
	uint64_t buckets[METRICS_MAX_ROUTES + 1][METRICS_NBUCKETS];
	uint64_t sum_us[METRICS_MAX_ROUTES + 1];
	uint64_t worker_restarts;
	uint64_t db_errors;
	uint64_t open_tx_rolled_back;
	uint64_t tx_retries, tx_retries_exhausted;
	int64_t workers;
};

metrics *
metrics_new(size_t nroutes)
{
	metrics *m;

	if (nroutes > METRICS_MAX_ROUTES)
		return NULL;
	m = mmap(NULL, sizeof(*m), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return NULL;
	memset(m, 0, sizeof(*m));
	m->nroutes = nroutes;
	return m;
}

void
metrics_free(metrics *m)
{
	if (m)
		munmap(m, sizeof(*m));
}

size_t
metrics_status_slot(int status)
{
	size_t i;

	for (i = 0; i < METRICS_NSTATUS - 1; i++)
		if (status_codes[i] == status)
			return i;
	return METRICS_NSTATUS - 1;
}

static void
add(uint64_t *p, uint64_t v)
{
	__atomic_fetch_add(p, v, __ATOMIC_RELAXED);
}

static uint64_t
load(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

void
metrics_observe(metrics *m, size_t route, int status, int64_t duration_us)
{
	size_t b = 0;

	if (m == NULL)
		return;
	if (route > m->nroutes)
		route = m->nroutes;
	if (duration_us < 0)
		duration_us = 0;
	while (b < METRICS_NBUCKETS - 1 && duration_us > bucket_us[b])
		b++;
	add(&m->requests[route][metrics_status_slot(status)], 1);
	add(&m->buckets[route][b], 1);
	add(&m->sum_us[route], (uint64_t)duration_us);
}

void
metrics_worker_restart(metrics *m)
{
	if (m)
		add(&m->worker_restarts, 1);
}

void
metrics_set_workers(metrics *m, long n)
{
	if (m)
		__atomic_store_n(&m->workers, (int64_t)n, __ATOMIC_RELAXED);
}

void
metrics_db_error(metrics *m)
{
	if (m)
		add(&m->db_errors, 1);
}

void
metrics_open_tx_rolled_back(metrics *m)
{
	if (m)
		add(&m->open_tx_rolled_back, 1);
}

void
metrics_tx_retry(metrics *m, bool exhausted)
{
	if (m)
		add(exhausted ? &m->tx_retries_exhausted : &m->tx_retries, 1);
}

static const char *
route_label(const char *const *labels, size_t i, size_t n)
{
	return i >= n ? "unmatched" : labels[i];
}

static or_status
render_requests(const metrics *m, const char *const *labels, or_buf *out)
{
	size_t r, s;
	or_status st = buf_append_c(out,
		"# HELP onramp_http_requests_total HTTP requests answered, by route and status.\n"
		"# TYPE onramp_http_requests_total counter\n");

	for (r = 0; st == OR_OK && r <= m->nroutes; r++) {
		for (s = 0; st == OR_OK && s < METRICS_NSTATUS; s++) {
			uint64_t v = load(&m->requests[r][s]);
			if (v == 0)
				continue;
			if (s == METRICS_NSTATUS - 1)
				st = buf_appendf(out, "onramp_http_requests_total{route=\"%s\",status=\"other\"} %llu\n",
						 route_label(labels, r, m->nroutes), (unsigned long long)v);
			else
				st = buf_appendf(out, "onramp_http_requests_total{route=\"%s\",status=\"%d\"} %llu\n",
						 route_label(labels, r, m->nroutes), status_codes[s],
						 (unsigned long long)v);
		}
	}
	return st;
}

static or_status
render_histogram(const metrics *m, const char *const *labels, or_buf *out)
{
	size_t r, b;
	or_status st = buf_append_c(out,
		"# HELP onramp_http_request_duration_seconds Time from accept to response, by route.\n"
		"# TYPE onramp_http_request_duration_seconds histogram\n");

	for (r = 0; st == OR_OK && r <= m->nroutes; r++) {
		uint64_t cum = 0;
		const char *lab = route_label(labels, r, m->nroutes);
		for (b = 0; b < METRICS_NBUCKETS; b++)
			cum += load(&m->buckets[r][b]);
		if (cum == 0)
			continue;
		cum = 0;
		for (b = 0; st == OR_OK && b < METRICS_NBUCKETS; b++) {
			cum += load(&m->buckets[r][b]);
			st = buf_appendf(out, "onramp_http_request_duration_seconds_bucket{route=\"%s\",le=\"%s\"} %llu\n",
					 lab, bucket_label[b], (unsigned long long)cum);
		}
		if (st == OR_OK)
			st = buf_appendf(out,
					 "onramp_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n"
					 "onramp_http_request_duration_seconds_count{route=\"%s\"} %llu\n",
					 lab, (double)load(&m->sum_us[r]) / 1e6, lab, (unsigned long long)cum);
	}
	return st;
}

/* The back-off after database timeouts (src/store/db_backoff.c): shared by the workers, sampled at scrape. */
static or_status
render_db_backoff(const db_backoff_stats *s, or_buf *out)
{
	return buf_appendf(out,
		"# HELP onramp_db_timeouts_total Database calls that got no answer within their timeout "
		"(and failed trials); each starts a back-off.\n"
		"# TYPE onramp_db_timeouts_total counter\n"
		"onramp_db_timeouts_total %llu\n"
		"# HELP onramp_db_fast_failures_total Database calls failed at once during a back-off.\n"
		"# TYPE onramp_db_fast_failures_total counter\n"
		"onramp_db_fast_failures_total %llu\n"
		"# HELP onramp_db_backoff_seconds Time left of the current back-off (0 = none).\n"
		"# TYPE onramp_db_backoff_seconds gauge\n"
		"onramp_db_backoff_seconds %.3f\n",
		(unsigned long long)s->timeouts, (unsigned long long)s->refused, (double)s->left_ms / 1000.0);
}

or_status
metrics_render(const metrics *m, const char *const *labels, const metrics_gauges *g, or_buf *out)
{
	or_status st = render_requests(m, labels, out);

	if (st == OR_OK)
		st = render_histogram(m, labels, out);
	if (st == OR_OK)
		st = buf_appendf(out,
			"# HELP onramp_worker_restarts_total Workers that died and were restarted by the master.\n"
			"# TYPE onramp_worker_restarts_total counter\n"
			"onramp_worker_restarts_total %llu\n"
			"# HELP onramp_workers Workers currently running.\n"
			"# TYPE onramp_workers gauge\n"
			"onramp_workers %lld\n"
			"# HELP onramp_db_errors_total Database errors (connect, prepare, execute) seen by workers.\n"
			"# TYPE onramp_db_errors_total counter\n"
			"onramp_db_errors_total %llu\n"
			"# HELP onramp_open_transactions_rolled_back_total Transactions a handler left open, "
			"rolled back after it returned (a bug; the log names the route).\n"
			"# TYPE onramp_open_transactions_rolled_back_total counter\n"
			"onramp_open_transactions_rolled_back_total %llu\n",
			(unsigned long long)load(&m->worker_restarts),
			(long long)__atomic_load_n(&m->workers, __ATOMIC_RELAXED),
			(unsigned long long)load(&m->db_errors),
			(unsigned long long)load(&m->open_tx_rolled_back));
	if (st == OR_OK)
		st = buf_appendf(out,
			"# HELP onramp_db_tx_retries_total Requests run again after a deadlock or lock wait timeout.\n"
			"# TYPE onramp_db_tx_retries_total counter\n"
			"onramp_db_tx_retries_total %llu\n"
			"# HELP onramp_db_tx_retries_exhausted_total Requests that still hit a deadlock or lock wait "
			"timeout on their last attempt (answered 503).\n"
			"# TYPE onramp_db_tx_retries_exhausted_total counter\n"
			"onramp_db_tx_retries_exhausted_total %llu\n",
			(unsigned long long)load(&m->tx_retries),
			(unsigned long long)load(&m->tx_retries_exhausted));
	if (st == OR_OK && g && g->outbox_depth >= 0)
		st = buf_appendf(out,
			"# HELP onramp_outbox_depth Mails waiting in the outbox.\n"
			"# TYPE onramp_outbox_depth gauge\n"
			"onramp_outbox_depth %ld\n", g->outbox_depth);
	if (st == OR_OK && g)
		st = render_db_backoff(&g->db, out);
	return st;
}
