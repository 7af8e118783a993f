/*
 * cli/main.c - `utmost <command> [options]`: dispatch over the command table.
 * Exit codes follow sysexits(3): 64 usage, 65 bad data, 66 unreadable input,
 * 70 internal error, 74 I/O error.
 */
#include "util/setup.h"

#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cmd_channel.h"
#include "utmost/utmost.h"

static const struct cli_cmd *const commands[] = {
    &cli_cmd_serve,
    &cli_cmd_attribute,
    &cli_cmd_journeys,
    &cli_cmd_channel,
    &cli_cmd_workspace,
    &cli_cmd_key,
    &cli_cmd_link,
};

static void
print_help(FILE *out)
{
    fprintf(out, "usage: utmost <command> [options]\n\ncommands:\n");
    for (size_t i = 0; i < UT_ARRAY_LEN(commands); i++) {
        fprintf(out, "  %-12s %s\n", commands[i]->name, commands[i]->summary);
    }
    fprintf(out, "\n`utmost <command> --help` shows a command's options.\n");
}

int
main(int argc, char **argv)
{
    if (argc < 2) {
        print_help(stderr);
        return EX_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        print_help(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("utmost %s\n", UT_VERSION);
        return 0;
    }
    for (size_t i = 0; i < UT_ARRAY_LEN(commands); i++) {
        if (strcmp(argv[1], commands[i]->name) == 0) {
            return commands[i]->run(argc - 1, argv + 1);
        }
    }
    fprintf(stderr, "utmost: unknown command '%s'\n", argv[1]);
    print_help(stderr);
    return EX_USAGE;
}
