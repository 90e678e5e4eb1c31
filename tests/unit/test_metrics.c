/* Unit tests for metrics counting and Prometheus rendering (src/server/metrics.c). */
#include <string.h>

#include "onramp/metrics.h"
#include "unit.h"

static void
test_render(void)
{
	static const char *const labels[] = { "GET /healthz", "GET /readyz" };
	metrics *m = metrics_new(2);
	metrics_gauges g = { 3, { 7, 11, 2500 } };	/* outbox depth; db timeouts, fast failures, back-off left */
	or_buf out;

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	metrics_observe(m, 0, 200, 800);	/* 0.8 ms */
	metrics_observe(m, 0, 200, 30000);	/* 30 ms */
	metrics_observe(m, 1, 503, 2000);
	metrics_observe(m, 2, 404, 100);	/* unmatched */
	metrics_observe(m, 99, 418, 100);	/* out of range: unmatched, other status */
	metrics_worker_restart(m);
	metrics_db_error(m);
	metrics_db_error(m);
	metrics_set_workers(m, 4);
	metrics_open_tx_rolled_back(m);
	buf_init(&out, 1 << 20);
	CU_ASSERT_EQUAL_FATAL(metrics_render(m, labels, &g, &out), OR_OK);
	CU_ASSERT_PTR_NOT_NULL(strstr(out.data, "onramp_http_requests_total{route=\"GET /healthz\",status=\"200\"} 2\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out.data, "onramp_http_requests_total{route=\"GET /readyz\",status=\"503\"} 1\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out.data, "onramp_http_requests_total{route=\"unmatched\",status=\"404\"} 1\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out.data, "onramp_http_requests_total{route=\"unmatched\",status=\"other\"} 1\n"));
	/* Cumulative buckets: 0.8 ms falls in le=0.001, 30 ms first counts at le=0.05. */
	CU_ASSERT_PTR_NOT_NULL(strstr(out.data, "duration_seconds_bucket{route=\"GET /healthz\",le=\"0.001\"} 1\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out.data, "duration_seconds_bucket{route=\"GET /healthz\",le=\"0.025\"} 1\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out.data, "duration_seconds_bucket{route=\"GET /healthz\",le=\"0.05\"} 2\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out.data, "duration_seconds_bucket{route=\"GET /healthz\",le=\"+Inf\"} 2\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out.data, "duration_seconds_sum{route=\"GET /healthz\"} 0.030800\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out.data, "duration_seconds_count{route=\"GET /healthz\"} 2\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out.data, "onramp_worker_restarts_total 1\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out.data, "onramp_db_errors_total 2\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out.data, "onramp_workers 4\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out.data, "onramp_open_transactions_rolled_back_total 1\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out.data, "onramp_outbox_depth 3\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out.data, "onramp_db_timeouts_total 7\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out.data, "onramp_db_fast_failures_total 11\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out.data, "onramp_db_backoff_seconds 2.500\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out.data, "# TYPE onramp_http_request_duration_seconds histogram\n"));
	buf_free(&out);
	metrics_free(m);
}

static void
test_status_slots(void)
{
	CU_ASSERT_NOT_EQUAL(metrics_status_slot(200), metrics_status_slot(404));
	CU_ASSERT_EQUAL(metrics_status_slot(418), METRICS_NSTATUS - 1);
	CU_ASSERT_EQUAL(metrics_status_slot(-1), METRICS_NSTATUS - 1);
}

static void
test_too_many_routes(void)
{
	CU_ASSERT_PTR_NULL(metrics_new(METRICS_MAX_ROUTES + 1));
}

static const unit_test tests[] = {
	{ "render counters and histogram", test_render },
	{ "status slots", test_status_slots },
	{ "route capacity", test_too_many_routes },
	{ NULL, NULL }
};
UNIT_MAIN("metrics", tests)
