/*
 * server/links.c - what the link API and `utmost link` share: the checks of
 * a link's fields (naming the field that fails), the link's JSON form, and
 * the JSON bodies of the events the server makes itself (link clicks, pixel
 * hits). No I/O here: callers read and write the store.
 */
#include "util/setup.h"

#include <string.h>

#include "core/link.h"
#include "server/srv.h"
#include "util/diag.h"
#include "util/json.h"
#include "util/timeparse.h"

/* ---- checks -------------------------------------------------------------------------- */

static int
text_field(struct ut_str v, const char *field, struct ut_diag *diag)
{
    int err;

    if (v.ptr == NULL) {
        return UT_OK; /* absent: allowed for every optional field */
    }
    err = ut_link_text_check(v.ptr, v.len);
    if (err != UT_OK) {
        ut_diag_set(diag,
                    err == UT_ELIMIT ? "%s longer than %u bytes"
                                     : "%s must be 1 to %u bytes of UTF-8 text",
                    field, UT_LINK_TEXT_MAX);
        ut_diag_field(diag, field, strlen(field));
    }
    return err;
}

int
srv_link_check(const struct ut_link *l, struct ut_diag *diag)
{
    const struct {
        const char *name;
        struct ut_str v;
    } texts[] = {
        {"utm_source", l->utm_source},     {"utm_medium", l->utm_medium},
        {"utm_campaign", l->utm_campaign}, {"utm_content", l->utm_content},
        {"utm_term", l->utm_term},         {"partner", l->partner},
    };
    int err = ut_link_slug_check(l->slug.ptr, l->slug.len);

    if (err != UT_OK) {
        ut_diag_set(diag, "slug must be 1 to %u characters of A-Z a-z 0-9 _ -", UT_LINK_SLUG_MAX);
        ut_diag_field(diag, "slug", 4);
        return err;
    }
    err = ut_link_destination_check(l->destination.ptr, l->destination.len, diag);
    if (err != UT_OK) {
        ut_diag_field(diag, "destination", 11);
        return err;
    }
    for (size_t i = 0; i < UT_ARRAY_LEN(texts); i++) {
        err = text_field(texts[i].v, texts[i].name, diag);
        if (err != UT_OK) {
            return err;
        }
    }
    return UT_OK;
}

void
srv_json_strv(struct ut_buf *b, struct ut_str s)
{
    if (s.ptr == NULL) {
        ut_buf_addstr(b, "null");
        return;
    }
    ut_json_string(b, s.ptr, s.len);
}

/* ,"key":"value" (or null) */
static void
json_member(struct ut_buf *b, const char *key, struct ut_str v)
{
    ut_buf_addf(b, ",\"%s\":", key);
    srv_json_strv(b, v);
}

void
srv_link_json(struct ut_buf *b, const struct ut_link *l)
{
    char created[32];

    (void)ut_format_timestamp(l->created_at, created, UT_TIMESTAMP_MILLIS);
    ut_buf_addf(b, "{\"id\":%lld,\"workspace_id\":%lld", (long long)l->id,
                (long long)l->workspace_id);
    json_member(b, "slug", l->slug);
    json_member(b, "destination", l->destination);
    json_member(b, "utm_source", l->utm_source);
    json_member(b, "utm_medium", l->utm_medium);
    json_member(b, "utm_campaign", l->utm_campaign);
    json_member(b, "utm_content", l->utm_content);
    json_member(b, "utm_term", l->utm_term);
    json_member(b, "partner", l->partner);
    ut_buf_addstr(b, ",\"path\":\"/l/");
    ut_buf_add(b, l->slug.ptr, l->slug.len); /* checked: [A-Za-z0-9_-] needs no escaping */
    ut_buf_addf(b, "\",\"created_at\":\"%s\",\"clicks\":%lld,\"bot_clicks\":%lld}", created,
                (long long)l->clicks, (long long)l->bot_clicks);
}

void
srv_event_json(struct ut_buf *b, const struct ut_event *ev, const char *library, const char *props)
{
    const char *type = ut_event_type_name(ev->type);
    char ts[32], rx[32];

    (void)ut_format_timestamp(ev->timestamp, ts, UT_TIMESTAMP_MILLIS);
    (void)ut_format_timestamp(ev->received_at, rx, UT_TIMESTAMP_MILLIS);
    ut_buf_addf(b, "{\"type\":\"%s\"", type != NULL ? type : "track");
    json_member(b, "messageId", ev->message_id);
    if (ev->anonymous_id.ptr != NULL) {
        json_member(b, "anonymousId", ev->anonymous_id);
    }
    if (ev->user_id.ptr != NULL) {
        json_member(b, "userId", ev->user_id);
    }
    if (ev->name.ptr != NULL) {
        json_member(b, "name", ev->name);
    }
    if (props != NULL) {
        ut_buf_addstr(b, ",\"properties\":");
        ut_buf_addstr(b, props);
    }
    ut_buf_addstr(b, ",\"context\":{\"page\":{\"url\":");
    srv_json_strv(b, ev->url);
    json_member(b, "referrer", ev->referrer);
    ut_buf_addstr(b, "}");
    json_member(b, "ip", ev->ip);
    json_member(b, "userAgent", ev->user_agent);
    ut_buf_addf(b, ",\"library\":{\"name\":\"%s\"}}", library);
    ut_buf_addf(b, ",\"timestamp\":\"%s\",\"receivedAt\":\"%s\"}", ts, rx);
}
