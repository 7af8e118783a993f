/*
 * tests/unit/test_derive.c - touches, persons and conversions from hand-built
 * event rows (core/derive.c): sessions and their 30-minute timeout, internal
 * referrers, campaign touches, Direct session starts, identity stitching by
 * identify, alias and link click token, the conversion_events setting, the
 * --by dimensions and windows; then the store glue (store/derive_load.c) on a
 * temporary SQLite store.
 */
#include "util/setup.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "t.h"
#include "core/derive.h"
#include "store/derive_load.h"
#include "store/store.h"
#include "util/alloc.h"
#include "utmost/attribution.h"

#define MIN 60.0
#define HOUR 3600.0
#define DAY 86400.0
#define T0 1709287200.0 /* 2024-03-01T10:00:00Z */

/* ---- row builders ----------------------------------------------------------------------- */

static struct ut_derive_event
ev_base(int64_t id, enum ut_event_type type, double t, const char *anon, const char *user)
{
    struct ut_derive_event e;

    memset(&e, 0, sizeof(e));
    e.id = id;
    e.type = type;
    e.time = t;
    e.anonymous_id = ut_str_cstr(anon);
    e.user_id = ut_str_cstr(user);
    return e;
}

/* A page view without campaign information (classified Direct, not a candidate). */
static struct ut_derive_event
page(int64_t id, double t, const char *anon, const char *user)
{
    struct ut_derive_event e = ev_base(id, UT_EVENT_PAGE, t, anon, user);

    e.source = UT_STR("(direct)");
    e.medium = UT_STR("(none)");
    e.channel = UT_STR("Direct");
    return e;
}

/* A page view from inside the site (internal referrer). */
static struct ut_derive_event
page_internal(int64_t id, double t, const char *anon)
{
    struct ut_derive_event e = page(id, t, anon, NULL);

    e.internal_referrer = 1;
    return e;
}

/* A page view carrying campaign information. */
static struct ut_derive_event
campaign(int64_t id, double t, const char *anon, const char *source, const char *medium,
         const char *camp, const char *channel)
{
    struct ut_derive_event e = ev_base(id, UT_EVENT_PAGE, t, anon, NULL);

    e.is_candidate = 1;
    e.source = ut_str_cstr(source);
    e.medium = ut_str_cstr(medium);
    e.campaign = ut_str_cstr(camp);
    e.channel = ut_str_cstr(channel);
    return e;
}

static struct ut_derive_event
track(int64_t id, double t, const char *anon, const char *user, const char *name, int64_t minor,
      const char *currency)
{
    struct ut_derive_event e = ev_base(id, UT_EVENT_TRACK, t, anon, user);

    e.name = ut_str_cstr(name);
    e.has_revenue = minor >= 0;
    e.revenue_minor = minor >= 0 ? minor : 0;
    e.currency = ut_str_cstr(currency);
    return e;
}

static struct ut_derive_edge
edge(const char *a, const char *b, const char *kind, int64_t event_id)
{
    struct ut_derive_edge e;

    e.a = ut_str_cstr(a);
    e.b = ut_str_cstr(b);
    e.kind = ut_str_cstr(kind);
    e.event_id = event_id;
    e.confidence = 1.0;
    return e;
}

/* ---- running ---------------------------------------------------------------------------- */

static const char *const default_names[] = {"Order Completed", "Signed Up", "Subscription Started"};

/* Derive events and edges with options o (NULL: defaults) and the default conversion names. */
static int
derive(const struct ut_derive_event *ev, size_t n, const struct ut_derive_edge *edges, size_t m,
       const struct ut_derive_opts *o, struct ut_derive **out)
{
    struct ut_derive *d = NULL;
    int err = ut_derive_new(&d, o);

    for (size_t i = 0; i < UT_ARRAY_LEN(default_names) && err == UT_OK; i++) {
        err = ut_derive_add_conversion_name(d, default_names[i], strlen(default_names[i]));
    }
    if (err == UT_OK) {
        err = ut_derive_add_edges(d, edges, m);
    }
    if (err == UT_OK) {
        err = ut_derive_add_events(d, ev, n, NULL);
    }
    if (err == UT_OK) {
        err = ut_derive_finish(d, NULL);
    }
    if (err != UT_OK) {
        ut_derive_free(d);
        return err;
    }
    *out = d;
    return UT_OK;
}

/* Credited conversions (or value) of name under model over d by dimension by; -1 if absent. */
static double
credit(const struct ut_derive *d, enum ut_derive_dim by, const char *model, const char *name,
       int value)
{
    struct ut_journeys *j = NULL;
    struct ut_credits c = {0, NULL, NULL};
    double r = -1;

    if (ut_journeys_new(&j) != UT_OK) {
        return -2;
    }
    if (ut_derive_add_journeys(d, j, by, 30 * DAY, NULL) == UT_OK &&
        ut_attribute(j, model, NULL, &c, NULL) == UT_OK) {
        for (uint32_t i = 0; i < c.n; i++) {
            if (strcmp(ut_journeys_channel_name(j, i, NULL), name) == 0) {
                r = value ? c.value[i] : c.conversions[i];
            }
        }
    }
    ut_credits_release(&c);
    ut_journeys_free(j);
    return r;
}

