/*
 * util/timeparse.c - RFC 3339 timestamps (read and written), Unix seconds and durations. The
 * calendar arithmetic is Howard Hinnant's days_from_civil, so nothing here
 * touches the TZ environment, the locale or libc's time functions.
 */
#include "util/setup.h"

#include "util/timeparse.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* UT_TIME_MAX as an integer. */
#define UNIX_MAX UINT64_C(253402300799)

/* Offsets beyond this many minutes are rejected (RFC 3339 allows +-23:59, but none exist). */
#define TZ_MAX_MINUTES (18 * 60)

int64_t
ut_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    int64_t era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (int64_t)(m > 2 ? m - 3 : m + 9) + 2) / 5 + (int64_t)d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* Proleptic Gregorian date of days since 1970-01-01 (H. Hinnant's civil_from_days). */
static void
civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    int64_t era, doe, yoe, doy, mp;

    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
    *m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

size_t
ut_format_timestamp(double t, char out[UT_TIMESTAMP_LEN], unsigned flags)
{
    double c = isfinite(t) && t > 0 ? (t < UT_TIME_MAX ? t : UT_TIME_MAX) : 0.0;
    int64_t ms = (int64_t)floor(c * 1000.0 + 0.5), y;
    int64_t days = ms / 86400000, rem = ms % 86400000;
    unsigned mo, d;
    char tmp[64]; /* what the compiler can prove enough; the clamp keeps it at 24 */
    int n;

    civil_from_days(days, &y, &mo, &d);
    n = snprintf(tmp, sizeof(tmp), "%04d-%02u-%02uT%02d:%02d:%02d", (int)y, mo, d,
                 (int)(rem / 3600000), (int)(rem / 60000 % 60), (int)(rem / 1000 % 60));
    if ((flags & UT_TIMESTAMP_MILLIS) != 0 || rem % 1000 != 0) {
        n += snprintf(tmp + n, sizeof(tmp) - (size_t)n, ".%03dZ", (int)(rem % 1000));
    } else {
        n += snprintf(tmp + n, sizeof(tmp) - (size_t)n, "Z");
    }
    memcpy(out, tmp, (size_t)n + 1);
    return (size_t)n;
}

static unsigned
days_in_month(unsigned y, unsigned m)
{
    static const unsigned char mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

    if (m == 2 && (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))) {
        return 29;
    }
    return mdays[m - 1];
}

/* n digits at s as a number; -1 if any is not a digit. */
static int
digits(const char *s, size_t n)
{
    int v = 0;

    for (size_t i = 0; i < n; i++) {
        unsigned d = (unsigned char)s[i] - (unsigned)'0';

        if (d > 9) {
            return -1;
        }
        v = v * 10 + (int)d;
    }
    return v;
}

/* Integer Unix seconds: [-]digits. */
static int
parse_unix(const char *s, size_t len, double *out, const char **why)
{
    size_t i = s[0] == '-' ? 1 : 0;
    uint64_t v = 0;

    if (i == len) {
        *why = "malformed timestamp";
        return UT_EPARSE;
    }
    for (; i < len; i++) {
        unsigned d = (unsigned char)s[i] - (unsigned)'0';

        if (d > 9) {
            *why = "malformed timestamp";
            return UT_EPARSE;
        }
        if (v <= UNIX_MAX) {
            v = v * 10 + d; /* saturates well below 2^64: stops growing once past the max */
        }
    }
    if (s[0] == '-' || v > UNIX_MAX) {
        *why = "timestamp out of range";
        return UT_ELIMIT;
    }
    *out = (double)v;
    return UT_OK;
}

/* The zone at s[0..len): Z, +HH:MM, +HHMM or +HH (or '-'); minutes east in *off. */
static int
parse_zone(const char *s, size_t len, int *off, const char **why)
{
    int hh, mm = 0;

    if (len == 0) {
        *why = "timestamp without a zone";
        return UT_EPARSE;
    }
    if (len == 1 && (s[0] == 'Z' || s[0] == 'z')) {
        *off = 0;
        return UT_OK;
    }
    *why = "malformed timestamp";
    if ((s[0] != '+' && s[0] != '-') || len < 3) {
        return UT_EPARSE;
    }
    hh = digits(s + 1, 2);
    if (hh < 0) {
        return UT_EPARSE;
    }
    if (len == 6 && s[3] == ':') {
        mm = digits(s + 4, 2);
    } else if (len == 5) {
        mm = digits(s + 3, 2);
    } else if (len != 3) {
        return UT_EPARSE;
    }
    if (mm < 0) {
        return UT_EPARSE;
    }
    if (mm > 59 || hh * 60 + mm > TZ_MAX_MINUTES) {
        *why = "timestamp zone offset out of range";
        return UT_ELIMIT;
    }
    *off = (s[0] == '-' ? -1 : 1) * (hh * 60 + mm);
    return UT_OK;
}

