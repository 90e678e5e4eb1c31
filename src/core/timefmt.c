/*
 * Time formatting and parsing without the C library's time zone state:
 * civil-date arithmetic (Howard Hinnant's days_from_civil algorithm) so
 * results never depend on TZ or locale.
 */
#include <stdbool.h>
#include <stdio.h>

#include "onramp/timefmt.h"

int64_t
timefmt_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? (unsigned)-3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void
civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

void
timefmt_rfc3339(int64_t t, char out[TIMEFMT_RFC3339_LEN])
{
	int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400), y;
	int64_t secs = t - days * 86400;
	unsigned m, d;

	civil_from_days(days, &y, &m, &d);
	if (y < 0 || y > 9999 ||
	    snprintf(out, TIMEFMT_RFC3339_LEN, "%04d-%02u-%02uT%02d:%02d:%02dZ", (int)y, m, d,
		     (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60)) != TIMEFMT_RFC3339_LEN - 1)
		snprintf(out, TIMEFMT_RFC3339_LEN, "1970-01-01T00:00:00Z");
}

static bool
digits(const char *p, size_t n, unsigned *v)
{
	size_t i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		*v = *v * 10 + (unsigned)(p[i] - '0');
	}
	return true;
}

or_status
timefmt_parse_db(or_str s, int64_t *out)
{
	unsigned y, mo, d, h, mi, se;

	if (s.ptr == NULL || s.len < 19 || s.ptr[4] != '-' || s.ptr[7] != '-' || s.ptr[10] != ' ' ||
	    s.ptr[13] != ':' || s.ptr[16] != ':')
		return OR_ERR_INVALID;
	if (!digits(s.ptr, 4, &y) || !digits(s.ptr + 5, 2, &mo) || !digits(s.ptr + 8, 2, &d) ||
	    !digits(s.ptr + 11, 2, &h) || !digits(s.ptr + 14, 2, &mi) || !digits(s.ptr + 17, 2, &se))
		return OR_ERR_INVALID;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
		return OR_ERR_INVALID;
	*out = timefmt_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
	return OR_OK;
}

static unsigned
days_in_month(unsigned y, unsigned m)
{
	static const unsigned char days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : days[m - 1];
}

/* "YYYY-MM-DDTHH:MM:SS" (19 bytes, T in any case) as seconds of the local time scale. */
static bool
parse_civil(const char *s, int64_t *out)
{
	unsigned y, mo, d, h, mi, se;

	if (s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') || s[13] != ':' || s[16] != ':')
		return false;
	if (!digits(s, 4, &y) || !digits(s + 5, 2, &mo) || !digits(s + 8, 2, &d) ||
	    !digits(s + 11, 2, &h) || !digits(s + 14, 2, &mi) || !digits(s + 17, 2, &se))
		return false;
	/* No leap second: MariaDB's DATETIME cannot hold :60 either. */
	if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || se > 59)
		return false;
	*out = timefmt_days_from_civil(y, mo, d) * 86400 + (int64_t)h * 3600 + mi * 60 + se;
	return true;
}

/* The zone at s (n bytes, all of the rest): Z, or ±HH:MM as seconds east of UTC. */
static bool
parse_zone(const char *s, size_t n, int64_t *east)
{
	unsigned h, m;

	if (n == 1 && (s[0] == 'Z' || s[0] == 'z')) {
		*east = 0;
		return true;
	}
	if (n != 6 || (s[0] != '+' && s[0] != '-') || s[3] != ':' || !digits(s + 1, 2, &h) ||
	    !digits(s + 4, 2, &m) || h > 23 || m > 59)
		return false;
	*east = (int64_t)(h * 3600 + m * 60) * (s[0] == '-' ? -1 : 1);
	return true;
}

or_status
timefmt_parse_rfc3339(or_str s, int64_t *out)
{
	size_t i = 19, frac;
	int64_t local, east;

	if (s.ptr == NULL || s.len < 20 || !parse_civil(s.ptr, &local))
		return OR_ERR_INVALID;
	if (s.ptr[i] == '.') {
		for (frac = ++i; i < s.len && s.ptr[i] >= '0' && s.ptr[i] <= '9'; i++)
			;
		/* Nanoseconds at most; the fraction is dropped (the columns compare to seconds). */
		if (i == frac || i - frac > 9)
			return OR_ERR_INVALID;
	}
	if (i == s.len || !parse_zone(s.ptr + i, s.len - i, &east) || local - east < 0)
		return OR_ERR_INVALID;
	*out = local - east;
	return OR_OK;
}
