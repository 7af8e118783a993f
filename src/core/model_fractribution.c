/*
 * core/model_fractribution.c - google/fractribution's path counterfactual.
 * Paths are transformed (exposure, unique, first, frequency), identical ones
 * aggregated, and p(path) = conversions / (conversions + nulls) of that exact
 * path. Position j of a converting path earns max(0, p(path) - p(path without
 * position j)); shares are normalised, all zero falls back to last touch.
 * Distinct paths live in an open-addressing table over an arena of uint32
 * tokens; deleted-position paths are hashed from prefix hashes and compared in
 * place, never built. Long event-level paths make tens of millions of such
 * lookups that almost all miss, so a Bloom filter over the stored paths, small
 * enough to stay in cache, answers most of them and the rest are prefetched as
 * a batch per path; slots carry 32 bits of hash so a probe rarely leaves the
 * slot array. Aggregation works in batches of journeys whose slots and tokens
 * are prefetched before they are looked up, in journey order (sums are added
 * in the same order as one journey at a time). Pure: no I/O, no state kept
 * between calls.
 */
#include "util/setup.h"

#include <string.h>

#include "core/model.h"
#include "util/alloc.h"
#include "util/hash.h"

/*
 * Polynomial hash H(s) = sum f(s_i) B^(L-1-i) mod 2^64, so that deleting
 * position j gives H(s) + (P_j - P_(j+1)) B^(L-1-j) from the prefix hashes P.
 */
#define FR_BASE 0x9e3779b97f4a7c15ULL
#define FR_TOK_SEED 0x632be59bd9b4e019ULL
#define FR_LEN_MIX 0xd6e8feb86659fd93ULL
#define FR_MIN_SLOTS 1024u
#define FR_SMALL 4u      /* frequency: counts up to this find their token by direct index */
#define FR_BLOOM_BITS 8u /* Bloom filter bits per distinct path (rounded up to a power of two) */
#define FR_BLOOM_MUL 0x9e6c63d0676a9a99ULL /* mixes the polynomial hash for the filter */
#define FR_BLOOM_MAX_LG 20u                /* at most 2^20 filter words (8 MiB) */
#define FR_BATCH 16u /* journeys transformed and hashed before their paths are looked up */

/* One distinct transformed path and what the journeys along it carry. */
struct fr_path {
    uint64_t hash; /* fr_finish() of the token sequence */
    uint64_t raw;  /* the polynomial hash before fr_finish() (keys the Bloom filter) */
    size_t off;    /* first token in the arena */
    uint32_t len;  /* tokens */
    double conv, nulls, value;
};

struct fr_table {
    uint64_t *slots;      /* hash >> 32 << 32 | path index + 1, 0 = empty; load kept <= 1/2 */
    size_t mask;          /* slots - 1 (power of two) */
    uint64_t *bloom;      /* credit phase: two bits per path, see fr_bloom_build() */
    unsigned bloom_shift; /* 64 - log2(filter words) */
    struct fr_path *paths;
    size_t npaths, paths_cap;
    uint32_t *arena; /* tokens of every path, back to back */
    size_t arena_len, arena_cap;
};

/* A journey of the current batch: its transformed path is bseq[off .. off + n), hash h. */
struct fr_pending {
    const struct ut__journey *jr;
    size_t off;
    uint32_t n;
    uint64_t h, raw; /* fr_finish()ed and polynomial hashes */
};

struct fr_ctx {
    const struct ut_journeys *j;
    enum ut_transform tf;
    struct fr_table tab;
    uint32_t *bseq; /* transformed tokens of the journeys of the current batch */
    size_t bseq_cap;
    size_t *stamp;          /* per channel: journey index + 1 that last saw it */
    uint32_t *count;        /* per channel: its touches in the current journey */
    struct ut_u64map pairs; /* frequency: channel << 32 | count -> token, counts > FR_SMALL */
    uint32_t *small;    /* frequency: token + 1 of (ch, n <= FR_SMALL) at ch * FR_SMALL + n - 1 */
    uint32_t *tok_chan; /* frequency: token -> channel */
    size_t ntok, tok_cap;
    uint64_t *pre;   /* prefix hashes of the path being credited (max length + 1) */
    uint64_t *pw;    /* FR_BASE^k for k = 0 .. max length */
    uint64_t *hk;    /* hash of the path being credited without position k */
    uint32_t *probe; /* positions whose deletion may be in the table */
    double *qprob;   /* p(path without position k), 0 when no journey has it */
    double *share;   /* marginal contribution per position */
};

