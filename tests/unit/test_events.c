/*
 * tests/unit/test_events.c - journeys from touch and conversion events:
 * inclusive lookback edges, ties in input order, conversions sharing touches,
 * the trailing null journey and its lookback, conversions without touches,
 * argument errors, and a randomized comparison with a naive builder.
 */
#include "util/setup.h"

#include <stdlib.h>

#include "t.h"
#include "core/journeys.h"
#include "util/alloc.h"

/* A set with channels "a", "b", "c", "d" (ids 0..3). */
static struct ut_journeys *
new_set(void)
{
    struct ut_journeys *j = NULL;
    uint32_t id;

    if (ut_journeys_new(&j) != UT_OK) {
        return NULL;
    }
    for (int c = 'a'; c <= 'd'; c++) {
        char ch = (char)c;

        if (ut_journeys_intern(j, &ch, 1, &id) != UT_OK) {
            ut_journeys_free(j);
            return NULL;
        }
    }
    return j;
}

/* Journey i as channel letters, e.g. "abca" ("-" for none). */
static const char *
letters(const struct ut_journeys *j, size_t i)
{
    static char buf[256];
    const struct ut__journey *jr = &j->js[i];
    const struct ut_touch *t = ut__journey_touches(j, jr);
    size_t k;

    for (k = 0; k < jr->len && k + 1 < sizeof(buf); k++) {
        buf[k] = (char)('a' + t[k].channel);
    }
    if (k == 0) {
        buf[k++] = '-';
    }
    buf[k] = '\0';
    return buf;
}

#define TOUCH(p, ch, t)                                                                            \
    {                                                                                              \
        (p), (uint32_t)((ch) - 'a'), 0, (t)                                                        \
    }

TEST(window_edges_inclusive)
{
    struct ut_journeys *j = new_set();
    struct ut_event_touch tt[] = {TOUCH(0, 'a', 49), TOUCH(0, 'b', 50), TOUCH(0, 'c', 100),
                                  TOUCH(0, 'd', 101)};
    struct ut_event_conversion cv[] = {{0, 100, 7.5}};

    T_NOTNULL(j);
    T_OK(ut_journeys_add_events(j, tt, 4, cv, 1, 50, NULL));
    T_EQ_SIZE(ut_journeys_count(j), 2);
    T_EQ_STR(letters(j, 0), "bc");
    T_NEAR(j->js[0].conv, 1, 0);
    T_NEAR(j->js[0].value, 7.5, 0);
    T_NEAR(j->js[0].nulls, 0, 0);
    T_NEAR(j->js[0].time, 100, 0);
    T_EQ_STR(letters(j, 1), "d");
    T_NEAR(j->js[1].conv, 0, 0);
    T_NEAR(j->js[1].nulls, 1, 0);
    T_NEAR(j->js[1].value, 0, 0);
    T_TRUE(j->timed);
    ut_journeys_free(j);
}

TEST(ties_in_input_order)
{
    struct ut_journeys *j = new_set();
    struct ut_event_touch tt[] = {TOUCH(0, 'c', 10), TOUCH(1, 'd', 10), TOUCH(0, 'a', 10),
                                  TOUCH(0, 'd', 5),  TOUCH(0, 'b', 10), TOUCH(1, 'a', 1),
                                  TOUCH(0, 'a', 30), TOUCH(0, 'b', 20)};
    struct ut_event_conversion cv[] = {{0, 40, 1}, {1, 10, 2}};

    T_NOTNULL(j);
    T_OK(ut_journeys_add_events(j, tt, UT_ARRAY_LEN(tt), cv, 2, 1000, NULL));
    T_EQ_SIZE(ut_journeys_count(j), 2);
    T_EQ_STR(letters(j, 0), "dcabba");
    T_EQ_STR(letters(j, 1), "ad");
    ut_journeys_free(j);
}

