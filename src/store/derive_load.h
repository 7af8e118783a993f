/*
 * store/derive_load.h - read one workspace of a store into a derivation
 * (core/derive.h): the conversion_events setting, tracking links, identity
 * evidence edges and the events of a time window, all from one read
 * transaction, so a server writing at the same time is seen at one instant.
 * Works on a read-only handle (UT_STORE_READONLY). Never writes.
 */
#ifndef UT_STORE_DERIVE_LOAD_H
#define UT_STORE_DERIVE_LOAD_H

#include <stdint.h>

#include "core/derive.h"
#include "store/store.h"

/*
 * Derive workspace ws of s with options o (NULL: UT_DERIVE_OPTS_INIT) into a
 * new finished builder *out (the caller frees it with ut_derive_free).
 * Events are read from o->touch_from minus one session timeout (to know
 * where the first sessions start) up to o->conv_to. The conversion_events
 * setting must be a JSON array of strings (UT_EPARSE otherwise).
 * Errors: UT_ESTORE (message from ut_store_errmsg copied into diag),
 * UT_EPARSE, UT_ENOMEM, UT_EINVAL. *out is written only on success.
 */
int ut_derive_load(struct ut_store *s, int64_t ws, const struct ut_derive_opts *o,
                   struct ut_derive **out, struct ut_diag *diag);

/*
 * Add the names of a conversion_events setting (JSON array of strings,
 * json[0..len)) to d. UT_EPARSE (message in diag) for anything else.
 */
int ut_derive_conversion_names(struct ut_derive *d, const char *json, size_t len,
                               struct ut_diag *diag);

#endif /* UT_STORE_DERIVE_LOAD_H */
