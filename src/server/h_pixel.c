/*
 * server/h_pixel.c - GET /v1/pixel.gif?key=WRITE_KEY&url=&ref=&aid=&uid=,
 * a page view without JavaScript (an <img> in a page or an email). The key
 * is checked first (401 / 403 / 429 with a JSON body, no image), then the
 * arguments (400 / 413 naming the argument); the page event goes to the
 * writer like a Segment call and the 1x1 transparent GIF is answered only
 * after the commit, never cached. Without aid the ut_vid cookie identifies
 * the browser (set here when absent).
 */
#include "util/setup.h"

#include <stdio.h>
#include <string.h>

#include "core/link.h"
#include "server/srv.h"
#include "util/diag.h"
#include "util/url.h"

#define PIXEL_ID_MAX UT_LINK_TEXT_MAX /* bytes of aid / uid */
#define PIXEL_MID_BYTES 16            /* random messageId: 128 bits */
#define UA_MAX 1024u

/* nginx's empty_gif: 1x1, one transparent colour, 43 bytes. */
static const unsigned char pixel_gif[] = {
    'G',  'I',  'F',  '8',  '9',  'a',  0x01, 0x00, 0x01, 0x00, 0x80, 0x01, 0x00, 0x00, 0x00,
    0x00, 0xff, 0xff, 0xff, 0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x01, 0x00, 0x2c, 0x00, 0x00,
    0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x4c, 0x01, 0x00, 0x3b,
};

struct pixel {
    struct ut_event ev;
    char vid[SRV_VISITOR_HEX + 1];
    int new_visitor;
};

/* ---- arguments ------------------------------------------------------------------- */

static int
arg_fail(struct ut_diag *diag, int err, const char *name, const char *msg)
{
    ut_diag_set(diag, "%s %s", name, msg);
    ut_diag_field(diag, name, strlen(name));
    return err;
}

/* A URL argument: absent or empty gives UT_STR_NULL; flags as for ut_url_parse. */
static int
url_arg(struct srv_req *req, const char *name, unsigned flags, struct ut_str *out,
        struct ut_diag *diag)
{
    size_t len = 0;
    const char *v = srv_req_arg(req, name, &len);
    const char *cur = v;
    struct ut_url u;

    *out = UT_STR_NULL;
    if (v == NULL || len == 0) {
        return UT_OK;
    }
    if (len > UT_URL_MAX) {
        return arg_fail(diag, UT_ELIMIT, name, "is longer than 8192 bytes");
    }
    if (ut_url_parse(&u, &cur, v + len, flags, NULL) != UT_OK) {
        return arg_fail(diag, UT_EINVAL, name, "is not a valid URL");
    }
    *out = ut_arena_strdup(&req->arena, v, len);
    return out->ptr != NULL ? UT_OK : UT_ENOMEM;
}

/* An id argument (aid, uid): absent or empty gives UT_STR_NULL. */
static int
id_arg(struct srv_req *req, const char *name, struct ut_str *out, struct ut_diag *diag)
{
    size_t len = 0;
    const char *v = srv_req_arg(req, name, &len);
    int err;

    *out = UT_STR_NULL;
    if (v == NULL || len == 0) {
        return UT_OK;
    }
    err = ut_link_text_check(v, len);
    if (err == UT_ELIMIT) {
        return arg_fail(diag, UT_ELIMIT, name, "is longer than 200 bytes");
    }
    if (err != UT_OK) {
        return arg_fail(diag, UT_EINVAL, name, "must be UTF-8 text without control characters");
    }
    *out = ut_arena_strdup(&req->arena, v, len);
    return out->ptr != NULL ? UT_OK : UT_ENOMEM;
}

/* The page URL's ut_click (decoded), when it looks like one of our tokens. */
static struct ut_str
url_click_token(struct srv_req *req, struct ut_str url)
{
    const char *cur = url.ptr;
    struct ut_url u;
    struct ut_url_part k, v;
    char tok[UT_LINK_TOKEN_MAX + 1];
    size_t n;

    if (url.ptr == NULL || ut_url_parse(&u, &cur, url.ptr + url.len, 0, NULL) != UT_OK ||
        u.query.ptr == NULL) {
        return UT_STR_NULL;
    }
    cur = u.query.ptr;
    while (ut_query_next(&cur, u.query.ptr + u.query.len, &k, &v) == 1) {
        if (k.len != 8 || memcmp(k.ptr, "ut_click", 8) != 0 || v.len == 0) {
            continue;
        }
        if (ut_url_decode(v.ptr, v.len, tok, sizeof(tok), &n, 0) != UT_OK ||
            ut_link_slug_check(tok, n) != UT_OK) {
            return UT_STR_NULL; /* same alphabet as slugs: [A-Za-z0-9_-] */
        }
        return ut_arena_strdup(&req->arena, tok, n);
    }
    return UT_STR_NULL;
}

