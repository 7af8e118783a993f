/*
 * tests/unit/test_markov.c - the markov model: hand-derived chains, the exact
 * golden outputs in ../shared/data/peers/expected/<dataset>/exact_markov.csv,
 * edge cases (repeats, loops, zero totals, many channels), the solver's two
 * methods against each other, and allocation failure at every step.
 */
#include "util/setup.h"

#include <dirent.h>
#include <stdlib.h>

#include "core/markov_solve.h"
#include "t.h"
#include "t_journeys.h"
#include "util/alloc.h"
#include "utmost/attribution.h"

/* ---- helpers ------------------------------------------------------------------- */

static int
run(const struct ut_journeys *j, unsigned order, int no_null, struct ut_credits *cr)
{
    struct ut_model_opts o = UT_MODEL_OPTS_INIT;
    struct ut_diag diag;

    o.order = order;
    o.no_null = no_null;
    return ut_attribute(j, "markov", &o, cr, &diag);
}

/* Credit of the channel named name (0 if it was never interned). */
static double
credit_of(const struct ut_journeys *j, const struct ut_credits *cr, const char *name, int value)
{
    for (uint32_t c = 0; c < cr->n; c++) {
        if (strcmp(ut_journeys_channel_name(j, c, NULL), name) == 0) {
            return value ? cr->value[c] : cr->conversions[c];
        }
    }
    return 0;
}

/* 1 if credit is finite, >= 0 (for conversions) and sums to the set's totals. */
static int
conserves(const struct ut_journeys *j, const struct ut_credits *cr)
{
    double sc = 0, sv = 0, tc = ut_journeys_total_conversions(j);
    double tv = ut_journeys_total_value(j);

    for (size_t c = 0; c < cr->n; c++) {
        if (!isfinite(cr->conversions[c]) || !isfinite(cr->value[c]) || cr->conversions[c] < 0) {
            return 0;
        }
        sc += cr->conversions[c];
        sv += cr->value[c];
    }
    return fabs(sc - tc) <= 1e-9 * (fabs(tc) + 1) && fabs(sv - tv) <= 1e-9 * (fabs(tv) + 1);
}

/* Run markov and check conservation; the credits are left in *cr. */
#define RUN_OK(j, order, no_null, cr)                                                              \
    do {                                                                                           \
        T_OK(run((j), (order), (no_null), (cr)));                                                  \
        if (!conserves((j), (cr))) {                                                               \
            ut_credits_release(cr);                                                                \
            t_fail(__FILE__, __LINE__, "credit does not conserve the totals");                     \
            return;                                                                                \
        }                                                                                          \
    } while (0)

/* Expect channel name's credit (conversions, value) near want. */
#define T_CREDIT(j, cr, name, want_conv, want_value, eps)                                          \
    do {                                                                                           \
        double t_c_ = credit_of((j), (cr), (name), 0), t_v_ = credit_of((j), (cr), (name), 1);     \
        double t_wc_ = (double)(want_conv), t_wv_ = (double)(want_value), t_e_ = (double)(eps);    \
        if (!(fabs(t_c_ - t_wc_) <= t_e_ * fmax(1, fabs(t_wc_))) ||                                \
            !(fabs(t_v_ - t_wv_) <= t_e_ * fmax(1, fabs(t_wv_)))) {                                \
            t_fail(__FILE__, __LINE__, "%s: credit %.17g value %.17g, want %.17g %.17g", (name),   \
                   t_c_, t_v_, t_wc_, t_wv_);                                                      \
            ut_credits_release(cr);                                                                \
            ut_journeys_free(j);                                                                   \
            return;                                                                                \
        }                                                                                          \
    } while (0)

/* Deterministic pseudo-random numbers (xorshift64*). */
static uint64_t
rnd(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 0x2545f4914f6cdd1dULL;
}

/* n random journeys over nch channels named c0, c1, ... with up to maxlen touches. */
static int
add_random(struct ut_journeys *j, uint64_t seed, size_t n, unsigned nch, unsigned maxlen)
{
    uint64_t s = seed;
    char name[16];
    uint32_t ids[64] = {0};
    struct ut_touch t[64];

    if (nch == 0 || nch > 64 || maxlen > 64) {
        return UT_EINVAL;
    }
    for (unsigned c = 0; c < nch; c++) {
        int len = snprintf(name, sizeof(name), "c%u", c);
        int err = ut_journeys_intern(j, name, (size_t)len, &ids[c]);

        if (err != UT_OK) {
            return err;
        }
    }
    for (size_t i = 0; i < n; i++) {
        size_t len = 1 + rnd(&s) % maxlen;
        double conv = (double)(rnd(&s) % 3), nulls = (double)(rnd(&s) % 4);
        int err;

        for (size_t k = 0; k < len; k++) {
            t[k].channel = ids[rnd(&s) % nch];
            t[k].flags = 0;
            t[k].time = 0;
        }
        err = ut_journeys_add(j, t, len, 0, conv, nulls, conv * (double)(1 + rnd(&s) % 50));
        if (err != UT_OK) {
            return err;
        }
    }
    return UT_OK;
}

