/*
 * core/model_last_non_direct.c - all credit to the last touch whose channel is
 * not "direct" (flag UT_TOUCH_DIRECT, set by the loader from the channel column
 * whatever dimension is credited); a direct touch only when nothing else is there.
 */
#include "util/setup.h"

#include "core/model.h"

static int
lnd_attribute(const struct ut_journeys *j, const struct ut_model_opts *o, double *conv,
              double *value, struct ut_diag *diag)
{
    (void)o;
    (void)diag;
    for (size_t i = 0; i < j->njs; i++) {
        const struct ut__journey *jr = &j->js[i];
        const struct ut_touch *t = ut__journey_touches(j, jr);
        size_t k;

        if (jr->len == 0) {
            continue;
        }
        k = jr->len - 1;
        while (k > 0 && (t[k].flags & UT_TOUCH_DIRECT) != 0) {
            k--;
        }
        if ((t[k].flags & UT_TOUCH_DIRECT) != 0) {
            k = jr->len - 1; /* all direct: the last touch */
        }
        conv[t[k].channel] += jr->conv;
        value[t[k].channel] += jr->value;
    }
    return UT_OK;
}

const struct ut__model ut__model_last_non_direct = {
    {"last_non_direct", UT_MODEL_TIMED, "all credit to the last touch that is not direct"},
    lnd_attribute,
};
