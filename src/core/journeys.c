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

int
ut_journeys_add(struct ut_journeys *j, const struct ut_touch *touches, size_t n, double time,
                double conversions, double nulls, double value)
{
    struct ut__journey *jr;
    size_t need;
    int err;

    if (!isfinite(conversions) || !isfinite(nulls) || !isfinite(value) || conversions < 0 ||
        nulls < 0 || !isfinite(time) || n > UINT32_MAX) {
        return UT_EINVAL;
    }
    for (size_t i = 0; i < n; i++) {
        if (touches[i].channel >= j->channels.count || !isfinite(touches[i].time)) {
            return UT_EINVAL;
        }
    }
    if (n == 0) {
        uint32_t id;

        /* Intern "(none)" now so its credit has a slot in every model. */
        if (conversions != 0 || value != 0) {
            err = ut_journeys_intern(j, UT_CHANNEL_NONE, sizeof(UT_CHANNEL_NONE) - 1, &id);
            if (err != UT_OK) {
                return err;
            }
        }
    }
    if (ut_size_add(j->ntouches, n, &need) != 0) {
        return UT_ENOMEM;
    }
    err = ut_grow((void **)&j->touches, &j->touches_cap, need, sizeof(*j->touches));
    if (err == UT_OK) {
        err = ut_grow((void **)&j->js, &j->js_cap, j->njs + 1, sizeof(*j->js));
    }
    if (err != UT_OK) {
        return err;
    }
    if (n != 0) {
        memcpy(j->touches + j->ntouches, touches, n * sizeof(*touches));
    }
    jr = &j->js[j->njs++];
    jr->first = j->ntouches;
    jr->len = (uint32_t)n;
    jr->time = time;
    jr->conv = conversions;
    jr->nulls = nulls;
    jr->value = value;
    j->ntouches += n;
    j->total_conv += conversions;
    j->total_nulls += nulls;
    j->total_value += value;
    if (n == 0) {
        j->empty_conv += conversions;
        j->empty_value += value;
    }
    return UT_OK;
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
