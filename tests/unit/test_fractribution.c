/*
 * tests/unit/test_fractribution.c - the fractribution model: golden credit from
 * google/fractribution on the peer datasets (shapley rows = utmost's
 * fractribution; position_based / linear rows = utmost's position / linear on
 * the transformed paths), hand-derived cases for every transform, conservation
 * and the OOM loop. Reads ../shared/data/peers; never writes files.
 */
#include "util/setup.h"

#include <math.h>
#include <string.h>

#include "t.h"
#include "t_journeys.h"

#include "core/journeys.h"
#include "util/alloc.h"
#include "utmost/attribution.h"

#define MAX_TOUCHES 256
#define MAX_ROWS 512
#define REL_TOL 1e-8

static const char *const tf_names[] = {"exposure", "unique", "first", "frequency"};

/* Worst relative error met against a golden file (printed once at the end). */
static double worst_rel;

/* ---- building sets ------------------------------------------------------------- */

/* ---- golden files ------------------------------------------------------------ */

/*
 * Check credits c of set j against the rows of model (and transform tf when
 * the row names one): every row's channel must match (Unmatched_Channel may be
 * absent from the input), and every credited channel must have a row.
 */
static void
check_rows(const struct ut_journeys *j, const struct ut_credits *c, const struct t_exp_row *rows,
           size_t n, const char *model, const char *tf)
{
    size_t matched = 0, credited = 0;

    for (size_t i = 0; i < n; i++) {
        const struct t_exp_row *r = &rows[i];
        uint32_t id;

        if (strcmp(r->model, model) != 0 || (r->tf[0] != '\0' && strcmp(r->tf, tf) != 0)) {
            continue;
        }
        id = t_channel_id(j, r->channel);
        if (id == UINT32_MAX && strcmp(r->channel, "Unmatched_Channel") == 0) {
            continue;
        }
        if (id == UINT32_MAX) {
            t_fail(__FILE__, __LINE__, "%s/%s: channel '%s' not in the input", model, tf,
                   r->channel);
            return;
        }
        if (!t_close_enough(c->conversions[id], r->credit, REL_TOL, &worst_rel) ||
            (!isnan(r->value) && !t_close_enough(c->value[id], r->value, REL_TOL, &worst_rel))) {
            t_fail(__FILE__, __LINE__, "%s/%s %s: got %.12g / %.12g, want %.12g / %.12g", model, tf,
                   r->channel, c->conversions[id], c->value[id], r->credit, r->value);
            return;
        }
        matched++;
    }
    for (size_t i = 0; i < c->n; i++) {
        credited += c->conversions[i] != 0 || c->value[i] != 0;
    }
    T_TRUE(matched > 0);
    T_TRUE(credited <= matched);
}

/* Credits sum to the set's conversions and value (relative 1e-9) and are never negative. */
static void
check_conserved(const struct ut_journeys *j, const struct ut_credits *c)
{
    double sc = 0, sv = 0, tc = ut_journeys_total_conversions(j);
    double tv = ut_journeys_total_value(j);

    for (size_t i = 0; i < c->n; i++) {
        T_TRUE(c->conversions[i] >= 0);
        sc += c->conversions[i];
        sv += c->value[i];
    }
    T_NEAR(sc, tc, 1e-9);
    T_NEAR(sv, tv, 1e-9);
}

/* ---- transformed copies (for position / linear on transformed paths) ------------ */

/*
 * Transform touches t[0..n) into out as fractribution does, by channel: the
 * frequency tags do not change positions, so frequency keeps first occurrences.
 */
static size_t
transform_touches(enum ut_transform tf, const struct ut_touch *t, size_t n, struct ut_touch *out)
{
    size_t m = 0;

    for (size_t k = 0; k < n; k++) {
        int keep = 1;

        if (tf == UT_TRANSFORM_EXPOSURE) {
            keep = m == 0 || out[m - 1].channel != t[k].channel;
        } else if (tf != UT_TRANSFORM_UNIQUE) {
            for (size_t i = 0; i < m && keep; i++) {
                keep = out[i].channel != t[k].channel;
            }
        }
        if (keep) {
            out[m++] = t[k];
        }
    }
    return m;
}

