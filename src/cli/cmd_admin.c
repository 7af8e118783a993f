/*
 * cli/cmd_admin.c - `utmost workspace create` and `utmost key create|revoke`:
 * manage workspaces and keys in a data directory, also while a server runs on
 * it (the server re-reads keys within a few seconds). For scripting, the new
 * workspace id or key is the only thing printed on stdout.
 */
#include "util/setup.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "server/srv.h"
#include "util/buf.h"

static int workspace_run(int argc, char **argv);
static int key_run(int argc, char **argv);

const struct cli_cmd cli_cmd_workspace = {
    "workspace",
    "utmost workspace create NAME [--data DIR]\n"
    "       utmost workspace set W --conversion-events NAME[,NAME...] [--data DIR]",
    "create a workspace or change its settings",
    workspace_run,
};

/* Most conversion event names, and bytes per name. */
#define ADMIN_MAX_CONVERSION_NAMES 64
#define ADMIN_MAX_NAME 200

const struct cli_cmd cli_cmd_key = {
    "key",
    "utmost key create --workspace W --kind write|read|admin [--data DIR]\n"
    "       utmost key revoke KEY [--data DIR]",
    "create or revoke API keys",
    key_run,
};

struct admin_args {
    const char *data, *workspace, *kind, *conversion_events;
    int help;
};

/*
 * Options shared by the admin commands, after the verb argv[1]; returns the
 * index in argv of the first operand, or -1 after a usage error.
 */
