/*
 * core/model_markov.c - markov: the removal effect of an absorbing Markov
 * chain over journeys, computed exactly (ChannelAttribution's definition
 * without simulation or step cap). Reads the journeys, never prints.
 *
 * States are the sliding windows of K = order consecutive channels (a journey
 * of at most K touches is one state, its whole path); consecutive identical
 * states collapse. A journey of weight w (conversions + nulls; conversions
 * only with no_null, which drops non-converting journeys and the null state)
 * adds w to start->s1, s1->s2, ..., and its conversions and nulls to the
 * absorbing edges of its last state. Transitions are normalised per source.
 * With y_s = P(absorbed in conversion with s the last transient state)
 * = visits(s) * P(s -> conversion), P = sum_s y_s, and y^c the same when every
 * state containing channel c leads to null:
 *   RE_c = (P - P^c) / P,   conversions_c = RE_c / sum_d RE_d * total,
 *   V_c  ~ sum_s (y_s - y^c_s) * mu_s  (mu_s = value / conversions of the
 *          journeys ending in s), scaled to the total value.
 * Visits come from core/markov_solve.c (exact; its file comment has the
 * method and the convergence argument); y - y^c is solved for directly as the
 * visits lost, so small channels keep full relative precision.
 *
 * Totals are those of the journeys with touches (the dispatcher credits the
 * others). Fallbacks that keep them conserved: no conversion in the chain
 * gives zero conversion credit; if the removal effects sum to 0 while
 * conversions do not (impossible in exact arithmetic), each journey's
 * conversions are split evenly over its touches; if the value effects sum to
 * 0 (or are not finite) while the value does not - e.g. all value sits on
 * journeys without conversions - value follows the conversion credit, or that
 * even split when there is no conversion credit either.
 * Cost: one pass over the touches (hash tables of states and transitions),
 * then one sparse solve per channel: O(channels * sweeps * transitions).
 */
#include "util/setup.h"

#include <math.h>
#include <string.h>

#include "core/markov_solve.h"
#include "core/model.h"
#include "util/alloc.h"
#include "util/diag.h"

#define MK_PAD UINT32_MAX  /* fills the unused slots of a window shorter than 4 */
#define MK_NONE UINT32_MAX /* "no state yet" */
#define MK_EDGE_EMPTY UINT64_MAX

/*
 * The chain under construction: interned states (windows of up to 4 channel
 * ids, padded) with their start / conversion / null / value weights, and the
 * transitions, each interned by (from << 32 | to).
 */
struct mk_build {
    unsigned k;
    uint32_t *tup; /* 4 per state */
    double *start, *conv, *nulls, *value;
    size_t nstates, scap;
    uint32_t *sslots; /* state id + 1; 0 = empty */
    size_t smask;
    struct ut__mk_edge *edges;
    size_t nedges, ecap;
    uint64_t *ekeys;
    uint32_t *eidx;
    size_t emask;
    double total_conv; /* conversions that entered the chain */
};

/* Everything one run owns, released together. */
struct mk_run {
    struct mk_build b;
    struct ut__mk_chain chain;
    size_t *cptr; /* channel -> its states: clist[cptr[c] .. cptr[c + 1]) */
    uint32_t *clist;
    double *x;                 /* visits of the full chain */
    double *xc, *rhs;          /* visits lost when a channel is removed, and their source */
    enum ut__mk_method method; /* of the full solve, reused for the removals */
    struct ut__mk_lu *lu;      /* factors of the full chain, when dense */
    double *mu;                /* value per conversion of each state */
    unsigned char *removed;
    double *re, *rv; /* per channel: removal effect, value effect */
    double *cc, *cv; /* per channel: this model's credit */
};

static void
mk_build_release(struct mk_build *b)
{
    ut_free(b->tup);
    ut_free(b->start);
    ut_free(b->conv);
    ut_free(b->nulls);
    ut_free(b->value);
    ut_free(b->sslots);
    ut_free(b->edges);
    ut_free(b->ekeys);
    ut_free(b->eidx);
    memset(b, 0, sizeof(*b));
}

static void
mk_run_release(struct mk_run *r)
{
    mk_build_release(&r->b);
    ut__mk_chain_release(&r->chain);
    ut__mk_lu_free(r->lu);
    ut_free(r->cptr);
    ut_free(r->clist);
    ut_free(r->x);
    ut_free(r->xc);
    ut_free(r->rhs);
    ut_free(r->mu);
    ut_free(r->removed);
    ut_free(r->re);
    ut_free(r->rv);
    ut_free(r->cc);
    ut_free(r->cv);
    memset(r, 0, sizeof(*r));
}

