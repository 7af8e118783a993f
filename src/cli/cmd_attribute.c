/*
 * cli/cmd_attribute.c - `utmost attribute`: run attribution models over a path
 * file (ChannelAttribution's format), over touch and conversion event files,
 * or over what a server collected in a data directory (--data: touches,
 * persons and conversions derived from the stored events), and print credit
 * per channel as csv, json or a table. Models run in parallel on the
 * available cores; the whole result is built before anything is printed.
 */
#include "util/setup.h"

#include <getopt.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/derive_input.h"
#include "cli/format.h"
#include "ingest/csv_input.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/diag.h"
#include "util/num.h"
#include "util/timeparse.h"
#include "utmost/utmost.h"

#define ATTR_MAX_MODELS 32
#define ATTR_OUT_MAX ((size_t)1 << 30)
/* Threads running models at once, the calling thread included. */
#define ATTR_THREADS_MAX 8

struct attr_args {
    const char *paths, *touches, *conversions, *by, *models;
    const char *data, *workspace; /* data-directory input */
    double from, to;              /* conversions with from <= T < to (data input) */
    int has_from, has_to;
    enum ut_derive_dim dim; /* --by of data input */
    char sep;
    struct ut_model_opts opts;
    double lookback;
    int format; /* enum cli_format, -1 = by terminal */
};

struct attr_run {
    const struct ut_journeys *j;
    const struct ut_model_opts *opts;
    const char *names[ATTR_MAX_MODELS];
    size_t order[ATTR_MAX_MODELS]; /* the order the models start in: slowest first */
    struct ut_credits credits[ATTR_MAX_MODELS];
    int errs[ATTR_MAX_MODELS];
    struct ut_diag diags[ATTR_MAX_MODELS];
    size_t n;
    atomic_size_t next;
};

static const char attr_usage[] =
    "utmost attribute --paths FILE [--sep C] --model LIST [--order K] [--no-null]\n"
    "                        [--transform exposure|unique|first|frequency] [--position P,Q]\n"
    "                        [--format csv|json|table]\n"
    "       utmost attribute --touches FILE --conversions FILE --model LIST [--lookback DUR]\n"
    "                        [--half-life DUR] [--by COLUMN] [--order K]\n"
    "                        [--format csv|json|table]\n"
    "       utmost attribute --data DIR --workspace W [--from D] [--to D] --model LIST\n"
    "                        [--lookback DUR] [--half-life DUR]\n"
    "                        [--by channel|source|medium|campaign|content|term|link|partner]\n"
    "                        [--order K] [--format csv|json|table]";

static int attr_run_cmd(int argc, char **argv);

const struct cli_cmd cli_cmd_attribute = {
    "attribute",
    attr_usage,
    "credit conversions to channels with one or more attribution models",
    attr_run_cmd,
};

/* ---- options ------------------------------------------------------------------- */

static int
parse_sep(const char *s, char *sep)
{
    if (strcmp(s, "tab") == 0 || strcmp(s, "\\t") == 0 || strcmp(s, "\t") == 0) {
        *sep = '\t';
    } else if (strcmp(s, ",") == 0 || strcmp(s, ";") == 0 || strcmp(s, "|") == 0) {
        *sep = s[0];
    } else {
        return -1;
    }
    return 0;
}

static int
parse_position(const char *s, struct ut_model_opts *o)
{
    const char *comma = strchr(s, ',');
    double p, q;

    if (comma == NULL || ut_parse_double(s, (size_t)(comma - s), &p) != UT_OK ||
        ut_parse_double(comma + 1, strlen(comma + 1), &q) != UT_OK) {
        return -1;
    }
    if (!(p >= 0 && q >= 0 && p + q <= 100)) {
        return -1;
    }
    o->position_first = p;
    o->position_last = q;
    return 0;
}

static int
parse_transform(const char *s, enum ut_transform *t)
{
    static const char *const names[] = {"exposure", "unique", "first", "frequency"};

    for (size_t i = 0; i < UT_ARRAY_LEN(names); i++) {
        if (strcmp(s, names[i]) == 0) {
            *t = (enum ut_transform)i;
            return 0;
        }
    }
    return -1;
}

