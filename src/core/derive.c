/*
 * core/derive.c - touches, persons and conversions from stored events.
 * Identifiers ("ns:value") are interned as nodes of a union-find (path
 * compression, union by size, ties to the lower id, so the forest is the
 * same for the same input). Events stream through once, in (time, id)
 * order: sessions are tracked per device node, touches and conversions are
 * recorded against the device node, and only finish() maps nodes to persons,
 * because evidence seen later (edges, later events) may still join them.
 * Never does I/O; never reads a clock.
 */
#include "util/setup.h"

#include "core/derive.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/channel.h"
#include "core/money.h"
#include "util/alloc.h"
#include "util/ascii.h"
#include "util/buf.h"
#include "util/diag.h"
#include "util/hash.h"

#define NO_NODE UINT32_MAX
#define DIM_NONE "(none)"
/* Longest identifier kept: longer ones are cut (they are ids, not text). */
#define IDENT_MAX ((size_t)64 << 10)

/* Per identifier node: union-find links and, when it is a device, its session clock. */
struct dv_node {
    uint32_t parent, size;
    double last;         /* time of the device's last page/screen/click; -inf if none */
    uint64_t first_seen; /* ordinal of the first event naming it; UINT64_MAX if none */
};

/* What a touch needs until finish(): its device node and the click token it carried. */
struct dv_taux {
    uint32_t node, token;
};

struct ut_derive {
    struct ut_derive_opts o;
    int finished;
    struct ut_strtab ids;   /* identifier nodes */
    struct ut_strtab strs;  /* every other string handed out */
    struct ut_strtab convs; /* conversion event names */
    struct dv_node *nodes;
    size_t nodes_cap;
    struct ut_u64map edge_token;   /* event id -> click token node it carried */
    struct ut_u64map token_slug;   /* click token node -> strs id of the clicked link's slug */
    struct ut_u64map link_partner; /* strs id of a slug -> strs id of its partner + 1 */
    struct ut_derive_touch *touches;
    struct dv_taux *taux;
    size_t ntouches, touches_cap, taux_cap;
    struct ut_derive_conversion *cvs;
    uint32_t *cv_node;
    size_t ncvs, cvs_cap, cv_node_cap;
    uint64_t nevents;
    double last_time;
    int64_t last_id;
    struct ut_buf scratch;
    /* the result, built by finish() */
    struct ut_derive_result r;
    uint32_t *node_person; /* per node */
    struct ut_str *idents;
    size_t *ident_off, *touch_off, *conv_off;
    uint32_t *touch_ix, *conv_ix;
};

static const char *const dim_names[UT_DIM_COUNT] = {
    "channel", "source", "medium", "campaign", "content", "term", "link", "partner",
};

int
ut_derive_dim_parse(const char *s, enum ut_derive_dim *out)
{
    for (size_t i = 0; i < UT_DIM_COUNT; i++) {
        if (strcmp(s, dim_names[i]) == 0) {
            *out = (enum ut_derive_dim)i;
            return 0;
        }
    }
    return -1;
}

const char *
ut_derive_dim_name(enum ut_derive_dim d)
{
    return (unsigned)d < UT_DIM_COUNT ? dim_names[d] : NULL;
}

/* ---- lifecycle -------------------------------------------------------------------------- */

int
ut_derive_new(struct ut_derive **out, const struct ut_derive_opts *o)
{
    static const struct ut_derive_opts defaults = UT_DERIVE_OPTS_INIT;
    struct ut_derive *d;

    if (o != NULL && (isnan(o->conv_from) || isnan(o->conv_to) || isnan(o->touch_from) ||
                      !(o->session_timeout > 0))) {
        return UT_EINVAL;
    }
    d = ut_calloc(1, sizeof(*d));
    if (d == NULL) {
        return UT_ENOMEM;
    }
    d->o = o != NULL ? *o : defaults;
    ut_strtab_init(&d->ids);
    ut_strtab_init(&d->strs);
    ut_strtab_init(&d->convs);
    ut_u64map_init(&d->edge_token);
    ut_u64map_init(&d->token_slug);
    ut_u64map_init(&d->link_partner);
    ut_buf_init(&d->scratch, IDENT_MAX + 64);
    *out = d;
    return UT_OK;
}