/* ---- interning states and transitions ------------------------------------------ */

static inline uint64_t
window_hash(const uint32_t *w)
{
    uint64_t a = (uint64_t)w[0] << 32 | w[1];
    uint64_t b = (uint64_t)w[2] << 32 | w[3];

    return ut_hash_u64(a ^ (b * 0x9e3779b97f4a7c15ULL));
}

/* Double the state slot table (or create it) and reinsert every state. */
static int
states_rehash(struct mk_build *b)
{
    size_t nslots = b->sslots == NULL ? 1024 : (b->smask + 1) * 2;
    uint32_t *slots = ut_calloc(nslots, sizeof(*slots));

    if (slots == NULL) {
        return UT_ENOMEM;
    }
    for (size_t s = 0; s < b->nstates; s++) {
        size_t h = window_hash(b->tup + 4 * s) & (nslots - 1);

        while (slots[h] != 0) {
            h = (h + 1) & (nslots - 1);
        }
        slots[h] = (uint32_t)s + 1;
    }
    ut_free(b->sslots);
    b->sslots = slots;
    b->smask = nslots - 1;
    return UT_OK;
}

/* Make room for one more state in every per-state array. */
static int
states_grow(struct mk_build *b)
{
    size_t ncap = b->scap == 0 ? 256 : b->scap * 2;
    double **arrays[] = {&b->start, &b->conv, &b->nulls, &b->value};
    void *p;

    if (b->nstates < b->scap) {
        return UT_OK;
    }
    if (ncap >= UINT32_MAX / 4) {
        return UT_ELIMIT;
    }
    p = ut_realloc(b->tup, ncap * 4 * sizeof(*b->tup));
    if (p == NULL) {
        return UT_ENOMEM;
    }
    b->tup = p;
    for (size_t i = 0; i < UT_ARRAY_LEN(arrays); i++) {
        p = ut_realloc(*arrays[i], ncap * sizeof(double));
        if (p == NULL) {
            return UT_ENOMEM; /* arrays grown so far keep their data */
        }
        *arrays[i] = p;
    }
    b->scap = ncap;
    return UT_OK;
}

/* The id of window w (4 ids, padded), interning it with zero weights if new. */
static int
state_intern(struct mk_build *b, const uint32_t *w, uint32_t *id)
{
    size_t h;
    int err;

    if ((b->nstates + 1) * 2 > b->smask + 1 || b->sslots == NULL) {
        err = states_rehash(b);
        if (err != UT_OK) {
            return err;
        }
    }
    for (h = window_hash(w) & b->smask; b->sslots[h] != 0; h = (h + 1) & b->smask) {
        const uint32_t *t = b->tup + 4 * (size_t)(b->sslots[h] - 1);

        if (t[0] == w[0] && t[1] == w[1] && t[2] == w[2] && t[3] == w[3]) {
            *id = b->sslots[h] - 1;
            return UT_OK;
        }
    }
    err = states_grow(b);
    if (err != UT_OK) {
        return err;
    }
    memcpy(b->tup + 4 * b->nstates, w, 4 * sizeof(*w));
    b->start[b->nstates] = b->conv[b->nstates] = 0;
    b->nulls[b->nstates] = b->value[b->nstates] = 0;
    b->sslots[h] = (uint32_t)b->nstates + 1;
    *id = (uint32_t)b->nstates++;
    return UT_OK;
}

/* Double the transition slot table (or create it) and reinsert every key. */
static int
edges_rehash(struct mk_build *b)
{
    size_t nslots = b->ekeys == NULL ? 1024 : (b->emask + 1) * 2;
    uint64_t *keys = ut_malloc(nslots * sizeof(*keys));
    uint32_t *idx = ut_malloc(nslots * sizeof(*idx));

    if (keys == NULL || idx == NULL) {
        ut_free(keys);
        ut_free(idx);
        return UT_ENOMEM;
    }
    memset(keys, 0xff, nslots * sizeof(*keys));
    for (size_t e = 0; e < b->nedges; e++) {
        uint64_t key = (uint64_t)b->edges[e].from << 32 | b->edges[e].to;
        size_t h = ut_hash_u64(key) & (nslots - 1);

        while (keys[h] != MK_EDGE_EMPTY) {
            h = (h + 1) & (nslots - 1);
        }
        keys[h] = key;
        idx[h] = (uint32_t)e;
    }
    ut_free(b->ekeys);
    ut_free(b->eidx);
    b->ekeys = keys;
    b->eidx = idx;
    b->emask = nslots - 1;
    return UT_OK;
}

