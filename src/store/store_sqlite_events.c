/*
 * store/store_sqlite_events.c - the tracking data of the SQLite adapter:
 * events (idempotent by workspace and message id), identity edges, links and
 * their clicks, and the scans that read them back in a stable order. The
 * handle, the SQL and the binding helpers are in store_sqlite.c.
 */
#include "util/setup.h"

#include "store/store_sqlite.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "util/buf.h"

/* The stored spelling of enum ut_event_type: part of the file format. */
static const char *const sq_event_types[] = {
    [UT_EVENT_TRACK] = "track",   [UT_EVENT_IDENTIFY] = "identify", [UT_EVENT_PAGE] = "page",
    [UT_EVENT_SCREEN] = "screen", [UT_EVENT_GROUP] = "group",       [UT_EVENT_ALIAS] = "alias",
    [UT_EVENT_CLICK] = "click",
};

/* ---- events and identity edges --------------------------------------------------- */

static const char *
sq_event_type_name(enum ut_event_type t)
{
    if ((size_t)t >= UT_ARRAY_LEN(sq_event_types)) {
        return NULL;
    }
    return sq_event_types[t];
}

static enum ut_event_type
sq_event_type_parse(struct ut_str v)
{
    for (size_t i = 1; i < UT_ARRAY_LEN(sq_event_types); i++) {
        if (ut_str_eq(v, ut_str_cstr(sq_event_types[i]))) {
            return (enum ut_event_type)i;
        }
    }
    return (enum ut_event_type)0;
}

/* Bind the 34 columns of SQ_EV_PUT, in its order. */
static void
sq_bind_event(struct sq_bind *b, int64_t ws, const struct ut_event *ev,
              const struct ut_event_class *cls)
{
    static const struct ut_event_class none = {
        0, 0, {NULL, 0}, {NULL, 0}, {NULL, 0}, {NULL, 0}, {NULL, 0}, {NULL, 0}, {NULL, 0}};

    if (cls == NULL) {
        cls = &none;
    }
    sq_bind_i64(b, ws);
    sq_bind_str(b, ev->message_id);
    sq_bind_cstr(b, sq_event_type_name(ev->type));
    sq_bind_str(b, ev->name);
    sq_bind_str(b, ev->anonymous_id);
    sq_bind_str(b, ev->user_id);
    sq_bind_str(b, ev->previous_id);
    sq_bind_str(b, ev->group_id);
    sq_bind_str(b, ev->email);
    sq_bind_f64(b, ev->timestamp);
    sq_bind_f64(b, ev->received_at);
    sq_bind_i64(b, ev->has_revenue != 0);
    if (ev->has_revenue) {
        sq_bind_i64(b, ev->revenue_minor);
    } else {
        sq_bind_null(b);
    }
    sq_bind_str(b, ev->currency);
    sq_bind_str(b, ev->url);
    sq_bind_str(b, ev->referrer);
    sq_bind_str(b, ev->ip);
    sq_bind_str(b, ev->user_agent);
    sq_bind_str(b, ev->campaign_source);
    sq_bind_str(b, ev->campaign_medium);
    sq_bind_str(b, ev->campaign_name);
    sq_bind_str(b, ev->campaign_content);
    sq_bind_str(b, ev->campaign_term);
    sq_bind_str(b, ev->click_token);
    sq_bind_str(b, ev->body);
    sq_bind_i64(b, cls->is_candidate != 0);
    sq_bind_i64(b, cls->internal_referrer != 0);
    sq_bind_str(b, cls->source);
    sq_bind_str(b, cls->medium);
    sq_bind_str(b, cls->campaign);
    sq_bind_str(b, cls->content);
    sq_bind_str(b, cls->term);
    sq_bind_str(b, cls->click_id);
    sq_bind_str(b, cls->channel);
}

/* The id of the event already stored under (ws, message_id). */
static int
sq_event_id(struct sq_store *s, int64_t ws, struct ut_str message_id, int64_t *id)
{
    struct sq_bind b;
    int err = ut__sqlite_stmt(s, SQ_EV_ID, &b);

    if (err != UT_OK) {
        return err;
    }
    sq_bind_i64(&b, ws);
    sq_bind_str(&b, message_id);
    err = ut__sqlite_query_i64(s, &b, id);
    if (err == UT_ENOTFOUND) {
        ut__sqlite_seterr(s, "duplicate event vanished"); /* cannot happen inside one connection */
        err = UT_ESTORE;
    }
    return err;
}

