/*
 * fuzz/fuzz_link_url.c - libFuzzer target for the link redirect URL builder
 * (core/link.c). The input is split at its first newline into a destination
 * and the incoming request's raw query (no newline: all destination); the
 * query also serves as a UTM value. A built URL must fit the cap, parse again
 * as an absolute http(s) URL (or hit only the parameter-count cap), keep the
 * destination's scheme-to-path prefix and fragment, and carry exactly one
 * ut_click. The IP truncation, bot and field checks run on the raw bytes too.
 * Crashes and broken invariants abort.
 */
#include "util/setup.h"

#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "core/bot.h"
#include "core/link.h"
#include "util/url.h"

/* Count parameters named ut_click in the built URL's query. */
static size_t
count_click(const struct ut_url *u)
{
    const char *cur = u->query.ptr;
    struct ut_url_part k, v;
    size_t n = 0;

    if (cur == NULL) {
        return 0;
    }
    while (ut_query_next(&cur, u->query.ptr + u->query.len, &k, &v) == 1) {
        n += k.len == 8 && memcmp(k.ptr, "ut_click", 8) == 0;
    }
    return n;
}

static void
check_built(struct ut_str dest, const struct ut_buf *b)
{
    const char *dcur = dest.ptr, *bcur = b->ptr;
    struct ut_url d, u;
    size_t prefix;
    int err;

    CHECK(b->len <= UT_LINK_URL_MAX && strlen(b->ptr) == b->len);
    CHECK(ut_url_parse(&d, &dcur, dest.ptr + dest.len, 0, NULL) == UT_OK);
    err = ut_url_parse(&u, &bcur, b->ptr + b->len, 0, NULL);
    CHECK(err == UT_OK || (err == UT_ELIMIT && d.nparams + 18 > UT_URL_PARAMS_MAX));
    if (err != UT_OK) {
        return;
    }
    /* scheme, host, port and path are the destination's, byte for byte */
    prefix = d.query.ptr != NULL      ? (size_t)(d.query.ptr - 1 - dest.ptr)
             : d.fragment.ptr != NULL ? (size_t)(d.fragment.ptr - 1 - dest.ptr)
                                      : dest.len;
    CHECK(b->len >= prefix && memcmp(b->ptr, dest.ptr, prefix) == 0);
    CHECK((u.fragment.ptr == NULL) == (d.fragment.ptr == NULL));
    CHECK(u.fragment.len == d.fragment.len);
    if (u.fragment.ptr != NULL && d.fragment.ptr != NULL) {
        CHECK(memcmp(u.fragment.ptr, d.fragment.ptr, d.fragment.len) == 0);
    }
    CHECK(count_click(&u) == 1);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    const char *nl;
    struct ut_str dest, query;
    struct ut_link_utm utm;
    struct ut_buf b = UT_BUF_INIT(UT_LINK_URL_MAX + 4096);
    char ip[UT_IP_TRUNC_MAX];
    int err;

    if (size == 0) {
        return 0;
    }
    nl = memchr(s, '\n', size);
    dest = ut_str_make(s, nl != NULL ? (size_t)(nl - s) : size);
    query = nl != NULL ? ut_str_make(nl + 1, size - dest.len - 1) : UT_STR_NULL;
    utm = (struct ut_link_utm){query, UT_STR("email"), dest, UT_STR_NULL, UT_STR("t")};
    err = ut_link_build_url(dest, &utm, query, UT_STR("0123456789abcdef0123456789abcdef"), &b);
    CHECK(err == UT_OK || err == UT_EPARSE || err == UT_ELIMIT);
    if (err == UT_OK) {
        check_built(dest, &b);
    }
    ut_buf_release(&b);
    /* the other pure parts on the same bytes: they must simply not crash or misreport */
    if (ut_link_ip_truncate(s, size, ip, sizeof(ip)) == UT_OK) {
        CHECK(strlen(ip) < sizeof(ip));
    }
    (void)ut_bot_match(s, size);
    (void)ut_link_slug_check(s, size);
    (void)ut_link_text_check(s, size);
    (void)ut_link_destination_check(s, size, NULL);
    return 0;
}
