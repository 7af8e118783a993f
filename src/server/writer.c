/*
 * server/writer.c - the one writer thread and its group commit. Request
 * handlers queue their validated events (and link clicks) and suspend; the
 * writer takes everything queued, stores it in ONE transaction (classifying
 * touches and recording identity evidence on the way), commits, and only then
 * resumes the waiting requests, which answer 2xx. Durability thus costs one
 * fsync per batch of requests, not per event (redis's AE_BARRIER idea).
 */
#include "util/setup.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "core/channel.h"
#include "core/identity.h"
#include "server/srv.h"
#include "util/alloc.h"

#define WRITER_SCRATCH_MAX ((size_t)1 << 20)

static struct ut_str
touch_str(struct ut_touch_str s)
{
    return ut_str_make(s.ptr, s.len);
}

/* Lowercased copy of s appended to scratch; the view stays valid until scratch moves. */
static size_t
lower_into(struct ut_buf *b, struct ut_str s)
{
    size_t off = b->len;

    for (size_t i = 0; i < s.len; i++) {
        ut_buf_addch(b, (char)tolower((unsigned char)s.ptr[i]));
    }
    return off;
}

/*
 * Classify a page, screen or link click: channel group, source, medium... from
 * its URL and referrer; campaign fields the SDK sent in context.campaign win.
 */
static void
classify(const struct ut_event *ev, struct ut_event_class *cls, struct ut_buf *scratch)
{
    struct ut_touch_info ti;
    int has_campaign = !ut_str_empty(ev->campaign_source) || !ut_str_empty(ev->campaign_medium);

    memset(cls, 0, sizeof(*cls));
    if (ev->type != UT_EVENT_PAGE && ev->type != UT_EVENT_SCREEN && ev->type != UT_EVENT_CLICK) {
        return;
    }
    if (ut_channel_classify(ev->url.ptr, ev->url.len, ev->referrer.ptr, ev->referrer.len, &ti,
                            scratch, NULL) != UT_OK) {
        /* an unparseable URL: classify by referrer alone */
        if (ut_channel_classify(NULL, 0, ev->referrer.ptr, ev->referrer.len, &ti, scratch,
                                NULL) != UT_OK) {
            return;
        }
    }
    cls->source = touch_str(ti.source);
    cls->medium = touch_str(ti.medium);
    cls->campaign = touch_str(ti.campaign);
    cls->content = touch_str(ti.content);
    cls->term = touch_str(ti.term);
    cls->click_id = ut_str_cstr(ut_click_id_name(ti.click_id));
    cls->internal_referrer = ti.internal_referrer;
    cls->channel = ut_str_cstr(ut_channel_group_name(ti.channel));
    cls->is_candidate = ev->type == UT_EVENT_CLICK ||
                        (ti.channel != UT_CHANNEL_DIRECT && !ti.internal_referrer);
    if (has_campaign) {
        cls->source = ev->campaign_source;
        cls->medium = ev->campaign_medium;
        cls->campaign = ev->campaign_name;
        cls->content = ev->campaign_content;
        cls->term = ev->campaign_term;
        cls->channel = ut_str_cstr(ut_channel_group_name(
            ut_channel_group_for(cls->source.ptr, cls->source.len, cls->medium.ptr,
                                 cls->medium.len, cls->campaign.ptr, cls->campaign.len)));
        cls->is_candidate = 1;
    }
}

static int
put_evidence(struct ut_store *s, int64_t ws, int64_t event_id, const struct ut_event *ev,
             struct ut_buf *b)
{
    struct ut_evidence evs[UT_EVIDENCE_MAX];
    size_t n = ut_identity_evidence(ev, evs);

    for (size_t i = 0; i < n; i++) {
        struct ut_identity_edge e;
        size_t a_off, b_off, a_len, b_len;
        int err;

        ut_buf_clear(b);
        a_off = b->len;
        ut_buf_addf(b, "%s:", evs[i].a_ns);
        ut_buf_add(b, evs[i].a.ptr, evs[i].a.len);
        a_len = b->len - a_off;
        b_off = b->len;
        ut_buf_addf(b, "%s:", evs[i].b_ns);
        if (strcmp(evs[i].b_ns, "email") == 0) {
            (void)lower_into(b, evs[i].b);
        } else {
            ut_buf_add(b, evs[i].b.ptr, evs[i].b.len);
        }
        b_len = b->len - b_off;
        if (ut_buf_err(b) != UT_OK) {
            return ut_buf_err(b);
        }
        e.a = ut_str_make(b->ptr + a_off, a_len);
        e.b = ut_str_make(b->ptr + b_off, b_len);
        e.kind = ut_str_cstr(evs[i].kind);
        e.event_id = event_id;
        e.time = ev->timestamp;
        e.confidence = evs[i].confidence;
        err = ut_store_ops(s)->edge_put(s, ws, &e);
        if (err != UT_OK) {
            return err;
        }
    }
    return UT_OK;
}

