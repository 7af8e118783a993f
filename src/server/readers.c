/*
 * server/readers.c - a small pool of read-only store connections for the
 * handlers that read (the link redirect, the link API). A connection is
 * opened on first need and kept for the next request, so a redirect costs
 * one indexed SELECT, not an open. Writes never go through here: events and
 * clicks go to the writer, link edits open their own read-write connection.
 */
#include "util/setup.h"

#include <string.h>

#include "server/srv.h"

void
srv_readers_init(struct srv_readers *r, const char *data)
{
    memset(r, 0, sizeof(*r));
    pthread_mutex_init(&r->mu, NULL);
    r->data = data;
}

void
srv_readers_release(struct srv_readers *r)
{
    for (size_t i = 0; i < r->nidle; i++) {
        ut_store_ops(r->idle[i])->close(r->idle[i]);
        r->idle[i] = NULL;
    }
    r->nidle = 0;
    pthread_mutex_destroy(&r->mu);
}

int
srv_readers_get(struct srv_readers *r, struct ut_store **out)
{
    struct ut_store *s = NULL;

    pthread_mutex_lock(&r->mu);
    if (r->nidle > 0) {
        s = r->idle[--r->nidle];
        r->idle[r->nidle] = NULL;
    }
    pthread_mutex_unlock(&r->mu);
    if (s != NULL) {
        *out = s;
        return UT_OK;
    }
    /* opened outside the lock: an open reads the schema and may wait on the disk */
    return ut_store_open(out, r->data, UT_STORE_READONLY, NULL);
}

void
srv_readers_put(struct srv_readers *r, struct ut_store *s, int err)
{
    int keep = 0;

    if (s == NULL) {
        return;
    }
    /* a connection that failed in the driver may be in any state: do not hand it out again */
    if (err == UT_OK || err == UT_ENOTFOUND || err == UT_EINVAL || err == UT_ECONFLICT) {
        pthread_mutex_lock(&r->mu);
        if (r->nidle < SRV_READERS_IDLE_MAX) {
            r->idle[r->nidle++] = s;
            keep = 1;
        }
        pthread_mutex_unlock(&r->mu);
    }
    if (!keep) {
        ut_store_ops(s)->close(s);
    }
}
