/*
 * tests/unit/test_csv_input.c - the CSV decoders: path files (inline samples
 * and the ChannelAttribution peers file, checked against sums computed here
 * independently) and touch / conversion event files, their errors included.
 */
#include "util/setup.h"

#include <stdlib.h>

#include "t.h"
#include "ingest/csv_input.h"
#include "util/alloc.h"
#include "util/diag.h"
#include "core/journeys.h"

/* ---- helpers ------------------------------------------------------------------------ */

static int
load_paths(struct ut_journeys **j, const char *text, char sep, struct ut_diag *d)
{
    int err;

    ut_diag_clear(d);
    err = ut_journeys_new(j);
    if (err != UT_OK) {
        return err;
    }
    return ut_ingest_paths_csv(*j, text, strlen(text), sep, d);
}

/* Name of the channel of touch k of journey i ("" when out of range). */
static const char *
touch_name(const struct ut_journeys *j, size_t i, size_t k)
{
    const struct ut__journey *jr;
    const char *s;

    if (i >= j->njs || k >= j->js[i].len) {
        return "";
    }
    jr = &j->js[i];
    s = ut_journeys_channel_name(j, ut__journey_touches(j, jr)[k].channel, NULL);
    return s != NULL ? s : "";
}

/* ---- path files --------------------------------------------------------------------- */

TEST(paths_basic)
{
    struct ut_journeys *j = NULL;
    struct ut_diag d;
    const char *csv = "path,total_conversions,total_conversion_value,total_null\n"
                      "a > b > a,2,10.5,1\n"
                      "b,0,0,3\n"
                      "  c  >b,1,,\n";

    T_OK(load_paths(&j, csv, 0, &d));
    T_EQ_SIZE(ut_journeys_count(j), 3);
    T_EQ_SIZE(ut_journeys_channel_count(j), 3);
    T_EQ_SIZE(j->js[0].len, 3);
    T_EQ_STR(touch_name(j, 0, 0), "a");
    T_EQ_STR(touch_name(j, 0, 1), "b");
    T_EQ_STR(touch_name(j, 0, 2), "a");
    T_EQ_STR(touch_name(j, 2, 0), "c");
    T_EQ_STR(touch_name(j, 2, 1), "b");
    T_NEAR(j->js[0].conv, 2, 0);
    T_NEAR(j->js[0].value, 10.5, 0);
    T_NEAR(j->js[0].nulls, 1, 0);
    T_NEAR(j->js[2].nulls, 0, 0);
    T_NEAR(ut_journeys_total_conversions(j), 3, 0);
    T_NEAR(ut_journeys_total_nulls(j), 4, 0);
    T_NEAR(ut_journeys_total_value(j), 10.5, 0);
    T_NEAR(j->js[0].time, 0, 0);
    ut_journeys_free(j);
}

TEST(paths_empty_path_is_none)
{
    struct ut_journeys *j = NULL;
    struct ut_diag d;

    T_OK(load_paths(&j, "path,total_conversions\n  ,2\n\"\",1\na,1\n", 0, &d));
    T_EQ_SIZE(ut_journeys_count(j), 3);
    T_EQ_SIZE(j->js[0].len, 0);
    T_EQ_SIZE(j->js[1].len, 0);
    T_NEAR(j->empty_conv, 3, 0);
    T_TRUE(j->none_id != UINT32_MAX);
    T_EQ_STR(ut_journeys_channel_name(j, j->none_id, NULL), "(none)");
    ut_journeys_free(j);
}

TEST(paths_crlf_blank_lines_and_bom)
{
    struct ut_journeys *j = NULL;
    struct ut_diag d;

    T_OK(load_paths(&j, "\xef\xbb\xbfpath,total_conversions\r\n\r\nx>y,1\r\n\r\ny,2\r\n", 0, &d));
    T_EQ_SIZE(ut_journeys_count(j), 2);
    T_EQ_STR(touch_name(j, 0, 1), "y");
    T_EQ_STR(touch_name(j, 1, 0), "y");
    T_NEAR(ut_journeys_total_conversions(j), 3, 0);
    T_EQ_SIZE(ut_journeys_channel_count(j), 2);
    ut_journeys_free(j);
}