/* The identifiers of person p joined by spaces, in buf. */
static const char *
idents_of(const struct ut_derive_result *r, uint32_t p, char *buf, size_t cap)
{
    size_t o = 0;

    buf[0] = '\0';
    for (size_t k = r->ident_off[p]; k < r->ident_off[p + 1]; k++) {
        int n =
            snprintf(buf + o, cap - o, "%s%s", k == r->ident_off[p] ? "" : " ", r->idents[k].ptr);

        if (n < 0 || (size_t)n >= cap - o) {
            break;
        }
        o += (size_t)n;
    }
    return buf;
}

/* ---- sessions and touches --------------------------------------------------------------- */

TEST(session_29_minutes_continues_31_starts_a_new_one)
{
    struct ut_derive_event ev[] = {
        page(1, T0, "a", NULL),                       /* a session start without referrer */
        page(2, T0 + 29 * MIN, "a", NULL),            /* same session: no touch */
        page(3, T0 + 29 * MIN + 31 * MIN, "a", NULL), /* 31 minutes idle: new session */
        page(4, T0 + 89 * MIN, "a", NULL),            /* 29 minutes after the last: same */
    };
    struct ut_derive *d = NULL;
    const struct ut_derive_result *r;

    T_OK(derive(ev, UT_ARRAY_LEN(ev), NULL, 0, NULL, &d));
    r = ut_derive_result(d);
    T_EQ_SIZE(r->ntouches, 2);
    T_EQ_I64(r->touches[0].event_id, 1);
    T_EQ_I64(r->touches[1].event_id, 3);
    for (size_t i = 0; i < 2; i++) {
        T_EQ_STR(r->touches[i].channel, "Direct");
        T_EQ_STR(r->touches[i].source, "(direct)");
        T_EQ_STR(r->touches[i].medium, "(none)");
        T_NULL(r->touches[i].campaign);
        T_EQ_I64(r->touches[i].flags, UT_TOUCH_DIRECT);
        T_EQ_I64(r->touches[i].session_start, 1);
    }
    ut_derive_free(d);
}

TEST(sessions_are_per_device)
{
    struct ut_derive_event ev[] = {
        page(1, T0, "a", NULL),
        page(2, T0 + 5 * MIN, "b", NULL),  /* another device: its own session start */
        page(3, T0 + 10 * MIN, NULL, "u"), /* only a user id: that is the device */
        page(4, T0 + 20 * MIN, NULL, "u"),
    };
    struct ut_derive *d = NULL;
    const struct ut_derive_result *r;

    T_OK(derive(ev, UT_ARRAY_LEN(ev), NULL, 0, NULL, &d));
    r = ut_derive_result(d);
    T_EQ_SIZE(r->ntouches, 3);
    T_EQ_I64(r->touches[2].event_id, 3);
    T_EQ_SIZE(r->npersons, 3);
    ut_derive_free(d);
}

TEST(internal_referrer_is_not_a_touch)
{
    struct ut_derive_event ev[] = {
        page_internal(1, T0, "a"),         /* starts a session but comes from the site */
        page(2, T0 + 10 * MIN, "a", NULL), /* inside the session */
        page_internal(3, T0 + 3 * HOUR, "a"),
        page(4, T0 + 6 * HOUR, "a", NULL), /* a new session without referrer: Direct */
    };
    struct ut_derive *d = NULL;
    const struct ut_derive_result *r;

    T_OK(derive(ev, UT_ARRAY_LEN(ev), NULL, 0, NULL, &d));
    r = ut_derive_result(d);
    T_EQ_SIZE(r->ntouches, 1);
    T_EQ_I64(r->touches[0].event_id, 4);
    ut_derive_free(d);
}

TEST(candidates_are_touches_even_inside_a_session)
{
    struct ut_derive_event ev[] = {
        page(1, T0, "a", NULL),
        campaign(2, T0 + 1 * MIN, "a", "google", "cpc", "spring", "Paid Search"),
        campaign(3, T0 + 2 * MIN, "a", "news.example", "referral", NULL, "Referral"),
        page(4, T0 + 3 * MIN, "a", NULL),
    };
    struct ut_derive *d = NULL;
    const struct ut_derive_result *r;

    ev[1].click_id = UT_STR("gclid");
    ev[1].content = UT_STR("banner");
    ev[1].term = UT_STR("shoes");
    T_OK(derive(ev, UT_ARRAY_LEN(ev), NULL, 0, NULL, &d));
    r = ut_derive_result(d);
    T_EQ_SIZE(r->ntouches, 3);
    T_EQ_STR(r->touches[0].channel, "Direct");
    T_EQ_STR(r->touches[1].channel, "Paid Search");
    T_EQ_STR(r->touches[1].source, "google");
    T_EQ_STR(r->touches[1].medium, "cpc");
    T_EQ_STR(r->touches[1].campaign, "spring");
    T_EQ_STR(r->touches[1].content, "banner");
    T_EQ_STR(r->touches[1].term, "shoes");
    T_EQ_STR(r->touches[1].click_id, "gclid");
    T_EQ_I64(r->touches[1].flags, 0);
    T_EQ_I64(r->touches[1].session_start, 0);
    T_EQ_STR(r->touches[2].channel, "Referral");
    T_NULL(r->touches[2].campaign);
    ut_derive_free(d);
}

