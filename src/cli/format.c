/*
 * cli/format.c - csv, json and table output of attribution credits.
 * Channels are listed in byte order of their names; every requested model
 * lists every channel, zero credit included.
 */
#include "util/setup.h"

#include "cli/format.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/json.h"

int
cli_format_parse(const char *s)
{
    if (strcmp(s, "csv") == 0) {
        return CLI_FORMAT_CSV;
    }
    if (strcmp(s, "json") == 0) {
        return CLI_FORMAT_JSON;
    }
    if (strcmp(s, "table") == 0) {
        return CLI_FORMAT_TABLE;
    }
    return -1;
}

void
cli_number(struct ut_buf *out, double v)
{
    if (v == 0 || !isfinite(v)) {
        ut_buf_addch(out, '0'); /* also turns -0 into 0 */
        return;
    }
    ut_buf_addf(out, "%.15g", v);
}

void
cli_csv_field(struct ut_buf *out, const char *s, size_t len)
{
    if (strcspn(s, ",\"\r\n") >= len && (len == 0 || (s[0] != ' ' && s[len - 1] != ' '))) {
        ut_buf_add(out, s, len);
        return;
    }
    ut_buf_addch(out, '"');
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '"') {
            ut_buf_addch(out, '"');
        }
        ut_buf_addch(out, s[i]);
    }
    ut_buf_addch(out, '"');
}

/* ---- channel order -------------------------------------------------------- */

static const struct ut_journeys *sort_set;

static int
cmp_channel(const void *a, const void *b)
{
    size_t la, lb;
    const char *sa = ut_journeys_channel_name(sort_set, *(const uint32_t *)a, &la);
    const char *sb = ut_journeys_channel_name(sort_set, *(const uint32_t *)b, &lb);
    int c = memcmp(sa, sb, la < lb ? la : lb);

    if (c != 0) {
        return c;
    }
    return la < lb ? -1 : la > lb;
}

/* Channel ids in byte order of their names; NULL when out of memory. */
static uint32_t *
sorted_channels(const struct ut_journeys *j, size_t *n)
{
    uint32_t *ids;

    *n = ut_journeys_channel_count(j);
    ids = ut_calloc(*n, sizeof(*ids));
    if (ids == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < *n; i++) {
        ids[i] = (uint32_t)i;
    }
    sort_set = j; /* the CLI is single-threaded here */
    qsort(ids, *n, sizeof(*ids), cmp_channel);
    sort_set = NULL;
    return ids;
}

/* ---- the three formats ------------------------------------------------------ */

static void
format_csv(struct ut_buf *out, const char *dim, const struct ut_journeys *j,
           const uint32_t *ids, size_t nch, const char *const *names,
           const struct ut_credits *credits, size_t nmodels)
{
    ut_buf_addf(out, "model,");
    cli_csv_field(out, dim, strlen(dim));
    ut_buf_addstr(out, ",conversions,value\n");
    for (size_t m = 0; m < nmodels; m++) {
        for (size_t k = 0; k < nch; k++) {
            size_t len;
            const char *name = ut_journeys_channel_name(j, ids[k], &len);

            ut_buf_addstr(out, names[m]);
            ut_buf_addch(out, ',');
            cli_csv_field(out, name, len);
            ut_buf_addch(out, ',');
            cli_number(out, credits[m].conversions[ids[k]]);
            ut_buf_addch(out, ',');
            cli_number(out, credits[m].value[ids[k]]);
            ut_buf_addch(out, '\n');
        }
    }
}

