/*
 * tests/unit/test_csv_split.c - decoding a file in two halves on two threads
 * (done for large files) gives exactly what one pass gives: the same channels
 * and persons in the same order, the same rows, the same error at the same
 * line and column. ut__csv_split_min is lowered so small inputs take the split
 * path, and every input is decoded both ways and compared.
 */
#include "util/setup.h"

#include <stdio.h>
#include <string.h>

#include "core/journeys.h"
#include "ingest/csv_input.h"
#include "t.h"
#include "util/alloc.h"
#include "util/buf.h"

#define SPLIT_ALWAYS ((size_t)1)
#define SPLIT_NEVER ((size_t)1 << 40)

/* Channel names in id order, then every journey with its touches, as text. */
static void
dump_journeys(const struct ut_journeys *j, struct ut_buf *out)
{
    for (uint32_t c = 0; c < ut_journeys_channel_count(j); c++) {
        ut_buf_addf(out, "ch %u %s\n", c, ut_journeys_channel_name(j, c, NULL));
    }
    for (size_t i = 0; i < j->njs; i++) {
        const struct ut__journey *jr = &j->js[i];
        const struct ut_touch *t = ut__journey_touches(j, jr);

        ut_buf_addf(out, "j %.17g %.17g %.17g %.17g:", jr->time, jr->conv, jr->nulls, jr->value);
        for (uint32_t k = 0; k < jr->len; k++) {
            ut_buf_addf(out, " %u/%u/%.17g", t[k].channel, t[k].flags, t[k].time);
        }
        ut_buf_addch(out, '\n');
    }
}

static void
dump_events(const struct ut_event_input *in, struct ut_buf *out)
{
    for (uint32_t p = 0; p < in->persons.count; p++) {
        ut_buf_addf(out, "person %u %s\n", p, ut_strtab_get(&in->persons, p, NULL));
    }
    for (size_t i = 0; i < in->ntouches; i++) {
        const struct ut_event_touch *t = &in->touches[i];

        ut_buf_addf(out, "t %u %u %u %.17g\n", t->person, t->channel, t->flags, t->time);
    }
    for (size_t i = 0; i < in->nconvs; i++) {
        ut_buf_addf(out, "c %u %.17g %.17g\n", in->convs[i].person, in->convs[i].time,
                    in->convs[i].value);
    }
}

static void
dump_result(int err, const struct ut_diag *d, struct ut_buf *out)
{
    ut_buf_addf(out, "err %d", err);
    if (err != UT_OK) {
        ut_buf_addf(out, " at %zu:%zu %s", d->line, d->col, d->msg);
    }
    ut_buf_addch(out, '\n');
}

/* Decode a path file with the given split threshold into text. */
static void
paths_as_text(const char *csv, size_t split, struct ut_buf *out)
{
    struct ut_journeys *j = NULL;
    struct ut_diag d;
    int err;

    memset(&d, 0, sizeof(d));
    ut__csv_split_min = split;
    if (ut_journeys_new(&j) != UT_OK) {
        out->err = UT_ENOMEM;
        return;
    }
    err = ut_ingest_paths_csv(j, csv, strlen(csv), 0, &d);
    dump_result(err, &d, out);
    if (err == UT_OK) {
        dump_journeys(j, out);
    }
    ut_journeys_free(j);
}

/* Decode touch and conversion files with the given split threshold into text. */
static void
events_as_text(const char *touches, const char *convs, size_t split, struct ut_buf *out)
{
    struct ut_event_input in;
    struct ut_journeys *j = NULL;
    struct ut_diag d;
    int err;

    memset(&d, 0, sizeof(d));
    ut__csv_split_min = split;
    ut_event_input_init(&in);
    if (ut_journeys_new(&j) != UT_OK) {
        out->err = UT_ENOMEM;
        return;
    }
    err = ut_ingest_touches_csv(&in, j, touches, strlen(touches), 0, NULL, &d);
    if (err == UT_OK) {
        err = ut_ingest_conversions_csv(&in, convs, strlen(convs), 0, &d);
    }
    dump_result(err, &d, out);
    if (err == UT_OK) {
        dump_events(&in, out);
        dump_journeys(j, out);
    }
    ut_event_input_release(&in);
    ut_journeys_free(j);
}

