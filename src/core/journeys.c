/*
 * core/journeys.c - the journey set: channel interning, appending journeys,
 * totals. Pure memory; no I/O.
 */
#include "util/setup.h"

#include "core/journeys.h"

#include <math.h>
#include <string.h>

#include "util/alloc.h"

int
ut_journeys_new(struct ut_journeys **out)
{
    struct ut_journeys *j = ut_calloc(1, sizeof(*j));

    if (j == NULL) {
        return UT_ENOMEM;
    }
    ut_strtab_init(&j->channels);
    j->none_id = UINT32_MAX;
    *out = j;
    return UT_OK;
}

void
ut_journeys_free(struct ut_journeys *j)
{
    if (j == NULL) {
        return;
    }
    ut_strtab_release(&j->channels);
    ut_free(j->touches);
    ut_free(j->js);
    ut_free(j);
}

int
ut_journeys_intern(struct ut_journeys *j, const char *name, size_t len, uint32_t *id)
{
    uint32_t v;
    int err;

    if (j->channels.count >= UT_MAX_CHANNELS &&
        ut_strtab_find(&j->channels, name, len, &v) != UT_OK) {
        return UT_ELIMIT;
    }
    err = ut_strtab_intern(&j->channels, name, len, &v);
    if (err != UT_OK) {
        return err;
    }
    if (j->none_id == UINT32_MAX && len == sizeof(UT_CHANNEL_NONE) - 1 &&
        memcmp(name, UT_CHANNEL_NONE, len) == 0) {
        j->none_id = v;
    }
    *id = v;
    return UT_OK;
}

size_t
ut_journeys_channel_count(const struct ut_journeys *j)
{
    return j->channels.count;
}

const char *
ut_journeys_channel_name(const struct ut_journeys *j, uint32_t id, size_t *len)
{
    return ut_strtab_get(&j->channels, id, len);
}

/* Check the numbers of a journey of n touches; intern "(none)" when it will need it. */
static int
journey_check(struct ut_journeys *j, size_t n, double time, double conversions, double nulls,
              double value)
{
    uint32_t id;

    if (!isfinite(conversions) || !isfinite(nulls) || !isfinite(value) || conversions < 0 ||
        nulls < 0 || !isfinite(time) || n > UINT32_MAX) {
        return UT_EINVAL;
    }
    /* Intern "(none)" now so the credit of an empty journey has a slot in every model. */
    if (n == 0 && (conversions != 0 || value != 0)) {
        return ut_journeys_intern(j, UT_CHANNEL_NONE, sizeof(UT_CHANNEL_NONE) - 1, &id);
    }
    return UT_OK;
}

/* Append the record of a checked journey over touches[first .. first + n). */
static int
journey_push(struct ut_journeys *j, size_t first, size_t n, double time, double conversions,
             double nulls, double value)
{
    struct ut__journey *jr;
    int err = ut_grow((void **)&j->js, &j->js_cap, j->njs + 1, sizeof(*j->js));

    if (err != UT_OK) {
        return err;
    }
    jr = &j->js[j->njs++];
    jr->first = first;
    jr->len = (uint32_t)n;
    jr->time = time;
    jr->conv = conversions;
    jr->nulls = nulls;
    jr->value = value;
    j->total_conv += conversions;
    j->total_nulls += nulls;
    j->total_value += value;
    if (n == 0) {
        j->empty_conv += conversions;
        j->empty_value += value;
    }
    return UT_OK;
}

int
ut__journeys_append_touches(struct ut_journeys *j, size_t n, size_t *first)
{
    size_t need;
    int err;

    if (ut_size_add(j->ntouches, n, &need) != 0) {
        return UT_ENOMEM;
    }
    err = ut_grow((void **)&j->touches, &j->touches_cap, need, sizeof(*j->touches));
    if (err != UT_OK) {
        return err;
    }
    *first = j->ntouches;
    j->ntouches = need;
    return UT_OK;
}

int
ut__journeys_add_range(struct ut_journeys *j, size_t first, size_t n, double time,
                       double conversions, double nulls, double value)
{
    int err = journey_check(j, n, time, conversions, nulls, value);

    if (err != UT_OK) {
        return err;
    }
    assert(first <= j->ntouches && n <= j->ntouches - first);
    return journey_push(j, first, n, time, conversions, nulls, value);
}

int
ut_journeys_add(struct ut_journeys *j, const struct ut_touch *touches, size_t n, double time,
                double conversions, double nulls, double value)
{
    size_t first = j->ntouches;
    int err;

    for (size_t i = 0; i < n; i++) {
        if (touches[i].channel >= j->channels.count || !isfinite(touches[i].time)) {
            return UT_EINVAL;
        }
    }
    err = journey_check(j, n, time, conversions, nulls, value);
    if (err == UT_OK && n != 0) {
        err = ut__journeys_append_touches(j, n, &first);
    }
    if (err == UT_OK) {
        err = journey_push(j, first, n, time, conversions, nulls, value);
    }
    if (err != UT_OK) {
        j->ntouches = first; /* drop the touches of a journey that was not added */
        return err;
    }
    if (n != 0) {
        memcpy(j->touches + first, touches, n * sizeof(*touches));
    }
    return UT_OK;
}

void
ut__journeys_get_mark(const struct ut_journeys *j, struct ut__journeys_mark *m)
{
    m->ntouches = j->ntouches;
    m->njs = j->njs;
    m->total_conv = j->total_conv;
    m->total_nulls = j->total_nulls;
    m->total_value = j->total_value;
    m->empty_conv = j->empty_conv;
    m->empty_value = j->empty_value;
}

void
ut__journeys_rewind(struct ut_journeys *j, const struct ut__journeys_mark *m)
{
    assert(m->ntouches <= j->ntouches && m->njs <= j->njs);
    j->ntouches = m->ntouches;
    j->njs = m->njs;
    j->total_conv = m->total_conv;
    j->total_nulls = m->total_nulls;
    j->total_value = m->total_value;
    j->empty_conv = m->empty_conv;
    j->empty_value = m->empty_value;
}

void
ut_journeys_set_timed(struct ut_journeys *j, int timed)
{
    j->timed = timed != 0;
}

size_t
ut_journeys_count(const struct ut_journeys *j)
{
    return j->njs;
}

double
ut_journeys_total_conversions(const struct ut_journeys *j)
{
    return j->total_conv;
}

double
ut_journeys_total_nulls(const struct ut_journeys *j)
{
    return j->total_nulls;
}

double
ut_journeys_total_value(const struct ut_journeys *j)
{
    return j->total_value;
}
