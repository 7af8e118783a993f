/*
 * fuzz/fuzz_csv.c - arbitrary bytes through the CSV reader and the three CSV
 * decoders (paths, touches, conversions) into fresh structures, everything
 * released after. Finds crashes, leaks and reads past the input.
 */
#include "util/setup.h"

#include <string.h>

#include "fuzz.h"
#include "ingest/csv_input.h"
#include "util/alloc.h"
#include "util/csv.h"

static void
fuzz_reader(const char *text, size_t len)
{
    struct ut_csv c;
    struct ut_csv_row row;
    struct ut_diag d;
    size_t total = 0;

    ut_csv_init(&c, text, len, 0);
    while (ut_csv_next_row(&c, &row, &d) > 0) {
        for (size_t i = 0; i < row.n; i++) {
            /* Touch every byte of every field: ASan checks the views. */
            for (size_t k = 0; k < row.fields[i].len; k++) {
                total += (unsigned char)row.fields[i].ptr[k];
            }
        }
    }
    ut_csv_release(&c);
    (void)total;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* A private copy of exactly size bytes: any read past the end is caught. */
    char *text = ut_malloc(size);
    struct ut_journeys *j = NULL;
    struct ut_event_input in;
    struct ut_diag d;

    if (text == NULL) {
        return 0;
    }
    if (size != 0) {
        memcpy(text, data, size);
    }
    fuzz_reader(text, size);
    if (ut_journeys_new(&j) == UT_OK) {
        (void)ut_ingest_paths_csv(j, text, size, 0, &d);
        ut_journeys_free(j);
        j = NULL;
    }
    if (ut_journeys_new(&j) == UT_OK) {
        ut_event_input_init(&in);
        (void)ut_ingest_touches_csv(&in, j, text, size, 0, size % 2 != 0 ? "source" : NULL, &d);
        (void)ut_ingest_conversions_csv(&in, text, size, ';', &d);
        if (in.ntouches + in.nconvs != 0) {
            (void)ut_journeys_add_events(j, in.touches, in.ntouches, in.convs, in.nconvs, 86400.0,
                                         &d);
        }
        ut_event_input_release(&in);
        ut_journeys_free(j);
    }
    ut_free(text);
    return 0;
}
