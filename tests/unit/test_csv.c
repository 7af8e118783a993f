/*
 * tests/unit/test_csv.c - the RFC 4180 reader: views, quoting and escapes,
 * CRLF, quoted line breaks, BOM, blank lines, separator detection, error
 * positions and size caps.
 */
#include "util/setup.h"

#include "t.h"
#include "util/alloc.h"
#include "util/csv.h"
#include "util/diag.h"

/* Read all rows of text and join them as "f1|f2/f1|..." with each row's line: "L2:a|b". */
static int
dump(const char *text, size_t len, char sep, char *out, size_t cap, struct ut_diag *d)
{
    struct ut_csv c;
    struct ut_csv_row row;
    size_t n = 0;
    int rc;

    ut_csv_init(&c, text, len, sep);
    ut_diag_clear(d);
    out[0] = '\0';
    for (;;) {
        rc = ut_csv_next_row(&c, &row, d);
        if (rc <= 0) {
            break;
        }
        if (n < cap) {
            n += (size_t)snprintf(out + n, cap - n, "%sL%zu:", n != 0 ? "/" : "", row.line);
        }
        for (size_t i = 0; i < row.n && n < cap; i++) {
            n += (size_t)snprintf(out + n, cap - n, "%s%.*s", i != 0 ? "|" : "",
                                  (int)row.fields[i].len, row.fields[i].ptr);
        }
    }
    ut_csv_release(&c);
    return rc;
}

static int
dumps(const char *text, char sep, char *out, size_t cap, struct ut_diag *d)
{
    return dump(text, strlen(text), sep, out, cap, d);
}

TEST(simple_rows_are_views)
{
    const char *text = "a,bb,ccc\n1,,3\n";
    struct ut_csv c;
    struct ut_csv_row row;

    ut_csv_init(&c, text, strlen(text), 0);
    T_EQ_I64(ut_csv_next_row(&c, &row, NULL), 1);
    T_EQ_SIZE(row.n, 3);
    T_EQ_SIZE(row.line, 1);
    T_TRUE(row.fields[1].ptr == text + 2);
    T_EQ_SIZE(row.fields[1].len, 2);
    T_EQ_SIZE(row.fields[0].col, 1);
    T_EQ_SIZE(row.fields[1].col, 3);
    T_EQ_SIZE(row.fields[2].col, 6);
    T_EQ_I64(ut_csv_next_row(&c, &row, NULL), 1);
    T_EQ_SIZE(row.n, 3);
    T_EQ_SIZE(row.line, 2);
    T_EQ_SIZE(row.fields[1].len, 0);
    T_EQ_I64(ut_csv_next_row(&c, &row, NULL), 0);
    T_EQ_I64(ut_csv_next_row(&c, &row, NULL), 0);
    ut_csv_release(&c);
}

TEST(quoting)
{
    char out[512];
    struct ut_diag d;

    T_EQ_I64(dumps("\"a,b\",\"x\"\"y\"\"\",\"\",\"\"\"\"\n", 0, out, sizeof(out), &d), 0);
    T_EQ_STR(out, "L1:a,b|x\"y\"||\"");
    T_EQ_I64(dumps("\"multi\nline\",z\nnext,\"2\"\r\nlast", 0, out, sizeof(out), &d), 0);
    T_EQ_STR(out, "L1:multi\nline|z/L3:next|2/L4:last");
    T_EQ_I64(dumps("\"a\r\nb\"\r\n", 0, out, sizeof(out), &d), 0);
    T_EQ_STR(out, "L1:a\r\nb");
    /* Two escaped fields in one row: both resolved into scratch. */
    T_EQ_I64(dumps("\"1\"\"\",\"2\"\"\",\"plain\"\n", 0, out, sizeof(out), &d), 0);
    T_EQ_STR(out, "L1:1\"|2\"|plain");
}

