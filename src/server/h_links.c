/*
 * server/h_links.c - the link admin API, for admin keys only:
 *   POST   /api/v1/links      create  -> 201 link
 *   GET    /api/v1/links      list    -> 200 {"links":[...]} with click counts
 *   GET    /api/v1/links/S    one     -> 200 link
 *   PATCH  /api/v1/links/S    change  -> 200 link (members absent stay, null clears)
 *   DELETE /api/v1/links/S    delete  -> 204 (the slug stays taken)
 * Order of checks: key (401 / 403 / 429) before anything is parsed, then the
 * body (400 naming the field, 413), then the store (404 for a link of any
 * other workspace, so its existence is never revealed; 409 for a taken slug).
 * Reads use the pooled read-only connections; edits open a read-write
 * connection of their own (a rare, human-paced operation) and are durable
 * before the answer.
 */
#include "util/setup.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "core/link.h"
#include "ingest/segment.h"
#include "server/srv.h"
#include "util/diag.h"

#define LINKS_PREFIX "/api/v1/links/"
#define LINK_BODY_MAX ((size_t)16 << 10) /* bytes of a create or update body */
#define LINK_JSON_DEPTH 4u               /* the body is one flat object: a little slack */
#define LINK_LIST_MAX ((size_t)64 << 20) /* bytes of a list answer */
#define LINK_SCRATCH_MAX ((size_t)64 << 10)

/* The members a body may set, in struct ut_link order. */
enum link_field {
    F_SLUG,
    F_DESTINATION,
    F_SOURCE,
    F_MEDIUM,
    F_CAMPAIGN,
    F_CONTENT,
    F_TERM,
    F_PARTNER,
    F_COUNT
};

static const char *const field_names[F_COUNT] = {
    "slug",         "destination", "utm_source", "utm_medium",
    "utm_campaign", "utm_content", "utm_term",   "partner",
};

/* Members of the link's JSON form a client may send back as they were: ignored. */
static const char *const readonly_names[] = {"id",         "workspace_id", "path",
                                             "created_at", "clicks",       "bot_clicks"};

/* A decoded body: which members were there, and their strings (ptr NULL for JSON null). */
struct link_body {
    bool present[F_COUNT];
    struct ut_str val[F_COUNT];
};

/* ---- body ------------------------------------------------------------------------ */

/* Nesting of [start, end) outside strings, before cJSON builds anything. */
static int
check_depth(const char *p, const char *end, struct ut_diag *diag)
{
    unsigned depth = 0;
    bool in_str = false;

    for (; p < end; p++) {
        if (in_str) {
            if (*p == '\\') {
                p++;
            } else if (*p == '"') {
                in_str = false;
            }
        } else if (*p == '"') {
            in_str = true;
        } else if (*p == '{' || *p == '[') {
            if (++depth > LINK_JSON_DEPTH) {
                ut_diag_set(diag, "JSON nested deeper than %u levels", LINK_JSON_DEPTH);
                return UT_ELIMIT;
            }
        } else if (*p == '}' || *p == ']') {
            depth -= depth > 0;
        }
    }
    return UT_OK;
}

static int
field_index(const char *name)
{
    for (int i = 0; i < F_COUNT; i++) {
        if (strcmp(name, field_names[i]) == 0) {
            return i;
        }
    }
    for (size_t i = 0; i < UT_ARRAY_LEN(readonly_names); i++) {
        if (strcmp(name, readonly_names[i]) == 0) {
            return F_COUNT;
        }
    }
    return -1;
}

/* Record the member's name as the diag field when it is short printable ASCII. */
static void
name_field(struct ut_diag *diag, const char *name)
{
    size_t n = strlen(name);

    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)name[i] < 0x20 || (unsigned char)name[i] >= 0x7f) {
            return;
        }
    }
    ut_diag_field(diag, name, n);
}

/* One member of the body object into out; strings are copied into the arena. */
static int
take_member(struct srv_req *req, const cJSON *it, struct link_body *out, struct ut_diag *diag)
{
    int i = it->string != NULL ? field_index(it->string) : -1;

    if (i < 0) {
        name_field(diag, it->string != NULL ? it->string : "");
        ut_diag_set(diag, "unknown member '%.64s'", diag->field);
        return UT_EINVAL;
    }
    if (i == F_COUNT) {
        return UT_OK;
    }
    ut_diag_field(diag, field_names[i], strlen(field_names[i]));
    if (out->present[i]) {
        ut_diag_set(diag, "duplicate member '%s'", field_names[i]);
        return UT_EINVAL;
    }
    out->present[i] = true;
    if (cJSON_IsNull(it)) {
        out->val[i] = UT_STR_NULL;
        return UT_OK;
    }
    if (!cJSON_IsString(it) || it->valuestring == NULL) {
        ut_diag_set(diag, "%s must be a string or null", field_names[i]);
        return UT_EINVAL;
    }
    out->val[i] = ut_arena_strdup(&req->arena, it->valuestring, strlen(it->valuestring));
    if (out->val[i].ptr == NULL) {
        return UT_ENOMEM;
    }
    return UT_OK;
}

