/*
 * server/server.c - the libmicrohttpd daemon: options and limits, the access
 * handler that reads bodies and dispatches routes, request lifetime, first
 * start (store, default workspace, keys) and the SIGTERM drain.
 * libmicrohttpd protects nothing by default: every limit is set here.
 */
#include "util/setup.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "server/srv.h"
#include "util/alloc.h"
#include "util/num.h"

#define SRV_ARENA_MAX ((size_t)8 << 20)  /* decoded events of one request */
#define SRV_CONN_MEMORY ((size_t)64 << 10) /* per connection; also caps the header size */
#define SRV_DRAIN_SECONDS 10
#define SRV_DISCARD_MAX ((size_t)8 << 20) /* oversize bodies up to this are read, then 413 */

static atomic_long srv_active; /* requests between access and completion */

/* ---- request lifetime ---------------------------------------------------------------- */

static struct srv_req *
req_new(struct srv *srv, struct MHD_Connection *conn, const char *url, const char *method)
{
    struct srv_req *req = ut_calloc(1, sizeof(*req));

    if (req == NULL) {
        return NULL;
    }
    req->srv = srv;
    req->conn = conn;
    req->url = url;
    req->method = method;
    req->started = srv_now();
    ut_buf_init(&req->body, srv->cfg.max_batch_bytes);
    ut_arena_init(&req->arena, 0, SRV_ARENA_MAX);
    atomic_fetch_add(&srv_active, 1);
    return req;
}

static void
srv_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
              enum MHD_RequestTerminationCode toe)
{
    struct srv_req *req = *con_cls;

    (void)cls;
    (void)conn;
    (void)toe;
    if (req == NULL) {
        return;
    }
    ut_buf_release(&req->body);
    ut_arena_release(&req->arena);
    ut_free(req);
    *con_cls = NULL;
    atomic_fetch_sub(&srv_active, 1);
}

/* First call for a request: route it and refuse an oversize body at once. */
static MHD_RESULT_T
req_begin(struct srv_req *req)
{
    const char *cl;
    int known;
    int64_t n;
    size_t cap;

    req->route = srv_route_find(req->method, req->url, &known);
    if (req->route == NULL || (req->route->flags & SRV_ROUTE_BODY) == 0) {
        return MHD_YES; /* answered on the next call (an early answer closes the connection) */
    }
    cap = (req->route->flags & SRV_ROUTE_BATCH) != 0 ? req->srv->cfg.max_batch_bytes
                                                    : req->srv->cfg.max_event_bytes;
    req->body.max = cap;
    cl = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl != NULL && ut_parse_i64(cl, strlen(cl), &n) == UT_OK && n > (int64_t)cap) {
        /*
         * Answering before the body is read makes a client that is still
         * sending it fail with EPIPE instead of reading the 413: a body of a
         * sane size is read and thrown away first, a huge one is cut short.
         */
        if (n > (int64_t)SRV_DISCARD_MAX) {
            return srv_reply_status(req, MHD_HTTP_CONTENT_TOO_LARGE, "request body too large");
        }
        req->too_large = 1;
    }
    return MHD_YES;
}

static MHD_RESULT_T
req_finish(struct srv_req *req)
{
    int known;

    if (req->state == SRV_REQ_WAITING) {
        static const char ok[] = "{\"success\":true}";

        if (req->job.err != UT_OK) {
            return srv_reply_err(req, UT_EAGAIN, NULL);
        }
        return srv_reply_json(req, MHD_HTTP_OK, ok, sizeof(ok) - 1);
    }
    if (req->too_large) {
        return srv_reply_status(req, MHD_HTTP_CONTENT_TOO_LARGE, "request body too large");
    }
    if (req->route == NULL) {
        (void)srv_route_find(req->method, req->url, &known);
        return known ? srv_reply_405(req) : srv_reply_status(req, MHD_HTTP_NOT_FOUND, "not found");
    }
    return req->route->handler(req);
}