/* ---- hand-derived chains ---------------------------------------------------------- */

/*
 * C1>C2>C3 (1 conv, value 10), C1 (1 null), C2>C3 (1 null). Order 1: start
 * goes to C1 2/3, C2 1/3; C1 -> C2 1/2; C2 -> C3; C3 converts 1/2: P = 1/3.
 * Without C1: 1/6 (RE 1/2); without C2 or C3: 0 (RE 1). Credit 0.2/0.4/0.4.
 */
TEST(hand_three_paths)
{
    struct ut_journeys *j = NULL;
    struct ut_credits cr = {0};

    T_OK(ut_journeys_new(&j));
    T_OK(t_add_path(j, "C1 > C2 > C3", 1, 0, 10));
    T_OK(t_add_path(j, "C1", 0, 1, 0));
    T_OK(t_add_path(j, "C2 > C3", 0, 1, 0));
    RUN_OK(j, 1, 0, &cr);
    T_CREDIT(j, &cr, "C1", 0.2, 2, 1e-14);
    T_CREDIT(j, &cr, "C2", 0.4, 4, 1e-14);
    T_CREDIT(j, &cr, "C3", 0.4, 4, 1e-14);
    ut_credits_release(&cr);
    /* no_null: every journey converts, every channel is essential */
    RUN_OK(j, 1, 1, &cr);
    T_CREDIT(j, &cr, "C1", 1.0 / 3, 10.0 / 3, 1e-14);
    T_CREDIT(j, &cr, "C3", 1.0 / 3, 10.0 / 3, 1e-14);
    ut_credits_release(&cr);
    ut_journeys_free(j);
}

/*
 * A loop: a>b>a (1 conv, value 6), b (1 null). a: -> b 1/2, converts 1/2;
 * b: -> a 1/2, null 1/2; start a 1/2, b 1/2. h_a = 2/3, h_b = 1/3, P = 1/2.
 * Without a: 0 (RE 1); without b: h_a = 1/2, P = 1/4 (RE 1/2). So a 2/3, b 1/3.
 */
TEST(hand_loop)
{
    struct ut_journeys *j = NULL;
    struct ut_credits cr = {0};

    T_OK(ut_journeys_new(&j));
    T_OK(t_add_path(j, "a > b > a", 1, 0, 6));
    T_OK(t_add_path(j, "b", 0, 1, 0));
    RUN_OK(j, 1, 0, &cr);
    T_CREDIT(j, &cr, "a", 2.0 / 3, 4, 1e-14);
    T_CREDIT(j, &cr, "b", 1.0 / 3, 2, 1e-14);
    ut_credits_release(&cr);
    ut_journeys_free(j);
}

/*
 * One-touch paths: the chain is start -> channel -> absorption, so conversion
 * credit is each channel's conversions, and value follows mu * P(via s):
 * a 2/8 * 5, b 1/8 * 7, scaled to 17 -> a 10, b 7.
 */
TEST(one_touch_paths)
{
    struct ut_journeys *j = NULL;
    struct ut_credits cr = {0};

    T_OK(ut_journeys_new(&j));
    T_OK(t_add_path(j, "a", 2, 2, 10));
    T_OK(t_add_path(j, "b", 1, 3, 7));
    for (unsigned order = 1; order <= 4; order++) {
        RUN_OK(j, order, 0, &cr);
        T_CREDIT(j, &cr, "a", 2, 10, 1e-14);
        T_CREDIT(j, &cr, "b", 1, 7, 1e-14);
        ut_credits_release(&cr);
    }
    ut_journeys_free(j);
}

/* ---- golden outputs ------------------------------------------------------------------ */

/* Largest relative error seen against the golden files (reported, not asserted). */
static double golden_max_rel;

/* Load the path file of dataset name into a new set. */
static int
load_dataset(const char *name, struct ut_journeys **out)
{
    char file[256];

    if (snprintf(file, sizeof(file), "%s.csv",
                 strcmp(name, "Data") == 0 ? "ChannelAttribution_Data" : name) >=
        (int)sizeof(file)) {
        return UT_ELIMIT;
    }
    return t_load_peers(file, out);
}

/* One golden row: model, channel, credit, value_credit (fields split in place). */
struct golden_row {
    const char *model, *channel;
    double credit, value;
};

