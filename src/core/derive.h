/*
 * core/derive.h - from stored events to what the engine attributes: touches
 * (sessions per device, campaign-carrying events, Direct session starts),
 * persons (connected components of deterministic identity evidence) and
 * conversions (track events named in the workspace's conversion list).
 * Pure: the caller feeds rows (the store glue, or tests by hand); no I/O,
 * clock or randomness, and the same input always gives the same output.
 *
 * Use: ut_derive_new, then any number of ut_derive_add_conversion_name,
 * ut_derive_add_link and ut_derive_add_edge, then ut_derive_add_event for
 * every event in (time, id) order, then ut_derive_finish once. The result
 * (ut_derive_result) and ut_derive_add_journeys are valid after finish.
 *
 * Ownership: every string passed in is copied (interned); every string and
 * array handed out is borrowed from the struct ut_derive and lives until
 * ut_derive_free. Thread-safety: none; one builder per thread.
 * Errors: UT_OK or a negative enum ut_err; an optional diag gets a message.
 */
#ifndef UT_CORE_DERIVE_H
#define UT_CORE_DERIVE_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "core/event.h"
#include "util/str.h"
#include "utmost/attribution.h"

/* 30 minutes without a page, screen or click event of a device ends its session. */
#define UT_DERIVE_SESSION_TIMEOUT 1800.0

/* The dimension a touch credits (`--by`). */
enum ut_derive_dim {
    UT_DIM_CHANNEL, /* GA4 default channel group ("Paid Search", "Direct", ...) */
    UT_DIM_SOURCE,
    UT_DIM_MEDIUM,
    UT_DIM_CAMPAIGN,
    UT_DIM_CONTENT,
    UT_DIM_TERM,
    UT_DIM_LINK,    /* tracking-link slug */
    UT_DIM_PARTNER, /* the tracking link's partner */
    UT_DIM_COUNT
};

/* The dimension named s ("channel", "source", ...): 0 and *out, or -1. */
int ut_derive_dim_parse(const char *s, enum ut_derive_dim *out);
/* "channel", "source", ...; NULL out of range. */
const char *ut_derive_dim_name(enum ut_derive_dim d);

/*
 * One stored event with its classification (server/writer.c): views borrowed
 * for the call; absent strings are empty or NULL.
 */
struct ut_derive_event {
    int64_t id;
    double time; /* Unix seconds */
    enum ut_event_type type;
    int has_revenue;
    int64_t revenue_minor;
    struct ut_str name, anonymous_id, user_id;
    struct ut_str currency; /* ISO-4217; empty reads as USD */
    /* classification of page / screen / click events */
    int is_candidate; /* carries campaign information (utm, click id, external referrer, link) */
    int internal_referrer;
    struct ut_str source, medium, campaign, content, term, click_id, channel;
};

/* One identity evidence edge: "ns:value" identifiers (anon:abc, user:42, email:a@b.c, click:T). */
struct ut_derive_edge {
    struct ut_str a, b, kind;
    int64_t event_id;  /* the event that proved it; 0 when none */
    double confidence; /* below 1: probabilistic, ignored (persons are deterministic) */
};

/* Which window of events counts. Conversions: conv_from <= T < conv_to. */
struct ut_derive_opts {
    double conv_from, conv_to;
    double touch_from;      /* touches at or after it (and before conv_to); earlier events
                               only tell where sessions start */
    double session_timeout; /* seconds; UT_DERIVE_SESSION_TIMEOUT */
};

#define UT_DERIVE_OPTS_INIT                                                                        \
    {                                                                                              \
        -HUGE_VAL, HUGE_VAL, -HUGE_VAL, UT_DERIVE_SESSION_TIMEOUT                                  \
    }

/* A derived touch. Strings borrowed from the builder; NULL when absent. */
struct ut_derive_touch {
    int64_t event_id;
    double time;
    uint32_t person;
    uint32_t flags; /* UT_TOUCH_DIRECT when the channel is Direct */
    enum ut_event_type type;
    int session_start; /* a Direct touch made by starting a session, not by campaign info */
    const char *channel, *source, *medium, *campaign, *content, *term;
    const char *click_id; /* click id kind ("gclid") */
    const char *link;     /* tracking-link slug: the click itself, or the page it landed on */
    const char *partner;  /* the link's partner */
};