/*
 * Store ev (and its classification, cls may be NULL) unless (ws, message_id)
 * is already stored: then nothing changes, *inserted = 0 and *event_id is the
 * stored event's id. Both outputs are optional. UT_ENOTFOUND for an unknown ws.
 */
int
ut__sqlite_event_put(struct ut_store *us, int64_t ws, const struct ut_event *ev,
                     const struct ut_event_class *cls, int64_t *event_id, int *inserted)
{
    struct sq_store *s = sq_of(us);
    struct sq_bind b;
    int64_t id = 0;
    int err, fresh;

    if (ev == NULL || ut_str_empty(ev->message_id) || sq_event_type_name(ev->type) == NULL ||
        !isfinite(ev->timestamp) || !isfinite(ev->received_at)) {
        return ut__sqlite_inval(s, "event without message id, type or finite times");
    }
    err = ut__sqlite_stmt(s, SQ_EV_PUT, &b);
    if (err != UT_OK) {
        return err;
    }
    sq_bind_event(&b, ws, ev, cls);
    err = ut__sqlite_run(s, &b);
    if (err != UT_OK) {
        return err;
    }
    /* ON CONFLICT DO NOTHING: a duplicate completes with no change */
    fresh = sqlite3_changes(s->db) != 0;
    if (fresh) {
        id = sqlite3_last_insert_rowid(s->db);
    } else if (event_id != NULL) {
        err = sq_event_id(s, ws, ev->message_id, &id);
    }
    if (err == UT_OK && event_id != NULL) {
        *event_id = id;
    }
    if (err == UT_OK && inserted != NULL) {
        *inserted = fresh;
    }
    return err;
}

/* event_id <= 0 means no event; a and b are "kind:value" identifiers. */
int
ut__sqlite_edge_put(struct ut_store *us, int64_t ws, const struct ut_identity_edge *e)
{
    struct sq_store *s = sq_of(us);
    struct sq_bind b;
    int err;

    if (e == NULL || ut_str_empty(e->a) || ut_str_empty(e->b) || ut_str_empty(e->kind) ||
        !isfinite(e->time) || !(e->confidence >= 0.0 && e->confidence <= 1.0)) {
        return ut__sqlite_inval(
            s, "edge without identifiers, kind, finite time or confidence in [0, 1]");
    }
    err = ut__sqlite_stmt(s, SQ_EDGE_PUT, &b);
    if (err != UT_OK) {
        return err;
    }
    sq_bind_i64(&b, ws);
    sq_bind_str(&b, e->a);
    sq_bind_str(&b, e->b);
    sq_bind_str(&b, e->kind);
    if (e->event_id > 0) {
        sq_bind_i64(&b, e->event_id);
    } else {
        sq_bind_null(&b);
    }
    sq_bind_f64(&b, e->time);
    sq_bind_f64(&b, e->confidence);
    return ut__sqlite_run(s, &b);
}

/* Fill r from a row of SQ_EV_SCAN; the views point into the statement's row. */
static void
sq_event_row(sqlite3_stmt *st, struct ut_event_row *r)
{
    r->id = sqlite3_column_int64(st, 0);
    r->type = sq_event_type_parse(sq_col_str(st, 1));
    r->name = sq_col_str(st, 2);
    r->anonymous_id = sq_col_str(st, 3);
    r->user_id = sq_col_str(st, 4);
    r->timestamp = sqlite3_column_double(st, 5);
    r->has_revenue = sqlite3_column_int(st, 6);
    r->revenue_minor = sqlite3_column_int64(st, 7);
    r->currency = sq_col_str(st, 8);
    r->cls.is_candidate = sqlite3_column_int(st, 9);
    r->cls.internal_referrer = sqlite3_column_int(st, 10);
    r->cls.source = sq_col_str(st, 11);
    r->cls.medium = sq_col_str(st, 12);
    r->cls.campaign = sq_col_str(st, 13);
    r->cls.content = sq_col_str(st, 14);
    r->cls.term = sq_col_str(st, 15);
    r->cls.click_id = sq_col_str(st, 16);
    r->cls.channel = sq_col_str(st, 17);
}