/* Decode the request body: one JSON object of link members, at most LINK_BODY_MAX bytes. */
static int
parse_body(struct srv_req *req, struct link_body *out, struct ut_diag *diag)
{
    const char *start = req->body.ptr, *end = start + req->body.len, *stop = NULL;
    const cJSON *it;
    cJSON *root;
    int err = UT_OK;

    memset(out, 0, sizeof(*out));
    if (req->body.len > LINK_BODY_MAX) {
        ut_diag_set(diag, "request body larger than %zu bytes", LINK_BODY_MAX);
        return UT_ELIMIT;
    }
    err = check_depth(start, end, diag);
    if (err != UT_OK) {
        return err;
    }
    ut_segment_init(); /* cJSON allocates through ut_malloc */
    root = cJSON_ParseWithLengthOpts(start, req->body.len, &stop, 0);
    while (stop != NULL && stop < end &&
           (*stop == ' ' || *stop == '\t' || *stop == '\r' || *stop == '\n')) {
        stop++;
    }
    if (root == NULL || !cJSON_IsObject(root) || stop != end) {
        cJSON_Delete(root);
        ut_diag_set(diag, "request body must be one JSON object");
        return UT_EPARSE;
    }
    cJSON_ArrayForEach(it, root)
    {
        err = take_member(req, it, out, diag);
        if (err != UT_OK) {
            break;
        }
    }
    cJSON_Delete(root);
    if (err == UT_OK) {
        ut_diag_clear(diag);
    }
    return err;
}

/* Set the members of b that are present on l (null clears; "" counts as null). */
static void
apply_body(struct ut_link *l, const struct link_body *b)
{
    struct ut_str *dst[F_COUNT] = {&l->slug,       &l->destination,  &l->utm_source,
                                   &l->utm_medium, &l->utm_campaign, &l->utm_content,
                                   &l->utm_term,   &l->partner};

    for (int i = 0; i < F_COUNT; i++) {
        if (b->present[i]) {
            *dst[i] = b->val[i].ptr != NULL && b->val[i].len == 0 && i >= F_SOURCE ? UT_STR_NULL
                                                                                   : b->val[i];
        }
    }
}

/* ---- answers ----------------------------------------------------------------------- */

static MHD_RESULT_T
reply_link(struct srv_req *req, unsigned status, const struct ut_link *l)
{
    struct ut_buf b = UT_BUF_INIT(LINK_SCRATCH_MAX);
    struct MHD_Response *r;

    srv_link_json(&b, l);
    if (ut_buf_err(&b) != UT_OK) {
        ut_buf_release(&b);
        return srv_reply_err(req, UT_ENOMEM, NULL);
    }
    r = srv_response_buf(&b, "application/json");
    if (r == NULL) {
        return MHD_NO;
    }
    if (status == MHD_HTTP_CREATED) {
        char loc[sizeof(LINKS_PREFIX) + UT_LINK_SLUG_MAX];

        (void)snprintf(loc, sizeof(loc), LINKS_PREFIX "%.*s", (int)l->slug.len, l->slug.ptr);
        (void)MHD_add_response_header(r, MHD_HTTP_HEADER_LOCATION, loc);
    }
    return srv_reply_response(req, status, r);
}

static MHD_RESULT_T
reply_not_found(struct srv_req *req)
{
    return srv_reply_status(req, MHD_HTTP_NOT_FOUND, "link not found");
}

/* A store failure: logged with the driver's words, answered without them. */
static MHD_RESULT_T
reply_store_err(struct srv_req *req, struct ut_store *s, int err)
{
    fprintf(stderr, "utmost: %s %s: %s\n", req->method, req->url,
            s != NULL ? ut_store_ops(s)->errmsg(s) : ut_strerror(err));
    return srv_reply_err(req, err == UT_ENOMEM || err == UT_EAGAIN ? err : UT_ESTORE, NULL);
}

/* A read-write connection for one edit; NULL after answering 503. */
static struct ut_store *
open_rw_or_reply(struct srv_req *req, MHD_RESULT_T *ret)
{
    struct ut_store *s = NULL;
    int err = ut_store_open(&s, req->srv->cfg.data, 0, NULL);

    if (err != UT_OK) {
        fprintf(stderr, "utmost: cannot open the store for a link edit: %s\n", ut_strerror(err));
        *ret = srv_reply_err(req, UT_EAGAIN, NULL);
        return NULL;
    }
    return s;
}

