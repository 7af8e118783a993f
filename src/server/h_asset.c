/*
 * server/h_asset.c - GET|HEAD of embedded files (assets.h): /u.js now.
 * Content-Type from a fixed extension table, a build-time ETag, 304 for a
 * matching If-None-Match (RFC 9110 13.1.2), and an hour of public caching so
 * every page view does not fetch the script again. Paths are looked up in
 * the table, never on disk.
 */
#include "util/setup.h"

#include <string.h>

#include "server/assets.h"
#include "server/srv.h"

static const struct {
    const char *ext;
    const char *type;
} mime_types[] = {
    {".js", "application/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".html", "text/html; charset=utf-8"},
    {".json", "application/json"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".gif", "image/gif"},
    {".ico", "image/x-icon"},
    {".woff2", "font/woff2"},
    {".map", "application/json"},
    {".txt", "text/plain; charset=utf-8"},
};

const char *
srv_asset_type(const char *path)
{
    size_t n = strlen(path);

    for (size_t i = 0; i < UT_ARRAY_LEN(mime_types); i++) {
        size_t e = strlen(mime_types[i].ext);

        if (n >= e && strcmp(path + n - e, mime_types[i].ext) == 0) {
            return mime_types[i].type;
        }
    }
    return "application/octet-stream";
}

const struct srv_asset *
srv_asset_find(const char *path)
{
    for (size_t i = 0; i < srv_assets_count; i++) {
        if (strcmp(path, srv_assets[i].path) == 0) {
            return &srv_assets[i];
        }
    }
    return NULL;
}

/*
 * True when the If-None-Match list names etag: "*", or one of the entity tags,
 * compared weakly (a W/ prefix is ignored) as RFC 9110 13.1.2 asks for GET.
 */
static bool
etag_matches(const char *inm, const char *etag)
{
    size_t elen = strlen(etag);
    const char *p = inm;

    while (*p != '\0') {
        const char *q;

        while (*p == ' ' || *p == '\t' || *p == ',') {
            p++;
        }
        if (*p == '*') {
            return true;
        }
        if (p[0] == 'W' && p[1] == '/') {
            p += 2;
        }
        q = p;
        while (*q != '\0' && *q != ',') {
            q++;
        }
        while (q > p && (q[-1] == ' ' || q[-1] == '\t')) {
            q--;
        }
        if ((size_t)(q - p) == elen && memcmp(p, etag, elen) == 0) {
            return true;
        }
        while (*q != '\0' && *q != ',') {
            q++;
        }
        p = q;
    }
    return false;
}

MHD_RESULT_T
srv_h_asset(struct srv_req *req)
{
    const struct srv_asset *a = srv_asset_find(req->url);
    const char *inm;
    struct MHD_Response *r;
    unsigned status = MHD_HTTP_OK;

    if (a == NULL) {
        return srv_reply_status(req, MHD_HTTP_NOT_FOUND, "not found");
    }
    inm = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
    if (inm != NULL && etag_matches(inm, a->etag)) {
        status = MHD_HTTP_NOT_MODIFIED;
        r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    } else {
        r = srv_response_static(a->data, a->len);
    }
    if (r == NULL) {
        return MHD_NO;
    }
    if (status == MHD_HTTP_OK) {
        (void)MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, srv_asset_type(a->path));
        (void)MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    }
    (void)MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, a->etag);
    (void)MHD_add_response_header(r, "Cache-Control", "public, max-age=3600");
    return srv_reply_response(req, status, r);
}