TEST(conversions_share_touches)
{
    struct ut_journeys *j = new_set();
    struct ut_event_touch tt[] = {TOUCH(0, 'a', 10), TOUCH(0, 'b', 20), TOUCH(0, 'c', 30)};
    /* Input order is kept for the journeys, not time order. */
    struct ut_event_conversion cv[] = {{0, 35, 2}, {0, 25, 1}, {0, 20, 3}};

    T_NOTNULL(j);
    T_OK(ut_journeys_add_events(j, tt, 3, cv, 3, 100, NULL));
    T_EQ_SIZE(ut_journeys_count(j), 3); /* no null journey: nothing after 35 */
    T_EQ_STR(letters(j, 0), "abc");
    T_EQ_STR(letters(j, 1), "ab");
    T_EQ_STR(letters(j, 2), "ab");
    T_NEAR(j->js[0].value, 2, 0);
    T_NEAR(j->js[1].time, 25, 0);
    T_NEAR(ut_journeys_total_conversions(j), 3, 0);
    T_NEAR(ut_journeys_total_value(j), 6, 0);
    T_NEAR(ut_journeys_total_nulls(j), 0, 0);
    ut_journeys_free(j);
}

TEST(null_journey_after_last_conversion)
{
    struct ut_journeys *j = new_set();
    struct ut_event_touch tt[] = {TOUCH(0, 'a', 0),   TOUCH(0, 'b', 100), TOUCH(0, 'c', 150),
                                  TOUCH(0, 'd', 200), TOUCH(0, 'a', 900), TOUCH(0, 'b', 1000),
                                  TOUCH(1, 'c', 5),   TOUCH(1, 'd', 50),  TOUCH(1, 'a', 60)};
    struct ut_event_conversion cv[] = {{0, 150, 1}};

    T_NOTNULL(j);
    T_OK(ut_journeys_add_events(j, tt, UT_ARRAY_LEN(tt), cv, 1, 100, NULL));
    T_EQ_SIZE(ut_journeys_count(j), 3);
    T_EQ_STR(letters(j, 0), "bc"); /* 0 is before 150 - 100; 150 itself is in */
    /* After 150: 200, 900, 1000, limited to >= 1000 - 100. */
    T_EQ_STR(letters(j, 1), "ab");
    T_NEAR(j->js[1].nulls, 1, 0);
    T_NEAR(j->js[1].conv, 0, 0);
    /* Person 1 never converted: all touches within 100 of their last (60). */
    T_EQ_STR(letters(j, 2), "cda");
    T_NEAR(ut_journeys_total_nulls(j), 2, 0);
    ut_journeys_free(j);
}

TEST(conversion_without_touches)
{
    struct ut_journeys *j = new_set();
    struct ut_event_touch tt[] = {TOUCH(0, 'a', 500)};
    struct ut_event_conversion cv[] = {{1, 100, 9}, {0, 100, 4}};

    T_NOTNULL(j);
    T_OK(ut_journeys_add_events(j, tt, 1, cv, 2, 10, NULL));
    /* Person 1 has no touches; person 0's touch is after the conversion. */
    T_EQ_SIZE(ut_journeys_count(j), 3);
    T_EQ_STR(letters(j, 0), "-");
    T_EQ_STR(letters(j, 1), "-");
    T_EQ_STR(letters(j, 2), "a");
    T_NEAR(j->js[2].nulls, 1, 0);
    T_NEAR(j->empty_conv, 2, 0);
    T_NEAR(j->empty_value, 13, 0);
    T_TRUE(j->none_id != UINT32_MAX);
    T_EQ_STR(ut_journeys_channel_name(j, j->none_id, NULL), "(none)");
    ut_journeys_free(j);
}

TEST(zero_lookback_and_empty_input)
{
    struct ut_journeys *j = new_set();
    struct ut_event_touch tt[] = {TOUCH(0, 'a', 99), TOUCH(0, 'b', 100), TOUCH(0, 'c', 100)};
    struct ut_event_conversion cv[] = {{0, 100, 1}};

    T_NOTNULL(j);
    T_OK(ut_journeys_add_events(j, NULL, 0, NULL, 0, 0, NULL));
    T_EQ_SIZE(ut_journeys_count(j), 0);
    T_TRUE(j->timed);
    T_OK(ut_journeys_add_events(j, tt, 3, cv, 1, 0, NULL));
    T_EQ_SIZE(ut_journeys_count(j), 1);
    T_EQ_STR(letters(j, 0), "bc");
    ut_journeys_free(j);
}

