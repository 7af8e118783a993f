/*
 * store/adapters.h - what the storage adapters share with store.c and with
 * each other: their ops tables and the defaults of workspace settings, kept in
 * one place so every adapter answers the same for an unset key.
 */
#ifndef UT_STORE_ADAPTERS_H
#define UT_STORE_ADAPTERS_H

#include "store/store.h"

/* SQLite: location is a data directory holding utmost.db (store_sqlite.c). */
extern const struct ut_store_ops ut__store_sqlite_ops;

/* Default workspace settings, returned by workspace_setting_get for an unset key. */
#define UT_SETTING_CONVERSION_EVENTS "conversion_events"
#define UT_SETTING_CONVERSION_EVENTS_DEFAULT                                                       \
    "[\"Order Completed\",\"Signed Up\",\"Subscription Started\"]"

/*
 * The default value of setting key (a static string), or NULL when the key has
 * none (workspace_setting_get then answers UT_ENOTFOUND).
 */
const char *ut__store_setting_default(const char *key);

#endif /* UT_STORE_ADAPTERS_H */
