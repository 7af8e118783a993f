/*
 * bench/gen.c - deterministic generator of attribution inputs for benchmarks:
 * ChannelAttribution path files and touch / conversion exports of any size.
 * Output is streamed through a fixed buffer; the only state that grows is a
 * few bytes per person in events mode. Equal options and seed give equal
 * bytes. A program, not the library: it prints, exits and uses stdio.
 */
#include "util/setup.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/hash.h"

#define EX_USAGE 64
#define EX_SOFTWARE 70
#define EX_IOERR 74

#define GEN_MAX_CHANNELS 1000   /* names stay "ch1000"-short, ids fit 10 bits */
#define GEN_MAX_PATH 40         /* cap of path lengths in path files */
#define GEN_PATH_CONTINUE 0.697 /* geometric path length: mean 1 / (1 - 0.697) = 3.3 */

/* 2026-03-01T00:00:00Z in Unix milliseconds: day 20513 of the epoch. */
#define GEN_START_MS (UINT64_C(20513) * 86400 * 1000)
#define GEN_DAY_MS (UINT64_C(86400) * 1000)

/* Events mode: share of gaps that stay inside a session, and their mean. */
#define GEN_BURST_SHARE 0.35
#define GEN_BURST_MEAN_MS (4.0 * 60 * 1000)

static const char gen_usage[] =
    "usage: bench_gen paths --rows N [--channels C] [--seed S] [--out FILE]\n"
    "       bench_gen events --touches N --persons P [--channels C] [--conv-rate R]\n"
    "                        [--days D] [--seed S] --out-touches FILE --out-conversions FILE\n";

/* ---- random numbers: xoshiro256** seeded through splitmix64 ------------------ */

struct gen_rng {
    uint64_t s[4];
};

