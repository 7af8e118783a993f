/*
 * cli/derive_input.h - what `utmost attribute --data` and `utmost journeys`
 * share: parsing --from / --to, opening a data directory read-only (so both
 * work while `utmost serve` runs on it), resolving the workspace and deriving
 * touches, persons and conversions from it. Every helper prints its own
 * message and returns a sysexits code (0 on success).
 */
#ifndef UT_CLI_DERIVE_INPUT_H
#define UT_CLI_DERIVE_INPUT_H

#include <stdint.h>

#include "core/derive.h"
#include "store/store.h"

/*
 * A --from / --to value: a date YYYY-MM-DD (UTC midnight), an RFC 3339
 * timestamp with a zone, or integer Unix seconds. 0 and *out, or -1.
 */
int cli_parse_when(const char *s, double *out);

/*
 * Open the store in data read-only and find workspace w (a name or an id).
 * Returns 0 with *s (close with ut_store_ops(*s)->close) and *ws, or prints
 * one line and returns EX_NOINPUT (no store in data), EX_DATAERR (unknown
 * workspace), EX_OSERR (out of memory) or EX_IOERR (a store failure).
 */
int cli_store_open(const char *data, const char *w, struct ut_store **s, int64_t *ws);

/*
 * Derive workspace ws of s with options o into *out (ut_derive_free).
 * Returns 0, or prints and returns EX_DATAERR (bad setting), EX_OSERR or
 * EX_IOERR.
 */
int cli_derive_load(struct ut_store *s, int64_t ws, const struct ut_derive_opts *o,
                    struct ut_derive **out);

#endif /* UT_CLI_DERIVE_INPUT_H */
