/*
 * tests/unit/test_num.c - strict integer and double parsing: exact bounds,
 * rejected shapes, views without a NUL, and correct rounding checked against
 * strtod on a few hundred thousand generated decimals.
 */
#include "util/setup.h"

#include <errno.h>
#include <stdlib.h>

#include "t.h"
#include "util/num.h"

static int
pd(const char *s, double *out)
{
    return ut_parse_double(s, strlen(s), out);
}

static int
pi(const char *s, int64_t *out)
{
    return ut_parse_i64(s, strlen(s), out);
}

/* Bit-for-bit equality (tells -0.0 from 0.0). */
static int
same_bits(double a, double b)
{
    uint64_t x, y;

    memcpy(&x, &a, sizeof(x));
    memcpy(&y, &b, sizeof(y));
    return x == y;
}

TEST(i64_bounds)
{
    int64_t v = 7;

    T_OK(pi("0", &v));
    T_EQ_I64(v, 0);
    T_OK(pi("-0", &v));
    T_EQ_I64(v, 0);
    T_OK(pi("+42", &v));
    T_EQ_I64(v, 42);
    T_OK(pi("9223372036854775807", &v));
    T_EQ_I64(v, INT64_MAX);
    T_OK(pi("-9223372036854775808", &v));
    T_EQ_I64(v, INT64_MIN);
    T_OK(pi("000000000000000000000000012", &v));
    T_EQ_I64(v, 12);
    v = 7;
    T_ERR(pi("9223372036854775808", &v), UT_EPARSE);
    T_ERR(pi("-9223372036854775809", &v), UT_EPARSE);
    T_ERR(pi("99999999999999999999", &v), UT_EPARSE);
    T_EQ_I64(v, 7); /* untouched on failure */
}

TEST(i64_rejects)
{
    static const char *bad[] = {"", "-", "+", " 1", "1 ", "1x", "0x10", "1.0", "--1", "+-1", "1e3"};
    int64_t v;

    for (size_t i = 0; i < UT_ARRAY_LEN(bad); i++) {
        if (pi(bad[i], &v) != UT_EPARSE) {
            t_fail(__FILE__, __LINE__, "accepted '%s'", bad[i]);
            return;
        }
    }
    /* A view: only the first 3 bytes count, whatever follows. */
    T_OK(ut_parse_i64("12345", 3, &v));
    T_EQ_I64(v, 123);
    T_ERR(ut_parse_i64("12a45", 3, &v), UT_EPARSE);
    T_ERR(ut_parse_i64(NULL, 0, &v), UT_EPARSE);
}

TEST(double_values)
{
    static const struct {
        const char *s;
        double v;
    } cases[] = {
        {"0", 0.0},
        {"1", 1.0},
        {"-1.5", -1.5},
        {"+2.25", 2.25},
        {".5", 0.5},
        {"5.", 5.0},
        {"0.1", 0.1},
        {"1e22", 1e22},
        {"1e23", 1e23},
        {"1E-5", 1e-5},
        {"12.5e+2", 1250.0},
        {"9007199254740993", 9007199254740992.0}, /* 2^53 + 1: ties to even */
        {"9007199254740995", 9007199254740996.0},
        {"1.7976931348623157e308", 1.7976931348623157e308},
        {"2.2250738585072014e-308", 2.2250738585072014e-308},
        {"4.9e-324", 4.9e-324},
        {"1e-400", 0.0},
        {"0.000000000000000000000000000001", 1e-30},
        {"123456789012345678901234567890", 123456789012345678901234567890.0},
        {"00000000000000000000000000000000000000000000000001.5", 1.5},
        {"0.30000000000000004", 0.30000000000000004},
    };

    for (size_t i = 0; i < UT_ARRAY_LEN(cases); i++) {
        double v = -99;

        if (pd(cases[i].s, &v) != UT_OK || !same_bits(v, cases[i].v)) {
            t_fail(__FILE__, __LINE__, "'%s' -> %.17g, want %.17g", cases[i].s, v, cases[i].v);
            return;
        }
    }
}

TEST(double_negative_zero)
{
    double v = 1;

    T_OK(pd("-0", &v));
    T_TRUE(v == 0 && signbit(v));
    T_OK(pd("-0.000e5", &v));
    T_TRUE(v == 0 && signbit(v));
    T_OK(pd("0", &v));
    T_TRUE(v == 0 && !signbit(v));
}