TEST(candidate_without_channel_is_unassigned)
{
    struct ut_derive_event ev[] = {campaign(1, T0, "a", "x", "y", NULL, NULL)};
    struct ut_derive *d = NULL;

    T_OK(derive(ev, UT_ARRAY_LEN(ev), NULL, 0, NULL, &d));
    T_EQ_STR(ut_derive_result(d)->touches[0].channel, "Unassigned");
    ut_derive_free(d);
}

/* ---- persons ---------------------------------------------------------------------------- */

TEST(identify_stitches_two_devices)
{
    struct ut_derive_edge edges[] = {
        edge("anon:phone", "user:42", "identify", 3),
        edge("anon:laptop", "user:42", "event", 4),
    };
    struct ut_derive_event ev[] = {
        campaign(1, T0, "phone", "facebook", "paid_social", "s1", "Paid Social"),
        campaign(2, T0 + DAY, "laptop", "google", "cpc", "s2", "Paid Search"),
        ev_base(3, UT_EVENT_IDENTIFY, T0 + DAY + MIN, "phone", "42"),
        track(4, T0 + 2 * DAY, "laptop", "42", "Order Completed", 10000, "USD"),
    };
    struct ut_derive *d = NULL;
    const struct ut_derive_result *r;
    uint32_t p;
    char buf[256];

    T_OK(derive(ev, UT_ARRAY_LEN(ev), edges, UT_ARRAY_LEN(edges), NULL, &d));
    r = ut_derive_result(d);
    T_EQ_SIZE(r->npersons, 1);
    T_EQ_STR(idents_of(r, 0, buf, sizeof(buf)), "anon:laptop anon:phone user:42");
    T_EQ_SIZE(r->ntouches, 2);
    T_EQ_SIZE(r->nconvs, 1);
    T_EQ_I64(r->touches[0].person, 0);
    T_EQ_I64(r->touches[1].person, 0);
    T_EQ_I64(r->convs[0].person, 0);
    T_NEAR(r->convs[0].value, 100.0, 1e-12);
    T_EQ_SIZE(r->touch_off[1] - r->touch_off[0], 2);
    T_EQ_SIZE(r->conv_off[1] - r->conv_off[0], 1);
    T_OK(ut_derive_find_person(d, "user:42", 7, &p));
    T_EQ_I64(p, 0);
    T_ERR(ut_derive_find_person(d, "user:43", 7, &p), UT_ENOTFOUND);
    T_NEAR(credit(d, UT_DIM_CHANNEL, "first", "Paid Social", 0), 1.0, 1e-12);
    T_NEAR(credit(d, UT_DIM_CHANNEL, "last", "Paid Search", 1), 100.0, 1e-12);
    T_NEAR(credit(d, UT_DIM_CHANNEL, "linear", "Paid Social", 1), 50.0, 1e-12);
    ut_derive_free(d);
}

TEST(event_with_both_ids_joins_them_without_an_edge)
{
    struct ut_derive_event ev[] = {
        campaign(1, T0, "a", "google", "cpc", NULL, "Paid Search"),
        page(2, T0 + DAY, "b", "7"),
        track(3, T0 + DAY + MIN, "a", "7", "Signed Up", -1, NULL),
    };
    struct ut_derive *d = NULL;
    const struct ut_derive_result *r;
    char buf[256];

    T_OK(derive(ev, UT_ARRAY_LEN(ev), NULL, 0, NULL, &d));
    r = ut_derive_result(d);
    T_EQ_SIZE(r->npersons, 1);
    T_EQ_STR(idents_of(r, 0, buf, sizeof(buf)), "anon:a anon:b user:7");
    T_EQ_SIZE(r->nconvs, 1);
    T_NEAR(r->convs[0].value, 0.0, 0);
    T_EQ_I64(r->convs[0].has_revenue, 0);
    ut_derive_free(d);
}