static uint64_t
rng_splitmix(uint64_t *x)
{
    uint64_t z;

    *x += 0x9e3779b97f4a7c15ULL;
    z = *x;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static void
rng_seed(struct gen_rng *r, uint64_t seed)
{
    for (size_t i = 0; i < 4; i++) {
        r->s[i] = rng_splitmix(&seed);
    }
}

static inline uint64_t
rng_rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static inline uint64_t
rng_next(struct gen_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rng_rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;

    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rng_rotl(s[3], 45);
    return result;
}

/* Uniform in [0, n) for n <= 2^32 (Lemire's multiply-shift, bias < 2^-32). */
static inline uint32_t
rng_below(struct gen_rng *r, uint32_t n)
{
    return (uint32_t)(((rng_next(r) >> 32) * n) >> 32);
}

/* Uniform in [0, 1). */
static inline double
rng_unit(struct gen_rng *r)
{
    return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

static inline int
rng_chance(struct gen_rng *r, double p)
{
    return rng_unit(r) < p;
}

/* Exponential with the given mean. */
static inline double
rng_exp(struct gen_rng *r, double mean)
{
    return -log1p(-rng_unit(r)) * mean;
}

/* Order value in cents: log-normal around 60.00 (Irwin-Hall normal), capped. */
static uint64_t
rng_order_cents(struct gen_rng *r)
{
    double n = (rng_unit(r) + rng_unit(r) + rng_unit(r) + rng_unit(r) - 2.0) * 1.7320508;
    double v = exp(4.1 + 0.7 * n) * 100.0;

    return v > 500000.0 ? 500000 : (uint64_t)v + 100;
}

/* ---- buffered output ---------------------------------------------------------- */

struct gen_out {
    FILE *fp;
    const char *path; /* for messages; "-" is stdout */
    size_t len;
    int err; /* errno of the first failed write, 0 if none */
    char buf[1 << 16];
};

static void
out_flush(struct gen_out *o)
{
    if (o->len != 0 && o->err == 0 && fwrite(o->buf, 1, o->len, o->fp) != o->len) {
        o->err = errno != 0 ? errno : EIO;
    }
    o->len = 0;
}

static inline void
out_mem(struct gen_out *o, const char *p, size_t n)
{
    if (UT_UNLIKELY(sizeof(o->buf) - o->len < n)) {
        out_flush(o);
    }
    memcpy(o->buf + o->len, p, n);
    o->len += n;
}

static inline void
out_str(struct gen_out *o, const char *s)
{
    out_mem(o, s, strlen(s));
}

static inline void
out_char(struct gen_out *o, char c)
{
    out_mem(o, &c, 1);
}

static const char gen_digits2[] = "00010203040506070809101112131415161718192021222324"
                                  "25262728293031323334353637383940414243444546474849"
                                  "50515253545556575859606162636465666768697071727374"
                                  "75767778798081828384858687888990919293949596979899";

/* Two decimal digits of v < 100 at p. */
static inline void
put2(char *p, uint64_t v)
{
    memcpy(p, gen_digits2 + 2 * v, 2);
}

/* Decimal digits of v, zero-padded to at least width (<= 20) digits. */
static void
out_uint(struct gen_out *o, uint64_t v, size_t width)
{
    char tmp[20];
    size_t n = 0;

    while (v >= 100) {
        put2(tmp + sizeof(tmp) - 2 - n, v % 100);
        v /= 100;
        n += 2;
    }
    if (v >= 10) {
        put2(tmp + sizeof(tmp) - 2 - n, v);
        n += 2;
    } else {
        tmp[sizeof(tmp) - 1 - n] = (char)('0' + v);
        n++;
    }
    while (n < width && n < sizeof(tmp)) {
        tmp[sizeof(tmp) - 1 - n] = '0';
        n++;
    }
    out_mem(o, tmp + sizeof(tmp) - n, n);
}

/* Cents as "12.34". */
static void
out_money(struct gen_out *o, uint64_t cents)
{
    out_uint(o, cents / 100, 1);
    out_char(o, '.');
    out_uint(o, cents % 100, 2);
}

enum gen_ts_style { GEN_TS_PLAIN, GEN_TS_FRAC, GEN_TS_OFFSET, GEN_TS_OFFSET_FRAC };

/* Civil date of a day count since 1970-01-01 (H. Hinnant's algorithm, days >= 0). */
static void
civil_from_days(uint64_t days, unsigned *y, unsigned *m, unsigned *d)
{
    uint64_t z = days + 719468;
    uint64_t era = z / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;

    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (unsigned)(era * 400) + yoe + (*m <= 2 ? 1 : 0);
}

/*
 * ISO-8601 instant: "2026-03-01T12:34:56Z", with ".123" milliseconds and/or
 * written in local time with "+02:00"; all styles name the same instant up to
 * the dropped milliseconds.
 */
static void
out_time(struct gen_out *o, uint64_t ms, enum gen_ts_style style)
{
    int offset = style == GEN_TS_OFFSET || style == GEN_TS_OFFSET_FRAC;
    uint64_t local = ms + (offset ? UINT64_C(7200000) : 0);
    uint64_t secs = local / 1000;
    uint64_t sod = secs % 86400;
    char t[32] = "0000-00-00T00:00:00";
    size_t n = 19;
    unsigned y, m, d;

    civil_from_days(secs / 86400, &y, &m, &d);
    put2(t, y / 100 % 100);
    put2(t + 2, y % 100);
    put2(t + 5, m);
    put2(t + 8, d);
    put2(t + 11, sod / 3600);
    put2(t + 14, sod / 60 % 60);
    put2(t + 17, sod % 60);
    if (style == GEN_TS_FRAC || style == GEN_TS_OFFSET_FRAC) {
        t[n] = '.';
        t[n + 1] = (char)('0' + local % 1000 / 100);
        put2(t + n + 2, local % 100);
        n += 4;
    }
    if (offset) {
        out_mem(o, t, n);
        out_mem(o, "+02:00", 6);
    } else {
        t[n++] = 'Z';
        out_mem(o, t, n);
    }
}

/* Most rows plain, about 10% with milliseconds, 7% with an offset. */
static enum gen_ts_style
rng_ts_style(struct gen_rng *r)
{
    uint32_t u = rng_below(r, 100);

    if (u < 83) {
        return GEN_TS_PLAIN;
    }
    if (u < 93) {
        return GEN_TS_FRAC;
    }
    return u < 98 ? GEN_TS_OFFSET : GEN_TS_OFFSET_FRAC;
}

/* ---- channels -------------------------------------------------------------------- */

/*
 * The first ten channels, in order; more are named ch11, ch12, ... weight (the
 * ten sum to 10000) is the share among touches in general, first_weight among
 * first touches of a person, lift the conversion propensity (per mille).
 * Names and UTM values hold no ',' or '"', so no field needs quoting.
 */
struct gen_channel_def {
    const char *name;
    const char *sources[3]; /* unused entries NULL */
    const char *medium;
    const char *campaigns[3]; /* unused entries NULL; "" = no campaign */
    uint32_t weight, first_weight, lift;
};

/* One channel per entry reads better than the one field per line clang-format wants. */
/* clang-format off */
static const struct gen_channel_def gen_known_channels[] = {
    {"Paid Search", {"google", "bing", NULL}, "cpc",
     {"brand_search", "generic_running_shoes", "competitor_terms"}, 2000, 2600, 90},
    {"Email", {"newsletter", "crm", NULL}, "email",
     {"spring_sale_2026", "welcome_series", "cart_reminder"}, 1400, 200, 110},
    {"Organic Social", {"instagram", "facebook", "tiktok"}, "social",
     {"", NULL, NULL}, 1000, 1200, 25},
    {"Direct", {"(direct)", NULL, NULL}, "(none)",
     {"", NULL, NULL}, 1200, 800, 80},
    {"Organic Search", {"google", "bing", "duckduckgo"}, "organic",
     {"", NULL, NULL}, 1400, 2000, 60},
    {"Paid Social", {"facebook", "instagram", "tiktok"}, "paid_social",
     {"prospecting_video", "retargeting_dpa", "lookalike_2pct"}, 1000, 1400, 40},
    {"Display", {"gdn", "criteo", NULL}, "display",
     {"retargeting_q1", "awareness_q1", NULL}, 700, 600, 15},
    {"Referral", {"blog.example.org", "news.example.com", "forum.example.net"}, "referral",
     {"", NULL, NULL}, 500, 500, 50},
    {"Affiliate", {"partnerize", "awin", NULL}, "affiliate",
     {"cashback", "coupon_sites", NULL}, 400, 400, 70},
    {"Video", {"youtube", NULL, NULL}, "video",
     {"brand_story_30s", "howto_series", NULL}, 400, 300, 20},
};
/* clang-format on */

struct gen_channel {
    const char *name;
    size_t name_len;
    const char *sources[3];
    size_t nsources;
    const char *medium;
    const char *campaigns[3];
    size_t ncampaigns;
    uint32_t lift;
};

struct gen_world {
    struct gen_channel *ch;
    size_t n;
    uint32_t *cum;       /* cumulative weight, general draw */
    uint32_t *cum_first; /* cumulative weight, first touch of a person */
    char (*names)[24];   /* storage of "chNN" names */
    int direct, email;   /* channel index, or -1 when C is too small */
};

static void
world_release(struct gen_world *w)
{
    UT_FREE_AND_NULL(w->ch);
    UT_FREE_AND_NULL(w->cum);
    UT_FREE_AND_NULL(w->cum_first);
    UT_FREE_AND_NULL(w->names);
}

static void
world_fill_known(struct gen_world *w, size_t i)
{
    const struct gen_channel_def *def = &gen_known_channels[i];
    struct gen_channel *c = &w->ch[i];

    c->name = def->name;
    c->medium = def->medium;
    c->lift = def->lift;
    for (size_t k = 0; k < 3; k++) {
        if (def->sources[k] != NULL) {
            c->sources[c->nsources++] = def->sources[k];
        }
        if (def->campaigns[k] != NULL) {
            c->campaigns[c->ncampaigns++] = def->campaigns[k];
        }
    }
    w->cum[i] = def->weight + (i > 0 ? w->cum[i - 1] : 0);
    w->cum_first[i] = def->first_weight + (i > 0 ? w->cum_first[i - 1] : 0);
}

/*
 * ch11 and later: a long tail of small partners, weights falling as 400 / (k - 8)
 * (the named ten weigh 10000 together), so even 1000 channels leave the named
 * ones most of the touches.
 */
static void
world_fill_extra(struct gen_world *w, size_t i)
{
    struct gen_channel *c = &w->ch[i];
    uint32_t weight = (uint32_t)(400 / (i + 1 - 8));

    (void)snprintf(w->names[i], sizeof(w->names[i]), "ch%zu", i + 1);
    c->name = w->names[i];
    c->sources[c->nsources++] = w->names[i];
    c->medium = "partner";
    c->campaigns[c->ncampaigns++] = "always_on";
    c->lift = 30;
    w->cum[i] = (weight > 0 ? weight : 1) + w->cum[i - 1];
    w->cum_first[i] = (weight > 0 ? weight : 1) + w->cum_first[i - 1];
}

static int
world_init(struct gen_world *w, size_t n)
{
    memset(w, 0, sizeof(*w));
    w->n = n;
    w->ch = ut_calloc(n, sizeof(*w->ch));
    w->cum = ut_calloc(n, sizeof(*w->cum));
    w->cum_first = ut_calloc(n, sizeof(*w->cum_first));
    w->names = ut_calloc(n, sizeof(*w->names));
    if (w->ch == NULL || w->cum == NULL || w->cum_first == NULL || w->names == NULL) {
        world_release(w);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (i < UT_ARRAY_LEN(gen_known_channels)) {
            world_fill_known(w, i);
        } else {
            world_fill_extra(w, i);
        }
        w->ch[i].name_len = strlen(w->ch[i].name);
    }
    w->direct = n > 3 ? 3 : -1;
    w->email = n > 1 ? 1 : -1;
    return 0;
}

/* Index drawn with probability proportional to its weight (binary search). */
static uint32_t
world_draw(struct gen_rng *r, const uint32_t *cum, size_t n)
{
    uint32_t x = rng_below(r, cum[n - 1]);
    size_t lo = 0, hi = n - 1;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cum[mid] > x) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    return (uint32_t)lo;
}

/* ---- paths mode ---------------------------------------------------------------- */

struct gen_opts {
    uint64_t rows, touches, persons, seed;
    uint64_t channels, days;
    double conv_rate;
    const char *out, *out_touches, *out_conversions;
};

/* Geometric length, mean ~3.3, 1..GEN_MAX_PATH. */
static size_t
path_length(struct gen_rng *r)
{
    size_t len = 1;

    while (len < GEN_MAX_PATH && rng_chance(r, GEN_PATH_CONTINUE)) {
        len++;
    }
    return len;
}

/* Next channel of a path: repeats ("Email > Email") and loops ("A > B > A") occur. */
static uint32_t
path_channel(struct gen_rng *r, const struct gen_world *w, const uint16_t *hist, size_t i)
{
    uint32_t u;

    if (i == 0) {
        return world_draw(r, w->cum_first, w->n);
    }
    u = rng_below(r, 100);
    if (u < 18) {
        return hist[i - 1];
    }
    if (u < 28 && i >= 2) {
        return hist[rng_below(r, (uint32_t)(i - 1))];
    }
    return world_draw(r, w->cum, w->n);
}

/* total_conversions, total_null, total_conversion_value of one path row. */
static void
path_outcome(struct gen_rng *r, const struct gen_world *w, const uint16_t *hist, size_t len,
             struct gen_out *o)
{
    double stay = 0.85; /* probability that no touch leads to a conversion */
    uint64_t conv = 0, nulls, cents = 0;
    uint32_t u = rng_below(r, 100);

    for (size_t i = 0; i < len; i++) {
        stay *= 1.0 - (double)w->ch[hist[i]].lift / 1000.0;
    }
    if (rng_chance(r, 1.0 - stay)) {
        conv = u < 85 ? 1 : (u < 96 ? 2 : 3);
        u = rng_below(r, 100);
        nulls = u < 55 ? 0 : (u < 80 ? 1 : (u < 92 ? 2 : 3));
    } else {
        nulls = u < 60 ? 1 : (u < 85 ? 2 : 3);
    }
    for (uint64_t k = 0; k < conv; k++) {
        cents += rng_order_cents(r);
    }
    out_char(o, ',');
    out_uint(o, conv, 1);
    out_char(o, ',');
    out_uint(o, nulls, 1);
    out_char(o, ',');
    out_money(o, cents);
    out_char(o, '\n');
}

static void
gen_paths(const struct gen_opts *opt, const struct gen_world *w, struct gen_out *o)
{
    struct gen_rng r;
    uint16_t hist[GEN_MAX_PATH];

    rng_seed(&r, opt->seed);
    out_str(o, "path,total_conversions,total_null,total_conversion_value\n");
    for (uint64_t row = 0; row < opt->rows && o->err == 0; row++) {
        size_t len = path_length(&r);

        for (size_t i = 0; i < len; i++) {
            const struct gen_channel *c;

            hist[i] = (uint16_t)path_channel(&r, w, hist, i);
            c = &w->ch[hist[i]];
            if (i > 0) {
                out_mem(o, " > ", 3);
            }
            out_mem(o, c->name, c->name_len);
        }
        path_outcome(&r, w, hist, len, o);
    }
}

/* ---- events mode ---------------------------------------------------------------- */

/*
 * Touches come from one renewal process per person, merged in time order
 * through a calendar queue (below). A person's activity is heavy-tailed
 * (Pareto, alpha 1.2, capped), so many persons have one or two touches and a
 * few have hundreds; gaps are bursty (same-session touches minutes apart,
 * otherwise days). Generation stops after exactly N touches, which lands near
 * the end of the D-day window.
 */
struct gen_person {
    uint64_t key; /* next touch (ms after the start) << 11 | seen << 10 | last channel */
    uint32_t id;  /* 0-based; printed 1-based */
    float gap_ms; /* mean gap between touches */
};

/*
 * Everything a person needs is packed into 16 bytes, so a queue step touches as
 * few cache lines as possible; the key orders by time first.
 */
#define GEN_KEY_SHIFT 11
#define GEN_KEY_SEEN (UINT64_C(1) << 10)
#define GEN_KEY_CHAN (UINT64_C(1023))
#define GEN_MAX_REL_MS (UINT64_MAX >> GEN_KEY_SHIFT)

static inline uint64_t
person_time(const struct gen_person *p)
{
    return GEN_START_MS + (p->key >> GEN_KEY_SHIFT);
}

/* Milliseconds from a double, clamped to 2^52 (140k years; the key holds 2^53). */
static inline uint64_t
ms_clamp(double ms)
{
    return ms < 0x1.0p52 ? (uint64_t)ms : UINT64_C(1) << 52;
}

/* ---- calendar queue: persons ordered by their next touch ------------------------- */

/*
 * A binary heap over all persons costs a chain of cache misses per touch once
 * it outgrows the cache (1M persons: 16 MB). Here persons wait in buckets of
 * `width` ms, unsorted and appended to; only the bucket being drained is a
 * heap, small enough to stay in cache. Times past the last bucket wait in
 * `far` until the buckets are rebased. Pops come out in (key, id) order, as
 * from one heap. Drained buckets give their memory back, so the queue holds
 * O(persons) bytes.
 */
struct gen_bucket {
    struct gen_person *v;
    size_t n, cap;
};

struct gen_queue {
    struct gen_bucket *b;  /* b[k] holds times in [base + k * width, base + (k + 1) * width) */
    struct gen_bucket far; /* times at or past base + nb * width */
    size_t nb, cur;        /* bucket count; the bucket being drained (a heap) */
    uint64_t base, width;  /* in ms after the start */
};

static void
queue_release(struct gen_queue *q)
{
    for (size_t k = 0; q->b != NULL && k < q->nb; k++) {
        UT_FREE_AND_NULL(q->b[k].v);
    }
    UT_FREE_AND_NULL(q->b);
    UT_FREE_AND_NULL(q->far.v);
}

static int
bucket_append(struct gen_bucket *b, const struct gen_person *p)
{
    if (b->n == b->cap || b->v == NULL) {
        size_t ncap = b->cap != 0 ? b->cap * 2 : 64;
        size_t bytes;
        void *nv;

        if (ut_size_mul(ncap, sizeof(*b->v), &bytes) != 0) {
            return -1;
        }
        nv = ut_realloc(b->v, bytes);
        if (nv == NULL) {
            return -1;
        }
        b->v = nv;
        b->cap = ncap;
    }
    b->v[b->n++] = *p;
    return 0;
}

static inline int
person_before(const struct gen_person *a, const struct gen_person *b)
{
    return a->key < b->key || (a->key == b->key && a->id < b->id);
}

static void
heap_sift_up(struct gen_person *h, size_t i)
{
    struct gen_person x = h[i];

    while (i > 0 && person_before(&x, &h[(i - 1) / 2])) {
        h[i] = h[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h[i] = x;
}

static void
heap_sift_down(struct gen_person *h, size_t n, size_t i)
{
    struct gen_person x = h[i];

    for (;;) {
        size_t c = 2 * i + 1;

        if (c >= n) {
            break;
        }
        if (c + 1 < n && person_before(&h[c + 1], &h[c])) {
            c++;
        }
        if (!person_before(&h[c], &x)) {
            break;
        }
        h[i] = h[c];
        i = c;
    }
    h[i] = x;
}

static int
queue_push(struct gen_queue *q, const struct gen_person *p)
{
    uint64_t rel = p->key >> GEN_KEY_SHIFT;
    uint64_t k = rel > q->base ? (rel - q->base) / q->width : 0;
    struct gen_bucket *b;

    if (k >= q->nb) {
        return bucket_append(&q->far, p);
    }
    if (NEVER(k < q->cur)) {
        k = q->cur; /* times never go back; keep the order anyway */
    }
    b = &q->b[k];
    if (bucket_append(b, p) != 0) {
        return -1;
    }
    if (k == q->cur) {
        heap_sift_up(b->v, b->n - 1);
    }
    return 0;
}

/* All buckets drained: start them at the earliest far time and refill from far. */
static int
queue_rebase(struct gen_queue *q)
{
    struct gen_bucket far = q->far;
    uint64_t min = UINT64_MAX;
    int rc = 0;

    memset(&q->far, 0, sizeof(q->far));
    for (size_t i = 0; i < far.n; i++) {
        uint64_t rel = far.v[i].key >> GEN_KEY_SHIFT;
        min = rel < min ? rel : min;
    }
    q->base = min;
    q->cur = 0;
    for (size_t i = 0; i < far.n && rc == 0; i++) {
        rc = queue_push(q, &far.v[i]);
    }
    ut_free(far.v);
    return rc;
}

/* Take the person with the earliest (key, id) into *out; -1 when out of memory. */
static int
queue_pop(struct gen_queue *q, struct gen_person *out)
{
    struct gen_bucket *b = &q->b[q->cur];

    while (b->n == 0) {
        UT_FREE_AND_NULL(b->v);
        b->cap = 0;
        q->cur++;
        if (q->cur == q->nb && (q->far.n == 0 || queue_rebase(q) != 0)) {
            return -1; /* no one left (cannot happen) or out of memory */
        }
        b = &q->b[q->cur];
        for (size_t i = b->n / 2; i-- > 0;) {
            heap_sift_down(b->v, b->n, i);
        }
    }
    *out = b->v[0];
    b->n--;
    if (b->n > 0) {
        b->v[0] = b->v[b->n];
        heap_sift_down(b->v, b->n, 0);
    }
    return 0;
}

/*
 * About 2048 pops per bucket; buckets cover two windows (later times wait in
 * far), at most 64Ki buckets.
 */
static int
queue_init(struct gen_queue *q, uint64_t window_ms, uint64_t touches)
{
    double width = (double)window_ms * 2048.0 / (double)touches;
    uint64_t nb;

    memset(q, 0, sizeof(*q));
    q->width = width < 1.0 ? 1 : (width > 1e15 ? UINT64_C(1000000000000000) : (uint64_t)width);
    nb = 2 * window_ms / q->width + 1;
    if (nb > 65536) {
        nb = 65536;
        q->width = 2 * window_ms / nb + 1;
    }
    q->nb = (size_t)nb;
    q->b = ut_calloc(q->nb, sizeof(*q->b));
    return q->b != NULL ? 0 : -1;
}

/* ---- events -------------------------------------------------------------------- */

struct gen_events {
    struct gen_rng r;
    struct gen_queue q;
    size_t id_width;
    double conv_per_touch; /* R * P / N */
    double lift_sum;       /* sum of lifts of the touches so far */
    uint64_t touches, convs;
};

static void
events_release(struct gen_events *ev)
{
    queue_release(&ev->q);
}

/* Next gap of a person whose mean gap is mean_ms (bursty when there is room). */
static uint64_t
events_gap(struct gen_rng *r, double mean_ms)
{
    if (mean_ms > 4 * GEN_BURST_MEAN_MS) {
        if (rng_chance(r, GEN_BURST_SHARE)) {
            return 1 + ms_clamp(rng_exp(r, GEN_BURST_MEAN_MS));
        }
        mean_ms = (mean_ms - GEN_BURST_SHARE * GEN_BURST_MEAN_MS) / (1.0 - GEN_BURST_SHARE);
    }
    return 1 + ms_clamp(rng_exp(r, mean_ms));
}

/* Persons get a heavy-tailed activity from (seed, id) alone: Pareto(1.2) capped at 200. */
static double
person_activity(uint64_t seed, uint64_t id)
{
    double u = (double)(ut_hash_u64(seed ^ ut_hash_u64(id)) >> 11) * 0x1.0p-53;
    double a = pow(1.0 - u, -1.0 / 1.2);

    return a > 200.0 ? 200.0 : a;
}

static int
events_init(struct gen_events *ev, const struct gen_opts *opt)
{
    uint64_t window_ms = opt->days * GEN_DAY_MS;
    double wsum = 0.0;
    size_t n = (size_t)opt->persons;

    memset(ev, 0, sizeof(*ev));
    rng_seed(&ev->r, opt->seed);
    if (queue_init(&ev->q, window_ms, opt->touches) != 0) {
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        wsum += person_activity(opt->seed, i);
    }
    for (size_t i = 0; i < n; i++) {
        /* rate_i = N * w_i / (W * window), so all persons together make N touches */
        double gap =
            (double)window_ms * wsum / ((double)opt->touches * person_activity(opt->seed, i));
        struct gen_person p = {ms_clamp(rng_exp(&ev->r, gap)) << GEN_KEY_SHIFT, (uint32_t)i,
                               (float)gap};

        if (queue_push(&ev->q, &p) != 0) {
            events_release(ev);
            return -1;
        }
    }
    for (ev->id_width = 6; n >= 1000000; n /= 10) {
        ev->id_width++;
    }
    ev->conv_per_touch = opt->conv_rate * (double)opt->persons / (double)opt->touches;
    return 0;
}

/* Channel of a person's touch: returning visitors come Direct or from Email. */
static uint32_t
events_channel(struct gen_rng *r, const struct gen_world *w, const struct gen_person *p)
{
    uint32_t u;

    if ((p->key & GEN_KEY_SEEN) == 0) {
        return world_draw(r, w->cum_first, w->n);
    }
    u = rng_below(r, 100);
    if (w->direct >= 0 && u < 20) {
        return (uint32_t)w->direct;
    }
    if (u < 38) {
        return (uint32_t)(p->key & GEN_KEY_CHAN);
    }
    if (w->email >= 0 && u < 46) {
        return (uint32_t)w->email;
    }
    return world_draw(r, w->cum, w->n);
}

static void
events_touch_row(struct gen_events *ev, const struct gen_channel *c, const struct gen_person *p,
                 struct gen_out *o)
{
    out_char(o, 'p');
    out_uint(o, (uint64_t)p->id + 1, ev->id_width);
    out_char(o, ',');
    out_time(o, person_time(p), rng_ts_style(&ev->r));
    out_char(o, ',');
    out_mem(o, c->name, c->name_len);
    out_char(o, ',');
    out_str(o, c->sources[rng_below(&ev->r, (uint32_t)c->nsources)]);
    out_char(o, ',');
    out_str(o, c->medium);
    out_char(o, ',');
    out_str(o, c->campaigns[rng_below(&ev->r, (uint32_t)c->ncampaigns)]);
    out_char(o, '\n');
}

/*
 * Conversions follow the touch that led to them by 1 minute to a few hours.
 * The chance is proportional to the channel's lift, normalised by the running
 * mean lift so that the expected total stays R * P (at most 3 per touch).
 */
static void
events_convert(struct gen_events *ev, const struct gen_channel *c, const struct gen_person *p,
               struct gen_out *o)
{
    double want = ev->conv_per_touch * (double)c->lift * (double)ev->touches / ev->lift_sum;
    uint64_t n;

    want = want < 3.0 ? want : 3.0; /* when R * P > N; nobody orders 100 times per click */
    n = (uint64_t)want;
    if (rng_chance(&ev->r, want - (double)n)) {
        n++;
    }
    for (uint64_t k = 0; k < n; k++) {
        uint64_t at = person_time(p) + 60000 + (uint64_t)rng_exp(&ev->r, 40.0 * 60 * 1000);

        ev->convs++;
        out_char(o, 'p');
        out_uint(o, (uint64_t)p->id + 1, ev->id_width);
        out_char(o, ',');
        out_time(o, at, rng_ts_style(&ev->r));
        out_char(o, ',');
        out_money(o, rng_order_cents(&ev->r));
        out_str(o, ",ord-");
        out_uint(o, ev->convs, 8);
        out_char(o, '\n');
    }
}

static int
gen_events(const struct gen_opts *opt, const struct gen_world *w, struct gen_out *ot,
           struct gen_out *oc)
{
    struct gen_events ev;
    int rc = 0;

    if (events_init(&ev, opt) != 0) {
        return -1;
    }
    out_str(ot, "person_id,timestamp,channel,source,medium,campaign\n");
    out_str(oc, "person_id,timestamp,value,conversion_id\n");
    while (rc == 0 && ev.touches < opt->touches && ot->err == 0 && oc->err == 0) {
        struct gen_person p;
        uint32_t ch;
        uint64_t rel;

        if (queue_pop(&ev.q, &p) != 0) {
            rc = -1;
            break;
        }
        ch = events_channel(&ev.r, w, &p);
        ev.touches++;
        ev.lift_sum += (double)w->ch[ch].lift;
        events_touch_row(&ev, &w->ch[ch], &p, ot);
        events_convert(&ev, &w->ch[ch], &p, oc);
        rel = (p.key >> GEN_KEY_SHIFT) + events_gap(&ev.r, (double)p.gap_ms);
        p.key = (rel < GEN_MAX_REL_MS ? rel : GEN_MAX_REL_MS) << GEN_KEY_SHIFT | GEN_KEY_SEEN | ch;
        rc = queue_push(&ev.q, &p);
    }
    (void)fprintf(stderr, "bench_gen: %llu touches, %llu conversions\n",
                  (unsigned long long)ev.touches, (unsigned long long)ev.convs);
    events_release(&ev);
    return rc;
}

/* ---- options and main ----------------------------------------------------------- */

static int usage_error(const char *fmt, ...) UT_PRINTF(1, 2);

/* Print "bench_gen: <message>" and the usage lines; returns EX_USAGE. */
static int
usage_error(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    (void)fputs("bench_gen: ", stderr);
    (void)vfprintf(stderr, fmt, ap);
    (void)fputs("\n", stderr);
    (void)fputs(gen_usage, stderr);
    va_end(ap);
    return EX_USAGE;
}

/* Decimal in [lo, hi]; no sign, no junk, no overflow. */
static int
parse_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
    char *end = NULL;
    unsigned long long v;

    if (*s < '0' || *s > '9') {
        return -1;
    }
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi) {
        return -1;
    }
    *out = (uint64_t)v;
    return 0;
}

static int
parse_rate(const char *s, double *out)
{
    char *end = NULL;
    double v;

    if ((*s < '0' || *s > '9') && *s != '.') {
        return -1;
    }
    errno = 0;
    v = strtod(s, &end);
    if (errno != 0 || end == s || *end != '\0' || !(v >= 0.0 && v <= 1000.0)) {
        return -1;
    }
    *out = v;
    return 0;
}

enum gen_mode { GEN_PATHS = 1, GEN_EVENTS = 2 };

/* Apply one "--name value": 0, -1 for a bad value, 1 for a name unknown in this mode. */
static int
parse_option(struct gen_opts *opt, enum gen_mode mode, const char *name, const char *val)
{
    int paths = mode == GEN_PATHS;

    if (strcmp(name, "seed") == 0) {
        return parse_u64(val, 0, UINT64_MAX, &opt->seed);
    }
    if (strcmp(name, "channels") == 0) {
        return parse_u64(val, 1, GEN_MAX_CHANNELS, &opt->channels);
    }
    if (paths && strcmp(name, "rows") == 0) {
        return parse_u64(val, 0, UINT64_C(1) << 40, &opt->rows);
    }
    if (paths && strcmp(name, "out") == 0) {
        opt->out = val;
        return 0;
    }
    if (!paths && strcmp(name, "touches") == 0) {
        return parse_u64(val, 1, UINT64_C(1) << 40, &opt->touches);
    }
    if (!paths && strcmp(name, "persons") == 0) {
        return parse_u64(val, 1, UINT32_MAX, &opt->persons);
    }
    if (!paths && strcmp(name, "days") == 0) {
        return parse_u64(val, 1, 3650, &opt->days);
    }
    if (!paths && strcmp(name, "conv-rate") == 0) {
        return parse_rate(val, &opt->conv_rate);
    }
    if (!paths && strcmp(name, "out-touches") == 0) {
        opt->out_touches = val;
        return 0;
    }
    if (!paths && strcmp(name, "out-conversions") == 0) {
        opt->out_conversions = val;
        return 0;
    }
    return 1;
}

/* Parse "--name value" / "--name=value" pairs; 0 or an exit code. */
static int
parse_args(struct gen_opts *opt, enum gen_mode mode, int argc, char **argv)
{
    for (int i = 2; i < argc; i++) {
        char name[32];
        const char *arg = argv[i], *val, *eq;
        size_t n;
        int rc;

        if (strncmp(arg, "--", 2) != 0) {
            return usage_error("unexpected argument '%s'", arg);
        }
        arg += 2;
        eq = strchr(arg, '=');
        n = eq != NULL ? (size_t)(eq - arg) : strlen(arg);
        if (n >= sizeof(name)) {
            return usage_error("unknown option '%s'", argv[i]);
        }
        memcpy(name, arg, n);
        name[n] = '\0';
        if (eq != NULL) {
            val = eq + 1;
        } else if (i + 1 < argc) {
            val = argv[++i];
        } else {
            return usage_error("option '%s' needs a value", argv[i]);
        }
        rc = parse_option(opt, mode, name, val);
        if (rc != 0) {
            return usage_error(rc > 0 ? "unknown option '--%s'" : "bad value for '--%s'", name);
        }
    }
    if (mode == GEN_PATHS && opt->rows == UINT64_MAX) {
        return usage_error("paths needs --rows");
    }
    if (mode == GEN_EVENTS && (opt->touches == 0 || opt->persons == 0 || opt->out_touches == NULL ||
                               opt->out_conversions == NULL)) {
        return usage_error("events needs --touches, --persons, --out-touches and "
                           "--out-conversions");
    }
    return 0;
}

static int
out_open(struct gen_out *o, const char *path)
{
    o->path = path;
    if (path == NULL || strcmp(path, "-") == 0) {
        o->path = "-";
        o->fp = stdout;
        return 0;
    }
    o->fp = fopen(path, "wb");
    if (o->fp == NULL) {
        (void)fprintf(stderr, "bench_gen: cannot open '%s': %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* Flush and close; 0, or -1 after reporting the first write error. */
static int
out_close(struct gen_out *o)
{
    int err;

    if (o->fp == NULL) {
        return 0;
    }
    out_flush(o);
    err = o->err;
    if (fflush(o->fp) != 0 && err == 0) {
        err = errno != 0 ? errno : EIO;
    }
    if (o->fp != stdout && fclose(o->fp) != 0 && err == 0) {
        err = errno != 0 ? errno : EIO;
    }
    o->fp = NULL;
    if (err != 0) {
        (void)fprintf(stderr, "bench_gen: cannot write '%s': %s\n", o->path, strerror(err));
        return -1;
    }
    return 0;
}

static int
gen_run(const struct gen_opts *opt, enum gen_mode mode, struct gen_out *o1, struct gen_out *o2)
{
    struct gen_world w;
    int rc = 0, gen_rc = 0;

    if (world_init(&w, (size_t)opt->channels) != 0) {
        (void)fputs("bench_gen: out of memory\n", stderr);
        return EX_SOFTWARE;
    }
    if (mode == GEN_PATHS) {
        if (out_open(o1, opt->out) != 0) {
            rc = EX_IOERR;
        } else {
            gen_paths(opt, &w, o1);
        }
    } else if (out_open(o1, opt->out_touches) != 0 || out_open(o2, opt->out_conversions) != 0) {
        rc = EX_IOERR;
    } else {
        gen_rc = gen_events(opt, &w, o1, o2);
    }
    if (out_close(o1) != 0) {
        rc = EX_IOERR;
    }
    if (out_close(o2) != 0) {
        rc = EX_IOERR;
    }
    if (gen_rc != 0 && rc == 0) {
        (void)fputs("bench_gen: out of memory\n", stderr);
        rc = EX_SOFTWARE;
    }
    world_release(&w);
    return rc;
}

int
main(int argc, char **argv)
{
    struct gen_opts opt = {
        .rows = UINT64_MAX, .seed = 1, .channels = 10, .days = 30, .conv_rate = 1.0};
    struct gen_out *o1 = NULL, *o2 = NULL;
    enum gen_mode mode;
    int rc;

    if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
        (void)fputs(gen_usage, stdout);
        return 0;
    }
    if (argc < 2 || (strcmp(argv[1], "paths") != 0 && strcmp(argv[1], "events") != 0)) {
        (void)fputs(gen_usage, stderr);
        return EX_USAGE;
    }
    mode = strcmp(argv[1], "paths") == 0 ? GEN_PATHS : GEN_EVENTS;
    rc = parse_args(&opt, mode, argc, argv);
    if (rc != 0) {
        return rc;
    }
    o1 = ut_calloc(1, sizeof(*o1));
    o2 = ut_calloc(1, sizeof(*o2));
    if (o1 == NULL || o2 == NULL) {
        (void)fputs("bench_gen: out of memory\n", stderr);
        rc = EX_SOFTWARE;
    } else {
        rc = gen_run(&opt, mode, o1, o2);
    }
    ut_free(o1);
    ut_free(o2);
    return rc;
}
