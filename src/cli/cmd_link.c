/*
 * cli/cmd_link.c - `utmost link create|list|delete`: tracking links in a data
 * directory, also while a server runs on it (the redirect reads links from
 * the database on every click). create prints the new link as JSON on
 * stdout, the same object the API answers; errors are one line on stderr
 * with exit 64 (usage) or 65 (a bad value, an unknown workspace, a taken slug).
 */
#include "util/setup.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "server/srv.h"

#define LINK_OUT_MAX ((size_t)64 << 20)

static int link_run(int argc, char **argv);

const struct cli_cmd cli_cmd_link = {
    "link",
    "utmost link create --workspace W --slug S --to URL [--utm-source S] [--utm-medium M]\n"
    "                        [--utm-campaign C] [--utm-content C] [--utm-term T] [--partner NAME]\n"
    "                        [--data DIR]\n"
    "       utmost link list --workspace W [--data DIR]\n"
    "       utmost link delete --workspace W --slug S [--data DIR]",
    "create, list and delete tracking links",
    link_run,
};

struct link_args {
    const char *data, *workspace;
    const char *slug, *to, *utm[5], *partner;
    int help;
};

/* JSON member names (srv_link_check's diag fields) and the options that set them. */
static const struct {
    const char *field, *option;
} option_names[] = {
    {"slug", "--slug"},
    {"destination", "--to"},
    {"utm_source", "--utm-source"},
    {"utm_medium", "--utm-medium"},
    {"utm_campaign", "--utm-campaign"},
    {"utm_content", "--utm-content"},
    {"utm_term", "--utm-term"},
    {"partner", "--partner"},
};

static const char *
option_for(const char *field)
{
    for (size_t i = 0; i < UT_ARRAY_LEN(option_names); i++) {
        if (strcmp(field, option_names[i].field) == 0) {
            return option_names[i].option;
        }
    }
    return field;
}

