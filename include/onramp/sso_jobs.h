/*
 * SSO validation jobs (sql/010): the queue between POST /sso/validate and
 * onramp-fetcher, so request workers never wait on an identity provider.
 * One active (queued or running) job per customer, kept by a unique index;
 * runners claim with a conditional UPDATE and the claim count as token, and
 * a job whose runner died is claimed again once its lease has expired.
 */
#ifndef ONRAMP_SSO_JOBS_H
#define ONRAMP_SSO_JOBS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "onramp/arena.h"
#include "onramp/db.h"
#include "onramp/status.h"

/** One validation job as stored (strings in the caller's arena, NULL when unset). */
typedef struct sso_job {
	int64_t id;
	int64_t customer_id;
	int64_t version;		/* the draft version to validate */
	const char *state;		/* queued, running, done, failed */
	long attempts;			/* claims so far; the running claim's token */
	int64_t requested_by;		/* user id, 0 = unknown */
	const char *request_id;		/* of the POST that queued it, for the audit row */
	int report_ok;			/* -1 unknown, else 0/1 */
	const char *error_code;
	const char *error_message;
	int64_t created_at, started_at, finished_at;
} sso_job;

/** Who asks for a validation. */
typedef struct sso_job_request {
	int64_t customer_id;
	int64_t version;
	int64_t user_id;
	const char *request_id;
	int64_t now;
} sso_job_request;

/**
 * Queue a validation of version inside the caller's transaction, or return
 * the customer's active job.  An active job for an older version is
 * retargeted to this one: queued, it simply validates the newer details;
 * running, its runner queues it again when it ends.  *changed is true when
 * a job was queued or retargeted (false: the active job already covers it).
 */
or_status store_sso_job_enqueue(db *d, arena *a, const sso_job_request *rq, sso_job *out, bool *changed);
/** A customer's job by id (OR_ERR_NOT_FOUND for another customer's). */
or_status store_sso_job_get(db *d, arena *a, int64_t customer_id, int64_t id, sso_job *out);
/** The customer's newest job (*found false when none). */
or_status store_sso_job_latest(db *d, arena *a, int64_t customer_id, sso_job *out, bool *found);
/**
 * Claim one claimable job (queued, or running with a lease expired before
 * now and fewer than max_attempts claims) for lease_s seconds; *out->id 0
 * when there is none.  Atomic per job: a conditional UPDATE, affected rows.
 */
or_status store_sso_job_claim(db *d, arena *a, int64_t now, int lease_s, long max_attempts, sso_job *out);
/** Fail running jobs whose lease expired after max_attempts claims; *n gets how many. */
or_status store_sso_job_give_up(db *d, int64_t now, long max_attempts, unsigned long long *n);
/**
 * Inside the caller's transaction: mark the claimed job (id, attempts,
 * version) done (report_ok) or failed (error_code, message).
 * OR_ERR_CONFLICT when the claim is no longer this runner's or the version
 * was raised meanwhile: the caller rolls back and settles.
 */
or_status store_sso_job_finish(db *d, const sso_job *j, bool done, bool report_ok, const char *error_code,
			       const char *message, int64_t now);
/** Move a claimed job to version (the draft's version after the runner itself changed it); conflict when the claim is lost. */
or_status store_sso_job_move(db *d, sso_job *j, int64_t version);
/**
 * After a finish was refused: queue the claimed job again when its version
 * was raised, else fail it as superseded (the draft changed without a new
 * validation).  *requeued tells which; nothing happens when the claim is lost.
 */
or_status store_sso_job_settle(db *d, const sso_job *j, int64_t now, bool *requeued);

#endif
