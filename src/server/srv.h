/*
 * server/srv.h - internals shared by the server's files: the server object,
 * the per-request context, the writer queue, keys and replies.
 */
#ifndef UT_SERVER_SRV_H
#define UT_SERVER_SRV_H

#include <microhttpd.h>
#include <pthread.h>
#include <stdint.h>

#include "core/event.h"
#include "server/server.h"
#include "store/store.h"
#include "util/arena.h"
#include "util/buf.h"
#include "util/hash.h"

#if MHD_VERSION < 0x00097002
typedef int MHD_RESULT_T;
#else
typedef enum MHD_Result MHD_RESULT_T;
#endif

struct srv;
struct srv_req;

/* ---- writer: group commit ---------------------------------------------------- */

/*
 * One request's events (and at most one link click) waiting for the writer.
 * conn is set when the job is submitted: a handler that suspends without
 * entering SRV_REQ_WAITING is called again after the commit and tells it by
 * conn != NULL (the link redirect and the pixel answer that way).
 */
struct srv_job {
    struct srv_job *next;
    int64_t workspace;
    struct ut_event *events;
    size_t n;
    const struct ut_click *click; /* stored before the events, in the same transaction */
    void *ctx;                    /* the handler's state across the suspension (arena) */
    struct MHD_Connection *conn;  /* resumed once the job is committed */
    int err;                      /* result, set by the writer */
    size_t inserted;              /* events that were new */
};

/* ---- read-only store connections for handlers (readers.c) ---------------------- */

#define SRV_READERS_IDLE_MAX 16

/*
 * A pool of read-only connections on the data directory, opened on demand
 * and kept (up to SRV_READERS_IDLE_MAX idle) for handlers that read: link
 * lookups of the redirect, the link API. Thread-safe. The writer owns it, so
 * it lives exactly as long as the store is open.
 */
struct srv_readers {
    pthread_mutex_t mu;
    const char *data; /* borrowed: the server's data directory */
    struct ut_store *idle[SRV_READERS_IDLE_MAX];
    size_t nidle;
};

void srv_readers_init(struct srv_readers *r, const char *data);
/* Close every idle connection; all taken ones must have been put back. */
void srv_readers_release(struct srv_readers *r);
/* Take a connection (opened if none is idle): UT_OK, or the store's error. */
int srv_readers_get(struct srv_readers *r, struct ut_store **out);
/* Give s back; err is the last result it gave (a driver failure closes it). */
void srv_readers_put(struct srv_readers *r, struct ut_store *s, int err);

struct srv_writer {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct srv_job *head, **tail;
    int stopping; /* set under mu: new jobs are bounced with UT_EAGAIN */
    int drained;  /* the thread has exited */
    int started;
    struct ut_store *store;
    struct ut_buf scratch;
    uint64_t batches, events;
    struct srv_readers readers;
};

int srv_writer_start(struct srv_writer *w, const char *data);
/*
 * Queue a job (never blocks on the database). The caller has suspended
 * job->conn; it is resumed once the job is committed (job->err UT_OK) or
 * failed, at once with UT_EAGAIN when the writer is draining.
 */
void srv_writer_submit(struct srv_writer *w, struct srv_job *job);
/* Commit and answer what is queued, bounce later jobs, stop the thread. */
void srv_writer_drain(struct srv_writer *w);
/* After the daemon has stopped: drain if needed, close the store and free everything. */
void srv_writer_stop(struct srv_writer *w);

/* ---- keys and limits ----------------------------------------------------------- */

struct srv_auth {
    enum ut_key_kind kind;
    int64_t workspace;
    unsigned char hash[32];
};

/* A new random key of kind, NUL-terminated in out (>= 48 bytes), and its SHA-256. */
int srv_key_generate(enum ut_key_kind kind, char *out, size_t cap, unsigned char hash[32]);
void srv_key_hash(const char *key, size_t len, unsigned char hash[32]);

struct srv_keycache;
int srv_keycache_new(struct srv_keycache **out, const char *data);
void srv_keycache_free(struct srv_keycache *kc);
/*
 * Resolve a key: UT_OK with *auth, UT_ENOTFOUND for unknown or revoked keys
 * (answers are cached for a few seconds, so revocations take effect within
 * that time), UT_ESTORE when the database cannot answer. Thread-safe.
 */
int srv_keycache_lookup(struct srv_keycache *kc, const char *key, size_t len,
                        struct srv_auth *auth);
