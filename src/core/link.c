/*
 * core/link.c - tracking link rules and the redirect URL builder (contract in
 * link.h). The builder never decodes or re-encodes what it copies from the
 * destination or the incoming request: bytes it keeps are kept exactly, bytes
 * it adds are percent-encoded (RFC 3986 section 2.1), so the landing page
 * reads what the link's owner wrote.
 */
#include "util/setup.h"

#include "core/link.h"

#include <arpa/inet.h>
#include <string.h>

#include "core/channel.h"
#include "util/ascii.h"
#include "util/diag.h"
#include "util/utf8.h"

/* ==== checks ===================================================================== */

static bool
slug_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
}

int
ut_link_slug_check(const char *s, size_t len)
{
    if (s == NULL || len == 0) {
        return UT_EINVAL;
    }
    if (len > UT_LINK_SLUG_MAX) {
        return UT_ELIMIT;
    }
    for (size_t i = 0; i < len; i++) {
        if (!slug_char((unsigned char)s[i])) {
            return UT_EINVAL;
        }
    }
    return UT_OK;
}

int
ut_link_destination_check(const char *s, size_t len, struct ut_diag *diag)
{
    const char *cur = s;
    struct ut_url u;
    int err;

    if (s == NULL || len == 0) {
        ut_diag_set(diag, "destination is empty");
        return UT_EINVAL;
    }
    if (len > UT_LINK_DEST_MAX) {
        ut_diag_set(diag, "destination longer than %u bytes", UT_LINK_DEST_MAX);
        return UT_ELIMIT;
    }
    err = ut_url_parse(&u, &cur, s + len, 0, NULL);
    if (err != UT_OK) {
        ut_diag_set(diag, "destination must be an absolute http(s) URL");
        return err == UT_ELIMIT ? UT_ELIMIT : UT_EINVAL;
    }
    return UT_OK;
}

int
ut_link_text_check(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;

    if (s == NULL || len == 0) {
        return UT_EINVAL;
    }
    if (len > UT_LINK_TEXT_MAX) {
        return UT_ELIMIT;
    }
    while (i < len) {
        size_t n = ut_utf8_seq(p + i, len - i);

        /* C0 controls and DEL; C1 controls (U+0080..U+009F) are two bytes 0xc2 0x80..0x9f */
        if (n == 0 || p[i] < 0x20 || p[i] == 0x7f || (p[i] == 0xc2 && p[i + 1] < 0xa0)) {
            return UT_EINVAL;
        }
        i += n;
    }
    return UT_OK;
}

/* ==== redirect URL ============================================================== */

static const char *const utm_names[] = {"utm_source", "utm_medium", "utm_campaign", "utm_content",
                                        "utm_term"};

/* Where the next parameter goes: after a '?' still to write, right away, or after a '&'. */
enum sep_state { SEP_QMARK, SEP_NONE, SEP_AMP };

struct builder {
    struct ut_buf *out;
    size_t limit; /* out->len may not pass this */
    enum sep_state sep;
    struct ut_url_part q; /* the destination's query (absent when it has none) */
};

static bool
eq_nocase(const char *a, size_t alen, const char *b)
{
    return alen == strlen(b) && ut_ascii_ieq(a, b, alen);
}

/* True when the destination's query has a parameter named name (case-insensitively). */
static bool
dest_has(const struct builder *b, const char *name)
{
    struct ut_url_part k, v;
    const char *cur = b->q.ptr;

    if (cur == NULL) {
        return false;
    }
    while (ut_query_next(&cur, b->q.ptr + b->q.len, &k, &v) == 1) {
        if (eq_nocase(k.ptr, k.len, name)) {
            return true;
        }
    }
    return false;
}

static void
add_sep(struct builder *b)
{
    if (b->sep == SEP_QMARK) {
        ut_buf_addch(b->out, '?');
    } else if (b->sep == SEP_AMP) {
        ut_buf_addch(b->out, '&');
    }
    b->sep = SEP_AMP;
}