enum {
    OPT_PATHS = 256,
    OPT_TOUCHES,
    OPT_CONVERSIONS,
    OPT_SEP,
    OPT_MODEL,
    OPT_ORDER,
    OPT_NO_NULL,
    OPT_TRANSFORM,
    OPT_POSITION,
    OPT_FORMAT,
    OPT_LOOKBACK,
    OPT_HALF_LIFE,
    OPT_BY,
    OPT_DATA,
    OPT_WORKSPACE,
    OPT_FROM,
    OPT_TO,
    OPT_HELP
};

static const struct option attr_longopts[] = {
    {"paths", required_argument, NULL, OPT_PATHS},
    {"touches", required_argument, NULL, OPT_TOUCHES},
    {"conversions", required_argument, NULL, OPT_CONVERSIONS},
    {"sep", required_argument, NULL, OPT_SEP},
    {"model", required_argument, NULL, OPT_MODEL},
    {"models", required_argument, NULL, OPT_MODEL},
    {"order", required_argument, NULL, OPT_ORDER},
    {"no-null", no_argument, NULL, OPT_NO_NULL},
    {"transform", required_argument, NULL, OPT_TRANSFORM},
    {"position", required_argument, NULL, OPT_POSITION},
    {"format", required_argument, NULL, OPT_FORMAT},
    {"lookback", required_argument, NULL, OPT_LOOKBACK},
    {"half-life", required_argument, NULL, OPT_HALF_LIFE},
    {"by", required_argument, NULL, OPT_BY},
    {"data", required_argument, NULL, OPT_DATA},
    {"workspace", required_argument, NULL, OPT_WORKSPACE},
    {"from", required_argument, NULL, OPT_FROM},
    {"to", required_argument, NULL, OPT_TO},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

/* One option; returns 0, 1 for --help, or EX_USAGE after printing. */
static int
apply_option(struct attr_args *a, int c, const char *arg)
{
    const struct cli_cmd *cmd = &cli_cmd_attribute;
    int64_t k;

    switch (c) {
    case OPT_PATHS:
        a->paths = arg;
        break;
    case OPT_TOUCHES:
        a->touches = arg;
        break;
    case OPT_CONVERSIONS:
        a->conversions = arg;
        break;
    case OPT_SEP:
        if (parse_sep(arg, &a->sep) != 0) {
            return cli_usage_error(cmd, "invalid --sep '%s' (use ',', ';' or tab)", arg);
        }
        break;
    case OPT_MODEL:
        a->models = arg;
        break;
    case OPT_ORDER:
        if (ut_parse_i64(arg, strlen(arg), &k) != UT_OK || k < 1 || k > 4) {
            return cli_usage_error(cmd, "invalid --order '%s' (must be 1 to 4)", arg);
        }
        a->opts.order = (unsigned)k;
        break;
    case OPT_NO_NULL:
        a->opts.no_null = 1;
        break;
    case OPT_TRANSFORM:
        if (parse_transform(arg, &a->opts.transform) != 0) {
            return cli_usage_error(cmd, "unknown --transform '%s'", arg);
        }
        break;
    case OPT_POSITION:
        if (parse_position(arg, &a->opts) != 0) {
            return cli_usage_error(cmd, "invalid --position '%s' (P,Q with P+Q <= 100)", arg);
        }
        break;
    case OPT_FORMAT:
        a->format = cli_format_parse(arg);
        if (a->format < 0) {
            return cli_usage_error(cmd, "unknown --format '%s'", arg);
        }
        break;
    case OPT_LOOKBACK:
        if (ut_parse_duration(arg, strlen(arg), &a->lookback) != UT_OK) {
            return cli_usage_error(cmd, "invalid --lookback '%s' (e.g. 90s, 15m, 12h, 30d)",
                                   arg);
        }
        break;
    case OPT_HALF_LIFE:
        if (ut_parse_duration(arg, strlen(arg), &a->opts.half_life) != UT_OK ||
            a->opts.half_life <= 0) {
            return cli_usage_error(cmd, "invalid --half-life '%s' (e.g. 12h, 7d)", arg);
        }
        break;
    case OPT_BY:
        a->by = arg;
        break;
    case OPT_DATA:
        a->data = arg;
        break;
    case OPT_WORKSPACE:
        a->workspace = arg;
        break;
    case OPT_FROM:
    case OPT_TO:
        if (cli_parse_when(arg, c == OPT_FROM ? &a->from : &a->to) != 0) {
            return cli_usage_error(cmd, "invalid --%s '%s' (YYYY-MM-DD or an ISO-8601 time)",
                                   c == OPT_FROM ? "from" : "to", arg);
        }
        *(c == OPT_FROM ? &a->has_from : &a->has_to) = 1;
        break;
    case OPT_HELP:
        printf("usage: %s\n", attr_usage);
        return 1;
    default:
        return cli_usage_error(cmd, "unknown option");
    }
    return 0;
}

/* Exactly one input: --paths, --touches with --conversions, or --data with --workspace. */
static int
check_inputs(struct attr_args *a)
{
    const struct cli_cmd *cmd = &cli_cmd_attribute;
    int events = a->touches != NULL || a->conversions != NULL;

    if ((a->paths != NULL) + events + (a->data != NULL) != 1) {
        return cli_usage_error(
            cmd, "give one of --paths, --touches and --conversions, or --data and --workspace");
    }
    if (events && (a->touches == NULL || a->conversions == NULL)) {
        return cli_usage_error(cmd, "event input needs both --touches and --conversions");
    }
    if (a->paths != NULL && a->by != NULL) {
        return cli_usage_error(cmd, "--by needs event input (--touches, --conversions)");
    }
    if ((a->workspace != NULL || a->has_from || a->has_to) && a->data == NULL) {
        return cli_usage_error(cmd, "--workspace, --from and --to need --data");
    }
    if (a->data == NULL) {
        return 0;
    }
    if (a->workspace == NULL) {
        return cli_usage_error(cmd, "--data needs --workspace");
    }
    if (a->by != NULL && ut_derive_dim_parse(a->by, &a->dim) != 0) {
        return cli_usage_error(cmd,
                               "unknown --by '%s' (channel, source, medium, campaign, content, "
                               "term, link or partner)",
                               a->by);
    }
    if (a->has_from && a->has_to && !(a->from < a->to)) {
        return cli_usage_error(cmd, "--from must be before --to");
    }
    return 0;
}

static int
parse_args(struct attr_args *a, int argc, char **argv)
{
    const struct cli_cmd *cmd = &cli_cmd_attribute;
    static const struct ut_model_opts defaults = UT_MODEL_OPTS_INIT;
    int c, rc;

    memset(a, 0, sizeof(*a));
    a->opts = defaults;
    a->lookback = 30 * 86400.0;
    a->format = -1;
    a->dim = UT_DIM_CHANNEL;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":", attr_longopts, NULL)) != -1) {
        int r;

        if (c == '?' || c == ':') {
            return cli_option_error(cmd, c, argv[optind - 1]);
        }
        r = apply_option(a, c, optarg);
        if (r != 0) {
            return r;
        }
    }
    if (optind < argc) {
        return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
    }
    if (a->models == NULL) {
        return cli_usage_error(cmd, "--model is required");
    }
    rc = check_inputs(a);
    if (rc != 0) {
        return rc;
    }
    if (a->format < 0) {
        a->format = isatty(STDOUT_FILENO) ? CLI_FORMAT_TABLE : CLI_FORMAT_CSV;
    }
    return 0;
}

