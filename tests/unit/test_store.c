/*
 * tests/unit/test_store.c - the storage contract suite. Each ct_* function
 * checks one promise of struct ut_store_ops given only the ops table and a
 * fresh, empty location, so the same functions run on every adapter (SQLite
 * here, in a new temporary directory per test; PostgreSQL later). The sq_*
 * tests cover SQLite specifics: file layout, schema versions, WAL settings.
 * bench_put_* print event_put throughput as '#' lines (not assertions).
 */
#include "util/setup.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "t.h"
#include "store/migrations.h"
#include "store/store.h"
#include "util/alloc.h"
#include "util/buf.h"

#define TEXT_MAX 96
#define ROWS_MAX 64

/* ---- fixtures -------------------------------------------------------------------- */

typedef void (*contract_fn)(const struct ut_store_ops *ops, const char *loc);

/* Unlink the files in dir, then remove dir (the fixtures hold no deeper directories). */
static void
rm_flat(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    char sub[1024];

    if (d == NULL) {
        return;
    }
    for (de = readdir(d); de != NULL; de = readdir(d)) {
        if (snprintf(sub, sizeof(sub), "%s/%s", dir, de->d_name) < (int)sizeof(sub)) {
            (void)unlink(sub); /* fails harmlessly on "." and ".." */
        }
    }
    closedir(d);
    (void)rmdir(dir);
}

/*
 * Run fn on SQLite at ROOT/data, ROOT a new mkdtemp directory: the location
 * does not exist yet, so UT_STORE_CREATE has to make it. Both go afterwards.
 */
static void
run_sqlite(contract_fn fn)
{
    char root[] = "/tmp/ut_store_XXXXXX";
    char loc[sizeof(root) + 8];
    const struct ut_store_ops *ops;

    if (mkdtemp(root) == NULL) {
        t_fail(__FILE__, __LINE__, "mkdtemp: %s", strerror(errno));
        return;
    }
    (void)snprintf(loc, sizeof(loc), "%s/data", root);
    ops = ut_store_ops_for(loc);
    if (ops == NULL) {
        t_fail(__FILE__, __LINE__, "no adapter for '%s'", loc);
    } else {
        fn(ops, loc);
    }
    rm_flat(loc);
    rm_flat(root);
}