static void
format_json(struct ut_buf *out, const char *dim, const struct ut_journeys *j,
            const uint32_t *ids, size_t nch, const char *const *names,
            const struct ut_credits *credits, size_t nmodels)
{
    int other_dim = strcmp(dim, "channel") != 0;

    ut_buf_addstr(out, "{\"by\":");
    ut_json_string(out, dim, strlen(dim));
    ut_buf_addstr(out, ",\"models\":[");
    for (size_t m = 0; m < nmodels; m++) {
        ut_buf_addstr(out, m != 0 ? ",{\"model\":" : "{\"model\":");
        ut_json_string(out, names[m], strlen(names[m]));
        ut_buf_addstr(out, ",\"rows\":[");
        for (size_t k = 0; k < nch; k++) {
            size_t len;
            const char *name = ut_journeys_channel_name(j, ids[k], &len);

            ut_buf_addstr(out, k != 0 ? ",{\"channel\":" : "{\"channel\":");
            ut_json_string(out, name, len);
            if (other_dim) {
                /* the dimension also under its own name, as the csv header has it */
                ut_buf_addch(out, ',');
                ut_json_string(out, dim, strlen(dim));
                ut_buf_addch(out, ':');
                ut_json_string(out, name, len);
            }
            ut_buf_addstr(out, ",\"conversions\":");
            cli_number(out, credits[m].conversions[ids[k]]);
            ut_buf_addstr(out, ",\"value\":");
            cli_number(out, credits[m].value[ids[k]]);
            ut_buf_addch(out, '}');
        }
        ut_buf_addstr(out, "]}");
    }
    ut_buf_addstr(out, "],\"totals\":{\"conversions\":");
    cli_number(out, ut_journeys_total_conversions(j));
    ut_buf_addstr(out, ",\"value\":");
    cli_number(out, ut_journeys_total_value(j));
    ut_buf_addstr(out, "}}\n");
}

static size_t
num_width(double v)
{
    char tmp[64];
    int n = snprintf(tmp, sizeof(tmp), "%.10g", v == 0 ? 0.0 : v);

    return n > 0 ? (size_t)n : 1;
}

static void
pad(struct ut_buf *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        ut_buf_addch(out, ' ');
    }
}

static void
format_table(struct ut_buf *out, const char *dim, const struct ut_journeys *j,
             const uint32_t *ids, size_t nch, const char *const *names,
             const struct ut_credits *credits, size_t nmodels)
{
    size_t wm = 5, wc = strlen(dim), wn = 11, wv = 5;

    for (size_t m = 0; m < nmodels; m++) {
        wm = strlen(names[m]) > wm ? strlen(names[m]) : wm;
        for (size_t k = 0; k < nch; k++) {
            size_t len;

            (void)ut_journeys_channel_name(j, ids[k], &len);
            wc = len > wc ? len : wc;
            wn = num_width(credits[m].conversions[ids[k]]) > wn
                     ? num_width(credits[m].conversions[ids[k]])
                     : wn;
            wv = num_width(credits[m].value[ids[k]]) > wv ? num_width(credits[m].value[ids[k]])
                                                          : wv;
        }
    }
    ut_buf_addf(out, "%-*s  %-*s  %*s  %*s\n", (int)wm, "model", (int)wc, dim, (int)wn,
                "conversions", (int)wv, "value");
    for (size_t m = 0; m < nmodels; m++) {
        for (size_t k = 0; k < nch; k++) {
            size_t len;
            const char *name = ut_journeys_channel_name(j, ids[k], &len);
            double c = credits[m].conversions[ids[k]], v = credits[m].value[ids[k]];

            ut_buf_addf(out, "%-*s  ", (int)wm, names[m]);
            ut_buf_add(out, name, len);
            pad(out, wc - len + 2);
            ut_buf_addf(out, "%*.10g  %*.10g\n", (int)wn, c == 0 ? 0.0 : c, (int)wv,
                        v == 0 ? 0.0 : v);
        }
    }
}

void
cli_format_credits(struct ut_buf *out, enum cli_format fmt, const char *dim,
                   const struct ut_journeys *j, const char *const *names,
                   const struct ut_credits *credits, size_t nmodels)
{
    size_t nch;
    uint32_t *ids = sorted_channels(j, &nch);

    if (ids == NULL) {
        out->err = UT_ENOMEM;
        return;
    }
    switch (fmt) {
    case CLI_FORMAT_JSON:
        format_json(out, dim, j, ids, nch, names, credits, nmodels);
        break;
    case CLI_FORMAT_TABLE:
        format_table(out, dim, j, ids, nch, names, credits, nmodels);
        break;
    case CLI_FORMAT_CSV:
    default:
        format_csv(out, dim, j, ids, nch, names, credits, nmodels);
        break;
    }
    ut_free(ids);
}