/* A new set *out with j's channels (same ids) and every journey transformed by tf. */
static int
transformed_copy(const struct ut_journeys *j, enum ut_transform tf, struct ut_journeys **out)
{
    struct ut_touch buf[MAX_TOUCHES];
    struct ut_journeys *c = NULL;
    int err = ut_journeys_new(&c);

    for (uint32_t i = 0; err == UT_OK && i < ut_journeys_channel_count(j); i++) {
        size_t len;
        const char *name = ut_journeys_channel_name(j, i, &len);
        uint32_t id;

        err = ut_journeys_intern(c, name, len, &id);
    }
    for (size_t i = 0; err == UT_OK && i < j->njs; i++) {
        const struct ut__journey *jr = &j->js[i];
        size_t n;

        if (jr->len > MAX_TOUCHES) {
            err = UT_ELIMIT;
            break;
        }
        n = transform_touches(tf, ut__journey_touches(j, jr), jr->len, buf);
        err = ut_journeys_add(c, buf, n, jr->time, jr->conv, jr->nulls, jr->value);
    }
    if (err != UT_OK) {
        ut_journeys_free(c);
        return err;
    }
    *out = c;
    return UT_OK;
}

/* ---- golden tests ----------------------------------------------------------------- */

static struct t_exp_row rows[MAX_ROWS];

/* Run model on j (transform tf) and check it against the rows of golden model gm, transform gtf. */
static void
check_model(const struct ut_journeys *j, const char *model, enum ut_transform tf, size_t nrows,
            const char *gm, const char *gtf)
{
    struct ut_model_opts o = UT_MODEL_OPTS_INIT;
    struct ut_credits c = {0, NULL, NULL};

    o.transform = tf;
    T_OK(ut_attribute(j, model, &o, &c, NULL));
    check_conserved(j, &c);
    if (!t_failed_now) {
        check_rows(j, &c, rows, nrows, gm, gtf);
    }
    ut_credits_release(&c);
}

/* fractribution, and position / linear on the transformed paths, for one transform. */
static void
check_transform(const struct ut_journeys *j, enum ut_transform tf, size_t nrows)
{
    struct ut_journeys *tj = NULL;

    check_model(j, "fractribution", tf, nrows, "shapley", tf_names[tf]);
    if (t_failed_now) {
        return;
    }
    T_OK(transformed_copy(j, tf, &tj));
    check_model(tj, "position", tf, nrows, "position_based", tf_names[tf]);
    if (!t_failed_now) {
        check_model(tj, "linear", tf, nrows, "linear", tf_names[tf]);
    }
    ut_journeys_free(tj);
}

static void
golden(const char *dataset, const char *input)
{
    struct ut_journeys *j = NULL;
    size_t n = t_load_expected(dataset, "fractribution.csv", rows, MAX_ROWS);

    if (n == 0) {
        SKIP("peers data not found");
    }
    T_OK(t_load_peers(input, &j));
    for (int tf = UT_TRANSFORM_EXPOSURE; tf <= UT_TRANSFORM_FREQUENCY && !t_failed_now; tf++) {
        check_transform(j, (enum ut_transform)tf, n);
    }
    ut_journeys_free(j);
}

TEST(golden_data)
{
    golden("Data", "ChannelAttribution_Data.csv");
}

TEST(golden_toy_edge_cases)
{
    golden("toy_edge_cases", "toy_edge_cases.csv");
}

TEST(golden_toy_markov_3paths)
{
    golden("toy_markov_3paths", "toy_markov_3paths.csv");
}

TEST(golden_toy_markov_4rows)
{
    golden("toy_markov_4rows", "toy_markov_4rows.csv");
}

TEST(golden_toy_mta_fixture)
{
    golden("toy_mta_fixture", "toy_mta_fixture.csv");
}

TEST(golden_snowplow_fixture)
{
    golden("snowplow_fixture", "snowplow_fractribution_path_summary_expected.csv");
}