/* RFC 3986 unreserved: the only bytes added values keep as they are. */
static bool
unreserved(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

static void
add_encoded(struct ut_buf *out, struct ut_str s)
{
    static const char hex[] = "0123456789ABCDEF";

    for (size_t i = 0; i < s.len; i++) {
        unsigned char c = (unsigned char)s.ptr[i];

        if (unreserved(c)) {
            ut_buf_addch(out, (char)c);
        } else {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};

            ut_buf_add(out, e, sizeof(e));
        }
    }
}

/* Step 1: the destination up to its fragment, without any ut_click parameter. */
static void
add_destination(struct builder *b, struct ut_str dest, const struct ut_url *u)
{
    const char *stop = dest.ptr + dest.len;
    struct ut_url_part k, v;
    const char *cur;

    if (u->fragment.ptr != NULL) {
        stop = u->fragment.ptr - 1;
    }
    if (u->query.ptr == NULL) {
        ut_buf_add(b->out, dest.ptr, (size_t)(stop - dest.ptr));
        b->sep = SEP_QMARK;
        return;
    }
    ut_buf_add(b->out, dest.ptr, (size_t)(u->query.ptr - dest.ptr)); /* through the '?' */
    if (!dest_has(b, "ut_click")) {
        ut_buf_add(b->out, u->query.ptr, u->query.len);
        b->sep = u->query.len == 0 || u->query.ptr[u->query.len - 1] == '&' ? SEP_NONE : SEP_AMP;
        return;
    }
    b->sep = SEP_NONE;
    cur = u->query.ptr;
    while (ut_query_next(&cur, u->query.ptr + u->query.len, &k, &v) == 1) {
        if (eq_nocase(k.ptr, k.len, "ut_click")) {
            continue;
        }
        add_sep(b);
        ut_buf_add(b->out, k.ptr, (size_t)(v.ptr + v.len - k.ptr)); /* "key=value" as written */
    }
}

static void
add_utms(struct builder *b, const struct ut_link_utm *utm)
{
    const struct ut_str vals[] = {utm->source, utm->medium, utm->campaign, utm->content, utm->term};

    for (size_t i = 0; i < UT_ARRAY_LEN(vals); i++) {
        if (ut_str_empty(vals[i]) || dest_has(b, utm_names[i])) {
            continue;
        }
        add_sep(b);
        ut_buf_addstr(b->out, utm_names[i]);
        ut_buf_addch(b->out, '=');
        add_encoded(b->out, vals[i]);
    }
}

static bool
hexdig(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* A passed-through value must be safe to paste into a query as is (see link.h). */
static bool
pass_value_ok(struct ut_url_part v)
{
    static const char extra[] = "-._~!$'()*+,;=:@/?";

    if (v.len == 0 || v.len > UT_LINK_PASS_VALUE_MAX) {
        return false;
    }
    for (size_t i = 0; i < v.len; i++) {
        unsigned char c = (unsigned char)v.ptr[i];

        if (c == '%') {
            if (i + 2 >= v.len || !hexdig(v.ptr[i + 1]) || !hexdig(v.ptr[i + 2])) {
                return false;
            }
            i += 2;
        } else if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                     (c != 0 && strchr(extra, c) != NULL))) {
            return false;
        }
    }
    return true;
}

/* The click id named k (case-insensitively), or UT_CLICK_NONE. */
static enum ut_click_id
click_id_of(struct ut_url_part k)
{
    for (int id = UT_CLICK_NONE + 1; id < UT_CLICK_COUNT; id++) {
        if (eq_nocase(k.ptr, k.len, ut_click_id_name((enum ut_click_id)id))) {
            return (enum ut_click_id)id;
        }
    }
    return UT_CLICK_NONE;
}