static void
sq_edge_row(sqlite3_stmt *st, struct ut_identity_edge *e)
{
    e->a = sq_col_str(st, 0);
    e->b = sq_col_str(st, 1);
    e->kind = sq_col_str(st, 2);
    e->event_id = sqlite3_column_int64(st, 3); /* NULL reads as 0 */
    e->time = sqlite3_column_double(st, 4);
    e->confidence = sqlite3_column_double(st, 5);
}

/* The three scans differ only in how a row becomes the callback's argument. */
enum sq_scan_kind { SQ_SCAN_EVENTS, SQ_SCAN_EDGES, SQ_SCAN_LINKS };

struct sq_scan_cb {
    enum sq_scan_kind kind;
    union {
        ut_store_event_cb event;
        ut_store_edge_cb edge;
        ut_store_link_cb link;
    } fn;
    void *ctx;
};

static void sq_link_read(sqlite3_stmt *st, struct ut_link *l);

/* Hand the current row to the callback; its return value. */
static int
sq_scan_row(sqlite3_stmt *st, const struct sq_scan_cb *cb)
{
    struct ut_event_row r;
    struct ut_identity_edge e;
    struct ut_link l;

    switch (cb->kind) {
    case SQ_SCAN_EVENTS:
        sq_event_row(st, &r);
        return cb->fn.event(cb->ctx, &r);
    case SQ_SCAN_EDGES:
        sq_edge_row(st, &e);
        return cb->fn.edge(cb->ctx, &e);
    case SQ_SCAN_LINKS:
    default:
        sq_link_read(st, &l);
        return cb->fn.link(cb->ctx, &l);
    }
}

/*
 * Step b's statement to the end, handing each row to the callback. Returns
 * UT_OK, the callback's non-zero value (which stops the scan) or a mapped
 * failure; rows before a failure have been handed out already.
 */
static int
sq_scan(struct sq_store *s, struct sq_bind *b, const struct sq_scan_cb *cb)
{
    int row = 1, err = UT_OK, stop = 0;

    while (stop == 0) {
        err = ut__sqlite_step(s, b, &row);
        if (err != UT_OK || !row) {
            break;
        }
        stop = sq_scan_row(b->st, cb);
    }
    ut__sqlite_done(b);
    return err != UT_OK ? err : stop;
}

/* Rows of ws with from <= ts < to in (ts, id) order; views valid during the callback. */
int
ut__sqlite_events_scan(struct ut_store *us, int64_t ws, double from, double to,
                       ut_store_event_cb cb, void *ctx)
{
    struct sq_scan_cb scb = {SQ_SCAN_EVENTS, {.event = cb}, ctx};
    struct sq_store *s = sq_of(us);
    struct sq_bind b;
    int err;

    if (cb == NULL) {
        return ut__sqlite_inval(s, "no row callback");
    }
    err = ut__sqlite_stmt(s, SQ_EV_SCAN, &b);
    if (err != UT_OK) {
        return err;
    }
    sq_bind_i64(&b, ws);
    sq_bind_f64(&b, from);
    sq_bind_f64(&b, to);
    return sq_scan(s, &b, &scb);
}

/* Unrevoked edges of ws in insertion order; views valid during the callback. */
int
ut__sqlite_edges_scan(struct ut_store *us, int64_t ws, ut_store_edge_cb cb, void *ctx)
{
    struct sq_scan_cb scb = {SQ_SCAN_EDGES, {.edge = cb}, ctx};
    struct sq_store *s = sq_of(us);
    struct sq_bind b;
    int err;

    if (cb == NULL) {
        return ut__sqlite_inval(s, "no row callback");
    }
    err = ut__sqlite_stmt(s, SQ_EDGE_SCAN, &b);
    if (err != UT_OK) {
        return err;
    }
    sq_bind_i64(&b, ws);
    return sq_scan(s, &b, &scb);
}

/* The count, or a negative enum ut_err. */
int64_t
ut__sqlite_events_count(struct ut_store *us, int64_t ws)
{
    struct sq_store *s = sq_of(us);
    struct sq_bind b;
    int64_t n = 0;
    int err = ut__sqlite_stmt(s, SQ_EV_COUNT, &b);

    if (err == UT_OK) {
        sq_bind_i64(&b, ws);
        err = ut__sqlite_query_i64(s, &b, &n);
    }
    return err != UT_OK ? err : n;
}

/* ---- links and clicks ------------------------------------------------------------ */

