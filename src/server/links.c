/*
 * server/links.c - what the link API and `utmost link` share: the checks of
 * a link's fields (naming the field that fails), the link's JSON form, and
 * the JSON bodies of the events the server makes itself (link clicks, pixel
 * hits). No I/O here: callers read and write the store.
 */
#include "util/setup.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/link.h"
#include "server/srv.h"
#include "util/diag.h"
#include "util/utf8.h"

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

/* ---- JSON ---------------------------------------------------------------------------- */

void
srv_json_str(struct ut_buf *b, const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;

    ut_buf_addch(b, '"');
    while (i < len) {
        size_t n = ut_utf8_seq(p + i, len - i);

        if (n == 0) {
            ut_buf_addstr(b, "\xef\xbf\xbd"); /* U+FFFD for a byte that is not UTF-8 */
            i++;
            continue;
        }
        if (n > 1) {
            ut_buf_add(b, p + i, n);
        } else if (p[i] == '"' || p[i] == '\\') {
            ut_buf_addch(b, '\\');
            ut_buf_addch(b, (char)p[i]);
        } else if (p[i] < 0x20 || p[i] == 0x7f) {
            ut_buf_addf(b, "\\u%04x", p[i]);
        } else {
            ut_buf_addch(b, (char)p[i]);
        }
        i += n;
    }
    ut_buf_addch(b, '"');
}

void
srv_json_strv(struct ut_buf *b, struct ut_str s)
{
    if (s.ptr == NULL) {
        ut_buf_addstr(b, "null");
        return;
    }
    srv_json_str(b, s.ptr, s.len);
}

void
srv_iso_time(double t, char out[32])
{
    char tmp[96];
    time_t secs;
    struct tm tm;
    long ms;

    if (!isfinite(t) || t < 0 || t > 253402300799.0) {
        t = 0; /* outside 1970..9999: cannot come from our clock */
    }
    secs = (time_t)floor(t);
    ms = (long)((t - floor(t)) * 1000.0);
    ms = ms > 999 ? 999 : ms;
    gmtime_r(&secs, &tm);
    /* the bounds above keep this at 24 bytes; tmp is what the compiler can prove enough */
    (void)snprintf(tmp, sizeof(tmp), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
                   tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
    memcpy(out, tmp, 31);
    out[31] = '\0';
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

    srv_iso_time(l->created_at, created);
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

    srv_iso_time(ev->timestamp, ts);
    srv_iso_time(ev->received_at, rx);
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