TEST(paths_non_ascii_and_quoted)
{
    struct ut_journeys *j = NULL;
    struct ut_diag d;
    const char *csv = "\"path\";\"total_conversions\";\"total_conversion_value\"\n"
                      "\"Café > Straße; \"\"x\"\"\";1;\"1,5\"\n";

    /* ';' detected; the value "1,5" is not a number with '.' decimals. */
    T_ERR(load_paths(&j, csv, 0, &d), UT_EPARSE);
    T_EQ_SIZE(d.line, 2);
    T_TRUE(strstr(d.msg, "malformed number '1,5' in column 'total_conversion_value'") != NULL);
    ut_journeys_free(j);

    csv = "\"path\";\"total_conversions\";\"total_conversion_value\"\n"
          "\"Café > Straße; \"\"x\"\"\";1;\"1.5\"\n"
          "日本 > Café;2;0\n";
    T_OK(load_paths(&j, csv, 0, &d));
    T_EQ_SIZE(ut_journeys_count(j), 2);
    T_EQ_STR(touch_name(j, 0, 0), "Café");
    T_EQ_STR(touch_name(j, 0, 1), "Straße; \"x\"");
    T_EQ_STR(touch_name(j, 1, 0), "日本");
    T_EQ_SIZE(ut_journeys_channel_count(j), 3);
    T_NEAR(ut_journeys_total_value(j), 1.5, 0);
    ut_journeys_free(j);
}

TEST(paths_explicit_tab_and_any_column_order)
{
    struct ut_journeys *j = NULL;
    struct ut_diag d;

    T_OK(load_paths(&j, "extra\ttotal_null\t Path \ttotal_conversions\nq\t4\ta>b\t0\n", '\t', &d));
    T_EQ_SIZE(ut_journeys_count(j), 1);
    T_EQ_SIZE(j->js[0].len, 2);
    T_NEAR(ut_journeys_total_nulls(j), 4, 0);
    ut_journeys_free(j);
}

TEST(paths_errors)
{
    static const struct {
        const char *csv;
        int err;
        size_t line, col;
        const char *msg;
    } cases[] = {
        {"", UT_EPARSE, 1, 1, "empty file: expected a header row"},
        {"\n\r\n", UT_EPARSE, 1, 1, "empty file: expected a header row"},
        {"path,conversions\na,1\n", UT_EPARSE, 1, 1, "missing column 'total_conversions'"},
        {"total_conversions\n1\n", UT_EPARSE, 1, 1, "missing column 'path'"},
        {"path,total_conversions\na,x1\n", UT_EPARSE, 2, 3,
         "malformed number 'x1' in column 'total_conversions'"},
        {"path,total_conversions\na, 1 2\n", UT_EPARSE, 2, 3,
         "malformed number ' 1 2' in column 'total_conversions'"},
        {"path,total_conversions,total_null\na,1,-2\n", UT_EPARSE, 2, 5,
         "negative number '-2' in column 'total_null'"},
        {"path,total_conversions\na,-1\n", UT_EPARSE, 2, 3,
         "negative number '-1' in column 'total_conversions'"},
        {"path,total_conversions\na,nan\n", UT_EPARSE, 2, 3, "malformed number 'nan'"},
        {"path,total_conversions\na,inf\n", UT_EPARSE, 2, 3, "malformed number 'inf'"},
        {"path,total_conversions\na > > b,1\n", UT_EPARSE, 2, 1, "empty channel name in path"},
        {"path,total_conversions\na >,1\n", UT_EPARSE, 2, 1, "empty channel name in path"},
        {"path,total_conversions\na,1\nb\n", UT_EPARSE, 3, 1, "expected 2 fields, found 1"},
        {"path,total_conversions\na,1,2\n", UT_EPARSE, 2, 1, "expected 2 fields, found 3"},
        {"path,total_conversions\n\"a,1\n", UT_EPARSE, 2, 1, "unterminated quoted field"},
        {"path,total_conversions\na\"b,1\n", UT_EPARSE, 2, 2, "unexpected quote"},
    };

    for (size_t i = 0; i < UT_ARRAY_LEN(cases); i++) {
        struct ut_journeys *j = NULL;
        struct ut_diag d;
        int err = load_paths(&j, cases[i].csv, 0, &d);

        ut_journeys_free(j);
        if (err != cases[i].err || d.line != cases[i].line || d.col != cases[i].col ||
            strstr(d.msg, cases[i].msg) == NULL) {
            t_fail(__FILE__, __LINE__, "case %zu: err %d line %zu col %zu msg '%s'", i, err, d.line,
                   d.col, d.msg);
            return;
        }
    }
}

TEST(paths_header_only_and_no_trailing_newline)
{
    struct ut_journeys *j = NULL;
    struct ut_diag d;

    T_OK(load_paths(&j, "path,total_conversions\n", 0, &d));
    T_EQ_SIZE(ut_journeys_count(j), 0);
    ut_journeys_free(j);
    T_OK(load_paths(&j, "path,total_conversions", 0, &d));
    T_EQ_SIZE(ut_journeys_count(j), 0);
    ut_journeys_free(j);
    T_OK(load_paths(&j, "path,total_conversions\na,1", 0, &d));
    T_EQ_SIZE(ut_journeys_count(j), 1);
    ut_journeys_free(j);
}