TEST(click_token_stitches_and_credits_the_link)
{
    /* the link click (browser x, link domain) and the landing page (browser y) share a token */
    struct ut_derive_edge edges[] = {
        edge("anon:x", "click:T1", "click", 1),
        edge("anon:y", "click:T1", "click", 2),
    };
    struct ut_derive_event ev[] = {
        campaign(1, T0, "x", "newsletter", "email", "may", "Email"),
        page(2, T0 + 2, "y", NULL), /* landed with ut_click=T1 only: a tracking-link touch */
        page(3, T0 + 5 * MIN, "y", NULL),
        track(4, T0 + HOUR, "y", NULL, "Order Completed", 5000, "EUR"),
    };
    struct ut_derive *d = NULL;
    const struct ut_derive_result *r;
    char buf[256];

    ev[0].type = UT_EVENT_CLICK;
    ev[0].name = UT_STR("may-promo");
    T_OK(ut_derive_new(&d, NULL));
    T_OK(ut_derive_add_conversion_name(d, "Order Completed", 15));
    T_OK(ut_derive_add_link(d, UT_STR("may-promo"), UT_STR("acme")));
    T_OK(ut_derive_add_link(d, UT_STR("other"), UT_STR_NULL));
    T_OK(ut_derive_add_edges(d, edges, UT_ARRAY_LEN(edges)));
    T_OK(ut_derive_add_events(d, ev, UT_ARRAY_LEN(ev), NULL));
    T_OK(ut_derive_finish(d, NULL));
    r = ut_derive_result(d);
    T_EQ_SIZE(r->npersons, 1);
    T_EQ_STR(idents_of(r, 0, buf, sizeof(buf)), "anon:x anon:y click:T1");
    T_EQ_SIZE(r->ntouches, 2);
    T_EQ_STR(r->touches[0].link, "may-promo");
    T_EQ_STR(r->touches[0].partner, "acme");
    T_EQ_I64(r->touches[0].type, UT_EVENT_CLICK);
    T_EQ_STR(r->touches[1].link, "may-promo");
    T_EQ_STR(r->touches[1].channel, "Direct");
    T_NEAR(credit(d, UT_DIM_LINK, "linear", "may-promo", 1), 50.0, 1e-12);
    T_NEAR(credit(d, UT_DIM_PARTNER, "first", "acme", 0), 1.0, 1e-12);
    T_NEAR(credit(d, UT_DIM_CHANNEL, "first", "Email", 0), 1.0, 1e-12);
    ut_derive_free(d);
}

TEST(alias_joins_user_ids)
{
    struct ut_derive_edge edges[] = {
        edge("user:old", "user:new", "alias", 3),
        edge("anon:old", "user:new", "alias", 3),
    };
    struct ut_derive_event ev[] = {
        campaign(1, T0, NULL, "bing", "cpc", NULL, "Paid Search"),
        campaign(2, T0 + HOUR, "b", "twitter", "social", NULL, "Organic Social"),
        ev_base(3, UT_EVENT_ALIAS, T0 + 2 * HOUR, NULL, "new"),
        track(4, T0 + 3 * HOUR, NULL, "new", "Subscription Started", 999, "USD"),
    };
    struct ut_derive *d = NULL;
    const struct ut_derive_result *r;

    ev[0].user_id = UT_STR("old");
    T_OK(derive(ev, UT_ARRAY_LEN(ev), edges, UT_ARRAY_LEN(edges), NULL, &d));
    r = ut_derive_result(d);
    /* user:old / user:new / anon:old form one person; anon:b stays alone */
    T_EQ_SIZE(r->npersons, 2);
    T_EQ_I64(r->touches[0].person, r->convs[0].person);
    T_TRUE(r->touches[1].person != r->convs[0].person);
    T_NEAR(credit(d, UT_DIM_SOURCE, "last", "bing", 1), 9.99, 1e-12);
    ut_derive_free(d);
}

TEST(probabilistic_and_empty_edges_do_not_merge)
{
    struct ut_derive_edge edges[] = {edge("anon:a", "anon:b", "fingerprint", 0),
                                     edge("anon:a", "", "identify", 0)};
    struct ut_derive_event ev[] = {page(1, T0, "a", NULL), page(2, T0, "b", NULL)};
    struct ut_derive *d = NULL;

    edges[0].confidence = 0.8;
    T_OK(derive(ev, UT_ARRAY_LEN(ev), edges, UT_ARRAY_LEN(edges), NULL, &d));
    T_EQ_SIZE(ut_derive_result(d)->npersons, 2);
    ut_derive_free(d);
}

TEST(persons_are_numbered_by_first_event)
{
    struct ut_derive_edge edges[] = {edge("anon:z", "user:9", "identify", 0),
                                     edge("email:q@x.io", "user:5", "email", 0)};
    struct ut_derive_event ev[] = {page(1, T0, "y", NULL), page(2, T0 + 1, "z", NULL)};
    struct ut_derive *d = NULL;
    const struct ut_derive_result *r;
    char buf[256];

    T_OK(derive(ev, UT_ARRAY_LEN(ev), edges, UT_ARRAY_LEN(edges), NULL, &d));
    r = ut_derive_result(d);
    T_EQ_SIZE(r->npersons, 3);
    T_EQ_STR(idents_of(r, 0, buf, sizeof(buf)), "anon:y");
    T_EQ_STR(idents_of(r, 1, buf, sizeof(buf)), "anon:z user:9");
    T_EQ_STR(idents_of(r, 2, buf, sizeof(buf)), "email:q@x.io user:5"); /* edges only: last */
    ut_derive_free(d);
}

/* ---- conversions ------------------------------------------------------------------------ */