/* The numbers snowplow publishes for its fixture (google/fractribution agrees to ~1e-9). */
TEST(snowplow_published_report)
{
    struct ut_journeys *j = NULL;
    struct ut_credits c = {0, NULL, NULL};

    if (t_load_peers("snowplow_fractribution_path_summary_expected.csv", &j) == UT_EIO) {
        SKIP("peers data not found");
    }
    T_NOTNULL(j);
    T_OK(ut_attribute(j, "fractribution", NULL, &c, NULL));
    T_NEAR(c.conversions[t_channel_id(j, "Direct")], 3.5409582690664606, 1e-9);
    T_NEAR(c.conversions[t_channel_id(j, "Organic_Search")], 1.459041731664606, 1e-9);
    T_NEAR(c.conversions[t_channel_id(j, "Video")], 1.0, 1e-15);
    ut_credits_release(&c);
    ut_journeys_free(j);
}

/* ---- hand-derived cases ------------------------------------------------------------ */

struct jrow {
    const char *path;
    double conv, nulls, value;
};

struct want {
    const char *channel;
    double conv, value;
};

/* A new set holding rows (NULL on failure). */
static struct ut_journeys *
build(const struct jrow *r, size_t n)
{
    struct ut_journeys *j = NULL;

    if (ut_journeys_new(&j) != UT_OK) {
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        if (t_add_path(j, r[i].path, r[i].conv, r[i].nulls, r[i].value) != UT_OK) {
            ut_journeys_free(j);
            return NULL;
        }
    }
    return j;
}

/* fractribution under tf on j gives w (every other channel nothing) and conserves. */
static void
expect(const struct ut_journeys *j, enum ut_transform tf, const struct want *w, size_t n)
{
    struct ut_model_opts o = UT_MODEL_OPTS_INIT;
    struct ut_credits c = {0, NULL, NULL};
    double listed = 0;

    o.transform = tf;
    T_OK(ut_attribute(j, "fractribution", &o, &c, NULL));
    for (size_t i = 0; i < n; i++) {
        uint32_t id = t_channel_id(j, w[i].channel);

        T_TRUE(id != UINT32_MAX);
        T_NEAR(c.conversions[id], w[i].conv, 1e-12);
        T_NEAR(c.value[id], w[i].value, 1e-12);
        listed += w[i].conv;
    }
    check_conserved(j, &c);
    T_NEAR(listed, ut_journeys_total_conversions(j), 1e-12);
    ut_credits_release(&c);
}

/*
 * Repeats. unique: a>a>b (p .5) loses nothing deleting either a (a>b has p .5)
 * and everything deleting b (a>a unseen): all to b; a>b (p .5) vs b (0) and a
 * (.25): 2/3 : 1/3. exposure merges a>a>b into a>b (2 of 4, p .5): 2/3 : 1/3.
 */
TEST(repeats)
{
    static const struct jrow r[] = {
        {"a > a > b", 1, 1, 10}, {"a > b", 1, 1, 20}, {"a", 1, 3, 4}, {"b", 0, 1, 0}};
    static const struct want unique[] = {{"a", 5.0 / 3, 40.0 / 3 + 4}, {"b", 4.0 / 3, 50.0 / 3}};
    static const struct want exposure[] = {{"a", 7.0 / 3, 24}, {"b", 2.0 / 3, 10}};
    struct ut_journeys *j = build(r, UT_ARRAY_LEN(r));

    T_NOTNULL(j);
    expect(j, UT_TRANSFORM_UNIQUE, unique, UT_ARRAY_LEN(unique));
    if (!t_failed_now) {
        expect(j, UT_TRANSFORM_EXPOSURE, exposure, UT_ARRAY_LEN(exposure));
    }
    ut_journeys_free(j);
}

/*
 * Loops. a>b>a (p .5): deleting the first a leaves b>a (.25), deleting b
 * leaves a>a - unseen, not collapsed into a (.5) - and deleting the last a
 * leaves a>b (0): .25 + .5 (a) against .5 (b). b>a (p .25): deleting b leaves
 * a (.5): 0; deleting a leaves b (unseen): .25, all to a. first merges a>b>a
 * into a>b (2 of 5, p .4); frequency makes it a(2)>b(1), distinct from a(1)>b(1).
 */
