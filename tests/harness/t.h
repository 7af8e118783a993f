/*
 * tests/harness/t.h - the test harness: TEST() functions listed in a table per
 * binary, typed asserts that print both operands, an allocation-leak check per
 * test, optional --fork with a timeout, and the closing line
 * "N passed, N failed" that ctest and CI read.
 *
 *   TEST(parses_header) { T_EQ_I64(parse(...), 0); }
 *   T_LIST(T_CASE(parses_header), ...)
 *   T_MAIN()
 */
#ifndef UT_TESTS_T_H
#define UT_TESTS_T_H

#include <inttypes.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

struct t_case {
    const char *name;
    void (*fn)(void);
};

/* State of the running test; set by the runner, read by the macros. */
extern int t_failed_now;
extern const char *t_skip_reason;
extern const char *t_data_dir; /* tests/data, from UT_TEST_DATA or the build */
extern const char *t_peers_dir; /* ../shared/data/peers, from UT_PEERS_DIR */

void t_fail(const char *file, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int t_main(int argc, char **argv, const struct t_case *cases, size_t n);
/* Read a whole file into a ut_malloc'd NUL-terminated buffer; NULL on failure. */
char *t_read_file(const char *path, size_t *len);
/* Join dir and name into a static buffer (overwritten by the next call). */
const char *t_path(const char *dir, const char *name);

#define TEST(name) static void test_##name(void)
#define T_CASE(name) {#name, test_##name}
#define T_LIST(...) static const struct t_case t_cases[] = {__VA_ARGS__};
#define T_MAIN()                                                                                   \
    int main(int argc, char **argv)                                                                \
    {                                                                                              \
        return t_main(argc, argv, t_cases, sizeof(t_cases) / sizeof(t_cases[0]));                  \
    }

#define SKIP(why)                                                                                  \
    do {                                                                                           \
        t_skip_reason = (why);                                                                     \
        return;                                                                                    \
    } while (0)

#define T_TRUE(c)                                                                                  \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            t_fail(__FILE__, __LINE__, "expected true: %s", #c);                                   \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#define T_EQ_I64(a, b)                                                                             \
    do {                                                                                           \
        int64_t t_a_ = (int64_t)(a), t_b_ = (int64_t)(b);                                          \
        if (t_a_ != t_b_) {                                                                        \
            t_fail(__FILE__, __LINE__, "%s == %s: %" PRId64 " != %" PRId64, #a, #b, t_a_, t_b_);   \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#define T_EQ_SIZE(a, b)                                                                            \
    do {                                                                                           \
        size_t t_a_ = (size_t)(a), t_b_ = (size_t)(b);                                             \
        if (t_a_ != t_b_) {                                                                        \
            t_fail(__FILE__, __LINE__, "%s == %s: %zu != %zu", #a, #b, t_a_, t_b_);                \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#define T_EQ_STR(a, b)                                                                             \
    do {                                                                                           \
        const char *t_a_ = (a), *t_b_ = (b);                                                       \
        if (t_a_ == NULL || t_b_ == NULL || strcmp(t_a_, t_b_) != 0) {                             \
            t_fail(__FILE__, __LINE__, "%s == %s: \"%s\" != \"%s\"", #a, #b,                       \
                   t_a_ ? t_a_ : "(null)", t_b_ ? t_b_ : "(null)");                                \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#define T_EQ_MEM(a, alen, b, blen)                                                                 \
    do {                                                                                           \
        size_t t_al_ = (size_t)(alen), t_bl_ = (size_t)(blen);                                     \
        if (t_al_ != t_bl_ || memcmp((a), (b), t_al_) != 0) {                                      \
            t_fail(__FILE__, __LINE__, "%s == %s: \"%.*s\" != \"%.*s\"", #a, #b, (int)t_al_,       \
                   (const char *)(a), (int)t_bl_, (const char *)(b));                              \
            return;                                                                                \
        }                                                                                          \
    } while (0)

/* |a - b| <= eps * max(1, |b|): relative for large values, absolute near zero. */
#define T_NEAR(a, b, eps)                                                                          \
    do {                                                                                           \
        double t_a_ = (double)(a), t_b_ = (double)(b), t_e_ = (double)(eps);                       \
        double t_s_ = fabs(t_b_) > 1.0 ? fabs(t_b_) : 1.0;                                         \
        if (!(fabs(t_a_ - t_b_) <= t_e_ * t_s_)) {                                                 \
            t_fail(__FILE__, __LINE__, "%s ~ %s: %.17g != %.17g (eps %g)", #a, #b, t_a_, t_b_,     \
                   t_e_);                                                                          \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#define T_OK(e)                                                                                    \
    do {                                                                                           \
        int t_e_ = (e);                                                                            \
        if (t_e_ != 0) {                                                                           \
            t_fail(__FILE__, __LINE__, "%s: expected UT_OK, got %d", #e, t_e_);                    \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#define T_ERR(e, code)                                                                             \
    do {                                                                                           \
        int t_e_ = (e), t_c_ = (code);                                                             \
        if (t_e_ != t_c_) {                                                                        \
            t_fail(__FILE__, __LINE__, "%s: expected %d, got %d", #e, t_c_, t_e_);                 \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#define T_NULL(p) T_TRUE((p) == NULL)
#define T_NOTNULL(p) T_TRUE((p) != NULL)

/* ---- reproducible test data ------------------------------------------------------ */

/* The next 31 bits of a 64-bit LCG (Knuth's MMIX constants) seeded by *s. */
static inline uint32_t
t_lcg(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)(*s >> 33);
}

/* The next 64 bits of splitmix64 seeded by *s. */
static inline uint64_t
t_splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

#endif /* UT_TESTS_T_H */