TEST(conversion_before_any_touch_credits_none)
{
    struct ut_derive_event ev[] = {
        track(1, T0, "a", NULL, "Order Completed", 2500, "USD"),
        campaign(2, T0 + HOUR, "a", "google", "cpc", NULL, "Paid Search"),
    };
    struct ut_derive *d = NULL;

    T_OK(derive(ev, UT_ARRAY_LEN(ev), NULL, 0, NULL, &d));
    T_NEAR(credit(d, UT_DIM_CHANNEL, "first", UT_CHANNEL_NONE, 0), 1.0, 1e-12);
    T_NEAR(credit(d, UT_DIM_CHANNEL, "first", UT_CHANNEL_NONE, 1), 25.0, 1e-12);
    T_NEAR(credit(d, UT_DIM_CHANNEL, "first", "Paid Search", 0), 0.0, 1e-12);
    ut_derive_free(d);
}

TEST(conversion_values_follow_currency_exponents)
{
    struct ut_derive_event ev[] = {
        track(1, T0, "a", NULL, "Order Completed", 1999, "USD"),
        track(2, T0 + 1, "a", NULL, "Order Completed", 500, "JPY"),
        track(3, T0 + 2, "a", NULL, "Order Completed", 1234, "KWD"),
        track(4, T0 + 3, "a", NULL, "Order Completed", 150, NULL), /* USD when absent */
        track(5, T0 + 4, "a", NULL, "Order Completed", -1, NULL),  /* no revenue: 0 */
        track(6, T0 + 5, "a", NULL, "Product Viewed", 100, "USD"), /* not a conversion */
    };
    struct ut_derive *d = NULL;
    const struct ut_derive_result *r;

    T_OK(derive(ev, UT_ARRAY_LEN(ev), NULL, 0, NULL, &d));
    r = ut_derive_result(d);
    T_EQ_SIZE(r->nconvs, 5);
    T_NEAR(r->convs[0].value, 19.99, 1e-12);
    T_NEAR(r->convs[1].value, 500.0, 1e-12);
    T_NEAR(r->convs[2].value, 1.234, 1e-12);
    T_NEAR(r->convs[3].value, 1.5, 1e-12);
    T_NULL(r->convs[3].currency);
    T_NEAR(r->convs[4].value, 0.0, 0);
    T_EQ_STR(r->convs[0].name, "Order Completed");
    T_EQ_STR(r->convs[1].currency, "JPY");
    ut_derive_free(d);
}

TEST(conversion_names_come_from_the_setting)
{
    struct ut_derive_event ev[] = {
        track(1, T0, "a", NULL, "Order Completed", 100, "USD"),
        track(2, T0 + 1, "a", NULL, "Purchase", 300, "USD"),
        track(3, T0 + 2, "a", NULL, "purchase", 300, "USD"), /* names match exactly */
    };
    static const char *const bad[] = {"{\"a\":1}", "[\"x\",1]", "[\"x\"", "", "null"};
    struct ut_derive *d = NULL;
    struct ut_diag diag;
    const char *json = "[\"Purchase\", \"Trial Started\"]";

    T_OK(ut_derive_new(&d, NULL));
    T_OK(ut_derive_conversion_names(d, json, strlen(json), NULL));
    T_OK(ut_derive_add_events(d, ev, UT_ARRAY_LEN(ev), NULL));
    T_OK(ut_derive_finish(d, NULL));
    T_EQ_SIZE(ut_derive_result(d)->nconvs, 1);
    T_EQ_I64(ut_derive_result(d)->convs[0].event_id, 2);
    ut_derive_free(d);
    for (size_t i = 0; i < UT_ARRAY_LEN(bad); i++) {
        T_OK(ut_derive_new(&d, NULL));
        memset(&diag, 0, sizeof(diag));
        T_ERR(ut_derive_conversion_names(d, bad[i], strlen(bad[i]), &diag), UT_EPARSE);
        T_TRUE(strstr(diag.msg, "conversion_events") != NULL);
        ut_derive_free(d);
    }
    /* an empty list: nothing converts */
    T_OK(ut_derive_new(&d, NULL));
    T_OK(ut_derive_conversion_names(d, "[]", 2, NULL));
    T_OK(ut_derive_add_events(d, ev, UT_ARRAY_LEN(ev), NULL));
    T_OK(ut_derive_finish(d, NULL));
    T_EQ_SIZE(ut_derive_result(d)->nconvs, 0);
    ut_derive_free(d);
}

/* ---- dimensions and windows ------------------------------------------------------------- */