/* ---- the event ------------------------------------------------------------------- */

static int
pixel_event(struct srv_req *req, struct pixel *st, struct ut_diag *diag)
{
    struct ut_event *ev = &st->ev;
    struct ut_buf body = UT_BUF_INIT(64 << 10);
    char mid[sizeof("px-") + 2 * PIXEL_MID_BYTES];
    size_t len = 0;
    const char *ua;
    int err;

    memset(ev, 0, sizeof(*ev));
    ev->type = UT_EVENT_PAGE;
    err = url_arg(req, "url", 0, &ev->url, diag);
    if (err == UT_OK) {
        err = url_arg(req, "ref", UT_URL_NO_SCHEME | UT_URL_ANY_SCHEME, &ev->referrer, diag);
    }
    if (err == UT_OK) {
        err = id_arg(req, "aid", &ev->anonymous_id, diag);
    }
    if (err == UT_OK) {
        err = id_arg(req, "uid", &ev->user_id, diag);
    }
    if (err == UT_OK && srv_req_arg(req, "url", &len) == NULL) {
        /* no url: the page that holds the image, when the browser says */
        const char *ref = srv_req_header(req, MHD_HTTP_HEADER_REFERER, &len);
        const char *cur = ref;
        struct ut_url u;

        if (ref != NULL && len <= UT_URL_MAX &&
            ut_url_parse(&u, &cur, ref + len, 0, NULL) == UT_OK) {
            ev->url = ut_arena_strdup(&req->arena, ref, len);
        }
    }
    if (err == UT_OK && ev->anonymous_id.ptr == NULL) {
        err = srv_req_visitor(req, st->vid, &st->new_visitor);
        ev->anonymous_id = ut_str_make(st->vid, strlen(st->vid));
    }
    if (err == UT_OK) {
        err = srv_random_hex(mid + 3, PIXEL_MID_BYTES);
        memcpy(mid, "px-", 3);
    }
    if (err != UT_OK) {
        return err;
    }
    ev->message_id = ut_arena_strdup(&req->arena, mid, strlen(mid));
    ev->click_token = url_click_token(req, ev->url);
    ev->ip = srv_req_client_ip(req);
    ua = srv_req_header(req, MHD_HTTP_HEADER_USER_AGENT, &len);
    if (ua != NULL && len > 0) {
        ev->user_agent = ut_arena_strdup(&req->arena, ua, len > UA_MAX ? UA_MAX : len);
    }
    ev->timestamp = srv_now();
    ev->received_at = ev->timestamp;
    srv_event_json(&body, ev, "utmost-pixel", NULL);
    err = ut_buf_err(&body);
    if (err == UT_OK) {
        ev->body = ut_arena_strdup(&req->arena, body.ptr, body.len);
    }
    ut_buf_release(&body);
    if (err == UT_OK && (ev->message_id.ptr == NULL || ev->body.ptr == NULL)) {
        err = UT_ENOMEM;
    }
    return err;
}

static MHD_RESULT_T
pixel_finish(struct srv_req *req)
{
    struct pixel *st = req->job.ctx;
    struct MHD_Response *r;

    if (req->job.err != UT_OK) {
        return srv_reply_err(req, UT_EAGAIN, NULL);
    }
    r = srv_response_static(pixel_gif, sizeof(pixel_gif));
    if (r == NULL) {
        return MHD_NO;
    }
    (void)MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "image/gif");
    (void)MHD_add_response_header(r, "Cache-Control", "no-store");
    if (st->new_visitor) {
        srv_add_visitor_cookie(req, r, st->vid);
    }
    return srv_reply_response(req, MHD_HTTP_OK, r);
}

MHD_RESULT_T
srv_h_pixel(struct srv_req *req)
{
    struct srv_auth auth;
    struct ut_diag diag;
    struct pixel *st;
    size_t len = 0;
    const char *key;
    MHD_RESULT_T ret;
    int err;

    if (req->job.conn != NULL) {
        return pixel_finish(req); /* resumed after the commit */
    }
    key = srv_req_arg(req, "key", &len);
    if (srv_auth_or_reply(req, ut_str_make(key, key != NULL ? len : 0), UT_KEY_WRITE, &auth,
                          &ret) != 0) {
        return ret;
    }
    st = ut_arena_alloc(&req->arena, sizeof(*st));
    if (st == NULL) {
        return srv_reply_err(req, UT_ENOMEM, NULL);
    }
    memset(st, 0, sizeof(*st));
    ut_diag_clear(&diag);
    err = pixel_event(req, st, &diag);
    if (err != UT_OK) {
        return srv_reply_err(req, err, &diag);
    }
    req->job.workspace = auth.workspace;
    req->job.events = &st->ev;
    req->job.n = 1;
    req->job.click = NULL;
    req->job.ctx = st;
    return srv_req_submit(req);
}
