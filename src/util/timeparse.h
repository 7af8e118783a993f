/*
 * util/timeparse.h - timestamps and durations from (ptr, len) views, without
 * libc time functions or locale: RFC 3339 date-times with a zone, integer
 * Unix seconds, and durations like "30d". Pure; thread-safe.
 */
#ifndef UT_UTIL_TIMEPARSE_H
#define UT_UTIL_TIMEPARSE_H

#include <stddef.h>
#include <stdint.h>

#include "utmost/common.h"

/* Latest accepted instant: 9999-12-31T23:59:59Z. */
#define UT_TIME_MAX 253402300799.0

/*
 * Parse s[0..len) into Unix seconds (UTC) in *out:
 * - YYYY-MM-DD(T|t|' ')HH:MM:SS[.frac](Z|z|+HH:MM|-HH:MM|+HHMM|-HHMM|+HH|-HH), or
 * - integer Unix seconds 0..253402300799 (no sign).
 * UT_EPARSE for malformed text and for a date-time without a zone; UT_ELIMIT
 * for fields out of range (month 13, Feb 30, hour 24, offset past 18:00) and
 * instants before 1970 or after year 9999. *out is written only on success.
 */
int ut_parse_timestamp(const char *s, size_t len, double *out);

/*
 * Same, and on failure *why (if not NULL) gets a static lowercase reason
 * ("malformed timestamp", "timestamp without a zone", "timestamp out of
 * range", ...) for messages.
 */
int ut_parse_timestamp_why(const char *s, size_t len, double *out, const char **why);

/*
 * Parse a duration: a non-negative decimal integer then one unit s, m, h, d
 * or w ("90s", "15m", "12h", "30d", "2w") into seconds in *out. UT_EPARSE
 * for anything else, including overflow. *out is written only on success.
 */
int ut_parse_duration(const char *s, size_t len, double *out);

/* Days from 1970-01-01 to the proleptic Gregorian date y-m-d (m 1..12). */
int64_t ut_days_from_civil(int64_t y, unsigned m, unsigned d);

/* Room for a formatted timestamp ("YYYY-MM-DDTHH:MM:SS.mmmZ" and its NUL). */
#define UT_TIMESTAMP_LEN 25

enum ut_format_timestamp_flags {
    UT_TIMESTAMP_MILLIS = 1 << 0 /* always write milliseconds (else only when not .000) */
};

/*
 * Unix seconds t as RFC 3339 UTC into out, rounded to the millisecond; t is
 * clamped to 0..UT_TIME_MAX (what ut_parse_timestamp accepts). Returns the length.
 */
size_t ut_format_timestamp(double t, char out[UT_TIMESTAMP_LEN], unsigned flags);

#endif /* UT_UTIL_TIMEPARSE_H */
