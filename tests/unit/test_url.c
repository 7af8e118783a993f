/*
 * tests/unit/test_url.c - util/url: accepted and rejected URLs (table-driven),
 * caps, views that never read past the given end, query iteration, percent
 * and '+' decoding, and the site helpers. No files, no allocation.
 */
#include "util/setup.h"

#include <string.h>

#include "t.h"

#include "util/alloc.h"
#include "util/url.h"

/* ---- helpers ------------------------------------------------------------------- */

static int
parse(const char *s, unsigned flags, struct ut_url *u)
{
    const char *cur = s;

    return ut_url_parse(u, &cur, s + strlen(s), flags, NULL);
}

static int
part_eq(struct ut_url_part p, const char *want)
{
    if (want == NULL) {
        return p.ptr == NULL && p.len == 0;
    }
    return p.ptr != NULL && p.len == strlen(want) && memcmp(p.ptr, want, p.len) == 0;
}

/* ---- accepted URLs ------------------------------------------------------------- */

struct ok_case {
    const char *in;
    unsigned flags;
    const char *host, *port, *path, *query, *fragment;
    size_t nparams;
};

static const struct ok_case ok_cases[] = {
    {"http://example.com", 0, "example.com", NULL, NULL, NULL, NULL, 0},
    {"https://example.com/", 0, "example.com", NULL, "/", NULL, NULL, 0},
    {"HTTPS://WWW.Example.COM/A/b?X=1#Top", 0, "www.example.com", NULL, "/A/b", "X=1", "Top", 1},
    {"http://example.com:8080/p", 0, "example.com", "8080", "/p", NULL, NULL, 0},
    {"http://example.com?a=1&b=2", 0, "example.com", NULL, NULL, "a=1&b=2", NULL, 2},
    {"http://example.com/?", 0, "example.com", NULL, "/", "", NULL, 0},
    {"http://example.com/#", 0, "example.com", NULL, "/", NULL, "", 0},
    {"http://example.com/p#f?x=1", 0, "example.com", NULL, "/p", NULL, "f?x=1", 0},
    {"http://example.com/?a&&b=&", 0, "example.com", NULL, "/", "a&&b=&", NULL, 2},
    {"http://example.com./x", 0, "example.com", NULL, "/x", NULL, NULL, 0},
    {"http://[::1]:3000/x", 0, "[::1]", "3000", "/x", NULL, NULL, 0},
    {"http://[2001:DB8::1]/", 0, "[2001:db8::1]", NULL, "/", NULL, NULL, 0},
    {"http://b\xc3\xbc"
     "cher.DE/",
     0,
     "b\xc3\xbc"
     "cher.de",
     NULL, "/", NULL, NULL, 0},
    {"http://a.com/%41%e2%82%ac?q=%20", 0, "a.com", NULL, "/%41%e2%82%ac", "q=%20", NULL, 1},
    {"http://a.com/#100%", 0, "a.com", NULL, "/", NULL, "100%", 0},
    {"http://a_b-c.example/", 0, "a_b-c.example", NULL, "/", NULL, NULL, 0},
    {"http://localhost:65535", 0, "localhost", "65535", NULL, NULL, NULL, 0},
    {"example.com/path?x=1", UT_URL_NO_SCHEME, "example.com", NULL, "/path", "x=1", NULL, 1},
    {"//Example.com", UT_URL_NO_SCHEME, "example.com", NULL, NULL, NULL, NULL, 0},
    {"example.com:81", UT_URL_NO_SCHEME, "example.com", "81", NULL, NULL, NULL, 0},
    {"android-app://com.google.android.gm/", UT_URL_ANY_SCHEME, "com.google.android.gm", NULL, "/",
     NULL, NULL, 0},
    {"https://x.com", UT_URL_NO_SCHEME | UT_URL_ANY_SCHEME, "x.com", NULL, NULL, NULL, NULL, 0},
};