/* Append model mi to run->names; EX_USAGE (printed) when it cannot take it. */
static int
add_model(struct attr_run *run, const struct ut_model_info *mi, int timed)
{
    const struct cli_cmd *cmd = &cli_cmd_attribute;

    if ((mi->flags & UT_MODEL_TIMED) != 0 && !timed) {
        return cli_usage_error(cmd, "model '%s' needs event input (--touches, --conversions)",
                               mi->name);
    }
    if (run->n == ATTR_MAX_MODELS) {
        return cli_usage_error(cmd, "too many models");
    }
    run->names[run->n++] = mi->name;
    return 0;
}

/* Every model that applies to the input, in the canonical order. */
static int
add_all_models(struct attr_run *run, int timed)
{
    for (size_t i = 0; i < ut_model_count(); i++) {
        const struct ut_model_info *mi = ut_model_at(i);

        if ((mi->flags & UT_MODEL_TIMED) == 0 || timed) {
            int rc = add_model(run, mi, timed);

            if (rc != 0) {
                return rc;
            }
        }
    }
    return 0;
}

/* Expand the --model list into run->names; EX_USAGE on an unknown or unfit model. */
static int
resolve_models(struct attr_run *run, const char *list, int timed)
{
    const struct cli_cmd *cmd = &cli_cmd_attribute;
    const char *p = list;

    run->n = 0;
    while (p != NULL && *p != '\0') {
        size_t len = strcspn(p, ",");
        const struct ut_model_info *mi;
        char name[64];
        int rc;

        if (len == 0 || len >= sizeof(name)) {
            return cli_usage_error(cmd, "invalid --model list '%s'", list);
        }
        memcpy(name, p, len);
        name[len] = '\0';
        p += len + (p[len] == ',');
        mi = ut_model_find(name);
        if (strcmp(name, "all") == 0) {
            rc = add_all_models(run, timed);
        } else if (mi == NULL) {
            rc = cli_usage_error(cmd, "unknown model '%s'", name);
        } else {
            rc = add_model(run, mi, timed);
        }
        if (rc != 0) {
            return rc;
        }
    }
    if (run->n == 0) {
        return cli_usage_error(cmd, "--model names no model");
    }
    return 0;
}

