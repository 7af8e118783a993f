/*
 * core/model_shapley.c - exact Shapley values of the game v(S) = conversions
 * (value) of the paths whose set of distinct channels is contained in S
 * (Zhao et al. 2018). That game is a sum of unanimity games, one per path
 * over its channel set T, and the Shapley value of a unanimity game gives
 * 1/|T| to each member of T. So the exact value for any number of channels is
 * each path's credit split evenly over its distinct channels: O(touches).
 */
#include "util/setup.h"

#include "core/model.h"
#include "util/alloc.h"

static int
shapley_attribute(const struct ut_journeys *j, const struct ut_model_opts *o, double *conv,
                  double *value, struct ut_diag *diag)
{
    size_t n = j->channels.count;
    size_t *stamp = ut_calloc(n, sizeof(*stamp)); /* journey index + 1 that last saw a channel */
    uint32_t *distinct = NULL;
    size_t distinct_cap = 0;

    (void)o;
    (void)diag;
    if (stamp == NULL) {
        return UT_ENOMEM;
    }
    for (size_t i = 0; i < j->njs; i++) {
        const struct ut__journey *jr = &j->js[i];
        const struct ut_touch *t = ut__journey_touches(j, jr);
        size_t nd = 0;

        ut__journey_prefetch(j, i + UT__JOURNEY_PREFETCH);
        if (jr->len == 0 || (jr->conv == 0 && jr->value == 0)) {
            continue;
        }
        if (ut_grow((void **)&distinct, &distinct_cap, jr->len, sizeof(*distinct)) != UT_OK) {
            ut_free(stamp);
            ut_free(distinct);
            return UT_ENOMEM;
        }
        for (uint32_t k = 0; k < jr->len; k++) {
            if (stamp[t[k].channel] != i + 1) {
                stamp[t[k].channel] = i + 1;
                distinct[nd++] = t[k].channel;
            }
        }
        for (size_t k = 0; k < nd; k++) {
            conv[distinct[k]] += jr->conv / (double)nd;
            value[distinct[k]] += jr->value / (double)nd;
        }
    }
    ut_free(stamp);
    ut_free(distinct);
    return UT_OK;
}

const struct ut__model ut__model_shapley = {
    {"shapley", UT_MODEL_DATA_DRIVEN, "exact Shapley values of the channel-set game"},
    shapley_attribute,
};
