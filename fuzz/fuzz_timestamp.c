/*
 * fuzz/fuzz_timestamp.c - arbitrary bytes through the strict scalar parsers:
 * timestamps, durations, doubles and integers. Checks they never read past
 * the view, and that accepted values are in range.
 */
#include "util/setup.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "util/alloc.h"
#include "util/num.h"
#include "util/timeparse.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = ut_malloc(size);
    double v;
    int64_t i;

    if (s == NULL) {
        return 0;
    }
    if (size != 0) {
        memcpy(s, data, size);
    }
    if (ut_parse_timestamp(s, size, &v) == UT_OK && !(v >= 0 && v < UT_TIME_MAX + 1.0)) {
        abort();
    }
    if (ut_parse_duration(s, size, &v) == UT_OK && !(v >= 0 && isfinite(v))) {
        abort();
    }
    if (ut_parse_double(s, size, &v) == UT_OK && !isfinite(v)) {
        abort();
    }
    (void)ut_parse_i64(s, size, &i);
    ut_free(s);
    return 0;
}