/* ---- loading ------------------------------------------------------------------- */

static int
data_error(const char *path, int err, const struct ut_diag *d)
{
    if (err == UT_ENOMEM) {
        cli_error("%s: out of memory", path);
        return EX_OSERR;
    }
    cli_error("%s:%zu:%zu: %s", path, d->line != 0 ? d->line : 1, d->col != 0 ? d->col : 1,
              d->msg[0] != '\0' ? d->msg : ut_strerror(err));
    return EX_DATAERR;
}

static int
load_paths(struct ut_journeys *j, const struct attr_args *a)
{
    struct cli_file f;
    struct ut_diag d;
    int rc, err;

    rc = cli_file_open(&f, a->paths);
    if (rc != 0) {
        return rc;
    }
    ut_diag_clear(&d);
    err = ut_ingest_paths_csv(j, f.data, f.len, a->sep, &d);
    cli_file_close(&f);
    return err == UT_OK ? 0 : data_error(a->paths, err, &d);
}

static int
load_events(struct ut_journeys *j, const struct attr_args *a)
{
    struct ut_event_input in;
    struct cli_file ft, fc;
    struct ut_diag d;
    int rc, err;

    rc = cli_file_open(&ft, a->touches);
    if (rc != 0) {
        return rc;
    }
    rc = cli_file_open(&fc, a->conversions);
    if (rc != 0) {
        cli_file_close(&ft);
        return rc;
    }
    ut_event_input_init(&in);
    ut_diag_clear(&d);
    err = ut_ingest_touches_csv(&in, j, ft.data, ft.len, a->sep, a->by, &d);
    if (err != UT_OK) {
        rc = data_error(a->touches, err, &d);
        goto out;
    }
    err = ut_ingest_conversions_csv(&in, fc.data, fc.len, a->sep, &d);
    if (err != UT_OK) {
        rc = data_error(a->conversions, err, &d);
        goto out;
    }
    err = ut_journeys_add_events(j, in.touches, in.ntouches, in.convs, in.nconvs, a->lookback,
                                 &d);
    if (err != UT_OK) {
        rc = data_error(a->touches, err, &d);
    }
out:
    ut_event_input_release(&in);
    cli_file_close(&fc);
    cli_file_close(&ft);
    return rc;
}

/*
 * Journeys from a data directory: conversions in [from, to), touches from
 * from - lookback (ut_journeys_add_events applies the lookback per conversion).
 */
static int
load_data(struct ut_journeys *j, const struct attr_args *a)
{
    struct ut_derive_opts o = UT_DERIVE_OPTS_INIT;
    struct ut_store *s = NULL;
    struct ut_derive *d = NULL;
    struct ut_diag diag;
    int64_t ws;
    int rc, err;

    rc = cli_store_open(a->data, a->workspace, &s, &ws);
    if (rc != 0) {
        return rc;
    }
    o.conv_from = a->has_from ? a->from : -HUGE_VAL;
    o.conv_to = a->has_to ? a->to : HUGE_VAL;
    o.touch_from = o.conv_from - a->lookback;
    rc = cli_derive_load(s, ws, &o, &d);
    ut_store_ops(s)->close(s);
    if (rc != 0) {
        return rc;
    }
    ut_diag_clear(&diag);
    err = ut_derive_add_journeys(d, j, a->dim, a->lookback, &diag);
    ut_derive_free(d);
    if (err != UT_OK) {
        cli_error("cannot build journeys: %s", diag.msg[0] != '\0' ? diag.msg : ut_strerror(err));
        return err == UT_ENOMEM ? EX_OSERR : EX_SOFTWARE;
    }
    return 0;
}