TEST(by_dimensions_credit_their_values)
{
    struct ut_derive_event ev[] = {
        campaign(1, T0, "a", "google", "cpc", "spring", "Paid Search"),
        page(2, T0 + DAY, "a", NULL),
        track(3, T0 + DAY + MIN, "a", NULL, "Order Completed", 1000, "USD"),
    };
    struct ut_derive *d = NULL;

    ev[0].content = UT_STR("hero");
    ev[0].term = UT_STR("boots");
    T_OK(derive(ev, UT_ARRAY_LEN(ev), NULL, 0, NULL, &d));
    T_NEAR(credit(d, UT_DIM_CHANNEL, "first", "Paid Search", 0), 1.0, 1e-12);
    T_NEAR(credit(d, UT_DIM_CHANNEL, "last", "Direct", 0), 1.0, 1e-12);
    T_NEAR(credit(d, UT_DIM_CHANNEL, "last_non_direct", "Paid Search", 0), 1.0, 1e-12);
    T_NEAR(credit(d, UT_DIM_SOURCE, "first", "google", 1), 10.0, 1e-12);
    T_NEAR(credit(d, UT_DIM_SOURCE, "last", "(direct)", 1), 10.0, 1e-12);
    T_NEAR(credit(d, UT_DIM_MEDIUM, "linear", "cpc", 0), 0.5, 1e-12);
    T_NEAR(credit(d, UT_DIM_MEDIUM, "linear", "(none)", 0), 0.5, 1e-12);
    T_NEAR(credit(d, UT_DIM_CAMPAIGN, "linear", "spring", 0), 0.5, 1e-12);
    T_NEAR(credit(d, UT_DIM_CAMPAIGN, "linear", UT_CHANNEL_NONE, 0), 0.5, 1e-12);
    T_NEAR(credit(d, UT_DIM_CONTENT, "first", "hero", 0), 1.0, 1e-12);
    T_NEAR(credit(d, UT_DIM_TERM, "first", "boots", 0), 1.0, 1e-12);
    T_NEAR(credit(d, UT_DIM_LINK, "first", UT_CHANNEL_NONE, 0), 1.0, 1e-12);
    T_NEAR(credit(d, UT_DIM_PARTNER, "first", UT_CHANNEL_NONE, 0), 1.0, 1e-12);
    ut_derive_free(d);
}

TEST(dimension_names_parse)
{
    enum ut_derive_dim dim;

    for (int i = 0; i < UT_DIM_COUNT; i++) {
        T_EQ_I64(ut_derive_dim_parse(ut_derive_dim_name((enum ut_derive_dim)i), &dim), 0);
        T_EQ_I64(dim, i);
    }
    T_EQ_I64(ut_derive_dim_parse("channels", &dim), -1);
    T_NULL(ut_derive_dim_name(UT_DIM_COUNT));
}

TEST(windows_limit_conversions_and_touches)
{
    struct ut_derive_event ev[] = {
        page(1, T0 - 40 * DAY, "a", NULL), /* before touch_from */
        campaign(2, T0 - 10 * DAY, "a", "google", "cpc", NULL, "Paid Search"),
        track(3, T0 - 1, "a", NULL, "Order Completed", 100, "USD"),   /* before from */
        track(4, T0, "a", NULL, "Order Completed", 200, "USD"),       /* from <= T */
        track(5, T0 + DAY, "a", NULL, "Order Completed", 300, "USD"), /* T < to: no */
    };
    struct ut_derive_opts o = UT_DERIVE_OPTS_INIT;
    struct ut_derive *d = NULL;
    const struct ut_derive_result *r;

    o.conv_from = T0;
    o.conv_to = T0 + DAY;
    o.touch_from = T0 - 30 * DAY;
    T_OK(derive(ev, UT_ARRAY_LEN(ev), NULL, 0, &o, &d));
    r = ut_derive_result(d);
    T_EQ_SIZE(r->ntouches, 1);
    T_EQ_I64(r->touches[0].event_id, 2);
    T_EQ_SIZE(r->nconvs, 1);
    T_EQ_I64(r->convs[0].event_id, 4);
    ut_derive_free(d);
}

TEST(events_before_the_window_still_continue_sessions)
{
    /* event 1 is before touch_from: not a touch, but event 2 continues its session */
    struct ut_derive_event ev[] = {page(1, T0 - 10 * MIN, "a", NULL), page(2, T0, "a", NULL)};
    struct ut_derive_opts o = UT_DERIVE_OPTS_INIT;
    struct ut_derive *d = NULL;

    o.touch_from = T0;
    T_OK(derive(ev, UT_ARRAY_LEN(ev), NULL, 0, &o, &d));
    T_EQ_SIZE(ut_derive_result(d)->ntouches, 0);
    ut_derive_free(d);
}

/* ---- contract --------------------------------------------------------------------------- */

TEST(rejects_out_of_order_and_late_input)
{
    struct ut_derive_event ev[] = {page(5, T0, "a", NULL), page(4, T0, "a", NULL)};
    struct ut_derive_edge e = edge("anon:a", "user:1", "identify", 0);
    struct ut_derive *d = NULL;
    struct ut_diag diag;

    memset(&diag, 0, sizeof(diag));
    T_OK(ut_derive_new(&d, NULL));
    T_NULL(ut_derive_result(d));
    T_ERR(ut_derive_add_events(d, ev, 2, &diag), UT_EINVAL);
    T_TRUE(strstr(diag.msg, "order") != NULL);
    T_ERR(ut_derive_add_edge(d, &e), UT_EINVAL);
    T_ERR(ut_derive_add_conversion_name(d, "x", 1), UT_EINVAL);
    T_OK(ut_derive_finish(d, NULL));
    T_ERR(ut_derive_finish(d, NULL), UT_EINVAL);
    T_ERR(ut_derive_add_event(d, &ev[0], NULL), UT_EINVAL);
    ut_derive_free(d);
    ut_derive_free(NULL);
}

