/*
 * The back-off after a database timeout (include/onramp/db_backoff.h): the
 * shared state with its atomics, and the gate every call that talks to the
 * server passes first (db_gate).  Workers share one page mapped by the master
 * before fork, so when one worker's statement times out the others stop
 * sending requests into the hang at once; their next calls cost one atomic
 * load when there is no back-off.  Times are CLOCK_MONOTONIC milliseconds,
 * which every process on the host reads alike.
 */
#include <sys/mman.h>

#include <errmsg.h>

#include "onramp/clock.h"
#include "onramp/log.h"
#include "db_internal.h"

struct db_backoff {
	int64_t until_ms;	/* end of the back-off; 0 = none */
	int64_t trial_until_ms;	/* a trial is running until then (a claim that expires if its worker dies) */
	uint64_t timeouts;
	uint64_t refused;
};

db_backoff *
db_backoff_new(void)
{
	db_backoff *b = mmap(NULL, sizeof(*b), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return b == MAP_FAILED ? NULL : b;	/* anonymous pages come zeroed: no back-off */
}

void
db_backoff_free(db_backoff *b)
{
	if (b)
		munmap(b, sizeof(*b));
}

db_backoff_verdict
db_backoff_admit(db_backoff *b, int64_t now_ms, int64_t trial_ms)
{
	int64_t until = __atomic_load_n(&b->until_ms, __ATOMIC_ACQUIRE);
	int64_t claim;

	if (until == 0)
		return DB_BACKOFF_GO;
	if (now_ms < until)
		return DB_BACKOFF_REFUSE;
	/* Over: the first caller to claim runs the one trial; the rest keep failing fast until it ends. */
	claim = __atomic_load_n(&b->trial_until_ms, __ATOMIC_ACQUIRE);
	if (claim > now_ms)
		return DB_BACKOFF_REFUSE;
	if (__atomic_compare_exchange_n(&b->trial_until_ms, &claim, now_ms + trial_ms, false, __ATOMIC_ACQ_REL,
					__ATOMIC_ACQUIRE))
		return DB_BACKOFF_TRIAL;
	return DB_BACKOFF_REFUSE;
}

void
db_backoff_start(db_backoff *b, int64_t now_ms, int64_t len_ms)
{
	int64_t until = now_ms + len_ms;

	__atomic_store_n(&b->until_ms, until > 0 ? until : 1, __ATOMIC_RELEASE);
	__atomic_store_n(&b->trial_until_ms, 0, __ATOMIC_RELEASE);
	__atomic_fetch_add(&b->timeouts, 1, __ATOMIC_RELAXED);
}

void
db_backoff_end(db_backoff *b)
{
	__atomic_store_n(&b->until_ms, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&b->trial_until_ms, 0, __ATOMIC_RELEASE);
}

void
db_backoff_count_refusal(db_backoff *b)
{
	__atomic_fetch_add(&b->refused, 1, __ATOMIC_RELAXED);
}

int64_t
db_backoff_left_ms(const db_backoff *b, int64_t now_ms)
{
	int64_t until = __atomic_load_n(&b->until_ms, __ATOMIC_ACQUIRE);

	if (until == 0)
		return 0;
	return until > now_ms ? until - now_ms : 1;
}

db_backoff_stats
db_backoff_get_stats(const db_backoff *b, int64_t now_ms)
{
	db_backoff_stats s;

	s.timeouts = __atomic_load_n(&b->timeouts, __ATOMIC_RELAXED);
	s.refused = __atomic_load_n(&b->refused, __ATOMIC_RELAXED);
	s.left_ms = db_backoff_left_ms(b, now_ms);
	return s;
}

void
db_set_backoff(db *d, db_backoff *b)
{
	d->bo = b ? b : d->own_bo;
}

db_backoff *
db_get_backoff(const db *d)
{
	return d->bo;
}

int
db_retry_after_s(const db *d, int def_s)
{
	int64_t left = db_backoff_left_ms(d->bo, clock_mono_ms());

	if (left == 0)
		return def_s;
	return (int)((left + 999) / 1000);
}

/* The shortest configured timeout: a connection error that took most of it was a timeout, not a refusal. */
static int64_t
timeout_floor_ms(const db *d)
{
	int s = d->cfg->db_connect_timeout_s;

	if (d->cfg->db_read_timeout_s < s)
		s = d->cfg->db_read_timeout_s;
	if (d->cfg->db_write_timeout_s < s)
		s = d->cfg->db_write_timeout_s;
	return (int64_t)s * 900;
}

void
db_backoff_note(db *d, unsigned no)
{
	int64_t now, took;

	if (d->call_ms == 0 || !db_is_conn_error(no))
		return;
	now = clock_mono_ms();
	took = now - d->call_ms;
	/* A restarted server breaks the connection in microseconds; only a wait this long is a hang. */
	if (took < timeout_floor_ms(d))
		return;
	db_backoff_start(d->bo, now, (int64_t)d->cfg->db_backoff_s * 1000);
	log_event(LOG_WARN, "db_timeout", "a database call got no answer for %lld ms (error %u): every call "
		  "fails at once for %d s", (long long)took, no, d->cfg->db_backoff_s);
}

/*
 * The one trial after a back-off: a probe bounded by the connect timeout.
 * True when the caller may go ahead (an answer, or a refusal that its own
 * call will meet at once).
 */
static bool
trial(db *d)
{
	unsigned version;
	db_probe_result r = db_probe_answer(d, d->cfg->db_connect_timeout_s * 1000, &version);

	db_backoff_settle(d, r);
	return r != DB_PROBE_TIMEOUT;
}

void
db_backoff_settle(db *d, db_probe_result r)
{
	/* A refusal is no hang: a stopped server fails each call at once by itself, so no back-off is needed. */
	if (r == DB_PROBE_TIMEOUT) {
		db_backoff_start(d->bo, clock_mono_ms(), (int64_t)d->cfg->db_backoff_s * 1000);
		log_event(LOG_WARN, "db_timeout", "the database still does not answer: failing fast for %d s more",
			  d->cfg->db_backoff_s);
		return;
	}
	db_backoff_end(d->bo);
	log_event(LOG_INFO, "db_backoff_ended", "%s", r == DB_PROBE_OK ? "the database answers again" :
		  "the database refuses connections (not hung): calls go ahead and fail on their own");
}

or_status
db_gate(db *d)
{
	int64_t now = clock_mono_ms();

	switch (db_backoff_admit(d->bo, now, (int64_t)d->cfg->db_connect_timeout_s * 1000 + 1000)) {
	case DB_BACKOFF_GO:
		d->call_ms = now;
		return OR_OK;
	case DB_BACKOFF_TRIAL:
		if (trial(d)) {
			d->call_ms = clock_mono_ms();
			return OR_OK;
		}
		break;
	case DB_BACKOFF_REFUSE:
		break;
	}
	db_backoff_count_refusal(d->bo);
	d->call_ms = 0;
	d->last_errno = 0;	/* not a connection error: nothing may redial within this request */
	str_copy(d->err, sizeof(d->err), "database calls fail fast: a call timed out moments ago (db_backoff_s)");
	return OR_ERR_DB;
}

bool
db_backoff_active(const db *d)
{
	return db_backoff_left_ms(d->bo, clock_mono_ms()) > 0;
}