/* Fill l from a row of SQ_LINK_COLS; the views point into the statement's row. */
static void
sq_link_read(sqlite3_stmt *st, struct ut_link *l)
{
    l->id = sqlite3_column_int64(st, 0);
    l->workspace_id = sqlite3_column_int64(st, 1);
    l->slug = sq_col_str(st, 2);
    l->destination = sq_col_str(st, 3);
    l->utm_source = sq_col_str(st, 4);
    l->utm_medium = sq_col_str(st, 5);
    l->utm_campaign = sq_col_str(st, 6);
    l->utm_content = sq_col_str(st, 7);
    l->utm_term = sq_col_str(st, 8);
    l->partner = sq_col_str(st, 9);
    l->created_at = sqlite3_column_double(st, 10);
    l->clicks = sqlite3_column_int64(st, 11);
    l->bot_clicks = sqlite3_column_int64(st, 12);
}

/*
 * Move l's texts into scratch (cleared first, each text NUL-terminated) and
 * point the views there. Offsets are kept until every text is in, because
 * the buffer may move while it grows.
 */
static int
sq_link_copy(struct ut_link *l, struct ut_buf *scratch)
{
    struct ut_str *v[] = {&l->slug,         &l->destination, &l->utm_source, &l->utm_medium,
                          &l->utm_campaign, &l->utm_content, &l->utm_term,   &l->partner};
    size_t off[UT_ARRAY_LEN(v)];
    int err;

    ut_buf_clear(scratch);
    for (size_t i = 0; i < UT_ARRAY_LEN(v); i++) {
        off[i] = scratch->len;
        if (v[i]->ptr != NULL) {
            ut_buf_add(scratch, v[i]->ptr, v[i]->len);
            ut_buf_addch(scratch, '\0');
        }
    }
    err = ut_buf_err(scratch);
    if (err != UT_OK) {
        return err;
    }
    for (size_t i = 0; i < UT_ARRAY_LEN(v); i++) {
        if (v[i]->ptr != NULL) {
            v[i]->ptr = scratch->ptr + off[i];
        }
    }
    return UT_OK;
}

static int
sq_link_check(struct sq_store *s, const struct ut_link *l)
{
    if (l == NULL || ut_str_empty(l->slug) || ut_str_empty(l->destination)) {
        return ut__sqlite_inval(s, "link without slug or destination");
    }
    return UT_OK;
}

/* Bind destination, the utm values and partner (shared by create and update). */
static void
sq_bind_link_target(struct sq_bind *b, const struct ut_link *l)
{
    sq_bind_str(b, l->destination);
    sq_bind_str(b, l->utm_source);
    sq_bind_str(b, l->utm_medium);
    sq_bind_str(b, l->utm_campaign);
    sq_bind_str(b, l->utm_content);
    sq_bind_str(b, l->utm_term);
    sq_bind_str(b, l->partner);
}

/*
 * UT_ECONFLICT when the slug is taken, by any workspace, even by a deleted
 * link: slugs are never reused. created_at is also the first updated_at.
 */
int
ut__sqlite_link_create(struct ut_store *us, const struct ut_link *l, int64_t *id)
{
    struct sq_store *s = sq_of(us);
    struct sq_bind b;
    int err = sq_link_check(s, l);

    if (err == UT_OK) {
        err = ut__sqlite_stmt(s, SQ_LINK_CREATE, &b);
    }
    if (err != UT_OK) {
        return err;
    }
    sq_bind_i64(&b, l->workspace_id);
    sq_bind_str(&b, l->slug);
    sq_bind_link_target(&b, l);
    sq_bind_f64(&b, l->created_at);
    sq_bind_f64(&b, l->created_at);
    err = ut__sqlite_run(s, &b);
    if (err == UT_OK && id != NULL) {
        *id = sqlite3_last_insert_rowid(s->db);
    }
    return err;
}

/*
 * The live link with this slug, with its click counts; the texts are copied
 * into scratch (its content is replaced) and out's views point there, valid
 * until scratch changes. UT_ENOTFOUND when absent or deleted.
 */
int
ut__sqlite_link_get(struct ut_store *us, const char *slug, struct ut_link *out,
                    struct ut_buf *scratch)
{
    struct sq_store *s = sq_of(us);
    struct ut_link l = {0};
    struct sq_bind b;
    int row = 0, err;

