/*
 * tests/harness/t_journeys.c - path journeys, peer files and golden CSVs for
 * the model tests (contract in t_journeys.h).
 */
#include "util/setup.h"

#include "t_journeys.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/csv_input.h"
#include "t.h"
#include "util/alloc.h"

/* Fields of a golden CSV line kept at most. */
#define T_MAX_FIELDS 8

int
t_add_path_n(struct ut_journeys *j, const char *p, size_t len, double conv, double nulls,
             double value)
{
    struct ut_touch t[T_PATH_MAX_TOUCHES];
    const char *end = p + len;
    size_t n = 0;

    while (p < end) {
        const char *e = memchr(p, '>', (size_t)(end - p));
        const char *a = p, *b = e != NULL ? e : end;
        int err;

        while (a < b && *a == ' ') {
            a++;
        }
        while (b > a && b[-1] == ' ') {
            b--;
        }
        if (n == T_PATH_MAX_TOUCHES) {
            return UT_ELIMIT;
        }
        memset(&t[n], 0, sizeof(t[n]));
        err = ut_journeys_intern(j, a, (size_t)(b - a), &t[n].channel);
        if (err != UT_OK) {
            return err;
        }
        n++;
        p = e != NULL ? e + 1 : end;
    }
    return ut_journeys_add(j, t, n, 0, conv, nulls, value);
}

int
t_add_path(struct ut_journeys *j, const char *path, double conv, double nulls, double value)
{
    return t_add_path_n(j, path, strlen(path), conv, nulls, value);
}

uint32_t
t_channel_id(const struct ut_journeys *j, const char *name)
{
    for (uint32_t i = 0; i < ut_journeys_channel_count(j); i++) {
        if (strcmp(ut_journeys_channel_name(j, i, NULL), name) == 0) {
            return i;
        }
    }
    return UINT32_MAX;
}

/*
 * The snowplow summary names its columns transformed_path, conversions,
 * non_conversions, revenue: rewrite that header into ChannelAttribution's names
 * (a new buffer replaces *data). Other files are left alone.
 */
static int
rename_snowplow_header(char **data, size_t *len)
{
    static const char snow[] = "transformed_path,conversions,non_conversions,revenue";
    static const char ca[] = "path,total_conversions,total_null,total_conversion_value";
    size_t old = sizeof(snow) - 1, neu = sizeof(ca) - 1;
    char *copy;

    if (*len < old || memcmp(*data, snow, old) != 0) {
        return UT_OK;
    }
    copy = ut_malloc(*len - old + neu + 1);
    if (copy == NULL) {
        return UT_ENOMEM;
    }
    memcpy(copy, ca, neu);
    memcpy(copy + neu, *data + old, *len - old + 1);
    ut_free(*data);
    *data = copy;
    *len = *len - old + neu;
    return UT_OK;
}

int
t_load_peers(const char *file, struct ut_journeys **out)
{
    struct ut_journeys *j = NULL;
    size_t len = 0;
    char *data = t_read_file(t_path(t_peers_dir, file), &len);
    int err;

    if (data == NULL) {
        return UT_EIO;
    }
    err = rename_snowplow_header(&data, &len);
    if (err == UT_OK) {
        err = ut_journeys_new(&j);
    }
    if (err == UT_OK) {
        err = ut_ingest_paths_csv(j, data, len, 0, NULL);
    }
    ut_free(data);
    if (err != UT_OK) {
        ut_journeys_free(j);
        return err;
    }
    *out = j;
    return UT_OK;
}

/* ---- golden files ------------------------------------------------------------ */

/* Split line (NUL-terminated, modified) at ',' into at most T_MAX_FIELDS fields. */
static size_t
split(char *line, char **f)
{
    size_t n = 0;

    f[n++] = line;
    for (char *p = line; *p != '\0'; p++) {
        if (*p == ',' && n < T_MAX_FIELDS) {
            *p = '\0';
            f[n++] = p + 1;
        } else if (*p == '\r') {
            *p = '\0';
        }
    }
    return n;
}

/* Index of column name among the n header fields h, or -1. */
static int
column(char **h, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(h[i], name) == 0) {
            return (int)i;
        }
    }
    return -1;
}

/* Cut the next line off *cur (NUL-terminating it in place); NULL at the end. */
static char *
next_line(char **cur)
{
    char *line = *cur, *nl;

    if (*line == '\0') {
        return NULL;
    }
    nl = strchr(line, '\n');
    if (nl != NULL) {
        *nl = '\0';
        *cur = nl + 1;
    } else {
        *cur = line + strlen(line);
    }
    return line;
}

static void
copy_field(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);

    n = n < cap - 1 ? n : cap - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* Parse a golden CSV (header first) into rows; returns the count, 0 on error. */
static size_t
parse_expected(char *data, struct t_exp_row *rows, size_t max)
{
    char *h[T_MAX_FIELDS], *f[T_MAX_FIELDS], *cur = data;
    char *line = next_line(&cur);
    size_t nh, n = 0;
    int cm, ct, cc, ccr, cv;

    if (line == NULL) {
        return 0;
    }
    nh = split(line, h);
    cm = column(h, nh, "model");
    ct = column(h, nh, "transform");
    cc = column(h, nh, "channel");
    ccr = column(h, nh, "credit");
    cv = column(h, nh, "value_credit");
    if (cm < 0 || cc < 0 || ccr < 0) {
        return 0;
    }
    for (line = next_line(&cur); line != NULL && n < max; line = next_line(&cur)) {
        if (split(line, f) != nh) {
            continue;
        }
        copy_field(rows[n].model, sizeof(rows[n].model), f[cm]);
        copy_field(rows[n].tf, sizeof(rows[n].tf), ct >= 0 ? f[ct] : "");
        copy_field(rows[n].channel, sizeof(rows[n].channel), f[cc]);
        rows[n].credit = strtod(f[ccr], NULL);
        rows[n].value = cv >= 0 ? strtod(f[cv], NULL) : (double)NAN;
        n++;
    }
    return n;
}

size_t
t_load_expected(const char *dataset, const char *file, struct t_exp_row *rows, size_t max)
{
    char rel[256];
    char *data;
    size_t n;

    snprintf(rel, sizeof(rel), "expected/%s/%s", dataset, file);
    data = t_read_file(t_path(t_peers_dir, rel), NULL);
    if (data == NULL) {
        return 0;
    }
    n = parse_expected(data, rows, max);
    ut_free(data);
    return n;
}

int
t_close_enough(double got, double want, double rel_tol, double *worst)
{
    double err = fabs(got - want);

    if (want != 0 && err / fabs(want) > *worst) {
        *worst = err / fabs(want);
    }
    return err <= rel_tol * fabs(want) + 1e-9;
}