/* ---- operations ---------------------------------------------------------------------- */

struct list_ctx {
    struct ut_buf *b;
    size_t n;
};

static int
list_one(void *ctx, const struct ut_link *l)
{
    struct list_ctx *c = ctx;

    if (c->n++ > 0) {
        ut_buf_addch(c->b, ',');
    }
    srv_link_json(c->b, l);
    return ut_buf_err(c->b) != UT_OK ? 1 : 0;
}

static MHD_RESULT_T
links_list(struct srv_req *req, const struct srv_auth *auth)
{
    struct ut_buf b = UT_BUF_INIT(LINK_LIST_MAX);
    struct list_ctx ctx = {&b, 0};
    struct ut_store *s = NULL;
    MHD_RESULT_T ret = MHD_NO;
    int serr, err = srv_readers_get(&req->srv->writer.readers, &s);

    if (err != UT_OK) {
        return reply_store_err(req, NULL, err);
    }
    ut_buf_addstr(&b, "{\"links\":[");
    serr = ut_store_ops(s)->links_scan(s, auth->workspace, list_one, &ctx);
    serr = serr == 1 ? UT_OK : serr; /* 1: list_one stopped on the buffer's error */
    ut_buf_addstr(&b, "]}");
    err = ut_buf_err(&b);
    if (serr != UT_OK) {
        ret = reply_store_err(req, s, serr);
    } else if (err != UT_OK) {
        ret = srv_reply_err(req, err, NULL);
    } else {
        ret = srv_reply_json(req, MHD_HTTP_OK, b.ptr, b.len);
    }
    srv_readers_put(&req->srv->writer.readers, s, serr);
    ut_buf_release(&b);
    return ret;
}

static MHD_RESULT_T
links_create(struct srv_req *req, const struct srv_auth *auth)
{
    struct ut_link l;
    struct link_body body;
    struct ut_diag diag;
    struct ut_store *s;
    MHD_RESULT_T ret = MHD_NO;
    int err;

    ut_diag_clear(&diag);
    err = parse_body(req, &body, &diag);
    if (err != UT_OK) {
        return srv_reply_err(req, err, &diag);
    }
    for (int i = F_SLUG; i <= F_DESTINATION; i++) {
        if (!body.present[i] || body.val[i].ptr == NULL) {
            ut_diag_set(&diag, "%s is required", field_names[i]);
            ut_diag_field(&diag, field_names[i], strlen(field_names[i]));
            return srv_reply_err(req, UT_EINVAL, &diag);
        }
    }
    memset(&l, 0, sizeof(l));
    apply_body(&l, &body);
    l.workspace_id = auth->workspace;
    l.created_at = srv_now();
    err = srv_link_check(&l, &diag);
    if (err != UT_OK) {
        return srv_reply_err(req, UT_EINVAL, &diag);
    }
    s = open_rw_or_reply(req, &ret);
    if (s == NULL) {
        return ret;
    }
    err = ut_store_ops(s)->link_create(s, &l, &l.id);
    if (err == UT_ECONFLICT) {
        ut_diag_set(&diag, "slug '%.*s' is already taken", (int)l.slug.len, l.slug.ptr);
        ut_diag_field(&diag, "slug", 4);
        ret = srv_reply_err(req, UT_ECONFLICT, &diag);
    } else if (err != UT_OK) {
        ret = reply_store_err(req, s, err);
    } else {
        ret = reply_link(req, MHD_HTTP_CREATED, &l); /* new: no clicks yet */
    }
    ut_store_ops(s)->close(s);
    return ret;
}

static MHD_RESULT_T
link_get(struct srv_req *req, const struct srv_auth *auth, const char *slug)
{
    struct ut_buf scratch = UT_BUF_INIT(LINK_SCRATCH_MAX);
    struct ut_store *s = NULL;
    struct ut_link l;
    MHD_RESULT_T ret = MHD_NO;
    int err = srv_readers_get(&req->srv->writer.readers, &s);

    if (err != UT_OK) {
        return reply_store_err(req, NULL, err);
    }
    err = ut_store_ops(s)->link_get(s, slug, &l, &scratch);
    if (err == UT_ENOTFOUND || (err == UT_OK && l.workspace_id != auth->workspace)) {
        ret = reply_not_found(req);
    } else if (err != UT_OK) {
        ret = reply_store_err(req, s, err);
    } else {
        ret = reply_link(req, MHD_HTTP_OK, &l);
    }
    srv_readers_put(&req->srv->writer.readers, s, err);
    ut_buf_release(&scratch);
    return ret;
}

