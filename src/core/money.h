/*
 * core/money.h - money as integer minor units of an ISO-4217 currency
 * (ARCHITECTURE.md: never floats in storage). Decimal amounts from JSON are
 * rounded the way a person reads them ("1.005" is 1.005, not the nearest
 * double 1.00499999...). Pure; thread-safe; never allocates.
 */
#ifndef UT_CORE_MONEY_H
#define UT_CORE_MONEY_H

#include <stddef.h>
#include <stdint.h>

/* Largest magnitude ut_money_to_minor accepts, in minor units (below 2^53). */
#define UT_MONEY_MINOR_MAX 9e15

/*
 * Minor-unit exponent of the ISO-4217 code[0..len): 0 for JPY KRW VND CLP ISK
 * UGX XOF XAF PYG RWF KMF GNF DJF BIF VUV XPF, 3 for BHD IQD JOD KWD LYD OMR
 * TND, 2 for every other code. Letters may be in either case. -1 when code
 * is not exactly 3 ASCII letters.
 */
int ut_currency_exponent(const char *code, size_t len);

/*
 * amount * 10^exponent rounded half away from zero into *out. The amount is
 * first taken as its shortest decimal form (the digits JSON or a person
 * wrote), so 1.005 with exponent 2 gives 101 and 19.99 gives 1999.
 * exponent must be 0..9. Returns UT_OK, UT_EINVAL (NaN, bad exponent) or
 * UT_ELIMIT (infinite, or |result| beyond UT_MONEY_MINOR_MAX); *out is written
 * only on success.
 */
int ut_money_to_minor(double amount, int exponent, int64_t *out);

/*
 * Internal (ingest also uses it to print numeric ids): the shortest decimal
 * digits that read back as the finite v, so that |v| = d1.d2d3... * 10^exp10.
 * digits gets 1..17 ASCII digits without trailing zeros ("0" for zero),
 * NUL-terminated; *neg is 1 for negative values (not for -0). Returns the
 * number of digits.
 */
int ut__money_shortest(double v, char digits[18], int *neg, int *exp10);

#endif /* UT_CORE_MONEY_H */
