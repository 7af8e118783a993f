/*
 * tests/unit/test_models.c - golden tests of the rule-based models and shapley
 * on the peer datasets (first/last/linear against ChannelAttribution's
 * heuristics, shapley against eeghor/mta), hand-derived position,
 * last_non_direct and time_decay credit, "(none)" credit, conservation, and the
 * dispatcher's errors. markov is covered elsewhere and skipped here.
 */
#include "util/setup.h"

#include <math.h>
#include <string.h>

#include "t.h"
#include "t_journeys.h"

#include "utmost/attribution.h"

#define MAX_TOUCHES 256
#define MAX_ROWS 256
#define REL_TOL 1e-8
#define HOUR 3600.0

/* Datasets with a ChannelAttribution-style input and golden files. */
static const char *const datasets[][2] = {
    {"Data", "ChannelAttribution_Data.csv"},        {"toy_edge_cases", "toy_edge_cases.csv"},
    {"toy_markov_3paths", "toy_markov_3paths.csv"}, {"toy_markov_4rows", "toy_markov_4rows.csv"},
    {"toy_mta_fixture", "toy_mta_fixture.csv"},
};

/* Worst relative error met against a golden file (printed once at the end). */
static double worst_rel;

/* ---- sets --------------------------------------------------------------------------- */

static int
intern(struct ut_journeys *j, const char *name, uint32_t *id)
{
    return ut_journeys_intern(j, name, strlen(name), id);
}

/* One touch of a hand-built timed journey. */
struct tt {
    const char *channel;
    double time;
    uint32_t flags;
};

/* Append a timed journey converting at time T. */
static int
add_timed(struct ut_journeys *j, const struct tt *tt, size_t n, double T, double conv, double value)
{
    struct ut_touch t[MAX_TOUCHES];

    if (n > MAX_TOUCHES) {
        return UT_ELIMIT;
    }
    for (size_t k = 0; k < n; k++) {
        int err = intern(j, tt[k].channel, &t[k].channel);

        if (err != UT_OK) {
            return err;
        }
        t[k].flags = tt[k].flags;
        t[k].time = tt[k].time;
    }
    return ut_journeys_add(j, t, n, T, conv, 0, value);
}

/* ---- golden files ------------------------------------------------------------------- */

static struct t_exp_row rows[MAX_ROWS];

/* Credits sum to the set's conversions and value (relative 1e-9) and are never negative. */
static void
check_conserved(const struct ut_journeys *j, const struct ut_credits *c)
{
    double sc = 0, sv = 0;

    T_EQ_SIZE(c->n, ut_journeys_channel_count(j));
    for (size_t i = 0; i < c->n; i++) {
        T_TRUE(c->conversions[i] >= 0);
        sc += c->conversions[i];
        sv += c->value[i];
    }
    T_NEAR(sc, ut_journeys_total_conversions(j), 1e-9);
    T_NEAR(sv, ut_journeys_total_value(j), 1e-9);
}

/*
 * Run model on j and check it against the n rows of golden model gm: every
 * row's channel matches, every credited channel has a row, totals conserve.
 */
static void
check_golden(const struct ut_journeys *j, const char *model, size_t n, const char *gm)
{
    struct ut_credits c = {0, NULL, NULL};
    size_t matched = 0, credited = 0;

    T_OK(ut_attribute(j, model, NULL, &c, NULL));
    check_conserved(j, &c);
    for (size_t i = 0; i < n && !t_failed_now; i++) {
        uint32_t id = t_channel_id(j, rows[i].channel);

        if (strcmp(rows[i].model, gm) != 0) {
            continue;
        }
        if (id == UINT32_MAX ||
            !t_close_enough(c.conversions[id], rows[i].credit, REL_TOL, &worst_rel) ||
            (!isnan(rows[i].value) &&
             !t_close_enough(c.value[id], rows[i].value, REL_TOL, &worst_rel))) {
            t_fail(__FILE__, __LINE__, "%s %s: got %.12g / %.12g, want %.12g / %.12g", model,
                   rows[i].channel, id != UINT32_MAX ? c.conversions[id] : (double)NAN,
                   id != UINT32_MAX ? c.value[id] : (double)NAN, rows[i].credit, rows[i].value);
        }
        matched++;
    }
    for (size_t i = 0; i < c.n; i++) {
        credited += c.conversions[i] != 0 || c.value[i] != 0;
    }
    ut_credits_release(&c);
    if (t_failed_now) {
        return;
    }
    T_TRUE(matched > 0);
    T_TRUE(credited <= matched);
}

/* ---- golden tests -------------------------------------------------------------------- */