TEST(argument_errors)
{
    struct ut_journeys *j = new_set();
    struct ut_event_touch tt[] = {TOUCH(0, 'a', 1)};
    struct ut_event_touch far[] = {TOUCH(5, 'a', 1)};
    struct ut_event_touch bad_channel[] = {{0, 77, 0, 1}};
    struct ut_event_conversion cv[] = {{0, 2, 1}};
    struct ut_event_conversion nan_cv[] = {{0, 2, 0}};
    struct ut_diag d;

    T_NOTNULL(j);
    nan_cv[0].value = nan("");
    T_ERR(ut_journeys_add_events(j, tt, 1, cv, 1, -1, &d), UT_EINVAL);
    T_TRUE(strstr(d.msg, "lookback") != NULL);
    T_ERR(ut_journeys_add_events(j, tt, 1, cv, 1, nan(""), &d), UT_EINVAL);
    T_ERR(ut_journeys_add_events(j, tt, 1, cv, 1, HUGE_VAL, &d), UT_EINVAL);
    T_ERR(ut_journeys_add_events(j, far, 1, cv, 1, 10, &d), UT_EINVAL);
    T_TRUE(strstr(d.msg, "person index") != NULL);
    T_ERR(ut_journeys_add_events(j, tt, 1, nan_cv, 1, 10, &d), UT_EINVAL);
    tt[0].time = HUGE_VAL;
    T_ERR(ut_journeys_add_events(j, tt, 1, cv, 1, 10, &d), UT_EINVAL);
    T_ERR(ut_journeys_add_events(j, bad_channel, 1, cv, 1, 10, &d), UT_EINVAL);
    T_EQ_SIZE(ut_journeys_count(j), 0);
    T_TRUE(!j->timed);
    ut_journeys_free(j);
}

/* ---- randomized comparison with a naive builder --------------------------------- */

/* Naive: the touches of person p in [lo, hi] (or (after, inf) when lo is NaN), sorted. */
static size_t
naive_window(const struct ut_event_touch *tt, size_t n, uint32_t p, double lo, double hi,
             uint32_t *out)
{
    size_t k = 0;
    double times[512];

    for (size_t i = 0; i < n; i++) {
        if (tt[i].person == p && tt[i].time >= lo && tt[i].time <= hi) {
            /* Insert after every element with time <= this one: stable by input order. */
            size_t at = k;

            while (at > 0 && times[at - 1] > tt[i].time) {
                times[at] = times[at - 1];
                out[at] = out[at - 1];
                at--;
            }
            times[at] = tt[i].time;
            out[at] = tt[i].channel;
            k++;
        }
    }
    return k;
}

