/*
 * fuzz/fuzz_event_json.c - libFuzzer target for ingest/segment: the input is
 * decoded as a /v1/batch body and as each single call. Any result other than
 * the documented error codes aborts, and so does a decoded event that breaks
 * an invariant: views NUL-terminated, ids present, the stored body decodable
 * again (as a single call of its type) into the same event.
 */
#include "util/setup.h"

#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "ingest/segment.h"
#include "util/arena.h"
#include "util/timeparse.h"

#define RECV 1700000000.0

static void
check_view(const struct ut_str *v)
{
    CHECK(v->ptr != NULL || v->len == 0);
    CHECK(v->ptr == NULL || (v->len > 0 && v->ptr[v->len] == '\0'));
}

static void
check_event(const struct ut_event *e)
{
    const struct ut_str *views[] = {
        &e->message_id,
        &e->anonymous_id,
        &e->user_id,
        &e->previous_id,
        &e->group_id,
        &e->name,
        &e->email,
        &e->url,
        &e->referrer,
        &e->ip,
        &e->user_agent,
        &e->campaign_source,
        &e->campaign_medium,
        &e->campaign_name,
        &e->campaign_content,
        &e->campaign_term,
        &e->click_token,
        &e->currency,
        &e->body,
    };

    for (size_t i = 0; i < UT_ARRAY_LEN(views); i++) {
        check_view(views[i]);
    }
    CHECK(e->type >= UT_EVENT_TRACK && e->type <= UT_EVENT_ALIAS);
    CHECK(e->message_id.len > 0 && e->message_id.len <= 200);
    CHECK(e->user_id.ptr != NULL || e->anonymous_id.ptr != NULL);
    CHECK(e->type != UT_EVENT_TRACK || (e->name.ptr != NULL && e->currency.len == 3));
    CHECK(e->type != UT_EVENT_GROUP || e->group_id.ptr != NULL);
    CHECK(e->type != UT_EVENT_ALIAS || (e->previous_id.ptr != NULL && e->user_id.ptr != NULL));
    CHECK(!e->has_revenue ||
          (e->revenue_minor <= 9000000000000000 && e->revenue_minor >= -9000000000000000));
    CHECK(e->timestamp >= 0 && e->timestamp <= UT_TIME_MAX && e->received_at == RECV);
    CHECK(e->body.len >= 2 && e->body.ptr[0] == '{' && e->body.ptr[e->body.len - 1] == '}');
    CHECK(strlen(e->body.ptr) == e->body.len);
}

/* The stored body, decoded again as a single call, gives the same event. */
static void
check_roundtrip(const struct ut_event *e)
{
    struct ut_segment_limits lim = UT_SEGMENT_LIMITS_DEFAULT;
    struct ut_arena a;
    struct ut_segment_batch out;
    const struct ut_event *r;
    int err;

    lim.max_event_bytes *= 2; /* appended members and merged context */
    lim.max_depth += 1;       /* the batch context lands one level deeper */
    ut_arena_init(&a, 1024, 0);
    err = ut_segment_decode(e->type, e->body.ptr, e->body.len, RECV, &lim, &a, &out, NULL);
    CHECK(err == UT_OK && out.n == 1);
    r = &out.events[0];
    CHECK(r->type == e->type && ut_str_eq(r->message_id, e->message_id));
    CHECK(ut_str_eq(r->user_id, e->user_id) && ut_str_eq(r->anonymous_id, e->anonymous_id));
    CHECK(ut_str_eq(r->url, e->url) && ut_str_eq(r->click_token, e->click_token));
    CHECK(r->has_revenue == e->has_revenue && r->revenue_minor == e->revenue_minor);
    CHECK(r->timestamp == e->timestamp);
    CHECK(ut_str_eq(r->body, e->body));
    ut_arena_release(&a);
}

/* data decoded as a call on path (0: /v1/batch): a documented result, sound events. */
static void
check_decode(enum ut_event_type path, const uint8_t *data, size_t size)
{
    struct ut_arena a;
    struct ut_segment_batch out;
    struct ut_diag d;
    int err;

    ut_arena_init(&a, 1024, (size_t)16 << 20);
    err = ut_segment_decode(path, (const char *)data, size, RECV, NULL, &a, &out, &d);
    CHECK(err == UT_OK || err == UT_EPARSE || err == UT_EINVAL || err == UT_ELIMIT);
    CHECK(err == UT_OK || d.msg[0] != '\0');
    if (err == UT_OK) {
        CHECK(out.n >= 1 && (path == 0 || out.n == 1));
        for (size_t k = 0; k < out.n; k++) {
            check_event(&out.events[k]);
            check_roundtrip(&out.events[k]);
        }
    }
    ut_arena_release(&a);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const enum ut_event_type paths[] = {
        (enum ut_event_type)0, UT_EVENT_TRACK, UT_EVENT_IDENTIFY, UT_EVENT_PAGE,
        UT_EVENT_SCREEN,       UT_EVENT_GROUP, UT_EVENT_ALIAS,
    };

    for (size_t i = 0; i < UT_ARRAY_LEN(paths); i++) {
        check_decode(paths[i], data, size);
    }
    return 0;
}