TEST(loops)
{
    static const struct jrow r[] = {
        {"a > b > a", 2, 2, 40}, {"b > a", 1, 3, 8}, {"a > b", 0, 1, 0}, {"a", 1, 1, 6}};
    static const struct want unique[] = {{"a", 3.2, 38}, {"b", 0.8, 16}};
    static const struct want first[] = {{"a", 4, 54}, {"b", 0, 0}};
    static const struct want freq[] = {{"a", 3, 34}, {"b", 1, 20}};
    struct ut_journeys *j = build(r, UT_ARRAY_LEN(r));

    T_NOTNULL(j);
    expect(j, UT_TRANSFORM_UNIQUE, unique, UT_ARRAY_LEN(unique));
    if (!t_failed_now) {
        expect(j, UT_TRANSFORM_EXPOSURE, unique, UT_ARRAY_LEN(unique));
    }
    if (!t_failed_now) {
        expect(j, UT_TRANSFORM_FIRST, first, UT_ARRAY_LEN(first));
    }
    if (!t_failed_now) {
        expect(j, UT_TRANSFORM_FREQUENCY, freq, UT_ARRAY_LEN(freq));
    }
    ut_journeys_free(j);
}

/*
 * Frequency tags. a>b>a is a(2)>b(1) (p 1); deleting b keeps the tag: a(2) is
 * a>a (p .25), not a(1) (p 1): shares 1 : .75. Under first the same deletion
 * finds a, which merges a>a and a (2 of 5, p .4): shares 1 : .6.
 */
TEST(frequency_tags)
{
    static const struct jrow r[] = {{"a > b > a", 1, 0, 10}, {"a > a", 1, 3, 2}, {"a", 1, 0, 3}};
    static const struct want freq[] = {{"a", 18.0 / 7, 40.0 / 7 + 5}, {"b", 3.0 / 7, 30.0 / 7}};
    static const struct want first[] = {{"a", 2.625, 11.25}, {"b", 0.375, 3.75}};
    struct ut_journeys *j = build(r, UT_ARRAY_LEN(r));

    T_NOTNULL(j);
    expect(j, UT_TRANSFORM_FREQUENCY, freq, UT_ARRAY_LEN(freq));
    if (!t_failed_now) {
        expect(j, UT_TRANSFORM_FIRST, first, UT_ARRAY_LEN(first));
    }
    ut_journeys_free(j);
}

/* Counts past the small ones: a(5) and a(6) are distinct tokens of channel a. */
TEST(frequency_large_counts)
{
    static const struct jrow r[] = {{"a > b > a > a > a > a", 1, 0, 10},
                                    {"a > a > a > a > a", 1, 3, 2},
                                    {"a > a > a > a > a > a", 0, 5, 0},
                                    {"a", 1, 0, 3}};
    static const struct want freq[] = {{"a", 18.0 / 7, 40.0 / 7 + 5}, {"b", 3.0 / 7, 30.0 / 7}};
    struct ut_journeys *j = build(r, UT_ARRAY_LEN(r));

    T_NOTNULL(j);
    expect(j, UT_TRANSFORM_FREQUENCY, freq, UT_ARRAY_LEN(freq));
    ut_journeys_free(j);
}

/* A one-touch path takes all its credit, even value carried without conversions. */
TEST(one_touch)
{
    static const struct jrow r[] = {
        {"a", 3, 1, 30}, {"b", 0, 2, 5}, {"c", 0, 0, 7}, {"a > b", 1, 0, 1}};
    /* a>b (p 1): deleting a leaves b (p 0), deleting b leaves a (p .75): .8 : .2 */
    static const struct want w[] = {{"a", 3.8, 30.8}, {"b", 0.2, 5.2}, {"c", 0, 7}};
    struct ut_journeys *j = build(r, UT_ARRAY_LEN(r));

    T_NOTNULL(j);
    for (int tf = UT_TRANSFORM_EXPOSURE; tf <= UT_TRANSFORM_FREQUENCY && !t_failed_now; tf++) {
        expect(j, (enum ut_transform)tf, w, UT_ARRAY_LEN(w));
    }
    ut_journeys_free(j);
}

