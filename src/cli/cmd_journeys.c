/*
 * cli/cmd_journeys.c - `utmost journeys`: show what the engine derives from a
 * workspace's stored events, per person: the identifiers stitched into it,
 * its touches (channel, source, medium, campaign, click id, link) and its
 * conversions. For people checking their tracking and for end-to-end tests.
 * Reads through a read-only store handle, so it works while a server runs.
 */
#include "util/setup.h"

#include <ctype.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/derive_input.h"
#include "cli/format.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/json.h"
#include "util/timeparse.h"

#define JRN_OUT_MAX ((size_t)1 << 30)
#define JRN_ID_MAX 4096

struct jrn_args {
    const char *data, *workspace, *person;
    int format; /* CLI_FORMAT_JSON or CLI_FORMAT_TABLE; -1 = by terminal */
};

static int jrn_run(int argc, char **argv);

const struct cli_cmd cli_cmd_journeys = {
    "journeys",
    "utmost journeys --data DIR --workspace W [--person ID] [--format json|table]",
    "show each person's identifiers, touches and conversions derived from stored events",
    jrn_run,
};

/* ---- options ---------------------------------------------------------------------------- */

static int
jrn_parse(struct jrn_args *a, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"data", required_argument, NULL, 'd'},   {"workspace", required_argument, NULL, 'w'},
        {"person", required_argument, NULL, 'p'}, {"format", required_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
    };
    const struct cli_cmd *cmd = &cli_cmd_journeys;
    int c;

    memset(a, 0, sizeof(*a));
    a->format = -1;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
        if (c == 'd') {
            a->data = optarg;
        } else if (c == 'w') {
            a->workspace = optarg;
        } else if (c == 'p') {
            a->person = optarg;
        } else if (c == 'f') {
            a->format = cli_format_parse(optarg);
            if (a->format != CLI_FORMAT_JSON && a->format != CLI_FORMAT_TABLE) {
                return cli_usage_error(cmd, "unknown --format '%s' (json or table)", optarg);
            }
        } else if (c == 'h') {
            printf("usage: %s\n", cmd->usage);
            return 1;
        } else {
            return cli_option_error(cmd, c, argv[optind - 1]);
        }
    }
    if (optind < argc) {
        return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
    }
    if (a->data == NULL || a->workspace == NULL) {
        return cli_usage_error(cmd, "--data and --workspace are required");
    }
    if (a->format < 0) {
        a->format = isatty(STDOUT_FILENO) ? CLI_FORMAT_TABLE : CLI_FORMAT_JSON;
    }
    return 0;
}

/*
 * The person holding identifier id: as given ("anon:abc", "user:42", ...),
 * an email with its address lowercased (as stored), or a bare user id.
 */
static int
find_person(const struct ut_derive *d, const char *id, uint32_t *p)
{
    size_t len = strlen(id);
    char buf[JRN_ID_MAX + 8];

    if (ut_derive_find_person(d, id, len, p) == UT_OK) {
        return 0;
    }
    if (len < JRN_ID_MAX && strncmp(id, "email:", 6) == 0) {
        for (size_t i = 0; i <= len; i++) {
            buf[i] = (char)tolower((unsigned char)id[i]);
        }
        if (ut_derive_find_person(d, buf, len, p) == UT_OK) {
            return 0;
        }
    }
    if (len < JRN_ID_MAX) {
        int n = snprintf(buf, sizeof(buf), "user:%s", id);

        if (n > 0 && (size_t)n < sizeof(buf) && ut_derive_find_person(d, buf, (size_t)n, p) == 0) {
            return 0;
        }
    }
    return -1;
}

/* ---- formatting helpers ----------------------------------------------------------------- */

/* "key": string or null. */
static void
json_field(struct ut_buf *out, const char *key, const char *v)
{
    ut_buf_addf(out, ",\"%s\":", key);
    if (v == NULL) {
        ut_buf_addstr(out, "null");
    } else {
        ut_json_string(out, v, strlen(v));
    }
}

/* ---- json ------------------------------------------------------------------------------- */

static void
json_touch(struct ut_buf *out, const struct ut_derive_touch *t)
{
    char when[40];

    (void)ut_format_timestamp(t->time, when, 0);
    ut_buf_addf(out, "{\"time\":\"%s\",\"event_id\":%lld", when, (long long)t->event_id);
    json_field(out, "type", ut_event_type_name(t->type));
    json_field(out, "channel", t->channel);
    json_field(out, "source", t->source);
    json_field(out, "medium", t->medium);
    json_field(out, "campaign", t->campaign);
    json_field(out, "content", t->content);
    json_field(out, "term", t->term);
    json_field(out, "click_id", t->click_id);
    json_field(out, "link", t->link);
    json_field(out, "partner", t->partner);
    ut_buf_addf(out, ",\"direct\":%s,\"session_start\":%s}",
                (t->flags & UT_TOUCH_DIRECT) != 0 ? "true" : "false",
                t->session_start ? "true" : "false");
}

