/*
 * Time formats at the edges: RFC 3339 UTC strings in the API, and MariaDB's
 * DATETIME text ("2026-11-23 18:27:07.123456", UTC by connection setting).
 * Internally time is UNIX seconds.
 */
#ifndef ONRAMP_TIMEFMT_H
#define ONRAMP_TIMEFMT_H

#include <stdint.h>
#include "onramp/status.h"
#include "onramp/str.h"

#define TIMEFMT_RFC3339_LEN 21	/* "2026-11-23T18:27:07Z" + NUL */

/** Format UNIX seconds as "YYYY-MM-DDTHH:MM:SSZ". */
void timefmt_rfc3339(int64_t t, char out[TIMEFMT_RFC3339_LEN]);
/**
 * Parse an RFC 3339 timestamp ("2026-01-01T00:00:00Z", optional fraction) to
 * UNIX seconds: a numeric offset ("+02:00") is converted to UTC, the fraction
 * is dropped, an impossible date and a time before 1970 are refused.
 */
or_status timefmt_parse_rfc3339(or_str s, int64_t *out);
/** Parse MariaDB DATETIME text (fraction ignored) as UTC. */
or_status timefmt_parse_db(or_str s, int64_t *out);
/** Days since 1970-01-01 for a civil date (proleptic Gregorian); no range checks. */
int64_t timefmt_days_from_civil(int64_t y, unsigned m, unsigned d);

#endif
