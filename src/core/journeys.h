/*
 * core/journeys.h - the layout of struct ut_journeys, shared by the models.
 * Touches of all journeys sit in one flat array; a journey is a range of it.
 * Ranges may overlap and need not cover the array: journeys built from events
 * are windows over their person's time-sorted touches, stored once.
 */
#ifndef UT_CORE_JOURNEYS_H
#define UT_CORE_JOURNEYS_H

#include "util/hash.h"
#include "utmost/attribution.h"

struct ut__journey {
    size_t first; /* index of the first touch in ut_journeys.touches */
    uint32_t len; /* touches */
    double time;  /* conversion time (Unix seconds) */
    double conv;  /* conversions */
    double nulls; /* non-conversions */
    double value; /* conversion value */
};

struct ut_journeys {
    struct ut_strtab channels;
    struct ut_touch *touches;
    size_t ntouches, touches_cap;
    struct ut__journey *js;
    size_t njs, js_cap;
    double total_conv, total_nulls, total_value;
    double empty_conv, empty_value; /* carried by journeys without touches */
    uint32_t none_id;               /* id of "(none)", UINT32_MAX until interned */
    int timed;
};

/*
 * Append n touches to j->touches, uninitialised, for the caller to fill;
 * *first gets the index of the first. Journeys then refer to them through
 * ut__journeys_add_range(). UT_ENOMEM.
 */
int ut__journeys_append_touches(struct ut_journeys *j, size_t n, size_t *first);

/*
 * ut_journeys_add() for touches already in j->touches: the journey is
 * touches[first .. first + n), which the caller has checked (interned
 * channels, finite times). Same checks of the numbers and errors otherwise.
 */
int ut__journeys_add_range(struct ut_journeys *j, size_t first, size_t n, double time,
                           double conversions, double nulls, double value);

/* How far a set had got: see ut__journeys_get_mark() and ut__journeys_rewind(). */
struct ut__journeys_mark {
    size_t ntouches, njs;
    double total_conv, total_nulls, total_value, empty_conv, empty_value;
};

/* Record in *m where j stands now. */
void ut__journeys_get_mark(const struct ut_journeys *j, struct ut__journeys_mark *m);

/*
 * Drop the journeys and touches added since m was taken and restore the
 * totals exactly; channels interned since stay (a reader that starts over
 * interns the same names in the same order).
 */
void ut__journeys_rewind(struct ut_journeys *j, const struct ut__journeys_mark *m);

/* Touches of journey i. */
static inline const struct ut_touch *
ut__journey_touches(const struct ut_journeys *j, const struct ut__journey *jr)
{
    return j->touches + jr->first;
}

/*
 * Journeys ahead of the current one in a pass over j->js whose touches are
 * prefetched: journeys built from events are windows scattered over the
 * touch array (in journey order, not memory order).
 */
#define UT__JOURNEY_PREFETCH 16
/* Cache lines of a journey's touches prefetched at most. */
#define UT__JOURNEY_PREFETCH_LINES 2

/* Prefetch the touches of journey i (if any), up to UT__JOURNEY_PREFETCH_LINES lines. */
static inline void
ut__journey_prefetch(const struct ut_journeys *j, size_t i)
{
    if (i < j->njs) {
        const char *p = (const char *)(j->touches + j->js[i].first);
        size_t bytes = (size_t)j->js[i].len * sizeof(struct ut_touch);

        if (bytes > 64 * UT__JOURNEY_PREFETCH_LINES) {
            bytes = 64 * UT__JOURNEY_PREFETCH_LINES;
        }
        for (size_t off = 0; off < bytes; off += 64) {
            __builtin_prefetch(p + off);
        }
    }
}

#endif /* UT_CORE_JOURNEYS_H */