/* first / last / linear against ChannelAttribution, shapley against eeghor/mta. */
static void
golden(const char *dataset, const char *input)
{
    static const char *const heur[][2] = {
        {"first", "first_touch"}, {"last", "last_touch"}, {"linear", "linear_touch"}};
    struct ut_journeys *j = NULL;
    size_t n = t_load_expected(dataset, "ca_heuristic.csv", rows, MAX_ROWS);

    if (n == 0) {
        SKIP("peers data not found");
    }
    T_OK(t_load_peers(input, &j));
    for (size_t i = 0; i < UT_ARRAY_LEN(heur) && !t_failed_now; i++) {
        check_golden(j, heur[i][0], n, heur[i][1]);
    }
    n = t_load_expected(dataset, "mta_shapley.csv", rows, MAX_ROWS);
    if (!t_failed_now) {
        T_TRUE(n > 0);
        check_golden(j, "shapley", n, "shapley"); /* value: conserved, not in the file */
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

/* ---- hand-derived credit -------------------------------------------------------------- */

struct want {
    const char *channel;
    double conv, value;
};

/* model with options o (NULL: defaults) on j gives exactly w (others nothing). */
static void
expect(const struct ut_journeys *j, const char *model, const struct ut_model_opts *o,
       const struct want *w, size_t n)
{
    struct ut_credits c = {0, NULL, NULL};
    double listed = 0;

    T_OK(ut_attribute(j, model, o, &c, NULL));
    for (size_t i = 0; i < n; i++) {
        uint32_t id = t_channel_id(j, w[i].channel);

        T_TRUE(id != UINT32_MAX);
        T_NEAR(c.conversions[id], w[i].conv, 1e-12);
        T_NEAR(c.value[id], w[i].value, 1e-12);
        listed += w[i].conv;
    }
    T_NEAR(listed, ut_journeys_total_conversions(j), 1e-12);
    check_conserved(j, &c);
    ut_credits_release(&c);
}

/* Untimed set of the paths used by the position tests (6 conversions, value 150). */
static struct ut_journeys *
position_set(void)
{
    struct ut_journeys *j = NULL;

    if (ut_journeys_new(&j) != UT_OK) {
        return NULL;
    }
    if (t_add_path(j, "a", 1, 0, 10) != UT_OK || t_add_path(j, "a > b", 2, 1, 20) != UT_OK ||
        t_add_path(j, "a > b > c", 1, 0, 10) != UT_OK ||
        t_add_path(j, "a > b > c > d", 1, 0, 100) != UT_OK ||
        t_add_path(j, "a > b > a", 1, 0, 10) != UT_OK || t_add_path(j, "d > c", 0, 4, 0) != UT_OK) {
        ut_journeys_free(j);
        return NULL;
    }
    return j;
}

/*
 * L=1 takes all; L=2 splits P:Q normalised (40/40: .5/.5, 30/50: .375/.625);
 * L>=3 gives P to the first, Q to the last, the rest evenly to the middle
 * (a>b>a: a collects both ends).
 */
TEST(position_shares)
{
    static const struct want w4040[] = {
        {"a", 3.6, 72}, {"b", 1.5, 24}, {"c", 0.5, 14}, {"d", 0.4, 40}};
    static const struct want w3050[] = {
        {"a", 3.15, 58.5}, {"b", 1.75, 26.5}, {"c", 0.6, 15}, {"d", 0.5, 50}};
    struct ut_model_opts o = UT_MODEL_OPTS_INIT;
    struct ut_journeys *j = position_set();

    T_NOTNULL(j);
    expect(j, "position", NULL, w4040, UT_ARRAY_LEN(w4040));
    o.position_first = 30;
    o.position_last = 50;
    if (!t_failed_now) {
        expect(j, "position", &o, w3050, UT_ARRAY_LEN(w3050));
    }
    ut_journeys_free(j);
}

/* P + Q = 0: L=2 splits evenly, the middle takes all; P + Q = 100: the middle nothing. */
TEST(position_extremes)
{
    static const struct want w00[] = {{"a", 2, 20}, {"b", 3.5, 80}, {"c", 0.5, 50}, {"d", 0, 0}};
    static const struct want w5050[] = {{"a", 4, 85}, {"b", 1, 10}, {"c", 0.5, 5}, {"d", 0.5, 50}};
    struct ut_model_opts o = UT_MODEL_OPTS_INIT;
    struct ut_journeys *j = position_set();

    T_NOTNULL(j);
    o.position_first = 0;
    o.position_last = 0;
    expect(j, "position", &o, w00, UT_ARRAY_LEN(w00));
    o.position_first = 50;
    o.position_last = 50;
    if (!t_failed_now) {
        expect(j, "position", &o, w5050, UT_ARRAY_LEN(w5050));
    }
    ut_journeys_free(j);
}

/* The last touch that is not direct; the last touch when all are direct. */
TEST(last_non_direct)
{
    static const struct tt j1[] = {{"a", 10, 0}, {"direct", 20, UT_TOUCH_DIRECT}};
    static const struct tt j2[] = {{"direct", 10, UT_TOUCH_DIRECT},
                                   {"direct", 20, UT_TOUCH_DIRECT}};
    static const struct tt j3[] = {{"a", 1, 0}, {"b", 2, 0}, {"direct", 3, UT_TOUCH_DIRECT}};
    static const struct tt j4[] = {
        {"direct", 1, UT_TOUCH_DIRECT}, {"a", 2, 0}, {"direct", 3, UT_TOUCH_DIRECT}};
    static const struct tt j5[] = {{"direct", 5, UT_TOUCH_DIRECT}};
    static const struct tt j6[] = {{"b", 1, 0}, {"a", 2, 0}};
    static const struct want w[] = {{"a", 3, 110}, {"b", 2, 30}, {"direct", 2, 70}};
    struct ut_journeys *j = NULL;

    T_OK(ut_journeys_new(&j));
    ut_journeys_set_timed(j, 1);
    T_OK(add_timed(j, j1, UT_ARRAY_LEN(j1), 100, 1, 10));
    T_OK(add_timed(j, j2, UT_ARRAY_LEN(j2), 100, 1, 20));
    T_OK(add_timed(j, j3, UT_ARRAY_LEN(j3), 100, 2, 30));
    T_OK(add_timed(j, j4, UT_ARRAY_LEN(j4), 100, 1, 40));
    T_OK(add_timed(j, j5, UT_ARRAY_LEN(j5), 100, 1, 50));
    T_OK(add_timed(j, j6, UT_ARRAY_LEN(j6), 100, 1, 60));
    expect(j, "last_non_direct", NULL, w, UT_ARRAY_LEN(w));
    ut_journeys_free(j);
}

/*
 * Weight 2^(-(T - t) / half-life), normalised per conversion: one hour apart
 * with a one-hour half-life gives 1 : 2 : 4. Touches 4000 half-lives before T
 * still split 1 : 2 (the weights underflow taken literally; the normalised
 * shares do not). Repeats add up.
 */
TEST(time_decay)
{
    static const struct tt j1[] = {{"a", 8 * HOUR, 0}, {"b", 9 * HOUR, 0}, {"c", 10 * HOUR, 0}};
    static const struct tt j2[] = {{"a", 1000 * HOUR, 0}, {"b", 1001 * HOUR, 0}};
    static const struct tt j3[] = {{"a", 9 * HOUR, 0}, {"a", 10 * HOUR, 0}};
    static const struct want w[] = {{"a", 3, 8}, {"b", 4, 6}, {"c", 4, 8}};
    struct ut_model_opts o = UT_MODEL_OPTS_INIT;
    struct ut_journeys *j = NULL;

    T_OK(ut_journeys_new(&j));
    ut_journeys_set_timed(j, 1);
    T_OK(add_timed(j, j1, UT_ARRAY_LEN(j1), 10 * HOUR, 7, 14));
    T_OK(add_timed(j, j2, UT_ARRAY_LEN(j2), 5000 * HOUR, 3, 3));
    T_OK(add_timed(j, j3, UT_ARRAY_LEN(j3), 10 * HOUR, 1, 5));
    o.half_life = HOUR;
    expect(j, "time_decay", &o, w, UT_ARRAY_LEN(w));
    ut_journeys_free(j);
}

/* The default half-life is 7 days: a touch 7 days before the last weighs half. */
TEST(time_decay_default_half_life)
{
    static const struct tt t[] = {{"a", 0, 0}, {"b", 7 * 86400.0, 0}};
    static const struct want w[] = {{"a", 1, 3}, {"b", 2, 6}};
    struct ut_journeys *j = NULL;

    T_OK(ut_journeys_new(&j));
    ut_journeys_set_timed(j, 1);
    T_OK(add_timed(j, t, UT_ARRAY_LEN(t), 7 * 86400.0, 3, 9));
    expect(j, "time_decay", NULL, w, UT_ARRAY_LEN(w));
    ut_journeys_free(j);
}

/* ---- every model ------------------------------------------------------------------------ */

/* Models this file covers: all but markov (tested with its own golden files). */
static int
covered(const struct ut_model_info *m)
{
    return strcmp(m->name, "markov") != 0;
}

/* Journeys without touches credit "(none)" in every model; the rest still conserves. */
TEST(none_credit_every_model)
{
    static const struct tt t[] = {{"a", 10, 0}, {"b", 20, UT_TOUCH_DIRECT}};
    struct ut_journeys *j = NULL;
    uint32_t none;

    T_OK(ut_journeys_new(&j));
    ut_journeys_set_timed(j, 1);
    T_OK(add_timed(j, t, UT_ARRAY_LEN(t), 30, 1, 5));
    T_OK(ut_journeys_add(j, NULL, 0, 30, 2, 1, 7));
    T_OK(ut_journeys_add(j, NULL, 0, 40, 0, 3, 0));
    none = t_channel_id(j, UT_CHANNEL_NONE);
    T_TRUE(none != UINT32_MAX);
    for (size_t i = 0; i < ut_model_count() && !t_failed_now; i++) {
        const struct ut_model_info *m = ut_model_at(i);
        struct ut_credits c = {0, NULL, NULL};

        if (!covered(m)) {
            continue;
        }
        T_OK(ut_attribute(j, m->name, NULL, &c, NULL));
        check_conserved(j, &c);
        if (!t_failed_now && (c.conversions[none] != 2 || c.value[none] != 7)) {
            t_fail(__FILE__, __LINE__, "%s: (none) got %g / %g", m->name, c.conversions[none],
                   c.value[none]);
        }
        ut_credits_release(&c);
    }
    ut_journeys_free(j);
}

/* Every untimed model conserves on every dataset; timed ones refuse the untimed sets. */
TEST(conservation_every_dataset)
{
    for (size_t d = 0; d < UT_ARRAY_LEN(datasets) && !t_failed_now; d++) {
        struct ut_journeys *j = NULL;

        if (t_load_peers(datasets[d][1], &j) == UT_EIO) {
            SKIP("peers data not found");
        }
        T_NOTNULL(j);
        for (size_t i = 0; i < ut_model_count() && !t_failed_now; i++) {
            const struct ut_model_info *m = ut_model_at(i);
            struct ut_credits c = {0, NULL, NULL};

            if (!covered(m)) {
                continue;
            }
            if ((m->flags & UT_MODEL_TIMED) != 0) {
                T_ERR(ut_attribute(j, m->name, NULL, &c, NULL), UT_EINVAL);
                T_NULL(c.conversions);
                continue;
            }
            T_OK(ut_attribute(j, m->name, NULL, &c, NULL));
            check_conserved(j, &c);
            ut_credits_release(&c);
        }
        ut_journeys_free(j);
    }
}

/* Every covered model, timed ones included, conserves on random timed journeys. */
TEST(conservation_random_timed)
{
    static const char *const names[] = {"direct", "email", "search", "social", "video", "tv"};
    struct ut_journeys *j = NULL;
    uint64_t seed = 99;

    T_OK(ut_journeys_new(&j));
    ut_journeys_set_timed(j, 1);
    for (size_t i = 0; i < 2000; i++) {
        struct tt t[12];
        size_t n = t_lcg(&seed) % 12;
        double conv = t_lcg(&seed) % 3;

        for (size_t k = 0; k < n; k++) {
            t[k].channel = names[t_lcg(&seed) % UT_ARRAY_LEN(names)];
            t[k].flags = strcmp(t[k].channel, "direct") == 0 ? UT_TOUCH_DIRECT : 0;
            t[k].time = 1.7e9 + (double)(k * 86400 + t_lcg(&seed) % 86400);
        }
        T_OK(add_timed(j, t, n, 1.7e9 + 13 * 86400.0, conv, conv * (t_lcg(&seed) % 500)));
    }
    for (size_t i = 0; i < ut_model_count() && !t_failed_now; i++) {
        struct ut_credits c = {0, NULL, NULL};

        if (!covered(ut_model_at(i))) {
            continue;
        }
        T_OK(ut_attribute(j, ut_model_at(i)->name, NULL, &c, NULL));
        check_conserved(j, &c);
        ut_credits_release(&c);
    }
    ut_journeys_free(j);
}

/* ---- dispatcher errors -------------------------------------------------------------------- */

TEST(timed_models_refuse_untimed_sets)
{
    struct ut_journeys *j = NULL;
    struct ut_credits c = {0, NULL, NULL};

    T_OK(ut_journeys_new(&j));
    T_OK(t_add_path(j, "a > b", 1, 0, 1));
    T_TRUE((ut_model_find("time_decay")->flags & UT_MODEL_TIMED) != 0);
    T_TRUE((ut_model_find("last_non_direct")->flags & UT_MODEL_TIMED) != 0);
    T_ERR(ut_attribute(j, "time_decay", NULL, &c, NULL), UT_EINVAL);
    T_ERR(ut_attribute(j, "last_non_direct", NULL, &c, NULL), UT_EINVAL);
    T_NULL(c.conversions);
    ut_journeys_set_timed(j, 1);
    T_OK(ut_attribute(j, "time_decay", NULL, &c, NULL));
    ut_credits_release(&c);
    ut_journeys_free(j);
}

TEST(unknown_model)
{
    struct ut_journeys *j = NULL;
    struct ut_credits c = {77, NULL, NULL};

    T_OK(ut_journeys_new(&j));
    T_ERR(ut_attribute(j, "nope", NULL, &c, NULL), UT_ENOTFOUND);
    T_EQ_SIZE(c.n, 77);
    T_NULL(ut_model_find("nope"));
    T_NULL(ut_model_find(""));
    ut_journeys_free(j);
}

/* Options out of range are refused for any model; the limits themselves are accepted. */
TEST(bad_options)
{
    static const struct {
        unsigned order;
        double first, last, half_life;
        int transform;
        int ok;
    } cases[] = {
        {0, 40, 40, 60, 0, 0},          {5, 40, 40, 60, 0, 0},
        {1, 60, 50, 60, 0, 0},          {1, -1, 40, 60, 0, 0},
        {1, 40, 40, 0, 0, 0},           {1, 40, 40, -5, 0, 0},
        {1, 40, 40, (double)NAN, 0, 0}, {1, 40, 40, (double)INFINITY, 0, 0},
        {1, (double)NAN, 40, 60, 0, 0}, {1, 40, 40, 60, 4, 0},
        {4, 50, 50, 60, 3, 1},          {1, 0, 0, 1e-3, 0, 1},
    };
    struct ut_journeys *j = NULL;

    T_OK(ut_journeys_new(&j));
    T_OK(t_add_path(j, "a > b", 1, 0, 1));
    for (size_t i = 0; i < UT_ARRAY_LEN(cases) && !t_failed_now; i++) {
        struct ut_model_opts o = UT_MODEL_OPTS_INIT;
        struct ut_credits c = {0, NULL, NULL};
        int err;

        o.order = cases[i].order;
        o.position_first = cases[i].first;
        o.position_last = cases[i].last;
        o.half_life = cases[i].half_life;
        o.transform = (enum ut_transform)cases[i].transform;
        err = ut_attribute(j, "first", &o, &c, NULL);
        if (err != (cases[i].ok ? UT_OK : UT_EINVAL)) {
            t_fail(__FILE__, __LINE__, "case %zu: got %d", i, err);
        }
        ut_credits_release(&c);
    }
    ut_journeys_free(j);
}

/* The table lists every model once, in canonical order, and find() agrees with at(). */
TEST(model_table)
{
    static const char *const names[] = {"first",  "last",     "last_non_direct",
                                        "linear", "position", "time_decay",
                                        "markov", "shapley",  "fractribution"};

    T_EQ_SIZE(ut_model_count(), UT_ARRAY_LEN(names));
    for (size_t i = 0; i < UT_ARRAY_LEN(names); i++) {
        T_EQ_STR(ut_model_at(i)->name, names[i]);
        T_TRUE(ut_model_find(names[i]) == ut_model_at(i));
    }
    T_NULL(ut_model_at(UT_ARRAY_LEN(names)));
}

/* Not a check: reports the worst relative error of the golden tests that ran. */
TEST(golden_summary)
{
    if (worst_rel > 0) { /* 0 under --fork: the golden tests ran in children */
        printf("# models: worst relative error against the golden files %.3g\n", worst_rel);
    }
}

T_LIST(T_CASE(golden_data), T_CASE(golden_toy_edge_cases), T_CASE(golden_toy_markov_3paths),
       T_CASE(golden_toy_markov_4rows), T_CASE(golden_toy_mta_fixture), T_CASE(position_shares),
       T_CASE(position_extremes), T_CASE(last_non_direct), T_CASE(time_decay),
       T_CASE(time_decay_default_half_life), T_CASE(none_credit_every_model),
       T_CASE(conservation_every_dataset), T_CASE(conservation_random_timed),
       T_CASE(timed_models_refuse_untimed_sets), T_CASE(unknown_model), T_CASE(bad_options),
       T_CASE(model_table), T_CASE(golden_summary))

T_MAIN()
