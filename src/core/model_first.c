/*
 * core/model_first.c - first touch: all of a journey's credit to its first touch.
 */
#include "util/setup.h"

#include "core/model.h"

static int
first_attribute(const struct ut_journeys *j, const struct ut_model_opts *o, double *conv,
                double *value, struct ut_diag *diag)
{
    (void)o;
    (void)diag;
    for (size_t i = 0; i < j->njs; i++) {
        const struct ut__journey *jr = &j->js[i];

        if (jr->len != 0) {
            uint32_t c = j->touches[jr->first].channel;

            conv[c] += jr->conv;
            value[c] += jr->value;
        }
    }
    return UT_OK;
}

const struct ut__model ut__model_first = {
    {"first", 0, "all credit to the first touch"},
    first_attribute,
};
