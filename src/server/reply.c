/*
 * server/reply.c - every HTTP answer goes through here: JSON bodies, the one
 * mapping from ut_err to a status, and the headers all answers share.
 */
#include "util/setup.h"

#include <string.h>
#include <time.h>

#include "server/srv.h"
#include "util/json.h"

double
srv_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static MHD_RESULT_T
reply_json_hdr(struct srv_req *req, unsigned status, const char *json, size_t len,
               const char *hname, const char *hvalue);

MHD_RESULT_T
srv_reply_json(struct srv_req *req, unsigned status, const char *json, size_t len)
{
    return reply_json_hdr(req, status, json, len, NULL, NULL);
}

static MHD_RESULT_T
reply_json_hdr(struct srv_req *req, unsigned status, const char *json, size_t len,
               const char *hname, const char *hvalue)
{
    struct MHD_Response *r;
    MHD_RESULT_T ret;

    r = srv_response_copy(json, len, "application/json");
    if (r == NULL) {
        return MHD_NO;
    }
    if (strncmp(req->url, "/v1/", 4) == 0) {
        (void)MHD_add_response_header(r, "Access-Control-Allow-Origin", "*");
    }
    if (hname != NULL) {
        (void)MHD_add_response_header(r, hname, hvalue);
    }
    if (status == MHD_HTTP_TOO_MANY_REQUESTS || status == MHD_HTTP_SERVICE_UNAVAILABLE) {
        (void)MHD_add_response_header(r, "Retry-After", "1");
    }
    req->state = SRV_REQ_DONE;
    ret = MHD_queue_response(req->conn, status, r);
    MHD_destroy_response(r);
    return ret;
}

static MHD_RESULT_T
reply_error_hdr(struct srv_req *req, unsigned status, const char *msg, const char *field,
                const char *hname, const char *hvalue);

static MHD_RESULT_T
reply_error(struct srv_req *req, unsigned status, const char *msg, const char *field)
{
    return reply_error_hdr(req, status, msg, field, NULL, NULL);
}

MHD_RESULT_T
srv_reply_405(struct srv_req *req)
{
    char allow[128];

    srv_route_allow(req->url, allow, sizeof(allow));
    return reply_error_hdr(req, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed", NULL, "Allow",
                           allow);
}

static MHD_RESULT_T
reply_error_hdr(struct srv_req *req, unsigned status, const char *msg, const char *field,
                const char *hname, const char *hvalue)
{
    struct ut_buf b = UT_BUF_INIT(4096);
    MHD_RESULT_T ret;

    ut_buf_addstr(&b, "{\"success\":false,\"error\":");
    ut_json_string(&b, msg, strlen(msg));
    if (field != NULL && field[0] != '\0') {
        ut_buf_addstr(&b, ",\"field\":");
        ut_json_string(&b, field, strlen(field));
    }
    ut_buf_addstr(&b, "}");
    if (ut_buf_err(&b) != UT_OK) {
        ut_buf_release(&b);
        return MHD_NO;
    }
    ret = reply_json_hdr(req, status, b.ptr, b.len, hname, hvalue);
    ut_buf_release(&b);
    return ret;
}

MHD_RESULT_T
srv_reply_status(struct srv_req *req, unsigned status, const char *msg)
{
    return reply_error(req, status, msg, NULL);
}

MHD_RESULT_T
srv_reply_err(struct srv_req *req, int err, const struct ut_diag *diag)
{
    unsigned status;
    const char *msg = diag != NULL && diag->msg[0] != '\0' ? diag->msg : ut_strerror(err);

    switch (err) {
    case UT_EPARSE:
    case UT_EINVAL:
        status = MHD_HTTP_BAD_REQUEST;
        break;
    case UT_ELIMIT:
        status = MHD_HTTP_CONTENT_TOO_LARGE;
        break;
    case UT_ENOTFOUND:
        status = MHD_HTTP_NOT_FOUND;
        break;
    case UT_ECONFLICT:
        status = MHD_HTTP_CONFLICT;
        break;
    case UT_ENOMEM:
    case UT_EAGAIN:
        status = MHD_HTTP_SERVICE_UNAVAILABLE;
        break;
    default:
        status = MHD_HTTP_INTERNAL_SERVER_ERROR;
        msg = ut_strerror(err); /* driver details stay in the log */
        break;
    }
    return reply_error(req, status, msg, diag != NULL ? diag->field : NULL);
}