static inline uint64_t
fr_tok(uint32_t t)
{
    return ut_hash_u64((uint64_t)t + FR_TOK_SEED);
}

static inline uint64_t
fr_finish(uint64_t h, uint32_t len)
{
    return ut_hash_u64(h + (uint64_t)len * FR_LEN_MIX);
}

static inline double
fr_prob(const struct fr_path *p)
{
    double n = p->conv + p->nulls;

    return n > 0 ? p->conv / n : 0.0;
}

/* ---- the path table ------------------------------------------------------------ */

static inline uint64_t
fr_slot(uint64_t h, size_t idx)
{
    return (h >> 32 << 32) | (uint64_t)(idx + 1);
}

static inline int
fr_slot_tag_eq(uint64_t slot, uint64_t h)
{
    return (slot >> 32) == (h >> 32);
}

static void
fr_table_release(struct fr_table *t)
{
    ut_free(t->slots);
    ut_free(t->bloom);
    ut_free(t->paths);
    ut_free(t->arena);
    memset(t, 0, sizeof(*t));
}

/* Double the slot array (or create it) and re-place every path by its stored hash. */
static int
fr_table_rehash(struct fr_table *t)
{
    size_t nslots = t->slots != NULL ? (t->mask + 1) * 2 : FR_MIN_SLOTS;
    uint64_t *slots;

    if (nslots == 0 || nslots > SIZE_MAX / sizeof(*slots)) {
        return UT_ENOMEM;
    }
    slots = ut_calloc(nslots, sizeof(*slots));
    if (slots == NULL) {
        return UT_ENOMEM;
    }
    for (size_t i = 0; i < t->npaths; i++) {
        size_t s = t->paths[i].hash & (nslots - 1);

        while (slots[s] != 0) {
            s = (s + 1) & (nslots - 1);
        }
        slots[s] = fr_slot(t->paths[i].hash, i);
    }
    ut_free(t->slots);
    t->slots = slots;
    t->mask = nslots - 1;
    return UT_OK;
}

/*
 * Does path p hold s[0..len) with position skip left out (skip >= len: the
 * whole of s)?
 */
static inline int
fr_same(const struct fr_table *t, const struct fr_path *p, uint64_t h, const uint32_t *s,
        uint32_t len, uint32_t skip)
{
    const uint32_t *e = t->arena + p->off;

    if (p->hash != h) {
        return 0;
    }
    if (skip >= len) {
        return p->len == len && memcmp(e, s, (size_t)len * sizeof(*s)) == 0;
    }
    return p->len + 1 == len && memcmp(e, s, (size_t)skip * sizeof(*s)) == 0 &&
           memcmp(e + skip, s + skip + 1, (size_t)(len - 1 - skip) * sizeof(*s)) == 0;
}

/* The path equal to s[0..len) without position skip (see fr_same), or NULL. */
static const struct fr_path *
fr_table_find(const struct fr_table *t, uint64_t h, const uint32_t *s, uint32_t len, uint32_t skip)
{
    size_t i = h & t->mask;

    while (t->slots[i] != 0) {
        if (fr_slot_tag_eq(t->slots[i], h)) {
            const struct fr_path *p = &t->paths[(uint32_t)t->slots[i] - 1];

            if (fr_same(t, p, h, s, len, skip)) {
                return p;
            }
        }
        i = (i + 1) & t->mask;
    }
    return NULL;
}