TEST(parse_accepts)
{
    for (size_t i = 0; i < UT_ARRAY_LEN(ok_cases); i++) {
        const struct ok_case *c = &ok_cases[i];
        struct ut_url u;
        int err = parse(c->in, c->flags, &u);

        if (err != UT_OK) {
            t_fail(__FILE__, __LINE__, "case %zu '%s': error %d", i, c->in, err);
            return;
        }
        T_EQ_STR(u.host, c->host);
        T_EQ_SIZE(u.host_len, strlen(c->host));
        T_TRUE(part_eq(u.port, c->port));
        T_TRUE(part_eq(u.path, c->path));
        T_TRUE(part_eq(u.query, c->query));
        T_TRUE(part_eq(u.fragment, c->fragment));
        T_EQ_SIZE(u.nparams, c->nparams);
    }
}

TEST(parse_scheme_and_port_fields)
{
    struct ut_url u;

    T_OK(parse("HtTpS://a.com:443/", 0, &u));
    T_EQ_MEM(u.scheme.ptr, u.scheme.len, "HtTpS", 5);
    T_EQ_I64(u.port_num, 443);
    T_OK(parse("a.com/x", UT_URL_NO_SCHEME, &u));
    T_NULL(u.scheme.ptr);
    T_EQ_I64(u.port_num, 0);
}

/* ---- rejected URLs ------------------------------------------------------------- */

struct bad_case {
    const char *in;
    unsigned flags;
    int err;
    size_t col; /* expected diag column, 0 = not checked */
};

static const struct bad_case bad_cases[] = {
    {"", 0, UT_EPARSE, 1},
    {"example.com/x", 0, UT_EPARSE, 1},
    {"ftp://example.com/", 0, UT_EPARSE, 1},
    {"javascript://x.com/%0aalert(1)", 0, UT_EPARSE, 1},
    {"http:example.com", 0, UT_EPARSE, 0},
    {"http:/example.com", UT_URL_NO_SCHEME, UT_EPARSE, 0},
    {"http://", 0, UT_EPARSE, 8},
    {"http:///path", 0, UT_EPARSE, 8},
    {"http://.a.com/", 0, UT_EPARSE, 8},
    {"http://a..com/", 0, UT_EPARSE, 10},
    {"http://.", 0, UT_EPARSE, 8},
    {"http://user:pw@a.com/", 0, UT_EPARSE, 0},
    {"http://user@a.com/", 0, UT_EPARSE, 12},
    {"http://a b.com/", 0, UT_EPARSE, 9},
    {"http://a%41.com/", 0, UT_EPARSE, 9},
    {"http://a.com:/", 0, UT_EPARSE, 14},
    {"http://a.com:0/", 0, UT_EPARSE, 14},
    {"http://a.com:65536/", 0, UT_EPARSE, 14},
    {"http://a.com:123456/", 0, UT_EPARSE, 14},
    {"http://a.com:8a/", 0, UT_EPARSE, 15},
    {"http://[::1/", 0, UT_EPARSE, 8},
    {"http://[]/", 0, UT_EPARSE, 8},
    {"http://[::g]/", 0, UT_EPARSE, 8},
    {"http://[::1]x/", 0, UT_EPARSE, 8},
    {"http://a.com/%zz", 0, UT_EPARSE, 14},
    {"http://a.com/%4", 0, UT_EPARSE, 14},
    {"http://a.com/?q=%", 0, UT_EPARSE, 17},
    {"http://a.com/?q=100%25%2", 0, UT_EPARSE, 23},
    {"http://a.com/a b", 0, UT_EPARSE, 15},
    {"http://a.com/?q=a\tb", 0, UT_EPARSE, 18},
    {"http://a.com/\x7f", 0, UT_EPARSE, 14},
    {"http://a.com/#a\nb", 0, UT_EPARSE, 16},
    {"http://a.com\r\n", 0, UT_EPARSE, 13},
    {"localhost/x", UT_URL_NO_SCHEME, UT_EPARSE, 1},
    {"android-app://com.google.android.gm/", 0, UT_EPARSE, 1},
    {"1http://a.com", UT_URL_ANY_SCHEME, UT_EPARSE, 0},
};