void
ut_derive_free(struct ut_derive *d)
{
    if (d == NULL) {
        return;
    }
    ut_strtab_release(&d->ids);
    ut_strtab_release(&d->strs);
    ut_strtab_release(&d->convs);
    ut_u64map_release(&d->edge_token);
    ut_u64map_release(&d->token_slug);
    ut_u64map_release(&d->link_partner);
    ut_buf_release(&d->scratch);
    ut_free(d->nodes);
    ut_free(d->touches);
    ut_free(d->taux);
    ut_free(d->cvs);
    ut_free(d->cv_node);
    ut_free(d->node_person);
    ut_free(d->idents);
    ut_free(d->ident_off);
    ut_free(d->touch_off);
    ut_free(d->conv_off);
    ut_free(d->touch_ix);
    ut_free(d->conv_ix);
    ut_free(d);
}

/* ---- strings and identifier nodes ------------------------------------------------------- */

/* s interned in strs (NUL-terminated, stable until free), or NULL when s is empty. */
static int
intern_str(struct ut_derive *d, struct ut_str s, const char **out)
{
    uint32_t id = 0;
    int err;

    if (ut_str_empty(s)) {
        *out = NULL;
        return UT_OK;
    }
    err = ut_strtab_intern(&d->strs, s.ptr, s.len, &id);
    if (err == UT_OK) {
        *out = ut_strtab_get(&d->strs, id, NULL);
    }
    return err;
}

/* Intern identifier s[0..len) as a node; a new node starts as its own set. */
static int
node_intern(struct ut_derive *d, const char *s, size_t len, uint32_t *out)
{
    size_t before = d->ids.count;
    uint32_t id = 0;
    int err;

    if (len > IDENT_MAX) {
        len = IDENT_MAX;
    }
    /* room for a new node first: an id must never exist without its node */
    err = ut_grow((void **)&d->nodes, &d->nodes_cap, before + 1, sizeof(*d->nodes));
    if (err == UT_OK) {
        err = ut_strtab_intern(&d->ids, s, len, &id);
    }
    if (err != UT_OK) {
        return err;
    }
    if (d->ids.count != before) {
        d->nodes[id].parent = id;
        d->nodes[id].size = 1;
        d->nodes[id].last = -HUGE_VAL;
        d->nodes[id].first_seen = UINT64_MAX;
    }
    *out = id;
    return UT_OK;
}

/* The node "ns:value" (value not empty). */
static int
node_ns(struct ut_derive *d, const char *ns, struct ut_str value, uint32_t *out)
{
    ut_buf_clear(&d->scratch);
    ut_buf_addstr(&d->scratch, ns);
    ut_buf_addch(&d->scratch, ':');
    ut_buf_add(&d->scratch, value.ptr, value.len > IDENT_MAX ? IDENT_MAX : value.len);
    if (ut_buf_err(&d->scratch) != UT_OK) {
        return ut_buf_err(&d->scratch);
    }
    return node_intern(d, d->scratch.ptr, d->scratch.len, out);
}

static uint32_t
node_find(struct ut_derive *d, uint32_t x)
{
    uint32_t root = x;

    while (d->nodes[root].parent != root) {
        root = d->nodes[root].parent;
    }
    while (d->nodes[x].parent != root) { /* path compression */
        uint32_t next = d->nodes[x].parent;

        d->nodes[x].parent = root;
        x = next;
    }
    return root;
}

/* Join the sets of a and b: the smaller under the larger, ties under the lower id. */
static void
node_union(struct ut_derive *d, uint32_t a, uint32_t b)
{
    uint32_t ra = node_find(d, a), rb = node_find(d, b), sa, sb, t;

    if (ra == rb) {
        return;
    }
    sa = d->nodes[ra].size;
    sb = d->nodes[rb].size;
    if (sa < sb || (sa == sb && rb < ra)) {
        t = ra;
        ra = rb;
        rb = t;
    }
    d->nodes[rb].parent = ra;
    d->nodes[ra].size = sa + sb;
}