/* Add w to the transition from -> to. */
static int
edge_add(struct mk_build *b, uint32_t from, uint32_t to, double w)
{
    uint64_t key = (uint64_t)from << 32 | to;
    size_t h;

    if ((b->nedges + 1) * 2 > b->emask + 1 || b->ekeys == NULL) {
        int err = edges_rehash(b);

        if (err != UT_OK) {
            return err;
        }
    }
    for (h = ut_hash_u64(key) & b->emask; b->ekeys[h] != MK_EDGE_EMPTY; h = (h + 1) & b->emask) {
        if (b->ekeys[h] == key) {
            b->edges[b->eidx[h]].w += w;
            return UT_OK;
        }
    }
    if (b->nedges >= UINT32_MAX - 1) {
        return UT_ELIMIT;
    }
    if (ut_grow((void **)&b->edges, &b->ecap, b->nedges + 1, sizeof(*b->edges)) != UT_OK) {
        return UT_ENOMEM;
    }
    b->edges[b->nedges] = (struct ut__mk_edge){from, to, w};
    b->ekeys[h] = key;
    b->eidx[h] = (uint32_t)b->nedges++;
    return UT_OK;
}

/* Walk one journey's states: weight w on every transition, absorptions at the end. */
static int
build_journey(struct mk_build *b, const struct ut_touch *t, uint32_t len, double w, double conv,
              double nulls, double value)
{
    uint32_t wl = len < b->k ? len : b->k;
    uint32_t nwin = len - wl + 1;
    uint32_t prev = MK_NONE, s;
    uint32_t win[4];

    for (uint32_t i = 0; i < nwin; i++) {
        int err;

        for (uint32_t q = 0; q < 4; q++) {
            win[q] = q < wl ? t[i + q].channel : MK_PAD;
        }
        err = state_intern(b, win, &s);
        if (err == UT_OK && s != prev && prev != MK_NONE) {
            err = edge_add(b, prev, s, w);
        }
        if (err != UT_OK) {
            return err;
        }
        if (prev == MK_NONE) {
            b->start[s] += w;
        }
        prev = s; /* consecutive identical states collapse: s == prev adds nothing */
    }
    if (NEVER(prev == MK_NONE)) {
        return UT_EINTERNAL; /* callers pass len >= 1, so there is one window at least */
    }
    b->conv[prev] += conv;
    b->total_conv += conv;
    b->nulls[prev] += nulls;
    b->value[prev] += value;
    return UT_OK;
}

/* Build the chain from every journey with touches and a positive weight. */
static int
build_all(const struct ut_journeys *j, const struct ut_model_opts *o, struct mk_build *b)
{
    b->k = o->order;
    for (size_t i = 0; i < j->njs; i++) {
        const struct ut__journey *jr = &j->js[i];
        double nulls = o->no_null ? 0 : jr->nulls;
        int err;

        if (jr->len == 0 || !(jr->conv + nulls > 0) || (o->no_null && !(jr->conv > 0))) {
            continue;
        }
        err = build_journey(b, ut__journey_touches(j, jr), jr->len, jr->conv + nulls, jr->conv,
                            nulls, jr->value);
        if (err != UT_OK) {
            return err;
        }
    }
    return UT_OK;
}

/* ---- removal effects ---------------------------------------------------------- */

/* The distinct channels of window t into ch; returns how many. */
static unsigned
window_channels(const uint32_t *t, uint32_t *ch)
{
    unsigned n = 0;

    for (unsigned q = 0; q < 4 && t[q] != MK_PAD; q++) {
        unsigned p = 0;

        while (p < n && ch[p] != t[q]) {
            p++;
        }
        if (p == n) {
            ch[n++] = t[q];
        }
    }
    return n;
}