/*
 * No position adds anything: a>b (p .5) against a and b (p 1), and c>d with
 * value but no conversions (p 0): last touch takes it all.
 */
TEST(all_zero_shares_last_touch)
{
    static const struct jrow r[] = {{"a > b", 1, 1, 9},
                                    {"a", 1, 0, 1},
                                    {"b", 1, 0, 2},
                                    {"c > d", 0, 3, 5},
                                    {"d > c > d", 0, 0, 4}};
    static const struct want w[] = {{"a", 1, 1}, {"b", 2, 11}, {"c", 0, 0}, {"d", 0, 9}};
    struct ut_journeys *j = build(r, UT_ARRAY_LEN(r));

    T_NOTNULL(j);
    for (int tf = UT_TRANSFORM_EXPOSURE; tf <= UT_TRANSFORM_UNIQUE && !t_failed_now; tf++) {
        expect(j, (enum ut_transform)tf, w, UT_ARRAY_LEN(w));
    }
    ut_journeys_free(j);
}

/* Nothing converts: no credit and no NaN; a path with no journeys' weight has p 0. */
TEST(zero_totals)
{
    static const struct jrow r[] = {{"a > b", 0, 5, 0}, {"b", 0, 0, 0}, {"a", 0, 0, 0}};
    static const struct want w[] = {{"a", 0, 0}, {"b", 0, 0}};
    static const struct jrow r2[] = {{"a > b", 1, 0, 6}, {"b", 0, 0, 0}};
    static const struct want w2[] = {{"a", 0.5, 3}, {"b", 0.5, 3}};
    struct ut_journeys *j = build(r, UT_ARRAY_LEN(r));

    T_NOTNULL(j);
    for (int tf = UT_TRANSFORM_EXPOSURE; tf <= UT_TRANSFORM_FREQUENCY && !t_failed_now; tf++) {
        expect(j, (enum ut_transform)tf, w, UT_ARRAY_LEN(w));
    }
    ut_journeys_free(j);
    if (t_failed_now) {
        return;
    }
    j = build(r2, UT_ARRAY_LEN(r2));
    T_NOTNULL(j);
    expect(j, UT_TRANSFORM_EXPOSURE, w2, UT_ARRAY_LEN(w2));
    ut_journeys_free(j);
}

/* Journeys without touches go to "(none)" through the dispatcher, not the model. */
TEST(empty_journeys_credit_none)
{
    struct ut_journeys *j = build((const struct jrow[]){{"a > b", 1, 1, 4}}, 1);
    struct ut_credits c = {0, NULL, NULL};
    uint32_t none;

    T_NOTNULL(j);
    T_OK(ut_journeys_add(j, NULL, 0, 0, 2, 1, 7));
    none = t_channel_id(j, UT_CHANNEL_NONE);
    T_TRUE(none != UINT32_MAX);
    T_OK(ut_attribute(j, "fractribution", NULL, &c, NULL));
    T_NEAR(c.conversions[none], 2, 0);
    T_NEAR(c.value[none], 7, 0);
    check_conserved(j, &c);
    ut_credits_release(&c);
    ut_journeys_free(j);
}

/* ---- larger sets: conservation, OOM ------------------------------------------------- */