/* ---- inputs ----------------------------------------------------------------------------- */

int
ut_derive_add_conversion_name(struct ut_derive *d, const char *name, size_t len)
{
    uint32_t id;

    if (d->finished || d->nevents != 0) {
        return UT_EINVAL; /* events already seen were judged without this name */
    }
    return ut_strtab_intern(&d->convs, name, len, &id);
}

int
ut_derive_add_link(struct ut_derive *d, struct ut_str slug, struct ut_str partner)
{
    uint32_t sid = 0, pid = 0;
    uint64_t *val = NULL;
    int err;

    if (d->finished || ut_str_empty(slug)) {
        return d->finished ? UT_EINVAL : UT_OK;
    }
    err = ut_strtab_intern(&d->strs, slug.ptr, slug.len, &sid);
    if (err == UT_OK && !ut_str_empty(partner)) {
        err = ut_strtab_intern(&d->strs, partner.ptr, partner.len, &pid);
        pid++;
    }
    if (err == UT_OK) {
        err = ut_u64map_upsert(&d->link_partner, sid, 0, &val, NULL);
    }
    if (err == UT_OK) {
        *val = pid;
    }
    return err;
}

static int
has_prefix(struct ut_str s, const char *prefix)
{
    size_t n = strlen(prefix);

    return s.len >= n && memcmp(s.ptr, prefix, n) == 0;
}

int
ut_derive_add_edge(struct ut_derive *d, const struct ut_derive_edge *e)
{
    uint32_t a = 0, b = 0;
    uint64_t *val = NULL;
    int err;

    if (d->finished || d->nevents != 0) {
        return UT_EINVAL;
    }
    if (ut_str_empty(e->a) || ut_str_empty(e->b) || !(e->confidence >= 1.0)) {
        return UT_OK; /* probabilistic evidence never merges persons here */
    }
    err = node_intern(d, e->a.ptr, e->a.len, &a);
    if (err == UT_OK) {
        err = node_intern(d, e->b.ptr, e->b.len, &b);
    }
    if (err != UT_OK) {
        return err;
    }
    node_union(d, a, b);
    /* Remember which event carried a link click token: its page is a tracking-link touch. */
    if (e->event_id > 0 && (has_prefix(e->a, "click:") || has_prefix(e->b, "click:"))) {
        err = ut_u64map_upsert(&d->edge_token, (uint64_t)e->event_id, 0, &val, NULL);
        if (err != UT_OK) {
            return err;
        }
        *val = (uint64_t)(has_prefix(e->b, "click:") ? b : a) + 1;
    }
    return UT_OK;
}

/* The click token node the event carried (from its edges), or NO_NODE. */
static uint32_t
event_token(const struct ut_derive *d, int64_t event_id)
{
    const uint64_t *v = event_id > 0 ? ut_u64map_get(&d->edge_token, (uint64_t)event_id) : NULL;

    return v != NULL && *v != 0 ? (uint32_t)(*v - 1) : NO_NODE;
}

/* Fill t's strings: the stored classification, or Direct for a bare session start. */
static int
touch_strings(struct ut_derive *d, const struct ut_derive_event *ev, struct ut_derive_touch *t)
{
    const struct ut_str *in[] = {&ev->channel, &ev->source, &ev->medium,  &ev->campaign,
                                 &ev->content, &ev->term,   &ev->click_id};
    const char **out[] = {&t->channel, &t->source, &t->medium,  &t->campaign,
                          &t->content, &t->term,   &t->click_id};
    int err = UT_OK;

    for (size_t i = 0; i < UT_ARRAY_LEN(in) && err == UT_OK; i++) {
        err = intern_str(d, *in[i], out[i]);
    }
    if (err != UT_OK) {
        return err;
    }
    if (!ev->is_candidate) {
        /* a session start (or a page that only carried a link token): Direct */
        t->channel = ut_channel_group_name(UT_CHANNEL_DIRECT);
        t->source = "(direct)";
        t->medium = "(none)";
    } else if (t->channel == NULL) {
        t->channel = ut_channel_group_name(UT_CHANNEL_UNASSIGNED);
    }
    return UT_OK;
}