static int
check_random_case(uint64_t *seed, size_t round)
{
    struct ut_event_touch tt[400];
    struct ut_event_conversion cv[60];
    size_t nt = t_splitmix64(seed) % 400, nc = t_splitmix64(seed) % 60,
           np = 1 + t_splitmix64(seed) % 12;
    double lookback = (double)(t_splitmix64(seed) % 40);
    struct ut_journeys *j = new_set();
    uint32_t want[512];
    size_t ji = 0;
    int ok = 1;

    if (j == NULL) {
        return 0;
    }
    if (np > nt + nc && nt + nc != 0) {
        np = nt + nc; /* indices are dense: no more persons than events */
    }
    for (size_t i = 0; i < nt; i++) {
        tt[i] = (struct ut_event_touch){(uint32_t)(t_splitmix64(seed) % np),
                                        (uint32_t)(t_splitmix64(seed) % 4), 0,
                                        (double)(t_splitmix64(seed) % 100)};
    }
    for (size_t i = 0; i < nc; i++) {
        cv[i] = (struct ut_event_conversion){(uint32_t)(t_splitmix64(seed) % np),
                                             (double)(t_splitmix64(seed) % 100), (double)i};
    }
    if (ut_journeys_add_events(j, tt, nt, cv, nc, lookback, NULL) != UT_OK) {
        ut_journeys_free(j);
        return 0;
    }
    for (size_t i = 0; i < nc && ok; i++, ji++) {
        size_t k = naive_window(tt, nt, cv[i].person, cv[i].time - lookback, cv[i].time, want);

        ok = ji < j->njs && j->js[ji].len == k && j->js[ji].value == (double)i &&
             j->js[ji].conv == 1;
        for (size_t q = 0; ok && q < k; q++) {
            ok = ut__journey_touches(j, &j->js[ji])[q].channel == want[q];
        }
    }
    for (uint32_t p = 0; p < np && ok; p++) {
        double last_conv = -1, last_touch = -1;
        size_t k;

        for (size_t i = 0; i < nc; i++) {
            if (cv[i].person == p && cv[i].time > last_conv) {
                last_conv = cv[i].time;
            }
        }
        for (size_t i = 0; i < nt; i++) {
            if (tt[i].person == p && tt[i].time > last_touch) {
                last_touch = tt[i].time;
            }
        }
        k = naive_window(tt, nt, p, fmax(last_conv + 0.5, last_touch - lookback), 1e9, want);
        if (k == 0) {
            continue;
        }
        ok = ji < j->njs && j->js[ji].len == k && j->js[ji].nulls == 1 && j->js[ji].conv == 0;
        for (size_t q = 0; ok && q < k; q++) {
            ok = ut__journey_touches(j, &j->js[ji])[q].channel == want[q];
        }
        ji++;
    }
    ok = ok && ji == j->njs;
    if (!ok) {
        t_fail(__FILE__, __LINE__, "round %zu: mismatch at journey %zu", round, ji);
    }
    ut_journeys_free(j);
    return ok;
}

TEST(random_against_naive)
{
    uint64_t seed = 42;

    for (size_t round = 0; round < 2000; round++) {
        if (!check_random_case(&seed, round)) {
            return;
        }
    }
}

/* One person with many unsorted touches: the merge path, stable on ties. */
TEST(long_unsorted_group)
{
    enum { N = 5000 };
    struct ut_event_touch *tt = ut_malloc(N * sizeof(*tt));
    struct ut_event_conversion cv = {0, 1e9, 1};
    struct ut_journeys *j = new_set();
    const struct ut_touch *t;
    int ok = 1;

    if (tt == NULL || j == NULL) {
        ut_free(tt);
        ut_journeys_free(j);
        T_TRUE(0);
    }
    for (size_t i = 0; i < N; i++) {
        /* Times descending in blocks, four channels cycling: ties abound. */
        size_t block = (N - i) / 7;

        tt[i] = (struct ut_event_touch){0, (uint32_t)(i % 4), 0, (double)block};
    }
    ok = ut_journeys_add_events(j, tt, N, &cv, 1, 1e9, NULL) == UT_OK && j->njs == 1 &&
         j->js[0].len == N;
    t = ok ? ut__journey_touches(j, &j->js[0]) : NULL;
    for (size_t k = 1; ok && k < N; k++) {
        ok = t[k - 1].time <= t[k].time;
    }
    /* Within a tie block the original order (increasing index, so channel cycles). */
    for (size_t k = 1; ok && k < N; k++) {
        if (t[k - 1].time == t[k].time) {
            ok = t[k].channel == (t[k - 1].channel + 1) % 4;
        }
    }
    ut_free(tt);
    ut_journeys_free(j);
    T_TRUE(ok);
}

T_LIST(T_CASE(window_edges_inclusive), T_CASE(ties_in_input_order),
       T_CASE(conversions_share_touches), T_CASE(null_journey_after_last_conversion),
       T_CASE(conversion_without_touches), T_CASE(zero_lookback_and_empty_input),
       T_CASE(argument_errors), T_CASE(random_against_naive), T_CASE(long_unsorted_group))
T_MAIN()