/* Append s[0..len) as a new path with hash h, its sums at zero; slot i is empty. */
static int
fr_table_insert(struct fr_table *t, size_t i, uint64_t h, uint64_t raw, const uint32_t *s,
                uint32_t len, struct fr_path **out)
{
    struct fr_path *p;
    size_t need;

    if (t->npaths >= UINT32_MAX - 1) {
        return UT_ELIMIT;
    }
    if (ut_size_add(t->arena_len, len, &need) != 0) {
        return UT_ENOMEM;
    }
    if (ut_grow((void **)&t->arena, &t->arena_cap, need, sizeof(*t->arena)) != UT_OK ||
        ut_grow((void **)&t->paths, &t->paths_cap, t->npaths + 1, sizeof(*t->paths)) != UT_OK) {
        return UT_ENOMEM;
    }
    memcpy(t->arena + t->arena_len, s, (size_t)len * sizeof(*s));
    p = &t->paths[t->npaths++];
    p->hash = h;
    p->raw = raw;
    p->off = t->arena_len;
    p->len = len;
    p->conv = p->nulls = p->value = 0;
    t->arena_len = need;
    t->slots[i] = fr_slot(h, t->npaths - 1);
    *out = p;
    return UT_OK;
}

/* Find s[0..len) (hash h) or add it; *out gets its entry. */
static int
fr_table_upsert(struct fr_table *t, uint64_t h, uint64_t raw, const uint32_t *s, uint32_t len,
                struct fr_path **out)
{
    size_t i;

    if (t->slots == NULL || (t->npaths + 1) * 2 > t->mask + 1) {
        int err = fr_table_rehash(t);

        if (err != UT_OK) {
            return err;
        }
    }
    i = h & t->mask;
    while (t->slots[i] != 0) {
        if (fr_slot_tag_eq(t->slots[i], h)) {
            struct fr_path *p = &t->paths[(uint32_t)t->slots[i] - 1];

            if (fr_same(t, p, h, s, len, UINT32_MAX)) {
                *out = p;
                return UT_OK;
            }
        }
        i = (i + 1) & t->mask;
    }
    return fr_table_insert(t, i, h, raw, s, len, out);
}

/*
 * The Bloom filter over the distinct paths: a word chosen by the top bits of
 * the mixed polynomial hash (before fr_finish, so a deletion is tested
 * without finishing its hash) and two bits in it from the middle bits, at
 * least FR_BLOOM_BITS bits per path: a miss costs one load from a table small
 * enough to stay in cache, and most deletions miss.
 */
static inline uint64_t
fr_bloom_bits(uint64_t raw, uint64_t *word, unsigned shift)
{
    uint64_t w = raw * FR_BLOOM_MUL;

    *word = w >> shift;
    return ((uint64_t)1 << ((w >> 32) & 63)) | ((uint64_t)1 << ((w >> 38) & 63));
}

static int
fr_bloom_build(struct fr_table *t)
{
    size_t nwords = 8, want;
    unsigned lg = 3;

    if (ut_size_mul(t->npaths, FR_BLOOM_BITS, &want) != 0) {
        return UT_ENOMEM;
    }
    while (nwords * 64 < want && lg < FR_BLOOM_MAX_LG) {
        nwords *= 2;
        lg++;
    }
    t->bloom = ut_calloc(nwords, sizeof(*t->bloom));
    if (t->bloom == NULL) {
        return UT_ENOMEM;
    }
    t->bloom_shift = 64 - lg;
    for (size_t i = 0; i < t->npaths; i++) {
        uint64_t word, bits = fr_bloom_bits(t->paths[i].raw, &word, t->bloom_shift);

        t->bloom[word] |= bits;
    }
    return UT_OK;
}

/* 0 when no stored path has polynomial hash raw; 1 when one may. */
static inline int
fr_bloom_may_hold(const struct fr_table *t, uint64_t raw)
{
    uint64_t word, bits = fr_bloom_bits(raw, &word, t->bloom_shift);

    return (t->bloom[word] & bits) == bits;
}

/* ---- setup ------------------------------------------------------------------- */

static void
fr_ctx_release(struct fr_ctx *c)
{
    fr_table_release(&c->tab);
    ut_u64map_release(&c->pairs);
    ut_free(c->bseq);
    ut_free(c->stamp);
    ut_free(c->count);
    ut_free(c->tok_chan);
    ut_free(c->small);
    ut_free(c->pre);
    ut_free(c->pw);
    ut_free(c->hk);
    ut_free(c->probe);
    ut_free(c->qprob);
    ut_free(c->share);
    memset(c, 0, sizeof(*c));
}

