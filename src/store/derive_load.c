/*
 * store/derive_load.c - the glue between the storage port and the pure
 * derivation: scan a workspace's links, edges and events through the ops
 * table (any adapter) and feed them to core/derive.c. Row views die with the
 * row, so everything kept is copied by the builder. Reads only; one read
 * transaction for a consistent snapshot. The setting is parsed with cJSON
 * (linked through ut_ingest's PkgConfig::CJSON).
 */
#include "util/setup.h"

#include "store/derive_load.h"

#include <cjson/cJSON.h>
#include <float.h>
#include <math.h>
#include <string.h>

#include "store/adapters.h"
#include "util/buf.h"
#include "util/diag.h"

/* Longest conversion_events setting read (a list of names, not a document). */
#define SETTING_MAX ((size_t)1 << 20)

struct load_ctx {
    struct ut_derive *d;
    struct ut_diag *diag;
    int err; /* the builder's error that stopped a scan */
};

int
ut_derive_conversion_names(struct ut_derive *d, const char *json, size_t len, struct ut_diag *diag)
{
    cJSON *root = cJSON_ParseWithLength(json, len);
    const cJSON *item;
    int err = UT_OK;

    if (root == NULL || !cJSON_IsArray(root)) {
        ut_diag_set(diag, "setting '%s' is not a JSON array of strings",
                    UT_SETTING_CONVERSION_EVENTS);
        cJSON_Delete(root);
        return UT_EPARSE;
    }
    cJSON_ArrayForEach(item, root)
    {
        if (!cJSON_IsString(item) || item->valuestring == NULL) {
            ut_diag_set(diag, "setting '%s' holds a value that is not a string",
                        UT_SETTING_CONVERSION_EVENTS);
            err = UT_EPARSE;
            break;
        }
        err = ut_derive_add_conversion_name(d, item->valuestring, strlen(item->valuestring));
        if (err != UT_OK) {
            break;
        }
    }
    cJSON_Delete(root);
    return err;
}

static int
on_link(void *arg, const struct ut_link *l)
{
    struct load_ctx *c = arg;

    c->err = ut_derive_add_link(c->d, l->slug, l->partner);
    return c->err != UT_OK;
}

static int
on_edge(void *arg, const struct ut_identity_edge *e)
{
    struct load_ctx *c = arg;
    struct ut_derive_edge de;

    de.a = e->a;
    de.b = e->b;
    de.kind = e->kind;
    de.event_id = e->event_id;
    de.confidence = e->confidence;
    c->err = ut_derive_add_edge(c->d, &de);
    return c->err != UT_OK;
}

static int
on_event(void *arg, const struct ut_event_row *r)
{
    struct load_ctx *c = arg;
    struct ut_derive_event ev;

    ev.id = r->id;
    ev.type = r->type;
    ev.time = r->timestamp;
    ev.name = r->name;
    ev.anonymous_id = r->anonymous_id;
    ev.user_id = r->user_id;
    ev.has_revenue = r->has_revenue;
    ev.revenue_minor = r->revenue_minor;
    ev.currency = r->currency;
    ev.is_candidate = r->cls.is_candidate;
    ev.internal_referrer = r->cls.internal_referrer;
    ev.source = r->cls.source;
    ev.medium = r->cls.medium;
    ev.campaign = r->cls.campaign;
    ev.content = r->cls.content;
    ev.term = r->cls.term;
    ev.click_id = r->cls.click_id;
    ev.channel = r->cls.channel;
    c->err = ut_derive_add_event(c->d, &ev, c->diag);
    return c->err != UT_OK;
}

/* The setting's names into d (the adapter answers the default for an unset key). */
static int
load_setting(struct ut_store *s, int64_t ws, struct ut_derive *d, struct ut_diag *diag)
{
    struct ut_buf v = UT_BUF_INIT(SETTING_MAX);
    int err = ut_store_ops(s)->workspace_setting_get(s, ws, UT_SETTING_CONVERSION_EVENTS, &v);

    if (err == UT_ENOTFOUND) {
        ut_buf_clear(&v);
        ut_buf_addstr(&v, UT_SETTING_CONVERSION_EVENTS_DEFAULT);
        err = ut_buf_err(&v);
    }
    if (err == UT_OK) {
        err = ut_derive_conversion_names(d, v.ptr, v.len, diag);
    } else if (err == UT_ESTORE) {
        ut_diag_set(diag, "%s", ut_store_ops(s)->errmsg(s));
    }
    ut_buf_release(&v);
    return err;
}

/* A finite bound for the adapters (SQL may not like infinities). */
static double
finite_bound(double t)
{
    return isfinite(t) ? t : (t < 0 ? -DBL_MAX : DBL_MAX);
}

/* Scan result: a store failure (message copied) or the builder's error that stopped it. */
static int
scan_result(struct ut_store *s, int rc, const struct load_ctx *c, struct ut_diag *diag)
{
    if (rc == UT_OK) {
        return UT_OK;
    }
    if (c->err != UT_OK) {
        if (diag != NULL && diag->msg[0] == '\0') {
            ut_diag_set(diag, "%s", ut_strerror(c->err));
        }
        return c->err;
    }
    ut_diag_set(diag, "%s", ut_store_ops(s)->errmsg(s));
    return rc < 0 ? rc : UT_ESTORE;
}

/* Everything but the transaction: setting, links, edges, events, then finish. */
static int
load_all(struct ut_store *s, int64_t ws, const struct ut_derive_opts *o, struct ut_derive *d,
         struct ut_diag *diag)
{
    const struct ut_store_ops *ops = ut_store_ops(s);
    struct load_ctx c = {d, diag, UT_OK};
    int err;

    err = load_setting(s, ws, d, diag);
    if (err == UT_OK) {
        err = scan_result(s, ops->links_scan(s, ws, on_link, &c), &c, diag);
    }
    if (err == UT_OK) {
        err = scan_result(s, ops->edges_scan(s, ws, on_edge, &c), &c, diag);
    }
    if (err == UT_OK) {
        double from = finite_bound(o->touch_from - o->session_timeout);

        err = scan_result(s, ops->events_scan(s, ws, from, finite_bound(o->conv_to), on_event, &c),
                          &c, diag);
    }
    if (err == UT_OK) {
        err = ut_derive_finish(d, diag);
    }
    return err;
}

int
ut_derive_load(struct ut_store *s, int64_t ws, const struct ut_derive_opts *o,
               struct ut_derive **out, struct ut_diag *diag)
{
    static const struct ut_derive_opts defaults = UT_DERIVE_OPTS_INIT;
    const struct ut_store_ops *ops = ut_store_ops(s);
    struct ut_derive *d = NULL;
    int err;

    o = o != NULL ? o : &defaults;
    err = ut_derive_new(&d, o);
    if (err != UT_OK) {
        ut_diag_set(diag, "%s", ut_strerror(err));
        return err;
    }
    err = ops->begin(s);
    if (err != UT_OK) {
        ut_diag_set(diag, "%s", ops->errmsg(s));
        ut_derive_free(d);
        return err;
    }
    err = load_all(s, ws, o, d, diag);
    if (err == UT_OK) {
        err = ops->commit(s);
        if (err != UT_OK) {
            ut_diag_set(diag, "%s", ops->errmsg(s));
        }
    } else {
        (void)ops->rollback(s);
    }
    if (err != UT_OK) {
        ut_derive_free(d);
        return err;
    }
    *out = d;
    return UT_OK;
}