/* A derived conversion. value = revenue_minor / 10^exponent(currency), or 0. */
struct ut_derive_conversion {
    int64_t event_id;
    double time;
    uint32_t person;
    double value;
    int has_revenue;
    int64_t revenue_minor;
    const char *name;
    const char *currency; /* NULL when the event had none */
};

/*
 * The outcome of ut_derive_finish. Touches and conversions are in event
 * (time, id) order. Persons are numbered from 0 in the order of their first
 * event (persons known only from edges last, in edge order); per person p:
 * identifiers idents[ident_off[p] .. ident_off[p + 1]) in byte order, touches
 * touches[touch_ix[k]] for k in [touch_off[p], touch_off[p + 1]) in time
 * order, conversions likewise through conv_off / conv_ix.
 */
struct ut_derive_result {
    const struct ut_derive_touch *touches;
    size_t ntouches;
    const struct ut_derive_conversion *convs;
    size_t nconvs;
    size_t npersons;
    const struct ut_str *idents; /* NUL-terminated views */
    const size_t *ident_off;     /* npersons + 1 */
    const uint32_t *touch_ix;
    const size_t *touch_off; /* npersons + 1 */
    const uint32_t *conv_ix;
    const size_t *conv_off; /* npersons + 1 */
};

struct ut_derive;

/* A new builder with options o (NULL: UT_DERIVE_OPTS_INIT) in *out. UT_ENOMEM, UT_EINVAL. */
int ut_derive_new(struct ut_derive **out, const struct ut_derive_opts *o);
/* Free the builder and everything it handed out; NULL is a no-op. */
void ut_derive_free(struct ut_derive *d);

/*
 * Count track events named name[0..len) as conversions. With no name added,
 * no event converts (the caller supplies the workspace's list or its default).
 * Names and edges must come before the first event (UT_EINVAL after).
 */
int ut_derive_add_conversion_name(struct ut_derive *d, const char *name, size_t len);
/* A tracking link and its partner (empty: none). A later slug replaces an earlier one. */
int ut_derive_add_link(struct ut_derive *d, struct ut_str slug, struct ut_str partner);
/*
 * One identity edge; edges with confidence below 1 or an empty end are
 * skipped. An edge with a "click:" end tells that its event carried a link
 * click token: that page counts as a tracking-link touch credited to the link.
 */
int ut_derive_add_edge(struct ut_derive *d, const struct ut_derive_edge *e);
/*
 * One event. Events must come in (time, id) order (UT_EINVAL otherwise),
 * after every edge, and before finish. An event with neither an anonymous
 * nor a user id has no person and is ignored.
 */
int ut_derive_add_event(struct ut_derive *d, const struct ut_derive_event *ev,
                        struct ut_diag *diag);
/* Arrays of the two calls above, in index order; stop at the first error. */
int ut_derive_add_edges(struct ut_derive *d, const struct ut_derive_edge *e, size_t n);
int ut_derive_add_events(struct ut_derive *d, const struct ut_derive_event *ev, size_t n,
                         struct ut_diag *diag);
/* Resolve persons and links and build the result. UT_ENOMEM; UT_EINVAL when called twice. */
int ut_derive_finish(struct ut_derive *d, struct ut_diag *diag);

/* The result, or NULL before ut_derive_finish. Borrowed from d. */
const struct ut_derive_result *ut_derive_result(const struct ut_derive *d);

/* The value t credits under dim by (NULL when absent: callers show "(none)"). */
const char *ut_derive_touch_dim(const struct ut_derive_touch *t, enum ut_derive_dim by);

/*
 * Append the journeys of the result to j (see ut_journeys_add_events): each
 * touch credits its value of dimension by, interned in j ("(none)" when
 * absent); persons are renumbered densely over those with a touch or a
 * conversion. UT_EINVAL before finish or for a bad lookback, UT_ENOMEM,
 * UT_ELIMIT (too many distinct values).
 */
int ut_derive_add_journeys(const struct ut_derive *d, struct ut_journeys *j, enum ut_derive_dim by,
                           double lookback, struct ut_diag *diag);

/*
 * Find the person holding identifier id[0..len) ("anon:abc", "user:42", ...):
 * UT_OK with *person, or UT_ENOTFOUND. Valid after finish.
 */
int ut_derive_find_person(const struct ut_derive *d, const char *id, size_t len, uint32_t *person);

#endif /* UT_CORE_DERIVE_H */