/* Allocate the scratch arrays, sized by the longest journey and the channel count. */
static int
fr_ctx_init(struct fr_ctx *c, const struct ut_journeys *j, enum ut_transform tf)
{
    size_t maxlen = 0, nch = j->channels.count;

    memset(c, 0, sizeof(*c));
    ut_u64map_init(&c->pairs);
    c->j = j;
    c->tf = tf;
    for (size_t i = 0; i < j->njs; i++) {
        maxlen = j->js[i].len > maxlen ? j->js[i].len : maxlen;
    }
    c->pre = ut_calloc(maxlen + 1, sizeof(*c->pre));
    c->pw = ut_calloc(maxlen + 1, sizeof(*c->pw));
    c->share = ut_calloc(maxlen, sizeof(*c->share));
    c->hk = ut_calloc(maxlen, sizeof(*c->hk));
    c->probe = ut_calloc(maxlen, sizeof(*c->probe));
    c->qprob = ut_calloc(maxlen, sizeof(*c->qprob));
    if (c->pre == NULL || c->pw == NULL || c->share == NULL || c->hk == NULL || c->probe == NULL ||
        c->qprob == NULL) {
        return UT_ENOMEM;
    }
    if (tf == UT_TRANSFORM_FIRST || tf == UT_TRANSFORM_FREQUENCY) {
        c->stamp = ut_calloc(nch, sizeof(*c->stamp));
        c->count = ut_calloc(nch, sizeof(*c->count));
        if (c->stamp == NULL || c->count == NULL) {
            return UT_ENOMEM;
        }
    }
    if (tf == UT_TRANSFORM_FREQUENCY) {
        c->small = ut_calloc(nch, FR_SMALL * sizeof(*c->small));
        if (c->small == NULL) {
            return UT_ENOMEM;
        }
    }
    c->pw[0] = 1;
    for (size_t k = 1; k <= maxlen; k++) {
        c->pw[k] = c->pw[k - 1] * FR_BASE;
    }
    return UT_OK;
}

/* ---- transforms ----------------------------------------------------------------- */

/* The token of (channel ch, count n >= 1), created on first sight. */
static int
fr_token(struct fr_ctx *c, uint32_t ch, uint32_t n, uint32_t *tok)
{
    uint32_t *small = n <= FR_SMALL ? &c->small[(size_t)ch * FR_SMALL + (n - 1)] : NULL;
    uint64_t *v = NULL;
    int inserted = 1, err;

    if (small != NULL && *small != 0) {
        *tok = *small - 1;
        return UT_OK;
    }
    if (c->ntok >= UINT32_MAX - 1) {
        return UT_ELIMIT;
    }
    err = ut_grow((void **)&c->tok_chan, &c->tok_cap, c->ntok + 1, sizeof(*c->tok_chan));
    if (err == UT_OK && small == NULL) {
        err = ut_u64map_upsert(&c->pairs, (uint64_t)ch << 32 | n, c->ntok, &v, &inserted);
    }
    if (err != UT_OK) {
        return err;
    }
    if (!inserted) {
        *tok = (uint32_t)*v;
        return UT_OK;
    }
    if (small != NULL) {
        *small = (uint32_t)c->ntok + 1;
    }
    c->tok_chan[c->ntok] = ch;
    *tok = (uint32_t)c->ntok++;
    return UT_OK;
}

/* Frequency: replace each first-occurrence channel of seq by its (channel, count) token. */
static int
fr_tag(struct fr_ctx *c, uint32_t *seq, uint32_t n)
{
    for (uint32_t k = 0; k < n; k++) {
        int err = fr_token(c, seq[k], c->count[seq[k]], &seq[k]);

        if (err != UT_OK) {
            return err;
        }
    }
    return UT_OK;
}

/* Keep the first occurrence of each channel of journey ji, counting every touch. */
static uint32_t
fr_first(struct fr_ctx *c, size_t ji, const struct ut_touch *t, uint32_t len, uint32_t *seq)
{
    uint32_t n = 0;

    for (uint32_t k = 0; k < len; k++) {
        uint32_t ch = t[k].channel;

        if (c->stamp[ch] != ji + 1) {
            c->stamp[ch] = ji + 1;
            c->count[ch] = 0;
            seq[n++] = ch;
        }
        c->count[ch]++;
    }
    return n;
}

