/*
 * store/store.h - the storage port. The server, the CLI and the report code
 * talk to a struct ut_store; an adapter (store_sqlite.c now, store_pg.c later)
 * implements struct ut_store_ops. Every value is bound, never spliced into
 * SQL; driver messages are copied into the handle (ut_store_errmsg).
 *
 * A handle is one database connection: not thread-safe; the server opens one
 * per thread (the writer, readers). Errors: UT_OK or a negative enum ut_err
 * (UT_ESTORE for driver failures, UT_ENOTFOUND, UT_ECONFLICT for a unique
 * violation, UT_ENOMEM, UT_EINVAL).
 */
#ifndef UT_STORE_STORE_H
#define UT_STORE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "core/event.h"
#include "util/buf.h"
#include "util/str.h"
#include "utmost/common.h"

enum ut_key_kind { UT_KEY_WRITE = 1, UT_KEY_READ = 2, UT_KEY_ADMIN = 3 };

enum ut_store_open_flags {
    UT_STORE_CREATE = 1 << 0,  /* create the database and run migrations if needed */
    UT_STORE_READONLY = 1 << 1 /* a read-only connection */
};

/* A tracking link. Strings are views; ids are store ids. */
struct ut_link {
    int64_t id;
    int64_t workspace_id;
    struct ut_str slug, destination;
    struct ut_str utm_source, utm_medium, utm_campaign, utm_content, utm_term;
    struct ut_str partner;
    double created_at;
    int64_t clicks;     /* filled by reads: human clicks */
    int64_t bot_clicks; /* filled by reads */
};

/* One click on a link (humans and bots alike). */
struct ut_click {
    int64_t link_id;
    int64_t workspace_id;
    struct ut_str token;      /* ut_click value appended to the redirect */
    struct ut_str visitor_id; /* first-party cookie value */
    struct ut_str referrer, user_agent, ip_truncated;
    int is_bot;
    double time;
};

/* Classification of a touch-candidate event, stored beside it (see core/channel.h). */
struct ut_event_class {
    int is_candidate; /* carries campaign info (utm, click id, external referrer, link) */
    int internal_referrer;
    struct ut_str source, medium, campaign, content, term, click_id, channel;
};

/* An identity evidence edge: a and b are "kind:value" identifiers (user:42, anon:abc, email:x@y).
 */
struct ut_identity_edge {
    struct ut_str a, b;
    struct ut_str kind; /* "identify", "alias", "click", "email" */
    int64_t event_id;
    double time;
    double confidence;
};

/* A stored event as read back for derivation. Views valid until the next row. */
struct ut_event_row {
    int64_t id;
    enum ut_event_type type;
    struct ut_str name, anonymous_id, user_id;
    double timestamp;
    int has_revenue;
    int64_t revenue_minor;
    struct ut_str currency;
    struct ut_event_class cls;
};

struct ut_store;

/* Row callbacks return 0 to go on, non-zero to stop (that value is returned). */
typedef int (*ut_store_event_cb)(void *ctx, const struct ut_event_row *row);
typedef int (*ut_store_edge_cb)(void *ctx, const struct ut_identity_edge *edge);
typedef int (*ut_store_link_cb)(void *ctx, const struct ut_link *link);

struct ut_store_ops {
    int version; /* 1; members are only ever appended */
    const char *name;
    int (*open)(struct ut_store **out, const char *location, unsigned flags, struct ut_diag *diag);
    void (*close)(struct ut_store *s);
    const char *(*errmsg)(const struct ut_store *s);
    int (*begin)(struct ut_store *s);
    int (*commit)(struct ut_store *s);
    int (*rollback)(struct ut_store *s);
    /* workspaces */
    int (*workspace_create)(struct ut_store *s, const char *name, double now, int64_t *id);
    int (*workspace_find)(struct ut_store *s, const char *name, int64_t *id);
    int (*workspace_name)(struct ut_store *s, int64_t id, struct ut_buf *name);
    int (*workspace_count)(struct ut_store *s, int64_t *n);
    /* conversion event names of a workspace (JSON array text) */
    int (*workspace_setting_get)(struct ut_store *s, int64_t ws, const char *key,
                                 struct ut_buf *value);
    int (*workspace_setting_set)(struct ut_store *s, int64_t ws, const char *key,
                                 const char *value);
    /* keys: only the SHA-256 of a key is stored */
    int (*key_create)(struct ut_store *s, int64_t ws, enum ut_key_kind kind,
                      const unsigned char hash[32], const char *prefix, double now);
    int (*key_lookup)(struct ut_store *s, const unsigned char hash[32], int64_t *ws,
                      enum ut_key_kind *kind); /* UT_ENOTFOUND when unknown or revoked */
    int (*key_revoke)(struct ut_store *s, const unsigned char hash[32], double now);
    /* events: *inserted is 1, or 0 when (workspace, message_id) was already stored */
    int (*event_put)(struct ut_store *s, int64_t ws, const struct ut_event *ev,
                     const struct ut_event_class *cls, int64_t *event_id, int *inserted);
    int (*edge_put)(struct ut_store *s, int64_t ws, const struct ut_identity_edge *e);
    /* events of ws with from <= timestamp < to, ordered by (timestamp, id) */
    int (*events_scan)(struct ut_store *s, int64_t ws, double from, double to, ut_store_event_cb cb,
                       void *ctx);
    int (*edges_scan)(struct ut_store *s, int64_t ws, ut_store_edge_cb cb, void *ctx);
    int64_t (*events_count)(struct ut_store *s, int64_t ws);
    /* links: slugs are unique across workspaces */
    int (*link_create)(struct ut_store *s, const struct ut_link *l, int64_t *id);
    int (*link_get)(struct ut_store *s, const char *slug, struct ut_link *out,
                    struct ut_buf *scratch); /* UT_ENOTFOUND (also when deleted) */
    int (*link_update)(struct ut_store *s, const struct ut_link *l); /* by workspace + slug */
    int (*link_delete)(struct ut_store *s, int64_t ws, const char *slug);
    int (*links_scan)(struct ut_store *s, int64_t ws, ut_store_link_cb cb, void *ctx);
    int (*click_put)(struct ut_store *s, const struct ut_click *c);
};

/* The adapter for location: a directory path (SQLite) now; postgres:// later. */
const struct ut_store_ops *ut_store_ops_for(const char *location);

/* Convenience: open with the adapter ut_store_ops_for(location) picks. */
int ut_store_open(struct ut_store **out, const char *location, unsigned flags,
                  struct ut_diag *diag);
/* The handle's adapter. */
const struct ut_store_ops *ut_store_ops(const struct ut_store *s);

/* Every adapter's handle starts with this header. */
struct ut_store_base {
    const struct ut_store_ops *ops;
};

#endif /* UT_STORE_STORE_H */