TEST(parse_rejects)
{
    for (size_t i = 0; i < UT_ARRAY_LEN(bad_cases); i++) {
        const struct bad_case *c = &bad_cases[i];
        const char *cur = c->in, *end = c->in + strlen(c->in);
        struct ut_url u;
        struct ut_diag d;
        int err;

        memset(&u, 0x5a, sizeof(u));
        memset(&d, 0, sizeof(d));
        err = ut_url_parse(&u, &cur, end, c->flags, &d);
        if (err != c->err || cur != c->in || (c->col != 0 && d.col != c->col)) {
            t_fail(__FILE__, __LINE__, "case %zu '%s': err %d col %zu (%s)", i, c->in, err, d.col,
                   d.msg);
            return;
        }
        T_TRUE(d.msg[0] != '\0');
        T_EQ_I64((unsigned char)u.host[0], 0x5a); /* untouched on failure */
    }
}

TEST(parse_advances_cursor_only_on_success)
{
    const char *s = "https://a.com/x";
    const char *cur = s;
    struct ut_url u;

    T_OK(ut_url_parse(&u, &cur, s + strlen(s), 0, NULL));
    T_TRUE(cur == s + strlen(s));
    cur = s;
    T_ERR(ut_url_parse(&u, &cur, s + 3, 0, NULL), UT_EPARSE);
    T_TRUE(cur == s);
}

TEST(parse_never_reads_past_end)
{
    /* The bytes after end are invalid; a parser that read them would fail. */
    static const char buf[] = "https://a.com/p?utm_source=x\x01\x02%zz";
    const char *cur = buf;
    struct ut_url u;

    T_OK(ut_url_parse(&u, &cur, buf + 28, 0, NULL));
    T_TRUE(part_eq(u.query, "utm_source=x"));
    cur = buf;
    T_OK(ut_url_parse(&u, &cur, buf + 13, 0, NULL)); /* "https://a.com" */
    T_EQ_STR(u.host, "a.com");
    T_NULL(u.path.ptr);
}

/* ---- caps ---------------------------------------------------------------------- */

/* "https://a.com/?" followed by '&'-joined "p=1" parameters, padded with 'x' in the path. */
static size_t
build_url(char *buf, size_t cap, size_t total, size_t params)
{
    size_t n = 0;

    memcpy(buf, "https://a.com/", 14);
    n = 14;
    while (n < total - params * 4) {
        buf[n++] = 'x';
    }
    for (size_t i = 0; i < params; i++) {
        memcpy(buf + n, i == 0 ? "?p=1" : "&p=1", 4);
        n += 4;
    }
    (void)cap;
    assert(n <= cap);
    return n;
}

TEST(limits)
{
    static char buf[UT_URL_MAX + 64];
    struct ut_url u;
    const char *cur;
    size_t n;

    n = build_url(buf, sizeof(buf), UT_URL_MAX, 0);
    T_EQ_SIZE(n, UT_URL_MAX);
    cur = buf;
    T_OK(ut_url_parse(&u, &cur, buf + n, 0, NULL));
    n = build_url(buf, sizeof(buf), UT_URL_MAX + 1, 0);
    cur = buf;
    T_ERR(ut_url_parse(&u, &cur, buf + n, 0, NULL), UT_ELIMIT);
    n = build_url(buf, sizeof(buf), 2000, UT_URL_PARAMS_MAX);
    cur = buf;
    T_OK(ut_url_parse(&u, &cur, buf + n, 0, NULL));
    T_EQ_SIZE(u.nparams, UT_URL_PARAMS_MAX);
    n = build_url(buf, sizeof(buf), 2000, UT_URL_PARAMS_MAX + 1);
    cur = buf;
    T_ERR(ut_url_parse(&u, &cur, buf + n, 0, NULL), UT_ELIMIT);
}