static int
parse_golden_line(char *line, struct golden_row *r)
{
    char *f[4];
    char *end;

    for (int i = 0; i < 4; i++) {
        f[i] = line;
        line = strchr(line, ',');
        if (line == NULL && i < 3) {
            return -1;
        }
        if (line != NULL) {
            *line++ = '\0';
        }
    }
    r->model = f[0];
    r->channel = f[1];
    r->credit = strtod(f[2], &end);
    r->value = strtod(f[3], &end);
    return 0;
}

/* Parse "exact_markov_o{K}_{null|nonull}_inf". */
static int
parse_model(const char *model, unsigned *order, int *no_null)
{
    const char *p = "exact_markov_o";
    size_t plen = strlen(p);

    if (strncmp(model, p, plen) != 0 || model[plen] < '1' || model[plen] > '4') {
        return -1;
    }
    *order = (unsigned)(model[plen] - '0');
    if (strcmp(model + plen + 1, "_null_inf") == 0) {
        *no_null = 0;
    } else if (strcmp(model + plen + 1, "_nonull_inf") == 0) {
        *no_null = 1;
    } else {
        return -1;
    }
    return 0;
}

/* |got - want| within 1e-8 relative (1e-12 absolute near 0); tracks the worst. */
static int
golden_near(double got, double want)
{
    double rel = fabs(got - want) / fmax(fabs(want), 1e-4);

    if (rel > golden_max_rel) {
        golden_max_rel = rel;
    }
    return fabs(got - want) <= 1e-8 * fabs(want) + 1e-12;
}

/* Compare every row of one exact_markov.csv; *rows gets the number compared. */
static void
check_golden_file(const char *dataset, char *text, size_t *rows)
{
    struct ut_journeys *j = NULL;
    struct ut_credits cr = {0};
    char current[64] = "";
    char *line = strchr(text, '\n'); /* skip the header */

    T_OK(load_dataset(dataset, &j));
    while (line != NULL && *++line != '\0') {
        char *next = strchr(line, '\n');
        struct golden_row r;
        unsigned order;
        int no_null;

        if (next != NULL) {
            *next = '\0';
        }
        if (parse_golden_line(line, &r) != 0 || parse_model(r.model, &order, &no_null) != 0) {
            t_fail(__FILE__, __LINE__, "%s: bad golden line '%s'", dataset, line);
            break;
        }
        if (strcmp(current, r.model) != 0) {
            ut_credits_release(&cr);
            if (snprintf(current, sizeof(current), "%s", r.model) >= (int)sizeof(current)) {
                t_fail(__FILE__, __LINE__, "%s: model name too long", dataset);
                break;
            }
            if (run(j, order, no_null, &cr) != UT_OK || !conserves(j, &cr)) {
                t_fail(__FILE__, __LINE__, "%s %s: run failed or not conserving", dataset, r.model);
                break;
            }
        }
        if (!golden_near(credit_of(j, &cr, r.channel, 0), r.credit) ||
            !golden_near(credit_of(j, &cr, r.channel, 1), r.value)) {
            t_fail(__FILE__, __LINE__, "%s %s %s: got %.12g / %.12g, want %.12g / %.12g", dataset,
                   r.model, r.channel, credit_of(j, &cr, r.channel, 0),
                   credit_of(j, &cr, r.channel, 1), r.credit, r.value);
        }
        (*rows)++;
        line = next;
    }
    ut_credits_release(&cr);
    ut_journeys_free(j);
}

TEST(golden_exact_markov)
{
    char dir[4096], sub[4096 + 256];
    DIR *d;
    struct dirent *e;
    size_t datasets = 0, rows = 0;

    if (snprintf(dir, sizeof(dir), "%s", t_path(t_peers_dir, "expected")) >= (int)sizeof(dir)) {
        SKIP("peer path too long");
    }
    d = opendir(dir);
    if (d == NULL) {
        SKIP("no peer data");
    }
    while ((e = readdir(d)) != NULL) {
        char *text;

        if (e->d_name[0] == '.') {
            continue;
        }
        if (snprintf(sub, sizeof(sub), "%s", t_path(dir, e->d_name)) >= (int)sizeof(sub)) {
            continue;
        }
        text = t_read_file(t_path(sub, "exact_markov.csv"), NULL);
        if (text == NULL) {
            continue;
        }
        check_golden_file(e->d_name, text, &rows);
        ut_free(text);
        datasets++;
    }
    closedir(d);
    printf("# markov: %zu datasets, %zu golden rows, max relative error %.3g\n", datasets, rows,
           golden_max_rel);
    T_TRUE(datasets >= 5);
    T_TRUE(rows >= 100);
}