/* clist/cptr: for each channel, the states whose window contains it (once each). */
static int
channel_index(struct mk_run *r, size_t nch)
{
    const struct mk_build *b = &r->b;
    size_t *cur = ut_calloc(nch + 1, sizeof(*cur));
    uint32_t ch[4];
    int err = UT_ENOMEM;

    r->cptr = ut_calloc(nch + 1, sizeof(*r->cptr));
    if (r->cptr == NULL || cur == NULL) {
        goto out;
    }
    for (size_t s = 0; s < b->nstates; s++) {
        for (unsigned q = window_channels(b->tup + 4 * s, ch); q-- > 0;) {
            r->cptr[ch[q] + 1]++;
        }
    }
    for (size_t c = 0; c < nch; c++) {
        r->cptr[c + 1] += r->cptr[c];
        cur[c] = r->cptr[c];
    }
    r->clist = ut_calloc(r->cptr[nch], sizeof(*r->clist));
    if (r->clist == NULL) {
        goto out;
    }
    for (size_t s = 0; s < b->nstates; s++) {
        for (unsigned q = window_channels(b->tup + 4 * s, ch); q-- > 0;) {
            r->clist[cur[ch[q]]++] = (uint32_t)s;
        }
    }
    err = UT_OK;
out:
    ut_free(cur);
    return err;
}

/*
 * The visits lost when channel c's states (flagged in removed) stop, into xc.
 * When the full chain needed the dense method and c has few states, its
 * factorisation is reused (made once, on first use).
 */
static int
solve_lost(struct mk_run *r, uint32_t c, double floor)
{
    size_t nd = r->cptr[c + 1] - r->cptr[c];

    if (r->method == UT__MK_DENSE && nd * 6 <= r->chain.n) {
        if (r->lu == NULL) {
            int err = ut__mk_lu_new(&r->chain, &r->lu);

            if (err != UT_OK) {
                return err;
            }
        }
        return ut__mk_lu_solve_removed(r->lu, &r->chain, r->removed, r->clist + r->cptr[c], nd,
                                       r->rhs, r->xc);
    }
    return ut__mk_solve(&r->chain, r->removed, r->rhs, floor, r->method, r->xc, NULL);
}

/*
 * Removal effect and value effect of channel c. Rather than solving the chain
 * without c and subtracting (which cancels for small channels), solve for the
 * visits it loses, d = x - x^c >= 0: d_t = sum_{s kept} P(s,t) d_s +
 * sum_{s removed} P(s,t) x_s on the kept states. The conversions lost are
 * those of the removed states plus sum_t d_t P(t -> conversion), all >= 0.
 */
static int
remove_channel(struct mk_run *r, uint32_t c, double pfull)
{
    const struct ut__mk_chain *ch = &r->chain;
    double direct = 0, dp, dv = 0;
    int flow = 0, err = UT_OK;

    for (size_t k = r->cptr[c]; k < r->cptr[c + 1]; k++) {
        uint32_t s = r->clist[k];

        r->removed[s] = 1;
        direct += r->x[s] * ch->conv_p[s];
        dv += r->x[s] * ch->conv_p[s] * r->mu[s];
    }
    for (size_t t = 0; t < ch->n; t++) {
        r->rhs[t] = 0;
        for (size_t e = ch->in_ptr[t]; !r->removed[t] && e < ch->in_ptr[t + 1]; e++) {
            if (r->removed[ch->in_src[e]]) {
                r->rhs[t] += ch->in_p[e] * r->x[ch->in_src[e]];
                flow = 1;
            }
        }
    }
    memset(r->xc, 0, ch->n * sizeof(*r->xc));
    if (flow) {
        /* lost mass below 1e-3 of P is measured against that floor, not itself */
        err = solve_lost(r, c, fmax(direct, 1e-3 * pfull));
    }
    dp = direct;
    for (size_t s = 0; s < ch->n; s++) {
        dp += r->xc[s] * ch->conv_p[s];
        dv += r->xc[s] * ch->conv_p[s] * r->mu[s];
    }
    r->re[c] = dp / pfull;
    r->rv[c] = dv;
    for (size_t k = r->cptr[c]; k < r->cptr[c + 1]; k++) {
        r->removed[r->clist[k]] = 0;
    }
    return err;
}

/* Per-state scratch of the removal solves. */
static int
alloc_state_arrays(struct mk_run *r, size_t n)
{
    r->x = ut_calloc(n, sizeof(*r->x));
    r->xc = ut_calloc(n, sizeof(*r->xc));
    r->rhs = ut_calloc(n, sizeof(*r->rhs));
    r->mu = ut_calloc(n, sizeof(*r->mu));
    r->removed = ut_calloc(n, 1);
    if (r->x == NULL || r->xc == NULL || r->rhs == NULL || r->mu == NULL || r->removed == NULL) {
        return UT_ENOMEM;
    }
    return UT_OK;
}

