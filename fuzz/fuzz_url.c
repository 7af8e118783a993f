/*
 * fuzz/fuzz_url.c - libFuzzer target for util/url: the first byte picks the
 * parse flags, the rest is a URL. Every parsed part must lie inside the
 * input, query iteration must make progress and stay inside the query, and
 * decoding must never grow a value. Crashes and broken invariants abort.
 */
#include "util/setup.h"

#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "util/url.h"

static void
check_part(struct ut_url_part p, const char *start, const char *end)
{
    if (p.ptr == NULL) {
        CHECK(p.len == 0);
        return;
    }
    CHECK(p.ptr >= start && p.ptr <= end && p.len <= (size_t)(end - p.ptr));
}

/* Decode a raw view with every flag combination; the result never outgrows it. */
static void
check_decode(struct ut_url_part p)
{
    static char dst[UT_URL_MAX + 1];
    size_t n = 0;

    for (unsigned flags = 0; flags < 4; flags++) {
        int err = ut_url_decode(p.ptr, p.len, dst, sizeof(dst), &n, flags);

        CHECK(err == UT_OK || err == UT_EPARSE || (err == UT_ELIMIT && p.len >= sizeof(dst)));
        CHECK(err != UT_OK || (n <= p.len && dst[n] == '\0'));
    }
    /* A buffer of exactly len + 1 bytes always suffices. */
    if (p.len < sizeof(dst)) {
        int err = ut_url_decode(p.ptr, p.len, dst, p.len + 1, &n, 0);

        CHECK(err == UT_OK || err == UT_EPARSE);
    }
}

static void
check_query(const char *q, const char *end)
{
    struct ut_url_part k, v;
    const char *cur = q;
    size_t count = 0;

    while (ut_query_next(&cur, end, &k, &v) == 1) {
        CHECK(cur > k.ptr && cur <= end && count++ <= UT_URL_MAX);
        check_part(k, q, end);
        check_part(v, q, end);
        CHECK(v.ptr != NULL);
        check_decode(k);
        check_decode(v);
    }
    CHECK(cur <= end);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s, *end, *cur;
    struct ut_url u;
    struct ut_diag d;
    unsigned flags;
    size_t n = 0;

    if (size == 0) {
        return 0;
    }
    flags = data[0] & 3u;
    s = (const char *)data + 1;
    end = s + (size - 1);
    cur = s;
    if (ut_url_parse(&u, &cur, end, flags, &d) == UT_OK) {
        CHECK(cur == end && u.host_len > 0 && u.host_len <= UT_URL_HOST_MAX);
        CHECK(strlen(u.host) == u.host_len && u.nparams <= UT_URL_PARAMS_MAX);
        check_part(u.scheme, s, end);
        check_part(u.port, s, end);
        check_part(u.path, s, end);
        check_part(u.query, s, end);
        check_part(u.fragment, s, end);
        CHECK(ut_query_check(u.query.ptr, u.query.len, &n, NULL) == UT_OK && n == u.nparams);
        if (u.query.ptr != NULL) {
            check_query(u.query.ptr, u.query.ptr + u.query.len);
        }
        CHECK(ut_url_same_site(u.host, u.host_len, u.host, u.host_len));
        check_part(ut_url_host_site(u.host, u.host_len), u.host, u.host + u.host_len);
    } else {
        CHECK(cur == s);
    }
    check_query(s, end);
    (void)ut_query_check(s, (size_t)(end - s), &n, NULL);
    return 0;
}