/* ---- edge cases -------------------------------------------------------------------- */

/* Same credit from two sets (bitwise when exact, else within eps). */
static int
same_credit(const struct ut_credits *a, const struct ut_credits *b, double eps)
{
    if (a->n != b->n) {
        return 0;
    }
    for (size_t c = 0; c < a->n; c++) {
        if (!(fabs(a->conversions[c] - b->conversions[c]) <=
              eps * fmax(1, fabs(b->conversions[c]))) ||
            !(fabs(a->value[c] - b->value[c]) <= eps * fmax(1, fabs(b->value[c])))) {
            return 0;
        }
    }
    return 1;
}

/* Two sets that must give the same credit at an order. */
static void
check_equivalent(const char *const *pa, const char *const *pb, size_t n, unsigned order)
{
    struct ut_journeys *a = NULL, *b = NULL;
    struct ut_credits ca = {0}, cb = {0};
    double w[][3] = {{3, 1, 30}, {0, 2, 0}, {1, 1, 9}, {2, 0, 5}};

    T_OK(ut_journeys_new(&a));
    T_OK(ut_journeys_new(&b));
    for (size_t i = 0; i < n; i++) {
        T_OK(t_add_path(a, pa[i], w[i % 4][0], w[i % 4][1], w[i % 4][2]));
        T_OK(t_add_path(b, pb[i], w[i % 4][0], w[i % 4][1], w[i % 4][2]));
    }
    T_OK(run(a, order, 0, &ca));
    T_OK(run(b, order, 0, &cb));
    T_TRUE(conserves(a, &ca));
    if (!same_credit(&ca, &cb, 1e-13)) {
        t_fail(__FILE__, __LINE__, "order %u: sets differ", order);
    }
    ut_credits_release(&ca);
    ut_credits_release(&cb);
    ut_journeys_free(a);
    ut_journeys_free(b);
}

TEST(repeats_collapse)
{
    /* order 1: a>a>b is a>b; order 2: (a,a),(a,a),(a,b) is (a,a),(a,b) */
    static const char *const o1a[] = {"a > a > b", "b > b", "c > a > a > a", "a > c"};
    static const char *const o1b[] = {"a > b", "b", "c > a", "a > c"};
    static const char *const o2a[] = {"a > a > a > b", "b > c > b > c > b", "c > a", "a > b"};
    static const char *const o2b[] = {"a > a > b", "b > c > b", "c > a", "a > b"};

    check_equivalent(o1a, o1b, 4, 1);
    if (t_failed_now) {
        return;
    }
    check_equivalent(o2a, o2b, 4, 2);
}

/* A channel that never leads to a conversion gets 0; one that only feeds some gets >= 0. */
TEST(never_converting_channel)
{
    struct ut_journeys *j = NULL;
    struct ut_credits cr = {0};

    T_OK(ut_journeys_new(&j));
    T_OK(t_add_path(j, "a > b", 2, 1, 20));
    T_OK(t_add_path(j, "z", 0, 5, 0));
    T_OK(t_add_path(j, "b > z", 0, 3, 0));
    T_OK(t_add_path(j, "y > a", 0, 2, 0));
    for (unsigned order = 1; order <= 3; order++) {
        RUN_OK(j, order, 0, &cr);
        T_CREDIT(j, &cr, "z", 0, 0, 0);
        T_TRUE(credit_of(j, &cr, "y", 0) >= 0);
        ut_credits_release(&cr);
    }
    ut_journeys_free(j);
}

TEST(zero_totals)
{
    struct ut_journeys *j = NULL;
    struct ut_credits cr = {0};

    T_OK(ut_journeys_new(&j));
    T_OK(t_add_path(j, "a > b", 0, 3, 0));
    T_OK(t_add_path(j, "b > a > b", 0, 1, 0));
    T_OK(t_add_path(j, "c", 0, 0, 0));
    for (int no_null = 0; no_null <= 1; no_null++) {
        RUN_OK(j, 2, no_null, &cr);
        T_CREDIT(j, &cr, "a", 0, 0, 0);
        T_CREDIT(j, &cr, "b", 0, 0, 0);
        ut_credits_release(&cr);
    }
    /* value without conversions cannot follow the chain: it is split evenly */
    T_OK(t_add_path(j, "c > a", 0, 0, 8));
    RUN_OK(j, 1, 0, &cr);
    T_CREDIT(j, &cr, "c", 0, 4, 1e-15);
    T_CREDIT(j, &cr, "a", 0, 4, 1e-15);
    ut_credits_release(&cr);
    ut_journeys_free(j);
}

