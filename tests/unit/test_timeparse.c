/*
 * tests/unit/test_timeparse.c - RFC 3339 timestamps (zones, fractions, leap
 * years, range limits), integer Unix seconds and durations; the calendar is
 * cross-checked day by day against a naive counter.
 */
#include "util/setup.h"

#include "t.h"
#include "util/timeparse.h"

static int
ts(const char *s, double *out)
{
    return ut_parse_timestamp(s, strlen(s), out);
}

static int
dur(const char *s, double *out)
{
    return ut_parse_duration(s, strlen(s), out);
}

TEST(timestamp_values)
{
    static const struct {
        const char *s;
        double v;
    } cases[] = {
        {"1970-01-01T00:00:00Z", 0},
        {"1970-01-01t00:00:01z", 1},
        {"1970-01-01 00:01:00Z", 60},
        {"2024-01-01T00:00:00Z", 1704067200},
        {"2024-02-29T12:00:00Z", 1709208000},
        {"2000-02-29T00:00:00Z", 951782400},
        {"2024-01-01T05:30:00+05:30", 1704067200},
        {"2024-01-01T05:30:00+0530", 1704067200},
        {"2024-01-01T05:00:00+05", 1704067200},
        {"2023-12-31T16:00:00-08:00", 1704067200},
        {"2023-12-31T16:00:00-0800", 1704067200},
        {"2024-01-01T18:00:00+18:00", 1704067200},
        {"2023-12-31T06:00:00-18:00", 1704067200},
        {"2024-01-01T00:00:00.5Z", 1704067200.5},
        {"2024-01-01T00:00:00.125+00:00", 1704067200.125},
        {"2024-01-01T00:00:00.123456789012345678901Z", 1704067200.123456789},
        {"1970-01-01T01:00:00+01:00", 0},
        {"9999-12-31T23:59:59Z", 253402300799.0},
        {"9999-12-31T23:59:59.5Z", 253402300799.5},
        {"0", 0},
        {"1704067200", 1704067200},
        {"00001704067200", 1704067200},
        {"253402300799", 253402300799.0},
    };

    for (size_t i = 0; i < UT_ARRAY_LEN(cases); i++) {
        double v = -1;

        if (ts(cases[i].s, &v) != UT_OK || fabs(v - cases[i].v) > 1e-6) {
            t_fail(__FILE__, __LINE__, "'%s' -> %.9f, want %.9f", cases[i].s, v, cases[i].v);
            return;
        }
    }
}

