/*
 * server/h_segment.c - POST /v1/track|identify|page|screen|group|alias|batch,
 * the Segment HTTP tracking API. Order of checks: credentials in the
 * Authorization header (401 before any parsing), rate limit (429), decoding
 * (400/413, naming the field), then the events go to the writer and the
 * request waits, suspended, for the commit (200 {"success":true}).
 */
#include "util/setup.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ingest/segment.h"
#include "server/srv.h"
#include "util/base64.h"
#include "util/diag.h"

/* The user name of "Authorization: Basic base64(user:password)", or an empty view. */
static struct ut_str
basic_user(struct srv_req *req, char *buf, size_t cap)
{
    const char *h = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "Authorization");
    size_t n, len;
    const char *colon;

    if (h == NULL || strncasecmp(h, "Basic ", 6) != 0) {
        return UT_STR_NULL;
    }
    h += 6;
    while (*h == ' ') {
        h++;
    }
    len = strlen(h);
    if (ut_base64_decode(h, len, (unsigned char *)buf, cap, &n) != UT_OK) {
        return ut_str_make(buf, 0); /* present but malformed: an unknown key */
    }
    colon = memchr(buf, ':', n);
    return ut_str_make(buf, colon != NULL ? (size_t)(colon - buf) : n);
}

/* 0 when the key may write, else the reply has been queued (through *ret). */
static int
authorize(struct srv_req *req, struct ut_str key, struct srv_auth *auth, MHD_RESULT_T *ret)
{
    int err;
    unsigned wait;

    if (ut_str_empty(key)) {
        *ret = srv_reply_status(req, MHD_HTTP_UNAUTHORIZED, "missing write key");
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
    if (auth->kind == UT_KEY_READ) {
        *ret = srv_reply_status(req, MHD_HTTP_FORBIDDEN, "a read key cannot send events");
        return -1;
    }
    wait = srv_keycache_ratelimit(req->srv->keys, auth, req->srv->cfg.rate_limit, srv_now());
    if (wait != 0) {
        *ret = srv_reply_status(req, MHD_HTTP_TOO_MANY_REQUESTS, "rate limit exceeded");
        return -1;
    }
    return 0;
}

/* The client's address as text in the request arena (context.ip when the SDK sent none). */
static struct ut_str
client_ip(struct srv_req *req)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    char tmp[INET6_ADDRSTRLEN];
    const char *p = NULL;
    char *copy;
    size_t len;

    if (ci == NULL || ci->client_addr == NULL) {
        return UT_STR_NULL;
    }
    if (ci->client_addr->sa_family == AF_INET) {
        p = inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)ci->client_addr)->sin_addr,
                      tmp, sizeof(tmp));
    } else if (ci->client_addr->sa_family == AF_INET6) {
        p = inet_ntop(AF_INET6,
                      &((const struct sockaddr_in6 *)(const void *)ci->client_addr)->sin6_addr, tmp,
                      sizeof(tmp));
    }
    if (p == NULL) {
        return UT_STR_NULL;
    }
    len = strlen(tmp);
    copy = ut_arena_alloc(&req->arena, len + 1);
    if (copy == NULL) {
        return UT_STR_NULL;
    }
    memcpy(copy, tmp, len + 1);
    return ut_str_make(copy, len);
}

static void
fill_connection_context(struct srv_req *req, struct ut_event *evs, size_t n)
{
    const char *ua = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "User-Agent");
    struct ut_str ip = UT_STR_NULL;

    for (size_t i = 0; i < n; i++) {
        if (ut_str_empty(evs[i].ip)) {
            if (ip.ptr == NULL) {
                ip = client_ip(req);
            }
            evs[i].ip = ip;
        }
        if (ut_str_empty(evs[i].user_agent) && ua != NULL) {
            evs[i].user_agent = ut_str_cstr(ua);
        }
    }
}

MHD_RESULT_T
srv_h_segment(struct srv_req *req)
{
    struct ut_segment_limits lim = UT_SEGMENT_LIMITS_DEFAULT;
    struct ut_segment_batch batch;
    struct ut_diag diag;
    struct srv_auth auth;
    char userbuf[512];
    struct ut_str key = basic_user(req, userbuf, sizeof(userbuf));
    MHD_RESULT_T ret = MHD_NO;
    int err;

    if (key.ptr != NULL && authorize(req, key, &auth, &ret) != 0) {
        return ret;
    }
    lim.max_batch_bytes = req->srv->cfg.max_batch_bytes;
    lim.max_event_bytes = req->srv->cfg.max_event_bytes;
    ut_diag_clear(&diag);
    err = ut_segment_decode((enum ut_event_type)req->route->arg, req->body.ptr, req->body.len,
                            srv_now(), &lim, &req->arena, &batch, &diag);
    if (err != UT_OK) {
        return srv_reply_err(req, err, &diag);
    }
    if (key.ptr == NULL && authorize(req, batch.write_key, &auth, &ret) != 0) {
        return ret;
    }
    fill_connection_context(req, batch.events, batch.n);
    req->job.workspace = auth.workspace;
    req->job.events = batch.events;
    req->job.n = batch.n;
    req->job.conn = req->conn;
    req->job.err = UT_OK;
    req->state = SRV_REQ_WAITING;
    MHD_suspend_connection(req->conn);
    srv_writer_submit(&req->srv->writer, &req->job);
    return MHD_YES;
}