/* Step 3; reserve bytes stay free for the token and the fragment. */
static void
add_click_ids(struct builder *b, struct ut_str query, size_t reserve)
{
    bool seen[UT_CLICK_COUNT] = {false};
    struct ut_url_part k, v;
    const char *cur = query.ptr;

    if (cur == NULL) {
        return;
    }
    while (ut_query_next(&cur, query.ptr + query.len, &k, &v) == 1) {
        enum ut_click_id id = click_id_of(k);

        if (id == UT_CLICK_NONE || seen[id]) {
            continue;
        }
        seen[id] = true;
        if (!pass_value_ok(v) || dest_has(b, ut_click_id_name(id)) ||
            b->out->len + 2 + k.len + v.len + reserve > b->limit) {
            continue;
        }
        add_sep(b);
        ut_buf_add(b->out, k.ptr, k.len);
        ut_buf_addch(b->out, '=');
        ut_buf_add(b->out, v.ptr, v.len);
    }
}

static int
token_check(struct ut_str token)
{
    if (token.len > UT_LINK_TOKEN_MAX) {
        return UT_EINVAL;
    }
    for (size_t i = 0; i < token.len; i++) {
        if (!slug_char((unsigned char)token.ptr[i])) {
            return UT_EINVAL;
        }
    }
    return UT_OK;
}

int
ut_link_build_url(struct ut_str destination, const struct ut_link_utm *utm, struct ut_str query,
                  struct ut_str token, struct ut_buf *out)
{
    static const struct ut_link_utm no_utm;
    struct builder b = {out, 0, SEP_QMARK, {NULL, 0}};
    const char *cur = destination.ptr;
    size_t start = out->len, reserve;
    struct ut_url u;
    int err;

    if (destination.ptr == NULL ||
        ut_url_parse(&u, &cur, destination.ptr + destination.len, 0, NULL) != UT_OK) {
        return UT_EPARSE;
    }
    if (token_check(token) != UT_OK) {
        return UT_EINVAL;
    }
    utm = utm != NULL ? utm : &no_utm;
    b.q = u.query;
    b.limit = start + UT_LINK_URL_MAX;
    b.limit = b.limit > out->max ? out->max : b.limit;
    add_destination(&b, destination, &u);
    add_utms(&b, utm);
    reserve = (token.len != 0 ? 1 + sizeof("ut_click=") - 1 + token.len : 0) +
              (u.fragment.ptr != NULL ? 1 + u.fragment.len : 0);
    add_click_ids(&b, query, reserve);
    if (token.len != 0) {
        add_sep(&b);
        ut_buf_addstr(out, "ut_click=");
        ut_buf_add(out, token.ptr, token.len);
    }
    if (u.fragment.ptr != NULL) {
        ut_buf_addch(out, '#');
        ut_buf_add(out, u.fragment.ptr, u.fragment.len);
    }
    err = ut_buf_err(out);
    return err == UT_OK && out->len > b.limit ? UT_ELIMIT : err;
}

/* ==== IP truncation ================================================================ */

int
ut_link_ip_truncate(const char *ip, size_t len, char *out, size_t cap)
{
    char tmp[UT_IP_TRUNC_MAX];
    unsigned char a[16];
    const char *p;

    if (ip == NULL || len == 0 || len >= sizeof(tmp)) {
        return UT_EPARSE;
    }
    memcpy(tmp, ip, len);
    tmp[len] = '\0';
    if (inet_pton(AF_INET, tmp, a) == 1) {
        a[3] = 0;
        p = inet_ntop(AF_INET, a, tmp, sizeof(tmp));
    } else if (inet_pton(AF_INET6, tmp, a) == 1) {
        static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

        if (memcmp(a, mapped, sizeof(mapped)) == 0) {
            a[15] = 0; /* ::ffff:a.b.c.d is an IPv4 client on a dual-stack socket */
            p = inet_ntop(AF_INET, a + 12, tmp, sizeof(tmp));
        } else {
            memset(a + 6, 0, 10); /* keep the /48: a site, not a household */
            p = inet_ntop(AF_INET6, a, tmp, sizeof(tmp));
        }
    } else {
        return UT_EPARSE;
    }
    if (p == NULL) {
        return UT_EPARSE;
    }
    len = strlen(tmp);
    if (len + 1 > cap) {
        return UT_ELIMIT;
    }
    memcpy(out, tmp, len + 1);
    return UT_OK;
}