/* Write the transformed path of journey ji into seq (room for its touches), its length into *n. */
static int
fr_transform(struct fr_ctx *c, size_t ji, uint32_t *seq, uint32_t *n)
{
    const struct ut__journey *jr = &c->j->js[ji];
    const struct ut_touch *t = ut__journey_touches(c->j, jr);
    uint32_t len = 0;

    if (c->tf == UT_TRANSFORM_UNIQUE) {
        for (uint32_t k = 0; k < jr->len; k++) {
            seq[len++] = t[k].channel;
        }
    } else if (c->tf == UT_TRANSFORM_EXPOSURE) {
        for (uint32_t k = 0; k < jr->len; k++) {
            if (len == 0 || seq[len - 1] != t[k].channel) {
                seq[len++] = t[k].channel;
            }
        }
    } else {
        len = fr_first(c, ji, t, jr->len, seq);
        if (c->tf == UT_TRANSFORM_FREQUENCY) {
            int err = fr_tag(c, seq, len);

            if (err != UT_OK) {
                return err;
            }
        }
    }
    *n = len;
    return UT_OK;
}

/*
 * Transform and hash the non-empty journeys from *next on, up to FR_BATCH of
 * them, into pend (*np gets the count), prefetching the slot each will probe.
 */
static int
fr_batch_fill(struct fr_ctx *c, size_t *next, struct fr_pending *pend, size_t *np)
{
    const struct ut_journeys *j = c->j;
    size_t i = *next, used = 0, n = 0;
    int err = UT_OK;

    for (; i < j->njs && n < FR_BATCH; i++) {
        const struct ut__journey *jr = &j->js[i];
        uint64_t h = 0;
        uint32_t len = 0;

        ut__journey_prefetch(j, i + UT__JOURNEY_PREFETCH);
        if (jr->len == 0) {
            continue;
        }
        err = ut_grow((void **)&c->bseq, &c->bseq_cap, used + jr->len, sizeof(*c->bseq));
        if (err == UT_OK) {
            err = fr_transform(c, i, c->bseq + used, &len);
        }
        if (err != UT_OK) {
            break;
        }
        for (uint32_t k = 0; k < len; k++) {
            h = h * FR_BASE + fr_tok(c->bseq[used + k]);
        }
        pend[n].raw = h;
        h = fr_finish(h, len);
        if (c->tab.slots != NULL) {
            __builtin_prefetch(&c->tab.slots[h & c->tab.mask]);
        }
        pend[n].jr = jr;
        pend[n].off = used;
        pend[n].n = len;
        pend[n].h = h;
        n++;
        used += len;
    }
    *next = i;
    *np = n;
    return err;
}

/*
 * The slots of the batch were prefetched; where one holds a matching tag,
 * prefetch the tokens of its path, which the lookup will compare. The
 * iterations are independent, so their misses overlap.
 */
static void
fr_batch_peek(const struct fr_table *t, const struct fr_pending *pend, size_t np)
{
    if (t->slots == NULL) {
        return;
    }
    for (size_t k = 0; k < np; k++) {
        uint64_t slot = t->slots[pend[k].h & t->mask];

        if (slot != 0 && fr_slot_tag_eq(slot, pend[k].h)) {
            __builtin_prefetch(t->arena + t->paths[(uint32_t)slot - 1].off);
        }
    }
}

/*
 * Sum every non-empty journey into the entry of its transformed path, in
 * journey order; batches let the slot misses of FR_BATCH journeys overlap.
 */
static int
fr_aggregate(struct fr_ctx *c)
{
    struct fr_pending pend[FR_BATCH];
    size_t next = 0, np;

    while (next < c->j->njs) {
        int err = fr_batch_fill(c, &next, pend, &np);

        fr_batch_peek(&c->tab, pend, np);
        for (size_t k = 0; k < np && err == UT_OK; k++) {
            struct fr_path *p;

            err = fr_table_upsert(&c->tab, pend[k].h, pend[k].raw, c->bseq + pend[k].off, pend[k].n,
                                  &p);
            if (err == UT_OK) {
                p->conv += pend[k].jr->conv;
                p->nulls += pend[k].jr->nulls;
                p->value += pend[k].jr->value;
            }
        }
        if (err != UT_OK) {
            return err;
        }
    }
    return UT_OK;
}

