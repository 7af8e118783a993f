/*
 * server/routes.c - the route table: {method, path, handler, flags, arg}.
 * Matching is exact on the path (query excluded by libmicrohttpd), or by
 * prefix for routes flagged SRV_ROUTE_PREFIX.
 */
#include "util/setup.h"

#include <string.h>

#include "server/srv.h"

static const struct srv_route routes[] = {
    {"POST", "/v1/batch", srv_h_segment, SRV_ROUTE_BODY | SRV_ROUTE_BATCH, 0},
    {"POST", "/v1/track", srv_h_segment, SRV_ROUTE_BODY, UT_EVENT_TRACK},
    {"POST", "/v1/identify", srv_h_segment, SRV_ROUTE_BODY, UT_EVENT_IDENTIFY},
    {"POST", "/v1/page", srv_h_segment, SRV_ROUTE_BODY, UT_EVENT_PAGE},
    {"POST", "/v1/screen", srv_h_segment, SRV_ROUTE_BODY, UT_EVENT_SCREEN},
    {"POST", "/v1/group", srv_h_segment, SRV_ROUTE_BODY, UT_EVENT_GROUP},
    {"POST", "/v1/alias", srv_h_segment, SRV_ROUTE_BODY, UT_EVENT_ALIAS},
    {"GET", "/v1/pixel.gif", srv_h_pixel, 0, 0},
    {"OPTIONS", "/v1/", srv_h_preflight, SRV_ROUTE_PREFIX, 0},
    {"GET", "/healthz", srv_h_health, 0, 0},
    /* tracking links: the redirect, and the admin API (exact path before the prefix) */
    {"GET", "/l/", srv_h_redirect, SRV_ROUTE_PREFIX, 0},
    {"HEAD", "/l/", srv_h_redirect, SRV_ROUTE_PREFIX, 0},
    {"GET", "/api/v1/links", srv_h_links, 0, 0},
    {"POST", "/api/v1/links", srv_h_links, SRV_ROUTE_BODY, 0},
    {"GET", "/api/v1/links/", srv_h_link, SRV_ROUTE_PREFIX, 0},
    {"PATCH", "/api/v1/links/", srv_h_link, SRV_ROUTE_PREFIX | SRV_ROUTE_BODY, 0},
    {"DELETE", "/api/v1/links/", srv_h_link, SRV_ROUTE_PREFIX, 0},
    /* embedded files (server/assets.h) */
    {"GET", "/u.js", srv_h_asset, 0, 0},
    {"HEAD", "/u.js", srv_h_asset, 0, 0},
};

const struct srv_route *
srv_route_find(const char *method, const char *url, int *path_known)
{
    *path_known = 0;
    for (size_t i = 0; i < UT_ARRAY_LEN(routes); i++) {
        const struct srv_route *r = &routes[i];
        int match = (r->flags & SRV_ROUTE_PREFIX) != 0
                        ? strncmp(url, r->path, strlen(r->path)) == 0
                        : strcmp(url, r->path) == 0;

        if (!match) {
            continue;
        }
        if (strcmp(method, r->method) == 0) {
            *path_known = 1;
            return r;
        }
        /* the CORS preflight answers any /v1/ path; it makes no path "known" (405 vs 404) */
        if (strcmp(r->method, "OPTIONS") != 0) {
            *path_known = 1;
        }
    }
    return NULL;
}

void
srv_route_allow(const char *url, char *buf, size_t cap)
{
    size_t len = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < UT_ARRAY_LEN(routes); i++) {
        const struct srv_route *r = &routes[i];
        int match = (r->flags & SRV_ROUTE_PREFIX) != 0
                        ? strncmp(url, r->path, strlen(r->path)) == 0
                        : strcmp(url, r->path) == 0;
        size_t n = strlen(r->method);

        if (!match || strstr(buf, r->method) != NULL || len + n + 3 > cap) {
            continue;
        }
        if (len != 0) {
            memcpy(buf + len, ", ", 2);
            len += 2;
        }
        memcpy(buf + len, r->method, n + 1);
        len += n;
    }
}

MHD_RESULT_T
srv_h_health(struct srv_req *req)
{
    static const char ok[] = "{\"ok\":true}";

    return srv_reply_json(req, MHD_HTTP_OK, ok, sizeof(ok) - 1);
}

MHD_RESULT_T
srv_h_preflight(struct srv_req *req)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    MHD_RESULT_T ret;

    if (r == NULL) {
        return MHD_NO;
    }
    (void)MHD_add_response_header(r, "Access-Control-Allow-Origin", "*");
    (void)MHD_add_response_header(r, "Access-Control-Allow-Methods", "POST, OPTIONS");
    (void)MHD_add_response_header(r, "Access-Control-Allow-Headers",
                                  "Content-Type, Authorization");
    (void)MHD_add_response_header(r, "Access-Control-Max-Age", "86400");
    req->state = SRV_REQ_DONE;
    ret = MHD_queue_response(req->conn, MHD_HTTP_NO_CONTENT, r);
    MHD_destroy_response(r);
    return ret;
}