/* ---- running the models ----------------------------------------------------------- */

/*
 * Rough cost rank of a model (higher runs first): starting the slowest models
 * first keeps both cores busy to the end instead of leaving one model alone.
 */
static int
model_cost(const char *name)
{
    static const char *const slow[] = {"time_decay", "shapley", "markov", "fractribution"};

    for (size_t i = 0; i < UT_ARRAY_LEN(slow); i++) {
        if (strcmp(name, slow[i]) == 0) {
            return (int)i + 1;
        }
    }
    return 0;
}

/* run->order: model indices by falling cost, ties in the order given (a stable insertion sort). */
static void
schedule_models(struct attr_run *run)
{
    for (size_t i = 0; i < run->n; i++) {
        size_t k = i;

        while (k > 0 && model_cost(run->names[run->order[k - 1]]) < model_cost(run->names[i])) {
            run->order[k] = run->order[k - 1];
            k--;
        }
        run->order[k] = i;
    }
}

static void *
attr_worker(void *arg)
{
    struct attr_run *run = arg;
    size_t i;

    while ((i = atomic_fetch_add(&run->next, 1)) < run->n) {
        size_t m = run->order[i];

        run->errs[m] = ut_attribute(run->j, run->names[m], run->opts, &run->credits[m],
                                    &run->diags[m]);
    }
    return NULL;
}

static int
run_models(struct attr_run *run)
{
    pthread_t threads[ATTR_THREADS_MAX];
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    size_t nthreads = 1, started = 0;

    /* One thread per online CPU, but no more than ATTR_THREADS_MAX or than models. */
    if (ncpu > 1) {
        nthreads = (size_t)ncpu;
    }
    if (nthreads > ATTR_THREADS_MAX) {
        nthreads = ATTR_THREADS_MAX;
    }
    if (nthreads > run->n) {
        nthreads = run->n;
    }
    schedule_models(run);
    atomic_store(&run->next, 0);
    for (size_t t = 1; t < nthreads; t++) {
        if (pthread_create(&threads[started], NULL, attr_worker, run) != 0) {
            break;
        }
        started++;
    }
    (void)attr_worker(run);
    for (size_t t = 0; t < started; t++) {
        pthread_join(threads[t], NULL);
    }
    for (size_t i = 0; i < run->n; i++) {
        if (run->errs[i] != UT_OK) {
            cli_error("model '%s': %s", run->names[i],
                      run->diags[i].msg[0] != '\0' ? run->diags[i].msg
                                                   : ut_strerror(run->errs[i]));
            return run->errs[i] == UT_EINVAL ? EX_USAGE : EX_SOFTWARE;
        }
    }
    return 0;
}

static int
attr_run_cmd(int argc, char **argv)
{
    struct attr_args a;
    struct attr_run *run = NULL;
    struct ut_journeys *j = NULL;
    struct ut_buf out = UT_BUF_INIT(ATTR_OUT_MAX);
    int rc;

    rc = parse_args(&a, argc, argv);
    if (rc != 0) {
        return rc == 1 ? 0 : rc;
    }
    run = ut_calloc(1, sizeof(*run));
    if (run == NULL || ut_journeys_new(&j) != UT_OK) {
        cli_error("out of memory");
        rc = EX_OSERR;
        goto out;
    }
    rc = resolve_models(run, a.models, a.paths == NULL);
    if (rc != 0) {
        goto out;
    }
    if (a.data != NULL) {
        rc = load_data(j, &a);
    } else {
        rc = a.paths != NULL ? load_paths(j, &a) : load_events(j, &a);
    }
    if (rc != 0) {
        goto out;
    }
    run->j = j;
    run->opts = &a.opts;
    rc = run_models(run);
    if (rc != 0) {
        goto out;
    }
    cli_format_credits(&out, (enum cli_format)a.format, a.by != NULL ? a.by : "channel", j,
                       run->names, run->credits, run->n);
    if (ut_buf_err(&out) != UT_OK) {
        cli_error("cannot format output: %s", ut_strerror(ut_buf_err(&out)));
        rc = EX_SOFTWARE;
        goto out;
    }
    rc = cli_write_stdout(out.ptr, out.len);
out:
    if (run != NULL) {
        for (size_t i = 0; i < run->n; i++) {
            ut_credits_release(&run->credits[i]);
        }
    }
    ut_free(run);
    ut_journeys_free(j);
    ut_buf_release(&out);
    return rc;
}