TEST(paths_null_data_pointer)
{
    struct ut_journeys *j = NULL;
    struct ut_diag d;

    T_OK(ut_journeys_new(&j));
    ut_diag_clear(&d);
    T_ERR(ut_ingest_paths_csv(j, NULL, 0, 0, &d), UT_EPARSE);
    T_ERR(ut_ingest_paths_csv(j, "path\n", 5, '"', &d), UT_EINVAL);
    ut_journeys_free(j);
}

TEST(paths_many_channels_cache_collisions)
{
    struct ut_journeys *j = NULL;
    struct ut_diag d;
    char *csv = ut_malloc(1 << 20);
    size_t len = 0;

    T_NOTNULL(csv);
    len += (size_t)snprintf(csv, 64, "path,total_conversions\n");
    for (int i = 0; i < 2000; i++) {
        len += (size_t)snprintf(csv + len, 128, "channel_number_%d > channel_number_%d,1\n", i,
                                (i * 7) % 2000);
    }
    T_OK(ut_journeys_new(&j));
    if (ut_ingest_paths_csv(j, csv, len, 0, &d) != UT_OK) {
        ut_free(csv);
        ut_journeys_free(j);
        T_TRUE(0);
    }
    ut_free(csv);
    T_EQ_SIZE(ut_journeys_channel_count(j), 2000);
    for (size_t i = 0; i < 2000; i++) {
        char want[64];

        snprintf(want, sizeof(want), "channel_number_%zu", (i * 7) % 2000);
        if (strcmp(touch_name(j, i, 1), want) != 0) {
            ut_journeys_free(j);
            T_TRUE(0);
        }
    }
    ut_journeys_free(j);
}

/*
 * The peers file, checked against totals computed here with a separate
 * simple parser (split on ';', strtod). 10,000 rows, 12 channels.
 */
TEST(paths_peers_file)
{
    struct ut_journeys *j = NULL;
    struct ut_diag d;
    size_t len, rows = 0, touches = 0;
    double conv = 0, value = 0, nulls = 0;
    char *data = t_read_file(t_path(t_peers_dir, "ChannelAttribution_Data.csv"), &len);
    char *line, *save = NULL;

    if (data == NULL) {
        SKIP("peers file not found");
    }
    T_OK(ut_journeys_new(&j));
    ut_diag_clear(&d);
    if (ut_ingest_paths_csv(j, data, len, 0, &d) != UT_OK) {
        t_fail(__FILE__, __LINE__, "load: %zu:%zu %s", d.line, d.col, d.msg);
        ut_free(data);
        ut_journeys_free(j);
        return;
    }
    /* Independent pass: header path;total_conversions;total_conversion_value;total_null. */
    (void)strtok_r(data, "\n", &save); /* the header */
    for (;;) {
        char *f2, *f3 = NULL, *f4 = NULL;

        line = strtok_r(NULL, "\n", &save);
        if (line == NULL) {
            break;
        }
        f2 = strchr(line, ';');
        f3 = f2 != NULL ? strchr(f2 + 1, ';') : NULL;
        f4 = f3 != NULL ? strchr(f3 + 1, ';') : NULL;
        if (f4 == NULL) {
            continue;
        }
        rows++;
        touches++;
        for (char *p = line; p < f2; p++) {
            touches += *p == '>';
        }
        conv += strtod(f2 + 1, NULL);
        value += strtod(f3 + 1, NULL);
        nulls += strtod(f4 + 1, NULL);
    }
    ut_free(data);
    T_EQ_SIZE(rows, 10000);
    T_EQ_SIZE(ut_journeys_count(j), rows);
    T_EQ_SIZE(ut_journeys_channel_count(j), 12);
    T_EQ_SIZE(j->ntouches, touches);
    T_NEAR(ut_journeys_total_conversions(j), conv, 1e-12);
    T_NEAR(ut_journeys_total_value(j), value, 1e-12);
    T_NEAR(ut_journeys_total_nulls(j), nulls, 1e-12);
    ut_journeys_free(j);
}

/* ---- event files --------------------------------------------------------------------- */