TEST(host_limit)
{
    static char buf[400];
    struct ut_url u;
    const char *cur;
    size_t n = 7;

    memcpy(buf, "http://", 7);
    for (size_t i = 0; i < 64; i++) { /* 64 labels "abc." = 256 bytes */
        memcpy(buf + n, "abc.", 4);
        n += 4;
    }
    buf[n - 1] = 'x'; /* a 256-byte host */
    cur = buf;
    T_ERR(ut_url_parse(&u, &cur, buf + n, 0, NULL), UT_ELIMIT);
    buf[n - 1] = '.'; /* 255 bytes and a trailing dot, which does not count */
    cur = buf;
    T_OK(ut_url_parse(&u, &cur, buf + n, 0, NULL));
    T_EQ_SIZE(u.host_len, 255);
    T_EQ_I64(u.host[254], 'c');
}

/* ---- query iteration ----------------------------------------------------------- */

TEST(query_next)
{
    static const char q[] = "&a=1&&b=&c&=d&e=f=g&";
    static const char *const want[][2] = {
        {"a", "1"}, {"b", ""}, {"c", ""}, {"", "d"}, {"e", "f=g"}};
    const char *cur = q, *end = q + strlen(q), *before;
    struct ut_url_part k, v;
    size_t i = 0;

    while (ut_query_next(&cur, end, &k, &v) == 1) {
        T_TRUE(i < UT_ARRAY_LEN(want));
        T_EQ_MEM(k.ptr, k.len, want[i][0], strlen(want[i][0]));
        T_NOTNULL(v.ptr);
        T_EQ_MEM(v.ptr, v.len, want[i][1], strlen(want[i][1]));
        i++;
    }
    T_EQ_SIZE(i, UT_ARRAY_LEN(want));
    before = cur;
    T_EQ_I64(ut_query_next(&cur, end, &k, &v), 0);
    T_TRUE(cur == before);
    cur = NULL;
    T_EQ_I64(ut_query_next(&cur, NULL, &k, &v), 0);
}

TEST(query_next_stops_at_end)
{
    static const char q[] = "a=1&b=2";
    const char *cur = q;
    struct ut_url_part k, v;

    T_EQ_I64(ut_query_next(&cur, q + 5, &k, &v), 1); /* "a=1&b" */
    T_EQ_I64(ut_query_next(&cur, q + 5, &k, &v), 1);
    T_EQ_MEM(k.ptr, k.len, "b", 1);
    T_EQ_SIZE(v.len, 0);
    T_TRUE(cur == q + 5);
}

TEST(query_check)
{
    size_t n = 99;

    T_OK(ut_query_check("a=1&b=%20&&c", 12, &n, NULL));
    T_EQ_SIZE(n, 3);
    T_OK(ut_query_check(NULL, 0, &n, NULL));
    T_EQ_SIZE(n, 0);
    T_ERR(ut_query_check("a=%g0", 5, &n, NULL), UT_EPARSE);
    T_ERR(ut_query_check("a=\x01", 3, &n, NULL), UT_EPARSE);
}

/* ---- decoding ------------------------------------------------------------------ */

struct dec_case {
    const char *in;
    unsigned flags;
    int err;
    const char *out;
    size_t out_len;
};

static const struct dec_case dec_cases[] = {
    {"", 0, UT_OK, "", 0},
    {"plain", 0, UT_OK, "plain", 5},
    {"a%20b+c", 0, UT_OK, "a b+c", 5},
    {"a%20b+c", UT_URL_DECODE_PLUS, UT_OK, "a b c", 5},
    {"%2B%2b", UT_URL_DECODE_PLUS, UT_OK, "++", 2},
    {"%41%6a%E2%82%AC", 0, UT_OK, "Aj\xe2\x82\xac", 5},
    {"%00x", 0, UT_OK, "\0x", 2},
    {"%00x", UT_URL_DECODE_NO_CTL, UT_EPARSE, NULL, 0},
    {"a%0Ab", UT_URL_DECODE_NO_CTL, UT_EPARSE, NULL, 0},
    {"a%7f", UT_URL_DECODE_NO_CTL, UT_EPARSE, NULL, 0},
    {"a\tb", UT_URL_DECODE_NO_CTL, UT_EPARSE, NULL, 0},
    {"%", 0, UT_EPARSE, NULL, 0},
    {"%4", 0, UT_EPARSE, NULL, 0},
    {"%g1", 0, UT_EPARSE, NULL, 0},
    {"%1g", 0, UT_EPARSE, NULL, 0},
    {"ok%", 0, UT_EPARSE, NULL, 0},
};

