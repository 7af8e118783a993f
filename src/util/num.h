/*
 * util/num.h - strict number parsing on (ptr, len) views: the whole view must
 * be a number, with no spaces, no NUL terminator needed, no locale, no NaN,
 * infinities or hex. Doubles are correctly rounded (round to nearest even).
 */
#ifndef UT_UTIL_NUM_H
#define UT_UTIL_NUM_H

#include <stddef.h>
#include <stdint.h>

#include "utmost/common.h"

/*
 * Parse s[0..len) as a decimal integer with an optional leading '+' or '-'
 * into *out. UT_OK, or UT_EPARSE (empty, stray bytes, overflow); *out is
 * written only on success. Thread-safe.
 */
int ut_parse_i64(const char *s, size_t len, int64_t *out);

/* The general path of ut_parse_double (any valid syntax); same contract. */
int ut__parse_double_general(const char *s, size_t len, double *out);

/*
 * The common case in one pass, inline so CSV loaders pay no call: [+-]
 * digits [. digits] with at most 19 digits in all, a mantissa below 2^53 and
 * at most 22 fraction digits (Clinger: one exact division, correctly
 * rounded). Returns 1 and sets *out when it applies, 0 otherwise.
 */
static inline int
ut__parse_double_simple(const char *s, size_t len, double *out)
{
    static const double p10[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                   1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                   1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    size_t i = 0, int_end, nsign;
    uint64_t m = 0;
    double v;

    if (len == 0) {
        return 0;
    }
    nsign = s[0] == '-' || s[0] == '+';
    for (i = nsign; i < len && (unsigned)((unsigned char)s[i] - '0') <= 9; i++) {
        m = m * 10 + (unsigned)(s[i] - '0');
    }
    int_end = i;
    if (i < len && s[i] == '.') {
        for (i++; i < len && (unsigned)((unsigned char)s[i] - '0') <= 9; i++) {
            m = m * 10 + (unsigned)(s[i] - '0');
        }
    }
    /* Digits in all: i minus the sign and the '.', if any. */
    if (i != len || i - nsign - (i != int_end) == 0 || i - nsign - (i != int_end) > 19 ||
        m >= ((uint64_t)1 << 53) || (i != int_end && i - int_end - 1 > 22)) {
        return 0;
    }
    v = (double)m;
    if (i != int_end) {
        v /= p10[i - int_end - 1];
    }
    *out = s[0] == '-' ? -v : v;
    return 1;
}

/*
 * Parse s[0..len) as a decimal floating-point number:
 * [+-] (digits [. digits] | . digits) [(e|E) [+-] digits], correctly rounded.
 * UT_OK, or UT_EPARSE (malformed, overflow to infinity, or longer than 64
 * bytes when the value needs the slow path); *out is written only on
 * success. Values that underflow become 0 or a subnormal, as strtod gives.
 * Thread-safe; relies on the C locale's '.' for the slow path (the library
 * never calls setlocale). Inline: the common case costs no call.
 */
static inline int
ut_parse_double(const char *s, size_t len, double *out)
{
    if (ut__parse_double_simple(s, len, out)) {
        return UT_OK;
    }
    return ut__parse_double_general(s, len, out);
}

#endif /* UT_UTIL_NUM_H */