/* Fraction digits after '.' at s[*i..len): value in [0, 1). */
static int
parse_frac(const char *s, size_t len, size_t *i, double *frac)
{
    size_t start = *i;
    uint64_t num = 0;
    double scale = 1.0;

    for (; *i < len && (unsigned)((unsigned char)s[*i] - '0') <= 9; (*i)++) {
        if (*i - start < 18) {
            num = num * 10 + (unsigned)(s[*i] - '0');
            scale *= 10.0;
        }
    }
    if (*i == start) {
        return UT_EPARSE;
    }
    *frac = (double)num / scale;
    return UT_OK;
}

struct civil {
    int y, mo, d, h, mi, sec;
};

/* The fixed-width part YYYY-MM-DDTHH:MM:SS (19 bytes). */
static int
parse_civil(const char *s, struct civil *c)
{
    if (s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
        s[13] != ':' || s[16] != ':') {
        return UT_EPARSE;
    }
    c->y = digits(s, 4);
    c->mo = digits(s + 5, 2);
    c->d = digits(s + 8, 2);
    c->h = digits(s + 11, 2);
    c->mi = digits(s + 14, 2);
    c->sec = digits(s + 17, 2);
    if (c->y < 0 || c->mo < 0 || c->d < 0 || c->h < 0 || c->mi < 0 || c->sec < 0) {
        return UT_EPARSE;
    }
    return UT_OK;
}

static int
parse_datetime(const char *s, size_t len, double *out, const char **why)
{
    struct civil c;
    size_t i = 19;
    double frac = 0.0, t;
    int off = 0, err;

    *why = "malformed timestamp";
    if (len < 19 || parse_civil(s, &c) != UT_OK) {
        return UT_EPARSE;
    }
    if (i < len && s[i] == '.') {
        i++;
        if (parse_frac(s, len, &i, &frac) != UT_OK) {
            return UT_EPARSE;
        }
    }
    err = parse_zone(s + i, len - i, &off, why);
    if (err != UT_OK) {
        return err;
    }
    *why = "timestamp out of range";
    if (c.mo < 1 || c.mo > 12 || c.d < 1 ||
        (unsigned)c.d > days_in_month((unsigned)c.y, (unsigned)c.mo) || c.h > 23 || c.mi > 59 ||
        c.sec > 59) {
        return UT_ELIMIT;
    }
    t = (double)(ut_days_from_civil(c.y, (unsigned)c.mo, (unsigned)c.d) * 86400 + c.h * 3600 +
                 c.mi * 60 + c.sec - off * 60) +
        frac;
    if (t < 0 || t >= UT_TIME_MAX + 1.0) {
        return UT_ELIMIT;
    }
    *out = t;
    return UT_OK;
}

int
ut_parse_timestamp_why(const char *s, size_t len, double *out, const char **why)
{
    const char *dummy;
    size_t i = 0;

    if (why == NULL) {
        why = &dummy;
    }
    if (len == 0) {
        *why = "empty timestamp";
        return UT_EPARSE;
    }
    /* A date has '-' at index 4; Unix seconds are [-]digits only. */
    while (i < len && i < 5 && (unsigned)((unsigned char)s[i] - '0') <= 9) {
        i++;
    }
    if (i == 4 && len > 4 && s[4] == '-') {
        return parse_datetime(s, len, out, why);
    }
    return parse_unix(s, len, out, why);
}

int
ut_parse_timestamp(const char *s, size_t len, double *out)
{
    return ut_parse_timestamp_why(s, len, out, NULL);
}

int
ut_parse_duration(const char *s, size_t len, double *out)
{
    uint64_t v = 0, unit;
    size_t i;

    if (len < 2) {
        return UT_EPARSE;
    }
    switch (s[len - 1]) {
    case 's':
        unit = 1;
        break;
    case 'm':
        unit = 60;
        break;
    case 'h':
        unit = 3600;
        break;
    case 'd':
        unit = 86400;
        break;
    case 'w':
        unit = 7 * 86400;
        break;
    default:
        return UT_EPARSE;
    }
    for (i = 0; i < len - 1; i++) {
        unsigned d = (unsigned char)s[i] - (unsigned)'0';

        if (d > 9 || __builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, d, &v)) {
            return UT_EPARSE;
        }
    }
    if (__builtin_mul_overflow(v, unit, &v)) {
        return UT_EPARSE;
    }
    *out = (double)v;
    return UT_OK;
}