TEST(timestamp_errors)
{
    static const struct {
        const char *s;
        int err;
    } cases[] = {
        {"", UT_EPARSE},
        {"2024-01-01T00:00:00", UT_EPARSE}, /* no zone */
        {"2024-01-01T00:00:00.5", UT_EPARSE},
        {"2024-01-01", UT_EPARSE},
        {"2024-01-01T00:00Z", UT_EPARSE},
        {"2024-1-01T00:00:00Z", UT_EPARSE},
        {"2024/01/01T00:00:00Z", UT_EPARSE},
        {"2024-01-01X00:00:00Z", UT_EPARSE},
        {"2024-01-01  00:00:00Z", UT_EPARSE},
        {"2024-01-01T00:00:00.Z", UT_EPARSE},
        {"2024-01-01T00:00:00Z ", UT_EPARSE},
        {" 2024-01-01T00:00:00Z", UT_EPARSE},
        {"2024-01-01T00:00:00+5", UT_EPARSE},
        {"2024-01-01T00:00:00+05:3", UT_EPARSE},
        {"2024-01-01T00:00:00+05:300", UT_EPARSE},
        {"2024-01-01T00:00:00UTC", UT_EPARSE},
        {"2024-01-01T00:00:00ZZ", UT_EPARSE},
        {"2024-01-0aT00:00:00Z", UT_EPARSE},
        {"1e9", UT_EPARSE},
        {"12a", UT_EPARSE},
        {" 1", UT_EPARSE},
        {"1.5", UT_EPARSE},
        {"-", UT_EPARSE},
        {"2024-13-01T00:00:00Z", UT_ELIMIT},
        {"2024-00-01T00:00:00Z", UT_ELIMIT},
        {"2024-01-32T00:00:00Z", UT_ELIMIT},
        {"2024-01-00T00:00:00Z", UT_ELIMIT},
        {"2024-04-31T00:00:00Z", UT_ELIMIT},
        {"2024-02-30T00:00:00Z", UT_ELIMIT},
        {"2023-02-29T00:00:00Z", UT_ELIMIT},
        {"2100-02-29T00:00:00Z", UT_ELIMIT},
        {"2024-01-01T24:00:00Z", UT_ELIMIT},
        {"2024-01-01T00:60:00Z", UT_ELIMIT},
        {"2024-01-01T00:00:60Z", UT_ELIMIT},
        {"2024-01-01T00:00:00+18:01", UT_ELIMIT},
        {"2024-01-01T00:00:00+19", UT_ELIMIT},
        {"2024-01-01T00:00:00+05:60", UT_ELIMIT},
        {"1969-12-31T23:59:59Z", UT_ELIMIT},
        {"1970-01-01T00:30:00+01:00", UT_ELIMIT},
        {"0000-01-01T00:00:00Z", UT_ELIMIT},
        {"9999-12-31T23:59:59-00:01", UT_ELIMIT},
        {"10000-01-01T00:00:00Z", UT_EPARSE},
        {"-1", UT_ELIMIT},
        {"253402300800", UT_ELIMIT},
        {"99999999999999999999999999", UT_ELIMIT},
    };

    for (size_t i = 0; i < UT_ARRAY_LEN(cases); i++) {
        double v = -1;
        int err = ts(cases[i].s, &v);

        if (err != cases[i].err || v != -1) {
            t_fail(__FILE__, __LINE__, "'%s' -> %d (%.3f), want %d", cases[i].s, err, v,
                   cases[i].err);
            return;
        }
    }
}

TEST(timestamp_why)
{
    const char *why = NULL;
    double v;

    T_ERR(ut_parse_timestamp_why("2024-01-01T00:00:00", 19, &v, &why), UT_EPARSE);
    T_EQ_STR(why, "timestamp without a zone");
    T_ERR(ut_parse_timestamp_why("2024-13-01T00:00:00Z", 20, &v, &why), UT_ELIMIT);
    T_EQ_STR(why, "timestamp out of range");
    T_ERR(ut_parse_timestamp_why("soon", 4, &v, &why), UT_EPARSE);
    T_EQ_STR(why, "malformed timestamp");
}

TEST(timestamp_view_without_nul)
{
    double v;

    /* The zone is outside the view: a zone-less timestamp. */
    T_ERR(ut_parse_timestamp("2024-01-01T00:00:00Z", 19, &v), UT_EPARSE);
    T_OK(ut_parse_timestamp("17040672009999", 10, &v));
    T_NEAR(v, 1704067200, 0);
    T_ERR(ut_parse_timestamp(NULL, 0, &v), UT_EPARSE);
}

/* Every day from 1970 to 2500 against a naive day counter, through the parser. */
TEST(calendar_every_day)
{
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int64_t day = 0;

    for (int y = 1970; y <= 2500; y++) {
        int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

        for (int m = 1; m <= 12; m++) {
            int nd = mdays[m - 1] + (m == 2 && leap);

            for (int d = 1; d <= nd; d++, day++) {
                char buf[32];
                double v;

                if (ut_days_from_civil(y, (unsigned)m, (unsigned)d) != day) {
                    t_fail(__FILE__, __LINE__, "%04d-%02d-%02d: day %" PRId64, y, m, d, day);
                    return;
                }
                if (d == nd || d == 1) {
                    snprintf(buf, sizeof(buf), "%04d-%02d-%02dT23:59:59Z", y, m, d);
                    if (ts(buf, &v) != UT_OK || v != (double)(day * 86400 + 86399)) {
                        t_fail(__FILE__, __LINE__, "'%s' -> %.0f", buf, v);
                        return;
                    }
                }
            }
            if (m == 2) {
                char buf[32];
                double v;

                snprintf(buf, sizeof(buf), "%04d-02-%02dT00:00:00Z", y, nd + 1);
                if (ts(buf, &v) != UT_ELIMIT) {
                    t_fail(__FILE__, __LINE__, "'%s' accepted", buf);
                    return;
                }
            }
        }
    }
}