TEST(same_input_same_output)
{
    struct ut_derive_edge edges[] = {edge("anon:b", "user:1", "identify", 0),
                                     edge("anon:c", "user:1", "identify", 0)};
    struct ut_derive_event ev[] = {
        campaign(1, T0, "c", "google", "cpc", NULL, "Paid Search"),
        page(2, T0 + 1, "b", NULL),
        page(3, T0 + 2, "a", NULL),
        track(4, T0 + 3, "b", NULL, "Order Completed", 100, "USD"),
    };
    struct ut_derive *d1 = NULL, *d2 = NULL;
    const struct ut_derive_result *r1, *r2;

    T_OK(derive(ev, UT_ARRAY_LEN(ev), edges, UT_ARRAY_LEN(edges), NULL, &d1));
    T_OK(derive(ev, UT_ARRAY_LEN(ev), edges, UT_ARRAY_LEN(edges), NULL, &d2));
    r1 = ut_derive_result(d1);
    r2 = ut_derive_result(d2);
    T_EQ_SIZE(r1->npersons, r2->npersons);
    T_EQ_SIZE(r1->ntouches, r2->ntouches);
    for (size_t i = 0; i < r1->ntouches; i++) {
        T_EQ_I64(r1->touches[i].person, r2->touches[i].person);
        T_EQ_STR(r1->touches[i].channel, r2->touches[i].channel);
    }
    for (size_t i = 0; i < r1->ident_off[r1->npersons]; i++) {
        T_EQ_MEM(r1->idents[i].ptr, r1->idents[i].len, r2->idents[i].ptr, r2->idents[i].len);
    }
    T_EQ_I64(r1->touches[0].person, 0); /* c (user 1) acted first */
    T_EQ_I64(r1->convs[0].person, 0);
    ut_derive_free(d1);
    ut_derive_free(d2);
}

TEST(out_of_memory_is_reported_and_leaks_nothing)
{
    struct ut_derive_edge edges[] = {edge("anon:b", "user:1", "identify", 0),
                                     edge("anon:x", "click:T", "click", 1)};
    struct ut_derive_event ev[] = {
        campaign(1, T0, "x", "google", "cpc", NULL, "Paid Search"),
        page(2, T0 + 1, "b", NULL),
        track(3, T0 + 3, "b", NULL, "Order Completed", 100, "USD"),
    };
    int done = 0;

    for (long n = 1; n < 500 && !done; n++) {
        struct ut_derive *d = NULL;
        struct ut_journeys *j = NULL;
        long live = ut_alloc_live();
        int err;

        ut_alloc_fail_after(n);
        err = derive(ev, UT_ARRAY_LEN(ev), edges, UT_ARRAY_LEN(edges), NULL, &d);
        if (err == UT_OK) {
            err = ut_journeys_new(&j);
            if (err == UT_OK) {
                err = ut_derive_add_journeys(d, j, UT_DIM_SOURCE, DAY, NULL);
            }
        }
        ut_alloc_fail_after(0);
        if (err != UT_OK) {
            T_ERR(err, UT_ENOMEM);
        } else {
            done = 1;
        }
        ut_journeys_free(j);
        ut_derive_free(d);
        T_EQ_I64(ut_alloc_live(), live);
    }
    T_TRUE(done);
}

/* ---- the store glue --------------------------------------------------------------------- */

static void
rm_flat(const char *dir)
{
    DIR *dh = opendir(dir);
    struct dirent *de;
    char sub[1024];

    if (dh == NULL) {
        return;
    }
    for (de = readdir(dh); de != NULL; de = readdir(dh)) {
        if (snprintf(sub, sizeof(sub), "%s/%s", dir, de->d_name) < (int)sizeof(sub)) {
            (void)unlink(sub);
        }
    }
    closedir(dh);
    (void)rmdir(dir);
}

/* Store a page or track event with its class and the evidence the writer would add. */
static int
put(struct ut_store *s, int64_t ws, struct ut_event *e, const struct ut_event_class *cls,
    int64_t *id)
{
    const struct ut_store_ops *ops = ut_store_ops(s);
    int inserted;

    return ops->event_put(s, ws, e, cls, id, &inserted);
}

static void
fill_store(struct ut_store *s, int64_t ws)
{
    const struct ut_store_ops *ops = ut_store_ops(s);
    struct ut_event e;
    struct ut_event_class cls;
    struct ut_identity_edge ed;
    int64_t id;

    memset(&e, 0, sizeof(e));
    memset(&cls, 0, sizeof(cls));
    memset(&ed, 0, sizeof(ed));
    T_OK(ops->begin(s));
    e.type = UT_EVENT_PAGE;
    e.message_id = UT_STR("m1");
    e.anonymous_id = UT_STR("phone");
    e.timestamp = T0;
    e.received_at = T0;
    e.currency = UT_STR("USD");
    cls.is_candidate = 1;
    cls.source = UT_STR("google");
    cls.medium = UT_STR("cpc");
    cls.campaign = UT_STR("spring");
    cls.channel = UT_STR("Paid Search");
    T_OK(put(s, ws, &e, &cls, &id));
    memset(&cls, 0, sizeof(cls));
    e.message_id = UT_STR("m2");
    e.anonymous_id = UT_STR("laptop");
    e.user_id = UT_STR("42");
    e.type = UT_EVENT_IDENTIFY;
    e.timestamp = T0 + HOUR;
    T_OK(put(s, ws, &e, &cls, &id));
    ed.a = UT_STR("anon:laptop");
    ed.b = UT_STR("user:42");
    ed.kind = UT_STR("identify");
    ed.event_id = id;
    ed.time = e.timestamp;
    ed.confidence = 1.0;
    T_OK(ops->edge_put(s, ws, &ed));
    e.message_id = UT_STR("m3");
    e.anonymous_id = UT_STR("phone");
    e.type = UT_EVENT_TRACK;
    e.name = UT_STR("Order Completed");
    e.has_revenue = 1;
    e.revenue_minor = 4999;
    e.timestamp = T0 + 2 * HOUR;
    T_OK(put(s, ws, &e, &cls, &id));
    ed.a = UT_STR("anon:phone");
    ed.event_id = id;
    T_OK(ops->edge_put(s, ws, &ed));
    T_OK(ops->commit(s));
}