/* Options after the verb argv[1]; returns the index of the first operand or -1 (reported). */
static int
link_parse(int argc, char **argv, struct link_args *a)
{
    static const struct option longopts[] = {
        {"data", required_argument, NULL, 'd'},
        {"workspace", required_argument, NULL, 'w'},
        {"slug", required_argument, NULL, 's'},
        {"to", required_argument, NULL, 't'},
        {"utm-source", required_argument, NULL, '0'},
        {"utm-medium", required_argument, NULL, '1'},
        {"utm-campaign", required_argument, NULL, '2'},
        {"utm-content", required_argument, NULL, '3'},
        {"utm-term", required_argument, NULL, '4'},
        {"partner", required_argument, NULL, 'p'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;

    memset(a, 0, sizeof(*a));
    a->data = "./utmost-data";
    opterr = 0;
    optind = 1;
    argc--; /* getopt sees the verb as its program name */
    argv++;
    while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
        if (c == 'd') {
            a->data = optarg;
        } else if (c == 'w') {
            a->workspace = optarg;
        } else if (c == 's') {
            a->slug = optarg;
        } else if (c == 't') {
            a->to = optarg;
        } else if (c >= '0' && c <= '4') {
            a->utm[c - '0'] = optarg;
        } else if (c == 'p') {
            a->partner = optarg;
        } else if (c == 'h') {
            a->help = 1;
        } else {
            (void)cli_option_error(&cli_cmd_link, c, argv[optind - 1]);
            return -1;
        }
    }
    return optind + 1;
}

/* Workspace a->workspace in *ws, or an exit code after saying why. */
static int
resolve_workspace(struct ut_store *s, const char *w, int64_t *ws)
{
    int err = srv_workspace_resolve(s, w, ws);

    if (err == UT_ENOTFOUND) {
        cli_error("no workspace '%s'", w);
        return EX_DATAERR;
    }
    if (err != UT_OK) {
        cli_error("cannot read workspaces: %s", ut_store_ops(s)->errmsg(s));
        return EX_UNAVAILABLE;
    }
    return 0;
}

/* Print l as JSON and a newline, all at once. */
static int
print_link(const struct ut_link *l)
{
    struct ut_buf b = UT_BUF_INIT(LINK_OUT_MAX);
    int rc;

    srv_link_json(&b, l);
    ut_buf_addch(&b, '\n');
    if (ut_buf_err(&b) != UT_OK) {
        cli_error("cannot format the output: %s", ut_strerror(ut_buf_err(&b)));
        ut_buf_release(&b);
        return EX_SOFTWARE;
    }
    rc = cli_write_stdout(b.ptr, b.len);
    ut_buf_release(&b);
    return rc;
}

static struct ut_str
opt_str(const char *s)
{
    return s != NULL ? ut_str_cstr(s) : UT_STR_NULL;
}

static int
link_create(const struct link_args *a)
{
    struct ut_diag diag;
    struct ut_store *s;
    struct ut_link l;
    int rc, err;

    if (a->workspace == NULL || a->slug == NULL || a->to == NULL) {
        return cli_usage_error(&cli_cmd_link, "link create needs --workspace, --slug and --to");
    }
    memset(&l, 0, sizeof(l));
    l.slug = ut_str_cstr(a->slug);
    l.destination = ut_str_cstr(a->to);
    l.utm_source = opt_str(a->utm[0]);
    l.utm_medium = opt_str(a->utm[1]);
    l.utm_campaign = opt_str(a->utm[2]);
    l.utm_content = opt_str(a->utm[3]);
    l.utm_term = opt_str(a->utm[4]);
    l.partner = opt_str(a->partner);
    memset(&diag, 0, sizeof(diag));
    if (srv_link_check(&l, &diag) != UT_OK) {
        cli_error("invalid %s: %s", option_for(diag.field), diag.msg);
        return EX_DATAERR;
    }
    rc = cli_store_open_rw(a->data, &s);
    if (rc != 0) {
        return rc;
    }
    rc = resolve_workspace(s, a->workspace, &l.workspace_id);
    if (rc == 0) {
        l.created_at = srv_now();
        err = ut_store_ops(s)->link_create(s, &l, &l.id);
        if (err == UT_ECONFLICT) {
            cli_error("slug '%s' is already taken", a->slug);
            rc = EX_DATAERR;
        } else if (err != UT_OK) {
            cli_error("cannot create link: %s", ut_store_ops(s)->errmsg(s));
            rc = EX_UNAVAILABLE;
        }
    }
    if (rc == 0) {
        rc = print_link(&l);
    }
    ut_store_ops(s)->close(s);
    return rc;
}

struct list_ctx {
    struct ut_buf b;
    size_t n;
};

static int
list_one(void *ctx, const struct ut_link *l)
{
    struct list_ctx *c = ctx;

    ut_buf_addstr(&c->b, c->n++ > 0 ? "," : "");
    srv_link_json(&c->b, l);
    return ut_buf_err(&c->b) != UT_OK ? 1 : 0;
}

static int
link_list(const struct link_args *a)
{
    struct list_ctx ctx = {UT_BUF_INIT(LINK_OUT_MAX), 0};
    struct ut_store *s;
    int64_t ws;
    int rc, err;

    if (a->workspace == NULL) {
        return cli_usage_error(&cli_cmd_link, "link list needs --workspace");
    }
    rc = cli_store_open_rw(a->data, &s);
    if (rc != 0) {
        return rc;
    }
    rc = resolve_workspace(s, a->workspace, &ws);
    if (rc == 0) {
        ut_buf_addstr(&ctx.b, "{\"links\":[");
        err = ut_store_ops(s)->links_scan(s, ws, list_one, &ctx);
        ut_buf_addstr(&ctx.b, "]}\n");
        if (err != UT_OK && err != 1) {
            cli_error("cannot list links: %s", ut_store_ops(s)->errmsg(s));
            rc = EX_UNAVAILABLE;
        } else if (ut_buf_err(&ctx.b) != UT_OK) {
            cli_error("cannot format the output: %s", ut_strerror(ut_buf_err(&ctx.b)));
            rc = EX_SOFTWARE;
        } else {
            rc = cli_write_stdout(ctx.b.ptr, ctx.b.len);
        }
    }
    ut_store_ops(s)->close(s);
    ut_buf_release(&ctx.b);
    return rc;
}

/* A deleted link stops redirecting; its clicks stay and its slug is never reused. */
static int
link_delete(const struct link_args *a)
{
    struct ut_store *s;
    int64_t ws;
    int rc, err;

    if (a->workspace == NULL || a->slug == NULL) {
        return cli_usage_error(&cli_cmd_link, "link delete needs --workspace and --slug");
    }
    rc = cli_store_open_rw(a->data, &s);
    if (rc != 0) {
        return rc;
    }
    rc = resolve_workspace(s, a->workspace, &ws);
    if (rc == 0) {
        err = ut_store_ops(s)->link_delete(s, ws, a->slug);
        if (err == UT_ENOTFOUND) {
            cli_error("no link '%s' in workspace '%s'", a->slug, a->workspace);
            rc = EX_DATAERR;
        } else if (err != UT_OK) {
            cli_error("cannot delete link: %s", ut_store_ops(s)->errmsg(s));
            rc = EX_UNAVAILABLE;
        }
    }
    ut_store_ops(s)->close(s);
    return rc;
}

static int
link_run(int argc, char **argv)
{
    const struct cli_cmd *cmd = &cli_cmd_link;
    struct link_args a;
    int idx;

    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf("usage: %s\n", cmd->usage);
        return 0;
    }
    if (argc < 2 || (strcmp(argv[1], "create") != 0 && strcmp(argv[1], "list") != 0 &&
                     strcmp(argv[1], "delete") != 0)) {
        return cli_usage_error(cmd, "expected 'create', 'list' or 'delete'");
    }
    idx = link_parse(argc, argv, &a);
    if (idx < 0) {
        return EX_USAGE;
    }
    if (a.help) {
        printf("usage: %s\n", cmd->usage);
        return 0;
    }
    if (idx != argc) {
        return cli_usage_error(cmd, "unexpected argument '%s'", argv[idx]);
    }
    if (strcmp(argv[1], "delete") == 0) {
        return link_delete(&a);
    }
    return strcmp(argv[1], "create") == 0 ? link_create(&a) : link_list(&a);
}
