/*
 * server/h_redirect.c - GET|HEAD /l/SLUG, the tracking link redirect.
 *
 * First call: look the link up (read-only pool), build the Location (the
 * destination + the link's UTM values + click ids from the request + a fresh
 * ut_click token, core/link.c), prepare the click row and, for a human, a
 * UT_EVENT_CLICK event, hand both to the writer and suspend. Second call,
 * after the commit: answer 302. The click is thus durable before the browser
 * moves on, and the click row and its event commit together.
 *
 * Bots (core/bot.c) and HEAD requests get the same redirect without the
 * token and without a cookie, and are stored as bot clicks with no event:
 * they never become touches, and no crawler indexes a ut_click URL.
 * The workspace is the link's: this endpoint takes no key.
 */
#include "util/setup.h"

#include <stdio.h>
#include <string.h>

#include "core/bot.h"
#include "core/channel.h"
#include "core/link.h"
#include "server/srv.h"

#define LINK_PREFIX_LEN 3       /* "/l/" */
#define CLICK_TOKEN_BYTES 16    /* 128 random bits */
#define UA_MAX 1024u            /* bytes of User-Agent kept */
#define REFERRER_MAX UT_URL_MAX /* a longer Referer is not kept */
#define LINK_SCRATCH_MAX ((size_t)64 << 10)

/* What the second call needs; lives in the request arena. */
struct redirect {
    struct ut_click click;
    struct ut_event ev;
    struct ut_str location;
    char vid[SRV_VISITOR_HEX + 1];
    int new_visitor; /* set the ut_vid cookie */
};

/* ---- inputs --------------------------------------------------------------------- */

struct query_ctx {
    struct ut_buf *b;
};

static void
add_encoded(struct ut_buf *b, const char *s, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";

    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];

        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '.' || c == '_' || c == '~') {
            ut_buf_addch(b, (char)c);
        } else {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};

            ut_buf_add(b, e, sizeof(e));
        }
    }
}

static MHD_RESULT_T
query_param(void *cls, enum MHD_ValueKind kind, const char *key, size_t key_size, const char *value,
            size_t value_size)
{
    struct query_ctx *q = cls;

    (void)kind;
    if (q->b->len > 0) {
        ut_buf_addch(q->b, '&');
    }
    add_encoded(q->b, key, key_size);
    ut_buf_addch(q->b, '=');
    if (value != NULL) {
        add_encoded(q->b, value, value_size);
    }
    return ut_buf_err(q->b) == UT_OK ? MHD_YES : MHD_NO;
}

/*
 * The request's query, re-encoded from libmicrohttpd's decoded arguments (it
 * does not keep the raw one), into q (capped at UT_LINK_QUERY_MAX): UT_OK or
 * UT_ELIMIT / UT_ENOMEM.
 */
static int
request_query(struct srv_req *req, struct ut_buf *q)
{
    struct query_ctx ctx = {q};

    (void)MHD_get_connection_values_n(req->conn, MHD_GET_ARGUMENT_KIND, query_param, &ctx);
    return ut_buf_err(q);
}

/* A header copied into the arena, cut to max bytes (or dropped when drop_long); NULL if absent. */
static struct ut_str
header_copy(struct srv_req *req, const char *name, size_t max, int drop_long)
{
    size_t len = 0;
    const char *v = srv_req_header(req, name, &len);

    if (v == NULL || len == 0 || (drop_long && len > max)) {
        return UT_STR_NULL;
    }
    return ut_arena_strdup(&req->arena, v, len > max ? max : len);
}

/* ---- the click ------------------------------------------------------------------- */

/*
 * The Referer as the event's referrer only when classification can read it:
 * an unreadable referrer would leave the click unclassified (not a touch).
 */
static struct ut_str
classifiable_referrer(struct ut_str location, struct ut_str ref)
{
    struct ut_buf scratch = UT_BUF_INIT(3 * UT_URL_MAX);
    struct ut_touch_info ti;
    int err;

    if (ref.ptr == NULL) {
        return ref;
    }
    err = ut_channel_classify(location.ptr, location.len, ref.ptr, ref.len, &ti, &scratch, NULL);
    ut_buf_release(&scratch);
    return err == UT_OK ? ref : UT_STR_NULL;
}

