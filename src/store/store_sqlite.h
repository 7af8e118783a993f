/*
 * store/store_sqlite.h - what the two files of the SQLite adapter share: the
 * handle, the ids of its statement catalogue (SQL in store_sqlite.c),
 * positional binding, the step/reset helpers, and the tracking-data
 * operations of store_sqlite_events.c that the ops table points at. Private
 * to the adapter: sq_ / SQ_ names never leave src/store/store_sqlite*.c.
 */
#ifndef UT_STORE_STORE_SQLITE_H
#define UT_STORE_STORE_SQLITE_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "store/store.h"
#include "util/setup.h"

/* ---- the statement catalogue (SQL text: sq_sql in store_sqlite.c) ---------------- */

enum sq_stmt_id {
    SQ_BEGIN_WRITE,
    SQ_BEGIN_READ,
    SQ_COMMIT,
    SQ_ROLLBACK,
    SQ_WS_CREATE,
    SQ_WS_FIND,
    SQ_WS_NAME,
    SQ_WS_COUNT,
    SQ_SET_GET,
    SQ_SET_PUT,
    SQ_SET_DEL,
    SQ_KEY_CREATE,
    SQ_KEY_LOOKUP,
    SQ_KEY_REVOKE,
    SQ_EV_PUT,
    SQ_EV_ID,
    SQ_EV_SCAN,
    SQ_EV_COUNT,
    SQ_EDGE_PUT,
    SQ_EDGE_SCAN,
    SQ_LINK_CREATE,
    SQ_LINK_GET,
    SQ_LINK_UPDATE,
    SQ_LINK_DELETE,
    SQ_LINK_SCAN,
    SQ_CLICK_PUT,
    SQ_NSTMT
};

/* ---- the handle and binding ------------------------------------------------------ */

struct sq_store {
    struct ut_store_base base; /* first: ut_store_ops() reads it */
    sqlite3 *db;
    unsigned flags;               /* enum ut_store_open_flags */
    sqlite3_stmt *stmt[SQ_NSTMT]; /* prepared on first use, finalized by close */
    char errmsg[256];             /* message of the last failure; "" before any */
};

static inline struct sq_store *
sq_of(struct ut_store *s)
{
    return (struct sq_store *)(void *)s;
}

/* Positional binding with a sticky error, so a statement's binds are checked once. */
struct sq_bind {
    sqlite3_stmt *st;
    int i;  /* next parameter, 1-based */
    int rc; /* first failure, SQLITE_OK if none */
};

/*
 * Text is bound SQLITE_STATIC (no copy): the caller's bytes live for the
 * call, and ut__sqlite_done() clears the bindings before the call returns.
 */
static inline void
sq_bind_str(struct sq_bind *b, struct ut_str v)
{
    if (b->rc == SQLITE_OK) {
        if (v.ptr == NULL) {
            b->rc = sqlite3_bind_null(b->st, b->i);
        } else {
            b->rc = sqlite3_bind_text64(b->st, b->i, v.ptr, (sqlite3_uint64)v.len, SQLITE_STATIC,
                                        SQLITE_UTF8);
        }
    }
    b->i++;
}

static inline void
sq_bind_cstr(struct sq_bind *b, const char *v)
{
    sq_bind_str(b, ut_str_cstr(v));
}

static inline void
sq_bind_blob(struct sq_bind *b, const void *p, size_t n)
{
    if (b->rc == SQLITE_OK) {
        b->rc = sqlite3_bind_blob64(b->st, b->i, p, (sqlite3_uint64)n, SQLITE_STATIC);
    }
    b->i++;
}

static inline void
sq_bind_i64(struct sq_bind *b, int64_t v)
{
    if (b->rc == SQLITE_OK) {
        b->rc = sqlite3_bind_int64(b->st, b->i, v);
    }
    b->i++;
}

static inline void
sq_bind_null(struct sq_bind *b)
{
    if (b->rc == SQLITE_OK) {
        b->rc = sqlite3_bind_null(b->st, b->i);
    }
    b->i++;
}

static inline void
sq_bind_f64(struct sq_bind *b, double v)
{
    if (b->rc == SQLITE_OK) {
        b->rc = sqlite3_bind_double(b->st, b->i, v);
    }
    b->i++;
}

/* A view of a text column, valid until the statement steps or resets; NULL stays NULL. */
static inline struct ut_str
sq_col_str(sqlite3_stmt *st, int i)
{
    const unsigned char *p = sqlite3_column_text(st, i);

    if (p == NULL) {
        return UT_STR_NULL;
    }
    return ut_str_make((const char *)p, (size_t)sqlite3_column_bytes(st, i));
}

/* ---- helpers (store_sqlite.c) ---------------------------------------------------- */

/* Format the handle's message (ut_store_errmsg). */
void ut__sqlite_seterr(struct sq_store *s, const char *fmt, ...) UT_PRINTF(2, 3);
/* Set the message to what and return UT_EINVAL. */
int ut__sqlite_inval(struct sq_store *s, const char *what);
/*
 * Ready b for statement id of s, prepared on first use. UT_EINVAL when the
 * statement is still stepping (a row callback re-entered its own scan).
 */
int ut__sqlite_stmt(struct sq_store *s, enum sq_stmt_id id, struct sq_bind *b);
/* Step once: *row says whether a row came; a bind or step failure is mapped to ut_err. */
int ut__sqlite_step(struct sq_store *s, struct sq_bind *b, int *row);
/* Reset the statement and drop the borrowed bindings. */
void ut__sqlite_done(struct sq_bind *b);
/* Step a statement that returns no rows (INSERT, UPDATE, BEGIN...), then reset it. */
int ut__sqlite_run(struct sq_store *s, struct sq_bind *b);
/* Step a one-row query whose first column is an integer, then reset; UT_ENOTFOUND for no row. */
int ut__sqlite_query_i64(struct sq_store *s, struct sq_bind *b, int64_t *v);

/* ---- tracking data (store_sqlite_events.c), members of ut__store_sqlite_ops ------ */

int ut__sqlite_event_put(struct ut_store *us, int64_t ws, const struct ut_event *ev,
                         const struct ut_event_class *cls, int64_t *event_id, int *inserted);
int ut__sqlite_edge_put(struct ut_store *us, int64_t ws, const struct ut_identity_edge *e);
int ut__sqlite_events_scan(struct ut_store *us, int64_t ws, double from, double to,
                           ut_store_event_cb cb, void *ctx);
int ut__sqlite_edges_scan(struct ut_store *us, int64_t ws, ut_store_edge_cb cb, void *ctx);
int64_t ut__sqlite_events_count(struct ut_store *us, int64_t ws);
int ut__sqlite_link_create(struct ut_store *us, const struct ut_link *l, int64_t *id);
int ut__sqlite_link_get(struct ut_store *us, const char *slug, struct ut_link *out,
                        struct ut_buf *scratch);
int ut__sqlite_link_update(struct ut_store *us, const struct ut_link *l);
int ut__sqlite_link_delete(struct ut_store *us, int64_t ws, const char *slug);
int ut__sqlite_links_scan(struct ut_store *us, int64_t ws, ut_store_link_cb cb, void *ctx);
int ut__sqlite_click_put(struct ut_store *us, const struct ut_click *c);

#endif /* UT_STORE_STORE_SQLITE_H */