/* A path file of n rows over a few channels, quoted fields and CRLF here and there. */
static void
make_paths(struct ut_buf *b, size_t n, const char *bad_row, size_t bad_at)
{
    static const char *const ch[] = {"Email", "Paid Search", "caf\xc3\xa9", "Direct", "x,y"};

    ut_buf_addstr(b, "path,total_conversions,total_null,total_conversion_value\n");
    for (size_t i = 0; i < n; i++) {
        if (bad_row != NULL && i == bad_at) {
            ut_buf_addstr(b, bad_row);
            continue;
        }
        ut_buf_addf(b, "\"%s > %s\",%zu,%zu,%zu.5%s", ch[i % 5], ch[(i * 7 + 3) % 5], i % 3, i % 2,
                    i, i % 4 == 0 ? "\r\n" : "\n");
        if (i % 9 == 0) {
            ut_buf_addf(b, "%s,1,0,\n", ch[(i + 1) % 4]); /* a one-touch path, empty value */
        }
    }
}

static void
make_events(struct ut_buf *t, struct ut_buf *c, size_t n)
{
    ut_buf_addstr(t, "person_id,timestamp,channel,source\n");
    ut_buf_addstr(c, "person_id,timestamp,value\n");
    for (size_t i = 0; i < n; i++) {
        ut_buf_addf(t, "p%zu,%zu,%s,\"src\n%zu\"\n", (i * 13) % 97, 1700000000 + i * 60,
                    i % 5 == 0 ? "direct" : (i % 3 == 0 ? "Email" : "Paid Social"), i % 7);
        if (i % 4 == 0) {
            ut_buf_addf(c, "p%zu,2023-11-14T22:%02zu:00Z,%zu\n", (i * 13) % 97, i % 60, i);
        }
    }
}

static int
same_both_ways_paths(const char *csv)
{
    struct ut_buf one = UT_BUF_INIT(1 << 26), two = UT_BUF_INIT(1 << 26);
    int same;

    paths_as_text(csv, SPLIT_NEVER, &one);
    paths_as_text(csv, SPLIT_ALWAYS, &two);
    ut__csv_split_min = (size_t)2 << 20;
    same = ut_buf_err(&one) == UT_OK && ut_buf_err(&two) == UT_OK && one.len == two.len &&
           memcmp(one.ptr, two.ptr, one.len) == 0;
    if (!same) {
        printf("#   one pass: %.300s\n#   two halves: %.300s\n", one.ptr, two.ptr);
    }
    ut_buf_release(&one);
    ut_buf_release(&two);
    return same;
}

TEST(paths_split_equals_single_pass)
{
    for (size_t n = 1; n < 400 && !t_failed_now; n += 37) {
        struct ut_buf csv = UT_BUF_INIT(1 << 24);

        make_paths(&csv, n, NULL, 0);
        T_TRUE(same_both_ways_paths(csv.ptr));
        ut_buf_release(&csv);
    }
}

TEST(paths_split_reports_the_same_error)
{
    static const char *const bad[] = {"a > b,x1,0,0\n", "a > > b,1,0,0\n", "\"a > b,1,0,0\n",
                                      "a,-1,0,0\n", "a,1\n"};

    for (size_t k = 0; k < UT_ARRAY_LEN(bad) && !t_failed_now; k++) {
        for (size_t at = 3; at < 300 && !t_failed_now; at += 61) {
            struct ut_buf csv = UT_BUF_INIT(1 << 24);

            make_paths(&csv, 300, bad[k], at);
            T_TRUE(same_both_ways_paths(csv.ptr));
            ut_buf_release(&csv);
        }
    }
}

TEST(events_split_equals_single_pass)
{
    for (size_t n = 1; n < 500 && !t_failed_now; n += 83) {
        struct ut_buf t = UT_BUF_INIT(1 << 24), c = UT_BUF_INIT(1 << 24);
        struct ut_buf one = UT_BUF_INIT(1 << 26), two = UT_BUF_INIT(1 << 26);

        make_events(&t, &c, n);
        events_as_text(t.ptr, c.ptr, SPLIT_NEVER, &one);
        events_as_text(t.ptr, c.ptr, SPLIT_ALWAYS, &two);
        ut__csv_split_min = (size_t)2 << 20;
        T_EQ_MEM(one.ptr, one.len, two.ptr, two.len);
        T_TRUE(strncmp(one.ptr, "err 0", 5) == 0);
        ut_buf_release(&t);
        ut_buf_release(&c);
        ut_buf_release(&one);
        ut_buf_release(&two);
    }
}

T_LIST(T_CASE(paths_split_equals_single_pass), T_CASE(paths_split_reports_the_same_error),
       T_CASE(events_split_equals_single_pass))
T_MAIN()
