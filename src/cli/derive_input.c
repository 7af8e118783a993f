/*
 * cli/derive_input.c - data-directory input for the commands that read what
 * the server collected (attribute --data, journeys): dates, the read-only
 * store handle, the workspace, and the derivation (store/derive_load.c).
 */
#include "util/setup.h"

#include "cli/derive_input.h"

#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "server/srv.h"
#include "store/derive_load.h"
#include "util/timeparse.h"

int
cli_parse_when(const char *s, double *out)
{
    size_t len = strlen(s);
    char full[32];

    /* a bare date is that day's UTC midnight; the timestamp parser checks the ranges */
    if (len == 10 && s[4] == '-' && s[7] == '-') {
        int n = snprintf(full, sizeof(full), "%sT00:00:00Z", s);

        if (n < 0 || (size_t)n >= sizeof(full)) {
            return -1;
        }
        s = full;
        len = (size_t)n;
    }
    return ut_parse_timestamp(s, len, out) == UT_OK ? 0 : -1;
}

/* An exit code for a failed store call, after printing what went wrong. */
static int
store_failure(const char *what, int err, const char *msg)
{
    cli_error("%s: %s", what, msg != NULL && msg[0] != '\0' ? msg : ut_strerror(err));
    return err == UT_ENOMEM ? EX_OSERR : EX_IOERR;
}

int
cli_store_open(const char *data, const char *w, struct ut_store **s, int64_t *ws)
{
    struct ut_store *st = NULL;
    struct ut_diag diag;
    int64_t id = 0;
    int err;

    memset(&diag, 0, sizeof(diag));
    err = ut_store_open(&st, data, UT_STORE_READONLY, &diag);
    if (err == UT_ENOMEM) {
        cli_error("out of memory");
        return EX_OSERR;
    }
    if (err != UT_OK) {
        cli_error("no store in '%s': %s", data, diag.msg[0] != '\0' ? diag.msg : ut_strerror(err));
        return EX_NOINPUT;
    }
    err = srv_workspace_resolve(st, w, &id);
    if (err != UT_OK) {
        int rc = err == UT_ENOTFOUND ? EX_DATAERR : EX_IOERR;

        if (err == UT_ENOTFOUND) {
            cli_error("unknown workspace '%s'", w);
        } else {
            rc = store_failure("cannot read workspaces", err, ut_store_ops(st)->errmsg(st));
        }
        ut_store_ops(st)->close(st);
        return rc;
    }
    *s = st;
    *ws = id;
    return 0;
}

int
cli_derive_load(struct ut_store *s, int64_t ws, const struct ut_derive_opts *o,
                struct ut_derive **out)
{
    struct ut_diag diag;
    int err;

    memset(&diag, 0, sizeof(diag));
    err = ut_derive_load(s, ws, o, out, &diag);
    if (err == UT_OK) {
        return 0;
    }
    if (err == UT_EPARSE || err == UT_EINVAL) {
        cli_error("%s", diag.msg[0] != '\0' ? diag.msg : ut_strerror(err));
        return EX_DATAERR;
    }
    return store_failure("cannot read events", err, diag.msg);
}