/* Value on journeys that end in states without conversions follows the conversion credit. */
TEST(value_fallback)
{
    struct ut_journeys *j = NULL;
    struct ut_credits cr = {0};

    T_OK(ut_journeys_new(&j));
    T_OK(t_add_path(j, "a > b", 3, 1, 0));
    T_OK(t_add_path(j, "a", 1, 1, 0));
    T_OK(t_add_path(j, "c", 0, 1, 12));
    RUN_OK(j, 1, 0, &cr);
    T_NEAR(credit_of(j, &cr, "a", 1) / 12, credit_of(j, &cr, "a", 0) / 4, 1e-14);
    T_NEAR(credit_of(j, &cr, "c", 1), 0, 1e-14);
    ut_credits_release(&cr);
    ut_journeys_free(j);
}

TEST(one_channel)
{
    struct ut_journeys *j = NULL;
    struct ut_credits cr = {0};

    T_OK(ut_journeys_new(&j));
    T_OK(t_add_path(j, "x > x > x", 2, 1, 7));
    T_OK(t_add_path(j, "x", 1, 4, 3));
    T_OK(t_add_path(j, "", 5, 0, 50)); /* no touches: "(none)" */
    for (unsigned order = 1; order <= 4; order++) {
        RUN_OK(j, order, order % 2 == 0, &cr);
        T_CREDIT(j, &cr, "x", 3, 10, 1e-14);
        T_CREDIT(j, &cr, UT_CHANNEL_NONE, 5, 50, 0);
        ut_credits_release(&cr);
    }
    ut_journeys_free(j);
}

/* no_null ignores non-converting journeys and the nulls of converting ones. */
TEST(no_null_ignores_nulls)
{
    struct ut_journeys *a = NULL, *b = NULL;
    struct ut_credits ca = {0}, cb = {0};

    T_OK(ut_journeys_new(&a));
    T_OK(ut_journeys_new(&b));
    T_OK(t_add_path(a, "a > b > c", 2, 0, 20));
    T_OK(t_add_path(a, "b > c", 1, 0, 4));
    T_OK(t_add_path(a, "c > a", 1, 0, 1));
    T_OK(t_add_path(b, "a > b > c", 2, 7, 20));
    T_OK(t_add_path(b, "b > c", 1, 1, 4));
    T_OK(t_add_path(b, "c > a", 1, 0, 1));
    T_OK(t_add_path(b, "a > c > b", 0, 9, 0));
    for (unsigned order = 1; order <= 3; order++) {
        T_OK(run(a, order, 1, &ca));
        T_OK(run(b, order, 1, &cb));
        T_TRUE(conserves(b, &cb));
        T_TRUE(same_credit(&ca, &cb, 1e-14));
        ut_credits_release(&ca);
        ut_credits_release(&cb);
    }
    ut_journeys_free(a);
    ut_journeys_free(b);
}

/* 40 channels, random paths with loops and repeats: conservation and determinism. */
TEST(many_channels)
{
    struct ut_journeys *j = NULL;
    struct ut_credits c1 = {0}, c2 = {0};

    T_OK(ut_journeys_new(&j));
    T_OK(add_random(j, 42, 3000, 40, 12));
    for (unsigned order = 1; order <= 4; order++) {
        for (int no_null = 0; no_null <= 1; no_null++) {
            RUN_OK(j, order, no_null, &c1);
            T_OK(run(j, order, no_null, &c2));
            T_TRUE(memcmp(c1.conversions, c2.conversions, c1.n * sizeof(double)) == 0);
            T_TRUE(memcmp(c1.value, c2.value, c1.n * sizeof(double)) == 0);
            ut_credits_release(&c1);
            ut_credits_release(&c2);
        }
    }
    ut_journeys_free(j);
}

/* Journeys without touches are left to the dispatcher; invalid orders are rejected. */
TEST(empty_journeys_and_options)
{
    struct ut_journeys *j = NULL;
    struct ut_credits cr = {0};

    T_OK(ut_journeys_new(&j));
    T_OK(t_add_path(j, "", 2, 1, 3));
    RUN_OK(j, 1, 0, &cr);
    T_CREDIT(j, &cr, UT_CHANNEL_NONE, 2, 3, 0);
    ut_credits_release(&cr);
    T_OK(t_add_path(j, "a > b", 1, 0, 1));
    RUN_OK(j, 3, 0, &cr);
    T_CREDIT(j, &cr, UT_CHANNEL_NONE, 2, 3, 0);
    T_CREDIT(j, &cr, "a", 0.5, 0.5, 1e-15);
    ut_credits_release(&cr);
    T_ERR(run(j, 0, 0, &cr), UT_EINVAL);
    T_ERR(run(j, 5, 0, &cr), UT_EINVAL);
    ut_journeys_free(j);
}

