/*
 * cli/cmd_channel.c - `utmost channel --url URL [--referrer URL]`: run the
 * touch classifier (core/channel.h) on one visit and print one JSON object
 * on standard output. It reads no files and keeps no state; a malformed URL
 * exits 65 (EX_DATAERR) with the parser's message and column.
 */
#include "util/setup.h"

#include "cli/cmd_channel.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/format.h"
#include "core/channel.h"
#include "util/buf.h"
#include "util/diag.h"
#include "util/json.h"
#include "util/url.h"
#include "utmost/common.h"

/* Decoded strings never exceed the inputs: two URLs and a host, plus NULs. */
#define CHAN_SCRATCH_MAX ((size_t)4 * UT_URL_MAX)
#define CHAN_OUT_MAX ((size_t)1 << 20)

static const char chan_usage[] = "utmost channel --url URL [--referrer URL]";

static int chan_run(int argc, char **argv);

const struct cli_cmd cli_cmd_channel = {
    "channel",
    chan_usage,
    "classify a landing URL and referrer into source, medium and channel group",
    chan_run,
};

enum { OPT_URL = 256, OPT_REFERRER, OPT_HELP };

static const struct option chan_longopts[] = {
    {"url", required_argument, NULL, OPT_URL},
    {"referrer", required_argument, NULL, OPT_REFERRER},
    {"referer", required_argument, NULL, OPT_REFERRER},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

/* Options into *url / *ref; 0, 1 for --help (usage printed), or EX_USAGE after printing. */
static int
chan_parse_args(int argc, char **argv, const char **url, const char **ref)
{
    const struct cli_cmd *cmd = &cli_cmd_channel;
    int c;

    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":", chan_longopts, NULL)) != -1) {
        if (c == OPT_URL) {
            *url = optarg;
        } else if (c == OPT_REFERRER) {
            *ref = optarg;
        } else if (c == OPT_HELP) {
            printf("usage: %s\n", chan_usage);
            return 1;
        } else {
            return cli_option_error(cmd, c, argv[optind - 1]);
        }
    }
    if (optind < argc) {
        (void)cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
        return EX_USAGE;
    }
    if (*url == NULL || **url == '\0') {
        (void)cli_usage_error(cmd, "--url is required");
        return EX_USAGE;
    }
    return 0;
}

/* ,"key":"value" or ,"key":null for an absent string. */
static void
chan_field(struct ut_buf *out, const char *key, struct ut_touch_str s)
{
    ut_buf_addf(out, ",\"%s\":", key);
    if (s.ptr == NULL) {
        ut_buf_addstr(out, "null");
    } else {
        ut_json_string(out, s.ptr, s.len);
    }
}

static void
chan_format(struct ut_buf *out, const struct ut_touch_info *t)
{
    const char *click = ut_click_id_name(t->click_id);
    struct ut_touch_str click_str = {click, click != NULL ? strlen(click) : 0};

    ut_buf_addstr(out, "{\"channel\":");
    ut_json_string(out, ut_channel_group_name(t->channel),
                   strlen(ut_channel_group_name(t->channel)));
    chan_field(out, "source", t->source);
    chan_field(out, "medium", t->medium);
    chan_field(out, "campaign", t->campaign);
    chan_field(out, "content", t->content);
    chan_field(out, "term", t->term);
    chan_field(out, "click_id", click_str);
    chan_field(out, "referrer_host", t->referrer_host);
    ut_buf_addf(out, ",\"internal_referrer\":%s,\"touch\":%s}\n",
                t->internal_referrer ? "true" : "false", t->is_touch ? "true" : "false");
}

/* "invalid --url 'VALUE': reason (byte N)"; EX_DATAERR, or EX_OSERR when out of memory. */
static int
chan_report_error(int err, const struct ut_diag *d, const char *url, const char *ref)
{
    bool is_ref = strcmp(d->field, "referrer") == 0;
    const char *msg = d->msg[0] != '\0' ? d->msg : ut_strerror(err);

    if (err == UT_ENOMEM) {
        cli_error("out of memory");
        return EX_OSERR;
    }
    if (d->col != 0) {
        cli_error("invalid --%s '%s': %s (byte %zu)", is_ref ? "referrer" : "url",
                  is_ref ? ref : url, msg, d->col);
    } else {
        cli_error("invalid --%s '%s': %s", is_ref ? "referrer" : "url", is_ref ? ref : url, msg);
    }
    return EX_DATAERR;
}

static int
chan_run(int argc, char **argv)
{
    const char *url = NULL, *ref = NULL;
    struct ut_buf scratch = UT_BUF_INIT(CHAN_SCRATCH_MAX), out = UT_BUF_INIT(CHAN_OUT_MAX);
    struct ut_touch_info t;
    struct ut_diag d;
    int rc, err;

    rc = chan_parse_args(argc, argv, &url, &ref);
    if (rc != 0) {
        return rc == 1 ? 0 : rc;
    }
    if (url == NULL) {
        return cli_usage_error(&cli_cmd_channel, "--url is required");
    }
    ut_diag_clear(&d);
    err =
        ut_channel_classify(url, strlen(url), ref, ref != NULL ? strlen(ref) : 0, &t, &scratch, &d);
    if (err != UT_OK) {
        rc = chan_report_error(err, &d, url, ref);
        goto out;
    }
    chan_format(&out, &t);
    if (ut_buf_err(&out) != UT_OK) {
        cli_error("out of memory");
        rc = EX_OSERR;
        goto out;
    }
    rc = cli_write_stdout(out.ptr, out.len);
out:
    ut_buf_release(&out);
    ut_buf_release(&scratch);
    return rc;
}
