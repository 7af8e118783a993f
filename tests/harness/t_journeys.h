/*
 * tests/harness/t_journeys.h - what the model tests share: journeys built from
 * "a > b > a" paths, the peer path files of ../shared/data/peers and their
 * golden credit CSVs (expected/<dataset>/<file>.csv).
 */
#ifndef UT_TESTS_T_JOURNEYS_H
#define UT_TESTS_T_JOURNEYS_H

#include <stddef.h>
#include <stdint.h>

#include "utmost/attribution.h"

/* Touches of one journey that t_add_path_n takes at most (UT_ELIMIT beyond). */
#define T_PATH_MAX_TOUCHES 256

/*
 * Append the untimed journey "a > b > a" of p[0..len) (names trimmed, "" = no
 * touches) with its totals; the ut_journeys_add result.
 */
int t_add_path_n(struct ut_journeys *j, const char *p, size_t len, double conv, double nulls,
                 double value);
/* t_add_path_n over the NUL-terminated path. */
int t_add_path(struct ut_journeys *j, const char *path, double conv, double nulls, double value);

/* Id of channel name in j, or UINT32_MAX. */
uint32_t t_channel_id(const struct ut_journeys *j, const char *name);

/*
 * Read the peers path file (ChannelAttribution's columns; the header of
 * snowplow's path summary is renamed to those) into a new set *out. UT_EIO
 * when the file cannot be read, else the ingest result.
 */
int t_load_peers(const char *file, struct ut_journeys **out);

/* One row of a golden CSV: tf is "" without a transform column, value NaN without value_credit. */
struct t_exp_row {
    char model[32];
    char tf[16];
    char channel[64];
    double credit, value;
};

/*
 * Load expected/<dataset>/<file> (a header naming model, channel, credit and
 * optionally transform, value_credit) into rows[0..max). Returns the row
 * count; 0 when the file is missing or its header lacks a column.
 */
size_t t_load_expected(const char *dataset, const char *file, struct t_exp_row *rows, size_t max);

/*
 * |got - want| within rel_tol of |want| (absolute 1e-9 around zero); raises
 * *worst to the relative error when it is larger.
 */
int t_close_enough(double got, double want, double rel_tol, double *worst);

#endif /* UT_TESTS_T_JOURNEYS_H */