/* ---- credit ------------------------------------------------------------------- */

/*
 * Into c->qprob[k], the probability of the stored path equal to p without
 * position k, or 0 when there is none (as fractribution counts it). The
 * deletions the Bloom filter lets through (a few percent on long event-level
 * paths) have their slots prefetched together before they are probed.
 */
static void
fr_neighbours(struct fr_ctx *c, const struct fr_path *p)
{
    const struct fr_table *t = &c->tab;
    const uint32_t *s = t->arena + p->off;
    uint32_t len = p->len, nprobe = 0;

    c->pre[0] = 0;
    for (uint32_t k = 0; k < len; k++) {
        c->pre[k + 1] = c->pre[k] * FR_BASE + fr_tok(s[k]);
    }
    for (uint32_t k = 0; k < len; k++) {
        uint64_t h = c->pre[len] + (c->pre[k] - c->pre[k + 1]) * c->pw[len - 1 - k];

        c->qprob[k] = 0.0;
        if (fr_bloom_may_hold(t, h)) {
            h = fr_finish(h, len - 1);
            __builtin_prefetch(&t->slots[h & t->mask]);
            c->hk[k] = h;
            c->probe[nprobe++] = k;
        }
    }
    for (uint32_t i = 0; i < nprobe; i++) {
        uint32_t k = c->probe[i];
        const struct fr_path *q = fr_table_find(t, c->hk[k], s, len, k);

        c->qprob[k] = q != NULL ? fr_prob(q) : 0.0;
    }
}

/*
 * Marginal contribution of each position of p into c->share; returns their
 * sum, or sets last touch to 1 and returns 1 when all are zero (always the
 * case when p's own probability is 0: no lookup is needed then).
 */
static double
fr_shares(struct fr_ctx *c, const struct fr_path *p)
{
    uint32_t len = p->len;
    double pp = fr_prob(p), sum = 0;

    if (pp > 0) {
        fr_neighbours(c, p);
        for (uint32_t k = 0; k < len; k++) {
            double d = pp - c->qprob[k];

            c->share[k] = d > 0 ? d : 0.0;
            sum += c->share[k];
        }
    }
    if (!(sum > 0)) {
        memset(c->share, 0, (size_t)len * sizeof(*c->share));
        c->share[len - 1] = 1;
        sum = 1;
    }
    return sum;
}

/* Split the conversions and value of every converting path by its shares. */
static void
fr_credit(struct fr_ctx *c, double *conv, double *value)
{
    for (size_t i = 0; i < c->tab.npaths; i++) {
        const struct fr_path *p = &c->tab.paths[i];
        const uint32_t *s = c->tab.arena + p->off;
        double sum;

        if (p->conv == 0 && p->value == 0) {
            continue;
        }
        if (p->len == 1) {
            c->share[0] = 1;
            sum = 1;
        } else {
            sum = fr_shares(c, p);
        }
        for (uint32_t k = 0; k < p->len; k++) {
            uint32_t ch = c->tf == UT_TRANSFORM_FREQUENCY ? c->tok_chan[s[k]] : s[k];
            double w = c->share[k] / sum;

            if (w > 0) {
                conv[ch] += p->conv * w;
                value[ch] += p->value * w;
            }
        }
    }
}

static int
fractribution_attribute(const struct ut_journeys *j, const struct ut_model_opts *o, double *conv,
                        double *value, struct ut_diag *diag)
{
    struct fr_ctx c;
    int err;

    (void)diag;
    err = fr_ctx_init(&c, j, o->transform);
    if (err == UT_OK) {
        err = fr_aggregate(&c);
    }
    if (err == UT_OK) {
        err = fr_bloom_build(&c.tab);
    }
    if (err == UT_OK) {
        fr_credit(&c, conv, value);
    }
    fr_ctx_release(&c);
    return err;
}

const struct ut__model ut__model_fractribution = {
    {"fractribution", UT_MODEL_DATA_DRIVEN, "path counterfactual (google/fractribution)"},
    fractribution_attribute,
};
