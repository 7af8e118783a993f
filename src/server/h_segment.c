/*
 * server/h_segment.c - POST /v1/track|identify|page|screen|group|alias|batch,
 * the Segment HTTP tracking API. Order of checks: credentials in the
 * Authorization header (401 before any parsing), rate limit (429), decoding
 * (400/413, naming the field), then the events go to the writer and the
 * request waits, suspended, for the commit (200 {"success":true}).
 */
#include "util/setup.h"

#include "ingest/segment.h"
#include "server/srv.h"
#include "util/diag.h"

/* 0 when the key may write, else the reply has been queued (through *ret). */
static int
authorize(struct srv_req *req, struct ut_str key, struct srv_auth *auth, MHD_RESULT_T *ret)
{
    if (ut_str_empty(key)) {
        *ret = srv_reply_status(req, MHD_HTTP_UNAUTHORIZED, "missing write key");
        return -1;
    }
    return srv_auth_or_reply(req, key, UT_KEY_WRITE, auth, ret);
}

static void
fill_connection_context(struct srv_req *req, struct ut_event *evs, size_t n)
{
    const char *ua = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "User-Agent");
    struct ut_str ip = UT_STR_NULL;

    for (size_t i = 0; i < n; i++) {
        if (ut_str_empty(evs[i].ip)) {
            if (ip.ptr == NULL) {
                ip = srv_req_client_ip(req);
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
    struct ut_str key = srv_req_basic_user(req, userbuf, sizeof(userbuf));
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
    req->state = SRV_REQ_WAITING;
    return srv_req_submit(req);
}