#define CONTRACT(name)                                                                             \
    static void ct_##name(const struct ut_store_ops *ops, const char *loc);                        \
    TEST(name)                                                                                     \
    {                                                                                              \
        run_sqlite(ct_##name);                                                                     \
    }                                                                                              \
    static void ct_##name(const struct ut_store_ops *ops, const char *loc)

/* Copy a view into dst as a C string; an absent view becomes "(null)". */
static void
copy_view(char dst[TEXT_MAX], struct ut_str v)
{
    if (v.ptr == NULL) {
        (void)snprintf(dst, TEXT_MAX, "(null)");
    } else {
        (void)snprintf(dst, TEXT_MAX, "%.*s", (int)v.len, v.ptr);
    }
}

/* A track event with message id mid at time ts; other fields absent. */
static struct ut_event
mk_event(const char *mid, double ts)
{
    struct ut_event ev;

    memset(&ev, 0, sizeof(ev));
    ev.type = UT_EVENT_TRACK;
    ev.message_id = ut_str_cstr(mid);
    ev.name = UT_STR("Page Viewed");
    ev.anonymous_id = UT_STR("anon-1");
    ev.currency = UT_STR("USD");
    ev.timestamp = ts;
    ev.received_at = ts + 0.5;
    ev.body = UT_STR("{\"type\":\"track\"}");
    return ev;
}

/* What an events_scan saw. */
struct ev_seen {
    size_t n;
    int stop_at; /* return 7 from the callback at this row count (0: never) */
    int64_t id[ROWS_MAX];
    double ts[ROWS_MAX];
    enum ut_event_type type[ROWS_MAX];
    char name[ROWS_MAX][TEXT_MAX];
    char user_id[ROWS_MAX][TEXT_MAX];
    char currency[ROWS_MAX][TEXT_MAX];
    int has_revenue[ROWS_MAX];
    int64_t revenue[ROWS_MAX];
    int candidate[ROWS_MAX], internal[ROWS_MAX];
    char source[ROWS_MAX][TEXT_MAX], channel[ROWS_MAX][TEXT_MAX], term[ROWS_MAX][TEXT_MAX];
};

static int
ev_collect(void *ctx, const struct ut_event_row *r)
{
    struct ev_seen *s = ctx;
    size_t i = s->n;

    if (i >= ROWS_MAX) {
        return 99;
    }
    s->id[i] = r->id;
    s->ts[i] = r->timestamp;
    s->type[i] = r->type;
    copy_view(s->name[i], r->name);
    copy_view(s->user_id[i], r->user_id);
    copy_view(s->currency[i], r->currency);
    s->has_revenue[i] = r->has_revenue;
    s->revenue[i] = r->revenue_minor;
    s->candidate[i] = r->cls.is_candidate;
    s->internal[i] = r->cls.internal_referrer;
    copy_view(s->source[i], r->cls.source);
    copy_view(s->channel[i], r->cls.channel);
    copy_view(s->term[i], r->cls.term);
    s->n++;
    return s->stop_at != 0 && (int)s->n == s->stop_at ? 7 : 0;
}

static struct ev_seen *
ev_seen_new(void)
{
    return ut_calloc(1, sizeof(struct ev_seen));
}

/* What an edges_scan saw. */
struct edge_seen {
    size_t n;
    char a[ROWS_MAX][TEXT_MAX], b[ROWS_MAX][TEXT_MAX], kind[ROWS_MAX][TEXT_MAX];
    int64_t event_id[ROWS_MAX];
    double time[ROWS_MAX], confidence[ROWS_MAX];
};

static int
edge_collect(void *ctx, const struct ut_identity_edge *e)
{
    struct edge_seen *s = ctx;
    size_t i = s->n;

    if (i >= ROWS_MAX) {
        return 99;
    }
    copy_view(s->a[i], e->a);
    copy_view(s->b[i], e->b);
    copy_view(s->kind[i], e->kind);
    s->event_id[i] = e->event_id;
    s->time[i] = e->time;
    s->confidence[i] = e->confidence;
    s->n++;
    return 0;
}

/* What a links_scan saw. */
struct link_seen {
    size_t n;
    int64_t id[ROWS_MAX], clicks[ROWS_MAX], bot_clicks[ROWS_MAX];
    char slug[ROWS_MAX][TEXT_MAX], destination[ROWS_MAX][TEXT_MAX];
};

static int
link_collect(void *ctx, const struct ut_link *l)
{
    struct link_seen *s = ctx;
    size_t i = s->n;

    if (i >= ROWS_MAX) {
        return 99;
    }
    s->id[i] = l->id;
    s->clicks[i] = l->clicks;
    s->bot_clicks[i] = l->bot_clicks;
    copy_view(s->slug[i], l->slug);
    copy_view(s->destination[i], l->destination);
    s->n++;
    return 0;
}

/* A 32-byte key hash filled with byte v. */
static void
mk_hash(unsigned char h[32], unsigned char v)
{
    memset(h, v, 32);
}

/* ---- open, reopen, adapter choice ------------------------------------------------ */

TEST(ops_for_location)
{
    T_NOTNULL(ut_store_ops_for("./utmost-data"));
    T_NOTNULL(ut_store_ops_for("/var/lib/utmost"));
    T_NULL(ut_store_ops_for("postgres://u@localhost/utmost"));
    T_NULL(ut_store_ops_for("postgresql://localhost/utmost"));
    T_NULL(ut_store_ops_for(""));
    T_NULL(ut_store_ops_for(NULL));
    T_EQ_I64(ut_store_ops_for("x")->version, 1);
    T_EQ_STR(ut_store_ops_for("x")->name, "sqlite");
}

TEST(open_unknown_adapter)
{
    struct ut_store *s = NULL;
    struct ut_diag d;

    memset(&d, 0, sizeof(d));
    T_ERR(ut_store_open(&s, "postgres://localhost/x", UT_STORE_CREATE, &d), UT_EINVAL);
    T_NULL(s);
    T_TRUE(strstr(d.msg, "postgres://") != NULL);
}

CONTRACT(create_and_reopen)
{
    struct ut_store *s = NULL;
    int64_t id = 0, again = 0, n = -1;

    T_ERR(ops->open(&s, loc, 0, NULL), UT_ENOTFOUND);
    T_ERR(ops->open(&s, loc, UT_STORE_READONLY, NULL), UT_ENOTFOUND);
    T_ERR(ops->open(&s, loc, UT_STORE_CREATE | UT_STORE_READONLY, NULL), UT_EINVAL);
    T_NULL(s);
    T_OK(ops->open(&s, loc, UT_STORE_CREATE, NULL));
    T_TRUE(ut_store_ops(s) == ops);
    T_OK(ops->workspace_create(s, "acme", 1000.0, &id));
    T_TRUE(id > 0);
    ops->close(s);
    /* a second CREATE finds the schema in place and keeps the data */
    T_OK(ops->open(&s, loc, UT_STORE_CREATE, NULL));
    T_OK(ops->workspace_find(s, "acme", &again));
    T_EQ_I64(again, id);
    ops->close(s);
    T_OK(ops->open(&s, loc, 0, NULL));
    T_OK(ops->workspace_count(s, &n));
    T_EQ_I64(n, 1);
    ops->close(s);
    T_OK(ut_store_open(&s, loc, UT_STORE_READONLY, NULL));
    T_OK(ops->workspace_find(s, "acme", &again));
    T_EQ_I64(again, id);
    ops->close(s);
}

/* ---- workspaces and settings ----------------------------------------------------- */

CONTRACT(workspaces)
{
    struct ut_buf name = UT_BUF_INIT(1024);
    struct ut_store *s = NULL;
    int64_t a = 0, b = 0, found = 0, n = -1;

    T_OK(ops->open(&s, loc, UT_STORE_CREATE, NULL));
    T_OK(ops->workspace_count(s, &n));
    T_EQ_I64(n, 0);
    T_OK(ops->workspace_create(s, "acme", 1.0, &a));
    T_OK(ops->workspace_create(s, "globex", 2.0, &b));
    T_TRUE(a != b);
    T_ERR(ops->workspace_create(s, "acme", 3.0, &found), UT_ECONFLICT);
    T_EQ_I64(found, 0); /* outputs are written only on success */
    T_TRUE(ops->errmsg(s)[0] != '\0');
    T_ERR(ops->workspace_create(s, "", 3.0, &found), UT_EINVAL);
    T_OK(ops->workspace_find(s, "globex", &found));
    T_EQ_I64(found, b);
    T_ERR(ops->workspace_find(s, "initech", &found), UT_ENOTFOUND);
    T_EQ_I64(found, b);
    T_OK(ops->workspace_name(s, a, &name));
    T_EQ_STR(name.ptr, "acme");
    T_OK(ops->workspace_name(s, b, &name)); /* replaces the content */
    T_EQ_STR(name.ptr, "globex");
    T_ERR(ops->workspace_name(s, b + 100, &name), UT_ENOTFOUND);
    T_OK(ops->workspace_count(s, &n));
    T_EQ_I64(n, 2);
    ut_buf_release(&name);
    ops->close(s);
}

CONTRACT(settings)
{
    static const char def[] = "[\"Order Completed\",\"Signed Up\",\"Subscription Started\"]";
    struct ut_buf v = UT_BUF_INIT(4096);
    struct ut_store *s = NULL;
    int64_t a = 0, b = 0;

    T_OK(ops->open(&s, loc, UT_STORE_CREATE, NULL));
    T_OK(ops->workspace_create(s, "a", 1.0, &a));
    T_OK(ops->workspace_create(s, "b", 1.0, &b));
    T_OK(ops->workspace_setting_get(s, a, "conversion_events", &v));
    T_EQ_STR(v.ptr, def);
    T_ERR(ops->workspace_setting_get(s, a, "no_such_setting", &v), UT_ENOTFOUND);
    T_OK(ops->workspace_setting_set(s, a, "conversion_events", "[\"Purchase\"]"));
    T_OK(ops->workspace_setting_get(s, a, "conversion_events", &v));
    T_EQ_STR(v.ptr, "[\"Purchase\"]");
    T_OK(ops->workspace_setting_set(s, a, "conversion_events", "[\"Purchase\",\"Lead\"]"));
    T_OK(ops->workspace_setting_get(s, a, "conversion_events", &v));
    T_EQ_STR(v.ptr, "[\"Purchase\",\"Lead\"]");
    T_OK(ops->workspace_setting_get(s, b, "conversion_events", &v)); /* b untouched */
    T_EQ_STR(v.ptr, def);
    T_OK(ops->workspace_setting_set(s, a, "lookback_days", "30"));
    T_OK(ops->workspace_setting_get(s, a, "lookback_days", &v));
    T_EQ_STR(v.ptr, "30");
    T_OK(ops->workspace_setting_set(s, a, "conversion_events", NULL)); /* back to default */
    T_OK(ops->workspace_setting_get(s, a, "conversion_events", &v));
    T_EQ_STR(v.ptr, def);
    T_ERR(ops->workspace_setting_set(s, b + 100, "lookback_days", "7"), UT_ENOTFOUND);
    T_ERR(ops->workspace_setting_set(s, a, "", "7"), UT_EINVAL);
    ut_buf_release(&v);
    ops->close(s);
}

/* ---- keys ------------------------------------------------------------------------ */

CONTRACT(keys)
{
    struct ut_store *s = NULL;
    unsigned char h1[32], h2[32], h3[32];
    enum ut_key_kind kind = UT_KEY_READ;
    int64_t ws = 0, got = 0;

    mk_hash(h1, 0x11);
    mk_hash(h2, 0x22);
    mk_hash(h3, 0x33);
    T_OK(ops->open(&s, loc, UT_STORE_CREATE, NULL));
    T_OK(ops->workspace_create(s, "a", 1.0, &ws));
    T_OK(ops->key_create(s, ws, UT_KEY_WRITE, h1, "utw_1111", 10.0));
    T_OK(ops->key_create(s, ws, UT_KEY_ADMIN, h2, "uta_2222", 10.0));
    T_ERR(ops->key_create(s, ws, UT_KEY_READ, h1, "utr_1111", 11.0), UT_ECONFLICT);
    T_ERR(ops->key_create(s, ws + 100, UT_KEY_READ, h3, "utr_3333", 11.0), UT_ENOTFOUND);
    T_ERR(ops->key_create(s, ws, (enum ut_key_kind)9, h3, "x", 11.0), UT_EINVAL);
    T_OK(ops->key_lookup(s, h1, &got, &kind));
    T_EQ_I64(got, ws);
    T_EQ_I64(kind, UT_KEY_WRITE);
    T_OK(ops->key_lookup(s, h2, &got, &kind));
    T_EQ_I64(kind, UT_KEY_ADMIN);
    T_ERR(ops->key_lookup(s, h3, &got, &kind), UT_ENOTFOUND);
    T_OK(ops->key_revoke(s, h1, 20.0));
    T_ERR(ops->key_lookup(s, h1, &got, &kind), UT_ENOTFOUND);
    T_ERR(ops->key_revoke(s, h1, 21.0), UT_ENOTFOUND);
    T_ERR(ops->key_revoke(s, h3, 21.0), UT_ENOTFOUND);
    /* a revoked key's hash stays taken */
    T_ERR(ops->key_create(s, ws, UT_KEY_WRITE, h1, "utw_1111", 30.0), UT_ECONFLICT);
    T_OK(ops->key_lookup(s, h2, &got, &kind)); /* the other key is unaffected */
    ops->close(s);
}

/* ---- events ---------------------------------------------------------------------- */

CONTRACT(event_duplicate)
{
    struct ut_store *s = NULL;
    struct ev_seen *seen = ev_seen_new();
    struct ut_event ev = mk_event("m-1", 100.0);
    int64_t ws = 0, id = 0, id2 = 0;
    int inserted = -1;

    T_NOTNULL(seen);
    T_OK(ops->open(&s, loc, UT_STORE_CREATE, NULL));
    T_OK(ops->workspace_create(s, "a", 1.0, &ws));
    T_OK(ops->event_put(s, ws, &ev, NULL, &id, &inserted));
    T_EQ_I64(inserted, 1);
    T_TRUE(id > 0);
    /* a retry with other content changes nothing and answers the stored id */
    ev.name = UT_STR("Changed");
    ev.timestamp = 200.0;
    T_OK(ops->event_put(s, ws, &ev, NULL, &id2, &inserted));
    T_EQ_I64(inserted, 0);
    T_EQ_I64(id2, id);
    T_OK(ops->event_put(s, ws, &ev, NULL, NULL, NULL)); /* outputs are optional */
    T_EQ_I64(ops->events_count(s, ws), 1);
    T_OK(ops->events_scan(s, ws, 0.0, 1e12, ev_collect, seen));
    T_EQ_SIZE(seen->n, 1);
    T_EQ_STR(seen->name[0], "Page Viewed");
    T_NEAR(seen->ts[0], 100.0, 0);
    /* invalid events */
    ev.message_id = UT_STR_NULL;
    T_ERR(ops->event_put(s, ws, &ev, NULL, &id2, &inserted), UT_EINVAL);
    ev.message_id = UT_STR("m-2");
    ev.type = (enum ut_event_type)0;
    T_ERR(ops->event_put(s, ws, &ev, NULL, &id2, &inserted), UT_EINVAL);
    ev.type = UT_EVENT_PAGE;
    T_ERR(ops->event_put(s, ws + 100, &ev, NULL, &id2, &inserted), UT_ENOTFOUND);
    T_EQ_I64(ops->events_count(s, ws), 1);
    ut_free(seen);
    ops->close(s);
}

CONTRACT(event_workspace_isolation)
{
    struct ut_store *s = NULL;
    struct ev_seen *seen = ev_seen_new();
    struct ut_event ev = mk_event("same-id", 50.0);
    int64_t a = 0, b = 0, ida = 0, idb = 0;
    int inserted = 0;

    T_NOTNULL(seen);
    T_OK(ops->open(&s, loc, UT_STORE_CREATE, NULL));
    T_OK(ops->workspace_create(s, "a", 1.0, &a));
    T_OK(ops->workspace_create(s, "b", 1.0, &b));
    T_OK(ops->event_put(s, a, &ev, NULL, &ida, &inserted));
    T_EQ_I64(inserted, 1);
    ev.user_id = UT_STR("in-b");
    T_OK(ops->event_put(s, b, &ev, NULL, &idb, &inserted));
    T_EQ_I64(inserted, 1);
    T_TRUE(ida != idb);
    T_EQ_I64(ops->events_count(s, a), 1);
    T_EQ_I64(ops->events_count(s, b), 1);
    T_EQ_I64(ops->events_count(s, b + 100), 0);
    T_OK(ops->events_scan(s, a, 0.0, 1000.0, ev_collect, seen));
    T_EQ_SIZE(seen->n, 1);
    T_EQ_I64(seen->id[0], ida);
    T_EQ_STR(seen->user_id[0], "(null)");
    seen->n = 0;
    T_OK(ops->events_scan(s, b, 0.0, 1000.0, ev_collect, seen));
    T_EQ_SIZE(seen->n, 1);
    T_EQ_I64(seen->id[0], idb);
    T_EQ_STR(seen->user_id[0], "in-b");
    ut_free(seen);
    ops->close(s);
}

/* Put events at the given times (message ids "t-<i>"); ids[i] receives each id. */
static int
put_times(const struct ut_store_ops *ops, struct ut_store *s, int64_t ws, const double *ts,
          size_t n, int64_t *ids)
{
    char mid[32];

    for (size_t i = 0; i < n; i++) {
        struct ut_event ev;
        int inserted = 0, err;

        (void)snprintf(mid, sizeof(mid), "t-%zu", i);
        ev = mk_event(mid, ts[i]);
        err = ops->event_put(s, ws, &ev, NULL, &ids[i], &inserted);
        if (err != UT_OK || !inserted) {
            return err != UT_OK ? err : UT_EINTERNAL;
        }
    }
    return UT_OK;
}

CONTRACT(events_scan_order_range)
{
    static const double ts[] = {30.0, 10.0, 20.0, 10.0, 40.0, 20.0};
    /* expected order by (ts, id): index into ts[] (ids grow with i) */
    static const size_t order[] = {1, 3, 2, 5, 0};
    struct ut_store *s = NULL;
    struct ev_seen *seen = ev_seen_new();
    int64_t ws = 0, other = 0, ids[6], other_ids[6];

    T_NOTNULL(seen);
    T_OK(ops->open(&s, loc, UT_STORE_CREATE, NULL));
    T_OK(ops->workspace_create(s, "a", 1.0, &ws));
    T_OK(ops->workspace_create(s, "b", 1.0, &other));
    T_OK(put_times(ops, s, ws, ts, 6, ids));
    T_OK(put_times(ops, s, other, ts, 6, other_ids)); /* same times and ids, other workspace */
    T_OK(ops->events_scan(s, ws, 10.0, 40.0, ev_collect, seen)); /* 40 excluded */
    T_EQ_SIZE(seen->n, 5);
    for (size_t i = 0; i < seen->n; i++) {
        T_EQ_I64(seen->id[i], ids[order[i]]);
        T_NEAR(seen->ts[i], ts[order[i]], 0);
    }
    seen->n = 0;
    T_OK(ops->events_scan(s, ws, 20.0, 30.0, ev_collect, seen));
    T_EQ_SIZE(seen->n, 2);
    seen->n = 0;
    T_OK(ops->events_scan(s, ws, 10.0, 10.0, ev_collect, seen)); /* empty range */
    T_EQ_SIZE(seen->n, 0);
    T_OK(ops->events_scan(s, ws, 40.0, 40.5, ev_collect, seen));
    T_EQ_SIZE(seen->n, 1);
    seen->n = 0;
    seen->stop_at = 2; /* the callback's non-zero value stops the scan and is returned */
    T_EQ_I64(ops->events_scan(s, ws, 0.0, 100.0, ev_collect, seen), 7);
    T_EQ_SIZE(seen->n, 2);
    T_EQ_I64(ops->events_count(s, ws), 6);
    ut_free(seen);
    ops->close(s);
}

CONTRACT(event_fields_round_trip)
{
    struct ut_store *s = NULL;
    struct ev_seen *seen = ev_seen_new();
    struct ut_event ev = mk_event("order-1", 500.25);
    struct ut_event_class cls;
    int64_t ws = 0, id = 0;
    int inserted = 0;

    T_NOTNULL(seen);
    memset(&cls, 0, sizeof(cls));
    ev.name = UT_STR("Order Completed");
    ev.user_id = UT_STR("u-42");
    ev.has_revenue = 1;
    ev.revenue_minor = 1999;
    ev.currency = UT_STR("EUR");
    ev.campaign_source = UT_STR("google");
    cls.is_candidate = 1;
    cls.internal_referrer = 0;
    cls.source = UT_STR("google");
    cls.medium = UT_STR("cpc");
    cls.term = UT_STR(""); /* empty is a value, not NULL */
    cls.channel = UT_STR("Paid Search");
    T_OK(ops->open(&s, loc, UT_STORE_CREATE, NULL));
    T_OK(ops->workspace_create(s, "a", 1.0, &ws));
    T_OK(ops->event_put(s, ws, &ev, &cls, &id, &inserted));
    ev = mk_event("identify-1", 501.0);
    ev.type = UT_EVENT_IDENTIFY;
    ev.name = UT_STR_NULL;
    T_OK(ops->event_put(s, ws, &ev, NULL, &id, &inserted));
    T_OK(ops->events_scan(s, ws, 0.0, 1000.0, ev_collect, seen));
    T_EQ_SIZE(seen->n, 2);
    T_EQ_I64(seen->type[0], UT_EVENT_TRACK);
    T_EQ_STR(seen->name[0], "Order Completed");
    T_EQ_STR(seen->user_id[0], "u-42");
    T_EQ_I64(seen->has_revenue[0], 1);
    T_EQ_I64(seen->revenue[0], 1999);
    T_EQ_STR(seen->currency[0], "EUR");
    T_EQ_I64(seen->candidate[0], 1);
    T_EQ_I64(seen->internal[0], 0);
    T_EQ_STR(seen->source[0], "google");
    T_EQ_STR(seen->channel[0], "Paid Search");
    T_EQ_STR(seen->term[0], "");
    T_NEAR(seen->ts[0], 500.25, 0);
    T_EQ_I64(seen->type[1], UT_EVENT_IDENTIFY);
    T_EQ_STR(seen->name[1], "(null)");
    T_EQ_I64(seen->has_revenue[1], 0);
    T_EQ_I64(seen->candidate[1], 0); /* NULL class: not a candidate */
    T_EQ_STR(seen->source[1], "(null)");
    ut_free(seen);
    ops->close(s);
}

/* ---- identity edges -------------------------------------------------------------- */

CONTRACT(edges)
{
    struct ut_store *s = NULL;
    struct edge_seen *seen = ut_calloc(1, sizeof(*seen));
    struct ut_event ev = mk_event("m-1", 10.0);
    struct ut_identity_edge e;
    int64_t ws = 0, other = 0, eid = 0;
    int inserted = 0;

    T_NOTNULL(seen);
    T_OK(ops->open(&s, loc, UT_STORE_CREATE, NULL));
    T_OK(ops->workspace_create(s, "a", 1.0, &ws));
    T_OK(ops->workspace_create(s, "b", 1.0, &other));
    T_OK(ops->event_put(s, ws, &ev, NULL, &eid, &inserted));
    e.a = UT_STR("anon:abc");
    e.b = UT_STR("user:42");
    e.kind = UT_STR("identify");
    e.event_id = eid;
    e.time = 10.0;
    e.confidence = 1.0;
    T_OK(ops->edge_put(s, ws, &e));
    e.a = UT_STR("user:42");
    e.b = UT_STR("email:x@example.com");
    e.kind = UT_STR("email");
    e.event_id = 0; /* no event */
    e.time = 5.0;
    e.confidence = 0.5;
    T_OK(ops->edge_put(s, ws, &e));
    T_OK(ops->edge_put(s, other, &e));
    e.confidence = 1.5;
    T_ERR(ops->edge_put(s, ws, &e), UT_EINVAL);
    e.confidence = 1.0;
    e.event_id = eid + 1000;
    T_ERR(ops->edge_put(s, ws, &e), UT_ENOTFOUND); /* no such event */
    T_OK(ops->edges_scan(s, ws, edge_collect, seen));
    T_EQ_SIZE(seen->n, 2); /* insertion order */
    T_EQ_STR(seen->a[0], "anon:abc");
    T_EQ_STR(seen->b[0], "user:42");
    T_EQ_STR(seen->kind[0], "identify");
    T_EQ_I64(seen->event_id[0], eid);
    T_NEAR(seen->time[0], 10.0, 0);
    T_NEAR(seen->confidence[0], 1.0, 0);
    T_EQ_STR(seen->b[1], "email:x@example.com");
    T_EQ_I64(seen->event_id[1], 0);
    T_NEAR(seen->confidence[1], 0.5, 0);
    seen->n = 0;
    T_OK(ops->edges_scan(s, other, edge_collect, seen));
    T_EQ_SIZE(seen->n, 1);
    ut_free(seen);
    ops->close(s);
}

/* ---- links and clicks ------------------------------------------------------------ */

static struct ut_link
mk_link(int64_t ws, const char *slug, const char *dest)
{
    struct ut_link l;

    memset(&l, 0, sizeof(l));
    l.workspace_id = ws;
    l.slug = ut_str_cstr(slug);
    l.destination = ut_str_cstr(dest);
    l.created_at = 100.0;
    return l;
}

static struct ut_click
mk_click(int64_t ws, int64_t link_id, const char *token, int is_bot)
{
    struct ut_click c;

    memset(&c, 0, sizeof(c));
    c.workspace_id = ws;
    c.link_id = link_id;
    c.token = ut_str_cstr(token);
    c.visitor_id = UT_STR("v-1");
    c.user_agent = UT_STR("Mozilla/5.0");
    c.ip_truncated = UT_STR("203.0.113.0");
    c.is_bot = is_bot;
    c.time = 150.0;
    return c;
}

CONTRACT(links_crud)
{
    struct ut_buf scratch = UT_BUF_INIT(1 << 20);
    struct ut_store *s = NULL;
    struct ut_link l = {0}, got;
    int64_t ws = 0, other = 0, id = 0, id2 = 0;

    T_OK(ops->open(&s, loc, UT_STORE_CREATE, NULL));
    T_OK(ops->workspace_create(s, "a", 1.0, &ws));
    T_OK(ops->workspace_create(s, "b", 1.0, &other));
    l = mk_link(ws, "spring", "https://example.com/sale");
    l.utm_source = UT_STR("newsletter");
    l.utm_medium = UT_STR("email");
    l.utm_campaign = UT_STR("spring-sale");
    l.partner = UT_STR("acme-affiliates");
    T_OK(ops->link_create(s, &l, &id));
    T_TRUE(id > 0);
    T_ERR(ops->link_create(s, &l, &id2), UT_ECONFLICT);
    l.workspace_id = other; /* slugs are unique across workspaces */
    T_ERR(ops->link_create(s, &l, &id2), UT_ECONFLICT);
    l = mk_link(ws, "", "https://example.com");
    T_ERR(ops->link_create(s, &l, &id2), UT_EINVAL);
    l = mk_link(ws + 100, "orphan", "https://example.com");
    T_ERR(ops->link_create(s, &l, &id2), UT_ENOTFOUND);

    ut_buf_addstr(&scratch, "old content");
    T_OK(ops->link_get(s, "spring", &got, &scratch));
    T_EQ_I64(got.id, id);
    T_EQ_I64(got.workspace_id, ws);
    T_EQ_MEM(got.slug.ptr, got.slug.len, "spring", 6);
    T_EQ_MEM(got.destination.ptr, got.destination.len, "https://example.com/sale", 24);
    T_EQ_MEM(got.utm_campaign.ptr, got.utm_campaign.len, "spring-sale", 11);
    T_EQ_MEM(got.partner.ptr, got.partner.len, "acme-affiliates", 15);
    T_NULL(got.utm_term.ptr);
    T_NEAR(got.created_at, 100.0, 0);
    T_EQ_I64(got.clicks, 0);
    T_EQ_I64(got.bot_clicks, 0);
    T_TRUE(got.slug.ptr >= scratch.ptr && got.slug.ptr < scratch.ptr + scratch.len);
    T_ERR(ops->link_get(s, "nope", &got, &scratch), UT_ENOTFOUND);

    /* update by (workspace, slug) */
    l = mk_link(ws, "spring", "https://example.com/summer");
    l.utm_campaign = UT_STR("summer");
    T_OK(ops->link_update(s, &l));
    T_OK(ops->link_get(s, "spring", &got, &scratch));
    T_EQ_MEM(got.destination.ptr, got.destination.len, "https://example.com/summer", 26);
    T_EQ_MEM(got.utm_campaign.ptr, got.utm_campaign.len, "summer", 6);
    T_NULL(got.partner.ptr);
    l.workspace_id = other;
    T_ERR(ops->link_update(s, &l), UT_ENOTFOUND);
    l = mk_link(ws, "absent", "https://example.com");
    T_ERR(ops->link_update(s, &l), UT_ENOTFOUND);
    ut_buf_release(&scratch);
    ops->close(s);
}

/* Views into scratch stay right even when copying the texts makes the buffer move. */
CONTRACT(link_get_long_texts)
{
    struct ut_buf scratch = UT_BUF_INIT(1 << 20);
    struct ut_buf dest = UT_BUF_INIT(1 << 20);
    struct ut_store *s = NULL;
    struct ut_link l, got;
    int64_t ws = 0, id = 0;

    ut_buf_addstr(&dest, "https://example.com/?q=");
    for (int i = 0; i < 3000; i++) {
        ut_buf_addch(&dest, (char)('a' + i % 26));
    }
    T_OK(ut_buf_err(&dest));
    T_OK(ops->open(&s, loc, UT_STORE_CREATE, NULL));
    T_OK(ops->workspace_create(s, "a", 1.0, &ws));
    l = mk_link(ws, "long", dest.ptr);
    l.partner = UT_STR("p");
    T_OK(ops->link_create(s, &l, &id));
    T_OK(ops->link_get(s, "long", &got, &scratch));
    T_EQ_MEM(got.slug.ptr, got.slug.len, "long", 4);
    T_EQ_MEM(got.destination.ptr, got.destination.len, dest.ptr, dest.len);
    T_EQ_MEM(got.partner.ptr, got.partner.len, "p", 1);
    ut_buf_release(&scratch);
    ut_buf_release(&dest);
    ops->close(s);
}

CONTRACT(links_clicks_delete)
{
    struct ut_buf scratch = UT_BUF_INIT(1 << 20);
    struct ut_store *s = NULL;
    struct link_seen *seen = ut_calloc(1, sizeof(*seen));
    struct ut_link l, got;
    struct ut_click c;
    int64_t ws = 0, other = 0, a = 0, b = 0, x = 0;

    T_NOTNULL(seen);
    T_OK(ops->open(&s, loc, UT_STORE_CREATE, NULL));
    T_OK(ops->workspace_create(s, "a", 1.0, &ws));
    T_OK(ops->workspace_create(s, "b", 1.0, &other));
    l = mk_link(ws, "a1", "https://example.com/a");
    T_OK(ops->link_create(s, &l, &a));
    l = mk_link(ws, "a2", "https://example.com/b");
    T_OK(ops->link_create(s, &l, &b));
    l = mk_link(other, "b1", "https://example.com/x");
    T_OK(ops->link_create(s, &l, &x));
    c = mk_click(ws, a, "tok-1", 0);
    T_OK(ops->click_put(s, &c));
    c = mk_click(ws, a, "tok-2", 0);
    T_OK(ops->click_put(s, &c));
    c = mk_click(ws, a, NULL, 1); /* bots may carry no token; NULLs never conflict */
    T_OK(ops->click_put(s, &c));
    T_OK(ops->click_put(s, &c));
    c = mk_click(ws, b, "tok-3", 1);
    T_OK(ops->click_put(s, &c));
    c = mk_click(ws, b, "tok-1", 0);
    T_ERR(ops->click_put(s, &c), UT_ECONFLICT);
    c = mk_click(ws, x, "tok-9", 0); /* x belongs to the other workspace */
    T_ERR(ops->click_put(s, &c), UT_ENOTFOUND);

    T_OK(ops->link_get(s, "a1", &got, &scratch));
    T_EQ_I64(got.clicks, 2);
    T_EQ_I64(got.bot_clicks, 2);
    T_OK(ops->links_scan(s, ws, link_collect, seen));
    T_EQ_SIZE(seen->n, 2);
    T_EQ_STR(seen->slug[0], "a1");
    T_EQ_I64(seen->clicks[0], 2);
    T_EQ_I64(seen->bot_clicks[0], 2);
    T_EQ_STR(seen->slug[1], "a2");
    T_EQ_STR(seen->destination[1], "https://example.com/b");
    T_EQ_I64(seen->clicks[1], 0);
    T_EQ_I64(seen->bot_clicks[1], 1);

    /* delete: gone for reads, slug never reused */
    T_ERR(ops->link_delete(s, other, "a1"), UT_ENOTFOUND);
    T_OK(ops->link_delete(s, ws, "a1"));
    T_ERR(ops->link_delete(s, ws, "a1"), UT_ENOTFOUND);
    T_ERR(ops->link_get(s, "a1", &got, &scratch), UT_ENOTFOUND);
    l = mk_link(ws, "a1", "https://example.com/new");
    T_ERR(ops->link_update(s, &l), UT_ENOTFOUND);
    T_ERR(ops->link_create(s, &l, &a), UT_ECONFLICT);
    seen->n = 0;
    T_OK(ops->links_scan(s, ws, link_collect, seen));
    T_EQ_SIZE(seen->n, 1);
    T_EQ_STR(seen->slug[0], "a2");
    seen->n = 0;
    T_OK(ops->links_scan(s, other, link_collect, seen));
    T_EQ_SIZE(seen->n, 1);
    ut_free(seen);
    ut_buf_release(&scratch);
    ops->close(s);
}

/* ---- transactions and concurrent handles ----------------------------------------- */

CONTRACT(second_handle_sees_commits)
{
    struct ut_store *w = NULL, *r = NULL;
    struct ut_event ev = mk_event("m-1", 10.0);
    int64_t ws = 0, n = -1;

    T_OK(ops->open(&w, loc, UT_STORE_CREATE, NULL));
    T_OK(ops->workspace_create(w, "a", 1.0, &ws));
    T_OK(ops->open(&r, loc, UT_STORE_READONLY, NULL));
    T_OK(ops->begin(w));
    T_OK(ops->event_put(w, ws, &ev, NULL, NULL, NULL));
    T_EQ_I64(ops->events_count(w, ws), 1);
    T_EQ_I64(ops->events_count(r, ws), 0); /* not committed: invisible, and no wait */
    T_OK(ops->commit(w));
    T_EQ_I64(ops->events_count(r, ws), 1);
    /* a reader's transaction is a snapshot */
    T_OK(ops->begin(r));
    T_EQ_I64(ops->events_count(r, ws), 1);
    ev = mk_event("m-2", 11.0);
    T_OK(ops->event_put(w, ws, &ev, NULL, NULL, NULL)); /* autocommit */
    T_EQ_I64(ops->events_count(r, ws), 1);
    T_OK(ops->commit(r));
    T_EQ_I64(ops->events_count(r, ws), 2);
    T_OK(ops->workspace_count(r, &n));
    T_EQ_I64(n, 1);
    ops->close(r);
    ops->close(w);
}

CONTRACT(rollback_leaves_nothing)
{
    struct ut_store *s = NULL;
    struct ut_event ev = mk_event("m-1", 10.0);
    int64_t ws = 0, n = -1, id = 0;

    T_OK(ops->open(&s, loc, UT_STORE_CREATE, NULL));
    T_OK(ops->rollback(s)); /* nothing open: a no-op */
    T_ERR(ops->commit(s), UT_EINVAL);
    T_OK(ops->begin(s));
    T_ERR(ops->begin(s), UT_EINVAL);
    T_OK(ops->workspace_create(s, "a", 1.0, &ws));
    T_OK(ops->event_put(s, ws, &ev, NULL, NULL, NULL));
    T_OK(ops->rollback(s));
    T_OK(ops->workspace_count(s, &n));
    T_EQ_I64(n, 0);
    T_ERR(ops->workspace_find(s, "a", &id), UT_ENOTFOUND);
    T_EQ_I64(ops->events_count(s, ws), 0);
    /* a failed statement inside a transaction leaves the earlier work in it */
    T_OK(ops->begin(s));
    T_OK(ops->workspace_create(s, "a", 1.0, &ws));
    T_ERR(ops->workspace_create(s, "a", 1.0, &id), UT_ECONFLICT);
    T_OK(ops->commit(s));
    T_OK(ops->workspace_find(s, "a", &id));
    T_EQ_I64(id, ws);
    ops->close(s);
}

CONTRACT(readonly_cannot_write)
{
    struct ut_store *w = NULL, *r = NULL;
    struct ut_event ev = mk_event("m-1", 10.0);
    unsigned char h[32];
    int64_t ws = 0, id = 0;
    int inserted = -1;

    mk_hash(h, 0x44);
    T_OK(ops->open(&w, loc, UT_STORE_CREATE, NULL));
    T_OK(ops->workspace_create(w, "a", 1.0, &ws));
    T_OK(ops->key_create(w, ws, UT_KEY_READ, h, "utr_4444", 1.0));
    ops->close(w);
    T_OK(ops->open(&r, loc, UT_STORE_READONLY, NULL));
    T_OK(ops->workspace_find(r, "a", &id));
    T_ERR(ops->workspace_create(r, "b", 1.0, &id), UT_ESTORE);
    T_TRUE(ops->errmsg(r)[0] != '\0');
    T_ERR(ops->event_put(r, ws, &ev, NULL, &id, &inserted), UT_ESTORE);
    T_EQ_I64(inserted, -1);
    T_ERR(ops->key_revoke(r, h, 2.0), UT_ESTORE);
    T_OK(ops->begin(r));
    T_ERR(ops->workspace_setting_set(r, ws, "k", "v"), UT_ESTORE);
    T_OK(ops->rollback(r));
    T_EQ_I64(ops->events_count(r, ws), 0);
    ops->close(r);
}

/* Two writers: the second waits for the busy timeout (5 s), then gets UT_EAGAIN. */
CONTRACT(second_writer_gets_eagain)
{
    struct ut_store *a = NULL, *b = NULL;
    int64_t ws = 0;

    T_OK(ops->open(&a, loc, UT_STORE_CREATE, NULL));
    T_OK(ops->open(&b, loc, 0, NULL));
    T_OK(ops->begin(a));
    T_OK(ops->workspace_create(a, "a", 1.0, &ws));
    T_ERR(ops->begin(b), UT_EAGAIN);
    T_OK(ops->rollback(b));
    T_OK(ops->commit(a));
    T_OK(ops->begin(b));
    T_OK(ops->workspace_create(b, "b", 1.0, &ws));
    T_OK(ops->commit(b));
    ops->close(a);
    ops->close(b);
}

/* One writer thread commits batches while a reader thread counts: it sees whole batches. */
struct race {
    const struct ut_store_ops *ops;
    const char *loc;
    int64_t ws;
    int batches, per_batch;
    int writer_err, reader_err, torn;
    int64_t reads;
};

static void *
race_writer(void *arg)
{
    struct race *r = arg;
    struct ut_store *s = NULL;
    char mid[32];
    int err = r->ops->open(&s, r->loc, 0, NULL);

    for (int b = 0; b < r->batches && err == UT_OK; b++) {
        err = r->ops->begin(s);
        for (int i = 0; i < r->per_batch && err == UT_OK; i++) {
            struct ut_event ev;

            (void)snprintf(mid, sizeof(mid), "w-%d-%d", b, i);
            ev = mk_event(mid, (double)(b * r->per_batch + i));
            err = r->ops->event_put(s, r->ws, &ev, NULL, NULL, NULL);
        }
        err = err == UT_OK ? r->ops->commit(s) : err;
    }
    if (s != NULL) {
        r->ops->close(s);
    }
    r->writer_err = err;
    return NULL;
}

static void *
race_reader(void *arg)
{
    struct race *r = arg;
    struct ut_store *s = NULL;
    int64_t total = (int64_t)r->batches * r->per_batch, n = 0, last = 0;
    int err = r->ops->open(&s, r->loc, UT_STORE_READONLY, NULL);

    while (err == UT_OK && n < total) {
        n = r->ops->events_count(s, r->ws);
        if (n < 0) {
            err = (int)n;
        } else if (n % r->per_batch != 0 || n < last) {
            r->torn++;
        }
        last = n;
        r->reads++;
    }
    if (s != NULL) {
        r->ops->close(s);
    }
    r->reader_err = err;
    return NULL;
}

CONTRACT(concurrent_writer_and_reader)
{
    struct race r;
    struct ut_store *s = NULL;
    pthread_t tw, tr;

    memset(&r, 0, sizeof(r));
    r.ops = ops;
    r.loc = loc;
    r.batches = 40;
    r.per_batch = 50;
    T_OK(ops->open(&s, loc, UT_STORE_CREATE, NULL));
    T_OK(ops->workspace_create(s, "a", 1.0, &r.ws));
    ops->close(s);
    T_OK(pthread_create(&tr, NULL, race_reader, &r));
    T_OK(pthread_create(&tw, NULL, race_writer, &r));
    T_OK(pthread_join(tw, NULL));
    T_OK(pthread_join(tr, NULL));
    T_OK(r.writer_err);
    T_OK(r.reader_err);
    T_EQ_I64(r.torn, 0);
    T_TRUE(r.reads > 0);
    printf("# concurrent: reader counted %lld times during %d commits\n", (long long)r.reads,
           r.batches);
}

/* ---- SQLite specifics ------------------------------------------------------------ */

/* Run SQL on the database file directly (no store), for setting up odd cases. */
static int
raw_exec(const char *loc, const char *sql)
{
    char path[512];
    sqlite3 *db = NULL;
    int rc;

    (void)snprintf(path, sizeof(path), "%s/utmost.db", loc);
    rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    }
    sqlite3_close(db);
    return rc;
}

