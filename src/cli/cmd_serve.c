/*
 * cli/cmd_serve.c - `utmost serve`: start the collection server on the data
 * directory (created with a default workspace and keys on first start).
 */
#include "util/setup.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "server/server.h"
#include "server/srv.h"
#include "util/num.h"

static int serve_run(int argc, char **argv);

const struct cli_cmd cli_cmd_serve = {
    "serve",
    "utmost serve [--listen ADDR:PORT] [--data DIR] [--rate-limit N] [--max-connections N]\n"
    "                    [--max-connections-per-ip N] [--threads N] [--timeout SECONDS]",
    "run the collection server (Segment API, links, pixel)",
    serve_run,
};

static int
parse_uint(const char *s, unsigned max, unsigned *out)
{
    int64_t v;

    if (ut_parse_i64(s, strlen(s), &v) != UT_OK || v < 0 || v > (int64_t)max) {
        return -1;
    }
    *out = (unsigned)v;
    return 0;
}

static int
serve_option(struct srv_config *cfg, int c, const char *arg)
{
    const struct cli_cmd *cmd = &cli_cmd_serve;
    double rate;

    switch (c) {
    case 'l':
        cfg->listen = arg;
        return 0;
    case 'd':
        cfg->data = arg;
        return 0;
    case 'r':
        if (ut_parse_double(arg, strlen(arg), &rate) != UT_OK || rate < 0) {
            return cli_usage_error(cmd, "invalid --rate-limit '%s'", arg);
        }
        cfg->rate_limit = rate;
        return 0;
    case 'c':
        return parse_uint(arg, 1000000, &cfg->max_conns) == 0 && cfg->max_conns > 0
                   ? 0
                   : cli_usage_error(cmd, "invalid --max-connections '%s'", arg);
    case 'i':
        return parse_uint(arg, 1000000, &cfg->max_conns_ip) == 0 && cfg->max_conns_ip > 0
                   ? 0
                   : cli_usage_error(cmd, "invalid --max-connections-per-ip '%s'", arg);
    case 't':
        return parse_uint(arg, 256, &cfg->threads) == 0
                   ? 0
                   : cli_usage_error(cmd, "invalid --threads '%s'", arg);
    case 'T':
        return parse_uint(arg, 3600, &cfg->timeout) == 0 && cfg->timeout > 0
                   ? 0
                   : cli_usage_error(cmd, "invalid --timeout '%s'", arg);
    case 'h':
        printf("usage: %s\n", cmd->usage);
        return 1;
    default:
        return cli_usage_error(cmd, "unknown option");
    }
}

static int
serve_run(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"listen", required_argument, NULL, 'l'},
        {"data", required_argument, NULL, 'd'},
        {"rate-limit", required_argument, NULL, 'r'},
        {"max-connections", required_argument, NULL, 'c'},
        {"max-connections-per-ip", required_argument, NULL, 'i'},
        {"threads", required_argument, NULL, 't'},
        {"timeout", required_argument, NULL, 'T'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct srv_config cfg = SRV_CONFIG_INIT;
    int c;

    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
        int r;

        if (c == '?' || c == ':') {
            return cli_option_error(&cli_cmd_serve, c, argv[optind - 1]);
        }
        r = serve_option(&cfg, c, optarg);
        if (r != 0) {
            return r == 1 ? 0 : r;
        }
    }
    if (optind < argc) {
        return cli_usage_error(&cli_cmd_serve, "unexpected argument '%s'", argv[optind]);
    }
    if (srv_bootstrap(cfg.data, stderr) != UT_OK) {
        return EX_UNAVAILABLE;
    }
    return srv_run(&cfg);
}
