/*
 * cli/format.h - writing attribution results as csv, json or an aligned table.
 * Output is built in memory so that an error never leaves a partial result
 * on standard output.
 */
#ifndef UT_CLI_FORMAT_H
#define UT_CLI_FORMAT_H

#include "util/buf.h"
#include "utmost/attribution.h"

enum cli_format { CLI_FORMAT_CSV, CLI_FORMAT_JSON, CLI_FORMAT_TABLE };

/* Parse "csv" | "json" | "table"; -1 if unknown. */
int cli_format_parse(const char *s);

/*
 * Append the credits of nmodels models (names[i], credits[i]) over the
 * channels of j, channels in byte order, to out. dim names the credited
 * dimension ("channel", or the --by column). Errors are left in out's
 * sticky error.
 */
void cli_format_credits(struct ut_buf *out, enum cli_format fmt, const char *dim,
                        const struct ut_journeys *j, const char *const *names,
                        const struct ut_credits *credits, size_t nmodels);

/* Append s as one CSV field, quoted when needed (RFC 4180). */
void cli_csv_field(struct ut_buf *out, const char *s, size_t len);
/* Append a number with 15 significant digits (enough for 10 exact ones). */
void cli_number(struct ut_buf *out, double v);

#endif /* UT_CLI_FORMAT_H */
