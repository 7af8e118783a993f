/*
 * core/events.c - journeys from touch and conversion events (the spec is the
 * comment of ut_journeys_add_events in utmost/attribution.h). Touches are
 * counting-sorted by person straight into the set's touch array, each
 * person's run is stably sorted by time, and every journey is then a window
 * of its person's run found by binary search: a range of that array, never a
 * copy (a person converting k times would otherwise be stored k + 1 times).
 * Pure: no I/O, no clock.
 */
#include "util/setup.h"

#include "core/journeys.h"

#include <math.h>
#include <string.h>

#include "util/alloc.h"
#include "util/diag.h"

/* Runs up to this long are sorted by insertion, longer ones by merging. */
#define INSERTION_MAX 24

/* Prefetch distance (in events) for passes that hit random persons. */
#define PF_DIST 16

struct ev_state {
    size_t npersons;
    uint32_t *start;      /* npersons + 1: person p's touches are pt[start[p] .. start[p + 1]) */
    struct ut_touch *pt;  /* in j->touches: grouped by person, each sorted by (time, input) */
    size_t base;          /* index of pt[0] in j->touches */
    double *last_conv;    /* per person: time of the last conversion, -inf if none */
    struct ut_touch *tmp; /* merge scratch, as long as the longest group */
    size_t tmp_cap;
};

/* ---- validation ---------------------------------------------------------------------- */

static int
ev_validate(const struct ut_journeys *j, const struct ut_event_touch *touches, size_t ntouches,
            const struct ut_event_conversion *convs, size_t nconvs, double lookback,
            size_t *npersons, struct ut_diag *diag)
{
    size_t n = 0, limit, nchannels = ut_journeys_channel_count(j);

    if (!isfinite(lookback) || lookback < 0) {
        ut_diag_set(diag, "lookback must be finite and >= 0");
        return UT_EINVAL;
    }
    if (ut_size_add(ntouches, nconvs, &limit) != 0 || ntouches >= UINT32_MAX) {
        ut_diag_set(diag, "too many events");
        return UT_ELIMIT;
    }
    for (size_t i = 0; i < ntouches; i++) {
        if (!isfinite(touches[i].time)) {
            ut_diag_set(diag, "touch %zu: time is not finite", i);
            return UT_EINVAL;
        }
        if (touches[i].channel >= nchannels) {
            ut_diag_set(diag, "touch %zu: channel id %u was not interned", i,
                        (unsigned)touches[i].channel);
            return UT_EINVAL;
        }
        if ((size_t)touches[i].person >= n) {
            n = (size_t)touches[i].person + 1;
        }
    }
    for (size_t i = 0; i < nconvs; i++) {
        if (!isfinite(convs[i].time) || !isfinite(convs[i].value)) {
            ut_diag_set(diag, "conversion %zu: time or value is not finite", i);
            return UT_EINVAL;
        }
        if ((size_t)convs[i].person >= n) {
            n = (size_t)convs[i].person + 1;
        }
    }
    /* Dense indices: there cannot be more persons than events. */
    if (n > limit) {
        ut_diag_set(diag, "person index %zu out of range: only %zu events", n - 1, limit);
        return UT_EINVAL;
    }
    *npersons = n;
    return UT_OK;
}

/* ---- sorting each person's touches ----------------------------------------------- */

static void
insertion_sort(struct ut_touch *a, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        struct ut_touch x = a[i];
        size_t k = i;

        /* Strict '>' keeps equal times in input order (stable). */
        while (k > 0 && a[k - 1].time > x.time) {
            a[k] = a[k - 1];
            k--;
        }
        a[k] = x;
    }
}

/* Stable bottom-up merge sort of a[0..n) by time; tmp holds n elements. */
static void
merge_sort(struct ut_touch *a, size_t n, struct ut_touch *tmp)
{
    struct ut_touch *src = a, *dst = tmp, *swap;

    for (size_t i = 0; i < n; i += INSERTION_MAX) {
        insertion_sort(a + i, n - i < INSERTION_MAX ? n - i : INSERTION_MAX);
    }
    for (size_t w = INSERTION_MAX; w < n; w *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * w) {
            size_t mid = lo + w < n ? lo + w : n;
            size_t hi = lo + 2 * w < n ? lo + 2 * w : n;
            size_t i = lo, k = mid, o = lo;

            while (i < mid && k < hi) {
                /* Take from the left run on ties: stability. */
                dst[o++] = src[k].time < src[i].time ? src[k++] : src[i++];
            }
            while (i < mid) {
                dst[o++] = src[i++];
            }
            while (k < hi) {
                dst[o++] = src[k++];
            }
        }
        swap = src;
        src = dst;
        dst = swap;
    }
    if (src != a) {
        memcpy(a, src, n * sizeof(*a));
    }
}

static int
sort_group(struct ev_state *st, struct ut_touch *a, size_t n)
{
    size_t i = 1;

    while (i < n && a[i - 1].time <= a[i].time) {
        i++;
    }
    if (i >= n) {
        return UT_OK; /* already in order: the usual case for logged events */
    }
    if (n <= INSERTION_MAX) {
        insertion_sort(a, n);
        return UT_OK;
    }
    if (n > st->tmp_cap) {
        ut_free(st->tmp);
        st->tmp_cap = 0;
        st->tmp = ut_malloc(n * sizeof(*st->tmp));
        if (st->tmp == NULL) {
            return UT_ENOMEM;
        }
        st->tmp_cap = n;
    }
    merge_sort(a, n, st->tmp);
    return UT_OK;
}

/*
 * Group touches by person (counting sort keeps input order), then sort each
 * group. Both passes over the input hit random persons, so the counters and
 * destinations of touch i + PF_DIST are prefetched while touch i is placed.
 */