static int
store_job(struct srv_writer *w, struct srv_job *job)
{
    const struct ut_store_ops *ops = ut_store_ops(w->store);

    job->inserted = 0;
    if (job->click != NULL) {
        /* a link click: its row and its UT_EVENT_CLICK event commit together or not at all */
        int err = ops->click_put(w->store, job->click);

        if (err != UT_OK) {
            return err;
        }
    }
    for (size_t i = 0; i < job->n; i++) {
        struct ut_event_class cls;
        int64_t id;
        int inserted, err;

        ut_buf_clear(&w->scratch);
        classify(&job->events[i], &cls, &w->scratch);
        err = ops->event_put(w->store, job->workspace, &job->events[i], &cls, &id, &inserted);
        if (err != UT_OK) {
            return err;
        }
        if (inserted) {
            struct ut_buf eb = UT_BUF_INIT(WRITER_SCRATCH_MAX);

            job->inserted++;
            err = put_evidence(w->store, job->workspace, id, &job->events[i], &eb);
            ut_buf_release(&eb);
            if (err != UT_OK) {
                return err;
            }
        }
    }
    return UT_OK;
}

/* Store a list of jobs in one transaction; every job gets the outcome. */
static void
commit_jobs(struct srv_writer *w, struct srv_job *jobs)
{
    const struct ut_store_ops *ops = ut_store_ops(w->store);
    int err = ops->begin(w->store);

    for (struct srv_job *j = jobs; j != NULL && err == UT_OK; j = j->next) {
        err = store_job(w, j);
    }
    if (err == UT_OK) {
        err = ops->commit(w->store);
    }
    if (err != UT_OK) {
        fprintf(stderr, "utmost: cannot store events: %s\n", ops->errmsg(w->store));
        (void)ops->rollback(w->store);
    }
    w->batches++;
    while (jobs != NULL) {
        struct srv_job *next = jobs->next; /* the job dies with its request after resume */

        jobs->err = err;
        w->events += err == UT_OK ? jobs->n : 0;
        MHD_resume_connection(jobs->conn);
        jobs = next;
    }
}

static void *
writer_main(void *arg)
{
    struct srv_writer *w = arg;

    for (;;) {
        struct srv_job *jobs;

        pthread_mutex_lock(&w->mu);
        while (w->head == NULL && !w->stopping) {
            pthread_cond_wait(&w->cv, &w->mu);
        }
        jobs = w->head;
        w->head = NULL;
        w->tail = &w->head;
        pthread_mutex_unlock(&w->mu);
        if (jobs == NULL) {
            break; /* stopping and drained */
        }
        commit_jobs(w, jobs);
    }
    return NULL;
}

int
srv_writer_start(struct srv_writer *w, const char *data)
{
    int err;

    memset(w, 0, sizeof(*w));
    w->tail = &w->head;
    ut_buf_init(&w->scratch, WRITER_SCRATCH_MAX);
    err = ut_store_open(&w->store, data, 0, NULL);
    if (err != UT_OK) {
        return err;
    }
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    if (pthread_create(&w->thread, NULL, writer_main, w) != 0) {
        ut_store_ops(w->store)->close(w->store);
        return UT_EINTERNAL;
    }
    srv_readers_init(&w->readers, data);
    w->started = 1;
    return UT_OK;
}

void
srv_writer_submit(struct srv_writer *w, struct srv_job *job)
{
    job->next = NULL;
    pthread_mutex_lock(&w->mu);
    if (w->stopping) {
        /* draining: nothing new is stored; the request answers 503 and the client retries */
        pthread_mutex_unlock(&w->mu);
        job->err = UT_EAGAIN;
        MHD_resume_connection(job->conn);
        return;
    }
    *w->tail = job;
    w->tail = &job->next;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

void
srv_writer_drain(struct srv_writer *w)
{
    if (!w->started || w->drained) {
        return;
    }
    pthread_mutex_lock(&w->mu);
    w->stopping = 1;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL); /* every queued job is committed and resumed by now */
    w->drained = 1;
}

void
srv_writer_stop(struct srv_writer *w)
{
    if (!w->started) {
        return;
    }
    srv_writer_drain(w);
    srv_readers_release(&w->readers); /* handlers are gone: the daemon stopped first */
    ut_store_ops(w->store)->close(w->store);
    ut_buf_release(&w->scratch);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
    w->started = 0;
}
