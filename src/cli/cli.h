/*
 * cli/cli.h - the command table entry and helpers shared by the cmd_*.c
 * files. Only the CLI prints and exits; it speaks to the library through the
 * public API (include/utmost/) and the ingest decoders.
 */
#ifndef UT_CLI_CLI_H
#define UT_CLI_CLI_H

#include <stddef.h>
#include <sysexits.h>

#include "util/setup.h"

struct cli_cmd {
    const char *name;
    const char *usage;   /* man-page style synopsis, printed on usage errors */
    const char *summary; /* one line for `utmost help` */
    int (*run)(int argc, char **argv);
};

extern const struct cli_cmd cli_cmd_attribute;
extern const struct cli_cmd cli_cmd_journeys;
extern const struct cli_cmd cli_cmd_serve;
extern const struct cli_cmd cli_cmd_workspace;
extern const struct cli_cmd cli_cmd_key;
extern const struct cli_cmd cli_cmd_link;

/* Print "utmost: <message>" on stderr. */
void cli_error(const char *fmt, ...) UT_PRINTF(1, 2);
/* Print "utmost <cmd>: <message>" as one line on stderr; returns EX_USAGE. */
int cli_usage_error(const struct cli_cmd *cmd, const char *fmt, ...) UT_PRINTF(2, 3);
/*
 * cli_usage_error for the option opt that getopt_long (optstring ":") refused
 * with c: ':' for a missing argument, anything else for an unknown option.
 */
int cli_option_error(const struct cli_cmd *cmd, int c, const char *opt);

struct ut_store;

/*
 * Open the store in data for writing, creating it when missing. Returns 0
 * with *s (close with ut_store_ops(*s)->close), or prints why and returns
 * EX_UNAVAILABLE.
 */
int cli_store_open_rw(const char *data, struct ut_store **s);

/* A whole input file in memory (mapped read-only when possible). */
struct cli_file {
    const char *path;
    const char *data;
    size_t len;
    void *map;      /* mmap base or NULL */
    size_t map_len; /* mapping length */
    char *heap;     /* heap copy when the file could not be mapped (pipes) */
};

/*
 * Open and map path ("-" reads standard input). Returns 0, or prints
 * "cannot open 'PATH': reason" and returns EX_NOINPUT.
 */
int cli_file_open(struct cli_file *f, const char *path);
void cli_file_close(struct cli_file *f);

/* Write all of data to standard output; EX_IOERR (after printing) on failure. */
int cli_write_stdout(const char *data, size_t len);

#endif /* UT_CLI_CLI_H */
