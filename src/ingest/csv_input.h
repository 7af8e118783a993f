/*
 * ingest/csv_input.h - decoders from CSV text (already in memory) into the
 * engine's inputs: ChannelAttribution-style path files and touch /
 * conversion event files. Pure: no file access; the CLI maps the files.
 *
 * Shared CSV rules: RFC 4180 quoting, CRLF or LF line ends, a header row whose
 * columns may come in any order (extra columns ignored), blank lines skipped,
 * field separator ',' ';' or tab detected from the header unless sep != 0.
 * Errors fill diag with a 1-based line and column and a message naming the
 * column, and return UT_EPARSE (malformed data or a missing column) or
 * UT_ENOMEM / UT_ELIMIT; after an error the outputs hold no partial rows
 * worth using and must only be released.
 */
#ifndef UT_INGEST_CSV_INPUT_H
#define UT_INGEST_CSV_INPUT_H

#include <stddef.h>

#include "util/hash.h"
#include "utmost/attribution.h"

/*
 * Path file: columns path, total_conversions, optional total_null and
 * total_conversion_value. A path is channel names joined by '>', spaces
 * around each trimmed. Empty numeric fields count 0; conversions and nulls
 * must be finite and >= 0. Each row becomes one journey of j (rows are not
 * merged: every model is additive over identical rows).
 */
int ut_ingest_paths_csv(struct ut_journeys *j, const char *data, size_t len, char sep,
                        struct ut_diag *diag);

/* Touches and conversions read from event files, before journeys are built. */
struct ut_event_input {
    struct ut_strtab persons; /* person_id -> dense index */
    struct ut_event_touch *touches;
    size_t ntouches, touches_cap;
    struct ut_event_conversion *convs;
    size_t nconvs, convs_cap;
};

void ut_event_input_init(struct ut_event_input *in);
void ut_event_input_release(struct ut_event_input *in);

/*
 * Touch file: columns person_id, timestamp, channel; optional source, medium,
 * campaign, content, term, partner, link. by names the column credited
 * (NULL = "channel"); its value is interned in j (empty -> "(none)"), and a
 * touch is flagged UT_TOUCH_DIRECT when its channel column is "direct" (any
 * case). UT_EINVAL when by names no column of the header (diag says so).
 * Timestamps: ISO-8601 with 'Z' or an offset, fractional seconds allowed,
 * or integer Unix seconds.
 */
int ut_ingest_touches_csv(struct ut_event_input *in, struct ut_journeys *j, const char *data,
                          size_t len, char sep, const char *by, struct ut_diag *diag);

/*
 * Conversion file: columns person_id, timestamp; optional value (empty -> 0)
 * and conversion_id (read and ignored for now).
 */
int ut_ingest_conversions_csv(struct ut_event_input *in, const char *data, size_t len, char sep,
                              struct ut_diag *diag);

/*
 * Inputs with at least this many bytes of rows are decoded in two halves by
 * two threads (one helper thread per call, so a replaced allocator must be
 * thread-safe); the result is exactly that of one pass. Default 2 MiB; tests
 * set it low to exercise the split on small inputs. Not thread-safe to change.
 */
extern size_t ut__csv_split_min;

#endif /* UT_INGEST_CSV_INPUT_H */