/* A link click: remember which slug its token belongs to (the landing page carries the token). */
static int
note_click_slug(struct ut_derive *d, const struct ut_derive_event *ev, uint32_t token)
{
    uint64_t *val = NULL;
    uint32_t sid = 0;
    int err;

    if (ev->type != UT_EVENT_CLICK || token == NO_NODE || ut_str_empty(ev->name)) {
        return UT_OK;
    }
    err = ut_strtab_intern(&d->strs, ev->name.ptr, ev->name.len, &sid);
    if (err == UT_OK) {
        err = ut_u64map_upsert(&d->token_slug, token, 0, &val, NULL);
    }
    if (err == UT_OK) {
        *val = sid;
    }
    return err;
}

/* Record the touch of ev (device dev, click token token, session start start). */
static int
push_touch(struct ut_derive *d, const struct ut_derive_event *ev, uint32_t dev, uint32_t token,
           int start)
{
    struct ut_derive_touch *t;
    int err;

    if (d->ntouches >= UINT32_MAX - 1) {
        return UT_ELIMIT;
    }
    err = ut_grow((void **)&d->touches, &d->touches_cap, d->ntouches + 1, sizeof(*d->touches));
    if (err == UT_OK) {
        err = ut_grow((void **)&d->taux, &d->taux_cap, d->ntouches + 1, sizeof(*d->taux));
    }
    if (err != UT_OK) {
        return err;
    }
    t = &d->touches[d->ntouches];
    memset(t, 0, sizeof(*t));
    t->event_id = ev->id;
    t->time = ev->time;
    t->type = ev->type;
    t->session_start = !ev->is_candidate && start;
    err = touch_strings(d, ev, t);
    if (err == UT_OK && ev->type == UT_EVENT_CLICK) {
        err = intern_str(d, ev->name, &t->link);
    }
    if (err != UT_OK) {
        return err;
    }
    t->flags = ut_ascii_ieq_lit(t->channel, strlen(t->channel), "direct") ? UT_TOUCH_DIRECT : 0;
    d->taux[d->ntouches].node = dev;
    d->taux[d->ntouches].token = token;
    d->ntouches++;
    return UT_OK;
}

/*
 * A page, screen or link click of device dev: update the device's session,
 * and record a touch when the event carries campaign information (stored
 * classification or a link click token) or starts a session without an
 * internal referrer (Direct).
 */
static int
add_visit(struct ut_derive *d, const struct ut_derive_event *ev, uint32_t dev)
{
    uint32_t token = event_token(d, ev->id);
    int start, err;

    /* a new session unless the device was active less than the timeout ago */
    start = !(ev->time - d->nodes[dev].last < d->o.session_timeout);
    d->nodes[dev].last = ev->time;
    err = note_click_slug(d, ev, token);
    if (err != UT_OK) {
        return err;
    }
    if (ev->time < d->o.touch_from || !(ev->time < d->o.conv_to)) {
        return UT_OK; /* outside the window: only the session clock mattered */
    }
    if (!ev->is_candidate && token == NO_NODE && !(start && !ev->internal_referrer)) {
        return UT_OK; /* a page view inside a visit, or an internal referrer */
    }
    return push_touch(d, ev, dev, token, start);
}

/* 10^e for the currency exponents money.h knows (0..3; anything else reads as 2). */
static double
minor_scale(struct ut_str currency)
{
    static const double p10[] = {1.0, 10.0, 100.0, 1000.0};
    int e = ut_str_empty(currency) ? 2 : ut_currency_exponent(currency.ptr, currency.len);

    return e >= 0 && (size_t)e < UT_ARRAY_LEN(p10) ? p10[e] : 100.0;
}

