/*
 * server/req.c - what the link, pixel and asset handlers read from a request
 * (API keys, the client's address, headers, GET arguments, the visitor
 * cookie) and the answers that are not JSON (redirects, HTML, images, files).
 * JSON answers and the one ut_err -> HTTP mapping stay in reply.c.
 */
#include "util/setup.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/rand.h>
#include <string.h>
#include <strings.h>

#include "server/srv.h"
#include "util/base64.h"

/* ---- keys ---------------------------------------------------------------------- */

/* The user name of the Authorization value h (NULL: none) when it is "Basic ...". */
static struct ut_str
basic_user(const char *h, char *buf, size_t cap)
{
    const char *colon;
    size_t n;

    if (h == NULL || strncasecmp(h, "Basic ", 6) != 0) {
        return UT_STR_NULL;
    }
    h += 6;
    while (*h == ' ') {
        h++;
    }
    if (ut_base64_decode(h, strlen(h), (unsigned char *)buf, cap, &n) != UT_OK) {
        return ut_str_make(buf, 0); /* present but malformed: an unknown key */
    }
    colon = memchr(buf, ':', n);
    return ut_str_make(buf, colon != NULL ? (size_t)(colon - buf) : n);
}

struct ut_str
srv_req_basic_user(struct srv_req *req, char *buf, size_t cap)
{
    return basic_user(MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "Authorization"), buf,
                      cap);
}

struct ut_str
srv_req_key(struct srv_req *req, char *buf, size_t cap)
{
    const char *h = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "Authorization");
    size_t n;

    if (h != NULL && strncasecmp(h, "Bearer ", 7) == 0) {
        h += 7;
        while (*h == ' ') {
            h++;
        }
        n = strlen(h);
        while (n > 0 && h[n - 1] == ' ') {
            n--;
        }
        return ut_str_make(h, n);
    }
    return basic_user(h, buf, cap);
}

int
srv_auth_or_reply(struct srv_req *req, struct ut_str key, enum ut_key_kind need,
                  struct srv_auth *auth, MHD_RESULT_T *ret)
{
    int err;

    if (ut_str_empty(key)) {
        *ret = srv_reply_status(req, MHD_HTTP_UNAUTHORIZED, "missing key");
        return -1;
    }
    err = srv_keycache_lookup(req->srv->keys, key.ptr, key.len, auth);
    if (err == UT_ENOTFOUND) {
        *ret = srv_reply_status(req, MHD_HTTP_UNAUTHORIZED, "unknown or revoked key");
        return -1;
    }
    if (err != UT_OK) {
        *ret = srv_reply_err(req, err == UT_ENOMEM ? UT_ENOMEM : UT_EAGAIN, NULL);
        return -1;
    }
    if (need == UT_KEY_ADMIN && auth->kind != UT_KEY_ADMIN) {
        *ret = srv_reply_status(req, MHD_HTTP_FORBIDDEN, "an admin key is required");
        return -1;
    }
    if (need == UT_KEY_WRITE && auth->kind == UT_KEY_READ) {
        *ret = srv_reply_status(req, MHD_HTTP_FORBIDDEN, "a read key cannot send events");
        return -1;
    }
    if (srv_keycache_ratelimit(req->srv->keys, auth, req->srv->cfg.rate_limit, srv_now()) != 0) {
        *ret = srv_reply_status(req, MHD_HTTP_TOO_MANY_REQUESTS, "rate limit exceeded");
        return -1;
    }
    return 0;
}

/* ---- request inputs -------------------------------------------------------------- */

struct ut_str
srv_req_client_ip(struct srv_req *req)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    char tmp[INET6_ADDRSTRLEN];
    const char *p = NULL;

    if (ci == NULL || ci->client_addr == NULL) {
        return UT_STR_NULL;
    }
    if (ci->client_addr->sa_family == AF_INET) {
        const struct sockaddr_in *sin = (const void *)ci->client_addr;

        p = inet_ntop(AF_INET, &sin->sin_addr, tmp, sizeof(tmp));
    } else if (ci->client_addr->sa_family == AF_INET6) {
        const struct sockaddr_in6 *sin6 = (const void *)ci->client_addr;

        p = inet_ntop(AF_INET6, &sin6->sin6_addr, tmp, sizeof(tmp));
    }
    if (p == NULL) {
        return UT_STR_NULL;
    }
    return ut_arena_strdup(&req->arena, tmp, strlen(tmp));
}

const char *
srv_req_header(struct srv_req *req, const char *name, size_t *len)
{
    const char *v = NULL;
    size_t n = 0;

    if (MHD_lookup_connection_value_n(req->conn, MHD_HEADER_KIND, name, strlen(name), &v, &n) !=
            MHD_YES ||
        v == NULL) {
        return NULL;
    }
    *len = n;
    return v;
}

const char *
srv_req_arg(struct srv_req *req, const char *name, size_t *len)
{
    const char *v = NULL;
    size_t n = 0;

    if (MHD_lookup_connection_value_n(req->conn, MHD_GET_ARGUMENT_KIND, name, strlen(name), &v,
                                      &n) != MHD_YES) {
        return NULL;
    }
    *len = v != NULL ? n : 0;
    return v != NULL ? v : ""; /* "?name" without '=' is an empty value */
}