TEST(durations)
{
    static const struct {
        const char *s;
        double v;
    } ok[] = {{"90s", 90},      {"15m", 900},
              {"12h", 43200},   {"30d", 2592000},
              {"2w", 1209600},  {"0s", 0},
              {"007d", 604800}, {"18446744073709551615s", 18446744073709551615.0}};
    static const char *bad[] = {"",
                                "s",
                                "10",
                                "10x",
                                "-1d",
                                "+1d",
                                "1.5d",
                                " 1d",
                                "1d ",
                                "10S",
                                "1 d",
                                "d1",
                                "1dd",
                                "1e3s",
                                "18446744073709551616s",
                                "30500568904943041w"};
    double v;

    for (size_t i = 0; i < UT_ARRAY_LEN(ok); i++) {
        if (dur(ok[i].s, &v) != UT_OK || v != ok[i].v) {
            t_fail(__FILE__, __LINE__, "'%s' -> %.0f, want %.0f", ok[i].s, v, ok[i].v);
            return;
        }
    }
    for (size_t i = 0; i < UT_ARRAY_LEN(bad); i++) {
        if (dur(bad[i], &v) != UT_EPARSE) {
            t_fail(__FILE__, __LINE__, "accepted '%s'", bad[i]);
            return;
        }
    }
    T_OK(ut_parse_duration("30dXYZ", 3, &v));
    T_NEAR(v, 2592000, 0);
}

TEST(format_timestamps)
{
    char out[UT_TIMESTAMP_LEN];
    double back;
    double t = 12345.678;

    T_EQ_SIZE(ut_format_timestamp(0, out, 0), 20);
    T_EQ_STR(out, "1970-01-01T00:00:00Z");
    (void)ut_format_timestamp(0, out, UT_TIMESTAMP_MILLIS);
    T_EQ_STR(out, "1970-01-01T00:00:00.000Z");
    (void)ut_format_timestamp(951782400.25, out, 0); /* 2000-02-29, a leap day */
    T_EQ_STR(out, "2000-02-29T00:00:00.250Z");
    (void)ut_format_timestamp(1767225599.9996, out, 0); /* rounds up across the year */
    T_EQ_STR(out, "2026-01-01T00:00:00Z");
    T_EQ_SIZE(ut_format_timestamp(UT_TIME_MAX, out, UT_TIMESTAMP_MILLIS), 24);
    T_EQ_STR(out, "9999-12-31T23:59:59.000Z");
    (void)ut_format_timestamp(-5, out, 0); /* clamped */
    T_EQ_STR(out, "1970-01-01T00:00:00Z");
    (void)ut_format_timestamp(1e300, out, 0);
    T_EQ_STR(out, "9999-12-31T23:59:59Z");
    /* what is written reads back to the same millisecond (up to 2.2e10 s: year 2674) */
    for (int k = 0; k < 12; k++, t = t * 3.7 + 0.001) {
        size_t n = ut_format_timestamp(t, out, UT_TIMESTAMP_MILLIS);

        T_OK(ut_parse_timestamp(out, n, &back));
        T_NEAR(back, floor(t * 1000 + 0.5) / 1000, 1e-15);
    }
}

T_LIST(T_CASE(timestamp_values), T_CASE(timestamp_errors), T_CASE(timestamp_why),
       T_CASE(timestamp_view_without_nul), T_CASE(calendar_every_day), T_CASE(durations),
       T_CASE(format_timestamps))
T_MAIN()
