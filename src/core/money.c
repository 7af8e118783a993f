/*
 * core/money.c - currency exponents and decimal-exact conversion of amounts
 * to minor units. Rounding works on the shortest decimal digits of the
 * double, never on the binary value, so amounts behave as written.
 */
#include "util/setup.h"

#include "core/money.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/ascii.h"
#include "utmost/common.h"

/* ISO-4217 codes whose minor unit is not 1/100 (upper case, NUL-separated, sorted). */
static const char currency_exp0[][4] = {"BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW",
                                        "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF"};
static const char currency_exp3[][4] = {"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"};

static int
currency_in(const char up[4], const char (*list)[4], size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (memcmp(up, list[i], 3) == 0) {
            return 1;
        }
    }
    return 0;
}

int
ut_currency_exponent(const char *code, size_t len)
{
    char up[4];

    if (code == NULL || len != 3) {
        return -1;
    }
    for (size_t i = 0; i < 3; i++) {
        unsigned char c = ut_ascii_upper((unsigned char)code[i]);

        if (c < 'A' || c > 'Z') {
            return -1;
        }
        up[i] = (char)c;
    }
    up[3] = '\0';
    if (currency_in(up, currency_exp0, UT_ARRAY_LEN(currency_exp0))) {
        return 0;
    }
    if (currency_in(up, currency_exp3, UT_ARRAY_LEN(currency_exp3))) {
        return 3;
    }
    return 2;
}

/*
 * Split "%.*e" output ("-1.2345e+07") into digits (trailing zeros dropped)
 * and the decimal exponent. Returns the digit count.
 */
static int
split_sci(const char *s, char digits[18], int *exp10)
{
    int n = 0;
    const char *e;

    if (*s == '-') {
        s++;
    }
    for (; *s != '\0' && *s != 'e'; s++) {
        if (*s >= '0' && *s <= '9' && n < 17) {
            digits[n++] = *s;
        }
    }
    e = *s == 'e' ? s + 1 : "0";
    *exp10 = (int)strtol(e, NULL, 10);
    while (n > 1 && digits[n - 1] == '0') {
        n--;
    }
    digits[n] = '\0';
    return n;
}

/*
 * The common case without printf: |v| below 1e15 with at most 8 decimals.
 * m = round(|v| * 10^k) for the smallest k where m / 10^k (one correctly
 * rounded division of exact operands) gives |v| back, so m * 10^-k is the
 * decimal strtod maps to v, and no shorter one does (a shorter one would
 * have matched at a smaller k). Returns the digit count, or 0 to fall back.
 */
static int
shortest_fixed(double a, char digits[18], int *exp10)
{
    static const double p10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8};
    char tmp[20];
    int n = 0, k;
    uint64_t m;

    if (!(a >= 1e-8 && a < 1e15)) {
        return 0;
    }
    for (k = 0; k < (int)UT_ARRAY_LEN(p10); k++) {
        double r = round(a * p10[k]);

        if (r < 9007199254740992.0 && r / p10[k] == a) {
            break;
        }
    }
    if (k == (int)UT_ARRAY_LEN(p10)) {
        return 0;
    }
    for (m = (uint64_t)round(a * p10[k]); m != 0; m /= 10) {
        tmp[n++] = (char)('0' + m % 10);
    }
    *exp10 = n - 1 - k;
    for (int i = 0; i < n; i++) {
        digits[i] = tmp[n - 1 - i];
    }
    while (n > 1 && digits[n - 1] == '0') {
        n--;
    }
    digits[n] = '\0';
    return n;
}

int
ut__money_shortest(double v, char digits[18], int *neg, int *exp10)
{
    char buf[40];
    int n;

    *neg = signbit(v) != 0 && v != 0.0;
    if (v == 0.0) {
        digits[0] = '0';
        digits[1] = '\0';
        *exp10 = 0;
        return 1;
    }
    n = shortest_fixed(fabs(v), digits, exp10);
    if (n > 0) {
        return n;
    }
    /*
     * 15 significant digits always read back exactly for a value that was
     * written with at most 15 (DBL_DIG); 17 always round-trip. Subnormals
     * carry fewer bits, so their search starts at one digit.
     */
    for (int prec = fabs(v) < DBL_MIN ? 1 : 15; prec <= 17; prec++) {
        int w = snprintf(buf, sizeof(buf), "%.*e", prec - 1, v);

        if (w > 0 && (size_t)w < sizeof(buf) && (prec == 17 || strtod(buf, NULL) == v)) {
            break;
        }
    }
    return split_sci(buf, digits, exp10);
}

int
ut_money_to_minor(double amount, int exponent, int64_t *out)
{
    char digits[18];
    int neg, exp10, n, shift;
    int64_t r = 0;

    if (exponent < 0 || exponent > 9 || isnan(amount)) {
        return UT_EINVAL;
    }
    if (isinf(amount)) {
        return UT_ELIMIT;
    }
    n = ut__money_shortest(amount, digits, &neg, &exp10);
    /* |amount| * 10^exponent = 0.d1d2...dn * 10^(exp10 + 1 + exponent) */
    if (exp10 + exponent > 16) {
        return UT_ELIMIT; /* at least 1e17 minor units */
    }
    shift = exp10 + 1 + exponent; /* digits that land left of the decimal point */
    for (int i = 0; i < shift; i++) {
        r = r * 10 + (i < n ? digits[i] - '0' : 0);
    }
    if (shift >= 0 && shift < n && digits[shift] >= '5') {
        r++; /* half away from zero: the first dropped digit decides (the rest are exact) */
    }
    if ((double)r > UT_MONEY_MINOR_MAX) {
        return UT_ELIMIT;
    }
    *out = neg ? -r : r;
    return UT_OK;
}
