/*
 * util/url.c - strict URL parsing (RFC 3986 subset: http(s) authority, path,
 * query, fragment), query iteration and percent decoding. Works on (ptr, len)
 * views and fixed-size output only: no allocation, no locale, no NUL
 * terminator expected, never reads a byte past the given end.
 */
#include "util/setup.h"

#include "util/url.h"

#include <string.h>

#include "util/ascii.h"
#include "util/diag.h"

/* ---- byte classes -------------------------------------------------------------- */

static int
url_hexval(unsigned char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

static bool
url_is_alpha(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool
url_is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

/* ALPHA / DIGIT / "+" / "-" / "." (RFC 3986 section 3.1) */
static bool
url_is_scheme_char(unsigned char c)
{
    return url_is_alpha(c) || url_is_digit(c) || c == '+' || c == '-' || c == '.';
}

static bool
url_is_ctl(unsigned char c)
{
    return c < 0x20 || c == 0x7f;
}

static int
url_fail(struct ut_diag *diag, const char *start, const char *at, int err, const char *what)
{
    ut_diag_at(diag, 1, (size_t)(at - start) + 1, "%s", what);
    return err;
}

/* ---- pieces -------------------------------------------------------------------- */

/*
 * Check path or query bytes: no control bytes, no space, every '%' followed
 * by two hex digits. Returns the offending byte or NULL.
 */
static const char *
url_check_bytes(const char *p, const char *end, const char **why)
{
    for (; p < end; p++) {
        unsigned char c = (unsigned char)*p;

        if (url_is_ctl(c) || c == ' ') {
            *why = "control byte or space in URL";
            return p;
        }
        if (c == '%') {
            if (end - p < 3 || url_hexval((unsigned char)p[1]) < 0 ||
                url_hexval((unsigned char)p[2]) < 0) {
                *why = "invalid percent escape";
                return p;
            }
            p += 2;
        }
    }
    return NULL;
}

/* Length of an RFC 3986 scheme followed by "://" at p, or 0 if there is none. */
static size_t
url_scheme_len(const char *p, const char *end)
{
    const char *q = p;

    if (q >= end || !url_is_alpha((unsigned char)*q)) {
        return 0;
    }
    /* The scheme runs up to the first byte that cannot be in one, which must start "://". */
    for (q++; q < end; q++) {
        if (!url_is_scheme_char((unsigned char)*q)) {
            break;
        }
    }
    if (end - q < 3 || memcmp(q, "://", 3) != 0) {
        return 0;
    }
    return (size_t)(q - p);
}

/* Bracketed IPv6 literal "[...]" at [p, end): hex digits, ':' and '.' only. */
static const char *
url_ipv6_end(const char *p, const char *end)
{
    const char *q = p + 1;

    while (q < end && *q != ']') {
        if (url_hexval((unsigned char)*q) < 0 && *q != ':' && *q != '.') {
            return NULL;
        }
        q++;
    }
    if (q >= end || q - p < 3) {
        return NULL;
    }
    return q + 1;
}

/* A DNS-ish name [p, end): labels of name bytes, no empty label (a final dot is allowed). */
static const char *
url_check_name(const char *p, const char *end, const char **why)
{
    const char *label = p;

    for (const char *q = p; q < end; q++) {
        unsigned char c = (unsigned char)*q;

        if (c == '.') {
            if (q == label) {
                *why = "empty label in host";
                return q;
            }
            label = q + 1;
        } else if (!url_is_alpha(c) && !url_is_digit(c) && c != '-' && c != '_' && c < 0x80) {
            *why = "invalid byte in host";
            return q;
        }
    }
    return NULL;
}

/* ":port" digits [p, end): 1 to 5 digits, 1..65535. */
static int
url_parse_port(struct ut_url *u, const char *start, const char *p, const char *end,
               struct ut_diag *diag)
{
    unsigned long v = 0;

    if (p == end || end - p > 5) {
        return url_fail(diag, start, p, UT_EPARSE, "invalid port");
    }
    for (const char *q = p; q < end; q++) {
        if (!url_is_digit((unsigned char)*q)) {
            return url_fail(diag, start, q, UT_EPARSE, "invalid port");
        }
        v = v * 10 + (unsigned long)(*q - '0');
    }
    if (v == 0 || v > 65535) {
        return url_fail(diag, start, p, UT_EPARSE, "port out of range");
    }
    u->port.ptr = p;
    u->port.len = (size_t)(end - p);
    u->port_num = (uint16_t)v;
    return UT_OK;
}

/* Copy the lowercased host [p, p + n) into u, dropping one trailing dot. */
static int
url_set_host(struct ut_url *u, const char *start, const char *p, size_t n, bool need_dot,
             struct ut_diag *diag)
{
    if (n == 0) {
        return url_fail(diag, start, p, UT_EPARSE, "empty host");
    }
    if (n > 1 && p[n - 1] == '.') {
        n--;
    }
    if (n > UT_URL_HOST_MAX) {
        return url_fail(diag, start, p, UT_ELIMIT, "host longer than 255 bytes");
    }
    if (need_dot && memchr(p, '.', n) == NULL) {
        return url_fail(diag, start, p, UT_EPARSE, "host without a dot");
    }
    for (size_t i = 0; i < n; i++) {
        u->host[i] = (char)ut_ascii_lower((unsigned char)p[i]);
    }
    u->host[n] = '\0';
    u->host_len = n;
    return UT_OK;
}

/* Host and optional port in the authority [p, end). */
static int
url_parse_authority(struct ut_url *u, const char *start, const char *p, const char *end,
                    bool need_dot, struct ut_diag *diag)
{
    const char *host_end, *bad, *why = NULL;
    int err;

    bad = memchr(p, '@', (size_t)(end - p));
    if (bad != NULL) {
        return url_fail(diag, start, bad, UT_EPARSE, "user information in URL is not accepted");
    }
    if (p < end && *p == '[') {
        host_end = url_ipv6_end(p, end);
        if (host_end == NULL || (host_end < end && *host_end != ':')) {
            return url_fail(diag, start, p, UT_EPARSE, "invalid IPv6 literal");
        }
        need_dot = false;
    } else {
        host_end = memchr(p, ':', (size_t)(end - p));
        host_end = host_end != NULL ? host_end : end;
        bad = url_check_name(p, host_end, &why);
        if (bad != NULL) {
            return url_fail(diag, start, bad, UT_EPARSE, why);
        }
    }
    err = url_set_host(u, start, p, (size_t)(host_end - p), need_dot, diag);
    if (err != UT_OK) {
        return err;
    }
    if (host_end < end) {
        return url_parse_port(u, start, host_end + 1, end, diag);
    }
    return UT_OK;
}

/*
 * "scheme://" at *p: an accepted scheme advances *p past "://"; without one,
 * UT_URL_NO_SCHEME skips an optional "//" and leaves u->scheme absent.
 */
static int
url_parse_scheme(struct ut_url *u, const char *start, const char **p, const char *end,
                 unsigned flags, struct ut_diag *diag)
{
    size_t n = url_scheme_len(*p, end);

    if (n != 0) {
        if (!(flags & UT_URL_ANY_SCHEME) && !ut_ascii_ieq_lit(*p, n, "http") &&
            !ut_ascii_ieq_lit(*p, n, "https")) {
            return url_fail(diag, start, *p, UT_EPARSE, "unsupported scheme (want http or https)");
        }
        u->scheme.ptr = *p;
        u->scheme.len = n;
        *p += n + 3;
        return UT_OK;
    }
    if (!(flags & UT_URL_NO_SCHEME)) {
        return url_fail(diag, start, *p, UT_EPARSE, "missing scheme (want http:// or https://)");
    }
    if (end - *p >= 2 && (*p)[0] == '/' && (*p)[1] == '/') {
        *p += 2;
    }
    return UT_OK;
}

/* Query bytes [q, end) with columns counted from start; the parameter count goes to *n. */
static int
url_check_query(const char *start, const char *q, const char *end, size_t *n, struct ut_diag *diag)
{
    const char *why = NULL, *bad = url_check_bytes(q, end, &why);
    size_t count = 0;

    if (bad != NULL) {
        return url_fail(diag, start, bad, UT_EPARSE, why);
    }
    for (const char *p = q; p < end; p++) {
        if (*p != '&' && (p == q || p[-1] == '&')) {
            count++;
            if (count > UT_URL_PARAMS_MAX) {
                return url_fail(diag, start, p, UT_ELIMIT, "more than 256 query parameters");
            }
        }
    }
    *n = count;
    return UT_OK;
}

/* Path, query and fragment: everything after the authority, [p, end). */
static int
url_parse_rest(struct ut_url *u, const char *start, const char *p, const char *end,
               struct ut_diag *diag)
{
    const char *hash = memchr(p, '#', (size_t)(end - p));
    const char *stop = hash != NULL ? hash : end;
    const char *qm = memchr(p, '?', (size_t)(stop - p));
    const char *path_end = qm != NULL ? qm : stop;
    const char *why = NULL, *bad = url_check_bytes(p, path_end, &why);
    int err;

    if (bad != NULL) {
        return url_fail(diag, start, bad, UT_EPARSE, why);
    }
    if (path_end > p) {
        u->path.ptr = p;
        u->path.len = (size_t)(path_end - p);
    }
    if (qm != NULL) {
        err = url_check_query(start, qm + 1, stop, &u->nparams, diag);
        if (err != UT_OK) {
            return err;
        }
        u->query.ptr = qm + 1;
        u->query.len = (size_t)(stop - qm - 1);
    }
    if (hash != NULL) {
        for (const char *f = hash + 1; f < end; f++) {
            if (url_is_ctl((unsigned char)*f)) {
                return url_fail(diag, start, f, UT_EPARSE, "control byte in URL");
            }
        }
        u->fragment.ptr = hash + 1;
        u->fragment.len = (size_t)(end - hash - 1);
    }
    return UT_OK;
}

/* ---- public API ---------------------------------------------------------------- */

int
ut_url_parse(struct ut_url *u, const char **cur, const char *end, unsigned flags,
             struct ut_diag *diag)
{
    const char *start = *cur, *p = start, *auth_end;
    struct ut_url t;
    int err;

    if (start == end) {
        return url_fail(diag, start, start, UT_EPARSE, "empty URL");
    }
    if ((size_t)(end - start) > UT_URL_MAX) {
        return url_fail(diag, start, start, UT_ELIMIT, "URL longer than 8192 bytes");
    }
    memset(&t, 0, sizeof(t));
    err = url_parse_scheme(&t, start, &p, end, flags, diag);
    if (err != UT_OK) {
        return err;
    }
    auth_end = p;
    while (auth_end < end && *auth_end != '/' && *auth_end != '?' && *auth_end != '#') {
        auth_end++;
    }
    err = url_parse_authority(&t, start, p, auth_end, t.scheme.ptr == NULL, diag);
    if (err == UT_OK) {
        err = url_parse_rest(&t, start, auth_end, end, diag);
    }
    if (err != UT_OK) {
        return err;
    }
    *u = t;
    *cur = end;
    return UT_OK;
}

int
ut_query_check(const char *q, size_t len, size_t *nparams, struct ut_diag *diag)
{
    size_t n = 0;
    int err;

    if (q == NULL || len == 0) { /* no arithmetic on a NULL view */
        if (nparams != NULL) {
            *nparams = 0;
        }
        return UT_OK;
    }
    if (len > UT_URL_MAX) {
        return url_fail(diag, q, q, UT_ELIMIT, "query longer than 8192 bytes");
    }
    err = url_check_query(q, q, q + len, &n, diag);
    if (err == UT_OK && nparams != NULL) {
        *nparams = n;
    }
    return err;
}

int
ut_query_next(const char **cur, const char *end, struct ut_url_part *key, struct ut_url_part *value)
{
    const char *p = *cur, *seg_end, *eq;

    while (p < end && *p == '&') {
        p++;
    }
    if (p >= end) {
        return 0;
    }
    seg_end = memchr(p, '&', (size_t)(end - p));
    seg_end = seg_end != NULL ? seg_end : end;
    eq = memchr(p, '=', (size_t)(seg_end - p));
    key->ptr = p;
    key->len = (size_t)((eq != NULL ? eq : seg_end) - p);
    value->ptr = eq != NULL ? eq + 1 : seg_end;
    value->len = (size_t)(seg_end - value->ptr);
    *cur = seg_end < end ? seg_end + 1 : seg_end;
    return 1;
}

int
ut_url_decode(const char *s, size_t len, char *dst, size_t cap, size_t *out_len, unsigned flags)
{
    size_t n = 0;

    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c == '%') {
            int hi = i + 2 < len ? url_hexval((unsigned char)s[i + 1]) : -1;
            int lo = hi >= 0 ? url_hexval((unsigned char)s[i + 2]) : -1;

            if (lo < 0) {
                return UT_EPARSE;
            }
            c = (unsigned char)(hi * 16 + lo);
            i += 2;
        } else if (c == '+' && (flags & UT_URL_DECODE_PLUS)) {
            c = ' ';
        }
        if ((flags & UT_URL_DECODE_NO_CTL) && url_is_ctl(c)) {
            return UT_EPARSE;
        }
        if (n + 1 >= cap) {
            return UT_ELIMIT;
        }
        dst[n++] = (char)c;
    }
    if (cap == 0) {
        return UT_ELIMIT;
    }
    dst[n] = '\0';
    *out_len = n;
    return UT_OK;
}

struct ut_url_part
ut_url_host_site(const char *host, size_t len)
{
    static const char *const prefixes[] = {"www.", "m.", "l.", "lm."};
    struct ut_url_part r = {host, len};

    for (size_t i = 0; i < UT_ARRAY_LEN(prefixes); i++) {
        size_t n = strlen(prefixes[i]);

        if (len > n && ut_ascii_ieq_lit(host, n, prefixes[i]) &&
            memchr(host + n, '.', len - n) != NULL) {
            r.ptr = host + n;
            r.len = len - n;
            break;
        }
    }
    return r;
}

bool
ut_url_same_site(const char *a, size_t alen, const char *b, size_t blen)
{
    struct ut_url_part sa = ut_url_host_site(a, alen), sb = ut_url_host_site(b, blen);

    return sa.len == sb.len && ut_ascii_ieq(sa.ptr, sb.ptr, sa.len);
}