/* Read, merge and write the link in one transaction; the answer shows it as stored. */
static MHD_RESULT_T
link_patch(struct srv_req *req, const struct srv_auth *auth, const char *slug)
{
    const struct ut_store_ops *ops;
    struct ut_buf scratch = UT_BUF_INIT(LINK_SCRATCH_MAX);
    struct link_body body;
    struct ut_diag diag;
    struct ut_store *s;
    struct ut_link l;
    MHD_RESULT_T ret = MHD_NO;
    int err;

    ut_diag_clear(&diag);
    err = parse_body(req, &body, &diag);
    if (err == UT_OK && body.present[F_SLUG] &&
        (body.val[F_SLUG].ptr == NULL || strcmp(body.val[F_SLUG].ptr, slug) != 0)) {
        ut_diag_set(&diag, "slug cannot be changed: create a new link");
        ut_diag_field(&diag, "slug", 4);
        err = UT_EINVAL;
    }
    if (err == UT_OK && body.present[F_DESTINATION] && body.val[F_DESTINATION].ptr == NULL) {
        ut_diag_set(&diag, "destination cannot be null");
        ut_diag_field(&diag, "destination", 11);
        err = UT_EINVAL;
    }
    if (err != UT_OK) {
        return srv_reply_err(req, err, &diag);
    }
    s = open_rw_or_reply(req, &ret);
    if (s == NULL) {
        return ret;
    }
    ops = ut_store_ops(s);
    err = ops->begin(s);
    if (err == UT_OK) {
        err = ops->link_get(s, slug, &l, &scratch);
    }
    if (err == UT_ENOTFOUND || (err == UT_OK && l.workspace_id != auth->workspace)) {
        ret = reply_not_found(req);
        goto out;
    }
    if (err == UT_OK) {
        apply_body(&l, &body);
        if (srv_link_check(&l, &diag) != UT_OK) {
            ret = srv_reply_err(req, UT_EINVAL, &diag);
            goto out;
        }
        err = ops->link_update(s, &l);
    }
    if (err == UT_OK) {
        err = ops->link_get(s, slug, &l, &scratch); /* with its click counts */
    }
    if (err == UT_OK) {
        err = ops->commit(s);
    }
    ret = err == UT_OK ? reply_link(req, MHD_HTTP_OK, &l) : reply_store_err(req, s, err);
out:
    (void)ops->rollback(s); /* after a commit: nothing to roll back */
    ops->close(s);
    ut_buf_release(&scratch);
    return ret;
}

static MHD_RESULT_T
link_delete(struct srv_req *req, const struct srv_auth *auth, const char *slug)
{
    struct MHD_Response *r;
    struct ut_store *s;
    MHD_RESULT_T ret = MHD_NO;
    int err;

    s = open_rw_or_reply(req, &ret);
    if (s == NULL) {
        return ret;
    }
    err = ut_store_ops(s)->link_delete(s, auth->workspace, slug);
    ut_store_ops(s)->close(s);
    if (err == UT_ENOTFOUND) {
        return reply_not_found(req);
    }
    if (err != UT_OK) {
        return reply_store_err(req, NULL, err);
    }
    r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    if (r == NULL) {
        return MHD_NO;
    }
    return srv_reply_response(req, MHD_HTTP_NO_CONTENT, r);
}

/* ---- handlers ---------------------------------------------------------------------- */

/* 0 with *auth when the request carries an admin key, else -1 with the answer in *ret. */
static int
admin_auth(struct srv_req *req, struct srv_auth *auth, MHD_RESULT_T *ret)
{
    char keybuf[512];

    return srv_auth_or_reply(req, srv_req_key(req, keybuf, sizeof(keybuf)), UT_KEY_ADMIN, auth,
                             ret);
}

MHD_RESULT_T
srv_h_links(struct srv_req *req)
{
    struct srv_auth auth;
    MHD_RESULT_T ret = MHD_NO;

    if (admin_auth(req, &auth, &ret) != 0) {
        return ret;
    }
    return strcmp(req->method, "POST") == 0 ? links_create(req, &auth) : links_list(req, &auth);
}

MHD_RESULT_T
srv_h_link(struct srv_req *req)
{
    const char *slug = req->url + strlen(LINKS_PREFIX);
    struct srv_auth auth;
    MHD_RESULT_T ret = MHD_NO;

    if (admin_auth(req, &auth, &ret) != 0) {
        return ret;
    }
    if (ut_link_slug_check(slug, strlen(slug)) != UT_OK) {
        return reply_not_found(req); /* no such slug can exist */
    }
    if (strcmp(req->method, "PATCH") == 0) {
        return link_patch(req, &auth, slug);
    }
    if (strcmp(req->method, "DELETE") == 0) {
        return link_delete(req, &auth, slug);
    }
    return link_get(req, &auth, slug);
}