static int
group_touches(struct ut_journeys *j, struct ev_state *st, const struct ut_event_touch *touches,
              size_t ntouches)
{
    uint32_t *fill;
    size_t np = st->npersons;
    int err;

    err = ut__journeys_append_touches(j, ntouches, &st->base);
    if (err != UT_OK) {
        return err;
    }
    st->pt = j->touches + st->base;
    ut_advise_huge(st->pt, ntouches * sizeof(*st->pt));
    st->start = ut_calloc(np + 1, sizeof(*st->start));
    fill = ut_malloc((np + 1) * sizeof(*fill));
    if (st->start == NULL || fill == NULL) {
        ut_free(fill);
        return UT_ENOMEM;
    }
    for (size_t i = 0; i < ntouches; i++) {
        if (i + PF_DIST < ntouches) {
            __builtin_prefetch(&st->start[touches[i + PF_DIST].person + 1], 1);
        }
        st->start[touches[i].person + 1]++;
    }
    for (size_t p = 0; p < np; p++) {
        st->start[p + 1] += st->start[p];
    }
    memcpy(fill, st->start, (np + 1) * sizeof(*fill));
    for (size_t i = 0; i < ntouches; i++) {
        struct ut_touch *t;

        if (i + 2 * PF_DIST < ntouches) {
            __builtin_prefetch(&fill[touches[i + 2 * PF_DIST].person], 1);
        }
        if (i + PF_DIST < ntouches) {
            __builtin_prefetch(&st->pt[fill[touches[i + PF_DIST].person]], 1);
        }
        t = &st->pt[fill[touches[i].person]++];
        t->channel = touches[i].channel;
        t->flags = touches[i].flags;
        t->time = touches[i].time;
    }
    ut_free(fill);
    for (size_t p = 0; p < np && err == UT_OK; p++) {
        err = sort_group(st, st->pt + st->start[p], st->start[p + 1] - st->start[p]);
    }
    return err;
}

/* ---- windows ----------------------------------------------------------------------- */

/* First index in a[lo..hi) whose time is >= t (or > t when strict). */
static size_t
bound(const struct ut_touch *a, size_t lo, size_t hi, double t, int strict)
{
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (strict ? a[mid].time <= t : a[mid].time < t) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

static int
add_conversions(struct ut_journeys *j, struct ev_state *st, const struct ut_event_conversion *convs,
                size_t nconvs, double lookback)
{
    for (size_t i = 0; i < nconvs; i++) {
        const struct ut_event_conversion *cv = &convs[i];
        size_t a, b;

        /* Two-stage prefetch: the person's offsets, then the start of their touches. */
        if (i + 2 * PF_DIST < nconvs) {
            __builtin_prefetch(&st->start[convs[i + 2 * PF_DIST].person]);
            __builtin_prefetch(&st->last_conv[convs[i + 2 * PF_DIST].person], 1);
        }
        if (i + PF_DIST < nconvs) {
            __builtin_prefetch(&st->pt[st->start[convs[i + PF_DIST].person]]);
        }
        a = st->start[cv->person];
        b = st->start[cv->person + 1];
        size_t lo = bound(st->pt, a, b, cv->time - lookback, 0);
        size_t hi = bound(st->pt, lo, b, cv->time, 1);
        int err = ut__journeys_add_range(j, st->base + lo, hi - lo, cv->time, 1.0, 0.0, cv->value);

        if (err != UT_OK) {
            return err;
        }
        if (cv->time > st->last_conv[cv->person]) {
            st->last_conv[cv->person] = cv->time;
        }
    }
    return UT_OK;
}

static int
add_nulls(struct ut_journeys *j, struct ev_state *st, double lookback)
{
    for (size_t p = 0; p < st->npersons; p++) {
        size_t a = st->start[p], b = st->start[p + 1], lo;
        double last;
        int err;

        if (a == b) {
            continue;
        }
        last = st->pt[b - 1].time;
        lo = bound(st->pt, a, b, st->last_conv[p], 1);
        lo = bound(st->pt, lo, b, last - lookback, 0);
        if (lo == b) {
            continue;
        }
        err = ut__journeys_add_range(j, st->base + lo, b - lo, last, 0.0, 1.0, 0.0);
        if (err != UT_OK) {
            return err;
        }
    }
    return UT_OK;
}

int
ut_journeys_add_events(struct ut_journeys *j, const struct ut_event_touch *touches, size_t ntouches,
                       const struct ut_event_conversion *convs, size_t nconvs, double lookback,
                       struct ut_diag *diag)
{
    struct ev_state st;
    int err;

    memset(&st, 0, sizeof(st));
    err = ev_validate(j, touches, ntouches, convs, nconvs, lookback, &st.npersons, diag);
    if (err != UT_OK) {
        return err;
    }
    err = group_touches(j, &st, touches, ntouches);
    if (err != UT_OK) {
        goto out;
    }
    st.last_conv = ut_malloc((st.npersons + 1) * sizeof(*st.last_conv));
    if (st.last_conv == NULL) {
        err = UT_ENOMEM;
        goto out;
    }
    for (size_t p = 0; p < st.npersons; p++) {
        st.last_conv[p] = -HUGE_VAL;
    }
    err = add_conversions(j, &st, convs, nconvs, lookback);
    if (err == UT_OK) {
        err = add_nulls(j, &st, lookback);
    }
    if (err == UT_OK) {
        ut_journeys_set_timed(j, 1);
    }
out:
    ut_free(st.start);
    ut_free(st.last_conv);
    ut_free(st.tmp);
    return err;
}