TEST(double_rejects)
{
    static const char *bad[] = {"",         " 1",     "1 ",   "nan",   "NaN",   "inf", "-inf",
                                "infinity", "0x1p3",  "0x10", "1e",    "1e+",   "1e-", ".",
                                "-",        "+",      "+-1",  "1..2",  "1.2.3", "--1", "1,5",
                                "1e309",    "-1e400", "e5",   "1_000", "\t1",   "1\n", "1e5.5"};
    double v = 42;

    for (size_t i = 0; i < UT_ARRAY_LEN(bad); i++) {
        if (pd(bad[i], &v) != UT_EPARSE) {
            t_fail(__FILE__, __LINE__, "accepted '%s'", bad[i]);
            return;
        }
    }
    T_NEAR(v, 42, 0); /* untouched on failure */
    /* Longer than the 64-byte slow-path buffer. */
    T_ERR(pd("0.12345678901234567890123456789012345678901234567890123456789012345", &v), UT_EPARSE);
    T_ERR(ut_parse_double(NULL, 0, &v), UT_EPARSE);
}

TEST(double_view_without_nul)
{
    char buf[8] = {'1', '.', '2', '5', '9', '9', '9', '9'};
    double v;

    T_OK(ut_parse_double(buf, 4, &v));
    T_NEAR(v, 1.25, 0);
    T_OK(ut_parse_double(buf, 8, &v));
    T_NEAR(v, 1.259999, 0);
    /* Slow path with the digits running into unrelated bytes. */
    T_OK(ut_parse_double("1e23999", 4, &v));
    T_TRUE(same_bits(v, 1e23));
}

/* A random decimal of a shape the fast or the slow path takes. */
static size_t
random_decimal(uint64_t *seed, char *buf, size_t cap)
{
    size_t n = 0, ndig = 1 + t_splitmix64(seed) % 25, dot = t_splitmix64(seed) % (ndig + 2);
    uint64_t r = t_splitmix64(seed);

    if (r & 1) {
        buf[n++] = '-';
    }
    for (size_t i = 0; i < ndig && n + 12 < cap; i++) {
        if (i == dot) {
            buf[n++] = '.';
        }
        buf[n++] = (char)('0' + t_splitmix64(seed) % 10);
    }
    if ((r >> 1) % 3 == 0) {
        int e = (int)(t_splitmix64(seed) % 80) - 40;

        n += (size_t)snprintf(buf + n, cap - n, "e%d", e);
    } else if ((r >> 1) % 3 == 1) {
        int e = (int)(t_splitmix64(seed) % 640) - 330;

        n += (size_t)snprintf(buf + n, cap - n, "E%+d", e);
    }
    buf[n] = '\0';
    return n;
}

TEST(double_matches_strtod)
{
    uint64_t seed = 12345;
    char buf[64];

    for (int i = 0; i < 300000; i++) {
        size_t n = random_decimal(&seed, buf, sizeof(buf));
        double want, got = 0;
        int err;

        errno = 0;
        want = strtod(buf, NULL);
        err = ut_parse_double(buf, n, &got);
        if (isinf(want)) {
            if (err != UT_EPARSE) {
                t_fail(__FILE__, __LINE__, "'%s' overflows but was accepted", buf);
                return;
            }
            continue;
        }
        if (err != UT_OK || !same_bits(got, want)) {
            t_fail(__FILE__, __LINE__, "'%s': got %.17g (err %d), strtod %.17g", buf, got, err,
                   want);
            return;
        }
    }
}

/* Integers and short decimals: the fast path's domain, compared bit for bit. */
TEST(double_fast_path_exhaustive_small)
{
    char buf[32];

    for (int a = 0; a < 2000; a++) {
        for (int frac = 0; frac < 1000; frac += 7) {
            int n = snprintf(buf, sizeof(buf), "%d.%03d", a, frac);
            double got;

            if (ut_parse_double(buf, (size_t)n, &got) != UT_OK ||
                !same_bits(got, strtod(buf, NULL))) {
                t_fail(__FILE__, __LINE__, "'%s'", buf);
                return;
            }
        }
    }
}

T_LIST(T_CASE(i64_bounds), T_CASE(i64_rejects), T_CASE(double_values), T_CASE(double_negative_zero),
       T_CASE(double_rejects), T_CASE(double_view_without_nul), T_CASE(double_matches_strtod),
       T_CASE(double_fast_path_exhaustive_small))
T_MAIN()