TEST(line_ends_and_blank_lines)
{
    char out[512];
    struct ut_diag d;

    T_EQ_I64(dumps("a,b\r\n\r\n\n1,2\r\n\n", 0, out, sizeof(out), &d), 0);
    T_EQ_STR(out, "L1:a|b/L4:1|2");
    T_EQ_I64(dumps("a\rb,c\r", 0, out, sizeof(out), &d), 0);
    T_EQ_STR(out, "L1:a\rb|c");
    T_EQ_I64(dumps("x,\n,\n", 0, out, sizeof(out), &d), 0);
    T_EQ_STR(out, "L1:x|/L2:|");
    T_EQ_I64(dumps(" \n", 0, out, sizeof(out), &d), 0);
    T_EQ_STR(out, "L1: ");
    T_EQ_I64(dumps("", 0, out, sizeof(out), &d), 0);
    T_EQ_STR(out, "");
    T_EQ_I64(dumps("\r", 0, out, sizeof(out), &d), 0);
    T_EQ_STR(out, "");
}

TEST(bom_is_skipped)
{
    const char *text = "\xef\xbb\xbfh1;h2\nv;\"w\"\n";
    struct ut_csv c;
    struct ut_csv_row row;

    T_EQ_I64(ut_csv_detect_sep(text, strlen(text)), ';');
    ut_csv_init(&c, text, strlen(text), 0);
    T_EQ_I64(ut_csv_next_row(&c, &row, NULL), 1);
    T_EQ_MEM(row.fields[0].ptr, row.fields[0].len, "h1", 2);
    T_EQ_SIZE(row.fields[0].col, 1);
    T_EQ_SIZE(row.fields[1].col, 4);
    ut_csv_release(&c);
}

TEST(separator_detection)
{
    static const struct {
        const char *head;
        char sep;
    } cases[] = {
        {"a,b,c\n", ','},  {"a;b;c\n", ';'},    {"a\tb\tc\n", '\t'},    {"abc\n", ','},
        {"", ','},         {"a;b,c;d\n", ';'},  {"\"x,y,z\";b\n", ';'}, {"a,b\nc;d;e;f\n", ','},
        {"a\tb;c\n", ';'}, {"a,b;c\td\n", ','}, {"a;b\tc\td\n", '\t'},  {"\"a\n,,,\";b\n", ';'},
    };

    for (size_t i = 0; i < UT_ARRAY_LEN(cases); i++) {
        char got = ut_csv_detect_sep(cases[i].head, strlen(cases[i].head));

        if (got != cases[i].sep) {
            t_fail(__FILE__, __LINE__, "case %zu: got '%c'", i, got);
            return;
        }
    }
}

TEST(explicit_separator)
{
    char out[256];
    struct ut_diag d;

    T_EQ_I64(dumps("a;b,c\n1;2,3\n", ',', out, sizeof(out), &d), 0);
    T_EQ_STR(out, "L1:a;b|c/L2:1;2|3");
    T_EQ_I64(dumps("a|b\n", '|', out, sizeof(out), &d), 0);
    T_EQ_STR(out, "L1:a|b");
    /* A separator that cannot separate: detected instead. */
    T_EQ_I64(dumps("a;b\n", '"', out, sizeof(out), &d), 0);
    T_EQ_STR(out, "L1:a|b");
}