TEST(touches_basic)
{
    struct ut_event_input in;
    struct ut_journeys *j = NULL;
    struct ut_diag d;
    const char *csv = "person_id,timestamp,channel,source\n"
                      "u1,2024-01-01T00:00:00Z,Direct,\n"
                      "u2,1704067200,search,google\n"
                      "u1,2024-01-01T01:00:00.5+01:00,email,news\n"
                      " u2 ,2024-01-01 00:00:00z,,bing\n";

    ut_event_input_init(&in);
    T_OK(ut_journeys_new(&j));
    ut_diag_clear(&d);
    T_OK(ut_ingest_touches_csv(&in, j, csv, strlen(csv), 0, NULL, &d));
    T_EQ_SIZE(in.ntouches, 4);
    T_EQ_SIZE(in.persons.count, 2);
    T_EQ_I64(in.touches[0].person, 0);
    T_EQ_I64(in.touches[1].person, 1);
    T_EQ_I64(in.touches[2].person, 0);
    T_EQ_I64(in.touches[3].person, 1);
    T_NEAR(in.touches[0].time, 1704067200.0, 0);
    T_NEAR(in.touches[1].time, 1704067200.0, 0);
    T_NEAR(in.touches[2].time, 1704067200.5, 0);
    T_EQ_I64(in.touches[0].flags, UT_TOUCH_DIRECT);
    T_EQ_I64(in.touches[1].flags, 0);
    T_EQ_STR(ut_journeys_channel_name(j, in.touches[0].channel, NULL), "Direct");
    T_EQ_STR(ut_journeys_channel_name(j, in.touches[3].channel, NULL), "(none)");
    ut_event_input_release(&in);

    /* Credit another column. */
    ut_event_input_init(&in);
    T_OK(ut_ingest_touches_csv(&in, j, csv, strlen(csv), 0, "source", &d));
    T_EQ_STR(ut_journeys_channel_name(j, in.touches[0].channel, NULL), "(none)");
    T_EQ_STR(ut_journeys_channel_name(j, in.touches[3].channel, NULL), "bing");
    T_EQ_I64(in.touches[0].flags, UT_TOUCH_DIRECT);
    ut_event_input_release(&in);
    ut_journeys_free(j);
}

TEST(touches_errors)
{
    static const struct {
        const char *csv;
        const char *by;
        int err;
        size_t line, col;
        const char *msg;
    } cases[] = {
        {"person_id,timestamp,channel\nu,2024-01-01T00:00:00,a\n", NULL, UT_EPARSE, 2, 3,
         "timestamp without a zone '2024-01-01T00:00:00' in column 'timestamp'"},
        {"person_id,timestamp,channel\nu,2024-13-01T00:00:00Z,a\n", NULL, UT_EPARSE, 2, 3,
         "timestamp out of range '2024-13-01T00:00:00Z' in column 'timestamp'"},
        {"person_id,timestamp,channel\nu,yesterday,a\n", NULL, UT_EPARSE, 2, 3,
         "malformed timestamp 'yesterday' in column 'timestamp'"},
        {"person_id,timestamp,channel\nu,,a\n", NULL, UT_EPARSE, 2, 3, "in column 'timestamp'"},
        {"person_id,timestamp,channel\n,1,a\n", NULL, UT_EPARSE, 2, 1, "empty person id"},
        {"person_id,channel\nu,a\n", NULL, UT_EPARSE, 1, 1, "missing column 'timestamp'"},
        {"person_id,timestamp\nu,1\n", NULL, UT_EPARSE, 1, 1, "missing column 'channel'"},
        {"person_id,timestamp,channel\nu,1,a\n", "campaign", UT_EINVAL, 1, 1,
         "no column 'campaign' in the touch file"},
        {"", NULL, UT_EPARSE, 1, 1, "empty file: expected a header row"},
    };

    for (size_t i = 0; i < UT_ARRAY_LEN(cases); i++) {
        struct ut_event_input in;
        struct ut_journeys *j = NULL;
        struct ut_diag d;
        int err;

        ut_event_input_init(&in);
        T_OK(ut_journeys_new(&j));
        ut_diag_clear(&d);
        err = ut_ingest_touches_csv(&in, j, cases[i].csv, strlen(cases[i].csv), 0, cases[i].by, &d);
        ut_event_input_release(&in);
        ut_journeys_free(j);
        if (err != cases[i].err || d.line != cases[i].line || d.col != cases[i].col ||
            strstr(d.msg, cases[i].msg) == NULL) {
            t_fail(__FILE__, __LINE__, "case %zu: err %d line %zu col %zu msg '%s'", i, err, d.line,
                   d.col, d.msg);
            return;
        }
    }
}

