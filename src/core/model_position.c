/*
 * core/model_position.c - position-based ("U-shaped"): with shares P and Q
 * percent, one touch takes all; two split P:Q; three or more give P% to the
 * first, Q% to the last and the rest evenly to the middle touches.
 */
#include "util/setup.h"

#include "core/model.h"

static int
position_attribute(const struct ut_journeys *j, const struct ut_model_opts *o, double *conv,
                   double *value, struct ut_diag *diag)
{
    double p = o->position_first / 100.0, q = o->position_last / 100.0;
    double p2 = p + q > 0 ? p / (p + q) : 0.5;

    (void)diag;
    for (size_t i = 0; i < j->njs; i++) {
        const struct ut__journey *jr = &j->js[i];
        const struct ut_touch *t = ut__journey_touches(j, jr);
        uint32_t first, last;
        double mid;

        ut__journey_prefetch(j, i + UT__JOURNEY_PREFETCH);
        if (jr->len == 0 || (jr->conv == 0 && jr->value == 0)) {
            continue;
        }
        first = t[0].channel;
        last = t[jr->len - 1].channel;
        if (jr->len == 1) {
            conv[first] += jr->conv;
            value[first] += jr->value;
        } else if (jr->len == 2) {
            conv[first] += jr->conv * p2;
            value[first] += jr->value * p2;
            conv[last] += jr->conv * (1 - p2);
            value[last] += jr->value * (1 - p2);
        } else {
            conv[first] += jr->conv * p;
            value[first] += jr->value * p;
            conv[last] += jr->conv * q;
            value[last] += jr->value * q;
            mid = (100.0 - o->position_first - o->position_last) / 100.0 / (jr->len - 2);
            for (uint32_t k = 1; k + 1 < jr->len; k++) {
                conv[t[k].channel] += jr->conv * mid;
                value[t[k].channel] += jr->value * mid;
            }
        }
    }
    return UT_OK;
}

const struct ut__model ut__model_position = {
    {"position", 0, "P% to the first touch, Q% to the last, the rest to the middle"},
    position_attribute,
};