/* The human click's event: a touch with identity evidence anon:<visitor> <-> click:<token>. */
static int
click_event(struct srv_req *req, struct redirect *st, const struct ut_link *l, double now)
{
    struct ut_event *ev = &st->ev;
    struct ut_buf props = UT_BUF_INIT(4096), body = UT_BUF_INIT(64 << 10);
    char mid[sizeof("click-") + 2 * CLICK_TOKEN_BYTES];
    int err;

    memset(ev, 0, sizeof(*ev));
    ev->type = UT_EVENT_CLICK;
    (void)snprintf(mid, sizeof(mid), "click-%.*s", (int)st->click.token.len, st->click.token.ptr);
    ev->message_id = ut_arena_strdup(&req->arena, mid, strlen(mid));
    ev->anonymous_id = st->click.visitor_id;
    ev->click_token = st->click.token;
    ev->name = ut_arena_strdup(&req->arena, l->slug.ptr, l->slug.len);
    ev->url = st->location;
    ev->referrer = classifiable_referrer(st->location, st->click.referrer);
    ev->ip = srv_req_client_ip(req);
    ev->user_agent = st->click.user_agent;
    ev->timestamp = now;
    ev->received_at = now;
    ut_buf_addstr(&props, "{\"link\":");
    srv_json_strv(&props, ev->name);
    ut_buf_addstr(&props, ",\"partner\":");
    srv_json_strv(&props, l->partner);
    ut_buf_addstr(&props, ",\"ut_click\":");
    srv_json_strv(&props, ev->click_token);
    ut_buf_addstr(&props, "}");
    srv_event_json(&body, ev, "utmost-link", props.ptr);
    err = ut_buf_err(&props) != UT_OK ? ut_buf_err(&props) : ut_buf_err(&body);
    if (err == UT_OK) {
        ev->body = ut_arena_strdup(&req->arena, body.ptr, body.len);
    }
    ut_buf_release(&props);
    ut_buf_release(&body);
    if (err == UT_OK &&
        (ev->message_id.ptr == NULL || ev->name.ptr == NULL || ev->body.ptr == NULL)) {
        err = UT_ENOMEM;
    }
    return err;
}

/* Location of this click into st (arena): with passed click ids, else without them. */
static int
build_location(struct srv_req *req, struct redirect *st, const struct ut_link *l,
               struct ut_str query)
{
    struct ut_link_utm utm = {l->utm_source, l->utm_medium, l->utm_campaign, l->utm_content,
                              l->utm_term};
    struct ut_buf b = UT_BUF_INIT(UT_LINK_URL_MAX);
    int err = ut_link_build_url(l->destination, &utm, query, st->click.token, &b);

    if (err == UT_ELIMIT && query.len > 0) {
        ut_buf_release(&b);
        ut_buf_init(&b, UT_LINK_URL_MAX);
        err = ut_link_build_url(l->destination, &utm, UT_STR_NULL, st->click.token, &b);
    }
    if (err == UT_OK) {
        st->location = ut_arena_strdup(&req->arena, b.ptr, b.len);
        err = st->location.ptr != NULL ? UT_OK : UT_ENOMEM;
    }
    ut_buf_release(&b);
    return err;
}

/* Everything the writer stores for this click; st->click.token decides human or bot. */
static int
prepare(struct srv_req *req, struct redirect *st, const struct ut_link *l, struct ut_str query,
        int bot)
{
    char token[2 * CLICK_TOKEN_BYTES + 1];
    char ip[UT_IP_TRUNC_MAX];
    struct ut_str addr = srv_req_client_ip(req);
    double now = srv_now();
    int err;

    memset(&st->click, 0, sizeof(st->click));
    st->click.link_id = l->id;
    st->click.workspace_id = l->workspace_id;
    st->click.is_bot = bot;
    st->click.time = now;
    st->click.referrer = header_copy(req, MHD_HTTP_HEADER_REFERER, REFERRER_MAX, 1);
    st->click.user_agent = header_copy(req, MHD_HTTP_HEADER_USER_AGENT, UA_MAX, 0);
    if (addr.ptr != NULL && ut_link_ip_truncate(addr.ptr, addr.len, ip, sizeof(ip)) == UT_OK) {
        st->click.ip_truncated = ut_arena_strdup(&req->arena, ip, strlen(ip));
    }
    err = srv_req_visitor(req, st->vid, &st->new_visitor);
    if (err != UT_OK) {
        return err;
    }
    if (bot) {
        /* a bot keeps the visitor it already has, and gets none */
        st->click.visitor_id = st->new_visitor ? UT_STR_NULL : ut_str_cstr(st->vid);
        st->new_visitor = 0;
    } else {
        err = srv_random_hex(token, CLICK_TOKEN_BYTES);
        if (err != UT_OK) {
            return err;
        }
        st->click.visitor_id = ut_str_make(st->vid, strlen(st->vid));
        st->click.token = ut_arena_strdup(&req->arena, token, strlen(token));
        if (st->click.token.ptr == NULL) {
            return UT_ENOMEM;
        }
    }
    err = build_location(req, st, l, query);
    if (err == UT_OK && !bot) {
        err = click_event(req, st, l, now);
    }
    return err;
}