/* Solve the full chain, then once per channel that has states. */
static int
removal_effects(struct mk_run *r, size_t nch, struct ut_diag *diag)
{
    const struct mk_build *b = &r->b;
    size_t n = b->nstates;
    double pfull = 0;
    int err;

    err = ut__mk_chain_init(&r->chain, n, b->start, b->conv, b->nulls, b->edges, b->nedges);
    if (err == UT_OK) {
        err = alloc_state_arrays(r, n);
    }
    if (err == UT_OK) {
        err = ut__mk_solve(&r->chain, NULL, NULL, 0, UT__MK_AUTO, r->x, &r->method);
    }
    for (size_t s = 0; err == UT_OK && s < n; s++) {
        pfull += r->x[s] * r->chain.conv_p[s];
        r->mu[s] = b->conv[s] > 0 ? b->value[s] / b->conv[s] : 0;
    }
    if (err == UT_OK && pfull > 0) {
        err = channel_index(r, nch);
        for (uint32_t c = 0; err == UT_OK && c < nch; c++) {
            if (r->cptr[c + 1] > r->cptr[c]) {
                err = remove_channel(r, c, pfull);
            }
        }
    }
    if (err == UT_ELIMIT) {
        ut_diag_set(diag, "markov chain of %zu states did not converge", n);
    }
    return err;
}

/* ---- credit ------------------------------------------------------------------- */

/* Fallback: split each journey's conversions (what = 0) or value (1) over its touches. */
static void
credit_even(const struct ut_journeys *j, int what, double *out)
{
    for (size_t i = 0; i < j->njs; i++) {
        const struct ut__journey *jr = &j->js[i];
        const struct ut_touch *t = ut__journey_touches(j, jr);
        double share;

        if (jr->len == 0) {
            continue;
        }
        share = (what == 0 ? jr->conv : jr->value) / jr->len;
        for (uint32_t k = 0; k < jr->len; k++) {
            out[t[k].channel] += share;
        }
    }
}

/* Scale weights w (n) to total into out; 0 if the weights cannot be scaled. */
static int
credit_scale(const double *w, size_t n, double total, double *out)
{
    double sum = 0;

    for (size_t c = 0; c < n; c++) {
        sum += w[c];
    }
    if (!(sum != 0) || !isfinite(sum)) {
        return 0;
    }
    for (size_t c = 0; c < n; c++) {
        out[c] = w[c] / sum * total;
    }
    return 1;
}

/* Turn effects into credit conserving the totals of the journeys with touches. */
static void
credit(const struct ut_journeys *j, struct mk_run *r, size_t nch, double *conv, double *value)
{
    double tconv = 0, tvalue = 0;

    for (size_t i = 0; i < j->njs; i++) {
        if (j->js[i].len > 0) {
            tconv += j->js[i].conv;
            tvalue += j->js[i].value;
        }
    }
    if (tconv != 0 && !credit_scale(r->re, nch, tconv, r->cc)) {
        credit_even(j, 0, r->cc);
    }
    if (tvalue != 0 && !credit_scale(r->rv, nch, tvalue, r->cv) &&
        !credit_scale(r->cc, nch, tvalue, r->cv)) {
        credit_even(j, 1, r->cv);
    }
    for (size_t c = 0; c < nch; c++) {
        conv[c] += r->cc[c];
        value[c] += r->cv[c];
    }
}

static int
markov_attribute(const struct ut_journeys *j, const struct ut_model_opts *o, double *conv,
                 double *value, struct ut_diag *diag)
{
    size_t nch = j->channels.count;
    struct mk_run r;
    int err;

    memset(&r, 0, sizeof(r));
    r.re = ut_calloc(nch, sizeof(*r.re));
    r.rv = ut_calloc(nch, sizeof(*r.rv));
    r.cc = ut_calloc(nch, sizeof(*r.cc));
    r.cv = ut_calloc(nch, sizeof(*r.cv));
    if (r.re == NULL || r.rv == NULL || r.cc == NULL || r.cv == NULL) {
        err = UT_ENOMEM;
        goto out;
    }
    err = build_all(j, o, &r.b);
    if (err == UT_ELIMIT) {
        ut_diag_set(diag, "too many markov states or transitions");
    }
    if (err == UT_OK && r.b.total_conv > 0) {
        err = removal_effects(&r, nch, diag);
    }
    if (err == UT_OK) {
        credit(j, &r, nch, conv, value);
    }
out:
    mk_run_release(&r);
    return err;
}

const struct ut__model ut__model_markov = {
    {"markov", UT_MODEL_DATA_DRIVEN, "exact absorbing Markov chain removal effect"},
    markov_attribute,
};