static int64_t
raw_i64(const char *loc, const char *sql)
{
    char path[512];
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int64_t v = -1;

    (void)snprintf(path, sizeof(path), "%s/utmost.db", loc);
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
        v = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

CONTRACT(sq_file_layout)
{
    struct ut_store *s = NULL;
    struct stat st;
    char path[512];

    T_OK(ops->open(&s, loc, UT_STORE_CREATE, NULL));
    T_OK(stat(loc, &st));
    T_TRUE(S_ISDIR(st.st_mode));
    T_EQ_I64(st.st_mode & 0777, 0700);
    (void)snprintf(path, sizeof(path), "%s/utmost.db", loc);
    T_OK(stat(path, &st));
    ops->close(s);
    T_OK(ops->open(&s, loc, UT_STORE_CREATE, NULL));
    ops->close(s);
    T_EQ_I64(raw_i64(loc, "SELECT count(*) FROM pragma_journal_mode WHERE journal_mode = 'wal'"),
             1);
    /* reopening ran no migration twice */
    T_EQ_I64(raw_i64(loc, "SELECT count(*) FROM schema_migrations"), (int64_t)ut__migrations_count);
    T_EQ_I64(raw_i64(loc, "SELECT max(version) FROM schema_migrations"),
             (int64_t)ut__migrations_count);
    /* a file in the way of the directory */
    (void)snprintf(path, sizeof(path), "%s/utmost.db", loc);
    T_ERR(ops->open(&s, path, UT_STORE_CREATE, NULL), UT_EIO);
    (void)snprintf(path, sizeof(path), "%s/utmost.db/sub", loc);
    T_ERR(ops->open(&s, path, UT_STORE_CREATE, NULL), UT_EIO);
    /* missing parents are created too */
    (void)snprintf(path, sizeof(path), "%s/nested//deeper/", loc);
    T_OK(ops->open(&s, path, UT_STORE_CREATE, NULL));
    ops->close(s);
    (void)snprintf(path, sizeof(path), "%s/nested/deeper", loc);
    T_OK(stat(path, &st));
    T_EQ_I64(st.st_mode & 0777, 0700);
    rm_flat(path);
    (void)snprintf(path, sizeof(path), "%s/nested", loc);
    T_OK(rmdir(path));
}

CONTRACT(sq_newer_schema_refused)
{
    struct ut_store *s = NULL;
    struct ut_diag d;

    memset(&d, 0, sizeof(d));
    T_OK(ops->open(&s, loc, UT_STORE_CREATE, NULL));
    ops->close(s);
    s = NULL;
    T_EQ_I64(raw_exec(loc, "INSERT INTO schema_migrations VALUES (999, '0999_future', 0)"),
             SQLITE_OK);
    T_ERR(ops->open(&s, loc, UT_STORE_CREATE, &d), UT_ESTORE);
    T_NULL(s);
    T_TRUE(strstr(d.msg, "newer") != NULL);
    printf("# %s\n", d.msg);
    T_ERR(ops->open(&s, loc, 0, NULL), UT_ESTORE);
    T_ERR(ops->open(&s, loc, UT_STORE_READONLY, NULL), UT_ESTORE);
    T_NULL(s);
}

/* An empty database file is migrated by CREATE only. */
CONTRACT(sq_old_schema_needs_create)
{
    struct ut_store *s = NULL;
    struct ut_diag d;
    int64_t n = -1;

    memset(&d, 0, sizeof(d));
    T_OK(mkdir(loc, 0700));
    T_EQ_I64(raw_exec(loc, "CREATE TABLE unrelated (x)"), SQLITE_OK);
    T_ERR(ops->open(&s, loc, 0, &d), UT_ESTORE);
    T_TRUE(strstr(d.msg, "schema version 0") != NULL);
    T_ERR(ops->open(&s, loc, UT_STORE_READONLY, NULL), UT_ESTORE);
    T_OK(ops->open(&s, loc, UT_STORE_CREATE, NULL));
    T_OK(ops->workspace_count(s, &n));
    T_EQ_I64(n, 0);
    ops->close(s);
}

/* ---- throughput ------------------------------------------------------------------ */

static double
clock_seconds(clockid_t id)
{
    struct timespec ts;

    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Events per run: UT_STORE_BENCH_EVENTS, default 20000 (a fresh database, a stable rate). */
static int
bench_events(void)
{
    const char *env = getenv("UT_STORE_BENCH_EVENTS");
    long n = env != NULL ? strtol(env, NULL, 10) : 0;

    return n > 0 && n <= 10000000 ? (int)n : 20000;
}

/*
 * Put n realistic events (about 360 bytes a row, classified) in transactions
 * of batch and print events/s by the wall clock and by CPU time (the machine
 * may be shared). Message ids are random like the UUIDs clients send, or
 * time-ordered (UUIDv7-like), which keeps the unique index's inserts local.
 */
static void
bench_put(const struct ut_store_ops *ops, const char *loc, int batch, int ordered)
{
    static const char body[] =
        "{\"type\":\"track\",\"event\":\"Page Viewed\",\"properties\":{\"path\":\"/pricing\","
        "\"title\":\"Pricing\"},\"context\":{\"page\":{\"url\":\"https://example.com/pricing\"}"
        ",\"userAgent\":\"Mozilla/5.0\"}}";
    struct ut_store *s = NULL;
    struct ut_event_class cls;
    int n = bench_events();
    char mid[48], anon[32];
    int64_t ws = 0;
    double t0, c0, dt, dc;

    memset(&cls, 0, sizeof(cls));
    cls.channel = UT_STR("Organic Search");
    cls.source = UT_STR("google");
    T_OK(ops->open(&s, loc, UT_STORE_CREATE, NULL));
    T_OK(ops->workspace_create(s, "bench", 1.0, &ws));
    t0 = clock_seconds(CLOCK_MONOTONIC);
    c0 = clock_seconds(CLOCK_PROCESS_CPUTIME_ID);
    for (int i = 0; i < n; i += batch) {
        T_OK(ops->begin(s));
        for (int j = i; j < i + batch && j < n; j++) {
            unsigned scatter = (unsigned)j * 2654435761u;
            struct ut_event ev;

            if (ordered) {
                (void)snprintf(mid, sizeof(mid), "%012d-4c1b-9a57-%08x", j, scatter);
            } else {
                (void)snprintf(mid, sizeof(mid), "%08x-4c1b-9a57-%012d", scatter, j);
            }
            (void)snprintf(anon, sizeof(anon), "anon-%d", j % 997);
            ev = mk_event(mid, 1.7e9 + j);
            ev.anonymous_id = ut_str_cstr(anon);
            ev.url = UT_STR("https://example.com/pricing");
            ev.referrer = UT_STR("https://www.google.com/");
            ev.ip = UT_STR("203.0.113.7");
            ev.user_agent = UT_STR("Mozilla/5.0 (X11; Linux x86_64)");
            ev.body = ut_str_make(body, sizeof(body) - 1);
            T_OK(ops->event_put(s, ws, &ev, &cls, NULL, NULL));
        }
        T_OK(ops->commit(s));
    }
    dt = clock_seconds(CLOCK_MONOTONIC) - t0;
    dc = clock_seconds(CLOCK_PROCESS_CPUTIME_ID) - c0;
    T_EQ_I64(ops->events_count(s, ws), n);
    printf("# event_put %s ids, synchronous=FULL, %4d per transaction: %d events in %.3f s = "
           "%.0f/s (%.0f/s of CPU time)\n",
           ordered ? "ordered" : "random ", batch, n, dt, (double)n / dt, (double)n / dc);
    ops->close(s);
}

CONTRACT(bench_put_100)
{
    bench_put(ops, loc, 100, 0);
}

CONTRACT(bench_put_1000)
{
    bench_put(ops, loc, 1000, 0);
}

CONTRACT(bench_put_1000_ordered)
{
    bench_put(ops, loc, 1000, 1);
}

T_LIST(T_CASE(ops_for_location), T_CASE(open_unknown_adapter), T_CASE(create_and_reopen),
       T_CASE(workspaces), T_CASE(settings), T_CASE(keys), T_CASE(event_duplicate),
       T_CASE(event_workspace_isolation), T_CASE(events_scan_order_range),
       T_CASE(event_fields_round_trip), T_CASE(edges), T_CASE(links_crud),
       T_CASE(link_get_long_texts), T_CASE(links_clicks_delete), T_CASE(second_handle_sees_commits),
       T_CASE(rollback_leaves_nothing), T_CASE(readonly_cannot_write),
       T_CASE(second_writer_gets_eagain), T_CASE(concurrent_writer_and_reader),
       T_CASE(sq_file_layout), T_CASE(sq_newer_schema_refused), T_CASE(sq_old_schema_needs_create),
       T_CASE(bench_put_100), T_CASE(bench_put_1000), T_CASE(bench_put_1000_ordered))

T_MAIN()
