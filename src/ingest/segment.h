/*
 * ingest/segment.h - decoder for the Segment HTTP Tracking API (/v1/batch and
 * /v1/<type>), as sent by @segment/analytics-node, analytics.js, RudderStack
 * and the other Segment-compatible SDKs, into struct ut_event. Strict: a
 * request is accepted whole or rejected whole with a precise reason. It
 * never reads a clock (the receive time is an argument), never prints and
 * never keeps anything between calls.
 */
#ifndef UT_INGEST_SEGMENT_H
#define UT_INGEST_SEGMENT_H

#include <stddef.h>

#include "core/event.h"
#include "util/arena.h"
#include "util/str.h"
#include "utmost/common.h"

/* Caps on one request; every one of them yields UT_ELIMIT (HTTP 413). */
struct ut_segment_limits {
    size_t max_event_bytes; /* a single call's body, and each event's compact JSON */
    size_t max_batch_bytes; /* a /v1/batch body */
    unsigned max_depth;     /* JSON nesting (the body object is depth 1); at most 1000 */
    size_t max_string;      /* bytes of any string value or object key, after unescaping */
    size_t max_events;      /* events in one batch */
};

/* Segment's own limits (32 KiB per event, 500 KB per batch) plus ours. */
#define UT_SEGMENT_LIMITS_DEFAULT                                                                  \
    {                                                                                              \
        .max_event_bytes = 32u * 1024u, .max_batch_bytes = 512000u, .max_depth = 32u,              \
        .max_string = 8u * 1024u, .max_events = 2500u                                              \
    }

/* The decoded request. Everything it points at lives in the arena given to the decoder. */
struct ut_segment_batch {
    struct ut_event *events;
    size_t n;
    struct ut_str write_key; /* "writeKey" from the body, if any (else UT_STR_NULL) */
};

/*
 * Install cJSON's allocation hooks once: ut_malloc / ut_free, except that a
 * thread running ut_segment_decode allocates its cJSON nodes from a scratch
 * arena (itself made of ut_malloc chunks) freed when the call returns. cJSON
 * keeps its hooks in process-wide state, so this affects every cJSON user in
 * the process: call it at start-up before anything else uses cJSON (the
 * server does), and never call cJSON_InitHooks elsewhere. ut_segment_decode
 * also calls it (through pthread_once), so calling it is optional for code
 * that only decodes. Thread-safe; idempotent.
 */
void ut_segment_init(void);

/*
 * Decode body[0..len) (never read past len; no NUL needed).
 *
 * path_type is 0 for /v1/batch ({"batch":[...], "sentAt"?, "context"?,
 * "writeKey"?}) or the type of a single call (/v1/track -> UT_EVENT_TRACK,
 * ...; UT_EVENT_CLICK is not a Segment type). received_at is the server's
 * receive time in Unix seconds. lim may be NULL for UT_SEGMENT_LIMITS_DEFAULT.
 *
 * Checks, in order: body size; UTF-8 (RFC 3629: no overlong forms,
 * surrogates or truncated sequences); JSON syntax (RFC 8259, strict: no
 * leading '+', no "\u0000" escape, no unpaired surrogate escape, numbers of at
 * most 63 bytes that fit a double) and nesting depth; string lengths and
 * duplicate object keys anywhere; then each event's fields. JSON null counts
 * as an absent field everywhere.
 *
 * Each event gets (see struct ut_event for the field list):
 * - type: the element's "type" (required in a batch); for a single call the
 *   path's type, and an element "type" that disagrees with it is UT_EINVAL;
 * - identity: "userId" or "anonymousId" is required (a string, or a number
 *   converted to the decimal text JavaScript would print); alias needs
 *   "previousId" and "userId", group "groupId", track a non-empty "event";
 * - message_id: "messageId" (a non-empty string of at most 200 bytes) as is;
 *   when absent, "ut-" + 32 hex digits of SHA-256 over the event's canonical
 *   form (type, then every field except sentAt, receivedAt, writeKey and
 *   messageId, object keys sorted, batch context merged in), so a retry of
 *   the same content gets the same id whatever its sentAt or key order;
 * - timestamp, corrected for the client's clock like Segment does: with a
 *   sentAt (the event's, else the batch's) and an originalTimestamp (else
 *   timestamp), timestamp = received_at - (sentAt - originalTimestamp);
 *   otherwise timestamp if present; otherwise received_at. The corrected
 *   time must lie within 1970..9999;
 * - the batch "context" merged into each event's context as defaults (the
 *   event's own values win; objects present on both sides merge key by key);
 * - url/referrer from context.page (page calls prefer properties.url /
 *   .referrer), ip, user_agent, campaign_* from context.campaign, email from
 *   traits.email (identify) or context.traits.email, click_token from
 *   properties.ut_click or the ut_click query parameter of the page URL
 *   (percent-decoded). Empty strings count as absent;
 * - track only: revenue from properties.revenue, else .value, else .total
 *   (a number or a numeric string), in minor units of properties.currency
 *   (3 letters, upper-cased, default "USD"; currency is set on every track);
 * - body: the event's compact JSON (what was received, members in their
 *   order; numbers in the shortest form that reads back as the same double,
 *   as JSON.stringify writes them; strings with only the escapes JSON
 *   requires, \b and \f as \u0008 and \u000c) with the batch context merged in, "writeKey" and any
 * client "receivedAt" removed, and appended: "type" when it came from the path, "sentAt" when it
 * came from the batch, "messageId" when derived, and always "receivedAt" (ISO-8601 UTC with
 *   milliseconds). The client's timestamps are stored as sent; the corrected
 *   time is the timestamp field. The JSON as received (merged, without
 *   writeKey/receivedAt) must be at most max_event_bytes.
 *
 * Returns UT_OK and fills *out; or UT_EPARSE (bad UTF-8 or JSON; diag->col is
 * the 1-based byte position), UT_ELIMIT (a cap), UT_EINVAL (a missing or
 * wrong-typed field; diag->field holds its JSON path such as
 * "batch[3].properties" or "event"), UT_ENOMEM. diag (optional) gets a
 * lowercase message. *out is written only on success; on failure the arena
 * may hold partial allocations, which die with it.
 *
 * Ownership: body is borrowed for the call; every pointer in *out points into
 * arena. The arena receives about as many bytes as the body, more when a
 * batch context is merged into every event: give it a cap (reaching it gives
 * UT_ELIMIT). cJSON's tree lives in a scratch arena of its own, capped at 48
 * bytes per body byte (UT_ELIMIT beyond) and freed before returning.
 * Thread-safe (distinct arenas and outputs per thread).
 */
int ut_segment_decode(enum ut_event_type path_type, const char *body, size_t len,
                      double received_at, const struct ut_segment_limits *lim,
                      struct ut_arena *arena, struct ut_segment_batch *out, struct ut_diag *diag);

#endif /* UT_INGEST_SEGMENT_H */