int
srv_random_hex(char *out, size_t nbytes)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char raw[64];

    if (nbytes > sizeof(raw) || RAND_bytes(raw, (int)nbytes) != 1) {
        return UT_EINTERNAL;
    }
    for (size_t i = 0; i < nbytes; i++) {
        out[2 * i] = hex[raw[i] >> 4];
        out[2 * i + 1] = hex[raw[i] & 15];
    }
    out[2 * nbytes] = '\0';
    return UT_OK;
}

static bool
is_visitor_id(const char *s, size_t len)
{
    if (len != SRV_VISITOR_HEX) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) {
            return false;
        }
    }
    return true;
}

int
srv_req_visitor(struct srv_req *req, char out[SRV_VISITOR_HEX + 1], int *fresh)
{
    const char *v = NULL;
    size_t n = 0;

    if (MHD_lookup_connection_value_n(req->conn, MHD_COOKIE_KIND, "ut_vid", 6, &v, &n) == MHD_YES &&
        v != NULL && is_visitor_id(v, n)) {
        memcpy(out, v, n);
        out[n] = '\0';
        *fresh = 0;
        return UT_OK;
    }
    *fresh = 1; /* absent, or not one of ours: a new browser as far as we can tell */
    return srv_random_hex(out, SRV_VISITOR_HEX / 2);
}

void
srv_add_visitor_cookie(struct srv_req *req, struct MHD_Response *r, const char *vid)
{
    const char *proto =
        MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "X-Forwarded-Proto");
    char cookie[160];

    /* Secure only when we know the browser spoke HTTPS (a TLS-terminating proxy says so) */
    (void)snprintf(cookie, sizeof(cookie),
                   "ut_vid=%s; Max-Age=63072000; Path=/; SameSite=Lax; HttpOnly%s", vid,
                   proto != NULL && strcasecmp(proto, "https") == 0 ? "; Secure" : "");
    (void)MHD_add_response_header(r, MHD_HTTP_HEADER_SET_COOKIE, cookie);
}

/* ---- answers ---------------------------------------------------------------------- */

struct MHD_Response *
srv_response_static(const void *data, size_t len)
{
    void *p;

    /* libmicrohttpd's buffer argument is not const even for PERSISTENT memory: copy the pointer */
    memcpy(&p, &data, sizeof(p));
    return MHD_create_response_from_buffer(len, p, MHD_RESPMEM_PERSISTENT);
}

struct MHD_Response *
srv_response_copy(const void *data, size_t len, const char *ctype)
{
    struct MHD_Response *r;
    void *p;

    /* not const either, though MUST_COPY only reads the bytes: copy the pointer */
    memcpy(&p, &data, sizeof(p));
    r = MHD_create_response_from_buffer(len, p, MHD_RESPMEM_MUST_COPY);
    if (r != NULL) {
        (void)MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
        (void)MHD_add_response_header(r, "Cache-Control", "no-store");
    }
    return r;
}

struct MHD_Response *
srv_response_buf(struct ut_buf *b, const char *ctype)
{
    struct MHD_Response *r = NULL;

    if (ut_buf_err(b) == UT_OK) {
        r = srv_response_copy(b->ptr, b->len, ctype);
    }
    ut_buf_release(b);
    return r;
}

MHD_RESULT_T
srv_req_submit(struct srv_req *req)
{
    req->job.err = UT_OK;
    req->job.conn = req->conn;
    MHD_suspend_connection(req->conn);
    srv_writer_submit(&req->srv->writer, &req->job);
    return MHD_YES;
}

MHD_RESULT_T
srv_reply_response(struct srv_req *req, unsigned status, struct MHD_Response *r)
{
    MHD_RESULT_T ret;

    req->state = SRV_REQ_DONE;
    ret = MHD_queue_response(req->conn, status, r);
    MHD_destroy_response(r);
    return ret;
}

void
srv_html_escape(struct ut_buf *b, const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        switch (s[i]) {
        case '&':
            ut_buf_addstr(b, "&amp;");
            break;
        case '<':
            ut_buf_addstr(b, "&lt;");
            break;
        case '>':
            ut_buf_addstr(b, "&gt;");
            break;
        case '"':
            ut_buf_addstr(b, "&quot;");
            break;
        case '\'':
            ut_buf_addstr(b, "&#39;");
            break;
        default:
            ut_buf_addch(b, s[i]);
            break;
        }
    }
}

MHD_RESULT_T
srv_reply_html(struct srv_req *req, unsigned status, const char *title, const char *text)
{
    struct ut_buf b = UT_BUF_INIT(4096);
    struct MHD_Response *r;

    ut_buf_addstr(&b, "<!doctype html>\n<html lang=\"en\"><meta charset=\"utf-8\"><title>");
    srv_html_escape(&b, title, strlen(title));
    ut_buf_addstr(&b, "</title>\n<h1>");
    srv_html_escape(&b, title, strlen(title));
    ut_buf_addstr(&b, "</h1>\n<p>");
    srv_html_escape(&b, text, strlen(text));
    ut_buf_addstr(&b, "</p>\n</html>\n");
    r = srv_response_buf(&b, "text/html; charset=utf-8");
    if (r == NULL) {
        return MHD_NO;
    }
    (void)MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    return srv_reply_response(req, status, r);
}