static void
json_conversion(struct ut_buf *out, const struct ut_derive_conversion *c)
{
    char when[40];

    (void)ut_format_timestamp(c->time, when, 0);
    ut_buf_addf(out, "{\"time\":\"%s\",\"event_id\":%lld", when, (long long)c->event_id);
    json_field(out, "name", c->name);
    ut_buf_addstr(out, ",\"value\":");
    cli_number(out, c->value);
    if (c->has_revenue) {
        ut_buf_addf(out, ",\"revenue_minor\":%lld", (long long)c->revenue_minor);
    } else {
        ut_buf_addstr(out, ",\"revenue_minor\":null");
    }
    json_field(out, "currency", c->currency);
    ut_buf_addch(out, '}');
}

static void
json_person(struct ut_buf *out, const struct ut_derive_result *r, uint32_t p)
{
    ut_buf_addf(out, "{\"person\":%u,\"identifiers\":[", (unsigned)p);
    for (size_t k = r->ident_off[p]; k < r->ident_off[p + 1]; k++) {
        if (k != r->ident_off[p]) {
            ut_buf_addch(out, ',');
        }
        ut_json_string(out, r->idents[k].ptr, r->idents[k].len);
    }
    ut_buf_addstr(out, "],\"touches\":[");
    for (size_t k = r->touch_off[p]; k < r->touch_off[p + 1]; k++) {
        if (k != r->touch_off[p]) {
            ut_buf_addch(out, ',');
        }
        json_touch(out, &r->touches[r->touch_ix[k]]);
    }
    ut_buf_addstr(out, "],\"conversions\":[");
    for (size_t k = r->conv_off[p]; k < r->conv_off[p + 1]; k++) {
        if (k != r->conv_off[p]) {
            ut_buf_addch(out, ',');
        }
        json_conversion(out, &r->convs[r->conv_ix[k]]);
    }
    ut_buf_addstr(out, "]}");
}

/* ---- table ------------------------------------------------------------------------------ */

#define TBL_COLS 9

/* Rows of TBL_COLS cells, kept as NUL-separated text, printed with aligned columns. */
struct tbl {
    struct ut_buf text;
    size_t *cell; /* offsets into text */
    size_t n, cap;
};

static void
tbl_cell(struct tbl *t, const char *s)
{
    if (t->text.err != UT_OK) {
        return;
    }
    if (ut_grow((void **)&t->cell, &t->cap, t->n + 1, sizeof(*t->cell)) != UT_OK) {
        t->text.err = UT_ENOMEM;
        return;
    }
    t->cell[t->n++] = t->text.len;
    ut_buf_addstr(&t->text, s != NULL && s[0] != '\0' ? s : "-");
    ut_buf_addch(&t->text, '\0');
}

/* Display width: code points, not bytes (UTF-8 continuation bytes do not count). */
static size_t
width_of(const char *s)
{
    size_t w = 0;

    for (; *s != '\0'; s++) {
        w += ((unsigned char)*s & 0xc0) != 0x80;
    }
    return w;
}

static void
tbl_flush(struct tbl *t, struct ut_buf *out)
{
    size_t w[TBL_COLS] = {0};

    for (size_t i = 0; i < t->n && t->text.err == UT_OK; i++) {
        size_t cw = width_of(t->text.ptr + t->cell[i]);

        w[i % TBL_COLS] = cw > w[i % TBL_COLS] ? cw : w[i % TBL_COLS];
    }
    for (size_t i = 0; i < t->n && t->text.err == UT_OK; i++) {
        const char *s = t->text.ptr + t->cell[i];
        size_t col = i % TBL_COLS;

        ut_buf_addstr(out, "  "); /* indent, then the gap between columns */
        ut_buf_addstr(out, s);
        if (col == TBL_COLS - 1) {
            ut_buf_addch(out, '\n');
            continue;
        }
        for (size_t k = width_of(s); k < w[col]; k++) {
            ut_buf_addch(out, ' ');
        }
    }
    if (t->text.err != UT_OK && out->err == UT_OK) {
        out->err = t->text.err;
    }
    ut_buf_clear(&t->text);
    t->n = 0;
}