static int
admin_parse(const struct cli_cmd *cmd, int argc, char **argv, struct admin_args *a)
{
    static const struct option longopts[] = {
        {"data", required_argument, NULL, 'd'},
        {"workspace", required_argument, NULL, 'w'},
        {"kind", required_argument, NULL, 'k'},
        {"conversion-events", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;

    memset(a, 0, sizeof(*a));
    a->data = "./utmost-data";
    opterr = 0;
    optind = 1;
    argc--; /* getopt sees the verb as its program name, so operands may follow options */
    argv++;
    while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
        if (c == 'd') {
            a->data = optarg;
        } else if (c == 'w') {
            a->workspace = optarg;
        } else if (c == 'k') {
            a->kind = optarg;
        } else if (c == 'c') {
            a->conversion_events = optarg;
        } else if (c == 'h') {
            a->help = 1;
        } else {
            (void)cli_option_error(cmd, c, argv[optind - 1]);
            return -1;
        }
    }
    return optind + 1;
}

/*
 * The --conversion-events list "A,B" as a JSON array of trimmed names into out;
 * -1 for an empty name, too many names or a name with control characters.
 */
static int
conversion_names_json(const char *list, struct ut_buf *out)
{
    const char *p = list;
    size_t n = 0;

    ut_buf_addch(out, '[');
    while (*p != '\0') {
        size_t len = strcspn(p, ",");
        const char *e = p + len;
        const char *b = p;

        while (b < e && *b == ' ') {
            b++;
        }
        while (e > b && e[-1] == ' ') {
            e--;
        }
        if (b == e || (size_t)(e - b) > ADMIN_MAX_NAME || ++n > ADMIN_MAX_CONVERSION_NAMES) {
            return -1;
        }
        ut_buf_addstr(out, n > 1 ? ",\"" : "\"");
        for (const char *q = b; q < e; q++) {
            if ((unsigned char)*q < 0x20) {
                return -1;
            }
            if (*q == '"' || *q == '\\') {
                ut_buf_addch(out, '\\');
            }
            ut_buf_addch(out, *q);
        }
        ut_buf_addch(out, '"');
        p += len + (p[len] == ',');
    }
    ut_buf_addch(out, ']');
    return n == 0 || ut_buf_err(out) != UT_OK ? -1 : 0;
}

static int
workspace_set(const struct admin_args *a, const char *w)
{
    struct ut_buf json = UT_BUF_INIT(64 * 1024);
    struct ut_store *s;
    int64_t ws;
    int rc, err;

    if (a->conversion_events == NULL) {
        return cli_usage_error(&cli_cmd_workspace, "workspace set needs --conversion-events");
    }
    if (conversion_names_json(a->conversion_events, &json) != 0) {
        ut_buf_release(&json);
        return cli_usage_error(&cli_cmd_workspace,
                               "--conversion-events takes 1 to %d names of 1 to %d bytes",
                               ADMIN_MAX_CONVERSION_NAMES, ADMIN_MAX_NAME);
    }
    rc = cli_store_open_rw(a->data, &s);
    if (rc != 0) {
        ut_buf_release(&json);
        return rc;
    }
    err = srv_workspace_resolve(s, w, &ws);
    if (err == UT_OK) {
        err = ut_store_ops(s)->workspace_setting_set(s, ws, "conversion_events", json.ptr);
    }
    if (err == UT_ENOTFOUND) {
        cli_error("no workspace '%s'", w);
        rc = EX_DATAERR;
    } else if (err != UT_OK) {
        cli_error("cannot change workspace '%s': %s", w, ut_store_ops(s)->errmsg(s));
        rc = EX_UNAVAILABLE;
    }
    ut_store_ops(s)->close(s);
    ut_buf_release(&json);
    return rc;
}

static int
workspace_run(int argc, char **argv)
{
    const struct cli_cmd *cmd = &cli_cmd_workspace;
    struct admin_args a;
    struct ut_store *s;
    int64_t id;
    int idx, rc, err;

    if (argc < 2 || (strcmp(argv[1], "create") != 0 && strcmp(argv[1], "set") != 0)) {
        return cli_usage_error(cmd, "expected 'create' or 'set'");
    }
    idx = admin_parse(cmd, argc, argv, &a);
    if (idx < 0) {
        return EX_USAGE;
    }
    if (a.help) {
        printf("usage: %s\n", cmd->usage);
        return 0;
    }
    if (strcmp(argv[1], "set") == 0) {
        if (idx != argc - 1) {
            return cli_usage_error(cmd, "expected one workspace W");
        }
        return workspace_set(&a, argv[idx]);
    }
    if (idx != argc - 1 || argv[idx][0] == '\0' || strlen(argv[idx]) > 200) {
        return cli_usage_error(cmd, "expected one workspace NAME (1 to 200 bytes)");
    }
    rc = cli_store_open_rw(a.data, &s);
    if (rc != 0) {
        return rc;
    }
    err = ut_store_ops(s)->workspace_create(s, argv[idx], srv_now(), &id);
    if (err == UT_ECONFLICT) {
        cli_error("workspace '%s' already exists", argv[idx]);
        rc = EX_DATAERR;
    } else if (err != UT_OK) {
        cli_error("cannot create workspace: %s", ut_store_ops(s)->errmsg(s));
        rc = EX_UNAVAILABLE;
    } else {
        printf("%lld\n", (long long)id);
    }
    ut_store_ops(s)->close(s);
    return rc;
}

static int
key_kind(const char *s, enum ut_key_kind *kind)
{
    static const char *const names[] = {"write", "read", "admin"};

    for (size_t i = 0; i < UT_ARRAY_LEN(names); i++) {
        if (s != NULL && strcmp(s, names[i]) == 0) {
            *kind = (enum ut_key_kind)(i + 1);
            return 0;
        }
    }
    return -1;
}

static int
key_create(const struct admin_args *a, struct ut_store *s)
{
    enum ut_key_kind kind;
    int64_t ws;
    char key[64];
    int err;

    if (key_kind(a->kind, &kind) != 0) {
        return cli_usage_error(&cli_cmd_key, "--kind must be write, read or admin");
    }
    err = srv_workspace_resolve(s, a->workspace, &ws);
    if (err == UT_ENOTFOUND) {
        cli_error("no workspace '%s'", a->workspace);
        return EX_DATAERR;
    }
    if (err == UT_OK) {
        err = srv_key_create(s, ws, kind, key, sizeof(key));
    }
    if (err != UT_OK) {
        cli_error("cannot create key: %s", ut_store_ops(s)->errmsg(s));
        return EX_UNAVAILABLE;
    }
    printf("%s\n", key);
    return 0;
}

static int
key_revoke(const char *key, struct ut_store *s)
{
    unsigned char hash[32];
    int err;

    srv_key_hash(key, strlen(key), hash);
    err = ut_store_ops(s)->key_revoke(s, hash, srv_now());
    if (err == UT_ENOTFOUND) {
        cli_error("no such key");
        return EX_DATAERR;
    }
    if (err != UT_OK) {
        cli_error("cannot revoke key: %s", ut_store_ops(s)->errmsg(s));
        return EX_UNAVAILABLE;
    }
    return 0;
}

static int
key_run(int argc, char **argv)
{
    const struct cli_cmd *cmd = &cli_cmd_key;
    struct admin_args a;
    struct ut_store *s;
    int idx, rc, create;

    if (argc < 2 || (strcmp(argv[1], "create") != 0 && strcmp(argv[1], "revoke") != 0)) {
        return cli_usage_error(cmd, "expected 'create' or 'revoke'");
    }
    create = strcmp(argv[1], "create") == 0;
    idx = admin_parse(cmd, argc, argv, &a);
    if (idx < 0) {
        return EX_USAGE;
    }
    if (a.help) {
        printf("usage: %s\n", cmd->usage);
        return 0;
    }
    if (create && (a.workspace == NULL || idx != argc)) {
        return cli_usage_error(cmd, "key create needs --workspace and --kind");
    }
    if (!create && idx != argc - 1) {
        return cli_usage_error(cmd, "key revoke needs one KEY");
    }
    rc = cli_store_open_rw(a.data, &s);
    if (rc != 0) {
        return rc;
    }
    rc = create ? key_create(&a, s) : key_revoke(argv[idx], s);
    ut_store_ops(s)->close(s);
    return rc;
}