/* ---- the solver -------------------------------------------------------------------- */

/*
 * A random chain of n states with loops (edges both ways, up to 6 per state,
 * weights 1-9) whose absorption weights are scaled by absorb: small values
 * make a slowly mixing chain. e gets up to n * 6 edges; used is n * n zeroes.
 */
static size_t
random_chain(uint64_t seed, size_t n, double absorb, double *start, double *conv, double *nulls,
             struct ut__mk_edge *e, unsigned char *used)
{
    uint64_t s = seed;
    size_t ne = 0;

    for (size_t i = 0; i < n; i++) {
        start[i] = (double)(rnd(&s) % 4);
        conv[i] = absorb * (double)(rnd(&s) % 3);
        nulls[i] = absorb * (double)(1 + rnd(&s) % 2);
        for (int k = 0; k < 6; k++) {
            size_t t = (size_t)(rnd(&s) % n);

            if (t == i || used[i * n + t]) {
                continue;
            }
            used[i * n + t] = 1;
            e[ne++] = (struct ut__mk_edge){(uint32_t)i, (uint32_t)t, (double)(1 + rnd(&s) % 9)};
        }
    }
    start[0] += 1;
    return ne;
}

/* The flow removed states pass on in the full solution x0: the source of the lost visits. */
static void
lost_flow(const struct ut__mk_chain *ch, const unsigned char *removed, const double *x0,
          double *rhs)
{
    for (size_t t = 0; t < ch->n; t++) {
        rhs[t] = 0;
        for (size_t e = ch->in_ptr[t]; !removed[t] && e < ch->in_ptr[t + 1]; e++) {
            if (removed[ch->in_src[e]]) {
                rhs[t] += ch->in_p[e] * x0[ch->in_src[e]];
            }
        }
    }
}

/* Largest relative difference of a and b (n values), near 0 measured against 1e-3. */
static double
max_rel_diff(const double *a, const double *b, size_t n)
{
    double worst = 0;

    for (size_t i = 0; i < n; i++) {
        worst = fmax(worst, fabs(a[i] - b[i]) / fmax(fabs(b[i]), 1e-3));
    }
    return worst;
}

/* Scratch of the solver tests: n states. */
struct solver_case {
    size_t n;
    double *start, *conv, *nulls, *x0, *x1, *x2, *rhs;
    uint32_t *dlist;
    struct ut__mk_edge *e;
    unsigned char *used, *removed;
};

static int
solver_case_init(struct solver_case *sc, size_t n)
{
    sc->n = n;
    sc->start = ut_calloc(n, sizeof(double));
    sc->conv = ut_calloc(n, sizeof(double));
    sc->nulls = ut_calloc(n, sizeof(double));
    sc->x0 = ut_calloc(n, sizeof(double));
    sc->x1 = ut_calloc(n, sizeof(double));
    sc->x2 = ut_calloc(n, sizeof(double));
    sc->rhs = ut_calloc(n, sizeof(double));
    sc->dlist = ut_calloc(n, sizeof(uint32_t));
    sc->e = ut_calloc(n * 6, sizeof(*sc->e));
    sc->used = ut_calloc(n * n, 1);
    sc->removed = ut_calloc(n, 1);
    return sc->start && sc->conv && sc->nulls && sc->x0 && sc->x1 && sc->x2 && sc->rhs &&
                   sc->dlist && sc->e && sc->used && sc->removed
               ? UT_OK
               : UT_ENOMEM;
}

static void
solver_case_release(struct solver_case *sc)
{
    ut_free(sc->start);
    ut_free(sc->conv);
    ut_free(sc->nulls);
    ut_free(sc->x0);
    ut_free(sc->x1);
    ut_free(sc->x2);
    ut_free(sc->rhs);
    ut_free(sc->dlist);
    ut_free(sc->e);
    ut_free(sc->used);
    ut_free(sc->removed);
}

/*
 * Solve one random chain both ways, with 0-3 sets of removed states, and the
 * lost-visits system against the difference of two solves; worst[0] and
 * worst[1] get the largest relative differences.
 */