TEST(conversions_basic_and_errors)
{
    struct ut_event_input in;
    struct ut_journeys *j = NULL;
    struct ut_diag d;
    const char *touches = "person_id,timestamp,channel\nu1,1,a\n";
    const char *convs = "conversion_id;person_id;timestamp;value\n"
                        "c1;u2;2024-02-29T12:00:00Z;19.99\n"
                        "c2;u1;100;\n";

    ut_event_input_init(&in);
    T_OK(ut_journeys_new(&j));
    ut_diag_clear(&d);
    T_OK(ut_ingest_touches_csv(&in, j, touches, strlen(touches), 0, NULL, &d));
    T_OK(ut_ingest_conversions_csv(&in, convs, strlen(convs), 0, &d));
    T_EQ_SIZE(in.nconvs, 2);
    T_EQ_SIZE(in.persons.count, 2);
    T_EQ_I64(in.convs[0].person, 1);
    T_EQ_I64(in.convs[1].person, 0);
    T_NEAR(in.convs[0].value, 19.99, 0);
    T_NEAR(in.convs[0].time, 1709208000.0, 0);
    T_NEAR(in.convs[1].value, 0, 0);
    T_NEAR(in.convs[1].time, 100, 0);

    convs = "person_id,timestamp,value\nu1,1,abc\n";
    T_ERR(ut_ingest_conversions_csv(&in, convs, strlen(convs), 0, &d), UT_EPARSE);
    T_TRUE(strstr(d.msg, "malformed number 'abc' in column 'value'") != NULL);
    T_EQ_SIZE(d.line, 2);
    T_EQ_SIZE(d.col, 6);
    convs = "person_id,value\nu1,1\n";
    T_ERR(ut_ingest_conversions_csv(&in, convs, strlen(convs), 0, &d), UT_EPARSE);
    T_TRUE(strstr(d.msg, "missing column 'timestamp'") != NULL);
    convs = "person_id,timestamp\nu1,2023-02-29T00:00:00Z\n";
    T_ERR(ut_ingest_conversions_csv(&in, convs, strlen(convs), 0, &d), UT_EPARSE);
    T_TRUE(strstr(d.msg, "out of range") != NULL);
    ut_event_input_release(&in);
    ut_journeys_free(j);
}

/* Fail the 1st, 2nd, ... allocation: every failure is UT_ENOMEM and leaks nothing. */
TEST(out_of_memory)
{
    const char *paths = "path,total_conversions\n\"a\"\"x > b\",1\n,2\nc > a,0\n";
    const char *touches = "person_id,timestamp,channel\nu1,1,a\n\"u\"\"2\",2,b\nu1,3,\n";
    const char *convs = "person_id,timestamp,value\nu2,5,1\nu3,6,2\n";
    int done = 0;

    for (long n = 1; n < 200 && !done; n++) {
        struct ut_journeys *j = NULL;
        struct ut_event_input in;
        struct ut_diag d;
        int err;

        ut_event_input_init(&in);
        ut_alloc_fail_after(n);
        err = ut_journeys_new(&j);
        if (err == UT_OK) {
            err = ut_ingest_paths_csv(j, paths, strlen(paths), 0, &d);
        }
        if (err == UT_OK) {
            err = ut_ingest_touches_csv(&in, j, touches, strlen(touches), 0, NULL, &d);
        }
        if (err == UT_OK) {
            err = ut_ingest_conversions_csv(&in, convs, strlen(convs), 0, &d);
        }
        if (err == UT_OK) {
            err = ut_journeys_add_events(j, in.touches, in.ntouches, in.convs, in.nconvs, 10, &d);
        }
        ut_alloc_fail_after(0);
        done = err == UT_OK;
        if (err != UT_OK && err != UT_ENOMEM) {
            t_fail(__FILE__, __LINE__, "failing allocation %ld: error %d (%s)", n, err, d.msg);
        }
        if (done && (ut_journeys_count(j) != 7 || in.persons.count != 4)) {
            t_fail(__FILE__, __LINE__, "wrong result: %zu journeys", ut_journeys_count(j));
        }
        ut_event_input_release(&in);
        ut_journeys_free(j);
        if (t_failed_now) {
            return;
        }
    }
    T_TRUE(done);
}

T_LIST(T_CASE(paths_basic), T_CASE(paths_empty_path_is_none),
       T_CASE(paths_crlf_blank_lines_and_bom), T_CASE(paths_non_ascii_and_quoted),
       T_CASE(paths_explicit_tab_and_any_column_order), T_CASE(paths_errors),
       T_CASE(paths_header_only_and_no_trailing_newline), T_CASE(paths_null_data_pointer),
       T_CASE(paths_many_channels_cache_collisions), T_CASE(paths_peers_file),
       T_CASE(touches_basic), T_CASE(touches_errors), T_CASE(conversions_basic_and_errors),
       T_CASE(out_of_memory))
T_MAIN()