TEST(store_glue_reads_a_workspace)
{
    char root[] = "/tmp/ut_derive_XXXXXX";
    struct ut_store *s = NULL, *ro = NULL;
    struct ut_derive *d = NULL;
    const struct ut_derive_result *r;
    struct ut_derive_opts o = UT_DERIVE_OPTS_INIT;
    struct ut_diag diag;
    int64_t ws = 0;
    char buf[256];

    if (mkdtemp(root) == NULL) {
        t_fail(__FILE__, __LINE__, "mkdtemp: %s", strerror(errno));
        return;
    }
    memset(&diag, 0, sizeof(diag));
    if (ut_store_open(&s, root, UT_STORE_CREATE, &diag) != UT_OK) {
        rm_flat(root);
        SKIP("no storage adapter");
    }
    T_OK(ut_store_ops(s)->workspace_create(s, "w", T0, &ws));
    fill_store(s, ws);
    T_OK(ut_store_open(&ro, root, UT_STORE_READONLY, &diag));
    T_OK(ut_derive_load(ro, ws, NULL, &d, &diag));
    r = ut_derive_result(d);
    T_EQ_SIZE(r->npersons, 1);
    T_EQ_STR(idents_of(r, 0, buf, sizeof(buf)), "anon:laptop anon:phone user:42");
    T_EQ_SIZE(r->ntouches, 1);
    T_EQ_STR(r->touches[0].channel, "Paid Search");
    T_EQ_STR(r->touches[0].campaign, "spring");
    T_EQ_SIZE(r->nconvs, 1);
    T_NEAR(r->convs[0].value, 49.99, 1e-12);
    ut_derive_free(d);
    d = NULL;
    /* a conversion window that leaves the order out */
    o.conv_from = T0 + 3 * HOUR;
    o.touch_from = o.conv_from - DAY;
    T_OK(ut_derive_load(ro, ws, &o, &d, &diag));
    T_EQ_SIZE(ut_derive_result(d)->nconvs, 0);
    ut_derive_free(d);
    d = NULL;
    /* the setting decides what converts; a malformed one is a parse error */
    T_OK(ut_store_ops(s)->workspace_setting_set(s, ws, "conversion_events", "[\"Signed Up\"]"));
    T_OK(ut_derive_load(ro, ws, NULL, &d, &diag));
    T_EQ_SIZE(ut_derive_result(d)->nconvs, 0);
    ut_derive_free(d);
    d = NULL;
    T_OK(ut_store_ops(s)->workspace_setting_set(s, ws, "conversion_events", "nope"));
    T_ERR(ut_derive_load(ro, ws, NULL, &d, &diag), UT_EPARSE);
    T_NULL(d);
    ut_store_ops(ro)->close(ro);
    ut_store_ops(s)->close(s);
    rm_flat(root);
}

T_LIST(T_CASE(session_29_minutes_continues_31_starts_a_new_one), T_CASE(sessions_are_per_device),
       T_CASE(internal_referrer_is_not_a_touch),
       T_CASE(candidates_are_touches_even_inside_a_session),
       T_CASE(candidate_without_channel_is_unassigned), T_CASE(identify_stitches_two_devices),
       T_CASE(event_with_both_ids_joins_them_without_an_edge),
       T_CASE(click_token_stitches_and_credits_the_link), T_CASE(alias_joins_user_ids),
       T_CASE(probabilistic_and_empty_edges_do_not_merge),
       T_CASE(persons_are_numbered_by_first_event),
       T_CASE(conversion_before_any_touch_credits_none),
       T_CASE(conversion_values_follow_currency_exponents),
       T_CASE(conversion_names_come_from_the_setting), T_CASE(by_dimensions_credit_their_values),
       T_CASE(dimension_names_parse), T_CASE(windows_limit_conversions_and_touches),
       T_CASE(events_before_the_window_still_continue_sessions),
       T_CASE(rejects_out_of_order_and_late_input), T_CASE(same_input_same_output),
       T_CASE(out_of_memory_is_reported_and_leaks_nothing), T_CASE(store_glue_reads_a_workspace))

T_MAIN()