/* Take one request from key's bucket: 0 allowed, else seconds to wait (>= 1). */
unsigned srv_keycache_ratelimit(struct srv_keycache *kc, const struct srv_auth *auth,
                                double rate, double now);

/* ---- requests ------------------------------------------------------------------- */

enum srv_req_state { SRV_REQ_NEW, SRV_REQ_BODY, SRV_REQ_WAITING, SRV_REQ_DONE };

struct srv_req {
    struct srv *srv;
    struct MHD_Connection *conn;
    const char *method, *url;
    enum srv_req_state state;
    struct ut_buf body;
    int too_large;
    double started;
    struct ut_arena arena;
    struct srv_job job;
    const struct srv_route *route;
};

typedef MHD_RESULT_T (*srv_handler_fn)(struct srv_req *req);

enum srv_route_flags {
    SRV_ROUTE_BODY = 1 << 0,   /* reads a request body */
    SRV_ROUTE_PREFIX = 1 << 1, /* path is a prefix */
    SRV_ROUTE_BATCH = 1 << 2   /* body cap is the batch cap */
};

struct srv_route {
    const char *method;
    const char *path;
    srv_handler_fn handler;
    unsigned flags;
    int arg; /* handler-specific (the event type for /v1/<type>) */
};

struct srv {
    struct srv_config cfg;
    struct MHD_Daemon *daemon;
    struct srv_writer writer;
    struct srv_keycache *keys;
    uint16_t port;
};

/* Routes: the static table (routes.c). NULL when nothing matches; *allowed tells 405. */
const struct srv_route *srv_route_find(const char *method, const char *url, int *path_known);

/* The methods routed for url, comma-separated into buf (for a 405's Allow header). */
void srv_route_allow(const char *url, char *buf, size_t cap);

/* Handlers */
MHD_RESULT_T srv_h_segment(struct srv_req *req);
MHD_RESULT_T srv_h_health(struct srv_req *req);
MHD_RESULT_T srv_h_preflight(struct srv_req *req);
MHD_RESULT_T srv_h_links(struct srv_req *req);    /* GET|POST /api/v1/links */
MHD_RESULT_T srv_h_link(struct srv_req *req);     /* GET|PATCH|DELETE /api/v1/links/S */
MHD_RESULT_T srv_h_redirect(struct srv_req *req); /* GET|HEAD /l/S */
MHD_RESULT_T srv_h_pixel(struct srv_req *req);    /* GET /v1/pixel.gif */
MHD_RESULT_T srv_h_asset(struct srv_req *req);    /* GET|HEAD of an embedded asset (/u.js) */

/* ---- request inputs and non-JSON answers (req.c) ------------------------------- */

/*
 * The API key of the request: "Authorization: Bearer KEY", or the user name
 * of "Authorization: Basic base64(KEY:)" decoded into buf (cap bytes).
 * UT_STR_NULL without an Authorization header of those kinds; an empty
 * non-NULL view when one is present but malformed (an unknown key).
 */
struct ut_str srv_req_key(struct srv_req *req, char *buf, size_t cap);
/* srv_req_key for "Authorization: Basic" only (the Segment API has no Bearer form). */
struct ut_str srv_req_basic_user(struct srv_req *req, char *buf, size_t cap);

/*
 * Check key: 401 when missing or unknown, 403 when its kind is not allowed
 * (need UT_KEY_ADMIN: only admin keys; UT_KEY_WRITE: any but read keys), 429
 * over the rate limit, 503 when keys cannot be read. Returns 0 with *auth
 * filled, or -1 after queueing that answer (its result in *ret).
 */
int srv_auth_or_reply(struct srv_req *req, struct ut_str key, enum ut_key_kind need,
                      struct srv_auth *auth, MHD_RESULT_T *ret);

/* The client's address as text in the request arena; UT_STR_NULL if unknown. */
struct ut_str srv_req_client_ip(struct srv_req *req);
/* Header name's value and length (*len), or NULL when absent. Valid for the request. */
const char *srv_req_header(struct srv_req *req, const char *name, size_t *len);
/* GET argument name's decoded value and length, or NULL when absent. */
const char *srv_req_arg(struct srv_req *req, const char *name, size_t *len);

#define SRV_VISITOR_HEX 32 /* ut_vid: 128 random bits as lowercase hex */

/*
 * The visitor id from the ut_vid cookie into out (33 bytes), or a new random
 * one with *fresh = 1 (the answer must then set the cookie with
 * srv_add_visitor_cookie). UT_OK or UT_EINTERNAL (no randomness).
 */
