/*
 * core/model_time_decay.c - time decay: touch weight 2^(-(T - t) / half_life)
 * normalised per conversion. Weights are taken relative to the latest touch
 * (the normalisation cancels the factor), so old journeys never underflow to
 * all-zero weights.
 */
#include "util/setup.h"

#include <math.h>

#include "core/model.h"
#include "util/alloc.h"

static int
decay_attribute(const struct ut_journeys *j, const struct ut_model_opts *o, double *conv,
                double *value, struct ut_diag *diag)
{
    double hl = o->half_life;
    double *w = NULL; /* the current journey's weights, before normalising */
    size_t w_cap = 0;

    (void)diag;
    for (size_t i = 0; i < j->njs; i++) {
        const struct ut__journey *jr = &j->js[i];
        const struct ut_touch *t = ut__journey_touches(j, jr);
        double latest, sum = 0;

        ut__journey_prefetch(j, i + UT__JOURNEY_PREFETCH);
        if (jr->len == 0 || (jr->conv == 0 && jr->value == 0)) {
            continue;
        }
        if (ut_grow((void **)&w, &w_cap, jr->len, sizeof(*w)) != UT_OK) {
            ut_free(w);
            return UT_ENOMEM;
        }
        latest = t[0].time;
        for (uint32_t k = 1; k < jr->len; k++) {
            latest = t[k].time > latest ? t[k].time : latest;
        }
        /* One exp2 per touch: the weights are kept for the second pass. */
        for (uint32_t k = 0; k < jr->len; k++) {
            w[k] = exp2(-(latest - t[k].time) / hl);
            sum += w[k];
        }
        for (uint32_t k = 0; k < jr->len; k++) {
            double x = w[k] / sum;

            conv[t[k].channel] += jr->conv * x;
            value[t[k].channel] += jr->value * x;
        }
    }
    ut_free(w);
    return UT_OK;
}

const struct ut__model ut__model_time_decay = {
    {"time_decay", UT_MODEL_TIMED, "credit halves every half-life before the conversion"},
    decay_attribute,
};
