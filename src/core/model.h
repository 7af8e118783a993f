/*
 * core/model.h - the model table entry. Each model lives in its own
 * model_<name>.c and exports one const struct ut__model.
 *
 * attribute() sees only journeys with touches (the dispatcher credits empty
 * ones to "(none)") and adds credit into conv[] and value[] (arrays of the
 * channel count, zeroed by the caller). It must conserve: what it adds sums to
 * the conversions and value of the non-empty journeys. It may not print,
 * allocate outside ut_malloc, or keep state between calls.
 */
#ifndef UT_CORE_MODEL_H
#define UT_CORE_MODEL_H

#include "core/journeys.h"
#include "utmost/attribution.h"

struct ut__model {
    struct ut_model_info info;
    int (*attribute)(const struct ut_journeys *j, const struct ut_model_opts *o, double *conv,
                     double *value, struct ut_diag *diag);
};

extern const struct ut__model ut__model_first;
extern const struct ut__model ut__model_last;
extern const struct ut__model ut__model_last_non_direct;
extern const struct ut__model ut__model_linear;
extern const struct ut__model ut__model_position;
extern const struct ut__model ut__model_time_decay;
extern const struct ut__model ut__model_markov;
extern const struct ut__model ut__model_shapley;
extern const struct ut__model ut__model_fractribution;

#endif /* UT_CORE_MODEL_H */