/* A track event named in the conversion list and inside the window becomes a conversion. */
static int
add_conversion(struct ut_derive *d, const struct ut_derive_event *ev, uint32_t dev)
{
    struct ut_derive_conversion *c;
    uint32_t id;
    int err;

    if (ut_str_empty(ev->name) || ut_strtab_find(&d->convs, ev->name.ptr, ev->name.len, &id) != 0 ||
        ev->time < d->o.conv_from || !(ev->time < d->o.conv_to)) {
        return UT_OK;
    }
    if (d->ncvs >= UINT32_MAX - 1) {
        return UT_ELIMIT;
    }
    err = ut_grow((void **)&d->cvs, &d->cvs_cap, d->ncvs + 1, sizeof(*d->cvs));
    if (err == UT_OK) {
        err = ut_grow((void **)&d->cv_node, &d->cv_node_cap, d->ncvs + 1, sizeof(*d->cv_node));
    }
    if (err != UT_OK) {
        return err;
    }
    c = &d->cvs[d->ncvs];
    memset(c, 0, sizeof(*c));
    c->event_id = ev->id;
    c->time = ev->time;
    c->has_revenue = ev->has_revenue;
    c->revenue_minor = ev->has_revenue ? ev->revenue_minor : 0;
    /* mixed currencies are summed as plain numbers until exchange rates exist */
    c->value = ev->has_revenue ? (double)ev->revenue_minor / minor_scale(ev->currency) : 0.0;
    err = intern_str(d, ev->name, &c->name);
    if (err == UT_OK) {
        err = intern_str(d, ev->currency, &c->currency);
    }
    if (err != UT_OK) {
        return err;
    }
    d->cv_node[d->ncvs] = dev;
    d->ncvs++;
    return UT_OK;
}

/* The event's own identifiers: anon:<anonymous_id>, user:<user_id>, joined when both. */
static int
event_nodes(struct ut_derive *d, const struct ut_derive_event *ev, uint32_t *dev)
{
    uint32_t anon = NO_NODE, user = NO_NODE;
    int err = UT_OK;

    if (!ut_str_empty(ev->anonymous_id)) {
        err = node_ns(d, "anon", ev->anonymous_id, &anon);
    }
    if (err == UT_OK && !ut_str_empty(ev->user_id)) {
        err = node_ns(d, "user", ev->user_id, &user);
    }
    if (err != UT_OK) {
        return err;
    }
    if (anon != NO_NODE && user != NO_NODE) {
        node_union(d, anon, user);
    }
    if (anon != NO_NODE && d->nodes[anon].first_seen == UINT64_MAX) {
        d->nodes[anon].first_seen = d->nevents;
    }
    if (user != NO_NODE && d->nodes[user].first_seen == UINT64_MAX) {
        d->nodes[user].first_seen = d->nevents;
    }
    /* the device is the browser (anonymous id); an event with only a user id uses that */
    *dev = anon != NO_NODE ? anon : user;
    return UT_OK;
}

int
ut_derive_add_event(struct ut_derive *d, const struct ut_derive_event *ev, struct ut_diag *diag)
{
    uint32_t dev;
    int err;

    if (d->finished) {
        ut_diag_set(diag, "events added after finish");
        return UT_EINVAL;
    }
    if (!isfinite(ev->time)) {
        ut_diag_set(diag, "event %lld: time is not finite", (long long)ev->id);
        return UT_EINVAL;
    }
    if (d->nevents != 0 &&
        (ev->time < d->last_time || (ev->time == d->last_time && ev->id < d->last_id))) {
        ut_diag_set(diag, "event %lld: not in (time, id) order", (long long)ev->id);
        return UT_EINVAL;
    }
    d->last_time = ev->time;
    d->last_id = ev->id;
    err = event_nodes(d, ev, &dev);
    d->nevents++;
    if (err != UT_OK || dev == NO_NODE) {
        return err; /* no identifier: no person to credit */
    }
    switch (ev->type) {
    case UT_EVENT_PAGE:
    case UT_EVENT_SCREEN:
    case UT_EVENT_CLICK:
        return add_visit(d, ev, dev);
    case UT_EVENT_TRACK:
        return add_conversion(d, ev, dev);
    case UT_EVENT_IDENTIFY:
    case UT_EVENT_GROUP:
    case UT_EVENT_ALIAS:
    default:
        return UT_OK;
    }
}