static void
compare_methods(struct solver_case *sc, uint64_t seed, double absorb, double *worst)
{
    struct ut__mk_chain ch;
    struct ut__mk_lu *lu = NULL;
    size_t n = sc->n;

    T_OK(ut__mk_chain_init(
        &ch, n, sc->start, sc->conv, sc->nulls, sc->e,
        random_chain(seed, n, absorb, sc->start, sc->conv, sc->nulls, sc->e, sc->used)));
    T_OK(ut__mk_solve(&ch, NULL, NULL, 0, UT__MK_DENSE, sc->x0, NULL));
    T_OK(ut__mk_lu_new(&ch, &lu));
    for (size_t r = 0; r < 5 && !t_failed_now; r++) {
        size_t nd = 0;

        for (size_t i = 0; i < n; i++) {
            sc->removed[i] = r > 0 && i % (r * r + 1) == r;
            if (sc->removed[i]) {
                sc->dlist[nd++] = (uint32_t)i;
            }
        }
        T_OK(ut__mk_solve(&ch, sc->removed, NULL, 0, UT__MK_DENSE, sc->x1, NULL));
        T_OK(ut__mk_solve(&ch, sc->removed, NULL, 0, UT__MK_ITERATIVE, sc->x2, NULL));
        worst[0] = fmax(worst[0], max_rel_diff(sc->x2, sc->x1, n));
        lost_flow(&ch, sc->removed, sc->x0, sc->rhs);
        T_OK(ut__mk_solve(&ch, sc->removed, sc->rhs, 0, r % 2 ? UT__MK_DENSE : UT__MK_ITERATIVE,
                          sc->x2, NULL));
        for (size_t i = 0; i < n; i++) {
            sc->x1[i] = sc->removed[i] ? 0 : sc->x0[i] - sc->x1[i];
        }
        worst[1] = fmax(worst[1], max_rel_diff(sc->x2, sc->x1, n));
        T_OK(ut__mk_lu_solve_removed(lu, &ch, sc->removed, sc->dlist, nd, sc->rhs, sc->x2));
        worst[2] = fmax(worst[2], max_rel_diff(sc->x2, sc->x1, n));
    }
    ut__mk_lu_free(lu);
    ut__mk_chain_release(&ch);
}

/*
 * Gauss-Seidel and dense LU agree to ~1e-13 on loopy chains, with and without
 * removals, also when absorption is rare (about 1 step in 1000 ends the
 * walk); the lost-visits system matches the difference of two solves, also
 * when solved through the factors of the full chain.
 */
TEST(solver_methods_agree)
{
    static const double absorb[] = {1, 0.01};
    struct solver_case sc;
    double worst[3] = {0, 0, 0};

    for (size_t k = 0; k < UT_ARRAY_LEN(absorb) && !t_failed_now; k++) {
        memset(&sc, 0, sizeof(sc));
        if (solver_case_init(&sc, 300) == UT_OK) {
            compare_methods(&sc, 7 + k, absorb[k], worst);
        } else {
            t_fail(__FILE__, __LINE__, "out of memory");
        }
        solver_case_release(&sc);
    }
    printf("# markov: dense vs Gauss-Seidel max relative difference %.3g, lost visits %.3g, "
           "through the full factors %.3g\n",
           worst[0], worst[1], worst[2]);
    T_TRUE(worst[0] < 1e-12);
    T_TRUE(worst[1] < 1e-12);
    T_TRUE(worst[2] < 1e-12);
}

/* Conversion mass sum_s x_s * conv_p_s. */
static double
conv_mass(const struct ut__mk_chain *ch, const double *x)
{
    double p = 0;

    for (size_t s = 0; s < ch->n; s++) {
        p += x[s] * ch->conv_p[s];
    }
    return p;
}

/*
 * A two-way ring of 150 states that absorbs once in about 10^5 steps: Gauss-
 * Seidel needs far more sweeps than a factorisation costs, so AUTO falls back
 * to the dense LU; the result still matches, and plain Gauss-Seidel gets
 * there too (or reports UT_ELIMIT, never a rough answer).
 */
TEST(solver_slow_mixing_ring)
{
    size_t n = 150;
    double *start = ut_calloc(n, sizeof(double)), *conv = ut_calloc(n, sizeof(double));
    double *nulls = ut_calloc(n, sizeof(double)), *x1 = ut_calloc(n, sizeof(double));
    double *x2 = ut_calloc(n, sizeof(double));
    struct ut__mk_edge *e = ut_calloc(2 * n, sizeof(*e));
    struct ut__mk_chain ch;
    double p1 = 0, p2 = 0;
    int err = UT_ENOMEM;

    if (start && conv && nulls && x1 && x2 && e) {
        for (size_t i = 0; i < n; i++) {
            conv[i] = i % 7 == 0 ? 1e-5 : 0;
            nulls[i] = 1e-5;
            e[2 * i] = (struct ut__mk_edge){(uint32_t)i, (uint32_t)((i + 1) % n), 1};
            e[2 * i + 1] = (struct ut__mk_edge){(uint32_t)i, (uint32_t)((i + n - 1) % n), 1};
        }
        start[3] = 1;
        err = ut__mk_chain_init(&ch, n, start, conv, nulls, e, 2 * n);
    }
    if (err == UT_OK) {
        err = ut__mk_solve(&ch, NULL, NULL, 0, UT__MK_DENSE, x1, NULL);
        p1 = conv_mass(&ch, x1);
    }
    if (err == UT_OK) {
        err = ut__mk_solve(&ch, NULL, NULL, 0, UT__MK_AUTO, x2, NULL);
        p2 = conv_mass(&ch, x2);
    }
    if (err == UT_OK && fabs(p1 - p2) <= 1e-13 * p1) {
        err = ut__mk_solve(&ch, NULL, NULL, 0, UT__MK_ITERATIVE, x2, NULL);
        p2 = err == UT_ELIMIT ? p1 : conv_mass(&ch, x2);
        err = err == UT_ELIMIT ? UT_OK : err;
    }
    ut__mk_chain_release(&ch);
    ut_free(start);
    ut_free(conv);
    ut_free(nulls);
    ut_free(x1);
    ut_free(x2);
    ut_free(e);
    T_OK(err);
    T_NEAR(p1, 0.125, 0.02); /* absorbed anywhere at 1e-5, converting 1e-5 at 1 state in 7 */
    T_TRUE(fabs(p1 - p2) <= 1e-13 * p1);
}

