/*
 * store/store.c - picks the storage adapter for a location and opens it. A
 * "postgres://" or "postgresql://" URL belongs to PostgreSQL (not built yet:
 * no adapter); anything else is a data directory for SQLite. Holds no state.
 */
#include "util/setup.h"

#include "store/store.h"

#include <string.h>

#include "store/adapters.h"
#include "util/diag.h"

static int
has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

const struct ut_store_ops *
ut_store_ops_for(const char *location)
{
    if (location == NULL || location[0] == '\0') {
        return NULL;
    }
    if (has_prefix(location, "postgres://") || has_prefix(location, "postgresql://")) {
        return NULL; /* store_pg.c comes later */
    }
    return &ut__store_sqlite_ops;
}

int
ut_store_open(struct ut_store **out, const char *location, unsigned flags, struct ut_diag *diag)
{
    const struct ut_store_ops *ops = ut_store_ops_for(location);

    if (ops == NULL) {
        ut_diag_set(diag, "no storage adapter for '%s'", location != NULL ? location : "");
        return UT_EINVAL;
    }
    return ops->open(out, location, flags, diag);
}

const struct ut_store_ops *
ut_store_ops(const struct ut_store *s)
{
    return ((const struct ut_store_base *)(const void *)s)->ops;
}

const char *
ut__store_setting_default(const char *key)
{
    static const struct {
        const char *key, *value;
    } defaults[] = {
        {UT_SETTING_CONVERSION_EVENTS, UT_SETTING_CONVERSION_EVENTS_DEFAULT},
    };

    for (size_t i = 0; i < UT_ARRAY_LEN(defaults); i++) {
        if (strcmp(defaults[i].key, key) == 0) {
            return defaults[i].value;
        }
    }
    return NULL;
}