int
ut_derive_add_edges(struct ut_derive *d, const struct ut_derive_edge *e, size_t n)
{
    int err = UT_OK;

    for (size_t i = 0; i < n && err == UT_OK; i++) {
        err = ut_derive_add_edge(d, &e[i]);
    }
    return err;
}

int
ut_derive_add_events(struct ut_derive *d, const struct ut_derive_event *ev, size_t n,
                     struct ut_diag *diag)
{
    int err = UT_OK;

    for (size_t i = 0; i < n && err == UT_OK; i++) {
        err = ut_derive_add_event(d, &ev[i], diag);
    }
    return err;
}

/* ---- finish: persons, links, per-person lists ------------------------------------------- */

struct dv_root {
    uint64_t key; /* first event of the person */
    uint32_t min; /* lowest node id in the person */
    uint32_t root;
};

static int
root_cmp(const void *pa, const void *pb)
{
    const struct dv_root *a = pa, *b = pb;

    if (a->key != b->key) {
        return a->key < b->key ? -1 : 1;
    }
    return a->min < b->min ? -1 : a->min > b->min;
}

static int
str_cmp(const void *pa, const void *pb)
{
    const struct ut_str *a = pa, *b = pb;
    size_t n = a->len < b->len ? a->len : b->len;
    int c = memcmp(a->ptr, b->ptr, n);

    return c != 0 ? c : (a->len > b->len) - (a->len < b->len);
}

/* Number the persons (node_person) in the order of their first event. */
static int
number_persons(struct ut_derive *d)
{
    size_t n = d->ids.count, np = 0;
    struct dv_root *roots = NULL;
    uint32_t *slot = NULL;
    int err = UT_ENOMEM;

    d->node_person = ut_calloc(n + 1, sizeof(*d->node_person));
    roots = ut_calloc(n + 1, sizeof(*roots));
    slot = ut_calloc(n + 1, sizeof(*slot)); /* root -> index in roots + 1 */
    if (d->node_person == NULL || roots == NULL || slot == NULL) {
        goto out;
    }
    for (uint32_t i = 0; i < n; i++) {
        uint32_t r = node_find(d, i);
        struct dv_root *pr;

        if (slot[r] == 0) {
            roots[np].key = UINT64_MAX;
            roots[np].min = i; /* nodes are visited in id order: the first is the lowest */
            roots[np].root = r;
            slot[r] = (uint32_t)++np;
        }
        pr = &roots[slot[r] - 1];
        pr->key = d->nodes[i].first_seen < pr->key ? d->nodes[i].first_seen : pr->key;
    }
    qsort(roots, np, sizeof(*roots), root_cmp);
    for (size_t p = 0; p < np; p++) {
        slot[roots[p].root] = (uint32_t)p;
    }
    for (uint32_t i = 0; i < n; i++) {
        d->node_person[i] = slot[node_find(d, i)];
    }
    d->r.npersons = np;
    err = UT_OK;
out:
    ut_free(roots);
    ut_free(slot);
    return err;
}

/*
 * Group items 0..n-1 by person (owner[i]) with a stable counting sort: off
 * gets npersons + 1 offsets and ix the item indices, each group in input order.
 */
static int
group_by_person(size_t np, const uint32_t *owner, size_t n, size_t **off, uint32_t **ix)
{
    size_t *o = ut_calloc(np + 2, sizeof(*o));
    uint32_t *x = ut_calloc(n + 1, sizeof(*x));

    if (o == NULL || x == NULL) {
        ut_free(o);
        ut_free(x);
        return UT_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        o[owner[i] + 2]++;
    }
    for (size_t p = 0; p < np; p++) {
        o[p + 2] += o[p + 1];
    }
    for (size_t i = 0; i < n; i++) {
        x[o[owner[i] + 1]++] = (uint32_t)i;
    }
    *off = o;
    *ix = x;
    return UT_OK;
}

