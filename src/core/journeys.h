/*
 * core/journeys.h - the layout of struct ut_journeys, shared by the models.
 * Touches of all journeys sit in one flat array; a journey is a range of it.
 */
#ifndef UT_CORE_JOURNEYS_H
#define UT_CORE_JOURNEYS_H

#include "util/hash.h"
#include "utmost/attribution.h"

struct ut__journey {
    size_t first;   /* index of the first touch in ut_journeys.touches */
    uint32_t len;   /* touches */
    double time;    /* conversion time (Unix seconds) */
    double conv;    /* conversions */
    double nulls;   /* non-conversions */
    double value;   /* conversion value */
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

/* Touches of journey i. */
static inline const struct ut_touch *
ut__journey_touches(const struct ut_journeys *j, const struct ut__journey *jr)
{
    return j->touches + jr->first;
}

#endif /* UT_CORE_JOURNEYS_H */