static MHD_RESULT_T
srv_access(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
           const char *version, const char *upload_data, size_t *upload_data_size,
           void **con_cls)
{
    struct srv_req *req = *con_cls;

    (void)version;
    if (req == NULL) {
        req = req_new(cls, conn, url, method);
        if (req == NULL) {
            return MHD_NO; /* out of memory: drop the connection, keep serving */
        }
        *con_cls = req;
        return req_begin(req);
    }
    if (*upload_data_size != 0) {
        /*
         * libmicrohttpd's timeout only counts idle time: a client trickling a
         * byte at a time would hold the connection for ever. The whole body
         * must arrive within the timeout, or the connection is dropped.
         */
        if (srv_now() - req->started > (double)req->srv->cfg.timeout) {
            return MHD_NO;
        }
        if (req->route == NULL || (req->route->flags & SRV_ROUTE_BODY) == 0) {
            req->too_large = req->route != NULL; /* a body where none belongs is ignored */
        } else if (!req->too_large) {
            ut_buf_add(&req->body, upload_data, *upload_data_size);
            if (ut_buf_err(&req->body) != UT_OK) {
                req->too_large = 1; /* chunked bodies are counted here */
                ut_buf_release(&req->body);
            }
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (req->state == SRV_REQ_DONE) {
        return MHD_YES;
    }
    return req_finish(req);
}

/* ---- start and stop ---------------------------------------------------------------- */

static int
parse_listen(const char *listen, struct sockaddr_in *sa)
{
    const char *colon = strrchr(listen, ':');
    char host[64];
    int64_t port;

    if (colon == NULL || (size_t)(colon - listen) >= sizeof(host) ||
        ut_parse_i64(colon + 1, strlen(colon + 1), &port) != UT_OK || port < 0 ||
        port > 65535) {
        return -1;
    }
    memcpy(host, listen, (size_t)(colon - listen));
    host[colon - listen] = '\0';
    memset(sa, 0, sizeof(*sa));
    sa->sin_family = AF_INET;
    sa->sin_port = htons((uint16_t)port);
    if (strcmp(host, "localhost") == 0) {
        sa->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    } else if (inet_pton(AF_INET, host, &sa->sin_addr) != 1) {
        return -1;
    }
    return 0;
}

static struct MHD_Daemon *
start_daemon(struct srv *srv, const struct sockaddr_in *sa)
{
    unsigned threads = srv->cfg.threads;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
                     MHD_USE_ERROR_LOG;

    if (threads == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);

        threads = n > 0 ? (unsigned)n : 1;
    }
    return MHD_start_daemon(
        flags, 0, NULL, NULL, srv_access, srv, MHD_OPTION_SOCK_ADDR, sa,
        MHD_OPTION_THREAD_POOL_SIZE, threads, MHD_OPTION_CONNECTION_LIMIT, srv->cfg.max_conns,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, srv->cfg.max_conns_ip,
        MHD_OPTION_CONNECTION_TIMEOUT, srv->cfg.timeout, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        SRV_CONN_MEMORY, MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024, MHD_OPTION_NOTIFY_COMPLETED,
        srv_completed, srv, MHD_OPTION_END);
}

/* Wait (bounded) until no request is between its first call and its completion. */
static void
wait_idle(double seconds)
{
    double deadline = srv_now() + seconds;

    while (atomic_load(&srv_active) > 0 && srv_now() < deadline) {
        usleep(10000);
    }
}

/*
 * SIGTERM: stop accepting connections, let requests in flight finish, commit
 * and answer what the writer holds (later requests on open connections get
 * 503), and only then stop the daemon: libmicrohttpd must not be stopped with
 * a connection still suspended.
 */
static void
drain(struct srv *srv)
{
    (void)MHD_quiesce_daemon(srv->daemon);
    wait_idle(SRV_DRAIN_SECONDS);
    srv_writer_drain(&srv->writer);
    wait_idle(2);
    MHD_stop_daemon(srv->daemon);
    srv_writer_stop(&srv->writer);
}

int
srv_run(const struct srv_config *cfg)
{
    struct srv srv;
    struct sockaddr_in sa;
    const union MHD_DaemonInfo *di;
    sigset_t sigs;
    int sig = 0, err;

    memset(&srv, 0, sizeof(srv));
    srv.cfg = *cfg;
    if (parse_listen(cfg->listen, &sa) != 0) {
        fprintf(stderr, "utmost: invalid --listen '%s' (ADDR:PORT)\n", cfg->listen);
        return EX_USAGE;
    }
    /* Block the stop signals in every thread; the main thread waits for them. */
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    (void)signal(SIGPIPE, SIG_IGN); /* cannot fail: a valid signal, SIG_IGN */
    err = srv_writer_start(&srv.writer, cfg->data);
    if (err == UT_OK) {
        err = srv_keycache_new(&srv.keys, cfg->data);
    }
    if (err != UT_OK) {
        fprintf(stderr, "utmost: cannot open the store in '%s': %s\n", cfg->data,
                ut_strerror(err));
        srv_writer_stop(&srv.writer);
        return EX_UNAVAILABLE;
    }
    srv.daemon = start_daemon(&srv, &sa);
    if (srv.daemon == NULL) {
        fprintf(stderr, "utmost: cannot listen on %s: %s\n", cfg->listen, strerror(errno));
        srv_keycache_free(srv.keys);
        srv_writer_stop(&srv.writer);
        return EX_UNAVAILABLE;
    }
    di = MHD_get_daemon_info(srv.daemon, MHD_DAEMON_INFO_BIND_PORT);
    srv.port = di != NULL ? di->port : ntohs(sa.sin_port);
    {
        char host[INET_ADDRSTRLEN];

        inet_ntop(AF_INET, &sa.sin_addr, host, sizeof(host));
        fprintf(stderr, "listening on http://%s:%u\n", host, (unsigned)srv.port);
        (void)fflush(stderr); /* a hint to whoever waits for the line: nothing to do on error */
    }
    while (sig != SIGTERM && sig != SIGINT) {
        if (sigwait(&sigs, &sig) != 0) {
            break;
        }
    }
    fprintf(stderr, "utmost: stopping (signal %d), draining requests\n", sig);
    drain(&srv);
    srv_keycache_free(srv.keys);
    fprintf(stderr, "utmost: stopped; %llu events in %llu commits\n",
            (unsigned long long)srv.writer.events, (unsigned long long)srv.writer.batches);
    return 0;
}