/*
 * The same through the model: 150 channels (states at order 1) visited by
 * long random walks on a ring. Exact, conserving and repeatable, and quick.
 */
TEST(long_walks_many_states)
{
    struct ut_journeys *j = NULL;
    struct ut_credits c1 = {0}, c2 = {0};
    struct ut_touch t[2000];
    uint32_t ids[150];
    uint64_t s = 99;
    char name[16];

    T_OK(ut_journeys_new(&j));
    for (unsigned c = 0; c < 150; c++) {
        T_OK(ut_journeys_intern(j, name, (size_t)snprintf(name, sizeof(name), "r%u", c), &ids[c]));
    }
    for (unsigned k = 0; k < 150; k++) {
        unsigned at = k;

        for (size_t i = 0; i < 2000; i++) {
            at = (at + (rnd(&s) % 2 ? 1 : 149)) % 150;
            t[i] = (struct ut_touch){ids[at], 0, 0};
        }
        T_OK(ut_journeys_add(j, t, 2000, 0, k % 3 == 0, k % 3 != 0, k % 3 == 0 ? k : 0));
    }
    for (unsigned order = 1; order <= 2; order++) {
        RUN_OK(j, order, 0, &c1);
        T_OK(run(j, order, 0, &c2));
        T_TRUE(same_credit(&c1, &c2, 0));
        ut_credits_release(&c1);
        ut_credits_release(&c2);
    }
    ut_journeys_free(j);
}

/* ---- allocation failure -------------------------------------------------------------- */

/* Fail allocation 1, 2, 3, ... of one run until it succeeds: UT_ENOMEM, no leak. */
static void
oom_sweep(const struct ut_journeys *j, unsigned order, int no_null)
{
    struct ut_credits cr = {0};
    long live = ut_alloc_live();
    int err = UT_ENOMEM;
    long n;

    for (n = 1; n < 100000 && err == UT_ENOMEM; n++) {
        ut_alloc_fail_after(n);
        err = run(j, order, no_null, &cr);
        ut_alloc_fail_after(0);
        if (err == UT_ENOMEM) {
            T_EQ_I64(ut_alloc_live(), live);
        }
    }
    T_OK(err);
    T_TRUE(n > 3);
    T_TRUE(conserves(j, &cr));
    ut_credits_release(&cr);
}

TEST(oom_every_allocation)
{
    struct ut_journeys *j = NULL;

    T_OK(ut_journeys_new(&j));
    T_OK(t_add_path(j, "a > b > a > c", 2, 1, 20));
    T_OK(t_add_path(j, "b > c", 0, 3, 0));
    T_OK(add_random(j, 3, 400, 9, 6)); /* order 3 gives > 128 states: the iterative path */
    oom_sweep(j, 1, 0);
    oom_sweep(j, 3, 0);
    oom_sweep(j, 2, 1);
    ut_journeys_free(j);
}

T_LIST(T_CASE(hand_three_paths), T_CASE(hand_loop), T_CASE(one_touch_paths),
       T_CASE(golden_exact_markov), T_CASE(repeats_collapse), T_CASE(never_converting_channel),
       T_CASE(zero_totals), T_CASE(value_fallback), T_CASE(one_channel),
       T_CASE(no_null_ignores_nulls), T_CASE(many_channels), T_CASE(empty_journeys_and_options),
       T_CASE(solver_methods_agree), T_CASE(solver_slow_mixing_ring),
       T_CASE(long_walks_many_states), T_CASE(oom_every_allocation))
T_MAIN()
