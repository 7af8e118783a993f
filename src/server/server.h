/*
 * server/server.h - `utmost serve`: the HTTP server (libmicrohttpd) with the
 * Segment-compatible collection API, durable group commit and, later, links,
 * pixel, reports and the dashboard. The CLI fills a config and calls srv_run.
 */
#ifndef UT_SERVER_SERVER_H
#define UT_SERVER_SERVER_H

#include <stddef.h>

struct srv_config {
    const char *listen;      /* "ADDR:PORT"; port 0 picks a free one */
    const char *data;        /* data directory (SQLite) */
    double rate_limit;       /* requests per second per key (burst: 2 s worth); 0 = unlimited */
    unsigned max_conns;      /* connections in all */
    unsigned max_conns_ip;   /* connections per client address */
    unsigned threads;        /* HTTP worker threads (0 = one per core) */
    unsigned timeout;        /* idle seconds before a connection is closed; also the most
                                a request body may take to arrive */
    size_t max_batch_bytes;  /* body cap for /v1/batch */
    size_t max_event_bytes;  /* body cap for single-event calls, and per event in a batch */
};

#define SRV_CONFIG_INIT                                                                            \
    {"127.0.0.1:8080", "./utmost-data", 5000.0, 1024, 256, 0, 10, 512000, 32768}

/*
 * Open (creating on first start) the store in cfg->data, listen, print
 * "listening on http://ADDR:PORT" on stderr once ready, and serve until
 * SIGTERM or SIGINT, then drain: stop accepting, commit what is queued, answer
 * it, exit. Returns a sysexits code (0 on a clean stop).
 */
int srv_run(const struct srv_config *cfg);

#endif /* UT_SERVER_SERVER_H */
