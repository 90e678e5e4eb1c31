/*
 * Prometheus metrics shared by all workers.  The master maps one shared
 * anonymous region before forking, so every worker adds to the same counters
 * with relaxed atomics and any worker can render the whole picture for
 * /metrics.  The region survives worker restarts and SIGHUP reloads.
 */
#ifndef ONRAMP_METRICS_H
#define ONRAMP_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "onramp/db_backoff.h"
#include "onramp/status.h"
#include "onramp/str.h"

/** Most routes the region has slots for (the last slot counts unmatched paths). */
#define METRICS_MAX_ROUTES 128
/** Status codes tracked one by one; others fall in an "other" slot. */
#define METRICS_NSTATUS 24
/** Latency histogram buckets (seconds), plus +Inf. */
#define METRICS_NBUCKETS 12

typedef struct metrics metrics;

/** Map a shared region for nroutes routes; NULL on failure. */
metrics *metrics_new(size_t nroutes);
/** Unmap the region. */
void metrics_free(metrics *m);
/** Count one request: route index (nroutes = unmatched), status and duration. */
void metrics_observe(metrics *m, size_t route, int status, int64_t duration_us);
/** Count a worker the master had to restart after it died. */
void metrics_worker_restart(metrics *m);
/** Set the number of live workers (master). */
void metrics_set_workers(metrics *m, long n);
/** Count a database error. */
void metrics_db_error(metrics *m);
/** Count a transaction a handler left open, which the dispatch guard rolled back. */
void metrics_open_tx_rolled_back(metrics *m);
/** Count a request run again after a lock conflict, or (exhausted) one whose last attempt still hit one. */
void metrics_tx_retry(metrics *m, bool exhausted);

/** Extra gauges sampled at scrape time. */
typedef struct metrics_gauges {
	long outbox_depth;	/* -1 when unknown (database down) */
	db_backoff_stats db;	/* timeouts, fast failures and back-off left, shared by the workers */
} metrics_gauges;

/**
 * Render Prometheus text exposition format.  route_labels[i] names route i
 * ("GET /healthz"); the unmatched slot is labelled "unmatched".
 */
or_status metrics_render(const metrics *m, const char *const *route_labels,
			 const metrics_gauges *g, or_buf *out);

/** The index of a status code's slot (METRICS_NSTATUS - 1 = other). */
size_t metrics_status_slot(int status);

#endif
