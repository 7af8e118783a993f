/*
 * util/num.c - strict integer and floating-point parsing of field views.
 * Doubles take Clinger's fast path (an exact mantissa below 2^53 times or
 * divided by an exact power of ten <= 1e22: one correctly rounded IEEE
 * operation); anything else is validated here, then copied to a small stack
 * buffer for strtod. Never reads past len, never allocates.
 */
#include "util/setup.h"

#include "util/num.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Longest text handed to strtod; longer numbers off the fast path are rejected. */
#define NUM_SLOW_MAX 64

int
ut_parse_i64(const char *s, size_t len, int64_t *out)
{
    size_t i = 0;
    int neg = 0;
    uint64_t v = 0;
    uint64_t limit;

    if (len != 0 && (s[0] == '-' || s[0] == '+')) {
        neg = s[0] == '-';
        i = 1;
    }
    if (i == len) {
        return UT_EPARSE;
    }
    limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; i < len; i++) {
        unsigned d = (unsigned char)s[i] - (unsigned)'0';

        if (d > 9) {
            return UT_EPARSE;
        }
        if (v > (limit - d) / 10) {
            return UT_EPARSE;
        }
        v = v * 10 + d;
    }
    if (neg) {
        /* v may be 2^63: negate in unsigned arithmetic, then convert. */
        *out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
    } else {
        *out = (int64_t)v;
    }
    return UT_OK;
}

/* Exact powers of ten representable in a double (10^22 is the last one). */
static const double pow10_exact[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                     1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                     1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* What the grammar pass learnt about a number. */
struct num_scan {
    uint64_t mant; /* first 19 significant digits */
    int ndigits;   /* significant digits seen (leading zeros excluded) */
    int64_t exp10; /* value = mant * 10^exp10 when ndigits <= 19 */
    int neg;
};

/* Read [0-9]* at s[*i..len), accumulating into sc; returns digits read. */
static size_t
scan_digits(const char *s, size_t len, size_t *i, struct num_scan *sc, int frac)
{
    size_t start = *i;

    for (; *i < len; (*i)++) {
        unsigned d = (unsigned char)s[*i] - (unsigned)'0';

        if (d > 9) {
            break;
        }
        if (sc->ndigits == 0 && d == 0) {
            /* Leading zeros are not significant, but shift fractions. */
            sc->exp10 -= frac;
            continue;
        }
        if (sc->ndigits < 19) {
            sc->mant = sc->mant * 10 + d;
            sc->exp10 -= frac;
        } else if (!frac) {
            sc->exp10++;
        }
        sc->ndigits++;
    }
    return *i - start;
}

/* Validate the grammar of s[0..len) and fill sc. UT_OK or UT_EPARSE. */
static int
scan_number(const char *s, size_t len, struct num_scan *sc)
{
    size_t i = 0, nint, nfrac = 0;
    int64_t e = 0;

    memset(sc, 0, sizeof(*sc));
    if (len != 0 && (s[0] == '-' || s[0] == '+')) {
        sc->neg = s[0] == '-';
        i = 1;
    }
    nint = scan_digits(s, len, &i, sc, 0);
    if (i < len && s[i] == '.') {
        i++;
        nfrac = scan_digits(s, len, &i, sc, 1);
    }
    if (nint + nfrac == 0) {
        return UT_EPARSE;
    }
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        int eneg = 0;
        size_t estart;

        i++;
        if (i < len && (s[i] == '-' || s[i] == '+')) {
            eneg = s[i] == '-';
            i++;
        }
        estart = i;
        for (; i < len; i++) {
            unsigned d = (unsigned char)s[i] - (unsigned)'0';

            if (d > 9) {
                break;
            }
            if (e < 100000000) { /* saturate: far beyond any double */
                e = e * 10 + d;
            }
        }
        if (i == estart) {
            return UT_EPARSE;
        }
        sc->exp10 += eneg ? -e : e;
    }
    return i == len ? UT_OK : UT_EPARSE;
}

/* strtod on a bounded copy; the grammar has been checked already. */
static int
parse_double_slow(const char *s, size_t len, double *out)
{
    char buf[NUM_SLOW_MAX + 1];
    char *end;
    double v;

    if (len > NUM_SLOW_MAX) {
        return UT_EPARSE;
    }
    memcpy(buf, s, len);
    buf[len] = '\0';
    errno = 0;
    v = strtod(buf, &end);
    if (end != buf + len || isinf(v) || isnan(v)) {
        return UT_EPARSE;
    }
    /* ERANGE with a finite result is underflow: the result is still the
     * correctly rounded (zero or subnormal) value. */
    *out = v;
    return UT_OK;
}

int
ut__parse_double_general(const char *s, size_t len, double *out)
{
    struct num_scan sc;
    double v;

    if (scan_number(s, len, &sc) != UT_OK) {
        return UT_EPARSE;
    }
    if (sc.ndigits == 0) {
        *out = sc.neg ? -0.0 : 0.0;
        return UT_OK;
    }
    if (sc.ndigits <= 19 && sc.mant < ((uint64_t)1 << 53) && sc.exp10 >= -22 && sc.exp10 <= 22) {
        v = (double)sc.mant;
        if (sc.exp10 >= 0) {
            v *= pow10_exact[sc.exp10];
        } else {
            v /= pow10_exact[-sc.exp10];
        }
        *out = sc.neg ? -v : v;
        return UT_OK;
    }
    return parse_double_slow(s, len, out);
}