/* Every person's identifiers, each list in byte order. */
static int
build_idents(struct ut_derive *d)
{
    size_t n = d->ids.count, np = d->r.npersons;
    size_t *off = NULL;
    uint32_t *ix = NULL;
    int err = group_by_person(np, d->node_person, n, &off, &ix);

    if (err != UT_OK) {
        return err;
    }
    d->idents = ut_calloc(n + 1, sizeof(*d->idents));
    if (d->idents == NULL) {
        ut_free(off);
        ut_free(ix);
        return UT_ENOMEM;
    }
    for (size_t k = 0; k < n; k++) {
        d->idents[k].ptr = ut_strtab_get(&d->ids, ix[k], &d->idents[k].len);
    }
    for (size_t p = 0; p < np; p++) {
        qsort(d->idents + off[p], off[p + 1] - off[p], sizeof(*d->idents), str_cmp);
    }
    ut_free(ix);
    d->ident_off = off;
    return UT_OK;
}

/* Persons of touches and conversions; links of pages that landed from a tracking link. */
static int
resolve_items(struct ut_derive *d, uint32_t **towner, uint32_t **cowner)
{
    *towner = ut_calloc(d->ntouches + 1, sizeof(**towner));
    *cowner = ut_calloc(d->ncvs + 1, sizeof(**cowner));
    if (*towner == NULL || *cowner == NULL) {
        return UT_ENOMEM;
    }
    for (size_t i = 0; i < d->ntouches; i++) {
        struct ut_derive_touch *t = &d->touches[i];
        const uint64_t *v;
        uint32_t sid;

        t->person = d->node_person[d->taux[i].node];
        (*towner)[i] = t->person;
        if (t->link == NULL && d->taux[i].token != NO_NODE) {
            v = ut_u64map_get(&d->token_slug, d->taux[i].token);
            t->link = v != NULL ? ut_strtab_get(&d->strs, (uint32_t)*v, NULL) : NULL;
        }
        if (t->link != NULL && ut_strtab_find(&d->strs, t->link, strlen(t->link), &sid) == 0) {
            v = ut_u64map_get(&d->link_partner, sid);
            t->partner =
                v != NULL && *v != 0 ? ut_strtab_get(&d->strs, (uint32_t)(*v - 1), NULL) : NULL;
        }
    }
    for (size_t i = 0; i < d->ncvs; i++) {
        d->cvs[i].person = d->node_person[d->cv_node[i]];
        (*cowner)[i] = d->cvs[i].person;
    }
    return UT_OK;
}

int
ut_derive_finish(struct ut_derive *d, struct ut_diag *diag)
{
    uint32_t *towner = NULL, *cowner = NULL;
    int err;

    if (d->finished) {
        ut_diag_set(diag, "derivation already finished");
        return UT_EINVAL;
    }
    err = number_persons(d);
    if (err == UT_OK) {
        err = build_idents(d);
    }
    if (err == UT_OK) {
        err = resolve_items(d, &towner, &cowner);
    }
    if (err == UT_OK) {
        err = group_by_person(d->r.npersons, towner, d->ntouches, &d->touch_off, &d->touch_ix);
    }
    if (err == UT_OK) {
        err = group_by_person(d->r.npersons, cowner, d->ncvs, &d->conv_off, &d->conv_ix);
    }
    ut_free(towner);
    ut_free(cowner);
    if (err != UT_OK) {
        ut_diag_set(diag, "%s", ut_strerror(err));
        return err;
    }
    d->r.touches = d->touches;
    d->r.ntouches = d->ntouches;
    d->r.convs = d->cvs;
    d->r.nconvs = d->ncvs;
    d->r.idents = d->idents;
    d->r.ident_off = d->ident_off;
    d->r.touch_ix = d->touch_ix;
    d->r.touch_off = d->touch_off;
    d->r.conv_ix = d->conv_ix;
    d->r.conv_off = d->conv_off;
    d->finished = 1;
    return UT_OK;
}

const struct ut_derive_result *
ut_derive_result(const struct ut_derive *d)
{
    return d->finished ? &d->r : NULL;
}