/* ---- answers ---------------------------------------------------------------------- */

static MHD_RESULT_T
reply_missing(struct srv_req *req)
{
    return srv_reply_html(req, MHD_HTTP_NOT_FOUND, "Link not found",
                          "This link does not exist or has been removed.");
}

static MHD_RESULT_T
reply_unavailable(struct srv_req *req)
{
    return srv_reply_html(req, MHD_HTTP_SERVICE_UNAVAILABLE, "Temporarily unavailable",
                          "This link cannot be followed right now. Please try again.");
}

/* After the commit: 302 to the Location, with a short hypertext note (RFC 9110 15.4.3). */
static MHD_RESULT_T
redirect_finish(struct srv_req *req)
{
    struct redirect *st = req->job.ctx;
    struct ut_buf b = UT_BUF_INIT(4 * UT_LINK_URL_MAX + 256);
    struct MHD_Response *r;

    /* a failed commit was logged by the writer; the visitor still gets where they meant to go */
    ut_buf_addstr(&b, "<!doctype html>\n<title>Redirecting</title>\n<a href=\"");
    srv_html_escape(&b, st->location.ptr, st->location.len);
    ut_buf_addstr(&b, "\">Continue</a>\n");
    /* no-store: every click must reach us, no browser or proxy may replay a cached redirect */
    r = srv_response_buf(&b, "text/html; charset=utf-8");
    if (r == NULL) {
        return MHD_NO;
    }
    (void)MHD_add_response_header(r, MHD_HTTP_HEADER_LOCATION, st->location.ptr);
    if (st->new_visitor) {
        srv_add_visitor_cookie(req, r, st->vid);
    }
    return srv_reply_response(req, MHD_HTTP_FOUND, r);
}

/* Find the link: UT_OK with *l (views into scratch), UT_ENOTFOUND, or a store error. */
static int
find_link(struct srv_req *req, const char *slug, struct ut_link *l, struct ut_buf *scratch)
{
    struct ut_store *s = NULL;
    int err = srv_readers_get(&req->srv->writer.readers, &s);

    if (err != UT_OK) {
        return err;
    }
    err = ut_store_ops(s)->link_get(s, slug, l, scratch);
    if (err != UT_OK && err != UT_ENOTFOUND) {
        fprintf(stderr, "utmost: cannot read link '%s': %s\n", slug, ut_store_ops(s)->errmsg(s));
    }
    srv_readers_put(&req->srv->writer.readers, s, err);
    return err;
}

MHD_RESULT_T
srv_h_redirect(struct srv_req *req)
{
    const char *slug = req->url + LINK_PREFIX_LEN;
    struct ut_buf scratch = UT_BUF_INIT(LINK_SCRATCH_MAX), query = UT_BUF_INIT(UT_LINK_QUERY_MAX);
    size_t ua_len = 0;
    const char *ua;
    struct redirect *st;
    struct ut_link l;
    int bot, err;

    if (req->job.conn != NULL) {
        return redirect_finish(req); /* resumed after the commit */
    }
    if (ut_link_slug_check(slug, strlen(slug)) != UT_OK) {
        return reply_missing(req);
    }
    if (request_query(req, &query) != UT_OK) {
        ut_buf_release(&query);
        return srv_reply_html(req, MHD_HTTP_URI_TOO_LONG, "Link address too long",
                              "The address of this link carries too many parameters.");
    }
    err = find_link(req, slug, &l, &scratch);
    st = err == UT_OK ? ut_arena_alloc(&req->arena, sizeof(*st)) : NULL;
    if (st != NULL) {
        memset(st, 0, sizeof(*st));
        ua = srv_req_header(req, MHD_HTTP_HEADER_USER_AGENT, &ua_len);
        bot = strcmp(req->method, "HEAD") == 0 || ut_bot_match(ua, ua != NULL ? ua_len : 0);
        err = prepare(req, st, &l, ut_str_make(query.ptr, query.len), bot);
    } else if (err == UT_OK) {
        err = UT_ENOMEM;
    }
    ut_buf_release(&scratch);
    ut_buf_release(&query);
    if (err == UT_ENOTFOUND) {
        return reply_missing(req);
    }
    if (err != UT_OK) {
        return reply_unavailable(req);
    }
    req->job.workspace = st->click.workspace_id;
    req->job.events = st->click.is_bot ? NULL : &st->ev;
    req->job.n = st->click.is_bot ? 0 : 1;
    req->job.click = &st->click;
    req->job.ctx = st;
    return srv_req_submit(req);
}