TEST(decode)
{
    for (size_t i = 0; i < UT_ARRAY_LEN(dec_cases); i++) {
        const struct dec_case *c = &dec_cases[i];
        char dst[64];
        size_t n = 777;
        int err = ut_url_decode(c->in, strlen(c->in), dst, sizeof(dst), &n, c->flags);

        if (err != c->err) {
            t_fail(__FILE__, __LINE__, "case %zu '%s': error %d", i, c->in, err);
            return;
        }
        if (err == UT_OK) {
            T_EQ_MEM(dst, n, c->out, c->out_len);
            T_EQ_I64(dst[n], 0);
        } else {
            T_EQ_SIZE(n, 777);
        }
    }
}

TEST(decode_capacity)
{
    char dst[4];
    size_t n = 0;

    T_OK(ut_url_decode("abc", 3, dst, 4, &n, 0));
    T_EQ_STR(dst, "abc");
    T_ERR(ut_url_decode("abcd", 4, dst, 4, &n, 0), UT_ELIMIT);
    T_ERR(ut_url_decode("%41%42%43%44", 12, dst, 4, &n, 0), UT_ELIMIT);
    T_OK(ut_url_decode("%41%42%43", 9, dst, 4, &n, 0));
    T_EQ_STR(dst, "ABC");
    T_ERR(ut_url_decode("", 0, dst, 0, &n, 0), UT_ELIMIT);
}

/* ---- site helpers -------------------------------------------------------------- */

TEST(host_site)
{
    static const char *const cases[][2] = {
        {"www.a.com", "a.com"},
        {"m.facebook.com", "facebook.com"},
        {"l.facebook.com", "facebook.com"},
        {"lm.facebook.com", "facebook.com"},
        {"WWW.A.COM", "A.COM"},
        {"www.m.a.com", "m.a.com"},
        {"m.com", "m.com"},
        {"www.com", "www.com"},
        {"www2.a.com", "www2.a.com"},
        {"news.google.co.uk", "news.google.co.uk"},
        {"", ""},
    };

    for (size_t i = 0; i < UT_ARRAY_LEN(cases); i++) {
        struct ut_url_part s = ut_url_host_site(cases[i][0], strlen(cases[i][0]));

        T_EQ_MEM(s.ptr, s.len, cases[i][1], strlen(cases[i][1]));
    }
}

TEST(same_site)
{
    T_TRUE(ut_url_same_site("www.shop.com", 12, "shop.com", 8));
    T_TRUE(ut_url_same_site("m.shop.com", 10, "WWW.Shop.com", 12));
    T_TRUE(!ut_url_same_site("blog.shop.com", 13, "shop.com", 8));
    T_TRUE(!ut_url_same_site("shop.co", 7, "shop.com", 8));
    T_TRUE(!ut_url_same_site("shop.com", 8, "shop.con", 8));
}

TEST(no_allocation)
{
    struct ut_url u;
    long before = ut_alloc_live();

    ut_alloc_fail_after(1);
    T_OK(parse("https://www.example.com/a?b=c#d", 0, &u));
    ut_alloc_fail_after(0);
    T_EQ_I64(ut_alloc_live(), before);
}

T_LIST(T_CASE(parse_accepts), T_CASE(parse_scheme_and_port_fields), T_CASE(parse_rejects),
       T_CASE(parse_advances_cursor_only_on_success), T_CASE(parse_never_reads_past_end),
       T_CASE(limits), T_CASE(host_limit), T_CASE(query_next), T_CASE(query_next_stops_at_end),
       T_CASE(query_check), T_CASE(decode), T_CASE(decode_capacity), T_CASE(host_site),
       T_CASE(same_site), T_CASE(no_allocation))
T_MAIN()