int
ut_derive_find_person(const struct ut_derive *d, const char *id, size_t len, uint32_t *person)
{
    uint32_t node;

    if (!d->finished || ut_strtab_find(&d->ids, id, len, &node) != 0) {
        return UT_ENOTFOUND;
    }
    *person = d->node_person[node];
    return UT_OK;
}

/* ---- journeys --------------------------------------------------------------------------- */

const char *
ut_derive_touch_dim(const struct ut_derive_touch *t, enum ut_derive_dim by)
{
    switch (by) {
    case UT_DIM_CHANNEL:
        return t->channel;
    case UT_DIM_SOURCE:
        return t->source;
    case UT_DIM_MEDIUM:
        return t->medium;
    case UT_DIM_CAMPAIGN:
        return t->campaign;
    case UT_DIM_CONTENT:
        return t->content;
    case UT_DIM_TERM:
        return t->term;
    case UT_DIM_LINK:
        return t->link;
    case UT_DIM_PARTNER:
        return t->partner;
    case UT_DIM_COUNT:
    default:
        return NULL;
    }
}

/* Dense person index of p (assigned in first-use order). */
static uint32_t
dense_person(uint32_t *remap, uint32_t *next, uint32_t p)
{
    if (remap[p] == NO_NODE) {
        remap[p] = (*next)++;
    }
    return remap[p];
}

/* Channel id of t's value: interned strings are unique, so the pointer is the key. */
static int
touch_channel(struct ut_journeys *j, struct ut_u64map *cache, const char *v, uint32_t *id)
{
    uint64_t *val = NULL;
    int inserted, err;

    v = v != NULL ? v : DIM_NONE;
    err = ut_u64map_upsert(cache, (uint64_t)(uintptr_t)v, 0, &val, &inserted);
    if (err != UT_OK) {
        return err;
    }
    if (inserted) {
        err = ut_journeys_intern(j, v, strlen(v), id);
        if (err != UT_OK) {
            *val = UINT64_MAX - 1; /* an unusable entry; the whole call fails anyway */
            return err;
        }
        *val = *id;
        return UT_OK;
    }
    *id = (uint32_t)*val;
    return UT_OK;
}

int
ut_derive_add_journeys(const struct ut_derive *d, struct ut_journeys *j, enum ut_derive_dim by,
                       double lookback, struct ut_diag *diag)
{
    struct ut_event_touch *et = NULL;
    struct ut_event_conversion *ec = NULL;
    uint32_t *remap = NULL, next = 0;
    struct ut_u64map cache;
    int err = UT_ENOMEM;

    if (!d->finished || (unsigned)by >= UT_DIM_COUNT) {
        ut_diag_set(diag, "derivation not finished or unknown dimension");
        return UT_EINVAL;
    }
    ut_u64map_init(&cache);
    et = ut_calloc(d->ntouches + 1, sizeof(*et));
    ec = ut_calloc(d->ncvs + 1, sizeof(*ec));
    remap = ut_malloc((d->r.npersons + 1) * sizeof(*remap));
    if (et == NULL || ec == NULL || remap == NULL) {
        goto out;
    }
    memset(remap, 0xff, (d->r.npersons + 1) * sizeof(*remap));
    for (size_t i = 0; i < d->ntouches; i++) {
        const struct ut_derive_touch *t = &d->touches[i];

        err = touch_channel(j, &cache, ut_derive_touch_dim(t, by), &et[i].channel);
        if (err != UT_OK) {
            goto out;
        }
        et[i].person = dense_person(remap, &next, t->person);
        et[i].flags = t->flags;
        et[i].time = t->time;
    }
    for (size_t i = 0; i < d->ncvs; i++) {
        ec[i].person = dense_person(remap, &next, d->cvs[i].person);
        ec[i].time = d->cvs[i].time;
        ec[i].value = d->cvs[i].value;
    }
    err = ut_journeys_add_events(j, et, d->ntouches, ec, d->ncvs, lookback, diag);
out:
    if (err == UT_ENOMEM) {
        ut_diag_set(diag, "out of memory");
    }
    ut_u64map_release(&cache);
    ut_free(et);
    ut_free(ec);
    ut_free(remap);
    return err;
}