/* n journeys over nch channels "c00".., lengths 0..maxlen, with repeats and loops. */
static struct ut_journeys *
random_set(uint32_t nch, size_t n, uint32_t maxlen, uint64_t seed)
{
    struct ut_touch t[MAX_TOUCHES];
    struct ut_journeys *j = NULL;
    int err = ut_journeys_new(&j);

    for (uint32_t i = 0; err == UT_OK && i < nch; i++) {
        char name[16];
        uint32_t id;

        snprintf(name, sizeof(name), "c%02u", (unsigned)i);
        err = ut_journeys_intern(j, name, strlen(name), &id);
    }
    for (size_t i = 0; err == UT_OK && i < n; i++) {
        uint32_t len = t_lcg(&seed) % (maxlen + 1);
        double conv = t_lcg(&seed) % 3, nulls = t_lcg(&seed) % 4;

        memset(t, 0, sizeof(t));
        for (uint32_t k = 0; k < len; k++) {
            /* Half the touches repeat a recent channel, so transforms matter. */
            t[k].channel =
                k > 0 && t_lcg(&seed) % 2 == 0 ? t[t_lcg(&seed) % k].channel : t_lcg(&seed) % nch;
        }
        err = ut_journeys_add(j, t, len, 0, conv, nulls, conv * (double)(t_lcg(&seed) % 100) / 4);
    }
    if (err != UT_OK) {
        ut_journeys_free(j);
        return NULL;
    }
    return j;
}

TEST(many_channels_conserve)
{
    struct ut_journeys *j = random_set(37, 5000, 14, 42);
    struct ut_model_opts o = UT_MODEL_OPTS_INIT;

    T_NOTNULL(j);
    T_TRUE(ut_journeys_channel_count(j) > 30);
    for (int tf = UT_TRANSFORM_EXPOSURE; tf <= UT_TRANSFORM_FREQUENCY && !t_failed_now; tf++) {
        struct ut_credits c = {0, NULL, NULL};

        o.transform = (enum ut_transform)tf;
        T_OK(ut_attribute(j, "fractribution", &o, &c, NULL));
        T_EQ_SIZE(c.n, ut_journeys_channel_count(j));
        check_conserved(j, &c);
        ut_credits_release(&c);
    }
    ut_journeys_free(j);
}

/* Fail allocation 1, 2, 3... until ut_attribute succeeds: UT_ENOMEM each time, no leak. */
TEST(oom)
{
    struct ut_journeys *j = random_set(12, 3000, 9, 7);
    struct ut_model_opts o = UT_MODEL_OPTS_INIT;

    T_NOTNULL(j);
    for (int tf = UT_TRANSFORM_EXPOSURE; tf <= UT_TRANSFORM_FREQUENCY; tf++) {
        long fails = 0;

        o.transform = (enum ut_transform)tf;
        for (long n = 1; n < 100000; n++) {
            struct ut_credits c = {0, NULL, NULL};
            long live = ut_alloc_live();
            int err;

            ut_alloc_fail_after(n);
            err = ut_attribute(j, "fractribution", &o, &c, NULL);
            ut_alloc_fail_after(0);
            if (err == UT_OK) {
                ut_credits_release(&c);
                break;
            }
            T_ERR(err, UT_ENOMEM);
            T_EQ_I64(ut_alloc_live(), live);
            T_NULL(c.conversions);
            fails++;
        }
        T_TRUE(fails > 10); /* the loop reached the table's growth, not just the setup */
    }
    ut_journeys_free(j);
}

TEST(model_info)
{
    const struct ut_model_info *m = ut_model_find("fractribution");

    T_NOTNULL(m);
    T_EQ_STR(m->name, "fractribution");
    T_EQ_I64(m->flags, UT_MODEL_DATA_DRIVEN);
}

/* Not a check: reports the worst relative error of the golden tests that ran. */
TEST(golden_summary)
{
    if (worst_rel > 0) { /* 0 under --fork: the golden tests ran in children */
        printf("# fractribution: worst relative error against the golden files %.3g\n", worst_rel);
    }
}

T_LIST(T_CASE(golden_data), T_CASE(golden_toy_edge_cases), T_CASE(golden_toy_markov_3paths),
       T_CASE(golden_toy_markov_4rows), T_CASE(golden_toy_mta_fixture),
       T_CASE(golden_snowplow_fixture), T_CASE(snowplow_published_report), T_CASE(repeats),
       T_CASE(loops), T_CASE(frequency_tags), T_CASE(frequency_large_counts), T_CASE(one_touch),
       T_CASE(all_zero_shares_last_touch), T_CASE(zero_totals), T_CASE(empty_journeys_credit_none),
       T_CASE(many_channels_conserve), T_CASE(oom), T_CASE(model_info), T_CASE(golden_summary))

T_MAIN()
