/*
 * core/attribute.c - the model table and ut_attribute(): option checks,
 * the "(none)" credit of journeys without touches, then one model's
 * attribute() over the rest. Pure: no I/O, no clock, no randomness.
 */
#include "util/setup.h"

#include <math.h>
#include <string.h>

#include "core/model.h"
#include "util/alloc.h"
#include "util/diag.h"

/* Canonical order: rule-based models first, then the data-driven ones. */
static const struct ut__model *const models[] = {
    &ut__model_first,    &ut__model_last,       &ut__model_last_non_direct,
    &ut__model_linear,   &ut__model_position,   &ut__model_time_decay,
    &ut__model_markov,   &ut__model_shapley,    &ut__model_fractribution,
};

size_t
ut_model_count(void)
{
    return UT_ARRAY_LEN(models);
}

const struct ut_model_info *
ut_model_at(size_t i)
{
    return i < UT_ARRAY_LEN(models) ? &models[i]->info : NULL;
}

static const struct ut__model *
model_lookup(const char *name)
{
    for (size_t i = 0; i < UT_ARRAY_LEN(models); i++) {
        if (strcmp(models[i]->info.name, name) == 0) {
            return models[i];
        }
    }
    return NULL;
}

const struct ut_model_info *
ut_model_find(const char *name)
{
    const struct ut__model *m = model_lookup(name);

    return m != NULL ? &m->info : NULL;
}

static int
check_opts(const struct ut_model_opts *o, struct ut_diag *diag)
{
    if (o->order < 1 || o->order > 4) {
        ut_diag_set(diag, "order must be 1 to 4, not %u", o->order);
        return UT_EINVAL;
    }
    if (!(o->position_first >= 0 && o->position_last >= 0 &&
          o->position_first + o->position_last <= 100)) {
        ut_diag_set(diag, "position shares must be >= 0 and add up to at most 100");
        return UT_EINVAL;
    }
    if (!(o->half_life > 0) || !isfinite(o->half_life)) {
        ut_diag_set(diag, "half-life must be a positive duration");
        return UT_EINVAL;
    }
    if (o->transform > UT_TRANSFORM_FREQUENCY) {
        ut_diag_set(diag, "unknown path transform");
        return UT_EINVAL;
    }
    return UT_OK;
}

int
ut_attribute(const struct ut_journeys *j, const char *name, const struct ut_model_opts *o,
             struct ut_credits *out, struct ut_diag *diag)
{
    static const struct ut_model_opts defaults = UT_MODEL_OPTS_INIT;
    const struct ut__model *m = model_lookup(name);
    size_t n = j->channels.count;
    double *conv = NULL, *value = NULL;
    int err;

    if (m == NULL) {
        ut_diag_set(diag, "unknown model '%s'", name);
        return UT_ENOTFOUND;
    }
    if (o == NULL) {
        o = &defaults;
    }
    err = check_opts(o, diag);
    if (err != UT_OK) {
        return err;
    }
    if ((m->info.flags & UT_MODEL_TIMED) != 0 && !j->timed) {
        ut_diag_set(diag, "model '%s' needs event input with timestamps", name);
        return UT_EINVAL;
    }
    conv = ut_calloc(n, sizeof(*conv));
    value = ut_calloc(n, sizeof(*value));
    if (conv == NULL || value == NULL) {
        err = UT_ENOMEM;
        goto fail;
    }
    if (j->none_id != UINT32_MAX) {
        conv[j->none_id] += j->empty_conv;
        value[j->none_id] += j->empty_value;
    }
    err = m->attribute(j, o, conv, value, diag);
    if (err != UT_OK) {
        goto fail;
    }
    out->n = n;
    out->conversions = conv;
    out->value = value;
    return UT_OK;

fail:
    ut_free(conv);
    ut_free(value);
    return err;
}

void
ut_credits_release(struct ut_credits *c)
{
    if (c == NULL) {
        return;
    }
    ut_free(c->conversions);
    ut_free(c->value);
    memset(c, 0, sizeof(*c));
}
