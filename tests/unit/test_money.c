/*
 * tests/unit/test_money.c - core/money: ISO-4217 exponents and decimal-exact
 * conversion of amounts to minor units (half away from zero, as written).
 */
#include "util/setup.h"

#include "t.h"

#include "core/money.h"
#include "utmost/common.h"

static int64_t
minor(double amount, int exponent)
{
    int64_t v = INT64_MIN;

    if (ut_money_to_minor(amount, exponent, &v) != UT_OK) {
        return INT64_MIN;
    }
    return v;
}

TEST(exponent_zero_decimal_currencies)
{
    static const char *const codes[] = {"JPY", "KRW", "VND", "CLP", "ISK", "UGX", "XOF", "XAF",
                                        "PYG", "RWF", "KMF", "GNF", "DJF", "BIF", "VUV", "XPF"};

    for (size_t i = 0; i < UT_ARRAY_LEN(codes); i++) {
        T_EQ_I64(ut_currency_exponent(codes[i], 3), 0);
    }
}

TEST(exponent_three_decimal_currencies)
{
    static const char *const codes[] = {"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"};

    for (size_t i = 0; i < UT_ARRAY_LEN(codes); i++) {
        T_EQ_I64(ut_currency_exponent(codes[i], 3), 3);
    }
}

TEST(exponent_default_and_case)
{
    T_EQ_I64(ut_currency_exponent("USD", 3), 2);
    T_EQ_I64(ut_currency_exponent("EUR", 3), 2);
    T_EQ_I64(ut_currency_exponent("XYZ", 3), 2); /* unknown but well-formed */
    T_EQ_I64(ut_currency_exponent("jpy", 3), 0);
    T_EQ_I64(ut_currency_exponent("kWd", 3), 3);
    T_EQ_I64(ut_currency_exponent("USDX", 3), 2); /* only len bytes are read */
}

TEST(exponent_malformed)
{
    T_EQ_I64(ut_currency_exponent("US", 2), -1);
    T_EQ_I64(ut_currency_exponent("USDX", 4), -1);
    T_EQ_I64(ut_currency_exponent("U$D", 3), -1);
    T_EQ_I64(ut_currency_exponent("123", 3), -1);
    T_EQ_I64(ut_currency_exponent("U D", 3), -1);
    T_EQ_I64(ut_currency_exponent("\xc3\xa9UR", 3), -1);
    T_EQ_I64(ut_currency_exponent(NULL, 3), -1);
    T_EQ_I64(ut_currency_exponent("", 0), -1);
}

TEST(minor_units_common_amounts)
{
    T_EQ_I64(minor(19.99, 2), 1999);
    T_EQ_I64(minor(0.1 + 0.2, 2), 30);
    T_EQ_I64(minor(100, 2), 10000);
    T_EQ_I64(minor(1500, 0), 1500);
    T_EQ_I64(minor(1.234, 3), 1234);
    T_EQ_I64(minor(0, 2), 0);
    T_EQ_I64(minor(-0.0, 2), 0);
    T_EQ_I64(minor(4.35, 2), 435);   /* 4.35 * 100 is 434.99999999999994 in binary */
    T_EQ_I64(minor(1.15, 2), 115);   /* 114.99999999999999 in binary */
    T_EQ_I64(minor(8.675, 3), 8675); /* 8674.999999999999 in binary */
}

TEST(minor_units_round_half_away_from_zero)
{
    T_EQ_I64(minor(1.005, 2), 101); /* the double is 1.00499999999999989..., as written 1.005 */
    T_EQ_I64(minor(-1.005, 2), -101);
    T_EQ_I64(minor(0.5, 0), 1);
    T_EQ_I64(minor(-0.5, 0), -1);
    T_EQ_I64(minor(2.5, 0), 3);
    T_EQ_I64(minor(1.5, 0), 2);
    T_EQ_I64(minor(0.004, 2), 0);
    T_EQ_I64(minor(0.005, 2), 1);
    T_EQ_I64(minor(-0.004, 2), 0);
    T_EQ_I64(minor(1234.5678, 3), 1234568);
    T_EQ_I64(minor(1e-300, 2), 0);
    T_EQ_I64(minor(99.995, 2), 10000);
}

TEST(minor_units_limits)
{
    int64_t v = 42;

    T_EQ_I64(minor(9e13, 2), 9000000000000000);
    T_EQ_I64(minor(-9e15, 0), -9000000000000000);
    T_ERR(ut_money_to_minor(9.0000000000001e13, 2, &v), UT_ELIMIT);
    T_ERR(ut_money_to_minor(1e16, 0, &v), UT_ELIMIT);
    T_ERR(ut_money_to_minor(-1e300, 2, &v), UT_ELIMIT);
    T_ERR(ut_money_to_minor(INFINITY, 2, &v), UT_ELIMIT);
    T_ERR(ut_money_to_minor(-INFINITY, 2, &v), UT_ELIMIT);
    T_ERR(ut_money_to_minor(NAN, 2, &v), UT_EINVAL);
    T_ERR(ut_money_to_minor(1, -1, &v), UT_EINVAL);
    T_ERR(ut_money_to_minor(1, 10, &v), UT_EINVAL);
    T_EQ_I64(v, 42); /* untouched on failure */
    T_EQ_I64(minor(1, 9), 1000000000);
}

TEST(shortest_digits)
{
    char d[18];
    int neg, e, n;

    n = ut__money_shortest(0.1, d, &neg, &e);
    T_EQ_I64(n, 1);
    T_EQ_STR(d, "1");
    T_EQ_I64(e, -1);
    T_EQ_I64(neg, 0);
    n = ut__money_shortest(-123.45, d, &neg, &e);
    T_EQ_I64(n, 5);
    T_EQ_STR(d, "12345");
    T_EQ_I64(e, 2);
    T_EQ_I64(neg, 1);
    n = ut__money_shortest(5e-324, d, &neg, &e);
    T_EQ_I64(n, 1);
    T_EQ_STR(d, "5");
    T_EQ_I64(e, -324);
    n = ut__money_shortest(1.7976931348623157e308, d, &neg, &e);
    T_EQ_I64(n, 17);
    T_EQ_STR(d, "17976931348623157");
    T_EQ_I64(e, 308);
    n = ut__money_shortest(0.0, d, &neg, &e);
    T_EQ_I64(n, 1);
    T_EQ_STR(d, "0");
    T_EQ_I64(e, 0);
    n = ut__money_shortest(0.30000000000000004, d, &neg, &e);
    T_EQ_STR(d, "30000000000000004");
    T_EQ_I64(n, 17);
}

T_LIST(T_CASE(exponent_zero_decimal_currencies), T_CASE(exponent_three_decimal_currencies),
       T_CASE(exponent_default_and_case), T_CASE(exponent_malformed),
       T_CASE(minor_units_common_amounts), T_CASE(minor_units_round_half_away_from_zero),
       T_CASE(minor_units_limits), T_CASE(shortest_digits))
T_MAIN()
