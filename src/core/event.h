/*
 * core/event.h - a collected event, as every source (Segment API, pixel, link
 * click, later webhooks and imports) hands it to storage. Events are the
 * truth: touches, persons and conversions are derived from them.
 *
 * All strings are views (util/str.h) into memory owned by whoever built the
 * event (the request arena); a missing field is UT_STR_NULL. Times are Unix
 * seconds.
 */
#ifndef UT_CORE_EVENT_H
#define UT_CORE_EVENT_H

#include "util/str.h"

enum ut_event_type {
    UT_EVENT_TRACK = 1,
    UT_EVENT_IDENTIFY,
    UT_EVENT_PAGE,
    UT_EVENT_SCREEN,
    UT_EVENT_GROUP,
    UT_EVENT_ALIAS,
    UT_EVENT_CLICK /* a tracking-link click (not a Segment type) */
};

/* "track", "identify", ... ; NULL for an unknown value. */
const char *ut_event_type_name(enum ut_event_type t);
/* The type named by s[0..len), or 0. */
enum ut_event_type ut_event_type_parse(const char *s, size_t len);

struct ut_event {
    enum ut_event_type type;
    struct ut_str message_id;   /* the client's messageId, or a key derived from the content */
    struct ut_str anonymous_id; /* anonymousId / visitor cookie */
    struct ut_str user_id;      /* userId */
    struct ut_str previous_id;  /* alias: previousId */
    struct ut_str group_id;     /* group: groupId */
    struct ut_str name;         /* track: event; page/screen: name */
    struct ut_str email;        /* traits.email or context.traits.email */
    /* context */
    struct ut_str url;        /* context.page.url (or properties.url for page calls) */
    struct ut_str referrer;   /* context.page.referrer (or properties.referrer) */
    struct ut_str ip;         /* context.ip, else the connection's address */
    struct ut_str user_agent; /* context.userAgent, else the request header */
    struct ut_str campaign_source, campaign_medium, campaign_name, campaign_content,
        campaign_term;       /* context.campaign.* (utm values sent by the SDK) */
    struct ut_str click_token; /* ut_click from the page URL or properties.ut_click */
    /* money (track): properties.revenue, else .value, else .total, in minor units */
    int has_revenue;
    int64_t revenue_minor;  /* e.g. 1999 for 19.99 USD */
    struct ut_str currency; /* ISO-4217, upper case; "USD" when absent */
    double timestamp;       /* event time, corrected for client clock skew */
    double received_at;     /* server time at receipt */
    struct ut_str body;     /* the event as compact JSON, stored verbatim */
};

#endif /* UT_CORE_EVENT_H */
