/*
 * core/model_linear.c - linear: each of a journey's L touches gets 1/L;
 * repeats accumulate (a>a>b gives a 2/3, b 1/3).
 */
#include "util/setup.h"

#include "core/model.h"

static int
linear_attribute(const struct ut_journeys *j, const struct ut_model_opts *o, double *conv,
                 double *value, struct ut_diag *diag)
{
    (void)o;
    (void)diag;
    for (size_t i = 0; i < j->njs; i++) {
        const struct ut__journey *jr = &j->js[i];
        const struct ut_touch *t = ut__journey_touches(j, jr);
        double c, v;

        ut__journey_prefetch(j, i + UT__JOURNEY_PREFETCH);
        if (jr->len == 0 || (jr->conv == 0 && jr->value == 0)) {
            continue;
        }
        c = jr->conv / jr->len;
        v = jr->value / jr->len;
        for (uint32_t k = 0; k < jr->len; k++) {
            conv[t[k].channel] += c;
            value[t[k].channel] += v;
        }
    }
    return UT_OK;
}

const struct ut__model ut__model_linear = {
    {"linear", 0, "equal credit to every touch"},
    linear_attribute,
};