TEST(errors_with_positions)
{
    static const struct {
        const char *text;
        int err;
        size_t line, col;
        const char *msg;
    } cases[] = {
        {"a,b\n1,\"open\n\n", UT_EPARSE, 2, 3, "unterminated quoted field"},
        {"\"", UT_EPARSE, 1, 1, "unterminated quoted field"},
        {"a,b\nxy\"z,1\n", UT_EPARSE, 2, 3, "unexpected quote in unquoted field"},
        {"a,b\n1,2\"\n", UT_EPARSE, 2, 4, "unexpected quote"},
        {"a,b\n\"q\"x,1\n", UT_EPARSE, 2, 4, "unexpected character after closing quote"},
        {"\"multi\nline\" ,b\n", UT_EPARSE, 2, 6, "unexpected character after closing quote"},
        {"\"a\"\r,b\n", UT_EPARSE, 1, 4, "unexpected character after closing quote"},
        {"\"x\nx\nx\",\"bad\nbad\" \n", UT_EPARSE, 4, 5, "after closing quote"},
    };

    for (size_t i = 0; i < UT_ARRAY_LEN(cases); i++) {
        char out[256];
        struct ut_diag d;
        int rc = dumps(cases[i].text, 0, out, sizeof(out), &d);

        if (rc != cases[i].err || d.line != cases[i].line || d.col != cases[i].col ||
            strstr(d.msg, cases[i].msg) == NULL) {
            t_fail(__FILE__, __LINE__, "case %zu: rc %d at %zu:%zu '%s'", i, rc, d.line, d.col,
                   d.msg);
            return;
        }
    }
}

TEST(limits)
{
    size_t big = UT_CSV_FIELD_MAX + 10, len = 0;
    char *text = ut_malloc(big + 16);
    char out[64];
    struct ut_diag d;

    T_NOTNULL(text);
    /* An unquoted field one byte over the cap. */
    memset(text, 'x', UT_CSV_FIELD_MAX + 1);
    text[UT_CSV_FIELD_MAX + 1] = '\n';
    if (dump(text, UT_CSV_FIELD_MAX + 2, ',', out, sizeof(out), &d) != UT_ELIMIT) {
        ut_free(text);
        T_TRUE(0);
    }
    /* Exactly at the cap is fine. */
    if (dump(text, UT_CSV_FIELD_MAX, ',', out, 1, &d) != 0) {
        ut_free(text);
        T_TRUE(0);
    }
    /* A quoted field over the cap. */
    text[0] = '"';
    text[UT_CSV_FIELD_MAX + 2] = '"';
    if (dump(text, UT_CSV_FIELD_MAX + 3, ',', out, sizeof(out), &d) != UT_ELIMIT) {
        ut_free(text);
        T_TRUE(0);
    }
    /* Too many fields: 4097 commas make 4098 fields. */
    memset(text, ',', UT_CSV_FIELDS_MAX + 1);
    len = UT_CSV_FIELDS_MAX + 1;
    if (dump(text, len, ',', out, sizeof(out), &d) != UT_ELIMIT) {
        ut_free(text);
        T_TRUE(0);
    }
    /* 4096 fields are fine. */
    if (dump(text, len - 2, ',', out, 1, &d) != 0) {
        ut_free(text);
        T_TRUE(0);
    }
    ut_free(text);
}

/* Many escaped fields in one row force the scratch space to move. */
TEST(scratch_growth)
{
    char text[8192];
    size_t n = 0;
    struct ut_csv c;
    struct ut_csv_row row;

    for (int i = 0; i < 100; i++) {
        n += (size_t)snprintf(text + n, sizeof(text) - n, "%s\"f%03d \"\"q\"\" %s\"",
                              i != 0 ? "," : "", i, "padding-padding-padding");
    }
    ut_csv_init(&c, text, n, ',');
    T_EQ_I64(ut_csv_next_row(&c, &row, NULL), 1);
    T_EQ_SIZE(row.n, 100);
    for (size_t i = 0; i < row.n; i++) {
        char want[64];
        int wl = snprintf(want, sizeof(want), "f%03zu \"q\" padding-padding-padding", i);

        if (row.fields[i].len != (size_t)wl || memcmp(row.fields[i].ptr, want, (size_t)wl) != 0) {
            ut_csv_release(&c);
            T_TRUE(0);
        }
    }
    ut_csv_release(&c);
}

T_LIST(T_CASE(simple_rows_are_views), T_CASE(quoting), T_CASE(line_ends_and_blank_lines),
       T_CASE(bom_is_skipped), T_CASE(separator_detection), T_CASE(explicit_separator),
       T_CASE(errors_with_positions), T_CASE(limits), T_CASE(scratch_growth))
T_MAIN()