    if (slug == NULL || out == NULL || scratch == NULL) {
        return ut__sqlite_inval(s, "link_get needs a slug, an output and a scratch buffer");
    }
    err = ut__sqlite_stmt(s, SQ_LINK_GET, &b);
    if (err != UT_OK) {
        return err;
    }
    sq_bind_cstr(&b, slug);
    err = ut__sqlite_step(s, &b, &row);
    if (err == UT_OK && !row) {
        ut__sqlite_seterr(s, "no link '%s'", slug);
        err = UT_ENOTFOUND;
    }
    if (err == UT_OK) {
        sq_link_read(b.st, &l);
        err = sq_link_copy(&l, scratch); /* before the reset: views point into the row */
    }
    ut__sqlite_done(&b);
    if (err == UT_OK) {
        *out = l;
    }
    return err;
}

/*
 * Replace destination, utm values and partner of the live link (workspace_id,
 * slug); updated_at is the database clock's now (the port passes no time).
 */
int
ut__sqlite_link_update(struct ut_store *us, const struct ut_link *l)
{
    struct sq_store *s = sq_of(us);
    struct sq_bind b;
    int err = sq_link_check(s, l);

    if (err == UT_OK) {
        err = ut__sqlite_stmt(s, SQ_LINK_UPDATE, &b);
    }
    if (err != UT_OK) {
        return err;
    }
    sq_bind_link_target(&b, l);
    sq_bind_i64(&b, l->workspace_id);
    sq_bind_str(&b, l->slug);
    err = ut__sqlite_run(s, &b);
    if (err == UT_OK && sqlite3_changes(s->db) == 0) {
        ut__sqlite_seterr(s, "no link '%.*s'", (int)l->slug.len, l->slug.ptr);
        err = UT_ENOTFOUND;
    }
    return err;
}

/* Soft delete: the row and its clicks stay, the slug stays taken. */
int
ut__sqlite_link_delete(struct ut_store *us, int64_t ws, const char *slug)
{
    struct sq_store *s = sq_of(us);
    struct sq_bind b;
    int err;

    if (slug == NULL) {
        return ut__sqlite_inval(s, "link slug is NULL");
    }
    err = ut__sqlite_stmt(s, SQ_LINK_DELETE, &b);
    if (err != UT_OK) {
        return err;
    }
    sq_bind_i64(&b, ws);
    sq_bind_cstr(&b, slug);
    err = ut__sqlite_run(s, &b);
    if (err == UT_OK && sqlite3_changes(s->db) == 0) {
        ut__sqlite_seterr(s, "no link '%s'", slug);
        err = UT_ENOTFOUND;
    }
    return err;
}

/* Live links of ws in creation order with click counts; views valid during the callback. */
int
ut__sqlite_links_scan(struct ut_store *us, int64_t ws, ut_store_link_cb cb, void *ctx)
{
    struct sq_scan_cb scb = {SQ_SCAN_LINKS, {.link = cb}, ctx};
    struct sq_store *s = sq_of(us);
    struct sq_bind b;
    int err;

    if (cb == NULL) {
        return ut__sqlite_inval(s, "no row callback");
    }
    err = ut__sqlite_stmt(s, SQ_LINK_SCAN, &b);
    if (err != UT_OK) {
        return err;
    }
    sq_bind_i64(&b, ws);
    return sq_scan(s, &b, &scb);
}

/*
 * UT_ENOTFOUND when (workspace_id, link_id) is not a link of that workspace;
 * UT_ECONFLICT for a token already used (a NULL token is never a conflict).
 */
int
ut__sqlite_click_put(struct ut_store *us, const struct ut_click *c)
{
    struct sq_store *s = sq_of(us);
    struct sq_bind b;
    int err;

    if (c == NULL || !isfinite(c->time)) {
        return ut__sqlite_inval(s, "click without a finite time");
    }
    err = ut__sqlite_stmt(s, SQ_CLICK_PUT, &b);
    if (err != UT_OK) {
        return err;
    }
    sq_bind_i64(&b, c->link_id);
    sq_bind_i64(&b, c->workspace_id);
    sq_bind_str(&b, c->token);
    sq_bind_str(&b, c->visitor_id);
    sq_bind_str(&b, c->referrer);
    sq_bind_str(&b, c->user_agent);
    sq_bind_str(&b, c->ip_truncated);
    sq_bind_i64(&b, c->is_bot != 0);
    sq_bind_f64(&b, c->time);
    return ut__sqlite_run(s, &b);
}
