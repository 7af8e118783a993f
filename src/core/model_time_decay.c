/*
 * core/model_time_decay.c - time decay: touch weight 2^(-(T - t) / half_life)
 * normalised per conversion. Weights are taken relative to the latest touch
 * (the normalisation cancels the factor), so old journeys never underflow to
 * all-zero weights.
 */
#include "util/setup.h"

#include <math.h>

#include "core/model.h"

static int
decay_attribute(const struct ut_journeys *j, const struct ut_model_opts *o, double *conv,
                double *value, struct ut_diag *diag)
{
    double hl = o->half_life;

    (void)diag;
    for (size_t i = 0; i < j->njs; i++) {
        const struct ut__journey *jr = &j->js[i];
        const struct ut_touch *t = ut__journey_touches(j, jr);
        double latest, sum = 0;

        if (jr->len == 0 || (jr->conv == 0 && jr->value == 0)) {
            continue;
        }
        latest = t[0].time;
        for (uint32_t k = 1; k < jr->len; k++) {
            latest = t[k].time > latest ? t[k].time : latest;
        }
        for (uint32_t k = 0; k < jr->len; k++) {
            sum += exp2(-(latest - t[k].time) / hl);
        }
        for (uint32_t k = 0; k < jr->len; k++) {
            double w = exp2(-(latest - t[k].time) / hl) / sum;

            conv[t[k].channel] += jr->conv * w;
            value[t[k].channel] += jr->value * w;
        }
    }
    return UT_OK;
}

const struct ut__model ut__model_time_decay = {
    {"time_decay", UT_MODEL_TIMED, "credit halves every half-life before the conversion"},
    decay_attribute,
};