int srv_req_visitor(struct srv_req *req, char out[SRV_VISITOR_HEX + 1], int *fresh);
/* Add "Set-Cookie: ut_vid=...; Max-Age=2 years; Path=/; SameSite=Lax; HttpOnly" to r. */
void srv_add_visitor_cookie(struct srv_req *req, struct MHD_Response *r, const char *vid);
/* nbytes random bytes (OpenSSL) as lowercase hex into out (2 * nbytes + 1); UT_EINTERNAL. */
int srv_random_hex(char *out, size_t nbytes);

/* A response over static bytes (neither copied nor freed; libmicrohttpd only reads them). */
struct MHD_Response *srv_response_static(const void *data, size_t len);
/*
 * A response over a copy of data[0..len) with Content-Type ctype and
 * "Cache-Control: no-store"; NULL when out of memory.
 */
struct MHD_Response *srv_response_copy(const void *data, size_t len, const char *ctype);
/* srv_response_copy of b's bytes, then b is released; NULL also when b had failed. */
struct MHD_Response *srv_response_buf(struct ut_buf *b, const char *ctype);
/*
 * Hand req->job (workspace, events, n, click and ctx filled by the handler) to
 * the writer, the connection suspended until the commit resumes it. MHD_YES.
 */
MHD_RESULT_T srv_req_submit(struct srv_req *req);
/* Queue r with status (the request is then done) and drop our reference to r. */
MHD_RESULT_T srv_reply_response(struct srv_req *req, unsigned status, struct MHD_Response *r);
/* A small HTML page (status, title and one line of text, both escaped); for /l/ errors. */
MHD_RESULT_T srv_reply_html(struct srv_req *req, unsigned status, const char *title,
                            const char *text);
/* Append s[0..len) HTML-escaped (& < > " ') to b. */
void srv_html_escape(struct ut_buf *b, const char *s, size_t len);

/* ---- links: checks and JSON shared by the API and the CLI (links.c) ------------ */

/*
 * Check every field of l: slug, destination, each UTM value and partner (an
 * absent optional field is fine). On failure returns UT_EINVAL or UT_ELIMIT
 * with diag->field set to the JSON name ("slug", "destination",
 * "utm_source", ..., "partner") and a message.
 */
int srv_link_check(const struct ut_link *l, struct ut_diag *diag);
/* Append l as a JSON object (id, slug, destination, utm_*, partner, path, created_at, counts). */
void srv_link_json(struct ut_buf *b, const struct ut_link *l);
/* Append s as a JSON string, or null when absent. */
void srv_json_strv(struct ut_buf *b, struct ut_str s);
/*
 * The stored JSON body of an event the server makes itself (link click,
 * pixel hit): type, messageId, ids, name, context.page, ip, userAgent,
 * library, timestamp; props (a JSON object text, may be NULL) as properties.
 */
void srv_event_json(struct ut_buf *b, const struct ut_event *ev, const char *library,
                    const char *props);

/* ---- replies ---------------------------------------------------------------------- */

/* Send status with a JSON body (copied). */
MHD_RESULT_T srv_reply_json(struct srv_req *req, unsigned status, const char *json, size_t len);
/*
 * The one mapping from ut_err to HTTP: PARSE/INVAL 400, LIMIT 413, NOTFOUND
 * 404, CONFLICT 409, NOMEM/AGAIN 503, anything else 500; body
 * {"success":false,"error":"...","field":"..."}.
 */
MHD_RESULT_T srv_reply_err(struct srv_req *req, int err, const struct ut_diag *diag);
/* 405 with an Allow header naming the methods the path has. */
MHD_RESULT_T srv_reply_405(struct srv_req *req);
/* {"success":false,"error":msg} with an explicit status (401, 403, 404, 405, 429 ...). */
MHD_RESULT_T srv_reply_status(struct srv_req *req, unsigned status, const char *msg);

double srv_now(void);

/* ---- data directory bootstrap and shared operations (bootstrap.c) ------------------ */

#include <stdio.h>

/* Create the store if needed; on the first start make workspace "default" and print its keys. */
int srv_bootstrap(const char *data, FILE *out);
/* Generate, store and return (in key) a new key of kind for workspace ws. */
int srv_key_create(struct ut_store *s, int64_t ws, enum ut_key_kind kind, char *key, size_t cap);
/* Find a workspace by name, or else by numeric id: UT_OK with *id, or UT_ENOTFOUND. */
int srv_workspace_resolve(struct ut_store *s, const char *w, int64_t *id);

#endif /* UT_SERVER_SRV_H */