static void
table_person(struct ut_buf *out, struct tbl *t, const struct ut_derive_result *r, uint32_t p)
{
    static const char *const head[TBL_COLS] = {
        "time", "kind", "channel", "source", "medium", "campaign", "click_id", "link", "event"};
    char when[40], num[64];

    ut_buf_addf(out, "person %u:", (unsigned)p);
    for (size_t k = r->ident_off[p]; k < r->ident_off[p + 1]; k++) {
        ut_buf_addch(out, ' ');
        ut_buf_add(out, r->idents[k].ptr, r->idents[k].len);
    }
    ut_buf_addch(out, '\n');
    for (size_t i = 0; i < TBL_COLS; i++) {
        tbl_cell(t, head[i]);
    }
    for (size_t k = r->touch_off[p]; k < r->touch_off[p + 1]; k++) {
        const struct ut_derive_touch *x = &r->touches[r->touch_ix[k]];
        const char *cells[] = {when,        "touch",     x->channel, x->source, x->medium,
                               x->campaign, x->click_id, x->link,    num};

        (void)ut_format_timestamp(x->time, when, 0);
        (void)snprintf(num, sizeof(num), "%lld", (long long)x->event_id);
        for (size_t i = 0; i < TBL_COLS; i++) {
            tbl_cell(t, cells[i]);
        }
    }
    for (size_t k = r->conv_off[p]; k < r->conv_off[p + 1]; k++) {
        const struct ut_derive_conversion *c = &r->convs[r->conv_ix[k]];
        char value[64];
        const char *cells[] = {when, "conversion", c->name, value, NULL, NULL, NULL, NULL, num};

        (void)ut_format_timestamp(c->time, when, 0);
        (void)snprintf(value, sizeof(value), "%.15g %s", c->value,
                       c->currency != NULL ? c->currency : "");
        (void)snprintf(num, sizeof(num), "%lld", (long long)c->event_id);
        for (size_t i = 0; i < TBL_COLS; i++) {
            tbl_cell(t, cells[i]);
        }
    }
    tbl_flush(t, out);
}

/* ---- running ---------------------------------------------------------------------------- */

static void
format_persons(struct ut_buf *out, const struct jrn_args *a, const struct ut_derive_result *r,
               const uint32_t *only)
{
    struct tbl t = {UT_BUF_INIT(JRN_OUT_MAX), NULL, 0, 0};
    size_t first = only != NULL ? *only : 0, end = only != NULL ? *only + 1u : r->npersons;

    if (a->format == CLI_FORMAT_JSON) {
        ut_buf_addstr(out, "{\"workspace\":");
        ut_json_string(out, a->workspace, strlen(a->workspace));
        ut_buf_addstr(out, ",\"persons\":[");
    }
    for (size_t p = first; p < end; p++) {
        if (a->format == CLI_FORMAT_JSON) {
            if (p != first) {
                ut_buf_addch(out, ',');
            }
            json_person(out, r, (uint32_t)p);
        } else {
            if (p != first) {
                ut_buf_addch(out, '\n');
            }
            table_person(out, &t, r, (uint32_t)p);
        }
    }
    if (a->format == CLI_FORMAT_JSON) {
        ut_buf_addstr(out, "]}\n");
    }
    ut_buf_release(&t.text);
    ut_free(t.cell);
}

static int
jrn_run(int argc, char **argv)
{
    struct jrn_args a;
    struct ut_store *s = NULL;
    struct ut_derive *d = NULL;
    struct ut_buf out = UT_BUF_INIT(JRN_OUT_MAX);
    uint32_t person;
    int64_t ws;
    int rc;

    rc = jrn_parse(&a, argc, argv);
    if (rc != 0) {
        return rc == 1 ? 0 : rc;
    }
    rc = cli_store_open(a.data, a.workspace, &s, &ws);
    if (rc != 0) {
        return rc;
    }
    rc = cli_derive_load(s, ws, NULL, &d);
    ut_store_ops(s)->close(s);
    if (rc != 0) {
        return rc;
    }
    if (a.person != NULL && find_person(d, a.person, &person) != 0) {
        cli_error("unknown person '%s' in workspace '%s'", a.person, a.workspace);
        rc = EX_DATAERR;
        goto out;
    }
    format_persons(&out, &a, ut_derive_result(d), a.person != NULL ? &person : NULL);
    if (ut_buf_err(&out) != UT_OK) {
        cli_error("cannot format output: %s", ut_strerror(ut_buf_err(&out)));
        rc = EX_SOFTWARE;
        goto out;
    }
    rc = cli_write_stdout(out.ptr, out.len);
out:
    ut_derive_free(d);
    ut_buf_release(&out);
    return rc;
}
